/* SPDX-License-Identifier: MIT */
/* Unit tests of the warning records (src/measure/derive.c): the table of codes, and the
 * record each of derive_run_warnings' checks adds: its code, severity, run index and text. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/registry.h"
#include "measure/derive.h"
#include "measure/run.h"

#define NRUNS 3

/* A run that raises no warning: ten equal samples of 10 ms, an interval, no skew. */
static void quiet_run(struct run_result *r, const struct executor *ex, unsigned workers)
{
	memset(r, 0, sizeof(*r));
	r->wl = &workload_cpu;
	r->ex = ex;
	r->workers = workers;
	r->nsamples = 10;
	r->skews = calloc(r->nsamples, sizeof(*r->skews));
	assert_non_null(r->skews);
	r->st.median = 0.01;
	r->st.has_ci = 1;
	r->stop_reason = "fixed";
}

/* runs[0] quiet; runs[1] with every warning but outliers and a short region; runs[2]
 * with those two. On 2 processing units. */
static void derive_all(struct run_set *rs)
{
	struct run_result *r;

	memset(rs, 0, sizeof(*rs));
	rs->runs = calloc(NRUNS, sizeof(*rs->runs));
	assert_non_null(rs->runs);
	rs->n = rs->cap = NRUNS;
	quiet_run(&rs->runs[0], &executor_seq, 1);
	r = &rs->runs[1];
	quiet_run(r, &executor_thread, 3);
	r->st.cv = 0.072;
	r->first_slow = 1;
	r->noutliers = 1;                /* the slow first sample: reported as that alone */
	for (unsigned i = 0; i < r->nsamples; i++)
		r->skews[i] = 0.001;         /* 10% of the median */
	r->binding_error = strdup("worker 0 could not be bound to PU 1: Invalid argument");
	assert_non_null(r->binding_error);
	r->strayed = 2;
	r->st.has_ci = 0;
	r->stop_reason = "max-time";
	r = &rs->runs[2];
	quiet_run(r, &executor_fork, 2);
	r->noutliers = 2;
	r->st.median = 0.0005;
	for (size_t i = 0; i < NRUNS; i++)
		derive_run_warnings(&rs->warnings, &rs->runs[i], (long)i, 2);
}

static void test_codes_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < WARN_NCODES; i++) {
		const struct warn_kind *k = &derive_warn_kinds[i];
		assert_non_null(k->code);
		assert_non_null(k->meaning);
		assert_true(k->meaning[0] != 0);
		/* a short identifier, as the loader requires of a report's codes */
		assert_true(strlen(k->code) >= 1 && strlen(k->code) <= 32);
		assert_true(k->code[0] >= 'a' && k->code[0] <= 'z');
		assert_int_equal(strspn(k->code, "abcdefghijklmnopqrstuvwxyz0123456789-"),
				 strlen(k->code));
		assert_true(k->severity == WARN_INFO || k->severity == WARN_WARNING);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(k->code, derive_warn_kinds[j].code);
	}
	assert_string_equal(derive_warn_severity_name(WARN_INFO), "info");
	assert_string_equal(derive_warn_severity_name(WARN_WARNING), "warning");
	/* what compare notes must stay a warning */
	assert_int_equal(derive_warn_kinds[WARN_NOISY].severity, WARN_WARNING);
	assert_int_equal(derive_warn_kinds[WARN_STRAYED].severity, WARN_WARNING);
	assert_int_equal(derive_warn_kinds[WARN_BINDING_FAILED].severity, WARN_WARNING);
}

static void test_run_records(void **state)
{
	static const struct {
		long run;
		const char *code, *severity, *text;
	} want[] = {
		{ 1, "noisy", "warning", "cpu on thread with 3 workers: coefficient of variation "
		  "7.2% is over 5%; quiet the machine or add --repetitions" },
		{ 1, "first-sample-slow", "warning", "cpu on thread with 3 workers: the first kept "
		  "sample is a slow outlier; raise --warmup" },
		{ 1, "start-skew", "warning", "cpu on thread with 3 workers: start skew 0.001 s is "
		  "over 1% of the sample; the machine may be busy" },
		{ 1, "oversubscribed", "info", "cpu on thread with 3 workers: 3 workers on 2 "
		  "processing units time-share; expect no gain from the extra workers for cpu work" },
		{ 1, "binding-failed", "warning", "cpu on thread with 3 workers: worker 0 could not "
		  "be bound to PU 1: Invalid argument; its samples ran unbound there" },
		{ 1, "strayed", "warning", "cpu on thread with 3 workers: a bound worker ran off its "
		  "planned processing unit in 2 of 10 samples; the binding did not hold" },
		{ 1, "no-interval", "info", "cpu on thread with 3 workers: 10 samples give no 95% "
		  "interval of the median; use --repetitions 6 or more" },
		{ 1, "max-time", "warning", "cpu on thread with 3 workers: --repetitions auto stopped "
		  "at --max-time before reaching --precision; raise --max-time" },
		{ 2, "outliers", "info", "cpu on fork with 2 workers: 2 outlier samples (kept in the "
		  "statistics); look for background activity" },
		{ 2, "short-region", "warning", "cpu on fork with 2 workers: timed region 0.0005 s is "
		  "under 1 ms; raise --size" },
	};
	struct run_set rs;
	(void)state;

	derive_all(&rs);
	assert_int_equal(rs.warnings.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < rs.warnings.n; i++) {
		const struct run_warning *w = &rs.warnings.items[i];
		const struct warn_kind *k = &derive_warn_kinds[w->code];
		assert_int_equal(w->run, want[i].run);
		assert_string_equal(k->code, want[i].code);
		assert_string_equal(derive_warn_severity_name(k->severity), want[i].severity);
		assert_string_equal(w->text, want[i].text);
	}
	run_set_free(&rs);
}

/* Host-wide warnings have no run; each record keeps its own text. */
static void test_host_record(void **state)
{
	struct run_set rs = { 0 };
	(void)state;

	warning_add(&rs.warnings, WARN_STEAL, -1, "steal time was %.1f%% of CPU time", 2.5);
	warning_add(&rs.warnings, WARN_GOVERNOR, -1, "governor '%s'", "powersave");
	assert_int_equal(rs.warnings.n, 2);
	assert_int_equal(rs.warnings.items[0].code, WARN_STEAL);
	assert_int_equal(rs.warnings.items[0].run, -1);
	assert_string_equal(rs.warnings.items[0].text, "steal time was 2.5% of CPU time");
	assert_int_equal(rs.warnings.items[1].code, WARN_GOVERNOR);
	assert_string_equal(derive_warn_kinds[rs.warnings.items[1].code].code, "governor");
	assert_string_equal(rs.warnings.items[1].text, "governor 'powersave'");
	run_set_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_table),
		cmocka_unit_test(test_run_records),
		cmocka_unit_test(test_host_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
