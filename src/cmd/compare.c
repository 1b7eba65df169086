/* SPDX-License-Identifier: MIT */
/* compare: load two reports, match their runs by key, judge each pair (significant AND
 * larger than the threshold), render the verdicts as a table, markdown or JSON.
 *
 * Invariants: reports are parsed with cJSON only and checked field by field before any
 * number is used; every string taken from a report is sanitised before it reaches a
 * terminal or a markdown table; JSON output is built with cJSON. The verdict never depends
 * on the order of the runs or of the params' keys. */
#define _GNU_SOURCE
#include "cmd/compare.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "report/report.h"
#include "report/reportload.h"

#define CELL 192

static const char *const verdict_names[CMP_NVERDICTS] = {
	[CMP_UNCHANGED] = "unchanged",
	[CMP_REGRESSED] = "regressed",
	[CMP_IMPROVED] = "improved",
	[CMP_INSUFFICIENT] = "insufficient",
	[CMP_INCONCLUSIVE] = "inconclusive",
};

/* The values of --fail-on; "regressed" always fails. */
static const struct {
	const char *name;
	unsigned bit;
} fail_on_names[] = {
	{ "regressed", 0 },
	{ "inconclusive", CMP_FAIL_INCONCLUSIVE },
	{ "insufficient", CMP_FAIL_INSUFFICIENT },
	{ "missing", CMP_FAIL_MISSING },
};

/* The order of the verdicts in the summary line and the JSON summary. */
static const enum cmp_verdict verdict_order[CMP_NVERDICTS] = {
	CMP_REGRESSED, CMP_IMPROVED, CMP_UNCHANGED, CMP_INCONCLUSIVE, CMP_INSUFFICIENT,
};

const char *compare_verdict_name(enum cmp_verdict v)
{
	return (unsigned)v < CMP_NVERDICTS ? verdict_names[v] : "?";
}

/* ---- small text helpers ------------------------------------------------------------- */

/* Append to the string in buf (never overflows, always terminated). */
static void __attribute__((format(printf, 3, 4))) app(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* A copy of s safe for one line of a terminal, cut (with "...") to fit len: the shared
 * sanitiser of every renderer (util.h). */
static const char *clean(const char *s, char *buf, size_t len)
{
	return cb_sanitize(s, buf, len);
}

/* One line "concbench: compare: out of memory while WHAT"; returns -ENOMEM. */
static int out_of_memory(const char *what)
{
	cb_error("compare: out of memory while %s", what);
	return -ENOMEM;
}

/* ---- loading a report ---------------------------------------------------------------- */

static int run_error(const char *path, size_t i, const char *field, const char *why)
{
	if (field)
		cb_error("compare: '%s': runs[%zu]: \"%s\" %s", path, i, field, why);
	else
		cb_error("compare: '%s': runs[%zu] %s", path, i, why);
	return -EINVAL;
}

/* A copy of v whose objects have their members sorted by name, so that equal values print
 * equally. NULL when memory runs out. */
static int cmp_member_names(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;

	return strcmp(a->string ? a->string : "", b->string ? b->string : "");
}

static cJSON *canonical(const cJSON *v)
{
	const cJSON **kids, *c;
	cJSON *out;
	size_t n = 0, i;

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return cJSON_Duplicate(v, 0);
	out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!out)
		return NULL;
	for (c = v->child; c; c = c->next)
		n++;
	kids = malloc((n ? n : 1) * sizeof(*kids));
	if (!kids) {
		cJSON_Delete(out);
		return NULL;
	}
	for (c = v->child, i = 0; c; c = c->next)
		kids[i++] = c;
	if (cJSON_IsObject(v))
		qsort(kids, n, sizeof(*kids), cmp_member_names);
	for (i = 0; i < n; i++) {
		cJSON *k = canonical(kids[i]);
		int ok = k != NULL;
		if (ok && cJSON_IsObject(v))
			ok = cJSON_AddItemToObject(out, kids[i]->string ? kids[i]->string : "", k);
		else if (ok)
			ok = cJSON_AddItemToArray(out, k);
		if (!ok) {
			cJSON_Delete(k);
			cJSON_Delete(out);
			free(kids);
			return NULL;
		}
	}
	free(kids);
	return out;
}

/* The match key as one canonical JSON text: [workload, params, executor, workers, binding]. */
static char *run_key(const struct cmp_run *r)
{
	cJSON *a = cJSON_CreateArray(), *p = canonical(r->params);
	char *text = NULL;
	int ok = a && p;

	if (ok) {
		ok = cJSON_AddItemToArray(a, cJSON_CreateString(r->workload));
		ok = ok && cJSON_AddItemToArray(a, p);
		if (ok)
			p = NULL;   /* owned by a now */
		ok = ok && cJSON_AddItemToArray(a, cJSON_CreateString(r->executor));
		ok = ok && cJSON_AddItemToArray(a, cJSON_CreateNumber(r->workers));
		ok = ok && cJSON_AddItemToArray(a, cJSON_CreateString(r->binding));
	}
	if (ok)
		text = cJSON_PrintUnformatted(a);
	cJSON_Delete(p);
	cJSON_Delete(a);
	return text;
}

