/* SPDX-License-Identifier: MIT */
/* topo: hwloc topology (this machine, XML or synthetic), machine facts and per-worker
 * binding plans.
 *
 * Every fact comes from hwloc's API: no /proc or sysfs parsing here. A plan is written into
 * the caller's array, once, before workers exist: nothing here says what is bound where. */
#define _GNU_SOURCE
#include "topo/topo.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>

#include "base/util.h"

/* Highest PU index a cpuset argument may name: keeps a typo from allocating a huge bitmap. */
#define CPUSET_MAX_PU 65535
#define CPUSET_MAX_PU_STR "65535"

static hwloc_topology_t topo;
static int this_system;
static char *source;                /* "this machine", "synthetic:..." or the XML path */
static hwloc_bitmap_t allowed;      /* PUs this process may run on */
static hwloc_bitmap_t bind_set;     /* the cpuset of BIND_CPUSET, checked when parsed */
static char bind_set_name[256];
static char load_why[512];
static hwloc_obj_t *pu_by_os;       /* PU objects by OS index: hwloc's lookup is a scan */
static unsigned pu_by_os_n;
static hwloc_obj_t *numa_of_pu;     /* the first NUMA node covering each PU, by OS index */
static char bind_why[512];

static void set_load_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_load_why(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(load_why, sizeof(load_why), fmt, ap);
	va_end(ap);
}

static void set_bind_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_bind_why(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(bind_why, sizeof(bind_why), fmt, ap);
	va_end(ap);
}

/* The synthetic description without the prefix, surrounding blanks and one pair of double
 * quotes (a shell that did not eat them, or a report's argv). Caller frees. */
