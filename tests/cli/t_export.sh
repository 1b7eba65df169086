# shellcheck shell=bash
# concbench report --format bencher|benchmark-action|benchmark-action-bigger: each export
# checked against its format's documented rules (Bencher Metric Format; github-action-
# benchmark's custom JSON) and against the report it came from, names recomputed here.
# Sourced by tests/cli/run.sh.

# jq: a run's export name, recomputed from the report (params sorted by key).
read -r -d '' EXPORT_NAME_JQ <<'JQ'
def pval: if type == "string" then . else tojson end;
def runname: .workload
  + (if (.params | length) > 0
     then "/" + (.params | to_entries | sort_by(.key) | map("\(.key)=\(.value | pval)") | join(","))
     else "" end)
  + "/\(.executor)\(if .gil == true then "+gil" else "" end)/workers=\(.workers)/binding=\(.binding)";
def clean: test("[\u0000-\u001f\u007f-\u009f]") | not;
def finite: type == "number" and (isinfinite | not) and (isnan | not);
JQ

# The Bencher Metric Format's rules (bencher.dev/docs/reference/bencher-metric-format): an
# object of benchmarks (name: 1 to 1024 characters), each an object of measures (slug: at
# most 64), each with a number "value" and optional numbers "lower_value", "upper_value";
# latency in nanoseconds. Ours also: finite, lower <= value <= upper, every name clean.
# Prints one line per problem.
read -r -d '' BMF_CHECKS <<'JQ'
(if type != "object" then "not an object" else empty end),
(to_entries[] as $b
 | (if ($b.key | length) < 1 or ($b.key | length) > 1024 then "name length \($b.key | length)" else empty end),
   (if ($b.key | clean) then empty else "control character in \($b.key | tojson)" end),
   (if ($b.value | type) != "object" or ($b.value | length) == 0 then "\($b.key): no measures" else empty end),
   (if $b.value.latency == null then "\($b.key): no latency" else empty end),
   ($b.value | to_entries[]? as $m
    | (if ($m.key | length) > 64 or ($m.key | clean | not) then "\($b.key): measure \($m.key | tojson)" else empty end),
      (if ($m.value.value | finite) then empty else "\($b.key) \($m.key): value \($m.value.value | tojson)" end),
      (if ($m.value | keys - ["value", "lower_value", "upper_value"]) != []
       then "\($b.key) \($m.key): keys \($m.value | keys)" else empty end),
      (if ($m.value | has("lower_value")) != ($m.value | has("upper_value"))
       then "\($b.key) \($m.key): one bound only" else empty end),
      (if ($m.value | has("lower_value")) and
          (($m.value.lower_value | finite | not) or ($m.value.upper_value | finite | not)
           or $m.value.lower_value > $m.value.value or $m.value.value > $m.value.upper_value)
       then "\($b.key) \($m.key): not lower <= value <= upper: \($m.value | tojson)" else empty end)))
JQ

# github-action-benchmark's custom JSON (its README and src/extract.ts: name, unit and a
# number value required; range and extra optional strings; the action reads a range as
# "± N"). Ours also: names unique and clean, every string clean, values finite.
read -r -d '' ACTION_CHECKS <<'JQ'
(if type != "array" or length == 0 then "not a non-empty array" else empty end),
(if ([.[].name] | unique | length) != length then "names not unique" else empty end),
(.[] as $e
 | (if ($e | keys - ["name", "unit", "value", "range", "extra"]) != [] then "keys \($e | keys)" else empty end),
   (if ($e.name | type) != "string" or ($e.name | length) == 0 then "name \($e.name | tojson)" else empty end),
   (if ($e.unit | type) != "string" or ($e.unit | length) == 0 then "\($e.name): unit \($e.unit | tojson)" else empty end),
   (if ($e.value | finite) then empty else "\($e.name): value \($e.value | tojson)" end),
   (if $e.range == null or ($e.range | type == "string" and test("^\u00b1 [0-9][.0-9e+-]+$")) then empty
    else "\($e.name): range \($e.range | tojson)" end),
   (if ($e.extra | type) != "string" then "\($e.name): extra \($e.extra | tojson)" else empty end),
   ([$e.name, $e.unit, $e.range, $e.extra][] | strings | select(clean | not) | "control character in \(tojson)"))
JQ

# check_export FILE JQ-CHECKS: fail with the first problems the checks print.
check_export() {
	local problems
	problems=$(jq -r "$EXPORT_NAME_JQ $2" "$1" 2>&1) || fail "jq failed: $problems" || return
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')"
}

# The export of REPORT in FMT into $T/export.json, exit 0 and nothing on stderr.
export_ok() {
	cb report "$1" --format "$2"
	[ "$RC" -eq 0 ] || fail "$2: exit $RC: $(first_err)" || return
	[ ! -s "$T/stderr" ] || fail "$2: stderr: $(first_err)" || return
	cp "$T/stdout" "$T/export.json"
}

