/* SPDX-License-Identifier: MIT */
/* plot: a gnuplot script with inline data blocks, piped to gnuplot; the chart is written
 * atomically, and no string from a report is ever script text. */
#define _GNU_SOURCE
#include "report/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "core/registry.h"
#include "core/sync.h"
#include "report/report.h"

#define MAX_PANELS 16

static const char *ext_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot ? dot + 1 : "";
}

/* Is there an executable gnuplot on PATH? Checked before a run starts: a chart that cannot
 * be drawn must not cost the whole run first. */
static int gnuplot_found(void)
{
	const char *path = getenv("PATH");
	char dir[4096], exe[4200];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		cb_fmt(dir, sizeof(dir), "%.*s", (int)(n < sizeof(dir) ? n : sizeof(dir) - 1), path);
		cb_fmt(exe, sizeof(exe), "%s/gnuplot", n ? dir : ".");
		if (access(exe, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

/* The directory and the file name of path, in buf (at least PATH_MAX long). */
static const char *dir_of(const char *path, char *buf, size_t len)
{
	cb_fmt(buf, len, "%s", path);
	return dirname(buf);
}

int plot_check_output(const char *flag, const char *path)
{
	char copy[PATH_MAX];
	const char *base;
	struct stat st;
	long name_max;

	if (strcmp(ext_of(path), "png") && strcmp(ext_of(path), "svg")) {
		cb_error("%s: expected a file name ending in .png or .svg, got '%s'", flag, path);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(copy)) {
		cb_error("%s: expected a path shorter than %zu bytes", flag, sizeof(copy));
		return -EINVAL;
	}
	/* The chart replaces what is there by rename, which must not turn a directory, a
	 * symbolic link (its target untouched), a device or a FIFO into a regular file. */
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			cb_error("%s: '%s' is a directory", flag, path);
			return -EINVAL;
		}
		if (S_ISLNK(st.st_mode)) {
			cb_error("%s: '%s' is a symbolic link; name a regular file or a new path", flag,
				 path);
			return -EINVAL;
		}
		if (!S_ISREG(st.st_mode)) {
			cb_error("%s: '%s' is not a regular file (a device, FIFO or socket); name "
				 "a regular file or a new path", flag, path);
			return -EINVAL;
		}
		if (!(st.st_mode & S_IWUSR) || access(path, W_OK) < 0) {
			cb_error("%s: '%s' is read-only (mode %04o); make it writable or remove it", flag,
				 path, (unsigned)(st.st_mode & 07777));
			return -EINVAL;
		}
	} else if (errno != ENOENT) {
		cb_error("%s: cannot check '%s': %s", flag, path, strerror(errno));
		return -EINVAL;
	}
	if (path_check_dir(flag, path) < 0)
		return -EINVAL;
	name_max = pathconf(dir_of(path, copy, sizeof(copy)), _PC_NAME_MAX);
	cb_fmt(copy, sizeof(copy), "%s", path);
	base = basename(copy);
	if (name_max > 0 && strlen(base) > (size_t)name_max) {
		cb_error("%s: file name longer than %ld bytes: '%.40s...'", flag, name_max, base);
		return -EINVAL;
	}
	if (!gnuplot_found()) {
		cb_error("%s: gnuplot not found on PATH; install it with 'apt-get install "
			 "gnuplot-nox'", flag);
		return -EINVAL;
	}
	return 0;
}

int plot_check_path(const char *path)
{
	return plot_check_output("--plot", path);
}

/* Every string that reaches gnuplot is data, never script text: a datablock of one line,
 * read back as $NAME[1][2:] (the first character, fixed, keeps a line "EOD" from ending
 * the block early). Sanitised, it holds no newline or control character; gnuplot does no
 * macro, backquote or escape processing in a datablock, and the terminals draw it without
 * enhanced-text markup. */
static void put_text(FILE *g, const char *name, const char *text, size_t max)
{
	char safe[256];
	fprintf(g, "$%s << EOD\nL%s\nEOD\n", name,
		cb_sanitize(text, safe, max < sizeof(safe) ? max : sizeof(safe)));
}

void plot_text(FILE *g, const char *name, const char *text, size_t max)
{
	put_text(g, name, text, max);
}

void plot_begin(FILE *g, const char *out_name, unsigned width, unsigned height)
{
	fprintf(g, "set encoding utf8\n");
	if (strcmp(ext_of(out_name), "svg") == 0)
		fprintf(g, "set terminal svg noenhanced size %u,%u dynamic font 'sans,11'\n", width,
			height);
	else
		fprintf(g, "set terminal pngcairo noenhanced size %u,%u font 'sans,10'\n", width,
			height);
	fprintf(g, "set termoption noenhanced\n");
	fprintf(g, "set output '%s'\n", out_name);     /* [A-Za-z0-9.-] only: see plot_draw */
}

/* A workers count as a chart coordinate: NAN unless a positive finite number (a report
 * from elsewhere may hold anything). */
static double workers_of(const cJSON *run)
{
	double w = jsonb_num(run, "workers");
	return isfinite(w) && w >= 1 && w <= 1e9 ? w : NAN;
}

/* Is this run's panel a bandwidth panel (mem triad) rather than a speedup one? */
static int is_bandwidth(const cJSON *run)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(run, "params");
	return strcmp(jsonb_str(run, "workload"), "mem") == 0 &&
	       strcmp(jsonb_str(params, "pattern"), "triad") == 0;
}

