/* SPDX-License-Identifier: MIT */
/* render: table, markdown and CSV renderings of one or more reports (parsed JSON), so that
 * every number shown can be traced to a field of the report. */
#ifndef CONCBENCH_RENDER_H
#define CONCBENCH_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

enum render_format { RENDER_TABLE, RENDER_MARKDOWN, RENDER_CSV };

/* Render docs[0..n). With several reports, each group's columns are repeated per report
 * and named by the report's "label", else "host date". Returns 0, or -EINVAL when a report
 * has no runs. */
int render_reports(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt);

/* render_reports, naming each report of merged tables by its label, else its host and date,
 * else the base name of paths[i] (the file it was read from). */
int render_reports_files(FILE *f, cJSON *const *docs, const char *const *paths, size_t n,
			 enum render_format fmt);

/* Called after each table of a table-format rendering of one document, with that document
 * and a run of the table's group (what follows a table: explain's `why` block). */
typedef void render_after_fn(FILE *f, const cJSON *doc, const cJSON *group_run, void *arg);
/* render_reports, calling after (may be NULL); saved 0: the document was not written to a
 * file (no --output), so the table's footer points at stderr, not at a report. */
int render_reports_then(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt,
			int saved, render_after_fn *after, void *arg);

/* ---- the uncertainty in the tables: docs/report-loading.md, "How the tables show what
 * the samples can tell" ---- */

/* The +- shown after a speedup s with 95% interval [lo, hi]: the wider side, rounded up to
 * the 0.01 shown, so that the interval shown always holds the real one. NaN when there is
 * no interval. */
double render_halfwidth(double s, double lo, double hi);

/* 1 when a Karp-Flatt estimate kf with interval [lo, hi] is printed: kf within [0, 1] and
 * an interval exists; else the table says n/a (the JSON keeps the value). */
int render_kf_shown(double kf, double lo, double hi);

/* What the best column says of a row of n cells, from each cell's median time and speedup
 * interval [lo[i], hi[i]] (NaN: none). */
enum render_best {
	RENDER_BEST_NONE,     /* no cell */
	RENDER_BEST_ONE,      /* the fastest, clear of every other cell's interval */
	RENDER_BEST_TIE,      /* the fastest and the cells whose interval overlaps its own */
	RENDER_BEST_UNKNOWN,  /* a cell has no interval: no winner can be named */
};
/* *fastest: the index of the smallest median; tie[i] (n entries) 1 for the cells named:
 * the fastest, and with RENDER_BEST_TIE those that overlap it. */
enum render_best render_best_of(size_t n, const double *median, const double *lo,
				const double *hi, size_t *fastest, unsigned char *tie);

#endif
