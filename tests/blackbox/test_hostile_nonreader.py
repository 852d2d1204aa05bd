#!/usr/bin/env python3
"""A client that never reads its replies: it floods large ECHO_REQUESTs
with a small receive buffer.  The daemon's send queue for it fills
(max_client_send_buffers) and it is disconnected; meanwhile another
client's echo round trips stay fast and the daemon's memory stays bounded.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import qnetd_client as q  # noqa: E402

ROUNDS = 30


def main():
    binary = daemon_mod.require_bin()
    d = daemon_mod.Daemon(binary=binary, debug=False)
    d.start()
    try:
        pid = d.proc.pid
        rss0 = h.proc_rss_kb(pid)
        good = q.Client(d.host, d.port, timeout=5.0)
        good.handshake(h.unique("ok"), 1)
        rtts = []
        stop = threading.Event()

        def pinger():
            i = 0
            while not stop.is_set():
                i += 1
                t = time.monotonic()
                good.do_echo(i)
                rtts.append(time.monotonic() - t)
                time.sleep(0.005)

        th = threading.Thread(target=pinger)
        th.start()
        # echo replies are byte copies: 30 KiB requests, 30 KiB replies
        req = q.echo_request(1, q.tlv(200, b"\xab" * 30000))
        results = []
        t0 = time.monotonic()
        for n in range(ROUNDS):
            bad = q.Client(d.host, d.port, connect=False)
            bad.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            bad.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            bad.sock.settimeout(5)
            bad.sock.connect((d.host, d.port))
            bad.handshake(h.unique("nr"), 1)
            sent = 0
            reason = None
            bad.sock.settimeout(10)
            try:
                while sent < 200 * 1024 * 1024:
                    bad.sock.sendall(req)
                    sent += len(req)
            except OSError as e:
                reason = str(e)
            results.append((sent, reason))
            bad.close()
        secs = time.monotonic() - t0
        time.sleep(0.2)
        stop.set()
        th.join()
        rss1 = h.proc_rss_kb(pid)
        h.check(all(r is not None for _, r in results),
                "%d non-readers each disconnected after %.1f..%.1f MiB (%.2f s "
                "in all; %s)" % (ROUNDS, min(s for s, _ in results) / 1048576.0,
                                 max(s for s, _ in results) / 1048576.0, secs,
                                 results[0][1]))
        h.check("send queue full" in d.log() or
                "Can't queue" in d.log(), "the daemon says why: send queue full")
        rtts.sort()
        h.check(len(rtts) > 10 and rtts[-1] < 0.5 and
                rtts[len(rtts) // 2] < 0.05,
                "meanwhile %d echo round trips of another client: median "
                "%.1f ms, max %.1f ms" % (len(rtts), 1000 * rtts[len(rtts) // 2],
                                          1000 * rtts[-1]))
        h.check(rss1 - rss0 < 8192, "daemon RSS %d -> %d KiB" % (rss0, rss1))
        good.do_echo(99999)
        good.close()
        h.well_behaved(d)
        d.stop()
    finally:
        d.cleanup()
    print("non-reading client passed")


if __name__ == "__main__":
    main()
