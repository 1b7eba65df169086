/* SPDX-License-Identifier: MIT */
/* contend: what sharing costs. N pinned workers increment counters laid out four ways
 * (workloads/contend.c): packed in one cache line (false sharing), padded to lines of
 * their own, one atomic counter, one counter under a mutex. Per executor and layout:
 * increments per second (the median repetition's, with its 95% interval) and the slowdown
 * against the padded layout of the same executor.
 *
 * Threads take a process-private pthread mutex; shm workers (processes sharing the data
 * region) a process-shared robust one. fork workers share nothing: every layout is each
 * process's own counter, the control that shows what the layout costs without sharing.
 *
 * Every cell measures through the core (cell_run), like cores does: pool start-up, binding,
 * warm-ups, deadlines, children reaped and the stop signal are the executors' and the
 * cell's. Every repetition is verified: a lost update fails the run (exit 3). */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/contend_opts.h"
#include "cmd/options.h"
#include "core/cell.h"
#include "core/executor.h"
#include "core/registry.h"
#include "measure/run.h"
#include "measure/stats.h"
#include "report/report.h"
#include "topo/topo.h"

#define CONTEND_SCHEMA "concbench-contend/1"
#define CONTEND_DEADLINE_NS (60LL * 1000000000LL)   /* per repetition */
#define CONTEND_MAX_EXECUTORS 8

static const char *const contend_layout_names[] = { "packed", "padded", "atomic", "mutex" };

/* The index of the workload's option name, and of choice in it: the workload's own table
 * says where each lands in wl_params.opt[] (registry_check has seen it whole). */
static int contend_option(const char *name, const char *choice, size_t *opt, int64_t *value)
{
	const struct workload *wl = &workload_contend;
	for (size_t i = 0; i < wl->noptions; i++) {
		if (strcmp(wl->options[i].name, name) != 0)
			continue;
		for (size_t j = 0; wl->options[i].choices[j]; j++)
			if (strcmp(wl->options[i].choices[j], choice) == 0) {
				*opt = i;
				*value = (int64_t)j;
				return 0;
			}
	}
	return -ENOENT;
}

/* One executor and layout: a cell and what its samples say. */
struct contend_cell {
	const struct executor *ex;
	int layout;
	struct run_result r;
	struct stats_summary st;      /* of the times; st.has_ci: 6 samples or more */
	double rate, rate_lo, rate_hi;        /* increments/s; the interval NAN when none */
	double slow, slow_lo, slow_hi;        /* time over the padded layout's; NAN when none */
};

/* --executor: a comma list of executors that run several workers, each once. */
static int contend_parse_executors(const char *arg, const struct executor **ex, size_t *n)
{
	char buf[256], names[160], *save = NULL, *item;
	*n = 0;
	if (!arg)
		arg = "thread,shm,fork";
	opts_executor_names(1, names, sizeof(names));
	if (strlen(arg) >= sizeof(buf)) {
		cb_error("--executor: expected a comma list of %s, got a list of %zu bytes", names,
			 strlen(arg));
		return CB_EXIT_USAGE;
	}
	memcpy(buf, arg, strlen(arg) + 1);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		const struct executor *x = executor_find(item);
		char shown[64];
		size_t k;
		if (!x || (x->flags & (EX_SINGLE_WORKER | EX_LAUNCHED))) {
			cb_sanitize(item, shown, sizeof(shown));
			cb_error("--executor: expected a comma list of %s, got '%s'", names, shown);
			return CB_EXIT_USAGE;
		}
		for (k = 0; k < *n && ex[k] != x; k++)
			;
		if (k == *n && *n < CONTEND_MAX_EXECUTORS)
			ex[(*n)++] = x;
	}
	if (!*n) {
		cb_error("--executor: expected a comma list of %s, got '%s'", names, arg);
		return CB_EXIT_USAGE;
	}
	return 0;
}

/* Which mutex a layout of executor x takes, as the output names it. */
static const char *contend_mutex_kind(const struct executor *x)
{
	if (!(x->flags & EX_SHARED_DATA))
		return "pthread mutex, each process its own";
	if (x->flags & EX_SHARED_ADDRESS_SPACE)
		return "pthread mutex";
	return "process-shared robust pthread mutex";
}

/* The workload's parameters for layout on executor x: fork workers share no data region
 * (each a private copy), shm workers share one between processes (a robust mutex). */
static int contend_params(const struct contend_opts *o, const struct executor *x, int layout,
			  struct wl_params *p)
{
	const char *sharing = (x->flags & EX_SHARED_DATA) ? "shared" : "private";
	const char *lock = (x->flags & EX_SHARED_DATA) && !(x->flags & EX_SHARED_ADDRESS_SPACE)
			   ? "robust" : "private";
	size_t i;
	int64_t v;

