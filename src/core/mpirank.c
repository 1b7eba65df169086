/* SPDX-License-Identifier: MIT */
/* mpirank: concbench as an MPI job (see mpirank.h). */
#define _GNU_SOURCE
#include "core/mpirank.h"

#include <errno.h>
#include <string.h>

#include "base/util.h"

#ifdef CB_MPI

#include <mpi.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/cell.h"
#include "core/counters.h"
#include "core/fault.h"
#include "core/registry.h"
#include "core/sync.h"
#include "core/worker.h"
#include "topo/topo.h"

/* After a message the waiting side polls without sleeping this long, so that the next
 * message of an exchange (a ping, the next repetition) is taken at once; then it sleeps
 * between polls, longer each time up to POLL_SLEEP_MAX_NS, so that an idle rank costs no
 * core to the ranks and threads that measure beside it. */
#define POLL_SPIN_NS 2000000LL
#define POLL_SLEEP_MIN_NS 20000LL
#define POLL_SLEEP_MAX_NS 1000000LL
/* How long a crashing worker waits for rank 0 to end the job before it dies by itself. */
#define CRASH_WAIT_S 20

static struct {
	int rank, size;              /* size 0: not an MPI job */
	pid_t pid;                   /* rank 0's own process: forked children never end the job */
	int dirty;
	char *hosts;                 /* size x MPIR_HOST_MAX */
	int64_t last_msg;            /* now_ns() of the last message taken */
} mr;

int mpirank_built(void)
{
	return 1;
}

int mpirank_world(void)
{
	return mr.size && mr.rank == 0 ? mr.size : 0;
}

const char *mpirank_host(int r)
{
	return mr.hosts && r >= 0 && r < mr.size ? mr.hosts + (size_t)r * MPIR_HOST_MAX : "";
}

void mpirank_dirty(void)
{
	mr.dirty = 1;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
	nanosleep(&ts, NULL);
}

/* Wait for a message from src (or any) with the spin-then-sleep policy. stop: give up on a
 * stop signal. Returns 0 with its status, -ETIMEDOUT, -EINTR or -EIO. */
static int poll_probe(int src, MPI_Status *st, int64_t deadline_ns, int stop, int spin)
{
	int64_t nap = POLL_SLEEP_MIN_NS;
	for (;;) {
		int flag = 0;
		int64_t now;
		if (MPI_Iprobe(src, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st) != MPI_SUCCESS)
			return -EIO;
		now = now_ns();
		if (flag) {
			mr.last_msg = now;
			return 0;
		}
		if (stop && cb_stop_signal)
			return -EINTR;
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		if (spin || now - mr.last_msg < POLL_SPIN_NS)
			continue;
		sleep_ns(nap);
		nap = nap * 2 > POLL_SLEEP_MAX_NS ? POLL_SLEEP_MAX_NS : nap * 2;
	}
}

