/* SPDX-License-Identifier: MIT */
/* compare_render: a judged comparison (report/compare.h) as a table, markdown or JSON.
 *
 * Every string taken from a report is sanitised before it reaches a terminal or a
 * markdown table; JSON output is built with cJSON. */
#define _GNU_SOURCE
#include "report/compare_render.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonb.h"
#include "base/util.h"

#define CELL 192

/* A copy of s safe for one line of a terminal, cut (with "...") to fit len: the shared
 * sanitiser of every renderer (util.h). */
static const char *clean(const char *s, char *buf, size_t len)
{
	return cb_sanitize(s, buf, len);
}

enum col { C_WORKLOAD, C_EXECUTOR, C_WORKERS, C_BINDING, C_PARAMS, C_N, C_BASE, C_NEW, C_CHANGE,
	   C_CI, C_P, C_DETECT, C_VERDICT, NCOL };

static const char *const col_name[NCOL] = { "workload", "executor", "workers", "binding",
	"params", "n", "base", "new", "change", "95% CI", "p", "detects", "verdict" };
static const int col_right[NCOL] = { 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0 };

/* Columns a result leaves out: params that do not vary, the power of a sample comparison
 * (unknown). */
static int col_hidden(const struct cmp_result *res, int any_vary, size_t c)
{
	return (c == C_PARAMS && !any_vary) || (c == C_DETECT && !res->pooled);
}

/* "18%" or ">1000%": a detectable change, which can be huge on a noisy runner; "never"
 * when no outcome of the test is significant at these sizes. */
static void fmt_detect(double v, char *buf, size_t len)
{
	if (isinf(v))
		cb_fmt(buf, len, "never");
	else if (!isfinite(v))
		cb_fmt(buf, len, "-");
	else if (v > 10)
		cb_fmt(buf, len, ">1000%%");
	else
		cb_fmt(buf, len, "%.1f%%", v * 100);
}

/* The params' keys of every run shown, and which of them vary between runs: only those
 * are printed per row; the others once, above the table. */
struct pkeys {
	const char **names;
	unsigned char *vary;
	size_t n;
	int any_vary;
	int failed;         /* memory ran out while rendering a value */
};

static void pkeys_release(struct pkeys *k)
{
	free(k->names);
	free(k->vary);
}

static int pkeys_add_run(struct pkeys *k, size_t cap, const struct cmp_run *r)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, r->params) {
		size_t j;
		if (!c->string)
			continue;
		for (j = 0; j < k->n && strcmp(k->names[j], c->string); j++)
			;
		if (j == k->n) {
			if (k->n == cap)
				return -ENOMEM;   /* cannot happen: cap counts every member */
			k->names[k->n++] = c->string;
		}
	}
	return 0;
}

static const struct cmp_run *shown_run(const struct cmp_result *res, size_t i)
{
	if (i < res->nrows)
		return res->rows[i].base;
	i -= res->nrows;
	if (i < res->nonly_base)
		return res->only_base[i];
	return res->only_head[i - res->nonly_base];
}

static int pkeys_build(const struct cmp_result *res, struct pkeys *k)
{
	size_t nshown = res->nrows + res->nonly_base + res->nonly_head, cap = 0, i, j;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < nshown; i++)
		cap += (size_t)cJSON_GetArraySize(shown_run(res, i)->params);
	k->names = calloc(cap ? cap : 1, sizeof(*k->names));
	k->vary = calloc(cap ? cap : 1, 1);
	if (!k->names || !k->vary)
		return -ENOMEM;
	for (i = 0; i < nshown; i++)
		if (pkeys_add_run(k, cap, shown_run(res, i)) < 0)
			return -ENOMEM;
	for (j = 0; j < k->n; j++) {
		const cJSON *first = cJSON_GetObjectItemCaseSensitive(shown_run(res, 0)->params,
								      k->names[j]);
		for (i = 1; i < nshown && !k->vary[j]; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(shown_run(res, i)->params,
									  k->names[j]);
			if (!first || !v || !cJSON_Compare(first, v, 1))
				k->vary[j] = 1;
		}
		k->any_vary |= k->vary[j];
	}
	return 0;
}

/* v as text; NULL when memory runs out. */
static const char *value_text(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v) && v->valuestring) {
		cb_fmt(buf, len, "%s", v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		cb_fmt(buf, len, "%.15g", v->valuedouble);
	} else {
		char *t = cJSON_PrintUnformatted(v);
		if (!t)
			return NULL;
		cb_fmt(buf, len, "%s", t);
		free(t);
	}
	return buf;
}

/* "k=v k=v" of the params of r that vary (want = 1) or that do not (want = 0); sets
 * k->failed when memory runs out. */
static void params_text(struct pkeys *k, const cJSON *params, int want, char *buf,
			size_t len)
{
	buf[0] = 0;
	for (size_t j = 0; j < k->n; j++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, k->names[j]);
		char val[128];
		if (k->vary[j] != want || !v)
			continue;
		if (!value_text(v, val, sizeof(val))) {
			k->failed = 1;
			cb_fmt(val, sizeof(val), "?");
		}
		cb_append(buf, len, "%s%s=%s", buf[0] ? " " : "", k->names[j], val);
	}
}

