/* SPDX-License-Identifier: MIT */
/* Unit tests for src/core/counters.c and the counters of a cell and a report: software
 * counters against getrusage on the same work, faults against the pages first touched,
 * nothing counted outside the region, missing counters made by a failing
 * perf_event_open (the test hook) reported as missing with one reason, every executor's
 * workers counting without leaking a descriptor, and the report's fields through the
 * loader. Where this machine refuses perf_event_open altogether, the tests that need real
 * counts are skipped. */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cmd/options.h"
#include "core/cell.h"
#include "core/counters.h"
#include "core/registry.h"
#include "measure/run.h"
#include "measure/stats.h"
#include "report/report.h"
#include "report/reportload.h"
#include "topo/topo.h"

static int (*saved_open)(struct perf_event_attr *, int);

static int sys_open(struct perf_event_attr *a, int group_fd)
{
	return (int)syscall(SYS_perf_event_open, a, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
}

/* No PMU: hardware events do not exist. */
static int open_no_pmu(struct perf_event_attr *a, int group_fd)
{
	if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_HW_CACHE) {
		errno = ENOENT;
		return -1;
	}
	return sys_open(a, group_fd);
}

/* A seccomp filter: nothing at all. */
static int open_refused(struct perf_event_attr *a, int group_fd)
{
	(void)a;
	(void)group_fd;
	errno = EPERM;
	return -1;
}

/* perf_event_paranoid 2 for an unprivileged user: only without the kernel's part. */
static int open_user_only(struct perf_event_attr *a, int group_fd)
{
	if (!a->exclude_kernel) {
		errno = EACCES;
		return -1;
	}
	return sys_open(a, group_fd);
}

static int setup_hook(void **state)
{
	(void)state;
	saved_open = counters_perf_open;
	return 0;
}

static int teardown_hook(void **state)
{
	(void)state;
	counters_perf_open = saved_open;
	return 0;
}

static size_t open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Burn ns of this thread's CPU time. */
static void burn(int64_t ns)
{
	int64_t until = thread_cpu_ns() + ns;
	volatile uint64_t x = 1;
	while (thread_cpu_ns() < until)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ULL + 1;
}

static int64_t rusage_cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Open this thread's counters; skip when the machine lets none be opened. */
static void open_or_skip(struct counters *c)
{
	counters_open(c);
	if (c->fd[CTR_TASK_CLOCK] < 0) {
		counters_close(c);
		print_message("perf_event_open refused here (errno %d): skipped\n", c->open_err);
		skip();
	}
}

/* task-clock over ~50 ms of CPU-bound work is within [0.5x, 2x] of the thread's user +
 * system time over the same work. */
static void test_task_clock_agrees_with_rusage(void **state)
{
	struct counters c;
	struct ctr_values v;
	int64_t r0, r1;
	double ratio;
	(void)state;

	open_or_skip(&c);
	r0 = rusage_cpu_ns();
	counters_mark(&c);
	burn(50000000);
	r1 = rusage_cpu_ns();
	counters_read(&c, &v);
	counters_close(&c);
	assert_true(v.v[CTR_TASK_CLOCK] != CTR_MISSING);
	ratio = (double)v.v[CTR_TASK_CLOCK] / (double)(r1 - r0);
	if (!(ratio >= 0.5 && ratio <= 2.0))
		fail_msg("task-clock %lld ns, getrusage %lld ns", (long long)v.v[CTR_TASK_CLOCK],
			 (long long)(r1 - r0));
	assert_true(v.v[CTR_CONTEXT_SWITCHES] >= 0);
	assert_true(v.v[CTR_CPU_MIGRATIONS] >= 0);
}

