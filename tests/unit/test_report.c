/* SPDX-License-Identifier: MIT */
/* Unit tests for src/report/report.c: the JSON document built from a hand-made run set (read back
 * with cJSON) and its atomic write; and render.c's uncertainty helpers (the +- of a cell,
 * Karp-Flatt's n/a, best or tie). Expected statistics are computed here from the
 * samples, not taken from the code under test. */
#define _GNU_SOURCE
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cmd/options.h"
#include "core/registry.h"
#include "measure/run.h"
#include "measure/stats.h"
#include "report/render.h"
#include "report/report.h"
#include "topo/topo.h"

#define NRUNS 3

struct fixture {
	char *argv[8];
	struct config c;
	struct run_set rs;
	cJSON *doc;      /* as built: numbers are raw text that reads back exactly */
	cJSON *view;     /* the same document printed and parsed, as every reader sees it */
	char dir[256];
};

/* Print and parse a document, as a reader of the report file would. */
static cJSON *reparse(const cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	cJSON *back;
	assert_non_null(text);
	back = cJSON_Parse(text);
	free(text);
	assert_non_null(back);
	return back;
}

static double *dup_doubles(const double *v, size_t n)
{
	double *d = malloc((n ? n : 1) * sizeof(*d));
	assert_non_null(d);
	memcpy(d, v, n * sizeof(*d));
	return d;
}

/* Fill the fields run.c fills for one cell. */
static void fill_run(struct run_result *r, const struct workload *wl, const struct executor *x,
		     unsigned workers, const double *samples, unsigned n, uint64_t checksum)
{
	memset(r, 0, sizeof(*r));
	r->group = 0;
	r->wl = wl;
	r->p.size = 123456;
	r->p.tasks = 24;
	r->ex = x;
	r->workers = workers;
	r->bind = BIND_NONE;
	r->warmup = 1;
	r->nsamples = n;
	r->samples = dup_doubles(samples, n);
	r->skews = calloc(n ? n : 1, sizeof(double));
	r->worker_s = calloc((size_t)(n ? n : 1) * workers, sizeof(double));
	r->planned = malloc(workers * sizeof(int));
	r->cpus = malloc(workers * sizeof(int));
	assert_non_null(r->skews);
	assert_non_null(r->worker_s);
	assert_non_null(r->planned);
	assert_non_null(r->cpus);
	for (unsigned i = 0; i < n; i++) {
		r->skews[i] = 1e-6 * (i + 1);
		for (unsigned k = 0; k < workers; k++)
			r->worker_s[(size_t)i * workers + k] = samples[i] * (k + 1) / (workers + 1);
	}
	for (unsigned k = 0; k < workers; k++) {
		r->planned[k] = -1;
		r->cpus[k] = (int)k;
	}
	r->ncpus = workers;
	r->scale = 1;
	r->nstartups = 2;
	r->startups[0] = 0.001 * workers;
	r->startups[1] = 0.003 * workers;
	r->startup_s = 0.002 * workers;   /* their median */
	r->ru.user_s = 2.0 * n;
	r->ru.sys_s = 0.5 * n;
	r->ru.minflt = 100 * (int64_t)n;
	r->ru.maxrss_kb = 4096;
	r->checksum = checksum;
	r->verified = 1;
	r->items = 1000000;
	r->unit = "numbers";
	r->ntasks = 24;
	assert_int_equal(stats_summarize(r->samples, n, &r->st), 0);
	r->outlier_idx = calloc(n ? n : 1, sizeof(size_t));
	assert_non_null(r->outlier_idx);
	r->noutliers = stats_outliers(r->samples, n, r->outlier_idx);
	r->first_slow = r->noutliers && r->outlier_idx[0] == 0 && r->samples[0] > r->st.median;
	r->cpu_util = 0.5;
	r->stop_reason = "fixed";
	r->speedup = r->efficiency = r->karp_flatt = NAN;
	r->speedup_lo = r->speedup_hi = r->kf_lo = r->kf_hi = NAN;
}

/* A fresh directory under $TMPDIR (or /tmp), for files the test makes. */
static void make_test_dir(char *buf, size_t len, const char *tag)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, len, "%s/cb-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	assert_non_null(mkdtemp(buf));
}

