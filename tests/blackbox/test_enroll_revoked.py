#!/usr/bin/env python3
"""Revocation on the daemon's side (issue 12 item 6): <state_dir>/revoked
lists certificates by issuer hash and serial.

* Two clusters connected over TLS with their votes; cluster A's
  certificate is added to the list; SIGHUP: A's clients are disconnected
  with a log line naming cluster, node and serial, an event each, B keeps
  its connections and its vote.  A reconnecting is refused at the
  handshake (log line, metric, event), B still connects.
* The malformed lines of the file are logged and skipped; the good ones
  are enforced.
* A file present at start is enforced from the first handshake.
* A reload with an unreadable file keeps the previous list.
Exit 0/1/77."""

import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import certinfo  # noqa: E402
import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

failures = []

RECORDER = """#!/bin/sh
{ echo "ARG=$1"; env | grep '^QNETD_' | sort; echo; } >> "%s"
"""


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    return cond


def read_events(path):
    try:
        text = open(path).read()
    except OSError:
        return []
    return [dict(line.split("=", 1) for line in b.strip().splitlines())
            for b in text.split("\n\n") if b.strip()]


def revoked_events(path):
    return [e for e in read_events(path) if e.get("QNETD_EVENT") == "certificate_revoked"]


def tls_cluster(d, pki, cluster, nodes=(1, 2)):
    """Clients of an ffsplit cluster over TLS, each with config + membership."""
    clients = []
    for n in nodes:
        c = xu.tls_client(d, cluster, pki.client(cluster), name="%s-%d" % (cluster, n))
        c.do_init(node_id=n, seq=3)
        c.send(q.node_list(4, q.LIST_INITIAL_CONFIG, nodes, config_version=1))
        c.recv()
        clients.append(c)
    for c in clients:
        c.send(q.node_list(5, q.LIST_MEMBERSHIP, nodes, ring=(1, 4)))
    for c in clients:
        xu.drain(c, 0.3)
    return clients


def votes(d, cluster):
    rc, out, err = xu.tool(d, "-l", "-c", cluster)
    return xu.text_field(out.decode(), "Vote")


def refused(d, pki, cluster, name):
    """True when the server refuses this client (handshake or first reply)."""
    try:
        c = xu.tls_client(d, cluster, pki.client(cluster), name=name)
        c.send(q.init(3, 1))
        c.expect_closed(what="INIT of a revoked client")
    except q.Closed:
        pass
    except q.Timeout:
        return False
    return True


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def hup(d, n):
    d.proc.send_signal(signal.SIGHUP)
    xu.wait_for(lambda: d.log().count("SIGHUP received: reloading") >= n, 5.0, "reload")
    time.sleep(0.3)


def metric(mport, name):
    code, body = xu.curl("http://127.0.0.1:%d/metrics" % mport)
    return xu.parse_metrics(body).get(name, 0)


