#!/usr/bin/env python3
"""Black-box: the daemon restarts during a standing split and the vote
stays where it was (docs/compat.md, "Restart during a standing split").

Two nodes, heartbeat 2000 ms (grace 4 s, memory fresh for 6 s), dead-peer
detection off so that the test clients need not echo.  Node 2 alone holds
the vote, node 1 comes back unable to see node 2 and keep-active-partition
keeps the vote on node 2.  Then, each time with a new daemon on the same
state directory:

  1. node 1 reconnects first: no ACK while node 2 may still come back;
     node 2 reconnects: ACK to node 2, NACK to node 1;
  2. only node 1 reconnects: NACK, then ACK once the grace (2 heartbeats)
     is over;
  3. the file's stamp is older than 3 heartbeats: ignored (log line),
     the first one back wins as upstream;
  4. a corrupted file: ignored with a log line, the daemon serves;
  5. lms: node 1 first waits, node 2 gets the vote back.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as dm  # noqa: E402
import qnetd_client as q  # noqa: E402

HB = 2000
CLUSTER = "restart-split"


class Node:
    """A minimal qdevice: reports its partition, answers VOTE_INFO and
    remembers the last ACK/NACK it was given."""

    def __init__(self, d, node_id, algorithm, kap):
        self.id = node_id
        self.vote = None
        self.seq = 10
        self.c = q.Client(d.host, d.port, "n%d" % node_id, timeout=3.0,
                          strict=True)
        self.c.do_preinit(CLUSTER)
        self.c.do_init(node_id=node_id, algorithm=algorithm, heartbeat=HB)
        if kap:
            self.c.do_set_option(kap=1)

    def send(self, msg):
        self.c.send(msg)

    def report(self):
        """Config, then membership (alone on its own ring), then quorum."""
        ring = (self.id, 100 + self.id)
        self.seq += 1
        self.send(q.node_list(self.seq, q.LIST_INITIAL_CONFIG, (1, 2)))
        self.seq += 1
        self.send(q.node_list(self.seq, q.LIST_MEMBERSHIP, (self.id,), ring))
        self.seq += 1
        self.send(q.node_list(self.seq, q.LIST_QUORUM, (self.id,),
                              quorate=0))

    def pump(self, seconds):
        """Read for `seconds`, answering VOTE_INFO; the last vote seen."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return self.vote
            try:
                m = self.c.recv(min(left, 0.2))
            except q.Timeout:
                continue
            v = m.u8(q.OPT_VOTE) if m.get(q.OPT_VOTE) is not None else None
            if m.type == q.MSG_VOTE_INFO:
                self.send(q.vote_info_reply(m.seq))
            if v in (q.VOTE_ACK, q.VOTE_NACK):
                self.vote = v

    def close(self):
        self.c.close()


