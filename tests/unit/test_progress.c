/* SPDX-License-Identifier: MIT */
/* progress and harness time: what a visit spends outside its kept samples, the lines a run
 * prints, and the dry run's calibration. Correctness only: no assert depends on how fast
 * anything ran. */
#define _GNU_SOURCE
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/cell.h"
#include "core/registry.h"
#include "measure/progress.h"
#include "topo/topo.h"

static void inst(struct wl_inst *w, const char *name, uint64_t size, uint64_t tasks,
		 unsigned workers, int64_t duration_ns)
{
	const struct workload *wl = workload_find(name);
	struct wl_params p = { .size = size, .tasks = tasks };
	struct machine m;

	assert_non_null(wl);
	for (size_t j = 0; j < wl->noptions; j++)
		p.opt[j] = wl->options[j].kind == WLO_DURATION ?
			(duration_ns ? duration_ns : wl->options[j].def_ns) : 0;
	topo_machine(&m);
	assert_int_equal(cell_inst_init(w, wl, &p, workers, 1, &m), 0);
}

/* The time outside the samples is the visit less the samples it kept, exactly. */
static void test_add_harness_exact(void **state)
{
	double samples[3] = { 0.25, 0.125, 0.5 };
	struct run_result r = { .samples = samples, .nsamples = 3, .harness_s = 1.0 };
	(void)state;

	cell_add_harness(&r, 1, 2000000000LL);          /* 2 s, samples 1 and 2 new */
	assert_true(fabs(r.harness_s - (1.0 + 2.0 - 0.625)) < 1e-12);
	cell_add_harness(&r, 3, 1000);                  /* nothing kept: all of it is harness */
	assert_true(fabs(r.harness_s - (2.375 + 1e-6)) < 1e-12);
}

/* On seq and thread: samples + harness of the visits is the visits' own wall time, which
 * lies inside the wall time the caller measured around them; warm-ups count as harness. */
static void test_cell_harness_accounting(void **state)
{
	const char *names[] = { "seq", "thread" };
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct executor *x = executor_find(names[i]);
		unsigned workers = x->flags & EX_SINGLE_WORKER ? 1 : 2;
		struct cell_cfg c = { .bind = BIND_NONE, .warmup = 2,
				      .timeout_ns = 60LL * 1000000000LL };
		struct run_result r = { .ex = x, .workers = workers };
		struct cb_err e = { 0 };
		struct wl_inst w;
		double kept = 0, outside;
		int64_t t0, t1;

		assert_non_null(x);
		inst(&w, "cpu", 200000, 8, workers, 0);
		r.wl = w.wl;
		t0 = now_ns();
		for (int visit = 0; visit < 2; visit++)
			if (cell_run(&c, &w, x, &r, 3, &e) < 0)
				fail_msg("%s: %s", x->name, e.msg);
		t1 = now_ns();
		assert_int_equal(r.nsamples, 6);
		for (unsigned k = 0; k < r.nsamples; k++)
			kept += r.samples[k];
		outside = (double)(t1 - t0) / 1e9;
		/* Two pools started and four warm-ups ran outside the samples. */
		assert_true(r.harness_s > 0);
		if (!(kept + r.harness_s <= outside + 1e-9))
			fail_msg("%s: samples %.9f + harness %.9f over the %.9f s measured around",
				 x->name, kept, r.harness_s, outside);
		run_result_free(&r);
		cell_inst_fini(&w);
	}
}

/* Round r's share of the repetitions, as run.c splits them. */
static void test_round_reps(void **state)
{
	struct config c = { .reps = 7, .rounds = 3 };
	(void)state;
	assert_int_equal(progress_round_reps(&c, 0), 3);
	assert_int_equal(progress_round_reps(&c, 1), 2);
	assert_int_equal(progress_round_reps(&c, 2), 2);
	assert_int_equal(progress_round_reps(&c, 3), 0);
	c.reps = 1;
	c.rounds = 2;
	assert_int_equal(progress_round_reps(&c, 1), 0);
}

