# shellcheck shell=bash
# Help, man page, README options and bash completion: each lists every option of the option
# table, whose names come from the binary itself (`help --options CMD`), never from a list
# here. Also: a reader that leaves early, --quiet that would keep nothing, gnuplot checked
# before a chart is asked for, and which hwloc `topo` names. Sourced by run.sh.

HELP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The commands, as the global --help lists them.
help_commands() {
	"$BIN" --help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'
}

# help_options CMD: "--long" or "--long -s", one option a line.
help_options() {
	"$BIN" help --options "$1" 2>&1
}

test_help_every_command() {
	local name n=0
	for name in $(help_commands); do
		n=$((n + 1))
		for form in help --help; do
			cb "$form" "$name"
			[ "$RC" -eq 0 ] || fail "$form $name: exit $RC: $(first_err)" || return
			grep -q "^usage: concbench $name" "$T/stdout" ||
				fail "$form $name: no usage line" || return
		done
	done
	[ "$n" -ge 10 ] || fail "only $n commands in --help" || return
	expect_usage help frob || return
	grep -q "'frob'" "$T/stderr" || fail "help frob: $(first_err)" || return
	expect_usage --help frob || return
	expect_usage help --options frob || return
	cb help help
	[ "$RC" -eq 0 ] && grep -q '^usage: concbench COMMAND' "$T/stdout" ||
		fail "help help: exit $RC: $(first_err)"
}

# Every option of the table is in its command's --help, with its short form beside it.
test_help_lists_every_option() {
	local name long short n=0
	for name in $(help_commands); do
		cb "$name" --help
		[ "$RC" -eq 0 ] || fail "$name --help: exit $RC" || return
		help_options "$name" >"$T/opts" && [ -s "$T/opts" ] ||
			fail "help --options $name: $(head -n 1 "$T/opts")" || return
		while read -r long short; do
			n=$((n + 1))
			if [ -n "$short" ]; then
				grep -qE -- "^  $short, $long( |\$)" "$T/stdout" ||
					fail "$name --help lacks '$short, $long'" || return
			else
				grep -qE -- "^      $long( |\$)" "$T/stdout" ||
					fail "$name --help lacks $long" || return
			fi
		done <"$T/opts"
	done
	[ "$n" -ge 80 ] || fail "only $n options from help --options"
}

# The man page: the commands' options generated into docs/concbench.1.in's prose; each one
# in its command's section of what `man -l` renders.
test_help_man_page_lists_every_option() {
	local name long short page=$T/concbench.1
	sh "$HELP_ROOT/scripts/man-page" "$BIN" "$HELP_ROOT/docs/concbench.1.in" >"$page" ||
		fail "scripts/man-page failed" || return
	grep -q '^@' "$page" && { fail "a placeholder is left: $(grep -m1 '^@' "$page")"; return; }
	if ! command -v man >/dev/null 2>&1; then
		echo "# help_man_page_lists_every_option: man is not installed, the page is not rendered"
		return 0
	fi
	MANWIDTH=200 LC_ALL=C man --warnings -l "$page" 2>"$T/stderr" | col -b >"$T/man.txt"
	[ ! -s "$T/stderr" ] || fail "man -l: $(first_err)" || return
	grep -q '^EXIT STATUS' "$T/man.txt" || fail "man -l rendered no EXIT STATUS" || return
	for name in $(help_commands); do
		awk -v h="concbench $name " 'index($0, "   " h) == 1 { on = 1; next }
			/^   concbench / || /^[A-Z]/ { on = 0 } on' "$T/man.txt" >"$T/section"
		[ -s "$T/section" ] || fail "the man page has no section for $name" || return
		help_options "$name" >"$T/opts" && [ -s "$T/opts" ] ||
			fail "help --options $name: $(head -n 1 "$T/opts")" || return
		while read -r long short; do
			grep -qE -- "^ +(${short:+$short, })$long( |\$)" "$T/section" ||
				fail "the man page's $name section lacks ${short:+$short, }$long" || return
		done <"$T/opts"
	done
}

