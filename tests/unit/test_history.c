/* SPDX-License-Identifier: MIT */
/* history: commit names, series built from observations, changes found in a planted series
 * (both metrics' directions), and the database: positions in the order commits were first
 * added, queries, the empty-file migration and files refused. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/util.h"
#include "report/history.h"

#define FIXTURE "tests/fixtures/report-2vcpu.json"

static void test_commit_names(void **state)
{
	cJSON *doc;
	(void)state;
	assert_null(history_commit_problem("6757d1b"));
	assert_null(history_commit_problem("v1.2.3-4-gabcdef0"));
	assert_null(history_commit_problem("release/2026.11"));
	assert_non_null(history_commit_problem(""));
	assert_non_null(history_commit_problem("a b"));
	assert_non_null(history_commit_problem("a;b"));
	assert_non_null(history_commit_problem("x\n"));
	assert_non_null(history_commit_problem(
		"0123456789012345678901234567890123456789012345678901234567890123x"));
	doc = cJSON_Parse("{\"label\": \"6757d1b\"}");
	assert_string_equal(history_commit_of_label(doc), "6757d1b");
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"label\": \"nightly\"}");
	assert_null(history_commit_of_label(doc));
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"label\": \"abc12\"}");      /* too short for a SHA */
	assert_null(history_commit_of_label(doc));
	cJSON_Delete(doc);
	doc = cJSON_Parse("{}");
	assert_null(history_commit_of_label(doc));
	cJSON_Delete(doc);
}

/* Observations of one key: ncommit commits of per invocations, value v(commit, inv). */
static struct history_obs *make_obs(const char *key, size_t ncommit, size_t per,
				    double (*v)(size_t, size_t), size_t *n)
{
	struct history_obs *o = calloc(ncommit * per, sizeof(*o));
	assert_non_null(o);
	for (size_t c = 0; c < ncommit; c++)
		for (size_t i = 0; i < per; i++) {
			struct history_obs *e = &o[c * per + i];
			char name[16];
			cb_fmt(name, sizeof(name), "c%02zu", c + 1);
			e->key = strdup(key);
			e->workload = strdup("cpu");
			e->executor = strdup("thread");
			e->binding = strdup("none");
			e->params = strdup("");
			e->commit = strdup(name);
			e->unit = strdup("s");
			e->workers = 2;
			e->position = (int64_t)c + 1;
			e->value = v(c, i);
		}
	*n = ncommit * per;
	return o;
}

/* A small deterministic wobble per invocation, 1 +- 2.5%. */
static double wobble(size_t c, size_t i)
{
	return 1 + 0.025 * ((double)((c * 3 + i) * 7919 % 41) - 20) / 20;
}

static double slower_at_12(size_t c, size_t i)
{
	return (c + 1 >= 12 ? 0.125 : 0.100) * wobble(c, i);
}

static double flat(size_t c, size_t i)
{
	return 0.1 * wobble(c, i);
}

static double by_commit(size_t c, size_t i)
{
	return (double)(c + 1) + 0.01 * (double)i;
}

static void test_series_build(void **state)
{
	struct history_series *s;
	struct history_obs *o;
	size_t n, ns;
	(void)state;
	o = make_obs("k", 3, 6, by_commit, &n);
	assert_int_equal(history_series_build(o, n, &s, &ns), 0);
	assert_int_equal(ns, 1);
	assert_int_equal(s[0].npoints, 3);
	for (size_t p = 0; p < 3; p++) {
		assert_int_equal(s[0].points[p].first, 6 * p);
		assert_int_equal(s[0].points[p].n, 6);
		/* median of c+1 + {0, .01, ..., .05}: c+1 + .025 */
		assert_float_equal(s[0].points[p].median, (double)p + 1.025, 1e-12);
		assert_true(s[0].points[p].has_ci);
		/* six values: the only 95% interval is (min, max) */
		assert_float_equal(s[0].points[p].lo, (double)p + 1, 1e-12);
		assert_float_equal(s[0].points[p].hi, (double)p + 1.05, 1e-12);
	}
	assert_true(isnan(s[0].points[0].change));
	assert_float_equal(s[0].points[1].change, 2.025 / 1.025 - 1, 1e-12);
	history_series_free(s, ns);
	history_obs_free(o, n);

	/* fewer than 6 invocations: no interval */
	o = make_obs("k", 2, 5, by_commit, &n);
	assert_int_equal(history_series_build(o, n, &s, &ns), 0);
	assert_false(s[0].points[0].has_ci);
	history_series_free(s, ns);
	history_obs_free(o, n);
}