	memset(p, 0, sizeof(*p));
	p->size = o->increments;
	if (contend_option("layout", contend_layout_names[layout], &i, &v) < 0)
		return -ENOENT;
	p->opt[i] = v;
	if (contend_option("sharing", sharing, &i, &v) < 0)
		return -ENOENT;
	p->opt[i] = v;
	if (contend_option("lock", lock, &i, &v) < 0)
		return -ENOENT;
	p->opt[i] = v;
	return 0;
}

/* One cell: reps verified samples of the workers pinned by policy bind. */
static int contend_measure(const struct contend_opts *o, enum bind_policy bind,
			   struct contend_cell *c, struct cb_err *e)
{
	struct cell_cfg cc = { .bind = bind, .warmup = o->warmup, .timeout_ns = CONTEND_DEADLINE_NS };
	struct wl_params p;
	struct wl_inst w;
	struct machine m;
	int rc;

	topo_machine(&m);
	if (contend_params(o, c->ex, c->layout, &p) < 0) {
		cb_err_set(e, -ENOENT, "internal error: the contend workload has no %s layout",
			   contend_layout_names[c->layout]);
		return -ENOENT;
	}
	if (cell_inst_init(&w, &workload_contend, &p, o->workers, 1, &m) < 0) {
		cb_err_set(e, -EINVAL, "cannot set up the workload");
		return -EINVAL;
	}
	c->r.wl = &workload_contend;
	c->r.p = w.p;
	c->r.ex = c->ex;
	c->r.workers = o->workers;
	c->r.bind = bind;
	c->r.scale = 1;
	c->r.items = w.items;
	c->r.unit = w.unit;
	rc = cell_run(&cc, &w, c->ex, &c->r, o->reps, e);
	cell_inst_fini(&w);
	if (rc < 0)
		return rc;
	if (stats_summarize(c->r.samples, c->r.nsamples, &c->st) < 0)
		memset(&c->st, 0, sizeof(c->st));
	c->rate = c->st.median > 0 ? (double)c->r.items / c->st.median : NAN;
	c->rate_lo = c->st.has_ci && c->st.ci_hi > 0 ? (double)c->r.items / c->st.ci_hi : NAN;
	c->rate_hi = c->st.has_ci && c->st.ci_lo > 0 ? (double)c->r.items / c->st.ci_lo : NAN;
	return 0;
}

/* The slowdown of each cell against the padded layout of its executor: the ratio of the
 * medians, and the ratio of the interval ends (lower over the padded upper, upper over
 * the padded lower), which covers the ratio with at least the joint coverage of the two. */
static void contend_slowdowns(struct contend_cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct contend_cell *pad = NULL;
		c[i].slow = c[i].slow_lo = c[i].slow_hi = NAN;
		for (size_t j = 0; j < n; j++)
			if (c[j].ex == c[i].ex && c[j].layout == CONTEND_PADDED)
				pad = &c[j];
		if (!pad || !(pad->st.median > 0))
			continue;
		c[i].slow = c[i].st.median / pad->st.median;
		if (c[i].st.has_ci && pad->st.has_ci && pad->st.ci_lo > 0) {
			c[i].slow_lo = c[i].st.ci_lo / pad->st.ci_hi;
			c[i].slow_hi = c[i].st.ci_hi / pad->st.ci_lo;
		}
	}
}

/* "0,1": the PUs the workers were planned on, or "unbound". */
static void contend_pus(char *buf, size_t len, const struct run_result *r)
{
	buf[0] = 0;
	for (unsigned k = 0; r->planned && k < r->workers; k++) {
		if (r->planned[k] < 0) {
			cb_fmt(buf, len, "unbound");
			return;
		}
		cb_append(buf, len, "%s%d", k ? "," : "", r->planned[k]);
	}
	if (!buf[0])
		cb_fmt(buf, len, "unbound");
}

