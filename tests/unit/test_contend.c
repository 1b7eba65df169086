/* SPDX-License-Identifier: MIT */
/* Unit tests for the contend workload (src/workloads/contend.c): every layout verified on
 * the executors it runs on, a lost update refused by verify (results crafted: a real one
 * cannot be produced on demand), and a robust mutex whose owner died reported, not hung.
 *
 * CB_TEST_EXECUTORS=thread limits the executors run (the ThreadSanitizer build cannot
 * fork). */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/registry.h"
#include "core/workload.h"

#define REPS 3
#define DEADLINE_NS (60LL * 1000000000LL)
#define N 1000                  /* increments per worker */

static const struct machine test_machine = { .pus = 2, .llc_bytes = 1 << 20,
					     .mem_bytes = 8ULL << 30 };

/* The layouts as the workload's "layout" option lists them (checked in inst_make). */
enum { CONTEND_PACKED, CONTEND_PADDED, CONTEND_ATOMIC, CONTEND_MUTEX, CONTEND_NLAYOUTS };
static const char *const contend_layout_names[] = { "packed", "padded", "atomic", "mutex" };

/* Set option name of w to choice, by the workload's own table. */
static void inst_set(struct wl_inst *w, const char *name, const char *choice)
{
	for (size_t i = 0; i < workload_contend.noptions; i++)
		if (strcmp(workload_contend.options[i].name, name) == 0)
			for (size_t j = 0; workload_contend.options[i].choices[j]; j++)
				if (strcmp(workload_contend.options[i].choices[j], choice) == 0) {
					w->p.opt[i] = (int64_t)j;
					return;
				}
	fail_msg("contend has no option %s with the choice %s", name, choice);
}

static int selected(const char *name)
{
	const char *env = getenv("CB_TEST_EXECUTORS");
	return !env || !*env || strstr(env, name) != NULL;
}

/* An instance of layout on executor x's kind of sharing, as the contend command makes it. */
static void inst_make(struct wl_inst *w, const struct executor *x, int layout, unsigned workers)
{
	char err[256] = "";
	memset(w, 0, sizeof(*w));
	w->wl = &workload_contend;
	w->workers = workers;
	w->scale = 1;
	w->p.size = N;
	inst_set(w, "layout", contend_layout_names[layout]);
	inst_set(w, "sharing", (x->flags & EX_SHARED_DATA) ? "shared" : "private");
	inst_set(w, "lock", (x->flags & EX_SHARED_DATA) && !(x->flags & EX_SHARED_ADDRESS_SPACE)
			    ? "robust" : "private");
	if (workload_contend.init(w, &test_machine, err, sizeof(err)) < 0)
		fail_msg("init: %s", err);
}

/* Every layout on thread, shm and fork with 1, 2 and 3 workers: REPS repetitions of one
 * pool (counters carry on from one to the next), each verified to workers x N. */
static void test_contend_layouts_verify(void **state)
{
	static const char *const names[] = { "thread", "shm", "fork" };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct executor *x = executor_find(names[i]);
		assert_non_null(x);
		if (!selected(names[i]))
			continue;
		for (int l = 0; l < CONTEND_NLAYOUTS; l++)
			for (unsigned workers = 1; workers <= 3; workers++) {
				struct wl_inst w;
				struct pool_cfg cfg = { .w = &w, .workers = workers };
				struct task_out outs[3];
				struct worker_rec recs[3];
				struct pool *pool = NULL;
				struct cb_err e = { 0 };
				int64_t startup_ns;
				uint64_t sum;
				char err[256] = "";

				inst_make(&w, x, l, workers);
				cfg.deadline_ns = now_ns() + DEADLINE_NS;
				if (x->start(&cfg, &pool, &startup_ns, &e) < 0)
					fail_msg("%s %s x%u: start: %s", names[i],
						 contend_layout_names[l], workers, e.msg);
				for (int r = 0; r < REPS; r++) {
					if (x->run(pool, now_ns() + DEADLINE_NS, outs, recs, &e) < 0)
						fail_msg("%s %s x%u: run: %s", names[i],
							 contend_layout_names[l], workers, e.msg);
					for (unsigned t = 0; t < workers; t++)
						assert_int_equal(outs[t].err, 0);
					if (workload_contend.verify(&w, outs, &sum, err, sizeof(err)) < 0)
						fail_msg("%s %s x%u, repetition %d: %s", names[i],
							 contend_layout_names[l], workers, r, err);
					assert_int_equal(sum, (uint64_t)workers * N);
				}
				x->stop(pool);
				workload_contend.fini(&w);
			}
	}
}