static int setup(void **state)
{
	static const double ten[10] = { 7, 3, 10, 1, 5, 9, 2, 8, 6, 4 };   /* 1..10, shuffled */
	static const double frac[8] = { 0.1, 1.0 / 3, 2.0 / 3, 1e-9 * 12345, 0.30000000000000004,
					 3.14159265358979, 0.7, 1.0 / 7 };
	static const double five[5] = { 0.5, 0.25, 0.125, 1, 2 };
	struct fixture *f = calloc(1, sizeof(*f));
	char *args[] = { "concbench", "cpu", "--workers", "2", "--repetitions", "10", "-q", NULL };

	assert_non_null(f);
	assert_int_equal(topo_load(), 0);
	memcpy(f->argv, args, sizeof(args));
	assert_int_equal(opts_parse_config(7, f->argv, 2, &f->c), 0);

	f->rs.runs = calloc(NRUNS, sizeof(*f->rs.runs));
	assert_non_null(f->rs.runs);
	f->rs.n = f->rs.cap = NRUNS;
	/* The baseline: seq, no speedup of its own here. */
	fill_run(&f->rs.runs[0], &workload_cpu, &executor_seq, 1, ten, 10, 0xdeadbeefULL);
	/* thread, 2 workers, twice as fast. */
	fill_run(&f->rs.runs[1], &workload_cpu, &executor_thread, 2, frac, 8,
		 0x0123456789abcdefULL);
	f->rs.runs[1].speedup = 2.0;
	f->rs.runs[1].efficiency = 1.0;
	f->rs.runs[1].karp_flatt = 0.0;
	f->rs.runs[1].dynamic = 1;
	f->rs.runs[1].speedup_lo = 1.5;
	f->rs.runs[1].speedup_hi = 2.5;
	f->rs.runs[1].kf_lo = -0.25;
	f->rs.runs[1].kf_hi = 0.125;
	f->rs.seed = 987654321;
	/* Too few samples for a confidence interval. */
	fill_run(&f->rs.runs[2], &workload_cpu, &executor_fork, 2, five, 5, UINT64_MAX);
	f->rs.runs[2].verified = 0;
	/* One about runs[1], one about the host. */
	warning_add(&f->rs.warnings, WARN_NOISY, 1, "first warning");
	warning_add(&f->rs.warnings, WARN_STEAL, -1, "second \"quoted\" warning");
	assert_int_equal(f->rs.warnings.n, 2);

	f->doc = report_build(&f->c, &f->rs);
	assert_non_null(f->doc);
	f->view = reparse(f->doc);
	make_test_dir(f->dir, sizeof(f->dir), "report");
	*state = f;
	return 0;
}

static size_t dir_entries(const char *path, char *first, size_t len)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!n && first)
			snprintf(first, len, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char p[512];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		if (unlink(p) < 0)
			rmdir(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	cJSON_Delete(f->doc);
	cJSON_Delete(f->view);
	run_set_free(&f->rs);
	free(f);
	topo_release();
	return 0;
}

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		fail_msg("no '%s' in the report", key);
	return v;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);
	if (!cJSON_IsNumber(v))
		fail_msg("'%s' is not a number", key);
	return v->valuedouble;
}

static const cJSON *run_at(const cJSON *doc, int i)
{
	const cJSON *runs = get(doc, "runs");
	const cJSON *r = cJSON_GetArrayItem(runs, i);
	assert_non_null(r);
	return r;
}

/* Exact order-statistic CI of the median, computed here: largest k with
 * 1 - 2 P(B <= k-1) >= 0.95 for B ~ binomial(n, 1/2), in integers (n <= 60). */
