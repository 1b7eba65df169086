/* SPDX-License-Identifier: MIT */
/* progress: what a run says while it runs, and how long a dry run expects it to take.
 * On a terminal one live line (run k/N, repetition, elapsed, ETA), cleared before any other
 * output; elsewhere (a CI log) one line per finished visit of a run; nothing with --quiet.
 * The estimate comes from the sizes and one short calibration per group: a few tasks timed
 * on one worker, outside any pool, a second in all at most. */
#ifndef CONCBENCH_PROGRESS_H
#define CONCBENCH_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cell.h"
#include "core/config.h"
#include "core/workload.h"

#define PROGRESS_REDRAW_NS 100000000LL     /* the live line, at most ten times a second */
#define PROGRESS_CALIB_NS 1000000000LL     /* a dry run's calibration, all groups together */

enum progress_mode { PROGRESS_OFF, PROGRESS_TTY, PROGRESS_LINES };

struct progress {
	enum progress_mode mode;
	FILE *f;
	int64_t t0, drawn_ns;
	size_t visit, nvisits;       /* visits of a cell begun, and in all (k/N) */
	double eta_s;                /* remaining at eta_at, NAN while unknown */
	int64_t eta_at;
	int shown;                   /* the live line is on the terminal */
};

/* One group's calibration: what a visit costs besides its repetitions, and a repetition. */
struct progress_calib {
	double init_s;               /* the instance's init and fini (reference, files) */
	double prepare_s;            /* first touch and fill, one repetition's worth */
	double rep_s;                /* one repetition on one worker */
	int from_duration;           /* rep_s is --duration x tasks, not timed (sleeps) */
	int timed;                   /* tasks run to measure it */
};

/* mode from --quiet and whether f is a terminal; nvisits: the visits planned so far. */
void progress_init(struct progress *pg, FILE *f, int quiet, size_t nvisits);
/* A visit of a cell begins: k of k/N. */
void progress_visit_begin(struct progress *pg);
/* Before each repetition (cell_cfg.progress): redraws the live line. */
void progress_rep(void *arg, const char *what, unsigned rep, unsigned total);
/* The time left from now, NAN when unknown (shown until the next visit ends). */
void progress_eta(struct progress *pg, double eta_s);
/* A visit ended: r holds every sample kept so far; eta_s the remaining time, NAN unknown. */
void progress_visit_done(struct progress *pg, const struct run_result *r, double eta_s);
/* Clear the live line: before anything else is printed. */
void progress_clear(struct progress *pg);

/* "40 ms", "2.5 s", "12 s", "3 min", "1.5 h": a span people read at a glance. */
void progress_fmt_span(char *buf, size_t len, double s);

/* Calibrate a group on an instance of one worker and no scaling, spending about budget_ns:
 * init_ns is what its init took. Returns 0, or a negative errno with why (a task failed). */
int progress_calibrate(const struct wl_inst *w, int64_t init_ns, int64_t budget_ns,
		       struct progress_calib *pc, char *why, size_t len);
/* The expected wall time of one visit of a cell of that group: workers on pus PUs, nreps
 * kept after warmup, scale the work multiplier (weak scaling), ntasks of its instance. */
double progress_visit_s(const struct progress_calib *pc, unsigned workers, unsigned pus,
			size_t ntasks, unsigned scale, unsigned nreps, unsigned warmup);
/* The expected wall time of one group of a config (its calibration, every round's visits),
 * from that group's calibration; with --repetitions auto, of its minimum. */
double progress_group_s(const struct config *c, const struct progress_calib *pc, size_t ntasks,
			unsigned pus);
/* Samples kept in round `round` of a config (0 for a round that visits nothing). */
unsigned progress_round_reps(const struct config *c, unsigned round);

#endif
