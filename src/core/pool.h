/* SPDX-License-Identifier: MIT */
/* pool: the shared-memory pool that the thread and shm executors have in common. One
 * mapping holds what every worker sees: the start gate, the result slots, the worker
 * records, the plan and the workload's data region (MAP_SHARED for processes). The
 * executors keep only what differs: how a worker is made (a thread or a fork) and how
 * one that is gone is noticed. */
#ifndef CONCBENCH_POOL_H
#define CONCBENCH_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/executor.h"
#include "core/sync.h"
#include "core/workload.h"

struct shpool {
	struct gate gate;
	_Atomic uint64_t next;           /* dynamic schedule: next task to hand out */
	struct wl_inst w;                /* the workers' copy of the instance (worker_inst) */
	unsigned workers;
	int dynamic;
	size_t map_bytes;
	int membind_err;                 /* placing the data region: 0 or -errno */
	struct task_out *outs;
	struct worker_rec *recs;
	int *pus;                        /* the plan: per worker its PU, -1 unbound */
	void *data;
	_Atomic int64_t recovered_at;    /* now_ns() when a replacement finished its first task */
	/* --gil: the lock a worker holds from taking a task to publishing it, NULL for none. */
	pthread_mutex_t *gil;
	/* Per worker, how it runs its tasks (pool_cfg.runners), NULL: one after another. */
	const struct task_runner *runners;
};

/* Map and lay out a pool for cfg (MAP_SHARED when shared != 0, for processes), its data
 * region placed by cfg->membind. NULL on failure. */
struct shpool *shpool_create(const struct pool_cfg *cfg, int shared);
void shpool_destroy(struct shpool *sp);
/* The whole life of worker k: bind, announce, prepare, then repetitions until quit. */
void shpool_worker(struct shpool *sp, unsigned k);
/* A replacement for worker k that died in repetition gen: runs that repetition from task
 * `from` of its block to the block's end, then goes on like the others. */
void shpool_worker_resume(struct shpool *sp, unsigned k, uint32_t gen, size_t from);
/* Start the workers and wait until every one runs and has prepared its data: spawn(arg, k,
 * e) makes worker k run shpool_worker(sp, k) in a new thread or process; check(arg) (may be
 * NULL) notices dead workers while waiting. *startup_ns: from the first spawn until every
 * worker was running. Returns 0, or a negative errno with e filled (the executor's stop
 * releases what was made). */
int shpool_launch(struct shpool *sp, int64_t deadline, int (*spawn)(void *, unsigned,
		  struct cb_err *), int (*check)(void *), void *arg, int64_t *startup_ns,
		  struct cb_err *e);
/* Coordinator: one repetition; check (may be NULL) notices dead workers. */
int shpool_run(struct shpool *sp, int64_t deadline, struct task_out *outs, struct worker_rec *recs,
	       int (*check)(void *), void *arg, struct cb_err *e);

#endif
