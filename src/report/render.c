/* SPDX-License-Identifier: MIT */
/* render: speedup tables (text, markdown) and CSV rows from report documents.
 *
 * Runs are grouped by workload and params (the run key without executor, workers and
 * binding); within a group, rows are worker counts and columns executors (per report when
 * several are given). A cell shows the speedup against seq, the median time and the
 * efficiency; "~" marks a cell whose median's 95% interval overlaps the seq baseline's:
 * no difference can be claimed from these samples; "!" a cell whose run's imbalance (its
 * slowest worker against the median worker) is over IMBALANCE_LIMIT, and a line under the
 * table names those runs' slowest workers and their PUs. Reports without "imbalance" show
 * neither. */
#include "report/render.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "core/sync.h"
#include "measure/derive.h"
#include "report/report.h"

#define MAX_COLS 32
#define MAX_ROWS 128

/* "size=200000000 tasks=240 kernel=sumsq ..." from a params object, in its order. */
static void params_text(char *buf, size_t len, const cJSON *params)
{
	const cJSON *p;
	buf[0] = 0;
	cJSON_ArrayForEach(p, params) {
		size_t used = strlen(buf);
		char v[64];
		if (cJSON_IsString(p))
			cb_fmt(v, sizeof(v), "%s", p->valuestring);
		else if (cJSON_IsNumber(p))
			cb_fmt(v, sizeof(v), "%.15g", p->valuedouble);
		else
			continue;
		if (cJSON_IsNumber(p) && p->valuedouble == 0)
			continue;      /* a parameter the workload does not use */
		cb_fmt(buf + used, len - used, "%s%s=%s", used ? " " : "", p->string, v);
	}
}

struct col {
	size_t doc;
	const char *executor;
	const char *binding;                 /* the first other than "none", if any */
};

struct group {
	char *key;
	uint64_t hash;                       /* of key: most comparisons stop here */
	const cJSON *first;                  /* a run of the group, for the title */
	const cJSON *seq[16];                /* per document */
	struct col cols[MAX_COLS];
	size_t ncols;
	unsigned rows[MAX_ROWS];
	size_t nrows;
	const cJSON **cells;                 /* [col * nrows + row]: the first run there */
};

/* Where a run goes, found once per run: groups are indexed, never searched per cell. */
struct slot {
	const cJSON *run;
	unsigned group, col, workers;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;       /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* A run's workers as a row of the table: a whole number from 1 to UINT_MAX, else 0 (a
 * report from elsewhere may hold anything there; such a run has no row). */
