/* SPDX-License-Identifier: MIT */
/* folklore: the threads-vs-processes table every tutorial carries, each row measured here.
 *
 * Every part is concbench itself (spawn, footprint, ipc, crash, contend, cpu/io --gil, cpu,
 * io, mem) run short, as a child: /proc/self/exe with an argv built here from fixed words
 * (never a shell), stdout to /dev/null, stderr to a file, its JSON document written to a
 * private temporary directory that is removed at the end, on failure and on Ctrl-C too.
 * Each document is read back with cJSON; a field that is missing or of the wrong type fails
 * the command (exit 3) naming the part and the field.
 *
 * The verdicts come from one table of rules, one per row (folklore_rules[]): "holds" only
 * when the 95% intervals lie apart in the direction the folklore says; "depends" when they
 * do under one condition (a size, a mechanism) and not under another; otherwise "does not
 * hold". The memory and crash rows judge exact counts (pages, results), not timings. */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/folklore.h"
#include "cmd/options.h"
#include "core/proc.h"
#include "core/sync.h"
#include "report/report.h"
#include "topo/topo.h"

#define FOLKLORE_SCHEMA "concbench-folklore/1"
#define FOLKLORE_MAX_ARGS 24
#define FOLKLORE_MAX_DOC (16u << 20)          /* a part's JSON document, at most */
#define FOLKLORE_STOP_GRACE_NS (10LL * 1000000000LL)   /* a stopped part's time to clean up */
/* memory: footprints are exact page counts of one reading, so the rule uses a margin
 * instead of an interval: a process pool "costs a copy" at start only when its PSS per
 * worker exceeds the thread pool's by more than this factor. */
#define FOLKLORE_MEM_MARGIN 1.25

/* A part: its name and the words after "concbench", by default and with --quick; the
 * command adds "--format json --output FILE". */
struct folklore_partdef {
	const char *name;
	const char *args[FOLKLORE_MAX_ARGS];
	const char *quick[FOLKLORE_MAX_ARGS];
};

static const struct folklore_partdef folklore_parts[P_NPARTS] = {
	[P_SPAWN] = { "spawn", { "spawn", "--rss", "0,64M", "-r", "10", "--warmup", "2" },
		      { "spawn", "--rss", "0,4M", "-r", "6", "--warmup", "1" } },
	[P_FOOTPRINT] = { "footprint", { "footprint", "-e", "thread,fork", "--size", "32M" },
			  { "footprint", "-e", "thread,fork", "--size", "4M" } },
	[P_IPC] = { "ipc", { "ipc", "--sizes", "64", "-r", "7" },
		    { "ipc", "--sizes", "64", "-r", "6" } },
	[P_CRASH] = { "crash", { "crash", "-e", "thread,fork", "--tries", "6" },
		      { "crash", "-e", "thread,fork", "--tries", "6" } },
	[P_CONTEND] = { "contend", { "contend", "-e", "thread,fork", "--layouts", "packed,padded",
				     "--increments", "1000000", "-r", "10" },
			{ "contend", "-e", "thread,fork", "--layouts", "packed,padded",
			  "--increments", "100000", "-r", "6" } },
	[P_GIL_CPU] = { "cpu --gil", { "cpu", "-e", "thread", "--gil", "-w", "2", "-s", "20M",
				       "-r", "10" },
			{ "cpu", "-e", "thread", "--gil", "-w", "2", "-s", "2M", "-r", "10" } },
	[P_GIL_IO] = { "io --gil", { "io", "-e", "thread", "--gil", "-w", "2", "--duration", "2ms",
				     "-r", "10" },
		       { "io", "-e", "thread", "--gil", "-w", "2", "--duration", "1ms", "--tasks",
			 "8", "-r", "10" } },
	[P_CPU] = { "cpu", { "cpu", "-e", "thread,fork", "-w", "max", "-s", "20M", "-r", "10" },
		    { "cpu", "-e", "thread,fork", "-w", "max", "-s", "2M", "-r", "10" } },
	[P_IO] = { "io", { "io", "-e", "thread,fork", "-w", "max", "--duration", "2ms", "-r", "10" },
		   { "io", "-e", "thread,fork", "-w", "max", "--duration", "1ms", "--tasks", "8",
		     "-r", "10" } },
	[P_MEM] = { "mem", { "mem", "-e", "thread,fork", "-w", "max", "-s", "32M", "-r", "10" },
		    { "mem", "-e", "thread,fork", "-w", "max", "-s", "4M", "-r", "10" } },
};

/* One measured number: {value, unit, ci95: [lo, hi] or null}; what: which mechanism or
 * executor it is, when the row picked one. */
struct folklore_num {
	const char *name, *unit;
	double v, lo, hi;             /* lo, hi: NAN when there is no interval */
	char what[48];
};

#define FOLKLORE_MAX_NUMS 8
struct folklore_row {
	const struct folklore_rule *rule;
	struct folklore_num num[FOLKLORE_MAX_NUMS];
	size_t n;
	const char *verdict;          /* holds, does not hold, depends */
	char cond[160];               /* depends: the condition; "" otherwise */
	char why[480];
};

/* What the command ran: each part's argv and document. */
struct folklore_run {
	char dir[4096];
	char store[P_NPARTS][1024];   /* each part's argv words, NUL-separated */
	char *argv[P_NPARTS][FOLKLORE_MAX_ARGS + 6];
	double wall[P_NPARTS];
	cJSON *doc[P_NPARTS];
};

/* The failure of a judge: which part's document and what is wrong with it. */
struct folklore_err {
	char msg[512];
};

static int folklore_bad(struct folklore_err *e, int part, const char *what)
{
	cb_fmt(e->msg, sizeof(e->msg), "part %s: its JSON document has %s",
	       folklore_parts[part].name, what);
	return -EINVAL;
}

/* Member k of o as a number (required). */
static int folklore_number(const cJSON *o, const char *k, double *v, int part,
			   struct folklore_err *e)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	char what[96];
	if (!cJSON_IsNumber(x)) {
		cb_fmt(what, sizeof(what), "no number '%s'", k);
		return folklore_bad(e, part, what);
	}
	*v = x->valuedouble;
	return 0;
}

