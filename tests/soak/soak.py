#!/usr/bin/env python3
"""Soak: hours of churn against one daemon, watching that it stays flat.

Churn, all at once for SOAK_S seconds (default 1800):
  * rounds of qnetd-bench: clusters connect, hold, split, heal and leave;
    cluster names recur across rounds (some clusters come back, others are
    new); every fourth round with TLS and client certificates;
  * the status tool every half second: -s, -l and -j (which must parse);
  * SIGHUP every 15 s (log level and certificate reload);
  * a hostile client every 2 s (garbage, an oversize frame, a slow partial
    message, a silent connection, a TLS ClientHello to the plaintext port).
Sampled every SOAK_SAMPLE_S seconds (default 5): VmRSS and open descriptors.
The flatness check uses the samples taken between rounds, when no client is
connected, so that they measure the same state each time, after a warm-up of
one cycle of round kinds and the first third of the run (WARMUP_* below).

Pass: every bench round decided correctly for every cluster (no cluster
with two ACKed partitions, none on the wrong side, none unsettled, none
lost); RSS growth below 1 % from the first to the last quarter of the
between-rounds samples; descriptors back to the first baseline at the end;
no sanitizer report in the daemon's log (SANITIZE builds, where RSS is not
judged: the sanitizer's quarantine makes it meaningless); the daemon
answers and exits cleanly on SIGTERM.

Usage: BUILD=build SOAK_S=120 python3 tests/soak/soak.py
"""

import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

import daemon as daemon_mod  # noqa: E402
import hostile  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BUILD_DIR = BUILD if os.path.isabs(BUILD) else os.path.join(TOP, BUILD)
SOAK_S = float(os.environ.get("SOAK_S", "1800"))
SAMPLE_S = float(os.environ.get("SOAK_SAMPLE_S", "5"))
BENCH = os.path.join(BUILD_DIR, "qnetd-bench")
TOOL = os.path.join(BUILD_DIR, "corosync-qnetd-tool")
# Cluster counts of the rounds, in turn; the largest comes first so that the
# heap's high-water mark is reached in the first quarter.
ROUND_CLUSTERS = (200, 40, 120, 20, 160, 80)
TLS_ROUND_CLUSTERS = 10
# Samples before the flatness samples count: at least one whole cycle of
# round kinds (every size, with and without TLS) and the first third of the
# run, in which NSS, the allocator's arenas and the registry reach their
# working sizes.  A full run (1800 s) showed steps of +0.7 % and +1.3 % in
# its first ten minutes, then 24 minutes flat to the kilobyte; a leak grows
# in every part of the run, so the warm-up cannot hide one.
WARMUP_ROUNDS = 12
WARMUP_SHARE = 1.0 / 3

failures = []
stop = threading.Event()


def note_failure(text):
    failures.append(text)
    print("FAIL: %s" % text, flush=True)


def log(text):
    print("[%7.1f] %s" % (time.time() - T0, text), flush=True)


T0 = time.time()


# ------------------------------------------------------------ daemon

