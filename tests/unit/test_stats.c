/* SPDX-License-Identifier: MIT */
/* Unit tests for src/measure/stats.c against hand-computed values, R's published results and
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

#include "measure/stats.h"

#define EPS 1e-12
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
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

/* ---- Mann-Whitney U ------------------------------------------------------------------ */

/* Reference: every placement of m x's among m + n ordered positions (bit set = x), U = for
 * each x, the number of y's below it. Fills hist[0 .. m n]; returns the number of
 * placements. m + n <= 20. */
static uint64_t ref_mwu_hist(unsigned m, unsigned n, uint64_t *hist)
{
	uint64_t count = 0;

	memset(hist, 0, (m * n + 1) * sizeof(*hist));
	for (uint32_t mask = 0; mask < (1u << (m + n)); mask++) {
		unsigned ys = 0, u = 0;
		if ((unsigned)__builtin_popcount(mask) != m)
			continue;
		for (unsigned b = 0; b < m + n; b++) {
			if (mask & (1u << b))
				u += ys;
			else
				ys++;
		}
		hist[u]++;
		count++;
	}
	return count;
}

/* Two-sided exact p by enumeration: the share of placements at least as far from the
 * centre m n / 2 as u (the null distribution is symmetric, so this is R's 2 x one tail). */
static double ref_mwu_p(unsigned m, unsigned n, double u)
{
	uint64_t hist[401], total = ref_mwu_hist(m, n, hist), far = 0;
	double c = (double)(m * n) / 2;

	for (unsigned k = 0; k <= m * n; k++)
		if (fabs((double)k - c) >= fabs(u - c))
			far += hist[k];
	return (double)far / (double)total;
}

/* Samples of sizes m and n without ties whose U is exactly u: y = 1..n, and x_i sits just
 * above k_i of the y's with sum k_i = u (small distinct offsets keep the x's apart). */
static void samples_with_u(size_t m, size_t n, size_t u, double *x, double *y)
{
	for (size_t j = 0; j < n; j++)
		y[j] = (double)(j + 1);
	for (size_t i = 0; i < m; i++) {
		size_t k = u < n ? u : n;
		u -= k;
		x[i] = (double)k + 0.5 + 0.001 * (double)i;
	}
}

static void test_mwu_counts_enumeration(void **state)
{
	(void)state;
	uint64_t hist[401];
	double counts[401];

	for (unsigned m = 1; m <= 10; m++) {
		for (unsigned n = 1; m + n <= 20; n++) {
			uint64_t total = ref_mwu_hist(m, n, hist);
			double sum = 0;
			assert_int_equal(stats_mwu_counts(m, n, counts), 0);
			for (unsigned k = 0; k <= m * n; k++) {
				assert_true(counts[k] == (double)hist[k]);
				sum += counts[k];
			}
			assert_true(sum == (double)total);
		}
	}
	/* 20 x 20: symmetric, sums to C(40, 20) = 137846528820, a few known small counts:
	 * the number of partitions of u with at most 20 parts below 20 is p(u) for u <= 20 */
	{
		double *c = malloc(401 * sizeof(*c)), sum = 0;
		const double part[] = { 1, 1, 2, 3, 5, 7, 11, 15, 22, 30, 42 };
		assert_non_null(c);
		assert_int_equal(stats_mwu_counts(20, 20, c), 0);
		for (size_t k = 0; k <= 400; k++) {
			sum += c[k];
			assert_true(c[k] == c[400 - k]);
		}
		assert_true(sum == 137846528820.0);
		for (size_t k = 0; k < ARRAY_LEN(part); k++)
			assert_true(c[k] == part[k]);
		free(c);
	}
	/* 50 x 50 works and stays symmetric to the last bits; C(100, 50) ~ 1.0089e29 */
	{
		double *c = malloc(2501 * sizeof(*c)), sum = 0;
		assert_non_null(c);
		assert_int_equal(stats_mwu_counts(50, 50, c), 0);
		for (size_t k = 0; k <= 2500; k++)
			sum += c[k];
		assert_near(sum / 1.0089134454556419e29, 1, 1e-12);
		assert_near(c[1000] / c[1500], 1, 1e-12);
		free(c);
	}
	assert_int_equal(stats_mwu_counts(0, 5, counts), -EINVAL);
	assert_int_equal(stats_mwu_counts(5, 0, counts), -EINVAL);
	assert_int_equal(stats_mwu_counts(51, 5, counts), -EINVAL);
	assert_int_equal(stats_mwu_counts(5, 5, NULL), -EINVAL);
}