/* A run of a document that report_parse validated: only memory can fail here. */
static int load_run(const char *path, size_t i, const cJSON *o, struct cmp_run *r)
{
	const cJSON *s, *e;
	size_t k = 0;

	r->obj = o;
	r->index = i;
	r->workload = cJSON_GetObjectItemCaseSensitive(o, "workload")->valuestring;
	r->params = cJSON_GetObjectItemCaseSensitive(o, "params");
	r->executor = cJSON_GetObjectItemCaseSensitive(o, "executor")->valuestring;
	r->workers = (unsigned)cJSON_GetObjectItemCaseSensitive(o, "workers")->valuedouble;
	r->binding = cJSON_GetObjectItemCaseSensitive(o, "binding")->valuestring;
	s = cJSON_GetObjectItemCaseSensitive(o, "samples_s");
	r->n = (size_t)cJSON_GetArraySize(s);
	r->samples = malloc((r->n ? r->n : 1) * sizeof(*r->samples));
	if (!r->samples) {
		cb_error("compare: '%s': out of memory", path);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(e, s)
		r->samples[k++] = e->valuedouble;
	r->key = run_key(r);
	if (!r->key) {
		cb_error("compare: '%s': out of memory", path);
		return -ENOMEM;
	}
	return 0;
}

static int cmp_run_keys(const void *pa, const void *pb)
{
	const struct cmp_run *a = *(const struct cmp_run *const *)pa;
	const struct cmp_run *b = *(const struct cmp_run *const *)pb;
	int c = strcmp(a->key, b->key);

	return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* A short, sanitised name of a run for messages: "cpu thread workers=2 binding=none". */
static const char *run_name(const struct cmp_run *r, char *buf, size_t len)
{
	char a[64], b[64], c[64];

	cb_fmt(buf, len, "%s %s workers=%u binding=%s", clean(r->workload, a, sizeof(a)),
	       clean(r->executor, b, sizeof(b)), r->workers, clean(r->binding, c, sizeof(c)));
	return buf;
}

void compare_report_release(struct cmp_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; rep->runs && i < rep->nruns; i++) {
		free(rep->runs[i].samples);
		free(rep->runs[i].key);
	}
	free(rep->runs);
	free(rep->sorted);
	report_run_codes_free(&rep->warn);
	cJSON_Delete(rep->doc);
	rep->runs = NULL;
	rep->sorted = NULL;
	rep->doc = NULL;
	rep->nruns = 0;
}

int compare_load(const char *path, struct cmp_report *rep)
{
	const cJSON *runs, *o;
	size_t i = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->path = path;
	rep->doc = report_load("compare", path);
	if (!rep->doc)
		return errno ? -errno : -EINVAL;
	runs = cJSON_GetObjectItemCaseSensitive(rep->doc, "runs");
	rep->nruns = (size_t)cJSON_GetArraySize(runs);
	rep->runs = calloc(rep->nruns ? rep->nruns : 1, sizeof(*rep->runs));
	rep->sorted = calloc(rep->nruns ? rep->nruns : 1, sizeof(*rep->sorted));
	if (!rep->runs || !rep->sorted) {
		cb_error("compare: '%s': out of memory", path);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(o, runs) {
		rc = load_run(path, i, o, &rep->runs[i]);
		if (rc)
			return rc;
		rep->sorted[i] = &rep->runs[i];
		i++;
	}
	qsort(rep->sorted, rep->nruns, sizeof(*rep->sorted), cmp_run_keys);
	for (i = 1; i < rep->nruns; i++) {
		if (strcmp(rep->sorted[i - 1]->key, rep->sorted[i]->key) == 0) {
			char name[256];
			cb_error("compare: '%s': runs[%zu] and runs[%zu] are the same run (%s); a run "
				 "must appear once", path, rep->sorted[i - 1]->index,
				 rep->sorted[i]->index, run_name(rep->sorted[i], name, sizeof(name)));
			return -EINVAL;
		}
	}
	if (report_run_codes_build(rep->doc, &rep->warn) < 0) {
		cb_error("compare: '%s': out of memory", path);
		return -ENOMEM;
	}
	return 0;
}

/* ---- judging ------------------------------------------------------------------------- */

static int cmp_key_run(const void *key, const void *elem)
{
	return strcmp((const char *)key, (*(const struct cmp_run *const *)elem)->key);
}

/* The metric's samples of run r: seconds as they are, or per-sample throughput
 * throughput.value * median_s / samples_s[i] (= items / sample, since value = items /
 * median_s). */
static int metric_samples(const struct cmp_report *rep, const struct cmp_run *r,
			  enum cmp_metric m, double **out, const char **unit)
{
	double *x = malloc((r->n ? r->n : 1) * sizeof(*x)), value, median;
	const cJSON *t, *v, *u, *med;

	if (!x)
		return out_of_memory("judging the runs");
	if (m == CMP_MEDIAN_S) {
		memcpy(x, r->samples, r->n * sizeof(*x));
		*unit = "s";
		*out = x;
		return 0;
	}
	t = cJSON_GetObjectItemCaseSensitive(r->obj, "throughput");
	v = cJSON_GetObjectItemCaseSensitive(t, "value");
	u = cJSON_GetObjectItemCaseSensitive(t, "unit");
	med = cJSON_GetObjectItemCaseSensitive(r->obj, "median_s");
	*unit = cJSON_IsString(u) && u->valuestring && u->valuestring[0] ? u->valuestring : "items/s";
	if (r->n == 0) {
		*out = x;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !(v->valuedouble > 0)) {
		free(x);
		return run_error(rep->path, r->index, "throughput.value",
				 "is missing or not a positive number (needed by --metric throughput)");
	}
	if (!cJSON_IsNumber(med) || !isfinite(med->valuedouble) || !(med->valuedouble > 0)) {
		free(x);
		return run_error(rep->path, r->index, "median_s",
				 "is missing or not a positive number (needed by --metric throughput)");
	}
	value = v->valuedouble;
	median = med->valuedouble;
	for (size_t i = 0; i < r->n; i++)
		x[i] = value * median / r->samples[i];
	*out = x;
	return 0;
}

static int judge_row(const struct cmp_report *base, const struct cmp_report *head,
		     const struct cmp_options *o, struct cmp_row *w)
{
	size_t nb, nh;
	const char *unit_h;
	double bl, bh, hl, hh;
	int rc;

	if (!w->base || !w->head)
		return -EINVAL;     /* a run on one side only is not judged */
	nb = w->base->n;
	nh = w->head->n;

	rc = metric_samples(base, w->base, o->metric, &w->xb, &w->unit);
	if (!rc)
		rc = metric_samples(head, w->head, o->metric, &w->xh, &unit_h);
	if (rc)
		return rc;
	w->base_median = nb ? stats_median(w->xb, nb) : NAN;
	w->head_median = nh ? stats_median(w->xh, nh) : NAN;
	/* the samples are positive and finite: a NaN median is a failed allocation */
	if ((nb && isnan(w->base_median)) || (nh && isnan(w->head_median)))
		return out_of_memory("judging the runs");
	w->ratio = w->head_median / w->base_median;
	w->change = w->ratio - 1;
	/* Each median's exact interval at sqrt(0.95): jointly >= 95% for independent samples;
	 * the ratio's interval is then [new_lo / base_hi, new_hi / base_lo] (docs/measurement.md).
	 * -EDOM: too few samples for an interval. */
	if (nb && nh) {
		rc = stats_median_ci(w->xb, nb, sqrt(0.95), &bl, &bh, NULL);
		if (!rc)
			rc = stats_median_ci(w->xh, nh, sqrt(0.95), &hl, &hh, NULL);
		if (rc == -ENOMEM)
			return out_of_memory("judging the runs");
		if (!rc) {
			w->has_ci = 1;
			w->ci_lo = hl / bh - 1;
			w->ci_hi = hh / bl - 1;
		}
	}
	w->need = stats_mwu_min_samples(o->alpha);
	if (stats_mwu_min_p(nb, nh) >= o->alpha) {
		w->verdict = CMP_INSUFFICIENT;
		return 0;
	}
	rc = stats_mann_whitney(w->xb, nb, w->xh, nh, STATS_MWU_AUTO, &w->mwu);
	if (rc == -ENOMEM)
		return out_of_memory("judging the runs");
	if (rc) {
		cb_error("compare: the Mann-Whitney U test failed: %s", strerror(-rc));
		return rc;
	}
	w->tested = 1;
	return 0;
}

static int cmp_row_p(const void *pa, const void *pb)
{
	const struct cmp_row *a = *(const struct cmp_row *const *)pa;
	const struct cmp_row *b = *(const struct cmp_row *const *)pb;

	if (a->mwu.p != b->mwu.p)
		return a->mwu.p < b->mwu.p ? -1 : 1;
	return (a > b) - (a < b);
}

/* p < alpha per test, or Holm's step-down: the i-th smallest of k p-values (from 0) is
 * rejected while p < alpha / (k - i). */
static int mark_significant(struct cmp_result *res)
{
	struct cmp_row **t;
	size_t k = 0, i;

	for (i = 0; i < res->nrows; i++) {
		struct cmp_row *w = &res->rows[i];
		w->significant = w->tested && w->mwu.p < res->opt.alpha;
	}
	if (!res->opt.holm)
		return 0;
	t = malloc((res->nrows ? res->nrows : 1) * sizeof(*t));
	if (!t)
		return out_of_memory("judging the runs");
	for (i = 0; i < res->nrows; i++) {
		res->rows[i].significant = 0;
		if (res->rows[i].tested)
			t[k++] = &res->rows[i];
	}
	qsort(t, k, sizeof(*t), cmp_row_p);
	for (i = 0; i < k && t[i]->mwu.p < res->opt.alpha / (double)(k - i); i++)
		t[i]->significant = 1;
	free(t);
	return 0;
}

static void host_value(const cJSON *v, char *buf, size_t len)
{
	char tmp[128];

	if (v && cJSON_IsString(v) && v->valuestring)
		cb_fmt(buf, len, "'%s'", clean(v->valuestring, tmp, sizeof(tmp)));
	else if (v && cJSON_IsNumber(v))
		cb_fmt(buf, len, "%g", v->valuedouble);
	else
		cb_fmt(buf, len, "unknown");
}

/* What makes two hosts' numbers incomparable: compare names each of these fields that
 * differs, THP and ASLR included (docs/measurement.md, "Metadata and warnings"). */
static const char *const host_fields[] = {
	"cpu_model", "cores", "pus", "kernel", "compiler", "hypervisor", "governor", "boost",
	"smt_active", "thp_enabled", "aslr", "cgroup_cpu_max",
};

static void host_differences(const struct cmp_report *base, const struct cmp_report *head,
			     char *buf, size_t len)
{
	const cJSON *hb = cJSON_GetObjectItemCaseSensitive(base->doc, "host");
	const cJSON *hh = cJSON_GetObjectItemCaseSensitive(head->doc, "host");

	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(host_fields); i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(hb, host_fields[i]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(hh, host_fields[i]);
		char va[160], vb[160];
		if ((!a && !b) || (a && b && cJSON_Compare(a, b, 1)))
			continue;
		host_value(a, va, sizeof(va));
		host_value(b, vb, sizeof(vb));
		app(buf, len, "%s%s %s vs %s", buf[0] ? ", " : "", host_fields[i], va, vb);
	}
}

int compare_exit_status(const struct cmp_result *res)
{
	unsigned f = res->opt.fail_on;

	return res->count[CMP_REGRESSED] ||
	       ((f & CMP_FAIL_INCONCLUSIVE) && res->count[CMP_INCONCLUSIVE]) ||
	       ((f & CMP_FAIL_INSUFFICIENT) && res->count[CMP_INSUFFICIENT]) ||
	       ((f & CMP_FAIL_MISSING) && res->nonly_base + res->nonly_head) ?
		CB_EXIT_REGRESSION : CB_EXIT_OK;
}

int compare_reports(const struct cmp_report *base, const struct cmp_report *head,
		    const struct cmp_options *opt, struct cmp_result *res)
{
	unsigned char *matched;
	size_t i;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->opt = *opt;
	res->rows = calloc(base->nruns ? base->nruns : 1, sizeof(*res->rows));
	res->only_base = calloc(base->nruns ? base->nruns : 1, sizeof(*res->only_base));
	res->only_head = calloc(head->nruns ? head->nruns : 1, sizeof(*res->only_head));
	matched = calloc(head->nruns ? head->nruns : 1, 1);
	if (!res->rows || !res->only_base || !res->only_head || !matched) {
		free(matched);
		return out_of_memory("matching the runs");
	}
	for (i = 0; i < base->nruns; i++) {
		const struct cmp_run *b = &base->runs[i], *const *h;
		h = bsearch(b->key, head->sorted, head->nruns, sizeof(*head->sorted), cmp_key_run);
		if (h) {
			res->rows[res->nrows].base = b;
			res->rows[res->nrows++].head = *h;
			matched[(*h)->index] = 1;
		} else {
			res->only_base[res->nonly_base++] = b;
		}
	}
	for (i = 0; i < head->nruns; i++)
		if (!matched[i])
			res->only_head[res->nonly_head++] = &head->runs[i];
	free(matched);
	if (res->nrows == 0) {
		cb_error("compare: no run in common between '%s' (%zu runs) and '%s' (%zu runs); runs "
			 "match by workload, params, executor, workers and binding", base->path,
			 base->nruns, head->path, head->nruns);
		return -ENOENT;
	}
	for (i = 0; i < res->nrows && !rc; i++)
		rc = judge_row(base, head, opt, &res->rows[i]);
	if (!rc)
		rc = mark_significant(res);
	if (rc)
		return rc;
	for (i = 0; i < res->nrows; i++) {
		struct cmp_row *w = &res->rows[i];
		/* worse > 0: slower, or less throughput */
		double worse = opt->metric == CMP_THROUGHPUT ? -w->change : w->change;
		if (!w->tested)
			w->verdict = CMP_INSUFFICIENT;
		else if (!(fabs(worse) > opt->threshold))
			w->verdict = CMP_UNCHANGED;       /* significant or not */
		else if (!w->significant)
			w->verdict = CMP_INCONCLUSIVE;    /* over the threshold, but may be noise */
		else
			w->verdict = worse > 0 ? CMP_REGRESSED : CMP_IMPROVED;
		res->count[w->verdict]++;
		res->tests += (size_t)w->tested;
	}
	host_differences(base, head, res->hosts, sizeof(res->hosts));
	return 0;
}

void compare_result_release(struct cmp_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; res->rows && i < res->nrows; i++) {
		free(res->rows[i].xb);
		free(res->rows[i].xh);
	}
	free(res->rows);
	free(res->only_base);
	free(res->only_head);
	memset(res, 0, sizeof(*res));
}

/* ---- rendering ----------------------------------------------------------------------- */

enum col { C_WORKLOAD, C_EXECUTOR, C_WORKERS, C_BINDING, C_PARAMS, C_N, C_BASE, C_NEW, C_CHANGE,
	   C_CI, C_P, C_VERDICT, NCOL };

static const char *const col_name[NCOL] = { "workload", "executor", "workers", "binding",
	"params", "n", "base", "new", "change", "95% CI", "p", "verdict" };
static const int col_right[NCOL] = { 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0 };

/* The params' keys of every run shown, and which of them vary between runs: only those
 * are printed per row; the others once, above the table. */
struct pkeys {
	const char **names;
	unsigned char *vary;
	size_t n;
	int any_vary;
	int failed;         /* memory ran out while rendering a value */
};

static void pkeys_release(struct pkeys *k)
{
	free(k->names);
	free(k->vary);
}

static int pkeys_add_run(struct pkeys *k, size_t cap, const struct cmp_run *r)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, r->params) {
		size_t j;
		if (!c->string)
			continue;
		for (j = 0; j < k->n && strcmp(k->names[j], c->string); j++)
			;
		if (j == k->n) {
			if (k->n == cap)
				return -ENOMEM;   /* cannot happen: cap counts every member */
			k->names[k->n++] = c->string;
		}
	}
	return 0;
}

