/* SPDX-License-Identifier: MIT */
/* history: the SQLite database of invocations over commits, its series and their changes.
 * Every statement is a constant string prepared with bound parameters: nothing read from a
 * report or the command line ever becomes SQL text. */
#define _GNU_SOURCE
#include "report/history.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "measure/changepoint.h"
#include "measure/stats.h"
#include "report/reportload.h"

struct history {
	sqlite3 *db;
	const char *path;
};

/* The schema, one step per version: migrations[v] takes a database at user_version v to
 * v + 1. v0 is an empty file (or one this build just created). Each step runs in the
 * writer's transaction, with the version it sets, so that a step is whole or absent. */
static const char *const migrations[] = {
	/* v0 -> v1 */
	"CREATE TABLE commits ("
	"  id INTEGER PRIMARY KEY,"
	"  sha TEXT NOT NULL UNIQUE,"
	"  position INTEGER NOT NULL UNIQUE);"
	"CREATE TABLE invocations ("
	"  id INTEGER PRIMARY KEY,"
	"  commit_id INTEGER NOT NULL REFERENCES commits(id),"
	"  branch TEXT, label TEXT, source TEXT NOT NULL, created TEXT, host TEXT,"
	"  added TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  invocation_id INTEGER NOT NULL REFERENCES invocations(id),"
	"  run_key TEXT NOT NULL, workload TEXT NOT NULL, executor TEXT NOT NULL,"
	"  workers INTEGER NOT NULL, binding TEXT NOT NULL, params TEXT NOT NULL,"
	"  samples INTEGER NOT NULL, median_s REAL, throughput REAL, throughput_unit TEXT);"
	"CREATE INDEX runs_by_key ON runs(run_key);"
	"CREATE INDEX invocations_by_commit ON invocations(commit_id);"
	"PRAGMA application_id = 1667393585;"    /* HISTORY_APP_ID */
	"PRAGMA user_version = 1;",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == HISTORY_SCHEMA,
	       "one migration per schema version");
_Static_assert(HISTORY_APP_ID == 1667393585, "the application_id in the v1 migration");

/* One line for a failed SQLite call; the errno the command maps to its exit status. A
 * corrupt file is bad input (2); anything else a failure of the run (3). */
static int db_fail(const struct history *h, int rc, const char *what)
{
	int prim = rc & 0xff;
	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) {
		cb_error("history: '%s': the database is corrupt (%s); restore it from a copy or "
			 "start a new one with --db", h->path, sqlite3_errstr(rc));
		return -EINVAL;
	}
	if (prim == SQLITE_NOMEM) {
		cb_error("history: out of memory");
		return -ENOMEM;
	}
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
		cb_error("history: '%s': still locked by another writer after %d s", h->path,
			 HISTORY_BUSY_MS / 1000);
		return -EBUSY;
	}
	cb_error("history: '%s': %s: %s", h->path, what, h->db ? sqlite3_errmsg(h->db) :
		 sqlite3_errstr(rc));
	return -EIO;
}

static int exec(struct history *h, const char *sql, const char *what)
{
	int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_fail(h, rc, what);
}

/* Whose file and which version: application_id, user_version and the number of schema
 * objects, read by one statement so that they come from one snapshot (another writer may
 * be creating the schema meanwhile). */
static int read_ids(struct history *h, int64_t *app, int64_t *version, int64_t *objects)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h->db, "SELECT (SELECT application_id FROM pragma_application_id), "
				    "(SELECT user_version FROM pragma_user_version), "
				    "(SELECT count(*) FROM sqlite_master)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*app = sqlite3_column_int64(st, 0);
			*version = sqlite3_column_int64(st, 1);
			*objects = sqlite3_column_int64(st, 2);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : db_fail(h, rc, "reading the schema");
}

