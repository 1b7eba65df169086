/* SPDX-License-Identifier: MIT */
/* jsonb: a cJSON builder that loses neither a failed allocation nor the last bit of a
 * number, and the getters of parsed documents. */
#include "base/jsonb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

cJSON *jsonb_chk(struct jsonb *b, cJSON *v)
{
	if (!v)
		b->failed = 1;
	return v;
}

/* cJSON prints with %1.15g and keeps it when it is only approximately equal, which loses
 * the last bit of about a third of measured samples; so print the shortest of %.15g,
 * %.16g, %.17g that round-trips and insert it raw. */
cJSON *jsonb_number(double v)
{
	char buf[32];
	if (!isfinite(v))
		return cJSON_CreateNull();
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return cJSON_CreateRaw(buf);
}

void jsonb_item(struct jsonb *b, cJSON *o, const char *k, cJSON *v)
{
	if (!o || !v || !cJSON_AddItemToObject(o, k, v)) {
		cJSON_Delete(v);
		b->failed = 1;
	}
}

void jsonb_push(struct jsonb *b, cJSON *a, cJSON *v)
{
	if (!a || !v || !cJSON_AddItemToArray(a, v)) {
		cJSON_Delete(v);
		b->failed = 1;
	}
}

void jsonb_add_num(struct jsonb *b, cJSON *o, const char *k, double v)
{
	jsonb_item(b, o, k, jsonb_number(v));
}

void jsonb_add_index(struct jsonb *b, cJSON *o, const char *k, int v)
{
	jsonb_add_num(b, o, k, v < 0 ? NAN : (double)v);
}

void jsonb_add_str(struct jsonb *b, cJSON *o, const char *k, const char *v)
{
	jsonb_item(b, o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

void jsonb_add_bool(struct jsonb *b, cJSON *o, const char *k, int v)
{
	jsonb_item(b, o, k, cJSON_CreateBool(v != 0));
}

void jsonb_add_null(struct jsonb *b, cJSON *o, const char *k)
{
	jsonb_item(b, o, k, cJSON_CreateNull());
}

cJSON *jsonb_num_array(struct jsonb *b, const double *v, size_t n)
{
	cJSON *a = jsonb_chk(b, cJSON_CreateArray());
	for (size_t i = 0; a && i < n; i++)
		jsonb_push(b, a, jsonb_number(v[i]));
	return a;
}

cJSON *jsonb_int_array(struct jsonb *b, const int *v, size_t n)
{
	cJSON *a = jsonb_chk(b, cJSON_CreateArray());
	for (size_t i = 0; a && i < n; i++)
		jsonb_push(b, a, cJSON_CreateNumber(v[i]));
	return a;
}

cJSON *jsonb_finish(const struct jsonb *b, cJSON *doc)
{
	if (b->failed) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

double jsonb_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *jsonb_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}
