/* SPDX-License-Identifier: MIT */
/* Unit tests of the regression gate's statistics: Student's t (src/measure/stats.c) against
 * printed tables and closed forms, the permutation test against splits counted by hand,
 * and compare's power and invocation counts (src/report/compare.c) against values worked
 * out here from table quantiles. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "measure/stats.h"
#include "report/compare.h"

#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* Quantiles from a printed t table (3 decimals), and the CDF's closed forms: df 1 is
 * Cauchy, 1/2 + atan(t)/pi; df 2 is 1/2 + t / (2 sqrt(t^2 + 2)). */
static void test_t_tables_and_closed_forms(void **state)
{
	static const struct { double p, df, q; } table[] = {
		{ 0.975, 1, 12.706 }, { 0.975, 8, 2.306 }, { 0.995, 4, 4.604 }, { 0.9, 8, 1.397 },
		{ 0.95, 10, 1.812 }, { 0.999, 5, 5.893 }, { 0.995, 18, 2.878 }, { 0.9, 18, 1.330 },
		{ 0.995, 16, 2.921 }, { 0.9, 16, 1.337 }, { 0.9995, 8, 5.041 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++) {
		assert_near(stats_t_quantile(table[i].p, table[i].df), table[i].q, 0.0006);
		assert_near(stats_t_quantile(1 - table[i].p, table[i].df), -table[i].q, 0.0006);
	}
	for (double t = -6; t <= 6; t += 0.75) {
		assert_near(stats_t_cdf(t, 1), 0.5 + atan(t) / M_PI, 1e-12);
		assert_near(stats_t_cdf(t, 2), 0.5 + t / (2 * sqrt(t * t + 2)), 1e-12);
	}
	assert_near(stats_t_cdf(0, 7), 0.5, 1e-15);
	assert_near(stats_t_quantile(0.975, 1e7), 1.959964, 1e-5);   /* the normal's */
	assert_true(isnan(stats_t_cdf(1, 0)));
	assert_true(isnan(stats_t_quantile(0, 5)));
	assert_true(isnan(stats_t_quantile(1, 5)));
}

/* x = 1, 2, 3 and y = 4, 5, 6: means 2 and 5, pooled SD 1, se sqrt(2/3), t = 3 /
 * sqrt(2/3) = 3.674, df 4. */
static void test_student_t_by_hand(void **state)
{
	const double x[3] = { 1, 2, 3 }, y[3] = { 4, 5, 6 }, z[2] = { 2, 2 };
	struct stats_ttest t;

	(void)state;
	assert_int_equal(stats_student_t(x, 3, y, 3, &t), 0);
	assert_near(t.diff, 3, 1e-12);
	assert_near(t.sd, 1, 1e-12);
	assert_near(t.se, sqrt(2.0 / 3), 1e-12);
	assert_near(t.t, 3 / sqrt(2.0 / 3), 1e-12);
	assert_near(t.df, 4, 0);
	/* t_0.99,4 = 3.747 > 3.674 > t_0.975,4 = 2.776: 0.02 < p < 0.05 */
	assert_true(t.p > 0.02 && t.p < 0.05);
	assert_int_equal(stats_student_t(z, 2, z, 2, &t), 0);
	assert_near(t.p, 1, 0);
	assert_int_equal(stats_student_t(x, 1, y, 3, &t), -EINVAL);
}

/* Six values split 3 and 3: C(6, 3) = 20 splits. 1, 2, 3 against 4, 5, 6 is the most
 * extreme and its mirror the other: p = 2/20. Equal sides: every split is at least as
 * extreme as a difference of 0: p = 1. */
static void test_permutation_exact_by_hand(void **state)
{
	const double x[3] = { 1, 2, 3 }, y[3] = { 4, 5, 6 }, w[3] = { 1, 2, 4 }, v[3] = { 3, 5, 6 };
	struct stats_perm p;

	(void)state;
	assert_int_equal(stats_perm_test(x, 3, y, 3, 1000, 0, 1, &p), 0);
	assert_true(p.exact);
	assert_near(p.splits, 20, 0);
	assert_near(p.p, 0.1, 1e-15);
	assert_int_equal(stats_perm_test(y, 3, x, 3, 1000, 0, 1, &p), 0);
	assert_near(p.p, 0.1, 1e-15);
	/* 1, 2, 4 against 3, 5, 6: difference 7/3; as extreme: sums 6 and 7 on one side and
	 * their mirrors (sums 15 and 14): 4 of 20 */
	assert_int_equal(stats_perm_test(w, 3, v, 3, 1000, 0, 1, &p), 0);
	assert_near(p.p, 0.2, 1e-15);
	assert_int_equal(stats_perm_test(x, 3, x, 3, 1000, 0, 1, &p), 0);
	assert_near(p.p, 1, 1e-15);
	/* random splits: (1 + hits) / (1 + nperm) near 0.1, the same on every run */
	assert_int_equal(stats_perm_test(x, 3, y, 3, 0, 9999, 7, &p), 0);
	assert_false(p.exact);
	assert_true(p.p > 0.09 && p.p < 0.11);
	assert_int_equal(stats_perm_test(x, 0, y, 3, 1000, 0, 1, &p), -EINVAL);
	assert_near(stats_perm_min_p(5, 5, 1000, 0), 2.0 / 252, 1e-15);
	assert_near(stats_perm_min_p(5, 4, 1000, 0), 1.0 / 126, 1e-15);
	assert_near(stats_perm_min_p(30, 30, 1000, 999), 1.0 / 1000, 1e-15);
	assert_near(stats_perm_min_p(1, 1, 1000, 0), 1, 0);
}

/* The power and the count from table quantiles: sd 0.05, 10 a side, alpha 0.01: (2.878 +
 * 1.330) * 0.05 * sqrt(2/10) = 0.09410, a change of expm1 = 9.87%; 9 a side: (2.921 +
 * 1.337) * 0.05 * sqrt(2/9) = 0.10037, 10.56%: 10 is the least that detects 10%. */
static void test_power_and_count_from_tables(void **state)
{
	(void)state;
	assert_near(compare_detectable(0.05, 10, 10, 0.01), expm1(4.208 * 0.05 * sqrt(0.2)), 2e-4);
	assert_near(compare_detectable(0.05, 9, 9, 0.01), expm1(4.258 * 0.05 * sqrt(2.0 / 9)), 2e-4);
	assert_int_equal(compare_invocations_needed(0.05, 0.01, 0.10, 30), 10);
	assert_int_equal(compare_invocations_needed(0.05, 0.01, 0.10, 9), 0);   /* the budget */
	assert_int_equal(compare_invocations_needed(1.0, 0.01, 0.10, 30), 0);   /* impossible */
	/* 4 a side: the permutation test's best p is 2/70 > 0.01: nothing is detected */
	assert_true(isinf(compare_detectable(0.001, 4, 4, 0.01)));
	assert_true(isnan(compare_detectable(0.05, 1, 5, 0.01)));
	/* noise alone: 2.878 * 0.05 * sqrt(0.2) = 0.06436, expm1 6.65% */
	assert_near(compare_noise_floor(0.05, 10, 10, 0.01), expm1(2.878 * 0.05 * sqrt(0.2)), 2e-4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t_tables_and_closed_forms),
		cmocka_unit_test(test_student_t_by_hand),
		cmocka_unit_test(test_permutation_exact_by_hand),
		cmocka_unit_test(test_power_and_count_from_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
