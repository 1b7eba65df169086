/* SPDX-License-Identifier: MIT */
/* spawn: the cost to create and reap one worker, by how it is made and by how much resident
 * memory the parent holds (fork copies the page tables of all of it; a thread, vfork and
 * posix_spawn copy none), and the pool start-up per worker that every executor measures.
 *
 * For each --rss size in turn the memory is mapped and every page written, then every
 * mechanism is measured, and the memory is unmapped before the next size. The timing is
 * measure/spawn.c's. */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#define SPAWN_SCHEMA "concbench-spawn/1"
#define SPAWN_MAX_RSS 8
#define SPAWN_MAX_MECH 12
#define SPAWN_POOL_SIZE 1000    /* the cpu workload's --size for the pools: start-up only */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/options.h"
#include "cmd/spawn_opts.h"
#include "core/cell.h"
#include "core/registry.h"
#include "measure/spawn.h"
#include "measure/stats.h"
#include "report/report.h"
#include "topo/topo.h"

/* One way of making a worker: a spawn_mech, or an executor's pool (ex set). */
struct mech {
	const char *name;
	enum spawn_mech m;
	const struct executor *ex;
};

/* One (mechanism, rss) result. */
struct cell {
	double *samples;                /* reps of them, in spawn_run.samples */
	unsigned n;
	struct stats_summary st;
	double ratio;                   /* median over pthread_create+join's at this rss */
};

struct spawn_run {
	struct mech mech[SPAWN_MAX_MECH];
	unsigned nmech;
	uint64_t rss[SPAWN_MAX_RSS];
	size_t resident[SPAWN_MAX_RSS];
	unsigned nrss;
	struct cell *cells;             /* [rss][mech] */
	double *samples;                /* reps per cell, the cells' samples point into it */
	char helper[PATH_MAX];
	/* fork+wait at the largest rss over fork+wait at the smallest: NAN with one size. */
	double fork_ratio;
	unsigned rss_lo, rss_hi;        /* the indexes of those two sizes */
};

static void usage(void)
{
	printf("usage: concbench spawn [--rss LIST] [-r R] [-w N] [--format table|json] "
	       "[--output FILE]\n\n"
	       "The cost to create and reap one worker that does nothing: pthread_create+join,\n"
	       "fork+wait, vfork+exec+wait and posix_spawn+wait of concbench itself in a no-op\n"
	       "mode, while the parent holds --rss of written memory (fork copies its page\n"
	       "tables); and each executor's pool start-up of N workers divided by N. Medians\n"
	       "with their 95%% intervals, and each against pthread_create+join at that size.\n\n");
	opts_usage(&opt_spawn);
}

static uint64_t rss_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 2 : 0;
}

/* "0", "256 MiB", "1.5 GiB" */
static void fmt_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double x = (double)v;
	size_t u = 0;
	if (v == 0) {
		cb_fmt(buf, len, "0");
		return;
	}
	while (x >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		x /= 1024;
		u++;
	}
	cb_fmt(buf, len, "%.4g %s", x, units[u]);
}

/* --rss: up to SPAWN_MAX_RSS different sizes, each at most half of this machine's memory. */
static int rss_parse(const char *arg, struct spawn_run *r)
{
	uint64_t limit = rss_limit();
	char buf[256], shown[96], lim[32];
	char *save = NULL, *tok;
	int bad = strlen(arg) >= sizeof(buf) || arg[0] == 0 || arg[strlen(arg) - 1] == ',' ||
		  strstr(arg, ",,") != NULL || arg[0] == ',';

	r->nrss = 0;
	if (!bad) {
		cb_fmt(buf, sizeof(buf), "%s", arg);
		for (tok = strtok_r(buf, ",", &save); tok && !bad;
		     tok = strtok_r(NULL, ",", &save)) {
			uint64_t v;
			if (parse_size(tok, 1, &v) < 0 || v > limit || r->nrss == SPAWN_MAX_RSS) {
				bad = 1;
				break;
			}
			for (unsigned i = 0; i < r->nrss; i++)
				bad |= r->rss[i] == v;
			r->rss[r->nrss++] = v;
		}
	}
	if (!bad)
		return 0;
	fmt_bytes(lim, sizeof(lim), limit);
	cb_sanitize(arg, shown, sizeof(shown));
	cb_error("--rss: expected a comma list of up to %d different sizes from 0 to %s (half of "
		 "this machine's memory) with an optional K, M or G suffix, such as 0,256M,1G, "
		 "got '%s'", SPAWN_MAX_RSS, lim, shown);
	return -EINVAL;
}

