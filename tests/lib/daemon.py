"""Start and stop a corosync-qnetd compatible daemon for black-box tests.

The binary is $QNETD_BIN, default $BUILD/corosync-qnetd (BUILD defaults to
"build", relative to the repository top).  Every daemon gets 127.0.0.1, a
free port, -f, and its own lock file, IPC socket, stderr log and (ours)
state directory in a private temp dir.  Only the pid we started is ever signalled.

$QNETD_TEST_ARGS (split on white space) is added to the command line of
our daemon, not of another binary (Debian's in the differential tests):
QNETD_TEST_ARGS="-S workers=2" runs a test against the multi-process
daemon.
"""

import atexit
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", ".."))
SKIP = 77


def default_bin():
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(TOP, build)
    return os.path.join(build, "corosync-qnetd")


def qnetd_bin():
    return os.environ.get("QNETD_BIN") or default_bin()


def tool_bin():
    """corosync-qnetd-tool used to talk IPC with the daemon: $QNETD_TOOL,
    else Debian's (the reference client tests the daemon's IPC side)."""
    return os.environ.get("QNETD_TOOL") or "/usr/bin/corosync-qnetd-tool"


_OURS = {}


def is_ours(binary):
    """Our daemon (it knows -S state_dir), not Debian's: a byte search of
    the program, cached per path."""
    if binary not in _OURS:
        try:
            with open(binary, "rb") as f:
                _OURS[binary] = b"state_dir" in f.read()
        except OSError:
            _OURS[binary] = False
    return _OURS[binary]


def skip(reason):
    """Exit with the skip code; the reason is the last line printed."""
    sys.stdout.flush()
    print("SKIP: %s" % reason)
    sys.stdout.flush()
    sys.exit(SKIP)


def require_bin(path=None):
    path = path or qnetd_bin()
    if not os.access(path, os.X_OK):
        skip("daemon binary %s not found (set QNETD_BIN)" % path)
    return path


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _listening(port):
    """True if some socket listens on 127.0.0.1:port or [::]:port (Linux)."""
    want = ":%04X" % port
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(want) and fields[3] == "0A":
                        return True
        except OSError:
            continue
    return False


class DaemonError(Exception):
    pass


class Daemon:
    """One daemon process.

    tls: "on" | "off" | "req" (-s), cert_required: "on" | "off" (-c),
    max_clients: int or None (-m), settings: dict of extra -S keys,
    pki: a pki.PKI (needed unless tls == "off"), debug: pass -d.
    """

    def __init__(self, binary=None, tls="off", cert_required=None,
                 max_clients=None, settings=None, pki=None, debug=True,
                 extra_args=()):
        self.binary = binary or qnetd_bin()
        self.tls = tls
        self.cert_required = cert_required
        self.max_clients = max_clients
        self.settings = dict(settings or {})
        self.pki = pki
        self.debug = debug
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="qnetd-bb-d-")
        self.sock_path = os.path.join(self.dir, "qnetd.sock")
        self.lock_path = os.path.join(self.dir, "qnetd.pid")
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"
        self.returncode = None
        atexit.register(self._atexit)

    def argv(self):
        s = {"lock_file": self.lock_path, "local_socket_file": self.sock_path}
        if is_ours(self.binary):
            # Never the shared /var/lib/corosync-qnetd: a memory left by
            # another test's daemon would change this one's votes.
            s["state_dir"] = os.path.join(self.dir, "state")
        if self.tls != "off":
            if self.pki is None:
                raise DaemonError("TLS mode %s needs a PKI" % self.tls)
            s["nss_db_dir"] = self.pki.nssdb
        s.update(self.settings)
        argv = [self.binary, "-f"]
        if self.debug:
            argv.append("-d")
        argv += ["-l", self.host, "-p", str(self.port), "-s", self.tls]
        if self.cert_required is not None:
            argv += ["-c", self.cert_required]
        if self.max_clients is not None:
            argv += ["-m", str(self.max_clients)]
        argv += ["-S", ",".join("%s=%s" % kv for kv in s.items())]
        if os.path.realpath(self.binary) == os.path.realpath(qnetd_bin()):
            argv += shlex.split(os.environ.get("QNETD_TEST_ARGS", ""))
        return argv + self.extra_args

    def start(self, timeout=None):
        # QNETD_START_TIMEOUT: slow wrappers (valgrind) need longer
        if timeout is None:
            timeout = float(os.environ.get("QNETD_START_TIMEOUT", "10"))
        for attempt in range(5):
            self.port = free_port()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _listening(self.port) and os.path.exists(self.sock_path):
                    return self
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.kill()
                raise DaemonError("daemon did not listen on port %d within %.0fs"
                                  "; log:\n%s" % (self.port, timeout, self.log()))
            if "ddress already in use" not in self.log():
                raise DaemonError("daemon exited with %d at start-up; argv %s; "
                                  "log:\n%s" % (self.proc.returncode,
                                                self.argv(), self.log()))
        raise DaemonError("no free port after 5 attempts")

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=None, check=True):
        """SIGTERM, wait, and (check) insist on exit status 0."""
        if timeout is None:
            timeout = float(os.environ.get("QNETD_STOP_TIMEOUT", "10"))
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise DaemonError("daemon ignored SIGTERM for %.0fs; log:\n%s"
                                  % (timeout, self.log()))
        self.returncode = self.proc.returncode
        self.proc = None
        if check and self.returncode != 0:
            raise DaemonError("daemon exited with status %d (expected 0); "
                              "log:\n%s" % (self.returncode, self.log()))
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.returncode = self.proc.returncode
        self.proc = None

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, True)

    def _atexit(self):
        self.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
        finally:
            self.cleanup()
        return False

    def tool(self, *args, timeout=10.0):
        """Run corosync-qnetd-tool against this daemon: (rc, stdout, stderr)."""
        p = subprocess.run([tool_bin(), *args, "-p", self.sock_path],
                           capture_output=True, timeout=timeout)
        return (p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace"))
