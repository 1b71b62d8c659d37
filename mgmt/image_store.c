// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The image store's paths and files (see image_store.h). Shared by
 * cmd_image.c, cmd_launch.c, cmd_shell.c and `hover rm`.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt/image_store.h"

void image_root(char *buf, size_t len)
{
	const char *env = getenv("HOVER_IMAGE_DIR"), *home = getenv("HOME");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, len, "/var/lib/hover/images");
	else if (home && *home)
		snprintf(buf, len, "%s/.local/share/hover/images", home);
	else /* hoverd's own fallback state directory */
		snprintf(buf, len, "/tmp/hover-%u/state/images", (unsigned)geteuid());
}

bool image_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       n;
}

int image_find(const char *name, char *dir, size_t len)
{
	char root[IMAGE_ROOT_MAX], base[IMAGE_PATH_MAX], best[256] = "";
	struct dirent *e;
	DIR *d;

	if (!image_name_ok(name))
		return -ENOENT;
	image_root(root, sizeof(root));
	snprintf(base, sizeof(base), "%s/base/%s", root, name);
	d = opendir(base);
	if (!d)
		return -ENOENT;
	/* Builds are named by date (YYYYMMDD[-N]): the newest sorts last. */
	while ((e = readdir(d))) {
		char meta[IMAGE_PATH_MAX + 300];

		if (e->d_name[0] == '.' || strstr(e->d_name, ".partial"))
			continue;
		snprintf(meta, sizeof(meta), "%s/%s/image.json", base, e->d_name);
		if (access(meta, R_OK) == 0 && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!best[0])
		return -ENOENT;
	snprintf(dir, len, "%s/%s", base, best);
	return 0;
}

void image_vm_dir(const char *vm, char *buf, size_t len)
{
	char root[IMAGE_ROOT_MAX];

	image_root(root, sizeof(root));
	snprintf(buf, len, "%s/vms/%s", root, vm);
}

json_t *image_json_load(const char *dir, const char *file)
{
	char path[IMAGE_PATH_MAX];
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	j = json_load_file(path, 0, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) ? -errno : 0;
}

int image_rmtree(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int image_mkdirs(const char *path, unsigned mode)
{
	char buf[IMAGE_PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

bool image_vm_files_remove(const char *vm)
{
	char dir[IMAGE_PATH_MAX], meta[IMAGE_PATH_MAX + 16];

	if (!image_name_ok(vm))
		return false;
	image_vm_dir(vm, dir, sizeof(dir));
	snprintf(meta, sizeof(meta), "%s/launch.json", dir);
	return access(meta, F_OK) == 0 && image_rmtree(dir) == 0;
}