static const struct cmp_run *shown_run(const struct cmp_result *res, size_t i)
{
	if (i < res->nrows)
		return res->rows[i].base;
	i -= res->nrows;
	if (i < res->nonly_base)
		return res->only_base[i];
	return res->only_head[i - res->nonly_base];
}

static int pkeys_build(const struct cmp_result *res, struct pkeys *k)
{
	size_t nshown = res->nrows + res->nonly_base + res->nonly_head, cap = 0, i, j;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < nshown; i++)
		cap += (size_t)cJSON_GetArraySize(shown_run(res, i)->params);
	k->names = calloc(cap ? cap : 1, sizeof(*k->names));
	k->vary = calloc(cap ? cap : 1, 1);
	if (!k->names || !k->vary)
		return -ENOMEM;
	for (i = 0; i < nshown; i++)
		if (pkeys_add_run(k, cap, shown_run(res, i)) < 0)
			return -ENOMEM;
	for (j = 0; j < k->n; j++) {
		const cJSON *first = cJSON_GetObjectItemCaseSensitive(shown_run(res, 0)->params,
								      k->names[j]);
		for (i = 1; i < nshown && !k->vary[j]; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(shown_run(res, i)->params,
									  k->names[j]);
			if (!first || !v || !cJSON_Compare(first, v, 1))
				k->vary[j] = 1;
		}
		k->any_vary |= k->vary[j];
	}
	return 0;
}

