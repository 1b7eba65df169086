/* SPDX-License-Identifier: MIT */
/* ipc: the mechanisms and the two sides of a round trip (see ipc.h). */
#define _GNU_SOURCE
#include "core/ipc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "core/proc.h"
#include "core/sync.h"
#include "topo/topo.h"

const struct ipc_mech ipc_mechs[IPC_NMECH] = {
	[IPC_FUTEX] = { "futex", 0, "one slot, handed over with futex wait and wake" },
	[IPC_CONDVAR] = { "condvar", 0, "one slot under a mutex and a condition variable" },
	[IPC_RING] = { "ring", 0, "a 64 KiB ring, spinning briefly before a futex wait" },
	[IPC_PIPE] = { "pipe", 1, "two pipes, one each way" },
	[IPC_SOCKETPAIR] = { "socketpair", 1, "a Unix stream socketpair" },
	[IPC_MQUEUE] = { "mqueue", 1, "two POSIX message queues, one each way" },
	[IPC_SHMRING] = { "shm-ring", 1, "the 64 KiB ring in a shared mapping, process-shared "
			  "futexes" },
};

#define BUF_BYTES (64u << 10)            /* a slot, or a ring (a power of two) */
#define SPIN_LIMIT 2000                  /* ring: polls before sleeping on the futex */
#define WAIT_SLICE_NS 100000000LL        /* sleeps end this often to look for an abort */
/* A pair that has not finished by then hangs: a minute, and two seconds a batch (a batch
 * is 10 ms of round trips by default, or one round trip where that is longer). */
#define PAIR_DEADLINE_NS(reps) ((60LL + 2LL * (reps)) * 1000000000LL)
#define QUIT_SEQ UINT64_MAX              /* A's last message: B leaves without replying */
#define PATTERN_STEP 0x9e3779b97f4a7c15ULL
#define MQ_NAME_PREFIX "concbench-ipc-"

/* One direction of a slot: empty or full, the payload length, the bytes. */
struct slot {
	_Atomic uint32_t full;           /* futex word */
	uint32_t len;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char data[BUF_BYTES];
};

/* One direction of a ring: counters of bytes written and read (mod 2^32; the futex words)
 * on lines of their own, and whether the other side sleeps on one. */
struct ring {
	_Atomic uint32_t head __attribute__((aligned(CB_CACHELINE)));
	_Atomic uint32_t reader_sleeps;
	_Atomic uint32_t tail __attribute__((aligned(CB_CACHELINE)));
	_Atomic uint32_t writer_sleeps;
	unsigned char data[BUF_BYTES] __attribute__((aligned(CB_CACHELINE)));
};

/* Everything both sides see: in a shared mapping, so that processes see it as threads do. */
struct ipc_ctl {
	_Atomic uint32_t abort;          /* a side failed or the coordinator stops the pair */
	int64_t deadline;                /* CLOCK_MONOTONIC ns */
	int rc[2];                       /* each side's result */
	char why[2][256];
	uint64_t verified[2];
	unsigned round_trips;
	double samples[IPC_MAX_REPS];
	struct slot slot[2];             /* [0]: A to B, [1]: B to A */
	struct ring ring[2];
};

struct side {
	struct ipc_ctl *ctl;
	const struct ipc_cfg *cfg;
	int role;                        /* 0: A, 1: B */
	int fd_out, fd_in;               /* pipe, socketpair */
	mqd_t mq_out, mq_in;
	size_t mq_msgsize;
	unsigned char *msg;              /* this side's message, cfg->size bytes */
	unsigned char *bounce;           /* mqueue: a whole queue message */
};

/* ---- waiting ---- */

