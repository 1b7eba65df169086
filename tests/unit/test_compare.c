/* SPDX-License-Identifier: MIT */
/* Unit tests for compare (src/report/compare.c, compare_render.c, src/cmd/compare.c): verdicts on reports made here from known distributions
 * (fixed-seed PRNG), p-values against exact enumeration and published values, the three
 * output formats, and every kind of bad input (exit 2, one line on stderr naming the file
 * or the flag). */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cmd/compare.h"
#include "measure/stats.h"
#include "report/report.h"

#define NMAX 64
#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* ---- a fixed-seed PRNG: splitmix64, uniforms, Box-Muller normals --------------------- */

struct rng {
	uint64_t s;
	int have;
	double spare;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double rng_uniform(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * 0x1p-53;
}

static double rng_normal(struct rng *r)
{
	double u1, u2;

	if (r->have) {
		r->have = 0;
		return r->spare;
	}
	u1 = rng_uniform(r);
	u2 = rng_uniform(r);
	r->spare = sqrt(-2 * log(u1)) * sin(2 * M_PI * u2);
	r->have = 1;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* n samples of mean * (1 + noise * N(0, 1)) */
static void draw(struct rng *r, double *x, size_t n, double mean, double noise)
{
	for (size_t i = 0; i < n; i++)
		x[i] = mean * (1 + noise * rng_normal(r));
}

/* ---- reports made by the tests --------------------------------------------------------- */

static char tmpdir[64];
static int nfiles;

struct run_spec {
	const char *workload, *executor, *binding;
	unsigned workers;
	long size;                /* params.size; params.tasks is 16 */
	const double *x;
	size_t n;
};

static cJSON *host_json(const char *cpu, int cores)
{
	cJSON *h = cJSON_CreateObject();

	assert_non_null(h);
	cJSON_AddStringToObject(h, "hostname", "test");
	cJSON_AddStringToObject(h, "kernel", "6.1.0");
	cJSON_AddStringToObject(h, "cpu_model", cpu);
	cJSON_AddNumberToObject(h, "cores", cores);
	cJSON_AddStringToObject(h, "compiler", "12.2.0");
	return h;
}

static cJSON *run_json(const struct run_spec *s, int swap_params)
{
	cJSON *o = cJSON_CreateObject(), *p = cJSON_CreateObject(), *a, *t;
	double med = s->n ? stats_median(s->x, s->n) : NAN;

	assert_non_null(o);
	assert_non_null(p);
	cJSON_AddStringToObject(o, "workload", s->workload ? s->workload : "cpu");
	if (swap_params) {   /* the same params, keys in another order */
		cJSON_AddNumberToObject(p, "tasks", 16);
		cJSON_AddNumberToObject(p, "size", (double)(s->size ? s->size : 1000000));
	} else {
		cJSON_AddNumberToObject(p, "size", (double)(s->size ? s->size : 1000000));
		cJSON_AddNumberToObject(p, "tasks", 16);
	}
	cJSON_AddItemToObject(o, "params", p);
	cJSON_AddStringToObject(o, "executor", s->executor ? s->executor : "thread");
	cJSON_AddNumberToObject(o, "workers", s->workers ? s->workers : 2);
	cJSON_AddStringToObject(o, "binding", s->binding ? s->binding : "none");
	a = cJSON_CreateDoubleArray(s->x, (int)s->n);
	assert_non_null(a);
	cJSON_AddItemToObject(o, "samples_s", a);
	if (s->n)
		cJSON_AddNumberToObject(o, "median_s", med);
	t = cJSON_CreateObject();
	cJSON_AddNumberToObject(t, "value", s->n ? 1e6 / med : 0);
	cJSON_AddStringToObject(t, "unit", "numbers/s");
	cJSON_AddItemToObject(o, "throughput", t);
	return o;
}

/* A path in the test's directory; kept until teardown. */
static char *paths[4096];
static size_t npaths;

static char *tmp_path(const char *name)
{
	char *p = malloc(160);

	assert_non_null(p);
	assert_true(npaths < sizeof(paths) / sizeof(paths[0]));
	cb_fmt(p, 160, "%s/%s", tmpdir, name);
	paths[npaths++] = p;
	return p;
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Write a report of the given runs (host cpu/cores) to a fresh file; returns its path. */
static char *write_report(const struct run_spec *runs, size_t n, const char *cpu, int cores,
			  int swap_params)
{
	cJSON *doc = cJSON_CreateObject(), *a = cJSON_CreateArray();
	char name[32], *path, *text;

	assert_non_null(doc);
	cJSON_AddStringToObject(doc, "schema", REPORT_SCHEMA);
	cJSON_AddItemToObject(doc, "host", host_json(cpu ? cpu : "Test CPU", cores ? cores : 4));
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, run_json(&runs[i], swap_params));
	cJSON_AddItemToObject(doc, "runs", a);
	text = cJSON_Print(doc);
	assert_non_null(text);
	cb_fmt(name, sizeof(name), "r%d.json", nfiles++);
	path = tmp_path(name);
	write_text(path, text, strlen(text));
	free(text);
	cJSON_Delete(doc);
	return path;
}

/* ---- running the command with stdout and stderr captured ------------------------------- */

struct out {
	int rc;
	char *out, *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void out_free(struct out *o)
{
	free(o->out);
	free(o->err);
}

/* Failing one allocation (see test_out_of_memory_exits_3): which one, how many so far,
 * whether it happened. */
static long fail_at = -1, allocs;
static int failed_one;

/* cmd_compare("concbench", "compare", args..., NULL) */
/* The two calls whose output the tests read: the command, or compare_print. */
struct call {
	int argc;
	char **argv;
	const struct cmp_report *a, *b;
	const struct cmp_options *opt;
};

/* Run the call with stdout and stderr captured in files; any injected allocation failure
 * (fail_at) is disarmed when it returns. */
static struct out capture(const struct call *c)
{
	static char *op, *ep;
	int so, se, fo, fe;
	struct out r;

	if (!op) {
		op = tmp_path("stdout");
		ep = tmp_path("stderr");
	}
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	r.rc = c->argv ? cmd_compare(c->argc, c->argv) : compare_print(stdout, c->a, c->b, c->opt);
	fail_at = -1;
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	r.out = slurp(op);
	r.err = slurp(ep);
	return r;
}

/* cmd_compare("concbench", "compare", args..., NULL) */
static struct out run_cmd(const char *first, ...)
{
	char *argv[32];
	int argc = 2;
	va_list ap;

	argv[0] = (char *)"concbench";
	argv[1] = (char *)"compare";
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return capture(&(struct call){ .argc = argc, .argv = argv });
}

/* The error contract: rc 2, nothing on stdout, exactly one line on stderr, in concbench's
 * voice, naming `what` (a file or a flag). */
static void expect_bad(struct out *o, const char *what)
{
	if (o->rc != 2 || !strstr(o->err, what) || strncmp(o->err, "concbench: ", 11) != 0 ||
	    strchr(o->err, '\n') != o->err + strlen(o->err) - 1 || o->out[0])
		print_error("rc %d, expected 2 and one line naming '%s'; stderr: %s", o->rc, what,
			    o->err);
	assert_int_equal(o->rc, 2);
	assert_non_null(strstr(o->err, what));
	assert_int_equal(strncmp(o->err, "concbench: ", 11), 0);
	assert_true(strchr(o->err, '\n') == o->err + strlen(o->err) - 1);
	assert_string_equal(o->out, "");
	out_free(o);
}

/* Load two report files and compare them with the default options (or *opt). */
static void judge(const char *a, const char *b, const struct cmp_options *opt,
		  struct cmp_result *res, struct cmp_report *ra, struct cmp_report *rb)
{
	struct cmp_options def = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S };

	assert_int_equal(compare_load(a, ra), 0);
	assert_int_equal(compare_load(b, rb), 0);
	assert_int_equal(compare_reports(ra, rb, opt ? opt : &def, res), 0);
}

static void unjudge(struct cmp_result *res, struct cmp_report *ra, struct cmp_report *rb)
{
	compare_result_release(res);
	compare_report_release(ra);
	compare_report_release(rb);
}

/* One run each side: base ~ mean_b, new ~ mean_n, noise 1%, n samples each. */
static void pair(struct rng *g, size_t nb, double mean_b, size_t nn, double mean_n, char **a,
		 char **b)
{
	double xb[NMAX], xn[NMAX];
	struct run_spec sb = { .x = xb, .n = nb }, sn = { .x = xn, .n = nn };

	draw(g, xb, nb, mean_b, 0.01);
	draw(g, xn, nn, mean_n, 0.01);
	*a = write_report(&sb, 1, NULL, 0, 0);
	*b = write_report(&sn, 1, NULL, 0, 0);
}

static int setup(void **state)
{
	(void)state;
	cb_fmt(tmpdir, sizeof(tmpdir), "%s", "/tmp/test_compare.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	while (npaths)
		free(paths[--npaths]);
	cb_fmt(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- verdicts ------------------------------------------------------------------------- */

/* A/A: 200 pairs of reports drawn from the same distribution (n = 10, 1% noise): never a
 * regression, never an improvement; the same file against itself gives p = 1. */
static void test_identical_distributions_no_regression(void **state)
{
	struct rng g = { .s = 1 };
	size_t significant = 0;
	char *a, *b;

	(void)state;
	for (int t = 0; t < 200; t++) {
		struct cmp_report ra, rb;
		struct cmp_result res;
		pair(&g, 10, 0.1, 10, 0.1, &a, &b);
		judge(a, b, NULL, &res, &ra, &rb);
		assert_int_equal(res.nrows, 1);
		assert_int_equal(res.count[CMP_REGRESSED], 0);
		assert_int_equal(res.count[CMP_IMPROVED], 0);
		assert_int_equal(res.rows[0].verdict, CMP_UNCHANGED);
		assert_int_equal(res.rows[0].mwu.exact, 1);
		significant += (size_t)res.rows[0].significant;
		unjudge(&res, &ra, &rb);
	}
	/* alpha 0.01: about 2 of 200 are significant by chance; far more means a broken test */
	assert_true(significant <= 8);

	struct out o = run_cmd(a, a, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "summary: 0 regressed, 0 improved, 1 unchanged, 0 inconclusive, 0 insufficient, 0 missing"));
	out_free(&o);
	o = run_cmd("--format", "json", b, b, NULL);
	assert_int_equal(o.rc, 0);
	cJSON *doc = cJSON_Parse(o.out);
	assert_non_null(doc);
	cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "comparisons"), 0);
	assert_true(cJSON_GetObjectItem(c, "p")->valuedouble == 1);
	assert_true(cJSON_GetObjectItem(c, "ratio")->valuedouble == 1);
	cJSON_Delete(doc);
	out_free(&o);
}

/* 10% slower, 1% noise, 10 samples each: regressed, exit 1; for throughput too; and 10%
 * faster is improved, exit 0. */
static void test_slowdown_10pct_regressed(void **state)
{
	struct rng g = { .s = 2 };
	struct cmp_report ra, rb;
	struct cmp_result res;
	struct cmp_options thr = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_THROUGHPUT };
	char *a, *b;

	(void)state;
	pair(&g, 10, 0.1, 10, 0.11, &a, &b);
	judge(a, b, NULL, &res, &ra, &rb);
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	assert_near(res.rows[0].change, 0.10, 0.02);
	assert_true(res.rows[0].has_ci);
	assert_true(res.rows[0].ci_lo < 0.10 && 0.10 < res.rows[0].ci_hi && res.rows[0].ci_lo > 0.05);
	assert_true(res.rows[0].mwu.exact && res.rows[0].mwu.p < 1e-4);
	assert_int_equal(res.count[CMP_REGRESSED], 1);
	unjudge(&res, &ra, &rb);

	judge(a, b, &thr, &res, &ra, &rb);   /* throughput: 1/1.1 - 1 = -9.1%, lower is worse */
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	assert_near(res.rows[0].change, 1 / 1.1 - 1, 0.02);
	assert_true(strcmp(res.rows[0].unit, "numbers/s") == 0);
	unjudge(&res, &ra, &rb);

	struct out o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 1);
	assert_non_null(strstr(o.out, "regressed"));
	assert_non_null(strstr(o.out, "summary: 1 regressed, 0 improved, 0 unchanged, 0 inconclusive, 0 insufficient, 0 missing"));
	out_free(&o);
	o = run_cmd("--metric", "throughput", a, b, NULL);
	assert_int_equal(o.rc, 1);
	out_free(&o);

