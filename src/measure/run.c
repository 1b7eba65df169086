/* SPDX-License-Identifier: MIT */
/* run: the measurement loop over groups, rounds and cells (see run.h and
 * docs/measurement.md). */
#define _GNU_SOURCE
#include "measure/run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "core/executor.h"
#include "core/fault.h"
#include "core/registry.h"
#include "core/sync.h"
#include "measure/derive.h"
#include "measure/hostinfo.h"
#include "measure/progress.h"
#include "topo/topo.h"

static void on_stop_signal(int sig)
{
	cb_stop_signal = sig;
}

void run_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;     /* no SA_RESTART: blocking waits return EINTR and notice */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int run_fault_from_env(void)
{
	const char *f = getenv("CONCBENCH_TEST_FAULT");
	if (!f || !*f)
		return 0;
	if (fault_parse(f) < 0) {
		cb_error("CONCBENCH_TEST_FAULT: expected EXECUTOR:crash:TASK or EXECUTOR:hang:TASK");
		return -EINVAL;
	}
	return 0;
}

void run_set_free(struct run_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		run_result_free(&rs->runs[i]);
	warning_list_free(&rs->warnings);
	free(rs->runs);
	free(rs->noise);
	if (rs->have_facts)
		host_facts_free(&rs->facts);
	memset(rs, 0, sizeof(*rs));
}

static struct run_result *new_result(struct run_set *rs)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		struct run_result *n = realloc(rs->runs, cap * sizeof(*n));
		struct run_noise *nn;
		if (!n)
			return NULL;
		rs->runs = n;
		nn = realloc(rs->noise, cap * sizeof(*nn));
		if (!nn)
			return NULL;
		rs->noise = nn;
		rs->cap = cap;
	}
	memset(&rs->runs[rs->n], 0, sizeof(rs->runs[0]));
	memset(&rs->noise[rs->n], 0, sizeof(rs->noise[0]));
	return &rs->runs[rs->n++];
}

/* Validate a group's parameters at the extremes before anything runs, so that bad input
 * gives exit 2 and no partial work. */
int run_validate_group(const struct config *c, const struct workload *wl,
		       const struct wl_params *p, const struct machine *m)
{
	struct wl_inst w;
	unsigned top = c->workers[c->nworkers - 1];
	int rc = cell_inst_init(&w, wl, p, top, c->weak ? top : 1, m);
	if (rc < 0)
		return rc;
	if (c->dynamic && w.tasks_own_data) {
		cb_error("--schedule dynamic: %s tasks own their data and run where it was "
			 "prepared; use --schedule static", wl->name);
		rc = -EINVAL;
	}
	/* Every worker holds at least ntasks / top tasks of its own under the static schedule. */
	if (c->inject_arg && rc == 0 && c->inject_task >= w.ntasks / top) {
		cb_error("--inject: %s has %zu tasks for %u workers, at least %zu each; expected TASK "
			 "below %zu, got %u", wl->name, w.ntasks, top, w.ntasks / top, w.ntasks / top,
			 c->inject_task);
		rc = -EINVAL;
	}
	if (w.ntasks < top && rc == 0 && c->nex && !c->quiet)
		cb_warn("%s has %zu tasks for up to %u workers; some workers will idle", wl->name,
			w.ntasks, top);
	cell_inst_fini(&w);
	return rc;
}

/* xorshift64*: the order of cells within a round, reproducible from the recorded seed. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void shuffle(size_t *a, size_t n, uint64_t *seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rng_next(seed) % i), t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

struct cell {
	const struct executor *ex;
	unsigned workers;
	size_t ri;          /* index of its result in the run set */
	int finished;       /* auto repetitions: target reached */
	double last_s;      /* wall time of its last visit (for the ETA) */
	unsigned last_reps; /* repetitions in that visit, warm-ups included */
};

/* What one visit of cell i with k kept samples should take: its last visit scaled to the
 * repetitions, or for a cell not yet visited the mean repetition of those visited (before
 * any, the group's calibration). */
