# shellcheck shell=bash
# cores: per-PU cells and the core-to-core latency matrix, both measured through the core
# (cell_run): the documents' shape, and hung, crashed or unbound workers reported as run
# failures with nothing left behind. Sourced by run.sh: uses its helpers (cb, fail,
# no_processes, tmpdir_empty...).

# The keys of a document, sorted, as one line.
cores_keys() {
	jq -r '[keys[]] | join(",")' "$1"
}

# The latency matrix of every pair of allowed PUs, for threads (one-way handoffs of a cache
# line) and processes (pipe round trips): symmetric, empty diagonal, one pair each, and for
# threads the hidden-SMT pairs (test_cores_latency_smt_like_pairs).
test_cores_latency_pair_matrix() {
	local ex metric smt
	for ex in thread fork; do
		metric=one_way_ns smt=smt_like_pairs,
		[ "$ex" = fork ] && metric=round_trip_ns smt=
		cb cores --latency --executor "$ex" --handoffs 200 --batches 2 --format json
		[ "$RC" -eq 0 ] || fail "$ex: exit $RC: $(first_err)" || return
		[ "$(cores_keys "$T/stdout")" = "batches,cpu_model,executor,handoffs_per_batch,hwloc,matrix,method,metric,mode,pairs,pus,schema,${smt}topology,warmup_batches" ] ||
			fail "$ex: keys $(cores_keys "$T/stdout")" || return
		jq -e --arg ex "$ex" --arg metric "$metric" --argjson n "$(nproc)" '
		    .schema == "concbench-cores/1" and .mode == "latency" and .executor == $ex
		    and .metric == $metric and .batches == 2 and .handoffs_per_batch == 200
		    and .warmup_batches == 1 and (.pus | length) == $n
		    and (.pairs | length) == $n * ($n - 1) / 2
		    and ([range($n) as $i | range($n) as $j | .matrix[$i][$j]
		          | if $i == $j then . == null else . > 0 end] | all)
		    and ([range($n) as $i | range($n) as $j | .matrix[$i][$j] == .matrix[$j][$i]] | all)
		    and all(.pairs[]; .median_ns > 0 and .min_ns > 0 and .min_ns <= .median_ns
		                      and .a != .b and (.shared_level | length) > 0)' \
			"$T/stdout" >/dev/null || fail "$ex: not a full matrix: $(jq -c '[.matrix, .pairs]' "$T/stdout")" ||
			return
		cb cores --latency --executor "$ex" --handoffs 200 --batches 2
		[ "$RC" -eq 0 ] || fail "$ex text: exit $RC: $(first_err)" || return
		grep -q "^core-to-core latency, $ex: .*; median of 2 batches of 200$" "$T/stdout" &&
			grep -q '^by the closest level both PUs share:$' "$T/stdout" ||
			fail "$ex text: $(head -n 1 "$T/stdout")" || return
	done
}

# Pairs of threads far faster than the pairs hwloc places alike are reported as SMT-like:
# always an array in JSON, each entry a measured pair below half its level's median. Which
# pairs a machine has depends on its hardware (the detection is unit-tested on crafted
# matrices, tests/unit/test_smt.c); with two PUs the one pair is its own median, so none.
test_cores_latency_smt_like_pairs() {
	local n
	n=$(nproc)
	cb cores --latency --handoffs 200 --batches 2 --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e --argjson n "$n" '(.smt_like_pairs | type) == "array"
	    and ($n > 2 or (.smt_like_pairs | length) == 0)
	    and (.pairs as $p | all(.smt_like_pairs[];
	        (keys | join(",")) == "a,b,median_ns,ns,shared_level"
	        and .ns < 0.5 * .median_ns and .shared_level != "Core"
	        and ({a, b, ns} as $s | any($p[]; {a, b, ns: .median_ns} == $s))))' \
		"$T/stdout" >/dev/null || fail "smt_like_pairs: $(jq -c .smt_like_pairs "$T/stdout")" ||
		return
	[ "$n" -gt 2 ] && return
	cb cores --latency --handoffs 200 --batches 2
	[ "$RC" -eq 0 ] || fail "text: exit $RC: $(first_err)" || return
	! grep -q 'behave like SMT siblings' "$T/stdout" || fail "text: $(grep SMT "$T/stdout")"
}

# One pinned, verified cell per PU on every executor that can pin one worker.
test_cores_per_pu_each_executor() {
	local ex
	for ex in thread fork shm; do
		cb cores --size 1M --repetitions 2 --warmup 0 --executor "$ex" --format json
		[ "$RC" -eq 0 ] || fail "$ex: exit $RC: $(first_err)" || return
		[ "$(cores_keys "$T/stdout")" = "cpu_model,executor,fastest_pu,hwloc,items,mode,params,pus,pus_differ,repetitions,schema,slower_pus,topology,unit,verdict,warmup,workload" ] ||
			fail "$ex: keys $(cores_keys "$T/stdout")" || return
		jq -e --arg ex "$ex" --argjson n "$(nproc)" '
		    .mode == "pu" and .executor == $ex and .workload == "cpu" and .repetitions == 2
		    and .warmup == 0 and .unit == "numbers" and .items == 1000000
		    and (.pus | length) == $n and (.fastest_pu as $f | [.pus[].pu_os_index] | any(. == $f))
		    and all(.pus[]; .verified and (.samples_s | length) == 2 and .median_s > 0
		            and .off_pu_repetitions == 0 and .ratio_to_fastest >= 1)' \
			"$T/stdout" >/dev/null || fail "$ex: $(jq -c .pus "$T/stdout")" || return
	done
	cb cores --size 1M --repetitions 2
	[ "$RC" -eq 0 ] || fail "text: exit $RC: $(first_err)" || return
	grep -q '^cpu on thread: one worker pinned on each PU in turn; median of 2 repetitions after 1 warm-up$' \
		"$T/stdout" && grep -q '^fastest: PU [0-9]*' "$T/stdout" ||
		fail "text: $(head -n 1 "$T/stdout")"
}

