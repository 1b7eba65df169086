/* SPDX-License-Identifier: MIT */
/* mpirank: concbench as an MPI job (Open MPI). Rank 0 runs the command as it always does;
 * ranks 1..N are the workers of the mpi executor (executors/mpi.c): they wait here for
 * messages, build the same workload instance, run their tasks with worker_rep() and send
 * the results back. Every MPI call of concbench is in this file, so that a build without
 * Open MPI (no CB_MPI) differs only here: the functions then say MPI is absent.
 *
 * The protocol, rank 0 to worker rank r (worker r - 1), every message a fixed struct:
 *   START  -> STARTED (bound), READY (data prepared)     a pool starts
 *   PING   -> PONG                                       a clock offset, per pool start
 *   RUN    -> DONE (record and results) or CRASH         one repetition
 *   STOP                                                 the pool ends
 *   QUIT                                                 the job ends (rank 0's exit)
 * A worker that dies of a fault's SIGSEGV says CRASH first, so that rank 0 reports it and
 * ends the job with exit 3; a rank that cannot be told ends with MPI_Abort. */
#ifndef CONCBENCH_MPIRANK_H
#define CONCBENCH_MPIRANK_H

#include <stddef.h>
#include <stdint.h>

#include "core/executor.h"
#include "core/workload.h"

enum mpir_tag {
	MPIR_START = 1, MPIR_STARTED, MPIR_READY, MPIR_PING, MPIR_PONG, MPIR_RUN, MPIR_DONE,
	MPIR_CRASH, MPIR_STOP, MPIR_QUIT
};

#define MPIR_HOST_MAX 64

struct mpir_start {
	char workload[32];
	struct wl_params p;
	uint32_t workers, scale;
	uint32_t k;                  /* the worker this rank is */
	int32_t pu;                  /* rank 0's plan for it (-1: unbound), used as it is when */
	int32_t bind;                /* the policy (enum bind_policy) is none or a cpuset; else */
	uint32_t local_k, local_n;   /* it plans local_n workers on its host and takes local_k */
	uint32_t inject, inject_worker, inject_task, inject_rep;   /* --inject, when armed */
};

/* STARTED and READY. */
struct mpir_ready {
	int32_t err;                 /* 0, or a negative errno with msg */
	int32_t pu;                  /* sched_getcpu() once bound */
	int32_t bind_err;
	int32_t launcher_bound;      /* mpirun had bound the rank: not rebound */
	uint64_t ntasks;             /* the instance it built, checked against rank 0's */
	char host[MPIR_HOST_MAX];
	char msg[256];
};

struct mpir_run {
	uint32_t gen;
	uint32_t lo, hi;             /* its static block */
	int64_t start_at;            /* in the worker's own clock */
};

/* One task's result. */
struct mpir_res {
	uint32_t task;
	int32_t err;
	uint64_t checksum, items;
};

/* DONE: this header, then n results. */
struct mpir_done {
	struct worker_rec rec;       /* t_start, t_end in the worker's own clock */
	uint32_t gen, n;
};

struct mpir_crash {
	int32_t signal;
	uint32_t gen;
	int64_t task;                /* the task it was running, -1 none */
};

/* 1 when this concbench was built with Open MPI. */
int mpirank_built(void);
/* First thing in main(). Outside mpirun: nothing (MPI stays uninitialised, nothing is
 * paid but loading libmpi). Under mpirun: MPI_Init; ranks other than 0 serve the mpi
 * executor and exit here; rank 0 returns and, when it exits, tells the others to end. */
void mpirank_boot(int *argc, char ***argv);
/* Ranks in the job (workers + 1), or 0 when this process is not rank 0 of an MPI job. */
int mpirank_world(void);
/* The host rank r runs on (gathered at boot), "" when unknown. */
const char *mpirank_host(int r);
/* A worker rank may be inside a task: at exit, end the job with MPI_Abort. */
void mpirank_dirty(void);

/* Rank 0. Send one message. Returns 0 or -EIO. */
int mpirank_send(int r, int tag, const void *buf, size_t len);
/* Rank 0. The next message from any rank: its rank, tag and length into buf (cap bytes).
 * Waits by polling with a growing sleep, so that waiting costs no core. Returns 0,
 * -ETIMEDOUT at deadline_ns (now_ns()), -EINTR on a stop signal, -EMSGSIZE for a message
 * longer than cap (received and dropped), -EIO. */
int mpirank_recv(int *r, int *tag, void *buf, size_t cap, size_t *len, int64_t deadline_ns);
/* Rank 0. Rank r's clock minus this one's, by rounds ping-pongs: the estimate of the
 * round trip that took least, with that round trip. Returns 0 or a negative errno. */
int mpirank_clock(int r, unsigned rounds, int64_t deadline_ns, int64_t *offset_ns,
		  int64_t *rtt_ns);

#endif
