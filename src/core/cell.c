/* SPDX-License-Identifier: MIT */
/* cell: one measured cell, a workload instance on one executor with a fixed number of
 * workers (see cell.h and docs/measurement.md). */
#define _GNU_SOURCE
#include "core/cell.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/fault.h"
#include "core/registry.h"
#include "core/sync.h"
#include "measure/stats.h"
#include "topo/topo.h"

#define TIMEOUT_FACTOR 10
#define TIMEOUT_FLOOR_NS 1000000000LL

void run_result_free(struct run_result *r)
{
	free(r->outlier_idx);
	free(r->samples);
	free(r->skews);
	free(r->worker_s);
	free(r->worker_cpu);
	free(r->cpus);
	free(r->planned);
	free(r->binding_error);
	free(r->ctr_rep);
	free(r->ctr_worker);
	free(r->counters_unavailable);
	free(r->crashes);
	free(r->places);
}

void run_result_name(char *buf, size_t len, const struct run_result *r)
{
	cb_fmt(buf, len, "%s on %s with %u worker%s", r->wl->name, r->ex->name, r->workers,
	       r->workers == 1 ? "" : "s");
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

int cell_verify_outs(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
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

/* Check one repetition's results: cell_verify_outs, then the baseline's checksum when the
 * work is the same. */
static int check_rep(const struct wl_inst *w, const struct task_out *outs, const uint64_t *ref,
		     uint64_t *checksum, struct cb_err *e)
{
	int rc = cell_verify_outs(w, outs, checksum, e);
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
static int64_t rep_deadline(const struct cell_cfg *c, unsigned scale)
{
	double ref_ns;
	if (c->timeout_ns)
		return now_ns() + c->timeout_ns;
	if (c->base && c->base->nsamples)
		ref_ns = stats_median(c->base->samples, c->base->nsamples) * 1e9;
	else if (c->calib_ns > 0)
		ref_ns = (double)c->calib_ns;
	else
		return INT64_MAX;
	ref_ns *= (double)TIMEOUT_FACTOR * scale;
	if (!(ref_ns < 1e17))
		return INT64_MAX;
	return now_ns() + (int64_t)ref_ns + TIMEOUT_FLOOR_NS;
}

/* Record the first worker that could not be bound or place its data. */
static void note_binding(const struct cell_cfg *c, struct run_result *r, const struct worker_rec *recs)
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

/* How many counters a worker's values miss, the user-space-only mode counted as one. */
static unsigned ctr_missing(const struct ctr_values *x)
{
	return (unsigned)__builtin_popcount((unsigned)(x->unopened | x->excluded | x->unscheduled)) +
	       (x->user_only ? 1u : 0u);
}

/* Keep what the workers counted in repetition i: each worker's own and the sum (missing
 * when any worker's is). The run's reason is that of the worker missing the most counters
 * seen so far, saying how many workers share it when not all do. */
static void note_counters(struct run_result *r, unsigned i, const struct worker_rec *recs)
{
	double *sum = r->ctr_rep + (size_t)i * CTR_N;
	const struct ctr_values *worst = NULL;
	unsigned same = 0;
	char why[512];

	for (int c = 0; c < CTR_N; c++)
		sum[c] = 0;
	for (unsigned k = 0; k < r->workers; k++) {
		const struct ctr_values *x = &recs[k].ctr;
		double *own = r->ctr_worker + ((size_t)i * r->workers + k) * CTR_N;
		for (int c = 0; c < CTR_N; c++) {
			own[c] = x->v[c] == CTR_MISSING ? NAN : (double)x->v[c];
			sum[c] += own[c];
		}
		if (ctr_missing(x) > r->ctr_worst && (!worst || ctr_missing(x) > ctr_missing(worst)))
			worst = x;
	}
	if (!worst)
		return;
	for (unsigned k = 0; k < r->workers; k++) {
		const struct ctr_values *x = &recs[k].ctr;
		same += x->unopened == worst->unopened && x->excluded == worst->excluded &&
			x->unscheduled == worst->unscheduled && x->user_only == worst->user_only;
	}
	counters_reason(why, sizeof(why), worst);
	if (same < r->workers)
		cb_append(why, sizeof(why), " (%u of %u workers)", same, r->workers);
	free(r->counters_unavailable);
	r->counters_unavailable = strdup(why);
	r->ctr_worst = ctr_missing(worst);
}

void cell_counters(const struct run_result *r, int worker, double out[CTR_N])
{
	/* A result made without counters (by hand, in a test) has none to report. */
	double *v = r->nsamples && r->ctr_rep && r->ctr_worker ?
		malloc(r->nsamples * sizeof(double)) : NULL;

	for (int c = 0; c < CTR_N; c++) {
		size_t n = 0;
		for (unsigned i = 0; v && i < r->nsamples; i++) {
			double x = worker < 0 ? r->ctr_rep[(size_t)i * CTR_N + c] :
				r->ctr_worker[((size_t)i * r->workers + (unsigned)worker) * CTR_N + c];
			if (!isnan(x))
				v[n++] = x;
		}
		out[c] = n ? stats_median(v, n) : NAN;
	}
	free(v);
}

/* Keep the workers the pool replaced in this repetition. */
static int note_crashes(struct run_result *r, const struct worker_rec *recs)
{
	for (unsigned k = 0; k < r->workers; k++) {
		const struct worker_rec *x = &recs[k];
		struct run_crash *n;
		if (!x->crash_signal)
			continue;
		n = realloc(r->crashes, (r->ncrashes + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->crashes = n;
		n[r->ncrashes++] = (struct run_crash){
			.worker = k, .task = x->crash_task, .lost = x->crash_lost,
			.signal = x->crash_signal,
			.detect_s = x->crash_detect_ns < 0 ? NAN : (double)x->crash_detect_ns / 1e9,
			.recover_s = x->crash_recover_ns < 0 ? NAN : (double)x->crash_recover_ns / 1e9,
		};
	}
	return 0;
}

/* Make room for n more samples in a result. */
static int grow(struct run_result *r, unsigned more)
{
	unsigned need = r->nsamples + more;
	double *a, *b, *w, *cr, *cw;
	int *wc;
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
	if (!(wc = realloc(r->worker_cpu, (size_t)need * r->workers * sizeof(int))))
		return -ENOMEM;
	r->worker_cpu = wc;
	if (!(cr = realloc(r->ctr_rep, (size_t)need * CTR_N * sizeof(double))))
		return -ENOMEM;
	r->ctr_rep = cr;
	if (!(cw = realloc(r->ctr_worker, (size_t)need * r->workers * CTR_N * sizeof(double))))
		return -ENOMEM;
	r->ctr_worker = cw;
	r->cap = need;
	return 0;
}

void cell_add_harness(struct run_result *r, unsigned kept_before, int64_t visit_ns)
{
	double h = (double)visit_ns / 1e9;
	for (unsigned i = kept_before; i < r->nsamples; i++)
		h -= r->samples[i];
	/* Every kept sample lies inside the visit on the same clock; the guard is for rounding. */
	r->harness_s += h > 0 ? h : 0;
}

/* A launched pool's workers: where they run, keeping per worker the most certain clock
 * offset of the visits (each visit estimates it anew). */
static void note_places(struct run_result *r, const struct executor *ex, const struct pool *p)
{
	struct worker_place *now;
	if (!ex->places)
		return;
	if (!r->places) {
		r->places = calloc(r->workers, sizeof(*r->places));
		for (unsigned k = 0; r->places && k < r->workers; k++)
			r->places[k].offset_err_ns = -1;
	}
	now = calloc(r->workers, sizeof(*now));
	if (!r->places || !now) {
		free(now);
		return;
	}
	ex->places(p, now);
	for (unsigned k = 0; k < r->workers; k++)
		if (r->places[k].offset_err_ns < 0 ||
		    now[k].offset_err_ns < r->places[k].offset_err_ns)
			r->places[k] = now[k];
	free(now);
}

/* One visit of a cell in a round: start a fresh pool (timed as startup), discard the
 * warm-ups, keep nreps samples, stop. Every repetition is verified. */
int cell_run(const struct cell_cfg *c, const struct wl_inst *w, const struct executor *ex,
	     struct run_result *r, unsigned nreps, struct cb_err *e)
{
	struct pool_cfg cfg = { .w = w, .workers = w->workers, .dynamic = c->dynamic,
				.membind = topo_membind(c->membind), .restart = c->restart,
				.gil = c->gil, .depth = c->depth };
	struct pool *pool = NULL;
	struct task_out *outs = NULL;
	struct worker_rec *recs = NULL;
	unsigned total = c->warmup + nreps;
	char what[128];
	int64_t startup_ns = 0, t_visit = now_ns();
	unsigned kept_before = r->nsamples;
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
	{
		char why[200];
		rc = workload_runs_on(w->wl, ex, why, sizeof(why));
		if (rc < 0) {
			cb_err_set(e, rc, "%s: %s", what, why);
			goto out;
		}
	}
	if (c->pus && !(ex->flags & EX_SINGLE_WORKER)) {
		rc = topo_plan_check(c->pus, w->workers);
		if (rc < 0 && w->workers == 1)
			cb_err_set(e, rc, "%s: cannot plan a worker on PU %d: %s", what, c->pus[0],
				   strerror(-rc));
		else if (rc < 0)
			cb_err_set(e, rc, "%s: cannot plan the workers on their PUs: %s", what,
				   strerror(-rc));
		if (rc < 0)
			goto out;
		memcpy(r->planned, c->pus, w->workers * sizeof(*r->planned));
	} else {
		rc = topo_plan(ex->flags & EX_SINGLE_WORKER ? BIND_NONE : c->bind, w->workers,
			       r->planned);
		if (rc < 0) {
			cb_err_set(e, rc, "%s: cannot plan --bind %s", what,
				   bind_policy_name(c->bind));
			goto out;
		}
	}
	cfg.pus = r->planned;
	cfg.bind = c->pus || (ex->flags & EX_SINGLE_WORKER) ? BIND_NONE : (int)c->bind;
	fault_arm(ex->name);
	fault_inject_arm(!(ex->flags & EX_SINGLE_WORKER), c->warmup);
	cfg.deadline_ns = now_ns() + (c->timeout_ns > CELL_START_DEADLINE_NS ? c->timeout_ns
									 : CELL_START_DEADLINE_NS);
	rc = ex->start(&cfg, &pool, &startup_ns, e);
	if (rc < 0)
		goto out;
	if (ex->backend)
		r->backend = ex->backend(pool);
	if (r->nstartups < ARRAY_SIZE(r->startups))
		r->startups[r->nstartups++] = (double)startup_ns / 1e9;
	note_places(r, ex, pool);
	for (unsigned rep = 0; rep < total; rep++) {
		int64_t lo = INT64_MAX, hi = INT64_MIN, last = INT64_MIN;
		uint64_t sum = 0;
		unsigned i;
		if (c->progress)
			c->progress(c->progress_arg, what, rep + 1, total);
		rc = ex->run(pool, rep_deadline(c, w->scale), outs, recs, e);
		if (rc == 0 && cb_stop_signal) {
			rc = -EINTR;
			cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		}
		if (rc < 0)
			goto out;
		rc = note_crashes(r, recs);
		if (rc < 0) {
			cb_err_set(e, rc, "%s: out of memory", what);
			goto out;
		}
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
			r->worker_cpu[(size_t)i * w->workers + k] = x->cpu_end;
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
		note_counters(r, i, recs);
		r->samples[i] = (double)(hi - lo) / 1e9;
		r->skews[i] = (double)(last - lo) / 1e9;
		r->nsamples = i + 1;
	}
	rc = 0;
out:
	ex->stop(pool);
	free(outs);
	free(recs);
	cell_add_harness(r, kept_before, now_ns() - t_visit);
	if (rc < 0 && e->code && strncmp(e->msg, what, strlen(what)) != 0) {
		char msg[sizeof(e->msg)];
		cb_fmt(msg, sizeof(msg), "%s: %s", what, e->msg);
		memcpy(e->msg, msg, sizeof(msg));
	}
	return rc;
}

int cell_inst_init(struct wl_inst *w, const struct workload *wl, const struct wl_params *p,
		   unsigned workers, unsigned scale, const struct machine *m)
{
	char why[256] = "";
	int rc;
	memset(w, 0, sizeof(*w));
	w->wl = wl;
	w->p = *p;
	w->workers = workers;
	w->scale = scale;
	w->stop = &cb_stop_signal;
	w->stuck = &cb_threads_stuck;
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

void cell_inst_fini(struct wl_inst *w)
{
	if (w->wl && w->wl->fini)
		w->wl->fini(w);
}
