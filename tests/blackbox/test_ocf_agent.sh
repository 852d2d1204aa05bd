#!/bin/sh
# ocf-tester (Debian's resource-agents) on ocf:heartbeat:corosync-qnetd
# driving our daemon: meta-data, validate-all, start, monitor, stop,
# start-when-started, stop-when-stopped and the exit codes the agent and
# Pacemaker expect.  The agent needs root, xmllint and the coroqnetd user;
# it starts the daemon without -f, as coroqnetd, and stops it with kill.
# Several rounds, because the agent's stop returns as soon as the status
# tool fails, and a quick restart then trusts the pid file.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD;; esac
AGENT=/usr/lib/ocf/resource.d/heartbeat/corosync-qnetd
ROUNDS=${OCF_ROUNDS:-3}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (the agent runs the daemon as coroqnetd)"
command -v ocf-tester >/dev/null || skip "ocf-tester missing (apt-get install resource-agents)"
[ -x "$AGENT" ] || skip "$AGENT missing (apt-get install resource-agents)"
command -v xmllint >/dev/null || skip "xmllint missing (apt-get install libxml2-utils)"
id coroqnetd >/dev/null 2>&1 || skip "no coroqnetd user"

W=$(mktemp -d /tmp/qnetd-ocf.XXXXXX) || exit 2
cleanup() {
	[ -s "$W/run/q.pid" ] && kill "$(cat "$W/run/q.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
chmod 755 "$W"
# Copies the agent's user can reach wherever the checkout lives.
mkdir "$W/bin"
cp "${OCF_DAEMON:-$BUILD/corosync-qnetd}" "$W/bin/corosync-qnetd"
cp "$BUILD/corosync-qnetd-tool" "$W/bin/"
QNETD_CONFIG_DIR="$W/qnetd" "$BUILD/corosync-qnetd-certutil" -i >"$W/certutil.log" 2>&1 ||
	fail "certutil -i: $(cat "$W/certutil.log")"
chown -R coroqnetd:coroqnetd "$W/qnetd"
# The agent's stop ends once the process is gone (kill -0).  The daemon
# detaches, so its zombie belongs to init, and this test machine's init
# reaps orphans up to a second late (systemd and Pacemaker hosts at once):
# run ocf-tester under a child subreaper that reaps at once.
cat >"$W/reaper.py" <<'PY'
import ctypes, os, sys
PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
main = os.fork()
if main == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
status = 1
while True:
    try:
        pid, st = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    if pid == main:
        sys.exit(os.waitstatus_to_exitcode(st))
sys.exit(status)
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

i=1
while [ "$i" -le "$ROUNDS" ]; do
	python3 "$W/reaper.py" ocf-tester -n qnetd-ocf-test \
	    -o binary="$W/bin/corosync-qnetd" \
	    -o qnetd_tool_binary="$W/bin/corosync-qnetd-tool" \
	    -o ip=127.0.0.1 -o port="$port" \
	    -o nss_db_dir="$W/qnetd/nssdb" \
	    -o pid="$W/run/q.pid" -o ipc_sock="$W/run/q.sock" \
	    "$AGENT" >"$W/ocf.log" 2>&1
	rc=$?
	cat "$W/ocf.log"
	[ "$rc" = 0 ] || fail "ocf-tester round $i exited $rc"
	grep -q "^$AGENT passed all tests" "$W/ocf.log" || fail "round $i: no 'passed all tests'"
	i=$((i + 1))
done
# Stopped at the end: no daemon of ours left.
if [ -s "$W/run/q.pid" ] && kill -0 "$(cat "$W/run/q.pid")" 2>/dev/null; then
	fail "a daemon is still running after the last stop"
fi
echo "PASS: ocf-tester passed $ROUNDS rounds"
