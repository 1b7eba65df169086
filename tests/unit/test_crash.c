/* SPDX-License-Identifier: MIT */
/* Unit tests for the injected crash (core/fault.c's --inject) and --on-crash restart in the
 * process pools: the spec's parser, the crash record a replaced worker leaves, and a cell on
 * fork and shm in which worker 1 really dies of SIGSEGV. Under TSan only the parser runs
 * (fork is not supported there: CB_TEST_EXECUTORS=thread). */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/cell.h"
#include "core/fault.h"
#include "core/proc.h"
#include "core/registry.h"

static const struct machine test_machine = { .pus = 2, .llc_bytes = 1 << 20,
					     .mem_bytes = 8ULL << 30 };

static void test_inject_parse(void **state)
{
	static const char *const bad[] = { "", "crash", "crash:1", "crash:1:", "crash::1",
		"crash:-1:0", "crash:0:-1", "crash: 1:0", "crash:0:1x", "crash:0:1:2", "boom:0:0",
		"crash:+1:0", "crash:1000001:0", "CRASH:0:0" };
	unsigned w = 7, t = 7;
	(void)state;
	assert_int_equal(fault_inject_parse("crash:0:0", &w, &t), 0);
	assert_int_equal(w, 0);
	assert_int_equal(t, 0);
	assert_int_equal(fault_inject_parse("crash:12:345", &w, &t), 0);
	assert_int_equal(w, 12);
	assert_int_equal(t, 345);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fault_inject_parse(bad[i], &w, &t) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
}

/* A note becomes the record; the recovery time needs both the crash's time and the end. */
static void test_crash_notes_publish(void **state)
{
	struct crash_note n[2] = { { .signal = SIGSEGV, .task = 5, .lost = 3, .at_ns = 1000,
				     .detect_ns = 40 }, { 0 } };
	struct worker_rec recs[2];
	(void)state;
	memset(recs, 0, sizeof(recs));
	crash_notes_publish(n, 2, recs, 1500);
	assert_int_equal(recs[0].crash_signal, SIGSEGV);
	assert_int_equal(recs[0].crash_task, 5);
	assert_int_equal(recs[0].crash_lost, 3);
	assert_int_equal(recs[0].crash_detect_ns, 40);
	assert_int_equal(recs[0].crash_recover_ns, 500);
	assert_int_equal(recs[1].crash_signal, 0);
	assert_int_equal(n[0].signal, 0);          /* cleared for the next repetition */
	n[1] = (struct crash_note){ .signal = SIGBUS, .task = 2, .lost = 1, .detect_ns = -1 };
	crash_notes_publish(n, 2, recs, 0);
	assert_int_equal(recs[0].crash_signal, 0);
	assert_int_equal(recs[1].crash_signal, SIGBUS);
	assert_int_equal(recs[1].crash_detect_ns, -1);
	assert_int_equal(recs[1].crash_recover_ns, -1);
}

static int skipped(const char *ex)
{
	const char *env = getenv("CB_TEST_EXECUTORS");
	return env && *env && !strstr(env, ex);
}

/* cpu, 2 workers, 8 tasks: worker 1 owns [4, 8) and dies before its task 1, task 5. */
static void restart_on(const char *name)
{
	const struct executor *ex = executor_find(name);
	struct wl_params p = { .size = 100000, .tasks = 8 };
	struct wl_inst w;
	struct run_result r;
	struct cb_err e = { 0 };
	struct cell_cfg c = { .warmup = 1, .timeout_ns = 30LL * 1000000000LL, .restart = 1 };

	if (skipped(name))
		return;
	assert_non_null(ex);
	assert_int_equal(cell_inst_init(&w, &workload_cpu, &p, 2, 1, &test_machine), 0);
	assert_int_equal(fault_inject_set(1, 1), 0);
	memset(&r, 0, sizeof(r));
	r.wl = w.wl;
	r.ex = ex;
	r.workers = 2;
	if (cell_run(&c, &w, ex, &r, 3, &e) < 0)
		fail_msg("%s: %s", name, e.msg);
	assert_true(r.verified);
	assert_int_equal(r.nsamples, 3);
	assert_int_equal(r.ncrashes, 1);      /* the first kept repetition only */
	assert_int_equal(r.crashes[0].worker, 1);
	assert_int_equal(r.crashes[0].task, 5);
	assert_int_equal(r.crashes[0].lost, 3);
	assert_int_equal(r.crashes[0].signal, SIGSEGV);
	assert_false(isnan(r.crashes[0].detect_s));
	assert_true(r.crashes[0].recover_s >= r.crashes[0].detect_s);
	run_result_free(&r);

	/* Without restart the cell fails and names the worker and its signal. */
	c.restart = 0;
	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	r.wl = w.wl;
	r.ex = ex;
	r.workers = 2;
	assert_int_equal(cell_run(&c, &w, ex, &r, 3, &e), -ECHILD);
	if (!strstr(e.msg, "worker 1 (pid") || !strstr(e.msg, "killed by signal 11"))
		fail_msg("%s: %s", name, e.msg);
	run_result_free(&r);
	cell_inst_fini(&w);
}

static void test_fork_restart(void **state)
{
	(void)state;
	restart_on("fork");
}

static void test_shm_restart(void **state)
{
	(void)state;
	restart_on("shm");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inject_parse),
		cmocka_unit_test(test_crash_notes_publish),
		cmocka_unit_test(test_fork_restart),
		cmocka_unit_test(test_shm_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
