"""Helpers for the hostile-peer and fault black-box tests.

* well_behaved(d): the check every hostile test ends with: a fresh 2-node
  ffsplit cluster connects, INITs, reports its lists and both nodes get
  VOTE_INFO ACK (with TLS and client certificates when the daemon needs
  them);
* proc_rss_kb / proc_cpu_s / proc_fds: what /proc says about the daemon;
* Node: a non-blocking qdevice-like client (reconnects on close and redoes
  the handshake, answers VOTE_INFO, sends heartbeats) and run_nodes(), a
  selector loop that drives many of them;
* FixedPortDaemon: a Daemon restarted on the same port after a kill.
"""

import errno
import os
import random
import re
import selectors
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemon as daemon_mod  # noqa: E402
import qnetd_client as q  # noqa: E402

_counter = [0]


def unique(prefix="hc"):
    """A cluster name nobody else in this test uses."""
    _counter[0] += 1
    return "%s-%d-%d" % (prefix, os.getpid(), _counter[0])


def fail(text):
    print("FAIL: %s" % text)
    sys.stdout.flush()
    sys.exit(1)


def check(cond, text):
    if not cond:
        fail(text)
    print("ok   %s" % text)
    sys.stdout.flush()


# ---------------------------------------------------------------- /proc

def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def proc_rss_kb(pid):
    return proc_status(pid, "VmRSS")


def proc_cpu_s(pid):
    """utime + stime of the process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / float(ticks)


def sanitized(pid):
    """True if the process runs with ASan or under valgrind (its RSS then
    says nothing: freed memory sits in a quarantine; the leak checkers
    judge at exit)."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read()
        return "libasan" in maps or "vgpreload" in maps
    except OSError:
        return False


def check_rss(pid, before, after, limit_kb, text):
    if sanitized(pid):
        check(True, "%s: RSS %d -> %d KiB (not judged under ASan or valgrind; "
              "their leak checks run at exit)" % (text, before, after))
        return
    check(after - before < limit_kb, "%s: RSS %d -> %d KiB (limit +%d)"
          % (text, before, after, limit_kb))


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def list_votes(text):
    """{(cluster, node_id): vote} from corosync-qnetd-tool -l output: for
    "Vote: No change (ACK)" the last ACK/NACK, which is in brackets."""
    votes = {}
    cluster = node = None
    for line in text.splitlines():
        m = re.match(r'Cluster "(.*)":', line)
        if m:
            cluster = m.group(1)
            continue
        m = re.match(r"\s+Node ID (\d+):", line)
        if m:
            node = int(m.group(1))
            continue
        m = re.match(r"\s+Vote:\s+(.+?)(?: \((\S+)\))?$", line)
        if m and cluster is not None and node is not None:
            votes[(cluster, node)] = m.group(2) or m.group(1)
    return votes


# ---------------------------------------------------------------- the check

def _tls_client(d, name, cluster, node_id):
    c = q.Client(d.host, d.port, name=name, timeout=10.0)
    tls = {"off": q.TLS_UNSUPPORTED, "on": q.TLS_SUPPORTED,
           "req": q.TLS_REQUIRED}[d.tls]
    cert_req = 1 if d.cert_required in (None, "on") else 0
    c.do_preinit(cluster, tls=tls, cert_required=cert_req)
    seq = 2
    if d.tls != "off":
        cc = d.pki.client(cluster)
        c.starttls(seq=2, cert=cc.cert, key=cc.key, ca=cc.ca)
        seq = 3
    c.send(q.init(seq, node_id))
    m = c.expect_type(q.MSG_INIT_REPLY, "INIT")
    if m.error != q.E_NO_ERROR or m.seq != seq:
        c.fail("INIT refused: %s" % m.describe())
    return c, seq + 1


