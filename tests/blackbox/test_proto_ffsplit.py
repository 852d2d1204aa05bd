#!/usr/bin/env python3
"""Black-box: the protocol.md 2.10 ffsplit transcript byte for byte, plus
heuristics change and a 2:2 split with the NACK-before-ACK two-phase
commit (3.3).  Exit 0 pass, 1 fail, 77 skip.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import scenarios  # noqa: E402,F401

if __name__ == "__main__":
    bbtest.main(["ffsplit"])
