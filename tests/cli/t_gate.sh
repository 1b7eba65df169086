# shellcheck shell=bash
# The invocation gate of concbench compare: the one-invocation warning, the noise file
# (--calibrate, --noise and its strict loader), --detect's count, the power rule between
# unchanged and inconclusive, and the steadier metrics (speedup, instructions). Reports are
# built from a real one with jq, so that no verdict depends on how the machine ran.
# Sourced by tests/cli/run.sh.

# gate_invocations NAME M...: $T/NAME-1.json ... from $T/base.json, invocation i with every
# run's six samples tight around M_i seconds (median exactly M_i); prints them, one per line.
gate_invocations() {
	local name=$1 i=1 m
	shift
	for m in "$@"; do
		jq --argjson m "$m" '.runs |= map(.samples_s = [$m * 0.998, $m * 0.999, $m, $m,
		    $m * 1.001, $m * 1.002] | .median_s = $m)' "$T/base.json" >"$T/$name-$i.json" ||
			{ fail "jq could not build $name-$i.json"; return 1; }
		echo "$T/$name-$i.json"
		i=$((i + 1))
	done
}

# One report a side still compares, and says that its false-alarm rate is unknown: a line
# in the table and the markdown, an entry in JSON's warnings; several a side say nothing.
test_gate_one_invocation_warns() {
	make_report || return
	cb compare "$T/base.json" "$T/base.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q '^warning: one invocation a side: its samples share the machine.s state, so the false-alarm rate is unknown' \
		"$T/stdout" || fail "no warning line in the table" || return
	grep -q '^method: samples of one invocation a side, two-sided Mann-Whitney U, alpha 0.01 per run$' \
		"$T/stdout" || fail "method: $(grep '^method' "$T/stdout")" || return
	cb compare "$T/base.json" "$T/base.json" --format markdown
	grep -q '^> \*\*warning\*\*: one invocation a side' "$T/stdout" || fail "no markdown warning" || return
	cb compare "$T/base.json" "$T/base.json" --format json
	jq -e '(.warnings | length) == 1 and (.warnings[0] | test("false-alarm rate is unknown"))
	    and (.method | startswith("samples of one invocation"))' "$T/stdout" >/dev/null ||
		fail "json warnings: $(jq -c .warnings "$T/stdout")" || return
	local a b
	a=$(gate_invocations a 0.001 0.0011 | paste -sd,) || return
	cb compare --format json "$a" "$a"
	jq -e '.warnings == []' "$T/stdout" >/dev/null || fail "several a side warned"
}

# Either side of the power rule. Seven tight invocations a side, medians 1.000 .. 1.006
# ms: a spread of 0.2%, so a change of 5% is detectable, and +0.1% is unchanged. With a
# noise file that says the runner's spread is 5%, the floor of noise alone is over 5%: the
# threshold is raised (and said), the detectable change is over 5%, and the same +0.1% is
# inconclusive, with the reason, which --fail-on inconclusive turns into exit 1.
test_gate_power_rule() {
	make_report || return
	local b h n
	n=$(jq '.runs | length' "$T/base.json")
	mapfile -t b < <(gate_invocations b 0.001 0.001001 0.001002 0.001003 0.001004 0.001005 0.001006)
	mapfile -t h < <(gate_invocations h 0.001001 0.001002 0.001003 0.001004 0.001005 0.001006 0.001007)
	[ "${#b[@]}" -eq 7 ] && [ "${#h[@]}" -eq 7 ] || fail "could not build the invocations" || return
	cb compare "${b[@]}" -- "${h[@]}"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q "^summary: 0 regressed, 0 improved, $n unchanged, 0 inconclusive" "$T/stdout" ||
		fail "tight: $(grep '^summary' "$T/stdout")" || return
	cb compare --calibrate "${b[@]}" --output "$T/noise.json"
	[ "$RC" -eq 0 ] || fail "--calibrate: exit $RC: $(first_err)" || return
	jq '.runs |= map(.sd_log = 0.05)' "$T/noise.json" >"$T/noisy.json" || fail "jq" || return
	cb compare "${b[@]}" -- "${h[@]}" --noise "$T/noisy.json" --fail-on inconclusive
	[ "$RC" -eq 1 ] || fail "noisy: exit $RC, expected 1: $(first_err)" || return
	grep -q "^summary: 0 regressed, 0 improved, 0 unchanged, $n inconclusive" "$T/stdout" ||
		fail "noisy: $(grep '^summary' "$T/stdout")" || return
	grep -q 'inconclusive: +0.1% is within the 5% threshold, but with 7 and 7 invocations this comparison detects only changes over .* (the noise file)' \
		"$T/stdout" || fail "noisy: no reason given" || return
	grep -q 'threshold 5% raised to [0-9.]*% by the measured noise$' "$T/stdout" ||
		fail "noisy: the raised threshold is not said" || return
	grep -q '^power: with 7 invocations a side, this runner detects changes over .* (90% probability at family-wise alpha 0.01; from the noise file)$' \
		"$T/stdout" || fail "noisy: power: $(grep '^power' "$T/stdout")" || return
	cb compare "${b[@]}" -- "${h[@]}" --noise "$T/noisy.json" --format json
	jq -e 'all(.comparisons[]; .power_from == "noise" and .threshold_used_pct > 5
	    and .noise_floor > 0.05 and .detectable_change > .noise_floor)
	    and .summary.thresholds_raised == (.comparisons | length)' "$T/stdout" >/dev/null ||
		fail "noisy json: $(jq -c '.comparisons[0]' "$T/stdout")" || return
	# a noise file from another runner is used, and said to be
	[ ! -s "$T/stderr" ] || fail "noisy: stderr: $(first_err)" || return
	jq '.host.cores = 12345' "$T/noisy.json" >"$T/other.json" || fail "jq" || return
	cb compare "${b[@]}" -- "${h[@]}" --noise "$T/other.json"
	grep -q "^concbench: warning: compare: --noise '.*other.json' was measured on another host (cores differ)" \
		"$T/stderr" || fail "other host: $(first_err)"
}

