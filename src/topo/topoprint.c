/* SPDX-License-Identifier: MIT */
/* topoprint: the loaded topology as text or JSON, and placement plans as a table or JSON.
 *
 * Every fact printed comes from the hwloc topology topo.c loaded; the plans are topo.c's. */
#define _GNU_SOURCE
#include "topo/topoprint.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "base/jsonb.h"
#include "base/util.h"

/* ---- JSON pieces ---- */

/* The OS indexes of a cpuset's PUs, ascending. */
static cJSON *cpuset_json(struct jsonb *b, hwloc_const_bitmap_t set)
{
	cJSON *a = jsonb_chk(b, cJSON_CreateArray());
	unsigned i;
	if (!a || !set)
		return a;
	hwloc_bitmap_foreach_begin(i, set)
		jsonb_push(b, a, cJSON_CreateNumber(i));
	hwloc_bitmap_foreach_end();
	return a;
}

static void place_json(struct jsonb *b, cJSON *o, const struct topo_place *pl)
{
	jsonb_add_index(b, o, "pu_os_index", pl->pu);
	jsonb_add_index(b, o, "core", pl->core);
	jsonb_add_index(b, o, "package", pl->package);
	jsonb_add_index(b, o, "numa", pl->numa);
}

/* Plan n workers under p (topo_plan) into a new array of n; NULL when memory runs out. */
static int *plan_new(enum bind_policy p, unsigned n, int *rc)
{
	int *pus = malloc((n ? n : 1) * sizeof(*pus));
	*rc = pus ? topo_plan(p, n, pus) : -ENOMEM;
	if (*rc < 0) {
		free(pus);
		return NULL;
	}
	return pus;
}

int topo_plan_json(struct jsonb *b, enum bind_policy p, unsigned n, cJSON **out)
{
	int rc;
	int *pus = plan_new(p, n, &rc);
	cJSON *a;

	*out = NULL;
	if (!pus)
		return rc;
	a = jsonb_chk(b, cJSON_CreateArray());
	for (unsigned k = 0; a && k < n; k++) {
		struct topo_place pl;
		cJSON *o = jsonb_chk(b, cJSON_CreateObject());
		topo_pu_place(pus[k], &pl);
		jsonb_add_num(b, o, "worker", k);
		place_json(b, o, &pl);
		jsonb_push(b, a, o);
	}
	free(pus);
	*out = a;
	return 0;
}

/* ---- facts ---- */

static int nb(hwloc_topology_t t, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(t, type);
	return n > 0 ? n : 0;
}

/* Number of CPU kinds worth showing: only a machine with more than one has them. */
static int kinds_shown(hwloc_topology_t t)
{
	int n = hwloc_cpukinds_get_nr(t, 0);
	return n > 1 ? n : 0;
}

static int max_pus_per_core(hwloc_topology_t t)
{
	int m = 0;
	hwloc_obj_t c = NULL;
	while ((c = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_CORE, c))) {
		int w = hwloc_bitmap_weight(c->cpuset);
		if (w > m)
			m = w;
	}
	return m;
}

static void fmt_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	double x = (double)v;
	while (x >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		x /= 1024;
		u++;
	}
	if (x == floor(x))
		cb_fmt(buf, len, "%.0f %s", x, unit[u]);
	else
		cb_fmt(buf, len, "%.2f %s", x, unit[u]);
}

/* The cache types hwloc knows, largest level first. */
static const hwloc_obj_type_t cache_types[] = {
	HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L2CACHE,
	HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L2ICACHE, HWLOC_OBJ_L1ICACHE,
};

static const char *cache_kind(hwloc_obj_t o)
{
	switch (o->attr->cache.type) {
	case HWLOC_OBJ_CACHE_DATA: return "data";
	case HWLOC_OBJ_CACHE_INSTRUCTION: return "instruction";
	default: return "unified";
	}
}

/* ---- text ---- */

