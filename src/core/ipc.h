/* SPDX-License-Identifier: MIT */
/* ipc: round trips of a message between two pinned workers, one mechanism at a time.
 *
 * Side A (the initiator) sends a message of `size` bytes, side B (the responder) checks it
 * and sends one of the same size back; A times batches of such round trips with its own
 * clock. Threads pass messages through memory both can see (a one-slot futex handoff, a
 * slot under a mutex and condition variable, a ring); processes through the kernel (pipe,
 * socketpair, POSIX message queue) or a ring in a shared mapping woken by process-shared
 * futexes. Every message carries its sequence number and a pattern of every byte derived
 * from it, checked on arrival: a mechanism that loses, repeats, reorders or corrupts a
 * message fails the run. */
#ifndef CONCBENCH_IPC_H
#define CONCBENCH_IPC_H

#include <stddef.h>
#include <stdint.h>

enum ipc_mech_id {
	IPC_FUTEX,        /* threads: one slot, handed over with futex wait/wake */
	IPC_CONDVAR,      /* threads: one slot under a mutex and a condition variable */
	IPC_RING,         /* threads: a ring, spinning briefly before a futex wait */
	IPC_PIPE,         /* processes: two pipes */
	IPC_SOCKETPAIR,   /* processes: a Unix stream socketpair */
	IPC_MQUEUE,       /* processes: two POSIX message queues */
	IPC_SHMRING,      /* processes: the ring in a shared mapping, process-shared futexes */
	IPC_NMECH
};

struct ipc_mech {
	const char *name;
	int process;            /* the two sides are processes (else threads) */
	const char *summary;
};
extern const struct ipc_mech ipc_mechs[IPC_NMECH];

#define IPC_MIN_SIZE 8                  /* the sequence number */
#define IPC_MAX_SIZE (64ULL << 20)
#define IPC_MAX_REPS 1000

/* Test only: what side B does to its n-th received message (counted from 0). */
enum ipc_fault { IPC_FAULT_NONE, IPC_FAULT_CORRUPT, IPC_FAULT_DROP };

struct ipc_cfg {
	enum ipc_mech_id mech;
	size_t size;            /* bytes of one message, each way */
	int pus[2];             /* OS index of the PU of side A and of side B */
	unsigned reps;          /* timed batches, at most IPC_MAX_REPS */
	int64_t batch_ns;       /* round trips per batch double until a batch takes this long */
	enum ipc_fault fault;
	uint64_t fault_at;
};

struct ipc_result {
	double samples[IPC_MAX_REPS];   /* seconds per round trip, one per batch */
	unsigned round_trips;           /* per batch */
	uint64_t verified;              /* messages checked, both ways, warm-ups included */
	size_t msg_limit;               /* mqueue: the largest message a queue takes (a larger
					   one is sent in pieces of this size); else 0 */
};

/* Run one (mechanism, size) on the pair of PUs. Returns 0; -ENOTSUP when the mechanism
 * cannot run here (why says so); -EINTR after a stop signal; -EBADMSG when a message
 * arrived wrong; -ETIMEDOUT when the pair hung; another negative errno. why names the
 * reason of every failure in one line. */
int ipc_run(const struct ipc_cfg *c, struct ipc_result *r, char *why, size_t len);

/* Remove message queues left by concbench processes that are gone (killed between
 * creating a queue and unlinking it), where a mounted mqueue file system shows them. */
void ipc_clean_stale(void);

#endif
