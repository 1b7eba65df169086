# shellcheck shell=bash
# Process management: concbench as PID 1, start-up, binding failures, hangs without
# --timeout, the baseline's deadline, run failures and temporary directories.
# Sourced by run.sh: uses its helpers (cb, fail, no_processes, tmpdir_empty, bg_wait...).

# skip_inside REASON: this test cannot run here; say so and pass.
skip_inside() {
	echo "# skip: $1"
	# shellcheck disable=SC2034  # read by run.sh's runner
	WHY=
	return 0
}

pid_ns_ok() {
	command -v unshare >/dev/null 2>&1 &&
		timeout 10 unshare --pid --fork --mount-proc true >/dev/null 2>&1
}

# As PID 1 (a container's init) every fork and shm run failed: each worker took
# getppid() == 1 for "my parent died" and exited.
test_pid1_fork_shm_run() {
	pid_ns_ok || { skip_inside "unshare --pid is not permitted here"; return; }
	RC=0
	env TMPDIR="$PRIV_TMP" timeout -k 5 60 unshare --pid --fork --mount-proc "$BIN" cpu \
		--executor fork,shm --workers 2 --size 2M --repetitions 3 --warmup 0 \
		--output "$OUTF" >"$T/stdout" 2>"$T/stderr" || RC=$?
	[ "$RC" -eq 0 ] || fail "exit $RC as PID 1, expected 0 (stderr: $(first_err))" || return
	jq -e '[.runs[] | select(.executor == "fork" or .executor == "shm") | .verified]
	       == [true, true]' "$OUTF" >/dev/null ||
		fail "no verified fork and shm runs: $(jq -c '[.runs[] | [.executor, .verified]]' "$OUTF")" ||
		return
	tmpdir_empty
}

# PID 1 has no default action for SIGINT and SIGTERM: concbench's own handlers must still
# stop the run (with its fork workers), from outside the namespace as from a terminal.
pid1_signal() {
	local sig=$1 child='' _
	pid_ns_ok || { skip_inside "unshare --pid is not permitted here"; return; }
	# seq's cell takes about 4 s, fork's 2 s or more: signal once fork's workers run.
	env TMPDIR="$PRIV_TMP" unshare --pid --fork --mount-proc "$BIN" io --duration 5ms \
		--tasks 8 --repetitions 100 --executor fork --workers 2 --output "$OUTF" \
		>"$T/stdout" 2>"$T/stderr" &
	BG_PID=$!
	for _ in $(seq 300); do
		child=$(pgrep -P "$BG_PID" | head -n 1)
		[ -n "$child" ] && [ -n "$(pgrep -P "$child")" ] && break
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$child" ] && [ -n "$(pgrep -P "$child")" ] ||
		{ kill -KILL "$BG_PID" 2>/dev/null; bg_wait 1; fail "no worker processes under PID 1 (exit $RC, stderr: $(first_err))"; return; }
	sleep 0.3
	kill -0 "$child" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -"$sig" "$child"
	bg_wait 20 || return
	expect_interrupted "SIG$sig"
}
test_pid1_sigterm() { pid1_signal TERM; }
test_pid1_sigint() { pid1_signal INT; }

# startup_s must cover every worker: each used to count twice in one counter, so the start
# could be declared over while worker 7 had not begun. Worker 7 now starts 0.5 s late.
test_startup_covers_every_worker() {
	local ex
	for ex in thread fork shm; do
		FAULT=$ex:slowstart:7 cb cpu --executor "$ex" --workers 8 --size 2M \
			--repetitions 1 --warmup 0 --quiet --output "$OUTF"
		[ "$RC" -eq 0 ] || fail "$ex: exit $RC (stderr: $(first_err))" || return
		jq -e --arg ex "$ex" '.runs[] | select(.executor == $ex) | .startup_s >= 0.5' \
			"$OUTF" >/dev/null ||
			fail "$ex: startup_s $(jq -c --arg ex "$ex" '[.runs[] | select(.executor == $ex) | .startup_s]' "$OUTF") ends before worker 7 started (0.5 s late)" ||
			return
		rm -f "$OUTF"
	done
	tmpdir_empty
}