static int ci_rank(unsigned n)
{
	uint64_t row[64] = { 1 }, cdf = 0, total = 1ULL << n;
	int best = 0;
	for (unsigned r = 1; r <= n; r++)
		for (unsigned i = r; i > 0; i--)
			row[i] += row[i - 1];
	for (unsigned k = 1; k <= (n + 1) / 2; k++) {
		cdf += row[k - 1];
		if (20 * (total - 2 * cdf) >= 19 * total)
			best = (int)k;
	}
	return best;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void test_top_level(void **state)
{
	struct fixture *f = *state;
	const cJSON *doc = f->view, *argv, *warn;

	assert_true(cJSON_IsObject(doc));
	assert_string_equal(cJSON_GetStringValue(get(doc, "schema")), "concbench-report/1");
	assert_string_equal(cJSON_GetStringValue(get(doc, "schema")), REPORT_SCHEMA);
	assert_true(cJSON_IsObject(get(doc, "concbench")));
	assert_true(cJSON_IsString(get(get(doc, "concbench"), "version")));
	/* created: an ISO 8601 UTC time stamp. */
	{
		const char *t = cJSON_GetStringValue(get(doc, "created"));
		assert_non_null(t);
		assert_int_equal(strlen(t), 20);
		assert_true(t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
			    t[16] == ':' && t[19] == 'Z');
	}
	/* argv as given, program name normalised. */
	argv = get(doc, "argv");
	assert_true(cJSON_IsArray(argv));
	assert_int_equal(cJSON_GetArraySize(argv), f->c.argc);
	assert_string_equal(cJSON_GetArrayItem(argv, 0)->valuestring, "concbench");
	assert_string_equal(cJSON_GetArrayItem(argv, 1)->valuestring, "cpu");
	{
		/* The options, in some order (getopt may permute non-options only). */
		int seen_reps = 0;
		for (int i = 2; i < f->c.argc; i++)
			seen_reps |= strcmp(cJSON_GetArrayItem(argv, i)->valuestring,
					    "--repetitions") == 0;
		assert_true(seen_reps);
	}
	assert_true(cJSON_IsObject(get(doc, "host")));
	assert_true(cJSON_IsObject(get(doc, "topology")));
	assert_true(num(get(doc, "topology"), "pus") >= 1);

	assert_int_equal(cJSON_GetArraySize(get(doc, "runs")), NRUNS);
	/* The shuffled order can be replayed: rounds and seed are recorded. */
	assert_true(num(get(doc, "order"), "rounds") == f->c.rounds);
	assert_true(num(get(doc, "order"), "seed") == 987654321);
	warn = get(doc, "warnings");
	assert_int_equal(cJSON_GetArraySize(warn), 2);
	/* Records {code, severity, run, text}; run null for the host, text as on stderr. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(warn, 0)), 4);
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(warn, 0), "code")), "noisy");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(warn, 0), "severity")),
			    "warning");
	assert_true(num(cJSON_GetArrayItem(warn, 0), "run") == 1);
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(warn, 0), "text")),
			    "first warning");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(warn, 1), "code")), "steal");
	assert_true(cJSON_IsNull(get(cJSON_GetArrayItem(warn, 1), "run")));
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(warn, 1), "text")),
			    "second \"quoted\" warning");
}

static void test_run_statistics(void **state)
{
	struct fixture *f = *state;
	const cJSON *r = run_at(f->view, 0), *ci, *samples;
	(void)state;

	assert_string_equal(cJSON_GetStringValue(get(r, "workload")), "cpu");
	assert_string_equal(cJSON_GetStringValue(get(r, "executor")), "seq");
	assert_true(num(r, "workers") == 1);
	assert_true(num(r, "repetitions") == 10);
	assert_true(num(r, "warmup") == 1);
	assert_true(num(r, "tasks") == 24);
	/* Median of 1..10: (5 + 6) / 2. */
	assert_true(num(r, "median_s") == 5.5);
	assert_true(num(r, "mean_s") == 5.5);
	assert_true(num(r, "min_s") == 1);
	assert_true(num(r, "max_s") == 10);
	/* The exact 95% interval at n = 10 is (x(k), x(n+1-k)) with k from the binomial. */
	{
		int k = ci_rank(10);
		assert_int_equal(k, 2);
		ci = get(r, "ci95_s");
		assert_true(cJSON_IsArray(ci));
		assert_int_equal(cJSON_GetArraySize(ci), 2);
		assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble == (double)k);
		assert_true(cJSON_GetArrayItem(ci, 1)->valuedouble == (double)(10 + 1 - k));
		assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble == 2);
		assert_true(cJSON_GetArrayItem(ci, 1)->valuedouble == 9);
		/* coverage 1 - 2 (1 + 10) / 1024 */
		assert_true(fabs(num(r, "ci95_level") - (1 - 22.0 / 1024)) < 1e-12);
	}
	/* Samples in the order measured. */
	samples = get(r, "samples_s");
	assert_int_equal(cJSON_GetArraySize(samples), 10);
	for (int i = 0; i < 10; i++)
		assert_true(cJSON_GetArrayItem(samples, i)->valuedouble == f->rs.runs[0].samples[i]);
	/* Baseline: speedup not defined, null rather than NaN. */
	assert_true(cJSON_IsNull(get(r, "speedup")));
	assert_true(cJSON_IsNull(get(r, "efficiency")));
	assert_true(cJSON_IsNull(get(r, "karp_flatt")));
	assert_true(cJSON_IsTrue(get(r, "verified")));
	/* Throughput: items per second at the median. */
	{
		const cJSON *t = get(r, "throughput");
		assert_true(fabs(num(t, "value") - 1000000 / 5.5) < 1e-6);
		assert_string_equal(cJSON_GetStringValue(get(t, "unit")), "numbers/s");
	}
	/* Parameters: the workload's own options by name. */
	{
		const cJSON *p = get(r, "params");
		assert_true(num(p, "size") == 123456);
		assert_true(num(p, "tasks") == 24);
		assert_string_equal(cJSON_GetStringValue(get(p, "kernel")), "sumsq");
		assert_string_equal(cJSON_GetStringValue(get(p, "scaling")), "strong");
		assert_string_equal(cJSON_GetStringValue(get(p, "schedule")), "static");
	}
	/* Resource usage per repetition. */
	{
		const cJSON *u = get(r, "rusage");
		assert_true(fabs(num(u, "user_s") - 2.0) < 1e-12);
		assert_true(fabs(num(u, "sys_s") - 0.5) < 1e-12);
		assert_true(num(u, "minflt") == 100);
		assert_true(num(u, "maxrss_kb") == 4096);
	}
	assert_true(cJSON_IsNull(get(r, "planned_cpus")));
	assert_int_equal(cJSON_GetArraySize(get(r, "worker_s")), 10);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	long len;
	char *buf;
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len > 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = 0;
	fclose(fp);
	return buf;
}

