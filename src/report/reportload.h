/* SPDX-License-Identifier: MIT */
/* reportload: the one reader of report files. `report`, `report --plot` and `compare` read
 * through it, so they accept and refuse the same documents.
 *
 * A document it returns has passed every rule of the table in reportload.c: each field that
 * a renderer, the chart or compare reads has the type, range and length they rely on (see
 * docs/report-loading.md). Anything else is refused with one line on stderr,
 * "concbench: CMD: 'PATH': ...", naming the file and, for a run, its index, its name and
 * the field. */
#ifndef CONCBENCH_REPORTLOAD_H
#define CONCBENCH_REPORTLOAD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define REPORT_MAX_BYTES (64u << 20)   /* larger files are refused unread */
#define REPORT_MAX_DEPTH 64            /* nesting of arrays and objects */
#define REPORT_MAX_SAMPLES 100000      /* per run: --repetitions' own maximum */
#define REPORT_MAX_WORKERS (1u << 20)
#define REPORT_MAX_NAME 256            /* bytes of a name: workload, executor, a param... */
#define REPORT_MAX_TEXT 8192           /* bytes of any other string */
#define REPORT_MAX_CODE 32             /* bytes of a warning's code */

/* Read the regular file at path (never blocking on a FIFO or a device: those are refused)
 * and validate it as report_parse does. cmd ("report", "compare") starts the message.
 * Returns the document, or NULL with errno set (ENOMEM when memory ran out, another
 * errno for bad input) after printing one line. */
cJSON *report_load(const char *cmd, const char *path);

/* Validate the len bytes at text (not necessarily NUL-terminated) as a report; name is the
 * file named in messages. Refuses an empty text, a NUL byte, nesting deeper than
 * REPORT_MAX_DEPTH, invalid JSON, anything after the document, another schema, and any
 * field outside the rules. Returns the document or NULL (errno set, one line printed). */
cJSON *report_parse(const char *cmd, const char *name, const char *text, size_t len);

/* The codes of the warnings of a document report_parse accepted, grouped by run:
 * codes[first[i] .. first[i + 1]) are those about runs[i], in the report's order, pointing
 * into the document. A report from before warnings had codes (an array of strings) has none.
 * Built once, so that looking up every run costs the warnings once, not once per run. */
struct report_run_codes {
	size_t nruns;
	size_t *first;               /* nruns + 1 offsets into codes */
	const char **codes;
};

/* Returns 0 or -ENOMEM; release with report_run_codes_free (also after a failure). */
int report_run_codes_build(const cJSON *doc, struct report_run_codes *rc);
void report_run_codes_free(struct report_run_codes *rc);
/* How many codes runs[run] has (0 for a run out of range); *codes points at the first. */
size_t report_run_codes_of(const struct report_run_codes *rc, size_t run,
			   const char *const **codes);

/* The backend an event-loop run fell back to ("epoll" under uring), or NULL when the run
 * ran on the backend its executor is named for (io_uring holds uring) or has none. */
const char *report_run_fallback(const cJSON *run);

#endif