/* Results as two workers would leave them after repetition rep, the second task's end
 * value short by lost. */
static void outs_make(struct task_out *o, int one_counter, unsigned rep, uint64_t lost)
{
	memset(o, 0, 2 * sizeof(*o));
	for (unsigned t = 0; t < 2; t++) {
		o[t].task = t;
		o[t].done = 1;
		o[t].items = N;
		o[t].checksum = one_counter ? (uint64_t)rep * 2 * N - (t == 0 ? N : 0)
					    : (uint64_t)rep * N;
	}
	o[1].checksum -= lost;
}

/* A shared counter that ends short of a multiple of workers x N lost updates; so does a
 * worker's own counter short of a multiple of N. Whole repetitions are accepted. */
static void test_contend_lost_update_refused(void **state)
{
	const struct executor *thr = executor_find("thread"), *frk = executor_find("fork");
	struct task_out o[2];
	struct wl_inst w;
	uint64_t sum = 0;
	char err[256];
	(void)state;

	for (int l = 0; l < CONTEND_NLAYOUTS; l++) {
		int one = l >= CONTEND_ATOMIC;
		inst_make(&w, thr, l, 2);
		for (unsigned rep = 1; rep <= 3; rep++) {
			outs_make(o, one, rep, 0);
			assert_int_equal(workload_contend.verify(&w, o, &sum, err, sizeof(err)), 0);
			assert_int_equal(sum, 2 * N);
			outs_make(o, one, rep, 1);
			err[0] = 0;
			assert_int_equal(workload_contend.verify(&w, o, &sum, err, sizeof(err)),
					 -EBADMSG);
			assert_non_null(strstr(err, "1 lost"));
		}
		workload_contend.fini(&w);
		/* fork: each process its own counter, whatever the layout. */
		inst_make(&w, frk, l, 2);
		outs_make(o, 0, 2, 0);
		assert_int_equal(workload_contend.verify(&w, o, &sum, err, sizeof(err)), 0);
		outs_make(o, 0, 2, N / 2);
		assert_int_equal(workload_contend.verify(&w, o, &sum, err, sizeof(err)), -EBADMSG);
		workload_contend.fini(&w);
	}
	/* A task that did fewer increments than asked is refused too. */
	inst_make(&w, thr, CONTEND_PADDED, 2);
	outs_make(o, 0, 1, 0);
	o[0].items = N - 1;
	assert_int_equal(workload_contend.verify(&w, o, &sum, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "task 0 did 999 increments"));
	workload_contend.fini(&w);
}

/* shm's mutex is process-shared and robust: a process that died holding it leaves the
 * next task an EOWNERDEAD to report, not a lock to wait on for ever. */
static void test_contend_robust_mutex_owner_died(void **state)
{
	const struct executor *shm = executor_find("shm");
	struct task_out out;
	struct wl_inst w;
	void *data;
	pid_t pid;
	int st;
	(void)state;

	if (!selected("shm"))
		skip();
	inst_make(&w, shm, CONTEND_MUTEX, 2);
	data = mmap(NULL, w.data_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(data != MAP_FAILED);
	workload_contend.prepare(&w, data, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The mutex is the first member of the region (contend_lock). */
		_exit(pthread_mutex_lock((pthread_mutex_t *)data) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	memset(&out, 0, sizeof(out));
	assert_int_equal(workload_contend.run_task(&w, data, 1, &out), -EOWNERDEAD);
	/* Made consistent: the next task takes it as usual. */
	assert_int_equal(workload_contend.run_task(&w, data, 1, &out), 0);
	assert_int_equal(out.items, N);
	munmap(data, w.data_bytes);
	workload_contend.fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contend_layouts_verify),
		cmocka_unit_test(test_contend_lost_update_refused),
		cmocka_unit_test(test_contend_robust_mutex_owner_died),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
