/* SPDX-License-Identifier: MIT */
/* compare_render: the verdicts of report/compare.h for people (an aligned table, or
 * markdown for a pull request) or for programs (JSON, schema concbench-compare/1). */
#ifndef CONCBENCH_COMPARE_RENDER_H
#define CONCBENCH_COMPARE_RENDER_H

#include <stdio.h>

#include "report/compare.h"

/* Print res, judged from the reports base[0 .. res->nbase) and head[0 .. res->nhead), on f
 * in res->opt.format. Returns 0, or -ENOMEM after printing one line on stderr; whether f
 * took the text is the caller's to check. */
int compare_render(FILE *f, const struct cmp_result *res, const struct cmp_report *base,
		   const struct cmp_report *head);

#endif