# README.md's Options section: every option in its command's block.
test_help_readme_lists_every_option() {
	local name long short readme=$HELP_ROOT/README.md
	grep -q '^## Options' "$readme" || fail "README.md has no Options section" || return
	for name in $(help_commands); do
		awk -v h="### concbench $name" '$0 == h || index($0, h " ") == 1 { on = 1; next }
			/^##/ { on = 0 } on' "$readme" >"$T/section"
		[ -s "$T/section" ] ||
			fail "README.md has no '### concbench $name' (run scripts/readme-options)" || return
		help_options "$name" >"$T/opts" && [ -s "$T/opts" ] ||
			fail "help --options $name: $(head -n 1 "$T/opts")" || return
		while read -r long short; do
			grep -qE -- "^  (${short:+$short, }|    )$long( |\$)" "$T/section" ||
				fail "README.md's $name options lack $long (run scripts/readme-options)" ||
				return
		done <"$T/opts"
	done
}

# help_complete WORD...: what the generated completion offers after them.
help_complete() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _concbench
		printf "%s\n" "${COMPREPLY[@]}"' _ "$T/completion" concbench "$@"
}

test_help_bash_completion() {
	local name long short got
	"$BIN" help --bash-completion >"$T/completion" || fail "help --bash-completion" || return
	bash -n "$T/completion" || fail "the completion script does not parse" || return
	got=$(help_complete "")
	for name in $(help_commands); do
		echo "$got" | grep -qx "$name" || fail "no command $name offered" || return
		got=$(help_complete "$name" --)
		help_options "$name" >"$T/opts" && [ -s "$T/opts" ] ||
			fail "help --options $name: $(head -n 1 "$T/opts")" || return
		while read -r long short; do
			echo "$got" | grep -qx -- "$long" ||
				fail "'$name --' does not offer $long" || return
		done <"$T/opts"
		got=$(help_complete "")
	done
	# The choices, from the registry and the table.
	for x in $("$BIN" list | sed -n '/^executors:/,/^bindings:/s/^  \([a-z]*\) .*/\1/p'); do
		help_complete cpu --executor "" | grep -qx "$x" ||
			fail "cpu --executor: $x not offered" || return
	done
	help_complete topo --bind "" | grep -qx scatter || fail "topo --bind: no scatter" || return
	help_complete report -f "" | grep -qx markdown || fail "report -f: no markdown" || return
	help_complete mem --pattern "" | grep -qx touch || fail "mem --pattern: no touch" || return
	help_complete cores --workload "" | grep -qx io || fail "cores --workload: no io"
}

