/* SPDX-License-Identifier: MIT */
/* Fuzz target: the command-line parser. The input, split on NUL bytes, is the argument
 * list after "concbench"; opts_parse_config (the workload commands) or opts_parse (every other
 * command's table) must accept or refuse it without crashing, leaking or exiting. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cmd/compare.h"
#include "cmd/cores_opts.h"
#include "cmd/options.h"
#include "fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_silence();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	union {
		struct config c;
		struct cores_opts cores;
		struct cmp_options cmp;
		struct topo_opts topo;
		struct report_opts report;
	} u;
	struct opt_command oc;
	int argc = 0;
	size_t i = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = (char *)"concbench";
	while (i < size && argc <= MAX_ARGS) {   /* a trailing NUL ends the last argument */
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	memset(&u, 0, sizeof(u));
	if (argc >= 2 && opts_command_find(argv[1], &oc) == 0 && !(oc.cmd & OPT_CMD_RUN))
		opts_parse(&oc, argc, argv, &u);
	else
		opts_parse_config(argc, argv, 4, &u.c);
	fflush(stdout);
	free(buf);
	return 0;
}
