/* SPDX-License-Identifier: MIT */
/* Unit tests of the imbalance figures (derive_imbalance) on crafted worker times, of the
 * fewer-pus, imbalance and slow-pu warnings, of the warnings grouped by cause for stderr,
 * and of the /proc/PID/stat parser behind the busy-process warning. Expected values are
 * worked out by hand in the comments. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/registry.h"
#include "measure/derive.h"
#include "measure/hostinfo.h"
#include "measure/run.h"

/* A run of nw workers and n samples with the given worker times and end CPUs (row-major,
 * n x nw); planned NULL: unbound. */
static void craft(struct run_result *r, const struct executor *ex, unsigned nw, unsigned n,
		  const double *ws, const int *cpu, const int *planned)
{
	memset(r, 0, sizeof(*r));
	r->wl = &workload_cpu;
	r->ex = ex;
	r->workers = nw;
	r->nsamples = n;
	r->worker_s = malloc((size_t)n * nw * sizeof(double));
	r->worker_cpu = malloc((size_t)n * nw * sizeof(int));
	r->planned = malloc(nw * sizeof(int));
	r->skews = calloc(n, sizeof(double));
	assert_non_null(r->worker_s);
	assert_non_null(r->worker_cpu);
	assert_non_null(r->planned);
	assert_non_null(r->skews);
	memcpy(r->worker_s, ws, (size_t)n * nw * sizeof(double));
	for (size_t i = 0; i < (size_t)n * nw; i++)
		r->worker_cpu[i] = cpu ? cpu[i] : -1;
	for (unsigned k = 0; k < nw; k++)
		r->planned[k] = planned ? planned[k] : -1;
	r->st.median = 0.01;
	r->st.has_ci = 1;
	r->stop_reason = "fixed";
}

/* Three workers, three repetitions:
 *   rep 0: 1.0 1.0 1.5  median 1.0, slowest worker 2 (CPU 3): 1.5
 *   rep 1: 1.0 2.0 1.0  median 1.0, slowest worker 1 (CPU 1): 2.0
 *   rep 2: 1.2 1.0 1.8  median 1.2, slowest worker 2 (CPU 3): 1.5
 * imbalance = median(1.5, 2.0, 1.5) = 1.5; per-worker medians 1.0, 1.0, 1.5: slowest
 * worker 2 (1.5 s, ended on CPU 3 twice of three), fastest worker 0 (the first of the
 * tie, always CPU 0); CPU 3 held the slowest worker in 2 of 3 repetitions. */
static const double ws3[] = { 1.0, 1.0, 1.5, 1.0, 2.0, 1.0, 1.2, 1.0, 1.8 };
static const int cpu3[] = { 0, 1, 3, 0, 1, 1, 0, 1, 3 };

static void test_unbound_figures(void **state)
{
	struct run_result r;
	struct run_imbalance im;
	(void)state;

	craft(&r, &executor_thread, 3, 3, ws3, cpu3, NULL);
	r.cpus = malloc(3 * sizeof(int));
	assert_non_null(r.cpus);
	r.cpus[0] = 0, r.cpus[1] = 1, r.cpus[2] = 3;
	r.ncpus = 3;
	derive_imbalance(&r, &im);
	assert_float_equal(im.imbalance, 1.5, 1e-12);
	assert_int_equal(im.slowest.worker, 2);
	assert_int_equal(im.slowest.pu, 3);
	assert_float_equal(im.slowest.time_s, 1.5, 1e-12);
	assert_int_equal(im.fastest.worker, 0);
	assert_int_equal(im.fastest.pu, 0);
	assert_float_equal(im.fastest.time_s, 1.0, 1e-12);
	assert_int_equal(im.observed_pus, 3);
	assert_int_equal(im.stacked_reps, 1);      /* rep 1: CPUs 0, 1, 1 */
	assert_int_equal(im.slow_pu, 3);
	assert_int_equal(im.slow_pu_reps, 2);
	run_result_free(&r);
}

