/* SPDX-License-Identifier: MIT */
/* Unit tests for src/cmd/options.c (the option table, opts_parse, opts_parse_config,
 * opts_parse_workers) and the parsing helpers of
 * src/base/util.c (parse_size, parse_duration). Expected values are computed here from the
 * documented meaning of each option, never taken from the code under test. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "cmd/compare.h"
#include "cmd/cores_opts.h"
#include "cmd/spawn_opts.h"
#include "cmd/options.h"
#include "core/registry.h"

#define NS_PER_S 1000000000LL

/* opts_parse_config over a NULL-terminated argv built in the caller's block. */
static int parse_argv(unsigned pus, struct config *c, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return opts_parse_config(argc, argv, pus, c);
}

#define PARSE(pus, c, ...) parse_argv((pus), (c), (char *[]){ "concbench", __VA_ARGS__, NULL })

/* A fresh directory under $TMPDIR (or /tmp), for files the test makes. */
static void make_test_dir(char *buf, size_t len, const char *tag)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, len, "%s/cb-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	assert_non_null(mkdtemp(buf));
}

/* Index of option `name` in wl->options, or -1. */
static int opt_index(const struct workload *wl, const char *name)
{
	for (size_t j = 0; j < wl->noptions; j++)
		if (strcmp(wl->options[j].name, name) == 0)
			return (int)j;
	return -1;
}

/* Index of `choice` among option j's choices, or -1. */
static int choice_index(const struct workload *wl, int j, const char *choice)
{
	assert_true(j >= 0);
	for (int k = 0; wl->options[j].choices[k]; k++)
		if (strcmp(wl->options[j].choices[k], choice) == 0)
			return k;
	return -1;
}

static void assert_workers(const unsigned *got, size_t n, const unsigned *want, size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

static int executor_listed(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nex; i++)
		if (strcmp(c->ex[i]->name, name) == 0)
			return 1;
	return 0;
}

/* ---- opts_parse_workers ---- */

static void test_workers_lists_ranges_max(void **state)
{
	unsigned w[CLI_MAX_COUNTS];
	size_t n = 0;
	(void)state;

	assert_int_equal(opts_parse_workers("4", 8, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 4 }, 1);

	assert_int_equal(opts_parse_workers("1,2,4", 8, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 1, 2, 4 }, 3);

	assert_int_equal(opts_parse_workers("2..5", 8, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 2, 3, 4, 5 }, 4);

	assert_int_equal(opts_parse_workers("3..3", 8, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 3 }, 1);

	assert_int_equal(opts_parse_workers("max", 6, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 6 }, 1);

	/* 1..max spans every count up to the PUs given. */
	for (unsigned pus = 1; pus <= 12; pus++) {
		assert_int_equal(opts_parse_workers("1..max", pus, w, &n), 0);
		assert_int_equal(n, pus);
		for (unsigned i = 0; i < pus; i++)
			assert_int_equal(w[i], i + 1);
	}

	/* Mixed forms, sorted and deduplicated. */
	assert_int_equal(opts_parse_workers("4,1,2,2", 8, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 1, 2, 4 }, 3);

	assert_int_equal(opts_parse_workers("max,1,3..5,4", 8, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 1, 3, 4, 5, 8 }, 5);

	assert_int_equal(opts_parse_workers("7,7,7", 8, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 7 }, 1);

	/* Counts above the PUs are allowed (oversubscription), up to the documented 1024. */
	assert_int_equal(opts_parse_workers("1024", 2, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ CLI_MAX_WORKERS }, 1);

	/* Exactly CLI_MAX_COUNTS counts is accepted. */
	assert_int_equal(opts_parse_workers("1..64", 2, w, &n), 0);
	assert_int_equal(n, CLI_MAX_COUNTS);
	for (unsigned i = 0; i < CLI_MAX_COUNTS; i++)
		assert_int_equal(w[i], i + 1);
	assert_int_equal(opts_parse_workers("961..1024", 2, w, &n), 0);
	assert_int_equal(n, 64);
	assert_int_equal(w[0], 961);
	assert_int_equal(w[63], 1024);
}

static void test_workers_errors(void **state)
{
	static const char *const bad[] = {
		"0", "-1", "-4", "+4", "5..3", "abc", "", "1025", "4096", "1..1025", "0..3", "2..",
		"..3", "1.5", "4x", " 4", "4 ", "1;2", "max..2", "1..65", "1..1024", "3..max",
		"99999999999999999999",
	};
	unsigned w[CLI_MAX_COUNTS];
	size_t n;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		n = 12345;
		int rc = opts_parse_workers(bad[i], 2, w, &n);
		if (rc >= 0)
			print_error("opts_parse_workers('%s') accepted, expected an error\n", bad[i]);
		assert_true(rc < 0);
		assert_int_equal(n, 12345);   /* the count is not touched on error */
	}
	/* 1..max with more PUs than the documented maximum. */
	assert_true(opts_parse_workers("1..max", 2000, w, &n) < 0);
	assert_true(opts_parse_workers("max", 2000, w, &n) < 0);
	/* A string longer than any sane list. */
	{
		char big[600];
		memset(big, '1', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		assert_true(opts_parse_workers(big, 2, w, &n) < 0);
	}
}

/* The limit of CLI_MAX_COUNTS is on the distinct counts of the run (duplicates are merged,
 * as "4,1,2,2" shows): 64 distinct counts written with a repeat are still 64. */
static void test_workers_limit_counts_distinct(void **state)
{
	unsigned w[CLI_MAX_COUNTS];
	size_t n = 0;
	char list[256];
	(void)state;

	assert_int_equal(opts_parse_workers("1..64,64", 2, w, &n), 0);
	assert_int_equal(n, CLI_MAX_COUNTS);
	assert_int_equal(w[0], 1);
	assert_int_equal(w[63], 64);
	/* The same count 65 times is one count. */
	list[0] = 0;
	for (int i = 0; i < 65; i++)
		strcat(list, i ? ",2" : "2");
	assert_int_equal(opts_parse_workers(list, 2, w, &n), 0);
	assert_workers(w, n, (const unsigned[]){ 2 }, 1);
	/* 65 distinct counts remain too many. */
	assert_true(opts_parse_workers("1..64,100", 2, w, &n) < 0);
}

/* ---- opts_parse_config: defaults ---- */

