/* SPDX-License-Identifier: MIT */
/* util: error printing, number/duration parsing and output path checks used by the
 * commands and the workloads. */
#define _GNU_SOURCE
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The length of the valid UTF-8 sequence at s (its code point in *cp), or 0. */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
	uint32_t v, min;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, v = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, v = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)      /* also stops at the terminating NUL */
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;               /* overlong, beyond Unicode, or a surrogate */
	*cp = v;
	return n;
}

/* Characters that move the cursor, change the terminal's state or reorder the text. */
static int unsafe_char(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e ||
	       c == 0x200f || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

const char *cb_sanitize(const char *s, char *buf, size_t len)
{
	const unsigned char *p;
	size_t n = 0;

	if (!len)
		return buf;
	p = (const unsigned char *)(s ? s : "(null)");
	while (*p) {
		uint32_t cp = 0;
		size_t k = utf8_char(p, &cp), out = k;
		const unsigned char *from = p;
		if (!k || unsafe_char(cp)) {
			from = (const unsigned char *)"?";
			out = 1;
			k = k ? k : 1;
		}
		if (n + out >= len)
			break;
		memcpy(buf + n, from, out);
		n += out;
		p += k;
	}
	buf[n] = 0;
	if (*p && len > 4) {            /* cut: "..." after the last whole character */
		size_t m = n < len - 4 ? n : len - 4;
		while (m > 0 && ((unsigned char)buf[m] & 0xc0) == 0x80)
			m--;
		memcpy(buf + m, "...", 4);
	}
	return buf;
}

/* Messages quote file names, options and report strings: sanitised, they stay one line
 * and cannot drive the terminal. */
static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024], safe[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "concbench: %s%s\n", prefix, cb_sanitize(line, safe, sizeof(safe)));
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

void cb_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void cb_fmt_time(char *buf, size_t len, double s)
{
	cb_fmt_time_digits(buf, len, s, 2);
}

void cb_fmt_time_digits(char *buf, size_t len, double s, int digits)
{
	if (!isfinite(s))
		cb_fmt(buf, len, "-");
	else if (s >= 1)
		cb_fmt(buf, len, "%.3f s", s);
	else if (s >= 1e-3)
		cb_fmt(buf, len, "%.*f ms", digits, s * 1e3);
	else if (s >= 1e-6)
		cb_fmt(buf, len, "%.*f us", digits, s * 1e6);
	else
		cb_fmt(buf, len, "%.1f ns", s * 1e9);
}

double cb_si_scale(double v, const char **prefix)
{
	static const char *const pre[] = { "", "k", "M", "G", "T" };
	size_t i = 0;

	while (v >= 1000 && i + 1 < ARRAY_SIZE(pre)) {
		v /= 1000;
		i++;
	}
	*prefix = pre[i];
	return v;
}

void cb_fmt_rate(char *buf, size_t len, double v, const char *unit)
{
	const char *prefix;

	if (!isfinite(v)) {
		cb_fmt(buf, len, "-");
		return;
	}
	v = cb_si_scale(v, &prefix);
	cb_fmt(buf, len, "%.3g %s%s", v, prefix, unit);
}

/* The decimal digits at *p (at least one): their value in *v, *p moved past them. Only
 * digits: strtoul would also take blanks, a sign, and 0x or 0 prefixes with base 0.
 * Returns 0, -EINVAL (no digit) or -ERANGE (over UINT64_MAX). */
