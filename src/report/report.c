/* SPDX-License-Identifier: MIT */
/* report: cJSON build of the report schema; host and build facts; atomic write. */
#define _GNU_SOURCE
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "topo/topo.h"
#include "topo/topoprint.h"

static char *os_pretty_name(char *buf, size_t len)
{
	FILE *f = fopen("/etc/os-release", "r");
	char line[256];
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
			char *v = line + 12;
			v[strcspn(v, "\n")] = 0;
			if (*v == '"') {
				v++;
				v[strcspn(v, "\"")] = 0;
			}
			cb_fmt(buf, len, "%s", v);
			fclose(f);
			return buf;
		}
	}
	fclose(f);
	return NULL;
}

static cJSON *host_object(struct jsonb *b)
{
	cJSON *h = jsonb_chk(b, cJSON_CreateObject());
	struct utsname u;
	struct machine m;
	char os[128];
	int have_u = uname(&u) == 0;

	if (!h)
		return NULL;
	topo_machine(&m);
	jsonb_add_str(b, h, "hostname", have_u ? u.nodename : NULL);
	jsonb_add_str(b, h, "os",
		      os_pretty_name(os, sizeof(os)) ? os : (have_u ? u.sysname : NULL));
	jsonb_add_str(b, h, "kernel", have_u ? u.release : NULL);
	jsonb_add_str(b, h, "arch", have_u ? u.machine : NULL);
	jsonb_add_str(b, h, "cpu_model", topo_cpu_model());
	jsonb_add_num(b, h, "cores", topo_cores());
	jsonb_add_num(b, h, "pus", topo_pus());
	jsonb_add_num(b, h, "numa_nodes", topo_numa_nodes());
	jsonb_add_num(b, h, "llc_bytes", m.llc_bytes ? (double)m.llc_bytes : NAN);
	jsonb_add_num(b, h, "memory_bytes", m.mem_bytes ? (double)m.mem_bytes : NAN);
	jsonb_add_str(b, h, "compiler", __VERSION__);
	jsonb_add_str(b, h, "cflags", CB_CFLAGS);
	return h;
}

static void add_bool_or_null(struct jsonb *b, cJSON *o, const char *k, int v)
{
	if (v < 0)
		jsonb_add_null(b, o, k);
	else
		jsonb_add_bool(b, o, k, v);
}

/* What the report records about the machine (docs/measurement.md): null where unavailable. */
static void add_host_facts(struct jsonb *b, cJSON *h, const struct run_set *rs)
{
	const struct host_facts *f = &rs->facts;
	char aff[1024];
	double steal = host_steal_fraction(&rs->snap_start, &rs->snap_end);

	add_bool_or_null(b, h, "virtualized", f->virtualized);
	jsonb_add_str(b, h, "hypervisor", f->hypervisor);
	jsonb_add_str(b, h, "cpufreq_driver", f->cpufreq_driver);
	jsonb_add_str(b, h, "governor", f->governor);
	add_bool_or_null(b, h, "boost", f->boost);
	jsonb_add_str(b, h, "cpuidle_driver", f->cpuidle_driver);
	jsonb_add_str(b, h, "cpuidle_governor", f->cpuidle_governor);
	jsonb_add_str(b, h, "smt_control", f->smt_control);
	add_bool_or_null(b, h, "smt_active", f->smt_active);
	jsonb_add_str(b, h, "clocksource", f->clocksource);
	jsonb_add_num(b, h, "clock_resolution_ns", f->clock_res_ns);
	jsonb_add_num(b, h, "clock_gettime_ns", f->clock_cost_ns);
	jsonb_add_str(b, h, "thp_enabled", f->thp_enabled);
	jsonb_add_str(b, h, "thp_defrag", f->thp_defrag);
	jsonb_add_index(b, h, "aslr", f->aslr);
	jsonb_add_str(b, h, "cgroup_cpu_max", f->cgroup_cpu_max);
	jsonb_add_str(b, h, "kernel_cmdline", f->kernel_cmdline);
	jsonb_add_str(b, h, "affinity", topo_affinity_list(aff, sizeof(aff)) == 0 ? aff : NULL);
	jsonb_add_num(b, h, "load_start", rs->snap_start.load1);
	jsonb_add_num(b, h, "load_end", rs->snap_end.load1);
	jsonb_add_num(b, h, "steal_fraction", steal);
	jsonb_add_num(b, h, "context_switches",
		rs->snap_start.ok && rs->snap_end.ok ? (double)(rs->snap_end.ctxt - rs->snap_start.ctxt)
						     : NAN);
	jsonb_add_num(b, h, "duration_s", rs->snap_end.t - rs->snap_start.t);
}

