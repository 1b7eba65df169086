/* SPDX-License-Identifier: MIT */
/* Unit tests for the executors (src/executors/): every executor of the registry runs every
 * workload with 1, 2 and 3 workers, static and dynamic, for several repetitions of one
 * pool, and each repetition delivers every task exactly once with the checksum that running
 * the tasks one by one in this file gives.
 *
 * CB_TEST_EXECUTORS=thread,shm limits the executors tested (the ThreadSanitizer build runs
 * only `thread`: fork is not supported under TSan). */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "core/cell.h"
#include "core/executor.h"
#include "core/registry.h"
#include "core/sync.h"
#include "core/workload.h"
#include "topo/topo.h"

#define REPS 3
#define DEADLINE_NS (30LL * 1000000000LL)

static const struct machine test_machine = { .pus = 2, .llc_bytes = 1 << 20,
					     .mem_bytes = 8ULL << 30 };

/* ---- which executors ---- */

static int selected(const struct executor *x)
{
	const char *env = getenv("CB_TEST_EXECUTORS");
	char buf[256], *save = NULL, *item;
	if (!env || !*env)
		return 1;
	snprintf(buf, sizeof(buf), "%s", env);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (strcmp(item, x->name) == 0)
			return 1;
	return 0;
}

static int ex_supported(const struct executor *x)
{
	char why[256] = "";
	if (!x->supported || x->supported(why, sizeof(why)) == 0)
		return 1;
	print_message("skipping executor %s: %s\n", x->name, why);
	return 0;
}

/* Every name in CB_TEST_EXECUTORS is a real executor, so a typo cannot skip everything. */
static void test_selection_valid(void **state)
{
	const char *env = getenv("CB_TEST_EXECUTORS");
	char buf[256], *save = NULL, *item;
	size_t n = 0;
	(void)state;

	for (size_t i = 0; i < cb_nexecutors; i++)
		n += (size_t)selected(cb_executors[i]);
	assert_true(n >= 1);
	if (!env || !*env)
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (!executor_find(item))
			fail_msg("CB_TEST_EXECUTORS names '%s', which is not an executor", item);
}

static void test_registry_executors(void **state)
{
	char why[256] = "";
	size_t single = 0;
	(void)state;

	assert_int_equal(registry_check(why, sizeof(why)), 0);
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		assert_non_null(x->start);
		assert_non_null(x->run);
		assert_non_null(x->stop);
		assert_ptr_equal(executor_find(x->name), x);
		single += (x->flags & EX_SINGLE_WORKER) != 0;
	}
	assert_int_equal(single, 1);   /* seq, the baseline */
	assert_true(executor_find("seq")->flags & EX_SINGLE_WORKER);
	assert_true(executor_find("thread")->flags & EX_SHARED_ADDRESS_SPACE);
	assert_true(executor_find("fork")->flags & EX_ISOLATED_FAULTS);
	assert_true(executor_find("shm")->flags & EX_ISOLATED_FAULTS);
}

/* stop(NULL) is documented as safe for every executor. */
static void test_stop_null(void **state)
{
	(void)state;
	for (size_t i = 0; i < cb_nexecutors; i++)
		cb_executors[i]->stop(NULL);
	assert_true(cb_nexecutors > 0);
}

/* ---- workloads as the executors see them ---- */

struct wl_case {
	const char *name;           /* for messages */
	const char *workload;
	const char *opt, *choice;   /* a choice option's value */
	uint64_t size, tasks;
	int64_t duration_ns;        /* io: --duration, 0 = default */
};

static const struct wl_case cases[] = {
	{ "cpu sumsq", "cpu", "kernel", "sumsq", 300000, 24, 0 },
	{ "cpu primes", "cpu", "kernel", "primes", 30000, 24, 0 },
	{ "io sleep", "io", "io", "sleep", 0, 8, 1000000 },
	{ "io file", "io", "io", "file", 16 * 1024, 6, 0 },
	{ "mem triad", "mem", "pattern", "triad", 24 * 4096 * 6, 12, 0 },
	{ "mem touch", "mem", "pattern", "touch", 1 << 20, 16, 0 },
	/* Edge cases: fewer tasks than workers (some idle), and the most tasks allowed (every
	 * result through the fork executor's pipes). */
	{ "cpu sumsq 2 tasks", "cpu", "kernel", "sumsq", 1000, 2, 0 },
	{ "cpu sumsq 4096 tasks", "cpu", "kernel", "sumsq", 200000, WL_MAX_TASKS, 0 },
};

