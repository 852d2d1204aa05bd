#!/usr/bin/env python3
"""The streamed `list` reply (docs/compat.md, "Cluster list streamed"):
a daemon with -S ipc_max_send_size=16384 and a few thousand clients
(qnetd-bench, 2-node ffsplit clusters, TLS off) while protocol clients
join and leave.  `corosync-qnetd-tool -l` and `-l -v` (ours and Debian's,
some at the same time), and `-j -l`, must succeed although the listing is far larger
than ipc_max_send_size, and every listing must parse: only well-formed
lines in the right order, node ids rising within a cluster, no cluster
listed twice, every cluster present for the whole listing listed with
its staying nodes.  Also: a reader that stalls halfway, one that goes
away halfway, one that never reads (closed by the 10 s IPC limit), and
two listings parked while every bench client disconnects (so the
elements their cursors stand on are freed); the daemon keeps serving and
ends cleanly.  Run under ASan (make check SANITIZE=...) a cursor left on
a freed client or cluster is a use after free.

Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

BENCH_CLUSTERS = int(os.environ.get("STREAM_TEST_CLUSTERS", "1500"))
STABLE = 40          # clusters "stable-N": node 1 stays, nodes 2 and 3 churn
WIDE = 300           # clusters "wide-N" of 4 nodes, created after the bench's
MAX_SEND = 16384
failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    else:
        print("ok: " + text)
    sys.stdout.flush()


CLIENT_LINE = re.compile(
    r"        (Client address:\t\t\S+:\d+"
    r"|HB interval:\t\t\d+ms"
    r"|Configuration version:\t\d+"
    r"|Configured node list:\t\d+( \(\d+\))?(, \d+( \(\d+\))?)*"
    r"|Ring ID:\t\t[0-9a-f]+\.[0-9a-f]+"
    r"|Membership node list:\t\d+(, \d+)*"
    r"|Heuristics:\t\t(Undefined|Pass|Fail)( \(membership: \w+, regular: \w+\))?"
    r"|TLS active:\t\t(Yes|No)( \(client certificate verified\))?"
    r"|Vote:\t\t\t(ACK|NACK|Ask later|Wait for reply|No change)( \((ACK|NACK)\))?)$")


def parse_listing(text, verbose):
    """{cluster: [node ids]}, or raises ValueError naming the bad line."""
    clusters = {}
    cur = None
    nodes = None
    expect = "cluster"
    fields = 0
    for n, line in enumerate(text.split("\n")):
        where = "line %d %r" % (n + 1, line[:80])
        if line == "" and n == len(text.split("\n")) - 1:
            break
        m = re.fullmatch(r'Cluster "([^"]*)":', line)
        if m:
            # "node": every client of the previous cluster left after its head was sent
            if expect not in ("cluster", "any", "node"):
                raise ValueError("cluster head out of place: " + where)
            if expect == "any" and verbose and fields < 5:
                raise ValueError("verbose client block too short before " + where)
            cur = m.group(1)
            if cur in clusters:
                raise ValueError("cluster listed twice: " + where)
            nodes = clusters[cur] = []
            expect = "algorithm"
            continue
        if expect == "algorithm":
            if not re.fullmatch(r"    Algorithm:\t\t(Test|Fifty-Fifty split|2 Node LMS|LMS)"
                                r"( \(KAP Tie-breaker\))?", line):
                raise ValueError("bad algorithm line: " + where)
            expect = "tie"
            continue
        if expect == "tie":
            if not re.fullmatch(r"    Tie-breaker:\tNode with (lowest node ID|highest node ID"
                                r"|node ID \d+)", line):
                raise ValueError("bad tie-breaker line: " + where)
            expect = "node"
            continue
        m = re.fullmatch(r"    Node ID (\d+):", line)
        if m:
            if expect not in ("node", "any"):
                raise ValueError("node out of place: " + where)
            if expect == "any" and verbose and fields < 5:
                raise ValueError("verbose client block too short before " + where)
            nid = int(m.group(1))
            if nodes and nid <= nodes[-1]:
                raise ValueError("node ids not rising: " + where)
            nodes.append(nid)
            expect = "address"
            fields = 0
            continue
        if expect == "address":
            if not line.startswith("        Client address:\t\t"):
                raise ValueError("address expected: " + where)
            expect = "any"
        if expect != "any" or not CLIENT_LINE.fullmatch(line):
            raise ValueError("unexpected line: " + where)
        fields += 1
    if expect not in ("cluster", "any", "node"):
        raise ValueError("listing ends inside a cluster head")
    return clusters


def tool_bins():
    bins = [("ours", xu.our_tool())]
    if os.access("/usr/bin/corosync-qnetd-tool", os.X_OK):
        bins.append(("debian", "/usr/bin/corosync-qnetd-tool"))
    return bins


def run_list(tool, sock, verbose):
    args = [tool, "-l"] + (["-v"] if verbose else []) + ["-p", sock]
    p = subprocess.run(args, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Churn(threading.Thread):
    """Protocol clients joining and leaving: nodes 2-3 of "stable-N"
    (node 1 stays), and short-lived clusters "churn-K" (K never reused, so
    no cluster dissolves and forms again under the same name)."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.stop = threading.Event()
        self.rng = random.Random(5)
        self.stable = {}     # (cluster, node) -> Client
        self.short = []      # [(name, [Client])]
        self.k = 0
        self.ops = 0
        self.error = None

    def client(self, cluster, node):
        c = q.Client(self.d.host, self.d.port, name="%s/%d" % (cluster, node))
        c.handshake(cluster, node, heartbeat=120000)
        return c

    def run(self):
        try:
            while not self.stop.is_set():
                r = self.rng.random()
                if r < 0.5:
                    key = ("stable-%d" % self.rng.randrange(STABLE), self.rng.choice((2, 3)))
                    c = self.stable.pop(key, None)
                    if c is not None:
                        c.close()
                    else:
                        self.stable[key] = self.client(*key)
                elif r < 0.75 or not self.short:
                    name = "churn-%d" % self.k
                    self.k += 1
                    self.short.append((name, [self.client(name, n) for n in (1, 2)]))
                else:
                    name, cs = self.short.pop(self.rng.randrange(len(self.short)))
                    for c in cs:
                        c.close()
                self.ops += 1
                time.sleep(0.002)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.error = e

    def close_all(self):
        for c in self.stable.values():
            c.close()
        for _, cs in self.short:
            for c in cs:
                c.close()


