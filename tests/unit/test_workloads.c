/* SPDX-License-Identifier: MIT */
/* Unit tests for the workloads (src/workloads/): every workload of the registry with every
 * choice of its choice options runs to a verified result when its tasks are run one by one
 * here, a corrupted result is caught, and the checksums match references computed in this
 * file by other means (brute force, 128-bit arithmetic, trial division). */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "core/cell.h"
#include "core/registry.h"
#include "core/workload.h"

/* Exported by src/workloads/cpu.c for tests. */
extern uint64_t cpu_sumsq_closed(uint64_t n);

#define MiB (1024ULL * 1024)
#define GiB (1024ULL * MiB)

static const struct machine test_machine = { .pus = 2, .llc_bytes = 1 * MiB, .mem_bytes = 8 * GiB };

static int opt_index(const struct workload *wl, const char *name)
{
	for (size_t j = 0; j < wl->noptions; j++)
		if (strcmp(wl->options[j].name, name) == 0)
			return (int)j;
	fail_msg("workload %s has no option %s", wl->name, name);
	return -1;
}

static int64_t choice_of(const struct workload *wl, const char *opt, const char *choice)
{
	int j = opt_index(wl, opt);
	for (int64_t k = 0; wl->options[j].choices[k]; k++)
		if (strcmp(wl->options[j].choices[k], choice) == 0)
			return k;
	fail_msg("workload %s option %s has no choice %s", wl->name, opt, choice);
	return -1;
}

/* Parameters with every option at its default. */
static struct wl_params default_params(const struct workload *wl)
{
	struct wl_params p;
	memset(&p, 0, sizeof(p));
	for (size_t j = 0; j < wl->noptions; j++)
		p.opt[j] = wl->options[j].kind == WLO_DURATION ? wl->options[j].def_ns : 0;
	return p;
}

/* Small parameters for one workload with choice option `opt` set to choice index k: sized
 * so that a whole repetition takes milliseconds. A workload missing here fails the test,
 * so that a new one cannot go untested. */
static struct wl_params small_params(const struct workload *wl, int opt, int64_t k)
{
	struct wl_params p = default_params(wl);
	const char *choice;

	p.opt[opt] = k;
	choice = wl->options[opt].choices[k];
	if (strcmp(wl->name, "cpu") == 0) {
		p.size = strcmp(choice, "primes") == 0 ? 20000 : 100000;
		p.tasks = 7;
	} else if (strcmp(wl->name, "io") == 0) {
		p.opt[opt_index(wl, "duration")] = 200000;   /* 0.2 ms */
		p.size = strcmp(choice, "file") == 0 ? 24 * 1024 : 0;
		p.tasks = 5;
	} else if (strcmp(wl->name, "mem") == 0) {
		p.size = 24 * 8192 * 5;   /* a multiple of 24 and of the page size */
		p.tasks = 10;
	} else {
		fail_msg("no small parameters for workload '%s': add them to test_workloads.c",
			 wl->name);
	}
	return p;
}

struct inst {
	struct wl_inst w;
	void *data;
	struct task_out *outs;
	uint64_t checksum;
};

/* Initialise; the test fails with the workload's message if init does. */
static void inst_init(struct inst *in, const struct workload *wl, const struct wl_params *p,
		      unsigned workers, unsigned scale)
{
	char err[256] = "";
	int rc;
	memset(in, 0, sizeof(*in));
	in->w.wl = wl;
	in->w.p = *p;
	in->w.workers = workers;
	in->w.scale = scale;
	rc = wl->init(&in->w, &test_machine, err, sizeof(err));
	if (rc < 0)
		fail_msg("%s init failed (%d): %s", wl->name, rc, err);
	assert_true(in->w.ntasks >= 1 && in->w.ntasks <= WL_MAX_TASKS);
	assert_true(in->w.p.tasks >= 1);
	assert_non_null(in->w.unit);
	assert_true(in->w.unit[0] != 0);
	assert_true(in->w.items > 0);
}

/* Run every task in order here (prepare for all first) and verify. Returns verify's rc. */
static int inst_run(struct inst *in)
{
	const struct wl_inst *w = &in->w;
	char err[256] = "";
	uint64_t items = 0;
	int rc;

	if (w->data_bytes && !in->data) {
		in->data = aligned_alloc(64, (w->data_bytes + 63) / 64 * 64);
		assert_non_null(in->data);
		memset(in->data, 0xA5, w->data_bytes);   /* garbage: prepare must fill it */
	}
	if (!in->outs) {
		in->outs = aligned_alloc(64, w->ntasks * sizeof(*in->outs));
		assert_non_null(in->outs);
	}
	if (w->wl->prepare)
		for (size_t t = 0; t < w->ntasks; t++)
			w->wl->prepare(w, in->data, t);
	for (size_t t = 0; t < w->ntasks; t++) {
		struct task_out *o = &in->outs[t];
		memset(o, 0, sizeof(*o));
		o->task = (uint32_t)t;
		o->err = w->wl->run_task(w, in->data, t, o);
		o->done = 1;
		assert_int_equal(o->err, 0);
		items += o->items;
	}
	assert_int_equal(items, w->items);
	in->checksum = ~0ULL;
	rc = w->wl->verify(w, in->outs, &in->checksum, err, sizeof(err));
	if (rc < 0)
		print_error("%s verify: %s\n", w->wl->name, err);
	return rc;
}

static void inst_fini(struct inst *in)
{
	if (in->w.wl->fini)
		in->w.wl->fini(&in->w);
	free(in->data);
	free(in->outs);
	in->data = NULL;
	in->outs = NULL;
}

