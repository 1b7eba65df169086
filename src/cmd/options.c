/* SPDX-License-Identifier: MIT */
/* cli: getopt_long over one option table; validation; help text from the same table. */
#define _GNU_SOURCE
#include "cmd/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/util.h"
#include "cmd/cmd.h"
#include "core/registry.h"
#include "report/plot.h"
#include "topo/topoprint.h"

enum {
	O_EXECUTOR = 'e', O_WORKERS = 'w', O_SIZE = 's', O_REPS = 'r', O_OUTPUT = 'o',
	O_FORMAT = 'f', O_QUIET = 'q', O_HELP = 'h',
	O_BIND = 256, O_TASKS, O_SCHEDULE, O_SCALING, O_WARMUP, O_TIMEOUT, O_PRECISION,
	O_MIN_TIME, O_MAX_TIME, O_ROUNDS, O_SEED, O_PLOT, O_TOPOLOGY, O_MEMBIND, O_DRY_RUN,
	O_WL_FIRST = 512,   /* workload options: O_WL_FIRST + index in wl_opt_names */
};

struct opt_help {
	int id;
	const char *name, *arg, *help;
	int suite;          /* accepted by `suite` too */
};

static const struct opt_help common_opts[] = {
	{ O_EXECUTOR, "executor", "LIST|all", "executors to run: seq, thread, fork, shm (default all)", 1 },
	{ O_WORKERS, "workers", "N|LIST|A..B|max", "worker counts, e.g. 4, 1,2,4, 1..8, max", 1 },
	{ O_BIND, "bind", "POLICY", "none (default), compact, scatter, smt or a cpuset (0-3,8)", 1 },
	{ O_MEMBIND, "membind", "local|interleave", "memory placement: first touch (default) or spread over NUMA nodes", 1 },
	{ O_TOPOLOGY, "topology", "FILE|synthetic:DESC", "plan for that hwloc XML or synthetic topology; runs nothing", 1 },
	{ O_SIZE, "size", "N", NULL, 0 },
	{ O_TASKS, "tasks", "N", "tasks the work is split into (default per workload)", 0 },
	{ O_SCHEDULE, "schedule", "static|dynamic", "blocks of tasks per worker (default) or on demand", 0 },
	{ O_SCALING, "scaling", "strong|weak", "fixed total work (default) or fixed work per worker", 0 },
	{ O_REPS, "repetitions", "R|auto", "kept samples per run (default 10); auto: until --precision", 1 },
	{ O_PRECISION, "precision", "PCT", "auto: stop when the median's 95% CI is within +-PCT% (default 2)", 1 },
	{ O_MIN_TIME, "min-time", "DURATION", "auto: measure each run at least this long (default 0)", 1 },
	{ O_MAX_TIME, "max-time", "DURATION", "auto: give up on --precision after this long per run (default 10s)", 1 },
	{ O_ROUNDS, "rounds", "N", "split the repetitions over N rounds of shuffled runs (default 2)", 1 },
	{ O_SEED, "seed", "N", "seed of the shuffled order (default: from the clock; in the report)", 1 },
	{ O_WARMUP, "warmup", "W", "discarded repetitions before them (default 1)", 1 },
	{ O_TIMEOUT, "timeout", "DURATION", "deadline per repetition, e.g. 30s (default 10x the baseline + 1s)", 1 },
	{ O_OUTPUT, "output", "FILE", "write the JSON report there (atomically)", 1 },
	{ O_PLOT, "plot", "FILE.png|FILE.svg", "draw the speedup chart with gnuplot", 1 },
	{ O_FORMAT, "format", "table|json|markdown|csv", "what to print on stdout (default table)", 1 },
	{ O_QUIET, "quiet", NULL, "no progress or table (the report is still written)", 1 },
	{ O_DRY_RUN, "dry-run", NULL, "check the options and print what would run, run nothing", 1 },
	{ O_HELP, "help", NULL, "this help", 1 },
};

/* Names of every workload option, deduplicated, so getopt knows them all. */
static const char *wl_opt_names[32];
static size_t n_wl_opt_names;