static void case_init(const struct wl_case *wc, unsigned workers, struct wl_inst *w)
{
	const struct workload *wl = workload_find(wc->workload);
	char err[256] = "";
	int found = 0, rc;

	assert_non_null(wl);
	memset(w, 0, sizeof(*w));
	w->wl = wl;
	for (size_t j = 0; j < wl->noptions; j++) {
		const struct wl_option *o = &wl->options[j];
		if (o->kind == WLO_DURATION)
			w->p.opt[j] = wc->duration_ns && strcmp(o->name, "duration") == 0
				      ? wc->duration_ns : o->def_ns;
		if (o->kind == WLO_CHOICE && strcmp(o->name, wc->opt) == 0)
			for (int64_t k = 0; o->choices[k]; k++)
				if (strcmp(o->choices[k], wc->choice) == 0) {
					w->p.opt[j] = k;
					found = 1;
				}
	}
	assert_true(found);
	w->p.size = wc->size;
	w->p.tasks = wc->tasks;
	w->workers = workers;
	w->scale = 1;
	rc = wl->init(w, &test_machine, err, sizeof(err));
	if (rc < 0)
		fail_msg("%s: init failed: %s", wc->name, err);
	assert_true(w->ntasks >= 1 && w->ntasks <= WL_MAX_TASKS);
}

static void case_fini(struct wl_inst *w)
{
	if (w->wl->fini)
		w->wl->fini(w);
}

/* The reference: every task run here, in order, and verified. */
static uint64_t sequential_checksum(const struct wl_inst *w)
{
	struct task_out *outs = aligned_alloc(64, w->ntasks * sizeof(*outs));
	void *data = NULL;
	uint64_t sum = 0;
	char err[256] = "";

	assert_non_null(outs);
	if (w->data_bytes) {
		data = calloc(1, w->data_bytes);
		assert_non_null(data);
	}
	if (w->wl->prepare)
		for (size_t t = 0; t < w->ntasks; t++)
			w->wl->prepare(w, data, t);
	for (size_t t = 0; t < w->ntasks; t++) {
		memset(&outs[t], 0, sizeof(outs[t]));
		outs[t].task = (uint32_t)t;
		assert_int_equal(w->wl->run_task(w, data, t, &outs[t]), 0);
		outs[t].done = 1;
	}
	if (w->wl->verify(w, outs, &sum, err, sizeof(err)) < 0)
		fail_msg("sequential reference does not verify: %s", err);
	free(data);
	free(outs);
	return sum;
}

