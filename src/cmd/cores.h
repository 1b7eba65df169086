/* SPDX-License-Identifier: MIT */
/* cores: what the latency matrix makes of its measured pairs, apart from measuring them, so
 * that the unit tests reach it on crafted matrices. */
#ifndef CONCBENCH_CORES_H
#define CONCBENCH_CORES_H

#include <stddef.h>

/* One measured pair of PUs. */
struct lat_pair {
	int a, b;            /* indexes into the PU list */
	double median, min;  /* ns */
	char level[16];      /* the closest level both PUs share, e.g. "Core", "L3" */
	int same_core;       /* hwloc places both PUs on one core: known SMT siblings */
};

/* A pair far faster than the pairs hwloc places alike: SMT siblings hwloc does not know of
 * (vCPUs that share a physical core). See cores_smt_like_pairs. */
struct smt_like {
	size_t pair;         /* index into the pairs */
	double median_ns;    /* the median of the medians of the pairs at the same level */
};

/* A pair is SMT-like when its median is below this fraction of its level's median. */
#define LAT_SMT_RATIO 0.5

/* The pairs of p[0..n) on different cores whose median is below LAT_SMT_RATIO of the median
 * of every pair sharing the same closest level, in the order of p. out holds n entries;
 * *nout gets how many were found. Returns 0, or -ENOMEM. */
int cores_smt_like_pairs(const struct lat_pair *p, size_t n, struct smt_like *out,
			 size_t *nout);

/* The line the text output prints under the matrix for s, one of the pairs found in pairs
 * (PU OS indexes from pus): "PUs 2 and 3 behave like SMT siblings (...)". */
void cores_smt_text(char *buf, size_t len, const struct lat_pair *pairs, const int *pus,
		    const struct smt_like *s);

#endif