/* Bound: the planned PUs name the workers, whatever CPU they ended on. */
static void test_bound_figures(void **state)
{
	static const int planned[] = { 4, 5, 6 };
	struct run_result r;
	struct run_imbalance im;
	(void)state;

	craft(&r, &executor_fork, 3, 3, ws3, cpu3, planned);
	derive_imbalance(&r, &im);
	assert_float_equal(im.imbalance, 1.5, 1e-12);
	assert_int_equal(im.slowest.pu, 6);
	assert_int_equal(im.fastest.pu, 4);
	assert_int_equal(im.slow_pu, 6);          /* PUs 6, 5, 6 */
	assert_int_equal(im.slow_pu_reps, 2);
	run_result_free(&r);
}

/* Two workers: the median is their mean. 1 and 3: 3 / 2 = 1.5; 2 and 2: 1. Median of
 * (1.5, 1.0, 1.5, 1.0) = 1.25. The slowest worker's CPU alternates 1, (tie: worker 0)
 * 0, 1, 0: no CPU in more than half of the repetitions, so no slow PU. */
static void test_even_workers_no_slow_pu(void **state)
{
	static const double ws[] = { 1, 3, 2, 2, 1, 3, 2, 2 };
	static const int cpu[] = { 0, 1, 0, 1, 0, 1, 0, 1 };
	struct run_result r;
	struct run_imbalance im;
	(void)state;

	craft(&r, &executor_thread, 2, 4, ws, cpu, NULL);
	derive_imbalance(&r, &im);
	assert_float_equal(im.imbalance, 1.25, 1e-12);
	assert_int_equal(im.slow_pu, -1);
	assert_int_equal(im.slow_pu_reps, 0);
	assert_int_equal(im.slowest.worker, 1);   /* medians 1.5 and 2.5 */
	assert_float_equal(im.slowest.time_s, 2.5, 1e-12);
	run_result_free(&r);
}

/* One worker, or no worker times: nothing to compare. Unknown CPUs: no PU. */
static void test_undefined(void **state)
{
	static const double ws[] = { 1, 2, 3 };
	struct run_result r;
	struct run_imbalance im;
	(void)state;

	craft(&r, &executor_thread, 1, 3, ws, NULL, NULL);
	derive_imbalance(&r, &im);
	assert_true(isnan(im.imbalance));
	assert_int_equal(im.slowest.worker, -1);
	assert_int_equal(im.fastest.worker, -1);
	run_result_free(&r);

	craft(&r, &executor_thread, 3, 1, ws, NULL, NULL);
	derive_imbalance(&r, &im);
	assert_float_equal(im.imbalance, 1.5, 1e-12);   /* 3 / 2 */
	assert_int_equal(im.slowest.worker, 2);
	assert_int_equal(im.slowest.pu, -1);
	assert_int_equal(im.slow_pu, -1);
	free(r.worker_s);
	r.worker_s = NULL;
	derive_imbalance(&r, &im);
	assert_true(isnan(im.imbalance));
	run_result_free(&r);
}

static size_t count_code(const struct warning_list *l, enum warn_code code)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += l->items[i].code == code;
	return n;
}

/* The first record of code; an empty one (run -2) when there is none, so that the
 * comparisons after it fail rather than crash. */
static const struct run_warning *find_code(const struct warning_list *l, enum warn_code code)
{
	static char empty[] = "";
	static const struct run_warning none = { .code = WARN_NCODES, .run = -2, .text = empty };
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].code == code)
			return &l->items[i];
	return &none;
}

