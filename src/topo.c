/* SPDX-License-Identifier: MIT */
/* topo: hwloc topology, machine facts and per-worker binding plans. */
#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

static hwloc_topology_t topo;
static hwloc_bitmap_t allowed;      /* PUs this process may run on */
static hwloc_bitmap_t *plan;        /* one single-PU cpuset per worker, NULL under none */
static unsigned plan_n;

static void plan_free(void)
{
	for (unsigned k = 0; k < plan_n; k++)
		hwloc_bitmap_free(plan[k]);
	free(plan);
	plan = NULL;
	plan_n = 0;
}

int topo_load(void)
{
	if (topo)
		return 0;
	if (hwloc_topology_init(&topo) < 0)
		return -errno;
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		topo = NULL;
		return -EIO;
	}
	allowed = hwloc_bitmap_alloc();
	if (!allowed)
		return -ENOMEM;
	/* The affinity mask we were started with (taskset, cgroup cpusets) bounds every plan. */
	if (hwloc_get_cpubind(topo, allowed, HWLOC_CPUBIND_PROCESS) < 0 ||
	    hwloc_bitmap_iszero(allowed))
		hwloc_bitmap_copy(allowed, hwloc_topology_get_allowed_cpuset(topo));
	hwloc_bitmap_and(allowed, allowed, hwloc_topology_get_topology_cpuset(topo));
	return 0;
}

void topo_release(void)
{
	plan_free();
	hwloc_bitmap_free(allowed);
	allowed = NULL;
	if (topo)
		hwloc_topology_destroy(topo);
	topo = NULL;
}

unsigned topo_pus(void)
{
	int w = allowed ? hwloc_bitmap_weight(allowed) : -1;
	return w > 0 ? (unsigned)w : 1;
}

unsigned topo_cores(void)
{
	int n = topo ? hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) : 0;
	return n > 0 ? (unsigned)n : topo_pus();
}

unsigned topo_numa_nodes(void)
{
	int n = topo ? hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) : 0;
	return n > 0 ? (unsigned)n : 1;
}

const char *topo_cpu_model(void)
{
	hwloc_obj_t pkg;
	if (!topo)
		return NULL;
	pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
	return pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
}

int topo_affinity_list(char *buf, size_t len)
{
	if (!allowed || hwloc_bitmap_list_snprintf(buf, len, allowed) < 0)
		return -ENOENT;
	return 0;
}

void topo_hwloc_version(char *buf, size_t len)
{
	unsigned v = hwloc_get_api_version();
	snprintf(buf, len, "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

void topo_machine(struct machine *m)
{
	static const hwloc_obj_type_t caches[] = {
		HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L2CACHE,
		HWLOC_OBJ_L1CACHE,
	};
	memset(m, 0, sizeof(*m));
	m->pus = topo_pus();
	if (!topo)
		return;
	for (size_t i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		hwloc_obj_t c = hwloc_get_obj_by_type(topo, caches[i], 0);
		if (c && c->attr) {
			m->llc_bytes = c->attr->cache.size;
			break;
		}
	}
	m->mem_bytes = hwloc_get_root_obj(topo)->total_memory;
}

const char *bind_policy_name(enum bind_policy p)
{
	switch (p) {
	case BIND_COMPACT: return "compact";
	case BIND_SCATTER: return "scatter";
	default: return "none";
	}
}

int bind_policy_parse(const char *s, enum bind_policy *p)
{
	if (strcmp(s, "none") == 0)
		*p = BIND_NONE;
	else if (strcmp(s, "compact") == 0)
		*p = BIND_COMPACT;
	else if (strcmp(s, "scatter") == 0)
		*p = BIND_SCATTER;
	else
		return -EINVAL;
	return 0;
}

/* compact: one allowed PU per core, cores in topology order; then the cores' next PUs. */
static int plan_compact(unsigned n)
{
	int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	unsigned got = 0;

	for (unsigned round = 0; got < n; round++) {
		unsigned before = got;
		for (int c = 0; c < ncores && got < n; c++) {
			hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)c);
			hwloc_obj_t pu = NULL;
			unsigned seen = 0;
			while ((pu = hwloc_get_next_obj_inside_cpuset_by_type(topo, core->cpuset,
									    HWLOC_OBJ_PU, pu))) {
				if (!hwloc_bitmap_isset(allowed, pu->os_index))
					continue;
				if (seen++ == round) {
					plan[got] = hwloc_bitmap_dup(pu->cpuset);
					if (!plan[got])
						return -ENOMEM;
					got++;
					break;
				}
			}
		}
		if (got == before)
			return -ERANGE;    /* more workers than allowed PUs */
	}
	return 0;
}

static int plan_scatter(unsigned n)
{
	hwloc_obj_t root = hwloc_get_root_obj(topo);
	for (unsigned k = 0; k < n; k++)
		if (!(plan[k] = hwloc_bitmap_alloc()))
			return -ENOMEM;
	if (hwloc_distrib(topo, &root, 1, plan, n, INT_MAX, 0) < 0)
		return -EINVAL;
	for (unsigned k = 0; k < n; k++) {
		hwloc_bitmap_and(plan[k], plan[k], allowed);
		if (hwloc_bitmap_iszero(plan[k]))
			return -ERANGE;
		hwloc_bitmap_singlify(plan[k]);
	}
	return 0;
}

int topo_plan(enum bind_policy p, unsigned n)
{
	int rc;
	plan_free();
	if (p == BIND_NONE || !topo)
		return 0;
	if (n > topo_pus())
		return -ERANGE;
	plan = calloc(n, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	plan_n = n;
	rc = p == BIND_COMPACT ? plan_compact(n) : plan_scatter(n);
	if (rc < 0)
		plan_free();
	return rc;
}

int topo_plan_pu(unsigned k)
{
	return k < plan_n && plan[k] ? hwloc_bitmap_first(plan[k]) : -1;
}

int topo_bind_worker(unsigned k)
{
	if (k >= plan_n || !plan[k])
		return 0;
	if (hwloc_set_cpubind(topo, plan[k], HWLOC_CPUBIND_THREAD) < 0)
		return -errno;
	return 0;
}
