#!/usr/bin/env python3
"""Hostile peers that are slow on purpose (slowloris), against a daemon
with -s on and -S handshake_timeout=2000: one byte per second before INIT,
one byte per second of ClientHello after STARTTLS, a PREINIT and then
silence, and 40 of them at once.  Each is dropped when the deadline
passes (not before, not much after), while a well-behaved TLS cluster
with client certificates connects and gets its vote.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import select
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import pki as pki_mod  # noqa: E402
import qnetd_client as q  # noqa: E402

DEADLINE_MS = 2000


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=q.SERVER_HOSTNAME)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def dribble(d, prefix, payload, results, key):
    """Send prefix at once, then payload one byte per second; record
    (seconds from connect to the close, bytes of payload sent)."""
    s = socket.create_connection((d.host, d.port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.monotonic()
    sent = 0
    try:
        if prefix:
            s.sendall(prefix)
        for i in range(len(payload) + 1):
            r, _, _ = select.select([s], [], [], 1.0)
            if r:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    results[key] = (time.monotonic() - t0, sent)
                    return
                continue    # PREINIT_REPLY etc.
            if i < len(payload):
                try:
                    s.send(payload[i:i + 1])
                except OSError:
                    results[key] = (time.monotonic() - t0, sent)
                    return
                sent += 1
        results[key] = (None, sent)
    finally:
        s.close()


def within(res, what):
    secs, sent = res
    h.check(secs is not None and DEADLINE_MS / 1000.0 - 0.1 <= secs <=
            DEADLINE_MS / 1000.0 + 2.0,
            "%s: dropped after %s s (deadline %.1f s, %d bytes dribbled)"
            % (what, "%.2f" % secs if secs is not None else "never",
               DEADLINE_MS / 1000.0, sent))


def main():
    binary = daemon_mod.require_bin()
    missing = pki_mod.have_tools()
    if missing:
        daemon_mod.skip("%s not installed" % missing)
    pki = pki_mod.get()
    d = daemon_mod.Daemon(binary=binary, tls="on", pki=pki,
                          settings={"handshake_timeout": DEADLINE_MS})
    d.start()
    try:
        cluster = h.unique("slow")
        pre = q.preinit(1, cluster)
        hello = client_hello()
        res = {}
        dribble(d, b"", pre, res, "plain")
        within(res["plain"], "PREINIT at one byte per second")
        dribble(d, pre + q.starttls(2), hello, res, "tls")
        within(res["tls"], "ClientHello at one byte per second after STARTTLS")
        dribble(d, pre, b"\0" * 10, res, "idle")
        within(res["idle"], "PREINIT then nothing (10 zero bytes over 10 s)")

        # 40 at once while a well-behaved TLS cluster gets its vote
        threads = []
        for i in range(40):
            if i % 2:
                args = (d, b"", pre, res, "p%d" % i)
            else:
                args = (d, pre + q.starttls(2), hello, res, "t%d" % i)
            t = threading.Thread(target=dribble, args=args)
            t.start()
            threads.append(t)
        time.sleep(0.3)
        t0 = time.monotonic()
        h.well_behaved(d, what="TLS cluster gets its vote among 40 slow peers")
        h.check(time.monotonic() - t0 < 1.5,
                "well-behaved TLS session took %.2f s" % (time.monotonic() - t0))
        for t in threads:
            t.join()
        late = [k for k, (secs, _) in res.items()
                if secs is None or secs > DEADLINE_MS / 1000.0 + 2.0]
        h.check(not late, "all 40 slow peers dropped at the deadline "
                "(late: %s)" % late)
        h.check(h.wait_for(lambda: h.connected_clients(d) == 0, 5),
                "no client left connected")
        h.well_behaved(d)
        d.stop()
    finally:
        d.cleanup()
    print("all slow-peer cases passed")


if __name__ == "__main__":
    main()
