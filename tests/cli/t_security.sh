# shellcheck shell=bash
# Command-line tests: a report file must never run code or drive the terminal, charts are
# written atomically, large reports render in bounded time, and every command stops on
# SIGTERM. Sourced by run.sh, whose helpers (cb, expect_usage, make_report, fail...) these use.

# The hostile strings: both quote styles for gnuplot, its backquote command substitution
# and @ macros, shell substitution, newlines, ESC/OSC sequences, C1 CSI and a bidi
# override. Each one that ran would create a file $T/pwned*.
sec_payloads() {
	printf '%s\n' \
		"t\" noenhanced; system(\"touch $T/pwned1\"); set title \"x" \
		"t' noenhanced; system('touch $T/pwned2'); set title 'x" \
		"\`touch $T/pwned3\` '\`touch $T/pwned3\`' \"\`touch $T/pwned3\`\"" \
		"@M x\" ; M = 'system(\"touch $T/pwned4\")'; @M; \"" \
		"\$(touch $T/pwned5) \`touch $T/pwned5\` | ; & < > [l](u) *b* _i_ =cmd|' /C calc'!A0"
}

# sec_hostile N PAYLOAD: $T/hostile-N.json, $T/base.json with PAYLOAD in every string
# that a rendering shows, a newline and escape sequences around it.
sec_hostile() {
	local n=$1 s=$2
	jq --arg s "$s" '
	  ("\u001b[31m\u001b]0;title\u0007" + $s + "\n\u001b[2J\u009b31m\u202e") as $h
	  | .created = $h
	  | .host.hostname = $h | .host.cpu_model = $h | .host.os = $h | .host.kernel = $h
	  | .warnings = [$h]
	  | .runs |= map(.workload = $h | .binding = $h
	                 | .params[$h] = $h | .params.kernel = $h
	                 | (if .executor == "thread" then .executor = $h else . end)
	                 | (if .throughput then .throughput.unit = $h else . end))
	' "$T/base.json" >"$T/hostile-$n.json"
	# the same runs from the original host: compare shows both hosts
	jq --slurpfile b "$T/base.json" '.host = $b[0].host' "$T/hostile-$n.json" >"$T/hostile-$n-host.json"
}

# sec_clean WHAT: no marker file, no ESC byte on stdout or stderr.
sec_clean() {
	local m
	m=$(find "$T" -name 'pwned*' 2>/dev/null)
	[ -z "$m" ] || fail "$1: a report string ran a command: $m" || return
	if LC_ALL=C grep -q $'\x1b' "$T/stdout" "$T/stderr"; then
		fail "$1: an ESC byte reached the terminal"
		return
	fi
}

