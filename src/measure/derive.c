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
	char name[96];
	double skew = stats_median(r->skews, r->nsamples);
	run_result_name(name, sizeof(name), r);
	if (r->st.cv > 0.05)
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
}