# A worker that could not be bound is named with its PU, in a warning and in the report's
# binding_error; it used to be counted as bound without a word.
test_binding_failure_reported() {
	local ex
	for ex in thread fork shm; do
		FAULT=$ex:bindfail:0 cb cpu --executor "$ex" --workers 1 --bind compact --size 2M \
			--repetitions 1 --warmup 0 --quiet --output "$OUTF"
		[ "$RC" -eq 0 ] || fail "$ex: exit $RC (stderr: $(first_err))" || return
		jq -e --arg ex "$ex" '[.runs[] | select(.executor == $ex) | .binding_error
		       | strings | test("^worker 0 could not be bound to PU [0-9]+: ")] == [true]' \
			"$OUTF" >/dev/null ||
			fail "$ex: binding_error $(jq -c '[.runs[] | .binding_error]' "$OUTF")" || return
		jq -e '[.runs[] | select(.executor == "seq") | .binding_error] == [null]' "$OUTF" \
			>/dev/null || fail "$ex: the baseline has a binding_error" || return
		jq -e --arg ex "$ex" '[.warnings[].text | select(test("on " + $ex + " .*worker 0 could not be bound to PU [0-9]+"))]
		       | length == 1' "$OUTF" >/dev/null ||
			fail "$ex: no warning naming worker 0 and its PU" || return
		rm -f "$OUTF"
	done
}

