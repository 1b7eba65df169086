/* SPDX-License-Identifier: MIT */
/* render: speedup tables (text, markdown) and CSV rows from report documents.
 *
 * Runs are grouped by workload and params (the run key without executor, workers and
 * binding); within a group, rows are worker counts and columns executors (per report when
 * several are given). A cell shows the speedup against seq, the median time and the
 * efficiency; "~" marks a cell whose median's 95% interval overlaps the seq baseline's:
 * no difference can be claimed from these samples. */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonb.h"
#include "report.h"
#include "util.h"

#define MAX_COLS 32
#define MAX_ROWS 128

int render_format_parse(const char *s, enum render_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = RENDER_TABLE;
	else if (strcmp(s, "markdown") == 0)
		*f = RENDER_MARKDOWN;
	else if (strcmp(s, "csv") == 0)
		*f = RENDER_CSV;
	else
		return -EINVAL;
	return 0;
}

static void fmt_rate(char *buf, size_t len, double v, const char *unit)
{
	static const char *const pre[] = { "", "k", "M", "G", "T" };
	size_t i = 0;
	if (!isfinite(v)) {
		cb_fmt(buf, len, "-");
		return;
	}
	while (v >= 1000 && i + 1 < ARRAY_SIZE(pre)) {
		v /= 1000;
		i++;
	}
	/* unit is like "numbers/s": put the prefix before it */
	cb_fmt(buf, len, "%.3g %s%s", v, pre[i], unit);
}

/* "size=200000000 tasks=240 kernel=sumsq ..." from a params object, in its order. */
static void params_text(char *buf, size_t len, const cJSON *params)
{
	const cJSON *p;
	size_t used = 0;
	buf[0] = 0;
	cJSON_ArrayForEach(p, params) {
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
		used = strlen(buf);
	}
}

struct col {
	size_t doc;
	const char *executor;
};

struct group {
	char *key;
	const cJSON *first;                  /* a run of the group, for the title */
	const cJSON *seq[16];                /* per document */
	struct col cols[MAX_COLS];
	size_t ncols;
	unsigned rows[MAX_ROWS];
	size_t nrows;
};

static const cJSON *find_run(const cJSON *doc, const char *key, const char *executor,
			     unsigned workers)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "runs")) {
		char *k;
		int match;
		if (strcmp(jsonb_str(r, "executor"), executor) ||
		    jsonb_num(r, "workers") != workers)
			continue;
		k = report_group_key(r);
		match = k && strcmp(k, key) == 0;
		free(k);
		if (match)
			return r;
	}
	return NULL;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

/* Collect the groups of all documents, in order of first appearance. */
static size_t collect_groups(cJSON *const *docs, size_t n, struct group *g, size_t max)
{
	size_t ng = 0;
	for (size_t d = 0; d < n && d < 16; d++) {
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			char *k = report_group_key(r);
			size_t i;
			const char *ex = jsonb_str(r, "executor");
			unsigned w = (unsigned)jsonb_num(r, "workers");
			if (!k)
				continue;
			for (i = 0; i < ng && strcmp(g[i].key, k); i++)
				;
			if (i == ng) {
				if (ng == max) {
					free(k);
					continue;
				}
				memset(&g[ng], 0, sizeof(g[ng]));
				g[ng].key = k;
				g[ng].first = r;
				ng++;
			} else {
				free(k);
			}
			if (strcmp(ex, "seq") == 0) {
				g[i].seq[d] = r;
				continue;
			}
			size_t c;
			for (c = 0; c < g[i].ncols; c++)
				if (g[i].cols[c].doc == d && strcmp(g[i].cols[c].executor, ex) == 0)
					break;
			if (c == g[i].ncols && c < MAX_COLS)
				g[i].cols[g[i].ncols++] = (struct col){ d, ex };
			size_t q;
			for (q = 0; q < g[i].nrows && g[i].rows[q] != w; q++)
				;
			if (q == g[i].nrows && q < MAX_ROWS)
				g[i].rows[g[i].nrows++] = w;
		}
	}
	for (size_t i = 0; i < ng; i++)
		qsort(g[i].rows, g[i].nrows, sizeof(unsigned), cmp_unsigned);
	return ng;
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
 * reports the report it comes from. */
static void col_header(char *buf, size_t len, cJSON *const *docs, size_t n, const struct group *g,
		       size_t c)
{
	char label[128] = "";
	const char *binding = "none";
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[g->cols[c].doc], "runs")) {
		char *k;
		if (strcmp(jsonb_str(r, "executor"), g->cols[c].executor))
			continue;
		k = report_group_key(r);
		if (k && strcmp(k, g->key) == 0)
			binding = jsonb_str(r, "binding");
		free(k);
		if (strcmp(binding, "none"))
			break;
	}
	if (n > 1)
		doc_label(label, sizeof(label), docs[g->cols[c].doc]);
	cb_fmt(buf, len, "%s%s%s%s%s", g->cols[c].executor, strcmp(binding, "none") && *binding ? "/" : "",
	       strcmp(binding, "none") ? binding : "", n > 1 ? " @ " : "", label);
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
}

