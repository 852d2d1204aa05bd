#!/bin/sh
# Run black-box tests with the daemon under valgrind (memcheck, full leak
# check; any error or definite/indirect leak makes the daemon exit 9 and
# the test fail).  Usage: tests/valgrind/run.sh [test files...]
# Default: the hostile, fault (but not the LD_PRELOAD one) and protocol
# tests.  Timing thresholds in some tests assume a native daemon; their
# failures under valgrind are reported but are not memory errors: read
# the valgrind logs, kept in $QNETD_VALGRIND_LOGDIR.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
export BUILD=${BUILD:-build}
export QNETD_BIN="$top/tests/valgrind/qnetd-valgrind"
export QNETD_VALGRIND_LOGDIR=${QNETD_VALGRIND_LOGDIR:-$(mktemp -d /tmp/qnetd-vg.XXXXXX)}
export QNETD_START_TIMEOUT=${QNETD_START_TIMEOUT:-60}
export QNETD_STOP_TIMEOUT=${QNETD_STOP_TIMEOUT:-60}
tests=${*:-$(ls tests/blackbox/test_hostile_*.py tests/blackbox/test_fault_*.py tests/blackbox/test_proto_*.py | grep -v test_fault_alloc)}
fail=0
for t in $tests; do
	log="$QNETD_VALGRIND_LOGDIR/$(basename "$t").out"
	if python3 "$t" >"$log" 2>&1; then
		echo "PASS $t"
	else
		echo "FAIL $t (rc $?): $(tail -n 1 "$log")"
		fail=1
	fi
done
errs=$(grep -l "ERROR SUMMARY: [1-9]\|definitely lost\|indirectly lost\|Invalid \|uninitialised" \
	"$QNETD_VALGRIND_LOGDIR"/qnetd-vg.*.log 2>/dev/null)
echo "valgrind logs: $QNETD_VALGRIND_LOGDIR ($(ls "$QNETD_VALGRIND_LOGDIR"/qnetd-vg.*.log 2>/dev/null | wc -l) daemons)"
if [ -n "$errs" ]; then
	echo "valgrind reports in:"; echo "$errs"
	exit 1
fi
exit $fail