static int side_fail(struct side *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int side_fail(struct side *s, int rc, const char *fmt, ...)
{
	va_list ap;
	if (s->ctl->rc[s->role] == 0) {
		va_start(ap, fmt);
		vsnprintf(s->ctl->why[s->role], sizeof(s->ctl->why[0]), fmt, ap);
		va_end(ap);
		s->ctl->rc[s->role] = rc;
	}
	atomic_store(&s->ctl->abort, 1);
	return rc;
}

/* Between sleeps: has the pair been told to stop, or run past its deadline? */
static int side_check(struct side *s)
{
	if (atomic_load(&s->ctl->abort) || atomic_load(&cb_stop_signal))
		return -ECANCELED;
	if (now_ns() > s->ctl->deadline)
		return side_fail(s, -ETIMEDOUT, "not done after %lld s: the pair hung",
				 PAIR_DEADLINE_NS((long long)s->cfg->reps) / 1000000000LL);
	return 0;
}

/* Sleep on word while it holds seen (at most one slice); private futexes for threads. */
static void word_sleep(const struct side *s, _Atomic uint32_t *word, uint32_t seen)
{
	struct timespec ts = { 0, WAIT_SLICE_NS };
	int op = FUTEX_WAIT | (ipc_mechs[s->cfg->mech].process ? 0 : FUTEX_PRIVATE_FLAG);
	syscall(SYS_futex, (uint32_t *)word, op, seen, &ts, NULL, 0);
}

static void word_wake(const struct side *s, _Atomic uint32_t *word)
{
	int op = FUTEX_WAKE | (ipc_mechs[s->cfg->mech].process ? 0 : FUTEX_PRIVATE_FLAG);
	syscall(SYS_futex, (uint32_t *)word, op, INT32_MAX, NULL, NULL, 0);
}

/* ---- the slot: futex handoff, or mutex and condition variable ---- */

static void slot_init(struct slot *sl)
{
	pthread_condattr_t ca;
	pthread_mutex_init(&sl->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sl->cv, &ca);
	pthread_condattr_destroy(&ca);
}

static void slot_fini(struct slot *sl)
{
	pthread_mutex_destroy(&sl->mu);
	pthread_cond_destroy(&sl->cv);
}

/* Wait under the slot's mutex until full == want. */
static int slot_cond_wait(struct side *s, struct slot *sl, uint32_t want)
{
	while (atomic_load(&sl->full) != want) {
		struct timespec ts;
		int rc = side_check(s);
		if (rc < 0)
			return rc;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WAIT_SLICE_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sl->cv, &sl->mu, &ts);
	}
	return 0;
}

/* Wait without a lock until full == want: the futex handoff never spins. */
static int slot_futex_wait(struct side *s, struct slot *sl, uint32_t want)
{
	uint32_t v;
	while ((v = atomic_load(&sl->full)) != want) {
		int rc = side_check(s);
		if (rc < 0)
			return rc;
		word_sleep(s, &sl->full, v);
	}
	return 0;
}

/* Move n bytes through the slot in pieces of its size: out (send) or in (receive). */
static int slot_move(struct side *s, struct slot *sl, unsigned char *buf, size_t n, int send)
{
	int condvar = s->cfg->mech == IPC_CONDVAR, rc = 0;
	for (size_t off = 0; off < n && !rc;) {
		size_t c = n - off < BUF_BYTES ? n - off : BUF_BYTES;
		if (condvar) {
			pthread_mutex_lock(&sl->mu);
			rc = slot_cond_wait(s, sl, send ? 0 : 1);
		} else {
			rc = slot_futex_wait(s, sl, send ? 0 : 1);
		}
		if (!rc) {
			if (send) {
				memcpy(sl->data, buf + off, c);
				sl->len = (uint32_t)c;
			} else if (sl->len != c) {
				rc = side_fail(s, -EBADMSG, "a piece of %u bytes arrived where %zu were "
					       "expected", sl->len, c);
			} else {
				memcpy(buf + off, sl->data, c);
			}
			atomic_store(&sl->full, send ? 1 : 0);
		}
		if (condvar) {
			pthread_cond_broadcast(&sl->cv);
			pthread_mutex_unlock(&sl->mu);
		} else if (!rc) {
			word_wake(s, &sl->full);
		}
		off += c;
	}
	return rc;
}

