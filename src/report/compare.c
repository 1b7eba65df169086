/* SPDX-License-Identifier: MIT */
/* compare (engine): match the runs of two reports by key and judge each pair (significant
 * AND larger than the threshold); see report/compare.h. It prints nothing but errors.
 *
 * Invariants: reports come through report/reportload.h, checked field by field before any
 * number is used; every string taken from a report is sanitised before it reaches a
 * message. */
#define _GNU_SOURCE
#include "report/compare.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"


static const char *const verdict_names[CMP_NVERDICTS] = {
	[CMP_UNCHANGED] = "unchanged",
	[CMP_REGRESSED] = "regressed",
	[CMP_IMPROVED] = "improved",
	[CMP_INSUFFICIENT] = "insufficient",
	[CMP_INCONCLUSIVE] = "inconclusive",
};

const struct cmp_fail_on_name compare_fail_on_names[CMP_NFAIL_ON] = {
	{ "regression", 0 },
	{ "inconclusive", CMP_FAIL_INCONCLUSIVE },
	{ "insufficient", CMP_FAIL_INSUFFICIENT },
	{ "missing", CMP_FAIL_MISSING },
};

const enum cmp_verdict compare_verdict_order[CMP_NVERDICTS] = {
	CMP_REGRESSED, CMP_IMPROVED, CMP_UNCHANGED, CMP_INCONCLUSIVE, CMP_INSUFFICIENT,
};

const char *compare_verdict_name(enum cmp_verdict v)
{
	return (unsigned)v < CMP_NVERDICTS ? verdict_names[v] : "?";
}
/* ---- small text helpers ------------------------------------------------------------- */

/* A copy of s safe for one line of a terminal, cut (with "...") to fit len: the shared
 * sanitiser of every renderer (util.h). */
static const char *clean(const char *s, char *buf, size_t len)
{
	return cb_sanitize(s, buf, len);
}

int compare_out_of_memory(const char *what)
{
	cb_error("compare: out of memory while %s", what);
	return -ENOMEM;
}

/* ---- indexing a report --------------------------------------------------------------- */

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
char *compare_run_key(const struct cmp_run *r)
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
		/* only when there is one: the keys of plain runs (and of noise files) stay as
		 * they were */
		if (r->variant[0])
			ok = ok && cJSON_AddItemToArray(a, cJSON_CreateString(r->variant));
	}
	if (ok)
		text = cJSON_PrintUnformatted(a);
	cJSON_Delete(p);
	cJSON_Delete(a);
	return text;
}

/* The run's variant (compare.h), from the fields the loader checked: gil, backend. */
static void run_variant(const cJSON *o, char *buf, size_t len)
{
	const char *fallback = report_run_fallback(o);

	buf[0] = 0;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "gil")))
		cb_fmt(buf, len, "+gil");
	else if (fallback)
		cb_fmt(buf, len, "(%s)", fallback);
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
	run_variant(o, r->variant, sizeof(r->variant));
	s = cJSON_GetObjectItemCaseSensitive(o, "samples_s");
	r->n = (size_t)cJSON_GetArraySize(s);
	r->samples = malloc((r->n ? r->n : 1) * sizeof(*r->samples));
	if (!r->samples) {
		cb_error("compare: '%s': out of memory", path);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(e, s)
		r->samples[k++] = e->valuedouble;
	r->key = compare_run_key(r);
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

const char *compare_run_name(const struct cmp_run *r, char *buf, size_t len)
{
	char a[64], b[64], c[64];

	cb_fmt(buf, len, "%s %s%s workers=%u binding=%s", clean(r->workload, a, sizeof(a)),
	       clean(r->executor, b, sizeof(b)), r->variant, r->workers,
	       clean(r->binding, c, sizeof(c)));
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

int compare_index(const char *path, cJSON *doc, struct cmp_report *rep)
{
	const cJSON *runs, *o;
	size_t i = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->path = path;
	rep->doc = doc;
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
				 rep->sorted[i]->index, compare_run_name(rep->sorted[i], name, sizeof(name)));
			return -EINVAL;
		}
	}
	/* Last, once the runs are known to be unique. */
	if (report_run_codes_build(rep->doc, &rep->warn) < 0) {
		cb_error("compare: '%s': out of memory", path);
		return -ENOMEM;
	}
	for (i = 0; i < rep->nruns; i++)
		rep->runs[i].ncodes = report_run_codes_of(&rep->warn, i, &rep->runs[i].codes);
	return 0;
}

