/* SPDX-License-Identifier: MIT */
/* Unit tests of explain (src/report/explain.c) on reports built here, where the answer is
 * known: which runs are compared, which measurements count as evidence, and which
 * interpretations the rules add (and, as much, which they must not). */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/explain.h"

/* A mem touch run: median m (its samples all m, its interval [0.99m, 1.01m]), rusage per
 * repetition, and the PUs 0..pus-1 observed. */
static cJSON *run_new(const char *executor, unsigned workers, double m, double sys, double minflt,
		      int pus)
{
	cJSON *r = cJSON_CreateObject(), *p, *ru, *a;

	assert_non_null(r);
	cJSON_AddStringToObject(r, "workload", "mem");
	p = cJSON_AddObjectToObject(r, "params");
	cJSON_AddNumberToObject(p, "size", 268435456);
	cJSON_AddStringToObject(p, "pattern", "touch");
	cJSON_AddStringToObject(p, "scaling", "strong");
	cJSON_AddStringToObject(r, "executor", executor);
	cJSON_AddNumberToObject(r, "workers", workers);
	cJSON_AddStringToObject(r, "binding", "none");
	a = cJSON_AddArrayToObject(r, "samples_s");
	for (int i = 0; i < 5; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(m));
	cJSON_AddNumberToObject(r, "median_s", m);
	a = cJSON_AddArrayToObject(r, "ci95_s");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(0.99 * m));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(1.01 * m));
	a = cJSON_AddArrayToObject(r, "cpus");
	for (int i = 0; i < pus; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(i));
	cJSON_AddNumberToObject(r, "start_skew_s", 0);
	cJSON_AddNumberToObject(r, "startup_s", 0.0005);
	cJSON_AddNumberToObject(r, "cpu_utilization", 0.9);
	ru = cJSON_AddObjectToObject(r, "rusage");
	cJSON_AddNumberToObject(ru, "user_s", 0.01);
	cJSON_AddNumberToObject(ru, "sys_s", sys);
	cJSON_AddNumberToObject(ru, "vcsw", 0);
	cJSON_AddNumberToObject(ru, "ivcsw", 5);
	cJSON_AddNumberToObject(ru, "minflt", minflt);
	cJSON_AddNumberToObject(ru, "majflt", 0);
	cJSON_AddStringToObject(ru, "per", "repetition, summed over workers");
	return r;
}

/* A report of the given runs (taken over), with a seq baseline first. */
static cJSON *report_new(cJSON *const *runs, size_t n)
{
	cJSON *doc = cJSON_CreateObject(), *a;
	assert_non_null(doc);
	cJSON_AddStringToObject(doc, "schema", "concbench-report/1");
	a = cJSON_AddArrayToObject(doc, "runs");
	cJSON_AddItemToArray(a, run_new("seq", 1, 0.4, 0.1, 65536, 1));
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, runs[i]);
	return doc;
}

/* thread against fork at 2 workers: median, sys time, minor faults and PUs of each. */
static cJSON *pair_new(const double th[4], const double fk[4])
{
	cJSON *runs[] = { run_new("thread", 2, th[0], th[1], th[2], (int)th[3]),
			  run_new("fork", 2, fk[0], fk[1], fk[2], (int)fk[3]) };
	return report_new(runs, 2);
}

/* runs[i] of doc. */
static cJSON *run_at(const cJSON *doc, int i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), i);
}

/* The findings of doc (run: as explain_report), and the first one's sentence. */
static void explain_one(const cJSON *doc, long run, struct explain_set *s, char *text, size_t len)
{
	assert_int_equal(explain_report(doc, run, s), 0);
	assert_true(s->n >= 1);
	explain_sentence(&s->items[0], text, len);
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part)) {
		print_error("'%s' not in: %s\n", part, text);
		fail();
	}
}

static void assert_lacks(const char *text, const char *part)
{
	if (strstr(text, part)) {
		print_error("'%s' in: %s\n", part, text);
		fail();
	}
}

