/* SPDX-License-Identifier: MIT */
/* run: the measurement loop (see run.h and ../shared/MEASUREMENT.md). */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor.h"
#include "registry.h"
#include "sync.h"
#include "topo.h"
#include "util.h"
#include "worker.h"

#define START_DEADLINE_NS (60LL * 1000000000LL)
#define TIMEOUT_FACTOR 10
#define TIMEOUT_FLOOR_NS 1000000000LL
#define PROGRESS_AFTER_NS 2000000000LL

/* The default suite: every workload, sized to finish in under a minute on 2 cores. */
struct suite_group {
	const char *workload;
	uint64_t size;
	uint64_t tasks;
	int64_t opt[WL_MAX_OPTIONS];
};
static const struct suite_group suite_groups[] = {
	{ "cpu", 200000000, 0, { 0 } },                /* sumsq, 200M numbers */
	{ "io", 0, 48, { 0, 2000000 } },               /* sleep, 48 tasks of 2 ms */
	{ "mem", 0, 0, { 0 } },                        /* triad, 4x the last-level cache */
};

static void on_stop_signal(int sig)
{
	cb_stop_signal = sig;
}

void run_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;     /* no SA_RESTART: blocking waits return EINTR and notice */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int run_fault_from_env(void)
{
	const char *f = getenv("CONCBENCH_TEST_FAULT");
	if (!f || !*f)
		return 0;
	return worker_fault_parse(f);
}

static void add_warning(struct run_set *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_warning(struct run_set *rs, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char **nw;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nw = realloc(rs->warnings, (rs->nwarnings + 1) * sizeof(*nw));
	if (!nw)
		return;
	rs->warnings = nw;
	rs->warnings[rs->nwarnings] = strdup(buf);
	if (rs->warnings[rs->nwarnings])
		rs->nwarnings++;
}

static void result_free(struct run_result *r)
{
	free(r->samples);
	free(r->skews);
	free(r->worker_s);
	free(r->cpus);
	free(r->planned);
}

void run_set_free(struct run_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		result_free(&rs->runs[i]);
	for (size_t i = 0; i < rs->nwarnings; i++)
		free(rs->warnings[i]);
	free(rs->warnings);
	free(rs->runs);
	memset(rs, 0, sizeof(*rs));
}

static struct run_result *new_result(struct run_set *rs)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		struct run_result *n = realloc(rs->runs, cap * sizeof(*n));
		if (!n)
			return NULL;
		rs->runs = n;
		rs->cap = cap;
	}
	memset(&rs->runs[rs->n], 0, sizeof(rs->runs[0]));
	return &rs->runs[rs->n++];
}

static void add_cpu(struct run_result *r, int cpu)
{
	if (cpu < 0)
		return;
	for (unsigned i = 0; i < r->ncpus; i++)
		if (r->cpus[i] == cpu)
			return;
	int *n = realloc(r->cpus, (r->ncpus + 1) * sizeof(*n));
	if (!n)
		return;
	r->cpus = n;
	r->cpus[r->ncpus++] = cpu;
}

struct progress {
	int on;
	int64_t t0;
	size_t cell, ncells;
	int shown;
};

static void progress_show(struct progress *pg, const char *what, unsigned rep, unsigned total)
{
	if (!pg->on || now_ns() - pg->t0 < PROGRESS_AFTER_NS)
		return;
	fprintf(stderr, "\r\033[K[%zu/%zu] %s: repetition %u of %u", pg->cell, pg->ncells, what,
		rep, total);
	pg->shown = 1;
}

static void progress_clear(struct progress *pg)
{
	if (pg->shown)
		fprintf(stderr, "\r\033[K");
	pg->shown = 0;
}

/* Check one repetition's results: every task done once and without error, the workload's
 * own verification, and the baseline's checksum when the work is the same. */
static int check_rep(const struct wl_inst *w, const struct task_out *outs, const uint64_t *ref,
		     uint64_t *checksum, struct cb_err *e)
{
	char why[256];
	for (size_t t = 0; t < w->ntasks; t++) {
		if (!outs[t].done || outs[t].task != t) {
			cb_err_set(e, -EBADMSG, "verification failed: task %zu produced no result", t);
			return -EBADMSG;
		}
		if (outs[t].err) {
			cb_err_set(e, outs[t].err, "task %zu failed: %s", t, strerror(-outs[t].err));
			return outs[t].err;
		}
	}
	if (w->wl->verify(w, outs, checksum, why, sizeof(why)) < 0) {
		cb_err_set(e, -EBADMSG, "verification failed: %s", why);
		return -EBADMSG;
	}
	if (ref && *checksum != *ref) {
		cb_err_set(e, -EBADMSG, "verification failed: checksum %016llx differs from the "
			   "sequential run's %016llx", (unsigned long long)*checksum,
			   (unsigned long long)*ref);
		return -EBADMSG;
	}
	return 0;
}