static void test_changes_planted(void **state)
{
	struct history_change ch[HISTORY_MAX_CHANGES];
	struct history_series *s;
	struct history_obs *o;
	size_t n, ns, nc;
	(void)state;
	o = make_obs("k", 20, 3, slower_at_12, &n);
	assert_int_equal(history_series_build(o, n, &s, &ns), 0);
	assert_int_equal(history_changes(o, &s[0], HISTORY_MEDIAN_S, 0.01, ch, &nc), 0);
	assert_int_equal(nc, 1);
	assert_int_equal(ch[0].point, 11);                /* commit c12 */
	assert_string_equal(o[s[0].points[ch[0].point].first].commit, "c12");
	assert_true(ch[0].worse);
	assert_true(ch[0].change > 0.2 && ch[0].change < 0.3);
	assert_true(ch[0].p < 0.01);
	/* as a throughput, more is better: the same rise is an improvement */
	assert_int_equal(history_changes(o, &s[0], HISTORY_THROUGHPUT, 0.01, ch, &nc), 0);
	assert_int_equal(nc, 1);
	assert_false(ch[0].worse);
	history_series_free(s, ns);
	history_obs_free(o, n);

	o = make_obs("k", 20, 3, flat, &n);
	assert_int_equal(history_series_build(o, n, &s, &ns), 0);
	assert_int_equal(history_changes(o, &s[0], HISTORY_MEDIAN_S, 0.01, ch, &nc), 0);
	assert_int_equal(nc, 0);
	history_series_free(s, ns);
	history_obs_free(o, n);
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	cb_fmt(dir, sizeof(dir), "%s", "/tmp/concbench-history-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	cb_fmt(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_database(void **state)
{
	const char *const fix[] = { FIXTURE };
	struct history_filter all = { 0 }, one = { "cpu", "fork", "none", NULL, NULL, 2, 1 };
	struct history_obs *o;
	struct history *h;
	char path[128], sha[HISTORY_MAX_COMMIT + 1];
	size_t nruns, n;
	int64_t pos;
	(void)state;
	cb_fmt(path, sizeof(path), "%s/h.sqlite", dir);
	assert_int_equal(history_open(path, 0, &h), -EINVAL);      /* reading: must exist */
	assert_int_equal(history_open(path, 1, &h), 0);
	assert_int_equal(history_newest(h, &pos, sha, sizeof(sha)), 0);
	assert_int_equal(pos, 0);
	assert_int_equal(history_add(h, fix, 1, "c2", "main", NULL, &nruns), 0);
	assert_int_equal(nruns, 21);
	assert_int_equal(history_add(h, fix, 1, "c1", NULL, NULL, &nruns), 0);
	/* a commit added again keeps its place: c2 first, c1 second */
	assert_int_equal(history_add(h, fix, 1, "c2", NULL, NULL, &nruns), 0);
	/* the fixture has no SHA label: without --commit, nothing is added */
	assert_int_equal(history_add(h, fix, 1, NULL, NULL, NULL, &nruns), -EINVAL);
	assert_int_equal(nruns, 0);
	assert_int_equal(history_newest(h, &pos, sha, sizeof(sha)), 0);
	assert_int_equal(pos, 2);
	assert_string_equal(sha, "c1");
	assert_int_equal(history_query(h, &all, HISTORY_MEDIAN_S, &o, &n), 0);
	assert_int_equal(n, 63);
	history_obs_free(o, n);
	assert_int_equal(history_query(h, &one, HISTORY_MEDIAN_S, &o, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(o[0].commit, "c2");
	assert_string_equal(o[1].commit, "c2");
	assert_string_equal(o[2].commit, "c1");
	assert_int_equal(o[2].position, 2);
	/* the fixture's cpu fork, 2 workers: its median_s is its samples' median */
	assert_float_equal(o[0].value, 0.027637355, 1e-12);
	history_obs_free(o, n);
	history_close(h);
}

/* An empty file is version 0: opening it to write brings it to the current schema. */
static void test_migration_and_refusals(void **state)
{
	struct history *h;
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[128];
	FILE *f;
	(void)state;
	cb_fmt(path, sizeof(path), "%s/empty.sqlite", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(history_open(path, 0, &h), -EINVAL);      /* no history in it yet */
	assert_int_equal(history_open(path, 1, &h), 0);
	history_close(h);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), HISTORY_SCHEMA);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* another application's database: tables, no application_id */
	assert_int_equal(sqlite3_exec(db, "PRAGMA application_id = 0; "
				      "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(history_open(path, 1, &h), -EINVAL);
	assert_int_equal(history_open(path, 0, &h), -EINVAL);
	/* not SQLite at all */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("SQLite format 2 and then some text that is no database at all", f);
	fclose(f);
	assert_int_equal(history_open(path, 1, &h), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_names),
		cmocka_unit_test(test_series_build),
		cmocka_unit_test(test_changes_planted),
		cmocka_unit_test(test_database),
		cmocka_unit_test(test_migration_and_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
