#!/usr/bin/env python3
"""SIGKILL one worker process (-S workers=3) during a split storm.

30 two-node ffsplit clusters (60 qdevice-like clients that reconnect on
close, as qdevice does) spread over 3 workers get their votes; then every
cluster splits and rejoins repeatedly, and in the middle of that one
worker is killed with SIGKILL.  Required:
- the clients of the other workers never lose their connection, and
  their clusters keep deciding every round (exactly one ACKed partition
  each) while the killed worker is down and restarted;
- the killed worker's clients see the drop, reconnect to the restarted
  worker and their clusters converge too;
- the parent logs the death and the restart, runs 3 workers again, and
  corosync-qnetd-tool -l / -s agree with the clients;
- SIGTERM stops the parent and every worker, exit status 0.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import random
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import qnetd_client as q  # noqa: E402

CLUSTERS = 30
WORKERS = 3


def children(pid):
    """Pids whose parent is pid (from /proc/*/stat)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # the command is in brackets and may hold spaces: fields after ')'
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return sorted(out)


def tool(d, *args):
    binary = os.path.join(os.path.dirname(daemon_mod.default_bin()),
                          "corosync-qnetd-tool")
    if not os.access(binary, os.X_OK):
        binary = daemon_mod.tool_bin()
    p = subprocess.run([binary, *args, "-p", d.sock_path],
                       capture_output=True, timeout=20)
    return p.stdout.decode(errors="replace")


def tool_votes(d):
    return h.list_votes(tool(d, "-l"))

class Cluster:
    def __init__(self, name, port):
        self.name = name
        self.n1 = h.Node("127.0.0.1", port, name, 1, (1, 2), retry=0.3)
        self.n2 = h.Node("127.0.0.1", port, name, 2, (1, 2), retry=0.3)
        self.seq = 1
        self.split = False
        self.n1.ring = self.n2.ring = (1, 1)

    def nodes(self):
        return (self.n1, self.n2)

    def set(self, split):
        self.seq += 1
        self.split = split
        if split:
            self.n1.set_membership((1, self.seq), (1,))
            self.n2.set_membership((2, self.seq), (2,))
        else:
            self.n1.set_membership((1, self.seq), (1, 2))
            self.n2.set_membership((1, self.seq), (1, 2))

    def converged(self):
        if self.split:
            return self.n1.vote == q.VOTE_ACK and self.n2.vote == q.VOTE_NACK
        return self.n1.vote == q.VOTE_ACK and self.n2.vote == q.VOTE_ACK

    def expected(self):
        return {1: "ACK", 2: "NACK"} if self.split else {1: "ACK", 2: "ACK"}


def storm_round(rng, clusters, nodes, who, timeout=5.0):
    """Every cluster changes membership; the clusters in `who` must decide."""
    for c in clusters:
        c.set(rng.random() < 0.5)
    return h.run_nodes(nodes, timeout, until=lambda: all(c.converged() for c in who))


def main():
    binary = daemon_mod.require_bin()
    h.raise_nofile(1024)
    rng = random.Random(14)
    d = h.FixedPortDaemon(binary=binary, debug=bool(os.environ.get("VERBOSE")),
                          settings={"workers": WORKERS})
    d.start()
    try:
        run(d, rng)
    except SystemExit:
        if os.environ.get("VERBOSE"):
            print("parent status:", d.proc.poll() if d.proc else None)
            print(d.log())
        raise
    finally:
        d.cleanup()
    print("kill one worker during a split storm passed")


def run(d, rng):
    clusters = [Cluster(h.unique("wk"), d.port) for _ in range(CLUSTERS)]
    nodes = [n for c in clusters for n in c.nodes()]
    ok = h.run_nodes(nodes, 30, until=lambda: all(c.converged() for c in clusters))
    h.check(ok, "%d clusters (%d clients) connected and got their votes"
            % (CLUSTERS, len(nodes)))
    workers = children(d.proc.pid)
    h.check(len(workers) == WORKERS, "%d worker processes (%s)" % (WORKERS, workers))

    for _ in range(3):
        h.check(storm_round(rng, clusters, nodes, clusters),
                "storm round before the kill: every cluster decided")
    before = {id(n): (n.closes, n.connects) for n in nodes}
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    t_kill = time.monotonic()
    h.run_nodes(nodes, 0.3)
    hit = [c for c in clusters if any(n.closes > before[id(n)][0] for n in c.nodes())]
    spared = [c for c in clusters if c not in hit]
    h.check(hit and spared, "the killed worker held %d clusters, the others %d"
            % (len(hit), len(spared)))

    # the other workers' clusters decide every round, restart or not
    rounds = 0
    while time.monotonic() - t_kill < 3.0 or rounds < 5:
        ok = storm_round(rng, clusters, nodes, spared, 3.0)
        h.check(ok, "round %d after the kill: the %d clusters of the other workers decided "
                "(not: %s)" % (rounds, len(spared),
                               [(c.name, c.split, c.n1.vote, c.n2.vote, c.n1.state, c.n2.state)
                                for c in spared if not c.converged()][:4]))
        rounds += 1
    untouched = all((n.closes, n.connects) == before[id(n)]
                    for c in spared for n in c.nodes())
    h.check(untouched, "no client of the other workers lost its connection")

    for i, c in enumerate(clusters):
        c.set(i % 2 == 0)
    t0 = time.monotonic()
    ok = h.run_nodes(nodes, 60, until=lambda: all(c.converged() for c in clusters))
    bad = [(c.name, c.n1.vote, c.n2.vote) for c in clusters if not c.converged()]
    h.check(ok, "after the restart every cluster converged in %.1f s (not: %s)"
            % (time.monotonic() - t0, bad[:5]))
    h.check(all(n.connects > before[id(n)][1] for c in hit for n in c.nodes()),
            "every client of the killed worker reconnected")
    h.run_nodes(nodes, 0.5)

    votes = tool_votes(d)
    wrong = [(c.name, nid, votes.get((c.name, nid)), v) for c in clusters
             for nid, v in c.expected().items() if votes.get((c.name, nid)) != v]
    h.check(not wrong, "corosync-qnetd-tool -l agrees with every client (wrong: %s)"
            % wrong[:5])
    status = tool(d, "-s")
    h.check("Connected clients:\t\t%d\n" % len(nodes) in status and
            "Connected clusters:\t\t%d\n" % CLUSTERS in status,
            "corosync-qnetd-tool -s counts every worker's clients:\n%s" % status)
    now = children(d.proc.pid)
    h.check(len(now) == WORKERS and victim not in now,
            "%d workers again, the killed one replaced (%s)" % (WORKERS, now))
    log = d.log()
    h.check(re.search(r"Worker \d+ was killed by signal 9 holding \d+ clients", log) and
            re.search(r"Worker \d+ restarted \(pid \d+\)", log),
            "the parent logged the death and the restart")

    for n in nodes:
        n.close(time.monotonic())
    d.stop()
    h.check(all(not os.path.exists("/proc/%d" % p) for p in now),
            "SIGTERM stopped the parent and every worker (exit status 0)")


if __name__ == "__main__":
    main()
