/* SPDX-License-Identifier: MIT */
/* explain: findings (which executor won, by how much, and which measurements of the two
 * runs differ) from a parsed report, and their sentences. Only what the numbers support:
 * a measurement is evidence when it differs by EXPLAIN_MIN_RATIO and is above its floor,
 * and an interpretation is added only by a rule of rules[] whose pattern holds. */
#include "report/explain.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "core/executor.h"
#include "core/registry.h"
#include "measure/stats.h"
#include "report/report.h"

/* Where a measurement is read from in a run. */
enum source {
	SRC_RUSAGE,          /* rusage.NAME: per repetition, summed over workers */
	SRC_RUN,             /* the run's own NAME */
	SRC_COUNTER,         /* counters.NAME (schema of issue 12; null: not measured) */
	SRC_DERIVED,         /* counters_derived.NAME, else computed from counters */
	SRC_IMBALANCE,       /* imbalance, else max/median of worker_s per repetition */
	SRC_PUS,             /* observed_pus, else the length of cpus */
};

enum shown { SHOW_TIME, SHOW_COUNT, SHOW_RATIO };

struct metric {
	const char *name;
	enum source src;
	const char *what;
	const char *verb;          /* "thread spent 4.8x the system time" */
	const char *family;        /* one sentence names one measurement of a family */
	enum shown shown;
	double floor;              /* the larger value must reach it; times: also 5% of the
				      slower run's median */
};

/* Every measurement explain reads, in the order ties are broken. */
static const struct metric metrics[] = {
	{ "sys_s", SRC_RUSAGE, "system time", "spent", "sys", SHOW_TIME, 1e-4 },
	{ "user_s", SRC_RUSAGE, "user time", "spent", "user", SHOW_TIME, 1e-4 },
	{ "task_clock_s", SRC_COUNTER, "task-clock time", "spent", "cpu", SHOW_TIME, 1e-4 },
	{ "page_faults", SRC_COUNTER, "page faults", "had", "faults", SHOW_COUNT, 100 },
	{ "minflt", SRC_RUSAGE, "minor page faults", "had", "faults", SHOW_COUNT, 100 },
	{ "majflt", SRC_RUSAGE, "major page faults", "had", "majfaults", SHOW_COUNT, 10 },
	{ "context_switches", SRC_COUNTER, "context switches", "had", "switches", SHOW_COUNT, 20 },
	{ "vcsw", SRC_RUSAGE, "voluntary context switches", "had", "vcsw", SHOW_COUNT, 20 },
	{ "ivcsw", SRC_RUSAGE, "involuntary context switches", "had", "ivcsw", SHOW_COUNT, 20 },
	{ "cpu_migrations", SRC_COUNTER, "CPU migrations", "had", "migrations", SHOW_COUNT, 10 },
	{ "imbalance", SRC_IMBALANCE, "worker imbalance (slowest/median worker)", "had",
	  "imbalance", SHOW_RATIO, 0 },
	{ "observed_pus", SRC_PUS, "PUs", "ran on", "pus", SHOW_COUNT, 0 },
	{ "cpu_utilization", SRC_RUN, "CPU utilization", "ran at",
	  "utilization", SHOW_RATIO, 0 },
	{ "start_skew_s", SRC_RUN, "start skew", "had", "skew", SHOW_TIME, 1e-5 },
	{ "instructions", SRC_COUNTER, "instructions", "ran", "instructions", SHOW_COUNT, 1e6 },
	{ "cycles", SRC_COUNTER, "cycles", "took", "cycles", SHOW_COUNT, 1e6 },
	{ "ipc", SRC_DERIVED, "instructions per cycle", "ran at", "ipc", SHOW_RATIO, 0 },
	{ "ghz", SRC_DERIVED, "effective GHz", "ran at", "ghz", SHOW_RATIO, 0 },
	{ "llc_misses", SRC_COUNTER, "LLC misses", "had", "llc", SHOW_COUNT, 1e4 },
	{ "dtlb_misses", SRC_COUNTER, "dTLB misses", "had", "dtlb", SHOW_COUNT, 1e4 },
	/* last: the pool starts before the samples, so it never explains their gap */
	{ "startup_s", SRC_RUN, "pool start-up time", "spent", "startup", SHOW_TIME, 1e-4 },
};
#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))
/* a finding has room for every measurement */
_Static_assert(NMETRICS <= EXPLAIN_MAX_EVIDENCE, "EXPLAIN_MAX_EVIDENCE below the metrics");

