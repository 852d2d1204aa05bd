#!/usr/bin/env python3
"""Black-box test of corosync-qnetd-tool and the daemon's IPC server.

Starts a daemon (QNETD_BIN, default $BUILD/corosync-qnetd), builds cluster
state with a small qnetd protocol client, then runs our tool
($BUILD/corosync-qnetd-tool) and Debian's (/usr/bin/corosync-qnetd-tool,
DEBIAN_TOOL) with the same arguments and requires identical stdout, stderr
and exit code.  The outputs are also checked against golden texts taken
from Debian's corosync-qnetd 3.0.3, so the daemon's IPC server is held to
the same contract.  Raw IPC requests test the daemon's parser, and a fake
IPC server tests the tool's handling of odd replies.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("BUILD", "build")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def path_in_top(p):
    return p if os.path.isabs(p) else os.path.join(TOP, p)


QNETD_BIN = os.environ.get("QNETD_BIN", path_in_top(os.path.join(BUILD, "corosync-qnetd")))
OUR_TOOL = os.environ.get("OUR_TOOL", path_in_top(os.path.join(BUILD, "corosync-qnetd-tool")))
DEBIAN_TOOL = os.environ.get("DEBIAN_TOOL", "/usr/bin/corosync-qnetd-tool")

failures = []


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def check_eq(what, got, want):
    if got != want:
        fail("%s:\n  got  %r\n  want %r" % (what, got, want))


# ---------------------------------------------------------------- protocol

def tlv(t, v):
    return struct.pack(">HH", t, len(v)) + v


def u8(t, v):
    return tlv(t, struct.pack(">B", v))


def u16(t, v):
    return tlv(t, struct.pack(">H", v))


def u32(t, v):
    return tlv(t, struct.pack(">I", v))


def u64(t, v):
    return tlv(t, struct.pack(">Q", v))


def ring(node, seq):
    return tlv(13, struct.pack(">IQ", node, seq))


def node_info(nid, dc=0):
    inner = u32(9, nid)
    if dc:
        inner += u32(15, dc)
    return tlv(17, inner)


def msg(mtype, body):
    return struct.pack(">HI", mtype, len(body)) + body


def parse_tlvs(body):
    out = {}
    while len(body) >= 4:
        t, ln = struct.unpack(">HH", body[:4])
        out[t] = body[4:4 + ln]
        body = body[4 + ln:]
    return out


class Client:
    """Just enough of a qdevice client to put state into the daemon."""

    def __init__(self, port, cluster):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.seq = 0
        self.buf = b""
        self.cluster = cluster

    def recv_msg(self):
        while True:
            if len(self.buf) >= 6:
                mtype, ln = struct.unpack(">HI", self.buf[:6])
                if len(self.buf) >= 6 + ln:
                    body = self.buf[6:6 + ln]
                    self.buf = self.buf[6 + ln:]
                    return mtype, parse_tlvs(body)
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("daemon closed the connection")
            self.buf += data

    def handle_async(self, mtype, tlvs):
        if mtype == 14:     # VOTE_INFO: acknowledge it as the real client does
            self.sock.sendall(msg(15, tlv(0, tlvs[0])))
            return True
        return False

    def request(self, mtype, body, reply_type):
        self.seq += 1
        self.sock.sendall(msg(mtype, u32(0, self.seq) + body))
        while True:
            rtype, tlvs = self.recv_msg()
            if self.handle_async(rtype, tlvs):
                continue
            if rtype != reply_type:
                raise RuntimeError("cluster %s: got message %d, wanted %d (%r)"
                                   % (self.cluster, rtype, reply_type, tlvs))
            return tlvs

    def drain(self, secs=0.3):
        self.sock.settimeout(secs)
        try:
            while True:
                rtype, tlvs = self.recv_msg()
                self.handle_async(rtype, tlvs)
        except (socket.timeout, TimeoutError):
            pass
        self.sock.settimeout(5)

    def preinit(self):
        self.request(0, tlv(1, self.cluster.encode()), 1)

    def init(self, node, algo, hb, tb_mode, tb_node, ring_id):
        body = (u32(9, node) + u16(11, algo) + u32(12, hb)
                + tlv(21, struct.pack(">BI", tb_mode, tb_node)) + ring(*ring_id))
        r = self.request(3, body, 4)
        if struct.unpack(">H", r[6])[0] != 0:
            raise RuntimeError("INIT refused: %r" % r)

    def kap(self, on):
        self.request(6, u8(23, on), 7)

    def config(self, nodes, version=None):
        body = u8(18, 0)
        if version is not None:
            body += u64(14, version)
        for n in nodes:
            body += node_info(*n) if isinstance(n, tuple) else node_info(n)
        self.request(10, body, 11)

    def membership(self, ring_id, nodes, heur=None):
        body = u8(18, 2) + ring(*ring_id) + b"".join(node_info(n) for n in nodes)
        if heur is not None:
            body += u8(22, heur)
        self.request(10, body, 11)

    def heuristics(self, heur):
        self.request(16, u8(22, heur), 17)

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- daemon

class Daemon:
    def __init__(self, tmp, name, extra=()):
        self.dir = os.path.join(tmp, name)
        os.mkdir(self.dir)
        self.sockpath = os.path.join(self.dir, "qnetd.sock")
        self.port = free_port()
        s = "lock_file=%s,local_socket_file=%s" % (
            os.path.join(self.dir, "qnetd.pid"), self.sockpath)
        with open(QNETD_BIN, "rb") as f:
            if b"state_dir" in f.read():
                # Ours: the vote memory stays in the test's directory.
                s += ",state_dir=%s" % os.path.join(self.dir, "state")
        args = [QNETD_BIN, "-f", "-s", "off", "-l", "127.0.0.1", "-p", str(self.port),
                "-S", s] + list(extra)
        # QNETD_TEST_ARGS="-S workers=2": the same test against the multi-process daemon
        args += shlex.split(os.environ.get("QNETD_TEST_ARGS", ""))
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.exists(self.sockpath) and port_open(self.port):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("daemon did not start: %s" % open(os.path.join(self.dir, "log")).read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
            # A sanitizer build reports into the log; any report is a failure.
            text = open(os.path.join(self.dir, "log"), errors="replace").read()
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if marker in text:
                    fail("daemon log (%s) has a %s report:\n%s" % (self.dir, marker, text[-3000:]))
                    break


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port):
    """Listening, seen without connecting: a probe connection would count as
    a client until the daemon reads its EOF, and the first status compared
    right after start could catch it (flaky under load)."""
    sys.path.insert(0, path_in_top("tests/lib"))
    from daemon import _listening
    return _listening(port)


# ---------------------------------------------------------------- tools

def run_tool(binary, args):
    # argv[0] is fixed, so that getopt's messages (which print argv[0]) agree.
    p = subprocess.run(["corosync-qnetd-tool"] + args, executable=binary,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    return p.returncode, p.stdout, p.stderr


def compare_tools(args, want_rc=None, want_out=None, want_err=None):
    """Run both tools; they must agree, and agree with the golden values given."""
    ours = run_tool(OUR_TOOL, args)
    theirs = run_tool(DEBIAN_TOOL, args)
    label = " ".join(a if len(a) < 40 else a[:20] + "..." for a in args)
    check_eq("tool %s: ours vs Debian's (rc, stdout, stderr)" % label, ours, theirs)
    rc, out, err = theirs
    if want_rc is not None:
        check_eq("tool %s: exit code" % label, rc, want_rc)
    if want_out is not None:
        if isinstance(want_out, re.Pattern):
            if not want_out.fullmatch(out):
                fail("tool %s: stdout %r does not match %r" % (label, out, want_out.pattern))
        else:
            check_eq("tool %s: stdout" % label, out, want_out)
    if want_err is not None:
        check_eq("tool %s: stderr" % label, err, want_err)
    return theirs


def raw_ipc(sockpath, data, shut_wr=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(15)
    s.connect(sockpath)
    try:
        s.sendall(data)
    except OSError:
        pass
    if shut_wr:
        s.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except ConnectionResetError:
        pass
    s.close()
    return out


# ---------------------------------------------------------------- goldens

USAGE = b"usage: corosync-qnetd-tool [-Hhlsv] [-c cluster_name] [-p qnetd_ipc_socket_path]\n"
ADDR = rb"127\.0\.0\.1:\d+"


def status_golden(port, verbose, clients, clusters):
    s = ("QNetd address:\t\t\t127.0.0.1:%d\n"
         "TLS:\t\t\t\tUnsupported\n"
         "Connected clients:\t\t%d\n"
         "Connected clusters:\t\t%d\n" % (port, clients, clusters))
    if verbose:
        s += ("Maximum allowed clients:\t20\n"
              "Maximum send/receive size:\t32768/32768 bytes\n")
    return s.encode()


def node_block(nid, verbose, hb, cfg_ver, cfg, ring_s, memb, heur, vote):
    """One "Node ID" block; heur is (last, membership, regular)."""
    s = rb"    Node ID %d:\n        Client address:\t\t" % nid + ADDR + rb"\n"
    if verbose:
        s += rb"        HB interval:\t\t%dms\n" % hb
    if cfg_ver is not None:
        s += rb"        Configuration version:\t%d\n" % cfg_ver
    if cfg:
        s += rb"        Configured node list:\t" + re.escape(cfg.encode()) + rb"\n"
    if verbose:
        s += rb"        Ring ID:\t\t" + re.escape(ring_s.encode()) + rb"\n"
    if memb:
        s += rb"        Membership node list:\t" + re.escape(memb.encode()) + rb"\n"
    if heur[0] != "Undefined" or verbose:
        s += rb"        Heuristics:\t\t" + heur[0].encode()
        if verbose:
            s += rb" \(membership: %s, regular: %s\)" % (heur[1].encode(), heur[2].encode())
        s += rb"\n"
    if verbose:
        s += rb"        TLS active:\t\tNo\n"
    if vote:
        s += rb"        Vote:\t\t\t" + re.escape(vote.encode()) + rb"\n"
    return s


def list_golden(verbose, only=None):
    # Taken from Debian's corosync-qnetd 3.0.3 for the state build_state() makes.
    u = ("Undefined", "Undefined", "Undefined")
    clusters = [
        ("alpha", "Fifty-Fifty split (KAP Tie-breaker)", "Node with lowest node ID", [
            (1, 120000, 7, "1 (5), 2, 3 (6)", "1.4", "1, 2", ("Pass", "Pass", "Undefined"),
             "ACK (ACK)"),
            (2, 120000, 7, "1 (5), 2, 3 (6)", "1.4", "1, 2", ("Pass", "Pass", "Undefined"),
             "No change (ACK)"),
        ]),
        ('we"ird\\name', "LMS", "Node with node ID 3", [
            (3, 100000, None, "3", "1a.2b3c4d5e6f", "3", ("Fail", "Undefined", "Fail"),
             "No change (ACK)"),
        ]),
        ("gamma", "Test", "Node with highest node ID", [
            (7, 60000, None, None, "7.0", None, u, None),
        ]),
        ("delta", "Fifty-Fifty split", "Node with lowest node ID", [
            (1, 120000, None, "1, 4", "1.1", None, u, "Ask later"),
            (4, 120000, None, "1, 4", "1.1", None, u, "Ask later"),
        ]),
        ("epsilon", "Fifty-Fifty split (KAP Tie-breaker)", "Node with lowest node ID", [
            (1, 120000, 0x123456789abcdef0, "1, 2", "1.5", "1", ("Pass", "Pass", "Undefined"),
             "ACK (ACK)"),
            (2, 120000, 0x123456789abcdef0, "1, 2", "2.5", "2", ("Fail", "Fail", "Undefined"),
             "No change (NACK)"),
        ]),
    ]
    s = b""
    for name, algo, tb, nodes in clusters:
        if only is not None and only != name:
            continue
        s += (re.escape(b'Cluster "%s":\n    Algorithm:\t\t%s\n    Tie-breaker:\t%s\n'
                        % (name.encode(), algo.encode(), tb.encode())))
        for n in nodes:
            s += node_block(n[0], verbose, *n[1:])
    return re.compile(s, re.S)


# ---------------------------------------------------------------- tests

def build_state(port):
    """Clusters in creation order: alpha, we"ird\\name, gamma, delta; plus one bare client."""
    clients = []

    a2 = Client(port, "alpha")     # node 2 connects first: the list is in node-id order
    a1 = Client(port, "alpha")
    clients += [a1, a2]
    for c, nid in ((a2, 2), (a1, 1)):
        c.preinit()
        c.init(nid, 1, 120000, 1, 0, (1, 4))
        c.kap(1)
    for c in (a1, a2):
        c.config([(1, 5), 2, (3, 6)], 7)
    a1.membership((1, 4), [1, 2], 1)
    a2.membership((1, 4), [1, 2], 1)
    for c in (a1, a2):
        c.drain()

    w = Client(port, 'we"ird\\name')
    clients.append(w)
    w.preinit()
    w.init(3, 3, 100000, 3, 3, (0x1a, 0x2b3c4d5e6f))
    w.config([3])
    w.membership((0x1a, 0x2b3c4d5e6f), [3])
    w.heuristics(2)
    w.drain()

    g = Client(port, "gamma")
    clients.append(g)
    g.preinit()
    g.init(7, 0, 60000, 2, 0, (7, 0))

    for nid, kap in ((4, 0), (1, 1)):
        d = Client(port, "delta")
        clients.append(d)
        d.preinit()
        d.init(nid, 1, 120000, 1, 0, (1, 1))
        if kap:
            d.kap(1)       # only one of two clients: no "(KAP Tie-breaker)"
        # Without a config list, Debian's 3.0.3 daemon crashes (SIGSEGV) when
        # the first of two such ffsplit clients disconnects: send one.
        d.config([1, 4])

    # Two one-node partitions: the tie-breaker (lowest) gives node 1 ACK, node 2 NACK.
    e1 = Client(port, "epsilon")
    e2 = Client(port, "epsilon")
    clients += [e1, e2]
    for c, nid in ((e1, 1), (e2, 2)):
        c.preinit()
        c.init(nid, 1, 120000, 1, 0, (nid, 5))
        c.kap(1)
        c.config([1, 2], 0x123456789abcdef0)
    e1.membership((1, 5), [1], 1)
    e2.membership((2, 5), [2], 2)
    for c in (e1, e2):
        c.drain()

    bare = Client(port, "nothing")  # connected, never sends INIT
    clients.append(bare)
    bare.preinit()
    return clients


