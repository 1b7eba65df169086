# shellcheck shell=bash
# crash: --inject crash:WORKER:TASK (a real SIGSEGV in one worker), --on-crash abort|restart,
# the report's runs[].crashes[] and the crash command. Sourced by tests/cli/run.sh. Every
# name holds "crash": the TSan suite runs them (the thread pool crashes in a child there).

# The default, abort: the run fails naming the worker and its signal; nothing left behind.
expect_inject_abort() {
	cb cpu --size 2M --executor "$1" --workers 2 --inject crash:1:0 --repetitions 3 \
		--warmup 0 --output "$OUTF"
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q "$1 with 2 workers: worker 1 (pid [0-9]*) killed by signal 11" "$T/stderr" ||
		fail "stderr does not name worker 1 and signal 11: $(first_err)" || return
	no_output_file || return
	no_processes "$OUTF" || return
	tmpdir_empty
}
test_crash_inject_abort_fork() { expect_inject_abort fork; }
test_crash_inject_abort_shm() { expect_inject_abort shm; }

# restart: the run completes and is verified; each visit of each process pool (2 rounds)
# replaced worker 1, which died before task 2 of its block [8, 16): task 10, 6 tasks left.
test_crash_restart_fork_shm() {
	expect_ok cpu --size 2M --tasks 16 --executor fork,shm --workers 2 --inject crash:1:2 \
		--on-crash restart --repetitions 4 --warmup 1 --format json --output "$OUTF" ||
		return
	jq -e '
	  ([.runs[] | select(.executor == "seq") | has("crashes")] == [false])
	  and ([.runs[] | select(.executor != "seq")] | length == 2 and all(
	    .verified == true and .repetitions == 4 and (.crashes | length) == 2 and
	    (.crashes | all(.worker == 1 and .task == 10 and .lost_tasks == 6 and .signal == 11
	      and .detect_s >= 0 and .recover_s >= .detect_s))))' "$T/report.json" >/dev/null ||
		fail "runs: $(jq -c '[.runs[] | {executor, verified, crashes}]' "$T/report.json")" ||
		return
	cb report "$T/report.json"
	[ "$RC" -eq 0 ] || fail "report of it: exit $RC: $(first_err)" || return
	no_processes "$OUTF"
}

# A replaced io file worker: its task runs again and every temporary file still goes.
test_crash_restart_io_file() {
	expect_ok io --io file --size 64K --tasks 8 --executor fork --workers 2 \
		--inject crash:0:3 --on-crash restart --repetitions 2 --rounds 1 --format json \
		--output "$OUTF" || return
	jq -e '[.runs[] | select(.executor == "fork") | .verified, (.crashes | length)]
	  == [true, 1]' "$T/report.json" >/dev/null ||
		fail "fork run: $(jq -c '.runs[1] | {verified, crashes}' "$T/report.json")" || return
	no_processes "$OUTF"
}

test_crash_inject_bad_input() {
	local args
	for args in "--inject crash:1" "--inject boom:0:0" "--inject crash:-1:0" \
		"--inject crash:0:1x" "--inject crash:2:0 --workers 2" \
		"--inject crash:1:0 --workers 1,2" "--inject crash:0:4 --workers 2 --tasks 8" \
		"--on-crash maybe" "--on-crash restart --schedule dynamic" \
		"--inject crash:0:0 --on-crash restart --executor thread,fork"; do
		# shellcheck disable=SC2086
		expect_usage cpu --size 2M --executor fork $args --output "$OUTF" ||
			{ fail "$args: $WHY"; return; }
		grep -q -e '--inject\|--on-crash' "$T/stderr" ||
			fail "$args: does not name the option: $(first_err)" || return
	done
}

# The loader refuses a crash record that is not one, and names the field.
test_crash_record_loader() {
	expect_ok cpu --size 2M --executor shm --workers 2 --inject crash:0:0 --on-crash restart \
		--repetitions 2 --rounds 1 --format json --output "$OUTF" || return
	jq '.runs[1].crashes[0].signal = 0' "$T/report.json" >"$T/bad.json"
	cb report "$T/bad.json"
	[ "$RC" -eq 2 ] || fail "exit $RC for signal 0, expected 2" || return
	grep -q 'crashes\[0\]\.signal' "$T/stderr" || fail "message: $(first_err)" || return
	jq '.runs[1].crashes[0].detect_s = -1' "$T/report.json" >"$T/bad.json"
	cb report "$T/bad.json"
	[ "$RC" -eq 2 ] || fail "exit $RC for detect_s -1, expected 2" || return
	jq '.runs[1].crashes[0].recover_s = null' "$T/report.json" >"$T/bad.json"
	cb report "$T/bad.json"
	[ "$RC" -eq 0 ] || fail "exit $RC for an unknown recover_s, expected 0: $(first_err)"
}

# The command: the thread pool's process dies and takes every result; fork and shm lose the
# one task in flight, replace the worker and still match seq.
test_crash_command_json() {
	expect_ok crash --tries 2 --format json --output "$OUTF" || return
	jq -e '
	  .schema == "concbench-crash/1" and .tasks == 8 and .workers == 2 and
	  ([.executors[].executor] == ["thread", "fork", "shm"]) and
	  (.executors[0] | .process_survived == false and .tasks_survived == 0 and
	    (.process_death | test("signal 11")) and .detect.samples == 2 and .recover == null
	    and .verified == null) and
	  ([.executors[1, 2] | .process_survived == true and .tasks_survived == 7 and
	    .tasks_total == 8 and .verified == true and .detect.samples == 2 and
	    .recover.samples == 2 and .recover.median_s >= 0] | all)' "$T/report.json" \
		>/dev/null || fail "document: $(jq -c '.executors' "$T/report.json")" || return
	no_processes "$OUTF"
}

test_crash_command_table() {
	cb crash --executor fork,thread --tries 1 --workers 3
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -Eq '^thread +0/12 +died' "$T/stdout" || fail "thread row: $(cat "$T/stdout")" || return
	grep -Eq '^fork +11/12 +lived' "$T/stdout" || fail "fork row: $(cat "$T/stdout")" || return
	! grep -q '^shm' "$T/stdout" || fail "shm ran though not asked for"
}

test_crash_command_bad_input() {
	expect_usage crash --executor seq --output "$OUTF" || return
	expect_usage crash --workers 1 --output "$OUTF" || return
	expect_usage crash --tries 0 --output "$OUTF" || return
	expect_usage crash --format csv --output "$OUTF" || return
	expect_usage crash extra --output "$OUTF"
}

test_crash_command_sigint() {
	bg_start "" crash --tries 1000 --output "$OUTF"
	sleep 1
	kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -INT "$BG_PID"
	bg_wait 15 || return
	expect_interrupted SIGINT
}