/* Touching fresh pages faults at least once per page, and each fault is minor. */
static void test_page_faults_of_first_touch(void **state)
{
	const size_t pages = 512, page = (size_t)sysconf(_SC_PAGESIZE);
	struct counters c;
	struct ctr_values v;
	char *m;
	(void)state;

	m = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	madvise(m, pages * page, MADV_NOHUGEPAGE);   /* one fault per page, not per 2 MiB */
	open_or_skip(&c);
	counters_mark(&c);
	for (size_t i = 0; i < pages; i++)
		((volatile char *)m)[i * page] = 1;
	counters_read(&c, &v);
	counters_close(&c);
	munmap(m, pages * page);
	if (v.v[CTR_PAGE_FAULTS] < (int64_t)pages || v.v[CTR_MINOR_FAULTS] < (int64_t)pages)
		fail_msg("page faults %lld, minor %lld, pages touched %zu",
			 (long long)v.v[CTR_PAGE_FAULTS], (long long)v.v[CTR_MINOR_FAULTS], pages);
	assert_true(v.v[CTR_MAJOR_FAULTS] >= 0);
}

/* Work between a read and the next mark is not counted: each read is one region. */
static void test_only_the_region_counts(void **state)
{
	struct counters c;
	struct ctr_values first, second;
	(void)state;

	open_or_skip(&c);
	counters_mark(&c);
	burn(20000000);
	counters_read(&c, &first);
	burn(60000000);              /* outside any region */
	counters_mark(&c);
	counters_read(&c, &second);
	counters_close(&c);
	assert_true(first.v[CTR_TASK_CLOCK] >= 10000000);
	if (second.v[CTR_TASK_CLOCK] > 10000000)
		fail_msg("an empty region counted %lld ns of task-clock",
			 (long long)second.v[CTR_TASK_CLOCK]);
}

/* Count 5 ms of CPU work with counters opened through open. */
static void count_5ms_with(int (*open)(struct perf_event_attr *, int), struct ctr_values *v)
{
	struct counters c;
	counters_perf_open = open;
	open_or_skip(&c);
	counters_mark(&c);
	burn(5000000);
	counters_read(&c, v);
	counters_close(&c);
}

/* Without a PMU the hardware counters are missing and named, the software ones still count. */
static void test_missing_pmu_named(void **state)
{
	struct ctr_values v;
	char why[512];
	(void)state;

	count_5ms_with(open_no_pmu, &v);
	for (int i = CTR_FIRST_HW; i < CTR_N; i++)
		assert_true(v.v[i] == CTR_MISSING);
	assert_true(v.v[CTR_TASK_CLOCK] > 0);
	assert_int_equal(v.open_err, ENOENT);
	counters_reason(why, sizeof(why), &v);
	if (strncmp(why, "hardware counters: ", 19) != 0 || !strstr(why, "perf_event_open: ENOENT"))
		fail_msg("reason: %s", why);
}

/* Refused altogether: every counter missing, one reason, no descriptor left open. */
static void test_refused_leaves_nothing_open(void **state)
{
	struct counters c;
	struct ctr_values v;
	char why[512];
	size_t before = open_fds();
	(void)state;

	counters_perf_open = open_refused;
	counters_open(&c);
	counters_mark(&c);
	counters_read(&c, &v);
	counters_close(&c);
	assert_int_equal(open_fds(), before);
	for (int i = 0; i < CTR_N; i++)
		assert_true(v.v[i] == CTR_MISSING);
	counters_reason(why, sizeof(why), &v);
	if (strncmp(why, "all counters: ", 14) != 0 || !strstr(why, "EPERM"))
		fail_msg("reason: %s", why);
}

/* Only user space allowed: opened without the kernel's part, which is said; the counters
 * that happen only in the kernel are missing rather than zero. */
static void test_user_space_only(void **state)
{
	struct ctr_values v;
	char why[512];
	(void)state;

	count_5ms_with(open_user_only, &v);
	assert_true(v.v[CTR_TASK_CLOCK] > 0);
	assert_true(v.v[CTR_CONTEXT_SWITCHES] == CTR_MISSING);
	assert_true(v.v[CTR_CPU_MIGRATIONS] == CTR_MISSING);
	assert_true(v.v[CTR_PAGE_FAULTS] != CTR_MISSING);
	counters_reason(why, sizeof(why), &v);
	if (!strstr(why, "context_switches, cpu_migrations: not counted") ||
	    !strstr(why, "user space only"))
		fail_msg("reason: %s", why);
}

/* A cell on every executor: each worker's task-clock counted, the sum at least each
 * worker's own, the missing PMU named once, and no descriptor left behind. */