def is_debian_daemon():
    return os.path.realpath(QNETD_BIN) == "/usr/bin/corosync-qnetd"


def test_daemon_outputs(d):
    # An IPC connection that never sends: ours closes it after 10 s
    # (IPC_IDLE_TIMEOUT_MS); Debian's keeps it forever.  It holds one of the
    # ipc_max_clients slots meanwhile.
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(d.sockpath)
    idle_since = time.time()
    clients = build_state(d.port)
    try:
        compare_tools(["-s", "-p", d.sockpath], 0, status_golden(d.port, False, 9, 5), b"")
        compare_tools(["-s", "-v", "-p", d.sockpath], 0, status_golden(d.port, True, 9, 5), b"")
        compare_tools(["-v", "-p", d.sockpath, "-s"], 0, status_golden(d.port, True, 9, 5), b"")
        compare_tools(["-l", "-p", d.sockpath], 0, list_golden(False), b"")
        compare_tools(["-l", "-v", "-p", d.sockpath], 0, list_golden(True), b"")
        compare_tools(["-l", "-c", "alpha", "-p", d.sockpath], 0,
                      list_golden(False, "alpha"), b"")
        compare_tools(["-l", "-v", "-c", 'we"ird\\name', "-p", d.sockpath], 0,
                      list_golden(True, 'we"ird\\name'), b"")
        compare_tools(["-l", "-c", "missing", "-p", d.sockpath], 0, b"", b"")
        compare_tools(["-l", "-c", "ALPHA", "-p", d.sockpath], 0, b"", b"")
        compare_tools(["-l", "-c", "", "-p", d.sockpath], 0, list_golden(False), b"")
        compare_tools(["-s", "-l", "-p", d.sockpath], 0, list_golden(False), b"")
        compare_tools(["-l", "-s", "-c", "alpha", "-p", d.sockpath], 0,
                      status_golden(d.port, False, 9, 5), b"")
        # 4096 bytes with the NUL: too long for the tool, which says so after connecting.
        compare_tools(["-l", "-c", "x" * 4080, "-p", d.sockpath], 2, b"",
                      b"corosync-qnetd-tool: Can't store command\n")
        compare_tools(["-l", "-c", "x" * 4075, "-p", d.sockpath], 0, b"", b"")
        test_raw_requests(d)
        if not is_debian_daemon():
            idle.settimeout(max(0.1, idle_since + 12 - time.time()))
            try:
                got = idle.recv(100)
            except (socket.timeout, TimeoutError):
                got = None
            check_eq("idle IPC connection closed by the server after 10 s", got, b"")
    finally:
        idle.close()
        for c in clients:
            c.close()
    # The daemon notices the disconnects; the counts drop back.
    deadline = time.time() + 5
    while time.time() < deadline:
        if run_tool(DEBIAN_TOOL, ["-s", "-p", d.sockpath])[1] == status_golden(d.port, False, 0, 0):
            break
        time.sleep(0.1)
    compare_tools(["-s", "-p", d.sockpath], 0, status_golden(d.port, False, 0, 0), b"")
    compare_tools(["-l", "-p", d.sockpath], 0, b"", b"")


