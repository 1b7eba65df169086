/* SPDX-License-Identifier: MIT */
/* stats: the descriptive statistics behind concbench's reports (median, type-7 quantiles,
 * exact order-statistic CI of the median, Tukey outliers) and the Mann-Whitney U test behind
 * `compare`, as pure functions on doubles. */
#include "measure/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Ascending order with NaN sorted last, so the comparator stays consistent for qsort. */
static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	if (isnan(a) || isnan(b))
		return !!isnan(a) - !!isnan(b);
	return (a > b) - (a < b);
}

/* A sorted, malloc'd copy of x[0..n-1] (n > 0), or NULL when allocation fails. */
static double *sorted_copy(const double *x, size_t n)
{
	double *s;

	if (n > (size_t)-1 / sizeof(*s))
		return NULL;
	s = malloc(n * sizeof(*s));
	if (!s)
		return NULL;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return s;
}

static double median_sorted(const double *s, size_t n)
{
	if (n % 2)
		return s[n / 2];
	return s[n / 2 - 1] / 2 + s[n / 2] / 2;   /* halves first: no overflow near DBL_MAX */
}

/* R type 7: h = (n-1)q, x[floor(h)] + (h - floor(h)) (x[floor(h)+1] - x[floor(h)]), 0-based. */
static double quantile_sorted(const double *s, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	double f = h - (double)lo;

	if (lo >= n - 1)
		return s[n - 1];
	if (f == 0 || s[lo] == s[lo + 1])
		return s[lo];
	return (1 - f) * s[lo] + f * s[lo + 1];
}

/* mant * 2^(e - n), flushed to 0 far below the double range. */
static double scaled_value(double mant, long e, size_t n)
{
	long ex = e - (long)n;

	return ex < -2000 ? 0.0 : ldexp(mant, (int)ex);
}

/* Rank k (1-based) of the narrowest pair (x(k), x(n+1-k)) whose coverage under
 * binomial(n, 1/2) is >= level, with that coverage; -EDOM when even k = 1 falls short.
 * The CDF F(k-1) = sum_{i<k} C(n,i) / 2^n is accumulated with the recurrence
 * C(n,i+1) = C(n,i) (n-i)/(i+1) on a scaled sum (mantissa times 2^e, rescaled by 2^-500
 * before it can overflow). For small n every step is exact integer arithmetic in doubles
 * (the tests check n <= 53 bit-for-bit); for n in the hundreds of thousands the error
 * stays within a few ulps per term. */
static int ci_rank(size_t n, double level, size_t *k_out, double *cov_out)
{
	double term = 1, sum = 1;   /* C(n,k-1) and sum_{i<k} C(n,i), both times 2^-e */
	double cov = 1 - 2 * scaled_value(sum, 0, n);
	long e = 0;
	size_t k = 1;

	if (!(cov >= level))
		return -EDOM;
	while (k + 1 <= (n + 1) / 2) {
		double t = term * (double)(n - k + 1) / (double)k;   /* C(n,k) */
		double c = 1 - 2 * scaled_value(sum + t, e, n);

		if (!(c >= level))
			break;
		term = t;
		sum += t;
		cov = c;
		k++;
		if (sum > 0x1p500) {
			term = ldexp(term, -500);
			sum = ldexp(sum, -500);
			e += 500;
		}
	}
	*k_out = k;
	*cov_out = cov;
	return 0;
}

/* Count values of x outside the Tukey fences computed from its sorted copy s. */
static size_t outliers_fenced(const double *x, const double *s, size_t n, size_t *idx)
{
	double q1 = quantile_sorted(s, n, 0.25), q3 = quantile_sorted(s, n, 0.75);
	double lo = q1 - 1.5 * (q3 - q1), hi = q3 + 1.5 * (q3 - q1);
	size_t i, c = 0;

	for (i = 0; i < n; i++) {
		if (x[i] < lo || x[i] > hi) {
			if (idx)
				idx[c] = i;
			c++;
		}
	}
	return c;
}

/* Allocation failure in the public functions below: stats_median and stats_quantile
 * return NaN, stats_median_ci and stats_summarize return -ENOMEM, and stats_outliers
 * returns 0 (its size_t result has no error value). */

