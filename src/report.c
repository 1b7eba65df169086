/* SPDX-License-Identifier: MIT */
/* report: cJSON build of the report schema; host and build facts; atomic write. */
#define _GNU_SOURCE
#include "report.h"

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

#include "topo.h"
#include "util.h"

#ifndef CB_VERSION
#define CB_VERSION "unknown"
#endif
#ifndef CB_GIT
#define CB_GIT "unknown"
#endif
#ifndef CB_CFLAGS
#define CB_CFLAGS "unknown"
#endif

/* cJSON adders that return NULL on failure; the builder checks the final result once
 * through a failure flag, so that no allocation failure goes unnoticed. */
struct jb {
	int failed;
};

static cJSON *chk(struct jb *b, cJSON *v)
{
	if (!v)
		b->failed = 1;
	return v;
}

/* A number that reads back as the same double. cJSON prints with %1.15g and keeps it
 * when it is only approximately equal, which loses the last bit of about a third of
 * measured samples; so print the shortest of %.15g, %.16g, %.17g that round-trips and
 * insert it raw. Non-finite values become null. */
static cJSON *exact_number(double v)
{
	char buf[32];
	if (!isfinite(v))
		return cJSON_CreateNull();
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return cJSON_CreateRaw(buf);
}

static void add_num(struct jb *b, cJSON *o, const char *k, double v)
{
	cJSON *n = chk(b, exact_number(v));
	if (n && !cJSON_AddItemToObject(o, k, n))
		b->failed = 1;
}

static void add_str(struct jb *b, cJSON *o, const char *k, const char *v)
{
	if (v)
		chk(b, cJSON_AddStringToObject(o, k, v));
	else
		chk(b, cJSON_AddNullToObject(o, k));
}

static cJSON *num_array(struct jb *b, const double *v, size_t n)
{
	cJSON *a = chk(b, cJSON_CreateArray());
	for (size_t i = 0; a && i < n; i++) {
		cJSON *x = chk(b, exact_number(v[i]));
		if (x)
			cJSON_AddItemToArray(a, x);
	}
	return a;
}

static cJSON *int_array(struct jb *b, const int *v, size_t n)
{
	cJSON *a = chk(b, cJSON_CreateArray());
	for (size_t i = 0; a && i < n; i++) {
		cJSON *x = chk(b, cJSON_CreateNumber(v[i]));
		if (x)
			cJSON_AddItemToArray(a, x);
	}
	return a;
}

static void add_item(struct jb *b, cJSON *o, const char *k, cJSON *v)
{
	if (!v || !cJSON_AddItemToObject(o, k, v))
		b->failed = 1;
}

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

static cJSON *host_object(struct jb *b)
{
	cJSON *h = chk(b, cJSON_CreateObject());
	struct utsname u;
	struct machine m;
	char os[128];
	int have_u = uname(&u) == 0;

	if (!h)
		return NULL;
	topo_machine(&m);
	add_str(b, h, "hostname", have_u ? u.nodename : NULL);
	add_str(b, h, "os", os_pretty_name(os, sizeof(os)) ? os : (have_u ? u.sysname : NULL));
	add_str(b, h, "kernel", have_u ? u.release : NULL);
	add_str(b, h, "arch", have_u ? u.machine : NULL);
	add_str(b, h, "cpu_model", topo_cpu_model());
	add_num(b, h, "cores", topo_cores());
	add_num(b, h, "pus", topo_pus());
	add_num(b, h, "numa_nodes", topo_numa_nodes());
	add_num(b, h, "llc_bytes", m.llc_bytes ? (double)m.llc_bytes : NAN);
	add_num(b, h, "memory_bytes", m.mem_bytes ? (double)m.mem_bytes : NAN);
	add_str(b, h, "compiler", __VERSION__);
	add_str(b, h, "cflags", CB_CFLAGS);
	return h;
}

static void add_int_or_null(struct jb *b, cJSON *o, const char *k, int v)
{
	add_num(b, o, k, v < 0 ? NAN : v);
}

