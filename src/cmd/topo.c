/* SPDX-License-Identifier: MIT */
/* concbench topo: the topology as text or JSON, or a placement plan; and the planning-only
 * output of workload commands on a topology that is not this machine's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/jsonb.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/options.h"
#include "topo/topo.h"
#include "topo/topoprint.h"

static int plan_error(int rc, enum bind_policy p, unsigned n)
{
	if (rc == -ERANGE)
		cb_error("--workers: %u workers but --bind %s can place only %u (one per PU); use "
			 "--bind none to oversubscribe", n, bind_policy_name(p),
			 bind_policy_capacity(p));
	else
		cb_error("--bind %s: cannot plan %u workers: %s", bind_policy_name(p), n,
			 strerror(-rc));
	return rc == -ERANGE ? CB_EXIT_USAGE : CB_EXIT_RUNFAIL;
}

static int print_json(cJSON *doc)
{
	char *text = doc ? cJSON_Print(doc) : NULL;
	cJSON_Delete(doc);
	if (!text) {
		cb_error("out of memory while building the JSON output");
		return CB_EXIT_RUNFAIL;
	}
	printf("%s\n", text);
	free(text);
	return 0;
}

int cmd_plan_only(const struct config *c)
{
	unsigned top = c->workers[c->nworkers - 1], pus = topo_pus();
	struct jsonb b = { 0 };
	cJSON *doc = NULL, *plans = NULL;
	int rc;

	if (c->output)
		cb_warn("--output: nothing is written to '%s': on a topology that is not this "
			"machine's, concbench only plans", c->output);
	if (c->bind == BIND_NONE && top > pus && !c->quiet)
		cb_warn("%u workers on %u processing units time-share", top, pus);
	if (c->format == FMT_JSON) {
		cJSON *ex;
		doc = jsonb_chk(&b, cJSON_CreateObject());
		if (!doc)
			return print_json(NULL);
		jsonb_add_str(&b, doc, "schema", PLAN_SCHEMA);
		jsonb_add_bool(&b, doc, "planning_only", 1);
		jsonb_add_str(&b, doc, "command", c->command);
		jsonb_add_str(&b, doc, "topology", topo_source());
		jsonb_add_str(&b, doc, "binding", bind_policy_name(c->bind));
		ex = jsonb_chk(&b, cJSON_CreateArray());
		for (size_t i = 0; ex && i < c->nex; i++)
			jsonb_push(&b, ex, cJSON_CreateString(c->ex[i]->name));
		jsonb_item(&b, doc, "executors", ex);
		plans = jsonb_chk(&b, cJSON_CreateArray());
	} else if (!c->quiet) {
		printf("planning only: the topology '%s' is not this machine's, so nothing runs\n",
		       topo_source());
		printf("%s: the plan every executor would bind to (seq, the baseline, runs "
		       "unbound)\n", c->command);
	}
	for (size_t i = 0; i < c->nworkers; i++) {
		unsigned n = c->workers[i];
		if (c->format == FMT_JSON) {
			cJSON *o = jsonb_chk(&b, cJSON_CreateObject()), *plan;
			rc = topo_plan_json(&b, c->bind, n, &plan);
			if (rc < 0) {
				cJSON_Delete(o);
				cJSON_Delete(doc);
				return plan_error(rc, c->bind, n);
			}
			jsonb_add_num(&b, o, "workers", n);
			jsonb_item(&b, o, "plan", plan);
			jsonb_push(&b, plans, o);
			continue;
		}
		if (!c->quiet)
			printf("\n");
		rc = topo_print_plan(c->quiet ? stderr : stdout, c->bind, n);
		if (rc < 0)
			return plan_error(rc, c->bind, n);
	}
	if (c->format != FMT_JSON)
		return 0;
	jsonb_item(&b, doc, "plans", plans);
	return print_json(jsonb_finish(&b, doc));
}

/* ---- the command ---- */

static void topo_usage(void)
{
	printf("usage: concbench topo [--format text|json] [--topology FILE.xml|synthetic:DESC]\n"
	       "       concbench topo --bind POLICY [--workers N] [--format text|json] "
	       "[--topology ...]\n\n"
	       "the hwloc topology: packages, NUMA nodes and their memory, caches and the PUs that\n"
	       "share them, cores, PUs (OS indexes) and their SMT siblings, and CPU kinds when\n"
	       "there is more than one; with --bind or --workers, the placement plan instead\n\n");
	opts_usage(&opt_topo);
	printf("\nPUs are OS indexes (P#, as sched_getcpu and taskset number them); cores, "
	       "packages\nand NUMA nodes are logical indexes (L#, topology order).\n");
}

int cmd_topo(int argc, char **argv)
{
	struct topo_opts o;
	enum bind_policy p = BIND_NONE;
	int first, json, bind_given = 0;
	unsigned n = 0;

	first = opts_parse(&opt_topo, argc, argv, &o);
	if (first == 0)
		topo_usage();
	if (first <= 0)          /* --help, or bad input (said) */
		return first < 0 ? CB_EXIT_USAGE : 0;
	json = o.json;
	/* As getopt read it, abbreviated (--topo) or not: replaces this machine's. */
	if (o.topology && topo_load_spec(o.topology) < 0) {
		cb_error("--topology: cannot load '%s': %s", o.topology, topo_load_error());
		return CB_EXIT_USAGE;
	}
	if (o.bind) {
		if (bind_policy_parse(o.bind, &p) < 0) {
			cb_error("--bind: %s", bind_policy_error());
			return CB_EXIT_USAGE;
		}
		bind_given = 1;
	}
	if (!bind_given && !o.workers) {
		if (json)
			return print_json(topo_json());
		topo_print_text(stdout);
		return 0;
	}
	if (o.workers) {
		unsigned v[CLI_MAX_COUNTS];
		size_t nv = 0;
		if (opts_parse_workers(o.workers, bind_policy_capacity(p), v, &nv) < 0 || nv != 1) {
			cb_error("--workers: expected one count N from 1 to %d, or max, got '%s'",
				 CLI_MAX_WORKERS, o.workers);
			return CB_EXIT_USAGE;
		}
		n = v[0];
	} else {
		n = bind_policy_capacity(p);
	}
	if (p != BIND_NONE && n > bind_policy_capacity(p))
		return plan_error(-ERANGE, p, n);
	if (p == BIND_NONE && n > topo_pus())
		cb_warn("%u workers on %u processing units time-share", n, topo_pus());
	if (json) {
		struct jsonb b = { 0 };
		cJSON *doc = jsonb_chk(&b, cJSON_CreateObject()), *plan;
		int rc = topo_plan_json(&b, p, n, &plan);
		if (rc < 0) {
			cJSON_Delete(doc);
			return plan_error(rc, p, n);
		}
		jsonb_add_str(&b, doc, "schema", PLAN_SCHEMA);
		jsonb_add_str(&b, doc, "topology", topo_source());
		jsonb_add_bool(&b, doc, "this_system", topo_is_this_system());
		jsonb_add_str(&b, doc, "binding", bind_policy_name(p));
		jsonb_add_num(&b, doc, "workers", n);
		jsonb_add_num(&b, doc, "pus", topo_pus());
		jsonb_item(&b, doc, "plan", plan);
		return print_json(jsonb_finish(&b, doc));
	}
	printf("topology: %s (%u allowed PUs)\n", topo_source(), topo_pus());
	{
		int rc = topo_print_plan(stdout, p, n);
		if (rc < 0)
			return plan_error(rc, p, n);
	}
	return 0;
}