/* Member k of o as an interval: [lo, hi], or null (NAN, NAN). */
static int folklore_interval(const cJSON *o, const char *k, double *lo, double *hi, int part,
			     struct folklore_err *e)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	char what[96];
	*lo = *hi = NAN;
	if (cJSON_IsNull(x))
		return 0;
	if (cJSON_IsArray(x) && cJSON_GetArraySize(x) == 2 &&
	    cJSON_IsNumber(cJSON_GetArrayItem(x, 0)) && cJSON_IsNumber(cJSON_GetArrayItem(x, 1))) {
		*lo = cJSON_GetArrayItem(x, 0)->valuedouble;
		*hi = cJSON_GetArrayItem(x, 1)->valuedouble;
		return 0;
	}
	cb_fmt(what, sizeof(what), "no interval '%s' ([lo, hi] or null)", k);
	return folklore_bad(e, part, what);
}

/* Member k of o as an array of objects (required). */
static const cJSON *folklore_array(const cJSON *o, const char *k, int part,
				   struct folklore_err *e)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k), *it;
	char what[96];
	if (cJSON_IsArray(x)) {
		cJSON_ArrayForEach(it, x)
			if (!cJSON_IsObject(it))
				break;
		if (!it)
			return x;
	}
	cb_fmt(what, sizeof(what), "no array of objects '%s'", k);
	folklore_bad(e, part, what);
	return NULL;
}

/* Member k of o as a string (required); NULL after the message. */
static const char *folklore_string(const cJSON *o, const char *k, int part,
				   struct folklore_err *e)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	char what[96];
	if (cJSON_IsString(x) && x->valuestring)
		return x->valuestring;
	cb_fmt(what, sizeof(what), "no string '%s'", k);
	folklore_bad(e, part, what);
	return NULL;
}

/* Members k1 and k2 of o as strings (both required). */
static int folklore_strings(const cJSON *o, const char *k1, const char *k2, const char **a,
			    const char **b, int part, struct folklore_err *e)
{
	*a = folklore_string(o, k1, part, e);
	*b = *a ? folklore_string(o, k2, part, e) : NULL;
	return *b ? 0 : -EINVAL;
}

static struct folklore_num *folklore_add(struct folklore_row *r, const char *name,
					 const char *unit, double v, double lo, double hi)
{
	struct folklore_num *n = &r->num[r->n < FOLKLORE_MAX_NUMS ? r->n++ : FOLKLORE_MAX_NUMS - 1];
	n->name = name;
	n->unit = unit;
	n->v = v;
	n->lo = lo;
	n->hi = hi;
	n->what[0] = 0;
	return n;
}

/* Where interval a lies against interval b: below it, above it, overlapping, or unknown
 * (one has no interval). A value with no spread (lo == hi == v) is its own interval. */
enum folklore_order { FK_BELOW = -1, FK_OVERLAP = 0, FK_ABOVE = 1, FK_UNKNOWN = 2 };

static enum folklore_order folklore_cmp(double alo, double ahi, double blo, double bhi)
{
	if (!isfinite(alo) || !isfinite(ahi) || !isfinite(blo) || !isfinite(bhi))
		return FK_UNKNOWN;
	if (ahi < blo)
		return FK_BELOW;
	if (alo > bhi)
		return FK_ABOVE;
	return FK_OVERLAP;
}

static enum folklore_order folklore_cmp_num(const struct folklore_num *a,
					    const struct folklore_num *b)
{
	return folklore_cmp(a->lo, a->hi, b->lo, b->hi);
}

/* The verdict of a rule: holds, else depends (on cond), else does not hold. */
static void folklore_decide(struct folklore_row *r, int holds, int depends, const char *cond)
{
	r->verdict = holds ? "holds" : depends ? "depends" : "does not hold";
	cb_fmt(r->cond, sizeof(r->cond), "%s", !holds && depends ? cond : "");
}

/* A median and its interval: the members median_s and ci95_s of o. */
static int folklore_timing(const cJSON *o, double *v, double *lo, double *hi, int part,
			   struct folklore_err *e)
{
	if (folklore_number(o, "median_s", v, part, e) < 0)
		return -EINVAL;
	return folklore_interval(o, "ci95_s", lo, hi, part, e);
}