/* y value of a run in its panel: bandwidth for mem, speedup otherwise. */
static double y_of(const cJSON *run)
{
	const cJSON *tp = cJSON_GetObjectItemCaseSensitive(run, "throughput");
	if (is_bandwidth(run))
		return jsonb_num(tp, "value") / 1e9;
	return jsonb_num(run, "speedup");
}

/* The two finite numbers of a [lo, hi] array, lo <= hi; 0 when it is anything else (null:
 * too few samples for an interval). */
static int pair_of(const cJSON *run, const char *key, double *lo, double *hi)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(run, key);
	const cJSON *l = cJSON_GetArrayItem(a, 0), *h = cJSON_GetArrayItem(a, 1);
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2 || !cJSON_IsNumber(l) ||
	    !cJSON_IsNumber(h) || !isfinite(l->valuedouble) || !isfinite(h->valuedouble) ||
	    l->valuedouble > h->valuedouble)
		return 0;
	*lo = l->valuedouble;
	*hi = h->valuedouble;
	return 1;
}

/* The 95% interval of y, as the report states it: speedup_ci95 for a speedup; for a
 * bandwidth, the interval of the median time mapped through bytes / time (exact, the map
 * being monotone). NAN, NAN when the report has none: no bar is ever made up. */
static void interval_of(const cJSON *run, double y, double *lo, double *hi)
{
	double a, b, med = jsonb_num(run, "median_s");
	*lo = *hi = NAN;
	if (!isfinite(y))
		return;
	if (!is_bandwidth(run)) {
		if (pair_of(run, "speedup_ci95", &a, &b)) {
			*lo = a;
			*hi = b;
		}
	} else if (pair_of(run, "ci95_s", &a, &b) && a > 0 && isfinite(med) && med > 0) {
		*lo = y * med / b;
		*hi = y * med / a;
	}
}

#define MAX_SERIES 64

struct panel {
	char *key;
	const cJSON *first;
	const char *series[MAX_SERIES];      /* executors, across the reports */
	size_t ns;
	double maxw;
};

/* A point of the chart: the runs sorted by panel, report, series and place in the report,
 * so that every data block is one slice of the array. */
struct point {
	size_t panel, doc, series, index;
	double x, y, lo, hi;     /* lo, hi: the 95% interval of y, NAN when there is none */
};

static int cmp_point(const void *pa, const void *pb)
{
	const struct point *a = pa, *b = pb;
	if (a->panel != b->panel)
		return a->panel < b->panel ? -1 : 1;
	if (a->doc != b->doc)
		return a->doc < b->doc ? -1 : 1;
	if (a->series != b->series)
		return a->series < b->series ? -1 : 1;
	return (a->index > b->index) - (a->index < b->index);
}

