/* SPDX-License-Identifier: MIT */
/* cores: one pinned worker on every PU in turn, and the core-to-core latency matrix.
 *
 * Per-PU runs drive the executor API directly, as run.c does for one cell: the workload is
 * initialised once for one worker, each PU gets a one-worker plan (topo_plan_single) that
 * the executor's worker binds to, warm-ups are discarded, every repetition is verified, and
 * the worker's own timestamps give the sample. Where the worker actually ran
 * (sched_getcpu() at its start and end) is checked against the PU.
 *
 * Latency pairs: both sides are bound (hwloc thread binding for threads, process binding
 * for processes) and check where they run before anything is timed; one discarded batch
 * warms the line and the caches; each batch is timed by the initiator alone, and the
 * median of the batches is reported. Pairs are unordered: (a, b) is measured once and shown
 * in both cells. */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#define CORES_SCHEMA "concbench-cores/1"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hwloc.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/cores.h"
#include "cmd/options.h"
#include "core/executor.h"
#include "core/registry.h"
#include "measure/run.h"
#include "core/sync.h"
#include "core/worker.h"
#include "measure/stats.h"
#include "report/report.h"
#include "topo/topo.h"
#include "topo/topoprint.h"

#define CORES_DEADLINE_NS (60LL * 1000000000LL)   /* per repetition, per latency pair */
#define LAT_THREAD_HANDOFFS 20000                  /* one-way handoffs per batch */
#define LAT_FORK_ROUNDTRIPS 2000                   /* pipe round trips per batch */
#define LAT_WARM_BATCHES 1
#define LAT_NUMERIC_MAX 16                         /* wider matrices are drawn one char a cell */
#define ABORT_V UINT64_MAX

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

static void fmt_rate(char *buf, size_t len, double v, const char *unit)
{
	static const char *const pre[] = { "", "k", "M", "G", "T", "P" };
	unsigned i = 0;
	while (v >= 1000 && i + 1 < ARRAY_SIZE(pre)) {
		v /= 1000;
		i++;
	}
	cb_fmt(buf, len, "%.3g %s%s/s", v, pre[i], unit ? unit : "items");
}

static int write_doc(cJSON *doc, const struct cores_opts *o)
{
	int rc = 0;
	if (!doc) {
		cb_error("out of memory while building the JSON output");
		return CB_EXIT_RUNFAIL;
	}
	if (o->output && report_write(doc, o->output) < 0)
		rc = CB_EXIT_RUNFAIL;
	if (o->json && !rc) {
		char *text = cJSON_Print(doc);
		if (text)
			printf("%s\n", text);
		else
			rc = CB_EXIT_RUNFAIL;
		free(text);
	}
	cJSON_Delete(doc);
	return rc;
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
	double *samples;
	unsigned n;
	double median;
	int moved;           /* repetitions where the worker was seen off its PU */
	int seen_other;      /* a CPU it was seen on instead, -1 if none */
};

/* Warm-ups, then reps samples of the workload on one worker pinned on pu. */
static int measure_pu(const struct cores_opts *o, const struct wl_inst *w, int pu,
		      struct pu_res *r, const uint64_t *ref, uint64_t *sum, struct cb_err *e)
{
	struct pool_cfg cfg = { .w = w, .workers = 1 };
	struct pool *pool = NULL;
	struct task_out *outs = aligned_alloc(64, w->ntasks * sizeof(*outs));
	struct worker_rec *recs = aligned_alloc(64, sizeof(*recs));
	int64_t startup;
	int rc;

