# shellcheck shell=bash
# Command-line tests of bad input, outputs and topologies (sourced by run.sh, which provides
# cb, expect_usage, expect_ok, tmpdir_empty, no_output_file, bg_start, bg_wait, $T, $OUTF,
# $OUTDIR, $PRIV_TMP and $FIX_DIR). Every run goes through `timeout` (cb, bg_wait), so a
# regression that hangs fails the test instead of the suite.

# ---- bounds: what would run for ever, or contradicts itself ---------------------------------

# --size 2^64-1 was accepted and summed squares for centuries.
test_cli_size_unbounded() { expect_usage cpu --output "$OUTF" --size 18446744073709551615; }
# Within the bound for one worker, over it in all with weak scaling: refused by the workload.
test_cli_size_weak_total_unbounded() {
	expect_usage cpu --output "$OUTF" --size 1T --scaling weak --workers 2
}
test_cli_size_named_in_error() {
	cb cpu --output "$OUTF" --size 2T
	[ "$RC" -eq 2 ] || fail "exit $RC, expected 2: $(first_err)" || return
	grep -q -- '--size:.*1000000000000' "$T/stderr" || fail "no bound named: $(first_err)"
}
# 4096 tasks of 60 s: 68 hours of sleep a repetition.
test_cli_io_sleep_unbounded() { expect_usage io --output "$OUTF" --tasks 4096 --duration 60s; }
test_cli_min_time_over_max_time() {
	expect_usage cpu --output "$OUTF" --repetitions auto --min-time 5s --max-time 1s
}
# 10^8 PUs: hwloc would build them for ever.
test_cli_topology_too_many_pus() {
	expect_usage topo --topology 'synthetic:pack:1000 core:1000 pu:100' || return
	expect_usage cpu --output "$OUTF" --topology 'synthetic:pack:1000 core:1000 pu:100' || return
	# 32768 PUs took 28 s; 16384 is the documented bound.
	expect_usage topo --topology 'synthetic:pack:32 core:32 pu:32' || return
	grep -q '16384' "$T/stderr" || fail "the bound is not named: $(first_err)"
}
# One wide level is what makes hwloc slow (pack:32768 pu:1 never finishes).
test_cli_topology_too_wide() { expect_usage topo --topology 'synthetic:pack:2 core:4096 pu:1'; }
test_cli_topology_at_bound_loads() {
	cb topo --topology 'synthetic:pack:16 core:32 pu:32' --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(jq '.summary.pus, (.pus | length)' "$T/stdout" | tr '\n' ' ')" = "16384 16384 " ] ||
		fail "not 16384 PUs: $(jq -c .summary "$T/stdout")"
}

# ---- malformed values ---------------------------------------------------------------------

test_cli_workers_empty_items() {
	local w
	for w in '1,,2' ',1' '1,' ',' '1,,'; do
		expect_usage cpu --output "$OUTF" --workers "$w" || { WHY="--workers '$w': $WHY"; return 1; }
	done
}
test_cli_executor_empty_items() {
	local x
	for x in 'thread,,fork' ',thread' 'thread,' ',,'; do
		expect_usage cpu --output "$OUTF" --executor "$x" || { WHY="--executor '$x': $WHY"; return 1; }
	done
}
test_cli_precision_not_decimal() {
	local v
	for v in 0x10 1e1 ' 2' +2 inf nan 2% '2 ' 1.2.3 .; do
		expect_usage cpu --output "$OUTF" --repetitions auto --precision "$v" ||
			{ WHY="--precision '$v': $WHY"; return 1; }
	done
}
test_cli_seed_not_decimal() {
	local v
	for v in 0x10 ' 5' +5 18446744073709551616 5x; do
		expect_usage cpu --output "$OUTF" --seed "$v" || { WHY="--seed '$v': $WHY"; return 1; }
	done
}
test_cli_counts_not_decimal() {
	local opt v
	for opt in --tasks --repetitions --warmup --rounds --workers; do
		for v in "$(printf '\t3')" 0x3 +3 ' 3' 3. 99999999999999999999; do
			expect_usage cpu --output "$OUTF" --repetitions 4 "$opt" "$v" ||
				{ WHY="$opt '$v': $WHY"; return 1; }
		done
	done
}
test_cli_durations_not_decimal() {
	local opt v
	for opt in --timeout --min-time --max-time; do
		for v in 0x10s 1e3ms ' 1s' +1s inf 1.5.5s; do
			expect_usage cpu --output "$OUTF" "$opt" "$v" || { WHY="$opt '$v': $WHY"; return 1; }
		done
	done
	expect_usage io --output "$OUTF" --duration 1e1ms
}
test_cli_size_not_decimal() {
	local v
	for v in 0x10 ' 5' +5 1.5M 99999999999999999999; do
		expect_usage cpu --output "$OUTF" --size "$v" || { WHY="--size '$v': $WHY"; return 1; }
	done
}
# Decimal values that must still work.
test_cli_decimal_values_accepted() {
	cb cpu --output "$OUTF" --repetitions auto --precision 2.5 --min-time 0.5ms --max-time 1.5s \
		--seed 18446744073709551615 --warmup 010 --dry-run
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)"
}

