/* SPDX-License-Identifier: MIT */
/* fork: a pre-forked pool of worker processes that receive task descriptors through pipes
 * and send every result back as a message (the process-pool-with-messages model). Each
 * worker makes the data it needs in its own private memory. Only the start gate is shared.
 *
 * Messages are fixed-size and at most PIPE_BUF bytes, so each write is atomic: a reader
 * never sees half a message, and a dead worker shows up as end-of-file on its pipe.
 *
 * The coordinator does not wake for every message: it blocks on the end barrier like the
 * other executors (docs/measurement.md) and empties the pipes between sleeps and at the end.
 * Each result pipe is sized for a worker's results of one repetition, so a worker's
 * writes cost what a write costs and never wait for the coordinator.
 *
 * With --on-crash restart a worker that dies of a signal during a repetition is replaced:
 * what it sent before dying is read from its pipe, and a fresh process, with new pipes,
 * gets the tasks of its block that have no result yet. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/fault.h"
#include "core/proc.h"
#include "core/worker.h"

#define FORK_GRACE_NS 2000000000LL
#define PIPE_MAX_BYTES (1 << 20)

/* One task's result, as a message. Small, so that a worker's results for a repetition fit
 * in its pipe and the coordinator can stay blocked until the end barrier. */
struct msg {
	uint32_t task;
	int32_t err;
	uint64_t checksum;
	uint64_t items;
	uint64_t pad_;
};
_Static_assert(sizeof(struct msg) == 32, "messages are 32 bytes");
_Static_assert(sizeof(struct msg) <= PIPE_BUF, "a message must stay an atomic pipe write");

/* Shared with the workers: the start gate and their timing records, nothing else. */
struct ctl {
	struct gate gate;
	_Atomic int64_t recovered_at;    /* now_ns() when a replacement finished its first task */
	struct worker_rec recs[];
};

struct pool {
	struct wl_inst inst;         /* the workers' copy of the instance (worker_inst) */
	const struct wl_inst *w;     /* &inst */
	unsigned workers;
	int dynamic;
	int failed;                  /* a repetition failed: no grace for the workers, kill them */
	int restart;                 /* --on-crash restart */
	uint32_t gen;                /* the repetition under way */
	int *pus;                    /* the plan, for a replacement */
	struct crash_note *notes;    /* per worker */
	struct ctl *ctl;             /* MAP_SHARED */
	size_t ctl_bytes;
	pid_t *pids;
	int *task_wr, *res_rd;       /* coordinator ends, per worker */
	int shared_task_rd, shared_task_wr;  /* dynamic schedule: one queue for all */
	/* per worker: bytes of a partial message carried over between reads */
	struct msg *part;
	size_t *have;
	struct task_out *outs;       /* where run() collects results */
	struct cb_err *e;
};

/* ---- the worker process ---- */

struct child_src {
	int task_fd, res_fd;
	struct ctl *ctl;
	long watch;          /* a replacement's first task: its end is the recovery; -1 none */
};

static long child_next(void *self)
{
	struct child_src *s = self;
	int32_t t;
	if (cb_read_full(s->task_fd, &t, sizeof(t)) < 0)
		return -1;
	return t;
}

static int child_emit(void *self, const struct task_out *o)
{
	struct child_src *s = self;
	struct msg m = { .task = o->task, .err = o->err, .checksum = o->checksum,
			 .items = o->items };
	int rc = cb_write_full(s->res_fd, &m, sizeof(m));
	if ((long)o->task == s->watch)
		atomic_store(&s->ctl->recovered_at, now_ns());
	return rc;
}

/* Worker k's life; join > 0: a replacement that enters repetition join under way, its
 * pipe already holding what is left of its block (watch: the first of those tasks). */
