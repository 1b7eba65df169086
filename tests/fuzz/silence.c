/* SPDX-License-Identifier: MIT */
/* fuzz_silence (fuzz.h), shared by every fuzz target. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/types.h>

#include "fuzz.h"

static ssize_t discard(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)n;
}

void fuzz_silence(void)
{
	static const cookie_io_functions_t sink = { .write = discard };
	FILE *n = fopencookie(NULL, "w", sink);

	if (n) {
		stdout = n;
		stderr = n;
	}
}
