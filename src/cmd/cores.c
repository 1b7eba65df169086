/* SPDX-License-Identifier: MIT */
/* cores: one pinned worker on every PU in turn, and the core-to-core latency matrix.
 *
 * Both measure through the core, as every command does: a cell (cell_run) on a plan of its
 * own PUs, so that start-up, binding, warm-ups, timing by the workers themselves,
 * verification of every repetition, deadlines and the cleanup of hung or dead workers are
 * the executors' and the cell's, never this file's.
 *
 * Per PU: the workload is initialised once for one worker and each PU gets a one-worker
 * cell pinned there; each PU's checksum must equal the first PU's. Where the worker actually
 * ran (sched_getcpu() at its start and end) is checked against the PU.
 *
 * Latency pairs: a two-worker latency workload (pingpong or pipepong) on a plan of the two
 * PUs; one discarded batch warms the line and the caches; each batch is a repetition timed
 * by the initiator alone, and the median of the batches is reported. A pair whose workers
 * could not be bound or ran off their PUs is refused. Pairs are unordered: (a, b) is
 * measured once and shown in both cells. A pair of threads far faster than the pairs hwloc
 * places alike is reported as SMT-like (cores_smt_like_pairs). */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#define CORES_SCHEMA "concbench-cores/1"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hwloc.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/cores.h"
#include "cmd/cores_opts.h"
#include "cmd/options.h"
#include "core/cell.h"
#include "core/executor.h"
#include "core/registry.h"
#include "measure/run.h"
#include "measure/stats.h"
#include "report/report.h"
#include "topo/topo.h"
#include "topo/topoprint.h"

#define CORES_DEADLINE_NS (60LL * 1000000000LL)   /* per repetition on one PU */
#define LAT_THREAD_HANDOFFS 20000                  /* one-way handoffs per batch */
#define LAT_FORK_ROUNDTRIPS 2000                   /* pipe round trips per batch */
#define LAT_WARM_BATCHES 1
#define LAT_NUMERIC_MAX 16                         /* wider matrices are drawn one char a cell */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cb_error("%s", line);
	return CB_EXIT_USAGE;
}

static int write_doc(cJSON *doc, const struct cores_opts *o)
{
	return report_emit(doc, o->output, o->json) < 0 ? CB_EXIT_RUNFAIL : 0;
}

static cJSON *doc_head(struct jsonb *b, const char *mode)
{
	char hv[32];
	cJSON *doc = jsonb_chk(b, cJSON_CreateObject());
	topo_hwloc_version(hv, sizeof(hv));
	jsonb_add_str(b, doc, "schema", CORES_SCHEMA);
	jsonb_add_str(b, doc, "mode", mode);
	jsonb_add_str(b, doc, "topology", topo_source());
	jsonb_add_str(b, doc, "cpu_model", topo_cpu_model());
	jsonb_add_str(b, doc, "hwloc", hv);
	return doc;
}

/* ---- one worker on every PU ---- */

struct pu_res {
	struct topo_place pl;
	struct run_result r;   /* the PU's cell: samples, strayed, CPUs seen, checksum */
	double median;
	struct stats_summary st;   /* the median's 95% interval (st.has_ci: 6 samples or more) */
	int slower;            /* the interval lies wholly above the fastest PU's */
	int seen_other;        /* a CPU the worker was seen on instead, -1 if none */
};

/* cell_run names the cell it failed in ("cpu on thread with 1 worker: ..."); cores names it
 * by its PUs instead, so only the reason is kept. */
static const char *cell_reason(const struct cb_err *e, const struct run_result *r)
{
	char name[160];
	size_t n;
	run_result_name(name, sizeof(name), r);
	n = strlen(name);
	if (strncmp(e->msg, name, n) == 0 && strncmp(e->msg + n, ": ", 2) == 0)
		return e->msg + n + 2;
	return e->msg;
}

/* One cell on one PU: warm-ups, then reps verified samples of one worker pinned there. */
static int measure_pu(const struct cores_opts *o, const struct wl_inst *w, int pu,
		      struct pu_res *x, struct cb_err *e)
{
	struct cell_cfg c = { .pus = &pu, .warmup = o->warmup, .timeout_ns = CORES_DEADLINE_NS };
	int rc;

	x->r.wl = w->wl;
	x->r.p = w->p;
	x->r.ex = o->ex;
	x->r.workers = 1;
	x->r.scale = 1;
	x->seen_other = -1;
	rc = cell_run(&c, w, o->ex, &x->r, o->reps, e);
	if (rc < 0)
		return rc;
	x->median = stats_median(x->r.samples, x->r.nsamples);
	if (stats_summarize(x->r.samples, x->r.nsamples, &x->st) < 0)
		x->st.has_ci = 0;
	for (unsigned i = 0; i < x->r.ncpus; i++)
		if (x->r.cpus[i] != pu)
			x->seen_other = x->r.cpus[i];
	return 0;
}

