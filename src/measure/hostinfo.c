/* SPDX-License-Identifier: MIT */
/* hostinfo: small reads of procfs and sysfs for facts hwloc does not provide. */
#define _GNU_SOURCE
#include "measure/hostinfo.h"

#include <cpuid.h>
#include <dirent.h>
#include <gnu/libc-version.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "measure/stats.h"

/* First line of a small file, without the newline; NULL when absent. */
static char *read_line(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	char *r = NULL;
	if (!f)
		return NULL;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		r = strdup(buf);
	}
	fclose(f);
	return r;
}

/* sysfs choice files show the active value in brackets: "always [madvise] never". */
static char *read_bracketed(const char *path)
{
	char *line = read_line(path), *a, *b;
	if (!line)
		return NULL;
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b) {
		*b = 0;
		memmove(line, a + 1, (size_t)(b - a));
	}
	return line;
}

static int read_int(const char *path, int def)
{
	char *l = read_line(path);
	int v = def;
	if (l && *l)
		v = atoi(l);
	free(l);
	return v;
}

void host_snapshot_take(struct host_snapshot *s)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	double la[1];

	memset(s, 0, sizeof(*s));
	s->t = (double)now_ns() * 1e-9;
	s->load1 = getloadavg(la, 1) == 1 ? la[0] : NAN;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[10] = { 0 };
		if (strncmp(line, "cpu ", 4) == 0 &&
		    sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) >= 8) {
			for (int i = 0; i < 8; i++)
				s->total += v[i];
			s->iowait = v[4];
			s->irq = v[5] + v[6];
			s->steal = v[7];
			s->ok = 1;
		} else if (strncmp(line, "ctxt ", 5) == 0) {
			s->ctxt = strtoull(line + 5, NULL, 10);
		}
	}
	fclose(f);
}

double host_steal_fraction(const struct host_snapshot *a, const struct host_snapshot *b)
{
	if (!a->ok || !b->ok || b->total <= a->total)
		return NAN;
	return (double)(b->steal - a->steal) / (double)(b->total - a->total);
}

int host_parse_proc_stat(const char *line, char *comm, size_t len, uint64_t *ticks, int *cpu)
{
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so it ends at the
	 * last ')'. Fields 14 and 15 are utime and stime, field 39 the CPU (proc(5)). */
	const char *a = strchr(line, '('), *b = strrchr(line, ')'), *p;
	unsigned long long ut = 0, st = 0;
	long c = -1;
	int field = 3;

	if (!a || !b || b < a || len == 0)
		return -1;
	cb_fmt(comm, len, "%.*s", (int)(b - a - 1), a + 1);
	for (p = b + 1; *p && field <= 39; field++) {
		char *end;
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		if (field == 14)
			ut = strtoull(p, &end, 10);
		else if (field == 15)
			st = strtoull(p, &end, 10);
		else if (field == 39)
			c = strtol(p, &end, 10);
		p += strcspn(p, " \n");
	}
	if (field <= 15)
		return -1;
	*ticks = ut + st;
	*cpu = c >= 0 && c < 1 << 20 ? (int)c : -1;
	return 0;
}

static int read_proc_stat(int pid, char *comm, size_t len, uint64_t *ticks, int *cpu)
{
	char path[64], line[1024];
	FILE *f;
	int rc = -1;

	cb_fmt(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		rc = host_parse_proc_stat(line, comm, len, ticks, cpu);
	fclose(f);
	return rc;
}

static int cmp_busy(const void *a, const void *b)
{
	double x = ((const struct busy_proc *)a)->share, y = ((const struct busy_proc *)b)->share;
	return (x < y) - (x > y);
}

size_t host_busy_processes(struct busy_proc *out, size_t max, double window_s, double min_share)
{
	struct { int pid; uint64_t ticks; } *seen;
	struct busy_proc *found;
	size_t nseen = 0, nfound = 0;
	long hz = sysconf(_SC_CLK_TCK);
	int self = getpid();
	struct timespec ts = { .tv_sec = (time_t)window_s,
			       .tv_nsec = (long)((window_s - (double)(time_t)window_s) * 1e9) };
	int64_t t0, t1;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d || hz <= 0 || !max) {
		if (d)
			closedir(d);
		return 0;
	}
	seen = malloc(HOST_BUSY_MAX_PIDS * sizeof(*seen));
	if (!seen) {
		closedir(d);
		return 0;
	}
	t0 = now_ns();
	while ((e = readdir(d)) && nseen < HOST_BUSY_MAX_PIDS) {
		char comm[64];
		int pid = atoi(e->d_name), cpu;
		if (pid <= 0 || pid == self ||
		    read_proc_stat(pid, comm, sizeof(comm), &seen[nseen].ticks, &cpu) < 0)
			continue;
		seen[nseen++].pid = pid;
	}
	closedir(d);
	nanosleep(&ts, NULL);
	t1 = now_ns();
	found = malloc((nseen ? nseen : 1) * sizeof(*found));
	for (size_t i = 0; found && i < nseen && t1 > t0; i++) {
		struct busy_proc bp = { .pid = seen[i].pid };
		uint64_t ticks;
		if (read_proc_stat(bp.pid, bp.comm, sizeof(bp.comm), &ticks, &bp.cpu) < 0 ||
		    ticks < seen[i].ticks)
			continue;    /* gone, or a new process under the same PID */
		bp.share = (double)(ticks - seen[i].ticks) / (double)hz / ((double)(t1 - t0) * 1e-9);
		if (bp.share >= min_share)
			found[nfound++] = bp;
	}
	if (found) {
		qsort(found, nfound, sizeof(*found), cmp_busy);
		if (nfound > max)
			nfound = max;
		memcpy(out, found, nfound * sizeof(*out));
	}
	free(found);
	free(seen);
	return found ? nfound : 0;
}

