/* SPDX-License-Identifier: MIT */
/* crash: what one crashing worker costs each model, measured.
 *
 * Every try is one short cpu cell of WORKERS workers in which worker 0 dies of a real
 * SIGSEGV (--inject's fault, core/fault.h) right before the last task of its share, so that
 * exactly one task is in flight when it dies. A thread pool shares its process with the
 * coordinator: the signal ends them all, so its cell runs in a child of this process and
 * what is measured is how that child ended and how long after the crash its parent knew.
 * The fork and shm pools run in this process with --on-crash restart: the coordinator
 * notices the dead worker, a replacement runs the lost task again, the repetition is
 * verified against a seq run of the same work, and the cell's crash record
 * (runs[].crashes[] of a report) gives the detect and recover times. */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/options.h"
#include "core/cell.h"
#include "core/fault.h"
#include "core/proc.h"
#include "core/registry.h"
#include "core/sync.h"
#include "measure/run.h"
#include "measure/stats.h"
#include "report/report.h"
#include "topo/topo.h"

#define CRASH_SCHEMA "concbench-crash/1"
#define CRASH_SIZE 10000000ULL                    /* cpu numbers: a few ms per repetition */
#define CRASH_TASKS_PER_WORKER 4
#define CRASH_DEADLINE_NS (60LL * 1000000000LL)   /* per try */

struct crash_row {
	const struct executor *ex;
	unsigned tries;               /* tries that crashed as asked */
	unsigned survived;            /* results that outlived the crash, fewest over the tries */
	int process_survived;         /* the coordinator's process lived on (every try) */
	int verified;                 /* every try's result matched the seq run (processes) */
	char death[96];               /* how the thread pool's process ended (last try) */
	double *detect, *recover;     /* seconds, one per try where known */
	unsigned ndetect, nrecover;
};

static const char *const crash_executors[] = { "thread", "fork", "shm" };

static void crash_usage(void)
{
	printf("usage: concbench crash [options]\n\n"
	       "One worker dies of SIGSEGV mid-run, on each executor: what survives it, how long\n"
	       "the coordinator takes to notice, and (fork, shm with a replacement worker) to\n"
	       "get the lost task done again. Worker 0 crashes before the last of its %d tasks.\n\n",
	       CRASH_TASKS_PER_WORKER);
	opts_usage(&opt_crash);
}

/* One cell of w on ex with the injected crash; restart: --on-crash restart. */
static int crash_cell(const struct wl_inst *w, const struct executor *ex, int restart,
		      struct run_result *r, struct cb_err *e)
{
	struct cell_cfg c = { .warmup = 0, .timeout_ns = CRASH_DEADLINE_NS, .restart = restart };
	memset(r, 0, sizeof(*r));
	r->wl = w->wl;
	r->ex = ex;
	r->workers = w->workers;
	return cell_run(&c, w, ex, r, 1, e);
}

/* The thread pool: its cell in a child process, which the crash ends as a whole. */
static int try_thread(const struct wl_inst *w, struct crash_row *x, struct cb_err *e)
{
	pid_t parent = getpid(), pid;
	int status;
	int64_t at, seen;
	unsigned task;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cb_err_set(e, -errno, "cannot fork the thread pool's process: %s", strerror(errno));
		return -ECHILD;
	}
	if (pid == 0) {
		struct run_result r;
		struct cb_err ce = { 0 };
		child_setup(parent);
		_exit(crash_cell(w, x->ex, 0, &r, &ce) < 0 ? CB_EXIT_RUNFAIL : 0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno == EINTR && !cb_stop_signal)
			continue;
		/* Ctrl-C: the child ignores SIGINT (child_setup); it goes with us. */
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		cb_err_set(e, -EINTR, "interrupted by %s", stop_signal_name());
		return -EINTR;
	}
	seen = now_ns();
	describe_status(status, x->death, sizeof(x->death));
	if (cb_stop_signal && !WIFSIGNALED(status)) {
		cb_err_set(e, -EINTR, "interrupted by %s", stop_signal_name());
		return -EINTR;
	}
	if (!WIFSIGNALED(status) || !fault_inject_fired(&at, &task)) {
		cb_err_set(e, -EIO, "thread: the pool's process did not crash as injected: it %s",
			   x->death);
		return -EIO;
	}
	x->process_survived = 0;
	x->survived = 0;          /* every result lived in the dead process's memory */
	x->detect[x->ndetect++] = (double)(seen - at) / 1e9;
	return 0;
}

