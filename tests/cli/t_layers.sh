# shellcheck shell=bash
# scripts/check-layers (run by `make lint`) on this tree and on small trees built to break
# one rule each. Sourced by run.sh.

LAYERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/check-layers

# layers_tree DIR: a minimal tree that follows the layers.
layers_tree() {
	mkdir -p "$1/src/base" "$1/src/core" "$1/src/cmd" "$1/src/workloads"
	printf '#include "base/util.h"\n' >"$1/src/core/cell.h"
	printf '#include "core/cell.h"\n' >"$1/src/core/cell.c"
	printf '#include "core/workload.h"\n' >"$1/src/workloads/cpu.c"
	printf '#include "core/cell.h"\n#include "cmd/cmd.h"\n' >"$1/src/cmd/run.c"
	: >"$1/src/base/util.h"
	: >"$1/src/cmd/cmd.h"
	: >"$1/src/core/workload.h"
}

test_layers_this_tree() {
	sh "$LAYERS" >"$T/stdout" 2>"$T/stderr" || fail "$(head -n 2 "$T/stdout")"
}

test_layers_violations_found() {
	local d=$T/layers
	layers_tree "$d"
	sh "$LAYERS" "$d" >"$T/stdout" 2>&1 || fail "a clean tree fails: $(head -n 1 "$T/stdout")" || return
	# A layer below the commands includes a command's header.
	printf '#include "cmd/cmd.h"\n' >>"$d/src/core/cell.c"
	! sh "$LAYERS" "$d" >"$T/stdout" 2>&1 || fail "core including cmd/cmd.h passes" || return
	grep -q 'src/core/cell.c includes cmd/cmd.h' "$T/stdout" || fail "no line names it: $(cat "$T/stdout")" || return
	# A workload reaching past its interface.
	rm -rf "$d"; layers_tree "$d"
	printf '#include "core/cell.h"\n' >>"$d/src/workloads/cpu.c"
	! sh "$LAYERS" "$d" >"$T/stdout" 2>&1 || fail "a workload including core/cell.h passes" || return
	# A circle inside one layer.
	rm -rf "$d"; layers_tree "$d"
	printf '#include "core/cell.h"\n' >"$d/src/core/run.h"
	printf '#include "core/run.h"\n' >>"$d/src/core/cell.h"
	! sh "$LAYERS" "$d" >"$T/stdout" 2>&1 || fail "a circle passes" || return
	grep -q 'include circle: .*core/cell' "$T/stdout" || fail "the circle is not named: $(cat "$T/stdout")"
}
