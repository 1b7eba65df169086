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

int plot_check_path(const char *path)
{
	char copy[PATH_MAX];
	const char *base;
	struct stat st;
	long name_max;

	if (strcmp(ext_of(path), "png") && strcmp(ext_of(path), "svg")) {
		cb_error("--plot: expected a file name ending in .png or .svg, got '%s'", path);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(copy)) {
		cb_error("--plot: expected a path shorter than %zu bytes", sizeof(copy));
		return -EINVAL;
	}
	/* The chart replaces what is there by rename, which must not turn a directory, a
	 * symbolic link (its target untouched), a device or a FIFO into a regular file. */
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			cb_error("--plot: '%s' is a directory", path);
			return -EINVAL;
		}
		if (S_ISLNK(st.st_mode)) {
			cb_error("--plot: '%s' is a symbolic link; name a regular file or a new path",
				 path);
			return -EINVAL;
		}
		if (!S_ISREG(st.st_mode)) {
			cb_error("--plot: '%s' is not a regular file (a device, FIFO or socket); name "
				 "a regular file or a new path", path);
			return -EINVAL;
		}
		if (!(st.st_mode & S_IWUSR) || access(path, W_OK) < 0) {
			cb_error("--plot: '%s' is read-only (mode %04o); make it writable or remove it",
				 path, (unsigned)(st.st_mode & 07777));
			return -EINVAL;
		}
	} else if (errno != ENOENT) {
		cb_error("--plot: cannot check '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (path_check_dir("--plot", path) < 0)
		return -EINVAL;
	name_max = pathconf(dir_of(path, copy, sizeof(copy)), _PC_NAME_MAX);
	cb_fmt(copy, sizeof(copy), "%s", path);
	base = basename(copy);
	if (name_max > 0 && strlen(base) > (size_t)name_max) {
		cb_error("--plot: file name longer than %ld bytes: '%.40s...'", name_max, base);
		return -EINVAL;
	}
	if (!gnuplot_found()) {
		cb_error("--plot: gnuplot not found on PATH; install it with 'apt-get install "
			 "gnuplot-nox'");
		return -EINVAL;
	}
	return 0;
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

/* A workers count as a chart coordinate: NAN unless a positive finite number (a report
 * from elsewhere may hold anything). */
static double workers_of(const cJSON *run)
{
	double w = jsonb_num(run, "workers");
	return isfinite(w) && w >= 1 && w <= 1e9 ? w : NAN;
}

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
	double x, y;
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
			if (isfinite(y))
				(*pts)[npts++] = (struct point){ p, d, s, index, x, y };
		}
	}
	qsort(*pts, npts, sizeof(**pts), cmp_point);
	if (hidden)
		cb_warn("--plot: %zu runs are not drawn: the chart has at most %d panels (workloads "
			"and parameters) of %d executors each", hidden, MAX_PANELS, MAX_SERIES);
	return (ssize_t)npts;
}