/* What one run says. */
struct facts {
	const cJSON *run;
	long index;
	const char *executor;
	unsigned workers;
	double median;
	double v[NMETRICS];        /* NaN: not measured */
};

static double num_or_nan(const cJSON *o, const char *k)
{
	double v = jsonb_num(o, k);
	return isfinite(v) ? v : NAN;
}

/* Median over repetitions of (slowest worker / median worker); NaN without two workers. */
static double imbalance_of(const cJSON *run)
{
	const cJSON *reps = cJSON_GetObjectItemCaseSensitive(run, "worker_s"), *rep;
	double *per, *w, v;
	size_t n = 0, cap = (size_t)cJSON_GetArraySize(reps);

	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(run, "imbalance")))
		return num_or_nan(run, "imbalance");
	if (!cJSON_IsArray(reps) || cap == 0)
		return NAN;
	per = malloc(cap * sizeof(*per));
	if (!per)
		return NAN;
	cJSON_ArrayForEach(rep, reps) {
		size_t m = 0, k = (size_t)cJSON_GetArraySize(rep);
		const cJSON *t;
		double max = 0, med;
		if (!cJSON_IsArray(rep) || k < 2 || !(w = malloc(k * sizeof(*w))))
			continue;
		cJSON_ArrayForEach(t, rep) {
			if (cJSON_IsNumber(t) && isfinite(t->valuedouble)) {
				w[m++] = t->valuedouble;
				if (t->valuedouble > max)
					max = t->valuedouble;
			}
		}
		med = m >= 2 ? stats_median(w, m) : NAN;
		if (med > 0)
			per[n++] = max / med;
		free(w);
	}
	v = n ? stats_median(per, n) : NAN;
	free(per);
	return v;
}

static double metric_value(const cJSON *run, const struct metric *m)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(run, "counters"), *pus;
	double x, y;

	switch (m->src) {
	case SRC_RUSAGE:
		return num_or_nan(cJSON_GetObjectItemCaseSensitive(run, "rusage"), m->name);
	case SRC_RUN:
		return num_or_nan(run, m->name);
	case SRC_COUNTER:
		return num_or_nan(c, m->name);
	case SRC_DERIVED:
		x = num_or_nan(cJSON_GetObjectItemCaseSensitive(run, "counters_derived"), m->name);
		if (isfinite(x))
			return x;
		if (strcmp(m->name, "ipc") == 0) {
			x = num_or_nan(c, "instructions");
			y = num_or_nan(c, "cycles");
		} else {
			x = num_or_nan(c, "cycles") / 1e9;
			y = num_or_nan(c, "task_clock_s");
		}
		return y > 0 ? x / y : NAN;
	case SRC_IMBALANCE:
		return imbalance_of(run);
	case SRC_PUS:
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(run, "observed_pus")))
			return num_or_nan(run, "observed_pus");
		pus = cJSON_GetObjectItemCaseSensitive(run, "cpus");
		return cJSON_IsArray(pus) && cJSON_GetArraySize(pus) > 0 ?
		       (double)cJSON_GetArraySize(pus) : NAN;
	}
	return NAN;
}

static void facts_read(struct facts *f, const cJSON *run, long index)
{
	double w = jsonb_num(run, "workers");
	f->run = run;
	f->index = index;
	f->executor = jsonb_str(run, "executor");
	f->workers = w >= 1 && w <= 1e9 ? (unsigned)w : 0;
	f->median = num_or_nan(run, "median_s");
	for (size_t i = 0; i < NMETRICS; i++)
		f->v[i] = metric_value(run, &metrics[i]);
}

