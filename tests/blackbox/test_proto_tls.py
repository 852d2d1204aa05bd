#!/usr/bin/env python3
"""Black-box: STARTTLS and the protocol.md 2.3 TLS table (-s on/req/off,
-c on/off, client certificate CN binding, untrusted CA).  Builds a
throw-away NSS db and PEM client certificates.  Exit 0/1/77.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import scenarios  # noqa: E402,F401

if __name__ == "__main__":
    bbtest.main(["tls"])
