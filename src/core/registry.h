/* SPDX-License-Identifier: MIT */
/* registry: the tables of workloads and executors, lookup, and hook checks. */
#ifndef CONCBENCH_REGISTRY_H
#define CONCBENCH_REGISTRY_H

#include <stddef.h>

#include "core/executor.h"
#include "core/workload.h"

extern const struct workload workload_cpu, workload_io, workload_mem;
extern const struct workload workload_pingpong, workload_pipepong;
extern const struct executor executor_seq, executor_thread, executor_fork, executor_shm;

extern const struct workload *const cb_workloads[];
extern const size_t cb_nworkloads;
/* Workloads that only another command runs (cores --latency): two-worker instruments, not
 * workload commands. Apart from cb_workloads so that the command lists, the suite and
 * --workload never offer them; `list` shows them. */
extern const struct workload *const cb_internal_workloads[];
extern const size_t cb_ninternal_workloads;
extern const struct executor *const cb_executors[];
extern const size_t cb_nexecutors;

const struct workload *workload_find(const char *name);
const struct executor *executor_find(const char *name);
/* 0 when workload wl can run on executor ex, else -ENOTSUP with the reason in why (a
 * requirement of wl's flags that ex's flags do not meet). */
int workload_runs_on(const struct workload *wl, const struct executor *ex, char *why,
		     size_t len);
/* Check that every plug-in has its required hooks. Returns 0, or -EINVAL naming the first
 * incomplete one in why. */
int registry_check(char *why, size_t len);

#endif
