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
#include "report/noise.h"
#include "report/report.h"
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
	       "       concbench compare [options] B1.json ... Bk.json -- N1.json ... Nk.json\n"
	       "       concbench compare B1.json,...,Bk.json N1.json,...,Nk.json [options]\n"
	       "       concbench compare --calibrate R1.json ... Rn.json [--output NOISE.json]\n"
	       "                         [--detect PCT [--max-invocations N]]\n\n"
	       "Compares reports run by run, matched by (workload, params, executor, workers,\n"
	       "binding). A run is 'regressed' only when the change is significant and worse\n"
	       "than the threshold, 'improved' likewise; 'inconclusive' when it is over the\n"
	       "threshold but not significant, or within it while the comparison could not\n"
	       "have detected a change of the threshold's size; 'unchanged' otherwise; and\n"
	       "'insufficient' when too few values can ever be tested.\n\n"
	       "Several reports a side, one per invocation (the gate): each run's value in an\n"
	       "invocation is the log of its median; a permutation test on those, with Holm\n"
	       "over the runs, holds the false alarms of a whole comparison under alpha (5\n"
	       "invocations a side at least for one run, 7 for up to 17). Every result states\n"
	       "the smallest change it detects with 90%% probability. One report a side\n"
	       "tests the samples of one invocation (Mann-Whitney U): they share the machine's\n"
	       "state, so the false-alarm rate is then unknown, and the output says so.\n\n"
	       "--calibrate measures, from A/A invocations of one build, the spread of every run\n"
	       "between invocations; --noise uses it for the power and the threshold.\n\n");
	opts_usage(&opt_compare);
	printf("\nexit status: 0 no regression, 1 at least one regression (or a verdict named by\n"
	       "--fail-on; --calibrate --detect: no count within --max-invocations), 2 bad usage\n"
	       "or input, 3 out of memory or the output cannot be written\n");
}

/* Whether the noise file has any run of the comparison. */
static int noise_has_any(const struct cmp_noise *n, const struct cmp_result *res)
{
	for (size_t i = 0; i < res->nrows; i++)
		if (compare_noise_find(n, res->rows[i].base->key))
			return 1;
	return 0;
}

/* The host facts (compare_host_fields) in which the noise file's runner differs from the
 * base side's first report, comma-separated in buf; "" when none. */
