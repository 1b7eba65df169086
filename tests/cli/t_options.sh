# shellcheck shell=bash
# The option table and the command table: every command's --help and messages come from
# them, and the names they list come from the registry. Sourced by run.sh.

# The global help's commands are the commands: each one answers --help with its usage, and
# an unknown command's message names every one of them.
test_options_one_command_list() {
	local cmds name
	cb --help
	[ "$RC" -eq 0 ] || fail "--help: exit $RC: $(first_err)" || return
	cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$T/stdout")
	[ "$(echo "$cmds" | wc -l)" -ge 9 ] || fail "--help lists only: $cmds" || return
	expect_usage nosuchcommand || return
	for name in $cmds; do
		grep -q -- " ${name}[,; )]" "$T/stderr" ||
			fail "the unknown-command message does not name '$name': $(first_err)" || return
	done
	for name in $cmds; do
		cb "$name" --help
		[ "$RC" -eq 0 ] || fail "$name --help: exit $RC: $(first_err)" || return
		grep -q "^usage: concbench $name" "$T/stdout" ||
			fail "$name --help: no usage line" || return
		grep -q -- '--help' "$T/stdout" || fail "$name --help does not list --help" || return
	done
}

# Every option a command's --help lists is one it takes: with a bad value it is refused for
# that value, and a flag is accepted before the unknown option that follows it.
test_options_help_lists_what_parses() {
	local name opt line bogus n=0
	for name in cpu io mem suite topo cores report compare explain; do
		cb "$name" --help
		while IFS= read -r line; do
			line="  ${line#  ????}"      # the short form, "-r, ", or its four spaces
			opt=${line#  }
			opt=${opt%% *}
			[ "$opt" = --help ] && continue
			n=$((n + 1))
			if [ "${line#  "$opt" }" != "$line" ] && [ "${line#  "$opt"  }" = "$line" ]; then
				bogus=/nonexistent/%bogus%
				# a label is any short printable text: a tab is what it refuses
				case $opt in --label | --labels) bogus=$(printf 'a\tb') ;; esac
				expect_usage "$name" "$opt=$bogus" ||
					{ WHY="$name $opt: $WHY"; return 1; }
				! grep -q 'unknown option' "$T/stderr" ||
					fail "$name --help lists $opt, but it is unknown: $(first_err)" || return
			else
				expect_usage "$name" "$opt" --zz-not-an-option ||
					{ WHY="$name $opt: $WHY"; return 1; }
				grep -q "unknown option '--zz-not-an-option'" "$T/stderr" ||
					fail "$name $opt: refused: $(first_err)" || return
			fi
		done < <(grep -E -- '^  (-[a-z], |    )--[a-z]' "$T/stdout")
	done
	[ "$n" -ge 40 ] || fail "only $n options in the helps"
}

# Executor names in help and messages are the registry's, as `list` prints them.
test_options_executors_from_registry() {
	local names x
	cb list
	[ "$RC" -eq 0 ] || fail "list: exit $RC" || return
	names=$(sed -n '/^executors:/,/^bindings:/s/^  \([a-z]*\) .*/\1/p' "$T/stdout")
	[ -n "$names" ] || fail "list shows no executors" || return
	cb cpu --help
	for x in $names; do
		grep -q -- "--executor .*$x" "$T/stdout" || fail "cpu --help does not name $x" || return
	done
	expect_usage cpu --executor nosuch || return
	for x in $names; do
		grep -q "$x" "$T/stderr" || fail "the --executor message does not name $x" || return
	done
}
