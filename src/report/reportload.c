/* SPDX-License-Identifier: MIT */
/* reportload: read a report file with bounded memory and time, parse it with cJSON, and
 * check it against one table of rules before anything renders or judges it.
 *
 * Order of the checks: the file (regular, at most REPORT_MAX_BYTES, read by its size), the
 * bytes (not empty, no NUL, nesting at most REPORT_MAX_DEPTH, counted before cJSON
 * recurses), the JSON (one document, nothing after it), the schema, then the fields:
 * the top level's, the host's, and every run's by the table run_rules[]. */
#define _GNU_SOURCE
#include "report/reportload.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "report/report.h"

/* ---- the rules ------------------------------------------------------------------------ */

enum kind {
	K_NAME,            /* non-empty string, at most REPORT_MAX_NAME bytes */
	K_TEXT,            /* string, at most REPORT_MAX_TEXT bytes */
	K_WORKERS,         /* whole number, 1..REPORT_MAX_WORKERS */
	K_COUNT,           /* whole number, 0..2^53 */
	K_NONNEG,          /* finite number >= 0 */
	K_REAL,            /* finite number */
	K_LEVEL,           /* number from 0 to 1 */
	K_BOOL,
	K_INTERVAL,        /* [lo, hi], finite, lo <= hi */
	K_INTERVAL_NONNEG, /* the same with 0 <= lo */
	K_SAMPLES,         /* array of at most REPORT_MAX_SAMPLES finite numbers > 0 */
	K_NONNEG_ARRAY,    /* array of at most REPORT_MAX_SAMPLES finite numbers >= 0 */
	K_INDICES,         /* array of at most REPORT_MAX_WORKERS whole numbers >= 0 */
	K_WORKER_S,        /* array (one per sample) of K_NONNEG_ARRAY-like arrays, nulls allowed */
	K_PARAMS,          /* object of names, finite numbers, booleans, nulls */
	K_THROUGHPUT,      /* object: value K_NONNEG or null, unit K_NAME or null */
	K_RUSAGE,          /* object: numbers K_NONNEG or null, "per" K_TEXT */
	K_COUNTS,          /* object of at most 256 members, each K_NONNEG or null */
	K_COUNTS_LIST,     /* array of at most REPORT_MAX_WORKERS K_COUNTS objects */
	K_HOST,            /* object of strings (K_TEXT), finite numbers, booleans, nulls */
	K_OBJECT,          /* any object */
	K_STRINGS,         /* array of K_TEXT strings */
	K_WARNINGS,        /* array of warning records {code, severity, run, text} or K_TEXT */
	K_WORKER_REF,      /* object: worker a whole number, pu a whole number or null, time_s
			    * K_NONNEG or null */
	K_BUSY,            /* array of at most 64 {pid, command, cpu_share, pu} */
	K_LABEL,           /* non-empty string, at most REPORT_LABEL_MAX bytes */
	K_CRASHES,         /* array of at most REPORT_MAX_SAMPLES {worker, task, lost_tasks,
			    * signal, detect_s, recover_s} */
	K_RANKS,           /* array of at most REPORT_MAX_WORKERS MPI ranks {worker, rank, host,
			    * pu, mpi_bound, offset_s, offset_uncertainty_s} */
};

#define REQUIRED 1u        /* present and not null; every other field may be absent or null */

struct rule {
	const char *field;
	enum kind kind;
	unsigned flags;
};

/* The fields of a run that anything reads (render.c, plot.c, compare.c, reportcmd.c) or
 * that the schema promises. median_s has a rule of its own beside these (check_median). */
static const struct rule run_rules[] = {
	{ "workload", K_NAME, REQUIRED },
	{ "executor", K_NAME, REQUIRED },
	{ "workers", K_WORKERS, REQUIRED },
	{ "binding", K_NAME, REQUIRED },
	{ "params", K_PARAMS, REQUIRED },
	{ "samples_s", K_SAMPLES, REQUIRED },
	{ "median_s", K_NONNEG, 0 },
	{ "mean_s", K_NONNEG, 0 },
	{ "stddev_s", K_NONNEG, 0 },
	{ "min_s", K_NONNEG, 0 },
	{ "max_s", K_NONNEG, 0 },
	{ "p10_s", K_NONNEG, 0 },
	{ "p90_s", K_NONNEG, 0 },
	{ "start_skew_s", K_NONNEG, 0 },
	{ "startup_s", K_NONNEG, 0 },
	{ "cv", K_NONNEG, 0 },
	{ "cpu_utilization", K_NONNEG, 0 },
	{ "speedup", K_NONNEG, 0 },
	{ "efficiency", K_NONNEG, 0 },
	{ "karp_flatt", K_REAL, 0 },
	{ "ci95_level", K_LEVEL, 0 },
	{ "ci95_s", K_INTERVAL_NONNEG, 0 },
	{ "speedup_ci95", K_INTERVAL_NONNEG, 0 },
	{ "karp_flatt_ci95", K_INTERVAL, 0 },
	{ "tasks", K_COUNT, 0 },
	{ "warmup", K_COUNT, 0 },
	{ "repetitions", K_COUNT, 0 },
	{ "outliers", K_COUNT, 0 },
	{ "strayed_samples", K_COUNT, 0 },
	{ "cpus", K_INDICES, 0 },
	{ "planned_cpus", K_INDICES, 0 },
	{ "outlier_indices", K_INDICES, 0 },
	{ "startup_samples_s", K_NONNEG_ARRAY, 0 },
	{ "harness_s", K_NONNEG, 0 },
	{ "worker_s", K_WORKER_S, 0 },
	{ "throughput", K_THROUGHPUT, 0 },
	{ "rusage", K_RUSAGE, 0 },
	{ "counters", K_COUNTS, 0 },
	{ "counters_per_worker", K_COUNTS_LIST, 0 },
	{ "counters_unavailable", K_TEXT, 0 },
	{ "counters_derived", K_COUNTS, 0 },
	{ "checksum", K_NAME, 0 },
	{ "verified", K_BOOL, 0 },
	{ "first_sample_slow", K_BOOL, 0 },
	{ "gil", K_BOOL, 0 },
	{ "stop_reason", K_TEXT, 0 },
	{ "ci95_method", K_TEXT, 0 },
	{ "ci95_reason", K_TEXT, 0 },
	{ "imbalance", K_NONNEG, 0 },
	{ "slowest_worker", K_WORKER_REF, 0 },
	{ "fastest_worker", K_WORKER_REF, 0 },
	{ "observed_pus", K_COUNT, 0 },
	{ "stacked_repetitions", K_COUNT, 0 },
	{ "steal_fraction", K_LEVEL, 0 },
	{ "crashes", K_CRASHES, 0 },
	{ "ranks", K_RANKS, 0 },
};

