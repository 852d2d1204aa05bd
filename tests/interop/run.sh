#!/bin/bash
# Interop suite: real corosync + corosync-qdevice (Debian) against an arbiter
# daemon, every host a network + mount namespace on one machine.
# See docs/interop.md.
#
# Usage: tests/interop/run.sh [--daemon ours|debian|both] [--list] [--keep]
#                             [SCENARIO...]
# Environment: BUILD (default build), QNETD_BIN, QNETD_TOOL, QNETD_CERTUTIL;
# QNETD_ARGS: extra arguments for our daemon, not Debian's (e.g.
# QNETD_ARGS="-S workers=2": the multi-process daemon).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/interop
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD;; esac

usage()
{
	echo "usage: $0 [--daemon ours|debian|both] [--list] [--keep] [scenario...]"
	exit 2
}

daemon_mode=ours
keep=0
want=""
while [ $# -gt 0 ]; do
	case $1 in
	--daemon) [ $# -ge 2 ] || usage; daemon_mode=$2; shift;;
	--daemon=*) daemon_mode=${1#--daemon=};;
	--keep) keep=1;;
	--list) list=1;;
	-h|--help) usage;;
	-*) usage;;
	*) want="$want $1";;
	esac
	shift
done
case $daemon_mode in ours|debian|both) ;; *) usage;; esac

QI=qi-$$
. "$here/lib.sh"
. "$here/scenarios.sh"

if [ "${list:-0}" = 1 ]; then
	for s in $SCENARIOS; do
		d=desc_${s//-/_}
		printf '%-14s %s\n' "$s" "${!d}"
	done
	exit 0
fi
[ -n "$want" ] || want=$SCENARIOS
for s in $want; do
	case " $SCENARIOS " in *" $s "*) ;; *) echo "unknown scenario: $s"; exit 2;; esac
done

if [ "$(id -u)" != 0 ]; then
	echo "interop: needs root (network and mount namespaces)"
	exit 77
fi
missing=""
for c in corosync corosync-qdevice corosync-quorumtool corosync-qdevice-tool \
    corosync-qdevice-net-certutil corosync-cmapctl certutil nft ip unshare nsenter ss; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if [ -n "$missing" ]; then
	echo "interop: missing programs:$missing (apt-get install corosync corosync-qdevice" \
	    "corosync-qnetd libnss3-tools nftables iproute2)"
	exit 77
fi

# Pick the arbiter programs for one daemon flavour.  QNETD_* override "ours".
pick_programs()
{
	if [ "$1" = debian ]; then
		QNETD_BIN=/usr/bin/corosync-qnetd
		QNETD_TOOL=/usr/bin/corosync-qnetd-tool
		QNETD_CERTUTIL=/usr/bin/corosync-qnetd-certutil
		QNETD_EXTRA_ARGS=
		return
	fi
	QNETD_EXTRA_ARGS=${QNETD_ARGS:-}
	QNETD_BIN=${USER_QNETD_BIN:-$BUILD/corosync-qnetd}
	QNETD_TOOL=${USER_QNETD_TOOL:-$BUILD/corosync-qnetd-tool}
	[ -x "$QNETD_TOOL" ] || QNETD_TOOL=/usr/bin/corosync-qnetd-tool
	QNETD_CERTUTIL=${USER_QNETD_CERTUTIL:-$BUILD/corosync-qnetd-certutil}
	[ -x "$QNETD_CERTUTIL" ] || QNETD_CERTUTIL=/usr/bin/corosync-qnetd-certutil
}
USER_QNETD_BIN=${QNETD_BIN:-}
USER_QNETD_TOOL=${QNETD_TOOL:-}
USER_QNETD_CERTUTIL=${QNETD_CERTUTIL:-}

W=$(mktemp -d "/tmp/$QI.XXXXXX") || exit 1
W_TOP=$W
: >"$W/pids"
: >"$W/netns"

on_exit()
{
	teardown
	log "teardown done"
	if [ "$keep" = 1 ] || [ "${failed_total:-1}" -ne 0 ]; then
		echo "logs kept in $W_TOP"
	else
		rm -rf "$W_TOP"
	fi
}
trap on_exit EXIT
trap 'failed_total=1; exit 130' INT TERM HUP