/* Is the file at path, when it exists, an SQLite file at all? An empty one is new. */
static int check_file(const char *path, int write)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat st;
	int fd;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT && write)
			return path_check_dir("--db", path) < 0 ? -EINVAL : 0;
		if (errno == ENOENT)
			cb_error("history: '%s': no such history database (its first 'history add' "
				 "creates it)", path);
		else
			cb_error("history: '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		cb_error("history: '%s' is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size == 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		cb_error("history: cannot read '%s': %s", path, strerror(errno));
		return -EINVAL;
	}
	if (st.st_size < (off_t)sizeof(head) || cb_read_full(fd, head, sizeof(head)) < 0 ||
	    memcmp(head, magic, sizeof(magic)) != 0) {
		close(fd);
		cb_error("history: '%s' is not an SQLite database (expected a history written by "
			 "'concbench history add')", path);
		return -EINVAL;
	}
	close(fd);
	return 0;
}

/* Bring the schema to HISTORY_SCHEMA inside one write transaction: the version is read
 * again under the lock, so that of two writers creating one file the second finds it done. */
static int migrate(struct history *h)
{
	int64_t version = 0, tables = 0, app = 0;
	int rc = exec(h, "BEGIN IMMEDIATE", "locking the database");
	if (rc)
		return rc;
	if ((rc = read_ids(h, &app, &version, &tables)))
		goto fail;
	if (version == 0 && app == 0 && tables > 0) {
		cb_error("history: '%s' is an SQLite database of another application (its tables are "
			 "not a concbench history)", h->path);
		rc = -EINVAL;
		goto fail;
	}
	for (; version < HISTORY_SCHEMA; version++)
		if ((rc = exec(h, migrations[version], "upgrading the schema")))
			goto fail;
	return exec(h, "COMMIT", "upgrading the schema");
fail:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Is this a concbench history this build can read? */
static int check_schema(struct history *h, int write)
{
	int64_t version = 0, app = 0, tables = 0, one = 0;
	char ok[16] = "";
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = read_ids(h, &app, &version, &tables)))
		return rc;
	if (app != HISTORY_APP_ID && (app != 0 || tables > 0 || version != 0)) {
		cb_error("history: '%s' is an SQLite database of another application (application_id "
			 "%lld, expected %d)", h->path, (long long)app, HISTORY_APP_ID);
		return -EINVAL;
	}
	if (version > HISTORY_SCHEMA) {
		cb_error("history: '%s' has schema version %lld, newer than this concbench reads (up "
			 "to %d); use a newer concbench", h->path, (long long)version, HISTORY_SCHEMA);
		return -EINVAL;
	}
	if (version < HISTORY_SCHEMA) {
		if (!write && app == 0) {
			cb_error("history: '%s' holds no history yet (its first 'history add' "
				 "creates one)", h->path);
			return -EINVAL;
		}
		if ((rc = migrate(h)))
			return rc;
	}
	/* a damaged page shows here rather than halfway through a query */
	rc = sqlite3_prepare_v2(h->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		cb_fmt(ok, sizeof(ok), "%s", t ? (const char *)t : "");
		one = 1;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return db_fail(h, rc, "checking the database");
	if (!one || strcmp(ok, "ok") != 0) {
		cb_error("history: '%s': the database is corrupt (its integrity check fails); "
			 "restore it from a copy or start a new one with --db", h->path);
		return -EINVAL;
	}
	return 0;
}

int history_open(const char *path, int write, struct history **out)
{
	struct history *h;
	int rc, flags = SQLITE_OPEN_READWRITE | (write ? SQLITE_OPEN_CREATE : 0) |
			SQLITE_OPEN_NOFOLLOW;

	*out = NULL;
	if ((rc = check_file(path, write)))
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h) {
		cb_error("history: out of memory");
		return -ENOMEM;
	}
	h->path = path;
	rc = sqlite3_open_v2(path, &h->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_CANTOPEN)
			cb_error("history: cannot open '%s': %s", path,
				 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
		rc = (rc & 0xff) == SQLITE_CANTOPEN ? -EINVAL : db_fail(h, rc, "opening");
		history_close(h);
		return rc;
	}
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_MS);
	/* a foreign file must not be switched to WAL: the schema is checked first */
	rc = check_schema(h, write);
	/* WAL: readers never block the writer, and a crash mid-write leaves the file whole */
	if (!rc && write)
		rc = exec(h, "PRAGMA journal_mode = WAL", "switching to WAL");
	if (rc) {
		history_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	sqlite3_close_v2(h->db);
	free(h);
}

