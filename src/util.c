/* SPDX-License-Identifier: MIT */
/* util: error printing, number/duration parsing and output path checks used by the
 * commands and the workloads. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "concbench: %s%s\n", prefix, line);
}

void cb_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void cb_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void cb_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	exit(status);
}

void cb_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void cb_fmt_time(char *buf, size_t len, double s)
{
	if (!isfinite(s))
		cb_fmt(buf, len, "-");
	else if (s >= 1)
		cb_fmt(buf, len, "%.3f s", s);
	else if (s >= 1e-3)
		cb_fmt(buf, len, "%.2f ms", s * 1e3);
	else if (s >= 1e-6)
		cb_fmt(buf, len, "%.2f us", s * 1e6);
	else
		cb_fmt(buf, len, "%.1f ns", s * 1e9);
}

int parse_size(const char *s, int binary, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0, mul = 1, base = binary ? 1024 : 1000;

	if (!*p || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': mul = base; p++; break;
	case 'm': case 'M': mul = base * base; p++; break;
	case 'g': case 'G': mul = base * base * base; p++; break;
	case 't': case 'T': mul = base * base * base * base; p++; break;
	default: return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	if (v && mul > UINT64_MAX / v)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

int parse_duration(const char *s, int64_t *ns_out)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 },
	};
	char *end;
	double v;

	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double ns = v * units[i].ns;
			if (ns > 9e18)
				return -EINVAL;
			*ns_out = llround(ns);   /* 1.001ms is 1001000 ns, not one less */
			return 0;
		}
	}
	return -EINVAL;
}

int cb_read_full(int fd, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno ? -errno : -EIO;
		if (r == 0)
			return -EPIPE;    /* end of file before n bytes */
		got += (size_t)r;
	}
	return 0;
}

int cb_write_full(int fd, const void *p, size_t n)
{
	size_t put = 0;
	while (put < n) {
		ssize_t r = write(fd, (const char *)p + put, n - put);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno ? -errno : -EIO;
		if (r == 0)
			return -EIO;      /* no progress and no error: never loop on it */
		put += (size_t)r;
	}
	return 0;
}

int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

#define PATH_CHECK_MAX 4096

int path_check_dir(const char *flag, const char *path)
{
	char copy[PATH_CHECK_MAX];
	const char *dir;
	struct stat st;

	if (strlen(path) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, path);
	dir = dirname(copy);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cb_error("%s: directory '%s' does not exist", flag, dir);
		return -EINVAL;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		cb_error("%s: directory '%s' is not writable", flag, dir);
		return -EINVAL;
	}
	return 0;
}

int path_check_writable(const char *flag, const char *path)
{
	struct stat st;
	int rc;

	if (!*path || strlen(path) >= PATH_CHECK_MAX) {
		cb_error("%s: expected a file path, got '%s'", flag, path);
		return -EINVAL;
	}
	rc = path_check_dir(flag, path);
	if (rc < 0)
		return rc;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		cb_error("%s: '%s' is a directory", flag, path);
		return -EINVAL;
	}
	return 0;
}
