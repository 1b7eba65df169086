# shellcheck shell=bash
# Progress while a run runs, the dry run's estimate, and harness time in the report.
# Sourced by tests/cli/run.sh. No assert depends on a timing value.

PROGRESS_RUN=(cpu --executor thread --workers "1,2" -r 2 --rounds 2 --warmup 0 --size 100000
	--tasks 4 --format json)

# Not a terminal: one line per finished visit, [k/N] with k counting 1..N, N the visits
# (3 runs x 2 rounds), each naming its run.
test_progress_one_line_per_visit() {
	expect_ok "${PROGRESS_RUN[@]}" --output "$OUTF" || return
	local lines want k
	lines=$(grep '^concbench: \[' "$T/stderr")
	[ "$(grep -c '' <<<"$lines")" -eq 6 ] ||
		fail "expected 6 progress lines: $(tr '\n' '|' <"$T/stderr" | cut -c1-300)" || return
	want=$(seq 1 6 | tr '\n' ' ')
	k=$(sed 's/^concbench: \[\([0-9]*\)\/6\] .*/\1/' <<<"$lines" | tr '\n' ' ')
	[ "$k" = "$want" ] || fail "k/N sequence '$k', expected '$want'" || return
	grep -Eq '^concbench: \[[0-9]+/6\] cpu on (seq|thread) with [12] workers?: [0-9]+ samples?, median [0-9.]+ [mun]?s \(elapsed [^,]+, ETA [^)]+\)$' \
		<<<"$lines" || fail "line not in the documented shape: $(head -n 1 <<<"$lines")"
}

# --quiet: no progress at all (the warnings stay, they are not progress).
test_progress_quiet_prints_none() {
	expect_ok "${PROGRESS_RUN[@]}" --quiet --output "$OUTF" || return
	! grep -q '^concbench: \[' "$T/stderr" ||
		fail "progress with --quiet: $(grep -m1 '^concbench: \[' "$T/stderr")"
}

# --dry-run estimates the time, says --duration is per task, writes nothing, runs no task
# of a long sleep.
test_progress_dry_run_estimates() {
	cb cpu --workers 1,2 --executor thread --dry-run --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q '^estimated time: about .* (calibrated' "$T/stdout" ||
		fail "no estimate: $(tail -n 1 "$T/stdout")" || return
	no_output_file || return
	tmpdir_empty || return
	cb io --duration 5 --tasks 48 --dry-run --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "io: exit $RC: $(first_err)" || return
	grep -q '^  --duration 5.0 s per task, 48 tasks: 4 min a repetition on one worker$' \
		"$T/stdout" || fail "per-task meaning not said: $(tr '\n' '|' <"$T/stdout")" || return
	grep -q '^estimated time: about [0-9.]* h (from the per-task durations)$' "$T/stdout" ||
		fail "io estimate: $(tail -n 1 "$T/stdout")" || return
	no_output_file || return
	tmpdir_empty
}

# Every run has harness_s, the report has wall_s, and the kept samples plus the harness fit
# in the wall time (the visits are disjoint parts of it). The table says so in one line;
# a report without wall_s (the golden fixtures) has no such line.
test_progress_harness_in_report() {
	expect_ok "${PROGRESS_RUN[@]}" --output "$OUTF" || return
	jq -e '(.wall_s | type == "number" and . > 0) and
	       all(.runs[]; .harness_s | type == "number" and . >= 0) and
	       ([.runs[].samples_s[]] | add) + ([.runs[].harness_s] | add) <= .wall_s' \
		"$OUTF" >/dev/null || fail "harness_s/wall_s: $(jq -c '{wall_s, h: [.runs[].harness_s]}' "$OUTF")" ||
		return
	cb report "$OUTF"
	[ "$RC" -eq 0 ] || fail "report: exit $RC: $(first_err)" || return
	grep -Eq '^  wall [0-9.]+ s: [0-9.]+ s in kept samples, harness [0-9]+%$' "$T/stdout" ||
		fail "no wall line: $(tail -n 2 "$T/stdout" | tr '\n' '|')" || return
	jq 'del(.wall_s)' "$OUTF" >"$T/old.json" || fail "jq" || return
	cb report "$T/old.json"
	[ "$RC" -eq 0 ] || fail "report without wall_s: exit $RC: $(first_err)" || return
	! grep -q '^  wall ' "$T/stdout" || fail "wall line without wall_s"
}

# The loader takes harness_s and wall_s as finite numbers >= 0 and refuses anything else.
test_progress_loader_rules() {
	expect_ok "${PROGRESS_RUN[@]}" --output "$OUTF" || return
	jq '.wall_s = -1' "$OUTF" >"$T/bad.json" || fail "jq" || return
	cb report "$T/bad.json"
	[ "$RC" -eq 2 ] && grep -q '"wall_s"' "$T/stderr" || fail "wall_s -1 accepted (exit $RC)" ||
		return
	jq '.runs[0].harness_s = "x"' "$OUTF" >"$T/bad.json" || fail "jq" || return
	cb report "$T/bad.json"
	[ "$RC" -eq 2 ] && grep -q '"harness_s"' "$T/stderr" || fail "harness_s \"x\" accepted (exit $RC)"
}

# On a terminal: the live line (run k/N, repetition, elapsed, ETA), cleared before the table.
test_progress_live_line_on_tty() {
	command -v script >/dev/null 2>&1 || return 0     # util-linux; without it, nothing to check
	local rc=0
	env TMPDIR="$PRIV_TMP" timeout -k 5 60 script -qec "$(printf '%q ' "$BIN" \
		"${PROGRESS_RUN[@]}" --format table)" /dev/null >"$T/tty" 2>&1 </dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "exit $rc: $(tr -d '\r' <"$T/tty" | head -c 200)" || return
	grep -Eq $'\r\033\\[K\\[[1-6]/6\\] cpu on (seq|thread) with [12] workers?: repetition 1/1, elapsed [^,]+, ETA [0-9]' \
		"$T/tty" || fail "no live line: $(head -c 300 "$T/tty" | od -c | head -n 5 | tr '\n' ' ')" ||
		return
	! grep -q '^concbench: \[' "$T/tty" || fail "CI-log lines on a terminal"
	tmpdir_empty
}
