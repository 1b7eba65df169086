/* SPDX-License-Identifier: MIT */
/* Unit tests for src/stats.c against hand-computed values, R's published results and
 * independent reference computations (exact integer binomials, lgamma sums). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define EPS 1e-12
#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* Deterministic Fisher-Yates shuffle (LCG), so "unsorted" inputs are reproducible. */
static void shuffle(double *x, size_t n, uint64_t seed)
{
	for (size_t i = n; i > 1; i--) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t j = (size_t)((seed >> 33) % i);
		double t = x[i - 1];
		x[i - 1] = x[j];
		x[j] = t;
	}
}

/* 1..n in shuffled order, malloc'd. */
static double *iota_shuffled(size_t n, uint64_t seed)
{
	double *x = malloc(n * sizeof(*x));

	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = (double)(i + 1);
	shuffle(x, n, seed);
	return x;
}

/* Reference 1: exact integer arithmetic (n <= 53). Largest k <= (n+1)/2 with
 * 1 - 2 * sum_{i<k} C(n,i) / 2^n >= num/den, by Pascal's triangle; 0 when none. */
static size_t ref_rank_exact(unsigned n, uint64_t num, uint64_t den, double *cov)
{
	uint64_t row[64] = { 1 }, pow2 = (uint64_t)1 << n, cdf = 0;
	size_t best = 0;

	for (unsigned r = 1; r <= n; r++)
		for (unsigned i = r; i > 0; i--)
			row[i] += row[i - 1];
	for (size_t k = 1; k <= (n + 1) / 2; k++) {
		cdf += row[k - 1];
		uint64_t covnum = pow2 - 2 * cdf;   /* coverage = covnum / 2^n */
		if (den * covnum >= num * pow2) {
			best = k;
			*cov = (double)covnum / (double)pow2;
		}
	}
	return best;
}

/* Reference 2: coverage of (x(k), x(n+1-k)) from lgamma-based binomial pmf terms. */
static double ref_coverage_lgamma(size_t n, size_t k)
{
	double cdf = 0, dn = (double)n;

	for (size_t i = 0; i < k; i++)
		cdf += exp(lgamma(dn + 1) - lgamma((double)i + 1) - lgamma(dn - (double)i + 1) -
			   dn * log(2.0));
	return 1 - 2 * cdf;
}

static void test_median_odd_even_single_ties(void **state)
{
	(void)state;
	const double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7.25 };
	const double ties[] = { 2, 2, 1, 2 }, neg[] = { -3, -1, -2, -10, 0, 8 };

	assert_true(stats_median(odd, 3) == 3);
	assert_true(stats_median(even, 4) == 2.5);
	assert_true(stats_median(one, 1) == 7.25);
	assert_true(stats_median(ties, 4) == 2);
	assert_true(stats_median(neg, 6) == -1.5);   /* sorted: -10 -3 -2 -1 0 8 */
	assert_true(isnan(stats_median(odd, 0)));
	assert_true(isnan(stats_median(NULL, 3)));
}

static void test_input_not_modified(void **state)
{
	(void)state;
	double x[] = { 9, -1, 4, 4, 100, 3, 2, 8, 7, 6, 5 }, copy[11], lo, hi, cov;
	struct stats_summary s;
	size_t idx[11];

	memcpy(copy, x, sizeof(x));
	(void)stats_median(x, 11);
	(void)stats_quantile(x, 11, 0.3);
	assert_int_equal(stats_median_ci(x, 11, 0.95, &lo, &hi, &cov), 0);
	(void)stats_outliers(x, 11, idx);
	assert_int_equal(stats_summarize(x, 11, &s), 0);
	assert_memory_equal(x, copy, sizeof(x));
}

/* Values published by R: quantile(1:10, c(0, .1, .25, .5, .75, .9, 1)) (type 7 default)
 * gives 1.00 1.90 3.25 5.50 7.75 9.10 10.00. */
static void test_quantile_r_type7(void **state)
{
	(void)state;
	double *x = iota_shuffled(10, 42);
	const double q[] = { 0, 0.1, 0.25, 0.5, 0.75, 0.9, 1 };
	const double want[] = { 1, 1.9, 3.25, 5.5, 7.75, 9.1, 10 };

	for (size_t i = 0; i < 7; i++)
		assert_near(stats_quantile(x, 10, q[i]), want[i], EPS);
	/* quantile(c(10, 20), 0.3) = 13; quantile(c(3, 1, 2), 0.25) = 1.5 */
	const double two[] = { 20, 10 }, three[] = { 3, 1, 2 };
	assert_near(stats_quantile(two, 2, 0.3), 13, EPS);
	assert_near(stats_quantile(three, 3, 0.25), 1.5, EPS);
	free(x);
}