def raw_list(sock_path, request):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(15)
    s.connect(sock_path)
    s.sendall(request)
    return s


def read_all(s, start=b""):
    got = start
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return got
        got += chunk


def wait_clients(d, want, timeout):
    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        rc, out, _ = xu.tool(d, "-s")
        m = re.search(rb"Connected clients:\t\t(\d+)", out)
        n = int(m.group(1)) if m else 0
        if n >= want:
            return n
        time.sleep(0.3)
    return n


def main():
    xu.require()
    bench = os.path.join(os.path.dirname(xu.our_tool()), "qnetd-bench")
    if not os.access(bench, os.X_OK):
        dm.skip("%s not built" % bench)

    d = dm.Daemon(debug=False, settings={"ipc_max_send_size": MAX_SEND})
    d.start()
    bp = None
    churn = None
    try:
        bp = subprocess.Popen([bench, "--port", str(d.port), "--clusters", str(BENCH_CLUSTERS),
                               "--nodes", "2", "--steady", "40", "--phase-timeout", "5",
                               "--server-pid", str(d.proc.pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stable_nodes = [q.Client(d.host, d.port, name="stable-%d/1" % i) for i in range(STABLE)]
        for i, c in enumerate(stable_nodes):
            c.handshake("stable-%d" % i, 1, heartbeat=120000)
        n = wait_clients(d, 2 * BENCH_CLUSTERS + STABLE, 60)
        wide = {}
        for i in range(WIDE):
            for node in (1, 2, 3, 4):
                c = q.Client(d.host, d.port, name="wide-%d/%d" % (i, node))
                c.handshake("wide-%d" % i, node, heartbeat=120000)
                wide[(i, node)] = c
        n = wait_clients(d, 2 * BENCH_CLUSTERS + STABLE + 4 * WIDE, 10)
        check(n >= 2 * BENCH_CLUSTERS + STABLE + 4 * WIDE, "%d clients connected" % n)

        # a reader that never reads: the 10 s IPC limit must close it
        never = raw_list(d.sock_path, b"list verbose\n")
        never_t0 = time.monotonic()

        churn = Churn(d)
        churn.start()
        time.sleep(0.5)

        bins = tool_bins()
        results = []
        for rnd in range(3):
            for verbose in (False, True):
                # two tools at once: two streams, two registry cursors
                threads = []
                for name, tool in bins:
                    t = threading.Thread(target=lambda n=name, t=tool, v=verbose: results.append(
                        (n, v) + run_list(t, d.sock_path, v)))
                    t.start()
                    threads.append(t)
                for t in threads:
                    t.join()
        # the JSON listing is streamed the same way: one valid document
        for rnd in range(2):
            rc, out, err = xu.tool(d, "-j", "-l", timeout=30)
            try:
                doc = json.loads(out)
                names = [c["name"] for c in doc["clusters"]]
                check(rc == 0 and len(out) > 10 * MAX_SEND and len(names) == len(set(names))
                      and len([n for n in names if n.endswith(".bench.qnetd")]) == BENCH_CLUSTERS,
                      "tool -j -l under churn: %d bytes, one valid document, %d clusters"
                      % (len(out), len(names)))
            except ValueError as e:
                check(False, "tool -j -l under churn parses: %s (rc %d, %r)" % (e, rc, err[:100]))
        check(churn.error is None, "churn clients ran (%d joins/leaves): %r"
              % (churn.ops, churn.error))
        check(churn.ops > 50, "clients joined and left during the listings (%d)" % churn.ops)

        for name, verbose, rc, out, err in results:
            what = "%s tool -l%s" % (name, " -v" if verbose else "")
            check(rc == 0 and err == "", "%s: rc %d, %d bytes (> ipc_max_send_size %d), "
                  "stderr %r" % (what, rc, len(out), MAX_SEND, err[:100]))
            check(len(out) > 10 * MAX_SEND, "%s: listing of %d bytes" % (what, len(out)))
            try:
                cl = parse_listing(out, verbose)
            except ValueError as e:
                check(False, "%s parses: %s" % (what, e))
                continue
            bench_cl = {k: v for k, v in cl.items() if k.endswith(".bench.qnetd")}
            check(len(bench_cl) == BENCH_CLUSTERS and
                  all(v == [1, 2] for v in bench_cl.values()),
                  "%s: all %d bench clusters, each with nodes 1 and 2 (%d)"
                  % (what, BENCH_CLUSTERS, len(bench_cl)))
            st = [cl.get("stable-%d" % i) for i in range(STABLE)]
            check(all(v is not None and v[0] == 1 for v in st),
                  "%s: every stable-N cluster, with its node 1" % what)
            check(all(cl.get("wide-%d" % i) == [1, 2, 3, 4] for i in range(WIDE)),
                  "%s: every wide-N cluster with its 4 nodes" % what)
            check(all(k.startswith("churn-") or k.startswith("stable-") or k in bench_cl
                      or k.startswith("wide-") for k in cl), "%s: no unknown cluster name" % what)

        # a reader that stalls halfway through, then reads on
        s = raw_list(d.sock_path, b"list verbose\n")
        first = s.recv(4096)
        time.sleep(1.0)
        got = read_all(s, first)
        s.close()
        check(got.startswith(b"OK\n"), "stalled reader: OK")
        try:
            parse_listing(got[3:].decode(), True)
            check(True, "stalled reader: %d bytes parse" % len(got))
        except ValueError as e:
            check(False, "stalled reader's listing parses: %s" % e)

        # readers that go away halfway: their cursors are freed
        for i in range(20):
            s = raw_list(d.sock_path, b"list\n")
            s.recv(1000)
            s.close()
        time.sleep(0.2)
        check(d.alive(), "daemon alive after 20 readers left mid-listing")

        churn.stop.set()
        churn.join(10)

        # clients under parked cursors leave while their clusters stay:
        # readers stop reading at the first wide cluster (their cursors a
        # socket buffer further on, among the wide clusters), then nodes 2-4
        # of every wide cluster disconnect
        parked = []
        for req in (b"list verbose\n", b"list\n", b"list verbose\n", b"list\n"):
            p = raw_list(d.sock_path, req)
            head = b""
            while b'Cluster "wide-0"' not in head:
                chunk = p.recv(4096)
                if not chunk:
                    break
                head += chunk
            parked.append((p, head, req.startswith(b"list verbose")))
        for (i, node), c in list(wide.items()):
            if node != 1:
                c.close()
                del wide[(i, node)]
        want = 2 * BENCH_CLUSTERS + STABLE + WIDE
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            rc, out, _ = xu.tool(d, "-s")
            m = re.search(rb"Connected clients:\t\t(\d+)", out)
            if m and int(m.group(1)) <= want + 5:
                break
            time.sleep(0.1)
        for p, head, verbose in parked:
            got = read_all(p, head)
            p.close()
            try:
                cl = parse_listing(got[3:].decode(), verbose)
                short = len([i for i in range(WIDE) if cl.get("wide-%d" % i) not in
                             (None, [1, 2, 3, 4])])
                check(all(cl.get("wide-%d" % i, [1])[0] == 1 for i in range(WIDE)),
                      "parked listing%s resumes after nodes 2-4 of the wide clusters left "
                      "(%d bytes; %d wide clusters listed short)"
                      % (" -v" if verbose else "", len(got), short))
            except ValueError as e:
                check(False, "parked listing parses after clients left: %s" % e)

        # every cursor's element goes away: a reader stalls a little way into
        # the listing (its cursor parked among the bench clusters), then the
        # bench exits and its clients all disconnect; the rest must still
        # parse, and the bench clusters not yet listed are simply absent
        parked = [raw_list(d.sock_path, req) for req in (b"list\n", b"list verbose\n")]
        heads = [p.recv(8192) for p in parked]
        bp.send_signal(signal.SIGINT)
        try:
            bp.wait(20)
        except subprocess.TimeoutExpired:
            bp.kill()
            bp.wait()
        n = 0
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            rc, out, _ = xu.tool(d, "-s")
            m = re.search(rb"Connected clients:\t\t(\d+)", out)
            n = int(m.group(1)) if m else -1
            if 0 <= n < BENCH_CLUSTERS:
                break
            time.sleep(0.1)
        check(0 <= n < BENCH_CLUSTERS, "bench clients gone while two listings are parked (%d "
              "clients left)" % n)
        for p, head, verbose in zip(parked, heads, (False, True)):
            got = read_all(p, head)
            p.close()
            try:
                cl = parse_listing(got[3:].decode(), verbose)
                nb = len([k for k in cl if k.endswith(".bench.qnetd")])
                check(got.startswith(b"OK\n") and 0 < nb < BENCH_CLUSTERS,
                      "parked listing%s resumes after its clients left: %d bytes, %d of %d "
                      "bench clusters" % (" -v" if verbose else "", len(got), nb, BENCH_CLUSTERS))
            except ValueError as e:
                check(False, "parked listing parses after its clients left: %s" % e)
        check(d.alive(), "daemon alive after the mass disconnect under parked listings")

        # the reader that never read: closed by the 10 s limit, having been
        # sent only what the socket buffer holds
        left = 10.5 - (time.monotonic() - never_t0)
        if left > 0:
            time.sleep(left)
        never.settimeout(3)
        try:
            data = read_all(never)
            closed = True
        except socket.timeout:
            closed = False
            data = b""
        except OSError:
            closed = True
            data = b""
        never.close()
        full = max(len(r[3]) for r in results if r[1])
        check(closed, "a reader that never reads is disconnected after the 10 s limit")
        check(len(data) < full // 2, "never-reader: the daemon held back the rest "
              "(%d of about %d bytes sent)" % (len(data), full))
        rc, out, _ = xu.tool(d, "-s")
        check(rc == 0 and b"Connected clients" in out, "tool -s still answers")
        log = d.log()
        check("list reply not read within" in log, "the never-reader's close is logged")
    finally:
        if churn is not None:
            churn.stop.set()
            churn.join(10)
            churn.close_all()
        for c in stable_nodes if "stable_nodes" in dir() else []:
            c.close()
        for c in wide.values() if "wide" in dir() else []:
            c.close()
        if bp is not None and bp.poll() is None:
            bp.send_signal(signal.SIGINT)
            try:
                bp.wait(20)
            except subprocess.TimeoutExpired:
                bp.kill()
                bp.wait()
        try:
            if d.alive():
                d.stop()
                check(True, "daemon stopped cleanly")
            else:
                check(False, "daemon died; log:\n%s" % d.log()[-3000:])
        finally:
            d.cleanup()

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