cJSON *report_params(const struct run_result *r)
{
	struct jsonb b = { 0 };
	cJSON *p = cJSON_CreateObject();
	if (!p)
		return NULL;
	jsonb_add_num(&b, p, "size", (double)r->p.size);
	jsonb_add_num(&b, p, "tasks", (double)r->p.tasks);
	for (size_t j = 0; j < r->wl->noptions; j++) {
		const struct wl_option *o = &r->wl->options[j];
		if (o->kind == WLO_CHOICE)
			jsonb_add_str(&b, p, o->name, o->choices[r->p.opt[j]]);
		else
			jsonb_add_num(&b, p, o->name, (double)r->p.opt[j] * 1e-9);
	}
	jsonb_add_str(&b, p, "scaling", r->weak ? "weak" : "strong");
	jsonb_add_str(&b, p, "schedule", r->dynamic ? "dynamic" : "static");
	/* Only when set: a different memory placement is a different experiment. */
	if (r->membind != MEMBIND_LOCAL)
		jsonb_add_str(&b, p, "membind", membind_name(r->membind));
	return jsonb_finish(&b, p);
}

/* [lo, hi], or null when the interval is undefined (lo not finite). */
static void add_interval(struct jsonb *b, cJSON *o, const char *k, double lo, double hi)
{
	double ci[2] = { lo, hi };
	if (isfinite(lo))
		jsonb_item(b, o, k, jsonb_num_array(b, ci, 2));
	else
		jsonb_add_null(b, o, k);
}

/* {"worker": K, "pu": P|null, "time_s": N}, or null with one worker. */
static void add_worker_ref(struct jsonb *b, cJSON *o, const char *k, const struct worker_ref *w)
{
	cJSON *x;
	if (w->worker < 0) {
		jsonb_add_null(b, o, k);
		return;
	}
	x = jsonb_chk(b, cJSON_CreateObject());
	if (x) {
		jsonb_add_num(b, x, "worker", w->worker);
		jsonb_add_index(b, x, "pu", w->pu);
		jsonb_add_num(b, x, "time_s", w->time_s);
	}
	jsonb_item(b, o, k, x);
}

/* How evenly the workers shared the work, and the machine's steal during the run. */
static void add_imbalance(struct jsonb *b, cJSON *o, const struct run_result *r, double steal)
{
	struct run_imbalance im;
	derive_imbalance(r, &im);
	jsonb_add_num(b, o, "imbalance", im.imbalance);
	add_worker_ref(b, o, "slowest_worker", &im.slowest);
	add_worker_ref(b, o, "fastest_worker", &im.fastest);
	jsonb_add_num(b, o, "observed_pus", im.observed_pus);
	jsonb_add_num(b, o, "stacked_repetitions", im.stacked_reps);
	jsonb_add_num(b, o, "steal_fraction", steal);
}

/* {"task_clock_s": N, "context_switches": N, ...}: null where not counted. */
static cJSON *counters_object(struct jsonb *b, const double v[CTR_N])
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());
	for (int c = 0; o && c < CTR_N; c++)
		jsonb_add_num(b, o, counters_key[c], c == CTR_TASK_CLOCK ? v[c] / 1e9 : v[c]);
	return o;
}

/* The counters of a run (docs/measurement.md): per repetition summed over the workers, the
 * median over the kept repetitions; the same per worker; why some are missing; and what
 * follows from them. */
static void add_counters(struct jsonb *b, cJSON *o, const struct run_result *r)
{
	double med[CTR_N], own[CTR_N];
	cJSON *pw = jsonb_chk(b, cJSON_CreateArray()), *d;

	cell_counters(r, -1, med);
	jsonb_item(b, o, "counters", counters_object(b, med));
	for (unsigned k = 0; pw && k < r->workers; k++) {
		cell_counters(r, (int)k, own);
		jsonb_push(b, pw, counters_object(b, own));
	}
	jsonb_item(b, o, "counters_per_worker", pw);
	jsonb_add_str(b, o, "counters_unavailable", r->counters_unavailable);
	d = jsonb_chk(b, cJSON_CreateObject());
	if (d) {
		double task_s = med[CTR_TASK_CLOCK] / 1e9;
		jsonb_add_num(b, d, "ipc", med[CTR_CYCLES] > 0 ?
			      med[CTR_INSTRUCTIONS] / med[CTR_CYCLES] : NAN);
		jsonb_add_num(b, d, "ghz", task_s > 0 ? med[CTR_CYCLES] / task_s / 1e9 : NAN);
		jsonb_add_num(b, d, "instructions_per_item", r->items ?
			      med[CTR_INSTRUCTIONS] / (double)r->items : NAN);
	}
	jsonb_item(b, o, "counters_derived", d);
}

