/* SPDX-License-Identifier: MIT */
/* worker: the one worker body every executor runs, and the coordinator's side of a
 * repetition (records, waiting, naming a hung worker).
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

/* How a worker runs the tasks of its timed region, instead of one after another: take
 * them from src, run them (run_task, or the asynchronous form, many in flight), emit
 * every result, and count rec->tasks and the first rec->err / err_task as worker_rep does.
 * It returns once src has none left and none is in flight, or a stop was asked for. */
struct task_runner {
	void (*run)(void *self, const struct wl_inst *w, void *data, struct task_source *src,
		    struct worker_rec *rec);
	void *self;
};

/* The default runner: one task after another with run_task on the calling thread, until
 * src has none left or a stop signal arrives. */
void worker_run_tasks(const struct wl_inst *w, void *data, struct task_source *src,
		      struct worker_rec *rec);

/* One timed repetition in the calling worker: spin to start_at, time, run tasks, time.
 * ctr: the worker's counters (counters_open once when it starts, counters_close when it
 * ends), read right before and right after the timed region into rec->ctr; NULL: none. */
void worker_rep(const struct wl_inst *w, void *data, int64_t start_at, struct task_source *src,
		struct counters *ctr, struct worker_rec *rec);
/* The same, with the tasks run by runner (NULL: one after another, as worker_rep). */
void worker_rep_with(const struct wl_inst *w, void *data, int64_t start_at,
		     struct task_source *src, const struct task_runner *runner,
		     struct counters *ctr, struct worker_rec *rec);

/* Prepare (first touch) the tasks worker k of n owns under the static schedule. */
void worker_prepare(const struct wl_inst *w, void *data, unsigned k, unsigned n);

/* The instance as a pool's workers see it: the caller's, with the pool's placement
 * (cfg->membind). Every executor runs tasks on such a copy, never on cfg->w itself. */
void worker_inst(struct wl_inst *copy, const struct pool_cfg *cfg);

/* Start-up of worker k in its own thread or process: bind it to its planned PU (pu, -1:
 * unbound; the test fault may delay or fail this). Returns 0 or the binding's negative
 * errno. */
int worker_bind(unsigned k, int pu);

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

#endif