double stats_median(const double *x, size_t n)
{
	double *s, m;

	if (!x || n == 0 || !(s = sorted_copy(x, n)))
		return NAN;
	m = median_sorted(s, n);
	free(s);
	return m;
}

/* NaN when n == 0 or q is outside [0, 1] (or NaN). */
double stats_quantile(const double *x, size_t n, double q)
{
	double *s, v;

	if (!x || n == 0 || !(q >= 0 && q <= 1) || !(s = sorted_copy(x, n)))
		return NAN;
	v = quantile_sorted(s, n, q);
	free(s);
	return v;
}

/* -EINVAL when x is NULL, n == 0 or level is not in (0, 1]. Outputs (each may be NULL)
 * are written only on success. */
int stats_median_ci(const double *x, size_t n, double level, double *lo, double *hi,
		    double *coverage)
{
	double *s, cov;
	size_t k;
	int rc;

	if (!x || n == 0 || !(level > 0 && level <= 1))
		return -EINVAL;
	rc = ci_rank(n, level, &k, &cov);
	if (rc)
		return rc;
	s = sorted_copy(x, n);
	if (!s)
		return -ENOMEM;
	if (lo)
		*lo = s[k - 1];
	if (hi)
		*hi = s[n - k];
	if (coverage)
		*coverage = cov;
	free(s);
	return 0;
}

size_t stats_outliers(const double *x, size_t n, size_t *idx)
{
	double *s;
	size_t c;

	if (!x || n == 0 || !(s = sorted_copy(x, n)))
		return 0;
	c = outliers_fenced(x, s, n, idx);
	free(s);
	return c;
}

/* -EINVAL when x or out is NULL or n == 0, -ENOMEM when allocation fails; *out is
 * written only on success. */
int stats_summarize(const double *x, size_t n, struct stats_summary *out)
{
	struct stats_summary r;
	double *s, sum = 0, ss = 0;
	size_t i, k;

	if (!x || !out || n == 0)
		return -EINVAL;
	s = sorted_copy(x, n);
	if (!s)
		return -ENOMEM;
	memset(&r, 0, sizeof(r));
	r.n = n;
	for (i = 0; i < n; i++)
		sum += x[i];
	r.mean = sum / (double)n;
	for (i = 0; i < n; i++)
		ss += (x[i] - r.mean) * (x[i] - r.mean);
	r.stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
	r.cv = r.mean != 0 ? r.stddev / r.mean : 0;
	r.min = s[0];
	r.max = s[n - 1];
	r.median = median_sorted(s, n);
	r.p10 = quantile_sorted(s, n, 0.10);
	r.p90 = quantile_sorted(s, n, 0.90);
	r.has_ci = ci_rank(n, 0.95, &k, &r.ci_level) == 0;
	if (r.has_ci) {
		r.ci_lo = s[k - 1];
		r.ci_hi = s[n - k];
	} else {
		r.ci_lo = r.ci_hi = r.ci_level = NAN;
	}
	r.outliers = outliers_fenced(x, s, n, NULL);
	free(s);
	*out = r;
	return 0;
}

/* ---- Mann-Whitney U ------------------------------------------------------------------ */

struct tagged {
	double v;
	int from_x;
};

static int cmp_tagged(const void *pa, const void *pb)
{
	double a = ((const struct tagged *)pa)->v, b = ((const struct tagged *)pb)->v;

	return (a > b) - (a < b);
}

/* The number of orderings of m x's and n y's with U = u (pairs with the x above the y),
 * by the recurrence on the largest element: it is an x (above all j y's: adds j) or a y,
 * f(i, j; u) = f(i - 1, j; u - j) + f(i, j - 1; u). Only additions of non-negative terms,
 * so the counts keep full relative precision even where they outgrow 2^53. One row per i
 * for the current j: (m + 1)(m n + 1) doubles, about 1 MB at 50 x 50. */
