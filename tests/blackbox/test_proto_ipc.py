#!/usr/bin/env python3
"""Black-box: IPC status counts follow TCP clients as they connect, INIT
and leave (`corosync-qnetd-tool -s -p <socket>`, protocol.md 5.3).  The
tool is $QNETD_TOOL or Debian's.  Exit 0/1/77.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import bbtest  # noqa: E402
import daemon  # noqa: E402
import scenarios  # noqa: E402,F401

if __name__ == "__main__":
    bbtest.main(["ipc"], needs=[daemon.tool_bin()])