# --calibrate --detect: the count of invocations that detects the change on every run, in
# the table and the file; none within --max-invocations is exit 1 with one line, and null.
test_gate_detect_count() {
	make_report || return
	local r
	# logs spread with SD 0.0316 (medians 1, 1.02, ..., 1.1 ms around their mean)
	mapfile -t r < <(gate_invocations r 0.001 0.00102 0.00104 0.00106 0.00108 0.0011)
	cb compare --calibrate "${r[@]}" --detect 10% --output "$T/noise.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	local k
	k=$(jq '.invocations_needed' "$T/noise.json")
	case $k in ''|null|*[!0-9]*) fail "invocations_needed: '$k'"; return ;; esac
	[ "$k" -ge 5 ] && [ "$k" -le 30 ] || fail "invocations_needed $k" || return
	grep -q "^invocations_needed: $k a side detect 10% on every run$" "$T/stdout" ||
		fail "no count line: $(tail -n 2 "$T/stdout" | head -n 1)" || return
	jq -e --argjson k "$k" '.concbench_noise == 1 and .detect_pct == 10 and .max_invocations == 30
	    and .invocations == 6 and ([.runs[].invocations_needed] | max) == $k
	    and all(.runs[]; .n == 6 and .sd_log > 0.02 and .sd_log < 0.05)' "$T/noise.json" >/dev/null ||
		fail "noise file: $(jq -c '.runs[0]' "$T/noise.json")" || return
	cb compare --calibrate "${r[@]}" --detect 10 --max-invocations $((k - 1)) --format json
	[ "$RC" -eq 1 ] || fail "impossible: exit $RC, expected 1" || return
	jq -e '.invocations_needed == null' "$T/stdout" >/dev/null || fail "impossible: not null" || return
	[ "$(grep -c '' "$T/stderr")" -eq 1 ] &&
		grep -q "^concbench: compare: --detect 10%: no count of invocations up to $((k - 1)) a side detects it" \
			"$T/stderr" || fail "impossible: stderr: $(first_err)" || return
	# the file it wrote is read back by --noise
	cb compare "${r[0]}" "${r[1]}" "${r[2]}" -- "${r[3]}" "${r[4]}" "${r[5]}" --noise "$T/noise.json"
	[ "$RC" -eq 0 ] || fail "--noise: exit $RC: $(first_err)" || return
	# one invocation a side tests samples: the noise file does not apply, and that is said
	cb compare "${r[0]}" "${r[1]}" --noise "$T/noise.json"
	grep -q "^concbench: warning: compare: --noise '.*': used with several invocations a side only" \
		"$T/stderr" || fail "one a side: $(first_err)"
}

