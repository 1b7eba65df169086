/* SPDX-License-Identifier: MIT */
/* Unit tests of the report loader (src/report/reportload.c): the rules' boundaries, one line per
 * refusal naming the run and the field, buffers without a terminator, non-regular files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "report/reportload.h"
#include "testutil.h"

static char tmpdir[64];
static char err[2048];

/* A valid report of one run; the tests change one thing at a time. */
static const char *const base_doc =
	"{\"schema\": \"concbench-report/1\", \"created\": \"2026-11-23T15:21:20Z\","
	" \"host\": {\"hostname\": \"vm\", \"cores\": 2, \"virtualized\": true, \"governor\": null},"
	" \"warnings\": [\"w\"],"
	" \"runs\": [{\"workload\": \"cpu\", \"params\": {\"size\": 1000, \"kernel\": \"sumsq\"},"
	" \"executor\": \"thread\", \"workers\": 2, \"binding\": \"none\","
	" \"samples_s\": [0.1, 0.2, 0.3], \"median_s\": 0.2, \"min_s\": 0.1, \"max_s\": 0.3,"
	" \"ci95_s\": [0.1, 0.3], \"speedup\": 1.5, \"speedup_ci95\": null, \"karp_flatt\": -0.1,"
	" \"throughput\": {\"value\": 5, \"unit\": \"numbers/s\"},"
	" \"rusage\": {\"user_s\": 0.1, \"per\": \"repetition\"}, \"verified\": true}]}";

/* report_parse of text with stderr captured in err[]; the buffer is an exact-size copy
 * without a terminator, so that ASan sees any read past its end. */
static cJSON *parse(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	char path[96];
	int saved, fd;
	ssize_t n;
	cJSON *doc;

	assert_non_null(copy);
	memcpy(copy, text, len);
	cb_fmt(path, sizeof(path), "%s/stderr", tmpdir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	errno = 0;
	doc = report_parse("report", "r.json", copy, len);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, err, sizeof(err) - 1, 0);
	err[n > 0 ? n : 0] = 0;
	close(fd);
	free(copy);
	if (!doc) {
		assert_int_equal(errno, EINVAL);
		/* one line, in concbench's voice, naming the file */
		assert_int_equal(strncmp(err, "concbench: report: 'r.json': ", 29), 0);
		assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
	} else {
		assert_string_equal(err, "");
	}
	return doc;
}

static cJSON *parse_str(const char *text)
{
	return parse(text, strlen(text));
}

/* The document d, deleted, as report_parse reads it printed. */
static cJSON *parse_built(cJSON *d)
{
	char *text = cJSON_PrintUnformatted(d);
	cJSON *doc;

	assert_non_null(text);
	cJSON_Delete(d);
	doc = parse_str(text);
	free(text);
	return doc;
}

/* The base report with runs[0].FIELD (or the top level's, when top) set to the JSON value
 * text, or deleted when value is NULL; parsed. */
static cJSON *with(int top, const char *field, const char *value)
{
	cJSON *d = cJSON_Parse(base_doc), *o;

	assert_non_null(d);
	o = top ? d : cJSON_GetArrayItem(cJSON_GetObjectItem(d, "runs"), 0);
	cJSON_DeleteItemFromObjectCaseSensitive(o, field);
	if (value) {
		cJSON *v = cJSON_Parse(value);
		assert_non_null(v);
		cJSON_AddItemToObject(o, field, v);
	}
	return parse_built(d);
}

static void accepted(cJSON *doc)
{
	if (!doc)
		print_error("refused: %s", err);
	assert_non_null(doc);
	cJSON_Delete(doc);
}

/* Refused, naming runs[0] (cpu thread ...) and "field". */
static void refused_run(cJSON *doc, const char *field)
{
	char q[128];

	if (doc)
		cJSON_Delete(doc);
	assert_null(doc);
	cb_fmt(q, sizeof(q), "\"%s\"", field);
	if (!strstr(err, "runs[0] (cpu thread") || !strstr(err, q))
		print_error("expected runs[0] and %s in: %s", q, err);
	assert_non_null(strstr(err, "runs[0] (cpu thread"));
	assert_non_null(strstr(err, q));
}

