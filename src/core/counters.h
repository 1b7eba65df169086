/* SPDX-License-Identifier: MIT */
/* counters: what the kernel counts for one worker during the timed region, through
 * perf_event_open(2) (the syscall; no library).
 *
 * A worker opens its counters once when it starts (counters_open: for itself, any CPU, not
 * inherited), marks them right before each timed region's start, reads them right after
 * its end and closes them when it ends. Software counters (task-clock, context switches, migrations,
 * faults) and hardware counters (instructions, cycles, ...) are two separate groups, so
 * that a missing PMU (VMs), perf_event_paranoid or seccomp takes only what it must down:
 * a counter that cannot be opened reads CTR_MISSING and the error says why, never failing
 * the run. */
#ifndef CONCBENCH_COUNTERS_H
#define CONCBENCH_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* The counters, in the order of the report's keys. Software first, then hardware. */
#define CB_COUNTERS(X) \
	X(TASK_CLOCK, "task_clock_s") \
	X(CONTEXT_SWITCHES, "context_switches") \
	X(CPU_MIGRATIONS, "cpu_migrations") \
	X(PAGE_FAULTS, "page_faults") \
	X(MINOR_FAULTS, "minor_faults") \
	X(MAJOR_FAULTS, "major_faults") \
	X(INSTRUCTIONS, "instructions") \
	X(CYCLES, "cycles") \
	X(REF_CYCLES, "ref_cycles") \
	X(LLC_MISSES, "llc_misses") \
	X(DTLB_MISSES, "dtlb_misses")

enum ctr_id {
#define CTR_ENUM(id, key) CTR_##id,
	CB_COUNTERS(CTR_ENUM)
#undef CTR_ENUM
	CTR_N
};
#define CTR_FIRST_HW CTR_INSTRUCTIONS

/* A counter that was not counted (could not be opened, or never scheduled on the PMU). */
#define CTR_MISSING INT64_C(-1)

/* What one worker counted in one timed region. task-clock in ns, the others in events.
 * Why a counter is missing: a bit (1 << ctr_id) in one of the masks. */
struct ctr_values {
	int64_t v[CTR_N];     /* CTR_MISSING where not counted */
	int32_t open_err;     /* the first errno of a counter that could not be opened, or 0 */
	uint16_t unopened;    /* could not be opened: open_err says why */
	uint16_t excluded;    /* counted only in the kernel, whose part is excluded */
	uint16_t unscheduled; /* opened, but the PMU never ran its group (counters busy) */
	uint16_t user_only;   /* 1: exclude_kernel was needed to open them at all */
};

/* A worker's open counters. Not shared: each worker has its own. */
struct counters {
	int fd[CTR_N];        /* -1 when not open */
	int slot[CTR_N];      /* position in its group's read, -1 when not open */
	int leader[2];        /* of the software and the hardware group, -1 when none */
	int nmembers[2];
	uint64_t last[CTR_N]; /* values at the previous read: a region is the difference */
	uint64_t last_enabled[2], last_running[2];
	int32_t open_err;
	uint16_t unopened, excluded;
	uint16_t user_only;
};

/* The report's key of a counter ("task_clock_s"). */
extern const char *const counters_key[CTR_N];

/* Open the counters of the calling thread (or process), counting. Never fails: what could
 * not be opened is missing, with its errno in c->open_err. */
void counters_open(struct counters *c);
/* Mark the start of a region: the next read counts from here. One read per group, taken
 * just before the region's clock (see counters.c). */
void counters_mark(struct counters *c);
/* What was counted since the mark (or the previous read), taken just after the region. */
void counters_read(struct counters *c, struct ctr_values *out);
/* Values of a worker without counters: every one missing. */
void counters_none(struct ctr_values *out);
/* Close every counter (accepts a closed or never opened one). */
void counters_close(struct counters *c);

/* One line saying which counters are missing and why, from what a worker counted; "" when
 * nothing is missing and the kernel's part is counted. */
void counters_reason(char *buf, size_t len, const struct ctr_values *x);

/* Test hook: the call that opens one counter (perf_event_open), so that a test can make it
 * fail. Returns an fd or -1 with errno. */
struct perf_event_attr;
extern int (*counters_perf_open)(struct perf_event_attr *attr, int group_fd);

#endif
