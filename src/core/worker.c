/* SPDX-License-Identifier: MIT */
/* worker: the single worker body, fault injection for tests, and the shared-memory pool
 * used by the thread and shm executors. */
#define _GNU_SOURCE
#include "core/worker.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "topo/topo.h"

enum fault_kind { FAULT_NONE, FAULT_CRASH, FAULT_HANG, FAULT_SLOWSTART, FAULT_BINDFAIL,
		  FAULT_INITFAIL, FAULT_SLOW };
static struct {
	enum fault_kind kind;
	long task;
	char executor[32];
	int armed;
} fault;

int worker_fault_parse(const char *spec)
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

void worker_fault_arm(const char *executor)
{
	fault.armed = fault.kind != FAULT_NONE && strcmp(executor, fault.executor) == 0;
}

int worker_fault_initfail(const char *executor)
{
	return fault.kind == FAULT_INITFAIL && strcmp(executor, fault.executor) == 0;
}

static void fault_maybe(const struct wl_inst *w, void *data, size_t t)
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

int worker_bind(unsigned k)
{
	if (fault.armed && fault.kind == FAULT_SLOWSTART && (long)k == fault.task) {
		struct timespec ts = { .tv_sec = WORKER_FAULT_SLOWSTART_NS / 1000000000LL,
				       .tv_nsec = WORKER_FAULT_SLOWSTART_NS % 1000000000LL };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !cb_stop_signal)
			;
	}
	if (fault.armed && fault.kind == FAULT_BINDFAIL && (long)k == fault.task)
		return -EINVAL;
	return topo_bind_worker(k);
}

void worker_publish(struct worker_rec *slot, const struct worker_rec *rec, uint32_t gen)
{
	memcpy(slot, rec, offsetof(struct worker_rec, gen));
	__atomic_store_n(&slot->gen, gen, __ATOMIC_RELEASE);
}

uint32_t worker_rec_gen(const struct worker_rec *slot)
{
	return __atomic_load_n(&slot->gen, __ATOMIC_ACQUIRE);
}

/* The peers' deadline for the workers of repetition gen still running, or INT64_MAX while
 * no peer that ran a task has finished (or all have). */
static int64_t peer_deadline(const struct worker_rec *recs, unsigned n, uint32_t gen,
			     size_t ntasks)
{
	int64_t last_end = INT64_MIN, per_task = -1;
	unsigned done = 0;
	size_t most = (ntasks + n - 1) / n;   /* tasks a worker may hold, static schedule */

	for (unsigned k = 0; k < n; k++) {
		const struct worker_rec *r = &recs[k];
		if (worker_rec_gen(r) != gen)
			continue;
		done++;
		if (!r->tasks)
			continue;
		if ((r->t_end - r->t_start) / r->tasks > per_task)
			per_task = (r->t_end - r->t_start) / r->tasks;
		if (r->t_end > last_end)
			last_end = r->t_end;
	}
	if (done == n || per_task < 0)
		return INT64_MAX;
	if (per_task > (INT64_MAX / 4) / WORKER_PEER_FACTOR / (int64_t)most)
		return INT64_MAX;
	return last_end + WORKER_PEER_FACTOR * per_task * (int64_t)most + WORKER_PEER_FLOOR_NS;
}

#define PEER_SLICE_NS 100000000LL

int worker_wait_rep(struct gate *g, const struct worker_rec *recs, unsigned n, uint32_t gen,
		    size_t ntasks, int64_t deadline_ns, int (*check)(void *), void *arg,
		    unsigned *hung, int *by_peers)
{
	for (;;) {
		int64_t pd = peer_deadline(recs, n, gen, ntasks), now = now_ns();
		int64_t d = pd < deadline_ns ? pd : deadline_ns;
		int rc = gate_wait_value(g, &g->remaining, 0, 0,
					 d - now > PEER_SLICE_NS ? now + PEER_SLICE_NS : d, check, arg);
		if (rc != -ETIMEDOUT)
			return rc;
		if (now_ns() < d)
			continue;      /* a slice ended: look at the peers again */
		*by_peers = pd < deadline_ns;
		*hung = 0;
		for (unsigned k = 0; k < n; k++)
			if (worker_rec_gen(&recs[k]) != gen) {
				*hung = k;
				break;
			}
		return rc;
	}
}

