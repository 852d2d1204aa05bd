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
DOCUMENTED = {
}


def event_text(ev):
    name, kind, data = ev
    if kind == q.EV_MSG:
        return "%s <- %s\n%s      %s" % (name, q.describe(data), " " * len(name),
                                        q.hexs(data))
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


def compare(ref, ours):
    """List of (index, ref event or None, ours event or None)."""
    diffs = []
    for i in range(max(len(ref), len(ours))):
        a = ref[i] if i < len(ref) else None
        b = ours[i] if i < len(ours) else None
        if a != b:
            diffs.append((i, a, b))
    return diffs


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
        reason = DOCUMENTED.get(sc.name) or (
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
            print("skip  %-40s %d differing events; documented: %s"
                  % (sc.name, len(diffs), reason))
            continue
        differ.append(sc.name)
        print("DIFF  %-40s %d of %d events differ (%.1fs)"
              % (sc.name, len(diffs), max(len(t_ref), len(t_ours)), secs))
        shown = diffs if args.verbose else diffs[:3]
        for i, a, b in shown:
            print("   event %d" % i)
            print("     reference: " + (event_text(a) if a else "(none)")
                  .replace("\n", "\n                "))
            print("     ours:      " + (event_text(b) if b else "(none)")
                  .replace("\n", "\n                "))
        if len(shown) < len(diffs):
            print("   ... %d more (use -v)" % (len(diffs) - len(shown)))
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