def test_raw_requests(d):
    cases = [
        (b"\n", b"Error\nNo command specified\n"),
        (b"   \t \r\n", b"Error\nNo command specified\n"),
        (b"foo bar\n", b"Error\nUnknown command 'foo'\n"),
        (b'"fo\\"o"x\n', b"Error\nUnknown command 'fo\"ox'\n"),
        (b"f\\o\\\\o\n", b"Error\nUnknown command 'fo\\o'\n"),
        (b'"a\\b"\n', b"Error\nUnknown command 'a\\b'\n"),
        (b"sta\rtus\n", b"Error\nUnknown command 'sta'\n"),
        (b"\x00status\n", b"Error\nNo command specified\n"),
        (b"status\x00junk\n", b"OK\n" + status_golden(d.port, False, 9, 5)),
        (b"STATUS VERBOSE\n", b"OK\n" + status_golden(d.port, True, 9, 5)),
        (b"status foo verbose\n", b"OK\n" + status_golden(d.port, False, 9, 5)),
        (b"status\nverbose\n", b"OK\n" + status_golden(d.port, False, 9, 5)),
        (b"list cluster gamma verbose extra\n", None),
        (b"list bogus cluster gamma\n", None),
        (b'list cluster "gam"ma\n', None),
        (b"list cluster \"gamma\n", None),
        (b'list cluster ""\n', None),
        (b"list cluster\n", None),
        (b"list\r\n", None),
    ]
    for req, want in cases:
        got = raw_ipc(d.sockpath, req)
        if want is None:
            # compare with what the tool route gives for the same filter
            continue
        check_eq("raw IPC %r" % req, got, want)
    gamma = raw_ipc(d.sockpath, b"list cluster gamma verbose extra\n")
    if not list_golden(True, "gamma").fullmatch(gamma[3:]) or gamma[:3] != b"OK\n":
        fail("raw list cluster gamma verbose: %r" % gamma)
    for req in (b"list bogus cluster gamma\n", b'list cluster ""\n', b"list cluster\n",
                b"list\r\n"):
        got = raw_ipc(d.sockpath, req)
        if got[:3] != b"OK\n" or not list_golden(False).fullmatch(got[3:]):
            fail("raw IPC %r: %r" % (req, got[:200]))
    for req in (b'list cluster "gam"ma\n', b'list cluster "gamma\n'):
        got = raw_ipc(d.sockpath, req)
        if got[:3] != b"OK\n" or not list_golden(False, "gamma").fullmatch(got[3:]):
            fail("raw IPC %r: %r" % (req, got[:200]))
    # No newline before EOF: no reply.  Over ipc_max_receive_size: disconnect, no reply.
    check_eq("raw IPC without newline", raw_ipc(d.sockpath, b"status", shut_wr=True), b"")
    check_eq("raw IPC too long", raw_ipc(d.sockpath, b"x" * 5000 + b"\n"), b"")
    # A newline within the limit is enough, whatever follows.
    check_eq("raw IPC newline then junk", raw_ipc(d.sockpath, b"foo\n" + b"y" * 200),
             b"Error\nUnknown command 'foo'\n")
    # Long unknown command: echoed in full.
    check_eq("raw IPC long word", raw_ipc(d.sockpath, b"z" * 4000 + b"\n"),
             b"Error\nUnknown command '" + b"z" * 4000 + b"'\n")
    # Connections beyond ipc_max_clients (3 here) are accepted and closed
    # at once.  Hold 3 ourselves: the idle connection of test_daemon_outputs
    # may already have met the daemon's idle timeout on a slow machine (and
    # if it has not, our third is simply closed).
    idle = []
    for _ in range(3):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.sockpath)
        idle.append(s)
    time.sleep(0.2)
    check_eq("raw IPC over ipc_max_clients", raw_ipc(d.sockpath, b"status\n"), b"")
    # The tool is closed on too: it sees EOF, or SIGPIPE if its write comes
    # after the close (a race, for Debian's tool as for ours).
    for tool in (OUR_TOOL, DEBIAN_TOOL):
        res = run_tool(tool, ["-s", "-p", d.sockpath])
        if res not in ((0, b"", b""), (-signal.SIGPIPE, b"", b"")):
            fail("%s -s over ipc_max_clients: %r" % (tool, res))
    for s in idle:
        s.close()
    time.sleep(0.2)
    compare_tools(["-s", "-p", d.sockpath], 0, status_golden(d.port, False, 9, 5), b"")