/* ---- the ring ---- */

/* Wait until *word moves past seen: spin first (a waiting side on its own PU answers
 * fastest), then sleep on the futex with sleeps set so that the other side wakes it. */
static int ring_wait(struct side *s, _Atomic uint32_t *word, uint32_t seen,
		     _Atomic uint32_t *sleeps)
{
	int rc = 0;
	for (unsigned i = 0; i < SPIN_LIMIT; i++) {
		if (atomic_load_explicit(word, memory_order_acquire) != seen)
			return 0;
		cpu_relax();
	}
	atomic_store(sleeps, 1);
	while (atomic_load(word) == seen && !(rc = side_check(s)))
		word_sleep(s, word, seen);
	atomic_store(sleeps, 0);
	return rc;
}

/* After moving a counter (a seq_cst store): wake the other side if it sleeps on it. Both
 * stores and both loads are seq_cst, as ring_wait's store of sleeps and load of the counter
 * are, so that one of the two sides sees the other's store. */
static void ring_wake(const struct side *s, _Atomic uint32_t *word, _Atomic uint32_t *sleeps)
{
	if (atomic_load(sleeps))
		word_wake(s, word);
}

static int ring_send(struct side *s, struct ring *r, const unsigned char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
		uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
		size_t room = BUF_BYTES - (uint32_t)(h - t), at = h % BUF_BYTES, c, first;
		int rc;
		if (room == 0) {
			if ((rc = ring_wait(s, &r->tail, t, &r->writer_sleeps)) < 0)
				return rc;
			continue;
		}
		c = n - off < room ? n - off : room;
		first = c < BUF_BYTES - at ? c : BUF_BYTES - at;
		memcpy(r->data + at, buf + off, first);
		memcpy(r->data, buf + off + first, c - first);
		atomic_store(&r->head, h + (uint32_t)c);
		ring_wake(s, &r->head, &r->reader_sleeps);
		off += c;
	}
	return 0;
}

static int ring_recv(struct side *s, struct ring *r, unsigned char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);
		uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
		size_t have = (uint32_t)(h - t), at = t % BUF_BYTES, c, first;
		int rc;
		if (have == 0) {
			if ((rc = ring_wait(s, &r->head, h, &r->reader_sleeps)) < 0)
				return rc;
			continue;
		}
		c = n - off < have ? n - off : have;
		first = c < BUF_BYTES - at ? c : BUF_BYTES - at;
		memcpy(buf + off, r->data + at, first);
		memcpy(buf + off + first, r->data, c - first);
		atomic_store(&r->tail, t + (uint32_t)c);
		ring_wake(s, &r->tail, &r->writer_sleeps);
		off += c;
	}
	return 0;
}

/* ---- POSIX message queues ---- */

static long proc_sys_long(const char *path, long fallback)
{
	FILE *f = fopen(path, "re");
	long v;
	if (!f)
		return fallback;
	if (fscanf(f, "%ld", &v) != 1 || v <= 0)
		v = fallback;
	fclose(f);
	return v;
}

/* A queue's message size is capped by fs.mqueue.msgsize_max (8192 by default): a larger
 * message goes in pieces of that size, each checked for its length on arrival. */
static int mq_send_all(struct side *s, const unsigned char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		size_t c = n - off < s->mq_msgsize ? n - off : s->mq_msgsize;
		if (mq_send(s->mq_out, (const char *)buf + off, c, 0) < 0) {
			if (errno == EINTR)
				continue;
			return side_fail(s, -errno, "mq_send: %s", strerror(errno));
		}
		off += c;
	}
	return 0;
}