/* fewer-pus: seen on fewer CPUs than workers while each could have had one. */
static void test_fewer_pus(void **state)
{
	static const double even[] = { 1, 1, 1, 1 };
	static const struct {
		const struct executor *ex;
		unsigned workers, ncpus, pus;
		int warned;
	} cases[] = {
		{ &executor_thread, 2, 1, 2, 1 },   /* 2 workers on 1 of 2 PUs */
		{ &executor_fork, 2, 1, 4, 1 },
		{ &executor_thread, 2, 2, 2, 0 },   /* each had its own */
		{ &executor_thread, 2, 1, 1, 0 },   /* one PU: oversubscribed, not fewer */
		{ &executor_thread, 2, 0, 2, 0 },   /* CPUs unknown */
		{ &executor_seq, 1, 1, 2, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct warning_list l = { 0 };
		struct run_result r;
		craft(&r, cases[i].ex, cases[i].workers, 2, even, NULL, NULL);
		r.cpus = calloc(cases[i].ncpus + 1, sizeof(int));
		assert_non_null(r.cpus);
		r.ncpus = cases[i].ncpus;
		derive_run_warnings(&l, &r, 7, cases[i].pus);
		assert_int_equal(count_code(&l, WARN_FEWER_PUS), cases[i].warned);
		if (cases[i].warned) {
			const struct run_warning *w = find_code(&l, WARN_FEWER_PUS);
			char want[256];
			assert_int_equal(w->run, 7);
			snprintf(want, sizeof(want), "cpu on %s with 2 workers: the workers ran on only "
				 "1 processing unit of the %u available", cases[i].ex->name,
				 cases[i].pus);
			assert_memory_equal(w->text, want, strlen(want));
			assert_int_equal(derive_warn_kinds[WARN_FEWER_PUS].severity, WARN_WARNING);
		}
		assert_int_equal(count_code(&l, WARN_IMBALANCE), 0);
		warning_list_free(&l);
		run_result_free(&r);
	}
}

/* Seen on both PUs over the run, but stacked on one in most repetitions: fewer-pus too;
 * stacked in half of them or with a CPU unknown: not. */
static void test_fewer_pus_stacked(void **state)
{
	static const double even[] = { 1, 1, 1, 1, 1, 1 };
	static const int most[] = { 0, 0, 0, 1, 1, 1 };
	static const int half[] = { 0, 0, 0, 1, 0, 1 };
	static const int unknown[] = { 0, 0, -1, -1, 1, 1 };
	static const struct {
		const int *cpu;
		unsigned stacked;
		int warned;
	} cases[] = { { most, 2, 1 }, { half, 1, 0 }, { unknown, 2, 1 } };
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct warning_list l = { 0 };
		struct run_imbalance im;
		struct run_result r;
		craft(&r, &executor_thread, 2, 3, even, cases[i].cpu, NULL);
		r.cpus = calloc(2, sizeof(int));
		assert_non_null(r.cpus);
		r.cpus[1] = 1;
		r.ncpus = 2;
		derive_imbalance(&r, &im);
		assert_int_equal(im.observed_pus, 2);
		assert_int_equal(im.stacked_reps, cases[i].stacked);
		derive_run_warnings(&l, &r, 0, 2);
		assert_int_equal(count_code(&l, WARN_FEWER_PUS), cases[i].warned);
		if (cases[i].warned)
			assert_string_equal(find_code(&l, WARN_FEWER_PUS)->text,
					    "cpu on thread with 2 workers: in 2 of 3 repetitions the "
					    "workers ended on fewer processing units than workers, of the "
					    "2 available: another process holds a PU or the scheduler "
					    "stacked them, so this run's speedup is not that of 2 workers");
		warning_list_free(&l);
		run_result_free(&r);
	}
}

/* imbalance over 1.2 warns, with the slowest worker and its PU; a slow PU too when one
 * held the slowest worker in most repetitions. 1.2 exactly does not. */
