/* SPDX-License-Identifier: MIT */
/* The executor interface: how tasks reach workers and how results come back.
 *
 * An executor knows nothing about what a task computes. It starts a pool of workers (the
 * startup_s phase), runs timed repetitions with the start protocol of sync.h, and stops.
 * Each worker runs the same body, worker_rep() in worker.h; the executor only supplies the
 * task source and the result sink. What a pool is told (workers, plan, placement) comes in
 * struct pool_cfg and nowhere else: its workers bind with worker_bind() and run tasks on
 * worker_inst()'s copy of the instance. Building blocks: pool.h (workers sharing one
 * mapping, as thread and shm do), proc.h (worker processes).
 *
 * Adding an executor:
 *   1. write src/executors/NAME.c ending with
 *        const struct executor executor_NAME = { .name = "NAME", ... };
 *   2. add the line X(NAME) to CB_EXECUTORS in src/core/registry.h;
 *   3. the executor tests in tests/unit/test_executors.c pick it up from the registry.
 * The registry rejects an executor missing start, run or stop.
 */
#ifndef CONCBENCH_EXECUTOR_H
#define CONCBENCH_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/workload.h"

#define EX_SHARED_ADDRESS_SPACE 0x1  /* workers share the coordinator's memory */
#define EX_ISOLATED_FAULTS      0x2  /* a crashing worker does not take the others down */
#define EX_SINGLE_WORKER        0x4  /* runs with exactly one worker (seq) */
#define EX_SHARED_DATA          0x8  /* every worker sees the one data region, not a copy */
#define EX_EVENT_LOOP           0x10 /* a worker is an event loop: tasks in flight, not blocking */
#define EX_NAMED_ONLY           0x20 /* a forced variant of another: not in --executor all */

/* --depth, tasks in flight per event loop: the default, enough to hide a 10 ms sleep behind
 * the others at io's default --tasks, and the most (a file task holds a 64 KiB buffer). */
#define EX_LOOP_DEFAULT_DEPTH 64
#define EX_LOOP_MAX_DEPTH 1024

/* Its workers are processes a launcher started (mpirun's ranks), perhaps on other hosts:
 * run only when named (never in --executor all or a default list), and only by the
 * workload commands, whose cells it can reach. */
#define EX_LAUNCHED             0x40

