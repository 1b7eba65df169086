# shellcheck shell=bash
# mpi: --executor mpi, its workers Open MPI ranks that mpirun starts on this host (a hostfile
# naming localhost twice stands for two hosts). Sourced by tests/cli/run.sh. Where mpirun is
# absent or concbench was built without Open MPI the tests that need them are skipped,
# saying so. No name matches the ThreadSanitizer list (Makefile's TSAN_CLI_TESTS): Open MPI
# is not built for it.

# Why the mpirun tests cannot run here; nothing when they can.
mpi_why_not() {
	if ! command -v mpirun >/dev/null 2>&1; then
		echo "mpirun is absent (Debian: openmpi-bin libopenmpi-dev, then make)"
	elif "$BIN" list 2>/dev/null | grep -q 'built without Open MPI'; then
		echo "concbench was built without Open MPI (make MPI=1 with libopenmpi-dev)"
	fi
}

# Open MPI's own allocations outlive MPI_Finalize, and LeakSanitizer would fail every rank
# of an ASan build for them: its leak check is off for the ranks, ASan's other checks stay.
MPI_ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# mpi_run NP [MPIRUN_OPTION...] -- ARGS...: concbench ARGS as NP ranks of mpirun, as cb runs
# it (RC, $T/stdout, $T/stderr). Open MPI's session files go to $T/ompi, not to TMPDIR.
mpi_run() {
	local np=$1 fault=()
	local mpi_opts=()
	shift
	while [ "$1" != -- ]; do
		mpi_opts+=("$1")
		shift
	done
	shift
	[ -n "$FAULT" ] && fault=(CONCBENCH_TEST_FAULT="$FAULT")
	mkdir -p "$T/ompi"
	RC=0
	env TMPDIR="$PRIV_TMP" OMPI_MCA_orte_tmpdir_base="$T/ompi" ASAN_OPTIONS="$MPI_ASAN_OPTIONS" \
		"${fault[@]}" \
		timeout -k 5 60 mpirun --allow-run-as-root --oversubscribe -np "$np" \
		"${mpi_opts[@]}" "$BIN" "$@" >"$T/stdout" 2>"$T/stderr" || RC=$?
}

# Outside mpirun, or in a build without Open MPI: bad input saying how to get it.
test_mpi_outside_mpirun() {
	expect_usage cpu --executor mpi --workers 1 --output "$OUTF" || return
	grep -q -e '^concbench: --executor mpi: needs its workers started by Open MPI: mpirun -np WORKERS+1' \
		-e '^concbench: --executor mpi: concbench was built without Open MPI: apt-get install libopenmpi-dev openmpi-bin, then make$' \
		"$T/stderr" || fail "stderr: $(first_err)"
}

# The other executors' runs stay as they were: mpi only when named.
test_mpi_never_by_default() {
	cb cpu --executor all --workers 2 --dry-run
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	! grep -qw mpi "$T/stdout" || fail "all includes mpi: $(grep -w mpi "$T/stdout" | head -n 1)"
}

# Every check of a verified mpi report: one rank per worker, each with its host and clock.
mpi_report_ok() {
	jq -e '
	  ([.runs[] | select(.executor == "mpi")] | length > 0 and all(
	    .verified == true and .start_skew_s >= 0 and (.ranks | length) == .workers and
	    ([.ranks[].rank] == [range(1; .workers + 1)]) and
	    ([.ranks[].worker] == [range(0; .workers)]) and
	    (.ranks | all((.host | length) > 0 and (.offset_s | type) == "number" and
	                  .offset_uncertainty_s >= 0 and (.mpi_bound | type) == "boolean"))))
	  and ([.runs[] | select(.executor != "mpi") | has("ranks")] | all(. == false))' \
		"$OUTF" >/dev/null ||
		fail "runs: $(jq -c '[.runs[] | {executor, workers, verified, ranks}]' "$OUTF" | cut -c1-300)"
}

