/* SPDX-License-Identifier: MIT */
/* topocmd: `concbench topo` (the loaded topology as text or JSON, or a placement plan) and
 * the plan that workload commands print instead of running on a topology that is not this
 * machine's.
 *
 * Indexes follow topo.h: PUs by OS index, cores, packages, NUMA nodes and caches by logical
 * index (the OS indexes of packages and NUMA nodes are listed beside them). */
#ifndef CONCBENCH_TOPOCMD_H
#define CONCBENCH_TOPOCMD_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "topo.h"

#define TOPO_SCHEMA "concbench-topology/1"
#define PLAN_SCHEMA "concbench-plan/1"

/* The `topo` command. Returns an exit status. */
int cmd_topo(int argc, char **argv);
void topocmd_usage(void);

/* A workload command's config on a topology that is not this machine's: print the plan of
 * every worker count (text, or JSON with --format json) and run nothing. Returns an exit
 * status. */
int topocmd_print_plans(const struct config *c);

/* The loaded topology as text, and as a JSON object (NULL when memory runs out) built with
 * jsonb.h: print it; to read it in-process, print and parse it first. */
void topocmd_text(FILE *f);
cJSON *topocmd_json(void);
/* Plan n workers under p, then print the plan as a table. Returns 0 or topo_plan's error. */
int topocmd_plan_text(FILE *f, enum bind_policy p, unsigned n);

#endif
