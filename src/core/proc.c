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
#include "core/fault.h"

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

int children_reap_one(pid_t *pids, unsigned n, unsigned *k, int *status, pid_t *pid)
{
	for (unsigned i = 0; i < n; i++) {
		if (pids[i] <= 0 || waitpid(pids[i], status, WNOHANG) != pids[i])
			continue;
		*k = i;
		*pid = pids[i];
		pids[i] = 0;
		return 1;
	}
	return 0;
}

int child_died_err(struct cb_err *e, unsigned k, pid_t pid, int status)
{
	char how[96];
	describe_status(status, how, sizeof(how));
	cb_err_set(e, -ECHILD, "worker %u (pid %d) %s", k, (int)pid, how);
	return -ECHILD;
}

int children_check(pid_t *pids, unsigned n, struct cb_err *e)
{
	unsigned k;
	int status;
	pid_t pid;
	if (!children_reap_one(pids, n, &k, &status, &pid))
		return 0;
	return child_died_err(e, k, pid, status);
}

void crash_note_take(struct crash_note *n, int sig, size_t task, size_t hi)
{
	int64_t at;
	unsigned injected;

	n->signal = sig;
	n->task = (unsigned)task;
	n->lost = (unsigned)(hi - task);
	n->at_ns = 0;
	n->detect_ns = -1;
	/* Only the injected crash has a known time: a worker that dies by itself does not
	 * say when. */
	if (fault_inject_fired(&at, &injected) && injected == task && at > 0) {
		n->at_ns = at;
		n->detect_ns = now_ns() - at;
	}
}

void crash_notes_publish(struct crash_note *n, unsigned workers, struct worker_rec *recs,
			 int64_t recovered_at)
{
	for (unsigned k = 0; k < workers; k++) {
		struct worker_rec *r = &recs[k];
		r->crash_signal = n[k].signal;
		if (!n[k].signal)
			continue;
		r->crash_task = n[k].task;
		r->crash_lost = n[k].lost;
		r->crash_detect_ns = n[k].detect_ns;
		r->crash_recover_ns = n[k].at_ns && recovered_at > n[k].at_ns ?
			recovered_at - n[k].at_ns : -1;
		memset(&n[k], 0, sizeof(n[k]));
	}
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