/* The top level, beside "schema" and "runs". */
static const struct rule doc_rules[] = {
	{ "created", K_NAME, 0 },
	{ "host", K_HOST, 0 },
	{ "warnings", K_WARNINGS, 0 },
	{ "argv", K_STRINGS, 0 },
	{ "concbench", K_OBJECT, 0 },
	{ "build", K_OBJECT, 0 },
	{ "order", K_OBJECT, 0 },
	{ "topology", K_OBJECT, 0 },
	{ "busy_processes", K_BUSY, 0 },
	{ "label", K_LABEL, 0 },
	{ "wall_s", K_NONNEG, 0 },
};

static const char *expected(enum kind k)
{
	switch (k) {
	case K_NAME: return "a non-empty string of at most 256 bytes";
	case K_TEXT: return "a string of at most 8192 bytes";
	case K_LABEL: return "a non-empty string of at most 64 bytes";
	case K_WORKERS: return "a whole number from 1 to 1048576";
	case K_COUNT: return "a whole number >= 0";
	case K_NONNEG: return "a finite number >= 0";
	case K_REAL: return "a finite number";
	case K_LEVEL: return "a number from 0 to 1";
	case K_BOOL: return "true or false";
	case K_INTERVAL: return "[low, high], finite numbers with low <= high";
	case K_INTERVAL_NONNEG: return "[low, high], finite numbers with 0 <= low <= high";
	case K_SAMPLES: return "an array of at most 100000 numbers of seconds > 0";
	case K_NONNEG_ARRAY: return "an array of at most 100000 finite numbers >= 0";
	case K_INDICES: return "an array of whole numbers >= 0";
	case K_WORKER_S: return "an array of arrays of finite numbers >= 0";
	case K_PARAMS: return "an object of strings, finite numbers, booleans or nulls";
	case K_COUNTS: return "an object of at most 256 finite numbers >= 0 or nulls";
	case K_COUNTS_LIST: return "an array of objects of finite numbers >= 0 or nulls";
	case K_THROUGHPUT:
	case K_RUSAGE:
	case K_HOST:
	case K_OBJECT: return "an object";
	case K_STRINGS: return "an array of strings of at most 8192 bytes";
	case K_WARNINGS: return "an array of warnings {code, severity, run, text} or strings";
	case K_WORKER_REF: return "an object {worker, pu, time_s}";
	case K_BUSY: return "an array of at most 64 processes {pid, command, cpu_share, pu}";
	case K_CRASHES: return "an array of crashes {worker, task, lost_tasks, signal, detect_s, "
			       "recover_s}";
	case K_RANKS: return "an array of MPI ranks {worker, rank, host, pu, mpi_bound, offset_s, "
			     "offset_uncertainty_s}";
	}
	return "?";
}

/* ---- checking a value ------------------------------------------------------------------ */

struct vctx {
	char field[96];            /* "workers", "samples_s[3]", "throughput.value" */
	char why[224];             /* "is not ... (got ...)" */
	size_t nruns;              /* of the document; 0 when "runs" is not a non-empty array */
};

static void describe(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsNumber(v))
		cb_fmt(buf, len, "%.6g", v->valuedouble);
	else if (cJSON_IsString(v) && v->valuestring) {
		char s[28];     /* quoted, sanitised, cut to 27 bytes with "..." */
		cb_fmt(buf, len, "'%s'", cb_sanitize(v->valuestring, s, sizeof(s)));
	}
	else if (cJSON_IsNull(v))
		cb_fmt(buf, len, "null");
	else if (cJSON_IsBool(v))
		cb_fmt(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsArray(v))
		cb_fmt(buf, len, "an array of %d items", cJSON_GetArraySize(v));
	else if (cJSON_IsObject(v))
		cb_fmt(buf, len, "an object");
	else
		cb_fmt(buf, len, "something else");
}

/* Record that the value at field+suffix is not what `expect` says; returns -1. */
static int __attribute__((format(printf, 4, 5)))
bad(struct vctx *c, const char *expect, const cJSON *got, const char *suffix_fmt, ...)
{
	char d[64];
	size_t used = strlen(c->field);
	va_list ap;

	va_start(ap, suffix_fmt);
	vsnprintf(c->field + used, sizeof(c->field) - used, suffix_fmt, ap);
	va_end(ap);
	describe(got, d, sizeof(d));
	cb_fmt(c->why, sizeof(c->why), "is not %s (got %s)", expect, d);
	return -1;
}

