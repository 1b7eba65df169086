/* SPDX-License-Identifier: MIT */
/* history: the command. `add` stores reports as invocations of a commit, `show` prints a
 * metric's series over commits, `plot` draws them, `check` finds where they changed and
 * fails when the newest commit sits after a change for the worse. The database and the
 * statistics are report/history.h's; this file parses, selects and prints. */
#define _GNU_SOURCE
#include "cmd/cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/options.h"
#include "core/sync.h"
#include "measure/changepoint.h"
#include "report/history.h"
#include "report/plot.h"
#include "report/report.h"

#define HISTORY_PLOT_MAX_SERIES 12
#define HISTORY_PLOT_MAX_TICS 30      /* more commits than this: positions only */

enum sub { SUB_ADD, SUB_SHOW, SUB_PLOT, SUB_CHECK, NSUB };
static const char *const sub_names[NSUB] = { "add", "show", "plot", "check" };

static void usage(void)
{
	printf("usage: concbench history add REPORT.json... [--commit SHA] [--branch NAME] "
	       "[--label L] [--db PATH]\n"
	       "       concbench history show [SELECTORS] [--metric M] [--format table|markdown|json]\n"
	       "       concbench history plot --output CHART.png|.svg [SELECTORS] [--metric M]\n"
	       "       concbench history check [SELECTORS] [--metric M] [--alpha A] [--format F]\n\n"
	       "Keeps runs over commits in an SQLite database. Each report added is one\n"
	       "invocation of one commit: --commit, or else the report's label when it is a SHA\n"
	       "(run with --label $(git rev-parse HEAD)). A commit's place in the series is the\n"
	       "order in which it was first added. A run key (workload, executor, workers,\n"
	       "binding, params) is one series; per commit, show prints the invocations, the\n"
	       "median of their medians with its 95%% interval (from 6 invocations) and the\n"
	       "change against the commit before. check finds changes of level by E-divisive\n"
	       "means with a permutation test (seed %d), each series at alpha / series, and\n"
	       "exits 1 when a series' last change, up to the newest commit, is for the worse.\n\n",
	       HISTORY_SEED);
	opts_usage(&opt_history);
	printf("\nexit status: 0 ok (check: no change for the worse), 1 check found one, 2 bad "
	       "usage,\ninput or database file, 3 the database could not be written or read\n");
}

/* Options given that the subcommand does not take: one message, -EINVAL. */
static int check_applies(enum sub sub, const struct history_opts *o)
{
	const struct {
		const char *name;
		int given;
		unsigned subs;       /* bits 1 << enum sub */
	} rows[] = {
		{ "commit", o->commit != NULL, 1u << SUB_ADD },
		{ "branch", o->branch != NULL, 1u << SUB_ADD },
		{ "label", o->label != NULL, 1u << SUB_ADD },
		{ "workload", o->workload != NULL, ~(1u << SUB_ADD) },
		{ "executor", o->executor != NULL, ~(1u << SUB_ADD) },
		{ "workers", o->workers_set, ~(1u << SUB_ADD) },
		{ "binding", o->binding != NULL, ~(1u << SUB_ADD) },
		{ "params-match", o->params != NULL, ~(1u << SUB_ADD) },
		{ "key", o->key != NULL, ~(1u << SUB_ADD) },
		{ "metric", o->metric_set, ~(1u << SUB_ADD) },
		{ "format", o->format_set, 1u << SUB_SHOW | 1u << SUB_CHECK },
		{ "alpha", o->alpha_set, 1u << SUB_CHECK },
		{ "output", o->output != NULL, 1u << SUB_PLOT },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char where[64] = "";
		if (!rows[i].given || rows[i].subs & (1u << sub))
			continue;
		for (size_t s = 0; s < NSUB; s++)
			if (rows[i].subs & (1u << s))
				cb_append(where, sizeof(where), "%s'history %s'", where[0] ? ", " : "",
					  sub_names[s]);
		cb_error("history %s: --%s: not an option of 'history %s' (only of %s)",
			 sub_names[sub], rows[i].name, sub_names[sub], where);
		return -EINVAL;
	}
	return 0;
}

/* The exit status of a failure: the file or input (2) or the run (3). */
static int status_of(int rc)
{
	return rc == -EINVAL || rc == -E2BIG ? CB_EXIT_USAGE : CB_EXIT_RUNFAIL;
}

