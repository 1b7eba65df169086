/* SPDX-License-Identifier: MIT */
/* noise: compare --calibrate's measurement of the spread between invocations, its file,
 * and that file's strict loader (report/noise.h). Prints nothing but errors. */
#define _GNU_SOURCE
#include "report/noise.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "measure/stats.h"

/* ---- the loader ----------------------------------------------------------------------- */

static int bad(const struct cmp_noise *n, const char *what)
{
	char p[160];

	cb_error("compare: --noise '%s': %s", cb_sanitize(n->path, p, sizeof(p)), what);
	return -EINVAL;
}

static int bad_field(const struct cmp_noise *n, long run, const char *field, const char *why)
{
	char w[320];

	if (run >= 0)
		cb_fmt(w, sizeof(w), "runs[%ld]: \"%s\" %s", run, field, why);
	else
		cb_fmt(w, sizeof(w), "\"%s\" %s", field, why);
	return bad(n, w);
}

/* The whole regular file at path, NUL-terminated, at most NOISE_MAX_BYTES; NULL after the
 * message. Opened without blocking, so that a FIFO cannot hang the command. */
static char *read_bounded(struct cmp_noise *n, size_t *len)
{
	int fd = open(n->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *text, why[160];
	int rc;

	if (fd < 0) {
		cb_fmt(why, sizeof(why), "cannot open: %s", strerror(errno));
		bad(n, why);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		bad(n, "is not a regular file");
		return NULL;
	}
	if (st.st_size <= 0 || (unsigned long long)st.st_size > NOISE_MAX_BYTES) {
		close(fd);
		cb_fmt(why, sizeof(why), "is %s (expected 1 byte to %u MiB of JSON)",
		       st.st_size <= 0 ? "empty" : "too large", NOISE_MAX_BYTES >> 20);
		bad(n, why);
		return NULL;
	}
	*len = (size_t)st.st_size;
	text = malloc(*len + 1);
	if (!text) {
		close(fd);
		compare_out_of_memory("reading the noise file");
		return NULL;
	}
	rc = cb_read_full(fd, text, *len);
	close(fd);
	if (rc < 0) {
		free(text);
		cb_fmt(why, sizeof(why), "cannot read: %s", strerror(-rc));
		bad(n, why);
		return NULL;
	}
	text[*len] = 0;
	return text;
}

/* 1 when o has no member besides the names listed (NULL-terminated); else names the
 * first stranger in *stranger. */
static int only_members(const cJSON *o, const char *const *names, const char **stranger)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, o) {
		size_t i;
		for (i = 0; names[i] && strcmp(names[i], c->string ? c->string : ""); i++)
			;
		if (!names[i]) {
			*stranger = c->string ? c->string : "";
			return 0;
		}
	}
	return 1;
}

static int is_count(const cJSON *v, double lo, double hi)
{
	return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
	       v->valuedouble == floor(v->valuedouble);
}

static int is_name(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring && v->valuestring[0] &&
	       strlen(v->valuestring) <= REPORT_MAX_NAME;
}

static int cmp_noise_keys(const void *pa, const void *pb)
{
	return strcmp(((const struct cmp_noise_run *)pa)->key, ((const struct cmp_noise_run *)pb)->key);
}

static const char *const top_names[] = { "concbench_noise", "metric", "alpha", "invocations",
	"host", "runs", "detect_pct", "max_invocations", "invocations_needed", NULL };
static const char *const run_names[] = { "workload", "params", "executor", "workers", "binding",
	"n", "sd_log", "invocations_needed", NULL };