static unsigned workers_row(const cJSON *r)
{
	double w = jsonb_num(r, "workers");
	return w >= 1 && w <= UINT_MAX && w == floor(w) ? (unsigned)w : 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

static void free_groups(struct group *g, size_t ng)
{
	for (size_t i = 0; i < ng; i++) {
		free(g[i].key);
		free(g[i].cells);
	}
}

/* Collect the groups of all documents, in order of first appearance, and place every run
 * in its cell: one pass over the runs, then one over the slots. Returns the number of
 * groups, or -ENOMEM. */
static ssize_t collect_groups(cJSON *const *docs, size_t n, struct group *g, size_t max,
			      size_t *hidden)
{
	struct slot *slots;
	size_t ng = 0, ns = 0, cap = 0;

	for (size_t d = 0; d < n && d < 16; d++)
		cap += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "runs"));
	slots = malloc((cap ? cap : 1) * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t d = 0; d < n && d < 16; d++) {
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			char *k = report_group_key(r);
			const char *ex = jsonb_str(r, "executor");
			unsigned w = workers_row(r);
			uint64_t h;
			size_t i, c, q;
			if (!k) {
				free(slots);
				free_groups(g, ng);
				return -ENOMEM;
			}
			h = hash_str(k);
			for (i = 0; i < ng && (g[i].hash != h || strcmp(g[i].key, k)); i++)
				;
			if (i == ng) {
				if (ng == max) {
					free(k);
					++*hidden;
					continue;
				}
				memset(&g[ng], 0, sizeof(g[ng]));
				g[ng].key = k;
				g[ng].hash = h;
				g[ng].first = r;
				ng++;
			} else {
				free(k);
			}
			if (strcmp(ex, "seq") == 0) {
				g[i].seq[d] = r;
				continue;
			}
			for (c = 0; c < g[i].ncols; c++)
				if (g[i].cols[c].doc == d && strcmp(g[i].cols[c].executor, ex) == 0)
					break;
			if (c == g[i].ncols && c < MAX_COLS)
				g[i].cols[g[i].ncols++] = (struct col){ d, ex, "none" };
			if (c < g[i].ncols && strcmp(g[i].cols[c].binding, "none") == 0)
				g[i].cols[c].binding = jsonb_str(r, "binding");
			if (!w)
				continue;
			for (q = 0; q < g[i].nrows && g[i].rows[q] != w; q++)
				;
			if (q == g[i].nrows && q < MAX_ROWS)
				g[i].rows[g[i].nrows++] = w;
			if (c < g[i].ncols && q < g[i].nrows)
				slots[ns++] = (struct slot){ r, (unsigned)i, (unsigned)c, w };
			else
				++*hidden;
		}
	}
	for (size_t i = 0; i < ng; i++) {
		qsort(g[i].rows, g[i].nrows, sizeof(unsigned), cmp_unsigned);
		g[i].cells = calloc(g[i].ncols * g[i].nrows + 1, sizeof(*g[i].cells));
		if (!g[i].cells) {
			free(slots);
			free_groups(g, ng);
			return -ENOMEM;
		}
	}
	for (size_t j = 0; j < ns; j++) {       /* in document order: the first run wins */
		struct group *gr = &g[slots[j].group];
		const unsigned *q = bsearch(&slots[j].workers, gr->rows, gr->nrows, sizeof(unsigned),
					    cmp_unsigned);
		const cJSON **cell = q ? &gr->cells[slots[j].col * gr->nrows + (size_t)(q - gr->rows)] :
				    NULL;
		if (cell && !*cell)
			*cell = slots[j].run;
	}
	free(slots);
	return (ssize_t)ng;
}

static const cJSON *group_cell(const struct group *g, size_t c, size_t q)
{
	return g->cells[c * g->nrows + q];
}

/* A report string for a table (sanitised) or for markdown (sanitised, and the characters
 * that make links, emphasis, HTML, code or a new cell escaped). */
static const char *safe_text(const char *s, char *buf, size_t len, int md)
{
	char tmp[1024];
	size_t n = 0;

	if (!md)
		return cb_sanitize(s, buf, len);
	cb_sanitize(s, tmp, sizeof(tmp));
	for (const char *p = tmp; *p && n + 2 < len; p++) {
		if (strchr("\\`*_[]<>|~", *p))
			buf[n++] = '\\';
		buf[n++] = *p;
	}
	buf[n] = 0;
	return buf;
}

/* Does the run's median interval overlap the baseline's? */
static int overlaps_seq(const cJSON *r, const cJSON *seq)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "ci95_s");
	const cJSON *b = seq ? cJSON_GetObjectItemCaseSensitive(seq, "ci95_s") : NULL;
	if (cJSON_GetArraySize(a) != 2 || cJSON_GetArraySize(b) != 2)
		return 0;
	return cJSON_GetArrayItem(a, 0)->valuedouble <= cJSON_GetArrayItem(b, 1)->valuedouble &&
	       cJSON_GetArrayItem(b, 0)->valuedouble <= cJSON_GetArrayItem(a, 1)->valuedouble;
}

static void doc_label(char *buf, size_t len, const cJSON *doc)
{
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(doc, "host");
	char when[17];
	/* "2026-11-23T15:30:00Z" -> "2026-11-23 15:30": two reports of one day stay apart */
	cb_fmt(when, sizeof(when), "%s", jsonb_str(doc, "created"));
	if (strlen(when) > 10)
		when[10] = ' ';
	cb_fmt(buf, len, "%s %s", jsonb_str(host, "hostname"), when);
}