static double visit_guess(const struct config *c, const struct cell *cells, size_t ncells,
			  size_t i, unsigned k, double calib_s)
{
	double per_rep = 0;
	unsigned n = 0;
	if (cells[i].last_reps)
		return cells[i].last_s * (c->warmup + k) / cells[i].last_reps;
	for (size_t j = 0; j < ncells; j++)
		if (cells[j].last_reps) {
			per_rep += cells[j].last_s / cells[j].last_reps;
			n++;
		}
	return (n ? per_rep / n : calib_s) * (c->warmup + k);
}

/* The time left: the visits order[from..nvisit) of this round with nreps each, the fixed
 * rounds from next_round on, then later_visits of later groups at the mean visit so far. */
static double eta_left(const struct config *c, const struct cell *cells, size_t ncells,
		       const size_t *order, size_t from, size_t nvisit, unsigned nreps,
		       unsigned next_round, double calib_s, const struct progress *pg,
		       size_t later_visits)
{
	double left = 0;
	for (size_t u = from; u < nvisit; u++)
		left += visit_guess(c, cells, ncells, order[u], nreps, calib_s);
	for (unsigned r = next_round; r < c->rounds; r++) {
		unsigned k = progress_round_reps(c, r);
		for (size_t i = 0; k && i < ncells; i++)
			left += visit_guess(c, cells, ncells, i, k, calib_s);
	}
	if (later_visits && pg->visit)
		left += (double)later_visits * (double)(now_ns() - pg->t0) / 1e9 / (double)pg->visit;
	return left;
}

/* Has an auto-repetition cell reached its target? Records why it stops. */
static int auto_done(const struct config *c, struct run_result *r, double spent_s)
{
	double lo, hi, cov, med;
	if (r->nsamples < c->reps)
		return 0;
	if (spent_s < (double)c->min_time_ns * 1e-9)
		return 0;
	med = stats_median(r->samples, r->nsamples);
	if (stats_median_ci(r->samples, r->nsamples, 0.95, &lo, &hi, &cov) == 0 &&
	    (hi - lo) / 2 <= c->precision * med) {
		r->stop_reason = "precision";
		return 1;
	}
	/* The user's budget is wall time: a run whose every visit first-touches a large data
	 * region spends more outside its samples than in them. */
	if (spent_s + r->harness_s >= (double)c->max_time_ns * 1e-9) {
		r->stop_reason = "max-time";
		return 1;
	}
	return 0;
}

double run_steal_fraction(const struct run_set *rs, size_t i)
{
	const struct run_noise *n = rs->noise ? &rs->noise[i] : NULL;
	return n && n->total ? (double)n->steal / (double)n->total : NAN;
}

void run_exit_if_thread_stuck(void)
{
	if (!cb_threads_stuck)
		return;
	cb_error("a worker thread could not be stopped; exiting");
	fflush(NULL);
	_exit(CB_EXIT_RUNFAIL);
}

/* Without --timeout the deadlines come from the baseline's time, which the shuffled order
 * may not have measured yet: time one baseline repetition (no sample, not recorded) before
 * the first round, so that every repetition of every cell has a deadline in any order. */
