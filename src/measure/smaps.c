/* SPDX-License-Identifier: MIT */
/* smaps: the /proc readers behind `concbench footprint` (smaps.h). The parser trusts
 * nothing it reads: a field line must be complete, its number must fit, the fields a
 * reading needs must all be there and private + shared must add up to Rss, so that a
 * truncated or foreign file is an error with a reason, never a wrong number. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "measure/smaps.h"

#define SMAPS_MAX_BYTES (64u << 20)   /* a full smaps of a huge process; rollup is ~1 KiB */

struct smaps_field {
	const char *name;
	size_t off;
};

#define FIELD(n, f) { n, offsetof(struct smaps_mem, f) }
static const struct smaps_field fields[] = {
	FIELD("Rss", rss_kb),
	FIELD("Pss", pss_kb),
	FIELD("Shared_Clean", shared_clean_kb),
	FIELD("Shared_Dirty", shared_dirty_kb),
	FIELD("Private_Clean", private_clean_kb),
	FIELD("Private_Dirty", private_dirty_kb),
};
#undef FIELD

/* "Name:   1234 kB" at line[0..n): the field's index and value, -1 for a line that is not
 * one of fields[], -2 for one of them that is malformed. */
static int parse_line(const char *line, size_t n, uint64_t *kb)
{
	for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
		size_t k = strlen(fields[f].name), i;
		uint64_t v = 0;
		if (n <= k || memcmp(line, fields[f].name, k) != 0 || line[k] != ':')
			continue;
		i = k + 1;
		while (i < n && line[i] == ' ')
			i++;
		if (i == n || !isdigit((unsigned char)line[i]))
			return -2;
		for (; i < n && isdigit((unsigned char)line[i]); i++) {
			uint64_t d = (uint64_t)(line[i] - '0');
			if (v > (UINT64_MAX - d) / 10)
				return -2;
			v = v * 10 + d;
		}
		if (n - i != 3 || memcmp(line + i, " kB", 3) != 0)
			return -2;
		*kb = v;
		return (int)f;
	}
	return -1;
}

int smaps_parse(const char *text, size_t len, struct smaps_mem *m, char *err, size_t errlen)
{
	unsigned seen = 0;
	size_t pos = 0;

	memset(m, 0, sizeof(*m));
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		uint64_t kb = 0, *dst;
		int f = parse_line(line, n, &kb);
		pos += n + (nl != NULL);
		if (f == -1)
			continue;
		if (f == -2 || !nl) {
			/* a field line without its end: the file was cut short */
			char shown[48], safe[200];
			cb_fmt(shown, sizeof(shown), "%.*s", (int)(n < 40 ? n : 40), line);
			cb_fmt(err, errlen, "malformed or truncated line '%s'",
			       cb_sanitize(shown, safe, sizeof(safe)));
			return -EBADMSG;
		}
		dst = (uint64_t *)(void *)((char *)m + fields[f].off);
		if (*dst > UINT64_MAX - kb) {
			cb_fmt(err, errlen, "%s: the sum does not fit in 64 bits", fields[f].name);
			return -EBADMSG;
		}
		*dst += kb;
		seen |= 1u << f;
	}
	for (size_t f = 0; f < ARRAY_SIZE(fields); f++)
		if (!(seen & (1u << f))) {
			cb_fmt(err, errlen, "no %s line", fields[f].name);
			return -EBADMSG;
		}
	if (smaps_private_kb(m) + smaps_shared_kb(m) != m->rss_kb) {
		cb_fmt(err, errlen, "private %llu kB + shared %llu kB is not Rss %llu kB",
		       (unsigned long long)smaps_private_kb(m), (unsigned long long)smaps_shared_kb(m),
		       (unsigned long long)m->rss_kb);
		return -EBADMSG;
	}
	return 0;
}

/* The whole file into a malloc'd buffer (proc files have no size: read until the end). */
static int read_all(const char *path, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || !buf) {
		rc = fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t got;
		if (n == cap) {
			char *bigger = cap < SMAPS_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
			if (!bigger) {
				rc = cap < SMAPS_MAX_BYTES ? -ENOMEM : -EFBIG;
				goto fail;
			}
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int smaps_read_file(const char *path, struct smaps_mem *m, char *err, size_t errlen)
{
	char *text = NULL, why[160];
	size_t len = 0;
	int rc = read_all(path, &text, &len);

	if (rc < 0) {
		cb_fmt(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = smaps_parse(text, len, m, why, sizeof(why));
	if (rc < 0)
		cb_fmt(err, errlen, "%s: %s", path, why);
	free(text);
	return rc;
}

int smaps_read(const char *proc, pid_t pid, struct smaps_mem *m, const char **source, char *err,
	       size_t errlen)
{
	char path[300];
	int rc;

	cb_fmt(path, sizeof(path), "%s/%d/smaps_rollup", proc, (int)pid);
	rc = smaps_read_file(path, m, err, errlen);
	if (rc == -ENOENT) {
		/* Linux before 4.14: the same fields, once per mapping */
		cb_fmt(path, sizeof(path), "%s/%d/smaps", proc, (int)pid);
		rc = smaps_read_file(path, m, err, errlen);
		if (rc == 0 && source)
			*source = "smaps";
		return rc;
	}
	if (rc == 0 && source)
		*source = "smaps_rollup";
	return rc;
}

void smaps_add(struct smaps_mem *a, const struct smaps_mem *b)
{
	a->rss_kb += b->rss_kb;
	a->pss_kb += b->pss_kb;
	a->shared_clean_kb += b->shared_clean_kb;
	a->shared_dirty_kb += b->shared_dirty_kb;
	a->private_clean_kb += b->private_clean_kb;
	a->private_dirty_kb += b->private_dirty_kb;
}

/* The PPid field of a /proc/PID/stat line: the fourth, counted after the last ')' (the
 * command name in parentheses may hold anything). -1 when unreadable. */
static long stat_ppid(const char *proc, const char *pid)
{
	char path[300], buf[512];
	const char *p;
	ssize_t n;
	long ppid = -1;
	int fd;

	cb_fmt(path, sizeof(path), "%s/%s/stat", proc, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p && sscanf(p + 1, " %*c %ld", &ppid) != 1)
		ppid = -1;
	return ppid;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int smaps_children(const char *proc, pid_t parent, pid_t *out, size_t max)
{
	DIR *d = opendir(proc);
	const struct dirent *de;
	size_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || !isdigit((unsigned char)de->d_name[0]))
			continue;
		if (stat_ppid(proc, de->d_name) != (long)parent)
			continue;
		if (n < max)
			out[n] = (pid_t)pid;
		n++;
	}
	closedir(d);
	qsort(out, n < max ? n : max, sizeof(*out), cmp_pid);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}
