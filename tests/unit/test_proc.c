/* SPDX-License-Identifier: MIT */
/* Process management: the fork executor's start-up when an allocation fails. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/fault.h"
#include "core/registry.h"
#include "core/sync.h"
#include "core/workload.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1      /* they reserve terabytes of address space: no RLIMIT_AS */
#else
#define UNDER_SANITIZER 0
#endif

static const struct machine test_machine = { .pus = 2, .llc_bytes = 1 << 20,
					     .mem_bytes = 8ULL << 30 };

static unsigned long vm_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (unsigned long)sysconf(_SC_PAGESIZE);
}

/* In a child: fd 0 open on /dev/null, the address space capped so that the pool's first
 * per-worker arrays fit and a later one does not, then fork_start. Exit 0: it failed
 * cleanly and fd 0 is still open; 1: fd 0 was closed; 2: it started; 77: cannot test. */
static int start_with_failing_allocation(void)
{
	const struct workload *wl = workload_find("cpu");
	const struct executor *x = executor_find("fork");
	const unsigned n = 1u << 24;          /* 64 MiB per int array, 512 MiB of messages */
	struct wl_inst w;
	struct pool_cfg cfg;
	struct pool *p = NULL;
	struct cb_err e = { 0 };
	struct rlimit rl;
	int64_t startup;
	char err[256];
	void *probe;
	int fd;

	if (!wl || !x)
		return 77;
	memset(&w, 0, sizeof(w));
	w.wl = wl;
	w.p.size = 1000;
	w.p.tasks = 1;
	w.workers = 1;
	w.scale = 1;
	if (wl->init(&w, &test_machine, err, sizeof(err)) < 0)
		return 77;
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		return 77;
	rl.rlim_cur = rl.rlim_max = vm_bytes() + (256UL << 20);
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		return 77;
	probe = malloc(300UL << 20);          /* the cap must hold, or fork_start would fork */
	if (probe) {
		free(probe);
		return 77;
	}
	cfg = (struct pool_cfg){ .w = &w, .workers = n, .deadline_ns = INT64_MAX };
	if (x->start(&cfg, &p, &startup, &e) == 0) {
		x->stop(p);
		return 2;
	}
	return fcntl(0, F_GETFD) < 0 ? 1 : 0;
}

/* fork_start used to close every descriptor its arrays held on this path, before it had
 * set them to -1: with fresh (zeroed) memory that closed fd 0 over and over. */
static void test_fork_start_allocation_failure(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (UNDER_SANITIZER)
		skip();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(start_with_failing_allocation());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	if (WEXITSTATUS(status) == 1)
		fail_msg("fork_start closed fd 0, which it never opened");
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The test-only faults: each kind by name, and nothing else. */
static void test_fault_kinds(void **state)
{
	static const char *const good[] = { "fork:crash:1", "shm:hang:0", "thread:slowstart:7",
					    "fork:bindfail:1", "thread:initfail:0", "thread:slow:2" };
	static const char *const bad[] = { "fork:bogus:1", "fork:hang:-1", "fork:hang", "fork:hang:1x",
					   ":hang:1", "FORK:hang:1" };
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (fault_parse(good[i]) != 0)
			fail_msg("'%s' rejected", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fault_parse(bad[i]) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(fault_parse("thread:initfail:0"), 0);
	assert_true(fault_initfail("thread"));
	assert_false(fault_initfail("fork"));
	assert_int_equal(fault_parse("fork:crash:0"), 0);
	assert_false(fault_initfail("fork"));
}

/* A full device: the error says so, whatever errno held before. */
static void test_write_full_reports_enospc(void **state)
{
	char buf[4096] = { 0 };
	int fd = open("/dev/full", O_WRONLY);
	(void)state;
	if (fd < 0)
		skip();
	errno = EAGAIN;
	assert_int_equal(cb_write_full(fd, buf, sizeof(buf)), -ENOSPC);
	close(fd);
}

/* With a worker thread stuck inside a task, run.c ends the process right after fini: fini
 * must remove the temporary files but free nothing a task reads (it used to free the
 * instance the stuck thread was reading). */
static void test_fini_keeps_instance_of_stuck_thread(void **state)
{
	static const struct { const char *wl; uint64_t size; int64_t opt0; } cases[] = {
		{ "cpu", 100000, 0 }, { "mem", 1 << 20, 0 }, { "io", 64 * 1024, 1 /* file */ },
	};
	char tmp[] = "/tmp/concbench-test-XXXXXX";
	_Atomic int stuck = 0;
	(void)state;
	assert_non_null(mkdtemp(tmp));
	setenv("TMPDIR", tmp, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct workload *wl = workload_find(cases[i].wl);
		struct wl_inst w;
		char err[256] = "";
		assert_non_null(wl);
		memset(&w, 0, sizeof(w));
		w.wl = wl;
		w.p.size = cases[i].size;
		w.p.tasks = 4;
		w.p.opt[0] = cases[i].opt0;
		w.workers = 2;
		w.scale = 1;
		w.stuck = &stuck;    /* what the instance says, not a global */
		if (wl->init(&w, &test_machine, err, sizeof(err)) < 0)
			fail_msg("%s: init: %s", cases[i].wl, err);
		assert_non_null(w.priv);
		atomic_store(&stuck, 1);
		wl->fini(&w);
		atomic_store(&stuck, 0);
		if (!w.priv)
			fail_msg("%s: fini freed the instance a stuck thread may read", cases[i].wl);
		/* The files are gone all the same: the directory is empty again. */
		assert_int_equal(rmdir(tmp), 0);
		assert_int_equal(mkdir(tmp, 0700), 0);
		wl->fini(&w);      /* now for real: nothing leaks */
	}
	unsetenv("TMPDIR");
	assert_int_equal(rmdir(tmp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_kinds),
		cmocka_unit_test(test_fini_keeps_instance_of_stuck_thread),
		cmocka_unit_test(test_write_full_reports_enospc),
		cmocka_unit_test(test_fork_start_allocation_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
