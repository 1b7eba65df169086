/* SPDX-License-Identifier: MIT */
/* Unit tests for the mpi executor outside mpirun (what it says, how the registry and the
 * option checks treat it) and for the loader's rules of runs[].ranks[]. Running ranks
 * needs mpirun: tests/cli/t_mpi.sh. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/mpirank.h"
#include "core/registry.h"
#include "report/reportload.h"

static void test_mpi_unavailable_here(void **state)
{
	const struct executor *x = executor_find("mpi");
	char why[256] = "";
	(void)state;

	assert_non_null(x);
	assert_true(x->flags & EX_LAUNCHED);
	assert_non_null(x->supported);
	/* Not started by mpirun: never MPI_Init'ed, no world. */
	assert_int_equal(mpirank_world(), 0);
	assert_int_equal(x->supported(why, sizeof(why)), -ENOTSUP);
	if (mpirank_built())
		assert_non_null(strstr(why, "mpirun -np WORKERS+1"));
	else
		assert_string_equal(why, "concbench was built without Open MPI: apt-get install "
				    "libopenmpi-dev openmpi-bin, then make");
	/* Without a world there is no count to hold the workers against. */
	assert_int_equal(x->fits(64, why, sizeof(why)), 0);
	/* It never starts a pool outside mpirun, whatever the caller. */
	{
		struct wl_inst w = { .wl = workload_find("cpu"), .ntasks = 4 };
		struct pool_cfg cfg = { .w = &w, .workers = 1 };
		struct pool *p = NULL;
		struct cb_err e = { 0 };
		int64_t startup = 0;
		assert_int_equal(x->start(&cfg, &p, &startup, &e), -ENOTSUP);
		assert_null(p);
		assert_non_null(strstr(e.msg, mpirank_built() ? "mpirun -np" : "without Open MPI"));
		x->stop(NULL);
	}
}

/* A report of one mpi run with the ranks array text; parsed with stderr silenced. */
static cJSON *with_ranks(const char *ranks)
{
	char text[2048];
	int saved, fd;
	cJSON *doc;

	snprintf(text, sizeof(text),
		 "{\"schema\": \"concbench-report/1\", \"runs\": [{\"workload\": \"cpu\","
		 " \"params\": {\"size\": 1000}, \"executor\": \"mpi\", \"workers\": 2,"
		 " \"binding\": \"none\", \"samples_s\": [0.1, 0.2], \"median_s\": 0.15,"
		 " \"ranks\": %s}]}", ranks);
	fflush(stderr);
	saved = dup(2);
	fd = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	doc = report_parse("report", "r.json", text, strlen(text));
	dup2(saved, 2);
	close(saved);
	close(fd);
	return doc;
}

static void test_loader_ranks(void **state)
{
	static const char *const good[] = {
		"[{\"worker\": 0, \"rank\": 1, \"host\": \"vm\", \"pu\": 1, \"mpi_bound\": false,"
		" \"offset_s\": -2e-08, \"offset_uncertainty_s\": 2.85e-07},"
		" {\"worker\": 1, \"rank\": 2, \"host\": \"node2\", \"pu\": null,"
		" \"offset_s\": 0.25, \"offset_uncertainty_s\": 0}]",
		"[]",
	};
	static const char *const bad[] = {
		"{}",
		"[1]",
		"[{\"worker\": 0, \"rank\": 0, \"host\": \"vm\", \"offset_s\": 0,"
		" \"offset_uncertainty_s\": 0}]",
		"[{\"worker\": -1, \"rank\": 1, \"host\": \"vm\", \"offset_s\": 0,"
		" \"offset_uncertainty_s\": 0}]",
		"[{\"worker\": 0, \"rank\": 1, \"host\": 7, \"offset_s\": 0,"
		" \"offset_uncertainty_s\": 0}]",
		"[{\"worker\": 0, \"rank\": 1, \"host\": \"vm\", \"pu\": -1, \"offset_s\": 0,"
		" \"offset_uncertainty_s\": 0}]",
		"[{\"worker\": 0, \"rank\": 1, \"host\": \"vm\", \"mpi_bound\": 1, \"offset_s\": 0,"
		" \"offset_uncertainty_s\": 0}]",
		"[{\"worker\": 0, \"rank\": 1, \"host\": \"vm\", \"offset_s\": \"0\","
		" \"offset_uncertainty_s\": 0}]",
		"[{\"worker\": 0, \"rank\": 1, \"host\": \"vm\", \"offset_s\": 0,"
		" \"offset_uncertainty_s\": -1e-6}]",
		"[{\"worker\": 0, \"rank\": 1, \"host\": \"vm\", \"offset_s\": 0}]",
	};
	cJSON *doc;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		doc = with_ranks(good[i]);
		if (!doc)
			print_error("refused: %s\n", good[i]);
		assert_non_null(doc);
		cJSON_Delete(doc);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = with_ranks(bad[i]);
		if (doc)
			print_error("accepted: %s\n", bad[i]);
		assert_null(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mpi_unavailable_here),
		cmocka_unit_test(test_loader_ranks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
