/* SPDX-License-Identifier: MIT */
/* contend_opts: the options of `concbench contend`, where cmd/options.c's table puts them
 * (a header alone, so that the table and the command both include it). */
#ifndef CONCBENCH_CONTEND_OPTS_H
#define CONCBENCH_CONTEND_OPTS_H

#include <stdint.h>

/* The layouts, in the order they are measured and shown; their names are those of the
 * contend workload's "layout" choices. */
enum contend_layout { CONTEND_PACKED, CONTEND_PADDED, CONTEND_ATOMIC, CONTEND_MUTEX,
		      CONTEND_NLAYOUTS };

#define CONTEND_DEFAULT_INCREMENTS 1000000ULL
#define CONTEND_MAX_INCREMENTS 1000000000ULL
#define CONTEND_DEFAULT_WORKERS 2
#define CONTEND_DEFAULT_REPS 10
#define CONTEND_DEFAULT_WARMUP 1

struct contend_opts {
	unsigned workers;
	const char *ex_arg;             /* --executor as given: a comma list, checked later */
	unsigned layouts;               /* bit 1 << enum contend_layout; 0: all */
	uint64_t increments;            /* per worker and repetition */
	unsigned reps, warmup;
	const char *bind_arg;           /* NULL: compact */
	int json;
	const char *output;
};

#endif
