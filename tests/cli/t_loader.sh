# shellcheck shell=bash
# Report loading (src/report/reportload.c), sourced by tests/cli/run.sh: `report`, `report --plot`
# and `compare` refuse the same hostile or malformed files, each with exit 2, nothing on
# stdout and one line naming the file, the run and the field.

LOADER_FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json

# loader_refused FILE PATTERN...: every command that reads reports refuses FILE (in either
# place for compare), with one line naming FILE and matching each grep -E PATTERN.
loader_refused() {
	local f=$1 name pat how
	shift
	name=$(basename "$f")
	for how in report plot compare-base compare-new; do
		case $how in
		report) expect_usage report "$f" ;;
		plot) expect_usage report "$f" --plot "$OUTDIR/chart.png" ;;
		compare-base) expect_usage compare "$f" "$LOADER_FIX" ;;
		compare-new) expect_usage compare "$LOADER_FIX" "$f" ;;
		esac
		[ -z "$WHY" ] || { WHY="$name, $how: $WHY"; return 1; }
		grep -qF "'$f'" "$T/stderr" || fail "$name, $how: the error does not name the file: $(first_err)" ||
			return
		for pat in "$@"; do
			grep -qE -- "$pat" "$T/stderr" ||
				fail "$name, $how: the error does not match '$pat': $(first_err)" || return
		done
	done
}

# loader_run_field NAME JQ FIELD: a copy of the fixture changed by JQ is refused, naming
# runs[2] (cpu fork) and "FIELD".
loader_run_field() {
	local f="$T/$1.json"
	jq "$2" "$LOADER_FIX" >"$f" || fail "jq failed on $1" || return
	loader_refused "$f" 'runs\[2\] \(cpu fork' "\"$3\""
}

test_loader_workers_out_of_range() {
	loader_run_field workers-1e300 '.runs[2].workers = 1e300' workers || return
	loader_run_field workers-negative '.runs[2].workers = -1' workers || return
	loader_run_field workers-2p32 '.runs[2].workers = 4294967296' workers || return
	loader_run_field workers-zero '.runs[2].workers = 0' workers || return
	loader_run_field workers-half '.runs[2].workers = 1.5' workers || return
	loader_run_field workers-string '.runs[2].workers = "2"' workers || return
	# jq cannot write an infinity; cJSON reads 1e999 as one.
	jq '.runs[2].workers = 123456789' "$LOADER_FIX" | sed 's/123456789/1e999/' >"$T/workers-inf.json"
	loader_refused "$T/workers-inf.json" 'runs\[2\] \(cpu fork' '"workers"' 'got inf'
}

test_loader_samples_and_median() {
	loader_run_field samples-string '.runs[2].samples_s = ["a"]' 'samples_s\[0\]' || return
	loader_run_field samples-negative '.runs[2].samples_s[3] = -1' 'samples_s\[3\]' || return
	loader_run_field samples-object '.runs[2].samples_s = {}' samples_s || return
	loader_run_field samples-empty-median '.runs[2].samples_s = []' median_s || return
	loader_run_field median-negative '.runs[2].median_s = -5' median_s || return
	loader_run_field median-missing 'del(.runs[2].median_s)' median_s || return
	loader_run_field median-outside '.runs[2].median_s = 5' median_s || return
	loader_run_field min-above-max '.runs[2].min_s = 1' min_s
}

test_loader_other_fields() {
	loader_run_field speedup-string '.runs[2].speedup = "fast"' speedup || return
	loader_run_field efficiency-negative '.runs[2].efficiency = -1' efficiency || return
	loader_run_field ci95-reversed '.runs[2].ci95_s = [2, 1]' ci95_s || return
	loader_run_field ci95-short '.runs[2].ci95_s = [1]' ci95_s || return
	loader_run_field speedup-ci95-text '.runs[2].speedup_ci95 = ["a", "b"]' speedup_ci95 || return
	loader_run_field throughput-negative '.runs[2].throughput.value = -1' 'throughput\.value' || return
	loader_run_field throughput-unit '.runs[2].throughput.unit = 5' 'throughput\.unit' || return
	loader_run_field rusage-text '.runs[2].rusage.user_s = "x"' 'rusage\.user_s' || return
	loader_run_field params-nested '.runs[2].params.size = [1]' 'params\.size' || return
	loader_run_field params-array '.runs[2].params = []' params || return
	loader_run_field binding-missing 'del(.runs[2].binding)' binding || return
	loader_run_field verified-text '.runs[2].verified = "yes"' verified || return
	loader_run_field checksum-long ".runs[2].checksum = \"$(printf '%0300d' 0)\"" checksum || return
	jq ".runs[2].executor = \"$(printf 'x%.0s' $(seq 300))\"" "$LOADER_FIX" >"$T/executor-long.json"
	loader_refused "$T/executor-long.json" 'runs\[2\] \(cpu workers=1\)' '"executor"' || return
	jq '.host.hostname = {"a": 1}' "$LOADER_FIX" >"$T/host-object.json"
	loader_refused "$T/host-object.json" '"host\.hostname"' || return
	jq '.warnings = [1]' "$LOADER_FIX" >"$T/warnings-number.json"
	loader_refused "$T/warnings-number.json" '"warnings\[0\]"'
}