/* A column's heading: the executor, its binding when there is one, and with several
 * reports the report it comes from (unsanitised). */
static void col_header(char *buf, size_t len, cJSON *const *docs, size_t n, const struct group *g,
		       size_t c)
{
	char label[128] = "";
	const char *binding = g->cols[c].binding;

	if (n > 1)
		doc_label(label, sizeof(label), docs[g->cols[c].doc]);
	cb_fmt(buf, len, "%s%s%s%s%s", g->cols[c].executor, strcmp(binding, "none") && *binding ? "/" : "",
	       strcmp(binding, "none") ? binding : "", n > 1 ? " @ " : "", label);
}

/* The run's slowest worker took over IMBALANCE_LIMIT x the median worker's time (a report
 * without "imbalance": unknown, not imbalanced). */
static int imbalanced(const cJSON *r)
{
	return jsonb_num(r, "imbalance") > IMBALANCE_LIMIT;
}

static void cell_text(char *buf, size_t len, const cJSON *r, const cJSON *seq, int md)
{
	char t[32];
	double s = jsonb_num(r, "speedup"), e = jsonb_num(r, "efficiency");
	cb_fmt_time(t, sizeof(t), jsonb_num(r, "median_s"));
	if (!isfinite(s))
		cb_fmt(buf, len, "%s", t);
	else if (md)
		cb_fmt(buf, len, "%.2fx%s, %s, %.0f%%", s, overlaps_seq(r, seq) ? " ~" : "", t, 100 * e);
	else
		cb_fmt(buf, len, "%5.2fx%s %s %3.0f%%", s, overlaps_seq(r, seq) ? "~" : " ", t, 100 * e);
	if (imbalanced(r))
		cb_append(buf, len, md ? " !" : "!");
}

/* Under a table: the runs marked "!", each with its slowest worker, that worker's PU and
 * how far over the median worker it was. Nothing when none is marked. */
static void imbalance_line(FILE *f, const struct group *g, int md)
{
	char line[2048] = "", safe[256];
	size_t shown = 0;

	for (size_t q = 0; q < g->nrows; q++)
		for (size_t c = 0; c < g->ncols; c++) {
			const cJSON *r = group_cell(g, c, q), *sw;
			double k;
			if (!r || !imbalanced(r))
				continue;
			sw = cJSON_GetObjectItemCaseSensitive(r, "slowest_worker");
			cb_append(line, sizeof(line), "%s%s x%u", shown++ ? ", " : "",
				  safe_text(g->cols[c].executor, safe, sizeof(safe), md), g->rows[q]);
			k = jsonb_num(sw, "worker");
			if (isfinite(k)) {
				cb_append(line, sizeof(line), " (slowest worker %.0f", k);
				if (isfinite(jsonb_num(sw, "pu")))
					cb_append(line, sizeof(line), " on PU %.0f", jsonb_num(sw, "pu"));
				cb_append(line, sizeof(line), ", %.2fx the median)",
					  jsonb_num(r, "imbalance"));
			} else {
				cb_append(line, sizeof(line), " (%.2fx the median)",
					  jsonb_num(r, "imbalance"));
			}
		}
	if (shown)
		fprintf(f, md ? "\nimbalance over %.1f: %s\n" : "  imbalance over %.1f: %s\n",
			IMBALANCE_LIMIT, line);
}

