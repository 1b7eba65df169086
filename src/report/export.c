/* SPDX-License-Identifier: MIT */
/* export: Bencher Metric Format and github-action-benchmark's custom JSON from parsed
 * reports (see export.h). Every name is checked before anything is printed: two runs that
 * would share one would merge into one series on the dashboard, so that is refused, never
 * written. Every figure written is finite and every interval holds its value, or the
 * interval is left out. */
#include "report/export.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "report/reportload.h"

#define EXPORT_NAME_BUF (EXPORT_NAME_MAX + 2)   /* one byte more than allowed: too long shows */
#define EXPORT_WARN_MAX 10                      /* skipped runs named; the rest counted */

/* ---- names ---- */

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* A param's value as the name shows it: a number as it reads back, a string sanitised. */
static void param_value(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v)) {
		cb_sanitize(v->valuestring, buf, len);
	} else if (cJSON_IsNumber(v)) {
		cJSON *num = jsonb_number(v->valuedouble);
		cb_fmt(buf, len, "%s", num && num->valuestring ? num->valuestring : "?");
		cJSON_Delete(num);
	} else {
		cb_fmt(buf, len, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" : "null");
	}
}

int export_run_name(const cJSON *run, const char *measure, const char *tag, char *buf,
		    size_t len)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(run, "params"), *p;
	const cJSON **sorted;
	char s[REPORT_MAX_NAME + 1], v[REPORT_MAX_NAME + 1];
	size_t np = 0, i = 0;

	buf[0] = 0;
	cJSON_ArrayForEach(p, params)
		np++;
	sorted = malloc((np ? np : 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	cJSON_ArrayForEach(p, params)
		sorted[i++] = p;
	/* The file's order of params is the writer's; the name must not depend on it. */
	qsort(sorted, np, sizeof(*sorted), by_key);

	cb_append(buf, len, "%s", cb_sanitize(jsonb_str(run, "workload"), s, sizeof(s)));
	for (i = 0; i < np; i++) {
		param_value(sorted[i], v, sizeof(v));
		cb_append(buf, len, "%s%s=%s", i ? "," : "/",
			  cb_sanitize(sorted[i]->string, s, sizeof(s)), v);
	}
	free(sorted);
	cb_append(buf, len, "/%s%s", cb_sanitize(jsonb_str(run, "executor"), s, sizeof(s)),
		  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "gil")) ? "+gil" : "");
	cb_append(buf, len, "/workers=%lu", (unsigned long)jsonb_num(run, "workers"));
	cb_append(buf, len, "/binding=%s", cb_sanitize(jsonb_str(run, "binding"), s, sizeof(s)));
	if (measure)
		cb_append(buf, len, "/%s", measure);
	if (tag)
		cb_append(buf, len, " @ %s", cb_sanitize(tag, s, sizeof(s)));
	return strlen(buf) > EXPORT_NAME_MAX ? -ENAMETOOLONG : 0;
}

/* ---- figures ---- */

/* The interval [lo, hi] of array k of run, scaled, when it exists, is finite and holds
 * v (scaled too): 1; else 0. Scaling by a positive constant keeps the order of lo, v, hi. */
static int interval_of(const cJSON *run, const char *k, double v, double scale, double *lo,
		       double *hi)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(run, k);
	const cJSON *l = cJSON_GetArrayItem(a, 0), *h = cJSON_GetArrayItem(a, 1);
	if (!cJSON_IsArray(a) || !cJSON_IsNumber(l) || !cJSON_IsNumber(h))
		return 0;
	*lo = l->valuedouble * scale;
	*hi = h->valuedouble * scale;
	return isfinite(*lo) && isfinite(*hi) && *lo <= v && v <= *hi;
}

/* Throughput is items / median time, so its interval is items over the time interval's
 * ends, the ratio taken first so that rounding keeps lo <= t <= hi. */
