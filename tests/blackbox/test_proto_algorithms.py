#!/usr/bin/env python3
"""Black-box: the test, 2nodelms and lms algorithms as the reference
answers them (protocol.md 3.2, 3.4, 3.5), including the lms timer push.
Exit 0 pass, 1 fail, 77 skip.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import scenarios  # noqa: E402,F401

if __name__ == "__main__":
    bbtest.main(["algorithms"])
