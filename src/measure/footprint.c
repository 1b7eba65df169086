/* SPDX-License-Identifier: MIT */
/* footprint: one executor's memory before and after its workers write (footprint.h). The
 * pool is started, run and stopped through the executor interface, as cell.c does, with
 * no plan (unbound) and a static schedule; the repetition is verified. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "core/cell.h"
#include "core/fault.h"
#include "core/registry.h"
#include "core/sync.h"
#include "measure/footprint.h"

#define FOOTPRINT_DEADLINE_NS (60LL * 1000000000LL)

/* The coordinator and its children, summed. Returns 0, or a negative errno with why. */
static int read_all_procs(const char *proc, struct footprint_res *r,
			  struct footprint_reading *x)
{
	pid_t self = getpid(), kids[FOOTPRINT_MAX_PROCS];
	int n = smaps_children(proc, self, kids, ARRAY_SIZE(kids)), rc;
	char why[200];

	memset(x, 0, sizeof(*x));
	if (n < 0) {
		cb_fmt(r->why, sizeof(r->why), "cannot list the processes in %s: %s", proc,
		       strerror(-n));
		return n;
	}
	if ((size_t)n > ARRAY_SIZE(kids)) {
		cb_fmt(r->why, sizeof(r->why), "more than %zu worker processes", ARRAY_SIZE(kids));
		return -E2BIG;
	}
	rc = smaps_read(proc, self, &x->coord, &r->source, why, sizeof(why));
	if (rc < 0) {
		cb_fmt(r->why, sizeof(r->why), "%s", why);
		return rc;
	}
	x->total = x->coord;
	x->procs = 1;
	for (int i = 0; i < n; i++) {
		struct smaps_mem k;
		rc = smaps_read(proc, kids[i], &k, NULL, why, sizeof(why));
		if (rc < 0) {
			cb_fmt(r->why, sizeof(r->why), "worker process %d: %s", (int)kids[i], why);
			return rc;
		}
		smaps_add(&x->total, &k);
		x->procs++;
	}
	return 0;
}

int footprint_measure(const char *proc, const struct executor *ex, unsigned workers,
		      uint64_t size, const struct machine *m, struct footprint_res *r,
		      struct cb_err *e)
{
	struct wl_params p = { .size = size };
	struct wl_inst w;
	struct pool_cfg cfg = { .workers = workers };
	struct pool *pool = NULL;
	struct task_out *outs = NULL;
	struct worker_rec *recs = NULL;
	int64_t startup_ns;
	uint64_t sum;
	int rc;

	memset(r, 0, sizeof(*r));
	r->ex = ex;
	r->workers = workers;
	r->size = size;
	rc = cell_inst_init(&w, &workload_cow, &p, workers, 1, m);
	if (rc < 0) {
		/* cell_inst_init printed why: -ERANGE is bad input (--size) */
		cb_err_set(e, rc, "cannot map the coordinator's region: %s", strerror(-rc));
		return rc;
	}
	outs = aligned_alloc(64, w.ntasks * sizeof(*outs));
	recs = aligned_alloc(64, workers * sizeof(*recs));
	if (!outs || !recs) {
		rc = -ENOMEM;
		cb_err_set(e, rc, "out of memory");
		goto out;
	}
	cfg.w = &w;
	fault_arm(ex->name);       /* the test faults reach this pool as they reach a cell's */
	cfg.deadline_ns = now_ns() + FOOTPRINT_DEADLINE_NS;
	rc = ex->start(&cfg, &pool, &startup_ns, e);
	if (rc < 0)
		goto out;
	r->available = read_all_procs(proc, r, &r->start) == 0;
	rc = ex->run(pool, now_ns() + FOOTPRINT_DEADLINE_NS, outs, recs, e);
	if (rc == 0 && cb_stop_signal) {
		rc = -EINTR;
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
	}
	if (rc == 0)
		rc = cell_verify_outs(&w, outs, &sum, e);
	if (rc < 0)
		goto out;
	if (r->available)
		r->available = read_all_procs(proc, r, &r->written) == 0;
out:
	ex->stop(pool);
	free(outs);
	free(recs);
	cell_inst_fini(&w);
	return rc;
}
