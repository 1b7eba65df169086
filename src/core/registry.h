/* SPDX-License-Identifier: MIT */
/* registry: the tables of workloads and executors, lookup, and hook checks.
 *
 * Adding a plug-in is one new file (src/workloads/NAME.c defining workload_NAME, or
 * src/executors/NAME.c defining executor_NAME) and one line X(NAME) in a list below; the
 * order of a list is the order of `list`, of --executor all and of the report's runs. */
#ifndef CONCBENCH_REGISTRY_H
#define CONCBENCH_REGISTRY_H

#include <stddef.h>

#include "core/executor.h"
#include "core/workload.h"

#define CB_WORKLOADS(X) \
	X(cpu)          \
	X(io)           \
	X(mem)          \
	/* end of the list */

/* Workloads that only another command runs (cores --latency, contend): instruments, not
 * workload commands. */
#define CB_INTERNAL_WORKLOADS(X) \
	X(pingpong)     \
	X(pipepong)     \
	X(contend)      \
	X(cow)          \
	/* end of the list */

#define CB_EXECUTORS(X) \
	X(seq)          \
	X(thread)       \
	X(fork)         \
	X(shm)          \
	X(uring)        \
	X(epoll)        \
	X(mpi)          \
	/* end of the list */

#define CB_DECLARE_WORKLOAD(name) extern const struct workload workload_##name;
#define CB_DECLARE_EXECUTOR(name) extern const struct executor executor_##name;
CB_WORKLOADS(CB_DECLARE_WORKLOAD)
CB_INTERNAL_WORKLOADS(CB_DECLARE_WORKLOAD)
CB_EXECUTORS(CB_DECLARE_EXECUTOR)

extern const struct workload *const cb_workloads[];
extern const size_t cb_nworkloads;
/* The internal workloads, apart from cb_workloads so that the command lists, the suite and
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