/* The script: every string as data (put_text), the output a file name of our own. */
static int write_script(FILE *g, cJSON *const *docs, size_t n, const char *out_name,
			const struct panel *panels, size_t np, const struct point *pts, size_t npts)
{
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(docs[0], "host");
	char title[512], name[64];
	unsigned cols = np < 3 ? (np ? (unsigned)np : 1) : 3;
	unsigned rows = np ? (unsigned)((np + cols - 1) / cols) : 1;
	size_t at = 0;

	cb_fmt(title, sizeof(title), "concbench on %s%s, %s", jsonb_str(host, "hostname"),
	       n > 1 ? " and others" : "", jsonb_str(docs[0], "created"));
	fprintf(g, "set encoding utf8\n");
	if (strcmp(ext_of(out_name), "svg") == 0)
		fprintf(g, "set terminal svg noenhanced size %u,%u dynamic font 'sans,11'\n",
			480 * cols, 380 * rows + 40);
	else
		fprintf(g, "set terminal pngcairo noenhanced size %u,%u font 'sans,10'\n",
			480 * cols, 380 * rows + 40);
	fprintf(g, "set termoption noenhanced\n");
	fprintf(g, "set output '%s'\n", out_name);     /* [A-Za-z0-9.-] only: see plot_reports */
	put_text(g, "title", title, 256);
	fprintf(g, "set multiplot layout %u,%u title $title[1][2:]\n", rows, cols);
	fprintf(g, "set key top left\nset grid\nset xlabel 'workers'\n");
	for (size_t p = 0; p < np; p++) {
		const cJSON *f = panels[p].first, *q;
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(f, "params");
		const char *wl = jsonb_str(f, "workload");
		int bw = strcmp(wl, "mem") == 0 && strcmp(jsonb_str(params, "pattern"), "triad") == 0;
		double maxw = panels[p].maxw;
		char ptitle[256];

		if (cb_stop_signal)
			return -EINTR;
		cb_fmt(ptitle, sizeof(ptitle), "%s", wl);
		cJSON_ArrayForEach(q, params)
			if (cJSON_IsString(q) && strcmp(q->string, "scaling") && strcmp(q->string, "schedule"))
				cb_fmt(ptitle + strlen(ptitle), sizeof(ptitle) - strlen(ptitle), " %s",
				       q->valuestring);
		cb_fmt(name, sizeof(name), "p%zu", p);
		put_text(g, name, ptitle, 256);
		fprintf(g, "set title $%s[1][2:]\n", name);
		fprintf(g, "set ylabel '%s'\n", bw ? "bandwidth (GB/s, STREAM triad counting)" :
			strcmp(wl, "io") == 0 ? "achieved concurrency (x seq)" : "speedup (x seq)");
		fprintf(g, "set xrange [0.5:%.17g]\nset yrange [0:*]\n", maxw + 0.5);
		fprintf(g, "set xtics 1\n");
		if (maxw > 16)
			fprintf(g, "set xtics %.17g\n", ceil(maxw / 8));
		/* data blocks: one per (report, executor), numbers only */
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < panels[p].ns; s++) {
				fprintf(g, "$d%zu_%zu << EOD\n", d, s);
				for (; at < npts && pts[at].panel == p && pts[at].doc == d &&
				       pts[at].series == s; at++)
					fprintf(g, "%.17g %.17g\n", pts[at].x, pts[at].y);
				fprintf(g, "EOD\n");
			}
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < panels[p].ns; s++) {
				char lab[256];
				cb_fmt(lab, sizeof(lab), "%s%s%s", panels[p].series[s], n > 1 ? " @ " : "",
				       n > 1 ? jsonb_str(cJSON_GetObjectItemCaseSensitive(docs[d], "host"),
							 "hostname") : "");
				cb_fmt(name, sizeof(name), "s%zu_%zu", d, s);
				put_text(g, name, lab, 41);     /* a longer one hides the key */
			}
		fprintf(g, "plot ");
		if (!bw)
			fprintf(g, "x with lines dashtype 2 lc rgb 'gray50' title 'ideal', ");
		for (size_t d = 0; d < n; d++)
			for (size_t s = 0; s < panels[p].ns; s++)
				fprintf(g, "%s$d%zu_%zu using 1:2 with linespoints lw 2 pt %zu title $s%zu_%zu[1][2:]",
					(d + s) ? ", " : "", d, s, 5 + s + 2 * d, d, s);
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

int plot_reports(cJSON *const *docs, size_t n, const char *path)
{
	struct panel panels[MAX_PANELS];
	struct point *pts = NULL;
	char dirbuf[PATH_MAX], tmp[PATH_MAX + 64];
	const char *dir, *ext = ext_of(path), *tmp_name;
	ssize_t npts;
	size_t np = 0;
	int fd = -1, status = 0, rc = 0, killed = 0;
	pid_t pid;
	FILE *g = NULL;

	tmp[0] = 0;
	if (strlen(path) >= sizeof(dirbuf)) {
		cb_error("--plot: expected a path shorter than %zu bytes", sizeof(dirbuf));
		return -EINVAL;
	}
	if (cb_stop_signal) {
		rc = -EINTR;
		goto out;
	}
	npts = collect_points(docs, n, panels, &np, &pts);
	if (npts < 0) {
		rc = (int)npts;
		cb_error("--plot: out of memory");
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
		cb_error("--plot: cannot write in the directory of '%s': %s", path, strerror(errno));
		goto out;
	}
	tmp_name = strrchr(tmp, '/') + 1;
	pid = start_gnuplot(dir, &g);
	if (pid < 0) {
		rc = (int)pid;
		cb_error("--plot: cannot start gnuplot: %s", strerror(-rc));
		goto out;
	}
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		rc = write_script(g, docs, n, tmp_name, panels, np, pts, (size_t)npts);
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
		cb_error("--plot: gnuplot did not finish '%s'", path);
	} else if (WEXITSTATUS(status) == 127) {
		rc = -ENOENT;    /* the child said why */
	} else if (WEXITSTATUS(status) != 0) {
		rc = -EIO;
		cb_error("--plot: gnuplot could not draw '%s' (exit status %d)", path,
			 WEXITSTATUS(status));
	} else if (!chart_complete(fd, ext)) {
		rc = -EIO;
		cb_error("--plot: gnuplot left an incomplete chart for '%s' (is the disk full?)",
			 path);
	} else if (chmod_as_created(fd) < 0 || fsync(fd) < 0) {
		rc = -errno;
		cb_error("--plot: cannot write '%s': %s", path, strerror(errno));
	}
	if (close(fd) < 0 && !rc) {
		rc = -errno;
		cb_error("--plot: cannot write '%s': %s", path, strerror(errno));
	}
	fd = -1;
	if (!rc && rename(tmp, path) < 0) {
		rc = -errno;
		cb_error("--plot: cannot write '%s': %s", path, strerror(errno));
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
		cb_error("--plot: interrupted by %s; no chart written", stop_signal_name());
	for (size_t p = 0; p < np; p++)
		free(panels[p].key);
	free(pts);
	return rc;
}