static int64_t rep_deadline(const struct config *c, const struct run_result *base, unsigned scale)
{
	if (c->timeout_ns)
		return now_ns() + c->timeout_ns;
	if (!base)
		return now_ns() + START_DEADLINE_NS;
	/* Generous: ten times the baseline's time for the same work, plus a second. */
	return now_ns() + (int64_t)(TIMEOUT_FACTOR * base->st.median * 1e9 * scale) + TIMEOUT_FLOOR_NS;
}

static int run_cell(const struct config *c, const struct machine *m, struct wl_inst *w,
		    const struct executor *ex, const struct run_result *base, struct run_result *r,
		    struct progress *pg, struct cb_err *e)
{
	struct pool_cfg cfg = { .w = w, .workers = w->workers, .dynamic = c->dynamic };
	struct pool *pool = NULL;
	struct task_out *outs = NULL;
	struct worker_rec *recs = NULL;
	unsigned total = c->warmup + c->reps;
	char what[128];
	int64_t startup_ns = 0;
	int rc;
	(void)m;

	cb_fmt(what, sizeof(what), "%s on %s with %u worker%s", w->wl->name, ex->name, w->workers,
	       w->workers == 1 ? "" : "s");
	r->samples = calloc(c->reps, sizeof(double));
	r->skews = calloc(c->reps, sizeof(double));
	r->worker_s = calloc((size_t)c->reps * w->workers, sizeof(double));
	r->planned = calloc(w->workers, sizeof(int));
	outs = aligned_alloc(64, w->ntasks * sizeof(*outs));
	recs = aligned_alloc(64, w->workers * sizeof(*recs));
	if (!r->samples || !r->skews || !r->worker_s || !r->planned || !outs || !recs) {
		cb_err_set(e, -ENOMEM, "%s: out of memory", what);
		rc = -ENOMEM;
		goto out;
	}
	rc = topo_plan(ex->flags & EX_SINGLE_WORKER ? BIND_NONE : c->bind, w->workers);
	if (rc < 0) {
		cb_err_set(e, rc, "%s: cannot plan --bind %s", what, bind_policy_name(c->bind));
		goto out;
	}
	for (unsigned k = 0; k < w->workers; k++)
		r->planned[k] = topo_plan_pu(k);
	worker_fault_arm(ex->name);
	cfg.deadline_ns = now_ns() + (c->timeout_ns > START_DEADLINE_NS ? c->timeout_ns
									 : START_DEADLINE_NS);
	rc = ex->start(&cfg, &pool, &startup_ns, e);
	if (rc < 0)
		goto out;
	r->startup_s = (double)startup_ns * 1e-9;
	for (unsigned rep = 0; rep < total; rep++) {
		int64_t lo = INT64_MAX, hi = INT64_MIN, last = INT64_MIN;
		uint64_t sum;
		progress_show(pg, what, rep + 1, total);
		rc = ex->run(pool, rep_deadline(c, base, w->scale), outs, recs, e);
		if (rc == 0 && cb_stop_signal) {
			rc = -EINTR;
			cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		}
		if (rc < 0)
			goto out;
		rc = check_rep(w, outs, base && w->scale == 1 ? &base->checksum : NULL, &sum, e);
		if (rc < 0)
			goto out;
		r->checksum = sum;
		if (rep < c->warmup)
			continue;
		unsigned i = rep - c->warmup;
		for (unsigned k = 0; k < w->workers; k++) {
			const struct worker_rec *x = &recs[k];
			if (x->t_start < lo)
				lo = x->t_start;
			if (x->t_start > last)
				last = x->t_start;
			if (x->t_end > hi)
				hi = x->t_end;
			r->worker_s[(size_t)i * w->workers + k] = (double)(x->t_end - x->t_start) * 1e-9;
			r->ru.user_s += (double)x->utime_ns * 1e-9;
			r->ru.sys_s += (double)x->stime_ns * 1e-9;
			r->ru.vcsw += x->nvcsw;
			r->ru.ivcsw += x->nivcsw;
			r->ru.minflt += x->minflt;
			r->ru.majflt += x->majflt;
			if (x->maxrss_kb > r->ru.maxrss_kb)
				r->ru.maxrss_kb = x->maxrss_kb;
			add_cpu(r, x->cpu_start);
			add_cpu(r, x->cpu_end);
		}
		r->samples[i] = (double)(hi - lo) * 1e-9;
		r->skews[i] = (double)(last - lo) * 1e-9;
		r->nsamples = i + 1;
	}
	r->verified = 1;
	rc = 0;
out:
	ex->stop(pool);
	free(outs);
	free(recs);
	if (rc < 0 && e->code && strncmp(e->msg, what, strlen(what)) != 0) {
		char msg[sizeof(e->msg)];
		cb_fmt(msg, sizeof(msg), "%s: %s", what, e->msg);
		memcpy(e->msg, msg, sizeof(msg));
	}
	return rc;
}

