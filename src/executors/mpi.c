/* SPDX-License-Identifier: MIT */
/* mpi: workers that are MPI ranks (Open MPI), on this host or others: the message-passing
 * model across machines. Rank 0 is the coordinator and runs the command; worker k is rank
 * k + 1, started by mpirun beside it and waiting in core/mpirank.c. Each repetition, rank
 * 0 sends every worker its static block of tasks and a start time; the worker builds the
 * same workload instance once per pool, runs its block with worker_rep() (timed by itself)
 * and sends its record and results back, which rank 0 verifies as for every executor.
 *
 * Clocks differ between hosts: at every pool start rank 0 estimates each rank's offset
 * by ping-pong (the round trip that took least, as NTP and the MPI benchmarks do), sends
 * start times in the worker's clock and puts t_start and t_end back into its own before
 * the samples and the start skew are computed (docs/measurement.md).
 *
 * Without Open MPI in the build, or outside mpirun, the executor exists and says why it
 * cannot run. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/fault.h"
#include "core/mpirank.h"
#include "core/sync.h"

/* Ping-pongs per rank at each pool start, and how far ahead of now a repetition starts:
 * enough for the message to reach a rank that sleeps between polls (1 ms at most). */
#define MPI_CLOCK_ROUNDS 16
#define MPI_START_LEAD_NS 5000000LL

struct pool {
	const struct wl_inst *w;
	unsigned workers;
	int failed;                  /* a worker may still be busy: the job ends at exit */
	uint32_t gen;
	struct worker_place *places;
	int *done;                   /* per worker, this repetition */
	struct mpir_done *msg;       /* room for a worker's whole block */
	size_t msg_cap;
};

static int mpi_supported(char *why, size_t len)
{
	if (!mpirank_built()) {
		cb_fmt(why, len, "concbench was built without Open MPI: apt-get install "
		       "libopenmpi-dev openmpi-bin, then make");
		return -ENOTSUP;
	}
	if (!mpirank_world()) {
		cb_fmt(why, len, "needs its workers started by Open MPI: mpirun -np WORKERS+1 "
		       "concbench ... --executor mpi");
		return -ENOTSUP;
	}
	return 0;
}

static int mpi_fits(unsigned workers, char *why, size_t len)
{
	int world = mpirank_world();
	if (world && workers + 1 > (unsigned)world) {
		cb_fmt(why, len, "%u workers need %u MPI ranks, mpirun started %d; start mpirun "
		       "with -np WORKERS+1 (-np %u)", workers, workers + 1, world, workers + 1);
		return -ERANGE;
	}
	return 0;
}

static void mpi_places(const struct pool *p, struct worker_place *out)
{
	memcpy(out, p->places, p->workers * sizeof(*out));
}

static void mpi_stop(struct pool *p)
{
	if (!p)
		return;
	if (p->failed)
		mpirank_dirty();
	else
		for (unsigned k = 0; k < p->workers; k++)
			mpirank_send((int)k + 1, MPIR_STOP, NULL, 0);
	free(p->places);
	free(p->done);
	free(p->msg);
	free(p);
}

static const char *host_of(const struct pool *p, unsigned k)
{
	return p->places[k].host[0] ? p->places[k].host : mpirank_host((int)k + 1);
}

/* A worker's CRASH message as the run's error. */
static int crashed(struct pool *p, unsigned k, const struct mpir_crash *c, struct cb_err *e)
{
	char sig[64] = "a bad request";
	if (c->signal > 0)
		cb_fmt(sig, sizeof(sig), "signal %d (%s)", c->signal, strsignal(c->signal));
	if (c->task >= 0)
		cb_err_set(e, -ECHILD, "worker %u (rank %u on %s) killed by %s in task %lld", k,
			   k + 1, host_of(p, k), sig, (long long)c->task);
	else
		cb_err_set(e, -ECHILD, "worker %u (rank %u on %s) ended: %s", k, k + 1,
			   host_of(p, k), sig);
	return -ECHILD;
}

/* The next message from a worker of this pool: its index and tag, into p->msg. */
static int next_msg(struct pool *p, unsigned *k, int *tag, size_t *len, int64_t deadline_ns,
		    struct cb_err *e)
{
	int r = -1;
	int rc = mpirank_recv(&r, tag, p->msg, p->msg_cap, len, deadline_ns);
	if (rc == -EINTR) {
		cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		return rc;
	}
	if (rc == -ETIMEDOUT)
		return rc;
	if (rc < 0 || r < 1 || (unsigned)r > p->workers) {
		cb_err_set(e, rc < 0 ? rc : -EBADMSG, "rank %d sent a malformed message", r);
		return rc < 0 ? rc : -EBADMSG;
	}
	*k = (unsigned)r - 1;
	if (*tag == MPIR_CRASH && *len == sizeof(struct mpir_crash))
		return crashed(p, *k, (const struct mpir_crash *)p->msg, e);
	return 0;
}

