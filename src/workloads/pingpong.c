/* SPDX-License-Identifier: MIT */
/* pingpong and pipepong: the core-to-core latency of `concbench cores --latency` as
 * workloads of two tasks for two workers, so that an executor starts, binds, times and
 * stops the pair like any other cell, and its deadlines, child checks and stop signal
 * handle a partner that hangs or dies: no second harness.
 *
 * Task 0 is the initiator, task 1 the responder; with two workers and the static schedule
 * worker k runs task k (tasks_own_data refuses the dynamic one, under which one worker
 * could take both and wait for itself). Each task does size round trips (times the
 * weak-scaling factor) and returns how many it completed; verify checks both counts, so a
 * repetition cut short cannot pass for a fast one.
 *
 * pingpong hands one cache line back and forth: the initiator stores an odd value and waits
 * for the next even one, the responder answers each odd value with the next even one. The
 * line is in the data region, which both workers must see (WL_SHARED_DATA: thread and shm,
 * never fork's private copies). Each repetition carries on from the value the last one
 * left, so nothing resets the line between them.
 *
 * pipepong bounces an 8-byte message over two pipes made by init: threads share the
 * descriptors and forked workers inherit them, so it runs on any executor. Its reads block:
 * noticing a partner that never answers is the executor's deadline's job. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "core/workload.h"

#define PINGPONG_DEFAULT_ROUNDTRIPS 10000     /* 20000 one-way handoffs */
#define PIPEPONG_DEFAULT_ROUNDTRIPS 2000
#define PONG_MAX_ROUNDTRIPS 100000000ULL
#define SPINS_PER_STOP_CHECK (1u << 16)        /* a stop signal is noticed within ~1 ms */

enum { TASK_INITIATOR, TASK_RESPONDER, PONG_TASKS };

struct pong_priv {
	uint64_t roundtrips;     /* per task and repetition */
	int ab[2], ba[2];        /* pipepong: initiator to responder, and back */
};

static int pong_init(struct wl_inst *w, uint64_t def, char *err, size_t len)
{
	struct pong_priv *p;
	uint64_t n = w->p.size ? w->p.size : def;

	if (w->workers != 2) {
		cb_fmt(err, len, "%s: needs exactly 2 workers (an initiator and a responder), got %u",
		       w->wl->name, w->workers);
		return -EINVAL;
	}
	if (w->p.tasks && w->p.tasks != PONG_TASKS) {
		cb_fmt(err, len, "--tasks: %s has exactly 2 tasks, got %llu", w->wl->name,
		       (unsigned long long)w->p.tasks);
		return -EINVAL;
	}
	if (n > PONG_MAX_ROUNDTRIPS / w->scale) {
		cb_fmt(err, len, "--size: %s does at most %llu round trips a repetition, got %llu x %u",
		       w->wl->name, PONG_MAX_ROUNDTRIPS, (unsigned long long)n, w->scale);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->roundtrips = n * w->scale;
	p->ab[0] = p->ab[1] = p->ba[0] = p->ba[1] = -1;
	w->priv = p;
	w->p.size = n;
	w->p.tasks = PONG_TASKS;
	w->ntasks = PONG_TASKS;
	w->tasks_own_data = 1;
	w->items = p->roundtrips;
	w->unit = "round trips";
	return 0;
}

/* A task's result: the round trips it completed, counted as items once (the initiator's). */
static int pong_done(size_t t, uint64_t done, struct task_out *out)
{
	out->checksum = done;
	out->items = t == TASK_INITIATOR ? done : 0;
	return 0;
}

static int pong_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		       char *err, size_t len)
{
	const struct pong_priv *p = w->priv;
	static const char *const side[PONG_TASKS] = { "initiator", "responder" };
	for (size_t t = 0; t < PONG_TASKS; t++)
		if (outs[t].checksum != p->roundtrips) {
			cb_fmt(err, len, "%s: the %s completed %llu round trips, expected %llu",
			       w->wl->name, side[t], (unsigned long long)outs[t].checksum,
			       (unsigned long long)p->roundtrips);
			return -EBADMSG;
		}
	*checksum = outs[TASK_INITIATOR].checksum + outs[TASK_RESPONDER].checksum;
	return 0;
}

static void pong_fini(struct wl_inst *w)
{
	struct pong_priv *p = w->priv;
	if (!p || wl_threads_stuck(w))
		return;       /* a stuck worker thread may still use them (workload.h) */
	for (int i = 0; i < 2; i++) {
		if (p->ab[i] >= 0)
			close(p->ab[i]);
		if (p->ba[i] >= 0)
			close(p->ba[i]);
	}
	free(p);
	w->priv = NULL;
}