/* creation: pthread_create+join against fork+wait at the smallest and the largest --rss. */
static int judge_creation(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	const cJSON *res = folklore_array(doc[P_SPAWN], "results", P_SPAWN, e), *it;
	double rmin = INFINITY, rmax = -INFINITY, v[4], lo[4], hi[4], rss;
	int found[4] = { 0 }, ok[2];
	char mib[32], gr[48];
	struct folklore_num *n[4];

	if (!res)
		return -EINVAL;
	cJSON_ArrayForEach(it, res) {
		if (folklore_number(it, "rss_bytes", &rss, P_SPAWN, e) < 0)
			return -EINVAL;
		rmin = fmin(rmin, rss);
		rmax = fmax(rmax, rss);
	}
	cJSON_ArrayForEach(it, res) {
		const char *m = folklore_string(it, "mechanism", P_SPAWN, e);
		int k;
		if (!m || folklore_number(it, "rss_bytes", &rss, P_SPAWN, e) < 0)
			return -EINVAL;
		k = strcmp(m, "pthread_create+join") == 0 ? 0 : strcmp(m, "fork+wait") == 0 ? 1 : -1;
		if (k < 0 || (rss != rmin && rss != rmax))
			continue;
		k += rss == rmax && rmax != rmin ? 2 : 0;
		if (folklore_timing(it, &v[k], &lo[k], &hi[k], P_SPAWN, e) < 0)
			return -EINVAL;
		found[k] = 1;
		if (rmax == rmin) {
			v[k + 2] = v[k], lo[k + 2] = lo[k], hi[k + 2] = hi[k];
			found[k + 2] = 1;
		}
	}
	if (!found[0] || !found[1] || !found[2] || !found[3])
		return folklore_bad(e, P_SPAWN, "no pthread_create+join or fork+wait result at "
				    "each --rss");
	n[0] = folklore_add(r, "thread_small_rss", "s", v[0], lo[0], hi[0]);
	n[1] = folklore_add(r, "fork_small_rss", "s", v[1], lo[1], hi[1]);
	n[2] = folklore_add(r, "thread_large_rss", "s", v[2], lo[2], hi[2]);
	n[3] = folklore_add(r, "fork_large_rss", "s", v[3], lo[3], hi[3]);
	folklore_add(r, "large_rss", "bytes", rmax, NAN, NAN);
	folklore_add(r, "fork_growth", "x", v[1] > 0 ? v[3] / v[1] : NAN, NAN, NAN);
	ok[0] = folklore_cmp_num(n[1], n[0]) == FK_ABOVE;
	ok[1] = folklore_cmp_num(n[3], n[2]) == FK_ABOVE;
	cb_fmt(mib, sizeof(mib), "%.0f MiB", rmax / (1024.0 * 1024.0));
	cb_fmt(gr, sizeof(gr), "%.2fx", v[1] > 0 ? v[3] / v[1] : NAN);
	folklore_decide(r, ok[0] && ok[1], ok[0] || ok[1],
			ok[1] ? "fork is dearer only with memory resident in the parent" :
			"fork is dearer only with little memory resident in the parent");
	cb_fmt(r->why, sizeof(r->why), "fork+wait costs %.1fx pthread_create+join with %.0f MiB "
	       "resident (intervals %s) and %.1fx with %s (intervals %s); fork grows %s from the "
	       "one to the other: it copies the page tables", v[1] / v[0],
	       rmin / (1024.0 * 1024.0), ok[0] ? "apart" : "not apart", v[3] / v[2], mib,
	       ok[1] ? "apart" : "not apart", gr);
	return 0;
}

/* One pool of footprint's document: PSS per worker at start and the growth of its PSS. */
static int footprint_pool(const cJSON *doc, const char *name, double *start, double *growth,
			  struct folklore_err *e)
{
	const cJSON *ex = folklore_array(doc, "executors", P_FOOTPRINT, e), *it;
	if (!ex)
		return -EINVAL;
	cJSON_ArrayForEach(it, ex) {
		const char *x = folklore_string(it, "executor", P_FOOTPRINT, e);
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(it, "started");
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(it, "growth");
		if (!x)
			return -EINVAL;
		if (strcmp(x, name) != 0)
			continue;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "available")) ||
		    !cJSON_IsObject(s) || !cJSON_IsObject(g))
			return folklore_bad(e, P_FOOTPRINT, "a pool without 'started' and 'growth' "
					    "readings");
		if (folklore_number(s, "pss_per_worker_kib", start, P_FOOTPRINT, e) < 0 ||
		    folklore_number(g, "pss_kib", growth, P_FOOTPRINT, e) < 0)
			return -EINVAL;
		return 0;
	}
	return folklore_bad(e, P_FOOTPRINT, name[0] == 't' ? "no thread pool" : "no fork pool");
}

/* memory: PSS per worker of the thread and fork pools, and fork's copy-on-write growth. */
static int judge_memory(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	double ts, tg, fs, fg, size;
	if (footprint_pool(doc[P_FOOTPRINT], "thread", &ts, &tg, e) < 0 ||
	    footprint_pool(doc[P_FOOTPRINT], "fork", &fs, &fg, e) < 0 ||
	    folklore_number(doc[P_FOOTPRINT], "size_bytes", &size, P_FOOTPRINT, e) < 0)
		return -EINVAL;
	size /= 1024;
	folklore_add(r, "thread_pss_per_worker", "KiB", ts, NAN, NAN);
	folklore_add(r, "fork_pss_per_worker", "KiB", fs, NAN, NAN);
	folklore_add(r, "written", "KiB", size, NAN, NAN);
	folklore_add(r, "thread_growth", "KiB", tg, NAN, NAN);
	folklore_add(r, "fork_cow_growth", "KiB", fg, NAN, NAN);
	folklore_decide(r, fs > FOLKLORE_MEM_MARGIN * ts, fg >= size / 2,
			"a process costs memory only for the pages it writes (copy-on-write)");
	cb_fmt(r->why, sizeof(r->why), "at start a fork worker's PSS is %.0f KiB against a "
	       "thread's %.0f KiB; once the workers wrote the parent's %.0f KiB, fork's PSS grew "
	       "%.0f KiB and the threads' %.0f KiB", fs, ts, size, fg, tg);
	return 0;
}

/* communication: the fastest thread mechanism against the fastest process mechanism, and
 * against the fastest one through the kernel (pipe, socketpair, mqueue). */
static int judge_communication(cJSON *const *doc, struct folklore_row *r,
			       struct folklore_err *e)
{
	const cJSON *res = folklore_array(doc[P_IPC], "results", P_IPC, e), *it;
	struct folklore_num best[3] = { { .v = INFINITY }, { .v = INFINITY }, { .v = INFINITY } };
	static const char *const names[3] = { "threads_fastest", "processes_fastest",
					      "processes_kernel_fastest" };
	enum folklore_order vs_all, vs_kernel;