/* Check runs[i] and fill r. */
static int load_noise_run(struct cmp_noise *n, long i, const cJSON *o, struct cmp_noise_run *r)
{
	const cJSON *sd = cJSON_GetObjectItemCaseSensitive(o, "sd_log");
	const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(o, "n");
	const cJSON *need = cJSON_GetObjectItemCaseSensitive(o, "invocations_needed");
	const char *stranger = "";
	struct cmp_run run = { 0 };
	char why[160];

	if (!cJSON_IsObject(o))
		return bad_field(n, i, "", "is not an object");
	if (!only_members(o, run_names, &stranger)) {
		cb_sanitize(stranger, why, 64);
		return bad_field(n, i, why, "is not a field of a noise file's run");
	}
	run.workload = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "workload"));
	run.executor = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "executor"));
	run.binding = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "binding"));
	run.params = cJSON_GetObjectItemCaseSensitive(o, "params");
	if (!is_name(cJSON_GetObjectItemCaseSensitive(o, "workload")))
		return bad_field(n, i, "workload", "is missing or not a name");
	if (!is_name(cJSON_GetObjectItemCaseSensitive(o, "executor")))
		return bad_field(n, i, "executor", "is missing or not a name");
	if (!is_name(cJSON_GetObjectItemCaseSensitive(o, "binding")))
		return bad_field(n, i, "binding", "is missing or not a name");
	if (!cJSON_IsObject(run.params))
		return bad_field(n, i, "params", "is missing or not an object");
	if (!is_count(cJSON_GetObjectItemCaseSensitive(o, "workers"), 1, REPORT_MAX_WORKERS))
		return bad_field(n, i, "workers", "is missing or not a whole number from 1");
	run.workers = (unsigned)cJSON_GetObjectItemCaseSensitive(o, "workers")->valuedouble;
	if (!is_count(cnt, 2, CMP_MAX_INVOCATIONS)) {
		cb_fmt(why, sizeof(why), "is missing or not a whole number from 2 to %d",
		       CMP_MAX_INVOCATIONS);
		return bad_field(n, i, "n", why);
	}
	if (!cJSON_IsNumber(sd) || !isfinite(sd->valuedouble) || sd->valuedouble < 0 ||
	    sd->valuedouble > NOISE_MAX_SD)
		return bad_field(n, i, "sd_log", "is missing or not a number from 0 to 10");
	if (need && !cJSON_IsNull(need) && !is_count(need, 2, CMP_MAX_INVOCATIONS))
		return bad_field(n, i, "invocations_needed", "is not null or a whole number from 2");
	r->sd_log = sd->valuedouble;
	r->n = (size_t)cnt->valuedouble;
	r->key = compare_run_key(&run);
	return r->key ? 0 : compare_out_of_memory("reading the noise file");
}

static int check_top(struct cmp_noise *n)
{
	const cJSON *d = n->doc, *v;
	const char *stranger = "";
	char why[160];

	if (!cJSON_IsObject(d))
		return bad(n, "is not a JSON object");
	v = cJSON_GetObjectItemCaseSensitive(d, "concbench_noise");
	if (!cJSON_IsNumber(v) || v->valuedouble != NOISE_VERSION)
		return bad(n, "is not a concbench noise file of version 1 (expected \"concbench_noise\": 1, "
			   "as compare --calibrate --output writes)");
	if (!only_members(d, top_names, &stranger)) {
		cb_sanitize(stranger, why, 64);
		return bad_field(n, -1, why, "is not a field of a noise file");
	}
	v = cJSON_GetObjectItemCaseSensitive(d, "metric");
	n->metric = CMP_NMETRICS;
	for (int m = 0; m < CMP_NMETRICS && cJSON_IsString(v); m++)
		if (strcmp(v->valuestring, compare_metric_name((enum cmp_metric)m)) == 0)
			n->metric = (enum cmp_metric)m;
	if (n->metric == CMP_NMETRICS)
		return bad_field(n, -1, "metric", "is missing or not median_s, throughput, speedup, "
				 "instructions or cycles");
	v = cJSON_GetObjectItemCaseSensitive(d, "alpha");
	if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 0.5))
		return bad_field(n, -1, "alpha", "is missing or not a number in (0, 0.5]");
	if (!is_count(cJSON_GetObjectItemCaseSensitive(d, "invocations"), 2, CMP_MAX_INVOCATIONS))
		return bad_field(n, -1, "invocations", "is missing or not a whole number from 2");
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(d, "host")))
		return bad_field(n, -1, "host", "is missing or not an object");
	v = cJSON_GetObjectItemCaseSensitive(d, "detect_pct");
	if (v && !(cJSON_IsNumber(v) && v->valuedouble > 0 && v->valuedouble <= 1000))
		return bad_field(n, -1, "detect_pct", "is not a percentage above 0");
	v = cJSON_GetObjectItemCaseSensitive(d, "max_invocations");
	if (v && !is_count(v, 2, CMP_MAX_INVOCATIONS))
		return bad_field(n, -1, "max_invocations", "is not a whole number from 2");
	v = cJSON_GetObjectItemCaseSensitive(d, "invocations_needed");
	if (v && !cJSON_IsNull(v) && !is_count(v, 2, CMP_MAX_INVOCATIONS))
		return bad_field(n, -1, "invocations_needed", "is not null or a whole number from 2");
	v = cJSON_GetObjectItemCaseSensitive(d, "runs");
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > NOISE_MAX_RUNS)
		return bad_field(n, -1, "runs", "is missing or not an array of 1 to 100000 runs");
	return 0;
}

