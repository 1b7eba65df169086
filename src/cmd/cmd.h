/* SPDX-License-Identifier: MIT */
/* cmd: the commands main.c dispatches to. Each takes main's argc and argv (argv[1] is the
 * command's name) and returns the process's exit status: 0, 1 (compare: a regression),
 * 2 bad usage or input, 3 a run failed. Nothing below src/cmd/ includes this header. */
#ifndef CONCBENCH_CMD_H
#define CONCBENCH_CMD_H

struct config;

int cmd_run(int argc, char **argv);        /* cpu, io, mem, suite */
int cmd_list(int argc, char **argv);
int cmd_topo(int argc, char **argv);
int cmd_cores(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_spawn(int argc, char **argv);
int cmd_footprint(int argc, char **argv);
int cmd_crash(int argc, char **argv);
int cmd_ipc(int argc, char **argv);
int cmd_contend(int argc, char **argv);    /* false sharing, atomics, mutexes */
int cmd_folklore(int argc, char **argv);   /* every part above, short, as one table */
int cmd_history(int argc, char **argv);    /* runs over commits in SQLite: add, show, plot, check */

/* A workload command's config on a topology that is not this machine's: print the plan of
 * every worker count (text, or JSON with --format json) and run nothing. Returns an exit
 * status. */
int cmd_plan_only(const struct config *c);

#endif
