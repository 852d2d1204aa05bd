#!/bin/sh
# Runs the test suite: unit test binaries, then black-box tests.
# Each test exits 0 (pass), 77 (skip) or anything else (fail).
# Usage: tests/run.sh all|unit|blackbox   (BUILD selects the build dir)
set -u
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
what=${1:-all}
pass=0 fail=0 skip=0 failed=""
logdir="$BUILD/test-logs"
mkdir -p "$logdir"

run_one() {
	name=$1; shift
	start=$(date +%s)
	log="$logdir/$(echo "$name" | tr / _).log"
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)";;
	77) skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")";;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (rc $rc)"
	   sed "s/^/    | /" "$log" | tail -n 40;;
	esac
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = blackbox ]; then
	for t in tests/blackbox/test_*; do
		[ -f "$t" ] || continue
		case $t in
		*.py) run_one "blackbox/$(basename "$t")" python3 "$t";;
		*.sh) run_one "blackbox/$(basename "$t")" sh "$t";;
		esac
	done
fi
echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
