#!/usr/bin/env python3
"""corosync-qnetd-tool -k, the health check: exit 0 with a summary when
the daemon answers and serves; otherwise non-zero with "unhealthy: <why>"
on stderr: 3 when the IPC socket cannot be reached, 4 when the daemon
answers that it does not serve (or answers nonsense).  Against a daemon
without the "health" IPC command (Debian's) it falls back to "status" plus
a TCP connection to the listening address.  Fake IPC servers cover the
failure answers.  Also: the additions leave the tool's usage text as
upstream's (byte-identical to Debian's tool)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

DEBIAN_DAEMON = "/usr/bin/corosync-qnetd"
DEBIAN_TOOL = "/usr/bin/corosync-qnetd-tool"
failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)


class FakeIPC:
    """Unix socket server answering each request from replies(request)."""

    def __init__(self, path, replies):
        self.path = path
        self.replies = replies
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.requests = []
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            req = b""
            while not req.endswith(b"\n"):
                chunk = c.recv(4096)
                if not chunk:
                    break
                req += chunk
            self.requests.append(req)
            reply = self.replies(req)
            if reply:
                c.sendall(reply)
            c.close()

    def close(self):
        self.sock.close()


def health(sock):
    rc, out, err = xu.tool(sock, "-k")
    return rc, out.decode(), err.decode()


def main():
    xu.require()
    with dm.Daemon() as d:
        rc, out, err = health(d)
        check(rc == 0 and out.startswith("healthy: listening on 127.0.0.1:%d" % d.port),
              "our daemon: rc %d %r %r" % (rc, out, err))
        c = q.Client(d.host, d.port)
        c.handshake("hc", 1)
        rc, out, err = health(d)
        check(rc == 0 and "1 clients, 1 clusters" in out, "counts in the summary: %r" % out)
        c.close()
        # the text tool is untouched: usage byte-identical to Debian's
        if os.access(DEBIAN_TOOL, os.X_OK):
            ours = subprocess.run([xu.our_tool(), "-h"], capture_output=True)
            deb = subprocess.run([DEBIAN_TOOL, "-h"], capture_output=True)
            check((ours.returncode, ours.stdout, ours.stderr) ==
                  (deb.returncode, deb.stdout, deb.stderr), "usage differs from Debian's")

    tmp = tempfile.mkdtemp(prefix="qnetd-health-")
    try:
        rc, out, err = health(os.path.join(tmp, "nosuch.sock"))
        check(rc == 3 and err.startswith("unhealthy: can't connect"),
              "no daemon: rc %d %r" % (rc, err))

        f = FakeIPC(os.path.join(tmp, "a.sock"), lambda r: b"Error\nshutting down\n")
        rc, out, err = health(f.path)
        check(rc == 4 and err == "unhealthy: shutting down\n", "daemon error: %d %r" % (rc, err))
        check(f.requests == [b"health\n"], "request bytes: %r" % f.requests)
        f.close()

        f = FakeIPC(os.path.join(tmp, "b.sock"), lambda r: b"")
        rc, out, err = health(f.path)
        check(rc == 4 and "without a reply" in err, "no reply: %d %r" % (rc, err))
        f.close()

        dead = dm.free_port()

        def old_daemon(req):
            if req.startswith(b"health"):
                return b"Error\nUnknown command 'health'\n"
            return ("OK\nQNetd address:\t\t\t127.0.0.1:%d\nTLS:\t\t\t\tUnsupported\n"
                    % dead).encode()
        f = FakeIPC(os.path.join(tmp, "c.sock"), old_daemon)
        rc, out, err = health(f.path)
        check(rc == 4 and err.startswith("unhealthy: can't connect to 127.0.0.1:%d" % dead),
              "fallback, port closed: %d %r" % (rc, err))
        check(f.requests == [b"health\n", b"status\n"], "fallback requests: %r" % f.requests)
        f.close()
    finally:
        shutil.rmtree(tmp, True)

    if os.access(DEBIAN_DAEMON, os.X_OK):
        with dm.Daemon(binary=DEBIAN_DAEMON) as d:
            rc, out, err = health(d)
            check(rc == 0 and out == "healthy: listening on 127.0.0.1:%d\n" % d.port,
                  "Debian's daemon via the fallback: %d %r %r" % (rc, out, err))
            rc, out, err = xu.tool(d, "-j")
            check(rc == 4 and err == b"Error: Unknown command 'json'\n",
                  "-j against Debian's daemon: clean error: %d %r" % (rc, err))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
