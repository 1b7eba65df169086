/* SPDX-License-Identifier: MIT */
/* history: runs of many invocations over many commits in an SQLite database (libsqlite3),
 * the series of one run key across commits, and where a series changed level.
 *
 * One added report is one invocation; it belongs to one commit. A commit's place in the
 * series (its position) is the order in which it was first added. The file is versioned
 * (PRAGMA user_version, application_id marks it as concbench's), written in WAL mode with a
 * busy timeout so that concurrent writers wait rather than fail, and every statement is
 * prepared with bound parameters. Errors print one line "concbench: history: ..." and
 * return a negative errno: -EINVAL for a file that is not a usable history (exit 2),
 * -ENOMEM, -EIO or -EBUSY for a failure of the run (exit 3). */
#ifndef CONCBENCH_HISTORY_H
#define CONCBENCH_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define HISTORY_SCHEMA 1                 /* user_version this build writes and reads */
#define HISTORY_APP_ID 0x63626831        /* "cbh1": PRAGMA application_id */
#define HISTORY_DEFAULT_DB "results/history.sqlite"
#define HISTORY_BUSY_MS 120000           /* how long a writer waits for another */
#define HISTORY_MAX_COMMIT 64            /* bytes of a commit name */
#define HISTORY_MAX_OBS 2000000          /* observations one query returns at most */
#define HISTORY_SEED 1                   /* the permutation test's seed: checks repeat */

struct history;

/* Open the database at path. write: create it when missing (and its schema), WAL mode;
 * otherwise it must exist. A file that is not SQLite, an SQLite database of another
 * application, one of a newer schema or a corrupt one is refused (-EINVAL). */
int history_open(const char *path, int write, struct history **out);
void history_close(struct history *h);

/* NULL when s can name a commit (1 to 64 bytes of A-Z a-z 0-9 . _ + / -: a SHA, a tag,
 * `git describe`), else what is accepted. */
const char *history_commit_problem(const char *s);
/* The commit a report names by its label: the label when it is 7 to 40 hex digits (a git
 * SHA, as `--label $(git rev-parse HEAD)` writes), else NULL. */
const char *history_commit_of_label(const cJSON *doc);

/* Add the reports at paths[0..n) (each loaded by the strict loader) as invocations, all in
 * one transaction: every one or none. commit: the commit of all of them, or NULL to take
 * each report's from its label. branch and label may be NULL. *nruns gets the runs added. */
int history_add(struct history *h, const char *const *paths, size_t n, const char *commit,
		const char *branch, const char *label, size_t *nruns);

enum history_metric { HISTORY_MEDIAN_S, HISTORY_THROUGHPUT };

/* Which runs: NULL (or workers_set 0) selects any. params_glob is an SQLite GLOB over the
 * params text ("k=v,k=v", keys sorted); key the whole run key as `history show` prints it. */
struct history_filter {
	const char *workload, *executor, *binding, *params_glob, *key;
	unsigned workers;
	int workers_set;
};

/* One run of one invocation: its key, its commit and its value of the metric. */
struct history_obs {
	char *key, *workload, *executor, *binding, *params, *commit, *unit;
	unsigned workers;
	int64_t position;
	double value;
};

/* The observations that match, ordered by key, commit position and order added; runs
 * without the metric (no throughput) are left out. */
int history_query(struct history *h, const struct history_filter *f, enum history_metric m,
		  struct history_obs **out, size_t *n);
void history_obs_free(struct history_obs *o, size_t n);
/* The newest commit (the largest position): 0 and *pos = 0 when there is none. */
int history_newest(struct history *h, int64_t *pos, char *commit, size_t len);

/* One commit of a series: its invocations' values obs[first .. first + n). */
struct history_point {
	size_t first, n;
	double median;                  /* of the invocations' values */
	int has_ci;                     /* 0 below 6 invocations: no 95% interval exists */
	double lo, hi, level;           /* distribution-free interval of that median */
	double change;                  /* median / previous commit's median - 1; NAN first */
};
/* One run key over commits: obs[first .. first + n), points[0 .. npoints). */
struct history_series {
	size_t first, n, npoints;
	struct history_point *points;
};
/* Group obs (as history_query orders them) into series. Returns 0 or -ENOMEM. */
int history_series_build(const struct history_obs *obs, size_t n, struct history_series **out,
			 size_t *ns);
void history_series_free(struct history_series *s, size_t ns);

/* A change of level in a series, at the first invocation of points[point]. */
struct history_change {
	size_t point;
	double before, after;           /* medians of the invocations between neighbouring changes */
	double change;                  /* after / before - 1 */
	double p;
	int worse;                      /* slower (median_s) or less throughput */
};
#define HISTORY_MAX_CHANGES 32
/* The changes of series s (its newest CP_MAX_OBS invocations, whole commits) by
 * E-divisive means at level alpha with HISTORY_SEED. out has room for HISTORY_MAX_CHANGES.
 * Returns 0, -EINVAL or -ENOMEM. */
int history_changes(const struct history_obs *obs, const struct history_series *s,
		    enum history_metric m, double alpha, struct history_change *out, size_t *n);

#endif
