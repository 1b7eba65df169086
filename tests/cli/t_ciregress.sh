# shellcheck shell=bash
# scripts/ci-regress --history: the head's invocations are added to the history database
# as invocations of the checked-out commit (its full SHA), or, in a tree with local changes,
# not at all and said so.

test_ci_regress_history() {
	local script sha
	script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/ci-regress
	bash "$script" --suite cpu --repetitions 6 --invocations 2 --baseline "$T/base.json" --update \
		--history "$T/h.sqlite" -- --size 1M --workers 1 --executor seq >"$T/stdout" 2>"$T/stderr" ||
		fail "--update --history: $(tail -n 1 "$T/stderr")" || return
	[ -f "$T/base-1.json" ] && [ -f "$T/base-2.json" ] || fail "no baseline written" || return
	if git -C "$(dirname "$script")" diff --quiet HEAD -- 2>/dev/null; then
		sha=$(git -C "$(dirname "$script")" rev-parse HEAD) || fail "git rev-parse" || return
		"$BIN" history show --db "$T/h.sqlite" --format json >"$T/show.json" 2>"$T/stderr" ||
			fail "history show: $(first_err)" || return
		jq -e --arg sha "$sha" '[.. | objects | select(has("commit")) | .commit] | unique == [$sha]' \
			"$T/show.json" >/dev/null || fail "the database does not hold $sha only" || return
		jq -e '[.. | objects | select(has("invocations")) | .invocations] | all(. == 2)' \
			"$T/show.json" >/dev/null || fail "not 2 invocations per commit"
	else
		grep -q -- '--history: the tree has local changes, nothing added' "$T/stderr" ||
			fail "a dirty tree was not said: $(tail -n 1 "$T/stderr")" || return
		[ ! -s "$T/h.sqlite" ] || fail "a dirty tree's runs were added"
	fi
}
