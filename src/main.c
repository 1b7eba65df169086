/* SPDX-License-Identifier: MIT */
/* concbench: the command table and dispatch, nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "plot.h"
#include "registry.h"
#include "render.h"
#include "report.h"
#include "reportcmd.h"
#include "run.h"
#include "topo.h"
#include "util.h"

#ifndef CB_VERSION
#define CB_VERSION "unknown"
#endif
#ifndef CB_GIT
#define CB_GIT "unknown"
#endif

#define SUITE_DEFAULT_OUTPUT "results/latest.json"

static int cmd_run(int argc, char **argv)
{
	struct config c;
	struct run_set rs = { 0 };
	cJSON *doc = NULL;
	int rc;

	if (cli_parse(argc, argv, topo_pus(), &c) < 0)
		return CB_EXIT_USAGE;
	if (c.help) {
		cli_usage(c.command);
		return 0;
	}
	if (!c.wl && !c.output)
		c.output = SUITE_DEFAULT_OUTPUT;
	if (!c.wl && strcmp(c.output, SUITE_DEFAULT_OUTPUT) == 0 && mkdir("results", 0777) < 0 &&
	    errno != EEXIST) {
		cb_error("cannot create the directory 'results' for the suite's report: %s",
			 strerror(errno));
		return CB_EXIT_USAGE;
	}
	if (run_fault_from_env() < 0) {
		cb_error("CONCBENCH_TEST_FAULT: expected EXECUTOR:crash:TASK or EXECUTOR:hang:TASK");
		return CB_EXIT_USAGE;
	}
	rc = run_config(&c, &rs);
	if (rc) {
		run_set_free(&rs);
		return rc;
	}
	doc = report_build(&c, &rs);
	if (!doc) {
		cb_error("out of memory while building the report");
		run_set_free(&rs);
		return CB_EXIT_RUNFAIL;
	}
	if (c.output && report_write(doc, c.output) < 0)
		rc = CB_EXIT_RUNFAIL;
	if (!rc && c.format == FMT_JSON) {
		char *text = cJSON_Print(doc);
		if (text)
			printf("%s\n", text);
		free(text);
	} else if (!rc && !c.quiet) {
		render_reports(stdout, &doc, 1, c.format == FMT_MARKDOWN ? RENDER_MARKDOWN :
						c.format == FMT_CSV ? RENDER_CSV : RENDER_TABLE);
		if (c.output)
			printf("report: %s\n", c.output);
	}
	if (!rc && c.plot && plot_reports(&doc, 1, c.plot) < 0)
		rc = CB_EXIT_RUNFAIL;
	cJSON_Delete(doc);
	run_set_free(&rs);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	(void)argv;
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
	       "  scatter  spread over packages, NUMA nodes and caches (hwloc_distrib)\n");
	return 0;
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "cpu", cmd_run },
	{ "io", cmd_run },
	{ "mem", cmd_run },
	{ "suite", cmd_run },
	{ "list", cmd_list },
	{ "report", cmd_report },
};

int main(int argc, char **argv)
{
	char why[200];
	int rc;

	if (registry_check(why, sizeof(why)) < 0)
		cb_die(CB_EXIT_RUNFAIL, "internal error: %s", why);
	if (argc < 2) {
		cb_error("no command given (expected cpu, io, mem, suite or list; see "
			 "'concbench --help')");
		return CB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cli_usage(argc >= 3 && strcmp(argv[1], "help") == 0 ? argv[2] : NULL);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("concbench %s (git %s)\n", CB_VERSION, CB_GIT);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (topo_load() < 0)
			cb_die(CB_EXIT_RUNFAIL, "cannot load the hwloc topology of this machine");
		run_install_signals();
		rc = commands[i].fn(argc, argv);
		topo_release();
		fflush(stdout);
		return rc;
	}
	cb_error("'%s' is not a concbench command (expected cpu, io, mem, suite or list; see "
		 "'concbench --help')", argv[1]);
	return CB_EXIT_USAGE;
}