def fake_server(path, reply):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    got = []

    def serve():
        for _ in range(2):
            c, _ = srv.accept()
            data = b""
            while b"\n" not in data:
                d = c.recv(8192)
                if not d:
                    break
                data += d
            got.append(data)
            c.sendall(reply)
            c.close()
        srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t, got


def test_tool_replies(tmp):
    """The tool's side of odd replies, against a fake server (two runs: both tools)."""
    cases = [
        (["-s"], b"Error\nboom\nmore\n", 4, b"", b"Error: boom\nmore\n", b"status \n"),
        (["-l", "-v", "-c", 'a"b\\c d'], b"oK\r\nbody\r\n", 0, b"body\r\n", b"",
         b'list verbose cluster "a\\"b\\\\c d" \n'),
        (["-H", "-v"], b"ERROR\r\n", 4, b"", b"Error: ", b"shutdown verbose \n"),
        (["-s"], b"WHAT\nx\n", 3, b"",
         b"corosync-qnetd-tool: Unknown status line returned by IPC server\n", None),
        (["-s"], b"OK", 0, b"", b"", None),
        (["-s"], b"", 0, b"", b"", None),
        (["-s"], b"OK\x00garbage\nbody", 0, b"body", b"", None),
        (["-s"], b"x" * 511 + b"\n", 3, b"",
         b"corosync-qnetd-tool: Unknown status line returned by IPC server\n", None),
        (["-s"], b"x" * 512 + b"\n", 2, b"",
         b"corosync-qnetd-tool: Internal error during IPC status line read\n", None),
        (["-s"], b"\r" * 600 + b"ok\n" + b"\x00\xff" * 3000, 0, b"\x00\xff" * 3000, b"", None),
    ]
    for i, (args, reply, rc, out, err, want_req) in enumerate(cases):
        path = os.path.join(tmp, "fake%d.sock" % i)
        t, got = fake_server(path, reply)
        compare_tools(args + ["-p", path], rc, out, err)
        t.join(5)
        if want_req is not None:
            check_eq("request for %r" % args, got, [want_req, want_req])
        os.unlink(path)