static int mq_recv_all(struct side *s, unsigned char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		size_t c = n - off < s->mq_msgsize ? n - off : s->mq_msgsize;
		ssize_t got = mq_receive(s->mq_in, (char *)s->bounce, s->mq_msgsize, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return side_fail(s, -errno, "mq_receive: %s", strerror(errno));
		}
		if ((size_t)got != c)
			return side_fail(s, -EBADMSG, "a queue message of %zd bytes arrived where %zu "
					 "were expected", got, c);
		memcpy(buf + off, s->bounce, c);
		off += c;
	}
	return 0;
}

/* ---- one message each way ---- */

static int fd_move(struct side *s, unsigned char *buf, size_t n, int send)
{
	int rc = send ? cb_write_full(s->fd_out, buf, n) : cb_read_full(s->fd_in, buf, n);
	if (rc == -EPIPE)
		return side_fail(s, rc, "the other side closed its end");
	if (rc < 0)
		return side_fail(s, rc, "%s: %s", send ? "write" : "read", strerror(-rc));
	return 0;
}

static int msg_send(struct side *s)
{
	int dir = s->role;
	switch (s->cfg->mech) {
	case IPC_FUTEX:
	case IPC_CONDVAR:
		return slot_move(s, &s->ctl->slot[dir], s->msg, s->cfg->size, 1);
	case IPC_RING:
	case IPC_SHMRING:
		return ring_send(s, &s->ctl->ring[dir], s->msg, s->cfg->size);
	case IPC_MQUEUE:
		return mq_send_all(s, s->msg, s->cfg->size);
	default:
		return fd_move(s, s->msg, s->cfg->size, 1);
	}
}

static int msg_recv(struct side *s)
{
	int dir = !s->role;
	switch (s->cfg->mech) {
	case IPC_FUTEX:
	case IPC_CONDVAR:
		return slot_move(s, &s->ctl->slot[dir], s->msg, s->cfg->size, 0);
	case IPC_RING:
	case IPC_SHMRING:
		return ring_recv(s, &s->ctl->ring[dir], s->msg, s->cfg->size);
	case IPC_MQUEUE:
		return mq_recv_all(s, s->msg, s->cfg->size);
	default:
		return fd_move(s, s->msg, s->cfg->size, 0);
	}
}

/* ---- the payload ---- */

/* Word 0 is the sequence number; word k after it is mix64(seq) + k * PATTERN_STEP, so that
 * a message of another number, a piece shifted or repeated, and any flipped byte differ. */
static void msg_fill(unsigned char *m, size_t n, uint64_t seq)
{
	uint64_t base = mix64(seq), *w = (uint64_t *)(void *)m, last;
	size_t words = n / 8;
	w[0] = seq;
	for (size_t k = 1; k < words; k++)
		w[k] = base + k * PATTERN_STEP;
	last = base + words * PATTERN_STEP;
	memcpy(m + words * 8, &last, n % 8);
}

static uint64_t msg_seq(const unsigned char *m)
{
	return *(const uint64_t *)(const void *)m;
}

static int msg_check(struct side *s, uint64_t seq)
{
	const unsigned char *m = s->msg;
	const uint64_t *w = (const uint64_t *)(const void *)m;
	uint64_t base = mix64(seq), last;
	size_t n = s->cfg->size, words = n / 8, bad = n;

	if (w[0] != seq)
		return side_fail(s, -EBADMSG, "message %llu arrived where %llu was expected (one "
				 "lost, repeated or out of order)", (unsigned long long)w[0],
				 (unsigned long long)seq);
	for (size_t k = 1; k < words && bad == n; k++)
		if (w[k] != base + k * PATTERN_STEP)
			bad = k * 8;
	last = base + words * PATTERN_STEP;
	if (bad == n && memcmp(m + words * 8, &last, n % 8) != 0)
		bad = words * 8;
	if (bad != n)
		return side_fail(s, -EBADMSG, "message %llu corrupted in bytes %zu to %zu of %zu",
				 (unsigned long long)seq, bad, bad + 7 < n ? bad + 7 : n - 1, n);
	s->ctl->verified[s->role]++;
	return 0;
}

