/* SPDX-License-Identifier: MIT */
/* mem: memory-bound tasks. `triad` is STREAM's a[i] = b[i] + s*c[i] over three arrays of
 * --size bytes in all (default 4x the last-level cache, at least 512 MiB so that one
 * repetition lasts ~10 ms or more, at most 1 GiB so that first-touching the arrays, once per
 * pool, does not dominate a run's wall time), counted the STREAM way (24 bytes
 * per element); `touch` maps fresh memory in every task and writes one byte per page, so
 * it is bound by page faults (one address space for threads, one each for processes).
 *
 * Triad data is first-touched by prepare() in the worker that will use it, outside the
 * clock. Inputs are small integers, so b + 3c is exact with or without fused multiply-add
 * and the reference can be computed independently. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"
#include "core/workload.h"

#define MEM_DEFAULT_TASKS 240
#define TRIAD_SCALAR 3.0       /* odd visits of a task; even visits use TRIAD_SCALAR2 */
#define TRIAD_SCALAR2 5.0
#define TRIAD_SAMPLE 4096      /* verify one element in 4096: 1/512 of the lines, cheap */
#define TRIAD_OFFSET 1237      /* ... at i = 4096k + 1237, where the inputs are not zero */
#define TOUCH_DEFAULT (256ULL << 20)
#define MEM_MAX_SIZE (1ULL << 40)    /* 1 TiB; init bounds it by half this machine's memory */
#define TRIAD_MIN_DEFAULT (512ULL << 20)  /* default floor: a timed region of >= ~10 ms */
#define TRIAD_MAX_DEFAULT (1ULL << 30)    /* default ceiling: preparing stays a fraction */

enum { OPT_PATTERN };
enum { P_TRIAD, P_TOUCH };

static const char *const patterns[] = { "triad", "touch", NULL };
static const struct wl_option mem_options[] = {
	[OPT_PATTERN] = { .name = "pattern", .kind = WLO_CHOICE, .choices = patterns,
			  .help = "triad (bandwidth) or touch (page faults on fresh memory)" },
};

struct mem_priv {
	uint64_t n;            /* triad: elements per array; touch: pages in all */
	size_t page;
	uint64_t expect;
};

/* Small integers (exact in any rounding mode), periods prime to the sampling stride. */
static inline double in_b(uint64_t i) { return (double)(i % 1021 + 1); }
static inline double in_c(uint64_t i) { return (double)((i * 7) % 509 + 1); }

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static void range_of(const struct wl_inst *w, size_t t, uint64_t *lo, uint64_t *hi)
{
	const struct mem_priv *m = w->priv;
	*lo = m->n * t / w->ntasks;
	*hi = m->n * (t + 1) / w->ntasks;
}

static int mem_init(struct wl_inst *w, const struct machine *mach, char *err, size_t len)
{
	struct mem_priv *m = calloc(1, sizeof(*m));
	int pattern = (int)w->p.opt[OPT_PATTERN];
	uint64_t total;

	if (!m)
		return -ENOMEM;
	w->priv = m;
	m->page = (size_t)sysconf(_SC_PAGESIZE);
	if (!w->p.size) {
		if (pattern == P_TOUCH)
			w->p.size = TOUCH_DEFAULT;
		else
			w->p.size = clamp_u64(4 * mach->llc_bytes, TRIAD_MIN_DEFAULT,
					      TRIAD_MAX_DEFAULT);
	}
	if (!w->p.tasks)
		w->p.tasks = MEM_DEFAULT_TASKS;
	if (w->p.tasks > WL_MAX_TASKS) {
		cb_fmt(err, len, "--tasks: at most %d, got %llu", WL_MAX_TASKS,
		       (unsigned long long)w->p.tasks);
		return -ERANGE;
	}
	total = w->p.size * w->scale;
	if (w->p.size > UINT64_MAX / w->scale || (mach->mem_bytes && total > mach->mem_bytes / 2)) {
		cb_fmt(err, len, "--size: %llu bytes in all is more than half of this machine's "
		       "%llu bytes of memory", (unsigned long long)total,
		       (unsigned long long)mach->mem_bytes);
		return -ERANGE;
	}
	w->ntasks = w->p.tasks;
	if (pattern == P_TRIAD) {
		m->n = total / 24;
		if (m->n < w->ntasks) {
			cb_fmt(err, len, "--size: triad needs at least 24 bytes per task, got %llu",
			       (unsigned long long)w->p.size);
			return -ERANGE;
		}
		/* the three arrays, then one visit counter per task */
		w->data_bytes = (size_t)(m->n * 24) + w->ntasks * sizeof(uint64_t);
		w->tasks_own_data = 1;
		w->items = m->n * 24;
		w->unit = "bytes";
		for (uint64_t i = TRIAD_OFFSET; i < m->n; i += TRIAD_SAMPLE)
			m->expect += mix64(dbits(in_b(i)) ^ i);
	} else {
		m->n = total / m->page;
		if (m->n < w->ntasks) {
			cb_fmt(err, len, "--size: touch needs at least one page per task, got %llu "
			       "bytes", (unsigned long long)w->p.size);
			return -ERANGE;
		}
		w->items = m->n;
		w->unit = "pages";
		for (size_t t = 0; t < w->ntasks; t++) {
			uint64_t lo, hi;
			range_of(w, t, &lo, &hi);
			m->expect += mix64(t) + (hi - lo);
		}
	}
	return 0;
}