static void fmt_value(double v, enum cmp_metric m, const char *unit, char *buf, size_t len)
{
	if (m == CMP_MEDIAN_S) {
		cb_fmt_time_digits(buf, len, v, 3);
	} else if (m == CMP_SPEEDUP && isfinite(v)) {
		cb_fmt(buf, len, "%.3fx", v);
	} else if (!isfinite(v)) {
		cb_fmt(buf, len, "-");
	} else {
		/* fixed decimals and the prefix apart from the unit: the column reads as numbers */
		const char *prefix;
		char u[40];
		v = cb_si_scale(v, &prefix);
		cb_fmt(buf, len, "%.3f %s%s%s", v, prefix, prefix[0] ? " " : "",
		       clean(unit, u, sizeof(u)));
	}
}

static void fmt_pct(double v, char *buf, size_t len)
{
	if (isfinite(v))
		cb_fmt(buf, len, "%+.1f%%", v * 100);
	else
		cb_fmt(buf, len, "-");
}

/* The cells of row i of the verdict table (unsanitised: the printers clean them). */
static void row_cells(const struct cmp_result *res, struct pkeys *k, size_t i,
		      char cells[NCOL][CELL])
{
	const struct cmp_row *w = &res->rows[i];
	enum cmp_metric m = res->opt.metric;
	char a[32], b[32];

	cb_fmt(cells[C_WORKLOAD], CELL, "%s", w->base->workload);
	cb_fmt(cells[C_EXECUTOR], CELL, "%s%s", w->base->executor, w->base->variant);
	cb_fmt(cells[C_WORKERS], CELL, "%u", w->base->workers);
	cb_fmt(cells[C_BINDING], CELL, "%s", w->base->binding);
	params_text(k, w->base->params, 1, cells[C_PARAMS], CELL);
	cb_fmt(cells[C_N], CELL, "%zu/%zu", w->nb, w->nh);
	fmt_value(w->base_center, m, w->unit, cells[C_BASE], CELL);
	fmt_value(w->head_center, m, w->unit, cells[C_NEW], CELL);
	fmt_pct(w->change, cells[C_CHANGE], CELL);
	if (w->has_ci) {
		fmt_pct(w->ci_lo, a, sizeof(a));
		fmt_pct(w->ci_hi, b, sizeof(b));
		cb_fmt(cells[C_CI], CELL, "[%s, %s]", a, b);
	} else {
		cb_fmt(cells[C_CI], CELL, "-");
	}
	if (w->tested)
		cb_fmt(cells[C_P], CELL, "%.2g", w->p);
	else
		cb_fmt(cells[C_P], CELL, "-");
	fmt_detect(w->detectable, cells[C_DETECT], CELL);
	cb_fmt(cells[C_VERDICT], CELL, "%s", compare_verdict_name(w->verdict));
}

static void summary_line(const struct cmp_result *res, char *buf, size_t len)
{
	cb_fmt(buf, len, "summary:");
	for (size_t i = 0; i < CMP_NVERDICTS; i++)
		cb_append(buf, len, "%s %zu %s", i ? "," : "", res->count[compare_verdict_order[i]],
		    compare_verdict_name(compare_verdict_order[i]));
	cb_append(buf, len, ", %zu missing", res->nonly_base + res->nonly_head);
	if (res->family)
		cb_append(buf, len, " (%zu tests, Holm-Bonferroni at alpha %g: expected false positives "
		    "under no change: <= %g)", res->tests, res->opt.alpha, res->opt.alpha);
	else
		cb_append(buf, len, " (%zu tests, expected false positives under no change: %.3g)",
		    res->tests, (double)res->tests * res->opt.alpha);
}

/* What a row's values are, and what brings more of them. */
static const char *values_name(const struct cmp_result *res)
{
	return res->pooled ? "invocations" : "samples";
}

/* The power line: "with 5 invocations a side, this runner detects changes over 18% on
 * every run (90% probability, family-wise alpha 0.01; from the observed spread)"; 0 when the
 * comparison has none (samples, or nothing tested). */
static int power_line(const struct cmp_result *res, char *buf, size_t len)
{
	char d[32];

	if (!res->pooled || isnan(res->detectable_max))
		return 0;
	fmt_detect(res->detectable_max, d, sizeof(d));
	if (res->nbase == res->nhead)
		cb_fmt(buf, len, "with %zu invocations a side, ", res->nbase);
	else
		cb_fmt(buf, len, "with %zu and %zu invocations, ", res->nbase, res->nhead);
	if (isinf(res->detectable_max)) {
		cb_append(buf, len, "this comparison cannot detect a change on every run: the "
			  "test's smallest p, %.2g, is not under alpha %g over %zu runs; give more "
			  "invocations", compare_min_p(res->nbase, res->nhead), res->opt.alpha,
			  res->tests);
		return 1;
	}
	cb_append(buf, len, "this runner detects changes over %s on every run (90%% probability at "
		  "family-wise alpha %g; from %s)", d, res->opt.alpha,
		  !res->power_observed ? "the noise file" :
		  !res->power_noise ? "the observed spread" :
				      "the noise file, else the observed spread");
	return 1;
}

/* The warning of a comparison of one invocation a side; 0 when pooled. */
static int one_invocation_warning(const struct cmp_result *res, char *buf, size_t len)
{
	if (res->pooled)
		return 0;
	cb_fmt(buf, len, "one invocation a side: its samples share the machine's state, so the "
	       "false-alarm rate is unknown; give several reports a side (B1 ... Bk -- N1 ... Nk)");
	return 1;
}

