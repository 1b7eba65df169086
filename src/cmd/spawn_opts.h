/* SPDX-License-Identifier: MIT */
/* spawn_opts: the options of `concbench spawn`, where cmd/options.c's table puts them (a
 * header alone, so that the table and the command both include it). */
#ifndef CONCBENCH_SPAWN_OPTS_H
#define CONCBENCH_SPAWN_OPTS_H

#define SPAWN_DEFAULT_RSS "0,32M,128M"
#define SPAWN_DEFAULT_REPS 30
#define SPAWN_DEFAULT_WARMUP 3
#define SPAWN_DEFAULT_WORKERS 2

struct spawn_opts {
	const char *rss;                /* --rss as given, parsed by the command */
	unsigned reps, warmup, workers;
	int json;
	const char *output;
};

struct opt_command;
extern const struct opt_command opt_spawn;

#endif