static int cmp_group(const void *pa, const void *pb)
{
	const struct pu_res *a = pa, *b = pb;
	if (a->pl.kind != b->pl.kind)
		return a->pl.kind > b->pl.kind ? -1 : 1;   /* the most efficient kind first */
	if (a->pl.package != b->pl.package)
		return a->pl.package < b->pl.package ? -1 : 1;
	if (a->pl.numa != b->pl.numa)
		return a->pl.numa < b->pl.numa ? -1 : 1;
	return (a->pl.pu_index > b->pl.pu_index) - (a->pl.pu_index < b->pl.pu_index);
}

static void kind_label(char *buf, size_t len, int kind)
{
	hwloc_topology_t t = topo_hwloc();
	int eff = -1;
	unsigned ninfo = 0;
	struct hwloc_info_s *info = NULL;
	const char *type = NULL;
	if (t && hwloc_cpukinds_get_info(t, (unsigned)kind, NULL, &eff, &ninfo, &info, 0) == 0)
		for (unsigned i = 0; i < ninfo; i++)
			if (strcmp(info[i].name, "CoreType") == 0)
				type = info[i].value;
	cb_fmt(buf, len, "kind %d (%s%sefficiency %d)", kind, type ? type : "",
	       type ? ", " : "", eff);
}

/* A PU is slower than the fastest only when the 95% interval of its median lies wholly
 * above the fastest PU's: medians of a few repetitions on a busy machine swap places from
 * one run to the next, and a ranking on them would name a different PU each time. Marks
 * r[i].slower; returns how many are, or -1 when a PU has no interval (fewer than 6
 * repetitions) and nothing can be judged. */
static int judge_pus(struct pu_res *r, unsigned n, int fastest_pu)
{
	const struct pu_res *f = NULL;
	int slower = 0;

	for (unsigned i = 0; i < n; i++) {
		r[i].slower = 0;
		if (!r[i].st.has_ci)
			return -1;
		if (r[i].pl.pu == fastest_pu)
			f = &r[i];
	}
	if (!f)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (r[i].st.ci_lo > f->st.ci_hi) {
			r[i].slower = 1;
			slower++;
		}
	return slower;
}

/* The verdict, one sentence for the text and the JSON alike. */
static void verdict_text(char *buf, size_t len, const struct pu_res *r, unsigned n,
			 int nslower, int fastest_pu)
{
	if (nslower < 0) {
		cb_fmt(buf, len, "not judged: fewer than 6 repetitions give no 95%% interval of a "
		       "median (use --repetitions 6 or more)");
		return;
	}
	if (nslower == 0) {
		cb_fmt(buf, len, "no significant difference between PUs (every PU's 95%% interval "
		       "overlaps the fastest PU's)");
		return;
	}
	cb_fmt(buf, len, "PU%s", nslower > 1 ? "s" : "");
	for (unsigned i = 0, k = 0; i < n; i++)
		if (r[i].slower)
			cb_append(buf, len, "%s %d", k++ ? "," : "", r[i].pl.pu);
	cb_append(buf, len, " slower than PU %d (95%% intervals do not overlap)", fastest_pu);
}

static void print_pus(const struct cores_opts *o, const struct wl_inst *w, struct pu_res *r,
		      unsigned n, double fastest, int kinds)
{
	char key[160] = "", prev[160] = "", unit[64];

	cb_fmt(unit, sizeof(unit), "%s/s", w->unit ? w->unit : "items");
	printf("%s on %s: one worker pinned on each PU in turn; median of %u repetition%s after "
	       "%u warm-up%s\n", w->wl->name, o->ex->name, o->reps, o->reps == 1 ? "" : "s",
	       o->warmup, o->warmup == 1 ? "" : "s");
	if (w->p.size)
		printf("size %llu, ", (unsigned long long)w->p.size);
	printf("%zu tasks; 'vs fastest' is the median time over the fastest PU's\n", w->ntasks);
	for (unsigned i = 0; i < n; i++) {
		const struct pu_res *x = &r[i];
		char t[32], rate[48], ci[64] = "  -", lo[32], hi[32], part[3][80] = { "", "", "" };
		if (kinds && x->pl.kind >= 0)
			kind_label(part[0], sizeof(part[0]), x->pl.kind);
		if (x->pl.package >= 0)
			cb_fmt(part[1], sizeof(part[1]), "package %d", x->pl.package);
		if (x->pl.numa >= 0)
			cb_fmt(part[2], sizeof(part[2]), "NUMA node %d", x->pl.numa);
		cb_fmt(key, sizeof(key), "%s%s%s%s%s", part[0], part[0][0] && part[1][0] ? ", " : "",
		       part[1], (part[0][0] || part[1][0]) && part[2][0] ? ", " : "", part[2]);
		if (i == 0 || strcmp(key, prev) != 0) {
			printf("\n%s\n", key[0] ? key : "all PUs");
			printf("  %5s %5s %12s %-25s %11s  %s\n", "PU", "core", "median",
			       "  95% interval", "vs fastest", "throughput");
			memcpy(prev, key, sizeof(prev));
		}
		cb_fmt_time(t, sizeof(t), x->median);
		if (x->st.has_ci) {
			cb_fmt_time(lo, sizeof(lo), x->st.ci_lo);
			cb_fmt_time(hi, sizeof(hi), x->st.ci_hi);
			cb_fmt(ci, sizeof(ci), "  [%s, %s]", lo, hi);
		}
		cb_fmt_rate(rate, sizeof(rate), x->median > 0 ? (double)w->items / x->median : NAN,
			    unit);
		printf("  %5d %5d %12s %-25s %11.3f  %s", x->pl.pu, x->pl.core, t, ci,
		       fastest > 0 ? x->median / fastest : NAN, rate);
		if (x->slower)
			printf(" (slower)");
		if (x->r.strayed)
			printf(" (ran on CPU %d in %u repetition%s)", x->seen_other, x->r.strayed,
			       x->r.strayed == 1 ? "" : "s");
		printf("\n");
	}
}

