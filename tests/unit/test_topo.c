/* SPDX-License-Identifier: MIT */
/* Unit tests for src/topo/topo.c (loading, binding policies and plans, binding) and the text
 * rendering of src/topo/topoprint.c.
 *
 * Plans are checked on synthetic topologies (two packages with SMT, several NUMA nodes, a
 * single core, 64 PUs) and on the XML fixtures in tests/fixtures (taken from hwloc's own
 * test suite). Every expected PU list was derived
 * independently with hwloc's tools (Debian package hwloc 2.9), never from this code:
 *   compact  hwloc-calc --input T --physical-output -I pu core:0-(C-1).pu:0, then .pu:1
 *   smt      hwloc-calc --input T --physical-output -I pu all
 *   scatter  hwloc-distrib --input T --single N | xargs -n1 hwloc-calc --input T
 *            --physical-output -I pu
 *   cpuset   hwloc-calc --input T --physical-output -I pu HEXCPUSET (topology order)
 *   places   hwloc-calc --input T -I core|package|numa --physical-input pu:N
 * Binding is checked for real on this machine: bind the calling thread (and a forked
 * process) with a plan and look at sched_getcpu().
 *
 * Golden outputs: tests/fixtures/NAME.topo.txt is `concbench topo --topology NAME.xml`
 * without its first line (which names the file and hwloc's version). CB_UPDATE_GOLDEN=1
 * rewrites them; review the diff before committing. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cmd/options.h"
#include "core/worker.h"
#include "topo/topo.h"
#include "topo/topoprint.h"

#define TWO_PKG_SMT "synthetic:pack:2 core:4 pu:2"
#define NUMA4 "synthetic:pack:2 numa:2 core:2 pu:2"
#define ONE_CORE "synthetic:core:1 pu:1"
#define PU64 "synthetic:pack:4 core:8 pu:2"
#define PLAN_MAX 128     /* the most workers a test plans for */

/* ---- helpers ---- */

static char fixture_dir[4096];

