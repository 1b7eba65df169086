/* SPDX-License-Identifier: MIT */
/* compare: regression verdicts between two reports (`concbench compare BASE.json NEW.json`).
 *
 * Runs are matched by (workload, params, executor, workers, binding); params match as JSON
 * values, whatever the order of their keys. For each pair: the ratio of the medians, the
 * relative change with a >= 95% interval, and a two-sided Mann-Whitney U test on the
 * samples. The verdict of a pair, where "over the threshold" means that the observed
 * change (the ratio of the medians) is larger than the threshold either way:
 *   - `insufficient`: the sample sizes can never reach p < alpha (nothing is tested);
 *   - `regressed` / `improved`: significant (p < alpha, or Holm's step-down) and over the
 *     threshold, worse / better;
 *   - `inconclusive`: over the threshold but not significant: more samples can settle it;
 *   - `unchanged`: within the threshold, significant or not.
 *
 * Exit status of the command: 0 no regression, 1 at least one regression or a verdict
 * named by --fail-on (inconclusive, insufficient, or missing: a run on one side only),
 * 2 bad usage or input (a file missing, too large, not JSON, another schema, a malformed
 * run, no run in common), 3 out of memory or the output could not be written. Reports are
 * read with cJSON only, never by hand. */
#ifndef CONCBENCH_COMPARE_H
#define CONCBENCH_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "measure/stats.h"
#include "report/reportload.h"

#define COMPARE_MAX_FILE ((size_t)64 << 20)   /* larger files are rejected unread */

enum cmp_metric {
	CMP_MEDIAN_S,       /* samples_s: lower is better */
	CMP_THROUGHPUT,     /* throughput.value * median_s / samples_s[i]: higher is better */
};

enum cmp_verdict { CMP_UNCHANGED, CMP_REGRESSED, CMP_IMPROVED, CMP_INSUFFICIENT, CMP_INCONCLUSIVE,
		   CMP_NVERDICTS };

/* What else than a regression makes the command exit 1 (--fail-on), bits. */
enum cmp_fail_on {
	CMP_FAIL_INCONCLUSIVE = 1 << 0,
	CMP_FAIL_INSUFFICIENT = 1 << 1,
	CMP_FAIL_MISSING = 1 << 2,    /* a run in one report only */
};

enum cmp_format { CMP_FORMAT_TABLE, CMP_FORMAT_MARKDOWN, CMP_FORMAT_JSON };

struct cmp_options {
	double threshold;         /* a fraction: 0.05 is the default 5% */
	double alpha;             /* significance level of each test, 0.01 by default */
	enum cmp_metric metric;
	int holm;                 /* Holm-Bonferroni step-down over all the tests */
	unsigned fail_on;         /* enum cmp_fail_on bits; 0: only a regression fails */
	enum cmp_format format;   /* of compare_print */
};

/* One run of a loaded report; the strings and params point into the report's document. */
struct cmp_run {
	const cJSON *obj;
	size_t index;             /* position in "runs" */
	const char *workload, *executor, *binding;
	unsigned workers;
	const cJSON *params;
	double *samples;          /* samples_s, seconds */
	size_t n;
	char *key;                /* canonical JSON of the match key (params' keys sorted) */
};

struct cmp_report {
	const char *path;         /* as given, for messages */
	cJSON *doc;
	struct cmp_run *runs;
	size_t nruns;
	const struct cmp_run **sorted;   /* the runs ordered by key */
	struct report_run_codes warn;    /* the codes of each run's warnings */
};

struct cmp_row {
	const struct cmp_run *base, *head;
	double *xb, *xh;                 /* the metric's samples (per-sample throughput or s) */
	const char *unit;                /* of the metric: "s" or the run's throughput unit */
	double base_median, head_median; /* of the metric; NaN without samples */
	double ratio, change;            /* head / base, and ratio - 1 */
	int has_ci;                      /* 0 when a side has too few samples for the interval */
	double ci_lo, ci_hi;             /* >= 95% interval of change */
	int tested;                      /* 0 when insufficient */
	struct stats_mwu mwu;            /* U of the base samples; p two-sided */
	int significant;                 /* p < alpha, or Holm's step-down rejected it */
	enum cmp_verdict verdict;
	size_t need;                     /* samples per side needed to reach alpha */
};

struct cmp_result {
	struct cmp_options opt;
	struct cmp_row *rows;            /* in the base report's order */
	size_t nrows;
	const struct cmp_run **only_base, **only_head;
	size_t nonly_base, nonly_head;
	size_t count[CMP_NVERDICTS];
	size_t tests;                    /* rows that ran a test (not insufficient) */
	char hosts[600];                 /* host facts that differ, "" when none */
};

/* Read, parse and check one report. Returns 0, or a negative errno after printing one line
 * "concbench: compare: 'PATH': ..." on stderr. compare_report_release accepts a report
 * that failed to load or was zero-initialised. */
int compare_load(const char *path, struct cmp_report *rep);
void compare_report_release(struct cmp_report *rep);

/* Match the runs of two loaded reports and judge every pair. Returns 0, -ENOENT when no
 * run is in common, -EINVAL when a run lacks what the metric needs, -ENOMEM (each after
 * printing one line). Release *res with compare_result_release, also after a failure. */
int compare_reports(const struct cmp_report *base, const struct cmp_report *head,
		    const struct cmp_options *opt, struct cmp_result *res);
void compare_result_release(struct cmp_result *res);

const char *compare_verdict_name(enum cmp_verdict v);

/* The exit status that a judged result calls for: 1 when a run regressed or a verdict
 * named by res->opt.fail_on is present, else 0. */
int compare_exit_status(const struct cmp_result *res);

/* Judge two loaded reports and print the verdicts on f in opt->format. Returns the exit
 * status: 0 or 1 as compare_exit_status, 2 when the reports cannot be compared (no run in
 * common, a run without what the metric needs), 3 when memory runs out or f cannot be
 * written; each failure after one line on stderr. */
int compare_print(FILE *f, const struct cmp_report *base, const struct cmp_report *head,
		  const struct cmp_options *opt);

/* `concbench compare`: argv[0] = "concbench", argv[1] = "compare". Returns the exit status. */
int cmd_compare(int argc, char **argv);

#endif
