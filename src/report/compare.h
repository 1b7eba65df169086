/* SPDX-License-Identifier: MIT */
/* compare (engine): regression verdicts between two reports, nothing printed but errors.
 *
 * Runs are matched by (workload, params, executor, workers, binding, and the variant: a
 * thread run under --gil, a loop that fell back to epoll); params match as JSON values,
 * whatever the order of their keys. Two modes:
 *   - one report a side (samples): the ratio of the medians, the relative change with a
 *     >= 95% interval, and a two-sided Mann-Whitney U test on the samples of the one
 *     invocation. The samples share the machine's state, so the false-alarm rate of this
 *     mode is unknown (the result says so).
 *   - several reports a side (invocations, the gate): each invocation contributes one
 *     value per run, the log of its median; the change is the ratio of the geometric means
 *     and the test a permutation test of the mean logs (exact up to 200000 splits), with
 *     Holm's step-down over the runs always (family-wise alpha). The smallest change detectable with 90% probability is stated
 *     per run, from the noise file (--noise) where it has the run, else from the observed
 *     spread; with a noise file the threshold used is at least the change that noise alone
 *     reaches at the family-wise level.
 * The verdict of a pair, where "over the threshold" means that the observed change is
 * larger than the threshold (the one used) either way:
 *   - `insufficient`: the sizes can never reach p < alpha (nothing is tested);
 *   - `regressed` / `improved`: significant (p < alpha, or Holm's step-down) and over the
 *     threshold, worse / better;
 *   - `inconclusive`: over the threshold but not significant: more samples can settle it;
 *     or (invocations) within it, but the detectable change is over the threshold;
 *   - `unchanged`: within the threshold, significant or not (invocations: and the
 *     detectable change at most the threshold).
 * The verdict never depends on the order of the runs or of the params' keys.
 * report/compare_render.h prints a result; cmd/compare.c is the command. */
#ifndef CONCBENCH_REPORT_COMPARE_H
#define CONCBENCH_REPORT_COMPARE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "measure/stats.h"
#include "report/reportload.h"

#define COMPARE_MAX_FILE ((size_t)64 << 20)   /* larger files are rejected unread */
#define CMP_MAX_INVOCATIONS 1000              /* reports on one side */

enum cmp_metric {
	CMP_MEDIAN_S,       /* samples_s: lower is better */
	CMP_THROUGHPUT,     /* throughput.value * median_s / samples_s[i]: higher is better */
	CMP_SPEEDUP,        /* the same invocation's seq run's median over samples_s[i]: higher
			     * is better; seq runs themselves are not judged */
	CMP_INSTRUCTIONS,   /* counters.instructions per item, the same for every sample */
	CMP_CYCLES,         /* counters.cycles per item, likewise */
	CMP_NMETRICS
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
	const char *labels;       /* --labels BASE,NEW (checked), or NULL */
	const struct cmp_noise *noise;   /* --noise, loaded (report/noise.h), or NULL */
	const char *noise_path;   /* --noise FILE as given */
	int calibrate;            /* --calibrate: the reports are A/A invocations of one build */
	double detect;            /* --detect: a fraction, 0 when not given */
	unsigned max_invocations; /* --max-invocations, for --detect */
	const char *output;       /* --output: where --calibrate writes the noise file */
};