static void contend_print(const struct contend_opts *o, enum bind_policy bind,
			  const struct contend_cell *c, size_t n)
{
	char pus[256], t[32], lo[32], hi[32], ci[80], rate[48], slow[64];
	int mutex = 0, control = 0;

	contend_pus(pus, sizeof(pus), &c[0].r);
	printf("contend: %u workers (--bind %s: PUs %s), %llu increments each per repetition;\n"
	       "median of %u repetition%s after %u warm-up%s, every one verified\n\n", o->workers,
	       bind_policy_name(bind), pus, (unsigned long long)o->increments, o->reps,
	       o->reps == 1 ? "" : "s", o->warmup, o->warmup == 1 ? "" : "s");
	printf("  %-8s %-7s %10s  %-22s %18s  %s\n", "executor", "layout", "median",
	       "95% interval", "increments/s", "vs padded");
	for (size_t i = 0; i < n; i++) {
		const struct contend_cell *x = &c[i];
		cb_fmt_time(t, sizeof(t), x->st.median);
		if (x->st.has_ci) {
			cb_fmt_time(lo, sizeof(lo), x->st.ci_lo);
			cb_fmt_time(hi, sizeof(hi), x->st.ci_hi);
			cb_fmt(ci, sizeof(ci), "[%s, %s]", lo, hi);
		} else {
			cb_fmt(ci, sizeof(ci), "-");
		}
		cb_fmt_rate(rate, sizeof(rate), x->rate, "");
		if (isfinite(x->slow_lo))
			cb_fmt(slow, sizeof(slow), "%.2fx [%.2f, %.2f]", x->slow, x->slow_lo, x->slow_hi);
		else if (isfinite(x->slow))
			cb_fmt(slow, sizeof(slow), "%.2fx", x->slow);
		else
			cb_fmt(slow, sizeof(slow), "-");
		printf("  %-8s %-7s %10s  %-22s %18s  %s\n", i && c[i - 1].ex == x->ex ? "" :
		       x->ex->name, contend_layout_names[x->layout], t, ci, rate, slow);
		mutex |= x->layout == CONTEND_MUTEX;
		control |= !(x->ex->flags & EX_SHARED_DATA);
	}
	printf("\n  vs padded: median time over the padded layout's on the same executor, with the\n"
	       "  ratio of the 95%% intervals' ends (\"-\": no padded layout, or under 6 samples)\n");
	if (control)
		printf("  fork: each process increments its own copy of every counter: nothing is\n"
		       "  shared, the control\n");
	for (size_t i = 0; mutex && i < n; i++)
		if (c[i].layout == CONTEND_MUTEX)
			printf("  %s mutex: %s\n", c[i].ex->name, contend_mutex_kind(c[i].ex));
	printf("  verified: every repetition's counters add up to %u x %llu increments\n",
	       o->workers, (unsigned long long)o->increments);
}

static void contend_add_interval(struct jsonb *b, cJSON *o, const char *k, double lo, double hi)
{
	double v[2] = { lo, hi };
	if (isfinite(lo) && isfinite(hi))
		jsonb_item(b, o, k, jsonb_num_array(b, v, 2));
	else
		jsonb_add_null(b, o, k);
}

static cJSON *contend_json(struct jsonb *b, const struct contend_opts *o, enum bind_policy bind,
			   const struct contend_cell *c, size_t n)
{
	cJSON *doc = jsonb_chk(b, cJSON_CreateObject()), *arr;
	char hv[32];

	topo_hwloc_version(hv, sizeof(hv));
	jsonb_add_str(b, doc, "schema", CONTEND_SCHEMA);
	jsonb_add_str(b, doc, "cpu_model", topo_cpu_model());
	jsonb_add_str(b, doc, "hwloc", hv);
	jsonb_add_num(b, doc, "workers", o->workers);
	jsonb_add_str(b, doc, "binding", bind_policy_name(bind));
	if (n && c[0].r.planned)
		jsonb_item(b, doc, "pus", jsonb_int_array(b, c[0].r.planned, o->workers));
	jsonb_add_num(b, doc, "increments_per_worker", (double)o->increments);
	jsonb_add_num(b, doc, "repetitions", o->reps);
	jsonb_add_num(b, doc, "warmup", o->warmup);
	arr = jsonb_chk(b, cJSON_CreateArray());
	for (size_t i = 0; arr && i < n; i++) {
		const struct contend_cell *x = &c[i];
		cJSON *j = jsonb_chk(b, cJSON_CreateObject()), *tp;
		jsonb_add_str(b, j, "executor", x->ex->name);
		jsonb_add_str(b, j, "layout", contend_layout_names[x->layout]);
		jsonb_add_bool(b, j, "shared", (x->ex->flags & EX_SHARED_DATA) != 0);
		if (x->layout == CONTEND_MUTEX)
			jsonb_add_str(b, j, "mutex", contend_mutex_kind(x->ex));
		jsonb_add_num(b, j, "median_s", x->st.median);
		contend_add_interval(b, j, "ci95_s", x->st.has_ci ? x->st.ci_lo : NAN, x->st.ci_hi);
		if (x->st.has_ci)
			jsonb_add_num(b, j, "ci95_level", x->st.ci_level);
		else
			jsonb_add_null(b, j, "ci95_level");
		tp = jsonb_chk(b, cJSON_CreateObject());
		jsonb_add_num(b, tp, "value", x->rate);
		contend_add_interval(b, tp, "ci95", x->rate_lo, x->rate_hi);
		jsonb_add_str(b, tp, "unit", "increments/s");
		jsonb_item(b, j, "throughput", tp);
		if (isfinite(x->slow))
			jsonb_add_num(b, j, "slowdown_vs_padded", x->slow);
		else
			jsonb_add_null(b, j, "slowdown_vs_padded");
		contend_add_interval(b, j, "slowdown_ci95", x->slow_lo, x->slow_hi);
		jsonb_add_num(b, j, "increments", (double)x->r.items);
		jsonb_item(b, j, "samples_s", jsonb_num_array(b, x->r.samples, x->r.nsamples));
		jsonb_add_num(b, j, "off_pu_repetitions", x->r.strayed);
		jsonb_add_bool(b, j, "verified", x->r.verified);
		jsonb_push(b, arr, j);
	}
	jsonb_item(b, doc, "results", arr);
	return doc;
}

