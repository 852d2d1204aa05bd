#!/usr/bin/env python3
"""Client log lines at the default level (no -d): every line about a client
names its connection id (the connection_id of the JSON status), and the
warnings a hostile peer can repeat at will ("can't be decoded", "oversize")
are rate-limited with the routine lines (at most 100 per 5 s, then one
summary) while the daemon keeps answering each message.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import daemon as dm  # noqa: E402
import qnetd_client as q  # noqa: E402

N = 300
failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)


def read_exactly(s, n, timeout=10.0):
    got = b""
    s.settimeout(timeout)
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def main():
    dm.require_bin()
    d = dm.Daemon(tls="off", debug=False)
    with d:
        c = q.Client(d.host, d.port, timeout=5.0)
        c.handshake("logs", 1)
        c.do_echo()
        s = socket.create_connection((d.host, d.port), timeout=5.0)
        # ECHO_REQUEST whose seq option is 2 bytes long: error 9, no seq (12 bytes).
        bad = bytes.fromhex("0008 00000006 0000 0002 0007".replace(" ", ""))
        # Header of a message longer than the server takes: error 5 (12 bytes).
        big = bytes.fromhex("0008 00100000".replace(" ", "")) + b"\0" * 0x100000
        s.sendall(bad * N)
        replies = read_exactly(s, 12 * N)
        check(len(replies) == 12 * N, "every undecodable message answered: %d" % len(replies))
        s.sendall(big)
        check(len(read_exactly(s, 12)) == 12, "oversize message answered")
        time.sleep(0.3)
        lines = [ln for ln in d.log().splitlines() if "Client 127.0.0.1:" in ln]
        check(any("(id 1, cluster logs, node 1): initialized" in ln for ln in lines),
              "the first client's INIT line names id, cluster and node")
        decode = [ln for ln in lines if "can't be decoded" in ln]
        check(0 < len(decode) <= 100, "undecodable warnings limited: %d lines" % len(decode))
        check(all("(id 2)" in ln for ln in decode), "the second client's lines say id 2")
        s.close()
        c.close()
        # The summary comes at the end of the 5 s window.
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and "left out" not in d.log():
            time.sleep(0.2)
        check("routine client log line(s) left out" in d.log(), "summary of the lines left out")
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