int stats_mwu_counts(size_t m, size_t n, double *counts)
{
	size_t len = m * n + 1, i, j, u;
	double *f;

	if (!counts || m == 0 || n == 0 || m > 50 || n > 50)
		return -EINVAL;
	f = calloc((m + 1) * len, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (i = 0; i <= m; i++)
		f[i * len] = 1;                           /* j = 0: one ordering, U = 0 */
	for (j = 1; j <= n; j++)
		for (i = 1; i <= m; i++) {
			double *row = f + i * len;
			const double *prev = f + (i - 1) * len;   /* f(i - 1, j), already updated */
			for (u = i * j; u >= j; u--)             /* U <= i j */
				row[u] += prev[u - j];
		}
	memcpy(counts, f + m * len, len * sizeof(*counts));
	free(f);
	return 0;
}

/* C(m + n, m) by the multiplicative formula (each partial product is itself a binomial
 * coefficient, so exact while below 2^53); +inf beyond the double range. */
static double binomial(size_t m, size_t n)
{
	size_t k = m < n ? m : n, total = m + n;
	double c = 1;

	for (size_t i = 1; i <= k && isfinite(c); i++)
		c = c * (double)(total - k + i) / (double)i;
	return c;
}

double stats_mwu_min_p(size_t m, size_t n)
{
	if (m == 0 || n == 0)
		return 1;
	return fmin(1.0, 2 / binomial(m, n));
}

size_t stats_mwu_min_samples(double alpha)
{
	size_t k;

	if (!(alpha > 0 && alpha <= 1))
		return 0;
	for (k = 1; !(stats_mwu_min_p(k, k) < alpha); k++)
		;   /* ends: 2 / C(2k, k) reaches 0 once C(2k, k) overflows (k < 600) */
	return k;
}

static int mwu_exact_p(size_t m, size_t n, double u, double *p)
{
	size_t len = m * n + 1, ui = (size_t)u, k;
	double *c = malloc(len * sizeof(*c)), total = 0, tail = 0;
	int rc;

	if (!c)
		return -ENOMEM;
	rc = stats_mwu_counts(m, n, c);
	if (rc) {
		free(c);
		return rc;
	}
	for (k = 0; k < len; k++)
		total += c[k];
	if (u > (double)(m * n) / 2) {
		for (k = len - 1; k >= ui; k--)   /* P(U >= u), from the extreme inwards */
			tail += c[k];
	} else {
		for (k = 0; k <= ui; k++)          /* P(U <= u) */
			tail += c[k];
	}
	free(c);
	*p = fmin(1.0, 2 * tail / total);
	return 0;
}

int stats_mann_whitney(const double *x, size_t m, const double *y, size_t n,
		       enum stats_mwu_method method, struct stats_mwu *out)
{
	struct stats_mwu r;
	struct tagged *t;
	size_t total = m + n, i, j;
	double r1 = 0, tie_sum = 0, mn;
	int exact, rc;

	if (!x || !y || !out || m == 0 || n == 0 || total < m)
		return -EINVAL;
	for (i = 0; i < m; i++)
		if (isnan(x[i]))
			return -EINVAL;
	for (i = 0; i < n; i++)
		if (isnan(y[i]))
			return -EINVAL;
	if (total > (size_t)-1 / sizeof(*t))
		return -ENOMEM;
	t = malloc(total * sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < m; i++)
		t[i] = (struct tagged){ x[i], 1 };
	for (i = 0; i < n; i++)
		t[m + i] = (struct tagged){ y[i], 0 };
	qsort(t, total, sizeof(*t), cmp_tagged);

	memset(&r, 0, sizeof(r));
	/* Mid-ranks: the group t[i..j-1] of equal values shares the rank (i + 1 + j) / 2. */
	for (i = 0; i < total; i = j) {
		size_t nx = 0;
		double g;
		for (j = i; j < total && t[j].v == t[i].v; j++)
			nx += (size_t)t[j].from_x;
		g = (double)(j - i);
		r1 += (double)nx * ((double)(i + 1) + (double)j) / 2;
		if (j - i > 1) {
			r.ties++;
			tie_sum += g * g * g - g;
		}
	}
	free(t);
	mn = (double)m * (double)n;
	r.u = r1 - (double)m * ((double)m + 1) / 2;

	exact = method == STATS_MWU_EXACT ||
		(method == STATS_MWU_AUTO && r.ties == 0 && m <= STATS_MWU_EXACT_MAX &&
		 n <= STATS_MWU_EXACT_MAX);
	if (method == STATS_MWU_EXACT && (r.ties || m > 50 || n > 50))
		return -EDOM;
	if (exact) {
		r.exact = 1;
		rc = mwu_exact_p(m, n, r.u, &r.p);
		if (rc)
			return rc;
	} else {
		double d = r.u - mn / 2, N = (double)total;
		double var = mn / 12 * ((N + 1) - tie_sum / (N * (N - 1)));
		double corr = d > 0 ? 0.5 : d < 0 ? -0.5 : 0;

		if (!(var > 0)) {   /* every value tied: no evidence of any shift */
			r.z = 0;
			r.p = 1;
		} else {
			r.z = (d - corr) / sqrt(var);
			r.p = fmin(1.0, erfc(fabs(r.z) / sqrt(2.0)));
		}
	}
	*out = r;
	return 0;
}

/* ---- Student's t ------------------------------------------------------------------------ */

/* The continued fraction of the regularised incomplete beta function I_x(a, b), evaluated
 * with the modified Lentz method; converges quickly for x < (a + 1) / (a + b + 2). */
static double beta_fraction(double x, double a, double b)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), f;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	f = d;
	for (int m = 1; m <= 1000; m++) {
		double mm = m, num, delta;
		/* the even step d_{2m}, then the odd step d_{2m+1} */
		num = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm));
		d = 1 + num * d;
		c = 1 + num / c;
		d = fabs(d) < tiny ? 1 / tiny : 1 / d;
		if (fabs(c) < tiny)
			c = tiny;
		f *= d * c;
		num = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1));
		d = 1 + num * d;
		c = 1 + num / c;
		d = fabs(d) < tiny ? 1 / tiny : 1 / d;
		if (fabs(c) < tiny)
			c = tiny;
		delta = d * c;
		f *= delta;
		if (fabs(delta - 1) < 1e-15)
			break;
	}
	return f;
}