	o = run_cmd(b, a, NULL);   /* the other way round: 9% faster */
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "summary: 0 regressed, 1 improved, 0 unchanged, 0 inconclusive, 0 insufficient, 0 missing"));
	out_free(&o);
	o = run_cmd("--metric", "throughput", b, a, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "1 improved"));
	out_free(&o);
}

/* 2% slower with 1% noise: significant, yet unchanged under the 5% threshold; a 1%
 * threshold makes it a regression. */
static void test_slowdown_2pct_unchanged_even_if_significant(void **state)
{
	struct rng g = { .s = 3 };
	struct cmp_report ra, rb;
	struct cmp_result res;
	struct cmp_options one = { .threshold = 0.01, .alpha = 0.01, .metric = CMP_MEDIAN_S };
	char *a, *b;

	(void)state;
	pair(&g, 10, 0.1, 10, 0.102, &a, &b);
	judge(a, b, NULL, &res, &ra, &rb);
	assert_true(res.rows[0].tested && res.rows[0].mwu.p < 0.01 && res.rows[0].significant);
	assert_true(res.rows[0].change > 0.01 && res.rows[0].change < 0.05);
	assert_int_equal(res.rows[0].verdict, CMP_UNCHANGED);
	unjudge(&res, &ra, &rb);
	judge(a, b, &one, &res, &ra, &rb);
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	unjudge(&res, &ra, &rb);

	struct out o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "0 regressed, 0 improved, 1 unchanged"));
	out_free(&o);
	o = run_cmd("--threshold", "1", a, b, NULL);
	assert_int_equal(o.rc, 1);
	out_free(&o);
	o = run_cmd("--threshold=1%", a, b, NULL);
	assert_int_equal(o.rc, 1);
	out_free(&o);
}

/* 3 samples each cannot reach p < 0.01 (2/20 = 0.1): insufficient, with how many are
 * needed, even for a 50% slowdown; 4 each neither (2/70); 5 each can (2/252). */
static void test_three_samples_insufficient(void **state)
{
	struct rng g = { .s = 4 };
	struct cmp_report ra, rb;
	struct cmp_result res;
	struct cmp_options a05 = { .threshold = 0.05, .alpha = 0.05, .metric = CMP_MEDIAN_S };
	char *a, *b;

	(void)state;
	pair(&g, 3, 0.1, 3, 0.15, &a, &b);
	judge(a, b, NULL, &res, &ra, &rb);
	assert_int_equal(res.rows[0].verdict, CMP_INSUFFICIENT);
	assert_int_equal(res.rows[0].need, 5);
	assert_int_equal(res.rows[0].tested, 0);
	assert_int_equal(res.tests, 0);
	unjudge(&res, &ra, &rb);

	struct out o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "insufficient"));
	assert_non_null(strstr(o.out, "3 and 3 samples give p >= 0.1 at best; needs >= 5 samples "
			       "per side at alpha 0.01"));
	assert_non_null(strstr(o.out, "summary: 0 regressed, 0 improved, 0 unchanged, 0 inconclusive, 1 insufficient, 0 missing"));
	out_free(&o);
	o = run_cmd("--alpha", "0.001", "--format", "markdown", a, b, NULL);
	assert_non_null(strstr(o.out, "needs >= 7 samples per side at alpha 0.001"));
	out_free(&o);

	pair(&g, 4, 0.1, 4, 0.15, &a, &b);
	judge(a, b, NULL, &res, &ra, &rb);
	assert_int_equal(res.rows[0].verdict, CMP_INSUFFICIENT);
	unjudge(&res, &ra, &rb);
	judge(a, b, &a05, &res, &ra, &rb);   /* 2/70 < 0.05 */
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	unjudge(&res, &ra, &rb);

	pair(&g, 5, 0.1, 5, 0.15, &a, &b);
	judge(a, b, NULL, &res, &ra, &rb);
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	assert_near(res.rows[0].mwu.p, 2.0 / 252, 1e-15);
	unjudge(&res, &ra, &rb);

	pair(&g, 3, 0.1, 30, 0.15, &a, &b);   /* 2 / C(33, 3) = 0.00037: enough */
	judge(a, b, NULL, &res, &ra, &rb);
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	assert_int_equal(res.rows[0].mwu.exact, 0);   /* 30 > 20: normal approximation */
	unjudge(&res, &ra, &rb);

	pair(&g, 0, 0.1, 10, 0.1, &a, &b);   /* no samples at all */
	judge(a, b, NULL, &res, &ra, &rb);
	assert_int_equal(res.rows[0].verdict, CMP_INSUFFICIENT);
	assert_true(isnan(res.rows[0].change) && !res.rows[0].has_ci);
	unjudge(&res, &ra, &rb);
	o = run_cmd("--format", "json", a, b, NULL);
	assert_int_equal(o.rc, 0);
	out_free(&o);
}