static void insufficient_note(const struct cmp_result *res, const struct cmp_row *w, char *buf,
			      size_t len)
{
	if (res->pooled) {
		cb_fmt(buf, len, "%zu and %zu invocations give p >= %.2g at best; needs >= %zu "
		       "invocations per side at alpha %g", w->nb, w->nh, compare_min_p(w->nb, w->nh),
		       w->need, res->opt.alpha);
		return;
	}
	cb_fmt(buf, len, "%zu and %zu %s give p >= %.2g at best; needs >= %zu %s per "
	       "side at alpha %g", w->nb, w->nh, values_name(res), stats_mwu_min_p(w->nb, w->nh),
	       w->need, values_name(res), res->opt.alpha);
}

static void inconclusive_note(const struct cmp_result *res, const struct cmp_row *w, char *buf,
			      size_t len)
{
	const struct cmp_options *o = &res->opt;
	char d[32];

	if (w->underpowered && isinf(w->detectable)) {
		cb_fmt(buf, len, "%+.1f%% is within the %g%% threshold, but with %zu and %zu "
		       "invocations no outcome is significant at alpha %g over %zu runs (smallest p "
		       "%.2g); more invocations can settle it", w->change * 100, o->threshold * 100,
		       w->nb, w->nh, o->alpha, res->tests, compare_min_p(w->nb, w->nh));
		return;
	}
	if (w->underpowered) {
		fmt_detect(w->detectable, d, sizeof(d));
		cb_fmt(buf, len, "%+.1f%% is within the %g%% threshold, but with %zu and %zu "
		       "invocations this comparison detects only changes over %s (%s); more "
		       "invocations can settle it", w->change * 100, o->threshold * 100, w->nb, w->nh,
		       d, w->power_from_noise ? "the noise file" : "the observed spread");
		return;
	}
	cb_fmt(buf, len, "%+.1f%% is over the %g%% threshold, but p = %.2g is not significant at "
	       "alpha %g%s; more %s can settle it", w->change * 100,
	       w->threshold_used * 100, w->p, o->alpha, res->family ? " with Holm-Bonferroni" : "",
	       res->pooled ? "invocations" : "samples (--repetitions)");
}

/* "threshold 5% raised to 9.1% by the measured noise" for row w; 0 when not raised. */
static int raised_note(const struct cmp_result *res, const struct cmp_row *w, char *buf,
		       size_t len)
{
	if (!(w->threshold_used > res->opt.threshold))
		return 0;
	cb_fmt(buf, len, "threshold %g%% raised to %.1f%% by the measured noise",
	       res->opt.threshold * 100, w->threshold_used * 100);
	return 1;
}

/* The note on row w (insufficient or inconclusive) in buf; 0 when it has none. */
static int row_note(const struct cmp_result *res, const struct cmp_row *w, char *buf, size_t len)
{
	if (w->verdict == CMP_INSUFFICIENT)
		insufficient_note(res, w, buf, len);
	else if (w->verdict == CMP_INCONCLUSIVE)
		inconclusive_note(res, w, buf, len);
	else
		return 0;
	return 1;
}

/* The warnings that bear on a verdict: the samples were noisy, or did not run where they
 * were planned. Reports from before warnings had codes carry none. */
static const char *const verdict_warnings[] = { "noisy", "strayed", "binding-failed" };

/* "noisy (CV 7.2%), strayed (2 of 10 samples)": the verdict_warnings of run r (of the
 * first invocation that has it, when a side has several), "" when none. */
static void side_warnings(const struct cmp_run *r, char *buf, size_t len)
{
	double cv = jsonb_num(r->obj, "cv"), strayed = jsonb_num(r->obj, "strayed_samples");

	buf[0] = 0;
	for (size_t i = 0; i < r->ncodes; i++) {
		size_t j;
		for (j = 0; j < ARRAY_SIZE(verdict_warnings) && strcmp(r->codes[i], verdict_warnings[j]); j++)
			;
		if (j == ARRAY_SIZE(verdict_warnings))
			continue;
		cb_append(buf, len, "%s%s", buf[0] ? ", " : "", r->codes[i]);
		if (strcmp(r->codes[i], "noisy") == 0 && isfinite(cv))
			cb_append(buf, len, " (CV %.1f%%)", 100 * cv);
		else if (strcmp(r->codes[i], "strayed") == 0 && isfinite(strayed))
			cb_append(buf, len, " (%.0f of %zu samples)", strayed, r->n);
	}
}

/* "new: noisy (CV 7.2%); base: strayed (2 of 10 samples)" for row w; 0 when neither side
 * has such a warning. */
static int row_warnings(const struct cmp_row *w, char *buf, size_t len)
{
	char b[256], h[256];

	side_warnings(w->base, b, sizeof(b));
	side_warnings(w->head, h, sizeof(h));
	buf[0] = 0;
	if (h[0])
		cb_append(buf, len, "new: %s", h);
	if (b[0])
		cb_append(buf, len, "%sbase: %s", buf[0] ? "; " : "", b);
	return buf[0] != 0;
}

static const char *metric_text(enum cmp_metric m)
{
	return m == CMP_THROUGHPUT ? "throughput (higher is better)" : "median_s (lower is better)";
}

/* The base name of a path: a CI job's temporary directory says nothing to a reader. */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