def make_certs(tmp):
    subprocess.run(["sh", os.path.join(TOP, "tests", "bench", "mkcerts.sh"), tmp],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(tmp, "server"), os.path.join(tmp, "client")


class _BenchDb:
    """The daemon's side of mkcerts.sh, where Daemon expects a pki.PKI."""

    def __init__(self, nssdb):
        self.nssdb = nssdb


def start_daemon(tmp, server_db):
    d = daemon_mod.Daemon(binary=os.path.join(BUILD_DIR, "corosync-qnetd"), tls="on",
                          cert_required="off", debug=False, pki=_BenchDb(server_db))
    d.start(timeout=30)
    return d


def tool(d, *args):
    p = subprocess.run([TOOL] + list(args) + ["-p", d.sock_path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return p.returncode, p.stdout, p.stderr


def connected(d):
    rc, out, _ = tool(d, "-s")
    if rc != 0:
        return None
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("Connected clients:"):
            return int(line.split()[-1])
    return None


def wait_idle(d, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if connected(d) == 0:
            return True
        time.sleep(0.2)
    return False


# ------------------------------------------------------------ churn

def bench_round(d, n, client_db):
    tls = n % 4 == 3
    clusters = TLS_ROUND_CLUSTERS if tls else ROUND_CLUSTERS[n % len(ROUND_CLUSTERS)]
    nodes = 2 + n % 2
    argv = [BENCH, "--port", str(d.port), "--clusters", str(clusters), "--nodes", str(nodes),
            "--cluster-fmt", "r%d-c%%u.bench.qnetd" % (n % 5), "--steady", "2",
            "--hb", "1000", "--init-hb", "8000", "--settle", "500", "--phase-timeout", "60",
            "--server-pid", str(d.proc.pid), "--json"]
    if tls:
        argv += ["--tls", "--nss-db", client_db]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    what = "round %d (%d clusters x %d nodes%s)" % (n, clusters, nodes, ", TLS" if tls else "")
    try:
        r = json.loads(p.stdout)
    except ValueError:
        note_failure("%s: bench printed no JSON (rc %d): %s" % (what, p.returncode,
                                                                   p.stderr[-2000:]))
        return
    bad = []
    if r["connect"]["connected"] != clusters * nodes:
        bad.append("connected %d of %d" % (r["connect"]["connected"], clusters * nodes))
    for phase in ("split", "heal"):
        ph = r[phase]
        if not ph["complete"]:
            bad.append("%s incomplete" % phase)
        for key in ("multi_ack", "wrong_side", "unsettled", "lost_node", "lost_conns"):
            if ph[key]:
                bad.append("%s %s=%d" % (phase, key, ph[key]))
    if bad:
        note_failure("%s: %s" % (what, ", ".join(bad)))
    else:
        log("%s: ok, split p99 %.1f ms" % (what, r["split"]["p99_ms"]))


def querier(d):
    n = 0
    while not stop.wait(0.5):
        n += 1
        args = (("-s",), ("-l",), ("-j",), ("-l", "-v"))[n % 4]
        try:
            rc, out, err = tool(d, *args)
        except subprocess.TimeoutExpired:
            note_failure("tool %s timed out" % " ".join(args))
            continue
        if rc != 0:
            note_failure("tool %s: rc %d: %s" % (" ".join(args), rc, err[-300:]))
        elif args == ("-j",):
            try:
                json.loads(out)
            except ValueError as e:
                note_failure("tool -j: not JSON: %s" % e)


def reloader(d):
    while not stop.wait(15):
        d.proc.send_signal(signal.SIGHUP)


def _hostile_once(port, kind):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if kind == 0:
            s.sendall(os.urandom(random.randint(1, 4096)))
        elif kind == 1:
            s.sendall(struct.pack(">HI", 0, 0x7FFFFFFF))
        elif kind == 2:
            s.sendall(struct.pack(">HI", 0, 64) + b"\x00\x0b")
            time.sleep(1.5)
        elif kind == 3:
            time.sleep(2)
        else:
            s.sendall(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + os.urandom(40))
        s.settimeout(1)
        try:
            s.recv(4096)
        except OSError:
            pass
    finally:
        s.close()


def attacker(d):
    n = 0
    while not stop.wait(2):
        try:
            _hostile_once(d.port, n % 5)
        except OSError:
            pass
        n += 1


def sampler(d, samples):
    while not stop.wait(SAMPLE_S):
        samples.append((time.time() - T0, hostile.proc_rss_kb(d.proc.pid),
                        hostile.proc_fds(d.proc.pid)))


# ------------------------------------------------------------ verdict

def quarter_means(values):
    q = max(1, len(values) // 4)
    first = sum(values[:q]) / q
    last = sum(values[-q:]) / q
    return first, last


def judge(d, idle, fds_start, fds_end):
    rss = [r for r, _ in idle]
    if len(rss) < 4:
        note_failure("only %d between-rounds samples after %d warm-up rounds: run longer"
                     % (len(rss), WARMUP_ROUNDS))
        return
    log("RSS between rounds (kB): %s" % " ".join(str(r) for r in rss))
    first, last = quarter_means(rss)
    growth = (last - first) / first * 100.0
    log("RSS between rounds: first quarter %.0f kB, last quarter %.0f kB: %+.2f %%"
        % (first, last, growth))
    if hostile.sanitized(d.proc.pid):
        log("RSS not judged under a sanitizer (quarantine)")
    elif growth >= 1.0:
        note_failure("RSS grew %.2f %% (limit 1 %%)" % growth)
    log("descriptors: %d at the first idle point, %d at the end" % (fds_start, fds_end))
    if fds_end > fds_start:
        note_failure("descriptors %d at the end, %d at the start" % (fds_end, fds_start))


def main():
    for path in (BENCH, TOOL):
        if not os.path.exists(path):
            print("soak: %s not built (make all, with the same SANITIZE)" % path)
            return 2
    tmp = tempfile.mkdtemp(prefix="qnetd-soak-")
    d = None
    samples, idle = [], []
    threads = []
    try:
        server_db, client_db = make_certs(tmp)
        d = start_daemon(tmp, server_db)
        log("daemon pid %d port %d, %s build, %.0f s" % (d.proc.pid, d.port,
            "sanitized" if hostile.sanitized(d.proc.pid) else "release", SOAK_S))
        fds_start = None
        for fn, args in ((querier, (d,)), (reloader, (d,)), (attacker, (d,)),
                         (sampler, (d, samples))):
            t = threading.Thread(target=fn, args=args, daemon=True)
            t.start()
            threads.append(t)
        n = 0
        while time.time() - T0 < SOAK_S and not failures:
            bench_round(d, n, client_db)
            if not wait_idle(d):
                note_failure("round %d: clients still connected 30 s after the round" % n)
                break
            rss, fds = hostile.proc_rss_kb(d.proc.pid), hostile.proc_fds(d.proc.pid)
            if fds_start is None:
                fds_start = fds
            if n >= WARMUP_ROUNDS and time.time() - T0 >= SOAK_S * WARMUP_SHARE:
                idle.append((rss, fds))
            n += 1
        stop.set()
        for t in threads:
            t.join(10)
        wait_idle(d)
        fds_end = hostile.proc_fds(d.proc.pid)
        if d.proc.poll() is not None:
            note_failure("daemon died (rc %s)" % d.proc.returncode)
        elif fds_start is not None:
            judge(d, idle, fds_start, fds_end)
        log("%d rounds, %d samples (t, RSS kB, fds): first %s, last %s"
            % (n, len(samples), samples[:1], samples[-1:]))
    finally:
        stop.set()
        if d is not None:
            try:
                rc = d.stop(timeout=30, check=False)
            except daemon_mod.DaemonError as e:
                rc = "ignored SIGTERM: %s" % str(e)[:200]
            text = d.log()
            d.cleanup()
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if marker in text:
                    note_failure("sanitizer report in the daemon's log:\n%s" % text[-4000:])
                    break
            if rc not in (0, None):
                note_failure("daemon exited %s on SIGTERM" % rc)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("soak: FAILED (%d)" % len(failures))
        return 1
    print("soak: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
