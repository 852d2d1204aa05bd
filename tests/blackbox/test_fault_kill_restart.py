#!/usr/bin/env python3
"""SIGKILL during a split storm, then restart.

50 two-node ffsplit clusters (100 qdevice-like clients that reconnect on
close and redo the whole handshake, as qdevice does) get their votes; then
every cluster splits and rejoins repeatedly, and in the middle of that the
daemon is killed with SIGKILL.  The clients keep changing membership while
it is down.  A new daemon is started on the same port: every client must
reconnect, and every cluster must converge to exactly one ACKed partition
(split clusters: node 1, the lowest id, ACK and node 2 NACK; joined
clusters: both ACK), as the clients see it and as `corosync-qnetd-tool -l`
reports it.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import qnetd_client as q  # noqa: E402

CLUSTERS = 50


def tool_list(d):
    tool = os.path.join(os.path.dirname(daemon_mod.default_bin()),
                        "corosync-qnetd-tool")
    if not os.access(tool, os.X_OK):
        tool = daemon_mod.tool_bin()
    p = subprocess.run([tool, "-l", "-p", d.sock_path], capture_output=True,
                       timeout=20)
    return h.list_votes(p.stdout.decode(errors="replace"))


class Cluster:
    def __init__(self, name, port):
        self.name = name
        self.n1 = h.Node("127.0.0.1", port, name, 1, (1, 2), retry=0.3)
        self.n2 = h.Node("127.0.0.1", port, name, 2, (1, 2), retry=0.3)
        self.seq = 1
        self.split = False
        self.n1.ring = self.n2.ring = (1, 1)

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
        if self.split:
            return {1: "ACK", 2: "NACK"}
        return {1: "ACK", 2: "ACK"}


def main():
    binary = daemon_mod.require_bin()
    h.raise_nofile(1024)
    rng = random.Random(50)
    d = h.FixedPortDaemon(binary=binary, debug=False)
    d.start()
    port = d.port
    d2 = None
    try:
        clusters = [Cluster(h.unique("storm"), port) for _ in range(CLUSTERS)]
        nodes = [n for c in clusters for n in (c.n1, c.n2)]
        ok = h.run_nodes(nodes, 30,
                         until=lambda: all(c.converged() for c in clusters))
        h.check(ok, "%d clusters (%d clients) connected and got their votes"
                % (CLUSTERS, len(nodes)))

        # the storm: every cluster splits and rejoins; SIGKILL in the middle
        for rnd in range(8):
            for c in clusters:
                c.set(rng.random() < 0.5)
            h.run_nodes(nodes, 0.15)
            if rnd == 4:
                closes = [n.closes for n in nodes]
                d.proc.kill()
                d.proc.wait()
                h.check(True, "SIGKILL during the storm (round %d)" % rnd)
        h.run_nodes(nodes, 1.0)     # clients see the close, retry, fail
        noticed = sum(1 for n, c in zip(nodes, closes) if n.closes > c)
        h.check(noticed == len(nodes) and all(n.state != "up" for n in nodes),
                "all %d clients saw the connection drop (%d) and are retrying"
                % (len(nodes), noticed))
        connects_before = sum(n.connects for n in nodes)

        d2 = h.FixedPortDaemon(binary=binary, debug=False)
        d2.start_on(port)
        # final membership: half split, half joined
        for i, c in enumerate(clusters):
            c.set(i % 2 == 0)
        t0 = time.monotonic()
        ok = h.run_nodes(nodes, 60,
                         until=lambda: all(c.converged() for c in clusters))
        secs = time.monotonic() - t0
        bad = [(c.name, c.n1.vote, c.n2.vote, c.n1.state, c.n2.state)
               for c in clusters if not c.converged()]
        h.check(ok, "after restart every cluster converged in %.1f s "
                "(not: %s)" % (secs, bad[:5]))
        h.check(all(n.connects >= 2 for n in nodes) and
                sum(n.connects for n in nodes) > connects_before,
                "every client reconnected (connects: %d)"
                % sum(n.connects for n in nodes))
        # stays converged, and the daemon agrees
        h.run_nodes(nodes, 1.0)
        h.check(all(c.converged() for c in clusters),
                "still converged 1 s later")
        votes = tool_list(d2)
        wrong = []
        for c in clusters:
            for nid, v in c.expected().items():
                if votes.get((c.name, nid)) != v:
                    wrong.append((c.name, nid, votes.get((c.name, nid)), v))
        h.check(not wrong, "corosync-qnetd-tool -l: exactly one ACKed "
                "partition per cluster (%d clusters split, %d joined; "
                "wrong: %s)" % (sum(c.split for c in clusters),
                                sum(not c.split for c in clusters), wrong[:5]))
        for n in nodes:
            n.close(time.monotonic())
        h.well_behaved(d2)
        d2.stop()
    finally:
        d.cleanup()
        if d2 is not None:
            d2.cleanup()
    print("kill and restart during a split storm passed")


if __name__ == "__main__":
    main()
