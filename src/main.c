/* SPDX-License-Identifier: MIT */
/* concbench: the command table and dispatch, nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "compare.h"
#include "cores.h"
#include "plot.h"
#include "registry.h"
#include "render.h"
#include "report.h"
#include "reportcmd.h"
#include "run.h"
#include "topo.h"
#include "topocmd.h"
#include "util.h"

#define SUITE_DEFAULT_OUTPUT "results/latest.json"
#define MAX_SHOWN_WARNINGS 8

static int cmd_run(int argc, char **argv)
{
	struct config c;
	struct run_set rs = { 0 };
	cJSON *doc = NULL, *parsed;
	char *text;
	int rc;

	if (cli_parse(argc, argv, topo_pus(), &c) < 0)
		return CB_EXIT_USAGE;
	if (c.help) {
		cli_usage(c.command);
		return 0;
	}
	if (!topo_is_this_system())
		return topocmd_print_plans(&c);     /* --topology elsewhere: plan, run nothing */
	if (!c.wl && !c.output)
		c.output = SUITE_DEFAULT_OUTPUT;
	if (!c.wl && strcmp(c.output, SUITE_DEFAULT_OUTPUT) == 0 && mkdir("results", 0777) < 0 &&
	    errno != EEXIST) {
		cb_error("cannot create the directory 'results' for the suite's report: %s",
			 strerror(errno));
		return CB_EXIT_USAGE;
	}
	/* The suite's default output gets the checks an --output gets when parsed. */
	if (!c.wl && strcmp(c.output, SUITE_DEFAULT_OUTPUT) == 0 && !c.dry_run &&
	    path_check_writable("--output", c.output) < 0)
		return CB_EXIT_USAGE;
	if (run_fault_from_env() < 0) {
		cb_error("CONCBENCH_TEST_FAULT: expected EXECUTOR:crash:TASK or EXECUTOR:hang:TASK");
		return CB_EXIT_USAGE;
	}
	if (c.dry_run)
		return run_dry(&c);
	rc = run_config(&c, &rs);
	if (rc) {
		run_set_free(&rs);
		return rc;
	}
	/* Warnings on stderr (docs/measurement.md), the first few; all of them are in the report. */
	if (!c.quiet) {
		for (size_t i = 0; i < rs.nwarnings && i < MAX_SHOWN_WARNINGS; i++)
			cb_warn("%s", rs.warnings[i]);
		if (rs.nwarnings > MAX_SHOWN_WARNINGS)
			cb_warn("%zu more in the report's \"warnings\"",
				rs.nwarnings - MAX_SHOWN_WARNINGS);
	}
	doc = report_build(&c, &rs);
	text = doc ? cJSON_Print(doc) : NULL;
	/* Everything shown is rendered from the document as written, parsed back. */
	parsed = text ? cJSON_Parse(text) : NULL;
	if (!parsed) {
		cb_error("out of memory while building the report");
		free(text);
		cJSON_Delete(doc);
		run_set_free(&rs);
		return CB_EXIT_RUNFAIL;
	}
	if (c.output && report_write(doc, c.output) < 0)
		rc = CB_EXIT_RUNFAIL;
	if (!rc && c.format == FMT_JSON) {
		printf("%s\n", text);
	} else if (!rc && !c.quiet) {
		render_reports(stdout, &parsed, 1, c.format == FMT_MARKDOWN ? RENDER_MARKDOWN :
						   c.format == FMT_CSV ? RENDER_CSV : RENDER_TABLE);
		if (c.output && c.format == FMT_TABLE)
			printf("report: %s\n", c.output);
	}
	if (!rc && c.plot && plot_reports(&parsed, 1, c.plot) < 0)
		rc = CB_EXIT_RUNFAIL;
	free(text);
	cJSON_Delete(parsed);
	cJSON_Delete(doc);
	run_set_free(&rs);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		printf("usage: concbench list\n\nthe workloads and their options, the executors "
		       "and the binding policies\n");
		return 0;
	}
	if (argc > 2) {
		cb_error("list: takes no arguments, got '%s'", argv[2]);
		return CB_EXIT_USAGE;
	}
	printf("workloads:\n");
	for (size_t i = 0; i < cb_nworkloads; i++) {
		const struct workload *w = cb_workloads[i];
		char why[200] = "";
		int ok = !w->supported || w->supported(why, sizeof(why)) == 0;
		printf("  %-8s %s%s%s\n", w->name, w->summary, ok ? "" : " [skipped: ", ok ? "" : why);
		for (size_t j = 0; j < w->noptions; j++)
			printf("  %-8s   --%s: %s\n", "", w->options[j].name, w->options[j].help);
	}
	printf("executors:\n");
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		printf("  %-8s %s (%s address space, %s faults)\n", x->name, x->summary,
		       x->flags & EX_SHARED_ADDRESS_SPACE ? "shared" : "separate",
		       x->flags & EX_ISOLATED_FAULTS ? "isolated" : "shared");
	}
	printf("bindings:\n  none     the scheduler decides\n"
	       "  compact  one PU per core, cores in topology order, then second PUs\n"
	       "  scatter  spread over packages, NUMA nodes and caches (hwloc_distrib)\n"
	       "  smt      both hardware threads of a core before the next core\n"
	       "  CPUSET   the PUs of an explicit cpuset, e.g. 0-3,8 or 0xf, in topology order\n");
	return 0;
}

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
