#!/bin/sh
# tests/bench/callgrind.sh - instructions the daemon executes on the bench's
# three paths (handshake, steady, storm), counted by callgrind, so that a
# change can be judged by cost rather than by wall time on a shared box.
#
# Usage: tests/bench/callgrind.sh [CLUSTERS [ECHOES]]   (defaults 20, 20)
#   BUILD      build directory (default build); the daemon is $BUILD/corosync-qnetd
#   QNETD_BIN  another daemon binary to measure
#
# Starts the daemon under `valgrind --tool=callgrind` (plain TCP, -s off),
# drives it with tests/bench/callgrind_drive.py (2-node ffsplit clusters),
# which dumps the counters after each phase, then prints one line per
# phase: "PHASE Ir" (instructions executed in that phase, the loop's idle
# waits included, which cost next to nothing).  Same counts, same binary:
# the figures repeat within a fraction of a percent.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
bin=${QNETD_BIN:-$BUILD/corosync-qnetd}
clusters=${1:-20}
echoes=${2:-20}
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not installed" >&2; exit 77; }
[ -x "$bin" ] || { echo "callgrind.sh: $bin not built" >&2; exit 2; }
tmp=$(mktemp -d /tmp/qnetd-callgrind.XXXXXX) || exit 2
vpid=
cleanup() {
	if [ -n "$vpid" ]; then
		kill "$vpid" 2>/dev/null
		wait "$vpid" 2>/dev/null
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out.%p" \
	"$bin" -f -s off -l 127.0.0.1 -p "$port" \
	-S "lock_file=$tmp/qnetd.pid,local_socket_file=$tmp/qnetd.sock" \
	>"$tmp/daemon.log" 2>&1 &
vpid=$!
i=0
until ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 "$vpid" 2>/dev/null; then
		echo "callgrind.sh: the daemon did not start" >&2
		tail -n 20 "$tmp/daemon.log" >&2
		exit 1
	fi
	sleep 0.1
done
if ! python3 tests/bench/callgrind_drive.py "$port" "$vpid" "$clusters" "$echoes"; then
	echo "callgrind.sh: the driver failed" >&2
	tail -n 20 "$tmp/daemon.log" >&2
	exit 1
fi
kill "$vpid"
wait "$vpid" 2>/dev/null
vpid=
echo "callgrind: $bin, $clusters clusters x 2 nodes, $echoes echoes per client"
# One file per dump: "desc: Trigger: dump PHASE", "summary: IR".
for phase in start handshake steady storm; do
	for f in "$tmp"/cg.out.*; do
		if grep -qx "desc: Trigger: dump $phase" "$f"; then
			printf '%-10s %s\n' "$phase" "$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$f")"
		fi
	done
done
