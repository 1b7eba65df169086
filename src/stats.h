/* SPDX-License-Identifier: MIT */
/* stats: pure functions on arrays of doubles (no I/O, no allocation visible to callers).
 *
 * Invariants: input arrays are never modified (functions that need order sort a copy);
 * n == 0 is rejected with -EINVAL where a result is undefined. Every function here is
 * tested against values computed independently in tests/unit/test_stats.c. */
#ifndef CONCBENCH_STATS_H
#define CONCBENCH_STATS_H

#include <stddef.h>

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

#endif