def pump_all(nodes, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for n in nodes:
            n.pump(0.05)
    return [n.vote for n in nodes]


def name(v):
    return q.VOTE_NAMES.get(v, str(v))


def expect(cond, text):
    if not cond:
        raise AssertionError(text)
    print("ok: %s" % text)


class Story:
    def __init__(self, binary, state):
        self.binary = binary
        self.state = state
        self.d = None
        self.logs = []

    def start(self):
        self.d = dm.Daemon(binary=self.binary, settings={
            "state_dir": self.state, "dpd_enabled": "off"})
        self.d.start()
        return self.d

    def stop(self, *nodes):
        """The arbiter stops first (SIGTERM): the clients did not leave,
        the daemon went away under them, as at an upgrade."""
        self.logs.append(self.d.log())
        self.d.stop()
        self.d.cleanup()
        self.d = None
        for n in nodes:
            n.close()

    def node(self, node_id, algorithm=q.ALGO_FFSPLIT, kap=True):
        n = Node(self.d, node_id, algorithm, kap)
        n.report()
        return n

    def memory(self):
        with open(os.path.join(self.state, "vote-memory")) as f:
            return f.read()

    def wait_memory(self, pattern, seconds=3.0):
        """The memory is written from a 1 s timer, not on the vote path."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                if re.search(pattern, self.memory(), re.M):
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("memory never matched %r:\n%s" % (
            pattern, self.memory()))


def hexname():
    return CLUSTER.encode().hex()


def standing_split(s):
    """Node 2 alone holds the vote; node 1 returns, cannot see node 2."""
    s.start()
    n2 = s.node(2)
    expect(n2.pump(1.0) == q.VOTE_ACK, "node 2 alone: ACK")
    n1 = s.node(1)
    v1, v2 = pump_all([n1, n2], 1.0)
    expect((v1, v2) == (q.VOTE_NACK, q.VOTE_ACK),
           "node 1 back, split: KAP keeps the vote on node 2 (%s, %s)" %
           (name(v1), name(v2)))
    s.wait_memory(r"^c 1 %d %s 1 2$" % (HB, hexname()))
    st = os.stat(os.path.join(s.state, "vote-memory"))
    expect(st.st_mode & 0o777 == 0o600, "vote-memory is mode 0600")
    s.stop(n1, n2)


def remembered_returns(s):
    # Written by a worker process: every process reads every file.
    os.rename(os.path.join(s.state, "vote-memory"),
              os.path.join(s.state, "vote-memory.7"))
    s.start()
    n1 = s.node(1)
    v1 = n1.pump(1.0)
    expect(v1 == q.VOTE_NACK, "restart, node 1 first: NACK (%s)" % name(v1))
    n2 = s.node(2)
    v1, v2 = pump_all([n1, n2], 1.0)
    expect((v1, v2) == (q.VOTE_NACK, q.VOTE_ACK),
           "node 2 back within the grace: the vote is node 2's (%s, %s)" %
           (name(v1), name(v2)))
    expect("vote-memory.7: " not in s.d.log() and
           "remembered" in s.d.log(), "vote-memory.7 (a worker's file) read")
    s.stop(n1, n2)
    os.unlink(os.path.join(s.state, "vote-memory.7"))


def grace_expires(s):
    s.start()
    t0 = time.monotonic()
    n1 = s.node(1)
    v1 = n1.pump(1.0)
    expect(v1 == q.VOTE_NACK, "restart, only node 1: NACK at first")
    while n1.vote != q.VOTE_ACK and time.monotonic() - t0 < 4 * HB / 1000:
        n1.pump(0.1)
    took = time.monotonic() - t0
    expect(n1.vote == q.VOTE_ACK,
           "grace over: node 1 gets ACK after %.1f s" % took)
    expect(1.5 * HB / 1000 <= took <= 3 * HB / 1000,
           "the grace is 2 heartbeats (%.1f s, %d ms)" % (took, 2 * HB))
    s.wait_memory(r"^c 1 %d %s 1 1$" % (HB, hexname()))
    s.stop(n1)


def stale_ignored(s):
    path = os.path.join(s.state, "vote-memory")
    text = s.memory()
    old = int(time.time() * 1000) - 3 * HB - 5000
    text = re.sub(r"^stamp \d+$", "stamp %019d" % old, text, flags=re.M)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    s.start()
    n2 = s.node(2)
    v2 = n2.pump(1.0)
    expect(v2 == q.VOTE_ACK, "stale memory (node 1's): node 2 first gets ACK")
    expect("stale, ignored" in s.d.log(), "the stale memory is logged")
    s.stop(n2)


def corrupted_ignored(s):
    path = os.path.join(s.state, "vote-memory")
    with open(path, "w") as f:
        f.write("qnetd-vote-memory 1\nstamp %019d\nc 1 2000 zz 1 2\nend 1\n"
                % int(time.time() * 1000))
    os.chmod(path, 0o600)
    s.start()
    n1 = s.node(1)
    v1 = n1.pump(1.0)
    expect(v1 == q.VOTE_ACK, "corrupted memory: node 1 first gets ACK")
    expect(re.search(r"vote memory: .*malformed at line 3; ignored", s.d.log()),
           "the corrupted file is logged")
    s.stop(n1)


def lms_story(s):
    s.start()
    n2 = s.node(2, q.ALGO_LMS, kap=False)
    expect(n2.pump(1.0) == q.VOTE_ACK, "lms: node 2 alone: ACK")
    n1 = s.node(1, q.ALGO_LMS, kap=False)
    v1, v2 = pump_all([n1, n2], 0.5)
    expect((v1, v2) == (q.VOTE_NACK, q.VOTE_ACK),
           "lms: node 1 back, split: node 2 keeps the vote")
    s.wait_memory(r"^c 3 %d %s 1 2$" % (HB, hexname()))
    s.stop(n1, n2)
    s.start()
    n1 = s.node(1, q.ALGO_LMS, kap=False)
    v1 = n1.pump(1.0)
    expect(v1 is None, "lms restart, node 1 first: no vote yet (waits)")
    n2 = s.node(2, q.ALGO_LMS, kap=False)
    v1, v2 = pump_all([n1, n2], 1.5)
    expect((v1, v2) == (q.VOTE_NACK, q.VOTE_ACK),
           "lms: node 2 back within the grace gets the vote (%s, %s)" %
           (name(v1), name(v2)))
    s.stop(n1, n2)


def main():
    binary = dm.require_bin()
    if not dm.is_ours(binary):
        dm.skip("the vote memory is ours; %s is not" % binary)
    state = tempfile.mkdtemp(prefix="qnetd-bb-state-")
    s = Story(binary, state)
    try:
        standing_split(s)
        remembered_returns(s)
        grace_expires(s)
        stale_ignored(s)
        corrupted_ignored(s)
        lms_story(s)
    except (AssertionError, q.ProtocolMismatch, q.Closed, dm.DaemonError) as e:
        print("FAIL: %s" % e)
        if s.d is not None:
            print("daemon log:\n%s" % s.d.log()[-4000:])
            s.d.cleanup()
        return 1
    finally:
        for f in os.listdir(state):
            os.unlink(os.path.join(state, f))
        os.rmdir(state)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
