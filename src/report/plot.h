/* SPDX-License-Identifier: MIT */
/* plot: charts of reports drawn by gnuplot (Debian gnuplot-nox), fed through a pipe with
 * the data taken from the reports, never from a re-run. */
#ifndef CONCBENCH_PLOT_H
#define CONCBENCH_PLOT_H

#include <stddef.h>
#include <stdio.h>

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

/* plot_check_path for the option named flag ("--plot", "--output"). */
int plot_check_output(const char *flag, const char *path);

/* A chart of one's own through the same pipe: script writes the whole gnuplot script to g,
 * the output file being out_name (a name of ours in the chart's directory, gnuplot's working
 * directory), and returns 0 or a negative errno (-EINTR when stopped). The chart replaces
 * path atomically once gnuplot finished it; messages start with flag. Returns 0 or a
 * negative errno after printing the error. */
typedef int (*plot_script_fn)(FILE *g, const char *out_name, void *ctx);
int plot_draw(const char *flag, const char *path, plot_script_fn script, void *ctx);
/* The script's first lines: the terminal for out_name's extension (.png, .svg), without
 * enhanced-text markup, width x height pixels, and the output. */
void plot_begin(FILE *g, const char *out_name, unsigned width, unsigned height);
/* A string as data, never script text: the datablock $NAME of one line, read back in the
 * script as $NAME[1][2:]; text is sanitised and cut to max bytes (at most 255). */
void plot_text(FILE *g, const char *name, const char *text, size_t max);

#endif