/* Wait until every worker said STARTED (bound: *startup_ns from t0) and READY (data
 * prepared). A fast worker's READY may come before a slow one's STARTED. */
static int await_ready(struct pool *p, int64_t t0, int64_t *startup_ns, int64_t deadline_ns,
		       struct cb_err *e)
{
	unsigned started = 0, ready = 0;
	memset(p->done, 0, p->workers * sizeof(*p->done));
	while (ready < p->workers) {
		const struct mpir_ready *m = (const struct mpir_ready *)p->msg;
		unsigned k;
		int tag;
		size_t len;
		int rc = next_msg(p, &k, &tag, &len, deadline_ns, e);
		if (rc == -ETIMEDOUT)
			cb_err_set(e, rc, "the MPI workers did not start before the deadline");
		if (rc < 0)
			return rc;
		if (len != sizeof(*m) || (tag != MPIR_STARTED && tag != MPIR_READY) ||
		    p->done[k] != (tag == MPIR_STARTED ? 0 : 1)) {
			cb_err_set(e, -EBADMSG, "rank %u sent an unexpected message (tag %d)", k + 1,
				   tag);
			return -EBADMSG;
		}
		if (m->err) {
			cb_err_set(e, m->err, "worker %u (rank %u on %.63s): %.255s", k, k + 1, m->host,
				   m->msg);
			return m->err;
		}
		if (tag == MPIR_READY && m->ntasks != p->w->ntasks) {
			cb_err_set(e, -EBADMSG, "worker %u (rank %u on %.63s) made %llu tasks, not "
				   "%zu: its host sizes the workload differently", k, k + 1, m->host,
				   (unsigned long long)m->ntasks, p->w->ntasks);
			return -EBADMSG;
		}
		p->places[k].rank = (int)k + 1;
		cb_fmt(p->places[k].host, sizeof(p->places[k].host), "%.63s", m->host);
		p->places[k].pu = m->pu;
		p->places[k].launcher_bound = m->launcher_bound;
		p->done[k]++;
		if (tag == MPIR_STARTED && ++started == p->workers)
			*startup_ns = now_ns() - t0;
		ready += tag == MPIR_READY;
	}
	return 0;
}

/* Worker k's index among the n workers, and how many of them share its host: its entry in
 * a plan for that host. */
static unsigned local_index(unsigned k, unsigned n, unsigned *on_host)
{
	unsigned j = 0;
	*on_host = 0;
	for (unsigned i = 0; i < n; i++) {
		int same = strcmp(mpirank_host((int)i + 1), mpirank_host((int)k + 1)) == 0;
		j += same && i < k;
		*on_host += (unsigned)same;
	}
	return j;
}

static int mpi_start(const struct pool_cfg *cfg, struct pool **out, int64_t *startup_ns,
		     struct cb_err *e)
{
	char why[256];
	unsigned n = cfg->workers;
	struct pool *p;
	int64_t t0 = now_ns();
	int rc;

