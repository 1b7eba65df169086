/* SPDX-License-Identifier: MIT */
/* compare: the command `concbench compare BASE.json NEW.json`: loads the reports, judges
 * them with report/compare.h and prints the verdicts with report/compare_render.h.
 *
 * Exit status of the command: 0 no regression, 1 at least one regression or a verdict
 * named by --fail-on (inconclusive, insufficient, or missing: a run on one side only),
 * 2 bad usage or input (a file missing, too large, not JSON, another schema, a malformed
 * run, no run in common), 3 out of memory or the output could not be written. Reports are
 * read with cJSON only, never by hand. */
#ifndef CONCBENCH_CMD_COMPARE_H
#define CONCBENCH_CMD_COMPARE_H

#include <stdio.h>

#include "report/compare.h"

/* Read, parse and check one report (report/reportload.h) and index its runs. Returns 0,
 * or a negative errno after printing one line "concbench: compare: 'PATH': ..." on stderr.
 * compare_report_release accepts a report that failed to load or was zero-initialised. */
int compare_load(const char *path, struct cmp_report *rep);

/* Judge two loaded reports and print the verdicts on f in opt->format. Returns the exit
 * status: 0 or 1 as compare_exit_status, 2 when the reports cannot be compared (no run in
 * common, a run without what the metric needs), 3 when memory runs out or f cannot be
 * written; each failure after one line on stderr. */
int compare_print(FILE *f, const struct cmp_report *base, const struct cmp_report *head,
		  const struct cmp_options *opt);

/* compare_print with several reports per side, one per invocation (compare_sides). */
int compare_print_sides(FILE *f, const struct cmp_report *base, size_t nbase,
			const struct cmp_report *head, size_t nhead, const struct cmp_options *opt);

/* `concbench compare`: argv[0] = "concbench", argv[1] = "compare". Returns the exit status. */
int cmd_compare(int argc, char **argv);

#endif