/* Sort the runs of docs into panels (at most MAX_PANELS, in order of first appearance) and
 * series; *pts gets one point per run drawn. Returns the number of points or -ENOMEM. */
static ssize_t collect_points(cJSON *const *docs, size_t n, struct panel *panels, size_t *np,
			      struct point **pts)
{
	size_t cap = 0, npts = 0, hidden = 0;

	*np = 0;
	*pts = NULL;
	for (size_t d = 0; d < n; d++)
		cap += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "runs"));
	*pts = malloc((cap ? cap : 1) * sizeof(**pts));
	if (!*pts)
		return -ENOMEM;
	for (size_t d = 0; d < n; d++) {
		const cJSON *r;
		size_t index = 0;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			char *k = report_group_key(r);
			const char *ex = jsonb_str(r, "executor");
			double x = workers_of(r), y = y_of(r);
			size_t p, s;
			index++;
			if (!k)
				return -ENOMEM;
			for (p = 0; p < *np && strcmp(panels[p].key, k); p++)
				;
			if (p == *np && *np < MAX_PANELS) {
				memset(&panels[p], 0, sizeof(panels[p]));
				panels[p].key = k;
				panels[p].first = r;
				panels[p].maxw = 1;
				(*np)++;
			} else {
				free(k);
				if (p == *np) {
					hidden++;
					continue;
				}
			}
			for (s = 0; s < panels[p].ns && strcmp(panels[p].series[s], ex); s++)
				;
			if (s == panels[p].ns) {
				if (s == MAX_SERIES) {
					hidden++;
					continue;
				}
				panels[p].series[panels[p].ns++] = ex;
			}
			if (isnan(x))
				continue;
			if (x > panels[p].maxw)
				panels[p].maxw = x;
			if (isfinite(y)) {
				struct point *pt = &(*pts)[npts++];
				*pt = (struct point){ p, d, s, index, x, y, NAN, NAN };
				interval_of(r, y, &pt->lo, &pt->hi);
			}
		}
	}
	qsort(*pts, npts, sizeof(**pts), cmp_point);
	if (hidden)
		cb_warn("--plot: %zu runs are not drawn: the chart has at most %d panels (workloads "
			"and parameters) of %d executors each", hidden, MAX_PANELS, MAX_SERIES);
	return (ssize_t)npts;
}

/* One look per executor, the same in every panel and every chart: the registered executors
 * by name; any other name the next spare look, in the sorted order of the chart's other
 * names. Point types are the filled ones of gnuplot's cairo and SVG terminals; the type
 * below each is the same shape open, drawn where a point has no interval. */
struct look {
	const char *name;
	const char *color;
	int pt;
};

static const struct look known_looks[] = {
	{ "seq", "#404040", 7 },        /* circle */
	{ "thread", "#1f77b4", 5 },     /* square */
	{ "fork", "#d62728", 9 },       /* triangle */
	{ "shm", "#2ca02c", 13 },       /* diamond */
};

static const struct look spare_looks[] = {
	{ NULL, "#9467bd", 11 }, { NULL, "#ff7f0e", 15 }, { NULL, "#8c564b", 5 },
	{ NULL, "#e377c2", 7 },  { NULL, "#17becf", 9 },  { NULL, "#bcbd22", 13 },
};