/* ---- the two sides ---- */

static int round_trip(struct side *s, uint64_t seq)
{
	int rc;
	msg_fill(s->msg, s->cfg->size, seq);
	if ((rc = msg_send(s)) < 0 || (rc = msg_recv(s)) < 0)
		return rc;
	return msg_check(s, seq + 1);
}

static int batch(struct side *s, uint64_t *seq, unsigned n, int64_t *ns)
{
	int64_t t0 = now_ns();
	for (unsigned i = 0; i < n; i++, *seq += 2) {
		int rc = round_trip(s, *seq);
		if (rc < 0)
			return rc;
		if (atomic_load_explicit(&cb_stop_signal, memory_order_relaxed))
			return side_fail(s, -EINTR, "stopped");
	}
	*ns = now_ns() - t0;
	return 0;
}

/* A: warm up while doubling the round trips of a batch until one takes batch_ns, then
 * time reps batches of that many; tell B to leave either way. */
static int side_initiate(struct side *s)
{
	const struct ipc_cfg *c = s->cfg;
	uint64_t seq = 0;
	unsigned n = 1;
	int64_t ns = 0;
	int rc;

	for (;;) {
		if ((rc = batch(s, &seq, n, &ns)) < 0)
			return rc;
		if (ns >= c->batch_ns || n >= (1u << 24))
			break;
		n *= 2;
	}
	s->ctl->round_trips = n;
	for (unsigned r = 0; r < c->reps; r++) {
		if ((rc = batch(s, &seq, n, &ns)) < 0)
			return rc;
		s->ctl->samples[r] = (double)ns * 1e-9 / n;
	}
	msg_fill(s->msg, c->size, QUIT_SEQ);
	return msg_send(s);
}

/* B: check each message, answer with the next number, until A's last. */
static int side_respond(struct side *s)
{
	const struct ipc_cfg *c = s->cfg;
	uint64_t seq = 0;
	int rc;

	for (uint64_t k = 0;; k++, seq += 2) {
		if ((rc = msg_recv(s)) < 0)
			return rc;
		if (msg_seq(s->msg) == QUIT_SEQ)
			return 0;
		if (c->fault == IPC_FAULT_CORRUPT && k == c->fault_at)
			s->msg[c->size / 2] ^= 0x10;
		if ((rc = msg_check(s, seq)) < 0)
			return rc;
		/* a lost reply, as a mechanism that drops one would show it: the one before */
		msg_fill(s->msg, c->size, c->fault == IPC_FAULT_DROP && k == c->fault_at && k ?
			 seq - 1 : seq + 1);
		if ((rc = msg_send(s)) < 0)
			return rc;
	}
}

static int side_run(struct side *s)
{
	const struct ipc_cfg *c = s->cfg;
	int pu = c->pus[s->role], rc, cpu;

	rc = topo_bind_pu(pu, ipc_mechs[c->mech].process);
	if (rc < 0)
		return side_fail(s, rc, "cannot bind side %c to PU %d: %s", 'A' + s->role, pu,
				 strerror(-rc));
	s->msg = aligned_alloc(CB_CACHELINE, (c->size + CB_CACHELINE - 1) / CB_CACHELINE *
			       CB_CACHELINE);
	if (!s->msg)
		return side_fail(s, -ENOMEM, "out of memory for a message of %zu bytes", c->size);
	memset(s->msg, 0, c->size);
	rc = s->role ? side_respond(s) : side_initiate(s);
	free(s->msg);
	s->msg = NULL;
	cpu = sched_getcpu();
	if (!rc && cpu >= 0 && cpu != pu)
		rc = side_fail(s, -EXDEV, "side %c ran on CPU %d, not on its PU %d: the binding "
			       "did not hold", 'A' + s->role, cpu, pu);
	return rc;
}

static void *side_thread(void *arg)
{
	side_run(arg);
	return NULL;
}

