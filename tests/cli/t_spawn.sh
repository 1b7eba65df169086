# shellcheck shell=bash
# spawn: the cost to create and reap one worker by mechanism and resident memory; the no-op
# helper it execs; bad --rss; Ctrl-C. Sourced by tests/cli/run.sh. Timings are never
# asserted, only that every one is there, finite and inside its interval.

SPAWN_MECHS='["fork","fork+wait","posix_spawn+wait","pthread_create+join","shm","thread","uring","vfork+exec+wait"]'

# The exec'd helper: exit 0 and not a byte on either stream.
test_spawn_noop_is_silent() {
	cb __noop
	[ "$RC" -eq 0 ] || fail "exit $RC, expected 0 (stderr: $(first_err))" || return
	[ ! -s "$T/stdout" ] || fail "stdout: $(head -c 80 "$T/stdout")" || return
	[ ! -s "$T/stderr" ] || fail "stderr: $(first_err)" || return
	tmpdir_empty
}

# Only argv[1] alone is the helper: anything after it is a command line, and not a command.
test_spawn_noop_is_not_a_command() { expect_usage __noop --output "$OUTF"; }

# expect_spawn_usage FLAG ARGS...: bad input to spawn, and the message names FLAG.
expect_spawn_usage() {
	local flag=$1
	shift
	expect_usage spawn "$@" --output "$OUTF" || return
	grep -q "^concbench: $flag" "$T/stderr" || fail "message does not name $flag: $(first_err)"
}

test_spawn_bad_rss_word() { expect_spawn_usage --rss --rss lots; }
test_spawn_bad_rss_empty() { expect_spawn_usage --rss --rss ''; }
test_spawn_bad_rss_twice() { expect_spawn_usage --rss --rss 0,1M,1024K; }
test_spawn_bad_rss_trailing_comma() { expect_spawn_usage --rss --rss 0,1M,; }
test_spawn_bad_rss_negative() { expect_spawn_usage --rss --rss -1; }
test_spawn_bad_rss_too_many() { expect_spawn_usage --rss --rss 0,1,2,3,4,5,6,7,8; }
test_spawn_bad_repetitions() { expect_spawn_usage --repetitions --repetitions 5; }
test_spawn_bad_argument() { expect_spawn_usage "unexpected argument 'extra'" extra; }

# More than half of this machine's memory is refused, and the message names --rss and the bound.
test_spawn_bad_rss_above_half() {
	expect_usage spawn --rss 0,1000T --output "$OUTF" || return
	grep -q "^concbench: --rss: expected .* to .* (half of this machine's memory).*got '0,1000T'$" \
		"$T/stderr" || fail "message: $(first_err)"
}

# Every mechanism at every size, each with a finite median inside a 95% interval, the
# memory really resident, the fork ratio of the largest size to the smallest; nothing left.
test_spawn_json_every_mechanism_and_size() {
	expect_ok spawn --rss 4M,0 -r 6 --warmup 0 -w 1 --format json --output "$OUTF" || return
	jq -e --argjson mechs "$SPAWN_MECHS" '
	  .schema == "concbench-spawn/1" and .repetitions == 6 and .pool_workers == 1
	  and .rss_bytes == [4194304, 0]
	  and ([.results[] | [.mechanism, .rss_bytes]] | sort)
	      == ([$mechs[] as $m | [4194304, 0][] as $r | [$m, $r]] | sort)
	  and all(.results[]; (.median_s | type) == "number" and .median_s > 0
	      and (.ci95_s | length) == 2 and .ci95_s[0] <= .median_s and .median_s <= .ci95_s[1]
	      and .ci95_level >= 0.95 and (.samples_s | length) == 6
	      and (.ratio_to_thread | type) == "number" and .ratio_to_thread > 0
	      and .resident_bytes >= .rss_bytes)
	  and all(.results[] | select(.mechanism == "pthread_create+join"); .ratio_to_thread == 1)
	  and .fork_growth.from_rss_bytes == 0 and .fork_growth.to_rss_bytes == 4194304
	  and (.fork_growth.ratio | type) == "number" and .fork_growth.ratio > 0' \
		"$T/report.json" >/dev/null ||
		fail "report: $(jq -c '[.rss_bytes, .fork_growth, [.results[] | [.mechanism, .rss_bytes, .median_s, .ci95_s, .resident_bytes]]]' "$T/report.json" | cut -c1-400)" ||
		return
	no_processes "$OUTF" || return
	no_processes "$BIN __noop"
}

# One size: no ratio to give, and the summary says why.
test_spawn_one_size_has_no_ratio() {
	expect_ok spawn --rss 0 -r 6 --warmup 0 -w 1 --format json --output "$OUTF" || return
	jq -e '.fork_growth.ratio == null and (.fork_growth.text | test("one --rss size"))' \
		"$T/report.json" >/dev/null || fail "fork_growth: $(jq -c .fork_growth "$T/report.json")"
}

# The table: a row per mechanism and size, and the summary line with the ratio.
test_spawn_table_and_summary() {
	cb spawn --rss 0,2M -r 6 --warmup 0 -w 1
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	[ ! -s "$T/stderr" ] || fail "stderr: $(first_err)" || return
	[ "$(grep -cE '^(0|2 MiB)? +(pthread_create\+join|fork\+wait|vfork\+exec\+wait|posix_spawn\+wait|pool thread|pool fork|pool shm) ' "$T/stdout")" -eq 14 ] ||
		fail "not 14 rows: $(tr '\n' '|' <"$T/stdout" | cut -c1-300)" || return
	grep -Eq '^fork\+wait with 2 MiB resident costs [0-9.e+]+x as much as with 0 \(' "$T/stdout" ||
		fail "no summary: $(tail -n 1 "$T/stdout")"
}

# Ctrl-C: exit 3, no child, helper or output left.
test_spawn_sigint() {
	bg_start "" spawn --rss 0,32M -r 100000 --output "$OUTF"
	sleep 1
	kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -INT "$BG_PID"
	bg_wait 15 || return
	expect_interrupted SIGINT || return
	no_processes "$BIN __noop"
}

# The table with --output: the table on stdout, the document in the file, and where it is.
test_spawn_table_with_output() {
	cb spawn --rss 0 -r 6 --warmup 0 -w 1 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	grep -q '^fork+wait was measured at one --rss size only' "$T/stdout" ||
		fail "no table: $(head -c 120 "$T/stdout")" || return
	[ "$(tail -n 1 "$T/stdout")" = "report: $OUTF" ] ||
		fail "last line: $(tail -n 1 "$T/stdout")" || return
	jq -e '.schema == "concbench-spawn/1" and (.results | length) == 8' "$OUTF" >/dev/null ||
		fail "--output: $(head -c 120 "$OUTF")" || return
	tmpdir_empty
}
