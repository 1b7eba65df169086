# shellcheck shell=bash
# history: reports stored over commits in SQLite, read back exactly, a change planted at a
# known commit found there (and none in a flat series), concurrent writers that lose
# nothing, and files that are not a usable history refused. Sourced by tests/cli/run.sh.
# Synthetic reports are the fixture report with its times scaled by jq.

# A fresh directory for one test's files, $H (the output directory must stay empty for
# expect_usage).
H=
hist_dir() {
	H=$T/hist
	rm -rf "$H"
	mkdir -p "$H"
}

# The fixture's times (and throughput) scaled by factor $3: hist_scaled IN OUT FACTOR [LABEL]
hist_scaled() {
	jq --argjson f "$3" --arg lab "${4:-}" '
	  .runs |= map(.samples_s |= map(. * $f)
	    | (.median_s, .mean_s, .stddev_s, .min_s, .max_s, .p10_s, .p90_s)
	      |= (if . == null then . else . * $f end)
	    | .ci95_s |= (if . == null then . else map(. * $f) end)
	    | .throughput.value |= (if . == null then . else . / $f end))
	  | if $lab == "" then . else .label = $lab end' "$1" >"$2"
}

# The fixture cut to one run (cpu thread, 2 workers): small reports for long series.
hist_one_run() {
	jq '.runs |= [.[] | select(.workload == "cpu" and .executor == "thread" and .workers == 2)]
	  | .warnings = []' "$FIX_DIR/report-2vcpu.json" >"$1"
}

# A deterministic factor in [1 - $2, 1 + $2] for invocation $1: no randomness in tests.
hist_noise() {
	awk -v i="$1" -v a="$2" 'BEGIN { printf "%.6f", 1 + a * (((i * 7919) % 41) - 20) / 20 }'
}

# A series of 20 commits (c01..c20) of 3 invocations each into $1, times x $2 (one
# invocation in 40 of noise each way) up to commit $3 - 1 and x $4 from commit $3 on.
hist_series() {
	local db=$1 before=$2 at=$3 after=$4 one c i f
	one=$H/one.json
	hist_one_run "$one"
	mkdir -p "$H/series"
	for c in $(seq 1 20); do
		local files=()
		for i in 1 2 3; do
			f=$before
			[ "$c" -ge "$at" ] && f=$after
			f=$(awk -v f="$f" -v n="$(hist_noise $((c * 3 + i)) 0.025)" 'BEGIN { printf "%.6f", f * n }')
			hist_scaled "$one" "$H/series/c$c-$i.json" "$f"
			files+=("$H/series/c$c-$i.json")
		done
		cb history add "${files[@]}" --commit "$(printf 'c%02d' "$c")" --db "$db"
		[ "$RC" -eq 0 ] || fail "add c$c: exit $RC: $(first_err)" || return
	done
}

# 100 reports, each its own commit named by its label: every value show prints is the
# median of that report's samples, computed here by jq.
test_history_round_trip_100() {
	hist_dir
	local db=$H/h.sqlite i files=()
	mkdir -p "$H/rt"
	for i in $(seq 1 100); do
		hist_scaled "$FIX_DIR/report-2vcpu.json" "$H/rt/r$i.json" \
			"$(hist_noise "$i" 0.2)" "$(printf '%07x' $((0xa000000 + i)))"
		files+=("$H/rt/r$i.json")
	done
	cb history add "${files[@]}" --db "$db"
	[ "$RC" -eq 0 ] || fail "add: exit $RC: $(first_err)" || return
	grep -q '^history add: 100 reports, 2100 runs added' "$T/stdout" ||
		fail "add said: $(head -c 200 "$T/stdout")" || return
	cb history show --db "$db" --format json
	[ "$RC" -eq 0 ] || fail "show: exit $RC: $(first_err)" || return
	cp "$T/stdout" "$H/show.json"
	jq -s 'def med: sort | if length % 2 == 1 then .[length / 2 | floor]
	    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	  [.[] | .label as $c | .runs[]
	    | {k: "\(.workload) \(.executor) \(.workers) \(.binding) \($c)", v: (.samples_s | med)}]
	  | sort_by(.k)' "${files[@]}" >"$H/want.json"
	jq -e --slurpfile w "$H/want.json" '$w[0] as $want | .series as $series
	  | ([$series[] | . as $s | .commits[]
	    | {k: "\($s.workload) \($s.executor) \($s.workers) \($s.binding) \(.commit)",
	       v: .values[0], n: .invocations}] | sort_by(.k)) as $got
	  | ($got | length) == 2100 and ($want | length) == 2100
	  and all($got[]; .n == 1)
	  and ([range(0; 2100) | select($got[.].k != $want[.].k
	       or (($got[.].v - $want[.].v) | fabs) > 1e-12 * $want[.].v)] | length) == 0
	  and all($series[]; [.commits[].position] == [range(1; 101)])' "$H/show.json" >/dev/null ||
		fail "show's values are not the reports' medians"
}