static void finish_stats(struct run_result *r, const struct run_result *base)
{
	stats_summarize(r->samples, r->nsamples, &r->st);
	r->speedup = r->efficiency = r->karp_flatt = NAN;
	if (base && r->st.median > 0) {
		double s = base->st.median / r->st.median;
		if (r->weak)
			s *= r->workers;    /* scaled speedup: W times the work in the time measured */
		r->speedup = s;
		r->efficiency = s / r->workers;
		if (r->workers > 1)
			r->karp_flatt = (1.0 / s - 1.0 / r->workers) / (1.0 - 1.0 / r->workers);
	}
}

static void cell_warnings(struct run_set *rs, const struct run_result *r, unsigned pus)
{
	const char *ex = r->ex->name;
	double skew = stats_median(r->skews, r->nsamples);
	if (r->st.median > 0 && skew > 0.01 * r->st.median)
		add_warning(rs, "%s on %s with %u workers: start skew %.3g s is over 1%% of the "
			    "sample; the machine may be busy", r->wl->name, ex, r->workers, skew);
	if (r->st.median < 1e-3)
		add_warning(rs, "%s on %s with %u workers: timed region %.3g s is under 1 ms; "
			    "raise --size", r->wl->name, ex, r->workers, r->st.median);
	if (r->workers + 1 > pus && !(r->ex->flags & EX_SINGLE_WORKER) && r->workers > pus)
		add_warning(rs, "%s on %s: %u workers on %u processing units; they time-share",
			    r->wl->name, ex, r->workers, pus);
}

/* Initialise a workload instance; on a parameter error print it (exit 2 material). */
static int inst_init(struct wl_inst *w, const struct workload *wl, const struct wl_params *p,
		     unsigned workers, unsigned scale, const struct machine *m)
{
	char why[256] = "";
	int rc;
	memset(w, 0, sizeof(*w));
	w->wl = wl;
	w->p = *p;
	w->workers = workers;
	w->scale = scale;
	rc = wl->init(w, m, why, sizeof(why));
	if (rc < 0) {
		if (why[0])
			cb_error("%s", why);
		else
			cb_error("%s: cannot initialise: %s", wl->name, strerror(-rc));
		if (wl->fini)
			wl->fini(w);
		return rc;
	}
	if (w->ntasks < 1 || w->ntasks > WL_MAX_TASKS) {
		cb_error("%s: %zu tasks, expected 1 to %d", wl->name, w->ntasks, WL_MAX_TASKS);
		if (wl->fini)
			wl->fini(w);
		return -EINVAL;
	}
	return 0;
}

static void inst_fini(struct wl_inst *w)
{
	if (w->wl && w->wl->fini)
		w->wl->fini(w);
}

/* Validate a group's parameters at the extremes before anything runs, so that bad input
 * gives exit 2 and no partial work. */
static int validate_group(const struct config *c, const struct workload *wl,
			  const struct wl_params *p, const struct machine *m)
{
	struct wl_inst w;
	unsigned top = c->workers[c->nworkers - 1];
	int rc = inst_init(&w, wl, p, top, c->weak ? top : 1, m);
	if (rc < 0)
		return rc;
	if (c->dynamic && w.tasks_own_data) {
		cb_error("--schedule dynamic: %s tasks own their data and run where it was "
			 "prepared; use --schedule static", wl->name);
		rc = -EINVAL;
	}
	if (w.ntasks < top && rc == 0 && c->nex)
		fprintf(stderr, "concbench: warning: %s has %zu tasks for up to %u workers; some "
			"workers will idle\n", wl->name, w.ntasks, top);
	inst_fini(&w);
	return rc;
}

