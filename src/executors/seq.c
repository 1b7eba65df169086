/* SPDX-License-Identifier: MIT */
/* seq: the baseline. Every task one after another, in one thread.
 *
 * That thread is not the coordinator's: a task can block or compute for longer than the
 * repetition's deadline, and only a coordinator that waits apart from it can notice in
 * time. The thread lives as long as the pool (its stack stays warm from one repetition to
 * the next); the coordinator releases and awaits each repetition through a gate as it does
 * for the other executors. A thread that cannot be stopped is left to the process's end
 * (cb_threads_stuck). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/worker.h"

#define SEQ_GRACE_NS 1000000000LL

struct pool {
	struct wl_inst inst;        /* the thread's copy of the instance (worker_inst) */
	const struct wl_inst *w;    /* &inst */
	void *data;
	int membind_err;
	/* What the thread writes: the pool's own, so that a thread left running never writes
	 * into the caller's memory. */
	struct task_out *outs;
	struct worker_rec rec;
	size_t cur;
	int64_t deadline_ns;
	int late;
	struct gate gate;
	pthread_t tid;
	int started;                /* tid exists */
	int busy;                   /* a repetition may still be running: join with a grace */
};

/* Between tasks the thread checks the deadline itself (one clock read per task), so that a
 * late baseline stops at the next task boundary. */
static long seq_next(void *self)
{
	struct pool *p = self;
	if (p->cur < p->w->ntasks && p->cur && now_ns() > p->deadline_ns) {
		p->late = 1;
		return -1;
	}
	return p->cur < p->w->ntasks ? (long)p->cur++ : -1;
}

static int seq_emit(void *self, const struct task_out *o)
{
	struct pool *p = self;
	p->outs[o->task] = *o;
	return 0;
}

static void *seq_thread(void *arg)
{
	struct pool *p = arg;
	struct gate *g = &p->gate;
	uint32_t seen = 0;
	struct counters ctr;

	gate_count_add(g, &g->started, 1);
	worker_prepare(p->w, p->data, 0, 1);
	gate_count_add(g, &g->prepared, 1);
	counters_open(&ctr);
	while (gate_wait_go(g, &seen)) {
		struct task_source src = { .next = seq_next, .emit = seq_emit, .self = p };
		worker_rep(p->w, p->data, now_ns(), &src, &ctr, &p->rec);
		p->rec.membind_err = p->membind_err;
		gate_arrive(g);
	}
	counters_close(&ctr);
	return NULL;
}

static void seq_stop(struct pool *p)
{
	if (!p)
		return;
	if (p->started) {
		gate_quit(&p->gate);
		if (!p->busy) {
			pthread_join(p->tid, NULL);
		} else {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += SEQ_GRACE_NS / 1000000000LL;
			if (pthread_timedjoin_np(p->tid, NULL, &until) != 0) {
				/* Stuck inside a task: leave it what it uses; the caller ends the
				 * process. */
				cb_threads_stuck = 1;
				return;
			}
		}
	}
	if (p->data)
		munmap(p->data, p->w->data_bytes);
	free(p->outs);
	free(p);
}

static int seq_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		     struct cb_err *e)
{
	int64_t t0 = now_ns();
	struct pool *p = calloc(1, sizeof(*p));
	int rc;

	if (!p || !(p->outs = aligned_alloc(64, cfg->w->ntasks * sizeof(*p->outs)))) {
		free(p);
		cb_err_set(e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	worker_inst(&p->inst, cfg);
	p->w = &p->inst;
	gate_init(&p->gate, 0);
	if (cfg->w->data_bytes) {
		p->data = mmap(NULL, cfg->w->data_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p->data == MAP_FAILED) {
			p->data = NULL;
			seq_stop(p);
			cb_err_set(e, -ENOMEM, "cannot map %zu bytes of data", cfg->w->data_bytes);
			return -ENOMEM;
		}
		p->membind_err = wl_membind(p->w, p->data, cfg->w->data_bytes);
	}
	rc = pthread_create(&p->tid, NULL, seq_thread, p);
	if (rc) {
		seq_stop(p);
		cb_err_set(e, -rc, "cannot create the baseline's thread: %s", strerror(rc));
		return -rc;
	}
	p->started = 1;
	p->busy = 1;         /* preparing: its end is not guaranteed until it says so */
	rc = gate_wait_value(&p->gate, &p->gate.started, 1, 1, cfg->deadline_ns, NULL, NULL);
	if (rc == 0) {
		*startup_ns = now_ns() - t0;
		rc = gate_wait_value(&p->gate, &p->gate.prepared, 1, 1, cfg->deadline_ns, NULL,
				     NULL);
	}
	if (rc < 0) {
		if (rc == -ETIMEDOUT)
			cb_err_set(e, rc, "the baseline's thread did not start and prepare its data "
				   "before the deadline");
		else
			cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		seq_stop(p);
		return rc;
	}
	p->busy = 0;
	*out = p;
	return 0;
}

static int seq_run(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		   struct worker_rec *recs, struct cb_err *e)
{
	int rc;

	memset(p->outs, 0, p->w->ntasks * sizeof(*p->outs));
	p->cur = 0;
	p->late = 0;
	p->deadline_ns = deadline_ns;
	p->busy = 1;
	gate_open(&p->gate, 1);     /* publishes the fields above to the thread */
	rc = gate_wait_value(&p->gate, &p->gate.remaining, 0, 0, deadline_ns, NULL, NULL);
	if (rc == -EINTR) {
		/* The signal may have woken only this thread: pass it on, so that a task
		 * waiting in a system call (io sleep) returns now rather than after the grace. */
		int sig = cb_stop_signal;
		if (sig)
			pthread_kill(p->tid, sig);
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		return rc;
	}
	if (rc == 0)
		p->busy = 0;
	if (rc == -ETIMEDOUT || p->late) {
		cb_err_set(e, -ETIMEDOUT, "the sequential baseline did not finish before the "
			   "deadline");
		return -ETIMEDOUT;
	}
	memcpy(outs, p->outs, p->w->ntasks * sizeof(*outs));
	recs[0] = p->rec;
	return 0;
}

const struct executor executor_seq = {
	.name = "seq",
	.summary = "the baseline: every task in one thread, in order",
	.flags = EX_SHARED_ADDRESS_SPACE | EX_SINGLE_WORKER,
	.start = seq_start,
	.run = seq_run,
	.stop = seq_stop,
};
