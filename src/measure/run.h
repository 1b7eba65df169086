/* SPDX-License-Identifier: MIT */
/* run: the measurement loop. For each group (a workload with fixed parameters) it runs the
 * seq baseline, then every (executor, workers) cell: start the pool outside the clock,
 * discard warm-ups, keep samples timed by the workers themselves, verify every repetition
 * against the independent reference and the baseline's checksum. */
#ifndef CONCBENCH_RUN_H
#define CONCBENCH_RUN_H

#include <stdint.h>

#include "core/cell.h"
#include "core/config.h"
#include "core/workload.h"
#include "measure/derive.h"
#include "measure/hostinfo.h"
#include "measure/stats.h"

/* The machine's /proc/stat over a run's own cell visits: steal time during that run. */
struct run_noise {
	uint64_t steal, total;               /* jiffies, summed over the visits */
};

#define RUN_BUSY_MAX 5
#define RUN_BUSY_WINDOW_S 0.1            /* how long the start watches other processes */
#define RUN_BUSY_SHARE 0.5               /* of a PU: over this a process is a busy-process */

struct run_set {
	struct run_result *runs;
	struct run_noise *noise;             /* per run, as runs */
	size_t n, cap;
	uint64_t seed, rng;                  /* order of cells within rounds */
	unsigned rounds_done;
	double wall_s;                       /* from the start of measuring to its end */
	struct host_snapshot snap_start, snap_end;
	struct host_facts facts;
	int have_facts;
	struct warning_list warnings;        /* in the order they were found */
	struct busy_proc busy[RUN_BUSY_MAX]; /* the busiest other processes at the start */
	size_t nbusy;
	int busy_scanned;                    /* busy[] was measured (else unknown) */
};

/* Steal time as a fraction of the CPU time during run i's visits, NAN if unknown. */
double run_steal_fraction(const struct run_set *rs, size_t i);

/* Run everything the config asks for. Returns 0, CB_EXIT_USAGE for a parameter the
 * workload rejected (message printed), or CB_EXIT_RUNFAIL for a failed run (message
 * printed, everything stopped and cleaned up). */
int run_config(const struct config *c, struct run_set *rs);
void run_set_free(struct run_set *rs);
/* Check a group's parameters at the extremes of the config (the most workers, weak
 * scaling) before anything runs, as run_config does: 0, or a negative errno after the
 * one-line message. */
int run_validate_group(const struct config *c, const struct workload *wl,
		       const struct wl_params *p, const struct machine *m);
/* Install the SIGINT/SIGTERM handlers that stop runs cleanly. */
void run_install_signals(void);
/* Arm test-only fault injection from the environment; -EINVAL, after one line on stderr,
 * if malformed. */
int run_fault_from_env(void);
/* After a failed cell: with a thread still inside a task (cb_threads_stuck), returning
 * would free what it uses, so say so and end the process here, exit status 3 (temporary
 * files must already be gone); nothing else is left behind. */
void run_exit_if_thread_stuck(void);

#endif
