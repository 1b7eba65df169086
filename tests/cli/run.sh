#!/usr/bin/env bash
# Command-line tests for concbench: bad input, report contents, faults, signals, output.
#
#   bash tests/cli/run.sh PATH/TO/concbench
#
# Prints `ok - NAME` per passing test, `FAIL - NAME: REASON` per failing one, and ends with
# exactly one line `N passed, N failed`; exits 1 if any test failed, else 0. Tests assert
# correctness facts only, never timings or speedup magnitudes.

# The Makefile runs this with `sh`; the tests need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

set -u
unset CONCBENCH_TEST_FAULT

if [ $# -ne 1 ]; then
	echo "usage: bash $0 PATH/TO/concbench" >&2
	exit 2
fi
BIN=$1
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
if [ ! -x "$BIN" ]; then
	echo "$0: '$BIN' is not an executable" >&2
	exit 2
fi
for tool in jq timeout pgrep mktemp; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$0: needs $tool" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/concbench-cli.XXXXXX") || exit 2
PRIV_TMP=$T/tmp              # TMPDIR of every concbench run: must stay empty
OUTDIR=$T/out                # --output goes here; fresh for every test
OUTF=$OUTDIR/report.json
BG_PID=

cleanup() {
	if [ -n "$BG_PID" ]; then
		kill -KILL "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
	fi
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PASSED=0
FAILED=0
SKIPPED=0
WHY=

# ---- helpers ----------------------------------------------------------------------------

# fail MESSAGE: record why the current test fails; returns 1 so that `|| return` chains.
fail() {
	WHY="$*"
	return 1
}

# cb ARGS...: run concbench with the private TMPDIR (and $FAULT as CONCBENCH_TEST_FAULT when
# set); sets RC, stdout in $T/stdout, stderr in $T/stderr.
FAULT=
cb() {
	RC=0
	if [ -n "$FAULT" ]; then
		env TMPDIR="$PRIV_TMP" CONCBENCH_TEST_FAULT="$FAULT" \
			timeout -k 5 60 "$BIN" "$@" >"$T/stdout" 2>"$T/stderr" || RC=$?
	else
		env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$BIN" "$@" >"$T/stdout" 2>"$T/stderr" || RC=$?
	fi
}

first_err() {
	head -n 1 "$T/stderr" | cut -c1-200
}

# tmpdir_empty: nothing left in the private TMPDIR.
tmpdir_empty() {
	local left
	left=$(ls -A "$PRIV_TMP")
	[ -z "$left" ] || fail "left behind in TMPDIR: $(echo "$left" | tr "\n" " ")"
}

# no_output_file: the --output file was not written (nor any temporary report).
no_output_file() {
	[ ! -e "$OUTF" ] || fail "$OUTF was written"
	local left
	left=$(ls -A "$OUTDIR")
	[ -z "$left" ] || fail "left behind in the output directory: $(echo "$left" | tr "\n" " ")"
}

# no_processes PATTERN: no process whose command line contains PATTERN (the unique output
# path) remains, waiting up to 3 s for the kernel to finish reaping.
no_processes() {
	local pat=$1 _
	for _ in $(seq 30); do
		pgrep -f -- "$pat" >/dev/null || return 0
		sleep 0.1
	done
	fail "leftover processes: $(pgrep -a -f -- "$pat" | tr '\n' ';')"
}

# expect_usage ARGS...: bad input: exit 2, exactly one stderr line starting with
# 'concbench: ', nothing on stdout, no --output file, nothing in TMPDIR.
expect_usage() {
	cb "$@"
	[ "$RC" -eq 2 ] || fail "exit $RC, expected 2 (stderr: $(first_err))" || return
	[ ! -s "$T/stdout" ] ||
		fail "stdout not empty: $(head -c 80 "$T/stdout" | tr '\n' ' ')" || return
	local n
	n=$(grep -c '' "$T/stderr")
	[ "$n" -eq 1 ] || fail "$n lines on stderr, expected 1: $(tr '\n' '|' <"$T/stderr" | cut -c1-200)" ||
		return
	[ "$(head -c 11 "$T/stderr")" = "concbench: " ] ||
		fail "stderr does not start with 'concbench: ': $(first_err)" || return
	no_output_file || return
	tmpdir_empty
}

# expect_ok ARGS...: a good run: exit 0, report on stdout and in --output, no leftovers.
# Leaves the report in $T/report.json.
expect_ok() {
	cb "$@"
	[ "$RC" -eq 0 ] || fail "exit $RC, expected 0 (stderr: $(first_err))" || return
	tmpdir_empty || return
	jq -e . "$T/stdout" >/dev/null 2>&1 || fail "stdout is not JSON" || return
	[ -f "$OUTF" ] || fail "--output $OUTF not written" || return
	jq -e . "$OUTF" >/dev/null 2>&1 || fail "--output file is not JSON" || return
	if ! cmp -s <(jq -S . "$T/stdout") <(jq -S . "$OUTF"); then
		fail "stdout report and --output report differ"
		return
	fi
	local left
	left=$(ls -A "$OUTDIR")
	[ "$left" = "report.json" ] ||
		fail "output directory holds more than the report: $(echo "$left" | tr "\n" " ")" || return
	cp "$T/stdout" "$T/report.json"
}

# The report checks, in jq: prints one line per problem; nothing when the report is right.
# Arguments: $reps (number), $runs (expected sorted "executor:workers" list), $workload,
# $scaling ("strong" or "weak"), $schedule.
read -r -d '' REPORT_CHECKS <<'JQ'
def median: sort | if length % 2 == 1 then .[(length - 1) / 2]
                   else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def close(a; b): ((a - b) | fabs) <= 1e-9 * ([(a | fabs), (b | fabs)] | max);
def isnum: type == "number";
def nonneg: isnum and . >= 0;

. as $doc
| ([.runs[]? | select(.executor == "seq")] | first) as $seq
| (if .schema != "concbench-report/1" then "schema is \(.schema | tojson)" else empty end),
  (if (.host.hostname | type) != "string" or .host.hostname == "" then "host.hostname missing" else empty end),
  (if (.host.kernel | type) != "string" or .host.kernel == "" then "host.kernel missing" else empty end),
  (if (.host.pus | isnum) and .host.pus >= 1 then empty else "host.pus is \(.host.pus | tojson)" end),
  (if (.runs | type) != "array" then "runs is not an array" else empty end),
  ([.runs[]? | "\(.executor):\(.workers)"] | sort) as $got
  | (if $got != $runs then "runs are \($got | tojson), expected \($runs | tojson)" else empty end),
  (if $seq == null then "no seq baseline run" else empty end),
  (.runs[]? as $r
   | "\($r.executor) with \($r.workers) workers: " as $p
   | (if $r.workload != $workload then $p + "workload \($r.workload | tojson)" else empty end),
     (if $r.params.scaling != $scaling then $p + "params.scaling \($r.params.scaling | tojson)" else empty end),
     (if $r.params.schedule != $schedule then $p + "params.schedule \($r.params.schedule | tojson)" else empty end),
     (if $r.verified != true then $p + "verified is \($r.verified | tojson)" else empty end),
     (if $r.repetitions != $reps then $p + "repetitions \($r.repetitions | tojson)" else empty end),
     (if ($r.samples_s | type) != "array" or ($r.samples_s | length) != $reps
      then $p + "samples_s has \($r.samples_s | length) values, expected \($reps)"
      elif ($r.samples_s | all(nonneg)) | not then $p + "samples_s not all non-negative numbers"
      else
        (if close($r.median_s; $r.samples_s | median) | not
         then $p + "median_s \($r.median_s) is not the median of samples_s \($r.samples_s | tojson)" else empty end),
        (if close($r.min_s; $r.samples_s | min) | not then $p + "min_s \($r.min_s) is not min(samples_s)" else empty end),
        (if close($r.max_s; $r.samples_s | max) | not then $p + "max_s \($r.max_s) is not max(samples_s)" else empty end)
      end),
     (if ($r.min_s | isnum) and ($r.median_s | isnum) and ($r.max_s | isnum)
         and $r.min_s <= $r.median_s and $r.median_s <= $r.max_s then empty
      else $p + "not min_s <= median_s <= max_s: \($r.min_s), \($r.median_s), \($r.max_s)" end),
     (if $seq == null then empty
      else
        ($seq.median_s / $r.median_s * (if $scaling == "weak" then $r.workers else 1 end)) as $want
        | (if ($r.speedup | isnum) and close($r.speedup; $want) then empty
           else $p + "speedup \($r.speedup | tojson), expected \($want)" end)
      end),
     (if ($r.efficiency | isnum) and ($r.speedup | isnum) and close($r.efficiency; $r.speedup / $r.workers)
      then empty else $p + "efficiency \($r.efficiency | tojson) is not speedup / workers" end),
     (if ($r.checksum | type) != "string" or $r.checksum == "" then $p + "no checksum" else empty end),
     (if $scaling == "strong" then
        (if $seq != null and $r.checksum != $seq.checksum
         then $p + "checksum \($r.checksum) differs from seq's \($seq.checksum) (strong scaling)" else empty end)
      else
        ([$doc.runs[] | select(.workers == $r.workers) | .checksum] | unique) as $same
        | ([$doc.runs[] | select(.workers != $r.workers) | .checksum]) as $other
        | (if ($same | length) != 1 then $p + "checksums differ among runs with \($r.workers) workers: \($same | tojson)" else empty end),
          (if ($other | index($r.checksum)) != null
           then $p + "checksum \($r.checksum) equals one of another worker count (weak scaling)" else empty end)
      end),
     (if $r.startup_s | nonneg then empty else $p + "startup_s \($r.startup_s | tojson)" end),
     (if ($r.worker_s | type) == "array" and ($r.worker_s | length) == $reps
         and ($r.worker_s | all(type == "array" and length == $r.workers and all(nonneg)))
      then empty else $p + "worker_s is not \($reps) rows of \($r.workers) non-negative numbers: \($r.worker_s | tojson)" end),
     (["user_s", "sys_s", "vcsw", "ivcsw", "minflt", "majflt", "maxrss_kb"][] as $k
      | if ($r.rusage[$k] | nonneg) then empty else $p + "rusage.\($k) is \($r.rusage[$k] | tojson)" end),
     (if ($r.throughput.unit | type) == "string" and ($r.throughput.unit | endswith("/s"))
      then empty else $p + "throughput.unit \($r.throughput.unit | tojson)" end),
     (if $r.throughput.value | nonneg then empty else $p + "throughput.value \($r.throughput.value | tojson)" end)
  )
JQ

# check_report FILE REPS RUNS WORKLOAD SCALING SCHEDULE
check_report() {
	local problems
	problems=$(jq -r --argjson reps "$2" --argjson runs "$3" --arg workload "$4" \
		--arg scaling "$5" --arg schedule "$6" "$REPORT_CHECKS" "$1" 2>&1) ||
		fail "jq failed on the report: $problems" || return
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')"
}

ALL_1_2='["fork:1","fork:2","seq:1","shm:1","shm:2","thread:1","thread:2","uring:1","uring:2"]'
SMALL=(--workers 1..2 --repetitions 3 --warmup 0 --format json)

# ---- bad input --------------------------------------------------------------------------

test_bad_unknown_command() { expect_usage nosuchcommand --output "$OUTF"; }
test_bad_no_command() { expect_usage; }
test_bad_unknown_option() { expect_usage cpu --output "$OUTF" --nosuch; }
test_bad_unknown_short_option() { expect_usage cpu --output "$OUTF" -z; }
test_bad_missing_value() { expect_usage cpu --output "$OUTF" --size; }
test_bad_workers_zero() { expect_usage cpu --output "$OUTF" --workers 0; }
test_bad_workers_negative() { expect_usage cpu --output "$OUTF" --workers -1; }
test_bad_workers_word() { expect_usage cpu --output "$OUTF" --workers abc; }
test_bad_workers_backwards() { expect_usage cpu --output "$OUTF" --workers 4..2; }
test_bad_workers_too_many() { expect_usage cpu --output "$OUTF" --workers 5000; }
test_bad_executor() { expect_usage cpu --output "$OUTF" --executor nosuch; }
test_bad_size_zero() { expect_usage cpu --output "$OUTF" --size 0; }
test_bad_size_negative() { expect_usage cpu --output "$OUTF" --size -5; }
test_bad_size_suffix() { expect_usage cpu --output "$OUTF" --size 12Q; }
test_bad_repetitions_zero() { expect_usage cpu --output "$OUTF" --repetitions 0; }
test_bad_warmup_negative() { expect_usage cpu --output "$OUTF" --warmup -1; }
test_bad_format() { expect_usage cpu --output "$OUTF" --format xml; }
test_bad_bind() { expect_usage cpu --output "$OUTF" --bind sideways; }
test_bad_scaling() { expect_usage cpu --output "$OUTF" --scaling medium; }
test_bad_schedule() { expect_usage cpu --output "$OUTF" --schedule random; }
test_bad_timeout_zero() { expect_usage cpu --output "$OUTF" --timeout 0; }
test_bad_timeout_word() { expect_usage cpu --output "$OUTF" --timeout abc; }
test_bad_output_no_dir() {
	expect_usage cpu --size 2M --output /nonexistent-dir/x.json || return
	[ ! -e /nonexistent-dir/x.json ] || fail "/nonexistent-dir/x.json exists"
}
test_bad_output_readonly_dir() {
	local ro=$T/readonly
	mkdir -p "$ro" && chmod 555 "$ro"
	expect_usage cpu --size 2M --output "$ro/x.json" || return
	[ -z "$(ls -A "$ro")" ] || fail "written into the read-only directory: $(ls -A "$ro")"
}
test_bad_io_option_to_cpu() { expect_usage cpu --output "$OUTF" --io file; }
test_bad_kernel() { expect_usage cpu --output "$OUTF" --kernel nosuch; }
test_bad_io_sleep_size() { expect_usage io --output "$OUTF" --io sleep --size 1M; }
test_bad_mem_too_big() { expect_usage mem --output "$OUTF" --size 100T; }
test_bad_triad_dynamic() { expect_usage mem --output "$OUTF" --pattern triad --schedule dynamic; }
test_bad_fault_env() {
	FAULT=garbage expect_usage cpu --output "$OUTF" --size 2M --repetitions 3 --warmup 0
}
test_bad_stray_argument() { expect_usage cpu --output "$OUTF" extra; }
test_bad_bind_too_many_workers() { expect_usage cpu --output "$OUTF" --bind compact --workers 4096; }

# ---- good runs --------------------------------------------------------------------------

test_cpu_report() {
	expect_ok cpu --size 2M "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" cpu strong static
}
test_io_sleep_report() {
	expect_ok io --duration 1ms --tasks 8 "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" io strong static || return
	jq -e '.runs | all(.params.io == "sleep")' "$T/report.json" >/dev/null ||
		fail "params.io is not sleep"
}
test_io_file_report() {
	expect_ok io --io file --size 64K --tasks 8 "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" io strong static || return
	jq -e '.runs | all(.params.io == "file" and .params.size == 65536)' "$T/report.json" \
		>/dev/null || fail "params.io/size are not file/65536"
}
test_mem_triad_report() {
	expect_ok mem --size 8M "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" mem strong static || return
	jq -e '.runs | all(.params.pattern == "triad")' "$T/report.json" >/dev/null ||
		fail "params.pattern is not triad"
}
test_mem_touch_report() {
	expect_ok mem --pattern touch --size 4M "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" mem strong static || return
	jq -e '.runs | all(.params.pattern == "touch")' "$T/report.json" >/dev/null ||
		fail "params.pattern is not touch"
}
test_cpu_primes_dynamic_report() {
	expect_ok cpu --kernel primes --schedule dynamic --size 200k "${SMALL[@]}" \
		--output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" cpu strong dynamic || return
	jq -e '.runs | all(.params.kernel == "primes")' "$T/report.json" >/dev/null ||
		fail "params.kernel is not primes"
}
test_cpu_weak_report() {
	expect_ok cpu --scaling weak --size 1M "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" cpu weak static
}
test_io_weak_report() {
	expect_ok io --scaling weak --duration 1ms --tasks 8 "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 "$ALL_1_2" io weak static
}
test_thread_only_has_seq_baseline() {
	expect_ok cpu --executor thread --size 2M "${SMALL[@]}" --output "$OUTF" || return
	check_report "$T/report.json" 3 '["seq:1","thread:1","thread:2"]' cpu strong static
}
test_repetitions_even_median() {
	# An even count: the median is the mean of the middle two.
	expect_ok cpu --executor shm --size 2M --workers 2 --repetitions 4 --warmup 1 \
		--format json --output "$OUTF" || return
	check_report "$T/report.json" 4 '["seq:1","shm:2"]' cpu strong static
}
test_table_format() {
	cb cpu --size 2M --workers 1..2 --repetitions 3 --warmup 0 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC, expected 0 (stderr: $(first_err))" || return
	grep -q 'runs verified' "$T/stdout" || fail "no 'runs verified' line in the table" || return
	[ -f "$OUTF" ] || fail "--output not written with the table format" || return
	check_report "$OUTF" 3 "$ALL_1_2" cpu strong static || return
	tmpdir_empty
}
test_atomic_output_replaces() {
	# An existing report is replaced, and only the report remains in the directory.
	echo stale >"$OUTF"
	expect_ok cpu --size 2M "${SMALL[@]}" --output "$OUTF" || return
	check_report "$OUTF" 3 "$ALL_1_2" cpu strong static
}
test_help() {
	cb --help
	[ "$RC" -eq 0 ] || fail "--help: exit $RC" || return
	grep -q 'usage: concbench' "$T/stdout" || fail "--help: no usage on stdout"
}
test_cpu_help() {
	cb cpu --help
	[ "$RC" -eq 0 ] || fail "cpu --help: exit $RC" || return
	grep -q -- '--kernel' "$T/stdout" || fail "cpu --help does not mention --kernel"
}
test_list() {
	cb list
	[ "$RC" -eq 0 ] || fail "list: exit $RC" || return
	local w
	for w in cpu io mem seq thread fork shm; do
		grep -Eq "^[[:space:]]+${w}[[:space:]]" "$T/stdout" || fail "list does not list $w" || return
	done
}
test_version() {
	cb --version
	[ "$RC" -eq 0 ] || fail "--version: exit $RC" || return
	grep -Eq '^concbench [^ ]+' "$T/stdout" || fail "--version printed: $(head -n 1 "$T/stdout")"
}

# ---- faults (CONCBENCH_TEST_FAULT) ------------------------------------------------------

# expect_crash EXECUTOR WORKLOAD-ARGS...
expect_crash() {
	local ex=$1
	shift
	FAULT=$ex:crash:1 cb "$@" --executor "$ex" --workers 2 --repetitions 3 --warmup 0 \
		--output "$OUTF"
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q 'killed by signal 11' "$T/stderr" ||
		fail "stderr does not mention 'killed by signal 11': $(first_err)" || return
	no_output_file || return
	no_processes "$OUTF" || return
	tmpdir_empty
}
test_fork_crash() { expect_crash fork cpu --size 2M; }
test_shm_crash() { expect_crash shm cpu --size 2M; }
test_fork_crash_io_file() { expect_crash fork io --io file --size 64K --tasks 8; }
test_shm_crash_io_file() { expect_crash shm io --io file --size 64K --tasks 8; }

expect_hang() {
	local ex=$1 t0 t1
	t0=$(date +%s)
	RC=0
	env TMPDIR="$PRIV_TMP" CONCBENCH_TEST_FAULT="$ex:hang:1" timeout -k 5 30 "$BIN" cpu \
		--size 2M --executor "$ex" --workers 2 --repetitions 3 --warmup 0 --timeout 1s \
		--output "$OUTF" >"$T/stdout" 2>"$T/stderr" || RC=$?
	t1=$(date +%s)
	[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "still running after 30 s" || return
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	[ $((t1 - t0)) -le 15 ] || fail "took $((t1 - t0)) s to notice the hang, expected <= 15" ||
		return
	grep -q 'hung' "$T/stderr" || fail "stderr does not mention 'hung': $(first_err)" || return
	no_output_file || return
	no_processes "$OUTF" || return
	tmpdir_empty
}
test_fork_hang() { expect_hang fork; }
test_shm_hang() { expect_hang shm; }

# ---- signals ----------------------------------------------------------------------------

# bg_start [FAULT] ARGS...: start concbench in the background (BG_PID); stderr in $T/stderr.
bg_start() {
	local fault=$1
	shift
	if [ -n "$fault" ]; then
		env TMPDIR="$PRIV_TMP" CONCBENCH_TEST_FAULT="$fault" \
			"$BIN" "$@" >"$T/stdout" 2>"$T/stderr" &
	else
		env TMPDIR="$PRIV_TMP" "$BIN" "$@" >"$T/stdout" 2>"$T/stderr" &
	fi
	BG_PID=$!
}

# bg_wait SECONDS: wait for the background run to end (RC); SIGKILL it after SECONDS.
bg_wait() {
	local _
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BG_PID" 2>/dev/null; then
		kill -KILL "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
		BG_PID=
		fail "still running $1 s after the signal"
		return
	fi
	RC=0
	wait "$BG_PID" || RC=$?
	BG_PID=
}

# expect_interrupted SIGNAME: after the run ended on SIGNAME.
expect_interrupted() {
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q "interrupted by $1" "$T/stderr" ||
		fail "stderr does not mention 'interrupted by $1': $(first_err)" || return
	no_output_file || return
	no_processes "$OUTF" || return
	tmpdir_empty
}

signal_after_1s() {
	local sig=$1 ex=$2
	shift 2
	bg_start "" "$@" --executor "$ex" --workers 2 --output "$OUTF"
	sleep 1
	kill -0 "$BG_PID" 2>/dev/null || { bg_wait 1; fail "ended before the signal (exit $RC)"; return; }
	kill -"$sig" "$BG_PID"
	bg_wait 15 || return
	expect_interrupted "SIG$sig"
}
test_sigint_fork() {
	signal_after_1s INT fork io --duration 50ms --tasks 8 --repetitions 100
}
test_sigterm_shm() {
	signal_after_1s TERM shm io --duration 50ms --tasks 8 --repetitions 100
}
test_sigterm_io_file_tmpdir() {
	# Interrupted while the io workload's temporary directory exists: it must go.
	signal_after_1s TERM fork io --io file --size 64K --tasks 8 --repetitions 100000
}

# Signal while the pool's worker processes are alive (one hangs, the deadline is far away).
signal_in_pool() {
	local sig=$1 ex=$2
	bg_start "$ex:hang:1" cpu --size 2M --executor "$ex" --workers 2 --repetitions 3 \
		--warmup 0 --timeout 60s --output "$OUTF"
	for _ in $(seq 100); do
		[ -n "$(pgrep -P "$BG_PID")" ] && break
		sleep 0.1
	done
	[ -n "$(pgrep -P "$BG_PID")" ] || { kill -KILL "$BG_PID"; bg_wait 1; fail "no worker processes started"; return; }
	sleep 0.3
	kill -"$sig" "$BG_PID"
	bg_wait 15 || return
	expect_interrupted "SIG$sig"
}
test_sigint_fork_pool() { signal_in_pool INT fork; }
test_sigterm_shm_pool() { signal_in_pool TERM shm; }

# ---- measurement: statistics, resources, metadata, warnings ------------------------------

# jq: the exact order-statistic interval at n = 10 is [x(2), x(9)]; type-7 p10/p90.
read -r -d '' STATS_CHECKS <<'JQ'
def q7(p): sort as $s | ((length - 1) * p) as $h | ($h | floor) as $lo
  | $s[$lo] + ($h - $lo) * ((if $lo + 1 < length then $s[$lo + 1] else $s[$lo] end) - $s[$lo]);
def close(a; b): ((a - b) | fabs) <= 1e-9 * ([(a | fabs), (b | fabs)] | max);
.runs[] | "\(.executor):\(.workers): " as $p | (.samples_s | sort) as $s
| (if .ci95_s == null or (close(.ci95_s[0]; $s[1]) and close(.ci95_s[1]; $s[8])) | not
   then $p + "ci95_s \(.ci95_s | tojson) is not [x(2), x(9)] of \($s | tojson)" else empty end),
  (if close(.p10_s; .samples_s | q7(0.1)) | not then $p + "p10_s \(.p10_s) wrong" else empty end),
  (if close(.p90_s; .samples_s | q7(0.9)) | not then $p + "p90_s \(.p90_s) wrong" else empty end),
  (if .outliers != (.outlier_indices | length) then $p + "outliers != length(outlier_indices)" else empty end),
  (if .stop_reason != "fixed" then $p + "stop_reason \(.stop_reason | tojson)" else empty end),
  (if .executor != "seq" and .speedup_ci95 != null
      and (.speedup_ci95[0] > .speedup or .speedup_ci95[1] < .speedup)
   then $p + "speedup \(.speedup) outside its interval \(.speedup_ci95 | tojson)" else empty end),
  (if (.cpu_utilization | type) != "number" then $p + "no cpu_utilization" else empty end)
JQ

test_statistics_in_report() {
	expect_ok cpu --size 2M --workers 2 --repetitions 10 --warmup 0 --format json --output "$OUTF" || return
	local problems
	problems=$(jq -r "$STATS_CHECKS" "$T/report.json" 2>&1)
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')"
}

test_no_ci_below_six_samples() {
	expect_ok cpu --size 2M --workers 2 --repetitions 5 --warmup 0 --format json --output "$OUTF" || return
	jq -e 'all(.runs[]; .ci95_s == null and (.ci95_reason | type) == "string")' "$T/report.json" \
		>/dev/null || fail "a run with 5 samples has a CI or no reason for its absence" || return
	jq -e '[.warnings[].text | select(test("no 95% interval"))] | length > 0' "$T/report.json" \
		>/dev/null || fail "no warning about the missing interval"
}

test_sleeping_run_uses_little_cpu() {
	expect_ok io --duration 20ms --tasks 4 --workers 2 --repetitions 3 --warmup 0 --format json \
		--output "$OUTF" || return
	jq -e 'all(.runs[]; .cpu_utilization < 0.5)' "$T/report.json" >/dev/null ||
		fail "a sleeping run shows CPU utilisation of $(jq -c '[.runs[].cpu_utilization]' "$T/report.json")"
}

test_touch_counts_page_faults() {
	# 8 MiB of 4 KiB pages, touched once per repetition: at least 2048 minor faults each.
	expect_ok mem --pattern touch --size 8M --workers 1..2 --repetitions 3 --warmup 0 \
		--format json --output "$OUTF" || return
	local pages=$((8 * 1024 * 1024 / $(getconf PAGESIZE)))
	jq -e --argjson n "$pages" 'all(.runs[]; .rusage.minflt >= $n)' "$T/report.json" >/dev/null ||
		fail "minflt below $pages: $(jq -c '[.runs[].rusage.minflt]' "$T/report.json")"
}

test_metadata_fields() {
	expect_ok cpu --size 2M --workers 1 --repetitions 3 --warmup 0 --seed 42 --format json \
		--output "$OUTF" || return
	local problems
	problems=$(jq -r '
	  def str_or_null: type == "string" or type == "null";
	  def num_or_null: type == "number" or type == "null";
	  def bool_or_null: type == "boolean" or type == "null";
	  (if (.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")) then empty else "created \(.created)" end),
	  (if (.concbench.version | type) == "string" and (.concbench.git | type) == "string" then empty else "concbench version/git" end),
	  (if .order.seed == 42 then empty else "order.seed \(.order.seed)" end),
	  (if (.argv | .[0]) == "concbench" then empty else "argv" end),
	  (.host | to_entries[] | select(
	     (.key | IN("virtualized", "boost", "smt_active")) and (.value | bool_or_null | not)
	     or (.key | IN("governor", "cpufreq_driver", "clocksource", "thp_enabled", "thp_defrag",
	                  "hypervisor", "cgroup_cpu_max", "cpu_model")) and (.value | str_or_null | not)
	     or (.key | IN("load_start", "load_end", "steal_fraction", "clock_resolution_ns", "llc_bytes"))
	        and (.value | num_or_null | not)) | "host.\(.key) has type \(.value | type)"),
	  (["virtualized", "governor", "boost", "smt_active", "clocksource", "thp_enabled", "aslr",
	    "cgroup_cpu_max", "affinity", "load_start", "load_end", "steal_fraction", "cores",
	    "numa_nodes", "compiler"][] as $k | if .host | has($k) then empty else "host.\($k) missing" end),
	  (if (.build.hwloc | type) == "string" and (.build.glibc | str_or_null) then empty else "build" end)
	' "$T/report.json" 2>&1)
	[ -z "$problems" ] || fail "$(echo "$problems" | head -n 3 | tr '\n' ';')"
}

test_oversubscription_warning() {
	local pus
	pus=$(nproc)
	expect_ok cpu --size 1M --workers $((pus + 1)) --executor thread --repetitions 3 --warmup 0 \
		--format json --output "$OUTF" || return
	jq -e '[.warnings[].text | select(test("time-share"))] | length > 0' "$T/report.json" >/dev/null ||
		fail "no warning for $((pus + 1)) workers on $pus PUs: $(jq -c .warnings "$T/report.json")"
}

test_repetitions_auto() {
	expect_ok cpu --size 1M --workers 1 --executor thread --repetitions auto --max-time 1s \
		--format json --output "$OUTF" || return
	jq -e 'all(.runs[]; .repetitions >= 10 and (.stop_reason | IN("precision", "max-time")))' \
		"$T/report.json" >/dev/null ||
		fail "auto: $(jq -c '[.runs[] | [.repetitions, .stop_reason]]' "$T/report.json")"
}

test_bad_precision() { expect_usage cpu --output "$OUTF" --repetitions auto --precision 0; }
test_bad_rounds() { expect_usage cpu --output "$OUTF" --repetitions 3 --rounds 5; }
test_bad_seed() { expect_usage cpu --output "$OUTF" --seed -3; }
test_bad_plot_dir() { expect_usage cpu --output "$OUTF" --plot /nonexistent-dir/x.png; }
test_bad_plot_ext() { expect_usage cpu --output "$OUTF" --plot "$OUTDIR/x.gif"; }

# ---- concbench report --------------------------------------------------------------------

# make_report: a small real report in $T/base.json.
make_report() {
	env TMPDIR="$PRIV_TMP" "$BIN" cpu --size 2M --workers 1..2 --repetitions 6 --warmup 0 --quiet \
		--output "$T/base.json" >/dev/null 2>&1 || fail "could not make a report"
}

test_report_bad_inputs() {
	make_report || return
	printf 'not json' >"$T/notjson.json"
	echo '{"schema": "other/1", "runs": []}' >"$T/other.json"
	echo '{"schema": "concbench-report/2", "runs": []}' >"$T/newer.json"
	echo '{"schema": "concbench-report/1", "runs": []}' >"$T/noruns.json"
	head -c 500 "$T/base.json" >"$T/truncated.json"
	local f
	for f in "$T/missing.json" "$T/notjson.json" "$T/other.json" "$T/newer.json" \
		"$T/noruns.json" "$T/truncated.json"; do
		expect_usage report "$f" || { WHY="$(basename "$f"): $WHY"; return 1; }
		grep -q "$(basename "$f")" "$T/stderr" || fail "error does not name $(basename "$f")" || return
	done
	expect_usage report "$T/base.json" --plot /nonexistent-dir/x.png || return
	expect_usage report || return
	expect_usage report "$T/base.json" --format xml
}

test_report_renderings() {
	make_report || return
	cb report "$T/base.json" --format csv
	[ "$RC" -eq 0 ] || fail "csv: exit $RC" || return
	local rows runs
	rows=$(($(grep -c '' "$T/stdout") - 1))
	runs=$(jq '.runs | length' "$T/base.json")
	[ "$rows" -eq "$runs" ] || fail "csv has $rows rows for $runs runs" || return
	# The CSV's speedup column, recomputed from the report's medians.
	local col bad
	col=$(head -n 1 "$T/stdout" | tr ',' '\n' | grep -n '^speedup$' | cut -d: -f1)
	bad=$(paste -d' ' <(tail -n +2 "$T/stdout" | cut -d, -f"$col") \
		<(jq -r '(.runs[] | select(.executor == "seq") | .median_s) as $s | .runs[] | $s / .median_s' \
		  "$T/base.json") | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-9 * $2) print }')
	[ -z "$bad" ] || fail "csv speedups differ from the ratio of medians: $bad" || return
	cb report "$T/base.json" --format markdown
	[ "$RC" -eq 0 ] && grep -q '^| workers |' "$T/stdout" || fail "markdown table missing" || return
	cb report "$T/base.json" "$T/base.json" --format json
	[ "$RC" -eq 0 ] || fail "json: exit $RC" || return
	[ "$(jq '.runs | length' "$T/stdout")" -eq $((2 * runs)) ] || fail "merged json lacks runs" || return
	cb report "$T/base.json"
	{ [ "$RC" -eq 0 ] && grep -q 'runs verified' "$T/stdout"; } || fail "table rendering failed"
}

test_report_plot_png() {
	command -v gnuplot >/dev/null || { WHY="gnuplot not installed"; return 1; }
	make_report || return
	cb report "$T/base.json" --plot "$OUTDIR/chart.png"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(head -c 8 "$OUTDIR/chart.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
		fail "not a PNG" || return
	local size
	size=$(stat -c %s "$OUTDIR/chart.png")
	[ "$size" -gt 5000 ] || fail "PNG of $size bytes is too small to hold a chart"
}

# ---- renderings against committed golden files -------------------------------------------

# FIX is a committed report; its table, markdown and CSV renderings are committed beside it.
FIX_DIR=$(cd "$(dirname "$0")/../fixtures" && pwd)
test_report_golden_renderings() {
	local fmt ext
	for fmt in table markdown csv; do
		ext=$fmt
		[ "$fmt" = markdown ] && ext=md
		cb report "$FIX_DIR/report-2vcpu.json" --format "$fmt"
		[ "$RC" -eq 0 ] || fail "$fmt: exit $RC" || return
		cmp -s "$T/stdout" "$FIX_DIR/report-2vcpu.$ext" ||
			fail "$fmt rendering differs from report-2vcpu.$ext: $(diff "$FIX_DIR/report-2vcpu.$ext" "$T/stdout" | head -n 4 | tr '\n' '|')" ||
			return
	done
}

test_rendered_speedups_from_samples() {
	# Every speedup in the CSV rendering, recomputed here from the raw samples.
	cb report "$FIX_DIR/report-2vcpu.json" --format csv
	[ "$RC" -eq 0 ] || fail "exit $RC" || return
	local col bad
	col=$(head -n 1 "$T/stdout" | tr ',' '\n' | grep -n '^speedup$' | cut -d: -f1)
	bad=$(paste -d' ' <(tail -n +2 "$T/stdout" | cut -d, -f"$col") <(jq -r '
	  def median: sort | if length % 2 == 1 then .[(length - 1) / 2]
	                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	  .runs as $runs | $runs[]
	  | . as $r | ($runs | map(select(.workload == $r.workload and .params == $r.params
	                                  and .executor == "seq")) | first) as $seq
	  | ($seq.samples_s | median) / ($r.samples_s | median)' "$FIX_DIR/report-2vcpu.json") |
		awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-9 * $2) print }')
	[ -z "$bad" ] || fail "speedups differ from the samples' medians: $bad"
}

test_membind_in_params() {
	expect_ok mem --size 8M --workers 2 --executor thread --membind interleave --repetitions 3 \
		--warmup 0 --format json --output "$OUTF" || return
	jq -e 'all(.runs[]; .params.membind == "interleave" and .verified)' "$T/report.json" >/dev/null ||
		fail "membind not recorded in params"
}
test_bad_membind() { expect_usage mem --output "$OUTF" --membind far; }

test_report_topology_detail() {
	expect_ok cpu --size 1M --workers 1 --repetitions 3 --warmup 0 --format json --output "$OUTF" ||
		return
	jq -e '.topology.pus >= 1 and (.topology.detail.pus | length) >= .topology.pus
	       and (.topology.detail.caches | type) == "array"' "$T/report.json" >/dev/null ||
		fail "topology detail missing: $(jq -c '.topology | keys' "$T/report.json")"
}

# ---- topo, cores and compare as a user runs them --------------------------------------------

test_topo_text_and_json() {
	cb topo
	[ "$RC" -eq 0 ] && grep -q '^  PU ' "$T/stdout" || fail "topo: exit $RC or no PU table" || return
	cb topo --format json
	[ "$RC" -eq 0 ] || fail "topo --format json: exit $RC" || return
	jq -e '(.pus | length) >= 1 and .summary.pus >= 1' "$T/stdout" >/dev/null ||
		fail "topo json lacks pus"
}

test_topo_plan_foreign_xml() {
	# Compact on 2 packages x 6 cores x 2 PUs: the first PU of cores 0-3, which hwloc-calc
	# gives as P#0,2,4,6 on this fixture (package 0 holds the even OS indexes).
	cb topo --topology "$FIX_DIR/2pkg-2numa-6core-smt2.xml" --bind compact --workers 4 --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(jq -c '[.plan[].pu_os_index]' "$T/stdout")" = "[0,2,4,6]" ] ||
		fail "plan $(jq -c '[.plan[].pu_os_index]' "$T/stdout")"
}

test_run_on_foreign_topology_only_plans() {
	cb cpu --topology 'synthetic:pack:2 core:2 pu:2' --bind compact --workers 1..2 --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q 'planning only' "$T/stdout" || fail "no planning-only notice" || return
	[ ! -e "$OUTF" ] || fail "a report was written although nothing ran"
}

test_bad_topology() { expect_usage topo --topology "$T/no-such.xml"; }
test_bad_cpuset() { expect_usage cpu --output "$OUTF" --bind 0-4095; }

test_cores_runs_every_pu() {
	cb cores --size 2M --repetitions 3 --format json
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	jq -e --argjson n "$(nproc)" '(.pus | length) == $n
	    and all(.pus[]; .verified and .median_s > 0 and .off_pu_repetitions == 0)' \
		"$T/stdout" >/dev/null || fail "not one verified, pinned median per PU: $(jq -c .pus "$T/stdout")"
}

test_cores_latency() {
	cb cores --latency --handoffs 2000 --batches 3
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	cb cores --latency --executor fork --handoffs 200 --batches 3
	[ "$RC" -eq 0 ] || fail "fork: exit $RC: $(first_err)"
}

test_compare_exit_codes() {
	make_report || return
	cb compare "$T/base.json" "$T/base.json"
	[ "$RC" -eq 0 ] || fail "A/A on one file: exit $RC" || return
	grep -q '^summary: 0 regressed' "$T/stdout" || fail "no clean summary line" || return
	# A copy whose every sample is 20% slower than the base's slowest: the two sets cannot
	# overlap, so p = 2/C(12,6) < 0.01 whatever the measured samples, and the verdict is a
	# regression, exit 1. (Each sample times 1.2 overlapped often enough for p >= 0.01.)
	jq '.runs |= map((.samples_s | max / min * 1.2) as $f
	                 | .samples_s |= map(. * $f) | .median_s *= $f)' "$T/base.json" >"$T/slow.json"
	jq -e --slurpfile b "$T/base.json" '[.runs, $b[0].runs] | transpose
	    | all((.[0].samples_s | min) > (.[1].samples_s | max) * 1.199)' "$T/slow.json" >/dev/null ||
		fail "the slow copy overlaps the base" || return
	cb compare "$T/base.json" "$T/slow.json"
	[ "$RC" -eq 1 ] || fail "20% slower: exit $RC, expected 1" || return
	local nruns
	nruns=$(jq '.runs | length' "$T/base.json")
	grep -q "^summary: $nruns regressed, 0 improved, 0 unchanged, 0 inconclusive, 0 insufficient" \
		"$T/stdout" || fail "not $nruns regressions: $(grep '^summary' "$T/stdout")" || return
	# The same samples from a host with another THP mode: unchanged, but warned about.
	jq '.host.thp_enabled = "always"' "$T/base.json" >"$T/thp.json"
	cb compare "$T/base.json" "$T/thp.json"
	[ "$RC" -eq 0 ] || fail "THP differs: exit $RC" || return
	grep -q "thp_enabled" "$T/stderr" || fail "no warning naming thp_enabled" || return
	expect_usage compare "$T/base.json" "$T/missing.json" || return
	expect_usage compare "$T/base.json" "$T/base.json" --threshold -1
}

# ---- regressions -----------------------------------------------------------------------------

test_bad_executor_empty_list() { expect_usage cpu --output "$OUTF" --executor ,; }
test_bad_suite_scaling() { expect_usage suite --output "$OUTF" --scaling weak; }

# A thread worker that is slow, not stuck, past --timeout: expected exit 3 with "hung";
# it was exit 139, a crash, because the workers kept taking tasks from a freed instance.
test_thread_timeout_slow_worker_exits_3() {
	local s
	for s in 2 5; do    # seeds that visit the thread cell before seq's timeout
		cb cpu --size 1G --tasks 4096 --workers 2 --executor thread --timeout 20ms \
			--repetitions 6 --seed "$s" --quiet --output "$OUTF"
		[ "$RC" -eq 3 ] || fail "seed $s: exit $RC, expected 3: $(first_err)" || return
		no_output_file || return
	done
}

# A seq baseline past --timeout: expected exit 3; it was accepted (exit 0) as a sample.
test_seq_timeout() {
	cb io --duration 500ms --tasks 2 --workers 1 --executor seq --timeout 100ms \
		--repetitions 1 --warmup 0 --quiet --output "$OUTF"
	[ "$RC" -eq 3 ] && grep -q 'did not finish' "$T/stderr" ||
		fail "exit $RC: $(first_err)" || return
	no_output_file
}

# Standard output that cannot be written: expected exit 3; it was exit 0.
test_stdout_full() {
	[ -w /dev/full ] || { WHY=; return 0; }
	env TMPDIR="$PRIV_TMP" "$BIN" cpu --size 1M --workers 1 --repetitions 1 --warmup 0 \
		--format json >/dev/full 2>"$T/stderr"
	local rc=$?
	[ "$rc" -eq 3 ] || fail "exit $rc, expected 3"
}

test_dry_run_runs_nothing() {
	cb cpu --workers 1..3 --executor thread,fork --dry-run --output "$OUTF"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	grep -q '^7 runs; 10 samples each' "$T/stdout" || fail "no run count: $(tail -n 1 "$T/stdout")" || return
	no_output_file || return
	expect_usage mem --size 100T --dry-run --output "$OUTF"
}

# Further tests, one file per area: tests/cli/t_*.sh define more test_ functions and may use
# every helper above.
for f in "$(dirname "${BASH_SOURCE[0]}")"/t_*.sh; do
	[ -e "$f" ] || continue
	# shellcheck source=/dev/null
	. "$f"
done

# ---- runner -----------------------------------------------------------------------------

# skip REASON: inside a test, it cannot run here (a tool or a build option is missing): it
# is counted and shown as `skip - NAME: REASON`, neither passed nor failed.
SKIP_WHY=
skip() {
	SKIP_WHY="$*"
	return 0
}

run_test() {
	local name=$1
	rm -rf "$OUTDIR" "$PRIV_TMP"
	mkdir -p "$OUTDIR" "$PRIV_TMP"
	WHY=
	FAULT=
	SKIP_WHY=
	local st=0
	"$name" || st=$?
	if [ "$st" -eq 0 ] && [ -n "$SKIP_WHY" ] && [ -z "$WHY" ]; then
		skip_test "$name" "$SKIP_WHY"
	elif [ "$st" -eq 0 ] && [ -z "$WHY" ] && [ -z "$SKIP_WHY" ] &&
		{ ! grep -qs 'WARNING: ThreadSanitizer' "$T/stderr" || fail "ThreadSanitizer: $(grep -m1 -A2 'WARNING: ThreadSanitizer' "$T/stderr" | tr '\n' ' ' | cut -c1-300)"; }; then
		PASSED=$((PASSED + 1))
		echo "ok - ${name#test_}"
	else
		FAILED=$((FAILED + 1))
		echo "FAIL - ${name#test_}: ${WHY:-failed}"
	fi
}

skip_test() {
	SKIPPED=$((SKIPPED + 1))
	echo "skip - ${1#test_}: $2"
}

# CB_CLI_ONLY=REGEX runs only the tests whose name (without test_) matches, e.g. the
# timeout, hang, crash and signal tests on a ThreadSanitizer build (tests/run-all.sh).
START=$(date +%s)
for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
	if [ -n "${CB_CLI_ONLY:-}" ] && ! [[ ${t#test_} =~ $CB_CLI_ONLY ]]; then
		continue
	fi
	if [ "$t" = test_bad_output_readonly_dir ] && [ "$(id -u)" -eq 0 ]; then
		skip_test "$t" "running as root, which can write anywhere"
		continue
	fi
	run_test "$t"
done
echo "# $((PASSED + FAILED)) tests ($SKIPPED skipped) in $(( $(date +%s) - START )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
