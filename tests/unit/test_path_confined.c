// SPDX-License-Identifier: GPL-2.0-or-later
/* Tests for lib/path_confined.c: inside, outside, symlinks out, "..", prefixes, fds. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "include/hover/path_confined.h"

struct tree {
	char root[64];
	char p[8][PATH_MAX];
};

/* root/img/disk.raw, root/img/sub/k, root/images/x, root/other/secret,
 * root/img/out -> ../other/secret, root/img/dangling -> nowhere */
static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	int fd;

	snprintf(t->root, sizeof(t->root), "/tmp/hover-pc-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	const char *dirs[] = { "img", "img/sub", "images", "other" };
	for (unsigned i = 0; i < 4; i++) {
		snprintf(t->p[0], PATH_MAX, "%s/%s", t->root, dirs[i]);
		assert_int_equal(mkdir(t->p[0], 0700), 0);
	}
	const char *files[] = { "img/disk.raw", "img/sub/k", "images/x", "other/secret" };
	for (unsigned i = 0; i < 4; i++) {
		snprintf(t->p[0], PATH_MAX, "%s/%s", t->root, files[i]);
		fd = open(t->p[0], O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	snprintf(t->p[0], PATH_MAX, "%s/img/out", t->root);
	assert_int_equal(symlink("../other/secret", t->p[0]), 0);
	snprintf(t->p[0], PATH_MAX, "%s/img/dangling", t->root);
	assert_int_equal(symlink("nowhere", t->p[0]), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->root);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static const char *at(struct tree *t, unsigned slot, const char *rel)
{
	snprintf(t->p[slot], PATH_MAX, "%s/%s", t->root, rel);
	return t->p[slot];
}

static void test_inside_and_outside(void **state)
{
	struct tree *t = *state;
	const char *dirs[] = { at(t, 1, "img"), NULL };

	assert_true(path_confined(at(t, 0, "img/disk.raw"), dirs));
	assert_true(path_confined(at(t, 0, "img/sub/k"), dirs));
	assert_true(path_confined(at(t, 0, "img"), dirs));
	assert_false(path_confined(at(t, 0, "other/secret"), dirs));
	assert_false(path_confined("/etc/shadow", dirs));
}

static void test_symlink_and_dotdot_out_are_refused(void **state)
{
	struct tree *t = *state;
	const char *dirs[] = { at(t, 1, "img"), NULL };

	assert_false(path_confined(at(t, 0, "img/out"), dirs));
	assert_false(path_confined(at(t, 0, "img/../other/secret"), dirs));
	assert_false(path_confined(at(t, 0, "img/dangling"), dirs));
	assert_false(path_confined(at(t, 0, "img/missing"), dirs));
}

static void test_prefix_is_not_containment(void **state)
{
	struct tree *t = *state;
	const char *dirs[] = { at(t, 1, "img"), NULL };

	/* root/images/x starts with root/img but is not in it */
	assert_false(path_confined(at(t, 0, "images/x"), dirs));
}

static void test_several_dirs_and_symlinked_dir(void **state)
{
	struct tree *t = *state;
	const char *dirs[] = { at(t, 1, "missing-dir"), at(t, 2, "other"), NULL };
	char link[PATH_MAX];

	assert_true(path_confined(at(t, 0, "other/secret"), dirs));
	/* A directory given through a symlink is resolved as well. */
	snprintf(link, sizeof(link), "%s/imglink", t->root);
	assert_int_equal(symlink("img", link), 0);
	const char *via_link[] = { link, NULL };
	assert_true(path_confined(at(t, 0, "img/disk.raw"), via_link));
	assert_false(path_confined(at(t, 0, "other/secret"), via_link));
}

static void test_no_dirs_confines_nothing(void **state)
{
	const char *none[] = { NULL };

	(void)state;
	assert_true(path_confined("/etc/shadow", NULL));
	assert_true(path_confined("/etc/shadow", none));
}

static void test_fd(void **state)
{
	struct tree *t = *state;
	const char *dirs[] = { at(t, 1, "img"), NULL };
	int in = open(at(t, 0, "img/disk.raw"), O_RDONLY);
	int out = open(at(t, 0, "img/out"), O_RDONLY);

	assert_true(in >= 0 && out >= 0);
	assert_true(path_fd_confined(in, dirs));
	assert_false(path_fd_confined(out, dirs));
	close(in);
	close(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inside_and_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_and_dotdot_out_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prefix_is_not_containment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_dirs_and_symlinked_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_dirs_confines_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
