#!/bin/sh
# tests/bench/callgrind_bench.sh BINARY CLIENTS off|on [OUTDIR]: one qnetd-bench run
# (connect, steady, split, heal) against BINARY running under callgrind, then
# the daemon's total instruction count (Ir),
# counted from the moment it listens.  TLS on measures the handshake
# path, off the steady (echo) and storm (split/heal) paths.  Loopback only;
# the daemon is stopped by pid; the temporary directory is removed at exit.
set -u
BUILD=${BUILD:-build}
bin=$1 clients=$2 tls=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
tmp=$(mktemp -d /tmp/qnetd-cg.XXXXXX) || exit 2
out=${4:-$tmp}
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
sh tests/bench/mkcerts.sh "$tmp/nssdb" >"$tmp/mkcerts.log" 2>&1 || exit 2
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
sflag=off tlsopt=
if [ "$tls" = on ]; then
	sflag=on
	tlsopt="--tls --nss-db sql:$tmp/nssdb/client"
fi
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out" \
	"$bin" -f -l 127.0.0.1 -p "$port" -s "$sflag" -c on \
	-S "listen_backlog=4096,nss_db_dir=$tmp/nssdb/server,lock_file=$tmp/d.pid,local_socket_file=$tmp/d.sock" \
	>"$tmp/daemon.log" 2>&1 &
dpid=$!
i=0
until ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "daemon did not start" >&2; tail "$tmp/daemon.log" >&2; exit 2; }
	sleep 0.1
done
# Count from here: start-up (NSS initialisation) is not what is measured.
callgrind_control -i on "$dpid" >/dev/null
# shellcheck disable=SC2086
"$BUILD/qnetd-bench" --port "$port" --clusters $((clients / 2)) --nodes 2 $tlsopt \
	--hb 2000 --connect-timeout 120 --phase-timeout 60 --steady 5 --max-pending 64 \
	>"$tmp/bench.log" 2>&1
rc=$?
kill -TERM "$dpid"
wait "$dpid"
dpid=
sed 's/^/  bench: /' "$tmp/bench.log" | tail -n 3
[ $rc -eq 0 ] || echo "bench exit status $rc" >&2
printf 'total Ir: %s\n' "$(sed -n 's/^summary: //p' "$out/callgrind.out")"