# The done criterion, smaller: mpi beside seq and thread, every run verified on rank 0.
test_mpi_verified_report() {
	local why
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	mpi_run 3 -- cpu --executor seq,thread,mpi --workers 1,2 --size 4M --repetitions 3 \
		--warmup 1 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(grep -m1 concbench: "$T/stderr")" || return
	mpi_report_ok || return
	jq -e '[.runs[] | select(.executor == "mpi") | .workers] == [1, 2]' "$OUTF" >/dev/null ||
		fail "mpi runs: $(jq -c '[.runs[] | select(.executor == "mpi") | .workers]' "$OUTF")" ||
		return
	cb report "$OUTF"
	[ "$RC" -eq 0 ] || fail "report of it: exit $RC: $(first_err)" || return
	no_processes "$OUTF" || return
	tmpdir_empty
}

# Two "hosts" from a hostfile that names localhost twice.
test_mpi_hostfile() {
	local why
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	printf 'localhost\nlocalhost\n' >"$T/hostfile"
	mpi_run 3 --hostfile "$T/hostfile" -- cpu --executor mpi --workers 2 --size 2M \
		--repetitions 3 --warmup 0 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(grep -m1 concbench: "$T/stderr")" || return
	mpi_report_ok || return
	no_processes "$OUTF"
}

# More workers than ranks: bad input naming the -np it needs, before anything runs.
test_mpi_too_few_ranks() {
	local why
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	mpi_run 2 -- cpu --executor mpi --workers 1,2 --output "$OUTF"
	[ "$RC" -eq 2 ] || fail "exit $RC, expected 2: $(grep -m1 concbench: "$T/stderr")" || return
	[ "$(grep -c '^concbench: ' "$T/stderr")" -eq 1 ] ||
		fail "not one concbench line: $(grep concbench: "$T/stderr" | tr '\n' '|')" || return
	grep -q '^concbench: --workers 2: --executor mpi: 2 workers need 3 MPI ranks, mpirun started 2; start mpirun with -np WORKERS+1 (-np 3)$' \
		"$T/stderr" || fail "stderr: $(grep -m1 concbench: "$T/stderr")" || return
	[ ! -s "$T/stdout" ] || fail "stdout: $(head -c 80 "$T/stdout")" || return
	no_output_file || return
	no_processes "$OUTF"
}

# A rank that dies of a real SIGSEGV: rank 0 names it, the job ends with exit 3, no rank left.
test_mpi_rank_dies() {
	local why
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	mpi_run 3 -- cpu --executor mpi --workers 2 --inject crash:1:0 --size 2M --repetitions 3 \
		--warmup 0 --output "$OUTF"
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3: $(grep -m1 concbench: "$T/stderr")" || return
	grep -q '^concbench: cpu on mpi with 2 workers: worker 1 (rank 2 on [^ ]*) killed by signal 11 ' \
		"$T/stderr" || fail "stderr: $(grep -m1 concbench: "$T/stderr")" || return
	no_output_file || return
	no_processes "$OUTF"
}

# A rank that never finishes its task: --timeout names it, exit 3, every rank gone.
test_mpi_late_rank() {
	local why
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	FAULT=mpi:hang:0
	mpi_run 3 -- cpu --executor mpi --workers 2 --size 2M --repetitions 3 --warmup 0 \
		--timeout 2s --output "$OUTF"
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3: $(grep -m1 concbench: "$T/stderr")" || return
	grep -q 'cpu on mpi with 2 workers: worker 0 (rank 1 on [^ ]*) hung' "$T/stderr" ||
		fail "stderr: $(grep -m1 concbench: "$T/stderr")" || return
	no_output_file || return
	no_processes "$OUTF"
}

