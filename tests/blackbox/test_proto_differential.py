#!/usr/bin/env python3
"""Black-box: run every scenario against our daemon and Debian's and
compare the replies byte for byte (diff_debian.py).  Skips (77) when
either binary is missing.  Exit 0/1/77.
"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
import bbtest  # noqa: E402
import daemon  # noqa: E402

if __name__ == "__main__":
    ours = daemon.qnetd_bin()
    ref = os.environ.get("QNETD_REF_BIN", bbtest.REFERENCE_BIN)
    for b in (ours, ref):
        if not os.access(b, os.X_OK):
            daemon.skip("daemon binary %s not found" % b)
    if os.path.realpath(ours) == os.path.realpath(ref):
        daemon.skip("QNETD_BIN is the reference itself; nothing to compare")
    rc = subprocess.call([sys.executable, os.path.join(here, "diff_debian.py"),
                          "--ours", ours, "--ref", ref])
    sys.exit(rc)
