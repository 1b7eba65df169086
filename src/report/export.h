/* SPDX-License-Identifier: MIT */
/* export: reports as the JSON that CI dashboards read. Bencher Metric Format (BMF): an
 * object of benchmarks, each with a "latency" measure in nanoseconds (the median, its 95%
 * interval as lower_value and upper_value) and a "throughput" one. github-action-benchmark's
 * customSmallerIsBetter: an array of {name, unit, value, range, extra}, the median in ms;
 * customBiggerIsBetter the same of throughput and speedup. One benchmark per run, named
 * from its key, so that a name means the same run in every commit's export. */
#ifndef CONCBENCH_EXPORT_H
#define CONCBENCH_EXPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum export_format { EXPORT_BENCHER, EXPORT_ACTION_SMALLER, EXPORT_ACTION_BIGGER };

/* Bencher's longest benchmark name, in bytes. */
#define EXPORT_NAME_MAX 1024

/* The name of a run of a parsed report:
 * "WORKLOAD/K1=V1,K2=V2,.../EXECUTOR/workers=N/binding=B", the params sorted by key (no
 * segment when there are none), "+gil" after a thread executor under --gil, then
 * "/MEASURE" when measure is not NULL and " @ TAG" when tag is not NULL. Every string from
 * the report is sanitised (control characters and invalid UTF-8 become '?'). len must
 * exceed EXPORT_NAME_MAX. Returns 0, or -ENAMETOOLONG when the name would be longer than
 * EXPORT_NAME_MAX bytes. */
int export_run_name(const cJSON *run, const char *measure, const char *tag, char *buf,
		    size_t len);

/* The export of docs[0..n) (as report_load accepted them; paths name them in messages),
 * with each report's label, else its hostname, as the tag of its names when n > 1. A run
 * without a median (no samples) or whose figures are out of range is left out with a
 * warning on stderr. Returns the document, or NULL with *err set: -EINVAL after one line
 * on stderr (two runs with one name, a name over EXPORT_NAME_MAX, nothing to export),
 * -ENOMEM. */
cJSON *export_build(cJSON *const *docs, const char *const *paths, size_t n,
		    enum export_format fmt, int *err);

#endif