static int is_num(const cJSON *v)
{
	return cJSON_IsNumber(v) && isfinite(v->valuedouble);
}

static int is_whole(const cJSON *v, double lo, double hi)
{
	return is_num(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
	       v->valuedouble == floor(v->valuedouble);
}

static int is_string(const cJSON *v, size_t min, size_t max)
{
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return 0;
	n = strnlen(v->valuestring, max + 1);
	return n >= min && n <= max;
}

static int check_scalar_member(struct vctx *c, const cJSON *m, size_t maxstr, const char *expect)
{
	if (!m->string || strnlen(m->string, REPORT_MAX_NAME + 1) > REPORT_MAX_NAME)
		return bad(c, "a member name of at most 256 bytes", m, ".?");
	if (cJSON_IsNull(m) || cJSON_IsBool(m) || is_num(m) || is_string(m, 0, maxstr))
		return 0;
	return bad(c, expect, m, ".%.40s", m->string);
}

/* A warning's code: a short identifier, so that it can name a file, a column or a grep. */
static int is_code(const cJSON *v)
{
	if (!is_string(v, 1, REPORT_MAX_CODE) || !(v->valuestring[0] >= 'a' && v->valuestring[0] <= 'z'))
		return 0;
	for (const char *p = v->valuestring; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

/* An object of counts: every member a finite number >= 0 or null. */
static int check_counts(struct vctx *c, const cJSON *v, const char *at)
{
	const cJSON *e;
	size_t i = 0;

	if (!cJSON_IsObject(v))
		return bad(c, expected(K_COUNTS), v, "%s", at);
	cJSON_ArrayForEach(e, v) {
		if (++i > 256)
			return bad(c, "an object of at most 256 members", v, "%s", at);
		if (!e->string || strnlen(e->string, REPORT_MAX_NAME + 1) > REPORT_MAX_NAME)
			return bad(c, "a member name of at most 256 bytes", e, "%s.?", at);
		if (!cJSON_IsNull(e) && !(is_num(e) && e->valuedouble >= 0))
			return bad(c, "a finite number >= 0 or null", e, "%s.%.40s", at, e->string);
	}
	return 0;
}

/* warnings[i]: a record {code, severity, run, text}, each member present and nothing else,
 * or a string (reports written before warnings had codes). The codes are not checked
 * against this version's table: a newer concbench may add some. */
static int check_warning(struct vctx *c, const cJSON *w, size_t i)
{
	static const char *const members[] = { "code", "severity", "run", "text" };
	const cJSON *m, *run;
	char range[80];

	if (cJSON_IsString(w))
		return is_string(w, 0, REPORT_MAX_TEXT) ? 0 :
			bad(c, "a string of at most 8192 bytes", w, "[%zu]", i);
	if (!cJSON_IsObject(w))
		return bad(c, "a warning {code, severity, run, text} or a string", w, "[%zu]", i);
	cJSON_ArrayForEach(m, w) {
		size_t j;
		for (j = 0; j < ARRAY_SIZE(members) && strcmp(m->string ? m->string : "", members[j]); j++)
			;
		if (j == ARRAY_SIZE(members))
			return bad(c, "a member of a warning (code, severity, run, text)", m,
				   "[%zu].%.40s", i, m->string ? m->string : "?");
	}
	for (size_t j = 0; j < ARRAY_SIZE(members); j++)
		if (!cJSON_GetObjectItemCaseSensitive(w, members[j])) {
			cb_fmt(c->field + strlen(c->field), sizeof(c->field) - strlen(c->field),
			       "[%zu].%s", i, members[j]);
			cb_fmt(c->why, sizeof(c->why), "is missing (a warning has code, severity, run "
			       "and text)");
			return -1;
		}
	m = cJSON_GetObjectItemCaseSensitive(w, "code");
	if (!is_code(m))
		return bad(c, "a code of 1 to 32 bytes of a-z, 0-9 and '-', starting with a letter",
			   m, "[%zu].code", i);
	m = cJSON_GetObjectItemCaseSensitive(w, "severity");
	if (!cJSON_IsString(m) || !m->valuestring ||
	    (strcmp(m->valuestring, "info") && strcmp(m->valuestring, "warning")))
		return bad(c, "'info' or 'warning'", m, "[%zu].severity", i);
	run = cJSON_GetObjectItemCaseSensitive(w, "run");
	/* Without runs the report is refused for that next; any index is out of range then. */
	if (c->nruns)
		cb_fmt(range, sizeof(range), "null or the index of a run, 0 to %zu", c->nruns - 1);
	else
		cb_fmt(range, sizeof(range), "null or the index of a run");
	if (!cJSON_IsNull(run) &&
	    !is_whole(run, 0, c->nruns ? (double)(c->nruns - 1) : 9007199254740992.0))
		return bad(c, range, run, "[%zu].run", i);
	m = cJSON_GetObjectItemCaseSensitive(w, "text");
	if (!is_string(m, 0, REPORT_MAX_TEXT))
		return bad(c, "a string of at most 8192 bytes", m, "[%zu].text", i);
	return 0;
}

/* runs[].ranks: one object per worker of an mpi run. */
static int check_ranks(struct vctx *c, const cJSON *v)
{
	const cJSON *e, *x;
	size_t i = 0;
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > (int)REPORT_MAX_WORKERS)
		return bad(c, expected(K_RANKS), v, "%s", "");
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsObject(e))
			return bad(c, expected(K_RANKS), e, "[%zu]", i);
		x = cJSON_GetObjectItemCaseSensitive(e, "worker");
		if (!is_whole(x, 0, REPORT_MAX_WORKERS - 1))
			return bad(c, "a whole number from 0 to 1048575", x, "[%zu].worker", i);
		x = cJSON_GetObjectItemCaseSensitive(e, "rank");
		if (!is_whole(x, 1, INT32_MAX))
			return bad(c, "a whole number from 1 to 2147483647", x, "[%zu].rank", i);
		x = cJSON_GetObjectItemCaseSensitive(e, "host");
		if (!is_string(x, 0, REPORT_MAX_NAME))
			return bad(c, "a string of at most 256 bytes", x, "[%zu].host", i);
		x = cJSON_GetObjectItemCaseSensitive(e, "pu");
		if (x && !cJSON_IsNull(x) && !is_whole(x, 0, INT32_MAX))
			return bad(c, "a whole number >= 0 or null", x, "[%zu].pu", i);
		x = cJSON_GetObjectItemCaseSensitive(e, "mpi_bound");
		if (x && !cJSON_IsBool(x))
			return bad(c, "true or false", x, "[%zu].mpi_bound", i);
		x = cJSON_GetObjectItemCaseSensitive(e, "offset_s");
		if (!is_num(x))
			return bad(c, "a finite number", x, "[%zu].offset_s", i);
		x = cJSON_GetObjectItemCaseSensitive(e, "offset_uncertainty_s");
		if (!(is_num(x) && x->valuedouble >= 0))
			return bad(c, "a finite number >= 0", x, "[%zu].offset_uncertainty_s", i);
		i++;
	}
	return 0;
}