static char *hypervisor_vendor(int *virt)
{
	unsigned a, b, c, d;
	char v[13];
	*virt = -1;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return NULL;
	*virt = (c >> 31) & 1;      /* the "hypervisor present" bit */
	if (!*virt)
		return NULL;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(v, &b, 4);
	memcpy(v + 4, &c, 4);
	memcpy(v + 8, &d, 4);
	v[12] = 0;
	return strdup(v);
}

static char *cgroup_cpu_max(void)
{
	char *l = NULL, path[4200];
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[4096];
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			cb_fmt(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", line + 3);
			l = read_line(path);
			if (!l)
				l = read_line("/sys/fs/cgroup/cpu.max");
			break;
		}
	}
	fclose(f);
	return l;
}

/* Median cost of one clock_gettime(CLOCK_MONOTONIC) call, in ns. */
static double clock_cost(void)
{
	double s[15];
	for (int r = 0; r < 15; r++) {
		int64_t t0 = now_ns();
		for (int i = 0; i < 1000; i++)
			(void)now_ns();
		s[r] = (double)(now_ns() - t0) / 1000.0;
	}
	return stats_median(s, 15);
}

void host_facts_collect(struct host_facts *f)
{
	struct timespec res;
	int b;

	memset(f, 0, sizeof(*f));
	f->hypervisor = hypervisor_vendor(&f->virtualized);
	f->cpufreq_driver = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver");
	f->governor = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
	f->boost = read_int("/sys/devices/system/cpu/cpufreq/boost", -1);
	b = read_int("/sys/devices/system/cpu/intel_pstate/no_turbo", -1);
	if (f->boost < 0 && b >= 0)
		f->boost = !b;
	f->cpuidle_driver = read_line("/sys/devices/system/cpu/cpuidle/current_driver");
	f->cpuidle_governor = read_line("/sys/devices/system/cpu/cpuidle/current_governor_ro");
	if (!f->cpuidle_governor)
		f->cpuidle_governor = read_line("/sys/devices/system/cpu/cpuidle/current_governor");
	f->smt_control = read_line("/sys/devices/system/cpu/smt/control");
	f->smt_active = read_int("/sys/devices/system/cpu/smt/active", -1);
	f->clocksource = read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource");
	f->clock_res_ns = clock_getres(CLOCK_MONOTONIC, &res) == 0 ?
			  (double)res.tv_sec * 1e9 + (double)res.tv_nsec : NAN;
	f->clock_cost_ns = clock_cost();
	f->thp_enabled = read_bracketed("/sys/kernel/mm/transparent_hugepage/enabled");
	f->thp_defrag = read_bracketed("/sys/kernel/mm/transparent_hugepage/defrag");
	f->aslr = read_int("/proc/sys/kernel/randomize_va_space", -1);
	f->cgroup_cpu_max = cgroup_cpu_max();
	f->kernel_cmdline = read_line("/proc/cmdline");
	f->glibc = strdup(gnu_get_libc_version());
}

void host_facts_free(struct host_facts *f)
{
	char **fields[] = { &f->hypervisor, &f->cpufreq_driver, &f->governor, &f->cpuidle_driver,
		       &f->cpuidle_governor, &f->smt_control, &f->clocksource, &f->thp_enabled,
		       &f->thp_defrag, &f->cgroup_cpu_max, &f->kernel_cmdline, &f->glibc };
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		char **field = fields[i];
		free(*field);
		*field = NULL;
	}
}
