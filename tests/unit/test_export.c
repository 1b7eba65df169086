/* SPDX-License-Identifier: MIT */
/* Unit tests of export (src/report/export.c) on reports built here: the names (stable
 * whatever the order of params, sanitised, bounded), the refusal of two runs of one name,
 * the runs left out, and intervals that always hold their value. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/export.h"

/* A cpu run; params in the order given by reversed (0: size, tasks, kernel; 1: the
 * reverse). median NaN: no samples (median_s null, ci95_s null). */
static cJSON *run_new(const char *executor, unsigned workers, int reversed, double median,
		      double lo, double hi)
{
	cJSON *r = cJSON_CreateObject(), *p, *a;
	assert_non_null(r);
	cJSON_AddStringToObject(r, "workload", "cpu");
	p = cJSON_AddObjectToObject(r, "params");
	if (!reversed) {
		cJSON_AddNumberToObject(p, "size", 200000000);
		cJSON_AddNumberToObject(p, "tasks", 240);
		cJSON_AddStringToObject(p, "kernel", "sumsq");
	} else {
		cJSON_AddStringToObject(p, "kernel", "sumsq");
		cJSON_AddNumberToObject(p, "tasks", 240);
		cJSON_AddNumberToObject(p, "size", 200000000);
	}
	cJSON_AddStringToObject(r, "executor", executor);
	cJSON_AddNumberToObject(r, "workers", workers);
	cJSON_AddStringToObject(r, "binding", "none");
	a = cJSON_AddArrayToObject(r, "samples_s");
	if (isnan(median)) {
		cJSON_AddNullToObject(r, "median_s");
		cJSON_AddNullToObject(r, "ci95_s");
		return r;
	}
	for (int i = 0; i < 6; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(median));
	cJSON_AddNumberToObject(r, "median_s", median);
	a = cJSON_AddArrayToObject(r, "ci95_s");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(lo));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(hi));
	cJSON_AddNumberToObject(r, "cv", 0.02);
	cJSON_AddNumberToObject(r, "speedup", 0.05 / median);
	a = cJSON_AddArrayToObject(r, "speedup_ci95");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(0.05 / hi));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(0.05 / lo));
	p = cJSON_AddObjectToObject(r, "throughput");
	cJSON_AddNumberToObject(p, "value", 2e8 / median);
	cJSON_AddStringToObject(p, "unit", "numbers/s");
	return r;
}

/* A report of a seq run and a thread run at 2 workers, on host "vm", labelled when label
 * is not NULL. */
static cJSON *doc_new(const char *label)
{
	cJSON *d = cJSON_CreateObject(), *h, *runs;
	assert_non_null(d);
	cJSON_AddStringToObject(d, "schema", "concbench-report/1");
	h = cJSON_AddObjectToObject(d, "host");
	cJSON_AddStringToObject(h, "hostname", "vm");
	if (label)
		cJSON_AddStringToObject(d, "label", label);
	runs = cJSON_AddArrayToObject(d, "runs");
	cJSON_AddItemToArray(runs, run_new("seq", 1, 0, 0.05, 0.049, 0.052));
	cJSON_AddItemToArray(runs, run_new("thread", 2, 0, 0.026, 0.025, 0.03));
	return d;
}

static cJSON *runs_of(cJSON *doc)
{
	return cJSON_GetObjectItemCaseSensitive(doc, "runs");
}

/* The export printed and parsed back, as a reader sees it (raw number items read as
 * numbers only after a print). */
static cJSON *build(cJSON *const *docs, size_t n, enum export_format fmt, int *err)
{
	static const char *const paths[] = { "a.json", "b.json", "c.json" };
	cJSON *out = export_build(docs, paths, n, fmt, err), *back;
	char *text;
	if (!out)
		return NULL;
	text = cJSON_PrintUnformatted(out);
	assert_non_null(text);
	back = cJSON_Parse(text);
	assert_non_null(back);
	free(text);
	cJSON_Delete(out);
	return back;
}