static int check_value(struct vctx *c, const cJSON *v, enum kind k)
{
	const cJSON *e;
	size_t i = 0;

	switch (k) {
	case K_NAME:
		return is_string(v, 1, REPORT_MAX_NAME) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_TEXT:
		return is_string(v, 0, REPORT_MAX_TEXT) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_LABEL:
		return is_string(v, 1, REPORT_LABEL_MAX) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_WORKERS:
		return is_whole(v, 1, REPORT_MAX_WORKERS) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_COUNT:
		return is_whole(v, 0, 9007199254740992.0) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_NONNEG:
		return is_num(v) && v->valuedouble >= 0 ? 0 : bad(c, expected(k), v, "%s", "");
	case K_REAL:
		return is_num(v) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_LEVEL:
		return is_num(v) && v->valuedouble >= 0 && v->valuedouble <= 1 ? 0 :
			bad(c, expected(k), v, "%s", "");
	case K_BOOL:
		return cJSON_IsBool(v) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_INTERVAL:
	case K_INTERVAL_NONNEG: {
		const cJSON *lo = cJSON_GetArrayItem(v, 0), *hi = cJSON_GetArrayItem(v, 1);
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !is_num(lo) || !is_num(hi) ||
		    lo->valuedouble > hi->valuedouble ||
		    (k == K_INTERVAL_NONNEG && lo->valuedouble < 0))
			return bad(c, expected(k), v, "%s", "");
		return 0;
	}
	case K_SAMPLES:
	case K_NONNEG_ARRAY:
	case K_INDICES:
		if (!cJSON_IsArray(v) ||
		    cJSON_GetArraySize(v) > (k == K_INDICES ? (int)REPORT_MAX_WORKERS : REPORT_MAX_SAMPLES))
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			if (k == K_SAMPLES && !(is_num(e) && e->valuedouble > 0))
				return bad(c, "a number of seconds > 0", e, "[%zu]", i);
			if (k == K_NONNEG_ARRAY && !(is_num(e) && e->valuedouble >= 0))
				return bad(c, "a finite number >= 0", e, "[%zu]", i);
			if (k == K_INDICES && !is_whole(e, 0, INT32_MAX))
				return bad(c, "a whole number >= 0", e, "[%zu]", i);
			i++;
		}
		return 0;
	case K_WORKER_S:
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > REPORT_MAX_SAMPLES)
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			const cJSON *x;
			size_t j = 0;
			if (!cJSON_IsArray(e))
				return bad(c, "an array", e, "[%zu]", i);
			cJSON_ArrayForEach(x, e) {
				if (!cJSON_IsNull(x) && !(is_num(x) && x->valuedouble >= 0))
					return bad(c, "a finite number >= 0 or null", x, "[%zu][%zu]", i, j);
				j++;
			}
			i++;
		}
		return 0;
	case K_PARAMS:
	case K_HOST:
		if (!cJSON_IsObject(v))
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			if (++i > 256)
				return bad(c, "an object of at most 256 members", v, "%s", "");
			if (check_scalar_member(c, e, k == K_PARAMS ? REPORT_MAX_NAME : REPORT_MAX_TEXT,
						k == K_PARAMS ? "a string of at most 256 bytes, a "
						"finite number, a boolean or null" :
						"a string of at most 8192 bytes, a finite number, a "
						"boolean or null") < 0)
				return -1;
		}
		if (k == K_HOST) {
			e = cJSON_GetObjectItemCaseSensitive(v, "hostname");
			if (e && !cJSON_IsNull(e) && !is_string(e, 0, REPORT_MAX_NAME))
				return bad(c, "a string of at most 256 bytes", e, ".hostname");
		}
		return 0;
	case K_THROUGHPUT:
		if (!cJSON_IsObject(v))
			return bad(c, expected(k), v, "%s", "");
		e = cJSON_GetObjectItemCaseSensitive(v, "value");
		if (e && !cJSON_IsNull(e) && !(is_num(e) && e->valuedouble >= 0))
			return bad(c, "a finite number >= 0 or null", e, ".value");
		e = cJSON_GetObjectItemCaseSensitive(v, "unit");
		if (e && !cJSON_IsNull(e) && !is_string(e, 1, REPORT_MAX_NAME))
			return bad(c, expected(K_NAME), e, ".unit");
		return 0;
	case K_RUSAGE:
		if (!cJSON_IsObject(v))
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			if (++i > 256)
				return bad(c, "an object of at most 256 members", v, "%s", "");
			if (e->string && strcmp(e->string, "per") == 0) {
				if (!cJSON_IsNull(e) && !is_string(e, 0, REPORT_MAX_TEXT))
					return bad(c, expected(K_TEXT), e, ".per");
			} else if (!cJSON_IsNull(e) && !(is_num(e) && e->valuedouble >= 0)) {
				return bad(c, "a finite number >= 0 or null", e, ".%.40s",
					   e->string ? e->string : "?");
			}
		}
		return 0;
	case K_COUNTS:
		return check_counts(c, v, "");
	case K_COUNTS_LIST:
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > (int)REPORT_MAX_WORKERS)
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			char at[24];
			cb_fmt(at, sizeof(at), "[%zu]", i++);
			if (check_counts(c, e, at) < 0)
				return -1;
		}
		return 0;
	case K_OBJECT:
		return cJSON_IsObject(v) ? 0 : bad(c, expected(k), v, "%s", "");
	case K_STRINGS:
		if (!cJSON_IsArray(v))
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			if (!is_string(e, 0, REPORT_MAX_TEXT))
				return bad(c, "a string of at most 8192 bytes", e, "[%zu]", i);
			i++;
		}
		return 0;
	case K_WARNINGS:
		if (!cJSON_IsArray(v))
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			if (check_warning(c, e, i) < 0)
				return -1;
			i++;
		}
		return 0;
	case K_WORKER_REF:
		if (!cJSON_IsObject(v))
			return bad(c, expected(k), v, "%s", "");
		e = cJSON_GetObjectItemCaseSensitive(v, "worker");
		if (!is_whole(e, 0, REPORT_MAX_WORKERS - 1))
			return bad(c, "a whole number from 0 to 1048575", e, ".worker");
		e = cJSON_GetObjectItemCaseSensitive(v, "pu");
		if (e && !cJSON_IsNull(e) && !is_whole(e, 0, INT32_MAX))
			return bad(c, "a whole number >= 0 or null", e, ".pu");
		e = cJSON_GetObjectItemCaseSensitive(v, "time_s");
		if (e && !cJSON_IsNull(e) && !(is_num(e) && e->valuedouble >= 0))
			return bad(c, "a finite number >= 0 or null", e, ".time_s");
		return 0;
	case K_CRASHES:
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > REPORT_MAX_SAMPLES)
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			static const char *const whole[] = { "worker", "task", "lost_tasks" };
			static const char *const secs[] = { "detect_s", "recover_s" };
			const cJSON *x;
			if (!cJSON_IsObject(e))
				return bad(c, expected(k), e, "[%zu]", i);
			for (size_t j = 0; j < ARRAY_SIZE(whole); j++) {
				x = cJSON_GetObjectItemCaseSensitive(e, whole[j]);
				if (!is_whole(x, 0, WL_MAX_TASKS))
					return bad(c, "a whole number from 0 to 4096", x, "[%zu].%s", i,
						   whole[j]);
			}
			x = cJSON_GetObjectItemCaseSensitive(e, "signal");
			if (!is_whole(x, 1, 64))
				return bad(c, "a signal number from 1 to 64", x, "[%zu].signal", i);
			for (size_t j = 0; j < ARRAY_SIZE(secs); j++) {
				x = cJSON_GetObjectItemCaseSensitive(e, secs[j]);
				if (x && !cJSON_IsNull(x) && !(is_num(x) && x->valuedouble >= 0))
					return bad(c, "a finite number >= 0 or null", x, "[%zu].%s", i,
						   secs[j]);
			}
			i++;
		}
		return 0;
	case K_RANKS:
		return check_ranks(c, v);
	case K_BUSY:
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > 64)
			return bad(c, expected(k), v, "%s", "");
		cJSON_ArrayForEach(e, v) {
			const cJSON *x;
			if (!cJSON_IsObject(e))
				return bad(c, "a process {pid, command, cpu_share, pu}", e, "[%zu]", i);
			x = cJSON_GetObjectItemCaseSensitive(e, "pid");
			if (!is_whole(x, 1, INT32_MAX))
				return bad(c, "a whole number from 1 to 2147483647", x, "[%zu].pid", i);
			x = cJSON_GetObjectItemCaseSensitive(e, "command");
			if (!is_string(x, 0, REPORT_MAX_NAME))
				return bad(c, "a string of at most 256 bytes", x, "[%zu].command", i);
			x = cJSON_GetObjectItemCaseSensitive(e, "cpu_share");
			if (!(is_num(x) && x->valuedouble >= 0))
				return bad(c, "a finite number >= 0", x, "[%zu].cpu_share", i);
			x = cJSON_GetObjectItemCaseSensitive(e, "pu");
			if (x && !cJSON_IsNull(x) && !is_whole(x, 0, INT32_MAX))
				return bad(c, "a whole number >= 0 or null", x, "[%zu].pu", i);
			i++;
		}
		return 0;
	}
	return bad(c, "known", v, "%s", "");
}