/* The per-task visit counters that follow the three arrays of the data region. */
static uint64_t *visit_counters(const struct mem_priv *m, void *data)
{
	return (uint64_t *)((char *)data + m->n * 3 * sizeof(double));
}

static void mem_prepare(const struct wl_inst *w, void *data, size_t t)
{
	const struct mem_priv *m = w->priv;
	double *a = data, *b = a + m->n, *c = b + m->n;
	uint64_t lo, hi;
	if (w->p.opt[OPT_PATTERN] != P_TRIAD)
		return;     /* touch maps its memory inside the task */
	range_of(w, t, &lo, &hi);
	for (uint64_t i = lo; i < hi; i++) {
		a[i] = 0;
		b[i] = in_b(i);
		c[i] = in_c(i);
	}
	visit_counters(m, data)[t] = 0;
}

/* The scalar alternates between a task's visits, and the checksum recovers b from what
 * was written (a - s*c, exact in small integers). So a repetition that left a[] as the
 * previous one wrote it, instead of computing it, cannot verify. */
static int triad(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	const struct mem_priv *m = w->priv;
	double *restrict a = data;
	const double *restrict b = a + m->n, *restrict c = b + m->n;
	uint64_t *visits = visit_counters(m, data);
	double sc = ++visits[t] & 1 ? TRIAD_SCALAR : TRIAD_SCALAR2;
	uint64_t lo, hi, s = 0;
	range_of(w, t, &lo, &hi);
	for (uint64_t i = lo; i < hi; i++)
		a[i] = b[i] + sc * c[i];
	/* the first sampled index at or after lo */
	for (uint64_t i = lo + (TRIAD_SAMPLE + TRIAD_OFFSET - lo % TRIAD_SAMPLE) % TRIAD_SAMPLE; i < hi;
	     i += TRIAD_SAMPLE)
		s += mix64(dbits(a[i] - sc * c[i]) ^ i);
	out->checksum = s;
	out->items = (hi - lo) * 24;
	return 0;
}

static int touch(const struct wl_inst *w, size_t t, struct task_out *out)
{
	const struct mem_priv *m = w->priv;
	uint64_t lo, hi, pages, s = 0;
	volatile unsigned char *p;
	range_of(w, t, &lo, &hi);
	pages = hi - lo;
	p = mmap(NULL, pages * m->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* One fault per 4 KiB page whatever the THP setting, so counts compare across hosts;
	 * placed by --membind like the data regions executors provide. */
	madvise((void *)p, pages * m->page, MADV_NOHUGEPAGE);
	wl_membind(w, (void *)p, pages * m->page);
	for (uint64_t i = 0; i < pages; i++)
		p[i * m->page] = 1;
	for (uint64_t i = 0; i < pages; i++)
		s += p[i * m->page];
	munmap((void *)p, pages * m->page);
	out->checksum = mix64(t) + s;
	out->items = pages;
	return 0;
}

static int mem_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	return w->p.opt[OPT_PATTERN] == P_TRIAD ? triad(w, data, t, out) : touch(w, t, out);
}

static int mem_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		      char *err, size_t len)
{
	const struct mem_priv *m = w->priv;
	uint64_t s = 0;
	for (size_t t = 0; t < w->ntasks; t++)
		s += outs[t].checksum;
	*checksum = s;
	if (s != m->expect) {
		cb_fmt(err, len, "%s checksum %016llx, expected %016llx", wl_choice(w, OPT_PATTERN),
		       (unsigned long long)s, (unsigned long long)m->expect);
		return -EBADMSG;
	}
	return 0;
}

static void mem_fini(struct wl_inst *w)
{
	if (wl_threads_stuck(w))
		return;       /* a stuck worker thread may still read it (workload.h) */
	free(w->priv);
	w->priv = NULL;
}

const struct workload workload_mem = {
	.name = "mem",
	.summary = "memory-bound: STREAM triad bandwidth, or page faults on fresh memory",
	.size_help = "bytes in all (K, M, G = 2^10, 2^20, 2^30); default triad 4x the last-level "
		     "cache, between 512M and 1G, touch 256M",
	.size_in_bytes = 1,
	.max_size = MEM_MAX_SIZE,
	.options = mem_options,
	.noptions = ARRAY_SIZE(mem_options),
	.init = mem_init,
	.prepare = mem_prepare,
	.run_task = mem_run_task,
	.verify = mem_verify,
	.fini = mem_fini,
};