/* ---- judging ------------------------------------------------------------------------- */

static int cmp_key_run(const void *key, const void *elem)
{
	return strcmp((const char *)key, (*(const struct cmp_run *const *)elem)->key);
}

/* The run of rep with this key, or NULL. */
static const struct cmp_run *find_run(const struct cmp_report *rep, const char *key)
{
	const struct cmp_run *const *r = bsearch(key, rep->sorted, rep->nruns, sizeof(*rep->sorted),
						 cmp_key_run);

	return r ? *r : NULL;
}

/* The run with this key in the first of the n reports of a side that has it, or NULL. */
static const struct cmp_run *side_find(const struct cmp_report *reps, size_t n, const char *key)
{
	const struct cmp_run *r = NULL;

	for (size_t i = 0; i < n && !r; i++)
		r = find_run(&reps[i], key);
	return r;
}

const char *compare_metric_name(enum cmp_metric m)
{
	static const char *const names[] = {
		[CMP_MEDIAN_S] = "median_s", [CMP_THROUGHPUT] = "throughput",
		[CMP_SPEEDUP] = "speedup", [CMP_INSTRUCTIONS] = "instructions",
		[CMP_CYCLES] = "cycles",
	};
	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "?";
}

int compare_higher_is_better(enum cmp_metric m)
{
	return m == CMP_THROUGHPUT || m == CMP_SPEEDUP;
}

/* The seq run of r's workload and params in r's report (the same invocation), or NULL. */
static const struct cmp_run *seq_of(const struct cmp_report *rep, const struct cmp_run *r)
{
	for (size_t i = 0; i < rep->nruns; i++) {
		const struct cmp_run *s = &rep->runs[i];
		if (strcmp(s->executor, "seq") == 0 && strcmp(s->workload, r->workload) == 0 &&
		    cJSON_Compare(s->params, r->params, 1))
			return s;
	}
	return NULL;
}

/* counters.NAME per item of run r, the same for each of its samples: the counter over the
 * items that counters_derived.instructions_per_item implies (instructions over it). A
 * counter that is null is an error naming the run and counters_unavailable's reason. */
static int per_item(const struct cmp_report *rep, const struct cmp_run *r, const char *name,
		    double *out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(r->obj, "counters");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, name);
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(c, "instructions");
	const cJSON *ipi = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(r->obj, "counters_derived"), "instructions_per_item");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(r->obj, "counters_unavailable");
	char n[256], w[200];

	if (cJSON_IsNumber(v) && cJSON_IsNumber(ins) && cJSON_IsNumber(ipi) &&
	    ins->valuedouble > 0 && ipi->valuedouble > 0 && isfinite(v->valuedouble)) {
		*out = v->valuedouble / (ins->valuedouble / ipi->valuedouble);
		return 0;
	}
	cb_error("compare: '%s': runs[%zu] (%s) has no counters.%s per item (needed by --metric "
		 "%s): %s", rep->path, r->index, compare_run_name(r, n, sizeof(n)), name, name,
		 cJSON_IsString(why) && why->valuestring ?
			 clean(why->valuestring, w, sizeof(w)) :
		 c ? "the counter or counters_derived.instructions_per_item is null" :
		     "the report has no counters");
	return -EINVAL;
}

/* The metric's samples of run r: seconds as they are; per-sample throughput
 * throughput.value * median_s / samples_s[i] (= items / sample, since value = items /
 * median_s); per-sample speedup, the seq run's median over samples_s[i]; or a counter per
 * item, one value repeated. */
static int metric_samples(const struct cmp_report *rep, const struct cmp_run *r,
			  enum cmp_metric m, double **out, const char **unit)
{
	double *x = malloc((r->n ? r->n : 1) * sizeof(*x)), value, median;
	const cJSON *t, *v, *u, *med;