/* A fresh directory under $TMPDIR (or /tmp), for files the test makes. */
static void make_test_dir(char *buf, size_t len, const char *tag)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, len, "%s/cb-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	assert_non_null(mkdtemp(buf));
}

/* A fresh private TMPDIR, so that the io workload's files can be watched. */
struct tmpdir {
	char path[256];
	char *old;
};

static void tmpdir_enter(struct tmpdir *t)
{
	const char *old = getenv("TMPDIR");
	make_test_dir(t->path, sizeof(t->path), "wl");
	t->old = old ? strdup(old) : NULL;
	assert_int_equal(setenv("TMPDIR", t->path, 1), 0);
}

/* Entries in a directory, "." and ".." aside. */
static size_t dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void tmpdir_leave(struct tmpdir *t)
{
	assert_int_equal(dir_entries(t->path), 0);
	assert_int_equal(rmdir(t->path), 0);
	if (t->old)
		setenv("TMPDIR", t->old, 1);
	else
		unsetenv("TMPDIR");
	free(t->old);
}

static int supported(const struct workload *wl)
{
	char why[256] = "";
	if (!wl->supported || wl->supported(why, sizeof(why)) == 0)
		return 1;
	print_message("skipping %s: %s\n", wl->name, why);
	return 0;
}

/* ---- every workload, every choice ---- */

static void test_registry_complete(void **state)
{
	char why[256] = "";
	(void)state;
	assert_true(cb_nworkloads >= 3);
	assert_int_equal(registry_check(why, sizeof(why)), 0);
	for (size_t i = 0; i < cb_nworkloads; i++) {
		const struct workload *wl = cb_workloads[i];
		assert_ptr_equal(workload_find(wl->name), wl);
		assert_true(wl->noptions <= WL_MAX_OPTIONS);
		for (size_t j = 0; j < wl->noptions; j++)
			if (wl->options[j].kind == WLO_CHOICE) {
				assert_non_null(wl->options[j].choices);
				assert_non_null(wl->options[j].choices[0]);
			}
	}
}

static void test_every_workload_verifies(void **state)
{
	size_t combos = 0;
	(void)state;

	for (size_t i = 0; i < cb_nworkloads; i++) {
		const struct workload *wl = cb_workloads[i];
		if (!supported(wl))
			continue;
		for (size_t j = 0; j < wl->noptions; j++) {
			if (wl->options[j].kind != WLO_CHOICE)
				continue;
			for (int64_t k = 0; wl->options[j].choices[k]; k++) {
				struct wl_params p = small_params(wl, (int)j, k);
				struct tmpdir td;
				struct inst in;
				uint64_t good;
				char err[256] = "";

				print_message("%s --%s %s\n", wl->name, wl->options[j].name,
					      wl->options[j].choices[k]);
				tmpdir_enter(&td);
				inst_init(&in, wl, &p, 1, 1);
				assert_int_equal(in.w.p.tasks, p.tasks);
				assert_int_equal(inst_run(&in), 0);
				good = in.checksum;
				/* A second repetition over the same instance gives the same result. */
				assert_int_equal(inst_run(&in), 0);
				assert_int_equal(in.checksum, good);

				/* One corrupted result is caught, whichever task it is. */
				for (size_t t = 0; t < in.w.ntasks; t++) {
					in.outs[t].checksum += 1;
					err[0] = 0;
					assert_int_equal(in.w.wl->verify(&in.w, in.outs, &in.checksum, err,
									 sizeof(err)), -EBADMSG);
					assert_true(err[0] != 0);
					in.outs[t].checksum -= 1;
				}
				/* A task's result delivered twice in place of another is caught too. */
				if (in.w.ntasks > 1) {
					struct task_out saved = in.outs[0];
					in.outs[0] = in.outs[1];
					assert_int_equal(in.w.wl->verify(&in.w, in.outs, &in.checksum, err,
									 sizeof(err)), -EBADMSG);
					in.outs[0] = saved;
				}
				assert_int_equal(in.w.wl->verify(&in.w, in.outs, &in.checksum, err,
								 sizeof(err)), 0);
				assert_int_equal(in.checksum, good);
				inst_fini(&in);
				tmpdir_leave(&td);
				combos++;
			}
		}
	}
	assert_true(combos >= 6);
}

/* Weak scaling: scale 2 doubles the work, and still verifies. */
static void test_weak_scaling_doubles_items(void **state)
{
	(void)state;
	for (size_t i = 0; i < cb_nworkloads; i++) {
		const struct workload *wl = cb_workloads[i];
		if (!supported(wl))
			continue;
		for (size_t j = 0; j < wl->noptions; j++) {
			if (wl->options[j].kind != WLO_CHOICE)
				continue;
			for (int64_t k = 0; wl->options[j].choices[k]; k++) {
				struct wl_params p = small_params(wl, (int)j, k);
				struct tmpdir td;
				struct inst one, two;
				tmpdir_enter(&td);
				inst_init(&one, wl, &p, 1, 1);
				inst_init(&two, wl, &p, 2, 2);
				if (two.w.items != 2 * one.w.items)
					print_error("%s %s: items %llu at scale 1, %llu at scale 2\n",
						    wl->name, wl->options[j].choices[k],
						    (unsigned long long)one.w.items,
						    (unsigned long long)two.w.items);
				assert_int_equal(two.w.items, 2 * one.w.items);
				assert_string_equal(two.w.unit, one.w.unit);
				assert_int_equal(inst_run(&two), 0);
				inst_fini(&one);
				inst_fini(&two);
				tmpdir_leave(&td);
			}
		}
	}
}

/* ---- cpu ---- */

