#!/bin/sh
# tests/bench/run.sh - `make bench`: the same qnetd-bench workload against
# our daemon and Debian's corosync-qnetd, one after the other, TLS off and
# on, at 1,000 and 10,000 clients (2-node ffsplit clusters), then one table
# with both daemons and the ratio ours/Debian.
#
# Environment:
#   BUILD          build directory (make sets it)
#   QNETD_BIN      our daemon (default $BUILD/corosync-qnetd)
#   DEBIAN_QNETD   the reference daemon (default /usr/bin/corosync-qnetd)
#   BENCH_QUICK=1  1,000 clients only (about a minute)
#   BENCH_SIZES    client counts, e.g. "1000 10000" (overrides BENCH_QUICK)
#   BENCH_TLS      "off on" (default), or just one of them
#   BENCH_DAEMONS  "ours debian" (default), or just one of them
#   BENCH_KEY      server key types of the TLS runs: "rsa" (default),
#                  "ecdsa" (P-256, corosync-qnetd-certutil -R), or
#                  "rsa ecdsa"; the TLS-off runs are made once
#   BENCH_CAP_S    seconds Debian's daemon gets per connect phase at 10,000
#                  clients (default 180 TLS off, 240 TLS on; ours gets 120)
#   BENCH_OUT      keep the JSON results in this directory
#   BENCH_QNETD_WORKERS  our daemon's -S workers values, one column each
#                  (default "1 2": a column for workers=2 beside the single process)
#   BENCH_WORKERS  generator processes, qnetd-bench --workers (default auto:
#                  with TLS one per 2,000 clients, at most 8; see
#                  docs/performance.md)
#
# Loopback only; every process started here is stopped by pid; the NSS
# database and sockets live in a temporary directory removed at exit.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
bench=$BUILD/qnetd-bench
ours=${QNETD_BIN:-$BUILD/corosync-qnetd}
debian=${DEBIAN_QNETD:-/usr/bin/corosync-qnetd}
if [ -n "${BENCH_SIZES:-}" ]; then
	sizes=$BENCH_SIZES
elif [ "${BENCH_QUICK:-0}" = 1 ]; then
	sizes=1000
else
	sizes="1000 10000"
fi
tls_modes=${BENCH_TLS:-off on}
workers=${BENCH_WORKERS:-auto}
daemons=${BENCH_DAEMONS:-ours debian}
keys=${BENCH_KEY:-rsa}
for k in $keys; do
	case $k in
	rsa | ecdsa) ;;
	*) echo "run.sh: BENCH_KEY: rsa or ecdsa, not $k" >&2; exit 2;;
	esac
done
qnetd_workers=${BENCH_QNETD_WORKERS:-1 2}

if [ ! -x "$bench" ]; then
	echo "run.sh: $bench not built" >&2
	exit 2
