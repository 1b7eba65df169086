/* SPDX-License-Identifier: MIT */
/* sync: futex-based start gate and end barrier, identical for threads and processes. */
#include "core/sync.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

_Atomic int cb_stop_signal;
_Atomic int cb_threads_stuck;

const char *stop_signal_name(void)
{
	switch (atomic_load(&cb_stop_signal)) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	default: return "a signal";
	}
}

#define WAIT_SLICE_NS 20000000LL

/* Private futexes are cheaper; processes need the shared kind. */
static int futex_op(const struct gate *g, int op)
{
	return g->pshared ? op : (op | FUTEX_PRIVATE_FLAG);
}

static long futex_wait(const struct gate *g, _Atomic uint32_t *word, uint32_t val, int64_t ns)
{
	struct timespec ts, *tp = NULL;
	if (ns >= 0) {
		ts.tv_sec = ns / 1000000000LL;
		ts.tv_nsec = ns % 1000000000LL;
		tp = &ts;
	}
	return syscall(SYS_futex, (uint32_t *)word, futex_op(g, FUTEX_WAIT), val, tp, NULL, 0);
}

static void futex_wake_all(const struct gate *g, _Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, futex_op(g, FUTEX_WAKE), INT32_MAX, NULL, NULL, 0);
}

void gate_init(struct gate *g, int pshared)
{
	atomic_init(&g->go, 0);
	atomic_init(&g->remaining, 0);
	atomic_init(&g->started, 0);
	atomic_init(&g->prepared, 0);
	atomic_init(&g->quit, 0);
	atomic_init(&g->start_at, 0);
	g->pshared = pshared;
}

int gate_wait_go(struct gate *g, uint32_t *seen)
{
	for (;;) {
		uint32_t v = atomic_load_explicit(&g->go, memory_order_acquire);
		if (atomic_load_explicit(&g->quit, memory_order_acquire))
			return 0;
		if (v != *seen) {
			*seen = v;
			return 1;
		}
		futex_wait(g, &g->go, v, -1);
	}
}

void gate_spin_until(int64_t t)
{
	while (now_ns() < t)
		cpu_relax();
}

void gate_count_add(struct gate *g, _Atomic uint32_t *word, uint32_t delta)
{
	atomic_fetch_add_explicit(word, delta, memory_order_acq_rel);
	futex_wake_all(g, word);
}

void gate_arrive(struct gate *g)
{
	if (atomic_fetch_sub_explicit(&g->remaining, 1, memory_order_acq_rel) == 1)
		futex_wake_all(g, &g->remaining);
}

int64_t gate_open(struct gate *g, unsigned n)
{
	int64_t t = now_ns() + GATE_DELTA_NS;
	atomic_store_explicit(&g->remaining, n, memory_order_relaxed);
	atomic_store_explicit(&g->start_at, t, memory_order_relaxed);
	atomic_fetch_add_explicit(&g->go, 1, memory_order_release);
	futex_wake_all(g, &g->go);
	return t;
}

void gate_quit(struct gate *g)
{
	atomic_store_explicit(&g->quit, 1, memory_order_release);
	atomic_fetch_add_explicit(&g->go, 1, memory_order_release);
	futex_wake_all(g, &g->go);
}

int gate_wait_value(struct gate *g, _Atomic uint32_t *word, uint32_t target, int at_least,
		    int64_t deadline_ns, int (*check)(void *arg), void *arg)
{
	for (;;) {
		uint32_t v = atomic_load_explicit(word, memory_order_acquire);
		int64_t left;
		if (v == target || (at_least && v > target))
			return 0;
		if (cb_stop_signal)
			return -EINTR;
		if (check) {
			int rc = check(arg);
			if (rc < 0)
				return rc;
		}
		left = deadline_ns - now_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		futex_wait(g, word, v, left < WAIT_SLICE_NS ? left : WAIT_SLICE_NS);
	}
}
