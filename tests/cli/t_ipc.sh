#!/bin/bash
# concbench ipc: bad input, the JSON document, verification of every message, Ctrl-C.
# Small runs: one or two sizes, few batches; the numbers are never judged, only their shape.

IPC_SMALL=(--sizes "8,4K" --repetitions 6 --format json)

test_ipc_bad_mechanism() { expect_usage ipc --output "$OUTF" --mechanisms pipe,carrier-pigeon; }
test_ipc_bad_sizes_small() { expect_usage ipc --output "$OUTF" --sizes 4; }
test_ipc_bad_sizes_big() { expect_usage ipc --output "$OUTF" --sizes 8,128M; }
test_ipc_bad_sizes_empty() { expect_usage ipc --output "$OUTF" --sizes 8,,4K; }
test_ipc_bad_sizes_word() { expect_usage ipc --output "$OUTF" --sizes lots; }
test_ipc_bad_pus_one() { expect_usage ipc --output "$OUTF" --pus 0; }
test_ipc_bad_pus_absent() { expect_usage ipc --output "$OUTF" --pus 0,99999; }
test_ipc_bad_pus_three() { expect_usage ipc --output "$OUTF" --pus 0,1,1; }
test_ipc_bad_repetitions() { expect_usage ipc --output "$OUTF" -r 0; }
test_ipc_bad_format() { expect_usage ipc --output "$OUTF" --format csv; }
test_ipc_bad_argument() { expect_usage ipc --output "$OUTF" extra; }
test_ipc_bad_fault_env() {
	CONCBENCH_TEST_IPC=explode:pipe:1 expect_usage ipc --output "$OUTF"
}