fi
tmp=$(mktemp -d /tmp/qnetd-bench.XXXXXX) || exit 2
dpid=
cleanup() {
	if [ -n "$dpid" ]; then
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
out=${BENCH_OUT:-$tmp/results}
mkdir -p "$out"

# Run both daemons and the generator ahead of unrelated work on the box.
nice_cmd=
if nice -n -10 true 2>/dev/null; then
	nice_cmd="nice -n -10"
fi

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_listen() {
	i=0
	while [ $i -lt 100 ]; do
		if ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; then
			return 0
		fi
		if ! kill -0 "$dpid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

echo "qnetd bench: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
	"kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for k in $keys; do
	echo "creating the NSS database (CA, $k server cert, wildcard client cert)"
	if ! sh tests/bench/mkcerts.sh "$tmp/nssdb-$k" "*.bench.qnetd" "$k" \
	    >"$tmp/mkcerts.log" 2>&1; then
		cat "$tmp/mkcerts.log" >&2
		exit 2
	fi
done

# run_one NAME BINARY CLIENTS TLS CAP KEY [EXTRA_DAEMON_ARGS]
run_one() {
	name=$1 bin=$2 clients=$3 tls=$4 cap=$5 key=$6 db=$tmp/nssdb-$6 extra=${7:-}
	port=$(free_port)
	sflag=off
	tlsopt=
	if [ "$tls" = on ]; then
		sflag=on
		tlsopt="--tls --nss-db sql:$db/client"
	fi
	# Both daemons: as many descriptors as the hard limit allows, and a
	# backlog that holds a whole burst (Debian's default of 10 loses clients).
	# Ours keeps its vote memory in the run's directory, never in the
	# machine's /var/lib/corosync-qnetd.
	sd=
	grep -q state_dir "$bin" && sd=",state_dir=$tmp/$name.state"
	# shellcheck disable=SC2086 # extra: words on purpose
	( ulimit -n "$(ulimit -Hn)"; exec $nice_cmd "$bin" -f -l 127.0.0.1 -p "$port" \
		-s "$sflag" -c on $extra \
		-S "listen_backlog=4096,nss_db_dir=$db/server,lock_file=$tmp/$name.pid,local_socket_file=$tmp/$name.sock$sd" \
		>"$out/$name.daemon.log" 2>&1 ) &
	dpid=$!
	if ! wait_listen "$port"; then
		echo "  $name: the daemon did not start:" >&2
		tail -n 5 "$out/$name.daemon.log" >&2
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
		dpid=
		return 1
	fi
	echo "== $name: $bin $extra, $clients clients, TLS $tls, $key server key (connect cap ${cap}s)"
	# shellcheck disable=SC2086
	$nice_cmd "$bench" --port "$port" --clusters $((clients / 2)) --nodes 2 $tlsopt \
		--hb 2000 --server-pid "$dpid" --connect-timeout "$cap" --phase-timeout 30 \
		--steady 10 --max-pending 256 --workers "$workers" --json >"$out/$name.json" \
		2>"$out/$name.log"
	rc=$?
	sed 's/^/   /' "$out/$name.log"
	if kill -0 "$dpid" 2>/dev/null; then
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	else
		wait "$dpid" 2>/dev/null
		st=$?
		# The generator resets its connections as it exits; Debian's
		# daemon can crash on that (see docs/performance.md).
		echo "   (the daemon exited by itself, status $st$([ $st -eq 139 ] && echo ', SIGSEGV'): during or right after the run)"
	fi
	dpid=
	[ $rc -eq 0 ] || rm -f "$out/$name.json"
	return 0
}

first_key=${keys%% *}
start=$(date +%s)
for n in $sizes; do
	for tls in $tls_modes; do
	for key in $keys; do
		# The server key only matters with TLS.
		[ "$tls" = on ] || [ "$key" = "$first_key" ] || continue
		# RSA keeps the names it always had.
		suffix=
		[ "$tls" = on ] && [ "$key" = ecdsa ] && suffix=-ecdsa
		for d in $daemons; do
			case $d in
			ours) bin=$ours; cap=120;;
			debian) bin=$debian
				cap=60
				if [ "$n" -ge 10000 ]; then
					if [ "$tls" = on ]; then cap=${BENCH_CAP_S:-240}
					else cap=${BENCH_CAP_S:-180}; fi
				fi;;
			*) echo "run.sh: unknown daemon $d" >&2; exit 2;;
			esac
			if [ ! -x "$bin" ]; then
				echo "== $d-$n-tls$tls$suffix: $bin not built, skipped"
				continue
			fi
			if [ "$d" != ours ]; then
				run_one "$d-$n-tls$tls$suffix" "$bin" "$n" "$tls" "$cap" "$key"
				continue
			fi
			for w in $qnetd_workers; do
				if [ "$w" = 1 ]; then
					run_one "ours-$n-tls$tls$suffix" "$bin" "$n" "$tls" "$cap" "$key"
				else
					run_one "ours_w$w-$n-tls$tls$suffix" "$bin" "$n" "$tls" "$cap" \
					    "$key" "-S workers=$w"
				fi
			done
		done
	done
	done
done
echo "bench wall time: $(( $(date +%s) - start )) s"
echo
python3 tests/bench/table.py "$out" "$sizes" "$tls_modes" "$qnetd_workers" "$keys"