	if (!res)
		return -EINVAL;
	cJSON_ArrayForEach(it, res) {
		const char *m, *w;
		double v, lo, hi;
		int k;
		if (folklore_strings(it, "mechanism", "workers", &m, &w, P_IPC, e) < 0)
			return -EINVAL;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "available")))
			continue;
		if (folklore_timing(it, &v, &lo, &hi, P_IPC, e) < 0)
			return -EINVAL;
		k = strcmp(w, "threads") == 0 ? 0 : 1;
		for (int pass = 0; pass < 2; pass++, k = 2) {
			if (pass && (k == 0 || !(strcmp(m, "pipe") == 0 ||
						 strcmp(m, "socketpair") == 0 ||
						 strcmp(m, "mqueue") == 0)))
				break;
			if (v < best[k].v) {
				best[k].v = v, best[k].lo = lo, best[k].hi = hi;
				cb_fmt(best[k].what, sizeof(best[k].what), "%s", m);
			}
			if (k == 0)
				break;
		}
	}
	for (int k = 0; k < 3; k++) {
		struct folklore_num *n;
		if (!isfinite(best[k].v))
			return folklore_bad(e, P_IPC, k == 0 ? "no thread mechanism" :
					    "no process mechanism through the kernel");
		n = folklore_add(r, names[k], "s", best[k].v, best[k].lo, best[k].hi);
		memcpy(n->what, best[k].what, sizeof(n->what));
	}
	vs_all = folklore_cmp_num(&r->num[0], &r->num[1]);
	vs_kernel = folklore_cmp_num(&r->num[0], &r->num[2]);
	folklore_decide(r, vs_all == FK_BELOW, vs_kernel == FK_BELOW,
			"against pipes, sockets and queues; not against shared memory between "
			"processes");
	cb_fmt(r->why, sizeof(r->why), "round trip of a 64 B message: threads' %s against "
	       "processes' %s (%.1fx, intervals %s) and their %s through the kernel (%.1fx, "
	       "intervals %s)", r->num[0].what, r->num[1].what, r->num[1].v / r->num[0].v,
	       vs_all == FK_BELOW ? "apart" : "not apart", r->num[2].what,
	       r->num[2].v / r->num[0].v, vs_kernel == FK_BELOW ? "apart" : "not apart");
	return 0;
}

/* One executor of crash's document. */
static const cJSON *crash_entry(const cJSON *doc, const char *name, struct folklore_err *e)
{
	const cJSON *ex = folklore_array(doc, "executors", P_CRASH, e), *it;
	if (!ex)
		return NULL;
	cJSON_ArrayForEach(it, ex) {
		const char *x = folklore_string(it, "executor", P_CRASH, e);
		if (!x)
			return NULL;
		if (strcmp(x, name) == 0)
			return it;
	}
	folklore_bad(e, P_CRASH, name[0] == 't' ? "no thread executor" : "no fork executor");
	return NULL;
}

/* fault isolation: what the thread pool and the fork pool kept after one SIGSEGV. */
static int judge_isolation(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	const cJSON *t = crash_entry(doc[P_CRASH], "thread", e), *f, *d, *rec;
	double ts, tt, fsv, ft, v[2], lo[2], hi[2];
	int tlive, flive;

	f = t ? crash_entry(doc[P_CRASH], "fork", e) : NULL;
	if (!f || folklore_number(t, "tasks_survived", &ts, P_CRASH, e) < 0 ||
	    folklore_number(t, "tasks_total", &tt, P_CRASH, e) < 0 ||
	    folklore_number(f, "tasks_survived", &fsv, P_CRASH, e) < 0 ||
	    folklore_number(f, "tasks_total", &ft, P_CRASH, e) < 0)
		return -EINVAL;
	d = cJSON_GetObjectItemCaseSensitive(f, "detect");
	rec = cJSON_GetObjectItemCaseSensitive(f, "recover");
	if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(t, "process_survived")) ||
	    !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(f, "process_survived")) ||
	    !cJSON_IsObject(d) || !cJSON_IsObject(rec))
		return folklore_bad(e, P_CRASH, "no 'process_survived', 'detect' or 'recover' of "
				    "the fork pool");
	if (folklore_timing(d, &v[0], &lo[0], &hi[0], P_CRASH, e) < 0 ||
	    folklore_timing(rec, &v[1], &lo[1], &hi[1], P_CRASH, e) < 0)
		return -EINVAL;
	tlive = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "process_survived"));
	flive = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "process_survived"));
	folklore_add(r, "thread_results_kept", "results", ts, NAN, NAN);
	folklore_add(r, "fork_results_kept", "results", fsv, NAN, NAN);
	folklore_add(r, "results", "results", ft, NAN, NAN);
	folklore_add(r, "fork_detect", "s", v[0], lo[0], hi[0]);
	folklore_add(r, "fork_recover", "s", v[1], lo[1], hi[1]);
	folklore_decide(r, !tlive && ts == 0 && flive && fsv > 0 && fsv < ft, 0, NULL);
	cb_fmt(r->why, sizeof(r->why), "one real SIGSEGV: the thread pool's process %s with "
	       "%.0f of %.0f results; the fork pool %s with %.0f of %.0f, replaced the worker and "
	       "ran the lost task again", tlive ? "lived" : "died", ts, tt,
	       flive ? "lived" : "died", fsv, ft);
	return 0;
}

/* The packed layout's slowdown against padded, of executor name. */
static int contend_slowdown(const cJSON *doc, const char *name, struct folklore_row *r,
			    const char *key, struct folklore_err *e)
{
	const cJSON *res = folklore_array(doc, "results", P_CONTEND, e), *it;
	if (!res)
		return -EINVAL;
	cJSON_ArrayForEach(it, res) {
		const char *x, *l;
		double v, lo, hi;
		if (folklore_strings(it, "executor", "layout", &x, &l, P_CONTEND, e) < 0)
			return -EINVAL;
		if (strcmp(x, name) != 0 || strcmp(l, "packed") != 0)
			continue;
		if (folklore_number(it, "slowdown_vs_padded", &v, P_CONTEND, e) < 0 ||
		    folklore_interval(it, "slowdown_ci95", &lo, &hi, P_CONTEND, e) < 0)
			return -EINVAL;
		folklore_add(r, key, "x", v, lo, hi);
		return 0;
	}
	return folklore_bad(e, P_CONTEND, "no packed layout of each executor");
}