static void test_valid(void **state)
{
	(void)state;
	accepted(parse_str(base_doc));
	/* nulls stand for what could not be measured */
	accepted(with(0, "speedup", "null"));
	accepted(with(0, "throughput", "{\"value\": null, \"unit\": null}"));
	/* a run without samples has no median */
	{
		cJSON *d = cJSON_Parse(base_doc), *r;
		char *t;
		r = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "runs"), 0);
		cJSON_ReplaceItemInObject(r, "samples_s", cJSON_CreateArray());
		cJSON_ReplaceItemInObject(r, "median_s", cJSON_CreateNull());
		t = cJSON_PrintUnformatted(d);
		cJSON_Delete(d);
		accepted(parse_str(t));
		free(t);
	}
}

static void test_workers_bounds(void **state)
{
	(void)state;
	accepted(with(0, "workers", "1"));
	accepted(with(0, "workers", "1048576"));
	refused_run(with(0, "workers", "1048577"), "workers");
	refused_run(with(0, "workers", "0"), "workers");
	refused_run(with(0, "workers", "-1"), "workers");
	refused_run(with(0, "workers", "4294967296"), "workers");
	refused_run(with(0, "workers", "1e300"), "workers");
	refused_run(with(0, "workers", "2.5"), "workers");
	refused_run(with(0, "workers", "\"2\""), "workers");
	refused_run(with(0, "workers", NULL), "workers");
	/* cJSON reads 1e999 as infinity */
	{
		const char *t = "{\"schema\": \"concbench-report/1\", \"runs\": [{\"workload\": \"cpu\","
				" \"params\": {}, \"executor\": \"thread\", \"workers\": 1e999,"
				" \"binding\": \"none\", \"samples_s\": []}]}";
		assert_null(parse_str(t));
		assert_non_null(strstr(err, "\"workers\""));
		assert_non_null(strstr(err, "got inf"));
	}
}

static void test_samples_and_median(void **state)
{
	(void)state;
	refused_run(with(0, "samples_s", "[\"a\"]"), "samples_s[0]");
	refused_run(with(0, "samples_s", "[0.1, 0]"), "samples_s[1]");
	refused_run(with(0, "samples_s", "[0.1, null]"), "samples_s[1]");
	refused_run(with(0, "samples_s", "{}"), "samples_s");
	refused_run(with(0, "samples_s", "[]"), "median_s");        /* a median without samples */
	refused_run(with(0, "median_s", "-5"), "median_s");
	refused_run(with(0, "median_s", NULL), "median_s");
	refused_run(with(0, "median_s", "0.5"), "median_s");        /* outside the samples */
	refused_run(with(0, "min_s", "0.4"), "min_s");              /* above max_s */
}

static void test_other_fields(void **state)
{
	(void)state;
	refused_run(with(0, "speedup", "\"x\""), "speedup");
	refused_run(with(0, "efficiency", "-0.5"), "efficiency");
	refused_run(with(0, "ci95_s", "[0.3, 0.1]"), "ci95_s");
	refused_run(with(0, "ci95_s", "[0.1]"), "ci95_s");
	refused_run(with(0, "speedup_ci95", "[1, \"a\"]"), "speedup_ci95");
	refused_run(with(0, "karp_flatt_ci95", "{}"), "karp_flatt_ci95");
	refused_run(with(0, "throughput", "{\"value\": -1}"), "throughput.value");
	refused_run(with(0, "rusage", "{\"user_s\": \"x\"}"), "rusage.user_s");
	refused_run(with(0, "params", "{\"size\": {\"a\": 1}}"), "params.size");
	refused_run(with(0, "params", "[]"), "params");
	refused_run(with(0, "binding", "\"\""), "binding");
	refused_run(with(0, "verified", "1"), "verified");
	refused_run(with(0, "tasks", "-3"), "tasks");
	refused_run(with(0, "worker_s", "[[0.1, \"a\"]]"), "worker_s[0][1]");
	{
		char v[300];
		memset(v, 'x', sizeof(v));
		v[0] = '"';
		v[258] = '"';
		v[259] = 0;   /* 257 bytes: one more than a name may have */
		refused_run(with(0, "checksum", v), "checksum");
		v[257] = '"';
		v[258] = 0;   /* 256 bytes */
		accepted(with(0, "checksum", v));
	}
	assert_null(with(1, "host", "{\"hostname\": [1]}"));
	assert_non_null(strstr(err, "\"host.hostname\""));
	assert_null(with(1, "warnings", "[1]"));
	assert_non_null(strstr(err, "\"warnings[0]\""));
	assert_null(with(1, "runs", "[3]"));
	assert_non_null(strstr(err, "runs[0] is not an object"));
	assert_null(with(1, "runs", "[]"));
	assert_non_null(strstr(err, "no runs"));
}

