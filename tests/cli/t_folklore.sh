# shellcheck shell=bash
# folklore: every part run short as a child concbench (--quick: seconds in all), the rows,
# their fields and verdicts, the markdown table, bad input, a failing part and Ctrl-C.
# Sourced by tests/cli/run.sh. Correctness only: the verdicts' values are not checked.

# The JSON document: on stdout and in --output, every row with its fields.
test_folklore_json() {
	expect_ok folklore --quick --quiet --format json --output "$OUTF" || return
	jq -e '
	  .schema == "concbench-folklore/1" and (.concbench | type) == "string"
	  and (.host.pus | type) == "number" and .quick == true
	  and (.parts | length) == 10
	  and (.parts | all(.argv[0] == "concbench" and (.argv | index("--output")) != null))
	  and ([.rows[].aspect] == ["creation", "memory", "communication", "fault isolation",
	        "contention", "GIL", "cpu-bound speedup", "io-bound speedup",
	        "memory-bound speedup"])
	  and (.rows | all(
	    (.claim.threads | type) == "string" and (.claim.processes | type) == "string"
	    and (.verdict == "holds" or .verdict == "does not hold" or .verdict == "depends")
	    and ((.verdict == "depends") == ((.condition | type) == "string"))
	    and (.why | length) > 0 and (.rule | length) > 0
	    and (.measured | length) >= 2
	    and (.measured | to_entries | all(
	      (.value.value | type) == "number" and (.value.unit | type) == "string"
	      and (.value.ci95 == null or ((.value.ci95 | length) == 2
	           and .value.ci95[0] <= .value.ci95[1]))))))' "$T/report.json" >/dev/null ||
		fail "document: $(jq -c '{parts: (.parts | length), rows: [.rows[] | {aspect, verdict}]}' \
			"$T/report.json" | cut -c1-300)" || return
	# The crash row is a real SIGSEGV: the thread pool keeps nothing, fork all but some.
	jq -e '.rows[3].measured | .thread_results_kept.value == 0
	  and .fork_results_kept.value > 0 and .fork_results_kept.value < .results.value' \
		"$T/report.json" >/dev/null ||
		fail "crash row: $(jq -c '.rows[3].measured' "$T/report.json")" || return
	no_processes "$PRIV_TMP/concbench-folklore"
}

# Markdown: the table's header, one line per row; progress lines on stderr, one per part.
test_folklore_markdown() {
	cb folklore --quick --format markdown
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	head -n 1 "$T/stdout" | grep -qxF '| aspect | folklore: threads | folklore: processes | measured here (95% intervals) | verdict | why |' ||
		fail "header: $(head -n 1 "$T/stdout")" || return
	[ "$(grep -c '^| ' "$T/stdout")" -eq 11 ] ||
		fail "$(grep -c '^| ' "$T/stdout") table lines, expected 11" || return
	grep -q '^| fault isolation | .* | \*\*holds\*\* |' "$T/stdout" ||
		fail "no fault isolation row that holds: $(grep 'fault' "$T/stdout" | cut -c1-200)" || return
	[ "$(grep -c '^folklore: \[[0-9]*/10\] .* done in ' "$T/stderr")" -eq 10 ] ||
		fail "progress: $(tr '\n' '|' <"$T/stderr" | cut -c1-200)" || return
	tmpdir_empty
}

test_folklore_bad_input() {
	local args
	for args in "--format csv" "--format" "--quick=1" "--nosuch" "extra" "--workers 2" \
		"--output /nonexistent/dir/x.json"; do
		# shellcheck disable=SC2086
		expect_usage folklore $args || { fail "$args: $WHY"; return; }
	done
}

# A part that dies: exit 3 naming it, no output, nothing left behind.
test_folklore_part_fails() {
	local part
	for part in ipc crash; do
		RC=0
		env TMPDIR="$PRIV_TMP" CONCBENCH_FOLKLORE_TEST_FAIL="$part" timeout -k 5 120 \
			"$BIN" folklore --quick --output "$OUTF" >"$T/stdout" 2>"$T/stderr" || RC=$?
		[ "$RC" -eq 3 ] || fail "$part: exit $RC, expected 3 (stderr: $(first_err))" || return
		grep -q "^concbench: folklore: part $part killed by signal 9" "$T/stderr" ||
			fail "$part: stderr: $(tr '\n' '|' <"$T/stderr" | cut -c1-200)" || return
		[ ! -s "$T/stdout" ] || fail "$part: stdout not empty" || return
		no_output_file || return
		no_processes "$PRIV_TMP/concbench-folklore" || return
		tmpdir_empty || return
	done
}

# A document without the fields a row reads: exit 3 naming the part and the field.
test_folklore_part_bad_document() {
	RC=0
	env TMPDIR="$PRIV_TMP" CONCBENCH_FOLKLORE_TEST_FAIL="contend:json" timeout -k 5 120 \
		"$BIN" folklore --quick --quiet --format json >"$T/stdout" 2>"$T/stderr" || RC=$?
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	[ "$(cat "$T/stderr")" = "concbench: folklore: part contend: its JSON document has no array of objects 'results'" ] ||
		fail "stderr: $(tr '\n' '|' <"$T/stderr" | cut -c1-200)" || return
	[ ! -s "$T/stdout" ] || fail "stdout not empty" || return
	tmpdir_empty
}

# Ctrl-C while a part runs: the part is stopped and reaped, exit 3, nothing left behind.
test_folklore_sigint() {
	local _
	bg_start "" folklore --quick --output "$OUTF"
	for _ in $(seq 100); do
		pgrep -f -- "$PRIV_TMP/concbench-folklore" >/dev/null && break
		sleep 0.05
	done
	kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -INT "$BG_PID"
	bg_wait 30 || return
	expect_interrupted SIGINT || return
	no_processes "$PRIV_TMP/concbench-folklore"
}
