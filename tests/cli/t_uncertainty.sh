# shellcheck shell=bash
# What the tables say about the samples: each cell's +- (or +-? without an interval), =seq,
# noisy, best or tie, Karp-Flatt with its interval or n/a, the legend; and the labels that
# tell reports and compare's sides apart. Sourced by tests/cli/run.sh.

UNC_FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json

# The row of a text table: $1 the workload's title word, $2 the worker count.
unc_row() {
	awk -v w="$1" -v n="$2" '$1 == w { t = 1 } t && $1 == n { print; exit }' "$T/stdout"
}

# A run of 3 samples has no interval: every cell says +-? and never =seq, no row names a
# winner, Karp-Flatt says n/a, and the legend says why, once each.
test_uncertainty_no_interval_markers() {
	expect_ok cpu --size 1M --workers 1..2 --executor thread,fork --repetitions 3 --warmup 0 \
		--label "three samples" --format json --output "$OUTF" || return
	jq -e '.label == "three samples" and all(.runs[]; .speedup_ci95 == null)' "$OUTF" \
		>/dev/null || fail "label or intervals: $(jq -c '[.label, .runs[0].speedup_ci95]' "$OUTF")" ||
		return
	cb report "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(head -n 1 "$T/stdout")" = "three samples" ] || fail "no label heading the tables" || return
	local cells
	cells=$(grep -E '^  [12] ' "$T/stdout")
	[ "$(echo "$cells" | grep -c '')" -eq 2 ] || fail "rows: $cells" || return
	[ "$(echo "$cells" | grep -o 'x +-? ' | grep -c '')" -eq 4 ] ||
		fail "not every cell says +-?: $cells" || return
	! echo "$cells" | grep -q '=seq' || fail "=seq without an interval: $cells" || return
	[ "$(echo "$cells" | grep -c ' tie?$')" -eq 2 ] || fail "a winner named: $cells" || return
	grep -q 'Karp-Flatt serial fraction at 2 workers: thread n/a, fork n/a$' "$T/stdout" ||
		fail "Karp-Flatt: $(grep Karp "$T/stdout")" || return
	local line
	for line in '  +-?: no 95% interval' '  tie?: a cell of the row has no interval' \
		'  Karp-Flatt n/a: outside \[0, 1\]'; do
		[ "$(grep -c "^$line" "$T/stdout")" -eq 1 ] || fail "legend: '$line' not once" || return
	done
	cb report "$OUTF" --format markdown
	[ "$(grep '^| [12] |' "$T/stdout" | grep -o '±?' | grep -c '')" -eq 4 ] ||
		fail "markdown: not every cell says ±?" || return
	cb report "$OUTF" --format csv
	local col
	col=$(head -n 1 "$T/stdout" | tr ',' '\n' | grep -n '^same_as_seq$' | cut -d: -f1)
	[ -n "$col" ] && [ -z "$(tail -n +2 "$T/stdout" | cut -d, -f"$col" | tr -d '\n')" ] ||
		fail "csv: same_as_seq without an interval"
}

# The golden report: every half-width, =seq and noisy mark as worked out from its JSON;
# the rows tie; Karp-Flatt with its clipped interval, n/a for io's negative estimates.
test_uncertainty_fixture_cells() {
	cb report "$UNC_FIX"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(unc_row cpu 2 | tr -s ' ')" = " 2 1.99x +-0.76 27.41 ms 100% noisy 1.98x +-0.06 27.64 ms 99% noisy 1.99x +-0.05 27.45 ms 100% tie: thread, fork, shm" ] ||
		fail "cpu x2: $(unc_row cpu 2)" || return
	[ "$(unc_row mem 1 | tr -s ' ')" = " 1 1.07x +-0.18 =seq 19.99 ms 107% noisy 1.09x +-0.13 =seq 19.55 ms 109% 1.01x +-0.15 =seq 21.15 ms 101% tie: thread, fork, shm" ] ||
		fail "mem x1: $(unc_row mem 1)" || return
	grep -q 'seq baseline: median 21.39 ms, 25.1 Gbytes/s, noisy (CV 9.6%)' "$T/stdout" ||
		fail "the noisy baseline is not marked" || return
	grep -q 'at 2 workers: thread 0.003 \[0.000, 0.618\], fork 0.011 \[0.000, 0.038\], shm 0.004 \[0.000, 0.009\]$' \
		"$T/stdout" || fail "cpu Karp-Flatt: $(grep -m1 Karp "$T/stdout")" || return
	grep -q 'at 2 workers: thread n/a, fork n/a, shm n/a$' "$T/stdout" ||
		fail "io Karp-Flatt is not n/a" || return
	jq -e '[.runs[] | select(.workload == "io" and .workers == 2) | .karp_flatt < 0] | all' \
		"$UNC_FIX" >/dev/null || fail "the fixture's io estimates are not negative" || return
	# the legend: short lines, only for the markers used (no "!", no "+-?" here)
	local legend
	legend=$(sed -n '/runs verified against the reference/,$p' "$T/stdout")
	[ -z "$(echo "$legend" | awk 'length > 99')" ] || fail "a legend line of 100 columns or more" ||
		return
	echo "$legend" | grep -q '^  =seq: ' && echo "$legend" | grep -q '^  noisy: ' &&
		echo "$legend" | grep -q '^  tie: ' || fail "legend lacks a marker used: $legend" || return
	! echo "$legend" | grep -qE '^  (!|\+-\?|tie\?):' || fail "legend of a marker not used" || return
	! grep -q '~' "$T/stdout" || fail "the old ~ marker is still shown"
}