static int run_group(const struct config *c, int group, const struct workload *wl,
		     const struct wl_params *p, const struct machine *m, struct run_set *rs,
		     struct progress *pg)
{
	struct cb_err e = { 0 };
	struct wl_inst w;
	struct run_result *r;
	size_t base_idx;
	int rc;

	/* The baseline: seq, one worker, the work of one worker. */
	if (inst_init(&w, wl, p, 1, 1, m) < 0)
		return CB_EXIT_USAGE;
	r = new_result(rs);
	if (!r) {
		inst_fini(&w);
		cb_error("out of memory");
		return CB_EXIT_RUNFAIL;
	}
	base_idx = rs->n - 1;
	pg->cell++;
	rc = run_cell(c, m, &w, &executor_seq, NULL, r, pg, &e);
	r->group = group;
	r->wl = wl;
	r->p = w.p;
	r->ex = &executor_seq;
	r->workers = 1;
	r->weak = c->weak;
	r->dynamic = c->dynamic;
	r->warmup = c->warmup;
	r->items = w.items;
	r->unit = w.unit;
	r->ntasks = w.ntasks;
	inst_fini(&w);
	if (rc < 0) {
		progress_clear(pg);
		cb_error("%s", e.msg);
		return CB_EXIT_RUNFAIL;
	}
	finish_stats(r, r);
	cell_warnings(rs, r, m->pus);

	for (size_t wi = 0; wi < c->nworkers; wi++) {
		for (size_t xi = 0; xi < c->nex; xi++) {
			unsigned workers = c->workers[wi];
			const struct executor *ex = c->ex[xi];
			if (inst_init(&w, wl, p, workers, c->weak ? workers : 1, m) < 0)
				return CB_EXIT_USAGE;
			r = new_result(rs);
			if (!r) {
				inst_fini(&w);
				cb_error("out of memory");
				return CB_EXIT_RUNFAIL;
			}
			pg->cell++;
			memset(&e, 0, sizeof(e));
			rc = run_cell(c, m, &w, ex, &rs->runs[base_idx], r, pg, &e);
			r->group = group;
			r->wl = wl;
			r->p = w.p;
			r->ex = ex;
			r->workers = workers;
			r->bind = c->bind;
			r->weak = c->weak;
			r->dynamic = c->dynamic;
			r->warmup = c->warmup;
			r->items = w.items;
			r->unit = w.unit;
			r->ntasks = w.ntasks;
			inst_fini(&w);
			if (rc < 0) {
				progress_clear(pg);
				cb_error("%s", e.msg);
				return CB_EXIT_RUNFAIL;
			}
			finish_stats(r, &rs->runs[base_idx]);
			cell_warnings(rs, r, m->pus);
		}
	}
	return 0;
}

int run_config(const struct config *c, struct run_set *rs)
{
	struct machine m;
	struct progress pg = { .on = !c->quiet && isatty(2), .t0 = now_ns() };
	struct wl_params params[ARRAY_SIZE(suite_groups)];
	const struct workload *wls[ARRAY_SIZE(suite_groups)];
	size_t ngroups = 0;
	int rc = 0;

	topo_machine(&m);
	if (c->wl) {
		wls[0] = c->wl;
		params[0] = c->params;
		ngroups = 1;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(suite_groups); i++) {
			wls[i] = workload_find(suite_groups[i].workload);
			memset(&params[i], 0, sizeof(params[i]));
			params[i].size = suite_groups[i].size;
			params[i].tasks = suite_groups[i].tasks;
			memcpy(params[i].opt, suite_groups[i].opt, sizeof(params[i].opt));
		}
		ngroups = ARRAY_SIZE(suite_groups);
	}
	for (size_t g = 0; g < ngroups; g++)
		if (validate_group(c, wls[g], &params[g], &m) < 0)
			return CB_EXIT_USAGE;
	pg.ncells = ngroups * (1 + c->nworkers * c->nex);
	for (size_t g = 0; g < ngroups && !rc; g++)
		rc = run_group(c, (int)g, wls[g], &params[g], &m, rs, &pg);
	progress_clear(&pg);
	if (!rc && m.pus < 2)
		add_warning(rs, "only %u processing unit available: no parallel speedup is possible",
			    m.pus);
	return rc;
}
