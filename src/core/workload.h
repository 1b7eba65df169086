/* SPDX-License-Identifier: MIT */
/* The workload interface: what is computed, split into tasks, and how the result is checked.
 *
 * A workload knows nothing about threads or processes. It sees a task index, a data region
 * that an executor provided (the same bytes for every task of one worker; shared or private
 * is the executor's business) and a result slot to fill.
 *
 * Adding a workload:
 *   1. write src/workloads/NAME.c ending with
 *        const struct workload workload_NAME = { .name = "NAME", ... };
 *      with every hook that is not marked optional below;
 *   2. add the line X(NAME) to CB_WORKLOADS in src/core/registry.h; an instrument only
 *      another command runs (pingpong for cores --latency) goes to CB_INTERNAL_WORKLOADS
 *      instead, so that it does not become a command;
 *   3. add a verification test to tests/unit/test_workloads.c.
 * A workload whose tasks wait (I/O, sleep) may add the asynchronous form (async_start,
 * async_step below) so that an event loop keeps many of them in flight; without it an
 * event loop runs run_task inline (cpu, mem) unless the workload says WL_BLOCKING.
 * The registry checks the hooks at start-up, before any run.
 */
#ifndef CONCBENCH_WORKLOAD_H
#define CONCBENCH_WORKLOAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define WL_MAX_OPTIONS 4
#define WL_MAX_TASKS 4096

/* struct workload's flags. WL_SHARED_DATA: tasks of different workers meet in the data
 * region (a cache line handed back and forth), so the workload runs only on an executor
 * whose workers share that region (EX_SHARED_DATA); cell_run checks it, no workload looks
 * at executor names. */
#define WL_SHARED_DATA 0x1
/* WL_BLOCKING: its tasks wait in the kernel (sleep, I/O, a peer). Without an asynchronous
 * form (async_start below) it cannot run on an event loop (EX_EVENT_LOOP): run inline, one
 * waiting task would stall every other task in flight, a sequential worker under another
 * name. cell_run and registry's workload_runs_on refuse that pairing. */
#define WL_BLOCKING 0x2

/* The result of one task, written once by the worker that ran it. One cache line, so that
 * workers writing neighbouring slots do not false-share. */
struct task_out {
	uint64_t checksum;   /* workload-defined, combined by verify */
	uint64_t items;      /* units of work done, for throughput */
	uint32_t task;       /* which task this is */
	uint32_t done;       /* 1 once the task completed */
	int32_t err;         /* 0 or a negative errno from run_task */
	uint32_t pad_[9];
} __attribute__((aligned(64)));

/* A workload option beyond the common ones (--size, --tasks): a choice of kernel, or a
 * duration. The option's value lands in wl_params.opt[i], i its index in options[]. */
enum wl_option_kind { WLO_CHOICE, WLO_DURATION };
struct wl_option {
	const char *name;               /* long option, without the dashes */
	enum wl_option_kind kind;
	const char *const *choices;     /* WLO_CHOICE: NULL-terminated, choices[0] is the default */
	int64_t def_ns;                 /* WLO_DURATION: default in nanoseconds */
	int64_t min_ns, max_ns;         /* WLO_DURATION: accepted range */
	const char *help;
};

/* Facts about the machine that size defaults (from hwloc). */
struct machine {
	unsigned pus;
	uint64_t llc_bytes;     /* largest cache's size, 0 if unknown */
	uint64_t mem_bytes;     /* total memory */
};

struct wl_params {
	uint64_t size;          /* workload's meaning; 0: the workload's default */
	uint64_t tasks;         /* number of tasks; 0: the workload's default */
	int64_t opt[WL_MAX_OPTIONS];  /* choice index or nanoseconds, per options[] */
};

/* Places fresh memory by --membind before its first touch: 0 or a negative errno. */
typedef int wl_membind_fn(void *addr, size_t len);
/* Told that a task enters (entering 1) or leaves (0) a blocking call; ctx is the executor's. */
typedef void wl_blocking_fn(void *ctx, int entering);

/* One instance of a workload for one run (fixed parameters and worker count). Read-only
 * after init: forked workers get a copy, threads share it. What a workload needs from the
 * run it is part of (is it being stopped, where fresh memory goes) comes through the
 * instance too, never from a global: read it with wl_stopped, wl_threads_stuck and
 * wl_membind, and bracket blocking calls with wl_blocking. */
struct wl_inst {
	const struct workload *wl;
	struct wl_params p;     /* resolved by init: tasks is never 0 afterwards; size is 0
				 * only where the workload does not use it (io sleep) */
	unsigned workers;       /* how many workers will share the tasks */
	unsigned scale;         /* multiply the total work by this (weak scaling), >= 1 */
	size_t ntasks;          /* set by init, 1..WL_MAX_TASKS */
	size_t data_bytes;      /* set by init: the data region the executor provides, 0 = none */
	int tasks_own_data;     /* set by init: task t must run where prepare(t) ran (static only) */
	uint64_t items;         /* set by init: total units of work of one repetition */
	const char *unit;       /* set by init: unit of items, e.g. "items", "bytes", "tasks" */
	void *priv;             /* the workload's own state */
	/* Set by cell_inst_init (NULL in an instance made by hand: never stopped, never stuck). */
	const _Atomic int *stop;   /* nonzero once the run is being stopped */
	const _Atomic int *stuck;  /* nonzero once a worker thread could not be stopped */
	/* Set by the executor in the copy its workers use: the pool's --membind placement,
	 * NULL for first touch. */
	wl_membind_fn *membind;
	/* Set by the executor in its workers' copy: what a blocking call lets go of (--gil
	 * releases the global lock around it), NULL for nothing. Called through wl_blocking. */
	wl_blocking_fn *blocking;
	void *blocking_ctx;
};