# A noisy cell is marked in every format; at exactly 5% it is not.
test_uncertainty_noisy_mark() {
	jq '(.runs | map(.workload == "cpu" and .executor == "shm" and .workers == 2) | index(true)) as $s
	  | (.runs | map(.workload == "cpu" and .executor == "fork" and .workers == 2) | index(true)) as $f
	  | .runs[$s].cv = 0.2 | .runs[$f].cv = 0.05' "$UNC_FIX" >"$T/noisy.json" || fail "jq" || return
	cb report "$T/noisy.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	unc_row cpu 2 | grep -q '27.64 ms  99%  *1.99x +-0.05  *27.45 ms 100% noisy  ' ||
		fail "cpu x2: $(unc_row cpu 2)" || return
	cb report "$T/noisy.json" --format markdown
	grep -q '| 1.98x ±0.06, 27.64 ms, 99% | 1.99x ±0.05, 27.45 ms, 100% noisy |' "$T/stdout" ||
		fail "markdown: $(grep '^| 2 |' "$T/stdout" | head -n 1)" || return
	cb report "$T/noisy.json" --format csv
	[ "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	      $3 == "cpu" && $7 == 2 { printf "%s=%s ", $5, $(c["noisy"]) }' "$T/stdout")" = \
		"thread=true fork=false shm=true " ] || fail "csv noisy column" || return
}

# best names a winner only when its interval is clear of every other cell's.
test_uncertainty_tie_and_winner() {
	# thread is the fastest at 2 workers (27.41 ms against 27.64 and 27.45)
	jq '.runs |= map(if .workload == "cpu" and .workers == 2 then
	      (if .executor == "thread" then .speedup_ci95 = [2.2, 2.4]
	       else .speedup_ci95 = [1.5, 2.1] end) else . end)' "$UNC_FIX" >"$T/win.json" ||
		fail "jq" || return
	cb report "$T/win.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	unc_row cpu 2 | grep -q '%  *thread$' || fail "no winner: $(unc_row cpu 2)" || return
	unc_row cpu 1 | grep -q 'tie: thread, fork, shm$' || fail "x1: $(unc_row cpu 1)" || return
	# fork's interval clear of thread's [1.236, 2.041], shm's not: a tie of two
	jq '.runs |= map(if .workload == "cpu" and .workers == 2 and .executor == "fork" then
	      .speedup_ci95 = [1.1, 1.2] else . end)' "$UNC_FIX" >"$T/two.json" || fail "jq" || return
	cb report "$T/two.json"
	unc_row cpu 2 | grep -q 'tie: thread, shm$' || fail "tie of two: $(unc_row cpu 2)"
}

