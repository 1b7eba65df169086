/* SPDX-License-Identifier: MIT */
/* proc: the life of worker processes, for the executors that fork them: set-up in the
 * child, noticing and naming a dead one, stopping and reaping them all. */
#ifndef CONCBENCH_PROC_H
#define CONCBENCH_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/executor.h"

/* How child pid ended: "killed by signal 11 (Segmentation fault)". */
void describe_status(int status, char *buf, size_t len);
/* Set up a freshly forked child (die with the parent, ignore SIGINT so the coordinator
 * stops everything in order). parent: getpid() of the coordinator, saved before fork(); it
 * may well be 1 (concbench as a container's init). */
void child_setup(pid_t parent);
/* Kill (SIGKILL) and reap every pid in pids[0..n) that is > 0, then set them to 0. */
void reap_all(pid_t *pids, unsigned n);
/* Reap any worker that has ended: -ECHILD with e naming it and how it ended, else 0. */
int children_check(pid_t *pids, unsigned n, struct cb_err *e);
/* Wait up to grace_ns for workers told to quit, then kill and reap the rest. */
void children_stop(pid_t *pids, unsigned n, int64_t grace_ns);

#endif
