/* SPDX-License-Identifier: MIT */
/* footprint: memory per worker of each pool, and copy-on-write made visible.
 *
 * For each executor (measure/footprint.h): a pool of --workers over the coordinator's
 * region of --size bytes, its memory read from /proc twice, after the start and after every
 * worker wrote its slice; totals over the coordinator and its worker processes, per worker,
 * private against shared, and the growth between the readings. Memory readings are counts
 * the kernel keeps, not timings: one reading each, no interval. Where /proc cannot be read
 * the executor's row says "unavailable" and why; that is no failure (exit 0). */
#include "cmd/cmd.h"

#define FOOTPRINT_SCHEMA "concbench-footprint/1"
#define FOOTPRINT_DEFAULT_SIZE "64M"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/options.h"
#include "core/registry.h"
#include "core/sync.h"
#include "measure/footprint.h"
#include "measure/run.h"
#include "report/report.h"
#include "topo/topo.h"

/* Test hook: another directory in place of /proc (a missing one shows "unavailable"). */
static const char *proc_root(void)
{
	const char *p = getenv("CONCBENCH_TEST_PROC");
	return p && *p ? p : "/proc";
}

static void footprint_usage(void)
{
	printf("usage: concbench footprint [--workers N] [--executor LIST] [--size N]\n"
	       "                           [--format table|json] [--output FILE]\n\n"
	       "memory of a pool of workers: the coordinator holds --size bytes, every page\n"
	       "touched, when the pool starts; one repetition then has each worker write a\n"
	       "byte in every page of its slice. RSS and PSS of the coordinator and its worker\n"
	       "processes (/proc/PID/smaps_rollup), private and shared, are read after the\n"
	       "start and after the writes, per executor.\n\n");
	opts_usage(&opt_footprint);
}