/* Every rule of the table against object o. Returns 0 or -1 with c filled. */
static int check_rules(struct vctx *c, const cJSON *o, const struct rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, rules[i].field);
		cb_fmt(c->field, sizeof(c->field), "%s", rules[i].field);
		if (!v || cJSON_IsNull(v)) {
			if (!(rules[i].flags & REQUIRED))
				continue;
			cb_fmt(c->why, sizeof(c->why), "is %s (expected %s)", v ? "null" : "missing",
			       expected(rules[i].kind));
			return -1;
		}
		if (check_value(c, v, rules[i].kind) < 0)
			return -1;
	}
	return 0;
}

/* Event-loop runs (executor uring, epoll): "backend", what performed the operations, is
 * "io_uring" or "epoll"; "depth", the tasks in flight per loop, a whole number from 1 to
 * EX_LOOP_MAX_DEPTH. Both absent (or null) on every other run and in older reports. */
static int check_loop(struct vctx *c, const cJSON *run)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(run, "backend");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(run, "depth");

	if (b && !cJSON_IsNull(b) && (!cJSON_IsString(b) ||
	    (strcmp(b->valuestring, "io_uring") != 0 && strcmp(b->valuestring, "epoll") != 0))) {
		cb_fmt(c->field, sizeof(c->field), "backend");
		cb_fmt(c->why, sizeof(c->why), "is not \"io_uring\" or \"epoll\"");
		return -1;
	}
	if (d && !cJSON_IsNull(d) && (!is_num(d) || d->valuedouble < 1 ||
	    d->valuedouble > EX_LOOP_MAX_DEPTH || d->valuedouble != floor(d->valuedouble))) {
		cb_fmt(c->field, sizeof(c->field), "depth");
		cb_fmt(c->why, sizeof(c->why), "is not a whole number from 1 to %d",
		       EX_LOOP_MAX_DEPTH);
		return -1;
	}
	return 0;
}

