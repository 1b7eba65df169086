/* SPDX-License-Identifier: MIT */
/* Unit tests for the event loop: the two backends of core/evloop.c on their own (sleeps,
 * file operations, cancelling), io's asynchronous form driven by hand with short writes
 * (its checksum must be run_task's), the uring and epoll executors at small depths, and
 * the refusal of a blocking workload that has no asynchronous form. Nothing here decides
 * by time: waits are bounded generously and only end a test that would otherwise hang. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "core/cell.h"
#include "core/evloop.h"
#include "core/executor.h"
#include "core/registry.h"
#include "core/workload.h"

#define GIVE_UP_NS (60LL * 1000000000LL)

struct got {
	int64_t result[8];
	int done[8];
	unsigned n;
};

static void on_done(void *ctx, unsigned slot, int64_t result)
{
	struct got *g = ctx;
	assert_true(slot < 8);
	assert_int_equal(g->done[slot], 0);
	g->done[slot] = 1;
	g->result[slot] = result;
	g->n++;
}

/* Poll until n completions arrived (or give up: a hang fails, it never passes). */
static void poll_until(struct evloop *l, struct got *g, unsigned n)
{
	int64_t end = now_ns() + GIVE_UP_NS;
	while (g->n < n && now_ns() < end)
		assert_true(evloop_poll(l, 100000000LL, on_done, g) >= 0);
	assert_int_equal(g->n, n);
}

static int kind_usable(enum evl_kind k)
{
	char why[160];
	if (k == EVL_EPOLL || evloop_probe(why, sizeof(why)) == 0)
		return 1;
	print_message("io_uring refused here (%s): its cases are skipped\n", why);
	return 0;
}

/* A sleep, a write, an fsync and a read on one loop, each delivered to its own slot with
 * the result the system call would give. */
static void backend_ops(enum evl_kind k)
{
	char path[] = "/tmp/cb-test-evloop-XXXXXX";
	uint64_t out[512], in[512];
	struct got g;
	struct wl_op op;
	struct evloop *l;
	int err = 0, fd;

	if (!kind_usable(k))
		return;
	print_message("%s: sleep, write, fsync, read\n", evloop_kind_name(k));
	l = evloop_open(k, 4, &err);
	assert_non_null(l);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	for (size_t i = 0; i < ARRAY_SIZE(out); i++)
		out[i] = mix64(i);

	memset(&g, 0, sizeof(g));
	op = (struct wl_op){ .kind = WL_OP_SLEEP, .fd = -1, .ns = 1000000 };
	assert_int_equal(evloop_submit(l, 0, &op), 0);
	/* A slot with an operation in flight takes no second one. */
	assert_int_equal(evloop_submit(l, 0, &op), -EINVAL);
	op = (struct wl_op){ .kind = WL_OP_SLEEP, .fd = -1, .ns = 0 };
	assert_int_equal(evloop_submit(l, 2, &op), 0);
	op = (struct wl_op){ .kind = WL_OP_WRITE, .fd = fd, .buf = out, .len = sizeof(out),
			     .off = 4096 };
	assert_int_equal(evloop_submit(l, 1, &op), 0);
	poll_until(l, &g, 3);
	assert_int_equal(g.result[0], 0);
	assert_int_equal(g.result[2], 0);
	assert_int_equal(g.result[1], sizeof(out));

	memset(&g, 0, sizeof(g));
	op = (struct wl_op){ .kind = WL_OP_FSYNC, .fd = fd };
	assert_int_equal(evloop_submit(l, 3, &op), 0);
	poll_until(l, &g, 1);
	assert_int_equal(g.result[3], 0);

	memset(&g, 0, sizeof(g));
	memset(in, 0, sizeof(in));
	op = (struct wl_op){ .kind = WL_OP_READ, .fd = fd, .buf = in, .len = sizeof(in),
			     .off = 4096 };
	assert_int_equal(evloop_submit(l, 0, &op), 0);
	poll_until(l, &g, 1);
	assert_int_equal(g.result[0], sizeof(in));
	assert_memory_equal(in, out, sizeof(in));

	/* A failing operation gives its negative errno. */
	memset(&g, 0, sizeof(g));
	op = (struct wl_op){ .kind = WL_OP_READ, .fd = -1, .buf = in, .len = 8 };
	assert_int_equal(evloop_submit(l, 1, &op), 0);
	poll_until(l, &g, 1);
	assert_int_equal(g.result[1], -EBADF);
	close(fd);
	evloop_close(l);
}

static void test_backend_ops_uring(void **state) { (void)state; backend_ops(EVL_URING); }
static void test_backend_ops_epoll(void **state) { (void)state; backend_ops(EVL_EPOLL); }