static void noise_host_differences(const struct cmp_noise *n, const struct cmp_report *base,
				   char *buf, size_t len)
{
	const cJSON *hn = cJSON_GetObjectItemCaseSensitive(n->doc, "host");
	const cJSON *hb = cJSON_GetObjectItemCaseSensitive(base->doc, "host");

	buf[0] = 0;
	for (size_t i = 0; i < CMP_NHOST_FIELDS; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(hn, compare_host_fields[i]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(hb, compare_host_fields[i]);
		if (a && b && !cJSON_Compare(a, b, 1))
			cb_append(buf, len, "%s%s", buf[0] ? ", " : "", compare_host_fields[i]);
	}
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
	if (opt->noise && !res.pooled) {
		char p[160];
		cb_warn("compare: --noise '%s': used with several invocations a side only; one a "
			"side tests samples", clean(opt->noise_path, p, sizeof(p)));
	}
	if (opt->noise) {
		char p[160], d[400];
		noise_host_differences(opt->noise, base, d, sizeof(d));
		if (d[0])
			cb_warn("compare: --noise '%s' was measured on another host (%s differ); its "
				"floor and power are that runner's", clean(opt->noise_path, p, sizeof(p)), d);
	}
	if (opt->noise && !noise_has_any(opt->noise, &res)) {
		char p[160];
		cb_warn("compare: --noise '%s' has none of the runs compared; the power comes from "
			"the observed spread", clean(opt->noise_path, p, sizeof(p)));
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

/* Load the reports of one side: each of the nargs arguments is one report or a comma list
 * of reports, one per invocation. Returns 0 or a negative errno after one line on stderr. */
static int side_load(char **args, int nargs, struct side *s)
{
	char g[80], *p;
	size_t i, j, len = 0;
	int rc = 0;
	const char *arg = nargs ? args[0] : "";

	s->n = 0;
	for (int a = 0; a < nargs; a++) {
		s->n++;
		len += strlen(args[a]) + 1;
		for (p = strchr(args[a], ','); p; p = strchr(p + 1, ','))
			s->n++;
	}
	if (s->n > CMP_MAX_INVOCATIONS) {
		cb_error("compare: '%s': more than %d reports on one side", clean(arg, g, sizeof(g)),
			 CMP_MAX_INVOCATIONS);
		return -EINVAL;
	}
	s->names = malloc(len ? len : 1);
	s->reps = calloc(s->n ? s->n : 1, sizeof(*s->reps));
	if (!s->names || !s->reps)
		return compare_out_of_memory("reading the arguments");
	/* the arguments joined by commas: one list to cut */
	s->names[0] = 0;
	for (int a = 0; a < nargs; a++)
		cb_append(s->names, len, "%s%s", a ? "," : "", args[a]);
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

/* Load both sides (nb arguments, then nh), judge and print. Returns the exit status. */
static int compare_reports_given(char **bargs, int nb, char **hargs, int nh,
				 const struct cmp_options *opt)
{
	struct side base = { 0 }, head = { 0 };
	int rc;

	rc = side_load(bargs, nb, &base);
	if (!rc)
		rc = side_load(hargs, nh, &head);
	rc = rc ? failure_status(rc) :
		  compare_print_sides(stdout, base.reps, base.n, head.reps, head.n, opt);
	side_release(&head);
	side_release(&base);
	return rc;
}

/* --calibrate: the table of every run's spread, or the noise file as JSON; written to
 * --output. Returns the exit status. */
static int calibrate_given(char **args, int n, const struct cmp_options *opt)
{
	struct side reps = { 0 };
	struct noise_calibration cal = { 0 };
	cJSON *doc = NULL;
	int rc, status = CB_EXIT_OK;

	rc = side_load(args, n, &reps);
	if (!rc && reps.n < 2) {
		cb_error("compare: --calibrate: expected at least 2 reports, A/A invocations of one "
			 "build, got %zu", reps.n);
		rc = -EINVAL;
	}
	if (!rc)
		rc = noise_calibrate(reps.reps, reps.n, opt, &cal);
	if (!rc && !cal.tested) {
		cb_error("compare: --calibrate: no run is in two of the %zu reports; calibrate with "
			 "invocations of one suite", reps.n);
		rc = -EINVAL;
	}
	if (!rc) {
		doc = noise_document(reps.reps, reps.n, opt, &cal);
		rc = doc ? 0 : -ENOMEM;
	}
	if (!rc && opt->output)
		rc = report_write(doc, opt->output);
	if (!rc)
		rc = compare_render_calibration(stdout, opt, &cal, reps.n, doc);
	if (!rc && (fflush(stdout) != 0 || ferror(stdout)) && !cb_reader_gone(stdout)) {
		cb_error("compare: cannot write the calibration: %s", strerror(errno));
		rc = -EIO;
	}
	if (rc)
		status = rc == -EINVAL ? CB_EXIT_USAGE : CB_EXIT_RUNFAIL;
	else if (opt->detect > 0 && !cal.needed)
		status = CB_EXIT_REGRESSION;
	if (!rc && opt->detect > 0 && !cal.needed)
		cb_error("compare: --detect %g%%: no count of invocations up to %u a side detects it "
			 "on every run on this runner; raise --max-invocations, or detect a larger "
			 "change", opt->detect * 100, opt->max_invocations);
	cJSON_Delete(doc);
	noise_calibration_release(&cal);
	side_release(&reps);
	return status;
}

/* Options that belong to one mode only. */
static int check_modes(const struct cmp_options *opt)
{
	if (!opt->calibrate && (opt->detect > 0 || opt->output)) {
		cb_error("compare: %s: only with --calibrate", opt->detect > 0 ? "--detect" : "--output");
		return -EINVAL;
	}
	if (opt->calibrate && opt->noise_path) {
		cb_error("compare: --noise: not with --calibrate, which measures the noise");
		return -EINVAL;
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	static char marker[] = "(--)";   /* the separator, told apart by its address */
	struct cmp_options opt = { 0 };
	struct cmp_noise noise = { 0 };
	int rc, first, sep = 0, npos, nhead = 0, seps = 0;
	char **pos;

	if (argc < 2)
		return CB_EXIT_USAGE;
	/* "B1 ... Bk -- N1 ... Nk": getopt would take "--" as the end of the options, so it
	 * becomes a marker that it keeps, in order, among the positional arguments (options may
	 * then come anywhere, as elsewhere). */
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0 && !seps++) {
			sep = i;
			argv[i] = marker;
		}
	}
	if (seps > 1) {
		cb_error("compare: '--' given %d times; it separates the base reports from the new "
			 "ones, once", seps);
		return CB_EXIT_USAGE;
	}
	rc = opts_parse(&opt_compare, argc, argv, &opt);
	if (rc == 0)
		compare_usage();
	if (rc <= 0)          /* --help, or bad input (said) */
		return rc < 0 ? CB_EXIT_USAGE : CB_EXIT_OK;
	if (check_modes(&opt) < 0)
		return CB_EXIT_USAGE;
	first = rc - 1;      /* the positional arguments, in argv + 1 */
	pos = argv + 1 + first;
	npos = argc - 1 - first;
	for (int i = 0; sep && i < npos; i++) {
		if (pos[i] == marker) {
			nhead = npos - i - 1;
			npos = i;
			break;
		}
	}
	if (opt.calibrate) {
		if (sep || npos < 1) {
			cb_error("compare: --calibrate: expected the reports of one build, R1.json ... "
				 "Rn.json, without '--'");
			return CB_EXIT_USAGE;
		}
		return calibrate_given(pos, npos, &opt);
	}
	if (sep ? npos < 1 || nhead < 1 : npos != 2) {
		if (sep)
			cb_error("compare: expected reports on both sides of '--': B1.json ... Bk.json "
				 "-- N1.json ... Nk.json, got %d and %d", npos, nhead);
		else
			cb_error("compare: expected two reports, BASE.json and NEW.json, got %d (see "
				 "'concbench compare --help')", npos);
		return CB_EXIT_USAGE;
	}
	if (opt.noise_path) {
		rc = noise_load(opt.noise_path, &noise);
		if (!rc && noise.metric != opt.metric) {
			char p[160];
			cb_error("compare: --noise '%s': measured with --metric %s, not %s",
				 clean(opt.noise_path, p, sizeof(p)), compare_metric_name(noise.metric),
				 compare_metric_name(opt.metric));
			rc = -EINVAL;
		}
		if (rc) {
			noise_release(&noise);
			return failure_status(rc);
		}
		opt.noise = &noise;
	}
	rc = sep ? compare_reports_given(pos, npos, pos + npos + 1, nhead, &opt) :
		   compare_reports_given(pos, 1, pos + 1, 1, &opt);
	noise_release(&noise);
	return rc;
}
