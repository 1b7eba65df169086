# shellcheck shell=bash
# contend: false sharing, one atomic counter and a mutex, per executor. The document's
# shape and its consistency (never which layout is faster: that is the machine's), bad
# input, and a dead worker or Ctrl-C reported with nothing left behind. The verification
# of the counts (a lost update fails the run) is unit-tested in tests/unit/test_contend.c.
# Sourced by run.sh: uses its helpers (cb, fail, expect_usage, expect_ok...).

# Every executor and layout by default, in order, each verified, with a throughput whose
# interval holds it and a slowdown against its own executor's padded layout (1 for that
# one); fork is the unshared control; the mutex kinds are named.
test_contend_json_document() {
	expect_ok contend --increments 2000 -r 6 --warmup 0 --format json -o "$OUTF" || return
	jq -e '.schema == "concbench-contend/1" and .workers == 2 and .binding == "compact"
	    and .increments_per_worker == 2000 and .repetitions == 6 and (.pus | length) == 2
	    and (.pus[0] != .pus[1])
	    and ([.results[] | "\(.executor) \(.layout)"] == ["thread packed", "thread padded",
	        "thread atomic", "thread mutex", "shm packed", "shm padded", "shm atomic",
	        "shm mutex", "fork packed", "fork padded", "fork atomic", "fork mutex"])
	    and all(.results[]; .verified == true and .increments == 4000
	        and (.samples_s | length) == 6 and .median_s > 0
	        and .throughput.unit == "increments/s" and .throughput.value > 0
	        and .throughput.ci95[0] <= .throughput.value
	        and .throughput.value <= .throughput.ci95[1]
	        and .slowdown_vs_padded > 0
	        and .slowdown_ci95[0] <= .slowdown_vs_padded
	        and .slowdown_vs_padded <= .slowdown_ci95[1]
	        and .shared == (.executor != "fork"))
	    and all(.results[] | select(.layout == "padded"); .slowdown_vs_padded == 1)
	    and ([.results[] | select(.layout == "mutex") | .mutex] == ["pthread mutex",
	        "process-shared robust pthread mutex", "pthread mutex, each process its own"])' \
		"$T/report.json" >/dev/null ||
		fail "document: $(jq -c '[.results[] | [.executor, .layout, .verified, .slowdown_vs_padded, .mutex]]' "$T/report.json")"
}

# --executor and --layouts choose the cells; without padded there is no slowdown (null in
# JSON, "-" in the table). The table names the PUs and says what was verified.
test_contend_choices_and_table() {
	expect_ok contend --executor fork,thread --layouts atomic,packed --workers 2 \
		--increments 1000 -r 2 --warmup 0 --format json -o "$OUTF" || return
	jq -e '[.results[] | "\(.executor) \(.layout)"] == ["fork packed", "fork atomic",
	        "thread packed", "thread atomic"]
	    and all(.results[]; .slowdown_vs_padded == null and .ci95_s == null)' \
		"$T/report.json" >/dev/null ||
		fail "cells: $(jq -c '[.results[] | [.executor, .layout, .slowdown_vs_padded]]' "$T/report.json")" ||
		return
	cb contend --executor shm --layouts padded,mutex --increments 1000 -r 2 --warmup 0
	[ "$RC" -eq 0 ] || fail "table: exit $RC: $(first_err)" || return
	grep -q '^contend: 2 workers (--bind compact: PUs [0-9]*,[0-9]*), 1000 increments each' \
		"$T/stdout" && grep -q '^  shm      padded ' "$T/stdout" &&
		grep -q '^           mutex ' "$T/stdout" &&
		grep -q '^  shm mutex: process-shared robust pthread mutex$' "$T/stdout" &&
		grep -q "^  verified: every repetition's counters add up to 2 x 1000 increments$" \
			"$T/stdout" || fail "table: $(cat "$T/stdout")"
}

test_contend_bad_input() {
	expect_usage contend --workers 1 -o "$OUTF" || return
	expect_usage contend --executor seq || return
	grep -q -- '--executor: expected a comma list of thread, fork, shm, uring or epoll, got .seq.' "$T/stderr" ||
		fail "seq: $(first_err)" || return
	expect_usage contend --executor thread,bogus || return
	expect_usage contend --layouts packed,bogus || return
	expect_usage contend --increments 0 || return
	expect_usage contend --repetitions 0 || return
	expect_usage contend --bind bogus || return
	expect_usage contend --workers 1024 -o "$OUTF" || return
	grep -q -- '--workers: 1024 workers but only' "$T/stderr" || fail "workers: $(first_err)" ||
		return
	expect_usage contend --format csv || return
	expect_usage contend --gil
}

# A worker that dies mid-run fails it (exit 3), naming the cell; no output file, no
# process and nothing in TMPDIR is left.
test_contend_worker_crash() {
	FAULT=shm:crash:1 cb contend --executor shm --layouts mutex --increments 1000 -r 2 \
		-o "$OUTF"
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q '^concbench: contend: shm mutex: .*worker 1 (pid [0-9]*) killed by signal 11' \
		"$T/stderr" || fail "stderr: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "stdout not empty" || return
	no_output_file || return
	no_processes "$OUTF" || return
	tmpdir_empty
}

# Ctrl-C: exit 3, workers reaped, nothing written.
test_contend_sigint() {
	bg_start "" contend --executor shm --increments 100000000 -r 1000 --output "$OUTF"
	sleep 1
	kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -INT "$BG_PID"
	bg_wait 15 || return
	expect_interrupted SIGINT
}
