/* SPDX-License-Identifier: MIT */
/* evloop: io_uring and epoll+timerfd backends of an event loop (see evloop.h). */
#define _GNU_SOURCE
#include "core/evloop.h"

#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/util.h"

/* The user_data of a cancel request: its own completion is not a slot's. */
#define EVL_CANCEL_TAG UINT64_MAX

struct evl_done {
	unsigned slot;
	int64_t result;
};

/* epoll: where a file operation of a slot stands. */
enum { REQ_IDLE, REQ_QUEUED, REQ_RUNNING };

struct evloop {
	enum evl_kind kind;
	unsigned slots;
	unsigned char *busy;            /* per slot: an operation in flight */
	struct evl_done *got;           /* completions gathered before delivering them */
	/* io_uring */
	struct io_uring ring;
	int ring_ok;
	struct __kernel_timespec *ts;   /* per slot: a sleep's relative time, read at submit */
	/* epoll */
	int epfd, tfd, efd;
	int64_t *deadline;              /* per slot: a sleep's end (now_ns), -1 none */
	unsigned char *cancelled;       /* per slot: its sleep was cancelled */
	pthread_t helper;
	int helper_started;
	/* Shared with the helper, under mu: the slots' file operations and the two queues of
	 * slot numbers (each slot is in at most one of them). */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wl_op *ops;
	int *state;                     /* REQ_* */
	unsigned *todo, ntodo, todo_head;
	struct evl_done *done;
	unsigned ndone;
	int quit;
};

const char *evloop_kind_name(enum evl_kind k)
{
	return k == EVL_URING ? "io_uring" : "epoll";
}

/* ---- the probe ---- */

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_rc;
static char probe_why[160];

static void probe_run(void)
{
	static const int need[] = { IORING_OP_TIMEOUT, IORING_OP_WRITE, IORING_OP_READ,
				    IORING_OP_FSYNC, IORING_OP_ASYNC_CANCEL };
	struct io_uring ring;
	struct io_uring_probe *pr;
	int rc = io_uring_queue_init(2, &ring, 0);

	if (rc < 0) {
		probe_rc = rc;
		if (rc == -EPERM)
			cb_fmt(probe_why, sizeof(probe_why), "EPERM: io_uring_setup refused by a "
			       "seccomp filter or kernel.io_uring_disabled");
		else if (rc == -ENOSYS)
			cb_fmt(probe_why, sizeof(probe_why), "ENOSYS: this kernel has no io_uring "
			       "or a seccomp filter hides it");
		else if (rc == -ENOMEM)
			cb_fmt(probe_why, sizeof(probe_why), "ENOMEM: the locked-memory limit "
			       "(ulimit -l) is too low for a ring");
		else
			cb_fmt(probe_why, sizeof(probe_why), "io_uring_setup: %s", strerror(-rc));
		return;
	}
	pr = io_uring_get_probe_ring(&ring);
	for (size_t i = 0; pr && i < ARRAY_SIZE(need); i++)
		if (!io_uring_opcode_supported(pr, need[i])) {
			probe_rc = -EOPNOTSUPP;
			cb_fmt(probe_why, sizeof(probe_why), "EOPNOTSUPP: this kernel's io_uring "
			       "lacks operation %d", need[i]);
		}
	if (!pr) {
		probe_rc = -EOPNOTSUPP;
		cb_fmt(probe_why, sizeof(probe_why), "EOPNOTSUPP: this kernel's io_uring cannot "
		       "say which operations it has");
	}
	io_uring_free_probe(pr);
	io_uring_queue_exit(&ring);
}

int evloop_probe(char *why, size_t len)
{
	pthread_once(&probe_once, probe_run);
	if (probe_rc < 0)
		cb_fmt(why, len, "%s", probe_why);
	return probe_rc;
}

/* ---- epoll: the file helper ---- */

static void *helper_main(void *arg)
{
	struct evloop *l = arg;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		unsigned slot;
		struct wl_op op;
		int64_t res = 0;
		uint64_t one = 1;

		while (!l->ntodo && !l->quit)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		slot = l->todo[l->todo_head];
		l->todo_head = (l->todo_head + 1) % l->slots;
		l->ntodo--;
		l->state[slot] = REQ_RUNNING;
		op = l->ops[slot];
		pthread_mutex_unlock(&l->mu);
		if (op.kind == WL_OP_WRITE)
			res = pwrite(op.fd, op.buf, op.len, (off_t)op.off);
		else if (op.kind == WL_OP_READ)
			res = pread(op.fd, op.buf, op.len, (off_t)op.off);
		else
			res = fsync(op.fd);
		if (res < 0)
			res = -errno;
		pthread_mutex_lock(&l->mu);
		l->state[slot] = REQ_IDLE;
		l->done[l->ndone++] = (struct evl_done){ slot, res };
		/* An eventfd counter cannot overflow here: the loop reads it every poll. */
		if (write(l->efd, &one, sizeof(one)) < 0)
			(void)0;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Arm the timerfd at the earliest deadline, or disarm it. */
static int epoll_arm(struct evloop *l)
{
	int64_t first = -1;
	struct itimerspec it;

	for (unsigned s = 0; s < l->slots; s++)
		if (l->deadline[s] >= 0 && (first < 0 || l->deadline[s] < first))
			first = l->deadline[s];
	memset(&it, 0, sizeof(it));
	if (first >= 0) {
		if (first == 0)
			first = 1;   /* 0 would disarm it */
		it.it_value.tv_sec = first / 1000000000LL;
		it.it_value.tv_nsec = first % 1000000000LL;
	}
	return timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &it, NULL) < 0 ? -errno : 0;
}