test_loader_not_one_document() {
	{ cat "$LOADER_FIX"; echo 'garbage'; } >"$T/trailing.json"
	loader_refused "$T/trailing.json" 'after the document' || return
	cat "$LOADER_FIX" "$LOADER_FIX" >"$T/two.json"
	loader_refused "$T/two.json" 'after the document' || return
	{ head -c 100 "$LOADER_FIX"; printf '\0'; tail -c +101 "$LOADER_FIX"; } >"$T/nul.json"
	loader_refused "$T/nul.json" 'NUL byte at offset 100' || return
	: >"$T/empty.json"
	loader_refused "$T/empty.json" 'empty' || return
	printf ' \n\t\n' >"$T/blank.json"
	loader_refused "$T/blank.json" 'empty'
}

# 200 000 '[': refused before cJSON recurses into it (the suite's 60 s limit bounds a
# regression; the check itself takes milliseconds).
test_loader_deep_nesting() {
	head -c 200000 /dev/zero | tr '\0' '[' >"$T/deep.json"
	loader_refused "$T/deep.json" 'nested deeper than 64 levels' || return
	{ printf '{"schema": "concbench-report/1", "runs": [{"workload": "cpu", "params": {"a": '
	  head -c 100 /dev/zero | tr '\0' '['; } >"$T/deep-run.json"
	loader_refused "$T/deep-run.json" 'nested deeper'
}

# A FIFO without a writer: refused at once, never waited on; a directory and a device too.
test_loader_not_a_regular_file() {
	mkfifo "$T/fifo.json" || fail "mkfifo failed" || return
	loader_refused "$T/fifo.json" 'is a FIFO' || return
	mkdir "$T/dir.json"
	loader_refused "$T/dir.json" 'is a directory' || return
	[ -c /dev/zero ] || return 0
	expect_usage report /dev/zero || return
	grep -q "character device" "$T/stderr" || fail "/dev/zero: $(first_err)"
}

test_loader_bounded_sizes() {
	jq -c '.runs[2].samples_s = [range(100001) | 0.05] | .runs[2].median_s = 0.05' \
		"$LOADER_FIX" >"$T/many-samples.json"
	loader_refused "$T/many-samples.json" 'runs\[2\]' '"samples_s"' 'at most 100000' || return
	# Larger than 64 MiB: refused by its size, unread (a sparse file).
	truncate -s $((64 * 1024 * 1024 + 1)) "$T/huge.json"
	loader_refused "$T/huge.json" 'larger than 64 MiB'
}

# What the loader accepts still renders: the fixture, and a run without samples.
test_loader_accepts_valid() {
	cb report "$LOADER_FIX"
	[ "$RC" -eq 0 ] || fail "fixture: exit $RC: $(first_err)" || return
	jq '.runs[2].samples_s = [] | .runs[2].median_s = null' "$LOADER_FIX" >"$T/nosamples.json"
	cb report "$T/nosamples.json" --format csv
	[ "$RC" -eq 0 ] || fail "run without samples: exit $RC: $(first_err)" || return
	cb compare "$LOADER_FIX" "$LOADER_FIX"
	[ "$RC" -eq 0 ] || fail "compare: exit $RC: $(first_err)"
}

# A report is read by its size: a 43 KB report must load in 60 MB of address space (the
# old reader allocated 64 MiB for every file). Skipped where the binary itself cannot start
# in 60 MB (sanitizer builds reserve far more).
test_loader_bounded_memory() {
	(ulimit -v 60000 && "$BIN" --version) >/dev/null 2>&1 || return 0
	local rc=0
	(ulimit -v 60000 && exec "$BIN" report "$LOADER_FIX") >"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" -eq 0 ] || fail "exit $rc in 60 MB: $(first_err)" || return
	rc=0
	(ulimit -v 60000 && exec "$BIN" compare "$LOADER_FIX" "$LOADER_FIX") >"$T/stdout" 2>"$T/stderr" ||
		rc=$?
	[ "$rc" -eq 0 ] || fail "compare: exit $rc in 60 MB: $(first_err)"
}

# A key twice in one object: JSON readers disagree on which one counts (cJSON takes the
# first, jq the last), so a report could show one value to concbench and another to a
# reviewer. Refused in a run, in params and at the top level.
test_loader_duplicate_keys() {
	sed -E 's/"executor":[[:space:]]*"thread"/"executor": "thread", "executor": "fork"/' \
		"$LOADER_FIX" >"$T/dup-run.json"
	cmp -s "$LOADER_FIX" "$T/dup-run.json" && { fail "sed did not change the report"; return; }
	loader_refused "$T/dup-run.json" '"executor" appears twice' || return
	sed -E '0,/"schema":[[:space:]]*"concbench-report\/1",/s//"schema": "concbench-report\/1", "schema": "x",/' \
		"$LOADER_FIX" >"$T/dup-top.json"
	cmp -s "$LOADER_FIX" "$T/dup-top.json" && { fail "sed did not change the top level"; return; }
	loader_refused "$T/dup-top.json" '"schema" appears twice'
}