/* A launched pool's workers (mpi): each one's rank, host, PU and clock offset to rank 0.
 * Only such a run has them: other reports stay as they were. */
static void add_ranks(struct jsonb *b, cJSON *o, const struct run_result *r)
{
	cJSON *a;
	if (!r->places)
		return;
	a = jsonb_chk(b, cJSON_CreateArray());
	for (unsigned k = 0; a && k < r->workers; k++) {
		const struct worker_place *x = &r->places[k];
		cJSON *one = jsonb_chk(b, cJSON_CreateObject());
		if (!one)
			break;
		jsonb_add_num(b, one, "worker", k);
		jsonb_add_num(b, one, "rank", x->rank);
		jsonb_add_str(b, one, "host", x->host);
		jsonb_add_index(b, one, "pu", x->pu);
		jsonb_add_bool(b, one, "mpi_bound", x->launcher_bound);
		jsonb_add_num(b, one, "offset_s", (double)x->offset_ns / 1e9);
		jsonb_add_num(b, one, "offset_uncertainty_s", (double)x->offset_err_ns / 1e9);
		jsonb_push(b, a, one);
	}
	jsonb_item(b, o, "ranks", a);
}

static cJSON *run_object(struct jsonb *b, const struct run_result *r, double steal)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());
	char hex[24];
	double mid = (double)r->st.median;

	if (!o)
		return NULL;
	jsonb_add_str(b, o, "workload", r->wl->name);
	jsonb_item(b, o, "params", report_params(r));
	jsonb_add_str(b, o, "executor", r->ex->name);
	jsonb_add_num(b, o, "workers", r->workers);
	jsonb_add_str(b, o, "binding", bind_policy_name(r->bind));
	/* Only on thread runs under --gil: beside the params, so that they stay in the group
	 * of their seq baseline (which runs without the lock). */
	if (r->gil)
		jsonb_add_bool(b, o, "gil", 1);
	/* Event loops only: what performed the operations (io_uring, or epoll where it was
	 * refused) and the tasks in flight per loop. */
	if (r->backend) {
		jsonb_add_str(b, o, "backend", r->backend);
		if (r->depth)
			jsonb_add_num(b, o, "depth", r->depth);
	}
	jsonb_item(b, o, "planned_cpus", r->bind == BIND_NONE ? cJSON_CreateNull() :
		 jsonb_int_array(b, r->planned, r->workers));
	jsonb_item(b, o, "cpus", jsonb_int_array(b, r->cpus, r->ncpus));
	jsonb_add_num(b, o, "strayed_samples", r->strayed);
	if (r->binding_error)
		jsonb_add_str(b, o, "binding_error", r->binding_error);
	else
		jsonb_add_null(b, o, "binding_error");
	jsonb_add_num(b, o, "tasks", (double)r->ntasks);
	jsonb_add_num(b, o, "warmup", r->warmup);
	jsonb_add_num(b, o, "repetitions", r->nsamples);
	jsonb_item(b, o, "samples_s", jsonb_num_array(b, r->samples, r->nsamples));
	jsonb_add_num(b, o, "start_skew_s", stats_median(r->skews, r->nsamples));
	{
		cJSON *ws = jsonb_chk(b, cJSON_CreateArray());
		for (unsigned i = 0; ws && i < r->nsamples; i++)
			jsonb_push(b, ws, jsonb_num_array(b, r->worker_s + (size_t)i * r->workers,
							  r->workers));
		jsonb_item(b, o, "worker_s", ws);
	}
	add_imbalance(b, o, r, steal);
	jsonb_add_num(b, o, "median_s", mid);
	jsonb_add_num(b, o, "mean_s", r->st.mean);
	jsonb_add_num(b, o, "stddev_s", r->st.stddev);
	jsonb_add_num(b, o, "min_s", r->st.min);
	jsonb_add_num(b, o, "max_s", r->st.max);
	jsonb_add_num(b, o, "p10_s", r->st.p10);
	jsonb_add_num(b, o, "p90_s", r->st.p90);
	if (r->st.has_ci) {
		double ci[2] = { r->st.ci_lo, r->st.ci_hi };
		jsonb_item(b, o, "ci95_s", jsonb_num_array(b, ci, 2));
		jsonb_add_num(b, o, "ci95_level", r->st.ci_level);
		jsonb_add_str(b, o, "ci95_method", "exact binomial order statistics of the median");
	} else {
		jsonb_add_null(b, o, "ci95_s");
		jsonb_add_str(b, o, "ci95_reason",
			      "fewer than 6 samples: no exact 95% interval exists");
	}
	jsonb_add_num(b, o, "cv", r->st.cv);
	jsonb_add_num(b, o, "outliers", (double)r->noutliers);
	{
		cJSON *idx = jsonb_chk(b, cJSON_CreateArray());
		for (size_t i = 0; idx && i < r->noutliers; i++)
			jsonb_push(b, idx, cJSON_CreateNumber((double)r->outlier_idx[i]));
		jsonb_item(b, o, "outlier_indices", idx);
	}
	jsonb_add_bool(b, o, "first_sample_slow", r->first_slow);
	jsonb_add_str(b, o, "stop_reason", r->stop_reason);
	jsonb_add_num(b, o, "speedup", r->speedup);
	add_interval(b, o, "speedup_ci95", r->speedup_lo, r->speedup_hi);
	jsonb_add_num(b, o, "efficiency", r->efficiency);
	jsonb_add_num(b, o, "karp_flatt", r->karp_flatt);
	add_interval(b, o, "karp_flatt_ci95", r->kf_lo, r->kf_hi);
	jsonb_add_num(b, o, "cpu_utilization", r->cpu_util);
	jsonb_add_num(b, o, "startup_s", r->startup_s);
	jsonb_item(b, o, "startup_samples_s", jsonb_num_array(b, r->startups, r->nstartups));
	jsonb_add_num(b, o, "harness_s", r->harness_s);
	add_ranks(b, o, r);
	/* Only a run that replaced workers has them: other reports stay as they were. */
	if (r->ncrashes) {
		cJSON *cr = jsonb_chk(b, cJSON_CreateArray());
		for (unsigned i = 0; cr && i < r->ncrashes; i++) {
			const struct run_crash *x = &r->crashes[i];
			cJSON *one = jsonb_chk(b, cJSON_CreateObject());
			if (!one)
				break;
			jsonb_add_num(b, one, "worker", x->worker);
			jsonb_add_num(b, one, "task", x->task);
			jsonb_add_num(b, one, "lost_tasks", x->lost);
			jsonb_add_num(b, one, "signal", x->signal);
			jsonb_add_num(b, one, "detect_s", x->detect_s);
			jsonb_add_num(b, one, "recover_s", x->recover_s);
			jsonb_push(b, cr, one);
		}
		jsonb_item(b, o, "crashes", cr);
	}
	{
		cJSON *t = jsonb_chk(b, cJSON_CreateObject());
		char unit[32];
		if (t) {
			cb_fmt(unit, sizeof(unit), "%s/s", r->unit);
			jsonb_add_num(b, t, "value", mid > 0 ? (double)r->items / mid : NAN);
			jsonb_add_str(b, t, "unit", unit);
		}
		jsonb_item(b, o, "throughput", t);
	}
	{
		cJSON *u = jsonb_chk(b, cJSON_CreateObject());
		double n = r->nsamples ? r->nsamples : 1;
		if (u) {
			/* Per repetition (totals over the workers), so runs of different lengths compare. */
			jsonb_add_num(b, u, "user_s", r->ru.user_s / n);
			jsonb_add_num(b, u, "sys_s", r->ru.sys_s / n);
			jsonb_add_num(b, u, "vcsw", (double)r->ru.vcsw / n);
			jsonb_add_num(b, u, "ivcsw", (double)r->ru.ivcsw / n);
			jsonb_add_num(b, u, "minflt", (double)r->ru.minflt / n);
			jsonb_add_num(b, u, "majflt", (double)r->ru.majflt / n);
			jsonb_add_num(b, u, "maxrss_kb", (double)r->ru.maxrss_kb);
			jsonb_add_str(b, u, "per", "repetition, summed over workers");
		}
		jsonb_item(b, o, "rusage", u);
	}
	add_counters(b, o, r);
	cb_fmt(hex, sizeof(hex), "%016llx", (unsigned long long)r->checksum);
	jsonb_add_str(b, o, "checksum", hex);
	jsonb_add_bool(b, o, "verified", r->verified);
	return o;
}

