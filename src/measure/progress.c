/* SPDX-License-Identifier: MIT */
/* progress: the live line, the CI log lines and the dry run's estimate (see progress.h). */
#define _GNU_SOURCE
#include "measure/progress.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"
#include "measure/stats.h"

/* A pool's start beside its prepare: threads or processes created, bound, gated. */
#define POOL_START_S 0.002

void progress_init(struct progress *pg, FILE *f, int quiet, size_t nvisits)
{
	memset(pg, 0, sizeof(*pg));
	pg->f = f;
	pg->mode = quiet ? PROGRESS_OFF : isatty(fileno(f)) ? PROGRESS_TTY : PROGRESS_LINES;
	pg->t0 = now_ns();
	pg->nvisits = nvisits;
	pg->eta_s = NAN;
}

void progress_fmt_span(char *buf, size_t len, double s)
{
	if (!isfinite(s) || s < 0)
		cb_fmt(buf, len, "?");
	else if (s < 1)
		cb_fmt(buf, len, "%.0f ms", s * 1e3);
	else if (s < 10)
		cb_fmt(buf, len, "%.1f s", s);
	else if (s < 120)
		cb_fmt(buf, len, "%.0f s", s);
	else if (s < 7200)
		cb_fmt(buf, len, "%.0f min", s / 60);
	else
		cb_fmt(buf, len, "%.1f h", s / 3600);
}

void progress_visit_begin(struct progress *pg)
{
	pg->visit++;
	/* Extra rounds (--repetitions auto) add visits nobody planned. */
	if (pg->visit > pg->nvisits)
		pg->nvisits = pg->visit;
}

/* The ETA now: the last estimate, less what passed since. */
static double eta_now(const struct progress *pg, int64_t now)
{
	double left;
	if (!isfinite(pg->eta_s))
		return NAN;
	left = pg->eta_s - (double)(now - pg->eta_at) / 1e9;
	return left > 0 ? left : 0;
}

