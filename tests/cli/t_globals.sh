# shellcheck shell=bash
# The plan and the memory placement travel in each pool's configuration: every executor's
# workers run where the plan put them, with nothing left over from an earlier cell.
# Sourced by run.sh: uses its helpers (expect_ok, fail, tmpdir_empty...).

# allowed_pus: the OS indexes of the PUs concbench may run on, one per line (its compact
# plan over all of them).
allowed_pus() {
	"$BIN" topo --bind compact --format json 2>/dev/null | jq -r '.plan[].pu_os_index'
}

# One worker bound to the last allowed PU (a cpuset of one): each executor but the
# unbound baseline ran there in every sample.
test_bind_one_pu_every_executor() {
	local pu
	pu=$(allowed_pus | tail -n 1)
	[ -n "$pu" ] || fail "cannot read this process's affinity" || return
	expect_ok cpu --size 2M --workers 1 --executor thread,fork,shm --bind "$pu" \
		--repetitions 3 --warmup 0 --format json --output "$OUTF" || return
	jq -e --argjson pu "$pu" '
		[.runs[] | select(.executor != "seq")] as $r
		| ($r | length) == 3
		and all($r[]; .planned_cpus == [$pu] and .cpus == [$pu] and .strayed_samples == 0
			      and .binding_error == null and .verified)
		and (.runs[] | select(.executor == "seq") | .planned_cpus) == null' "$OUTF" \
		>/dev/null ||
		fail "not every executor ran on PU $pu: $(jq -c '[.runs[] | [.executor,
			.planned_cpus, .cpus, .strayed_samples]]' "$OUTF")"
}

# Two cells one after the other with different plans (1 and 2 workers, compact): each
# worker count gets its own plan, the second cell is not bound by the first's.
test_bind_compact_plan_per_cell() {
	[ "$(allowed_pus | wc -l)" -ge 2 ] || { echo "# skip: fewer than 2 allowed PUs"; return 0; }
	expect_ok cpu --size 2M --workers 1..2 --executor thread,shm --bind compact \
		--repetitions 3 --warmup 0 --format json --output "$OUTF" || return
	jq -e '[.runs[] | select(.executor != "seq")] as $r
		| ($r | length) == 4
		and all($r[]; (.planned_cpus | length) == .workers
			      and (.planned_cpus | unique | length) == .workers
			      and ((.cpus - .planned_cpus) | length) == 0
			      and .strayed_samples == 0 and .binding_error == null)' "$OUTF" \
		>/dev/null ||
		fail "a cell did not run on its own plan: $(jq -c '[.runs[] | [.executor, .workers,
			.planned_cpus, .cpus, .strayed_samples]]' "$OUTF")"
}