/* {code, severity, run, text}: run is the index in "runs", null for the host. */
static cJSON *warning_object(struct jsonb *b, const struct run_warning *w)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());
	const struct warn_kind *k = &derive_warn_kinds[w->code];

	if (!o)
		return NULL;
	jsonb_add_str(b, o, "code", k->code);
	jsonb_add_str(b, o, "severity", derive_warn_severity_name(k->severity));
	if (w->run >= 0)
		jsonb_add_num(b, o, "run", (double)w->run);
	else
		jsonb_add_null(b, o, "run");
	jsonb_add_str(b, o, "text", w->text);
	return o;
}

cJSON *report_build(const struct config *c, const struct run_set *rs)
{
	struct jsonb b = { 0 };
	cJSON *doc = cJSON_CreateObject(), *cb, *argv, *runs, *warn;
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!doc)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jsonb_add_str(&b, doc, "schema", REPORT_SCHEMA);
	cb = jsonb_chk(&b, cJSON_CreateObject());
	if (cb) {
		jsonb_add_str(&b, cb, "version", CB_VERSION);
		jsonb_add_str(&b, cb, "git", CB_GIT);
	}
	jsonb_item(&b, doc, "concbench", cb);
	jsonb_add_str(&b, doc, "created", created);
	if (c->label)         /* only when given: reports without it read as before */
		jsonb_add_str(&b, doc, "label", c->label);
	argv = jsonb_chk(&b, cJSON_CreateArray());
	for (int i = 0; argv && i < c->argc; i++)
		jsonb_push(&b, argv, cJSON_CreateString(i == 0 ? "concbench" : c->argv[i]));
	jsonb_item(&b, doc, "argv", argv);
	{
		cJSON *h = host_object(&b);
		if (h && rs->have_facts)
			add_host_facts(&b, h, rs);
		jsonb_item(&b, doc, "host", h);
	}
	{
		cJSON *bld = jsonb_chk(&b, cJSON_CreateObject());
		char hv[32];
		topo_hwloc_version(hv, sizeof(hv));
		if (bld) {
			jsonb_add_str(&b, bld, "compiler", __VERSION__);
			jsonb_add_str(&b, bld, "cflags", CB_CFLAGS);
			jsonb_add_str(&b, bld, "glibc", rs->have_facts ? rs->facts.glibc : NULL);
			jsonb_add_str(&b, bld, "hwloc", hv);
			jsonb_add_str(&b, bld, "cjson", cJSON_Version());
		}
		jsonb_item(&b, doc, "build", bld);
	}
	{
		cJSON *ord = jsonb_chk(&b, cJSON_CreateObject());
		if (ord) {
			jsonb_add_num(&b, ord, "rounds", c->rounds);
			jsonb_add_num(&b, ord, "seed", (double)rs->seed);
			jsonb_add_str(&b, ord, "method", "every run visited once per round, rounds "
				      "in a shuffled order (xorshift64*), seq included");
		}
		jsonb_item(&b, doc, "order", ord);
	}
	{
		cJSON *t = jsonb_chk(&b, cJSON_CreateObject());
		struct machine m;
		topo_machine(&m);
		if (t) {
			jsonb_add_num(&b, t, "cores", topo_cores());
			jsonb_add_num(&b, t, "pus", topo_pus());
			jsonb_add_num(&b, t, "numa_nodes", topo_numa_nodes());
			jsonb_add_num(&b, t, "llc_bytes", m.llc_bytes ? (double)m.llc_bytes : NAN);
			/* The whole shape (caches and which PUs share them, cores, SMT siblings,
			 * kinds), so that a report taken here can be read on another machine. */
			jsonb_item(&b, t, "detail", topo_json());
		}
		jsonb_item(&b, doc, "topology", t);
	}
	jsonb_add_num(&b, doc, "wall_s", rs->wall_s);
	runs = jsonb_chk(&b, cJSON_CreateArray());
	for (size_t i = 0; runs && i < rs->n; i++)
		jsonb_push(&b, runs, run_object(&b, &rs->runs[i], run_steal_fraction(rs, i)));
	jsonb_item(&b, doc, "runs", runs);
	warn = jsonb_chk(&b, cJSON_CreateArray());
	for (size_t i = 0; warn && i < rs->warnings.n; i++)
		jsonb_push(&b, warn, warning_object(&b, &rs->warnings.items[i]));
	jsonb_item(&b, doc, "warnings", warn);
	if (rs->busy_scanned) {
		cJSON *busy = jsonb_chk(&b, cJSON_CreateArray());
		for (size_t i = 0; busy && i < rs->nbusy; i++) {
			cJSON *p = jsonb_chk(&b, cJSON_CreateObject());
			if (p) {
				jsonb_add_num(&b, p, "pid", rs->busy[i].pid);
				jsonb_add_str(&b, p, "command", rs->busy[i].comm);
				jsonb_add_num(&b, p, "cpu_share", rs->busy[i].share);
				jsonb_add_index(&b, p, "pu", rs->busy[i].cpu);
			}
			jsonb_push(&b, busy, p);
		}
		jsonb_item(&b, doc, "busy_processes", busy);
	}
	return jsonb_finish(&b, doc);
}