static void mechs_init(struct spawn_run *r)
{
	for (unsigned m = 0; m < SPAWN_NMECH; m++)
		r->mech[r->nmech++] = (struct mech){ spawn_mech_name(m), m, NULL };
	for (size_t i = 0; i < cb_nexecutors && r->nmech < SPAWN_MAX_MECH; i++)
		if (!(cb_executors[i]->flags & (EX_SINGLE_WORKER | EX_NAMED_ONLY | EX_LAUNCHED)))
			r->mech[r->nmech++] = (struct mech){ cb_executors[i]->name, SPAWN_NMECH,
							     cb_executors[i] };
}

static struct cell *cell_at(const struct spawn_run *r, unsigned s, unsigned m)
{
	return &r->cells[s * r->nmech + m];
}

/* Where the samples of (s, m) go: reps of them. */
static double *cell_samples(const struct spawn_run *r, unsigned s, unsigned m, unsigned reps)
{
	return r->samples + ((size_t)s * r->nmech + m) * reps;
}

/* Every mechanism at rss index s in turn: its warm-ups, then its reps samples. One after
 * the other, not interleaved: a thread made just after a forked child's 1 GiB of page
 * tables was torn down took several times as long, which is the fork's cost, not its own. */
static int measure_rss(const struct spawn_opts *o, struct spawn_run *r, unsigned s,
		       const struct wl_inst *w, struct cb_err *e)
{
	struct spawn_rss hold;
	int rc = spawn_rss_hold(&hold, r->rss[s], e);
	if (rc < 0)
		return rc;
	r->resident[s] = hold.resident;
	for (unsigned m = 0; m < r->nmech && rc == 0; m++)
		for (unsigned rep = 0; rep < o->warmup + o->reps && rc == 0; rep++) {
			struct cell *c = cell_at(r, s, m);
			double t = 0;
			rc = r->mech[m].ex ? spawn_pool_once(r->mech[m].ex, w, &t, e)
					   : spawn_once(r->mech[m].m, r->helper, &t, e);
			if (rc == 0 && rep >= o->warmup) {
				c->samples = cell_samples(r, s, m, o->reps);
				c->samples[c->n++] = t;
			}
		}
	spawn_rss_release(&hold);
	return rc;
}

static int measure_all(const struct spawn_opts *o, struct spawn_run *r, struct cb_err *e)
{
	const struct workload *wl = workload_find("cpu");
	struct wl_params p = { .size = SPAWN_POOL_SIZE };
	struct machine mach;
	struct wl_inst w;
	int rc = 0;

	topo_machine(&mach);
	if (!wl || cell_inst_init(&w, wl, &p, o->workers, 1, &mach) < 0) {
		cb_err_set(e, -EINVAL, "cannot set up the pools' workload");
		return -EINVAL;
	}
	for (unsigned s = 0; s < r->nrss && rc == 0; s++)
		rc = measure_rss(o, r, s, &w, e);
	cell_inst_fini(&w);
	if (rc < 0)
		return rc;
	r->rss_lo = r->rss_hi = 0;
	for (unsigned s = 0; s < r->nrss; s++) {
		r->rss_lo = r->rss[s] < r->rss[r->rss_lo] ? s : r->rss_lo;
		r->rss_hi = r->rss[s] > r->rss[r->rss_hi] ? s : r->rss_hi;
		for (unsigned m = 0; m < r->nmech; m++)
			stats_summarize(cell_at(r, s, m)->samples, cell_at(r, s, m)->n,
					&cell_at(r, s, m)->st);
		for (unsigned m = 0; m < r->nmech; m++)
			cell_at(r, s, m)->ratio = cell_at(r, s, m)->st.median /
						  cell_at(r, s, SPAWN_THREAD)->st.median;
	}
	r->fork_ratio = r->nrss < 2 ? NAN : cell_at(r, r->rss_hi, SPAWN_FORK)->st.median /
					    cell_at(r, r->rss_lo, SPAWN_FORK)->st.median;
	return 0;
}