def well_behaved(d, cluster=None, what="a well-behaved 2-node cluster gets its vote"):
    """Two nodes of a new ffsplit cluster get VOTE_INFO ACK; then echo."""
    cluster = cluster or unique("good")
    c1, s1 = _tls_client(d, "good1", cluster, 1)
    c2, s2 = _tls_client(d, "good2", cluster, 2)
    try:
        for c, s in ((c1, s1), (c2, s2)):
            c.do_node_list(s, q.LIST_INITIAL_CONFIG, (1, 2), (1, 4),
                           q.VOTE_ASK_LATER, config_version=1)
        c1.do_node_list(s1 + 1, q.LIST_MEMBERSHIP, (1, 2), (1, 4),
                        q.VOTE_WAIT_FOR_REPLY, ring=(1, 4),
                        heuristics=q.HEUR_PASS)
        c2.send(q.node_list(s2 + 1, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4),
                            heuristics=q.HEUR_PASS))
        c1.expect(q.vote_info(1, q.VOTE_ACK, (1, 4)), "VOTE_INFO to node 1")
        c2.expect(q.vote_info(1, q.VOTE_ACK, (1, 4)), "VOTE_INFO to node 2")
        c2.expect(q.node_list_reply(s2 + 1, q.LIST_MEMBERSHIP, (1, 4),
                                    q.VOTE_NO_CHANGE), "membership reply")
        c1.do_vote_info_reply(1)
        c2.do_vote_info_reply(1)
        c1.do_echo(0x77)
        c2.do_echo(0x78)
    except (q.ProtocolMismatch, q.Closed, q.Timeout, OSError) as e:
        fail("%s: %s\ndaemon log tail:\n%s" % (what, e, tail(d.log())))
    finally:
        c1.close()
        c2.close()
    check(d.alive(), what)


def tail(text, n=30):
    return "\n".join(text.splitlines()[-n:])


def ipc_status(d, verbose=False):
    """Our tool's -s output as a dict (first word of the key)."""
    tool = os.path.join(os.path.dirname(daemon_mod.default_bin()),
                        "corosync-qnetd-tool")
    if not os.access(tool, os.X_OK):
        tool = daemon_mod.tool_bin()
    args = [tool, "-s", "-p", d.sock_path] + (["-v"] if verbose else [])
    p = subprocess.run(args, capture_output=True, timeout=20)
    out = {}
    for line in p.stdout.decode(errors="replace").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    out["_rc"] = p.returncode
    return out


def connected_clients(d):
    st = ipc_status(d)
    try:
        return int(st.get("Connected clients", "-1"))
    except ValueError:
        return -1