static size_t metric_index(const char *name)
{
	for (size_t i = 0; i < NMETRICS; i++)
		if (strcmp(metrics[i].name, name) == 0)
			return i;
	return 0;
}

/* Does metric i of the slower run (median sb) differ from the faster's enough to count?
 * Imbalance counts its excess over 1 (a balanced run is 1, not 0); the PUs count any
 * shortfall of PUs against workers, since that alone makes workers time-share. */
static int differs(size_t i, double a, double b, double sb, unsigned wa, unsigned wb)
{
	const struct metric *m = &metrics[i];
	double hi = fmax(a, b), lo = fmin(a, b), least = m->floor;

	if (!isfinite(a) || !isfinite(b) || a < 0 || b < 0)
		return 0;
	if (m->src == SRC_IMBALANCE)
		return hi - 1 >= 0.2 && hi - 1 >= EXPLAIN_MIN_RATIO * (lo - 1);
	if (m->src == SRC_PUS)
		return lo < hi && ((a == lo && a < wa) || (b == lo && b < wb));
	if (m->shown == SHOW_TIME && strcmp(m->name, "startup_s") != 0 && 0.05 * sb > least)
		least = 0.05 * sb;
	return hi >= least && hi > 0 && hi >= EXPLAIN_MIN_RATIO * lo;
}

/* Does x come before y: the larger ratio first, the start-up (outside the samples) last,
 * ties in the table's order. */
static int evidence_before(const struct explain_evidence *x, const struct explain_evidence *y)
{
	int sx = strcmp(x->name, "startup_s") == 0, sy = strcmp(y->name, "startup_s") == 0;
	if (sx != sy)
		return sy;
	if (x->ratio != y->ratio)
		return x->ratio > y->ratio;
	return metric_index(x->name) < metric_index(y->name);
}

static const struct explain_evidence *evidence_find(const struct explain_finding *x,
						    const char *name)
{
	for (size_t i = 0; i < x->nevidence; i++)
		if (strcmp(x->evidence[i].name, name) == 0)
			return &x->evidence[i];
	return NULL;
}

/* ---- the rules: a pattern of the two runs -> an interpretation ---- */

/* The slower run b has more (or less) of a measurement that counts as evidence. */
static int slower_more(const struct explain_finding *x, const char *name)
{
	const struct explain_evidence *e = evidence_find(x, name);
	return e && e->b > e->a;
}

static int slower_less(const struct explain_finding *x, const char *name)
{
	const struct explain_evidence *e = evidence_find(x, name);
	return e && e->b < e->a;
}

static int shares_address_space(const char *executor)
{
	const struct executor *ex = executor_find(executor);
	return ex && (ex->flags & EX_SHARED_ADDRESS_SPACE);
}

/* The faults of a and b agree within 1.2x (and are enough to count): note them in x as the
 * measurement that stayed the same, said after the evidence named `after`, unless a rule
 * noted them already. */
static int same_faults(struct explain_finding *x, const struct facts *a, const struct facts *b,
		       const char *after)
{
	static const char *const faults[] = { "page_faults", "minflt" };

	for (size_t k = 0; k < ARRAY_SIZE(faults); k++) {
		size_t i = metric_index(faults[k]);
		double fa = a->v[i], fb = b->v[i];
		if (!isfinite(fa) || !isfinite(fb))
			continue;
		if (fmin(fa, fb) < metrics[i].floor || fmax(fa, fb) > 1.2 * fmin(fa, fb))
			return 0;
		if (!x->same.name) {
			x->same = (struct explain_evidence){ metrics[i].name, metrics[i].what, 0, fa,
							     fb, fmin(fa, fb) > 0 ?
							     fmax(fa, fb) / fmin(fa, fb) : 1 };
			x->same_after = (size_t)(evidence_find(x, after) - x->evidence);
		}
		return 1;
	}
	return 0;
}