/* An hour's sleeps end at once when cancelled, as -ECANCELED; the slots are free again. */
static void backend_cancel(enum evl_kind k)
{
	struct wl_op op = { .kind = WL_OP_SLEEP, .fd = -1, .ns = 3600LL * 1000000000LL };
	struct got g;
	struct evloop *l;
	int err = 0;

	if (!kind_usable(k))
		return;
	l = evloop_open(k, 3, &err);
	assert_non_null(l);
	memset(&g, 0, sizeof(g));
	for (unsigned s = 0; s < 3; s++)
		assert_int_equal(evloop_submit(l, s, &op), 0);
	assert_true(evloop_poll(l, 1000000, on_done, &g) >= 0);
	assert_int_equal(g.n, 0);
	evloop_cancel(l);
	poll_until(l, &g, 3);
	for (unsigned s = 0; s < 3; s++)
		assert_int_equal(g.result[s], -ECANCELED);
	op.ns = 0;
	memset(&g, 0, sizeof(g));
	assert_int_equal(evloop_submit(l, 1, &op), 0);
	poll_until(l, &g, 1);
	assert_int_equal(g.result[1], 0);
	evloop_close(l);
}

static void test_backend_cancel_uring(void **state) { (void)state; backend_cancel(EVL_URING); }
static void test_backend_cancel_epoll(void **state) { (void)state; backend_cancel(EVL_EPOLL); }

/* An io instance of the given mode for one worker (sleeps of 1 ms), made as a run makes
 * one; its temporary directory is in $TMPDIR or /tmp. */
static void io_inst(struct wl_inst *w, const char *mode, uint64_t size, uint64_t tasks)
{
	const struct workload *io = workload_find("io");
	struct wl_params p = { .size = size, .tasks = tasks };
	const struct wl_option *mode_opt = &io->options[0], *dur_opt = &io->options[1];

	/* io's options: the mode (a choice) first, then --duration. */
	assert_string_equal(mode_opt->name, "io");
	assert_string_equal(dur_opt->name, "duration");
	p.opt[1] = 1000000;
	while (mode_opt->choices[p.opt[0]] && strcmp(mode_opt->choices[p.opt[0]], mode) != 0)
		p.opt[0]++;
	assert_non_null(mode_opt->choices[p.opt[0]]);
	assert_int_equal(cell_inst_init(w, io, &p, 1, 1,
					&(struct machine){ .pus = 1, .mem_bytes = 1ULL << 30 }), 0);
}

/* Perform one operation synchronously, doing at most cap bytes of a write or a read (a
 * short count, as pwrite and pread may give). */
static int64_t perform(const struct wl_op *op, size_t cap)
{
	size_t len = op->len < cap ? op->len : cap;
	ssize_t r;
	switch (op->kind) {
	case WL_OP_SLEEP:
		return 0;
	case WL_OP_WRITE:
		r = pwrite(op->fd, op->buf, len, (off_t)op->off);
		break;
	case WL_OP_READ:
		r = pread(op->fd, op->buf, len, (off_t)op->off);
		break;
	default:
		r = fsync(op->fd);
		break;
	}
	return r < 0 ? -errno : r;
}

/* io's asynchronous form, driven here with short writes and reads, gives run_task's
 * checksum for every task, and removes its files. */
static void test_io_async_form_short_counts(void **state)
{
	static const size_t caps[] = { 1001, 4096, SIZE_MAX };
	struct wl_inst w;
	void *st;
	(void)state;

	io_inst(&w, "file", 200 * 1024 + 8, 3);
	assert_non_null(w.wl->async_start);
	st = aligned_alloc(64, (w.wl->async_state + 63) / 64 * 64);
	assert_non_null(st);
	for (size_t c = 0; c < ARRAY_SIZE(caps); c++)
		for (size_t t = 0; t < w.ntasks; t++) {
			struct task_out a, s;
			struct wl_op op;
			unsigned steps = 0;
			int rc;
			memset(&a, 0, sizeof(a));
			memset(&s, 0, sizeof(s));
			assert_int_equal(w.wl->run_task(&w, NULL, t, &s), 0);
			rc = w.wl->async_start(&w, NULL, t, st, &op, &a);
			/* Reads in whole words: a short read of a regular file ends at its end. */
			while (rc == WL_ASYNC_MORE) {
				size_t cap = op.kind == WL_OP_READ && caps[c] % 8 ? 4096 : caps[c];
				rc = w.wl->async_step(&w, st, perform(&op, cap), &op, &a);
				assert_true(++steps < 100000);
			}
			assert_int_equal(rc, 0);
			assert_int_equal(a.checksum, s.checksum);
			assert_int_equal(a.items, 1);
		}
	/* A failed operation ends the task with its error, the file removed. */
	{
		struct task_out a;
		struct wl_op op;
		memset(&a, 0, sizeof(a));
		assert_int_equal(w.wl->async_start(&w, NULL, 1, st, &op, &a), WL_ASYNC_MORE);
		assert_int_equal(w.wl->async_step(&w, st, -EIO, &op, &a), -EIO);
		assert_int_equal(a.items, 1);
	}
	free(st);
	cell_inst_fini(&w);   /* rmdir fails, and leaves the directory, if a file was left */
}