/* mkstemp makes 0600; a report is an ordinary file: 0666 less the umask. */
static int chmod_as_created(int fd)
{
	mode_t um = umask(0);
	umask(um);
	return fchmod(fd, 0666 & ~um);
}

void report_add_ci95(struct jsonb *b, cJSON *o, const struct stats_summary *st)
{
	double ci[2] = { st->ci_lo, st->ci_hi };
	if (!st->has_ci) {
		jsonb_add_null(b, o, "ci95_s");
		jsonb_add_null(b, o, "ci95_level");
		return;
	}
	jsonb_item(b, o, "ci95_s", jsonb_num_array(b, ci, 2));
	jsonb_add_num(b, o, "ci95_level", st->ci_level);
}

int report_write(const cJSON *doc, const char *path)
{
	char *text = cJSON_Print(doc);
	char tmp[4200], dir[4096];
	struct stat st;
	size_t len;
	int fd, rc = 0;

	if (!text) {
		cb_error("%s: out of memory while printing the report", path);
		return -ENOMEM;
	}
	/* Checked before the run (path_check_writable); whatever was put there since must
	 * still not be replaced unless it is a regular file. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		cb_error("--output: '%s' is no longer absent or a regular file; the report is not "
			 "written", path);
		free(text);
		return -EEXIST;
	}
	cb_fmt(dir, sizeof(dir), "%s", path);
	cb_fmt(tmp, sizeof(tmp), "%s/.concbench-report-XXXXXX", dirname(dir));
	fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		cb_error("--output: cannot write in the directory of '%s': %s", path, strerror(-rc));
		free(text);
		return rc;
	}
	len = strlen(text);
	text[len] = '\n';   /* replaces the terminator; written with its length below */
	/* Every step's own errno: a short write is retried, so that a full disk says ENOSPC. */
	rc = cb_write_full(fd, text, len + 1);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc && chmod_as_created(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && path_changed_since_check(path))
		cb_warn("--output: '%s' was written by another process during this run; this "
			"report replaces it", path);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		cb_error("--output: cannot write '%s': %s", path, strerror(-rc));
	}
	free(text);
	return rc;
}

const char *report_label_problem(const char *s)
{
	size_t n = strlen(s);
	/* Printable ASCII only: a label goes into terminals, markdown and file names. */
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			n = 0;
	return n >= 1 && n <= REPORT_LABEL_MAX ? NULL :
		"1 to 64 printable ASCII characters";
}

char *report_group_key(const cJSON *run)
{
	char *params = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(run, "params"));
	size_t n = strlen(jsonb_str(run, "workload")) + (params ? strlen(params) : 0) + 2;
	char *k = malloc(n);
	if (k)
		cb_fmt(k, n, "%s %s", jsonb_str(run, "workload"), params ? params : "");
	free(params);
	return k;
}

int report_emit(cJSON *doc, const char *path, int print)
{
	int rc = 0;
	if (!doc) {
		cb_error("out of memory while building the JSON output");
		return -ENOMEM;
	}
	if (path)
		rc = report_write(doc, path);
	if (print && !rc) {
		char *text = cJSON_Print(doc);
		if (text)
			printf("%s\n", text);
		else
			rc = -ENOMEM;
		free(text);
	}
	cJSON_Delete(doc);
	return rc;
}