/* What a side is called (unsanitised): side (0 base, 1 new) of --labels, else its first
 * report's "label", else the concbench git revision that ran it, else its files' base
 * names, space-separated. */
static void side_name(const struct cmp_result *res, const struct cmp_report *reps, size_t n,
		      int side, char *buf, size_t len)
{
	const char *labels = res->opt.labels, *git;

	buf[0] = 0;
	if (labels && strchr(labels, ',')) {
		const char *comma = strchr(labels, ',');
		if (side == 0)
			cb_fmt(buf, len, "%.*s", (int)(comma - labels), labels);
		else
			cb_fmt(buf, len, "%s", comma + 1);
		return;
	}
	if (n && *jsonb_str(reps[0].doc, "label")) {
		cb_fmt(buf, len, "%s", jsonb_str(reps[0].doc, "label"));
		return;
	}
	git = n ? jsonb_str(cJSON_GetObjectItemCaseSensitive(reps[0].doc, "concbench"), "git") : "";
	for (size_t i = 1; i < n && *git; i++)
		if (strcmp(git, jsonb_str(cJSON_GetObjectItemCaseSensitive(reps[i].doc, "concbench"),
					  "git")))
			git = "";       /* the invocations of a side disagree: no one revision */
	if (*git) {
		cb_fmt(buf, len, "git %s", git);
		return;
	}
	for (size_t i = 0; i < n; i++)
		cb_append(buf, len, "%s%s", i ? " " : "", base_name(reps[i].path));
}

/* Both sides' names; when they come out the same, each followed by its files' base names. */
static void side_names(const struct cmp_result *res, const struct cmp_report *base,
		       const struct cmp_report *head, char names[2][512])
{
	side_name(res, base, res->nbase, 0, names[0], sizeof(names[0]));
	side_name(res, head, res->nhead, 1, names[1], sizeof(names[1]));
	if (strcmp(names[0], names[1]) == 0) {
		for (int s = 0; s < 2; s++) {
			const struct cmp_report *reps = s ? head : base;
			size_t n = s ? res->nhead : res->nbase;
			cb_append(names[s], sizeof(names[s]), " (");
			for (size_t i = 0; i < n; i++)
				cb_append(names[s], sizeof(names[s]), "%s%s", i ? " " : "",
					  base_name(reps[i].path));
			cb_append(names[s], sizeof(names[s]), ")");
		}
	}
}

/* When the comparison is pooled, the line that says so and how many invocations each side
 * had, after the text in before. */
static void pooled_line(FILE *f, const struct cmp_result *res, const char *before)
{
	if (res->pooled)
		fprintf(f, "%sinvocations: base %zu, new %zu; each run is judged on the medians of "
			"its invocations (n counts them)\n", before, res->nbase, res->nhead);
}