/* The executors at depths 1 and 3, static and dynamic: every task once, verified. */
static void run_loop(const struct executor *x, const char *mode, unsigned depth, int dynamic)
{
	struct wl_inst w;
	struct pool_cfg cfg;
	struct pool *pool = NULL;
	struct task_out *outs;
	struct worker_rec recs[2];
	struct cb_err e;
	int64_t startup = 0;
	uint64_t sum = 0;
	char err[256] = "";

	print_message("%s: io %s, depth %u, %s\n", x->name, mode, depth,
		      dynamic ? "dynamic" : "static");
	io_inst(&w, mode, strcmp(mode, "file") == 0 ? 70000 : 0, 10);
	w.workers = 2;
	outs = aligned_alloc(64, w.ntasks * sizeof(*outs));
	assert_non_null(outs);
	memset(&cfg, 0, sizeof(cfg));
	cfg.w = &w;
	cfg.workers = 2;
	cfg.dynamic = dynamic;
	cfg.depth = depth;
	cfg.deadline_ns = now_ns() + GIVE_UP_NS;
	memset(&e, 0, sizeof(e));
	if (x->start(&cfg, &pool, &startup, &e) < 0)
		fail_msg("%s start: %s", x->name, e.msg);
	assert_non_null(x->backend);
	assert_true(strcmp(x->backend(pool), "epoll") == 0 ||
		    strcmp(x->backend(pool), "io_uring") == 0);
	if (strcmp(x->name, "epoll") == 0)
		assert_string_equal(x->backend(pool), "epoll");
	for (int rep = 0; rep < 2; rep++) {
		memset(outs, 0xEE, w.ntasks * sizeof(*outs));
		if (x->run(pool, now_ns() + GIVE_UP_NS, outs, recs, &e) < 0)
			fail_msg("%s run: %s", x->name, e.msg);
		assert_int_equal(cell_verify_outs(&w, outs, &sum, &e), 0);
		assert_int_equal(recs[0].tasks + recs[1].tasks, w.ntasks);
		assert_int_equal(recs[0].err, 0);
		assert_true(recs[0].t_end >= recs[0].t_start);
	}
	x->stop(pool);
	free(outs);
	(void)err;
	cell_inst_fini(&w);
}

static void test_loops_small_depths(void **state)
{
	static const char *const names[] = { "uring", "epoll" };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (unsigned depth = 1; depth <= 3; depth += 2)
			for (int dynamic = 0; dynamic <= 1; dynamic++) {
				run_loop(executor_find(names[i]), "sleep", depth, dynamic);
				run_loop(executor_find(names[i]), "file", depth, dynamic);
			}
}

/* A workload whose tasks block and that has no asynchronous form cannot run on a loop;
 * it still runs on threads, and io (which has the form) runs on the loop. */
static int blk_run(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	(void)w, (void)data, (void)t, (void)out;
	return 0;
}

static void test_blocking_without_async_refused(void **state)
{
	struct workload blk = { .name = "blk", .summary = "blocks", .flags = WL_BLOCKING,
				.run_task = blk_run };
	char why[200] = "";
	(void)state;

	assert_int_equal(workload_runs_on(&blk, executor_find("uring"), why, sizeof(why)),
			 -ENOTSUP);
	assert_non_null(strstr(why, "blk's tasks block and it has no asynchronous form"));
	assert_non_null(strstr(why, "event loop of uring"));
	assert_int_equal(workload_runs_on(&blk, executor_find("epoll"), why, sizeof(why)),
			 -ENOTSUP);
	assert_int_equal(workload_runs_on(&blk, executor_find("thread"), why, sizeof(why)), 0);
	assert_int_equal(workload_runs_on(workload_find("io"), executor_find("uring"), why,
					  sizeof(why)), 0);
	assert_int_equal(workload_runs_on(workload_find("cpu"), executor_find("uring"), why,
					  sizeof(why)), 0);
}

/* The registry holds both, epoll only when named, and the async form is complete. */
static void test_registry(void **state)
{
	char why[200] = "";
	(void)state;
	assert_int_equal(registry_check(why, sizeof(why)), 0);
	assert_true(executor_find("uring")->flags & EX_EVENT_LOOP);
	assert_false(executor_find("uring")->flags & EX_NAMED_ONLY);
	assert_true(executor_find("epoll")->flags & EX_NAMED_ONLY);
	assert_null(executor_find("thread")->backend);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_ops_uring),
		cmocka_unit_test(test_backend_ops_epoll),
		cmocka_unit_test(test_backend_cancel_uring),
		cmocka_unit_test(test_backend_cancel_epoll),
		cmocka_unit_test(test_io_async_form_short_counts),
		cmocka_unit_test(test_loops_small_depths),
		cmocka_unit_test(test_blocking_without_async_refused),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