/* contention: packed against padded counters, threads sharing them, fork the control. */
static int judge_contention(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	enum folklore_order t, f;
	if (contend_slowdown(doc[P_CONTEND], "thread", r, "thread_packed_slowdown", e) < 0 ||
	    contend_slowdown(doc[P_CONTEND], "fork", r, "fork_packed_slowdown", e) < 0)
		return -EINVAL;
	t = folklore_cmp(r->num[0].lo, r->num[0].hi, 1, 1);
	f = folklore_cmp(r->num[1].lo, r->num[1].hi, 1, 1);
	folklore_decide(r, t == FK_ABOVE && f != FK_ABOVE, t == FK_ABOVE,
			"the control, fork, slows down too: not all of it is sharing");
	cb_fmt(r->why, sizeof(r->why), "counters packed in one cache line against padded: "
	       "threads %.2fx (interval %s 1), fork, which shares nothing, %.2fx (interval %s 1)",
	       r->num[0].v, t == FK_ABOVE ? "above" : t == FK_UNKNOWN ? "unknown against" :
	       "not above", r->num[1].v, f == FK_ABOVE ? "above" : f == FK_UNKNOWN ?
	       "unknown against" : "not above");
	return 0;
}

/* The speedup of executor ex in a run report: at 2 workers, or at the most (max). */
static int run_speedup(const cJSON *doc, int part, const char *ex, int at_two,
		       struct folklore_row *r, const char *key, struct folklore_err *e)
{
	const cJSON *runs = folklore_array(doc, "runs", part, e), *it, *pick = NULL;
	double most = -1, w, v, lo, hi;
	if (!runs)
		return -EINVAL;
	cJSON_ArrayForEach(it, runs) {
		const char *x = folklore_string(it, "executor", part, e);
		if (!x || folklore_number(it, "workers", &w, part, e) < 0)
			return -EINVAL;
		if (strcmp(x, ex) != 0 || (at_two && w != 2) || w <= most)
			continue;
		most = w;
		pick = it;
	}
	if (!pick) {
		char what[96];
		cb_fmt(what, sizeof(what), "no %s run%s", ex, at_two ? " at 2 workers" : "");
		return folklore_bad(e, part, what);
	}
	if (folklore_number(pick, "speedup", &v, part, e) < 0 ||
	    folklore_interval(pick, "speedup_ci95", &lo, &hi, part, e) < 0)
		return -EINVAL;
	cb_fmt(folklore_add(r, key, "x", v, lo, hi)->what, sizeof(r->num[0].what),
	       "%s at %.0f workers", ex, most);
	return 0;
}

/* GIL: CPU-bound and I/O-bound thread speedups at 2 workers under --gil. */
static int judge_gil(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	enum folklore_order io_cpu, cpu1, io1;
	if (run_speedup(doc[P_GIL_CPU], P_GIL_CPU, "thread", 1, r, "cpu_thread_gil_speedup", e) < 0 ||
	    run_speedup(doc[P_GIL_IO], P_GIL_IO, "thread", 1, r, "io_thread_gil_speedup", e) < 0)
		return -EINVAL;
	io_cpu = folklore_cmp_num(&r->num[1], &r->num[0]);
	cpu1 = folklore_cmp(r->num[0].lo, r->num[0].hi, 1, 1);
	io1 = folklore_cmp(r->num[1].lo, r->num[1].hi, 1, 1);
	folklore_decide(r, io_cpu == FK_ABOVE && io1 == FK_ABOVE && cpu1 != FK_ABOVE,
			io_cpu == FK_ABOVE && io1 == FK_ABOVE,
			"CPU-bound threads still gain a little under the lock");
	cb_fmt(r->why, sizeof(r->why), "2 threads under one lock: CPU-bound %.2fx, I/O-bound "
	       "%.2fx (the lock is let go around the blocking call); I/O's interval %s CPU's",
	       r->num[0].v, r->num[1].v, io_cpu == FK_ABOVE ? "lies above" : "does not lie above");
	return 0;
}

/* cpu, io, mem: thread against fork at the most workers. */
static int judge_speedup(cJSON *const *doc, int part, struct folklore_row *r,
			 struct folklore_err *e)
{
	enum folklore_order o;
	if (run_speedup(doc[part], part, "thread", 0, r, "thread_speedup", e) < 0 ||
	    run_speedup(doc[part], part, "fork", 0, r, "fork_speedup", e) < 0)
		return -EINVAL;
	o = folklore_cmp_num(&r->num[0], &r->num[1]);
	folklore_decide(r, o == FK_ABOVE, 0, NULL);
	cb_fmt(r->why, sizeof(r->why), "%s: threads %.2fx, fork %.2fx; the intervals %s",
	       r->num[0].what, r->num[0].v, r->num[1].v, o == FK_ABOVE ? "put threads ahead" :
	       o == FK_BELOW ? "put fork ahead" : o == FK_OVERLAP ? "overlap: indistinguishable" :
	       "are missing (too few samples)");
	return 0;
}

static int judge_cpu(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	return judge_speedup(doc, P_CPU, r, e);
}

static int judge_io(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	return judge_speedup(doc, P_IO, r, e);
}

static int judge_mem(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e)
{
	return judge_speedup(doc, P_MEM, r, e);
}

/* The rules, one per row: what the folklore says, the rule as the documents state it, and
 * the judge that applies it. */
struct folklore_rule {
	const char *aspect, *threads, *processes, *rule;
	int (*judge)(cJSON *const *doc, struct folklore_row *r, struct folklore_err *e);
};

