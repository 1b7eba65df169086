/* SPDX-License-Identifier: MIT */
/* cell: one measured cell, the unit every command measures with: a workload instance on one
 * executor with a fixed number of workers. cell_run starts a fresh pool (its start-up
 * timed apart), discards the warm-ups, keeps samples timed by the workers themselves
 * (max(end) - min(start) of each repetition), verifies every repetition against the
 * workload's independent reference and the baseline's checksum, and stops the pool.
 * It knows nothing about rounds, groups or what is printed. */
#ifndef CONCBENCH_CELL_H
#define CONCBENCH_CELL_H

#include <stddef.h>
#include <stdint.h>

#include "core/executor.h"
#include "core/workload.h"
#include "measure/stats.h"
#include "topo/topo.h"

/* How long a pool may take to start and prepare its data (a --timeout longer than this
 * replaces it). */
#define CELL_START_DEADLINE_NS (60LL * 1000000000LL)

struct run_usage {
	double user_s, sys_s;                /* summed over workers and kept samples */
	int64_t vcsw, ivcsw, minflt, majflt; /* likewise */
	int64_t maxrss_kb;                   /* largest seen */
};

/* A worker that died during a repetition and was replaced (--on-crash restart). */
struct run_crash {
	unsigned worker, task;               /* the first task it had not finished */
	unsigned lost;                       /* tasks of its share the replacement ran */
	int signal;
	double detect_s, recover_s;          /* from the crash (--inject's); NAN when unknown */
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
	int gil;                             /* ran under --gil (the thread executor only) */
	unsigned depth;                      /* event loops: --depth asked for, 0 default */
	const char *backend;                 /* what performed its operations (executor's
					      * backend hook), NULL where it has none */
	unsigned warmup, nsamples, cap;
	unsigned scale;                      /* work multiplier (weak scaling) */
	double *samples;                     /* seconds: max(end) - min(start) per repetition */
	double *skews;                       /* seconds: max(start) - min(start) per repetition */
	double *worker_s;                    /* nsamples x workers: each worker's own duration */
	int *worker_cpu;                     /* nsamples x workers: the CPU it ended on, -1 unknown */
	double startup_s;                    /* median of the pool starts (one per round) */
	double startups[64];
	unsigned nstartups;
	double harness_s;                    /* wall time of its visits outside the kept samples:
					      * pool start, prepare, warm-ups, verification */
	int *cpus;                           /* distinct CPUs the workers were seen on */
	unsigned ncpus;
	int *planned;                        /* per worker: planned PU, -1 when unbound */
	unsigned strayed;                    /* samples in which a bound worker ran elsewhere */
	char *binding_error;                 /* the first worker that could not be bound or could
					      * not place its data, and why; NULL when none */
	struct run_usage ru;
	/* Counters (counters.h), raw (task-clock in ns); NAN where not counted. */
	double *ctr_rep;                     /* nsamples x CTR_N: summed over the workers */
	double *ctr_worker;                  /* nsamples x workers x CTR_N: each worker's own */
	char *counters_unavailable;          /* which are missing and why, NULL when none is */
	unsigned ctr_worst;                  /* how many the worker it describes misses */
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
	struct run_crash *crashes;           /* workers replaced, in order; ncrashes of them */
	unsigned ncrashes;
	/* A launched pool's (mpi): where each worker ran, per worker the visit whose clock
	 * offset was the most certain; NULL for the other executors. */
	struct worker_place *places;
};

/* How a cell runs. */
struct cell_cfg {
	enum bind_policy bind;               /* BIND_NONE for a single-worker executor */
	const int *pus;                      /* or a PU (OS index) per worker, as cores pins
					      * them, checked here; NULL: the plan of bind */
	enum membind_policy membind;
	int dynamic;                         /* tasks handed out on demand */
	int gil;                             /* --gil: the pool's workers share one global lock */
	unsigned depth;                      /* --depth (pool_cfg.depth), 0: the default */
	unsigned warmup;                     /* repetitions run and verified, not kept */
	int64_t timeout_ns;                  /* per repetition; 0: from base or calib_ns */
	const struct run_result *base;       /* the baseline (seq) of the same work, or NULL */
	int64_t calib_ns;                    /* one timed baseline repetition, 0 if none */
	int restart;                         /* --on-crash restart (pool_cfg.restart) */
	/* Optional: called before each repetition (a progress line). */
	void (*progress)(void *arg, const char *what, unsigned rep, unsigned total);
	void *progress_arg;
};

/* One visit of a cell: nreps more samples into r (its executor, workers and result arrays
 * grow as needed); the visit's wall time outside the new samples is added to r->harness_s.
 * Returns 0, or a negative errno with e saying which cell failed and why
 * (-ETIMEDOUT, -ECHILD, -EINTR, -EBADMSG for a failed verification, -ENOMEM). */
int cell_run(const struct cell_cfg *c, const struct wl_inst *w, const struct executor *ex,
	     struct run_result *r, unsigned nreps, struct cb_err *e);
/* Add to r->harness_s a visit of visit_ns that kept samples kept_before.. of r: the time
 * outside them. */
void cell_add_harness(struct run_result *r, unsigned kept_before, int64_t visit_ns);

/* Check one repetition's task results: every task done once and without error, then the
 * workload's own verification, which computes *checksum. Returns 0, or a negative errno
 * with e saying which task failed or why verification failed. */
int cell_verify_outs(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		     struct cb_err *e);

/* Initialise a workload instance for workers workers and a work multiplier scale; on a
 * parameter error print it (bad input: exit 2 material). Returns 0 or a negative errno. */
int cell_inst_init(struct wl_inst *w, const struct workload *wl, const struct wl_params *p,
		   unsigned workers, unsigned scale, const struct machine *m);
/* Release what init made (accepts an instance whose init failed). */
void cell_inst_fini(struct wl_inst *w);

/* A run's counters: per counter, the median over its kept repetitions of the sum over the
 * workers (worker < 0), or of worker's own counts; NAN where no repetition counted it. */
void cell_counters(const struct run_result *r, int worker, double out[CTR_N]);

/* "cpu on thread with 4 workers" */
void run_result_name(char *buf, size_t len, const struct run_result *r);
/* Free a result's arrays. */
void run_result_free(struct run_result *r);

#endif
