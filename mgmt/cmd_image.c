// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover image build NAME | ls | rm NAME`: base images for `hover launch`,
 * built from Debian's packages by scripts/image-build-debian.sh (mmdebstrap,
 * mke2fs -d, sfdisk, GRUB, qemu-img: see that script) and cached under the
 * image store (image_store.h) by name and build date. Building needs no
 * hoverd; the store is the directory hoverd serves by default.
 *
 * Exit status: 0 ok, 1 the build failed, 2 bad usage or input (an unknown
 * image name), 3 a host error (the script or a directory is missing).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/cmd.h"
#include "mgmt/image_store.h"
#include "mgmt/tool_run.h"

static const char *const known[][2] = {
	{ "debian-12", "Debian 12: systemd, OpenSSH, sudo, curl, iproute2, less, nano; GRUB" },
	{ "debian-12-minimal", "Debian 12 minbase + systemd, OpenSSH, sudo; GRUB (tests)" },
};

void cmd_image_help(FILE *f)
{
	fputs("usage: hover image build NAME [--rebuild] [--json]\n"
	      "       hover image ls [--json]\n"
	      "       hover image rm NAME\n\n"
	      "Base images for `hover launch`, built from Debian's packages (mmdebstrap; no\n"
	      "download but Debian's): a qcow2 disk with GRUB in its MBR, the image's kernel and\n"
	      "initramfs beside it, and a first-boot service that reads a NoCloud seed.\n"
	      "Images:\n", f);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		fprintf(f, "  %-18s %s\n", known[i][0], known[i][1]);
	fputs("\nbuild does nothing when NAME is built already (--rebuild builds it again;\n"
	      "launch then uses the newest build, VMs made before keep theirs).\n"
	      "The store: $HOVER_IMAGE_DIR, else /var/lib/hover/images (root) or\n"
	      "~/.local/share/hover/images: the directory hoverd serves by default.\n"
	      "exit status: 0 ok, 1 the build failed, 2 bad usage or input, 3 host error\n", f);
}

static bool is_known(const char *name)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i][0], name))
			return true;
	return false;
}

static int unknown(const char *name)
{
	fprintf(stderr, "hover: image %s: unknown image (known:", name);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		fprintf(stderr, " %s", known[i][0]);
	fprintf(stderr, ")\n");
	return EXIT_USAGE;
}