def test_usage_and_connect(tmp):
    missing = os.path.join(tmp, "nope.sock")
    nosock = b"corosync-qnetd-tool: Can't connect to qnetd socket (is QNetd running?): "
    compare_tools([], 1, USAGE, b"")
    compare_tools(["-h"], 1, USAGE, b"")
    compare_tools(["-s", "-h"], 1, USAGE, b"")
    compare_tools(["-v"], 1, USAGE, b"")
    compare_tools(["-x", "-s"], 1, USAGE, b"corosync-qnetd-tool: invalid option -- 'x'\n")
    compare_tools(["-s", "-c"], 1, USAGE,
                  b"corosync-qnetd-tool: option requires an argument -- 'c'\n")
    compare_tools(["--status"], 1, USAGE, None)
    compare_tools(["-s", "-p", missing], 3, b"", nosock + b"No such file or directory\n")
    compare_tools(["-l", "-v", "-c", "x", "-p", missing], 3, b"",
                  nosock + b"No such file or directory\n")
    compare_tools(["-H", "-p", missing], 3, b"", nosock + b"No such file or directory\n")
    compare_tools(["-s", "-p", ""], 3, b"", nosock + b"File name too long\n")
    compare_tools(["-s", "-p", "/" + "a" * 107], 3, b"", nosock + b"File name too long\n")
    compare_tools(["-s", "-p", tmp], 3, b"", nosock + b"Connection refused\n")
    compare_tools(["-s", "extra", "args", "-p", missing], 3, b"",
                  nosock + b"No such file or directory\n")


