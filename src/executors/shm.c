/* SPDX-License-Identifier: MIT */
/* shm: worker processes that share one anonymous MAP_SHARED mapping holding the inputs, the
 * results and the start gate, synchronised with process-shared futexes (the
 * shared-memory-arrays model). Nothing is named, so nothing can be left behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
	struct cb_err *e;
};

static int shm_check(void *arg)
{
	struct pool *p = arg;
	return children_check(p->pids, p->workers, p->e);
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
	free(p->pids);
	free(p);
}

static int shm_spawn(void *arg, unsigned k, struct cb_err *e)
{
	struct pool *p = arg;
	pid_t pid = fork();

	if (pid < 0) {
		int rc = -errno;
		cb_err_set(e, rc, "cannot fork worker %u of %u: %s", k, p->workers, strerror(-rc));
		return rc;
	}
	if (pid == 0) {
		child_setup(p->self);
		shpool_worker(p->sp, k);
		_exit(0);
	}
	p->pids[k] = pid;
	return 0;
}

static int shm_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		     struct cb_err *e)
{
	struct pool *p = calloc(1, sizeof(*p));
	int rc;

	if (!p || !(p->pids = calloc(cfg->workers, sizeof(*p->pids))) ||
	    !(p->sp = shpool_create(cfg, 1))) {
		rc = -ENOMEM;
		cb_err_set(e, rc, "cannot map a shared pool for %u processes", cfg->workers);
		goto fail;
	}
	p->workers = cfg->workers;
	p->self = getpid();
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
	rc = shpool_run(p->sp, deadline_ns, outs, recs, shm_check, p, e);
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