/* The done-criterion's sentence: how fork's cost grows with the parent's memory. */
static void summary_text(const struct spawn_run *r, char *buf, size_t len)
{
	char lo[32], hi[32], tlo[32], thi[32];
	if (r->nrss < 2) {
		cb_fmt(buf, len, "fork+wait was measured at one --rss size only: give two or more "
			 "to see it grow");
		return;
	}
	fmt_bytes(lo, sizeof(lo), r->rss[r->rss_lo]);
	fmt_bytes(hi, sizeof(hi), r->rss[r->rss_hi]);
	cb_fmt_time(tlo, sizeof(tlo), cell_at(r, r->rss_lo, SPAWN_FORK)->st.median);
	cb_fmt_time(thi, sizeof(thi), cell_at(r, r->rss_hi, SPAWN_FORK)->st.median);
	cb_fmt(buf, len, "fork+wait with %s resident costs %.3gx as much as with %s (%s against "
		 "%s)", hi, r->fork_ratio, lo, thi, tlo);
}

static cJSON *spawn_json(struct jsonb *b, const struct spawn_opts *o, const struct spawn_run *r)
{
	cJSON *doc = jsonb_chk(b, cJSON_CreateObject()), *arr, *sum;
	char text[300];

	jsonb_add_str(b, doc, "schema", SPAWN_SCHEMA);
	jsonb_add_str(b, doc, "helper", r->helper);
	jsonb_add_num(b, doc, "repetitions", o->reps);
	jsonb_add_num(b, doc, "warmup", o->warmup);
	jsonb_add_num(b, doc, "pool_workers", o->workers);
	jsonb_add_num(b, doc, "page_size", (double)sysconf(_SC_PAGESIZE));
	arr = jsonb_chk(b, cJSON_CreateArray());
	for (unsigned s = 0; s < r->nrss; s++)
		jsonb_push(b, arr, jsonb_number((double)r->rss[s]));
	jsonb_item(b, doc, "rss_bytes", arr);
	arr = jsonb_chk(b, cJSON_CreateArray());
	for (unsigned s = 0; s < r->nrss; s++)
		for (unsigned m = 0; m < r->nmech; m++) {
			const struct cell *c = cell_at(r, s, m);
			cJSON *j = jsonb_chk(b, cJSON_CreateObject());
			double ci[2] = { c->st.ci_lo, c->st.ci_hi };
			jsonb_add_str(b, j, "mechanism", r->mech[m].name);
			jsonb_add_str(b, j, "kind", r->mech[m].ex ? "pool start-up per worker"
								   : "create and reap");
			jsonb_add_num(b, j, "rss_bytes", (double)r->rss[s]);
			jsonb_add_num(b, j, "resident_bytes", (double)r->resident[s]);
			jsonb_add_num(b, j, "median_s", c->st.median);
			/* -r is 6 at least: every median has its interval (null otherwise). */
			jsonb_item(b, j, "ci95_s", c->st.has_ci ? jsonb_num_array(b, ci, 2)
							       : jsonb_chk(b, cJSON_CreateNull()));
			jsonb_add_num(b, j, "ci95_level", c->st.has_ci ? c->st.ci_level : NAN);
			jsonb_add_num(b, j, "ratio_to_thread", c->ratio);
			jsonb_item(b, j, "samples_s", jsonb_num_array(b, c->samples, c->n));
			jsonb_push(b, arr, j);
		}
	jsonb_item(b, doc, "results", arr);
	sum = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_str(b, sum, "mechanism", spawn_mech_name(SPAWN_FORK));
	jsonb_add_num(b, sum, "from_rss_bytes", r->nrss < 2 ? NAN : (double)r->rss[r->rss_lo]);
	jsonb_add_num(b, sum, "to_rss_bytes", r->nrss < 2 ? NAN : (double)r->rss[r->rss_hi]);
	jsonb_add_num(b, sum, "ratio", r->fork_ratio);
	summary_text(r, text, sizeof(text));
	jsonb_add_str(b, sum, "text", text);
	jsonb_item(b, doc, "fork_growth", sum);
	return doc;
}

