/* SPDX-License-Identifier: MIT */
/* fault: test-only fault injection, armed only through CONCBENCH_TEST_FAULT, so that it
 * cannot happen by accident:
 *   EXECUTOR:crash:TASK      the worker running TASK dies of SIGSEGV
 *   EXECUTOR:hang:TASK       the worker running TASK waits for a stop signal
 *   EXECUTOR:slow:TASK       the worker running TASK runs it again and again until a stop
 *                            signal (busy in the workload: a thread that cannot be stopped)
 *   EXECUTOR:slowstart:K     worker K starts FAULT_SLOWSTART_NS late
 *   EXECUTOR:bindfail:K      binding worker K fails (EINVAL), as if its PU were refused
 *   EXECUTOR:initfail:0      the workload cannot be initialised for the cell (mid-run)
 * The state is set before a pool starts and only read by its workers.
 *
 * The user's own fault, --inject crash:WORKER:TASK, is separate from the test faults: worker
 * WORKER dies of a real SIGSEGV right before its TASK-th task (0-based, counted in its own
 * share) of the first kept repetition of every run of several workers. The time of the
 * crash and the task are kept in memory shared with every worker, so that the coordinator
 * can time how long noticing and recovering took. */
#ifndef CONCBENCH_FAULT_H
#define CONCBENCH_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "core/workload.h"

#define FAULT_SLOWSTART_NS 500000000LL

/* Returns 0, or -EINVAL for a malformed value (the caller reports it). */
int fault_parse(const char *spec);
/* Arm the parsed fault when the run's executor is the one it names; disarm otherwise. */
void fault_arm(const char *executor);
/* 1 when an initfail fault names this executor. */
int fault_initfail(const char *executor);

/* Worker side. Before task t: crash, hang or spin in the task when armed for it. */
void fault_task(const struct wl_inst *w, void *data, size_t t);
/* Before worker k binds itself: sleep (slowstart), or -EINVAL to report instead of
 * binding (bindfail); else 0. */
int fault_bind(unsigned k);

/* --inject: the largest WORKER or TASK the parser takes (the run checks the real bounds). */
#define FAULT_INJECT_MAX 1000000u
/* Parse "crash:WORKER:TASK": 0, or -EINVAL (the caller reports it). */
int fault_inject_parse(const char *spec, unsigned *worker, unsigned *task);
/* Inject that crash in every later run: 0, or a negative errno (no shared memory). */
int fault_inject_set(unsigned worker, unsigned task);
/* Before a pool starts: arm the injection for a pool of several workers (the baseline
 * never crashes), in the first repetition after warmup warm-ups. */
void fault_inject_arm(int several_workers, unsigned warmup);
/* Coordinator: 1 with the crash's now_ns() time and task once the armed crash happened in
 * this cell visit, else 0. */
int fault_inject_fired(int64_t *at_ns, unsigned *task);
/* Worker side: worker k begins the pool's repetition gen (counts its tasks anew). */
void fault_rep(unsigned k, uint32_t gen);
/* The armed injection, for a worker in another process that was not forked from this one
 * (an MPI rank): 1 with its worker, task and pool repetition, else 0. */
int fault_inject_get(unsigned *worker, unsigned *task, uint32_t *rep);
/* Called right before a fault's SIGSEGV is raised (an MPI rank tells its coordinator);
 * NULL: nothing. */
void fault_on_crash(void (*fn)(void));

#endif