def wait_for(cond, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def raise_nofile(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        want = min(n, hard) if hard != resource.RLIM_INFINITY else n
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class FixedPortDaemon(daemon_mod.Daemon):
    """A Daemon that binds the port it is given (for restarts)."""

    def start_on(self, port, timeout=None):
        orig = daemon_mod.free_port
        daemon_mod.free_port = lambda: port
        try:
            return self.start(timeout)
        finally:
            daemon_mod.free_port = orig


# ---------------------------------------------------------------- Node

class Node:
    """A qdevice-like ffsplit client driven by run_nodes().

    It connects, sends PREINIT, INIT, the initial config list and its
    current membership; answers every VOTE_INFO with VOTE_INFO_REPLY;
    sends ECHO_REQUEST every `hb` ms; on any close (or an INIT refused, as
    the real client does) it reconnects after `retry` seconds and starts
    over.  `vote` is the last vote a VOTE_INFO carried (None until one).
    """

    def __init__(self, host, port, cluster, node_id, nodes, hb=8000,
                 retry=0.3):
        self.host, self.port = host, port
        self.cluster, self.node_id, self.nodes = cluster, node_id, tuple(nodes)
        self.hb, self.retry = hb, retry
        self.sock = None
        self.rbuf = b""
        self.wbuf = b""
        self.state = "down"
        self.next_try = 0.0
        self.next_echo = 0.0
        self.seq = 0
        self.echo_seq = 0
        self.ring = (node_id, 1)
        self.members = tuple(nodes)
        self.vote = None
        self.vote_ring = None
        self.connects = 0
        self.closes = 0
        self.inits = 0
        self.errors = []

    # -- what the test changes
    def set_membership(self, ring, members):
        self.ring, self.members = ring, tuple(members)
        self.vote = None
        if self.state == "up":
            self._send_membership()

    # -- plumbing
    def _next_seq(self):
        self.seq += 1
        return self.seq

    def _send(self, data):
        self.wbuf += data

    def _send_membership(self):
        self._send(q.node_list(self._next_seq(), q.LIST_MEMBERSHIP,
                               self.members, ring=self.ring,
                               heuristics=q.HEUR_PASS))

    def connect(self, now):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((self.host, self.port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self.next_try = now + self.retry
            return False
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        self.rbuf = b""
        self.wbuf = b""
        self.seq = 0
        self.vote = None
        self.connects += 1
        self.state = "preinit"
        self._send(q.preinit(self._next_seq(), self.cluster))
        self.next_echo = now + self.hb / 1000.0
        return True

    def close(self, now, why=""):
        if self.sock is not None:
            self.closes += 1
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.state = "down"
        self.vote = None
        self.next_try = now + self.retry * (0.5 + random.random())

    def on_write(self, now):
        if not self.wbuf:
            return
        try:
            n = self.sock.send(self.wbuf)
        except BlockingIOError:
            return
        except OSError:
            self.close(now, "send")
            return
        self.wbuf = self.wbuf[n:]

    def on_read(self, now):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self.close(now, "recv")
            return
        if not data:
            self.close(now, "eof")
            return
        self.rbuf += data
        while len(self.rbuf) >= 6 and self.sock is not None:
            length = struct.unpack_from(">I", self.rbuf, 2)[0]
            if len(self.rbuf) < 6 + length:
                break
            raw = self.rbuf[:6 + length]
            self.rbuf = self.rbuf[6 + length:]
            self.on_msg(q.Message(raw), now)

    def on_msg(self, m, now):
        if m.type == q.MSG_PREINIT_REPLY and self.state == "preinit":
            self.state = "init"
            self._send(q.init(self._next_seq(), self.node_id,
                              heartbeat=self.hb, ring=self.ring))
        elif m.type == q.MSG_INIT_REPLY and self.state == "init":
            if m.error != q.E_NO_ERROR:
                # the old session may still hold the node id: start over
                self.errors.append(m.error)
                self.close(now, "init error %s" % m.error)
                return
            self.inits += 1
            self.state = "up"
            self._send(q.node_list(self._next_seq(), q.LIST_INITIAL_CONFIG,
                                   self.nodes, config_version=1))
            self._send_membership()
        elif m.type == q.MSG_VOTE_INFO:
            v = m.u8(q.OPT_VOTE)
            ring = m.get(q.OPT_RING_ID)
            self.vote = v
            self.vote_ring = ring
            self._send(q.vote_info_reply(m.seq))
        elif m.type == q.MSG_SERVER_ERROR:
            self.errors.append(m.error)

    def tick(self, now):
        if self.state == "down" and now >= self.next_try:
            self.connect(now)
        elif self.state == "up" and now >= self.next_echo:
            self.echo_seq += 1
            self._send(q.echo_request(self.echo_seq))
            self.next_echo = now + self.hb / 1000.0


def run_nodes(nodes, seconds, until=None, step=0.05):
    """Drive nodes for up to `seconds`; stop early when until() is true.
    Returns True if until() became true (or was None)."""
    sel = selectors.DefaultSelector()
    deadline = time.monotonic() + seconds
    try:
        while True:
            now = time.monotonic()
            for n in nodes:
                n.tick(now)
            if until is not None and until():
                return True
            if now >= deadline:
                return until is None
            registered = 0
            for n in nodes:
                if n.sock is None:
                    continue
                ev = selectors.EVENT_READ
                if n.wbuf:
                    ev |= selectors.EVENT_WRITE
                sel.register(n.sock, ev, n)
                registered += 1
            if registered:
                for key, ev in sel.select(step):
                    n = key.data
                    if n.sock is None:
                        continue
                    if ev & selectors.EVENT_WRITE:
                        n.on_write(now)
                    if n.sock is not None and ev & selectors.EVENT_READ:
                        n.on_read(now)
                for key in list(sel.get_map().values()):
                    sel.unregister(key.fileobj)
            else:
                time.sleep(step)
            # a connect that failed shows up as an error on the first I/O
    finally:
        for key in list(sel.get_map().values()):
            sel.unregister(key.fileobj)
        sel.close()
