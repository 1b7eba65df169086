/* SPDX-License-Identifier: MIT */
/* Unit tests for what a hostile report cannot do: cb_sanitize (src/base/util.c) on control
 * characters, bidirectional overrides and invalid UTF-8, and the renderers (src/report/render.c)
 * on strings and worker counts no run of concbench would write. */
#define _GNU_SOURCE
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "report/render.h"

static const char *san(const char *s, size_t len)
{
	static char buf[256];
	return cb_sanitize(s, buf, len);
}

static void test_sanitize_keeps_plain_text(void **state)
{
	(void)state;
	assert_string_equal(san("thread/compact @ vm 2026-11-23", 256), "thread/compact @ vm 2026-11-23");
	assert_string_equal(san("AMD EPYC\xe2\x84\xa2 7B13 \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", 256),
			    "AMD EPYC\xe2\x84\xa2 7B13 \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(san(NULL, 256), "(null)");
	assert_string_equal(san("", 256), "");
}

static void test_sanitize_controls(void **state)
{
	(void)state;
	/* C0, DEL, ESC sequences, newline, tab */
	assert_string_equal(san("a\x1b[31mred\x1b]0;t\x07z", 256), "a?[31mred?]0;t?z");
	assert_string_equal(san("l1\nl2\rl3\tx\x7f", 256), "l1?l2?l3?x?");
	/* C1 controls in UTF-8: CSI (U+009B), NEL (U+0085) */
	assert_string_equal(san("a\xc2\x9b" "31mb\xc2\x85", 256), "a?31mb?");
	/* bidi overrides and isolates, ALM, line and paragraph separators */
	assert_string_equal(san("x\xe2\x80\xae" "evil\xe2\x80\xac\xe2\x81\xa6y\xe2\x81\xa9\xd8\x9c"
				"\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\x8f", 256), "x?evil??y?????");
}

static void test_sanitize_invalid_utf8(void **state)
{
	(void)state;
	/* a lone continuation byte, a truncated sequence, an overlong '/', a surrogate, a code
	 * point beyond U+10FFFF, 0xff */
	assert_string_equal(san("a\x80" "b", 256), "a?b");
	assert_string_equal(san("a\xe2\x82", 256), "a??");
	assert_string_equal(san("\xc0\xaf", 256), "??");
	assert_string_equal(san("\xed\xa0\x80", 256), "???");
	assert_string_equal(san("\xf4\x90\x80\x80", 256), "????");
	assert_string_equal(san("\xff", 256), "?");
}

static void test_sanitize_cuts_on_a_character(void **state)
{
	char buf[8];
	(void)state;
	assert_string_equal(cb_sanitize("abcdefghij", buf, sizeof(buf)), "abcd...");
	/* "é" is two bytes: never cut in half */
	assert_string_equal(cb_sanitize("abc\xc3\xa9\xc3\xa9xyz", buf, sizeof(buf)), "abc...");
	assert_string_equal(cb_sanitize("abcdefg", buf, sizeof(buf)), "abcdefg");
	assert_string_equal(cb_sanitize("abcdefgh", buf, 1), "");
}

/* A report of one seq run and one thread run per worker count in `workers`, with every
 * string set to `s`. */
static cJSON *report_with(const char *s, const double *workers, size_t nw)
{
	cJSON *doc = cJSON_CreateObject(), *runs = cJSON_AddArrayToObject(doc, "runs");
	cJSON *host = cJSON_AddObjectToObject(doc, "host");

	cJSON_AddStringToObject(doc, "schema", "concbench-report/1");
	cJSON_AddStringToObject(doc, "created", s);
	cJSON_AddStringToObject(host, "hostname", s);
	for (size_t i = 0; i <= nw; i++) {
		cJSON *r = cJSON_CreateObject(), *p = cJSON_AddObjectToObject(r, "params");
		cJSON *tp = cJSON_AddObjectToObject(r, "throughput");
		cJSON_AddStringToObject(r, "workload", s);
		cJSON_AddStringToObject(p, s, s);
		cJSON_AddStringToObject(r, "executor", i ? s : "seq");
		cJSON_AddStringToObject(r, "binding", s);
		cJSON_AddNumberToObject(r, "workers", i ? workers[i - 1] : 1);
		cJSON_AddNumberToObject(r, "median_s", 0.001);
		cJSON_AddNumberToObject(r, "speedup", 1e300);
		cJSON_AddNumberToObject(r, "efficiency", -1e300);
		cJSON_AddNumberToObject(r, "karp_flatt", 1e300);
		cJSON_AddNumberToObject(tp, "value", 1e300);
		cJSON_AddStringToObject(tp, "unit", s);
		cJSON_AddItemToArray(runs, r);
	}
	return doc;
}

static void render_all(cJSON *doc, const char *must_not)
{
	cJSON *docs[2] = { doc, doc };
	for (int fmt = RENDER_TABLE; fmt <= RENDER_CSV; fmt++) {
		for (size_t n = 1; n <= 2; n++) {
			char *out = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&out, &len);
			assert_non_null(f);
			assert_int_equal(render_reports(f, docs, n, (enum render_format)fmt), 0);
			fclose(f);
			for (size_t i = 0; i < len; i++)
				if ((unsigned char)out[i] < 0x20 && out[i] != '\n')
					fail_msg("format %d: control byte 0x%02x at %zu", fmt,
						 (unsigned char)out[i], i);
			if (must_not && fmt != RENDER_CSV && strstr(out, must_not))
				fail_msg("format %d: '%s' reached the output", fmt, must_not);
			free(out);
		}
	}
}

static void test_render_hostile_strings(void **state)
{
	static const double w[] = { 1, 2 };
	cJSON *doc = report_with("x\x1b[2J\x1b]0;pwned\x07\n| `a` [l](u) <b>\xc2\x9b\xe2\x80\xae", w, 2);
	(void)state;
	render_all(doc, "\xe2\x80\xae");
	cJSON_Delete(doc);
}

/* Worker counts no run writes: rendered without undefined behaviour (the ASan+UBSan build
 * runs this), and such runs get no row in the tables (CSV prints the field as it is). */
static void test_render_odd_workers(void **state)
{
	static const double w[] = { 1e300, -1, 4294967296.0, 1.5, 0, NAN, 2 };
	cJSON *doc = report_with("cpu", w, sizeof(w) / sizeof(w[0]));
	cJSON *inf = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "runs"), 1);
	cJSON *docs[1] = { doc };
	char *out = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f;
	(void)state;
	cJSON_GetObjectItemCaseSensitive(inf, "workers")->valuedouble = INFINITY;
	render_all(doc, "4294967296");
	/* the table has one row, for the one valid count: 2 */
	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(render_reports(f, docs, 1, RENDER_TABLE), 0);
	fclose(f);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned row;
		if (sscanf(line, "  %u ", &row) == 1 && line[2] >= '0' && line[2] <= '9' &&
		    !strstr(line, "runs verified") && row != 2)
			fail_msg("a row for %u workers: '%.60s'", row, line);
	}
	free(out);
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_keeps_plain_text),
		cmocka_unit_test(test_sanitize_controls),
		cmocka_unit_test(test_sanitize_invalid_utf8),
		cmocka_unit_test(test_sanitize_cuts_on_a_character),
		cmocka_unit_test(test_render_hostile_strings),
		cmocka_unit_test(test_render_odd_workers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
