/* SPDX-License-Identifier: MIT */
/* io: tasks that block instead of computing. `sleep` sleeps --duration per task (the
 * textbook I/O stand-in); `file` writes a file of --size bytes in a private temporary
 * directory, fsyncs it, reads it back, checksums it and removes it.
 *
 * The directory is made in init (mkdtemp, mode 0700) and removed in fini, with anything a
 * crashed worker left in it. Its name holds the coordinator's pid, so that a run killed
 * with SIGKILL (which no one can clean up after) has its directory removed by the next io
 * run that finds its pid dead. */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "core/workload.h"

#define IO_DEFAULT_TASKS 48
#define IO_CHUNK (64 * 1024)
#define IO_FILE_DEFAULT ((uint64_t)1 << 20)
#define IO_FILE_MAX (1ULL << 32)
#define IO_SLEEP_MAX_NS 3600e9  /* sleep of one repetition in all, on one worker */

enum { OPT_IO, OPT_DURATION };
enum { IO_SLEEP, IO_FILE };

static const char *const modes[] = { "sleep", "file", NULL };
static const struct wl_option io_options[] = {
	[OPT_IO] = { .name = "io", .kind = WLO_CHOICE, .choices = modes,
		     .help = "sleep (each task sleeps --duration) or file (write, fsync, read)" },
	[OPT_DURATION] = { .name = "duration", .kind = WLO_DURATION, .def_ns = 10000000,
			   .min_ns = 0, .max_ns = 60000000000LL,
			   .help = "sleep per task with --io sleep (default 10ms, up to 60s)" },
};

struct io_priv {
	char dir[256];          /* private temporary directory (file mode) */
	uint64_t *expect;       /* per-task reference checksum */
};

/* The file's content: word i of task t. */
static inline uint64_t io_word(size_t t, uint64_t i)
{
	return mix64(((uint64_t)t << 40) ^ i);
}

static uint64_t io_task_expect(const struct wl_inst *w, size_t t)
{
	uint64_t s = mix64(t);
	if (w->p.opt[OPT_IO] == IO_FILE)
		for (uint64_t i = 0; i < w->p.size / 8; i++)
			s += io_word(t, i);
	return s;
}

/* Remove a directory of ours and the task files in it, never following a symlink. */
static void remove_task_dir(int parent_fd, const char *name)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "task-", 5) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	unlinkat(parent_fd, name, AT_REMOVEDIR);
}

#define IO_DIR_PREFIX "concbench-io-"
#define IO_STALE_AGE_S 60

/* Directories left by io runs that were killed (SIGKILL): named concbench-io-PID-XXXXXX,
 * a directory (not a symlink) owned by us, untouched for a minute (a run in another pid
 * namespace sharing TMPDIR writes to its directory all the time), whose pid is dead. */
static void io_clean_stale(const char *tmp)
{
	int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	time_t now = time(NULL);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		const char *n = de->d_name, *q;
		char *end;
		struct stat st;
		long pid;

		if (strncmp(n, IO_DIR_PREFIX, strlen(IO_DIR_PREFIX)) != 0)
			continue;
		q = n + strlen(IO_DIR_PREFIX);
		if (*q < '1' || *q > '9')
			continue;
		errno = 0;
		pid = strtol(q, &end, 10);
		if (errno || pid <= 0 || pid > INT32_MAX || *end != '-' || strlen(end + 1) != 6)
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid() || now - st.st_mtime < IO_STALE_AGE_S)
			continue;
		if (pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		remove_task_dir(dirfd(d), n);
	}
	closedir(d);
}

