/* SPDX-License-Identifier: MIT */
/* reportcmd: renders reports taken here or elsewhere as tables, markdown, CSV, merged JSON,
 * a chart, or the JSON of a CI dashboard (report/export.h). The data always comes from the
 * files, never from a re-run. */
#include "cmd/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cmd/options.h"
#include "core/sync.h"
#include "report/export.h"
#include "report/plot.h"
#include "report/render.h"
#include "report/report.h"
#include "report/reportload.h"

#define MAX_REPORTS 16

static void usage(void)
{
	printf("usage: concbench report FILE.json... [--format FMT] [--plot FILE.png|FILE.svg] "
	       "[--label TEXT]\n"
	       "                        [--output FILE]\n\n"
	       "Renders one or more reports (from this machine or others): per workload a speedup\n"
	       "table, rows = worker counts, columns = executors (per report when several, each\n"
	       "named by its label, else its host and date, else its file name). bencher and\n"
	       "benchmark-action write what those CI dashboards read, one benchmark per run.\n\n");
	opts_usage(&opt_report);
}

/* The merged document: every run, tagged with the index of its source report. */
static cJSON *merge(cJSON *const *docs, char *const *paths, size_t n)
{
	cJSON *m = cJSON_CreateObject(), *src = cJSON_CreateArray(), *runs = cJSON_CreateArray();
	if (!m || !src || !runs)
		goto fail;
	cJSON_AddItemToObject(m, "sources", src);
	cJSON_AddItemToObject(m, "runs", runs);
	if (!cJSON_AddStringToObject(m, "schema", REPORT_SCHEMA))
		goto fail_m;
	for (size_t d = 0; d < n; d++) {
		cJSON *s = cJSON_CreateObject(), *r;
		if (!s)
			goto fail_m;
		cJSON_AddItemToArray(src, s);
		if (!cJSON_AddStringToObject(s, "file", paths[d]))
			goto fail_m;
		cJSON_AddItemToObject(s, "host",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(docs[d], "host"), 1));
		cJSON_AddItemToObject(s, "created",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(docs[d], "created"), 1));
		if (cJSON_GetObjectItemCaseSensitive(docs[d], "label"))
			cJSON_AddItemToObject(s, "label", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(docs[d], "label"), 1));
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(docs[d], "runs")) {
			cJSON *c = cJSON_Duplicate(r, 1);
			if (!c || !cJSON_AddNumberToObject(c, "source", (double)d)) {
				cJSON_Delete(c);
				goto fail_m;
			}
			cJSON_AddItemToArray(runs, c);
		}
	}
	return m;
fail:
	cJSON_Delete(src);
	cJSON_Delete(runs);
fail_m:
	cJSON_Delete(m);
	return NULL;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts opt;
	cJSON *docs[MAX_REPORTS];
	int first, rc = 0, err = 0;
	size_t n = 0;

	first = opts_parse(&opt_report, argc, argv, &opt);
	if (first == 0)
		usage();
	if (first <= 0)          /* --help, or bad input (said) */
		return first < 0 ? CB_EXIT_USAGE : 0;
	if (first >= argc) {
		cb_error("report: expected one or more report files (see 'concbench report --help')");
		return CB_EXIT_USAGE;
	}
	if (opt.label && argc - first > 1) {
		cb_error("report: --label names one report, got %d; merged tables name each by its "
			 "own label (set with --label when it was run)", argc - first);
		return CB_EXIT_USAGE;
	}
	if (opt.output && opt.format != REPORT_JSON && opt.format < REPORT_EXPORT) {
		cb_error("report: --output writes json, bencher, benchmark-action or "
			 "benchmark-action-bigger; tables and CSV go to stdout");
		return CB_EXIT_USAGE;
	}
	if (argc - first > MAX_REPORTS) {
		cb_error("report: at most %d reports at once, got %d", MAX_REPORTS, argc - first);
		return CB_EXIT_USAGE;
	}
	for (int i = first; i < argc; i++) {
		docs[n] = report_load("report", argv[i]);
		if (!docs[n]) {
			rc = cb_stop_signal || errno == ENOMEM ? CB_EXIT_RUNFAIL : CB_EXIT_USAGE;
			goto out;
		}
		n++;
		if (cb_stop_signal)
			goto out;
	}
	/* --label: what the tables and the chart call this report, as if it had been run so */
	if (opt.label) {
		cJSON_DeleteItemFromObjectCaseSensitive(docs[0], "label");
		if (!cJSON_AddStringToObject(docs[0], "label", opt.label)) {
			cb_error("report: out of memory");
			rc = CB_EXIT_RUNFAIL;
			goto out;
		}
	}
	if (opt.format == REPORT_JSON || opt.format >= REPORT_EXPORT) {
		cJSON *m = opt.format == REPORT_JSON ? merge(docs, argv + first, n) :
			   export_build(docs, (const char *const *)(argv + first), n,
					(enum export_format)(opt.format - REPORT_EXPORT), &err);
		/* export_build said why it failed; a merge fails only for memory */
		if (!m && opt.format != REPORT_JSON)
			rc = err == -EINVAL ? CB_EXIT_USAGE : CB_EXIT_RUNFAIL;
		else if (report_emit(m, opt.output, !opt.output) < 0)
			rc = CB_EXIT_RUNFAIL;
		err = 0;
	} else if ((err = render_reports_files(stdout, docs, (const char *const *)(argv + first), n,
					       (enum render_format)opt.format)) < 0) {
		/* -EINVAL: a report without runs; else interrupted or out of memory */
		rc = err == -EINVAL ? CB_EXIT_USAGE : CB_EXIT_RUNFAIL;
		err = 0;
	}
	if (!rc && opt.plot && !cb_stop_signal && (err = plot_reports(docs, (const char *const *)(argv + first), n, opt.plot)) < 0)
		rc = CB_EXIT_RUNFAIL;      /* plot_reports said why, an interruption too */
out:
	/* Ctrl-C or SIGTERM: stop where it is, exit 3, no chart left behind */
	if (cb_stop_signal) {
		if (err != -EINTR)
			cb_error("report: interrupted by %s", stop_signal_name());
		rc = CB_EXIT_RUNFAIL;
		__fpurge(stdout);      /* what is left unwritten stays so: a reader may be gone */
	}
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(docs[i]);
	return rc;
}
