/* SPDX-License-Identifier: MIT */
/* spawn: what it costs to create and reap one worker, each way a worker can be made (a
 * thread, a forked copy, an exec'd helper by vfork or posix_spawn, an executor's pool), with
 * the parent holding a chosen amount of resident memory, since fork copies its page tables. */
#ifndef CONCBENCH_SPAWN_H
#define CONCBENCH_SPAWN_H

#include <stddef.h>
#include <stdint.h>

#include "core/executor.h"
#include "core/workload.h"

/* argv[1] of the exec'd helper: concbench exits 0 at once, before anything else. */
#define SPAWN_NOOP_ARG "__noop"

enum spawn_mech {
	SPAWN_THREAD,           /* pthread_create + pthread_join of a function that returns */
	SPAWN_FORK,             /* fork + waitpid of a child that calls _exit(0) */
	SPAWN_VFORK_EXEC,       /* vfork + execve of the helper + waitpid */
	SPAWN_POSIX_SPAWN,      /* posix_spawn of the helper + waitpid */
	SPAWN_NMECH
};

/* "pthread_create+join", "fork+wait", "vfork+exec+wait", "posix_spawn+wait" */
const char *spawn_mech_name(enum spawn_mech m);

/* Memory the parent holds while it spawns: mapped, every page written, counted resident. */
struct spawn_rss {
	void *p;
	size_t len;
	size_t resident;        /* bytes mincore() found resident after the touch */
};
/* Map and touch bytes (0: nothing). Returns 0, or a negative errno with e filled. */
int spawn_rss_hold(struct spawn_rss *r, uint64_t bytes, struct cb_err *e);
/* Unmap it (accepts an empty one). */
void spawn_rss_release(struct spawn_rss *r);

/* One create and reap by m, timed: 0 and *s in seconds, or a negative errno with e filled
 * (-EINTR when a stop signal arrived). helper: the path of concbench, exec'd with
 * SPAWN_NOOP_ARG. Leaves no child behind. */
int spawn_once(enum spawn_mech m, const char *helper, double *s, struct cb_err *e);

/* One start and stop of ex's pool for w's workers: 0 and *s the start-up the executor
 * measured, divided by the workers, or a negative errno with e filled. */
int spawn_pool_once(const struct executor *ex, const struct wl_inst *w, double *s,
		    struct cb_err *e);

#endif