static int epoll_open(struct evloop *l)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int rc;

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epfd < 0 || l->tfd < 0 || l->efd < 0)
		return -errno;
	ev.data.fd = l->tfd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0)
		return -errno;
	ev.data.fd = l->efd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->efd, &ev) < 0)
		return -errno;
	l->deadline = malloc(l->slots * sizeof(*l->deadline));
	l->cancelled = calloc(l->slots, 1);
	l->ops = calloc(l->slots, sizeof(*l->ops));
	l->state = calloc(l->slots, sizeof(*l->state));
	l->todo = calloc(l->slots, sizeof(*l->todo));
	l->done = calloc(l->slots, sizeof(*l->done));
	if (!l->deadline || !l->cancelled || !l->ops || !l->state || !l->todo || !l->done)
		return -ENOMEM;
	for (unsigned s = 0; s < l->slots; s++)
		l->deadline[s] = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	rc = pthread_create(&l->helper, NULL, helper_main, l);
	if (rc) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		return -rc;
	}
	l->helper_started = 1;
	return 0;
}

static int epoll_submit(struct evloop *l, unsigned slot, const struct wl_op *op)
{
	if (op->kind == WL_OP_SLEEP) {
		int rc;
		l->deadline[slot] = now_ns() + op->ns;
		l->cancelled[slot] = 0;
		rc = epoll_arm(l);
		if (rc < 0)
			l->deadline[slot] = -1;
		return rc;
	}
	pthread_mutex_lock(&l->mu);
	l->ops[slot] = *op;
	l->state[slot] = REQ_QUEUED;
	l->todo[(l->todo_head + l->ntodo) % l->slots] = slot;
	l->ntodo++;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

static int epoll_poll(struct evloop *l, int64_t wait_ns, evl_done_fn *done, void *ctx)
{
	struct epoll_event evs[2];
	int64_t now;
	unsigned n = 0;
	int ms = (int)((wait_ns + 999999) / 1000000), got;
	uint64_t v;

	got = epoll_wait(l->epfd, evs, 2, ms);
	if (got < 0 && errno != EINTR)
		return -errno;
	/* Both are non-blocking: reading one that did not fire only says EAGAIN. */
	if (read(l->tfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	if (read(l->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	now = now_ns();
	for (unsigned s = 0; s < l->slots; s++)
		if (l->deadline[s] >= 0 && (l->cancelled[s] || l->deadline[s] <= now)) {
			l->got[n++] = (struct evl_done){ s, l->cancelled[s] ? -ECANCELED : 0 };
			l->deadline[s] = -1;
		}
	pthread_mutex_lock(&l->mu);
	for (unsigned i = 0; i < l->ndone; i++)
		l->got[n++] = l->done[i];
	l->ndone = 0;
	pthread_mutex_unlock(&l->mu);
	for (unsigned i = 0; i < n; i++) {
		l->busy[l->got[i].slot] = 0;
		done(ctx, l->got[i].slot, l->got[i].result);
	}
	got = epoll_arm(l);
	return got < 0 ? got : (int)n;
}

static void epoll_cancel(struct evloop *l)
{
	uint64_t one = 1;
	for (unsigned s = 0; s < l->slots; s++)
		if (l->deadline[s] >= 0)
			l->cancelled[s] = 1;
	pthread_mutex_lock(&l->mu);
	while (l->ntodo) {
		unsigned slot = l->todo[l->todo_head];
		l->todo_head = (l->todo_head + 1) % l->slots;
		l->ntodo--;
		l->state[slot] = REQ_IDLE;
		l->done[l->ndone++] = (struct evl_done){ slot, -ECANCELED };
	}
	pthread_mutex_unlock(&l->mu);
	/* Wake the next poll at once. */
	if (write(l->efd, &one, sizeof(one)) < 0)
		(void)0;
}

/* ---- io_uring ---- */

static struct io_uring_sqe *uring_sqe(struct evloop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	if (!sqe) {     /* the queue is full: hand it to the kernel, then there is room */
		io_uring_submit(&l->ring);
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

static int uring_submit(struct evloop *l, unsigned slot, const struct wl_op *op)
{
	struct io_uring_sqe *sqe = uring_sqe(l);

	if (!sqe)
		return -EBUSY;
	switch (op->kind) {
	case WL_OP_SLEEP:
		l->ts[slot].tv_sec = op->ns / 1000000000LL;
		l->ts[slot].tv_nsec = op->ns % 1000000000LL;
		io_uring_prep_timeout(sqe, &l->ts[slot], 0, 0);
		break;
	case WL_OP_WRITE:
		io_uring_prep_write(sqe, op->fd, op->buf, (unsigned)op->len, op->off);
		break;
	case WL_OP_READ:
		io_uring_prep_read(sqe, op->fd, op->buf, (unsigned)op->len, op->off);
		break;
	case WL_OP_FSYNC:
	default:
		io_uring_prep_fsync(sqe, op->fd, 0);
		break;
	}
	io_uring_sqe_set_data64(sqe, slot);
	return 0;
}

static int uring_poll(struct evloop *l, int64_t wait_ns, evl_done_fn *done, void *ctx)
{
	struct __kernel_timespec ts = { .tv_sec = wait_ns / 1000000000LL,
					.tv_nsec = wait_ns % 1000000000LL };
	struct io_uring_cqe *cqe = NULL;
	unsigned head, n = 0, seen = 0;
	int rc = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);

	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
		return rc;
	io_uring_for_each_cqe(&l->ring, head, cqe) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		seen++;
		if (tag == EVL_CANCEL_TAG || tag >= l->slots)
			continue;
		/* A timeout that ran its course ends with -ETIME: the sleep is done. */
		l->got[n++] = (struct evl_done){ (unsigned)tag, cqe->res == -ETIME ? 0 : cqe->res };
	}
	io_uring_cq_advance(&l->ring, seen);
	for (unsigned i = 0; i < n; i++) {
		l->busy[l->got[i].slot] = 0;
		done(ctx, l->got[i].slot, l->got[i].result);
	}
	return (int)n;
}

static void uring_cancel(struct evloop *l)
{
	for (unsigned s = 0; s < l->slots; s++) {
		struct io_uring_sqe *sqe;
		if (!l->busy[s] || !(sqe = uring_sqe(l)))
			continue;
		io_uring_prep_cancel64(sqe, s, 0);
		io_uring_sqe_set_data64(sqe, EVL_CANCEL_TAG);
	}
	io_uring_submit(&l->ring);
}

/* ---- the interface ---- */

struct evloop *evloop_open(enum evl_kind k, unsigned slots, int *err)
{
	struct evloop *l = calloc(1, sizeof(*l));
	int rc = -ENOMEM;

	if (!l)
		goto fail;
	l->kind = k;
	l->slots = slots;
	l->epfd = l->tfd = l->efd = -1;
	l->busy = calloc(slots, 1);
	l->got = calloc(slots, sizeof(*l->got));
	if (!l->busy || !l->got)
		goto fail;
	if (k == EVL_URING) {
		/* One SQE per slot at most, and room for the cancel requests besides. */
		l->ts = calloc(slots, sizeof(*l->ts));
		if (!l->ts)
			goto fail;
		rc = io_uring_queue_init(slots + 1, &l->ring, 0);
		if (rc < 0)
			goto fail;
		l->ring_ok = 1;
	} else if ((rc = epoll_open(l)) < 0) {
		goto fail;
	}
	return l;
fail:
	*err = rc;
	evloop_close(l);
	return NULL;
}

void evloop_close(struct evloop *l)
{
	if (!l)
		return;
	if (l->ring_ok)
		io_uring_queue_exit(&l->ring);
	if (l->helper_started) {
		pthread_mutex_lock(&l->mu);
		l->quit = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->helper, NULL);
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
	}
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->efd >= 0)
		close(l->efd);
	free(l->ts);
	free(l->deadline);
	free(l->cancelled);
	free(l->ops);
	free(l->state);
	free(l->todo);
	free(l->done);
	free(l->busy);
	free(l->got);
	free(l);
}

int evloop_submit(struct evloop *l, unsigned slot, const struct wl_op *op)
{
	int rc;
	if (slot >= l->slots || l->busy[slot])
		return -EINVAL;
	rc = l->kind == EVL_URING ? uring_submit(l, slot, op) : epoll_submit(l, slot, op);
	if (rc == 0)
		l->busy[slot] = 1;
	return rc;
}

int evloop_poll(struct evloop *l, int64_t wait_ns, evl_done_fn *done, void *ctx)
{
	if (wait_ns < 0)
		wait_ns = 0;
	return l->kind == EVL_URING ? uring_poll(l, wait_ns, done, ctx)
				    : epoll_poll(l, wait_ns, done, ctx);
}

void evloop_cancel(struct evloop *l)
{
	if (l->kind == EVL_URING)
		uring_cancel(l);
	else
		epoll_cancel(l);
}