void worker_hung_err(struct cb_err *e, unsigned k, pid_t pid, int by_peers)
{
	char who[48];
	if (pid > 0)
		cb_fmt(who, sizeof(who), "worker %u (pid %d)", k, (int)pid);
	else
		cb_fmt(who, sizeof(who), "worker %u", k);
	if (by_peers)
		cb_err_set(e, -ETIMEDOUT, "%s hung: still running %d times its peers' time per "
			   "task plus %lld s after they finished", who, WORKER_PEER_FACTOR,
			   WORKER_PEER_FLOOR_NS / 1000000000LL);
	else
		cb_err_set(e, -ETIMEDOUT, "%s hung: not finished when the deadline passed", who);
}

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000LL + (int64_t)tv.tv_usec * 1000;
}

void worker_rep(const struct wl_inst *w, void *data, int64_t start_at, struct task_source *src,
		struct worker_rec *rec)
{
	struct rusage r0, r1;
	long t;

	memset(rec, 0, sizeof(*rec));
	int64_t before_spin;

	getrusage(RUSAGE_THREAD, &r0);
	rec->cpu_start = sched_getcpu();    /* before the clock: it costs ~20 ns */
	before_spin = now_ns();
	gate_spin_until(start_at);
	rec->t_start = now_ns();
	/* A stop signal ends the repetition early; the coordinator then reports it. */
	while (!cb_stop_signal && (t = src->next(src->self)) >= 0) {
		struct task_out o;
		memset(&o, 0, sizeof(o));
		fault_maybe(w, data, (size_t)t);
		o.task = (uint32_t)t;
		o.err = w->wl->run_task(w, data, (size_t)t, &o);
		o.done = 1;
		if (o.err && !rec->err) {
			rec->err = o.err;
			rec->err_task = (uint32_t)t;
		}
		rec->tasks++;
		if (src->emit(src->self, &o) < 0) {
			if (!rec->err)
				rec->err = -EPIPE;
			break;
		}
	}
	rec->t_end = now_ns();
	rec->cpu_end = sched_getcpu();
	getrusage(RUSAGE_THREAD, &r1);
	/* The spin to start_at (up to GATE_DELTA_NS of user time) is not the work's: take it
	 * out, so that CPU utilisation describes the timed region. */
	rec->utime_ns = tv_ns(r1.ru_utime) - tv_ns(r0.ru_utime) - (rec->t_start - before_spin);
	if (rec->utime_ns < 0)
		rec->utime_ns = 0;
	rec->stime_ns = tv_ns(r1.ru_stime) - tv_ns(r0.ru_stime);
	rec->nvcsw = r1.ru_nvcsw - r0.ru_nvcsw;
	rec->nivcsw = r1.ru_nivcsw - r0.ru_nivcsw;
	rec->minflt = r1.ru_minflt - r0.ru_minflt;
	rec->majflt = r1.ru_majflt - r0.ru_majflt;
	rec->maxrss_kb = r1.ru_maxrss;
}

void worker_prepare(const struct wl_inst *w, void *data, unsigned k, unsigned n)
{
	size_t lo, hi;
	if (!w->wl->prepare || !w->data_bytes)
		return;
	task_block(w->ntasks, n, k, &lo, &hi);
	for (size_t t = lo; t < hi; t++)
		w->wl->prepare(w, data, t);
}

/* ---- the shared-memory pool (thread and shm executors) ---- */

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

struct shpool *shpool_create(const struct pool_cfg *cfg, int shared)
{
	const struct wl_inst *w = cfg->w;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t off_outs = align_up(sizeof(struct shpool), CB_CACHELINE);
	size_t off_recs = align_up(off_outs + w->ntasks * sizeof(struct task_out), CB_CACHELINE);
	size_t off_data = align_up(off_recs + cfg->workers * sizeof(struct worker_rec), page);
	size_t bytes = align_up(off_data + w->data_bytes, page);
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE;
	char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
	struct shpool *sp;