static void test_cell_counts_every_executor(void **state)
{
	static const struct machine m = { .pus = 2, .llc_bytes = 1 << 20, .mem_bytes = 8ULL << 30 };
	const struct workload *wl = workload_find("cpu");
	struct wl_params p = { .size = 2000000 };
	(void)state;

	assert_non_null(wl);
	assert_int_equal(topo_load(), 0);
	counters_perf_open = open_no_pmu;
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		unsigned n = x->flags & EX_SINGLE_WORKER ? 1 : 2;
		struct cell_cfg cfg = { .bind = BIND_NONE, .warmup = 1,
					.timeout_ns = 60LL * 1000000000LL };
		struct run_result r = { .ex = x, .workers = n, .wl = wl };
		struct cb_err e = { 0 };
		double sum[CTR_N], own[CTR_N];
		struct wl_inst w;
		char why[256] = "";
		size_t before;

		if (x->supported && x->supported(why, sizeof(why)) < 0)
			continue;
		assert_int_equal(cell_inst_init(&w, wl, &p, n, 1, &m), 0);
		before = open_fds();
		if (cell_run(&cfg, &w, x, &r, 3, &e) < 0)
			fail_msg("%s: %s", x->name, e.msg);
		assert_int_equal(open_fds(), before);
		cell_counters(&r, -1, sum);
		if (isnan(sum[CTR_TASK_CLOCK])) {
			print_message("%s: no task-clock (%s): skipped\n", x->name,
				      r.counters_unavailable ? r.counters_unavailable : "?");
		} else {
			for (unsigned k = 0; k < n; k++) {
				cell_counters(&r, (int)k, own);
				if (!(own[CTR_TASK_CLOCK] > 0))
					fail_msg("%s: worker %u counted no task-clock", x->name, k);
			}
			assert_true(sum[CTR_TASK_CLOCK] > 0);
		}
		for (int c = CTR_FIRST_HW; c < CTR_N; c++)
			assert_true(isnan(sum[c]));
		assert_non_null(r.counters_unavailable);
		assert_non_null(strstr(r.counters_unavailable, "ENOENT"));
		run_result_free(&r);
		cell_inst_fini(&w);
	}
	topo_release();
}

/* ---- the report ---- */

static double *doubles(size_t n)
{
	double *d = calloc(n ? n : 1, sizeof(double));
	assert_non_null(d);
	return d;
}

/* One run of 2 workers and 3 repetitions whose counters are known: worker k counts
 * (k + 1) * base in repetition i, base = (i + 1) * 10^6; cycles only in repetition 1;
 * the other hardware counters never. */
static void make_counted_run(struct run_result *r)
{
	const unsigned n = 3, workers = 2;
	memset(r, 0, sizeof(*r));
	r->wl = &workload_cpu;
	r->ex = &executor_thread;
	r->workers = workers;
	r->bind = BIND_NONE;
	r->nsamples = r->cap = n;
	r->samples = doubles(n);
	r->skews = doubles(n);
	r->worker_s = doubles(n * workers);
	r->planned = calloc(workers, sizeof(int));
	r->ctr_rep = doubles(n * CTR_N);
	r->ctr_worker = doubles(n * workers * CTR_N);
	r->counters_unavailable = strdup("hardware counters: test");
	assert_non_null(r->planned);
	assert_non_null(r->counters_unavailable);
	for (unsigned i = 0; i < n; i++) {
		double base = (i + 1) * 1e6;
		r->samples[i] = 0.01 * (i + 1);
		for (int c = 0; c < CTR_N; c++) {
			double s = 0;
			for (unsigned k = 0; k < workers; k++) {
				double v = (k + 1) * base;
				if (c == CTR_INSTRUCTIONS)
					v *= 3;
				else if (c == CTR_CYCLES && i != 1)
					v = NAN;
				else if (c > CTR_CYCLES)
					v = NAN;
				r->ctr_worker[((size_t)i * workers + k) * CTR_N + c] = v;
				s += v;
			}
			r->ctr_rep[(size_t)i * CTR_N + c] = s;
		}
	}
	r->items = 1000;
	r->unit = "numbers";
	r->stop_reason = "fixed";
	r->scale = 1;
	r->verified = 1;
	r->speedup = r->efficiency = r->karp_flatt = r->cpu_util = NAN;
	r->speedup_lo = r->speedup_hi = r->kf_lo = r->kf_hi = NAN;
	assert_int_equal(stats_summarize(r->samples, n, &r->st), 0);
}

