/* SPDX-License-Identifier: MIT */
/* concbench cpu|io|mem|suite: parse, run the matrix, write the report, show it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/options.h"
#include "core/cell.h"
#include "core/fault.h"
#include "measure/progress.h"
#include "measure/run.h"
#include "report/explain.h"
#include "report/plot.h"
#include "report/render.h"
#include "report/report.h"
#include "topo/topo.h"

#define SUITE_DEFAULT_OUTPUT "results/latest.json"

/* --dry-run: validate exactly as run_config does, print the runs it would make and how long
 * they should take (a few tasks of each group timed, a second in all), run nothing else.
 * Returns 0 or CB_EXIT_USAGE. */
static int run_dry(const struct config *c)
{
	struct machine m;
	size_t nruns = 0;
	double total = 0;
	int timed = 0, failed = 0;
	char span[32];

	topo_machine(&m);
	for (size_t g = 0; g < c->ngroups; g++) {
		const struct run_group_def *gr = &c->groups[g];
		struct progress_calib pc;
		struct wl_inst w;
		char why[256];
		int64_t t0;
		if (run_validate_group(c, gr->wl, &gr->params, &m) < 0)
			return CB_EXIT_USAGE;
		t0 = now_ns();
		if (cell_inst_init(&w, gr->wl, &gr->params, 1, 1, &m) < 0)
			return CB_EXIT_USAGE;
		printf("%s size=%llu tasks=%zu:\n  seq x1 (baseline)\n", gr->wl->name,
		       (unsigned long long)w.p.size, w.ntasks);
		nruns++;
		for (size_t xi = 0; xi < c->nex; xi++) {
			printf("  %s x", c->ex[xi]->name);
			for (size_t wi = 0; wi < c->nworkers; wi++)
				printf("%s%u", wi ? "," : "", c->workers[wi]);
			printf("\n");
			nruns += c->nworkers;
		}
		/* A duration counts per task: say so, with what it adds up to. */
		for (size_t i = 0; i < gr->wl->noptions; i++) {
			char d[32];
			if (gr->wl->options[i].kind != WLO_DURATION || !w.p.opt[i])
				continue;
			progress_fmt_span(d, sizeof(d), (double)w.p.opt[i] / 1e9);
			progress_fmt_span(span, sizeof(span), (double)w.p.opt[i] / 1e9 * (double)w.ntasks);
			printf("  --%s %s per task, %zu tasks: %s a repetition on one worker\n",
			       gr->wl->options[i].name, d, w.ntasks, span);
		}
		if (progress_calibrate(&w, now_ns() - t0, PROGRESS_CALIB_NS / (int64_t)c->ngroups,
				       &pc, why, sizeof(why)) == 0) {
			total += progress_group_s(c, &pc, w.ntasks, m.pus);
			timed |= pc.timed;
		} else {
			printf("  no estimate: %s\n", why);
			failed = 1;
		}
		cell_inst_fini(&w);
	}
	printf("%zu runs; %s%u samples each in %u round%s after %u warm-up%s; --bind %s; seed %llu\n",
	       nruns, c->reps_auto ? "at least " : "", c->reps, c->rounds, c->rounds == 1 ? "" : "s",
	       c->warmup, c->warmup == 1 ? "" : "s", bind_policy_name(c->bind),
	       (unsigned long long)c->seed);
	progress_fmt_span(span, sizeof(span), total);
	if (!failed)
		printf("estimated time: %sabout %s (%s)\n", c->reps_auto ? "at least " : "", span,
		       timed ? "calibrated: a few tasks of each workload timed on one worker" :
		       "from the per-task durations");
	return 0;
}

/* After each table: explain's why block for its group. */
static void why_after_table(FILE *f, const cJSON *doc, const cJSON *group_run, void *arg)
{
	(void)arg;
	explain_why(f, doc, group_run);
}