	if (mpi_supported(why, sizeof(why)) < 0 || mpi_fits(n, why, sizeof(why)) < 0) {
		cb_err_set(e, -ENOTSUP, "%s", why);
		return -ENOTSUP;
	}
	if (cfg->dynamic || cfg->restart || cfg->gil) {
		cb_err_set(e, -ENOTSUP, "mpi runs static blocks of tasks, without --schedule "
			   "dynamic, --on-crash restart or --gil");
		return -ENOTSUP;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		cb_err_set(e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	p->w = cfg->w;
	p->workers = n;
	p->places = calloc(n, sizeof(*p->places));
	p->done = calloc(n, sizeof(*p->done));
	p->msg_cap = sizeof(*p->msg) + cfg->w->ntasks * sizeof(struct mpir_res);
	if (p->msg_cap < sizeof(struct mpir_ready))
		p->msg_cap = sizeof(struct mpir_ready);
	p->msg = malloc(p->msg_cap);
	if (!p->places || !p->done || !p->msg) {
		mpi_stop(p);
		cb_err_set(e, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	for (unsigned k = 0; k < n; k++) {
		struct mpir_start s = { .p = cfg->w->p, .workers = n, .scale = cfg->w->scale,
					.k = k };
		unsigned j = local_index(k, n, &s.local_n);
		cb_fmt(s.workload, sizeof(s.workload), "%s", cfg->w->wl->name);
		s.pu = cfg->pus && j < n ? cfg->pus[j] : -1;
		s.bind = cfg->bind;
		s.local_k = j;
		s.inject = (uint32_t)fault_inject_get(&s.inject_worker, &s.inject_task,
						      &s.inject_rep);
		if (mpirank_send((int)k + 1, MPIR_START, &s, sizeof(s)) < 0) {
			cb_err_set(e, -EIO, "cannot send the pool to rank %u", k + 1);
			p->failed = 1;
			mpi_stop(p);
			return -EIO;
		}
	}
	rc = await_ready(p, t0, startup_ns, cfg->deadline_ns, e);
	for (unsigned k = 0; rc == 0 && k < n; k++) {
		struct worker_place *pl = &p->places[k];
		rc = mpirank_clock((int)k + 1, MPI_CLOCK_ROUNDS, cfg->deadline_ns, &pl->offset_ns,
				   &pl->offset_err_ns);
		pl->offset_err_ns /= 2;
		if (rc == -EINTR)
			cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		else if (rc < 0)
			cb_err_set(e, rc, "cannot estimate rank %u's clock offset: %s", k + 1,
				   strerror(-rc));
	}
	if (rc < 0) {
		p->failed = 1;
		mpi_stop(p);
		return rc;
	}
	*out = p;
	return 0;
}

static int mpi_run(struct pool *p, int64_t deadline_ns, struct task_out *outs,
		   struct worker_rec *recs, struct cb_err *e)
{
	size_t ntasks = p->w->ntasks;
	int64_t start_at = now_ns() + MPI_START_LEAD_NS;
	unsigned left = p->workers;
	int rc = 0;

	p->gen++;
	memset(outs, 0, ntasks * sizeof(*outs));
	memset(p->done, 0, p->workers * sizeof(*p->done));
	for (unsigned k = 0; k < p->workers && rc == 0; k++) {
		size_t lo, hi;
		struct mpir_run m;
		task_block(ntasks, p->workers, k, &lo, &hi);
		m = (struct mpir_run){ .gen = p->gen, .lo = (uint32_t)lo, .hi = (uint32_t)hi,
				       .start_at = start_at + p->places[k].offset_ns };
		if (mpirank_send((int)k + 1, MPIR_RUN, &m, sizeof(m)) < 0) {
			cb_err_set(e, -EIO, "cannot send tasks to rank %u", k + 1);
			rc = -EIO;
		}
	}
	while (rc == 0 && left) {
		const struct mpir_done *d = p->msg;
		const struct mpir_res *res = (const struct mpir_res *)(d + 1);
		size_t len, lo, hi;
		unsigned k;
		int tag;
		rc = next_msg(p, &k, &tag, &len, deadline_ns, e);
		if (rc == -ETIMEDOUT) {
			unsigned hung = 0;
			while (hung + 1 < p->workers && p->done[hung])
				hung++;
			cb_err_set(e, rc, "worker %u (rank %u on %s) hung: not finished when the "
				   "deadline passed", hung, hung + 1, host_of(p, hung));
		}
		if (rc < 0)
			break;
		task_block(ntasks, p->workers, k, &lo, &hi);
		if (tag != MPIR_DONE || len < sizeof(*d) || d->gen != p->gen || p->done[k] ||
		    d->n > hi - lo || len != sizeof(*d) + d->n * sizeof(*res)) {
			cb_err_set(e, -EBADMSG, "rank %u sent a malformed result", k + 1);
			rc = -EBADMSG;
			break;
		}
		for (uint32_t i = 0; i < d->n; i++) {
			struct task_out *o;
			if (res[i].task < lo || res[i].task >= hi) {
				cb_err_set(e, -EBADMSG, "rank %u sent a result of task %u, not its own",
					   k + 1, res[i].task);
				rc = -EBADMSG;
				break;
			}
			o = &outs[res[i].task];
			o->task = res[i].task;
			o->err = res[i].err;
			o->checksum = res[i].checksum;
			o->items = res[i].items;
			o->done = 1;
		}
		/* Into rank 0's time base, where the samples and the start skew are taken. */
		recs[k] = d->rec;
		recs[k].t_start -= p->places[k].offset_ns;
		recs[k].t_end -= p->places[k].offset_ns;
		p->done[k] = 1;
		left--;
	}
	p->failed = rc < 0;
	return rc;
}

const struct executor executor_mpi = {
	.name = "mpi",
	.summary = "MPI ranks (Open MPI, under mpirun), on this host or others; tasks and "
		   "results as messages",
	.flags = EX_LAUNCHED,
	.supported = mpi_supported,
	.fits = mpi_fits,
	.places = mpi_places,
	.start = mpi_start,
	.run = mpi_run,
	.stop = mpi_stop,
};