# Ctrl-C on mpirun: it ends the job (Open MPI's mpirun then exits with its own status, 1;
# rank 0's "interrupted" may not reach its stderr before mpirun exits), no rank is left and
# no report is written.
test_mpi_ctrl_c() {
	local why st=0 _
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	mkdir -p "$T/ompi"
	# timeout passes the SIGINT on to mpirun, and ends it if it never ends by itself.
	env TMPDIR="$PRIV_TMP" OMPI_MCA_orte_tmpdir_base="$T/ompi" ASAN_OPTIONS="$MPI_ASAN_OPTIONS" \
		timeout -k 5 60 mpirun --allow-run-as-root --oversubscribe -np 3 "$BIN" io \
		--executor mpi --workers 2 --repetitions 1000 --output "$OUTF" >"$T/stdout" \
		2>"$T/stderr" &
	BG_PID=$!
	# timeout, mpirun and its 3 ranks, then a second for rank 0 to be under way.
	for _ in $(seq 300); do
		[ "$(pgrep -c -f -- "$OUTF")" -ge 5 ] && break
		sleep 0.1
	done
	sleep 1
	kill -INT "$BG_PID"
	wait "$BG_PID" || st=$?
	BG_PID=
	[ "$st" -ne 0 ] || fail "mpirun exited 0" || return
	no_output_file || return
	no_processes "$OUTF"
}

# Binding: each rank plans on its own host and binds itself (--bind); a rank mpirun bound
# (--bind-to core) is recorded as such and left where mpirun put it.
test_mpi_binding() {
	local why
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	mpi_run 3 --bind-to none -- cpu --executor mpi --workers 2 --bind compact --size 2M \
		--repetitions 3 --warmup 0 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(grep -m1 concbench: "$T/stderr")" || return
	jq -e '.runs[] | select(.executor == "mpi") | .binding == "compact" and
	  ([.ranks[].pu] == .planned_cpus) and ([.ranks[].mpi_bound] == [false, false])' \
		"$OUTF" >/dev/null ||
		fail "compact: $(jq -c '[.runs[] | select(.executor == "mpi") | {planned_cpus, ranks}]' "$OUTF")" ||
		return
	rm -f "$OUTF"
	mpi_run 2 --bind-to core -- cpu --executor mpi --workers 1 --size 2M --repetitions 3 \
		--warmup 0 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(grep -m1 concbench: "$T/stderr")" || return
	jq -e '.runs[] | select(.executor == "mpi") | [.ranks[].mpi_bound] == [true]' "$OUTF" \
		>/dev/null || fail "--bind-to core: $(jq -c '[.runs[].ranks]' "$OUTF")" || return
	no_processes "$OUTF"
}

# What a launched pool cannot do is bad input under mpirun too, before anything runs: one
# static block per rank (no --schedule dynamic), no replacement of a dead rank.
test_mpi_refuses_dynamic_and_restart() {
	local why
	why=$(mpi_why_not)
	[ -z "$why" ] || { skip "$why"; return; }
	mpi_run 3 -- cpu --executor mpi --workers 2 --schedule dynamic --output "$OUTF"
	[ "$RC" -eq 2 ] || fail "--schedule dynamic: exit $RC, expected 2: $(grep -m1 concbench: "$T/stderr")" || return
	grep -q '^concbench: --schedule dynamic: --executor mpi sends each worker one static block; expected --schedule static$' \
		"$T/stderr" || fail "stderr: $(grep -m1 concbench: "$T/stderr")" || return
	no_output_file || return
	no_processes "$OUTF" || return
	mpi_run 3 -- cpu --executor mpi --workers 2 --on-crash restart --output "$OUTF"
	[ "$RC" -eq 2 ] || fail "--on-crash restart: exit $RC, expected 2: $(grep -m1 concbench: "$T/stderr")" || return
	[ "$(grep -c '^concbench: ' "$T/stderr")" -eq 1 ] ||
		fail "not one concbench line: $(grep concbench: "$T/stderr" | tr '\n' '|')" || return
	grep -q '^concbench: --on-crash restart: --executor mpi cannot replace a worker' "$T/stderr" ||
		fail "stderr: $(grep -m1 concbench: "$T/stderr")" || return
	[ ! -s "$T/stdout" ] || fail "stdout: $(head -c 80 "$T/stdout")" || return
	no_output_file || return
	no_processes "$OUTF"
}
