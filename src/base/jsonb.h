/* SPDX-License-Identifier: MIT */
/* jsonb: the one cJSON builder of every JSON document concbench prints, and the two getters
 * its renderers read parsed documents with.
 *
 * Building: every helper records a failed allocation in the builder's flag (and frees what
 * it could not attach), so that one check at the end, jsonb_finish(), catches any of them;
 * a NULL parent is a failure already recorded, never a crash. Numbers are printed so that
 * they read back as the same double (raw items): a built document is for printing; code
 * that reads one back in-process must print and parse it first. */
#ifndef CONCBENCH_JSONB_H
#define CONCBENCH_JSONB_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct jsonb {
	int failed;
};

/* v, after recording a failure when it is NULL. */
cJSON *jsonb_chk(struct jsonb *b, cJSON *v);
/* A number item that prints as the shortest of %.15g, %.16g, %.17g that reads back as v;
 * null when v is NaN or infinite. NULL when memory runs out. */
cJSON *jsonb_number(double v);
/* Attach v to object o under k, or append it to array a; on failure (o, a or v NULL, or
 * the add fails) record it and free v. */
void jsonb_item(struct jsonb *b, cJSON *o, const char *k, cJSON *v);
void jsonb_push(struct jsonb *b, cJSON *a, cJSON *v);
/* Members: a number (NaN, inf: null), an index (negative: null), a string (NULL: null),
 * a boolean (nonzero: true), null. */
void jsonb_add_num(struct jsonb *b, cJSON *o, const char *k, double v);
void jsonb_add_index(struct jsonb *b, cJSON *o, const char *k, int v);
void jsonb_add_str(struct jsonb *b, cJSON *o, const char *k, const char *v);
void jsonb_add_bool(struct jsonb *b, cJSON *o, const char *k, int v);
void jsonb_add_null(struct jsonb *b, cJSON *o, const char *k);
/* Arrays of n numbers (as jsonb_number) or n ints. */
cJSON *jsonb_num_array(struct jsonb *b, const double *v, size_t n);
cJSON *jsonb_int_array(struct jsonb *b, const int *v, size_t n);
/* doc when nothing failed; otherwise NULL, doc deleted. */
cJSON *jsonb_finish(const struct jsonb *b, cJSON *doc);

/* Member k of a parsed object: its number, NaN when absent or not a number; its string,
 * "" when absent or not a string. */
double jsonb_num(const cJSON *o, const char *k);
const char *jsonb_str(const cJSON *o, const char *k);

#endif
