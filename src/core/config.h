/* SPDX-License-Identifier: MIT */
/* config: what a workload command asks for, as the options parsed it: the run matrix
 * (workloads, executors, worker counts), binding, repetitions, and where the results go. */
#ifndef CONCBENCH_CONFIG_H
#define CONCBENCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/executor.h"
#include "core/workload.h"
#include "topo/topo.h"

#define CLI_MAX_WORKERS 1024
#define CLI_MAX_COUNTS 64
#define CLI_MAX_REPS 100000

#define CONFIG_MAX_GROUPS 8

enum out_format { FMT_TABLE, FMT_JSON, FMT_MARKDOWN, FMT_CSV };

/* One group of runs: a workload with fixed parameters, measured on every executor and
 * worker count of the config. */
struct run_group_def {
	const struct workload *wl;
	struct wl_params params;
};

struct config {
	const char *command;                    /* cpu, io, mem, suite */
	const struct workload *wl;              /* NULL for suite */
	struct wl_params params;                /* size/tasks 0: the workload's default */
	struct run_group_def groups[CONFIG_MAX_GROUPS];   /* what runs, in this order */
	size_t ngroups;
	const struct executor *ex[8];           /* parallel executors asked for, seq excluded */
	size_t nex;
	int seq_asked;                          /* seq was named (it always runs as the baseline) */
	unsigned workers[CLI_MAX_COUNTS];       /* ascending, distinct */
	size_t nworkers;
	enum bind_policy bind;
	enum membind_policy membind;
	const char *topology;                   /* --topology (loaded by main before parsing) */
	int weak;                               /* --scaling weak */
	int dynamic;                            /* --schedule dynamic */
	int gil;                                /* --gil: thread workers share one global lock */
	unsigned depth;                         /* --depth: tasks in flight per event loop, 0:
						 * the executor's default */
	unsigned reps, warmup;                  /* reps: kept samples (auto: the minimum) */
	int reps_auto;                          /* --repetitions auto */
	double precision;                       /* auto: target CI half-width / median */
	int64_t min_time_ns, max_time_ns;       /* auto: min in timed regions, max in wall time
						 * (samples and harness) per run */
	unsigned rounds;                        /* visits of every cell, in shuffled order */
	uint64_t seed;                          /* of that order; 0 would not shuffle */
	int64_t timeout_ns;                     /* 0: derived from the baseline */
	const char *inject_arg;                 /* --inject crash:WORKER:TASK as given, or NULL */
	unsigned inject_worker, inject_task;    /* parsed from it */
	int restart;                            /* --on-crash restart */
	const char *output;                     /* JSON report path, or NULL */
	const char *plot;                       /* chart path (.png or .svg), or NULL */
	const char *label;                      /* --label: the report's "label", or NULL */
	enum out_format format;
	int quiet;
	int dry_run;                            /* validate and print the run matrix only */
	int help;                               /* --help was given: print usage, run nothing */
	const char *workers_arg, *bind_arg, *size_arg;  /* as given; checked once all are read */
	int argc;
	char **argv;
};

#endif