def test_shutdown(tmp):
    for n, tool in enumerate((OUR_TOOL, DEBIAN_TOOL)):
        d = Daemon(tmp, "shut%d" % n)
        try:
            res = run_tool(tool, ["-H", "-p", d.sockpath])
            check_eq("%s -H" % tool, res, (0, b"", b""))
            try:
                rc = d.proc.wait(10)
            except subprocess.TimeoutExpired:
                rc = None
            check_eq("daemon exit code after -H (%s)" % tool, rc, 0)
            check_eq("socket removed after -H", os.path.exists(d.sockpath), False)
        finally:
            d.stop()


def test_socket_mode(tmp):
    """local_socket_umask / local_socket_gid (upstream >= 3.0.4; Debian's 3.0.3 rejects them)."""
    if is_debian_daemon():
        return
    import grp
    import stat
    gid = grp.getgrnam("daemon").gr_gid if os.getuid() == 0 else os.getgid()
    d = Daemon(tmp, "mode", ["-S", "local_socket_umask=0077,local_socket_gid=%d" % gid])
    try:
        st = os.stat(d.sockpath)
        check_eq("socket mode with umask 0077", stat.S_IMODE(st.st_mode), 0o700)
        check_eq("socket group", st.st_gid, gid)
        # The start-up probe (port_open) is a TCP client until the daemon
        # has seen it close: wait for that, as test_daemon_outputs does.
        deadline = time.time() + 5
        while time.time() < deadline:
            if run_tool(DEBIAN_TOOL, ["-s", "-p", d.sockpath])[1] == \
                    status_golden(d.port, False, 0, 0):
                break
            time.sleep(0.1)
        compare_tools(["-s", "-p", d.sockpath], 0, status_golden(d.port, False, 0, 0), b"")
    finally:
        d.stop()


