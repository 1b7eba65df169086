/* SPDX-License-Identifier: MIT */
/* pool: the shared-memory pool of the thread and shm executors (see pool.h). */
#include "core/pool.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"
#include "core/fault.h"
#include "core/worker.h"

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

struct shpool *shpool_create(const struct pool_cfg *cfg, int shared)
{
	const struct wl_inst *w = cfg->w;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t off_outs = align_up(sizeof(struct shpool), CB_CACHELINE);
	size_t off_recs = align_up(off_outs + w->ntasks * sizeof(struct task_out), CB_CACHELINE);
	size_t off_pus = off_recs + cfg->workers * sizeof(struct worker_rec);
	size_t off_data = align_up(off_pus + cfg->workers * sizeof(int), page);
	size_t bytes = align_up(off_data + w->data_bytes, page);
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE;
	char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
	struct shpool *sp;

	if (m == MAP_FAILED)
		return NULL;
	sp = (struct shpool *)m;
	gate_init(&sp->gate, shared);
	atomic_init(&sp->next, 0);
	atomic_init(&sp->recovered_at, 0);
	worker_inst(&sp->w, cfg);
	sp->workers = cfg->workers;
	sp->dynamic = cfg->dynamic;
	sp->map_bytes = bytes;
	sp->outs = (struct task_out *)(m + off_outs);
	sp->recs = (struct worker_rec *)(m + off_recs);
	/* The plan's copy: a worker still starting when start gives up must not read the
	 * caller's. */
	sp->pus = (int *)(m + off_pus);
	for (unsigned k = 0; k < cfg->workers; k++)
		sp->pus[k] = pool_cfg_pu(cfg, k);
	sp->data = w->data_bytes ? m + off_data : NULL;
	sp->membind_err = 0;
	sp->gil = NULL;
	sp->runners = cfg->runners;
	if (sp->data)   /* before any worker touches it */
		sp->membind_err = wl_membind(&sp->w, sp->data, w->data_bytes);
	return sp;
}

void shpool_destroy(struct shpool *sp)
{
	if (sp)
		munmap(sp, sp->map_bytes);
}

struct shpool_src {
	struct shpool *sp;
	size_t cur, hi;
	long watch;          /* a replacement's first task: its end is the recovery; -1 none */
};

/* --gil: a task handed out runs holding the lock, until emit publishes it (the worker body
 * calls emit after every task it took). */
static long shpool_taken(struct shpool *sp, long t)
{
	if (t >= 0 && sp->gil)
		pthread_mutex_lock(sp->gil);
	return t;
}

/* After a timeout the coordinator sets quit: a slow worker then takes no further task. */
static long shpool_next_static(void *self)
{
	struct shpool_src *s = self;
	if (atomic_load_explicit(&s->sp->gate.quit, memory_order_relaxed))
		return -1;
	return shpool_taken(s->sp, s->cur < s->hi ? (long)s->cur++ : -1);
}

static long shpool_next_dynamic(void *self)
{
	struct shpool_src *s = self;
	uint64_t t;
	if (atomic_load_explicit(&s->sp->gate.quit, memory_order_relaxed))
		return -1;
	t = atomic_fetch_add_explicit(&s->sp->next, 1, memory_order_relaxed);
	return shpool_taken(s->sp, t < s->sp->w.ntasks ? (long)t : -1);
}

static int shpool_emit(void *self, const struct task_out *o)
{
	struct shpool_src *s = self;
	s->sp->outs[o->task] = *o;
	if ((long)o->task == s->watch)
		atomic_store(&s->sp->recovered_at, now_ns());
	if (s->sp->gil)
		pthread_mutex_unlock(s->sp->gil);
	return 0;
}

/* Repetitions after generation seen until quit; resume >= 0: the first one starts at that
 * task of the worker's block (a replacement joining a repetition under way). */