/* Tiny random samples (no ties): p from stats_mann_whitney = p from enumeration. */
static void test_mwu_exact_p_enumeration(void **state)
{
	(void)state;
	uint64_t seed = 12345;

	for (unsigned m = 1; m <= 7; m++) {
		for (unsigned n = 1; n <= 7; n++) {
			for (int rep = 0; rep < 6; rep++) {
				double pool[14], x[7], y[7];
				struct stats_mwu r;
				for (unsigned i = 0; i < m + n; i++)
					pool[i] = (double)i * 1.25 - 3;
				shuffle(pool, m + n, seed++);
				memcpy(x, pool, m * sizeof(double));
				memcpy(y, pool + m, n * sizeof(double));
				assert_int_equal(stats_mann_whitney(x, m, y, n, STATS_MWU_AUTO, &r), 0);
				assert_int_equal(r.exact, 1);
				assert_int_equal(r.ties, 0);
				assert_near(r.p, ref_mwu_p(m, n, r.u), 1e-12);
				assert_true(r.p > 0 && r.p <= 1);
			}
		}
	}
}

/* Published values. */
static void test_mwu_published(void **state)
{
	(void)state;
	struct stats_mwu r;

	/* SciPy's mannwhitneyu documentation (males vs females): U1 = 17, exact two-sided
	 * p = 0.1111111111111111; method="asymptotic" (continuity-corrected) gives
	 * p = 0.11134688653314041. */
	{
		const double males[] = { 19, 22, 16, 29, 24 }, females[] = { 20, 11, 17, 12 };
		assert_int_equal(stats_mann_whitney(males, 5, females, 4, STATS_MWU_AUTO, &r), 0);
		assert_true(r.exact && r.u == 17);
		assert_near(r.p, 0.1111111111111111, 1e-15);
		assert_int_equal(stats_mann_whitney(males, 5, females, 4, STATS_MWU_NORMAL, &r), 0);
		assert_true(!r.exact && r.u == 17);
		assert_near(r.p, 0.11134688653314041, 1e-12);
	}
	/* R, ?wilcox.test (Hollander & Wolfe 1973, p. 69): W = 35 and the exact one-sided
	 * p-value 0.1272 ("greater"); the two-sided p is twice that. The large-sample
	 * approximation without continuity correction gives one-sided 0.1103:
	 * z = (35 - 25) / sqrt(50 * 16 / 12). */
	{
		const double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
		const double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
		assert_int_equal(stats_mann_whitney(x, 10, y, 5, STATS_MWU_AUTO, &r), 0);
		assert_true(r.exact && r.u == 35);
		assert_near(r.p / 2, 0.1272, 5e-5);
		assert_near(0.5 * erfc(10 / sqrt(50.0 * 16 / 12) / sqrt(2.0)), 0.1103, 5e-5);
		assert_int_equal(stats_mann_whitney(x, 10, y, 5, STATS_MWU_NORMAL, &r), 0);
		assert_near(r.z, 9.5 / sqrt(50.0 * 16 / 12), 1e-12);   /* corrected */
		/* the other way round: U = m n - 35 = 15, same p */
		double p = r.p;
		assert_int_equal(stats_mann_whitney(y, 5, x, 10, STATS_MWU_NORMAL, &r), 0);
		assert_true(r.u == 15);
		assert_near(r.p, p, 1e-15);
	}
	/* Tables of critical values of U, two-tailed (e.g. Zar, Biostatistical Analysis,
	 * table B.11): significant when U <= crit. n1 = n2 = 5: 2 (0.05), 0 (0.01);
	 * 10: 23 (0.05), 16 (0.01); 20: 127 (0.05), 105 (0.01). */
	{
		const struct { size_t n; size_t crit; double alpha; } tab[] = {
			{ 5, 2, 0.05 }, { 5, 0, 0.01 }, { 10, 23, 0.05 }, { 10, 16, 0.01 },
			{ 20, 127, 0.05 }, { 20, 105, 0.01 },
		};
		for (size_t t = 0; t < ARRAY_LEN(tab); t++) {
			double x[20], y[20];
			size_t n = tab[t].n;
			samples_with_u(n, n, tab[t].crit, x, y);
			assert_int_equal(stats_mann_whitney(x, n, y, n, STATS_MWU_AUTO, &r), 0);
			assert_true(r.exact && r.u == (double)tab[t].crit);
			assert_true(r.p <= tab[t].alpha);
			samples_with_u(n, n, tab[t].crit + 1, x, y);
			assert_int_equal(stats_mann_whitney(x, n, y, n, STATS_MWU_AUTO, &r), 0);
			assert_true(r.u == (double)tab[t].crit + 1);
			assert_true(r.p > tab[t].alpha);
		}
	}
}

