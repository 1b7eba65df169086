/* SPDX-License-Identifier: MIT */
/* report: the JSON document of one invocation (schema concbench-report/1), built with
 * cJSON, and its atomic write (temporary file in the same directory, then rename). */
#ifndef CONCBENCH_REPORT_H
#define CONCBENCH_REPORT_H

#include <cjson/cJSON.h>

#include "core/config.h"
#include "measure/run.h"

#define REPORT_SCHEMA "concbench-report/1"

/* A report's "label" (--label): what tables, charts and compare call it. */
#define REPORT_LABEL_MAX 64
/* NULL when s can be a label (1 to REPORT_LABEL_MAX bytes of printable ASCII), else what is
 * accepted. */
const char *report_label_problem(const char *s);

/* Build the report. Returns NULL when memory runs out. */
cJSON *report_build(const struct config *c, const struct run_set *rs);
/* Write it to path atomically. Returns 0 or a negative errno (message printed). */
int report_write(const cJSON *doc, const char *path);
/* A command's JSON document: written to path atomically (when not NULL), then printed on
 * stdout (when print), and deleted. A NULL doc is memory that ran out. Returns 0 or a
 * negative errno (message printed). */
int report_emit(cJSON *doc, const char *path, int print);
/* The params object of a run (workload parameters, scaling, schedule): the run's key. */
cJSON *report_params(const struct run_result *r);

/* The key that groups a run of a parsed report with the others of its workload and params
 * (executor, workers and binding aside): "WORKLOAD PARAMS-JSON", malloc'd; NULL when memory
 * runs out. Tables group by it, charts draw a panel per key. */
char *report_group_key(const cJSON *run);

#endif