static int throughput_interval(const cJSON *run, double t, double *lo, double *hi)
{
	double m = jsonb_num(run, "median_s"), tlo, thi;
	if (!interval_of(run, "ci95_s", m, 1, &tlo, &thi) || !(tlo > 0))
		return 0;
	*lo = t * (m / thi);
	*hi = t * (m / tlo);
	return isfinite(*lo) && isfinite(*hi) && *lo <= t && t <= *hi;
}

/* A BMF metric: value, and lower_value and upper_value when there is an interval. */
static cJSON *bmf_metric(struct jsonb *b, double v, int has, double lo, double hi)
{
	cJSON *m = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_num(b, m, "value", v);
	if (has) {
		jsonb_add_num(b, m, "lower_value", lo);
		jsonb_add_num(b, m, "upper_value", hi);
	}
	return m;
}

/* A github-action-benchmark entry. Its "range" is the wider side of the interval as
 * "± N": the action reads only that form, and always with a point in N. */
static cJSON *action_entry(struct jsonb *b, const char *name, const char *unit, double v,
			   int has, double lo, double hi, const char *extra)
{
	cJSON *e = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_str(b, e, "name", name);
	jsonb_add_str(b, e, "unit", unit);
	jsonb_add_num(b, e, "value", v);
	if (has) {
		char range[48];
		cb_fmt(range, sizeof(range), "\xc2\xb1 %#.4g", fmax(v - lo, hi - v));
		jsonb_add_str(b, e, "range", range);
	}
	jsonb_add_str(b, e, "extra", extra);
	return e;
}

/* "median of 10 samples, CV 1.0%, 95% CI [54.55, 55.68] ms, host vm": what the action's tooltip
 * shows beside the value. */
static void action_extra(char *buf, size_t len, const cJSON *doc, const cJSON *run,
			 const char *what, int has, double lo, double hi, const char *unit)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(run, "samples_s");
	double cv = jsonb_num(run, "cv");
	char s[REPORT_MAX_NAME + 1];

	cb_fmt(buf, len, "%s%d samples", what, cJSON_GetArraySize(samples));
	if (isfinite(cv))
		cb_append(buf, len, ", CV %.1f%%", 100 * cv);
	if (has)
		cb_append(buf, len, ", 95%% CI [%#.4g, %#.4g]%s%s", lo, hi, *unit ? " " : "",
			  cb_sanitize(unit, s, sizeof(s)));
	else
		cb_append(buf, len, ", no 95%% CI (under 6 samples)");
	if (*jsonb_str(cJSON_GetObjectItemCaseSensitive(doc, "host"), "hostname"))
		cb_append(buf, len, ", host %s",
			  cb_sanitize(jsonb_str(cJSON_GetObjectItemCaseSensitive(doc, "host"),
						"hostname"), s, sizeof(s)));
	if (*jsonb_str(doc, "label"))
		cb_append(buf, len, ", label %s", cb_sanitize(jsonb_str(doc, "label"), s, sizeof(s)));
}

/* ---- the document ---- */

struct entry {
	char *name;
	size_t doc, run;
	const char *skip;        /* why the run is left out; NULL: exported */
};

struct exporter {
	cJSON *const *docs;
	const char *const *paths;
	enum export_format fmt;
	struct jsonb b;
	cJSON *out;
	struct entry *e;
	size_t n, cap;
	int err;                 /* the first failure: -ENOMEM or -EINVAL (said) */
};

