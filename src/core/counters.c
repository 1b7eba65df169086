/* SPDX-License-Identifier: MIT */
/* counters: perf_event_open(2) counters of one worker (see counters.h). */
#define _GNU_SOURCE
#include "core/counters.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"

#define CTR_KEY(id, key) key,
const char *const counters_key[CTR_N] = { CB_COUNTERS(CTR_KEY) };
#undef CTR_KEY

/* Descriptors left free for the rest of the process: the thread executor's workers share
 * one descriptor table, and a thousand workers must not take the last descriptors a report
 * or a pipe needs. */
#define CTR_FD_RESERVE 64

struct ctr_event {
	uint32_t type;
	uint64_t config;
};

#define HW_CACHE(cache, op, result) \
	((uint64_t)(cache) | ((uint64_t)(op) << 8) | ((uint64_t)(result) << 16))

static const struct ctr_event events[CTR_N] = {
	[CTR_TASK_CLOCK] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	[CTR_CONTEXT_SWITCHES] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	[CTR_CPU_MIGRATIONS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	[CTR_PAGE_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	[CTR_MINOR_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	[CTR_MAJOR_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	[CTR_INSTRUCTIONS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	[CTR_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	[CTR_REF_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
	/* The generic "cache misses": the last level on the common PMUs. */
	[CTR_LLC_MISSES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	[CTR_DTLB_MISSES] = { PERF_TYPE_HW_CACHE, HW_CACHE(PERF_COUNT_HW_CACHE_DTLB,
		PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS) },
};

/* Context switches and migrations happen in the kernel: with its part excluded they would
 * always read 0, so they are not opened then. */
#define CTR_KERNEL_ONLY ((1u << CTR_CONTEXT_SWITCHES) | (1u << CTR_CPU_MIGRATIONS))
#define CTR_HW_MASK (((1u << CTR_N) - 1) & ~((1u << CTR_FIRST_HW) - 1))
#define CTR_ALL_MASK ((1u << CTR_N) - 1)

static int perf_open_syscall(struct perf_event_attr *attr, int group_fd)
{
	/* pid 0, cpu -1: the calling thread wherever it runs. */
	return (int)syscall(SYS_perf_event_open, attr, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
}

int (*counters_perf_open)(struct perf_event_attr *attr, int group_fd) = perf_open_syscall;

static int open_one(struct counters *c, int id, int group, int exclude_kernel, long fd_limit)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = events[id].type;
	a.config = events[id].config;
	a.disabled = c->leader[group] < 0;    /* members follow their leader */
	a.inherit = 0;
	a.exclude_kernel = (unsigned)exclude_kernel;
	a.exclude_hv = (unsigned)exclude_kernel;
	a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			PERF_FORMAT_TOTAL_TIME_RUNNING;
	fd = counters_perf_open(&a, c->leader[group]);
	if (fd >= 0 && fd_limit > 0 && fd >= fd_limit - CTR_FD_RESERVE) {
		close(fd);
		errno = EMFILE;
		fd = -1;
	}
	return fd < 0 ? -errno : fd;
}

void counters_open(struct counters *c)
{
	struct rlimit rl;
	long fd_limit = -1;
	int exclude_kernel = 0;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < CTR_N; i++) {
		c->fd[i] = -1;
		c->slot[i] = -1;
	}
	c->leader[0] = c->leader[1] = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fd_limit = (long)rl.rlim_cur;
	for (int i = 0; i < CTR_N; i++) {
		int group = i >= CTR_FIRST_HW, fd;
		if (exclude_kernel && (CTR_KERNEL_ONLY & (1u << i))) {
			c->excluded |= (uint16_t)(1u << i);
			continue;
		}
		fd = open_one(c, i, group, exclude_kernel, fd_limit);
		/* perf_event_paranoid 2 lets a user count only its own user space. */
		if ((fd == -EACCES || fd == -EPERM) && !exclude_kernel) {
			fd = open_one(c, i, group, 1, fd_limit);
			if (fd >= 0) {
				exclude_kernel = 1;
				c->user_only = 1;
			}
		}
		if (fd < 0) {
			c->unopened |= (uint16_t)(1u << i);
			if (!c->open_err)
				c->open_err = -fd;
			continue;
		}
		c->fd[i] = fd;
		c->slot[i] = c->nmembers[group]++;
		if (c->leader[group] < 0)
			c->leader[group] = fd;
	}
	/* Counting from now to the worker's end (see counters_mark). Opened enabled, the page
	 * faults of a software group read 0 here (Linux 6.18): the group is enabled as a whole
	 * once it is complete. */
	for (int g = 0; g < 2; g++)
		if (c->leader[g] >= 0)
			ioctl(c->leader[g], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

/* A read at each end of the region rather than PERF_EVENT_IOC_ENABLE/DISABLE inside it: on
 * the 2-vCPU VM an enable and disable pair cost 5.6-7 us, a group read about 1 us; and the
 * reads can stand just outside the timed region, the mark before the start is taken and
 * the last read after the end, so that the region itself holds no syscall at all. The counters run for the worker's whole life; a
 * region is the difference of two reads. */
static int read_group(const struct counters *c, int g, uint64_t *buf, size_t len)
{
	ssize_t n;
	if (c->leader[g] < 0)
		return -1;
	n = read(c->leader[g], buf, len);
	if (n < (ssize_t)(3 * sizeof(uint64_t)) || buf[0] != (uint64_t)c->nmembers[g] ||
	    n < (ssize_t)((3 + buf[0]) * sizeof(uint64_t)))
		return -1;
	return 0;
}

void counters_mark(struct counters *c)
{
	uint64_t buf[3 + CTR_N];
	for (int g = 0; g < 2; g++) {
		if (read_group(c, g, buf, sizeof(buf)) < 0)
			continue;
		c->last_enabled[g] = buf[1];
		c->last_running[g] = buf[2];
		for (int i = 0; i < CTR_N; i++)
			if ((i >= CTR_FIRST_HW) == g && c->slot[i] >= 0)
				c->last[i] = buf[3 + c->slot[i]];
	}
}

void counters_none(struct ctr_values *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < CTR_N; i++)
		out->v[i] = CTR_MISSING;
}

void counters_read(struct counters *c, struct ctr_values *out)
{
	uint64_t buf[3 + CTR_N];

	counters_none(out);
	out->open_err = c->open_err;
	out->unopened = c->unopened;
	out->excluded = c->excluded;
	out->user_only = c->user_only;
	for (int g = 0; g < 2; g++) {
		uint64_t enabled, running;
		if (read_group(c, g, buf, sizeof(buf)) < 0)
			continue;
		enabled = buf[1] - c->last_enabled[g];
		running = buf[2] - c->last_running[g];
		c->last_enabled[g] = buf[1];
		c->last_running[g] = buf[2];
		for (int i = 0; i < CTR_N; i++) {
			uint64_t now, d;
			if ((i >= CTR_FIRST_HW) != g || c->slot[i] < 0)
				continue;
			now = buf[3 + c->slot[i]];
			d = now - c->last[i];
			c->last[i] = now;
			if (out->excluded & (1u << i))
				continue;
			if (enabled && !running) {
				out->unscheduled |= (uint16_t)(1u << i);
				continue;
			}
			/* Multiplexed with other perf users: scale to the time it was enabled. */
			if (running && running < enabled)
				d = (uint64_t)((double)d * (double)enabled / (double)running);
			out->v[i] = d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
		}
	}
}

void counters_close(struct counters *c)
{
	for (int i = 0; i < CTR_N; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
		c->slot[i] = -1;
	}
	c->leader[0] = c->leader[1] = -1;
}

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	case EBUSY: return "EBUSY";
	default: return NULL;
	}
}

static int read_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int v = -100;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -100;
		fclose(f);
	}
	return v;
}

/* Whether the kernel lists a CPU PMU (x86 "cpu", hybrid "cpu_core", Arm "armv8_pmuv3_0"):
 * without one, a VM offers no hardware counters at all. */
static int pmu_listed(void)
{
	DIR *d = opendir("/sys/bus/event_source/devices");
	const struct dirent *e;
	int found = 0;
	if (!d)
		return -1;
	while (!found && (e = readdir(d)))
		found = strcmp(e->d_name, "cpu") == 0 || strncmp(e->d_name, "cpu_", 4) == 0 ||
			strstr(e->d_name, "pmu") != NULL;
	closedir(d);
	return found;
}

/* "hardware counters", "all counters" or the keys of the mask. */
static void append_names(char *buf, size_t len, unsigned mask)
{
	const char *sep = "";
	if (mask == CTR_ALL_MASK) {
		cb_append(buf, len, "all counters");
		return;
	}
	if (mask == CTR_HW_MASK) {
		cb_append(buf, len, "hardware counters");
		return;
	}
	for (int i = 0; i < CTR_N; i++)
		if (mask & (1u << i)) {
			cb_append(buf, len, "%s%s", sep, counters_key[i]);
			sep = ", ";
		}
}

static void append_why(char *buf, size_t len, int err)
{
	const char *name = errno_name(err);
	char call[64];
	int paranoid;

	if (name)
		cb_fmt(call, sizeof(call), "perf_event_open: %s", name);
	else
		cb_fmt(call, sizeof(call), "perf_event_open: %s", strerror(err));
	switch (err) {
	case ENOENT:
	case ENODEV:
	case EOPNOTSUPP:
	case EINVAL:
		if (pmu_listed() == 0)
			cb_append(buf, len, "no CPU PMU here (a VM without one?) (%s)", call);
		else
			cb_append(buf, len, "not offered by this CPU's PMU (%s)", call);
		break;
	case EACCES:
	case EPERM:
		paranoid = read_paranoid();
		if (paranoid >= 3)
			cb_append(buf, len, "perf_event_paranoid is %d (%s)", paranoid, call);
		else
			cb_append(buf, len, "%s (seccomp or a security policy?)", call);
		break;
	case ENOSYS:
		cb_append(buf, len, "%s (no kernel support, or seccomp)", call);
		break;
	case EMFILE:
	case ENFILE:
		cb_append(buf, len, "out of file descriptors (%s)", call);
		break;
	default:
		cb_append(buf, len, "%s", call);
		break;
	}
}

void counters_reason(char *buf, size_t len, const struct ctr_values *x)
{
	const char *sep = "";
	buf[0] = 0;
	if (x->unopened) {
		append_names(buf, len, x->unopened);
		cb_append(buf, len, ": ");
		append_why(buf, len, x->open_err);
		sep = "; ";
	}
	if (x->unscheduled) {
		cb_append(buf, len, "%s", sep);
		append_names(buf, len, x->unscheduled);
		cb_append(buf, len, ": opened but never scheduled (the PMU's counters are taken: "
			  "another perf user, or the NMI watchdog?)");
		sep = "; ";
	}
	if (x->user_only) {
		cb_append(buf, len, "%s", sep);
		if (x->excluded) {
			append_names(buf, len, x->excluded);
			cb_append(buf, len, ": not counted, ");
		}
		cb_append(buf, len, "user space only (the kernel's part needs "
			  "perf_event_paranoid < 2; it is %d)", read_paranoid());
	}
}
