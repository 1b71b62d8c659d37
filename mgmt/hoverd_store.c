// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoverd's files (layout in hoverd.h). Every JSON file is written whole to a
 * temporary name, fsync'd, renamed over the old one, and the directory is
 * fsync'd: a crash leaves the old file or the new one, never half of one.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt/hoverd.h"

void hoverd_pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * The fallback directory /tmp/hover-UID (no $XDG_RUNTIME_DIR or $HOME): in a
 * directory everyone may write to, another user can make it first and then
 * read or replace hoverd's sockets and definitions. Use it only if it is a
 * real directory (not a link), ours, and mode 0700.
 */
static int check_tmp_dir(const char *path, char *err, size_t errlen)
{
	char top[PATH_MAX];
	const char *end;
	struct stat st;

	if (strncmp(path, HOVERD_TMP_PREFIX, strlen(HOVERD_TMP_PREFIX)))
		return 0;
	end = strchr(path + strlen(HOVERD_TMP_PREFIX), '/');
	snprintf(top, sizeof(top), "%.*s", end ? (int)(end - path) : (int)strlen(path), path);
	if (mkdir(top, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", top, strerror(errno));
		return -errno;
	}
	if (lstat(top, &st) < 0) {
		snprintf(err, errlen, "%s: %s", top, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0777) != 0700) {
		snprintf(err, errlen, "%s: %s (owner uid %u, mode %04o; hoverd needs a directory of "
			 "its own, uid %u, mode 0700): someone else may control it; remove it, or "
			 "give --socket and --state-dir elsewhere", top,
			 !S_ISDIR(st.st_mode) ? "not a directory" : "not ours alone",
			 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

int store_init(struct hoverd *d, char *err, size_t errlen)
{
	static const char *const sub[] = { "vms", "logs", "run", "images" };
	char p[PATH_MAX + 16];
	int ret;

	ret = check_tmp_dir(d->state_dir, err, errlen);
	if (!ret)
		ret = check_tmp_dir(d->run_dir, err, errlen);
	if (ret)
		return ret;

	for (unsigned i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", d->state_dir, sub[i]);
		ret = mkdir_p(p);
		if (ret) {
			snprintf(err, errlen, "cannot create %s: %s", p, strerror(-ret));
			return ret;
		}
	}
	snprintf(p, sizeof(p), "%s/vms", d->run_dir);
	ret = mkdir_p(p);
	if (ret)
		snprintf(err, errlen, "cannot create %s: %s", p, strerror(-ret));
	return ret;
}

int store_write_json(const char *path, json_t *obj)
{
	char tmp[PATH_MAX + 32], dir[PATH_MAX];
	char *slash;
	int fd, ret = 0, dfd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (json_dumpfd(obj, fd, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || write(fd, "\n", 1) != 1)
		ret = -EIO;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

void store_def_path(struct hoverd *d, const char *name, char *buf, size_t len)
{
	hoverd_pathf(buf, len, "%s/vms/%s.json", d->state_dir, name);
}

void store_run_path(struct hoverd *d, const char *name, char *buf, size_t len)
{
	hoverd_pathf(buf, len, "%s/run/%s.json", d->state_dir, name);
}

int store_save_def(struct hoverd *d, struct hvm *vm)
{
	char p[PATH_MAX];

	store_def_path(d, vm->name, p, sizeof(p));
	return store_write_json(p, vm->def_json);
}

int store_save_run(struct hoverd *d, struct hvm *vm)
{
	char p[PATH_MAX];
	json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:f}", "pid", (json_int_t)vm->pid,
			      "starttime", (json_int_t)vm->starttime, "api_socket", vm->api_sock,
			      "console_socket", vm->console_sock, "started_at", vm->started_at);
	int ret;

	if (!o)
		return -ENOMEM;
	store_run_path(d, vm->name, p, sizeof(p));
	ret = store_write_json(p, o);
	json_decref(o);
	return ret;
}

void store_remove(struct hoverd *d, struct hvm *vm)
{
	char p[PATH_MAX];

	store_def_path(d, vm->name, p, sizeof(p));
	unlink(p);
	store_run_path(d, vm->name, p, sizeof(p));
	unlink(p);
	unlink(vm->log_path);
}

int store_load_all(struct hoverd *d)
{
	char p[PATH_MAX + 16];
	struct dirent *de;
	DIR *dir;

	snprintf(p, sizeof(p), "%s/vms", d->state_dir);
	dir = opendir(p);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		char err[512];
		struct vm_def def;
		struct hvm *vm;
		json_t *obj, *run;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		hoverd_pathf(p, sizeof(p), "%s/vms/%s", d->state_dir, de->d_name);
		obj = json_load_file(p, 0, NULL);
		if (!obj) {
			fprintf(stderr, "hoverd: skipping %s: not JSON\n", p);
			continue;
		}
		if (config_json_parse(obj, &def, err, sizeof(err)) || !def.name) {
			fprintf(stderr, "hoverd: skipping %s: %s\n", p,
				def.name ? err : "no \"name\"");
			config_json_free(&def);
			json_decref(obj);
			continue;
		}
		if (hvm_new(d, &def, obj, &vm)) {
			config_json_free(&def);
			json_decref(obj);
			continue;
		}
		store_run_path(d, vm->name, p, sizeof(p));
		run = json_load_file(p, 0, NULL);
		if (run) {
			hvm_adopt(d, vm, run);
			json_decref(run);
		}
	}
	closedir(dir);
	return 0;
}
