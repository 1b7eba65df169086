/* SPDX-License-Identifier: MIT */
/* cow: copy-on-write made visible, the instrument `concbench footprint` runs. init maps and
 * touches a region in the coordinator, before any pool starts, so that forked workers
 * inherit it; each task writes a byte in every page of its slice and reads them back. A
 * thread writes the one copy, a process copies each page it writes. Internal: not a
 * command (src/core/registry.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"
#include "core/workload.h"

#define COW_TASKS 64
#define COW_MAX_SIZE (1ULL << 40)

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

const struct workload workload_cow = {
	.name = "cow",
	.summary = "copy-on-write: the coordinator's region, touched before the pool starts; "
		   "each task writes a byte in every page of its slice (run by footprint)",
	.size_help = "bytes the coordinator holds (K, M, G = 2^10, 2^20, 2^30)",
	.size_in_bytes = 1,
	.max_size = COW_MAX_SIZE,
	.init = cow_init,
	.run_task = cow_run_task,
	.verify = cow_verify,
	.fini = cow_fini,
};