/* ---- the pair ---- */

struct pair {
	struct ipc_ctl *ctl;
	int pipe_ab[2], pipe_ba[2], sv[2];
	mqd_t mq[2];
	size_t mq_msgsize;
};

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pair_close_fds(struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		fd_close(&p->pipe_ab[i]);
		fd_close(&p->pipe_ba[i]);
		fd_close(&p->sv[i]);
		if (p->mq[i] != (mqd_t)-1)
			mq_close(p->mq[i]);
		p->mq[i] = (mqd_t)-1;
	}
}

/* Two queues, unlinked as soon as they are open: the descriptors stay valid (and forked
 * sides inherit them), and no name is left behind whatever happens to this process. */
static int pair_open_mq(struct pair *p, size_t size, char *why, size_t len)
{
	static unsigned serial;
	long maxmsg = proc_sys_long("/proc/sys/fs/mqueue/msg_max", 10);
	long msgsize = proc_sys_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
	struct mq_attr a = { 0 };

	a.mq_maxmsg = maxmsg < 10 ? maxmsg : 10;
	a.mq_msgsize = (size_t)msgsize < size ? msgsize : (long)size;
	for (int i = 0; i < 2; i++) {
		char name[64];
		cb_fmt(name, sizeof(name), "/" MQ_NAME_PREFIX "%d-%u", (int)getpid(), serial++);
		p->mq[i] = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
		if (p->mq[i] == (mqd_t)-1) {
			cb_fmt(why, len, "mq_open of a queue of %ld messages of %ld bytes: %s",
			       a.mq_maxmsg, a.mq_msgsize, strerror(errno));
			return -ENOTSUP;
		}
		mq_unlink(name);
	}
	p->mq_msgsize = (size_t)a.mq_msgsize;
	return 0;
}

static int pair_open(struct pair *p, const struct ipc_cfg *c, char *why, size_t len)
{
	p->ctl = mmap(NULL, sizeof(*p->ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (p->ctl == MAP_FAILED) {
		p->ctl = NULL;
		cb_fmt(why, len, "mmap of %zu bytes: %s", sizeof(*p->ctl), strerror(errno));
		return -ENOMEM;
	}
	p->ctl->deadline = now_ns() + PAIR_DEADLINE_NS((long long)c->reps);
	for (int i = 0; i < 2; i++)
		slot_init(&p->ctl->slot[i]);
	switch (c->mech) {
	case IPC_PIPE:
		if (pipe2(p->pipe_ab, O_CLOEXEC) < 0 || pipe2(p->pipe_ba, O_CLOEXEC) < 0) {
			cb_fmt(why, len, "pipe: %s", strerror(errno));
			return -errno;
		}
		break;
	case IPC_SOCKETPAIR:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->sv) < 0) {
			cb_fmt(why, len, "socketpair: %s", strerror(errno));
			return -errno;
		}
		break;
	case IPC_MQUEUE:
		return pair_open_mq(p, c->size, why, len);
	default:
		break;
	}
	return 0;
}

static void pair_side(struct pair *p, const struct ipc_cfg *c, int role, struct side *s)
{
	memset(s, 0, sizeof(*s));
	s->ctl = p->ctl;
	s->cfg = c;
	s->role = role;
	s->fd_out = c->mech == IPC_SOCKETPAIR ? p->sv[role] : role ? p->pipe_ba[1] : p->pipe_ab[1];
	s->fd_in = c->mech == IPC_SOCKETPAIR ? p->sv[role] : role ? p->pipe_ab[0] : p->pipe_ba[0];
	s->mq_out = p->mq[role];
	s->mq_in = p->mq[!role];
	s->mq_msgsize = p->mq_msgsize;
}

/* A forked side: keep only its own ends, so that the other side's death reads as the end
 * of its stream, not as a wait forever. */