/* Every sample in the report reads back as the very double measured: a sample is a
 * difference of nanosecond clocks times 1e-9, and such values (1000001 ns here, and
 * 12345e-9 and the like in the fixture) must not lose their last bit on the way through
 * the JSON text, in memory and in the file report_write makes. Returns the mismatches. */
static size_t samples_inexact(const cJSON *doc, const struct run_set *rs, const char *where)
{
	size_t bad = 0;
	for (size_t k = 0; k < rs->n; k++) {
		const cJSON *s = get(cJSON_GetArrayItem(get(doc, "runs"), (int)k), "samples_s");
		assert_int_equal(cJSON_GetArraySize(s), rs->runs[k].nsamples);
		for (unsigned i = 0; i < rs->runs[k].nsamples; i++) {
			double got = cJSON_GetArrayItem(s, (int)i)->valuedouble;
			if (got != rs->runs[k].samples[i] && bad++ < 4)
				print_error("%s: run %zu sample %u: %.17g read back as %.17g\n", where,
					    k, i, rs->runs[k].samples[i], got);
		}
	}
	return bad;
}

static void test_samples_round_trip_exactly(void **state)
{
	struct fixture *f = *state;
	char path[320];
	char *text;
	cJSON *back;
	size_t bad_printed, bad_written;

	/* One more run whose samples are n ns x 1e-9, as run.c computes them. */
	{
		double ns[6];
		struct run_result *r;
		cJSON_Delete(f->doc);
		for (int i = 0; i < 6; i++)
			ns[i] = (double)(1000001 + 2 * i) * 1e-9;
		r = realloc(f->rs.runs, (f->rs.n + 1) * sizeof(*r));
		assert_non_null(r);
		f->rs.runs = r;
		f->rs.cap = f->rs.n + 1;
		fill_run(&f->rs.runs[f->rs.n], &workload_cpu, &executor_shm, 2, ns, 6, 1);
		f->rs.n++;
		f->doc = report_build(&f->c, &f->rs);
		assert_non_null(f->doc);
		cJSON_Delete(f->view);
		f->view = reparse(f->doc);
	}
	text = cJSON_PrintUnformatted(f->doc);
	assert_non_null(text);
	back = cJSON_Parse(text);
	free(text);
	assert_non_null(back);
	bad_printed = samples_inexact(back, &f->rs, "printed and parsed");
	cJSON_Delete(back);

	snprintf(path, sizeof(path), "%s/exact.json", f->dir);
	assert_int_equal(report_write(f->doc, path), 0);
	text = slurp(path);
	back = cJSON_Parse(text);
	free(text);
	assert_non_null(back);
	bad_written = samples_inexact(back, &f->rs, "written and read back");
	cJSON_Delete(back);

	assert_int_equal(bad_printed, 0);
	assert_int_equal(bad_written, 0);
}

