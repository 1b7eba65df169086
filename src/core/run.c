/* SPDX-License-Identifier: MIT */
/* run: the measurement loop (see run.h and docs/measurement.md). */
#define _GNU_SOURCE
#include "core/run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/registry.h"
#include "core/sync.h"
#include "core/worker.h"
#include "measure/hostinfo.h"
#include "topo/topo.h"

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
	free(r->outlier_idx);
	free(r->samples);
	free(r->skews);
	free(r->worker_s);
	free(r->cpus);
	free(r->planned);
	free(r->binding_error);
}

void run_set_free(struct run_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		result_free(&rs->runs[i]);
	for (size_t i = 0; i < rs->nwarnings; i++)
		free(rs->warnings[i]);
	free(rs->warnings);
	free(rs->runs);
	if (rs->have_facts)
		host_facts_free(&rs->facts);
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

int run_verify_outs(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		    struct cb_err *e)
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
	return 0;
}

/* Check one repetition's results: run_verify_outs, then the baseline's checksum when the
 * work is the same. */
static int check_rep(const struct wl_inst *w, const struct task_out *outs, const uint64_t *ref,
		     uint64_t *checksum, struct cb_err *e)
{
	int rc = run_verify_outs(w, outs, checksum, e);
	if (rc)
		return rc;
	if (ref && *checksum != *ref) {
		cb_err_set(e, -EBADMSG, "verification failed: checksum %016llx differs from the "
			   "sequential run's %016llx", (unsigned long long)*checksum,
			   (unsigned long long)*ref);
		return -EBADMSG;
	}
	return 0;
}

/* The deadline of one repetition: --timeout when given; else generous, ten times the
 * baseline's time for the same work plus a second; before the baseline has a sample, ten
 * times the group's calibration (one baseline repetition timed before the first round)
 * plus a second. Only that calibration has none. Within a repetition the executors also
 * judge a worker against its finished peers (worker_wait_rep). */
static int64_t rep_deadline(const struct config *c, const struct run_result *base, unsigned scale,
			    int64_t calib_ns)
{
	double ref_ns;
	if (c->timeout_ns)
		return now_ns() + c->timeout_ns;
	if (base && base->nsamples)
		ref_ns = stats_median(base->samples, base->nsamples) * 1e9;
	else if (calib_ns > 0)
		ref_ns = (double)calib_ns;
	else
		return INT64_MAX;
	ref_ns *= (double)TIMEOUT_FACTOR * scale;
	if (!(ref_ns < 1e17))
		return INT64_MAX;
	return now_ns() + (int64_t)ref_ns + TIMEOUT_FLOOR_NS;
}

/* Record the first worker that could not be bound or place its data. */
static void note_binding(const struct config *c, struct run_result *r, const struct worker_rec *recs)
{
	char buf[256];
	for (unsigned k = 0; k < r->workers && !r->binding_error; k++) {
		if (recs[k].bind_err)
			cb_fmt(buf, sizeof(buf), "worker %u could not be bound to PU %d: %s", k,
			       r->planned ? r->planned[k] : -1, strerror(-recs[k].bind_err));
		else if (recs[k].membind_err)
			cb_fmt(buf, sizeof(buf), "worker %u could not place its data (--membind %s): %s",
			       k, membind_name(c->membind), strerror(-recs[k].membind_err));
		else
			continue;
		r->binding_error = strdup(buf);
		if (!r->binding_error)
			r->binding_error = strdup("a worker could not be bound");
	}
}

/* Make room for n more samples in a result. */
static int grow(struct run_result *r, unsigned more)
{
	unsigned need = r->nsamples + more;
	double *a, *b, *w;
	if (need <= r->cap)
		return 0;
	if (!(a = realloc(r->samples, need * sizeof(double))))
		return -ENOMEM;
	r->samples = a;
	if (!(b = realloc(r->skews, need * sizeof(double))))
		return -ENOMEM;
	r->skews = b;
	if (!(w = realloc(r->worker_s, (size_t)need * r->workers * sizeof(double))))
		return -ENOMEM;
	r->worker_s = w;
	r->cap = need;
	return 0;
}

/* One visit of a cell in a round: start a fresh pool (timed as startup), discard the
 * warm-ups, keep nreps samples, stop. Every repetition is verified. */
