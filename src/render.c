/* SPDX-License-Identifier: MIT */
/* render: plain-text speedup tables. */
#include "render.h"

#include <math.h>
#include <string.h>

#include "registry.h"
#include "topo.h"
#include "util.h"

static void fmt_time(char *buf, size_t len, double s)
{
	if (s >= 1)
		cb_fmt(buf, len, "%.3f s", s);
	else if (s >= 1e-3)
		cb_fmt(buf, len, "%.2f ms", s * 1e3);
	else
		cb_fmt(buf, len, "%.1f us", s * 1e6);
}

static void fmt_rate(char *buf, size_t len, double v, const char *unit)
{
	static const char *const pre[] = { "", "k", "M", "G", "T" };
	size_t i = 0;
	while (v >= 1000 && i + 1 < ARRAY_SIZE(pre)) {
		v /= 1000;
		i++;
	}
	cb_fmt(buf, len, "%.3g %s%s/s", v, pre[i], unit);
}

static void group_title(FILE *f, const struct run_result *r)
{
	fprintf(f, "%s", r->wl->name);
	for (size_t j = 0; j < r->wl->noptions; j++) {
		const struct wl_option *o = &r->wl->options[j];
		if (o->kind == WLO_CHOICE)
			fprintf(f, " %s=%s", o->name, o->choices[r->p.opt[j]]);
		else
			fprintf(f, " %s=%gms", o->name, (double)r->p.opt[j] * 1e-6);
	}
	if (r->p.size)
		fprintf(f, " size=%llu", (unsigned long long)r->p.size);
	fprintf(f, " tasks=%llu, %s scaling, %s schedule, binding %s\n", (unsigned long long)r->p.tasks,
		r->weak ? "weak" : "strong", r->dynamic ? "dynamic" : "static",
		bind_policy_name(r->bind));
}

void render_table(FILE *f, const struct run_set *rs)
{
	size_t i = 0;
	while (i < rs->n) {
		int g = rs->runs[i].group;
		const struct run_result *base = &rs->runs[i];
		const struct executor *cols[8];
		size_t ncols = 0, end = i;
		unsigned verified = 0, total = 0;
		char t[32], rate[48];

		while (end < rs->n && rs->runs[end].group == g)
			end++;
		for (size_t j = i + 1; j < end; j++) {
			size_t k;
			for (k = 0; k < ncols && cols[k] != rs->runs[j].ex; k++)
				;
			if (k == ncols && ncols < ARRAY_SIZE(cols))
				cols[ncols++] = rs->runs[j].ex;
		}
		group_title(f, base);
		fmt_time(t, sizeof(t), base->st.median);
		fmt_rate(rate, sizeof(rate), base->items / base->st.median, base->unit);
		fprintf(f, "  seq (1 worker): median %s, %s\n", t, rate);
		if (ncols) {
			fprintf(f, "  %-8s", "workers");
			for (size_t k = 0; k < ncols; k++)
				fprintf(f, "  %-20s", cols[k]->name);
			fprintf(f, "\n");
		}
		for (size_t j = i + 1; j < end;) {
			unsigned workers = rs->runs[j].workers;
			fprintf(f, "  %-8u", workers);
			for (size_t k = 0; k < ncols; k++) {
				const struct run_result *r = NULL;
				char cell[48];
				for (size_t q = i + 1; q < end; q++)
					if (rs->runs[q].workers == workers && rs->runs[q].ex == cols[k])
						r = &rs->runs[q];
				if (r) {
					fmt_time(t, sizeof(t), r->st.median);
					cb_fmt(cell, sizeof(cell), "%s %5.2fx", t, r->speedup);
				} else {
					cb_fmt(cell, sizeof(cell), "-");
				}
				fprintf(f, "  %-20s", cell);
			}
			fprintf(f, "\n");
			while (j < end && rs->runs[j].workers == workers)
				j++;
		}
		for (size_t j = i; j < end; j++) {
			total++;
			verified += rs->runs[j].verified;
		}
		fprintf(f, "  cells: median time per repetition and speedup against seq; %u of %u "
			"runs verified against the reference\n\n", verified, total);
		i = end;
	}
	for (size_t w = 0; w < rs->nwarnings; w++)
		fprintf(f, "warning: %s\n", rs->warnings[w]);
}
