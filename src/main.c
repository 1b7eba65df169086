/* SPDX-License-Identifier: MIT */
/* concbench: the command table and dispatch, nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/options.h"
#include "core/registry.h"
#include "measure/run.h"
#include "topo/topo.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	int topology;       /* needs the hwloc topology (and --topology) */
};

static const struct command commands[] = {
	{ "cpu", cmd_run, 1 },
	{ "io", cmd_run, 1 },
	{ "mem", cmd_run, 1 },
	{ "suite", cmd_run, 1 },
	{ "list", cmd_list, 0 },
	{ "topo", cmd_topo, 1 },
	{ "cores", cmd_cores, 1 },
	{ "compare", cmd_compare, 0 },
	{ "report", cmd_report, 0 },
};

#define COMMAND_LIST "cpu, io, mem, suite, cores, topo, report, compare or list"

int main(int argc, char **argv)
{
	char why[200];
	int rc;

	if (registry_check(why, sizeof(why)) < 0)
		cb_die(CB_EXIT_RUNFAIL, "internal error: %s", why);
	if (argc < 2) {
		cb_error("no command given (expected " COMMAND_LIST "; see 'concbench --help')");
		return CB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc >= 3 && strcmp(argv[1], "help") == 0 && strcmp(argv[2], "--help") != 0 &&
		    strcmp(argv[2], "-h") != 0) {
			/* "help CMD" is "CMD --help" */
			char *av[] = { argv[0], argv[2], "--help", NULL };
			if (argc > 3) {
				cb_error("help: expected one command, got '%s' after '%s'", argv[3],
					 argv[2]);
				return CB_EXIT_USAGE;
			}
			for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
				if (strcmp(argv[2], commands[i].name) == 0)
					return commands[i].topology && topo_load_spec(NULL) < 0
					       ? CB_EXIT_RUNFAIL : commands[i].fn(3, av);
			cb_error("help: '%s' is not a concbench command (expected " COMMAND_LIST
				 ")", argv[2]);
			return CB_EXIT_USAGE;
		}
		cli_usage(NULL);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("concbench %s (git %s)\n", CB_VERSION, CB_GIT);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/* This machine's; a command given --topology (as getopt reads it, abbreviated
		 * or not) loads that one in its place while it parses its options. */
		if (commands[i].topology && topo_load_spec(NULL) < 0)
			cb_die(CB_EXIT_RUNFAIL, "cannot load the hwloc topology of this machine: %s",
			       topo_load_error());
		run_install_signals();
		if (commands[i].fn == cmd_compare || commands[i].fn == cmd_topo)
			signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);  /* nothing to clean up */
		rc = commands[i].fn(argc, argv);
		topo_release();
		/* A report nobody could read is a failed run: a full disk, a closed pipe. */
		if ((fflush(stdout) == EOF || ferror(stdout)) && rc == 0) {
			cb_error("cannot write to standard output: %s", strerror(errno));
			rc = CB_EXIT_RUNFAIL;
		}
		return rc;
	}
	cb_error("'%s' is not a concbench command (expected " COMMAND_LIST "; see "
		 "'concbench --help')", argv[1]);
	return CB_EXIT_USAGE;
}
