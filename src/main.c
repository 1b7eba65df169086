/* SPDX-License-Identifier: MIT */
/* concbench: the command table and dispatch, nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/docgen.h"
#include "core/mpirank.h"
#include "core/registry.h"
#include "measure/run.h"
#include "measure/spawn.h"
#include "topo/topo.h"

/* The only list of commands: dispatch, the global help and the "expected ..." messages
 * come from it. A NULL summary is the workload's own, from the registry. */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	int topology;       /* needs the hwloc topology (and --topology) */
	const char *summary;
	const char *args;   /* the arguments after the options, in the man page's synopsis */
};

static const struct command commands[] = {
	{ "cpu", cmd_run, 1, NULL, "" },
	{ "io", cmd_run, 1, NULL, "" },
	{ "mem", cmd_run, 1, NULL, "" },
	{ "suite", cmd_run, 1, "every workload on every executor over a worker sweep", "" },
	{ "cores", cmd_cores, 1, "one worker on every PU in turn; --latency: core-to-core", "" },
	{ "topo", cmd_topo, 1, "the hwloc topology, or a placement plan with --bind", "" },
	{ "report", cmd_report, 0, "tables, markdown, CSV or charts of report files",
	  "FILE.json..." },
	{ "compare", cmd_compare, 0, "regression verdicts between two reports (for CI)",
	  "BASE.json NEW.json" },
	{ "explain", cmd_explain, 0, "why one executor beat another, from a report",
	  "REPORT.json" },
	{ "spawn", cmd_spawn, 1, "the cost to create and reap one worker, by how and by RSS", "" },
	{ "footprint", cmd_footprint, 1, "memory per worker of each pool, and copy-on-write", "" },
	{ "ipc", cmd_ipc, 1, "message round trips and GB/s between two pinned workers", "" },
	{ "crash", cmd_crash, 1, "one worker dies of SIGSEGV: what each executor loses", "" },
	{ "contend", cmd_contend, 1, "false sharing, atomics, mutexes: increments/s per layout", "" },
	{ "folklore", cmd_folklore, 1, "the threads-vs-processes table, each row measured here", "" },
	{ "history", cmd_history, 0, "runs over commits in SQLite: add, show, plot, check",
	  "add|show|plot|check [REPORT.json...]" },
	{ "list", cmd_list, 0, "workloads, executors and binding policies", "" },
};

/* "cpu, io, ..., compare or list" */
static const char *command_list(void)
{
	static char buf[256];
	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		size_t at = strlen(buf);
		cb_fmt(buf + at, sizeof(buf) - at, "%s%s", i == 0 ? "" :
		       i + 1 == ARRAY_SIZE(commands) ? " or " : ", ", commands[i].name);
	}
	return buf;
}

static const char *command_summary(const struct command *c)
{
	const struct workload *wl = workload_find(c->name);
	return c->summary ? c->summary : wl ? wl->summary : "";
}

/* help --options CMD, --man, --markdown, --bash-completion: -1 when arg is none of them. */
static int help_generate(const char *what, const char *arg)
{
	struct doc_command docs[ARRAY_SIZE(commands)];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		docs[i] = (struct doc_command){ commands[i].name, commands[i].args,
						command_summary(&commands[i]) };
	return docgen_print(what, arg, docs, ARRAY_SIZE(docs));
}

static void usage(void)
{
	printf("usage: concbench COMMAND [options]\n\n"
	       "Threads or processes? Measures it on this machine's cores.\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-8s %s\n", commands[i].name, command_summary(&commands[i]));
	printf("\n'concbench COMMAND --help' or 'concbench help COMMAND' lists a command's "
	       "options;\n'concbench --version' prints the version.\n"
	       "exit status: 0 ok, 1 a regression (compare), 2 bad usage or input, 3 a run "
	       "failed\n");
}

int main(int argc, char **argv)
{
	char why[200];
	int rc;

	/* The helper `spawn` execs: gone before any topology, allocation or signal set-up, so
	 * that its cost is the exec's alone. Not a command: never listed. */
	if (argc == 2 && strcmp(argv[1], SPAWN_NOOP_ARG) == 0)
		return 0;
	/* Under mpirun, ranks other than 0 are the mpi executor's workers: they serve it and
	 * never come back; rank 0 runs the command. */
	mpirank_boot(&argc, &argv);
	/* A closed stdout is an EPIPE to handle, not a death by signal (help too). */
	signal(SIGPIPE, SIG_IGN);
	if (registry_check(why, sizeof(why)) < 0)
		cb_die(CB_EXIT_RUNFAIL, "internal error: %s", why);
	if (argc < 2) {
		cb_error("no command given (expected %s; see 'concbench --help')", command_list());
		return CB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		/* "help CMD" and "--help CMD" are "CMD --help"; "help help" is this usage. */
		if (argc >= 3 && strcmp(argv[2], "--help") != 0 && strcmp(argv[2], "-h") != 0 &&
		    strcmp(argv[2], "help") != 0) {
			char *av[] = { argv[0], argv[2], "--help", NULL };
			if (argv[2][0] == '-' && argc <= 4) {
				rc = help_generate(argv[2], argc == 4 ? argv[3] : NULL);
				if (rc >= 0)
					return rc;
			}
			if (argc > 3) {
				cb_error("help: expected one command, got '%s' after '%s'", argv[3],
					 argv[2]);
				return CB_EXIT_USAGE;
			}
			for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
				if (strcmp(argv[2], commands[i].name) == 0)
					return commands[i].topology && topo_load_spec(NULL) < 0
					       ? CB_EXIT_RUNFAIL : commands[i].fn(3, av);
			cb_error("help: '%s' is not a concbench command (expected %s)", argv[2],
				 command_list());
			return CB_EXIT_USAGE;
		}
		usage();
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
		if (commands[i].fn == cmd_compare || commands[i].fn == cmd_topo ||
		    commands[i].fn == cmd_explain)
			signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);  /* nothing to clean up */
		rc = commands[i].fn(argc, argv);
		topo_release();
		/* A report nobody could read is a failed run (a full disk); a reader that left
		 * (`| head`) wanted no more, and the command's status stands. */
		if ((fflush(stdout) == EOF || ferror(stdout)) && rc == 0 && !cb_reader_gone(stdout)) {
			cb_error("cannot write to standard output: %s", strerror(errno));
			rc = CB_EXIT_RUNFAIL;
		}
		return rc;
	}
	cb_error("'%s' is not a concbench command (expected %s; see 'concbench --help')", argv[1],
		 command_list());
	return CB_EXIT_USAGE;
}