/* One run of a loaded report; the strings and params point into the report's document. */
struct cmp_run {
	const cJSON *obj;
	size_t index;             /* position in "runs" */
	const char *workload, *executor, *binding;
	/* What makes a run of one executor another experiment: "+gil" (a thread run under
	 * --gil), "(epoll)" (an event loop that fell back from io_uring), else "". Part of the
	 * match key, so that such runs are never judged against the plain ones. */
	char variant[24];
	unsigned workers;
	const cJSON *params;
	double *samples;          /* samples_s, seconds */
	size_t n;
	char *key;                /* canonical JSON of the match key (params' keys sorted) */
	const char *const *codes; /* the codes of the report's warnings about this run */
	size_t ncodes;
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
	double *xb, *xh;                 /* the values tested: the metric's samples (per-sample
					  * throughput or s), or per invocation their median */
	size_t nb, nh;                   /* how many: samples, or invocations when pooled */
	const char *unit;                /* of the metric: "s" or the run's throughput unit */
	double base_median, head_median; /* of the metric; NaN without samples */
	double ratio, change;            /* head / base, and ratio - 1 */
	int has_ci;                      /* 0 when a side has too few samples for the interval */
	double ci_lo, ci_hi;             /* >= 95% interval of change */
	int tested;                      /* 0 when insufficient */
	struct stats_mwu mwu;            /* samples: U of the base samples; p two-sided */
	struct stats_ttest tt;           /* invocations: t on the logs, head - base (the
					  * spread, the interval; p from the permutations) */
	double p;                        /* of the test that ran */
	int p_exact;                     /* invocations: every split counted */
	double base_center, head_center; /* shown: medians (samples) or geometric means */
	double detectable;               /* invocations: the change detected with 90%
					  * probability at the family-wise level; NaN unknown */
	int power_from_noise;            /* 1: detectable and floor use the noise file's SD */
	double floor;                    /* noise file: the change noise alone reaches; NaN */
	double threshold_used;           /* max(threshold, floor) */
	int underpowered;                /* inconclusive because detectable > threshold */
	int significant;                 /* p < alpha, or Holm's step-down rejected it */
	enum cmp_verdict verdict;
	size_t need;                     /* samples per side needed to reach alpha */
};

struct cmp_result {
	struct cmp_options opt;
	size_t nbase, nhead;             /* reports (invocations) per side */
	int pooled;                      /* a side has several: rows test invocation medians */
	int family;                      /* Holm's step-down applied (--holm, or pooled) */
	double detectable_max;           /* the largest detectable change of a tested row; NaN */
	int power_noise, power_observed; /* rows whose power came from the noise file / not */
	size_t raised;                   /* rows whose threshold the noise file raised */
	struct cmp_row *rows;            /* in the base report's order */
	size_t nrows;
	const struct cmp_run **only_base, **only_head;
	size_t nonly_base, nonly_head;
	size_t count[CMP_NVERDICTS];
	size_t tests;                    /* rows that ran a test (not insufficient) */
	char hosts[600];                 /* host facts that differ, "" when none */
};

/* A loaded noise file (report/noise.h loads it): per run key, the SD of the logs of the
 * invocation medians of an A/A calibration. */
struct cmp_noise_run {
	char *key;              /* compare's canonical match key */
	double sd_log;
	size_t n;               /* invocations it comes from */
};

struct cmp_noise {
	const char *path;
	cJSON *doc;
	enum cmp_metric metric;
	struct cmp_noise_run *runs;   /* sorted by key (strcmp) */
	size_t nruns;
};

/* The entry of this match key, or NULL. */
const struct cmp_noise_run *compare_noise_find(const struct cmp_noise *n, const char *key);

/* Index the runs of doc, a document that report_load or report_parse accepted, into *rep,
 * which then owns doc (also after a failure). Returns 0, or -EINVAL when two runs have the
 * same key, -ENOMEM, each after printing one line "concbench: compare: 'PATH': ...".
 * compare_report_release accepts a report that failed to index or was zero-initialised. */
int compare_index(const char *path, cJSON *doc, struct cmp_report *rep);
void compare_report_release(struct cmp_report *rep);

/* Match the runs of two loaded reports and judge every pair. Returns 0, -ENOENT when no
 * run is in common, -EINVAL when a run lacks what the metric needs, -ENOMEM (each after
 * printing one line). Release *res with compare_result_release, also after a failure. */
int compare_reports(const struct cmp_report *base, const struct cmp_report *head,
		    const struct cmp_options *opt, struct cmp_result *res);

