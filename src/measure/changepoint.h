/* SPDX-License-Identifier: MIT */
/* changepoint: where a series of measurements changed level, by E-divisive means (Matteson
 * and James 2014, the method of MongoDB's performance CI) with a seeded permutation test.
 *
 * Pure: no I/O, no global state; the same input and seed give the same answer. The
 * observations are in time order; a change may only fall at one of the given candidate
 * indexes (in concbench's history: the first invocation of a commit), so that several
 * invocations of one commit are never split apart. */
#ifndef CONCBENCH_CHANGEPOINT_H
#define CONCBENCH_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

#define CP_MAX_OBS 1000         /* observations one search takes (O(n^2) per permutation) */
#define CP_MAX_CHANGES 32       /* changes one search reports at most */
#define CP_MIN_SIDE ((size_t)2) /* observations on each side of a change, at least */

struct cp_change {
	size_t at;                  /* index of the first observation after the change */
	double p;                   /* permutation p-value of the split when it was found */
	double stat;                /* the divergence statistic Q of the split */
};

/* The divergence statistic of splitting x[0..n) before index tau (alpha = 1):
 * Q = m k / n * (2/(m k) sum|x_i - y_j| - 1/C(m,2) sum|x_i - x_i'| - 1/C(k,2) sum|y_j - y_j'|)
 * with m = tau and k = n - tau (a within term of one observation is 0). NAN when tau is 0
 * or n. Exposed for tests. */
double cp_divergence(const double *x, size_t n, size_t tau);

/* Find the changes of x[0..n) (n <= CP_MAX_OBS, every value finite). cand[0..ncand) are the
 * indexes where a change may fall, ascending. Hierarchical: the best split of the segment
 * with the largest statistic is tested by `perms` permutations of that segment's values
 * (seeded, deterministic); significant (p < alpha) splits are kept and the search goes on
 * in the parts, and it stops at the first that is not. out[0..*nout) gets the changes in
 * index order. Returns 0, -EINVAL (bad arguments), -ENOMEM. */
int cp_search(const double *x, size_t n, const size_t *cand, size_t ncand, double alpha,
	      unsigned perms, uint64_t seed, struct cp_change *out, size_t *nout);

/* Permutations for a significance level: enough that p can fall well below alpha
 * (about 10 / alpha), from 199 to 9999. */
unsigned cp_perms_for(double alpha);

#endif