static int cmp_str(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* The executor names of the chart that have no look of their own, sorted and unique. */
static size_t spare_names(const struct panel *panels, size_t np, const char **out)
{
	size_t n = 0, u = 0;
	for (size_t p = 0; p < np; p++)
		for (size_t s = 0; s < panels[p].ns; s++) {
			size_t k;
			for (k = 0; k < ARRAY_SIZE(known_looks) &&
			     strcmp(known_looks[k].name, panels[p].series[s]); k++)
				;
			if (k == ARRAY_SIZE(known_looks))
				out[n++] = panels[p].series[s];
		}
	qsort(out, n, sizeof(*out), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(out[u - 1], out[i]))
			out[u++] = out[i];
	return u;
}

static const struct look *look_of(const char *executor, const char *const *spare, size_t nspare)
{
	const char *const *at;
	for (size_t k = 0; k < ARRAY_SIZE(known_looks); k++)
		if (strcmp(known_looks[k].name, executor) == 0)
			return &known_looks[k];
	at = bsearch(&executor, spare, nspare, sizeof(*spare), cmp_str);
	return &spare_looks[(at ? (size_t)(at - spare) : 0) % ARRAY_SIZE(spare_looks)];
}

/* Worker counts of 1, 2, 4, ... (the last may be any count up to twice the one before,
 * as in 1, 2, 4, 8, 12 up to the machine's PUs) are drawn on a log2 axis, where each
 * doubling gets the same room; v holds at least three distinct counts, ascending. */
static int doubling_sweep(const double *v, size_t n)
{
	if (n < 3)
		return 0;
	for (size_t i = 1; i + 1 < n; i++)
		if (v[i] != 2 * v[i - 1])
			return 0;
	return v[n - 1] > v[n - 2] && v[n - 1] <= 2 * v[n - 2];
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* The x axis of panel p: log2 with the actual worker counts as tics for a doubling sweep,
 * linear otherwise. Numbers only reach the script. */
static void write_xaxis(FILE *g, const struct point *pts, size_t npts, size_t p, double maxw)
{
	double v[64] = { 0 };
	size_t n = 0, u = 0;

	for (size_t i = 0; i < npts; i++) {
		if (pts[i].panel != p)
			continue;
		if (n == ARRAY_SIZE(v)) {
			n = 0;     /* more counts than any sweep: linear */
			break;
		}
		v[n++] = pts[i].x;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	if (doubling_sweep(v, u)) {
		fprintf(g, "set logscale x 2\nset xrange [%.17g:%.17g]\nset xtics (", v[0] / 1.3,
			v[u - 1] * 1.3);
		for (size_t i = 0; i < u; i++)
			fprintf(g, "%s%.17g", i ? ", " : "", v[i]);
		fprintf(g, ")\n");
		return;
	}
	fprintf(g, "unset logscale x\nset xrange [0.5:%.17g]\n", maxw + 0.5);
	fprintf(g, "set xtics 1\n");
	if (maxw > 16)
		fprintf(g, "set xtics %.17g\n", ceil(maxw / 8));
}

/* The top of panel p's y axis: a little above its highest point or bar (and the ideal
 * line's start at 1 worker), so that an ideal line far above the data does not squash it. */
static double ytop(const struct point *pts, size_t npts, size_t p, int bw)
{
	double top = bw ? 0 : 1;
	for (size_t i = 0; i < npts; i++)
		if (pts[i].panel == p) {
			if (pts[i].y > top)
				top = pts[i].y;
			if (pts[i].hi > top)
				top = pts[i].hi;
		}
	return top > 0 ? top * 1.15 : 1;
}

/* A --size of a workload that counts bytes, as --size reads it back: "512MiB". */
static void bytes_text(char *buf, size_t len, double x)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t i = 0;
	while (x >= 1024 && i + 1 < ARRAY_SIZE(unit)) {
		x /= 1024;
		i++;
	}
	cb_fmt(buf, len, "%.4g%s", x, unit[i]);
}

/* "cpu: size 200M, tasks 240, kernel sumsq": the workload and the parameters of a panel,
 * those at their usual value (strong scaling, static schedule, zero: unused) left out. */
static void panel_title(char *buf, size_t len, const cJSON *run)
{
	const struct workload *wl = workload_find(jsonb_str(run, "workload"));
	const cJSON *q;
	cb_fmt(buf, len, "%s:", jsonb_str(run, "workload"));
	cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(run, "params")) {
		char v[64];
		const char *prefix;
		if (!q->string)
			continue;
		if (cJSON_IsString(q)) {
			if ((strcmp(q->string, "scaling") == 0 && strcmp(q->valuestring, "strong") == 0) ||
			    (strcmp(q->string, "schedule") == 0 && strcmp(q->valuestring, "static") == 0))
				continue;
			cb_fmt(v, sizeof(v), "%s", q->valuestring);
		} else if (cJSON_IsNumber(q) && isfinite(q->valuedouble) && q->valuedouble != 0) {
			if (strcmp(q->string, "duration") == 0) {
				cb_fmt_time(v, sizeof(v), q->valuedouble);
			} else if (strcmp(q->string, "size") == 0 && wl && wl->size_in_bytes) {
				bytes_text(v, sizeof(v), q->valuedouble);
			} else {
				double x = cb_si_scale(q->valuedouble, &prefix);
				cb_fmt(v, sizeof(v), "%.4g%s", x, prefix);
			}
		} else {
			continue;
		}
		cb_append(buf, len, "%s %s %s", buf[strlen(buf) - 1] == ':' ? "" : ",", q->string, v);
	}
}

/* What tells the reports apart in series names: each one's "label"; where a report has
 * none, its host when the hosts differ, else its file's base name (two reports of one
 * host are no "host and others"); "report N" when no name is given. */
static void doc_tag(char *buf, size_t len, cJSON *const *docs, const char *const *names,
		    size_t n, size_t d)
{
	const char *label = jsonb_str(docs[d], "label");
	const char *host = jsonb_str(cJSON_GetObjectItemCaseSensitive(docs[d], "host"), "hostname");
	int hosts_differ = 1;
	char copy[PATH_MAX];

	if (*label) {
		cb_fmt(buf, len, "%s", label);
		return;
	}
	for (size_t e = 0; e < n; e++)
		if (e != d && strcmp(host, jsonb_str(cJSON_GetObjectItemCaseSensitive(docs[e], "host"),
						     "hostname")) == 0)
			hosts_differ = 0;
	if (hosts_differ && *host) {
		cb_fmt(buf, len, "%s", host);
	} else if (names && names[d]) {
		cb_fmt(copy, sizeof(copy), "%s", names[d]);
		cb_fmt(buf, len, "%s", basename(copy));
	} else {
		cb_fmt(buf, len, "report %zu", d + 1);
	}
}

/* "concbench on vm: nightly, created 2026-...": the hosts (each once), the reports'
 * labels, and when one report, its date. */
static void chart_title(char *buf, size_t len, cJSON *const *docs, size_t n)
{
	size_t labels = 0;
	cb_fmt(buf, len, "concbench on");
	for (size_t d = 0; d < n; d++) {
		const char *h = jsonb_str(cJSON_GetObjectItemCaseSensitive(docs[d], "host"), "hostname");
		size_t e;
		for (e = 0; e < d && strcmp(h, jsonb_str(cJSON_GetObjectItemCaseSensitive(docs[e],
							 "host"), "hostname")); e++)
			;
		if (e == d)
			cb_append(buf, len, "%s %s", d ? "," : "", h);
	}
	for (size_t d = 0; d < n; d++)
		if (*jsonb_str(docs[d], "label"))
			cb_append(buf, len, "%s%s", labels++ ? ", " : ": ", jsonb_str(docs[d], "label"));
	if (n == 1)
		cb_append(buf, len, ", %s", jsonb_str(docs[0], "created"));
	else
		cb_append(buf, len, " (%zu reports)", n);
}

/* The script: every string as data (put_text), the output a file name of our own. Each
 * series is a line through its points, filled markers where the report gives a 95%
 * interval (drawn as a bar) and open markers where it gives none; the key sits below each
 * panel, off the data. */
static int write_script(FILE *g, cJSON *const *docs, const char *const *names, size_t n,
			const char *out_name, const struct panel *panels, size_t np,
			const struct point *pts, size_t npts)
{
	const char *spare[MAX_PANELS * MAX_SERIES] = { 0 };
	char title[512], name[64];
	unsigned cols = np < 3 ? (np ? (unsigned)np : 1) : 3;
	unsigned rows = np ? (unsigned)((np + cols - 1) / cols) : 1;
	size_t at = 0, nspare = spare_names(panels, np, spare);
	/* each report's series take a row or two of the key below the panel */
	unsigned panel_h = 440 + 60 * (unsigned)(n < 8 ? n - 1 : 7);

	chart_title(title, sizeof(title), docs, n);
	plot_begin(g, out_name, 480 * cols, panel_h * rows + 40);
	put_text(g, "title", title, 256);
	fprintf(g, "set multiplot layout %u,%u title $title[1][2:]\n", rows, cols);
	fprintf(g, "set key outside below center horizontal samplen 3 height 1\nset grid\n"
		"set xlabel 'workers' offset 0,0.5\n");
	fprintf(g, "set errorbars small\nset bars 2\n");
	for (size_t p = 0; p < np; p++) {
		const cJSON *f = panels[p].first;
		const char *wl = jsonb_str(f, "workload");
		int bw = is_bandwidth(f), any = 0;
		char ptitle[256];
		size_t q = at;     /* the panel's first point: its slice is walked twice */

		if (cb_stop_signal)
			return -EINTR;
		panel_title(ptitle, sizeof(ptitle), f);
		cb_fmt(name, sizeof(name), "p%zu", p);
		put_text(g, name, ptitle, 256);
		fprintf(g, "set title $%s[1][2:]\n", name);
		fprintf(g, "set ylabel '%s'\n", bw ? "bandwidth (GB/s, STREAM triad counting)" :
			strcmp(wl, "io") == 0 ? "achieved concurrency (x seq)" : "speedup (x seq)");
		write_xaxis(g, pts, npts, p, panels[p].maxw);
		/* the data and their bars fill the height; the ideal line may leave at the top */
		fprintf(g, "set yrange [0:%.17g]\n", ytop(pts, npts, p, bw));
		/* data blocks, numbers only: per (report, executor) every point as x y and its
		 * marker, and the points with an interval as x y lo hi */
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < panels[p].ns; s++) {
				const struct look *lk = look_of(panels[p].series[s], spare, nspare);
				size_t from = at;
				fprintf(g, "$d%zu_%zu << EOD\n", d, s);
				for (; at < npts && pts[at].panel == p && pts[at].doc == d &&
				       pts[at].series == s; at++)
					fprintf(g, "%.17g %.17g %d\n", pts[at].x, pts[at].y,
						isnan(pts[at].lo) ? lk->pt - 1 : lk->pt);
				fprintf(g, "EOD\n$c%zu_%zu << EOD\n", d, s);
				for (size_t i = from; i < at; i++)
					if (!isnan(pts[i].lo))
						fprintf(g, "%.17g %.17g %.17g %.17g\n", pts[i].x, pts[i].y,
							pts[i].lo, pts[i].hi);
				fprintf(g, "EOD\n");
			}
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < panels[p].ns; s++) {
				char lab[256], tag[128];
				tag[0] = 0;
				if (n > 1)
					doc_tag(tag, sizeof(tag), docs, names, n, d);
				cb_fmt(lab, sizeof(lab), "%s%s%s", panels[p].series[s], n > 1 ? " @ " : "",
				       tag);
				cb_fmt(name, sizeof(name), "s%zu_%zu", d, s);
				put_text(g, name, lab, 41);     /* a longer one crowds the key */
			}
		fprintf(g, "plot ");
		if (!bw)
			fprintf(g, "x with lines dashtype 2 lc rgb 'gray50' title 'ideal'");
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < panels[p].ns; s++) {
				const struct look *lk = look_of(panels[p].series[s], spare, nspare);
				size_t cnt = 0, nci = 0;
				for (; q < npts && pts[q].panel == p && pts[q].doc == d &&
				       pts[q].series == s; q++, cnt++)
					nci += !isnan(pts[q].lo);
				/* an empty block would make gnuplot warn on the user's terminal */
				if (!cnt)
					continue;
				/* the key's sample: the series' line and filled marker */
				fprintf(g, "%sNaN with linespoints pt %d ps 1.3 lw 2 dt %zu lc rgb '%s' "
					"title $s%zu_%zu[1][2:]", !bw || any++ ? ", " : "", lk->pt,
					d % 5 + 1, lk->color, d, s);
				fprintf(g, ", $d%zu_%zu using 1:2:3 with linespoints pt variable ps 1.3 lw 2 "
					"dt %zu lc rgb '%s' notitle", d, s, d % 5 + 1, lk->color);
				if (nci)
					fprintf(g, ", $c%zu_%zu using 1:2:3:4 with yerrorbars pt %d ps 1.3 "
						"lw 1.5 lc rgb '%s' notitle", d, s, lk->pt, lk->color);
			}
		if (bw && !any)
			fprintf(g, "NaN notitle");     /* a panel whose runs have no bandwidth */
		fprintf(g, "\n");
	}
	fprintf(g, "unset multiplot\n");
	return 0;
}

