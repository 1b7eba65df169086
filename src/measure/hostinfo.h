/* SPDX-License-Identifier: MIT */
/* hostinfo: the machine facts hwloc does not give (frequency governor, boost, SMT control,
 * clock source, transparent huge pages, ASLR, cgroup quota, load, steal time, hypervisor)
 * for the report and the noise warnings. Anything unavailable is NULL or NAN, never a
 * guess. Topology facts (cores, PUs, caches, the affinity mask) come from topo.h. */
#ifndef CONCBENCH_HOSTINFO_H
#define CONCBENCH_HOSTINFO_H

#include <stddef.h>
#include <stdint.h>

/* Counters sampled at the start and the end of an invocation. */
struct host_snapshot {
	int ok;                         /* /proc/stat could be read */
	double load1;                   /* 1-minute load average, NAN if unknown */
	uint64_t total, steal, iowait, irq, ctxt;   /* jiffies (ctxt: context switches) */
	double t;                       /* CLOCK_MONOTONIC seconds */
};

struct host_facts {
	char *hypervisor;               /* CPUID vendor, e.g. "KVMKVMKVM"; NULL on bare metal */
	int virtualized;                /* 1, 0, or -1 unknown */
	char *cpufreq_driver, *governor;
	int boost;                      /* 1 on, 0 off, -1 unknown */
	char *cpuidle_driver, *cpuidle_governor;
	char *smt_control;
	int smt_active;                 /* 1, 0, -1 */
	char *clocksource;
	double clock_res_ns, clock_cost_ns;
	char *thp_enabled, *thp_defrag;
	int aslr;                       /* randomize_va_space, -1 unknown */
	char *cgroup_cpu_max;           /* "max 100000" or "200000 100000" */
	char *kernel_cmdline;
	char *glibc;
};

void host_snapshot_take(struct host_snapshot *s);
/* Fill every field (strings are malloc'd; free with host_facts_free). */
void host_facts_collect(struct host_facts *f);
void host_facts_free(struct host_facts *f);
/* Steal time as a fraction of all CPU time between two snapshots, NAN if unknown. */
double host_steal_fraction(const struct host_snapshot *a, const struct host_snapshot *b);

/* A process that used CPU time at the start of an invocation. */
struct busy_proc {
	int pid;
	char comm[64];                  /* its command name (/proc/PID/stat), unsanitised */
	double share;                   /* CPU time over the window / the window: 1 = one PU */
	int cpu;                        /* the CPU it last ran on, -1 unknown */
};

/* The processes other than this one that used at least min_share of a PU over window_s
 * seconds (each /proc/PID/stat read before and after, at most HOST_BUSY_MAX_PIDS of them),
 * the busiest first, at most max into out. Returns how many. */
#define HOST_BUSY_MAX_PIDS 32768
size_t host_busy_processes(struct busy_proc *out, size_t max, double window_s, double min_share);
/* Parse one /proc/PID/stat line: the command (cut to len), utime + stime in clock ticks, and
 * the CPU it last ran on. Returns 0, or -1 for a line of another shape. */
int host_parse_proc_stat(const char *line, char *comm, size_t len, uint64_t *ticks, int *cpu);

#endif
