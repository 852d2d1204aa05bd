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
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import qnetd_client as q  # noqa: E402

ROUNDS = 30


def flood(d, wfd):
    """ROUNDS non-readers in turn; writes "<bytes sent>:<why it ended>"."""
    # echo replies are byte copies: 30 KiB requests, 30 KiB replies
    req = q.echo_request(1, q.tlv(200, b"\xab" * 30000))
    for n in range(ROUNDS):
        bad = q.Client(d.host, d.port, connect=False)
        bad.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        bad.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        bad.sock.settimeout(5)
        bad.sock.connect((d.host, d.port))
        bad.handshake(h.unique("nr"), 1)
        sent = 0
        reason = "none"
        bad.sock.settimeout(10)
        try:
            while sent < 200 * 1024 * 1024:
                bad.sock.sendall(req)
                sent += len(req)
        except OSError as e:
            reason = type(e).__name__
        os.write(wfd, ("%d:%s\n" % (sent, reason)).encode())
        bad.close()


def main():
    binary = daemon_mod.require_bin()
    d = daemon_mod.Daemon(binary=binary, debug=False)
    d.start()
    try:
        pid = d.proc.pid
        rss0 = h.proc_rss_kb(pid)
        good = q.Client(d.host, d.port, timeout=5.0)
        good.handshake(h.unique("ok"), 1)
        # the flood runs in a child process, so that the round trips
        # measured here are the daemon's, not this interpreter's GIL
        rpipe, wpipe = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(rpipe)
            code = 0
            try:
                flood(d, wpipe)
            except BaseException:   # noqa: B902 - report through the exit code
                code = 1
            os._exit(code)
        os.close(wpipe)
        rtts = []
        i = 0
        while True:
            i += 1
            t = time.monotonic()
            good.do_echo(i)
            rtts.append(time.monotonic() - t)
            pid_done, status = os.waitpid(child, os.WNOHANG)
            if pid_done:
                break
            time.sleep(0.005)
        with os.fdopen(rpipe) as f:
            lines = f.read().split()
        h.check(os.WEXITSTATUS(status) == 0 and len(lines) == ROUNDS,
                "flooding child finished (%d rounds)" % len(lines))
        results = [(int(x.split(":")[0]), x.split(":", 1)[1]) for x in lines]
        rss1 = h.proc_rss_kb(pid)
        h.check(all(r != "none" for _, r in results),
                "%d non-readers each disconnected after %.1f..%.1f MiB (%s)"
                % (ROUNDS, min(s for s, _ in results) / 1048576.0,
                   max(s for s, _ in results) / 1048576.0, results[0][1]))
        h.check("send queue full" in d.log() or
                "Can't queue" in d.log(), "the daemon says why: send queue full")
        rtts.sort()
        # generous: the test machine may be shared and loaded
        h.check(len(rtts) > 10 and rtts[-1] < 2.0 and
                rtts[len(rtts) // 2] < 0.1,
                "meanwhile %d echo round trips of another client: median "
                "%.1f ms, max %.1f ms" % (len(rtts), 1000 * rtts[len(rtts) // 2],
                                          1000 * rtts[-1]))
        h.check_rss(pid, rss0, rss1, 8192, "30 non-readers")
        good.do_echo(99999)
        good.close()
        h.well_behaved(d)
        d.stop()
    finally:
        d.cleanup()
    print("non-reading client passed")


if __name__ == "__main__":
    main()
