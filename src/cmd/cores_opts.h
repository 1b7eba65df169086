/* SPDX-License-Identifier: MIT */
/* cores_opts: the options of `concbench cores`, where cmd/options.c's table puts them
 * (a header alone, so that the table and the command both include it). */
#ifndef CONCBENCH_CORES_OPTS_H
#define CONCBENCH_CORES_OPTS_H

#include "core/executor.h"
#include "core/workload.h"

#define CORES_DEFAULT_REPS 7
#define CORES_DEFAULT_WARMUP 1
#define LAT_DEFAULT_BATCHES 7

struct cores_opts {
	const struct workload *wl;
	struct wl_params params;
	const char *size_arg;
	const struct executor *ex;
	int latency;
	unsigned reps, warmup;
	unsigned handoffs, batches;
	int json;
	const char *output;
	const char *ex_name;            /* --executor as given: checked against --latency */
	int handoffs_set;               /* --handoffs was given */
	const char *topology;           /* --topology (loaded as it is read) */
};

#endif
