/* SPDX-License-Identifier: MIT */
/* compare: the command. Its options, the reports of each side loaded through
 * report/reportload.h, the verdicts judged by report/compare.h and printed by
 * report/compare_render.h, and the exit status. */
#define _GNU_SOURCE
#include "cmd/compare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cmd/options.h"
#include "report/compare_render.h"
#include "report/reportload.h"

/* A copy of s safe for one line of a terminal (util.h). */
static const char *clean(const char *s, char *buf, size_t len)
{
	return cb_sanitize(s, buf, len);
}

int compare_load(const char *path, struct cmp_report *rep)
{
	cJSON *doc = report_load("compare", path);

	if (!doc) {
		int rc = errno ? -errno : -EINVAL;
		memset(rep, 0, sizeof(*rep));
		rep->path = path;
		return rc;
	}
	return compare_index(path, doc, rep);
}

static void compare_usage(void)
{
	printf("usage: concbench compare BASE.json NEW.json [options]\n"
	       "       concbench compare BASE1.json,BASE2.json,... NEW1.json,NEW2.json,... [options]\n\n"
	       "Compares two reports run by run, matched by (workload, params, executor, workers,\n"
	       "binding). A run is 'regressed' only when the change is significant (two-sided\n"
	       "Mann-Whitney U, p < alpha) and worse than the threshold, 'improved' likewise;\n"
	       "'inconclusive' when the change is over the threshold but not significant (more\n"
	       "samples can settle it), 'unchanged' when it is within the threshold, and\n"
	       "'insufficient' when too few samples can ever reach p < alpha.\n\n"
	       "BASE and NEW may each be a comma list of reports, one per invocation (such as\n"
	       "b1.json,b2.json,b3.json,b4.json,b5.json): each run is then summarised by its median\n"
	       "in every invocation, and the change and the test compare those medians, because\n"
	       "invocations vary more than the repetitions inside one. At alpha 0.01 that takes at\n"
	       "least 5 invocations a side.\n\n");
	opts_usage(&opt_compare);
	printf("\nexit status: 0 no regression, 1 at least one regression (or a verdict named by\n"
	       "--fail-on), 2 bad usage or input, 3 out of memory or the output cannot be written\n");
}

/* The exit status for a failure rc of loading or judging: 3 when memory ran out (a run
 * failure), else 2 (the input). */
static int failure_status(int rc)
{
	return rc == -ENOMEM ? CB_EXIT_RUNFAIL : CB_EXIT_USAGE;
}

int compare_print(FILE *f, const struct cmp_report *base, const struct cmp_report *head,
		  const struct cmp_options *opt)
{
	return compare_print_sides(f, base, 1, head, 1, opt);
}

int compare_print_sides(FILE *f, const struct cmp_report *base, size_t nbase,
			const struct cmp_report *head, size_t nhead, const struct cmp_options *opt)
{
	struct cmp_result res = { 0 };
	int rc, status;

	rc = compare_sides(base, nbase, head, nhead, opt, &res);
	if (rc < 0) {
		compare_result_release(&res);
		return failure_status(rc);
	}
	if (res.hosts[0])
		cb_warn("compare: the reports come from different hosts (%s); the verdicts measure "
			"the machines as well as the code", res.hosts);
	rc = compare_render(f, &res, base, head);
	if (!rc && (fflush(f) != 0 || ferror(f)) && !cb_reader_gone(f)) {
		cb_error("compare: cannot write the verdicts: %s", strerror(errno));
		rc = -EIO;
	}
	status = rc ? CB_EXIT_RUNFAIL : compare_exit_status(&res);
	if (status == CB_EXIT_REGRESSION && !res.count[CMP_REGRESSED]) {
		char why[160] = "";
		if (opt->fail_on & CMP_FAIL_INCONCLUSIVE && res.count[CMP_INCONCLUSIVE])
			cb_append(why, sizeof(why), ", %zu inconclusive", res.count[CMP_INCONCLUSIVE]);
		if (opt->fail_on & CMP_FAIL_INSUFFICIENT && res.count[CMP_INSUFFICIENT])
			cb_append(why, sizeof(why), ", %zu insufficient", res.count[CMP_INSUFFICIENT]);
		if (opt->fail_on & CMP_FAIL_MISSING && res.nonly_base + res.nonly_head)
			cb_append(why, sizeof(why), ", %zu missing", res.nonly_base + res.nonly_head);
		cb_error("compare: no regression, but exit 1 for --fail-on: %s", why + 2);
	}
	compare_result_release(&res);
	return status;
}