static int run_cell(const struct config *c, struct wl_inst *w, const struct executor *ex,
		    const struct run_result *base, int64_t calib_ns, struct run_result *r,
		    unsigned nreps, struct progress *pg, struct cb_err *e)
{
	struct pool_cfg cfg = { .w = w, .workers = w->workers, .dynamic = c->dynamic };
	struct pool *pool = NULL;
	struct task_out *outs = NULL;
	struct worker_rec *recs = NULL;
	unsigned total = c->warmup + nreps;
	char what[128];
	int64_t startup_ns = 0;
	int rc;

	cb_fmt(what, sizeof(what), "%s on %s with %u worker%s", w->wl->name, ex->name, w->workers,
	       w->workers == 1 ? "" : "s");
	if (!r->planned)
		r->planned = calloc(w->workers, sizeof(int));
	outs = aligned_alloc(64, w->ntasks * sizeof(*outs));
	recs = aligned_alloc(64, w->workers * sizeof(*recs));
	if (grow(r, nreps) < 0 || !r->planned || !outs || !recs) {
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
	topo_set_membind(c->membind);
	cfg.deadline_ns = now_ns() + (c->timeout_ns > START_DEADLINE_NS ? c->timeout_ns
									 : START_DEADLINE_NS);
	rc = ex->start(&cfg, &pool, &startup_ns, e);
	if (rc < 0)
		goto out;
	if (r->nstartups < ARRAY_SIZE(r->startups))
		r->startups[r->nstartups++] = (double)startup_ns / 1e9;
	for (unsigned rep = 0; rep < total; rep++) {
		int64_t lo = INT64_MAX, hi = INT64_MIN, last = INT64_MIN;
		uint64_t sum = 0;
		unsigned i;
		progress_show(pg, what, rep + 1, total);
		rc = ex->run(pool, rep_deadline(c, base, w->scale, calib_ns), outs, recs, e);
		if (rc == 0 && cb_stop_signal) {
			rc = -EINTR;
			cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		}
		if (rc < 0)
			goto out;
		/* The independent reference every time; the baseline's checksum at the end. */
		rc = check_rep(w, outs, r->nsamples || r->verified ? &r->checksum : NULL, &sum, e);
		if (rc < 0)
			goto out;
		r->checksum = sum;
		r->verified = 1;
		note_binding(c, r, recs);
		if (rep < c->warmup)
			continue;
		i = r->nsamples;
		for (unsigned k = 0; k < w->workers; k++) {
			if (r->planned[k] >= 0 && (recs[k].cpu_start != r->planned[k] ||
						   recs[k].cpu_end != r->planned[k])) {
				r->strayed++;
				break;
			}
		}
		for (unsigned k = 0; k < w->workers; k++) {
			const struct worker_rec *x = &recs[k];
			if (x->t_start < lo)
				lo = x->t_start;
			if (x->t_start > last)
				last = x->t_start;
			if (x->t_end > hi)
				hi = x->t_end;
			r->worker_s[(size_t)i * w->workers + k] = (double)(x->t_end - x->t_start) / 1e9;
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
		/* Dividing (one rounding) gives the double nearest the decimal nanoseconds, so the
		 * report can print them short and still exact. */
		r->samples[i] = (double)(hi - lo) / 1e9;
		r->skews[i] = (double)(last - lo) / 1e9;
		r->nsamples = i + 1;
	}
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

/* Level of each median's interval so that both hold together with >= 95%. */
#define JOINT_LEVEL 0.9746794344808963   /* sqrt(0.95) */

static double karp_flatt(double s, unsigned p)
{
	return (1.0 / s - 1.0 / p) / (1.0 - 1.0 / p);
}

static void finish_stats(struct run_result *r, const struct run_result *base)
{
	double blo, bhi, rlo, rhi, cov;
	stats_summarize(r->samples, r->nsamples, &r->st);
	r->startup_s = stats_median(r->startups, r->nstartups);
	free(r->outlier_idx);
	r->outlier_idx = calloc(r->nsamples ? r->nsamples : 1, sizeof(size_t));
	r->noutliers = r->outlier_idx ? stats_outliers(r->samples, r->nsamples, r->outlier_idx) : 0;
	r->first_slow = r->noutliers && r->outlier_idx[0] == 0 && r->samples[0] > r->st.median;
	r->speedup = r->efficiency = r->karp_flatt = NAN;
	r->speedup_lo = r->speedup_hi = r->kf_lo = r->kf_hi = NAN;
	{
		double wall = 0;
		for (unsigned i = 0; i < r->nsamples; i++)
			wall += r->samples[i];
		r->cpu_util = wall > 0 ? (r->ru.user_s + r->ru.sys_s) / (wall * r->workers) : NAN;
	}
	if (!base || !(r->st.median > 0))
		return;
	{
		double f = r->weak ? r->workers : 1;   /* weak: W times the work in the time measured */
		r->speedup = f * base->st.median / r->st.median;
		r->efficiency = r->speedup / r->workers;
		if (r->workers > 1)
			r->karp_flatt = karp_flatt(r->speedup, r->workers);
		if (stats_median_ci(base->samples, base->nsamples, JOINT_LEVEL, &blo, &bhi, &cov) == 0 &&
		    stats_median_ci(r->samples, r->nsamples, JOINT_LEVEL, &rlo, &rhi, &cov) == 0 &&
		    rlo > 0) {
			r->speedup_lo = f * blo / rhi;
			r->speedup_hi = f * bhi / rlo;
			if (r->workers > 1) {
				r->kf_lo = karp_flatt(r->speedup_hi, r->workers);
				r->kf_hi = karp_flatt(r->speedup_lo, r->workers);
			}
		}
	}
}

static void run_name(char *buf, size_t len, const struct run_result *r)
{
	cb_fmt(buf, len, "%s on %s with %u worker%s", r->wl->name, r->ex->name, r->workers,
	       r->workers == 1 ? "" : "s");
}

static void cell_warnings(struct run_set *rs, const struct run_result *r, unsigned pus)
{
	char name[96];
	double skew = stats_median(r->skews, r->nsamples);
	run_name(name, sizeof(name), r);
	if (r->st.cv > 0.05)
		add_warning(rs, "%s: coefficient of variation %.1f%% is over 5%%; quiet the machine "
			    "or add --repetitions", name, 100 * r->st.cv);
	if (r->first_slow)
		add_warning(rs, "%s: the first kept sample is a slow outlier; raise --warmup", name);
	else if (r->noutliers)
		add_warning(rs, "%s: %zu outlier sample%s (kept in the statistics); look for "
			    "background activity", name, r->noutliers, r->noutliers == 1 ? "" : "s");
	if (r->st.median > 0 && skew > 0.01 * r->st.median)
		add_warning(rs, "%s: start skew %.3g s is over 1%% of the sample; the machine may be "
			    "busy", name, skew);
	if (r->st.median < 1e-3)
		add_warning(rs, "%s: timed region %.3g s is under 1 ms; raise --size", name,
			    r->st.median);
	if (!(r->ex->flags & EX_SINGLE_WORKER) && r->workers > pus)
		add_warning(rs, "%s: %u workers on %u processing units time-share; expect no gain "
			    "from the extra workers for cpu work", name, r->workers, pus);
	if (r->binding_error)
		add_warning(rs, "%s: %s; its samples ran unbound there", name, r->binding_error);
	if (r->strayed)
		add_warning(rs, "%s: a bound worker ran off its planned processing unit in %u of %u "
			    "samples; the binding did not hold", name, r->strayed, r->nsamples);
	if (!r->st.has_ci)
		add_warning(rs, "%s: %u samples give no 95%% interval of the median; use "
			    "--repetitions 6 or more", name, r->nsamples);
	if (r->stop_reason && strcmp(r->stop_reason, "max-time") == 0)
		add_warning(rs, "%s: --repetitions auto stopped at --max-time before reaching "
			    "--precision; raise --max-time", name);
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
	if (w.ntasks < top && rc == 0 && c->nex && !c->quiet)
		cb_warn("%s has %zu tasks for up to %u workers; some workers will idle", wl->name,
			w.ntasks, top);
	inst_fini(&w);
	return rc;
}

/* xorshift64*: the order of cells within a round, reproducible from the recorded seed. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void shuffle(size_t *a, size_t n, uint64_t *seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rng_next(seed) % i), t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

struct cell {
	const struct executor *ex;
	unsigned workers;
	size_t ri;          /* index of its result in the run set */
	int finished;       /* auto repetitions: target reached */
};

/* Has an auto-repetition cell reached its target? Records why it stops. */
static int auto_done(const struct config *c, struct run_result *r, double spent_s)
{
	double lo, hi, cov, med;
	if (r->nsamples < c->reps)
		return 0;
	if (spent_s < (double)c->min_time_ns * 1e-9)
		return 0;
	med = stats_median(r->samples, r->nsamples);
	if (stats_median_ci(r->samples, r->nsamples, 0.95, &lo, &hi, &cov) == 0 &&
	    (hi - lo) / 2 <= c->precision * med) {
		r->stop_reason = "precision";
		return 1;
	}
	if (spent_s >= (double)c->max_time_ns * 1e-9) {
		r->stop_reason = "max-time";
		return 1;
	}
	return 0;
}

/* A thread still inside a task: returning would free what it uses. End here (temporary
 * files are already gone); nothing else is left behind. */
static void exit_if_thread_stuck(void)
{
	if (!cb_threads_stuck)
		return;
	cb_error("a worker thread could not be stopped; exiting");
	fflush(NULL);
	_exit(CB_EXIT_RUNFAIL);
}

/* Without --timeout the deadlines come from the baseline's time, which the shuffled order
 * may not have measured yet: time one baseline repetition (no sample, not recorded) before
 * the first round, so that every repetition of every cell has a deadline in any order. */
static int calibrate(const struct config *c, const struct workload *wl, const struct wl_params *p,
		     const struct machine *m, int64_t *calib_ns, struct cb_err *e)
{
	struct pool_cfg cfg = { .workers = 1, .dynamic = c->dynamic };
	struct pool *pool = NULL;
	struct task_out *outs = NULL;
	struct worker_rec rec;
	struct wl_inst w;
	int64_t startup_ns;
	int rc;

	if (inst_init(&w, wl, p, 1, 1, m) < 0)
		return -EINVAL;
	cfg.w = &w;
	outs = aligned_alloc(64, w.ntasks * sizeof(*outs));
	if (!outs) {
		cb_err_set(e, -ENOMEM, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rc = topo_plan(BIND_NONE, 1);
	if (rc < 0) {
		cb_err_set(e, rc, "cannot plan the baseline");
		goto out;
	}
	worker_fault_arm(executor_seq.name);
	topo_set_membind(c->membind);
	cfg.deadline_ns = now_ns() + START_DEADLINE_NS;
	rc = executor_seq.start(&cfg, &pool, &startup_ns, e);
	if (rc == 0)
		rc = executor_seq.run(pool, INT64_MAX, outs, &rec, e);
	if (rc == 0)
		*calib_ns = rec.t_end > rec.t_start ? rec.t_end - rec.t_start : 1;
	executor_seq.stop(pool);
out:
	free(outs);
	inst_fini(&w);
	return rc;
}

static int run_group(const struct config *c, int group, const struct workload *wl,
		     const struct wl_params *p, const struct machine *m, struct run_set *rs,
		     struct progress *pg)
{
	size_t ncells = 1 + c->nworkers * c->nex, first = rs->n;
	struct cell *cells = calloc(ncells, sizeof(*cells));
	size_t *order = calloc(ncells, sizeof(*order));
	double *spent = calloc(ncells, sizeof(*spent));
	struct cb_err e = { 0 };
	int64_t calib_ns = 0;
	int rc = 0;

	if (!cells || !order || !spent) {
		cb_error("out of memory");
		rc = CB_EXIT_RUNFAIL;
		goto out;
	}
	cells[0] = (struct cell){ .ex = &executor_seq, .workers = 1 };
	for (size_t wi = 0, i = 1; wi < c->nworkers; wi++)
		for (size_t xi = 0; xi < c->nex; xi++, i++)
			cells[i] = (struct cell){ .ex = c->ex[xi], .workers = c->workers[wi] };
	for (size_t i = 0; i < ncells; i++) {
		struct run_result *r = new_result(rs);
		if (!r) {
			cb_error("out of memory");
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
		cells[i].ri = rs->n - 1;
		r->group = group;
		r->wl = wl;
		r->ex = cells[i].ex;
		r->workers = cells[i].workers;
		r->bind = cells[i].ex->flags & EX_SINGLE_WORKER ? BIND_NONE : c->bind;
		r->membind = c->membind;
		r->weak = c->weak;
		r->dynamic = c->dynamic;
		r->warmup = c->warmup;
		r->stop_reason = c->reps_auto ? NULL : "fixed";
		order[i] = i;
	}
	if (!c->timeout_ns) {
		int cr = calibrate(c, wl, p, m, &calib_ns, &e);
		if (cr < 0) {
			progress_clear(pg);
			if (e.code)
				cb_error("%s on seq: %s", wl->name, e.msg);
			exit_if_thread_stuck();
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
	}

	/* Rounds: every cell, seq included, visited once per round in a shuffled order, so
	 * that drift on a shared machine spreads over all of them. With --repetitions auto,
	 * further rounds visit only the cells that have not reached their target. */
	for (unsigned round = 0;; round++) {
		size_t nvisit = 0;
		unsigned nreps;
		if (round < c->rounds) {
			nreps = c->reps / c->rounds + (round < c->reps % c->rounds);
			nvisit = ncells;
			for (size_t i = 0; i < ncells; i++)
				order[i] = i;
		} else {
			if (!c->reps_auto)
				break;
			nreps = c->reps / c->rounds > 5 ? c->reps / c->rounds : 5; /* NOLINT: rounds >= 1 (cli) */
			for (size_t i = 0; i < ncells; i++) {
				struct run_result *r = &rs->runs[cells[i].ri];
				if (!cells[i].finished && !(cells[i].finished = auto_done(c, r, spent[i])))
					order[nvisit++] = i;
			}
			if (!nvisit)
				break;
		}
		if (!nreps)
			continue;
		shuffle(order, nvisit, &rs->rng);
		for (size_t v = 0; v < nvisit; v++) {
			struct cell *cl = &cells[order[v]];
			struct run_result *r = &rs->runs[cl->ri];
			const struct run_result *base = &rs->runs[first];
			unsigned before = r->nsamples;
			struct wl_inst w;
			/* The parameters passed validate_group: failing here is the run's failure
			 * (memory, the temporary directory), not bad input. */
			if (worker_fault_initfail(cl->ex->name)) {
				progress_clear(pg);
				cb_error("%s: cannot initialise for %s: %s", wl->name, cl->ex->name,
					 strerror(ENOMEM));
				rc = CB_EXIT_RUNFAIL;
				goto out;
			}
			if (inst_init(&w, wl, p, cl->workers, c->weak ? cl->workers : 1, m) < 0) {
				rc = CB_EXIT_RUNFAIL;
				goto out;
			}
			r->p = w.p;
			r->items = w.items;
			r->unit = w.unit;
			r->ntasks = w.ntasks;
			r->scale = w.scale;
			pg->cell++;
			memset(&e, 0, sizeof(e));
			int cr = run_cell(c, &w, cl->ex, base == r ? NULL : base, calib_ns, r, nreps,
					  pg, &e);
			/* Temporary files go, even when a worker is stuck; with a stuck thread,
			 * fini keeps the memory that thread may still read (workload.h). */
			inst_fini(&w);
			if (cr < 0) {
				progress_clear(pg);
				cb_error("%s", e.msg);
				exit_if_thread_stuck();
				rc = CB_EXIT_RUNFAIL;
				goto out;
			}
			for (unsigned i = before; i < r->nsamples; i++)
				spent[order[v]] += r->samples[i];
		}
		rs->rounds_done = round + 1;
	}

	/* Every run of the same work must have produced the baseline's checksum. */
	for (size_t i = 1; i < ncells; i++) {
		struct run_result *r = &rs->runs[cells[i].ri], *base = &rs->runs[first];
		if (r->scale == 1 && r->checksum != base->checksum) {
			char name[96];
			run_name(name, sizeof(name), r);
			cb_error("%s: verification failed: checksum %016llx differs from the "
				 "sequential run's %016llx", name, (unsigned long long)r->checksum,
				 (unsigned long long)base->checksum);
			r->verified = 0;
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
	}
	finish_stats(&rs->runs[first], &rs->runs[first]);
	for (size_t i = 0; i < ncells; i++) {
		struct run_result *r = &rs->runs[cells[i].ri];
		if (i)
			finish_stats(r, &rs->runs[first]);
		if (c->reps_auto && !r->stop_reason)
			r->stop_reason = auto_done(c, r, spent[i]) ? r->stop_reason : "max-time";
		cell_warnings(rs, r, m->pus);
	}
out:
	free(cells);
	free(order);
	free(spent);
	return rc;
}

/* The groups a config asks for: its workload, or the suite's three. */
static size_t config_groups(const struct config *c, const struct workload **wls,
			    struct wl_params *params)
{
	if (c->wl) {
		wls[0] = c->wl;
		params[0] = c->params;
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(suite_groups); i++) {
		wls[i] = workload_find(suite_groups[i].workload);
		memset(&params[i], 0, sizeof(params[i]));
		params[i].size = suite_groups[i].size;
		params[i].tasks = suite_groups[i].tasks;
		memcpy(params[i].opt, suite_groups[i].opt, sizeof(params[i].opt));
	}
	return ARRAY_SIZE(suite_groups);
}

int run_dry(const struct config *c)
{
	struct machine m;
	struct wl_params params[ARRAY_SIZE(suite_groups)];
	const struct workload *wls[ARRAY_SIZE(suite_groups)];
	size_t ngroups, nruns = 0;

	topo_machine(&m);
	ngroups = config_groups(c, wls, params);
	for (size_t g = 0; g < ngroups; g++) {
		struct wl_inst w;
		if (validate_group(c, wls[g], &params[g], &m) < 0 ||
		    inst_init(&w, wls[g], &params[g], 1, 1, &m) < 0)
			return CB_EXIT_USAGE;
		printf("%s size=%llu tasks=%zu:\n  seq x1 (baseline)\n", wls[g]->name,
		       (unsigned long long)w.p.size, w.ntasks);
		inst_fini(&w);
		nruns++;
		for (size_t xi = 0; xi < c->nex; xi++) {
			printf("  %s x", c->ex[xi]->name);
			for (size_t wi = 0; wi < c->nworkers; wi++)
				printf("%s%u", wi ? "," : "", c->workers[wi]);
			printf("\n");
			nruns += c->nworkers;
		}
	}
	printf("%zu runs; %s%u samples each in %u round%s after %u warm-up%s; --bind %s; seed %llu\n",
	       nruns, c->reps_auto ? "at least " : "", c->reps, c->rounds, c->rounds == 1 ? "" : "s",
	       c->warmup, c->warmup == 1 ? "" : "s", bind_policy_name(c->bind),
	       (unsigned long long)c->seed);
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
	rs->seed = c->seed;
	rs->rng = c->seed ? c->seed : 0x9e3779b97f4a7c15ULL;
	ngroups = config_groups(c, wls, params);
	for (size_t g = 0; g < ngroups; g++)
		if (validate_group(c, wls[g], &params[g], &m) < 0)
			return CB_EXIT_USAGE;
	host_snapshot_take(&rs->snap_start);
	pg.ncells = ngroups * (1 + c->nworkers * c->nex) * c->rounds;
	for (size_t g = 0; g < ngroups && !rc; g++)
		rc = run_group(c, (int)g, wls[g], &params[g], &m, rs, &pg);
	progress_clear(&pg);
	host_snapshot_take(&rs->snap_end);
	if (rc)
		return rc;
	host_facts_collect(&rs->facts);
	rs->have_facts = 1;
	if (c->membind != MEMBIND_LOCAL && topo_numa_nodes() < 2)
		add_warning(rs, "--membind %s: this machine has one NUMA node, so memory placement "
			    "changes nothing", membind_name(c->membind));
	if (m.pus < 2)
		add_warning(rs, "only %u processing unit available: no parallel speedup is possible",
			    m.pus);
	if (isfinite(rs->snap_start.load1) && rs->snap_start.load1 > 0.5 * m.pus)
		add_warning(rs, "load average %.2f at start is over half of the %u processing units: "
			    "other work competes with the runs", rs->snap_start.load1, m.pus);
	{
		double steal = host_steal_fraction(&rs->snap_start, &rs->snap_end);
		if (isfinite(steal) && steal > 0.01)
			add_warning(rs, "steal time was %.1f%% of CPU time during the runs: the "
				    "hypervisor gave the CPUs to other guests", 100 * steal);
	}
	if (rs->facts.governor && strcmp(rs->facts.governor, "performance") != 0)
		add_warning(rs, "cpufreq governor is '%s', not 'performance': frequency changes "
			    "add noise", rs->facts.governor);
	if (rs->facts.boost == 1)
		add_warning(rs, "turbo/boost is on: clock speed depends on how many cores are busy, "
			    "which skews speedups");
	return 0;
}
