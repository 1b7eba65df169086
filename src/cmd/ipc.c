/* SPDX-License-Identifier: MIT */
/* ipc: what a message costs between two workers, per mechanism and message size.
 *
 * Each (mechanism, size) is one pair of fresh workers (core/ipc.c): threads for futex,
 * condvar and ring, processes for pipe, socketpair, mqueue and shm-ring, side A pinned on
 * one PU and side B on the other. A times batches of round trips itself; the round trip is
 * the median of the batches' per-round-trip times, with its 95% interval. GB/s counts the
 * bytes of both directions, 2 x size, over the median round trip, and "vs fastest" is the
 * round trip over the fastest mechanism's at that size. Every message is checked on
 * arrival; one that arrives wrong fails the run (exit 3). */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#define IPC_SCHEMA "concbench-ipc/1"
#define IPC_BATCH_NS 10000000LL        /* a batch: 10 ms of round trips, or one */
#define IPC_MAX_SIZES 16

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/ipc_opts.h"
#include "cmd/options.h"
#include "core/ipc.h"
#include "core/sync.h"
#include "measure/stats.h"
#include "report/report.h"
#include "topo/topo.h"

struct ipc_row {
	enum ipc_mech_id mech;
	size_t size;
	int available;
	char reason[256];               /* why not available */
	struct ipc_result r;
	struct stats_summary st;
	double ratio;                   /* median over the fastest median at this size */
};

struct ipc_plan {
	size_t sizes[IPC_MAX_SIZES];
	unsigned nsizes;
	int pus[2];
	char level[32];
	enum ipc_fault fault;
	unsigned fault_mech;
	uint64_t fault_at;
};

static void size_text(char *buf, size_t len, size_t n)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		cb_fmt(buf, len, "%zu MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		cb_fmt(buf, len, "%zu KiB", n >> 10);
	else
		cb_fmt(buf, len, "%zu B", n);
}

static int sizes_parse(const char *arg, struct ipc_plan *p)
{
	const char *s = arg;
	p->nsizes = 0;
	for (;;) {
		char tok[32];
		size_t n = strcspn(s, ",");
		uint64_t v;
		if (n == 0 || n >= sizeof(tok) || p->nsizes == IPC_MAX_SIZES)
			break;
		memcpy(tok, s, n);
		tok[n] = 0;
		if (parse_size(tok, 1, &v) < 0 || v < IPC_MIN_SIZE || v > IPC_MAX_SIZE)
			break;
		p->sizes[p->nsizes++] = (size_t)v;
		if (!s[n])
			return 0;
		s += n + 1;
	}
	cb_error("--sizes: expected a comma list of up to %d message sizes from %d to 64M bytes "
		 "with an optional K or M suffix, such as " IPC_DEFAULT_SIZES ", got '%s'",
		 IPC_MAX_SIZES, IPC_MIN_SIZE, arg);
	return -EINVAL;
}

static void allowed_text(char *buf, size_t len)
{
	int pus[64];
	unsigned n = topo_allowed_pus(pus, ARRAY_SIZE(pus));
	buf[0] = 0;
	for (unsigned i = 0; i < n && i < ARRAY_SIZE(pus); i++)
		cb_append(buf, len, "%s%d", i ? "," : "", pus[i]);
	if (n > ARRAY_SIZE(pus))
		cb_append(buf, len, ",...");
}

/* --pus A,B, or the first allowed PU and the next one on another core (else any other). */
static int pus_choose(const char *arg, struct ipc_plan *p)
{
	char allowed[512];
	if (arg) {
		char a[16], b[16], extra;
		unsigned x, y;
		if (sscanf(arg, "%15[0-9],%15[0-9]%c", a, b, &extra) != 2 ||
		    parse_uint(a, 0, 1u << 30, &x) < 0 || parse_uint(b, 0, 1u << 30, &y) < 0 ||
		    (p->pus[0] = (int)x, p->pus[1] = (int)y, topo_plan_check(p->pus, 2) < 0)) {
			allowed_text(allowed, sizeof(allowed));
			cb_error("--pus: expected two PU numbers this process may use (%s), such as "
				 "0,1, got '%s'", allowed, arg);
			return -EINVAL;
		}
		return 0;
	}
	{
		unsigned n = topo_allowed_pus(NULL, 0);
		int *all = calloc(n ? n : 1, sizeof(*all));
		struct topo_place first, pl;
		if (!all) {
			cb_error("out of memory");
			return -ENOMEM;
		}
		topo_allowed_pus(all, n);
		if (n < 2) {
			free(all);
			cb_error("ipc: needs two allowed PUs, this process has %u (--pus A,A runs both "
				 "sides on one)", n);
			return -EINVAL;
		}
		p->pus[0] = all[0];
		p->pus[1] = all[1];
		topo_pu_place(all[0], &first);
		for (unsigned i = 1; i < n; i++)
			if (topo_pu_place(all[i], &pl) == 0 && pl.core != first.core) {
				p->pus[1] = all[i];
				break;
			}
		free(all);
	}
	return 0;
}