/* v as text; NULL when memory runs out. */
static const char *value_text(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v) && v->valuestring) {
		cb_fmt(buf, len, "%s", v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		cb_fmt(buf, len, "%.15g", v->valuedouble);
	} else {
		char *t = cJSON_PrintUnformatted(v);
		if (!t)
			return NULL;
		cb_fmt(buf, len, "%s", t);
		free(t);
	}
	return buf;
}

/* "k=v k=v" of the params of r that vary (want = 1) or that do not (want = 0); sets
 * k->failed when memory runs out. */
static void params_text(struct pkeys *k, const cJSON *params, int want, char *buf,
			size_t len)
{
	buf[0] = 0;
	for (size_t j = 0; j < k->n; j++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, k->names[j]);
		char val[128];
		if (k->vary[j] != want || !v)
			continue;
		if (!value_text(v, val, sizeof(val))) {
			k->failed = 1;
			cb_fmt(val, sizeof(val), "?");
		}
		app(buf, len, "%s%s=%s", buf[0] ? " " : "", k->names[j], val);
	}
}

static void fmt_value(double v, enum cmp_metric m, const char *unit, char *buf, size_t len)
{
	static const struct { double scale; const char *prefix; } si[] = {
		{ 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" }, { 1, "" },
	};

	if (!isfinite(v)) {
		cb_fmt(buf, len, "-");
	} else if (m == CMP_MEDIAN_S) {
		if (v >= 1)
			cb_fmt(buf, len, "%.3f s", v);
		else if (v >= 1e-3)
			cb_fmt(buf, len, "%.3f ms", v * 1e3);
		else if (v >= 1e-6)
			cb_fmt(buf, len, "%.3f us", v * 1e6);
		else
			cb_fmt(buf, len, "%.1f ns", v * 1e9);
	} else {
		char u[40];
		size_t i;
		for (i = 0; i + 1 < ARRAY_SIZE(si) && v < si[i].scale; i++)
			;
		cb_fmt(buf, len, "%.3f %s%s%s", v / si[i].scale, si[i].prefix, si[i].prefix[0] ? " " : "",
		       clean(unit, u, sizeof(u)));
	}
}

static void fmt_pct(double v, char *buf, size_t len)
{
	if (isfinite(v))
		cb_fmt(buf, len, "%+.1f%%", v * 100);
	else
		cb_fmt(buf, len, "-");
}

/* The cells of row i of the verdict table (unsanitised: the printers clean them). */
static void row_cells(const struct cmp_result *res, struct pkeys *k, size_t i,
		      char cells[NCOL][CELL])
{
	const struct cmp_row *w = &res->rows[i];
	enum cmp_metric m = res->opt.metric;
	char a[32], b[32];

	cb_fmt(cells[C_WORKLOAD], CELL, "%s", w->base->workload);
	cb_fmt(cells[C_EXECUTOR], CELL, "%s", w->base->executor);
	cb_fmt(cells[C_WORKERS], CELL, "%u", w->base->workers);
	cb_fmt(cells[C_BINDING], CELL, "%s", w->base->binding);
	params_text(k, w->base->params, 1, cells[C_PARAMS], CELL);
	cb_fmt(cells[C_N], CELL, "%zu/%zu", w->base->n, w->head->n);
	fmt_value(w->base_median, m, w->unit, cells[C_BASE], CELL);
	fmt_value(w->head_median, m, w->unit, cells[C_NEW], CELL);
	fmt_pct(w->change, cells[C_CHANGE], CELL);
	if (w->has_ci) {
		fmt_pct(w->ci_lo, a, sizeof(a));
		fmt_pct(w->ci_hi, b, sizeof(b));
		cb_fmt(cells[C_CI], CELL, "[%s, %s]", a, b);
	} else {
		cb_fmt(cells[C_CI], CELL, "-");
	}
	if (w->tested)
		cb_fmt(cells[C_P], CELL, "%.2g", w->mwu.p);
	else
		cb_fmt(cells[C_P], CELL, "-");
	cb_fmt(cells[C_VERDICT], CELL, "%s", compare_verdict_name(w->verdict));
}

static void summary_line(const struct cmp_result *res, char *buf, size_t len)
{
	cb_fmt(buf, len, "summary:");
	for (size_t i = 0; i < CMP_NVERDICTS; i++)
		app(buf, len, "%s %zu %s", i ? "," : "", res->count[verdict_order[i]],
		    verdict_names[verdict_order[i]]);
	app(buf, len, ", %zu missing", res->nonly_base + res->nonly_head);
	if (res->opt.holm)
		app(buf, len, " (%zu tests, Holm-Bonferroni at alpha %g: expected false positives "
		    "under no change: <= %g)", res->tests, res->opt.alpha, res->opt.alpha);
	else
		app(buf, len, " (%zu tests, expected false positives under no change: %.3g)",
		    res->tests, (double)res->tests * res->opt.alpha);
}

static void insufficient_note(const struct cmp_row *w, double alpha, char *buf, size_t len)
{
	cb_fmt(buf, len, "%zu and %zu samples give p >= %.2g at best; needs >= %zu samples per "
	       "side at alpha %g", w->base->n, w->head->n, stats_mwu_min_p(w->base->n, w->head->n),
	       w->need, alpha);
}

static void inconclusive_note(const struct cmp_row *w, const struct cmp_options *o, char *buf,
			      size_t len)
{
	cb_fmt(buf, len, "%+.1f%% is over the %g%% threshold, but p = %.2g is not significant at "
	       "alpha %g%s; more samples (--repetitions) can settle it", w->change * 100,
	       o->threshold * 100, w->mwu.p, o->alpha, o->holm ? " with Holm-Bonferroni" : "");
}

/* The note on row w (insufficient or inconclusive) in buf; 0 when it has none. */
static int row_note(const struct cmp_result *res, const struct cmp_row *w, char *buf, size_t len)
{
	if (w->verdict == CMP_INSUFFICIENT)
		insufficient_note(w, res->opt.alpha, buf, len);
	else if (w->verdict == CMP_INCONCLUSIVE)
		inconclusive_note(w, &res->opt, buf, len);
	else
		return 0;
	return 1;
}

/* The warnings that bear on a verdict: the samples were noisy, or did not run where they
 * were planned. Reports from before warnings had codes carry none. */
static const char *const verdict_warnings[] = { "noisy", "strayed", "binding-failed" };

/* "noisy (CV 7.2%), strayed (2 of 10 samples)": the verdict_warnings that rep gives about
 * its run r, "" when none. */
static void side_warnings(const struct cmp_report *rep, const struct cmp_run *r, char *buf,
			  size_t len)
{
	const char *const *codes;
	size_t n = report_run_codes_of(&rep->warn, r->index, &codes);
	double cv = jsonb_num(r->obj, "cv"), strayed = jsonb_num(r->obj, "strayed_samples");

	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < ARRAY_SIZE(verdict_warnings) && strcmp(codes[i], verdict_warnings[j]); j++)
			;
		if (j == ARRAY_SIZE(verdict_warnings))
			continue;
		app(buf, len, "%s%s", buf[0] ? ", " : "", codes[i]);
		if (strcmp(codes[i], "noisy") == 0 && isfinite(cv))
			app(buf, len, " (CV %.1f%%)", 100 * cv);
		else if (strcmp(codes[i], "strayed") == 0 && isfinite(strayed))
			app(buf, len, " (%.0f of %zu samples)", strayed, r->n);
	}
}

