# shellcheck shell=bash
# --gil: one global lock among the thread executor's workers (that the lock serialises
# computing and is let go around blocking calls is tested in tests/unit/test_gil.c). Here:
# which executors take it, what the report records and how a table shows it. Sourced by
# run.sh: uses its helpers (cb, fail, expect_usage, expect_ok...).

# Processes share no lock: --gil with any executor but thread is bad input, and so is the
# default list (every executor).
test_gil_thread_only() {
	expect_usage cpu --gil || return
	grep -q -- '--gil: .*expected --executor thread' "$T/stderr" || fail "message: $(first_err)" ||
		return
	expect_usage io --executor fork --gil || return
	expect_usage mem --executor thread,shm --gil || return
	expect_usage suite --executor shm --gil || return
	grep -q -- '--executor shm' "$T/stderr" || fail "does not name shm: $(first_err)"
}

# The thread runs record "gil": true; the seq baseline, which never holds the lock, has no
# such field and stays in the same group (one table); the loader takes the field, the
# table heads the column thread+gil, and a "gil" that is not a boolean is refused.
test_gil_report_records_it() {
	expect_ok io --executor thread --gil --workers 1,2 -r 2 --duration 1ms --tasks 4 \
		--format json -o "$OUTF" || return
	jq -e '[.runs[] | select(.executor == "thread") | .gil == true] == [true, true]
	    and ([.runs[] | select(.executor == "seq") | has("gil")] == [false])
	    and all(.runs[]; .params | has("gil") | not)' "$T/report.json" >/dev/null ||
		fail "gil fields: $(jq -c '[.runs[] | {executor, gil}]' "$T/report.json")" || return
	cb report "$T/report.json"
	[ "$RC" -eq 0 ] || fail "report: exit $RC: $(first_err)" || return
	[ "$(grep -c '^io ' "$T/stdout")" -eq 1 ] || fail "not one group: $(grep '^io ' "$T/stdout")" ||
		return
	grep -q '^  workers   thread+gil ' "$T/stdout" && grep -Eq '^  2 .* thread\+gil$' "$T/stdout" ||
		fail "no thread+gil column or best: $(cat "$T/stdout")" || return
	rm -f "$OUTF"
	jq '.runs[1].gil = "yes"' "$T/report.json" >"$T/bad-gil.json"
	expect_usage report "$T/bad-gil.json" || return
	grep -q '"gil"' "$T/stderr" || fail "does not name gil: $(first_err)"
}

# Without --gil nothing changes: no run has the field.
test_gil_absent_by_default() {
	expect_ok io --executor thread --workers 2 -r 2 --duration 1ms --tasks 4 --format json \
		-o "$OUTF" || return
	jq -e 'all(.runs[]; has("gil") | not)' "$T/report.json" >/dev/null ||
		fail "a run has gil: $(jq -c '[.runs[] | .gil]' "$T/report.json")"
}
