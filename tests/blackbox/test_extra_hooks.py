#!/usr/bin/env python3
"""-S event_hook: the executable runs once per event, in order, with the
documented QNETD_* variables, for clients connecting and leaving (with the
reason), clusters appearing and going, ACK/NACK changes, a cluster left
without any partition holding the vote, duplicate node ids, and TLS and
certificate rejections.  A hook that hangs is killed after
event_hook_timeout, events beyond event_hook_queue are dropped and
counted, failures are logged and counted, and none of it delays a vote.
A hook that is not executable stops the start-up."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    return cond


RECORDER = """#!/bin/sh
{ echo "ARG=$1"; env | grep '^QNETD_' | sort; echo "PATHSET=${PATH:+yes}"; echo; } >> "%s"
"""


def read_events(path):
    """List of dicts (one per run), in run order."""
    try:
        text = open(path).read()
    except OSError:
        return []
    evs = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        evs.append(dict(line.split("=", 1) for line in block.strip().splitlines()))
    return evs


def find(evs, event, **kv):
    return [e for e in evs if e.get("QNETD_EVENT") == event and
            all(e.get(k) == v for k, v in kv.items())]


def script(tmp, name, body):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(body)
    os.chmod(p, 0o755)
    return p


def lifecycle(tmp):
    out = os.path.join(tmp, "events.txt")
    hook = script(tmp, "record.sh", RECORDER % out)
    with dm.Daemon(settings={"event_hook": hook}) as d:
        cs = []
        for n in (1, 2):
            c = q.Client(d.host, d.port, name="hk-%d" % n)
            c.handshake("hk", n)
            c.send(q.node_list(3, q.LIST_INITIAL_CONFIG, (1, 2, 3, 4)))
            c.recv()
            cs.append(c)
        for c in cs:
            c.send(q.node_list(4, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4)))
        for c in cs:
            xu.drain(c, 0.5)
        xu.wait_for(lambda: len(find(read_events(out), "vote_changed")) >= 2, 5.0,
                    "two vote_changed events")
        evs = read_events(out)
        check(len(find(evs, "cluster_appeared", QNETD_CLUSTER="hk", QNETD_NODE_ID="1")) == 1,
              "cluster_appeared once, from node 1")
        for n in ("1", "2"):
            e = find(evs, "client_connected", QNETD_NODE_ID=n)
            check(len(e) == 1 and e[0]["QNETD_CLUSTER"] == "hk" and
                  e[0]["QNETD_CLIENT_ADDRESS"].startswith("127.0.0.1:") and
                  e[0]["QNETD_ALGORITHM"] == "Fifty-Fifty split" and e[0]["QNETD_TLS"] == "no" and
                  e[0]["ARG"] == "client_connected" and e[0]["PATHSET"] == "yes",
                  "client_connected %s: %r" % (n, e))
            check(len(find(evs, "vote_changed", QNETD_NODE_ID=n, QNETD_VOTE="ACK")) == 1,
                  "vote_changed ACK for node %s" % n)
        order = [e["QNETD_EVENT"] for e in evs]
        check(order.index("cluster_appeared") < order.index("client_connected"),
              "events in order: %r" % order)
        # split 1 | 2 of 4 configured nodes: no partition keeps the vote
        cs[0].send(q.node_list(5, q.LIST_MEMBERSHIP, (1,), ring=(1, 8)))
        cs[1].send(q.node_list(5, q.LIST_MEMBERSHIP, (2,), ring=(2, 8)))
        for c in cs:
            xu.drain(c, 0.5)
        xu.wait_for(lambda: find(read_events(out), "cluster_no_vote"), 5.0, "cluster_no_vote")
        evs = read_events(out)
        check(len(find(evs, "vote_changed", QNETD_VOTE="NACK")) == 2, "two NACK changes")
        nv = find(evs, "cluster_no_vote")
        check(len(nv) == 1 and nv[0]["QNETD_CLUSTER"] == "hk" and "QNETD_REASON" in nv[0],
              "cluster_no_vote once: %r" % nv)
        ch = find(evs, "vote_changed", QNETD_VOTE="NACK")
        check(all(e.get("QNETD_PREVIOUS_VOTE") == "ACK" for e in ch), "previous vote given")
        # duplicate node id
        dup = q.Client(d.host, d.port, name="dup")
        dup.do_preinit("hk")
        dup.do_init(node_id=2, error=q.E_DUPLICATE_NODE_ID)
        xu.wait_for(lambda: find(read_events(out), "identity_conflict"), 5.0, "conflict event")
        e = find(read_events(out), "identity_conflict")[0]
        check(e.get("QNETD_NODE_ID") == "2" and e.get("QNETD_PEER_ADDRESS") ==
              "127.0.0.1:%d" % cs[1].sock.getsockname()[1], "conflict names both peers: %r" % e)
        dup.close()
        # leaving
        cs[1].close()
        xu.wait_for(lambda: find(read_events(out), "client_disconnected"), 5.0, "disconnect")
        e = find(read_events(out), "client_disconnected")
        check(len(e) == 1 and e[0]["QNETD_NODE_ID"] == "2" and
              e[0]["QNETD_REASON"] == "closed by peer", "disconnect with reason: %r" % e)
        check(not find(read_events(out), "cluster_gone"), "cluster stays with one client")
        cs[0].close()
        xu.wait_for(lambda: find(read_events(out), "cluster_gone"), 5.0, "cluster_gone")


def tls_events(tmp):
    pki = xu.need_pki()
    out = os.path.join(tmp, "tls-events.txt")
    hook = script(tmp, "record-tls.sh", RECORDER % out)
    with dm.Daemon(tls="on", cert_required="on", pki=pki, settings={"event_hook": hook}) as d:
        w = xu.tls_client(d, "tlsh", pki.client("tlsh", "wrongcn"))
        w.send(q.init(3, 1))
        w.expect_closed()
        xu.wait_for(lambda: find(read_events(out), "certificate_rejected"), 5.0, "cert event")
        e = find(read_events(out), "certificate_rejected")[0]
        check(e["QNETD_CLUSTER"] == "tlsh" and "does not match" in e["QNETD_REASON"] and
              e["QNETD_TLS"] == "yes", "certificate_rejected: %r" % e)
        try:
            u = xu.tls_client(d, "tlsh", pki.client("tlsh", "untrusted"))
            u.send(q.init(3, 1))
            u.recv(timeout=3)
        except (q.Closed, q.Timeout):
            pass
        xu.wait_for(lambda: find(read_events(out), "tls_rejected"), 5.0, "tls_rejected")
        e = find(read_events(out), "tls_rejected")[0]
        check(e["QNETD_REASON"].startswith(("SSL_ERROR_", "SEC_ERROR_", "PR_")),
              "tls_rejected reason is an NSS error name: %r" % e)


def slow_and_failing(tmp):
    mport = dm.free_port()
    hang = script(tmp, "hang.sh", "#!/bin/sh\nexec sleep 30\n")
    s = {"event_hook": hang, "event_hook_timeout": "400", "event_hook_queue": "2",
         "metrics_address": "127.0.0.1:%d" % mport}
    with dm.Daemon(settings=s) as d:
        t0 = time.monotonic()
        cs = []
        for n in range(1, 5):
            c = q.Client(d.host, d.port, name="slow-%d" % n)
            c.handshake("slow", n)
            c.send(q.node_list(3, q.LIST_INITIAL_CONFIG, (1, 2, 3, 4)))
            c.recv()
            cs.append(c)
        took = time.monotonic() - t0
        check(took < 1.0, "a hanging hook does not delay replies (%.2fs)" % took)
        xu.wait_for(lambda: xu.parse_metrics(xu.curl("http://127.0.0.1:%d/metrics" % mport)[1])
                    .get("qnetd_event_hook_timeouts_total", 0) >= 2, 8.0, "hooks killed")
        m = xu.parse_metrics(xu.curl("http://127.0.0.1:%d/metrics" % mport)[1])
        check(m.get("qnetd_event_hook_dropped_total", 0) >= 1, "queue overflow counted: %r" %
              m.get("qnetd_event_hook_dropped_total"))
        check("still running after 400ms: killing it" in d.log(), "kill logged")
        check("Event hook queue full" in d.log(), "drop logged")
        for c in cs:
            c.close()
        # no hook left behind: the killed children are reaped
        time.sleep(0.5)
        kids = subprocess.run(["ps", "-o", "pid=,stat=", "--ppid", str(d.proc.pid)],
                              capture_output=True, text=True).stdout.split("\n")
        check(not any(k.strip().endswith("Z") for k in kids if k.strip()), "no zombies: %r" % kids)
    fail = script(tmp, "fail.sh", "#!/bin/sh\nexit 3\n")
    mport = dm.free_port()
    with dm.Daemon(settings={"event_hook": fail, "metrics_address": "127.0.0.1:%d" % mport}) as d:
        c = q.Client(d.host, d.port)
        c.handshake("fl", 1)
        xu.wait_for(lambda: "exited with status 3" in d.log(), 5.0, "failure logged")
        m = xu.parse_metrics(xu.curl("http://127.0.0.1:%d/metrics" % mport)[1])
        check(m.get("qnetd_event_hook_failures_total", 0) >= 1, "failure counted")
        c.close()
    # a hook that cannot run stops the start-up, with the reason
    bad = os.path.join(tmp, "not-executable")
    open(bad, "w").close()
    d = dm.Daemon(settings={"event_hook": bad})
    try:
        d.start()
        check(False, "daemon started with a non-executable hook")
    except dm.DaemonError as e:
        check("is not executable" in str(e), "reason given: %s" % e)
    finally:
        d.cleanup()


def main():
    xu.require()
    tmp = tempfile.mkdtemp(prefix="qnetd-hooks-")
    try:
        lifecycle(tmp)
        slow_and_failing(tmp)
        tls_events(tmp)
    finally:
        shutil.rmtree(tmp, True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