/* Is the chart gnuplot wrote complete? A PNG ends with its IEND chunk, an SVG with its
 * closing tag: a file cut short (a full disk) has neither. */
static int chart_complete(int fd, const char *ext)
{
	static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const unsigned char png_end[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42,
						   0x60, 0x82 };
	unsigned char head[8], tail[16];
	struct stat st;
	size_t k;

	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(tail))
		return 0;
	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    pread(fd, tail, sizeof(tail), st.st_size - (off_t)sizeof(tail)) != (ssize_t)sizeof(tail))
		return 0;
	if (strcmp(ext, "png") == 0)
		return memcmp(head, png_sig, sizeof(png_sig)) == 0 &&
		       memcmp(tail + sizeof(tail) - sizeof(png_end), png_end, sizeof(png_end)) == 0;
	for (k = sizeof(tail); k > 0 && (tail[k - 1] == '\n' || tail[k - 1] == ' '); k--)
		;
	return memcmp(head, "<?xml", 5) == 0 || memcmp(head, "<svg", 4) == 0 ?
	       k >= 6 && memcmp(tail + k - 6, "</svg>", 6) == 0 : 0;
}

/* Start gnuplot in dir reading its script from a pipe; *to gets the write end. */
static pid_t start_gnuplot(const char *dir, FILE **to)
{
	int fds[2];
	pid_t pid;

	sigset_t stop, old;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	/* A stop signal that comes while the child still has our handler must not be lost:
	 * blocked until the child has the default action again. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* gnuplot writes under its own name in the chart's directory */
		if (dup2(fds[0], 0) < 0 || chdir(dir) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		fprintf(stderr, "concbench: --plot: gnuplot not found; install it with "
			"'apt-get install gnuplot-nox'\n");
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[0]);
	*to = fdopen(fds[1], "w");
	if (!*to) {
		int e = errno;
		close(fds[1]);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -e;
	}
	return pid;
}

