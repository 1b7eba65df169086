/* SPDX-License-Identifier: MIT */
/* uring: an event loop per worker, the asyncio / Node / nginx model. Each worker is one
 * thread (the thread executor's pool, bound and timed as its workers are) that keeps up
 * to --depth tasks in flight through the workload's asynchronous form (workload.h) and
 * never blocks on one: their operations go to io_uring, or to epoll where io_uring is
 * refused (core/evloop.h). A workload without an asynchronous form runs inline, one task
 * after another on the loop (cpu, mem: a loop gains nothing there, which is what the
 * table shows); one that blocks without one (WL_BLOCKING) is refused by the registry.
 *
 * epoll is the same executor with the fallback forced, for comparing the backends; it is
 * run only when named. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/evloop.h"
#include "core/executor.h"
#include "core/fault.h"
#include "core/registry.h"
#include "core/sync.h"
#include "core/worker.h"

/* How long a loop waits for completions before it looks at the stop signal again. */
#define URING_SLICE_NS 50000000LL

/* One worker's loop: its backend, its slots (a task's state and result each) and, during
 * a repetition, what it reports to. */
struct loop {
	struct evloop *ev;
	unsigned slots;
	char *states;                   /* slots x state_bytes, 64-byte aligned */
	size_t state_bytes;
	struct task_out *outs;          /* per slot */
	unsigned *free_slots, nfree;
	const _Atomic int *quit;        /* the pool is being stopped */
	const struct wl_inst *w;
	struct task_source *src;
	struct worker_rec *rec;
	unsigned inflight;
	int stopping;
};

struct pool {
	struct pool *thr;               /* the thread executor's pool underneath (opaque) */
	struct loop *loops;
	struct task_runner *runners;
	unsigned nloops;
	enum evl_kind kind;
	_Atomic int quit;
};

static void *loop_state(struct loop *l, unsigned slot)
{
	return l->states + (size_t)slot * l->state_bytes;
}

/* A task ended with rc: publish it as worker_rep would and free its slot. */
static void loop_finish(struct loop *l, unsigned slot, int rc)
{
	struct task_out *o = &l->outs[slot];

	o->err = rc;
	o->done = 1;
	if (rc && !l->rec->err) {
		l->rec->err = rc;
		l->rec->err_task = o->task;
	}
	l->rec->tasks++;
	if (l->src->emit(l->src->self, o) < 0) {
		if (!l->rec->err)
			l->rec->err = -EPIPE;
		l->stopping = 1;
	}
	l->free_slots[l->nfree++] = slot;
	l->inflight--;
}

static void loop_step(void *self, unsigned slot, int64_t res);

/* Hand the task's next operation to the backend; one it refuses ends the task. */
static void loop_submit(struct loop *l, unsigned slot, const struct wl_op *op)
{
	int rc = evloop_submit(l->ev, slot, op);
	if (rc < 0)
		loop_step(l, slot, rc);
}

/* A completion: the task takes its result and asks for more or ends. Once the run is
 * being stopped every result is -EINTR, as a synchronous task sees a stopped run. */
static void loop_step(void *self, unsigned slot, int64_t res)
{
	struct loop *l = self;
	struct wl_op op;
	int rc;

	if (l->stopping)
		res = -EINTR;
	rc = l->w->wl->async_step(l->w, loop_state(l, slot), res, &op, &l->outs[slot]);
	if (rc == WL_ASYNC_MORE)
		loop_submit(l, slot, &op);
	else
		loop_finish(l, slot, rc);
}

/* The loop of one repetition (struct task_runner): fill the free slots with new tasks,
 * wait for completions, until no task is left and none is in flight. Stopping (Ctrl-C,
 * the pool's stop) cancels what is in flight and drains it before returning, so that no
 * operation outlives the buffers it uses. */
static void loop_run(void *self, const struct wl_inst *w, void *data, struct task_source *src,
		     struct worker_rec *rec)
{
	struct loop *l = self;
	int more = 1, cancelled = 0;

	if (!w->wl->async_start) {
		worker_run_tasks(w, data, src, rec);
		return;
	}
	l->w = w;
	l->src = src;
	l->rec = rec;
	l->inflight = 0;
	l->stopping = 0;
	for (;;) {
		int rc;
		if (cb_stop_signal || atomic_load(l->quit))
			l->stopping = 1;
		while (more && !l->stopping && l->nfree) {
			long t = src->next(src->self);
			struct wl_op op;
			unsigned slot;
			if (t < 0) {
				more = 0;
				break;
			}
			slot = l->free_slots[--l->nfree];
			l->inflight++;
			fault_task(w, data, (size_t)t);
			memset(&l->outs[slot], 0, sizeof(l->outs[slot]));
			l->outs[slot].task = (uint32_t)t;
			rc = w->wl->async_start(w, data, (size_t)t, loop_state(l, slot), &op,
						&l->outs[slot]);
			if (rc == WL_ASYNC_MORE)
				loop_submit(l, slot, &op);
			else
				loop_finish(l, slot, rc);
		}
		if (!l->inflight && (!more || l->stopping))
			break;
		if (l->stopping && !cancelled) {
			evloop_cancel(l->ev);
			cancelled = 1;
		}
		rc = evloop_poll(l->ev, URING_SLICE_NS, loop_step, l);
		if (rc < 0) {
			/* The backend itself failed: nothing more can complete. */
			if (!rec->err)
				rec->err = rc;
			break;
		}
	}
}

static void loop_fini(struct loop *l)
{
	evloop_close(l->ev);
	free(l->states);
	free(l->outs);
	free(l->free_slots);
}

