/* SPDX-License-Identifier: MIT */
/* run: the measurement loop. For each group (a workload with fixed parameters) it runs the
 * seq baseline, then every (executor, workers) cell: start the pool outside the clock,
 * discard warm-ups, keep samples timed by the workers themselves, verify every repetition
 * against the independent reference and the baseline's checksum. */
#ifndef CONCBENCH_RUN_H
#define CONCBENCH_RUN_H

#include <stdint.h>

#include "core/config.h"
#include "core/workload.h"
#include "measure/hostinfo.h"
#include "measure/stats.h"

struct run_usage {
	double user_s, sys_s;                /* summed over workers and kept samples */
	int64_t vcsw, ivcsw, minflt, majflt; /* likewise */
	int64_t maxrss_kb;                   /* largest seen */
};

struct run_result {
	int group;                           /* index of the workload group it belongs to */
	const struct workload *wl;
	struct wl_params p;                  /* as resolved by the workload (per-worker under weak) */
	const struct executor *ex;
	unsigned workers;
	enum bind_policy bind;
	enum membind_policy membind;
	int weak, dynamic;
	unsigned warmup, nsamples, cap;
	unsigned scale;                      /* work multiplier (weak scaling) */
	double *samples;                     /* seconds: max(end) - min(start) per repetition */
	double *skews;                       /* seconds: max(start) - min(start) per repetition */
	double *worker_s;                    /* nsamples x workers: each worker's own duration */
	double startup_s;                    /* median of the pool starts (one per round) */
	double startups[64];
	unsigned nstartups;
	int *cpus;                           /* distinct CPUs the workers were seen on */
	unsigned ncpus;
	int *planned;                        /* per worker: planned PU, -1 when unbound */
	unsigned strayed;                    /* samples in which a bound worker ran elsewhere */
	char *binding_error;                 /* the first worker that could not be bound or could
					      * not place its data, and why; NULL when none */
	struct run_usage ru;
	uint64_t checksum;
	int verified;
	uint64_t items;                      /* per repetition */
	const char *unit;
	size_t ntasks;
	struct stats_summary st;
	size_t *outlier_idx;                 /* indexes of the Tukey outliers, noutliers of them */
	size_t noutliers;
	int first_slow;                      /* the first kept sample is a slow outlier */
	double cpu_util;                     /* (user + sys) / (wall x workers) */
	double speedup, efficiency, karp_flatt;   /* NAN when not defined */
	double speedup_lo, speedup_hi;       /* >= 95% joint interval from the medians' CIs */
	double kf_lo, kf_hi;
	const char *stop_reason;             /* "fixed", "precision" or "max-time" */
};

struct run_set {
	struct run_result *runs;
	size_t n, cap;
	uint64_t seed, rng;                  /* order of cells within rounds */
	unsigned rounds_done;
	struct host_snapshot snap_start, snap_end;
	struct host_facts facts;
	int have_facts;
	char **warnings;
	size_t nwarnings;
};

struct cb_err;

/* Check one repetition's task results: every task done once and without error, then the
 * workload's own verification, which computes *checksum. Returns 0, or a negative errno
 * with e saying which task failed or why verification failed. */
int run_verify_outs(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		    struct cb_err *e);

/* Run everything the config asks for. Returns 0, CB_EXIT_USAGE for a parameter the
 * workload rejected (message printed), or CB_EXIT_RUNFAIL for a failed run (message
 * printed, everything stopped and cleaned up). */
int run_config(const struct config *c, struct run_set *rs);
void run_set_free(struct run_set *rs);
/* --dry-run: validate exactly as run_config does, print the runs it would make, run
 * nothing. Returns 0 or CB_EXIT_USAGE. */
int run_dry(const struct config *c);
/* Install the SIGINT/SIGTERM handlers that stop runs cleanly. */
void run_install_signals(void);
/* Arm test-only fault injection from the environment; -EINVAL if malformed. */
int run_fault_from_env(void);

#endif