# A hung worker without --timeout, in any order of the cells: it used to run for ever
# when its cell came before seq's (e.g. thread with --seed 2). Judged against its peers,
# or against the baseline timed before the first round when no peer ran a task.
expect_hang_no_timeout() {
	local ex=$1 seed=$2
	shift 2
	FAULT=$ex:hang:${HANG_TASK:-1} cb cpu --executor "$ex" --workers 2 --repetitions 3 \
		--seed "$seed" --quiet --output "$OUTF" "$@"
	[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "$ex, seed $seed: still running after 60 s" ||
		return
	[ "$RC" -eq 3 ] || fail "$ex, seed $seed: exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q 'worker [0-9].* hung' "$T/stderr" ||
		fail "$ex, seed $seed: stderr does not name the hung worker: $(first_err)" || return
	no_output_file || return
	no_processes "$OUTF" || return
	tmpdir_empty
}
test_hang_without_timeout_any_order() {
	local ex seed
	for ex in thread fork shm; do
		for seed in 1 2 3; do
			expect_hang_no_timeout "$ex" "$seed" --size 10M || return
		done
	done
}
test_hang_without_timeout_no_busy_peer() {
	# One task for two workers: the peer has nothing to compare with.
	local ex
	for ex in thread fork shm; do
		HANG_TASK=0 expect_hang_no_timeout "$ex" 2 --size 1M --tasks 1 || return
	done
}

# --timeout stops a baseline inside a long task: seq used to run its tasks in the
# coordinator's thread, which only looked at the clock between tasks.
test_seq_timeout_inside_task() {
	local t0 t1
	t0=$(date +%s)
	cb io --duration 30s --tasks 1 --workers 1 --executor seq --timeout 200ms \
		--repetitions 1 --warmup 0 --quiet --output "$OUTF"
	t1=$(date +%s)
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q 'did not finish' "$T/stderr" || fail "stderr: $(first_err)" || return
	[ $((t1 - t0)) -lt 25 ] || fail "took $((t1 - t0)) s: waited for the 30 s task" || return
	no_output_file || return
	tmpdir_empty
}

# A workload that cannot be initialised once the run has begun is a run failure (exit 3),
# not bad input (it was exit 2); what earlier cells made is gone.
test_init_failure_mid_run_exits_3() {
	FAULT=fork:initfail:0 cb io --io file --size 64K --tasks 4 --executor thread,fork \
		--workers 2 --repetitions 1 --warmup 0 --output "$OUTF"
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q 'cannot initialise' "$T/stderr" || fail "stderr: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "a report on stdout" || return
	no_output_file || return
	tmpdir_empty
}

# A file workload on a full file system: the task's error is ENOSPC. A short write used to
# report whatever errno held ("Input/output error"): 200k is not a multiple of the 64K
# chunks, so one write comes back short before the next one fails.
test_io_file_full_disk_says_enospc() {
	local d=$T/small
	mkdir -p "$d"
	command -v unshare >/dev/null 2>&1 &&
		timeout 10 unshare --mount sh -c "mount -t tmpfs -o size=200k tmpfs '$d'" 2>/dev/null ||
		{ skip_inside "cannot mount a small tmpfs in a mount namespace"; return; }
	RC=0
	# shellcheck disable=SC2016  # expanded by the inner shell
	timeout -k 5 60 unshare --mount sh -c 'mount -t tmpfs -o size=200k tmpfs "$1" &&
		shift && exec env TMPDIR="$0" "$@"' "$d" "$d" "$BIN" io --io file --size 1M \
		--tasks 2 --workers 1 --executor thread --repetitions 1 --warmup 0 --quiet \
		--output "$OUTF" >"$T/stdout" 2>"$T/stderr" || RC=$?
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q 'No space left on device' "$T/stderr" ||
		fail "stderr does not say 'No space left on device': $(first_err)" || return
	no_output_file
}

# A run killed with SIGKILL leaves its io directory; the next io run removes it: only
# ours (name, owner, not a symlink), only of a dead pid, and not one in use a moment ago.
test_io_stale_dirs_of_dead_runs() {
	local dead keep want
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	kill -0 "$dead" 2>/dev/null && { skip_inside "pid $dead was reused at once"; return; }
	mkdir "$PRIV_TMP/concbench-io-$dead-aaaaaa" "$PRIV_TMP/concbench-io-$$-bbbbbb" \
		"$PRIV_TMP/concbench-io-$dead-cccccc" "$PRIV_TMP/concbench-io-$dead-dddddd" \
		"$PRIV_TMP/concbench-io-x$dead-eeeeee" "$T/victim"
	: >"$PRIV_TMP/concbench-io-$dead-aaaaaa/task-3"
	: >"$T/victim/task-1"
	ln -s "$T/victim" "$PRIV_TMP/concbench-io-$dead-ffffff"
	chown 65534 "$PRIV_TMP/concbench-io-$dead-cccccc"
	touch -d '2 hours ago' "$PRIV_TMP"/concbench-io-*-[abcef]*
	touch -h -d '2 hours ago' "$PRIV_TMP/concbench-io-$dead-ffffff"
	cb io --io file --size 64K --tasks 2 --workers 1 --executor thread --repetitions 1 \
		--warmup 0 --quiet --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	[ ! -e "$PRIV_TMP/concbench-io-$dead-aaaaaa" ] ||
		fail "the dead run's directory is still there" || return
	keep=$(cd "$PRIV_TMP" && printf '%s\n' concbench-io-* | sort | tr '\n' ' ')
	want=$(printf '%s\n' "concbench-io-$$-bbbbbb" "concbench-io-$dead-cccccc" \
		"concbench-io-$dead-dddddd" "concbench-io-$dead-ffffff" "concbench-io-x$dead-eeeeee" |
		sort | tr '\n' ' ')
	[ "$keep" = "$want" ] ||
		fail "left: $keep (expected the live pid's, another owner's, the recent one, the symlink and the odd name)" ||
		return
	[ -f "$T/victim/task-1" ] || fail "followed the symlink" || return
	rm -rf "$PRIV_TMP"/concbench-io-*
}

# The baseline's thread is not the one the signal may wake: a stop signal must still end a
# long task at once, not after the task or the grace.
test_sigint_seq_inside_task() {
	bg_start "" io --duration 30s --tasks 1 --workers 1 --executor seq --repetitions 1 \
		--warmup 0 --quiet --output "$OUTF"
	sleep 1
	kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -INT "$BG_PID"
	bg_wait 15 || return
	expect_interrupted SIGINT || return
	! grep -q 'could not be stopped' "$T/stderr" || fail "the baseline's thread was left running"
}

# A thread that cannot be stopped, busy in its task and reading the workload's instance:
# the run ends (exit 3) without freeing what the thread reads. The instance used to be freed
# first (AddressSanitizer: heap-use-after-free, with the ASan build of make test).
test_thread_stuck_in_task_keeps_instance() {
	local wl
	for wl in "cpu --size 2M" "mem --pattern triad --size 1M" "io --io file --size 64K --tasks 4"; do
		# shellcheck disable=SC2086
		FAULT=thread:slow:1 cb $wl --executor thread --workers 2 --timeout 300ms \
			--repetitions 3 --warmup 0 --quiet --output "$OUTF"
		[ "$RC" -eq 3 ] || fail "$wl: exit $RC, expected 3 (stderr: $(first_err))" || return
		grep -q 'worker 0.* hung' "$T/stderr" && grep -q 'could not be stopped' "$T/stderr" ||
			fail "$wl: stderr: $(tr '\n' '|' <"$T/stderr" | cut -c1-200)" || return
		! grep -q 'Sanitizer' "$T/stderr" ||
			fail "$wl: $(grep -m1 'Sanitizer' "$T/stderr")" || return
		no_output_file || return
		tmpdir_empty || return
	done
}
