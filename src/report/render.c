/* SPDX-License-Identifier: MIT */
/* render: speedup tables (text, markdown) and CSV rows from report documents.
 *
 * Runs are grouped by workload and params (the run key without executor, workers and
 * binding); within a group, rows are worker counts and columns executors (per report when
 * several are given, each named by its label, else its host and date, else its file's base
 * name). A cell shows the speedup against seq with the wider half of its 95% interval
 * ("+-?" when there is none), "=seq" when that interval holds 1.00x (no difference from seq
 * can be claimed), the median time and the efficiency; "noisy" marks a run whose samples'
 * CV is over NOISY_CV_LIMIT; "!" a run whose imbalance (its slowest worker against the
 * median worker) is over IMBALANCE_LIMIT, and a line under the table names those runs'
 * slowest workers and their PUs. "best" names the fastest cell only when no other cell's
 * speedup interval overlaps its own. The legend under the tables has a line per marker
 * used. Reports without "imbalance" show no "!". */
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
#include "report/reportload.h"

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
	int gil;                             /* its runs held one global lock (--gil) */
	const char *fallback;                /* an event loop's backend when it is not the one
					      * its name says ("epoll" under uring), or NULL */
};

/* An event loop that ran on its fallback shows it, as uring(epoll): the column's figures
 * are epoll's. */
static void col_note_backend(struct col *col, const cJSON *run)
{
	const char *fallback = report_run_fallback(run);
	if (fallback)
		col->fallback = fallback;
}

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
				g[i].cols[g[i].ncols++] = (struct col){ d, ex, "none", 0, NULL };
			if (c < g[i].ncols && strcmp(g[i].cols[c].binding, "none") == 0)
				g[i].cols[c].binding = jsonb_str(r, "binding");
			if (c < g[i].ncols && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "gil")))
				g[i].cols[c].gil = 1;
			if (c < g[i].ncols)
				col_note_backend(&g[i].cols[c], r);
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