	if (!x)
		return compare_out_of_memory("judging the runs");
	if (m == CMP_SPEEDUP) {
		const struct cmp_run *s = seq_of(rep, r);
		char n[256];
		if (!s || !s->n) {
			free(x);
			cb_error("compare: '%s': runs[%zu] (%s) has no seq run of its workload and "
				 "params in the same report (needed by --metric speedup)", rep->path,
				 r->index, compare_run_name(r, n, sizeof(n)));
			return -EINVAL;
		}
		median = stats_median(s->samples, s->n);
		if (isnan(median)) {   /* the samples are finite: memory ran out */
			free(x);
			return compare_out_of_memory("judging the runs");
		}
		for (size_t i = 0; i < r->n; i++)
			x[i] = median / r->samples[i];
		*unit = "x";
		*out = x;
		return 0;
	}
	if (m == CMP_INSTRUCTIONS || m == CMP_CYCLES) {
		int rc = per_item(rep, r, m == CMP_CYCLES ? "cycles" : "instructions", &value);
		if (rc) {
			free(x);
			return rc;
		}
		for (size_t i = 0; i < r->n; i++)
			x[i] = value;
		*unit = m == CMP_CYCLES ? "cycles/item" : "instructions/item";
		*out = x;
		return 0;
	}
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

/* What the test compares on one side for a key: the metric's samples of the side's one
 * report, or, when the comparison is pooled, one value per invocation that has the run:
 * the median of its samples. Invocations differ more than the repetitions inside one
 * (docs/measurement.md), so pooling their raw samples would test noise the samples do
 * not show; their medians are the independent observations. */
int compare_invocation_values(const struct cmp_report *reps, size_t nreps, const char *key,
			      enum cmp_metric m, double **out, size_t *n, const char **unit)
{
	const struct cmp_run *r;
	double *v, *x;
	size_t k = 0;
	int rc;

	v = malloc((nreps ? nreps : 1) * sizeof(*v));
	if (!v)
		return compare_out_of_memory("judging the runs");
	for (size_t i = 0; i < nreps; i++) {
		r = find_run(&reps[i], key);
		if (!r)
			continue;
		rc = metric_samples(&reps[i], r, m, &x, unit);
		if (rc) {
			free(v);
			return rc;
		}
		if (r->n)
			v[k++] = stats_median(x, r->n);
		free(x);
		if (k && isnan(v[k - 1])) {   /* the samples are finite: memory ran out */
			free(v);
			return compare_out_of_memory("judging the runs");
		}
	}
	*out = v;
	*n = k;
	return 0;
}

static int side_values(const struct cmp_report *reps, size_t nreps, int pooled, const char *key,
		       enum cmp_metric m, double **out, size_t *n, const char **unit)
{
	const struct cmp_run *r;