/* Refused, naming "warnings[...]..." and saying what it expected. */
static void refused_warning(cJSON *doc, const char *field, const char *expect)
{
	if (doc)
		cJSON_Delete(doc);
	assert_null(doc);
	if (!strstr(err, field) || !strstr(err, expect))
		print_error("expected %s and '%s' in: %s", field, expect, err);
	assert_non_null(strstr(err, field));
	assert_non_null(strstr(err, expect));
}

static void test_warning_records(void **state)
{
	static const char *const members[4] = { "code", "severity", "run", "text" };
#define CODE_RULE "a code of 1 to 32 bytes of a-z, 0-9 and '-'"
	static const struct {
		const char *member[4], *field, *expect;   /* member[] as JSON; NULL: left out */
	} bad[] = {
		{ { "\"noisy\"", "\"warning\"", "1", "\"t\"" }, "[1].run\"", "run, 0 to 0 (got 1)" },
		{ { "\"noisy\"", "\"warning\"", "-1", "\"t\"" }, "[1].run\"", "(got -1)" },
		{ { "\"noisy\"", "\"warning\"", "0.5", "\"t\"" }, "[1].run\"", "index of a run" },
		{ { "\"noisy\"", "\"warning\"", "\"0\"", "\"t\"" }, "[1].run\"", "index of a run" },
		{ { "\"\"", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "\"Noisy\"", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "\"no isy\"", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "\"1abc\"", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "\"-x\"", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "\"noisy\\n\"", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "\"abcdefghijklmnopqrstuvwxyz0123456\"", "\"info\"", "0", "\"t\"" }, "[1].code\"",
		  CODE_RULE },
		{ { "1", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "null", "\"info\"", "0", "\"t\"" }, "[1].code\"", CODE_RULE },
		{ { "\"noisy\"", "\"error\"", "0", "\"t\"" }, "[1].severity\"", "'info' or 'warning'" },
		{ { "\"noisy\"", "\"warning\"", "0", "7" }, "[1].text\"", "a string" },
		{ { "\"noisy\"", "\"warning\"", "0", NULL }, "[1].text\"", "is missing" },
		{ { "\"noisy\"", "\"warning\"", NULL, "\"t\"" }, "[1].run\"", "is missing" },
		{ { NULL, "\"warning\"", "0", "\"t\"" }, "[1].code\"", "is missing" },
		{ { "\"noisy\"", NULL, "0", "\"t\"" }, "[1].severity\"", "is missing" },
	};
	char v[9000], text[9000];
	cJSON *doc;
	struct report_run_codes rc;
	const char *const *codes;
	(void)state;

	/* records about a run and about the host; codes this version does not know */
	doc = with(1, "warnings", "[{\"code\": \"noisy\", \"severity\": \"warning\", \"run\": 0, "
		   "\"text\": \"cpu on thread with 2 workers: coefficient of variation 7.2%\"},"
		   "{\"code\": \"steal\", \"severity\": \"info\", \"run\": null, \"text\": \"\"},"
		   "{\"code\": \"strayed\", \"severity\": \"warning\", \"run\": 0, \"text\": \"s\"},"
		   "{\"code\": \"a-new-code-9\", \"severity\": \"info\", \"run\": 0, \"text\": \"t\"}]");
	assert_non_null(doc);
	assert_int_equal(report_run_codes_build(doc, &rc), 0);
	assert_int_equal(report_run_codes_of(&rc, 0, &codes), 3);
	assert_string_equal(codes[0], "noisy");
	assert_string_equal(codes[1], "strayed");
	assert_string_equal(codes[2], "a-new-code-9");
	assert_int_equal(report_run_codes_of(&rc, 1, &codes), 0);
	report_run_codes_free(&rc);
	cJSON_Delete(doc);
	/* reports from before the records: strings, which carry no code */
	doc = with(1, "warnings", "[\"cpu on thread with 2 workers: coefficient of variation\"]");
	assert_non_null(doc);
	assert_int_equal(report_run_codes_build(doc, &rc), 0);
	assert_int_equal(report_run_codes_of(&rc, 0, &codes), 0);
	report_run_codes_free(&rc);
	cJSON_Delete(doc);
	/* grouped by run whatever the order: runs[1], runs[0], the host, runs[1], a string */
	{
		cJSON *d = cJSON_Parse(base_doc), *runs = cJSON_GetObjectItem(d, "runs");
		assert_non_null(d);
		cJSON_AddItemToArray(runs, cJSON_Duplicate(cJSON_GetArrayItem(runs, 0), 1));
		cJSON_ReplaceItemInObject(cJSON_GetArrayItem(runs, 1), "executor",
					  cJSON_CreateString("fork"));
		cJSON_ReplaceItemInObject(d, "warnings", cJSON_Parse(
			"[{\"code\": \"a\", \"severity\": \"info\", \"run\": 1, \"text\": \"\"},"
			"{\"code\": \"b\", \"severity\": \"info\", \"run\": 0, \"text\": \"\"},"
			"{\"code\": \"c\", \"severity\": \"info\", \"run\": null, \"text\": \"\"},"
			"{\"code\": \"d\", \"severity\": \"info\", \"run\": 1, \"text\": \"\"}, \"e\"]"));
		doc = parse_built(d);
		assert_non_null(doc);
		assert_int_equal(report_run_codes_build(doc, &rc), 0);
		assert_int_equal(report_run_codes_of(&rc, 0, &codes), 1);
		assert_string_equal(codes[0], "b");
		assert_int_equal(report_run_codes_of(&rc, 1, &codes), 2);
		assert_string_equal(codes[0], "a");
		assert_string_equal(codes[1], "d");
		assert_int_equal(report_run_codes_of(&rc, 2, &codes), 0);
		report_run_codes_free(&rc);
		cJSON_Delete(doc);
	}
	accepted(with(1, "warnings", "[]"));
	accepted(with(1, "warnings", NULL));
	cb_fmt(v, sizeof(v), "[{\"code\": \"abcdefghijklmnopqrstuvwxyz012345\", \"severity\": "
	       "\"info\", \"run\": 0, \"text\": \"32 bytes\"}]");
	accepted(with(1, "warnings", v));

	/* one member wrong or left out (NULL) at a time; the base doc has one run */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cb_fmt(v, sizeof(v), "[\"ok\", {");
		for (size_t m = 0; m < 4; m++)
			if (bad[i].member[m])
				cb_fmt(v + strlen(v), sizeof(v) - strlen(v), "%s\"%s\": %s",
				       v[strlen(v) - 1] == '{' ? "" : ", ", members[m], bad[i].member[m]);
		cb_fmt(v + strlen(v), sizeof(v) - strlen(v), "}]");
		refused_warning(with(1, "warnings", v), bad[i].field, bad[i].expect);
	}
	refused_warning(with(1, "warnings", "[{\"code\": \"noisy\", \"severity\": \"warning\", "
				"\"run\": 0, \"text\": \"t\", \"detail\": 1}]"),
			"\"warnings[0].detail\"", "a member of a warning");
	refused_warning(with(1, "warnings", "[[\"noisy\"]]"), "\"warnings[0]\"",
			"a warning {code, severity, run, text} or a string");
	refused_warning(with(1, "warnings", "{}"), "\"warnings\"", "an array of warnings");
	/* bounded text, in records as in strings */
	memset(text, 'x', 8193);
	text[8193] = 0;
	cb_fmt(v, sizeof(v), "[{\"code\": \"noisy\", \"severity\": \"warning\", \"run\": 0, "
	       "\"text\": \"%s\"}]", text);
	refused_warning(with(1, "warnings", v), "\"warnings[0].text\"", "8192 bytes");
	cb_fmt(v, sizeof(v), "[\"%s\"]", text);
	refused_warning(with(1, "warnings", v), "\"warnings[0]\"", "8192 bytes");
}

