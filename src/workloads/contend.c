/* SPDX-License-Identifier: MIT */
/* contend: W workers, one task each (static schedule: worker k runs task k), each doing
 * --size increments of a counter per repetition, in one of four layouts:
 *
 *   packed  each worker's own counter, 8 bytes beside the others': eight share a cache line,
 *           so every increment takes the line away from the other workers (false sharing);
 *   padded  each worker's own counter, CONTEND_STRIDE bytes apart: no line is shared (two
 *           lines, not one, because the spatial prefetcher of many x86 cores fetches lines
 *           in aligned pairs);
 *   atomic  one counter for everybody, atomic fetch-and-add;
 *   mutex   one counter for everybody, a plain increment under one mutex (process-shared
 *           and robust between processes, see contend_lock).
 *
 * Where the data region is not shared (fork: each process a private copy) every layout is
 * one counter per worker and nothing is contended: the control.
 *
 * Verification: counters are never reset (each repetition carries on from where the last
 * left, as pingpong's line does) and every repetition is verified, the first from zero. A
 * task reports the counter's value after its own last increment. A worker's own counter
 * then ends on a multiple of --size; a shared one, as seen by the task that incremented
 * it last, on a multiple of workers x --size, exactly when no increment was lost (fewer
 * than that many can be lost in one repetition, so a loss can never add up to a
 * multiple). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/workload.h"

/* How the workers' counters lie in the data region: the choices of option "layout". */
enum contend_layout { CONTEND_PACKED, CONTEND_PADDED, CONTEND_ATOMIC, CONTEND_MUTEX };

/* The options, in this order in wl_params.opt[]. The command that runs this workload sets
 * them by name: "sharing" is "private" where each worker has its own copy of the data region
 * (fork), which makes every layout one counter per worker; "lock" is "robust" for a
 * process-shared robust mutex. */
enum { CONTEND_OPT_LAYOUT, CONTEND_OPT_SHARING, CONTEND_OPT_LOCK };

#define CONTEND_WL_DEFAULT_INCREMENTS 1000000ULL   /* per worker and repetition */
#define CONTEND_WL_MAX_INCREMENTS 1000000000ULL
#define CONTEND_STRIDE ((size_t)2 * CB_CACHELINE)
#define CONTEND_STOP_EVERY (1u << 16)    /* increments between looks at the stop signal */

static const char *const contend_layout_names[] = { "packed", "padded", "atomic", "mutex",
						     NULL };
static const char *const sharings[] = { "shared", "private", NULL };
static const char *const locks[] = { "private", "robust", NULL };

static const struct wl_option contend_options[] = {
	[CONTEND_OPT_LAYOUT] = { .name = "layout", .kind = WLO_CHOICE,
				 .choices = contend_layout_names,
				 .help = "packed, padded, atomic or mutex" },
	[CONTEND_OPT_SHARING] = { .name = "sharing", .kind = WLO_CHOICE, .choices = sharings,
				  .help = "the workers share the data region, or each has its own" },
	[CONTEND_OPT_LOCK] = { .name = "lock", .kind = WLO_CHOICE, .choices = locks,
			       .help = "the mutex: process-private, or process-shared and robust" },
};

/* The shared counter of the mutex layout and its lock, at the start of the data region. */
struct contend_lock {
	pthread_mutex_t m;
	uint64_t count;
};

struct contend_priv {
	uint64_t n;                  /* increments per task and repetition */
};

static int contend_layout(const struct wl_inst *w)
{
	return (int)w->p.opt[CONTEND_OPT_LAYOUT];
}

static int contend_shared(const struct wl_inst *w)
{
	return w->p.opt[CONTEND_OPT_SHARING] == 0;
}

/* One counter for all the workers: the atomic and mutex layouts on a shared region. */
static int contend_one_counter(const struct wl_inst *w)
{
	return contend_shared(w) && contend_layout(w) >= CONTEND_ATOMIC;
}

static int contend_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	struct contend_priv *p;
	uint64_t n = w->p.size ? w->p.size : CONTEND_WL_DEFAULT_INCREMENTS;
	size_t bytes = (size_t)w->workers * CONTEND_STRIDE;

	(void)m;
	if (w->workers < 1 || w->workers > WL_MAX_TASKS) {
		cb_fmt(err, len, "contend: expected 1 to %d workers, got %u", WL_MAX_TASKS,
		       w->workers);
		return -EINVAL;
	}
	if (n > CONTEND_WL_MAX_INCREMENTS / w->scale) {
		cb_fmt(err, len, "--increments: at most %llu a repetition, got %llu x %u",
		       CONTEND_WL_MAX_INCREMENTS, (unsigned long long)n, w->scale);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n = n * w->scale;
	w->priv = p;
	w->p.size = n;
	w->p.tasks = w->workers;
	w->ntasks = w->workers;
	w->tasks_own_data = 1;        /* task k is worker k's counter */
	w->data_bytes = bytes > sizeof(struct contend_lock) ? bytes : CONTEND_STRIDE;
	w->items = p->n * w->workers;
	w->unit = "increments";
	return 0;
}

static _Atomic uint64_t *contend_slot(const struct wl_inst *w, void *data, size_t t)
{
	char *base = data;
	if (contend_one_counter(w))
		return (_Atomic uint64_t *)base;
	return (_Atomic uint64_t *)(base + t * (contend_layout(w) == CONTEND_PACKED ?
						sizeof(uint64_t) : CONTEND_STRIDE));
}

