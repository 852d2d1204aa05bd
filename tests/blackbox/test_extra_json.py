#!/usr/bin/env python3
"""corosync-qnetd-tool -j (docs/json-schema.md): the JSON status validates
against docs/qnetd-status.schema.json (our small validator, and
python3-jsonschema too when installed), and says the same as the text
output of the same state: the JSON rendered with the text rules must equal
`-l`, `-l -v`, `-s`, `-s -v` byte for byte.  Peer-chosen bytes (quotes,
backslashes, control bytes, invalid UTF-8 in a cluster name) still give
valid JSON; a listing longer than ipc_max_send_size is streamed; the text outputs are not
changed by the addition (same bytes as Debian's tool prints)."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import minischema  # noqa: E402
import qnetd_client as q  # noqa: E402

SCHEMA = json.load(open(os.path.join(xu.TOP, "docs", "qnetd-status.schema.json")))
failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)


def get_json(d, *args):
    rc, out, err = xu.tool(d, "-j", *args)
    check(rc == 0, "tool -j %s: rc %d, stderr %r" % (" ".join(args), rc, err))
    try:
        doc = json.loads(out.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        check(False, "tool -j %s: not JSON (%s): %r" % (" ".join(args), e, out[:300]))
        return None
    errs = minischema.validate(doc, SCHEMA)
    check(not errs, "tool -j %s: schema errors: %s" % (" ".join(args), errs[:5]))
    try:
        import jsonschema
        jsonschema.validate(doc, SCHEMA)
    except ImportError:
        pass
    except Exception as e:  # jsonschema.ValidationError and SchemaError
        check(False, "jsonschema: %s" % str(e).splitlines()[0])
    return doc


def text(d, *args):
    rc, out, err = xu.tool(d, *args)
    check(rc == 0, "tool %s: rc %d %r" % (" ".join(args), rc, err))
    return out.decode("utf-8", errors="replace")


def main():
    xu.require()
    with dm.Daemon(max_clients=50) as d:
        # alpha: ffsplit, two nodes, heuristics pass, data centres in the config
        alpha = []
        for n in (1, 2):
            c = q.Client(d.host, d.port, name="alpha-%d" % n)
            c.handshake("alpha", n, ring=(1, 4))
            c.do_set_option(3, kap=1)
            c.send(q.node_list(4, q.LIST_INITIAL_CONFIG, [(1, 5), 2, (3, 6)],
                               config_version=7))
            c.recv()
            alpha.append(c)
        for c in alpha:
            c.send(q.node_list(5, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4),
                               heuristics=q.HEUR_PASS))
        time.sleep(0.3)
        for c in alpha:
            xu.drain(c)
        # an odd name: quote, backslash, control byte, invalid UTF-8, and real UTF-8
        odd = b'we"ird\\name\x01\xff-\xc3\xa9'
        g = q.Client(d.host, d.port, name="odd")
        g.handshake(odd, 3, algorithm=q.ALGO_LMS, tie_breaker=(q.TB_NODE_ID, 3),
                    heartbeat=100000, ring=(0x1a, 0x2b3c4d5e6f))
        g.send(q.node_list(4, q.LIST_INITIAL_CONFIG, (3,)))
        g.recv()
        g.send(q.node_list(5, q.LIST_MEMBERSHIP, (3,), ring=(0x1a, 0x2b3c4d5e6f),
                           heuristics=q.HEUR_FAIL))
        xu.drain(g)
        # a client that never gets past PREINIT counts as connected, not listed
        pre = q.Client(d.host, d.port, name="pre")
        pre.do_preinit("pending")

        doc = get_json(d)
        if doc is not None:
            check("daemon" in doc and "clusters" in doc, "-j alone has daemon and clusters")
        for verbose in ((), ("-v",)):
            doc = get_json(d, "-l", *verbose)
            if doc is None:
                continue
            check("daemon" not in doc, "-j -l has no daemon object")
            want = text(d, "-l", *verbose)
            got = xu.render_list(doc, bool(verbose))
            check(got == want, "-j -l %s differs from the text:\n--- text\n%s--- from JSON\n%s"
                  % (" ".join(verbose), want, got))
            doc = get_json(d, "-s", *verbose)
            if doc is None:
                continue
            check("clusters" not in doc, "-j -s has no clusters")
            want = text(d, "-s", *verbose)
            got = xu.render_status(doc, bool(verbose))
            check(got == want, "-j -s differs from the text:\n%s\n%s" % (want, got))
        doc = get_json(d, "-l", "-c", "alpha")
        if doc is not None:
            check([c["name"] for c in doc["clusters"]] == ["alpha"], "-c alpha filters")
            want = text(d, "-l", "-c", "alpha")
            check(xu.render_list(doc, False) == want, "-j -l -c alpha equals the text")
        doc = get_json(d, "-l", "-c", "nosuch")
        check(doc is not None and doc["clusters"] == [], "-c nosuch: no clusters")

        doc = get_json(d, "-l", "-v")
        if doc is not None:
            names = [c["name"] for c in doc["clusters"]]
            check(odd.decode("utf-8", errors="replace") in names,
                  "odd cluster name round-trips with U+FFFD: %r" % names)
            a = [c for c in doc["clusters"] if c["name"] == "alpha"][0]
            now = time.time()
            for c in a["clients"]:
                check(c["vote"] is not None and c["last_vote_change"] is not None and
                      now - 60 < c["last_vote_change"] <= now + 1,
                      "last_vote_change set once a vote was sent: %r" % c)
                check(now - 60 < c["connected_at"] <= now + 1, "connected_at is recent")
                check(c["tls"]["active"] is False and c["tls"]["protocol"] is None,
                      "plain client: no TLS details")
            check(a["kap_tie_breaker"] is True, "KAP shown")
        doc = get_json(d, "-s")
        if doc is not None:
            dd = doc["daemon"]
            check(dd["connected_clients"] == 4 and dd["connected_clusters"] == 2,
                  "counts: %r" % dd)
            check(dd["port"] == d.port and dd["tls"] == "off" and dd["limits"]["max_clients"] == 50,
                  "address, TLS mode, limits: %r" % dd)
            check(0 <= dd["uptime_seconds"] < 120, "uptime")
        # the IPC request a daemon without -j support would refuse cleanly
        rc, out, err = xu.tool(d, "-j", "-l")
        check(out.endswith(b"}\n"), "one document and a newline")
        for c in alpha + [g, pre]:
            c.close()

    # a JSON listing longer than ipc_max_send_size is streamed in slices
    # (docs/compat.md), as the text one: still one valid document
    with dm.Daemon(settings={"ipc_max_send_size": 1024}) as d:
        cs = []
        for n in range(1, 9):
            c = q.Client(d.host, d.port, name="big-%d" % n)
            c.handshake("big", n)
            cs.append(c)
        rc, out, err = xu.tool(d, "-j", "-l")
        check(rc == 0 and len(out) > 1024, "JSON over ipc_max_send_size: streamed, rc %d, "
              "%d bytes %r" % (rc, len(out), err))
        try:
            doc = json.loads(out)
            check([c["node_id"] for c in doc["clusters"][0]["clients"]] == list(range(1, 9)),
                  "streamed JSON lists the 8 clients")
        except ValueError as e:
            check(False, "streamed JSON parses: %s" % e)
        for c in cs:
            c.close()

    # -j does not change -H: the daemon shuts down
    d = dm.Daemon().start()
    try:
        rc, out, err = xu.tool(d, "-j", "-H")
        check(rc == 0 and out == b"", "-j -H: rc %d %r" % (rc, out))
        try:
            d.proc.wait(5)
        except Exception:
            pass
        check(d.proc.poll() == 0, "-j -H shut the daemon down")
    finally:
        d.cleanup()

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