/* Record an entry named from run (measure, tag); 0, or the failure (also in x->err). */
static int add_entry(struct exporter *x, size_t d, size_t i, const cJSON *run,
		     const char *measure, const char *tag, const char *skip, char *name)
{
	int rc = export_run_name(run, measure, tag, name, EXPORT_NAME_BUF);

	if (rc == -ENAMETOOLONG && !skip) {
		cb_error("report: '%s': runs[%zu] (%s %s workers=%lu): its export name would be "
			 "over %d bytes (Bencher's limit); its params are too long to name it",
			 x->paths[d], i, jsonb_str(run, "workload"), jsonb_str(run, "executor"),
			 (unsigned long)jsonb_num(run, "workers"), EXPORT_NAME_MAX);
		return x->err = -EINVAL;
	}
	if (rc == -ENOMEM)
		return x->err = -ENOMEM;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		struct entry *e = realloc(x->e, cap * sizeof(*e));
		if (!e)
			return x->err = -ENOMEM;
		x->e = e;
		x->cap = cap;
	}
	x->e[x->n] = (struct entry){ .name = strdup(name), .doc = d, .run = i, .skip = skip };
	if (!x->e[x->n].name)
		return x->err = -ENOMEM;
	x->n++;
	return 0;
}

/* The entries of one run: one benchmark (BMF, smaller is better), or throughput and
 * speedup (bigger is better). */
static void export_run(struct exporter *x, size_t d, size_t i, const cJSON *run,
		       const char *tag, char *name)
{
	const cJSON *doc = x->docs[d];
	const cJSON *tp = cJSON_GetObjectItemCaseSensitive(run, "throughput");
	double m = jsonb_num(run, "median_s"), t = jsonb_num(tp, "value");
	double scale = x->fmt == EXPORT_BENCHER ? 1e9 : 1e3, v = m * scale, lo = 0, hi = 0;
	char extra[1024];
	int has;

	if (!isfinite(m) || !isfinite(v)) {
		add_entry(x, d, i, run, NULL, tag, isfinite(m) ? "its median is out of range" :
			  "no samples (median_s is null)", name);
		return;
	}
	if (x->fmt == EXPORT_BENCHER) {
		cJSON *bench = jsonb_chk(&x->b, cJSON_CreateObject());
		if (add_entry(x, d, i, run, NULL, tag, NULL, name)) {
			cJSON_Delete(bench);
			return;
		}
		has = interval_of(run, "ci95_s", v, scale, &lo, &hi);
		jsonb_item(&x->b, bench, "latency", bmf_metric(&x->b, v, has, lo, hi));
		if (isfinite(t)) {
			has = throughput_interval(run, t, &lo, &hi);
			jsonb_item(&x->b, bench, "throughput", bmf_metric(&x->b, t, has, lo, hi));
		}
		jsonb_item(&x->b, x->out, name, bench);
	} else if (x->fmt == EXPORT_ACTION_SMALLER) {
		if (add_entry(x, d, i, run, NULL, tag, NULL, name))
			return;
		has = interval_of(run, "ci95_s", v, scale, &lo, &hi);
		action_extra(extra, sizeof(extra), doc, run, "median of ", has, lo, hi, "ms");
		jsonb_push(&x->b, x->out, action_entry(&x->b, name, "ms", v, has, lo, hi, extra));
	} else {
		double sp = jsonb_num(run, "speedup");
		char unit[REPORT_MAX_NAME + 1];
		if (isfinite(t)) {
			if (add_entry(x, d, i, run, "throughput", tag, NULL, name))
				return;
			has = throughput_interval(run, t, &lo, &hi);
			cb_sanitize(jsonb_str(tp, "unit"), unit, sizeof(unit));
			action_extra(extra, sizeof(extra), doc, run, "throughput at the median of ", has,
				     lo, hi, unit);
			jsonb_push(&x->b, x->out,
				   action_entry(&x->b, name, unit, t, has, lo, hi, extra));
		}
		/* seq's speedup is 1 by definition: nothing to chart */
		if (isfinite(sp) && strcmp(jsonb_str(run, "executor"), "seq") != 0) {
			if (add_entry(x, d, i, run, "speedup", tag, NULL, name))
				return;
			has = interval_of(run, "speedup_ci95", sp, 1, &lo, &hi);
			action_extra(extra, sizeof(extra), doc, run, "against seq, ", has, lo, hi, "x");
			jsonb_push(&x->b, x->out, action_entry(&x->b, name, "x", sp, has, lo, hi, extra));
		}
	}
}

