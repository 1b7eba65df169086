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
/* A command's JSON document (NULL: memory ran out building it, which is said): written to
 * path when path is not NULL, then printed on stdout when print, then freed. Returns 0, or
 * a negative errno after the message. */
int report_emit(cJSON *doc, const char *path, int print);
/* A median's 95% interval as the commands' documents state it: "ci95_s": [lo, hi] and
 * "ci95_level", both null when st has no interval (fewer than 6 samples). */
struct jsonb;
struct stats_summary;
void report_add_ci95(struct jsonb *b, cJSON *o, const struct stats_summary *st);
/* The params object of a run (workload parameters, scaling, schedule): the run's key. */
cJSON *report_params(const struct run_result *r);

/* The key that groups a run of a parsed report with the others of its workload and params
 * (executor, workers and binding aside): "WORKLOAD PARAMS-JSON", malloc'd; NULL when memory
 * runs out. Tables group by it, charts draw a panel per key. */
char *report_group_key(const cJSON *run);

#endif
