/* SPDX-License-Identifier: MIT */
/* overhead: the cost of concbench itself, measured next to the mechanisms underneath it.
 *
 * Three parts, all in one invocation so that every ratio compares figures taken side by side:
 *   1. floors: pthread_create+join, fork+_exit+waitpid, a pipe round trip between two
 *      processes, futex round trips between two threads and between two processes, a
 *      condition-variable round trip, and the pipe read+write pair a fork worker pays per task;
 *   2. dispatch: for every executor and worker count, empty tasks (a private `null` workload,
 *      not in the registry) in batches of 1 and of BATCH_MANY, started and run exactly as
 *      run.c does (worker-timed spans, the coordinator blocked); pool start-up per worker;
 *   3. cpu: the registry's `cpu` sumsq workload through every executor at the largest worker
 *      count, against a bare loop of the same arithmetic on raw pthreads and raw fork, the
 *      runners interleaved round by round so that drift spreads over all of them.
 *
 * Every figure is a median of repetitions; nothing is dropped. Nothing is bound (BIND_NONE),
 * like the floors, so placement is the scheduler's on both sides of each ratio. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "core/executor.h"
#include "core/proc.h"
#include "core/registry.h"
#include "core/sync.h"
#include "core/workload.h"
#include "measure/stats.h"
#include "topo/topo.h"

#define BATCH_MANY 4096
#define MAX_COUNTS 16
#define START_DEADLINE_NS (60LL * 1000000000LL)
#define RUN_DEADLINE_NS (60LL * 1000000000LL)
#define PIPE_RW_BATCH 256
#define CPU_CALIB_NUMBERS (1u << 22)

/* ---- the null workload: a task that only reports which task it was ---- */

static int null_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	(void)m;
	if (!w->p.tasks)
		w->p.tasks = 1;
	if (w->p.tasks > WL_MAX_TASKS) {
		cb_fmt(err, len, "null: at most %d tasks, got %llu", WL_MAX_TASKS,
		       (unsigned long long)w->p.tasks);
		return -ERANGE;
	}
	w->ntasks = w->p.tasks;
	w->data_bytes = 0;
	w->items = w->ntasks;
	w->unit = "tasks";
	return 0;
}

static int null_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	(void)w;
	(void)data;
	out->checksum = t;
	out->items = 1;
	return 0;
}

static int null_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		       char *err, size_t len)
{
	uint64_t s = 0;
	for (size_t t = 0; t < w->ntasks; t++) {
		if (outs[t].checksum != t || outs[t].items != 1) {
			cb_fmt(err, len, "null: task %zu reported checksum %llu, items %llu", t,
			       (unsigned long long)outs[t].checksum,
			       (unsigned long long)outs[t].items);
			return -EBADMSG;
		}
		s += outs[t].checksum;
	}
	*checksum = s;
	return 0;
}

static const struct workload workload_null = {
	.name = "null",
	.summary = "empty tasks: the harness's own cost",
	.size_help = "unused",
	.init = null_init,
	.run_task = null_run_task,
	.verify = null_verify,
};

/* ---- options ---- */

struct opts {
	unsigned workers[MAX_COUNTS];
	size_t nworkers;
	unsigned top;                /* largest worker count: the cpu comparison's */
	int quick;
	const char *output;
	unsigned reps, warmup, startups;
	size_t create_iters, pingpong_iters;
	int64_t cpu_target_ns;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: overhead [--workers LIST] [--quick] [--output FILE]\n"
		"  --workers LIST  worker counts, comma-separated (default 1,2,PUs)\n"
		"  --quick         fewer repetitions and iterations (about 10 s)\n"
		"  --output FILE   JSON report (default results/bench-overhead.json)\n");
}

static int parse_workers(const char *s, struct opts *o)
{
	const char *p = s;
	o->nworkers = 0;
	while (*p) {
		char *end;
		unsigned long v;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || v < 1 || v > 4096 || (*end && *end != ',') || o->nworkers == MAX_COUNTS)
			return -EINVAL;
		o->workers[o->nworkers++] = (unsigned)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -EINVAL;
	}
	return o->nworkers ? 0 : -EINVAL;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

/* Sort and drop duplicates. */
static void workers_normalise(struct opts *o)
{
	size_t n = 0;
	qsort(o->workers, o->nworkers, sizeof(o->workers[0]), cmp_unsigned);
	for (size_t i = 0; i < o->nworkers; i++)
		if (!n || o->workers[n - 1] != o->workers[i])
			o->workers[n++] = o->workers[i];
	o->nworkers = n;
	o->top = o->workers[n - 1];
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int have_workers = 0;
	memset(o, 0, sizeof(*o));
	o->output = "results/bench-overhead.json";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quick") == 0) {
			o->quick = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(CB_EXIT_OK);
		} else if (strcmp(a, "--workers") == 0 || strcmp(a, "--output") == 0) {
			if (i + 1 == argc) {
				cb_error("%s: expected a value", a);
				return -EINVAL;
			}
			if (strcmp(a, "--output") == 0) {
				o->output = argv[++i];
			} else if (parse_workers(argv[++i], o) < 0) {
				cb_error("--workers: expected a comma-separated list of counts from 1 "
					 "to 4096, got '%s'", argv[i]);
				return -EINVAL;
			} else {
				have_workers = 1;
			}
		} else {
			cb_error("'%s' is not an option of overhead (expected --workers, --quick, "
				 "--output or --help)", a);
			return -EINVAL;
		}
	}
	if (!have_workers) {
		o->workers[0] = 1;
		o->workers[1] = 2;
		o->workers[2] = topo_pus();
		o->nworkers = 3;
	}
	workers_normalise(o);
	o->reps = o->quick ? 10 : 30;
	o->warmup = 1;
	o->startups = o->quick ? 3 : 5;
	o->create_iters = o->quick ? 50 : 200;
	o->pingpong_iters = o->quick ? 2000 : 10000;
	o->cpu_target_ns = o->quick ? 30000000 : 100000000;
	return 0;
}

/* ---- warnings: printed on stderr and kept for the report ---- */

#define MAX_WARNINGS 64
static char *warnings[MAX_WARNINGS];
static size_t nwarnings;
static double load_start = NAN, load_end = NAN;   /* 1-minute load averages */

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "concbench: warning: %s\n", buf);
	if (nwarnings < MAX_WARNINGS && (warnings[nwarnings] = strdup(buf)))
		nwarnings++;
}

/* 1-minute load average, NAN when /proc/loadavg cannot be read. */
static double load1(void)
{
	double v = NAN;
	FILE *fp = fopen("/proc/loadavg", "r");
	if (!fp)
		return NAN;
	if (fscanf(fp, "%lf", &v) != 1)
		v = NAN;
	fclose(fp);
	return v;
}

/* CPU time of the whole machine against our own, to tell when other work shared the run.
 * busy and steal from /proc/stat (seconds); ours from getrusage of this process and its
 * reaped children (every worker and helper process is reaped before the end). */
struct cpu_snap {
	int ok;
	double busy_s, steal_s, ours_s;
};

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

static void cpu_snap_take(struct cpu_snap *c)
{
	unsigned long long v[8] = { 0 };
	double hz = (double)sysconf(_SC_CLK_TCK);
	struct rusage self, kids;
	FILE *fp = fopen("/proc/stat", "r");
	memset(c, 0, sizeof(*c));
	if (fp) {
		/* user nice system idle iowait irq softirq steal */
		c->ok = fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8 && hz > 0;
		fclose(fp);
	}
	if (c->ok) {
		c->busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
		c->steal_s = (double)v[7] / hz;
	}
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	c->ours_s = tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(kids.ru_utime) +
		    tv_s(kids.ru_stime);
}

static struct {
	int ok;
	double others_s, steal_s, capacity_s;
} noise = { 0, NAN, NAN, NAN };

/* ---- small helpers ---- */

static void spin_until(int64_t t)
{
	while (now_ns() < t) {
#if defined(__x86_64__) || defined(__i386__)
		cpu_relax();
#endif
	}
}

static long futex_call(_Atomic uint32_t *w, int op, uint32_t v)
{
	return syscall(SYS_futex, (uint32_t *)w, op, v, NULL, NULL, 0);
}