/* "new: noisy (CV 7.2%); base: strayed (2 of 10 samples)" for row w; 0 when neither side
 * has such a warning. */
static int row_warnings(const struct cmp_report *base, const struct cmp_report *head,
			const struct cmp_row *w, char *buf, size_t len)
{
	char b[256], h[256];

	side_warnings(base, w->base, b, sizeof(b));
	side_warnings(head, w->head, h, sizeof(h));
	buf[0] = 0;
	if (h[0])
		app(buf, len, "new: %s", h);
	if (b[0])
		app(buf, len, "%sbase: %s", buf[0] ? "; " : "", b);
	return buf[0] != 0;
}

static const char *metric_text(enum cmp_metric m)
{
	return m == CMP_THROUGHPUT ? "throughput (higher is better)" : "median_s (lower is better)";
}

static int print_table(FILE *f, const struct cmp_result *res, struct pkeys *k,
		       const struct cmp_report *base, const struct cmp_report *head)
{
	char (*cells)[NCOL][CELL] = calloc(res->nrows ? res->nrows : 1, sizeof(*cells));
	size_t width[NCOL], i, c;
	char tmp[1024], line[1024], p1[256], p2[256];

	if (!cells)
		return out_of_memory("printing the table");
	clean(base->path, p1, sizeof(p1));
	clean(head->path, p2, sizeof(p2));
	fprintf(f, "concbench compare: base '%s', new '%s'\n", p1, p2);
	fprintf(f, "metric %s, threshold %g%%, alpha %g%s, two-sided Mann-Whitney U\n",
		metric_text(res->opt.metric), res->opt.threshold * 100, res->opt.alpha,
		res->opt.holm ? " (Holm-Bonferroni)" : "");
	params_text(k, shown_run(res, 0)->params, 0, line, sizeof(line));
	if (line[0])
		fprintf(f, "params of every run: %s\n", clean(line, tmp, sizeof(tmp)));
	fputc('\n', f);
	for (c = 0; c < NCOL; c++)
		width[c] = strlen(col_name[c]);
	for (i = 0; i < res->nrows; i++) {
		row_cells(res, k, i, cells[i]);
		for (c = 0; c < NCOL; c++)
			width[c] = width[c] > strlen(cells[i][c]) ? width[c] : strlen(cells[i][c]);
	}
	for (i = 0; i <= res->nrows; i++) {
		int first = 1;
		for (c = 0; c < NCOL; c++) {
			const char *s = i == 0 ? col_name[c] : clean(cells[i - 1][c], tmp, sizeof(tmp));
			if (c == C_PARAMS && !k->any_vary)
				continue;
			if (!first)
				fputs("  ", f);
			if (c == NCOL - 1)
				fputs(s, f);
			else
				fprintf(f, col_right[c] ? "%*s" : "%-*s", (int)width[c], s);
			first = 0;
		}
		fputc('\n', f);
	}
	free(cells);
	for (i = 0; i < res->nonly_base + res->nonly_head; i++) {
		const struct cmp_run *r = shown_run(res, res->nrows + i);
		params_text(k, r->params, 1, line, sizeof(line));
		fprintf(f, "%sonly in %s: %s%s%s\n", i == 0 ? "\n" : "",
			i < res->nonly_base ? "base" : "new", run_name(r, p1, sizeof(p1)),
			line[0] ? " " : "", clean(line, tmp, sizeof(tmp)));
	}
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		if (!row_note(res, w, p2, sizeof(p2)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fprintf(f, "note: %s%s%s: %s: %s\n", run_name(w->base, p1, sizeof(p1)),
			line[0] ? " " : "", clean(line, tmp, sizeof(tmp)),
			compare_verdict_name(w->verdict), p2);
	}
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		if (!row_warnings(base, head, w, p2, sizeof(p2)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fprintf(f, "note: %s%s%s: %s\n", run_name(w->base, p1, sizeof(p1)),
			line[0] ? " " : "", clean(line, tmp, sizeof(tmp)), p2);
	}
	summary_line(res, line, sizeof(line));
	fprintf(f, "%s\n", line);
	return k->failed ? out_of_memory("printing the table") : 0;
}

/* s inside a markdown code span: sanitised (util.h), '|' escaped (it would end the table
 * cell), '`' replaced (it would end the span). */
static void md_put(FILE *f, const char *s)
{
	char safe[2048];

	for (s = cb_sanitize(s, safe, sizeof(safe)); *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '|')
			fputs("\\|", f);
		else if (ch == '`')
			fputc('\'', f);
		else
			fputc(ch, f);
	}
}

/* s as markdown text or a table cell: sanitised, and the characters that make links,
 * emphasis, HTML, code or a new cell escaped, so that a report's strings show as written. */
static void md_text(FILE *f, const char *s)
{
	char safe[2048];

	for (s = cb_sanitize(s, safe, sizeof(safe)); *s; s++) {
		if (strchr("\\`*_[]<>|~", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}

static int print_markdown(FILE *f, const struct cmp_result *res, struct pkeys *k,
			  const struct cmp_report *base, const struct cmp_report *head)
{
	char cells[NCOL][CELL], line[1024];
	size_t i, c, nreg = res->count[CMP_REGRESSED], ninc = res->count[CMP_INCONCLUSIVE];
	int warned = 0;     /* a row has a warnings note */

	if (nreg)
		fprintf(f, "### concbench compare: %zu regression%s", nreg, nreg == 1 ? "" : "s");
	else
		fprintf(f, "### concbench compare: no regression");
	if (ninc)
		fprintf(f, ", %zu inconclusive", ninc);
	fputs("\n\n", f);
	fputs("base `", f);
	md_put(f, base->path);
	fputs("`, new `", f);
	md_put(f, head->path);
	fprintf(f, "`; metric %s, threshold %g%%, alpha %g%s (two-sided Mann-Whitney U)\n",
		metric_text(res->opt.metric), res->opt.threshold * 100, res->opt.alpha,
		res->opt.holm ? " with Holm-Bonferroni" : "");
	params_text(k, shown_run(res, 0)->params, 0, line, sizeof(line));
	if (line[0]) {
		fputs("\nparams of every run: `", f);
		md_put(f, line);
		fputs("`\n", f);
	}
	if (res->hosts[0]) {
		fputs("\n> **warning**: the reports come from different hosts: ", f);
		md_text(f, res->hosts);
		fputc('\n', f);
	}
	fputs("\n|", f);
	for (c = 0; c < NCOL; c++)
		if (c != C_PARAMS || k->any_vary)
			fprintf(f, " %s |", col_name[c]);
	fputs("\n|", f);
	for (c = 0; c < NCOL; c++)
		if (c != C_PARAMS || k->any_vary)
			fputs(col_right[c] ? " ---: |" : " --- |", f);
	fputc('\n', f);
	for (i = 0; i < res->nrows; i++) {
		enum cmp_verdict v = res->rows[i].verdict;
		row_cells(res, k, i, cells);
		fputc('|', f);
		for (c = 0; c < NCOL; c++) {
			int bold = c == C_VERDICT && (v == CMP_REGRESSED || v == CMP_IMPROVED);
			if (c == C_PARAMS && !k->any_vary)
				continue;
			fputs(bold ? " **" : " ", f);
			md_text(f, cells[c]);
			fputs(bold ? "** |" : " |", f);
		}
		fputc('\n', f);
	}
	if (res->nonly_base + res->nonly_head)
		fputc('\n', f);
	for (i = 0; i < res->nonly_base + res->nonly_head; i++) {
		const struct cmp_run *r = shown_run(res, res->nrows + i);
		char name[256];
		params_text(k, r->params, 1, line, sizeof(line));
		fprintf(f, "- only in %s: `", i < res->nonly_base ? "base" : "new");
		md_put(f, run_name(r, name, sizeof(name)));
		if (line[0]) {
			fputc(' ', f);
			md_put(f, line);
		}
		fputs("`\n", f);
	}
	for (i = 0; i < res->nrows && !warned; i++)
		warned = row_warnings(base, head, &res->rows[i], line, sizeof(line));
	if (res->count[CMP_INSUFFICIENT] + res->count[CMP_INCONCLUSIVE] || warned)
		fputc('\n', f);
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		char name[256], note[256];
		if (!row_note(res, w, note, sizeof(note)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fputs("- `", f);
		md_put(f, run_name(w->base, name, sizeof(name)));
		if (line[0]) {
			fputc(' ', f);
			md_put(f, line);
		}
		fprintf(f, "`: %s: %s\n", compare_verdict_name(w->verdict), note);
	}
	/* As text, escaped like the table's cells: the names come from the report. */
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		char name[256], note[256];
		if (!row_warnings(base, head, w, note, sizeof(note)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fputs("- ", f);
		md_text(f, run_name(w->base, name, sizeof(name)));
		fputs(line[0] ? " " : "", f);
		md_text(f, line);
		fputs(": ", f);
		md_text(f, note);
		fputc('\n', f);
	}
	summary_line(res, line, sizeof(line));
	fprintf(f, "\n%s\n", line);
	return k->failed ? out_of_memory("printing the markdown") : 0;
}

static cJSON *json_run_key(struct jsonb *b, const struct cmp_run *r)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());

	jsonb_add_str(b, o, "workload", r->workload);
	jsonb_item(b, o, "params", cJSON_Duplicate(r->params, 1));
	jsonb_add_str(b, o, "executor", r->executor);
	jsonb_add_num(b, o, "workers", r->workers);
	jsonb_add_str(b, o, "binding", r->binding);
	return o;
}

/* rep's run r: its index, sample count, median and the codes of its warnings. */
static cJSON *json_side(struct jsonb *b, const struct cmp_report *rep, const struct cmp_run *r,
			double median, size_t index)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject()), *a = jsonb_chk(b, cJSON_CreateArray());
	const char *const *codes;
	size_t n = report_run_codes_of(&rep->warn, r->index, &codes);

	jsonb_add_num(b, o, "run_index", (double)index);
	jsonb_add_num(b, o, "n", (double)r->n);
	jsonb_add_num(b, o, "median", median);
	for (size_t i = 0; a && i < n; i++)
		jsonb_push(b, a, cJSON_CreateString(codes[i]));
	jsonb_item(b, o, "warnings", a);
	return o;
}

static cJSON *json_result(const struct cmp_result *res, const struct cmp_report *base,
			  const struct cmp_report *head)
{
	struct jsonb b = { 0 };
	cJSON *doc = cJSON_CreateObject(), *o, *a;
	char line[1024], note[256];
	size_t i;

	if (!doc)
		return NULL;
	jsonb_add_str(&b, doc, "schema", "concbench-compare/1");
	o = jsonb_chk(&b, cJSON_CreateObject());
	jsonb_add_str(&b, o, "path", base->path);
	jsonb_add_num(&b, o, "runs", (double)base->nruns);
	jsonb_item(&b, doc, "base", o);
	o = jsonb_chk(&b, cJSON_CreateObject());
	jsonb_add_str(&b, o, "path", head->path);
	jsonb_add_num(&b, o, "runs", (double)head->nruns);
	jsonb_item(&b, doc, "new", o);
	jsonb_add_str(&b, doc, "metric",
		      res->opt.metric == CMP_THROUGHPUT ? "throughput" : "median_s");
	jsonb_add_bool(&b, doc, "higher_is_better", res->opt.metric == CMP_THROUGHPUT);
	jsonb_add_num(&b, doc, "threshold_pct", res->opt.threshold * 100);
	jsonb_add_num(&b, doc, "alpha", res->opt.alpha);
	jsonb_add_bool(&b, doc, "holm", res->opt.holm);
	jsonb_add_str(&b, doc, "test", "two-sided Mann-Whitney U: exact without ties and both "
		      "n <= 20, else normal approximation with tie and continuity correction");
	jsonb_add_str(&b, doc, "ci_method", "each median's exact order-statistic interval at "
		"sqrt(0.95), combined as [new_lo/base_hi, new_hi/base_lo] - 1");
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < ARRAY_SIZE(host_fields); i++) {
		const cJSON *hb = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(base->doc, "host"), host_fields[i]);
		const cJSON *hh = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(head->doc, "host"), host_fields[i]);
		if ((!hb && !hh) || (hb && hh && cJSON_Compare(hb, hh, 1)))
			continue;
		o = jsonb_chk(&b, cJSON_CreateObject());
		jsonb_add_str(&b, o, "field", host_fields[i]);
		jsonb_item(&b, o, "base", hb ? cJSON_Duplicate(hb, 1) : cJSON_CreateNull());
		jsonb_item(&b, o, "new", hh ? cJSON_Duplicate(hh, 1) : cJSON_CreateNull());
		jsonb_push(&b, a, o);
	}
	jsonb_item(&b, doc, "host_differences", a);
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		o = json_run_key(&b, w->base);
		jsonb_add_str(&b, o, "unit", w->unit);
		jsonb_item(&b, o, "base", json_side(&b, base, w->base, w->base_median, w->base->index));
		jsonb_item(&b, o, "new", json_side(&b, head, w->head, w->head_median, w->head->index));
		jsonb_add_num(&b, o, "ratio", w->ratio);
		jsonb_add_num(&b, o, "change", w->change);
		if (w->has_ci) {
			double ci[2] = { w->ci_lo, w->ci_hi };
			jsonb_item(&b, o, "change_ci95", jsonb_num_array(&b, ci, 2));
		} else {
			jsonb_add_null(&b, o, "change_ci95");
		}
		if (w->tested) {
			jsonb_add_num(&b, o, "u", w->mwu.u);
			jsonb_add_num(&b, o, "p", w->mwu.p);
			jsonb_add_str(&b, o, "p_method", w->mwu.exact ? "exact" : "normal");
		} else {
			jsonb_add_null(&b, o, "u");
			jsonb_add_null(&b, o, "p");
			jsonb_add_null(&b, o, "p_method");
		}
		jsonb_add_bool(&b, o, "significant", w->significant);
		jsonb_add_str(&b, o, "verdict", compare_verdict_name(w->verdict));
		if (w->verdict == CMP_INSUFFICIENT)
			jsonb_add_num(&b, o, "needs_samples_per_side", (double)w->need);
		if (row_note(res, w, note, sizeof(note)))
			jsonb_add_str(&b, o, "note", note);
		jsonb_push(&b, a, o);
	}
	jsonb_item(&b, doc, "comparisons", a);
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < res->nonly_base; i++) {
		o = json_run_key(&b, res->only_base[i]);
		jsonb_add_num(&b, o, "run_index", (double)res->only_base[i]->index);
		jsonb_push(&b, a, o);
	}
	jsonb_item(&b, doc, "only_in_base", a);
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < res->nonly_head; i++) {
		o = json_run_key(&b, res->only_head[i]);
		jsonb_add_num(&b, o, "run_index", (double)res->only_head[i]->index);
		jsonb_push(&b, a, o);
	}
	jsonb_item(&b, doc, "only_in_new", a);
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < ARRAY_SIZE(fail_on_names); i++)
		if (i == 0 || (res->opt.fail_on & fail_on_names[i].bit))
			jsonb_push(&b, a, cJSON_CreateString(fail_on_names[i].name));
	jsonb_item(&b, doc, "fail_on", a);
	o = jsonb_chk(&b, cJSON_CreateObject());
	for (i = 0; i < CMP_NVERDICTS; i++)
		jsonb_add_num(&b, o, verdict_names[verdict_order[i]],
			      (double)res->count[verdict_order[i]]);
	jsonb_add_num(&b, o, "missing", (double)(res->nonly_base + res->nonly_head));
	jsonb_add_bool(&b, o, "fails", compare_exit_status(res) != CB_EXIT_OK);
	jsonb_add_num(&b, o, "tests", (double)res->tests);
	jsonb_add_num(&b, o, "expected_false_positives",
		res->opt.holm ? res->opt.alpha : (double)res->tests * res->opt.alpha);
	summary_line(res, line, sizeof(line));
	jsonb_add_str(&b, o, "line", line);
	jsonb_item(&b, doc, "summary", o);
	return jsonb_finish(&b, doc);
}

