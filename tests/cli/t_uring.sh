# shellcheck shell=bash
# The event-loop executors: uring (io_uring, falling back to epoll where it is refused) and
# epoll (the fallback forced). Verification on both backends, the report's backend and
# depth, --depth's bad input, the fallback under a seccomp filter that refuses io_uring,
# Ctrl-C and a hung loop. Sourced by run.sh: uses its helpers (cb, fail, expect_usage,
# expect_ok, bg_start, bg_wait, expect_interrupted...).

# The backend uring ran on: io_uring, unless this machine refuses it (then it said so once).
uring_expected_backend() {
	if grep -q 'io_uring refused' "$T/stderr"; then echo epoll; else echo io_uring; fi
}

# io sleep and io file, verified against seq on both backends; every loop run records its
# backend and depth, no other run does.
uring_check_runs() {
	local want
	want=$(uring_expected_backend)
	jq -e --arg want "$want" '
	    ([.runs[] | select(.executor == "uring") | .backend] | length > 0 and all(. == $want))
	    and ([.runs[] | select(.executor == "epoll") | .backend] | length > 0
		 and all(. == "epoll"))
	    and all(.runs[] | select(.executor == "uring" or .executor == "epoll"); .depth == 64)
	    and all(.runs[] | select(.executor != "uring" and .executor != "epoll");
		    has("backend") or has("depth") | not)
	    and all(.runs[]; .verified == true)' "$T/report.json" >/dev/null ||
		fail "runs: $(jq -c '[.runs[] | [.executor, .workers, .backend, .depth, .verified]]' \
			"$T/report.json")"
}
test_uring_io_sleep_verified() {
	expect_ok io --executor uring,epoll --workers 1,2 -r 2 --duration 1ms --tasks 16 \
		--format json -o "$OUTF" || return
	uring_check_runs
}
test_uring_io_file_verified() {
	expect_ok io --io file --size 200K --tasks 12 --executor uring,epoll --workers 1,2 -r 2 \
		--format json -o "$OUTF" || return
	uring_check_runs
}
test_uring_io_file_dynamic_shallow() {
	# Depth 2 under the dynamic schedule: slots are reused many times within a repetition.
	expect_ok io --io file --size 100K --tasks 16 --executor uring,epoll --workers 2 -r 2 \
		--depth 2 --schedule dynamic --format json -o "$OUTF" || return
	jq -e 'all(.runs[] | select(.backend); .depth == 2) and all(.runs[]; .verified)' \
		"$T/report.json" >/dev/null || fail "depth or verification: $(jq -c \
		'[.runs[] | [.executor, .depth, .verified]]' "$T/report.json")"
}

# cpu and mem have no asynchronous form: they run inline on the loop, verified.
test_uring_cpu_mem_inline() {
	expect_ok cpu --size 2M --executor uring --workers 1,2 -r 2 --format json -o "$OUTF" ||
		return
	jq -e '[.runs[] | select(.executor == "uring") | .verified] == [true, true]' \
		"$T/report.json" >/dev/null || fail "cpu: $(jq -c '[.runs[] | .verified]' "$T/report.json")" ||
		return
	rm -f "$OUTF"
	expect_ok mem --size 1M --executor epoll --workers 2 -r 2 --format json -o "$OUTF" || return
	jq -e 'all(.runs[]; .verified)' "$T/report.json" >/dev/null || fail "mem not verified"
}

# epoll is the fallback forced: run only when named, never in --executor all.
test_uring_epoll_named_only() {
	expect_ok io --workers 1 -r 1 --warmup 0 --duration 0 --tasks 2 --format json -o "$OUTF" ||
		return
	jq -e '[.runs[] | .executor] | index("uring") != null and index("epoll") == null' \
		"$T/report.json" >/dev/null || fail "executors: $(jq -c '[.runs[] | .executor]' "$T/report.json")"
}

test_uring_bad_depth() {
	local d
	for d in 0 1025 99999999999 abc -3 ''; do
		expect_usage io --executor uring --depth "$d" -o "$OUTF" || return
		grep -q -- '--depth: expected a count from 1 to 1024' "$T/stderr" ||
			fail "--depth '$d': $(first_err)" || return
	done
}

# A loop gives no lock to share: --gil names the executor it does not apply to.
test_uring_gil_refused() {
	expect_usage io --executor uring --gil || return
	grep -q -- '--gil: .*got --executor uring' "$T/stderr" || fail "message: $(first_err)"
}

