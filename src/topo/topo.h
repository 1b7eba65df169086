/* SPDX-License-Identifier: MIT */
/* topo: the hwloc topology, machine facts for workload defaults, binding plans, and the
 * binding and memory placement calls pools make.
 *
 * The topology is loaded once, before any worker is created; forked workers inherit it.
 * It is this machine's, or one read from an XML export or a synthetic description
 * (--topology): such a topology can be planned for but never bound to, so every binding
 * call is a no-op on it (topo_is_this_system() says which).
 *
 * A plan is one PU per worker, computed from the topology, never from /proc.
 * Plans only use the allowed PUs: this process's affinity mask on this machine, the
 * topology's allowed cpuset on a loaded one. "Topology order" is hwloc's logical order.
 * Indexes of cores, packages and NUMA nodes are logical (L#); PUs are named by their OS
 * index (P#), the number sched_getcpu() and taskset use. */
#ifndef CONCBENCH_TOPO_H
#define CONCBENCH_TOPO_H

#include <stddef.h>

#include "core/workload.h"

struct hwloc_topology;
struct hwloc_obj;

enum bind_policy {
	BIND_NONE,      /* the scheduler decides */
	BIND_COMPACT,   /* one PU per core, cores in topology order, then the cores' next PUs */
	BIND_SCATTER,   /* spread over packages, NUMA nodes and caches: hwloc_distrib's order */
	BIND_SMT,       /* every PU of a core before the next core */
	BIND_CPUSET,    /* the PUs of an explicit cpuset, in topology order */
};

/* The largest topology concbench loads: PUs, children of one object in a synthetic
 * description, objects, and bytes of XML. hwloc's time to build a synthetic topology grows
 * much faster than its size: at these bounds it takes seconds (pack:64 core:256 pu:1: 4.5 s
 * on a 2-vCPU VM), at twice as many PUs or a wider level minutes (pack:32768 pu:1 never
 * finishes). Beyond them topo_load_spec fails with -E2BIG before hwloc builds anything
 * (a synthetic description) or right after reading it (XML). */
#define TOPO_MAX_PUS 16384
#define TOPO_MAX_ARITY 256
#define TOPO_MAX_OBJECTS 65536    /* 4 x TOPO_MAX_PUS */
#define TOPO_MAX_XML_BYTES (256 << 20)

/* Load this machine's topology. Returns 0 or a negative errno. */
int topo_load(void);
/* Load a topology: NULL for this machine's, "synthetic:DESCRIPTION" for hwloc's synthetic
 * syntax (surrounding double quotes are dropped), anything else is an XML file. Replaces a
 * topology already loaded. Returns 0, or a negative errno with topo_load_error() saying why
 * (-ENOENT, -EISDIR, -EACCES for the file, -EINVAL for what hwloc rejects or an XML file
 * that is not UTF-8, -E2BIG for a topology over the bounds above). */
int topo_load_spec(const char *spec);
const char *topo_load_error(void);
void topo_release(void);
/* 1 when the loaded topology is this machine's (binding and running make sense), else 0. */
int topo_is_this_system(void);
/* What was loaded: "this machine", "synthetic:..." or the XML path. */
const char *topo_source(void);
/* The loaded hwloc topology (NULL before topo_load), for the topology printers. */
struct hwloc_topology *topo_hwloc(void);

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
/* The allowed PUs' OS indexes in topology order: writes up to max, returns how many there
 * are (which may be more than max). */
unsigned topo_allowed_pus(int *out, unsigned max);
/* The PU object with OS index pu, NULL when the topology has none (constant time). */
struct hwloc_obj *topo_pu_obj(int pu);
/* 1 when plans may use the PU with OS index pu, else 0. */
int topo_pu_allowed(int pu);

/* The policy's name; for BIND_CPUSET the cpuset as a list, "0-3,8". */
const char *bind_policy_name(enum bind_policy p);
/* Parse none, compact, scatter, smt, or a cpuset: a list such as 0-3,8 or hwloc's hex
 * bitmap such as 0xf. A cpuset is checked against the loaded topology (this machine's is
 * loaded when none is) and kept for BIND_CPUSET plans. Returns 0, or -EINVAL (not a policy
 * or cpuset), -ENODATA (empty cpuset), -ENOENT (PUs the topology does not have), -EPERM
 * (PUs this process may not use), with bind_policy_error() describing it in one line. */
int bind_policy_parse(const char *s, enum bind_policy *p);
const char *bind_policy_error(void);
/* How many workers a policy can place: the allowed PUs, or the cpuset's PUs. */
unsigned bind_policy_capacity(enum bind_policy p);

/* Plan n workers under p into pus[0..n): the OS index of the PU each worker is bound to,
 * -1 for every worker under none. topo keeps no plan: the caller owns pus and hands it to
 * the pool (struct pool_cfg). Returns 0, -ERANGE when the policy has fewer PUs than n
 * workers, or -ENOMEM. */
int topo_plan(enum bind_policy p, unsigned n, int *pus);
/* A one-worker plan on the PU with OS index pu (*pus = pu). Returns 0, -ENOENT or -EPERM. */
int topo_plan_single(int pu, int *pus);
/* Check a plan the caller chose: worker k on the PU with OS index pus[k] (cores: one PU,
 * or a pair). Returns 0, -ENOENT (no such PU) or -EPERM (one this process may not use). */
int topo_plan_check(const int *pus, unsigned n);

/* Where a PU is: logical indexes of its core, package and NUMA node, its CPU kind (hwloc's
 * cpukinds index, 0 the least efficient), -1 for each one that does not exist. */
struct topo_place {
	int pu;         /* OS index */
	int pu_index;   /* logical index */
	int core, package, numa, kind;
};
/* Returns 0 and fills *pl, or -ENOENT when the topology has no such PU. */
int topo_pu_place(int pu, struct topo_place *pl);

/* The type of the closest object two PUs (OS indexes) share, as hwloc names it: "Core",
 * "L3", "Package", "Machine"; "?" when the topology has neither. */
void topo_shared_level(int pa, int pb, char *buf, size_t len);

/* Memory placement of the data workers touch (--membind). local: first touch, by the
 * worker that uses the memory (the default, and what prepare() relies on); interleave:
 * pages spread round-robin over every NUMA node. */
enum membind_policy { MEMBIND_LOCAL, MEMBIND_INTERLEAVE };
int membind_parse(const char *s, enum membind_policy *p);
const char *membind_name(enum membind_policy p);
/* How a pool places fresh memory under p, before its first touch: NULL under local (first
 * touch places it), else a function that applies p to [addr, addr+len) and returns 0 or a
 * negative errno (a no-op with one NUMA node or on a topology that is not this machine's). */
wl_membind_fn *topo_membind(enum membind_policy p);

/* Bind the calling thread (process != 0: the whole calling process) to the PU with OS
 * index pu. Returns 0, -EXDEV on a topology that is not this machine's, -ENOENT, or the
 * binding call's negative errno. */
int topo_bind_pu(int pu, int process);

#endif