/* A process pool in this process, replacing the dead worker. */
static int try_procs(const struct wl_inst *w, uint64_t seq_sum, struct crash_row *x,
		     struct cb_err *e)
{
	struct run_result r;
	int rc = crash_cell(w, x->ex, 1, &r, e);
	if (rc == 0 && !r.ncrashes) {
		cb_err_set(e, -EIO, "%s: no worker crashed as injected", x->ex->name);
		rc = -EIO;
	}
	if (rc == 0) {
		const struct run_crash *c = &r.crashes[0];
		unsigned kept = (unsigned)w->ntasks - c->lost;
		if (!x->tries || kept < x->survived)
			x->survived = kept;
		if (!r.verified || r.checksum != seq_sum)
			x->verified = 0;
		if (!isnan(c->detect_s))
			x->detect[x->ndetect++] = c->detect_s;
		if (!isnan(c->recover_s))
			x->recover[x->nrecover++] = c->recover_s;
	}
	run_result_free(&r);
	return rc;
}

/* {"median": s, "ci95": [lo, hi] or null, "samples": n}, or null without samples. */
static cJSON *timing_json(struct jsonb *b, const double *v, unsigned n)
{
	cJSON *o;
	double lo, hi;
	if (!n)
		return cJSON_CreateNull();
	o = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_num(b, o, "median_s", stats_median(v, n));
	if (stats_median_ci(v, n, 0.95, &lo, &hi, NULL) == 0) {
		double ci[2] = { lo, hi };
		jsonb_item(b, o, "ci95_s", jsonb_num_array(b, ci, 2));
	} else {
		jsonb_add_null(b, o, "ci95_s");
	}
	jsonb_add_num(b, o, "samples", n);
	return o;
}

/* "1.23 ms [1.10 ms, 1.40 ms]", "1.23 ms (no 95% CI under 6 tries)" or "-". */
static void timing_text(char *buf, size_t len, const double *v, unsigned n)
{
	char m[32], l[32], h[32];
	double lo, hi;
	if (!n) {
		cb_fmt(buf, len, "-");
		return;
	}
	cb_fmt_time(m, sizeof(m), stats_median(v, n));
	if (stats_median_ci(v, n, 0.95, &lo, &hi, NULL) < 0) {
		cb_fmt(buf, len, "%s (no CI)", m);
		return;
	}
	cb_fmt_time(l, sizeof(l), lo);
	cb_fmt_time(h, sizeof(h), hi);
	cb_fmt(buf, len, "%s [%s, %s]", m, l, h);
}

static void verdict(char *buf, size_t len, const struct crash_row *x, size_t ntasks)
{
	if (!x->process_survived)
		cb_fmt(buf, len, "the whole process died, %s: all %zu results lost", x->death,
		       ntasks);
	else
		cb_fmt(buf, len, "%zu of %zu results survived; the worker was replaced and the "
		       "lost task%s run again%s", (size_t)x->survived, ntasks,
		       ntasks - x->survived == 1 ? "" : "s",
		       x->verified ? ", result verified against seq" : ", result WRONG");
}

static cJSON *crash_json(const struct crash_opts *o, const struct wl_inst *w,
			 const struct crash_row *rows, size_t n)
{
	struct jsonb b = { 0 };
	cJSON *doc = jsonb_chk(&b, cJSON_CreateObject()), *arr;
	char inject[48], v[320];

	cb_fmt(inject, sizeof(inject), "crash:0:%d", CRASH_TASKS_PER_WORKER - 1);
	jsonb_add_str(&b, doc, "schema", CRASH_SCHEMA);
	jsonb_add_str(&b, doc, "workload", w->wl->name);
	jsonb_add_num(&b, doc, "size", (double)w->p.size);
	jsonb_add_num(&b, doc, "workers", w->workers);
	jsonb_add_num(&b, doc, "tasks", (double)w->ntasks);
	jsonb_add_str(&b, doc, "inject", inject);
	jsonb_add_num(&b, doc, "tries", o->tries);
	arr = jsonb_chk(&b, cJSON_CreateArray());
	for (size_t i = 0; arr && i < n; i++) {
		const struct crash_row *x = &rows[i];
		cJSON *r = jsonb_chk(&b, cJSON_CreateObject());
		if (!r)
			break;
		jsonb_add_str(&b, r, "executor", x->ex->name);
		jsonb_add_num(&b, r, "tasks_survived", x->survived);
		jsonb_add_num(&b, r, "tasks_total", (double)w->ntasks);
		jsonb_add_bool(&b, r, "process_survived", x->process_survived);
		jsonb_add_str(&b, r, "process_death", x->process_survived ? NULL : x->death);
		if (x->process_survived)
			jsonb_add_bool(&b, r, "verified", x->verified);
		else
			jsonb_add_null(&b, r, "verified");
		jsonb_item(&b, r, "detect", timing_json(&b, x->detect, x->ndetect));
		jsonb_item(&b, r, "recover", timing_json(&b, x->recover, x->nrecover));
		verdict(v, sizeof(v), x, w->ntasks);
		jsonb_add_str(&b, r, "verdict", v);
		jsonb_push(&b, arr, r);
	}
	jsonb_item(&b, doc, "executors", arr);
	return jsonb_finish(&b, doc);
}