static uint64_t brute_sumsq(uint64_t lo, uint64_t hi)
{
	uint64_t s = 0;
	for (uint64_t i = lo; i < hi; i++)
		s += i * i;    /* mod 2^64 by unsigned wrap-around */
	return s;
}

/* sum of i^2 for i < n mod 2^64, from the exact 128-bit value of (n-1)n(2n-1)/6 (n < 2^42). */
static uint64_t sumsq_128(uint64_t n)
{
	unsigned __int128 v;
	if (n == 0)
		return 0;
	assert_true(n < (1ULL << 42));
	v = (unsigned __int128)(n - 1) * n * (2 * (unsigned __int128)n - 1);
	assert_true(v % 6 == 0);
	return (uint64_t)(v / 6);
}

static void test_cpu_sumsq_against_brute_force(void **state)
{
	static const uint64_t sizes[] = { 1000, 12345, 7, 240, 99991 };
	const int64_t sumsq = choice_of(&workload_cpu, "kernel", "sumsq");
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		static const uint64_t tasks[] = { 1, 3, 7 };
		for (size_t j = 0; j < ARRAY_SIZE(tasks); j++) {
			struct wl_params p = default_params(&workload_cpu);
			struct inst in;
			p.opt[opt_index(&workload_cpu, "kernel")] = sumsq;
			p.size = sizes[i];
			p.tasks = tasks[j];
			inst_init(&in, &workload_cpu, &p, 1, 1);
			assert_int_equal(in.w.ntasks, tasks[j]);
			assert_int_equal(in.w.items, sizes[i]);
			assert_int_equal(inst_run(&in), 0);
			assert_int_equal(in.checksum, brute_sumsq(0, sizes[i]));
			/* The tasks split 0..n-1 without gap or overlap: items add up to n and
			 * each task's numbers are a contiguous block. */
			{
				uint64_t lo = 0;
				for (size_t t = 0; t < in.w.ntasks; t++) {
					uint64_t hi = lo + in.outs[t].items;
					assert_int_equal(in.outs[t].checksum, brute_sumsq(lo, hi));
					lo = hi;
				}
				assert_int_equal(lo, sizes[i]);
			}
			inst_fini(&in);
		}
	}
	/* Weak scaling: scale 3 processes 3n numbers. */
	{
		struct wl_params p = default_params(&workload_cpu);
		struct inst in;
		p.size = 4321;
		p.tasks = 5;
		inst_init(&in, &workload_cpu, &p, 3, 3);
		assert_int_equal(in.w.items, 3 * 4321);
		assert_int_equal(inst_run(&in), 0);
		assert_int_equal(in.checksum, brute_sumsq(0, 3 * 4321));
		inst_fini(&in);
	}
}

static void test_cpu_sumsq_closed_form(void **state)
{
	uint64_t s = 0;
	(void)state;

	assert_int_equal(cpu_sumsq_closed(0), 0);
	assert_int_equal(cpu_sumsq_closed(1), 0);
	assert_int_equal(cpu_sumsq_closed(2), 1);
	assert_int_equal(cpu_sumsq_closed(3), 5);
	/* Every n up to 100000 against the running brute-force sum. */
	for (uint64_t n = 0; n <= 100000; n++) {
		if (cpu_sumsq_closed(n) != s)
			fail_msg("cpu_sumsq_closed(%llu) = %llu, brute force %llu",
				 (unsigned long long)n, (unsigned long long)cpu_sumsq_closed(n),
				 (unsigned long long)s);
		s += n * n;
	}
	/* Around 2^32 (where (n-1)n(2n-1) overflows 64 bits), and around other overflow
	 * points, against exact 128-bit arithmetic. */
	static const uint64_t centres[] = {
		1ULL << 21, 2642245ULL /* cube root of 2^64 */, 1ULL << 32, 3037000499ULL,
		3037000500ULL /* n^2 > 2^63 */, 1ULL << 33, (1ULL << 32) * 3, 1ULL << 40,
		(1ULL << 42) - 200,
	};
	for (size_t i = 0; i < ARRAY_SIZE(centres); i++)
		for (uint64_t n = centres[i] - 100; n <= centres[i] + 100; n++) {
			uint64_t want = sumsq_128(n);
			if (cpu_sumsq_closed(n) != want)
				fail_msg("cpu_sumsq_closed(%llu) = %llu, 128-bit %llu",
					 (unsigned long long)n,
					 (unsigned long long)cpu_sumsq_closed(n),
					 (unsigned long long)want);
			/* Consecutive values differ by n^2 mod 2^64. */
			assert_int_equal(cpu_sumsq_closed(n + 1) - cpu_sumsq_closed(n), n * n);
		}
	/* Pseudo-random n below 2^42. */
	{
		uint64_t x = 0x243F6A8885A308D3ULL;
		for (int i = 0; i < 100000; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			uint64_t n = x >> 22;
			assert_int_equal(cpu_sumsq_closed(n), sumsq_128(n));
		}
	}
	/* Beyond 2^42: the recurrence S(n+1) = S(n) + n^2 mod 2^64 still holds, up to the top. */
	static const uint64_t big[] = { 1ULL << 50, 1ULL << 62, 1ULL << 63, UINT64_MAX - 1000 };
	for (size_t i = 0; i < ARRAY_SIZE(big); i++)
		for (uint64_t n = big[i]; n < big[i] + 500; n++)
			assert_int_equal(cpu_sumsq_closed(n + 1) - cpu_sumsq_closed(n), n * n);
	/* Doubling near 2^62, by even and odd squares: S(2m) = sum (2i)^2 + sum (2i+1)^2
	 * = 4 S(m) + (4 S(m) + 2 m(m-1) + m), mod 2^64. */
	for (uint64_t m = (1ULL << 62) - 50; m < (1ULL << 62) + 50; m++) {
		uint64_t evens = 4 * cpu_sumsq_closed(m);                    /* sum (2i)^2 */
		uint64_t odds = 4 * cpu_sumsq_closed(m) + 2 * (m * (m - 1)) + m; /* sum (2i+1)^2 */
		assert_int_equal(cpu_sumsq_closed(2 * m), evens + odds);
	}
}