static void test_defaults_workload(void **state)
{
	struct config c;
	(void)state;

	for (unsigned pus = 1; pus <= 16; pus += 5) {
		assert_int_equal(PARSE(pus, &c, "cpu"), 0);
		assert_string_equal(c.command, "cpu");
		assert_ptr_equal(c.wl, &workload_cpu);
		assert_int_equal(c.reps, 10);
		assert_int_equal(c.warmup, 1);
		assert_workers(c.workers, c.nworkers, (const unsigned[]){ pus }, 1);
		assert_int_equal(c.params.size, 0);
		assert_int_equal(c.params.tasks, 0);
		assert_int_equal(c.timeout_ns, 0);
		assert_null(c.output);
		assert_int_equal(c.format, FMT_TABLE);
		assert_int_equal(c.bind, BIND_NONE);
		assert_int_equal(c.weak, 0);
		assert_int_equal(c.dynamic, 0);
		assert_int_equal(c.quiet, 0);
		assert_int_equal(c.help, 0);
		assert_int_equal(c.argc, 2);
	}
	/* Every workload command parses with no option, and its choice options default to
	 * their first choice. */
	for (size_t i = 0; i < cb_nworkloads; i++) {
		const struct workload *wl = cb_workloads[i];
		assert_int_equal(PARSE(4, &c, (char *)wl->name), 0);
		assert_ptr_equal(c.wl, wl);
		for (size_t j = 0; j < wl->noptions; j++)
			if (wl->options[j].kind == WLO_CHOICE)
				assert_int_equal(c.params.opt[j], 0);
	}
	/* io's documented default duration is 10 ms. */
	assert_int_equal(PARSE(4, &c, "io"), 0);
	assert_int_equal(c.params.opt[opt_index(&workload_io, "duration")], 10000000LL);
}

static void test_defaults_suite(void **state)
{
	struct config c;
	(void)state;

	for (unsigned pus = 1; pus <= 40; pus++) {
		unsigned want[CLI_MAX_COUNTS];
		size_t n = 0;
		/* 1, 2, 4, ... below pus, then pus itself. */
		for (unsigned v = 1; v < pus; v *= 2)
			want[n++] = v;
		want[n++] = pus;
		assert_int_equal(PARSE(pus, &c, "suite"), 0);
		assert_null(c.wl);
		assert_string_equal(c.command, "suite");
		assert_workers(c.workers, c.nworkers, want, n);
		assert_int_equal(c.reps, 10);
		assert_int_equal(c.warmup, 1);
	}
	assert_int_equal(PARSE(8, &c, "suite"), 0);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 1, 2, 4, 8 }, 4);
	assert_int_equal(PARSE(6, &c, "suite"), 0);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 1, 2, 4, 6 }, 4);
}

static void test_commands(void **state)
{
	struct config c;
	(void)state;

	assert_true(parse_argv(4, &c, (char *[]){ "concbench", NULL }) < 0);
	assert_true(PARSE(4, &c, "bogus") < 0);
	assert_true(PARSE(4, &c, "CPU") < 0);
	assert_true(PARSE(4, &c, "cpu", "extra") < 0);
	assert_true(PARSE(4, &c, "cpu", "--repetitions", "3", "extra") < 0);
	assert_true(PARSE(4, &c, "cpu", "--bogus") < 0);
	assert_true(PARSE(4, &c, "cpu", "-x") < 0);
	assert_true(PARSE(4, &c, "cpu", "--workers") < 0);   /* missing value */
	assert_true(PARSE(4, &c, "cpu", "-w") < 0);
	assert_true(PARSE(4, &c, "cpu", "--workers=") < 0);

	assert_int_equal(PARSE(4, &c, "cpu", "--help"), 0);
	assert_int_equal(c.help, 1);
	assert_int_equal(PARSE(4, &c, "suite", "-h"), 0);
	assert_int_equal(c.help, 1);
}

/* ---- --workers through opts_parse_config ---- */

static void test_parse_workers_option(void **state)
{
	struct config c;
	(void)state;

	assert_int_equal(PARSE(8, &c, "cpu", "--workers", "4,1,2,2"), 0);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 1, 2, 4 }, 3);
	assert_int_equal(PARSE(8, &c, "cpu", "-w", "1..max"), 0);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 8);
	assert_int_equal(PARSE(8, &c, "suite", "--workers=max"), 0);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 8 }, 1);

	assert_true(PARSE(8, &c, "cpu", "--workers", "0") < 0);
	assert_true(PARSE(8, &c, "cpu", "--workers", "1..65") < 0);
	assert_true(PARSE(8, &c, "cpu", "--workers", "5..3") < 0);
	assert_true(PARSE(8, &c, "cpu", "--workers", "two") < 0);

	/* Binding cannot oversubscribe; no binding can. */
	assert_true(PARSE(2, &c, "cpu", "--bind", "compact", "--workers", "4") < 0);
	assert_true(PARSE(2, &c, "cpu", "--bind", "scatter", "--workers", "1,3") < 0);
	assert_int_equal(PARSE(2, &c, "cpu", "--bind", "none", "--workers", "4"), 0);
	assert_int_equal(PARSE(2, &c, "cpu", "--bind", "compact", "--workers", "2"), 0);
	assert_int_equal(c.bind, BIND_COMPACT);
	assert_int_equal(PARSE(2, &c, "cpu", "--bind", "scatter"), 0);
	assert_int_equal(c.bind, BIND_SCATTER);
	assert_true(PARSE(2, &c, "cpu", "--bind", "tight") < 0);
}

/* ---- --executor ---- */

