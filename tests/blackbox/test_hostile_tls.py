#!/usr/bin/env python3
"""Hostile TLS peers, against -s on (and -s req): garbage after STARTTLS
(random bytes, a TLS record header announcing 16 KiB then junk, a valid
ClientHello followed by junk), a second STARTTLS inside TLS, a client
certificate from an untrusted CA, one with the wrong CN, none at all, and
plain INIT under -s req.  After each, a well-behaved cluster with client
certificates connects and gets its vote.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import random
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import pki as pki_mod  # noqa: E402
import qnetd_client as q  # noqa: E402


def closed_within(s, seconds):
    s.settimeout(seconds)
    t0 = time.monotonic()
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return time.monotonic() - t0
    except socket.timeout:
        return None
    except OSError:
        return time.monotonic() - t0


def garbage_after_starttls(d, junk, what):
    s = socket.create_connection((d.host, d.port), timeout=5)
    s.sendall(q.preinit(1, h.unique("g")))
    s.recv(100)                         # PREINIT_REPLY (small, one segment)
    s.sendall(q.starttls(2))
    time.sleep(0.05)
    try:
        s.sendall(junk)
    except OSError:
        pass
    secs = closed_within(s, 5.0)
    s.close()
    h.check(secs is not None, "%s: connection closed (%.2f s)" %
            (what, secs if secs is not None else -1))


def bad_cert(d, kind, what):
    cluster = h.unique("bc")
    pki = d.pki
    c = q.Client(d.host, d.port, timeout=5.0)
    c.do_preinit(cluster, tls=q.TLS_REQUIRED if d.tls == "req"
                 else q.TLS_SUPPORTED)
    cert = key = None
    if kind is not None:
        cc = pki.client(cluster, kind)
        cert, key = cc.cert, cc.key
    try:
        c.starttls(2, cert=cert, key=key, ca=pki.ca_cert)
        c.send(q.init(3, 1))
        c.expect_closed(5.0, what)
    except q.Closed:
        pass
    c.close()
    h.check(True, "%s: refused" % what)


def main():
    binary = daemon_mod.require_bin()
    missing = pki_mod.have_tools()
    if missing:
        daemon_mod.skip("%s not installed" % missing)
    pki = pki_mod.get()
    rng = random.Random(7)
    # junk that looks like the start of a long record is dropped by the
    # handshake deadline, everything else at once
    d = daemon_mod.Daemon(binary=binary, tls="on", pki=pki,
                          settings={"handshake_timeout": 3000})
    d.start()
    try:
        for i in range(10):
            junk = bytes(rng.getrandbits(8) for _ in range(rng.choice(
                [1, 5, 200, 5000, 70000])))
            garbage_after_starttls(d, junk, "random bytes after STARTTLS #%d" % i)
        garbage_after_starttls(d, b"\x16\x03\x01\x40\x00" + b"\xee" * 16384,
                               "TLS record header + 16 KiB of junk")
        garbage_after_starttls(d, b"\x17\x03\x03\xff\xff" + b"\0" * 100,
                               "application-data record before the handshake")
        garbage_after_starttls(d, q.preinit(3, "x") * 3,
                               "plaintext protocol messages after STARTTLS")
        h.well_behaved(d)

        # a valid handshake, then junk records inside TLS
        cl = h.unique("j")
        cc = pki.client(cl)
        c = q.Client(d.host, d.port, timeout=5.0)
        c.do_preinit(cl, tls=q.TLS_SUPPORTED)
        c.starttls(2, cert=cc.cert, key=cc.key, ca=pki.ca_cert)
        c.do_init(1, seq=3)
        c.send(q.frame(99, b"junk"))
        c.expect(q.server_error(q.E_UNSUPPORTED_MESSAGE), "unknown type in TLS")
        c.send(q.starttls(9))
        c.expect_closed(5.0, "STARTTLS inside TLS")
        c.close()
        h.check(d.alive(), "STARTTLS inside TLS: closed")

        # corrupt records: raw bytes under an established TLS session
        c = q.Client(d.host, d.port, timeout=5.0)
        c.do_preinit(cl, tls=q.TLS_SUPPORTED)
        c.starttls(2, cert=cc.cert, key=cc.key, ca=pki.ca_cert)
        c.do_init(1, seq=3)
        os.write(c.sock.fileno(), b"\x17\x03\x03\x00\x40" + os.urandom(64))
        c.expect_closed(5.0, "a forged TLS record mid-session")
        c.close()
        h.check(d.alive(), "forged TLS record mid-session: closed")

        bad_cert(d, "untrusted", "client certificate from an untrusted CA")
        bad_cert(d, "wrongcn", "client certificate with CN of another cluster")
        bad_cert(d, None, "no client certificate with -c on")
        h.well_behaved(d)
        d.stop()
    finally:
        d.cleanup()

    d = daemon_mod.Daemon(binary=binary, tls="req", pki=pki,
                          settings={"handshake_timeout": 3000})
    d.start()
    try:
        c = q.Client(d.host, d.port, timeout=5.0)
        c.do_preinit(h.unique("req"), tls=q.TLS_REQUIRED)
        for i in range(100):
            c.send(q.init(2 + i, 1))
            c.expect(q.server_error(q.E_TLS_REQUIRED, 2 + i), "plain INIT, -s req")
        c.close()
        h.check(True, "-s req: 100 plain INITs refused with error 3")
        garbage_after_starttls(d, os.urandom(2000), "-s req: junk after STARTTLS")
        bad_cert(d, "untrusted", "-s req: untrusted CA")
        h.well_behaved(d)
        d.stop()
    finally:
        d.cleanup()
    print("all hostile TLS cases passed")


if __name__ == "__main__":
    main()