/* Ties force the normal approximation. x = {1, 2, 2, 3}, y = {2, 3, 3, 4}: pooled ranks
 * 1 | 2 2 2 -> 3 | 3 3 3 -> 6 | 8; R1 = 1 + 3 + 3 + 6 = 13, U = 13 - 4 * 5 / 2 = 3;
 * two tie groups of 3: sum(t^3 - t) = 48; var = 16/12 (9 - 48/56) = 76/7;
 * z = (3 - 8 + 1/2) / sqrt(76/7) = -1.36570, p = 0.1720 (R: W = 3, p-value = 0.172). */
static void test_mwu_normal_ties(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 2, 3 }, y[] = { 2, 3, 3, 4 }, same[] = { 5, 5, 5 };
	struct stats_mwu r;

	assert_int_equal(stats_mann_whitney(x, 4, y, 4, STATS_MWU_AUTO, &r), 0);
	assert_int_equal(r.exact, 0);
	assert_int_equal(r.ties, 2);
	assert_true(r.u == 3);
	assert_near(r.z, -4.5 / sqrt(76.0 / 7), 1e-12);
	assert_near(r.p, 0.1720, 5e-5);
	assert_int_equal(stats_mann_whitney(x, 4, y, 4, STATS_MWU_EXACT, &r), -EDOM);
	/* every value tied: no evidence at all */
	assert_int_equal(stats_mann_whitney(same, 3, same, 3, STATS_MWU_AUTO, &r), 0);
	assert_true(r.u == 4.5 && r.p == 1 && r.z == 0);
	/* identical samples without inner ties: U at the centre, p = 1 */
	const double a[] = { 3, 1, 2, 5, 4 };
	assert_int_equal(stats_mann_whitney(a, 5, a, 5, STATS_MWU_AUTO, &r), 0);
	assert_true(r.u == 12.5 && r.p == 1 && !r.exact);
}

/* Above 20 per side the normal approximation is used; at 20 x 20 it agrees with the exact
 * p to within 0.005 all along the distribution (largest gap 0.0042, near U = 172). */
static void test_mwu_normal_vs_exact(void **state)
{
	(void)state;
	double x[21], y[21];
	struct stats_mwu e, a;

	for (size_t u = 0; u <= 400; u += 7) {
		samples_with_u(20, 20, u, x, y);
		assert_int_equal(stats_mann_whitney(x, 20, y, 20, STATS_MWU_AUTO, &e), 0);
		assert_int_equal(stats_mann_whitney(x, 20, y, 20, STATS_MWU_NORMAL, &a), 0);
		assert_true(e.exact && !a.exact && e.u == (double)u && a.u == (double)u);
		assert_near(e.p, a.p, 0.005);
	}
	samples_with_u(21, 20, 100, x, y);
	assert_int_equal(stats_mann_whitney(x, 21, y, 20, STATS_MWU_AUTO, &a), 0);
	assert_int_equal(a.exact, 0);
	assert_int_equal(stats_mann_whitney(x, 21, y, 20, STATS_MWU_EXACT, &e), 0);
	assert_int_equal(e.exact, 1);
	assert_near(e.p, a.p, 0.005);
}