static void test_fmt_span(void **state)
{
	char b[32];
	(void)state;
	progress_fmt_span(b, sizeof(b), 0.04);
	assert_string_equal(b, "40 ms");
	progress_fmt_span(b, sizeof(b), 2.54);
	assert_string_equal(b, "2.5 s");
	progress_fmt_span(b, sizeof(b), 40);
	assert_string_equal(b, "40 s");
	progress_fmt_span(b, sizeof(b), 180);
	assert_string_equal(b, "3 min");
	progress_fmt_span(b, sizeof(b), 9000);
	assert_string_equal(b, "2.5 h");
	progress_fmt_span(b, sizeof(b), NAN);
	assert_string_equal(b, "?");
}

/* A sleep longer than the budget is not run: the estimate is its duration times the tasks;
 * a computation is timed. */
static void test_calibrate(void **state)
{
	struct progress_calib pc;
	struct wl_inst w;
	char why[128];
	(void)state;

	inst(&w, "io", 0, 6, 1, 5000000000LL);
	assert_int_equal(progress_calibrate(&w, 0, 1000000, &pc, why, sizeof(why)), 0);
	assert_true(pc.from_duration);
	assert_false(pc.timed);
	assert_true(fabs(pc.rep_s - 30.0) < 1e-9);
	/* Sleeps run side by side: two workers halve a repetition, whatever the PUs. */
	assert_true(fabs(progress_visit_s(&pc, 2, 1, 6, 1, 4, 1) -
			 progress_visit_s(&pc, 1, 1, 6, 1, 4, 1) + 2.5 * 30.0) < 1e-6);
	cell_inst_fini(&w);

	inst(&w, "cpu", 100000, 4, 1, 0);
	assert_int_equal(progress_calibrate(&w, 1000, 100000000, &pc, why, sizeof(why)), 0);
	assert_true(pc.timed);
	assert_false(pc.from_duration);
	assert_true(pc.rep_s > 0);
	assert_true(pc.init_s > 0);
	/* More repetitions never take less time. */
	assert_true(progress_visit_s(&pc, 2, 2, 4, 1, 5, 1) > progress_visit_s(&pc, 2, 2, 4, 1, 2, 1));
	cell_inst_fini(&w);
}

/* Not a terminal: one line per finished visit, k/N counted, N growing with unplanned visits;
 * quiet: nothing. */
static void test_lines(void **state)
{
	double samples[3] = { 0.010, 0.020, 0.030 };
	struct run_result r = { .samples = samples, .nsamples = 3, .workers = 2 };
	struct progress pg;
	char buf[512] = "";
	FILE *f = tmpfile();
	(void)state;

	assert_non_null(f);
	r.wl = workload_find("cpu");
	r.ex = executor_find("thread");
	progress_init(&pg, f, 0, 1);
	assert_int_equal(pg.mode, PROGRESS_LINES);
	progress_visit_begin(&pg);
	progress_rep(&pg, "x", 1, 2);                   /* no live line off a terminal */
	progress_visit_done(&pg, &r, 40);
	progress_visit_begin(&pg);
	progress_visit_done(&pg, &r, NAN);
	progress_clear(&pg);
	rewind(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_non_null(strstr(buf, "concbench: [1/1] cpu on thread with 2 workers: 3 samples, "
			   "median 20.0 ms (elapsed "));
	assert_non_null(strstr(buf, ", ETA 40 s)\n"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_non_null(strstr(buf, "[2/2] "));
	assert_non_null(strstr(buf, "ETA ?)"));
	assert_null(fgets(buf, sizeof(buf), f));
	fclose(f);

	f = tmpfile();
	assert_non_null(f);
	progress_init(&pg, f, 1, 1);
	progress_visit_begin(&pg);
	progress_rep(&pg, "x", 1, 2);
	progress_visit_done(&pg, &r, 1);
	assert_int_equal(ftell(f), 0);
	fclose(f);
}

/* The registry checked and the topology loaded once, as main does before any command. */
static int setup(void **state)
{
	char why[256];
	(void)state;
	return registry_check(why, sizeof(why)) < 0 || topo_load() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	topo_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_harness_exact),
		cmocka_unit_test(test_cell_harness_accounting),
		cmocka_unit_test(test_round_reps),
		cmocka_unit_test(test_fmt_span),
		cmocka_unit_test(test_calibrate),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
