# shellcheck shell=bash
# footprint: memory of the thread, fork and shm pools before and after the workers write the
# coordinator's pages. The relations are the kernel's bookkeeping, not timings: one process
# for threads and 1 + N for processes; a written page inherited by a worker process is a
# private copy (copy-on-write), written by a thread it is the same page. Sourced by run.sh.

FP_SIZE_KIB=16384     # --size 16M

test_footprint_relations() {
	cb footprint --workers 2 --size 16M --format json --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	tmpdir_empty || return
	cmp -s <(jq -S . "$T/stdout") <(jq -S . "$OUTF") || fail "stdout and --output differ" || return
	jq -e --argjson kib "$FP_SIZE_KIB" '
	    .schema == "concbench-footprint/1" and .workers == 2 and .size_bytes == 16777216
	    and ([.executors[].executor] == ["thread", "fork", "shm", "uring"])
	    and all(.executors[]; .available and (.source == "smaps_rollup" or .source == "smaps")
	        and (.started, .written | .rss_kib == .private_kib + .shared_kib
	             and .pss_kib <= .rss_kib and .rss_per_worker_kib == .rss_kib / 2
	             and .pss_per_worker_kib == .pss_kib / 2
	             and .coordinator.rss_kib <= .rss_kib)
	        and .growth.private_kib == .written.private_kib - .started.private_kib)
	    and (.executors[0] | .started.processes == 1 and .written.processes == 1
	         and (.started | .coordinator == {rss_kib, pss_kib, private_kib, shared_kib})
	         and .started.private_kib >= $kib and .growth.private_kib < $kib / 4)
	    and all(.executors[1, 2]; .started.processes == 3 and .written.processes == 3
	         and .written.private_kib >= .started.private_kib
	         and .growth.private_kib >= $kib / 2 and .growth.pss_kib >= $kib / 2
	         and .started.shared_kib >= $kib)' "$OUTF" >/dev/null ||
		fail "relations: $(jq -c '[.executors[] | {executor, started, growth}]' "$OUTF")" ||
		return
	no_processes "$OUTF"
}

test_footprint_table() {
	cb footprint --executor fork,thread --workers 3 --size 4M
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ ! -s "$T/stderr" ] || fail "stderr: $(first_err)" || return
	grep -q '^footprint: 3 workers per pool; the coordinator holds 4.0 MiB' "$T/stdout" &&
		grep -q '^fork: 4 processes$' "$T/stdout" && grep -q '^thread: 1 process$' "$T/stdout" &&
		[ "$(grep -c '^  growth  ' "$T/stdout")" -eq 2 ] &&
		grep -q '^(MiB, over the coordinator and its worker processes, from /proc/PID/smaps' \
			"$T/stdout" && grep -q 'PSS divides a shared page' "$T/stdout" ||
		fail "table: $(tr '\n' '|' <"$T/stdout" | cut -c1-300)" || return
	# the order given is the order shown
	[ "$(grep -n '^fork: ' "$T/stdout" | cut -d: -f1)" -lt "$(grep -n '^thread: ' "$T/stdout" | cut -d: -f1)" ] ||
		fail "fork is not shown first"
}

# No /proc to read (an old or restricted system): each executor says why, exit 0.
test_footprint_unavailable() {
	CONCBENCH_TEST_PROC=$T/noproc cb footprint --size 4M --format json --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e --arg p "$T/noproc" 'all(.executors[]; .available == false
	    and .why == "cannot list the processes in \($p): No such file or directory"
	    and (has("started") | not))' "$OUTF" >/dev/null ||
		fail "json: $(jq -c .executors "$OUTF")" || return
	CONCBENCH_TEST_PROC=$T/noproc cb footprint --size 4M --executor shm
	[ "$RC" -eq 0 ] || fail "text: exit $RC: $(first_err)" || return
	grep -q "^shm: unavailable: cannot list the processes in $T/noproc: " "$T/stdout" ||
		fail "text: $(tr '\n' '|' <"$T/stdout" | cut -c1-300)"
}

test_footprint_bad_input() {
	local args
	for args in "--workers 0" "--workers 257" "--executor seq" "--executor nosuch" \
		"--executor thread,thread" "--executor thread," "--size 0" "--size 1K" \
		"--size 100T" "--size 1T" "--format xml" "extra" "--output $T/nodir/x.json"; do
		# shellcheck disable=SC2086
		expect_usage footprint $args --output "$OUTF" || { fail "$args: $WHY"; return; }
	done
	cb footprint --executor seq
	grep -q "^concbench: --executor: expected a comma list of thread, fork, shm, uring or epoll, each once, got 'seq'$" \
		"$T/stderr" || fail "message: $(first_err)"
}

# A worker process that dies is a failed run: exit 3, named, nothing left behind.
test_footprint_worker_crash() {
	local ex
	for ex in fork shm; do
		FAULT=$ex:crash:0 cb footprint --executor "$ex" --size 4M --output "$OUTF"
		[ "$RC" -eq 3 ] || fail "$ex: exit $RC, expected 3 ($(first_err))" || return
		grep -q "^concbench: footprint: $ex with 2 workers: worker 0 (pid [0-9]*) killed by signal 11" \
			"$T/stderr" || fail "$ex: $(first_err)" || return
		[ ! -s "$T/stdout" ] || fail "$ex: stdout not empty" || return
		no_output_file || return
		no_processes "$OUTF" || return
	done
}

test_footprint_sigint() {
	bg_start fork:hang:0 footprint --executor fork --size 4M --output "$OUTF"
	sleep 1
	kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -INT "$BG_PID"
	bg_wait 15 || return
	expect_interrupted SIGINT
}
