/* SPDX-License-Identifier: MIT */
/* noise: the measured noise floor of a runner, `compare --calibrate`'s file.
 *
 * A calibration is several invocations of one build (A/A): for every run key, the standard
 * deviation of the logs of its invocation medians, with how many there were, and the host
 * facts of the first report. The file is versioned ({"concbench_noise": 1, ...}) and
 * loaded strictly: bounded size, every field of a known type and range, unknown fields
 * refused, each failure one line naming the file and the field. compare --noise reads it
 * to state its power and raise its threshold to the noise floor (report/compare.h). */
#ifndef CONCBENCH_NOISE_H
#define CONCBENCH_NOISE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "report/compare.h"

#define NOISE_VERSION 1
#define NOISE_MAX_BYTES (4u << 20)     /* larger files are refused unread */
#define NOISE_MAX_RUNS 100000
#define NOISE_MAX_SD 10.0              /* of logs: a factor e^10 is not noise but a fault */

/* struct cmp_noise, the loaded file, is compare.h's: compare looks runs up in it. */

/* Load and check the noise file at path. Returns 0, or -EINVAL (bad input) / -ENOMEM after
 * one line "concbench: compare: --noise 'PATH': ...". Release with noise_release, also
 * after a failure. */
int noise_load(const char *path, struct cmp_noise *out);
void noise_release(struct cmp_noise *n);

/* One run of a calibration. */
struct noise_row {
	const struct cmp_run *run;    /* of the first report that has it */
	size_t n;                     /* invocations that have it */
	double sd_log;                /* NaN below 2 */
	unsigned needed;              /* --detect: invocations a side, 0 when none <= max */
};

struct noise_calibration {
	struct noise_row *rows;
	size_t nrows;
	size_t tested;                /* rows with an SD: the family of --detect's alpha */
	unsigned needed;              /* --detect: the most of rows' needed; 0 impossible */
	double alpha_each;            /* opt->alpha / tested */
};

/* The spread of every run over the n reports (n >= 2), in opt->metric; with opt->detect
 * the invocations needed. Returns 0, -EINVAL (said), -ENOMEM. Release with
 * noise_calibration_release, also after a failure. */
int noise_calibrate(const struct cmp_report *reps, size_t n, const struct cmp_options *opt,
		    struct noise_calibration *cal);
void noise_calibration_release(struct noise_calibration *cal);

/* The noise file's document of a calibration; NULL when memory runs out (said). */
cJSON *noise_document(const struct cmp_report *reps, size_t n, const struct cmp_options *opt,
		      const struct noise_calibration *cal);

#endif