/* One operation of an asynchronous task (struct workload's async_start, async_step): what
 * to do, never how. A sleep of ns nanoseconds; len bytes of buf written to or read from fd
 * at offset off (as pwrite, pread: the result may be short); fsync of fd. */
enum wl_op_kind { WL_OP_SLEEP, WL_OP_WRITE, WL_OP_READ, WL_OP_FSYNC };
struct wl_op {
	enum wl_op_kind kind;
	int fd;
	void *buf;
	size_t len;
	uint64_t off;
	int64_t ns;
};
/* async_start and async_step: *op holds the next operation. */
#define WL_ASYNC_MORE 1

struct workload {
	const char *name;
	const char *summary;
	const char *size_help;  /* what --size means for this workload */
	int size_in_bytes;      /* --size counts bytes: k, M, G are powers of 1024 */
	uint64_t max_size;      /* the largest --size that can run in reasonable time or memory,
				 * checked when parsed; init checks the total (weak scaling
				 * multiplies it) and anything finer */
	const struct wl_option *options;
	size_t noptions;
	unsigned flags;         /* WL_* above */

	/* Optional. 0 when it can run here, else -ENOTSUP with the reason in why. */
	int (*supported)(char *why, size_t len);
	/* Resolve defaults, validate (error text in err), set ntasks, data_bytes, items, unit. */
	int (*init)(struct wl_inst *w, const struct machine *m, char *err, size_t len);
	/* Optional. First-touch and fill the data task t uses, outside the timed region, in the
	 * worker that will run t. */
	void (*prepare)(const struct wl_inst *w, void *data, size_t t);
	/* Run task t. Returns 0 or a negative errno; fills out->checksum and out->items. */
	int (*run_task)(const struct wl_inst *w, void *data, size_t t, struct task_out *out);
	/* Check one repetition's results against an independently computed reference. Every
	 * outs[t].done is 1 when called. Returns 0 and the combined checksum, or -EBADMSG with
	 * the mismatch described in err. */
	int (*verify)(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		      char *err, size_t len);
	/* Optional. Release what init made (temporary files too); safe after a failed init.
	 * When wl_threads_stuck(w), a worker thread may still be inside run_task: remove the
	 * files but free nothing a task reads (the process ends next). */
	void (*fini)(struct wl_inst *w);

	/* Optional, all three or none: the asynchronous form, for an executor that keeps many
	 * tasks in flight on one thread (the event loop of `--executor uring`). A task is a
	 * state machine in async_state bytes the executor provides (uninitialised, aligned to
	 * 64, never shared between tasks in flight). async_start begins task t and async_step
	 * takes the result of the operation it asked for; each either describes the next
	 * operation in *op and returns WL_ASYNC_MORE, or ends the task: it fills out->checksum
	 * and out->items exactly as run_task would and returns what run_task would (0 or a
	 * negative errno), having released what the task held. The operation is data (struct
	 * wl_op): the executor performs it however it likes and passes its result (bytes
	 * done, 0 for a sleep or an fsync, or a negative errno, -EINTR once the run is being
	 * stopped; a negative result ends the task, so that a stopped loop drains). A
	 * workload without this form runs run_task inline on such an executor. */
	size_t async_state;
	int (*async_start)(const struct wl_inst *w, void *data, size_t t, void *state,
			   struct wl_op *op, struct task_out *out);
	int (*async_step)(const struct wl_inst *w, void *state, int64_t result, struct wl_op *op,
			  struct task_out *out);
};

/* Index of a choice option's value in w->p.opt, for workloads' own use. */
static inline const char *wl_choice(const struct wl_inst *w, size_t i)
{
	return w->wl->options[i].choices[w->p.opt[i]];
}

/* 1 once the run is being stopped (Ctrl-C): a task that waits may give up with -EINTR. */
static inline int wl_stopped(const struct wl_inst *w)
{
	return w->stop && atomic_load(w->stop) != 0;
}

/* 1 when a worker thread could not be stopped and may still read the instance (for fini). */
static inline int wl_threads_stuck(const struct wl_inst *w)
{
	return w->stuck && atomic_load(w->stuck) != 0;
}

/* Place fresh memory a task maps itself, as the executor placed the data region. Returns 0
 * or a negative errno. */
static inline int wl_membind(const struct wl_inst *w, void *addr, size_t len)
{
	return w->membind ? w->membind(addr, len) : 0;
}

/* Bracket a blocking call (sleep, fsync, read, write): wl_blocking(w, 1) before it,
 * wl_blocking(w, 0) after, so that an executor may let other workers run meanwhile. */
static inline void wl_blocking(const struct wl_inst *w, int entering)
{
	if (w->blocking)
		w->blocking(w->blocking_ctx, entering);
}

#endif