static void crash_table(const struct crash_opts *o, const struct wl_inst *w,
			const struct crash_row *rows, size_t n)
{
	printf("worker 0 of %u dies of SIGSEGV before its task %d (cpu, %zu tasks, %u tries "
	       "each);\ntimes: median [95%% CI] from the crash\n\n", w->workers,
	       CRASH_TASKS_PER_WORKER - 1, w->ntasks, o->tries);
	printf("%-8s %-10s %-8s %-32s %s\n", "executor", "survived", "process", "detect",
	       "recover");
	for (size_t i = 0; i < n; i++) {
		const struct crash_row *x = &rows[i];
		char surv[32], det[64], rec[64];
		cb_fmt(surv, sizeof(surv), "%u/%zu", x->survived, w->ntasks);
		timing_text(det, sizeof(det), x->detect, x->ndetect);
		timing_text(rec, sizeof(rec), x->recover, x->nrecover);
		printf("%-8s %-10s %-8s %-32s %s\n", x->ex->name, surv,
		       x->process_survived ? "lived" : "died", det, rec);
	}
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		char v[320];
		verdict(v, sizeof(v), &rows[i], w->ntasks);
		printf("%s: %s\n", rows[i].ex->name, v);
	}
	printf("\ndetect: thread: crash to its parent's waitpid; fork, shm: crash to the "
	       "coordinator\nnoticing the dead worker. recover: crash to the replacement having "
	       "finished the lost task.\n");
}

/* The seq run of the same work: the checksum every recovered result must match. */
static int seq_checksum(const struct wl_inst *w, uint64_t *sum, struct cb_err *e)
{
	struct run_result r;
	struct wl_inst one = *w;
	int rc;
	one.workers = 1;
	rc = crash_cell(&one, &executor_seq, 0, &r, e);
	*sum = r.checksum;
	run_result_free(&r);
	return rc;
}

static int crash_run(const struct crash_opts *o, const struct wl_inst *w)
{
	struct crash_row rows[ARRAY_SIZE(crash_executors)];
	struct cb_err e = { 0 };
	size_t n = 0;
	uint64_t sum = 0;
	int rc = seq_checksum(w, &sum, &e);

	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(crash_executors); i++) {
		struct crash_row *x = &rows[n];
		if (o->executors && !(o->executors & (1u << i)))
			continue;
		n++;
		x->ex = executor_find(crash_executors[i]);
		x->process_survived = 1;
		x->verified = 1;
		x->detect = calloc(o->tries, sizeof(double));
		x->recover = calloc(o->tries, sizeof(double));
		if (!x->ex || !x->detect || !x->recover) {
			cb_err_set(&e, -ENOMEM, "out of memory");
			rc = -ENOMEM;
			break;
		}
		for (unsigned t = 0; rc == 0 && t < o->tries; t++) {
			if (cb_stop_signal) {
				cb_err_set(&e, -EINTR, "interrupted by %s", stop_signal_name());
				rc = -EINTR;
				break;
			}
			rc = x->ex == &executor_thread ? try_thread(w, x, &e) :
				try_procs(w, sum, x, &e);
			if (rc == 0)
				x->tries++;
		}
	}
	if (rc == 0) {
		if ((o->json || o->output) &&
		    report_emit(crash_json(o, w, rows, n), o->output, o->json) < 0)
			rc = CB_EXIT_RUNFAIL;
		if (!rc && !o->json)
			crash_table(o, w, rows, n);
	} else {
		cb_error("crash: %s", e.msg);
		rc = CB_EXIT_RUNFAIL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		free(rows[i].detect);
		free(rows[i].recover);
	}
	return rc;
}

int cmd_crash(int argc, char **argv)
{
	struct crash_opts o;
	struct wl_params p = { .size = CRASH_SIZE };
	struct machine m;
	struct wl_inst w;
	int first, rc;

	first = opts_parse(&opt_crash, argc, argv, &o);
	if (first == 0)
		crash_usage();
	if (first <= 0)
		return first < 0 ? CB_EXIT_USAGE : 0;
	if (first < argc) {
		cb_error("crash: expected no arguments, got '%s'", argv[first]);
		return CB_EXIT_USAGE;
	}
	if (run_fault_from_env() < 0)
		return CB_EXIT_USAGE;
	p.tasks = (uint64_t)o.workers * CRASH_TASKS_PER_WORKER;
	topo_machine(&m);
	if (cell_inst_init(&w, &workload_cpu, &p, o.workers, 1, &m) < 0)
		return CB_EXIT_RUNFAIL;
	if (fault_inject_set(0, CRASH_TASKS_PER_WORKER - 1) < 0) {
		cb_error("crash: cannot map the crash record: %s", strerror(errno));
		cell_inst_fini(&w);
		return CB_EXIT_RUNFAIL;
	}
	rc = crash_run(&o, &w);
	cell_inst_fini(&w);
	return rc;
}