/* Reference: two-sided exact p by enumerating every split of the pooled ranks. */
static double ref_p(const double *x, size_t m, const double *y, size_t n)
{
	double pool[16], u_obs = 0, c = (double)(m * n) / 2;
	unsigned long far = 0, total = 0;

	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++)
			u_obs += x[i] > y[j];
	memcpy(pool, x, m * sizeof(double));
	memcpy(pool + m, y, n * sizeof(double));
	for (unsigned mask = 0; mask < (1u << (m + n)); mask++) {
		double u = 0;
		if ((size_t)__builtin_popcount(mask) != m)
			continue;
		for (size_t i = 0; i < m + n; i++)
			for (size_t j = 0; j < m + n; j++)
				if ((mask & (1u << i)) && !(mask & (1u << j)))
					u += pool[i] > pool[j];
		total++;
		far += fabs(u - c) >= fabs(u_obs - c);
	}
	return (double)far / (double)total;
}

static double json_p(const char *a, const char *b)
{
	struct out o = run_cmd("--format", "json", "--alpha", "0.5", a, b, NULL);
	cJSON *doc = cJSON_Parse(o.out);
	double p;

	assert_non_null(doc);
	p = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "comparisons"), 0),
				"p")->valuedouble;
	cJSON_Delete(doc);
	out_free(&o);
	return p;
}

/* The p-values compare reports agree with exact enumeration (tiny samples) and with
 * published values. */
static void test_p_values_independent(void **state)
{
	struct rng g = { .s = 5 };

	(void)state;
	for (size_t m = 2; m <= 7; m++) {
		for (size_t n = 2; n <= 7; n++) {
			double xb[8], xn[8];
			struct run_spec sb = { .x = xb, .n = m }, sn = { .x = xn, .n = n };
			draw(&g, xb, m, 0.1, 0.02);
			draw(&g, xn, n, 0.102, 0.02);
			char *a = write_report(&sb, 1, NULL, 0, 0);
			char *b = write_report(&sn, 1, NULL, 0, 0);
			struct out o = run_cmd("--format", "json", "--alpha", "0.5", a, b, NULL);
			cJSON *doc = cJSON_Parse(o.out);
			assert_non_null(doc);
			cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "comparisons"), 0);
			cJSON *p = cJSON_GetObjectItem(c, "p");
			if (stats_mwu_min_p(m, n) >= 0.5) {
				assert_true(cJSON_IsNull(p));
			} else {
				assert_string_equal(cJSON_GetObjectItem(c, "p_method")->valuestring,
						    "exact");
				assert_near(p->valuedouble, ref_p(xb, m, xn, n), 1e-12);
			}
			cJSON_Delete(doc);
			out_free(&o);
		}
	}
	/* R, ?wilcox.test (Hollander & Wolfe 1973, p. 69): W = 35, exact one-sided p = 0.1272;
	 * compare tests two-sided, twice that. */
	{
		const double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
		const double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
		struct run_spec sx = { .x = x, .n = 10 }, sy = { .x = y, .n = 5 };
		char *a = write_report(&sx, 1, NULL, 0, 0), *b = write_report(&sy, 1, NULL, 0, 0);
		assert_near(json_p(a, b) / 2, 0.1272, 5e-5);
		assert_near(json_p(b, a) / 2, 0.1272, 5e-5);
	}
	/* SciPy's mannwhitneyu example: exact two-sided p = 1/9 */
	{
		const double x[] = { 19, 22, 16, 29, 24 }, y[] = { 20, 11, 17, 12 };
		struct run_spec sx = { .x = x, .n = 5 }, sy = { .x = y, .n = 4 };
		char *a = write_report(&sx, 1, NULL, 0, 0), *b = write_report(&sy, 1, NULL, 0, 0);
		assert_near(json_p(a, b), 0.1111111111111111, 1e-15);
	}
}

/* Runs match by key whatever the order of runs or of params' keys; the rest is listed. */
static void test_matching_and_only_lists(void **state)
{
	struct rng g = { .s = 6 };
	double x[6][10];
	struct cmp_report ra, rb;
	struct cmp_result res;

	(void)state;
	for (int i = 0; i < 6; i++)
		draw(&g, x[i], 10, 0.1, 0.01);
	struct run_spec base[] = {
		{ .executor = "thread", .workers = 1, .x = x[0], .n = 10 },
		{ .executor = "thread", .workers = 2, .x = x[1], .n = 10 },
		{ .executor = "fork", .workers = 2, .x = x[2], .n = 10 },
		{ .executor = "fork", .workers = 4, .x = x[3], .n = 10 },
	};
	struct run_spec head[] = {
		{ .executor = "fork", .workers = 2, .x = x[4], .n = 10 },
		{ .executor = "thread", .workers = 1, .x = x[5], .n = 10 },
		{ .executor = "thread", .workers = 2, .size = 5, .x = x[1], .n = 10 },
		{ .executor = "shm", .workers = 2, .x = x[1], .n = 10 },
	};
	char *a = write_report(base, 4, NULL, 0, 0), *b = write_report(head, 4, NULL, 0, 1);

	judge(a, b, NULL, &res, &ra, &rb);
	assert_int_equal(res.nrows, 2);
	assert_string_equal(res.rows[0].base->executor, "thread");   /* base order */
	assert_int_equal(res.rows[0].head->index, 1);
	assert_string_equal(res.rows[1].base->executor, "fork");
	assert_int_equal(res.rows[1].head->index, 0);
	assert_int_equal(res.nonly_base, 2);   /* thread 2 (size differs), fork 4 */
	assert_int_equal(res.nonly_head, 2);   /* thread 2 size 5, shm 2 */
	assert_int_equal(res.only_base[0]->index, 1);
	assert_int_equal(res.only_base[1]->index, 3);
	assert_int_equal(res.only_head[0]->index, 2);
	assert_int_equal(res.only_head[1]->index, 3);
	unjudge(&res, &ra, &rb);

	struct out o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "only in base: cpu fork workers=4 binding=none"));
	assert_non_null(strstr(o.out, "only in new: cpu shm workers=2 binding=none"));
	assert_non_null(strstr(o.out, "size=5"));   /* the param that differs is shown */
	out_free(&o);
	o = run_cmd("--format", "json", a, b, NULL);
	cJSON *doc = cJSON_Parse(o.out);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "only_in_base")), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "only_in_new")), 2);
	cJSON_Delete(doc);
	out_free(&o);
}

/* Reports from different hosts compare, with one warning naming what differs. */
static void test_different_hosts_warn(void **state)
{
	double x[10];
	struct rng g = { .s = 7 };
	struct run_spec s = { .x = x, .n = 10 };

	(void)state;
	draw(&g, x, 10, 0.1, 0.01);
	char *a = write_report(&s, 1, "AMD EPYC", 2, 0), *b = write_report(&s, 1, "Intel Xeon", 16, 0);
	struct out o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.err, "concbench: warning: "));
	assert_non_null(strstr(o.err, "cpu_model 'AMD EPYC' vs 'Intel Xeon'"));
	assert_non_null(strstr(o.err, "cores 2 vs 16"));
	assert_null(strstr(o.err, "kernel"));
	assert_true(strchr(o.err, '\n') == o.err + strlen(o.err) - 1);
	out_free(&o);
	o = run_cmd("--format", "markdown", a, b, NULL);
	assert_non_null(strstr(o.out, "> **warning**"));
	out_free(&o);
	o = run_cmd(a, a, NULL);
	assert_string_equal(o.err, "");
	out_free(&o);
}

/* Holm-Bonferroni: three runs each at alpha/3 < p < alpha and 8% slower regress one by
 * one, but not as a family, where they are inconclusive (over the threshold, not
 * significant). base 1.00, 1.02, ..., 1.18; new = base + 0.09: U = 15. */
static void test_holm(void **state)
{
	double xb[10], xn[10];
	struct cmp_report ra, rb;
	struct cmp_result res;
	struct cmp_options holm = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S,
				    .holm = 1 };

	(void)state;
	for (int i = 0; i < 10; i++) {
		xb[i] = 1.00 + 0.02 * i;
		xn[i] = xb[i] + 0.09;
	}
	struct run_spec sb[] = { { .workers = 1, .x = xb, .n = 10 }, { .workers = 2, .x = xb, .n = 10 },
				 { .workers = 3, .x = xb, .n = 10 } };
	struct run_spec sn[] = { { .workers = 1, .x = xn, .n = 10 }, { .workers = 2, .x = xn, .n = 10 },
				 { .workers = 3, .x = xn, .n = 10 } };
	char *a = write_report(sb, 3, NULL, 0, 0), *b = write_report(sn, 3, NULL, 0, 0);

	judge(a, b, NULL, &res, &ra, &rb);
	assert_true(res.rows[0].mwu.u == 15);
	assert_true(res.rows[0].mwu.p > 0.01 / 3 && res.rows[0].mwu.p < 0.01);
	assert_int_equal(res.count[CMP_REGRESSED], 3);
	unjudge(&res, &ra, &rb);
	judge(a, b, &holm, &res, &ra, &rb);
	assert_int_equal(res.count[CMP_REGRESSED], 0);
	assert_int_equal(res.count[CMP_INCONCLUSIVE], 3);
	unjudge(&res, &ra, &rb);
	struct out o = run_cmd("--holm", a, b, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "Holm-Bonferroni"));
	assert_non_null(strstr(o.out, "not significant at alpha 0.01 with Holm-Bonferroni"));
	out_free(&o);
	o = run_cmd("--holm", "--fail-on", "inconclusive", a, b, NULL);
	assert_int_equal(o.rc, 1);
	out_free(&o);
}

