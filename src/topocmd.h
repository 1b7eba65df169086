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

/* The loaded topology as text, and as a JSON object (NULL when memory runs out). */
void topocmd_text(FILE *f);
cJSON *topocmd_json(void);
/* Plan n workers under p, then print the plan as a table. Returns 0 or topo_plan's error. */
int topocmd_plan_text(FILE *f, enum bind_policy p, unsigned n);

/* A cJSON builder with one failure flag, so that no failed allocation goes unnoticed: every
 * helper sets failed when cJSON returns NULL. */
struct tj {
	int failed;
};
cJSON *tj_chk(struct tj *b, cJSON *v);
void tj_num(struct tj *b, cJSON *o, const char *k, double v);      /* NaN, inf: null */
void tj_index(struct tj *b, cJSON *o, const char *k, int v);       /* negative: null */
void tj_str(struct tj *b, cJSON *o, const char *k, const char *v); /* NULL: null */
void tj_bool(struct tj *b, cJSON *o, const char *k, int v);
void tj_item(struct tj *b, cJSON *o, const char *k, cJSON *v);     /* NULL: failed */
cJSON *tj_ints(struct tj *b, const int *v, size_t n);
/* The plan array of n workers for the current plan: {worker, pu_os_index, core, package,
 * numa}, pu and the rest null under none. */
cJSON *tj_plan(struct tj *b, unsigned n);

#endif