static int print_table(FILE *f, const struct cmp_result *res, struct pkeys *k,
		       const struct cmp_report *base, const struct cmp_report *head)
{
	char (*cells)[NCOL][CELL] = calloc(res->nrows ? res->nrows : 1, sizeof(*cells));
	size_t width[NCOL], i, c;
	char tmp[1024], line[1024], p1[256], p2[256], sides[2][512], safe[2][512];

	if (!cells)
		return compare_out_of_memory("printing the table");
	side_names(res, base, head, sides);
	fprintf(f, "concbench compare: base '%s', new '%s'\n", clean(sides[0], safe[0], sizeof(safe[0])),
		clean(sides[1], safe[1], sizeof(safe[1])));
	compare_method(res, tmp, sizeof(tmp));
	fprintf(f, "metric %s, threshold %g%%, alpha %g%s\nmethod: %s\n",
		metric_text(res->opt.metric), res->opt.threshold * 100, res->opt.alpha,
		res->family ? " (Holm-Bonferroni)" : "", tmp);
	pooled_line(f, res, "");
	if (one_invocation_warning(res, line, sizeof(line)))
		fprintf(f, "warning: %s\n", line);
	params_text(k, shown_run(res, 0)->params, 0, line, sizeof(line));
	if (line[0])
		fprintf(f, "params of every run: %s\n", clean(line, tmp, sizeof(tmp)));
	fputc('\n', f);
	for (c = 0; c < NCOL; c++)
		width[c] = strlen(col_name[c]);
	for (i = 0; i < res->nrows; i++) {
		row_cells(res, k, i, cells[i]);
		for (c = 0; c < NCOL; c++)
			width[c] = width[c] > strlen(cells[i][c]) ? width[c] : strlen(cells[i][c]);
	}
	for (i = 0; i <= res->nrows; i++) {
		int first = 1;
		for (c = 0; c < NCOL; c++) {
			const char *s = i == 0 ? col_name[c] : clean(cells[i - 1][c], tmp, sizeof(tmp));
			if (col_hidden(res, k->any_vary, c))
				continue;
			if (!first)
				fputs("  ", f);
			if (c == NCOL - 1)
				fputs(s, f);
			else
				fprintf(f, col_right[c] ? "%*s" : "%-*s", (int)width[c], s);
			first = 0;
		}
		fputc('\n', f);
	}
	free(cells);
	for (i = 0; i < res->nonly_base + res->nonly_head; i++) {
		const struct cmp_run *r = shown_run(res, res->nrows + i);
		params_text(k, r->params, 1, line, sizeof(line));
		fprintf(f, "%sonly in %s: %s%s%s\n", i == 0 ? "\n" : "",
			i < res->nonly_base ? "base" : "new", compare_run_name(r, p1, sizeof(p1)),
			line[0] ? " " : "", clean(line, tmp, sizeof(tmp)));
	}
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		if (!row_note(res, w, p2, sizeof(p2)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fprintf(f, "note: %s%s%s: %s: %s\n", compare_run_name(w->base, p1, sizeof(p1)),
			line[0] ? " " : "", clean(line, tmp, sizeof(tmp)),
			compare_verdict_name(w->verdict), p2);
	}
	/* the raised thresholds, then the warnings */
	for (i = 0; i < 2 * res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i % res->nrows];
		if (i < res->nrows ? !raised_note(res, w, p2, sizeof(p2)) :
				     !row_warnings(w, p2, sizeof(p2)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fprintf(f, "note: %s%s%s: %s\n", compare_run_name(w->base, p1, sizeof(p1)),
			line[0] ? " " : "", clean(line, tmp, sizeof(tmp)), p2);
	}
	summary_line(res, line, sizeof(line));
	fprintf(f, "%s\n", line);
	if (power_line(res, line, sizeof(line)))
		fprintf(f, "power: %s\n", line);
	return k->failed ? compare_out_of_memory("printing the table") : 0;
}

/* s inside a markdown code span: sanitised (util.h), '|' escaped (it would end the table
 * cell), '`' replaced (it would end the span). */
static void md_put(FILE *f, const char *s)
{
	char safe[2048];

	for (s = cb_sanitize(s, safe, sizeof(safe)); *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '|')
			fputs("\\|", f);
		else if (ch == '`')
			fputc('\'', f);
		else
			fputc(ch, f);
	}
}

/* s as markdown text or a table cell: sanitised, and the characters that make links,
 * emphasis, HTML, code or a new cell escaped, so that a report's strings show as written. */
static void md_text(FILE *f, const char *s)
{
	char safe[2048];

	for (s = cb_sanitize(s, safe, sizeof(safe)); *s; s++) {
		if (strchr("\\`*_[]<>|~", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}


static int print_markdown(FILE *f, const struct cmp_result *res, struct pkeys *k,
			  const struct cmp_report *base, const struct cmp_report *head)
{
	char cells[NCOL][CELL], line[1024], sides[2][512];
	size_t i, c, nreg = res->count[CMP_REGRESSED], ninc = res->count[CMP_INCONCLUSIVE];
	int warned = 0;     /* a row has a warnings note */

	if (nreg)
		fprintf(f, "### concbench compare: %zu regression%s", nreg, nreg == 1 ? "" : "s");
	else
		fprintf(f, "### concbench compare: no regression");
	if (ninc)
		fprintf(f, ", %zu inconclusive", ninc);
	fputs("\n\n", f);
	side_names(res, base, head, sides);
	fputs("base `", f);
	md_put(f, sides[0]);
	fputs("`, new `", f);
	md_put(f, sides[1]);
	fputc('`', f);
	compare_method(res, line, sizeof(line));
	fprintf(f, "; metric %s, threshold %g%%, alpha %g%s\n\nmethod: %s\n",
		metric_text(res->opt.metric), res->opt.threshold * 100, res->opt.alpha,
		res->family ? " with Holm-Bonferroni" : "", line);
	pooled_line(f, res, "\n");
	if (power_line(res, line, sizeof(line)))
		fprintf(f, "\npower: %s\n", line);
	if (one_invocation_warning(res, line, sizeof(line)))
		fprintf(f, "\n> **warning**: %s\n", line);
	params_text(k, shown_run(res, 0)->params, 0, line, sizeof(line));
	if (line[0]) {
		fputs("\nparams of every run: `", f);
		md_put(f, line);
		fputs("`\n", f);
	}
	if (res->hosts[0]) {
		fputs("\n> **warning**: the reports come from different hosts: ", f);
		md_text(f, res->hosts);
		fputc('\n', f);
	}
	fputs("\n|", f);
	for (c = 0; c < NCOL; c++)
		if (!col_hidden(res, k->any_vary, c))
			fprintf(f, " %s |", col_name[c]);
	fputs("\n|", f);
	for (c = 0; c < NCOL; c++)
		if (!col_hidden(res, k->any_vary, c))
			fputs(col_right[c] ? " ---: |" : " --- |", f);
	fputc('\n', f);
	for (i = 0; i < res->nrows; i++) {
		enum cmp_verdict v = res->rows[i].verdict;
		row_cells(res, k, i, cells);
		fputc('|', f);
		for (c = 0; c < NCOL; c++) {
			int bold = c == C_VERDICT && (v == CMP_REGRESSED || v == CMP_IMPROVED);
			if (col_hidden(res, k->any_vary, c))
				continue;
			fputs(bold ? " **" : " ", f);
			md_text(f, cells[c]);
			fputs(bold ? "** |" : " |", f);
		}
		fputc('\n', f);
	}
	if (res->nonly_base + res->nonly_head)
		fputc('\n', f);
	for (i = 0; i < res->nonly_base + res->nonly_head; i++) {
		const struct cmp_run *r = shown_run(res, res->nrows + i);
		char name[256];
		params_text(k, r->params, 1, line, sizeof(line));
		fprintf(f, "- only in %s: `", i < res->nonly_base ? "base" : "new");
		md_put(f, compare_run_name(r, name, sizeof(name)));
		if (line[0]) {
			fputc(' ', f);
			md_put(f, line);
		}
		fputs("`\n", f);
	}
	for (i = 0; i < res->nrows && !warned; i++)
		warned = row_warnings(&res->rows[i], line, sizeof(line)) ||
			 raised_note(res, &res->rows[i], line, sizeof(line));
	if (res->count[CMP_INSUFFICIENT] + res->count[CMP_INCONCLUSIVE] || warned)
		fputc('\n', f);
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		char name[256], note[256];
		if (!row_note(res, w, note, sizeof(note)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fputs("- `", f);
		md_put(f, compare_run_name(w->base, name, sizeof(name)));
		if (line[0]) {
			fputc(' ', f);
			md_put(f, line);
		}
		fprintf(f, "`: %s: %s\n", compare_verdict_name(w->verdict), note);
	}
	/* As text, escaped like the table's cells: the names come from the report. */
	for (i = 0; i < 2 * res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i % res->nrows];
		char name[256], note[256];
		if (i < res->nrows ? !raised_note(res, w, note, sizeof(note)) :
				     !row_warnings(w, note, sizeof(note)))
			continue;
		params_text(k, w->base->params, 1, line, sizeof(line));
		fputs("- ", f);
		md_text(f, compare_run_name(w->base, name, sizeof(name)));
		fputs(line[0] ? " " : "", f);
		md_text(f, line);
		fputs(": ", f);
		md_text(f, note);
		fputc('\n', f);
	}
	summary_line(res, line, sizeof(line));
	fprintf(f, "\n%s\n", line);
	return k->failed ? compare_out_of_memory("printing the markdown") : 0;
}

static cJSON *json_run_key(struct jsonb *b, const struct cmp_run *r)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());

	jsonb_add_str(b, o, "workload", r->workload);
	jsonb_item(b, o, "params", cJSON_Duplicate(r->params, 1));
	jsonb_add_str(b, o, "executor", r->executor);
	if (r->variant[0])
		jsonb_add_str(b, o, "variant", r->variant);
	jsonb_add_num(b, o, "workers", r->workers);
	jsonb_add_str(b, o, "binding", r->binding);
	return o;
}

/* One side of a row: its run's index, sample (or invocation) count, median, and the codes
 * of the warnings about the run shown. */
static cJSON *json_side(struct jsonb *b, const struct cmp_result *res, const struct cmp_run *r,
			size_t n, double median, double center)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject()), *a = jsonb_chk(b, cJSON_CreateArray());

	jsonb_add_num(b, o, "run_index", (double)r->index);
	jsonb_add_num(b, o, "n", (double)n);
	jsonb_add_num(b, o, "median", median);
	if (res->pooled)
		jsonb_add_num(b, o, "geomean", center);
	for (size_t i = 0; a && i < r->ncodes; i++)
		jsonb_push(b, a, cJSON_CreateString(r->codes[i]));
	jsonb_item(b, o, "warnings", a);
	return o;
}