/* CONCBENCH_TEST_IPC=corrupt:MECHANISM:N or drop:MECHANISM:N: side B corrupts its N-th
 * received message, or answers it with the previous reply, so that the tests see a
 * mechanism that damages or loses data fail the run. */
static int fault_from_env(struct ipc_plan *p)
{
	const char *f = getenv("CONCBENCH_TEST_IPC");
	char kind[16], mech[32];
	unsigned long long at;
	if (!f || !*f)
		return 0;
	if (sscanf(f, "%15[a-z]:%31[a-z-]:%llu", kind, mech, &at) == 3) {
		for (unsigned m = 0; m < IPC_NMECH; m++)
			if (strcmp(mech, ipc_mechs[m].name) == 0 &&
			    (strcmp(kind, "corrupt") == 0 || strcmp(kind, "drop") == 0)) {
				p->fault = strcmp(kind, "drop") == 0 ? IPC_FAULT_DROP : IPC_FAULT_CORRUPT;
				p->fault_mech = m;
				p->fault_at = at;
				return 0;
			}
	}
	cb_error("CONCBENCH_TEST_IPC: expected corrupt:MECHANISM:N or drop:MECHANISM:N");
	return -EINVAL;
}

static const char *pair_kind(enum ipc_mech_id m)
{
	return ipc_mechs[m].process ? "processes" : "threads";
}

static const char *limit_text(char *buf, size_t len, const struct ipc_row *x)
{
	char lim[32];
	buf[0] = 0;
	if (x->r.msg_limit) {
		size_text(lim, sizeof(lim), x->r.msg_limit);
		cb_fmt(buf, len, "sent as %zu queue messages of at most %s (fs.mqueue.msgsize_max)",
		       (x->size + x->r.msg_limit - 1) / x->r.msg_limit, lim);
	}
	return buf;
}

static cJSON *rows_json(struct jsonb *b, const struct ipc_opts *o, const struct ipc_plan *p,
			const struct ipc_row *rows, size_t n)
{
	char hv[32], note[160];
	cJSON *doc = jsonb_chk(b, cJSON_CreateObject()), *arr;

	topo_hwloc_version(hv, sizeof(hv));
	jsonb_add_str(b, doc, "schema", IPC_SCHEMA);
	jsonb_add_str(b, doc, "topology", topo_source());
	jsonb_add_str(b, doc, "cpu_model", topo_cpu_model());
	jsonb_add_str(b, doc, "hwloc", hv);
	jsonb_item(b, doc, "pus", jsonb_int_array(b, p->pus, 2));
	jsonb_add_str(b, doc, "shared_level", p->level);
	jsonb_add_num(b, doc, "repetitions", o->reps);
	jsonb_add_num(b, doc, "batch_target_s", IPC_BATCH_NS * 1e-9);
	jsonb_add_str(b, doc, "method", "side A (on pus[0]) sends a message of size bytes, side "
		      "B (on pus[1]) checks it and sends one of the same size back; A times "
		      "batches of round trips, doubling them until a batch takes batch_target_s "
		      "(those batches are the warm-up), then repetitions batches");
	jsonb_add_str(b, doc, "bandwidth", "gb_per_s: bytes both ways (2 x size_bytes) over "
		      "median_s, in 10^9 bytes per second");
	jsonb_add_str(b, doc, "verification", "every message carries its sequence number and a "
		      "pattern of every byte derived from it, checked on arrival");
	arr = jsonb_chk(b, cJSON_CreateArray());
	for (size_t i = 0; arr && i < n; i++) {
		const struct ipc_row *x = &rows[i];
		cJSON *j = jsonb_chk(b, cJSON_CreateObject());
		jsonb_add_str(b, j, "mechanism", ipc_mechs[x->mech].name);
		jsonb_add_str(b, j, "workers", pair_kind(x->mech));
		jsonb_add_str(b, j, "description", ipc_mechs[x->mech].summary);
		jsonb_add_num(b, j, "size_bytes", (double)x->size);
		jsonb_add_bool(b, j, "available", x->available);
		if (!x->available) {
			jsonb_add_str(b, j, "reason", x->reason);
			jsonb_push(b, arr, j);
			continue;
		}
		jsonb_add_num(b, j, "round_trips_per_batch", x->r.round_trips);
		jsonb_add_num(b, j, "median_s", x->st.median);
		report_add_ci95(b, j, &x->st);
		jsonb_add_num(b, j, "gb_per_s", 2.0 * (double)x->size / x->st.median * 1e-9);
		jsonb_add_num(b, j, "ratio_to_fastest", x->ratio);
		jsonb_item(b, j, "samples_s", jsonb_num_array(b, x->r.samples, o->reps));
		jsonb_add_num(b, j, "messages_verified", (double)x->r.verified);
		if (x->r.msg_limit) {
			jsonb_add_num(b, j, "message_limit_bytes", (double)x->r.msg_limit);
			jsonb_add_str(b, j, "note", limit_text(note, sizeof(note), x));
		} else {
			jsonb_add_null(b, j, "message_limit_bytes");
		}
		jsonb_push(b, arr, j);
	}
	jsonb_item(b, doc, "results", arr);
	return doc;
}