static void test_imbalance_warnings(void **state)
{
	static const double under[] = { 1.0, 1.2, 1.0, 1.2 };     /* 1.2 / 1.1 < 1.2 */
	static const double at_limit[] = { 1.0, 1.0, 1.2 };       /* 1.2 / 1.0 = 1.2: not over */
	struct warning_list l = { 0 };
	struct run_result r;
	(void)state;

	craft(&r, &executor_thread, 3, 3, ws3, cpu3, NULL);
	derive_run_warnings(&l, &r, 1, 4);
	assert_int_equal(count_code(&l, WARN_IMBALANCE), 1);
	assert_string_equal(find_code(&l, WARN_IMBALANCE)->text,
			    "cpu on thread with 3 workers: imbalance 1.50x: the slowest worker "
			    "(worker 2 on PU 3, median 1.5 s) held up the others; the run waits for it");
	assert_int_equal(count_code(&l, WARN_SLOW_PU), 1);
	assert_string_equal(find_code(&l, WARN_SLOW_PU)->text,
			    "cpu on thread with 3 workers: PU 3 held the slowest worker in 2 of 3 "
			    "repetitions: something else runs there or it is slower");
	warning_list_free(&l);
	run_result_free(&r);

	craft(&r, &executor_thread, 2, 2, under, NULL, NULL);
	derive_run_warnings(&l, &r, 1, 4);
	assert_int_equal(count_code(&l, WARN_IMBALANCE), 0);
	warning_list_free(&l);
	run_result_free(&r);
	craft(&r, &executor_thread, 3, 1, at_limit, NULL, NULL);
	derive_run_warnings(&l, &r, 1, 4);
	assert_int_equal(count_code(&l, WARN_IMBALANCE), 0);
	assert_int_equal(count_code(&l, WARN_SLOW_PU), 0);
	warning_list_free(&l);
	run_result_free(&r);
}

/* stderr: one line per cause, machine-wide causes first, every run once per cause, the
 * busy process named beside fewer PUs; texts of host records kept. */