static void shpool_loop(struct shpool *sp, unsigned k, uint32_t seen, long resume, int bind_err)
{
	struct gate *g = &sp->gate;
	struct worker_rec rec;
	struct counters ctr;

	counters_open(&ctr);
	while (gate_wait_go(g, &seen)) {
		struct shpool_src s = { .sp = sp, .watch = -1 };
		struct task_source src = {
			.next = sp->dynamic ? shpool_next_dynamic : shpool_next_static,
			.emit = shpool_emit, .self = &s,
		};
		task_block(sp->w.ntasks, sp->workers, k, &s.cur, &s.hi);
		if (resume >= 0) {
			s.cur = (size_t)resume;
			s.watch = resume;
			resume = -1;
		}
		fault_rep(k, seen);
		worker_rep_with(&sp->w, sp->data, atomic_load(&g->start_at), &src,
				sp->runners ? &sp->runners[k] : NULL, &ctr, &rec);
		rec.bind_err = bind_err;
		rec.membind_err = sp->membind_err;
		worker_publish(&sp->recs[k], &rec, seen);
		gate_arrive(g);
	}
	counters_close(&ctr);
}

void shpool_worker(struct shpool *sp, unsigned k)
{
	struct gate *g = &sp->gate;
	int bind_err = worker_bind(k, sp->pus[k]);

	gate_count_add(g, &g->started, 1);
	worker_prepare(&sp->w, sp->data, k, sp->workers);
	gate_count_add(g, &g->prepared, 1);
	shpool_loop(sp, k, 0, -1, bind_err);
}

void shpool_worker_resume(struct shpool *sp, unsigned k, uint32_t gen, size_t from)
{
	/* The data region is shared and was prepared by the worker it replaces. */
	shpool_loop(sp, k, gen - 1, (long)from, worker_bind(k, sp->pus[k]));
}

/* Wait for every worker to be counted in word (&sp->gate.started, then .prepared). */
static int shpool_wait_ready(struct shpool *sp, _Atomic uint32_t *word, int64_t deadline,
			     int (*check)(void *), void *arg, const char *what, struct cb_err *e)
{
	int rc = gate_wait_value(&sp->gate, word, sp->workers, 1, deadline, check, arg);
	if (rc == -ETIMEDOUT)
		cb_err_set(e, rc, "workers did not %s before the deadline", what);
	else if (rc == -EINTR)
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
	return rc;
}

int shpool_launch(struct shpool *sp, int64_t deadline, int (*spawn)(void *, unsigned,
		  struct cb_err *), int (*check)(void *), void *arg, int64_t *startup_ns,
		  struct cb_err *e)
{
	int64_t t0 = now_ns();
	int rc;

	for (unsigned k = 0; k < sp->workers; k++) {
		rc = spawn(arg, k, e);
		if (rc < 0)
			return rc;
	}
	rc = shpool_wait_ready(sp, &sp->gate.started, deadline, check, arg, "start", e);
	if (rc < 0)
		return rc;
	*startup_ns = now_ns() - t0;
	return shpool_wait_ready(sp, &sp->gate.prepared, deadline, check, arg,
				 "prepare their data", e);
}

int shpool_run(struct shpool *sp, int64_t deadline, struct task_out *outs, struct worker_rec *recs,
	       int (*check)(void *), void *arg, struct cb_err *e)
{
	struct gate *g = &sp->gate;
	uint32_t gen = atomic_load(&g->go) + 1;
	unsigned hung;
	int by_peers, rc;

	memset(sp->outs, 0, sp->w.ntasks * sizeof(*sp->outs));
	atomic_store_explicit(&sp->next, 0, memory_order_relaxed);
	gate_open(g, sp->workers);
	rc = worker_wait_rep(g, sp->recs, sp->workers, gen, sp->w.ntasks, deadline, check, arg,
			     &hung, &by_peers);
	if (rc == -ETIMEDOUT) {
		worker_hung_err(e, hung, 0, by_peers);
		return rc;
	}
	if (rc == -EINTR) {
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		return rc;
	}
	if (rc < 0)
		return rc;
	memcpy(outs, sp->outs, sp->w.ntasks * sizeof(*outs));
	memcpy(recs, sp->recs, sp->workers * sizeof(*recs));
	return 0;
}
