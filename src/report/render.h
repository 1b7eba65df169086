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
/* The same for a run's own document that was not written to a file (no --output): the
 * table's footer then points at stderr, not at a report. */
int render_reports_unsaved(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt);

#endif