int cmd_run(int argc, char **argv)
{
	struct config c;
	struct run_set rs = { 0 };
	cJSON *doc = NULL, *parsed;
	char *text;
	int rc;

	if (opts_parse_config(argc, argv, topo_pus(), &c) < 0)
		return CB_EXIT_USAGE;
	if (c.help) {
		opts_usage_run(c.command);
		return 0;
	}
	/* A workload command prints its table or nothing (--quiet): then only --output keeps
	 * the results. The suite writes results/latest.json by default; JSON goes to stdout. */
	if (c.wl && c.quiet && !c.output && c.format != FMT_JSON) {
		cb_error("--quiet: without --output the run would keep nothing; expected --output "
			 "FILE with --quiet (or --format json)");
		return CB_EXIT_USAGE;
	}
	if (!topo_is_this_system())
		return cmd_plan_only(&c);     /* --topology elsewhere: plan, run nothing */
	if (!c.wl && !c.output)
		c.output = SUITE_DEFAULT_OUTPUT;
	if (!c.wl && strcmp(c.output, SUITE_DEFAULT_OUTPUT) == 0 && mkdir("results", 0777) < 0 &&
	    errno != EEXIST) {
		cb_error("cannot create the directory 'results' for the suite's report: %s",
			 strerror(errno));
		return CB_EXIT_USAGE;
	}
	/* The suite's default output gets the checks an --output gets when parsed. */
	if (!c.wl && strcmp(c.output, SUITE_DEFAULT_OUTPUT) == 0 && !c.dry_run &&
	    path_check_writable("--output", c.output) < 0)
		return CB_EXIT_USAGE;
	if (run_fault_from_env() < 0)
		return CB_EXIT_USAGE;
	if (c.inject_arg && fault_inject_set(c.inject_worker, c.inject_task) < 0) {
		cb_error("--inject: cannot map the crash record: %s", strerror(errno));
		return CB_EXIT_RUNFAIL;
	}
	if (c.dry_run)
		return run_dry(&c);
	rc = run_config(&c, &rs);
	if (rc) {
		run_set_free(&rs);
		return rc;
	}
	/* Warnings on stderr (docs/measurement.md), one line per cause, machine first, even with
	 * --quiet: they say whether the numbers can be trusted. Every record is in the report. */
	{
		char *lines[16];
		size_t nl = derive_warnings_by_cause(&rs.warnings, rs.runs, rs.n, lines,
						     sizeof(lines) / sizeof(lines[0]));
		for (size_t i = 0; i < nl; i++) {
			cb_warn("%s", lines[i]);
			free(lines[i]);
		}
	}
	doc = report_build(&c, &rs);
	text = doc ? cJSON_Print(doc) : NULL;
	/* Everything shown is rendered from the document as written, parsed back. */
	parsed = text ? cJSON_Parse(text) : NULL;
	if (!parsed) {
		cb_error("out of memory while building the report");
		free(text);
		cJSON_Delete(doc);
		run_set_free(&rs);
		return CB_EXIT_RUNFAIL;
	}
	if (c.output && report_write(doc, c.output) < 0)
		rc = CB_EXIT_RUNFAIL;
	if (!rc && c.format == FMT_JSON) {
		printf("%s\n", text);
	} else if (!rc && !c.quiet) {
		render_reports_then(stdout, &parsed, 1, c.format == FMT_MARKDOWN ? RENDER_MARKDOWN :
				    c.format == FMT_CSV ? RENDER_CSV : RENDER_TABLE, c.output != NULL,
				    why_after_table, NULL);
		if (c.output && c.format == FMT_TABLE)
			printf("report: %s\n", c.output);
	}
	if (!rc && c.plot && plot_reports(&parsed, NULL, 1, c.plot) < 0)
		rc = CB_EXIT_RUNFAIL;
	free(text);
	cJSON_Delete(parsed);
	cJSON_Delete(doc);
	run_set_free(&rs);
	return rc;
}
