/* SPDX-License-Identifier: MIT */
/* derive: what a cell's samples say once they are all in: summary statistics, speedup,
 * efficiency and Karp-Flatt with their intervals, and the warnings about the measurement
 * itself (see derive.h and docs/measurement.md). */
#include "measure/derive.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "measure/stats.h"

/* Level of each median's interval so that both hold together with >= 95%. */
#define JOINT_LEVEL 0.9746794344808963   /* sqrt(0.95) */

/* The codes are what compare and scripts match on: never rename one. The severity says
 * whether the run's samples themselves may be disturbed (warning) or the reader should
 * know a condition of the setup (info); docs/measurement.md has the same table. */
const struct warn_kind derive_warn_kinds[WARN_NCODES] = {
	[WARN_NOISY] = { "noisy", WARN_WARNING, "the samples' coefficient of variation is over 5%" },
	[WARN_FIRST_SAMPLE_SLOW] = { "first-sample-slow", WARN_WARNING,
		"the first kept sample is a slow outlier: warm-up was too short" },
	[WARN_OUTLIERS] = { "outliers", WARN_INFO,
		"samples outside Tukey's fences, kept in the statistics" },
	[WARN_START_SKEW] = { "start-skew", WARN_WARNING,
		"the workers' start skew is over 1% of the median" },
	[WARN_SHORT_REGION] = { "short-region", WARN_WARNING, "the median timed region is under 1 ms" },
	[WARN_OVERSUBSCRIBED] = { "oversubscribed", WARN_INFO,
		"more workers than processing units: they time-share" },
	[WARN_BINDING_FAILED] = { "binding-failed", WARN_WARNING,
		"a worker could not be bound or place its data; it ran unbound" },
	[WARN_STRAYED] = { "strayed", WARN_WARNING,
		"a bound worker was seen off its planned processing unit" },
	[WARN_NO_INTERVAL] = { "no-interval", WARN_INFO,
		"fewer than 6 samples: no 95% interval of the median" },
	[WARN_MAX_TIME] = { "max-time", WARN_WARNING,
		"--repetitions auto stopped at --max-time before reaching --precision" },
	[WARN_MEMBIND_ONE_NODE] = { "membind-one-node", WARN_INFO,
		"--membind on a machine with one NUMA node changes nothing" },
	[WARN_ONE_PU] = { "one-pu", WARN_INFO, "one processing unit: no parallel speedup is possible" },
	[WARN_LOAD] = { "load", WARN_WARNING,
		"the load average at the start is over half the processing units" },
	[WARN_STEAL] = { "steal", WARN_WARNING, "steal time over 1% of the CPU time" },
	[WARN_GOVERNOR] = { "governor", WARN_INFO, "the cpufreq governor is not 'performance'" },
	[WARN_BOOST] = { "boost", WARN_INFO, "turbo/boost is on" },
	[WARN_FEWER_PUS] = { "fewer-pus", WARN_WARNING,
		"the workers were seen on fewer processing units than there were workers, though "
		"enough were available" },
	[WARN_IMBALANCE] = { "imbalance", WARN_WARNING,
		"the slowest worker took over 1.2x the median worker's time" },
	[WARN_SLOW_PU] = { "slow-pu", WARN_WARNING,
		"one processing unit held the slowest worker in more than half of the repetitions" },
	[WARN_BUSY_PROCESS] = { "busy-process", WARN_WARNING,
		"another process used over half of a processing unit at the start" },
};

const char *derive_warn_severity_name(enum warn_severity s)
{
	return s == WARN_INFO ? "info" : "warning";
}

static double karp_flatt(double s, unsigned p)
{
	return (1.0 / s - 1.0 / p) / (1.0 - 1.0 / p);
}

