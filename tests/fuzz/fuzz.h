/* SPDX-License-Identifier: MIT */
/* The libFuzzer entry points of the targets in tests/fuzz/, also called by replay.c (the
 * gcc-built driver that `make test` runs over the corpus under ASan+UBSan). */
#ifndef CONCBENCH_FUZZ_H
#define CONCBENCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Point stdout and stderr (the streams, not the descriptors: sanitizer reports and
 * libFuzzer's own output keep going to the terminal) at a stream that discards. */
void fuzz_silence(void);

#endif
