/* SPDX-License-Identifier: MIT */
/* evloop: the two backends of an event loop, behind one small interface. A loop has a
 * fixed number of slots, each with at most one operation (struct wl_op, workload.h) in
 * flight; the caller submits an operation for a slot and polls for completions, each
 * delivered as (slot, result) to its callback.
 *
 *   io_uring  every operation is an SQE: a sleep is IORING_OP_TIMEOUT, the file operations
 *             IORING_OP_WRITE, IORING_OP_READ and IORING_OP_FSYNC.
 *   epoll     where io_uring is refused (a seccomp filter, kernel.io_uring_disabled, a
 *             locked-memory limit): sleeps are deadlines behind one timerfd, and file
 *             operations go to one helper thread per loop that performs them with pwrite,
 *             pread and fsync and wakes the loop through an eventfd (what libuv does).
 *
 * A loop is used by one thread at a time (the epoll backend's helper is its own). */
#ifndef CONCBENCH_EVLOOP_H
#define CONCBENCH_EVLOOP_H

#include <stddef.h>
#include <stdint.h>

#include "core/workload.h"

enum evl_kind { EVL_URING, EVL_EPOLL };

struct evloop;

/* One completion: the operation of slot ended with result (bytes done, 0 for a sleep or
 * an fsync, or a negative errno; -ECANCELED after evloop_cancel). */
typedef void evl_done_fn(void *ctx, unsigned slot, int64_t result);

/* Whether io_uring can be set up here, with the operations a loop needs: 0, or a negative
 * errno with why (e.g. "EPERM: refused by a seccomp filter or kernel.io_uring_disabled").
 * Tried once per process; later calls return the first answer. */
int evloop_probe(char *why, size_t len);

/* "io_uring" or "epoll". */
const char *evloop_kind_name(enum evl_kind k);

/* A loop of that kind with slots slots. NULL with *err (a negative errno) on failure. */
struct evloop *evloop_open(enum evl_kind k, unsigned slots, int *err);
/* Release a loop with nothing in flight. Accepts NULL. */
void evloop_close(struct evloop *l);

/* Queue op for slot, which has nothing in flight. Returns 0 or a negative errno (then
 * nothing was queued). */
int evloop_submit(struct evloop *l, unsigned slot, const struct wl_op *op);
/* Start what is queued, wait up to wait_ns for at least one completion and deliver every
 * completion there is to done (which may submit again). Returns how many it delivered, or
 * a negative errno when the backend itself failed. */
int evloop_poll(struct evloop *l, int64_t wait_ns, evl_done_fn *done, void *ctx);
/* Ask every operation in flight to end now: sleeps end with -ECANCELED, file operations
 * not yet begun too; one under way ends when it ends. Poll until none is in flight. */
void evloop_cancel(struct evloop *l);

#endif