/* --executor: a comma list of executors that run several workers, each once. */
static int parse_executors(const char *list, const struct executor **out, size_t *n)
{
	char names[160], buf[256];
	const char *p = list;

	opts_executor_names(1, names, sizeof(names));
	*n = 0;
	if (!list) {
		for (size_t i = 0; i < cb_nexecutors; i++)
			if (!(cb_executors[i]->flags & (EX_SINGLE_WORKER | EX_NAMED_ONLY | EX_LAUNCHED)))
				out[(*n)++] = cb_executors[i];
		return 0;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const struct executor *ex = NULL;
		if (len < sizeof(buf)) {
			memcpy(buf, p, len);
			buf[len] = '\0';
			ex = executor_find(buf);
		}
		for (size_t i = 0; ex && i < *n; i++)
			if (out[i] == ex)
				ex = NULL;
		if (!ex || (ex->flags & (EX_SINGLE_WORKER | EX_LAUNCHED)) || *n == cb_nexecutors) {
			cb_error("--executor: expected a comma list of %s, each once, got '%s'",
				 names, cb_sanitize(list, buf, sizeof(buf)));
			return -EINVAL;
		}
		out[(*n)++] = ex;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static double mib(uint64_t kb)
{
	return (double)kb / 1024.0;
}

static double mib_delta(uint64_t after, uint64_t before)
{
	return ((double)after - (double)before) / 1024.0;
}

/* ---- the table ---- */

static void print_reading(const char *what, const struct footprint_reading *x, unsigned workers)
{
	printf("  %-8s %9.1f %9.1f %9.1f %9.1f %11.1f %11.1f\n", what, mib(x->total.rss_kb),
	       mib(x->total.pss_kb), mib(smaps_private_kb(&x->total)),
	       mib(smaps_shared_kb(&x->total)), mib(x->total.rss_kb) / workers,
	       mib(x->total.pss_kb) / workers);
}

static void print_table(const struct footprint_res *r, size_t n, unsigned workers, uint64_t size)
{
	const char *source = NULL;
	for (size_t i = 0; i < n; i++)
		if (r[i].available)
			source = r[i].source;
	printf("footprint: %u worker%s per pool; the coordinator holds %.1f MiB, every page "
	       "touched,\nwhen the pool starts, and the workers then write a byte in each of "
	       "its pages\n", workers, workers == 1 ? "" : "s",
	       (double)size / (1024.0 * 1024.0));
	if (source)
		printf("(MiB, over the coordinator and its worker processes, from /proc/PID/%s)\n",
		       source);
	for (size_t i = 0; i < n; i++) {
		const struct footprint_res *x = &r[i];
		printf("\n%s", x->ex->name);
		if (!x->available) {
			printf(": unavailable: %s\n", x->why);
			continue;
		}
		printf(": %u process%s\n", x->start.procs, x->start.procs == 1 ? "" : "es");
		printf("  %-8s %9s %9s %9s %9s %11s %11s\n", "reading", "RSS", "PSS", "private",
		       "shared", "RSS/worker", "PSS/worker");
		print_reading("started", &x->start, x->workers);
		print_reading("written", &x->written, x->workers);
		printf("  %-8s %+9.1f %+9.1f %+9.1f %+9.1f %+11.1f %+11.1f\n", "growth",
		       mib_delta(x->written.total.rss_kb, x->start.total.rss_kb),
		       mib_delta(x->written.total.pss_kb, x->start.total.pss_kb),
		       mib_delta(smaps_private_kb(&x->written.total),
				 smaps_private_kb(&x->start.total)),
		       mib_delta(smaps_shared_kb(&x->written.total),
				 smaps_shared_kb(&x->start.total)),
		       mib_delta(x->written.total.rss_kb, x->start.total.rss_kb) / x->workers,
		       mib_delta(x->written.total.pss_kb, x->start.total.pss_kb) / x->workers);
	}
	printf("\nRSS counts every page a process maps, once per process; PSS divides a shared "
	       "page\namong the processes that map it, so PSS adds up to the memory really "
	       "used.\nPrivate pages are mapped by one process, shared ones by several "
	       "(copy-on-write\npages not yet written are shared).\n");
}

/* ---- JSON ---- */

static cJSON *mem_json(struct jsonb *b, const struct smaps_mem *m)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_num(b, o, "rss_kib", (double)m->rss_kb);
	jsonb_add_num(b, o, "pss_kib", (double)m->pss_kb);
	jsonb_add_num(b, o, "private_kib", (double)smaps_private_kb(m));
	jsonb_add_num(b, o, "shared_kib", (double)smaps_shared_kb(m));
	return o;
}

static cJSON *reading_json(struct jsonb *b, const struct footprint_reading *x, unsigned workers)
{
	cJSON *o = mem_json(b, &x->total);
	jsonb_add_num(b, o, "processes", x->procs);
	jsonb_add_num(b, o, "rss_per_worker_kib", (double)x->total.rss_kb / workers);
	jsonb_add_num(b, o, "pss_per_worker_kib", (double)x->total.pss_kb / workers);
	jsonb_item(b, o, "coordinator", mem_json(b, &x->coord));
	return o;
}

static cJSON *growth_json(struct jsonb *b, const struct footprint_res *x)
{
	const struct smaps_mem *s = &x->start.total, *w = &x->written.total;
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_num(b, o, "rss_kib", (double)w->rss_kb - (double)s->rss_kb);
	jsonb_add_num(b, o, "pss_kib", (double)w->pss_kb - (double)s->pss_kb);
	jsonb_add_num(b, o, "private_kib",
		      (double)smaps_private_kb(w) - (double)smaps_private_kb(s));
	jsonb_add_num(b, o, "shared_kib", (double)smaps_shared_kb(w) - (double)smaps_shared_kb(s));
	return o;
}

static cJSON *doc_json(struct jsonb *b, const struct footprint_res *r, size_t n, unsigned workers,
		       uint64_t size)
{
	cJSON *doc = jsonb_chk(b, cJSON_CreateObject());
	cJSON *arr = jsonb_chk(b, cJSON_CreateArray());
	jsonb_add_str(b, doc, "schema", FOOTPRINT_SCHEMA);
	jsonb_add_num(b, doc, "workers", workers);
	jsonb_add_num(b, doc, "size_bytes", (double)size);
	for (size_t i = 0; i < n; i++) {
		const struct footprint_res *x = &r[i];
		cJSON *o = jsonb_chk(b, cJSON_CreateObject());
		jsonb_add_str(b, o, "executor", x->ex->name);
		jsonb_add_bool(b, o, "available", x->available);
		if (x->available) {
			jsonb_add_str(b, o, "source", x->source);
			jsonb_item(b, o, "started", reading_json(b, &x->start, x->workers));
			jsonb_item(b, o, "written", reading_json(b, &x->written, x->workers));
			jsonb_item(b, o, "growth", growth_json(b, x));
		} else {
			jsonb_add_str(b, o, "why", x->why);
		}
		jsonb_push(b, arr, o);
	}
	jsonb_item(b, doc, "executors", arr);
	return jsonb_finish(b, doc);
}

/* ---- the command ---- */

int cmd_footprint(int argc, char **argv)
{
	struct footprint_opts o;
	const struct executor *exs[16];
	struct footprint_res res[16] = { 0 };
	struct machine m;
	uint64_t size;
	size_t nex;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = opts_parse(&opt_footprint, argc, argv, &o);
	if (rc < 0)
		return CB_EXIT_USAGE;
	if (rc == 0) {
		footprint_usage();
		return 0;
	}
	if (rc < argc) {
		cb_error("footprint: takes no arguments besides options, got '%s'", argv[rc]);
		return CB_EXIT_USAGE;
	}
	if (cb_nexecutors > ARRAY_SIZE(exs)) {
		cb_error("footprint: more executors than it can hold");
		return CB_EXIT_RUNFAIL;
	}
	if (parse_executors(o.executors, exs, &nex) < 0 ||
	    opts_size_parse(&workload_cow, o.size_arg ? o.size_arg : FOOTPRINT_DEFAULT_SIZE,
			    &size) < 0)
		return CB_EXIT_USAGE;
	/* The test faults (worker.h) reach footprint's pools as they reach run's. */
	if (run_fault_from_env() < 0)
		return CB_EXIT_USAGE;
	topo_machine(&m);
	for (size_t i = 0; i < nex; i++) {
		struct cb_err e = { 0 };
		rc = cb_stop_signal ? -EINTR : footprint_measure(proc_root(), exs[i], o.workers, size,
								 &m, &res[i], &e);
		if (rc == -ERANGE)
			return CB_EXIT_USAGE;     /* --size: the message is out */
		if (rc == -EINTR && !e.code)
			cb_err_set(&e, rc, "interrupted by %s", stop_signal_name());
		if (rc < 0) {
			cb_error("footprint: %s with %u workers: %s", exs[i]->name, o.workers,
				 e.msg);
			run_exit_if_thread_stuck();
			return CB_EXIT_RUNFAIL;
		}
	}
	if (!o.json)
		print_table(res, nex, o.workers, size);
	if (o.json || o.output) {
		struct jsonb b = { 0 };
		return report_emit(doc_json(&b, res, nex, o.workers, size), o.output, o.json) < 0 ?
		       CB_EXIT_RUNFAIL : 0;
	}
	return 0;
}
