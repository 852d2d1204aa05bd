#!/usr/bin/env python3
"""Descriptor exhaustion: the daemon's RLIMIT_NOFILE is cut to 64 (soft and
hard, with prlimit on the running process, so it cannot raise it back)
and 200 connections are thrown at it.  The listener must pause instead of
spinning (daemon CPU time over 5 s of pressure < 0.5 s; the opt-in
metrics listener, with a connection waiting, included), say so in the
log without flooding it, keep serving the clients it already has (echo,
a membership change and its vote), and resume accepting once
descriptors are free again.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import qnetd_client as q  # noqa: E402

LIMIT = 64


def main():
    binary = daemon_mod.require_bin()
    if not hasattr(resource, "prlimit"):
        daemon_mod.skip("python has no resource.prlimit")
    # with the opt-in metrics endpoint too: its listener must pause as well
    mport = daemon_mod.free_port()
    d = daemon_mod.Daemon(binary=binary, debug=False, settings={
        "metrics_address": "127.0.0.1:%d" % mport})
    try:
        d.start()
    except daemon_mod.DaemonError:
        d.cleanup()
        mport = None
        d = daemon_mod.Daemon(binary=binary, debug=False)
        d.start()
    flood = []
    try:
        pid = d.proc.pid
        # a working cluster before the pressure
        cl = h.unique("fd")
        c1 = q.Client(d.host, d.port, timeout=5.0)
        c2 = q.Client(d.host, d.port, timeout=5.0)
        c1.handshake(cl, 1)
        c2.handshake(cl, 2)
        for c in (c1, c2):
            c.do_node_list(3, q.LIST_INITIAL_CONFIG, (1, 2), (1, 4),
                           q.VOTE_ASK_LATER)
        c1.do_node_list(4, q.LIST_MEMBERSHIP, (1, 2), (1, 4),
                        q.VOTE_WAIT_FOR_REPLY, ring=(1, 4))
        c2.send(q.node_list(4, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4)))
        c1.expect(q.vote_info(1, q.VOTE_ACK, (1, 4)))
        c2.expect(q.vote_info(1, q.VOTE_ACK, (1, 4)))
        c2.expect(q.node_list_reply(4, q.LIST_MEMBERSHIP, (1, 4),
                                    q.VOTE_NO_CHANGE))
        c1.do_vote_info_reply(1)
        c2.do_vote_info_reply(1)

        resource.prlimit(pid, resource.RLIMIT_NOFILE, (LIMIT, LIMIT))
        for i in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect((d.host, d.port))     # completes in the backlog
            flood.append(s)
        if mport is not None:
            # queued on the metrics listener, which cannot accept it now
            flood.append(socket.create_connection(("127.0.0.1", mport), timeout=5))
        time.sleep(0.5)
        fds = h.proc_fds(pid)
        h.check(fds <= LIMIT, "daemon at its descriptor limit: %d fds "
                "(limit %d)" % (fds, LIMIT))
        cpu0 = h.proc_cpu_s(pid)
        # existing clients keep working under the pressure
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < 5.0:
            i += 1
            c1.do_echo(i)
            c2.do_echo(i)
            time.sleep(0.1)
        cpu = h.proc_cpu_s(pid) - cpu0
        h.check(cpu < 0.5, "5 s at the descriptor limit: daemon used %.2f s "
                "CPU (no busy loop); %d echo round trips served" % (cpu, 2 * i))
        # a split and its votes, still at the limit
        c1.do_node_list(5, q.LIST_MEMBERSHIP, (1,), (1, 8),
                        q.VOTE_WAIT_FOR_REPLY, ring=(1, 8))
        c2.send(q.node_list(5, q.LIST_MEMBERSHIP, (2,), ring=(2, 8)))
        c2.expect(q.vote_info(2, q.VOTE_NACK, (2, 8)), "NACK to node 2")
        c2.expect(q.node_list_reply(5, q.LIST_MEMBERSHIP, (2, 8),
                                    q.VOTE_NO_CHANGE))
        c2.do_vote_info_reply(2)
        c1.expect(q.vote_info(2, q.VOTE_ACK, (1, 8)), "ACK to node 1")
        c1.do_vote_info_reply(2)
        h.check(True, "a split at the limit: node 2 NACK, then node 1 ACK")
        log = d.log()
        lines = [ln for ln in log.splitlines() if "file descriptors" in ln or
                 "Too many open files" in ln]
        h.check(1 <= len(lines) <= 5, "the log says so, %d line(s): %s"
                % (len(lines), lines[:1]))

        # release: the daemon accepts (and drops) the rest, then new clients
        for s in flood:
            s.close()
        flood = []
        t0 = time.monotonic()
        ok = h.wait_for(lambda: h.proc_fds(pid) < LIMIT - 10, 10)
        h.check(ok, "descriptors released (%d fds) in %.1f s"
                % (h.proc_fds(pid), time.monotonic() - t0))
        h.well_behaved(d, what="after the pressure, new clients get their vote")
        if mport is not None:
            m = socket.create_connection(("127.0.0.1", mport), timeout=5)
            m.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            reply = m.recv(4096)
            m.close()
            h.check(reply.startswith(b"HTTP/1.0 "), "metrics endpoint answers "
                    "again: %r" % reply[:20])
        c1.do_echo(1000)
        c2.do_echo(1000)
        c1.close()
        c2.close()
        d.stop()
    finally:
        for s in flood:
            s.close()
        d.cleanup()
    print("descriptor exhaustion passed")


if __name__ == "__main__":
    main()
