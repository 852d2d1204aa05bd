#!/usr/bin/env python3
"""Hostile local clients on the IPC socket: an overlong line (with and
without a newline), 1,000 connections at once (ipc_max_clients is 10),
binary junk, connections that never send, and a user the socket mode
excludes (the tool run as `nobody` against -S local_socket_umask=0077
must exit 3, while umask 0000 lets it in).  The daemon keeps serving IPC
and TCP throughout.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import random
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402


def tool_path():
    t = os.path.join(os.path.dirname(daemon_mod.default_bin()),
                     "corosync-qnetd-tool")
    return t if os.access(t, os.X_OK) else daemon_mod.tool_bin()


def ipc(d, data, timeout=5.0):
    """Send data; (reply bytes, closed?)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(d.sock_path)
    try:
        s.sendall(data)
    except OSError:
        pass
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        s.close()
        return got, False
    except OSError:
        pass
    s.close()
    return got, True


def status_ok(d, what):
    ok = h.wait_for(lambda: "Connected clients" in run_tool(d, "-s")[1], 5)
    h.check(ok, "%s: tool -s works" % what)


def run_tool(d, *args, user=None):
    argv = [tool_path(), *args, "-p", d.sock_path]
    if user:
        argv = ["setpriv", "--reuid=%s" % user, "--regid=65534",
                "--clear-groups", "--"] + argv
    p = subprocess.run(argv, capture_output=True, timeout=20)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def main():
    binary = daemon_mod.require_bin()
    d = daemon_mod.Daemon(binary=binary, debug=False)
    d.start()
    try:
        # overlong: 4096 is ipc_max_receive_size
        got, closed = ipc(d, b"status " + b"v" * 8000 + b"\n")
        h.check(got == b"" and closed, "8 KiB line: closed without a reply")
        got, closed = ipc(d, b"s" * 5000)
        h.check(got == b"" and closed, "5000 bytes, no newline: closed")
        got, closed = ipc(d, b"list cluster \"" + b"x" * 4000 + b"\"\n")
        h.check(got.startswith(b"OK\n") and closed, "4 KiB line under the "
                "limit: answered %r" % got[:10])
        status_ok(d, "after overlong lines")

        # binary junk
        rng = random.Random(11)
        answered = 0
        for i in range(200):
            junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000)))
            got, closed = ipc(d, junk + b"\n")
            h.check(closed and (got == b"" or got.startswith(b"OK\n") or
                                got.startswith(b"Error\n")),
                    "junk #%d: %r" % (i, got[:30])) if i < 3 else None
            if not closed or not (got == b"" or got.startswith(b"OK\n") or
                                  got.startswith(b"Error\n")):
                h.fail("junk #%d: reply %r closed=%s" % (i, got[:60], closed))
            answered += got != b""
        h.check(True, "200 binary junk requests: %d answered with OK/Error, "
                "the rest (over the size limit) closed" % answered)
        status_ok(d, "after binary junk")

        # 1,000 connections at once
        conns = []
        for i in range(1000):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(d.sock_path)  # blocking: waits for the backlog
            except OSError as e:
                h.fail("IPC connect #%d: %s" % (i, e))
            s.settimeout(5)
            conns.append(s)
        time.sleep(0.5)
        h.check(d.alive(), "1,000 IPC connections open: daemon alive")
        h.well_behaved(d, what="TCP cluster gets its vote with 1,000 IPC "
                       "connections open")
        # the first ten hold the slots; the rest were closed by the daemon
        served = 0
        for s in conns:
            try:
                s.sendall(b"status\n")
                if s.recv(100).startswith(b"OK"):
                    served += 1
            except OSError:
                pass
            s.close()
        h.check(1 <= served <= 10, "of 1,000 concurrent IPC connections %d "
                "were served (ipc_max_clients 10), the rest closed" % served)
        status_ok(d, "after 1,000 connections")

        # silent connections hold slots only until the idle timeout (10 s)
        silent = []
        for i in range(10):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.sock_path)
            silent.append(s)
        time.sleep(0.3)
        t0 = time.monotonic()
        rc, out, _ = run_tool(d, "-s")
        # like Debian's tool, ours exits 0 (or dies of SIGPIPE) with no
        # output when the daemon closes without a reply
        h.check("Connected clients" not in out, "10 silent IPC connections "
                "fill the slots (tool rc %d, no status)" % rc)
        ok = h.wait_for(lambda: "Connected clients" in run_tool(d, "-s")[1],
                        15, step=0.5)
        h.check(ok, "slots freed by the IPC idle timeout after %.1f s"
                % (time.monotonic() - t0))
        for s in silent:
            s.close()
        d.stop()
    finally:
        d.cleanup()

    # a user the socket mode excludes
    if shutil.which("setpriv") is None:
        daemon_mod.skip("setpriv not installed")
    for umask, expect in (("0077", 3), ("0000", 0)):
        d = daemon_mod.Daemon(binary=binary, debug=False,
                              settings={"local_socket_umask": umask})
        d.start()
        try:
            os.chmod(d.dir, 0o755)      # only the socket's mode decides
            mode = os.stat(d.sock_path).st_mode & 0o777
            rc, out, err = run_tool(d, "-s", user="nobody")
            h.check(rc == expect, "local_socket_umask=%s (socket mode %o): "
                    "tool as nobody exits %d (expected %d) %s"
                    % (umask, mode, rc, expect, err.strip()))
            status_ok(d, "umask %s, as root" % umask)
            h.well_behaved(d)
            d.stop()
        finally:
            d.cleanup()
    print("hostile IPC cases passed")


if __name__ == "__main__":
    main()
