/* SPDX-License-Identifier: MIT */
/* options: option parsing and validation into one struct config. Every bad-input message comes
 * from here, in one format: "concbench: --FLAG: what is accepted, got 'VALUE'". */
#ifndef CONCBENCH_OPTIONS_H
#define CONCBENCH_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/* Parse argv[0] = "concbench", argv[1] = command, then options. Returns 0, or -EINVAL
 * after printing the one-line error. pus bounds `max` and binding checks. */
int cli_parse(int argc, char **argv, unsigned pus, struct config *c);
/* Parse --workers' value alone (exposed for tests). Returns 0 or -EINVAL. */
int cli_parse_workers(const char *s, unsigned pus, unsigned *out, size_t *n);
void cli_usage(const char *command);

#endif