/* ---- every branch of the verdict, on constructed samples ------------------------------- */

static const char *last_line(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	assert_true(n > 1 && s[n - 1] == '\n');
	for (p = s + n - 2; p > s && p[-1] != '\n'; p--)
		;
	return p;
}


/* One run per side with the given samples; judged with *opt (NULL: the defaults). */
static void judge_samples(const double *xb, size_t nb, const double *xn, size_t nn,
			  const struct cmp_options *opt, struct cmp_result *res,
			  struct cmp_report *ra, struct cmp_report *rb, char **a, char **b)
{
	struct run_spec sb = { .x = xb, .n = nb }, sn = { .x = xn, .n = nn };

	*a = write_report(&sb, 1, NULL, 0, 0);
	*b = write_report(&sn, 1, NULL, 0, 0);
	judge(*a, *b, opt, res, ra, rb);
}

/* The verdict is decided by (tested, significant, observed change over the threshold):
 *   too few samples                          -> insufficient
 *   significant, over the threshold          -> regressed or improved, by the sign
 *   significant, within the threshold        -> unchanged
 *   not significant, over the threshold      -> inconclusive (either sign)
 *   not significant, within the threshold    -> unchanged
 * The p-values are exact, counted here by enumerating the C(12, 6) = 924 splits: all six
 * base samples below all six new ones gives U = 0 and p = 2/924 = 1/462; the base
 * {1..6} against {1..6} + 0.3 (or x 1.01) gives U = 15 (pairs i > j), and 646 of the
 * 924 splits are at least as far from the centre 18: p = 323/462. */
static void test_verdict_branches(void **state)
{
	const double lo[6] = { 1.000, 1.001, 1.002, 1.003, 1.004, 1.005 };   /* median 1.0025 */
	const double lo1[6] = { 1.010, 1.011, 1.012, 1.013, 1.014, 1.015 };  /* 1.0125: +1.0% */
	const double hi[6] = { 1.100, 1.101, 1.102, 1.103, 1.104, 1.105 };   /* 1.1025: +9.98% */
	const double ints[6] = { 1, 2, 3, 4, 5, 6 };                          /* median 3.5 */
	const double shift[6] = { 1.3, 2.3, 3.3, 4.3, 5.3, 6.3 };             /* 3.8: +8.57% */
	const double pct1[6] = { 1.01, 2.02, 3.03, 4.04, 5.05, 6.06 };        /* 3.535: +1% */
	struct cmp_options a05 = { .threshold = 0.05, .alpha = 0.05, .metric = CMP_MEDIAN_S };
	struct cmp_report ra, rb;
	struct cmp_result res;
	char *a, *b;

	(void)state;
	/* significant and over: regressed, and the other way round improved */
	judge_samples(lo, 6, hi, 6, NULL, &res, &ra, &rb, &a, &b);
	assert_true(res.rows[0].tested && res.rows[0].mwu.exact && res.rows[0].significant);
	assert_true(res.rows[0].mwu.u == 0);
	assert_near(res.rows[0].mwu.p, 1.0 / 462, 1e-15);
	assert_near(res.rows[0].change, 1.1025 / 1.0025 - 1, 1e-12);
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	assert_int_equal(compare_exit_status(&res), 1);
	unjudge(&res, &ra, &rb);
	judge_samples(hi, 6, lo, 6, NULL, &res, &ra, &rb, &a, &b);
	assert_true(res.rows[0].mwu.u == 36);
	assert_near(res.rows[0].mwu.p, 1.0 / 462, 1e-15);
	assert_int_equal(res.rows[0].verdict, CMP_IMPROVED);
	assert_int_equal(compare_exit_status(&res), 0);
	unjudge(&res, &ra, &rb);

	/* significant and within the threshold: unchanged */
	judge_samples(lo, 6, lo1, 6, NULL, &res, &ra, &rb, &a, &b);
	assert_true(res.rows[0].significant);
	assert_near(res.rows[0].mwu.p, 1.0 / 462, 1e-15);
	assert_near(res.rows[0].change, 1.0125 / 1.0025 - 1, 1e-12);
	assert_int_equal(res.rows[0].verdict, CMP_UNCHANGED);
	unjudge(&res, &ra, &rb);

	/* not significant and over the threshold: inconclusive, whichever the direction; at
	 * alpha 0.05 as well, since 323/462 is far above it */
	judge_samples(ints, 6, shift, 6, NULL, &res, &ra, &rb, &a, &b);
	assert_true(res.rows[0].tested && res.rows[0].mwu.exact && !res.rows[0].significant);
	assert_true(res.rows[0].mwu.u == 15);
	assert_near(res.rows[0].mwu.p, 323.0 / 462, 1e-12);
	assert_near(res.rows[0].change, 3.8 / 3.5 - 1, 1e-12);
	assert_int_equal(res.rows[0].verdict, CMP_INCONCLUSIVE);
	assert_int_equal(res.count[CMP_INCONCLUSIVE], 1);
	assert_int_equal(res.count[CMP_UNCHANGED], 0);
	assert_int_equal(res.tests, 1);
	assert_int_equal(compare_exit_status(&res), 0);
	res.opt.fail_on = CMP_FAIL_INCONCLUSIVE;
	assert_int_equal(compare_exit_status(&res), 1);
	res.opt.fail_on = CMP_FAIL_INSUFFICIENT | CMP_FAIL_MISSING;
	assert_int_equal(compare_exit_status(&res), 0);
	unjudge(&res, &ra, &rb);
	judge_samples(shift, 6, ints, 6, &a05, &res, &ra, &rb, &a, &b);
	assert_near(res.rows[0].change, 3.5 / 3.8 - 1, 1e-12);
	assert_int_equal(res.rows[0].verdict, CMP_INCONCLUSIVE);
	unjudge(&res, &ra, &rb);

	/* not significant and within the threshold: unchanged */
	judge_samples(ints, 6, pct1, 6, NULL, &res, &ra, &rb, &a, &b);
	assert_true(res.rows[0].mwu.u == 15 && !res.rows[0].significant);
	assert_near(res.rows[0].mwu.p, 323.0 / 462, 1e-12);
	assert_near(res.rows[0].change, 0.01, 1e-12);
	assert_int_equal(res.rows[0].verdict, CMP_UNCHANGED);
	unjudge(&res, &ra, &rb);
	/* ... and the same +8.6% under a 10% threshold */
	struct cmp_options t10 = { .threshold = 0.10, .alpha = 0.01, .metric = CMP_MEDIAN_S };
	judge_samples(ints, 6, shift, 6, &t10, &res, &ra, &rb, &a, &b);
	assert_int_equal(res.rows[0].verdict, CMP_UNCHANGED);
	unjudge(&res, &ra, &rb);

	/* too few samples: insufficient, however large the change (4 and 4: p >= 2/70) */
	judge_samples(lo, 4, hi, 4, NULL, &res, &ra, &rb, &a, &b);
	assert_int_equal(res.rows[0].verdict, CMP_INSUFFICIENT);
	assert_int_equal(res.tests, 0);
	assert_int_equal(compare_exit_status(&res), 0);
	res.opt.fail_on = CMP_FAIL_INSUFFICIENT;
	assert_int_equal(compare_exit_status(&res), 1);
	unjudge(&res, &ra, &rb);
}