static cJSON *pus_json(struct jsonb *b, const struct cores_opts *o, const struct wl_inst *w,
		       const struct pu_res *r, unsigned n, double fastest, int fastest_pu,
		       int nslower, const char *verdict)
{
	cJSON *doc = doc_head(b, "pu"), *p, *arr;
	jsonb_add_str(b, doc, "workload", w->wl->name);
	p = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_num(b, p, "size", (double)w->p.size);
	jsonb_add_num(b, p, "tasks", (double)w->ntasks);
	for (size_t j = 0; j < w->wl->noptions; j++) {
		const struct wl_option *wo = &w->wl->options[j];
		if (wo->kind == WLO_CHOICE)
			jsonb_add_str(b, p, wo->name, wo->choices[w->p.opt[j]]);
		else
			jsonb_add_num(b, p, wo->name, (double)w->p.opt[j] * 1e-9);
	}
	jsonb_item(b, doc, "params", p);
	jsonb_add_str(b, doc, "executor", o->ex->name);
	jsonb_add_num(b, doc, "repetitions", o->reps);
	jsonb_add_num(b, doc, "warmup", o->warmup);
	jsonb_add_str(b, doc, "unit", w->unit);
	jsonb_add_num(b, doc, "items", (double)w->items);
	jsonb_add_index(b, doc, "fastest_pu", fastest_pu);
	jsonb_add_str(b, doc, "verdict", verdict);
	if (nslower < 0)
		jsonb_add_null(b, doc, "pus_differ");
	else
		jsonb_add_bool(b, doc, "pus_differ", nslower > 0);
	arr = jsonb_chk(b, cJSON_CreateArray());
	for (unsigned i = 0; arr && i < n; i++)
		if (r[i].slower)
			jsonb_push(b, arr, jsonb_chk(b, cJSON_CreateNumber(r[i].pl.pu)));
	jsonb_item(b, doc, "slower_pus", arr);
	arr = jsonb_chk(b, cJSON_CreateArray());
	for (unsigned i = 0; arr && i < n; i++) {
		const struct pu_res *x = &r[i];
		cJSON *j = jsonb_chk(b, cJSON_CreateObject());
		jsonb_add_index(b, j, "pu_os_index", x->pl.pu);
		jsonb_add_index(b, j, "core", x->pl.core);
		jsonb_add_index(b, j, "package", x->pl.package);
		jsonb_add_index(b, j, "numa", x->pl.numa);
		jsonb_add_index(b, j, "kind", x->pl.kind);
		jsonb_add_num(b, j, "median_s", x->median);
		report_add_ci95(b, j, &x->st);
		jsonb_add_bool(b, j, "slower", x->slower);
		jsonb_add_num(b, j, "ratio_to_fastest", fastest > 0 ? x->median / fastest : NAN);
		jsonb_add_num(b, j, "throughput",
			      x->median > 0 ? (double)w->items / x->median : NAN);
		jsonb_item(b, j, "samples_s", jsonb_num_array(b, x->r.samples, x->r.nsamples));
		jsonb_add_num(b, j, "off_pu_repetitions", x->r.strayed);
		jsonb_add_bool(b, j, "verified", 1);
		jsonb_push(b, arr, j);
	}
	jsonb_item(b, doc, "pus", arr);
	return doc;
}

