/* SPDX-License-Identifier: MIT */
/* registry: the tables of workloads and executors, lookup, and hook checks. */
#ifndef CONCBENCH_REGISTRY_H
#define CONCBENCH_REGISTRY_H

#include <stddef.h>

#include "core/executor.h"
#include "core/workload.h"

extern const struct workload workload_cpu, workload_io, workload_mem;
extern const struct executor executor_seq, executor_thread, executor_fork, executor_shm;

extern const struct workload *const cb_workloads[];
extern const size_t cb_nworkloads;
extern const struct executor *const cb_executors[];
extern const size_t cb_nexecutors;

const struct workload *workload_find(const char *name);
const struct executor *executor_find(const char *name);
/* Check that every plug-in has its required hooks. Returns 0, or -EINVAL naming the first
 * incomplete one in why. */
int registry_check(char *why, size_t len);

#endif
