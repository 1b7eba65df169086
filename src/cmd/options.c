/* SPDX-License-Identifier: MIT */
/* options: the one option table of every command, the one parser that walks argv with it
 * (getopt_long, so abbreviations and --flag=value work alike everywhere), the help lines it
 * prints, and the workload commands' cross-option checks into struct config. */
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
#include "cmd/contend_opts.h"
#include "cmd/cores_opts.h"
#include "cmd/spawn_opts.h"
#include "core/fault.h"
#include "cmd/ipc_opts.h"
#include "core/ipc.h"
#include "core/registry.h"
#include "report/compare.h"
#include "report/explain.h"
#include "report/export.h"
#include "report/history.h"
#include "report/reportload.h"
#include "report/plot.h"
#include "report/render.h"
#include "report/report.h"
#include "topo/topo.h"

#define MAX_LONGOPTS 96          /* table rows of one command plus workload option names */
#define OPT_VAL_ROW 256          /* getopt's val for table row i: OPT_VAL_ROW + i */
#define OPT_VAL_WL 1024          /* for workload option name i: OPT_VAL_WL + i */

/* ---- choice lists ---- */

static const struct opt_choice run_formats[] = {
	{ "table", FMT_TABLE, 0 }, { "json", FMT_JSON, 0 }, { "markdown", FMT_MARKDOWN, 0 },
	{ "csv", FMT_CSV, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice report_formats[] = {
	{ "table", RENDER_TABLE, 0 }, { "markdown", RENDER_MARKDOWN, 0 }, { "csv", RENDER_CSV, 0 },
	{ "json", REPORT_JSON, 0 }, { "bencher", REPORT_EXPORT + EXPORT_BENCHER, 0 },
	{ "benchmark-action", REPORT_EXPORT + EXPORT_ACTION_SMALLER, 0 },
	{ "benchmark-action-bigger", REPORT_EXPORT + EXPORT_ACTION_BIGGER, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice compare_formats[] = {
	{ "table", CMP_FORMAT_TABLE, 0 }, { "markdown", CMP_FORMAT_MARKDOWN, 0 },
	{ "json", CMP_FORMAT_JSON, 0 }, { NULL, 0, 0 },
};
/* topo prints text and cores a table; each takes the other's word as well. */
static const struct opt_choice topo_formats[] = {
	{ "text", 0, 0 }, { "json", 1, 0 }, { "table", 0, 1 }, { NULL, 0, 0 },
};
static const struct opt_choice cores_formats[] = {
	{ "table", 0, 0 }, { "json", 1, 0 }, { "text", 0, 1 }, { NULL, 0, 0 },
};
static const struct opt_choice folklore_formats[] = {
	{ "table", FOLKLORE_TABLE, 0 }, { "json", FOLKLORE_JSON, 0 },
	{ "markdown", FOLKLORE_MARKDOWN, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice history_formats[] = {
	{ "table", HISTORY_TABLE, 0 }, { "markdown", HISTORY_MARKDOWN, 0 },
	{ "json", HISTORY_JSON, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice history_metrics[] = {
	{ "median_s", HISTORY_MEDIAN_S, 0 }, { "throughput", HISTORY_THROUGHPUT, 0 },
	{ NULL, 0, 0 },
};
static const struct opt_choice ipc_mechanisms[] = {
	{ "futex", 1 << IPC_FUTEX, 0 }, { "condvar", 1 << IPC_CONDVAR, 0 },
	{ "ring", 1 << IPC_RING, 0 }, { "pipe", 1 << IPC_PIPE, 0 },
	{ "socketpair", 1 << IPC_SOCKETPAIR, 0 }, { "mqueue", 1 << IPC_MQUEUE, 0 },
	{ "shm-ring", 1 << IPC_SHMRING, 0 }, { "all", (1 << IPC_NMECH) - 1, 0 }, { NULL, 0, 0 },
};
/* contend's --layouts: bit 1 << enum contend_layout each. */
static const struct opt_choice contend_layouts[] = {
	{ "packed", 1 << CONTEND_PACKED, 0 }, { "padded", 1 << CONTEND_PADDED, 0 },
	{ "atomic", 1 << CONTEND_ATOMIC, 0 }, { "mutex", 1 << CONTEND_MUTEX, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice explain_formats[] = {
	{ "text", 0, 0 }, { "json", 1, 0 }, { "table", 0, 1 }, { NULL, 0, 0 },
};
static const struct opt_choice spawn_formats[] = {
	{ "table", 0, 0 }, { "json", 1, 0 }, { "text", 0, 1 }, { NULL, 0, 0 },
};
static const struct opt_choice schedules[] = {
	{ "static", 0, 0 }, { "dynamic", 1, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice scalings[] = {
	{ "strong", 0, 0 }, { "weak", 1, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice membinds[] = {
	{ "local", MEMBIND_LOCAL, 0 }, { "interleave", MEMBIND_INTERLEAVE, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice metrics[] = {
	{ "median_s", CMP_MEDIAN_S, 0 }, { "throughput", CMP_THROUGHPUT, 0 },
	{ "speedup", CMP_SPEEDUP, 0 }, { "instructions", CMP_INSTRUCTIONS, 0 },
	{ "cycles", CMP_CYCLES, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice on_crashes[] = {
	{ "abort", 0, 0 }, { "restart", 1, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice crash_executors[] = {
	{ "thread", 1, 0 }, { "fork", 2, 0 }, { "shm", 4, 0 }, { NULL, 0, 0 },
};
static const struct opt_choice crash_formats[] = {
	{ "table", 0, 0 }, { "json", 1, 0 }, { NULL, 0, 0 },
};
/* A regression always fails; naming it is allowed and adds nothing ("regressed", the
 * verdict's own name, is its old spelling). */
static const struct opt_choice fail_ons[] = {
	{ "regression", 0, 0 }, { "inconclusive", CMP_FAIL_INCONCLUSIVE, 0 },
	{ "insufficient", CMP_FAIL_INSUFFICIENT, 0 }, { "missing", CMP_FAIL_MISSING, 0 },
	{ "regressed", 0, 1 }, { NULL, 0, 0 },
};

/* ---- checks and setters the table names ---- */

static int check_plot(const char *flag, const char *path)
{
	(void)flag;
	return plot_check_path(path);
}

/* 0 when why is NULL (value accepted), else the message "FLAG: expected WHY, got 'VALUE'". */
static int refuse_unless_ok(const char *flag, const char *value, const char *why)
{
	char shown[96];
	if (!why)
		return 0;
	cb_sanitize(value, shown, sizeof(shown));
	cb_error("%s: expected %s, got '%s'", flag, why, shown);
	return -EINVAL;
}

static int check_label(const char *flag, const char *label)
{
	return refuse_unless_ok(flag, label, report_label_problem(label));
}

/* history's --commit and --branch: names that need no quoting anywhere they are shown. */
static int check_commit(const char *flag, const char *name)
{
	return refuse_unless_ok(flag, name, history_commit_problem(name));
}

static int check_output_chart(const char *flag, const char *path)
{
	return plot_check_output(flag, path);
}

static int check_inject(const char *flag, const char *spec)
{
	unsigned w, t;
	char shown[96];
	if (fault_inject_parse(spec, &w, &t) == 0)
		return 0;
	cb_sanitize(spec, shown, sizeof(shown));
	cb_error("%s: expected crash:WORKER:TASK with WORKER and TASK whole numbers from 0 to %u, "
		 "got '%s'", flag, FAULT_INJECT_MAX, shown);
	return -EINVAL;
}

/* compare's --labels BASE,NEW: two labels. */
static int check_labels(const char *flag, const char *labels)
{
	const char *comma = strchr(labels, ',');
	char one[REPORT_LABEL_MAX + 2], shown[160];
	size_t n = comma ? (size_t)(comma - labels) : 0;

	if (comma && n <= REPORT_LABEL_MAX && !strchr(comma + 1, ',')) {
		memcpy(one, labels, n);
		one[n] = 0;
		if (!report_label_problem(one) && !report_label_problem(comma + 1))
			return 0;
	}
	cb_sanitize(labels, shown, sizeof(shown));
	cb_error("compare: %s: expected BASE,NEW, two labels of 1 to 64 printable ASCII "
		 "characters but no comma, got '%s'", flag, shown);
	return -EINVAL;
}

/* cores reads another machine's topology at once: it only lists the PUs then. */
static int check_topology_load(const char *flag, const char *spec)
{
	if (topo_load_spec(spec) < 0) {
		cb_error("%s: cannot load '%s': %s", flag, spec, topo_load_error());
		return -EINVAL;
	}
	return 0;
}

static int set_executors(void *dst, const char *value);
static int set_cores_workload(void *dst, const char *value);

#define CFG(field) offsetof(struct config, field)
#define CORES(field) offsetof(struct cores_opts, field)
#define CMP(field) offsetof(struct cmp_options, field)
#define TOPO(field) offsetof(struct topo_opts, field)
#define IPC(field) offsetof(struct ipc_opts, field)
#define REPORT(field) offsetof(struct report_opts, field)
#define EXPLAIN(field) offsetof(struct explain_opts, field)
#define SPAWN(field) offsetof(struct spawn_opts, field)
#define FOOTPRINT(field) offsetof(struct footprint_opts, field)
#define CRASH(field) offsetof(struct crash_opts, field)
#define FOLKLORE(field) offsetof(struct folklore_opts, field)
#define CONTEND(field) offsetof(struct contend_opts, field)
#define HISTORY(field) offsetof(struct history_opts, field)
#define W OPT_CMD_WORKLOAD
#define RUN OPT_CMD_RUN

/* Every option of every command. Help texts may name the registry's lists: {executors}
 * (every executor), {parallel} (those that run several workers), {workloads}. */
const struct cb_option cb_options[] = {
	/* cpu, io, mem, suite */
	{ .name = "executor", .short_name = 'e', .kind = OPT_CALL, .commands = RUN,
	  .off = CFG(ex), .arg = "LIST|all", .set = set_executors,
	  .help = "executors to run: {executors} (default all)" },
	{ .name = "workers", .short_name = 'w', .kind = OPT_TEXT, .commands = RUN,
	  .off = CFG(workers_arg), .arg = "N|LIST|A..B|max",
	  .help = "worker counts, e.g. 4, 1,2,4, 1..8, max" },
	{ .name = "bind", .kind = OPT_TEXT, .commands = RUN, .off = CFG(bind_arg), .arg = "POLICY",
	  .help = "none (default), compact, scatter, smt or a cpuset (0-3,8)" },
	{ .name = "membind", .kind = OPT_CHOICE, .commands = RUN, .off = CFG(membind),
	  .choices = membinds, .idef = MEMBIND_LOCAL,
	  .help = "memory placement: first touch (default) or spread over NUMA nodes" },
	{ .name = "gil", .kind = OPT_FLAG, .commands = RUN, .off = CFG(gil),
	  .help = "thread workers share one global lock, let go around blocking I/O; needs "
		  "--executor thread" },
	{ .name = "depth", .kind = OPT_UINT, .commands = RUN, .off = CFG(depth), .arg = "D",
	  .noun = "count", .imin = 1, .imax = EX_LOOP_MAX_DEPTH, .idef = EX_LOOP_DEFAULT_DEPTH,
	  .help = "event loops (uring, epoll): tasks in flight per loop (default 64)" },
	{ .name = "topology", .kind = OPT_TEXT, .commands = RUN, .off = CFG(topology),
	  .arg = "FILE|synthetic:DESC",
	  .help = "plan for that hwloc XML or synthetic topology; runs nothing" },
	{ .name = "size", .short_name = 's', .kind = OPT_TEXT, .commands = W, .off = CFG(size_arg),
	  .arg = "N", .help = NULL, .why_not = "it sizes each workload itself" },
	{ .name = "tasks", .kind = OPT_U64, .commands = W, .off = CFG(params.tasks), .arg = "N",
	  .noun = "number of tasks", .imin = 1, .imax = WL_MAX_TASKS,
	  .help = "tasks the work is split into (default per workload)" },
	{ .name = "schedule", .kind = OPT_CHOICE, .commands = W, .off = CFG(dynamic),
	  .choices = schedules, .help = "blocks of tasks per worker (default) or on demand" },
	{ .name = "scaling", .kind = OPT_CHOICE, .commands = W, .off = CFG(weak),
	  .choices = scalings, .help = "fixed total work (default) or fixed work per worker",
	  .why_not = "it sizes each workload itself" },
	{ .name = "repetitions", .short_name = 'r', .kind = OPT_UINT, .commands = RUN,
	  .off = CFG(reps), .arg = "R|auto", .noun = "count", .imin = 1, .imax = CLI_MAX_REPS,
	  .idef = 10, .flags = OPTF_AUTO, .aux_off = CFG(reps_auto),
	  .help = "kept samples per run (default 10; suite: auto); auto: until --precision" },
	{ .name = "precision", .kind = OPT_DECIMAL, .commands = RUN, .off = CFG(precision),
	  .arg = "PCT", .noun = "percentage", .example = "2", .dmin = 0, .dmax = 100,
	  .scale = 100, .ddef = 0.02, .flags = OPTF_ABOVE_MIN,
	  .help = "auto: stop when the median's 95% CI is within +-PCT% (default 2; suite: 5)" },
	{ .name = "min-time", .kind = OPT_DURATION, .commands = RUN, .off = CFG(min_time_ns),
	  .arg = "DURATION", .example = "500ms, 10s or 2m",
	  .help = "auto: measure each run at least this long (default 0)" },
	{ .name = "max-time", .kind = OPT_DURATION, .commands = RUN, .off = CFG(max_time_ns),
	  .arg = "DURATION", .example = "500ms, 10s or 2m", .imin = 1,
	  .idef = 10ULL * 1000000000ULL,
	  .help = "auto: give up on --precision once a run took this long, harness included "
		  "(default 10s; suite: 2s)" },
	{ .name = "rounds", .kind = OPT_UINT, .commands = RUN, .off = CFG(rounds), .arg = "N",
	  .noun = "count", .imin = 1, .imax = 1000,
	  .help = "split the repetitions over N rounds of shuffled runs (default 2)" },
	{ .name = "seed", .kind = OPT_U64, .commands = RUN, .off = CFG(seed), .arg = "N",
	  .noun = "positive integer", .imin = 1, .imax = UINT64_MAX, .flags = OPTF_UP_TO,
	  .help = "seed of the shuffled order (default: from the clock; in the report)" },
	{ .name = "warmup", .kind = OPT_UINT, .commands = RUN, .off = CFG(warmup), .arg = "W",
	  .noun = "count", .imin = 0, .imax = 1000, .idef = 1,
	  .help = "discarded repetitions before them (default 1)" },
	{ .name = "timeout", .kind = OPT_DURATION, .commands = RUN, .off = CFG(timeout_ns),
	  .arg = "DURATION", .example = "30s or 2m", .imin = 1000000,
	  .help = "deadline per repetition, e.g. 30s (default 10x the baseline + 1s)" },
	{ .name = "inject", .kind = OPT_TEXT, .commands = RUN, .off = CFG(inject_arg),
	  .arg = "crash:W:T", .check = check_inject,
	  .help = "worker W dies of SIGSEGV before its task T (0-based, of its\n"
		  "own share) in the first kept repetition of every run" },
	{ .name = "on-crash", .kind = OPT_CHOICE, .commands = RUN, .off = CFG(restart),
	  .choices = on_crashes,
	  .help = "a worker process that dies: fail the run (default) or\n"
		  "replace it and run its unfinished tasks again" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = RUN,
	  .off = CFG(output), .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON report there (atomically)" },
	{ .name = "plot", .kind = OPT_TEXT, .commands = RUN, .off = CFG(plot),
	  .arg = "FILE.png|FILE.svg", .check = check_plot,
	  .help = "draw the speedup chart with gnuplot" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = RUN,
	  .off = CFG(format), .choices = run_formats, .idef = FMT_TABLE,
	  .help = "what to print on stdout (default table)" },
	{ .name = "quiet", .short_name = 'q', .kind = OPT_FLAG, .commands = RUN, .off = CFG(quiet),
	  .help = "no progress or table (the report is still written)" },
	{ .name = "label", .kind = OPT_TEXT, .commands = RUN, .off = CFG(label), .arg = "TEXT",
	  .check = check_label,
	  .help = "name the report (\"label\", up to 64 characters) for tables and charts" },
	{ .name = "dry-run", .kind = OPT_FLAG, .commands = RUN, .off = CFG(dry_run),
	  .help = "check the options and print what would run, run nothing" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = RUN,
	  .help = "this help" },

	/* topo */
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_TOPO,
	  .off = TOPO(json), .choices = topo_formats, .help = "what to print (default text)" },
	{ .name = "topology", .kind = OPT_TEXT, .commands = OPT_CMD_TOPO, .off = TOPO(topology),
	  .arg = "FILE.xml|synthetic:DESC",
	  .help = "an hwloc XML export or synthetic description instead of this machine" },
	{ .name = "bind", .kind = OPT_TEXT, .commands = OPT_CMD_TOPO, .off = TOPO(bind),
	  .arg = "POLICY", .help = "none, compact, scatter, smt, or a cpuset such as 0-3,8 or 0xf" },
	{ .name = "workers", .short_name = 'w', .kind = OPT_TEXT, .commands = OPT_CMD_TOPO,
	  .off = TOPO(workers), .arg = "N|max",
	  .help = "workers to place (default: one per PU the policy may use)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_TOPO,
	  .help = "this help" },

	/* cores */
	{ .name = "workload", .kind = OPT_CALL, .commands = OPT_CMD_CORES, .off = CORES(wl),
	  .arg = "{workloads}", .set = set_cores_workload,
	  .help = "the one-worker workload (default cpu, with its default size)" },
	{ .name = "size", .kind = OPT_TEXT, .commands = OPT_CMD_CORES, .off = CORES(size_arg),
	  .arg = "N", .help = "the workload's --size" },
	{ .name = "repetitions", .kind = OPT_UINT, .commands = OPT_CMD_CORES, .off = CORES(reps),
	  .arg = "R", .noun = "count", .imin = 1, .imax = 10000, .idef = CORES_DEFAULT_REPS,
	  .help = "kept samples per PU (default 7)" },
	{ .name = "warmup", .kind = OPT_UINT, .commands = OPT_CMD_CORES, .off = CORES(warmup),
	  .arg = "W", .noun = "count", .imin = 0, .imax = 1000, .idef = CORES_DEFAULT_WARMUP,
	  .help = "discarded repetitions before them (default 1)" },
	{ .name = "executor", .kind = OPT_TEXT, .commands = OPT_CMD_CORES, .off = CORES(ex_name),
	  .arg = "NAME", .help = "{parallel} (default thread); with --latency thread or fork" },
	{ .name = "latency", .kind = OPT_FLAG, .commands = OPT_CMD_CORES, .off = CORES(latency),
	  .help = "thread: one-way cache-line handoff (atomic ping-pong);\n"
		  "fork: round trip of a pipe message between processes" },
	{ .name = "handoffs", .kind = OPT_UINT, .commands = OPT_CMD_CORES, .off = CORES(handoffs),
	  .arg = "N", .noun = "count", .imin = 2, .imax = 100000000, .flags = OPTF_SEEN,
	  .aux_off = CORES(handoffs_set),
	  .help = "per batch: one-way handoffs (thread, default 20000) or\n"
		  "round trips (fork, default 2000)" },
	{ .name = "batches", .kind = OPT_UINT, .commands = OPT_CMD_CORES, .off = CORES(batches),
	  .arg = "B", .noun = "count", .imin = 1, .imax = 1000, .idef = LAT_DEFAULT_BATCHES,
	  .help = "timed batches per pair; the median is shown (default 7)" },
	{ .name = "format", .kind = OPT_CHOICE, .commands = OPT_CMD_CORES, .off = CORES(json),
	  .choices = cores_formats, .help = "what to print on stdout (default table)" },
	{ .name = "output", .kind = OPT_TEXT, .commands = OPT_CMD_CORES, .off = CORES(output),
	  .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON document there (atomically)" },
	{ .name = "topology", .kind = OPT_TEXT, .commands = OPT_CMD_CORES, .off = CORES(topology),
	  .arg = "FILE|synthetic:D", .check = check_topology_load,
	  .help = "another machine's topology: lists the PUs, runs nothing" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_CORES,
	  .help = "this help" },

	/* contend */
	{ .name = "workers", .short_name = 'w', .kind = OPT_UINT, .commands = OPT_CMD_CONTEND,
	  .off = CONTEND(workers), .arg = "N", .noun = "count", .imin = 2,
	  .imax = CLI_MAX_WORKERS, .idef = CONTEND_DEFAULT_WORKERS,
	  .help = "workers incrementing at once, each pinned (default 2)" },
	{ .name = "executor", .short_name = 'e', .kind = OPT_TEXT, .commands = OPT_CMD_CONTEND,
	  .off = CONTEND(ex_arg), .arg = "LIST",
	  .help = "which of {parallel}, comma-separated (default\n"
		  "thread,shm,fork); fork shares nothing: the control" },
	{ .name = "layouts", .kind = OPT_CHOICES, .commands = OPT_CMD_CONTEND,
	  .off = CONTEND(layouts), .arg = "LIST", .choices = contend_layouts,
	  .help = "comma-separated (default all four): packed (one cache\n"
		  "line), padded (a line each), atomic (one counter,\n"
		  "fetch-and-add), mutex (one counter under a mutex)" },
	{ .name = "increments", .kind = OPT_U64, .commands = OPT_CMD_CONTEND,
	  .off = CONTEND(increments), .arg = "N", .noun = "count", .imin = 1,
	  .imax = CONTEND_MAX_INCREMENTS, .idef = CONTEND_DEFAULT_INCREMENTS,
	  .help = "per worker and repetition (default 1000000)" },
	{ .name = "repetitions", .short_name = 'r', .kind = OPT_UINT, .commands = OPT_CMD_CONTEND,
	  .off = CONTEND(reps), .arg = "R", .noun = "count", .imin = 1, .imax = 10000,
	  .idef = CONTEND_DEFAULT_REPS,
	  .help = "kept samples per layout (default 10; an interval needs 6)" },
	{ .name = "warmup", .kind = OPT_UINT, .commands = OPT_CMD_CONTEND, .off = CONTEND(warmup),
	  .arg = "W", .noun = "count", .imin = 0, .imax = 1000, .idef = CONTEND_DEFAULT_WARMUP,
	  .help = "discarded repetitions before them (default 1)" },
	{ .name = "bind", .kind = OPT_TEXT, .commands = OPT_CMD_CONTEND, .off = CONTEND(bind_arg),
	  .arg = "POLICY", .help = "compact (default), scatter, smt, none or a cpuset (0-3,8)" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_CONTEND,
	  .off = CONTEND(json), .choices = cores_formats,
	  .help = "what to print on stdout (default table)" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_CONTEND,
	  .off = CONTEND(output), .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON document there (atomically)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_CONTEND,
	  .help = "this help" },

	/* report */
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_REPORT,
	  .off = REPORT(format), .choices = report_formats, .idef = RENDER_TABLE, .arg = "FMT",
	  .help = "table (default), markdown (for a pull request), csv (one row per\n"
		  "run, every scalar field), json (the reports merged), bencher\n"
		  "(Bencher Metric Format: latency in ns, throughput),\n"
		  "benchmark-action (github-action-benchmark's\n"
		  "customSmallerIsBetter: median in ms) or benchmark-action-bigger\n"
		  "(customBiggerIsBetter: throughput and speedup)" },
	{ .name = "plot", .short_name = 'p', .kind = OPT_TEXT, .commands = OPT_CMD_REPORT,
	  .off = REPORT(plot), .arg = "FILE", .check = check_plot,
	  .help = "draw speedup (mem: bandwidth) against workers with gnuplot" },
	{ .name = "label", .kind = OPT_TEXT, .commands = OPT_CMD_REPORT, .off = REPORT(label),
	  .arg = "TEXT", .check = check_label,
	  .help = "the name shown for the one report given (default its \"label\")" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_REPORT,
	  .off = REPORT(output), .arg = "FILE", .check = path_check_writable,
	  .help = "write the json or export format there (atomically), not on stdout" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_REPORT,
	  .help = "this help" },

	/* compare */
	{ .name = "threshold", .kind = OPT_DECIMAL, .commands = OPT_CMD_COMPARE,
	  .off = CMP(threshold), .arg = "PCT", .noun = "percentage", .example = "5", .dmin = 0,
	  .dmax = 1000, .scale = 100, .ddef = 0.05, .flags = OPTF_PCT_SIGN,
	  .help = "smallest change that counts, percent (default 5)" },
	{ .name = "alpha", .kind = OPT_DECIMAL, .commands = OPT_CMD_COMPARE, .off = CMP(alpha),
	  .arg = "A", .noun = "significance level", .example = "0.01", .dmin = 0, .dmax = 0.5,
	  .scale = 1, .ddef = 0.01, .flags = OPTF_ABOVE_MIN,
	  .help = "significance level of each test (default 0.01)" },
	{ .name = "metric", .kind = OPT_CHOICE, .commands = OPT_CMD_COMPARE, .off = CMP(metric),
	  .choices = metrics, .idef = CMP_MEDIAN_S, .arg = "METRIC",
	  .help = "median_s (time, lower is better, default), throughput,\n"
		  "speedup (the same invocation's seq median over the run's),\n"
		  "instructions or cycles (per item, from the counters)" },
	{ .name = "holm", .kind = OPT_FLAG, .commands = OPT_CMD_COMPARE, .off = CMP(holm),
	  .help = "Holm-Bonferroni over all the tests (family-wise alpha);\n"
		  "always on with several invocations a side" },
	{ .name = "fail-on", .kind = OPT_CHOICES, .commands = OPT_CMD_COMPARE, .off = CMP(fail_on),
	  .arg = "LIST", .choices = fail_ons,
	  .help = "exit 1 for these, a comma list of regression,\n"
		  "inconclusive, insufficient and missing (a run in one\n"
		  "report only); default: regression only" },
	{ .name = "noise", .kind = OPT_TEXT, .commands = OPT_CMD_COMPARE, .off = CMP(noise_path),
	  .arg = "FILE",
	  .help = "the runner's measured noise (--calibrate --output): the\n"
		  "threshold is at least its floor, power comes from it" },
	{ .name = "calibrate", .kind = OPT_FLAG, .commands = OPT_CMD_COMPARE, .off = CMP(calibrate),
	  .help = "the reports are A/A invocations of one build: measure\n"
		  "the spread between invocations of every run" },
	{ .name = "detect", .kind = OPT_DECIMAL, .commands = OPT_CMD_COMPARE, .off = CMP(detect),
	  .arg = "PCT", .noun = "percentage", .example = "10", .dmin = 0, .dmax = 1000,
	  .scale = 100, .flags = OPTF_PCT_SIGN | OPTF_ABOVE_MIN,
	  .help = "--calibrate: the invocations a side that detect this\n"
		  "change on every run with 90% probability" },
	{ .name = "max-invocations", .kind = OPT_UINT, .commands = OPT_CMD_COMPARE,
	  .off = CMP(max_invocations), .arg = "N", .noun = "count", .imin = 2,
	  .imax = CMP_MAX_INVOCATIONS, .idef = 30,
	  .help = "--detect: the most invocations a side (default 30)" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_COMPARE,
	  .off = CMP(output), .arg = "FILE", .check = path_check_writable,
	  .help = "--calibrate: write the noise file there (atomically)" },
	{ .name = "format", .kind = OPT_CHOICE, .commands = OPT_CMD_COMPARE, .off = CMP(format),
	  .choices = compare_formats, .idef = CMP_FORMAT_TABLE, .help = "output (default table)" },
	{ .name = "labels", .kind = OPT_TEXT, .commands = OPT_CMD_COMPARE, .off = CMP(labels),
	  .arg = "BASE,NEW", .check = check_labels,
	  .help = "name the sides (default: each side's \"label\", else its\n"
		  "concbench git revision, else its file names)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_COMPARE,
	  .help = "this help" },

	/* explain */
	{ .name = "run", .kind = OPT_UINT, .commands = OPT_CMD_EXPLAIN, .off = EXPLAIN(run),
	  .arg = "N", .noun = "run index", .imin = 0, .imax = EXPLAIN_MAX_RUN,
	  .flags = OPTF_SEEN, .aux_off = EXPLAIN(run_set),
	  .help = "runs[N] against seq and the other executors (default: each\n"
		  "workload at its largest worker count, best against worst)" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_EXPLAIN,
	  .off = EXPLAIN(json), .choices = explain_formats,
	  .help = "sentences (default) or the findings as JSON" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_EXPLAIN,
	  .help = "this help" },

	/* spawn */
	{ .name = "rss", .kind = OPT_TEXT, .commands = OPT_CMD_SPAWN, .off = SPAWN(rss),
	  .arg = "LIST", .help = "resident memory the parent holds, every page written, a comma\n"
				  "list of sizes such as 0,256M,1G (default " SPAWN_DEFAULT_RSS ")" },
	{ .name = "repetitions", .short_name = 'r', .kind = OPT_UINT, .commands = OPT_CMD_SPAWN,
	  .off = SPAWN(reps), .arg = "R", .noun = "count", .imin = 6, .imax = 100000,
	  .idef = SPAWN_DEFAULT_REPS,
	  .help = "timed create+reap per mechanism and size (default 30;\n"
		  "6 at least, for a 95% interval)" },
	{ .name = "warmup", .kind = OPT_UINT, .commands = OPT_CMD_SPAWN, .off = SPAWN(warmup),
	  .arg = "W", .noun = "count", .imin = 0, .imax = 1000, .idef = SPAWN_DEFAULT_WARMUP,
	  .help = "discarded ones before them (default 3)" },
	{ .name = "workers", .short_name = 'w', .kind = OPT_UINT, .commands = OPT_CMD_SPAWN,
	  .off = SPAWN(workers), .arg = "N", .noun = "count", .imin = 1, .imax = 256,
	  .idef = SPAWN_DEFAULT_WORKERS,
	  .help = "workers of each executor's pool, whose start-up is divided\n"
		  "by N (default 2)" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_SPAWN,
	  .off = SPAWN(json), .choices = spawn_formats,
	  .help = "what to print on stdout (default table)" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_SPAWN,
	  .off = SPAWN(output), .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON document there (atomically)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_SPAWN,
	  .help = "this help" },

	/* footprint */
	{ .name = "workers", .short_name = 'w', .kind = OPT_UINT, .commands = OPT_CMD_FOOTPRINT,
	  .off = FOOTPRINT(workers), .arg = "N", .noun = "count", .imin = 1,
	  .imax = FOOTPRINT_MAX_WORKERS, .idef = FOOTPRINT_DEFAULT_WORKERS,
	  .help = "workers of each pool (default 2)" },
	{ .name = "executor", .short_name = 'e', .kind = OPT_TEXT, .commands = OPT_CMD_FOOTPRINT,
	  .off = FOOTPRINT(executors), .arg = "LIST",
	  .help = "a comma list of {parallel} (default all of them)" },
	{ .name = "size", .kind = OPT_TEXT, .commands = OPT_CMD_FOOTPRINT,
	  .off = FOOTPRINT(size_arg), .arg = "N",
	  .help = "bytes the coordinator holds, touched, when the pool starts;\n"
		  "the workers then write all of it (default 64M)" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_FOOTPRINT,
	  .off = FOOTPRINT(json), .choices = cores_formats,
	  .help = "what to print on stdout (default table)" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_FOOTPRINT,
	  .off = FOOTPRINT(output), .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON document there (atomically)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_FOOTPRINT,
	  .help = "this help" },

	/* crash */
	{ .name = "executor", .short_name = 'e', .kind = OPT_CHOICES, .commands = OPT_CMD_CRASH,
	  .off = CRASH(executors), .arg = "LIST", .choices = crash_executors,
	  .help = "executors to crash, a comma list of thread, fork and shm\n(default all)" },
	{ .name = "workers", .short_name = 'w', .kind = OPT_UINT, .commands = OPT_CMD_CRASH,
	  .off = CRASH(workers), .arg = "N", .noun = "count", .imin = 2, .imax = 64, .idef = 2,
	  .help = "workers of each pool (default 2)" },
	{ .name = "tries", .kind = OPT_UINT, .commands = OPT_CMD_CRASH, .off = CRASH(tries),
	  .arg = "N", .noun = "count", .imin = 1, .imax = 1000, .idef = 6,
	  .help = "crashes per executor; the times are their medians with\n"
		  "95% intervals from 6 on (default 6)" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_CRASH,
	  .off = CRASH(json), .choices = crash_formats,
	  .help = "what to print on stdout (default table)" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_CRASH,
	  .off = CRASH(output), .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON document there (atomically)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_CRASH,
	  .help = "this help" },

	/* folklore */
	{ .name = "quick", .kind = OPT_FLAG, .commands = OPT_CMD_FOLKLORE, .off = FOLKLORE(quick),
	  .help = "every part at its smallest (seconds in all): for tests,\nnot for verdicts" },
	{ .name = "quiet", .short_name = 'q', .kind = OPT_FLAG, .commands = OPT_CMD_FOLKLORE,
	  .off = FOLKLORE(quiet), .help = "no progress line on stderr as each part finishes" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_FOLKLORE,
	  .off = FOLKLORE(format), .choices = folklore_formats,
	  .help = "what to print on stdout (default table)" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_FOLKLORE,
	  .off = FOLKLORE(output), .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON document there (atomically)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_FOLKLORE,
	  .help = "this help" },

	/* history */
	{ .name = "db", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY, .off = HISTORY(db),
	  .arg = "PATH", .help = "the database (default " HISTORY_DEFAULT_DB ")" },
	{ .name = "commit", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY, .off = HISTORY(commit),
	  .arg = "SHA", .check = check_commit,
	  .help = "add: the commit of every report given (default: each\n"
		  "report's label, when it is a SHA of 7 to 40 hex digits)" },
	{ .name = "branch", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY, .off = HISTORY(branch),
	  .arg = "NAME", .check = check_commit, .help = "add: the branch, kept with each invocation" },
	{ .name = "label", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY, .off = HISTORY(label),
	  .arg = "TEXT", .check = check_label,
	  .help = "add: a label kept with each invocation (such as the runner)" },
	{ .name = "workload", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(workload), .arg = "NAME", .help = "only runs of this workload" },
	{ .name = "executor", .short_name = 'e', .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(executor), .arg = "NAME", .help = "only runs of this executor" },
	{ .name = "workers", .short_name = 'w', .kind = OPT_UINT, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(workers), .arg = "N", .noun = "count", .imin = 1,
	  .imax = REPORT_MAX_WORKERS, .flags = OPTF_SEEN, .aux_off = HISTORY(workers_set),
	  .help = "only runs with N workers" },
	{ .name = "binding", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(binding), .arg = "POLICY", .help = "only runs of this binding" },
	{ .name = "params-match", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(params), .arg = "GLOB",
	  .help = "only runs whose params, as k=v,k=v with the keys sorted,\n"
		  "match this glob (such as '*kernel=sumsq*')" },
	{ .name = "key", .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY, .off = HISTORY(key),
	  .arg = "KEY", .help = "only the series of this run key, as 'history show' prints it" },
	{ .name = "metric", .kind = OPT_CHOICE, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(metric), .choices = history_metrics, .idef = HISTORY_MEDIAN_S,
	  .flags = OPTF_SEEN, .aux_off = HISTORY(metric_set), .arg = "M",
	  .help = "median_s: each invocation's median time (lower is\n"
		  "better, default); throughput: its throughput" },
	{ .name = "format", .short_name = 'f', .kind = OPT_CHOICE, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(format), .choices = history_formats, .idef = HISTORY_TABLE,
	  .flags = OPTF_SEEN, .aux_off = HISTORY(format_set), .arg = "FMT",
	  .help = "show, check: table (default), markdown or json" },
	{ .name = "alpha", .kind = OPT_DECIMAL, .commands = OPT_CMD_HISTORY, .off = HISTORY(alpha),
	  .arg = "A", .noun = "significance level", .example = "0.01", .dmin = 0, .dmax = 0.5,
	  .scale = 1, .ddef = 0.01, .flags = OPTF_ABOVE_MIN | OPTF_SEEN,
	  .aux_off = HISTORY(alpha_set),
	  .help = "check: false-alarm rate of the whole check, split evenly\n"
		  "over the series (default 0.01)" },
	{ .name = "output", .short_name = 'o', .kind = OPT_TEXT, .commands = OPT_CMD_HISTORY,
	  .off = HISTORY(output), .arg = "FILE", .check = check_output_chart,
	  .help = "plot: the chart, .png or .svg (gnuplot)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_HISTORY,
	  .help = "this help" },

	/* ipc */
	{ .name = "mechanisms", .kind = OPT_CHOICES, .commands = OPT_CMD_IPC,
	  .off = IPC(mechanisms), .arg = "LIST|all", .choices = ipc_mechanisms,
	  .help = "threads: futex, condvar, ring; processes: pipe,\n"
		  "socketpair, mqueue, shm-ring (default all)" },
	{ .name = "sizes", .kind = OPT_TEXT, .commands = OPT_CMD_IPC,
	  .off = IPC(sizes), .arg = "LIST",
	  .help = "message sizes in bytes, 8 to 64M, K and M suffixes\n"
		  "(default " IPC_DEFAULT_SIZES ")" },
	{ .name = "pus", .kind = OPT_TEXT, .commands = OPT_CMD_IPC, .off = IPC(pus), .arg = "A,B",
	  .help = "the PUs (OS indexes) of the two sides (default: the\n"
		  "first two allowed PUs on different cores)" },
	{ .name = "repetitions", .short_name = 'r', .kind = OPT_UINT, .commands = OPT_CMD_IPC,
	  .off = IPC(reps), .arg = "R", .noun = "count", .imin = 1, .imax = IPC_MAX_REPS,
	  .idef = IPC_DEFAULT_REPS,
	  .help = "timed batches per mechanism and size (default 7;\n"
		  "6 or more give a 95% interval)" },
	{ .name = "format", .kind = OPT_CHOICE, .commands = OPT_CMD_IPC, .off = IPC(json),
	  .choices = cores_formats, .help = "what to print on stdout (default table)" },
	{ .name = "output", .kind = OPT_TEXT, .commands = OPT_CMD_IPC, .off = IPC(output),
	  .arg = "FILE", .check = path_check_writable,
	  .help = "write the JSON document there (atomically)" },
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_IPC,
	  .help = "this help" },

	/* list */
	{ .name = "help", .short_name = 'h', .kind = OPT_HELP, .commands = OPT_CMD_LIST,
	  .help = "this help" },
};
const size_t cb_noptions = ARRAY_SIZE(cb_options);

const struct opt_command opt_topo = { .name = "topo", .cmd = OPT_CMD_TOPO, .known = OPT_CMD_TOPO,
				      .prefix = "", .width = 36 };
const struct opt_command opt_cores = { .name = "cores", .cmd = OPT_CMD_CORES,
				       .known = OPT_CMD_CORES, .prefix = "", .width = 28 };
const struct opt_command opt_contend = { .name = "contend", .cmd = OPT_CMD_CONTEND,
					 .known = OPT_CMD_CONTEND, .prefix = "", .width = 28 };
const struct opt_command opt_report = { .name = "report", .cmd = OPT_CMD_REPORT,
					.known = OPT_CMD_REPORT, .prefix = "", .positional = 1,
					.width = 14 };
const struct opt_command opt_compare = { .name = "compare", .cmd = OPT_CMD_COMPARE,
					 .known = OPT_CMD_COMPARE, .prefix = "compare: ",
					 .positional = 1, .clip = 80, .width = 30 };
const struct opt_command opt_explain = { .name = "explain", .cmd = OPT_CMD_EXPLAIN,
					 .known = OPT_CMD_EXPLAIN, .prefix = "", .positional = 1,
					 .width = 20 };
const struct opt_command opt_spawn = { .name = "spawn", .cmd = OPT_CMD_SPAWN,
				       .known = OPT_CMD_SPAWN, .prefix = "", .width = 20 };
const struct opt_command opt_footprint = { .name = "footprint", .cmd = OPT_CMD_FOOTPRINT,
					   .known = OPT_CMD_FOOTPRINT, .prefix = "", .width = 22 };
const struct opt_command opt_crash = { .name = "crash", .cmd = OPT_CMD_CRASH,
				       .known = OPT_CMD_CRASH, .prefix = "", .width = 22 };
const struct opt_command opt_folklore = { .name = "folklore", .cmd = OPT_CMD_FOLKLORE,
					  .known = OPT_CMD_FOLKLORE, .prefix = "", .width = 28 };
const struct opt_command opt_history = { .name = "history", .cmd = OPT_CMD_HISTORY,
					 .known = OPT_CMD_HISTORY, .prefix = "history: ",
					 .positional = 1, .clip = 80, .width = 26 };
const struct opt_command opt_ipc = { .name = "ipc", .cmd = OPT_CMD_IPC, .known = OPT_CMD_IPC,
				     .prefix = "", .width = 28 };
const struct opt_command opt_list = { .name = "list", .cmd = OPT_CMD_LIST, .known = OPT_CMD_LIST,
				      .prefix = "", .width = 8 };

/* ---- the parser ---- */

#define AT(dst, off, type) ((type *)(void *)((char *)(dst) + (off)))

const struct cb_option *opts_find(const char *name, unsigned cmd)
{
	for (size_t i = 0; i < cb_noptions; i++)
		if ((cb_options[i].commands & cmd) && strcmp(cb_options[i].name, name) == 0)
			return &cb_options[i];
	return NULL;
}

void opts_choice_list(const struct opt_choice *c, const char *sep, const char *last, char *buf,
		      size_t len)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; c[i].name; i++)
		n += !c[i].hidden;
	buf[0] = 0;
	for (size_t i = 0; c[i].name; i++) {
		if (c[i].hidden)
			continue;
		size_t at = strlen(buf);
		cb_fmt(buf + at, len - at, "%s%s", k == 0 ? "" : k + 1 == n ? last : sep, c[i].name);
		k++;
	}
}

/* "seq, thread, fork or shm" from the registry; parallel: only the pools of several workers
 * on this host (never a launched one: cores, contend and footprint cannot reach it). */
static void executor_list(int parallel, const char *sep, const char *last, char *buf,
			  size_t len)
{
	struct opt_choice c[16];
	size_t n = 0;
	for (size_t i = 0; i < cb_nexecutors && n + 1 < ARRAY_SIZE(c); i++)
		if (!parallel || !(cb_executors[i]->flags & (EX_SINGLE_WORKER | EX_LAUNCHED)))
			c[n++] = (struct opt_choice){ cb_executors[i]->name, 0, 0 };
	c[n] = (struct opt_choice){ NULL, 0, 0 };
	opts_choice_list(c, sep, last, buf, len);
}

void opts_executor_names(int parallel, char *buf, size_t len)
{
	executor_list(parallel, ", ", " or ", buf, len);
}

static void workload_list(const char *sep, const char *last, char *buf, size_t len)
{
	struct opt_choice c[16];
	size_t n = 0;
	for (size_t i = 0; i < cb_nworkloads && n + 1 < ARRAY_SIZE(c); i++)
		c[n++] = (struct opt_choice){ cb_workloads[i]->name, 0, 0 };
	c[n] = (struct opt_choice){ NULL, 0, 0 };
	opts_choice_list(c, sep, last, buf, len);
}

void opts_accepted(const struct cb_option *o, char *buf, size_t len)
{
	char b[64], list[200];
	switch (o->kind) {
	case OPT_UINT:
	case OPT_U64:
		if (o->flags & OPTF_UP_TO)
			cb_fmt(buf, len, "a %s up to %llu", o->noun, (unsigned long long)o->imax);
		else
			cb_fmt(buf, len, "a %s from %llu to %llu%s", o->noun,
			       (unsigned long long)o->imin, (unsigned long long)o->imax,
			       o->flags & OPTF_AUTO ? ", or auto" : "");
		break;
	case OPT_DECIMAL:
		cb_fmt(buf, len, "a %s %s %g %s %g%s%s", o->noun,
		       o->flags & OPTF_ABOVE_MIN ? "above" : "from", o->dmin,
		       o->flags & OPTF_ABOVE_MIN ? "and up to" : "to", o->dmax,
		       o->example ? ", such as " : "", o->example ? o->example : "");
		break;
	case OPT_DURATION:
		/* the way a user writes it: 1ms */
		cb_fmt(b, sizeof(b), "%g%s", (double)o->imin >= 1e6 ? (double)o->imin / 1e6 :
		       (double)o->imin, (double)o->imin >= 1e6 ? "ms" : "ns");
		if (o->imin > 1)
			cb_fmt(buf, len, "a duration of at least %s, such as %s", b, o->example);
		else
			cb_fmt(buf, len, "a duration such as %s", o->example);
		break;
	case OPT_CHOICE:
		opts_choice_list(o->choices, ", ", " or ", buf, len);
		break;
	case OPT_CHOICES:
		opts_choice_list(o->choices, ", ", ", ", list, sizeof(list));
		cb_fmt(buf, len, "a comma list of %s", list);
		break;
	default:
		cb_fmt(buf, len, "%s", o->arg ? o->arg : "a value");
		break;
	}
}

static int bad_value(const struct opt_command *oc, const char *flag, const char *accepted,
		     const char *got)
{
	char shown[4096];
	cb_sanitize(got, shown, oc->clip && oc->clip < sizeof(shown) ? oc->clip : sizeof(shown));
	cb_error("%s%s: expected %s, got '%s'", oc->prefix, flag, accepted, shown);
	return -EINVAL;
}

static int choice_find(const struct opt_choice *c, const char *s, size_t n, int *value)
{
	for (size_t i = 0; c[i].name; i++)
		if (strlen(c[i].name) == n && strncmp(c[i].name, s, n) == 0) {
			*value = c[i].value;
			return 0;
		}
	return -EINVAL;
}

/* A plain decimal (parse_decimal), the whole string; a trailing '%' when allowed. */
static int decimal_parse(const char *s, int pct, double *out)
{
	char buf[64];
	size_t n = strlen(s);

	if (pct && n && s[n - 1] == '%')
		n--;
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	return parse_decimal(buf, out) < 0 ? -EINVAL : 0;
}

/* Parse value by row o into dst. Returns 0 or -EINVAL after the one-line message. */
static int opt_apply(const struct opt_command *oc, const struct cb_option *o, const char *value,
		     void *dst)
{
	char flag[48], acc[256];
	int rc = 0;

	cb_fmt(flag, sizeof(flag), "--%s", o->name);
	switch (o->kind) {
	case OPT_FLAG:
		*AT(dst, o->off, int) = 1;
		break;
	case OPT_UINT:
		if ((o->flags & OPTF_AUTO) && strcmp(value, "auto") == 0) {
			*AT(dst, o->off, unsigned) = (unsigned)o->idef;
			*AT(dst, o->aux_off, int) = 1;
			break;
		}
		if (o->flags & OPTF_AUTO)
			*AT(dst, o->aux_off, int) = 0;
		rc = parse_uint(value, (unsigned)o->imin, (unsigned)o->imax, AT(dst, o->off, unsigned));
		break;
	case OPT_U64:
		rc = parse_u64(value, o->imin, o->imax, AT(dst, o->off, uint64_t));
		break;
	case OPT_DECIMAL: {
		double v;
		rc = decimal_parse(value, o->flags & OPTF_PCT_SIGN, &v);
		if (!rc && ((o->flags & OPTF_ABOVE_MIN) ? !(v > o->dmin) : !(v >= o->dmin)))
			rc = -EINVAL;
		if (!rc && !(v <= o->dmax))
			rc = -EINVAL;
		if (!rc)
			*AT(dst, o->off, double) = v / o->scale;
		break;
	}
	case OPT_DURATION: {
		int64_t ns;
		rc = parse_duration(value, &ns);
		if (!rc && ns < (int64_t)o->imin)
			rc = -EINVAL;
		if (!rc)
			*AT(dst, o->off, int64_t) = ns;
		break;
	}
	case OPT_CHOICE:
		rc = choice_find(o->choices, value, strlen(value), AT(dst, o->off, int));
		break;
	case OPT_CHOICES: {
		unsigned add = 0;
		const char *s = value;
		for (;;) {
			size_t n = strcspn(s, ",");
			int bit;
			if ((rc = choice_find(o->choices, s, n, &bit)) < 0)
				break;
			add |= (unsigned)bit;
			if (!s[n])
				break;
			s += n + 1;
		}
		if (!rc)
			*AT(dst, o->off, unsigned) |= add;
		break;
	}
	case OPT_TEXT:
		if (o->check && o->check(flag, value) < 0)
			return -EINVAL;         /* the check said why */
		*AT(dst, o->off, const char *) = value;
		break;
	case OPT_CALL:
		return o->set(dst, value);
	case OPT_HELP:
		break;
	}
	if (rc < 0) {
		opts_accepted(o, acc, sizeof(acc));
		return bad_value(oc, flag, acc, value);
	}
	if (o->flags & OPTF_SEEN)
		*AT(dst, o->aux_off, int) = 1;
	return 0;
}

static void opt_default(const struct cb_option *o, void *dst)
{
	switch (o->kind) {
	case OPT_FLAG:
		*AT(dst, o->off, int) = 0;
		break;
	case OPT_UINT:
		*AT(dst, o->off, unsigned) = (unsigned)o->idef;
		break;
	case OPT_U64:
		*AT(dst, o->off, uint64_t) = o->idef;
		break;
	case OPT_DECIMAL:
		*AT(dst, o->off, double) = o->ddef;
		break;
	case OPT_DURATION:
		*AT(dst, o->off, int64_t) = (int64_t)o->idef;
		break;
	case OPT_CHOICE:
		*AT(dst, o->off, int) = (int)o->idef;
		break;
	case OPT_CHOICES:
		*AT(dst, o->off, unsigned) = 0;
		break;
	case OPT_TEXT:
		*AT(dst, o->off, const char *) = NULL;
		break;
	case OPT_CALL:
	case OPT_HELP:
		break;      /* the setter's struct has its own defaults */
	}
	if (o->flags & (OPTF_AUTO | OPTF_SEEN))
		*AT(dst, o->aux_off, int) = 0;
}

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

static int set_wl_option(const struct opt_command *oc, struct config *c, const char *name,
			 const char *val)
{
	const struct workload *wl = oc->wl;
	for (size_t j = 0; wl && j < wl->noptions; j++) {
		const struct wl_option *o = &wl->options[j];
		char flag[48], acc[160];
		if (strcmp(o->name, name) != 0)
			continue;
		cb_fmt(flag, sizeof(flag), "--%s", name);
		if (o->kind == WLO_CHOICE) {
			struct opt_choice ch[16];
			size_t n = 0;
			for (size_t k = 0; o->choices[k] && n + 1 < ARRAY_SIZE(ch); k++) {
				if (strcmp(o->choices[k], val) == 0) {
					c->params.opt[j] = (int64_t)k;
					return 0;
				}
				ch[n++] = (struct opt_choice){ o->choices[k], (int)k, 0 };
			}
			ch[n] = (struct opt_choice){ NULL, 0, 0 };
			opts_choice_list(ch, ", ", " or ", acc, sizeof(acc));
			return bad_value(oc, flag, acc, val);
		}
		int64_t ns;
		if (parse_duration(val, &ns) < 0 || ns < o->min_ns || ns > o->max_ns) {
			char mx[32];
			cb_fmt(mx, sizeof(mx), "%gs", (double)o->max_ns * 1e-9);
			cb_fmt(acc, sizeof(acc), "a duration such as 10ms, 250us or 1s, up to %s", mx);
			return bad_value(oc, flag, acc, val);
		}
		c->params.opt[j] = ns;
		return 0;
	}
	cb_error("%s--%s: not an option of '%s' (see 'concbench %s --help')", oc->prefix, name,
		 oc->name, oc->name);
	return -EINVAL;
}

/* The suite's own defaults, over the table's and under what the user gives: it is the run
 * people start with, so it measures until every median's 95% interval is within +-5%, and
 * gives up on a run after 2 s of its time (samples and harness), which keeps the whole
 * suite under a minute on two cores. The help texts of these rows say so. */
static const struct { const char *name, *value; } suite_defaults[] = {
	{ "repetitions", "auto" },
	{ "precision", "5" },
	{ "max-time", "2s" },
};

static int suite_presets(const struct opt_command *oc, void *dst)
{
	for (size_t i = 0; i < ARRAY_SIZE(suite_defaults); i++)
		for (size_t j = 0; j < cb_noptions; j++) {
			const struct cb_option *o = &cb_options[j];
			if ((o->commands & oc->cmd) && strcmp(o->name, suite_defaults[i].name) == 0 &&
			    opt_apply(oc, o, suite_defaults[i].value, dst) < 0)
				return -EINVAL;
		}
	return 0;
}

int opts_parse(const struct opt_command *oc, int argc, char **argv, void *dst)
{
	struct option longopts[MAX_LONGOPTS + 1] = { { NULL, 0, NULL, 0 } };
	char shortopts[64] = ":";
	char **args = argv + 1;
	int nargs = argc - 1, ch;
	size_t nl = 0, ns = 1;

	for (size_t i = 0; i < cb_noptions; i++) {
		const struct cb_option *o = &cb_options[i];
		size_t k;
		if (o->commands & oc->cmd)
			opt_default(o, dst);
		if (!(o->commands & oc->known))
			continue;
		/* One getopt entry per name: this command's row if it has one. */
		for (k = 0; k < nl && strcmp(longopts[k].name, o->name) != 0; k++)
			;
		if (k < nl) {
			if (o->commands & oc->cmd)
				longopts[k].val = OPT_VAL_ROW + (int)i;
			continue;
		}
		if (nl == MAX_LONGOPTS)
			break;
		longopts[nl++] = (struct option){ o->name,
			o->kind == OPT_FLAG || o->kind == OPT_HELP ? no_argument : required_argument,
			NULL, OPT_VAL_ROW + (int)i };
		if (o->short_name && (o->commands & oc->cmd) && ns + 3 < sizeof(shortopts)) {
			shortopts[ns++] = (char)o->short_name;
			if (o->kind != OPT_FLAG && o->kind != OPT_HELP)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = 0;
	if (oc->cmd == OPT_CMD_SUITE && suite_presets(oc, dst) < 0)
		return -EINVAL;
	if (oc->known & OPT_CMD_WORKLOAD) {
		collect_wl_opts();
		for (size_t i = 0; i < n_wl_opt_names && nl < MAX_LONGOPTS; i++)
			longopts[nl++] = (struct option){ wl_opt_names[i], required_argument, NULL,
							  OPT_VAL_WL + (int)i };
	}
	longopts[nl] = (struct option){ NULL, 0, NULL, 0 };

	optind = 0;    /* full re-initialisation of getopt: a command may parse more than once */
	opterr = 0;
	while ((ch = getopt_long(nargs, args, shortopts, longopts, NULL)) != -1) {
		const struct cb_option *o = NULL;
		char g[4096];
		if (ch == ':' || ch == '?') {
			cb_sanitize(args[optind - 1], g, oc->clip ? oc->clip : sizeof(g));
			if (ch == ':')
				cb_error("%s%s: needs a value (see 'concbench %s --help')", oc->prefix, g,
					 oc->name);
			else if (optopt && optopt < OPT_VAL_ROW)
				cb_error("%sunknown option '-%c' (see 'concbench %s --help')",
					 oc->prefix, optopt, oc->name);
			else
				cb_error("%sunknown option '%s' (see 'concbench %s --help')", oc->prefix,
					 g, oc->name);
			return -EINVAL;
		}
		if (ch >= OPT_VAL_WL) {
			if (set_wl_option(oc, dst, wl_opt_names[ch - OPT_VAL_WL], optarg) < 0)
				return -EINVAL;
			continue;
		}
		if (ch >= OPT_VAL_ROW) {
			size_t row = (size_t)(ch - OPT_VAL_ROW);
			o = row < ARRAY_SIZE(cb_options) ? &cb_options[row] : NULL;
		} else {
			for (size_t i = 0; i < cb_noptions && !o; i++)
				if (cb_options[i].short_name == ch && (cb_options[i].commands & oc->cmd))
					o = &cb_options[i];
		}
		if (!o)
			continue;     /* not reached: getopt returns only what it was given */
		if (!(o->commands & oc->cmd)) {
			if (o->why_not)
				cb_error("%s--%s: not an option of '%s' (%s)", oc->prefix, o->name,
					 oc->name, o->why_not);
			else
				cb_error("%s--%s: not an option of '%s' (see 'concbench %s --help')",
					 oc->prefix, o->name, oc->name, oc->name);
			return -EINVAL;
		}
		if (o->kind == OPT_HELP)
			return 0;
		if (opt_apply(oc, o, optarg, dst) < 0)
			return -EINVAL;
	}
	if (!oc->positional && optind < nargs) {
		cb_error("%sunexpected argument '%s' (see 'concbench %s --help')", oc->prefix,
			 args[optind], oc->name);
		return -EINVAL;
	}
	return optind + 1;
}

/* Help text with the registry's lists put in. */
static void help_expand(const char *in, char *out, size_t len)
{
	static const char *const keys[] = { "{executors}", "{parallel}", "{workloads}" };
	size_t n = 0;
	out[0] = 0;
	while (*in && n + 1 < len) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (strncmp(in, keys[k], strlen(keys[k])) == 0)
				break;
		if (k < ARRAY_SIZE(keys)) {
			if (k == 2)
				workload_list("|", "|", out + n, len - n);
			else
				executor_list(k == 1, ", ", k == 1 ? " or " : ", ", out + n, len - n);
			n = strlen(out);
			in += strlen(keys[k]);
			continue;
		}
		out[n++] = *in++;
		out[n] = 0;
	}
}

static void usage_line(int width, const char *left, const char *help)
{
	const char *nl;
	do {
		nl = strchr(help, '\n');
		printf("  %-*s %.*s\n", width, left, nl ? (int)(nl - help) : (int)strlen(help),
		       help);
		left = "";
		help = nl ? nl + 1 : help;
	} while (nl);
}

/* The values completion offers for row o: its choices, or the registry's names. */
static void doc_words(const struct opt_command *oc, const struct cb_option *o, char *buf,
		      size_t len)
{
	buf[0] = 0;
	if (o->kind == OPT_CHOICE || o->kind == OPT_CHOICES) {
		opts_choice_list(o->choices, " ", " ", buf, len);
	} else if (o->kind == OPT_CALL && o->set == set_executors) {
		executor_list(0, " ", " ", buf, len);
		cb_fmt(buf + strlen(buf), len - strlen(buf), " all");
	} else if (o->kind == OPT_CALL && o->set == set_cores_workload) {
		workload_list(" ", " ", buf, len);
	} else if (strcmp(o->name, "executor") == 0) {
		executor_list((oc->cmd & (OPT_CMD_CORES | OPT_CMD_CONTEND)) != 0, " ", " ", buf, len);
	} else if (strcmp(o->name, "bind") == 0) {
		for (int p = BIND_NONE; p <= BIND_SMT; p++)
			cb_fmt(buf + strlen(buf), len - strlen(buf), "%s%s", p == BIND_NONE ? "" : " ",
			       bind_policy_name((enum bind_policy)p));
	}
}

int opts_doc_next(const struct opt_command *oc, size_t *pos, struct opt_doc *d)
{
	memset(d, 0, sizeof(*d));
	for (; *pos < cb_noptions; (*pos)++) {
		const struct cb_option *o = &cb_options[*pos];
		if (!(o->commands & oc->cmd))
			continue;
		(*pos)++;
		d->short_name = o->short_name;
		d->name = o->name;
		if (o->arg)
			help_expand(o->arg, d->arg, sizeof(d->arg));
		else if (o->kind == OPT_CHOICE)
			opts_choice_list(o->choices, "|", "|", d->arg, sizeof(d->arg));
		help_expand(o->help ? o->help : oc->wl ? oc->wl->size_help : "", d->help,
			    sizeof(d->help));
		doc_words(oc, o, d->words, sizeof(d->words));
		d->file = o->kind == OPT_TEXT && strstr(d->arg, "FILE") != NULL;
		return 1;
	}
	if (oc->wl && *pos - cb_noptions < oc->wl->noptions) {
		const struct wl_option *o = &oc->wl->options[*pos - cb_noptions];
		(*pos)++;
		d->name = o->name;
		if (o->kind == WLO_CHOICE) {
			for (size_t k = 0; o->choices[k]; k++) {
				size_t at = strlen(d->arg), aw = strlen(d->words);
				cb_fmt(d->arg + at, sizeof(d->arg) - at, "%s%s", k ? "|" : "",
				       o->choices[k]);
				cb_fmt(d->words + aw, sizeof(d->words) - aw, "%s%s", k ? " " : "",
				       o->choices[k]);
			}
		} else {
			cb_fmt(d->arg, sizeof(d->arg), "DURATION");
		}
		cb_fmt(d->help, sizeof(d->help), "%s", o->help);
		return 1;
	}
	return 0;
}

/* "  -r, --repetitions R|auto   help", the short form first when there is one. */
void opts_usage(const struct opt_command *oc)
{
	struct opt_doc d;
	size_t pos = 0;
	while (opts_doc_next(oc, &pos, &d)) {
		char left[200];
		if (d.short_name)
			cb_fmt(left, sizeof(left), "-%c, --%s%s%s", d.short_name, d.name,
			       d.arg[0] ? " " : "", d.arg);
		else
			cb_fmt(left, sizeof(left), "    --%s%s%s", d.name, d.arg[0] ? " " : "", d.arg);
		usage_line(oc->width + 4, left, d.help);
	}
}

/* ---- the workload commands: cpu, io, mem, suite ---- */

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

int opts_parse_workers(const char *s, unsigned pus, unsigned *out, size_t *n)
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

static int executors_bad(const char *s)
{
	char names[160], acc[200];
	executor_list(0, ", ", ", ", names, sizeof(names));
	cb_fmt(acc, sizeof(acc), "a list of %s, or all", names);
	cb_error("--executor: expected %s, got '%s'", acc, s);
	return -EINVAL;
}

/* --executor LIST|all: the registry's executors; the single-worker one (seq) is the baseline
 * that always runs, so naming it only marks it asked for. */
static int set_executors(void *dst, const char *s)
{
	struct config *c = dst;
	char item[64];
	const char *p = s;
	int more;
	if (!*s)
		return executors_bad(s);
	c->nex = 0;
	c->seq_asked = 0;
	while ((more = list_next(&p, item, sizeof(item))) > 0) {
		if (strcmp(item, "all") == 0) {
			c->nex = 0;
			/* A launched executor (mpi) only when named: it needs its launcher. */
			for (size_t i = 0; i < cb_nexecutors && c->nex < ARRAY_SIZE(c->ex); i++)
				if (!(cb_executors[i]->flags & (EX_SINGLE_WORKER | EX_NAMED_ONLY | EX_LAUNCHED)))
					c->ex[c->nex++] = cb_executors[i];
			c->seq_asked = 1;
			continue;
		}
		const struct executor *x = executor_find(item);
		if (!x) {
			char names[160];
			executor_list(0, ", ", ", ", names, sizeof(names));
			cb_error("--executor: unknown executor '%s' (expected %s or all)", item, names);
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
		return executors_bad(s);
	return 0;
}

/* cores --workload NAME: any registered workload. */
static int set_cores_workload(void *dst, const char *value)
{
	struct cores_opts *o = dst;
	char acc[128];
	o->wl = workload_find(value);
	if (o->wl)
		return 0;
	workload_list(", ", " or ", acc, sizeof(acc));
	cb_error("--workload: expected %s, got '%s'", acc, value);
	return -EINVAL;
}

/* The default suite: every workload, sized to finish in under a minute on 2 cores. */
static const struct suite_group {
	const char *workload;
	uint64_t size;
	uint64_t tasks;
	int64_t opt[WL_MAX_OPTIONS];
} suite_groups[] = {
	{ "cpu", 200000000, 0, { 0 } },                /* sumsq, 200M numbers */
	{ "io", 0, 48, { 0, 2000000 } },               /* sleep, 48 tasks of 2 ms */
	{ "mem", 0, 0, { 0 } },                        /* triad, 4x the last-level cache */
};

/* The groups the config runs: its workload with the parameters given, or the suite's. */
static void config_set_groups(struct config *c)
{
	c->ngroups = 0;
	if (c->wl) {
		c->groups[0].wl = c->wl;
		c->groups[0].params = c->params;
		c->ngroups = 1;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(suite_groups) && c->ngroups < CONFIG_MAX_GROUPS; i++) {
		struct run_group_def *g = &c->groups[c->ngroups];
		g->wl = workload_find(suite_groups[i].workload);
		if (!g->wl)
			continue;
		memset(&g->params, 0, sizeof(g->params));
		g->params.size = suite_groups[i].size;
		g->params.tasks = suite_groups[i].tasks;
		memcpy(g->params.opt, suite_groups[i].opt, sizeof(g->params.opt));
		c->ngroups++;
	}
}

/* How a workload command or suite parses; NULL for any other name. */
static int run_command(const char *name, struct opt_command *oc)
{
	const struct workload *wl = workload_find(name);
	if (!wl && strcmp(name, "suite") != 0)
		return -EINVAL;
	*oc = (struct opt_command){ .name = wl ? wl->name : "suite",
		.cmd = wl ? OPT_CMD_WORKLOAD : OPT_CMD_SUITE, .known = OPT_CMD_RUN, .prefix = "",
		.wl = wl, .width = 30 };
	return 0;
}

int opts_size_parse(const struct workload *wl, const char *arg, uint64_t *size)
{
	uint64_t v, max = wl->max_size ? wl->max_size : UINT64_MAX;
	if (parse_size(arg, wl->size_in_bytes, &v) < 0 || v == 0 || v > max) {
		cb_error("--size: expected a positive %s from 1 to %llu with an optional %s suffix, "
			 "got '%s'", wl->size_in_bytes ? "byte count" : "count",
			 (unsigned long long)max, wl->size_in_bytes ? "K, M, G or T" : "k, M, G or T",
			 arg);
		return -EINVAL;
	}
	*size = v;
	return 0;
}

int opts_command_find(const char *name, struct opt_command *oc)
{
	static const struct opt_command *const others[] = {
		&opt_topo, &opt_cores, &opt_report, &opt_compare, &opt_list, &opt_explain,
		&opt_spawn,
		&opt_footprint,
		&opt_crash,
		&opt_ipc,
		&opt_contend,
		&opt_folklore,
		&opt_history,
	};
	if (run_command(name, oc) == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (strcmp(others[i]->name, name) == 0) {
			*oc = *others[i];
			return 0;
		}
	return -EINVAL;
}

void opts_usage_run(const char *command)
{
	struct opt_command oc;
	if (!command || run_command(command, &oc) < 0)
		return;
	printf("usage: concbench %s [options]\n\n", command);
	if (oc.wl)
		printf("%s\n\n", oc.wl->summary);
	else
		printf("the default job: cpu, io and mem on every executor for workers 1, 2, 4, ... "
		       "and max;\nwrites results/latest.json unless --output says otherwise\n\n");
	opts_usage(&oc);
}

int opts_parse_config(int argc, char **argv, unsigned pus, struct config *c)
{
	struct opt_command oc;
	int rc;

	memset(c, 0, sizeof(*c));
	c->argc = argc;
	c->argv = argv;
	if (argc < 2) {
		cb_error("no command given (see 'concbench --help')");
		return -EINVAL;
	}
	c->command = argv[1];
	if (run_command(argv[1], &oc) < 0) {
		char names[160];
		workload_list(", ", ", ", names, sizeof(names));
		cb_error("'%s' is not a concbench command (expected %s, suite or list; see "
			 "'concbench --help')", argv[1], names);
		return -EINVAL;
	}
	c->wl = oc.wl;
	/* Defaults of the workload's own options. */
	for (size_t j = 0; c->wl && j < c->wl->noptions; j++)
		c->params.opt[j] = c->wl->options[j].kind == WLO_DURATION ? c->wl->options[j].def_ns : 0;
	set_executors(c, "all");
	rc = opts_parse(&oc, argc, argv, c);
	if (rc == 0) {
		c->help = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	/* getopt has resolved --topology's abbreviations (--topo) and --topology=: load it
	 * here, then check --bind's cpuset and the worker counts against it. */
	if (c->topology) {
		if (topo_load_spec(c->topology) < 0) {
			cb_error("--topology: cannot load '%s': %s", c->topology, topo_load_error());
			return -EINVAL;
		}
		pus = topo_pus();
	}
	if (c->bind_arg && bind_policy_parse(c->bind_arg, &c->bind) < 0) {
		cb_error("--bind: %s", bind_policy_error());
		return -EINVAL;
	}
	if (c->size_arg && opts_size_parse(c->wl, c->size_arg, &c->params.size) < 0)
		return -EINVAL;
	/* The lock is of workers in one address space: fork and shm workers have no lock in
	 * common, and a table of both would mix two experiments. */
	for (size_t i = 0; c->gil && i < c->nex; i++)
		if (c->ex[i]->flags & (EX_SINGLE_WORKER | EX_EVENT_LOOP) ||
		    !(c->ex[i]->flags & EX_SHARED_ADDRESS_SPACE)) {
			cb_error("--gil: applies to threads only; expected --executor thread, got "
				 "--executor %s", c->ex[i]->name);
			return -EINVAL;
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
	if (c->workers_arg) {
		rc = opts_parse_workers(c->workers_arg, pus, c->workers, &c->nworkers);
		if (rc == -E2BIG) {
			cb_error("--workers: at most %d worker counts in one run, got '%s'",
				 CLI_MAX_COUNTS, c->workers_arg);
			return -EINVAL;
		}
		if (rc < 0) {
			char acc[96];
			cb_fmt(acc, sizeof(acc), "N, LIST, A..B or max with N from 1 to %d",
			       CLI_MAX_WORKERS);
			return bad_value(&oc, "--workers", acc, c->workers_arg);
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
	/* An executor that cannot run here, or not with that many workers (mpi: outside mpirun,
	 * or with fewer ranks), is bad input, said before anything runs. */
	for (size_t i = 0; i < c->nex; i++) {
		const struct executor *x = c->ex[i];
		char why[256];
		if (x->supported && x->supported(why, sizeof(why)) < 0) {
			cb_error("--executor %s: %s", x->name, why);
			return -EINVAL;
		}
		for (size_t j = 0; x->fits && j < c->nworkers; j++)
			if (x->fits(c->workers[j], why, sizeof(why)) < 0) {
				cb_error("--workers %u: --executor %s: %s", c->workers[j], x->name, why);
				return -EINVAL;
			}
	}
	/* A launched pool sends each rank one static block, and mpirun ends the job when a
	 * rank dies: said here, as bad input, not when its pool starts. */
	for (size_t i = 0; i < c->nex; i++) {
		if (!(c->ex[i]->flags & EX_LAUNCHED))
			continue;
		if (c->dynamic) {
			cb_error("--schedule dynamic: --executor %s sends each worker one static block; "
				 "expected --schedule static", c->ex[i]->name);
			return -EINVAL;
		}
		if (c->restart) {
			cb_error("--on-crash restart: --executor %s cannot replace a worker (the launcher "
				 "ends the job when one dies); expected --on-crash abort", c->ex[i]->name);
			return -EINVAL;
		}
	}
	if (c->inject_arg) {
		fault_inject_parse(c->inject_arg, &c->inject_worker, &c->inject_task);
		if (c->inject_worker >= c->workers[0]) {
			cb_error("--inject: worker %u does not exist with %u worker%s; expected WORKER "
				 "below the smallest --workers", c->inject_worker, c->workers[0],
				 c->workers[0] == 1 ? "" : "s");
			return -EINVAL;
		}
	}
	/* A thread's crash ends the process: there is nothing left to restart it in. */
	for (size_t i = 0; c->inject_arg && c->restart && i < c->nex; i++)
		if (c->ex[i]->flags & EX_SHARED_ADDRESS_SPACE) {
			cb_error("--on-crash restart: %s cannot replace a worker (its crash ends the "
				 "process); expected --executor fork, shm or both with --inject",
				 c->ex[i]->name);
			return -EINVAL;
		}
	if (c->restart && c->dynamic) {
		cb_error("--on-crash restart: expected --schedule static (a replacement runs the rest "
			 "of its worker's block)");
		return -EINVAL;
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
	config_set_groups(c);
	return 0;
}