const char *history_commit_problem(const char *s)
{
	static const char *const what =
		"1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '+', '/' and '-' (a SHA or a tag)";
	size_t n = strlen(s);
	if (n == 0 || n > HISTORY_MAX_COMMIT)
		return what;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._+/-", *p)))
			return what;
	return NULL;
}

const char *history_commit_of_label(const cJSON *doc)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(doc, "label");
	size_t n;
	if (!cJSON_IsString(l))
		return NULL;
	n = strlen(l->valuestring);
	if (n < 7 || n > 40 || strspn(l->valuestring, "0123456789abcdefABCDEF") != n)
		return NULL;
	return l->valuestring;
}

/* A growable string. */
struct buf {
	char *s;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *t)
{
	size_t n = strlen(t);
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->failed = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, t, n + 1);
	b->len += n;
}

static int cmp_item_name(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string, y->string);
}

/* The params text of a run: "k=v,k=v" with the keys sorted, numbers as %.17g, so that the
 * same parameters give the same text whatever order the report wrote them in. */
static int params_text(const cJSON *run, struct buf *b)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(run, "params"), *it;
	const cJSON **items;
	size_t n = 0, i = 0;

	cJSON_ArrayForEach(it, p)
		n++;
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	cJSON_ArrayForEach(it, p)
		items[i++] = it;
	qsort(items, n, sizeof(*items), cmp_item_name);
	put(b, "");
	for (i = 0; i < n; i++) {
		char num[40];
		put(b, i ? "," : "");
		put(b, items[i]->string);
		put(b, "=");
		if (cJSON_IsString(items[i]))
			put(b, items[i]->valuestring);
		else if (cJSON_IsNumber(items[i])) {
			cb_fmt(num, sizeof(num), "%.17g", items[i]->valuedouble);
			put(b, num);
		} else
			put(b, cJSON_IsTrue(items[i]) ? "true" : cJSON_IsFalse(items[i]) ? "false"
			    : "null");
	}
	free(items);
	return b->failed ? -ENOMEM : 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The statements of one add, prepared once. */
struct add_stmts {
	sqlite3_stmt *commit, *commit_id, *inv, *run;
};

/* One run of a report: its key and values, bound and inserted. */
static int add_run(struct history *h, struct add_stmts *s, int64_t inv, const cJSON *run)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(run, "samples_s");
	const cJSON *tp = cJSON_GetObjectItemCaseSensitive(run, "throughput");
	struct buf params = { 0 }, key = { 0 };
	double *x = NULL, tpv = jsonb_num(tp, "value");
	int n = cJSON_GetArraySize(samples), i = 0, rc;
	char workers[24];
	const cJSON *v;

	cb_fmt(workers, sizeof(workers), "%.0f", jsonb_num(run, "workers"));
	rc = params_text(run, &params);
	if (!rc) {
		put(&key, jsonb_str(run, "workload"));
		put(&key, " ");
		put(&key, jsonb_str(run, "executor"));
		put(&key, " workers=");
		put(&key, workers);
		put(&key, " binding=");
		put(&key, jsonb_str(run, "binding"));
		put(&key, " ");
		put(&key, params.s);
		rc = key.failed ? -ENOMEM : 0;
	}
	if (!rc && n > 0 && !(x = malloc((size_t)n * sizeof(*x))))
		rc = -ENOMEM;
	if (rc) {
		cb_error("history: out of memory");
		goto out;
	}
	/* the invocation's median, from its samples as the report's own median_s is */
	cJSON_ArrayForEach(v, samples)
		if (x && i < n)
			x[i++] = v->valuedouble;
	sqlite3_bind_int64(s->run, 1, inv);
	bind_text(s->run, 2, key.s);
	bind_text(s->run, 3, jsonb_str(run, "workload"));
	bind_text(s->run, 4, jsonb_str(run, "executor"));
	sqlite3_bind_int64(s->run, 5, (int64_t)jsonb_num(run, "workers"));
	bind_text(s->run, 6, jsonb_str(run, "binding"));
	bind_text(s->run, 7, params.s);
	sqlite3_bind_int(s->run, 8, n);
	if (n > 0)
		sqlite3_bind_double(s->run, 9, stats_median(x, (size_t)n));
	else
		sqlite3_bind_null(s->run, 9);
	if (isfinite(tpv)) {
		sqlite3_bind_double(s->run, 10, tpv);
		bind_text(s->run, 11, jsonb_str(tp, "unit"));
	} else {
		sqlite3_bind_null(s->run, 10);
		sqlite3_bind_null(s->run, 11);
	}
	rc = step_done(s->run);
	rc = rc == SQLITE_OK ? 0 : db_fail(h, rc, "adding a run");
