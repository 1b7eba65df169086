# shellcheck shell=bash
# concbench compare as a CI job runs it: verdicts on constructed samples, so that none
# depends on how the measured ones fell, and --fail-on. Sourced by tests/cli/run.sh.

# make_pair: $T/base.json (a real report) with every run's samples set to 1..6 ms, and
# $T/new.json with them 0.3 ms slower: +8.6% on the medians, and U = 15 of 36 pairs, exact
# p = 323/462 = 0.70: over the threshold, not significant, in every run.
make_pair() {
	make_report || return
	jq '.runs |= map(.samples_s = [0.001, 0.002, 0.003, 0.004, 0.005, 0.006] | .median_s = 0.0035)' \
		"$T/base.json" >"$T/set.json" || fail "jq could not set the samples" || return
	mv "$T/set.json" "$T/base.json" || fail "could not replace base.json" || return
	jq '.runs |= map(.samples_s |= map(. + 0.0003) | .median_s += 0.0003)' \
		"$T/base.json" >"$T/new.json" || fail "jq could not build the new report"
}

# A change over the threshold that the samples cannot confirm is 'inconclusive', never
# 'unchanged' (which +8.6% is not); exit 0 unless --fail-on inconclusive.
test_compare_inconclusive() {
	make_pair || return
	local n
	n=$(jq '.runs | length' "$T/base.json")
	cb compare "$T/base.json" "$T/new.json"
	[ "$RC" -eq 0 ] || fail "exit $RC, expected 0: $(first_err)" || return
	grep -q "^summary: 0 regressed, 0 improved, 0 unchanged, $n inconclusive, 0 insufficient, 0 missing" \
		"$T/stdout" || fail "summary: $(grep '^summary' "$T/stdout")" || return
	[ "$(grep -c '  inconclusive$' "$T/stdout")" -eq "$n" ] ||
		fail "not $n rows marked inconclusive" || return
	grep -q '^note: .*: inconclusive: +8.6% is over the 5% threshold, but p = 0.7 is not significant' \
		"$T/stdout" || fail "no note saying why" || return
	cb compare "$T/base.json" "$T/new.json" --fail-on inconclusive
	[ "$RC" -eq 1 ] || fail "--fail-on inconclusive: exit $RC, expected 1" || return
	[ "$(cat "$T/stderr")" = "concbench: compare: no regression, but exit 1 for --fail-on: $n inconclusive" ] ||
		fail "--fail-on inconclusive: stderr: $(first_err)" || return
	cb compare "$T/base.json" "$T/new.json" --format json --fail-on inconclusive
	[ "$RC" -eq 1 ] || fail "json: exit $RC, expected 1" || return
	jq -e --argjson n "$n" '.summary.inconclusive == $n and .summary.unchanged == 0
	    and .summary.fails and all(.comparisons[]; .verdict == "inconclusive"
	        and .significant == false and (.p * 462 | round) == 323)
	    and .fail_on == ["regression", "inconclusive"]' "$T/stdout" >/dev/null ||
		fail "json: $(jq -c .summary "$T/stdout")" || return
	cb compare "$T/base.json" "$T/new.json" --format markdown
	[ "$RC" -eq 0 ] || fail "markdown: exit $RC, expected 0" || return
	head -n 1 "$T/stdout" | grep -qx "### concbench compare: no regression, $n inconclusive" ||
		fail "markdown: $(head -n 1 "$T/stdout")" || return
	# the same change under a 10% threshold is unchanged
	cb compare "$T/base.json" "$T/new.json" --threshold 10 --fail-on inconclusive
	[ "$RC" -eq 0 ] || fail "--threshold 10: exit $RC, expected 0" || return
	grep -q "^summary: 0 regressed, 0 improved, $n unchanged, 0 inconclusive" "$T/stdout" ||
		fail "--threshold 10: $(grep '^summary' "$T/stdout")"
}

# --fail-on missing (a run in one report only) and insufficient (too few samples).
test_compare_fail_on_missing_and_insufficient() {
	make_report || return
	# without runs[0], the warnings' run indices would point one run off: drop them
	jq '.runs |= (.[1:] | .[0] |= (.samples_s |= .[0:3] | .median_s = (.samples_s | sort | .[1])))
	    | .warnings = []' \
		"$T/base.json" >"$T/new.json" ||
		fail "jq could not build the new report" || return
	cb compare "$T/base.json" "$T/new.json"
	[ "$RC" -eq 0 ] || fail "default: exit $RC, expected 0: $(first_err)" || return
	grep -q '^summary: .* 1 insufficient, 1 missing' "$T/stdout" ||
		fail "summary: $(grep '^summary' "$T/stdout")" || return
	local f want
	for f in missing insufficient missing,insufficient inconclusive regressed; do
		want=1
		case $f in inconclusive|regressed) want=0 ;; esac
		cb compare "$T/base.json" "$T/new.json" --fail-on "$f"
		[ "$RC" -eq "$want" ] || fail "--fail-on $f: exit $RC, expected $want" || return
	done
	grep -q '^only in base: ' "$T/stdout" || fail "the missing run is not named"
}

