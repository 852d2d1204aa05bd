#!/bin/sh
# Debian's real corosync + corosync-qdevice (one node, ffsplit, TLS with a
# certificate signed by the daemon's CA, made the pvecm way) against our
# daemon: it connects over TLS, gets the vote, and stays connected past
# several dead-peer intervals (heartbeats answered).
#
# Everything runs in private mount, network and pid namespaces: corosync's
# fixed paths (/etc/corosync, /run, /dev/shm, ...) are tmpfs there, the
# network is a private loopback, and every process dies with the namespace.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
QNETD_BIN=${QNETD_BIN:-$top/$BUILD/corosync-qnetd}
QNETD_TOOL=${QNETD_TOOL:-$top/$BUILD/corosync-qnetd-tool}
QNETD_CERTUTIL=${QNETD_CERTUTIL:-$top/$BUILD/corosync-qnetd-certutil}
for b in corosync corosync-qdevice corosync-qdevice-net-certutil unshare; do
	command -v "$b" >/dev/null 2>&1 || { echo "skip: $b not installed (make setup)"; exit 77; }
done
[ -x "$QNETD_BIN" ] || { echo "skip: $QNETD_BIN not built"; exit 77; }
[ -x "$QNETD_CERTUTIL" ] || QNETD_CERTUTIL=/usr/bin/corosync-qnetd-certutil
[ "$(id -u)" = 0 ] || { echo "skip: needs root for namespaces"; exit 77; }

work=$(mktemp -d /tmp/qnetd-realqd.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export QNETD_BIN QNETD_TOOL QNETD_CERTUTIL work

unshare --mount --net --pid --fork --mount-proc --propagation private sh -eu <<'INNER'
fail() { echo "FAIL: $*"; echo "--- qnetd log"; cat "$work/qnetd.log" 2>/dev/null | tail -n 30;
	echo "--- qdevice log"; tail -n 30 "$work/qdevice.log" 2>/dev/null; exit 1; }
ip link set lo up
for d in /etc/corosync /var/lib/corosync /var/lib/corosync-qnetd /var/log/corosync /run /dev/shm; do
	mkdir -p "$d"; mount -t tmpfs tmpfs "$d"
done
mkdir -p /run/corosync-qnetd /etc/corosync/qnetd

# Certificates as pvecm qdevice setup makes them.
"$QNETD_CERTUTIL" -i >"$work/cert.log" 2>&1 || fail "qnetd certutil -i"
corosync-qdevice-net-certutil -i -c /etc/corosync/qnetd/nssdb/qnetd-cacert.crt >>"$work/cert.log" 2>&1 \
	|| fail "qdevice certutil -i"
corosync-qdevice-net-certutil -r -n realcl >>"$work/cert.log" 2>&1 || fail "qdevice certutil -r"
cp /etc/corosync/qdevice/net/nssdb/qdevice-net-node.crq "$work/"
"$QNETD_CERTUTIL" -s -c "$work/qdevice-net-node.crq" -n realcl >>"$work/cert.log" 2>&1 \
	|| fail "qnetd certutil -s"
corosync-qdevice-net-certutil -M -c /etc/corosync/qnetd/nssdb/cluster-realcl.crt >>"$work/cert.log" 2>&1 \
	|| fail "qdevice certutil -M"

cat >/etc/corosync/corosync.conf <<EOF
totem {
	version: 2
	cluster_name: realcl
	transport: knet
	token: 1000
	token_coefficient: 250
	crypto_cipher: none
	crypto_hash: none
}
nodelist {
	node {
		ring0_addr: 127.0.0.1
		name: n1
		nodeid: 1
	}
}
quorum {
	provider: corosync_votequorum
	device {
		model: net
		votes: 1
		timeout: 3000
		sync_timeout: 5000
		net {
			host: 127.0.0.1
			algorithm: ffsplit
			tls: on
		}
	}
}
logging {
	to_stderr: yes
	to_syslog: no
}
EOF
# Ours keeps its vote memory under $work, not in /var/lib/corosync-qnetd.
sd=
grep -q state_dir "$QNETD_BIN" && sd="-S state_dir=$work/state"
"$QNETD_BIN" -f -d -s on $sd >"$work/qnetd.log" 2>&1 &
sleep 1
corosync -f >"$work/corosync.log" 2>&1 &
for i in $(seq 1 50); do corosync-quorumtool -s >/dev/null 2>&1 && break; sleep 0.2; done
corosync-qdevice -f -d >"$work/qdevice.log" 2>&1 &

connected=0
for i in $(seq 1 60); do
	if corosync-qdevice-tool -s 2>/dev/null | grep -q "State:.*Connected"; then connected=1; break; fi
	sleep 0.5
done
[ "$connected" = 1 ] || fail "qdevice did not connect"
# Several DPD intervals (HB = 0.8 x 3000 ms, DPD = 1.5 x HB = 3.6 s).
sleep 9
corosync-qdevice-tool -sv >"$work/qdt.txt" 2>&1 || fail "qdevice-tool"
grep -q "State:.*Connected" "$work/qdt.txt" || fail "qdevice no longer connected: $(cat "$work/qdt.txt")"
grep -q "TLS active:.*Yes" "$work/qdt.txt" || fail "TLS not active: $(cat "$work/qdt.txt")"
grep -q "doesn't sent any message" "$work/qnetd.log" && fail "dead-peer disconnect in the qnetd log"
corosync-quorumtool -s >"$work/qt.txt" 2>&1
grep -q "Quorate:.*Yes" "$work/qt.txt" || fail "not quorate: $(cat "$work/qt.txt")"
grep -q "A,V,NMW" "$work/qt.txt" || fail "qdevice flags not A,V,NMW: $(cat "$work/qt.txt")"
if [ -x "$QNETD_TOOL" ]; then
	"$QNETD_TOOL" -l -v >"$work/ql.txt" 2>&1 || fail "qnetd-tool -l: $(cat "$work/ql.txt")"
	grep -q 'Cluster "realcl":' "$work/ql.txt" || fail "qnetd-tool: $(cat "$work/ql.txt")"
	grep -q "TLS active:.*Yes (client certificate verified)" "$work/ql.txt" \
		|| fail "qnetd-tool TLS line: $(cat "$work/ql.txt")"
fi
echo "qdevice connected over TLS, quorate, flags A,V,NMW, no dead-peer disconnect"
sed -n '/Membership information/,$p' "$work/qt.txt"
INNER