static const char *fixture(const char *name)
{
	static char path[4096 + 256];
	if (!fixture_dir[0]) {
		const char *env = getenv("CB_FIXTURES");
		struct stat st;
		if (env && *env)
			cb_fmt(fixture_dir, sizeof(fixture_dir), "%s", env);
		else if (stat("tests/fixtures", &st) == 0 && S_ISDIR(st.st_mode))
			cb_fmt(fixture_dir, sizeof(fixture_dir), "tests/fixtures");
		else {
			char here[4096];
			cb_fmt(here, sizeof(here), "%s", __FILE__);
			cb_fmt(fixture_dir, sizeof(fixture_dir), "%s/../fixtures", dirname(here));
		}
	}
	cb_fmt(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static void load(const char *spec)
{
	int rc = topo_load_spec(spec);
	if (rc < 0)
		fail_msg("cannot load '%s': %s", spec ? spec : "this machine", topo_load_error());
	assert_int_equal(topo_is_this_system(), spec == NULL);
}

static void load_fixture(const char *name)
{
	load(fixture(name));
}

/* The affinity mask the tests started with: restored after every test, so that a failed
 * binding test cannot leave the next ones pinned. */
static cpu_set_t start_mask;

static int teardown(void **state)
{
	(void)state;
	topo_release();
	sched_setaffinity(0, sizeof(start_mask), &start_mask);
	return 0;
}

/* A plan into the caller's array writes its n entries and nothing past them. */
static void expect_plan(enum bind_policy p, unsigned n, const int *want, const char *what)
{
	int got[PLAN_MAX + 1];
	int rc;
	assert_true(n <= PLAN_MAX);
	got[n] = 12345;
	rc = topo_plan(p, n, got);
	if (rc < 0)
		fail_msg("%s: topo_plan(%s, %u) = %d", what, bind_policy_name(p), n, rc);
	for (unsigned k = 0; k < n; k++)
		if (got[k] != want[k])
			fail_msg("%s: --bind %s with %u workers: worker %u on PU %d, expected %d",
				 what, bind_policy_name(p), n, k, got[k], want[k]);
	assert_int_equal(got[n], 12345);
}

/* topo_plan's return value for n workers (the plan itself is dropped). */
static int plan_rc(enum bind_policy p, unsigned n)
{
	int got[PLAN_MAX];
	assert_true(n <= PLAN_MAX);
	return topo_plan(p, n, got);
}

/* The plan of exactly the listed PUs, one worker each. */
#define PLAN(p, ...)                                                                    \
	do {                                                                            \
		static const int want_[] = { __VA_ARGS__ };                             \
		expect_plan((p), ARRAY_SIZE(want_), want_, #p " " #__VA_ARGS__);        \
	} while (0)

/* Every prefix of a policy's full order: compact, smt and cpuset plans for n workers take
 * the first n PUs of the order (scatter does not: each n is spread anew). */
static void expect_prefixes(enum bind_policy p, const int *order, unsigned n)
{
	for (unsigned k = 1; k <= n; k++)
		expect_plan(p, k, order, bind_policy_name(p));
}

static enum bind_policy parse_ok(const char *s)
{
	enum bind_policy p = BIND_NONE;
	int rc = bind_policy_parse(s, &p);
	if (rc < 0)
		fail_msg("bind_policy_parse('%s') = %d: %s", s, rc, bind_policy_error());
	return p;
}

static int parse_rc(const char *s)
{
	enum bind_policy p = BIND_NONE;
	return bind_policy_parse(s, &p);
}

static void expect_place(int pu, int core, int package, int numa)
{
	struct topo_place pl;
	assert_int_equal(topo_pu_place(pu, &pl), 0);
	assert_int_equal(pl.pu, pu);
	assert_int_equal(pl.core, core);
	assert_int_equal(pl.package, package);
	assert_int_equal(pl.numa, numa);
}

/* ---- plans on synthetic topologies ---- */

static void test_two_packages_smt(void **state)
{
	static const int compact[] = { 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15 };
	static const int smt[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	(void)state;
	load(TWO_PKG_SMT);
	assert_int_equal(topo_pus(), 16);
	assert_int_equal(topo_cores(), 8);
	expect_prefixes(BIND_COMPACT, compact, 16);
	expect_prefixes(BIND_SMT, smt, 16);
	PLAN(BIND_SCATTER, 0);
	PLAN(BIND_SCATTER, 0, 8);
	PLAN(BIND_SCATTER, 0, 4, 8);
	PLAN(BIND_SCATTER, 0, 4, 8, 12);
	PLAN(BIND_SCATTER, 0, 2, 4, 8, 12);
	PLAN(BIND_SCATTER, 0, 2, 4, 6, 8, 10, 12, 14);
	PLAN(BIND_SCATTER, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	/* An explicit cpuset: its PUs in topology order, as many as there are workers. */
	assert_int_equal(parse_ok("3-5,9"), BIND_CPUSET);
	assert_string_equal(bind_policy_name(BIND_CPUSET), "3-5,9");
	assert_int_equal(bind_policy_capacity(BIND_CPUSET), 4);
	PLAN(BIND_CPUSET, 3, 4, 5, 9);
	PLAN(BIND_CPUSET, 3, 4);
	assert_int_equal(parse_ok("0x00000300"), BIND_CPUSET);     /* hwloc's hex syntax */
	assert_string_equal(bind_policy_name(BIND_CPUSET), "8-9");
	PLAN(BIND_CPUSET, 8, 9);
	/* More workers than PUs: an error for every policy but none. */
	assert_int_equal(plan_rc(BIND_COMPACT, 17), -ERANGE);
	assert_int_equal(plan_rc(BIND_SCATTER, 17), -ERANGE);
	assert_int_equal(plan_rc(BIND_SMT, 17), -ERANGE);
	assert_int_equal(plan_rc(BIND_CPUSET, 3), -ERANGE);
	{
		/* none: every worker unbound; a failed plan leaves no half plan. */
		int got[PLAN_MAX];
		assert_int_equal(topo_plan(BIND_NONE, 100, got), 0);
		for (unsigned k = 0; k < 100; k++)
			assert_int_equal(got[k], -1);
		got[0] = 7;
		assert_int_equal(topo_plan(BIND_COMPACT, 17, got), -ERANGE);
		assert_int_equal(got[0], -1);
	}
	expect_place(0, 0, 0, 0);
	expect_place(13, 6, 1, 0);
	/* Nothing binds on a topology that is not this machine's. */
	{
		int got[2];
		assert_int_equal(topo_plan(BIND_COMPACT, 2, got), 0);
		assert_int_equal(worker_bind(1, got[1]), 0);
		assert_int_equal(topo_bind_pu(1, 0), -EXDEV);
	}
}

static void test_several_numa_nodes(void **state)
{
	static const int compact[] = { 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15 };
	(void)state;
	load(NUMA4);
	assert_int_equal(topo_numa_nodes(), 4);
	expect_prefixes(BIND_COMPACT, compact, 16);
	/* Packages first, then NUMA nodes within them. */
	PLAN(BIND_SCATTER, 0, 8);
	PLAN(BIND_SCATTER, 0, 4, 8);
	PLAN(BIND_SCATTER, 0, 4, 8, 12);
	PLAN(BIND_SCATTER, 0, 2, 4, 8, 12);
	PLAN(BIND_SCATTER, 0, 2, 4, 6, 8, 10, 12, 14);
	expect_place(5, 2, 0, 1);
	expect_place(12, 6, 1, 3);
	{
		struct topo_place pl;
		int got[4];
		assert_int_equal(topo_plan(BIND_SCATTER, 4, got), 0);
		assert_int_equal(topo_pu_place(got[3], &pl), 0);
		assert_int_equal(pl.pu, 12);
		assert_int_equal(pl.numa, 3);
		assert_int_equal(pl.package, 1);
		assert_int_equal(topo_pu_place(-1, &pl), -ENOENT);
		assert_int_equal(pl.pu, -1);
	}
}

static void test_single_core(void **state)
{
	(void)state;
	load(ONE_CORE);
	assert_int_equal(topo_pus(), 1);
	PLAN(BIND_COMPACT, 0);
	PLAN(BIND_SCATTER, 0);
	PLAN(BIND_SMT, 0);
	assert_int_equal(parse_ok("0"), BIND_CPUSET);
	PLAN(BIND_CPUSET, 0);
	assert_int_equal(plan_rc(BIND_COMPACT, 2), -ERANGE);
	assert_int_equal(plan_rc(BIND_SCATTER, 2), -ERANGE);
	assert_int_equal(plan_rc(BIND_SMT, 2), -ERANGE);
	assert_int_equal(plan_rc(BIND_CPUSET, 2), -ERANGE);
	assert_int_equal(parse_rc("1"), -ENOENT);
}

static void test_64_pus(void **state)
{
	int compact[64], smt[64];
	(void)state;
	load(PU64);
	assert_int_equal(topo_pus(), 64);
	/* pack:4 core:8 pu:2 numbers PUs in order: core c holds PUs 2c and 2c+1. */
	for (int c = 0; c < 32; c++) {
		compact[c] = 2 * c;
		compact[32 + c] = 2 * c + 1;
	}
	for (int i = 0; i < 64; i++)
		smt[i] = i;
	expect_prefixes(BIND_COMPACT, compact, 64);
	expect_prefixes(BIND_SMT, smt, 64);
	PLAN(BIND_SCATTER, 0, 32);
	PLAN(BIND_SCATTER, 0, 16, 32);
	PLAN(BIND_SCATTER, 0, 16, 32, 48);
	PLAN(BIND_SCATTER, 0, 8, 16, 32, 48);
	PLAN(BIND_SCATTER, 0, 8, 16, 24, 32, 40, 48, 56);
	expect_plan(BIND_SCATTER, 64, smt, "scatter 64");
}

/* ---- plans on the XML fixtures ---- */

static void test_xml_2pkg_2numa_smt(void **state)
{
	/* Package 0 holds the even OS indexes; a core's siblings are P#n and P#n+12. */
	static const int compact[] = { 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11,
				       12, 14, 16, 18, 20, 22, 13, 15, 17, 19, 21, 23 };
	static const int smt[] = { 0, 12, 2, 14, 4, 16, 6, 18, 8, 20, 10, 22,
				   1, 13, 3, 15, 5, 17, 7, 19, 9, 21, 11, 23 };
	(void)state;
	load_fixture("2pkg-2numa-6core-smt2.xml");
	assert_int_equal(topo_pus(), 24);
	assert_int_equal(topo_cores(), 12);
	assert_int_equal(topo_numa_nodes(), 2);
	expect_prefixes(BIND_COMPACT, compact, 24);
	expect_prefixes(BIND_SMT, smt, 24);
	PLAN(BIND_SCATTER, 0);
	PLAN(BIND_SCATTER, 0, 1);
	PLAN(BIND_SCATTER, 0, 6, 1);
	PLAN(BIND_SCATTER, 0, 6, 1, 7);
	PLAN(BIND_SCATTER, 0, 4, 8, 1, 7);
	PLAN(BIND_SCATTER, 0, 2, 6, 8, 1, 3, 7, 9);
	expect_plan(BIND_SCATTER, 24, smt, "scatter 24");
	parse_ok("0-3,12");
	PLAN(BIND_CPUSET, 0, 12, 2, 1, 3);
	expect_place(7, 9, 1, 1);
	expect_place(12, 0, 0, 0);
	assert_int_equal(parse_rc("0-24"), -ENOENT);
}

static void test_xml_4pkg_smt(void **state)
{
	/* Packages hold P#0,4,8,12 / P#1,5,9,13 / ...; one NUMA node. */
	static const int compact[] = { 0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15 };
	static const int smt[] = { 0, 8, 4, 12, 1, 9, 5, 13, 2, 10, 6, 14, 3, 11, 7, 15 };
	(void)state;
	load_fixture("4pkg-2core-smt2.xml");
	assert_int_equal(topo_pus(), 16);
	expect_prefixes(BIND_COMPACT, compact, 16);
	expect_prefixes(BIND_SMT, smt, 16);
	PLAN(BIND_SCATTER, 0, 2);
	PLAN(BIND_SCATTER, 0, 1, 2);
	PLAN(BIND_SCATTER, 0, 1, 2, 3);
	PLAN(BIND_SCATTER, 0, 4, 1, 2, 3);
	PLAN(BIND_SCATTER, 0, 4, 1, 5, 2, 6, 3, 7);
	expect_plan(BIND_SCATTER, 16, smt, "scatter 16");
	parse_ok("8-11");
	PLAN(BIND_CPUSET, 8, 9, 10, 11);
	expect_place(9, 2, 1, 0);
}

static void test_xml_cpukinds(void **state)
{
	struct topo_place pl;
	(void)state;
	load_fixture("1pkg-2core-smt2-cpukinds.xml");
	assert_int_equal(topo_pus(), 4);
	PLAN(BIND_COMPACT, 0, 1, 2, 3);
	PLAN(BIND_SMT, 0, 2, 1, 3);
	PLAN(BIND_SCATTER, 0, 1);
	PLAN(BIND_SCATTER, 0, 2, 1);
	PLAN(BIND_SCATTER, 0, 2, 1, 3);
	parse_ok("0xc");
	PLAN(BIND_CPUSET, 2, 3);
	/* Kinds cut across cores: P#0-1 kind 0, P#2 kind 1, P#3 kind 2 (lstopo --cpukinds). */
	assert_int_equal(topo_pu_place(1, &pl), 0);
	assert_int_equal(pl.kind, 0);
	assert_int_equal(pl.core, 1);
	assert_int_equal(topo_pu_place(2, &pl), 0);
	assert_int_equal(pl.kind, 1);
	assert_int_equal(pl.core, 0);
	assert_int_equal(topo_pu_place(3, &pl), 0);
	assert_int_equal(pl.kind, 2);
	assert_int_equal(topo_pu_place(4, &pl), -ENOENT);
}

/* ---- binding for real ---- */

static void test_bind_this_machine(void **state)
{
	cpu_set_t saved;
	int pus[CPU_SETSIZE], plan[CPU_SETSIZE];
	unsigned n;
	(void)state;

	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	load(NULL);
	n = topo_allowed_pus(pus, CPU_SETSIZE);
	assert_true(n >= 1);
	/* The plan for PU 1 when we may use it (else the last allowed PU), thread binding. */
	{
		int target = topo_pu_allowed(1) ? 1 : pus[n - 1];
		char spec[16];
		cb_fmt(spec, sizeof(spec), "%d", target);
		assert_int_equal(parse_ok(spec), BIND_CPUSET);
		assert_int_equal(topo_plan(BIND_CPUSET, 1, plan), 0);
		assert_int_equal(plan[0], target);
		assert_int_equal(worker_bind(0, plan[0]), 0);
		assert_int_equal(sched_getcpu(), target);
	}
	/* Every worker of a compact plan over all allowed PUs, in turn. */
	assert_int_equal(topo_plan(BIND_COMPACT, n, plan), 0);
	for (unsigned k = 0; k < n; k++) {
		assert_int_equal(worker_bind(k, plan[k]), 0);
		assert_int_equal(sched_getcpu(), plan[k]);
	}
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(topo_plan_single(pus[i], plan), 0);
		assert_int_equal(worker_bind(0, plan[0]), 0);
		assert_int_equal(sched_getcpu(), pus[i]);
	}
	/* Process binding, in a child so that this process keeps its mask. */
	{
		pid_t pid = fork();
		int st = 0;
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(topo_bind_pu(pus[n - 1], 1) == 0 && sched_getcpu() == pus[n - 1] ? 0 : 1);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(topo_plan(BIND_NONE, 1, plan), 0);
	assert_int_equal(worker_bind(0, plan[0]), 0);    /* none: no-op */
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

/* A cpuset naming a PU outside our affinity mask is refused when it is parsed. */
static void test_bind_not_allowed(void **state)
{
	cpu_set_t saved, one;
	int pus[CPU_SETSIZE];
	unsigned n;
	(void)state;

	load(NULL);
	n = topo_allowed_pus(pus, CPU_SETSIZE);
	topo_release();
	if (n < 2) {
		skip();
		return;
	}
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&one);
	CPU_SET(pus[0], &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	load(NULL);
	assert_int_equal(topo_pus(), 1);
	{
		char spec[16];
		cb_fmt(spec, sizeof(spec), "%d", pus[1]);
		assert_int_equal(parse_rc(spec), -EPERM);
		assert_non_null(strstr(bind_policy_error(), "may not run on"));
		cb_fmt(spec, sizeof(spec), "%d", pus[0]);
		assert_int_equal(parse_rc(spec), 0);
	}
	/* Plans use only the allowed PU. */
	expect_plan(BIND_COMPACT, 1, pus, "compact under a one-PU mask");
	{
		int got[1];
		assert_int_equal(topo_plan(BIND_SCATTER, 1, got), 0);
		assert_int_equal(got[0], pus[0]);
		assert_int_equal(plan_rc(BIND_SMT, 2), -ERANGE);
		assert_int_equal(topo_plan_single(pus[1], got), -EPERM);
		assert_int_equal(got[0], -1);
		assert_int_equal(topo_plan_check((const int[]){ pus[0], pus[1] }, 2), -EPERM);
	}
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

/* cores' plans: the caller's PUs are checked, worker k on pus[k]: refused when one of
 * them does not exist. */
static void test_plan_list(void **state)
{
	(void)state;
	load("synthetic:pack:2 core:2 pu:2");
	assert_int_equal(topo_plan_check((const int[]){ 5, 2 }, 2), 0);
	assert_int_equal(topo_plan_check((const int[]){ 7 }, 1), 0);
	assert_int_equal(topo_plan_check((const int[]){ 2, 8 }, 2), -ENOENT);
	assert_int_equal(topo_plan_check((const int[]){ -1 }, 1), -ENOENT);
	assert_int_equal(topo_plan_check(NULL, 0), -ENOENT);
}

/* ---- bad input ---- */

static void test_bad_policies(void **state)
{
	static const char *const bad[] = {
		"sideways", "", " 1", "1 ", "1-", "-1", "3-1", "0,,1", "0-3x", "abc", "0x",
		"0xg", "0x1,", "1,", "99999999", "compact,", "Compact", "0-3,8-",
	};
	(void)state;
	load(TWO_PKG_SMT);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = parse_rc(bad[i]);
		if (rc != -EINVAL)
			fail_msg("bind_policy_parse('%s') = %d, expected -EINVAL", bad[i], rc);
		assert_non_null(strstr(bind_policy_error(), "expected none, compact, scatter, smt"));
	}
	assert_int_equal(parse_rc("0x0"), -ENODATA);
	assert_non_null(strstr(bind_policy_error(), "empty"));
	assert_int_equal(parse_rc("16"), -ENOENT);
	assert_non_null(strstr(bind_policy_error(), "PU 16,"));
	assert_int_equal(parse_rc("0-17"), -ENOENT);
	assert_non_null(strstr(bind_policy_error(), "PUs 16-17"));
	assert_int_equal(parse_ok("none"), BIND_NONE);
	assert_int_equal(parse_ok("compact"), BIND_COMPACT);
	assert_int_equal(parse_ok("scatter"), BIND_SCATTER);
	assert_int_equal(parse_ok("smt"), BIND_SMT);
	assert_int_equal(parse_ok("15"), BIND_CPUSET);
}

static void test_bad_topologies(void **state)
{
	char dir[] = "/tmp/cb-test-topo-XXXXXX", path[64];
	FILE *f;
	(void)state;

	load(TWO_PKG_SMT);
	assert_int_equal(topo_load_spec("/nonexistent/concbench/topology.xml"), -ENOENT);
	assert_non_null(strstr(topo_load_error(), "No such file"));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(topo_load_spec(dir), -EISDIR);
	cb_fmt(path, sizeof(path), "%s/bad.xml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<topology><object type=\"Machine\"", f);
	fclose(f);
	assert_int_equal(topo_load_spec(path), -EINVAL);
	assert_non_null(strstr(topo_load_error(), "not an hwloc XML"));
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(topo_load_spec(path), -EINVAL);     /* empty file */
	unlink(path);
	rmdir(dir);
	assert_int_equal(topo_load_spec(""), -EINVAL);
	assert_int_equal(topo_load_spec("synthetic:"), -EINVAL);
	assert_int_equal(topo_load_spec("synthetic:\"\""), -EINVAL);
	assert_int_equal(topo_load_spec("synthetic:foo:2"), -EINVAL);
	assert_non_null(strstr(topo_load_error(), "hwloc rejects"));
	assert_int_equal(topo_load_spec("synthetic:pack:0 pu:2"), -EINVAL);
	assert_int_equal(topo_load_spec("synthetic:pack:2 core:2 pu"), -EINVAL);
	/* A failed load leaves the topology that was loaded. */
	assert_int_equal(topo_pus(), 16);
	assert_string_equal(topo_source(), TWO_PKG_SMT);
	/* Quotes around a synthetic description, as a report's argv may keep them. */
	assert_int_equal(topo_load_spec("synthetic:\"pack:2 core:1 pu:1\""), 0);
	assert_int_equal(topo_pus(), 2);
}

/* Topologies past the documented bounds are refused before hwloc builds them; cpusets are
 * decimal lists (hwloc's own parser reads 010 as octal 8); an XML file in UTF-16 is not
 * hwloc's UTF-8. */
static void test_topology_bounds(void **state)
{
	char dir[] = "/tmp/cb-test-topo-XXXXXX", path[64];
	enum bind_policy p;
	FILE *f;
	(void)state;

	load(TWO_PKG_SMT);
	assert_int_equal(topo_load_spec("synthetic:pack:1000 core:1000 pu:100"), -E2BIG);
	assert_int_equal(topo_load_spec("synthetic:pack:32 core:32 pu:32"), -E2BIG);
	assert_int_equal(topo_load_spec("synthetic:pack:2 core:257 pu:1"), -E2BIG);
	assert_int_equal(topo_load_spec("synthetic:pack:99999999999999999999999 pu:1"), -E2BIG);
	assert_string_equal(topo_source(), TWO_PKG_SMT);
	assert_int_equal(topo_load_spec("synthetic:pack:2 [numa(memory=1GB)] core:256 pu:2"), 0);
	assert_int_equal(topo_pus(), 1024);

	load_fixture("2pkg-2numa-6core-smt2.xml");
	assert_int_equal(bind_policy_parse("010", &p), -EINVAL);
	assert_int_equal(bind_policy_parse("08-88", &p), -EINVAL);
	assert_int_equal(bind_policy_parse("8-7", &p), -EINVAL);
	assert_int_equal(bind_policy_parse("65536", &p), -EINVAL);
	assert_int_equal(bind_policy_parse("10", &p), 0);
	assert_int_equal(p, BIND_CPUSET);
	{
		int got[1];
		assert_int_equal(topo_plan(p, 1, got), 0);
		assert_int_equal(got[0], 10);
	}

	assert_non_null(mkdtemp(dir));
	cb_fmt(path, sizeof(path), "%s/u16.xml", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("\xff\xfe<\0?\0x\0m\0l\0", 1, 12, f);
	fclose(f);
	assert_int_equal(topo_load_spec(path), -EINVAL);
	assert_non_null(strstr(topo_load_error(), "UTF-16"));
	unlink(path);
	rmdir(dir);
}

/* opts_parse_config takes --topology (main loaded it) and reports --bind errors with the flag. */
static void test_cli_options(void **state)
{
	struct config c;
	(void)state;
	load(TWO_PKG_SMT);
	{
		char *argv[] = { "concbench", "cpu", "--topology", TWO_PKG_SMT, "--bind", "smt",
				 "--workers", "1..16", NULL };
		assert_int_equal(opts_parse_config(8, argv, topo_pus(), &c), 0);
		assert_string_equal(c.topology, TWO_PKG_SMT);
		assert_int_equal(c.bind, BIND_SMT);
		assert_int_equal(c.nworkers, 16);
	}
	{
		char *argv[] = { "concbench", "cpu", "--bind", "2-5", NULL };
		assert_int_equal(opts_parse_config(4, argv, topo_pus(), &c), 0);
		assert_int_equal(c.bind, BIND_CPUSET);
		/* The default count is one worker per PU of the cpuset. */
		assert_int_equal(c.nworkers, 1);
		assert_int_equal(c.workers[0], 4);
	}
	{
		char *argv[] = { "concbench", "cpu", "--bind", "2-5", "--workers", "5", NULL };
		assert_true(opts_parse_config(6, argv, topo_pus(), &c) < 0);
	}
	{
		char *argv[] = { "concbench", "cpu", "--bind", "16", NULL };
		assert_true(opts_parse_config(4, argv, topo_pus(), &c) < 0);
	}
	{
		char *argv[] = { "concbench", "suite", "--bind", "", NULL };
		assert_true(opts_parse_config(4, argv, topo_pus(), &c) < 0);
	}
}

/* ---- rendering ---- */

static char *render_topo(void)
{
	char *buf = NULL, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	topo_print_text(f);
	fclose(f);
	/* The first line names the file and hwloc's version: not part of the golden output. */
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	memmove(buf, nl + 1, strlen(nl + 1) + 1);
	return buf;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ch;
	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (m) {
		while ((ch = fgetc(f)) != EOF)
			fputc(ch, m);
		fclose(m);
	}
	fclose(f);
	return buf;
}

static void check_golden(const char *xml)
{
	char golden[256], *got, *want;
	const char *update = getenv("CB_UPDATE_GOLDEN");
	cb_fmt(golden, sizeof(golden), "%.*s.topo.txt", (int)(strlen(xml) - 4), xml);
	load_fixture(xml);
	got = render_topo();
	if (update && strcmp(update, "1") == 0) {
		FILE *f = fopen(fixture(golden), "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(fixture(golden));
	if (!want)
		fail_msg("missing golden file %s", fixture(golden));
	if (strcmp(got, want) != 0)
		fail_msg("%s differs from the topo output:\n%s", fixture(golden), got);
	free(got);
	free(want);
}

static void test_golden_text(void **state)
{
	(void)state;
	check_golden("2pkg-2numa-6core-smt2.xml");
	check_golden("4pkg-2core-smt2.xml");
	check_golden("1pkg-2core-smt2-cpukinds.xml");
}

/* topo_json() as a reader sees it: its numbers are raw items, readable once printed and
 * parsed back (as the command prints it). */
static cJSON *topo_json_parsed(void)
{
	cJSON *doc = topo_json(), *back;
	char *text;
	assert_non_null(doc);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	assert_non_null(text);
	back = cJSON_Parse(text);
	free(text);
	assert_non_null(back);
	return back;
}

static int json_pus(const cJSON *arr, const int *want, int n)
{
	if (cJSON_GetArraySize(arr) != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (cJSON_GetArrayItem(arr, i)->valueint != want[i])
			return 0;
	return 1;
}

static void test_json(void **state)
{
	static const int pkg1[] = { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23 };
	static const int core0[] = { 0, 12 };
	cJSON *doc, *x;
	(void)state;

	load_fixture("2pkg-2numa-6core-smt2.xml");
	doc = topo_json_parsed();
	x = cJSON_GetObjectItem(doc, "summary");
	assert_int_equal(cJSON_GetObjectItem(x, "packages")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(x, "numa_nodes")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(x, "cores")->valueint, 12);
	assert_int_equal(cJSON_GetObjectItem(x, "pus")->valueint, 24);
	assert_int_equal(cJSON_GetObjectItem(x, "max_pus_per_core")->valueint, 2);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "this_system")));
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "packages"), 1);
	assert_true(json_pus(cJSON_GetObjectItem(x, "pus"), pkg1, 12));
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "numa_nodes"), 1);
	assert_true(json_pus(cJSON_GetObjectItem(x, "pus"), pkg1, 12));
	assert_true(cJSON_GetObjectItem(x, "memory_bytes")->valuedouble > 0);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cores"), 0);
	assert_true(json_pus(cJSON_GetObjectItem(x, "pus"), core0, 2));
	/* 2 L3, 12 L2, 12 L1d. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "caches")), 26);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "caches"), 0);
	assert_string_equal(cJSON_GetObjectItem(x, "name")->valuestring, "L3");
	assert_int_equal(cJSON_GetObjectItem(x, "size_bytes")->valuedouble, 12 << 20);
	/* PU 12 is the SMT sibling of PU 0. */
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "pus"), 0);
	assert_int_equal(cJSON_GetObjectItem(x, "os_index")->valueint, 0);
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(x, "siblings"), 0)->valueint, 12);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "cpukinds")), 0);
	cJSON_Delete(doc);

	load_fixture("1pkg-2core-smt2-cpukinds.xml");
	doc = topo_json_parsed();
	x = cJSON_GetObjectItem(doc, "cpukinds");
	assert_int_equal(cJSON_GetArraySize(x), 3);
	x = cJSON_GetArrayItem(x, 2);
	assert_int_equal(cJSON_GetObjectItem(x, "efficiency")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "infos"), "CoreType")
			    ->valuestring, "IntelCore");
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_two_packages_smt, teardown),
		cmocka_unit_test_teardown(test_several_numa_nodes, teardown),
		cmocka_unit_test_teardown(test_single_core, teardown),
		cmocka_unit_test_teardown(test_64_pus, teardown),
		cmocka_unit_test_teardown(test_xml_2pkg_2numa_smt, teardown),
		cmocka_unit_test_teardown(test_xml_4pkg_smt, teardown),
		cmocka_unit_test_teardown(test_xml_cpukinds, teardown),
		cmocka_unit_test_teardown(test_bind_this_machine, teardown),
		cmocka_unit_test_teardown(test_bind_not_allowed, teardown),
		cmocka_unit_test_teardown(test_plan_list, teardown),
		cmocka_unit_test_teardown(test_bad_policies, teardown),
		cmocka_unit_test_teardown(test_bad_topologies, teardown),
		cmocka_unit_test_teardown(test_topology_bounds, teardown),
		cmocka_unit_test_teardown(test_cli_options, teardown),
		cmocka_unit_test_teardown(test_golden_text, teardown),
		cmocka_unit_test_teardown(test_json, teardown),
	};

	if (sched_getaffinity(0, sizeof(start_mask), &start_mask) < 0) {
		perror("sched_getaffinity");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