/* The slower run b shares one address space among its workers and the faster a does not. */
static int one_address_space_slower(const struct facts *a, const struct facts *b)
{
	return shares_address_space(b->executor) && !shares_address_space(a->executor);
}

/* More system time for the same faults, in one address space against separate ones: the
 * kernel's time per fault grew, which is what faults serialised on one mm look like. */
static int rule_address_space(struct explain_finding *x, const struct facts *a,
			      const struct facts *b)
{
	return slower_more(x, "sys_s") && one_address_space_slower(a, b) &&
	       same_faults(x, a, b, "sys_s");
}

/* More voluntary switches for the same faults, in one address space against separate ones:
 * a worker gives up its PU only to wait, and what threads of one process wait for while
 * faulting is each other (the address space's lock). */
static int rule_fault_waits(struct explain_finding *x, const struct facts *a,
			    const struct facts *b)
{
	return slower_more(x, "vcsw") && one_address_space_slower(a, b) &&
	       same_faults(x, a, b, "vcsw");
}

/* The slower run's workers were seen on fewer PUs than the faster's, and than its workers
 * (differs() counts the PUs only then). */
static int rule_fewer_pus(struct explain_finding *x, const struct facts *a, const struct facts *b)
{
	(void)a, (void)b;
	return slower_less(x, "observed_pus");
}

/* The slower run's slowest worker took 1.2x its median worker or more (differs() counts
 * the imbalance only then): a repetition ends with its slowest worker. */
static int rule_slow_worker(struct explain_finding *x, const struct facts *a,
			    const struct facts *b)
{
	(void)a, (void)b;
	return slower_more(x, "imbalance");
}

static int rule_cache(struct explain_finding *x, const struct facts *a, const struct facts *b)
{
	(void)a, (void)b;
	return slower_less(x, "ipc") && slower_more(x, "llc_misses");
}

static int rule_clock(struct explain_finding *x, const struct facts *a, const struct facts *b)
{
	(void)a, (void)b;
	return slower_less(x, "ghz");
}

/* Pattern -> clause, and the evidence each rests on (always said with it). */
static const struct {
	int (*holds)(struct explain_finding *x, const struct facts *a, const struct facts *b);
	const char *clause;
	const char *cites[2];
} rules[] = {
	{ rule_address_space, "faults contend on one address space", { "sys_s", NULL } },
	{ rule_fault_waits, "its workers waited for each other in the kernel", { "vcsw", NULL } },
	{ rule_fewer_pus, "the workers time-shared fewer PUs", { "observed_pus", NULL } },
	{ rule_slow_worker, "a slow worker held the others", { "imbalance", NULL } },
	{ rule_cache, "cache misses stalled its instructions", { "ipc", "llc_misses" } },
	{ rule_clock, "its PUs ran at a lower clock", { "ghz", NULL } },
};

/* Is evidence `name` one that a clause of x rests on? */
static int cited(const struct explain_finding *x, const char *name)
{
	for (size_t c = 0; c < x->nclauses; c++)
		for (size_t k = 0; k < ARRAY_SIZE(rules); k++)
			if (rules[k].clause == x->clauses[c] &&
			    ((rules[k].cites[0] && strcmp(rules[k].cites[0], name) == 0) ||
			     (rules[k].cites[1] && strcmp(rules[k].cites[1], name) == 0)))
				return 1;
	return 0;
}

/* ---- findings ---- */

static int overlap_ci(const cJSON *r, const cJSON *s)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "ci95_s");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(s, "ci95_s");
	if (cJSON_GetArraySize(a) != 2 || cJSON_GetArraySize(b) != 2)
		return 0;
	return cJSON_GetArrayItem(a, 0)->valuedouble <= cJSON_GetArrayItem(b, 1)->valuedouble &&
	       cJSON_GetArrayItem(b, 0)->valuedouble <= cJSON_GetArrayItem(a, 1)->valuedouble;
}