static void add_bool_or_null(struct jb *b, cJSON *o, const char *k, int v)
{
	if (v < 0)
		chk(b, cJSON_AddNullToObject(o, k));
	else
		chk(b, cJSON_AddBoolToObject(o, k, v));
}

/* What MEASUREMENT.md asks to record about the machine: null where unavailable. */
static void add_host_facts(struct jb *b, cJSON *h, const struct run_set *rs)
{
	const struct host_facts *f = &rs->facts;
	char aff[1024];
	double steal = host_steal_fraction(&rs->snap_start, &rs->snap_end);

	add_bool_or_null(b, h, "virtualized", f->virtualized);
	add_str(b, h, "hypervisor", f->hypervisor);
	add_str(b, h, "cpufreq_driver", f->cpufreq_driver);
	add_str(b, h, "governor", f->governor);
	add_bool_or_null(b, h, "boost", f->boost);
	add_str(b, h, "cpuidle_driver", f->cpuidle_driver);
	add_str(b, h, "cpuidle_governor", f->cpuidle_governor);
	add_str(b, h, "smt_control", f->smt_control);
	add_bool_or_null(b, h, "smt_active", f->smt_active);
	add_str(b, h, "clocksource", f->clocksource);
	add_num(b, h, "clock_resolution_ns", f->clock_res_ns);
	add_num(b, h, "clock_gettime_ns", f->clock_cost_ns);
	add_str(b, h, "thp_enabled", f->thp_enabled);
	add_str(b, h, "thp_defrag", f->thp_defrag);
	add_int_or_null(b, h, "aslr", f->aslr);
	add_str(b, h, "cgroup_cpu_max", f->cgroup_cpu_max);
	add_str(b, h, "kernel_cmdline", f->kernel_cmdline);
	add_str(b, h, "affinity", topo_affinity_list(aff, sizeof(aff)) == 0 ? aff : NULL);
	add_num(b, h, "load_start", rs->snap_start.load1);
	add_num(b, h, "load_end", rs->snap_end.load1);
	add_num(b, h, "steal_fraction", steal);
	add_num(b, h, "context_switches",
		rs->snap_start.ok && rs->snap_end.ok ? (double)(rs->snap_end.ctxt - rs->snap_start.ctxt)
						     : NAN);
	add_num(b, h, "duration_s", rs->snap_end.t - rs->snap_start.t);
}

