/* SPDX-License-Identifier: MIT */
/* derive: statistics and derived figures of a finished cell, and warnings about how far
 * its numbers can be trusted. */
#ifndef CONCBENCH_DERIVE_H
#define CONCBENCH_DERIVE_H

#include "core/cell.h"
#include "measure/run.h"

/* Summary statistics, outliers, CPU utilisation, and against base (the seq run of the same
 * group; r itself for the baseline) speedup, efficiency and Karp-Flatt with >= 95% joint
 * intervals. Figures that are not defined are NAN. */
void derive_run(struct run_result *r, const struct run_result *base);
/* Add to rs the warnings about r's measurement (noise, outliers, start skew, a timed region
 * too short, oversubscription, binding that did not hold, too few samples); pus: the
 * processing units available. */
void derive_run_warnings(struct run_set *rs, const struct run_result *r, unsigned pus);

#endif