/* Item i of a JSON array as a number; NaN when it is not one. */
static double num_item(const cJSON *a, int i)
{
	const cJSON *v = cJSON_GetArrayItem(a, i);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The run's speedup interval: 1 and [*lo, *hi] when the report holds one. */
static int speedup_interval(const cJSON *r, double *lo, double *hi)
{
	const cJSON *ci = cJSON_GetObjectItemCaseSensitive(r, "speedup_ci95");
	*lo = *hi = NAN;
	if (cJSON_GetArraySize(ci) != 2)
		return 0;
	*lo = num_item(ci, 0);
	*hi = num_item(ci, 1);
	return isfinite(*lo) && isfinite(*hi);
}

double render_halfwidth(double s, double lo, double hi)
{
	double h;
	if (!isfinite(s) || !isfinite(lo) || !isfinite(hi) || lo > hi)
		return NAN;
	h = fmax(s - lo, hi - s);
	/* rounded up to the 0.01 printed; the 1e-9 keeps 0.02 from printing as 0.03 */
	return h > 0 ? ceil(h * 100 - 1e-9) / 100 : 0;
}

int render_kf_shown(double kf, double lo, double hi)
{
	return isfinite(kf) && kf >= 0 && kf <= 1 && isfinite(lo) && isfinite(hi);
}

enum render_best render_best_of(size_t n, const double *median, const double *lo,
				const double *hi, size_t *fastest, unsigned char *tie)
{
	size_t f = n, i;
	int unknown = 0, others = 0;

	for (i = 0; i < n; i++) {
		tie[i] = 0;
		if (isfinite(median[i]) && (f == n || median[i] < median[f]))
			f = i;
	}
	if (f == n)
		return RENDER_BEST_NONE;
	*fastest = f;
	tie[f] = 1;
	for (i = 0; i < n; i++) {
		if (i == f || !isfinite(median[i]))
			continue;
		if (!isfinite(lo[i]) || !isfinite(hi[i]) || !isfinite(lo[f]) || !isfinite(hi[f]))
			unknown = 1;
		else if (lo[i] <= hi[f] && lo[f] <= hi[i])
			tie[i] = others = 1;
	}
	if (unknown) {
		memset(tie, 0, n);
		tie[f] = 1;
		return RENDER_BEST_UNKNOWN;
	}
	return others ? RENDER_BEST_TIE : RENDER_BEST_ONE;
}

/* What the markers of the cells rendered so far were: the legend shows those only. */
struct used {
	unsigned same, no_ci, noisy, imbalance, tie, tie_unknown, kf_na;
};

/* What one rendering knows besides the groups: the reports, their names, the markers used. */
struct render_ctx {
	cJSON *const *docs;
	size_t n;
	int md;
	char names[16][128];     /* per report, unsanitised; used with several reports */
	struct used used;
};

/* The base name of a path: a temporary directory says nothing to a reader. */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

/* Each report's name in merged tables: its label, else its host and date; where that does
 * not tell two reports apart, its file's base name, and then its position too. */
static void doc_names(struct render_ctx *x, const char *const *paths)
{
	for (size_t d = 0; d < x->n && d < 16; d++) {
		const cJSON *doc = x->docs[d];
		char when[17];
		if (*jsonb_str(doc, "label")) {
			cb_fmt(x->names[d], sizeof(x->names[d]), "%s", jsonb_str(doc, "label"));
			continue;
		}
		/* "2026-11-23T15:30:00Z" -> "2026-11-23 15:30": two reports of one day stay apart */
		cb_fmt(when, sizeof(when), "%s", jsonb_str(doc, "created"));
		if (strlen(when) > 10)
			when[10] = ' ';
		cb_fmt(x->names[d], sizeof(x->names[d]), "%s %s",
		       jsonb_str(cJSON_GetObjectItemCaseSensitive(doc, "host"), "hostname"), when);
	}
	/* Two passes: a name that two reports share is replaced in both. */
	for (int pass = 0; pass < 2; pass++) {
		unsigned char clash[16] = { 0 };
		for (size_t d = 0; d < x->n && d < 16; d++)
			for (size_t e = 0; e < x->n && e < 16; e++)
				if (e != d && strcmp(x->names[e], x->names[d]) == 0)
					clash[d] = 1;
		for (size_t d = 0; d < x->n && d < 16; d++) {
			if (!clash[d])
				continue;
			if (pass == 0 && paths && paths[d])
				cb_fmt(x->names[d], sizeof(x->names[d]), "%s", base_name(paths[d]));
			else if (pass == 1)
				cb_append(x->names[d], sizeof(x->names[d]), " #%zu", d + 1);
		}
	}
}

/* A column's heading: the executor, its binding when there is one, and with several
 * reports the report it comes from (unsanitised). */
static void col_header(char *buf, size_t len, const struct render_ctx *x, const struct group *g,
		       size_t c)
{
	const char *binding = g->cols[c].binding;

	const char *fb = g->cols[c].fallback;

	cb_fmt(buf, len, "%s%s%s%s%s%s%s%s%s", g->cols[c].executor, g->cols[c].gil ? "+gil" : "",
	       fb ? "(" : "", fb ? fb : "", fb ? ")" : "",
	       strcmp(binding, "none") && *binding ? "/" : "",
	       strcmp(binding, "none") ? binding : "", x->n > 1 ? " @ " : "",
	       x->n > 1 ? x->names[g->cols[c].doc] : "");
}

/* The run's slowest worker took over IMBALANCE_LIMIT x the median worker's time (a report
 * without "imbalance": unknown, not imbalanced). */
static int imbalanced(const cJSON *r)
{
	return jsonb_num(r, "imbalance") > IMBALANCE_LIMIT;
}

static int noisy(const cJSON *r)
{
	return jsonb_num(r, "cv") > NOISY_CV_LIMIT;
}

/* The table's columns of a group are aligned inside: which optional parts any cell has. */
struct cell_layout {
	int same;                /* a cell says =seq */
	int pm_width;            /* of "+-0.02" */
	int time_width;          /* of "27.41 ms" */
	int imbalance;           /* a cell has "!" */
};

/* "1.99x +-0.02 =seq 27.41 ms 100%! noisy" (text) or "1.99x ±0.02 =seq, 27.41 ms, 100% !
 * noisy" (markdown); lay NULL: no padding inside. */
static void cell_text(char *buf, size_t len, const cJSON *r, const struct cell_layout *lay,
		      struct used *u, int md)
{
	char t[32], pm[24];
	double s = jsonb_num(r, "speedup"), e = jsonb_num(r, "efficiency"), lo, hi, h;
	int has = speedup_interval(r, &lo, &hi), same;

	cb_fmt_time(t, sizeof(t), jsonb_num(r, "median_s"));
	if (!isfinite(s)) {
		cb_fmt(buf, len, "%s", t);
	} else {
		h = has ? render_halfwidth(s, lo, hi) : NAN;
		same = isfinite(h) && lo <= 1 && 1 <= hi;
		u->same += same;
		u->no_ci += !isfinite(h);
		if (isfinite(h))
			cb_fmt(pm, sizeof(pm), "%s%.2f", md ? "\xc2\xb1" : "+-", h);
		else
			cb_fmt(pm, sizeof(pm), "%s?", md ? "\xc2\xb1" : "+-");
		if (md)
			cb_fmt(buf, len, "%.2fx %s%s, %s, %.0f%%", s, pm, same ? " =seq" : "", t, 100 * e);
		else
			cb_fmt(buf, len, "%5.2fx %-*s%s %*s %3.0f%%", s, lay ? lay->pm_width : 0, pm,
			       same ? " =seq" : lay && lay->same ? "     " : "",
			       lay ? lay->time_width : 0, t, 100 * e);
	}
	if (imbalanced(r)) {
		u->imbalance++;
		cb_append(buf, len, md ? " !" : "!");
	} else if (!md && lay && lay->imbalance && noisy(r)) {
		cb_append(buf, len, " ");
	}
	if (noisy(r)) {
		u->noisy++;
		cb_append(buf, len, " noisy");
	}
}

/* The widths that align a group's cells (a dry pass over them). */
static void group_layout(const struct group *g, struct cell_layout *lay)
{
	char cell[128];

	lay->same = 0;
	lay->pm_width = lay->time_width = lay->imbalance = 0;
	for (size_t q = 0; q < g->nrows; q++)
		for (size_t c = 0; c < g->ncols; c++) {
			const cJSON *r = group_cell(g, c, q);
			double lo, hi, h;
			int w;
			if (!r)
				continue;
			cb_fmt_time(cell, sizeof(cell), jsonb_num(r, "median_s"));
			w = (int)strlen(cell);
			lay->time_width = w > lay->time_width ? w : lay->time_width;
			h = speedup_interval(r, &lo, &hi) ?
				render_halfwidth(jsonb_num(r, "speedup"), lo, hi) : NAN;
			cb_fmt(cell, sizeof(cell), isfinite(h) ? "+-%.2f" : "+-?", h);
			w = (int)strlen(cell);
			lay->pm_width = w > lay->pm_width ? w : lay->pm_width;
			lay->same |= isfinite(h) && lo <= 1 && 1 <= hi;
			lay->imbalance |= imbalanced(r);
		}
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

/* A column's name in the best column: its executor (+gil under the lock), and the report
 * with several. */
static void best_name(char *buf, size_t len, const struct render_ctx *x, const struct group *g,
		      size_t c)
{
	const char *fb = g->cols[c].fallback;

	cb_fmt(buf, len, "%s%s%s%s%s%s%s", g->cols[c].executor, g->cols[c].gil ? "+gil" : "",
	       fb ? "(" : "", fb ? fb : "", fb ? ")" : "",
	       x->n > 1 ? " @ " : "", x->n > 1 ? x->names[g->cols[c].doc] : "");
}

/* The best column of row q: "thread", "tie: thread, shm" or "tie?" (unsanitised). */
static void best_text(char *buf, size_t len, struct render_ctx *x, const struct group *g,
		      size_t q)
{
	double med[MAX_COLS], lo[MAX_COLS], hi[MAX_COLS];
	unsigned char tie[MAX_COLS];
	size_t map[MAX_COLS], m = 0, fastest = 0;
	char name[192];
	enum render_best b;

	for (size_t c = 0; c < g->ncols; c++) {
		const cJSON *r = group_cell(g, c, q);
		if (!r)
			continue;
		med[m] = jsonb_num(r, "median_s");
		speedup_interval(r, &lo[m], &hi[m]);
		map[m++] = c;
	}
	b = render_best_of(m, med, lo, hi, &fastest, tie);
	if (b == RENDER_BEST_NONE) {
		cb_fmt(buf, len, "-");
	} else if (b == RENDER_BEST_ONE) {
		best_name(buf, len, x, g, map[fastest]);
	} else if (b == RENDER_BEST_UNKNOWN) {
		x->used.tie_unknown++;
		cb_fmt(buf, len, "tie?");
	} else {
		x->used.tie++;
		cb_fmt(buf, len, "tie:");
		for (size_t i = 0, k = 0; i < m; i++) {
			if (!tie[i])
				continue;
			best_name(name, sizeof(name), x, g, map[i]);
			cb_append(buf, len, "%s %s", k++ ? "," : "", name);
		}
	}
}

/* "-0.000" reads as a sign where there is none. */
static double no_negative_zero(double v)
{
	return fabs(v) < 0.0005 ? 0 : v;
}

/* Karp-Flatt at the largest worker count, per column: with its interval (clipped to
 * [0, 1], the range of a serial fraction), or n/a. */
static void karp_flatt_line(FILE *f, struct render_ctx *x, const struct group *g)
{
	unsigned top = g->rows[g->nrows - 1];
	char safe[256], head[256];
	int first = 1;

	fprintf(f, x->md ? "\nKarp-Flatt serial fraction at %u workers:" :
		"  Karp-Flatt serial fraction at %u workers:", top);
	for (size_t c = 0; c < g->ncols; c++) {
		const cJSON *r = group_cell(g, c, g->nrows - 1);
		const cJSON *ci = r ? cJSON_GetObjectItemCaseSensitive(r, "karp_flatt_ci95") : NULL;
		double e = r ? jsonb_num(r, "karp_flatt") : NAN, lo = NAN, hi = NAN;
		if (!r || !isfinite(jsonb_num(r, "speedup")))
			continue;
		if (cJSON_GetArraySize(ci) == 2) {
			lo = num_item(ci, 0);
			hi = num_item(ci, 1);
		}
		col_header(head, sizeof(head), x, g, c);   /* as the column is headed */
		fprintf(f, "%s %s ", first ? "" : ",", safe_text(head, safe, sizeof(safe), x->md));
		first = 0;
		if (render_kf_shown(e, lo, hi)) {
			fprintf(f, "%.3f [%.3f, %.3f]", e, no_negative_zero(fmax(lo, 0)),
				no_negative_zero(fmin(hi, 1)));
		} else {
			x->used.kf_na++;
			fprintf(f, "n/a");
		}
	}
	fprintf(f, "\n");
}

static int render_group(FILE *f, struct render_ctx *x, const struct group *g)
{
	char title[512], ptext[400], t[32], rate[64], safe[512];
	int md = x->md, w = 26;     /* every column as wide as its widest heading or cell */
	struct cell_layout lay;

	params_text(ptext, sizeof(ptext), cJSON_GetObjectItemCaseSensitive(g->first, "params"));
	cb_fmt(title, sizeof(title), "%s %s", jsonb_str(g->first, "workload"), ptext);
	fprintf(f, md ? "### %s\n\n" : "%s\n", safe_text(title, safe, sizeof(safe), md));
	for (size_t d = 0; d < x->n && d < 16; d++) {
		const cJSON *seq = g->seq[d];
		char slabel[256], mark[48] = "";
		if (!seq)
			continue;
		cb_fmt_time(t, sizeof(t), jsonb_num(seq, "median_s"));
		cb_fmt_rate(rate, sizeof(rate),
			    jsonb_num(cJSON_GetObjectItemCaseSensitive(seq, "throughput"), "value"),
			    jsonb_str(cJSON_GetObjectItemCaseSensitive(seq, "throughput"), "unit"));
		if (noisy(seq)) {
			x->used.noisy++;
			cb_fmt(mark, sizeof(mark), ", noisy (CV %.1f%%)", 100 * jsonb_num(seq, "cv"));
		}
		fprintf(f, md ? "seq baseline%s%s: median %s, %s%s\n\n" :
			"  seq baseline%s%s: median %s, %s%s\n",
			x->n > 1 ? " on " : "",
			x->n > 1 ? safe_text(x->names[d], slabel, sizeof(slabel), md) : "", t,
			safe_text(rate, safe, sizeof(safe), md), mark);
	}
	if (!g->ncols) {
		if (!md)
			fprintf(f, "\n");
		return 0;
	}
	group_layout(g, &lay);
	for (size_t c = 0; c < g->ncols; c++) {
		char h[192];
		col_header(h, sizeof(h), x, g, c);
		if ((int)strlen(safe_text(h, safe, sizeof(safe), md)) > w)
			w = (int)strlen(safe);
	}
	for (size_t q = 0; q < g->nrows && !md; q++)
		for (size_t c = 0; c < g->ncols; c++) {
			struct used scratch = { 0 };
			char cell[128];
			if (!group_cell(g, c, q))
				continue;
			cell_text(cell, sizeof(cell), group_cell(g, c, q), &lay, &scratch, 0);
			w = (int)strlen(cell) > w ? (int)strlen(cell) : w;
		}
	/* header */
	if (md) {
		fprintf(f, "| workers |");
		for (size_t c = 0; c < g->ncols; c++) {
			char h[192];
			col_header(h, sizeof(h), x, g, c);
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
			col_header(h, sizeof(h), x, g, c);
			fprintf(f, "  %-*s", w, safe_text(h, safe, sizeof(safe), md));
		}
		fprintf(f, "  best\n");
	}
	for (size_t q = 0; q < g->nrows; q++) {
		char best[1024];
		if (cb_stop_signal)
			return -EINTR;
		fprintf(f, md ? "| %u |" : "  %-8u", g->rows[q]);
		for (size_t c = 0; c < g->ncols; c++) {
			const cJSON *r = group_cell(g, c, q);
			char cell[128] = "-";
			if (r)
				cell_text(cell, sizeof(cell), r, &lay, &x->used, md);
			if (md)
				fprintf(f, " %s |", cell);
			else
				fprintf(f, "  %-*s", w, cell);
		}
		best_text(best, sizeof(best), x, g, q);
		fprintf(f, md ? " %s |\n" : "  %s\n", safe_text(best, safe, sizeof(safe), md));
	}
	if (g->nrows && g->rows[g->nrows - 1] > 1)
		karp_flatt_line(f, x, g);
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

/* The end of a CSV row: the cell's +-, =seq and noisy as the table shows them (empty
 * where the table says +-?) and Karp-Flatt's interval as the report holds it. */
static void csv_row_uncertainty(FILE *f, const cJSON *r)
{
	const cJSON *kci = cJSON_GetObjectItemCaseSensitive(r, "karp_flatt_ci95");
	double lo, hi, h;

	h = speedup_interval(r, &lo, &hi) ? render_halfwidth(jsonb_num(r, "speedup"), lo, hi) : NAN;
	csv_num(f, h);
	fprintf(f, ",%s,%s", !isfinite(h) ? "" : lo <= 1 && 1 <= hi ? "true" : "false",
		noisy(r) ? "true" : "false");
	csv_num(f, cJSON_GetArraySize(kci) == 2 ? num_item(kci, 0) : NAN);
	csv_num(f, cJSON_GetArraySize(kci) == 2 ? num_item(kci, 1) : NAN);
	fputc('\n', f);
}

static int render_csv(FILE *f, cJSON *const *docs, size_t n)
{
	fprintf(f, "host,created,workload,params,executor,binding");
	for (size_t i = 0; i < ARRAY_SIZE(csv_nums); i++)
		fprintf(f, ",%s", csv_nums[i]);
	fprintf(f, ",ci95_lo_s,ci95_hi_s,speedup_lo,speedup_hi,throughput,throughput_unit");
	for (size_t i = 0; i < ARRAY_SIZE(csv_ru); i++)
		fprintf(f, ",%s", csv_ru[i]);
	/* New columns go at the end: readers by position keep working. */
	fprintf(f, ",checksum,verified,label,speedup_pm,same_as_seq,noisy,karp_flatt_lo,"
		"karp_flatt_hi\n");
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
			fprintf(f, ",%s,", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "verified")) ?
				"true" : "false");
			csv_field(f, jsonb_str(docs[d], "label"));
			csv_row_uncertainty(f, r);
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

/* The legend under the tables: a short line per marker the cells used. */
static void legend(FILE *f, const struct render_ctx *x, unsigned verified, unsigned total)
{
	const struct used *u = &x->used;
	const char *in = x->md ? "- " : "  ";

	fprintf(f, "%s%u of %u runs verified against the reference.\n", x->md ? "" : "  ",
		verified, total);
	if (x->md)
		fprintf(f, "\n");
	fprintf(f, "%scells: speedup against seq %s the wider half of its 95%% interval, median "
		"time, efficiency\n", in, x->md ? "\xc2\xb1" : "+-");
	if (u->same)
		fprintf(f, "%s=seq: the speedup's 95%% interval holds 1.00x: no difference from seq "
			"can be claimed\n", in);
	if (u->no_ci)
		fprintf(f, "%s%s?: no 95%% interval (under 6 samples here or in seq): the difference "
			"may be noise\n", in, x->md ? "\xc2\xb1" : "+-");
	if (u->noisy)
		fprintf(f, "%snoisy: the samples' coefficient of variation is over %.0f%%\n", in,
			100 * NOISY_CV_LIMIT);
	if (u->imbalance)
		fprintf(f, "%s!: the run's slowest worker took over %.1fx the median worker's time\n",
			in, IMBALANCE_LIMIT);
	if (u->tie)
		fprintf(f, "%stie: these cells' speedup intervals overlap the fastest's: no winner\n",
			in);
	if (u->tie_unknown)
		fprintf(f, "%stie?: a cell of the row has no interval: no winner can be named\n", in);
	if (u->kf_na)
		fprintf(f, "%sKarp-Flatt n/a: outside [0, 1] (noise or superlinear) or no interval; "
			"the JSON has it\n", in);
}

static int render_all(FILE *f, cJSON *const *docs, const char *const *paths, size_t n,
		      enum render_format fmt, int saved, render_after_fn *after, void *arg)
{
	static struct group groups[64];
	static struct render_ctx x;
	ssize_t ng;
	size_t hidden = 0;
	unsigned verified = 0, total = 0;
	int rc = 0;

	for (size_t d = 0; d < n; d++)
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) < 1)
			return -EINVAL;
	if (fmt == RENDER_CSV)
		return render_csv(f, docs, n);
	memset(&x, 0, sizeof(x));
	x.docs = docs;
	x.n = n;
	x.md = fmt == RENDER_MARKDOWN;
	doc_names(&x, paths);
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
	/* One report's label heads its tables; with several, every column names its report. */
	if (n == 1 && *jsonb_str(docs[0], "label")) {
		char safe[256];
		fprintf(f, x.md ? "## %s\n\n" : "%s\n\n",
			safe_text(jsonb_str(docs[0], "label"), safe, sizeof(safe), x.md));
	}
	for (ssize_t i = 0; i < ng && !rc; i++) {
		rc = render_group(f, &x, &groups[i]);
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
		}
	}
	legend(f, &x, verified, total);
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
	return render_all(f, docs, NULL, n, fmt, 1, NULL, NULL);
}

int render_reports_files(FILE *f, cJSON *const *docs, const char *const *paths, size_t n,
			 enum render_format fmt)
{
	return render_all(f, docs, paths, n, fmt, 1, NULL, NULL);
}

int render_reports_then(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt,
			int saved, render_after_fn *after, void *arg)
{
	return render_all(f, docs, NULL, n, fmt, saved, after, arg);
}