/* One pool: start, REPS repetitions each checked in full, stop. */
static void run_pool(const struct executor *x, const struct wl_case *wc, unsigned workers,
		     int dynamic)
{
	struct wl_inst w;
	struct pool_cfg cfg;
	struct pool *pool = NULL;
	struct task_out *outs;
	struct worker_rec *recs;
	struct cb_err e;
	int64_t startup_ns = -1;
	uint64_t ref;
	int rc;

	print_message("%s: %s, %u worker%s, %s\n", x->name, wc->name, workers,
		      workers == 1 ? "" : "s", dynamic ? "dynamic" : "static");
	case_init(wc, workers, &w);
	ref = sequential_checksum(&w);
	outs = aligned_alloc(64, w.ntasks * sizeof(*outs));
	recs = aligned_alloc(64, workers * sizeof(*recs));
	assert_non_null(outs);
	assert_non_null(recs);

	memset(&cfg, 0, sizeof(cfg));     /* no plan: every worker unbound */
	cfg.w = &w;
	cfg.workers = workers;
	cfg.dynamic = dynamic;
	cfg.deadline_ns = now_ns() + DEADLINE_NS;
	memset(&e, 0, sizeof(e));
	rc = x->start(&cfg, &pool, &startup_ns, &e);
	if (rc < 0)
		fail_msg("%s start: %d %s", x->name, rc, e.msg);
	assert_non_null(pool);
	assert_true(startup_ns >= 0);

	for (int rep = 0; rep < REPS; rep++) {
		char err[256] = "";
		uint64_t sum = 0, items = 0, ran = 0;
		int64_t before, after, lo = INT64_MAX, hi = INT64_MIN;

		/* Garbage in the result slots: the executor must fill every one. */
		memset(outs, 0xEE, w.ntasks * sizeof(*outs));
		memset(recs, 0xEE, workers * sizeof(*recs));
		memset(&e, 0, sizeof(e));
		before = now_ns();
		rc = x->run(pool, now_ns() + DEADLINE_NS, outs, recs, &e);
		after = now_ns();
		if (rc < 0)
			fail_msg("%s run %d: %d %s", x->name, rep, rc, e.msg);
		assert_int_equal(e.code, 0);

		for (size_t t = 0; t < w.ntasks; t++) {
			if (outs[t].done != 1 || outs[t].task != t)
				fail_msg("%s %s rep %d: slot %zu done %u task %u", x->name, wc->name,
					 rep, t, outs[t].done, outs[t].task);
			assert_int_equal(outs[t].err, 0);
			items += outs[t].items;
		}
		assert_int_equal(items, w.items);
		rc = w.wl->verify(&w, outs, &sum, err, sizeof(err));
		if (rc < 0)
			fail_msg("%s %s rep %d: %s", x->name, wc->name, rep, err);
		assert_int_equal(sum, ref);

		for (unsigned k = 0; k < workers; k++) {
			const struct worker_rec *r = &recs[k];
			/* Each worker times itself inside the run call. */
			assert_true(r->t_end >= r->t_start);
			assert_true(r->t_start >= before);
			/* The start protocol: pool workers spin until the start time the gate
			 * publishes, GATE_DELTA_NS after the coordinator opened it. */
			if (!(x->flags & EX_SINGLE_WORKER))
				assert_true(r->t_start - before >= GATE_DELTA_NS);
			assert_true(r->t_end <= after);
			assert_int_equal(r->err, 0);
			ran += r->tasks;
			if (!dynamic) {
				/* Static: worker k runs its block of tasks, no more, no fewer. */
				size_t blo, bhi;
				task_block(w.ntasks, workers, k, &blo, &bhi);
				assert_int_equal(r->tasks, bhi - blo);
			}
			if (r->t_start < lo)
				lo = r->t_start;
			if (r->t_end > hi)
				hi = r->t_end;
		}
		assert_int_equal(ran, w.ntasks);
		/* The sample spans every worker's own duration. */
		for (unsigned k = 0; k < workers; k++)
			assert_true(hi - lo >= recs[k].t_end - recs[k].t_start);
		/* io sleep: the sample covers at least the sleeping one worker had to do. */
		if (strcmp(wc->name, "io sleep") == 0) {
			uint64_t per = (w.ntasks + workers - 1) / workers;
			/* An event loop sleeps up to its depth (the default here) at once. */
			if (x->flags & EX_EVENT_LOOP)
				per = (per + EX_LOOP_DEFAULT_DEPTH - 1) / EX_LOOP_DEFAULT_DEPTH;
			assert_true(hi - lo >= (int64_t)per * wc->duration_ns);
		}
	}
	x->stop(pool);
	free(outs);
	free(recs);
	case_fini(&w);
}

static void run_case(const struct wl_case *wc)
{
	size_t ran = 0;

	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		unsigned maxw = x->flags & EX_SINGLE_WORKER ? 1 : 3;
		struct wl_inst probe;
		int own;
		if (!selected(x) || !ex_supported(x))
			continue;
		case_init(wc, 1, &probe);
		own = probe.tasks_own_data;
		case_fini(&probe);
		for (unsigned workers = 1; workers <= maxw; workers++)
			for (int dynamic = 0; dynamic <= (own ? 0 : 1); dynamic++) {
				run_pool(x, wc, workers, dynamic);
				ran++;
			}
	}
	assert_true(ran >= 1);
}

