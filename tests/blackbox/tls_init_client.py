#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Minimal qnetd client: PREINIT, STARTTLS, TLS handshake with a client
certificate, INIT; prints what happened as one line on stdout.

Usage: tls_init_client.py HOST PORT CLUSTER CLIENT_PEM CA_PEM

Outcomes (stdout, exit 0 unless the arguments or the server's framing are
broken):
  init-ok                   INIT_REPLY with error code 0
  init-error N              INIT_REPLY with error code N
  server-error N            SERVER_ERROR with code N
  closed                    the server closed the connection after the
                            handshake without replying to INIT
  handshake-failed REASON   the TLS handshake failed
  no-tls                    PREINIT_REPLY did not offer TLS

The server certificate must chain to CA_PEM and name "Qnetd Server", as
corosync-qdevice requires.
"""
import socket
import ssl
import struct
import sys

PREINIT, PREINIT_REPLY, STARTTLS, INIT, INIT_REPLY, SERVER_ERROR = 0, 1, 2, 3, 4, 5
T_SEQ, T_CLUSTER, T_TLS, T_CERT_REQ = 0, 1, 2, 3
T_ERR, T_NODE_ID, T_ALGO, T_HB, T_RING, T_TIEB = 6, 9, 11, 12, 13, 21


def tlv(t, v):
    return struct.pack(">HH", t, len(v)) + v


def msg(mtype, body):
    return struct.pack(">HI", mtype, len(body)) + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_msg(sock):
    hdr = recv_exact(sock, 6)
    if hdr is None:
        return None, None
    mtype, length = struct.unpack(">HI", hdr)
    if length > 65536:
        raise ValueError("absurd message length %d" % length)
    body = recv_exact(sock, length)
    if body is None:
        return None, None
    opts = {}
    pos = 0
    while pos < len(body):
        if pos + 4 > len(body):
            raise ValueError("truncated TLV header")
        t, ln = struct.unpack(">HH", body[pos:pos + 4])
        if pos + 4 + ln > len(body):
            raise ValueError("truncated TLV value")
        opts[t] = body[pos + 4:pos + 4 + ln]
        pos += 4 + ln
    return mtype, opts


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, cluster, client_pem, ca_pem = sys.argv[1:]
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(msg(PREINIT, tlv(T_SEQ, struct.pack(">I", 1)) +
                     tlv(T_CLUSTER, cluster.encode())))
    mtype, opts = recv_msg(sock)
    if mtype != PREINIT_REPLY:
        raise ValueError("expected PREINIT_REPLY, got %r" % mtype)
    if opts.get(T_TLS, b"\0")[0] == 0:
        print("no-tls")
        return 0
    sock.sendall(msg(STARTTLS, tlv(T_SEQ, struct.pack(">I", 2))))

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False      # checked by hand below, like qdevice
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=ca_pem)
    ctx.load_cert_chain(client_pem)
    try:
        tls = ctx.wrap_socket(sock)
        # TLS 1.3: a rejected client certificate shows up on first read,
        # so the INIT exchange below is what proves acceptance.
    except (ssl.SSLError, OSError) as e:
        print("handshake-failed %s" % e)
        return 0
    subject = dict(x[0] for x in tls.getpeercert()["subject"])
    if subject.get("commonName") != "Qnetd Server":
        raise ValueError("server certificate CN is %r" % subject)

    body = (tlv(T_SEQ, struct.pack(">I", 3)) +
            tlv(T_NODE_ID, struct.pack(">I", 1)) +
            tlv(T_ALGO, struct.pack(">H", 1)) +
            tlv(T_HB, struct.pack(">I", 8000)) +
            tlv(T_TIEB, struct.pack(">BI", 1, 0)) +
            tlv(T_RING, struct.pack(">IQ", 1, 4)))
    try:
        tls.sendall(msg(INIT, body))
        mtype, opts = recv_msg(tls)
    except (ssl.SSLError, OSError) as e:
        print("handshake-failed %s" % e)
        return 0
    if mtype is None:
        print("closed")
    elif mtype == INIT_REPLY:
        code = struct.unpack(">H", opts[T_ERR])[0]
        print("init-ok" if code == 0 else "init-error %d" % code)
    elif mtype == SERVER_ERROR:
        print("server-error %d" % struct.unpack(">H", opts[T_ERR])[0])
    else:
        raise ValueError("unexpected reply type %d" % mtype)
    tls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