static void assert_near(double got, double want, double eps)
{
	if (!(fabs(got - want) <= eps))
		fail_msg("got %.17g, expected %.17g", got, want);
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	assert_non_null(v);
	return cJSON_IsNull(v) ? NAN : v->valuedouble;
}

/* The fields of schema.md, through the loader: medians over the repetitions of the sums and
 * of each worker's own, null where never counted, the derived figures from the medians. */
static void test_report_round_trip(void **state)
{
	char *args[] = { "concbench", "cpu", "--workers", "2", "-q", NULL };
	struct config c;
	struct run_set rs = { 0 };
	const cJSON *run, *ctr, *pw, *d;
	cJSON *doc, *back;
	char *text;
	(void)state;

	assert_int_equal(topo_load(), 0);
	assert_int_equal(opts_parse_config(5, args, 2, &c), 0);
	rs.runs = calloc(1, sizeof(*rs.runs));
	assert_non_null(rs.runs);
	rs.n = rs.cap = 1;
	make_counted_run(&rs.runs[0]);
	doc = report_build(&c, &rs);
	assert_non_null(doc);
	text = cJSON_PrintUnformatted(doc);
	assert_non_null(text);
	back = report_parse("report", "test", text, strlen(text));
	assert_non_null(back);

	run = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(back, "runs"), 0);
	ctr = cJSON_GetObjectItemCaseSensitive(run, "counters");
	/* Sums 3, 6, 9 (x 10^6): median 6 x 10^6; task-clock in seconds. */
	assert_near(num(ctr, "task_clock_s"), 6e6 / 1e9, 1e-12);
	assert_near(num(ctr, "page_faults"), 6e6, 0);
	assert_near(num(ctr, "instructions"), 18e6, 0);
	assert_near(num(ctr, "cycles"), 6e6, 0);       /* the one repetition counted */
	assert_true(isnan(num(ctr, "llc_misses")));
	assert_true(isnan(num(ctr, "dtlb_misses")));
	assert_int_equal(cJSON_GetArraySize(ctr), CTR_N);
	pw = cJSON_GetObjectItemCaseSensitive(run, "counters_per_worker");
	assert_int_equal(cJSON_GetArraySize(pw), 2);
	assert_near(num(cJSON_GetArrayItem(pw, 0), "context_switches"), 2e6, 0);
	assert_near(num(cJSON_GetArrayItem(pw, 1), "context_switches"), 4e6, 0);
	assert_true(isnan(num(cJSON_GetArrayItem(pw, 1), "ref_cycles")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(run, "counters_unavailable")->valuestring,
			    "hardware counters: test");
	d = cJSON_GetObjectItemCaseSensitive(run, "counters_derived");
	assert_near(num(d, "ipc"), 3.0, 1e-12);
	assert_near(num(d, "ghz"), 6e6 / (6e6 / 1e9) / 1e9, 1e-12);
	assert_near(num(d, "instructions_per_item"), 18e6 / 1000, 1e-9);

	cJSON_Delete(back);
	free(text);
	cJSON_Delete(doc);
	run_set_free(&rs);
	topo_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_task_clock_agrees_with_rusage, setup_hook,
						teardown_hook),
		cmocka_unit_test_setup_teardown(test_page_faults_of_first_touch, setup_hook,
						teardown_hook),
		cmocka_unit_test_setup_teardown(test_only_the_region_counts, setup_hook,
						teardown_hook),
		cmocka_unit_test_setup_teardown(test_missing_pmu_named, setup_hook, teardown_hook),
		cmocka_unit_test_setup_teardown(test_refused_leaves_nothing_open, setup_hook,
						teardown_hook),
		cmocka_unit_test_setup_teardown(test_user_space_only, setup_hook, teardown_hook),
		cmocka_unit_test_setup_teardown(test_cell_counts_every_executor, setup_hook,
						teardown_hook),
		cmocka_unit_test(test_report_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