static int do_add(const struct history_opts *o, const char *db, char **paths, size_t n)
{
	struct history *h;
	size_t nruns = 0;
	int rc;

	if (!n) {
		cb_error("history add: expected one or more report files (see 'concbench history "
			 "--help')");
		return CB_EXIT_USAGE;
	}
	if ((rc = history_open(db, 1, &h)))
		return status_of(rc);
	rc = history_add(h, (const char *const *)paths, n, o->commit, o->branch, o->label, &nruns);
	history_close(h);
	if (rc)
		return status_of(rc);
	printf("history add: %zu report%s, %zu runs added to %s\n", n, n == 1 ? "" : "s", nruns,
	       db);
	return 0;
}

/* A value of the metric for people. */
static void fmt_value(char *buf, size_t len, double v, const char *unit, enum history_metric m)
{
	if (!isfinite(v))
		cb_fmt(buf, len, "-");
	else if (m == HISTORY_MEDIAN_S)
		cb_fmt_time(buf, len, v);
	else
		cb_fmt_rate(buf, len, v, unit);
}

/* A string of the database safe in a markdown table cell inside a code span. */
static const char *md_cell(const char *s, char *buf, size_t len)
{
	cb_sanitize(s, buf, len);
	for (char *p = buf; *p; p++)
		if (*p == '|' || *p == '`')
			*p = '_';
	return buf;
}

struct view {
	struct history_obs *obs;
	size_t nobs, ns;
	struct history_series *s;
	enum history_metric m;
};

static void view_release(struct view *v)
{
	history_series_free(v->s, v->ns);
	history_obs_free(v->obs, v->nobs);
}

/* Open the database and read the selected series. 0, or an exit status after the message. */
static int load_view(const struct history_opts *o, const char *db, struct history **hp,
		     struct view *v)
{
	struct history_filter f = { o->workload, o->executor, o->binding, o->params, o->key,
				    o->workers, o->workers_set };
	int rc;

	memset(v, 0, sizeof(*v));
	v->m = (enum history_metric)o->metric;
	if ((rc = history_open(db, 0, hp)))
		return status_of(rc);
	if ((rc = history_query(*hp, &f, v->m, &v->obs, &v->nobs))) {
		history_close(*hp);
		return status_of(rc);
	}
	if (history_series_build(v->obs, v->nobs, &v->s, &v->ns) < 0) {
		cb_error("history: out of memory");
		view_release(v);
		history_close(*hp);
		return CB_EXIT_RUNFAIL;
	}
	if (!v->ns) {
		cb_error("history: no run in '%s' matches the selectors%s", db,
			 v->m == HISTORY_THROUGHPUT ? " with a throughput" : "");
		view_release(v);
		history_close(*hp);
		return CB_EXIT_USAGE;
	}
	return 0;
}

static void show_text(const struct view *v, int md)
{
	for (size_t i = 0; i < v->ns; i++) {
		const struct history_series *s = &v->s[i];
		const struct history_obs *k = &v->obs[s->first];
		char key[512];
		if (md)
			printf("%s### `%s`\n\n| # | commit | invocations | median | 95%% interval | "
			       "change |\n|---:|---|---:|---:|---|---:|\n", i ? "\n" : "",
			       md_cell(k->key, key, sizeof(key)));
		else
			printf("%s%s\n%5s  %-14s %5s %12s  %-26s %8s\n", i ? "\n" : "",
			       cb_sanitize(k->key, key, sizeof(key)), "#", "commit", "inv", "median",
			       "95% interval", "change");
		for (size_t p = 0; p < s->npoints; p++) {
			const struct history_point *pt = &s->points[p];
			const struct history_obs *ob = &v->obs[pt->first];
			char med[32], lo[32], hi[32], ci[80] = "-", ch[16] = "", c[80];
			fmt_value(med, sizeof(med), pt->median, ob->unit, v->m);
			if (pt->has_ci) {
				fmt_value(lo, sizeof(lo), pt->lo, ob->unit, v->m);
				fmt_value(hi, sizeof(hi), pt->hi, ob->unit, v->m);
				cb_fmt(ci, sizeof(ci), "[%s, %s]", lo, hi);
			}
			if (isfinite(pt->change))
				cb_fmt(ch, sizeof(ch), "%+.1f%%", 100 * pt->change);
			if (md)
				printf("| %lld | `%s` | %zu | %s | %s | %s |\n", (long long)ob->position,
				       md_cell(ob->commit, c, sizeof(c)), pt->n, med, ci, ch);
			else
				printf("%5lld  %-14.14s %5zu %12s  %-26s %8s\n", (long long)ob->position,
				       cb_sanitize(ob->commit, c, sizeof(c)), pt->n, med, ci, ch);
		}
	}
}