void derive_run(struct run_result *r, const struct run_result *base)
{
	double blo, bhi, rlo, rhi, cov;
	stats_summarize(r->samples, r->nsamples, &r->st);
	r->startup_s = stats_median(r->startups, r->nstartups);
	free(r->outlier_idx);
	r->outlier_idx = calloc(r->nsamples ? r->nsamples : 1, sizeof(size_t));
	r->noutliers = r->outlier_idx ? stats_outliers(r->samples, r->nsamples, r->outlier_idx) : 0;
	r->first_slow = r->noutliers && r->outlier_idx[0] == 0 && r->samples[0] > r->st.median;
	r->speedup = r->efficiency = r->karp_flatt = NAN;
	r->speedup_lo = r->speedup_hi = r->kf_lo = r->kf_hi = NAN;
	{
		double wall = 0;
		for (unsigned i = 0; i < r->nsamples; i++)
			wall += r->samples[i];
		r->cpu_util = wall > 0 ? (r->ru.user_s + r->ru.sys_s) / (wall * r->workers) : NAN;
	}
	if (!base || !(r->st.median > 0))
		return;
	{
		double f = r->weak ? r->workers : 1;   /* weak: W times the work in the time measured */
		r->speedup = f * base->st.median / r->st.median;
		r->efficiency = r->speedup / r->workers;
		if (r->workers > 1)
			r->karp_flatt = karp_flatt(r->speedup, r->workers);
		if (stats_median_ci(base->samples, base->nsamples, JOINT_LEVEL, &blo, &bhi, &cov) == 0 &&
		    stats_median_ci(r->samples, r->nsamples, JOINT_LEVEL, &rlo, &rhi, &cov) == 0 &&
		    rlo > 0) {
			r->speedup_lo = f * blo / rhi;
			r->speedup_hi = f * bhi / rlo;
			if (r->workers > 1) {
				r->kf_lo = karp_flatt(r->speedup_hi, r->workers);
				r->kf_hi = karp_flatt(r->speedup_lo, r->workers);
			}
		}
	}
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The most frequent value >= 0 of v[0..n-1] (the smallest on a tie) and how often it
 * occurs; -1 and 0 when there is none. Sorts v. */
static int mode_of(int *v, size_t n, unsigned *count)
{
	int best = -1;
	*count = 0;
	qsort(v, n, sizeof(*v), cmp_int);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && v[j] == v[i]; j++)
			;
		if (v[i] >= 0 && j - i > *count) {
			best = v[i];
			*count = (unsigned)(j - i);
		}
	}
	return best;
}

/* Where worker k ran in repetition i: its planned PU, else the CPU it ended on, else -1. */
static int rep_pu(const struct run_result *r, unsigned i, unsigned k)
{
	if (r->planned && r->planned[k] >= 0)
		return r->planned[k];
	return r->worker_cpu ? r->worker_cpu[(size_t)i * r->workers + k] : -1;
}

/* Did repetition i's workers end on fewer distinct CPUs than there were workers? Unbound
 * workers that shared a PU: the scheduler stacked them, or another process held one. */
static int rep_stacked(const struct run_result *r, unsigned i)
{
	const int *c = r->worker_cpu ? r->worker_cpu + (size_t)i * r->workers : NULL;
	unsigned distinct = 0;
	if (!c)
		return 0;
	for (unsigned k = 0; k < r->workers; k++) {
		unsigned j;
		if (c[k] < 0)
			return 0;
		for (j = 0; j < k && c[j] != c[k]; j++)
			;
		distinct += j == k;
	}
	return distinct < r->workers;
}

void derive_imbalance(const struct run_result *r, struct run_imbalance *im)
{
	unsigned nw = r->workers, n = r->nsamples, nr = 0;
	double *tmp, *ratios, *wmed;
	int *pus;
	unsigned count;

	memset(im, 0, sizeof(*im));
	im->imbalance = NAN;
	im->slowest = im->fastest = (struct worker_ref){ .worker = -1, .pu = -1, .time_s = NAN };
	im->slow_pu = -1;
	im->observed_pus = r->ncpus;
	if (nw < 2 || !n || !r->worker_s)
		return;
	tmp = malloc((n > nw ? n : nw) * sizeof(*tmp));
	ratios = malloc(n * sizeof(*ratios));
	wmed = malloc(nw * sizeof(*wmed));
	pus = malloc(n * sizeof(*pus));
	if (!tmp || !ratios || !wmed || !pus)
		goto out;
	/* Per repetition: the slowest worker against the median worker, and where it ran. */
	for (unsigned i = 0; i < n; i++) {
		const double *row = r->worker_s + (size_t)i * nw;
		unsigned slow = 0;
		double med = stats_median(row, nw);
		for (unsigned k = 1; k < nw; k++)
			if (row[k] > row[slow])
				slow = k;
		if (med > 0)
			ratios[nr++] = row[slow] / med;
		pus[i] = rep_pu(r, i, slow);
		im->stacked_reps += rep_stacked(r, i);
	}
	im->imbalance = nr ? stats_median(ratios, nr) : NAN;
	im->slow_pu = mode_of(pus, n, &count);
	if (im->slow_pu >= 0 && 2 * count > n)
		im->slow_pu_reps = count;
	else
		im->slow_pu = -1;
	/* Per worker: its median time over the repetitions. */
	for (unsigned k = 0; k < nw; k++) {
		for (unsigned i = 0; i < n; i++)
			tmp[i] = r->worker_s[(size_t)i * nw + k];
		wmed[k] = stats_median(tmp, n);
		if (im->slowest.worker < 0 || wmed[k] > wmed[im->slowest.worker])
			im->slowest.worker = (int)k;
		if (im->fastest.worker < 0 || wmed[k] < wmed[im->fastest.worker])
			im->fastest.worker = (int)k;
	}
	for (int s = 0; s < 2; s++) {
		struct worker_ref *w = s ? &im->fastest : &im->slowest;
		unsigned k = (unsigned)w->worker;
		w->time_s = wmed[k];
		for (unsigned i = 0; i < n; i++)
			pus[i] = rep_pu(r, i, k);
		w->pu = mode_of(pus, n, &count);
	}
out:
	free(tmp);
	free(ratios);
	free(wmed);
	free(pus);
}

