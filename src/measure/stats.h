/* SPDX-License-Identifier: MIT */
/* stats: pure functions on arrays of doubles (no I/O, no allocation visible to callers).
 *
 * Invariants: input arrays are never modified (functions that need order sort a copy);
 * n == 0 is rejected with -EINVAL where a result is undefined. Every function here is
 * tested against values computed independently in tests/unit/test_stats.c. */
#ifndef CONCBENCH_STATS_H
#define CONCBENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct stats_summary {
	size_t n;
	double median, mean, stddev, min, max, cv;   /* stddev: sample (n-1); 0 when n == 1 */
	double p10, p90;                             /* quantiles, linear interpolation (type 7) */
	int has_ci;                                  /* 0 when n < 6: no exact 95% interval exists */
	double ci_lo, ci_hi;                         /* exact order-statistic 95% CI of the median */
	double ci_level;                             /* its actual coverage, e.g. 0.979 at n = 10 */
	size_t outliers;                             /* Tukey fences at 1.5 IQR; counted, never dropped */
};

/* Median of x[0..n-1]; mean of the two middle values when n is even. */
double stats_median(const double *x, size_t n);

/* Quantile q in [0,1] by linear interpolation between order statistics (R type 7). */
double stats_quantile(const double *x, size_t n, double q);

/* Exact distribution-free confidence interval of the median from order statistics
 * (binomial(n, 1/2)): the narrowest symmetric pair (x(k), x(n+1-k)), 1-based, whose
 * coverage 1 - 2*P(B <= k-1) is at least `level`. Returns 0 and fills lo, hi and the
 * achieved coverage, or -EDOM when n is too small for any pair to reach `level`. */
int stats_median_ci(const double *x, size_t n, double level, double *lo, double *hi,
		    double *coverage);

/* Number of values outside Tukey's fences [Q1 - 1.5 IQR, Q3 + 1.5 IQR] (type-7 quartiles).
 * When idx is not NULL, the indexes (into x, ascending) of the outliers are written there;
 * it must have room for n entries. */
size_t stats_outliers(const double *x, size_t n, size_t *idx);

/* Fill every field of *s. Returns 0, or -EINVAL when n == 0. */
int stats_summarize(const double *x, size_t n, struct stats_summary *s);

/* Two-sided Mann-Whitney U test (Wilcoxon rank-sum test) of x[0..m-1] against y[0..n-1].
 * u is the statistic of x, as R's wilcox.test reports it (W): the number of pairs
 * (x_i, y_j) with x_i > y_j, plus 1/2 for each tie; E[U] = m n / 2 under the null. */
enum stats_mwu_method {
	STATS_MWU_AUTO,     /* exact when there are no ties and m, n <= STATS_MWU_EXACT_MAX */
	STATS_MWU_EXACT,    /* exact null distribution; -EDOM with ties or m, n > 50 */
	STATS_MWU_NORMAL,   /* normal approximation with tie and continuity correction */
};

#define STATS_MWU_EXACT_MAX 20

struct stats_mwu {
	double u;           /* U of x (see above) */
	double p;           /* two-sided p-value, in (0, 1] */
	double z;           /* normal approximation's z (continuity-corrected); 0 when exact */
	int exact;          /* 1: p from the exact distribution, 0: normal approximation */
	size_t ties;        /* number of tied groups in the pooled sample */
};

/* Fill *out. Exact p: min(1, 2 P(U <= u)) below the centre, min(1, 2 P(U >= u)) above it
 * (R's convention). Normal p: z = (U - mn/2 - sign * 1/2) / sigma with the tie-corrected
 * sigma^2 = mn/12 (m + n + 1 - sum(t^3 - t) / ((m + n)(m + n - 1))); p = 1 when every value
 * is tied. Returns 0, -EINVAL when an array is NULL or empty or holds a NaN, -EDOM for an
 * impossible forced exact test, -ENOMEM. *out is written only on success. */
int stats_mann_whitney(const double *x, size_t m, const double *y, size_t n,
		       enum stats_mwu_method method, struct stats_mwu *out);

/* The null distribution of U for sizes m and n without ties: counts[u], u = 0 .. m n, is
 * the number of the C(m+n, m) orderings giving U = u (exact in doubles while C(m+n, m) <
 * 2^53, so for m, n <= 20 at least). counts must have room for m n + 1 entries. Returns 0,
 * -EINVAL when m or n is 0 or above 50, -ENOMEM. */
int stats_mwu_counts(size_t m, size_t n, double *counts);

/* The smallest two-sided p-value the exact test of sizes m and n can give (all of one
 * sample below all of the other): min(1, 2 / C(m+n, m)); 1 when m or n is 0. */
double stats_mwu_min_p(size_t m, size_t n);

/* The least k for which k samples per side can reach p < alpha with the exact test
 * (2 / C(2k, k) < alpha), e.g. 5 at alpha 0.01; 0 when alpha is not in (0, 1]. */
size_t stats_mwu_min_samples(double alpha);

/* ---- Student's t, for tests on invocation-level values (compare's gate) ---- */

/* P(T <= t) for Student's t with df > 0 degrees of freedom, from the regularised
 * incomplete beta function; NaN for a NaN t or df <= 0. */
double stats_t_cdf(double t, double df);

/* The p-quantile of Student's t with df > 0 degrees of freedom, p in (0, 1) (bisection on
 * stats_t_cdf to 1e-12 relative); NaN outside those ranges. */
double stats_t_quantile(double p, double df);

/* Student's two-sample t test with the pooled variance, of y against x: diff = mean(y) -
 * mean(x), sd the pooled standard deviation, se = sd sqrt(1/m + 1/n), t = diff / se, df =
 * m + n - 2, p two-sided. With sd = 0, p is 1 when diff is 0, else 0 (t infinite). */
struct stats_ttest {
	double diff, sd, se, t, df, p;
};

/* Fill *out. Returns 0, or -EINVAL when m or n is below 2, an array is NULL or a value is
 * not finite. */
int stats_student_t(const double *x, size_t m, const double *y, size_t n, struct stats_ttest *out);

/* Two-sided permutation test of the difference of means, y against x: p is the share of
 * the splits of the pooled m + n values into m and n whose |mean difference| is at least
 * the observed one (within 1e-9 relative, so that equal splits count). Exact over every
 * split while C(m+n, m) <= max_exact; else nperm random splits from a fixed seed, with p =
 * (1 + hits) / (1 + nperm), which never understates it. Under exchangeability (A/A, or
 * invocations assigned at random) P(p <= a) <= a whatever the distribution: no normality
 * assumed. */
struct stats_perm {
	double p;
	int exact;          /* 1: every split counted */
	double splits;      /* splits counted (C(m+n, m), or nperm) */
};

#define STATS_PERM_MAX_EXACT 200000
#define STATS_PERM_RANDOM 100000

/* Fill *out. Returns 0, -EINVAL when m or n is 0, an array is NULL or a value not finite,
 * -ENOMEM. */
int stats_perm_test(const double *x, size_t m, const double *y, size_t n, size_t max_exact,
		    size_t nperm, uint64_t seed, struct stats_perm *out);

/* The smallest p stats_perm_test can give for sizes m and n: when exact, 2 / C(m+n, m) for
 * m = n (a split and its mirror), else 1 / C(m+n, m); 1 / (1 + nperm) when random; 1 for
 * m or n of 0. */
double stats_perm_min_p(size_t m, size_t n, size_t max_exact, size_t nperm);

#endif