# The noise file is untrusted: each bad one is exit 2, one line naming --noise and the
# file, nothing on stdout.
test_gate_noise_file_refused() {
	make_report || return
	cp "$T/base.json" "$T/base2.json"
	cb compare --calibrate "$T/base.json" "$T/base2.json" --output "$T/noise.json"
	[ "$RC" -eq 0 ] || fail "calibrate: exit $RC: $(first_err)" || return
	printf 'not json' >"$T/bad-1.json"
	jq '.concbench_noise = 2' "$T/noise.json" >"$T/bad-2.json"
	jq '.runs[0].sd_log = -1' "$T/noise.json" >"$T/bad-3.json"
	jq '.runs[0].sd_log = "x"' "$T/noise.json" >"$T/bad-4.json"
	jq '.extra = 1' "$T/noise.json" >"$T/bad-5.json"
	jq '.runs[0].n = 1' "$T/noise.json" >"$T/bad-6.json"
	jq '.runs = []' "$T/noise.json" >"$T/bad-7.json"
	jq '.metric = "speed"' "$T/noise.json" >"$T/bad-8.json"
	jq '.runs += [.runs[0]]' "$T/noise.json" >"$T/bad-9.json"
	jq 'del(.host)' "$T/noise.json" >"$T/bad-10.json"
	jq '.runs[0].workers = 0.5' "$T/noise.json" >"$T/bad-11.json"
	jq '.metric = "throughput"' "$T/noise.json" >"$T/bad-12.json"
	head -c 5000000 /dev/zero | tr '\0' ' ' >"$T/bad-13.json"
	: >"$T/bad-14.json"
	mkdir "$T/bad-15.json"
	local i
	for i in $(seq 1 15); do
		expect_usage compare "$T/base.json" "$T/base.json" --noise "$T/bad-$i.json" ||
			{ WHY="bad-$i: $WHY"; return 1; }
		grep -q "^concbench: compare: --noise '.*bad-$i.json'" "$T/stderr" ||
			fail "bad-$i: $(first_err)" || return
	done
	expect_usage compare "$T/base.json" "$T/base.json" --noise "$T/none.json" || return
	expect_usage compare --calibrate "$T/base.json" --noise "$T/noise.json" || return
	expect_usage compare "$T/base.json" "$T/base.json" --detect 10 || return
	expect_usage compare --calibrate "$T/base.json" || return
	expect_usage compare "$T/base.json" -- || return
	expect_usage compare -- "$T/base.json" || return
	expect_usage compare "$T/base.json" -- "$T/base.json" -- "$T/base.json"
}

# --fail-on regression is the name; regressed stays an alias; help says the default.
test_gate_fail_on_regression_name() {
	make_report || return
	cb compare "$T/base.json" "$T/base.json" --fail-on regression,missing
	[ "$RC" -eq 0 ] || fail "regression: exit $RC: $(first_err)" || return
	cb compare "$T/base.json" "$T/base.json" --fail-on regressed --format json
	[ "$RC" -eq 0 ] || fail "regressed: exit $RC: $(first_err)" || return
	jq -e '.fail_on == ["regression"]' "$T/stdout" >/dev/null || fail "fail_on: $(jq -c .fail_on "$T/stdout")" || return
	cb compare --help
	grep -q 'default: regression only' "$T/stdout" || fail "help lacks the default"
}

# --metric speedup: within each invocation the seq run's median over the run's; the seq
# runs are not judged; a report without seq is one line, exit 2.
test_gate_metric_speedup() {
	make_report || return
	local b h n
	n=$(jq '[.runs[] | select(.executor != "seq")] | length' "$T/base.json")
	mapfile -t b < <(gate_invocations sb 0.001 0.00101 0.00102 0.00103 0.00104 0.00105 0.00106)
	# new: every parallel run 30% slower, seq as it was: speedup down by 1/1.3
	for f in "${b[@]}"; do
		jq '.runs |= map(if .executor == "seq" then . else .samples_s |= map(. * 1.3)
		    | .median_s *= 1.3 end)' "$f" >"${f%.json}-slow.json" || { fail "jq"; return; }
		h+=("${f%.json}-slow.json")
	done
	cb compare --metric speedup --format json "${b[@]}" -- "${h[@]}"
	[ "$RC" -eq 1 ] || fail "exit $RC, expected 1: $(first_err)" || return
	jq -e --argjson n "$n" '(.comparisons | length) == $n and .metric == "speedup"
	    and .higher_is_better and all(.comparisons[]; .executor != "seq" and .unit == "x"
	        and .verdict == "regressed" and ((.change + 0.2308) | fabs) < 0.001)' "$T/stdout" >/dev/null ||
		fail "json: $(jq -c '.comparisons[0] | {executor, change, verdict}' "$T/stdout")" || return
	jq '.runs |= map(select(.executor != "seq")) | .warnings = []' "$T/base.json" >"$T/noseq.json"
	expect_usage compare --metric speedup "$T/noseq.json" "$T/noseq.json" || return
	grep -q "has no seq run of its workload and params in the same report (needed by --metric speedup)" \
		"$T/stderr" || fail "$(first_err)"
}

