#!/bin/sh
# Run every test suite and print one closing line: "N passed, N failed".
#   tests/run-all.sh BUILD [ASAN_BUILD [TSAN_BUILD]]   unit + command-line tests on BUILD,
#       the same under ASan+UBSan with the fuzz corpus replayed, the executor tests (thread
#       only) and the command-line timeout, hang, crash and signal tests under TSan
#   tests/run-all.sh --unit-only BUILD
set -u
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then unit_only=1; shift; fi
build=${1:?usage: run-all.sh [--unit-only] BUILD [ASAN_BUILD [TSAN_BUILD]]}
asan=${2:-}
tsan=${3:-}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed below:".
count_cmocka() {
	label=$1; shift
	"$@" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
	if [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then cat "$log"; fi
	[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1               # ran nothing: a failure
	echo "$label: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

# tests/cli/run.sh ends with "N passed, N failed".
count_plain() {
	label=$1; shift
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then cat "$log"; fi
	[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1
	echo "$label: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] && count_cmocka "unit $(basename "$t")" "$t"
done
if [ "$unit_only" -eq 0 ]; then
	count_plain "cli" bash tests/cli/run.sh "$build/concbench"
fi
if [ -n "$asan" ]; then
	for t in "$asan"/tests/test_*; do
		[ -x "$t" ] && count_cmocka "asan+ubsan $(basename "$t")" "$t"
	done
	[ -x "$asan/concbench" ] && count_plain "asan+ubsan cli" bash tests/cli/run.sh "$asan/concbench"
	# The fuzz targets' seed corpus and every crash found so far, replayed once each.
	for r in "$asan"/replay/fuzz_*; do
		[ -x "$r" ] || continue
		t=${r##*/fuzz_}
		count_plain "asan+ubsan fuzz replay $t" "$r" "tests/fuzz/corpus/$t" "tests/fuzz/crashes/$t"
	done
fi
if [ -n "$tsan" ] && [ -x "$tsan/tests/test_executors" ]; then
	count_cmocka "tsan test_executors (thread)" env CB_TEST_EXECUTORS=thread \
		TSAN_OPTIONS=halt_on_error=1 "$tsan/tests/test_executors"
fi
# The paths where the coordinator and the workers race for the end of a repetition: a race
# ends the run with exit 66, which no test expects.
if [ -n "$tsan" ] && [ -x "$tsan/concbench" ]; then
	tsan_cli=$(sed -n 's/^TSAN_CLI_TESTS := //p' Makefile)
	count_plain "tsan cli ($tsan_cli)" env CB_CLI_ONLY="${tsan_cli:-hang|timeout|crash|sig}" \
		TSAN_OPTIONS='halt_on_error=1 exitcode=66' bash tests/cli/run.sh "$tsan/concbench"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
