/* SPDX-License-Identifier: MIT */
/* Unit tests for --gil on the thread executor: a probe workload of two tasks for two
 * workers that watches, in its shared data region, how many tasks compute at once and how
 * many sit in a blocking call at once.
 *
 * Each task counts itself in, then waits a while for the other task to be computing too:
 * under the lock it never is (no overlap may be seen). Then it enters a blocking section
 * (wl_blocking) and waits there for the other task to enter its own: only possible when a
 * blocking call lets go of the lock, so both must meet there. The waits are bounded
 * generously and decide nothing by time: a wait that runs out reports a miss, never a slow
 * machine's speed. Without the lock, the pool still runs the probe (no hook: nothing is
 * let go, nothing is held). */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/registry.h"
#include "core/workload.h"

#define PROBE_REPS 3
#define DEADLINE_NS (60LL * 1000000000LL)
#define OVERLAP_WAIT_NS (50LL * 1000000LL)    /* how long a computing task looks for the other */
#define MEET_WAIT_NS (20LL * 1000000000LL)    /* how long a blocked task waits for the other */

struct probe_line {
	_Atomic int computing;      /* tasks between counting in and entering the blocking call */
	_Atomic int blocked;        /* tasks inside the blocking section, this repetition */
	_Atomic int left;           /* tasks that left it, to reset blocked for the next one */
	char pad_[64 - 3 * sizeof(int)];
};

enum { PROBE_OVERLAP = 1, PROBE_MISSED = 2 };

static int probe_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	(void)m, (void)err, (void)len;
	w->ntasks = 2;
	w->p.tasks = 2;
	w->data_bytes = sizeof(struct probe_line);
	w->tasks_own_data = 1;
	w->items = 2;
	w->unit = "tasks";
	return 0;
}

static int64_t elapsed_since(int64_t t0)
{
	return now_ns() - t0;
}

static int probe_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	struct probe_line *l = data;
	uint64_t flags = 0;
	int64_t t0 = now_ns();

	if (atomic_fetch_add(&l->computing, 1) != 0)
		flags |= PROBE_OVERLAP;
	while (!(flags & PROBE_OVERLAP) && elapsed_since(t0) < OVERLAP_WAIT_NS) {
		if (atomic_load(&l->computing) > 1)
			flags |= PROBE_OVERLAP;
		sched_yield();
	}
	atomic_fetch_sub(&l->computing, 1);

	wl_blocking(w, 1);
	atomic_fetch_add(&l->blocked, 1);
	for (t0 = now_ns(); atomic_load(&l->blocked) < 2; sched_yield())
		if (elapsed_since(t0) > MEET_WAIT_NS) {
			flags |= PROBE_MISSED;
			break;
		}
	/* The last to leave resets the meeting point for the next repetition. */
	if (atomic_fetch_add(&l->left, 1) == 1) {
		atomic_store(&l->left, 0);
		atomic_store(&l->blocked, 0);
	}
	wl_blocking(w, 0);

	out->task = (uint32_t)t;
	out->checksum = flags;
	out->items = 1;
	return 0;
}

static int probe_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
			char *err, size_t len)
{
	(void)w, (void)err, (void)len;
	*checksum = outs[0].checksum | outs[1].checksum;
	return 0;
}

static const struct workload workload_probe = {
	.name = "gilprobe",
	.summary = "test probe of --gil",
	.flags = WL_SHARED_DATA,
	.init = probe_init,
	.run_task = probe_run_task,
	.verify = probe_verify,
};

/* The flags of PROBE_REPS repetitions of one two-thread pool, OR-ed. */
static uint64_t probe_run(int gil)
{
	struct wl_inst w = { .wl = &workload_probe, .workers = 2, .scale = 1 };
	struct pool_cfg cfg = { .w = &w, .workers = 2, .deadline_ns = now_ns() + DEADLINE_NS,
				.gil = gil };
	const struct executor *x = executor_find("thread");
	struct task_out outs[2];
	struct worker_rec recs[2];
	struct pool *pool = NULL;
	struct cb_err e = { 0 };
	int64_t startup_ns;
	uint64_t flags = 0, sum;
	char err[128];

	assert_non_null(x);
	assert_int_equal(probe_init(&w, NULL, err, sizeof(err)), 0);
	if (x->start(&cfg, &pool, &startup_ns, &e) < 0)
		fail_msg("start: %s", e.msg);
	for (int r = 0; r < PROBE_REPS; r++) {
		if (x->run(pool, now_ns() + DEADLINE_NS, outs, recs, &e) < 0)
			fail_msg("run: %s", e.msg);
		assert_int_equal(outs[0].done + outs[1].done, 2);
		assert_int_equal(probe_verify(&w, outs, &sum, err, sizeof(err)), 0);
		flags |= sum;
	}
	x->stop(pool);
	return flags;
}

/* Under the lock no two tasks compute at once, and a blocking call lets it go: both tasks
 * meet in their blocking sections in every repetition. */
static void test_gil_serialises_compute_not_blocking(void **state)
{
	uint64_t flags;
	(void)state;
	flags = probe_run(1);
	assert_false(flags & PROBE_OVERLAP);
	assert_false(flags & PROBE_MISSED);
}

/* Without --gil the hook is absent: wl_blocking does nothing, the probe still completes
 * (whether the tasks overlapped is the scheduler's business, not asserted). */
static void test_no_gil_no_hook(void **state)
{
	struct wl_inst w = { .wl = &workload_probe };
	(void)state;
	wl_blocking(&w, 1);
	wl_blocking(&w, 0);
	assert_false(probe_run(0) & PROBE_MISSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gil_serialises_compute_not_blocking),
		cmocka_unit_test(test_no_gil_no_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