	if (pooled)
		return compare_invocation_values(reps, nreps, key, m, out, n, unit);
	r = find_run(&reps[0], key);
	*n = r->n;
	return metric_samples(&reps[0], r, m, out, unit);
}

/* ---- power and the noise floor -------------------------------------------------------- */

double compare_detectable(double sd, size_t nb, size_t nh, double alpha_each)
{
	double df = (double)nb + (double)nh - 2;

	if (nb < 2 || nh < 2 || !isfinite(sd) || sd < 0)
		return NAN;
	if (!(compare_min_p(nb, nh) < alpha_each))
		return INFINITY;   /* no outcome of the test is significant: nothing is detected */
	return expm1((stats_t_quantile(1 - alpha_each / 2, df) + stats_t_quantile(0.9, df)) * sd *
		     sqrt(1.0 / (double)nb + 1.0 / (double)nh));
}

double compare_noise_floor(double sd, size_t nb, size_t nh, double alpha_each)
{
	double df = (double)nb + (double)nh - 2;

	if (nb < 2 || nh < 2 || !isfinite(sd) || sd < 0)
		return NAN;
	return expm1(stats_t_quantile(1 - alpha_each / 2, df) * sd *
		     sqrt(1.0 / (double)nb + 1.0 / (double)nh));
}

unsigned compare_invocations_needed(double sd, double alpha_each, double detect, unsigned max)
{
	for (unsigned k = 2; k <= max; k++)
		if (compare_detectable(sd, k, k, alpha_each) <= detect)
			return k;
	return 0;
}

double compare_min_p(size_t nb, size_t nh)
{
	return stats_perm_min_p(nb, nh, STATS_PERM_MAX_EXACT, STATS_PERM_RANDOM);
}

/* Logs of n positive values, in place. */
static void logs(double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = log(x[i]);
}

static double geomean(const double *logx, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += logx[i];
	return n ? exp(s / (double)n) : NAN;
}

/* Invocations: a permutation test of the difference of the mean logs of the invocation
 * medians, and the change as the ratio of the geometric means with its 95% t interval
 * (Student's t gives the spread that the power uses too). Fewer than two a side, or sizes
 * whose smallest p is not under alpha, are insufficient. A permutation test, not t's p:
 * invocations on a shared machine come in bursts (a busy spell slows several in a row),
 * and at 5 a side t's p then cries wolf; the permutation test's false-alarm rate holds
 * whatever the distribution, as long as base and new invocations are exchangeable. */
static int judge_invocations(struct cmp_row *w, double alpha)
{
	struct stats_perm perm;
	double q;
	int rc;

	logs(w->xb, w->nb);
	logs(w->xh, w->nh);
	w->base_center = geomean(w->xb, w->nb);
	w->head_center = geomean(w->xh, w->nh);
	w->ratio = w->head_center / w->base_center;
	w->change = w->ratio - 1;
	for (w->need = 2; w->need < CMP_MAX_INVOCATIONS && !(compare_min_p(w->need, w->need) < alpha);
	     w->need++)
		;
	if (stats_student_t(w->xb, w->nb, w->xh, w->nh, &w->tt) < 0)
		return 0;
	q = stats_t_quantile(0.975, w->tt.df);
	w->has_ci = 1;
	w->ci_lo = expm1(w->tt.diff - q * w->tt.se);
	w->ci_hi = expm1(w->tt.diff + q * w->tt.se);
	if (!(compare_min_p(w->nb, w->nh) < alpha))
		return 0;
	rc = stats_perm_test(w->xb, w->nb, w->xh, w->nh, STATS_PERM_MAX_EXACT, STATS_PERM_RANDOM,
			     1, &perm);
	if (rc == -ENOMEM)
		return compare_out_of_memory("judging the runs");
	if (rc)
		return 0;
	w->p = perm.p;
	w->p_exact = perm.exact;
	w->tested = 1;
	return 0;
}

static int judge_row(const struct cmp_report *base, size_t nbase, const struct cmp_report *head,
		     size_t nhead, const struct cmp_result *res, struct cmp_row *w)
{
	const struct cmp_options *o = &res->opt;
	size_t nb, nh;
	const char *unit_h;
	double bl, bh, hl, hh;
	int rc;

	if (!w->base || !w->head)
		return -EINVAL;     /* a run on one side only is not judged */
	rc = side_values(base, nbase, res->pooled, w->base->key, o->metric, &w->xb, &w->nb,
			 &w->unit);
	if (!rc)
		rc = side_values(head, nhead, res->pooled, w->base->key, o->metric, &w->xh, &w->nh,
				 &unit_h);
	if (rc)
		return rc;
	nb = w->nb;
	nh = w->nh;
	w->base_median = nb ? stats_median(w->xb, nb) : NAN;
	w->head_median = nh ? stats_median(w->xh, nh) : NAN;
	/* the samples are positive and finite: a NaN median is a failed allocation */
	if ((nb && isnan(w->base_median)) || (nh && isnan(w->head_median)))
		return compare_out_of_memory("judging the runs");
	w->detectable = NAN;
	w->floor = NAN;
	w->threshold_used = o->threshold;
	if (res->pooled)
		return judge_invocations(w, o->alpha);
	w->base_center = w->base_median;
	w->head_center = w->head_median;
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
			return compare_out_of_memory("judging the runs");
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
		return compare_out_of_memory("judging the runs");
	if (rc) {
		cb_error("compare: the Mann-Whitney U test failed: %s", strerror(-rc));
		return rc;
	}
	w->p = w->mwu.p;
	w->tested = 1;
	return 0;
}

static int cmp_row_p(const void *pa, const void *pb)
{
	const struct cmp_row *a = *(const struct cmp_row *const *)pa;
	const struct cmp_row *b = *(const struct cmp_row *const *)pb;

	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
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
		w->significant = w->tested && w->p < res->opt.alpha;
	}
	if (!res->family)
		return 0;
	t = malloc((res->nrows ? res->nrows : 1) * sizeof(*t));
	if (!t)
		return compare_out_of_memory("judging the runs");
	for (i = 0; i < res->nrows; i++) {
		res->rows[i].significant = 0;
		if (res->rows[i].tested)
			t[k++] = &res->rows[i];
	}
	qsort(t, k, sizeof(*t), cmp_row_p);
	for (i = 0; i < k && t[i]->p < res->opt.alpha / (double)(k - i); i++)
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
const char *const compare_host_fields[CMP_NHOST_FIELDS] = {
	"cpu_model", "cores", "pus", "kernel", "compiler", "hypervisor", "governor", "boost",
	"smt_active", "thp_enabled", "aslr", "cgroup_cpu_max",
};

static void host_differences(const struct cmp_report *base, const struct cmp_report *head,
			     char *buf, size_t len)
{
	const cJSON *hb = cJSON_GetObjectItemCaseSensitive(base->doc, "host");
	const cJSON *hh = cJSON_GetObjectItemCaseSensitive(head->doc, "host");

	buf[0] = 0;
	for (size_t i = 0; i < CMP_NHOST_FIELDS; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(hb, compare_host_fields[i]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(hh, compare_host_fields[i]);
		char va[160], vb[160];
		if ((!a && !b) || (a && b && cJSON_Compare(a, b, 1)))
			continue;
		host_value(a, va, sizeof(va));
		host_value(b, vb, sizeof(vb));
		cb_append(buf, len, "%s%s %s vs %s", buf[0] ? ", " : "", compare_host_fields[i], va, vb);
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

static int cmp_noise_key(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const struct cmp_noise_run *)elem)->key);
}

const struct cmp_noise_run *compare_noise_find(const struct cmp_noise *n, const char *key)
{
	if (!n || !n->runs)
		return NULL;
	return bsearch(key, n->runs, n->nruns, sizeof(*n->runs), cmp_noise_key);
}

/* Under --metric speedup the seq runs are the reference of the others, never judged. */
static int skip_run(const struct cmp_options *opt, const struct cmp_run *r)
{
	return opt->metric == CMP_SPEEDUP && strcmp(r->executor, "seq") == 0;
}

/* Invocations: the detectable change of row w at the family-wise level (Bonferroni's
 * alpha / tests, Holm's first and hardest step), and with a noise file its floor. */
static void row_power(struct cmp_result *res, struct cmp_row *w)
{
	const struct cmp_noise_run *nr = res->opt.noise ? compare_noise_find(res->opt.noise, w->base->key) :
							  NULL;
	double each = res->opt.alpha / (double)(res->tests ? res->tests : 1), sd = w->tt.sd;

	if (nr) {
		sd = nr->sd_log;
		w->power_from_noise = 1;
		w->floor = compare_noise_floor(sd, w->nb, w->nh, each);
		if (w->floor > w->threshold_used) {
			w->threshold_used = w->floor;
			res->raised++;
		}
	}
	w->detectable = compare_detectable(sd, w->nb, w->nh, each);
	res->power_noise += nr != NULL;
	res->power_observed += nr == NULL;
	if (isnan(res->detectable_max) || w->detectable > res->detectable_max)
		res->detectable_max = w->detectable;
}

int compare_sides(const struct cmp_report *base, size_t nbase, const struct cmp_report *head,
		  size_t nhead, const struct cmp_options *opt, struct cmp_result *res)
{
	size_t cap_base = 0, cap_head = 0, i, k;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->opt = *opt;
	res->nbase = nbase;
	res->nhead = nhead;
	res->pooled = nbase > 1 || nhead > 1;
	/* Invocations: the gate's goal is a false-alarm rate per comparison, not per run. */
	res->family = opt->holm || res->pooled;
	res->detectable_max = NAN;
	for (i = 0; i < nbase; i++)
		cap_base += base[i].nruns;
	for (i = 0; i < nhead; i++)
		cap_head += head[i].nruns;
	res->rows = calloc(cap_base ? cap_base : 1, sizeof(*res->rows));
	res->only_base = calloc(cap_base ? cap_base : 1, sizeof(*res->only_base));
	res->only_head = calloc(cap_head ? cap_head : 1, sizeof(*res->only_head));
	if (!res->rows || !res->only_base || !res->only_head)
		return compare_out_of_memory("matching the runs");
	/* Every key once, at its first appearance: the base side's order, then the runs of
	 * the new side that the base side lacks. */
	for (i = 0; i < nbase; i++) {
		for (k = 0; k < base[i].nruns; k++) {
			const struct cmp_run *b = &base[i].runs[k], *h;
			if (side_find(base, i, b->key) || skip_run(opt, b))
				continue;
			h = side_find(head, nhead, b->key);
			if (h) {
				res->rows[res->nrows].base = b;
				res->rows[res->nrows++].head = h;
			} else {
				res->only_base[res->nonly_base++] = b;
			}
		}
	}
	for (i = 0; i < nhead; i++) {
		for (k = 0; k < head[i].nruns; k++) {
			const struct cmp_run *h = &head[i].runs[k];
			if (skip_run(opt, h))
				continue;
			if (!side_find(head, i, h->key) && !side_find(base, nbase, h->key))
				res->only_head[res->nonly_head++] = h;
		}
	}
	if (res->nrows == 0) {
		cb_error("compare: no run in common between '%s' (%zu runs) and '%s' (%zu runs); runs "
			 "match by workload, params, executor, workers and binding", base[0].path,
			 base[0].nruns, head[0].path, head[0].nruns);
		return -ENOENT;
	}
	for (i = 0; i < res->nrows && !rc; i++)
		rc = judge_row(base, nbase, head, nhead, res, &res->rows[i]);
	if (!rc)
		rc = mark_significant(res);
	if (rc)
		return rc;
	for (i = 0; i < res->nrows; i++)
		res->tests += (size_t)res->rows[i].tested;
	for (i = 0; i < res->nrows; i++) {
		struct cmp_row *w = &res->rows[i];
		/* worse > 0: slower, or less throughput */
		double worse = compare_higher_is_better(opt->metric) ? -w->change : w->change;
		if (res->pooled && w->tested)
			row_power(res, w);
		if (!w->tested) {
			w->verdict = CMP_INSUFFICIENT;
		} else if (fabs(worse) > w->threshold_used) {
			/* over the threshold: significant, or it may be noise */
			w->verdict = !w->significant ? CMP_INCONCLUSIVE :
				     worse > 0 ? CMP_REGRESSED : CMP_IMPROVED;
		} else if (res->pooled && !(w->detectable <= opt->threshold)) {
			/* within it, but a change of the threshold's size could have gone unseen */
			w->verdict = CMP_INCONCLUSIVE;
			w->underpowered = 1;
		} else {
			w->verdict = CMP_UNCHANGED;       /* significant or not */
		}
		res->count[w->verdict]++;
	}
	host_differences(&base[0], &head[0], res->hosts, sizeof(res->hosts));
	return 0;
}

void compare_method(const struct cmp_result *res, char *buf, size_t len)
{
	if (res->pooled)
		cb_fmt(buf, len, "invocation medians (k=%zu vs %zu), log-scale permutation test, ",
		       res->nbase, res->nhead);
	else
		cb_fmt(buf, len, "samples of one invocation a side, two-sided Mann-Whitney U, ");
	if (res->family)
		cb_append(buf, len, "Holm over %zu run%s at family-wise alpha %g", res->tests,
			  res->tests == 1 ? "" : "s", res->opt.alpha);
	else
		cb_append(buf, len, "alpha %g per run", res->opt.alpha);
}

int compare_reports(const struct cmp_report *base, const struct cmp_report *head,
		    const struct cmp_options *opt, struct cmp_result *res)
{
	return compare_sides(base, 1, head, 1, opt, res);
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