# A 25% slowdown planted at commit c12: found at c12, worse, about +25%; exit 1 naming
# the series and the commit.
test_history_check_finds_planted_change() {
	hist_dir
	local db=$H/h.sqlite
	hist_series "$db" 1.0 12 1.25 || return
	cb history check --db "$db"
	[ "$RC" -eq 1 ] || fail "check: exit $RC, expected 1: $(first_err)" || return
	grep -q '^cpu thread workers=2 binding=none .*: changed at commit c12 (#12): .* +2[0-9]\.[0-9]% (worse' \
		"$T/stdout" || fail "no change at c12: $(tr '\n' '|' <"$T/stdout" | cut -c1-300)" || return
	cb history check --db "$db" --format json
	[ "$RC" -eq 1 ] || fail "json: exit $RC" || return
	jq -e '.failing == 1 and (.series | length) == 1 and .series[0].fails
	  and (.series[0].changes | length) == 1 and .series[0].changes[0].commit == "c12"
	  and .series[0].changes[0].worse and .series[0].changes[0].change > 0.2
	  and .series[0].changes[0].change < 0.3 and .series[0].changes[0].p < 0.01
	  and .newest.commit == "c20"' "$T/stdout" >/dev/null ||
		fail "json: $(head -c 400 "$T/stdout" | tr '\n' ' ')"
}

# The same series without a change: no change, exit 0.
test_history_check_flat_series_none() {
	hist_dir
	local db=$H/h.sqlite
	hist_series "$db" 1.0 99 1.0 || return
	cb history check --db "$db"
	[ "$RC" -eq 0 ] || fail "check: exit $RC, expected 0: $(tr '\n' '|' <"$T/stdout")" || return
	grep -q '^no significant change in any series' "$T/stdout" ||
		fail "said: $(tr '\n' '|' <"$T/stdout" | cut -c1-300)"
}

# A 20% speedup is a change, not a failure; with --metric throughput it is found likewise
# (throughput went up: better).
test_history_check_improvement_passes() {
	hist_dir
	local db=$H/h.sqlite
	hist_series "$db" 1.0 8 0.8 || return
	cb history check --db "$db" --format json
	[ "$RC" -eq 0 ] || fail "check: exit $RC, expected 0" || return
	jq -e '.failing == 0 and .series[0].changes[0].commit == "c08"
	  and (.series[0].changes[0].worse | not) and .series[0].changes[0].change < -0.15' \
		"$T/stdout" >/dev/null || fail "json: $(head -c 400 "$T/stdout" | tr '\n' ' ')" || return
	cb history check --db "$db" --metric throughput --format json
	[ "$RC" -eq 0 ] || fail "throughput: exit $RC" || return
	jq -e '.metric == "throughput" and .series[0].changes[0].commit == "c08"
	  and (.series[0].changes[0].worse | not) and .series[0].changes[0].change > 0.15' \
		"$T/stdout" >/dev/null || fail "throughput json: $(head -c 400 "$T/stdout" | tr '\n' ' ')"
}

# show per commit: the invocations, their median, a change against the commit before; a
# 95% interval only from 6 invocations on.
test_history_show_commits() {
	hist_dir
	local db=$H/h.sqlite one=$H/one.json i files=()
	hist_one_run "$one"
	for i in 1 2 3 4 5 6; do
		hist_scaled "$one" "$H/s$i.json" "$(hist_noise "$i" 0.02)"
		files+=("$H/s$i.json")
	done
	cb history add "${files[@]}" --commit v1.0 --branch main --label runner-a --db "$db"
	[ "$RC" -eq 0 ] || fail "add: exit $RC: $(first_err)" || return
	hist_scaled "$one" "$H/s7.json" 1.5
	cb history add "$H/s7.json" --commit v1.1 --db "$db"
	[ "$RC" -eq 0 ] || fail "add 2: exit $RC: $(first_err)" || return
	cb history show --db "$db" --format json
	jq -e '(.series | length) == 1 and (.series[0].commits | map(.commit)) == ["v1.0", "v1.1"]
	  and .series[0].commits[0].invocations == 6 and (.series[0].commits[0].ci95 | length) == 2
	  and .series[0].commits[0].ci95[0] <= .series[0].commits[0].median
	  and .series[0].commits[0].median <= .series[0].commits[0].ci95[1]
	  and .series[0].commits[1].ci95 == null and .series[0].commits[0].change == null
	  and .series[0].commits[1].change > 0.3' "$T/stdout" >/dev/null ||
		fail "json: $(head -c 500 "$T/stdout" | tr '\n' ' ')" || return
	cb history show --db "$db" --format markdown
	[ "$RC" -eq 0 ] || fail "markdown: exit $RC" || return
	# shellcheck disable=SC2016 # the backquotes are markdown's
	grep -q '^| 2 | `v1.1` | 1 | ' "$T/stdout" || fail "markdown: $(tr '\n' '|' <"$T/stdout")" ||
		return
	cb history show --db "$db" --workload io
	[ "$RC" -eq 2 ] || fail "no match: exit $RC, expected 2" || return
	grep -q "no run in .* matches" "$T/stderr" || fail "no match said: $(first_err)"
}