static const struct folklore_rule folklore_rules[] = {
	{ "creation", "cheap to create", "cost more to create",
	  "holds when fork+wait's interval lies above pthread_create+join's at both the smallest "
	  "and the largest --rss; depends when at one only", judge_creation },
	{ "memory", "share one address space: a worker costs little",
	  "separate memory: each worker costs a copy",
	  "holds when a fork worker's PSS at start exceeds a thread's by over 25%; depends when "
	  "it does not but fork's PSS grows by half the written size or more once written "
	  "(copy-on-write); page counts, no intervals", judge_memory },
	{ "communication", "share memory: talking is cheap",
	  "need IPC (pipes, queues): talking costs more",
	  "holds when the fastest thread mechanism's round-trip interval lies below the fastest "
	  "process mechanism's; depends when below only the fastest through the kernel (pipe, "
	  "socketpair, mqueue)", judge_communication },
	{ "fault isolation", "one thread's crash takes down all",
	  "a crash loses one process, the rest survive",
	  "holds when the thread pool's process died with no result and the fork pool lived "
	  "with some but not all of its results (counts)", judge_isolation },
	{ "contention", "suffer false sharing on a shared cache line",
	  "share nothing: no false sharing",
	  "holds when threads' packed/padded slowdown interval lies above 1 and fork's (the "
	  "control) does not; depends when both do", judge_contention },
	{ "GIL", "CPU-bound threads do not scale under an interpreter lock, I/O-bound ones do",
	  "no shared lock: both scale (see cpu and io)",
	  "holds when the I/O speedup interval at 2 threads lies above 1 and above CPU's, and "
	  "CPU's does not lie above 1; depends when CPU's does", judge_gil },
	{ "cpu-bound speedup", "lighter, so faster", "heavier, so slower",
	  "holds when thread's speedup interval at the most workers lies above fork's",
	  judge_cpu },
	{ "io-bound speedup", "lighter, so faster", "heavier, so slower",
	  "holds when thread's speedup interval at the most workers lies above fork's",
	  judge_io },
	{ "memory-bound speedup", "lighter, so faster", "heavier, so slower",
	  "holds when thread's speedup interval at the most workers lies above fork's",
	  judge_mem },
};
#define FOLKLORE_NROWS (sizeof(folklore_rules) / sizeof(folklore_rules[0]))

size_t folklore_nrows(void)
{
	return FOLKLORE_NROWS;
}

int folklore_judge(size_t row, cJSON *const *doc, struct folklore_verdict *v)
{
	struct folklore_row r;
	struct folklore_err e = { { 0 } };
	memset(&r, 0, sizeof(r));
	memset(v, 0, sizeof(*v));
	if (row >= FOLKLORE_NROWS)
		return -EINVAL;
	r.rule = &folklore_rules[row];
	v->aspect = r.rule->aspect;
	if (r.rule->judge(doc, &r, &e) < 0) {
		cb_fmt(v->msg, sizeof(v->msg), "%s", e.msg);
		return -EINVAL;
	}
	v->verdict = r.verdict;
	cb_fmt(v->cond, sizeof(v->cond), "%s", r.cond);
	return 0;
}