/* The runs found on one side only: their keys and indices. */
static cJSON *json_only(struct jsonb *b, const struct cmp_run *const *runs, size_t n)
{
	cJSON *a = jsonb_chk(b, cJSON_CreateArray());

	for (size_t i = 0; i < n; i++) {
		cJSON *o = json_run_key(b, runs[i]);
		jsonb_add_num(b, o, "run_index", (double)runs[i]->index);
		jsonb_push(b, a, o);
	}
	return a;
}

/* A side's reports: the first one's path and runs, and when pooled every path. */
static cJSON *json_side_reports(struct jsonb *b, const struct cmp_result *res,
				const struct cmp_report *reps, size_t n)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject()), *a;

	jsonb_add_str(b, o, "path", reps[0].path);
	jsonb_add_num(b, o, "runs", (double)reps[0].nruns);
	if (res->pooled) {
		jsonb_add_num(b, o, "invocations", (double)n);
		a = jsonb_chk(b, cJSON_CreateArray());
		for (size_t i = 0; i < n; i++)
			jsonb_push(b, a, cJSON_CreateString(reps[i].path));
		jsonb_item(b, o, "paths", a);
	}
	return o;
}

static cJSON *json_result(const struct cmp_result *res, const struct cmp_report *base,
			  const struct cmp_report *head)
{
	struct jsonb b = { 0 };
	cJSON *doc = cJSON_CreateObject(), *o, *a;
	char line[1024], note[256];
	size_t i;

	if (!doc)
		return NULL;
	jsonb_add_str(&b, doc, "schema", "concbench-compare/1");
	jsonb_item(&b, doc, "base", json_side_reports(&b, res, base, res->nbase));
	jsonb_item(&b, doc, "new", json_side_reports(&b, res, head, res->nhead));
	if (res->pooled)
		jsonb_add_str(&b, doc, "pooling", "each run's values are the logs of the medians of "
			      "its invocations; n counts them; base and new are their geometric means");
	compare_method(res, line, sizeof(line));
	jsonb_add_str(&b, doc, "method", line);
	a = jsonb_chk(&b, cJSON_CreateArray());
	if (one_invocation_warning(res, line, sizeof(line)))
		jsonb_push(&b, a, cJSON_CreateString(line));
	jsonb_item(&b, doc, "warnings", a);
	jsonb_add_str(&b, doc, "metric", compare_metric_name(res->opt.metric));
	jsonb_add_bool(&b, doc, "higher_is_better", compare_higher_is_better(res->opt.metric));
	jsonb_add_num(&b, doc, "threshold_pct", res->opt.threshold * 100);
	jsonb_add_num(&b, doc, "alpha", res->opt.alpha);
	jsonb_add_bool(&b, doc, "holm", res->family);
	if (res->opt.noise_path)
		jsonb_add_str(&b, doc, "noise", res->opt.noise_path);
	if (res->pooled) {
		jsonb_add_str(&b, doc, "test", "two-sided permutation test of the difference of "
			      "the mean logs of the invocation medians: exact over every split up "
			      "to 200000, else 100000 random splits from a fixed seed");
		jsonb_add_str(&b, doc, "ci_method", "the t interval of the difference of the mean "
			      "logs, exponentiated, minus 1");
	} else {
		jsonb_add_str(&b, doc, "test", "two-sided Mann-Whitney U: exact without ties and "
			      "both n <= 20, else normal approximation with tie and continuity "
			      "correction");
		jsonb_add_str(&b, doc, "ci_method", "each median's exact order-statistic interval "
			      "at sqrt(0.95), combined as [new_lo/base_hi, new_hi/base_lo] - 1");
	}
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < CMP_NHOST_FIELDS; i++) {
		const cJSON *hb = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(base->doc, "host"), compare_host_fields[i]);
		const cJSON *hh = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(head->doc, "host"), compare_host_fields[i]);
		if ((!hb && !hh) || (hb && hh && cJSON_Compare(hb, hh, 1)))
			continue;
		o = jsonb_chk(&b, cJSON_CreateObject());
		jsonb_add_str(&b, o, "field", compare_host_fields[i]);
		jsonb_item(&b, o, "base", hb ? cJSON_Duplicate(hb, 1) : cJSON_CreateNull());
		jsonb_item(&b, o, "new", hh ? cJSON_Duplicate(hh, 1) : cJSON_CreateNull());
		jsonb_push(&b, a, o);
	}
	jsonb_item(&b, doc, "host_differences", a);
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < res->nrows; i++) {
		const struct cmp_row *w = &res->rows[i];
		o = json_run_key(&b, w->base);
		jsonb_add_str(&b, o, "unit", w->unit);
		jsonb_item(&b, o, "base", json_side(&b, res, w->base, w->nb, w->base_median,
						    w->base_center));
		jsonb_item(&b, o, "new", json_side(&b, res, w->head, w->nh, w->head_median,
						   w->head_center));
		jsonb_add_num(&b, o, "ratio", w->ratio);
		jsonb_add_num(&b, o, "change", w->change);
		if (w->has_ci) {
			double ci[2] = { w->ci_lo, w->ci_hi };
			jsonb_item(&b, o, "change_ci95", jsonb_num_array(&b, ci, 2));
		} else {
			jsonb_add_null(&b, o, "change_ci95");
		}
		if (w->tested && res->pooled) {
			jsonb_add_num(&b, o, "t", w->tt.t);
			jsonb_add_num(&b, o, "df", w->tt.df);
			jsonb_add_num(&b, o, "sd_log", w->tt.sd);
			jsonb_add_num(&b, o, "p", w->p);
			jsonb_add_str(&b, o, "p_method", w->p_exact ? "permutation-exact" :
				      "permutation-random");
		} else if (w->tested) {
			jsonb_add_num(&b, o, "u", w->mwu.u);
			jsonb_add_num(&b, o, "p", w->mwu.p);
			jsonb_add_str(&b, o, "p_method", w->mwu.exact ? "exact" : "normal");
		} else {
			jsonb_add_null(&b, o, "u");
			jsonb_add_null(&b, o, "p");
			jsonb_add_null(&b, o, "p_method");
		}
		jsonb_add_bool(&b, o, "significant", w->significant);
		if (res->pooled) {
			if (isfinite(w->detectable))
				jsonb_add_num(&b, o, "detectable_change", w->detectable);
			else
				jsonb_add_null(&b, o, "detectable_change");
			jsonb_add_str(&b, o, "power_from", !w->tested ? "none" :
				      w->power_from_noise ? "noise" : "observed");
			jsonb_add_num(&b, o, "threshold_used_pct", w->threshold_used * 100);
			if (isfinite(w->floor))
				jsonb_add_num(&b, o, "noise_floor", w->floor);
		}
		jsonb_add_str(&b, o, "verdict", compare_verdict_name(w->verdict));
		if (w->verdict == CMP_INSUFFICIENT)
			jsonb_add_num(&b, o, "needs_samples_per_side", (double)w->need);
		if (row_note(res, w, note, sizeof(note)))
			jsonb_add_str(&b, o, "note", note);
		jsonb_push(&b, a, o);
	}
	jsonb_item(&b, doc, "comparisons", a);
	jsonb_item(&b, doc, "only_in_base", json_only(&b, res->only_base, res->nonly_base));
	jsonb_item(&b, doc, "only_in_new", json_only(&b, res->only_head, res->nonly_head));
	a = jsonb_chk(&b, cJSON_CreateArray());
	for (i = 0; i < CMP_NFAIL_ON; i++)
		if (i == 0 || (res->opt.fail_on & compare_fail_on_names[i].bit))
			jsonb_push(&b, a, cJSON_CreateString(compare_fail_on_names[i].name));
	jsonb_item(&b, doc, "fail_on", a);
	o = jsonb_chk(&b, cJSON_CreateObject());
	for (i = 0; i < CMP_NVERDICTS; i++)
		jsonb_add_num(&b, o, compare_verdict_name(compare_verdict_order[i]),
			      (double)res->count[compare_verdict_order[i]]);
	jsonb_add_num(&b, o, "missing", (double)(res->nonly_base + res->nonly_head));
	jsonb_add_bool(&b, o, "fails", compare_exit_status(res) != CB_EXIT_OK);
	jsonb_add_num(&b, o, "tests", (double)res->tests);
	jsonb_add_num(&b, o, "expected_false_positives",
		res->opt.holm ? res->opt.alpha : (double)res->tests * res->opt.alpha);
	summary_line(res, line, sizeof(line));
	jsonb_add_str(&b, o, "line", line);
	if (isfinite(res->detectable_max))
		jsonb_add_num(&b, o, "detectable_change", res->detectable_max);
	else
		jsonb_add_null(&b, o, "detectable_change");
	if (power_line(res, line, sizeof(line)))
		jsonb_add_str(&b, o, "power", line);
	jsonb_add_num(&b, o, "thresholds_raised", (double)res->raised);
	jsonb_item(&b, doc, "summary", o);
	return jsonb_finish(&b, doc);
}