static void render_group(FILE *f, cJSON *const *docs, size_t n, const struct group *g, int md)
{
	char title[512], ptext[400], label[128], t[32], rate[64];
	int w = 26;     /* every column as wide as the widest heading */

	params_text(ptext, sizeof(ptext), cJSON_GetObjectItemCaseSensitive(g->first, "params"));
	cb_fmt(title, sizeof(title), "%s %s", jsonb_str(g->first, "workload"), ptext);
	if (md)
		fprintf(f, "### %s\n\n", title);
	else
		fprintf(f, "%s\n", title);
	for (size_t d = 0; d < n && d < 16; d++) {
		const cJSON *seq = g->seq[d];
		if (!seq)
			continue;
		doc_label(label, sizeof(label), docs[d]);
		cb_fmt_time(t, sizeof(t), jsonb_num(seq, "median_s"));
		fmt_rate(rate, sizeof(rate),
			 jsonb_num(cJSON_GetObjectItemCaseSensitive(seq, "throughput"), "value"),
			 jsonb_str(cJSON_GetObjectItemCaseSensitive(seq, "throughput"), "unit"));
		fprintf(f, md ? "seq baseline%s%s: median %s, %s\n\n" : "  seq baseline%s%s: median %s, %s\n",
			n > 1 ? " on " : "", n > 1 ? label : "", t, rate);
	}
	if (!g->ncols) {
		if (!md)
			fprintf(f, "\n");
		return;
	}
	for (size_t c = 0; c < g->ncols; c++) {
		char h[192];
		col_header(h, sizeof(h), docs, n, g, c);
		if ((int)strlen(h) > w)
			w = (int)strlen(h);
	}
	/* header */
	if (md) {
		fprintf(f, "| workers |");
		for (size_t c = 0; c < g->ncols; c++) {
			char h[192];
			col_header(h, sizeof(h), docs, n, g, c);
			fprintf(f, " %s |", h);
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
			fprintf(f, "  %-*s", w, h);
		}
		fprintf(f, "  best\n");
	}
	for (size_t q = 0; q < g->nrows; q++) {
		const char *best = "-";
		double best_m = INFINITY;
		fprintf(f, md ? "| %u |" : "  %-8u", g->rows[q]);
		for (size_t c = 0; c < g->ncols; c++) {
			const cJSON *r = find_run(docs[g->cols[c].doc], g->key, g->cols[c].executor,
						  g->rows[q]);
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
		fprintf(f, md ? " %s |\n" : "  %s\n", best);
	}
	/* Karp-Flatt at the largest worker count, per column */
	if (g->nrows && g->rows[g->nrows - 1] > 1) {
		unsigned top = g->rows[g->nrows - 1];
		fprintf(f, md ? "\nKarp-Flatt serial fraction at %u workers:" : "  Karp-Flatt serial fraction at %u workers:", top);
		for (size_t c = 0; c < g->ncols; c++) {
			const cJSON *r = find_run(docs[g->cols[c].doc], g->key, g->cols[c].executor, top);
			double e = r ? jsonb_num(r, "karp_flatt") : NAN;
			if (isfinite(e))
				fprintf(f, " %s %.3f%s", g->cols[c].executor, e,
					c + 1 < g->ncols ? "," : "");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
}

static void csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n")) {
		fputc('"', f);
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

static void render_csv(FILE *f, cJSON *const *docs, size_t n)
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
}

int render_reports(FILE *f, cJSON *const *docs, size_t n, enum render_format fmt)
{
	static struct group groups[64];
	size_t ng;
	unsigned verified = 0, total = 0;

	for (size_t d = 0; d < n; d++)
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) < 1)
			return -EINVAL;
	if (fmt == RENDER_CSV) {
		render_csv(f, docs, n);
		return 0;
	}
	ng = collect_groups(docs, n, groups, ARRAY_SIZE(groups));
	for (size_t i = 0; i < ng; i++)
		render_group(f, docs, n, &groups[i], fmt == RENDER_MARKDOWN);
	for (size_t d = 0; d < n; d++) {
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			total++;
			verified += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "verified"));
		}
	}
	fprintf(f, "%s%u of %u runs verified against the reference. Cells: speedup against seq, "
		"median time per repetition, efficiency; ~ marks a median whose 95%% interval "
		"overlaps seq's.\n", fmt == RENDER_MARKDOWN ? "" : "  ", verified, total);
	if (fmt == RENDER_TABLE) {
		/* The warnings themselves went to stderr when the runs were made. */
		int nw = 0;
		for (size_t d = 0; d < n; d++)
			nw += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "warnings"));
		if (nw)
			fprintf(f, "  %d warning%s about noise or placement: see the report's "
				"\"warnings\"\n", nw, nw == 1 ? "" : "s");
	}
	for (size_t i = 0; i < ng; i++)
		free(groups[i].key);
	return 0;
}
