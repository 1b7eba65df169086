/* SPDX-License-Identifier: MIT */
/* plot: a gnuplot script with inline data blocks, piped to gnuplot. */
#define _GNU_SOURCE
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonb.h"
#include "report.h"
#include "util.h"

#define MAX_PANELS 16

static const char *ext_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot ? dot + 1 : "";
}

int plot_check_path(const char *path)
{
	if (strcmp(ext_of(path), "png") && strcmp(ext_of(path), "svg")) {
		cb_error("--plot: expected a file name ending in .png or .svg, got '%s'", path);
		return -EINVAL;
	}
	return path_check_dir("--plot", path);
}

/* A string safe inside gnuplot double quotes. */
static void quote(char *out, size_t len, const char *s)
{
	size_t j = 0;
	for (; *s && j + 2 < len; s++)
		if (*s != '"' && *s != '\\' && *s != '\n')
			out[j++] = *s;
	out[j] = 0;
}

struct panel {
	char *key;
	const cJSON *first;
};

/* y value of a run in its panel: bandwidth for mem, speedup otherwise. */
static double y_of(const cJSON *run)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(run, "params");
	const cJSON *tp = cJSON_GetObjectItemCaseSensitive(run, "throughput");
	if (strcmp(jsonb_str(run, "workload"), "mem") == 0 &&
	    strcmp(jsonb_str(params, "pattern"), "triad") == 0)
		return jsonb_num(tp, "value") / 1e9;
	return jsonb_num(run, "speedup");
}

static void write_script(FILE *g, cJSON *const *docs, size_t n, const char *path,
			 struct panel *panels, size_t np)
{
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(docs[0], "host");
	char title[256], t1[128], t2[64];
	unsigned cols = np < 3 ? (unsigned)np : 3, rows = (unsigned)((np + cols - 1) / cols);