def test_ffsplit_disconnect_without_lists(tmp):
    """Debian's 3.0.3 daemon dies (SIGSEGV) when the first of two ffsplit
    clients that sent INIT but no node list disconnects; ours must not."""
    if is_debian_daemon():
        return
    d = Daemon(tmp, "ffsplit")
    try:
        cs = []
        for nid in (1, 2):
            c = Client(d.port, "bare-ffsplit")
            c.preinit()
            c.init(nid, 1, 120000, 1, 0, (1, 1))
            cs.append(c)
        cs[0].close()
        time.sleep(0.3)
        check_eq("daemon alive after an ffsplit client without lists left", d.proc.poll(), None)
        compare_tools(["-l", "-p", d.sockpath], 0, re.compile(
            rb'Cluster "bare-ffsplit":\n    Algorithm:\t\tFifty-Fifty split\n'
            rb'    Tie-breaker:\tNode with lowest node ID\n    Node ID 2:\n'
            rb'        Client address:\t\t' + ADDR + rb'\n'
            # Upstream never gets here, so the vote is the algorithm's call.
            rb'(        Vote:\t\t\t[^\n]*\n)?'), b"")
        cs[1].close()
    finally:
        d.stop()


def main():
    for b, what in ((QNETD_BIN, "daemon"), (OUR_TOOL, "our tool"), (DEBIAN_TOOL, "Debian's tool")):
        if not os.access(b, os.X_OK):
            skip("%s not built/installed: %s" % (what, b))
    tmp = tempfile.mkdtemp(prefix="qnetd-tool-test.")
    daemons = []
    try:
        test_usage_and_connect(tmp)
        test_tool_replies(tmp)
        d = Daemon(tmp, "main", ["-m", "20", "-S", "ipc_max_clients=3"])
        daemons.append(d)
        test_daemon_outputs(d)
        test_shutdown(tmp)
        test_socket_mode(tmp)
        test_ffsplit_disconnect_without_lists(tmp)
    finally:
        for d in daemons:
            d.stop()
        if failures and os.environ.get("KEEP_TMP"):
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("all tool/IPC checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