static void test_executors(void **state)
{
	struct config c;
	size_t parallel = 0;
	(void)state;

	/* Executors run only when named (epoll, a forced variant; mpi, launched by mpirun):
	 * never in the default or "all". */
	for (size_t i = 0; i < cb_nexecutors; i++)
		if (strcmp(cb_executors[i]->name, "seq") != 0 &&
		    !(cb_executors[i]->flags & (EX_NAMED_ONLY | EX_LAUNCHED)))
			parallel++;

	/* Default and "all": every executor but seq and those run only when named (epoll),
	 * seq still asked for. */
	for (int variant = 0; variant < 3; variant++) {
		int rc = variant == 0 ? PARSE(4, &c, "cpu")
		       : variant == 1 ? PARSE(4, &c, "cpu", "--executor", "all")
				      : PARSE(4, &c, "suite", "-e", "all");
		assert_int_equal(rc, 0);
		assert_int_equal(c.nex, parallel);
		assert_int_equal(c.seq_asked, 1);
		assert_false(executor_listed(&c, "seq"));
		for (size_t i = 0; i < cb_nexecutors; i++)
			if (strcmp(cb_executors[i]->name, "seq") != 0)
				assert_int_equal(executor_listed(&c, cb_executors[i]->name),
						 !(cb_executors[i]->flags & (EX_NAMED_ONLY | EX_LAUNCHED)));
		for (size_t i = 0; i < c.nex; i++)
			for (size_t j = i + 1; j < c.nex; j++)
				assert_ptr_not_equal(c.ex[i], c.ex[j]);
	}

	/* A list: in the order given, seq excluded from ex[] but noted. */
	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "thread,fork"), 0);
	assert_int_equal(c.nex, 2);
	assert_ptr_equal(c.ex[0], executor_find("thread"));
	assert_ptr_equal(c.ex[1], executor_find("fork"));
	assert_int_equal(c.seq_asked, 0);

	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "shm,seq"), 0);
	assert_int_equal(c.nex, 1);
	assert_ptr_equal(c.ex[0], executor_find("shm"));
	assert_int_equal(c.seq_asked, 1);

	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "seq"), 0);
	assert_int_equal(c.nex, 0);
	assert_int_equal(c.seq_asked, 1);

	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "thread,thread,shm,thread"), 0);
	assert_int_equal(c.nex, 2);
	assert_ptr_equal(c.ex[0], executor_find("thread"));
	assert_ptr_equal(c.ex[1], executor_find("shm"));

	/* The last --executor wins. */
	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "all", "--executor", "fork"), 0);
	assert_int_equal(c.nex, 1);
	assert_ptr_equal(c.ex[0], executor_find("fork"));
	assert_int_equal(c.seq_asked, 0);

	assert_true(PARSE(4, &c, "cpu", "--executor", "threads") < 0);
	assert_true(PARSE(4, &c, "cpu", "--executor", "") < 0);
	assert_true(PARSE(4, &c, "cpu", "--executor", "thread,bogus") < 0);
	assert_true(PARSE(4, &c, "cpu", "--executor", "ALL") < 0);
	/* Not started by mpirun (or built without Open MPI): bad input, said before a run. */
	assert_true(PARSE(4, &c, "cpu", "--executor", "mpi") < 0);
}

/* ---- --size ---- */

static void test_size_suffixes(void **state)
{
	static const struct { const char *s; uint64_t dec, bin; } cases[] = {
		{ "7", 7, 7 },
		{ "5k", 5000ULL, 5ULL << 10 },
		{ "5K", 5000ULL, 5ULL << 10 },
		{ "2M", 2000000ULL, 2ULL << 20 },
		{ "2m", 2000000ULL, 2ULL << 20 },
		{ "3G", 3000000000ULL, 3ULL << 30 },
		{ "3g", 3000000000ULL, 3ULL << 30 },
		{ "1T", 1000000000000ULL, 1ULL << 40 },
		{ "123456", 123456, 123456 },
	};
	struct config c;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* cpu counts numbers: powers of 1000. */
		assert_int_equal(PARSE(4, &c, "cpu", "--size", (char *)cases[i].s), 0);
		assert_int_equal(c.params.size, cases[i].dec);
		/* mem and io count bytes: powers of 1024. */
		assert_int_equal(PARSE(4, &c, "mem", "--size", (char *)cases[i].s), 0);
		assert_int_equal(c.params.size, cases[i].bin);
		assert_int_equal(PARSE(4, &c, "io", "--io", "file", "-s", (char *)cases[i].s), 0);
		assert_int_equal(c.params.size, cases[i].bin);
	}
	assert_int_equal(PARSE(4, &c, "cpu", "--size", "10k"), 0);
	assert_int_equal(c.params.size, 10 * 1000);
	assert_int_equal(PARSE(4, &c, "mem", "--size", "64M"), 0);
	assert_int_equal(c.params.size, 64ULL * 1024 * 1024);

	static const char *const bad[] = { "0", "0k", "12Q", "-5", "", "k", "1.5M", "10kb", " 10",
					   "99999999999999999999", "20000000T" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_true(PARSE(4, &c, "cpu", "--size", (char *)bad[i]) < 0);
		assert_true(PARSE(4, &c, "mem", "--size", (char *)bad[i]) < 0);
	}
	assert_true(PARSE(4, &c, "suite", "--size", "10") < 0);
}

/* ---- --repetitions, --warmup, --timeout and the other common options ---- */

static void test_reps_warmup_timeout(void **state)
{
	struct config c;
	(void)state;

	assert_int_equal(PARSE(4, &c, "cpu", "--repetitions", "5"), 0);
	assert_int_equal(c.reps, 5);
	assert_int_equal(PARSE(4, &c, "cpu", "-r", "1"), 0);
	assert_int_equal(c.reps, 1);
	assert_int_equal(PARSE(4, &c, "suite", "--repetitions=100000"), 0);
	assert_int_equal(c.reps, 100000);
	static const char *const bad_reps[] = { "0", "100001", "-1", "abc", "", "3x", "1.5" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_reps); i++)
		assert_true(PARSE(4, &c, "cpu", "--repetitions", (char *)bad_reps[i]) < 0);

	assert_int_equal(PARSE(4, &c, "cpu", "--warmup", "0"), 0);
	assert_int_equal(c.warmup, 0);
	assert_int_equal(PARSE(4, &c, "cpu", "--warmup", "1000"), 0);
	assert_int_equal(c.warmup, 1000);
	assert_int_equal(PARSE(4, &c, "cpu", "--warmup", "7", "-r", "3"), 0);
	assert_int_equal(c.warmup, 7);
	assert_int_equal(c.reps, 3);
	static const char *const bad_warm[] = { "1001", "-1", "x", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_warm); i++)
		assert_true(PARSE(4, &c, "cpu", "--warmup", (char *)bad_warm[i]) < 0);

	static const struct { const char *s; int64_t ns; } to[] = {
		{ "30s", 30 * NS_PER_S }, { "30", 30 * NS_PER_S }, { "2m", 120 * NS_PER_S },
		{ "1h", 3600 * NS_PER_S }, { "500ms", 500000000LL }, { "1ms", 1000000LL },
		{ "1000us", 1000000LL }, { "1.5s", 1500000000LL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(to); i++) {
		assert_int_equal(PARSE(4, &c, "cpu", "--timeout", (char *)to[i].s), 0);
		assert_int_equal(c.timeout_ns, to[i].ns);
	}
	static const char *const bad_to[] = { "999us", "0", "0.5ms", "abc", "", "-1s", "10x",
					      "10 s" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_to); i++)
		assert_true(PARSE(4, &c, "cpu", "--timeout", (char *)bad_to[i]) < 0);
}

