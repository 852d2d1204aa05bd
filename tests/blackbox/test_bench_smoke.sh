#!/bin/sh
# test_bench_smoke.sh: a short qnetd-bench run (20 two-node ffsplit
# clusters, TLS off, then TLS on with a wildcard client certificate)
# against the daemon: every client connects, every cluster settles after
# the split storm with node 1 ACK and node 2 NACK, and heals with both ACK.
# QNETD_BIN selects the daemon (default $BUILD/corosync-qnetd).
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${QNETD_BIN:-$top/$BUILD/corosync-qnetd}
bench=$top/$BUILD/qnetd-bench
if [ ! -x "$bin" ] || [ ! -x "$bench" ]; then
	echo "skip: $bin or $bench not built"
	exit 77
fi
command -v certutil >/dev/null || { echo "skip: certutil missing"; exit 77; }
tmp=$(mktemp -d /tmp/test_bench_smoke.XXXXXX) || exit 1
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sh "$top/tests/bench/mkcerts.sh" "$tmp/db" >"$tmp/mkcerts.log" 2>&1 ||
	{ cat "$tmp/mkcerts.log"; exit 1; }

port_free() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# run_case TLS(off|on)
run_case() {
	port=$(port_free)
	"$bin" -f -l 127.0.0.1 -p "$port" -s "$1" \
		-S "nss_db_dir=$tmp/db/server,lock_file=$tmp/q.pid,local_socket_file=$tmp/q.sock,state_dir=$tmp/state" \
		>"$tmp/daemon-$1.log" 2>&1 &
	dpid=$!
	i=0
	until ss -ltnH "sport = :$port" | grep -q .; do
		i=$((i + 1))
		if [ $i -gt 50 ] || ! kill -0 "$dpid" 2>/dev/null; then
			echo "daemon did not start (TLS $1)"
			cat "$tmp/daemon-$1.log"
			return 1
		fi
		sleep 0.1
	done
	tlsopt=
	[ "$1" = on ] && tlsopt="--tls --nss-db sql:$tmp/db/client"
	# shellcheck disable=SC2086
	"$bench" --port "$port" --clusters 20 $tlsopt --server-pid "$dpid" --steady 2 \
		--settle 300 --phase-timeout 20 --json >"$tmp/r-$1.json" 2>"$tmp/r-$1.log"
	rc=$?
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=
	if [ $rc -ne 0 ]; then
		echo "qnetd-bench failed (TLS $1)"
		cat "$tmp/r-$1.log"
		return 1
	fi
	python3 - "$tmp/r-$1.json" <<'EOF' || { cat "$tmp/r-$1.log"; return 1; }
import json, sys
r = json.load(open(sys.argv[1]))
c, sp, he = r["connect"], r["split"], r["heal"]
bad = []
if c["connected"] != 40 or not c["complete"]:
    bad.append("connected %d/40" % c["connected"])
for name, p in (("split", sp), ("heal", he)):
    if p["clusters"] != 20 or p["settled"] != 20 or not p["complete"]:
        bad.append("%s: %d/%d settled" % (name, p["settled"], p["clusters"]))
    for k in ("zero_ack", "multi_ack", "wrong_side", "unsettled", "lost_node"):
        if p[k] != 0:
            bad.append("%s: %s=%d" % (name, k, p[k]))
# 40 clients echo every 2 s: about 40 in the 2 s window, at least half of them.
if r["steady"]["echo_n"] < 20:
    bad.append("only %d echo replies" % r["steady"]["echo_n"])
if bad:
    print("FAIL (TLS %d): %s" % (r["tls"], "; ".join(bad)))
    sys.exit(1)
print("ok (TLS %d): 40 clients, split and heal settled in %.1f / %.1f ms" %
      (r["tls"], sp["all_ms"], he["all_ms"]))
EOF
}

run_case off || exit 1
run_case on || exit 1
exit 0
