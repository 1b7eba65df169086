/* SPDX-License-Identifier: MIT */
/* docgen: what `concbench help --WHAT` prints for the build and the tests, all from the
 * command table and the option table, so that the man page, the bash completion and the
 * README's option lists cannot drift from what parses. */
#ifndef CONCBENCH_DOCGEN_H
#define CONCBENCH_DOCGEN_H

#include <stddef.h>

struct doc_command {
	const char *name;
	const char *args;       /* what follows the options in the synopsis ("" for none) */
	const char *summary;
};

/* Print what for the commands cmds: "--options CMD" (one option a line: --long [-s]),
 * "--man" (the man page's COMMANDS section, troff), "--markdown" (README's option
 * lists) or "--bash-completion" (a script for bash-completion). Returns 0, 2 after the
 * one-line message for a bad argument, or -1 when what is none of these. */
int docgen_print(const char *what, const char *arg, const struct doc_command *cmds, size_t n);

#endif