/* A run with samples has a median among them; a run without samples has none; min_s is
 * not above max_s. Run after check_rules. */
static int check_median(struct vctx *c, const cJSON *run)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(run, "samples_s"), *e;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(run, "median_s");
	const cJSON *mn = cJSON_GetObjectItemCaseSensitive(run, "min_s");
	const cJSON *mx = cJSON_GetObjectItemCaseSensitive(run, "max_s");
	double lo = INFINITY, hi = -INFINITY;

	cb_fmt(c->field, sizeof(c->field), "median_s");
	cJSON_ArrayForEach(e, s) {
		lo = fmin(lo, e->valuedouble);
		hi = fmax(hi, e->valuedouble);
	}
	if (cJSON_GetArraySize(s) == 0) {
		if (is_num(m)) {
			cb_fmt(c->why, sizeof(c->why), "is %.6g but \"samples_s\" is empty (expected "
			       "null)", m->valuedouble);
			return -1;
		}
	} else if (!is_num(m)) {
		cb_fmt(c->why, sizeof(c->why), "is %s (expected the median of \"samples_s\")",
		       m ? "null" : "missing");
		return -1;
	} else if (m->valuedouble < lo * (1 - 1e-9) || m->valuedouble > hi * (1 + 1e-9)) {
		cb_fmt(c->why, sizeof(c->why), "is %.6g, outside the range of \"samples_s\" "
		       "[%.6g, %.6g]", m->valuedouble, lo, hi);
		return -1;
	}
	if (is_num(mn) && is_num(mx) && mn->valuedouble > mx->valuedouble) {
		cb_fmt(c->field, sizeof(c->field), "min_s");
		cb_fmt(c->why, sizeof(c->why), "is %.6g, above \"max_s\" %.6g", mn->valuedouble,
		       mx->valuedouble);
		return -1;
	}
	return 0;
}

/* " (cpu thread workers=2)" from whatever of the run is already valid; control
 * characters become '?'. "" when nothing is. */
static void run_label(const cJSON *run, char *buf, size_t len)
{
	const cJSON *wl = cJSON_GetObjectItemCaseSensitive(run, "workload");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(run, "executor");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(run, "workers");
	char raw[160] = "";
	size_t j = 0;

	if (is_string(wl, 1, REPORT_MAX_NAME))
		cb_fmt(raw, sizeof(raw), "%.40s", wl->valuestring);
	if (is_string(ex, 1, REPORT_MAX_NAME))
		cb_fmt(raw + strlen(raw), sizeof(raw) - strlen(raw), "%s%.40s", raw[0] ? " " : "",
		       ex->valuestring);
	if (is_whole(w, 1, REPORT_MAX_WORKERS))
		cb_fmt(raw + strlen(raw), sizeof(raw) - strlen(raw), "%sworkers=%u",
		       raw[0] ? " " : "", (unsigned)w->valuedouble);
	if (!raw[0] || len < 5) {
		if (len)
			buf[0] = 0;
		return;
	}
	buf[j++] = ' ';
	buf[j++] = '(';
	for (size_t i = 0; raw[i] && j + 2 < len; i++)
		buf[j++] = ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7f) ? '?' : raw[i];
	buf[j++] = ')';
	buf[j] = 0;
}

/* ---- parsing -------------------------------------------------------------------------- */

/* The offset of the first bracket nested deeper than REPORT_MAX_DEPTH, or len: cJSON
 * recurses once per level, so this is counted before it parses. */
static size_t too_deep_at(const char *t, size_t len)
{
	size_t depth = 0;
	int in_str = 0, esc = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = t[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (ch == '\\')
				esc = 1;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
		} else if (ch == '[' || ch == '{') {
			if (++depth > REPORT_MAX_DEPTH)
				return i;
		} else if ((ch == ']' || ch == '}') && depth) {
			depth--;
		}
	}
	return len;
}