/* R type-7 quantile of sorted s[0..n). */
static double q7(const double *s, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)h;
	return lo + 1 < n ? s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]) : s[n - 1];
}

static void test_run_thread_and_nulls(void **state)
{
	struct fixture *f = *state;
	const struct run_result *rr = &f->rs.runs[1];
	const cJSON *r = run_at(f->view, 1);
	double sorted[8];

	assert_string_equal(cJSON_GetStringValue(get(r, "executor")), "thread");
	assert_true(num(r, "workers") == 2);
	/* Median of the 8: mean of the middle two, from a sorted copy made here. */
	memcpy(sorted, rr->samples, sizeof(sorted));
	qsort(sorted, 8, sizeof(double), cmp_d);
	assert_true(fabs(num(r, "median_s") - (sorted[3] + sorted[4]) / 2) < 1e-15);
	{
		int k = ci_rank(8);   /* 1: (x(1), x(8)), coverage 1 - 2/256 */
		const cJSON *ci = get(r, "ci95_s");
		assert_int_equal(k, 1);
		assert_true(fabs(cJSON_GetArrayItem(ci, 0)->valuedouble - sorted[k - 1]) < 1e-15);
		assert_true(fabs(cJSON_GetArrayItem(ci, 1)->valuedouble - sorted[8 - k]) < 1e-15);
	}
	assert_true(num(r, "speedup") == 2.0);
	assert_true(num(r, "efficiency") == 1.0);
	assert_true(num(r, "karp_flatt") == 0.0);
	assert_string_equal(cJSON_GetStringValue(get(get(r, "params"), "schedule")), "dynamic");
	assert_int_equal(cJSON_GetArraySize(get(r, "worker_s")), 8);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(get(r, "worker_s"), 0)), 2);
	/* Intervals of the derived metrics, as given. */
	{
		const cJSON *ci = get(r, "speedup_ci95");
		assert_int_equal(cJSON_GetArraySize(ci), 2);
		assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble == 1.5);
		assert_true(cJSON_GetArrayItem(ci, 1)->valuedouble == 2.5);
		ci = get(r, "karp_flatt_ci95");
		assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble == -0.25);
		assert_true(cJSON_GetArrayItem(ci, 1)->valuedouble == 0.125);
	}
	/* Tukey outliers of the samples, by fences computed here: one, the 3.14 s sample. */
	{
		double q1 = q7(sorted, 8, 0.25), q3 = q7(sorted, 8, 0.75), iqr = q3 - q1;
		const cJSON *idx = get(r, "outlier_indices");
		size_t n = 0;
		for (size_t i = 0; i < 8; i++) {
			double v = rr->samples[i];
			if (v < q1 - 1.5 * iqr || v > q3 + 1.5 * iqr) {
				assert_true(n < (size_t)cJSON_GetArraySize(idx));
				assert_true(cJSON_GetArrayItem(idx, (int)n)->valuedouble == (double)i);
				n++;
			}
		}
		assert_int_equal(n, 1);
		assert_int_equal(cJSON_GetArraySize(idx), n);
		assert_true(num(r, "outliers") == (double)n);
	}
	assert_string_equal(cJSON_GetStringValue(get(r, "stop_reason")), "fixed");
	assert_int_equal(cJSON_GetArraySize(get(r, "startup_samples_s")), 2);
	assert_true(fabs(num(r, "startup_s") - 0.004) < 1e-15);

	/* The baseline's derived metrics are not defined: null, never NaN. */
	r = run_at(f->view, 0);
	assert_true(cJSON_IsNull(get(r, "speedup_ci95")));
	assert_true(cJSON_IsNull(get(r, "karp_flatt_ci95")));
	assert_true(num(r, "outliers") == 0);
	assert_int_equal(cJSON_GetArraySize(get(r, "outlier_indices")), 0);

	/* Fewer than 6 samples: no interval, and a reason. */
	r = run_at(f->view, 2);
	assert_true(cJSON_IsNull(get(r, "ci95_s")));
	assert_true(cJSON_IsString(get(r, "ci95_reason")));
	assert_true(cJSON_IsFalse(get(r, "verified")));
	assert_true(num(r, "median_s") == 0.5);
	assert_true(cJSON_IsNull(get(r, "speedup")));
}

