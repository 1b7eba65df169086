/* SPDX-License-Identifier: MIT */
/* cores: `concbench cores`, one pinned worker on every PU in turn (are some cores slower
 * than others?), and with --latency the core-to-core matrix: the one-way time of a
 * cache-line handoff between two pinned threads, or with --executor fork the round trip of
 * a pipe message between two pinned processes. */
#ifndef CONCBENCH_CORES_H
#define CONCBENCH_CORES_H

#define CORES_SCHEMA "concbench-cores/1"

/* The `cores` command. Returns an exit status (0, 2 bad usage, 3 a run failed). */
int cmd_cores(int argc, char **argv);
void cores_usage(void);

#endif