int noise_load(const char *path, struct cmp_noise *out)
{
	const cJSON *o;
	const char *end = NULL;
	size_t len = 0, i = 0;
	char *text;
	int rc;

	memset(out, 0, sizeof(*out));
	out->path = path;
	text = read_bounded(out, &len);
	if (!text)
		return -EINVAL;
	if (strlen(text) != len) {
		free(text);
		return bad(out, "holds a NUL byte (expected JSON text)");
	}
	out->doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);   /* the NUL included */
	free(text);
	if (!out->doc)
		return bad(out, "is not valid JSON");
	rc = check_top(out);
	if (rc)
		return rc;
	o = cJSON_GetObjectItemCaseSensitive(out->doc, "runs");
	out->nruns = (size_t)cJSON_GetArraySize(o);
	out->runs = calloc(out->nruns, sizeof(*out->runs));
	if (!out->runs)
		return compare_out_of_memory("reading the noise file");
	for (o = o->child; o; o = o->next, i++) {
		rc = load_noise_run(out, (long)i, o, &out->runs[i]);
		if (rc)
			return rc;
	}
	qsort(out->runs, out->nruns, sizeof(*out->runs), cmp_noise_keys);
	for (i = 1; i < out->nruns; i++)
		if (strcmp(out->runs[i - 1].key, out->runs[i].key) == 0)
			return bad(out, "names one run twice (a run must appear once)");
	return 0;
}

void noise_release(struct cmp_noise *n)
{
	if (!n)
		return;
	for (size_t i = 0; n->runs && i < n->nruns; i++)
		free(n->runs[i].key);
	free(n->runs);
	cJSON_Delete(n->doc);
	memset(n, 0, sizeof(*n));
}

/* ---- calibration ---------------------------------------------------------------------- */

/* The run with this key in reps[0 .. n), the first that has it, or NULL. */
static const struct cmp_run *first_with(const struct cmp_report *reps, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < reps[i].nruns; k++)
			if (strcmp(reps[i].runs[k].key, key) == 0)
				return &reps[i].runs[k];
	return NULL;
}

int noise_calibrate(const struct cmp_report *reps, size_t n, const struct cmp_options *opt,
		    struct noise_calibration *cal)
{
	size_t cap = 0, i, k;
	int rc = 0;