# A UTF-16 topology XML loaded as something and printed; it is not hwloc's UTF-8.
test_cli_topology_utf16() {
	command -v iconv >/dev/null 2>&1 || { WHY=; return 0; }
	iconv -f UTF-8 -t UTF-16 "$FIX_DIR/4pkg-2core-smt2.xml" >"$T/u16.xml" || fail "iconv" || return
	expect_usage topo --topology "$T/u16.xml" || return
	iconv -f UTF-8 -t UTF-16LE "$FIX_DIR/4pkg-2core-smt2.xml" >"$T/u16le.xml" || fail "iconv" || return
	expect_usage topo --topology "$T/u16le.xml"
}

test_cli_help_unknown_command() {
	expect_usage help bogus || return
	grep -q "'bogus'" "$T/stderr" || fail "the command is not named: $(first_err)" || return
	expect_usage help cpu extra
}
test_cli_help_list() {
	cb help list
	[ "$RC" -eq 0 ] && grep -q '^usage: concbench list' "$T/stdout" ||
		fail "exit $RC: $(first_err)" || return
	cb list --help
	[ "$RC" -eq 0 ] || fail "list --help: exit $RC: $(first_err)"
}

# ---- --bind cpusets and --topology ----------------------------------------------------------

# hwloc's list parser read 010 as octal (PU 8) and 08-88 as 0, 8 and -88.
test_cli_bind_cpuset_not_octal() {
	local xml=$FIX_DIR/2pkg-2numa-6core-smt2.xml
	expect_usage topo --topology "$xml" --bind 010 || return
	expect_usage topo --topology "$xml" --bind 08-88 || return
	expect_usage topo --topology "$xml" --bind 0-070000 || return
	cb topo --topology "$xml" --bind 10,8-9 --format json
	[ "$RC" -eq 0 ] || fail "--bind 10,8-9: exit $RC: $(first_err)" || return
	[ "$(jq -c '[.plan[].pu_os_index] | sort' "$T/stdout")" = "[8,9,10]" ] ||
		fail "--bind 10,8-9 planned $(jq -c '[.plan[].pu_os_index]' "$T/stdout")"
}
test_cli_bind_cpuset_bounded() { expect_usage cpu --output "$OUTF" --bind 0-65536; }

# getopt takes --topo for --topology; main.c looked for --topology only and ran the
# benchmark on this machine. Every spelling getopt accepts must plan, and run nothing.
test_cli_topology_abbreviated() {
	local spelling
	for spelling in --topo --topol --topology; do
		cb cpu "$spelling" 'synthetic:pack:2 core:2 pu:1' --bind compact --workers 2 \
			--size 1M --repetitions 1 --warmup 0 --output "$OUTF"
		[ "$RC" -eq 0 ] || fail "$spelling: exit $RC: $(first_err)" || return
		grep -q 'planning only' "$T/stdout" || fail "$spelling: ran instead of planning" || return
		[ ! -e "$OUTF" ] || fail "$spelling: a report was written" || return
	done
	cb cpu --topo='synthetic:pack:2 core:2 pu:1' --bind compact --workers 2 --size 1M \
		--repetitions 1 --warmup 0
	grep -q 'planning only' "$T/stdout" || fail "--topo=: ran instead of planning" || return
	cb topo --topo 'synthetic:pack:3 core:1 pu:1' --format json
	[ "$RC" -eq 0 ] && [ "$(jq .summary.pus "$T/stdout")" = 3 ] ||
		fail "topo --topo: exit $RC, not the synthetic topology" || return
	# --bind given before --topology is checked against the topology named after it.
	cb topo --bind 2 --topo 'synthetic:pack:3 core:1 pu:1' --format json
	[ "$RC" -eq 0 ] && [ "$(jq -c '[.plan[].pu_os_index]' "$T/stdout")" = "[2]" ] ||
		fail "topo --bind 2 --topo: exit $RC: $(first_err)" || return
	expect_usage topo --topo "$T/no-such.xml"
}

# ---- --output -------------------------------------------------------------------------------

test_cli_output_is_directory() { expect_usage cpu --size 1M --output "$OUTDIR"; }
test_cli_output_under_proc() {
	expect_usage cpu --size 1M --repetitions 1 --warmup 0 --output /proc/concbench-cli-test.json
}

# Special files must be left as they are: the report's rename would replace them.
OUT_RUN=(cpu --size 1M --workers 1 --repetitions 1 --warmup 0)

