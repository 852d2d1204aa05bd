#!/usr/bin/env python3
"""Differential runner: play every black-box scenario against two daemons
(ours and Debian's) and compare what the clients saw, byte for byte.

Each scenario runs in record mode: every reply (raw bytes), close, silence
and timing check is appended to a transcript; nothing aborts on a
difference.  Then the two transcripts are compared event by event.

Usage: diff_debian.py [--ours BIN] [--ref BIN] [--group G ...]
                      [--scenario NAME ...] [-v]
Exit: 0 no undocumented difference, 1 differences, 77 a binary missing.

Scenarios listed in DOCUMENTED (keep in step with docs/compat.md) and the
scenarios that expose a known reference bug are run but not compared.
"""

import argparse
import difflib
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import daemon as daemon_mod  # noqa: E402
import pki as pki_mod  # noqa: E402
import qnetd_client as q  # noqa: E402
import scenarios  # noqa: E402,F401

# scenario name -> why its transcript is allowed to differ (docs/compat.md)
# (scenarios registered with compat=... are added automatically)
DOCUMENTED = {
}


def describe_sent(data):
    """A sent write may hold several frames, or a partial one."""
    out, pos = [], 0
    while len(data) - pos >= q.HEADER_LEN:
        n = int.from_bytes(data[pos + 2:pos + 6], "big")
        frame = data[pos:pos + q.HEADER_LEN + n]
        out.append(q.describe(frame)[:300] + "  [" + q.hexs(frame, 120) + "]")
        pos += q.HEADER_LEN + n
    if pos < len(data):
        out.append("<%d raw bytes>" % (len(data) - pos))
    return " + ".join(out)


def context(transcript, i):
    """The last request sent before event i (for the report)."""
    for j in range(min(i, len(transcript)) - 1, -1, -1):
        if transcript[j][1] != q.EV_SENT:
            continue
        m = q.Message(transcript[j][2]) if len(transcript[j][2]) >= 6 \
            else None
        if m and m.type == q.MSG_ECHO_REQUEST and (m.seq or 0) >= MARKER:
            continue  # the fuzz scenarios' marker echo
        return transcript[j]
    return None


MARKER = 0xFEED0000


def event_text(ev):
    name, kind, data = ev
    if kind == q.EV_MSG:
        return "%s <- %s\n%s      %s" % (name, q.describe(data)[:600],
                                        " " * len(name), q.hexs(data, 200))
    if kind == q.EV_SENT:
        return "%s -> %s" % (name, describe_sent(data))
    if kind == q.EV_NOTE:
        return "%s note %s = %r" % (name, data[0], data[1])
    if kind == q.EV_CLOSED:
        return "%s connection closed (%s)" % (name, data)
    if kind == q.EV_SILENT:
        return "%s (no reply, as expected)" % name
    if kind == q.EV_TIMEOUT:
        return "%s TIMEOUT (nothing received)" % name
    if kind == "error":
        return "%s scenario aborted: %s" % (name, data)
    return "%s %s %r" % (name, kind, data)


def record(sc, binary):
    ok, err, transcript = bbtest.run_one(sc, binary, strict=False)
    if err:
        first = err.splitlines()[0]
        transcript.append(("ctx", "error", first))
    return transcript


def _key(ev):
    name, kind, data = ev
    if isinstance(data, list):
        data = tuple(data)
    return (name, kind, repr(data))


def compare(ref, ours):
    """Align the two transcripts (difflib) on what the clients observed
    (what they sent is only context: it holds TLS randomness) and return
    the differing hunks: [(ref transcript index, [ref events], [ours])]."""
    ri = [i for i, e in enumerate(ref) if e[1] != q.EV_SENT]
    oi = [i for i, e in enumerate(ours) if e[1] != q.EV_SENT]
    sm = difflib.SequenceMatcher(None, [_key(ref[i]) for i in ri],
                                 [_key(ours[i]) for i in oi], autojunk=False)
    hunks = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        at = ri[i1] if i1 < len(ri) else len(ref)
        hunks.append((at, [ref[i] for i in ri[i1:i2]],
                      [ours[j] for j in oi[j1:j2]]))
    return hunks


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", default=daemon_mod.qnetd_bin())
    ap.add_argument("--ref", default=bbtest.REFERENCE_BIN)
    ap.add_argument("--group", action="append")
    ap.add_argument("--scenario", action="append")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    for b in (args.ours, args.ref):
        if not os.access(b, os.X_OK):
            daemon_mod.skip("daemon binary %s not found" % b)
    if os.path.realpath(args.ours) == os.path.realpath(args.ref):
        daemon_mod.skip("both binaries are %s: nothing to compare" % args.ref)
    selected = [s for s in bbtest.SCENARIOS
                if (not args.group or s.group in args.group) and
                (not args.scenario or s.name in args.scenario)]
    if any(s.needs_pki for s in selected) and pki_mod.have_tools():
        selected = [s for s in selected if not s.needs_pki]
        print("note: TLS scenarios left out (%s missing)" % pki_mod.have_tools())

    print("reference: %s\nours:      %s\n" % (args.ref, args.ours))
    same, differ, skipped = [], [], []
    for sc in selected:
        start = time.monotonic()
        reason = DOCUMENTED.get(sc.name) or sc.compat or (
            "known reference bug: " + sc.ref_bug if sc.ref_bug else None)
        t_ref = record(sc, args.ref)
        t_ours = record(sc, args.ours)
        secs = time.monotonic() - start
        diffs = compare(t_ref, t_ours)
        if not diffs:
            same.append(sc.name)
            print("same  %-40s (%d events, %.1fs)" % (sc.name, len(t_ref), secs))
            continue
        if reason:
            skipped.append((sc.name, reason))
            print("skip  %-40s %d differing hunks; documented: %s"
                  % (sc.name, len(diffs), reason))
            continue
        differ.append(sc.name)
        print("DIFF  %-40s %d differing hunks in %d/%d events (%.1fs)"
              % (sc.name, len(diffs), len(t_ref), len(t_ours), secs))
        shown = diffs if args.verbose else diffs[:3]
        for i, a, b in shown:
            print("   at reference event %d" % i)
            ctx_ev = context(t_ref, i)
            if ctx_ev:
                print("     after:     " + event_text(ctx_ev))
            for ev in a or [None]:
                print("     reference: " + (event_text(ev) if ev else "(none)")
                      .replace("\n", "\n                "))
            for ev in b or [None]:
                print("     ours:      " + (event_text(ev) if ev else "(none)")
                      .replace("\n", "\n                "))
        if len(shown) < len(diffs):
            print("   ... %d more hunks (use -v)" % (len(diffs) - len(shown)))
        sys.stdout.flush()

    print("\nsummary: %d same, %d differ, %d documented/skipped, of %d"
          % (len(same), len(differ), len(skipped), len(selected)))
    if differ:
        print("differing: " + " ".join(differ))
    for name, reason in skipped:
        print("documented: %s: %s" % (name, reason))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
