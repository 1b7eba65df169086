/* SPDX-License-Identifier: MIT */
/* changepoint-sim: how often `history check`'s change-point search (measure/changepoint.c)
 * finds a change in synthetic series: flat ones (false changes) and ones with a step at a
 * known commit (detection), under Gaussian noise of a given CV. Not part of `make test`.
 *
 *   build/bench/changepoint-sim TRIALS COMMITS PER_COMMIT STEP_AT STEP CV [ALPHA]
 *   e.g. build/bench/changepoint-sim 2000 20 3 12 0.10 0.08 0.01
 *
 * STEP 0 gives flat series. Seeded: the same arguments print the same figures. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "measure/changepoint.h"

#define SIM_MAX 1000   /* values in one series */

static uint64_t sim_state = 12345;

static double sim_uniform(void)
{
	sim_state += 0x9e3779b97f4a7c15ULL;
	return ((double)(mix64(sim_state) >> 11) + 0.5) / 9007199254740992.0;
}

static double sim_gauss(void)
{
	return sqrt(-2 * log(sim_uniform())) * cos(2 * M_PI * sim_uniform());
}

int main(int argc, char **argv)
{
	static double x[SIM_MAX];
	static size_t cand[SIM_MAX];
	int trials, ncommit, per, at, n, any = 0, right = 0;
	double step, cv, alpha;

	if (argc < 7 || argc > 8) {
		fprintf(stderr, "usage: changepoint-sim TRIALS COMMITS PER_COMMIT STEP_AT STEP CV [ALPHA]\n");
		return 2;
	}
	trials = atoi(argv[1]);
	ncommit = atoi(argv[2]);
	per = atoi(argv[3]);
	at = atoi(argv[4]);
	step = atof(argv[5]);
	cv = atof(argv[6]);
	alpha = argc > 7 ? atof(argv[7]) : 0.01;
	n = ncommit * per;
	if (trials < 1 || ncommit < 2 || per < 1 || n > SIM_MAX || at < 1 || at > ncommit ||
	    !(cv >= 0) || !(alpha > 0 && alpha < 1)) {
		fprintf(stderr, "changepoint-sim: expected TRIALS >= 1, 2 <= COMMITS, COMMITS x "
			"PER_COMMIT <= %d, 1 <= STEP_AT <= COMMITS, CV >= 0, 0 < ALPHA < 1\n", SIM_MAX);
		return 2;
	}
	/* changes fall only between commits, as in `history check` */
	for (int c = 1; c < ncommit; c++)
		cand[c - 1] = (size_t)(c * per);
	for (int t = 0; t < trials; t++) {
		struct cp_change ch[CP_MAX_CHANGES];
		size_t nc = 0;

		for (int i = 0; i < n; i++)
			x[i] = (i / per + 1 >= at ? 1 + step : 1) * (1 + cv * sim_gauss());
		if (cp_search(x, (size_t)n, cand, (size_t)ncommit - 1, alpha, cp_perms_for(alpha),
			      1 + (uint64_t)t, ch, &nc) < 0) {
			fprintf(stderr, "changepoint-sim: the search failed\n");
			return 3;
		}
		any += nc > 0;
		for (size_t k = 0; k < nc; k++)
			if (ch[k].at == (size_t)((at - 1) * per)) {
				right++;
				break;
			}
	}
	printf("alpha %g, trials %d, %d commits x %d, step %+.0f%% at commit %d, cv %.0f%%: any "
	       "change %d (%.1f%%), at the planted commit %d (%.1f%%)\n", alpha, trials, ncommit,
	       per, step * 100, at, cv * 100, any, 100.0 * any / trials, right,
	       100.0 * right / trials);
	return 0;
}