static const struct explain_evidence *evidence(const struct explain_finding *x, const char *name)
{
	for (size_t i = 0; i < x->nevidence; i++)
		if (strcmp(x->evidence[i].name, name) == 0)
			return &x->evidence[i];
	return NULL;
}

/* The evidence named, which must be there. */
static const struct explain_evidence *must(const struct explain_finding *x, const char *name)
{
	static const struct explain_evidence none;
	const struct explain_evidence *e = evidence(x, name);
	if (!e) {
		print_error("no evidence '%s'\n", name);
		fail();
		return &none;
	}
	return e;
}

/* Threads slower with 4.8x the system time and the same faults as processes: the gap, the
 * sys time with its numbers, the equal faults, and the address-space clause. */
static void test_sys_gap_same_faults_is_address_space(void **state)
{
	cJSON *doc = pair_new((const double[]){ 0.2, 0.48, 65536, 2 },
			       (const double[]){ 0.1, 0.1, 65536, 2 });
	struct explain_set s;
	const struct explain_evidence *e;
	char text[4096];
	(void)state;

	explain_one(doc, -1, &s, text, sizeof(text));
	assert_int_equal(s.n, 1);
	assert_string_equal(s.items[0].executor_a, "fork");
	assert_string_equal(s.items[0].executor_b, "thread");
	assert_int_equal(s.items[0].run_a, 2);
	assert_int_equal(s.items[0].run_b, 1);
	assert_true(fabs(s.items[0].ratio - 2.0) < 1e-9);
	e = must(&s.items[0], "sys_s");
	assert_true(fabs(e->ratio - 4.8) < 1e-9);
	assert_string_equal(s.items[0].evidence[0].name, "sys_s");    /* the largest first */
	assert_null(evidence(&s.items[0], "minflt"));
	assert_string_equal(s.items[0].same.name, "minflt");
	assert_int_equal(s.items[0].nclauses, 1);
	assert_string_equal(s.items[0].clauses[0], "faults contend on one address space");
	assert_contains(text, "mem touch, 2 workers: fork 2.00x faster than thread;");
	assert_contains(text, "thread spent 4.8x the system time (480.00 ms against 100.00 ms)");
	assert_contains(text, "with the same minor page faults (65536 against 65536)");
	assert_contains(text, "(faults contend on one address space)");
	explain_set_free(&s);

	/* four larger differences first: the system time the clause rests on is still said */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc, 1), "rusage"), "ivcsw",
				  cJSON_CreateNumber(500));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc, 1), "rusage"), "vcsw",
				  cJSON_CreateNumber(100));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc, 1), "rusage"), "user_s",
				  cJSON_CreateNumber(0.1));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc, 1), "rusage"), "majflt",
				  cJSON_CreateNumber(50));
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_true(s.items[0].nevidence >= 5);
	assert_string_not_equal(s.items[0].evidence[3].name, "sys_s");
	assert_string_equal(s.items[0].evidence[4].name, "sys_s");
	assert_contains(text, "thread spent 4.8x the system time (480.00 ms against 100.00 ms)");
	/* the voluntary switches for the same faults add their own clause */
	assert_contains(text, "(faults contend on one address space; its workers waited for each "
			"other in the kernel)");
	explain_set_free(&s);
	cJSON_Delete(doc);
}

/* The same system-time gap without its pattern adds no interpretation: faults that differ,
 * or a slower executor that does not share one address space. */
