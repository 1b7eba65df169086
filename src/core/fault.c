/* SPDX-License-Identifier: MIT */
/* fault: test-only fault injection (see fault.h). */
#include "core/fault.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

/* ---- --inject crash:WORKER:TASK ---- */

/* Seen by the coordinator and every worker, threads and processes alike: mapped shared
 * before any pool forks, so a worker's crash and its time outlive it. */
struct inject_shared {
	_Atomic int fired;          /* the crash happened (at most once per cell visit) */
	_Atomic int64_t at_ns;      /* now_ns() right before the signal */
	_Atomic uint32_t task;      /* the task it was about to run */
};

static struct {
	int on;                      /* --inject given */
	int armed;                   /* for this cell (a pool of several workers) */
	unsigned worker, task;
	uint32_t rep;                /* pool repetition (gate generation) it fires in */
	struct inject_shared *sh;
} inject;

/* Per worker (thread-local, so per thread and per process): where it is. */
static _Thread_local int inject_worker = -1;
static _Thread_local uint32_t inject_gen;
static _Thread_local unsigned inject_count;

int fault_inject_parse(const char *spec, unsigned *worker, unsigned *task)
{
	unsigned long w, t;
	int used = 0;

	if (sscanf(spec, "crash:%lu:%lu%n", &w, &t, &used) != 2 || spec[used] ||
	    !isdigit((unsigned char)spec[6]) || w > FAULT_INJECT_MAX || t > FAULT_INJECT_MAX ||
	    strchr(spec, '-') || strchr(spec, '+') || strchr(spec, ' '))
		return -EINVAL;
	*worker = (unsigned)w;
	*task = (unsigned)t;
	return 0;
}

int fault_inject_set(unsigned worker, unsigned task)
{
	if (!inject.sh) {
		void *m = mmap(NULL, sizeof(*inject.sh), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -errno;
		inject.sh = m;
	}
	inject.on = 1;
	inject.worker = worker;
	inject.task = task;
	return 0;
}

void fault_inject_arm(int several_workers, unsigned warmup)
{
	inject.armed = inject.on && several_workers;
	inject.rep = warmup + 1;
	if (inject.sh) {
		atomic_store(&inject.sh->fired, 0);
		atomic_store(&inject.sh->at_ns, 0);
		atomic_store(&inject.sh->task, 0);
	}
}

void fault_rep(unsigned k, uint32_t gen)
{
	inject_worker = (int)k;
	inject_gen = gen;
	inject_count = 0;
}

int fault_inject_fired(int64_t *at_ns, unsigned *task)
{
	if (!inject.sh || !atomic_load(&inject.sh->fired))
		return 0;
	*at_ns = atomic_load(&inject.sh->at_ns);
	*task = atomic_load(&inject.sh->task);
	return 1;
}

int fault_inject_get(unsigned *worker, unsigned *task, uint32_t *rep)
{
	*worker = inject.worker;
	*task = inject.task;
	*rep = inject.rep;
	return inject.armed;
}

static void (*crash_hook)(void);

void fault_on_crash(void (*fn)(void))
{
	crash_hook = fn;
}

/* A real segmentation fault, in the worker itself; default disposition, so that
 * sanitizers' handlers do not turn it into an exit. */
static void die_of_sigsegv(void)
{
	if (crash_hook)
		crash_hook();
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

static void inject_task(size_t t)
{
	if (!inject.armed || inject_worker != (int)inject.worker || inject_gen != inject.rep ||
	    inject_count++ != inject.task || atomic_exchange(&inject.sh->fired, 1))
		return;
	atomic_store(&inject.sh->task, (uint32_t)t);
	atomic_store(&inject.sh->at_ns, now_ns());
	die_of_sigsegv();
}

void fault_task(const struct wl_inst *w, void *data, size_t t)
{
	inject_task(t);
	if (!fault.armed || (long)t != fault.task ||
	    (fault.kind != FAULT_CRASH && fault.kind != FAULT_HANG && fault.kind != FAULT_SLOW))
		return;
	if (fault.kind == FAULT_CRASH)
		die_of_sigsegv();
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
