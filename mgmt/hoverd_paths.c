// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoverd's path rules: every file a client names (kernel, initrd, disks) must
 * lie, once symbolic links and ".." are resolved, in a directory hoverd serves
 * (--allow-dir, repeatable; by default STATE_DIR/images). hoverd may run as
 * root and any client of its socket may define a VM: without this rule,
 * `"disk": ["/etc/shadow,format=raw"]` would hand the host's files to a guest.
 * The same directories go to each `hover run` as --confine-dir, which checks
 * the files it opens itself (and the backing files of qcow2 images).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/path_confined.h"
#include "mgmt/hoverd.h"

int hoverd_allow_dir_add(struct hoverd *d, const char *dir, char *err, size_t errlen)
{
	char real[PATH_MAX];

	if (d->nallow == HOVERD_MAX_ALLOW) {
		snprintf(err, errlen, "--allow-dir %s: too many directories (at most %d)", dir,
			 HOVERD_MAX_ALLOW);
		return -E2BIG;
	}
	if (!realpath(dir, real)) {
		snprintf(err, errlen, "--allow-dir %s: %s (give an existing directory)", dir,
			 strerror(errno));
		return -errno;
	}
	d->allow_dir[d->nallow] = strdup(real);
	if (!d->allow_dir[d->nallow]) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->allow_dir[++d->nallow] = NULL;
	return 0;
}

/* "--allow-dir A, --allow-dir B" */
static void list_dirs(const struct hoverd *d, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < d->nallow && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s--allow-dir %s", i ? ", " : "",
				       d->allow_dir[i]);
}

int hoverd_path_check(const struct hoverd *d, const char *what, const char *path, char *err,
		      size_t errlen)
{
	char real[PATH_MAX], dirs[1024];

	if (!realpath(path, real)) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	if (path_confined(real, (const char *const *)d->allow_dir))
		return 0;
	list_dirs(d, dirs, sizeof(dirs));
	snprintf(err, errlen, "%s %s: outside the directories hoverd serves (%s); move the %s there "
		 "or start hoverd with --allow-dir DIR", what, path, dirs,
		 !strcmp(what, "disk") ? "image" : "file");
	return -EACCES;
}

int hoverd_def_paths_check(const struct hoverd *d, const struct vm_def *def, char *err,
			   size_t errlen)
{
	int ret = 0;

	if (def->kernel)
		ret = hoverd_path_check(d, "kernel", def->kernel, err, errlen);
	if (!ret && def->initrd)
		ret = hoverd_path_check(d, "initrd", def->initrd, err, errlen);
	if (!ret && def->firmware && strchr(def->firmware, '/')) /* a file, not bios/uefi */
		ret = hoverd_path_check(d, "firmware", def->firmware, err, errlen);
	for (size_t i = 0; !ret && i < def->ndisk; i++) {
		/* --disk FILE[,options]: the file is what precedes the first comma */
		char file[PATH_MAX];
		const char *comma = strchr(def->disk[i], ',');
		size_t n = comma ? (size_t)(comma - def->disk[i]) : strlen(def->disk[i]);

		snprintf(file, sizeof(file), "%.*s", (int)n, def->disk[i]);
		ret = hoverd_path_check(d, "disk", file, err, errlen);
	}
	for (size_t i = 0; !ret && i < def->ncdrom; i++)
		if (def->cdrom[i][0]) /* "": an empty drive */
			ret = hoverd_path_check(d, "cdrom", def->cdrom[i], err, errlen);
	return ret;
}
