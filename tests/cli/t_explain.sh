# shellcheck shell=bash
# explain: why one executor beat another, in sentences backed by the report's numbers; the
# why block after a run's table; bad input. Sourced by tests/cli/run.sh. The sentences of
# crafted reports are checked in tests/unit/test_explain.c; here, real runs and the command.

# A real mem touch report of thread against fork: one sentence naming both executors and a
# number; as JSON, one finding whose runs are those two at 2 workers.
test_explain_touch_names_both_executors() {
	expect_ok mem --pattern touch --size 16M --workers 2 --executor thread,fork \
		--repetitions 3 --warmup 0 --format json --output "$OUTF" || return
	cb explain "$T/report.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ ! -s "$T/stderr" ] || fail "stderr: $(first_err)" || return
	[ "$(grep -c '' "$T/stdout")" -eq 1 ] || fail "not one sentence: $(tr '\n' '|' <"$T/stdout")" ||
		return
	grep -q '^mem touch, 2 workers: ' "$T/stdout" || fail "no group: $(head -c 120 "$T/stdout")" ||
		return
	grep -q 'thread' "$T/stdout" && grep -q 'fork' "$T/stdout" ||
		fail "does not name both executors: $(head -c 200 "$T/stdout")" || return
	grep -Eq '[0-9]+(\.[0-9]+)?(x|%)' "$T/stdout" ||
		fail "no number: $(head -c 200 "$T/stdout")" || return
	cb explain "$T/report.json" --format json
	[ "$RC" -eq 0 ] || fail "json: exit $RC: $(first_err)" || return
	jq -e --slurpfile r "$T/report.json" '
	  (.findings | length) == 1 and (.findings[0] as $f
	  | ([$f.executor_a, $f.executor_b] | sort) == ["fork", "thread"]
	  and $r[0].runs[$f.run_a].executor == $f.executor_a
	  and $r[0].runs[$f.run_b].executor == $f.executor_b
	  and $r[0].runs[$f.run_a].median_s <= $r[0].runs[$f.run_b].median_s
	  and $f.workers_a == 2 and $f.workers_b == 2 and $f.ratio >= 1
	  and ($f.text | length) > 0)' "$T/stdout" >/dev/null ||
		fail "json findings: $(head -c 300 "$T/stdout" | tr '\n' ' ')"
}

# --run N: that run against the seq baseline and the other executor with its workers.
test_explain_one_run() {
	expect_ok mem --pattern touch --size 16M --workers 2 --executor thread,fork \
		--repetitions 3 --warmup 0 --format json --output "$OUTF" || return
	local i
	i=$(jq '[.runs[].executor] | index("fork")' "$T/report.json")
	cb explain "$T/report.json" --run "$i" --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e --argjson i "$i" '(.findings | length) == 2
	  and all(.findings[]; .run_a == $i or .run_b == $i)
	  and ([.findings[] | .executor_a, .executor_b] | sort) == ["fork", "fork", "seq", "thread"]' \
		"$T/stdout" >/dev/null || fail "findings: $(jq -c '.findings | map([.executor_a, .executor_b])' "$T/stdout")"
}

# The table of a run ends with a why block, one sentence per workload; --quiet and the other
# formats print none.
test_explain_why_after_the_table() {
	cb mem --pattern touch --size 16M --workers 2 --executor thread,fork --repetitions 3 \
		--warmup 0 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -A1 '^  why:$' "$T/stdout" | grep -q '^    mem touch, 2 workers: ' ||
		fail "no why block: $(tr '\n' '|' <"$T/stdout" | cut -c1-300)" || return
	cb report "$OUTF"
	grep -q 'why:' "$T/stdout" && { fail "report prints a why block"; return; }
	cb mem --pattern touch --size 16M --workers 2 --executor thread,fork --repetitions 3 \
		--warmup 0 --output "$OUTF" --format csv
	[ "$RC" -eq 0 ] || fail "csv: exit $RC: $(first_err)" || return
	[ "$(grep -c '' "$T/stdout")" -eq 4 ] || fail "csv: not a header and 3 rows" || return
	cb mem --pattern touch --size 16M --workers 2 --executor thread,fork --repetitions 3 \
		--warmup 0 --output "$OUTF" --quiet
	[ "$RC" -eq 0 ] || fail "quiet: exit $RC: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "quiet: stdout not empty: $(head -c 80 "$T/stdout")"
}

# Bad input: exit 2, one line, nothing on stdout.
test_explain_bad_input() {
	local fix
	fix=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json
	expect_usage explain || return
	expect_usage explain "$T/missing.json" || return
	grep -q "missing.json" "$T/stderr" || fail "missing file not named: $(first_err)" || return
	echo '{"runs": []}' >"$T/not-a-report.json"
	expect_usage explain "$T/not-a-report.json" || return
	echo 'hello' >"$T/text.json"
	expect_usage explain "$T/text.json" || return
	expect_usage explain "$fix" --run 21 || return
	grep -q -- "--run: expected a run index from 0 to 20 of '.*report-2vcpu.json', got '21'" \
		"$T/stderr" || fail "--run out of range: $(first_err)" || return
	expect_usage explain "$fix" --run -1 || return
	expect_usage explain "$fix" --run x || return
	expect_usage explain "$fix" --format xml || return
	expect_usage explain "$fix" "$fix" || return
	expect_usage explain "$fix" --bogus
}

# The 2-vCPU fixture (an old report: no counters, no imbalance fields) explains each of its
# three workloads.
test_explain_old_report() {
	local fix
	fix=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json
	cb explain "$fix"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(grep -c '' "$T/stdout")" -eq 3 ] || fail "not 3 sentences: $(tr '\n' '|' <"$T/stdout")" ||
		return
	grep -q '^cpu sumsq, 2 workers: ' "$T/stdout" && grep -q '^io sleep, 2 workers: ' "$T/stdout" &&
		grep -q '^mem triad, 2 workers: ' "$T/stdout" ||
		fail "groups: $(cut -d: -f1 "$T/stdout" | tr '\n' '|')"
}

# With several tables (the suite), each table is followed by the why block of its own
# workload, before the next table's heading.
test_explain_why_after_each_table() {
	local order
	cb suite --workers 2 --executor thread,fork --repetitions 3 --warmup 0 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	# one letter per line of interest: T a table's heading (its workload), W a why sentence
	order=$(awk '/^(cpu|io|mem) / { printf "T%s ", $1 }
		     /^    (cpu|io|mem) / { printf "W%s ", $1 }' "$T/stdout")
	[ "$order" = "Tcpu Wcpu Tio Wio Tmem Wmem " ] ||
		fail "tables and why sentences out of order: $order"
}