static void test_by_cause(void **state)
{
	struct run_result runs[3];
	struct warning_list l = { 0 };
	char *lines[16];
	size_t n;
	(void)state;

	craft(&runs[0], &executor_seq, 1, 3, ws3, NULL, NULL);
	craft(&runs[1], &executor_thread, 2, 1, ws3, NULL, NULL);
	craft(&runs[2], &executor_fork, 2, 1, ws3, NULL, NULL);
	warning_add(&l, WARN_NOISY, 1, "cpu on thread with 2 workers: noisy");
	warning_add(&l, WARN_FEWER_PUS, 2, "cpu on fork with 2 workers: fewer");
	warning_add(&l, WARN_OUTLIERS, 1, "cpu on thread with 2 workers: outliers");
	warning_add(&l, WARN_FEWER_PUS, 1, "cpu on thread with 2 workers: fewer");
	warning_add(&l, WARN_NO_INTERVAL, 0, "cpu on seq with 1 worker: few");
	warning_add(&l, WARN_LOAD, -1, "load average 1.9 at start");
	warning_add(&l, WARN_BUSY_PROCESS, -1, "stress-ng (pid 42) used 98%% of PU 1 at the "
		    "start; it competes");
	n = derive_warnings_by_cause(&l, runs, 3, lines, 16);
	assert_int_equal(n, 4);
	assert_string_equal(lines[0], "busy machine: load average 1.9 at start; stress-ng (pid 42) "
			    "used 98% of PU 1 at the start; it competes");
	assert_string_equal(lines[1], "fewer PUs than workers: 2 runs (cpu fork x2, cpu thread x2): "
			    "another process holds a PU or the scheduler stacked the workers; their "
			    "speedups are not those of their worker counts (busy-process: stress-ng "
			    "(pid 42) used 98% of PU 1 at the start)");
	assert_string_equal(lines[2], "noise: 1 run (cpu thread x2): variation, outliers, a slow "
			    "first sample or start skew; quiet the machine, raise --warmup or add "
			    "--repetitions");
	{
		static const char few[] = "too few samples: 1 run (cpu seq x1): ";
		assert_memory_equal(lines[3], few, strlen(few));
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	/* at most max lines */
	assert_int_equal(derive_warnings_by_cause(&l, runs, 3, lines, 1), 1);
	free(lines[0]);
	warning_list_free(&l);
	assert_int_equal(derive_warnings_by_cause(&l, runs, 3, lines, 16), 0);
	for (size_t i = 0; i < 3; i++)
		run_result_free(&runs[i]);
}

/* The slow PU and the imbalance lines name the PU and the figure of each run; the
 * workers' involuntary switches, where measured, are in the records. */
static void test_by_cause_figures(void **state)
{
	struct run_result r;
	struct warning_list l = { 0 };
	char *lines[16];
	(void)state;

	craft(&r, &executor_thread, 3, 3, ws3, cpu3, NULL);
	r.ru.ivcsw = 12;
	derive_run_warnings(&l, &r, 0, 4);
	assert_int_equal(l.n, 2);
	assert_string_equal(find_code(&l, WARN_IMBALANCE)->text,
			    "cpu on thread with 3 workers: imbalance 1.50x: the slowest worker "
			    "(worker 2 on PU 3, median 1.5 s) held up the others (workers switched out "
			    "involuntarily 4.0 times per repetition); the run waits for it");
	assert_int_equal(derive_warnings_by_cause(&l, &r, 1, lines, 16), 2);
	assert_string_equal(lines[0], "slow PU: 1 run (cpu thread x3 on PU 3): one PU held the "
			    "slowest worker in most repetitions: something else runs there or it is "
			    "slower");
	assert_string_equal(lines[1], "imbalance: 1 run (cpu thread x3 1.50x): the slowest worker "
			    "took over 1.2x the median worker's time, and each run waited for it");
	free(lines[0]);
	free(lines[1]);
	warning_list_free(&l);
	run_result_free(&r);
}

/* Every code has a cause: a new code without one would be grouped as noise silently. */
static void test_every_code_grouped(void **state)
{
	struct run_result run;
	char *lines[16];
	(void)state;

	craft(&run, &executor_thread, 2, 1, ws3, NULL, NULL);
	for (int c = 0; c < WARN_NCODES; c++) {
		struct warning_list l = { 0 };
		size_t n;
		warning_add(&l, (enum warn_code)c, 0, "text");
		n = derive_warnings_by_cause(&l, &run, 1, lines, 16);
		assert_int_equal(n, 1);
		if (c != WARN_NOISY && c != WARN_OUTLIERS && c != WARN_FIRST_SAMPLE_SLOW &&
		    c != WARN_START_SKEW)
			assert_null(strstr(lines[0], "noise:"));
		free(lines[0]);
		warning_list_free(&l);
	}
	run_result_free(&run);
}

/* /proc/PID/stat: a command with spaces and parentheses, utime 14 + stime 15, CPU 39. */
static void test_proc_stat(void **state)
{
	static const char line[] =
		"4242 (my (odd) cmd) R 1 4242 4242 0 -1 4194304 100 0 0 0 250 17 0 0 20 0 1 0 "
		"12345 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
	char comm[64];
	uint64_t ticks = 0;
	int cpu = -2;
	(void)state;

	assert_int_equal(host_parse_proc_stat(line, comm, sizeof(comm), &ticks, &cpu), 0);
	assert_string_equal(comm, "my (odd) cmd");
	assert_int_equal(ticks, 267);
	assert_int_equal(cpu, 3);
	/* cut to the buffer */
	assert_int_equal(host_parse_proc_stat(line, comm, 4, &ticks, &cpu), 0);
	assert_string_equal(comm, "my ");
	/* short lines and no command */
	assert_int_equal(host_parse_proc_stat("12 (sh) S 1 2 3", comm, sizeof(comm), &ticks, &cpu),
			 -1);
	assert_int_equal(host_parse_proc_stat("garbage", comm, sizeof(comm), &ticks, &cpu), -1);
	/* without field 39 (old kernels): CPU unknown */
	assert_int_equal(host_parse_proc_stat("1 (a) S 0 0 0 0 0 0 0 0 0 0 5 6 0 0", comm,
					      sizeof(comm), &ticks, &cpu), 0);
	assert_int_equal(ticks, 11);
	assert_int_equal(cpu, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unbound_figures),
		cmocka_unit_test(test_bound_figures),
		cmocka_unit_test(test_even_workers_no_slow_pu),
		cmocka_unit_test(test_undefined),
		cmocka_unit_test(test_fewer_pus),
		cmocka_unit_test(test_fewer_pus_stacked),
		cmocka_unit_test(test_imbalance_warnings),
		cmocka_unit_test(test_by_cause),
		cmocka_unit_test(test_by_cause_figures),
		cmocka_unit_test(test_every_code_grouped),
		cmocka_unit_test(test_proc_stat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