static void test_address_space_needs_its_pattern(void **state)
{
	cJSON *doc1 = pair_new((const double[]){ 0.2, 0.48, 131072, 2 },
			       (const double[]){ 0.1, 0.1, 65536, 2 });
	cJSON *doc2 = pair_new((const double[]){ 0.1, 0.1, 65536, 2 },
			       (const double[]){ 0.2, 0.48, 65536, 2 });
	cJSON *runs[1];
	struct explain_set s;
	char text[4096];
	(void)state;

	explain_one(doc1, -1, &s, text, sizeof(text));
	assert_non_null(evidence(&s.items[0], "sys_s"));
	assert_non_null(evidence(&s.items[0], "minflt"));
	assert_int_equal(s.items[0].nclauses, 0);
	assert_null(s.items[0].same.name);
	assert_lacks(text, "address space");
	assert_lacks(text, "the same");
	explain_set_free(&s);

	explain_one(doc2, -1, &s, text, sizeof(text));
	assert_string_equal(s.items[0].executor_b, "fork");
	assert_non_null(evidence(&s.items[0], "sys_s"));
	assert_int_equal(s.items[0].nclauses, 0);
	assert_lacks(text, "address space");
	explain_set_free(&s);
	cJSON_Delete(doc1);
	cJSON_Delete(doc2);

	/* seq slower than threads with more system time: both in one address space */
	runs[0] = run_new("thread", 2, 0.1, 0.1, 65536, 2);
	doc1 = report_new(runs, 1);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc1, 0), "rusage"), "sys_s",
				  cJSON_CreateNumber(0.48));
	explain_one(doc1, -1, &s, text, sizeof(text));
	assert_string_equal(s.items[0].executor_b, "seq");
	assert_non_null(evidence(&s.items[0], "sys_s"));
	assert_int_equal(s.items[0].nclauses, 0);
	assert_lacks(text, "address space");
	explain_set_free(&s);
	cJSON_Delete(doc1);
}

/* Threads slower with the same system time and faults but many more voluntary switches:
 * they waited for each other while faulting. Not when the faults differ, nor when the
 * slower executor has an address space per worker. */
static void test_fault_waits_need_their_pattern(void **state)
{
	cJSON *doc = pair_new((const double[]){ 0.25, 0.24, 131072, 2 },
			       (const double[]){ 0.2, 0.22, 131072, 2 });
	cJSON *doc2 = pair_new((const double[]){ 0.25, 0.24, 131072, 2 },
				(const double[]){ 0.2, 0.22, 65536, 2 });
	cJSON *doc3 = pair_new((const double[]){ 0.2, 0.22, 131072, 2 },
				(const double[]){ 0.25, 0.24, 131072, 2 });
	struct explain_set s;
	char text[4096];
	(void)state;

	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc, 1), "rusage"), "vcsw",
				  cJSON_CreateNumber(107));
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_string_equal(s.items[0].executor_b, "thread");
	assert_non_null(must(&s.items[0], "vcsw"));
	assert_null(evidence(&s.items[0], "sys_s"));
	assert_int_equal(s.items[0].nclauses, 1);
	assert_string_equal(s.items[0].clauses[0], "its workers waited for each other in the kernel");
	assert_contains(text, "thread had more voluntary context switches (107 against none) with "
			"the same minor page faults (131072 against 131072)");
	explain_set_free(&s);

	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc2, 1), "rusage"), "vcsw",
				  cJSON_CreateNumber(107));
	explain_one(doc2, -1, &s, text, sizeof(text));
	assert_non_null(must(&s.items[0], "vcsw"));
	assert_int_equal(s.items[0].nclauses, 0);
	assert_lacks(text, "waited for each other");
	explain_set_free(&s);

	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(run_at(doc3, 2), "rusage"), "vcsw",
				  cJSON_CreateNumber(107));
	explain_one(doc3, -1, &s, text, sizeof(text));
	assert_string_equal(s.items[0].executor_b, "fork");
	assert_non_null(must(&s.items[0], "vcsw"));
	assert_int_equal(s.items[0].nclauses, 0);
	assert_lacks(text, "waited for each other");
	explain_set_free(&s);
	cJSON_Delete(doc);
	cJSON_Delete(doc2);
	cJSON_Delete(doc3);
}

/* Equal runs: "within", and no measurement claimed. */
static void test_equal_runs_are_within(void **state)
{
	cJSON *doc = pair_new((const double[]){ 0.1005, 0.1, 65536, 2 },
			       (const double[]){ 0.1, 0.1, 65536, 2 });
	struct explain_set s;
	char text[4096];
	(void)state;

	explain_one(doc, -1, &s, text, sizeof(text));
	assert_int_equal(s.items[0].nevidence, 0);
	assert_int_equal(s.items[0].nclauses, 0);
	assert_contains(text, "fork and thread within 1% (their 95% intervals overlap): "
			"no measurement differs by more than 1.5x");
	assert_lacks(text, "faster");
	explain_set_free(&s);
	cJSON_Delete(doc);
}

