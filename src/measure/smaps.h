/* SPDX-License-Identifier: MIT */
/* smaps: what a process's memory costs, from /proc/PID/smaps_rollup (or, on kernels before
 * 4.14 that lack it, every mapping of /proc/PID/smaps summed), and which processes are the
 * children of one. Rss counts every resident page a process maps; Pss divides each page
 * among the processes that map it, so the Pss of a group of processes adds up to what the
 * group really occupies. Private pages are mapped by this process alone, shared ones by
 * more than one (copy-on-write pages not yet written are shared). */
#ifndef CONCBENCH_SMAPS_H
#define CONCBENCH_SMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* In KiB, as the kernel counts them. */
struct smaps_mem {
	uint64_t rss_kb, pss_kb;
	uint64_t shared_clean_kb, shared_dirty_kb;
	uint64_t private_clean_kb, private_dirty_kb;
};

static inline uint64_t smaps_private_kb(const struct smaps_mem *m)
{
	return m->private_clean_kb + m->private_dirty_kb;
}

static inline uint64_t smaps_shared_kb(const struct smaps_mem *m)
{
	return m->shared_clean_kb + m->shared_dirty_kb;
}

/* Sum the "Field:  N kB" lines of smaps or smaps_rollup text (len bytes, not necessarily
 * terminated) into *m; other lines (mapping headers, VmFlags) are skipped. Returns 0, or
 * -EBADMSG with err saying what is wrong: no Rss or Pss line, a number that does not fit, a
 * field line cut short, or private + shared not adding up to Rss. */
int smaps_parse(const char *text, size_t len, struct smaps_mem *m, char *err, size_t errlen);
/* Read one file of smaps text and parse it. Returns 0, a negative errno from opening or
 * reading it, or -EBADMSG; err says which file and why. */
int smaps_read_file(const char *path, struct smaps_mem *m, char *err, size_t errlen);
/* Process pid's memory under proc (normally "/proc"): smaps_rollup, else smaps summed.
 * *source (may be NULL) is set to "smaps_rollup" or "smaps". Returns 0 or a negative errno
 * with err saying why. */
int smaps_read(const char *proc, pid_t pid, struct smaps_mem *m, const char **source, char *err,
	       size_t errlen);
/* Add b's fields to a's. */
void smaps_add(struct smaps_mem *a, const struct smaps_mem *b);

/* The children of parent, from the PPid of every /proc/PID/stat under proc (normally
 * "/proc"): up to max pids into out, sorted. Returns how many there are (more than max when
 * out was too short), or a negative errno when proc cannot be read. */
int smaps_children(const char *proc, pid_t parent, pid_t *out, size_t max);

#endif
