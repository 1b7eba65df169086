/* SPDX-License-Identifier: MIT */
/* smaps: the /proc memory parser on fixture text (whole, summed per mapping, cut short at
 * every byte, garbage), the reader's fallback to smaps, and finding a process's children. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "measure/smaps.h"

/* /proc/PID/smaps_rollup of Linux 6.x, with the Pss_* lines that must not be read as Pss. */
static const char rollup[] =
	"5581d8a00000-7ffc2b3fe000 ---p 00000000 00:00 0                          [rollup]\n"
	"Rss:               71420 kB\n"
	"Pss:               67561 kB\n"
	"Pss_Dirty:         66100 kB\n"
	"Pss_Anon:          65990 kB\n"
	"Pss_File:           1571 kB\n"
	"Pss_Shmem:             0 kB\n"
	"Shared_Clean:       4000 kB\n"
	"Shared_Dirty:        932 kB\n"
	"Private_Clean:       500 kB\n"
	"Private_Dirty:     65988 kB\n"
	"Referenced:        71420 kB\n"
	"Anonymous:         66920 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n";

/* Two mappings of /proc/PID/smaps (Linux 4.9): the same fields once per mapping. */
static const char smaps_two[] =
	"00400000-0040c000 r-xp 00000000 08:01 1234    /usr/bin/x\n"
	"Size:                 48 kB\n"
	"Rss:                  40 kB\n"
	"Pss:                  20 kB\n"
	"Shared_Clean:         40 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         0 kB\n"
	"Private_Dirty:         0 kB\n"
	"THPeligible:    0\n"
	"VmFlags: rd ex mr mw me dw\n"
	"7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
	"Size:              65536 kB\n"
	"Rss:               65536 kB\n"
	"Pss:               65536 kB\n"
	"Shared_Clean:          0 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         0 kB\n"
	"Private_Dirty:     65536 kB\n"
	"VmFlags: rd wr mr mw me ac nh\n";

static void test_rollup_fields(void **state)
{
	struct smaps_mem m;
	char err[200] = "";
	(void)state;
	assert_int_equal(smaps_parse(rollup, strlen(rollup), &m, err, sizeof(err)), 0);
	assert_int_equal(m.rss_kb, 71420);
	assert_int_equal(m.pss_kb, 67561);
	assert_int_equal(m.shared_clean_kb, 4000);
	assert_int_equal(m.shared_dirty_kb, 932);
	assert_int_equal(m.private_clean_kb, 500);
	assert_int_equal(m.private_dirty_kb, 65988);
	assert_int_equal(smaps_private_kb(&m), 66488);
	assert_int_equal(smaps_shared_kb(&m), 4932);
}

static void test_smaps_summed(void **state)
{
	struct smaps_mem m, twice;
	char err[200] = "";
	(void)state;
	assert_int_equal(smaps_parse(smaps_two, strlen(smaps_two), &m, err, sizeof(err)), 0);
	assert_int_equal(m.rss_kb, 65576);
	assert_int_equal(m.pss_kb, 65556);
	assert_int_equal(m.shared_clean_kb, 40);
	assert_int_equal(m.private_dirty_kb, 65536);
	twice = m;
	smaps_add(&twice, &m);
	assert_int_equal(twice.rss_kb, 2 * 65576);
	assert_int_equal(twice.pss_kb, 2 * 65556);
}

/* Cut at every byte: an error with a reason, or (once every field line is whole) the very
 * numbers of the whole file; never a crash, never a partial sum. */