static void test_quantile_endpoints_and_domain(void **state)
{
	(void)state;
	const double x[] = { 4, -2.5, 9, 0, 3 }, one[] = { 6 };

	assert_true(stats_quantile(x, 5, 0) == -2.5);
	assert_true(stats_quantile(x, 5, 1) == 9);
	assert_true(stats_quantile(one, 1, 0) == 6);
	assert_true(stats_quantile(one, 1, 0.37) == 6);
	assert_true(stats_quantile(one, 1, 1) == 6);
	assert_true(isnan(stats_quantile(x, 5, -0.01)));
	assert_true(isnan(stats_quantile(x, 5, 1.01)));
	assert_true(isnan(stats_quantile(x, 5, NAN)));
	assert_true(isnan(stats_quantile(x, 0, 0.5)));
	/* type 7 at q = 0.5 is the median (different code path) */
	for (size_t n = 1; n <= 12; n++) {
		double *y = iota_shuffled(n, n);
		y[0] *= 1.5;
		assert_near(stats_quantile(y, n, 0.5), stats_median(y, n), EPS);
		free(y);
	}
}

static void test_ci_documented_cases(void **state)
{
	(void)state;
	double lo = -1, hi = -1, cov = -1;
	double *x = iota_shuffled(10, 7);

	/* n = 10: [x(2), x(9)], coverage 1 - 2 * 11/1024 = 0.978515625 */
	assert_int_equal(stats_median_ci(x, 10, 0.95, &lo, &hi, &cov), 0);
	assert_true(lo == 2 && hi == 9);
	assert_near(cov, 0.978515625, EPS);
	/* a level equal to the achieved coverage is reached; just above it is not */
	assert_int_equal(stats_median_ci(x, 10, 0.978515625, &lo, &hi, &cov), 0);
	assert_true(lo == 2 && hi == 9);
	assert_int_equal(stats_median_ci(x, 10, nextafter(0.978515625, 1), &lo, &hi, &cov), 0);
	assert_true(lo == 1 && hi == 10);
	assert_near(cov, 1 - 2.0 / 1024, EPS);
	/* n = 6: (x1, x6), 1 - 2/64 = 0.96875 */
	assert_int_equal(stats_median_ci(x, 6, 0.95, &lo, &hi, &cov), 0);
	double mn = x[0], mx = x[0];
	for (size_t i = 1; i < 6; i++) {
		mn = fmin(mn, x[i]);
		mx = fmax(mx, x[i]);
	}
	assert_true(lo == mn && hi == mx);
	assert_near(cov, 0.96875, EPS);
	/* n = 5: best is (x1, x5) at 1 - 2/32 = 0.9375 < 0.95; outputs untouched */
	lo = hi = cov = -1;
	assert_int_equal(stats_median_ci(x, 5, 0.95, &lo, &hi, &cov), -EDOM);
	assert_true(lo == -1 && hi == -1 && cov == -1);
	/* ... but 0.9375 itself is reachable */
	assert_int_equal(stats_median_ci(x, 5, 0.9375, &lo, &hi, &cov), 0);
	assert_near(cov, 0.9375, EPS);
	assert_int_equal(stats_median_ci(x, 1, 0.5, &lo, &hi, &cov), -EDOM);
	assert_int_equal(stats_median_ci(x, 10, 1.0, &lo, &hi, &cov), -EDOM);
	assert_int_equal(stats_median_ci(x, 0, 0.95, &lo, &hi, &cov), -EINVAL);
	assert_int_equal(stats_median_ci(NULL, 10, 0.95, &lo, &hi, &cov), -EINVAL);
	assert_int_equal(stats_median_ci(x, 10, 0, &lo, &hi, &cov), -EINVAL);
	assert_int_equal(stats_median_ci(x, 10, 1.5, &lo, &hi, &cov), -EINVAL);
	assert_int_equal(stats_median_ci(x, 10, NAN, &lo, &hi, &cov), -EINVAL);
	free(x);
}