/* Sleep in the kernel while *w == v. */
static void handoff_wait(_Atomic uint32_t *w, uint32_t v, int priv)
{
	while (atomic_load_explicit(w, memory_order_acquire) == v)
		futex_call(w, FUTEX_WAIT | priv, v);
}

/* Store v and wake the other side: always a syscall, as the gate does. */
static void handoff_give(_Atomic uint32_t *w, uint32_t v, int priv)
{
	atomic_store_explicit(w, v, memory_order_release);
	futex_call(w, FUTEX_WAKE | priv, 1);
}

static void wait_child(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Two pipes, or neither: 0 or a negative errno. */
static int pipes_open(int a[2], int b[2])
{
	int rc;
	if (pipe(a) < 0)
		return -errno;
	if (pipe(b) < 0) {
		rc = -errno;
		close(a[0]);
		close(a[1]);
		return rc;
	}
	return 0;
}

static size_t warmup_of(size_t n)
{
	return n / 20 > 5 ? n / 20 : 5;
}

/* ---- floors: the mechanisms underneath, each a median of many samples in ns ---- */

enum floor_id {
	F_PTHREAD, F_FORK, F_PIPE_RT, F_FUTEX_THREADS, F_FUTEX_PROCS, F_CONDVAR, F_PIPE_RW, NFLOORS
};

static const struct {
	const char *key, *label;
} floor_info[NFLOORS] = {
	[F_PTHREAD] = { "pthread_create_join", "pthread_create + join, empty thread" },
	[F_FORK] = { "fork_exit_waitpid", "fork + _exit + waitpid" },
	[F_PIPE_RT] = { "pipe_round_trip_processes", "pipe round trip, 2 processes, 1 byte" },
	[F_FUTEX_THREADS] = { "futex_round_trip_threads", "futex wake/wait round trip, 2 threads" },
	[F_FUTEX_PROCS] = { "futex_round_trip_processes",
			    "futex wake/wait round trip, 2 processes" },
	[F_CONDVAR] = { "condvar_round_trip_threads", "condition variable round trip, 2 threads" },
	[F_PIPE_RW] = { "pipe_read4_write32", "pipe read 4 B + write 32 B, 1 process" },
};

struct floor {
	double *x;
	size_t n;
	int rc;
	double median;
};

static void *empty_thread(void *arg)
{
	return arg;
}

static int floor_pthread(double *x, size_t n)
{
	size_t warm = warmup_of(n);
	for (size_t i = 0; i < warm + n; i++) {
		pthread_t t;
		int64_t t0 = now_ns();
		int rc = pthread_create(&t, NULL, empty_thread, NULL);
		if (rc)
			return -rc;
		pthread_join(t, NULL);
		if (i >= warm)
			x[i - warm] = (double)(now_ns() - t0);
	}
	return 0;
}

static int floor_fork(double *x, size_t n)
{
	size_t warm = warmup_of(n);
	for (size_t i = 0; i < warm + n; i++) {
		int64_t t0 = now_ns();
		pid_t pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		wait_child(pid);
		if (i >= warm)
			x[i - warm] = (double)(now_ns() - t0);
	}
	return 0;
}

static int floor_pipe_rt(double *x, size_t n)
{
	int a[2], b[2], rc = 0;
	size_t warm = warmup_of(n);
	pid_t pid, self = getpid();

	rc = pipes_open(a, b);
	if (rc < 0)
		return rc;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		char c;
		child_setup(self);
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1)
			if (write(b[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	for (size_t i = 0; i < warm + n && !rc; i++) {
		char c = 'x';
		int64_t t0 = now_ns();
		rc = cb_write_full(a[1], &c, 1);
		if (!rc)
			rc = cb_read_full(b[0], &c, 1);
		if (i >= warm)
			x[i - warm] = (double)(now_ns() - t0);
	}
out:
	close(a[1]);     /* end of file: the child leaves */
	close(a[0]);
	close(b[0]);
	close(b[1]);
	if (pid > 0)
		wait_child(pid);
	return rc;
}

/* Two parties hand a turn back and forth: futex words or a mutex and condition variable. */
struct pingpong {
	_Atomic uint32_t turn;       /* 1: the pong side's turn, 0: the ping side's */
	int priv;                    /* FUTEX_PRIVATE_FLAG for threads, 0 for processes */
	size_t iters;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int cturn;
};

static void futex_pong(struct pingpong *pp)
{
	for (size_t i = 0; i < pp->iters; i++) {
		handoff_wait(&pp->turn, 0, pp->priv);
		handoff_give(&pp->turn, 0, pp->priv);
	}
}

static void *futex_pong_thread(void *arg)
{
	futex_pong(arg);
	return NULL;
}

static void futex_ping(struct pingpong *pp, double *x, size_t warm)
{
	for (size_t i = 0; i < pp->iters; i++) {
		int64_t t0 = now_ns();
		handoff_give(&pp->turn, 1, pp->priv);
		handoff_wait(&pp->turn, 1, pp->priv);
		if (i >= warm)
			x[i - warm] = (double)(now_ns() - t0);
	}
}

static int floor_futex_threads(double *x, size_t n)
{
	struct pingpong pp = { .priv = FUTEX_PRIVATE_FLAG, .iters = warmup_of(n) + n };
	pthread_t t;
	int rc;
	atomic_init(&pp.turn, 0);
	rc = pthread_create(&t, NULL, futex_pong_thread, &pp);
	if (rc)
		return -rc;
	futex_ping(&pp, x, warmup_of(n));
	pthread_join(t, NULL);
	return 0;
}

static int floor_futex_procs(double *x, size_t n)
{
	struct pingpong *pp = mmap(NULL, sizeof(*pp), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid, self = getpid();
	if (pp == MAP_FAILED)
		return -ENOMEM;
	atomic_init(&pp->turn, 0);
	pp->priv = 0;
	pp->iters = warmup_of(n) + n;
	pid = fork();
	if (pid < 0) {
		int rc = -errno;
		munmap(pp, sizeof(*pp));
		return rc;
	}
	if (pid == 0) {
		child_setup(self);
		futex_pong(pp);
		_exit(0);
	}
	futex_ping(pp, x, warmup_of(n));
	wait_child(pid);
	munmap(pp, sizeof(*pp));
	return 0;
}

static void *condvar_pong(void *arg)
{
	struct pingpong *pp = arg;
	for (size_t i = 0; i < pp->iters; i++) {
		pthread_mutex_lock(&pp->mu);
		while (pp->cturn == 0)
			pthread_cond_wait(&pp->cv, &pp->mu);
		pp->cturn = 0;
		pthread_cond_signal(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
	}
	return NULL;
}

static int floor_condvar(double *x, size_t n)
{
	struct pingpong pp = { .iters = warmup_of(n) + n };
	size_t warm = warmup_of(n);
	pthread_t t;
	int rc;
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	rc = pthread_create(&t, NULL, condvar_pong, &pp);
	if (rc) {
		pthread_cond_destroy(&pp.cv);
		pthread_mutex_destroy(&pp.mu);
		return -rc;
	}
	for (size_t i = 0; i < pp.iters; i++) {
		int64_t t0 = now_ns();
		pthread_mutex_lock(&pp.mu);
		pp.cturn = 1;
		pthread_cond_signal(&pp.cv);
		while (pp.cturn == 1)
			pthread_cond_wait(&pp.cv, &pp.mu);
		pthread_mutex_unlock(&pp.mu);
		if (i >= warm)
			x[i - warm] = (double)(now_ns() - t0);
	}
	pthread_join(t, NULL);
	pthread_cond_destroy(&pp.cv);
	pthread_mutex_destroy(&pp.mu);
	return 0;
}

/* What a fork worker pays per task besides the task: read a 4-byte descriptor from a pipe
 * and write a 32-byte result to another, with nobody waiting on either side. One sample is
 * the mean over a batch of PIPE_RW_BATCH pairs (32 B each, so the batch fits in the pipe). */
static int floor_pipe_rw(double *x, size_t n)
{
	int a[2], b[2], rc = 0;
	int32_t desc[PIPE_RW_BATCH];
	char msg[32], sink[PIPE_RW_BATCH * 32];
	size_t warm = 2;

	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < PIPE_RW_BATCH; i++)
		desc[i] = i;
	rc = pipes_open(a, b);
	if (rc < 0)
		return rc;
	for (size_t s = 0; s < warm + n && !rc; s++) {
		int64_t t0;
		rc = cb_write_full(a[1], desc, sizeof(desc));
		t0 = now_ns();
		for (int i = 0; i < PIPE_RW_BATCH && !rc; i++) {
			int32_t d;
			rc = cb_read_full(a[0], &d, sizeof(d));
			if (!rc)
				rc = cb_write_full(b[1], msg, sizeof(msg));
		}
		if (s >= warm)
			x[s - warm] = (double)(now_ns() - t0) / PIPE_RW_BATCH;
		if (!rc)
			rc = cb_read_full(b[0], sink, sizeof(sink));
	}
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	return rc;
}

static void floors_run(const struct opts *o, struct floor *f)
{
	static int (*const fn[NFLOORS])(double *, size_t) = {
		[F_PTHREAD] = floor_pthread, [F_FORK] = floor_fork, [F_PIPE_RT] = floor_pipe_rt,
		[F_FUTEX_THREADS] = floor_futex_threads, [F_FUTEX_PROCS] = floor_futex_procs,
		[F_CONDVAR] = floor_condvar, [F_PIPE_RW] = floor_pipe_rw,
	};
	for (int i = 0; i < NFLOORS; i++) {
		size_t n = o->pingpong_iters;
		if (i == F_PTHREAD || i == F_FORK)
			n = o->create_iters;
		else if (i == F_PIPE_RW)
			n = o->pingpong_iters / PIPE_RW_BATCH < 10 ? 10
				: o->pingpong_iters / PIPE_RW_BATCH;
		f[i].n = n;
		f[i].median = NAN;
		f[i].x = calloc(n, sizeof(double));
		if (!f[i].x) {
			f[i].rc = -ENOMEM;
			continue;
		}
		f[i].rc = fn[i](f[i].x, n);
		if (f[i].rc < 0)
			cb_error("floor %s: %s", floor_info[i].key, strerror(-f[i].rc));
		else
			f[i].median = stats_median(f[i].x, n);
	}
}

/* ---- pools: start, one repetition, stop, exactly as run.c drives an executor ---- */

struct live {
	const struct executor *ex;
	struct wl_inst *w;
	struct pool *pool;
	struct task_out *outs;
	struct worker_rec *recs;
	int64_t startup_ns;
};

static int inst_init(struct wl_inst *w, const struct workload *wl, const struct wl_params *p,
		     unsigned workers, struct cb_err *e)
{
	struct machine m;
	char why[256] = "";
	int rc;
	topo_machine(&m);
	memset(w, 0, sizeof(*w));
	w->wl = wl;
	w->p = *p;
	w->workers = workers;
	w->scale = 1;
	rc = wl->init(w, &m, why, sizeof(why));
	if (rc < 0) {
		cb_err_set(e, rc, "%s: cannot initialise: %s", wl->name, why[0] ? why : strerror(-rc));
		if (wl->fini)
			wl->fini(w);
		w->wl = NULL;
	}
	return rc;
}

static void inst_fini(struct wl_inst *w)
{
	if (w->wl && w->wl->fini)
		w->wl->fini(w);
	w->wl = NULL;
}

static void live_stop(struct live *l)
{
	if (l->ex)
		l->ex->stop(l->pool);
	l->pool = NULL;
	free(l->outs);
	free(l->recs);
	l->outs = NULL;
	l->recs = NULL;
}

static int live_start(struct live *l, const struct executor *ex, struct wl_inst *w,
		      struct cb_err *e)
{
	struct pool_cfg cfg = { .w = w, .workers = w->workers, .dynamic = 0 };  /* unbound */
	int rc;
	memset(l, 0, sizeof(*l));
	l->ex = ex;
	l->w = w;
	l->outs = aligned_alloc(64, w->ntasks * sizeof(*l->outs));
	l->recs = aligned_alloc(64, w->workers * sizeof(*l->recs));
	if (!l->outs || !l->recs) {
		cb_err_set(e, -ENOMEM, "out of memory");
		live_stop(l);
		return -ENOMEM;
	}
	cfg.deadline_ns = now_ns() + START_DEADLINE_NS;
	rc = ex->start(&cfg, &l->pool, &l->startup_ns, e);
	if (rc < 0) {
		l->pool = NULL;
		live_stop(l);
	}
	return rc;
}

/* One timed repetition, checked like run.c checks it. Fills the worker-timed span
 * (max end - min start), the coordinator's wall time around run(), the time from the
 * coordinator's call to the first worker's start, and from the last worker's end to the
 * coordinator's return. */
struct rep_times {
	int64_t span, wall, start, finish, skew;
	uint64_t checksum;
};

static int live_rep(struct live *l, struct rep_times *rt, struct cb_err *e)
{
	const struct wl_inst *w = l->w;
	int64_t lo = INT64_MAX, hi = INT64_MIN, last = INT64_MIN, t0, t1;
	char why[256];
	int rc;

	t0 = now_ns();
	rc = l->ex->run(l->pool, now_ns() + RUN_DEADLINE_NS, l->outs, l->recs, e);
	t1 = now_ns();
	if (rc < 0)
		return rc;
	for (size_t t = 0; t < w->ntasks; t++) {
		if (!l->outs[t].done || l->outs[t].task != t || l->outs[t].err) {
			cb_err_set(e, -EBADMSG, "task %zu: no result or an error", t);
			return -EBADMSG;
		}
	}
	if (w->wl->verify(w, l->outs, &rt->checksum, why, sizeof(why)) < 0) {
		cb_err_set(e, -EBADMSG, "verification failed: %s", why);
		return -EBADMSG;
	}
	for (unsigned k = 0; k < w->workers; k++) {
		if (l->recs[k].t_start < lo)
			lo = l->recs[k].t_start;
		if (l->recs[k].t_start > last)
			last = l->recs[k].t_start;
		if (l->recs[k].t_end > hi)
			hi = l->recs[k].t_end;
	}
	rt->span = hi - lo;
	rt->wall = t1 - t0;
	rt->start = lo - t0;
	rt->finish = t1 - hi;
	rt->skew = last - lo;
	return 0;
}

/* ---- dispatch: empty tasks ---- */

static const size_t batches[] = { 1, BATCH_MANY };
#define NBATCH (sizeof(batches) / sizeof(batches[0]))

struct batch_res {
	size_t ntasks, per_worker;     /* per_worker: tasks of the busiest worker */
	double *span, *wall, *start, *finish, *skew;
	size_t n;
	double span_med, wall_med, start_med, finish_med, skew_med, per_task_ns;
};

struct dispatch {
	const struct executor *ex;
	unsigned workers;
	double *startup;               /* startup_ns / workers, one per pool start */
	size_t nstartup;
	double startup_per_worker;
	int startup_floor, finish_floor, task_floor;   /* enum floor_id, or -1 */
	struct batch_res b[NBATCH];
	int rc;
	char err[400];
};

static int dispatch_batch(const struct opts *o, struct dispatch *d, struct batch_res *b,
			  struct cb_err *e)
{
	struct wl_params p = { .tasks = b->ntasks };
	struct wl_inst w;
	struct live l;
	int rc = inst_init(&w, &workload_null, &p, d->workers, e);
	if (rc < 0)
		return rc;
	b->span = calloc(o->reps, sizeof(double));
	b->wall = calloc(o->reps, sizeof(double));
	b->start = calloc(o->reps, sizeof(double));
	b->finish = calloc(o->reps, sizeof(double));
	b->skew = calloc(o->reps, sizeof(double));
	if (!b->span || !b->wall || !b->start || !b->finish || !b->skew) {
		cb_err_set(e, -ENOMEM, "out of memory");
		inst_fini(&w);
		return -ENOMEM;
	}
	rc = live_start(&l, d->ex, &w, e);
	for (unsigned r = 0; rc == 0 && r < o->warmup + o->reps; r++) {
		struct rep_times rt;
		rc = live_rep(&l, &rt, e);
		if (rc < 0 || r < o->warmup)
			continue;
		b->span[b->n] = (double)rt.span;
		b->wall[b->n] = (double)rt.wall;
		b->start[b->n] = (double)rt.start;
		b->finish[b->n] = (double)rt.finish;
		b->skew[b->n] = (double)rt.skew;
		b->n++;
	}
	if (l.ex)
		live_stop(&l);
	inst_fini(&w);
	if (rc < 0)
		return rc;
	b->span_med = stats_median(b->span, b->n);
	b->wall_med = stats_median(b->wall, b->n);
	b->start_med = stats_median(b->start, b->n);
	b->finish_med = stats_median(b->finish, b->n);
	b->skew_med = stats_median(b->skew, b->n);
	b->per_task_ns = b->span_med / (double)b->per_worker;
	return 0;
}

static int dispatch_startup(const struct opts *o, struct dispatch *d, struct cb_err *e)
{
	struct wl_params p = { .tasks = 1 };
	struct wl_inst w;
	int rc = inst_init(&w, &workload_null, &p, d->workers, e);
	if (rc < 0)
		return rc;
	d->startup = calloc(o->startups, sizeof(double));
	if (!d->startup) {
		inst_fini(&w);
		cb_err_set(e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < o->startups && rc == 0; i++) {
		struct live l;
		rc = live_start(&l, d->ex, &w, e);
		if (rc < 0)
			break;
		d->startup[d->nstartup++] = (double)l.startup_ns / d->workers;
		live_stop(&l);
	}
	inst_fini(&w);
	if (rc == 0)
		d->startup_per_worker = stats_median(d->startup, d->nstartup);
	return rc;
}

static void dispatch_run(const struct opts *o, struct dispatch *d)
{
	struct cb_err e = { 0 };
	int proc = !(d->ex->flags & EX_SHARED_ADDRESS_SPACE);
	int single = d->ex->flags & EX_SINGLE_WORKER;

	/* The floor each figure is a multiple of: creating one worker; one wake-up of the
	 * coordinator (half a futex round trip, the gate's mechanism); and, for fork, the pipe
	 * read and write each task pays. seq has no floor: it creates and wakes nothing. */
	d->startup_floor = single ? -1 : proc ? F_FORK : F_PTHREAD;
	d->finish_floor = single ? -1 : proc ? F_FUTEX_PROCS : F_FUTEX_THREADS;
	d->task_floor = strcmp(d->ex->name, "fork") == 0 ? F_PIPE_RW : -1;
	for (size_t i = 0; i < NBATCH; i++) {
		d->b[i].ntasks = batches[i];
		d->b[i].per_worker = (batches[i] + d->workers - 1) / d->workers;
		d->b[i].span_med = d->b[i].wall_med = d->b[i].per_task_ns = NAN;
		d->b[i].start_med = d->b[i].finish_med = d->b[i].skew_med = NAN;
	}
	d->startup_per_worker = NAN;
	d->rc = dispatch_startup(o, d, &e);
	for (size_t i = 0; i < NBATCH && d->rc == 0; i++)
		d->rc = dispatch_batch(o, d, &d->b[i], &e);
	if (d->rc < 0) {
		cb_fmt(d->err, sizeof(d->err), "%s with %u workers: %s", d->ex->name, d->workers,
		       e.msg[0] ? e.msg : strerror(-d->rc));
		cb_error("%s", d->err);
	}
}

/* ---- cpu: the registry's sumsq against a bare loop of the same arithmetic ---- */

/* The same loop as src/workloads/cpu.c, with the same barrier, so the compiler emits the
 * same instructions for it. Where the loop lies matters as much as what it is: on the
 * development VM's AMD EPYC this 19-byte loop runs at 0.27 ns a number inside one 64-byte
 * line and at 0.55-0.6 ns when it crosses a line boundary. So the bare loop is kept out of
 * line with its loop aligned to 32 bytes, which never crosses, and the reference does not
 * move when this file changes; cpu.c's copy lies wherever the link puts it (see the
 * seq / bare loop check in cpu_run). */
__attribute__((noinline, optimize("align-loops=32")))
static uint64_t bare_sumsq(uint64_t lo, uint64_t hi)
{
	uint64_t s = 0;
	for (uint64_t i = lo; i < hi; i++) {
		uint64_t v = i;
		__asm__ volatile("" : "+r"(v));
		s += v * v;
	}
	return s;
}

/* Worker k's numbers: the union of its static block of tasks, one contiguous range. */
static void bare_range(uint64_t n, size_t ntasks, unsigned workers, unsigned k, uint64_t *lo,
		       uint64_t *hi)
{
	size_t tlo, thi;
	task_block(ntasks, workers, k, &tlo, &thi);
	*lo = (uint64_t)((unsigned __int128)n * tlo / ntasks);
	*hi = (uint64_t)((unsigned __int128)n * thi / ntasks);
}

struct bare_res {
	int64_t t_start, t_end;
	uint64_t sum;
	uint32_t k;
	uint32_t pad_;
} __attribute__((aligned(64)));

/* The common start of a bare run: the method of docs/measurement.md (park on a futex until the
 * coordinator publishes start_at, then spin to it) written out here without concbench's
 * gate, so that a bare runner and an executor differ in the harness, not in how their
 * workers start. (On a quiet 2-vCPU VM, yielding in a loop instead measured the same.) */
struct bare_start {
	_Atomic uint32_t go;
	int priv;                    /* FUTEX_PRIVATE_FLAG for threads, 0 for processes */
	_Atomic int64_t start_at;
};

static void bare_start_init(struct bare_start *st, int priv)
{
	atomic_init(&st->go, 0);
	atomic_init(&st->start_at, 0);
	st->priv = priv;
}

static void bare_start_publish(struct bare_start *st)
{
	atomic_store_explicit(&st->start_at, now_ns() + GATE_DELTA_NS, memory_order_relaxed);
	atomic_store_explicit(&st->go, 1, memory_order_release);
	futex_call(&st->go, FUTEX_WAKE | st->priv, INT_MAX);
}

struct bare_arg {
	struct bare_start *st;       /* NULL: start at once */
	uint64_t lo, hi;
	struct bare_res *res;
};

static void bare_body(struct bare_arg *a)
{
	if (a->st) {
		handoff_wait(&a->st->go, 0, a->st->priv);
		spin_until(atomic_load_explicit(&a->st->start_at, memory_order_relaxed));
	}
	a->res->t_start = now_ns();
	a->res->sum = bare_sumsq(a->lo, a->hi);
	a->res->t_end = now_ns();
}

static void *bare_thread(void *arg)
{
	bare_body(arg);
	return NULL;
}

struct bare_run {
	int64_t span;
	uint64_t sum;
};

static void bare_combine(const struct bare_res *r, unsigned n, struct bare_run *out)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	out->sum = 0;
	for (unsigned k = 0; k < n; k++) {
		if (r[k].t_start < lo)
			lo = r[k].t_start;
		if (r[k].t_end > hi)
			hi = r[k].t_end;
		out->sum += r[k].sum;
	}
	out->span = hi - lo;
}

/* The loop in the calling thread: the bare counterpart of seq. */
static int bare_inline(uint64_t n, size_t ntasks, struct bare_run *out)
{
	struct bare_res r;
	struct bare_arg a = { .st = NULL, .res = &r };
	bare_range(n, ntasks, 1, 0, &a.lo, &a.hi);
	bare_body(&a);
	bare_combine(&r, 1, out);
	return 0;
}

static int bare_pthreads(uint64_t n, size_t ntasks, unsigned workers, struct bare_run *out)
{
	struct bare_start st;
	struct bare_res *res = aligned_alloc(64, workers * sizeof(*res));
	struct bare_arg *args = calloc(workers, sizeof(*args));
	pthread_t *tids = calloc(workers, sizeof(*tids));
	unsigned started = 0;
	int rc = 0;

	bare_start_init(&st, FUTEX_PRIVATE_FLAG);
	if (!res || !args || !tids) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned k = 0; k < workers; k++) {
		args[k].st = &st;
		args[k].res = &res[k];
		bare_range(n, ntasks, workers, k, &args[k].lo, &args[k].hi);
		rc = -pthread_create(&tids[k], NULL, bare_thread, &args[k]);
		if (rc)
			break;
		started++;
	}
	/* On failure the started threads still need a start time to leave. */
	bare_start_publish(&st);
	for (unsigned k = 0; k < started; k++)
		pthread_join(tids[k], NULL);
	if (!rc)
		bare_combine(res, workers, out);
out:
	free(res);
	free(args);
	free(tids);
	return rc;
}

/* Raw processes: the common start in a shared page, each result back through one pipe
 * (a message under PIPE_BUF, so each write is atomic). */
static int bare_fork(uint64_t n, size_t ntasks, unsigned workers, struct bare_run *out)
{
	struct bare_start *st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct bare_res *res = aligned_alloc(64, workers * sizeof(*res));
	pid_t *pids = calloc(workers, sizeof(*pids)), self = getpid();
	int fds[2] = { -1, -1 };
	unsigned started = 0;
	int rc = 0;

	if (st == MAP_FAILED)
		st = NULL;
	if (!st || !res || !pids) {
		rc = -ENOMEM;
		goto out;
	}
	bare_start_init(st, 0);
	if (pipe(fds) < 0) {
		rc = -errno;
		goto out;
	}
	for (unsigned k = 0; k < workers; k++) {
		pid_t pid = fork();
		if (pid < 0) {
			rc = -errno;
			break;
		}
		if (pid == 0) {
			struct bare_res r = { .k = k };
			struct bare_arg a = { .st = st, .res = &r };
			child_setup(self);
			close(fds[0]);
			bare_range(n, ntasks, workers, k, &a.lo, &a.hi);
			bare_body(&a);
			_exit(cb_write_full(fds[1], &r, sizeof(r)) < 0 ? 1 : 0);
		}
		pids[k] = pid;
		started++;
	}
	close(fds[1]);
	fds[1] = -1;
	bare_start_publish(st);
	for (unsigned i = 0; i < started && !rc; i++) {
		struct bare_res r;
		rc = cb_read_full(fds[0], &r, sizeof(r));
		if (!rc && r.k >= workers)
			rc = -EBADMSG;
		if (!rc)
			res[r.k] = r;
	}
	for (unsigned k = 0; k < started; k++)
		wait_child(pids[k]);
	if (!rc)
		bare_combine(res, workers, out);
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (st)
		munmap(st, sizeof(*st));
	free(res);
	free(pids);
	return rc;
}

enum runner_kind { R_EXECUTOR, R_BARE_INLINE, R_BARE_PTHREAD, R_BARE_FORK };

struct runner {
	const char *name;
	enum runner_kind kind;
	unsigned workers;
	struct live live;            /* R_EXECUTOR */
	double *x;                   /* ns per repetition, kept samples */
	size_t n;
	double median;
	double speedup;              /* against its base: seq for executors, bare loop for bare */
	int base;                    /* index of the base runner */
	int bare;                    /* executors: index of the bare runner of the same kind */
	double ratio;                /* speedup / bare speedup */
};

struct cpu_cmp {
	uint64_t size;
	size_t ntasks;
	unsigned workers;
	double calib_ns_per_number;
	struct runner *r;
	size_t nr;
	int rc;
	char err[400];
	uint64_t expect;             /* the seq run's checksum; every runner must match */
	double seq_over_bare;        /* median seq / median bare loop, 1 worker each */
};

static uint64_t cpu_size_for(int64_t target_ns, double *ns_per_number)
{
	double best = INFINITY;
	uint64_t size;
	for (int i = 0; i < 5; i++) {
		int64_t t0 = now_ns();
		volatile uint64_t s = bare_sumsq(0, CPU_CALIB_NUMBERS);
		double t = (double)(now_ns() - t0);
		(void)s;
		if (t < best)
			best = t;
	}
	*ns_per_number = best / CPU_CALIB_NUMBERS;
	size = (uint64_t)((double)target_ns / *ns_per_number);
	if (size < 1000000)
		size = 1000000;
	return size / 1000000 * 1000000;   /* a round figure, easier to read and to re-run */
}

static int runner_rep(struct cpu_cmp *c, struct runner *r, double *ns, struct cb_err *e)
{
	struct bare_run b = { 0 };
	int rc;
	switch (r->kind) {
	case R_EXECUTOR: {
		struct rep_times rt;
		rc = live_rep(&r->live, &rt, e);
		if (rc < 0)
			return rc;
		b.span = rt.span;
		b.sum = rt.checksum;
		break;
	}
	case R_BARE_INLINE:
		rc = bare_inline(c->size, c->ntasks, &b);
		break;
	case R_BARE_PTHREAD:
		rc = bare_pthreads(c->size, c->ntasks, r->workers, &b);
		break;
	default:
		rc = bare_fork(c->size, c->ntasks, r->workers, &b);
		break;
	}
	if (rc < 0) {
		cb_err_set(e, rc, "%s: %s", r->name, strerror(-rc));
		return rc;
	}
	if (b.sum != c->expect) {
		cb_err_set(e, -EBADMSG, "%s: checksum %016llx, expected %016llx", r->name,
			   (unsigned long long)b.sum, (unsigned long long)c->expect);
		return -EBADMSG;
	}
	*ns = (double)b.span;
	return 0;
}

static int find_runner(const struct cpu_cmp *c, const char *name)
{
	for (size_t i = 0; i < c->nr; i++)
		if (strcmp(c->r[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void cpu_run(const struct opts *o, struct cpu_cmp *c)
{
	struct wl_params p = { 0 };
	struct wl_inst w1, wn;
	struct cb_err e = { 0 };
	int rc;
	size_t nex = 0;

	memset(&w1, 0, sizeof(w1));
	memset(&wn, 0, sizeof(wn));
	c->workers = o->top;
	c->size = cpu_size_for(o->cpu_target_ns, &c->calib_ns_per_number);
	p.size = c->size;          /* tasks 0: the workload's default; kernel 0: sumsq */
	rc = inst_init(&w1, &workload_cpu, &p, 1, &e);
	if (rc == 0)
		rc = inst_init(&wn, &workload_cpu, &p, c->workers, &e);
	if (rc < 0)
		goto out;
	c->ntasks = w1.ntasks;

	/* Runners: seq, then every parallel executor, then the bare loops. */
	c->r = calloc(cb_nexecutors + 3, sizeof(*c->r));
	if (!c->r) {
		rc = -ENOMEM;
		cb_err_set(&e, rc, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *ex = cb_executors[i];
		char why[200];
		int single = ex->flags & EX_SINGLE_WORKER;
		if (ex->supported && ex->supported(why, sizeof(why)) < 0)
			continue;
		if (!single && c->workers < 2)
			continue;
		c->r[c->nr].name = ex->name;
		c->r[c->nr].kind = R_EXECUTOR;
		c->r[c->nr].workers = single ? 1 : c->workers;
		c->r[c->nr].live.ex = ex;
		c->nr++;
		nex++;
	}
	c->r[c->nr++] = (struct runner){ .name = "bare loop", .kind = R_BARE_INLINE, .workers = 1 };
	if (c->workers >= 2) {
		c->r[c->nr++] = (struct runner){ .name = "bare pthread", .kind = R_BARE_PTHREAD,
						 .workers = c->workers };
		c->r[c->nr++] = (struct runner){ .name = "bare fork", .kind = R_BARE_FORK,
						 .workers = c->workers };
	}
	for (size_t i = 0; i < c->nr; i++) {
		struct runner *r = &c->r[i];
		r->median = r->speedup = r->ratio = NAN;
		r->x = calloc(o->reps, sizeof(double));
		if (!r->x) {
			rc = -ENOMEM;
			cb_err_set(&e, rc, "out of memory");
			goto out;
		}
	}
	/* All pools start before the first round and stay parked between their repetitions. */
	for (size_t i = 0; i < nex && rc == 0; i++) {
		struct runner *r = &c->r[i];
		const struct executor *ex = r->live.ex;
		rc = live_start(&r->live, ex, r->workers == 1 ? &w1 : &wn, &e);
		if (rc < 0)
			r->live.ex = NULL;
	}
	if (rc < 0)
		goto out;
	{
		struct rep_times rt;
		int s = find_runner(c, "seq");
		if (s < 0) {
			rc = -ENOENT;
			cb_err_set(&e, rc, "no seq executor in the registry");
			goto out;
		}
		c->expect = 0;
		rc = live_rep(&c->r[s].live, &rt, &e);
		if (rc < 0)
			goto out;
		c->expect = rt.checksum;   /* verified by the workload against its closed form */
	}
	/* Rounds: every runner once per round, the order rotated each round. */
	for (unsigned round = 0; round < o->warmup + o->reps && rc == 0; round++) {
		for (size_t j = 0; j < c->nr && rc == 0; j++) {
			struct runner *r = &c->r[(j + round) % c->nr];
			double ns;
			rc = runner_rep(c, r, &ns, &e);
			if (rc == 0 && round >= o->warmup)
				r->x[r->n++] = ns;
		}
	}
	if (rc < 0)
		goto out;
	{
		/* Same work, same instructions, one worker: they should agree. A factor near 2
		 * on x86 is the loop alignment described at bare_sumsq. */
		int seq = find_runner(c, "seq"), inl = find_runner(c, "bare loop");
		double q = NAN;
		if (seq >= 0 && inl >= 0 && c->r[seq].n && c->r[inl].n)
			q = stats_median(c->r[seq].x, c->r[seq].n) /
			    stats_median(c->r[inl].x, c->r[inl].n);
		c->seq_over_bare = q;
		if (q > 1.05 || q < 0.95)
			warn("cpu: seq takes %.2fx the bare loop's time for the same instructions on "
			     "one worker; if near 2, the workload's loop likely crosses a 64-byte "
			     "line where this link put it (absolute times are off, speedups are not)",
			     q);
	}
	for (size_t i = 0; i < c->nr; i++) {
		struct stats_summary st;
		c->r[i].median = stats_median(c->r[i].x, c->r[i].n);
		if (stats_summarize(c->r[i].x, c->r[i].n, &st) == 0 && st.cv > 0.05)
			warn("cpu on %s: coefficient of variation %.1f%% is over 5%%; the ratios "
			     "are unreliable, quiet the machine", c->r[i].name, 100 * st.cv);
	}
	{
		int seq = find_runner(c, "seq"), inl = find_runner(c, "bare loop");
		int bp = find_runner(c, "bare pthread"), bf = find_runner(c, "bare fork");
		for (size_t i = 0; i < c->nr; i++) {
			struct runner *r = &c->r[i];
			r->base = r->kind == R_EXECUTOR ? seq : inl;
			r->bare = -1;
			r->speedup = c->r[r->base].median / r->median;
		}
		/* Second pass: every bare speedup exists now. */
		for (size_t i = 0; i < c->nr; i++) {
			struct runner *r = &c->r[i];
			int proc;
			if (r->kind != R_EXECUTOR || r->workers < 2)
				continue;
			proc = !(r->live.ex->flags & EX_SHARED_ADDRESS_SPACE);
			r->bare = proc ? bf : bp;
			if (r->bare >= 0)
				r->ratio = r->speedup / c->r[r->bare].speedup;
		}
	}
out:
	for (size_t i = 0; c->r && i < nex; i++)
		if (c->r[i].live.ex)
			live_stop(&c->r[i].live);
	inst_fini(&w1);
	inst_fini(&wn);
	c->rc = rc;
	if (rc < 0) {
		cb_fmt(c->err, sizeof(c->err), "cpu comparison: %s", e.msg[0] ? e.msg : strerror(-rc));
		cb_error("%s", c->err);
	}
}

/* ---- output: a table on stdout, a JSON report ---- */

static void fmt_time(char *buf, size_t len, double ns)
{
	if (!isfinite(ns))
		cb_fmt(buf, len, "-");
	else if (ns < 1e3)
		cb_fmt(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		cb_fmt(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 1e9)
		cb_fmt(buf, len, "%.2f ms", ns / 1e6);
	else
		cb_fmt(buf, len, "%.2f s", ns / 1e9);
}

static void fmt_ratio(char *buf, size_t len, double r)
{
	if (!isfinite(r))
		cb_fmt(buf, len, "-");
	else
		cb_fmt(buf, len, "%.1fx", r);
}

static double floor_med(const struct floor *f, int id)
{
	return id < 0 ? NAN : f[id].median;
}

/* The coordinator's wake-up at the end is one way of a round trip. */
static double one_way(const struct floor *f, int id)
{
	return floor_med(f, id) / 2;
}

static void print_tables(const struct opts *o, const struct floor *f, const struct dispatch *d,
			 size_t nd, const struct cpu_cmp *c, const char *date)
{
	char a[32], b[32], x[32], y[32], z[32], q[32];
	const char *model = topo_cpu_model();

	printf("concbench harness overhead: %u PUs (%u cores)%s%s, %s, %u repetitions%s\n\n",
	       topo_pus(), topo_cores(), model ? ", " : "", model ? model : "", date, o->reps,
	       o->quick ? " (--quick)" : "");
	printf("floors: the mechanisms underneath, medians, nothing bound\n");
	for (int i = 0; i < NFLOORS; i++) {
		fmt_time(a, sizeof(a), f[i].median);
		printf("  %-44s %10s   (n=%zu)\n", floor_info[i].label, a, f[i].n);
	}
	printf("\ndispatch: empty tasks, worker-timed medians; x = multiple of the floor\n");
	printf("  %-12s | %-18s | %-38s | %-18s\n", "", "start-up", "batch 1", "batch 4096");
	printf("  %-8s %3s | %11s %6s | %11s %9s %9s %6s | %11s %6s\n", "executor", "w",
	       "per worker", "x", "per task", "rep wall", "finish", "x", "per task", "x");
	for (size_t i = 0; i < nd; i++) {
		const struct dispatch *p = &d[i];
		if (p->rc < 0) {
			printf("  %-8s %3u | failed: %s\n", p->ex->name, p->workers, p->err);
			continue;
		}
		fmt_time(a, sizeof(a), p->startup_per_worker);
		fmt_ratio(b, sizeof(b), p->startup_per_worker / floor_med(f, p->startup_floor));
		fmt_time(x, sizeof(x), p->b[0].per_task_ns);
		fmt_time(y, sizeof(y), p->b[0].wall_med);
		fmt_time(z, sizeof(z), p->b[0].finish_med);
		fmt_ratio(q, sizeof(q), p->b[0].finish_med / one_way(f, p->finish_floor));
		printf("  %-8s %3u | %11s %6s | %11s %9s %9s %6s |", p->ex->name, p->workers, a, b,
		       x, y, z, q);
		fmt_time(a, sizeof(a), p->b[1].per_task_ns);
		fmt_ratio(b, sizeof(b), p->b[1].per_task_ns / floor_med(f, p->task_floor));
		printf(" %11s %6s\n", a, b);
	}
	printf("  start-up floor: pthread_create+join (thread), fork+waitpid (fork, shm); finish:\n"
	       "  last worker's end to run() returning, floor half a futex round trip; per task\n"
	       "  = span / tasks of the busiest worker, fork's floor the pipe read+write pair;\n"
	       "  rep wall includes the %.1f ms start window\n", GATE_DELTA_NS / 1e6);

	if (c->rc < 0) {
		printf("\ncpu: failed: %s\n", c->err);
		return;
	}
	printf("\ncpu sumsq, %llu numbers, %zu tasks, %u workers; interleaved rounds, medians\n",
	       (unsigned long long)c->size, c->ntasks, c->workers);
	printf("  %-13s %3s %11s %8s %14s %8s\n", "runner", "w", "median", "speedup", "vs bare",
	       "ratio");
	for (size_t i = 0; i < c->nr; i++) {
		const struct runner *r = &c->r[i];
		fmt_time(a, sizeof(a), r->median);
		printf("  %-13s %3u %11s %7.3fx %14s", r->name, r->workers, a, r->speedup,
		       r->bare >= 0 ? c->r[r->bare].name : "");
		if (isfinite(r->ratio))
			printf(" %8.3f\n", r->ratio);
		else
			printf(" %8s\n", "");
	}
	printf("  speedup: executors against seq, bare runners against the bare loop; ratio =\n"
	       "  executor speedup / bare speedup (target >= 0.95 on the 16-core device)\n");
}

static cJSON *jobj(struct jsonb *j, cJSON *parent, const char *k)
{
	cJSON *o = jsonb_chk(j, cJSON_CreateObject());
	if (!o)
		return NULL;
	if (!parent)
		return o;
	if (cJSON_IsArray(parent) ? !cJSON_AddItemToArray(parent, o)
				  : !cJSON_AddItemToObject(parent, k, o)) {
		cJSON_Delete(o);
		j->failed = 1;
		return NULL;
	}
	return o;
}

static cJSON *jarr(struct jsonb *j, cJSON *parent, const char *k)
{
	cJSON *a = jsonb_chk(j, cJSON_AddArrayToObject(parent, k));
	return a;
}

/* A median and its spread; the samples themselves when there are few. */
static void jsummary(struct jsonb *j, cJSON *parent, const char *k, const double *x, size_t n,
		     int samples)
{
	struct stats_summary s;
	cJSON *o = parent ? jobj(j, parent, k) : NULL;
	if (!o)
		return;
	if (!n || stats_summarize(x, n, &s) < 0) {
		jsonb_add_num(j, o, "n", 0);
		return;
	}
	jsonb_add_num(j, o, "n", (double)n);
	jsonb_add_num(j, o, "median", s.median);
	jsonb_add_num(j, o, "min", s.min);
	jsonb_add_num(j, o, "p10", s.p10);
	jsonb_add_num(j, o, "p90", s.p90);
	jsonb_add_num(j, o, "max", s.max);
	jsonb_add_num(j, o, "mean", s.mean);
	jsonb_add_num(j, o, "cv", s.cv);
	if (s.has_ci) {
		jsonb_add_num(j, o, "ci_lo", s.ci_lo);
		jsonb_add_num(j, o, "ci_hi", s.ci_hi);
	} else {
		jsonb_add_num(j, o, "ci_lo", NAN);
		jsonb_add_num(j, o, "ci_hi", NAN);
	}
	jsonb_add_num(j, o, "outliers", (double)s.outliers);
	if (samples)
		jsonb_item(j, o, "samples", jsonb_num_array(j, x, n));
}

static cJSON *build_json(const struct opts *o, int argc, char **argv, const struct floor *f,
			 const struct dispatch *d, size_t nd, const struct cpu_cmp *c,
			 const char *date, double runtime_s)
{
	struct jsonb j = { 0 };
	struct utsname u;
	cJSON *root = jobj(&j, NULL, NULL), *h, *p, *a, *fl, *ex, *cpu;
	const char *model = topo_cpu_model();

	if (!root)
		return NULL;
	jsonb_add_str(&j, root, "benchmark", "concbench-overhead");
	jsonb_add_str(&j, root, "version", CB_VERSION);
	jsonb_add_str(&j, root, "git", CB_GIT);
	jsonb_add_str(&j, root, "cflags", CB_CFLAGS);
#ifdef __VERSION__
	jsonb_add_str(&j, root, "compiler", __VERSION__);
#endif
	jsonb_add_str(&j, root, "date", date);
	jsonb_add_num(&j, root, "runtime_s", runtime_s);
	a = jarr(&j, root, "argv");
	for (int i = 0; a && i < argc; i++)
		jsonb_push(&j, a, cJSON_CreateString(argv[i]));

	h = jobj(&j, root, "host");
	jsonb_add_num(&j, h, "pus", topo_pus());
	jsonb_add_num(&j, h, "cores", topo_cores());
	jsonb_add_num(&j, h, "numa_nodes", topo_numa_nodes());
	jsonb_add_str(&j, h, "cpu_model", model);
	jsonb_add_num(&j, h, "load1_start", load_start);
	jsonb_add_num(&j, h, "load1_end", load_end);
	jsonb_add_num(&j, h, "others_cpu_s", noise.others_s);
	jsonb_add_num(&j, h, "steal_s", noise.steal_s);
	jsonb_add_num(&j, h, "cpu_capacity_s", noise.capacity_s);
	if (uname(&u) == 0) {
		jsonb_add_str(&j, h, "hostname", u.nodename);
		jsonb_add_str(&j, h, "kernel", u.release);
		jsonb_add_str(&j, h, "machine", u.machine);
	}

	p = jobj(&j, root, "params");
	jsonb_add_num(&j, p, "quick", o->quick);
	jsonb_add_num(&j, p, "repetitions", o->reps);
	jsonb_add_num(&j, p, "warmup", o->warmup);
	jsonb_add_num(&j, p, "pool_starts", o->startups);
	jsonb_add_num(&j, p, "create_iterations", (double)o->create_iters);
	jsonb_add_num(&j, p, "pingpong_iterations", (double)o->pingpong_iters);
	jsonb_add_num(&j, p, "start_window_ns", GATE_DELTA_NS);
	jsonb_add_str(&j, p, "binding", "none");
	a = jarr(&j, p, "workers");
	for (size_t i = 0; a && i < o->nworkers; i++)
		jsonb_push(&j, a, cJSON_CreateNumber(o->workers[i]));
	a = jarr(&j, p, "batches");
	for (size_t i = 0; a && i < NBATCH; i++)
		jsonb_push(&j, a, cJSON_CreateNumber((double)batches[i]));

	fl = jobj(&j, root, "floors_ns");
	for (int i = 0; fl && i < NFLOORS; i++) {
		if (f[i].rc < 0) {
			jsonb_add_null(&j, fl, floor_info[i].key);
			continue;
		}
		jsummary(&j, fl, floor_info[i].key, f[i].x, f[i].n, 0);
	}

	ex = jarr(&j, root, "dispatch");
	for (size_t i = 0; ex && i < nd; i++) {
		const struct dispatch *q = &d[i];
		cJSON *e = jobj(&j, ex, NULL), *bs;
		jsonb_add_str(&j, e, "executor", q->ex->name);
		jsonb_add_num(&j, e, "workers", q->workers);
		jsonb_add_str(&j, e, "error", q->rc < 0 ? q->err : NULL);
		jsonb_add_num(&j, e, "startup_per_worker_ns", q->startup_per_worker);
		jsummary(&j, e, "startup_per_worker", q->startup, q->nstartup, 1);
		jsonb_add_str(&j, e, "startup_floor",
			      q->startup_floor >= 0 ? floor_info[q->startup_floor].key : NULL);
		jsonb_add_num(&j, e, "startup_ratio",
			      q->startup_per_worker / floor_med(f, q->startup_floor));
		bs = e ? jarr(&j, e, "batches") : NULL;
		for (size_t k = 0; bs && k < NBATCH; k++) {
			const struct batch_res *b = &q->b[k];
			cJSON *bo = jobj(&j, bs, NULL);
			jsonb_add_num(&j, bo, "ntasks", (double)b->ntasks);
			jsonb_add_num(&j, bo, "tasks_busiest_worker", (double)b->per_worker);
			jsonb_add_num(&j, bo, "per_task_ns", b->per_task_ns);
			jsonb_add_num(&j, bo, "span_ns", b->span_med);
			jsonb_add_num(&j, bo, "wall_ns", b->wall_med);
			jsonb_add_num(&j, bo, "start_ns", b->start_med);
			jsonb_add_num(&j, bo, "finish_ns", b->finish_med);
			jsonb_add_num(&j, bo, "start_skew_ns", b->skew_med);
			jsonb_add_str(&j, bo, "finish_floor", q->finish_floor >= 0
				     ? floor_info[q->finish_floor].key : NULL);
			jsonb_add_num(&j, bo, "finish_ratio_to_one_way",
			     b->finish_med / one_way(f, q->finish_floor));
			jsonb_add_str(&j, bo, "per_task_floor", q->task_floor >= 0
				     ? floor_info[q->task_floor].key : NULL);
			jsonb_add_num(&j, bo, "per_task_ratio",
				      b->per_task_ns / floor_med(f, q->task_floor));
			jsummary(&j, bo, "span", b->span, b->n, 1);
			jsummary(&j, bo, "wall", b->wall, b->n, 0);
			jsummary(&j, bo, "start", b->start, b->n, 0);
			jsummary(&j, bo, "finish", b->finish, b->n, 0);
			jsummary(&j, bo, "start_skew", b->skew, b->n, 0);
		}
	}

	cpu = jobj(&j, root, "cpu");
	jsonb_add_str(&j, cpu, "error", c->rc < 0 ? c->err : NULL);
	jsonb_add_str(&j, cpu, "kernel", "sumsq");
	jsonb_add_num(&j, cpu, "size", (double)c->size);
	jsonb_add_num(&j, cpu, "tasks", (double)c->ntasks);
	jsonb_add_num(&j, cpu, "workers", c->workers);
	jsonb_add_num(&j, cpu, "target_rep_ns", (double)o->cpu_target_ns);
	jsonb_add_num(&j, cpu, "calibration_ns_per_number", c->calib_ns_per_number);
	jsonb_add_num(&j, cpu, "seq_over_bare_loop", c->rc == 0 ? c->seq_over_bare : NAN);
	a = cpu ? jarr(&j, cpu, "runners") : NULL;
	for (size_t i = 0; a && c->rc == 0 && i < c->nr; i++) {
		const struct runner *r = &c->r[i];
		cJSON *ro = jobj(&j, a, NULL);
		jsonb_add_str(&j, ro, "name", r->name);
		jsonb_add_str(&j, ro, "kind", r->kind == R_EXECUTOR ? "executor" : "bare");
		jsonb_add_num(&j, ro, "workers", r->workers);
		jsonb_add_num(&j, ro, "median_ns", r->median);
		jsonb_add_str(&j, ro, "speedup_base", c->r[r->base].name);
		jsonb_add_num(&j, ro, "speedup_base_median_ns", c->r[r->base].median);
		jsonb_add_num(&j, ro, "speedup", r->speedup);
		jsonb_add_str(&j, ro, "bare", r->bare >= 0 ? c->r[r->bare].name : NULL);
		jsonb_add_num(&j, ro, "bare_speedup", r->bare >= 0 ? c->r[r->bare].speedup : NAN);
		jsonb_add_num(&j, ro, "speedup_ratio_to_bare", r->ratio);
		jsonb_add_num(&j, ro, "time_ratio_to_bare",
		     r->bare >= 0 ? r->median / c->r[r->bare].median : NAN);
		jsummary(&j, ro, "time_ns", r->x, r->n, 1);
	}

	/* The targets, judged here; they are stated for the 16-core device. */
	a = jarr(&j, root, "targets");
	for (size_t i = 0; a && i < nd; i++) {
		const struct dispatch *q = &d[i];
		double limit = strcmp(q->ex->name, "fork") == 0 ? 10000
			       : (strcmp(q->ex->name, "thread") == 0 ||
				  strcmp(q->ex->name, "shm") == 0) ? 1000 : NAN;
		cJSON *t;
		if (!isfinite(limit) || q->workers != o->top)
			continue;
		t = jobj(&j, a, NULL);
		jsonb_add_str(&j, t, "what", "dispatch per task, batch 4096");
		jsonb_add_str(&j, t, "executor", q->ex->name);
		jsonb_add_num(&j, t, "workers", q->workers);
		jsonb_add_num(&j, t, "value_ns", q->b[1].per_task_ns);
		jsonb_add_num(&j, t, "limit_ns", limit);
		jsonb_add_bool(&j, t, "met", q->rc == 0 && q->b[1].per_task_ns < limit);
	}
	for (size_t i = 0; a && c->rc == 0 && i < c->nr; i++) {
		const struct runner *r = &c->r[i];
		cJSON *t;
		if (r->bare < 0)
			continue;
		t = jobj(&j, a, NULL);
		jsonb_add_str(&j, t, "what", "cpu speedup / bare speedup");
		jsonb_add_str(&j, t, "executor", r->name);
		jsonb_add_num(&j, t, "workers", r->workers);
		jsonb_add_num(&j, t, "value", r->ratio);
		jsonb_add_num(&j, t, "limit", 0.95);
		jsonb_add_bool(&j, t, "met", r->ratio >= 0.95);
	}
	a = jarr(&j, root, "warnings");
	for (size_t i = 0; a && i < nwarnings; i++)
		jsonb_push(&j, a, cJSON_CreateString(warnings[i]));
	return jsonb_finish(&j, root);
}

/* Write through a temporary file and rename, so a reader never sees half a report. */
static int write_report(const char *path, const char *text)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	FILE *fp;
	int rc = 0;

	if (slash && slash != path) {
		cb_fmt(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			return -errno;
	}
	cb_fmt(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fp = fopen(tmp, "w");
	if (!fp)
		return -errno;
	if (fputs(text, fp) < 0 || fputc('\n', fp) == EOF)
		rc = -EIO;
	if (fclose(fp) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct floor f[NFLOORS];
	struct dispatch *d;
	struct cpu_cmp c;
	struct cpu_snap snap0, snap1;
	size_t nd = 0;
	char date[32], why[200];
	int64_t t0 = now_ns();
	time_t now = time(NULL);
	struct tm tm;
	cJSON *root;
	char *text;
	int status = CB_EXIT_OK, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (registry_check(why, sizeof(why)) < 0)
		cb_die(CB_EXIT_RUNFAIL, "internal error: %s", why);
	if (topo_load() < 0)
		cb_die(CB_EXIT_RUNFAIL, "cannot load the hwloc topology of this machine");
	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return CB_EXIT_USAGE;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	signal(SIGPIPE, SIG_IGN);
	cpu_snap_take(&snap0);
	load_start = load1();
	if (load_start > 0.5 * topo_pus())
		warn("load average %.2f at start is over half the %u processing units; other work "
		     "is running and every figure will be noisy", load_start, topo_pus());

	/* Floors first, while this process is small and has no other threads: fork's cost
	 * grows with the parent's mappings. */
	memset(f, 0, sizeof(f));
	floors_run(&o, f);

	d = calloc(cb_nexecutors * o.nworkers, sizeof(*d));
	if (!d)
		cb_die(CB_EXIT_RUNFAIL, "out of memory");
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *ex = cb_executors[i];
		if (ex->supported && ex->supported(why, sizeof(why)) < 0) {
			fprintf(stderr, "concbench: %s: skipped: %s\n", ex->name, why);
			continue;
		}
		for (size_t k = 0; k < o.nworkers; k++) {
			if ((ex->flags & EX_SINGLE_WORKER) && o.workers[k] != 1)
				continue;
			d[nd].ex = ex;
			d[nd].workers = o.workers[k];
			dispatch_run(&o, &d[nd]);
			if (d[nd].rc < 0)
				status = CB_EXIT_RUNFAIL;
			nd++;
		}
	}

	memset(&c, 0, sizeof(c));
	cpu_run(&o, &c);
	if (c.rc < 0)
		status = CB_EXIT_RUNFAIL;

	load_end = load1();
	cpu_snap_take(&snap1);
	if (snap0.ok && snap1.ok) {
		noise.ok = 1;
		noise.others_s = snap1.busy_s - snap0.busy_s - (snap1.ours_s - snap0.ours_s);
		if (noise.others_s < 0)
			noise.others_s = 0;     /* jiffy rounding */
		noise.steal_s = snap1.steal_s - snap0.steal_s;
		noise.capacity_s = (double)(now_ns() - t0) * 1e-9 * topo_pus();
		if (noise.others_s > 0.05 * noise.capacity_s)
			warn("other processes used %.1f s of CPU during the run (%.0f%% of the "
			     "machine); every figure shares the machine with them", noise.others_s,
			     100 * noise.others_s / noise.capacity_s);
		if (noise.steal_s > 0.01 * noise.capacity_s)
			warn("the hypervisor stole %.1f s of CPU during the run (%.1f%%)",
			     noise.steal_s, 100 * noise.steal_s / noise.capacity_s);
	}
	print_tables(&o, f, d, nd, &c, date);
	root = build_json(&o, argc, argv, f, d, nd, &c, date, (double)(now_ns() - t0) * 1e-9);
	text = root ? cJSON_Print(root) : NULL;
	if (!text) {
		cb_error("%s: cannot build the report: out of memory", o.output);
		status = CB_EXIT_RUNFAIL;
	} else if ((rc = write_report(o.output, text)) < 0) {
		cb_error("%s: cannot write the report: %s", o.output, strerror(-rc));
		status = CB_EXIT_RUNFAIL;
	} else {
		printf("\nreport: %s (%.1f s)\n", o.output, (double)(now_ns() - t0) * 1e-9);
	}
	free(text);
	cJSON_Delete(root);
	for (int i = 0; i < NFLOORS; i++)
		free(f[i].x);
	for (size_t i = 0; i < nd; i++) {
		free(d[i].startup);
		for (size_t k = 0; k < NBATCH; k++) {
			free(d[i].b[k].span);
			free(d[i].b[k].wall);
			free(d[i].b[k].start);
			free(d[i].b[k].finish);
			free(d[i].b[k].skew);
		}
	}
	free(d);
	for (size_t i = 0; i < c.nr; i++)
		free(c.r[i].x);
	free(c.r);
	for (size_t i = 0; i < nwarnings; i++)
		free(warnings[i]);
	topo_release();
	return status;
}