int compare_render(FILE *f, const struct cmp_result *res, const struct cmp_report *base,
		   const struct cmp_report *head)
{
	struct pkeys k;
	int rc;

	if (res->opt.format == CMP_FORMAT_JSON) {
		cJSON *doc = json_result(res, base, head);
		char *text = doc ? cJSON_Print(doc) : NULL;
		cJSON_Delete(doc);
		if (!text)
			return compare_out_of_memory("building the JSON output");
		fprintf(f, "%s\n", text);
		free(text);
		return 0;
	}
	if (pkeys_build(res, &k) < 0)
		rc = compare_out_of_memory("printing the verdicts");
	else if (res->opt.format == CMP_FORMAT_MARKDOWN)
		rc = print_markdown(f, res, &k, base, head);
	else
		rc = print_table(f, res, &k, base, head);
	pkeys_release(&k);
	return rc;
}

int compare_render_calibration(FILE *f, const struct cmp_options *opt,
			       const struct noise_calibration *cal, size_t n, const cJSON *doc)
{
	char name[256], p[256], tmp[256], cv[32], need[32];
	int vary = 0;      /* the params differ between runs: print them per run */

	if (opt->format == CMP_FORMAT_JSON) {
		char *text = cJSON_Print(doc);
		if (!text)
			return compare_out_of_memory("printing the calibration");
		fprintf(f, "%s\n", text);
		free(text);
		return 0;
	}
	fprintf(f, "concbench compare --calibrate: %zu invocations of one build (A/A), metric %s\n",
		n, compare_metric_name(opt->metric));
	fprintf(f, "spread between invocations: the SD of the logs of each run's invocation "
		"medians (about its CV)\n");
	if (opt->detect > 0)
		fprintf(f, "invocations a side to detect %g%% with 90%% probability at family-wise "
			"alpha %g (%zu runs)\n", opt->detect * 100, opt->alpha, cal->tested);
	for (size_t i = 1; i < cal->nrows && !vary; i++)
		vary = !cJSON_Compare(cal->rows[0].run->params, cal->rows[i].run->params, 1);
	if (cal->nrows && !vary) {
		char *pt = cJSON_PrintUnformatted(cal->rows[0].run->params);
		if (!pt)
			return compare_out_of_memory("printing the calibration");
		fprintf(f, "params of every run: %s\n", clean(pt, tmp, sizeof(tmp)));
		free(pt);
	}
	fputc('\n', f);
	for (size_t i = 0; i < cal->nrows; i++) {
		const struct noise_row *w = &cal->rows[i];
		char *pt = vary ? cJSON_PrintUnformatted(w->run->params) : strdup("");
		if (!pt)
			return compare_out_of_memory("printing the calibration");
		cb_fmt(p, sizeof(p), "%s", pt);
		free(pt);
		if (isnan(w->sd_log))
			cb_fmt(cv, sizeof(cv), "-");
		else
			cb_fmt(cv, sizeof(cv), "%.2f%%", w->sd_log * 100);
		need[0] = 0;
		if (opt->detect > 0 && !isnan(w->sd_log)) {
			if (w->needed)
				cb_fmt(need, sizeof(need), "  needs %u", w->needed);
			else
				cb_fmt(need, sizeof(need), "  needs more than %u", opt->max_invocations);
		}
		fprintf(f, "%-36s %s%sn=%-3zu sd_log %7s%s\n", compare_run_name(w->run, name,
			sizeof(name)), clean(p, tmp, sizeof(tmp)), vary ? "  " : "", w->n, cv, need);
	}
	if (opt->detect > 0) {
		if (cal->needed)
			fprintf(f, "\ninvocations_needed: %u a side detect %g%% on every run\n",
				cal->needed, opt->detect * 100);
		else
			fprintf(f, "\ninvocations_needed: none up to %u a side detects %g%% on every "
				"run\n", opt->max_invocations, opt->detect * 100);
	}
	if (opt->output)
		fprintf(f, "noise file: %s\n", clean(opt->output, tmp, sizeof(tmp)));
	return 0;
}
