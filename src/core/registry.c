/* SPDX-License-Identifier: MIT */
/* registry: the tables built from the lists in registry.h, lookup, and hook checks. */
#include "core/registry.h"

#include <errno.h>
#include <string.h>

#include "base/util.h"

#define CB_ADDRESS_OF_WORKLOAD(name) &workload_##name,
#define CB_ADDRESS_OF_EXECUTOR(name) &executor_##name,

const struct workload *const cb_workloads[] = { CB_WORKLOADS(CB_ADDRESS_OF_WORKLOAD) };
const size_t cb_nworkloads = ARRAY_SIZE(cb_workloads);

const struct workload *const cb_internal_workloads[] = {
	CB_INTERNAL_WORKLOADS(CB_ADDRESS_OF_WORKLOAD)
};
const size_t cb_ninternal_workloads = ARRAY_SIZE(cb_internal_workloads);

const struct executor *const cb_executors[] = { CB_EXECUTORS(CB_ADDRESS_OF_EXECUTOR) };
const size_t cb_nexecutors = ARRAY_SIZE(cb_executors);

const struct workload *workload_find(const char *name)
{
	for (size_t i = 0; i < cb_nworkloads; i++)
		if (strcmp(cb_workloads[i]->name, name) == 0)
			return cb_workloads[i];
	return NULL;
}

const struct executor *executor_find(const char *name)
{
	for (size_t i = 0; i < cb_nexecutors; i++)
		if (strcmp(cb_executors[i]->name, name) == 0)
			return cb_executors[i];
	return NULL;
}

int workload_runs_on(const struct workload *wl, const struct executor *ex, char *why,
		     size_t len)
{
	if ((wl->flags & WL_SHARED_DATA) && !(ex->flags & EX_SHARED_DATA)) {
		cb_fmt(why, len, "%s needs a data region its workers share, and %s gives each "
		       "worker its own", wl->name, ex->name);
		return -ENOTSUP;
	}
	if ((wl->flags & WL_BLOCKING) && !wl->async_start && (ex->flags & EX_EVENT_LOOP)) {
		cb_fmt(why, len, "%s's tasks block and it has no asynchronous form: on the event "
		       "loop of %s one waiting task would stall every other task in flight (use "
		       "thread)", wl->name, ex->name);
		return -ENOTSUP;
	}
	return 0;
}

static int workloads_check(const struct workload *const *wls, size_t n, char *why, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		const struct workload *w = wls[i];
		if (!w->name || !w->summary || !w->init || !w->run_task || !w->verify ||
		    w->noptions > WL_MAX_OPTIONS) {
			cb_fmt(why, len, "workload %zu ('%s') lacks a required hook", i,
			       w->name ? w->name : "?");
			return -EINVAL;
		}
		/* The asynchronous form is all three or nothing. */
		if (!!w->async_start != !!w->async_step || !!w->async_start != !!w->async_state) {
			cb_fmt(why, len, "workload %zu ('%s') has part of the asynchronous form "
			       "(async_start, async_step and async_state go together)", i, w->name);
			return -EINVAL;
		}
	}
	return 0;
}

int registry_check(char *why, size_t len)
{
	if (workloads_check(cb_workloads, cb_nworkloads, why, len) < 0 ||
	    workloads_check(cb_internal_workloads, cb_ninternal_workloads, why, len) < 0)
		return -EINVAL;
	for (size_t i = 0; i < cb_nexecutors; i++) {
		const struct executor *x = cb_executors[i];
		if (!x->name || !x->summary || !x->start || !x->run || !x->stop) {
			cb_fmt(why, len, "executor %zu ('%s') lacks a required hook", i,
			       x->name ? x->name : "?");
			return -EINVAL;
		}
	}
	return 0;
}
