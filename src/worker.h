/* SPDX-License-Identifier: MIT */
/* worker: the one worker body every executor runs, and the shared-memory pool that the
 * thread and shm executors have in common.
 *
 * worker_rep() is written once; an executor decides only where the next task index comes
 * from and where a result goes (struct task_source). It never sees a pid, a tid or a pipe. */
#ifndef CONCBENCH_WORKER_H
#define CONCBENCH_WORKER_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "executor.h"
#include "sync.h"
#include "workload.h"

struct task_source {
	/* Next task index, or -1 when there is none left for this worker. */
	long (*next)(void *self);
	/* Deliver one result. Returns 0 or a negative errno (then the worker stops). */
	int (*emit)(void *self, const struct task_out *o);
	void *self;
};

/* One timed repetition in the calling worker: spin to start_at, time, run tasks, time. */
void worker_rep(const struct wl_inst *w, void *data, int64_t start_at, struct task_source *src,
		struct worker_rec *rec);

/* Prepare (first touch) the tasks worker k of n owns under the static schedule. */
void worker_prepare(const struct wl_inst *w, void *data, unsigned k, unsigned n);

/* Test-only fault injection, armed only through CONCBENCH_TEST_FAULT=EXECUTOR:crash:TASK or
 * EXECUTOR:hang:TASK, so that it cannot happen by accident. Returns 0, or -EINVAL for a
 * malformed value (the caller reports it). */
int worker_fault_parse(const char *spec);
/* Arm the parsed fault when the run's executor is the one it names; disarm otherwise. */
void worker_fault_arm(const char *executor);

/* Set when a thread worker could not be stopped (stuck inside a task): the process must end
 * without freeing what that thread may still use. */
extern volatile int cb_threads_stuck;

/* Memory every worker of a thread or shm pool sees; one mapping holds the header, the
 * result slots, the worker records and the workload's data region. */
struct shpool {
	struct gate gate;
	_Atomic uint64_t next;           /* dynamic schedule: next task to hand out */
	const struct wl_inst *w;
	unsigned workers;
	int dynamic;
	size_t map_bytes;
	struct task_out *outs;
	struct worker_rec *recs;
	void *data;
};

/* Map and lay out a pool (MAP_SHARED when shared != 0, for processes). NULL on failure. */
struct shpool *shpool_create(const struct pool_cfg *cfg, int shared);
void shpool_destroy(struct shpool *sp);
/* The whole life of worker k: bind, announce, prepare, then repetitions until quit. */
void shpool_worker(struct shpool *sp, unsigned k);
/* Coordinator: wait for the workers to be started (2nd call: prepared). */
int shpool_wait_ready(struct shpool *sp, uint32_t target, int64_t deadline, int (*check)(void *),
		      void *arg, const char *what, struct cb_err *e);
/* Coordinator: one repetition; check (may be NULL) notices dead workers. */
int shpool_run(struct shpool *sp, int64_t deadline, struct task_out *outs, struct worker_rec *recs,
	       int (*check)(void *), void *arg, struct cb_err *e);

/* Process workers: describe how child pid ended ("killed by signal 11 (Segmentation fault)"). */
void describe_status(int status, char *buf, size_t len);
/* Process workers: set up a freshly forked child (die with the parent, ignore SIGINT so the
 * coordinator stops everything in order). */
void child_setup(void);
/* Kill (SIGKILL) and reap every pid in pids[0..n) that is > 0, then set them to 0. */
void reap_all(pid_t *pids, unsigned n);
/* Reap any worker that has ended: -ECHILD with e naming it and how it ended, else 0. */
int children_check(pid_t *pids, unsigned n, struct cb_err *e);
/* Wait up to grace_ns for workers told to quit, then kill and reap the rest. */
void children_stop(pid_t *pids, unsigned n, int64_t grace_ns);

#endif