/* Every n up to 53 and several levels against exact integer enumeration. */
static void test_ci_exact_enumeration(void **state)
{
	(void)state;
	const uint64_t num[] = { 1, 9, 19, 99, 999 }, den[] = { 2, 10, 20, 100, 1000 };
	const double lvl[] = { 0.5, 0.9, 0.95, 0.99, 0.999 };

	for (unsigned n = 1; n <= 53; n++) {
		double *x = iota_shuffled(n, 1000 + n);
		for (size_t l = 0; l < 5; l++) {
			double lo, hi, cov, want_cov = -1;
			size_t k = ref_rank_exact(n, num[l], den[l], &want_cov);
			int rc = stats_median_ci(x, n, lvl[l], &lo, &hi, &cov);
			if (k == 0) {
				assert_int_equal(rc, -EDOM);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_true(lo == (double)k);
			assert_true(hi == (double)(n + 1 - k));
			assert_true(cov == want_cov);   /* exact in doubles for n <= 53 */
		}
		/* smallest n with a 95% interval is 6 */
		assert_int_equal(ref_rank_exact(n, 19, 20, &(double){ 0 }) > 0, n >= 6);
		free(x);
	}
}

static void check_large(size_t n)
{
	double *x = iota_shuffled(n, n), lo, hi, cov;

	assert_int_equal(stats_median_ci(x, n, 0.95, &lo, &hi, &cov), 0);
	size_t k = (size_t)lo;
	assert_true(hi == (double)(n + 1 - k));
	assert_true(cov >= 0.95 && cov < 0.96);
	/* independent: the chosen k reaches 95%, k + 1 does not */
	assert_near(cov, ref_coverage_lgamma(n, k), 1e-8);
	assert_true(ref_coverage_lgamma(n, k + 1) < 0.95);
	/* normal approximation: k ~ n/2 - 1.96 sqrt(n)/2 */
	assert_near((double)k, (double)n / 2 - 1.96 * sqrt((double)n) / 2, 2.0);
	free(x);
}

static void test_ci_large_n(void **state)
{
	(void)state;
	check_large(1000);
	check_large(1001);
	check_large(100000);
	/* the 95% interval always lies within the samples and contains the median */
	for (size_t n = 6; n <= 300; n += 7) {
		double *x = iota_shuffled(n, 3 * n), lo, hi, cov;
		for (size_t i = 0; i < n; i++)
			x[i] = sin((double)i) * 100;
		double m = stats_median(x, n);
		assert_int_equal(stats_median_ci(x, n, 0.95, &lo, &hi, &cov), 0);
		assert_true(lo <= m && m <= hi && lo < hi);
		assert_true(lo >= stats_quantile(x, n, 0) && hi <= stats_quantile(x, n, 1));
		free(x);
	}
}

static void test_outliers(void **state)
{
	(void)state;
	size_t idx[16];
	/* sorted: -40 10 11 11 12 12 12 13 13 100; Q1 = 11, Q3 = 12.75, IQR = 1.75,
	 * fences [8.375, 15.375]: 100 (index 4) and -40 (index 7) */
	const double a[] = { 10, 12, 11, 13, 100, 12, 11, -40, 12, 13 };
	memset(idx, 0xff, sizeof(idx));
	assert_int_equal(stats_outliers(a, 10, idx), 2);
	assert_int_equal(idx[0], 4);
	assert_int_equal(idx[1], 7);
	assert_int_equal(stats_outliers(a, 10, NULL), 2);

	/* 1..8 plus X: Q1 = 3, Q3 = 7, upper fence 13; a value on the fence is kept */
	double b[] = { 5, 1, 7, 2, 13, 3, 8, 4, 6 };
	assert_int_equal(stats_outliers(b, 9, idx), 0);
	b[4] = 13.0001;
	assert_int_equal(stats_outliers(b, 9, idx), 1);
	assert_int_equal(idx[0], 4);

	/* none in an evenly spread set */
	double *c = iota_shuffled(10, 5);
	assert_int_equal(stats_outliers(c, 10, idx), 0);
	free(c);

	/* ties: IQR = 0 -> everything off the common value is an outlier */
	const double d[] = { 5, 5, 5, 5 }, e[] = { 5, 5, 6, 5, 5 };
	assert_int_equal(stats_outliers(d, 4, idx), 0);
	assert_int_equal(stats_outliers(e, 5, idx), 1);
	assert_int_equal(idx[0], 2);
	assert_int_equal(stats_outliers(e, 0, idx), 0);
}

/* Textbook set {2,4,4,4,5,5,7,9}: mean 5, population sd 2, sample sd sqrt(32/7). */
static void test_summarize_textbook(void **state)
{
	(void)state;
	double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct stats_summary s;

	shuffle(x, 8, 99);
	assert_int_equal(stats_summarize(x, 8, &s), 0);
	assert_int_equal(s.n, 8);
	assert_near(s.mean, 5, EPS);
	assert_near(s.stddev, sqrt(32.0 / 7), EPS);
	assert_near(s.cv, sqrt(32.0 / 7) / 5, EPS);
	assert_near(s.median, 4.5, EPS);
	assert_true(s.min == 2 && s.max == 9);
	assert_near(s.p10, 3.4, EPS);   /* h = 0.7: 2 + 0.7 * 2 */
	assert_near(s.p90, 7.6, EPS);   /* h = 6.3: 7 + 0.3 * 2 */
	/* n = 8: k = 2 gives 1 - 18/256 = 0.9297 < 0.95, so (x1, x8) at 1 - 2/256 */
	assert_int_equal(s.has_ci, 1);
	assert_true(s.ci_lo == 2 && s.ci_hi == 9);
	assert_near(s.ci_level, 0.9921875, EPS);
	/* Q1 = 4, Q3 = 5.5, fences [1.75, 7.75]: 9 is an outlier */
	assert_int_equal(s.outliers, 1);
}

static void test_summarize_ten(void **state)
{
	(void)state;
	double *x = iota_shuffled(10, 123);
	struct stats_summary s;

	assert_int_equal(stats_summarize(x, 10, &s), 0);
	assert_near(s.mean, 5.5, EPS);
	assert_near(s.stddev, sqrt(55.0 / 6), EPS);   /* sum of squares 82.5 over 9 */
	assert_near(s.median, 5.5, EPS);
	assert_near(s.p10, 1.9, EPS);
	assert_near(s.p90, 9.1, EPS);
	assert_int_equal(s.has_ci, 1);
	assert_true(s.ci_lo == 2 && s.ci_hi == 9);
	assert_near(s.ci_level, 0.978515625, EPS);
	assert_int_equal(s.outliers, 0);
	free(x);
}

static void test_summarize_small_and_degenerate(void **state)
{
	(void)state;
	struct stats_summary s;
	const double one[] = { 3.5 }, five[] = { 10, 50, 20, 40, 30 }, sym[] = { -1, 1 };

	assert_int_equal(stats_summarize(one, 1, &s), 0);
	assert_true(s.n == 1 && s.mean == 3.5 && s.median == 3.5 && s.stddev == 0 && s.cv == 0);
	assert_true(s.min == 3.5 && s.max == 3.5 && s.p10 == 3.5 && s.p90 == 3.5);
	assert_int_equal(s.has_ci, 0);
	assert_true(isnan(s.ci_lo) && isnan(s.ci_hi) && isnan(s.ci_level));
	assert_int_equal(s.outliers, 0);

	assert_int_equal(stats_summarize(five, 5, &s), 0);   /* n < 6: no 95% interval */
	assert_int_equal(s.has_ci, 0);
	assert_true(isnan(s.ci_lo) && isnan(s.ci_hi));
	assert_near(s.median, 30, EPS);
	assert_near(s.stddev, sqrt(250.0), EPS);
	assert_near(s.p10, 14, EPS);

	assert_int_equal(stats_summarize(sym, 2, &s), 0);     /* mean 0 -> cv 0 */
	assert_near(s.stddev, sqrt(2.0), EPS);
	assert_true(s.mean == 0 && s.cv == 0);

	s.n = 77;
	assert_int_equal(stats_summarize(one, 0, &s), -EINVAL);
	assert_int_equal(s.n, 77);   /* untouched on error */
	assert_int_equal(stats_summarize(NULL, 3, &s), -EINVAL);
	assert_int_equal(stats_summarize(one, 1, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_odd_even_single_ties),
		cmocka_unit_test(test_input_not_modified),
		cmocka_unit_test(test_quantile_r_type7),
		cmocka_unit_test(test_quantile_endpoints_and_domain),
		cmocka_unit_test(test_ci_documented_cases),
		cmocka_unit_test(test_ci_exact_enumeration),
		cmocka_unit_test(test_ci_large_n),
		cmocka_unit_test(test_outliers),
		cmocka_unit_test(test_summarize_textbook),
		cmocka_unit_test(test_summarize_ten),
		cmocka_unit_test(test_summarize_small_and_degenerate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