test_uncertainty_bad_labels() {
	local long
	long=$(printf 'x%.0s' $(seq 65))
	expect_usage cpu --label "$long" --output "$OUTF" || return
	grep -q -- '--label: expected 1 to 64 printable ASCII characters' "$T/stderr" ||
		fail "$(first_err)" || return
	expect_usage suite --label "$(printf 'a\033[31mb')" --output "$OUTF" || return
	grep -q -- '--label' "$T/stderr" || fail "$(first_err)" || return
	! grep -q "$(printf '\033')" "$T/stderr" || fail "the escape reached stderr" || return
	expect_usage report "$UNC_FIX" --label "$long" || return
	expect_usage report "$UNC_FIX" "$UNC_FIX" --label one || return
	grep -q -- '--label names one report' "$T/stderr" || fail "$(first_err)" || return
	expect_usage compare "$UNC_FIX" "$UNC_FIX" --labels onlyone || return
	grep -q -- '--labels: expected BASE,NEW' "$T/stderr" || fail "$(first_err)" || return
	# the loader: optional, a string of 1 to 64 bytes
	local edit
	for edit in '.label = 7' '.label = ""' ".label = \"$long\""; do
		jq "$edit" "$UNC_FIX" >"$T/bad.json" || fail "jq" || return
		expect_usage report "$T/bad.json" || { WHY="$edit: $WHY"; return 1; }
		grep -q '"label" is not a non-empty string of at most 64 bytes' "$T/stderr" ||
			fail "$edit: $(first_err)" || return
	done
}

# Merged tables say which report is which: by label, else host and date, else the file's
# base name; never a directory.
test_uncertainty_merged_labels() {
	mkdir -p "$T/m" && jq '.label = "before"' "$UNC_FIX" >"$T/m/a.json" &&
		jq '.label = "after"' "$UNC_FIX" >"$T/m/b.json" && cp "$UNC_FIX" "$T/m/c.json" ||
		fail "setup" || return
	cb report "$T/m/a.json" "$T/m/b.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q '^  workers   thread @ before .* thread @ after ' "$T/stdout" ||
		fail "headers: $(grep -m1 workers "$T/stdout")" || return
	grep -q '^  seq baseline on before: ' "$T/stdout" || fail "baseline not named" || return
	grep -q '^  Karp-Flatt serial fraction at 2 workers: thread @ before .*, thread @ after ' \
		"$T/stdout" || fail "Karp-Flatt: $(grep -m1 Karp "$T/stdout")" || return
	cb report "$T/m/c.json" "$UNC_FIX"      # one host, one date: the file names tell
	grep -q '^  workers   thread @ c.json .* thread @ report-2vcpu.json ' "$T/stdout" ||
		fail "headers: $(grep -m1 workers "$T/stdout")" || return
	! grep -q "$T" "$T/stdout" || fail "a directory in the table" || return
	cb report "$T/m/a.json" "$T/m/c.json" --format markdown
	grep -q '^| workers | thread @ before |.*| thread @ vm 2026-11-23 15:21 |' "$T/stdout" ||
		fail "markdown: $(grep -m1 workers "$T/stdout")" || return
	cb report "$T/m/c.json" --label "renamed" --format markdown
	[ "$(head -n 1 "$T/stdout")" = "## renamed" ] || fail "report --label: $(head -n 1 "$T/stdout")"
}

# compare's sides are named, never by the temporary directory the reports are in.
test_uncertainty_compare_sides() {
	mkdir -p "$T/c" && cp "$UNC_FIX" "$T/c/base.json" && cp "$UNC_FIX" "$T/c/new.json" ||
		fail "setup" || return
	local fmt
	for fmt in markdown table; do
		cb compare "$T/c/base.json" "$T/c/new.json" --format "$fmt"
		[ "$RC" -eq 0 ] || fail "$fmt: exit $RC: $(first_err)" || return
		! grep -q "$T" "$T/stdout" || fail "$fmt: the temp directory is shown" || return
		grep -q 'git 62f839c-dirty (base.json)' "$T/stdout" ||
			fail "$fmt: sides: $(grep -m1 base "$T/stdout")" || return
	done
	jq '.label = "main"' "$UNC_FIX" >"$T/c/base.json" && jq '.concbench.git = "abc1234"' \
		"$UNC_FIX" >"$T/c/new.json" || fail "jq" || return
	cb compare "$T/c/base.json" "$T/c/new.json" --format markdown
	# shellcheck disable=SC2016 # the backticks are markdown's
	grep -q '^base `main`, new `git abc1234`; ' "$T/stdout" ||
		fail "sides: $(grep -m1 '^base' "$T/stdout")" || return
	cb compare "$T/c/base.json" "$T/c/new.json" --labels v1,v2
	[ "$(head -n 1 "$T/stdout")" = "concbench compare: base 'v1', new 'v2'" ] ||
		fail "--labels: $(head -n 1 "$T/stdout")"
}