cJSON *report_params(const struct run_result *r)
{
	struct jb b = { 0 };
	cJSON *p = cJSON_CreateObject();
	if (!p)
		return NULL;
	add_num(&b, p, "size", (double)r->p.size);
	add_num(&b, p, "tasks", (double)r->p.tasks);
	for (size_t j = 0; j < r->wl->noptions; j++) {
		const struct wl_option *o = &r->wl->options[j];
		if (o->kind == WLO_CHOICE)
			add_str(&b, p, o->name, o->choices[r->p.opt[j]]);
		else
			add_num(&b, p, o->name, (double)r->p.opt[j] * 1e-9);
	}
	add_str(&b, p, "scaling", r->weak ? "weak" : "strong");
	add_str(&b, p, "schedule", r->dynamic ? "dynamic" : "static");
	if (b.failed) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

static cJSON *run_object(struct jb *b, const struct run_result *r)
{
	cJSON *o = chk(b, cJSON_CreateObject());
	char hex[24];
	double mid = (double)r->st.median;

	if (!o)
		return NULL;
	add_str(b, o, "workload", r->wl->name);
	add_item(b, o, "params", report_params(r));
	add_str(b, o, "executor", r->ex->name);
	add_num(b, o, "workers", r->workers);
	add_str(b, o, "binding", bind_policy_name(r->bind));
	add_item(b, o, "planned_cpus", r->bind == BIND_NONE ? chk(b, cJSON_CreateNull()) :
		 int_array(b, r->planned, r->workers));
	add_item(b, o, "cpus", int_array(b, r->cpus, r->ncpus));
	add_num(b, o, "strayed_samples", r->strayed);
	add_num(b, o, "tasks", (double)r->ntasks);
	add_num(b, o, "warmup", r->warmup);
	add_num(b, o, "repetitions", r->nsamples);
	add_item(b, o, "samples_s", num_array(b, r->samples, r->nsamples));
	add_num(b, o, "start_skew_s", stats_median(r->skews, r->nsamples));
	{
		cJSON *ws = chk(b, cJSON_CreateArray());
		for (unsigned i = 0; ws && i < r->nsamples; i++) {
			cJSON *row = num_array(b, r->worker_s + (size_t)i * r->workers, r->workers);
			if (row)
				cJSON_AddItemToArray(ws, row);
		}
		add_item(b, o, "worker_s", ws);
	}
	add_num(b, o, "median_s", mid);
	add_num(b, o, "mean_s", r->st.mean);
	add_num(b, o, "stddev_s", r->st.stddev);
	add_num(b, o, "min_s", r->st.min);
	add_num(b, o, "max_s", r->st.max);
	add_num(b, o, "p10_s", r->st.p10);
	add_num(b, o, "p90_s", r->st.p90);
	if (r->st.has_ci) {
		double ci[2] = { r->st.ci_lo, r->st.ci_hi };
		add_item(b, o, "ci95_s", num_array(b, ci, 2));
		add_num(b, o, "ci95_level", r->st.ci_level);
		add_str(b, o, "ci95_method", "exact binomial order statistics of the median");
	} else {
		chk(b, cJSON_AddNullToObject(o, "ci95_s"));
		add_str(b, o, "ci95_reason", "fewer than 6 samples: no exact 95% interval exists");
	}
	add_num(b, o, "cv", r->st.cv);
	add_num(b, o, "outliers", (double)r->noutliers);
	{
		cJSON *idx = chk(b, cJSON_CreateArray());
		for (size_t i = 0; idx && i < r->noutliers; i++) {
			cJSON *x = chk(b, cJSON_CreateNumber((double)r->outlier_idx[i]));
			if (x)
				cJSON_AddItemToArray(idx, x);
		}
		add_item(b, o, "outlier_indices", idx);
	}
	chk(b, cJSON_AddBoolToObject(o, "first_sample_slow", r->first_slow));
	add_str(b, o, "stop_reason", r->stop_reason);
	add_num(b, o, "speedup", r->speedup);
	if (isfinite(r->speedup_lo)) {
		double ci[2] = { r->speedup_lo, r->speedup_hi };
		add_item(b, o, "speedup_ci95", num_array(b, ci, 2));
	} else {
		chk(b, cJSON_AddNullToObject(o, "speedup_ci95"));
	}
	add_num(b, o, "efficiency", r->efficiency);
	add_num(b, o, "karp_flatt", r->karp_flatt);
	if (isfinite(r->kf_lo)) {
		double ci[2] = { r->kf_lo, r->kf_hi };
		add_item(b, o, "karp_flatt_ci95", num_array(b, ci, 2));
	} else {
		chk(b, cJSON_AddNullToObject(o, "karp_flatt_ci95"));
	}
	add_num(b, o, "cpu_utilization", r->cpu_util);
	add_num(b, o, "startup_s", r->startup_s);
	add_item(b, o, "startup_samples_s", num_array(b, r->startups, r->nstartups));
	{
		cJSON *t = chk(b, cJSON_CreateObject());
		char unit[32];
		if (t) {
			cb_fmt(unit, sizeof(unit), "%s/s", r->unit);
			add_num(b, t, "value", mid > 0 ? (double)r->items / mid : NAN);
			add_str(b, t, "unit", unit);
		}
		add_item(b, o, "throughput", t);
	}
	{
		cJSON *u = chk(b, cJSON_CreateObject());
		double n = r->nsamples ? r->nsamples : 1;
		if (u) {
			/* Per repetition (totals over the workers), so runs of different lengths compare. */
			add_num(b, u, "user_s", r->ru.user_s / n);
			add_num(b, u, "sys_s", r->ru.sys_s / n);
			add_num(b, u, "vcsw", (double)r->ru.vcsw / n);
			add_num(b, u, "ivcsw", (double)r->ru.ivcsw / n);
			add_num(b, u, "minflt", (double)r->ru.minflt / n);
			add_num(b, u, "majflt", (double)r->ru.majflt / n);
			add_num(b, u, "maxrss_kb", (double)r->ru.maxrss_kb);
			add_str(b, u, "per", "repetition, summed over workers");
		}
		add_item(b, o, "rusage", u);
	}
	cb_fmt(hex, sizeof(hex), "%016llx", (unsigned long long)r->checksum);
	add_str(b, o, "checksum", hex);
	chk(b, cJSON_AddBoolToObject(o, "verified", r->verified));
	return o;
}

cJSON *report_build(const struct config *c, const struct run_set *rs)
{
	struct jb b = { 0 };
	cJSON *doc = cJSON_CreateObject(), *cb, *argv, *runs, *warn;
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!doc)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	add_str(&b, doc, "schema", REPORT_SCHEMA);
	cb = chk(&b, cJSON_CreateObject());
	if (cb) {
		add_str(&b, cb, "version", CB_VERSION);
		add_str(&b, cb, "git", CB_GIT);
	}
	add_item(&b, doc, "concbench", cb);
	add_str(&b, doc, "created", created);
	argv = chk(&b, cJSON_CreateArray());
	for (int i = 0; argv && i < c->argc; i++) {
		cJSON *s = chk(&b, cJSON_CreateString(i == 0 ? "concbench" : c->argv[i]));
		if (s)
			cJSON_AddItemToArray(argv, s);
	}
	add_item(&b, doc, "argv", argv);
	{
		cJSON *h = host_object(&b);
		if (h && rs->have_facts)
			add_host_facts(&b, h, rs);
		add_item(&b, doc, "host", h);
	}
	{
		cJSON *bld = chk(&b, cJSON_CreateObject());
		char hv[32];
		topo_hwloc_version(hv, sizeof(hv));
		if (bld) {
			add_str(&b, bld, "compiler", __VERSION__);
			add_str(&b, bld, "cflags", CB_CFLAGS);
			add_str(&b, bld, "glibc", rs->have_facts ? rs->facts.glibc : NULL);
			add_str(&b, bld, "hwloc", hv);
			add_str(&b, bld, "cjson", cJSON_Version());
		}
		add_item(&b, doc, "build", bld);
	}
	{
		cJSON *ord = chk(&b, cJSON_CreateObject());
		if (ord) {
			add_num(&b, ord, "rounds", c->rounds);
			add_num(&b, ord, "seed", (double)rs->seed);
			add_str(&b, ord, "method", "every run visited once per round, rounds in a "
				"shuffled order (xorshift64*), seq included");
		}
		add_item(&b, doc, "order", ord);
	}
	{
		cJSON *t = chk(&b, cJSON_CreateObject());
		struct machine m;
		topo_machine(&m);
		if (t) {
			add_num(&b, t, "cores", topo_cores());
			add_num(&b, t, "pus", topo_pus());
			add_num(&b, t, "numa_nodes", topo_numa_nodes());
			add_num(&b, t, "llc_bytes", m.llc_bytes ? (double)m.llc_bytes : NAN);
		}
		add_item(&b, doc, "topology", t);
	}
	runs = chk(&b, cJSON_CreateArray());
	for (size_t i = 0; runs && i < rs->n; i++) {
		cJSON *r = run_object(&b, &rs->runs[i]);
		if (r)
			cJSON_AddItemToArray(runs, r);
	}
	add_item(&b, doc, "runs", runs);
	warn = chk(&b, cJSON_CreateArray());
	for (size_t i = 0; warn && i < rs->nwarnings; i++) {
		cJSON *s = chk(&b, cJSON_CreateString(rs->warnings[i]));
		if (s)
			cJSON_AddItemToArray(warn, s);
	}
	add_item(&b, doc, "warnings", warn);
	if (b.failed) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* mkstemp makes 0600; a report is an ordinary file: 0666 less the umask. */
static int chmod_as_created(const char *path)
{
	mode_t um = umask(0);
	umask(um);
	return chmod(path, 0666 & ~um);
}

int report_write(const cJSON *doc, const char *path)
{
	char *text = cJSON_Print(doc);
	char tmp[4200], dir[4096];
	size_t len;
	int fd, rc = 0;

	if (!text) {
		cb_error("%s: out of memory while printing the report", path);
		return -ENOMEM;
	}
	cb_fmt(dir, sizeof(dir), "%s", path);
	cb_fmt(tmp, sizeof(tmp), "%s/.concbench-report-XXXXXX", dirname(dir));
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		cb_error("--output: cannot write in the directory of '%s': %s", path, strerror(errno));
		free(text);
		return rc;
	}
	len = strlen(text);
	text[len] = '\n';   /* replaces the terminator; written with its length below */
	if (write(fd, text, len + 1) != (ssize_t)(len + 1) || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && chmod_as_created(tmp) < 0)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		cb_error("--output: cannot write '%s': %s", path, strerror(-rc));
	}
	free(text);
	return rc;
}