static void test_cpu_sumsq(void **state) { (void)state; run_case(&cases[0]); }
static void test_cpu_primes(void **state) { (void)state; run_case(&cases[1]); }
static void test_io_sleep(void **state) { (void)state; run_case(&cases[2]); }
static void test_mem_triad(void **state) { (void)state; run_case(&cases[4]); }
static void test_mem_touch(void **state) { (void)state; run_case(&cases[5]); }
static void test_idle_workers(void **state) { (void)state; run_case(&cases[6]); }
static void test_max_tasks(void **state) { (void)state; run_case(&cases[7]); }

/* A fresh directory under $TMPDIR (or /tmp), for files the test makes. */
static void make_test_dir(char *buf, size_t len, const char *tag)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, len, "%s/cb-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	assert_non_null(mkdtemp(buf));
}

/* io file under a private TMPDIR, which must be empty again at the end. */
static void test_io_file(void **state)
{
	char dir[256];
	char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	DIR *d;
	struct dirent *de;
	size_t left = 0;
	(void)state;

	make_test_dir(dir, sizeof(dir), "ex");
	assert_int_equal(setenv("TMPDIR", dir, 1), 0);
	run_case(&cases[3]);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			left++;
	closedir(d);
	assert_int_equal(left, 0);
	assert_int_equal(rmdir(dir), 0);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

/* ---- what a pool is told reaches its workers ---- */

/* A placement that says where it was called from: the data region (len > 0) fails with
 * -EXDEV, a task's own call (len 0) returns 7. */
static int probe_membind(void *addr, size_t len)
{
	(void)addr;
	return len ? -EXDEV : 7;
}

static int probe_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	(void)m;
	(void)err;
	(void)len;
	w->ntasks = 4;
	w->data_bytes = 4096;
	w->items = w->ntasks;
	w->unit = "tasks";
	return 0;
}

/* The task's result is what the placement its instance carries returns. */
static int probe_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	(void)data;
	(void)t;
	out->checksum = (uint64_t)wl_membind(w, NULL, 0);
	out->items = 1;
	return 0;
}

static int probe_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
			char *err, size_t len)
{
	*checksum = 0;
	for (size_t t = 0; t < w->ntasks; t++)
		*checksum += outs[t].checksum;
	if (*checksum != 7 * w->ntasks) {
		snprintf(err, len, "tasks saw no placement from the pool");
		return -EBADMSG;
	}
	return 0;
}

static const struct workload workload_probe = {
	.name = "probe", .summary = "test", .init = probe_init, .run_task = probe_run_task,
	.verify = probe_verify,
};

/* The plan and the placement travel in struct pool_cfg: each worker binds itself to its
 * planned PU, the data region is placed by cfg->membind, and the workload reaches the same
 * placement through its instance (wl_membind), in threads and in processes alike. */
