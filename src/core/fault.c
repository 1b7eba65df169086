/* SPDX-License-Identifier: MIT */
/* fault: test-only fault injection (see fault.h). */
#include "core/fault.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "core/sync.h"

enum fault_kind { FAULT_NONE, FAULT_CRASH, FAULT_HANG, FAULT_SLOWSTART, FAULT_BINDFAIL,
		  FAULT_INITFAIL, FAULT_SLOW };
static struct {
	enum fault_kind kind;
	long task;
	char executor[32];
	int armed;
} fault;

int fault_parse(const char *spec)
{
	static const char *const kinds[] = { [FAULT_CRASH] = "crash", [FAULT_HANG] = "hang",
		[FAULT_SLOWSTART] = "slowstart", [FAULT_BINDFAIL] = "bindfail",
		[FAULT_INITFAIL] = "initfail", [FAULT_SLOW] = "slow" };
	char ex[32], what[16];
	long task;
	int used = 0;

	if (sscanf(spec, "%31[a-z]:%15[a-z]:%ld%n", ex, what, &task, &used) != 3 ||
	    spec[used] || task < 0)
		return -EINVAL;
	fault.kind = FAULT_NONE;
	for (size_t i = FAULT_CRASH; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(what, kinds[i]) == 0)
			fault.kind = (enum fault_kind)i;
	if (fault.kind == FAULT_NONE)
		return -EINVAL;
	fault.task = task;
	memcpy(fault.executor, ex, sizeof(ex));
	return 0;
}

void fault_arm(const char *executor)
{
	fault.armed = fault.kind != FAULT_NONE && strcmp(executor, fault.executor) == 0;
}

int fault_initfail(const char *executor)
{
	return fault.kind == FAULT_INITFAIL && strcmp(executor, fault.executor) == 0;
}

void fault_task(const struct wl_inst *w, void *data, size_t t)
{
	if (!fault.armed || (long)t != fault.task ||
	    (fault.kind != FAULT_CRASH && fault.kind != FAULT_HANG && fault.kind != FAULT_SLOW))
		return;
	if (fault.kind == FAULT_CRASH) {
		/* Default disposition, so that sanitizers' handlers do not turn it into an exit. */
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (fault.kind == FAULT_SLOW) {
		/* Busy in the workload, reading its instance, until stopped. */
		while (!cb_stop_signal) {
			struct task_out o;
			memset(&o, 0, sizeof(o));
			w->wl->run_task(w, data, t, &o);
		}
		return;
	}
	while (!cb_stop_signal)
		pause();
}

int fault_bind(unsigned k)
{
	if (fault.armed && fault.kind == FAULT_SLOWSTART && (long)k == fault.task) {
		struct timespec ts = { .tv_sec = FAULT_SLOWSTART_NS / 1000000000LL,
				       .tv_nsec = FAULT_SLOWSTART_NS % 1000000000LL };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !cb_stop_signal)
			;
	}
	if (fault.armed && fault.kind == FAULT_BINDFAIL && (long)k == fault.task)
		return -EINVAL;
	return 0;
}
