/* SPDX-License-Identifier: MIT */
/* footprint: one executor's memory before and after its workers write (footprint.h). The
 * pool is started, run and stopped through the executor interface, as cell.c does, with
 * no plan (unbound) and a static schedule; the repetition is verified. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"
#include "core/cell.h"
#include "core/fault.h"
#include "core/sync.h"
#include "measure/footprint.h"

#define COW_TASKS 64
#define COW_MAX_SIZE (1ULL << 40)
#define FOOTPRINT_DEADLINE_NS (60LL * 1000000000LL)

struct cow_priv {
	unsigned char *region;      /* mapped and touched by the coordinator, in init */
	size_t bytes, page, pages;
	uint64_t expect;
};

static void cow_range(const struct wl_inst *w, size_t t, size_t *lo, size_t *hi)
{
	const struct cow_priv *c = w->priv;
	*lo = c->pages * t / w->ntasks;
	*hi = c->pages * (t + 1) / w->ntasks;
}

static int cow_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	struct cow_priv *c = calloc(1, sizeof(*c));
	void *p;

	if (!c)
		return -ENOMEM;
	w->priv = c;
	c->page = (size_t)sysconf(_SC_PAGESIZE);
	if (!w->p.tasks)
		w->p.tasks = COW_TASKS;
	w->ntasks = w->p.tasks;
	if (m->mem_bytes && w->p.size > m->mem_bytes / 2) {
		cb_fmt(err, len, "--size: %llu bytes is more than half of this machine's %llu "
		       "bytes of memory", (unsigned long long)w->p.size,
		       (unsigned long long)m->mem_bytes);
		return -ERANGE;
	}
	c->pages = w->p.size / c->page;
	if (c->pages < w->ntasks) {
		cb_fmt(err, len, "--size: expected at least %zu bytes (a page per task), got %llu",
		       w->ntasks * c->page, (unsigned long long)w->p.size);
		return -ERANGE;
	}
	c->bytes = c->pages * c->page;
	p = mmap(NULL, c->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->region = p;
	/* Small pages whatever the THP setting: a write copies one page, on every host. */
	madvise(p, c->bytes, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < c->pages; i++)
		c->region[i * c->page] = 1;
	for (size_t t = 0; t < w->ntasks; t++) {
		size_t lo, hi;
		cow_range(w, t, &lo, &hi);
		c->expect += mix64(t) + 2 * (hi - lo);
	}
	w->items = c->pages;
	w->unit = "pages";
	return 0;
}

/* Write a byte in every page of the slice, then read them back: 2 per page. */
static int cow_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	const struct cow_priv *c = w->priv;
	volatile unsigned char *r = c->region;
	size_t lo, hi;
	uint64_t s = 0;
	(void)data;
	cow_range(w, t, &lo, &hi);
	for (size_t i = lo; i < hi; i++)
		r[i * c->page] = 2;
	for (size_t i = lo; i < hi; i++)
		s += r[i * c->page];
	out->checksum = mix64(t) + s;
	out->items = hi - lo;
	return 0;
}

static int cow_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		      char *err, size_t len)
{
	const struct cow_priv *c = w->priv;
	uint64_t s = 0;
	for (size_t t = 0; t < w->ntasks; t++)
		s += outs[t].checksum;
	*checksum = s;
	if (s != c->expect) {
		cb_fmt(err, len, "cow checksum %016llx, expected %016llx", (unsigned long long)s,
		       (unsigned long long)c->expect);
		return -EBADMSG;
	}
	return 0;
}

static void cow_fini(struct wl_inst *w)
{
	struct cow_priv *c = w->priv;
	if (!c || wl_threads_stuck(w))
		return;       /* a stuck worker thread may still write the region */
	if (c->region)
		munmap(c->region, c->bytes);
	free(c);
	w->priv = NULL;
}

const struct workload footprint_cow = {
	.name = "cow",
	.summary = "the coordinator's region, touched before the pool starts; each task writes "
		   "a byte in every page of its slice",
	.size_help = "bytes the coordinator holds (K, M, G = 2^10, 2^20, 2^30)",
	.size_in_bytes = 1,
	.max_size = COW_MAX_SIZE,
	.init = cow_init,
	.run_task = cow_run_task,
	.verify = cow_verify,
	.fini = cow_fini,
};

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
	rc = cell_inst_init(&w, &footprint_cow, &p, workers, 1, m);
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