static void test_not_one_document(void **state)
{
	static const struct { const char *text; size_t len; const char *what; } bad[] = {
		{ "", 0, "empty" },
		{ " \n\t", 3, "empty" },
		{ "{\"schema\"\0: 1}", 14, "NUL byte at offset 9" },
		{ "{\"a\": 1} x", 10, "after the document" },
		{ "{\"a\": 1}{\"a\": 1}", 16, "after the document" },
		{ "{\"a\": ", 6, "syntax error at line 1" },
		{ "[1]", 3, "top level is not a JSON object" },
		{ "{\"schema\": \"x\"}", 15, "schema 'x'" },
		{ "{\"schema\": \"concbench-report/9\"}", 32, "newer" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(parse(bad[i].text, bad[i].len));
		if (!strstr(err, bad[i].what))
			print_error("case %zu: expected '%s' in: %s", i, bad[i].what, err);
		assert_non_null(strstr(err, bad[i].what));
	}
}

static void test_nesting(void **state)
{
	size_t n = 200000;
	char *t = malloc(n);
	(void)state;
	assert_non_null(t);
	memset(t, '[', n);
	assert_null(parse(t, n));
	assert_non_null(strstr(err, "nested deeper than 64 levels"));
	/* 64 levels are fine for the counter (cJSON then reads the text) */
	memset(t, '[', 64);
	memset(t + 64, ']', 64);
	assert_null(parse(t, 128));
	assert_non_null(strstr(err, "top level is not a JSON object"));
	/* brackets inside strings do not count */
	{
		char s[200];
		cb_fmt(s, sizeof(s), "{\"schema\": \"%.*s\"}", 100,
		       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		       "[[[[[[[[[[[[[[[[[[[[");
		assert_null(parse_str(s));
		assert_non_null(strstr(err, "not a concbench report (schema"));
	}
	free(t);
}

static void test_files(void **state)
{
	char p[96];
	cJSON *doc;
	int fd;
	(void)state;
	/* a FIFO without a writer: refused, not waited on */
	cb_fmt(p, sizeof(p), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(p, 0600), 0);
	doc = report_load("report", p);
	assert_null(doc);
	assert_int_equal(errno, EINVAL);
	unlink(p);
	doc = report_load("report", tmpdir);
	assert_null(doc);
	assert_int_equal(errno, EISDIR);
	cb_fmt(p, sizeof(p), "%s/missing.json", tmpdir);
	assert_null(report_load("report", p));
	assert_int_equal(errno, ENOENT);
	/* a file of the base report */
	cb_fmt(p, sizeof(p), "%s/ok.json", tmpdir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, base_doc, strlen(base_doc)), (ssize_t)strlen(base_doc));
	close(fd);
	doc = report_load("report", p);
	assert_non_null(doc);
	cJSON_Delete(doc);
	unlink(p);
}

static int setup(void **state)
{
	(void)state;
	cb_fmt(tmpdir, sizeof(tmpdir), "%s", "/tmp/test_reportload.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char p[96];
	(void)state;
	cb_fmt(p, sizeof(p), "%s/stderr", tmpdir);
	unlink(p);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_workers_bounds),
		cmocka_unit_test(test_samples_and_median),
		cmocka_unit_test(test_other_fields),
		cmocka_unit_test(test_warning_records),
		cmocka_unit_test(test_not_one_document),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