/* The identity of a series in JSON. */
static cJSON *series_head(struct jsonb *b, const struct history_obs *k)
{
	cJSON *o = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_str(b, o, "key", k->key);
	jsonb_add_str(b, o, "workload", k->workload);
	jsonb_add_str(b, o, "executor", k->executor);
	jsonb_add_num(b, o, "workers", k->workers);
	jsonb_add_str(b, o, "binding", k->binding);
	jsonb_add_str(b, o, "params", k->params);
	jsonb_add_str(b, o, "unit", k->unit);
	return o;
}

static const char *metric_name(enum history_metric m)
{
	return m == HISTORY_MEDIAN_S ? "median_s" : "throughput";
}

static int show_json(const struct view *v)
{
	struct jsonb b = { 0 };
	cJSON *doc = jsonb_chk(&b, cJSON_CreateObject()), *arr;
	double *vals = malloc((v->nobs ? v->nobs : 1) * sizeof(*vals));

	if (!vals) {
		cJSON_Delete(doc);
		return report_emit(NULL, NULL, 1);
	}
	for (size_t i = 0; i < v->nobs; i++)
		vals[i] = v->obs[i].value;
	jsonb_add_str(&b, doc, "schema", "concbench-history/1");
	jsonb_add_str(&b, doc, "metric", metric_name(v->m));
	arr = jsonb_chk(&b, cJSON_CreateArray());
	jsonb_item(&b, doc, "series", arr);
	for (size_t i = 0; i < v->ns; i++) {
		const struct history_series *s = &v->s[i];
		cJSON *o = series_head(&b, &v->obs[s->first]), *pts = jsonb_chk(&b, cJSON_CreateArray());
		jsonb_push(&b, arr, o);
		jsonb_item(&b, o, "commits", pts);
		for (size_t p = 0; p < s->npoints; p++) {
			const struct history_point *pt = &s->points[p];
			cJSON *c = jsonb_chk(&b, cJSON_CreateObject());
			jsonb_push(&b, pts, c);
			jsonb_add_num(&b, c, "position", (double)v->obs[pt->first].position);
			jsonb_add_str(&b, c, "commit", v->obs[pt->first].commit);
			jsonb_add_num(&b, c, "invocations", (double)pt->n);
			jsonb_item(&b, c, "values", jsonb_num_array(&b, vals + pt->first, pt->n));
			jsonb_add_num(&b, c, "median", pt->median);
			if (pt->has_ci) {
				double ci[2] = { pt->lo, pt->hi };
				jsonb_item(&b, c, "ci95", jsonb_num_array(&b, ci, 2));
				jsonb_add_num(&b, c, "ci95_level", pt->level);
			} else {
				jsonb_add_null(&b, c, "ci95");
				jsonb_add_null(&b, c, "ci95_level");
			}
			jsonb_add_num(&b, c, "change", pt->change);
		}
	}
	free(vals);
	return report_emit(jsonb_finish(&b, doc), NULL, 1);
}

static int do_show(const struct history_opts *o, const char *db)
{
	struct history *h;
	struct view v;
	int rc = load_view(o, db, &h, &v);
	if (rc)
		return rc;
	if (o->format == HISTORY_JSON)
		rc = show_json(&v) ? CB_EXIT_RUNFAIL : 0;
	else
		show_text(&v, o->format == HISTORY_MARKDOWN);
	view_release(&v);
	history_close(h);
	return rc;
}

/* Only what a commit name may hold reaches a data line: a name from a crafted database
 * must not end the block or add a column. */
static void tic_text(const char *commit, char *buf, size_t len)
{
	size_t n = 0;
	for (const char *p = commit; *p && n + 1 < len && n < 12; p++)
		buf[n++] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+/-",
				  *p) ? *p : '_';
	if (!n)
		buf[n++] = '_';
	buf[n] = 0;
}