static void collect_wl_opts(void)
{
	if (n_wl_opt_names)
		return;
	for (size_t i = 0; i < cb_nworkloads; i++)
		for (size_t j = 0; j < cb_workloads[i]->noptions; j++) {
			const char *name = cb_workloads[i]->options[j].name;
			size_t k;
			for (k = 0; k < n_wl_opt_names; k++)
				if (strcmp(wl_opt_names[k], name) == 0)
					break;
			if (k == n_wl_opt_names && k < ARRAY_SIZE(wl_opt_names))
				wl_opt_names[n_wl_opt_names++] = name;
		}
}

static void print_choices(FILE *f, const char *const *c)
{
	for (size_t i = 0; c[i]; i++)
		fprintf(f, "%s%s", i ? "|" : "", c[i]);
}

void cli_usage(const char *command)
{
	const struct workload *wl = command ? workload_find(command) : NULL;
	int suite = command && strcmp(command, "suite") == 0;

	if (command && strcmp(command, "topo") == 0) {
		topo_usage();
		return;
	}
	if (command && strcmp(command, "cores") == 0) {
		cores_usage();
		return;
	}
	if (!wl && !suite) {
		printf("usage: concbench COMMAND [options]\n\n"
		       "Threads or processes? Measures it on this machine's cores.\n\ncommands:\n");
		for (size_t i = 0; i < cb_nworkloads; i++)
			printf("  %-8s %s\n", cb_workloads[i]->name, cb_workloads[i]->summary);
		printf("  %-8s %s\n", "suite", "every workload on every executor over a worker sweep");
		printf("  %-8s %s\n", "topo", "the hwloc topology, or a placement plan with --bind");
		printf("  %-8s %s\n", "cores", "one worker on every PU in turn; --latency: core-to-core");
		printf("  %-8s %s\n", "report", "tables, markdown, CSV or charts of report files");
		printf("  %-8s %s\n", "compare", "regression verdicts between two reports (for CI)");
		printf("  %-8s %s\n", "list", "workloads, executors and binding policies");
		printf("\n'concbench COMMAND --help' lists a command's options; "
		       "'concbench --version' prints the version.\n"
		       "exit status: 0 ok, 1 a regression (compare), 2 bad usage or input, 3 a run "
		       "failed\n");
		return;
	}
	printf("usage: concbench %s [options]\n\n", command);
	if (wl)
		printf("%s\n\n", wl->summary);
	else
		printf("the default job: cpu, io and mem on every executor for workers 1, 2, 4, ... "
		       "and max;\nwrites results/latest.json unless --output says otherwise\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(common_opts); i++) {
		const struct opt_help *o = &common_opts[i];
		char left[64];
		if (suite && !o->suite)
			continue;
		cb_fmt(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-30s %s\n", left, o->help ? o->help : wl ? wl->size_help : "");
	}
	for (size_t j = 0; wl && j < wl->noptions; j++) {
		const struct wl_option *o = &wl->options[j];
		printf("  --%s ", o->name);
		if (o->kind == WLO_CHOICE) {
			int w = (int)strlen(o->name) + 3;
			for (size_t k = 0; o->choices[k]; k++)
				w += (int)strlen(o->choices[k]) + (k ? 1 : 0);
			print_choices(stdout, o->choices);
			printf("%*s %s\n", w < 30 ? 30 - w : 0, "", o->help);
		} else {
			printf("%-*s %s\n", 30 - (int)strlen(o->name) - 3, "DURATION", o->help);
		}
	}
}

static int bad(const char *flag, const char *accepted, const char *got)
{
	cb_error("%s: expected %s, got '%s'", flag, accepted, got);
	return -EINVAL;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

/* The next item of a comma-separated list into buf: 1 and *s past it, 0 at the end of the
 * list, -EINVAL for an empty item (",1", "1,,2", "1,") or one too long for buf. */
static int list_next(const char **s, char *buf, size_t len)
{
	const char *p = *s, *comma;
	size_t n;
	if (!p)
		return 0;
	comma = strchr(p, ',');
	n = comma ? (size_t)(comma - p) : strlen(p);
	if (!n || n >= len)
		return -EINVAL;
	memcpy(buf, p, n);
	buf[n] = 0;
	*s = comma ? comma + 1 : NULL;
	return 1;
}

int cli_parse_workers(const char *s, unsigned pus, unsigned *out, size_t *n)
{
	char item[64];
	static unsigned char seen[CLI_MAX_WORKERS + 1];
	size_t cnt = 0;
	int more;

	if (!*s)
		return -EINVAL;
	memset(seen, 0, sizeof(seen));
	while ((more = list_next(&s, item, sizeof(item))) > 0) {
		unsigned a, b;
		char *dots = strstr(item, "..");
		if (strcmp(item, "max") == 0) {
			a = b = pus;
		} else if (dots) {
			*dots = 0;
			if (parse_uint(item, 1, CLI_MAX_WORKERS, &a) < 0 ||
			    (strcmp(dots + 2, "max") == 0 ? (b = pus, 0) :
			     parse_uint(dots + 2, 1, CLI_MAX_WORKERS, &b)) < 0 || b < a)
				return -EINVAL;
		} else if (parse_uint(item, 1, CLI_MAX_WORKERS, &a) < 0) {
			return -EINVAL;
		} else {
			b = a;
		}
		if (a < 1 || b > CLI_MAX_WORKERS)
			return -EINVAL;
		/* Distinct counts only: "1..64,64" is 64 counts, not 65. */
		for (unsigned v = a; v <= b; v++) {
			if (seen[v])
				continue;
			if (cnt == CLI_MAX_COUNTS)
				return -E2BIG;
			seen[v] = 1;
			out[cnt++] = v;
		}
	}
	if (more < 0 || !cnt)
		return -EINVAL;
	qsort(out, cnt, sizeof(*out), cmp_uint);
	*n = cnt;
	return 0;
}

static int parse_executors(const char *s, struct config *c)
{
	char item[64];
	const char *p = s;
	int more;
	if (!*s)
		return bad("--executor", "a list of seq, thread, fork, shm, or all", s);
	c->nex = 0;
	c->seq_asked = 0;
	while ((more = list_next(&p, item, sizeof(item))) > 0) {
		if (strcmp(item, "all") == 0) {
			c->nex = 0;
			for (size_t i = 0; i < cb_nexecutors; i++)
				if (!(cb_executors[i]->flags & EX_SINGLE_WORKER))
					c->ex[c->nex++] = cb_executors[i];
			c->seq_asked = 1;
			continue;
		}
		const struct executor *x = executor_find(item);
		if (!x) {
			cb_error("--executor: unknown executor '%s' (expected seq, thread, fork, shm or "
				 "all)", item);
			return -EINVAL;
		}
		if (x->flags & EX_SINGLE_WORKER) {
			c->seq_asked = 1;
			continue;
		}
		size_t k;
		for (k = 0; k < c->nex && c->ex[k] != x; k++)
			;
		if (k == c->nex && c->nex < ARRAY_SIZE(c->ex))
			c->ex[c->nex++] = x;
	}
	if (more < 0 || (!c->nex && !c->seq_asked))
		return bad("--executor", "a list of seq, thread, fork, shm, or all", s);
	return 0;
}

static int set_wl_option(struct config *c, const char *name, const char *val, int *seen)
{
	const struct workload *wl = c->wl;
	for (size_t j = 0; wl && j < wl->noptions; j++) {
		const struct wl_option *o = &wl->options[j];
		char flag[48];
		if (strcmp(o->name, name) != 0)
			continue;
		cb_fmt(flag, sizeof(flag), "--%s", name);
		seen[j] = 1;
		if (o->kind == WLO_CHOICE) {
			for (size_t k = 0; o->choices[k]; k++)
				if (strcmp(o->choices[k], val) == 0) {
					c->params.opt[j] = (int64_t)k;
					return 0;
				}
			char acc[128] = "";
			for (size_t k = 0; o->choices[k]; k++) {
				strncat(acc, k ? (o->choices[k + 1] ? ", " : " or ") : "", sizeof(acc) - strlen(acc) - 1);
				strncat(acc, o->choices[k], sizeof(acc) - strlen(acc) - 1);
			}
			return bad(flag, acc, val);
		}
		int64_t ns;
		if (parse_duration(val, &ns) < 0 || ns < o->min_ns || ns > o->max_ns)
			return bad(flag, "a duration such as 10ms, 250us or 1s, up to 60s", val);
		c->params.opt[j] = ns;
		return 0;
	}
	if (!wl)
		cb_error("--%s: not an option of 'suite'", name);
	else
		cb_error("--%s: not an option of '%s' (see 'concbench %s --help')", name, wl->name,
			 wl->name);
	return -EINVAL;
}

int cli_parse(int argc, char **argv, unsigned pus, struct config *c)
{
	struct option longopts[ARRAY_SIZE(common_opts) + ARRAY_SIZE(wl_opt_names) + 1];
	int seen[WL_MAX_OPTIONS] = { 0 };
	const char *size_arg = NULL, *workers_arg = NULL, *bind_arg = NULL;
	size_t nl = 0;
	int ch, rc;

	memset(c, 0, sizeof(*c));
	c->argc = argc;
	c->argv = argv;
	c->reps = 10;
	c->warmup = 1;
	c->precision = 0.02;
	c->max_time_ns = 10LL * 1000000000LL;
	c->format = FMT_TABLE;
	if (argc < 2) {
		cb_error("no command given (see 'concbench --help')");
		return -EINVAL;
	}
	c->command = argv[1];
	c->wl = workload_find(argv[1]);
	if (!c->wl && strcmp(argv[1], "suite") != 0) {
		cb_error("'%s' is not a concbench command (expected cpu, io, mem, suite or list; see "
			 "'concbench --help')", argv[1]);
		return -EINVAL;
	}
	collect_wl_opts();
	for (size_t i = 0; i < ARRAY_SIZE(common_opts); i++)
		longopts[nl++] = (struct option){ common_opts[i].name,
			common_opts[i].arg ? required_argument : no_argument, NULL, common_opts[i].id };
	for (size_t i = 0; i < n_wl_opt_names; i++)
		longopts[nl++] = (struct option){ wl_opt_names[i], required_argument, NULL,
						  O_WL_FIRST + (int)i };
	longopts[nl] = (struct option){ NULL, 0, NULL, 0 };
	/* Defaults of the workload's own options. */
	for (size_t j = 0; c->wl && j < c->wl->noptions; j++)
		c->params.opt[j] = c->wl->options[j].kind == WLO_DURATION ? c->wl->options[j].def_ns : 0;
	parse_executors("all", c);

	optind = 0;    /* full re-initialisation of getopt: cli_parse may run more than once */
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, ":e:w:s:r:o:f:qh", longopts, NULL)) != -1) {
		/* getopt sees argv + 1, so argv[optind] here is the option it just read. */
		int suite = c->wl == NULL;
		switch (ch) {
		case O_EXECUTOR:
			if ((rc = parse_executors(optarg, c)) < 0)
				return rc;
			break;
		case O_WORKERS:
			workers_arg = optarg;
			break;
		case O_BIND:
			bind_arg = optarg;     /* checked against --topology, which may come later */
			break;
		case O_TOPOLOGY:
			c->topology = optarg;
			break;
		case O_SIZE:
			if (suite) {
				cb_error("--size: not an option of 'suite' (it sizes each workload itself)");
				return -EINVAL;
			}
			size_arg = optarg;
			break;
		case O_TASKS: {
			unsigned v;
			if (suite || parse_uint(optarg, 1, WL_MAX_TASKS, &v) < 0)
				return suite ? (cb_error("--tasks: not an option of 'suite'"), -EINVAL)
					     : bad("--tasks", "a number of tasks from 1 to 4096", optarg);
			c->params.tasks = v;
			break;
		}
		case O_SCHEDULE:
			if (strcmp(optarg, "static") && strcmp(optarg, "dynamic"))
				return bad("--schedule", "static or dynamic", optarg);
			c->dynamic = strcmp(optarg, "dynamic") == 0;
			break;
		case O_SCALING:
			if (suite) {
				cb_error("--scaling: not an option of 'suite' (it sizes each workload itself)");
				return -EINVAL;
			}
			if (strcmp(optarg, "strong") && strcmp(optarg, "weak"))
				return bad("--scaling", "strong or weak", optarg);
			c->weak = strcmp(optarg, "weak") == 0;
			break;
		case O_REPS:
			c->reps_auto = strcmp(optarg, "auto") == 0;
			if (c->reps_auto)
				c->reps = 10;
			else if (parse_uint(optarg, 1, CLI_MAX_REPS, &c->reps) < 0)
				return bad("--repetitions", "a count from 1 to 100000, or auto", optarg);
			break;
		case O_PRECISION: {
			double v;
			if (parse_decimal(optarg, &v) < 0 || !(v > 0 && v <= 100))
				return bad("--precision", "a percentage above 0 and up to 100, such as 2",
					   optarg);
			c->precision = v / 100;
			break;
		}
		case O_MIN_TIME:
		case O_MAX_TIME: {
			int64_t ns;
			const char *flag = ch == O_MIN_TIME ? "--min-time" : "--max-time";
			if (parse_duration(optarg, &ns) < 0 || (ch == O_MAX_TIME && ns <= 0))
				return bad(flag, "a duration such as 500ms, 10s or 2m", optarg);
			*(ch == O_MIN_TIME ? &c->min_time_ns : &c->max_time_ns) = ns;
			break;
		}
		case O_ROUNDS:
			if (parse_uint(optarg, 1, 1000, &c->rounds) < 0)
				return bad("--rounds", "a count from 1 to 1000", optarg);
			break;
		case O_SEED: {
			uint64_t v;
			if (parse_u64(optarg, 1, UINT64_MAX, &v) < 0)
				return bad("--seed", "a positive integer up to 18446744073709551615",
					   optarg);
			c->seed = v;
			break;
		}
		case O_WARMUP:
			if (parse_uint(optarg, 0, 1000, &c->warmup) < 0)
				return bad("--warmup", "a count from 0 to 1000", optarg);
			break;
		case O_TIMEOUT:
			if (parse_duration(optarg, &c->timeout_ns) < 0 || c->timeout_ns < 1000000)
				return bad("--timeout", "a duration of at least 1ms, such as 30s or 2m",
					   optarg);
			break;
		case O_OUTPUT:
			if ((rc = path_check_writable("--output", optarg)) < 0)
				return rc;
			c->output = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0)
				c->format = FMT_TABLE;
			else if (strcmp(optarg, "json") == 0)
				c->format = FMT_JSON;
			else if (strcmp(optarg, "markdown") == 0)
				c->format = FMT_MARKDOWN;
			else if (strcmp(optarg, "csv") == 0)
				c->format = FMT_CSV;
			else
				return bad("--format", "table, json, markdown or csv", optarg);
			break;
		case O_MEMBIND:
			if (membind_parse(optarg, &c->membind) < 0)
				return bad("--membind", "local or interleave", optarg);
			break;
		case O_PLOT:
			if (plot_check_path(optarg) < 0)
				return -EINVAL;
			c->plot = optarg;
			break;
		case O_DRY_RUN:
			c->dry_run = 1;
			break;
		case O_QUIET:
			c->quiet = 1;
			break;
		case O_HELP:
			c->help = 1;
			return 0;
		case ':':
			cb_error("%s: needs a value (see 'concbench %s --help')", argv[optind],
				 c->command);
			return -EINVAL;
		case '?':
			if (optopt)
				cb_error("unknown option '-%c' (see 'concbench %s --help')", optopt,
					 c->command);
			else
				cb_error("unknown option '%s' (see 'concbench %s --help')", argv[optind],
					 c->command);
			return -EINVAL;
		default:
			if (ch >= O_WL_FIRST && ch < O_WL_FIRST + (int)n_wl_opt_names) {
				if ((rc = set_wl_option(c, wl_opt_names[ch - O_WL_FIRST], optarg, seen)) < 0)
					return rc;
				break;
			}
			cb_error("internal error: option %d", ch);
			return -EINVAL;
		}
	}
	if (optind < argc - 1) {
		cb_error("unexpected argument '%s' (see 'concbench %s --help')", argv[optind + 1],
			 c->command);
		return -EINVAL;
	}
	/* getopt has resolved --topology's abbreviations (--topo) and --topology=: load it
	 * here, then check --bind's cpuset and the worker counts against it. */
	if (c->topology) {
		if (topo_load_spec(c->topology) < 0) {
			cb_error("--topology: cannot load '%s': %s", c->topology, topo_load_error());
			return -EINVAL;
		}
		pus = topo_pus();
	}
	if (bind_arg && bind_policy_parse(bind_arg, &c->bind) < 0) {
		cb_error("--bind: %s", bind_policy_error());
		return -EINVAL;
	}
	if (size_arg) {
		uint64_t v, max = c->wl->max_size ? c->wl->max_size : UINT64_MAX;
		int r = parse_size(size_arg, c->wl->size_in_bytes, &v);
		if (r < 0 || v == 0 || v > max) {
			char acc[160];
			cb_fmt(acc, sizeof(acc), "a positive %s from 1 to %llu with an optional %s "
			       "suffix", c->wl->size_in_bytes ? "byte count" : "count",
			       (unsigned long long)max, c->wl->size_in_bytes ? "K, M, G or T" :
			       "k, M, G or T");
			return bad("--size", acc, size_arg);
		}
		c->params.size = v;
	}
	if (c->min_time_ns > c->max_time_ns) {
		char a[32], b[32];
		cb_fmt_time(a, sizeof(a), (double)c->min_time_ns * 1e-9);
		cb_fmt_time(b, sizeof(b), (double)c->max_time_ns * 1e-9);
		cb_error("--min-time: %s is longer than --max-time (%s); expected at most --max-time",
			 a, b);
		return -EINVAL;
	}
	/* An explicit cpuset bounds `max` and the default counts: one worker per PU of it. */
	if (c->bind == BIND_CPUSET && bind_policy_capacity(c->bind) < pus)
		pus = bind_policy_capacity(c->bind);
	if (workers_arg) {
		rc = cli_parse_workers(workers_arg, pus, c->workers, &c->nworkers);
		if (rc == -E2BIG) {
			cb_error("--workers: at most %d worker counts in one run, got '%s'",
				 CLI_MAX_COUNTS, workers_arg);
			return -EINVAL;
		}
		if (rc < 0) {
			char acc[96];
			cb_fmt(acc, sizeof(acc), "N, LIST, A..B or max with N from 1 to %d",
			       CLI_MAX_WORKERS);
			return bad("--workers", acc, workers_arg);
		}
	} else if (c->wl) {
		c->workers[0] = pus;       /* a workload command: all PUs by default */
		c->nworkers = 1;
	} else {
		for (unsigned v = 1; v < pus && c->nworkers < CLI_MAX_COUNTS - 1; v *= 2)
			c->workers[c->nworkers++] = v;
		c->workers[c->nworkers++] = pus;
	}
	{
		struct rlimit rl;
		unsigned top = c->workers[c->nworkers - 1];
		if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    top >= rl.rlim_cur) {
			cb_error("--workers: %u is more than this user may create (RLIMIT_NPROC %llu)",
				 top, (unsigned long long)rl.rlim_cur);
			return -EINVAL;
		}
		if (c->bind != BIND_NONE && top > pus) {
			cb_error("--bind %s: %u workers but only %u processing units %s; use --bind "
				 "none to oversubscribe", bind_policy_name(c->bind), top, pus,
				 c->bind == BIND_CPUSET ? "in the cpuset" : "here");
			return -EINVAL;
		}
	}
	if (!c->rounds)
		c->rounds = c->reps >= 2 ? 2 : 1;
	if (c->rounds > c->reps) {
		cb_error("--rounds: at most --repetitions (%u) rounds, got %u", c->reps, c->rounds);
		return -EINVAL;
	}
	if (!c->seed) {
		/* Any nonzero value: recorded in the report so the order can be replayed. */
		c->seed = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
		if (!c->seed)
			c->seed = 1;
	}
	if (c->dynamic && !c->wl) {
		cb_error("--schedule: not an option of 'suite'");
		return -EINVAL;
	}
	return 0;
}
