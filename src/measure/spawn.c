/* SPDX-License-Identifier: MIT */
/* spawn: the create-and-reap loops of `concbench spawn`, one timed call each.
 *
 * Every call takes the clock before the worker is made and after it is reaped, so a sample
 * is the whole life of a worker that does nothing: what a program pays per worker when it
 * makes them on demand. The exec'd helper is concbench itself with SPAWN_NOOP_ARG, which
 * main() checks before anything else, so the sample holds the exec and the dynamic loader
 * of this binary and no work of its own. */
#define _GNU_SOURCE
#include "measure/spawn.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "core/proc.h"
#include "core/sync.h"

extern char **environ;

const char *spawn_mech_name(enum spawn_mech m)
{
	static const char *const names[SPAWN_NMECH] = {
		[SPAWN_THREAD] = "pthread_create+join", [SPAWN_FORK] = "fork+wait",
		[SPAWN_VFORK_EXEC] = "vfork+exec+wait", [SPAWN_POSIX_SPAWN] = "posix_spawn+wait",
	};
	return m < SPAWN_NMECH ? names[m] : "?";
}

int spawn_rss_hold(struct spawn_rss *r, uint64_t bytes, struct cb_err *e)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t npages, resident = 0;
	unsigned char *vec;

	memset(r, 0, sizeof(*r));
	if (bytes == 0)
		return 0;
	r->p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->p == MAP_FAILED) {
		int rc = -errno;
		r->p = NULL;
		cb_err_set(e, rc, "cannot map %llu bytes: %s", (unsigned long long)bytes,
			   strerror(-rc));
		return rc;
	}
	r->len = bytes;
	npages = (bytes + (size_t)page - 1) / (size_t)page;
	/* A write to every page: the zero page is shared and read faults would map only it.
	 * Gigabytes take seconds: a stop signal is looked at every 256 MiB or so. */
	for (size_t i = 0; i < npages; i++) {
		if ((i & 0xffff) == 0 && cb_stop_signal) {
			spawn_rss_release(r);
			cb_err_set(e, -EINTR, "interrupted by %s", stop_signal_name());
			return -EINTR;
		}
		((volatile unsigned char *)r->p)[i * (size_t)page] = (unsigned char)(i | 1);
	}
	vec = malloc(npages ? npages : 1);
	if (!vec || mincore(r->p, bytes, vec) < 0) {
		int rc = vec ? -errno : -ENOMEM;
		free(vec);
		spawn_rss_release(r);
		cb_err_set(e, rc, "cannot count the resident pages: %s", strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < npages; i++)
		resident += vec[i] & 1;
	free(vec);
	r->resident = resident * (size_t)page;
	return 0;
}

void spawn_rss_release(struct spawn_rss *r)
{
	if (r->p)
		munmap(r->p, r->len);
	memset(r, 0, sizeof(*r));
}

static void *thread_noop(void *arg)
{
	return arg;
}

/* A child made by vfork shares the parent's memory until it execs: it may call execve and
 * _exit only. Kept apart so that nothing of the caller's frame is live across it. */
static pid_t helper_vfork(const char *helper, char *const argv[])
{
	/* vfork is what is measured here, obsolescent or not. */
	/* cppcheck-suppress vforkCalled */
	pid_t pid = vfork();   /* NOLINT(clang-analyzer-security.insecureAPI.vfork) */
	if (pid == 0) {
		execve(helper, argv, environ);
		_exit(127);
	}
	return pid;
}

/* Reap pid, which was told nothing and ends by itself. 0 when it exited 0. */
static int reap_child(pid_t pid, const char *what, struct cb_err *e)
{
	int status = 0;
	char how[160];

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			int rc = -errno;
			cb_err_set(e, rc, "%s: cannot reap process %d: %s", what, (int)pid,
				   strerror(-rc));
			return rc;
		}
	if (cb_stop_signal) {
		cb_err_set(e, -EINTR, "interrupted by %s", stop_signal_name());
		return -EINTR;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	describe_status(status, how, sizeof(how));
	cb_err_set(e, -ECHILD, "%s: the child %s", what, how);
	return -ECHILD;
}

int spawn_once(enum spawn_mech m, const char *helper, double *s, struct cb_err *e)
{
	char *argv[] = { (char *)helper, (char *)SPAWN_NOOP_ARG, NULL };
	const char *what = spawn_mech_name(m);
	int64_t t0, t1;
	pthread_t th;
	pid_t pid = -1;
	int rc = 0;

	if (cb_stop_signal) {
		cb_err_set(e, -EINTR, "interrupted by %s", stop_signal_name());
		return -EINTR;
	}
	t0 = now_ns();
	switch (m) {
	case SPAWN_THREAD:
		rc = -pthread_create(&th, NULL, thread_noop, NULL);
		if (rc == 0)
			rc = -pthread_join(th, NULL);
		if (rc < 0) {
			cb_err_set(e, rc, "%s: %s", what, strerror(-rc));
			return rc;
		}
		break;
	case SPAWN_FORK:
		pid = fork();
		if (pid == 0)
			_exit(0);
		break;
	case SPAWN_VFORK_EXEC:
		pid = helper_vfork(helper, argv);
		break;
	case SPAWN_POSIX_SPAWN:
		rc = -posix_spawn(&pid, helper, NULL, NULL, argv, environ);
		if (rc < 0) {
			cb_err_set(e, rc, "%s: cannot start %s: %s", what, helper, strerror(-rc));
			return rc;
		}
		break;
	default:
		cb_err_set(e, -EINVAL, "no such mechanism");
		return -EINVAL;
	}
	if (m != SPAWN_THREAD) {
		if (pid < 0) {
			rc = -errno;
			cb_err_set(e, rc, "%s: %s", what, strerror(-rc));
			return rc;
		}
		rc = reap_child(pid, what, e);
		if (rc < 0)
			return rc;
	}
	t1 = now_ns();
	*s = (double)(t1 - t0) / 1e9;
	return 0;
}

int spawn_pool_once(const struct executor *ex, const struct wl_inst *w, double *s,
		    struct cb_err *e)
{
	struct pool_cfg cfg = { .w = w, .workers = w->workers,
				.deadline_ns = now_ns() + 60LL * 1000000000LL };
	struct pool *pool = NULL;
	int64_t startup_ns = 0;
	int rc;

	if (cb_stop_signal) {
		cb_err_set(e, -EINTR, "interrupted by %s", stop_signal_name());
		return -EINTR;
	}
	rc = ex->start(&cfg, &pool, &startup_ns, e);
	if (rc < 0)
		return rc;
	ex->stop(pool);
	*s = (double)startup_ns / 1e9 / w->workers;
	return 0;
}