static int run_is_valid(const cJSON *r)
{
	static const char *const strs[] = { "workload", "executor" };
	static const char *const nums[] = { "workers", "median_s" };
	if (!cJSON_IsObject(r) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "samples_s")) ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "params")))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, strs[i])))
			return 0;
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++)
		if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, nums[i])))
			return 0;
	return 1;
}

cJSON *report_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0;
	cJSON *doc = NULL;
	const cJSON *schema, *runs, *r;
	size_t i = 0;

	if (!f) {
		cb_error("'%s': cannot open: %s", path, strerror(errno));
		return NULL;
	}
	text = malloc(REPORT_MAX_BYTES + 1);
	if (!text) {
		fclose(f);
		cb_error("'%s': out of memory", path);
		return NULL;
	}
	len = fread(text, 1, REPORT_MAX_BYTES + 1, f);
	if (ferror(f)) {
		cb_error("'%s': cannot read: %s", path, strerror(errno));
		goto fail;
	}
	if (len > REPORT_MAX_BYTES) {
		cb_error("'%s': larger than %u MiB: not a concbench report", path,
			 REPORT_MAX_BYTES >> 20);
		goto fail;
	}
	text[len] = 0;
	doc = cJSON_ParseWithLength(text, len);
	if (!doc) {
		cb_error("'%s': not valid JSON (truncated or corrupt) near byte %td", path,
			 cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : (ptrdiff_t)0);
		goto fail;
	}
	schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
	if (!cJSON_IsString(schema) || strncmp(schema->valuestring, "concbench-report/", 17) != 0) {
		cb_error("'%s': not a concbench report (schema '%s', expected '%s')", path,
			 cJSON_IsString(schema) ? schema->valuestring : "", REPORT_SCHEMA);
		goto fail;
	}
	if (strcmp(schema->valuestring, REPORT_SCHEMA) != 0) {
		cb_error("'%s': schema '%s' is newer than this concbench reads ('%s'); upgrade "
			 "concbench", path, schema->valuestring, REPORT_SCHEMA);
		goto fail;
	}
	runs = cJSON_GetObjectItemCaseSensitive(doc, "runs");
	if (!cJSON_IsArray(runs) || cJSON_GetArraySize(runs) < 1) {
		cb_error("'%s': the report has no runs", path);
		goto fail;
	}
	cJSON_ArrayForEach(r, runs) {
		if (!run_is_valid(r)) {
			cb_error("'%s': run %zu lacks workload, executor, workers, median_s, params or "
				 "samples_s", path, i);
			goto fail;
		}
		i++;
	}
	fclose(f);
	free(text);
	return doc;
fail:
	cJSON_Delete(doc);
	fclose(f);
	free(text);
	return NULL;
}