static int render_group(FILE *f, cJSON *const *docs, size_t n, const struct group *g, int md)
{
	char title[512], ptext[400], label[128], t[32], rate[64], safe[512];
	int w = 26;     /* every column as wide as the widest heading */

	params_text(ptext, sizeof(ptext), cJSON_GetObjectItemCaseSensitive(g->first, "params"));
	cb_fmt(title, sizeof(title), "%s %s", jsonb_str(g->first, "workload"), ptext);
	fprintf(f, md ? "### %s\n\n" : "%s\n", safe_text(title, safe, sizeof(safe), md));
	for (size_t d = 0; d < n && d < 16; d++) {
		const cJSON *seq = g->seq[d];
		char slabel[256];
		if (!seq)
			continue;
		doc_label(label, sizeof(label), docs[d]);
		cb_fmt_time(t, sizeof(t), jsonb_num(seq, "median_s"));
		cb_fmt_rate(rate, sizeof(rate),
			    jsonb_num(cJSON_GetObjectItemCaseSensitive(seq, "throughput"), "value"),
			    jsonb_str(cJSON_GetObjectItemCaseSensitive(seq, "throughput"), "unit"));
		fprintf(f, md ? "seq baseline%s%s: median %s, %s\n\n" : "  seq baseline%s%s: median %s, %s\n",
			n > 1 ? " on " : "", n > 1 ? safe_text(label, slabel, sizeof(slabel), md) : "", t,
			safe_text(rate, safe, sizeof(safe), md));
	}
	if (!g->ncols) {
		if (!md)
			fprintf(f, "\n");
		return 0;
	}
	for (size_t c = 0; c < g->ncols; c++) {
		char h[192];
		col_header(h, sizeof(h), docs, n, g, c);
		if ((int)strlen(safe_text(h, safe, sizeof(safe), md)) > w)
			w = (int)strlen(safe);
	}
	/* header */
	if (md) {
		fprintf(f, "| workers |");
		for (size_t c = 0; c < g->ncols; c++) {
			char h[192];
			col_header(h, sizeof(h), docs, n, g, c);
			fprintf(f, " %s |", safe_text(h, safe, sizeof(safe), md));
		}
		fprintf(f, " best |\n|---:|");
		for (size_t c = 0; c < g->ncols; c++)
			fprintf(f, "---|");
		fprintf(f, "---|\n");
	} else {
		fprintf(f, "  %-8s", "workers");
		for (size_t c = 0; c < g->ncols; c++) {
			char h[192];
			col_header(h, sizeof(h), docs, n, g, c);
			fprintf(f, "  %-*s", w, safe_text(h, safe, sizeof(safe), md));
		}
		fprintf(f, "  best\n");
	}
	for (size_t q = 0; q < g->nrows; q++) {
		const char *best = "-";
		double best_m = INFINITY;
		if (cb_stop_signal)
			return -EINTR;
		fprintf(f, md ? "| %u |" : "  %-8u", g->rows[q]);
		for (size_t c = 0; c < g->ncols; c++) {
			const cJSON *r = group_cell(g, c, q);
			char cell[96] = "-";
			if (r) {
				cell_text(cell, sizeof(cell), r, g->seq[g->cols[c].doc], md);
				if (jsonb_num(r, "median_s") < best_m) {
					best_m = jsonb_num(r, "median_s");
					best = g->cols[c].executor;
				}
			}
			if (md)
				fprintf(f, " %s |", cell);
			else
				fprintf(f, "  %-*s", w, cell);
		}
		fprintf(f, md ? " %s |\n" : "  %s\n", safe_text(best, safe, sizeof(safe), md));
	}
	/* Karp-Flatt at the largest worker count, per column */
	if (g->nrows && g->rows[g->nrows - 1] > 1) {
		unsigned top = g->rows[g->nrows - 1];
		fprintf(f, md ? "\nKarp-Flatt serial fraction at %u workers:" : "  Karp-Flatt serial fraction at %u workers:", top);
		for (size_t c = 0; c < g->ncols; c++) {
			const cJSON *r = group_cell(g, c, g->nrows - 1);
			double e = r ? jsonb_num(r, "karp_flatt") : NAN;
			if (isfinite(e))
				fprintf(f, " %s %.3f%s", safe_text(g->cols[c].executor, safe, sizeof(safe), md),
					e, c + 1 < g->ncols ? "," : "");
		}
		fprintf(f, "\n");
	}
	imbalance_line(f, g, md);
	fprintf(f, "\n");
	return 0;
}

/* A CSV field: sanitised (no control character, so one line per run), quoted when it
 * holds a comma, a quote or outer blanks, and never read as a formula by a spreadsheet
 * (a leading = + - @ gets a ' before it). */