static void test_other_common_options(void **state)
{
	struct config c;
	(void)state;

	assert_int_equal(PARSE(4, &c, "cpu", "--tasks", "4096", "--schedule", "dynamic",
			       "--scaling", "weak", "--format", "json", "--quiet"), 0);
	assert_int_equal(c.params.tasks, WL_MAX_TASKS);
	assert_int_equal(c.dynamic, 1);
	assert_int_equal(c.weak, 1);
	assert_int_equal(c.format, FMT_JSON);
	assert_int_equal(c.quiet, 1);
	assert_int_equal(PARSE(4, &c, "cpu", "--schedule", "static", "--scaling", "strong",
			       "-f", "table", "-q"), 0);
	assert_int_equal(c.dynamic, 0);
	assert_int_equal(c.weak, 0);
	assert_int_equal(c.format, FMT_TABLE);
	assert_int_equal(c.quiet, 1);

	assert_true(PARSE(4, &c, "cpu", "--tasks", "0") < 0);
	assert_true(PARSE(4, &c, "cpu", "--tasks", "4097") < 0);
	assert_true(PARSE(4, &c, "suite", "--tasks", "8") < 0);
	assert_true(PARSE(4, &c, "suite", "--schedule", "dynamic") < 0);
	assert_true(PARSE(4, &c, "cpu", "--schedule", "guided") < 0);
	assert_true(PARSE(4, &c, "cpu", "--scaling", "both") < 0);
	assert_true(PARSE(4, &c, "cpu", "--format", "xml") < 0);

	/* --output: an existing writable directory only, and not a directory itself. */
	char dir[256];
	char path[300], missing[320];
	make_test_dir(dir, sizeof(dir), "cli");
	snprintf(path, sizeof(path), "%s/report.json", dir);
	snprintf(missing, sizeof(missing), "%s/nope/report.json", dir);
	assert_int_equal(PARSE(4, &c, "cpu", "--output", path), 0);
	assert_string_equal(c.output, path);
	assert_true(PARSE(4, &c, "cpu", "--output", missing) < 0);
	assert_true(PARSE(4, &c, "cpu", "--output", dir) < 0);
	assert_true(PARSE(4, &c, "cpu", "--output", "") < 0);
	assert_int_equal(rmdir(dir), 0);   /* nothing was created in it */
}

/* ---- --repetitions auto and the options of the measurement plan ---- */

static void test_measurement_plan_options(void **state)
{
	struct config c;
	(void)state;

	/* Defaults: 2% precision, 10 s at most per run, no minimum, two rounds, a seed. */
	assert_int_equal(PARSE(4, &c, "cpu"), 0);
	assert_int_equal(c.reps_auto, 0);
	assert_true(c.precision == 0.02);
	assert_int_equal(c.max_time_ns, 10 * NS_PER_S);
	assert_int_equal(c.min_time_ns, 0);
	assert_int_equal(c.rounds, 2);
	assert_true(c.seed != 0);
	/* One repetition cannot be split over two rounds. */
	assert_int_equal(PARSE(4, &c, "cpu", "-r", "1"), 0);
	assert_int_equal(c.rounds, 1);

	assert_int_equal(PARSE(4, &c, "cpu", "--repetitions", "auto"), 0);
	assert_int_equal(c.reps_auto, 1);
	assert_true(c.reps >= 1);
	assert_int_equal(PARSE(4, &c, "cpu", "--repetitions", "auto", "--repetitions", "5"), 0);
	assert_int_equal(c.reps_auto, 0);
	assert_int_equal(c.reps, 5);
	assert_true(PARSE(4, &c, "cpu", "--repetitions", "AUTO") < 0);

	assert_int_equal(PARSE(4, &c, "cpu", "--precision", "5"), 0);
	assert_true(c.precision == 0.05);
	assert_int_equal(PARSE(4, &c, "cpu", "--precision", "100"), 0);
	assert_true(c.precision == 1.0);
	assert_int_equal(PARSE(4, &c, "cpu", "--precision", "0.5"), 0);
	assert_true(c.precision == 0.005);
	static const char *const bad_prec[] = { "0", "-1", "100.5", "abc", "", "2%", "nan" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_prec); i++)
		assert_true(PARSE(4, &c, "cpu", "--precision", (char *)bad_prec[i]) < 0);

	assert_int_equal(PARSE(4, &c, "cpu", "--min-time", "500ms", "--max-time", "2m"), 0);
	assert_int_equal(c.min_time_ns, 500000000LL);
	assert_int_equal(c.max_time_ns, 120 * NS_PER_S);
	assert_true(PARSE(4, &c, "cpu", "--max-time", "0") < 0);
	assert_true(PARSE(4, &c, "cpu", "--min-time", "soon") < 0);

	assert_int_equal(PARSE(4, &c, "cpu", "--rounds", "5"), 0);
	assert_int_equal(c.rounds, 5);
	assert_int_equal(PARSE(4, &c, "cpu", "--rounds", "3", "-r", "3"), 0);
	assert_int_equal(c.rounds, 3);
	assert_true(PARSE(4, &c, "cpu", "--rounds", "4", "-r", "3") < 0);   /* more than reps */
	assert_true(PARSE(4, &c, "cpu", "--rounds", "0") < 0);
	assert_true(PARSE(4, &c, "cpu", "--rounds", "1001") < 0);

	assert_int_equal(PARSE(4, &c, "cpu", "--seed", "42"), 0);
	assert_int_equal(c.seed, 42);
	assert_int_equal(PARSE(4, &c, "suite", "--seed", "18446744073709551615"), 0);
	assert_int_equal(c.seed, UINT64_MAX);
	static const char *const bad_seed[] = { "0", "-1", "x", "", "18446744073709551616", "4 " };
	for (size_t i = 0; i < ARRAY_SIZE(bad_seed); i++)
		assert_true(PARSE(4, &c, "cpu", "--seed", (char *)bad_seed[i]) < 0);
}

/* ---- workload options ---- */

static void test_workload_options(void **state)
{
	struct config c;
	int kernel = opt_index(&workload_cpu, "kernel");
	int pattern = opt_index(&workload_mem, "pattern");
	int io = opt_index(&workload_io, "io"), dur = opt_index(&workload_io, "duration");
	(void)state;

	assert_int_equal(kernel, 0);
	assert_int_equal(PARSE(4, &c, "cpu", "--kernel", "primes"), 0);
	assert_int_equal(c.params.opt[0], 1);
	assert_int_equal(c.params.opt[kernel], choice_index(&workload_cpu, kernel, "primes"));
	assert_int_equal(PARSE(4, &c, "cpu", "--kernel", "sumsq"), 0);
	assert_int_equal(c.params.opt[kernel], choice_index(&workload_cpu, kernel, "sumsq"));
	assert_true(PARSE(4, &c, "cpu", "--kernel", "fft") < 0);
	assert_true(PARSE(4, &c, "cpu", "--kernel", "") < 0);

	/* Options of another workload are rejected. */
	assert_true(PARSE(4, &c, "cpu", "--io", "file") < 0);
	assert_true(PARSE(4, &c, "cpu", "--pattern", "touch") < 0);
	assert_true(PARSE(4, &c, "cpu", "--duration", "1ms") < 0);
	assert_true(PARSE(4, &c, "mem", "--kernel", "primes") < 0);
	assert_true(PARSE(4, &c, "suite", "--kernel", "primes") < 0);

	assert_int_equal(PARSE(4, &c, "mem", "--pattern", "touch"), 0);
	assert_int_equal(c.params.opt[pattern], choice_index(&workload_mem, pattern, "touch"));
	assert_true(PARSE(4, &c, "mem", "--pattern", "copy") < 0);

	assert_int_equal(PARSE(4, &c, "io", "--io", "file", "--duration", "5ms"), 0);
	assert_int_equal(c.params.opt[io], choice_index(&workload_io, io, "file"));
	assert_int_equal(c.params.opt[dur], 5000000LL);
	assert_int_equal(PARSE(4, &c, "io", "--duration", "250us"), 0);
	assert_int_equal(c.params.opt[dur], 250000LL);
	assert_int_equal(c.params.opt[io], choice_index(&workload_io, io, "sleep"));
	assert_int_equal(PARSE(4, &c, "io", "--duration", "60s"), 0);
	assert_int_equal(c.params.opt[dur], 60 * NS_PER_S);
	assert_true(PARSE(4, &c, "io", "--duration", "61s") < 0);
	assert_true(PARSE(4, &c, "io", "--duration", "soon") < 0);
	assert_true(PARSE(4, &c, "io", "--io", "disk") < 0);
}

