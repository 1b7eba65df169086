/* SPDX-License-Identifier: MIT */
/* Fuzz target: the report loader. Every input goes through report_parse; one it accepts is
 * also rendered the ways `report` and `compare` render it (through their commands, reading
 * the input from a memory file), so that whatever the loader lets through is exercised by
 * the code that trusts it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "cmd/compare.h"
#include "fuzz.h"
#include "report/reportload.h"

static int memfd = -1;
static char mempath[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_silence();
	memfd = memfd_create("concbench-fuzz-report", MFD_CLOEXEC);
	if (memfd >= 0)
		snprintf(mempath, sizeof(mempath), "/proc/self/fd/%d", memfd);
	return 0;
}

static void run_command(int (*cmd)(int, char **), const char *name, const char *a,
			const char *b, const char *c)
{
	char *argv[8];
	int argc = 0;

	argv[argc++] = (char *)"concbench";
	argv[argc++] = (char *)name;
	argv[argc++] = (char *)a;
	if (b)
		argv[argc++] = (char *)b;
	if (c)
		argv[argc++] = (char *)c;
	argv[argc] = NULL;
	cmd(argc, argv);
	fflush(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = report_parse("report", "fuzz.json", (const char *)data, size);

	if (!doc)
		return 0;
	cJSON_Delete(doc);
	if (memfd < 0 || ftruncate(memfd, 0) < 0 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size)
		return 0;
	switch (size % 3) {   /* one format per input keeps each execution short */
	case 0:
		run_command(cmd_report, "report", mempath, NULL, NULL);
		run_command(cmd_compare, "compare", mempath, mempath, NULL);
		break;
	case 1:
		run_command(cmd_report, "report", "--format=markdown", mempath, NULL);
		run_command(cmd_compare, "compare", "--format=json", mempath, mempath);
		break;
	default:
		run_command(cmd_report, "report", "--format=csv", mempath, NULL);
		run_command(cmd_report, "report", "--format=json", mempath, mempath);
		run_command(cmd_compare, "compare", "--format=markdown", mempath, mempath);
		break;
	}
	return 0;
}