struct row {
	const char *what;
	char l[16], p[16], size[32];
	char *pus;
	const char *extra;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void rows_add(struct rows *r, const char *what, hwloc_obj_t o, int show_os,
		     uint64_t bytes, const char *extra)
{
	struct row *x;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct row *nv = realloc(r->v, cap * sizeof(*nv));
		if (!nv)
			return;
		r->v = nv;
		r->cap = cap;
	}
	x = &r->v[r->n];
	memset(x, 0, sizeof(*x));
	x->what = what;
	cb_fmt(x->l, sizeof(x->l), "%u", o->logical_index);
	if (show_os && o->os_index != HWLOC_UNKNOWN_INDEX)
		cb_fmt(x->p, sizeof(x->p), "%u", o->os_index);
	if (bytes)
		fmt_bytes(x->size, sizeof(x->size), bytes);
	if (hwloc_bitmap_list_asprintf(&x->pus, o->cpuset) < 0)
		x->pus = NULL;
	x->extra = extra;
	r->n++;
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].pus);
	free(r->v);
}

static void cache_name(char *buf, size_t len, hwloc_obj_t o)
{
	if (hwloc_obj_type_snprintf(buf, len, o, 0) < 0)
		cb_fmt(buf, len, "L%u", o->attr->cache.depth);
}

/* Which hwloc: the library that discovered this machine records its own release in the
 * root object ("hwlocVersion"); hwloc_get_api_version() is the API's, which a release
 * without API changes keeps (2.9.0 says 2.8.0). An XML file's root says its exporter's, if
 * anything, so there the API and the headers built against are what is known. */
static void hwloc_versions(hwloc_topology_t t, char *buf, size_t len, const char **library)
{
	char api[32];
	*library = topo_is_this_system() ?
		   hwloc_obj_get_info_by_name(hwloc_get_root_obj(t), "hwlocVersion") : NULL;
	topo_hwloc_version(api, sizeof(api));
	if (*library)
		cb_fmt(buf, len, "hwloc %s, API %s", *library, api);
	else
		cb_fmt(buf, len, "hwloc API %s, headers %s", api, HWLOC_VERSION);
}