static void rows_print(const struct ipc_opts *o, const struct ipc_plan *p,
		       const struct ipc_row *rows, size_t n)
{
	char sz[32], note[160];
	int notes = 0;

	printf("ipc: one message each way between side A on PU %d and side B on PU %d (closest "
	       "shared level: %s)\n", p->pus[0], p->pus[1], p->level);
	printf("round trip: median of %u batches timed by side A, with its 95%% interval; GB/s: "
	       "bytes both ways\n(2 x size) per round trip; vs fastest: round trip over the "
	       "fastest mechanism's at that size;\nevery message checked (sequence number and "
	       "every byte)\n", o->reps);
	for (size_t i = 0; i < n; i++) {
		const struct ipc_row *x = &rows[i];
		char t[32], lo[32], hi[32], ci[64] = "  -";
		if (i == 0 || x->size != rows[i - 1].size) {
			size_text(sz, sizeof(sz), x->size);
			printf("\n%s\n  %-11s %-10s %11s  %-24s %9s %11s\n", sz, "mechanism", "workers",
			       "round trip", "  95% interval", "GB/s", "vs fastest");
		}
		if (!x->available) {
			printf("  %-11s %-10s  not available here: %s\n", ipc_mechs[x->mech].name,
			       pair_kind(x->mech), x->reason);
			continue;
		}
		cb_fmt_time(t, sizeof(t), x->st.median);
		if (x->st.has_ci) {
			cb_fmt_time(lo, sizeof(lo), x->st.ci_lo);
			cb_fmt_time(hi, sizeof(hi), x->st.ci_hi);
			cb_fmt(ci, sizeof(ci), "  [%s, %s]", lo, hi);
		}
		printf("  %-11s %-10s %11s  %-24s %9.3g %11.2f%s\n", ipc_mechs[x->mech].name,
		       pair_kind(x->mech), t, ci, 2.0 * (double)x->size / x->st.median * 1e-9,
		       x->ratio, x->r.msg_limit ? " *" : "");
	}
	for (size_t i = 0; i < n; i++)
		if (rows[i].available && rows[i].r.msg_limit) {
			size_text(sz, sizeof(sz), rows[i].size);
			printf("%s* %s, %s: %s\n", notes++ ? "" : "\n", ipc_mechs[rows[i].mech].name, sz,
			       limit_text(note, sizeof(note), &rows[i]));
		}
	if (o->reps < 6)
		printf("\nno intervals: fewer than 6 batches give no 95%% interval of a median (use "
		       "-r 6 or more)\n");
	if (o->output)
		printf("report: %s\n", o->output);
}

/* Each size's rows compared with its fastest available mechanism. */
static void rows_rank(struct ipc_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double fastest = INFINITY;
		for (size_t k = 0; k < n; k++)
			if (rows[k].available && rows[k].size == rows[i].size &&
			    rows[k].st.median < fastest)
				fastest = rows[k].st.median;
		rows[i].ratio = rows[i].available ? rows[i].st.median / fastest : NAN;
	}
}