static int leading_u64(const char **p, uint64_t *v)
{
	const char *q = *p;
	*v = 0;
	if (!isdigit((unsigned char)*q))
		return -EINVAL;
	for (; isdigit((unsigned char)*q); q++) {
		unsigned d = (unsigned)(*q - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		*v = *v * 10 + d;
	}
	*p = q;
	return 0;
}

int parse_size(const char *s, int binary, uint64_t *out)
{
	const char *p = s;
	uint64_t v, mul = 1, base = binary ? 1024 : 1000;
	int rc = leading_u64(&p, &v);

	if (rc < 0)
		return rc;
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

/* Length of the plain decimal at the start of s: digits with at most one '.', at least one
 * digit; no sign, blank, exponent, hex or "inf" (strtod takes all of those). 0: none. */
static size_t decimal_prefix(const char *s)
{
	size_t n = 0, digits = 0;
	int dot = 0;
	for (;; n++) {
		if (isdigit((unsigned char)s[n]))
			digits++;
		else if (s[n] == '.' && !dot)
			dot = 1;
		else
			break;
	}
	return digits ? n : 0;
}

int parse_decimal(const char *s, double *out)
{
	size_t n = decimal_prefix(s);
	double v;
	if (!n || s[n] || n > 64)
		return -EINVAL;
	errno = 0;
	v = strtod(s, NULL);
	if (errno || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_duration(const char *s, int64_t *ns_out)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 },
	};
	char num[72];
	size_t n = decimal_prefix(s);
	double v;

	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = 0;
	if (parse_decimal(num, &v) < 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s + n, units[i].unit) == 0) {
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

int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v;
	const char *p = s;
	int rc = leading_u64(&p, &v);

	if (rc < 0)
		return rc;
	if (*p)
		return -EINVAL;
	if (v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;
	int rc = parse_u64(s, lo, hi, &v);
	if (rc < 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

#define PATH_CHECK_MAX 4096

/* Create and remove a file in dir, as the report's temporary file will be: the only check
 * that tells a directory this process may write in (root passes access() on /proc and on
 * read-only modes) from one it may not. Returns 0 or a negative errno. */
static int dir_probe(const char *dir)
{
	char tmp[PATH_CHECK_MAX + 32];
	int fd;
	cb_fmt(tmp, sizeof(tmp), "%s/.concbench-check-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	unlink(tmp);
	close(fd);
	return 0;
}

int path_check_dir(const char *flag, const char *path)
{
	char copy[PATH_CHECK_MAX];
	const char *dir;
	struct stat st;
	int rc;

	if (strlen(path) >= sizeof(copy))
		return -EINVAL;
	memcpy(copy, path, strlen(path) + 1);
	dir = dirname(copy);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cb_error("%s: directory '%s' does not exist", flag, dir);
		return -EINVAL;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		cb_error("%s: directory '%s' is not writable", flag, dir);
		return -EINVAL;
	}
	if ((rc = dir_probe(dir)) < 0) {
		cb_error("%s: cannot create files in '%s': %s", flag, dir, strerror(-rc));
		return -EINVAL;
	}
	return 0;
}

/* What was at the output path when it was checked, to notice another writer at the end. */
static struct {
	char path[PATH_CHECK_MAX];
	int exists;
	struct stat st;
} checked;

int path_check_writable(const char *flag, const char *path)
{
	struct stat st;
	int rc;

	if (!*path || strlen(path) >= PATH_CHECK_MAX) {
		cb_error("%s: expected a file path, got '%s'", flag, path);
		return -EINVAL;
	}
	/* What is there must be absent or a regular file the owner may write: the report
	 * replaces it by rename, which would turn a device, a FIFO or a symbolic link (and
	 * what it points to stays untouched) into a regular file. */
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			cb_error("%s: '%s' is a directory", flag, path);
			return -EINVAL;
		}
		if (S_ISLNK(st.st_mode)) {
			cb_error("%s: '%s' is a symbolic link; name a regular file or a new path",
				 flag, path);
			return -EINVAL;
		}
		if (!S_ISREG(st.st_mode)) {
			cb_error("%s: '%s' is not a regular file (a device, FIFO or socket); name a "
				 "regular file or a new path", flag, path);
			return -EINVAL;
		}
		if (!(st.st_mode & S_IWUSR) || access(path, W_OK) < 0) {
			cb_error("%s: '%s' is read-only (mode %04o); make it writable or remove it",
				 flag, path, (unsigned)(st.st_mode & 07777));
			return -EINVAL;
		}
	} else if (errno != ENOENT) {
		cb_error("%s: cannot check '%s': %s", flag, path, strerror(errno));
		return -EINVAL;
	}
	rc = path_check_dir(flag, path);
	if (rc < 0)
		return rc;
	cb_fmt(checked.path, sizeof(checked.path), "%s", path);
	checked.exists = lstat(path, &checked.st) == 0;
	return 0;
}

int path_changed_since_check(const char *path)
{
	struct stat st;
	int exists;
	if (strcmp(checked.path, path) != 0)
		return 0;
	exists = lstat(path, &st) == 0;
	if (exists != checked.exists)
		return 1;
	return exists && (st.st_dev != checked.st.st_dev || st.st_ino != checked.st.st_ino ||
			  st.st_size != checked.st.st_size ||
			  st.st_mtim.tv_sec != checked.st.st_mtim.tv_sec ||
			  st.st_mtim.tv_nsec != checked.st.st_mtim.tv_nsec);
}

int cb_reader_gone(FILE *f)
{
	struct stat st;
	struct pollfd p = { .fd = fileno(f), .events = POLLOUT };
	int err = errno;
	/* Only a pipe or a socket has a reader to lose. errno may be a later call's, so the
	 * descriptor is asked too: without readers a pipe polls POLLERR, a socket whose
	 * peer closed POLLHUP. */
	if (p.fd < 0 || fstat(p.fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return 0;
	return err == EPIPE || (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)));
}
