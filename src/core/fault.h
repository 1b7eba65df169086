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
 * The state is set before a pool starts and only read by its workers. */
#ifndef CONCBENCH_FAULT_H
#define CONCBENCH_FAULT_H

#include <stddef.h>

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

#endif
