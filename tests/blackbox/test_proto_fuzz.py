#!/usr/bin/env python3
"""Black-box: seeded random requests (valid framing, hostile TLVs) on one
connection; the daemon must survive and answer a marker echo after each.
The differential runner compares these transcripts byte for byte.
Exit 0/1/77.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import scenarios  # noqa: E402,F401

if __name__ == "__main__":
    bbtest.main(["fuzz"])
