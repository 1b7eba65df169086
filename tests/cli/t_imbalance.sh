# shellcheck shell=bash
# Imbalance and the machine's own noise: the per-run fields (imbalance, slowest and fastest
# worker, observed PUs, steal), the busy processes at the start, the table's marker, the
# loader's rules, and the warnings by cause on stderr. Sourced by tests/cli/run.sh.

IMB_FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/report-2vcpu.json

# Every run carries the fields, consistent with its own worker_s and cpus; every run the
# figures flag has its record, and no record without the figure.
test_imbalance_report_fields() {
	expect_ok cpu --size 1M --workers 1..2 --repetitions 3 --warmup 0 --format json \
		--output "$OUTF" || return
	local problems
	problems=$(jq -r '
	  .topology.pus as $pus | .warnings as $w
	  | (.busy_processes | type) as $t | (select($t != "array") | "busy_processes: \($t)"),
	    (.runs | to_entries[] | .key as $i | .value as $r
	     | (select(($r.observed_pus) != ($r.cpus | length)) | "runs[\($i)]: observed_pus"),
	       (select($r.steal_fraction != null and ($r.steal_fraction < 0 or $r.steal_fraction > 1))
	        | "runs[\($i)]: steal_fraction"),
	       (if $r.workers == 1 then
	          select($r.imbalance != null or $r.slowest_worker != null or $r.fastest_worker != null)
	          | "runs[\($i)]: figures with one worker"
	        else
	          (select(($r.imbalance | type) != "number" or $r.imbalance < 1) | "runs[\($i)]: imbalance"),
	          (select($r.slowest_worker.worker >= $r.workers or $r.fastest_worker.worker >= $r.workers)
	           | "runs[\($i)]: worker index"),
	          (select($r.slowest_worker.time_s < $r.fastest_worker.time_s) | "runs[\($i)]: slowest < fastest"),
	          (select(($r.imbalance > 1.2) != ([$w[] | select(.run == $i and .code == "imbalance")] | length == 1))
	           | "runs[\($i)]: imbalance \($r.imbalance) and its records disagree"),
	          (select(($r.stacked_repetitions | type) != "number" or $r.stacked_repetitions > $r.repetitions)
	           | "runs[\($i)]: stacked_repetitions"),
	          (select((($r.observed_pus < $r.workers or 2 * $r.stacked_repetitions > $r.repetitions)
	                   and $r.workers <= $pus)
	                  != ([$w[] | select(.run == $i and .code == "fewer-pus")] | length == 1))
	           | "runs[\($i)]: observed_pus \($r.observed_pus) and fewer-pus disagree")
	        end))
	' "$OUTF" 2>&1)
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')" || return
	cb report "$OUTF"
	[ "$RC" -eq 0 ] || fail "report refuses its own fields: $(first_err)"
}

# The marker and the line under the table, from a crafted report: the thread run at 2
# workers imbalanced, the fork run just under the limit. Without "imbalance" (the golden
# file) nothing changes: tests/cli/run.sh compares those renderings byte for byte.
test_imbalance_render_marker() {
	jq '(.runs | map(.workload == "cpu" and .executor == "thread" and .workers == 2) | index(true)) as $t
	  | (.runs | map(.workload == "cpu" and .executor == "fork" and .workers == 2) | index(true)) as $f
	  | .runs[$t].imbalance = 1.45
	  | .runs[$t].slowest_worker = {worker: 1, pu: 3, time_s: 0.03}
	  | .runs[$f].imbalance = 1.2
	  | .runs[$f].slowest_worker = {worker: 0, pu: null, time_s: 0.02}' "$IMB_FIX" >"$T/imb.json" ||
		fail "jq" || return
	cb report "$T/imb.json"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q '^  2          1.99x +-0.76      27.41 ms 100%! noisy' "$T/stdout" ||
		fail "no marker on thread x2: $(grep '^  2 ' "$T/stdout" | head -n 1)" || return
	[ "$(grep -c '%!' "$T/stdout")" -eq 1 ] || fail "a marker on another cell" || return
	grep -Fxq '  imbalance over 1.2: thread x2 (slowest worker 1 on PU 3, 1.45x the median)' \
		"$T/stdout" || fail "no line naming the slowest worker: $(grep imbalance "$T/stdout")" ||
		return
	grep -q "!: the run's slowest worker took over 1.2x the median worker's time" \
		"$T/stdout" || fail "no legend of the marker" || return
	cb report "$T/imb.json" --format markdown
	grep -q '| 1.99x ±0.76, 27.41 ms, 100% ! noisy |' "$T/stdout" || fail "markdown: no marker" || return
	grep -Fxq 'imbalance over 1.2: thread x2 (slowest worker 1 on PU 3, 1.45x the median)' \
		"$T/stdout" || fail "markdown: no line" || return
	# csv keeps its columns
	cb report "$T/imb.json" --format csv
	cmp -s "$T/stdout" "$(dirname "$IMB_FIX")/report-2vcpu.csv" || fail "csv changed"
}

# The loader accepts the new fields and their absence (the golden file), and refuses them
# malformed, naming the field.
test_imbalance_loader_rules() {
	jq '.runs[1].imbalance = 1.1 | .runs[1].observed_pus = 2 | .runs[1].steal_fraction = 0 | .runs[1].stacked_repetitions = 3
	  | .runs[1].slowest_worker = {worker: 1, pu: null, time_s: 0.1}
	  | .runs[1].fastest_worker = null
	  | .busy_processes = [{pid: 42, command: "sh", cpu_share: 0.98, pu: 1}]' "$IMB_FIX" \
		>"$T/good.json" || fail "jq" || return
	cb report "$T/good.json"
	[ "$RC" -eq 0 ] || fail "good fields refused: $(first_err)" || return
	local edit pat
	while IFS='|' read -r edit pat; do
		jq "$edit" "$IMB_FIX" >"$T/bad.json" || fail "jq: $edit" || return
		cb report "$T/bad.json"
		[ "$RC" -eq 2 ] && grep -q -- "$pat" "$T/stderr" ||
			fail "$edit: exit $RC: $(first_err)" || return
	done <<'EOF'
.runs[1].imbalance = -1|"imbalance"
.runs[1].observed_pus = 1.5|"observed_pus"
.runs[1].stacked_repetitions = -2|"stacked_repetitions"
.runs[1].steal_fraction = 2|"steal_fraction"
.runs[1].slowest_worker = {worker: -1}|"slowest_worker.worker"
.runs[1].fastest_worker = {worker: 0, pu: "x"}|"fastest_worker.pu"
.busy_processes = [{pid: 0, command: "sh", cpu_share: 1}]|"busy_processes\[0\].pid"
.busy_processes = {}|"busy_processes"
EOF
}

# --quiet keeps the warnings on stderr, one line per cause; a table without --output
# never points at a report.
test_imbalance_quiet_keeps_warnings() {
	cb cpu --size 1M --workers 2 --repetitions 3 --warmup 0 --quiet --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q '^concbench: warning: too few samples: ' "$T/stderr" ||
		fail "--quiet dropped the warnings: $(tr '\n' '|' <"$T/stderr")" || return
	cb cpu --size 1M --workers 2 --repetitions 3 --warmup 0
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	! grep -qi 'see the report' "$T/stdout" "$T/stderr" ||
		fail "points at a report that was not written" || return
	grep -q 'warnings about noise or placement, by cause on stderr' "$T/stdout" ||
		fail "the table does not say where the warnings are"
}

# Another process holding PU 1 busy while 2 unbound workers run. The scheduler may still
# give the workers both PUs, and the busy loop may get less than half a PU on a loaded
# machine, so the test asserts what must hold either way: a run seen on fewer PUs than
# workers (over the run, or in most repetitions) has its loud fewer-pus warning on stderr; the loop, when the report measured it
# over half a PU, is named by a busy-process warning, on the busy-machine line, which comes
# before every run's cause.
test_imbalance_busy_loop() {
	command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ] || return 0
	local loop
	taskset -c 1 sh -c 'while :; do :; done' &
	loop=$!
	BG_PID=$loop            # killed by run.sh's EXIT trap if this test stops early
	sleep 0.2
	cb cpu --size 8M --workers 2 --bind none --executor thread,fork --repetitions 6 \
		--output "$OUTF"
	kill -KILL "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	BG_PID=
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	local pus fewer share
	pus=$(jq '.topology.pus' "$OUTF")
	fewer=$(jq --argjson p "$pus" '[.runs[] | select(.workers > 1 and .workers <= $p and
	          (.observed_pus < .workers or 2 * .stacked_repetitions > .repetitions))] | length' "$OUTF")
	if [ "$fewer" -gt 0 ]; then
		grep -q "^concbench: warning: fewer PUs than workers: $fewer runs\? (" "$T/stderr" ||
			fail "$fewer runs on fewer PUs, no loud warning: $(tr '\n' '|' <"$T/stderr")" ||
			return
		[ "$(jq '[.warnings[] | select(.code == "fewer-pus")] | length' "$OUTF")" -eq "$fewer" ] ||
			fail "fewer-pus records differ from the runs" || return
	else
		! grep -q 'fewer PUs than workers' "$T/stderr" || fail "fewer-pus without a cause" ||
			return
	fi
	share=$(jq --argjson pid "$loop" '[.busy_processes[] | select(.pid == $pid) | .cpu_share]
	                                  | first // 0' "$OUTF")
	if jq -en --argjson s "$share" '$s > 0.5' >/dev/null; then
		jq -e --arg pid "$loop" '[.warnings[] | select(.code == "busy-process" and .run == null
		       and (.text | startswith("sh (pid " + $pid + ") used ")))] | length == 1' "$OUTF" \
			>/dev/null || fail "the loop used $share of a PU, no busy-process record" || return
		grep -q "^concbench: warning: busy machine: .*sh (pid $loop) used" "$T/stderr" ||
			fail "stderr does not name the loop: $(tr '\n' '|' <"$T/stderr")" || return
		[ "$(grep -m1 -n 'warning: ' "$T/stderr" | cut -d: -f1)" = \
		  "$(grep -n 'warning: busy machine: ' "$T/stderr" | cut -d: -f1)" ] ||
			fail "the busy machine is not the first cause" || return
	fi
	# The busiest first, none under a tenth of a PU, at most five.
	jq -e '.busy_processes | length <= 5 and all(.cpu_share >= 0.1)
	       and (map(.cpu_share) == (map(.cpu_share) | sort | reverse))' "$OUTF" >/dev/null ||
		fail "busy_processes: $(jq -c .busy_processes "$OUTF")" || return
	tmpdir_empty
}