/* The mutex a task takes: the one at the region's start (each process's own copy of it
 * where the region is private). */
static int contend_lock_init(const struct wl_inst *w, struct contend_lock *l)
{
	pthread_mutexattr_t a;
	int rc = pthread_mutexattr_init(&a);
	if (rc)
		return -rc;
	if (w->p.opt[CONTEND_OPT_LOCK] == 1) {
		/* Between processes: a worker that dies holding the lock must not hang the others
		 * (the next one to lock it is told, EOWNERDEAD). */
		rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		if (!rc)
			rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	}
	if (!rc)
		rc = pthread_mutex_init(&l->m, &a);
	pthread_mutexattr_destroy(&a);
	l->count = 0;
	return -rc;
}

/* First touch, outside the timed region: a worker zeroes its own counter; the shared one
 * (and its mutex) is made once, by task 0's worker, before any repetition starts. */
static void contend_prepare(const struct wl_inst *w, void *data, size_t t)
{
	if (contend_one_counter(w) && t != 0)
		return;
	if (contend_layout(w) == CONTEND_MUTEX) {
		/* A failure shows as a task error: run_task finds the lock unusable. */
		(void)contend_lock_init(w, data);
		return;
	}
	atomic_store(contend_slot(w, data, t), 0);
}

/* Take the mutex. A robust one whose owner died is made consistent (the counter it guards
 * may have missed that owner's increment) and the task fails with EOWNERDEAD: the
 * repetition is then reported, never hung. */
static int contend_lock(pthread_mutex_t *m, int *owner_died)
{
	int rc = pthread_mutex_lock(m);
	if (rc == EOWNERDEAD) {
		*owner_died = 1;
		rc = pthread_mutex_consistent(m);
	}
	return rc;
}

static int contend_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	const struct contend_priv *p = w->priv;
	_Atomic uint64_t *c = contend_slot(w, data, t);
	struct contend_lock *l = data;
	uint64_t end = 0;
	int died = 0;

	for (uint64_t i = 0; i < p->n; i++) {
		if ((i & (CONTEND_STOP_EVERY - 1)) == CONTEND_STOP_EVERY - 1 && wl_stopped(w))
			return -EINTR;
		switch (contend_layout(w)) {
		case CONTEND_ATOMIC:
			end = atomic_fetch_add_explicit(c, 1, memory_order_relaxed) + 1;
			break;
		case CONTEND_MUTEX: {
			int rc = contend_lock(&l->m, &died);
			if (rc)
				return -rc;
			end = ++l->count;
			pthread_mutex_unlock(&l->m);
			if (died)
				return -EOWNERDEAD;
			break;
		}
		default:
			/* A load and a store, as counter[k]++ compiles: only this worker writes
			 * the counter, so nothing is lost, but each store needs the line. */
			end = atomic_load_explicit(c, memory_order_relaxed) + 1;
			atomic_store_explicit(c, end, memory_order_relaxed);
			break;
		}
	}
	out->checksum = end;
	out->items = p->n;
	return 0;
}

static int contend_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
			  char *err, size_t len)
{
	const struct contend_priv *p = w->priv;
	uint64_t top = 0, total = p->n * w->ntasks;

	if (!total) {     /* init never makes one, but a modulus by zero must not be possible */
		cb_fmt(err, len, "no increments to verify");
		return -EBADMSG;
	}
	for (size_t t = 0; t < w->ntasks; t++) {
		if (outs[t].items != p->n) {
			cb_fmt(err, len, "task %zu did %llu increments, expected %llu", t,
			       (unsigned long long)outs[t].items, (unsigned long long)p->n);
			return -EBADMSG;
		}
		if (!contend_one_counter(w) && (outs[t].checksum == 0 || outs[t].checksum % p->n)) {
			cb_fmt(err, len, "%s: worker %zu's counter ended at %llu, not a multiple of "
			       "its %llu increments: %llu lost", contend_layout_names[contend_layout(w)],
			       t, (unsigned long long)outs[t].checksum, (unsigned long long)p->n,
			       (unsigned long long)(p->n - outs[t].checksum % p->n));
			return -EBADMSG;
		}
		if (outs[t].checksum > top)
			top = outs[t].checksum;
	}
	if (contend_one_counter(w) && (top == 0 || top % total)) {
		cb_fmt(err, len, "%s: lost updates: the shared counter ended at %llu, not a multiple "
		       "of %zu workers x %llu increments; %llu lost",
		       contend_layout_names[contend_layout(w)], (unsigned long long)top, w->ntasks,
		       (unsigned long long)p->n, (unsigned long long)(total - top % total));
		return -EBADMSG;
	}
	*checksum = total;     /* the same every repetition: the increments verified */
	return 0;
}

static void contend_fini(struct wl_inst *w)
{
	if (!w->priv || wl_threads_stuck(w))
		return;       /* a stuck worker thread may still read it (workload.h) */
	free(w->priv);
	w->priv = NULL;
}

const struct workload workload_contend = {
	.name = "contend",
	.summary = "contention: workers increment packed, padded, atomic or locked counters (run "
		   "by contend)",
	.size_help = "increments per worker and repetition (default 1000000)",
	.max_size = CONTEND_WL_MAX_INCREMENTS,
	.options = contend_options,
	.noptions = ARRAY_SIZE(contend_options),
	.init = contend_init,
	.prepare = contend_prepare,
	.run_task = contend_run_task,
	.verify = contend_verify,
	.fini = contend_fini,
};