static int chmod_as_created(int fd)
{
	mode_t um = umask(0);
	umask(um);
	return fchmod(fd, 0666 & ~um);
}

/* What write_report_script needs: the reports and their points, sorted into panels. */
struct report_chart {
	cJSON *const *docs;
	const char *const *names;
	size_t n, np, npts;
	const struct panel *panels;
	const struct point *pts;
};

static int write_report_script(FILE *g, const char *out_name, void *ctx)
{
	const struct report_chart *c = ctx;
	return write_script(g, c->docs, c->names, c->n, out_name, c->panels, c->np, c->pts,
			    c->npts);
}

int plot_reports(cJSON *const *docs, const char *const *names, size_t n, const char *path)
{
	struct panel panels[MAX_PANELS];
	struct point *pts = NULL;
	ssize_t npts;
	size_t np = 0;
	int rc;

	if (cb_stop_signal) {
		cb_error("--plot: interrupted by %s; no chart written", stop_signal_name());
		return -EINTR;
	}
	npts = collect_points(docs, n, panels, &np, &pts);
	if (npts < 0) {
		rc = (int)npts;
		cb_error("--plot: out of memory");
	} else {
		struct report_chart c = { docs, names, n, np, (size_t)npts, panels, pts };
		rc = plot_draw("--plot", path, write_report_script, &c);
	}
	for (size_t p = 0; p < np; p++)
		free(panels[p].key);
	free(pts);
	return rc;
}