static int loop_init(struct loop *l, enum evl_kind kind, unsigned slots, const struct wl_inst *w,
		     const _Atomic int *quit)
{
	int err = 0;

	memset(l, 0, sizeof(*l));
	l->slots = slots;
	l->quit = quit;
	l->state_bytes = (w->wl->async_state + 63) / 64 * 64;
	if (!w->wl->async_start)
		return 0;       /* inline: no slots, no backend */
	l->states = aligned_alloc(64, (size_t)slots * l->state_bytes);
	l->outs = aligned_alloc(64, (size_t)slots * sizeof(*l->outs));
	l->free_slots = calloc(slots, sizeof(*l->free_slots));
	if (!l->states || !l->outs || !l->free_slots)
		return -ENOMEM;
	for (unsigned s = 0; s < slots; s++)
		l->free_slots[l->nfree++] = slots - 1 - s;
	l->ev = evloop_open(kind, slots, &err);
	return l->ev ? 0 : err;
}

static void uring_free_loops(struct pool *p)
{
	for (unsigned k = 0; k < p->nloops; k++)
		loop_fini(&p->loops[k]);
	p->nloops = 0;
}

static int uring_open_loops(struct pool *p, const struct pool_cfg *cfg, unsigned slots)
{
	for (unsigned k = 0; k < cfg->workers; k++) {
		int rc = loop_init(&p->loops[k], p->kind, slots, cfg->w, &p->quit);
		p->nloops = k + 1;
		if (rc < 0)
			return rc;
		p->runners[k] = (struct task_runner){ .run = loop_run, .self = &p->loops[k] };
	}
	return 0;
}

/* Say once per process why io_uring is not used. */
static void uring_warn(const char *why)
{
	static _Atomic int warned;
	if (!atomic_exchange(&warned, 1))
		cb_warn("io_uring refused (%s): using epoll", why);
}

static void uring_stop(struct pool *p)
{
	if (!p)
		return;
	atomic_store(&p->quit, 1);
	executor_thread.stop(p->thr);
	/* A loop thread that could not be stopped may still use its loop: keep it. */
	if (cb_threads_stuck)
		return;
	uring_free_loops(p);
	free(p->loops);
	free(p->runners);
	free(p);
}

static int uring_start_kind(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
			    struct cb_err *e, int force_epoll)
{
	struct pool *p = calloc(1, sizeof(*p));
	struct pool_cfg tc;
	unsigned depth = cfg->depth ? cfg->depth : EX_LOOP_DEFAULT_DEPTH;
	unsigned slots = depth < cfg->w->ntasks ? depth : (unsigned)cfg->w->ntasks;
	int64_t t0 = now_ns(), loops_ns;
	char why[160];
	int rc;

	if (!p || !(p->loops = calloc(cfg->workers, sizeof(*p->loops))) ||
	    !(p->runners = calloc(cfg->workers, sizeof(*p->runners)))) {
		cb_err_set(e, -ENOMEM, "cannot allocate %u event loops", cfg->workers);
		rc = -ENOMEM;
		goto fail;
	}
	atomic_init(&p->quit, 0);
	p->kind = EVL_EPOLL;
	if (!force_epoll) {
		if (evloop_probe(why, sizeof(why)) == 0)
			p->kind = EVL_URING;
		else
			uring_warn(why);
	}
	rc = uring_open_loops(p, cfg, slots);
	if (rc < 0 && p->kind == EVL_URING) {
		/* The probe's ring was allowed, these ones not (a locked-memory limit on many
		 * rings): all loops fall back together, so that a run has one backend. */
		cb_fmt(why, sizeof(why), "%s: %u rings of %u entries", rc == -ENOMEM ? "ENOMEM"
		       : strerror(-rc), cfg->workers, slots + 1);
		uring_free_loops(p);
		uring_warn(why);
		p->kind = EVL_EPOLL;
		rc = uring_open_loops(p, cfg, slots);
	}
	if (rc < 0) {
		cb_err_set(e, rc, "cannot open %u event loops (%s): %s", cfg->workers,
			   evloop_kind_name(p->kind), strerror(-rc));
		goto fail;
	}
	loops_ns = now_ns() - t0;
	tc = *cfg;
	tc.runners = p->runners;
	rc = executor_thread.start(&tc, &p->thr, startup_ns, e);
	if (rc < 0) {
		p->thr = NULL;     /* the thread executor released its own */
		goto fail;
	}
	*startup_ns += loops_ns;
	*out = p;
	return 0;
fail:
	uring_stop(p);
	return rc;
}

static int uring_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		       struct cb_err *e)
{
	return uring_start_kind(cfg, out, startup_ns, e, 0);
}

static int epoll_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		       struct cb_err *e)
{
	return uring_start_kind(cfg, out, startup_ns, e, 1);
}

static int uring_run(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		     struct worker_rec *recs, struct cb_err *e)
{
	return executor_thread.run(p->thr, deadline_ns, outs, recs, e);
}

static const char *uring_backend(const struct pool *p)
{
	return evloop_kind_name(p->kind);
}

#define URING_FLAGS (EX_SHARED_ADDRESS_SPACE | EX_SHARED_DATA | EX_EVENT_LOOP)

const struct executor executor_uring = {
	.name = "uring",
	.summary = "an event loop per worker, --depth tasks in flight through io_uring (epoll "
		   "where refused)",
	.flags = URING_FLAGS,
	.start = uring_start,
	.run = uring_run,
	.stop = uring_stop,
	.backend = uring_backend,
};

const struct executor executor_epoll = {
	.name = "epoll",
	.summary = "the uring executor on its fallback: epoll, timerfd and a file thread per "
		   "loop",
	.flags = URING_FLAGS | EX_NAMED_ONLY,
	.start = epoll_start,
	.run = uring_run,
	.stop = uring_stop,
	.backend = uring_backend,
};