/* ---- the command --------------------------------------------------------------------- */

static void compare_usage(void)
{
	printf("usage: concbench compare BASE.json NEW.json [options]\n\n"
	       "Compares two reports run by run, matched by (workload, params, executor, workers,\n"
	       "binding). A run is 'regressed' only when the change is significant (two-sided\n"
	       "Mann-Whitney U, p < alpha) and worse than the threshold, 'improved' likewise;\n"
	       "'inconclusive' when the change is over the threshold but not significant (more\n"
	       "samples can settle it), 'unchanged' when it is within the threshold, and\n"
	       "'insufficient' when too few samples can ever reach p < alpha.\n\n");
	printf("  %-30s %s\n", "--threshold PCT", "smallest change that counts, percent (default 5)");
	printf("  %-30s %s\n", "--alpha A", "significance level of each test (default 0.01)");
	printf("  %-30s %s\n", "--metric median_s|throughput",
	       "time (lower is better, default) or throughput");
	printf("  %-30s %s\n", "--holm", "Holm-Bonferroni over all the tests (family-wise alpha)");
	printf("  %-30s %s\n", "--fail-on LIST",
	       "exit 1 also for these, a comma list of inconclusive,");
	printf("  %-30s %s\n", "", "insufficient and missing (a run in one report only);");
	printf("  %-30s %s\n", "", "by default only a regression fails");
	printf("  %-30s %s\n", "--format table|markdown|json", "output (default table)");
	printf("  %-30s %s\n", "-h, --help", "this help");
	printf("\nexit status: 0 no regression, 1 at least one regression (or a verdict named by\n"
	       "--fail-on), 2 bad usage or input, 3 out of memory or the output cannot be written\n");
}

