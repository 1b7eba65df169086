/* SPDX-License-Identifier: MIT */
/* plot: charts of reports drawn by gnuplot (Debian gnuplot-nox), fed through a pipe with
 * the data taken from the reports, never from a re-run. */
#ifndef CONCBENCH_PLOT_H
#define CONCBENCH_PLOT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Check a plot path before anything runs: a .png or .svg name in an existing, writable
 * directory. Returns 0, or -EINVAL after printing the error (exit 2). */
int plot_check_path(const char *path);
/* Draw docs[0..n) into path: one panel per workload group, speedup against workers per
 * executor with the ideal line (mem: bandwidth in GB/s; io: achieved concurrency), each
 * point with its 95% interval where the report has one. names[d] (or NULL) is the file
 * docs[d] came from: its base name tells apart reports of one host that have no label.
 * Returns 0, or a negative errno after printing the error. */
int plot_reports(cJSON *const *docs, const char *const *names, size_t n, const char *path);

#endif