/* Remove the task files in dir. */
static void remove_task_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "task-", 5) == 0) {
			char path[512];
			cb_fmt(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

static void io_fini(struct wl_inst *w)
{
	struct io_priv *p = w->priv;
	if (!p)
		return;
	if (p->dir[0]) {
		/* A worker thread stuck in a task may still create its file. Move the directory
		 * away first: from then on nothing can reach it by name, so once the files of
		 * creations already under way are gone, rmdir succeeds. */
		char gone[sizeof(p->dir) + 8];
		const char *dir = p->dir;
		cb_fmt(gone, sizeof(gone), "%s.gone", p->dir);
		if (rename(p->dir, gone) == 0)
			dir = gone;
		for (int tries = 0; tries < 1000; tries++) {
			remove_task_files(dir);
			if (rmdir(dir) == 0 || errno != ENOTEMPTY)
				break;
			sched_yield();
		}
	}
	/* A stuck worker thread may still read p, dir included (it then finds no directory
	 * to write in): keep it all (workload.h). */
	if (wl_threads_stuck(w))
		return;
	free(p->expect);
	free(p);
	w->priv = NULL;
}

static int io_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	struct io_priv *p;
	int mode = (int)w->p.opt[OPT_IO];
	(void)m;

	if (mode == IO_SLEEP && w->p.size) {
		cb_fmt(err, len, "--size: not used by --io sleep (use --tasks and --duration)");
		return -EINVAL;
	}
	if (mode == IO_FILE && !w->p.size)
		w->p.size = IO_FILE_DEFAULT;
	if (mode == IO_FILE)
		w->p.opt[OPT_DURATION] = 0;   /* not used: the report says 0, not a default */
	if (mode == IO_FILE && (w->p.size % 8 || w->p.size > IO_FILE_MAX)) {
		cb_fmt(err, len, "--size: file size must be a multiple of 8 bytes up to 4G, got %llu",
		       (unsigned long long)w->p.size);
		return -EINVAL;
	}
	if (!w->p.tasks)
		w->p.tasks = IO_DEFAULT_TASKS;
	if (w->p.tasks * w->scale > WL_MAX_TASKS) {
		cb_fmt(err, len, "--tasks: at most %d tasks in all, got %llu x %u workers",
		       WL_MAX_TASKS, (unsigned long long)w->p.tasks, w->scale);
		return -ERANGE;
	}
	w->ntasks = w->p.tasks * w->scale;
	/* 4096 tasks of 60 s would sleep 68 hours a repetition on one worker. */
	if (mode == IO_SLEEP && (double)w->ntasks * (double)w->p.opt[OPT_DURATION] > IO_SLEEP_MAX_NS) {
		cb_fmt(err, len, "--duration: %zu tasks of %.3f s sleep more than an hour in all; "
		       "expected --tasks x --duration up to 1h", w->ntasks,
		       (double)w->p.opt[OPT_DURATION] * 1e-9);
		return -ERANGE;
	}
	w->items = w->ntasks;
	w->unit = "tasks";
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	w->priv = p;
	p->expect = malloc(w->ntasks * sizeof(*p->expect));
	if (!p->expect)
		return -ENOMEM;
	for (size_t t = 0; t < w->ntasks; t++)
		p->expect[t] = io_task_expect(w, t);
	if (mode == IO_FILE) {
		const char *tmp = getenv("TMPDIR");
		if (!tmp || !*tmp)
			tmp = "/tmp";
		io_clean_stale(tmp);
		cb_fmt(p->dir, sizeof(p->dir), "%s/" IO_DIR_PREFIX "%d-XXXXXX", tmp, (int)getpid());
		if (!mkdtemp(p->dir)) {
			int e = errno;
			cb_fmt(err, len, "cannot make a temporary directory in %s: %s", tmp,
			       strerror(e));
			p->dir[0] = 0;
			return -e;
		}
	}
	return 0;
}

static int io_sleep(const struct wl_inst *w, int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
	int rc = 0;
	wl_blocking(w, 1);
	while (nanosleep(&ts, &ts) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
		if (wl_stopped(w)) {     /* Ctrl-C: the run is being stopped, stop waiting */
			rc = -EINTR;
			break;
		}
	}
	wl_blocking(w, 0);
	return rc;
}

static int io_file(const struct wl_inst *w, size_t t, uint64_t *sum)
{
	const struct io_priv *p = w->priv;
	uint64_t buf[IO_CHUNK / 8], words = w->p.size / 8, s = 0;
	char path[512];
	int fd, rc = 0;

	cb_fmt(path, sizeof(path), "%s/task-%zu", p->dir, t);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (uint64_t i = 0; i < words && !rc;) {
		size_t n = 0;
		for (; n < ARRAY_SIZE(buf) && i < words; n++, i++)
			buf[n] = io_word(t, i);
		/* A short count is followed by the write that says why (ENOSPC, EIO). */
		wl_blocking(w, 1);
		rc = cb_write_full(fd, buf, n * 8);
		wl_blocking(w, 0);
	}
	wl_blocking(w, 1);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	wl_blocking(w, 0);
	close(fd);
	if (!rc && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = -errno;
	if (!rc) {
		ssize_t got;
		for (;;) {
			wl_blocking(w, 1);
			got = read(fd, buf, sizeof(buf));
			if (got < 0)
				rc = -errno;
			wl_blocking(w, 0);
			if (got <= 0)
				break;
			for (ssize_t j = 0; j < got / 8; j++)
				s += buf[j];
		}
		close(fd);
	}
	unlink(path);
	*sum = s;
	return rc;
}

static int io_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	uint64_t s = 0;
	int rc;
	(void)data;
	if (w->p.opt[OPT_IO] == IO_SLEEP)
		rc = io_sleep(w, w->p.opt[OPT_DURATION]);
	else
		rc = io_file(w, t, &s);
	out->checksum = mix64(t) + s;
	out->items = 1;
	return rc;
}

/* ---- the asynchronous form (workload.h): the same task as a state machine ----
 *
 * sleep: one WL_OP_SLEEP. file: the file is opened (read and write, a synchronous open:
 * it is not one of the operations), written chunk by chunk with WL_OP_WRITE (a short write
 * goes on from where it stopped), fsynced, read back with WL_OP_READ until the end and
 * summed as io_file does, then closed and removed. The checksum is run_task's. */

enum { IO_A_SLEEP, IO_A_WRITE, IO_A_FSYNC, IO_A_READ };

struct io_async {
	size_t t;
	int phase;
	int fd;
	uint64_t off;           /* bytes written, or read, so far */
	uint64_t chunk_start;   /* write: where the chunk in buf lies in the file */
	uint64_t chunk_end;
	uint64_t sum;
	uint64_t buf[IO_CHUNK / 8];
};

static void io_task_path(const struct wl_inst *w, size_t t, char *path, size_t len)
{
	const struct io_priv *p = w->priv;
	cb_fmt(path, len, "%s/task-%zu", p->dir, t);
}

/* End the task: release the file, fill out as io_run_task does. */
static int io_async_end(const struct wl_inst *w, struct io_async *a, int rc,
			struct task_out *out)
{
	if (a->fd >= 0) {
		char path[512];
		close(a->fd);
		a->fd = -1;
		io_task_path(w, a->t, path, sizeof(path));
		unlink(path);
	}
	out->checksum = mix64(a->t) + a->sum;
	out->items = 1;
	return rc;
}

/* The next chunk of the file's words into buf, from a->off, as a write. */
static void io_async_fill(const struct wl_inst *w, struct io_async *a, struct wl_op *op)
{
	uint64_t words = w->p.size / 8, i = a->off / 8;
	size_t n = 0;

	for (; n < ARRAY_SIZE(a->buf) && i < words; n++, i++)
		a->buf[n] = io_word(a->t, i);
	a->chunk_start = a->off;
	a->chunk_end = a->off + n * 8;
	*op = (struct wl_op){ .kind = WL_OP_WRITE, .fd = a->fd, .buf = a->buf, .len = n * 8,
			      .off = a->off };
}

static int io_async_start(const struct wl_inst *w, void *data, size_t t, void *state,
			  struct wl_op *op, struct task_out *out)
{
	struct io_async *a = state;
	char path[512];
	(void)data;

	a->t = t;
	a->fd = -1;
	a->off = a->sum = 0;
	if (w->p.opt[OPT_IO] == IO_SLEEP) {
		a->phase = IO_A_SLEEP;
		*op = (struct wl_op){ .kind = WL_OP_SLEEP, .fd = -1, .ns = w->p.opt[OPT_DURATION] };
		return WL_ASYNC_MORE;
	}
	io_task_path(w, t, path, sizeof(path));
	a->fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	if (a->fd < 0)
		return io_async_end(w, a, -errno, out);
	a->phase = IO_A_WRITE;
	io_async_fill(w, a, op);
	return WL_ASYNC_MORE;
}

static int io_async_step(const struct wl_inst *w, void *state, int64_t res, struct wl_op *op,
			 struct task_out *out)
{
	struct io_async *a = state;

	if (res < 0)
		return io_async_end(w, a, (int)res, out);
	switch (a->phase) {
	case IO_A_SLEEP:
		return io_async_end(w, a, 0, out);
	case IO_A_WRITE:
		/* A write of nothing would never end: say what write(2) leaves unsaid. */
		if (res == 0)
			return io_async_end(w, a, -EIO, out);
		a->off += (uint64_t)res;
		if (a->off < a->chunk_end) {    /* short: the rest of the chunk */
			*op = (struct wl_op){ .kind = WL_OP_WRITE, .fd = a->fd,
					      .buf = (char *)a->buf + (a->off - a->chunk_start),
					      .len = a->chunk_end - a->off, .off = a->off };
			return WL_ASYNC_MORE;
		}
		if (a->off < w->p.size) {
			io_async_fill(w, a, op);
			return WL_ASYNC_MORE;
		}
		a->phase = IO_A_FSYNC;
		*op = (struct wl_op){ .kind = WL_OP_FSYNC, .fd = a->fd };
		return WL_ASYNC_MORE;
	case IO_A_FSYNC:
		a->phase = IO_A_READ;
		a->off = 0;
		break;
	default:
		if (res == 0)
			return io_async_end(w, a, 0, out);
		for (int64_t j = 0; j < res / 8; j++)
			a->sum += a->buf[j];
		a->off += (uint64_t)res;
		break;
	}
	*op = (struct wl_op){ .kind = WL_OP_READ, .fd = a->fd, .buf = a->buf, .len = sizeof(a->buf),
			      .off = a->off };
	return WL_ASYNC_MORE;
}

static int io_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		     char *err, size_t len)
{
	const struct io_priv *p = w->priv;
	uint64_t s = 0;
	int rc = 0;
	for (size_t t = 0; t < w->ntasks; t++) {
		s += outs[t].checksum;
		if (!rc && outs[t].checksum != p->expect[t]) {
			cb_fmt(err, len, "task %zu read back checksum %016llx, expected %016llx", t,
			       (unsigned long long)outs[t].checksum,
			       (unsigned long long)p->expect[t]);
			rc = -EBADMSG;
		}
	}
	*checksum = s;
	return rc;
}

const struct workload workload_io = {
	.name = "io",
	.summary = "blocking tasks: sleep, or write+fsync+read a private file",
	.size_help = "bytes per file with --io file (K, M, G = 2^10, 2^20, 2^30); default 1M",
	.size_in_bytes = 1,
	.options = io_options,
	.noptions = ARRAY_SIZE(io_options),
	.init = io_init,
	.run_task = io_run_task,
	.verify = io_verify,
	.fini = io_fini,
	.flags = WL_BLOCKING,
	.async_state = sizeof(struct io_async),
	.async_start = io_async_start,
	.async_step = io_async_step,
};