static void test_truncated_everywhere(void **state)
{
	struct smaps_mem whole, m;
	char err[200];
	size_t ok = 0;
	(void)state;
	assert_int_equal(smaps_parse(rollup, strlen(rollup), &whole, err, sizeof(err)), 0);
	for (size_t n = 0; n < strlen(rollup); n++) {
		char *cut = malloc(n ? n : 1);   /* exactly n bytes: ASan sees any overread */
		int rc;
		assert_non_null(cut);
		memcpy(cut, rollup, n);
		err[0] = '\0';
		rc = smaps_parse(cut, n, &m, err, sizeof(err));
		free(cut);
		if (rc == 0) {
			assert_memory_equal(&m, &whole, sizeof(m));
			ok++;
			continue;
		}
		assert_int_equal(rc, -EBADMSG);
		assert_true(err[0] != '\0');
	}
	/* whole from the end of the Private_Dirty line on */
	assert_int_equal(ok, strlen(strstr(rollup, "Referenced:")));
	assert_int_equal(smaps_parse(rollup, strstr(rollup, "Private_Dirty:") - rollup + 20, &m,
				     err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "truncated line 'Private_Dirty:"));
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"hello\nworld\n",
		"\x01\x02\xff\xfe\n\n\n",
		"Rss: lots kB\n",
		"Rss:    12 MB\n",
		"Rss:    12kB\n",
		"Rss: 99999999999999999999999 kB\n",
		/* every field, but private + shared is not Rss */
		"Rss: 10 kB\nPss: 5 kB\nShared_Clean: 1 kB\nShared_Dirty: 1 kB\n"
		"Private_Clean: 1 kB\nPrivate_Dirty: 1 kB\n",
	};
	static const char *const why[] = {
		"no Rss line", "no Rss line", "no Rss line", "malformed", "malformed",
		"malformed", "malformed", "is not Rss 10 kB",
	};
	struct smaps_mem m;
	char err[200], nul[] = "Rss: 4 kB\n\0Pss: 4 kB\n";
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(smaps_parse(bad[i], strlen(bad[i]), &m, err, sizeof(err)),
				 -EBADMSG);
		if (!strstr(err, why[i]))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, why[i]);
	}
	/* a NUL inside is a line that is no field, not the end of the text */
	assert_int_equal(smaps_parse(nul, sizeof(nul) - 1, &m, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "no Pss line"));
	/* a sum that does not fit */
	{
		const char *big = "Rss: 18446744073709551615 kB\nRss: 1 kB\n";
		assert_int_equal(smaps_parse(big, strlen(big), &m, err, sizeof(err)), -EBADMSG);
		assert_non_null(strstr(err, "does not fit"));
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A fake /proc: pid 42 has smaps only (an old kernel), 43 smaps_rollup, 44 nothing; 10 and
 * 11 are children of 7 (11's name holds ") S 9"), 12 is not. */
static void test_fake_proc(void **state)
{
	char root[] = "/tmp/cb-smaps-XXXXXX", path[300], err[300];
	static const char *const dirs[] = { "42", "43", "44", "10", "11", "12", "self" };
	struct smaps_mem m;
	const char *source = NULL;
	pid_t kids[4] = { 0 };
	(void)state;
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	snprintf(path, sizeof(path), "%s/42/smaps", root);
	write_file(path, smaps_two);
	snprintf(path, sizeof(path), "%s/43/smaps_rollup", root);
	write_file(path, rollup);
	snprintf(path, sizeof(path), "%s/11/stat", root);
	write_file(path, "11 (we) S 9) S 7 11 11 0 -1\n");
	snprintf(path, sizeof(path), "%s/10/stat", root);
	write_file(path, "10 (a) R 7 10 10 0 -1\n");
	snprintf(path, sizeof(path), "%s/12/stat", root);
	write_file(path, "12 (b) S 8 12 12 0 -1\n");
	snprintf(path, sizeof(path), "%s/self/stat", root);
	write_file(path, "1 (init) S 7 1 1 0 -1\n");

	assert_int_equal(smaps_read(root, 42, &m, &source, err, sizeof(err)), 0);
	assert_string_equal(source, "smaps");
	assert_int_equal(m.rss_kb, 65576);
	assert_int_equal(smaps_read(root, 43, &m, &source, err, sizeof(err)), 0);
	assert_string_equal(source, "smaps_rollup");
	assert_int_equal(m.pss_kb, 67561);
	assert_int_equal(smaps_read(root, 44, &m, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/44/smaps: "));

	assert_int_equal(smaps_children(root, 7, kids, 4), 2);
	assert_int_equal(kids[0], 10);
	assert_int_equal(kids[1], 11);
	assert_int_equal(smaps_children(root, 7, kids, 1), 2);   /* out too short: the count */
	assert_int_equal(smaps_children(root, 99, kids, 4), 0);
	snprintf(path, sizeof(path), "%s/none", root);
	assert_int_equal(smaps_children(path, 7, kids, 4), -ENOENT);

	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

/* This process, and a child it forked, in the real /proc. */
static void test_real_proc(void **state)
{
	struct smaps_mem m;
	char err[300];
	pid_t kids[64], child;
	int n, found = 0, status;
	(void)state;
	if (access("/proc/self/smaps", R_OK) != 0)
		skip();
	assert_int_equal(smaps_read("/proc", getpid(), &m, NULL, err, sizeof(err)), 0);
	assert_true(m.rss_kb > 0 && m.pss_kb > 0 && m.pss_kb <= m.rss_kb);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	n = smaps_children("/proc", getpid(), kids, 64);
	for (int i = 0; i < n && i < 64; i++)
		found |= kids[i] == child;
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_true(found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollup_fields),
		cmocka_unit_test(test_smaps_summed),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_fake_proc),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