static void side_child(struct pair *p, const struct ipc_cfg *c, int role, pid_t parent)
{
	struct side s;
	child_setup(parent);
	signal(SIGPIPE, SIG_IGN);   /* a partner gone is EPIPE, reported, not a silent death */
	pair_side(p, c, role, &s);
	for (int i = 0; i < 2; i++) {
		if (p->pipe_ab[i] != s.fd_out && p->pipe_ab[i] != s.fd_in)
			fd_close(&p->pipe_ab[i]);
		if (p->pipe_ba[i] != s.fd_out && p->pipe_ba[i] != s.fd_in)
			fd_close(&p->pipe_ba[i]);
		if (i != role)
			fd_close(&p->sv[i]);
	}
	if (c->mech == IPC_MQUEUE) {
		s.bounce = malloc(p->mq_msgsize);
		if (!s.bounce) {
			side_fail(&s, -ENOMEM, "out of memory");
			_exit(1);
		}
	}
	_exit(side_run(&s) < 0 ? 1 : 0);
}

/* The coordinator's wait for two forked sides: A ends first when all went well. A side that
 * ends badly stops the pair: the other gets a moment to end by itself (its own status says
 * more than our SIGKILL), then is killed. A side killed by a signal is named, before one
 * that only saw its partner go. Returns 0 (the sides' own reports tell the rest), -EINTR,
 * -ETIMEDOUT or -ECHILD, why saying how. */
