#!/usr/bin/env python3
"""Hostile peers on TCP, plain text: random bytes, a header declaring
4 GiB, oversize and unknown-type messages back to back, huge cluster names
and node lists, PREINIT/INIT repeated 10,000 times (resident memory must
not grow), and a 1,000-request pipeline.  After each case a well-behaved
2-node cluster must still connect, INIT and get its vote.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import qnetd_client as q  # noqa: E402

MAX = 32768


def raw_conn(d, timeout=5.0):
    s = socket.create_connection((d.host, d.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def drain(s, seconds):
    """Read whatever comes for `seconds`; (bytes, closed)."""
    got = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            return got, True
        if not chunk:
            return got, True
        got += chunk
    return got, False


def case_random_bytes(d):
    """40 connections of random bytes (1 B .. 256 KiB), some after INIT."""
    rng = random.Random(0x5eed)
    for i in range(40):
        size = rng.choice([1, 5, 6, 7, 100, 1024, 40000, 65536, 262144])
        junk = bytes(rng.getrandbits(8) for _ in range(min(size, 4096)))
        junk = (junk * (size // len(junk) + 1))[:size]
        if i % 4 == 3:
            c = q.Client(d.host, d.port, timeout=5.0)
            c.handshake(h.unique("rnd"), 1)
            s = c.sock
        else:
            s = raw_conn(d)
        try:
            s.sendall(junk)
        except OSError:
            pass    # the daemon may close first: fine
        drain(s, 0.05)
        s.close()
    h.check(d.alive(), "40 connections of random bytes: daemon alive")


def case_4gib_header(d):
    """Headers declaring 0xffffffff bytes: skipped, never allocated."""
    pid = d.proc.pid
    rss0 = h.proc_rss_kb(pid)
    socks = []
    for mtype in (0, 3, 99, 0xffff):
        s = raw_conn(d)
        s.sendall(q.header(mtype, 0xffffffff))
        socks.append(s)
    chunk = b"\0" * 65536
    for s in socks:
        for _ in range(64):         # 4 MiB of "body" each
            s.sendall(chunk)
    time.sleep(0.3)
    rss1 = h.proc_rss_kb(pid)
    for s in socks:
        got, closed = drain(s, 0.2)
        h.check(got == b"" and not closed,
                "4 GiB header: no reply while the body is skipped")
        s.close()
    h.check_rss(pid, rss0, rss1, 4096, "4 GiB headers + 16 MiB of body")


def case_back_to_back(d):
    """Unknown type, oversize, unknown, oversize, then a PREINIT: one write."""
    c = q.Client(d.host, d.port, timeout=5.0)
    burst = (q.frame(99, b"x" * 10) +
             q.header(0, MAX) + b"\0" * MAX +
             q.frame(18, b"\0") +     # empty: Debian answers error 0
             q.header(q.MSG_INIT, 40000) + b"\1" * 40000 +
             q.frame(0xffff, b"y" * 3) +
             q.header(q.MSG_NODE_LIST, 0x7fffffff)[:6])
    c.send(burst)
    # the last header starts a 2 GiB skip that is never finished: check
    # the replies so far, then a fresh connection for the rest.
    c.expect(q.server_error(q.E_UNSUPPORTED_MESSAGE), "unknown type 99")
    c.expect(q.server_error(q.E_MESSAGE_TOO_LONG), "oversize 32768 body")
    c.expect(q.server_error(q.E_UNSUPPORTED_MESSAGE), "unknown type 18")
    c.expect(q.server_error(q.E_MESSAGE_TOO_LONG), "oversize 40000")
    c.expect(q.server_error(q.E_UNSUPPORTED_MESSAGE), "unknown type 65535")
    c.expect_silence(0.3, "inside a 2 GiB skip")
    c.close()
    c = q.Client(d.host, d.port, timeout=5.0)
    for _ in range(50):
        c.send(q.frame(77, b"z" * 100) + q.header(0, 70000) + b"\0" * 70000)
    for _ in range(50):
        c.expect(q.server_error(q.E_UNSUPPORTED_MESSAGE), "unknown x50")
        c.expect(q.server_error(q.E_MESSAGE_TOO_LONG), "oversize x50")
    c.do_preinit(h.unique("b2b"))
    c.do_init(1)
    c.close()
    h.check(True, "oversize and unknown-type messages back to back: "
            "one error each, in order, then a normal session")


def case_cluster_names(d):
    # 6 + seq TLV (8) + name TLV (4 + n) = 32768  =>  n = 32750
    at_limit = "n" * (MAX - 6 - 8 - 4)
    c = q.Client(d.host, d.port, timeout=10.0)
    c.send(q.preinit(1, "x" * 65535))
    c.expect(q.server_error(q.E_MESSAGE_TOO_LONG),
             "PREINIT with a 64 KiB cluster name")
    c.send(q.preinit(2, at_limit + "n"))
    c.expect(q.server_error(q.E_MESSAGE_TOO_LONG),
             "PREINIT one byte over the 32 KiB limit")
    c.expect_open(False)
    c.do_preinit(at_limit, seq=3)
    c.do_init(node_id=1, seq=4)
    c2 = q.Client(d.host, d.port, timeout=10.0)
    c2.do_preinit(at_limit, seq=1)
    c2.do_init(node_id=2, seq=2)
    for cl, s in ((c, 5), (c2, 3)):
        cl.do_node_list(s, q.LIST_INITIAL_CONFIG, (1, 2), (1, 4),
                        q.VOTE_ASK_LATER)
    c.do_node_list(6, q.LIST_MEMBERSHIP, (1, 2), (1, 4),
                   q.VOTE_WAIT_FOR_REPLY, ring=(1, 4))
    c2.send(q.node_list(4, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4)))
    c.expect(q.vote_info(1, q.VOTE_ACK, (1, 4)), "vote, 32 KiB name, node 1")
    c2.expect(q.vote_info(1, q.VOTE_ACK, (1, 4)), "vote, 32 KiB name, node 2")
    st = h.ipc_status(d)
    h.check(st["_rc"] == 0, "IPC status with a 32 KiB cluster connected")
    rc, out, err = d.tool("-l")
    h.check(rc == 0 and at_limit in out,
            "IPC list shows the 32 KiB cluster name (rc %d)" % rc)
    c.close()
    c2.close()
    h.check(True, "64 KiB cluster name refused (error 5), 32 KiB one served")


def case_node_lists(d):
    c = q.Client(d.host, d.port, timeout=10.0)
    c.handshake(h.unique("nl"), 1)
    nodes = list(range(1, 10001))
    c.send(q.node_list(3, q.LIST_INITIAL_CONFIG, nodes, config_version=1))
    c.expect(q.server_error(q.E_MESSAGE_TOO_LONG),
             "config list of 10,000 nodes (120 KiB)")
    c.send(q.node_list(4, q.LIST_MEMBERSHIP, nodes, ring=(1, 5)))
    c.expect(q.server_error(q.E_MESSAGE_TOO_LONG),
             "membership list of 10,000 nodes")
    # the largest list that fits: 6 + 8 + 5 + 12 + 12 n <= 32768
    n = (MAX - 6 - 8 - 5 - 12) // 12
    c.do_node_list(5, q.LIST_INITIAL_CONFIG, list(range(1, n + 1)), (1, 4),
                   q.VOTE_ASK_LATER, config_version=1,
                   what="config list of %d nodes" % n)
    c.do_echo(9)
    c.close()
    h.check(True, "10,000-node lists refused as too long (error 5, like "
            "upstream); the largest that fits (%d) accepted" % n)


def case_node_lists_raised(binary):
    """With max_client_receive_size raised, 10,000 nodes are handled."""
    d = daemon_mod.Daemon(binary=binary,
                          settings={"max_client_receive_size": 1 << 20})
    d.start()
    try:
        cl = h.unique("big")
        nodes = list(range(1, 10001))
        cs = []
        for nid in (1, 2):
            c = q.Client(d.host, d.port, timeout=20.0)
            c.do_preinit(cl)
            c.send(q.init(2, nid, ring=(1, 4)))
            c.expect(q.init_reply(2, max_request=1 << 20), "INIT")
            cs.append(c)
        for c in cs:
            c.do_node_list(3, q.LIST_INITIAL_CONFIG, nodes, (1, 4),
                           q.VOTE_ASK_LATER, config_version=1)
        start = time.monotonic()
        cs[0].do_node_list(4, q.LIST_MEMBERSHIP, nodes, (1, 4),
                           q.VOTE_WAIT_FOR_REPLY, ring=(1, 4))
        cs[1].send(q.node_list(4, q.LIST_MEMBERSHIP, nodes, ring=(1, 4)))
        cs[0].expect(q.vote_info(1, q.VOTE_ACK, (1, 4)), "10k: vote node 1")
        cs[1].expect(q.vote_info(1, q.VOTE_ACK, (1, 4)), "10k: vote node 2")
        secs = time.monotonic() - start
        rc, out, _ = d.tool("-l", timeout=30)
        h.check(rc == 0 and "10000" in out, "IPC list of 10,000-node lists")
        h.check(secs < 5.0, "max_client_receive_size=1 MiB: 10,000-node "
                "lists handled, vote in %.2f s" % secs)
        for c in cs:
            c.close()
        h.well_behaved(d)
        d.stop()
    finally:
        d.cleanup()


def case_repeat(d):
    """PREINIT and INIT repeated 10,000 times: RSS does not grow."""
    pid = d.proc.pid
    name = h.unique("rep") + "-" + "r" * 1000     # a leak would show

    def rounds(c, n, seq, initialized):
        for base in range(0, n, 16):
            burst = b""
            for i in range(16):
                burst += q.preinit(seq, name)
                burst += q.init(seq + 1, node_id=1)
                seq += 2
            c.send(burst)
            for i in range(16):
                s = seq - 32 + 2 * i
                c.expect(q.preinit_reply(s), "repeated PREINIT")
                c.expect(q.init_reply(s + 1, q.E_DUPLICATE_NODE_ID
                                      if initialized else q.E_NO_ERROR),
                         "repeated INIT")
        return seq

    def preinits(c, n, seq):
        for base in range(0, n, 16):
            c.send(b"".join(q.preinit(seq + i, name + str(i % 3))
                            for i in range(16)))
            for i in range(16):
                c.expect(q.preinit_reply(seq + i), "repeated PREINIT")
            seq += 16
        return seq

    # before INIT: the name is replaced each time
    c = q.Client(d.host, d.port, timeout=10.0)
    seq = preinits(c, 1008, 1)
    rss0 = h.proc_rss_kb(pid)
    seq = preinits(c, 10000, seq)
    rss1 = h.proc_rss_kb(pid)
    h.check_rss(pid, rss0, rss1, 1024, "PREINIT x10,000 (1 KiB names) before INIT")
    c.close()
    # after INIT: PREINIT + INIT (error 17) pairs
    c = q.Client(d.host, d.port, timeout=10.0)
    c.do_preinit(name)
    c.do_init(1)
    seq = rounds(c, 1008, 3, True)
    rss0 = h.proc_rss_kb(pid)
    seq = rounds(c, 10000, seq, True)
    rss1 = h.proc_rss_kb(pid)
    h.check_rss(pid, rss0, rss1, 1024, "PREINIT+INIT x10,000 on one connection")
    c.do_echo(1)
    c.close()


def case_pipeline(d):
    """1,000 requests in one write are all answered (the client reads)."""
    c = q.Client(d.host, d.port, timeout=10.0)
    c.handshake(h.unique("pipe"), 1)
    reqs = [q.echo_request(i) for i in range(1000)]
    c.send(b"".join(reqs))
    for r in reqs:
        c.expect(q.echo_reply_of(r), "pipelined echo")
    c.send(b"".join(q.preinit(i, "p") for i in range(100)))
    for i in range(100):
        c.expect(q.preinit_reply(i), "pipelined PREINIT after INIT")
    c.close()
    h.check(True, "1,000 pipelined ECHO_REQUESTs in one write: 1,000 replies "
            "(the send queue limit is for peers that do not read)")


def main():
    binary = daemon_mod.require_bin()
    d = daemon_mod.Daemon(binary=binary, debug=False)
    d.start()
    try:
        for case in (case_random_bytes, case_4gib_header, case_back_to_back,
                     case_cluster_names, case_node_lists, case_repeat,
                     case_pipeline):
            print("--- %s" % case.__name__)
            try:
                case(d)
            except (q.ProtocolMismatch, q.Closed, q.Timeout) as e:
                h.fail("%s: %s\n%s" % (case.__name__, e, h.tail(d.log())))
            h.check(d.alive(), "%s: daemon alive" % case.__name__)
            h.well_behaved(d)
        print("--- case_node_lists_raised")
        case_node_lists_raised(binary)
        d.stop()
    finally:
        d.cleanup()
    print("all hostile frame cases passed")


if __name__ == "__main__":
    main()
