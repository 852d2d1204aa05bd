#!/usr/bin/env python3
"""Black-box: the daemon survives client departures in every algorithm
state.  Scenarios marked with a reference bug are expected to fail against
Debian's daemon and must pass against ours.  Exit 0 pass, 1 fail, 77 skip.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import scenarios  # noqa: E402,F401

if __name__ == "__main__":
    bbtest.main(["robustness"])