static char *synthetic_desc(const char *s)
{
	size_t n;
	char *d;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* An upper bound of the objects a synthetic description makes, before hwloc makes them:
 * the product of the arities down to each level, summed over levels. Arities are the
 * numbers after "TYPE:" or standing alone; what is in parentheses (attributes) or
 * brackets (memory children) is skipped. *pus: the product of every level (the PUs).
 * Returns 0, or -E2BIG as soon as an arity passes TOPO_MAX_ARITY or the objects
 * TOPO_MAX_OBJECTS. */
static int synthetic_size(const char *d, uint64_t *pus, uint64_t *objs)
{
	uint64_t width = 1, total = 1;
	int depth = 0;
	const char *p = d;

	while (*p) {
		if (*p == '(' || *p == '[') {
			depth++;
			p++;
			continue;
		}
		if (*p == ')' || *p == ']') {
			depth -= depth > 0;
			p++;
			continue;
		}
		if (depth || isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		/* One level: TYPE:N, TYPE:N(...) or N. */
		{
			const char *tok = p, *colon = NULL;
			uint64_t n = 0;
			while (*p && !isspace((unsigned char)*p) && *p != '(' && *p != '[') {
				if (*p == ':' && !colon)
					colon = p;
				p++;
			}
			tok = colon ? colon + 1 : tok;
			if (!isdigit((unsigned char)*tok))
				continue;      /* hwloc judges it */
			while (isdigit((unsigned char)*tok) && n <= TOPO_MAX_OBJECTS)
				n = n * 10 + (uint64_t)(*tok++ - '0');
			if (n > TOPO_MAX_ARITY || (n && width > TOPO_MAX_OBJECTS / n))
				return -E2BIG;
			width *= n ? n : 1;
			total += width;
			if (total > TOPO_MAX_OBJECTS)
				return -E2BIG;
		}
	}
	*pus = width;
	*objs = total;
	return 0;
}

/* hwloc reads XML in UTF-8; one in UTF-16 (or with NUL bytes) may load as an empty or
 * wrong topology depending on hwloc's XML backend. Returns 0 when the start of the file
 * looks like UTF-8 XML, else -EINVAL with load_why set. */
static int xml_encoding_ok(const char *path)
{
	unsigned char buf[512];
	size_t n, i = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_load_why("%s", strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n >= 2 && ((buf[0] == 0xfe && buf[1] == 0xff) || (buf[0] == 0xff && buf[1] == 0xfe))) {
		set_load_why("it is UTF-16; hwloc XML must be UTF-8 (convert it with iconv, or "
			     "export it again with 'lstopo FILE.xml')");
		return -EINVAL;
	}
	if (memchr(buf, 0, n)) {
		set_load_why("it holds NUL bytes (UTF-16 or binary); hwloc XML must be UTF-8");
		return -EINVAL;
	}
	if (n >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
		i = 3;         /* the UTF-8 byte order mark */
	while (i < n && isspace(buf[i]))
		i++;
	if (i >= n || buf[i] != '<') {
		set_load_why("not an hwloc XML topology (export one with 'lstopo FILE.xml')");
		return -EINVAL;
	}
	return 0;
}

/* Configure t to read spec (NULL: nothing to configure). Returns 0 or a negative errno
 * with load_why set. */
static int configure_source(hwloc_topology_t t, const char *spec)
{
	struct stat st;

	if (!spec)
		return 0;
	if (strncmp(spec, "synthetic:", 10) == 0) {
		char *desc = synthetic_desc(spec + 10);
		int rc = 0;
		if (!desc) {
			set_load_why("out of memory");
			return -ENOMEM;
		}
		uint64_t pus = 0, objs = 0;
		if (!*desc) {
			set_load_why("the synthetic description is empty (expected e.g. "
				     "synthetic:\"pack:2 core:4 pu:2\")");
			rc = -EINVAL;
		} else if (synthetic_size(desc, &pus, &objs) < 0 || pus > TOPO_MAX_PUS) {
			set_load_why("the synthetic description '%s' is too large: concbench "
				     "accepts up to %d PUs, %d objects and %d children per object",
				     desc, TOPO_MAX_PUS, TOPO_MAX_OBJECTS, TOPO_MAX_ARITY);
			rc = -E2BIG;
		} else if (hwloc_topology_set_synthetic(t, desc) < 0) {
			set_load_why("hwloc rejects the synthetic description '%s' (expected "
				     "levels such as \"pack:2 numa:1 core:4 pu:2\")", desc);
			rc = -EINVAL;
		}
		free(desc);
		return rc;
	}
	if (!*spec) {
		set_load_why("expected an XML file or synthetic:DESCRIPTION");
		return -EINVAL;
	}
	if (stat(spec, &st) < 0) {
		int e = errno;
		set_load_why("%s", strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		set_load_why("it is a directory, not an XML file");
		return -EISDIR;
	}
	if (access(spec, R_OK) < 0) {
		int e = errno;
		set_load_why("%s", strerror(e));
		return -e;
	}
	if (st.st_size > TOPO_MAX_XML_BYTES) {
		set_load_why("%lld bytes is more than the %d MiB concbench reads",
			     (long long)st.st_size, TOPO_MAX_XML_BYTES >> 20);
		return -E2BIG;
	}
	if (!S_ISREG(st.st_mode)) {
		set_load_why("not a regular file");
		return -EINVAL;
	}
	if (xml_encoding_ok(spec) < 0)
		return -EINVAL;
	if (hwloc_topology_set_xml(t, spec) < 0) {
		set_load_why("not an hwloc XML topology (export one with 'lstopo FILE.xml')");
		return -EINVAL;
	}
	return 0;
}

/* The PUs plans may use: our affinity mask on this machine, the topology's allowed cpuset
 * on a loaded one; never a PU the topology does not have. */
static int compute_allowed(hwloc_topology_t t, int thissys, hwloc_bitmap_t out)
{
	hwloc_const_bitmap_t all = hwloc_topology_get_topology_cpuset(t);
	if (thissys) {
		/* The affinity mask we were started with (taskset, cgroup cpusets) bounds plans. */
		if (hwloc_get_cpubind(t, out, HWLOC_CPUBIND_PROCESS) < 0 || hwloc_bitmap_iszero(out))
			hwloc_bitmap_copy(out, hwloc_topology_get_allowed_cpuset(t));
	} else {
		hwloc_bitmap_copy(out, hwloc_topology_get_allowed_cpuset(t));
	}
	hwloc_bitmap_and(out, out, all);
	if (hwloc_bitmap_iszero(out))
		hwloc_bitmap_copy(out, all);
	return hwloc_bitmap_iszero(out) ? -ENOENT : 0;
}

/* Fill pu_by_os and numa_of_pu in one pass over the PUs and one over the NUMA nodes, so
 * that printing and planning stay linear in the PUs (hwloc_get_pu_obj_by_os_index and
 * hwloc_get_next_obj_covering_cpuset_by_type scan every object on each call). */
static int index_pus(hwloc_topology_t t)
{
	int last = hwloc_bitmap_last(hwloc_topology_get_topology_cpuset(t));
	unsigned n = last >= 0 ? (unsigned)last + 1 : 1;
	hwloc_obj_t o = NULL;

	pu_by_os = calloc(n, sizeof(*pu_by_os));
	numa_of_pu = calloc(n, sizeof(*numa_of_pu));
	if (!pu_by_os || !numa_of_pu)
		return -ENOMEM;
	pu_by_os_n = n;
	while ((o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PU, o)))
		if (o->os_index < n && !pu_by_os[o->os_index])
			pu_by_os[o->os_index] = o;
	/* NUMA nodes in logical order: the first to cover a PU is the one hwloc's covering
	 * lookup would return. */
	for (o = NULL; (o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, o));) {
		unsigned i;
		if (!o->cpuset)
			continue;
		hwloc_bitmap_foreach_begin(i, o->cpuset) {
			if (i >= n)
				break;
			if (!numa_of_pu[i])
				numa_of_pu[i] = o;
		}
		hwloc_bitmap_foreach_end();
	}
	return 0;
}

struct hwloc_obj *topo_pu_obj(int pu)
{
	return topo && pu >= 0 && (unsigned)pu < pu_by_os_n ? pu_by_os[pu] : NULL;
}

int topo_load_spec(const char *spec)
{
	hwloc_topology_t t = NULL;
	hwloc_bitmap_t al = NULL;
	char *src = NULL;
	int rc;

	load_why[0] = 0;
	if (hwloc_topology_init(&t) < 0) {
		set_load_why("cannot initialise hwloc");
		return -ENOMEM;
	}
	rc = configure_source(t, spec);
	if (rc < 0)
		goto fail;
	errno = 0;
	if (hwloc_topology_load(t) < 0) {
		rc = errno ? -errno : -EIO;
		set_load_why("hwloc cannot load it: %s", strerror(-rc));
		goto fail;
	}
	{
		int npu = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
		if (npu > TOPO_MAX_PUS || hwloc_bitmap_last(hwloc_topology_get_topology_cpuset(t)) >
		    CPUSET_MAX_PU) {
			set_load_why("it has %d PUs (or a PU numbered over %d); concbench accepts up "
				     "to %d", npu, CPUSET_MAX_PU, TOPO_MAX_PUS);
			rc = -E2BIG;
			goto fail;
		}
		if (npu < 1) {
			set_load_why("the topology has no processing unit");
			rc = -EINVAL;
			goto fail;
		}
	}
	al = hwloc_bitmap_alloc();
	src = strdup(spec ? spec : "this machine");
	if (!al || !src) {
		set_load_why("out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	rc = compute_allowed(t, hwloc_topology_is_thissystem(t), al);
	if (rc < 0) {
		set_load_why("the topology has no processing unit");
		goto fail;
	}
	topo_release();
	if (index_pus(t) < 0) {
		set_load_why("out of memory");
		free(src);
		hwloc_bitmap_free(al);
		hwloc_topology_destroy(t);
		return -ENOMEM;
	}
	topo = t;
	allowed = al;
	source = src;
	this_system = hwloc_topology_is_thissystem(t);
	return 0;
fail:
	free(src);
	hwloc_bitmap_free(al);
	hwloc_topology_destroy(t);
	return rc;
}

int topo_load(void)
{
	if (topo)
		return 0;
	return topo_load_spec(NULL) < 0 ? -EIO : 0;
}

const char *topo_load_error(void)
{
	return load_why[0] ? load_why : "unknown error";
}

void topo_release(void)
{
	hwloc_bitmap_free(bind_set);
	bind_set = NULL;
	bind_set_name[0] = 0;
	hwloc_bitmap_free(allowed);
	allowed = NULL;
	free(source);
	source = NULL;
	free(pu_by_os);
	free(numa_of_pu);
	pu_by_os = numa_of_pu = NULL;
	pu_by_os_n = 0;
	if (topo)
		hwloc_topology_destroy(topo);
	topo = NULL;
	this_system = 0;
}

int topo_is_this_system(void)
{
	return topo && this_system;
}

const char *topo_source(void)
{
	return source ? source : "this machine";
}

struct hwloc_topology *topo_hwloc(void)
{
	return topo;
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

unsigned topo_allowed_pus(int *out, unsigned max)
{
	unsigned n = 0;
	hwloc_obj_t pu = NULL;
	if (!topo)
		return 0;
	while ((pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu))) {
		if (!hwloc_bitmap_isset(allowed, pu->os_index))
			continue;
		if (n < max)
			out[n] = (int)pu->os_index;
		n++;
	}
	return n;
}

int topo_pu_allowed(int pu)
{
	return allowed && pu >= 0 && hwloc_bitmap_isset(allowed, (unsigned)pu);
}

/* ---- policies ---- */

const char *bind_policy_name(enum bind_policy p)
{
	switch (p) {
	case BIND_COMPACT: return "compact";
	case BIND_SCATTER: return "scatter";
	case BIND_SMT: return "smt";
	case BIND_CPUSET: return bind_set_name[0] ? bind_set_name : "cpuset";
	default: return "none";
	}
}

const char *bind_policy_error(void)
{
	return bind_why[0] ? bind_why : "unknown error";
}

/* One decimal PU number of a cpuset list at *p, without a leading zero (010 is not 8 as
 * octal, nor 10: it is refused), at most CPUSET_MAX_PU. Returns 0 and moves *p past it. */
static int cpuset_number(const char **p, unsigned long *out)
{
	const char *q = *p;
	unsigned long v = 0;
	if (!isdigit((unsigned char)*q) || (q[0] == '0' && isdigit((unsigned char)q[1])))
		return -EINVAL;
	for (; isdigit((unsigned char)*q); q++) {
		v = v * 10 + (unsigned long)(*q - '0');
		if (v > CPUSET_MAX_PU)
			return -ERANGE;
	}
	*p = q;
	*out = v;
	return 0;
}

/* A cpuset as a list (0-3,8), decimal only, into set (NULL: syntax only), or hwloc's hex
 * bitmap (0xf, 0x00000100,0x00000001), checked character by character first, since
 * hwloc's own parsers accept trailing garbage and read a list's numbers as C literals
 * (010 is 8, 08-88 is 0, 8 and -88). Returns 1 when well formed. */
static int cpuset_syntax_ok(const char *s, hwloc_bitmap_t set)
{
	const char *p = s;
	if (strlen(s) > 1024 || !*s)
		return 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (;;) {
			int digits = 0;
			if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X'))
				return 0;
			for (p += 2; isxdigit((unsigned char)*p); p++)
				digits++;
			if (digits < 1 || digits > 16)
				return 0;
			if (!*p)
				return !set || hwloc_bitmap_sscanf(set, s) == 0;
			if (*p++ != ',')
				return 0;
		}
	}
	if (set)
		hwloc_bitmap_zero(set);
	for (;;) {
		unsigned long a, b;
		if (cpuset_number(&p, &a) < 0)
			return 0;
		b = a;
		if (*p == '-') {
			p++;
			if (cpuset_number(&p, &b) < 0 || b < a)
				return 0;
		}
		if (set && hwloc_bitmap_set_range(set, (unsigned)a, (int)b) < 0)
			return 0;
		if (!*p)
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

int bind_policy_parse(const char *s, enum bind_policy *p)
{
	static const char accepted[] = "expected none, compact, scatter, smt or a cpuset such as "
				       "0-3,8 (decimal PU numbers up to " CPUSET_MAX_PU_STR ") or 0xf";
	hwloc_bitmap_t set, extra;
	char have[256], list[256];
	int rc = 0;

	bind_why[0] = 0;
	if (strcmp(s, "none") == 0)
		*p = BIND_NONE;
	else if (strcmp(s, "compact") == 0)
		*p = BIND_COMPACT;
	else if (strcmp(s, "scatter") == 0)
		*p = BIND_SCATTER;
	else if (strcmp(s, "smt") == 0)
		*p = BIND_SMT;
	else if (!cpuset_syntax_ok(s, NULL)) {
		set_bind_why("%s, got '%s'", accepted, s);
		return -EINVAL;
	} else
		goto cpuset;
	return 0;

cpuset:
	if (!topo && topo_load() < 0) {
		set_bind_why("cannot load this machine's topology to check the cpuset '%s'", s);
		return -EIO;
	}
	set = hwloc_bitmap_alloc();
	extra = hwloc_bitmap_alloc();
	if (!set || !extra) {
		set_bind_why("out of memory");
		rc = -ENOMEM;
		goto out;
	}
	if (!cpuset_syntax_ok(s, set)) {
		set_bind_why("%s, got '%s'", accepted, s);
		rc = -EINVAL;
		goto out;
	}
	if (hwloc_bitmap_iszero(set)) {
		set_bind_why("the cpuset '%s' is empty; name at least one processing unit", s);
		rc = -ENODATA;
		goto out;
	}
	hwloc_bitmap_andnot(extra, set, hwloc_topology_get_topology_cpuset(topo));
	if (!hwloc_bitmap_iszero(extra)) {
		hwloc_bitmap_list_snprintf(list, sizeof(list), extra);
		hwloc_bitmap_list_snprintf(have, sizeof(have),
					   hwloc_topology_get_topology_cpuset(topo));
		set_bind_why("the cpuset '%s' names PU%s %s, which %s does not have (its PUs: %s)",
			     s, hwloc_bitmap_weight(extra) > 1 ? "s" : "", list,
			     this_system ? "this machine" : "the topology", have);
		rc = -ENOENT;
		goto out;
	}
	hwloc_bitmap_andnot(extra, set, allowed);
	if (!hwloc_bitmap_iszero(extra)) {
		hwloc_bitmap_list_snprintf(list, sizeof(list), extra);
		hwloc_bitmap_list_snprintf(have, sizeof(have), allowed);
		set_bind_why("the cpuset '%s' names PU%s %s, which this process may not run on "
			     "(allowed: %s)", s, hwloc_bitmap_weight(extra) > 1 ? "s" : "", list, have);
		rc = -EPERM;
		goto out;
	}
	hwloc_bitmap_free(bind_set);
	bind_set = set;
	set = NULL;
	hwloc_bitmap_list_snprintf(bind_set_name, sizeof(bind_set_name), bind_set);
	*p = BIND_CPUSET;
out:
	hwloc_bitmap_free(set);
	hwloc_bitmap_free(extra);
	return rc;
}

unsigned bind_policy_capacity(enum bind_policy p)
{
	if (p == BIND_CPUSET) {
		int w = bind_set ? hwloc_bitmap_weight(bind_set) : 0;
		return w > 0 ? (unsigned)w : 0;
	}
	return topo_pus();
}

/* ---- plans ---- */

/* The allowed PUs in topology order, each with its rank among its core's allowed PUs. A
 * PU outside any core (hwloc may report none) counts as its own core. */
struct pu_ent {
	hwloc_obj_t pu;
	unsigned rank;
};

static int allowed_list(struct pu_ent **out, unsigned *n)
{
	int total = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	struct pu_ent *v = calloc(total > 0 ? (size_t)total : 1, sizeof(*v));
	hwloc_obj_t pu = NULL, last_core = NULL;
	unsigned cnt = 0, rank = 0;

	if (!v)
		return -ENOMEM;
	while ((pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu))) {
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
		if (!core)
			core = pu;
		if (!hwloc_bitmap_isset(allowed, pu->os_index))
			continue;
		/* PUs of one core are consecutive in logical order (depth-first). */
		rank = core == last_core ? rank + 1 : 0;
		last_core = core;
		v[cnt].pu = pu;
		v[cnt].rank = rank;
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* compact: round r takes the r-th allowed PU of every core, cores in topology order. */
static int plan_compact(unsigned n, int *pus)
{
	struct pu_ent *v;
	unsigned cnt, got = 0;
	int rc = allowed_list(&v, &cnt);
	if (rc < 0)
		return rc;
	for (unsigned round = 0; got < n && rc == 0; round++) {
		unsigned before = got;
		for (unsigned i = 0; i < cnt && got < n; i++)
			if (v[i].rank == round)
				pus[got++] = (int)v[i].pu->os_index;
		if (got == before)
			rc = -ERANGE;    /* more workers than allowed PUs */
	}
	free(v);
	return rc;
}

/* smt and cpuset: allowed PUs in topology order (a core's PUs are consecutive), those of
 * the cpuset only when one is given. */
static int plan_in_order(unsigned n, hwloc_const_bitmap_t only, int *pus)
{
	struct pu_ent *v;
	unsigned cnt, got = 0;
	int rc = allowed_list(&v, &cnt);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < cnt && got < n; i++)
		if (!only || hwloc_bitmap_isset(only, v[i].pu->os_index))
			pus[got++] = (int)v[i].pu->os_index;
	free(v);
	return got < n ? -ERANGE : 0;
}

/* scatter: hwloc_distrib over the allowed part of the topology (a restricted copy when our
 * affinity mask leaves PUs out), each set reduced to its first PU as hwloc-distrib --single
 * does. */
static int plan_scatter(unsigned n, int *pus)
{
	hwloc_topology_t t = topo, dup = NULL;
	hwloc_bitmap_t *sets = calloc(n, sizeof(*sets));
	hwloc_obj_t root;
	int rc = 0;

	if (!sets)
		return -ENOMEM;
	if (!hwloc_bitmap_isequal(allowed, hwloc_topology_get_topology_cpuset(topo))) {
		if (hwloc_topology_dup(&dup, topo) < 0) {
			free(sets);
			return -ENOMEM;
		}
		if (hwloc_topology_restrict(dup, allowed, 0) < 0) {
			hwloc_topology_destroy(dup);
			free(sets);
			return -EINVAL;
		}
		t = dup;
	}
	root = hwloc_get_root_obj(t);
	/* hwloc_distrib stores bitmaps it allocates (hwloc_bitmap_dup) in sets[]. */
	if (hwloc_distrib(t, &root, 1, sets, n, INT_MAX, 0) < 0)
		rc = -EINVAL;
	for (unsigned k = 0; k < n && rc == 0; k++) {
		if (!sets[k]) {
			rc = -ENOMEM;
			break;
		}
		hwloc_bitmap_and(sets[k], sets[k], allowed);
		if (hwloc_bitmap_iszero(sets[k]))
			rc = -ERANGE;
		else
			pus[k] = hwloc_bitmap_first(sets[k]);
	}
	for (unsigned k = 0; k < n; k++)
		hwloc_bitmap_free(sets[k]);
	free(sets);
	if (dup)
		hwloc_topology_destroy(dup);
	return rc;
}

int topo_plan(enum bind_policy p, unsigned n, int *pus)
{
	int rc;
	for (unsigned k = 0; k < n; k++)
		pus[k] = -1;
	if (p == BIND_NONE || !topo || n == 0)
		return 0;
	if (n > bind_policy_capacity(p))
		return -ERANGE;
	switch (p) {
	case BIND_COMPACT: rc = plan_compact(n, pus); break;
	case BIND_SCATTER: rc = plan_scatter(n, pus); break;
	case BIND_SMT: rc = plan_in_order(n, NULL, pus); break;
	case BIND_CPUSET: rc = bind_set ? plan_in_order(n, bind_set, pus) : -EINVAL; break;
	default: rc = -EINVAL; break;
	}
	if (rc < 0)      /* no half plan */
		for (unsigned k = 0; k < n; k++)
			pus[k] = -1;
	return rc;
}

int topo_plan_check(const int *pus, unsigned n)
{
	if (!topo || n == 0)
		return -ENOENT;
	for (unsigned k = 0; k < n; k++) {
		if (pus[k] < 0 || !topo_pu_obj(pus[k]))
			return -ENOENT;
		if (!hwloc_bitmap_isset(allowed, (unsigned)pus[k]))
			return -EPERM;
	}
	return 0;
}

int topo_plan_single(int pu, int *pus)
{
	int rc = topo_plan_check(&pu, 1);
	*pus = rc < 0 ? -1 : pu;
	return rc;
}

void topo_shared_level(int pa, int pb, char *buf, size_t len)
{
	hwloc_obj_t a = topo_pu_obj(pa), b = topo_pu_obj(pb);
	hwloc_obj_t c = a && b ? hwloc_get_common_ancestor_obj(topo, a, b) : NULL;
	if (!c || hwloc_obj_type_snprintf(buf, len, c, 0) < 0)
		cb_fmt(buf, len, "?");
}

int topo_pu_place(int pu, struct topo_place *pl)
{
	hwloc_obj_t o, a, numa;
	memset(pl, 0, sizeof(*pl));
	pl->pu = pl->pu_index = pl->core = pl->package = pl->numa = pl->kind = -1;
	if (!topo || pu < 0 || !(o = topo_pu_obj(pu)))
		return -ENOENT;
	pl->pu = pu;
	pl->pu_index = (int)o->logical_index;
	if ((a = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, o)))
		pl->core = (int)a->logical_index;
	if ((a = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, o)))
		pl->package = (int)a->logical_index;
	numa = numa_of_pu[pu];
	if (numa)
		pl->numa = (int)numa->logical_index;
	if (hwloc_cpukinds_get_nr(topo, 0) > 0)
		pl->kind = hwloc_cpukinds_get_by_cpuset(topo, o->cpuset, 0);
	if (pl->kind < 0)
		pl->kind = -1;
	return 0;
}

int membind_parse(const char *s, enum membind_policy *p)
{
	if (strcmp(s, "local") == 0)
		*p = MEMBIND_LOCAL;
	else if (strcmp(s, "interleave") == 0)
		*p = MEMBIND_INTERLEAVE;
	else
		return -EINVAL;
	return 0;
}

const char *membind_name(enum membind_policy p)
{
	return p == MEMBIND_INTERLEAVE ? "interleave" : "local";
}

/* Interleave over every NUMA node: the placement of MEMBIND_INTERLEAVE. */
static int membind_interleave(void *addr, size_t len)
{
	hwloc_const_nodeset_t nodes;
	if (!topo || !this_system || !len || hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) < 2)
		return 0;
	nodes = hwloc_topology_get_topology_nodeset(topo);
	if (hwloc_set_area_membind(topo, addr, len, nodes, HWLOC_MEMBIND_INTERLEAVE,
				   HWLOC_MEMBIND_BYNODESET) < 0)
		return -errno;
	return 0;
}

wl_membind_fn *topo_membind(enum membind_policy p)
{
	return p == MEMBIND_INTERLEAVE ? membind_interleave : NULL;
}

int topo_bind_pu(int pu, int process)
{
	hwloc_obj_t o;
	if (!topo)
		return -ENOENT;
	if (!this_system)
		return -EXDEV;
	if (pu < 0 || !(o = topo_pu_obj(pu)))
		return -ENOENT;
	if (hwloc_set_cpubind(topo, o->cpuset,
			      process ? HWLOC_CPUBIND_PROCESS : HWLOC_CPUBIND_THREAD) < 0)
		return -errno;
	return 0;
}
