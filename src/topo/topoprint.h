/* SPDX-License-Identifier: MIT */
/* topoprint: the loaded topology as text or as a JSON object, and placement plans as a
 * table or as JSON. Used by `concbench topo`, by the planning-only output of workload
 * commands, and by the report (its "topology" detail).
 *
 * Indexes follow topo.h: PUs by OS index, cores, packages, NUMA nodes and caches by logical
 * index (the OS indexes of packages and NUMA nodes are listed beside them). */
#ifndef CONCBENCH_TOPOPRINT_H
#define CONCBENCH_TOPOPRINT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "topo/topo.h"

#define TOPO_SCHEMA "concbench-topology/1"
#define PLAN_SCHEMA "concbench-plan/1"

/* The loaded topology as text, and as a JSON object (NULL when memory runs out) built with
 * jsonb.h: print it; to read it in-process, print and parse it first. */
void topo_print_text(FILE *f);
cJSON *topo_json(void);
/* Plan n workers under p, then print the plan as a table. Returns 0 or topo_plan's error. */
int topo_print_plan(FILE *f, enum bind_policy p, unsigned n);
/* Plan n workers under p, then the plan as a JSON array of places (built with b) in *out:
 * {worker, pu_os_index, core, package, numa}, pu and the rest null under none. Returns 0,
 * or topo_plan's error with *out NULL. */
int topo_plan_json(struct jsonb *b, enum bind_policy p, unsigned n, cJSON **out);

#endif
