#!/usr/bin/env python3
"""-S workers=N seen from outside: one daemon.

- A second PREINIT that renames the cluster before INIT moves the client
  to the worker that owns the new name (while still plain text): the
  client then meets the rest of that cluster (a duplicate node id is
  refused), for 16 renames, so that some surely cross workers.
- corosync-qnetd-tool -l lists the clusters of all workers in creation
  order, -s counts them all; /metrics adds the workers' numbers up.
- Event hooks fire once per event (cluster_appeared once per cluster).
- SIGHUP reloads every worker.
- -m counts the clients of every worker.
- Each worker raises its own descriptor limit: under a hard limit of 64
  descriptors per process, 4 workers hold 120 clients (one process
  could hold about 55).

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import qnetd_client as q  # noqa: E402

RENAMES = 16


def tool(d, *args):
    binary = os.path.join(os.path.dirname(daemon_mod.default_bin()),
                          "corosync-qnetd-tool")
    if not os.access(binary, os.X_OK):
        binary = daemon_mod.tool_bin()
    p = subprocess.run([binary, *args, "-p", d.sock_path],
                       capture_output=True, timeout=20)
    return p.stdout.decode(errors="replace")


def client(d, name):
    return q.Client(d.host, d.port, name=name)


def renames(d, hook_log):
    keep = []
    for i in range(RENAMES):
        a = client(d, "a%d" % i)
        a.do_preinit("old-%d" % i)
        a.do_preinit("new-%d" % i, seq=7)
        a.do_init(node_id=1)
        b = client(d, "b%d" % i)
        b.do_preinit("new-%d" % i)
        b.send_raw(q.init(2, 1))
        b.expect(q.init_reply(2, q.E_DUPLICATE_NODE_ID),
                 "node 1 of new-%d is already connected (renamed client)" % i)
        keep += [a, b]
    h.check(True, "%d renamed clients each found the rest of their new cluster" % RENAMES)
    handed = len(re.findall(r"handed over", d.log()))
    h.check(handed > 0, "renames crossed workers (%d handed over)" % handed)

    listing = tool(d, "-l")
    names = re.findall(r'^Cluster "(.*)":', listing, re.M)
    want = ["new-%d" % i for i in range(RENAMES)]
    h.check(names == want, "-l lists every worker's clusters in creation order: %s" % names)
    status = tool(d, "-s")
    h.check("Connected clients:\t\t%d\n" % (2 * RENAMES) in status and
            "Connected clusters:\t\t%d\n" % RENAMES in status,
            "-s counts all workers:\n%s" % status)
    metrics = urllib.request.urlopen("http://%s/metrics" % d.metrics_addr,
                                     timeout=10).read().decode()
    h.check(re.search(r"^qnetd_clients_connected %d$" % (2 * RENAMES), metrics, re.M) and
            re.search(r"^qnetd_clusters_connected %d$" % RENAMES, metrics, re.M) and
            len(re.findall(r"^qnetd_cluster_clients\{", metrics, re.M)) == RENAMES and
            metrics.count("# TYPE qnetd_cluster_clients gauge") == 1,
            "/metrics: one exposition, every worker's clients and clusters")
    h.wait_for(lambda: open(hook_log).read().count("cluster_appeared") >= RENAMES, 10)
    time.sleep(0.5)
    events = open(hook_log).read().split()
    h.check(events.count("cluster_appeared") == RENAMES,
            "event hook: cluster_appeared once per cluster (%d)"
            % events.count("cluster_appeared"))
    return keep


def reload_all(d, workers):
    d.proc.send_signal(signal.SIGHUP)
    ok = h.wait_for(lambda: len(re.findall(r"\[worker \d+\] SIGHUP received: reloading",
                                           d.log())) == workers, 10)
    h.check(ok, "SIGHUP reloaded each of the %d workers" % workers)


def max_clients():
    d = daemon_mod.Daemon(max_clients=6, settings={"workers": 2})
    d.start()
    try:
        cs = []
        for i in range(6):
            c = client(d, "m%d" % i)
            c.handshake(cluster="max-%d" % i, node_id=1)
            cs.append(c)
        extra = client(d, "over")
        extra.expect_closed(what="the 7th client is refused (-m 6 across workers)")
        status = tool(d, "-s")
        h.check("Connected clients:\t\t6\n" in status, "-m 6: six clients held:\n%s" % status)
        for c in cs:
            c.close()
        d.stop()
    finally:
        d.cleanup()


class LimitedDaemon(daemon_mod.Daemon):
    """The daemon under a hard descriptor limit (prlimit execs it: same pid)."""

    def argv(self):
        return ["prlimit", "--nofile=64:64", "--"] + super().argv()


def descriptor_limit():
    if not shutil_which("prlimit"):
        h.check(True, "SKIPPED descriptor limit (no prlimit)")
        return
    h.raise_nofile(1024)
    d = LimitedDaemon(settings={"workers": 4}, debug=False)
    d.start()
    try:
        clusters = [(h.Node("127.0.0.1", d.port, "fd-%d" % i, 1, (1, 2)),
                     h.Node("127.0.0.1", d.port, "fd-%d" % i, 2, (1, 2)))
                    for i in range(60)]
        nodes = [n for pair in clusters for n in pair]
        ok = h.run_nodes(nodes, 60, until=lambda: all(n.state == "up" for n in nodes))
        status = tool(d, "-s")
        h.check(ok and "Connected clients:\t\t120\n" in status,
                "4 workers under a 64-descriptor limit hold 120 clients:\n%s" % status)
        for n in nodes:
            n.close(time.monotonic())
        d.stop()
    finally:
        d.cleanup()


def shutil_which(name):
    for p in os.environ.get("PATH", "").split(":"):
        if os.access(os.path.join(p, name), os.X_OK):
            return True
    return False


def main():
    daemon_mod.require_bin()
    tmp = daemon_mod.tempfile.mkdtemp(prefix="qnetd-wk-")
    hook = os.path.join(tmp, "hook.sh")
    hook_log = os.path.join(tmp, "events")
    with open(hook, "w") as f:
        f.write('#!/bin/sh\necho "$QNETD_EVENT" >> %s\n' % hook_log)
    os.chmod(hook, stat.S_IRWXU)
    open(hook_log, "w").close()
    port = daemon_mod.free_port()
    d = daemon_mod.Daemon(settings={"workers": 2, "event_hook": hook,
                                    "metrics_address": "127.0.0.1:%d" % port})
    d.metrics_addr = "127.0.0.1:%d" % port
    d.start()
    try:
        keep = renames(d, hook_log)
        reload_all(d, 2)
        for c in keep:
            c.close()
        d.stop()
    finally:
        d.cleanup()
        daemon_mod.shutil.rmtree(tmp, True)
    max_clients()
    descriptor_limit()
    print("workers: one daemon from outside passed")


if __name__ == "__main__":
    main()