/* What the command prints and returns for an inconclusive run, and --fail-on. */
static void test_inconclusive_output_and_fail_on(void **state)
{
	const double ints[6] = { 1, 2, 3, 4, 5, 6 }, shift[6] = { 1.3, 2.3, 3.3, 4.3, 5.3, 6.3 };
	const double few[3] = { 1, 2, 3 };
	struct run_spec sb[] = { { .workers = 1, .x = ints, .n = 6 }, { .workers = 4, .x = few, .n = 3 },
				 { .workers = 8, .x = ints, .n = 6 } };
	struct run_spec sn[] = { { .workers = 1, .x = shift, .n = 6 }, { .workers = 4, .x = few, .n = 3 },
				 { .workers = 16, .x = ints, .n = 6 } };
	char *a = write_report(sb, 1, NULL, 0, 0), *b = write_report(sn, 1, NULL, 0, 0);
	char *a3 = write_report(sb, 3, NULL, 0, 0), *b3 = write_report(sn, 3, NULL, 0, 0);
	struct out o;

	(void)state;
	o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 0);   /* not a failure by default */
	assert_string_equal(o.err, "");
	assert_non_null(strstr(o.out, "  inconclusive\n"));
	assert_non_null(strstr(o.out, "note: cpu thread workers=1 binding=none: inconclusive: +8.6% "
			       "is over the 5% threshold, but p = 0.7 is not significant at alpha "
			       "0.01"));
	assert_string_equal(last_line(o.out), "summary: 0 regressed, 0 improved, 0 unchanged, 1 "
			    "inconclusive, 0 insufficient, 0 missing (1 tests, expected false "
			    "positives under no change: 0.01)\n");
	out_free(&o);

	o = run_cmd("--format", "markdown", a, b, NULL);
	assert_int_equal(o.rc, 0);
	assert_int_equal(strncmp(o.out, "### concbench compare: no regression, 1 inconclusive\n", 52),
			 0);
	assert_non_null(strstr(o.out, "| inconclusive |"));
	assert_non_null(strstr(o.out, "- `cpu thread workers=1 binding=none`: inconclusive: +8.6%"));
	out_free(&o);

	o = run_cmd("--format", "json", "--fail-on", "inconclusive", a, b, NULL);
	assert_int_equal(o.rc, 1);
	cJSON *doc = cJSON_Parse(o.out), *c, *sm, *f;
	assert_non_null(doc);
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "comparisons"), 0);
	assert_string_equal(cJSON_GetObjectItem(c, "verdict")->valuestring, "inconclusive");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(c, "significant")));
	assert_near(cJSON_GetObjectItem(c, "p")->valuedouble, 323.0 / 462, 1e-12);
	assert_non_null(strstr(cJSON_GetObjectItem(c, "note")->valuestring, "over the 5% threshold"));
	sm = cJSON_GetObjectItem(doc, "summary");
	assert_int_equal(cJSON_GetObjectItem(sm, "inconclusive")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(sm, "unchanged")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(sm, "missing")->valueint, 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sm, "fails")));
	f = cJSON_GetObjectItem(doc, "fail_on");
	assert_int_equal(cJSON_GetArraySize(f), 2);
	assert_string_equal(cJSON_GetArrayItem(f, 0)->valuestring, "regression");
	assert_string_equal(cJSON_GetArrayItem(f, 1)->valuestring, "inconclusive");
	cJSON_Delete(doc);
	/* exit 1 without a regression says why, in one line */
	assert_string_equal(o.err, "concbench: compare: no regression, but exit 1 for --fail-on: "
			    "1 inconclusive\n");
	out_free(&o);

	/* three rows: inconclusive, insufficient (3 and 3), and one run on each side only */
	static const struct { const char *fail_on; int rc; } cases[] = {
		{ NULL, 0 }, { "regressed", 0 }, { "inconclusive", 1 }, { "insufficient", 1 },
		{ "missing", 1 }, { "inconclusive,insufficient,missing", 1 },
		{ "regressed,missing", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		o = cases[i].fail_on ? run_cmd("--fail-on", cases[i].fail_on, a3, b3, NULL)
				     : run_cmd(a3, b3, NULL);
		if (o.rc != cases[i].rc)
			print_error("--fail-on %s: rc %d\n", cases[i].fail_on, o.rc);
		assert_int_equal(o.rc, cases[i].rc);
		assert_non_null(strstr(o.out, "summary: 0 regressed, 0 improved, 0 unchanged, 1 "
				       "inconclusive, 1 insufficient, 2 missing"));
		out_free(&o);
	}
	/* without the rows it names, --fail-on does not fail: a against a */
	o = run_cmd("--fail-on", "inconclusive,insufficient,missing", a, a, NULL);
	assert_int_equal(o.rc, 0);
	out_free(&o);
	/* repeated flags add up */
	o = run_cmd("--fail-on", "missing", "--fail-on", "insufficient", a3, b3, NULL);
	assert_int_equal(o.rc, 1);
	assert_non_null(strstr(o.err, "exit 1 for --fail-on: 1 insufficient, 2 missing"));
	out_free(&o);
	o = run_cmd("--fail-on=insufficient", a3, b3, NULL);
	assert_int_equal(o.rc, 1);
	out_free(&o);
	/* a regression is exit 1 with or without --fail-on, and says nothing more */
	{
		const double hi[6] = { 10, 11, 12, 13, 14, 15 };
		struct run_spec sh = { .workers = 1, .x = hi, .n = 6 };
		char *h = write_report(&sh, 1, NULL, 0, 0);
		o = run_cmd("--fail-on", "missing", a3, h, NULL);
		assert_int_equal(o.rc, 1);
		assert_string_equal(o.err, "");
		out_free(&o);
	}
}

/* ---- output formats ------------------------------------------------------------------- */

static void test_formats(void **state)
{
	struct rng g = { .s = 8 };
	double x[2][10], y[3];
	(void)state;
	draw(&g, x[0], 10, 0.1, 0.01);
	draw(&g, x[1], 10, 0.11, 0.01);
	draw(&g, y, 3, 0.1, 0.01);
	struct run_spec sb[] = { { .workers = 1, .x = x[0], .n = 10 }, { .workers = 2, .x = y, .n = 3 },
				 { .workers = 2, .executor = "fork|x", .x = y, .n = 3 } };
	struct run_spec sn[] = { { .workers = 1, .x = x[1], .n = 10 }, { .workers = 2, .x = y, .n = 3 },
				 { .workers = 2, .executor = "fork|x", .x = y, .n = 3 } };
	char *a = write_report(sb, 3, NULL, 0, 0), *b = write_report(sn, 3, NULL, 0, 0);

	struct out o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 1);
	assert_non_null(strstr(o.out, "workload"));
	assert_non_null(strstr(o.out, "95% CI"));
	assert_string_equal(last_line(o.out), "summary: 1 regressed, 0 improved, 0 unchanged, 0 "
			    "inconclusive, 2 insufficient, 0 missing (1 tests, expected false "
			    "positives under no change: 0.01)\n");
	out_free(&o);

	o = run_cmd("--format", "markdown", a, b, NULL);
	assert_int_equal(o.rc, 1);
	assert_int_equal(strncmp(o.out, "### concbench compare: 1 regression\n", 36), 0);
	assert_non_null(strstr(o.out, "| workload | executor | workers |"));
	assert_non_null(strstr(o.out, "| **regressed** |"));
	assert_non_null(strstr(o.out, "fork\\|x"));   /* '|' escaped in a table cell */
	assert_int_equal(strncmp(last_line(o.out), "summary: 1 regressed", 20), 0);
	out_free(&o);

	o = run_cmd("--format", "json", a, b, NULL);
	assert_int_equal(o.rc, 1);
	cJSON *doc = cJSON_Parse(o.out), *s, *c;
	assert_non_null(doc);
	assert_string_equal(cJSON_GetObjectItem(doc, "schema")->valuestring, "concbench-compare/1");
	s = cJSON_GetObjectItem(doc, "summary");
	assert_int_equal(cJSON_GetObjectItem(s, "regressed")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(s, "insufficient")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(s, "tests")->valueint, 1);
	assert_near(cJSON_GetObjectItem(s, "expected_false_positives")->valuedouble, 0.01, 1e-15);
	c = cJSON_GetObjectItem(doc, "comparisons");
	assert_int_equal(cJSON_GetArraySize(c), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(c, 0), "verdict")->valuestring,
			    "regressed");
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetArrayItem(c, 0), "change_ci95")));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(c, 1), "needs_samples_per_side")
			 ->valueint, 5);
	cJSON_Delete(doc);
	out_free(&o);

	o = run_cmd("--help", NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "usage: concbench compare BASE.json NEW.json"));
	assert_non_null(strstr(o.out, "--threshold"));
	assert_non_null(strstr(o.out, "'inconclusive' when it is over the\nthreshold but not "
			       "significant"));
	assert_non_null(strstr(o.out, "--fail-on LIST"));
	assert_non_null(strstr(o.out, "3 out of memory"));
	out_free(&o);
}

/* Strings from a report never put control characters on the terminal. */
static void test_control_characters_sanitised(void **state)
{
	double x[10];
	struct rng g = { .s = 9 };
	(void)state;
	draw(&g, x, 10, 0.1, 0.01);
	struct run_spec s = { .workload = "cpu\x1b[31m", .executor = "a\rb", .x = x, .n = 10 };
	char *a = write_report(&s, 1, "EPYC\x1b]0;x\x07", 2, 0), *b = write_report(&s, 1, NULL, 0, 0);
	const char *fmts[] = { "table", "markdown" };

	for (int f = 0; f < 2; f++) {
		struct out o = run_cmd("--format", fmts[f], a, b, NULL);
		assert_int_equal(o.rc, 0);
		for (const char *p = o.out; *p; p++)
			assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
		for (const char *p = o.err; *p; p++)
			assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
		out_free(&o);
	}
}

/* ---- out of memory: a run failure, exit 3 ----------------------------------------------- */

