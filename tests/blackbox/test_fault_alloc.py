#!/usr/bin/env python3
"""Allocation-failure injection (curl's torture mode, from outside): the
daemon runs with $BUILD/tests/failmalloc.so preloaded, which fails the
N-th allocation counted from the first accepted TCP connection.  For
N = 1, 2, ... a full session runs (two clients: PREINIT, INIT,
SET_OPTION, config and membership lists, VOTE_INFO and replies, quorum
list, heuristics change, echo, an IPC listing, one client leaving), until
an N is reached that the session never gets to.  For every N the client
that met the failure must get an error reply or be disconnected (never a
crash, never a hang), a second session afterwards must complete normally,
and the daemon must exit 0 on SIGTERM; built with SANITIZE=address (make
check SANITIZE=address,undefined) that includes LeakSanitizer's verdict.

QNETD_FAILMALLOC_TLS=1 runs the session over TLS with client certificates
(NSS's allocations are then counted too).

By default every N up to 40 and then every 7th (QNETD_FAILMALLOC_STEP) is
tried; QNETD_SLOW_TESTS=1
(or QNETD_FAILMALLOC_ALL=1) tries every N.  QNETD_FAILMALLOC_N=a-b runs
that range.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import daemon as daemon_mod  # noqa: E402
import hostile as h  # noqa: E402
import pki as pki_mod  # noqa: E402
import qnetd_client as q  # noqa: E402

TIMEOUT = 3.0
# QNETD_FAILMALLOC_TLS=1: -s on, every client does STARTTLS with a client
# certificate, so NSS's allocations (handshake, records) are counted too.
TLS = os.environ.get("QNETD_FAILMALLOC_TLS") == "1"
STEP = int(os.environ.get("QNETD_FAILMALLOC_STEP", "7"))
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")


class Outcome(Exception):
    pass


def step(c, expected, what):
    """Expect exactly `expected`; else classify what happened."""
    try:
        raw = c.recv_frame(TIMEOUT)
    except q.Timeout:
        raise Outcome("timeout at %s" % what)
    except q.Closed:
        raise Outcome("disconnect at %s" % what)
    if raw == expected:
        return
    m = q.Message(raw)
    if m.type == q.MSG_SERVER_ERROR or (m.type == q.MSG_INIT_REPLY and
                                        m.error not in (None, 0)):
        raise Outcome("error %s at %s" % (m.error, what))
    raise Outcome("unexpected %s at %s" % (m.describe(), what))


def send(c, data, what):
    try:
        c.send(data)
    except q.Closed:
        raise Outcome("disconnect before %s" % what)


def session(d, cluster, tool):
    """The full session; returns "complete" or raises Outcome.  With a
    TLS daemon each client does STARTTLS with its certificate."""
    o = 0 if d.tls == "off" else 1
    try:
        c1 = q.Client(d.host, d.port, name="n1", timeout=TIMEOUT)
        c2 = q.Client(d.host, d.port, name="n2", timeout=TIMEOUT)
    except OSError as e:
        raise Outcome("connect failed: %s" % e)
    try:
        for c, nid in ((c1, 1), (c2, 2)):
            send(c, q.preinit(1, cluster), "PREINIT")
            step(c, q.preinit_reply(1, tls=o), "PREINIT n%d" % nid)
            if o:
                cc = d.pki.client(cluster)
                try:
                    c.starttls(2, cert=cc.cert, key=cc.key, ca=cc.ca)
                except q.Closed:
                    raise Outcome("disconnect at STARTTLS n%d" % nid)
            send(c, q.init(2 + o, nid), "INIT")
            step(c, q.init_reply(2 + o), "INIT n%d" % nid)
            send(c, q.set_option(3 + o, kap=1), "SET_OPTION")
            step(c, q.set_option_reply(3 + o, kap=1), "SET_OPTION n%d" % nid)
            send(c, q.node_list(4 + o, q.LIST_INITIAL_CONFIG, (1, 2),
                                config_version=1), "config list")
            step(c, q.node_list_reply(4 + o, q.LIST_INITIAL_CONFIG, (1, 4),
                                      q.VOTE_ASK_LATER), "config n%d" % nid)
        send(c1, q.node_list(5 + o, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4),
                             heuristics=q.HEUR_PASS), "membership")
        step(c1, q.node_list_reply(5 + o, q.LIST_MEMBERSHIP, (1, 4),
                                   q.VOTE_WAIT_FOR_REPLY), "membership n1")
        send(c2, q.node_list(5 + o, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4),
                             heuristics=q.HEUR_PASS), "membership")
        # node 2's request decides: an error there means no vote for anyone
        step(c2, q.vote_info(1, q.VOTE_ACK, (1, 4)), "membership n2")
        step(c2, q.node_list_reply(5 + o, q.LIST_MEMBERSHIP, (1, 4),
                                   q.VOTE_NO_CHANGE), "membership n2")
        step(c1, q.vote_info(1, q.VOTE_ACK, (1, 4)), "VOTE_INFO n1")
        send(c1, q.vote_info_reply(1), "VOTE_INFO_REPLY")
        send(c2, q.vote_info_reply(1), "VOTE_INFO_REPLY")
        send(c1, q.node_list(6 + o, q.LIST_QUORUM, ((1, 0, 1), (2, 0, 1)),
                             quorate=1), "quorum list")
        step(c1, q.node_list_reply(6 + o, q.LIST_QUORUM, (1, 4),
                                   q.VOTE_NO_CHANGE), "quorum n1")
        send(c1, q.heuristics_change(7 + o, q.HEUR_PASS), "HEURISTICS_CHANGE")
        m = c1_msg(c1, "heuristics change")
        while m.type == q.MSG_VOTE_INFO:
            send(c1, q.vote_info_reply(m.seq), "VOTE_INFO_REPLY")
            m = c1_msg(c1, "heuristics change")
        if m.type == q.MSG_SERVER_ERROR:
            raise Outcome("error %s at heuristics change" % m.error)
        if m.type != q.MSG_HEURISTICS_CHANGE_REPLY:
            raise Outcome("unexpected %s at heuristics change" % m.describe())
        req = q.echo_request(1)
        send(c1, req, "ECHO")
        until(c1, q.echo_reply_of(req), "ECHO")
        p = subprocess.run([tool, "-l", "-v", "-p", d.sock_path],
                           capture_output=True, timeout=20)
        if p.returncode != 0 or cluster.encode() not in p.stdout:
            raise Outcome("error (IPC list, tool rc %d: %r)" % (p.returncode,
                                                               p.stderr[:60]))
        c1.close()
        # node 2 alone: ffsplit recomputes and may push a VOTE_INFO,
        # which until() answers
        req = q.echo_request(2)
        send(c2, req, "ECHO")
        until(c2, q.echo_reply_of(req), "ECHO n2")
        return "complete"
    finally:
        c1.close()
        c2.close()


def until(c, expected, what):
    """Like step(), answering any VOTE_INFO that comes first."""
    while True:
        m = c1_msg(c, what)
        if m.type == q.MSG_VOTE_INFO:
            send(c, q.vote_info_reply(m.seq), "VOTE_INFO_REPLY")
            continue
        if m.raw == expected:
            return
        if m.type == q.MSG_SERVER_ERROR:
            raise Outcome("error %s at %s" % (m.error, what))
        raise Outcome("unexpected %s at %s" % (m.describe(), what))


def c1_msg(c, what):
    try:
        return q.Message(c.recv_frame(TIMEOUT))
    except q.Timeout:
        raise Outcome("timeout at %s" % what)
    except q.Closed:
        raise Outcome("disconnect at %s" % what)


def run_one(binary, so, tool, n, workdir):
    report = os.path.join(workdir, "report-%d" % n)
    env_keys = {
        "LD_PRELOAD": so,
        "FAILMALLOC_N": str(n),
        "FAILMALLOC_REPORT": report,
        "ASAN_OPTIONS": "verify_asan_link_order=0:detect_leaks=1:"
                        "abort_on_error=0:exitcode=66",
        "LSAN_OPTIONS": "exitcode=67:suppressions=%s" % os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "faults",
            "lsan.supp"),
    }
    saved = {k: os.environ.get(k) for k in env_keys}
    os.environ.update(env_keys)
    if TLS:
        d = daemon_mod.Daemon(binary=binary, debug=True, tls="on",
                              pki=pki_mod.get())
    else:
        d = daemon_mod.Daemon(binary=binary, debug=True)
    try:
        d.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        try:
            outcome = session(d, h.unique("fm"), tool)
        except Outcome as e:
            outcome = str(e)
        alive = d.alive()
        second = None
        if alive:
            try:
                second = session(d, h.unique("fm2"), tool)
            except Outcome as e:
                second = str(e)
        time.sleep(0.1)
        try:
            rc = d.stop(check=False)
        except daemon_mod.DaemonError:
            rc = "none: SIGTERM ignored for 10 s"
        log = d.log()
    finally:
        d.cleanup()
    text = open(report).read() if os.path.exists(report) else ""
    hit = "hit %d" % n in text
    total = None
    for line in text.splitlines():
        if line.startswith("total "):
            total = int(line.split()[1])
    where = [ln for ln in text.splitlines() if "(+0x" in ln]
    return {"n": n, "outcome": outcome, "alive": alive, "second": second,
            "rc": rc, "hit": hit, "total": total, "log": log,
            "where": where, "report": text}


def symbolize(binary, frames):
    """'bin(+0xoff) [..]' lines of the daemon itself -> function names."""
    offs = []
    for f in frames:
        if os.path.basename(binary) in f and "(+0x" in f:
            offs.append(f.split("(+")[1].split(")")[0])
    if not offs:
        return []
    p = subprocess.run(["addr2line", "-f", "-e", binary] + offs,
                       capture_output=True, text=True)
    lines = p.stdout.splitlines()
    return [lines[i] for i in range(0, len(lines), 2)]


def main():
    binary = daemon_mod.require_bin()
    build = os.path.dirname(binary)
    so = os.path.join(build, "tests", "failmalloc.so")
    tool = os.path.join(build, "corosync-qnetd-tool")
    if not os.path.exists(so):
        daemon_mod.skip("%s not built (make)" % so)
    if not os.access(tool, os.X_OK):
        tool = daemon_mod.tool_bin()
    everything = os.environ.get("QNETD_SLOW_TESTS") == "1" or \
        os.environ.get("QNETD_FAILMALLOC_ALL") == "1"
    lo, hi = 1, 100000
    if os.environ.get("QNETD_FAILMALLOC_N"):
        a, _, b = os.environ["QNETD_FAILMALLOC_N"].partition("-")
        lo, hi = int(a), int(b or a)
        everything = True
    import tempfile
    workdir = tempfile.mkdtemp(prefix="qnetd-failmalloc-")
    outcomes = {}
    failures = []
    tried = 0
    n = lo
    total = None
    try:
        while n <= hi:
            r = run_one(binary, so, tool, n, workdir)
            tried += 1
            total = r["total"]
            funcs = symbolize(binary, r["where"])
            site = " < ".join(f for f in funcs[1:4] if f != "??") or "?"
            bad = []
            if not r["alive"]:
                bad.append("daemon died")
            if r["rc"] != 0:
                bad.append("exit status %s" % r["rc"])
            if any(m in r["log"] for m in SANITIZER_MARKS):
                bad.append("sanitizer report")
            acceptable = ("complete", "error", "disconnect")
            if r["hit"] and r["outcome"] != "complete":
                # the failure met the first session: the second is clean
                if not r["outcome"].startswith(acceptable[1:]):
                    bad.append("first session: %s" % r["outcome"])
                if r["second"] != "complete":
                    bad.append("second session: %s" % r["second"])
            elif r["hit"]:
                # it met the second session, or the shutdown
                if not str(r["second"]).startswith(acceptable):
                    bad.append("second session: %s" % r["second"])
            shown = r["outcome"] if r["outcome"] != "complete" else \
                "complete; 2nd: %s" % r["second"]
            kind = shown.split(" at ")[0].split(" after ")[0]
            kind = kind.split(" before ")[0]
            outcomes[kind] = outcomes.get(kind, 0) + 1
            print("%s N=%-4d %-9s %s | %s" % ("FAIL" if bad else "ok  ", n,
                  "hit" if r["hit"] else "not hit", shown, site))
            if bad:
                failures.append((n, bad, r))
                print("     " + "; ".join(bad))
                print("\n".join("     | " + ln for ln in
                                h.tail(r["log"], 40).splitlines()))
            sys.stdout.flush()
            if not r["hit"]:
                break       # the session never reached the N-th allocation
            if everything or n < 40:
                n += 1
            else:
                n += STEP
    finally:
        import shutil
        shutil.rmtree(workdir, True)
    print()
    print("tried %d values of N; allocations in a full session: %s; "
          "outcomes: %s" % (tried, total, outcomes))
    if failures:
        print("%d failed: %s" % (len(failures), [f[0] for f in failures]))
        sys.exit(1)
    print("allocation-failure injection passed")


if __name__ == "__main__":
    main()
