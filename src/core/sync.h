/* SPDX-License-Identifier: MIT */
/* sync: the start gate and end barrier shared by threads and processes.
 *
 * Why the workers time themselves (docs/measurement.md): a coordinator that reads the clock
 * around a start barrier under-reports wall time by 13-49% when workers fill the cores.
 * So the coordinator publishes start_at = now + delta, wakes the parked workers (futex) and
 * blocks; each worker spins until start_at and timestamps its own start and end.
 *
 * A gate lives in memory every worker can see: ordinary memory for threads, a MAP_SHARED
 * mapping for processes (pshared selects shared futexes). All waits on the coordinator's
 * side have a deadline and return early when a stop signal was caught. */
#ifndef CONCBENCH_SYNC_H
#define CONCBENCH_SYNC_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#define GATE_DELTA_NS 500000  /* start_at = now + 0.5 ms */

struct gate {
	_Atomic uint32_t go;          /* generation; bumped to release a repetition (futex word) */
	_Atomic uint32_t remaining;   /* workers still in the repetition (futex word) */
	_Atomic uint32_t started;     /* workers bound and running, each counted once (futex word) */
	_Atomic uint32_t prepared;    /* workers with their data prepared (futex word) */
	_Atomic uint32_t quit;        /* nonzero: workers leave */
	_Atomic int64_t start_at;     /* CLOCK_MONOTONIC ns */
	int pshared;
} __attribute__((aligned(64)));

/* Set by the SIGINT/SIGTERM handler; waits return -EINTR once it is nonzero. Read from
 * every thread, so atomic (lock-free, hence async-signal-safe). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be a lock-free atomic");
extern _Atomic int cb_stop_signal;
/* Set when a thread worker could not be stopped (stuck inside a task): the process must end
 * without freeing what that thread may still use (workloads' fini keep their memory). */
extern _Atomic int cb_threads_stuck;
/* "SIGINT" or "SIGTERM": the stop signal caught, for messages. */
const char *stop_signal_name(void);

void gate_init(struct gate *g, int pshared);

/* Worker side. Park until the generation moves past *seen; returns 1 to run (and updates
 * *seen), 0 when asked to quit. */
int gate_wait_go(struct gate *g, uint32_t *seen);
/* Spin (no sleep) until CLOCK_MONOTONIC reaches t. */
void gate_spin_until(int64_t t);
/* Add delta to a counter and wake its waiters. */
void gate_count_add(struct gate *g, _Atomic uint32_t *word, uint32_t delta);
/* End of a repetition for one worker: the last one wakes the coordinator. */
void gate_arrive(struct gate *g);

/* Coordinator side. Release one repetition for n workers: returns its start_at. */
int64_t gate_open(struct gate *g, unsigned n);
/* Ask the workers to leave and wake them. */
void gate_quit(struct gate *g);
/* Block until *word == target (at_least: *word >= target, for counters that may move on
 * before the coordinator looks). check (optional) runs between sleeps (at most every 20 ms)
 * and may end the wait by returning a negative errno. Returns 0, -ETIMEDOUT after
 * deadline_ns, -EINTR when a stop signal arrived, or check's error. */
int gate_wait_value(struct gate *g, _Atomic uint32_t *word, uint32_t target, int at_least,
		    int64_t deadline_ns, int (*check)(void *arg), void *arg);

#endif