static int run_per_pu(const struct cores_opts *o, const int *pus, unsigned npu)
{
	struct pu_res *r = npu ? calloc(npu, sizeof(*r)) : NULL;
	struct wl_inst w;
	struct machine m;
	struct cb_err e = { 0 };
	double fastest = INFINITY;
	int fastest_pu = -1, rc = 0, kinds, init = 0, bad, tty = isatty(2) && !o->json, nslower;
	char verdict[1024];

	if (!r) {
		cb_error("out of memory");
		return CB_EXIT_RUNFAIL;
	}
	topo_machine(&m);
	/* Once for every PU: each cell then checks its checksum against the first PU's. */
	if (cell_inst_init(&w, o->wl, &o->params, 1, 1, &m) < 0) {
		rc = CB_EXIT_USAGE;
		goto out;
	}
	init = 1;
	for (unsigned i = 0; i < npu; i++) {
		if (tty)
			fprintf(stderr, "\r\033[K[%u/%u] %s on PU %d", i + 1, npu, o->wl->name, pus[i]);
		topo_pu_place(pus[i], &r[i].pl);
		memset(&e, 0, sizeof(e));
		bad = measure_pu(o, &w, pus[i], &r[i], &e) < 0;
		if (!bad && i && r[i].r.checksum != r[0].r.checksum) {
			cb_err_set(&e, -EBADMSG, "verification failed: checksum %016llx differs from "
				   "the first PU's %016llx", (unsigned long long)r[i].r.checksum,
				   (unsigned long long)r[0].r.checksum);
			bad = 1;
		}
		if (bad) {
			if (tty)
				fprintf(stderr, "\r\033[K");
			cb_error("%s on %s pinned on PU %d: %s", o->wl->name, o->ex->name, pus[i],
				 cell_reason(&e, &r[i].r));
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
		if (r[i].median < fastest) {
			fastest = r[i].median;
			fastest_pu = pus[i];
		}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	kinds = hwloc_cpukinds_get_nr(topo_hwloc(), 0) > 1;
	nslower = judge_pus(r, npu, fastest_pu);
	verdict_text(verdict, sizeof(verdict), r, npu, nslower, fastest_pu);
	for (unsigned i = 0; i < npu; i++)
		if (r[i].r.strayed)
			cb_warn("PU %d: the worker was seen on CPU %d in %u of %u repetitions; the "
				"binding did not hold", r[i].pl.pu, r[i].seen_other, r[i].r.strayed,
				o->reps);
	if (o->json || o->output) {
		struct jsonb b = { 0 };
		cJSON *doc = pus_json(&b, o, &w, r, npu, fastest, fastest_pu, nslower, verdict);
		rc = write_doc(jsonb_finish(&b, doc), o);
	}
	if (!o->json && !rc) {
		qsort(r, npu, sizeof(*r), cmp_group);
		print_pus(o, &w, r, npu, fastest, kinds);
		{
			double slow = 0;
			int slow_pu = -1, slow_sig = 0;
			char ft[32];
			for (unsigned i = 0; i < npu; i++)
				if (r[i].median > slow) {
					slow = r[i].median;
					slow_pu = r[i].pl.pu;
					slow_sig = r[i].slower;
				}
			cb_fmt_time(ft, sizeof(ft), fastest);
			/* "slower" only where the intervals say so; else how far the medians lie */
			printf("\nfastest: PU %d (%s); %s: PU %d, %.1f%% %s\n", fastest_pu, ft,
			       slow_sig ? "slowest" : "slowest median", slow_pu,
			       fastest > 0 ? 100 * (slow / fastest - 1) : 0.0,
			       slow_sig ? "slower (95% intervals do not overlap)" :
			       nslower < 0 ? "above the fastest's (no intervals to judge by)" :
			       "above the fastest's, within the 95% intervals");
			printf("verdict: %s\n", verdict);
		}
		if (o->output)
			printf("report: %s\n", o->output);
	}
out:
	if (init)
		cell_inst_fini(&w);
	for (unsigned i = 0; i < npu; i++)
		run_result_free(&r[i].r);
	free(r);
	return rc;
}

/* ---- latency: one pair ---- */

/* The pair's instrument: a cache line handed back and forth where the executor's workers
 * share their data region (threads), else a pipe message (processes that each have their
 * own memory). Both are workloads (src/workloads/pingpong.c) that cell_run runs like any
 * other; the executor binds, times and stops the pair and notices a partner that hangs or
 * dies. */
static const struct workload *lat_workload(const struct cores_opts *o)
{
	return o->ex->flags & EX_SHARED_DATA ? &workload_pingpong : &workload_pipepong;
}

static int lat_is_pipe(const struct cores_opts *o)
{
	return lat_workload(o) == &workload_pipepong;
}

/* A batch (one repetition) may take LAT_BATCH_FLOOR_NS plus LAT_HANDOFF_NS a handoff or
 * round trip: 1 ms against tens of nanoseconds for a cache line and tens of microseconds
 * for a pipe message on a VM, room for a busy machine, and a hung partner is still
 * reported within seconds when the batches are short. */
#define LAT_BATCH_FLOOR_NS (5LL * 1000000000LL)
#define LAT_HANDOFF_NS 1000000LL

/* One pair: a cell of two workers, worker 0 (the initiator) pinned on a and worker 1 (the
 * responder) on b, with one repetition per batch. Each batch is timed by the initiator alone
 * (its own start and end); ns[0..batches) gets one handoff (or round trip) of each. */
static int lat_pair(const struct cores_opts *o, const struct wl_inst *w, int a, int b,
		    double *ns, char *why, size_t len)
{
	int pus[2] = { a, b };
	struct cell_cfg c = { .pus = pus, .warmup = LAT_WARM_BATCHES,
			      .timeout_ns = LAT_BATCH_FLOOR_NS + (int64_t)o->handoffs * LAT_HANDOFF_NS };
	struct run_result r = { .wl = w->wl, .p = w->p, .ex = o->ex, .workers = 2, .scale = 1 };
	struct cb_err e = { 0 };
	int rc = cell_run(&c, w, o->ex, &r, o->batches, &e);

	if (rc < 0) {
		cb_fmt(why, len, "%s", cell_reason(&e, &r));
	} else if (r.binding_error) {
		cb_fmt(why, len, "%s", r.binding_error);
		rc = -EXDEV;
	} else if (r.strayed) {
		cb_fmt(why, len, "a worker was seen off its PU in %u of %u batches; the binding did "
		       "not hold", r.strayed, r.nsamples);
		rc = -EXDEV;
	} else {
		for (unsigned i = 0; i < o->batches; i++)
			ns[i] = r.worker_s[(size_t)i * 2] * 1e9 / o->handoffs;
	}
	run_result_free(&r);
	return rc;
}

/* ---- latency: the matrix ---- */

/* Hidden SMT. Two hardware threads of one core hand a line over inside the core's own
 * caches; two cores go through a shared cache or the interconnect. On a VM hwloc may say
 * "no SMT" of vCPUs that share a physical core, and only the matrix shows them: on a
 * 16-vCPU VM such pairs took 20 ns among pairs at 65-95 ns, a ratio of 0.2-0.3 to the
 * median, while ordinary pairs stayed within 0.8-1.2 of it. Half the median lies well
 * clear of both: a sibling would have to be twice as slow, or an ordinary pair twice as fast
 * as its peers, to land on the wrong side.
 *
 * A pair is compared with the pairs hwloc places alike (the same closest shared level),
 * not with all of them: on a machine of several packages or L3 domains the cross-domain
 * pairs are the majority and 2-4x slower, and against their median every pair inside one
 * L3 would look like SMT. Where hwloc shows one level for every pair, as on most VMs, the
 * level's median is the median of all pairs. Pairs hwloc puts on one core are expected to
 * be fast and are not reported. Only the cache-line handoff (threads) is judged: a pipe
 * round trip (processes) is mostly the wake-up of the other side, which says nothing of
 * whether two PUs share a core. */
int cores_smt_like_pairs(const struct lat_pair *p, size_t n, struct smt_like *out,
			 size_t *nout)
{
	double *ref = malloc((n ? n : 1) * sizeof(*ref));
	double *v = malloc((n ? n : 1) * sizeof(*v));

	*nout = 0;
	if (!ref || !v) {
		free(ref);
		free(v);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		ref[k] = NAN;
	/* One median per level, gathered from its first pair on: a few levels, n pairs each. */
	for (size_t k = 0; k < n; k++) {
		size_t cnt = 0;
		double med;
		if (!isnan(ref[k]))
			continue;
		for (size_t q = k; q < n; q++)
			if (strcmp(p[q].level, p[k].level) == 0)
				v[cnt++] = p[q].median;
		med = stats_median(v, cnt);
		for (size_t q = k; q < n; q++)
			if (strcmp(p[q].level, p[k].level) == 0)
				ref[q] = med;
	}
	for (size_t k = 0; k < n; k++)
		if (!p[k].same_core && isfinite(ref[k]) && p[k].median < LAT_SMT_RATIO * ref[k]) {
			out[*nout].pair = k;
			out[*nout].median_ns = ref[k];
			(*nout)++;
		}
	free(ref);
	free(v);
	return 0;
}

/* The latency output's one unit: ns, or us where the slowest pair reaches 10 us (pipe
 * round trips between processes), so that matrix, summary and SMT lines read alike. */
struct lat_unit {
	const char *name;
	double per_ns;
};

static struct lat_unit lat_unit_for(double hi_ns)
{
	return hi_ns >= 1e4 ? (struct lat_unit){ "us", 1e-3 } : (struct lat_unit){ "ns", 1 };
}

static void smt_text_in(char *buf, size_t len, const struct lat_pair *pairs, const int *pus,
			const struct smt_like *s, struct lat_unit u)
{
	const struct lat_pair *p = &pairs[s->pair];
	cb_fmt(buf, len, "PUs %d and %d behave like SMT siblings (%.1f %s against a median of "
	       "%.1f %s for pairs sharing %s); hwloc places them on different cores", pus[p->a],
	       pus[p->b], p->median * u.per_ns, u.name, s->median_ns * u.per_ns, u.name, p->level);
}

void cores_smt_text(char *buf, size_t len, const struct lat_pair *pairs, const int *pus,
		    const struct smt_like *s)
{
	smt_text_in(buf, len, pairs, pus, s, (struct lat_unit){ "ns", 1 });
}

static int same_core(int pa, int pb)
{
	struct topo_place a, b;
	return topo_pu_place(pa, &a) == 0 && topo_pu_place(pb, &b) == 0 && a.core >= 0 &&
	       a.core == b.core;
}

static int use_color(void)
{
	const char *term = getenv("TERM");
	return isatty(1) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0;
}

/* Green (fast) to red (slow) on the 256-colour cube. */
static int heat_color(double v, double lo, double hi)
{
	static const int ramp[] = { 46, 82, 118, 154, 190, 226, 220, 214, 208, 202, 196 };
	const int steps = (int)ARRAY_SIZE(ramp);
	double f = hi > lo ? (v - lo) / (hi - lo) : 0;
	int i = (int)lround(f * (steps - 1));
	if (i < 0)
		i = 0;
	if (i >= steps)
		i = steps - 1;
	return ramp[i];
}

static void print_matrix(const double *m, const int *pus, unsigned n, double lo, double hi,
			 struct lat_unit u)
{
	static const char shades[] = " .:-=+*#%@";
	int color = use_color();
	double scale = u.per_ns;
	if (n <= LAT_NUMERIC_MAX) {
		printf("%6s", "PU");
		for (unsigned j = 0; j < n; j++)
			printf(" %7d", pus[j]);
		printf("\n");
		for (unsigned i = 0; i < n; i++) {
			printf("%6d", pus[i]);
			for (unsigned j = 0; j < n; j++) {
				double v = m[(size_t)i * n + j];
				if (i == j || !isfinite(v)) {
					printf(" %7s", "-");
					continue;
				}
				if (color)
					printf(" \033[38;5;16;48;5;%dm%7.1f\033[0m", heat_color(v, lo, hi),
					       v * scale);
				else
					printf(" %7.1f", v * scale);
			}
			printf("\n");
		}
		return;
	}
	/* Too wide for numbers: one character per cell, darker is slower. */
	printf("one character a pair, from ' ' (%.1f %s) to '@' (%.1f %s); rows and columns "
	       "in the order of the PU list above\n", lo * scale, u.name, hi * scale, u.name);
	for (unsigned i = 0; i < n; i++) {
		printf("%6d ", pus[i]);
		for (unsigned j = 0; j < n; j++) {
			double v = m[(size_t)i * n + j];
			double f = hi > lo ? (v - lo) / (hi - lo) : 0;
			int k = (int)lround(f * (double)(sizeof(shades) - 2));
			if (i == j || !isfinite(v)) {
				putchar('\\');
				continue;
			}
			if (k < 0)
				k = 0;
			if (k > (int)sizeof(shades) - 2)
				k = (int)sizeof(shades) - 2;
			if (color)
				printf("\033[48;5;%dm%c\033[0m", heat_color(v, lo, hi), shades[k]);
			else
				putchar(shades[k]);
		}
		printf("\n");
	}
}

static int run_latency(const struct cores_opts *o, const int *pus, unsigned npu)
{
	int fork_mode = lat_is_pipe(o), init = 0;
	struct wl_params params = { .size = fork_mode ? o->handoffs : o->handoffs / 2 };
	struct machine mach;
	struct wl_inst w;
	size_t npairs = (size_t)npu * (npu - 1) / 2, pi = 0;
	struct lat_pair *pairs = calloc(npairs ? npairs : 1, sizeof(*pairs));
	double *m = malloc((size_t)npu * npu * sizeof(double));
	double *ns = calloc(o->batches, sizeof(double));
	struct smt_like *smt = calloc(npairs ? npairs : 1, sizeof(*smt));
	size_t nsmt = 0;
	double lo = INFINITY, hi = -INFINITY;
	const char *metric = fork_mode ? "round_trip_ns" : "one_way_ns";
	int tty = isatty(2) && !o->json, rc = 0;
	char why[256];

	if (!pairs || !m || !ns || !smt) {
		cb_error("out of memory");
		rc = CB_EXIT_RUNFAIL;
		goto out;
	}
	/* Once for every pair (pipepong's pipes serve them all): size is round trips. */
	topo_machine(&mach);
	if (cell_inst_init(&w, lat_workload(o), &params, 2, 1, &mach) < 0) {
		rc = CB_EXIT_RUNFAIL;
		goto out;
	}
	init = 1;
	for (size_t k = 0; k < (size_t)npu * npu; k++)
		m[k] = NAN;
	for (unsigned i = 0; i < npu; i++)
		for (unsigned j = i + 1; j < npu; j++, pi++) {
			struct lat_pair *p = &pairs[pi];
			int r;
			if (tty)
				fprintf(stderr, "\r\033[K[%zu/%zu] PU %d <-> PU %d", pi + 1, npairs, pus[i],
					pus[j]);
			why[0] = 0;
			r = lat_pair(o, &w, pus[i], pus[j], ns, why, sizeof(why));
			if (r < 0) {
				if (tty)
					fprintf(stderr, "\r\033[K");
				cb_error("--latency: PU %d and PU %d: %s", pus[i], pus[j], why);
				rc = CB_EXIT_RUNFAIL;
				goto out;
			}
			p->a = (int)i;
			p->b = (int)j;
			p->median = stats_median(ns, o->batches);
			p->min = ns[0];
			for (unsigned k = 1; k < o->batches; k++)
				if (ns[k] < p->min)
					p->min = ns[k];
			topo_shared_level(pus[i], pus[j], p->level, sizeof(p->level));
			p->same_core = same_core(pus[i], pus[j]);
			m[(size_t)i * npu + j] = m[(size_t)j * npu + i] = p->median;
			if (p->median < lo)
				lo = p->median;
			if (p->median > hi)
				hi = p->median;
		}
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (!fork_mode && cores_smt_like_pairs(pairs, npairs, smt, &nsmt) < 0) {
		cb_error("out of memory");
		rc = CB_EXIT_RUNFAIL;
		goto out;
	}

	if (o->json || o->output) {
		struct jsonb b = { 0 };
		cJSON *doc = doc_head(&b, "latency"), *mat, *arr;
		jsonb_add_str(&b, doc, "executor", o->ex->name);
		jsonb_add_str(&b, doc, "metric", metric);
		jsonb_add_str(&b, doc, "method", fork_mode ?
		       "round trip of an 8-byte message over two pipes between two processes, each "
		       "bound to its PU (hwloc process binding)" :
		       "one-way handoff of a cache line (atomic ping-pong) between two threads, "
		       "each bound to its PU (hwloc thread binding): batch time / (2 x round trips)");
		jsonb_add_num(&b, doc, "handoffs_per_batch", o->handoffs);
		jsonb_add_num(&b, doc, "batches", o->batches);
		jsonb_add_num(&b, doc, "warmup_batches", LAT_WARM_BATCHES);
		jsonb_item(&b, doc, "pus", jsonb_int_array(&b, pus, npu));
		mat = jsonb_chk(&b, cJSON_CreateArray());
		for (unsigned i = 0; mat && i < npu; i++)
			jsonb_push(&b, mat, jsonb_num_array(&b, m + (size_t)i * npu, npu));
		jsonb_item(&b, doc, "matrix", mat);
		arr = jsonb_chk(&b, cJSON_CreateArray());
		for (size_t k = 0; arr && k < npairs; k++) {
			cJSON *j = jsonb_chk(&b, cJSON_CreateObject());
			jsonb_add_num(&b, j, "a", pus[pairs[k].a]);
			jsonb_add_num(&b, j, "b", pus[pairs[k].b]);
			jsonb_add_num(&b, j, "median_ns", pairs[k].median);
			jsonb_add_num(&b, j, "min_ns", pairs[k].min);
			jsonb_add_str(&b, j, "shared_level", pairs[k].level);
			jsonb_push(&b, arr, j);
		}
		jsonb_item(&b, doc, "pairs", arr);
		arr = fork_mode ? NULL : jsonb_chk(&b, cJSON_CreateArray());
		for (size_t k = 0; arr && k < nsmt; k++) {
			const struct lat_pair *p = &pairs[smt[k].pair];
			cJSON *j = jsonb_chk(&b, cJSON_CreateObject());
			jsonb_add_num(&b, j, "a", pus[p->a]);
			jsonb_add_num(&b, j, "b", pus[p->b]);
			jsonb_add_num(&b, j, "ns", p->median);
			jsonb_add_num(&b, j, "median_ns", smt[k].median_ns);
			jsonb_add_str(&b, j, "shared_level", p->level);
			jsonb_push(&b, arr, j);
		}
		if (!fork_mode)
			jsonb_item(&b, doc, "smt_like_pairs", arr);
		rc = write_doc(jsonb_finish(&b, doc), o);
	}
	if (!o->json && !rc) {
		struct lat_unit u = lat_unit_for(hi);
		printf("core-to-core latency, %s: %s; median of %u batches of %u\n",
		       o->ex->name, fork_mode ? "round trip of a pipe message between two pinned "
		       "processes" : "one-way cache-line handoff between two pinned threads",
		       o->batches, o->handoffs);
		printf("(all times in %s)\n", u.name);
		print_matrix(m, pus, npu, lo, hi, u);
		for (size_t k = 0; k < nsmt; k++) {
			char line[256];
			smt_text_in(line, sizeof(line), pairs, pus, &smt[k], u);
			printf("%s\n", line);
		}
		/* The same numbers by the closest level the two PUs share. */
		printf("\nby the closest level both PUs share:\n");
		for (size_t k = 0; k < npairs; k++) {
			size_t first = k, cnt = 0;
			double *v = malloc(npairs * sizeof(double));
			for (size_t q = 0; q < k; q++)
				if (strcmp(pairs[q].level, pairs[k].level) == 0)
					first = q;
			if (first != k || !v) {
				free(v);
				continue;
			}
			for (size_t q = k; q < npairs; q++)
				if (strcmp(pairs[q].level, pairs[k].level) == 0)
					v[cnt++] = pairs[q].median;
			printf("  %-10s %9.1f %s  (median of %zu pair%s)\n", pairs[k].level,
			       stats_median(v, cnt) * u.per_ns, u.name, cnt, cnt == 1 ? "" : "s");
			free(v);
		}
		if (o->output)
			printf("report: %s\n", o->output);
	}
out:
	if (init)
		cell_inst_fini(&w);
	free(pairs);
	free(m);
	free(ns);
	free(smt);
	return rc;
}

/* ---- the command ---- */

static void cores_usage(void)
{
	printf("usage: concbench cores [--workload NAME] [--size N] [--repetitions R] [--warmup W]\n"
	       "                       [--executor NAME] [--format table|json] [--output FILE]\n"
	       "       concbench cores --latency [--executor thread|fork] [--handoffs N] "
	       "[--batches B] ...\n\n"
	       "one worker pinned on every allowed PU in turn: per-PU medians grouped by CPU "
	       "kind,\npackage and NUMA node, with each PU's time over the fastest PU's; with "
	       "--latency,\nthe core-to-core matrix of every pair of PUs\n\n");
	opts_usage(&opt_cores);
}

/* Options from the table (cmd/options.c); here the checks between them. */
static int parse_opts(int argc, char **argv, struct cores_opts *o, int *help)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->wl = workload_find("cpu");
	rc = opts_parse(&opt_cores, argc, argv, o);
	if (rc < 0)
		return CB_EXIT_USAGE;
	if (rc == 0) {
		*help = 1;
		return 0;
	}
	if (!o->wl)
		return usage_error("cores: no cpu workload is registered");
	o->ex = executor_find(o->ex_name ? o->ex_name : "thread");
	if (o->latency) {
		if (!o->ex || (strcmp(o->ex->name, "thread") && strcmp(o->ex->name, "fork")))
			return usage_error("--executor: with --latency, expected thread or fork, got "
					   "'%s'", o->ex_name);
		if (!o->handoffs_set)
			o->handoffs = strcmp(o->ex->name, "fork") == 0 ? LAT_FORK_ROUNDTRIPS
								      : LAT_THREAD_HANDOFFS;
		else if (strcmp(o->ex->name, "thread") == 0 && o->handoffs % 2)
			return usage_error("--handoffs: with threads, expected an even count (a "
					   "round trip is two handoffs), got '%u'", o->handoffs);
	} else if (!o->ex || (o->ex->flags & (EX_SINGLE_WORKER | EX_LAUNCHED))) {
		char names[160];
		opts_executor_names(1, names, sizeof(names));
		return usage_error("--executor: expected %s (one pinned worker), got '%s'", names,
				   o->ex_name);
	}
	for (size_t j = 0; j < o->wl->noptions; j++)
		o->params.opt[j] = o->wl->options[j].kind == WLO_DURATION ? o->wl->options[j].def_ns
									    : 0;
	if (o->size_arg) {
		if (o->latency)
			return usage_error("--size: not an option of 'cores --latency'");
		if (opts_size_parse(o->wl, o->size_arg, &o->params.size) < 0)
			return CB_EXIT_USAGE;
	}
	return 0;
}

int cmd_cores(int argc, char **argv)
{
	struct cores_opts o;
	int help = 0, rc, *pus;
	unsigned npu;

	rc = parse_opts(argc, argv, &o, &help);
	if (rc)
		return rc;
	if (help) {
		cores_usage();
		return 0;
	}
	/* The test faults (worker.h) reach cores' cells as they reach run's. */
	if (run_fault_from_env() < 0)
		return CB_EXIT_USAGE;
	npu = topo_allowed_pus(NULL, 0);
	pus = calloc(npu ? npu : 1, sizeof(*pus));
	if (!pus) {
		cb_error("out of memory");
		return CB_EXIT_RUNFAIL;
	}
	topo_allowed_pus(pus, npu);
	if (!topo_is_this_system() && o.json) {
		struct jsonb b = { 0 };
		cJSON *doc = doc_head(&b, o.latency ? "latency" : "pu");
		jsonb_add_bool(&b, doc, "planning_only", 1);
		jsonb_item(&b, doc, "pus", jsonb_int_array(&b, pus, npu));
		free(pus);
		o.output = NULL;
		return write_doc(jsonb_finish(&b, doc), &o);
	}
	if (!topo_is_this_system()) {
		char list[64];
		printf("planning only: the topology '%s' is not this machine's, so nothing runs\n",
		       topo_source());
		printf("cores%s would pin ", o.latency ? " --latency" : "");
		if (o.latency)
			printf("both sides of each of the %u pairs of these %u PUs:\n",
			       npu * (npu - 1) / 2, npu);
		else
			printf("one worker on each of these %u PUs in turn:\n", npu);
		for (unsigned i = 0; i < npu; i++) {
			cb_fmt(list, sizeof(list), "%d", pus[i]);
			printf("%s%s", i ? "," : "  ", list);
		}
		printf("\n");
		free(pus);
		return 0;
	}
	if (o.latency && npu < 2) {
		free(pus);
		return usage_error("--latency: needs two allowed PUs, this process has %u", npu);
	}
	if (!o.latency && o.wl->supported) {
		char why[200] = "";
		if (o.wl->supported(why, sizeof(why)) < 0) {
			free(pus);
			return usage_error("--workload: %s cannot run here: %s", o.wl->name, why);
		}
	}
	rc = o.latency ? run_latency(&o, pus, npu) : run_per_pu(&o, pus, npu);
	if (rc)
		run_exit_if_thread_stuck();    /* a hung pingpong partner, say */
	free(pus);
	return rc;
}