/* ---- the option table, through opts_parse ---- */

/* One of each command, named by its enum opt_cmd bit. */
static const struct {
	unsigned bit;
	const char *name;
} table_commands[] = {
	{ OPT_CMD_WORKLOAD, "cpu" }, { OPT_CMD_SUITE, "suite" }, { OPT_CMD_TOPO, "topo" },
	{ OPT_CMD_CORES, "cores" }, { OPT_CMD_REPORT, "report" }, { OPT_CMD_COMPARE, "compare" },
	{ OPT_CMD_LIST, "list" }, { OPT_CMD_EXPLAIN, "explain" },
	{ OPT_CMD_SPAWN, "spawn" }, { OPT_CMD_FOLKLORE, "folklore" },
};

/* Room for any command's options struct. */
union any_opts {
	struct config c;
	struct cores_opts cores;
	struct cmp_options cmp;
	struct topo_opts topo;
	struct report_opts report;
	struct explain_opts explain;
	struct spawn_opts spawn;
	struct folklore_opts folklore;
};

/* opts_parse("concbench", cmd, a1[, a2]) with what it writes on stderr in err (cb_error
 * writes to the stream stderr names, so a memory stream stands in for it). Returns
 * opts_parse's result. */
static int parse_captured(const char *cmd, const char *a1, const char *a2, union any_opts *u,
			  char *err, size_t len)
{
	char *argv[] = { "concbench", (char *)cmd, (char *)a1, (char *)a2, NULL };
	struct opt_command oc;
	FILE *saved = stderr, *mem;
	char *text = NULL;
	size_t size = 0;
	int rc;

	assert_int_equal(opts_command_find(cmd, &oc), 0);
	mem = open_memstream(&text, &size);
	assert_non_null(mem);
	memset(u, 0, sizeof(*u));
	stderr = mem;
	rc = opts_parse(&oc, a2 ? 4 : 3, argv, u);
	stderr = saved;
	fclose(mem);
	snprintf(err, len, "%s", text);
	free(text);
	return rc;
}

/* The error contract: refused, one line on stderr in concbench's voice. */
static void assert_one_error_line(int rc, const char *err, const char *what)
{
	const char *nl = strchr(err, '\n');
	if (rc >= 0 || strncmp(err, "concbench: ", 11) != 0 || !nl || nl[1]) {
		print_error("%s: rc %d, stderr '%s'\n", what, rc, err);
		fail();
	}
}

static int takes(unsigned bit, const char *name)
{
	return opts_find(name, bit) != NULL;
}

static void test_table_every_option_has_help(void **state)
{
	(void)state;
	assert_true(cb_noptions > 0);
	for (size_t i = 0; i < cb_noptions; i++) {
		const struct cb_option *o = &cb_options[i];
		if (!o->commands || (o->kind == OPT_CHOICE && !o->choices) ||
		    (o->kind == OPT_CHOICES && !o->choices) ||
		    ((o->kind == OPT_UINT || o->kind == OPT_U64 || o->kind == OPT_DECIMAL) &&
		     !o->noun) || (o->kind == OPT_DURATION && !o->example)) {
			print_error("--%s: incomplete row\n", o->name);
			fail();
		}
		/* --size's help is each workload's own */
		if (o->help ? !o->help[0] : strcmp(o->name, "size") != 0) {
			print_error("--%s: no help\n", o->name);
			fail();
		}
		/* one row per name and command, or getopt could not tell them apart */
		for (size_t j = i + 1; j < cb_noptions; j++)
			if (strcmp(cb_options[j].name, o->name) == 0 &&
			    (cb_options[j].commands & o->commands)) {
				print_error("--%s: two rows for one command\n", o->name);
				fail();
			}
	}
	for (size_t i = 0; i < cb_nworkloads; i++)
		assert_true(cb_workloads[i]->size_help && cb_workloads[i]->size_help[0]);
	/* Every command has --help. */
	for (size_t k = 0; k < ARRAY_SIZE(table_commands); k++)
		assert_true(takes(table_commands[k].bit, "help"));
}

/* The message the table generates for a value refused by row o of command cmd. */
static void expected_message(const char *cmd, const struct cb_option *o, const char *value,
			     char *buf, size_t len)
{
	struct opt_command oc;
	char acc[256];
	assert_int_equal(opts_command_find(cmd, &oc), 0);
	opts_accepted(o, acc, sizeof(acc));
	snprintf(buf, len, "concbench: %s--%s: expected %s, got '%s'\n", oc.prefix, o->name, acc,
		 value);
}

static void expect_refused(const char *cmd, const struct cb_option *o, const char *value)
{
	union any_opts u;
	char arg[128], err[512], want[512];
	int rc;
	snprintf(arg, sizeof(arg), "--%s=%s", o->name, value);
	rc = parse_captured(cmd, arg, NULL, &u, err, sizeof(err));
	expected_message(cmd, o, value, want, sizeof(want));
	if (rc >= 0 || strcmp(err, want) != 0) {
		print_error("%s %s: rc %d, stderr '%s', expected '%s'\n", cmd, arg, rc, err, want);
		fail();
	}
}

