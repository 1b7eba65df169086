/* SPDX-License-Identifier: MIT */
/* compare_render: the verdicts of report/compare.h for people (an aligned table, or
 * markdown for a pull request) or for programs (JSON, schema concbench-compare/1). */
#ifndef CONCBENCH_COMPARE_RENDER_H
#define CONCBENCH_COMPARE_RENDER_H

#include <stdio.h>

#include "report/compare.h"
#include "report/noise.h"

/* Print res, judged from the reports base[0 .. res->nbase) and head[0 .. res->nhead), on f
 * in res->opt.format. Returns 0, or -ENOMEM after printing one line on stderr; whether f
 * took the text is the caller's to check. */
int compare_render(FILE *f, const struct cmp_result *res, const struct cmp_report *base,
		   const struct cmp_report *head);

/* Print a calibration of n reports (report/noise.h): a table, or in JSON format doc (the
 * noise file). Returns 0, or -ENOMEM after one line. */
int compare_render_calibration(FILE *f, const struct cmp_options *opt,
			       const struct noise_calibration *cal, size_t n, const cJSON *doc);

#endif
