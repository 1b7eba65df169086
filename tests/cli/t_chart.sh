# shellcheck shell=bash
# The chart (src/report/plot.c): error bars only where a report gives an interval, one look
# per executor, a log2 axis for doubling sweeps, the key off the data, parameters and labels
# in titles. Checked on the script gnuplot reads (kept by a gnuplot first on PATH that
# copies it), never on pixels. Sourced by run.sh: uses its helpers (cb, fail, first_err...).

# chart_draw ARGS...: `report ARGS...` through a gnuplot that keeps its script in
# $T/chart.gp and then draws it for real.
chart_draw() {
	local real
	real=$(command -v gnuplot) || { fail "gnuplot not installed"; return; }
	mkdir -p "$T/keep"
	printf '#!/bin/sh\ntee "%s" | "%s"\n' "$T/chart.gp" "$real" >"$T/keep/gnuplot"
	chmod +x "$T/keep/gnuplot"
	rm -f "$T/chart.gp"
	PATH=$T/keep:$PATH cb report "$@"
	[ "$RC" -eq 0 ] || fail "report $*: exit $RC: $(first_err)" || return
	# gnuplot's warnings (an empty data block, say) would reach the user's terminal
	[ ! -s "$T/stderr" ] || fail "report $*: stderr: $(first_err)" || return
	[ -s "$T/chart.gp" ] || fail "no script kept"
}

# chart_block NAME: the lines of data block $NAME in the kept script.
chart_block() {
	awk -v b="\$$1 << EOD" '$0 == b { on = 1; next } on && $0 == "EOD" { exit } on' "$T/chart.gp"
}

# chart_sweep OUT: the fixture's cpu runs with the 2-worker runs copied to 4 workers (with
# an interval) and to 8 (without one): a doubling sweep 1, 2, 4, 8.
chart_sweep() {
	jq '.runs |= [.[] | select(.workload == "cpu")]
	    | .runs += [.runs[] | select(.workers == 2)
	                | (.workers = 4 | .speedup *= 1.8 | .speedup_ci95 = [.speedup * 0.9, .speedup * 1.1]),
	                  (.workers = 8 | .speedup *= 3 | .speedup_ci95 = null)]' \
		"$FIX_DIR/report-2vcpu.json" >"$1"
}

# Every point with an interval gets a bar from exactly that interval; a point without one
# gets an open marker (the filled one's type less one) and no bar.
test_chart_error_bars_from_intervals() {
	chart_sweep "$T/sweep.json"
	chart_draw "$T/sweep.json" --plot "$OUTDIR/c.png" || return
	local s ex bars pts want
	for s in 0 1 2 3; do
		ex=$(chart_block "s0_$s" | cut -c2-)
		bars=$(chart_block "c0_$s" | awk '{ printf "%s:%.4f:%.4f:%.4f ", $1, $2, $3, $4 }')
		want=$(jq -r --arg ex "$ex" '.runs[] | select(.executor == $ex and .speedup_ci95 != null)
		        | "\(.workers):\(.speedup):\(.speedup_ci95[0]):\(.speedup_ci95[1])"' \
			"$T/sweep.json" | awk -F: '{ printf "%s:%.4f:%.4f:%.4f ", $1, $2, $3, $4 }')
		[ "$bars" = "$want" ] || fail "$ex: bars '$bars', intervals '$want'" || return
		# filled marker with a bar, open (one less) without: 8 workers has no interval
		pts=$(chart_block "d0_$s" | awk '{ print $1 ":" $3 }' | tr '\n' ' ')
		case $ex in
		seq) want="1:7 " ;;
		thread) want="1:5 2:5 4:5 8:4 " ;;
		fork) want="1:9 2:9 4:9 8:8 " ;;
		shm) want="1:13 2:13 4:13 8:12 " ;;
		*) fail "unexpected series '$ex'" || return ;;
		esac
		[ "$pts" = "$want" ] || fail "$ex: markers '$pts', expected '$want'" || return
	done
	# a report without any interval: no bar at all
	jq '.runs |= map(.speedup_ci95 = null | .ci95_s = null)' "$FIX_DIR/report-2vcpu.json" >"$T/none.json"
	chart_draw "$T/none.json" --plot "$OUTDIR/none.svg" || return
	! grep -q yerrorbars "$T/chart.gp" || fail "a bar without an interval: $(grep -m1 -o 'c[0-9_]* using 1:2:3:4' "$T/chart.gp")" ||
		return
	grep -q '</svg>' "$OUTDIR/none.svg" || fail "no SVG"
}