static void csv_field(FILE *f, const char *s)
{
	char safe[1024];

	s = cb_sanitize(s, safe, sizeof(safe));
	if (strpbrk(s, ",\"") || *s == ' ' || (*s && s[strlen(s) - 1] == ' ') ||
	    (*s && strchr("=+-@", *s))) {
		fputc('"', f);
		if (*s && strchr("=+-@", *s))
			fputc('\'', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.17g", v);
	else
		fputc(',', f);
}

static const char *const csv_nums[] = {
	"workers", "tasks", "repetitions", "median_s", "mean_s", "stddev_s", "min_s", "max_s",
	"p10_s", "p90_s", "cv", "outliers", "speedup", "efficiency", "karp_flatt", "startup_s",
	"start_skew_s", "cpu_utilization",
};
static const char *const csv_ru[] = { "user_s", "sys_s", "vcsw", "ivcsw", "minflt", "majflt",
				      "maxrss_kb" };

static int render_csv(FILE *f, cJSON *const *docs, size_t n)
{
	fprintf(f, "host,created,workload,params,executor,binding");
	for (size_t i = 0; i < ARRAY_SIZE(csv_nums); i++)
		fprintf(f, ",%s", csv_nums[i]);
	fprintf(f, ",ci95_lo_s,ci95_hi_s,speedup_lo,speedup_hi,throughput,throughput_unit");
	for (size_t i = 0; i < ARRAY_SIZE(csv_ru); i++)
		fprintf(f, ",%s", csv_ru[i]);
	fprintf(f, ",checksum,verified\n");
	for (size_t d = 0; d < n; d++) {
		const cJSON *r, *host = cJSON_GetObjectItemCaseSensitive(docs[d], "host");
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			char ptext[400];
			const cJSON *ci = cJSON_GetObjectItemCaseSensitive(r, "ci95_s");
			const cJSON *sci = cJSON_GetObjectItemCaseSensitive(r, "speedup_ci95");
			const cJSON *tp = cJSON_GetObjectItemCaseSensitive(r, "throughput");
			const cJSON *ru = cJSON_GetObjectItemCaseSensitive(r, "rusage");
			if (cb_stop_signal)
				return -EINTR;
			params_text(ptext, sizeof(ptext), cJSON_GetObjectItemCaseSensitive(r, "params"));
			csv_field(f, jsonb_str(host, "hostname"));
			fputc(',', f);
			csv_field(f, jsonb_str(docs[d], "created"));
			fputc(',', f);
			csv_field(f, jsonb_str(r, "workload"));
			fputc(',', f);
			csv_field(f, ptext);
			fputc(',', f);
			csv_field(f, jsonb_str(r, "executor"));
			fputc(',', f);
			csv_field(f, jsonb_str(r, "binding"));
			for (size_t i = 0; i < ARRAY_SIZE(csv_nums); i++)
				csv_num(f, jsonb_num(r, csv_nums[i]));
			csv_num(f, cJSON_GetArraySize(ci) == 2 ? cJSON_GetArrayItem(ci, 0)->valuedouble : NAN);
			csv_num(f, cJSON_GetArraySize(ci) == 2 ? cJSON_GetArrayItem(ci, 1)->valuedouble : NAN);
			csv_num(f, cJSON_GetArraySize(sci) == 2 ? cJSON_GetArrayItem(sci, 0)->valuedouble : NAN);
			csv_num(f, cJSON_GetArraySize(sci) == 2 ? cJSON_GetArrayItem(sci, 1)->valuedouble : NAN);
			csv_num(f, jsonb_num(tp, "value"));
			fputc(',', f);
			csv_field(f, jsonb_str(tp, "unit"));
			for (size_t i = 0; i < ARRAY_SIZE(csv_ru); i++)
				csv_num(f, jsonb_num(ru, csv_ru[i]));
			fputc(',', f);
			csv_field(f, jsonb_str(r, "checksum"));
			fprintf(f, ",%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "verified")) ?
				"true" : "false");
		}
	}
	return 0;
}

/* The time the invocations took, and how much of it the kept samples were: only for
 * reports that recorded it (wall_s), so that older ones render as they always did. */
static void wall_line(FILE *f, cJSON *const *docs, size_t n)
{
	double wall = 0, kept = 0, harness = 0;
	char w[32], k[32];

	for (size_t d = 0; d < n; d++) {
		const cJSON *ws = cJSON_GetObjectItemCaseSensitive(docs[d], "wall_s"), *r, *x;
		if (!cJSON_IsNumber(ws))
			return;
		wall += ws->valuedouble;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "samples_s"))
				kept += x->valuedouble;
			x = cJSON_GetObjectItemCaseSensitive(r, "harness_s");
			harness += cJSON_IsNumber(x) ? x->valuedouble : 0;
		}
	}
	if (!(wall > 0))
		return;
	cb_fmt(w, sizeof(w), "%.1f s", wall);
	cb_fmt(k, sizeof(k), "%.1f s", kept);
	fprintf(f, "  wall %s: %s in kept samples, harness %.0f%%\n", w, k, 100 * harness / wall);
}