/* The build script: $HOVER_IMAGE_SCRIPT, installed beside hover, or in the source tree. */
static int find_script(char *out, size_t len)
{
	const char *env = getenv("HOVER_IMAGE_SCRIPT");
	static const char *const rel[] = { "../share/hover/image-build-debian.sh",
					   "../scripts/image-build-debian.sh" };
	char exe[2048];
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(out, len, "%s/%s", exe, rel[i]);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static void print_image(const char *dir, bool json)
{
	json_t *m = image_json_load(dir, "image.json");

	if (!m)
		return;
	if (json) {
		json_object_set_new(m, "dir", json_string(dir));
		json_dumpf(m, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		printf("%s: built %s (%s)\n", json_string_value(json_object_get(m, "name")),
		       json_string_value(json_object_get(m, "built")), dir);
	}
	json_decref(m);
}

static int build(const char *name, bool rebuild, bool json)
{
	char dir[IMAGE_PATH_MAX + 128], root[IMAGE_ROOT_MAX], script[PATH_MAX], date[16];
	time_t now = time(NULL);
	int ret;

	if (!is_known(name))
		return unknown(name);
	if (!rebuild && image_find(name, dir, sizeof(dir)) == 0) {
		if (!json)
			printf("cached: ");
		print_image(dir, json);
		return 0;
	}
	if (find_script(script, sizeof(script))) {
		fprintf(stderr, "hover: image build: cannot find image-build-debian.sh beside hover "
			"(install hover, or set HOVER_IMAGE_SCRIPT)\n");
		return EXIT_HOST_ERROR;
	}
	image_root(root, sizeof(root));
	strftime(date, sizeof(date), "%Y%m%d", gmtime(&now));
	/* A rebuild never replaces a build: VMs' overlays may still sit on it. */
	for (unsigned n = 1; n < 100; n++) {
		struct stat st;

		if (n == 1)
			snprintf(dir, sizeof(dir), "%s/base/%s/%s", root, name, date);
		else
			snprintf(dir, sizeof(dir), "%s/base/%s/%s-%02u", root, name, date, n);
		if (stat(dir, &st))
			break;
	}
	ret = image_mkdirs(dir, 0755);
	if (ret) {
		fprintf(stderr, "hover: image build: cannot make %s: %s\n", dir, strerror(-ret));
		return EXIT_HOST_ERROR;
	}
	rmdir(dir); /* the script builds DIR.partial and renames it */
	fprintf(json ? stderr : stdout, "building %s into %s\n", name, dir);
	ret = tool_run((char *[]){ script, (char *)name, dir, NULL }, false, json, NULL);
	if (ret) {
		fprintf(stderr, "hover: image build %s failed (exit %d; see above)\n", name, ret);
		return EXIT_GUEST_FAILED;
	}
	print_image(dir, json);
	return 0;
}

static int list(bool json)
{
	char root[IMAGE_ROOT_MAX], base[IMAGE_PATH_MAX + 8];
	json_t *all = json_array();
	struct dirent *e;
	DIR *d;

	image_root(root, sizeof(root));
	snprintf(base, sizeof(base), "%s/base", root);
	d = opendir(base);
	while (d && (e = readdir(d))) {
		char dir[IMAGE_PATH_MAX];
		json_t *m;

		if (e->d_name[0] == '.' || image_find(e->d_name, dir, sizeof(dir)))
			continue;
		m = image_json_load(dir, "image.json");
		if (!m)
			continue;
		json_object_set_new(m, "dir", json_string(dir));
		json_array_append_new(all, m);
	}
	if (d)
		closedir(d);
	if (json) {
		json_dumpf(all, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		size_t i;
		json_t *m;

		printf("%-20s %-21s %s\n", "NAME", "BUILT", "DIRECTORY");
		json_array_foreach(all, i, m)
			printf("%-20s %-21s %s\n", json_string_value(json_object_get(m, "name")),
			       json_string_value(json_object_get(m, "built")),
			       json_string_value(json_object_get(m, "dir")));
	}
	json_decref(all);
	return 0;
}

/* VMs whose overlay sits on image NAME: removing it would break them. */
static int users_of(const char *name, char *out, size_t len)
{
	char root[IMAGE_ROOT_MAX], vms[IMAGE_PATH_MAX + 8];
	struct dirent *e;
	size_t at = 0;
	int n = 0;
	DIR *d;

	image_root(root, sizeof(root));
	snprintf(vms, sizeof(vms), "%s/vms", root);
	out[0] = '\0';
	d = opendir(vms);
	while (d && (e = readdir(d))) {
		char dir[IMAGE_PATH_MAX];
		json_t *m;

		if (e->d_name[0] == '.')
			continue;
		image_vm_dir(e->d_name, dir, sizeof(dir));
		m = image_json_load(dir, "launch.json");
		if (m && !strcmp(json_string_value(json_object_get(m, "image")) ?: "", name)) {
			if (at < len)
				at += (size_t)snprintf(out + at, len - at, "%s%s", n ? " " : "",
						       e->d_name);
			n++;
		}
		if (m)
			json_decref(m);
	}
	if (d)
		closedir(d);
	return n;
}

static int remove_image(const char *name)
{
	char root[IMAGE_ROOT_MAX], dir[IMAGE_PATH_MAX + 64], users[512];
	struct stat st;

	if (!image_name_ok(name))
		return unknown(name);
	image_root(root, sizeof(root));
	snprintf(dir, sizeof(dir), "%s/base/%s", root, name);
	if (stat(dir, &st)) {
		fprintf(stderr, "hover: image rm %s: no such image in %s/base (hover image ls)\n",
			name, root);
		return EXIT_USAGE;
	}
	if (users_of(name, users, sizeof(users))) {
		fprintf(stderr, "hover: image rm %s: VMs use it as their base disk (%s); "
			"hover rm them first\n", name, users);
		return EXIT_GUEST_FAILED;
	}
	if (image_rmtree(dir)) {
		fprintf(stderr, "hover: image rm %s: cannot remove %s: %s\n", name, dir,
			strerror(errno));
		return EXIT_HOST_ERROR;
	}
	printf("removed image %s\n", name);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL, *name = NULL;
	bool json = false, rebuild = false;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		cmd_image_help(sub ? stdout : stderr);
		return sub ? 0 : EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--rebuild") && !strcmp(sub, "build")) {
			rebuild = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cmd_image_help(stdout);
			return 0;
		} else if (argv[i][0] == '-' || name || !strcmp(sub, "ls")) {
			fprintf(stderr, "hover: image %s: unexpected '%s' (see `hover help image`)\n",
				sub, argv[i]);
			return EXIT_USAGE;
		} else {
			name = argv[i];
		}
	}
	if (!strcmp(sub, "ls"))
		return list(json);
	if (strcmp(sub, "build") && strcmp(sub, "rm")) {
		fprintf(stderr, "hover: image %s: unknown (build, ls or rm; see `hover help image`)\n",
			sub);
		return EXIT_USAGE;
	}
	if (!name) {
		fprintf(stderr, "hover: image %s needs an image name (e.g. debian-12)\n", sub);
		return EXIT_USAGE;
	}
	return !strcmp(sub, "build") ? build(name, rebuild, json) : remove_image(name);
}
