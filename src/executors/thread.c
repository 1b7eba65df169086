/* SPDX-License-Identifier: MIT */
/* thread: a persistent pthread pool. Workers share the coordinator's address space; a
 * crash in one takes the whole process down (the textbook row under test). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/pool.h"

struct pool {
	struct shpool *sp;
	pthread_t *tids;
	unsigned started;
	int hung;           /* a worker may still be in a task: join with a deadline */
	pthread_mutex_t gil;   /* --gil: the global lock (sp->gil points here) */
};

/* --gil: a blocking call lets go of the global lock and takes it back after, so that other
 * workers compute meanwhile (what an interpreter lock allows I/O-bound threads). */
static void thread_gil_blocking(void *ctx, int entering)
{
	if (entering)
		pthread_mutex_unlock(ctx);
	else
		pthread_mutex_lock(ctx);
}

struct thread_arg {
	struct shpool *sp;
	unsigned k;
};

static void *thread_main(void *arg)
{
	struct thread_arg a = *(struct thread_arg *)arg;
	free(arg);
	shpool_worker(a.sp, a.k);
	return NULL;
}

#define THREAD_GRACE_NS 1000000000LL

static void thread_stop(struct pool *p)
{
	struct timespec until;
	int64_t end = now_ns() + THREAD_GRACE_NS;

	if (!p)
		return;
	if (p->sp)
		gate_quit(&p->sp->gate);     /* workers take no further task once they see it */
	/* CLOCK_REALTIME for pthread_timedjoin_np's absolute deadline */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += THREAD_GRACE_NS / 1000000000LL;
	int stuck = 0;
	for (unsigned k = 0; k < p->started; k++) {
		if (!p->hung)
			pthread_join(p->tids[k], NULL);
		else if ((now_ns() >= end && pthread_tryjoin_np(p->tids[k], NULL) != 0) ||
			 (now_ns() < end && pthread_timedjoin_np(p->tids[k], NULL, &until) != 0))
			stuck = 1;     /* the others are still joined: none is left unreaped */
	}
	if (stuck) {
		/* A worker stuck in a task cannot be stopped: leave its memory mapped and let
		 * the caller end the process. */
		cb_threads_stuck = 1;
		return;
	}
	if (p->sp && p->sp->gil)
		pthread_mutex_destroy(&p->gil);
	shpool_destroy(p->sp);
	free(p->tids);
	free(p);
}

static int thread_spawn(void *arg, unsigned k, struct cb_err *e)
{
	struct pool *p = arg;
	struct thread_arg *a = malloc(sizeof(*a));
	int rc;

	if (!a) {
		cb_err_set(e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	a->sp = p->sp;
	a->k = k;
	rc = pthread_create(&p->tids[k], NULL, thread_main, a);
	if (rc) {
		free(a);
		cb_err_set(e, -rc, "cannot create thread %u of %u: %s", k, p->sp->workers,
			   strerror(rc));
		return -rc;
	}
	p->started++;
	return 0;
}

static int thread_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
			struct cb_err *e)
{
	struct pool *p = calloc(1, sizeof(*p));
	int rc;

	if (!p || !(p->tids = calloc(cfg->workers, sizeof(*p->tids))) ||
	    !(p->sp = shpool_create(cfg, 0))) {
		cb_err_set(e, -ENOMEM, "cannot allocate a pool of %u threads", cfg->workers);
		rc = -ENOMEM;
		goto fail;
	}
	if (cfg->gil) {
		/* Before any worker exists: they read the pool's copy of the instance. */
		pthread_mutex_init(&p->gil, NULL);
		p->sp->gil = &p->gil;
		p->sp->w.blocking = thread_gil_blocking;
		p->sp->w.blocking_ctx = &p->gil;
	}
	rc = shpool_launch(p->sp, cfg->deadline_ns, thread_spawn, NULL, p, startup_ns, e);
	if (rc < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	if (rc == -ETIMEDOUT && p)
		p->hung = 1;
	thread_stop(p);     /* frees p, unless a thread is stuck in it */
	return rc;          /* NOLINT(clang-analyzer-unix.Malloc) */
}

static int thread_run(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		      struct worker_rec *recs, struct cb_err *e)
{
	int rc = shpool_run(p->sp, deadline_ns, outs, recs, NULL, NULL, e);
	if (rc == -ETIMEDOUT || rc == -EINTR)
		p->hung = 1;
	return rc;
}

const struct executor executor_thread = {
	.name = "thread",
	.summary = "persistent pthread pool; tasks and results in shared memory",
	.flags = EX_SHARED_ADDRESS_SPACE | EX_SHARED_DATA,
	.start = thread_start,
	.run = thread_run,
	.stop = thread_stop,
};
