/* SPDX-License-Identifier: MIT */
/* util: error printing and number/duration parsing used by the CLI and the workloads. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