void warning_add(struct warning_list *l, enum warn_code code, long run, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	struct run_warning *nw;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nw = realloc(l->items, (l->n + 1) * sizeof(*nw));
	if (!nw)
		return;
	l->items = nw;
	nw[l->n] = (struct run_warning){ .code = code, .run = run, .text = strdup(buf) };
	if (nw[l->n].text)
		l->n++;
}

void warning_list_free(struct warning_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].text);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void derive_run_warnings(struct warning_list *l, const struct run_result *r, long run,
			 unsigned pus)
{
	char name[96], on[32] = "", ivcsw[96] = "";
	double skew = stats_median(r->skews, r->nsamples);
	struct run_imbalance im;
	run_result_name(name, sizeof(name), r);
	derive_imbalance(r, &im);
	/* The workers' own involuntary switches: the scheduler took their PU away. */
	if (r->ru.ivcsw > 0 && r->nsamples)
		cb_fmt(ivcsw, sizeof(ivcsw), " (workers switched out involuntarily %.1f times per "
		       "repetition)", (double)r->ru.ivcsw / r->nsamples);
	if (r->st.cv > NOISY_CV_LIMIT)
		warning_add(l, WARN_NOISY, run, "%s: coefficient of variation %.1f%% is over 5%%; "
			     "quiet the machine or add --repetitions", name, 100 * r->st.cv);
	if (r->first_slow)
		warning_add(l, WARN_FIRST_SAMPLE_SLOW, run, "%s: the first kept sample is a slow "
			     "outlier; raise --warmup", name);
	else if (r->noutliers)
		warning_add(l, WARN_OUTLIERS, run, "%s: %zu outlier sample%s (kept in the "
			     "statistics); look for background activity", name, r->noutliers,
			     r->noutliers == 1 ? "" : "s");
	if (r->st.median > 0 && skew > 0.01 * r->st.median)
		warning_add(l, WARN_START_SKEW, run, "%s: start skew %.3g s is over 1%% of the "
			     "sample; the machine may be busy", name, skew);
	if (r->st.median < 1e-3)
		warning_add(l, WARN_SHORT_REGION, run, "%s: timed region %.3g s is under 1 ms; "
			     "raise --size", name, r->st.median);
	if (!(r->ex->flags & EX_SINGLE_WORKER) && r->workers > pus)
		warning_add(l, WARN_OVERSUBSCRIBED, run, "%s: %u workers on %u processing units "
			     "time-share; expect no gain from the extra workers for cpu work", name,
			     r->workers, pus);
	if (r->binding_error)
		warning_add(l, WARN_BINDING_FAILED, run, "%s: %s; its samples ran unbound there",
			     name, r->binding_error);
	if (r->strayed)
		warning_add(l, WARN_STRAYED, run, "%s: a bound worker ran off its planned "
			     "processing unit in %u of %u samples; the binding did not hold", name,
			     r->strayed, r->nsamples);
	if (!r->st.has_ci)
		warning_add(l, WARN_NO_INTERVAL, run, "%s: %u samples give no 95%% interval of the "
			     "median; use --repetitions 6 or more", name, r->nsamples);
	if (r->stop_reason && strcmp(r->stop_reason, "max-time") == 0)
		warning_add(l, WARN_MAX_TIME, run, "%s: --repetitions auto stopped at --max-time "
			     "before reaching --precision; raise --max-time", name);
	/* Workers that could each have had a PU but shared fewer, over the run or in most of
	 * its repetitions: the run measured less parallelism than its worker count says. */
	if (!(r->ex->flags & EX_SINGLE_WORKER) && r->workers <= pus) {
		if (im.observed_pus > 0 && im.observed_pus < r->workers)
			warning_add(l, WARN_FEWER_PUS, run, "%s: the workers ran on only %u processing "
				     "unit%s of the %u available%s: another process holds a PU or the "
				     "scheduler stacked them, so this run's speedup is not that of %u "
				     "workers", name, im.observed_pus, im.observed_pus == 1 ? "" : "s",
				     pus, ivcsw, r->workers);
		else if (2 * im.stacked_reps > r->nsamples)
			warning_add(l, WARN_FEWER_PUS, run, "%s: in %u of %u repetitions the workers "
				     "ended on fewer processing units than workers, of the %u available%s: "
				     "another process holds a PU or the scheduler stacked them, so this "
				     "run's speedup is not that of %u workers", name, im.stacked_reps,
				     r->nsamples, pus, ivcsw, r->workers);
	}
	if (im.imbalance > IMBALANCE_LIMIT) {
		if (im.slowest.pu >= 0)
			cb_fmt(on, sizeof(on), " on PU %d", im.slowest.pu);
		warning_add(l, WARN_IMBALANCE, run, "%s: imbalance %.2fx: the slowest worker "
			     "(worker %d%s, median %.3g s) held up the others%s; the run waits for it",
			     name, im.imbalance, im.slowest.worker, on, im.slowest.time_s, ivcsw);
		if (im.slow_pu >= 0)
			warning_add(l, WARN_SLOW_PU, run, "%s: PU %d held the slowest worker in %u of "
				     "%u repetitions: something else runs there or it is slower", name,
				     im.slow_pu, im.slow_pu_reps, r->nsamples);
	}
}

/* ---- warnings by cause, for stderr ------------------------------------------------------ */

/* What the records of a cause say together, machine-wide causes first: the order in which
 * stderr shows them. */
enum warn_cause {
	CAUSE_BUSY,          /* other work on the machine */
	CAUSE_STEAL,
	CAUSE_FEWER_PUS,
	CAUSE_SETUP,         /* facts of the machine's setup */
	CAUSE_SLOW_PU,
	CAUSE_IMBALANCE,
	CAUSE_PLACEMENT,
	CAUSE_NOISE,
	CAUSE_SHORT,
	CAUSE_FEW_SAMPLES,
	CAUSE_N
};

static const enum warn_cause cause_of[WARN_NCODES] = {
	[WARN_NOISY] = CAUSE_NOISE, [WARN_FIRST_SAMPLE_SLOW] = CAUSE_NOISE,
	[WARN_OUTLIERS] = CAUSE_NOISE, [WARN_START_SKEW] = CAUSE_NOISE,
	[WARN_SHORT_REGION] = CAUSE_SHORT, [WARN_OVERSUBSCRIBED] = CAUSE_PLACEMENT,
	[WARN_BINDING_FAILED] = CAUSE_PLACEMENT, [WARN_STRAYED] = CAUSE_PLACEMENT,
	[WARN_NO_INTERVAL] = CAUSE_FEW_SAMPLES, [WARN_MAX_TIME] = CAUSE_FEW_SAMPLES,
	[WARN_MEMBIND_ONE_NODE] = CAUSE_SETUP, [WARN_ONE_PU] = CAUSE_SETUP,
	[WARN_LOAD] = CAUSE_BUSY, [WARN_STEAL] = CAUSE_STEAL, [WARN_GOVERNOR] = CAUSE_SETUP,
	[WARN_BOOST] = CAUSE_SETUP, [WARN_FEWER_PUS] = CAUSE_FEWER_PUS,
	[WARN_IMBALANCE] = CAUSE_IMBALANCE, [WARN_SLOW_PU] = CAUSE_SLOW_PU,
	[WARN_BUSY_PROCESS] = CAUSE_BUSY,
};