static double folklore_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Remove the private directory: the files the parts left, then itself. */
static void folklore_rmdir(const char *dir)
{
	DIR *d;
	struct dirent *de;
	if (!dir[0])
		return;
	d = opendir(dir);
	if (d) {
		int fd = dirfd(d);
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				unlinkat(fd, de->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

/* Copy word w to *s (with its NUL) and return where it starts; NULL when it does not fit. */
static char *folklore_word(char **s, const char *end, const char *w)
{
	size_t n = strlen(w) + 1;
	char *at = *s;
	if (n > (size_t)(end - *s))
		return NULL;
	memcpy(at, w, n);
	*s += n;
	return at;
}

/* The argv of part p: concbench, its words, then --format json --output DIR/P.json. */
static int folklore_argv(struct folklore_run *x, int p, int quick)
{
	const char *const *w = quick ? folklore_parts[p].quick : folklore_parts[p].args;
	char *s = x->store[p];
	const char *end = s + sizeof(x->store[p]);
	char out[4200];
	const char *tail[] = { "--format", "json", "--output", out };
	size_t n = 0;

	cb_fmt(out, sizeof(out), "%s/%d.json", x->dir, p);
	x->argv[p][n++] = folklore_word(&s, end, "concbench");
	for (size_t i = 0; i < FOLKLORE_MAX_ARGS && w[i]; i++)
		x->argv[p][n++] = folklore_word(&s, end, w[i]);
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		x->argv[p][n++] = folklore_word(&s, end, tail[i]);
	x->argv[p][n] = NULL;
	for (size_t i = 0; i < n; i++)
		if (!x->argv[p][i])
			return -ENAMETOOLONG;
	return 0;
}

/* Test-only: CONCBENCH_FOLKLORE_TEST_FAIL=PART kills that part as it starts; PART:json
 * empties its document after it ran, so that the checks of the fields are seen to fail. */
static int folklore_test_fail(int p, int json)
{
	const char *f = getenv("CONCBENCH_FOLKLORE_TEST_FAIL");
	size_t n = strlen(folklore_parts[p].name);
	if (!f || strncmp(f, folklore_parts[p].name, n) != 0)
		return 0;
	return json ? strcmp(f + n, ":json") == 0 : f[n] == 0;
}

/* The last line the part wrote on stderr, for the message of its failure. */
static void folklore_last_line(const char *path, char *buf, size_t len)
{
	char line[512], shown[512];
	FILE *f = fopen(path, "re");
	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n') {
			line[strcspn(line, "\n")] = 0;
			cb_sanitize(line, shown, sizeof(shown));
			cb_fmt(buf, len, ": %s", shown);
		}
	fclose(f);
}

/* Wait for the part's process. On Ctrl-C (or SIGTERM) pass the stop on as SIGTERM, so that
 * the part reaps its own workers, give it FOLKLORE_STOP_GRACE_NS, then SIGKILL it. */
static int folklore_wait(pid_t pid, int *status)
{
	int64_t until;
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
		if (cb_stop_signal)
			break;
	}
	if (!cb_stop_signal)
		return 0;
	kill(pid, SIGTERM);
	until = now_ns() + FOLKLORE_STOP_GRACE_NS;
	while (waitpid(pid, status, WNOHANG) == 0) {
		struct timespec ts = { 0, 20000000L };   /* 20 ms */
		if (now_ns() > until) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		nanosleep(&ts, NULL);
	}
	return -EINTR;
}

/* Read a file of at most FOLKLORE_MAX_DOC bytes and parse it. */
static cJSON *folklore_load(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	cJSON *doc;
	if (!f)
		return NULL;
	buf = malloc(FOLKLORE_MAX_DOC + 1);
	n = buf ? fread(buf, 1, FOLKLORE_MAX_DOC + 1, f) : 0;
	fclose(f);
	if (!buf || n > FOLKLORE_MAX_DOC) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	doc = cJSON_Parse(buf);
	free(buf);
	return doc;
}

/* Run part p and load its document. Returns 0, -EINTR (stopped), or -EIO after the
 * message. */
static int folklore_part(struct folklore_run *x, int p)
{
	char errpath[4200], jpath[4200], last[520], how[128];
	double t0 = folklore_now();
	int status = 0, rc;
	pid_t pid, parent = getpid();

	cb_fmt(errpath, sizeof(errpath), "%s/%d.err", x->dir, p);
	cb_fmt(jpath, sizeof(jpath), "%s/%d.json", x->dir, p);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cb_error("folklore: part %s: cannot fork: %s", folklore_parts[p].name,
			 strerror(errno));
		return -EIO;
	}
	if (pid == 0) {
		int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		int err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		/* It dies with us; Ctrl-C reaches it from the terminal or from us, as SIGTERM. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || out < 0 || err < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(CB_EXIT_RUNFAIL);
		execv("/proc/self/exe", x->argv[p]);
		_exit(127);
	}
	if (folklore_test_fail(p, 0))
		kill(pid, SIGKILL);
	rc = folklore_wait(pid, &status);
	x->wall[p] = folklore_now() - t0;
	if (rc == -EINTR)
		return -EINTR;
	if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (rc < 0)
			cb_fmt(how, sizeof(how), "could not be waited for: %s", strerror(-rc));
		else
			describe_status(status, how, sizeof(how));
		folklore_last_line(errpath, last, sizeof(last));
		cb_error("folklore: part %s %s%s", folklore_parts[p].name, how, last);
		return -EIO;
	}
	if (folklore_test_fail(p, 1)) {
		FILE *f = fopen(jpath, "we");
		if (f)
			fputs("{}", f), fclose(f);
	}
	x->doc[p] = folklore_load(jpath);
	if (!cJSON_IsObject(x->doc[p])) {
		cb_error("folklore: part %s: its JSON document %s cannot be read or parsed",
			 folklore_parts[p].name, jpath);
		return -EIO;
	}
	return 0;
}

/* "55.4 us [20.0 us, 216.7 us]", "2.49x [1.85, 5.92]", "8192 KiB". */
static void folklore_num_text(const struct folklore_num *n, char *buf, size_t len)
{
	char v[32], lo[32], hi[32];
	int has = isfinite(n->lo) && isfinite(n->hi);
	if (strcmp(n->unit, "s") == 0) {
		cb_fmt_time(v, sizeof(v), n->v);
		cb_fmt_time(lo, sizeof(lo), n->lo);
		cb_fmt_time(hi, sizeof(hi), n->hi);
	} else if (strcmp(n->unit, "x") == 0) {
		cb_fmt(v, sizeof(v), "%.2fx", n->v);
		cb_fmt(lo, sizeof(lo), "%.2f", n->lo);
		cb_fmt(hi, sizeof(hi), "%.2f", n->hi);
	} else if (strcmp(n->unit, "bytes") == 0) {
		cb_fmt(v, sizeof(v), "%.0f MiB", n->v / (1024.0 * 1024.0));
		lo[0] = hi[0] = 0;
	} else {
		cb_fmt(v, sizeof(v), "%.0f %s", n->v, n->unit);
		lo[0] = hi[0] = 0;
	}
	cb_fmt(buf, len, "%s %s%s%s%s%s%s%s", n->name, n->what[0] ? "(" : "", n->what,
	       n->what[0] ? ") " : "", v, has ? " [" : "", has ? lo : "", has ? ", " : "");
	if (has)
		cb_append(buf, len, "%s]", hi);
}

static void folklore_print(const struct folklore_row *rows, size_t n, int markdown)
{
	char t[160];
	if (markdown)
		printf("| aspect | folklore: threads | folklore: processes | measured here (95%% "
		       "intervals) | verdict | why |\n| --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < n; i++) {
		const struct folklore_row *r = &rows[i];
		if (markdown) {
			printf("| %s | %s | %s | ", r->rule->aspect, r->rule->threads,
			       r->rule->processes);
			for (size_t k = 0; k < r->n; k++) {
				folklore_num_text(&r->num[k], t, sizeof(t));
				printf("%s%s", k ? "<br>" : "", t);
			}
			printf(" | **%s**%s%s | %s |\n", r->verdict, r->cond[0] ? ": " : "", r->cond,
			       r->why);
			continue;
		}
		printf("%s%s\n  threads    %s\n  processes  %s\n", i ? "\n" : "", r->rule->aspect,
		       r->rule->threads, r->rule->processes);
		for (size_t k = 0; k < r->n; k++) {
			folklore_num_text(&r->num[k], t, sizeof(t));
			printf("  %-10s %s\n", k ? "" : "measured", t);
		}
		printf("  verdict    %s%s%s\n  why        %s\n", r->verdict, r->cond[0] ? ": " : "",
		       r->cond, r->why);
	}
	if (!markdown)
		printf("\nintervals: 95%% of the median; verdicts from intervals that lie apart "
		       "(memory and crash: counts)\n");
}

static cJSON *folklore_json(struct jsonb *b, const struct folklore_opts *o,
			    const struct folklore_run *x, const struct folklore_row *rows,
			    size_t n, double wall)
{
	cJSON *doc = jsonb_chk(b, cJSON_CreateObject()), *host, *parts, *arr;
	struct utsname u;

	jsonb_add_str(b, doc, "schema", FOLKLORE_SCHEMA);
	jsonb_add_str(b, doc, "concbench", CB_VERSION);
	jsonb_add_str(b, doc, "git", CB_GIT);
	host = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_str(b, host, "hostname", uname(&u) == 0 ? u.nodename : NULL);
	jsonb_add_str(b, host, "kernel", uname(&u) == 0 ? u.release : NULL);
	jsonb_add_str(b, host, "cpu_model", topo_cpu_model());
	jsonb_add_num(b, host, "pus", topo_allowed_pus(NULL, 0));
	jsonb_item(b, doc, "host", host);
	jsonb_add_bool(b, doc, "quick", o->quick);
	jsonb_add_num(b, doc, "wall_s", wall);
	parts = jsonb_chk(b, cJSON_CreateArray());
	for (int p = 0; p < P_NPARTS; p++) {
		cJSON *j = jsonb_chk(b, cJSON_CreateObject()), *av = jsonb_chk(b, cJSON_CreateArray());
		jsonb_add_str(b, j, "name", folklore_parts[p].name);
		/* The words as run, the temporary --output's path included. */
		for (size_t k = 0; x->argv[p][k]; k++)
			jsonb_push(b, av, jsonb_chk(b, cJSON_CreateString(x->argv[p][k])));
		jsonb_item(b, j, "argv", av);
		jsonb_add_num(b, j, "wall_s", x->wall[p]);
		jsonb_push(b, parts, j);
	}
	jsonb_item(b, doc, "parts", parts);
	arr = jsonb_chk(b, cJSON_CreateArray());
	for (size_t i = 0; i < n; i++) {
		const struct folklore_row *r = &rows[i];
		cJSON *j = jsonb_chk(b, cJSON_CreateObject()), *claim, *m;
		jsonb_add_str(b, j, "aspect", r->rule->aspect);
		claim = jsonb_chk(b, cJSON_CreateObject());
		jsonb_add_str(b, claim, "threads", r->rule->threads);
		jsonb_add_str(b, claim, "processes", r->rule->processes);
		jsonb_item(b, j, "claim", claim);
		m = jsonb_chk(b, cJSON_CreateObject());
		for (size_t k = 0; k < r->n; k++) {
			cJSON *v = jsonb_chk(b, cJSON_CreateObject());
			jsonb_add_num(b, v, "value", r->num[k].v);
			jsonb_add_str(b, v, "unit", r->num[k].unit);
			if (isfinite(r->num[k].lo) && isfinite(r->num[k].hi)) {
				double ci[2] = { r->num[k].lo, r->num[k].hi };
				jsonb_item(b, v, "ci95", jsonb_num_array(b, ci, 2));
			} else {
				jsonb_add_null(b, v, "ci95");
			}
			if (r->num[k].what[0])
				jsonb_add_str(b, v, "what", r->num[k].what);
			jsonb_item(b, m, r->num[k].name, v);
		}
		jsonb_item(b, j, "measured", m);
		jsonb_add_str(b, j, "verdict", r->verdict);
		jsonb_add_str(b, j, "condition", r->cond[0] ? r->cond : NULL);
		jsonb_add_str(b, j, "why", r->why);
		jsonb_add_str(b, j, "rule", r->rule->rule);
		jsonb_push(b, arr, j);
	}
	jsonb_item(b, doc, "rows", arr);
	return doc;
}

static int folklore_runall(const struct folklore_opts *o, struct folklore_run *x)
{
	for (int p = 0; p < P_NPARTS; p++) {
		if (folklore_argv(x, p, o->quick) < 0) {
			cb_error("folklore: part %s: the temporary path is too long",
				 folklore_parts[p].name);
			return CB_EXIT_RUNFAIL;
		}
	}
	for (int p = 0; p < P_NPARTS && !cb_stop_signal; p++) {
		int rc = folklore_part(x, p);
		if (rc == -EINTR || cb_stop_signal)
			break;
		if (rc < 0)
			return CB_EXIT_RUNFAIL;
		if (!o->quiet)
			fprintf(stderr, "folklore: [%d/%d] %s done in %.1f s\n", p + 1, P_NPARTS,
				folklore_parts[p].name, x->wall[p]);
	}
	if (cb_stop_signal) {
		cb_error("folklore: interrupted by %s", stop_signal_name());
		return CB_EXIT_RUNFAIL;
	}
	return 0;
}

int cmd_folklore(int argc, char **argv)
{
	struct folklore_opts o;
	struct folklore_run *x;
	struct folklore_row rows[FOLKLORE_NROWS];
	const char *tmp = getenv("TMPDIR");
	double t0 = folklore_now();
	int rc;

	memset(&o, 0, sizeof(o));
	rc = opts_parse(&opt_folklore, argc, argv, &o);
	if (rc < 0)
		return CB_EXIT_USAGE;
	if (rc == 0) {
		printf("usage: concbench folklore [options]\n\n"
		       "The threads-vs-processes folklore, each row measured here: a short run of\n"
		       "spawn, footprint, ipc, crash, contend, cpu and io with --gil, and cpu, io\n"
		       "and mem on thread and fork; per row what was measured (95%% intervals) and\n"
		       "a verdict: holds, does not hold or depends (with the condition).\n\n");
		opts_usage(&opt_folklore);
		return 0;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		cb_error("out of memory");
		return CB_EXIT_RUNFAIL;
	}
	cb_fmt(x->dir, sizeof(x->dir), "%s/concbench-folklore-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(x->dir)) {
		cb_error("folklore: cannot make a temporary directory %s: %s", x->dir,
			 strerror(errno));
		free(x);
		return CB_EXIT_RUNFAIL;
	}
	rc = folklore_runall(&o, x);
	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; !rc && i < FOLKLORE_NROWS; i++) {
		struct folklore_err e = { { 0 } };
		rows[i].rule = &folklore_rules[i];
		if (folklore_rules[i].judge(x->doc, &rows[i], &e) < 0) {
			cb_error("folklore: %s", e.msg);
			rc = CB_EXIT_RUNFAIL;
		}
	}
	folklore_rmdir(x->dir);
	if (!rc && (o.format == FOLKLORE_JSON || o.output)) {
		struct jsonb b = { 0 };
		cJSON *doc = folklore_json(&b, &o, x, rows, FOLKLORE_NROWS, folklore_now() - t0);
		if (report_emit(jsonb_finish(&b, doc), o.output, o.format == FOLKLORE_JSON) < 0)
			rc = CB_EXIT_RUNFAIL;
	}
	if (!rc && o.format != FOLKLORE_JSON)
		folklore_print(rows, FOLKLORE_NROWS, o.format == FOLKLORE_MARKDOWN);
	for (int p = 0; p < P_NPARTS; p++)
		cJSON_Delete(x->doc[p]);
	free(x);
	return rc;
}