static int pair_wait_procs(struct pair *p, const struct ipc_cfg *c, pid_t *pids, char *why,
			   size_t len)
{
	pid_t was[2] = { pids[0], pids[1] };
	int st[2] = { 0, 0 }, ended[2] = { 0, 0 }, rc = 0;
	int64_t stop_at = 0;

	while (pids[0] > 0 || pids[1] > 0) {
		for (int k = 0; k < 2; k++)
			if (pids[k] > 0 && waitpid(pids[k], &st[k], WNOHANG) == pids[k]) {
				ended[k] = 1;
				pids[k] = 0;
				if (!stop_at && !(WIFEXITED(st[k]) && WEXITSTATUS(st[k]) == 0)) {
					atomic_store(&p->ctl->abort, 1);
					stop_at = now_ns() + 200000000LL;
				}
			}
		if (atomic_load(&cb_stop_signal)) {
			rc = -EINTR;
			break;
		}
		if (stop_at && now_ns() > stop_at)
			break;
		if (now_ns() > p->ctl->deadline + 1000000000LL) {
			cb_fmt(why, len, "not done after %lld s: the pair hung",
			       PAIR_DEADLINE_NS((long long)c->reps) / 1000000000LL);
			rc = -ETIMEDOUT;
			break;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	reap_all(pids, 2);
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (int k = 0; k < 2 && !rc; k++)
			if (ended[k] && WIFSIGNALED(st[k]) && (pass || WTERMSIG(st[k]) != SIGPIPE)) {
				char how[96];
				describe_status(st[k], how, sizeof(how));
				cb_fmt(why, len, "side %c (pid %d) %s", 'A' + k, (int)was[k], how);
				rc = -ECHILD;
			}
	return rc;
}

static int pair_run_threads(struct pair *p, const struct ipc_cfg *c, char *why, size_t len)
{
	struct side s[2];
	pthread_t t[2];
	int started = 0, rc = 0;

	for (int k = 0; k < 2; k++) {
		pair_side(p, c, k, &s[k]);
		rc = pthread_create(&t[k], NULL, side_thread, &s[k]);
		if (rc) {
			cb_fmt(why, len, "pthread_create: %s", strerror(rc));
			atomic_store(&p->ctl->abort, 1);
			rc = -rc;
			break;
		}
		started++;
	}
	for (int k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	return rc;
}

static int pair_run_procs(struct pair *p, const struct ipc_cfg *c, char *why, size_t len)
{
	pid_t parent = getpid(), pids[2] = { 0, 0 };
	fflush(NULL);
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0)
			side_child(p, c, k, parent);
		if (pids[k] < 0) {
			int err = errno;
			pids[k] = 0;
			reap_all(pids, 2);
			cb_fmt(why, len, "fork: %s", strerror(err));
			return -err;
		}
	}
	pair_close_fds(p);
	return pair_wait_procs(p, c, pids, why, len);
}

/* The sides' own failure, if one had one: a wrong message first (what the run is about),
 * then A's, then B's. */
static int pair_side_error(const struct ipc_ctl *ctl, char *why, size_t len)
{
	int k = ctl->rc[1] == -EBADMSG && ctl->rc[0] != -EBADMSG ? 1 : ctl->rc[0] &&
		ctl->rc[0] != -ECANCELED ? 0 : 1;
	if (!ctl->rc[k] || ctl->rc[k] == -ECANCELED)
		return 0;
	cb_fmt(why, len, "%s", ctl->why[k]);
	return ctl->rc[k];
}

int ipc_run(const struct ipc_cfg *c, struct ipc_result *r, char *why, size_t len)
{
	struct pair p = { .pipe_ab = { -1, -1 }, .pipe_ba = { -1, -1 }, .sv = { -1, -1 },
			  .mq = { (mqd_t)-1, (mqd_t)-1 } };
	char side_why[256];
	int rc, side_rc;

	memset(r, 0, sizeof(*r));
	why[0] = 0;
	if (c->size < IPC_MIN_SIZE || c->size > IPC_MAX_SIZE || c->reps < 1 ||
	    c->reps > IPC_MAX_REPS || c->mech >= IPC_NMECH) {
		cb_fmt(why, len, "internal error: bad ipc configuration");
		return -EINVAL;
	}
	rc = pair_open(&p, c, why, len);
	if (!rc)
		rc = ipc_mechs[c->mech].process ? pair_run_procs(&p, c, why, len)
						: pair_run_threads(&p, c, why, len);
	if (p.ctl) {
		/* a side's own account, unless the coordinator saw worse: a side that died */
		side_rc = pair_side_error(p.ctl, side_why, sizeof(side_why));
		if (atomic_load(&cb_stop_signal)) {
			rc = -EINTR;
		} else if (side_rc && (!rc || side_rc == -EBADMSG)) {
			rc = side_rc;
			cb_fmt(why, len, "%s", side_why);
		}
		r->round_trips = p.ctl->round_trips;
		r->verified = p.ctl->verified[0] + p.ctl->verified[1];
		memcpy(r->samples, p.ctl->samples, c->reps * sizeof(double));
		r->msg_limit = c->mech == IPC_MQUEUE && p.mq_msgsize < c->size ? p.mq_msgsize : 0;
		for (int i = 0; i < 2; i++)
			slot_fini(&p.ctl->slot[i]);
		munmap(p.ctl, sizeof(*p.ctl));
	}
	pair_close_fds(&p);
	return rc;
}

/* Where an mqueue file system is mounted (/dev/mqueue on most systems), or 0 when none is:
 * only there do queue names show. */
static int mqueue_mount(char *dir, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[4096], path[4096], type[64];
	int found = 0;
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %63s", path, type) == 2 && strcmp(type, "mqueue") == 0 &&
		    strlen(path) < len && !strchr(path, '\\')) {
			cb_fmt(dir, len, "%s", path);
			found = 1;
		}
	fclose(f);
	return found;
}

void ipc_clean_stale(void)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	if (!mqueue_mount(dir, sizeof(dir)) || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) != NULL) {
		char name[300];
		long pid;
		char *end;
		if (strncmp(e->d_name, MQ_NAME_PREFIX, strlen(MQ_NAME_PREFIX)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(MQ_NAME_PREFIX), &end, 10);
		if (pid <= 0 || *end != '-' || pid == getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		cb_fmt(name, sizeof(name), "/%s", e->d_name);
		mq_unlink(name);
	}
	closedir(d);
}