static void test_name_sorts_params(void **state)
{
	cJSON *a = run_new("thread", 2, 0, 0.05, 0.049, 0.052);
	cJSON *b = run_new("thread", 2, 1, 0.05, 0.049, 0.052);
	char na[EXPORT_NAME_MAX + 2], nb[EXPORT_NAME_MAX + 2];
	(void)state;
	assert_int_equal(export_run_name(a, NULL, NULL, na, sizeof(na)), 0);
	assert_int_equal(export_run_name(b, NULL, NULL, nb, sizeof(nb)), 0);
	assert_string_equal(na, "cpu/kernel=sumsq,size=200000000,tasks=240/thread/workers=2/binding=none");
	assert_string_equal(na, nb);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void test_name_measure_tag_gil_values(void **state)
{
	cJSON *r = run_new("thread", 4, 0, 0.05, 0.049, 0.052);
	cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "params");
	char n[EXPORT_NAME_MAX + 2];
	(void)state;
	cJSON_AddBoolToObject(r, "gil", 1);
	cJSON_ReplaceItemInObjectCaseSensitive(r, "binding", cJSON_CreateString("compact"));
	cJSON_AddNumberToObject(p, "frac", 0.1);
	cJSON_AddBoolToObject(p, "verify", 0);
	cJSON_AddNullToObject(p, "zz");
	assert_int_equal(export_run_name(r, "speedup", "A1", n, sizeof(n)), 0);
	assert_string_equal(n, "cpu/frac=0.1,kernel=sumsq,size=200000000,tasks=240,verify=false,"
			    "zz=null/thread+gil/workers=4/binding=compact/speedup @ A1");
	cJSON_Delete(r);
}

/* Control characters, an escape sequence and invalid UTF-8 in a report's strings never
 * reach a name. */
static void test_name_sanitised(void **state)
{
	cJSON *r = run_new("thread", 2, 0, 0.05, 0.049, 0.052);
	char n[EXPORT_NAME_MAX + 2];
	(void)state;
	cJSON_ReplaceItemInObjectCaseSensitive(r, "workload", cJSON_CreateString("cp\x1b[31mu\n"));
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(r, "params"), "k\x01", "v\xff");
	assert_int_equal(export_run_name(r, NULL, "t\x7f", n, sizeof(n)), 0);
	for (const unsigned char *c = (const unsigned char *)n; *c; c++)
		assert_true(*c >= 0x20 && *c != 0x7f && *c != 0xff);
	assert_string_equal(n, "cp?[31mu?/k?=v?,kernel=sumsq,size=200000000,tasks=240/thread/"
			    "workers=2/binding=none @ t?");
	cJSON_Delete(r);
}

static void test_name_too_long(void **state)
{
	cJSON *r = run_new("thread", 2, 0, 0.05, 0.049, 0.052);
	cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "params");
	char n[EXPORT_NAME_MAX + 2], v[201], k[8];
	(void)state;
	memset(v, 'x', 200);
	v[200] = 0;
	for (int i = 0; i < 5; i++) {
		k[0] = (char)('a' + i);
		k[1] = 0;
		cJSON_AddStringToObject(p, k, v);
	}
	assert_int_equal(export_run_name(r, NULL, NULL, n, sizeof(n)), -ENAMETOOLONG);
	cJSON_Delete(r);
}

/* BMF: one benchmark per run, latency in ns, lower <= value <= upper, throughput too. */
static void test_bencher_values(void **state)
{
	cJSON *doc = doc_new(NULL), *out, *lat, *tp;
	int err = 1;
	(void)state;
	out = build(&doc, 1, EXPORT_BENCHER, &err);
	assert_non_null(out);
	assert_int_equal(err, 0);
	assert_int_equal(cJSON_GetArraySize(out), 2);
	lat = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(out, "cpu/kernel=sumsq,size=200000000,tasks=240/"
						 "thread/workers=2/binding=none"), "latency");
	assert_non_null(lat);
	assert_float_equal(cJSON_GetObjectItem(lat, "value")->valuedouble, 26e6, 1e-3);
	assert_float_equal(cJSON_GetObjectItem(lat, "lower_value")->valuedouble, 25e6, 1e-3);
	assert_float_equal(cJSON_GetObjectItem(lat, "upper_value")->valuedouble, 30e6, 1e-3);
	tp = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(out, "cpu/kernel=sumsq,size=200000000,tasks=240/"
						 "thread/workers=2/binding=none"), "throughput");
	assert_non_null(tp);
	/* 2e8 items: over 26 ms, 30 ms (the slow end) and 25 ms */
	assert_float_equal(cJSON_GetObjectItem(tp, "value")->valuedouble, 2e8 / 0.026, 1);
	assert_float_equal(cJSON_GetObjectItem(tp, "lower_value")->valuedouble, 2e8 / 0.03, 1);
	assert_float_equal(cJSON_GetObjectItem(tp, "upper_value")->valuedouble, 2e8 / 0.025, 1);
	cJSON_Delete(out);
	cJSON_Delete(doc);
}

