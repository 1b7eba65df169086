# concbench: build, test, install. Dependencies come from pkg-config; `make deps` installs
# the Debian packages when pkg-config cannot find them.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc

DEB_PACKAGES := pkg-config libhwloc-dev libcjson-dev libcmocka-dev jq gnuplot-nox libsqlite3-dev \
	liburing-dev openmpi-bin libopenmpi-dev
PKGS := hwloc libcjson sqlite3 liburing
TEST_PKGS := cmocka
# Open MPI, for the mpi executor (src/core/mpirank.c): built in when pkg-config finds
# ompi-c, or with MPI=1; MPI=0 leaves it out (the executor then says how to get it).
# Its headers are system headers: our warnings are not theirs.
# Optional: without them (none to be had) make deps goes on and the build leaves MPI out.
MPI_DEB := openmpi-bin libopenmpi-dev
ifeq ($(origin MPI),undefined)
MPI := $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
DEPS_MPI := ompi-c
else ifeq ($(MPI),1)
DEPS_MPI := ompi-c
endif
ifeq ($(MPI),1)
MPI_CFLAGS = -DCB_MPI=1 $(patsubst -I%,-isystem %,$(shell pkg-config --cflags ompi-c 2>/dev/null))
MPI_LIBS = $(shell pkg-config --libs ompi-c 2>/dev/null)
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wundef -Wpointer-arith -Wvla -Wnull-dereference
OPT ?= -O2 -g
SAN ?=
GIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

ALL_CFLAGS = -std=gnu11 $(OPT) $(WARN) $(SAN) -pthread $(PKG_CFLAGS) $(MPI_CFLAGS) $(CFLAGS) \
	-DCB_VERSION='"$(VERSION)"' -DCB_GIT='"$(GIT)"' -DCB_CFLAGS='"$(OPT) $(SAN) $(CFLAGS)"'
ALL_LDFLAGS = $(SAN) -pthread $(LDFLAGS)
LIBS = $(PKG_LIBS) $(MPI_LIBS) -lm