void topo_print_text(FILE *f)
{
	hwloc_topology_t t = topo_hwloc();
	struct rows r = { 0 };
	char hv[96], names[ARRAY_SIZE(cache_types)][16];
	const char *library;
	int npkg, nnuma, ncore, npu, smt, nkinds;
	size_t wp = 3;
	hwloc_obj_t o;
	unsigned i;

	if (!t)
		return;
	hwloc_versions(t, hv, sizeof(hv), &library);
	npkg = nb(t, HWLOC_OBJ_PACKAGE);
	nnuma = nb(t, HWLOC_OBJ_NUMANODE);
	ncore = nb(t, HWLOC_OBJ_CORE);
	npu = nb(t, HWLOC_OBJ_PU);
	smt = max_pus_per_core(t);
	nkinds = kinds_shown(t);
	fprintf(f, "topology: %s (%s)\n", topo_source(), hv);
	fprintf(f, "%d package%s, %d NUMA node%s, %d core%s, %d PU%s", npkg, npkg == 1 ? "" : "s",
		nnuma, nnuma == 1 ? "" : "s", ncore, ncore == 1 ? "" : "s", npu, npu == 1 ? "" : "s");
	if (smt > 1)
		fprintf(f, " (SMT: up to %d PUs per core)", smt);
	else if (ncore)
		fprintf(f, " (no SMT)");
	fprintf(f, ", %u allowed", topo_pus());
	if (nkinds)
		fprintf(f, ", %d CPU kinds", nkinds);
	fprintf(f, "\n\n");

	for (o = NULL; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, o));)
		rows_add(&r, "package", o, 1, 0, hwloc_obj_get_info_by_name(o, "CPUModel"));
	for (o = NULL; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, o));)
		rows_add(&r, "numa", o, 1, o->attr->numanode.local_memory, o->subtype);
	for (size_t c = 0; c < ARRAY_SIZE(cache_types); c++) {
		names[c][0] = 0;
		for (o = NULL; (o = hwloc_get_next_obj_by_type(t, cache_types[c], o));) {
			if (!names[c][0])
				cache_name(names[c], sizeof(names[c]), o);
			rows_add(&r, names[c], o, 0, o->attr->cache.size, NULL);
		}
	}
	for (o = NULL; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_CORE, o));)
		rows_add(&r, "core", o, 1, 0, NULL);
	for (size_t k = 0; k < r.n; k++)
		if (r.v[k].pus && strlen(r.v[k].pus) > wp)
			wp = strlen(r.v[k].pus);
	if (wp > 48)
		wp = 48;
	fprintf(f, "%-8s %4s %4s  %-10s %s\n", "object", "L#", "P#", "size", "PUs");
	for (size_t k = 0; k < r.n; k++) {
		const struct row *x = &r.v[k];
		fprintf(f, "%-8s %4s %4s  %-10s %-*s%s%s\n", x->what, x->l, x->p[0] ? x->p : "-",
			x->size[0] ? x->size : "-", x->extra ? (int)wp : 0, x->pus ? x->pus : "?",
			x->extra ? "  " : "", x->extra ? x->extra : "");
	}
	rows_free(&r);

	/* One line per PU, in OS index order: where it is and who shares its core. */
	fprintf(f, "\n%4s %4s %5s %8s %5s  %s\n", "PU", "L#", "core", "package", "numa",
		nkinds ? "siblings     kind" : "siblings");
	hwloc_bitmap_foreach_begin(i, hwloc_topology_get_topology_cpuset(t)) {
		struct topo_place pl;
		hwloc_obj_t pu = topo_pu_obj((int)i);
		hwloc_obj_t core = pu ? hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu) : NULL;
		char sib[128] = "-", cell[4][16], line[256];
		if (!pu || topo_pu_place((int)i, &pl) < 0)
			continue;
		if (core && hwloc_bitmap_weight(core->cpuset) > 1) {
			hwloc_bitmap_t s = hwloc_bitmap_dup(core->cpuset);
			if (s) {
				hwloc_bitmap_clr(s, i);
				hwloc_bitmap_list_snprintf(sib, sizeof(sib), s);
				hwloc_bitmap_free(s);
			}
		}
		cb_fmt(cell[0], sizeof(cell[0]), pl.core >= 0 ? "%d" : "-", pl.core);
		cb_fmt(cell[1], sizeof(cell[1]), pl.package >= 0 ? "%d" : "-", pl.package);
		cb_fmt(cell[2], sizeof(cell[2]), pl.numa >= 0 ? "%d" : "-", pl.numa);
		cb_fmt(cell[3], sizeof(cell[3]), pl.kind >= 0 ? "%d" : "-", pl.kind);
		cb_fmt(line, sizeof(line), "%4u %4d %5s %8s %5s  %-12s %-4s %s", i, pl.pu_index,
		       cell[0], cell[1], cell[2], sib, nkinds ? cell[3] : "",
		       topo_pu_allowed((int)i) ? "" : "not allowed");
		for (size_t e = strlen(line); e && line[e - 1] == ' '; e--)
			line[e - 1] = 0;
		fprintf(f, "%s\n", line);
	}
	hwloc_bitmap_foreach_end();

	if (nkinds) {
		hwloc_bitmap_t set = hwloc_bitmap_alloc();
		fprintf(f, "\nCPU kinds (a higher efficiency means a faster, less frugal core)\n");
		fprintf(f, "%4s %10s  %-12s %s\n", "kind", "efficiency", "PUs", "infos");
		for (int k = 0; set && k < nkinds; k++) {
			int eff = -1;
			unsigned ninfo = 0;
			struct hwloc_info_s *info = NULL;
			char pus[128], e[16];
			if (hwloc_cpukinds_get_info(t, (unsigned)k, set, &eff, &ninfo, &info, 0) < 0)
				continue;
			hwloc_bitmap_list_snprintf(pus, sizeof(pus), set);
			cb_fmt(e, sizeof(e), eff >= 0 ? "%d" : "unknown", eff);
			fprintf(f, "%4d %10s  %-12s", k, e, pus);
			for (unsigned j = 0; j < ninfo; j++)
				fprintf(f, " %s=%s", info[j].name, info[j].value);
			fprintf(f, "\n");
		}
		hwloc_bitmap_free(set);
	}
}

/* ---- JSON ---- */

static cJSON *obj_json(struct jsonb *b, hwloc_obj_t o, int os)
{
	cJSON *j = jsonb_chk(b, cJSON_CreateObject());
	jsonb_add_num(b, j, "index", o->logical_index);
	if (os)
		jsonb_add_num(b, j, "os_index",
			      o->os_index == HWLOC_UNKNOWN_INDEX ? NAN : o->os_index);
	jsonb_item(b, j, "pus", cpuset_json(b, o->cpuset));
	return j;
}

