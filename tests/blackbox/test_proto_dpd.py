#!/usr/bin/env python3
"""Black-box: dead-peer detection (protocol.md 2.7) and -m max clients
(2.2).  Time windows are generous: this checks behaviour, not speed.
Exit 0/1/77.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import scenarios  # noqa: E402,F401

if __name__ == "__main__":
    bbtest.main(["dpd"])