static int is_prime_naive(uint64_t v)
{
	if (v < 2)
		return 0;
	for (uint64_t d = 2; d < v; d++) {
		if (d * d > v)
			break;
		if (v % d == 0)
			return 0;
	}
	return 1;
}

static void test_cpu_primes(void **state)
{
	const int64_t primes = choice_of(&workload_cpu, "kernel", "primes");
	static const uint64_t sizes[] = { 10000, 20000, 2, 3, 4, 100, 10007, 10008 };
	uint64_t sum_by_size[ARRAY_SIZE(sizes)];
	(void)state;

	/* The naive method agrees with the known count of primes below 10^4. */
	{
		unsigned count = 0;
		for (uint64_t v = 0; v < 10000; v++)
			count += (unsigned)is_prime_naive(v);
		assert_int_equal(count, 1229);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct wl_params p = default_params(&workload_cpu);
		struct inst in;
		uint64_t want = 0;
		p.opt[opt_index(&workload_cpu, "kernel")] = primes;
		p.size = sizes[i];
		p.tasks = sizes[i] < 7 ? 1 : 7;
		inst_init(&in, &workload_cpu, &p, 1, 1);
		assert_int_equal(inst_run(&in), 0);
		/* Checksum: sum of mix64(p) over the primes p below size. */
		for (uint64_t v = 0; v < sizes[i]; v++)
			if (is_prime_naive(v))
				want += mix64(v);
		assert_int_equal(in.checksum, want);
		sum_by_size[i] = in.checksum;
		inst_fini(&in);
	}
	/* Changing the size changes the checksum when primes are added (20000 vs 10000,
	 * 10008 includes the prime 10007), not otherwise (10000 to 10007 adds none). */
	assert_int_not_equal(sum_by_size[0], sum_by_size[1]);
	assert_int_equal(sum_by_size[0], sum_by_size[6]);
	assert_int_not_equal(sum_by_size[6], sum_by_size[7]);
	assert_int_equal(sum_by_size[2], 0);              /* no prime below 2 */
	assert_int_equal(sum_by_size[3], mix64(2));
	assert_int_equal(sum_by_size[4], mix64(2) + mix64(3));
}

static void test_cpu_bad_params(void **state)
{
	struct wl_params p = default_params(&workload_cpu);
	struct wl_inst w;
	char err[256];
	(void)state;

	/* More tasks than numbers. */
	memset(&w, 0, sizeof(w));
	err[0] = 0;
	w.wl = &workload_cpu;
	p.size = 10;
	p.tasks = 11;
	w.p = p;
	w.workers = 1;
	w.scale = 1;
	assert_true(workload_cpu.init(&w, &test_machine, err, sizeof(err)) < 0);
	assert_true(err[0] != 0);
	workload_cpu.fini(&w);
	/* As many tasks as numbers is fine. */
	memset(&w, 0, sizeof(w));
	w.wl = &workload_cpu;
	p.tasks = 10;
	w.p = p;
	w.workers = 1;
	w.scale = 1;
	assert_int_equal(workload_cpu.init(&w, &test_machine, err, sizeof(err)), 0);
	workload_cpu.fini(&w);

	/* primes beyond its documented limit of 10^9 numbers. */
	memset(&w, 0, sizeof(w));
	err[0] = 0;
	w.wl = &workload_cpu;
	p.opt[opt_index(&workload_cpu, "kernel")] = choice_of(&workload_cpu, "kernel", "primes");
	p.size = 1000000001ULL;
	p.tasks = 0;
	w.p = p;
	w.workers = 1;
	w.scale = 1;
	assert_true(workload_cpu.init(&w, &test_machine, err, sizeof(err)) < 0);
	assert_true(err[0] != 0);
	workload_cpu.fini(&w);

	/* size x scale overflowing 64 bits. */
	memset(&w, 0, sizeof(w));
	err[0] = 0;
	w.wl = &workload_cpu;
	p.opt[0] = 0;
	p.size = UINT64_MAX / 2 + 1;
	w.p = p;
	w.workers = 2;
	w.scale = 2;
	assert_true(workload_cpu.init(&w, &test_machine, err, sizeof(err)) < 0);
	assert_true(err[0] != 0);
	workload_cpu.fini(&w);
}

/* ---- io ---- */

static void test_io_sleep(void **state)
{
	struct wl_params p = default_params(&workload_io);
	const int64_t dur = 2000000;   /* 2 ms */
	struct inst in;
	(void)state;

	p.opt[opt_index(&workload_io, "io")] = choice_of(&workload_io, "io", "sleep");
	p.opt[opt_index(&workload_io, "duration")] = dur;
	p.tasks = 4;
	inst_init(&in, &workload_io, &p, 1, 1);
	assert_int_equal(in.w.ntasks, 4);
	assert_int_equal(in.w.items, 4);
	assert_int_equal(in.w.data_bytes, 0);
	/* Each task sleeps at least the duration asked for. */
	in.outs = aligned_alloc(64, in.w.ntasks * sizeof(*in.outs));
	assert_non_null(in.outs);
	for (size_t t = 0; t < in.w.ntasks; t++) {
		int64_t t0 = now_ns();
		memset(&in.outs[t], 0, sizeof(in.outs[t]));
		in.outs[t].task = (uint32_t)t;
		assert_int_equal(workload_io.run_task(&in.w, NULL, t, &in.outs[t]), 0);
		in.outs[t].done = 1;
		assert_true(now_ns() - t0 >= dur);
	}
	{
		char err[256];
		uint64_t sum;
		assert_int_equal(workload_io.verify(&in.w, in.outs, &sum, err, sizeof(err)), 0);
	}
	inst_fini(&in);
}