/* "mem touch": the workload and its first named parameter (kernel, pattern, io). */
static void group_title(char *buf, size_t len, const cJSON *run)
{
	const cJSON *p;
	cb_fmt(buf, len, "%s", jsonb_str(run, "workload"));
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(run, "params")) {
		if (cJSON_IsString(p) && p->valuestring[0]) {
			cb_append(buf, len, " %s", p->valuestring);
			return;
		}
	}
}

static void finding_make(struct explain_finding *x, const cJSON *r1, long i1, const cJSON *r2,
			 long i2)
{
	struct facts f1, f2;
	const struct facts *a, *b;

	memset(x, 0, sizeof(*x));
	facts_read(&f1, r1, i1);
	facts_read(&f2, r2, i2);
	/* a is the faster; on a tie the one given first */
	a = f2.median < f1.median ? &f2 : &f1;
	b = a == &f1 ? &f2 : &f1;
	group_title(x->group, sizeof(x->group), r1);
	x->run_a = a->index;
	x->run_b = b->index;
	x->executor_a = a->executor;
	x->executor_b = b->executor;
	x->workers_a = a->workers;
	x->workers_b = b->workers;
	x->median_a = a->median;
	x->median_b = b->median;
	x->ratio = b->median / a->median;
	x->overlap = overlap_ci(a->run, b->run);
	for (size_t i = 0; i < NMETRICS; i++) {
		double va = a->v[i], vb = b->v[i];
		struct explain_evidence *e;
		if (!differs(i, va, vb, b->median, a->workers, b->workers))
			continue;
		e = &x->evidence[x->nevidence++];
		*e = (struct explain_evidence){ metrics[i].name, metrics[i].what,
						metrics[i].shown == SHOW_TIME, va, vb,
						fmin(va, vb) > 0 ? fmax(va, vb) / fmin(va, vb) : INFINITY };
		for (size_t j = x->nevidence - 1; j > 0 && evidence_before(&x->evidence[j],
									 &x->evidence[j - 1]); j--) {
			struct explain_evidence t = x->evidence[j];
			x->evidence[j] = x->evidence[j - 1];
			x->evidence[j - 1] = t;
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(rules) && x->nclauses < EXPLAIN_MAX_CLAUSES; k++)
		if (rules[k].holds(x, a, b))
			x->clauses[x->nclauses++] = rules[k].clause;
}

static int set_push(struct explain_set *s, size_t *cap, const cJSON *r1, long i1,
		    const cJSON *r2, long i2)
{
	if (s->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		struct explain_finding *p = realloc(s->items, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->items = p;
		*cap = nc;
	}
	finding_make(&s->items[s->n++], r1, i1, r2, i2);
	return 0;
}

struct keyed {
	char *key;
	long index;
	const cJSON *run;
};

static int cmp_keyed(const void *p, const void *q)
{
	const struct keyed *x = p, *y = q;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int cmp_first_index(const void *p, const void *q)
{
	const struct keyed *const *x = p, *const *y = q;
	return ((*x)->index > (*y)->index) - ((*x)->index < (*y)->index);
}

static int usable(const cJSON *run)
{
	double m = jsonb_num(run, "median_s");
	return isfinite(m) && m > 0;
}

static int is_seq(const cJSON *run)
{
	const struct executor *ex = executor_find(jsonb_str(run, "executor"));
	return ex ? (ex->flags & EX_SINGLE_WORKER) != 0 : strcmp(jsonb_str(run, "executor"), "seq") == 0;
}

/* One group, k[0..n): its runs in document order. */
static int explain_group(struct explain_set *s, size_t *cap, const struct keyed *k, size_t n,
			 long only)
{
	const struct keyed *seq = NULL, *best = NULL, *worst = NULL, *self = NULL;
	double top = 0;

	for (size_t i = 0; i < n; i++) {
		if (!usable(k[i].run))
			continue;
		if (is_seq(k[i].run) && !seq)
			seq = &k[i];
		if (k[i].index == only)
			self = &k[i];
		if (!is_seq(k[i].run) && jsonb_num(k[i].run, "workers") > top)
			top = jsonb_num(k[i].run, "workers");
	}
	if (only >= 0) {
		/* the seq baseline, then one run of each other executor with the same workers */
		if (!self)
			return 0;
		if (seq && seq != self && set_push(s, cap, self->run, self->index, seq->run, seq->index))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			int dup = 0;
			if (&k[i] == self || &k[i] == seq || !usable(k[i].run) || is_seq(k[i].run) ||
			    jsonb_num(k[i].run, "workers") != jsonb_num(self->run, "workers") ||
			    strcmp(jsonb_str(k[i].run, "executor"), jsonb_str(self->run, "executor")) == 0)
				continue;
			for (size_t j = 0; j < i && !dup; j++)
				dup = usable(k[j].run) && !is_seq(k[j].run) &&
				      jsonb_num(k[j].run, "workers") == jsonb_num(self->run, "workers") &&
				      strcmp(jsonb_str(k[j].run, "executor"),
					     jsonb_str(k[i].run, "executor")) == 0;
			if (!dup && set_push(s, cap, self->run, self->index, k[i].run, k[i].index))
				return -ENOMEM;
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		double m;
		if (!usable(k[i].run) || is_seq(k[i].run) || jsonb_num(k[i].run, "workers") != top)
			continue;
		m = jsonb_num(k[i].run, "median_s");
		if (!best || m < jsonb_num(best->run, "median_s"))
			best = &k[i];
		if (!worst || m > jsonb_num(worst->run, "median_s"))
			worst = &k[i];
	}
	if (best && worst && best != worst)
		return set_push(s, cap, best->run, best->index, worst->run, worst->index);
	if (best && seq)            /* one executor ran there: against the baseline */
		return set_push(s, cap, best->run, best->index, seq->run, seq->index);
	return 0;
}

int explain_report(const cJSON *doc, long run, struct explain_set *out)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(doc, "runs"), *r;
	struct keyed *k, **firsts;
	size_t n = (size_t)cJSON_GetArraySize(runs), i = 0, ng = 0, cap = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (run >= (long)n)
		return -ERANGE;
	if (n == 0)
		return 0;
	k = calloc(n, sizeof(*k));
	firsts = calloc(n, sizeof(*firsts));
	if (!k || !firsts) {
		free(k);
		free(firsts);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(r, runs) {
		k[i] = (struct keyed){ report_group_key(r), (long)i, r };
		if (!k[i].key)
			rc = -ENOMEM;
		i++;
	}
	if (!rc) {
		/* sorted by key, each group's runs in document order; groups said in the order
		 * of their first run */
		qsort(k, n, sizeof(*k), cmp_keyed);
		for (i = 0; i < n; i++)
			if (i == 0 || strcmp(k[i].key, k[i - 1].key) != 0)
				firsts[ng++] = &k[i];
		qsort(firsts, ng, sizeof(*firsts), cmp_first_index);
		for (size_t g = 0; g < ng && !rc; g++) {
			size_t start = (size_t)(firsts[g] - k), end = start + 1;
			while (end < n && strcmp(k[end].key, k[start].key) == 0)
				end++;
			rc = explain_group(out, &cap, k + start, end - start, run);
		}
	}
	for (i = 0; i < n; i++)
		free(k[i].key);
	free(k);
	free(firsts);
	return rc;
}

void explain_set_free(struct explain_set *s)
{
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

/* ---- sentences ---- */

static void value_text(char *buf, size_t len, const struct explain_evidence *e, double v)
{
	const struct metric *m = &metrics[metric_index(e->name)];
	const char *prefix;
	double s;

	if (m->shown == SHOW_TIME) {
		cb_fmt_time(buf, len, v);
	} else if (m->shown == SHOW_RATIO) {
		cb_fmt(buf, len, "%.2f", v);
	} else if (v < 1e6) {
		cb_fmt(buf, len, v == floor(v) ? "%.0f" : "%.3g", v);
	} else {
		s = cb_si_scale(v, &prefix);
		cb_fmt(buf, len, "%.3g %s", s, prefix);
	}
}

/* "thread spent 4.8x the system time (12.0 ms against 2.50 ms)" */
static void evidence_text(char *buf, size_t len, const struct explain_finding *x,
			  const struct explain_evidence *e)
{
	const struct metric *m = &metrics[metric_index(e->name)];
	int b_more = e->b > e->a;
	char who[128], hi[32], lo[32];

	cb_sanitize(b_more ? x->executor_b : x->executor_a, who, sizeof(who));
	value_text(hi, sizeof(hi), e, b_more ? e->b : e->a);
	value_text(lo, sizeof(lo), e, b_more ? e->a : e->b);
	if (isfinite(e->ratio))
		cb_fmt(buf, len, "%s %s %.1fx the %s (%s against %s)", who, m->verb, e->ratio, m->what,
		       hi, lo);
	else
		cb_fmt(buf, len, "%s %s more %s (%s against none)", who, m->verb, m->what, hi);
	if (strcmp(e->name, "startup_s") == 0)
		cb_append(buf, len, ", before the samples");
}

void explain_sentence(const struct explain_finding *x, char *buf, size_t len)
{
	char ea[128], eb[128], part[320], hi[32], lo[32];
	const char *families[EXPLAIN_MAX_EVIDENCE];
	size_t shown = 0;

	cb_sanitize(x->executor_a, ea, sizeof(ea));
	cb_sanitize(x->executor_b, eb, sizeof(eb));
	cb_sanitize(x->group, part, sizeof(part));
	if (x->workers_a == x->workers_b) {
		cb_fmt(buf, len, "%s, %u worker%s: %s ", part, x->workers_a,
		       x->workers_a == 1 ? "" : "s", ea);
	} else {      /* against the seq baseline: each with its workers */
		cb_fmt(buf, len, "%s: %s (%u worker%s) ", part, ea, x->workers_a,
		       x->workers_a == 1 ? "" : "s");
		cb_append(eb, sizeof(eb), " (%u worker%s)", x->workers_b, x->workers_b == 1 ? "" : "s");
	}
	if (x->ratio - 1 < EXPLAIN_WITHIN)
		cb_fmt(part, sizeof(part), "and %s within %.0f%%", eb,
		       fmax(1, ceil(100 * (x->ratio - 1))));
	else
		cb_fmt(part, sizeof(part), "%.2fx faster than %s", x->ratio, eb);
	cb_append(buf, len, "%s%s", part, x->overlap ? " (their 95% intervals overlap)" : "");
	/* the three largest of different families, and whatever a clause rests on */
	for (size_t i = 0; i < x->nevidence; i++) {
		const char *fam = metrics[metric_index(x->evidence[i].name)].family;
		int seen = 0;
		for (size_t j = 0; j < shown; j++)
			seen |= strcmp(families[j], fam) == 0;
		if (!cited(x, x->evidence[i].name) && (seen || shown >= EXPLAIN_SHOWN))
			continue;
		families[shown++] = fam;
		evidence_text(part, sizeof(part), x, &x->evidence[i]);
		cb_append(buf, len, "%s%s", shown == 1 ? "; " : ", ", part);
		if (x->same.name && x->same_after == i) {
			value_text(hi, sizeof(hi), &x->same, x->same.b);
			value_text(lo, sizeof(lo), &x->same, x->same.a);
			cb_append(buf, len, " with the same %s (%s against %s)", x->same.what, hi, lo);
		}
	}
	if (!shown)
		cb_append(buf, len, ": no measurement differs by more than %.1fx", EXPLAIN_MIN_RATIO);
	for (size_t i = 0; i < x->nclauses; i++)
		cb_append(buf, len, "%s%s", i ? "; " : " (", x->clauses[i]);
	cb_append(buf, len, "%s", x->nclauses ? ")" : "");
}

int explain_why(FILE *f, const cJSON *doc, const cJSON *group_run)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(doc, "runs");
	char *key = report_group_key(group_run), line[4096];
	struct explain_set s;
	int rc = key ? explain_report(doc, -1, &s) : -ENOMEM, shown = 0;

	for (size_t i = 0; !rc && i < s.n; i++) {
		char *k = report_group_key(cJSON_GetArrayItem(runs, (int)s.items[i].run_a));
		if (k && strcmp(k, key) == 0) {
			explain_sentence(&s.items[i], line, sizeof(line));
			fprintf(f, "%s    %s\n", shown++ ? "" : "  why:\n", line);
		}
		free(k);
	}
	if (shown)
		fprintf(f, "\n");
	if (key && !rc)
		explain_set_free(&s);
	free(key);
	return rc;
}

void explain_print(FILE *f, const struct explain_set *s, const char *indent)
{
	char line[4096];
	for (size_t i = 0; i < s->n; i++) {
		explain_sentence(&s->items[i], line, sizeof(line));
		fprintf(f, "%s%s\n", indent, line);
	}
}

static cJSON *evidence_json(struct jsonb *b, const struct explain_evidence *e)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_str(b, o, "name", e->name);
	jsonb_add_str(b, o, "what", e->what);
	jsonb_add_num(b, o, "a", e->a);
	jsonb_add_num(b, o, "b", e->b);
	jsonb_add_num(b, o, "ratio", e->ratio);
	return o;
}

cJSON *explain_json(const struct explain_set *s)
{
	struct jsonb b = { 0 };
	cJSON *arr = jsonb_chk(&b, cJSON_CreateArray());
	char line[4096];

	for (size_t i = 0; i < s->n && arr; i++) {
		const struct explain_finding *x = &s->items[i];
		cJSON *o = jsonb_chk(&b, cJSON_CreateObject()), *ev, *cl;
		jsonb_push(&b, arr, o);
		jsonb_add_str(&b, o, "group", x->group);
		jsonb_add_num(&b, o, "run_a", (double)x->run_a);
		jsonb_add_num(&b, o, "run_b", (double)x->run_b);
		jsonb_add_str(&b, o, "executor_a", x->executor_a);
		jsonb_add_str(&b, o, "executor_b", x->executor_b);
		jsonb_add_num(&b, o, "workers_a", x->workers_a);
		jsonb_add_num(&b, o, "workers_b", x->workers_b);
		jsonb_add_num(&b, o, "median_a_s", x->median_a);
		jsonb_add_num(&b, o, "median_b_s", x->median_b);
		jsonb_add_num(&b, o, "ratio", x->ratio);
		jsonb_add_bool(&b, o, "intervals_overlap", x->overlap);
		ev = jsonb_chk(&b, cJSON_CreateArray());
		jsonb_item(&b, o, "evidence", ev);
		for (size_t j = 0; j < x->nevidence; j++)
			jsonb_push(&b, ev, evidence_json(&b, &x->evidence[j]));
		jsonb_item(&b, o, "same", x->same.name ? evidence_json(&b, &x->same) :
			   jsonb_chk(&b, cJSON_CreateNull()));
		cl = jsonb_chk(&b, cJSON_CreateArray());
		jsonb_item(&b, o, "clauses", cl);
		for (size_t j = 0; j < x->nclauses; j++)
			jsonb_push(&b, cl, jsonb_chk(&b, cJSON_CreateString(x->clauses[j])));
		explain_sentence(x, line, sizeof(line));
		jsonb_add_str(&b, o, "text", line);
	}
	return jsonb_finish(&b, arr);
}