cJSON *topo_json(void)
{
	hwloc_topology_t t = topo_hwloc();
	struct jsonb b = { 0 };
	cJSON *doc, *sum, *a;
	hwloc_obj_t o;
	char hv[32], allowed[512];
	unsigned i;
	int nkinds;

	if (!t)
		return NULL;
	doc = jsonb_chk(&b, cJSON_CreateObject());
	if (!doc)
		return NULL;
	topo_hwloc_version(hv, sizeof(hv));
	nkinds = kinds_shown(t);
	jsonb_add_str(&b, doc, "schema", TOPO_SCHEMA);
	jsonb_add_str(&b, doc, "source", topo_source());
	jsonb_add_bool(&b, doc, "this_system", topo_is_this_system());
	jsonb_add_str(&b, doc, "hwloc", hv);
	{
		/* "hwloc" is the API version (as reports record it); the release when known */
		char both[96];
		const char *library;
		hwloc_versions(t, both, sizeof(both), &library);
		if (library)
			jsonb_add_str(&b, doc, "hwloc_library", library);
	}
	sum = jsonb_chk(&b, cJSON_CreateObject());
	jsonb_add_num(&b, sum, "packages", nb(t, HWLOC_OBJ_PACKAGE));
	jsonb_add_num(&b, sum, "numa_nodes", nb(t, HWLOC_OBJ_NUMANODE));
	jsonb_add_num(&b, sum, "cores", nb(t, HWLOC_OBJ_CORE));
	jsonb_add_num(&b, sum, "pus", nb(t, HWLOC_OBJ_PU));
	jsonb_add_num(&b, sum, "allowed_pus", topo_pus());
	jsonb_add_num(&b, sum, "max_pus_per_core", max_pus_per_core(t));
	jsonb_add_num(&b, sum, "cpukinds", nkinds ? nkinds : 1);
	jsonb_item(&b, doc, "summary", sum);
	jsonb_add_str(&b, doc, "allowed",
	       topo_affinity_list(allowed, sizeof(allowed)) == 0 ? allowed : NULL);

	a = jsonb_chk(&b, cJSON_CreateArray());
	for (o = NULL; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, o));) {
		cJSON *j = obj_json(&b, o, 1);
		jsonb_add_str(&b, j, "cpu_model", hwloc_obj_get_info_by_name(o, "CPUModel"));
		jsonb_push(&b, a, j);
	}
	jsonb_item(&b, doc, "packages", a);

	a = jsonb_chk(&b, cJSON_CreateArray());
	for (o = NULL; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, o));) {
		cJSON *j = obj_json(&b, o, 1);
		jsonb_add_num(&b, j, "memory_bytes", (double)o->attr->numanode.local_memory);
		jsonb_add_str(&b, j, "subtype", o->subtype);
		jsonb_push(&b, a, j);
	}
	jsonb_item(&b, doc, "numa_nodes", a);

	a = jsonb_chk(&b, cJSON_CreateArray());
	for (size_t c = 0; c < ARRAY_SIZE(cache_types); c++)
		for (o = NULL; (o = hwloc_get_next_obj_by_type(t, cache_types[c], o));) {
			char name[16];
			cJSON *j = obj_json(&b, o, 0);
			cache_name(name, sizeof(name), o);
			jsonb_add_str(&b, j, "name", name);
			jsonb_add_num(&b, j, "level", o->attr->cache.depth);
			jsonb_add_str(&b, j, "type", cache_kind(o));
			jsonb_add_num(&b, j, "size_bytes", (double)o->attr->cache.size);
			jsonb_add_num(&b, j, "line_bytes",
				      o->attr->cache.linesize ? o->attr->cache.linesize : NAN);
			jsonb_add_num(&b, j, "associativity", o->attr->cache.associativity > 0 ?
			       o->attr->cache.associativity : NAN);
			jsonb_push(&b, a, j);
		}
	jsonb_item(&b, doc, "caches", a);

	a = jsonb_chk(&b, cJSON_CreateArray());
	for (o = NULL; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_CORE, o));) {
		cJSON *j = obj_json(&b, o, 1);
		hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, o);
		jsonb_add_index(&b, j, "package", pkg ? (int)pkg->logical_index : -1);
		jsonb_push(&b, a, j);
	}
	jsonb_item(&b, doc, "cores", a);

	a = jsonb_chk(&b, cJSON_CreateArray());
	hwloc_bitmap_foreach_begin(i, hwloc_topology_get_topology_cpuset(t)) {
		struct topo_place pl;
		hwloc_obj_t pu = topo_pu_obj((int)i), core;
		cJSON *j, *sib;
		if (!pu || topo_pu_place((int)i, &pl) < 0)
			continue;
		j = jsonb_chk(&b, cJSON_CreateObject());
		jsonb_add_num(&b, j, "os_index", i);
		jsonb_add_num(&b, j, "index", pl.pu_index);
		jsonb_add_index(&b, j, "core", pl.core);
		jsonb_add_index(&b, j, "package", pl.package);
		jsonb_add_index(&b, j, "numa", pl.numa);
		core = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu);
		sib = jsonb_chk(&b, cJSON_CreateArray());
		if (core && sib) {
			unsigned s;
			hwloc_bitmap_foreach_begin(s, core->cpuset)
				if (s != i)
					jsonb_push(&b, sib, cJSON_CreateNumber(s));
			hwloc_bitmap_foreach_end();
		}
		jsonb_item(&b, j, "siblings", sib);
		jsonb_add_index(&b, j, "kind", nkinds ? pl.kind : -1);
		jsonb_add_bool(&b, j, "allowed", topo_pu_allowed((int)i));
		jsonb_push(&b, a, j);
	}
	hwloc_bitmap_foreach_end();
	jsonb_item(&b, doc, "pus", a);

	a = jsonb_chk(&b, cJSON_CreateArray());
	{
		hwloc_bitmap_t set = hwloc_bitmap_alloc();
		if (!set)
			b.failed = 1;
		for (int k = 0; set && k < nkinds; k++) {
			int eff = -1;
			unsigned ninfo = 0;
			struct hwloc_info_s *info = NULL;
			cJSON *j, *inf;
			if (hwloc_cpukinds_get_info(t, (unsigned)k, set, &eff, &ninfo, &info, 0) < 0)
				continue;
			j = jsonb_chk(&b, cJSON_CreateObject());
			jsonb_add_num(&b, j, "index", k);
			jsonb_add_index(&b, j, "efficiency", eff);
			jsonb_item(&b, j, "pus", cpuset_json(&b, set));
			inf = jsonb_chk(&b, cJSON_CreateObject());
			for (unsigned x = 0; inf && x < ninfo; x++)
				jsonb_add_str(&b, inf, info[x].name, info[x].value);
			jsonb_item(&b, j, "infos", inf);
			jsonb_push(&b, a, j);
		}
		hwloc_bitmap_free(set);
	}
	jsonb_item(&b, doc, "cpukinds", a);
	return jsonb_finish(&b, doc);
}

