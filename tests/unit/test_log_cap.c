// SPDX-License-Identifier: GPL-2.0-or-later
/* Tests for lib/log_cap.c: a log past its cap moves to FILE.1 and starts empty. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "include/hover/log_cap.h"

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_rotates_past_the_cap(void **state)
{
	char dir[] = "/tmp/hover-logcap-XXXXXX", path[128], old[140], chunk[16 << 10];
	struct log_cap lc;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guest.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fd >= 0);
	assert_int_equal(log_cap_init(&lc, fd, path, 256 << 10), 0);
	memset(chunk, 'a', sizeof(chunk));
	/* 320 KiB in 16 KiB writes: the cap (256 KiB) is passed, checked every 64 KiB */
	for (int i = 0; i < 20; i++) {
		chunk[0] = (char)('A' + i);
		assert_int_equal(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
		log_cap_wrote(&lc, sizeof(chunk));
	}
	assert_true(size_of(old) > 256 << 10);
	assert_true(size_of(old) <= (256 + 64) << 10);
	assert_true(size_of(path) < 256 << 10);
	/* what is in FILE is newer than what moved to FILE.1: writes continue after it */
	assert_int_equal(size_of(old) + size_of(path), 20 * (16 << 10));
	log_cap_fini(&lc);
	close(fd);
	unlink(old);
	unlink(path);
	rmdir(dir);
}

static void test_no_cap_on_a_pipe(void **state)
{
	struct log_cap lc;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(log_cap_init(&lc, p[1], "/nonexistent/pipe", 1024), 0);
	assert_int_equal(lc.old_fd, -1);
	log_cap_wrote(&lc, 4096);
	log_cap_fini(&lc);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotates_past_the_cap),
		cmocka_unit_test(test_no_cap_on_a_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
