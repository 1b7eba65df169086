/* SPDX-License-Identifier: MIT */
/* seq: the baseline. Every task in the calling thread, one after another. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../executor.h"
#include "../topo.h"
#include "../util.h"
#include "../worker.h"

struct pool {
	const struct wl_inst *w;
	void *data;
	struct task_out *outs;
	size_t cur;
	int64_t deadline_ns;
	int late;
};

/* The baseline runs in the coordinator's thread, so nobody else can watch its deadline:
 * check it between tasks (one clock read per task). */
static long seq_next(void *self)
{
	struct pool *p = self;
	if (p->cur < p->w->ntasks && p->cur && now_ns() > p->deadline_ns) {
		p->late = 1;
		return -1;
	}
	return p->cur < p->w->ntasks ? (long)p->cur++ : -1;
}

static int seq_emit(void *self, const struct task_out *o)
{
	struct pool *p = self;
	p->outs[o->task] = *o;
	return 0;
}

static void seq_stop(struct pool *p)
{
	if (!p)
		return;
	if (p->data)
		munmap(p->data, p->w->data_bytes);
	free(p);
}

static int seq_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		     struct cb_err *e)
{
	int64_t t0 = now_ns();
	struct pool *p = calloc(1, sizeof(*p));

	if (!p) {
		cb_err_set(e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	p->w = cfg->w;
	if (cfg->w->data_bytes) {
		p->data = mmap(NULL, cfg->w->data_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p->data == MAP_FAILED) {
			p->data = NULL;
			seq_stop(p);
			cb_err_set(e, -ENOMEM, "cannot map %zu bytes of data", cfg->w->data_bytes);
			return -ENOMEM;
		}
		topo_membind_area(p->data, cfg->w->data_bytes);
	}
	*startup_ns = now_ns() - t0;
	worker_prepare(cfg->w, p->data, 0, 1);
	*out = p;
	return 0;
}

static int seq_run(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		   struct worker_rec *recs, struct cb_err *e)
{
	struct task_source src = { .next = seq_next, .emit = seq_emit, .self = p };
	p->outs = outs;
	p->cur = 0;
	p->late = 0;
	p->deadline_ns = deadline_ns;
	worker_rep(p->w, p->data, now_ns(), &src, &recs[0]);
	if (p->late || now_ns() > deadline_ns) {
		cb_err_set(e, -ETIMEDOUT, "the sequential baseline did not finish before the "
			   "--timeout deadline");
		return -ETIMEDOUT;
	}
	return 0;
}

const struct executor executor_seq = {
	.name = "seq",
	.summary = "the baseline: every task in the calling thread, in order",
	.flags = EX_SHARED_ADDRESS_SPACE | EX_SINGLE_WORKER,
	.start = seq_start,
	.run = seq_run,
	.stop = seq_stop,
};