# Both background writers $1 and $2 (stderr in $H/err_a, err_b) succeeded; then show of $db
# as JSON in $T/stdout.
hist_both_ok() {
	local ra=0 rb=0
	wait "$1" || ra=$?
	wait "$2" || rb=$?
	[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] ||
		fail "adds: exit $ra and $rb: $(head -c 200 "$H/err_a") $(head -c 200 "$H/err_b")" ||
		return
	cb history show --db "$db" --format json
	[ "$RC" -eq 0 ] || fail "show: exit $RC: $(first_err)"
}

# Two `history add` of 50 reports each at once, on a new file: both succeed and all 100
# invocations are there, each commit at its own position.
test_history_concurrent_adds() {
	hist_dir
	local db=$H/h.sqlite one=$H/one.json i a=() b=() pa pb
	hist_one_run "$one"
	for i in $(seq 1 50); do
		hist_scaled "$one" "$H/a$i.json" 1 "$(printf 'a%06x' "$i")"
		hist_scaled "$one" "$H/b$i.json" 1 "$(printf 'b%06x' "$i")"
		a+=("$H/a$i.json")
		b+=("$H/b$i.json")
	done
	# one add per report, so that the two writers interleave many times
	( for f in "${a[@]}"; do
		timeout -k 5 120 "$BIN" history add "$f" --db "$db" >/dev/null || exit 1; done ) \
		2>"$H/err_a" &
	pa=$!
	( for f in "${b[@]}"; do
		timeout -k 5 120 "$BIN" history add "$f" --db "$db" >/dev/null || exit 1; done ) \
		2>"$H/err_b" &
	pb=$!
	hist_both_ok "$pa" "$pb" || return
	jq -e '(.series | length) == 1 and (.series[0].commits | length) == 100
	  and ([.series[0].commits[].invocations] | add) == 100
	  and ([.series[0].commits[].position] | sort) == [range(1; 101)]
	  and ([.series[0].commits[].commit] | unique | length) == 100' "$T/stdout" >/dev/null ||
		fail "lost invocations: $(jq -c '[.series[0].commits | length]' "$T/stdout")" || return
	# and two adds of 50 reports each, one call each, on another new file
	db=$H/h2.sqlite
	timeout -k 5 120 "$BIN" history add "${a[@]}" --db "$db" >/dev/null 2>"$H/err_a" &
	pa=$!
	timeout -k 5 120 "$BIN" history add "${b[@]}" --db "$db" >/dev/null 2>"$H/err_b" &
	pb=$!
	hist_both_ok "$pa" "$pb" || return
	jq -e '([.series[0].commits[].invocations] | add) == 100
	  and ([.series[0].commits[].position] | sort) == [range(1; 101)]' "$T/stdout" >/dev/null ||
		fail "two adds lost invocations"
}

# All or nothing: a bad report among good ones adds none of them.
test_history_add_is_atomic() {
	hist_dir
	local db=$H/h.sqlite one=$H/one.json
	hist_one_run "$one"
	cb history add "$one" --commit c1 --db "$db"
	[ "$RC" -eq 0 ] || fail "add: exit $RC" || return
	echo '{"schema": "concbench-report/1", "runs": []}' >"$H/bad.json"
	expect_usage history add "$one" "$H/bad.json" --commit c2 --db "$db" || return
	grep -q "bad.json" "$T/stderr" || fail "does not name the file: $(first_err)" || return
	cb history show --db "$db" --format json
	jq -e '[.series[0].commits[].commit] == ["c1"]' "$T/stdout" >/dev/null ||
		fail "the good report of the failed add was kept"
	# no commit: neither --commit nor a SHA label
	expect_usage history add "$one" --db "$db" || return
	grep -q "no commit: give --commit SHA, or run with --label SHA" "$T/stderr" ||
		fail "no-commit message: $(first_err)"
}