static void child_main(struct pool *p, unsigned k, int pu, int task_fd, int res_fd,
		       uint32_t join, long watch)
{
	const struct wl_inst *w = p->w;
	struct child_src s = { .task_fd = task_fd, .res_fd = res_fd, .ctl = p->ctl,
			       .watch = join ? watch : -1 };
	struct task_source src = { .next = child_next, .emit = child_emit, .self = &s };
	void *data = NULL;
	uint32_t seen = join ? join - 1 : 0;
	struct gate *g = &p->ctl->gate;
	int bind_err = worker_bind(k, pu), membind_err = 0;
	struct counters ctr;

	if (!join)
		gate_count_add(g, &g->started, 1);
	/* Data a task needs is made where it is used: in this process's private memory. */
	if (w->data_bytes) {
		data = mmap(NULL, w->data_bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (data == MAP_FAILED)
			_exit(12);
		membind_err = wl_membind(w, data, w->data_bytes);
	}
	worker_prepare(w, data, k, p->workers);
	if (!join)
		gate_count_add(g, &g->prepared, 1);
	counters_open(&ctr);
	while (gate_wait_go(g, &seen)) {
		struct worker_rec rec;
		fault_rep(k, seen);
		worker_rep(w, data, atomic_load(&g->start_at), &src, &ctr, &rec);
		s.watch = -1;
		rec.bind_err = bind_err;
		rec.membind_err = membind_err;
		worker_publish(&p->ctl->recs[k], &rec, seen);
		gate_arrive(g);
	}
	counters_close(&ctr);
	_exit(0);
}

/* ---- the coordinator ---- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fork_stop(struct pool *p)
{
	if (!p)
		return;
	if (p->ctl)
		gate_quit(&p->ctl->gate);
	if (p->pids)
		children_stop(p->pids, p->workers, p->failed ? 0 : FORK_GRACE_NS);
	for (unsigned k = 0; p->task_wr && k < p->workers; k++)
		close_fd(&p->task_wr[k]);
	for (unsigned k = 0; p->res_rd && k < p->workers; k++)
		close_fd(&p->res_rd[k]);
	close_fd(&p->shared_task_rd);
	close_fd(&p->shared_task_wr);
	if (p->ctl)
		munmap(p->ctl, p->ctl_bytes);
	free(p->pids);
	free(p->pus);
	free(p->notes);
	free(p->task_wr);
	free(p->res_rd);
	free(p->part);
	free(p->have);
	free(p);
}

/* Collect whatever results wait in worker k's pipe, without blocking. Returns 0, or
 * -ECHILD when the pipe ended (the worker is gone), -EBADMSG for a malformed message. */
static int drain(struct pool *p, unsigned k)
{
	struct msg buf[128];
	for (;;) {
		char *b = (char *)buf;
		size_t have = p->have[k], used = 0;
		ssize_t got;
		memcpy(b, &p->part[k], have);
		got = read(p->res_rd[k], b + have, sizeof(buf) - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return 0;
		if (got <= 0)
			return -ECHILD;
		have += (size_t)got;
		for (; have - used >= sizeof(struct msg); used += sizeof(struct msg)) {
			const struct msg *m = (const struct msg *)(b + used);
			struct task_out *o;
			if (m->task >= p->w->ntasks) {
				cb_err_set(p->e, -EBADMSG, "worker %u sent a malformed message", k);
				return -EBADMSG;
			}
			o = &p->outs[m->task];
			o->task = m->task;
			o->err = m->err;
			o->checksum = m->checksum;
			o->items = m->items;
			o->done = 1;
		}
		p->have[k] = have - used;
		memcpy(&p->part[k], b + used, p->have[k]);
	}
}

static int fork_replace(struct pool *p, unsigned k, int sig);

/* Send worker k the tasks [lo, hi) and the -1 that ends them; d has room for them. */
static int send_block(struct pool *p, unsigned k, size_t lo, size_t hi, int32_t *d)
{
	size_t i = 0;
	for (size_t t = lo; t < hi; t++)
		d[i++] = (int32_t)t;
	d[i++] = -1;
	return cb_write_full(p->task_wr[k], d, i * sizeof(*d));
}

/* Worker k (pid, reaped) ended with status: replaced when --on-crash restart allows it,
 * else the run's error. */
static int worker_gone(struct pool *p, unsigned k, pid_t pid, int status)
{
	/* Replaced once per repetition: a replacement that dies too fails the run. */
	if (p->restart && p->outs && WIFSIGNALED(status) && !p->notes[k].signal)
		return fork_replace(p, k, WTERMSIG(status));
	return child_died_err(p->e, k, pid, status);
}

/* A worker's pipe ended: find out how it died. */
static int worker_died(struct pool *p, unsigned k)
{
	int status;
	pid_t pid = p->pids[k];
	if (pid <= 0)
		return -ECHILD;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pids[k] = 0;
	return worker_gone(p, k, pid, status);
}

static int drain_all(struct pool *p)
{
	for (unsigned k = 0; k < p->workers; k++) {
		int rc = drain(p, k);
		if (rc == -ECHILD)
			return worker_died(p, k);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Between sleeps of the coordinator: empty the pipes (so a worker never blocks on a full
 * one) and notice dead workers. */
static int fork_check_fn(void *arg)
{
	struct pool *p = arg;
	unsigned k;
	int status, rc;
	pid_t pid;

	while (children_reap_one(p->pids, p->workers, &k, &status, &pid)) {
		rc = worker_gone(p, k, pid, status);
		if (rc < 0)
			return rc;
	}
	if (!p->outs)
		return 0;
	return drain_all(p);
}

/* Worker k in a new process: its pipes, closing every other worker's ends in the child.
 * join > 0: a replacement entering that repetition at task watch. */
static int fork_one(struct pool *p, unsigned k, int pu, uint32_t join, long watch)
{
	int tp[2] = { -1, -1 }, rp[2];
	pid_t pid, self = getpid();

	if ((!p->dynamic && pipe(tp) < 0) || pipe(rp) < 0) {
		int rc = -errno;
		cb_err_set(p->e, rc, "cannot create pipes for worker %u: %s", k, strerror(errno));
		close_fd(&tp[0]);
		close_fd(&tp[1]);
		return rc;
	}
	pid = fork();
	if (pid < 0) {
		int rc = -errno;
		cb_err_set(p->e, rc, "cannot fork worker %u of %u: %s", k, p->workers,
			   strerror(errno));
		close_fd(&tp[0]);
		close_fd(&tp[1]);
		close(rp[0]);
		close(rp[1]);
		return rc;
	}
	if (pid == 0) {
		int task_fd = p->dynamic ? p->shared_task_rd : tp[0];
		child_setup(self);
		/* Keep only this worker's ends, so a dead worker reads as end-of-file. */
		for (unsigned j = 0; j < p->workers; j++) {
			close_fd(&p->task_wr[j]);
			close_fd(&p->res_rd[j]);
		}
		if (!p->dynamic)
			close(tp[1]);
		else
			close(p->shared_task_wr);
		close(rp[0]);
		child_main(p, k, pu, task_fd, rp[1], join, watch);
	}
	p->pids[k] = pid;
	if (!p->dynamic) {
		close(tp[0]);
		p->task_wr[k] = tp[1];
	}
	close(rp[1]);
	fcntl(rp[0], F_SETFL, fcntl(rp[0], F_GETFL) | O_NONBLOCK);
	p->res_rd[k] = rp[0];
	return 0;
}

/* Worker k died of signal sig during repetition p->gen: keep what it sent, then a fresh
 * process gets the tasks of its block that have no result yet (static schedule). */
static int fork_replace(struct pool *p, unsigned k, int sig)
{
	size_t lo, hi;
	int32_t *d;
	int rc;

	/* Its results up to the crash are in the pipe: read them to the end-of-file. */
	rc = drain(p, k);
	if (rc != -ECHILD)
		return rc < 0 ? rc : -EIO;
	close_fd(&p->res_rd[k]);
	close_fd(&p->task_wr[k]);
	p->have[k] = 0;
	task_block(p->w->ntasks, p->workers, k, &lo, &hi);
	while (lo < hi && p->outs[lo].done)
		lo++;
	crash_note_take(&p->notes[k], sig, lo, hi);
	atomic_store(&p->ctl->recovered_at, 0);
	rc = fork_one(p, k, p->pus[k], p->gen, (long)lo);
	if (rc < 0)
		return rc;
	d = malloc((hi - lo + 1) * sizeof(*d));
	if (!d) {
		cb_err_set(p->e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	rc = send_block(p, k, lo, hi, d);
	free(d);
	if (rc < 0)
		cb_err_set(p->e, rc, "cannot send tasks to worker %u's replacement: %s", k,
			   strerror(-rc));
	return rc;
}

static int fork_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		      struct cb_err *e)
{
	unsigned n = cfg->workers;
	struct pool *p = calloc(1, sizeof(*p));
	size_t per_worker_results;
	int64_t t0;
	int rc = -ENOMEM;

	if (!p) {
		cb_err_set(e, rc, "out of memory");
		return rc;
	}
	worker_inst(&p->inst, cfg);
	p->w = &p->inst;
	p->workers = n;
	p->dynamic = cfg->dynamic;
	p->restart = cfg->restart;
	p->e = e;
	p->shared_task_rd = p->shared_task_wr = -1;
	p->pids = calloc(n, sizeof(*p->pids));
	p->task_wr = malloc(n * sizeof(int));
	p->res_rd = malloc(n * sizeof(int));
	/* Before any failure can send us to fork_stop, which closes what these hold. */
	for (unsigned k = 0; p->task_wr && k < n; k++)
		p->task_wr[k] = -1;
	for (unsigned k = 0; p->res_rd && k < n; k++)
		p->res_rd[k] = -1;
	p->part = calloc(n, sizeof(*p->part));
	p->have = calloc(n, sizeof(*p->have));
	p->notes = calloc(n, sizeof(*p->notes));
	p->pus = malloc(n * sizeof(*p->pus));
	for (unsigned k = 0; p->pus && k < n; k++)
		p->pus[k] = pool_cfg_pu(cfg, k);
	p->ctl_bytes = sizeof(struct ctl) + n * sizeof(struct worker_rec);
	p->ctl = mmap(NULL, p->ctl_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->ctl == MAP_FAILED)
		p->ctl = NULL;
	if (!p->pids || !p->task_wr || !p->res_rd || !p->part || !p->have || !p->ctl ||
	    !p->notes || !p->pus) {
		cb_err_set(e, rc, "cannot allocate a pool of %u processes", n);
		goto fail;
	}
	gate_init(&p->ctl->gate, 1);
	atomic_init(&p->ctl->recovered_at, 0);
	if (p->dynamic) {
		int fds[2];
		if (pipe(fds) < 0) {
			rc = -errno;
			cb_err_set(e, rc, "cannot create the task pipe: %s", strerror(errno));
			goto fail;
		}
		p->shared_task_rd = fds[0];
		p->shared_task_wr = fds[1];
	}
	/* Room in each result pipe for every result a worker can send in one repetition. */
	per_worker_results = (p->dynamic ? p->w->ntasks : (p->w->ntasks + n - 1) / n) *
			     sizeof(struct msg) + PIPE_BUF;
	if (per_worker_results > PIPE_MAX_BYTES)
		per_worker_results = PIPE_MAX_BYTES;
	t0 = now_ns();
	for (unsigned k = 0; k < n; k++) {
		rc = fork_one(p, k, p->pus[k], 0, -1);
		if (rc < 0)
			goto fail;
		/* A worker whose results do not fit waits for the coordinator's next drain (up to
		 * 20 ms) inside the timed region: say so rather than let it skew the samples. */
		if (per_worker_results > 65536 &&
		    fcntl(p->res_rd[k], F_SETPIPE_SZ, (int)per_worker_results) < 0 && k == 0)
			cb_warn("fork: result pipes stay at their default size (%s); with more than "
				"%zu results per worker, workers wait for the coordinator", strerror(errno),
				(size_t)65536 / sizeof(struct msg));
	}
	close_fd(&p->shared_task_rd);
	rc = gate_wait_value(&p->ctl->gate, &p->ctl->gate.started, n, 1, cfg->deadline_ns,
			     fork_check_fn, p);
	if (rc < 0)
		goto wait_fail;
	*startup_ns = now_ns() - t0;
	rc = gate_wait_value(&p->ctl->gate, &p->ctl->gate.prepared, n, 1, cfg->deadline_ns,
			     fork_check_fn, p);
	if (rc < 0)
		goto wait_fail;
	*out = p;
	return 0;
wait_fail:
	if (rc == -ETIMEDOUT)
		cb_err_set(e, rc, "workers did not start before the deadline");
	else if (rc == -EINTR)
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
fail:
	fork_stop(p);
	return rc;
}

/* Send this repetition's task descriptors: blocks of tasks per worker, or one shared queue,
 * each ended by -1. They fit in the pipes' buffers (WL_MAX_TASKS descriptors at most). */
static int send_tasks(struct pool *p)
{
	size_t n = p->w->ntasks;
	int32_t *d = malloc((n + p->workers) * sizeof(*d));
	int rc = 0;

	if (!d) {
		cb_err_set(p->e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	if (p->dynamic) {
		size_t i = 0;
		for (size_t t = 0; t < n; t++)
			d[i++] = (int32_t)t;
		for (unsigned k = 0; k < p->workers; k++)
			d[i++] = -1;
		rc = cb_write_full(p->shared_task_wr, d, i * sizeof(*d));
	} else {
		for (unsigned k = 0; k < p->workers && !rc; k++) {
			size_t lo, hi;
			task_block(n, p->workers, k, &lo, &hi);
			rc = send_block(p, k, lo, hi, d);
		}
	}
	free(d);
	if (rc < 0)
		cb_err_set(p->e, rc, "cannot send tasks to the workers: %s", strerror(-rc));
	return rc;
}

static int fork_run(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		    struct worker_rec *recs, struct cb_err *e)
{
	struct gate *g = &p->ctl->gate;
	uint32_t gen = atomic_load(&g->go) + 1;
	unsigned hung = 0;
	int by_peers = 0, rc;

	p->e = e;
	p->outs = outs;
	p->gen = gen;
	memset(outs, 0, p->w->ntasks * sizeof(*outs));
	rc = send_tasks(p);
	if (rc < 0)
		goto out;
	gate_open(g, p->workers);
	/* Block until the last worker arrives; the pipes are emptied between sleeps. */
	rc = worker_wait_rep(g, p->ctl->recs, p->workers, gen, p->w->ntasks, deadline_ns,
			     fork_check_fn, p, &hung, &by_peers);
	if (rc == 0)
		rc = drain_all(p);
	if (rc == -ETIMEDOUT) {
		worker_hung_err(e, hung, p->pids[hung], by_peers);
	} else if (rc == -EINTR) {
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
	}
	if (rc == 0) {
		memcpy(recs, p->ctl->recs, p->workers * sizeof(*recs));
		crash_notes_publish(p->notes, p->workers, recs, atomic_load(&p->ctl->recovered_at));
	}
out:
	p->failed = rc < 0;
	p->outs = NULL;
	return rc;
}

const struct executor executor_fork = {
	.name = "fork",
	.summary = "pre-forked processes; task descriptors in, results out through pipes",
	.flags = EX_ISOLATED_FAULTS,
	.start = fork_start,
	.run = fork_run,
	.stop = fork_stop,
};
