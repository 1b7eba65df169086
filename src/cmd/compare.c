/* SPDX-License-Identifier: MIT */
/* compare: the command. Its options, the reports of each side loaded through
 * report/reportload.h, the verdicts judged by report/compare.h and printed by
 * report/compare_render.h, and the exit status. */
#define _GNU_SOURCE
#include "cmd/compare.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
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
	printf("  %-30s %s\n", "--threshold PCT", "smallest change that counts, percent (default 5)");
	printf("  %-30s %s\n", "--alpha A", "significance level of each test (default 0.01)");
	printf("  %-30s %s\n", "--metric median_s|throughput",
	       "time (lower is better, default) or throughput");
	printf("  %-30s %s\n", "--holm", "Holm-Bonferroni over all the tests (family-wise alpha)");
	printf("  %-30s %s\n", "--fail-on LIST",
	       "exit 1 also for these, a comma list of inconclusive,");
	printf("  %-30s %s\n", "", "insufficient and missing (a run in one report only);");
	printf("  %-30s %s\n", "", "by default only a regression fails");
	printf("  %-30s %s\n", "--format table|markdown|json", "output (default table)");
	printf("  %-30s %s\n", "-h, --help", "this help");
	printf("\nexit status: 0 no regression, 1 at least one regression (or a verdict named by\n"
	       "--fail-on), 2 bad usage or input, 3 out of memory or the output cannot be written\n");
}

/* --fail-on LIST: a comma list of compare_fail_on_names; adds to *bits. */
static int parse_fail_on(const char *s, unsigned *bits)
{
	unsigned add = 0;

	for (;;) {
		size_t n = strcspn(s, ","), i;
		for (i = 0; i < ARRAY_SIZE(compare_fail_on_names); i++)
			if (strlen(compare_fail_on_names[i].name) == n && strncmp(s, compare_fail_on_names[i].name, n) == 0)
				break;
		if (i == ARRAY_SIZE(compare_fail_on_names))
			return -EINVAL;
		add |= compare_fail_on_names[i].bit;
		if (!s[n])
			break;
		s += n + 1;
	}
	*bits |= add;
	return 0;
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
	if (!rc && (fflush(f) != 0 || ferror(f))) {
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

static int bad_value(const char *flag, const char *accepted, const char *got)
{
	char g[80];

	cb_error("compare: %s: expected %s, got '%s'", flag, accepted, clean(got, g, sizeof(g)));
	return -EINVAL;
}

/* A plain decimal number (util.h's parse_decimal), the whole string; a trailing '%' is
 * allowed when pct. */
static int parse_number(const char *s, int pct, double *out)
{
	char buf[64];
	size_t n = strlen(s);

	if (pct && n && s[n - 1] == '%')
		n--;
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	return parse_decimal(buf, out) < 0 ? -EINVAL : 0;
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

enum { O_THRESHOLD = 256, O_ALPHA, O_METRIC, O_FORMAT, O_HOLM, O_FAIL_ON, O_HELP };

int cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "metric", required_argument, NULL, O_METRIC },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "holm", no_argument, NULL, O_HOLM },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cmp_options opt = { .threshold = 0.05, .alpha = 0.01, .metric = CMP_MEDIAN_S };
	char **args = argv + 1, g[80];
	int nargs = argc - 1, ch;
	double v;

	if (argc < 2)
		return CB_EXIT_USAGE;
	optind = 0;    /* full re-initialisation of getopt: commands may parse more than once */
	opterr = 0;
	while ((ch = getopt_long(nargs, args, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_THRESHOLD:
			if (parse_number(optarg, 1, &v) < 0 || v < 0 || v > 1000) {
				bad_value("--threshold", "a percentage from 0 to 1000, such as 5",
					  optarg);
				return CB_EXIT_USAGE;
			}
			opt.threshold = v / 100;
			break;
		case O_ALPHA:
			if (parse_number(optarg, 0, &v) < 0 || !(v > 0 && v <= 0.5)) {
				bad_value("--alpha", "a significance level above 0 and at most 0.5, "
					  "such as 0.01", optarg);
				return CB_EXIT_USAGE;
			}
			opt.alpha = v;
			break;
		case O_METRIC:
			if (strcmp(optarg, "median_s") == 0)
				opt.metric = CMP_MEDIAN_S;
			else if (strcmp(optarg, "throughput") == 0)
				opt.metric = CMP_THROUGHPUT;
			else {
				bad_value("--metric", "median_s or throughput", optarg);
				return CB_EXIT_USAGE;
			}
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0)
				opt.format = CMP_FORMAT_TABLE;
			else if (strcmp(optarg, "markdown") == 0)
				opt.format = CMP_FORMAT_MARKDOWN;
			else if (strcmp(optarg, "json") == 0)
				opt.format = CMP_FORMAT_JSON;
			else {
				bad_value("--format", "table, markdown or json", optarg);
				return CB_EXIT_USAGE;
			}
			break;
		case O_HOLM:
			opt.holm = 1;
			break;
		case O_FAIL_ON:
			if (parse_fail_on(optarg, &opt.fail_on) < 0) {
				bad_value("--fail-on", "a comma list of inconclusive, insufficient, "
					  "missing (and regressed, which always fails)", optarg);
				return CB_EXIT_USAGE;
			}
			break;
		case 'h':
		case O_HELP:
			compare_usage();
			return CB_EXIT_OK;
		case ':':
			cb_error("compare: %s: needs a value (see 'concbench compare --help')",
				 clean(args[optind - 1], g, sizeof(g)));
			return CB_EXIT_USAGE;
		default:
			if (optopt && optopt < 256)
				cb_error("compare: unknown option '-%c' (see 'concbench compare --help')",
					 optopt);
			else
				cb_error("compare: unknown option '%s' (see 'concbench compare --help')",
					 clean(args[optind - 1], g, sizeof(g)));
			return CB_EXIT_USAGE;
		}
	}
	return compare_reports_given(nargs - optind, args + optind, &opt);
}
