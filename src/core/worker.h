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

#include "core/executor.h"
#include "core/sync.h"
#include "core/workload.h"

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

/* Test-only fault injection, armed only through CONCBENCH_TEST_FAULT, so that it cannot
 * happen by accident:
 *   EXECUTOR:crash:TASK      the worker running TASK dies of SIGSEGV
 *   EXECUTOR:hang:TASK       the worker running TASK waits for a stop signal
 *   EXECUTOR:slow:TASK       the worker running TASK runs it again and again until a stop
 *                            signal (busy in the workload: a thread that cannot be stopped)
 *   EXECUTOR:slowstart:K     worker K starts WORKER_FAULT_SLOWSTART_NS late
 *   EXECUTOR:bindfail:K      binding worker K fails (EINVAL), as if its PU were refused
 *   EXECUTOR:initfail:0      the workload cannot be initialised for the cell (mid-run)
 * Returns 0, or -EINVAL for a malformed value (the caller reports it). */
int worker_fault_parse(const char *spec);
/* Arm the parsed fault when the run's executor is the one it names; disarm otherwise. */
void worker_fault_arm(const char *executor);
/* 1 when an initfail fault names this executor. */
int worker_fault_initfail(const char *executor);
#define WORKER_FAULT_SLOWSTART_NS 500000000LL

/* Start-up of worker k in its own thread or process: bind it to its planned PU (the test
 * fault may delay or fail this). Returns 0 or the binding's negative errno. */
int worker_bind(unsigned k);

/* Publish a finished repetition's record into the slot the coordinator reads: the fields
 * first, then gen with release order. */
void worker_publish(struct worker_rec *slot, const struct worker_rec *rec, uint32_t gen);
/* The generation a slot was last published for (acquire order). */
uint32_t worker_rec_gen(const struct worker_rec *slot);

/* Coordinator: wait for repetition gen of n workers to end (remaining reaches 0). Without
 * a --timeout the first repetitions may have no deadline from a reference, so the workers
 * are also judged against their peers: once at least one peer that ran tasks has finished,
 * the others get until the last peer's end plus WORKER_PEER_FACTOR times the slowest peer's
 * time per task for each task a worker can hold, plus WORKER_PEER_FLOOR_NS. Returns 0,
 * -EINTR, check's error, or -ETIMEDOUT with the hung worker in *hung and *by_peers set when
 * the peers' deadline was the one that passed. */
#define WORKER_PEER_FACTOR 10
#define WORKER_PEER_FLOOR_NS 1000000000LL
int worker_wait_rep(struct gate *g, const struct worker_rec *recs, unsigned n, uint32_t gen,
		    size_t ntasks, int64_t deadline_ns, int (*check)(void *), void *arg,
		    unsigned *hung, int *by_peers);
/* The message for a hung worker (pid 0: a thread). */
void worker_hung_err(struct cb_err *e, unsigned k, pid_t pid, int by_peers);

/* Memory every worker of a thread or shm pool sees; one mapping holds the header, the
 * result slots, the worker records and the workload's data region. */
struct shpool {
	struct gate gate;
	_Atomic uint64_t next;           /* dynamic schedule: next task to hand out */
	const struct wl_inst *w;
	unsigned workers;
	int dynamic;
	size_t map_bytes;
	int membind_err;                 /* placing the data region: 0 or -errno */
	struct task_out *outs;
	struct worker_rec *recs;
	void *data;
};

/* Map and lay out a pool (MAP_SHARED when shared != 0, for processes). NULL on failure. */
struct shpool *shpool_create(const struct pool_cfg *cfg, int shared);
void shpool_destroy(struct shpool *sp);
/* The whole life of worker k: bind, announce, prepare, then repetitions until quit. */
void shpool_worker(struct shpool *sp, unsigned k);
/* Coordinator: wait for every worker to be started (word: &sp->gate.started), then
 * prepared (&sp->gate.prepared); each worker counts once in each. */
int shpool_wait_ready(struct shpool *sp, _Atomic uint32_t *word, int64_t deadline,
		      int (*check)(void *), void *arg, const char *what, struct cb_err *e);
/* Coordinator: one repetition; check (may be NULL) notices dead workers. */
int shpool_run(struct shpool *sp, int64_t deadline, struct task_out *outs, struct worker_rec *recs,
	       int (*check)(void *), void *arg, struct cb_err *e);

/* Process workers: describe how child pid ended ("killed by signal 11 (Segmentation fault)"). */
void describe_status(int status, char *buf, size_t len);
/* Process workers: set up a freshly forked child (die with the parent, ignore SIGINT so the
 * coordinator stops everything in order). parent: getpid() of the coordinator, saved before
 * fork(); it may well be 1 (concbench as a container's init). */
void child_setup(pid_t parent);
/* Kill (SIGKILL) and reap every pid in pids[0..n) that is > 0, then set them to 0. */
void reap_all(pid_t *pids, unsigned n);
/* Reap any worker that has ended: -ECHILD with e naming it and how it ended, else 0. */
int children_check(pid_t *pids, unsigned n, struct cb_err *e);
/* Wait up to grace_ns for workers told to quit, then kill and reap the rest. */
void children_stop(pid_t *pids, unsigned n, int64_t grace_ns);

#endif
