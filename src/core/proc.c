/* SPDX-License-Identifier: MIT */
/* proc: worker processes' set-up, death and reaping (see proc.h). */
#define _GNU_SOURCE
#include "core/proc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

void describe_status(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		cb_fmt(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		cb_fmt(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		cb_fmt(buf, len, "stopped (status 0x%x)", status);
}

void child_setup(pid_t parent)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent died before the death signal was armed: we were reparented. Compare with
	 * its pid, not with 1: as a container's init the coordinator itself is pid 1. */
	if (getppid() != parent)
		_exit(1);
}

void reap_all(pid_t *pids, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (pids[k] > 0)
			kill(pids[k], SIGKILL);
	for (unsigned k = 0; k < n; k++) {
		if (pids[k] > 0) {
			while (waitpid(pids[k], NULL, 0) < 0 && errno == EINTR)
				;
			pids[k] = 0;
		}
	}
}

int children_check(pid_t *pids, unsigned n, struct cb_err *e)
{
	for (unsigned k = 0; k < n; k++) {
		int status;
		char how[96];
		if (pids[k] <= 0 || waitpid(pids[k], &status, WNOHANG) != pids[k])
			continue;
		describe_status(status, how, sizeof(how));
		cb_err_set(e, -ECHILD, "worker %u (pid %d) %s", k, (int)pids[k], how);
		pids[k] = 0;
		return -ECHILD;
	}
	return 0;
}

void children_stop(pid_t *pids, unsigned n, int64_t grace_ns)
{
	int64_t end = now_ns() + grace_ns;
	for (;;) {
		unsigned left = 0;
		for (unsigned k = 0; k < n; k++) {
			if (pids[k] <= 0)
				continue;
			if (waitpid(pids[k], NULL, WNOHANG) == pids[k])
				pids[k] = 0;
			else
				left++;
		}
		if (!left || now_ns() >= end)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	reap_all(pids, n);
	/* As a container's init (pid 1) we also inherit every orphan in the namespace: reap
	 * those that have ended, so that none stays a zombie for the run's lifetime. */
	if (getpid() == 1)
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
}
