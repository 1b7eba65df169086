/* SPDX-License-Identifier: MIT */
/* Unit tests for the hidden-SMT detection of `cores --latency` (src/cmd/cores.c) on crafted
 * latency matrices: which pairs are reported, against which median, and the line printed. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cores.h"

#define MAXPU 16
#define MAXPAIRS (MAXPU * (MAXPU - 1) / 2)

/* A crafted matrix: every pair of n PUs, at lat(i, j) ns, sharing level(i, j). */
struct matrix {
	struct lat_pair p[MAXPAIRS];
	size_t n;
};

static void pair_add(struct matrix *m, int a, int b, double ns, const char *level, int same_core)
{
	struct lat_pair *p = &m->p[m->n++];
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->b = b;
	p->median = p->min = ns;
	snprintf(p->level, sizeof(p->level), "%s", level);
	p->same_core = same_core;
}

/* Every pair of n PUs at ns, sharing level, in the order cores measures them. */
static void matrix_uniform(struct matrix *m, int n, double ns, const char *level)
{
	m->n = 0;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			pair_add(m, i, j, ns, level, 0);
}

static struct lat_pair *pair_of(struct matrix *m, int a, int b)
{
	for (size_t k = 0; k < m->n; k++)
		if (m->p[k].a == a && m->p[k].b == b)
			return &m->p[k];
	fail();
	abort();   /* not reached: fail() ends the test */
}

static size_t find(const struct matrix *m, struct smt_like *out)
{
	size_t nout = 99;
	assert_int_equal(cores_smt_like_pairs(m->p, m->n, out, &nout), 0);
	return nout;
}

/* The 16-vCPU VM of the issue: PUs 2k and 2k+1 share a physical core hwloc does not show
 * (20 ns), every other pair 65-95 ns, all under one L3. Exactly the eight hidden pairs. */
static void test_hidden_pairs_on_a_vm(void **state)
{
	struct matrix m = { .n = 0 };
	struct smt_like out[MAXPAIRS];
	size_t n, k = 0;
	(void)state;
	for (int i = 0; i < 16; i++)
		for (int j = i + 1; j < 16; j++)
			pair_add(&m, i, j, j == i + 1 && i % 2 == 0 ? 20 + i * 0.1 : 65 + (i * 7 + j * 3) % 31,
				  "L3", 0);
	n = find(&m, out);
	assert_int_equal(n, 8);
	for (size_t q = 0; q < m.n; q++) {
		if (m.p[q].b != m.p[q].a + 1 || m.p[q].a % 2)
			continue;
		assert_int_equal(out[k].pair, q);   /* in the order of the pairs */
		assert_true(out[k].median_ns >= 65 && out[k].median_ns <= 95);
		k++;
	}
	assert_int_equal(k, 8);
}

/* Siblings hwloc knows of are expected to be fast: never reported, even when their level
 * is the same as the others' (same_core alone decides). */
static void test_known_siblings_not_reported(void **state)
{
	struct matrix m = { .n = 0 };
	struct smt_like out[8];
	(void)state;
	matrix_uniform(&m, 4, 80, "L3");
	for (int a = 0; a < 4; a += 2) {
		struct lat_pair *p = pair_of(&m, a, a + 1);
		p->median = 20;
		p->same_core = 1;
		snprintf(p->level, sizeof(p->level), "Core");
	}
	assert_int_equal(find(&m, out), 0);
	matrix_uniform(&m, 4, 80, "L3");
	pair_of(&m, 0, 1)->median = 20;
	pair_of(&m, 0, 1)->same_core = 1;
	assert_int_equal(find(&m, out), 0);
	pair_of(&m, 0, 1)->same_core = 0;   /* the same pair unknown to hwloc is reported */
	assert_int_equal(find(&m, out), 1);
}

/* Two L3 domains of three cores: pairs inside one at 30 ns, the nine across at 100 ns.
 * Against the median of all pairs (100) every inside pair would look like SMT; against
 * the pairs that share the same level none does. A hidden pair inside one domain (10 ns
 * among 30) still is. */
static void test_compared_within_a_level(void **state)
{
	struct matrix m = { .n = 0 };
	struct smt_like out[MAXPAIRS];
	(void)state;
	for (int i = 0; i < 6; i++)
		for (int j = i + 1; j < 6; j++)
			pair_add(&m, i, j, i / 3 == j / 3 ? 30 : 100, i / 3 == j / 3 ? "L3" : "Package",
				  0);
	assert_int_equal(find(&m, out), 0);
	pair_of(&m, 0, 1)->median = 10;
	assert_int_equal(find(&m, out), 1);
	assert_int_equal(out[0].pair, 0);
	assert_true(out[0].median_ns == 30);
}

/* Strictly below half the level's median: at half, nothing. One pair alone (a 2-PU
 * machine) is its own median and never reported; no pairs, nothing. */
static void test_threshold_and_small_matrices(void **state)
{
	struct matrix m = { .n = 0 };
	struct smt_like out[8];
	(void)state;
	matrix_uniform(&m, 4, 80, "L3");
	pair_of(&m, 0, 1)->median = 40;
	assert_int_equal(find(&m, out), 0);
	pair_of(&m, 0, 1)->median = 39.9;
	assert_int_equal(find(&m, out), 1);
	assert_true(out[0].median_ns == 80);
	m.n = 1;
	m.p[0].median = 0.001;
	assert_int_equal(find(&m, out), 0);
	m.n = 0;
	assert_int_equal(find(&m, out), 0);
}

static void test_line(void **state)
{
	struct matrix m = { .n = 0 };
	struct smt_like out[8];
	int pus[4] = { 0, 2, 5, 7 };   /* OS indexes: the pairs hold indexes into this list */
	char line[256];
	(void)state;
	matrix_uniform(&m, 4, 80, "L3");
	pair_of(&m, 1, 3)->median = 20.04;
	assert_int_equal(find(&m, out), 1);
	cores_smt_text(line, sizeof(line), m.p, pus, &out[0]);
	assert_string_equal(line, "PUs 2 and 7 behave like SMT siblings (20.0 ns against a median "
			    "of 80.0 ns for pairs sharing L3); hwloc places them on different cores");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_pairs_on_a_vm),
		cmocka_unit_test(test_known_siblings_not_reported),
		cmocka_unit_test(test_compared_within_a_level),
		cmocka_unit_test(test_threshold_and_small_matrices),
		cmocka_unit_test(test_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
