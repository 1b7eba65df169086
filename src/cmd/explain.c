/* SPDX-License-Identifier: MIT */
/* explain: the command. One report loaded through report/reportload.h, its findings from
 * report/explain.h, printed as sentences or JSON. */
#include "cmd/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cmd/options.h"
#include "report/explain.h"
#include "report/reportload.h"

static void usage(void)
{
	printf("usage: concbench explain REPORT.json [--run N] [--format text|json]\n\n"
	       "Says why one executor beat another: for each workload at its largest worker\n"
	       "count, the gap between the fastest and the slowest executor and the measurements\n"
	       "of those two runs that differ by %.1fx or more (rusage, start skew, worker\n"
	       "imbalance, observed PUs, perf counters when the report has them).\n\n",
	       EXPLAIN_MIN_RATIO);
	opts_usage(&opt_explain);
}

int cmd_explain(int argc, char **argv)
{
	struct explain_opts opt;
	struct explain_set set;
	cJSON *doc;
	int first, rc = 0, err;

	first = opts_parse(&opt_explain, argc, argv, &opt);
	if (first == 0)
		usage();
	if (first <= 0)          /* --help, or bad input (said) */
		return first < 0 ? CB_EXIT_USAGE : 0;
	if (first >= argc) {
		cb_error("explain: expected one report file (see 'concbench explain --help')");
		return CB_EXIT_USAGE;
	}
	if (argc - first > 1) {
		cb_error("explain: expected one report file, got '%s' after '%s'", argv[first + 1],
			 argv[first]);
		return CB_EXIT_USAGE;
	}
	doc = report_load("explain", argv[first]);
	if (!doc)
		return errno == ENOMEM ? CB_EXIT_RUNFAIL : CB_EXIT_USAGE;
	err = explain_report(doc, opt.run_set ? (long)opt.run : -1, &set);
	if (err == -ERANGE) {
		cb_error("--run: expected a run index from 0 to %d of '%s', got '%u'",
			 cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "runs")) - 1,
			 argv[first], opt.run);
		rc = CB_EXIT_USAGE;
	} else if (err < 0) {
		cb_error("explain: out of memory");
		rc = CB_EXIT_RUNFAIL;
	} else if (opt.json) {
		cJSON *arr = explain_json(&set), *o = cJSON_CreateObject();
		char *text = NULL;
		if (arr && o && cJSON_AddStringToObject(o, "report", argv[first])) {
			cJSON_AddItemToObject(o, "findings", arr);
			arr = NULL;
			text = cJSON_Print(o);
		}
		if (text)
			printf("%s\n", text);
		else {
			cb_error("explain: out of memory");
			rc = CB_EXIT_RUNFAIL;
		}
		free(text);
		cJSON_Delete(arr);
		cJSON_Delete(o);
	} else if (set.n == 0 && opt.run_set) {
		printf("runs[%u] has nothing to compare with: it has no samples, or there is no seq "
		       "baseline and no other executor with as many workers\n", opt.run);
	} else if (set.n == 0) {
		printf("nothing to compare: no workload has two runs with samples\n");
	} else {
		explain_print(stdout, &set, "");
	}
	explain_set_free(&set);
	cJSON_Delete(doc);
	return rc;
}
