/* SPDX-License-Identifier: MIT */
/* util: clocks, error reporting in one voice, and small parsing helpers shared by modules.
 *
 * Error convention everywhere: 0 on success or a negative errno. Messages follow git's
 * voice: "concbench: WHAT: PROBLEM", lower case, no full stop, one line. */
#ifndef CONCBENCH_UTIL_H
#define CONCBENCH_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#define CB_EXIT_OK 0
#define CB_EXIT_REGRESSION 1
#define CB_EXIT_USAGE 2
#define CB_EXIT_RUNFAIL 3

/* The build's identity; the Makefile passes the real values. */
#ifndef CB_VERSION
#define CB_VERSION "unknown"
#endif
#ifndef CB_GIT
#define CB_GIT "unknown"
#endif
#ifndef CB_CFLAGS
#define CB_CFLAGS "unknown"
#endif

#define CB_CACHELINE 64
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Inside a spin loop: let a sibling hardware thread run. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ volatile("yield");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* Print "concbench: " + message on stderr (one line). */
void cb_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cb_error, then exit(status). */
void cb_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* A duration in seconds for people: "1.234 s", "12.34 ms", "5.67 us", "31.9 ns", "-".
 * cb_fmt_time_digits: the same with digits after the point in ms and us (compare's
 * columns show three). */
void cb_fmt_time(char *buf, size_t len, double s);
void cb_fmt_time_digits(char *buf, size_t len, double s, int digits);

/* v divided by the largest power of 1000 it reaches, up to 10^12; *prefix is its SI
 * prefix: "", "k", "M", "G" or "T". */
double cb_si_scale(double v, const char **prefix);

/* A rate for people, three significant digits with the prefix glued to the unit, which
 * is like "numbers/s": "3.66 Gnumbers/s"; "-" when v is not finite. */
void cb_fmt_rate(char *buf, size_t len, double v, const char *unit);

/* A copy of s that is safe to print as one line of a terminal, a markdown or a CSV cell,
 * whatever a report file holds: control characters (C0, DEL, C1), bidirectional
 * overrides and isolates, line and paragraph separators and bytes that are not valid
 * UTF-8 become '?'. Cut on a character boundary, ending in "...", to fit len; NULL gives
 * "(null)". Returns buf. */
const char *cb_sanitize(const char *s, char *buf, size_t len);

/* snprintf into buf that never overflows and always terminates. */
void cb_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* cb_fmt appended to the string already in buf (never overflows, always terminated). */
void cb_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parse an unsigned decimal with an optional k/M/G/T suffix (powers of 1024 when
 * binary != 0, of 1000 otherwise). Returns 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, int binary, uint64_t *out);

/* Parse a duration: a number with an optional unit ns, us, ms, s (default s), m, h.
 * Returns 0 or -EINVAL. */
int parse_duration(const char *s, int64_t *ns_out);

/* Read or write exactly n bytes, retrying on EINTR and short transfers. Returns 0,
 * -EPIPE when the other end closed first (read), or a negative errno. */
int cb_read_full(int fd, void *p, size_t n);
int cb_write_full(int fd, const void *p, size_t n);
/* Did writing to f fail because its reader is gone (a pipe or socket closed, as `| head`
 * does)? Then there is nobody to tell: the caller exits quietly, like git. */
int cb_reader_gone(FILE *f);

/* Parse a whole unsigned decimal from lo to hi: digits only (no sign, blank, 0x, octal
 * meaning of a leading 0, or suffix). parse_uint returns 0 or -EINVAL; parse_u64 returns 0,
 * -EINVAL (not a number) or -ERANGE (outside lo..hi, or over 2^64 - 1). */
int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);
int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
/* Parse a plain decimal such as 2, 0.5 or 12.: digits with at most one point, nothing
 * else (no sign, blank, exponent, hex, inf or nan). Returns 0 or -EINVAL / -ERANGE. */
int parse_decimal(const char *s, double *out);

/* Checks of an output file named by option flag, before anything runs. path_check_dir: the
 * directory of path exists and this process can create a file in it (tried). Then
 * path_check_writable: path is not empty, and is absent or a regular file (not a symbolic
 * link, directory, device, FIFO or socket) with its owner's write bit set and writable by
 * this process. Each returns 0, or -EINVAL after printing "FLAG: ..." (path_check_dir
 * prints nothing for a path of 4096 bytes or more). */
int path_check_dir(const char *flag, const char *path);
int path_check_writable(const char *flag, const char *path);
/* 1 when path is the one path_check_writable last passed and what is there changed since
 * (created, replaced or written by someone else), else 0. */
int path_changed_since_check(const char *path);

/* 64-bit mixing function (splitmix64 finaliser): used for checksums that must catch a
 * task run twice or not at all. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif
