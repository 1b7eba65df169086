# shellcheck shell=bash
# Counters per worker (perf_event_open): every run of every executor carries the software
# counters, a missing counter is null with the run's one reason, and the loader checks the
# fields. Sourced by tests/cli/run.sh. Holds on a machine with or without a PMU.

CTR_KEYS='["context_switches","cpu_migrations","cycles","dtlb_misses","instructions","llc_misses","major_faults","minor_faults","page_faults","ref_cycles","task_clock_s"]'

# task-clock > 0 per run and per worker; the keys of schema.md; a null counter has a reason,
# and null hardware counters are named in it.
test_counters_every_run() {
	expect_ok cpu --workers 1,2 -r 3 --warmup 0 --format json --output "$OUTF" || return
	local problems
	problems=$(jq -r --argjson keys "$CTR_KEYS" '
	  .runs[] | . as $r | "\(.executor) x\(.workers)" as $name
	  | if (.counters | type) != "object" then "\($name): no counters"
	    elif (.counters | keys) != $keys then "\($name): counters keys \(.counters | keys)"
	    elif ((.counters.task_clock_s | type) != "number" or .counters.task_clock_s <= 0)
	      then "\($name): task_clock_s \(.counters.task_clock_s)"
	    elif (.counters_per_worker | length) != .workers
	      then "\($name): \(.counters_per_worker | length) per-worker objects"
	    elif any(.counters_per_worker[]; (.task_clock_s | type) != "number" or .task_clock_s <= 0)
	      then "\($name): a worker without task_clock_s"
	    elif (.counters_derived | keys) != ["ghz","instructions_per_item","ipc"]
	      then "\($name): counters_derived keys \(.counters_derived | keys)"
	    elif ([.counters[] | select(. == null)] | length) > 0 and (.counters_unavailable | type) != "string"
	      then "\($name): null counters without a reason"
	    elif ([.counters.instructions, .counters.cycles, .counters.ref_cycles, .counters.llc_misses,
	           .counters.dtlb_misses] | all(. == null))
	         and (.counters_unavailable | test("^(hardware|all) counters: ") | not)
	      then "\($name): hardware counters null, reason: \(.counters_unavailable)"
	    else empty end
	' "$T/report.json" 2>&1)
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')" || return
	cb report "$T/report.json"
	[ "$RC" -eq 0 ] || fail "report refused its own counters: $(first_err)" || return
}

# The loader refuses a negative count and a per-worker entry that is no object, naming the
# field; a report without any counters field (older) still reads.
test_counters_loader_rules() {
	expect_ok cpu --workers 2 -r 3 --warmup 0 --format json --output "$OUTF" || return
	rm -f "$OUTF"
	jq '.runs[1].counters.page_faults = -1' "$T/report.json" >"$T/neg.json"
	expect_usage report "$T/neg.json" || return
	grep -Fq '"counters.page_faults" is not a finite number >= 0 or null' "$T/stderr" ||
		fail "no message naming counters.page_faults: $(first_err)" || return
	jq '.runs[0].counters_per_worker = ["x"]' "$T/report.json" >"$T/pw.json"
	expect_usage report "$T/pw.json" || return
	grep -Fq '"counters_per_worker[0]"' "$T/stderr" ||
		fail "no message naming counters_per_worker[0]: $(first_err)" || return
	jq '.runs[] |= del(.counters, .counters_per_worker, .counters_unavailable, .counters_derived)' \
		"$T/report.json" >"$T/old.json"
	cb report "$T/old.json"
	[ "$RC" -eq 0 ] || fail "a report without counters refused: $(first_err)" || return
}

# Out of descriptors: the thread workers that cannot open their counters leave them null,
# the run still succeeds and its reason says why and for how many workers. 32 threads of
# 6 software counters need more than the 160 descriptors allowed here (64 stay reserved).
test_counters_out_of_descriptors() {
	RC=0
	(ulimit -n 160 && env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$BIN" cpu --executor thread \
		--workers 32 -r 3 --warmup 0 --size 1M --format json >"$T/stdout" 2>"$T/stderr") || RC=$?
	[ "$RC" -eq 0 ] || fail "exit $RC (stderr: $(first_err))" || return
	local why
	why=$(jq -r '.runs[] | select(.executor == "thread") | .counters_unavailable' "$T/stdout")
	case $why in
	*"out of file descriptors (perf_event_open: EMFILE)"*"of 32 workers)") ;;
	*) fail "reason: $why" || return ;;
	esac
	jq -e '.runs[] | select(.executor == "seq") | .counters.task_clock_s > 0' "$T/stdout" >/dev/null ||
		fail "the baseline lost its counters" || return
	tmpdir_empty
}
