/* SPDX-License-Identifier: MIT */
/* Replay driver: feeds every file named (or found in the directories named) to the fuzz
 * target it is linked with, once, without libFuzzer. `make test` builds it with gcc under
 * ASan+UBSan and runs it over tests/fuzz/corpus/ and tests/fuzz/crashes/: a crash fails
 * the suite, and so does an input still running after REPLAY_LIMIT_S seconds (a hang must
 * not hang the suite). Ends with "N passed, 0 failed" (a crash never gets there). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_LIMIT_S 60

static FILE *out;
static int out_fd = -1;
static unsigned passed, failed;

static void too_long(int sig)
{
	static const char msg[] = "FAIL - an input ran longer than the replay's limit (a hang)\n";
	ssize_t w = write(out_fd, msg, sizeof(msg) - 1);

	(void)sig;
	(void)w;
	_exit(1);
}

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(out, "FAIL - %s: cannot read: %s\n", path, strerror(errno));
		failed++;
	} else {
		fprintf(out, "replay %s\n", path);
		fflush(out);
		alarm(REPLAY_LIMIT_S);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		alarm(0);
		passed++;
	}
	free(buf);
	if (f)
		fclose(f);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	out_fd = dup(1);
	out = out_fd >= 0 ? fdopen(out_fd, "w") : NULL;
	if (!out)
		return 2;
	signal(SIGALRM, too_long);
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct dirent **ents;
		struct stat st;
		int n;

		if (stat(argv[i], &st) < 0)
			continue;       /* no crash files: nothing to replay */
		if (!S_ISDIR(st.st_mode)) {
			replay_file(argv[i]);
			continue;
		}
		n = scandir(argv[i], &ents, NULL, by_name);
		for (int j = 0; j < n; j++) {
			char p[4096];
			if (ents[j]->d_name[0] != '.') {
				snprintf(p, sizeof(p), "%s/%s", argv[i], ents[j]->d_name);
				replay_file(p);
			}
			free(ents[j]);
		}
		if (n >= 0)
			free(ents);
	}
	fprintf(out, "%u passed, %u failed\n", passed, failed);
	fclose(out);
	return failed ? 1 : 0;
}
