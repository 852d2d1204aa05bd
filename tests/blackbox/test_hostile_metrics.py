#!/usr/bin/env python3
"""Hostile peers on the opt-in metrics endpoint (-S metrics_address):
binary junk, an overlong request head, 100 connections at once (16
allowed), and silent connections (5 s limit for the whole exchange).  The
endpoint keeps answering, and TCP clients keep getting their votes.

Exit 0 pass, 1 fail, 77 skip (a daemon without metrics_address).
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


def http(port, data, timeout=8.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    s.close()
    return got


def healthy(port):
    return http(port, b"GET /healthz HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 200")


def main():
    binary = daemon_mod.require_bin()
    port = daemon_mod.free_port()
    d = daemon_mod.Daemon(binary=binary, debug=False,
                          settings={"metrics_address": "127.0.0.1:%d" % port})
    try:
        d.start()
    except daemon_mod.DaemonError:
        d.cleanup()
        daemon_mod.skip("this daemon has no metrics_address")
    try:
        # the metrics listener may come up after the ones Daemon waits for
        h.wait_for(lambda: daemon_mod._listening(port), 30)
        h.check(healthy(port), "GET /healthz answers 200")
        rng = random.Random(3)
        t0 = time.monotonic()
        for i in range(100):
            junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 6000)))
            junk += b"\r\n\r\n" if i % 2 else b""
            reply = http(port, junk)
            if reply and not reply.startswith(b"HTTP/1.0 "):
                h.fail("junk #%d: %r" % (i, reply[:40]))
        h.check(healthy(port), "100 junk requests: answered or closed "
                "(%.1f s)" % (time.monotonic() - t0))
        reply = http(port, b"GET /metrics HTTP/1.0\r\nX: " + b"a" * 10000 + b"\r\n\r\n")
        h.check(not reply.startswith(b"HTTP/1.0 200"),
                "10 KB request head refused (%r)" % reply[:30])
        held = []
        for i in range(100):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            held.append(s)
        time.sleep(0.5)
        closed = 0
        for s in held:
            s.setblocking(False)
            try:
                closed += s.recv(10) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        h.check(closed >= 100 - 16, "100 metrics connections: %d closed at "
                "once, at most 16 held" % closed)
        h.well_behaved(d, what="a cluster gets its vote with 100 metrics "
                       "connections open")
        t0 = time.monotonic()
        ok = h.wait_for(lambda: healthy(port), 15, step=0.5)
        h.check(ok, "endpoint answers (after %.1f s)" % (time.monotonic() - t0))
        for s in held:
            s.close()
        cpu0 = h.proc_cpu_s(d.proc.pid)
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
        for _ in range(3):
            for s in slow:
                try:
                    s.send(b"G")
                except OSError:
                    pass
            time.sleep(1)
        cpu = h.proc_cpu_s(d.proc.pid) - cpu0
        for s in slow:
            s.close()
        h.check(cpu < 0.5, "10 slow requests for 3 s: %.2f s CPU" % cpu)
        h.check(healthy(port), "endpoint still answers")
        h.well_behaved(d)
        d.stop()
    finally:
        d.cleanup()
    print("hostile metrics cases passed")


if __name__ == "__main__":
    main()