/* The first error of a run, described once. code: 0 or a negative errno. */
struct cb_err {
	int code;
	char msg[320];
};
void cb_err_set(struct cb_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What a worker measured during one repetition. Whole cache lines per worker. */
struct worker_rec {
	int64_t t_start, t_end;          /* CLOCK_MONOTONIC ns, taken by the worker itself */
	int64_t utime_ns, stime_ns;      /* getrusage deltas over the timed region */
	int64_t nvcsw, nivcsw, minflt, majflt;
	int64_t maxrss_kb;
	int32_t cpu_start, cpu_end;      /* sched_getcpu() at start and end */
	uint32_t tasks;                  /* tasks this worker ran */
	int32_t err;                     /* first task error, 0 if none */
	uint32_t err_task;
	int32_t bind_err;                /* binding the worker to its planned PU: 0 or -errno */
	int32_t membind_err;             /* placing its data (--membind): 0 or -errno */
	struct ctr_values ctr;           /* its counters over the timed region (counters.h) */
	/* Filled by the coordinator, not the worker: with pool_cfg.restart, the worker died of
	 * crash_signal during the repetition and a replacement ran the crash_lost tasks it had
	 * not finished, from crash_task on; detect: crash to noticed, recover: crash to
	 * crash_task done again (ns, -1 when the crash's time is unknown). 0: no crash. */
	int32_t crash_signal;
	uint32_t crash_task, crash_lost;
	int64_t crash_detect_ns, crash_recover_ns;
	/* Repetition this record belongs to; published last, with release order, by
	 * worker_publish() and read by the coordinator with worker_rec_gen(). */
	uint32_t gen;
} __attribute__((aligned(64)));

/* Everything a pool is told: the executor hides nothing else from its workers. */
struct pool_cfg {
	const struct wl_inst *w;
	unsigned workers;
	int dynamic;                     /* tasks handed out on demand instead of in blocks */
	int64_t deadline_ns;             /* now_ns() limit for the pool to start and prepare */
	/* The plan: per worker, the OS index of the PU it binds itself to, -1 unbound; NULL:
	 * none bound. Read while the pool starts (a worker keeps its own PU). A single-worker
	 * executor (the baseline) runs unbound. */
	const int *pus;
	/* The --bind policy pus was planned with (enum bind_policy, topo.h), for workers that
	 * plan again on their own host (mpi ranks on other machines). */
	int bind;
	/* --membind: places the data region and what tasks map themselves (the workload gets
	 * it in its instance, wl_membind); NULL: first touch. */
	wl_membind_fn *membind;
	/* --on-crash restart: a worker process that dies during a repetition is replaced and
	 * the tasks it had not finished run again (static schedule only); 0: the run fails. */
	int restart;
	/* --gil (thread executor only): one global lock, held while a task computes and let go
	 * around its blocking calls, as an interpreter lock does. */
	int gil;
	/* An event loop per worker (EX_EVENT_LOOP): at most depth tasks in flight on each, 0
	 * for the executor's default. */
	unsigned depth;
	/* How each worker runs the tasks of a repetition (one per worker, worker.h), NULL: one
	 * after another with run_task. Set by an executor that builds on another's pool. */
	const struct task_runner *runners;
};

/* The PU planned for worker k, -1 when it is unbound. */
static inline int pool_cfg_pu(const struct pool_cfg *cfg, unsigned k)
{
	return cfg->pus ? cfg->pus[k] : -1;
}

/* Where one worker of a launched pool (EX_LAUNCHED) runs, as it said when it started. */
struct worker_place {
	int rank;                        /* its MPI rank */
	char host[64];                   /* its host name */
	int pu;                          /* the PU it was on once bound (OS index), -1 unknown */
	int launcher_bound;              /* the launcher had bound it (mpirun --bind-to): kept */
	int64_t offset_ns;               /* its clock minus the coordinator's */
	int64_t offset_err_ns;           /* the estimate's uncertainty: half its round trip */
};

struct pool;
struct task_runner;

struct executor {
	const char *name;
	const char *summary;
	unsigned flags;
	/* Optional. 0, or -ENOTSUP with the reason. */
	int (*supported)(char *why, size_t len);
	/* Optional. 0 when a pool of `workers` can start, else -ERANGE with the reason; checked
	 * with the options, as bad input (mpi: the ranks mpirun started). */
	int (*fits)(unsigned workers, char *why, size_t len);
	/* Optional. Where each worker of a started pool runs: out[0..workers). */
	void (*places)(const struct pool *p, struct worker_place *out);
	/* Create and start the workers, each bound and with its data prepared. Returns 0, the
	 * pool and in *startup_ns the time until every worker was running and parked (data
	 * preparation excluded), or a negative errno with e filled (nothing left behind). */
	int (*start)(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		     struct cb_err *e);
	/* One timed repetition: every task run once. Fills outs[0..ntasks) and
	 * recs[0..workers). Returns 0, or a negative errno with e filled: -ETIMEDOUT for a
	 * worker that did not finish by deadline_ns, -ECHILD for a worker that died, -EINTR
	 * when a stop signal arrived. After an error the pool may only be stopped. */
	int (*run)(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		   struct worker_rec *recs, struct cb_err *e);
	/* Stop the workers, release everything. Accepts NULL; never fails. */
	void (*stop)(struct pool *p);
	/* Optional. What performs a started pool's operations where that can differ from run
	 * to run ("io_uring" or "epoll" for an event loop): the report's runs[].backend. */
	const char *(*backend)(const struct pool *p);
};

/* Static blocks: the tasks [*lo, *hi) of worker k out of n over ntasks. */
static inline void task_block(size_t ntasks, unsigned n, unsigned k, size_t *lo, size_t *hi)
{
	*lo = ntasks * k / n;
	*hi = ntasks * (k + 1) / n;
}

#endif