test_compare_bad_fail_on() {
	make_report || return
	local v
	for v in bogus "" "," "inconclusive," regressions "missing,,insufficient"; do
		expect_usage compare "$T/base.json" "$T/base.json" --fail-on "$v" ||
			{ WHY="--fail-on '$v': $WHY"; return 1; }
		grep -q -- "--fail-on: expected a comma list of regression, inconclusive, insufficient, missing" \
			"$T/stderr" || fail "--fail-on '$v': $(first_err)" || return
	done
	expect_usage compare "$T/base.json" "$T/base.json" --fail-on
}

test_compare_help_documents_verdicts() {
	cb compare --help
	[ "$RC" -eq 0 ] || fail "exit $RC" || return
	grep -q "^threshold but not significant, or within it while the comparison could not" "$T/stdout" &&
		grep -q -- '--fail-on LIST' "$T/stdout" || fail "help lacks inconclusive or --fail-on" || return
	# the CI recipe passes --fail-on through to compare
	local script
	script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/ci-regress
	bash "$script" --help | grep -q -- '--fail-on LIST' || fail "ci-regress --help lacks --fail-on"
}

# Verdicts that cannot be written are a run failure, exit 3, also when a run regressed:
# that was exit 1, a regression reported by a job whose output was lost.
test_compare_stdout_full() {
	[ -w /dev/full ] || { WHY=; return 0; }
	make_report || return
	jq '.runs |= map((.samples_s | max / min * 1.2) as $f | .samples_s |= map(. * $f) | .median_s *= $f)' \
		"$T/base.json" >"$T/slow.json" || fail "jq could not build the slow copy" || return
	local fmt rc
	for fmt in table markdown json; do
		env TMPDIR="$PRIV_TMP" "$BIN" compare "$T/base.json" "$T/slow.json" --format "$fmt" \
			>/dev/full 2>"$T/stderr"
		rc=$?
		[ "$rc" -eq 3 ] || fail "$fmt: exit $rc, expected 3" || return
		grep -q '^concbench: compare: cannot write the verdicts: ' "$T/stderr" ||
			fail "$fmt: $(first_err)" || return
	done
}

# invocations NAME M...: $T/NAME-1.json ... from $T/base.json, invocation i with every
# run's six samples tight around M_i seconds (median exactly M_i); prints their comma list.
invocations() {
	local name=$1 i=1 m list=
	shift
	for m in "$@"; do
		jq --argjson m "$m" '.runs |= map(.samples_s = [$m * 0.998, $m * 0.999, $m, $m,
		    $m * 1.001, $m * 1.002] | .median_s = $m)' "$T/base.json" >"$T/$name-$i.json" ||
			{ fail "jq could not build $name-$i.json"; return 1; }
		list=$list${list:+,}$T/$name-$i.json
		i=$((i + 1))
	done
	echo "$list"
}