/* ---- plans ---- */

int topo_print_plan(FILE *f, enum bind_policy p, unsigned n)
{
	int kinds = kinds_shown(topo_hwloc()), rc;
	int *pus = plan_new(p, n, &rc);
	if (!pus)
		return rc;
	if (p == BIND_NONE) {
		fprintf(f, "%u worker%s, --bind none: the scheduler places them on the %u allowed "
			"PUs\n", n, n == 1 ? "" : "s", topo_pus());
		free(pus);
		return 0;
	}
	fprintf(f, "%u worker%s, --bind %s:\n", n, n == 1 ? "" : "s", bind_policy_name(p));
	fprintf(f, "%8s %5s %5s %8s %5s%s\n", "worker", "PU", "core", "package", "numa",
		kinds ? "  kind" : "");
	for (unsigned k = 0; k < n; k++) {
		struct topo_place pl;
		char c[4][16];
		topo_pu_place(pus[k], &pl);
		cb_fmt(c[0], sizeof(c[0]), pl.core >= 0 ? "%d" : "-", pl.core);
		cb_fmt(c[1], sizeof(c[1]), pl.package >= 0 ? "%d" : "-", pl.package);
		cb_fmt(c[2], sizeof(c[2]), pl.numa >= 0 ? "%d" : "-", pl.numa);
		cb_fmt(c[3], sizeof(c[3]), pl.kind >= 0 ? "  %4d" : "     -", pl.kind);
		fprintf(f, "%8u %5d %5s %8s %5s%s\n", k, pl.pu, c[0], c[1], c[2], kinds ? c[3] : "");
	}
	free(pus);
	return 0;
}