out:
	free(x);
	free(params.s);
	free(key.s);
	return rc;
}

/* One report: its commit (given or from its label), the invocation, its runs. */
static int add_one(struct history *h, struct add_stmts *s, const char *path, const cJSON *doc,
		   const char *commit, const char *branch, const char *label, size_t *nruns)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(doc, "runs"), *run;
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(doc, "host");
	int64_t commit_id = -1, inv;
	int rc;

	if (!commit)
		commit = history_commit_of_label(doc);
	if (!commit) {
		char shown[80];
		const char *l = jsonb_str(doc, "label");
		cb_error("history add: '%s': no commit: give --commit SHA, or run with --label SHA "
			 "(7 to 40 hex digits); its label is %s%s%s", path, *l ? "'" : "",
			 *l ? cb_sanitize(l, shown, sizeof(shown)) : "absent", *l ? "'" : "");
		return -EINVAL;
	}
	bind_text(s->commit, 1, commit);
	if ((rc = step_done(s->commit)) != SQLITE_OK)
		return db_fail(h, rc, "adding the commit");
	bind_text(s->commit_id, 1, commit);
	rc = sqlite3_step(s->commit_id);
	if (rc == SQLITE_ROW)
		commit_id = sqlite3_column_int64(s->commit_id, 0);
	sqlite3_reset(s->commit_id);
	sqlite3_clear_bindings(s->commit_id);
	if (commit_id < 0)
		return db_fail(h, rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_ERROR : rc,
			       "finding the commit");
	sqlite3_bind_int64(s->inv, 1, commit_id);
	bind_text(s->inv, 2, branch);
	bind_text(s->inv, 3, label);
	bind_text(s->inv, 4, path);
	bind_text(s->inv, 5, jsonb_str(doc, "created"));
	bind_text(s->inv, 6, jsonb_str(host, "hostname"));
	if ((rc = step_done(s->inv)) != SQLITE_OK)
		return db_fail(h, rc, "adding the invocation");
	inv = sqlite3_last_insert_rowid(h->db);
	cJSON_ArrayForEach(run, runs) {
		if ((rc = add_run(h, s, inv, run)))
			return rc;
		(*nruns)++;
	}
	return 0;
}

int history_add(struct history *h, const char *const *paths, size_t n, const char *commit,
		const char *branch, const char *label, size_t *nruns)
{
	static const char *const sql[] = {
		/* a new commit goes after every one there; a known one keeps its place */
		"INSERT OR IGNORE INTO commits (sha, position) "
		"VALUES (?1, (SELECT COALESCE(MAX(position), 0) + 1 FROM commits))",
		"SELECT id FROM commits WHERE sha = ?1",
		"INSERT INTO invocations (commit_id, branch, label, source, created, host) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		"INSERT INTO runs (invocation_id, run_key, workload, executor, workers, binding, "
		"params, samples, median_s, throughput, throughput_unit) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	};
	struct add_stmts s = { 0 };
	sqlite3_stmt **stmt_of[] = { &s.commit, &s.commit_id, &s.inv, &s.run };
	int rc;

	*nruns = 0;
	/* one transaction: a writer waits for the other (busy timeout), and a report that
	 * fails to load leaves the database as it was */
	if ((rc = exec(h, "BEGIN IMMEDIATE", "locking the database")))
		return rc;
	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		int e = sqlite3_prepare_v2(h->db, sql[i], -1, stmt_of[i], NULL);
		if (e != SQLITE_OK) {
			rc = db_fail(h, e, "preparing");
			goto out;
		}
	}
	for (size_t i = 0; i < n && !rc; i++) {
		cJSON *doc = report_load("history add", paths[i]);
		if (!doc) {
			rc = errno == ENOMEM ? -ENOMEM : -EINVAL;
			break;
		}
		rc = add_one(h, &s, paths[i], doc, commit, branch, label, nruns);
		cJSON_Delete(doc);
	}
	if (!rc)
		rc = exec(h, "COMMIT", "committing");
out:
	for (size_t i = 0; i < ARRAY_SIZE(stmt_of); i++)
		(void)sqlite3_finalize(*stmt_of[i]);
	if (rc) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		*nruns = 0;
	}
	return rc;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return strdup(t ? (const char *)t : "");
}