# A reader that leaves (| head) ends the command quietly, its status unchanged; a full
# disk is still a failure.
test_help_reader_gone_quiet_exit() {
	local f=$FIX_DIR/report-2vcpu.json rc
	# Over 300 KB: more than a pipe holds, so the writer meets the closed pipe.
	rc=$( { env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$BIN" report --format json \
		"$f" "$f" "$f" "$f" "$f" "$f" "$f" "$f" 2>"$T/stderr"; echo $? >"$T/rc"; } |
		head -c1 >/dev/null; cat "$T/rc")
	[ "$rc" -eq 0 ] || fail "report | head -c1: exit $rc: $(first_err)" || return
	[ ! -s "$T/stderr" ] || fail "report | head -c1: $(first_err)" || return
	rc=$( { env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$BIN" topo --format json \
		--topology 'synthetic:pack:16 core:16 pu:2' 2>"$T/stderr"; echo $? >"$T/rc"; } |
		head -c1 >/dev/null; cat "$T/rc")
	[ "$rc" -eq 0 ] || fail "topo | head -c1: exit $rc: $(first_err)" || return
	[ ! -s "$T/stderr" ] || fail "topo | head -c1: $(first_err)" || return
	# Short outputs: the reader is gone before they write (or they fit the pipe; exit 0 too).
	for args in "list" "help cpu" "--help" "explain $f" "compare $f $f"; do
		# shellcheck disable=SC2086
		rc=$( { sleep 1; env TMPDIR="$PRIV_TMP" timeout -k 5 60 "$BIN" $args \
			2>"$T/stderr"; echo $? >"$T/rc"; } | true; cat "$T/rc")
		[ "$rc" -eq 0 ] || fail "$args | true: exit $rc: $(first_err)" || return
		[ ! -s "$T/stderr" ] || fail "$args | true: $(first_err)" || return
	done
	if [ -w /dev/full ]; then
		env TMPDIR="$PRIV_TMP" "$BIN" report "$f" >/dev/full 2>"$T/stderr"
		rc=$?
		[ "$rc" -eq 3 ] && grep -q 'cannot write' "$T/stderr" ||
			fail "report >/dev/full: exit $rc: $(first_err)"
	fi
}

# --quiet without --output would keep nothing: refused before running, naming both.
test_help_quiet_needs_output() {
	expect_usage cpu --quiet --size 1M --workers 1 || return
	grep -q -- '--quiet.*--output' "$T/stderr" || fail "message: $(first_err)" || return
	expect_usage io -q --dry-run || return
	# The suite writes results/latest.json by default; JSON on stdout keeps the report.
	mkdir -p "$T/suite" || return
	[ "$(cd "$T/suite" && env TMPDIR="$PRIV_TMP" "$BIN" suite -q --dry-run >/dev/null 2>&1;
	     echo $?)" -eq 0 ] || fail "suite -q --dry-run refused" || return
	cb cpu -q --format json --size 1M --workers 1 --repetitions 2 --warmup 0
	[ "$RC" -eq 0 ] && jq -e .runs "$T/stdout" >/dev/null ||
		fail "cpu -q --format json: exit $RC: $(first_err)"
}

# gnuplot is checked when --plot is parsed, before a report is read or a run starts.
test_help_report_plot_without_gnuplot() {
	local rc=0
	mkdir -p "$T/bin"
	timeout -k 5 60 env PATH="$T/bin" TMPDIR="$PRIV_TMP" "$BIN" report --plot "$OUTDIR/x.png" \
		"$FIX_DIR/report-2vcpu.json" >"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" -eq 2 ] || fail "exit $rc, expected 2: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "the report was rendered: $(head -n 1 "$T/stdout")" || return
	[ "$(grep -c '' "$T/stderr")" -eq 1 ] &&
		grep -q '^concbench: --plot: .*gnuplot-nox' "$T/stderr" ||
		fail "stderr: $(first_err)" || return
	[ ! -e "$OUTDIR/x.png" ] || fail "a chart was written"
}

# topo names the hwloc release that loaded this machine and its API version apart; a
# topology from a file, the API and the headers built against.
test_help_topo_hwloc_versions() {
	cb topo
	[ "$RC" -eq 0 ] || fail "topo: exit $RC: $(first_err)" || return
	grep -qE '^topology: this machine \(hwloc [0-9]+\.[0-9]+\.[0-9]+, API [0-9.]+\)$' \
		"$T/stdout" || fail "topo: $(head -n 1 "$T/stdout")" || return
	if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists hwloc; then
		grep -qF "(hwloc $(pkg-config --modversion hwloc), API" "$T/stdout" ||
			fail "topo: $(head -n 1 "$T/stdout"), pkg-config: $(pkg-config --modversion hwloc)" ||
			return
	fi
	cb topo --topology "$FIX_DIR/4pkg-2core-smt2.xml"
	grep -qE '\(hwloc API [0-9.]+, headers [0-9.]+\)$' "$T/stdout" ||
		fail "topo --topology: $(head -n 1 "$T/stdout")" || return
	cb topo --format json
	jq -e '.hwloc and .hwloc_library' "$T/stdout" >/dev/null ||
		fail "topo --format json: no hwloc_library"
}