/* The linker sends every malloc, calloc and realloc of concbench's code and of this file
 * here (the Makefile links this test with --wrap); cJSON's allocations come through
 * cj_malloc while its hooks are installed. With fail_at >= 0, the allocation of that number
 * (counted from 0 in allocs) fails, and only that one. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static int fail_this(void)
{
	if (fail_at < 0 || allocs++ != fail_at)
		return 0;
	failed_one = 1;
	return 1;
}

void *__wrap_malloc(size_t n)
{
	return fail_this() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_this() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_this() ? NULL : __real_realloc(p, n);
}

static void *cj_malloc(size_t n)
{
	return fail_this() ? NULL : __real_malloc(n);
}

static void fail_allocation(long k)
{
	allocs = 0;
	failed_one = 0;
	fail_at = k;
}

/* A report with params that print through cJSON (an array), as text. */
static char *oom_report(const char *name, int head)
{
	char text[2048], *p = tmp_path(name);
/* One item of work: throughput is 1 / median_s, and 1 / sample per sample. */
#define RUN "{\"workload\": \"cpu\", \"params\": {\"size\": %d, \"kernel\": \"k%d\"}, " \
	"\"executor\": \"%s\", \"workers\": %d, \"binding\": \"none\", " \
	"\"samples_s\": %s, \"median_s\": %.17g, \"throughput\": {\"value\": %.17g, " \
	"\"unit\": \"numbers/s\"}}"
	char r[4][400];

	/* regressed (or improved for throughput), insufficient, inconclusive, one side only */
	cb_fmt(r[0], sizeof(r[0]), RUN, 1, 1, "thread", 1,
	       head ? "[2.0, 2.1, 2.2, 2.3, 2.4, 2.5]" : "[1.0, 1.1, 1.2, 1.3, 1.4, 1.5]",
	       head ? 2.25 : 1.25, head ? 1 / 2.25 : 1 / 1.25);
	cb_fmt(r[1], sizeof(r[1]), RUN, 2, 2, "thread", 2, "[1, 2, 3]", 2.0, 0.5);
	cb_fmt(r[2], sizeof(r[2]), RUN, 3, 3, "fork", 2,
	       head ? "[1.3, 2.3, 3.3, 4.3, 5.3, 6.3]" : "[1, 2, 3, 4, 5, 6]",
	       head ? 3.8 : 3.5, head ? 1 / 3.8 : 1 / 3.5);
	cb_fmt(r[3], sizeof(r[3]), RUN, 4, 4, head ? "shm" : "fork", 4, "[1, 2, 3, 4, 5, 6]", 3.5,
	       1 / 3.5);
	cb_fmt(text, sizeof(text), "{\"schema\": \"%s\", \"host\": {\"cpu_model\": \"x\"}, "
	       "\"runs\": [%s, %s, %s, %s]}", REPORT_SCHEMA, r[0], r[1], r[2], r[3]);
#undef RUN
	write_text(p, text, strlen(text));
	return p;
}

/* compare_print(stdout, ...) with stdout and stderr captured. */
static struct out print_captured(const struct cmp_report *a, const struct cmp_report *b,
				 const struct cmp_options *opt)
{
	return capture(&(struct call){ .a = a, .b = b, .opt = opt });
}

/* Every allocation of judging and printing, failed in turn, in every format: exit 3 and
 * one line "concbench: compare: out of memory ..." (and, under ASan, nothing leaked);
 * it was exit 2, or a table printed without its cells. Loading too: exit 3. */
static void test_out_of_memory_exits_3(void **state)
{
	char *a = oom_report("oom-base.json", 0), *b = oom_report("oom-new.json", 1);
	struct cmp_options opts[] = {
		{ .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S },
		{ .threshold = 0.05, .alpha = 0.01, .metric = CMP_THROUGHPUT, .holm = 1 },
	};
	cJSON_Hooks hooks = { .malloc_fn = cj_malloc, .free_fn = free };
	struct cmp_report ra, rb;
	struct out o;
	long k;

	(void)state;
	assert_int_equal(compare_load(a, &ra), 0);
	assert_int_equal(compare_load(b, &rb), 0);
	for (size_t i = 0; i < 2 * 3; i++) {
		struct cmp_options opt = opts[i % 2];
		opt.format = (enum cmp_format)(i / 2);
		o = print_captured(&ra, &rb, &opt);   /* no failure: the verdicts */
		assert_int_equal(o.rc, 1);
		assert_non_null(strstr(o.out, "inconclusive"));
		out_free(&o);
		cJSON_InitHooks(&hooks);
		for (k = 0;; k++) {
			fail_allocation(k);
			o = print_captured(&ra, &rb, &opt);
			if (!failed_one) {
				assert_int_equal(o.rc, 1);
				out_free(&o);
				break;
			}
			if (o.rc != 3 || strncmp(o.err, "concbench: compare: out of memory while ", 40) ||
			    strchr(o.err, '\n') != o.err + strlen(o.err) - 1)
				print_error("format %d, allocation %ld: rc %d, stderr: %s\n",
					    (int)opt.format, k, o.rc, o.err);
			assert_int_equal(o.rc, 3);
			assert_int_equal(strncmp(o.err, "concbench: compare: out of memory while ", 40), 0);
			assert_true(strchr(o.err, '\n') == o.err + strlen(o.err) - 1);
			out_free(&o);
		}
		cJSON_InitHooks(NULL);
		assert_true(k >= 10);   /* the failures reached judging and printing */
	}
	compare_report_release(&rb);
	compare_report_release(&ra);

	/* the whole command, loading included (concbench's own allocations) */
	o = run_cmd(a, b, NULL);
	assert_int_equal(o.rc, 1);
	out_free(&o);
	for (k = 0;; k++) {
		fail_allocation(k);
		o = run_cmd(a, b, NULL);
		fail_at = -1;
		if (!failed_one) {
			assert_int_equal(o.rc, 1);
			out_free(&o);
			break;
		}
		if (o.rc != 3 || !strstr(o.err, "out of memory"))
			print_error("allocation %ld: rc %d, stderr: %s\n", k, o.rc, o.err);
		assert_int_equal(o.rc, 3);
		assert_non_null(strstr(o.err, "out of memory"));
		out_free(&o);
	}
}

/* ---- bad input: exit 2 and one line naming the file or the flag ----------------------- */