static void line_col(const char *t, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (t[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A member name that appears twice in one object of v, searched depth first: readers
 * disagree on which of two equal keys wins, so a report may not have any. Returns 1 with
 * *dup set, 0 for none, -ENOMEM. Sorting keeps it O(n log n) on hostile objects. */
static int duplicate_key(const cJSON *v, const char **dup)
{
	const cJSON *m;
	size_t n = 0, i = 0;
	const char **names;
	int rc = 0;

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return 0;
	for (m = v->child; m; m = m->next)
		n++;
	if (cJSON_IsObject(v) && n > 1) {
		names = malloc(n * sizeof(*names));
		if (!names)
			return -ENOMEM;
		for (m = v->child; m; m = m->next)
			names[i++] = m->string ? m->string : "";
		qsort(names, n, sizeof(*names), cmp_name);
		for (i = 1; i < n && !rc; i++)
			if (strcmp(names[i - 1], names[i]) == 0) {
				*dup = names[i];
				rc = 1;
			}
		free(names);
	}
	for (m = v->child; m && !rc; m = m->next)
		rc = duplicate_key(m, dup);
	return rc;
}

static cJSON *fail_input(cJSON *doc)
{
	cJSON_Delete(doc);
	errno = EINVAL;
	return NULL;
}

cJSON *report_parse(const char *cmd, const char *name, const char *text, size_t len)
{
	const char *end = NULL, *nul;
	const cJSON *schema, *runs, *r;
	size_t deep, line, col, i = 0, tail;
	cJSON *doc;
	struct vctx c;

	for (tail = 0; tail < len && strchr(" \t\r\n", text[tail]) && text[tail]; tail++)
		;
	if (tail == len) {
		cb_error("%s: '%s': not JSON (the file is empty)", cmd, name);
		return fail_input(NULL);
	}
	nul = memchr(text, 0, len);
	if (nul) {
		cb_error("%s: '%s': not JSON (a NUL byte at offset %zu)", cmd, name,
			 (size_t)(nul - text));
		return fail_input(NULL);
	}
	deep = too_deep_at(text, len);
	if (deep < len) {
		line_col(text, deep, &line, &col);
		cb_error("%s: '%s': not a concbench report (nested deeper than %d levels at line "
			 "%zu, column %zu)", cmd, name, REPORT_MAX_DEPTH, line, col);
		return fail_input(NULL);
	}
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!doc) {
		if (!end)
			end = cJSON_GetErrorPtr();
		if (end && end >= text && end <= text + len) {
			line_col(text, (size_t)(end - text), &line, &col);
			cb_error("%s: '%s': not JSON (syntax error at line %zu, column %zu)", cmd, name,
				 line, col);
		} else if (errno == ENOMEM) {
			cb_error("%s: '%s': out of memory", cmd, name);
			return NULL;
		} else {
			cb_error("%s: '%s': not JSON", cmd, name);
		}
		return fail_input(NULL);
	}
	for (tail = (size_t)(end - text); tail < len && strchr(" \t\r\n", text[tail]); tail++)
		;
	if (tail < len) {
		line_col(text, tail, &line, &col);
		cb_error("%s: '%s': not JSON (something after the document at line %zu, column %zu)",
			 cmd, name, line, col);
		return fail_input(doc);
	}
	if (!cJSON_IsObject(doc)) {
		cb_error("%s: '%s': not a concbench report (the top level is not a JSON object)",
			 cmd, name);
		return fail_input(doc);
	}
	{
		const char *dup = NULL;
		int d = duplicate_key(doc, &dup);
		if (d < 0) {
			cb_error("%s: '%s': out of memory", cmd, name);
			cJSON_Delete(doc);
			errno = ENOMEM;
			return NULL;
		}
		if (d > 0) {
			cb_error("%s: '%s': the key \"%s\" appears twice in one object (readers "
				 "disagree on which one counts)", cmd, name, dup);
			return fail_input(doc);
		}
	}
	schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	if (!schema) {
		cb_error("%s: '%s': not a concbench report (no \"schema\" field, expected '%s')", cmd,
			 name, REPORT_SCHEMA);
		return fail_input(doc);
	}
	if (!is_string(schema, 1, REPORT_MAX_NAME)) {
		cb_error("%s: '%s': not a concbench report (\"schema\" is not a short string, "
			 "expected '%s')", cmd, name, REPORT_SCHEMA);
		return fail_input(doc);
	}
	if (strcmp(schema->valuestring, REPORT_SCHEMA) != 0) {
		char s[80];
		cb_sanitize(schema->valuestring, s, sizeof(s));
		if (strncmp(s, "concbench-report/", 17) == 0)
			cb_error("%s: '%s': schema '%s' is newer than this concbench reads ('%s'); "
				 "upgrade concbench", cmd, name, s, REPORT_SCHEMA);
		else
			cb_error("%s: '%s': not a concbench report (schema '%s', expected '%s')", cmd,
				 name, s, REPORT_SCHEMA);
		return fail_input(doc);
	}
	runs = cJSON_GetObjectItemCaseSensitive(doc, "runs");
	c.nruns = cJSON_IsArray(runs) ? (size_t)cJSON_GetArraySize(runs) : 0;
	if (check_rules(&c, doc, doc_rules, ARRAY_SIZE(doc_rules)) < 0) {
		cb_error("%s: '%s': \"%s\" %s", cmd, name, c.field, c.why);
		return fail_input(doc);
	}
	if (!cJSON_IsArray(runs)) {
		cb_error("%s: '%s': \"runs\" is missing or not an array", cmd, name);
		return fail_input(doc);
	}
	if (!runs->child) {
		cb_error("%s: '%s': the report has no runs", cmd, name);
		return fail_input(doc);
	}
	cJSON_ArrayForEach(r, runs) {
		char label[160];
		if (!cJSON_IsObject(r)) {
			cb_error("%s: '%s': runs[%zu] is not an object", cmd, name, i);
			return fail_input(doc);
		}
		if (check_rules(&c, r, run_rules, ARRAY_SIZE(run_rules)) < 0 ||
		    check_median(&c, r) < 0 || check_loop(&c, r) < 0) {
			run_label(r, label, sizeof(label));
			cb_error("%s: '%s': runs[%zu]%s: \"%s\" %s", cmd, name, i, label, c.field, c.why);
			return fail_input(doc);
		}
		i++;
	}
	return doc;
}

/* The run a warning of a checked document is about, or SIZE_MAX: a string, or the host. */
static size_t warning_run(const cJSON *w)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(w, "run");

	return cJSON_IsObject(w) && cJSON_IsNumber(r) ? (size_t)r->valuedouble : SIZE_MAX;
}

int report_run_codes_build(const cJSON *doc, struct report_run_codes *rc)
{
	const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(doc, "warnings"), *w;
	size_t n = 0, *next;

	memset(rc, 0, sizeof(*rc));
	rc->nruns = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "runs"));
	rc->first = calloc(rc->nruns + 1, sizeof(*rc->first));
	if (!rc->first)
		return -ENOMEM;
	/* a counting sort by run: count, offsets, place */
	cJSON_ArrayForEach(w, warnings) {
		size_t run = warning_run(w);
		if (run < rc->nruns) {
			rc->first[run + 1]++;
			n++;
		}
	}
	for (size_t i = 0; i < rc->nruns; i++)
		rc->first[i + 1] += rc->first[i];
	rc->codes = malloc((n ? n : 1) * sizeof(*rc->codes));
	next = malloc((rc->nruns ? rc->nruns : 1) * sizeof(*next));
	if (!rc->codes || !next) {
		free(next);
		return -ENOMEM;
	}
	memcpy(next, rc->first, rc->nruns * sizeof(*next));
	cJSON_ArrayForEach(w, warnings) {
		size_t run = warning_run(w);
		if (run < rc->nruns)
			rc->codes[next[run]++] = cJSON_GetObjectItemCaseSensitive(w, "code")->valuestring;
	}
	free(next);
	return 0;
}