static void expect_accepted(const char *cmd, const struct cb_option *o, const char *value,
			    double want)
{
	union any_opts u;
	char arg[128], err[512];
	double got = 0;
	int rc;
	snprintf(arg, sizeof(arg), "--%s=%s", o->name, value);
	rc = parse_captured(cmd, arg, NULL, &u, err, sizeof(err));
	if (rc <= 0 || err[0]) {
		print_error("%s %s: rc %d, stderr '%s'\n", cmd, arg, rc, err);
		fail();
	}
	switch (o->kind) {
	case OPT_UINT:
		got = *(const unsigned *)(const void *)((const char *)&u + o->off);
		break;
	case OPT_U64:
		got = (double)*(const uint64_t *)(const void *)((const char *)&u + o->off);
		break;
	case OPT_DECIMAL:
		got = *(const double *)(const void *)((const char *)&u + o->off);
		break;
	default:
		got = (double)*(const int64_t *)(const void *)((const char *)&u + o->off);
		break;
	}
	if (got != want) {
		print_error("%s %s: stored %.17g, expected %.17g\n", cmd, arg, got, want);
		fail();
	}
}

/* A check of row o given to command k; returns 1 when it checked something. */
typedef int (*row_check)(const struct cb_option *o, size_t k);

/* Run check over every (row, command) pair; at least `least` of them must be checked. */
static void each_row_and_command(row_check check, size_t least)
{
	size_t checked = 0;
	for (size_t i = 0; i < cb_noptions; i++)
		for (size_t k = 0; k < ARRAY_SIZE(table_commands); k++)
			checked += (size_t)check(&cb_options[i], k);
	assert_true(checked >= least);
}

/* Ranges parse at min and max and are refused one beyond, with the generated message. */
static int check_bounds(const struct cb_option *o, size_t k)
{
	const char *cmd = table_commands[k].name;
	char v[64];
	if (!(o->commands & table_commands[k].bit))
		return 0;
	if (o->kind == OPT_UINT || o->kind == OPT_U64) {
		/* the message names both bounds (or the top one, "up to") */
		char acc[256], n[32];
		opts_accepted(o, acc, sizeof(acc));
		snprintf(n, sizeof(n), "%llu", (unsigned long long)o->imax);
		assert_non_null(strstr(acc, n));
		snprintf(v, sizeof(v), "%llu", (unsigned long long)o->imin);
		if (!(o->flags & OPTF_UP_TO))
			assert_non_null(strstr(acc, v));
		expect_accepted(cmd, o, v, (double)o->imin);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)o->imax);
		expect_accepted(cmd, o, v, (double)o->imax);
		if (o->imax < UINT64_MAX) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)o->imax + 1);
			expect_refused(cmd, o, v);
		}
		if (o->imin > 0) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)o->imin - 1);
			expect_refused(cmd, o, v);
		}
	} else if (o->kind == OPT_DECIMAL) {
		snprintf(v, sizeof(v), "%g", o->dmin);
		if (o->flags & OPTF_ABOVE_MIN)
			expect_refused(cmd, o, v);
		else
			expect_accepted(cmd, o, v, o->dmin / o->scale);
		snprintf(v, sizeof(v), "%g", o->dmax);
		expect_accepted(cmd, o, v, o->dmax / o->scale);
		snprintf(v, sizeof(v), "%.4f", o->dmax + 0.001);
		expect_refused(cmd, o, v);
	} else if (o->kind == OPT_DURATION) {
		snprintf(v, sizeof(v), "%lluns", (unsigned long long)o->imin);
		expect_accepted(cmd, o, v, (double)o->imin);
		if (o->imin > 0) {
			snprintf(v, sizeof(v), "%lluns", (unsigned long long)o->imin - 1);
			expect_refused(cmd, o, v);
		}
	} else if (o->kind == OPT_CHOICE) {
		for (size_t c = 0; o->choices[c].name; c++) {
			union any_opts u;
			char arg[128], err[512];
			snprintf(arg, sizeof(arg), "--%s=%s", o->name, o->choices[c].name);
			assert_true(parse_captured(cmd, arg, NULL, &u, err, sizeof(err)) > 0);
			assert_int_equal(*(const int *)(const void *)((const char *)&u + o->off),
					 o->choices[c].value);
		}
		expect_refused(cmd, o, "bogus");
	} else {
		return 0;
	}
	return 1;
}

static void test_table_ranges_at_the_bounds(void **state)
{
	(void)state;
	each_row_and_command(check_bounds, 20);
}

/* An option of the table given to a command that does not take it: refused, one line. */
static int check_refused_elsewhere(const struct cb_option *o, size_t k)
{
	union any_opts u;
	char arg[128], err[512];
	int rc;
	if (takes(table_commands[k].bit, o->name))
		return 0;
	if (o->kind == OPT_FLAG || o->kind == OPT_HELP)
		snprintf(arg, sizeof(arg), "--%s", o->name);
	else
		snprintf(arg, sizeof(arg), "--%s=1", o->name);
	rc = parse_captured(table_commands[k].name, arg, NULL, &u, err, sizeof(err));
	assert_one_error_line(rc, err, arg);
	assert_non_null(strstr(err, o->name));
	return 1;
}

static void test_table_option_of_another_command(void **state)
{
	(void)state;
	each_row_and_command(check_refused_elsewhere, 50);
	/* and a workload's own option to the suite and to another workload */
	{
		union any_opts u;
		char err[512];
		int rc = parse_captured("suite", "--kernel=sumsq", NULL, &u, err, sizeof(err));
		assert_one_error_line(rc, err, "suite --kernel");
		assert_non_null(strstr(err, "not an option of 'suite'"));
		rc = parse_captured("io", "--kernel=sumsq", NULL, &u, err, sizeof(err));
		assert_one_error_line(rc, err, "io --kernel");
		assert_non_null(strstr(err, "not an option of 'io'"));
	}
}

/* Executor names in messages come from the registry, so a new executor needs no change
 * in src/cmd/. */
static void test_table_names_from_registry(void **state)
{
	union any_opts u;
	char err[512];
	int rc;
	(void)state;
	rc = parse_captured("cpu", "--executor=bogus", NULL, &u, err, sizeof(err));
	assert_one_error_line(rc, err, "--executor=bogus");
	for (size_t i = 0; i < cb_nexecutors; i++)
		assert_non_null(strstr(err, cb_executors[i]->name));
	rc = parse_captured("cores", "--workload=bogus", NULL, &u, err, sizeof(err));
	assert_one_error_line(rc, err, "--workload=bogus");
	for (size_t i = 0; i < cb_nworkloads; i++)
		assert_non_null(strstr(err, cb_workloads[i]->name));
	/* every command name, and nothing else, is a command */
	for (size_t k = 0; k < ARRAY_SIZE(table_commands); k++) {
		struct opt_command oc;
		assert_int_equal(opts_command_find(table_commands[k].name, &oc), 0);
		assert_int_equal(oc.cmd, table_commands[k].bit);
	}
	for (size_t i = 0; i < cb_nworkloads; i++) {
		struct opt_command oc;
		assert_int_equal(opts_command_find(cb_workloads[i]->name, &oc), 0);
		assert_ptr_equal(oc.wl, cb_workloads[i]);
	}
	{
		struct opt_command oc;
		assert_int_equal(opts_command_find("bogus", &oc), -EINVAL);
	}
}

