#!/usr/bin/env python3
"""5,000 connections that never send anything.  The daemon (which raises
its own RLIMIT_NOFILE to the hard limit) holds them all, a well-behaved
2-node cluster still connects and gets its vote meanwhile, and the
handshake deadline (-S handshake_timeout) then drops every one of them.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402

N = 5000
DEADLINE_MS = 15000


def main():
    binary = daemon_mod.require_bin()
    have = h.raise_nofile(N + 200)
    if have < N + 200:
        daemon_mod.skip("RLIMIT_NOFILE hard limit %d < %d" % (have, N + 200))
    d = daemon_mod.Daemon(binary=binary, debug=False,
                          settings={"handshake_timeout": DEADLINE_MS})
    d.start()
    socks = []
    try:
        pid = d.proc.pid
        t0 = time.monotonic()
        for i in range(N):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect((d.host, d.port))
            socks.append(s)
        opened = time.monotonic() - t0
        h.check(h.wait_for(lambda: h.connected_clients(d) == N, 10),
                "%d idle connections opened in %.1f s, all accepted "
                "(daemon fds: %d)" % (N, opened, h.proc_fds(pid)))
        cpu0 = h.proc_cpu_s(pid)
        time.sleep(2)
        cpu = h.proc_cpu_s(pid) - cpu0
        h.check(cpu < 0.5, "holding %d idle connections: %.2f s CPU in 2 s"
                % (N, cpu))
        t1 = time.monotonic()
        h.well_behaved(d, what="a 2-node cluster gets its vote among %d "
                       "idle connections" % N)
        h.check(time.monotonic() - t1 < 3.0, "well-behaved session took "
                "%.2f s" % (time.monotonic() - t1))
        h.check(h.connected_clients(d) == N, "idle connections still held")

        # all of them are dropped by the deadline
        sel = selectors.DefaultSelector()
        for s in socks:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        closed = 0
        end = t0 + DEADLINE_MS / 1000.0 + opened + 15
        while closed < N and time.monotonic() < end:
            for key, _ in sel.select(0.5):
                try:
                    data = key.fileobj.recv(10)
                except OSError:
                    data = b""
                if data:
                    h.fail("an idle connection received %r" % data)
                sel.unregister(key.fileobj)
                closed += 1
        sel.close()
        h.check(closed == N, "handshake deadline dropped %d of %d idle "
                "connections" % (closed, N))
        h.check(h.wait_for(lambda: h.connected_clients(d) == 0, 5),
                "the daemon's client count is back to 0")
        h.well_behaved(d)
        d.stop()
    finally:
        for s in socks:
            s.close()
        d.cleanup()
    print("idle connection flood passed")


if __name__ == "__main__":
    main()
