/* SPDX-License-Identifier: MIT */
/* folklore: the verdict rules of `concbench folklore`, one per row of the table, exposed so
 * that they can be tested on documents crafted to sit on either side of each rule. */
#ifndef CONCBENCH_FOLKLORE_H
#define CONCBENCH_FOLKLORE_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The parts, in the order they run; a row reads the documents of the parts it needs. */
enum folklore_part { P_SPAWN, P_FOOTPRINT, P_IPC, P_CRASH, P_CONTEND, P_GIL_CPU, P_GIL_IO,
		     P_CPU, P_IO, P_MEM, P_NPARTS };

/* What a rule decided. */
struct folklore_verdict {
	const char *aspect;           /* the row's: "creation", "memory", ... */
	const char *verdict;          /* holds, does not hold, depends */
	char cond[160];               /* depends: the condition; "" otherwise */
	char msg[512];                /* on failure: the part and the field */
};

/* The number of rows of the table. */
size_t folklore_nrows(void);
/* Apply row's rule to doc[P_NPARTS] (only the parts it reads need be there). Returns 0, or
 * -EINVAL with v->msg naming the part and what its document lacks. */
int folklore_judge(size_t row, cJSON *const *doc, struct folklore_verdict *v);

#endif