/* ---- pingpong: one cache line ---- */

static int line_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	(void)m;
	w->data_bytes = CB_CACHELINE;     /* the line alone: the region starts on a page */
	return pong_init(w, PINGPONG_DEFAULT_ROUNDTRIPS, err, len);
}

/* One turn of a wait for the partner: 1 once a stop signal has arrived (looked at every
 * SPINS_PER_STOP_CHECK turns, so that the wait stays a tight loop). */
static int spin_stopped(const struct wl_inst *w, unsigned *spins)
{
	cpu_relax();
	if (++*spins < SPINS_PER_STOP_CHECK)
		return 0;
	*spins = 0;
	return wl_stopped(w);
}

static int line_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	const struct pong_priv *p = w->priv;
	_Atomic uint64_t *line = data;
	uint64_t done = 0, v;
	unsigned spins = 0;

	if (t == TASK_INITIATOR) {
		/* Even: the last repetition ended on the responder's answer (or the line is new). */
		v = atomic_load_explicit(line, memory_order_acquire);
		for (; done < p->roundtrips; done++, v += 2) {
			atomic_store_explicit(line, v + 1, memory_order_release);
			while (atomic_load_explicit(line, memory_order_acquire) != v + 2)
				if (spin_stopped(w, &spins))
					return -EINTR;
		}
	} else {
		for (; done < p->roundtrips; done++) {
			while (!((v = atomic_load_explicit(line, memory_order_acquire)) & 1))
				if (spin_stopped(w, &spins))
					return -EINTR;
			atomic_store_explicit(line, v + 1, memory_order_release);
		}
	}
	return pong_done(t, done, out);
}

const struct workload workload_pingpong = {
	.name = "pingpong",
	.summary = "latency: two workers hand one cache line back and forth (run by cores --latency)",
	.size_help = "round trips per repetition (default 10000)",
	.max_size = PONG_MAX_ROUNDTRIPS,
	.flags = WL_SHARED_DATA,
	.init = line_init,
	.run_task = line_run_task,
	.verify = pong_verify,
	.fini = pong_fini,
};

/* ---- pipepong: two pipes ---- */

static int pipe_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	struct pong_priv *p;
	int rc = pong_init(w, PIPEPONG_DEFAULT_ROUNDTRIPS, err, len);
	(void)m;
	if (rc < 0)
		return rc;
	p = w->priv;
	if (pipe2(p->ab, O_CLOEXEC) < 0 || pipe2(p->ba, O_CLOEXEC) < 0) {
		rc = -errno;
		cb_fmt(err, len, "%s: cannot create a pipe: %s", w->wl->name, strerror(-rc));
		return rc;
	}
	return 0;
}

/* One 8-byte message: a pipe moves it whole (it is under PIPE_BUF). A stop signal ends a
 * blocked read (the handler does not restart it). */
static int msg_get(const struct wl_inst *w, int fd, uint64_t *v)
{
	for (;;) {
		ssize_t r = read(fd, v, sizeof(*v));
		if (r == (ssize_t)sizeof(*v))
			return 0;
		if (r < 0 && errno == EINTR && !wl_stopped(w))
			continue;
		return r < 0 ? -errno : -EPIPE;
	}
}

static int pipe_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	const struct pong_priv *p = w->priv;
	uint64_t done = 0, v = 0, back = 0;

	(void)data;
	for (; done < p->roundtrips; done++) {
		int rc;
		if (t == TASK_INITIATOR) {
			rc = cb_write_full(p->ab[1], &v, sizeof(v));
			if (!rc)
				rc = msg_get(w, p->ba[0], &back);
			if (!rc && back != v + 1)
				rc = -EBADMSG;
			v = back;
		} else {
			rc = msg_get(w, p->ab[0], &v);
			v++;
			if (!rc)
				rc = cb_write_full(p->ba[1], &v, sizeof(v));
		}
		if (rc)
			return rc;
	}
	return pong_done(t, done, out);
}

const struct workload workload_pipepong = {
	.name = "pipepong",
	.summary = "latency: two workers bounce a message over two pipes (run by cores --latency)",
	.size_help = "round trips per repetition (default 2000)",
	.max_size = PONG_MAX_ROUNDTRIPS,
	.init = pipe_init,
	.run_task = pipe_run_task,
	.verify = pong_verify,
	.fini = pong_fini,
};