/* The slower run's two workers were seen on one PU: the PUs as evidence, and the
 * time-share clause; with both runs on two PUs, neither. */
static void test_fewer_pus_is_time_sharing(void **state)
{
	cJSON *doc = pair_new((const double[]){ 0.1, 0.1, 65536, 2 },
			       (const double[]){ 0.19, 0.1, 65536, 1 });
	struct explain_set s;
	const struct explain_evidence *e;
	char text[4096];
	(void)state;

	explain_one(doc, -1, &s, text, sizeof(text));
	assert_string_equal(s.items[0].executor_b, "fork");
	e = must(&s.items[0], "observed_pus");
	assert_true(e->a == 2 && e->b == 1);
	assert_contains(text, "thread ran on 2.0x the PUs (2 against 1)");
	assert_contains(text, "the workers time-shared fewer PUs");
	explain_set_free(&s);
	cJSON_Delete(doc);

	/* the faster run's workers migrated over 4 PUs; the slower's 2 were on 2 */
	doc = pair_new((const double[]){ 0.1, 0.1, 65536, 4 }, (const double[]){ 0.19, 0.1, 65536, 2 });
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_null(evidence(&s.items[0], "observed_pus"));
	assert_lacks(text, "time-shared");
	explain_set_free(&s);
	cJSON_Delete(doc);
}

/* fork slower than thread, each repetition's fork workers taking slow and 0.1 s; thread
 * balanced. */
static cJSON *imbalanced_new(double slow)
{
	cJSON *doc = pair_new((const double[]){ 0.1, 0.1, 65536, 2 },
			      (const double[]){ 0.2, 0.1, 65536, 2 });
	for (int k = 0; k < 2; k++) {
		cJSON *ws = cJSON_AddArrayToObject(run_at(doc, k + 1), "worker_s");
		for (int i = 0; i < 5; i++) {
			cJSON *rep = cJSON_CreateArray();
			cJSON_AddItemToArray(rep, cJSON_CreateNumber(k ? slow : 0.1));
			cJSON_AddItemToArray(rep, cJSON_CreateNumber(0.1));
			cJSON_AddItemToArray(ws, rep);
		}
	}
	return doc;
}

/* One worker of the slower run took twice its partner's time in every repetition (max /
 * median of two workers = 0.2 / 0.15); at 1.1x its partner's, the imbalance (1.05) is
 * under the floor and claims nothing. */
static void test_slow_worker_holds_the_others(void **state)
{
	cJSON *doc = imbalanced_new(0.2);
	struct explain_set s;
	char text[4096];
	(void)state;

	explain_one(doc, -1, &s, text, sizeof(text));
	assert_true(fabs(must(&s.items[0], "imbalance")->b - 0.2 / 0.15) < 1e-9);
	assert_contains(text, "fork had 1.3x the worker imbalance");
	assert_contains(text, "(1.33 against 1.00)");
	assert_contains(text, "a slow worker held the others");
	explain_set_free(&s);
	cJSON_Delete(doc);

	doc = imbalanced_new(0.11);
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_null(evidence(&s.items[0], "imbalance"));
	assert_lacks(text, "slow worker");
	explain_set_free(&s);
	cJSON_Delete(doc);
}

/* The fields of issue 12's imbalance (imbalance, observed_pus) are read where a report
 * has them, before worker_s and cpus. */
static void test_imbalance_fields_come_first(void **state)
{
	cJSON *doc = pair_new((const double[]){ 0.1, 0.1, 65536, 2 },
			      (const double[]){ 0.2, 0.1, 65536, 2 });
	struct explain_set s;
	char text[4096];
	(void)state;

	cJSON_AddNumberToObject(run_at(doc, 1), "imbalance", 1.0);
	cJSON_AddNumberToObject(run_at(doc, 2), "imbalance", 1.5);
	cJSON_AddNumberToObject(run_at(doc, 1), "observed_pus", 2);
	cJSON_AddNumberToObject(run_at(doc, 2), "observed_pus", 1);
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_true(must(&s.items[0], "imbalance")->b == 1.5);
	assert_true(must(&s.items[0], "observed_pus")->b == 1);
	assert_contains(text, "the workers time-shared fewer PUs; a slow worker held the others");
	explain_set_free(&s);
	cJSON_Delete(doc);
}