static int render_all(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt, int saved,
		      render_after_fn *after, void *arg)
{
	static struct group groups[64];
	ssize_t ng;
	size_t hidden = 0;
	unsigned verified = 0, total = 0, marked = 0;
	int rc = 0;

	for (size_t d = 0; d < n; d++)
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) < 1)
			return -EINVAL;
	if (fmt == RENDER_CSV)
		return render_csv(f, docs, n);
	ng = collect_groups(docs, n, groups, ARRAY_SIZE(groups), &hidden);
	if (ng < 0) {
		cb_error("report: out of memory");
		return (int)ng;
	}
	if (hidden)
		cb_warn("%zu runs are not in the tables: at most %zu tables (a workload with its "
			"parameters) of %d executor columns and %d worker counts are shown; "
			"--format csv or json shows every run", hidden, ARRAY_SIZE(groups), MAX_COLS,
			MAX_ROWS);
	for (ssize_t i = 0; i < ng && !rc; i++) {
		rc = render_group(f, docs, n, &groups[i], fmt == RENDER_MARKDOWN);
		if (!rc && after && n == 1 && fmt == RENDER_TABLE)
			after(f, docs[0], groups[i].first, arg);
	}
	free_groups(groups, (size_t)ng);
	if (rc)
		return rc;
	for (size_t d = 0; d < n; d++) {
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			total++;
			verified += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "verified"));
			marked += imbalanced(r);
		}
	}
	fprintf(f, "%s%u of %u runs verified against the reference. Cells: speedup against seq, "
		"median time per repetition, efficiency; ~ marks a median whose 95%% interval "
		"overlaps seq's.", fmt == RENDER_MARKDOWN ? "" : "  ", verified, total);
	/* Only where a cell has the marker: old reports render as they always did. */
	if (marked)
		fprintf(f, " ! marks a run whose slowest worker took over %.1fx the median "
			"worker's time.", IMBALANCE_LIMIT);
	fprintf(f, "\n");
	if (fmt == RENDER_TABLE) {
		/* The warnings themselves went to stderr when the runs were made. */
		int nw = 0;
		for (size_t d = 0; d < n; d++)
			nw += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "warnings"));
		if (nw && saved)
			fprintf(f, "  %d warning%s about noise or placement: see the report's "
				"\"warnings\"\n", nw, nw == 1 ? "" : "s");
		else if (nw)
			fprintf(f, "  %d warning%s about noise or placement, by cause on stderr\n", nw,
				nw == 1 ? "" : "s");
		wall_line(f, docs, n);
	}
	return 0;
}

int render_reports(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt)
{
	return render_all(f, docs, n, fmt, 1, NULL, NULL);
}

int render_reports_then(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt,
			int saved, render_after_fn *after, void *arg)
{
	return render_all(f, docs, n, fmt, saved, after, arg);
}