	quote(t1, sizeof(t1), jsonb_str(host, "hostname"));
	quote(t2, sizeof(t2), jsonb_str(docs[0], "created"));
	cb_fmt(title, sizeof(title), "concbench on %s%s, %s", t1, n > 1 ? " and others" : "", t2);
	if (strcmp(ext_of(path), "svg") == 0)
		fprintf(g, "set terminal svg size %u,%u dynamic font 'sans,11'\n", 480 * cols, 380 * rows + 40);
	else
		fprintf(g, "set terminal pngcairo size %u,%u font 'sans,10'\n", 480 * cols, 380 * rows + 40);
	fprintf(g, "set output '%s'\n", path);
	fprintf(g, "set multiplot layout %u,%u title \"%s\"\n", rows, cols, title);
	fprintf(g, "set key top left\nset grid\nset xlabel 'workers'\n");
	for (size_t p = 0; p < np; p++) {
		const cJSON *f = panels[p].first;
		const char *wl = jsonb_str(f, "workload");
		int bw = strcmp(wl, "mem") == 0 &&
			 strcmp(jsonb_str(cJSON_GetObjectItemCaseSensitive(f, "params"), "pattern"),
				"triad") == 0;
		const char *series[64];
		size_t ns = 0;
		double maxw = 1;
		char ptitle[160];
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(f, "params"), *q;

		/* the executors of this panel, across the reports */
		for (size_t d = 0; d < n; d++) {
			const cJSON *r;
			cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
				char *k = report_group_key(r);
				int in = k && strcmp(k, panels[p].key) == 0;
				free(k);
				if (!in)
					continue;
				if (jsonb_num(r, "workers") > maxw)
					maxw = jsonb_num(r, "workers");
				const char *ex = jsonb_str(r, "executor");
				size_t s;
				for (s = 0; s < ns && strcmp(series[s], ex); s++)
					;
				if (s == ns && ns < ARRAY_SIZE(series))
					series[ns++] = ex;
			}
		}
		cb_fmt(ptitle, sizeof(ptitle), "%s", wl);
		cJSON_ArrayForEach(q, params)
			if (cJSON_IsString(q) && strcmp(q->string, "scaling") && strcmp(q->string, "schedule"))
				cb_fmt(ptitle + strlen(ptitle), sizeof(ptitle) - strlen(ptitle), " %s", q->valuestring);
		fprintf(g, "set title \"%s\"\n", ptitle);
		fprintf(g, "set ylabel '%s'\n", bw ? "bandwidth (GB/s, STREAM triad counting)" :
			strcmp(wl, "io") == 0 ? "achieved concurrency (x seq)" : "speedup (x seq)");
		fprintf(g, "set xrange [0.5:%g]\nset yrange [0:*]\n", maxw + 0.5);
		fprintf(g, "set xtics 1\n");
		if (maxw > 16)
			fprintf(g, "set xtics %g\n", ceil(maxw / 8));
		/* data blocks: one per (report, executor) */
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < ns; s++) {
				const cJSON *r;
				fprintf(g, "$d%zu_%zu << EOD\n", d, s);
				cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
					char *k = report_group_key(r);
					int in = k && strcmp(k, panels[p].key) == 0 &&
						 strcmp(jsonb_str(r, "executor"), series[s]) == 0;
					free(k);
					if (in && isfinite(y_of(r)))
						fprintf(g, "%g %.9g\n", jsonb_num(r, "workers"),
							y_of(r));
				}
				fprintf(g, "EOD\n");
			}
		fprintf(g, "plot ");
		if (!bw)
			fprintf(g, "x with lines dashtype 2 lc rgb 'gray50' title 'ideal', ");
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < ns; s++) {
				char lab[160], host_q[96];
				quote(host_q, sizeof(host_q),
				      jsonb_str(cJSON_GetObjectItemCaseSensitive(docs[d], "host"),
						"hostname"));
				cb_fmt(lab, sizeof(lab), "%s%s%s", series[s], n > 1 ? " @ " : "", n > 1 ? host_q : "");
				fprintf(g, "%s$d%zu_%zu using 1:2 with linespoints lw 2 pt %zu title \"%s\"",
					d + s ? ", " : "", d, s, 5 + s + 2 * d, lab);
			}
		fprintf(g, "\n");
	}
	fprintf(g, "unset multiplot\n");
}

int plot_reports(cJSON *const *docs, size_t n, const char *path)
{
	struct panel panels[MAX_PANELS];
	size_t np = 0;
	int fds[2], status, rc = 0;
	pid_t pid;
	FILE *g;
	struct stat st;

	for (size_t d = 0; d < n; d++) {
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			char *k = report_group_key(r);
			size_t p;
			if (!k)
				continue;
			for (p = 0; p < np && strcmp(panels[p].key, k); p++)
				;
			if (p == np && np < MAX_PANELS) {
				panels[np].key = k;
				panels[np++].first = r;
			} else {
				free(k);
			}
		}
	}
	if (pipe(fds) < 0) {
		rc = -errno;
		cb_error("--plot: cannot start gnuplot: %s", strerror(errno));
		goto out;
	}
	unlink(path);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		cb_error("--plot: cannot start gnuplot: %s", strerror(-rc));
		goto out;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		fprintf(stderr, "concbench: --plot: gnuplot not found; install it with "
			"'apt-get install gnuplot-nox'\n");
		_exit(127);
	}
	close(fds[0]);
	g = fdopen(fds[1], "w");
	if (!g) {
		close(fds[1]);
	} else {
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		write_script(g, docs, n, path, panels, np);
		fclose(g);
		signal(SIGPIPE, old);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
		rc = -ENOENT;    /* the child said why */
	} else if (WEXITSTATUS(status) != 0 || stat(path, &st) < 0 || st.st_size == 0) {
		rc = -EIO;
		cb_error("--plot: gnuplot could not draw '%s' (exit status %d)", path,
			 WEXITSTATUS(status));
	}
out:
	for (size_t p = 0; p < np; p++)
		free(panels[p].key);
	return rc;
}
