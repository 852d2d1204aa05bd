#!/usr/bin/env python3
"""callgrind_drive.py - the bench's three paths, phase by phase, against a
daemon running under callgrind; dumps callgrind's counters after each.

Usage: callgrind_drive.py PORT DAEMON_PID CLUSTERS ECHOES

Plain TCP (-s off), 2-node ffsplit clusters, as qnetd-bench drives them:
  handshake  connect, PREINIT, INIT, the initial config and the first
             membership (both nodes, one ring): up to the first votes;
  steady     ECHOES echo requests per client (the heartbeat path);
  storm      every cluster splits (each node alone in a new ring), then
             heals (both nodes in a third ring): the vote path.
Start-up is dumped first, as "start".  Each phase ends once every reply is read and the daemon has been silent
for a moment, then `callgrind_control --dump=PHASE` resets the counters.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import qnetd_client as q  # noqa: E402


def dump(pid, name):
    subprocess.run(["callgrind_control", "--dump=" + name, str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def drain(clients):
    """Read until every client has been silent for 0.2 s."""
    for c in clients:
        while True:
            try:
                c.recv(0.2)
            except q.Timeout:
                break


def membership(c, seq, ring, nodes):
    c.send(q.node_list(seq, q.LIST_MEMBERSHIP, nodes=nodes, ring=ring, quorate=1))


def main(argv):
    port, pid, clusters, echoes = int(argv[1]), int(argv[2]), int(argv[3]), int(argv[4])
    dump(pid, "start")  # start-up is no path of the bench's
    clients = []
    for i in range(clusters):
        for node in (1, 2):
            c = q.Client("127.0.0.1", port, "c%d.%d" % (i, node), timeout=60.0,
                         strict=False)
            c.connect()
            # A long heartbeat: callgrind is slow, dead-peer detection must wait.
            c.handshake("cg%d" % i, node, ring=(1, 4), heartbeat=60000)
            c.send(q.node_list(3, q.LIST_INITIAL_CONFIG, nodes=(1, 2)))
            membership(c, 4, (1, 4), (1, 2))
            clients.append(c)
    drain(clients)
    dump(pid, "handshake")
    seq = 10
    for _ in range(echoes):
        for c in clients:
            c.send(q.echo_request(seq))
        for c in clients:
            c.recv(60.0)  # the echo reply
        seq += 1
    dump(pid, "steady")
    for c in clients:
        node = 1 if c.name.endswith(".1") else 2
        membership(c, seq, (node, 5), (node,))
    drain(clients)
    for c in clients:
        membership(c, seq + 1, (1, 6), (1, 2))
    drain(clients)
    dump(pid, "storm")
    for c in clients:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
