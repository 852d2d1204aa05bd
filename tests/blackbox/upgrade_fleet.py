# SPDX-License-Identifier: BSD-3-Clause
"""Simulated qdevice nodes for test_upgrade.sh: each node is a thread that
keeps one TLS connection to the arbiter on 127.0.0.1:5403 the way
corosync-qdevice does (PREINIT, STARTTLS with its cluster certificate,
INIT, keep-active-partition, node lists, ECHO heartbeats, VOTE_INFO
replies) and reconnects whenever the connection goes away.  Every
connection, loss and vote is recorded with a monotonic time stamp, so the
driver can measure the gap an upgrade causes and where each vote went.

A node that holds the vote of a split cluster reconnects late (SLOW_S):
the order in which a real cluster's nodes come back is a matter of
chance, and this is the order in which an arbiter without a memory of the
vote would move it."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import qnetd_client as q  # noqa: E402

HOST, PORT = "127.0.0.1", 5403
HB = 4000           # ms; the vote memory is valid for 3, the grace is 2
FAST_S, SLOW_S = 0.1, 1.0


class Node(threading.Thread):
    def __init__(self, cluster, node_id, algorithm, members, ring, quorate,
                 pem, ca, kap, split):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.node_id = node_id
        self.algorithm = algorithm
        self.members = members
        self.ring = ring
        self.quorate = quorate
        self.pem = pem
        self.ca = ca
        self.kap = kap
        self.split = split
        self.name = "%s/%d" % (cluster, node_id)
        self.lock = threading.Lock()
        self.events = []        # (t, kind, detail): up, down, vote, refused
        self.vote = None
        self.connected = False
        self.halt = threading.Event()
        self.client = None

    def record(self, kind, detail=None):
        with self.lock:
            self.events.append((time.monotonic(), kind, detail))
            if kind == "vote":
                self.vote = detail
            elif kind == "up":
                self.connected = True
            elif kind == "down":
                self.connected = False
                self.vote = None

    def state(self):
        with self.lock:
            return self.connected, self.vote

    def since(self, t0):
        with self.lock:
            return [e for e in self.events if e[0] >= t0]

    def open(self):
        """One connection up to the node lists; raises on any refusal."""
        c = q.Client(HOST, PORT, self.name, timeout=3.0, strict=False)
        self.client = c
        c.send(q.preinit(1, self.cluster))
        m = c.recv()
        if m.type != q.MSG_PREINIT_REPLY:
            raise q.Closed("PREINIT answered by %s" % m.name)
        c.starttls(2, self.pem, self.pem, self.ca)
        c.send(q.init(3, self.node_id, self.algorithm, HB))
        m = c.recv()
        if m.type != q.MSG_INIT_REPLY or m.error != q.E_NO_ERROR:
            raise q.Closed("INIT refused: %s" % m.describe()[:200])
        seq = 4
        if self.kap:
            c.send(q.set_option(seq, kap=1))
            seq += 1
        c.send(q.node_list(seq, q.LIST_INITIAL_CONFIG, (1, 2)))
        c.send(q.node_list(seq + 1, q.LIST_MEMBERSHIP, self.members,
                           self.ring))
        c.send(q.node_list(seq + 2, q.LIST_QUORUM, self.members,
                           quorate=self.quorate))
        self.record("up")
        return c, seq + 3

    def serve(self, c, seq):
        """Heartbeats and votes until the connection goes away."""
        next_echo = time.monotonic()
        while not self.halt.is_set():
            now = time.monotonic()
            if now >= next_echo:
                c.send(q.echo_request(seq))
                seq += 1
                next_echo = now + HB / 2000.0
            try:
                m = c.recv(0.1)
            except q.Timeout:
                continue
            if m.type == q.MSG_VOTE_INFO:
                c.send(q.vote_info_reply(m.seq))
            if m.get(q.OPT_VOTE) is not None:
                v = m.u8(q.OPT_VOTE)
                if v in (q.VOTE_ACK, q.VOTE_NACK) and v != self.vote:
                    self.record("vote", v)

    def run(self):
        while not self.halt.is_set():
            held = False
            try:
                c, seq = self.open()
                self.serve(c, seq)
            except (q.Closed, q.Timeout, OSError) as e:
                held = self.split and self.vote == q.VOTE_ACK
                if self.connected:
                    self.record("down", str(e)[:80])
                elif not isinstance(e, (ConnectionRefusedError,)):
                    self.record("refused", str(e)[:80])
            finally:
                if self.client is not None:
                    self.client.close()
            if not self.halt.is_set():
                time.sleep(SLOW_S if held else FAST_S)

    def stop(self):
        self.halt.set()
        self.join(5)


class Prober(threading.Thread):
    """TCP connect to the port every 50 ms: when it was not listening."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples = []       # (t, ok)
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            ok = True
            try:
                socket.create_connection((HOST, PORT), 0.5).close()
            except OSError:
                ok = False
            self.samples.append((time.monotonic(), ok))
            time.sleep(0.05)

    def gap(self, t0):
        """(first refusal, first success after the last refusal) after t0,
        or None when the port never refused."""
        s = [x for x in self.samples if x[0] >= t0]
        fails = [t for t, ok in s if not ok]
        if not fails:
            return None
        back = [t for t, ok in s if ok and t > fails[-1]]
        return fails[0], (back[0] if back else None)

    def stop(self):
        self.halt.set()
        self.join(2)