	r->seen_other = -1;
	r->samples = calloc(o->reps, sizeof(double));
	if (!outs || !recs || !r->samples) {
		cb_err_set(e, -ENOMEM, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rc = topo_plan_single(pu);
	if (rc < 0) {
		cb_err_set(e, rc, "cannot plan a worker on PU %d: %s", pu, strerror(-rc));
		goto out;
	}
	cfg.deadline_ns = now_ns() + CORES_DEADLINE_NS;
	rc = o->ex->start(&cfg, &pool, &startup, e);
	if (rc < 0)
		goto out;
	for (unsigned rep = 0; rep < o->warmup + o->reps; rep++) {
		rc = o->ex->run(pool, now_ns() + CORES_DEADLINE_NS, outs, recs, e);
		if (rc == 0 && cb_stop_signal) {
			rc = -EINTR;
			cb_err_set(e, rc, "interrupted by %s", stop_signal_name());
		}
		if (rc < 0)
			goto out;
		rc = cell_verify_outs(w, outs, sum, e);
		if (rc < 0)
			goto out;
		if (ref && *sum != *ref) {
			cb_err_set(e, -EBADMSG, "verification failed: checksum %016llx differs from "
				   "the first PU's %016llx", (unsigned long long)*sum,
				   (unsigned long long)*ref);
			rc = -EBADMSG;
			goto out;
		}
		if (recs[0].cpu_start != pu || recs[0].cpu_end != pu) {
			r->moved++;
			r->seen_other = recs[0].cpu_start != pu ? recs[0].cpu_start : recs[0].cpu_end;
		}
		if (rep >= o->warmup)
			r->samples[r->n++] = (double)(recs[0].t_end - recs[0].t_start) * 1e-9;
	}
	r->median = stats_median(r->samples, r->n);
	rc = 0;
out:
	if (o->ex && pool)
		o->ex->stop(pool);
	free(outs);
	free(recs);
	topo_plan(BIND_NONE, 0);
	return rc;
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

static void print_pus(const struct cores_opts *o, const struct wl_inst *w, struct pu_res *r,
		      unsigned n, double fastest, int kinds)
{
	char key[160] = "", prev[160] = "";
	printf("%s on %s: one worker pinned on each PU in turn; median of %u repetition%s after "
	       "%u warm-up%s\n", w->wl->name, o->ex->name, o->reps, o->reps == 1 ? "" : "s",
	       o->warmup, o->warmup == 1 ? "" : "s");
	if (w->p.size)
		printf("size %llu, ", (unsigned long long)w->p.size);
	printf("%zu tasks; 'vs fastest' is the median time over the fastest PU's\n", w->ntasks);
	for (unsigned i = 0; i < n; i++) {
		const struct pu_res *x = &r[i];
		char t[32], rate[48], part[3][80] = { "", "", "" };
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
			printf("  %5s %5s %12s %11s  %s\n", "PU", "core", "median", "vs fastest",
			       "throughput");
			memcpy(prev, key, sizeof(prev));
		}
		cb_fmt_time(t, sizeof(t), x->median);
		fmt_rate(rate, sizeof(rate), x->median > 0 ? (double)w->items / x->median : NAN,
			 w->unit);
		printf("  %5d %5d %12s %11.3f  %s", x->pl.pu, x->pl.core, t,
		       fastest > 0 ? x->median / fastest : NAN, rate);
		if (x->moved)
			printf(" (ran on CPU %d in %d repetition%s)", x->seen_other, x->moved,
			       x->moved == 1 ? "" : "s");
		printf("\n");
	}
}

static cJSON *pus_json(struct jsonb *b, const struct cores_opts *o, const struct wl_inst *w,
		       const struct pu_res *r, unsigned n, double fastest, int fastest_pu)
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
		jsonb_add_num(b, j, "ratio_to_fastest", fastest > 0 ? x->median / fastest : NAN);
		jsonb_add_num(b, j, "throughput",
			      x->median > 0 ? (double)w->items / x->median : NAN);
		jsonb_item(b, j, "samples_s", jsonb_num_array(b, x->samples, x->n));
		jsonb_add_num(b, j, "off_pu_repetitions", x->moved);
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
	char why[256] = "";
	uint64_t ref = 0, sum = 0;
	double fastest = INFINITY;
	int fastest_pu = -1, rc = 0, kinds, init = 0, tty = isatty(2) && !o->json;

	if (!r) {
		cb_error("out of memory");
		return CB_EXIT_RUNFAIL;
	}
	topo_machine(&m);
	memset(&w, 0, sizeof(w));
	w.wl = o->wl;
	w.p = o->params;
	w.workers = 1;
	w.scale = 1;
	rc = o->wl->init(&w, &m, why, sizeof(why));
	init = 1;
	if (rc < 0 || w.ntasks < 1 || w.ntasks > WL_MAX_TASKS) {
		if (why[0])
			cb_error("%s", why);
		else
			cb_error("%s: cannot initialise: %s", o->wl->name,
				 strerror(rc < 0 ? -rc : EINVAL));
		rc = CB_EXIT_USAGE;
		goto out;
	}
	worker_fault_arm(o->ex->name);
	for (unsigned i = 0; i < npu; i++) {
		if (tty)
			fprintf(stderr, "\r\033[K[%u/%u] %s on PU %d", i + 1, npu, o->wl->name, pus[i]);
		topo_pu_place(pus[i], &r[i].pl);
		memset(&e, 0, sizeof(e));
		if (measure_pu(o, &w, pus[i], &r[i], i ? &ref : NULL, &sum, &e) < 0) {
			if (tty)
				fprintf(stderr, "\r\033[K");
			cb_error("%s on %s pinned on PU %d: %s", o->wl->name, o->ex->name, pus[i],
				 e.msg);
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
		if (i == 0)
			ref = sum;
		if (r[i].median < fastest) {
			fastest = r[i].median;
			fastest_pu = pus[i];
		}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	kinds = hwloc_cpukinds_get_nr(topo_hwloc(), 0) > 1;
	for (unsigned i = 0; i < npu; i++)
		if (r[i].moved)
			cb_warn("PU %d: the worker was seen on CPU %d in %d of %u repetitions; the "
				"binding did not hold", r[i].pl.pu, r[i].seen_other, r[i].moved,
				o->warmup + o->reps);
	if (o->json || o->output) {
		struct jsonb b = { 0 };
		cJSON *doc = pus_json(&b, o, &w, r, npu, fastest, fastest_pu);
		rc = write_doc(jsonb_finish(&b, doc), o);
	}
	if (!o->json && !rc) {
		qsort(r, npu, sizeof(*r), cmp_group);
		print_pus(o, &w, r, npu, fastest, kinds);
		{
			double slow = 0;
			int slow_pu = -1;
			char ft[32];
			for (unsigned i = 0; i < npu; i++)
				if (r[i].median > slow) {
					slow = r[i].median;
					slow_pu = r[i].pl.pu;
				}
			cb_fmt_time(ft, sizeof(ft), fastest);
			printf("\nfastest: PU %d (%s); slowest: PU %d, %.1f%% slower\n", fastest_pu, ft,
			       slow_pu, fastest > 0 ? 100 * (slow / fastest - 1) : 0.0);
		}
		if (o->output)
			printf("report: %s\n", o->output);
	}
out:
	if (init && w.wl->fini)
		w.wl->fini(&w);
	for (unsigned i = 0; i < npu; i++)
		free(r[i].samples);
	free(r);
	return rc;
}

/* ---- latency: threads ---- */

struct pingpong {
	_Alignas(64) _Atomic uint64_t flag;      /* the line that travels, alone on it */
	_Alignas(64) _Atomic unsigned ready;
	int pu[2], cpu[2], err[2];
	unsigned rt, batches;                     /* round trips per batch; kept batches */
	int64_t deadline;
	int timed_out;
	double *ns;                               /* per kept batch: one-way ns */
};

/* Both sides bound and running; gives up when the other side aborted or the deadline
 * passed. Returns 0 when both bound without error. */
static int pp_meet(struct pingpong *s, int side)
{
	unsigned spins = 0;
	s->err[side] = topo_bind_pu(s->pu[side], 0);
	s->cpu[side] = sched_getcpu();
	atomic_fetch_add(&s->ready, 1);
	while (atomic_load(&s->ready) < 2) {
		if (atomic_load(&s->flag) == ABORT_V)
			return -1;
		cpu_relax();
		if (++spins == (1u << 16)) {
			spins = 0;
			if (now_ns() > s->deadline) {
				s->timed_out = 1;
				atomic_store(&s->flag, ABORT_V);
				return -1;
			}
		}
	}
	return s->err[0] || s->err[1] || s->cpu[0] != s->pu[0] || s->cpu[1] != s->pu[1] ? -1 : 0;
}

static void *pp_responder(void *arg)
{
	struct pingpong *s = arg;
	uint64_t total = (uint64_t)s->rt * (s->batches + LAT_WARM_BATCHES);
	if (pp_meet(s, 1) < 0)
		return NULL;
	for (uint64_t i = 0; i < total; i++) {
		uint64_t want = 2 * i + 1, v;
		while ((v = atomic_load_explicit(&s->flag, memory_order_acquire)) != want) {
			if (v == ABORT_V)
				return NULL;
			cpu_relax();
		}
		atomic_store_explicit(&s->flag, want + 1, memory_order_release);
	}
	return NULL;
}

static void *pp_initiator(void *arg)
{
	struct pingpong *s = arg;
	uint64_t i = 0;
	if (pp_meet(s, 0) < 0)
		return NULL;
	for (unsigned b = 0; b < s->batches + LAT_WARM_BATCHES; b++) {
		int64_t t0 = now_ns(), t1;
		for (unsigned h = 0; h < s->rt; h++, i++) {
			uint64_t want = 2 * i + 2;
			unsigned spins = 0;
			atomic_store_explicit(&s->flag, 2 * i + 1, memory_order_release);
			while (atomic_load_explicit(&s->flag, memory_order_acquire) != want) {
				cpu_relax();
				if (++spins == (1u << 16)) {
					spins = 0;
					if (now_ns() > s->deadline) {
						s->timed_out = 1;
						atomic_store(&s->flag, ABORT_V);
						return NULL;
					}
				}
			}
		}
		t1 = now_ns();
		if (b >= LAT_WARM_BATCHES)
			s->ns[b - LAT_WARM_BATCHES] = (double)(t1 - t0) / (2.0 * s->rt);
	}
	return NULL;
}

static int lat_threads(const struct cores_opts *o, int a, int b, double *ns, char *why,
		       size_t len)
{
	struct pingpong *s = aligned_alloc(64, sizeof(*s));
	pthread_t ta, tb;
	int rc;

	if (!s) {
		cb_fmt(why, len, "out of memory");
		return -ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	atomic_init(&s->flag, 0);
	atomic_init(&s->ready, 0);
	s->pu[0] = a;
	s->pu[1] = b;
	s->cpu[0] = s->cpu[1] = -1;
	s->rt = o->handoffs / 2;
	s->batches = o->batches;
	s->deadline = now_ns() + CORES_DEADLINE_NS;
	s->ns = ns;
	for (unsigned i = 0; i < o->batches; i++)
		ns[i] = NAN;
	rc = pthread_create(&tb, NULL, pp_responder, s);
	if (rc) {
		cb_fmt(why, len, "cannot create a thread: %s", strerror(rc));
		free(s);
		return -rc;
	}
	rc = pthread_create(&ta, NULL, pp_initiator, s);
	if (rc) {
		atomic_store(&s->flag, ABORT_V);
		pthread_join(tb, NULL);
		cb_fmt(why, len, "cannot create a thread: %s", strerror(rc));
		free(s);
		return -rc;
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	rc = 0;
	for (int side = 0; side < 2 && !rc; side++) {
		if (s->err[side] < 0) {
			cb_fmt(why, len, "cannot bind a thread to PU %d: %s", s->pu[side],
			       strerror(-s->err[side]));
			rc = s->err[side];
		} else if (s->cpu[side] != s->pu[side]) {
			cb_fmt(why, len, "a thread bound to PU %d runs on CPU %d", s->pu[side],
			       s->cpu[side]);
			rc = -EXDEV;
		}
	}
	if (!rc && s->timed_out) {
		cb_fmt(why, len, "no handoff for %lld s", CORES_DEADLINE_NS / 1000000000LL);
		rc = -ETIMEDOUT;
	}
	if (!rc && cb_stop_signal) {
		cb_fmt(why, len, "interrupted by %s", stop_signal_name());
		rc = -EINTR;
	}
	free(s);
	return rc;
}

/* ---- latency: processes ---- */

struct lat_hello {
	int32_t err, cpu;
};

struct lat_head {
	int32_t err[2], cpu[2];
	int32_t io_err;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The responder process: bound to pu, echoes each message plus one until EOF. */
static void __attribute__((noreturn)) fork_responder(int pu, int rd, int wr)
{
	struct lat_hello h;
	uint64_t v;
	h.err = topo_bind_pu(pu, 1);
	h.cpu = sched_getcpu();
	if (cb_write_full(wr, &h, sizeof(h)) < 0)
		_exit(1);
	while (cb_read_full(rd, &v, sizeof(v)) == 0) {
		v++;
		if (cb_write_full(wr, &v, sizeof(v)) < 0)
			_exit(1);
	}
	_exit(0);
}

/* The initiator process: bound to pu, times batches of round trips, writes the header and
 * the per-batch round trip (ns) to res. */
static void __attribute__((noreturn)) fork_initiator(int pu, unsigned rt, unsigned batches,
						     int wr, int rd, int res)
{
	struct lat_head hd = { .io_err = 0 };
	struct lat_hello h;
	double *ns = calloc(batches ? batches : 1, sizeof(double));
	uint64_t v = 0;

	hd.err[0] = topo_bind_pu(pu, 1);
	hd.cpu[0] = sched_getcpu();
	if (!ns || cb_read_full(rd, &h, sizeof(h)) < 0)
		_exit(1);
	hd.err[1] = h.err;
	hd.cpu[1] = h.cpu;
	if (!hd.err[0] && !hd.err[1]) {
		for (unsigned b = 0; b < batches + LAT_WARM_BATCHES && !hd.io_err; b++) {
			int64_t t0 = now_ns(), t1;
			for (unsigned i = 0; i < rt; i++) {
				uint64_t back;
				int r = cb_write_full(wr, &v, sizeof(v));
				if (!r)
					r = cb_read_full(rd, &back, sizeof(back));
				if (!r && back != v + 1)
					r = -EBADMSG;
				if (r) {
					hd.io_err = r;
					break;
				}
				v = back;
			}
			t1 = now_ns();
			if (b >= LAT_WARM_BATCHES)
				ns[b - LAT_WARM_BATCHES] = (double)(t1 - t0) / rt;
		}
	}
	if (cb_write_full(res, &hd, sizeof(hd)) < 0 ||
	    cb_write_full(res, ns, batches * sizeof(double)) < 0)
		_exit(1);
	_exit(0);
}

/* Read n bytes from fd by the deadline; -ETIMEDOUT, -EINTR on a stop signal, -EPIPE. */
static int read_deadline(int fd, void *p, size_t n, int64_t deadline)
{
	char *c = p;
	while (n) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ns();
		int r;
		ssize_t got;
		if (cb_stop_signal)
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pf, 1, (int)(left / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue;
		got = read(fd, c, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0 ? -EPIPE : -errno;
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

static int lat_fork(const struct cores_opts *o, int a, int b, double *ns, char *why,
		    size_t len)
{
	int ab[2] = { -1, -1 }, ba[2] = { -1, -1 }, res[2] = { -1, -1 };
	pid_t pids[2] = { 0, 0 };
	struct lat_head hd = { .io_err = 0 };
	int rc = 0;
	pid_t self = getpid();

	if (pipe2(ab, O_CLOEXEC) < 0 || pipe2(ba, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		rc = -errno;
		cb_fmt(why, len, "cannot create a pipe: %s", strerror(-rc));
		goto out;
	}
	fflush(NULL);
	pids[1] = fork();
	if (pids[1] == 0) {
		child_setup(self);
		close(ab[1]);
		close(ba[0]);
		close(res[0]);
		close(res[1]);
		fork_responder(b, ab[0], ba[1]);
	}
	if (pids[1] < 0) {
		rc = -errno;
		pids[1] = 0;
		cb_fmt(why, len, "cannot fork: %s", strerror(-rc));
		goto out;
	}
	pids[0] = fork();
	if (pids[0] == 0) {
		child_setup(self);
		close(ab[0]);
		close(ba[1]);
		close(res[0]);
		fork_initiator(a, o->handoffs, o->batches, ab[1], ba[0], res[1]);
	}
	if (pids[0] < 0) {
		rc = -errno;
		pids[0] = 0;
		cb_fmt(why, len, "cannot fork: %s", strerror(-rc));
		goto out;
	}
	close_fd(&ab[0]);
	close_fd(&ab[1]);
	close_fd(&ba[0]);
	close_fd(&ba[1]);
	close_fd(&res[1]);
	{
		int64_t deadline = now_ns() + CORES_DEADLINE_NS;
		rc = read_deadline(res[0], &hd, sizeof(hd), deadline);
		if (!rc)
			rc = read_deadline(res[0], ns, o->batches * sizeof(double), deadline);
	}
	if (rc == -ETIMEDOUT)
		cb_fmt(why, len, "no round trip for %lld s", CORES_DEADLINE_NS / 1000000000LL);
	else if (rc == -EINTR)
		cb_fmt(why, len, "interrupted by %s", stop_signal_name());
	else if (rc < 0)
		cb_fmt(why, len, "a process of the pair ended early");
	for (int side = 0; side < 2 && !rc; side++) {
		if (hd.err[side] < 0) {
			cb_fmt(why, len, "cannot bind a process to PU %d: %s", side ? b : a,
			       strerror(-hd.err[side]));
			rc = hd.err[side];
		} else if (hd.cpu[side] != (side ? b : a)) {
			cb_fmt(why, len, "a process bound to PU %d runs on CPU %d", side ? b : a,
			       hd.cpu[side]);
			rc = -EXDEV;
		}
	}
	if (!rc && hd.io_err) {
		cb_fmt(why, len, "pipe message failed: %s", strerror(-hd.io_err));
		rc = hd.io_err;
	}
out:
	close_fd(&ab[0]);
	close_fd(&ab[1]);
	close_fd(&ba[0]);
	close_fd(&ba[1]);
	close_fd(&res[0]);
	close_fd(&res[1]);
	if (rc < 0) {
		reap_all(pids, 2);
	} else {
		for (int k = 0; k < 2; k++)
			while (pids[k] > 0 && waitpid(pids[k], NULL, 0) < 0 && errno == EINTR)
				;
	}
	return rc;
}

/* ---- latency: the matrix ---- */

struct lat_pair {
	int a, b;            /* indexes into the PU list */
	double median, min;  /* ns */
	char level[16];      /* the closest level both PUs share, e.g. "Core", "L3" */
};

static void shared_level(char *buf, size_t len, int pa, int pb)
{
	hwloc_topology_t t = topo_hwloc();
	hwloc_obj_t a = hwloc_get_pu_obj_by_os_index(t, (unsigned)pa);
	hwloc_obj_t b = hwloc_get_pu_obj_by_os_index(t, (unsigned)pb);
	hwloc_obj_t c = a && b ? hwloc_get_common_ancestor_obj(t, a, b) : NULL;
	if (!c || hwloc_obj_type_snprintf(buf, len, c, 0) < 0)
		cb_fmt(buf, len, "?");
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

static void print_matrix(const double *m, const int *pus, unsigned n, double lo, double hi)
{
	static const char shades[] = " .:-=+*#%@";
	int color = use_color();
	/* Numbers in ns, or in us once they would not fit the column. */
	double scale = hi >= 1e5 ? 1e-3 : 1;
	if (n <= LAT_NUMERIC_MAX) {
		printf("(%s)\n", scale < 1 ? "us" : "ns");
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
	printf("one character a pair, from ' ' (%.1f ns) to '@' (%.1f ns); rows and columns "
	       "in the order of the PU list above\n", lo, hi);
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
	int fork_mode = strcmp(o->ex->name, "fork") == 0;
	size_t npairs = (size_t)npu * (npu - 1) / 2, pi = 0;
	struct lat_pair *pairs = calloc(npairs ? npairs : 1, sizeof(*pairs));
	double *m = malloc((size_t)npu * npu * sizeof(double));
	double *ns = calloc(o->batches, sizeof(double));
	double lo = INFINITY, hi = -INFINITY;
	const char *metric = fork_mode ? "round_trip_ns" : "one_way_ns";
	int tty = isatty(2) && !o->json, rc = 0;
	char why[256];

	if (!pairs || !m || !ns) {
		cb_error("out of memory");
		rc = CB_EXIT_RUNFAIL;
		goto out;
	}
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
			r = fork_mode ? lat_fork(o, pus[i], pus[j], ns, why, sizeof(why))
				      : lat_threads(o, pus[i], pus[j], ns, why, sizeof(why));
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
			shared_level(p->level, sizeof(p->level), pus[i], pus[j]);
			m[(size_t)i * npu + j] = m[(size_t)j * npu + i] = p->median;
			if (p->median < lo)
				lo = p->median;
			if (p->median > hi)
				hi = p->median;
		}
	if (tty)
		fprintf(stderr, "\r\033[K");

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
		rc = write_doc(jsonb_finish(&b, doc), o);
	}
	if (!o->json && !rc) {
		printf("core-to-core latency, %s: %s; median of %u batches of %u\n",
		       o->ex->name, fork_mode ? "round trip of a pipe message between two pinned "
		       "processes" : "one-way cache-line handoff between two pinned threads",
		       o->batches, o->handoffs);
		print_matrix(m, pus, npu, lo, hi);
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
			printf("  %-10s %9.1f ns  (median of %zu pair%s)\n", pairs[k].level,
			       stats_median(v, cnt), cnt, cnt == 1 ? "" : "s");
			free(v);
		}
		if (o->output)
			printf("report: %s\n", o->output);
	}
out:
	free(pairs);
	free(m);
	free(ns);
	return rc;
}

/* ---- the command ---- */

void cores_usage(void)
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
	} else if (!o->ex || (o->ex->flags & EX_SINGLE_WORKER)) {
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
	free(pus);
	return rc;
}
