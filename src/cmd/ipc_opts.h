/* SPDX-License-Identifier: MIT */
/* ipc_opts: the options of `concbench ipc`, where cmd/options.c's table puts them (a header
 * alone, so that the table and the command both include it). */
#ifndef CONCBENCH_IPC_OPTS_H
#define CONCBENCH_IPC_OPTS_H

#define IPC_DEFAULT_REPS 7
#define IPC_DEFAULT_SIZES "8,4K,64K,1M"

struct ipc_opts {
	unsigned mechanisms;            /* bits 1 << enum ipc_mech_id; 0: all */
	const char *sizes;              /* --sizes as given (NULL: IPC_DEFAULT_SIZES) */
	const char *pus;                /* --pus as given (NULL: two PUs on different cores) */
	unsigned reps;
	int json;
	const char *output;
};

#endif
