/* SPDX-License-Identifier: MIT */
/* concbench list: the workloads and their options, the executors, the binding policies. */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/options.h"
#include "core/registry.h"

static void print_workload(const struct workload *w)
{
	char why[200] = "";
	int ok = !w->supported || w->supported(why, sizeof(why)) == 0;
	printf("  %-8s %s%s%s\n", w->name, w->summary, ok ? "" : " [skipped: ", ok ? "" : why);
	for (size_t j = 0; j < w->noptions; j++)
		printf("  %-8s   --%s: %s\n", "", w->options[j].name, w->options[j].help);
}

int cmd_list(int argc, char **argv)
{
	int rc = opts_parse(&opt_list, argc, argv, NULL);
	if (rc == 0) {
		printf("usage: concbench list\n\nthe workloads and their options, the executors "
		       "and the binding policies\n\n");
		opts_usage(&opt_list);
		return 0;
	}
	if (rc < 0)
		return CB_EXIT_USAGE;
	printf("workloads:\n");
	for (size_t i = 0; i < cb_nworkloads; i++)
		print_workload(cb_workloads[i]);
	/* Those only another command runs, after the workload commands. */
	for (size_t i = 0; i < cb_ninternal_workloads; i++)
		print_workload(cb_internal_workloads[i]);
	printf("executors:\n");
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		char why[256] = "";
		int ok = !x->supported || x->supported(why, sizeof(why)) == 0;
		printf("  %-8s %s (%s address space, %s faults)%s%s%s\n", x->name, x->summary,
		       x->flags & EX_SHARED_ADDRESS_SPACE ? "shared" : "separate",
		       x->flags & EX_ISOLATED_FAULTS ? "isolated" : "shared",
		       ok ? "" : " [not here: ", ok ? "" : why, ok ? "" : "]");
	}
	printf("bindings:\n  none     the scheduler decides\n"
	       "  compact  one PU per core, cores in topology order, then second PUs\n"
	       "  scatter  spread over packages, NUMA nodes and caches (hwloc_distrib)\n"
	       "  smt      both hardware threads of a core before the next core\n"
	       "  CPUSET   the PUs of an explicit cpuset, e.g. 0-3,8 or 0xf, in topology order\n");
	return 0;
}