/* Counters the machine could not open (null) give no evidence: it comes from rusage only.
 * The same report with counters measured shows them. */
static void test_null_counters_leave_rusage(void **state)
{
	static const char *const names[] = { "task_clock_s", "context_switches", "cpu_migrations",
					     "page_faults", "instructions", "cycles", "llc_misses" };
	cJSON *doc = pair_new((const double[]){ 0.2, 0.48, 65536, 2 },
			      (const double[]){ 0.1, 0.1, 65536, 2 });
	struct explain_set s;
	char text[4096];
	(void)state;

	for (int k = 0; k < 2; k++) {
		cJSON *c = cJSON_AddObjectToObject(run_at(doc, k + 1), "counters");
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			cJSON_AddNullToObject(c, names[i]);
		cJSON_AddStringToObject(run_at(doc, k + 1), "counters_unavailable",
					"hardware counters: no PMU in this VM (perf_event_open: ENOENT)");
		c = cJSON_AddObjectToObject(run_at(doc, k + 1), "counters_derived");
		cJSON_AddNullToObject(c, "ipc");
		cJSON_AddNullToObject(c, "ghz");
	}
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_true(s.items[0].nevidence >= 1);
	for (size_t i = 0; i < s.items[0].nevidence; i++)
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			assert_string_not_equal(s.items[0].evidence[i].name, names[j]);
	assert_null(evidence(&s.items[0], "ipc"));
	assert_non_null(evidence(&s.items[0], "sys_s"));
	assert_string_equal(s.items[0].clauses[0], "faults contend on one address space");
	explain_set_free(&s);

	/* measured: half the instructions per cycle and 3x the LLC misses on the slower */
	for (int k = 0; k < 2; k++) {
		cJSON *c = cJSON_GetObjectItem(run_at(doc, k + 1), "counters");
		cJSON_ReplaceItemInObject(c, "instructions", cJSON_CreateNumber(4e8));
		cJSON_ReplaceItemInObject(c, "cycles", cJSON_CreateNumber(k ? 2e8 : 4e8));
		cJSON_ReplaceItemInObject(c, "llc_misses", cJSON_CreateNumber(k ? 1e5 : 3e5));
	}
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_non_null(evidence(&s.items[0], "ipc"));
	assert_true(fabs(must(&s.items[0], "ipc")->a - 2.0) < 1e-9);
	assert_non_null(evidence(&s.items[0], "llc_misses"));
	assert_contains(text, "cache misses stalled its instructions");
	assert_lacks(text, "lower clock");
	explain_set_free(&s);

	/* the same LLC misses: a lower IPC alone is not said to be the cache's; the slower's
	 * cycles in the same task-clock time are a lower clock (1 GHz against 2) */
	for (int k = 0; k < 2; k++) {
		cJSON *c = cJSON_GetObjectItem(run_at(doc, k + 1), "counters");
		cJSON_ReplaceItemInObject(c, "llc_misses", cJSON_CreateNumber(1e5));
		cJSON_ReplaceItemInObject(c, "task_clock_s", cJSON_CreateNumber(k ? 0.1 : 0.4));
	}
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_null(evidence(&s.items[0], "llc_misses"));
	assert_true(fabs(must(&s.items[0], "ghz")->b - 1.0) < 1e-9);
	assert_lacks(text, "cache misses");
	assert_contains(text, "its PUs ran at a lower clock");
	explain_set_free(&s);
	cJSON_Delete(doc);
}

/* Only the largest worker count is compared; one executor there is compared with seq;
 * --run compares a run with seq and each other executor of its worker count. */