static int measure(const struct ipc_opts *o, const struct ipc_plan *p, struct ipc_row *rows,
		   size_t n)
{
	int tty = isatty(2) && !o->json;
	for (size_t i = 0; i < n; i++) {
		struct ipc_row *x = &rows[i];
		struct ipc_cfg c = { .mech = x->mech, .size = x->size, .pus = { p->pus[0], p->pus[1] },
				     .reps = o->reps, .batch_ns = IPC_BATCH_NS };
		char sz[32], why[256];
		int rc;
		size_text(sz, sizeof(sz), x->size);
		if (p->fault && p->fault_mech == x->mech) {
			c.fault = p->fault;
			c.fault_at = p->fault_at;
		}
		if (tty)
			fprintf(stderr, "\r\033[K[%zu/%zu] %s, %s", i + 1, n, ipc_mechs[x->mech].name, sz);
		rc = ipc_run(&c, &x->r, why, sizeof(why));
		if (tty)
			fprintf(stderr, "\r\033[K");
		if (rc == -ENOTSUP) {
			cb_fmt(x->reason, sizeof(x->reason), "%s", why);
			continue;
		}
		if (rc == -EINTR) {
			cb_error("ipc: interrupted by %s; nothing written", stop_signal_name());
			return CB_EXIT_RUNFAIL;
		}
		if (rc < 0) {
			cb_error("ipc: %s, %s messages: %s", ipc_mechs[x->mech].name, sz, why);
			return CB_EXIT_RUNFAIL;
		}
		x->available = 1;
		if (stats_summarize(x->r.samples, o->reps, &x->st) < 0) {
			cb_error("ipc: %s, %s messages: no samples", ipc_mechs[x->mech].name, sz);
			return CB_EXIT_RUNFAIL;
		}
	}
	return 0;
}

static void ipc_usage(void)
{
	printf("usage: concbench ipc [--mechanisms LIST|all] [--sizes LIST] [--pus A,B] [-r R]\n"
	       "                     [--format table|json] [--output FILE]\n\n"
	       "round trip of a message between two workers pinned on two PUs, for thread pairs\n"
	       "(futex handoff, condition variable, ring) and process pairs (pipe, socketpair,\n"
	       "POSIX message queue, shared-memory ring), per message size: median with its 95%%\n"
	       "interval, GB/s both ways and the ratio to the fastest mechanism\n\n");
	opts_usage(&opt_ipc);
}

int cmd_ipc(int argc, char **argv)
{
	struct ipc_opts o;
	struct ipc_plan p = { 0 };
	struct ipc_row *rows;
	size_t n = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = opts_parse(&opt_ipc, argc, argv, &o);
	if (rc < 0)
		return CB_EXIT_USAGE;
	if (rc == 0) {
		ipc_usage();
		return 0;
	}
	if (rc < argc) {
		cb_error("ipc: expected options only, got '%s'", argv[rc]);
		return CB_EXIT_USAGE;
	}
	if (!o.mechanisms)
		o.mechanisms = (1u << IPC_NMECH) - 1;
	if (sizes_parse(o.sizes ? o.sizes : IPC_DEFAULT_SIZES, &p) < 0 ||
	    fault_from_env(&p) < 0)
		return CB_EXIT_USAGE;
	rc = pus_choose(o.pus, &p);
	if (rc < 0)
		return rc == -ENOMEM ? CB_EXIT_RUNFAIL : CB_EXIT_USAGE;
	topo_shared_level(p.pus[0], p.pus[1], p.level, sizeof(p.level));
	ipc_clean_stale();

	rows = calloc((size_t)IPC_NMECH * p.nsizes, sizeof(*rows));
	if (!rows) {
		cb_error("out of memory");
		return CB_EXIT_RUNFAIL;
	}
	for (unsigned s = 0; s < p.nsizes; s++)
		for (unsigned m = 0; m < IPC_NMECH; m++)
			if (o.mechanisms & (1u << m)) {
				rows[n].mech = (enum ipc_mech_id)m;
				rows[n++].size = p.sizes[s];
			}
	rc = measure(&o, &p, rows, n);
	if (!rc) {
		rows_rank(rows, n);
		if (o.json || o.output) {
			struct jsonb b = { 0 };
			cJSON *doc = rows_json(&b, &o, &p, rows, n);
			if (report_emit(jsonb_finish(&b, doc), o.output, o.json) < 0)
				rc = CB_EXIT_RUNFAIL;
		}
		if (!o.json && !rc)
			rows_print(&o, &p, rows, n);
	}
	free(rows);
	return rc;
}
