/* SPDX-License-Identifier: MIT */
/* topo: the hwloc topology, machine facts for workload defaults, binding plans and the
 * binding call workers make on themselves.
 *
 * The topology is loaded once, before any worker is created; forked workers inherit it.
 * A plan is one cpuset per worker, computed from the topology, never from /proc. */
#ifndef CONCBENCH_TOPO_H
#define CONCBENCH_TOPO_H

#include <stddef.h>

#include "workload.h"

enum bind_policy { BIND_NONE, BIND_COMPACT, BIND_SCATTER };

/* Load this machine's topology. Returns 0 or a negative errno. */
int topo_load(void);
void topo_release(void);
/* Processing units we may run on (the allowed cpuset), and other facts. */
void topo_machine(struct machine *m);
/* Short host facts for the report: cores, pus, numa nodes, CPU model (may be NULL). */
unsigned topo_cores(void);
unsigned topo_pus(void);
unsigned topo_numa_nodes(void);
const char *topo_cpu_model(void);
/* The affinity mask we started with, as a list ("0-3,8"). Returns 0 or -ENOENT. */
int topo_affinity_list(char *buf, size_t len);
/* hwloc's runtime API version, e.g. "2.9.0". */
void topo_hwloc_version(char *buf, size_t len);

const char *bind_policy_name(enum bind_policy p);
int bind_policy_parse(const char *s, enum bind_policy *p);

/* Make the plan for n workers: the following topo_bind_worker(k) calls bind to it, and
 * topo_plan_pu(k) gives the PU OS index planned (-1 under none). Returns 0 or -ENOMEM. */
int topo_plan(enum bind_policy p, unsigned n);
int topo_plan_pu(unsigned k);
/* Bind the calling thread (a worker, thread or process) to the plan's PU for worker k.
 * No-op under none. Returns 0 or a negative errno. */
int topo_bind_worker(unsigned k);

#endif
