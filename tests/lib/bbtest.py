"""Scenario framework shared by the black-box test scripts and the
differential runner.

A scenario is a function f(ctx) registered with @scenario(name, group).
It starts daemons and clients through ctx and states exact expectations
with the Client expect* calls.  Run strictly (a test script), the first
difference fails the scenario.  Run in record mode (diff_debian.py), every
event is recorded into one transcript, and two daemons' transcripts are
compared.
"""

import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemon as daemon_mod  # noqa: E402
import pki as pki_mod  # noqa: E402
import qnetd_client as q  # noqa: E402

SCENARIOS = []


REFERENCE_BIN = "/usr/bin/corosync-qnetd"


class Scenario:
    def __init__(self, name, group, fn, needs_pki=False, doc="",
                 ref_bug=None, compat=None):
        self.name = name
        self.group = group
        self.fn = fn
        self.needs_pki = needs_pki
        self.doc = doc
        self.ref_bug = ref_bug
        self.compat = compat


def scenario(name, group, needs_pki=False, ref_bug=None, compat=None):
    """Register a scenario.

    ref_bug: a known defect of the reference daemon this scenario exposes;
    against the reference a failure is reported as an expected failure,
    against any other daemon it fails.
    compat: the scenario pins reference behaviour that our daemon changes
    on purpose (the docs/compat.md entry); it runs against the reference
    only, and the differential runner does not compare it."""
    def deco(fn):
        SCENARIOS.append(Scenario(name, group, fn, needs_pki,
                                  (fn.__doc__ or "").strip(), ref_bug,
                                  compat))
        return fn
    return deco


def is_reference(binary):
    if os.environ.get("QNETD_IS_REFERENCE") is not None:
        return os.environ["QNETD_IS_REFERENCE"] == "1"
    return os.path.realpath(binary) == os.path.realpath(REFERENCE_BIN)


class CheckFailed(AssertionError):
    pass


class Ctx:
    """What a scenario gets: daemons, clients, checks, one transcript."""

    def __init__(self, binary, strict=True):
        self.binary = binary
        self.strict = strict
        self.transcript = []
        self.daemons = []
        self.clients = []

    @property
    def pki(self):
        return pki_mod.get()

    def daemon(self, tls="off", **kw):
        if tls != "off":
            kw.setdefault("pki", self.pki)
        d = daemon_mod.Daemon(binary=self.binary, tls=tls, **kw)
        self.daemons.append(d)
        d.start()
        return d

    def client(self, d, name="c", timeout=3.0, connect=True):
        c = q.Client(d.host, d.port, name=name, timeout=timeout,
                     strict=self.strict, transcript=self.transcript,
                     connect=connect)
        self.clients.append(c)
        return c

    def note(self, key, value):
        self.transcript.append(("ctx", q.EV_NOTE, (key, value)))

    def check(self, cond, text, key=None):
        """A non-byte expectation.  Record mode notes the outcome."""
        if not self.strict:
            self.note(key or text, bool(cond))
            return bool(cond)
        if not cond:
            raise CheckFailed(text)
        return True

    def finish(self):
        """Close clients, stop daemons (each must exit 0)."""
        errors = []
        for c in self.clients:
            c.close()
        if self.clients:
            # Let the daemon finish handling the closes before SIGTERM:
            # Debian's qnetd logs (syslog) from its signal handler and
            # deadlocks if the signal lands while it is itself logging.
            time.sleep(0.25)
        for d in self.daemons:
            try:
                rc = d.stop(check=False)
                self.note("daemon exit status", rc)
                if rc != 0:
                    errors.append("daemon exited with status %s (expected 0)"
                                  "; log tail:\n%s" % (rc, tail(d.log())))
            finally:
                d.cleanup()
        return errors


def tail(text, n=25):
    return "\n".join(text.splitlines()[-n:])


def run_one(sc, binary, strict=True):
    """Run one scenario. Returns (ok, message, transcript)."""
    ctx = Ctx(binary, strict)
    err = None
    try:
        sc.fn(ctx)
    except (q.ProtocolMismatch, CheckFailed) as e:
        err = str(e)
    except Exception as e:  # noqa: BLE001 - report, never hide
        err = "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())
    logs = [d.log() for d in ctx.daemons]
    try:
        stop_errors = ctx.finish()
    except Exception as e:  # noqa: BLE001
        stop_errors = ["stopping the daemon: %s" % e]
    if err is None and stop_errors:
        err = "\n".join(stop_errors)
    if err is not None and strict:
        for i, log in enumerate(logs):
            err += "\n  daemon %d log tail:\n%s" % (
                i, "\n".join("    | " + line
                             for line in tail(log).splitlines()))
    return err is None, err, ctx.transcript


def main(groups, needs=()):
    """Entry point of a test_proto_*.py script: run the scenarios of
    `groups` strictly against $QNETD_BIN; exit 0, 1 or 77."""
    binary = daemon_mod.require_bin()
    for tool in needs:
        if not os.access(tool, os.X_OK):
            daemon_mod.skip("%s not found" % tool)
    selected = [s for s in SCENARIOS if s.group in groups]
    only = os.environ.get("QNETD_SCENARIO")
    if only:
        selected = [s for s in selected if s.name in only.split(",")]
    if any(s.needs_pki for s in selected):
        missing = pki_mod.have_tools()
        if missing:
            daemon_mod.skip("%s not installed (apt-get install "
                            "libnss3-tools openssl)" % missing)
    ref = is_reference(binary)
    print("daemon under test: %s%s" % (binary, " (the reference)" if ref
                                        else ""))
    failed = []
    for sc in selected:
        if sc.compat and not ref:
            print("skip %-40s documented difference: %s" % (sc.name,
                                                             sc.compat))
            continue
        start = time.monotonic()
        ok, err, _ = run_one(sc, binary, strict=True)
        secs = time.monotonic() - start
        if ok and sc.ref_bug and ref:
            print("ok   %-40s (%.1fs) (known reference bug did not show: %s)"
                  % (sc.name, secs, sc.ref_bug))
        elif ok:
            print("ok   %-40s (%.1fs)" % (sc.name, secs))
        elif sc.ref_bug and ref:
            print("xfail %-39s (%.1fs) known reference bug: %s"
                  % (sc.name, secs, sc.ref_bug))
            print("     " + err.splitlines()[0])
        else:
            print("FAIL %-40s (%.1fs)" % (sc.name, secs))
            print("     " + err.replace("\n", "\n     "))
            failed.append(sc.name)
        sys.stdout.flush()
    print()
    if failed:
        print("%d of %d scenarios failed: %s" % (len(failed), len(selected),
                                                 " ".join(failed)))
        sys.exit(1)
    print("all %d scenarios passed" % len(selected))
    sys.exit(0)