static void test_which_runs_are_compared(void **state)
{
	cJSON *runs[] = { run_new("thread", 1, 0.4, 0.1, 65536, 1),
			  run_new("fork", 1, 0.41, 0.1, 65536, 1),
			  run_new("thread", 4, 0.15, 0.1, 65536, 4),
			  run_new("fork", 4, 0.1, 0.1, 65536, 4),
			  run_new("shm", 4, 0.12, 0.1, 65536, 4) };
	cJSON *doc = report_new(runs, 5), *solo[] = { run_new("fork", 2, 0.2, 0.1, 65536, 2) };
	struct explain_set s;
	char text[4096];
	(void)state;

	explain_one(doc, -1, &s, text, sizeof(text));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.items[0].run_a, 4);       /* fork x4 */
	assert_int_equal(s.items[0].run_b, 3);       /* thread x4 */
	explain_set_free(&s);

	explain_one(doc, 5, &s, text, sizeof(text));  /* shm x4 */
	assert_int_equal(s.n, 3);
	assert_int_equal(s.items[0].run_b, 0);        /* seq, slower */
	assert_contains(text, "shm (4 workers) 3.33x faster than seq (1 worker)");
	assert_true(s.items[1].run_a == 5 && s.items[1].run_b == 3);   /* thread x4 */
	assert_true(s.items[2].run_a == 4 && s.items[2].run_b == 5);   /* fork x4 */
	explain_set_free(&s);

	assert_int_equal(explain_report(doc, 6, &s), -ERANGE);
	explain_set_free(&s);
	cJSON_Delete(doc);

	doc = report_new(solo, 1);
	explain_one(doc, -1, &s, text, sizeof(text));
	assert_int_equal(s.n, 1);
	assert_contains(text, "fork (2 workers) 2.00x faster than seq (1 worker)");
	explain_set_free(&s);
	cJSON_Delete(doc);
}

/* The JSON form holds the same finding as data. */
static void test_json_is_the_findings(void **state)
{
	cJSON *doc = pair_new((const double[]){ 0.2, 0.48, 65536, 2 },
			       (const double[]){ 0.1, 0.1, 65536, 2 }), *built, *j, *f, *e;
	struct explain_set s;
	char text[4096], *printed;
	(void)state;

	explain_one(doc, -1, &s, text, sizeof(text));
	built = explain_json(&s);
	assert_non_null(built);
	printed = cJSON_Print(built);      /* numbers are raw items until printed (jsonb.h) */
	assert_non_null(printed);
	j = cJSON_Parse(printed);
	assert_non_null(j);
	free(printed);
	cJSON_Delete(built);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	f = cJSON_GetArrayItem(j, 0);
	assert_string_equal(cJSON_GetObjectItem(f, "executor_a")->valuestring, "fork");
	assert_string_equal(cJSON_GetObjectItem(f, "executor_b")->valuestring, "thread");
	assert_true(fabs(cJSON_GetObjectItem(f, "ratio")->valuedouble - 2.0) < 1e-9);
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(f, "evidence"), 0);
	assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring, "sys_s");
	assert_true(fabs(cJSON_GetObjectItem(e, "b")->valuedouble - 0.48) < 1e-12);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "same"), "name")->valuestring,
			    "minflt");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(f, "clauses"), 0)->valuestring,
			    "faults contend on one address space");
	assert_string_equal(cJSON_GetObjectItem(f, "text")->valuestring, text);
	cJSON_Delete(j);
	explain_set_free(&s);
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sys_gap_same_faults_is_address_space),
		cmocka_unit_test(test_address_space_needs_its_pattern),
		cmocka_unit_test(test_fault_waits_need_their_pattern),
		cmocka_unit_test(test_equal_runs_are_within),
		cmocka_unit_test(test_fewer_pus_is_time_sharing),
		cmocka_unit_test(test_slow_worker_holds_the_others),
		cmocka_unit_test(test_imbalance_fields_come_first),
		cmocka_unit_test(test_null_counters_leave_rusage),
		cmocka_unit_test(test_which_runs_are_compared),
		cmocka_unit_test(test_json_is_the_findings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