test_security_hostile_strings_render_inert() {
	command -v gnuplot >/dev/null || { WHY="gnuplot not installed"; return 1; }
	make_report || return
	local n=0 s fmt
	while IFS= read -r s; do
		n=$((n + 1))
		sec_hostile "$n" "$s"
		for fmt in table markdown csv json; do
			cb report "$T/hostile-$n.json" --format "$fmt"
			[ "$RC" -eq 0 ] || fail "payload $n, $fmt: exit $RC: $(first_err)" || return
			sec_clean "payload $n, $fmt" || return
			cb report "$T/base.json" "$T/hostile-$n.json" --format "$fmt"
			[ "$RC" -eq 0 ] || fail "payload $n, two reports, $fmt: exit $RC" || return
			sec_clean "payload $n, two reports, $fmt" || return
		done
		# CSV: one line per run and a header, whatever the strings hold
		cb report "$T/hostile-$n.json" --format csv
		[ "$(grep -c '' "$T/stdout")" -eq $(($(jq '.runs | length' "$T/base.json") + 1)) ] ||
			fail "payload $n: csv is not one line per run" || return
		cb report "$T/base.json" "$T/hostile-$n.json" --plot "$OUTDIR/chart-$n.png"
		[ "$RC" -eq 0 ] || fail "payload $n, chart: exit $RC: $(first_err)" || return
		sec_clean "payload $n, chart" || return
		[ "$(head -c 8 "$OUTDIR/chart-$n.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
			fail "payload $n: no PNG" || return
		cb report "$T/hostile-$n.json" --plot "$OUTDIR/chart-$n.svg"
		[ "$RC" -eq 0 ] && grep -q '</svg>' "$OUTDIR/chart-$n.svg" ||
			fail "payload $n, svg: exit $RC: $(first_err)" || return
		! grep -q '<script\|\[l\](u) <' "$OUTDIR/chart-$n.svg" ||
			fail "payload $n: markup from the report in the SVG" || return
		sec_clean "payload $n, svg" || return
		for fmt in table markdown json; do
			cb compare "$T/hostile-$n-host.json" "$T/hostile-$n.json" --format "$fmt"
			[ "$RC" -le 1 ] || fail "payload $n, compare $fmt: exit $RC: $(first_err)" || return
			sec_clean "payload $n, compare $fmt" || return
			cb compare "$T/hostile-$n.json" "$T/hostile-$n.json" --format "$fmt"
			[ "$RC" -le 1 ] || fail "payload $n, compare A/A $fmt: exit $RC" || return
			sec_clean "payload $n, compare A/A $fmt" || return
		done
	done < <(sec_payloads)
	[ "$n" -eq 5 ] || fail "ran $n payloads" || return
	# markdown: links, emphasis and HTML from a report are escaped, never markup
	cb report "$T/hostile-5.json" --format markdown
	! grep -q -E '(^|[^\\])(<|\[l\]|\*b\*)' "$T/stdout" || fail "markdown markup from the report" || return
	jq '.runs |= map(if .executor == "thread" then .executor = "[l](u) <b>*b*</b> | x" else . end)' \
		"$T/base.json" >"$T/md.json"
	cb compare "$T/md.json" "$T/md.json" --format markdown
	[ "$RC" -eq 0 ] && grep -q 'l\\\](u)' "$T/stdout" || fail "compare markdown: exit $RC" || return
	! grep -q -E '(^|[^\\])(<|\[l\]|\*b\*)' "$T/stdout" ||
		fail "compare: markdown markup from the report" || return
	tmpdir_empty
}

# --plot names: refused before anything runs (exit 2), for runs and for report.
test_security_plot_bad_targets() {
	make_report || return
	local d=$T/targets p
	rm -rf "$d"
	mkdir "$d" "$d/dir.png"
	ln -s "$T/base.json" "$d/link.png"
	ln -s /dev/null "$d/null.png"
	mkfifo "$d/fifo.png"
	echo old >"$d/ro.png"
	chmod 444 "$d/ro.png"
	for p in dir.png link.png null.png fifo.png ro.png; do
		expect_usage cpu --size 1M --workers 1 --repetitions 3 --warmup 0 --output "$OUTF" \
			--plot "$d/$p" || { WHY="cpu --plot $p: $WHY"; return 1; }
		grep -q -- "--plot: .*$p" "$T/stderr" || fail "cpu --plot $p: $(first_err)" || return
		expect_usage report "$T/base.json" --plot "$d/$p" || { WHY="report --plot $p: $WHY"; return 1; }
		grep -q -- "--plot: .*$p" "$T/stderr" || fail "report --plot $p: $(first_err)" || return
	done
	[ -d "$d/dir.png" ] && [ -L "$d/link.png" ] && [ -p "$d/fifo.png" ] &&
		[ "$(cat "$d/ro.png")" = old ] || fail "a refused target was changed" || return
	cmp -s "$T/base.json" "$d/link.png" || fail "the link's target was changed" || return
	[ "$(find "$d" -mindepth 1 -maxdepth 1 | grep -c '')" -eq 5 ] || fail "left $(ls -A "$d" | tr '\n' ' ')" || return
	expect_usage cpu --output "$OUTF" --plot "$OUTDIR/missing-dir/x.png" || return
	expect_usage cpu --output "$OUTF" --plot "$OUTDIR/$(printf 'x%.0s' $(seq 300)).png"
}

# A quote, backquote or dollar in the chart's name is only a name.
test_security_plot_quoted_name() {
	command -v gnuplot >/dev/null || { WHY="gnuplot not installed"; return 1; }
	make_report || return
	mkdir "$OUTDIR/it's \"d\""
	local p="$OUTDIR/it's \"d\"/a'b\"c\`touch pwned1\`\$(touch pwned2)@x \$HOME %s.png"
	cb report "$T/base.json" --plot "$p"
	[ "$RC" -eq 0 ] || fail "exit $RC: $(first_err)" || return
	[ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
		fail "no PNG under the quoted name" || return
	[ "$(find "$OUTDIR/it's \"d\"" -mindepth 1 -maxdepth 1 | grep -c '')" -eq 1 ] ||
		fail "more than the chart: $(ls -A "$OUTDIR/it's \"d\"" | tr '\n' ' ')" || return
	sec_clean "quoted name"
}

# gnuplot missing: refused before the run, not after it.
test_security_plot_no_gnuplot() {
	mkdir -p "$T/bin"
	local rc=0
	timeout -k 5 60 env PATH="$T/bin" TMPDIR="$PRIV_TMP" "$BIN" cpu --size 1M --workers 1 \
		--repetitions 3 --warmup 0 --output "$OUTF" --plot "$OUTDIR/x.png" \
		>"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" -eq 2 ] || fail "exit $rc, expected 2: $(first_err)" || return
	[ ! -s "$T/stdout" ] || fail "the run went ahead: $(head -n 1 "$T/stdout")" || return
	[ "$(grep -c '' "$T/stderr")" -eq 1 ] && grep -q '^concbench: --plot: .*gnuplot' "$T/stderr" ||
		fail "stderr: $(first_err)" || return
	no_output_file
}

# sec_fake_gnuplot BODY: a gnuplot first on PATH that reads its script and runs BODY, with
# $out the file name the script's `set output` names.
sec_fake_gnuplot() {
	mkdir -p "$T/fake"
	cat >"$T/fake/gnuplot" <<EOF
#!/bin/sh
out=\$(sed -n "s/^set output '\\(.*\\)'\$/\\1/p")
$1
EOF
	chmod +x "$T/fake/gnuplot"
}

# A chart is replaced only by a complete one: gnuplot failing or a PNG cut short (a full
# disk) leaves the old chart whole, no temporary file, and exit 3.
test_security_plot_atomic() {
	make_report || return
	printf 'old chart' >"$OUTDIR/chart.png"
	local body
	for body in 'exit 1' \
		"printf '\\211PNG\\r\\n\\032\\n\\0\\0\\0\\rIHDR' >\"\$out\"; exit 0" \
		'kill -KILL $$'; do
		sec_fake_gnuplot "$body"
		PATH=$T/fake:$PATH cb report "$T/base.json" --plot "$OUTDIR/chart.png"
		[ "$RC" -eq 3 ] || fail "gnuplot '$body': exit $RC, expected 3" || return
		[ "$(cat "$OUTDIR/chart.png")" = "old chart" ] ||
			fail "gnuplot '$body': the old chart was lost" || return
		[ "$(ls -A "$OUTDIR")" = chart.png ] ||
			fail "gnuplot '$body': left $(ls -A "$OUTDIR" | tr '\n' ' ')" || return
	done
	tmpdir_empty
}

# sec_big: a valid report of 64 groups x 32 executors x 128 worker counts (262 208 runs)
# in $T/big.json.
sec_big() {
	awk 'BEGIN {
		printf "{\"schema\":\"concbench-report/1\",\"created\":\"2026-11-26T12:00:00Z\","
		printf "\"host\":{\"hostname\":\"big\",\"pus\":2,\"kernel\":\"6.1\"},\"runs\":["
		for (g = 0; g < 64; g++) {
			p = "\"workload\":\"cpu\",\"params\":{\"size\":" (1000 + g) "},\"binding\":\"none\""
			printf "%s\n{%s,\"executor\":\"seq\",\"workers\":1,\"samples_s\":[0.002],\"median_s\":0.002,\"speedup\":1,\"efficiency\":1}", g ? "," : "", p
			for (e = 0; e < 32; e++)
				for (w = 1; w <= 128; w++)
					printf ",\n{%s,\"executor\":\"x%d\",\"workers\":%d,\"samples_s\":[0.001],\"median_s\":0.001,\"speedup\":2,\"efficiency\":%.6g}", p, e, w, 2 / w
		}
		print "]}"
	}' >"$T/big.json"
}

# Near-linear rendering: a report of 262 208 runs renders in bounded time (minutes before).
test_security_big_report_bounded() {
	sec_big
	local fmt
	for fmt in table markdown csv; do
		RC=0
		env TMPDIR="$PRIV_TMP" timeout -k 5 150 "$BIN" report "$T/big.json" --format "$fmt" \
			>"$T/stdout" 2>"$T/stderr" || RC=$?
		[ "$RC" -eq 0 ] || fail "$fmt: exit $RC (124: still rendering after 150 s)" || return
	done
	# every group, with a row for the largest worker count
	env TMPDIR="$PRIV_TMP" timeout -k 5 150 "$BIN" report "$T/big.json" >"$T/stdout" 2>&1
	[ "$(grep -c '^cpu size=' "$T/stdout")" -eq 64 ] &&
		[ "$(grep -c '^  128 ' "$T/stdout")" -eq 64 ] ||
		fail "not 64 groups with a row for 128 workers" || return
	if command -v gnuplot >/dev/null; then
		RC=0
		env TMPDIR="$PRIV_TMP" timeout -k 5 150 "$BIN" report "$T/big.json" \
			--plot "$OUTDIR/big.png" >/dev/null 2>"$T/stderr" || RC=$?
		[ "$RC" -eq 0 ] && [ -s "$OUTDIR/big.png" ] || fail "--plot: exit $RC: $(first_err)" || return
	fi
	tmpdir_empty
}

# sec_stop PID SECONDS: wait up to SECONDS for PID to end; sets RC (or fails, killing it).
sec_stop() {
	# shellcheck disable=SC2034  # read by bg_wait (run.sh)
	BG_PID=$1
	bg_wait "$2"
}

# SIGTERM while report writes a large table into a pipe nobody reads: exit 3, promptly.
test_security_report_sigterm() {
	sec_big
	rm -f "$T/pipe"
	mkfifo "$T/pipe"
	exec 7<>"$T/pipe"                  # open, never read: the table fills the pipe
	env TMPDIR="$PRIV_TMP" "$BIN" report "$T/big.json" >&7 2>"$T/stderr" &
	local pid=$!
	sleep 1
	kill -TERM "$pid"
	sec_stop "$pid" 60 || { exec 7>&-; return 1; }
	exec 7>&-
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3" || return
	grep -q 'interrupted by SIGTERM' "$T/stderr" || fail "stderr: $(first_err)" || return
	tmpdir_empty
}

# SIGTERM while gnuplot draws: exit 3, gnuplot stopped, no chart and no temporary file.
test_security_plot_sigterm() {
	make_report || return
	rm -f "$T/gnuplot.pid"
	sec_fake_gnuplot "echo \$\$ >'$T/gnuplot.pid'; exec sleep 301.25"
	PATH=$T/fake:$PATH env TMPDIR="$PRIV_TMP" "$BIN" report "$T/base.json" \
		--plot "$OUTDIR/sig.png" >/dev/null 2>"$T/stderr" &
	local pid=$!
	sleep 1
	kill -TERM "$pid"
	sec_stop "$pid" 60
	if [ -n "$WHY" ]; then    # the fake gnuplot too, once it is no longer needed
		[ -s "$T/gnuplot.pid" ] && kill -KILL "$(cat "$T/gnuplot.pid")" 2>/dev/null
		return 1
	fi
	[ "$RC" -eq 3 ] || fail "exit $RC, expected 3" || return
	[ -z "$(ls -A "$OUTDIR")" ] || fail "left $(ls -A "$OUTDIR" | tr '\n' ' ')" || return
	no_processes "sleep 301.25" || return
	tmpdir_empty
}

# compare and topo, which write no file, end on SIGTERM (they ignored it).
test_security_compare_topo_sigterm() {
	sec_big
	rm -f "$T/pipe"
	mkfifo "$T/pipe"
	exec 7<>"$T/pipe"
	env TMPDIR="$PRIV_TMP" "$BIN" compare "$T/big.json" "$T/big.json" >&7 2>"$T/stderr" &
	local pid=$!
	sleep 1
	kill -TERM "$pid"
	sec_stop "$pid" 60 || { exec 7>&-; return 1; }
	[ "$RC" -ne 0 ] && [ "$RC" -ne 1 ] || { exec 7>&-; fail "compare: exit $RC after SIGTERM"; return; }
	env TMPDIR="$PRIV_TMP" "$BIN" topo --topology 'synthetic:pack:16 core:64 pu:4' \
		--format json >&7 2>"$T/stderr" &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	sec_stop "$pid" 60 || { exec 7>&-; return 1; }
	exec 7>&-
	[ "$RC" -ne 0 ] || fail "topo: exit 0 after SIGTERM" || return
	tmpdir_empty
}