test_cli_output_fifo() {
	mkdir -p "$T/special"
	mkfifo "$T/special/fifo" || fail "mkfifo" || return
	expect_usage "${OUT_RUN[@]}" --output "$T/special/fifo" || return
	[ -p "$T/special/fifo" ] || fail "the FIFO was replaced"
}
test_cli_output_symlink() {
	mkdir -p "$T/special"
	echo keep >"$T/special/target"
	ln -sf target "$T/special/link"
	expect_usage "${OUT_RUN[@]}" --output "$T/special/link" || return
	[ -L "$T/special/link" ] || fail "the symbolic link was replaced" || return
	[ "$(cat "$T/special/target")" = keep ] || fail "the link's target was written"
}
# Read-only by its mode bits, even for root (who may write it anyway).
test_cli_output_readonly_file() {
	mkdir -p "$T/special"
	echo keep >"$T/special/ro.json"
	chmod 0444 "$T/special/ro.json"
	expect_usage "${OUT_RUN[@]}" --output "$T/special/ro.json" || return
	[ "$(cat "$T/special/ro.json")" = keep ] || fail "the read-only file was replaced"
}
# A device: a private one (mknod, as root), never /dev/null itself.
test_cli_output_device() {
	mkdir -p "$T/special"
	mknod "$T/special/null" c 1 3 2>/dev/null || { WHY=; return 0; }
	expect_usage "${OUT_RUN[@]}" --output "$T/special/null" || return
	[ -c "$T/special/null" ] || fail "the device was replaced"
}
test_cli_output_regular_file_replaced() {
	echo old >"$OUTF"
	cb "${OUT_RUN[@]}" --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e '.schema == "concbench-report/1"' "$OUTF" >/dev/null || fail "not replaced by the report" ||
		return
	local left
	left=$(find "$OUTDIR" -mindepth 1 -printf '%f ')
	[ "$left" = "report.json " ] || fail "left in the directory: $left"
}

# A write that fails part way (here: past RLIMIT_FSIZE) names its own error, not a stale
# errno, and leaves no report or temporary file.
test_cli_output_write_error_named() {
	local rc=0
	( trap '' XFSZ; ulimit -f 1
	  exec env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$BIN" "${OUT_RUN[@]}" --quiet --output "$OUTF" \
		>"$T/stdout" 2>"$T/stderr" ) || rc=$?
	[ "$rc" -eq 3 ] || fail "exit $rc, expected 3: $(first_err)" || return
	grep -q "cannot write '$OUTF': File too large" "$T/stderr" ||
		fail "not the write's own error: $(tr '\n' '|' <"$T/stderr")" || return
	no_output_file
}

# Another process writes the --output file while a run is under way: the run says that its
# report replaces the other one.
test_cli_output_written_during_run() {
	local _ seen=
	bg_start "" io --io file --size 64K --tasks 2 --workers 1 --executor seq --warmup 0 \
		--repetitions auto --min-time 3s --max-time 30s --quiet --output "$OUTF"
	# The io workload's directory in TMPDIR exists from validation to the end of the run.
	for _ in $(seq 600); do
		if [ -n "$(ls -A "$PRIV_TMP")" ]; then
			seen=1
			break
		fi
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$seen" ] || { bg_wait 5; fail "the run ended before it could be disturbed"; return; }
	echo '{"another": "report"}' >"$OUTF"
	bg_wait 120 || return
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q "was written by another process during this run" "$T/stderr" ||
		fail "no warning: $(tr '\n' '|' <"$T/stderr")" || return
	jq -e '.schema == "concbench-report/1"' "$OUTF" >/dev/null || fail "not this run's report" ||
		return
	tmpdir_empty
}

# The suite's default output, results/latest.json, gets the checks --output gets.
test_cli_suite_default_output_fifo() {
	mkdir -p "$T/suite/results"
	mkfifo "$T/suite/results/latest.json" || fail "mkfifo" || return
	local rc=0
	cd "$T/suite" || return
	expect_usage suite --workers 1 --repetitions 1 --warmup 0 || rc=1
	cd - >/dev/null || return
	[ "$rc" -eq 0 ] || return
	[ -p "$T/suite/results/latest.json" ] || fail "the FIFO was replaced"
}

# A full disk says so ("No space left on device"), not a stale errno, and leaves no
# temporary file: a 8 KiB tmpfs in a private mount namespace (skipped where that is not
# allowed).
test_cli_output_full_disk() {
	local rc=0
	command -v unshare >/dev/null 2>&1 || { WHY=; return 0; }
	mkdir -p "$T/full"
	# shellcheck disable=SC2016
	unshare -m sh -c 'mount -t tmpfs -o size=8k tmpfs "$1"' _ "$T/full" 2>/dev/null ||
		{ WHY=; return 0; }
	# shellcheck disable=SC2016
	unshare -m sh -c 'mount -t tmpfs -o size=8k tmpfs "$1" || exit 99
		dir=$1; shift
		"$@"; rc=$?
		ls -A "$dir" >"$dir.left"; exit $rc' _ "$T/full" \
		env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$BIN" "${OUT_RUN[@]}" --quiet \
		--output "$T/full/report.json" >"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" -ne 99 ] || { WHY=; return 0; }
	[ "$rc" -eq 3 ] || fail "exit $rc, expected 3: $(first_err)" || return
	grep -q "cannot write '$T/full/report.json': No space left on device" "$T/stderr" ||
		fail "not ENOSPC: $(tr '\n' '|' <"$T/stderr")" || return
	[ ! -s "$T/full.left" ] || fail "left on the full disk: $(tr '\n' ' ' <"$T/full.left")"
}
