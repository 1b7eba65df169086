/* SPDX-License-Identifier: MIT */
/* worker: the single worker body, and the coordinator's side of a repetition. */
#define _GNU_SOURCE
#include "core/worker.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "base/util.h"
#include "core/fault.h"
#include "topo/topo.h"

void worker_inst(struct wl_inst *copy, const struct pool_cfg *cfg)
{
	*copy = *cfg->w;
	copy->membind = cfg->membind;
}

int worker_bind(unsigned k, int pu)
{
	int rc = fault_bind(k);
	if (rc < 0)
		return rc;
	/* A plan on a loaded topology is never bound to: nothing runs on it. */
	if (pu < 0 || !topo_is_this_system())
		return 0;
	return topo_bind_pu(pu, 0);
}

void worker_publish(struct worker_rec *slot, const struct worker_rec *rec, uint32_t gen)
{
	memcpy(slot, rec, offsetof(struct worker_rec, gen));
	__atomic_store_n(&slot->gen, gen, __ATOMIC_RELEASE);
}

uint32_t worker_rec_gen(const struct worker_rec *slot)
{
	return __atomic_load_n(&slot->gen, __ATOMIC_ACQUIRE);
}

/* The peers' deadline for the workers of repetition gen still running, or INT64_MAX while
 * no peer that ran a task has finished (or all have). */
static int64_t peer_deadline(const struct worker_rec *recs, unsigned n, uint32_t gen,
			     size_t ntasks)
{
	int64_t last_end = INT64_MIN, per_task = -1;
	unsigned done = 0;
	size_t most = (ntasks + n - 1) / n;   /* tasks a worker may hold, static schedule */

	for (unsigned k = 0; k < n; k++) {
		const struct worker_rec *r = &recs[k];
		if (worker_rec_gen(r) != gen)
			continue;
		done++;
		if (!r->tasks)
			continue;
		if ((r->t_end - r->t_start) / r->tasks > per_task)
			per_task = (r->t_end - r->t_start) / r->tasks;
		if (r->t_end > last_end)
			last_end = r->t_end;
	}
	if (done == n || per_task < 0)
		return INT64_MAX;
	if (per_task > (INT64_MAX / 4) / WORKER_PEER_FACTOR / (int64_t)most)
		return INT64_MAX;
	return last_end + WORKER_PEER_FACTOR * per_task * (int64_t)most + WORKER_PEER_FLOOR_NS;
}

#define PEER_SLICE_NS 100000000LL

int worker_wait_rep(struct gate *g, const struct worker_rec *recs, unsigned n, uint32_t gen,
		    size_t ntasks, int64_t deadline_ns, int (*check)(void *), void *arg,
		    unsigned *hung, int *by_peers)
{
	for (;;) {
		int64_t pd = peer_deadline(recs, n, gen, ntasks), now = now_ns();
		int64_t d = pd < deadline_ns ? pd : deadline_ns;
		int rc = gate_wait_value(g, &g->remaining, 0, 0,
					 d - now > PEER_SLICE_NS ? now + PEER_SLICE_NS : d, check, arg);
		if (rc != -ETIMEDOUT)
			return rc;
		if (now_ns() < d)
			continue;      /* a slice ended: look at the peers again */
		*by_peers = pd < deadline_ns;
		*hung = 0;
		for (unsigned k = 0; k < n; k++)
			if (worker_rec_gen(&recs[k]) != gen) {
				*hung = k;
				break;
			}
		return rc;
	}
}

void worker_hung_err(struct cb_err *e, unsigned k, pid_t pid, int by_peers)
{
	char who[48];
	if (pid > 0)
		cb_fmt(who, sizeof(who), "worker %u (pid %d)", k, (int)pid);
	else
		cb_fmt(who, sizeof(who), "worker %u", k);
	if (by_peers)
		cb_err_set(e, -ETIMEDOUT, "%s hung: still running %d times its peers' time per "
			   "task plus %lld s after they finished", who, WORKER_PEER_FACTOR,
			   WORKER_PEER_FLOOR_NS / 1000000000LL);
	else
		cb_err_set(e, -ETIMEDOUT, "%s hung: not finished when the deadline passed", who);
}

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000LL + (int64_t)tv.tv_usec * 1000;
}

void worker_rep(const struct wl_inst *w, void *data, int64_t start_at, struct task_source *src,
		struct counters *ctr, struct worker_rec *rec)
{
	worker_rep_with(w, data, start_at, src, NULL, ctr, rec);
}

void worker_run_tasks(const struct wl_inst *w, void *data, struct task_source *src,
		      struct worker_rec *rec)
{
	long t;

	/* A stop signal ends the repetition early; the coordinator then reports it. */
	while (!cb_stop_signal && (t = src->next(src->self)) >= 0) {
		struct task_out o;
		memset(&o, 0, sizeof(o));
		fault_task(w, data, (size_t)t);
		o.task = (uint32_t)t;
		o.err = w->wl->run_task(w, data, (size_t)t, &o);
		o.done = 1;
		if (o.err && !rec->err) {
			rec->err = o.err;
			rec->err_task = (uint32_t)t;
		}
		rec->tasks++;
		if (src->emit(src->self, &o) < 0) {
			if (!rec->err)
				rec->err = -EPIPE;
			break;
		}
	}
}

void worker_rep_with(const struct wl_inst *w, void *data, int64_t start_at,
		     struct task_source *src, const struct task_runner *runner,
		     struct counters *ctr, struct worker_rec *rec)
{
	struct rusage r0, r1;

	memset(rec, 0, sizeof(*rec));
	int64_t before_spin;

	getrusage(RUSAGE_THREAD, &r0);
	rec->cpu_start = sched_getcpu();    /* before the clock: it costs ~20 ns */
	before_spin = now_ns();
	gate_spin_until(start_at);
	if (ctr)
		counters_mark(ctr);      /* outside the region: see counters.c */
	rec->t_start = now_ns();
	if (runner)
		runner->run(runner->self, w, data, src, rec);
	else
		worker_run_tasks(w, data, src, rec);
	rec->t_end = now_ns();
	if (ctr)
		counters_read(ctr, &rec->ctr);
	else
		counters_none(&rec->ctr);
	rec->cpu_end = sched_getcpu();
	getrusage(RUSAGE_THREAD, &r1);
	/* The spin to start_at (up to GATE_DELTA_NS of user time) is not the work's: take it
	 * out, so that CPU utilisation describes the timed region. */
	rec->utime_ns = tv_ns(r1.ru_utime) - tv_ns(r0.ru_utime) - (rec->t_start - before_spin);
	if (rec->utime_ns < 0)
		rec->utime_ns = 0;
	rec->stime_ns = tv_ns(r1.ru_stime) - tv_ns(r0.ru_stime);
	rec->nvcsw = r1.ru_nvcsw - r0.ru_nvcsw;
	rec->nivcsw = r1.ru_nivcsw - r0.ru_nivcsw;
	rec->minflt = r1.ru_minflt - r0.ru_minflt;
	rec->majflt = r1.ru_majflt - r0.ru_majflt;
	rec->maxrss_kb = r1.ru_maxrss;
}

void worker_prepare(const struct wl_inst *w, void *data, unsigned k, unsigned n)
{
	size_t lo, hi;
	if (!w->wl->prepare || !w->data_bytes)
		return;
	task_block(w->ntasks, n, k, &lo, &hi);
	for (size_t t = lo; t < hi; t++)
		w->wl->prepare(w, data, t);
}

void cb_err_set(struct cb_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	if (!e || e->code)
		return;        /* the first error wins: later ones are its consequences */
	e->code = code ? code : -EIO;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