static void test_bad_files(void **state)
{
	double x[10];
	struct rng g = { .s = 10 };
	(void)state;
	draw(&g, x, 10, 0.1, 0.01);
	struct run_spec s = { .x = x, .n = 10 }, other = { .workers = 7, .x = x, .n = 10 };
	char *good = write_report(&s, 1, NULL, 0, 0);
	char *p;
	struct out o;

	/* missing */
	p = tmp_path("missing.json");
	o = run_cmd(p, good, NULL);
	assert_non_null(strstr(o.err, "No such file"));
	expect_bad(&o, p);
	o = run_cmd(good, p, NULL);
	expect_bad(&o, p);
	/* a directory */
	o = run_cmd(tmpdir, good, NULL);
	expect_bad(&o, tmpdir);
	/* empty, not JSON, trailing garbage, a NUL byte */
#define T(n, t) { n, t, sizeof(t) - 1 }
	static const struct { const char *name, *text; size_t len; } bad[] = {
		T("empty.json", ""),
		T("blank.json", " \n\t"),
		T("notjson.json", "{\"schema\": \"concbench-report/1\",\n \"runs\": [ oops ]}"),
		T("trailing.json", "{\"schema\": \"concbench-report/1\", \"runs\": []} x"),
		T("nul.json", "{\"schema\"\0: 1}"),
		T("array.json", "[1, 2]"),
		T("noschema.json", "{\"runs\": []}"),
		T("otherschema.json", "{\"schema\": \"x\", \"runs\": []}"),
		T("numschema.json", "{\"schema\": 1, \"runs\": []}"),
		T("noruns.json", "{\"schema\": \"concbench-report/1\"}"),
		T("runsobj.json", "{\"schema\": \"concbench-report/1\", \"runs\": {}}"),
		T("runnotobj.json", "{\"schema\": \"concbench-report/1\", \"runs\": [3]}"),
	};
#undef T
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = tmp_path(bad[i].name);
		write_text(p, bad[i].text, bad[i].len);
		o = run_cmd(p, good, NULL);
		expect_bad(&o, p);
		o = run_cmd(good, p, NULL);
		expect_bad(&o, p);
	}
	p = tmp_path("otherschema.json");
	o = run_cmd(p, good, NULL);
	assert_non_null(strstr(o.err, "not a concbench report (schema 'x', expected "
			       "'concbench-report/1')"));
	expect_bad(&o, p);
	p = tmp_path("notjson.json");
	o = run_cmd(p, good, NULL);
	assert_non_null(strstr(o.err, "not JSON (syntax error at line 2"));
	expect_bad(&o, p);

	/* malformed runs: each field */
	static const char *const runs[] = {
		"{\"params\": {}, \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\", \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\", \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"params\": [], \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\", \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": 3, \"workers\": 1, \"binding\": \"none\", \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": \"1\", \"binding\": \"none\", \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 0, \"binding\": \"none\", \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 1.5, \"binding\": \"none\", \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 1, \"samples_s\": [1]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\"}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\", \"samples_s\": [1, null]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\", \"samples_s\": [1, -2]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\", \"samples_s\": [0]}",
		"{\"workload\": \"cpu\", \"params\": {}, \"executor\": \"seq\", \"workers\": 1, \"binding\": \"none\", \"samples_s\": [\"1\"]}",
	};
	static const char *const field[] = { "\"workload\"", "\"params\"", "\"params\"",
		"\"executor\"", "\"workers\"", "\"workers\"", "\"workers\"", "\"binding\"",
		"\"samples_s\"", "\"samples_s[1]\"", "\"samples_s[1]\"", "\"samples_s[0]\"",
		"\"samples_s[0]\"" };
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		char text[512], name[32];
		cb_fmt(text, sizeof(text), "{\"schema\": \"concbench-report/1\", \"runs\": [%s]}",
		       runs[i]);
		cb_fmt(name, sizeof(name), "badrun%zu.json", i);
		p = tmp_path(name);
		write_text(p, text, strlen(text));
		o = run_cmd(good, p, NULL);
		assert_non_null(strstr(o.err, "runs[0]"));
		assert_non_null(strstr(o.err, field[i]));
		expect_bad(&o, p);
	}

	/* the same run twice */
	{
		struct run_spec two[] = { s, s };
		p = write_report(two, 2, NULL, 0, 0);
		o = run_cmd(good, p, NULL);
		assert_non_null(strstr(o.err, "runs[0] and runs[1] are the same run"));
		expect_bad(&o, p);
	}
	/* no run in common (and no runs at all) */
	p = write_report(&other, 1, NULL, 0, 0);
	o = run_cmd(good, p, NULL);
	assert_non_null(strstr(o.err, "no run in common"));
	assert_non_null(strstr(o.err, good));
	expect_bad(&o, p);
	p = write_report(&other, 0, NULL, 0, 0);
	o = run_cmd(good, p, NULL);
	expect_bad(&o, p);
	/* larger than 64 MiB: rejected without reading it (a sparse file) */
	{
		int fd;
		p = tmp_path("huge.json");
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (off_t)COMPARE_MAX_FILE + 1), 0);
		close(fd);
		o = run_cmd(p, good, NULL);
		assert_non_null(strstr(o.err, "larger than 64 MiB"));
		expect_bad(&o, p);
		unlink(p);
	}
	/* --metric throughput needs throughput.value */
	{
		const char *t = "{\"schema\": \"concbench-report/1\", \"runs\": [{\"workload\": \"cpu\", "
				"\"params\": {\"size\": 1000000, \"tasks\": 16}, \"executor\": \"thread\", "
				"\"workers\": 2, \"binding\": \"none\", \"samples_s\": [0.1, 0.1, 0.1], "
				"\"median_s\": 0.1}]}";
		p = tmp_path("nothroughput.json");
		write_text(p, t, strlen(t));
		o = run_cmd(good, p, NULL);   /* fine for median_s */
		assert_int_equal(o.rc, 0);
		out_free(&o);
		o = run_cmd("--metric", "throughput", good, p, NULL);
		assert_non_null(strstr(o.err, "throughput.value"));
		expect_bad(&o, p);
	}
}

static void test_bad_flags(void **state)
{
	double x[10];
	struct rng g = { .s = 11 };
	(void)state;
	draw(&g, x, 10, 0.1, 0.01);
	struct run_spec s = { .x = x, .n = 10 };
	char *a = write_report(&s, 1, NULL, 0, 0);
	static const char *const thresholds[] = { "abc", "-1", "1001", "nan", "inf", "", "5x", " 5",
						  "5%%", "0x10", "1e1", "+5", "5 " };
	static const char *const alphas[] = { "0", "1", "0.6", "-0.01", "abc", "", "nan", "0.01%",
					      "1e-2", "0x0.1", ".01e0" };
	static const char *const metrics[] = { "", "time", "median", "MEDIAN_S" };
	static const char *const formats[] = { "", "csv", "JSON", "md" };
	static const char *const fail_ons[] = { "", ",", "inconclusive,", ",missing", "regressions",
						"INCONCLUSIVE", "inconclusive,,missing", "all",
						"missing insufficient", "improved", "unchanged" };
	struct out o;

	for (size_t i = 0; i < sizeof(thresholds) / sizeof(*thresholds); i++) {
		o = run_cmd("--threshold", thresholds[i], a, a, NULL);
		expect_bad(&o, "--threshold");
	}
	for (size_t i = 0; i < sizeof(alphas) / sizeof(*alphas); i++) {
		o = run_cmd(a, a, "--alpha", alphas[i], NULL);
		expect_bad(&o, "--alpha");
	}
	for (size_t i = 0; i < sizeof(metrics) / sizeof(*metrics); i++) {
		o = run_cmd("--metric", metrics[i], a, a, NULL);
		expect_bad(&o, "--metric");
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++) {
		o = run_cmd("--format", formats[i], a, a, NULL);
		expect_bad(&o, "--format");
	}
	for (size_t i = 0; i < sizeof(fail_ons) / sizeof(*fail_ons); i++) {
		o = run_cmd("--fail-on", fail_ons[i], a, a, NULL);
		/* names the flag and every accepted value */
		assert_non_null(strstr(o.err, "inconclusive, insufficient, missing"));
		expect_bad(&o, "--fail-on");
	}
	o = run_cmd(a, a, "--fail-on", NULL);
	expect_bad(&o, "--fail-on");
	o = run_cmd(a, a, "--alpha", NULL);
	assert_non_null(strstr(o.err, "needs a value"));
	expect_bad(&o, "--alpha");
	o = run_cmd("--bogus", a, a, NULL);
	expect_bad(&o, "--bogus");
	o = run_cmd("-x", a, a, NULL);
	expect_bad(&o, "-x");
	o = run_cmd(a, NULL);
	expect_bad(&o, "BASE.json and NEW.json");
	o = run_cmd(NULL);
	expect_bad(&o, "BASE.json and NEW.json");
	o = run_cmd(a, a, a, NULL);
	expect_bad(&o, "got 3");
	/* accepted edge values */
	const char *ok[][2] = { { "--threshold", "0" }, { "--threshold", "1000" },
				{ "--threshold", "2.5%" }, { "--alpha", "0.5" }, { "--alpha", "0.000001" } };
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		o = run_cmd(ok[i][0], ok[i][1], a, a, NULL);
		assert_int_equal(o.rc, 0);
		out_free(&o);
	}
}

/* ---- several reports per side: invocation medians ------------------------------------ */

/* Reports of k invocations, one run each (workers 2, or 4 where workers4[i]): ten samples
 * m[i] x (1 + 0.001 (j - 4.5)), whose median is m[i]. */
static void write_invocations(const double *m, size_t k, const int *workers4, char **out)
{
	for (size_t i = 0; i < k; i++) {
		double x[10];
		struct run_spec s = { .x = x, .n = 10, .workers = workers4 && workers4[i] ? 4 : 2 };
		for (size_t j = 0; j < 10; j++)
			x[j] = m[i] * (1 + 0.001 * ((double)j - 4.5));
		out[i] = write_report(&s, 1, NULL, 0, 0);
	}
}

static void load_all(char **names, size_t k, struct cmp_report *reps)
{
	for (size_t i = 0; i < k; i++)
		assert_int_equal(compare_load(names[i], &reps[i]), 0);
}

/* Five invocations a side, of medians mb and mh, written and loaded. */
static void load_invocations(const double *mb, const double *mh, const int *workers4,
			     struct cmp_report *rb, struct cmp_report *rh, char **pb, char **ph)
{
	write_invocations(mb, 5, NULL, pb);
	write_invocations(mh, 5, workers4, ph);
	load_all(pb, 5, rb);
	load_all(ph, 5, rh);
}

static void release_all(struct cmp_report *reps, size_t k)
{
	for (size_t i = 0; i < k; i++)
		compare_report_release(&reps[i]);
}

/* The t statistic of y against x on their logs, with the pooled variance, computed here
 * from the definition: the engine's value is checked against it. */
static double log_t(const double *x, size_t m, const double *y, size_t n)
{
	double mx = 0, my = 0, ss = 0;

	for (size_t i = 0; i < m; i++)
		mx += log(x[i]) / (double)m;
	for (size_t i = 0; i < n; i++)
		my += log(y[i]) / (double)n;
	for (size_t i = 0; i < m; i++)
		ss += (log(x[i]) - mx) * (log(x[i]) - mx);
	for (size_t i = 0; i < n; i++)
		ss += (log(y[i]) - my) * (log(y[i]) - my);
	return (my - mx) / sqrt(ss / (double)(m + n - 2) * (1.0 / (double)m + 1.0 / (double)n));
}