	memset(cal, 0, sizeof(*cal));
	for (i = 0; i < n; i++)
		cap += reps[i].nruns;
	cal->rows = calloc(cap ? cap : 1, sizeof(*cal->rows));
	if (!cal->rows)
		return compare_out_of_memory("calibrating");
	for (i = 0; i < n && !rc; i++) {
		for (k = 0; k < reps[i].nruns && !rc; k++) {
			const struct cmp_run *r = &reps[i].runs[k];
			struct noise_row *w;
			double *v = NULL;
			const char *unit;
			if (first_with(reps, i, r->key) ||
			    (opt->metric == CMP_SPEEDUP && strcmp(r->executor, "seq") == 0))
				continue;
			w = &cal->rows[cal->nrows++];
			w->run = r;
			w->sd_log = NAN;
			rc = compare_invocation_values(reps, n, r->key, opt->metric, &v, &w->n, &unit);
			if (!rc && w->n >= 2) {
				struct stats_summary st;
				for (size_t j = 0; j < w->n; j++)
					v[j] = log(v[j]);
				if (stats_summarize(v, w->n, &st) == 0 && isfinite(st.stddev)) {
					w->sd_log = st.stddev;
					cal->tested++;
				}
			}
			free(v);
		}
	}
	if (rc)
		return rc;
	cal->alpha_each = opt->alpha / (double)(cal->tested ? cal->tested : 1);
	cal->needed = 2;
	for (i = 0; i < cal->nrows && opt->detect > 0; i++) {
		struct noise_row *w = &cal->rows[i];
		if (isnan(w->sd_log))
			continue;
		w->needed = compare_invocations_needed(w->sd_log, cal->alpha_each, opt->detect,
						       opt->max_invocations);
		if (!w->needed || !cal->needed)
			cal->needed = 0;
		else if (w->needed > cal->needed)
			cal->needed = w->needed;
	}
	if (!cal->tested)
		cal->needed = 0;
	return 0;
}

void noise_calibration_release(struct noise_calibration *cal)
{
	free(cal->rows);
	memset(cal, 0, sizeof(*cal));
}

static cJSON *host_facts(struct jsonb *b, const struct cmp_report *rep)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(rep->doc, "host");
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());

	for (size_t i = 0; i < CMP_NHOST_FIELDS; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, compare_host_fields[i]);
		if (v && (cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v)))
			jsonb_item(b, o, compare_host_fields[i], cJSON_Duplicate(v, 0));
	}
	return o;
}

cJSON *noise_document(const struct cmp_report *reps, size_t n, const struct cmp_options *opt,
		      const struct noise_calibration *cal)
{
	struct jsonb b = { 0 };
	cJSON *doc = cJSON_CreateObject(), *a, *o;

	if (!doc) {
		compare_out_of_memory("building the noise file");
		return NULL;
	}
	jsonb_add_num(&b, doc, "concbench_noise", NOISE_VERSION);
	jsonb_add_str(&b, doc, "metric", compare_metric_name(opt->metric));
	jsonb_add_num(&b, doc, "alpha", opt->alpha);
	jsonb_add_num(&b, doc, "invocations", (double)n);
	jsonb_item(&b, doc, "host", host_facts(&b, &reps[0]));
	if (opt->detect > 0) {
		jsonb_add_num(&b, doc, "detect_pct", opt->detect * 100);
		jsonb_add_num(&b, doc, "max_invocations", opt->max_invocations);
		if (cal->needed)
			jsonb_add_num(&b, doc, "invocations_needed", cal->needed);
		else
			jsonb_add_null(&b, doc, "invocations_needed");
	}
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (size_t i = 0; i < cal->nrows; i++) {
		const struct noise_row *w = &cal->rows[i];
		if (isnan(w->sd_log))
			continue;        /* in one invocation only: no spread to record */
		o = jsonb_chk(&b, cJSON_CreateObject());
		jsonb_add_str(&b, o, "workload", w->run->workload);
		jsonb_item(&b, o, "params", cJSON_Duplicate(w->run->params, 1));
		jsonb_add_str(&b, o, "executor", w->run->executor);
		jsonb_add_num(&b, o, "workers", w->run->workers);
		jsonb_add_str(&b, o, "binding", w->run->binding);
		jsonb_add_num(&b, o, "n", (double)w->n);
		jsonb_add_num(&b, o, "sd_log", w->sd_log);
		if (opt->detect > 0) {
			if (w->needed)
				jsonb_add_num(&b, o, "invocations_needed", w->needed);
			else
				jsonb_add_null(&b, o, "invocations_needed");
		}
		jsonb_push(&b, a, o);
	}
	jsonb_item(&b, doc, "runs", a);
	doc = jsonb_finish(&b, doc);
	if (!doc)
		compare_out_of_memory("building the noise file");
	return doc;
}