int plot_draw(const char *flag, const char *path, plot_script_fn script, void *ctx)
{
	char dirbuf[PATH_MAX], tmp[PATH_MAX + 64];
	const char *dir, *ext = ext_of(path), *tmp_name;
	int fd = -1, status = 0, rc = 0, killed = 0;
	pid_t pid;
	FILE *g = NULL;

	tmp[0] = 0;
	if (strlen(path) >= sizeof(dirbuf)) {
		cb_error("%s: expected a path shorter than %zu bytes", flag, sizeof(dirbuf));
		return -EINVAL;
	}
	if (cb_stop_signal) {
		rc = -EINTR;
		goto out;
	}
	/* gnuplot writes a temporary file beside the chart, under a name of ours that needs no
	 * quoting; it replaces the chart by rename once complete and on disk, so that the old
	 * chart stays whole until then. */
	dir = dir_of(path, dirbuf, sizeof(dirbuf));
	cb_fmt(tmp, sizeof(tmp), "%s/.concbench-chart-XXXXXX.%s", dir, ext);
	fd = mkostemps(tmp, (int)strlen(ext) + 1, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		cb_error("%s: cannot write in the directory of '%s': %s", flag, path, strerror(errno));
		goto out;
	}
	tmp_name = strrchr(tmp, '/') + 1;
	pid = start_gnuplot(dir, &g);
	if (pid < 0) {
		rc = (int)pid;
		cb_error("%s: cannot start gnuplot: %s", flag, strerror(-rc));
		goto out;
	}
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		rc = script(g, tmp_name, ctx);
		fclose(g);     /* a write error shows in gnuplot's exit status or the file */
		signal(SIGPIPE, old);
	}
	if (rc == -EINTR) {
		kill(pid, SIGTERM);
		killed = 1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
		if (cb_stop_signal && !killed) {
			kill(pid, SIGTERM);     /* interrupted: stop gnuplot too */
			killed = 1;
		}
	}
	if (cb_stop_signal) {
		rc = -EINTR;
	} else if (status == -1 || !WIFEXITED(status)) {
		rc = -EIO;
		cb_error("%s: gnuplot did not finish '%s'", flag, path);
	} else if (WEXITSTATUS(status) == 127) {
		rc = -ENOENT;    /* the child said why */
	} else if (WEXITSTATUS(status) != 0) {
		rc = -EIO;
		cb_error("%s: gnuplot could not draw '%s' (exit status %d)", flag, path,
			 WEXITSTATUS(status));
	} else if (!chart_complete(fd, ext)) {
		rc = -EIO;
		cb_error("%s: gnuplot left an incomplete chart for '%s' (is the disk full?)", flag,
			 path);
	} else if (chmod_as_created(fd) < 0 || fsync(fd) < 0) {
		rc = -errno;
		cb_error("%s: cannot write '%s': %s", flag, path, strerror(errno));
	}
	if (close(fd) < 0 && !rc) {
		rc = -errno;
		cb_error("%s: cannot write '%s': %s", flag, path, strerror(errno));
	}
	fd = -1;
	if (!rc && rename(tmp, path) < 0) {
		rc = -errno;
		cb_error("%s: cannot write '%s': %s", flag, path, strerror(errno));
	}
	if (!rc) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);     /* the rename itself on disk; best effort */
			close(dfd);
		}
		tmp[0] = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp[0])
		unlink(tmp);
	if (rc == -EINTR)
		cb_error("%s: interrupted by %s; no chart written", flag, stop_signal_name());
	return rc;
}
