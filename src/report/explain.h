/* SPDX-License-Identifier: MIT */
/* explain: why one executor beat another, from what a report measured.
 *
 * For each group of runs (a workload with its params), at the largest worker count, the
 * fastest and the slowest executor are compared: the gap (ratio of median_s) and the
 * measurements of the two runs that differ most (rusage, start skew, worker imbalance,
 * observed PUs, and the perf counters when the report has them). A measurement counts only
 * when it differs by EXPLAIN_MIN_RATIO or more and is above its floor; an interpretation is
 * added only where its rule's pattern holds (the table in explain.c). Findings are data;
 * explain_print says them in sentences, explain_json as JSON. */
#ifndef CONCBENCH_EXPLAIN_H
#define CONCBENCH_EXPLAIN_H

#include <stdio.h>

#include <cjson/cJSON.h>

#define EXPLAIN_MIN_RATIO 1.5       /* a measurement differs when one is this much the other */
#define EXPLAIN_WITHIN 0.05         /* a gap below this (5%) is "within" */
#define EXPLAIN_MAX_EVIDENCE 24       /* every measurement explain reads */
#define EXPLAIN_SHOWN 3             /* a sentence names this many, and what a clause rests on */
#define EXPLAIN_MAX_CLAUSES 4
#define EXPLAIN_MAX_RUN 1048575     /* --run's range: larger indices are refused unread */

/* One measurement of both runs. ratio: the larger over the smaller (INFINITY when the
 * smaller is 0); a and b are the values of the finding's runs a and b. */
struct explain_evidence {
	const char *name;           /* the report's field: "sys_s", "minflt", "ipc"... */
	const char *what;           /* in words: "system time" */
	int is_time;                /* seconds */
	double a, b, ratio;
};

/* Run a is the faster (smaller median_s), run b the slower. */
struct explain_finding {
	char group[96];             /* "mem touch" */
	long run_a, run_b;          /* indices into the report's runs */
	const char *executor_a, *executor_b;   /* point into the document */
	unsigned workers_a, workers_b;
	double median_a, median_b;
	double ratio;               /* median_b / median_a, >= 1 */
	int overlap;                /* their 95% intervals of the median overlap */
	size_t nevidence;           /* largest ratio first */
	struct explain_evidence evidence[EXPLAIN_MAX_EVIDENCE];
	/* A measurement that is the same in both runs where a rule rests on that (else NULL
	 * name), said after evidence[same_after]. */
	struct explain_evidence same;
	size_t same_after;
	size_t nclauses;
	const char *clauses[EXPLAIN_MAX_CLAUSES];
};

struct explain_set {
	struct explain_finding *items;
	size_t n;
};

/* The findings of doc (a report that report_parse accepted). run < 0: one per group, at
 * its largest worker count, best against worst executor (against seq when only one
 * executor ran there). run >= 0: runs[run] against its group's seq baseline and each
 * other executor with the same workers. Returns 0, -ERANGE (run is not a run of doc) or
 * -ENOMEM; release with explain_set_free (also after a failure). */
int explain_report(const cJSON *doc, long run, struct explain_set *out);
void explain_set_free(struct explain_set *s);

/* One sentence per finding, each line starting with indent. */
void explain_print(FILE *f, const struct explain_set *s, const char *indent);
/* The sentence of one finding into buf (no indent, no newline). */
void explain_sentence(const struct explain_finding *x, char *buf, size_t len);
/* The `why` block after one table of a run: "  why:" and the indented sentences about the
 * group of group_run (nothing when it has no two runs to compare). Returns 0 or -ENOMEM. */
int explain_why(FILE *f, const cJSON *doc, const cJSON *group_run);
/* The findings as a JSON array (each with its sentence); NULL when memory runs out. */
cJSON *explain_json(const struct explain_set *s);

#endif