/* An interval that does not hold the median is left out, never written around it. */
static void test_interval_not_holding_value_left_out(void **state)
{
	cJSON *doc = doc_new(NULL), *out, *b;
	int err = 1;
	(void)state;
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(runs_of(doc), 1), "ci95_s",
					       cJSON_Parse("[0.027, 0.03]"));
	out = build(&doc, 1, EXPORT_BENCHER, &err);
	assert_non_null(out);
	b = cJSON_GetArrayItem(out, 1);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "latency"), "value"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "latency"), "lower_value"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "throughput"), "upper_value"));
	cJSON_Delete(out);
	cJSON_Delete(doc);
}

/* customSmallerIsBetter: ms, "± N" over the wider side; the bigger one: throughput and
 * speedup, none for seq. */
static void test_action_entries(void **state)
{
	cJSON *doc = doc_new(NULL), *out, *e;
	int err = 1;
	(void)state;
	out = build(&doc, 1, EXPORT_ACTION_SMALLER, &err);
	assert_non_null(out);
	assert_int_equal(cJSON_GetArraySize(out), 2);
	e = cJSON_GetArrayItem(out, 1);
	assert_string_equal(cJSON_GetObjectItem(e, "unit")->valuestring, "ms");
	assert_float_equal(cJSON_GetObjectItem(e, "value")->valuedouble, 26, 1e-9);
	assert_string_equal(cJSON_GetObjectItem(e, "range")->valuestring, "\xc2\xb1 4.000");
	assert_non_null(strstr(cJSON_GetObjectItem(e, "extra")->valuestring, "6 samples"));
	assert_non_null(strstr(cJSON_GetObjectItem(e, "extra")->valuestring, "host vm"));
	cJSON_Delete(out);

	out = build(&doc, 1, EXPORT_ACTION_BIGGER, &err);
	assert_non_null(out);
	assert_int_equal(cJSON_GetArraySize(out), 3);  /* 2 throughputs, thread's speedup */
	e = cJSON_GetArrayItem(out, 2);
	assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring,
			    "cpu/kernel=sumsq,size=200000000,tasks=240/thread/workers=2/"
			    "binding=none/speedup");
	assert_string_equal(cJSON_GetObjectItem(e, "unit")->valuestring, "x");
	cJSON_Delete(out);
	cJSON_Delete(doc);
}

/* Several reports: the label, else the host, tells their runs apart; two reports of one
 * name are refused, as is one report holding a run twice. */
static void test_collisions_refused(void **state)
{
	cJSON *docs[2] = { doc_new("A1"), doc_new("B") }, *out;
	int err = 0;
	(void)state;
	out = build(docs, 2, EXPORT_ACTION_SMALLER, &err);
	assert_non_null(out);
	assert_int_equal(cJSON_GetArraySize(out), 4);
	assert_non_null(strstr(cJSON_GetArrayItem(out, 3)->child->valuestring, " @ B"));
	cJSON_Delete(out);

	cJSON_DeleteItemFromObject(docs[0], "label");
	cJSON_DeleteItemFromObject(docs[1], "label");
	assert_null(build(docs, 2, EXPORT_BENCHER, &err));
	assert_int_equal(err, -EINVAL);

	cJSON_AddItemToArray(runs_of(docs[0]), run_new("seq", 1, 1, 0.06, 0.05, 0.07));
	assert_null(build(docs, 1, EXPORT_BENCHER, &err));
	assert_int_equal(err, -EINVAL);
	cJSON_Delete(docs[0]);
	cJSON_Delete(docs[1]);
}

/* A run without samples is left out; a report of only such runs exports nothing. */
static void test_runs_without_samples(void **state)
{
	cJSON *doc = doc_new(NULL), *out;
	int err = 1;
	(void)state;
	cJSON_AddItemToArray(runs_of(doc), run_new("fork", 2, 0, NAN, 0, 0));
	out = build(&doc, 1, EXPORT_BENCHER, &err);
	assert_non_null(out);
	assert_int_equal(cJSON_GetArraySize(out), 2);
	cJSON_Delete(out);
	cJSON_DeleteItemFromArray(runs_of(doc), 0);
	cJSON_DeleteItemFromArray(runs_of(doc), 0);
	assert_null(build(&doc, 1, EXPORT_ACTION_SMALLER, &err));
	assert_int_equal(err, -EINVAL);
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_sorts_params),
		cmocka_unit_test(test_name_measure_tag_gil_values),
		cmocka_unit_test(test_name_sanitised),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_bencher_values),
		cmocka_unit_test(test_interval_not_holding_value_left_out),
		cmocka_unit_test(test_action_entries),
		cmocka_unit_test(test_collisions_refused),
		cmocka_unit_test(test_runs_without_samples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
