# shellcheck shell=bash
# Warnings as records {code, severity, run, text}: what a run writes, what stderr shows, and
# how report and compare read them, old reports (strings) included. Sourced by
# tests/cli/run.sh.

# Every record has the four members; a run's record names, in its text, the run its index
# points at; 3 samples give every run a no-interval record; stderr shows one line per
# cause naming the runs it affects.
test_warnings_records_name_their_run() {
	expect_ok cpu --size 1M --workers 2 --repetitions 3 --warmup 0 --format json --output "$OUTF" ||
		return
	local problems
	problems=$(jq -r '
	  (.runs | length) as $n | .runs as $runs
	  | (.warnings[] | select((keys == ["code", "run", "severity", "text"]) | not)
	     | "not a record: \(tojson)"),
	    (.warnings[] | select((.code | test("^[a-z][a-z0-9-]{0,31}$")) | not) | "code: \(.code)"),
	    (.warnings[] | select(.severity | IN("info", "warning") | not) | "severity: \(.severity)"),
	    (.warnings[] | select(.run != null) | . as $w
	     | if ($w.run | type) != "number" or $w.run < 0 or $w.run >= $n then "run out of range: \($w.run)"
	       else $runs[$w.run] as $r
	       | select($w.text | startswith("\($r.workload) on \($r.executor) with \($r.workers) worker") | not)
	       | "runs[\($w.run)] is \($r.executor) x\($r.workers), the text says: \($w.text)" end),
	    (range($n) as $i
	     | select([.warnings[] | select(.run == $i and .code == "no-interval" and .severity == "info")]
	              | length != 1)
	     | "runs[\($i)] has no single no-interval record")
	' "$T/report.json" 2>&1)
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')" || return
	# stderr: one line per cause, each cause once, naming every run that has a record of
	# it; the full list stays in the report.
	local causes line name
	causes=$(sed -n 's/^concbench: warning: \([a-zA-Z ]*\): .*/\1/p' "$T/stderr")
	[ -n "$causes" ] || fail "no warning by cause on stderr: $(first_err)" || return
	[ "$(echo "$causes" | sort | uniq -d)" = "" ] || fail "a cause on two lines: $causes" || return
	line=$(grep '^concbench: warning: too few samples: ' "$T/stderr") ||
		fail "no line for the no-interval records: $(tr '\n' '|' <"$T/stderr")" || return
	while read -r name; do
		case $line in *"$name"*) ;; *) fail "too few samples does not name $name: $line"; return ;; esac
	done < <(jq -r '.runs[] | "\(.workload) \(.executor) x\(.workers)"' "$T/report.json")
	! grep -q 'more in the report' "$T/stderr" || fail "a line pointing at the report" || return
}

# report renders a report with records exactly as the same report with the old strings.
test_warnings_report_reads_records_and_strings() {
	expect_ok cpu --size 1M --workers 2 --repetitions 3 --warmup 0 --format json --output "$OUTF" ||
		return
	jq '.warnings |= map(.text)' "$T/report.json" >"$T/strings.json" ||
		fail "jq could not make the old form" || return
	local fmt
	for fmt in table markdown csv; do
		cb report "$T/report.json" --format "$fmt"
		[ "$RC" -eq 0 ] || fail "records, $fmt: exit $RC: $(first_err)" || return
		mv "$T/stdout" "$T/records.out"
		cb report "$T/strings.json" --format "$fmt"
		[ "$RC" -eq 0 ] || fail "strings, $fmt: exit $RC: $(first_err)" || return
		cmp -s "$T/records.out" "$T/stdout" || fail "$fmt differs between records and strings" ||
			return
	done
	cb report "$T/report.json"
	grep -q '^  [0-9]* warnings about noise or placement' "$T/stdout" ||
		fail "the table does not count the warnings"
}

# compare notes a run whose report says it was noisy or strayed, and lists every run's codes
# in its JSON; a report with the old strings has no codes to show.
test_warnings_compare_notes_codes() {
	make_report || return
	jq '.warnings = []' "$T/base.json" >"$T/b.json" || fail "jq: base" || return
	jq '(.runs | map(.executor == "thread" and .workers == 2) | index(true)) as $t
	  | (.runs | map(.executor == "fork" and .workers == 2) | index(true)) as $f
	  | .runs[$t].cv = 0.072 | .runs[$f].strayed_samples = 2
	  | .warnings = [
	      {code: "noisy", severity: "warning", run: $t, text: "cpu on thread with 2 workers: noisy"},
	      {code: "strayed", severity: "warning", run: $f, text: "cpu on fork with 2 workers: strayed"},
	      {code: "no-interval", severity: "info", run: $f, text: "cpu on fork with 2 workers: few"},
	      {code: "load", severity: "warning", run: null, text: "load"}]' \
		"$T/base.json" >"$T/n.json" || fail "jq: new" || return
	cb compare "$T/b.json" "$T/n.json"
	[ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] || fail "exit $RC: $(first_err)" || return
	grep -Fxq 'note: cpu thread workers=2 binding=none: new: noisy (CV 7.2%)' "$T/stdout" ||
		fail "no note of the noisy run: $(grep '^note' "$T/stdout" | tr '\n' '|')" || return
	grep -Fxq 'note: cpu fork workers=2 binding=none: new: strayed (2 of 6 samples)' "$T/stdout" ||
		fail "no note of the strayed run: $(grep '^note' "$T/stdout" | tr '\n' '|')" || return
	[ "$(grep -c 'new: ' "$T/stdout")" -eq 2 ] || fail "notes of other runs or codes" || return
	cb compare "$T/b.json" "$T/n.json" --format markdown
	grep -Fxq -- '- cpu thread workers=2 binding=none: new: noisy (CV 7.2%)' "$T/stdout" ||
		fail "markdown: no note of the noisy run" || return
	# the run's name comes from the report: escaped, never markup
	jq '.runs |= map(if .executor == "thread" then .executor = "<b>*t*" else . end)' "$T/b.json" \
		>"$T/hb.json" || fail "jq: hostile base" || return
	jq '.runs |= map(if .executor == "thread" then .executor = "<b>*t*" else . end)' "$T/n.json" \
		>"$T/hn.json" || fail "jq: hostile new" || return
	cb compare "$T/hb.json" "$T/hn.json" --format markdown
	grep -Fxq -- '- cpu \<b\>\*t\* workers=2 binding=none: new: noisy (CV 7.2%)' "$T/stdout" ||
		fail "markdown: the note of a run named <b>*t*: $(grep 'noisy' "$T/stdout")" || return
	cb compare "$T/b.json" "$T/n.json" --format json
	jq -e '[.comparisons[] | {k: "\(.executor):\(.workers)", b: .base.warnings, n: .new.warnings}]
	       | all(.b == []) and
	         (map(select(.n != [])) == [{k: "thread:2", b: [], n: ["noisy"]},
	                                    {k: "fork:2", b: [], n: ["strayed", "no-interval"]}])' \
		"$T/stdout" >/dev/null || fail "json: $(jq -c '[.comparisons[] | .new.warnings]' "$T/stdout")" ||
		return
	# the same warnings as strings: nothing to note
	jq '.warnings |= map(.text)' "$T/n.json" >"$T/s.json" || fail "jq: strings" || return
	cb compare "$T/b.json" "$T/s.json" --format json
	jq -e 'all(.comparisons[]; .new.warnings == [] and .base.warnings == [])' "$T/stdout" \
		>/dev/null || fail "codes from a report of strings" || return
	cb compare "$T/b.json" "$T/s.json"
	! grep -q 'new: ' "$T/stdout" || fail "a note from a report of strings"
}