passed_total=0
failed_total=0
skipped_total=0
suite_t0=$(now)

run_daemon()
{
	DAEMON=$1
	pick_programs "$DAEMON"
	if [ ! -x "$QNETD_BIN" ]; then
		say "daemon $DAEMON: $QNETD_BIN not found (run make first)"
		failed_total=$((failed_total + 1))
		return
	fi
	say "== daemon $DAEMON: $QNETD_BIN"
	say "   tool $QNETD_TOOL, certutil $QNETD_CERTUTIL; logs in $W"
	: >"$W/results-$DAEMON"
	ARB_TEMPLATE=$W/arb-etc-$DAEMON
	RES_FILE=$W/results-$DAEMON
	for s in $want; do
		run_scenario "$s"
	done
}

run_scenario()
{
	local s=$1 d t0 base why fn=${1//-/_}
	d=desc_$fn
	SCEN_NAME=$s
	SCEN_FAILED=0
	base=$W/$DAEMON/$s
	say "-- $s: ${!d}"
	# skip_NAME prints why the scenario does not apply to this daemon:
	# neither passed nor failed, and left out of the debian/ours comparison.
	if declare -F "skip_$fn" >/dev/null && why=$("skip_$fn") && [ -n "$why" ]; then
		skipped_total=$((skipped_total + 1))
		say "SKIP $s [$DAEMON]: $why"
		printf '%s|*|SKIP|0\n' "$s" >>"$RES_FILE"
		return
	fi
	t0=$(now)
	W_SAVE=$W
	mkdir -p "$base"
	W=$base
	: >"$W/pids"
	: >"$W/netns"
	log "setup"
	if net_init && host_add arb && arb_cert_init; then
		"scen_$fn" || SCEN_FAILED=1
		# A daemon that crashed after the last step must not pass unseen.
		if [ "$SCEN_FAILED" = 0 ] && [ -n "$ARB_PID" ]; then
			check "arbiter still running at the end" arb_alive
		fi
	else
		say "  setup failed"
		SCEN_FAILED=1
	fi
	teardown
	log "teardown done"
	W=$W_SAVE
	if [ "$SCEN_FAILED" = 0 ]; then
		passed_total=$((passed_total + 1))
		say "PASS $s [$DAEMON] ($(elapsed "$t0")s)"
	else
		failed_total=$((failed_total + 1))
		say "FAIL $s [$DAEMON] ($(elapsed "$t0")s) logs: $base"
	fi
	printf '%s|*|%s|%s\n' "$s" "$([ "$SCEN_FAILED" = 0 ] && echo PASS || echo FAIL)" \
	    "$(elapsed "$t0")" >>"$RES_FILE"
}

case $daemon_mode in
both) run_daemon debian; run_daemon ours;;
*) run_daemon "$daemon_mode";;
esac

if [ "$daemon_mode" = both ] && [ -s "$W/results-debian" ] && [ -s "$W/results-ours" ]; then
	say ""
	say "== differences in outcome (debian vs ours)"
	ndiff=0
	while IFS='|' read -r s what res secs; do
		[ "$res" = SKIP ] && continue
		other=$(awk -F'|' -v s="$s" -v w="$what" '$1 == s && $2 == w { print $3 }' \
		    "$W/results-ours")
		if [ "$res" != "${other:-(not reached)}" ]; then
			say "   $s: $what: debian $res, ours ${other:-(not reached)}"
			ndiff=$((ndiff + 1))
		fi
	done <"$W/results-debian"
	say "   $ndiff difference(s)"
	say ""
	say "== settle times in seconds (debian / ours)"
	while IFS='|' read -r s what res secs; do
		[ "$what" = "*" ] && continue
		other=$(awk -F'|' -v s="$s" -v w="$what" '$1 == s && $2 == w { print $4 }' \
		    "$W/results-ours")
		say "$(printf '   %-11s %-58s %6s / %s' "$s" "$what" "$secs" "${other:--}")"
	done <"$W/results-debian"
fi

say ""
say "total $(elapsed "$suite_t0")s"
if [ "$skipped_total" -gt 0 ]; then
	say "$passed_total passed, $failed_total failed, $skipped_total skipped (not applicable)"
else
	say "$passed_total passed, $failed_total failed"
fi
[ "$failed_total" -eq 0 ]