	if (m == MAP_FAILED)
		return NULL;
	sp = (struct shpool *)m;
	gate_init(&sp->gate, shared);
	atomic_init(&sp->next, 0);
	sp->w = w;
	sp->workers = cfg->workers;
	sp->dynamic = cfg->dynamic;
	sp->map_bytes = bytes;
	sp->outs = (struct task_out *)(m + off_outs);
	sp->recs = (struct worker_rec *)(m + off_recs);
	sp->data = w->data_bytes ? m + off_data : NULL;
	sp->membind_err = 0;
	if (sp->data)   /* before any worker touches it */
		sp->membind_err = topo_membind_area(sp->data, w->data_bytes);
	return sp;
}

void shpool_destroy(struct shpool *sp)
{
	if (sp)
		munmap(sp, sp->map_bytes);
}

struct shpool_src {
	struct shpool *sp;
	size_t cur, hi;
};

/* After a timeout the coordinator sets quit: a slow worker then takes no further task. */
static long shpool_next_static(void *self)
{
	struct shpool_src *s = self;
	if (atomic_load_explicit(&s->sp->gate.quit, memory_order_relaxed))
		return -1;
	return s->cur < s->hi ? (long)s->cur++ : -1;
}

static long shpool_next_dynamic(void *self)
{
	struct shpool_src *s = self;
	uint64_t t;
	if (atomic_load_explicit(&s->sp->gate.quit, memory_order_relaxed))
		return -1;
	t = atomic_fetch_add_explicit(&s->sp->next, 1, memory_order_relaxed);
	return t < s->sp->w->ntasks ? (long)t : -1;
}

static int shpool_emit(void *self, const struct task_out *o)
{
	struct shpool_src *s = self;
	s->sp->outs[o->task] = *o;
	return 0;
}

void shpool_worker(struct shpool *sp, unsigned k)
{
	struct gate *g = &sp->gate;
	uint32_t seen = 0;
	struct worker_rec rec;

	int bind_err = worker_bind(k);

	gate_count_add(g, &g->started, 1);
	worker_prepare(sp->w, sp->data, k, sp->workers);
	gate_count_add(g, &g->prepared, 1);
	while (gate_wait_go(g, &seen)) {
		struct shpool_src s = { .sp = sp };
		struct task_source src = {
			.next = sp->dynamic ? shpool_next_dynamic : shpool_next_static,
			.emit = shpool_emit, .self = &s,
		};
		task_block(sp->w->ntasks, sp->workers, k, &s.cur, &s.hi);
		worker_rep(sp->w, sp->data, atomic_load(&g->start_at), &src, &rec);
		rec.bind_err = bind_err;
		rec.membind_err = sp->membind_err;
		worker_publish(&sp->recs[k], &rec, seen);
		gate_arrive(g);
	}
}

int shpool_wait_ready(struct shpool *sp, _Atomic uint32_t *word, int64_t deadline,
		      int (*check)(void *), void *arg, const char *what, struct cb_err *e)
{
	int rc = gate_wait_value(&sp->gate, word, sp->workers, 1, deadline, check, arg);
	if (rc == -ETIMEDOUT)
		cb_err_set(e, rc, "workers did not %s before the deadline", what);
	else if (rc == -EINTR)
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
	return rc;
}

int shpool_run(struct shpool *sp, int64_t deadline, struct task_out *outs, struct worker_rec *recs,
	       int (*check)(void *), void *arg, struct cb_err *e)
{
	struct gate *g = &sp->gate;
	uint32_t gen = atomic_load(&g->go) + 1;
	unsigned hung;
	int by_peers, rc;

	memset(sp->outs, 0, sp->w->ntasks * sizeof(*sp->outs));
	atomic_store_explicit(&sp->next, 0, memory_order_relaxed);
	gate_open(g, sp->workers);
	rc = worker_wait_rep(g, sp->recs, sp->workers, gen, sp->w->ntasks, deadline, check, arg,
			     &hung, &by_peers);
	if (rc == -ETIMEDOUT) {
		worker_hung_err(e, hung, 0, by_peers);
		return rc;
	}
	if (rc == -EINTR) {
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		return rc;
	}
	if (rc < 0)
		return rc;
	memcpy(outs, sp->outs, sp->w->ntasks * sizeof(*outs));
	memcpy(recs, sp->recs, sp->workers * sizeof(*recs));
	return 0;
}

/* ---- process workers ---- */

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

void cb_err_set(struct cb_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	if (!e || e->code)
		return;        /* the first error wins: later ones are its consequences */
	e->code = code ? code : -EIO;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
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