static void check_hex(const char *hex, uint64_t want)
{
	assert_non_null(hex);
	assert_int_equal(strlen(hex), 16);
	for (int i = 0; i < 16; i++)
		assert_true(isxdigit((unsigned char)hex[i]));
	assert_int_equal(strtoull(hex, NULL, 16), want);
}

static void test_checksum_hex(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < NRUNS; i++)
		check_hex(cJSON_GetStringValue(get(run_at(f->view, i), "checksum")),
			  f->rs.runs[i].checksum);
	assert_string_equal(cJSON_GetStringValue(get(run_at(f->view, 0), "checksum")),
			    "00000000deadbeef");
}

static void test_write_round_trip(void **state)
{
	struct fixture *f = *state;
	char path[320], name[256];
	struct stat st;
	mode_t um;

	snprintf(path, sizeof(path), "%s/report.json", f->dir);
	for (int pass = 0; pass < 2; pass++) {   /* the second pass replaces the file */
		char *text;
		cJSON *back;
		assert_int_equal(report_write(f->doc, path), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		text = slurp(path);
		assert_true(text[strlen(text) - 1] == '\n');
		back = cJSON_Parse(text);
		free(text);
		assert_non_null(back);
		assert_true(cJSON_Compare(f->view, back, 1));
		/* The integer samples of the baseline come back exactly. */
		{
			const cJSON *s = get(cJSON_GetArrayItem(get(back, "runs"), 0), "samples_s");
			for (int i = 0; i < 10; i++)
				assert_true(cJSON_GetArrayItem(s, i)->valuedouble ==
					    f->rs.runs[0].samples[i]);
		}
		cJSON_Delete(back);
		/* Only the report: no temporary file left beside it. */
		assert_int_equal(dir_entries(f->dir, name, sizeof(name)), 1);
		assert_string_equal(name, "report.json");
	}
	/* An ordinary file: 0666 less the umask. */
	um = umask(0);
	umask(um);
	assert_int_equal(st.st_mode & 0777, 0666 & ~um);
	assert_int_equal(unlink(path), 0);
}

static void test_write_failures(void **state)
{
	struct fixture *f = *state;
	char path[360], sub[300];
	struct stat st;

	/* Into a directory that does not exist: an error, nothing created. */
	snprintf(sub, sizeof(sub), "%s/missing", f->dir);
	snprintf(path, sizeof(path), "%s/report.json", sub);
	assert_true(report_write(f->doc, path) < 0);
	assert_true(stat(sub, &st) < 0 && errno == ENOENT);
	assert_int_equal(dir_entries(f->dir, NULL, 0), 0);

	/* Onto an existing directory: an error, no temporary file left behind. */
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_true(report_write(f->doc, sub) < 0);
	assert_int_equal(dir_entries(f->dir, NULL, 0), 1);
	assert_int_equal(dir_entries(sub, NULL, 0), 0);
	assert_int_equal(rmdir(sub), 0);

	/* Into a directory we may not write (unless we are root, who may). */
	if (geteuid() != 0) {
		assert_int_equal(mkdir(sub, 0500), 0);
		assert_true(report_write(f->doc, path) < 0);
		assert_int_equal(dir_entries(sub, NULL, 0), 0);
		assert_int_equal(rmdir(sub), 0);
	}
	assert_int_equal(dir_entries(f->dir, NULL, 0), 0);
}

static void test_params_object(void **state)
{
	struct fixture *f = *state;
	struct run_result r = f->rs.runs[0];
	cJSON *p;
	int kernel = -1;

	for (size_t j = 0; j < workload_cpu.noptions; j++)
		if (strcmp(workload_cpu.options[j].name, "kernel") == 0)
			kernel = (int)j;
	assert_true(kernel >= 0);
	r.p.opt[kernel] = 1;
	r.weak = 1;
	p = report_params(&r);
	assert_non_null(p);
	assert_string_equal(cJSON_GetStringValue(get(p, "kernel")),
			    workload_cpu.options[kernel].choices[1]);
	assert_string_equal(cJSON_GetStringValue(get(p, "scaling")), "weak");
	cJSON_Delete(p);

	/* io: the duration in seconds. */
	memset(&r.p, 0, sizeof(r.p));
	r.wl = &workload_io;
	for (size_t j = 0; j < workload_io.noptions; j++)
		if (strcmp(workload_io.options[j].name, "duration") == 0)
			r.p.opt[j] = 2500000;   /* 2.5 ms */
	p = report_params(&r);
	assert_non_null(p);
	{
		cJSON *pv = reparse(p);
		assert_true(fabs(num(pv, "duration") - 0.0025) < 1e-15);
		cJSON_Delete(pv);
	}
	assert_string_equal(cJSON_GetStringValue(get(p, "io")), "sleep");
	cJSON_Delete(p);
}

/* "label" only when --label gave one; the label check takes 1 to 64 printable ASCII
 * characters. */
static void test_label(void **state)
{
	struct fixture *f = *state;
	char long_label[REPORT_LABEL_MAX + 2];
	cJSON *doc;

	assert_null(cJSON_GetObjectItemCaseSensitive(f->view, "label"));
	f->c.label = "nightly 4153b78";
	doc = report_build(&f->c, &f->rs);
	f->c.label = NULL;
	assert_non_null(doc);
	assert_string_equal(cJSON_GetStringValue(get(doc, "label")), "nightly 4153b78");
	cJSON_Delete(doc);

	memset(long_label, 'x', sizeof(long_label));
	long_label[REPORT_LABEL_MAX] = 0;                  /* 64: the most */
	assert_null(report_label_problem(long_label));
	long_label[REPORT_LABEL_MAX] = 'x';
	long_label[REPORT_LABEL_MAX + 1] = 0;              /* 65 */
	assert_non_null(report_label_problem(long_label));
	assert_non_null(report_label_problem(""));
	assert_non_null(report_label_problem("a\tb"));
	assert_non_null(report_label_problem("a\x7f"));
	assert_non_null(report_label_problem("caf\xc3\xa9"));
	assert_null(report_label_problem("v1.2/pr-7 (base)"));
}

/* The +- of a cell: the wider side of the interval, rounded up to the 0.01 shown. The
 * expected values are worked out by hand from the bounds. */
static void test_render_halfwidth(void **state)
{
	(void)state;
	/* 1.99 - 1.97 = 0.02 below, 2.03 - 1.99 = 0.04 above: 0.04 */
	assert_true(fabs(render_halfwidth(1.99, 1.97, 2.03) - 0.04) < 1e-12);
	/* exactly 0.02 on both sides (in binary a hair over): still 0.02, not 0.03 */
	assert_true(fabs(render_halfwidth(1.00, 0.98, 1.02) - 0.02) < 1e-12);
	/* the fixture's cpu thread x2: 1.99465 - 1.23581 = 0.75884 below: up to 0.76 */
	assert_true(fabs(render_halfwidth(1.9946480416860923, 1.2358089147826288,
					  2.0408368641776984) - 0.76) < 1e-12);
	/* 0.0301 above: rounded up to 0.04, never down to 0.03 */
	assert_true(fabs(render_halfwidth(2.0, 1.99, 2.0301) - 0.04) < 1e-12);
	assert_true(render_halfwidth(1.5, 1.5, 1.5) == 0);
	assert_true(isnan(render_halfwidth(1.5, NAN, 1.6)));
	assert_true(isnan(render_halfwidth(1.5, 1.4, NAN)));
	assert_true(isnan(render_halfwidth(NAN, 1.4, 1.6)));
	assert_true(isnan(render_halfwidth(1.5, 1.6, 1.4)));
}

/* Karp-Flatt is printed only inside [0, 1] and with an interval. */
static void test_render_kf_shown(void **state)
{
	(void)state;
	assert_true(render_kf_shown(0.003, -0.02, 0.618));
	assert_true(render_kf_shown(0, 0, 0.1));
	assert_true(render_kf_shown(1, 0.9, 1.2));
	assert_false(render_kf_shown(-0.006, -0.016, 0.011));     /* below 0: noise */
	assert_false(render_kf_shown(1.221, 0.9, 1.5));           /* above 1 */
	assert_false(render_kf_shown(0.5, NAN, NAN));             /* no interval */
	assert_false(render_kf_shown(NAN, 0.1, 0.2));
}

/* best: a winner only when no other interval overlaps the fastest's. */
static void test_render_best_of(void **state)
{
	size_t fastest = 99;
	unsigned char tie[4];
	(void)state;

	/* The fixture's cpu row at 2 workers: thread fastest, both others overlap it. */
	{
		double med[] = { 0.02741, 0.02764, 0.02745 };
		double lo[] = { 1.2358, 1.9266, 1.9815 }, hi[] = { 2.0408, 2.0266, 2.0402 };
		assert_int_equal(render_best_of(3, med, lo, hi, &fastest, tie), RENDER_BEST_TIE);
		assert_int_equal(fastest, 0);
		assert_true(tie[0] && tie[1] && tie[2]);
	}
	/* Clear of the runner-up: a winner, named alone (the fastest is not the first). */
	{
		double med[] = { 20, 10, 15 };
		double lo[] = { 1.9, 3.8, 2.5 }, hi[] = { 2.1, 4.2, 2.8 };
		assert_int_equal(render_best_of(3, med, lo, hi, &fastest, tie), RENDER_BEST_ONE);
		assert_int_equal(fastest, 1);
		assert_true(!tie[0] && tie[1] && !tie[2]);
	}
	/* Overlapping the runner-up but not the third: a tie of two. */
	{
		double med[] = { 10, 11, 20 };
		double lo[] = { 3.5, 3.4, 1.9 }, hi[] = { 4.2, 3.6, 2.1 };
		assert_int_equal(render_best_of(3, med, lo, hi, &fastest, tie), RENDER_BEST_TIE);
		assert_true(tie[0] && tie[1] && !tie[2]);
	}
	/* Intervals that touch overlap (closed intervals). */
	{
		double med[] = { 10, 11 };
		double lo[] = { 3.6, 3.0 }, hi[] = { 4.0, 3.6 };
		assert_int_equal(render_best_of(2, med, lo, hi, &fastest, tie), RENDER_BEST_TIE);
	}
	/* A cell without an interval: no winner can be named, even a clear one by medians. */
	{
		double med[] = { 10, 30 };
		double lo[] = { 3.5, NAN }, hi[] = { 4.2, NAN };
		assert_int_equal(render_best_of(2, med, lo, hi, &fastest, tie), RENDER_BEST_UNKNOWN);
		assert_int_equal(fastest, 0);
	}
	{
		double med[] = { 10, 30 };
		double lo[] = { NAN, 1.0 }, hi[] = { NAN, 1.2 };
		assert_int_equal(render_best_of(2, med, lo, hi, &fastest, tie), RENDER_BEST_UNKNOWN);
	}
	/* One cell: nothing to compare it with. */
	{
		double med[] = { 10 }, lo[] = { NAN }, hi[] = { NAN };
		assert_int_equal(render_best_of(1, med, lo, hi, &fastest, tie), RENDER_BEST_ONE);
		assert_int_equal(render_best_of(0, med, lo, hi, &fastest, tie), RENDER_BEST_NONE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_top_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_statistics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_thread_and_nulls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_samples_round_trip_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksum_hex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_params_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label, setup, teardown),
		cmocka_unit_test(test_render_halfwidth),
		cmocka_unit_test(test_render_kf_shown),
		cmocka_unit_test(test_render_best_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