static int term_width(FILE *f)
{
	struct winsize ws;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

void progress_rep(void *arg, const char *what, unsigned rep, unsigned total)
{
	struct progress *pg = arg;
	int64_t now = now_ns();
	char line[256], el[32], eta[32];
	int width;

	if (pg->mode != PROGRESS_TTY || (pg->shown && now - pg->drawn_ns < PROGRESS_REDRAW_NS))
		return;
	progress_fmt_span(el, sizeof(el), (double)(now - pg->t0) / 1e9);
	progress_fmt_span(eta, sizeof(eta), eta_now(pg, now));
	cb_fmt(line, sizeof(line), "[%zu/%zu] %s: repetition %u/%u, elapsed %s, ETA %s", pg->visit,
	       pg->nvisits, what, rep, total, el, eta);
	/* One terminal line: a wrapped one could not be taken back with \r. */
	width = term_width(pg->f);
	if (strlen(line) >= (size_t)width)
		line[width - 1] = '\0';
	fprintf(pg->f, "\r\033[K%s", line);
	fflush(pg->f);
	pg->shown = 1;
	pg->drawn_ns = now;
}

void progress_eta(struct progress *pg, double eta_s)
{
	pg->eta_s = eta_s;
	pg->eta_at = now_ns();
}

void progress_visit_done(struct progress *pg, const struct run_result *r, double eta_s)
{
	int64_t now = now_ns();
	char name[96], med[32], el[32], eta[32];

	progress_eta(pg, eta_s);
	if (pg->mode != PROGRESS_LINES)
		return;
	run_result_name(name, sizeof(name), r);
	cb_fmt_time_digits(med, sizeof(med), r->nsamples ? stats_median(r->samples, r->nsamples) :
			   NAN, 1);
	progress_fmt_span(el, sizeof(el), (double)(now - pg->t0) / 1e9);
	progress_fmt_span(eta, sizeof(eta), eta_s);
	fprintf(pg->f, "concbench: [%zu/%zu] %s: %u sample%s, median %s (elapsed %s, ETA %s)\n",
		pg->visit, pg->nvisits, name, r->nsamples, r->nsamples == 1 ? "" : "s", med, el, eta);
	fflush(pg->f);
}

void progress_clear(struct progress *pg)
{
	if (pg->shown) {
		fprintf(pg->f, "\r\033[K");
		fflush(pg->f);
	}
	pg->shown = 0;
}

unsigned progress_round_reps(const struct config *c, unsigned round)
{
	if (round >= c->rounds)
		return 0;
	return c->reps / c->rounds + (round < c->reps % c->rounds);
}

/* The workload's per-task duration (a sleep), or 0 when it has none. */
static int64_t task_duration_ns(const struct wl_inst *w)
{
	for (size_t i = 0; i < w->wl->noptions; i++)
		if (w->wl->options[i].kind == WLO_DURATION)
			return w->p.opt[i];
	return 0;
}

int progress_calibrate(const struct wl_inst *w, int64_t init_ns, int64_t budget_ns,
		       struct progress_calib *pc, char *why, size_t len)
{
	int64_t dur = task_duration_ns(w), t0, spent_prep = 0, spent_run = 0, start = now_ns();
	void *data = NULL;
	size_t t;
	int rc = 0;

	memset(pc, 0, sizeof(*pc));
	pc->init_s = (double)init_ns / 1e9;
	/* A task that sleeps longer than the budget is not run: its duration says it all. */
	if (dur > budget_ns) {
		pc->rep_s = (double)dur / 1e9 * (double)w->ntasks;
		pc->from_duration = 1;
		return 0;
	}
	if (w->data_bytes) {
		data = mmap(NULL, w->data_bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (data == MAP_FAILED) {
			cb_fmt(why, len, "cannot map %zu bytes: %s", w->data_bytes, strerror(errno));
			return -ENOMEM;
		}
	}
	/* Tasks one after another until the budget is spent: the first is enough to scale. */
	for (t = 0; t < w->ntasks && (t == 0 || now_ns() - start < budget_ns); t++) {
		struct task_out out;
		memset(&out, 0, sizeof(out));
		t0 = now_ns();
		if (w->wl->prepare)
			w->wl->prepare(w, data, t);
		spent_prep += now_ns() - t0;
		t0 = now_ns();
		rc = w->wl->run_task(w, data, t, &out);
		spent_run += now_ns() - t0;
		if (rc < 0) {
			cb_fmt(why, len, "task %zu failed: %s", t, strerror(-rc));
			break;
		}
	}
	if (data)
		munmap(data, w->data_bytes);
	if (rc < 0)
		return rc;
	pc->timed = 1;
	pc->prepare_s = (double)spent_prep / 1e9 * (double)w->ntasks / (double)t;
	pc->rep_s = (double)spent_run / 1e9 * (double)w->ntasks / (double)t;
	return 0;
}

double progress_visit_s(const struct progress_calib *pc, unsigned workers, unsigned pus,
			size_t ntasks, unsigned scale, unsigned nreps, unsigned warmup)
{
	/* How many workers run at once: a sleep needs no PU, a computation one each. */
	double par = workers;
	if (ntasks && par > (double)ntasks)
		par = (double)ntasks;
	if (!pc->from_duration && pus && par > pus)
		par = pus;
	if (par < 1)
		par = 1;
	/* First touch is page faults, which scale poorly with workers: not divided. */
	return pc->init_s + POOL_START_S + pc->prepare_s * scale +
	       (double)(warmup + nreps) * pc->rep_s * scale / par;
}

double progress_group_s(const struct config *c, const struct progress_calib *pc, size_t ntasks,
			unsigned pus)
{
	/* The run's own calibration: one baseline repetition before the first round. */
	double s = c->timeout_ns ? 0 : progress_visit_s(pc, 1, pus, ntasks, 1, 1, 0);
	for (unsigned r = 0; r < c->rounds; r++) {
		unsigned k = progress_round_reps(c, r);
		if (!k)
			continue;
		s += progress_visit_s(pc, 1, pus, ntasks, 1, k, c->warmup);
		for (size_t wi = 0; wi < c->nworkers; wi++) {
			unsigned w = c->workers[wi];
			for (size_t xi = 0; xi < c->nex; xi++)
				s += progress_visit_s(pc, c->ex[xi]->flags & EX_SINGLE_WORKER ? 1 : w,
						      pus, ntasks, c->weak ? w : 1, k, c->warmup);
		}
	}
	return s;
}