static void contend_free(struct contend_cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_result_free(&c[i].r);
	free(c);
}

int cmd_contend(int argc, char **argv)
{
	const struct executor *ex[CONTEND_MAX_EXECUTORS];
	struct contend_opts o;
	struct contend_cell *c;
	enum bind_policy bind;
	size_t nex, n = 0;
	int rc, tty;
	unsigned pus;

	memset(&o, 0, sizeof(o));
	rc = opts_parse(&opt_contend, argc, argv, &o);
	if (rc < 0)
		return CB_EXIT_USAGE;
	if (rc == 0) {
		printf("usage: concbench contend [options]\n\n"
		       "false sharing, one atomic counter and a mutex: pinned workers increment\n"
		       "counters; increments/s per executor and layout, and the slowdown against\n"
		       "counters padded to their own cache lines\n\n");
		opts_usage(&opt_contend);
		return 0;
	}
	if (contend_parse_executors(o.ex_arg, ex, &nex))
		return CB_EXIT_USAGE;
	if (bind_policy_parse(o.bind_arg ? o.bind_arg : "compact", &bind) < 0) {
		cb_error("--bind: %s", bind_policy_error());
		return CB_EXIT_USAGE;
	}
	pus = bind == BIND_CPUSET ? bind_policy_capacity(bind) : topo_allowed_pus(NULL, 0);
	if (bind != BIND_NONE && o.workers > pus) {
		cb_error("--workers: %u workers but only %u processing units %s; use --bind none "
			 "to oversubscribe", o.workers, pus,
			 bind == BIND_CPUSET ? "in the cpuset" : "here");
		return CB_EXIT_USAGE;
	}
	if (!o.layouts)
		o.layouts = (1u << CONTEND_NLAYOUTS) - 1;
	if (run_fault_from_env() < 0)
		return CB_EXIT_USAGE;
	c = calloc(nex ? nex * CONTEND_NLAYOUTS : 1, sizeof(*c));
	if (!c) {
		cb_error("out of memory");
		return CB_EXIT_RUNFAIL;
	}
	tty = isatty(2) && !o.json;
	for (size_t i = 0; i < nex; i++)
		for (int l = 0; l < CONTEND_NLAYOUTS; l++) {
			struct cb_err e = { 0 };
			if (!(o.layouts & (1u << l)))
				continue;
			c[n].ex = ex[i];
			c[n].layout = l;
			if (tty)
				fprintf(stderr, "\r\033[K[%zu] %s, %s", n + 1, ex[i]->name,
					contend_layout_names[l]);
			if (contend_measure(&o, bind, &c[n], &e) < 0) {
				if (tty)
					fprintf(stderr, "\r\033[K");
				cb_error("contend: %s %s: %s", ex[i]->name, contend_layout_names[l],
					 e.code ? e.msg : "failed");
				run_exit_if_thread_stuck();
				contend_free(c, n + 1);
				return CB_EXIT_RUNFAIL;
			}
			n++;
		}
	if (tty)
		fprintf(stderr, "\r\033[K");
	contend_slowdowns(c, n);
	for (size_t i = 0; i < n; i++)
		if (c[i].r.strayed)
			cb_warn("%s %s: a worker ran off its PU in %u of %u repetitions; the binding "
				"did not hold", c[i].ex->name, contend_layout_names[c[i].layout],
				c[i].r.strayed, o.reps);
	rc = 0;
	if (o.json || o.output) {
		struct jsonb b = { 0 };
		cJSON *doc = contend_json(&b, &o, bind, c, n);
		if (report_emit(jsonb_finish(&b, doc), o.output, o.json) < 0)
			rc = CB_EXIT_RUNFAIL;
	}
	if (!o.json && !rc)
		contend_print(&o, bind, c, n);
	contend_free(c, n);
	return rc;
}