/* compare_reports with several reports per side, one per invocation (nbase, nhead >= 1).
 * With more than one on either side the comparison is pooled: a run's values on each side
 * are the medians of its invocations (those that have the run), and the change, its
 * interval and the test are computed on them; the base side's first report names the
 * rows, and host differences are those of the first report of each side. With one report
 * a side it is compare_reports. */
int compare_sides(const struct cmp_report *base, size_t nbase, const struct cmp_report *head,
		  size_t nhead, const struct cmp_options *opt, struct cmp_result *res);
void compare_result_release(struct cmp_result *res);

const char *compare_verdict_name(enum cmp_verdict v);

/* What a comparison's verdicts rest on, one line: "invocation medians (k=5 vs 5), log-scale
 * Student t, Holm over 21 runs at family-wise alpha 0.01" or, with one report a side,
 * "samples of one invocation a side, two-sided Mann-Whitney U ...". */
void compare_method(const struct cmp_result *res, char *buf, size_t len);

/* The metric's name as --metric spells it, and whether higher is better. */
const char *compare_metric_name(enum cmp_metric m);
int compare_higher_is_better(enum cmp_metric m);

/* The values of the run with this key in each of the nreps reports that have it, one per
 * invocation: the median of the metric's samples (never its log). *out is malloc'd, *n
 * counts them. Returns 0, -EINVAL (a run lacks what the metric needs, said), -ENOMEM. */
int compare_invocation_values(const struct cmp_report *reps, size_t nreps, const char *key,
			      enum cmp_metric m, double **out, size_t *n, const char **unit);

/* The smallest p the invocation test can give at these sizes (stats_perm_min_p). */
double compare_min_p(size_t nb, size_t nh);

/* The change detected with probability 0.9 at level alpha_each, nb against nh log values
 * of standard deviation sd, by the t approximation of the permutation test:
 * expm1((t_{1-alpha_each/2} + t_{0.9}) sd sqrt(1/nb + 1/nh)), df = nb + nh - 2; INFINITY
 * when the test's smallest p is not under alpha_each; NaN when nb or nh is below 2. */
double compare_detectable(double sd, size_t nb, size_t nh, double alpha_each);

/* The change that noise of sd alone reaches at level alpha_each, nb against nh:
 * expm1(t_{1-alpha_each/2} sd sqrt(1/nb + 1/nh)); NaN below 2 a side. */
double compare_noise_floor(double sd, size_t nb, size_t nh, double alpha_each);

/* The least k in [2, max] invocations a side whose detectable change at level alpha_each
 * is at most detect for this sd; 0 when none is. */
unsigned compare_invocations_needed(double sd, double alpha_each, double detect, unsigned max);

/* The verdicts in the order of the summary line and the JSON summary. */
extern const enum cmp_verdict compare_verdict_order[CMP_NVERDICTS];

/* The names of --fail-on and their bits; "regression" (bit 0) always fails. */
#define CMP_NFAIL_ON 4
extern const struct cmp_fail_on_name {
	const char *name;
	unsigned bit;
} compare_fail_on_names[CMP_NFAIL_ON];

/* The host facts that make two reports' numbers incomparable when they differ. */
#define CMP_NHOST_FIELDS 12
extern const char *const compare_host_fields[CMP_NHOST_FIELDS];

/* The canonical match key of r (workload, params, executor, workers, binding): malloc'd
 * JSON text with the params' keys sorted; NULL when memory runs out. */
char *compare_run_key(const struct cmp_run *r);

/* A short, sanitised name of a run for messages: "cpu thread workers=2 binding=none". */
const char *compare_run_name(const struct cmp_run *r, char *buf, size_t len);

/* One line "concbench: compare: out of memory while WHAT"; returns -ENOMEM. */
int compare_out_of_memory(const char *what);

/* The exit status that a judged result calls for: 1 when a run regressed or a verdict
 * named by res->opt.fail_on is present, else 0. */
int compare_exit_status(const struct cmp_result *res);

#endif