void history_obs_free(struct history_obs *o, size_t n)
{
	for (size_t i = 0; o && i < n; i++) {
		free(o[i].key);
		free(o[i].workload);
		free(o[i].executor);
		free(o[i].binding);
		free(o[i].params);
		free(o[i].commit);
		free(o[i].unit);
	}
	free(o);
}

int history_query(struct history *h, const struct history_filter *f, enum history_metric m,
		  struct history_obs **out, size_t *n)
{
	/* one constant statement per metric: the column is chosen here, never from input */
#define HISTORY_SELECT(COL, UNIT) \
	"SELECT r.run_key, r.workload, r.executor, r.workers, r.binding, r.params, c.sha, " \
	"c.position, " COL ", " UNIT " FROM runs r JOIN invocations i ON r.invocation_id = i.id " \
	"JOIN commits c ON i.commit_id = c.id WHERE " COL " IS NOT NULL " \
	"AND (?1 IS NULL OR r.workload = ?1) AND (?2 IS NULL OR r.executor = ?2) " \
	"AND (?3 IS NULL OR r.workers = ?3) AND (?4 IS NULL OR r.binding = ?4) " \
	"AND (?5 IS NULL OR r.params GLOB ?5) AND (?6 IS NULL OR r.run_key = ?6) " \
	"ORDER BY r.run_key, c.position, i.id, r.id"
	static const char *const sql[] = {
		[HISTORY_MEDIAN_S] = HISTORY_SELECT("r.median_s", "'s'"),
		[HISTORY_THROUGHPUT] = HISTORY_SELECT("r.throughput", "r.throughput_unit"),
	};
#undef HISTORY_SELECT
	sqlite3_stmt *st = NULL;
	struct history_obs *o = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(h->db, sql[m], -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(h, rc, "querying");
	bind_text(st, 1, f->workload);
	bind_text(st, 2, f->executor);
	if (f->workers_set)
		sqlite3_bind_int64(st, 3, f->workers);
	bind_text(st, 4, f->binding);
	bind_text(st, 5, f->params_glob);
	bind_text(st, 6, f->key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct history_obs *e;
		if (cnt == HISTORY_MAX_OBS) {
			cb_error("history: more than %d runs match; select fewer (--workload, "
				 "--executor, --workers, --binding, --params-match, --key)",
				 HISTORY_MAX_OBS);
			rc = -E2BIG;
			goto fail;
		}
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 256;
			e = realloc(o, nc * sizeof(*o));
			if (!e)
				goto nomem;
			o = e;
			cap = nc;
		}
		e = &o[cnt++];
		memset(e, 0, sizeof(*e));
		e->key = col_dup(st, 0);
		e->workload = col_dup(st, 1);
		e->executor = col_dup(st, 2);
		e->workers = (unsigned)sqlite3_column_int64(st, 3);
		e->binding = col_dup(st, 4);
		e->params = col_dup(st, 5);
		e->commit = col_dup(st, 6);
		e->position = sqlite3_column_int64(st, 7);
		e->value = sqlite3_column_double(st, 8);
		e->unit = col_dup(st, 9);
		if (!e->key || !e->workload || !e->executor || !e->binding || !e->params ||
		    !e->commit || !e->unit)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		rc = db_fail(h, rc, "querying");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = o;
	*n = cnt;
	return 0;
nomem:
	cb_error("history: out of memory");
	rc = -ENOMEM;
fail:
	sqlite3_finalize(st);
	history_obs_free(o, cnt);
	return rc;
}

int history_newest(struct history *h, int64_t *pos, char *commit, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h->db, "SELECT position, sha FROM commits "
				    "ORDER BY position DESC LIMIT 1", -1, &st, NULL);
	*pos = 0;
	if (len)
		commit[0] = 0;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 1);
			*pos = sqlite3_column_int64(st, 0);
			cb_fmt(commit, len, "%s", t ? (const char *)t : "");
		}
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : db_fail(h, rc, "querying");
}

