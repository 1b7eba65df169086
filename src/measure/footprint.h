/* SPDX-License-Identifier: MIT */
/* footprint: what a pool of workers costs in memory, and copy-on-write made visible.
 *
 * The coordinator holds a region of `size` bytes, every page touched, when a real pool of
 * the executor starts (as cell.c starts one); one repetition of workload_cow then has each
 * worker write one byte in every page of its slice. The memory of the coordinator and of
 * every worker process (its children) is read twice: after the start, before any write, and
 * after the repetition. Threads write the coordinator's own pages; forked workers inherited
 * them copy-on-write, so each write makes a private copy. */
#ifndef CONCBENCH_FOOTPRINT_H
#define CONCBENCH_FOOTPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/executor.h"
#include "core/workload.h"
#include "measure/smaps.h"

#define FOOTPRINT_MAX_PROCS 1024

/* The instrument: a workload whose data is the coordinator's region (not a data region an
 * executor provides). Not in the registry: only footprint runs it. */

struct footprint_reading {
	unsigned procs;             /* processes read: the coordinator and its workers */
	struct smaps_mem total;     /* summed over them */
	struct smaps_mem coord;     /* the coordinator's own */
};

struct footprint_res {
	const struct executor *ex;
	unsigned workers;
	uint64_t size;              /* the coordinator's region, bytes */
	const char *source;         /* "smaps_rollup" or "smaps" */
	int available;              /* 0: the readings could not be made, why says why */
	char why[256];
	struct footprint_reading start, written;
};

/* Measure executor ex with `workers` workers over a region of size bytes, reading under
 * proc (normally "/proc"). Returns 0 (r->available 0 when the memory could not be read),
 * or a negative errno with e filled when the pool failed (-EINTR on a stop signal, -ECHILD,
 * -ETIMEDOUT, -EBADMSG for a failed verification); -ERANGE: size does not fit this
 * machine, already printed (bad input). Nothing is left running. */
int footprint_measure(const char *proc, const struct executor *ex, unsigned workers,
		      uint64_t size, const struct machine *m, struct footprint_res *r,
		      struct cb_err *e);

#endif