static int by_name(const void *a, const void *b)
{
	const struct entry *p = *(const struct entry *const *)a, *q = *(const struct entry *const *)b;
	int c = strcmp(p->name, q->name);
	if (c)
		return c;
	return p->doc != q->doc ? (p->doc < q->doc ? -1 : 1) :
	       p->run != q->run ? (p->run < q->run ? -1 : 1) : 0;
}

/* Refuse two exported entries of one name; say the first pair. */
static int check_unique(struct exporter *x)
{
	struct entry **s = malloc((x->n ? x->n : 1) * sizeof(*s));
	size_t k = 0;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++)
		if (!x->e[i].skip)
			s[k++] = &x->e[i];
	qsort(s, k, sizeof(*s), by_name);
	for (size_t i = 1; i < k && !rc; i++) {
		const struct entry *p = s[i - 1], *q = s[i];
		if (strcmp(p->name, q->name) != 0)
			continue;
		if (p->doc == q->doc)
			cb_error("report: '%s': runs[%zu] and runs[%zu] export under one name, '%s'; "
				 "a report holds each run once", x->paths[p->doc], p->run, q->run,
				 p->name);
		else
			cb_error("report: runs[%zu] of '%s' and runs[%zu] of '%s' export under one "
				 "name, '%s'; tell the reports apart by label (--label when each is run)",
				 p->run, x->paths[p->doc], q->run, x->paths[q->doc], p->name);
		rc = -EINVAL;
	}
	if (!rc && !k) {
		cb_error("report: no run of %s has samples; there is nothing to export",
			 x->n == 1 ? "the report" : "these reports");
		rc = -EINVAL;
	}
	free(s);
	return rc;
}

/* The runs left out, said once the export stands: a refusal stays one line. */
static void warn_skipped(const struct exporter *x)
{
	size_t said = 0, left = 0;
	for (size_t i = 0; i < x->n; i++) {
		const struct entry *e = &x->e[i];
		const cJSON *run;
		if (!e->skip)
			continue;
		if (said == EXPORT_WARN_MAX) {
			left++;
			continue;
		}
		run = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x->docs[e->doc], "runs"),
					 (int)e->run);
		cb_warn("report: '%s': runs[%zu] (%s %s workers=%lu) is not exported: %s",
			x->paths[e->doc], e->run, jsonb_str(run, "workload"),
			jsonb_str(run, "executor"), (unsigned long)jsonb_num(run, "workers"),
			e->skip);
		said++;
	}
	if (left)
		cb_warn("report: %zu more runs are not exported", left);
}

cJSON *export_build(cJSON *const *docs, const char *const *paths, size_t n,
		    enum export_format fmt, int *err)
{
	struct exporter x = { .docs = docs, .paths = paths, .fmt = fmt };
	char *name = malloc(EXPORT_NAME_BUF);

	x.out = fmt == EXPORT_BENCHER ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!name || !x.out)
		x.err = -ENOMEM;
	for (size_t d = 0; d < n && !x.err; d++) {
		const cJSON *host = cJSON_GetObjectItemCaseSensitive(docs[d], "host");
		/* one report needs no tag; several are told apart by label, else host */
		const char *tag = n < 2 ? NULL : *jsonb_str(docs[d], "label") ?
				  jsonb_str(docs[d], "label") : jsonb_str(host, "hostname");
		const cJSON *run;
		size_t i = 0;
		cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			if (x.err)
				break;
			export_run(&x, d, i++, run, tag, name);
		}
	}
	if (!x.err && x.b.failed)
		x.err = -ENOMEM;
	if (!x.err)
		x.err = check_unique(&x);
	if (!x.err)
		warn_skipped(&x);
	for (size_t i = 0; i < x.n; i++)
		free(x.e[i].name);
	free(x.e);
	free(name);
	if (x.err == -ENOMEM)
		cb_error("report: out of memory while building the export");
	*err = x.err;
	if (x.err) {
		cJSON_Delete(x.out);
		return NULL;
	}
	return x.out;
}