SRC := $(wildcard src/*.c src/*/*.c)
HDR := $(wildcard src/*/*.h)
LIB_SRC := $(filter-out src/main.c,$(SRC))
OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
LIB_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BIN := $(BUILD)/concbench
# The AddressSanitizer build of `make test`: UBSan too, with float-to-int casts out of range
# (not part of gcc's -fsanitize=undefined), every report fatal.
ASAN := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
# Command-line tests that also run on the ThreadSanitizer build (a regex on their names).
TSAN_CLI_TESTS := hang|timeout|crash|sig|pid1|startup|binding_failure|stuck

.PHONY: FORCE all deps run test test-unit test-cli test-asan test-tsan bench install uninstall clean \
	lint lint-deps coverage fuzz

all: $(BIN)

# Install what the build needs, only when pkg-config cannot find it.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists $(PKGS) $(TEST_PKGS) $(DEPS_MPI) \
	    || ! command -v jq >/dev/null 2>&1 || ! command -v gnuplot >/dev/null 2>&1; then \
		echo "make deps: installing $(DEB_PACKAGES)"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_PACKAGES) >/dev/null \
		|| DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			$(filter-out $(MPI_DEB),$(DEB_PACKAGES)) >/dev/null \
		|| { echo "make deps: could not install; run: apt-get install $(DEB_PACKAGES)" >&2; exit 1; }; \
	fi
	@pkg-config --exists $(PKGS) || { echo "missing: $(PKGS) (Debian: libhwloc-dev libcjson-dev libsqlite3-dev liburing-dev)" >&2; exit 1; }
	@[ -z "$(DEPS_MPI)" ] || pkg-config --exists ompi-c || { [ "$(MPI)" != 1 ] && \
		echo "make deps: Open MPI could not be installed: the mpi executor is left out"; } || \
		{ echo "missing: ompi-c for MPI=1 (Debian: $(MPI_DEB))" >&2; exit 1; }

$(BUILD)/obj/%.o: src/%.c $(HDR) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -c $< -o $@

# The files that differ with MPI rebuild when MPI changes (mpi.flag holds the last value).
$(BUILD)/mpi.flag: FORCE
	@mkdir -p $(BUILD); echo '$(MPI)' | cmp -s - $@ || echo '$(MPI)' >$@
$(BUILD)/obj/core/mpirank.o $(BUILD)/obj/main.o: $(BUILD)/mpi.flag
FORCE:

# The cpu workload's inner loop must not straddle a cache line (see src/workloads/cpu.c).
$(BUILD)/obj/workloads/cpu.o: ALL_CFLAGS += -falign-loops=64

$(BIN): $(OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJ) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(ALL_LDFLAGS) $(LIBS) $(TEST_LIBS)

# test_compare fails chosen allocations of concbench's own code (see its __wrap_malloc).
$(BUILD)/tests/test_compare: ALL_LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

# The harness's own overhead against the mechanisms underneath (not part of `make test`);
# extra flags through BENCH_ARGS, e.g. make bench BENCH_ARGS=--quick. See bench/README.md.
$(BUILD)/bench/overhead: bench/overhead.c $(LIB_OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(ALL_LDFLAGS) $(LIBS)

# history check's change-point search on synthetic series (README, "History across commits").
$(BUILD)/bench/changepoint-sim: bench/changepoint-sim.c $(LIB_OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(ALL_LDFLAGS) $(LIBS)

bench: all $(BUILD)/bench/overhead
	$(BUILD)/bench/overhead --output results/bench-overhead.json $(BENCH_ARGS)

# libFuzzer targets (tests/fuzz/): the report loader and the command-line parser, built
# with clang-14 into build-fuzz/ and run FUZZ_TIME seconds each over their corpus; new
# inputs go to build-fuzz/corpus-*, crashes to build-fuzz/ (add them to tests/fuzz/crashes/
# NAME/ once fixed: `make test` replays both directories). Debian: clang-14
# libclang-rt-14-dev.
FUZZ_CC ?= clang-14
FUZZ_TIME ?= 60
FUZZ_TARGETS := report cli
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/silence.c tests/fuzz/fuzz.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -Itests/fuzz -o $@ $< tests/fuzz/silence.c $(LIB_OBJ) $(ALL_LDFLAGS) -fsanitize=fuzzer $(LIBS)

# The same targets without libFuzzer: a main() that replays files (gcc, under ASan+UBSan in
# `make test`).
$(BUILD)/replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/silence.c tests/fuzz/fuzz.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -Itests/fuzz -o $@ $< tests/fuzz/replay.c tests/fuzz/silence.c $(LIB_OBJ) $(ALL_LDFLAGS) $(LIBS)

fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz: needs $(FUZZ_CC) (Debian: clang-14 libclang-rt-14-dev)" >&2; exit 1; }
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) SAN='$(FUZZ_SAN)' OPT='-O1 -g' \
		CFLAGS='-Wno-ignored-optimization-argument -Wno-format-nonliteral' \
		$(patsubst %,build-fuzz/fuzz/fuzz_%,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus-$$t && \
		echo "make fuzz: fuzz_$$t for $(FUZZ_TIME) s" && \
		build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=5 -rss_limit_mb=2048 \
			-max_len=$$([ $$t = cli ] && echo 512 || echo 16384) \
			-artifact_prefix=build-fuzz/ build-fuzz/corpus-$$t tests/fuzz/corpus/$$t \
			|| exit 1; \
	done

run: deps
	$(MAKE) all
	$(BIN) suite --plot results/latest.png

# Unit tests (cmocka) and command-line tests on the normal build, then the unit tests under
# AddressSanitizer+UBSan, and the thread executor and the command-line timeout, hang, crash
# and signal tests under ThreadSanitizer. The last line is the total: "N passed, N failed".
test: deps
	$(MAKE) all
	$(MAKE) $(UNIT_BIN) $(BUILD)/bench/overhead
	$(MAKE) BUILD=build-asan SAN='$(ASAN)' OPT='-O1 -g' build-asan/concbench $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BIN)) $(patsubst %,build-asan/replay/fuzz_%,$(FUZZ_TARGETS))
	$(MAKE) BUILD=build-tsan SAN='-fsanitize=thread' OPT='-O1 -g' build-tsan/concbench build-tsan/tests/test_executors
	@sh tests/run-all.sh $(BUILD) build-asan build-tsan

test-unit: all $(UNIT_BIN)
	@sh tests/run-all.sh --unit-only $(BUILD)

test-cli: all
	@sh tests/cli/run.sh $(BIN)

test-asan:
	$(MAKE) BUILD=build-asan SAN='$(ASAN)' OPT='-O1 -g' test-unit
	sh tests/cli/run.sh build-asan/concbench

test-tsan:
	$(MAKE) BUILD=build-tsan SAN='-fsanitize=thread' OPT='-O1 -g' build-tsan/concbench build-tsan/tests/test_executors
	TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_executors
	CB_CLI_ONLY='$(TSAN_CLI_TESTS)' TSAN_OPTIONS='halt_on_error=1 exitcode=66' sh tests/cli/run.sh build-tsan/concbench

# Static checks: the layering of src/ (scripts/check-layers: which directory may include
# which, no include circle), cppcheck and clang-tidy (checks chosen in .clang-tidy) on src/,
# shellcheck on every shell script. Any finding fails the target. cppcheck's suppressions:
#   invalidFunctionArg  its POSIX model rejects mmap(..., fd -1, ...) even with MAP_ANONYMOUS;
#   readdirCalled       asks for readdir_r, which POSIX has deprecated (readdir is safe on
#                       a stream of one thread);
#   variableScope       declarations at the top of a block are this code base's style.
# hwloc's bitmap.h and cJSON.h are included so that cppcheck knows their iteration macros.
LINT_PACKAGES := cppcheck clang-tidy shellcheck
LINT_DEFS := -D_GNU_SOURCE -DCB_VERSION='"lint"' -DCB_GIT='"lint"' -DCB_CFLAGS='"lint"'
SHELL_SCRIPTS := .ci/run tests/run-all.sh $(wildcard tests/cli/*.sh) scripts/ci-regress \
	scripts/check-layers scripts/man-page scripts/readme-options bench/gate-study
CLANG_TIDY ?= $(shell command -v clang-tidy-14 || command -v clang-tidy)

lint-deps:
	@for t in $(LINT_PACKAGES); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
		echo "make lint: installing$$missing"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
		|| { echo "make lint: could not install; run: apt-get install$$missing" >&2; exit 1; }; \
	fi

lint: deps lint-deps
	sh scripts/check-layers
	cppcheck --quiet --error-exitcode=1 --std=c11 --library=posix --inline-suppr \
		--enable=warning,style,performance,portability --suppress=missingIncludeSystem \
		$(LINT_DEFS) $(filter -DCB_MPI=1,$(MPI_CFLAGS)) -Isrc --include=/usr/include/hwloc/bitmap.h --include=/usr/include/cjson/cJSON.h \
		--suppress=invalidFunctionArg --suppress=readdirCalled --suppress=variableScope src
	$(CLANG_TIDY) --quiet $(SRC) -- -std=gnu11 $(LINT_DEFS) -Isrc $(PKG_CFLAGS) $(MPI_CFLAGS) 2>/dev/null
	shellcheck -x $(SHELL_SCRIPTS)
	@echo "make lint: clean"

# Line and branch coverage of the unit and command-line tests (gcovr), from a separate
# build in build-cov.
coverage: deps
	@command -v gcovr >/dev/null 2>&1 || { SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$$SUDO apt-get install -y -qq gcovr >/dev/null; }
	rm -rf build-cov
	$(MAKE) BUILD=build-cov OPT='-O0 -g' SAN='--coverage' build-cov/concbench \
		$(patsubst $(BUILD)/%,build-cov/%,$(UNIT_BIN))
	-@sh tests/run-all.sh build-cov | tail -n 1
	gcovr --root . --object-directory build-cov --filter 'src/' --exclude-unreachable-branches \
		--sort-percentage --txt build-cov/coverage-lines.txt --print-summary
	gcovr --root . --object-directory build-cov --filter 'src/' --exclude-unreachable-branches \
		--sort-percentage --branches --txt build-cov/coverage-branches.txt >/dev/null
	@echo "make coverage: per-file figures in build-cov/coverage-lines.txt and coverage-branches.txt"

# The man page and the bash completion, generated by the binary from its option table
# (scripts/man-page puts the prose of docs/concbench.1.in around it).
MAN_DIR = $(DESTDIR)$(PREFIX)/share/man/man1
COMPLETION_DIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions

$(BUILD)/concbench.1: $(BIN) docs/concbench.1.in scripts/man-page
	sh scripts/man-page $(BIN) docs/concbench.1.in >$@.tmp && mv $@.tmp $@

$(BUILD)/concbench.bash: $(BIN)
	$(BIN) help --bash-completion >$@.tmp && mv $@.tmp $@

install: $(BIN) $(BUILD)/concbench.1 $(BUILD)/concbench.bash
	install -d $(DESTDIR)$(PREFIX)/bin $(MAN_DIR) $(COMPLETION_DIR)
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/concbench
	install -m 0644 $(BUILD)/concbench.1 $(MAN_DIR)/concbench.1
	install -m 0644 $(BUILD)/concbench.bash $(COMPLETION_DIR)/concbench

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/concbench $(MAN_DIR)/concbench.1 $(COMPLETION_DIR)/concbench

clean:
	rm -rf build build-asan build-tsan build-cov build-fuzz
