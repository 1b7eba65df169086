/* SPDX-License-Identifier: MIT */
/* shm: worker processes that share one anonymous MAP_SHARED mapping holding the inputs, the
 * results and the start gate, synchronised with process-shared futexes (the
 * shared-memory-arrays model). Nothing is named, so nothing can be left behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/pool.h"
#include "core/proc.h"

#define SHM_GRACE_NS 2000000000LL

struct pool {
	struct shpool *sp;
	pid_t *pids;
	unsigned workers;
	pid_t self;         /* the coordinator, for the children's set-up */
	int failed;         /* a repetition failed: no grace for the workers, kill them */
	int restart;        /* --on-crash restart */
	uint32_t gen;       /* the repetition under way, 0 while none is */
	struct crash_note *notes;   /* per worker */
	struct cb_err *e;
};

static int shm_fork(struct pool *p, unsigned k, uint32_t gen, size_t from, struct cb_err *e);

/* Worker k died of signal sig during repetition p->gen: a fresh process finishes the
 * tasks of its block that have no result yet. */
static int shm_replace(struct pool *p, unsigned k, int sig)
{
	struct shpool *sp = p->sp;
	size_t lo, hi;

	task_block(sp->w.ntasks, p->workers, k, &lo, &hi);
	while (lo < hi && sp->outs[lo].done)
		lo++;
	crash_note_take(&p->notes[k], sig, lo, hi);
	atomic_store(&sp->recovered_at, 0);
	return shm_fork(p, k, p->gen, lo, p->e);
}

static int shm_check(void *arg)
{
	struct pool *p = arg;
	unsigned k;
	int status, rc;
	pid_t pid;

	while (children_reap_one(p->pids, p->workers, &k, &status, &pid)) {
		/* Replaced once per repetition: a replacement that dies too fails the run. */
		if (!p->restart || !p->gen || !WIFSIGNALED(status) || p->notes[k].signal)
			return child_died_err(p->e, k, pid, status);
		rc = shm_replace(p, k, WTERMSIG(status));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void shm_stop(struct pool *p)
{
	if (!p)
		return;
	if (p->sp)
		gate_quit(&p->sp->gate);
	if (p->pids)
		children_stop(p->pids, p->workers, p->failed ? 0 : SHM_GRACE_NS);
	shpool_destroy(p->sp);
	free(p->notes);
	free(p->pids);
	free(p);
}

/* Worker k in a new process; gen > 0: a replacement that joins repetition gen at task
 * `from` of its block. */
static int shm_fork(struct pool *p, unsigned k, uint32_t gen, size_t from, struct cb_err *e)
{
	pid_t pid = fork();

	if (pid < 0) {
		int rc = -errno;
		cb_err_set(e, rc, "cannot fork worker %u of %u: %s", k, p->workers, strerror(-rc));
		return rc;
	}
	if (pid == 0) {
		child_setup(p->self);
		if (gen)
			shpool_worker_resume(p->sp, k, gen, from);
		else
			shpool_worker(p->sp, k);
		_exit(0);
	}
	p->pids[k] = pid;
	return 0;
}

static int shm_spawn(void *arg, unsigned k, struct cb_err *e)
{
	return shm_fork(arg, k, 0, 0, e);
}

static int shm_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		     struct cb_err *e)
{
	struct pool *p = calloc(1, sizeof(*p));
	int rc;

	if (!p || !(p->pids = calloc(cfg->workers, sizeof(*p->pids))) ||
	    !(p->notes = calloc(cfg->workers, sizeof(*p->notes))) || !(p->sp = shpool_create(cfg, 1))) {
		rc = -ENOMEM;
		cb_err_set(e, rc, "cannot map a shared pool for %u processes", cfg->workers);
		goto fail;
	}
	p->workers = cfg->workers;
	p->self = getpid();
	p->restart = cfg->restart;
	p->e = e;
	rc = shpool_launch(p->sp, cfg->deadline_ns, shm_spawn, shm_check, p, startup_ns, e);
	if (rc < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	shm_stop(p);
	return rc;
}

static int shm_run(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		   struct worker_rec *recs, struct cb_err *e)
{
	int rc;
	p->e = e;
	p->gen = atomic_load(&p->sp->gate.go) + 1;
	rc = shpool_run(p->sp, deadline_ns, outs, recs, shm_check, p, e);
	p->gen = 0;
	if (rc == 0)
		crash_notes_publish(p->notes, p->workers, recs, atomic_load(&p->sp->recovered_at));
	p->failed = rc < 0;
	return rc;
}

const struct executor executor_shm = {
	.name = "shm",
	.summary = "worker processes sharing one anonymous mapping for inputs and results",
	.flags = EX_ISOLATED_FAULTS | EX_SHARED_DATA,
	.start = shm_start,
	.run = shm_run,
	.stop = shm_stop,
};