# Several reports a side are judged on invocation medians: seven a side, every new median
# above every base one (+51.6% in geometric means), is the most extreme of the C(14, 7)
# splits, exact permutation p = 2/3432, under Holm's alpha / runs: regressed, exit 1; the
# form with '--' is the same. Four a side can never reach p < 0.01 (2/70 at best):
# insufficient, exit 0.
test_compare_pooled_invocations() {
	make_report || return
	local base head n
	n=$(jq '.runs | length' "$T/base.json")
	base=$(invocations b 0.0010 0.0011 0.0012 0.0013 0.0014 0.0015 0.0016) || return
	head=$(invocations h 0.0018 0.00185 0.0019 0.00195 0.0020 0.00205 0.0021) || return
	cb compare "$base" "$head"
	[ "$RC" -eq 1 ] || fail "exit $RC, expected 1: $(first_err)" || return
	grep -q '^invocations: base 7, new 7; each run is judged on the medians of its invocations' \
		"$T/stdout" || fail "no line with the invocations" || return
	grep -q "^method: invocation medians (k=7 vs 7), log-scale permutation test, Holm over $n runs at family-wise alpha 0.01$" \
		"$T/stdout" || fail "no method line: $(grep '^method' "$T/stdout")" || return
	grep -q "^summary: $n regressed, 0 improved" "$T/stdout" ||
		fail "summary: $(grep '^summary' "$T/stdout")" || return
	[ "$(grep -c ' 7/7 .* +51\.6% .*  regressed$' "$T/stdout")" -eq "$n" ] ||
		fail "not $n rows 7/7 +51.6% regressed" || return
	grep -q '^power: with 7 invocations a side, this runner detects changes over .* on every run (90% probability at family-wise alpha 0.01; from the observed spread)$' \
		"$T/stdout" || fail "no power line: $(grep '^power' "$T/stdout")" || return
	cb compare "$base" "$head" --format json
	jq -e --argjson n "$n" '.base.invocations == 7 and .new.invocations == 7
	    and (.new.paths | length) == 7 and .summary.regressed == $n and .holm
	    and (.method | startswith("invocation medians (k=7 vs 7), log-scale permutation test"))
	    and .warnings == [] and (.summary.detectable_change | type) == "number"
	    and all(.comparisons[]; .base.n == 7 and .new.n == 7 and (.p * 3432 | round) == 2
	        and .p_method == "permutation-exact" and .power_from == "observed"
	        and (.detectable_change | type) == "number")' \
		"$T/stdout" >/dev/null || fail "json: $(jq -c '.base, .summary' "$T/stdout")" || return
	# B1 ... Bk -- N1 ... Nk: the same comparison
	cp "$T/stdout" "$T/comma.json"
	# shellcheck disable=SC2086  # the lists are split on purpose: one report per argument
	cb compare --format json ${base//,/ } -- ${head//,/ }
	[ "$RC" -eq 1 ] || fail "'--' form: exit $RC, expected 1: $(first_err)" || return
	[ "$(jq -c '.comparisons' "$T/stdout")" = "$(jq -c '.comparisons' "$T/comma.json")" ] ||
		fail "'--' form differs from the comma form" || return
	cb compare "${base%,*,*,*}" "${head%,*,*,*}"
	[ "$RC" -eq 0 ] || fail "four a side: exit $RC, expected 0" || return
	grep -q "^summary: 0 regressed, 0 improved, 0 unchanged, 0 inconclusive, $n insufficient" \
		"$T/stdout" || fail "four a side: $(grep '^summary' "$T/stdout")" || return
	grep -q 'insufficient: 4 and 4 invocations give p >= 0.029 at best; needs >= 5 invocations' \
		"$T/stdout" || fail "four a side: no note asking for invocations"
}

# ci-regress refuses what it cannot pass to compare, before building anything.
test_compare_ci_regress_refuses() {
	local script
	script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/ci-regress
	bash "$script" --invocations 0 >"$T/stdout" 2>"$T/stderr"
	[ $? -eq 2 ] || fail "--invocations 0: not exit 2" || return
	grep -q -- '--invocations: expected a count from 1 to 20' "$T/stderr" || fail "$(first_err)" || return
	bash "$script" --baseline "$T/a,b.json" >"$T/stdout" 2>"$T/stderr"
	[ $? -eq 2 ] || fail "--baseline with a comma: not exit 2" || return
	grep -q 'a path with a comma' "$T/stderr" || fail "$(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "stdout not empty"
}

# A loop that fell back to epoll, or threads under --gil, are other experiments than the
# plain runs of their executor: compare never judges one against the other, it lists them
# as missing on each side under their own names.
test_compare_variants_never_matched() {
	expect_ok io --executor thread,uring --workers 1 -r 6 --duration 1ms --tasks 8 \
		--format json --output "$OUTF" || return
	cp "$OUTF" "$T/plain.json" || fail "cp" || return
	jq '(.runs[] | select(.executor == "uring") | .backend) = "epoll"
	    | (.runs[] | select(.executor == "thread") | .gil) = true' "$T/plain.json" >"$T/variant.json" ||
		fail "jq" || return
	cb compare "$T/plain.json" "$T/variant.json" --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e '([.comparisons[] | .executor] == ["seq"])
	    and ([.only_in_base[]? // empty | .executor] | sort) == ["thread", "uring"]
	    and ([.only_in_new[]? // empty | .variant] | sort) == ["(epoll)", "+gil"]' \
		"$T/stdout" >/dev/null || fail "matched: $(jq -c '{c: [.comparisons[] | .executor], b: .only_in_base, n: .only_in_new}' "$T/stdout" | head -c 400)" || return
	cb compare "$T/plain.json" "$T/variant.json"
	grep -q 'io uring(epoll) workers=1 binding=none' "$T/stdout" "$T/stderr" ||
		fail "no uring(epoll) named: $(cat "$T/stdout" "$T/stderr" | grep -m2 -i 'only\|missing')" || return
	grep -q 'io thread+gil workers=1 binding=none' "$T/stdout" "$T/stderr" ||
		fail "no thread+gil named"
}
