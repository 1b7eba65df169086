/* SPDX-License-Identifier: MIT */
/* render: table, markdown and CSV renderings of one or more reports (parsed JSON), so that
 * every number shown can be traced to a field of the report. */
#ifndef CONCBENCH_RENDER_H
#define CONCBENCH_RENDER_H

#include <stdio.h>

#include <cjson/cJSON.h>

enum render_format { RENDER_TABLE, RENDER_MARKDOWN, RENDER_CSV };

/* Render docs[0..n). With several reports, each group's columns are repeated per report
 * and labelled "host date". Returns 0, or -EINVAL when a report has no runs. */
int render_reports(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt);

/* Called after each table of a table-format rendering of one document, with that document
 * and a run of the table's group (what follows a table: explain's `why` block). */
typedef void render_after_fn(FILE *f, const cJSON *doc, const cJSON *group_run, void *arg);
/* render_reports, calling after (may be NULL); saved 0: the document was not written to a
 * file (no --output), so the table's footer points at stderr, not at a report. */
int render_reports_then(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt,
			int saved, render_after_fn *after, void *arg);

#endif
