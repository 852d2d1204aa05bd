#!/usr/bin/env python3
"""Black-box: framing, decoding and request errors (protocol.md Appendix A
"Framing and errors", sections 1.3-1.8, 2.4-2.6, 2.8).  Runs against
$QNETD_BIN (default $BUILD/corosync-qnetd).  Exit 0 pass, 1 fail, 77 skip.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import scenarios  # noqa: E402,F401  (registers the scenarios)

if __name__ == "__main__":
    bbtest.main(["framing"])
