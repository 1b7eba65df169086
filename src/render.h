/* SPDX-License-Identifier: MIT */
/* render: the table on stdout, a rendering of the same data as the report. */
#ifndef CONCBENCH_RENDER_H
#define CONCBENCH_RENDER_H

#include <stdio.h>

#include "run.h"

/* One table per workload group: rows worker counts, columns executors, cells the median
 * time and the speedup against seq. */
void render_table(FILE *f, const struct run_set *rs);

#endif