static int plot_script(FILE *g, const char *out_name, void *ctx)
{
	const struct view *v = ctx;
	int64_t maxpos = 0, minpos = 0;
	double ylo = NAN, yhi = NAN;
	char name[32], text[300];
	int tics;

	for (size_t i = 0; i < v->nobs; i++) {
		if (v->obs[i].position > maxpos)
			maxpos = v->obs[i].position;
		if (i == 0 || v->obs[i].position < minpos)
			minpos = v->obs[i].position;
	}
	for (size_t i = 0; i < v->ns; i++)
		for (size_t p = 0; p < v->s[i].npoints; p++) {
			const struct history_point *pt = &v->s[i].points[p];
			double lo = pt->has_ci ? pt->lo : pt->median, hi = pt->has_ci ? pt->hi : pt->median;
			if (isnan(ylo) || lo < ylo)
				ylo = lo;
			if (isnan(yhi) || hi > yhi)
				yhi = hi;
		}
	tics = maxpos <= HISTORY_PLOT_MAX_TICS;
	plot_begin(g, out_name, 960, 540 + 20 * (unsigned)v->ns);
	cb_fmt(text, sizeof(text), "concbench history: %s per commit, the median of the "
	       "invocations' with its 95%% interval", v->m == HISTORY_MEDIAN_S ? "time" :
	       "throughput");
	plot_text(g, "title", text, 256);
	fprintf(g, "set title $title[1][2:]\n");
	if (v->m == HISTORY_MEDIAN_S)
		fprintf(g, "set ylabel 'median time (s)'\n");
	else {
		cb_fmt(text, sizeof(text), "throughput (%s)", v->obs[0].unit);
		plot_text(g, "ylab", text, 80);
		fprintf(g, "set ylabel $ylab[1][2:]\n");
	}
	fprintf(g, "set xlabel 'commit, in the order added'\nset grid\nset key outside below "
		"left Left reverse\nset errorbars small\n");
	/* The ranges are set, not left to autoscale, so that one commit (or one value) draws
	 * without gnuplot's "empty range" warning. */
	fprintf(g, "set xrange [%.1f:%.1f]\n", (double)minpos - 0.5, (double)maxpos + 0.5);
	if (ylo == yhi)
		fprintf(g, "set yrange [%.17g:%.17g]\n", ylo - fabs(ylo) * 0.05 - 1e-12,
			yhi + fabs(yhi) * 0.05 + 1e-12);
	fprintf(g, tics ? "set xtics rotate by -45 font ',8'\n" : "set xtics\n");
	for (size_t i = 0; i < v->ns; i++) {
		const struct history_series *s = &v->s[i];
		fprintf(g, "$d%zu << EOD\n", i);
		for (size_t p = 0; p < s->npoints; p++) {
			const struct history_point *pt = &s->points[p];
			char tic[16];
			tic_text(v->obs[pt->first].commit, tic, sizeof(tic));
			fprintf(g, "%lld %.17g %.17g %.17g %s\n", (long long)v->obs[pt->first].position,
				pt->median, pt->has_ci ? pt->lo : pt->median,
				pt->has_ci ? pt->hi : pt->median, tic);
		}
		fprintf(g, "EOD\n");
		cb_fmt(name, sizeof(name), "s%zu", i);
		plot_text(g, name, v->obs[s->first].key, 100);
	}
	fprintf(g, "plot ");
	for (size_t i = 0; i < v->ns; i++)
		fprintf(g, "%s$d%zu using 1:2:3:4%s with yerrorlines lw 1.5 pt 7 ps 0.8 title "
			"$s%zu[1][2:]", i ? ", " : "", i, tics ? ":xtic(5)" : "", i);
	fprintf(g, "\n");
	return cb_stop_signal ? -EINTR : 0;
}

static int do_plot(const struct history_opts *o, const char *db)
{
	struct history *h;
	struct view v;
	int rc;

	if (!o->output) {
		cb_error("history plot: expected --output CHART.png or .svg");
		return CB_EXIT_USAGE;
	}
	if ((rc = load_view(o, db, &h, &v)))
		return rc;
	if (v.ns > HISTORY_PLOT_MAX_SERIES) {
		cb_error("history plot: %zu series match; a chart takes at most %d (select with "
			 "--workload, --executor, --workers, --binding, --params-match or --key)",
			 v.ns, HISTORY_PLOT_MAX_SERIES);
		rc = CB_EXIT_USAGE;
	} else {
		rc = plot_draw("--output", o->output, plot_script, &v);
		rc = rc == -EINVAL ? CB_EXIT_USAGE : rc ? CB_EXIT_RUNFAIL : 0;
	}
	view_release(&v);
	history_close(h);
	return rc;
}

