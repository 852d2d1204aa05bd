#!/usr/bin/env python3
"""subreaper.py PROGRAM [ARGS...]: run PROGRAM as our child and reap, at once,
every orphan reparented to us (PR_SET_CHILD_SUBREAPER).  A daemon that detaches
(the corosync-qnetd resource agent starts it without -f) otherwise becomes a
zombie of the machine's init, which on test machines reaps late, and the
agent's stop waits on kill -0.  Exits with PROGRAM's status."""
import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
main = os.fork()
if main == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    try:
        pid, st = os.waitpid(-1, 0)
    except ChildProcessError:
        sys.exit(1)
    if pid == main:
        sys.exit(os.waitstatus_to_exitcode(st))
