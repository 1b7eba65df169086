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
/* Reap one worker that has ended, without waiting: 1 with its index, wait status and pid
 * (its slot set to 0), or 0 when none has. */
int children_reap_one(pid_t *pids, unsigned n, unsigned *k, int *status, pid_t *pid);
/* Name worker k (pid) and how it ended in e: returns -ECHILD. */
int child_died_err(struct cb_err *e, unsigned k, pid_t pid, int status);
/* Reap any worker that has ended: -ECHILD with e naming it and how it ended, else 0. */
int children_check(pid_t *pids, unsigned n, struct cb_err *e);
/* --on-crash restart: what the coordinator noticed of a worker that died during a
 * repetition, until the repetition's records are handed out. */
struct crash_note {
	int signal;                /* 0: no crash */
	unsigned task, lost;       /* the first task of its share not finished, and how many */
	int64_t at_ns;             /* the crash's now_ns() when --inject caused it, else 0 */
	int64_t detect_ns;         /* crash to noticed, -1 unknown */
};
/* Note worker k's death by signal sig, noticed now, its share [lo, hi) done below task. */
void crash_note_take(struct crash_note *n, int sig, size_t task, size_t hi);
/* Copy the notes of n workers into their records; recovered_at: now_ns() when the
 * replacement finished the first lost task (0: unknown). Clears the notes. */
void crash_notes_publish(struct crash_note *n, unsigned workers, struct worker_rec *recs,
			 int64_t recovered_at);
/* Wait up to grace_ns for workers told to quit, then kill and reap the rest. */
void children_stop(pid_t *pids, unsigned n, int64_t grace_ns);

#endif