static void test_io_file_tmpdir(void **state)
{
	struct wl_params p = default_params(&workload_io);
	struct tmpdir td;
	struct inst in;
	(void)state;

	p.opt[opt_index(&workload_io, "io")] = choice_of(&workload_io, "io", "file");
	p.size = 200 * 1024;   /* several 64 KiB chunks and a partial one */
	p.tasks = 6;
	tmpdir_enter(&td);
	inst_init(&in, &workload_io, &p, 1, 1);
	assert_int_equal(in.w.items, 6);
	/* init made its private directory under $TMPDIR (and nowhere else). */
	assert_int_equal(dir_entries(td.path), 1);
	assert_int_equal(inst_run(&in), 0);
	assert_int_equal(inst_run(&in), 0);
	inst_fini(&in);
	/* fini removed everything: the directory we made is empty again. */
	assert_int_equal(dir_entries(td.path), 0);
	tmpdir_leave(&td);

	/* A different size gives a different checksum (the content is read back). */
	{
		uint64_t a, b;
		tmpdir_enter(&td);
		p.size = 8 * 1024;
		inst_init(&in, &workload_io, &p, 1, 1);
		assert_int_equal(inst_run(&in), 0);
		a = in.checksum;
		inst_fini(&in);
		p.size = 16 * 1024;
		inst_init(&in, &workload_io, &p, 1, 1);
		assert_int_equal(inst_run(&in), 0);
		b = in.checksum;
		inst_fini(&in);
		assert_int_not_equal(a, b);
		tmpdir_leave(&td);
	}
}

static void expect_init_error(const struct workload *wl, const struct wl_params *p,
			      unsigned scale, const char *what)
{
	struct wl_inst w;
	char err[256] = "";
	int rc;
	memset(&w, 0, sizeof(w));
	w.wl = wl;
	w.p = *p;
	w.workers = scale;
	w.scale = scale;
	rc = wl->init(&w, &test_machine, err, sizeof(err));
	if (rc >= 0)
		fail_msg("%s: %s accepted, expected an error", wl->name, what);
	if (!err[0])
		fail_msg("%s: %s rejected without a message", wl->name, what);
	if (wl->fini)
		wl->fini(&w);   /* safe after a failed init */
}

static void test_io_bad_params(void **state)
{
	struct wl_params p = default_params(&workload_io);
	const int io = opt_index(&workload_io, "io");
	struct tmpdir td;
	(void)state;

	tmpdir_enter(&td);
	p.opt[io] = choice_of(&workload_io, "io", "sleep");
	p.size = 4096;
	expect_init_error(&workload_io, &p, 1, "--io sleep with --size");
	p.size = 0;
	p.tasks = WL_MAX_TASKS;
	expect_init_error(&workload_io, &p, 2, "more than WL_MAX_TASKS tasks in all");
	p.opt[io] = choice_of(&workload_io, "io", "file");
	p.tasks = 4;
	p.size = 1001;
	expect_init_error(&workload_io, &p, 1, "a file size not a multiple of 8");
	p.size = (4ULL << 30) + 8;
	expect_init_error(&workload_io, &p, 1, "a file size above 4G");
	tmpdir_leave(&td);

	/* An unusable TMPDIR is reported, not ignored. */
	{
		char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
		setenv("TMPDIR", "/nonexistent/cb-test-dir", 1);
		p.size = 4096;
		expect_init_error(&workload_io, &p, 1, "TMPDIR that does not exist");
		if (old)
			setenv("TMPDIR", old, 1);
		else
			unsetenv("TMPDIR");
		free(old);
	}
}

/* ---- mem ---- */

static void test_mem_triad_data_and_items(void **state)
{
	struct wl_params p = default_params(&workload_mem);
	struct inst in;
	const uint64_t size = 24 * 10000 + 17;   /* not a multiple of 24 */
	(void)state;

	p.opt[opt_index(&workload_mem, "pattern")] = choice_of(&workload_mem, "pattern", "triad");
	p.size = size;
	p.tasks = 9;
	inst_init(&in, &workload_mem, &p, 1, 1);
	/* Three arrays of doubles in --size bytes: 24 bytes per element, counted that way; the
	 * data region adds one visit counter per task. */
	assert_int_equal(in.w.items, size / 24 * 24);
	assert_int_equal(in.w.data_bytes, size / 24 * 24 + in.w.ntasks * sizeof(uint64_t));
	assert_int_equal(in.w.tasks_own_data, 1);
	assert_int_equal(inst_run(&in), 0);
	/* a = b + s c with one scalar s for every element, b and c not all zero. */
	{
		uint64_t n = in.w.items / 24;
		const double *a = in.data, *b = a + n, *c = b + n;
		double s = 0;
		int nonzero = 0;
		for (uint64_t i = 0; i < n; i++) {
			if (c[i] != 0 && s == 0)
				s = (a[i] - b[i]) / c[i];
			nonzero |= b[i] != 0 && c[i] != 0;
		}
		assert_true(nonzero);
		assert_true(s == 3.0);   /* documented: b + 3c, exact for small integers */
		for (uint64_t i = 0; i < n; i++)
			if (a[i] != b[i] + s * c[i])
				fail_msg("triad a[%llu] = %g, b + s c = %g", (unsigned long long)i, a[i],
					 b[i] + s * c[i]);
	}
	inst_fini(&in);
}