/* The config carries the groups that run: the workload's own, or the suite's three. */
static void test_config_groups(void **state)
{
	struct config c;
	(void)state;
	assert_int_equal(PARSE(4, &c, "cpu", "--size", "1000", "--tasks", "8"), 0);
	assert_int_equal(c.ngroups, 1);
	assert_ptr_equal(c.groups[0].wl, &workload_cpu);
	assert_int_equal(c.groups[0].params.size, 1000);
	assert_int_equal(c.groups[0].params.tasks, 8);
	assert_int_equal(PARSE(4, &c, "suite"), 0);
	assert_int_equal(c.ngroups, 3);
	assert_ptr_equal(c.groups[0].wl, &workload_cpu);
	assert_ptr_equal(c.groups[1].wl, &workload_io);
	assert_ptr_equal(c.groups[2].wl, &workload_mem);
	/* io in the suite: 48 tasks of 2 ms */
	assert_int_equal(c.groups[1].params.tasks, 48);
	assert_int_equal(c.groups[1].params.opt[opt_index(&workload_io, "duration")], 2000000);
}

/* ---- opts_parse_config more than once in one process ---- */

static void test_reparse(void **state)
{
	struct config c;
	(void)state;

	assert_int_equal(PARSE(4, &c, "cpu", "--repetitions", "3", "--workers", "2", "-q"), 0);
	assert_int_equal(c.reps, 3);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 2 }, 1);

	/* A fresh parse starts from the defaults and from argv's first option. */
	assert_int_equal(PARSE(4, &c, "mem", "--warmup", "4"), 0);
	assert_int_equal(c.reps, 10);
	assert_int_equal(c.warmup, 4);
	assert_int_equal(c.quiet, 0);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 4 }, 1);

	/* After a parse that stopped half-way through a cluster of short options... */
	assert_int_equal(PARSE(4, &c, "cpu", "-hq"), 0);
	assert_int_equal(c.help, 1);
	/* ...and after one that failed in the middle... */
	assert_true(PARSE(4, &c, "cpu", "-r", "0", "-q") < 0);
	assert_true(PARSE(4, &c, "cpu", "-qx", "-r", "3") < 0);
	/* ...the next parse sees every option of its own argv. */
	assert_int_equal(PARSE(4, &c, "cpu", "-r", "6", "-w", "1,3"), 0);
	assert_int_equal(c.reps, 6);
	assert_int_equal(c.quiet, 0);
	assert_int_equal(c.help, 0);
	assert_workers(c.workers, c.nworkers, (const unsigned[]){ 1, 3 }, 2);

	for (unsigned i = 1; i <= 50; i++) {
		char reps[16];
		snprintf(reps, sizeof(reps), "%u", i);
		assert_int_equal(PARSE(4, &c, "suite", "-q", "--repetitions", reps), 0);
		assert_int_equal(c.reps, i);
		assert_int_equal(c.quiet, 1);
	}
}

/* ---- parse_size ---- */

