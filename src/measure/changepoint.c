/* SPDX-License-Identifier: MIT */
/* changepoint: E-divisive means with a permutation test. The statistic of every candidate
 * split of a segment comes from running sums in O(n^2), so that each permutation costs one
 * pass over the pairs, not one per candidate. */
#include "measure/changepoint.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Q of every split tau in [1, n) of v[0..n) into q[tau] (q[0] unused). */
static void divergences(const double *v, size_t n, double *q)
{
	double total = 0, cum = 0, wl = 0;
	double *row = q;     /* q doubles as the row sums until each q[tau] is written */

	for (size_t i = 0; i < n; i++) {
		double s = 0;
		for (size_t j = 0; j < n; j++)
			s += fabs(v[i] - v[j]);
		row[i] = s;
		total += s;
	}
	total /= 2;
	for (size_t tau = 1; tau < n; tau++) {
		double m = (double)tau, k = (double)(n - tau), b, wr, e, add = 0;
		cum += row[tau - 1];
		/* wl gains the pairs of v[tau - 1] with the ones before it */
		for (size_t i = 0; i + 1 < tau; i++)
			add += fabs(v[i] - v[tau - 1]);
		wl += add;
		b = cum - 2 * wl;
		wr = total - wl - b;
		e = 2 * b / (m * k);
		if (tau >= 2)
			e -= wl / (m * (m - 1) / 2);
		if (n - tau >= 2)
			e -= wr / (k * (k - 1) / 2);
		q[tau - 1] = m * k / (double)n * e;   /* row[tau - 1] is no longer needed */
	}
	/* shift: q[tau] for tau in [1, n) */
	memmove(q + 1, q, (n - 1) * sizeof(*q));
}

double cp_divergence(const double *x, size_t n, size_t tau)
{
	double *q, r;
	if (!x || n < 2 || tau == 0 || tau >= n)
		return NAN;
	q = malloc(n * sizeof(*q));
	if (!q)
		return NAN;
	divergences(x, n, q);
	r = q[tau];
	free(q);
	return r;
}

/* The best allowed split of v[0..n): the candidates c[0..nc) (relative, ascending) with at
 * least CP_MIN_SIDE observations each side. Returns its index or 0 (none); *best its Q. */
static size_t best_split(const double *v, size_t n, const size_t *c, size_t nc, double *q,
			 double *best)
{
	size_t at = 0;
	*best = -INFINITY;
	if (n < 2 * CP_MIN_SIDE)
		return 0;
	divergences(v, n, q);
	for (size_t i = 0; i < nc; i++) {
		size_t tau = c[i];
		if (tau < CP_MIN_SIDE || n - tau < CP_MIN_SIDE)
			continue;
		if (q[tau] > *best) {
			*best = q[tau];
			at = tau;
		}
	}
	return at;
}

/* Uniform index below n from a counter-based generator: the same seed, the same order. */
static size_t draw(uint64_t *state, size_t n)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return (size_t)(mix64(*state) % n);
}

unsigned cp_perms_for(double alpha)
{
	double p = alpha > 0 ? ceil(10 / alpha) - 1 : 9999;
	return p < 199 ? 199 : p > 9999 ? 9999 : (unsigned)p;
}

struct seg {
	size_t lo, hi;
};

int cp_search(const double *x, size_t n, const size_t *cand, size_t ncand, double alpha,
	      unsigned perms, uint64_t seed, struct cp_change *out, size_t *nout)
{
	struct seg segs[CP_MAX_CHANGES + 1];
	size_t nseg = 1, nfound = 0, *rel = NULL;
	double *q = NULL, *perm = NULL;
	int rc = 0;

	if (!x || !out || !nout || (ncand && !cand) || n > CP_MAX_OBS || !(alpha > 0) ||
	    alpha >= 1 || perms == 0)
		return -EINVAL;
	*nout = 0;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	for (size_t i = 1; i < ncand; i++)
		if (cand[i] <= cand[i - 1])
			return -EINVAL;
	if (n < 2 * CP_MIN_SIDE || !ncand)
		return 0;
	q = malloc(n * sizeof(*q));
	perm = malloc(n * sizeof(*perm));
	rel = malloc(ncand * sizeof(*rel));
	if (!q || !perm || !rel) {
		rc = -ENOMEM;
		goto out;
	}
	segs[0] = (struct seg){ 0, n };
	while (nfound < CP_MAX_CHANGES) {
		size_t pick = 0, tau = 0, len, nrel, exceed = 0, need, done;
		double stat = -INFINITY;
		uint64_t state = seed ^ mix64(nfound + 1);

		/* the segment whose best split diverges most */
		for (size_t s = 0; s < nseg; s++) {
			double b;
			size_t t, nr = 0;
			len = segs[s].hi - segs[s].lo;
			for (size_t i = 0; i < ncand; i++)
				if (cand[i] > segs[s].lo && cand[i] < segs[s].hi)
					rel[nr++] = cand[i] - segs[s].lo;
			t = best_split(x + segs[s].lo, len, rel, nr, q, &b);
			if (t && b > stat) {
				stat = b;
				tau = t;
				pick = s;
			}
		}
		if (!tau)
			break;
		len = segs[pick].hi - segs[pick].lo;
		nrel = 0;
		for (size_t i = 0; i < ncand; i++)
			if (cand[i] > segs[pick].lo && cand[i] < segs[pick].hi)
				rel[nrel++] = cand[i] - segs[pick].lo;
		/* How often a shuffle of the segment splits as well as the data do; the test
		 * stops once the count alone puts p at alpha or above. */
		need = (size_t)ceil(alpha * (perms + 1.0));
		memcpy(perm, x + segs[pick].lo, len * sizeof(*perm));
		for (done = 0; done < perms && exceed + 1 < need; done++) {
			double b;
			for (size_t i = len - 1; i > 0; i--) {
				size_t j = draw(&state, i + 1);
				double t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
			best_split(perm, len, rel, nrel, q, &b);
			/* a relative tolerance: equal splits computed in another order */
			if (b >= stat - 1e-12 * fabs(stat))
				exceed++;
		}
		if (exceed + 1 >= need)
			break;     /* p >= alpha: the search ends here */
		out[nfound++] = (struct cp_change){ segs[pick].lo + tau,
						    (double)(exceed + 1) / (perms + 1.0), stat };
		segs[nseg] = (struct seg){ segs[pick].lo + tau, segs[pick].hi };
		segs[pick].hi = segs[pick].lo + tau;
		nseg++;
	}
	/* index order */
	for (size_t i = 1; i < nfound; i++)
		for (size_t j = i; j > 0 && out[j].at < out[j - 1].at; j--) {
			struct cp_change t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	*nout = nfound;
out:
	free(q);
	free(perm);
	free(rel);
	return rc;
}
