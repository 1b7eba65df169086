/* SPDX-License-Identifier: MIT */
/* testutil: what every cmocka test file includes. */
#ifndef CONCBENCH_TESTUTIL_H
#define CONCBENCH_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