/* --fail-on LIST: a comma list of fail_on_names; adds to *bits. */
static int parse_fail_on(const char *s, unsigned *bits)
{
	unsigned add = 0;

	for (;;) {
		size_t n = strcspn(s, ","), i;
		for (i = 0; i < ARRAY_SIZE(fail_on_names); i++)
			if (strlen(fail_on_names[i].name) == n && strncmp(s, fail_on_names[i].name, n) == 0)
				break;
		if (i == ARRAY_SIZE(fail_on_names))
			return -EINVAL;
		add |= fail_on_names[i].bit;
		if (!s[n])
			break;
		s += n + 1;
	}
	*bits |= add;
	return 0;
}

/* The exit status for a failure rc of loading or judging: 3 when memory ran out (a run
 * failure), else 2 (the input). */
static int failure_status(int rc)
{
	return rc == -ENOMEM ? CB_EXIT_RUNFAIL : CB_EXIT_USAGE;
}

int compare_print(FILE *f, const struct cmp_report *base, const struct cmp_report *head,
		  const struct cmp_options *opt)
{
	struct cmp_result res = { 0 };
	int rc, status;

	rc = compare_reports(base, head, opt, &res);
	if (rc < 0) {
		compare_result_release(&res);
		return failure_status(rc);
	}
	if (res.hosts[0])
		cb_warn("compare: the reports come from different hosts (%s); the verdicts measure "
			"the machines as well as the code", res.hosts);
	if (opt->format == CMP_FORMAT_JSON) {
		cJSON *doc = json_result(&res, base, head);
		char *text = doc ? cJSON_Print(doc) : NULL;
		cJSON_Delete(doc);
		if (!text) {
			rc = out_of_memory("building the JSON output");
		} else {
			fprintf(f, "%s\n", text);
			free(text);
		}
	} else {
		struct pkeys k;
		if (pkeys_build(&res, &k) < 0)
			rc = out_of_memory("printing the verdicts");
		else if (opt->format == CMP_FORMAT_MARKDOWN)
			rc = print_markdown(f, &res, &k, base, head);
		else
			rc = print_table(f, &res, &k, base, head);
		pkeys_release(&k);
	}
	if (!rc && (fflush(f) != 0 || ferror(f))) {
		cb_error("compare: cannot write the verdicts: %s", strerror(errno));
		rc = -EIO;
	}
	status = rc ? CB_EXIT_RUNFAIL : compare_exit_status(&res);
	if (status == CB_EXIT_REGRESSION && !res.count[CMP_REGRESSED]) {
		char why[160] = "";
		if (opt->fail_on & CMP_FAIL_INCONCLUSIVE && res.count[CMP_INCONCLUSIVE])
			app(why, sizeof(why), ", %zu inconclusive", res.count[CMP_INCONCLUSIVE]);
		if (opt->fail_on & CMP_FAIL_INSUFFICIENT && res.count[CMP_INSUFFICIENT])
			app(why, sizeof(why), ", %zu insufficient", res.count[CMP_INSUFFICIENT]);
		if (opt->fail_on & CMP_FAIL_MISSING && res.nonly_base + res.nonly_head)
			app(why, sizeof(why), ", %zu missing", res.nonly_base + res.nonly_head);
		cb_error("compare: no regression, but exit 1 for --fail-on: %s", why + 2);
	}
	compare_result_release(&res);
	return status;
}