/* I_x(a, b), x in [0, 1]: the fraction on whichever side of the symmetry
 * I_x(a, b) = 1 - I_{1-x}(b, a) converges. */
static double incomplete_beta(double x, double a, double b)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_fraction(x, a, b) / a;
	return 1 - front * beta_fraction(1 - x, b, a) / b;
}

double stats_t_cdf(double t, double df)
{
	double tail;

	if (isnan(t) || isnan(df) || !(df > 0))
		return NAN;
	if (isinf(t))
		return t > 0 ? 1 : 0;
	/* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
	tail = incomplete_beta(df / (df + t * t), df / 2, 0.5);
	return t > 0 ? 1 - tail / 2 : tail / 2;
}

double stats_t_quantile(double p, double df)
{
	double lo = 0, hi = 1, mid;
	int upper;

	if (!(p > 0 && p < 1) || isnan(df) || !(df > 0))
		return NAN;
	if (p == 0.5)
		return 0;
	upper = p > 0.5;
	if (!upper)
		p = 1 - p;       /* symmetric: solve for the upper quantile, negate */
	while (stats_t_cdf(hi, df) < p && hi < 1e300)
		hi *= 2;
	for (int i = 0; i < 2000 && hi - lo > 1e-12 * hi; i++) {
		mid = lo + (hi - lo) / 2;
		if (stats_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	mid = lo + (hi - lo) / 2;
	return upper ? mid : -mid;
}

int stats_student_t(const double *x, size_t m, const double *y, size_t n, struct stats_ttest *out)
{
	double mx = 0, my = 0, ss = 0;
	struct stats_ttest r;

	if (!x || !y || m < 2 || n < 2)
		return -EINVAL;
	for (size_t i = 0; i < m; i++) {
		if (!isfinite(x[i]))
			return -EINVAL;
		mx += x[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(y[i]))
			return -EINVAL;
		my += y[i];
	}
	mx /= (double)m;
	my /= (double)n;
	for (size_t i = 0; i < m; i++)
		ss += (x[i] - mx) * (x[i] - mx);
	for (size_t i = 0; i < n; i++)
		ss += (y[i] - my) * (y[i] - my);
	r.df = (double)(m + n - 2);
	r.diff = my - mx;
	r.sd = sqrt(ss / r.df);
	r.se = r.sd * sqrt(1.0 / (double)m + 1.0 / (double)n);
	if (r.se > 0) {
		r.t = r.diff / r.se;
		r.p = 2 * stats_t_cdf(-fabs(r.t), r.df);
		if (r.p > 1)
			r.p = 1;
	} else {
		r.t = r.diff == 0 ? 0 : copysign(INFINITY, r.diff);
		r.p = r.diff == 0 ? 1 : 0;
	}
	*out = r;
	return 0;
}

/* ---- the permutation test ----------------------------------------------------------------- */

static double choose(size_t n, size_t k)
{
	double c = 1;

	if (k > n)
		return 0;
	if (k > n - k)
		k = n - k;
	for (size_t i = 1; i <= k; i++)
		c = c * (double)(n - k + i) / (double)i;
	return floor(c + 0.5);
}

double stats_perm_min_p(size_t m, size_t n, size_t max_exact, size_t nperm)
{
	double c = choose(m + n, m);

	if (m == 0 || n == 0)
		return 1;
	/* with equal sizes a split and its mirror are equally extreme */
	if (c <= (double)max_exact)
		return m == n ? (c <= 2 ? 1 : 2 / c) : 1 / c;
	return 1 / (1 + (double)nperm);
}

/* splitmix64: a fixed-seed stream for the random splits, the same on every machine. */
static uint64_t perm_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int stats_perm_test(const double *x, size_t m, const double *y, size_t n, size_t max_exact,
		    size_t nperm, uint64_t seed, struct stats_perm *out)
{
	size_t N = m + n, *c;
	double *v, total = 0, obs, tol, hits = 0, splits = 0, sum;

	if (!x || !y || m == 0 || n == 0)
		return -EINVAL;
	v = malloc(N * sizeof(*v));
	c = malloc(N * sizeof(*c));
	if (!v || !c) {
		free(v);
		free(c);
		return -ENOMEM;
	}
	memcpy(v, x, m * sizeof(*v));
	memcpy(v + m, y, n * sizeof(*v));
	for (size_t i = 0; i < N; i++) {
		if (!isfinite(v[i])) {
			free(v);
			free(c);
			return -EINVAL;
		}
		total += v[i];
	}
	/* the statistic of a split whose first side sums to s: mean(rest) - mean(side) */
#define PERM_DIFF(s) (((total - (s)) / (double)n) - (s) / (double)m)
	sum = 0;
	for (size_t i = 0; i < m; i++)
		sum += v[i];
	obs = fabs(PERM_DIFF(sum));
	tol = 1e-9 * (fabs(total) / (double)N + obs);
	out->exact = choose(N, m) <= (double)max_exact;
	if (out->exact) {
		/* every m-subset of the N positions, in lexicographic order */
		for (size_t i = 0; i < m; i++)
			c[i] = i;
		for (;;) {
			size_t i;
			sum = 0;
			for (i = 0; i < m; i++)
				sum += v[c[i]];
			splits++;
			hits += fabs(PERM_DIFF(sum)) >= obs - tol;
			for (i = m; i > 0 && c[i - 1] == N - m + i - 1; i--)
				;
			if (i == 0)
				break;
			c[i - 1]++;
			for (size_t j = i; j < m; j++)
				c[j] = c[j - 1] + 1;
		}
		out->p = hits / splits;
	} else {
		uint64_t s = seed;
		for (size_t r = 0; r < nperm; r++) {
			/* the first m of a partial Fisher-Yates shuffle are the first side */
			sum = 0;
			for (size_t i = 0; i < m && i < N; i++) {
				size_t j = i + (size_t)(perm_next(&s) % (uint64_t)(N - i));
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				sum += v[i];
			}
			hits += fabs(PERM_DIFF(sum)) >= obs - tol;
		}
		splits = (double)nperm;
		out->p = (1 + hits) / (1 + splits);
	}
#undef PERM_DIFF
	out->splits = splits;
	if (out->p > 1)
		out->p = 1;
	free(v);
	free(c);
	return 0;
}
