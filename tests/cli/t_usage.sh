# shellcheck shell=bash
# Command-line errors of cores and report, each a real bad input: exit 2, one line naming
# the flag, nothing on stdout, nothing written. Sourced by run.sh.

test_usage_cores_bad_input() {
	local args
	while IFS= read -r args; do
		# shellcheck disable=SC2086  # each line is a list of arguments
		expect_usage cores $args --output "$OUTF" || { WHY="cores $args: $WHY"; return 1; }
	done <<'LIST'
--workload nosuch
--repetitions 0
--repetitions
--warmup x
--handoffs 1
--batches 0
--format xml
--latency --executor shm
--latency --handoffs 3
--executor seq
--size 12Q
--bogus
-z
extra
LIST
	expect_usage cores --size 2M --output /nonexistent/x.json || return
	grep -q -- '--output' "$T/stderr" || fail "the error does not name --output: $(first_err)"
}

# cores writes the JSON document it prints to --output, for per-PU runs and latencies.
test_usage_cores_output_file() {
	cb cores --size 2M --repetitions 3 --warmup 0 --format json --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e '.pus | length >= 1' "$OUTF" >/dev/null || fail "--output holds no pus" || return
	cmp -s <(jq -S . "$T/stdout") <(jq -S . "$OUTF") || fail "stdout and --output differ" || return
	rm -f "$OUTF"
	cb cores --latency --handoffs 200 --batches 2 --format json --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "latency: exit $RC: $(first_err)" || return
	jq -e '.batches == 2' "$OUTF" >/dev/null || fail "latency --output: no batches field"
}

test_usage_report_bad_input() {
	local fix many=()
	fix=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json
	expect_usage report || return
	expect_usage report --format xml "$fix" || return
	grep -q -- '--format' "$T/stderr" || fail "no --format in: $(first_err)" || return
	expect_usage report --bogus "$fix" || return
	expect_usage report "$fix" --plot || return
	for _ in $(seq 17); do many+=("$fix"); done
	expect_usage report "${many[@]}" || return
	grep -q 'at most 16 reports' "$T/stderr" || fail "17 reports: $(first_err)"
}

# report --format json merges reports: every run, tagged with its source.
test_usage_report_json_merge() {
	local fix
	fix=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json
	cb report "$fix" "$fix" --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	local n
	n=$(jq '.runs | length' "$fix")
	jq -e --argjson n "$n" '(.sources | length) == 2 and (.runs | length) == 2 * $n and
		([.runs[].source] | unique) == [0, 1]' "$T/stdout" >/dev/null ||
		fail "merged report: $(jq -c '{sources: (.sources | length), runs: (.runs | length)}' "$T/stdout")"
}

# A report larger than the tables and the chart can show: the runs left out are counted
# and said, never dropped without a word (the table shows 64 groups, the chart 16 panels).
test_usage_report_says_what_it_leaves_out() {
	local fix n
	fix=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json
	jq -c '.runs as $r | .runs = [range(70) as $i | $r[] | .params.size = (.params.size + $i)]' \
		"$fix" >"$T/many.json" || fail "jq could not build the report" || return
	n=$(jq '.runs | length' "$T/many.json")
	cb report "$T/many.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	local groups per hidden
	groups=$(jq '[.runs[] | "\(.workload) \(.params | tojson)"] | unique | length' "$T/many.json")
	per=$((n / groups))     # every group of the fixture has the same runs
	hidden=$(((groups - 64) * per))
	grep -q "warning: $hidden runs are not in the tables" "$T/stderr" ||
		fail "expected $hidden runs named as left out: $(first_err)" || return
	command -v gnuplot >/dev/null 2>&1 || return 0
	cb report "$T/many.json" --plot "$OUTDIR/many.png"
	[ "$RC" -eq 0 ] || fail "--plot: exit $RC: $(first_err)" || return
	grep -q 'warning: --plot: [0-9]* runs are not drawn' "$T/stderr" ||
		fail "--plot: nothing said of the runs left out: $(tail -n 1 "$T/stderr")"
}