# Every mechanism at two sizes: one result each, a round trip with its interval, GB/s of
# 2 x size over it, 1 for the fastest of each size, every message verified.
test_ipc_json_all() {
	expect_ok ipc "${IPC_SMALL[@]}" --output "$OUTF" || return
	local problems
	problems=$(jq -r '
		def num: type == "number" and . == . and . >= 0;
		(if .schema == "concbench-ipc/1" then empty else "schema \(.schema)" end),
		(if (.pus | length) == 2 and (.shared_level | type) == "string" then empty
		 else "pus \(.pus) shared_level \(.shared_level)" end),
		(if ([.results[] | .mechanism] | unique) ==
		    (["condvar","futex","mqueue","pipe","ring","shm-ring","socketpair"])
		 and (.results | length) == 14 then empty
		 else "mechanisms \([.results[] | .mechanism])" end),
		(.results[] | select(.available) |
		 "\(.mechanism) \(.size_bytes): " as $p |
		 (if (.median_s | num) and .median_s > 0 then empty else $p + "median_s \(.median_s)" end),
		 (if (.ci95_s | length) == 2 and .ci95_s[0] <= .median_s and .median_s <= .ci95_s[1]
		  then empty else $p + "ci95_s \(.ci95_s)" end),
		 (if (.samples_s | length) == 6 then empty else $p + "samples_s" end),
		 (if ((.gb_per_s - 2 * .size_bytes / .median_s / 1e9) | fabs) <= 1e-9 * .gb_per_s
		  then empty else $p + "gb_per_s \(.gb_per_s)" end),
		 (if .ratio_to_fastest >= 1 then empty else $p + "ratio \(.ratio_to_fastest)" end),
		 (if .round_trips_per_batch >= 1 and
		     .messages_verified >= 2 * .round_trips_per_batch * 6 then empty
		  else $p + "messages_verified \(.messages_verified)" end)),
		([.results[] | select(.available)] | group_by(.size_bytes)[] |
		 if any(.ratio_to_fastest == 1) then empty else "no fastest at \(.[0].size_bytes)" end)
	' "$OUTF" 2>&1) || fail "jq: $problems" || return
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')"
}

# The table names every mechanism at every size and the pair of PUs.
test_ipc_table() {
	cb ipc --mechanisms futex,pipe --sizes 8 -r 2
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	grep -q "^  futex  *threads " "$T/stdout" || fail "no futex row" || return
	grep -q "^  pipe  *processes " "$T/stdout" || fail "no pipe row" || return
	grep -q "side A on PU [0-9]* and side B on PU [0-9]*" "$T/stdout" || fail "no PUs named"
}

# --pus puts each side on its PU; the same PU twice is allowed (a context switch a message).
test_ipc_pus_same() {
	local pu
	pu=$("$BIN" topo --format json | jq -r '.allowed' | sed 's/[^0-9].*//')
	cb ipc --mechanisms ring,shm-ring --sizes 64K -r 1 --pus "$pu,$pu" --format json
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	jq -e --argjson pu "$pu" '.pus == [$pu, $pu] and .shared_level == "PU"' "$T/stdout" \
		>/dev/null || fail "pus/shared_level: $(jq -c '[.pus, .shared_level]' "$T/stdout")"
}

# A message queue takes at most fs.mqueue.msgsize_max bytes a message: larger ones go in
# pieces, and the result says so.
test_ipc_mqueue_split() {
	local max
	max=$(cat /proc/sys/fs/mqueue/msgsize_max 2>/dev/null) || max=8192
	cb ipc --mechanisms mqueue --sizes "$((max * 2 + 8))" -r 1 --format json
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	jq -e --argjson max "$max" '.results[0] | .available == false or
		(.message_limit_bytes == $max and (.note | test("3 queue messages")))' \
		"$T/stdout" >/dev/null || fail "no limit noted: $(jq -c '.results[0]' "$T/stdout")"
}

# A mechanism that damages or loses a message fails the run (exit 3), naming it, whichever
# side sees it; nothing is written and no side is left behind. B's second message: a run
# has at least two round trips (one warm-up batch, one timed), however slow the machine.
ipc_fault() {
	local fault=$1 mech=$2 want=$3
	CONCBENCH_TEST_IPC=$fault:$mech:1 cb ipc --mechanisms "$mech" --sizes 4K -r 1 \
		--output "$OUTF"
	[ "$RC" -eq 3 ] || fail "$fault on $mech: exit $RC, expected 3 (stderr: $(first_err))" ||
		return
	grep -q "^concbench: ipc: $mech, 4 KiB messages: .*$want" "$T/stderr" ||
		fail "$fault on $mech: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "stdout not empty" || return
	no_output_file || return
	no_processes "$OUTF"
}
test_ipc_corrupt_fails() {
	local m
	for m in futex condvar ring pipe socketpair mqueue shm-ring; do
		ipc_fault corrupt "$m" "message 2 corrupted in bytes 2048" || return
	done
}
test_ipc_drop_fails() {
	local m
	for m in futex pipe shm-ring; do
		ipc_fault drop "$m" "message 1 arrived where 3 was expected" || return
	done
}

# ipc_started PID: wait until the run has its pair (side threads or child processes), so
# that a signal finds its handlers installed however slowly the machine starts it.
ipc_started() {
	local _
	for _ in $(seq 300); do
		[ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -ge 2 ] && return 0
		pgrep -P "$1" >/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Ctrl-C: exit 3, nothing written, both sides of a process pair gone.
test_ipc_sigint() {
	local mech
	for mech in pipe ring; do
		bg_start "" ipc --mechanisms "$mech" --sizes 1M -r 1000 --output "$OUTF"
		ipc_started "$BG_PID"
		sleep 0.5
		kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
		kill -INT "$BG_PID"
		bg_wait 15 || return
		expect_interrupted SIGINT || return
	done
}

# A queue is unlinked as soon as both of its descriptors exist: no name of this run is left
# while it runs or after a Ctrl-C. The names show in an mqueue file system, mounted here in
# a private mount namespace (root only).
test_ipc_mqueue_no_name_left() {
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
		skip_inside "needs root to mount an mqueue file system"
		return
	fi
	local d=$T/mqueue
	mkdir -p "$d"
	# shellcheck disable=SC2016  # $! and $pid are the inner shell's
	timeout -k 5 60 unshare --mount sh -c 'mount -t mqueue none "$1" || exit 99
		TMPDIR="$2" "$3" ipc --mechanisms mqueue --sizes 8 -r 1000 >/dev/null 2>"$4/stderr" &
		pid=$!
		i=0
		until pgrep -P $pid >/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
		sleep 0.5
		ls -A "$1" | grep "^concbench-ipc-$pid-" >"$4/mq-during"
		kill -INT $pid
		wait $pid
		echo $? >"$4/mq-rc"
		ls -A "$1" | grep "^concbench-ipc-$pid-" >"$4/mq-after"
		exit 0' sh "$d" "$PRIV_TMP" "$BIN" "$T"
	[ $? -ne 99 ] || { skip_inside "cannot mount an mqueue file system here"; return; }
	[ "$(cat "$T/mq-rc")" = 3 ] || fail "exit $(cat "$T/mq-rc"), expected 3: $(first_err)" ||
		return
	[ ! -s "$T/mq-during" ] ||
		fail "queue names while running: $(tr '\n' ' ' <"$T/mq-during")" || return
	[ ! -s "$T/mq-after" ] || fail "queue names left: $(tr '\n' ' ' <"$T/mq-after")"
}

# Queues of a concbench that died between creating and unlinking them are removed by the
# next run; those of a live process and other names stay.
test_ipc_mqueue_stale_removed() {
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
		skip_inside "needs root to mount an mqueue file system"
		return
	fi
	local d=$T/mqueue dead
	mkdir -p "$d"
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	kill -0 "$dead" 2>/dev/null && { skip_inside "pid $dead was reused at once"; return; }
	# shellcheck disable=SC2016  # the inner shell's arguments
	timeout -k 5 60 unshare --mount sh -c 'mount -t mqueue none "$1" || exit 99
		touch "$1/concbench-ipc-$5-0" "$1/concbench-ipc-$$-0" "$1/other-$5-0" || exit 98
		TMPDIR="$2" "$3" ipc --mechanisms mqueue --sizes 8 -r 1 >/dev/null 2>"$4/stderr"
		echo $? >"$4/mq-rc"
		ls -A "$1" | sort | tr "\n" " " >"$4/mq-after"
		rm -f "$1/concbench-ipc-$$-0" "$1/concbench-ipc-$5-0" "$1/other-$5-0"' sh "$d" "$PRIV_TMP" "$BIN" "$T" "$dead"
	case $? in
	99 | 98) skip_inside "cannot mount an mqueue file system or create a queue here"; return ;;
	esac
	[ "$(cat "$T/mq-rc")" = 0 ] || fail "exit $(cat "$T/mq-rc"): $(first_err)" || return
	! grep -q "concbench-ipc-$dead-0" "$T/mq-after" ||
		fail "the dead pid's queue is still there: $(cat "$T/mq-after")" || return
	grep -q "other-$dead-0" "$T/mq-after" && grep -q "concbench-ipc-[0-9]*-0" "$T/mq-after" ||
		fail "removed more than the dead pid's queue: $(cat "$T/mq-after")"
}

# Sizes that are no multiple of 8 and messages longer than a slot, a ring or a queue
# message (pieces, wrap-around) arrive whole on every mechanism.
test_ipc_odd_sizes() {
	cb ipc --sizes 13,70001 -r 1 --format json
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	jq -e '[.results[] | select(.available) | .size_bytes] | length == 14' "$T/stdout" \
		>/dev/null || fail "results: $(jq -c '[.results[] | [.mechanism, .size_bytes]]' "$T/stdout")"
}

# A side that dies (here SIGKILL) fails the run with how it ended; the other side is
# stopped and reaped.
test_ipc_side_killed() {
	local child
	bg_start "" ipc --mechanisms pipe --sizes 1M -r 1000 --output "$OUTF"
	ipc_started "$BG_PID" || { bg_wait 1; fail "no pair started (exit $RC)"; return; }
	sleep 0.5
	child=$(pgrep -P "$BG_PID" | tail -n 1)
	[ -n "$child" ] || { kill -KILL "$BG_PID"; bg_wait 1; fail "no side process"; return; }
	kill -KILL "$child"
	bg_wait 15 || return
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q "^concbench: ipc: pipe, 1 MiB messages: side [AB] (pid $child) killed by signal 9" \
		"$T/stderr" || fail "stderr: $(first_err)" || return
	no_output_file || return
	no_processes "$OUTF"
}