def reload_case(tmp, pki):
    state = os.path.join(tmp, "state")
    os.mkdir(state, 0o700)
    events = os.path.join(tmp, "events.txt")
    hook = os.path.join(tmp, "hook.sh")
    with open(hook, "w") as f:
        f.write(RECORDER % events)
    os.chmod(hook, 0o755)
    mport = dm.free_port()
    a_info = certinfo.of_pem(pki.client("rva").cert)
    b_info = certinfo.of_pem(pki.client("rvb").cert)
    settings = {"state_dir": state, "event_hook": hook,
                "metrics_address": "127.0.0.1:%d" % mport}
    with dm.Daemon(tls="on", cert_required="on", pki=pki, settings=settings) as d:
        a = tls_cluster(d, pki, "rva")
        b = tls_cluster(d, pki, "rvb")
        check(all(v.endswith("(ACK)") for v in votes(d, "rva")), "A has its votes")
        b_votes = votes(d, "rvb")
        check(len(b_votes) == 2 and all(v.endswith("(ACK)") for v in b_votes),
              "B has its votes: %r" % b_votes)

        # A revoked, among malformed lines
        write(os.path.join(state, "revoked"),
              "# revoked certificates\n"
              "not-a-hash 1 x\n"
              + a_info.revoked_line("rva") +
              "%s zz rvb\n" % b_info.issuer_sha256 +
              "%s %s\n" % (b_info.issuer_sha256, b_info.serial))
        hup(d, 1)
        for c in a:
            try:
                c.expect_closed(timeout=3, what="A's client after its revocation")
            except q.Closed:
                pass
        log = d.log()
        for n in (1, 2):
            check("Certificate serial %s of cluster rva node %d is revoked: closing the "
                  "connection" % (a_info.serial, n) in log, "closing logged for node %d" % n)
        check("line 2: issuer is not 64 hex digits" in log, "malformed line 2 logged")
        check("line 4: missing or bad serial" in log, "malformed line 4 logged")
        check("line 5: missing or bad cluster name" in log, "malformed line 5 logged")
        check("1 certificate(s) revoked" in log, "one entry enforced:\n" + log)
        for c in b:
            c.do_echo(9)
        check(votes(d, "rvb") == b_votes, "B keeps its votes: %r" % votes(d, "rvb"))
        rc, out, err = xu.tool(d, "-l")
        check(b"rva" not in out and b"rvb" in out, "only B listed: %r" % out)
        xu.wait_for(lambda: len(revoked_events(events)) >= 2, 5.0, "closing events")
        evs = revoked_events(events)
        check(all(e["QNETD_CLUSTER"] == "rva" and e["QNETD_CERTIFICATE_SERIAL"] ==
                  a_info.serial and "closed" in e["QNETD_REASON"] for e in evs),
              "closing events: %r" % evs)
        check(sorted(e.get("QNETD_NODE_ID") for e in evs) == ["1", "2"],
              "events name the nodes: %r" % evs)
        check(metric(mport, "qnetd_certificate_revocations_closed_total") == 2,
              "closings counted")

        # A comes back: refused at the handshake; B connects
        check(refused(d, pki, "rva", "rva-again"), "revoked A refused on reconnect")
        xu.wait_for(lambda: "(cluster rva) is revoked: TLS handshake refused" in d.log(),
                    5.0, "refusal logged")
        check(metric(mport, "qnetd_certificate_revocations_refused_total") == 1,
              "refusal counted")
        xu.wait_for(lambda: len(revoked_events(events)) >= 3, 5.0, "refusal event")
        e = revoked_events(events)[-1]
        check(e["QNETD_CLUSTER"] == "rva" and "refused" in e["QNETD_REASON"] and
              e["QNETD_CERTIFICATE_SERIAL"] == a_info.serial, "refusal event: %r" % e)
        c = xu.tls_client(d, "rvb", pki.client("rvb"), name="rvb-3")
        c.do_init(node_id=3, seq=3)
        c.close()

        # unreadable list: the previous one stays
        os.unlink(os.path.join(state, "revoked"))
        os.mkfifo(os.path.join(state, "revoked"))
        hup(d, 2)
        check("keeping the previous revoked list" in d.log(), "failed load logged")
        check(refused(d, pki, "rva", "rva-3"), "still refused after a failed reload")
        rc, out, err = xu.tool(d, "-k")
        check(rc == 0, "healthy")

        # the file gone: nothing revoked, A connects again
        os.unlink(os.path.join(state, "revoked"))
        hup(d, 3)
        c = xu.tls_client(d, "rva", pki.client("rva"), name="rva-4")
        c.do_init(node_id=1, seq=3)
        c.close()
        for c in b:
            c.close()


def start_case(tmp, pki):
    state = os.path.join(tmp, "state2")
    os.mkdir(state, 0o700)
    a_info = certinfo.of_pem(pki.client("rvs").cert)
    write(os.path.join(state, "revoked"), a_info.revoked_line("rvs"))
    with dm.Daemon(tls="on", cert_required="on", pki=pki,
                   settings={"state_dir": state}) as d:
        check(refused(d, pki, "rvs", "rvs-1"), "revoked at start: refused")
        xu.wait_for(lambda: "Client certificate serial %s (cluster rvs) is revoked" %
                    a_info.serial in d.log(), 5.0, "refusal at start logged")
        b = tls_cluster(d, pki, "rvt", nodes=(1,))
        b[0].do_echo(9)
        b[0].close()
    # The same certificate under another issuer hash is not revoked.
    write(os.path.join(state, "revoked"),
          "%s %s rvs\n" % ("0" * 64, a_info.serial))
    with dm.Daemon(tls="on", cert_required="on", pki=pki,
                   settings={"state_dir": state}) as d:
        c = xu.tls_client(d, "rvs", pki.client("rvs"), name="rvs-2")
        c.do_init(node_id=1, seq=3)
        c.close()


def main():
    xu.require()
    pki = xu.need_pki()
    tmp = tempfile.mkdtemp(prefix="qnetd-revoked-")
    try:
        reload_case(tmp, pki)
        start_case(tmp, pki)
    finally:
        shutil.rmtree(tmp, True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