int mpirank_send(int r, int tag, const void *buf, size_t len)
{
	return MPI_Send(buf, (int)len, MPI_BYTE, r, tag, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -EIO;
}

/* Receive the probed message into buf; one longer than cap is taken and dropped. */
static int take(const MPI_Status *st, void *buf, size_t cap, size_t *len)
{
	int count = 0;
	MPI_Get_count(st, MPI_BYTE, &count);
	if (count < 0 || (size_t)count > cap) {
		char *junk = malloc(count > 0 ? (size_t)count : 1);
		if (!junk)
			return -ENOMEM;
		MPI_Recv(junk, count, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
			 MPI_STATUS_IGNORE);
		free(junk);
		return -EMSGSIZE;
	}
	if (MPI_Recv(buf, count, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
		     MPI_STATUS_IGNORE) != MPI_SUCCESS)
		return -EIO;
	*len = (size_t)count;
	return 0;
}

int mpirank_recv(int *r, int *tag, void *buf, size_t cap, size_t *len, int64_t deadline_ns)
{
	MPI_Status st;
	int rc = poll_probe(MPI_ANY_SOURCE, &st, deadline_ns, 1, 0);
	if (rc < 0)
		return rc;
	*r = st.MPI_SOURCE;
	*tag = st.MPI_TAG;
	return take(&st, buf, cap, len);
}

int mpirank_clock(int r, unsigned rounds, int64_t deadline_ns, int64_t *offset_ns,
		  int64_t *rtt_ns)
{
	int64_t best = INT64_MAX;
	for (unsigned i = 0; i < rounds; i++) {
		int64_t t0, t1, tw = 0;
		MPI_Status st;
		size_t len = 0;
		int rc;
		t0 = now_ns();
		if (mpirank_send(r, MPIR_PING, &t0, sizeof(t0)) < 0)
			return -EIO;
		/* Spinning: a sleep here would lengthen the round trip it measures. */
		rc = poll_probe(r, &st, deadline_ns, 1, 1);
		if (rc < 0)
			return rc;
		rc = take(&st, &tw, sizeof(tw), &len);
		t1 = now_ns();
		if (rc < 0 || st.MPI_TAG != MPIR_PONG || len != sizeof(tw))
			return rc < 0 ? rc : -EBADMSG;
		/* The worker read its clock somewhere in [t0, t1]: the middle is off by at most
		 * half the round trip. */
		if (t1 - t0 < best) {
			best = t1 - t0;
			*offset_ns = tw - (t0 + (t1 - t0) / 2);
		}
	}
	*rtt_ns = best;
	return 0;
}

/* ---- rank 0's exit ---- */

static void end_job(void)
{
	if (getpid() != mr.pid)
		return;
	if (mr.dirty) {
		/* A worker may be inside a task or waiting: only the launcher can end it. */
		fflush(stdout);
		fflush(stderr);
		MPI_Abort(MPI_COMM_WORLD, CB_EXIT_RUNFAIL);
	}
	for (int r = 1; r < mr.size; r++)
		mpirank_send(r, MPIR_QUIT, NULL, 0);
	MPI_Finalize();
}

/* ---- a worker rank ---- */

struct wpool {
	int on;
	struct wl_inst inst;
	void *data;
	unsigned k;
	int bind_err;
	struct counters ctr;
	struct mpir_done *done;      /* header and results, one message */
	struct mpir_res *res;
	size_t nres, cap;
	uint32_t lo, hi, cur, gen;
};

static struct wpool wp;
static volatile long cur_task = -1;
static int bound_by_launcher;       /* as the rank started, before any pool bound it */

static long wp_next(void *self)
{
	(void)self;
	if (wp.cur >= wp.hi)
		return -1;
	cur_task = (long)wp.cur;
	return (long)wp.cur++;
}

static int wp_emit(void *self, const struct task_out *o)
{
	(void)self;
	if (wp.nres >= wp.cap)
		return -EOVERFLOW;
	wp.res[wp.nres++] = (struct mpir_res){ .task = o->task, .err = o->err,
					       .checksum = o->checksum, .items = o->items };
	return 0;
}

/* Dying of sig: tell rank 0, which reports it and ends the job (exit 3); if it does not
 * within CRASH_WAIT_S, die anyway (the launcher then ends the job). */
static void tell_crash(int sig)
{
	struct mpir_crash c = { .signal = sig, .gen = wp.gen, .task = cur_task };
	MPI_Send(&c, sizeof(c), MPI_BYTE, 0, MPIR_CRASH, MPI_COMM_WORLD);
	for (int i = 0; i < CRASH_WAIT_S * 10; i++)
		sleep_ns(100000000LL);
}

static void fault_crash(void)
{
	tell_crash(SIGSEGV);
}

/* A real fault in a task: the handler is reset on entry, so returning faults again and
 * the rank dies of it. */
static void on_fault(int sig)
{
	tell_crash(sig);
}

static void wp_free(void)
{
	if (!wp.on)
		return;
	counters_close(&wp.ctr);
	if (wp.data)
		munmap(wp.data, wp.inst.data_bytes);
	cell_inst_fini(&wp.inst);
	free(wp.done);
	memset(&wp, 0, sizeof(wp));
}

/* Bound by the launcher: Open MPI's mpirun says so in the environment of the ranks it bound
 * (--bind-to core, or its default of binding to cores when it does not oversubscribe). */
static int launcher_bound(void)
{
	const char *v = getenv("OMPI_MCA_orte_bound_at_launch");
	return v && strcmp(v, "1") == 0;
}

/* The PU this rank binds to: a policy's plan made on this host's own topology for the
 * workers that share it; rank 0's entry for a cpuset (named by rank 0) or no policy. */
static int local_pu(const struct mpir_start *s)
{
	int *plan;
	int pu = s->pu;
	if (s->bind <= BIND_NONE || s->bind >= BIND_CPUSET || s->local_k >= s->local_n ||
	    s->local_n > s->workers)
		return pu;
	plan = calloc(s->local_n, sizeof(*plan));
	if (plan && topo_plan((enum bind_policy)s->bind, s->local_n, plan) == 0)
		pu = plan[s->local_k];
	free(plan);
	return pu;
}

static void reply(int tag, struct mpir_ready *m)
{
	m->pu = sched_getcpu();
	cb_fmt(m->host, sizeof(m->host), "%s", mpirank_host(mr.rank));
	mpirank_send(0, tag, m, sizeof(*m));
}

static void wp_start(const struct mpir_start *s)
{
	struct mpir_ready m = { 0 };
	const struct workload *wl = NULL;
	struct machine mach;
	char name[sizeof(s->workload) + 1];
	const char *fault = getenv("CONCBENCH_TEST_FAULT");

	wp_free();
	memcpy(name, s->workload, sizeof(s->workload));
	name[sizeof(s->workload)] = 0;
	wl = workload_find(name);
	for (size_t i = 0; !wl && i < cb_ninternal_workloads; i++)
		if (strcmp(cb_internal_workloads[i]->name, name) == 0)
			wl = cb_internal_workloads[i];
	if (!wl || s->k >= s->workers || s->workers == 0) {
		m.err = -EINVAL;
		cb_fmt(m.msg, sizeof(m.msg), "rank %d cannot run workload '%s' as worker %u",
		       mr.rank, name, s->k);
		reply(MPIR_STARTED, &m);
		return;
	}
	m.launcher_bound = bound_by_launcher;
	/* The test faults and --inject reach a rank as they reach a forked worker. */
	if (fault && fault_parse(fault) == 0)
		fault_arm("mpi");
	if (s->inject && fault_inject_set(s->inject_worker, s->inject_task) == 0)
		fault_inject_arm(1, s->inject_rep - 1);
	else
		fault_inject_arm(0, 0);
	fault_on_crash(fault_crash);
	wp.k = s->k;
	wp.bind_err = m.launcher_bound ? 0 : worker_bind(s->k, local_pu(s));
	m.bind_err = wp.bind_err;
	reply(MPIR_STARTED, &m);
	topo_machine(&mach);
	if (cell_inst_init(&wp.inst, wl, &s->p, s->workers, s->scale, &mach) < 0) {
		m.err = -EINVAL;
		cb_fmt(m.msg, sizeof(m.msg), "rank %d cannot initialise %s", mr.rank, name);
		cell_inst_fini(&wp.inst);
		reply(MPIR_READY, &m);
		return;
	}
	wp.on = 1;
	m.ntasks = wp.inst.ntasks;
	if (wp.inst.data_bytes) {
		wp.data = mmap(NULL, wp.inst.data_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (wp.data == MAP_FAILED) {
			wp.data = NULL;
			m.err = -ENOMEM;
			cb_fmt(m.msg, sizeof(m.msg), "rank %d cannot map %zu bytes of data", mr.rank,
			       wp.inst.data_bytes);
		}
	}
	wp.cap = wp.inst.ntasks;
	wp.done = malloc(sizeof(*wp.done) + wp.cap * sizeof(*wp.res));
	if (!wp.done && !m.err) {
		m.err = -ENOMEM;
		cb_fmt(m.msg, sizeof(m.msg), "rank %d is out of memory", mr.rank);
	}
	if (!m.err) {
		wp.res = (struct mpir_res *)(wp.done + 1);
		worker_prepare(&wp.inst, wp.data, s->k, s->workers);
		counters_open(&wp.ctr);
	}
	reply(MPIR_READY, &m);
}

static void wp_run(const struct mpir_run *run)
{
	struct task_source src = { .next = wp_next, .emit = wp_emit, .self = NULL };
	struct worker_rec rec;

	if (!wp.done || run->lo > run->hi || run->hi > wp.inst.ntasks) {
		struct mpir_crash c = { .signal = 0, .gen = run->gen, .task = -1 };
		mpirank_send(0, MPIR_CRASH, &c, sizeof(c));
		return;
	}
	wp.lo = wp.cur = run->lo;
	wp.hi = run->hi;
	wp.gen = run->gen;
	wp.nres = 0;
	fault_rep(wp.k, run->gen);
	worker_rep(&wp.inst, wp.data, run->start_at, &src, &wp.ctr, &rec);
	cur_task = -1;
	rec.bind_err = wp.bind_err;
	wp.done->rec = rec;
	wp.done->gen = run->gen;
	wp.done->n = (uint32_t)wp.nres;
	mpirank_send(0, MPIR_DONE, wp.done, sizeof(*wp.done) + wp.nres * sizeof(*wp.res));
}

/* The worker rank's whole life: messages from rank 0 until QUIT. */
static void serve(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sa.sa_flags = (int)SA_RESETHAND | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (topo_load() < 0)
		cb_die(CB_EXIT_RUNFAIL, "rank %d: cannot load the hwloc topology of this machine: %s",
		       mr.rank, topo_load_error());
	bound_by_launcher = launcher_bound();
	for (;;) {
		union {
			struct mpir_start start;
			struct mpir_run run;
		} m;
		MPI_Status st;
		size_t len = 0;
		int rc = poll_probe(0, &st, INT64_MAX, 0, 0);
		if (rc == 0)
			rc = take(&st, &m, sizeof(m), &len);
		if (rc < 0)
			MPI_Abort(MPI_COMM_WORLD, CB_EXIT_RUNFAIL);
		switch (st.MPI_TAG) {
		case MPIR_PING: {
			int64_t now = now_ns();
			mpirank_send(0, MPIR_PONG, &now, sizeof(now));
			break;
		}
		case MPIR_START:
			if (len == sizeof(m.start))
				wp_start(&m.start);
			break;
		case MPIR_RUN:
			if (len == sizeof(m.run))
				wp_run(&m.run);
			break;
		case MPIR_STOP:
			wp_free();
			break;
		case MPIR_QUIT:
			wp_free();
			topo_release();
			MPI_Finalize();
			exit(0);
		default:
			break;
		}
	}
}

void mpirank_boot(int *argc, char ***argv)
{
	char name[MPI_MAX_PROCESSOR_NAME + 1] = "";
	char mine[MPIR_HOST_MAX] = "";
	int provided, len = 0;

	/* Open MPI's mpirun says so in the environment; without it MPI is never initialised. */
	if (!getenv("OMPI_COMM_WORLD_SIZE"))
		return;
	if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
		cb_die(CB_EXIT_RUNFAIL, "cannot initialise MPI");
	MPI_Comm_rank(MPI_COMM_WORLD, &mr.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &mr.size);
	MPI_Get_processor_name(name, &len);
	cb_fmt(mine, sizeof(mine), "%s", name);
	mr.hosts = calloc((size_t)mr.size, MPIR_HOST_MAX);
	if (!mr.hosts) {
		cb_error("rank %d: out of memory", mr.rank);
		MPI_Abort(MPI_COMM_WORLD, CB_EXIT_RUNFAIL);
		exit(CB_EXIT_RUNFAIL);     /* not reached: MPI_Abort is not declared noreturn */
	}
	MPI_Allgather(mine, MPIR_HOST_MAX, MPI_CHAR, mr.hosts, MPIR_HOST_MAX, MPI_CHAR,
		      MPI_COMM_WORLD);
	for (int r = 0; r < mr.size; r++)
		mr.hosts[(size_t)r * MPIR_HOST_MAX + MPIR_HOST_MAX - 1] = 0;
	if (mr.rank != 0)
		serve();
	/* Children rank 0 starts (folklore's, spawn's exec) are not ranks. */
	unsetenv("OMPI_COMM_WORLD_SIZE");
	mr.pid = getpid();
	atexit(end_job);
}

#else /* !CB_MPI */

int mpirank_built(void)
{
	return 0;
}

void mpirank_boot(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
}

int mpirank_world(void)
{
	return 0;
}

const char *mpirank_host(int r)
{
	(void)r;
	return "";
}

void mpirank_dirty(void)
{
}

int mpirank_send(int r, int tag, const void *buf, size_t len)
{
	(void)r;
	(void)tag;
	(void)buf;
	(void)len;
	return -ENOSYS;
}

int mpirank_recv(int *r, int *tag, void *buf, size_t cap, size_t *len, int64_t deadline_ns)
{
	(void)r;
	(void)tag;
	(void)buf;
	(void)cap;
	(void)len;
	(void)deadline_ns;
	return -ENOSYS;
}

int mpirank_clock(int r, unsigned rounds, int64_t deadline_ns, int64_t *offset_ns,
		  int64_t *rtt_ns)
{
	(void)r;
	(void)rounds;
	(void)deadline_ns;
	(void)offset_ns;
	(void)rtt_ns;
	return -ENOSYS;
}

#endif