static int bad_value(const char *flag, const char *accepted, const char *got)
{
	char g[80];

	cb_error("compare: %s: expected %s, got '%s'", flag, accepted, clean(got, g, sizeof(g)));
	return -EINVAL;
}

/* A plain decimal number (util.h's parse_decimal), the whole string; a trailing '%' is
 * allowed when pct. */
static int parse_number(const char *s, int pct, double *out)
{
	char buf[64];
	size_t n = strlen(s);

	if (pct && n && s[n - 1] == '%')
		n--;
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	return parse_decimal(buf, out) < 0 ? -EINVAL : 0;
}

enum { O_THRESHOLD = 256, O_ALPHA, O_METRIC, O_FORMAT, O_HOLM, O_FAIL_ON, O_HELP };

int cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "metric", required_argument, NULL, O_METRIC },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "holm", no_argument, NULL, O_HOLM },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cmp_options opt = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S };
	struct cmp_report base = { 0 }, head = { 0 };
	char **args = argv + 1, g[80];
	int nargs = argc - 1, ch, rc = CB_EXIT_USAGE;
	double v;

	if (argc < 2)
		return CB_EXIT_USAGE;
	optind = 0;    /* full re-initialisation of getopt: commands may parse more than once */
	opterr = 0;
	while ((ch = getopt_long(nargs, args, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_THRESHOLD:
			if (parse_number(optarg, 1, &v) < 0 || v < 0 || v > 1000) {
				bad_value("--threshold", "a percentage from 0 to 1000, such as 5",
					  optarg);
				return CB_EXIT_USAGE;
			}
			opt.threshold = v / 100;
			break;
		case O_ALPHA:
			if (parse_number(optarg, 0, &v) < 0 || !(v > 0 && v <= 0.5)) {
				bad_value("--alpha", "a significance level above 0 and at most 0.5, "
					  "such as 0.01", optarg);
				return CB_EXIT_USAGE;
			}
			opt.alpha = v;
			break;
		case O_METRIC:
			if (strcmp(optarg, "median_s") == 0)
				opt.metric = CMP_MEDIAN_S;
			else if (strcmp(optarg, "throughput") == 0)
				opt.metric = CMP_THROUGHPUT;
			else {
				bad_value("--metric", "median_s or throughput", optarg);
				return CB_EXIT_USAGE;
			}
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0)
				opt.format = CMP_FORMAT_TABLE;
			else if (strcmp(optarg, "markdown") == 0)
				opt.format = CMP_FORMAT_MARKDOWN;
			else if (strcmp(optarg, "json") == 0)
				opt.format = CMP_FORMAT_JSON;
			else {
				bad_value("--format", "table, markdown or json", optarg);
				return CB_EXIT_USAGE;
			}
			break;
		case O_HOLM:
			opt.holm = 1;
			break;
		case O_FAIL_ON:
			if (parse_fail_on(optarg, &opt.fail_on) < 0) {
				bad_value("--fail-on", "a comma list of inconclusive, insufficient, "
					  "missing (and regressed, which always fails)", optarg);
				return CB_EXIT_USAGE;
			}
			break;
		case 'h':
		case O_HELP:
			compare_usage();
			return CB_EXIT_OK;
		case ':':
			cb_error("compare: %s: needs a value (see 'concbench compare --help')",
				 clean(args[optind - 1], g, sizeof(g)));
			return CB_EXIT_USAGE;
		default:
			if (optopt && optopt < 256)
				cb_error("compare: unknown option '-%c' (see 'concbench compare --help')",
					 optopt);
			else
				cb_error("compare: unknown option '%s' (see 'concbench compare --help')",
					 clean(args[optind - 1], g, sizeof(g)));
			return CB_EXIT_USAGE;
		}
	}
	if (nargs - optind != 2) {
		cb_error("compare: expected two reports, BASE.json and NEW.json, got %d (see "
			 "'concbench compare --help')", nargs - optind);
		return CB_EXIT_USAGE;
	}
	rc = compare_load(args[optind], &base);
	if (!rc)
		rc = compare_load(args[optind + 1], &head);
	rc = rc ? failure_status(rc) : compare_print(stdout, &base, &head, &opt);
	compare_report_release(&head);
	compare_report_release(&base);
	return rc;
}
