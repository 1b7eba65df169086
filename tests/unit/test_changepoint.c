/* SPDX-License-Identifier: MIT */
/* changepoint: the statistic against its definition summed pair by pair, a planted step
 * found where it was planted, flat series (seeded noise) with none, and bad arguments. */
#include "testutil.h"

#include <errno.h>
#include <math.h>

#include "base/util.h"
#include "measure/changepoint.h"

/* The definition, one pair at a time. */
static double naive_q(const double *x, size_t n, size_t tau)
{
	double b = 0, wl = 0, wr = 0, m = (double)tau, k = (double)(n - tau), e;
	for (size_t i = 0; i < tau; i++)
		for (size_t j = tau; j < n; j++)
			b += fabs(x[i] - x[j]);
	for (size_t i = 0; i < tau; i++)
		for (size_t j = i + 1; j < tau; j++)
			wl += fabs(x[i] - x[j]);
	for (size_t i = tau; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			wr += fabs(x[i] - x[j]);
	e = 2 * b / (m * k);
	if (tau >= 2)
		e -= wl / (m * (m - 1) / 2);
	if (n - tau >= 2)
		e -= wr / (k * (k - 1) / 2);
	return m * k / (double)n * e;
}

/* Noise in [-0.5, 0.5) from a fixed seed. */
static double noise(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return (double)(mix64(*s) >> 11) / 9007199254740992.0 - 0.5;
}

static void test_divergence_matches_definition(void **state)
{
	double x[23];
	uint64_t s = 7;
	(void)state;
	for (size_t i = 0; i < 23; i++)
		x[i] = (i < 9 ? 1.0 : 1.4) + 0.2 * noise(&s);
	for (size_t tau = 1; tau < 23; tau++)
		assert_float_equal(cp_divergence(x, 23, tau), naive_q(x, 23, tau), 1e-9);
	assert_true(isnan(cp_divergence(x, 23, 0)));
	assert_true(isnan(cp_divergence(x, 23, 23)));
}

/* 20 commits of 3 invocations; the level moves 20% up from commit 12 (index 33). */
static void test_planted_step_found_at_its_commit(void **state)
{
	double x[60];
	size_t cand[19], n = 0;
	struct cp_change ch[CP_MAX_CHANGES];
	uint64_t s = 11;
	(void)state;
	for (size_t i = 0; i < 60; i++)
		x[i] = (i < 33 ? 0.100 : 0.120) * (1 + 0.03 * noise(&s));
	for (size_t c = 1; c < 20; c++)
		cand[c - 1] = 3 * c;
	assert_int_equal(cp_search(x, 60, cand, 19, 0.01, cp_perms_for(0.01), 1, ch, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].at, 33);
	assert_true(ch[0].p < 0.01);
	assert_true(ch[0].stat > 0);
}

/* Two steps, down then up: both found, in index order. */
static void test_two_steps(void **state)
{
	double x[90];
	size_t cand[89], n = 0;
	struct cp_change ch[CP_MAX_CHANGES];
	uint64_t s = 5;
	(void)state;
	for (size_t i = 0; i < 90; i++)
		x[i] = (i < 30 ? 1.0 : i < 60 ? 0.7 : 1.2) * (1 + 0.02 * noise(&s));
	for (size_t i = 1; i < 90; i++)
		cand[i - 1] = i;
	assert_int_equal(cp_search(x, 90, cand, 89, 0.01, cp_perms_for(0.01), 3, ch, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ch[0].at, 30);
	assert_int_equal(ch[1].at, 60);
}

/* A change may fall only at a candidate: with commits of 4, a step inside commit 5 (index
 * 18) is reported at a commit boundary next to it. */
static void test_candidates_only(void **state)
{
	double x[40];
	size_t cand[9], n = 0;
	struct cp_change ch[CP_MAX_CHANGES];
	(void)state;
	for (size_t i = 0; i < 40; i++)
		x[i] = i < 18 ? 1.0 : 2.0;
	for (size_t c = 1; c < 10; c++)
		cand[c - 1] = 4 * c;
	assert_int_equal(cp_search(x, 40, cand, 9, 0.01, cp_perms_for(0.01), 1, ch, &n), 0);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ch[i].at % 4, 0);
}

/* Flat series from 20 seeds: none finds a change at alpha 0.01 (each would with
 * probability about 0.01; the seeds are fixed, so this is deterministic). */
static void test_flat_series_none(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		double x[60];
		size_t cand[59], n = 99;
		struct cp_change ch[CP_MAX_CHANGES];
		uint64_t s = seed * 1000;
		for (size_t i = 0; i < 60; i++)
			x[i] = 0.1 * (1 + 0.05 * noise(&s));
		for (size_t i = 1; i < 60; i++)
			cand[i - 1] = i;
		assert_int_equal(cp_search(x, 60, cand, 59, 0.01, cp_perms_for(0.01), seed, ch, &n),
				 0);
		assert_int_equal(n, 0);
	}
}

/* The same input and seed: the same answer. */
static void test_deterministic(void **state)
{
	double x[30];
	size_t cand[29], n1 = 0, n2 = 0;
	struct cp_change a[CP_MAX_CHANGES], b[CP_MAX_CHANGES];
	uint64_t s = 9;
	(void)state;
	for (size_t i = 0; i < 30; i++)
		x[i] = (i < 15 ? 1.0 : 1.1) + 0.1 * noise(&s);
	for (size_t i = 1; i < 30; i++)
		cand[i - 1] = i;
	assert_int_equal(cp_search(x, 30, cand, 29, 0.05, 199, 42, a, &n1), 0);
	assert_int_equal(cp_search(x, 30, cand, 29, 0.05, 199, 42, b, &n2), 0);
	assert_int_equal(n1, n2);
	for (size_t i = 0; i < n1; i++) {
		assert_int_equal(a[i].at, b[i].at);
		assert_float_equal(a[i].p, b[i].p, 0);
	}
}

static void test_bad_arguments(void **state)
{
	double x[8] = { 1, 1, 1, 1, 2, 2, 2, 2 }, inf[4] = { 1, INFINITY, 1, 1 };
	size_t cand[2] = { 4, 2 }, good[1] = { 4 }, n;
	struct cp_change ch[CP_MAX_CHANGES];
	(void)state;
	assert_int_equal(cp_search(x, 8, cand, 2, 0.01, 199, 1, ch, &n), -EINVAL);
	assert_int_equal(cp_search(x, 8, good, 1, 0, 199, 1, ch, &n), -EINVAL);
	assert_int_equal(cp_search(x, 8, good, 1, 1, 199, 1, ch, &n), -EINVAL);
	assert_int_equal(cp_search(inf, 4, good, 1, 0.01, 199, 1, ch, &n), -EINVAL);
	assert_int_equal(cp_search(x, CP_MAX_OBS + 1, good, 1, 0.01, 199, 1, ch, &n), -EINVAL);
	/* too short to split: no change, no error */
	assert_int_equal(cp_search(x, 3, good, 0, 0.01, 199, 1, ch, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(cp_perms_for(0.01), 999);
	assert_int_equal(cp_perms_for(0.5), 199);
	assert_int_equal(cp_perms_for(0.0001), 9999);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_divergence_matches_definition),
		cmocka_unit_test(test_planted_step_found_at_its_commit),
		cmocka_unit_test(test_two_steps),
		cmocka_unit_test(test_candidates_only),
		cmocka_unit_test(test_flat_series_none),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