static void print_table(const struct spawn_opts *o, const struct spawn_run *r)
{
	char text[300];
	printf("create and reap one worker: median of %u with its 95%% interval; pools: start-up "
	       "of %u worker%s / %u\n\n", o->reps, o->workers, o->workers == 1 ? "" : "s",
	       o->workers);
	printf("%-10s %-20s %10s  %-23s %10s\n", "rss", "mechanism", "median", "95% interval",
	       "x thread");
	for (unsigned s = 0; s < r->nrss; s++) {
		char rss[32];
		fmt_bytes(rss, sizeof(rss), r->rss[s]);
		for (unsigned m = 0; m < r->nmech; m++) {
			const struct cell *c = cell_at(r, s, m);
			char name[40], med[24], lo[24], hi[24], ci[56];
			cb_fmt(name, sizeof(name), "%s%s", r->mech[m].ex ? "pool " : "",
			       r->mech[m].name);
			cb_fmt_time(med, sizeof(med), c->st.median);
			cb_fmt_time(lo, sizeof(lo), c->st.ci_lo);
			cb_fmt_time(hi, sizeof(hi), c->st.ci_hi);
			if (c->st.has_ci)
				cb_fmt(ci, sizeof(ci), "[%s, %s]", lo, hi);
			else
				cb_fmt(ci, sizeof(ci), "-");
			printf("%-10s %-20s %10s  %-23s %9.2fx\n", m == 0 ? rss : "", name, med, ci,
			       c->ratio);
		}
	}
	summary_text(r, text, sizeof(text));
	printf("\n%s\n", text);
}

/* The table, or the JSON document; --output writes the document atomically as well. */
static int spawn_output(const struct spawn_opts *o, const struct spawn_run *r)
{
	struct jsonb b = { 0 };
	int rc;

	if (!o->json && !o->output) {
		print_table(o, r);
		return 0;
	}
	rc = report_emit(jsonb_finish(&b, spawn_json(&b, o, r)), o->output, o->json) < 0 ?
		CB_EXIT_RUNFAIL : 0;
	if (rc == 0 && !o->json) {
		print_table(o, r);
		printf("report: %s\n", o->output);
	}
	return rc;
}

int cmd_spawn(int argc, char **argv)
{
	struct spawn_opts o;
	struct spawn_run r;
	struct cb_err e = { 0 };
	ssize_t n;
	int first, rc = 0;

	first = opts_parse(&opt_spawn, argc, argv, &o);
	if (first == 0)
		usage();
	if (first <= 0)          /* --help, or bad input (said) */
		return first < 0 ? CB_EXIT_USAGE : 0;
	memset(&r, 0, sizeof(r));
	if (rss_parse(o.rss ? o.rss : SPAWN_DEFAULT_RSS, &r) < 0)
		return CB_EXIT_USAGE;
	n = readlink("/proc/self/exe", r.helper, sizeof(r.helper) - 1);
	if (n <= 0) {
		cb_error("spawn: cannot find this program's path in /proc/self/exe: %s",
			 strerror(errno));
		return CB_EXIT_RUNFAIL;
	}
	r.helper[n] = 0;
	mechs_init(&r);
	r.cells = calloc((size_t)r.nrss * r.nmech, sizeof(*r.cells));
	r.samples = calloc((size_t)r.nrss * r.nmech * o.reps, sizeof(double));
	if (!r.cells || !r.samples) {
		cb_error("spawn: out of memory");
		rc = CB_EXIT_RUNFAIL;
	} else if (measure_all(&o, &r, &e) < 0) {
		cb_error("spawn: %s", e.msg);
		rc = CB_EXIT_RUNFAIL;
	} else {
		rc = spawn_output(&o, &r);
	}
	free(r.samples);
	free(r.cells);
	return rc;
}