test_export_bencher_schema() {
	make_report || return
	local r
	for r in "$T/base.json" "$FIX_DIR/report-2vcpu.json"; do
		export_ok "$r" bencher || return
		check_export "$T/export.json" "$BMF_CHECKS" || return
		# one benchmark per run, named from its key: latency = median in ns, its bounds
		# the 95% interval's; throughput as the report has it
		jq -e --slurpfile e "$T/export.json" "$EXPORT_NAME_JQ"'
		  def near(a; b): ((a - b) | fabs) <= 1e-9 * (b | fabs);
		  ($e[0]) as $x | (.runs | length) == ($x | length)
		  and all(.runs[]; runname as $n | $x[$n] != null
		      and near($x[$n].latency.value; .median_s * 1e9)
		      and near($x[$n].latency.lower_value; .ci95_s[0] * 1e9)
		      and near($x[$n].latency.upper_value; .ci95_s[1] * 1e9)
		      and near($x[$n].throughput.value; .throughput.value))' "$r" >/dev/null ||
			fail "$(basename "$r"): the export does not match the runs" || return
	done
}

test_export_benchmark_action_schema() {
	make_report || return
	export_ok "$T/base.json" benchmark-action || return
	check_export "$T/export.json" "$ACTION_CHECKS" || return
	jq -e --slurpfile e "$T/export.json" "$EXPORT_NAME_JQ"'
	  def near(a; b): ((a - b) | fabs) <= 1e-9 * (b | fabs);
	  ($e[0] | map({(.name): .}) | add) as $x | (.runs | length) == ($e[0] | length)
	  and all(.runs[]; . as $r | runname as $n | $x[$n].unit == "ms"
	      and near($x[$n].value; $r.median_s * 1e3)
	      and ($x[$n].extra | contains("\($r.samples_s | length) samples")))
	  and all($e[0][]; .extra | contains("host "))' "$T/base.json" >/dev/null ||
		fail "the export does not match the runs: $(head -c 300 "$T/export.json")" || return
	# the range is the interval's wider side, so value +- range holds it
	jq -e --slurpfile e "$T/export.json" "$EXPORT_NAME_JQ"'
	  ($e[0] | map({(.name): .}) | add) as $x
	  | all(.runs[] | select(.ci95_s != null); runname as $n
	        | ($x[$n].range | ltrimstr("\u00b1 ") | tonumber) as $h
	        | ($x[$n].value - $h) <= .ci95_s[0] * 1e3 * (1 + 1e-3)
	          and ($x[$n].value + $h) >= .ci95_s[1] * 1e3 * (1 - 1e-3))' "$T/base.json" \
		>/dev/null || fail "a range does not cover its interval"
}

test_export_benchmark_action_bigger() {
	make_report || return
	export_ok "$T/base.json" benchmark-action-bigger || return
	check_export "$T/export.json" "$ACTION_CHECKS" || return
	# a throughput per run, a speedup per run but seq's
	jq -e --slurpfile e "$T/export.json" '
	  ([$e[0][] | select(.name | endswith("/throughput"))] | length) == (.runs | length)
	  and ([$e[0][] | select((.name | endswith("/speedup")) and .unit == "x")] | length)
	      == ([.runs[] | select(.executor != "seq")] | length)' "$T/base.json" >/dev/null ||
		fail "not one throughput per run and one speedup per non-seq run"
}

# The fixture's exports, committed: a change of name or figure shows here.
test_export_golden() {
	local fmt
	for fmt in bencher benchmark-action; do
		export_ok "$FIX_DIR/report-2vcpu.json" "$fmt" || return
		cmp -s "$T/export.json" "$FIX_DIR/report-2vcpu.$fmt.json" ||
			fail "$fmt differs from report-2vcpu.$fmt.json: $(diff "$FIX_DIR/report-2vcpu.$fmt.json" "$T/export.json" | head -n 4 | tr '\n' '|')" ||
			return
	done
}

# Params in another order in the file: the same names.
test_export_names_stable() {
	export_ok "$FIX_DIR/report-2vcpu.json" bencher || return
	mv "$T/export.json" "$T/a.json"
	jq '.runs |= map(.params |= (to_entries | reverse | from_entries))' \
		"$FIX_DIR/report-2vcpu.json" >"$T/rev.json" || fail "jq could not reorder" || return
	export_ok "$T/rev.json" bencher || return
	cmp -s "$T/a.json" "$T/export.json" || fail "names or figures moved with the params' order"
}

# Several reports: each name ends with its report's label, else its host; two that no label
# tells apart are refused (one line, exit 2), and so is a report holding a run twice.
test_export_several_reports() {
	make_report || return
	local n
	n=$(jq '.runs | length' "$T/base.json")
	jq '.label = "A"' "$T/base.json" >"$T/a.json" && jq '.label = "B"' "$T/base.json" >"$T/b.json" ||
		fail "jq could not label" || return
	cb report "$T/a.json" "$T/b.json" --format benchmark-action
	[ "$RC" -eq 0 ] || fail "labelled: exit $RC: $(first_err)" || return
	check_export "$T/stdout" "$ACTION_CHECKS" || return
	[ "$(jq '[.[] | select(.name | endswith(" @ A"))] | length' "$T/stdout")" -eq "$n" ] &&
		[ "$(jq '[.[] | select(.name | endswith(" @ B"))] | length' "$T/stdout")" -eq "$n" ] ||
		fail "names do not end with ' @ A' and ' @ B'" || return
	expect_usage report "$T/base.json" "$T/base.json" --format bencher || return
	grep -q "export under one name, .*; tell the reports apart by label" "$T/stderr" ||
		fail "the refusal does not say why: $(first_err)" || return
	jq '.runs += [.runs[0]]' "$T/base.json" >"$T/twice.json" || fail "jq could not copy a run" || return
	expect_usage report "$T/twice.json" --format benchmark-action || return
	grep -q "runs\[0\] and runs\[$n\] export under one name" "$T/stderr" ||
		fail "the refusal does not name both runs: $(first_err)"
}