static void test_pool_cfg_reaches_workers(void **state)
{
	size_t ran = 0;
	(void)state;

	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		unsigned workers = x->flags & EX_SINGLE_WORKER ? 1 : (topo_pus() >= 2 ? 2 : 1);
		int pus[2] = { -1, -1 }, planned[2] = { -1, -1 };
		struct wl_inst w = { .wl = &workload_probe, .workers = workers, .scale = 1 };
		struct pool_cfg cfg = { .w = &w, .workers = workers, .membind = probe_membind };
		struct task_out outs[4];
		struct worker_rec recs[2];
		struct pool *pool = NULL;
		struct cb_err e = { 0 };
		int64_t startup_ns;
		uint64_t sum;
		char err[128] = "";

		if (!selected(x) || !ex_supported(x))
			continue;
		assert_int_equal(workload_probe.init(&w, &test_machine, err, sizeof(err)), 0);
		/* The baseline runs unbound, whatever it is given. */
		if (!(x->flags & EX_SINGLE_WORKER)) {
			assert_int_equal(topo_plan(BIND_COMPACT, workers, pus), 0);
			memcpy(planned, pus, sizeof(planned));
			cfg.pus = pus;
		}
		cfg.deadline_ns = now_ns() + DEADLINE_NS;
		if (x->start(&cfg, &pool, &startup_ns, &e) < 0)
			fail_msg("%s start: %s", x->name, e.msg);
		pus[0] = pus[1] = -2;    /* the pool keeps its own copy of the plan */
		if (x->run(pool, now_ns() + DEADLINE_NS, outs, recs, &e) < 0)
			fail_msg("%s run: %s", x->name, e.msg);
		x->stop(pool);
		if (workload_probe.verify(&w, outs, &sum, err, sizeof(err)) < 0)
			fail_msg("%s: %s", x->name, err);
		for (unsigned k = 0; k < workers; k++) {
			int want = planned[k];
			assert_int_equal(recs[k].bind_err, 0);
			assert_int_equal(recs[k].membind_err, -EXDEV);
			if (want >= 0 && (recs[k].cpu_start != want || recs[k].cpu_end != want))
				fail_msg("%s: worker %u ran on CPU %d..%d, planned on PU %d", x->name, k,
					 recs[k].cpu_start, recs[k].cpu_end, want);
		}
		ran++;
	}
	assert_true(ran >= 1);
}

/* A cell given an explicit plan (concbench cores: one worker on a chosen PU) runs it: the
 * worker is bound there and never seen elsewhere. */
static void test_cell_explicit_plan(void **state)
{
	int pus[CPU_SETSIZE];
	unsigned n = topo_allowed_pus(pus, CPU_SETSIZE);
	size_t ran = 0;
	(void)state;

	assert_true(n >= 1);
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		struct cell_cfg c = { .bind = BIND_NONE, .pus = &pus[n - 1],
				      .timeout_ns = DEADLINE_NS };
		struct run_result r = { .ex = x, .workers = 1 };
		struct cb_err e = { 0 };
		struct wl_inst w;
		if ((x->flags & EX_SINGLE_WORKER) || !selected(x) || !ex_supported(x))
			continue;
		case_init(&cases[0], 1, &w);
		r.wl = w.wl;
		if (cell_run(&c, &w, x, &r, 2, &e) < 0)
			fail_msg("%s: %s", x->name, e.msg);
		assert_int_equal(r.nsamples, 2);
		assert_int_equal(r.planned[0], pus[n - 1]);
		assert_int_equal(r.strayed, 0);
		assert_int_equal(r.ncpus, 1);
		assert_int_equal(r.cpus[0], pus[n - 1]);
		assert_null(r.binding_error);
		run_result_free(&r);
		case_fini(&w);
		ran++;
	}
	assert_true(ran >= 1);
}

/* Every executor and case listed here is one the tests above reach. */
static void test_cases_cover_registry(void **state)
{
	(void)state;
	for (size_t i = 0; i < cb_nworkloads; i++) {
		int covered = 0;
		for (size_t c = 0; c < ARRAY_SIZE(cases); c++)
			covered |= strcmp(cases[c].workload, cb_workloads[i]->name) == 0;
		if (!covered)
			fail_msg("workload %s has no executor test case", cb_workloads[i]->name);
	}
}

static int group_setup(void **state)
{
	(void)state;
	return topo_load() < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	topo_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selection_valid),
		cmocka_unit_test(test_registry_executors),
		cmocka_unit_test(test_cases_cover_registry),
		cmocka_unit_test(test_stop_null),
		cmocka_unit_test(test_cpu_sumsq),
		cmocka_unit_test(test_cpu_primes),
		cmocka_unit_test(test_io_sleep),
		cmocka_unit_test(test_io_file),
		cmocka_unit_test(test_mem_triad),
		cmocka_unit_test(test_mem_touch),
		cmocka_unit_test(test_idle_workers),
		cmocka_unit_test(test_max_tasks),
		cmocka_unit_test(test_pool_cfg_reaches_workers),
		cmocka_unit_test(test_cell_explicit_plan),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