static void test_parse_size(void **state)
{
	uint64_t v;
	(void)state;

	static const struct { const char *s; uint64_t dec, bin; } ok[] = {
		{ "0", 0, 0 }, { "1", 1, 1 }, { "42", 42, 42 },
		{ "1k", 1000, 1024 }, { "1K", 1000, 1024 }, { "3m", 3000000, 3 << 20 },
		{ "3M", 3000000, 3 << 20 }, { "2g", 2000000000ULL, 2ULL << 30 },
		{ "2G", 2000000000ULL, 2ULL << 30 }, { "5t", 5000000000000ULL, 5ULL << 40 },
		{ "5T", 5000000000000ULL, 5ULL << 40 }, { "007", 7, 7 },
		{ "18446744073709551615", UINT64_MAX, UINT64_MAX },
		{ "16777215T", 16777215000000000000ULL, 16777215ULL << 40 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		v = 1;
		assert_int_equal(parse_size(ok[i].s, 0, &v), 0);
		assert_int_equal(v, ok[i].dec);
		v = 1;
		assert_int_equal(parse_size(ok[i].s, 1, &v), 0);
		assert_int_equal(v, ok[i].bin);
	}
	static const char *const inval[] = { "", "k", "-1", "+1", " 1", "1 ", "1.5", "12Q", "1kb",
					     "1KiB", "0x10", "1e3" };
	for (size_t i = 0; i < ARRAY_SIZE(inval); i++) {
		assert_int_equal(parse_size(inval[i], 0, &v), -EINVAL);
		assert_int_equal(parse_size(inval[i], 1, &v), -EINVAL);
	}
	/* Out of 64 bits. */
	assert_int_equal(parse_size("18446744073709551616", 0, &v), -ERANGE);
	assert_int_equal(parse_size("99999999999999999999", 1, &v), -ERANGE);
	assert_int_equal(parse_size("16777216T", 1, &v), -ERANGE);          /* 2^64 */
	assert_int_equal(parse_size("18446744073709552k", 0, &v), -ERANGE);  /* > 2^64 - 1 */
	assert_int_equal(parse_size("18446744073709551k", 0, &v), 0);
	assert_int_equal(v, 18446744073709551000ULL);
	assert_int_equal(parse_size("17179869184G", 1, &v), -ERANGE);        /* 2^34 * 2^30 */
	assert_int_equal(parse_size("17179869183G", 1, &v), 0);
	assert_int_equal(v, 17179869183ULL << 30);
}

/* ---- parse_duration ---- */

/* Exact nanoseconds of "I.F" + unit by integer arithmetic, for up to 9 fraction digits. */
static int64_t exact_ns(int64_t ip, const char *frac, int64_t unit_ns)
{
	int64_t num = 0, den = 1;
	for (const char *p = frac; *p; p++) {
		num = num * 10 + (*p - '0');
		den *= 10;
	}
	return ip * unit_ns + num * unit_ns / den;
}

static void test_parse_duration(void **state)
{
	int64_t ns;
	(void)state;

	static const struct { const char *s; int64_t ns; } ok[] = {
		{ "0", 0 }, { "1", NS_PER_S }, { "30", 30 * NS_PER_S }, { "30s", 30 * NS_PER_S },
		{ "5ns", 5 }, { "250us", 250000 }, { "10ms", 10000000 }, { "2m", 120 * NS_PER_S },
		{ "1h", 3600 * NS_PER_S }, { "1.5s", 1500000000 }, { ".5", 500000000 },
		{ "0.25ms", 250000 }, { "2.5h", 9000 * NS_PER_S }, { "1000000ns", 1000000 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		ns = -1;
		assert_int_equal(parse_duration(ok[i].s, &ns), 0);
		assert_int_equal(ns, ok[i].ns);
	}
	static const char *const bad[] = { "", "abc", "-1", "-1s", "10x", "10 s", " 10", "s", "ms",
					   "inf", "nan", "10sec", "1d", "3000000h" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_duration(bad[i], &ns), -EINVAL);
}

/* Decimal durations are exact numbers of nanoseconds: "1.001ms" is 1001000 ns, not one
 * nanosecond less. Every value with three decimals from 0.001 to 9.999, in s, ms and us. */
static void test_parse_duration_decimal_exact(void **state)
{
	static const struct { const char *unit; int64_t ns; } units[] = {
		{ "s", NS_PER_S }, { "ms", 1000000 }, { "us", 1000 }, { "", NS_PER_S },
	};
	size_t wrong = 0;
	(void)state;

	for (size_t u = 0; u < ARRAY_SIZE(units); u++) {
		for (int i = 1; i < 10000; i++) {
			char s[32], frac[8];
			int64_t ns = -1, want;
			snprintf(frac, sizeof(frac), "%03d", i % 1000);
			snprintf(s, sizeof(s), "%d.%s%s", i / 1000, frac, units[u].unit);
			want = exact_ns(i / 1000, frac, units[u].ns);
			assert_int_equal(parse_duration(s, &ns), 0);
			if (ns != want) {
				if (wrong < 5)
					print_error("parse_duration(\"%s\") = %lld ns, expected %lld\n", s,
						    (long long)ns, (long long)want);
				wrong++;
			}
		}
	}
	if (wrong)
		print_error("%zu decimal durations were off\n", wrong);
	assert_int_equal(wrong, 0);
}

/* Numbers are plain decimals: no blank, sign, 0x, exponent, inf or nan, whatever strtoul
 * and strtod would take; a leading 0 is decimal, not octal. */
static void test_parse_strict_numbers(void **state)
{
	static const char *const bad_uint[] = { "", "\t3", " 3", "3 ", "+3", "-3", "0x3", "3.",
						"3k", "99999999999999999999", "4294967296" };
	static const char *const bad_dec[] = { "", "0x10", "1e1", "1E1", "inf", "nan", "+1", "-1",
					       " 1", "1 ", ".", "1.2.3", "2%" };
	static const char *const bad_dur[] = { "0x10s", "1e3ms", "+1s", "\t1s", "1..5s", "." };
	unsigned u = 0;
	uint64_t v = 0;
	double d = 0;
	int64_t ns = 0;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bad_uint); i++) {
		if (parse_uint(bad_uint[i], 0, UINT_MAX, &u) != -EINVAL)
			fail_msg("parse_uint accepted '%s'", bad_uint[i]);
		if (parse_u64(bad_uint[i], 0, 4294967295ULL, &v) == 0)
			fail_msg("parse_u64 accepted '%s'", bad_uint[i]);
	}
	assert_int_equal(parse_uint("010", 0, 100, &u), 0);
	assert_int_equal(u, 10);
	assert_int_equal(parse_uint("4294967295", 0, UINT_MAX, &u), 0);
	assert_int_equal(u, UINT_MAX);
	assert_int_equal(parse_u64("18446744073709551615", 1, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", 1, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("0", 1, 10, &v), -ERANGE);
	assert_int_equal(parse_u64("11", 1, 10, &v), -ERANGE);

	for (size_t i = 0; i < ARRAY_SIZE(bad_dec); i++)
		if (parse_decimal(bad_dec[i], &d) == 0)
			fail_msg("parse_decimal accepted '%s'", bad_dec[i]);
	assert_int_equal(parse_decimal("2.5", &d), 0);
	assert_true(d == 2.5);
	assert_int_equal(parse_decimal(".5", &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(parse_decimal("5.", &d), 0);
	assert_true(d == 5);

	for (size_t i = 0; i < ARRAY_SIZE(bad_dur); i++)
		if (parse_duration(bad_dur[i], &ns) == 0)
			fail_msg("parse_duration accepted '%s'", bad_dur[i]);
}

/* An empty item in a list is a typo, not nothing: "1,,2", ",1", "1,". */
static void test_lists_without_empty_items(void **state)
{
	static const char *const bad[] = { "1,,2", ",1", "1,", ",", ",,", "1..2,", "max,," };
	unsigned w[CLI_MAX_COUNTS];
	size_t n = 0;
	struct config c;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (opts_parse_workers(bad[i], 4, w, &n) != -EINVAL)
			fail_msg("--workers '%s' accepted", bad[i]);
	assert_int_equal(opts_parse_workers("1,2", 4, w, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "thread,,fork"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--executor", ",thread"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "thread,"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--executor", "thread,fork"), 0);
	assert_int_equal(c.nex, 2);
}

/* What could never finish or contradicts itself is refused when parsed. */
static void test_bounds(void **state)
{
	struct config c;
	(void)state;

	assert_int_equal(PARSE(4, &c, "cpu", "--size", "18446744073709551615"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--size", "1000000000001"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--size", "1T"), 0);
	assert_true(c.params.size == 1000000000000ULL);
	assert_int_equal(PARSE(4, &c, "mem", "--size", "2T"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--repetitions", "auto", "--min-time", "5s",
			       "--max-time", "1s"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--repetitions", "auto", "--min-time", "1s",
			       "--max-time", "1s"), 0);
	assert_int_equal(PARSE(4, &c, "cpu", "--precision", "0x10"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--precision", "1e1"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--seed", "+5"), -EINVAL);
	assert_int_equal(PARSE(4, &c, "cpu", "--seed", "18446744073709551615"), 0);
	assert_true(c.seed == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workers_lists_ranges_max),
		cmocka_unit_test(test_workers_errors),
		cmocka_unit_test(test_workers_limit_counts_distinct),
		cmocka_unit_test(test_defaults_workload),
		cmocka_unit_test(test_defaults_suite),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_parse_workers_option),
		cmocka_unit_test(test_executors),
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_reps_warmup_timeout),
		cmocka_unit_test(test_other_common_options),
		cmocka_unit_test(test_measurement_plan_options),
		cmocka_unit_test(test_workload_options),
		cmocka_unit_test(test_reparse),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_duration_decimal_exact),
		cmocka_unit_test(test_parse_strict_numbers),
		cmocka_unit_test(test_lists_without_empty_items),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_table_every_option_has_help),
		cmocka_unit_test(test_table_ranges_at_the_bounds),
		cmocka_unit_test(test_table_option_of_another_command),
		cmocka_unit_test(test_table_names_from_registry),
		cmocka_unit_test(test_config_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