# expect_cores_failure PATTERN ARGS...: exit 3, one stderr line matching PATTERN, nothing
# written, no process left (the --output path is in every process's command line).
expect_cores_failure() {
	local pat=$1
	shift
	cb cores "$@" --output "$OUTF"
	[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "still running after 60 s" || return
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	# One line, and a second only to say that a worker thread stuck in a task ends the
	# process (as run does).
	head -n 1 "$T/stderr" | grep -Eq "$pat" &&
		{ [ "$(grep -c '' "$T/stderr")" -eq 1 ] || [ "$(tail -n +2 "$T/stderr")" = \
			"concbench: a worker thread could not be stopped; exiting" ]; } ||
		fail "stderr is not one line matching '$pat': $(tr '\n' '|' <"$T/stderr" | cut -c1-200)" ||
		return
	[ ! -s "$T/stdout" ] || fail "stdout not empty: $(head -c 80 "$T/stdout")" || return
	no_output_file || return
	no_processes "$OUTF" || return
	tmpdir_empty
}

# A responder that never answers (the executor's deadline for the batch reports the pair's
# workers hung and kills them: this was a hand-written poll and reap in cores), an
# initiator that dies, a side that could not be bound (the pair measures nothing): each is
# a run failure. One case a line: FAULT|STDERR PATTERN|ARGUMENTS.
test_cores_latency_failures() {
	local fault pat args
	while IFS='|' read -r fault pat args; do
		# shellcheck disable=SC2086  # ARGUMENTS is a list of arguments
		FAULT=$fault expect_cores_failure "^concbench: --latency: PU [0-9]+ and PU [0-9]+: $pat" \
			--latency $args || { WHY="$fault: $WHY"; return 1; }
	done <<'LIST'
fork:hang:1|worker [01] \(pid [0-9]+\) hung: |--executor fork --handoffs 2 --batches 1
thread:hang:1|worker [01] hung: |--handoffs 2 --batches 1
fork:crash:0|worker 0 \(pid [0-9]+\) killed by signal 11 |--executor fork --handoffs 200 --batches 2
thread:bindfail:1|worker 1 could not be bound to PU [0-9]+: |--handoffs 200 --batches 2
LIST
}

test_cores_per_pu_crash() {
	FAULT=shm:crash:5 expect_cores_failure \
		'^concbench: cpu on shm pinned on PU [0-9]+: worker 0 \(pid [0-9]+\) killed by signal 11 ' \
		--size 1M --executor shm --repetitions 2
}

# The latency workloads are listed, but are no commands of their own.
test_cores_latency_workloads_listed() {
	cb list
	[ "$RC" -eq 0 ] || fail "list: exit $RC" || return
	grep -q '^  pingpong latency: ' "$T/stdout" && grep -q '^  pipepong latency: ' "$T/stdout" ||
		fail "list lacks pingpong or pipepong" || return
	expect_usage pingpong --output "$OUTF" || return
	expect_usage cores --workload pipepong --output "$OUTF"
}

# Each PU's median with its 95% interval; "slower" only where a PU's interval lies wholly
# above the fastest PU's, and a verdict that says which (or that none) differ, in JSON and
# in text, consistent with the intervals printed. Whatever the machine's noise: the test
# checks the consistency, never which way it goes.
test_cores_per_pu_verdict() {
	cb cores --size 1M --repetitions 6 --warmup 0 --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e '. as $d | ($d.pus[] | select(.pu_os_index == $d.fastest_pu)) as $f
	    | all(.pus[]; (.ci95_s | length) == 2 and .ci95_s[0] <= .median_s
	                  and .median_s <= .ci95_s[1] and .ci95_level >= 0.95
	                  and .slower == (.ci95_s[0] > $f.ci95_s[1]))
	    and .slower_pus == [.pus[] | select(.slower) | .pu_os_index]
	    and .pus_differ == (.slower_pus | length > 0)
	    and if .pus_differ then
	          (.verdict | test("^PUs? [0-9, ]+ slower than PU [0-9]+ \\(95% intervals do not overlap\\)$"))
	          and (.verdict | test(" slower than PU \($d.fastest_pu) "))
	        else .verdict == "no significant difference between PUs (every PU'"'"'s 95% interval overlaps the fastest PU'"'"'s)"
	        end' "$T/stdout" >/dev/null ||
		fail "verdict against intervals: $(jq -c '{verdict, pus_differ, slower_pus, fastest_pu, p: [.pus[] | [.pu_os_index, .median_s, .ci95_s, .slower]]}' "$T/stdout")" ||
		return
	# text: an interval on every PU row, and rows marked slower exactly as the verdict says
	cb cores --size 1M --repetitions 6 --warmup 0
	[ "$RC" -eq 0 ] || fail "text: exit $RC: $(first_err)" || return
	local rows marked said
	rows=$(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^-?[0-9]+$/' "$T/stdout")
	[ "$(printf '%s\n' "$rows" | grep -c '\[.*, .*\]')" -eq "$(nproc)" ] ||
		fail "rows without an interval: $rows" || return
	marked=$(printf '%s\n' "$rows" | awk '/\(slower\)$/ { print $1 }' | sort -n | tr '\n' ' ')
	grep -q '^verdict: ' "$T/stdout" || fail "no verdict line" || return
	if grep -q '^verdict: no significant difference between PUs' "$T/stdout"; then
		[ -z "$marked" ] && ! grep -q '% slower' "$T/stdout" ||
			fail "'slower' with overlapping intervals: $(grep -e slower "$T/stdout" | tr '\n' '|')" ||
			return
	else
		said=$(sed -n 's/^verdict: PUs\{0,1\} \([0-9, ]*\) slower than PU .*/\1/p' "$T/stdout" |
			tr -d ',' | tr ' ' '\n' | sort -n | tr '\n' ' ')
		[ "$said" = "$marked" ] || fail "verdict '$said', rows marked '$marked'" || return
	fi
	# fewer than 6 repetitions: no interval, nothing called slower
	cb cores --size 1M --repetitions 2 --warmup 0 --format json
	[ "$RC" -eq 0 ] || fail "2 repetitions: exit $RC: $(first_err)" || return
	jq -e '.pus_differ == null and .slower_pus == [] and (.verdict | startswith("not judged"))
	    and all(.pus[]; .ci95_s == null and .slower == false)' "$T/stdout" >/dev/null ||
		fail "2 repetitions: $(jq -c '{verdict, pus_differ, slower_pus}' "$T/stdout")" || return
	cb cores --size 1M --repetitions 2 --warmup 0
	grep -q '^verdict: not judged' "$T/stdout" && ! grep -q '% slower' "$T/stdout" ||
		fail "2 repetitions, text: $(tail -n 2 "$T/stdout" | tr '\n' '|')"
}

# The latency output has one unit, stated above the matrix, in the matrix and the summary
# alike (a pipe round trip in us printed as ns below it before); with two PUs the one
# pair's number is the same in both.
test_cores_latency_one_unit() {
	local ex unit other cell sum
	for ex in thread fork; do
		cb cores --latency --executor "$ex" --handoffs 200 --batches 2
		[ "$RC" -eq 0 ] || fail "$ex: exit $RC: $(first_err)" || return
		unit=$(sed -n 's/^(all times in \(ns\|us\))$/\1/p' "$T/stdout")
		[ -n "$unit" ] || fail "$ex: no unit line: $(sed -n 2p "$T/stdout")" || return
		other=ns
		[ "$unit" = ns ] && other=us
		! grep -Eq "[0-9] $other\b|\($other\)" "$T/stdout" ||
			fail "$ex: $other in a $unit output: $(grep -E "[0-9] $other|\($other\)" "$T/stdout" | head -n 1)" ||
			return
		grep -Eq "^  [A-Za-z0-9]+ +[0-9.]+ $unit  \(median of" "$T/stdout" ||
			fail "$ex: summary not in $unit" || return
		[ "$(nproc)" -eq 2 ] || continue
		cell=$(awk '$1 == "0" && $2 == "-" { print $3 }' "$T/stdout")
		sum=$(awk '/\(median of 1 pair\)/ { print $2 }' "$T/stdout")
		[ -n "$cell" ] && [ "$cell" = "$sum" ] || fail "$ex: matrix '$cell', summary '$sum'" || return
	done
}