# The loader takes backend and depth where they are sane, and refuses anything else.
test_uring_loader_backend() {
	expect_ok io --executor uring --workers 1 -r 2 --duration 1ms --tasks 4 --format json \
		-o "$OUTF" || return
	rm -f "$OUTF"
	jq '(.runs[] | select(.executor == "uring")).backend = "kqueue"' "$T/report.json" \
		>"$T/bad-backend.json"
	expect_usage report "$T/bad-backend.json" || return
	grep -q '"backend" is not "io_uring" or "epoll"' "$T/stderr" || fail "backend: $(first_err)" ||
		return
	jq '(.runs[] | select(.executor == "uring")).depth = 0' "$T/report.json" >"$T/bad-depth.json"
	expect_usage report "$T/bad-depth.json" || return
	grep -q '"depth" is not a whole number' "$T/stderr" || fail "depth: $(first_err)" || return
	jq 'del(.runs[].backend, .runs[].depth)' "$T/report.json" >"$T/old.json"
	cb report "$T/old.json"
	[ "$RC" -eq 0 ] || fail "a report without backend: exit $RC: $(first_err)"
}

# The seccomp helper (tests/helpers/noring.c) beside the binary, or built here.
noring_path() {
	local nr=${BIN%/*}/noring
	if [ ! -x "$nr" ]; then
		nr=$T/noring
		[ -x "$nr" ] || ${CC:-cc} -std=gnu11 -O2 -o "$nr" tests/helpers/noring.c 2>/dev/null ||
			return 1
	fi
	echo "$nr"
}

# Container-like: io_uring_setup fails with EPERM (as under Docker's default seccomp
# profile). uring falls back to epoll with one warning naming why, records backend epoll,
# verifies, and the table heads its column uring(epoll).
test_uring_seccomp_fallback() {
	local nr
	nr=$(noring_path) || { skip_test test_uring_seccomp_fallback "no C compiler to build tests/helpers/noring.c"; return; }
	RC=0
	env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$nr" "$BIN" io --executor thread,uring \
		--workers 1,2 -r 2 --duration 1ms --tasks 8 --format json -o "$OUTF" \
		>"$T/stdout" 2>"$T/stderr" || RC=$?
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(grep -c 'io_uring refused' "$T/stderr")" -eq 1 ] ||
		fail "not one fallback warning: $(grep -c 'io_uring refused' "$T/stderr")" || return
	grep -q '^concbench: warning: io_uring refused (EPERM: .*): using epoll$' "$T/stderr" ||
		fail "warning: $(grep 'io_uring' "$T/stderr")" || return
	jq -e '[.runs[] | select(.executor == "uring") | .backend] == ["epoll", "epoll"]
	    and all(.runs[]; .verified)' "$OUTF" >/dev/null ||
		fail "runs: $(jq -c '[.runs[] | [.executor, .backend, .verified]]' "$OUTF")" || return
	tmpdir_empty || return
	cb report "$OUTF"
	[ "$RC" -eq 0 ] || fail "report: exit $RC" || return
	grep -q '^  workers   thread .* uring(epoll) ' "$T/stdout" ||
		fail "no uring(epoll) column: $(grep workers "$T/stdout")" || return
	# Without the filter the same binary runs on io_uring (where this machine allows it).
	rm -f "$OUTF"
	expect_ok io --executor uring --workers 1 -r 2 --duration 1ms --tasks 8 --format json \
		-o "$OUTF" || return
	[ "$(jq -r '.runs[] | select(.executor == "uring") | .backend' "$T/report.json")" = \
		"$(uring_expected_backend)" ] || fail "backend without the filter"
}

# Ctrl-C with tasks in flight: in-flight operations are cancelled and drained, the run
# ends with exit 3, and no file, directory or process is left. On both backends (epoll: its
# file thread; these names run under ThreadSanitizer too).
test_uring_sigint_io_file() {
	signal_after_1s INT uring io --io file --size 64K --tasks 32 --repetitions 100000
}
test_uring_sigint_epoll_file() {
	signal_after_1s INT epoll io --io file --size 64K --tasks 32 --repetitions 100000
}
test_uring_sigterm_sleep() {
	signal_after_1s TERM uring io --duration 50ms --tasks 64 --repetitions 100
}

# A loop that hangs in a task (inline, the test fault) is named at the deadline: exit 3.
test_uring_hang_timeout() {
	FAULT=uring:hang:1 cb cpu --size 2M --executor uring --workers 2 -r 2 --warmup 0 \
		--timeout 1s -o "$OUTF"
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3 (stderr: $(first_err))" || return
	grep -q 'hung' "$T/stderr" || fail "stderr: $(first_err)" || return
	no_output_file || return
	tmpdir_empty
}

# A loop is a thread of the coordinator's process: its crash ends the process, so
# --on-crash restart has nothing to restart it in (as for thread).
test_uring_inject_restart_refused() {
	expect_usage cpu --size 2M --executor uring --workers 2 --inject crash:0:0 \
		--on-crash restart -o "$OUTF" || return
	grep -q -- '--on-crash restart: uring cannot replace a worker' "$T/stderr" ||
		fail "message: $(first_err)"
}