/* A repetition that leaves a[] as the previous one wrote it must not verify. Expected:
 * -EBADMSG; before the scalar alternated between a task's visits, the stale a[] verified.
 * The skipping task is simulated from mem.c's documented contract: visit 2 uses the scalar
 * 5, and the checksum samples a - s*c at i = 4096k + 1237. */
static void test_mem_triad_stale_output_fails_verify(void **state)
{
	struct wl_params p = default_params(&workload_mem);
	struct inst in;
	char err[256] = "";
	uint64_t sum, n;
	struct task_out *outs;
	const double *a, *c;
	(void)state;

	p.opt[opt_index(&workload_mem, "pattern")] = choice_of(&workload_mem, "pattern", "triad");
	p.size = 24 * 100000;
	p.tasks = 4;
	inst_init(&in, &workload_mem, &p, 1, 1);
	assert_int_equal(inst_run(&in), 0);          /* visit 1: a = b + 3c, verifies */
	n = in.w.items / 24;
	a = in.data;
	c = a + 2 * n;
	outs = aligned_alloc(64, in.w.ntasks * sizeof(*outs));
	assert_non_null(outs);
	for (size_t t = 0; t < in.w.ntasks; t++) {
		uint64_t lo = n * t / in.w.ntasks, hi = n * (t + 1) / in.w.ntasks, s = 0;
		for (uint64_t i = lo + (4096 + 1237 - lo % 4096) % 4096; i < hi; i += 4096) {
			double v = a[i] - 5.0 * c[i];      /* visit 2's scalar on visit 1's output */
			uint64_t bits;
			memcpy(&bits, &v, sizeof(bits));
			s += mix64(bits ^ i);
		}
		memset(&outs[t], 0, sizeof(outs[t]));
		outs[t].task = (uint32_t)t;
		outs[t].done = 1;
		outs[t].checksum = s;
		outs[t].items = (hi - lo) * 24;
	}
	assert_int_equal(workload_mem.verify(&in.w, outs, &sum, err, sizeof(err)), -EBADMSG);
	/* And the real visit 2 writes a different a[] (b + 5c), which verifies: the output
	 * depends on the visit, which is what makes a stale one detectable. */
	{
		double *before = malloc(n * sizeof(double));
		size_t changed = 0;
		assert_non_null(before);
		memcpy(before, a, n * sizeof(double));
		for (size_t t = 0; t < in.w.ntasks; t++) {      /* no prepare: a second visit */
			memset(&outs[t], 0, sizeof(outs[t]));
			outs[t].task = (uint32_t)t;
			outs[t].done = 1;
			assert_int_equal(workload_mem.run_task(&in.w, in.data, t, &outs[t]), 0);
		}
		assert_int_equal(workload_mem.verify(&in.w, outs, &sum, err, sizeof(err)), 0);
		for (uint64_t i = 0; i < n; i++)
			changed += c[i] != 0 && a[i] != before[i];
		assert_true(changed > n / 2);
		free(before);
	}
	free(outs);
	inst_fini(&in);
}

/* Verification must notice a triad that ran on data prepare() never filled, e.g. an
 * executor that forgot to prepare in a worker with fresh (zeroed) memory: the arrays a, b
 * and c are then all zero and a = b + 3c computes zeros, not the reference's values. */
static void test_mem_triad_unprepared_data_fails_verify(void **state)
{
	struct wl_params p = default_params(&workload_mem);
	struct inst in;
	char err[256] = "";
	uint64_t sum;
	int rc;
	(void)state;

	p.opt[opt_index(&workload_mem, "pattern")] = choice_of(&workload_mem, "pattern", "triad");
	p.size = 24 * 8192 * 5;
	p.tasks = 10;
	inst_init(&in, &workload_mem, &p, 1, 1);
	in.data = calloc(1, in.w.data_bytes);   /* fresh memory, never prepared */
	in.outs = aligned_alloc(64, in.w.ntasks * sizeof(*in.outs));
	assert_non_null(in.data);
	assert_non_null(in.outs);
	for (size_t t = 0; t < in.w.ntasks; t++) {
		memset(&in.outs[t], 0, sizeof(in.outs[t]));
		in.outs[t].task = (uint32_t)t;
		assert_int_equal(workload_mem.run_task(&in.w, in.data, t, &in.outs[t]), 0);
		in.outs[t].done = 1;
	}
	rc = workload_mem.verify(&in.w, in.outs, &sum, err, sizeof(err));
	inst_fini(&in);
	if (rc != -EBADMSG)
		print_error("triad over unprepared (all-zero) arrays verified (rc %d)\n", rc);
	assert_int_equal(rc, -EBADMSG);
}

static void test_mem_touch_items(void **state)
{
	struct wl_params p = default_params(&workload_mem);
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct inst in;
	(void)state;

	p.opt[opt_index(&workload_mem, "pattern")] = choice_of(&workload_mem, "pattern", "touch");
	p.size = 37 * page + 5;
	p.tasks = 4;
	inst_init(&in, &workload_mem, &p, 1, 1);
	assert_int_equal(in.w.items, 37);      /* whole pages */
	assert_int_equal(in.w.data_bytes, 0);  /* maps its own memory */
	assert_int_equal(inst_run(&in), 0);
	inst_fini(&in);
}