/* Per cause: its name, and what it did to the runs or what to do. */
static const struct {
	const char *name, *why;
} causes[CAUSE_N] = {
	[CAUSE_BUSY] = { "busy machine", "other work competed with them" },
	[CAUSE_STEAL] = { "steal time", "over 1% of their CPU time went to other guests of the "
		"hypervisor" },
	[CAUSE_FEWER_PUS] = { "fewer PUs than workers",
		"another process holds a PU or the scheduler stacked the workers; their speedups "
		"are not those of their worker counts" },
	[CAUSE_SETUP] = { "machine setup", "see above" },
	[CAUSE_SLOW_PU] = { "slow PU", "one PU held the slowest worker in most repetitions: "
		"something else runs there or it is slower" },
	[CAUSE_IMBALANCE] = { "imbalance", "the slowest worker took over 1.2x the median "
		"worker's time, and each run waited for it" },
	[CAUSE_PLACEMENT] = { "placement", "workers time-shared PUs, or a binding failed or did "
		"not hold" },
	[CAUSE_NOISE] = { "noise", "variation, outliers, a slow first sample or start skew; "
		"quiet the machine, raise --warmup or add --repetitions" },
	[CAUSE_SHORT] = { "short timed regions", "under 1 ms each; raise --size" },
	[CAUSE_FEW_SAMPLES] = { "too few samples",
		"no 95% interval under 6 samples, or --max-time stopped them; use --repetitions 6 "
		"or more, or raise --max-time" },
};

#define CAUSE_RUNS_SHOWN 6

/* The first clause of a record's text (up to its first ';'), appended to buf. */
static void append_clause(char *buf, size_t len, const char *text)
{
	cb_append(buf, len, "%.*s", (int)strcspn(text, ";"), text);
}

/* One cause's line: its machine-wide records' texts, then the runs it affects. */
static char *cause_line(const struct warning_list *l, enum warn_cause c,
			const struct run_result *runs, size_t nruns)
{
	char line[2048], list[1024] = "";
	size_t nrun = 0;
	int host = 0;

	cb_fmt(line, sizeof(line), "%s: ", causes[c].name);
	for (size_t i = 0; i < l->n; i++) {
		const struct run_warning *w = &l->items[i];
		int seen = 0;
		if (cause_of[w->code] != c)
			continue;
		if (w->run < 0 || (size_t)w->run >= nruns) {
			cb_append(line, sizeof(line), "%s%s", host++ ? "; " : "", w->text);
			continue;
		}
		/* a run counts once however many records of the cause it has */
		for (size_t j = 0; j < i && !seen; j++)
			seen = l->items[j].run == w->run && cause_of[l->items[j].code] == c;
		if (seen)
			continue;
		if (nrun < CAUSE_RUNS_SHOWN) {
			const struct run_result *r = &runs[w->run];
			cb_append(list, sizeof(list), "%s%s %s x%u", nrun ? ", " : "", r->wl->name,
				  r->ex->name, r->workers);
			/* which PU, how far over: the figures behind these two causes */
			if (c == CAUSE_SLOW_PU || c == CAUSE_IMBALANCE) {
				struct run_imbalance im;
				derive_imbalance(r, &im);
				if (c == CAUSE_SLOW_PU && im.slow_pu >= 0)
					cb_append(list, sizeof(list), " on PU %d", im.slow_pu);
				if (c == CAUSE_IMBALANCE && isfinite(im.imbalance))
					cb_append(list, sizeof(list), " %.2fx", im.imbalance);
			}
		}
		nrun++;
	}
	if (!host && !nrun)
		return NULL;
	if (nrun) {
		if (nrun > CAUSE_RUNS_SHOWN)
			cb_append(list, sizeof(list), " and %zu more", nrun - CAUSE_RUNS_SHOWN);
		cb_append(line, sizeof(line), "%s%zu run%s (%s): %s", host ? "; " : "", nrun,
			  nrun == 1 ? "" : "s", list, causes[c].why);
	}
	/* Fewer PUs than workers: name the busy process that likely holds one. */
	if (c == CAUSE_FEWER_PUS)
		for (size_t i = 0; i < l->n; i++)
			if (l->items[i].code == WARN_BUSY_PROCESS) {
				cb_append(line, sizeof(line), " (busy-process: ");
				append_clause(line, sizeof(line), l->items[i].text);
				cb_append(line, sizeof(line), ")");
				break;
			}
	return strdup(line);
}

size_t derive_warnings_by_cause(const struct warning_list *l, const struct run_result *runs,
				size_t nruns, char **lines, size_t max)
{
	size_t n = 0;
	for (int c = 0; c < CAUSE_N && n < max; c++) {
		char *s = cause_line(l, (enum warn_cause)c, runs, nruns);
		if (s)
			lines[n++] = s;
	}
	return n;
}