/* One side of the comparison: the reports named by one positional argument. */
struct side {
	char *names;                  /* a copy of the argument, cut at its commas */
	struct cmp_report *reps;
	size_t n;
};

static void side_release(struct side *s)
{
	for (size_t i = 0; s->reps && i < s->n; i++)
		compare_report_release(&s->reps[i]);
	free(s->reps);
	free(s->names);
}

/* Load the reports of one side: arg is one report or a comma list of reports, one per
 * invocation. Returns 0 or a negative errno after one line on stderr. */
static int side_load(const char *arg, struct side *s)
{
	char g[80], *p;
	size_t i, j;
	int rc = 0;

	s->n = 1;
	for (p = strchr(arg, ','); p; p = strchr(p + 1, ','))
		s->n++;
	if (s->n > CMP_MAX_INVOCATIONS) {
		cb_error("compare: '%s': more than %d reports on one side", clean(arg, g, sizeof(g)),
			 CMP_MAX_INVOCATIONS);
		return -EINVAL;
	}
	s->names = strdup(arg);
	s->reps = calloc(s->n, sizeof(*s->reps));
	if (!s->names || !s->reps)
		return compare_out_of_memory("reading the arguments");
	for (i = 0, p = s->names; i < s->n; i++) {
		s->reps[i].path = p;
		p += strcspn(p, ",");
		if (*p)
			*p++ = 0;
		if (!s->reps[i].path[0]) {
			cb_error("compare: '%s': an empty report name; a side is one report or a comma "
				 "list of reports, one per invocation", clean(arg, g, sizeof(g)));
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(s->reps[j].path, s->reps[i].path) == 0) {
				char d[80];
				cb_error("compare: '%s': '%s' is named twice on one side",
					 clean(arg, g, sizeof(g)), clean(s->reps[i].path, d, sizeof(d)));
				return -EINVAL;
			}
		}
	}
	for (i = 0; i < s->n && !rc; i++)
		rc = compare_load(s->reps[i].path, &s->reps[i]);
	return rc;
}

/* The positional arguments, BASE and NEW: load both sides, judge and print. Returns the
 * exit status. */
static int compare_reports_given(int n, char **args, const struct cmp_options *opt)
{
	struct side base = { 0 }, head = { 0 };
	int rc;

	if (n != 2) {
		cb_error("compare: expected two reports, BASE.json and NEW.json, got %d (see "
			 "'concbench compare --help')", n);
		return CB_EXIT_USAGE;
	}
	rc = side_load(args[0], &base);
	if (!rc)
		rc = side_load(args[1], &head);
	rc = rc ? failure_status(rc) :
		  compare_print_sides(stdout, base.reps, base.n, head.reps, head.n, opt);
	side_release(&head);
	side_release(&base);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	struct cmp_options opt = { 0 };
	int rc, first;

	if (argc < 2)
		return CB_EXIT_USAGE;
	rc = opts_parse(&opt_compare, argc, argv, &opt);
	if (rc == 0)
		compare_usage();
	if (rc <= 0)          /* --help, or bad input (said) */
		return rc < 0 ? CB_EXIT_USAGE : CB_EXIT_OK;
	first = rc - 1;      /* the positional arguments, BASE and NEW, in argv + 1 */
	return compare_reports_given(argc - 1 - first, argv + 1 + first, &opt);
}