# One colour and marker per executor name, in every panel and whatever the order of the
# runs; an unknown name gets a spare look, the same in every panel.
test_chart_one_look_per_executor() {
	local f looks first=
	jq '.runs |= (reverse | map(if .executor == "shm" then .executor = "zz-custom" else . end))' \
		"$FIX_DIR/report-2vcpu.json" >"$T/rev.json"
	for f in "$FIX_DIR/report-2vcpu.json" "$T/rev.json"; do
		chart_draw "$f" --plot "$OUTDIR/c.png" || return
		# NAME COLOUR POINT of every key entry, from all three panels
		looks=$(grep -o "NaN with linespoints pt [0-9]* [^,]* lc rgb '[^']*' title \$s0_[0-9]*" "$T/chart.gp" |
			awk '{ print substr($NF, 2), $(NF - 2), $5 }' |
			while read -r s col pt; do
				printf '%s %s %s\n' "$(chart_block "$s" | cut -c2-)" "$col" "$pt"
			done | sort -u)
		[ "$(printf '%s\n' "$looks" | cut -d' ' -f1 | uniq -d)" = "" ] ||
			fail "an executor with two looks: $looks" || return
		[ "$(printf '%s\n' "$looks" | grep -c '')" -eq 4 ] || fail "looks: $looks" || return
		printf '%s\n' "$looks" | grep -qx "thread '#1f77b4' 5" &&
			printf '%s\n' "$looks" | grep -qx "fork '#d62728' 9" ||
			fail "thread or fork not in its own look: $looks" || return
		[ -n "$first" ] || first=$looks
	done
	# the known names kept their looks with the runs reversed
	[ "$(printf '%s\n' "$first" | grep -v '^shm ')" = "$(printf '%s\n' "$looks" | grep -v '^zz-custom ')" ] ||
		fail "looks moved: '$first' against '$looks'" || return
	printf '%s\n' "$looks" | grep -q "^zz-custom '#9467bd' 11$" || fail "spare look: $looks"
}

# A doubling sweep gets a log2 axis with its worker counts as tics; 1, 2 and other sets a
# linear one. The key is outside, below the data.
test_chart_axis_and_key() {
	chart_sweep "$T/sweep.json"
	chart_draw "$T/sweep.json" --plot "$OUTDIR/c.svg" || return
	grep -qx 'set logscale x 2' "$T/chart.gp" && grep -qx 'set xtics (1, 2, 4, 8)' "$T/chart.gp" ||
		fail "no log2 axis: $(grep xtics "$T/chart.gp" | tr '\n' '|')" || return
	grep -q '^set key outside below ' "$T/chart.gp" || fail "key: $(grep 'set key' "$T/chart.gp")" || return
	# the SVG has the tics as text
	grep -q '<text> 8</text>' "$OUTDIR/c.svg" || fail "no tic 8 in the SVG" || return
	# 1, 2, 4, 6: doubling up to a machine's PUs
	jq '.runs |= map(if .workers == 8 then .workers = 6 else . end)' "$T/sweep.json" >"$T/pus.json"
	chart_draw "$T/pus.json" --plot "$OUTDIR/c.png" || return
	grep -qx 'set xtics (1, 2, 4, 6)' "$T/chart.gp" || fail "1,2,4,6: $(grep xtics "$T/chart.gp")" ||
		return
	# 1, 2, 3, 4: not a doubling sweep
	jq '.runs |= map(if .workers == 8 then .workers = 3 else . end)' "$T/sweep.json" >"$T/lin.json"
	chart_draw "$T/lin.json" --plot "$OUTDIR/c.png" || return
	grep -qx 'unset logscale x' "$T/chart.gp" && ! grep -q '^set logscale' "$T/chart.gp" ||
		fail "1,2,3,4 drawn on a log axis" || return
	chart_draw "$FIX_DIR/report-2vcpu.json" --plot "$OUTDIR/c.png" || return
	[ "$(grep -c '^unset logscale x$' "$T/chart.gp")" -eq 3 ] || fail "1,2 drawn on a log axis"
}

# Panel titles name the workload and its parameters; the chart title the host, the labels
# of reports that carry one; reports of one host without labels are told apart by file
# name, never "and others".
test_chart_titles() {
	chart_draw "$FIX_DIR/report-2vcpu.json" --plot "$OUTDIR/c.png" || return
	[ "$(chart_block p0)" = "Lcpu: size 200M, tasks 240, kernel sumsq" ] &&
		[ "$(chart_block p1)" = "Lio: tasks 48, io sleep, duration 2.00 ms" ] &&
		[ "$(chart_block p2)" = "Lmem: size 512MiB, tasks 240, pattern triad" ] ||
		fail "panel titles: $(chart_block p0) | $(chart_block p1) | $(chart_block p2)" || return
	grep -q "^Lconcbench on vm, 2026-" "$T/chart.gp" || fail "title: $(chart_block title)" || return
	cp "$FIX_DIR/report-2vcpu.json" "$T/second.json"
	chart_draw "$FIX_DIR/report-2vcpu.json" "$T/second.json" --plot "$OUTDIR/c.png" || return
	! grep -q 'and others' "$T/chart.gp" || fail "'and others' in the chart" || return
	[ "$(chart_block s0_1)" = "Lthread @ report-2vcpu.json" ] &&
		[ "$(chart_block s1_1)" = "Lthread @ second.json" ] ||
		fail "series: $(chart_block s0_1) | $(chart_block s1_1)" || return
	jq '.label = "before"' "$FIX_DIR/report-2vcpu.json" >"$T/a.json"
	jq '.label = "after"' "$FIX_DIR/report-2vcpu.json" >"$T/b.json"
	chart_draw "$T/a.json" "$T/b.json" --plot "$OUTDIR/c.png" || return
	[ "$(chart_block title)" = "Lconcbench on vm: before, after (2 reports)" ] &&
		[ "$(chart_block s1_2)" = "Lfork @ after" ] ||
		fail "labels: $(chart_block title) | $(chart_block s1_2)"
}