void report_run_codes_free(struct report_run_codes *rc)
{
	free(rc->first);
	free(rc->codes);
	memset(rc, 0, sizeof(*rc));
}

size_t report_run_codes_of(const struct report_run_codes *rc, size_t run,
			   const char *const **codes)
{
	if (run >= rc->nruns || !rc->first) {
		*codes = NULL;
		return 0;
	}
	*codes = rc->codes + rc->first[run];
	return rc->first[run + 1] - rc->first[run];
}

const char *report_run_fallback(const cJSON *run)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(run, "backend");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(run, "executor");

	if (!cJSON_IsString(b) || !cJSON_IsString(ex) || strstr(b->valuestring, ex->valuestring))
		return NULL;
	return b->valuestring;
}

/* ---- reading -------------------------------------------------------------------------- */

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

cJSON *report_load(const char *cmd, const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t cap, n = 0;
	cJSON *doc = NULL;
	int fd, e = 0;

	/* O_NONBLOCK: opening a FIFO without a writer must not wait for one. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		cb_error("%s: cannot open '%s': %s", cmd, path, strerror(e));
		errno = e;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		cb_error("%s: cannot read '%s': %s", cmd, path, strerror(e));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
		cb_error("%s: '%s' is a directory, not a report", cmd, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		cb_error("%s: '%s' is %s, not a report file", cmd, path, file_kind(st.st_mode));
		goto out;
	}
	if ((uint64_t)st.st_size > REPORT_MAX_BYTES) {
		e = EFBIG;
		cb_error("%s: '%s': larger than %u MiB, not a concbench report", cmd, path,
			 REPORT_MAX_BYTES >> 20);
		goto out;
	}
	/* By the size it has; one byte more to see it has not grown. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		e = ENOMEM;
		cb_error("%s: '%s': out of memory", cmd, path);
		goto out;
	}
	for (;;) {
		ssize_t r;
		if (n == cap) {   /* it grew while we read: double, up to the limit + 1 */
			size_t ncap = cap > REPORT_MAX_BYTES / 2 ? REPORT_MAX_BYTES + 1 : cap * 2;
			char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
			if (!nb) {
				e = ncap > cap ? ENOMEM : EFBIG;
				cb_error(e == ENOMEM ? "%s: '%s': out of memory" :
					 "%s: '%s': larger than 64 MiB, not a concbench report", cmd, path);
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			cb_error("%s: cannot read '%s': %s", cmd, path, strerror(e));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > REPORT_MAX_BYTES) {
			e = EFBIG;
			cb_error("%s: '%s': larger than %u MiB, not a concbench report", cmd, path,
				 REPORT_MAX_BYTES >> 20);
			goto out;
		}
	}
	doc = report_parse(cmd, path, buf, n);
	if (!doc)
		e = errno;
out:
	free(buf);
	close(fd);
	if (!doc)
		errno = e ? e : EINVAL;
	return doc;
}