# --metric instructions and cycles: per item from the counters; a run whose counters are
# null (no hardware counters here, or none recorded) is one line naming the run and the
# reason, exit 2.
test_gate_metric_instructions() {
	make_report || return
	jq '.runs |= map(.counters.instructions = 1000000 | .counters.cycles = 500000
	    | .counters_derived.instructions_per_item = 10)' "$T/base.json" >"$T/cnt.json" ||
		fail "jq" || return
	jq '.runs |= map(.counters.instructions = 1100000 | .counters.cycles = 550000
	    | .counters_derived.instructions_per_item = 11)' "$T/base.json" >"$T/cnt2.json" ||
		fail "jq" || return
	cb compare --metric instructions --format json "$T/cnt.json" "$T/cnt2.json"
	[ "$RC" -le 1 ] || fail "exit $RC: $(first_err)" || return
	jq -e 'all(.comparisons[]; .unit == "instructions/item" and .base.median == 10
	    and .new.median == 11)' "$T/stdout" >/dev/null ||
		fail "json: $(jq -c '.comparisons[0]' "$T/stdout")" || return
	cb compare --metric cycles --format json "$T/cnt.json" "$T/cnt2.json"
	jq -e 'all(.comparisons[]; .unit == "cycles/item" and .base.median == 5
	    and (.new.median - 5.5 | fabs) < 1e-9)' "$T/stdout" >/dev/null ||
		fail "cycles json: $(jq -c '.comparisons[0]' "$T/stdout")" || return
	jq '.runs[0].counters.instructions = null | .runs[0].counters_unavailable = "hardware counters: perf_event_open: No such file or directory"' \
		"$T/cnt.json" >"$T/nocnt.json" || fail "jq" || return
	expect_usage compare --metric instructions "$T/nocnt.json" "$T/cnt2.json" || return
	grep -q "runs\[0\] (cpu .*) has no counters.instructions per item (needed by --metric instructions): hardware counters: perf_event_open" \
		"$T/stderr" || fail "$(first_err)" || return
	jq '.runs[] |= del(.counters, .counters_per_worker, .counters_unavailable, .counters_derived)' \
		"$T/base.json" >"$T/old.json" || fail "jq" || return
	expect_usage compare --metric cycles "$T/old.json" "$T/old.json" || return
	grep -q "the report has no counters" "$T/stderr" || fail "$(first_err)"
}

# scripts/ci-regress --detect on a tiny suite: A/A calibration invocations first, then as
# many invocations as concbench says (a 1000% change on one run: 5 a side, the fewest whose
# best permutation p is under alpha), compared with the noise file, said in the markdown.
test_gate_ci_regress_detect() {
	local script
	script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/ci-regress
	bash "$script" --suite cpu --repetitions 6 --invocations 5 --baseline "$T/base.json" --update \
		-- --size 1M --workers 1 --executor seq >"$T/stdout" 2>"$T/stderr" ||
		fail "--update: $(tail -n 1 "$T/stderr")" || return
	RC=0
	bash "$script" --suite cpu --repetitions 6 --baseline "$T/base.json" --detect 1000 --calibration 3 \
		-- --size 1M --workers 1 --executor seq >"$T/stdout" 2>"$T/stderr" || RC=$?
	[ "$RC" -le 1 ] || fail "exit $RC: $(tail -n 1 "$T/stderr")" || return
	head -n 1 "$T/stdout" | grep -q '^ci-regress: --detect 1000%: 3 A/A invocations of .* measured this runner.s noise; 5 invocations a side detect 1000% on every run' ||
		fail "no calibration line: $(head -n 1 "$T/stdout")" || return
	grep -q '^method: invocation medians (k=5 vs 5), log-scale permutation test' "$T/stdout" ||
		fail "compare did not get 5 a side: $(grep '^method' "$T/stdout")" || return
	grep -q '^power: .*from the noise file)$' "$T/stdout" || fail "compare did not use the noise file" || return
	bash "$script" --detect abc >"$T/stdout" 2>"$T/stderr"
	[ $? -eq 2 ] || fail "--detect abc: not exit 2" || return
	grep -q -- '--detect: expected a percentage' "$T/stderr" || fail "$(first_err)"
}