static void test_mem_defaults(void **state)
{
	struct wl_params p = default_params(&workload_mem);
	struct machine big = test_machine;
	struct wl_inst w;
	char err[256];
	(void)state;

	/* Documented: triad 4x the last-level cache but at least 512M; touch 256M. */
	memset(&w, 0, sizeof(w));
	w.wl = &workload_mem;
	w.p = p;
	w.workers = w.scale = 1;
	assert_int_equal(workload_mem.init(&w, &test_machine, err, sizeof(err)), 0);
	assert_int_equal(w.p.size, 512 * MiB);
	assert_true(w.p.tasks >= 1);
	workload_mem.fini(&w);

	big.llc_bytes = 256 * MiB;
	memset(&w, 0, sizeof(w));
	w.wl = &workload_mem;
	w.p = p;
	w.workers = w.scale = 1;
	assert_int_equal(workload_mem.init(&w, &big, err, sizeof(err)), 0);
	assert_int_equal(w.p.size, 1024 * MiB);
	workload_mem.fini(&w);

	memset(&w, 0, sizeof(w));
	w.wl = &workload_mem;
	w.p = p;
	w.p.opt[opt_index(&workload_mem, "pattern")] = choice_of(&workload_mem, "pattern", "touch");
	w.workers = w.scale = 1;
	assert_int_equal(workload_mem.init(&w, &test_machine, err, sizeof(err)), 0);
	assert_int_equal(w.p.size, 256 * MiB);
	workload_mem.fini(&w);
}

static void test_mem_bad_params(void **state)
{
	struct wl_params p = default_params(&workload_mem);
	const int pat = opt_index(&workload_mem, "pattern");
	struct wl_inst w;
	char err[256];
	(void)state;

	for (int k = 0; workload_mem.options[pat].choices[k]; k++) {
		p.opt[pat] = k;
		p.tasks = 0;
		/* More than half of the machine's 8 GiB. */
		p.size = 4 * GiB + 4096;
		expect_init_error(&workload_mem, &p, 1, "--size above half of memory");
		/* Weak scaling counts the total. */
		p.size = 3 * GiB;
		expect_init_error(&workload_mem, &p, 2, "--size x workers above half of memory");
		/* Exactly half is accepted (init maps nothing). */
		p.size = 4 * GiB;
		memset(&w, 0, sizeof(w));
		w.wl = &workload_mem;
		w.p = p;
		w.workers = w.scale = 1;
		assert_int_equal(workload_mem.init(&w, &test_machine, err, sizeof(err)), 0);
		workload_mem.fini(&w);
		/* Too many tasks. */
		p.size = 64 * MiB;
		p.tasks = WL_MAX_TASKS + 1;
		expect_init_error(&workload_mem, &p, 1, "more than WL_MAX_TASKS tasks");
	}
	/* Too little data for the tasks. */
	p.opt[pat] = choice_of(&workload_mem, "pattern", "triad");
	p.size = 24 * 10 - 1;
	p.tasks = 10;
	expect_init_error(&workload_mem, &p, 1, "triad with under 24 bytes per task");
	p.opt[pat] = choice_of(&workload_mem, "pattern", "touch");
	p.size = (uint64_t)sysconf(_SC_PAGESIZE) * 3;
	p.tasks = 4;
	expect_init_error(&workload_mem, &p, 1, "touch with under a page per task");
}

/* ---- the latency workloads of cores --latency ---- */

/* Apart from the workload commands: no command, suite or --workload list finds them. */
static void test_pong_registry(void **state)
{
	char why[256] = "";
	(void)state;
	assert_int_equal(cb_ninternal_workloads, 4);
	assert_ptr_equal(cb_internal_workloads[0], &workload_pingpong);
	assert_ptr_equal(cb_internal_workloads[1], &workload_pipepong);
	assert_ptr_equal(cb_internal_workloads[2], &workload_contend);
	assert_ptr_equal(cb_internal_workloads[3], &workload_cow);
	assert_null(workload_find("contend"));
	assert_null(workload_find("pingpong"));
	assert_null(workload_find("pipepong"));
	assert_int_equal(registry_check(why, sizeof(why)), 0);
	/* The cache line needs one data region for both workers; the pipes do not. */
	assert_int_equal(workload_runs_on(&workload_pingpong, &executor_thread, why, sizeof(why)), 0);
	assert_int_equal(workload_runs_on(&workload_pingpong, &executor_shm, why, sizeof(why)), 0);
	assert_int_equal(workload_runs_on(&workload_pingpong, &executor_fork, why, sizeof(why)),
			 -ENOTSUP);
	assert_non_null(strstr(why, "pingpong needs a data region its workers share"));
	for (size_t i = 0; i < cb_nexecutors; i++)
		assert_int_equal(workload_runs_on(&workload_pipepong, cb_executors[i], why,
						  sizeof(why)), 0);
}

/* Two workers, two tasks, nothing else; the counts are round trips. */
static void test_pong_init(void **state)
{
	static const struct workload *const wls[] = { &workload_pingpong, &workload_pipepong };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(wls); i++) {
		struct wl_params p = { .size = 123 };
		struct inst in;
		char err[256] = "";
		struct wl_inst w = { .wl = wls[i], .p = p, .workers = 3, .scale = 1 };

		inst_init(&in, wls[i], &p, 2, 2);
		assert_int_equal(in.w.ntasks, 2);
		assert_int_equal(in.w.tasks_own_data, 1);
		assert_int_equal(in.w.items, 246);
		assert_string_equal(in.w.unit, "round trips");
		assert_int_equal(in.w.data_bytes, wls[i] == &workload_pingpong ? 64 : 0);
		inst_fini(&in);

		assert_int_equal(wls[i]->init(&w, &test_machine, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "needs exactly 2 workers"));
		wls[i]->fini(&w);
		w.workers = 2;
		w.p.tasks = 4;
		err[0] = 0;
		assert_int_equal(wls[i]->init(&w, &test_machine, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "--tasks"));
		wls[i]->fini(&w);
	}
}