# A run without samples is left out with a warning; a report of nothing else is refused.
test_export_skips_runs_without_samples() {
	make_report || return
	local n
	n=$(jq '.runs | length' "$T/base.json")
	jq '.runs[1] |= (.samples_s = [] | .median_s = null | .ci95_s = null | .speedup = null
	    | .speedup_ci95 = null | .throughput = null)' "$T/base.json" >"$T/empty1.json" ||
		fail "jq could not empty a run" || return
	cb report "$T/empty1.json" --format bencher
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(jq 'length' "$T/stdout")" -eq $((n - 1)) ] || fail "not $((n - 1)) benchmarks" || return
	grep -q "^concbench: warning: report: .*runs\[1\] .* is not exported: no samples" "$T/stderr" ||
		fail "no warning: $(first_err)" || return
	jq '.runs |= map(.samples_s = [] | .median_s = null | .ci95_s = null | .speedup = null
	    | .speedup_ci95 = null | .throughput = null)' "$T/base.json" >"$T/empty.json" ||
		fail "jq could not empty the runs" || return
	expect_usage report "$T/empty.json" --format benchmark-action || return
	grep -q "nothing to export" "$T/stderr" || fail "the refusal does not say why: $(first_err)"
}

# Strings from the report reach no name, unit or extra with a control character.
test_export_sanitised() {
	make_report || return
	jq '.host.hostname = "v\u001b[2Jm\n" | .label = "L\u0007"
	    | .runs |= map(.params.kernel = "s\u0001q\r" | .throughput.unit = "n\u009b/s")' \
		"$T/base.json" >"$T/dirty.json" || fail "jq could not write the report" || return
	cb report "$T/dirty.json" --format benchmark-action-bigger
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	check_export "$T/stdout" "$ACTION_CHECKS" || return
	cb report "$T/dirty.json" "$T/base.json" --format bencher
	[ "$RC" -eq 0 ] || fail "bencher: exit $RC: $(first_err)" || return
	check_export "$T/stdout" "$BMF_CHECKS"
}

# --output: written atomically (an old file replaced, nothing else left), nothing on
# stdout; refused for the text formats and for a directory.
test_export_output() {
	make_report || return
	export_ok "$T/base.json" bencher || return
	echo stale >"$OUTF"
	cb report "$T/base.json" --format bencher --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "stdout not empty with --output" || return
	cmp -s <(jq -S . "$OUTF") <(jq -S . "$T/export.json") || fail "--output differs from stdout" || return
	[ "$(ls -A "$OUTDIR")" = "report.json" ] || fail "left in the directory: $(ls -A "$OUTDIR")" || return
	rm -f "$OUTF"
	expect_usage report "$T/base.json" --format markdown --output "$OUTF" || return
	expect_usage report "$T/base.json" --format bencher --output "$OUTDIR" || return
	expect_usage report "$T/base.json" --format benchmark-action --output /nonexistent-dir/x.json
}

# A median that overflows in the export's unit (1e300 s is finite; in ns it is not) is left
# out with a warning, never written as null or infinity; a name over 1024 bytes is refused.
test_export_out_of_range() {
	make_report || return
	local n
	n=$(jq '.runs | length' "$T/base.json")
	jq '.runs[0] |= (.samples_s |= map(1e300) | .median_s = 1e300 | .ci95_s = [1e300, 1e300]
	    | .mean_s = 1e300 | .min_s = 1e300 | .max_s = 1e300 | .p10_s = 1e300 | .p90_s = 1e300)' \
		"$T/base.json" >"$T/huge.json" || fail "jq could not write the report" || return
	cb report "$T/huge.json" --format bencher
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(jq 'length' "$T/stdout")" -eq $((n - 1)) ] || fail "not $((n - 1)) benchmarks" || return
	check_export "$T/stdout" "$BMF_CHECKS" || return
	grep -q "runs\[0\] .* is not exported: its median is out of range" "$T/stderr" ||
		fail "no warning: $(first_err)" || return
	jq --arg v "$(printf 'x%.0s' $(seq 250))" '.runs[1].params += {a: $v, b: $v, c: $v, d: $v}' \
		"$T/base.json" >"$T/long.json" || fail "jq could not write the report" || return
	expect_usage report "$T/long.json" --format benchmark-action || return
	grep -q "runs\[1\] .*over 1024 bytes" "$T/stderr" || fail "the refusal does not say why: $(first_err)"
}