/* One series' verdict: its changes, and whether it fails the check. */
struct verdict {
	struct history_change ch[HISTORY_MAX_CHANGES];
	size_t n;
	int fails;              /* its last change is for the worse and it reaches the newest commit */
};

static int do_check(const struct history_opts *o, const char *db)
{
	struct history *h;
	struct view v;
	struct verdict *vd;
	int64_t newest;
	char newest_sha[HISTORY_MAX_COMMIT + 1];
	size_t nfail = 0, nchanged = 0;
	double each;
	int rc = load_view(o, db, &h, &v);

	if (rc)
		return rc;
	rc = history_newest(h, &newest, newest_sha, sizeof(newest_sha));
	vd = calloc(v.ns, sizeof(*vd));
	if (rc || !vd) {
		if (!rc)
			cb_error("history: out of memory");
		free(vd);
		view_release(&v);
		history_close(h);
		return rc ? status_of(rc) : CB_EXIT_RUNFAIL;
	}
	/* --alpha is the false-alarm rate of the whole check: each series is tested at
	 * alpha / series (Bonferroni), so that more series do not mean more false alarms */
	each = o->alpha / (double)v.ns;
	if (each * (cp_perms_for(each) + 1.0) < 1)
		cb_warn("history check: alpha %g over %zu series leaves %.2g each, below what %u "
			"permutations can reach: no change can be found; select fewer series",
			o->alpha, v.ns, each, cp_perms_for(each));
	for (size_t i = 0; i < v.ns && !rc; i++) {
		const struct history_series *s = &v.s[i];
		rc = history_changes(v.obs, s, v.m, each, vd[i].ch, &vd[i].n);
		if (rc)
			break;
		nchanged += vd[i].n > 0;
		vd[i].fails = vd[i].n && vd[i].ch[vd[i].n - 1].worse &&
			      v.obs[s->first + s->n - 1].position == newest;
		nfail += (size_t)vd[i].fails;
	}
	if (rc) {
		cb_error("history check: %s", rc == -ENOMEM ? "out of memory" :
			 "a series holds values the test cannot take");
		rc = rc == -ENOMEM ? CB_EXIT_RUNFAIL : CB_EXIT_USAGE;
	} else if (o->format == HISTORY_JSON) {
		struct jsonb b = { 0 };
		cJSON *doc = jsonb_chk(&b, cJSON_CreateObject()), *arr, *nw;
		jsonb_add_str(&b, doc, "schema", "concbench-history-check/1");
		jsonb_add_str(&b, doc, "metric", metric_name(v.m));
		jsonb_add_str(&b, doc, "method", "e-divisive means, permutation test");
		jsonb_add_num(&b, doc, "alpha", o->alpha);
		jsonb_add_num(&b, doc, "alpha_per_series", each);
		jsonb_add_num(&b, doc, "permutations", cp_perms_for(each));
		jsonb_add_num(&b, doc, "seed", HISTORY_SEED);
		nw = jsonb_chk(&b, cJSON_CreateObject());
		jsonb_item(&b, doc, "newest", nw);
		jsonb_add_str(&b, nw, "commit", newest_sha);
		jsonb_add_num(&b, nw, "position", (double)newest);
		jsonb_add_num(&b, doc, "failing", (double)nfail);
		arr = jsonb_chk(&b, cJSON_CreateArray());
		jsonb_item(&b, doc, "series", arr);
		for (size_t i = 0; i < v.ns; i++) {
			const struct history_series *s = &v.s[i];
			cJSON *so = series_head(&b, &v.obs[s->first]), *cs;
			jsonb_push(&b, arr, so);
			jsonb_add_bool(&b, so, "fails", vd[i].fails);
			cs = jsonb_chk(&b, cJSON_CreateArray());
			jsonb_item(&b, so, "changes", cs);
			for (size_t c = 0; c < vd[i].n; c++) {
				const struct history_change *ch = &vd[i].ch[c];
				const struct history_obs *at = &v.obs[s->points[ch->point].first];
				cJSON *co = jsonb_chk(&b, cJSON_CreateObject());
				jsonb_push(&b, cs, co);
				jsonb_add_str(&b, co, "commit", at->commit);
				jsonb_add_num(&b, co, "position", (double)at->position);
				jsonb_add_num(&b, co, "before", ch->before);
				jsonb_add_num(&b, co, "after", ch->after);
				jsonb_add_num(&b, co, "change", ch->change);
				jsonb_add_num(&b, co, "p", ch->p);
				jsonb_add_bool(&b, co, "worse", ch->worse);
			}
		}
		rc = report_emit(jsonb_finish(&b, doc), NULL, 1) ? CB_EXIT_RUNFAIL : 0;
	} else {
		int md = o->format == HISTORY_MARKDOWN;
		char c[80];
		printf("%s%zu series, E-divisive means at alpha %g (%.3g per series, %u permutations, "
		       "seed %d); newest commit %s (#%lld)\n", md ? "" : "history check: ", v.ns,
		       o->alpha, each, cp_perms_for(each), HISTORY_SEED,
		       cb_sanitize(newest_sha, c, sizeof(c)), (long long)newest);
		for (size_t i = 0; i < v.ns; i++) {
			const struct history_series *s = &v.s[i];
			const struct history_obs *k = &v.obs[s->first];
			char key[512];
			for (size_t j = 0; j < vd[i].n; j++) {
				const struct history_change *ch = &vd[i].ch[j];
				const struct history_obs *at = &v.obs[s->points[ch->point].first];
				char b4[32], af[32];
				fmt_value(b4, sizeof(b4), ch->before, k->unit, v.m);
				fmt_value(af, sizeof(af), ch->after, k->unit, v.m);
				printf("%s%s%s: changed at commit %s (#%lld): %s -> %s, %+.1f%% (%s, "
				       "p %.3g)%s\n", md ? "- `" : "",
				       md ? md_cell(k->key, key, sizeof(key)) :
				       cb_sanitize(k->key, key, sizeof(key)), md ? "`" : "",
				       cb_sanitize(at->commit, c, sizeof(c)), (long long)at->position,
				       b4, af, 100 * ch->change, ch->worse ? "worse" : "better", ch->p,
				       vd[i].fails && j + 1 == vd[i].n ? " <- fails" : "");
			}
		}
		if (nfail)
			printf("%zu series changed for the worse and stayed there up to the newest "
			       "commit: exit 1\n", nfail);
		else
			printf("%s up to the newest commit\n", nchanged ? "no change for the worse lasts" :
			       "no significant change in any series");
	}
	free(vd);
	view_release(&v);
	history_close(h);
	return rc ? rc : nfail ? CB_EXIT_REGRESSION : 0;
}