/* Five invocations a side, every new median above every base median: the test runs on the
 * logs of the five medians (a permutation test: only the observed split and its mirror are
 * as extreme, p = 2 / C(10, 5) = 2/252), the change is the ratio of their geometric means,
 * the spread that of Student's t (checked against the definition), and n counts
 * invocations. */
static void test_pooled_invocation_medians(void **state)
{
	const double mb[5] = { 1.0, 1.1, 1.2, 1.3, 1.4 }, mh[5] = { 1.45, 1.5, 1.55, 1.6, 1.65 };
	const struct cmp_options def = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S };
	struct cmp_report rb[5], rh[5];
	struct cmp_result res;
	char *pb[5], *ph[5];
	double gb = pow(1.0 * 1.1 * 1.2 * 1.3 * 1.4, 0.2), gh = pow(1.45 * 1.5 * 1.55 * 1.6 * 1.65, 0.2);

	(void)state;
	load_invocations(mb, mh, NULL, rb, rh, pb, ph);
	assert_int_equal(compare_sides(rb, 5, rh, 5, &def, &res), 0);
	assert_true(res.pooled);
	assert_true(res.family);      /* Holm over the runs without --holm */
	assert_int_equal(res.nbase, 5);
	assert_int_equal(res.nhead, 5);
	assert_int_equal(res.nrows, 1);
	assert_int_equal(res.rows[0].nb, 5);
	assert_int_equal(res.rows[0].nh, 5);
	assert_near(res.rows[0].base_median, 1.2, 1e-12);
	assert_near(res.rows[0].head_median, 1.55, 1e-12);
	assert_near(res.rows[0].base_center, gb, 1e-9);
	assert_near(res.rows[0].head_center, gh, 1e-9);
	assert_near(res.rows[0].change, gh / gb - 1, 1e-9);
	assert_near(res.rows[0].tt.t, log_t(mb, 5, mh, 5), 1e-6);
	assert_near(res.rows[0].tt.df, 8, 0);
	assert_near(res.rows[0].tt.t, 4.1114, 1e-4);
	assert_near(res.rows[0].p, 2.0 / 252, 1e-15);
	assert_true(res.rows[0].p_exact);
	assert_true(isfinite(res.rows[0].detectable));
	assert_false(res.rows[0].power_from_noise);
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	assert_int_equal(compare_exit_status(&res), 1);
	compare_result_release(&res);
	/* the other way round: improved */
	assert_int_equal(compare_sides(rh, 5, rb, 5, &def, &res), 0);
	assert_int_equal(res.rows[0].verdict, CMP_IMPROVED);
	compare_result_release(&res);
	release_all(rb, 5);
	release_all(rh, 5);
}

/* Four invocations a side of ten samples, 30% slower: 40 pooled samples a side would be
 * overwhelmingly significant, but four a side can never reach p < 0.01 (the best split is
 * 2/70): insufficient, and the note asks for invocations. One base report against five
 * new ones is pooled too: one median against five, insufficient. */
static void test_pooled_needs_invocations(void **state)
{
	const double mb[5] = { 1.0, 1.01, 1.02, 1.03, 1.04 }, mh[5] = { 1.3, 1.31, 1.32, 1.33, 1.34 };
	const struct cmp_options def = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S };
	struct cmp_report rb[5], rh[5];
	struct cmp_result res;
	char *pb[5], *ph[5], list_b[400], list_h[400];
	struct out o;

	(void)state;
	load_invocations(mb, mh, NULL, rb, rh, pb, ph);
	assert_int_equal(compare_sides(rb, 4, rh, 4, &def, &res), 0);
	assert_int_equal(res.rows[0].nb, 4);
	assert_int_equal(res.rows[0].nh, 4);
	assert_false(res.rows[0].tested);
	assert_int_equal(res.rows[0].verdict, CMP_INSUFFICIENT);
	compare_result_release(&res);
	assert_int_equal(compare_sides(rb, 1, rh, 5, &def, &res), 0);
	assert_true(res.pooled);
	assert_int_equal(res.rows[0].nb, 1);
	assert_int_equal(res.rows[0].nh, 5);
	assert_int_equal(res.rows[0].verdict, CMP_INSUFFICIENT);
	compare_result_release(&res);
	release_all(rb, 5);
	release_all(rh, 5);

	cb_fmt(list_b, sizeof(list_b), "%s,%s,%s,%s", pb[0], pb[1], pb[2], pb[3]);
	cb_fmt(list_h, sizeof(list_h), "%s,%s,%s,%s", ph[0], ph[1], ph[2], ph[3]);
	o = run_cmd(list_b, list_h, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "invocations: base 4, new 4; each run is judged on the medians"));
	assert_non_null(strstr(o.out, "4 and 4 invocations give p >= 0.029 at best; needs >= 5 "
				     "invocations per side at alpha 0.01"));
	assert_non_null(strstr(o.out, " 4/4 "));
	out_free(&o);
}

/* A run that one invocation lacks counts the invocations that have it; a run in one new
 * invocation only, and in no base one, is missing. */
static void test_pooled_run_in_some_invocations(void **state)
{
	const double mb[5] = { 1.0, 1.01, 1.02, 1.03, 1.04 }, mh[5] = { 1.3, 1.31, 1.32, 1.33, 1.34 };
	const double mh4[4] = { 1.3, 1.31, 1.33, 1.34 };
	const int other[5] = { 0, 0, 1, 0, 0 };   /* the third new invocation ran 4 workers */
	const struct cmp_options def = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S };
	const struct cmp_options a005 = { .threshold = 0.05, .alpha = 0.005, .metric = CMP_MEDIAN_S };
	struct cmp_report rb[5], rh[5];
	struct cmp_result res;
	char *pb[5], *ph[5];

	(void)state;
	load_invocations(mb, mh, other, rb, rh, pb, ph);
	assert_int_equal(compare_sides(rb, 5, rh, 5, &def, &res), 0);
	assert_int_equal(res.nrows, 1);
	assert_int_equal(res.rows[0].nb, 5);
	assert_int_equal(res.rows[0].nh, 4);
	assert_near(res.rows[0].head_median, (1.31 + 1.33) / 2, 1e-12);
	assert_near(res.rows[0].tt.t, log_t(mb, 5, mh4, 4), 1e-6);
	assert_near(res.rows[0].tt.df, 7, 0);
	/* 5 against 4: no mirror split at unequal sizes, so the one most extreme split has p =
	 * 1/126, under 0.01: regressed (at 0.005 it could never be: insufficient) */
	assert_near(res.rows[0].p, 1.0 / 126, 1e-15);
	assert_int_equal(res.rows[0].verdict, CMP_REGRESSED);
	assert_int_equal(res.nonly_base, 0);
	assert_int_equal(res.nonly_head, 1);
	assert_int_equal(res.only_head[0]->workers, 4);
	compare_result_release(&res);
	assert_int_equal(compare_sides(rb, 5, rh, 5, &a005, &res), 0);
	assert_int_equal(res.rows[0].verdict, CMP_INSUFFICIENT);
	compare_result_release(&res);
	release_all(rb, 5);
	release_all(rh, 5);
}

/* A side is one report or a comma list without empty names or repeats. */
static void test_pooled_bad_lists(void **state)
{
	const double m[1] = { 1.0 };
	char *p[1], list[400];
	struct out o;

	(void)state;
	write_invocations(m, 1, NULL, p);
	cb_fmt(list, sizeof(list), "%s,,%s", p[0], p[0]);
	o = run_cmd(list, p[0], NULL);
	expect_bad(&o, "an empty report name");
	cb_fmt(list, sizeof(list), "%s,", p[0]);
	o = run_cmd(p[0], list, NULL);
	expect_bad(&o, "an empty report name");
	cb_fmt(list, sizeof(list), "%s,%s", p[0], p[0]);
	o = run_cmd(list, p[0], NULL);
	expect_bad(&o, "is named twice on one side");
	cb_fmt(list, sizeof(list), "%s,%s/none.json", p[0], tmpdir);
	o = run_cmd(p[0], list, NULL);
	expect_bad(&o, "none.json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_distributions_no_regression),
		cmocka_unit_test(test_slowdown_10pct_regressed),
		cmocka_unit_test(test_slowdown_2pct_unchanged_even_if_significant),
		cmocka_unit_test(test_three_samples_insufficient),
		cmocka_unit_test(test_p_values_independent),
		cmocka_unit_test(test_matching_and_only_lists),
		cmocka_unit_test(test_different_hosts_warn),
		cmocka_unit_test(test_holm),
		cmocka_unit_test(test_verdict_branches),
		cmocka_unit_test(test_inconclusive_output_and_fail_on),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_control_characters_sanitised),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_out_of_memory_exits_3),
		cmocka_unit_test(test_pooled_invocation_medians),
		cmocka_unit_test(test_pooled_needs_invocations),
		cmocka_unit_test(test_pooled_run_in_some_invocations),
		cmocka_unit_test(test_pooled_bad_lists),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
