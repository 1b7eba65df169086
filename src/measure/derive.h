/* SPDX-License-Identifier: MIT */
/* derive: statistics and derived figures of a finished cell, and warnings about how far
 * its numbers can be trusted. */
#ifndef CONCBENCH_DERIVE_H
#define CONCBENCH_DERIVE_H

#include <stddef.h>

#include "core/cell.h"

/* Every warning a report can carry, one code each. The table derive_warn_kinds[] (derive.c)
 * gives each its stable name, severity and meaning; docs/measurement.md shows the same
 * table. A new warning gets a new code at the end: names are never reused or renamed, since
 * compare and scripts match on them. */
enum warn_code {
	WARN_NOISY,              /* CV over 5% */
	WARN_FIRST_SAMPLE_SLOW,
	WARN_OUTLIERS,
	WARN_START_SKEW,
	WARN_SHORT_REGION,
	WARN_OVERSUBSCRIBED,
	WARN_BINDING_FAILED,
	WARN_STRAYED,
	WARN_NO_INTERVAL,
	WARN_MAX_TIME,
	WARN_MEMBIND_ONE_NODE,
	WARN_ONE_PU,
	WARN_LOAD,
	WARN_STEAL,
	WARN_GOVERNOR,
	WARN_BOOST,
	WARN_FEWER_PUS,          /* the workers shared fewer PUs than there were workers */
	WARN_IMBALANCE,          /* the slowest worker over IMBALANCE_LIMIT x the median */
	WARN_SLOW_PU,
	WARN_BUSY_PROCESS,
	WARN_NCODES
};

/* info: a condition of the setup worth knowing, which by itself does not make the samples
 * wrong; warning: the samples may be disturbed, do not trust the run's numbers as they are. */
enum warn_severity { WARN_INFO, WARN_WARNING };

struct warn_kind {
	const char *code;            /* "noisy": a short identifier, [a-z0-9-] */
	enum warn_severity severity;
	const char *meaning;
};

extern const struct warn_kind derive_warn_kinds[WARN_NCODES];

/* One warning of a run set (run_set_warn), as the report writes it: {code, severity, run,
 * text}. */
struct run_warning {
	enum warn_code code;
	long run;                    /* index in the run set's runs (= the report's "runs"); -1: host-wide */
	char *text;                  /* the sentence shown on stderr */
};

/* The warnings of a run set, in the order they were found. */
struct warning_list {
	struct run_warning *items;
	size_t n;
};

/* Add a warning (printf format) about run (an index in the run set, -1: the host) to l;
 * dropped when memory runs out. */
void warning_add(struct warning_list *l, enum warn_code code, long run, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void warning_list_free(struct warning_list *l);

const char *derive_warn_severity_name(enum warn_severity s);

/* Over this coefficient of variation a run's samples are noisy: the "noisy" warning, and
 * the mark the tables put on its cell. */
#define NOISY_CV_LIMIT 0.05

/* Over this, a run's slowest worker decided its time more than the work did. */
#define IMBALANCE_LIMIT 1.2

/* A worker of a run by its median time over the repetitions. */
struct worker_ref {
	int worker;                  /* index; -1: none */
	int pu;                      /* its planned PU, else the CPU it ended on most, else -1 */
	double time_s;
};

/* How evenly a run's workers shared the work, from its worker_s. */
struct run_imbalance {
	double imbalance;            /* median over repetitions of max / median worker time;
				      * NAN with one worker or no worker times */
	struct worker_ref slowest, fastest;   /* worker -1 with one worker */
	unsigned observed_pus;       /* distinct CPUs the workers were seen on */
	unsigned stacked_reps;       /* repetitions whose workers ended on fewer distinct CPUs
				      * than there were workers (every CPU known) */
	int slow_pu;                 /* the PU of the slowest worker in more than half of the
				      * repetitions, -1 when none */
	unsigned slow_pu_reps;       /* in how many of them */
};

void derive_imbalance(const struct run_result *r, struct run_imbalance *im);

/* Summary statistics, outliers, CPU utilisation, and against base (the seq run of the same
 * group; r itself for the baseline) speedup, efficiency and Karp-Flatt with >= 95% joint
 * intervals. Figures that are not defined are NAN. */
void derive_run(struct run_result *r, const struct run_result *base);
/* Add to l the warnings about r, the run set's run number run (noise, outliers, start
 * skew, a timed region too short, oversubscription, binding that did not hold, too few
 * samples, fewer PUs than workers, imbalance, a slow PU); pus: the processing units
 * available. */
void derive_run_warnings(struct warning_list *l, const struct run_result *r, long run,
			 unsigned pus);

/* The warnings of l as stderr shows them: one line per cause (a busy machine, steal,
 * fewer PUs, a slow PU, imbalance, ...), machine-wide causes first, each naming the runs
 * (of runs[0..nruns-1]) it affects. Fills lines[] (malloc'd, at most max) and returns how
 * many; free each. */
size_t derive_warnings_by_cause(const struct warning_list *l, const struct run_result *runs,
				size_t nruns, char **lines, size_t max);

#endif