static int calibrate(const struct config *c, const struct workload *wl, const struct wl_params *p,
		     const struct machine *m, int64_t *calib_ns, struct cb_err *e)
{
	struct pool_cfg cfg = { .workers = 1, .dynamic = c->dynamic,
				.membind = topo_membind(c->membind) };
	struct pool *pool = NULL;
	struct task_out *outs = NULL;
	struct worker_rec rec;
	struct wl_inst w;
	int64_t startup_ns;
	int rc;

	if (cell_inst_init(&w, wl, p, 1, 1, m) < 0)
		return -EINVAL;
	cfg.w = &w;
	outs = aligned_alloc(64, w.ntasks * sizeof(*outs));
	if (!outs) {
		cb_err_set(e, -ENOMEM, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	fault_arm(executor_seq.name);    /* unbound, as the baseline always runs */
	cfg.deadline_ns = now_ns() + CELL_START_DEADLINE_NS;
	rc = executor_seq.start(&cfg, &pool, &startup_ns, e);
	if (rc == 0)
		rc = executor_seq.run(pool, INT64_MAX, outs, &rec, e);
	if (rc == 0)
		*calib_ns = rec.t_end > rec.t_start ? rec.t_end - rec.t_start : 1;
	executor_seq.stop(pool);
out:
	free(outs);
	cell_inst_fini(&w);
	return rc;
}

static int run_group(const struct config *c, int group, const struct workload *wl,
		     const struct wl_params *p, const struct machine *m, struct run_set *rs,
		     struct progress *pg, size_t later_visits)
{
	size_t ncells = 1 + c->nworkers * c->nex, first = rs->n;
	struct cell *cells = calloc(ncells, sizeof(*cells));
	size_t *order = calloc(ncells, sizeof(*order));
	double *spent = calloc(ncells, sizeof(*spent));
	struct cb_err e = { 0 };
	int64_t calib_ns = 0;
	int rc = 0;

	if (!cells || !order || !spent) {
		cb_error("out of memory");
		rc = CB_EXIT_RUNFAIL;
		goto out;
	}
	cells[0] = (struct cell){ .ex = &executor_seq, .workers = 1 };
	for (size_t wi = 0, i = 1; wi < c->nworkers; wi++)
		for (size_t xi = 0; xi < c->nex; xi++, i++)
			cells[i] = (struct cell){ .ex = c->ex[xi], .workers = c->workers[wi] };
	for (size_t i = 0; i < ncells; i++) {
		struct run_result *r = new_result(rs);
		if (!r) {
			cb_error("out of memory");
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
		cells[i].ri = rs->n - 1;
		r->group = group;
		r->wl = wl;
		r->ex = cells[i].ex;
		r->workers = cells[i].workers;
		r->bind = cells[i].ex->flags & EX_SINGLE_WORKER ? BIND_NONE : c->bind;
		r->membind = c->membind;
		r->weak = c->weak;
		r->dynamic = c->dynamic;
		r->gil = c->gil && !(cells[i].ex->flags & EX_SINGLE_WORKER);
		r->depth = cells[i].ex->flags & EX_EVENT_LOOP ? c->depth : 0;
		r->warmup = c->warmup;
		r->stop_reason = c->reps_auto ? NULL : "fixed";
		order[i] = i;
	}
	if (!c->timeout_ns) {
		int64_t t0 = now_ns();
		int cr = calibrate(c, wl, p, m, &calib_ns, &e);
		/* Harness time of the group, on its baseline's account. */
		rs->runs[first].harness_s += (double)(now_ns() - t0) / 1e9;
		if (cr < 0) {
			progress_clear(pg);
			if (e.code)
				cb_error("%s on seq: %s", wl->name, e.msg);
			run_exit_if_thread_stuck();
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
	}

	/* Before the first visit, the ETA is the calibration's. */
	if (calib_ns)
		progress_eta(pg, eta_left(c, cells, ncells, order, 0, 0, 0, 0,
					  (double)calib_ns / 1e9, pg, later_visits));

	/* Rounds: every cell, seq included, visited once per round in a shuffled order, so
	 * that drift on a shared machine spreads over all of them. With --repetitions auto,
	 * further rounds visit only the cells that have not reached their target. */
	for (unsigned round = 0;; round++) {
		size_t nvisit = 0;
		unsigned nreps;
		if (round < c->rounds) {
			nreps = progress_round_reps(c, round);
			nvisit = ncells;
			for (size_t i = 0; i < ncells; i++)
				order[i] = i;
		} else {
			if (!c->reps_auto)
				break;
			nreps = c->reps / c->rounds > 5 ? c->reps / c->rounds : 5; /* NOLINT: rounds >= 1 (cli) */
			for (size_t i = 0; i < ncells; i++) {
				struct run_result *r = &rs->runs[cells[i].ri];
				if (!cells[i].finished && !(cells[i].finished = auto_done(c, r, spent[i])))
					order[nvisit++] = i;
			}
			if (!nvisit)
				break;
			pg->nvisits += nvisit;     /* rounds nobody could plan */
		}
		if (!nreps)
			continue;
		shuffle(order, nvisit, &rs->rng);
		for (size_t v = 0; v < nvisit; v++) {
			struct cell *cl = &cells[order[v]];
			struct run_result *r = &rs->runs[cl->ri];
			const struct run_result *base = &rs->runs[first];
			unsigned before = r->nsamples;
			int64_t t_visit = now_ns();
			double harness0 = r->harness_s;
			struct wl_inst w;
			/* The parameters passed run_validate_group: failing here is the run's failure
			 * (memory, the temporary directory), not bad input. */
			if (fault_initfail(cl->ex->name)) {
				progress_clear(pg);
				cb_error("%s: cannot initialise for %s: %s", wl->name, cl->ex->name,
					 strerror(ENOMEM));
				rc = CB_EXIT_RUNFAIL;
				goto out;
			}
			/* init prints its own errors: no live line under them (redrawn at the
			 * first repetition). */
			progress_clear(pg);
			if (cell_inst_init(&w, wl, p, cl->workers, c->weak ? cl->workers : 1, m) < 0) {
				rc = CB_EXIT_RUNFAIL;
				goto out;
			}
			r->p = w.p;
			r->items = w.items;
			r->unit = w.unit;
			r->ntasks = w.ntasks;
			r->scale = w.scale;
			progress_visit_begin(pg);
			memset(&e, 0, sizeof(e));
			struct cell_cfg cc = {
				.bind = r->bind, .membind = c->membind, .dynamic = c->dynamic,
				.gil = r->gil, .depth = r->depth,
				.warmup = c->warmup, .timeout_ns = c->timeout_ns,
				.base = base == r ? NULL : base, .calib_ns = calib_ns,
				.restart = c->restart,
				.progress = progress_rep, .progress_arg = pg,
			};
			struct host_snapshot s0, s1;
			host_snapshot_take(&s0);
			int cr = cell_run(&cc, &w, cl->ex, r, nreps, &e);
			host_snapshot_take(&s1);
			/* The machine's steal during this visit only: the run's own noise. */
			if (s0.ok && s1.ok && s1.total > s0.total && s1.steal >= s0.steal) {
				rs->noise[cl->ri].steal += s1.steal - s0.steal;
				rs->noise[cl->ri].total += s1.total - s0.total;
			}
			/* Temporary files go, even when a worker is stuck; with a stuck thread,
			 * fini keeps the memory that thread may still read (workload.h). */
			cell_inst_fini(&w);
			if (cr < 0) {
				progress_clear(pg);
				cb_error("%s", e.msg);
				run_exit_if_thread_stuck();
				rc = CB_EXIT_RUNFAIL;
				goto out;
			}
			for (unsigned i = before; i < r->nsamples; i++)
				spent[order[v]] += r->samples[i];
			/* The whole visit, the instance's init and fini included, replaces what
			 * cell_run counted of it. */
			r->harness_s = harness0;
			cell_add_harness(r, before, now_ns() - t_visit);
			cl->last_s = (double)(now_ns() - t_visit) / 1e9;
			cl->last_reps = c->warmup + nreps;
			/* Rounds --repetitions auto adds have no end known in advance. */
			progress_visit_done(pg, r, round >= c->rounds ? NAN :
					    eta_left(c, cells, ncells, order, v + 1, nvisit, nreps,
						     round + 1, (double)calib_ns / 1e9, pg,
						     later_visits));
		}
		rs->rounds_done = round + 1;
	}

	/* Every run of the same work must have produced the baseline's checksum. */
	for (size_t i = 1; i < ncells; i++) {
		struct run_result *r = &rs->runs[cells[i].ri], *base = &rs->runs[first];
		if (r->scale == 1 && r->checksum != base->checksum) {
			char name[96];
			run_result_name(name, sizeof(name), r);
			cb_error("%s: verification failed: checksum %016llx differs from the "
				 "sequential run's %016llx", name, (unsigned long long)r->checksum,
				 (unsigned long long)base->checksum);
			r->verified = 0;
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
	}
	derive_run(&rs->runs[first], &rs->runs[first]);
	for (size_t i = 0; i < ncells; i++) {
		struct run_result *r = &rs->runs[cells[i].ri];
		if (i)
			derive_run(r, &rs->runs[first]);
		if (c->reps_auto && !r->stop_reason)
			r->stop_reason = auto_done(c, r, spent[i]) ? r->stop_reason : "max-time";
		derive_run_warnings(&rs->warnings, r, (long)cells[i].ri, m->pus);
		{
			double steal = run_steal_fraction(rs, cells[i].ri);
			char name[96];
			run_result_name(name, sizeof(name), r);
			if (isfinite(steal) && steal > 0.01)
				warning_add(&rs->warnings, WARN_STEAL, (long)cells[i].ri, "%s: steal "
					     "time was %.1f%% of CPU time during this run: the hypervisor "
					     "gave the CPUs to other guests", name, 100 * steal);
		}
	}
out:
	free(cells);
	free(order);
	free(spent);
	return rc;
}

int run_config(const struct config *c, struct run_set *rs)
{
	struct machine m;
	struct progress pg;
	size_t ngroups = c->ngroups, per_group = 0;
	int64_t t_start;
	int rc = 0;

	topo_machine(&m);
	rs->seed = c->seed;
	rs->rng = c->seed ? c->seed : 0x9e3779b97f4a7c15ULL;
	for (size_t g = 0; g < ngroups; g++)
		if (run_validate_group(c, c->groups[g].wl, &c->groups[g].params, &m) < 0)
			return CB_EXIT_USAGE;
	t_start = now_ns();
	host_snapshot_take(&rs->snap_start);
	/* Who else uses the machine, before anything of ours runs (bounded: one short window). */
	rs->nbusy = host_busy_processes(rs->busy, RUN_BUSY_MAX, RUN_BUSY_WINDOW_S, 0.1);
	rs->busy_scanned = 1;
	for (unsigned r = 0; r < c->rounds; r++)
		per_group += progress_round_reps(c, r) ? 1 + c->nworkers * c->nex : 0;
	progress_init(&pg, stderr, c->quiet, ngroups * per_group);
	for (size_t g = 0; g < ngroups && !rc; g++)
		rc = run_group(c, (int)g, c->groups[g].wl, &c->groups[g].params, &m, rs, &pg,
			       (ngroups - g - 1) * per_group);
	progress_clear(&pg);
	rs->wall_s = (double)(now_ns() - t_start) / 1e9;
	host_snapshot_take(&rs->snap_end);
	if (rc)
		return rc;
	host_facts_collect(&rs->facts);
	rs->have_facts = 1;
	if (c->membind != MEMBIND_LOCAL && topo_numa_nodes() < 2)
		warning_add(&rs->warnings, WARN_MEMBIND_ONE_NODE, -1, "--membind %s: this machine has one NUMA "
			     "node, so memory placement changes nothing", membind_name(c->membind));
	if (m.pus < 2)
		warning_add(&rs->warnings, WARN_ONE_PU, -1, "only %u processing unit available: no parallel "
			     "speedup is possible", m.pus);
	for (size_t i = 0; i < rs->nbusy; i++) {
		char comm[64], on[32] = "a PU";
		if (!(rs->busy[i].share > RUN_BUSY_SHARE))
			continue;
		if (rs->busy[i].cpu >= 0)
			cb_fmt(on, sizeof(on), "PU %d", rs->busy[i].cpu);
		warning_add(&rs->warnings, WARN_BUSY_PROCESS, -1, "%s (pid %d) used %.0f%% of %s at "
			     "the start; it competes with the runs for the processing units",
			     cb_sanitize(rs->busy[i].comm, comm, sizeof(comm)), rs->busy[i].pid,
			     100 * rs->busy[i].share, on);
	}
	if (isfinite(rs->snap_start.load1) && rs->snap_start.load1 > 0.5 * m.pus)
		warning_add(&rs->warnings, WARN_LOAD, -1, "load average %.2f at start is over half of the %u "
			     "processing units: other work competes with the runs",
			     rs->snap_start.load1, m.pus);
	{
		double steal = host_steal_fraction(&rs->snap_start, &rs->snap_end);
		if (isfinite(steal) && steal > 0.01)
			warning_add(&rs->warnings, WARN_STEAL, -1, "steal time was %.1f%% of CPU time during the "
				     "runs: the hypervisor gave the CPUs to other guests", 100 * steal);
	}
	if (rs->facts.governor && strcmp(rs->facts.governor, "performance") != 0)
		warning_add(&rs->warnings, WARN_GOVERNOR, -1, "cpufreq governor is '%s', not 'performance': "
			     "frequency changes add noise", rs->facts.governor);
	if (rs->facts.boost == 1)
		warning_add(&rs->warnings, WARN_BOOST, -1, "turbo/boost is on: clock speed depends on how many "
			     "cores are busy, which skews speedups");
	return 0;
}