# Bad usage: one line, exit 2, nothing on stdout.
test_history_bad_usage() {
	hist_dir
	local db=$H/h.sqlite
	expect_usage history || return
	expect_usage history frobnicate || return
	expect_usage history add --db "$db" || return
	expect_usage history show --commit abc1234 --db "$db" || return
	grep -q -- "--commit: not an option of 'history show'" "$T/stderr" || fail "$(first_err)" ||
		return
	expect_usage history add "$FIX_DIR/report-2vcpu.json" --commit 'a b' --db "$db" || return
	expect_usage history add "$FIX_DIR/report-2vcpu.json" --commit abc --alpha 0.1 --db "$db" ||
		return
	expect_usage history show extra --db "$db" || return
	expect_usage history plot --db "$db" || return
	expect_usage history plot --output "$OUTDIR/c.pdf" --db "$db" || return
	expect_usage history check --alpha 0.9 --db "$db" || return
	expect_usage history show --db "$H/missing.sqlite" || return
	grep -q "no such history database" "$T/stderr" || fail "$(first_err)"
}

# Set 4 big-endian bytes at offset $2 of file $1 to the number $3 (the SQLite header).
hist_poke32() {
	printf '%b' "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 >> 24 & 255)) $(($3 >> 16 & 255)) \
		$(($3 >> 8 & 255)) $(($3 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Files that are not a usable history: not SQLite, another application's database, a
# newer schema, a corrupt page. One line each, exit 2, for reading and for adding.
test_history_refuses_bad_files() {
	hist_dir
	local db=$H/h.sqlite one=$H/one.json
	hist_one_run "$one"
	echo "not a database" >"$H/text.sqlite"
	expect_usage history show --db "$H/text.sqlite" || return
	grep -q "is not an SQLite database" "$T/stderr" || fail "text: $(first_err)" || return
	expect_usage history add "$one" --commit c1 --db "$H/text.sqlite" || return
	[ "$(cat "$H/text.sqlite")" = "not a database" ] || fail "text file changed" || return
	rm -f "$H/text.sqlite"

	cb history add "$one" --commit c1 --db "$db"
	[ "$RC" -eq 0 ] || fail "add: exit $RC: $(first_err)" || return
	cp "$db" "$H/good.sqlite"
	# application_id (offset 68) of another program
	hist_poke32 "$db" 68 1234
	expect_usage history show --db "$db" || return
	grep -q "database of another application" "$T/stderr" || fail "foreign: $(first_err)" ||
		return
	expect_usage history add "$one" --commit c2 --db "$db" || return
	# none, with tables: not ours either
	hist_poke32 "$db" 68 0
	expect_usage history add "$one" --commit c2 --db "$db" || return
	grep -q "database of another application" "$T/stderr" || fail "no id: $(first_err)" ||
		return
	# a newer schema (user_version, offset 60)
	cp "$H/good.sqlite" "$db"
	hist_poke32 "$db" 60 2
	expect_usage history check --db "$db" || return
	grep -q "schema version 2, newer than this concbench reads (up to 1)" "$T/stderr" ||
		fail "newer: $(first_err)" || return
	# a damaged page: the second page (the first table's) overwritten
	cp "$H/good.sqlite" "$db"
	head -c 200 /dev/zero | tr '\0' 'x' | dd of="$db" bs=1 seek=4096 conv=notrunc status=none
	expect_usage history show --db "$db" || return
	grep -q "corrupt" "$T/stderr" || fail "corrupt: $(first_err)" || return
	# a directory
	rm -f "$db"
	mkdir "$db"
	expect_usage history add "$one" --commit c1 --db "$db" || return
	rmdir "$db"
}

# An empty file is a version-0 history: the first add migrates it to the current schema.
test_history_migrates_empty_file() {
	hist_dir
	local db=$H/h.sqlite one=$H/one.json
	hist_one_run "$one"
	: >"$db"
	cb history add "$one" --commit c1 --db "$db"
	[ "$RC" -eq 0 ] || fail "add: exit $RC: $(first_err)" || return
	[ "$(od -An -tu1 -j60 -N4 "$db" | tr -d ' ')" = "0001" ] ||
		fail "user_version: $(od -An -tu1 -j60 -N4 "$db")" || return
	[ "$(od -An -tx1 -j68 -N4 "$db" | tr -d ' ')" = "63626831" ] ||
		fail "application_id: $(od -An -tx1 -j68 -N4 "$db")"
}

# plot: a complete SVG with the series; commit names reach gnuplot only as data.
test_history_plot() {
	hist_dir
	local db=$H/h.sqlite
	hist_series "$db" 1.0 12 1.25 || return
	cb history plot --db "$db" --output "$OUTDIR/h.svg"
	[ "$RC" -eq 0 ] || fail "plot: exit $RC: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "stdout: $(head -c 100 "$T/stdout")" || return
	grep -q '</svg>' "$OUTDIR/h.svg" || fail "incomplete svg" || return
	grep -q 'c12' "$OUTDIR/h.svg" || fail "no commit tic" || return
	grep -q 'cpu thread workers=2' "$OUTDIR/h.svg" || fail "no series title"
}