void history_series_free(struct history_series *s, size_t ns)
{
	for (size_t i = 0; s && i < ns; i++)
		free(s[i].points);
	free(s);
}

/* The median of x[0..n) with its 95% interval where one exists. */
static void point_stats(const double *x, size_t n, struct history_point *p)
{
	p->median = stats_median(x, n);
	p->has_ci = stats_median_ci(x, n, 0.95, &p->lo, &p->hi, &p->level) == 0;
	if (!p->has_ci)
		p->lo = p->hi = p->level = NAN;
}

int history_series_build(const struct history_obs *obs, size_t n, struct history_series **out,
			 size_t *ns)
{
	struct history_series *s = NULL;
	size_t cnt = 0, cap = 0;
	double *x = malloc((n ? n : 1) * sizeof(*x));

	*out = NULL;
	*ns = 0;
	if (!x)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		x[i] = obs[i].value;
	for (size_t i = 0; i < n;) {
		struct history_series *e;
		size_t j = i, np = 0;
		while (j < n && strcmp(obs[j].key, obs[i].key) == 0)
			j++;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			e = realloc(s, nc * sizeof(*s));
			if (!e)
				goto nomem;
			s = e;
			cap = nc;
		}
		e = &s[cnt++];
		*e = (struct history_series){ i, j - i, 0, NULL };
		e->points = calloc(j - i, sizeof(*e->points));
		if (!e->points)
			goto nomem;
		for (size_t k = i; k < j;) {
			size_t l = k;
			struct history_point *p = &e->points[np];
			while (l < j && obs[l].position == obs[k].position)
				l++;
			p->first = k;
			p->n = l - k;
			point_stats(x + k, l - k, p);
			p->change = np ? p->median / e->points[np - 1].median - 1 : NAN;
			np++;
			k = l;
		}
		e->npoints = np;
		i = j;
	}
	free(x);
	*out = s;
	*ns = cnt;
	return 0;
nomem:
	free(x);
	history_series_free(s, cnt);
	return -ENOMEM;
}

int history_changes(const struct history_obs *obs, const struct history_series *s,
		    enum history_metric m, double alpha, struct history_change *out, size_t *n)
{
	struct cp_change ch[CP_MAX_CHANGES];
	size_t first = 0, nobs, ncand = 0, nch = 0, *cand = NULL, p0 = 0;
	double *x = NULL;
	int rc = 0;

	*n = 0;
	/* the newest CP_MAX_OBS invocations, starting at a commit's first */
	while (s->n - (s->points[p0].first - s->first) > CP_MAX_OBS)
		p0++;
	first = s->points[p0].first;
	nobs = s->first + s->n - first;
	x = malloc((nobs ? nobs : 1) * sizeof(*x));
	cand = malloc(s->npoints * sizeof(*cand));
	if (!x || !cand) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nobs; i++)
		x[i] = obs[first + i].value;
	for (size_t p = p0 + 1; p < s->npoints; p++)
		cand[ncand++] = s->points[p].first - first;
	rc = cp_search(x, nobs, cand, ncand, alpha, cp_perms_for(alpha), HISTORY_SEED, ch, &nch);
	if (rc)
		goto out;
	for (size_t c = 0; c < nch && c < HISTORY_MAX_CHANGES; c++) {
		size_t from = c ? ch[c - 1].at : 0, to = c + 1 < nch ? ch[c + 1].at : nobs;
		struct history_change *o = &out[c];
		size_t p = p0;
		while (p < s->npoints && s->points[p].first - first != ch[c].at)
			p++;
		o->point = p;
		o->before = stats_median(x + from, ch[c].at - from);
		o->after = stats_median(x + ch[c].at, to - ch[c].at);
		o->change = o->after / o->before - 1;
		o->p = ch[c].p;
		o->worse = m == HISTORY_MEDIAN_S ? o->after > o->before : o->after < o->before;
		(*n)++;
	}
out:
	free(x);
	free(cand);
	return rc;
}