static void test_mwu_min_p_and_errors(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 3 }, bad[] = { 1, NAN, 3 };
	struct stats_mwu r = { .u = -7 };

	/* 4 per side cannot reach 0.01 (2/70), 5 can (2/252): compare's 'insufficient' rule */
	assert_near(stats_mwu_min_p(4, 4), 2.0 / 70, 1e-15);
	assert_near(stats_mwu_min_p(5, 5), 2.0 / 252, 1e-15);
	assert_near(stats_mwu_min_p(3, 10), 2.0 / 286, 1e-15);
	assert_true(stats_mwu_min_p(1, 1) == 1 && stats_mwu_min_p(0, 9) == 1);
	assert_true(stats_mwu_min_p(600, 600) == 0);
	assert_int_equal(stats_mwu_min_samples(0.01), 5);
	assert_int_equal(stats_mwu_min_samples(0.05), 4);
	assert_int_equal(stats_mwu_min_samples(0.002), 7);   /* 2/924 = 0.00216 at 6 */
	assert_int_equal(stats_mwu_min_samples(0.1), 4);     /* 2/20 = 0.1 is not < 0.1 */
	assert_true(stats_mwu_min_samples(1e-300) > 400);
	assert_int_equal(stats_mwu_min_samples(0), 0);
	assert_int_equal(stats_mwu_min_samples(-1), 0);
	assert_int_equal(stats_mwu_min_samples(NAN), 0);
	assert_int_equal(stats_mwu_min_samples(1.5), 0);
	/* the smallest p is reached by complete separation */
	{
		const double lo[] = { 1, 2, 3, 4, 5 }, hi[] = { 6, 7, 8, 9, 10 };
		assert_int_equal(stats_mann_whitney(lo, 5, hi, 5, STATS_MWU_AUTO, &r), 0);
		assert_true(r.u == 0);
		assert_near(r.p, stats_mwu_min_p(5, 5), 1e-15);
		assert_int_equal(stats_mann_whitney(hi, 5, lo, 5, STATS_MWU_AUTO, &r), 0);
		assert_true(r.u == 25);
		assert_near(r.p, stats_mwu_min_p(5, 5), 1e-15);
	}
	r.u = -7;
	assert_int_equal(stats_mann_whitney(NULL, 3, x, 3, STATS_MWU_AUTO, &r), -EINVAL);
	assert_int_equal(stats_mann_whitney(x, 3, NULL, 3, STATS_MWU_AUTO, &r), -EINVAL);
	assert_int_equal(stats_mann_whitney(x, 0, x, 3, STATS_MWU_AUTO, &r), -EINVAL);
	assert_int_equal(stats_mann_whitney(x, 3, x, 0, STATS_MWU_AUTO, &r), -EINVAL);
	assert_int_equal(stats_mann_whitney(bad, 3, x, 3, STATS_MWU_AUTO, &r), -EINVAL);
	assert_int_equal(stats_mann_whitney(x, 3, bad, 3, STATS_MWU_AUTO, &r), -EINVAL);
	assert_int_equal(stats_mann_whitney(x, 3, x, 3, STATS_MWU_AUTO, NULL), -EINVAL);
	assert_true(r.u == -7);   /* untouched on error */
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
		cmocka_unit_test(test_mwu_counts_enumeration),
		cmocka_unit_test(test_mwu_exact_p_enumeration),
		cmocka_unit_test(test_mwu_published),
		cmocka_unit_test(test_mwu_normal_ties),
		cmocka_unit_test(test_mwu_normal_vs_exact),
		cmocka_unit_test(test_mwu_min_p_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