/* A repetition cut short on either side is caught: each task must report every round trip. */
static void test_pong_verify_counts(void **state)
{
	static const struct workload *const wls[] = { &workload_pingpong, &workload_pipepong };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(wls); i++) {
		struct wl_params p = { .size = 50 };
		struct inst in;
		uint64_t sum = 0;
		char err[256] = "";

		inst_init(&in, wls[i], &p, 2, 1);
		in.outs = aligned_alloc(64, 2 * sizeof(*in.outs));
		assert_non_null(in.outs);
		memset(in.outs, 0, 2 * sizeof(*in.outs));
		for (size_t t = 0; t < 2; t++) {
			in.outs[t].task = (uint32_t)t;
			in.outs[t].done = 1;
			in.outs[t].checksum = 50;
		}
		assert_int_equal(wls[i]->verify(&in.w, in.outs, &sum, err, sizeof(err)), 0);
		assert_int_equal(sum, 100);
		for (size_t t = 0; t < 2; t++) {
			in.outs[t].checksum = 49;
			err[0] = 0;
			assert_int_equal(wls[i]->verify(&in.w, in.outs, &sum, err, sizeof(err)),
					 -EBADMSG);
			assert_non_null(strstr(err, t ? "the responder completed 49 round trips, "
						    "expected 50" : "the initiator completed 49"));
			in.outs[t].checksum = 50;
		}
		inst_fini(&in);
	}
}

/* One verified cell of a latency workload on an executor: warm-up and 3 repetitions, each
 * worker timed; returns cell_run's rc (e says why). */
static int pong_cell(const struct workload *wl, const struct executor *ex, struct cb_err *e)
{
	struct wl_params p = { .size = 300 };
	struct cell_cfg c = { .warmup = 1, .timeout_ns = 30LL * 1000000000LL };
	struct run_result r = { .wl = wl, .ex = ex, .workers = 2, .scale = 1 };
	struct inst in;
	int rc;

	inst_init(&in, wl, &p, 2, 1);
	rc = cell_run(&c, &in.w, ex, &r, 3, e);
	if (rc == 0) {
		assert_int_equal(r.nsamples, 3);
		assert_int_equal(r.checksum, 600);
		for (unsigned i = 0; i < 3 * 2; i++)
			assert_true(r.worker_s[i] > 0);
	}
	run_result_free(&r);
	inst_fini(&in);
	return rc;
}

/* cow (footprint's instrument): every task writes and reads back a byte of each page of its
 * slice; a changed result fails verification, the real one passes. */
static void test_cow_verifies(void **state)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), sum;
	struct wl_params p = { .size = 64 * page, .tasks = 8 };
	struct task_out saved;
	struct inst in;
	char err[256] = "";
	(void)state;

	inst_init(&in, &workload_cow, &p, 2, 1);
	assert_int_equal(in.w.items, 64);
	assert_int_equal(inst_run(&in), 0);
	saved = in.outs[3];
	in.outs[3].checksum ^= 1;
	assert_int_equal(workload_cow.verify(&in.w, in.outs, &sum, err, sizeof(err)), -EBADMSG);
	in.outs[3] = saved;
	assert_int_equal(workload_cow.verify(&in.w, in.outs, &sum, err, sizeof(err)), 0);
	inst_fini(&in);
}

static void test_pong_runs_on_executors(void **state)
{
	struct cb_err e = { 0 };
	(void)state;
	assert_int_equal(pong_cell(&workload_pingpong, &executor_thread, &e), 0);
	assert_int_equal(pong_cell(&workload_pingpong, &executor_shm, &e), 0);
	assert_int_equal(pong_cell(&workload_pipepong, &executor_thread, &e), 0);
	assert_int_equal(pong_cell(&workload_pipepong, &executor_fork, &e), 0);
	assert_int_equal(pong_cell(&workload_pipepong, &executor_shm, &e), 0);
	/* Fork's workers each have their own copy of the line: refused before anything runs. */
	assert_int_equal(pong_cell(&workload_pingpong, &executor_fork, &e), -ENOTSUP);
	assert_non_null(strstr(e.msg, "pingpong on fork with 2 workers: pingpong needs a data "
			       "region its workers share, and fork gives each worker its own"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_complete),
		cmocka_unit_test(test_every_workload_verifies),
		cmocka_unit_test(test_weak_scaling_doubles_items),
		cmocka_unit_test(test_cpu_sumsq_against_brute_force),
		cmocka_unit_test(test_cpu_sumsq_closed_form),
		cmocka_unit_test(test_cpu_primes),
		cmocka_unit_test(test_cpu_bad_params),
		cmocka_unit_test(test_io_sleep),
		cmocka_unit_test(test_io_file_tmpdir),
		cmocka_unit_test(test_io_bad_params),
		cmocka_unit_test(test_mem_triad_data_and_items),
		cmocka_unit_test(test_mem_triad_stale_output_fails_verify),
		cmocka_unit_test(test_mem_triad_unprepared_data_fails_verify),
		cmocka_unit_test(test_mem_touch_items),
		cmocka_unit_test(test_mem_defaults),
		cmocka_unit_test(test_mem_bad_params),
		cmocka_unit_test(test_pong_registry),
		cmocka_unit_test(test_pong_init),
		cmocka_unit_test(test_pong_verify_counts),
		cmocka_unit_test(test_pong_runs_on_executors),
		cmocka_unit_test(test_cow_verifies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