int cmd_history(int argc, char **argv)
{
	struct history_opts o;
	const char *db;
	int first, rc;
	size_t sub;

	first = opts_parse(&opt_history, argc, argv, &o);
	if (first == 0)
		usage();
	if (first <= 0)
		return first < 0 ? CB_EXIT_USAGE : 0;
	if (first >= argc) {
		cb_error("history: expected add, show, plot or check (see 'concbench history --help')");
		return CB_EXIT_USAGE;
	}
	for (sub = 0; sub < NSUB && strcmp(argv[first], sub_names[sub]); sub++)
		;
	if (sub == NSUB) {
		char shown[96];
		cb_error("history: expected add, show, plot or check, got '%s'",
			 cb_sanitize(argv[first], shown, sizeof(shown)));
		return CB_EXIT_USAGE;
	}
	if (check_applies((enum sub)sub, &o) < 0)
		return CB_EXIT_USAGE;
	if (sub != SUB_ADD && argc - first > 1) {
		char shown[96];
		cb_error("history %s: unexpected argument '%s' (only 'history add' takes files)",
			 sub_names[sub], cb_sanitize(argv[first + 1], shown, sizeof(shown)));
		return CB_EXIT_USAGE;
	}
	if (o.db && !*o.db) {
		cb_error("history: --db: expected a path, got ''");
		return CB_EXIT_USAGE;
	}
	db = o.db ? o.db : HISTORY_DEFAULT_DB;
	switch (sub) {
	case SUB_ADD:
		rc = do_add(&o, db, argv + first + 1, (size_t)(argc - first - 1));
		break;
	case SUB_SHOW:
		rc = do_show(&o, db);
		break;
	case SUB_PLOT:
		rc = do_plot(&o, db);
		break;
	default:
		rc = do_check(&o, db);
		break;
	}
	return rc;
}
