// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover launch IMAGE --name N [--cpus C] [--memory M] [--disk-size S]
 * [--port [ADDR:]HOST:GUEST]... [--accel A] [--json]`: a VM from a cached base
 * image (`hover image build`), defined and started through hoverd.
 *
 * What it makes, in the image store's ROOT/vms/N (image_store.h), which hoverd
 * serves:
 *  - disk.qcow2: a qcow2 overlay whose backing file is the base image (no
 *    copy), virtual size --disk-size; the guest's first boot grows its root
 *    partition and file system to it;
 *  - id_ed25519: an SSH key made for this VM (`hover shell` logs in with it);
 *  - seed.img: a NoCloud seed (a FAT disk labelled CIDATA, as cloud-init reads
 *    it) with meta-data (instance id, hostname) and user-data (#cloud-config:
 *    the invoking user's name, that key and the user's public keys, ~/.ssh/NAME.pub);
 *  - launch.json: image, user, SSH port, key (for `hover shell`, `hover rm`).
 * The definition boots the image's own kernel and initramfs directly, with the
 * overlay (backing=on) and the seed (read-only) as virtio disks and user
 * networking forwarding 127.0.0.1:P (a free port hover picks) to the guest's
 * SSH port, plus each --port. Until firmware boot lands, the image's GRUB (in
 * its MBR) is unused.
 *
 * Exit status: 0 launched, 1 hoverd refused or failed, 2 bad usage or input
 * (unknown image, bad size, name taken), 3 a host error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/cmd.h"
#include "mgmt/image_store.h"
#include "mgmt/parse.h"
#include "mgmt/tool_run.h"
#include "mgmt/vm_cli.h"

#define MAX_PORTS 16

struct launch_opts {
	const char *image, *name, *memory, *accel;
	unsigned cpus;
	u64 disk_size;
	const char *disk_size_text;
	char port[MAX_PORTS][64]; /* hostfwd=tcp:ADDR:HOST-:GUEST */
	unsigned nports;
	bool json;
};

void cmd_launch_help(FILE *f)
{
	fputs("usage: hover launch IMAGE --name NAME [--cpus N] [--memory SIZE] [--disk-size SIZE]\n"
	      "                    [--port [ADDR:]HOST:GUEST]... [--accel auto|kvm|emu] [--json]\n\n"
	      "Define and start (through hoverd) a VM on a base image from `hover image build`:\n"
	      "a qcow2 overlay on the image (no copy) grown to --disk-size (default 10G), a\n"
	      "NoCloud seed with the hostname, your user name and an SSH key made for this VM\n"
	      "(and your ~/.ssh/*.pub), user networking with SSH forwarded from a free port on\n"
	      "127.0.0.1. --memory defaults to 1G, --cpus to 1. --port 8080:80 forwards\n"
	      "127.0.0.1:8080 to the guest's port 80 (ADDR:8080:80 listens on ADDR).\n"
	      "Then `hover shell NAME` logs in; `hover stop NAME`, `hover rm NAME` (which also\n"
	      "deletes the VM's disk).\n"
	      "exit status: 0 ok, 1 hoverd refused, 2 bad usage or input, 3 host error\n",
	      f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("hover: launch: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* "8080:80" or "0.0.0.0:8080:80" -> hostfwd=tcp:127.0.0.1:8080-:80 */
static int parse_port(const char *s, char *out, size_t len)
{
	char addr[48] = "127.0.0.1";
	unsigned hp, gp;
	const char *last = strrchr(s, ':'), *first = strchr(s, ':');
	char hbuf[8], gbuf[8];
	struct in_addr a;

	if (!last)
		return -EINVAL;
	if (first != last) {
		if ((size_t)(first - s) >= sizeof(addr))
			return -EINVAL;
		snprintf(addr, sizeof(addr), "%.*s", (int)(first - s), s);
		if (inet_pton(AF_INET, addr, &a) != 1)
			return -EINVAL;
	} else {
		first = s - 1;
	}
	if (last - first - 1 <= 0 || last - first - 1 >= (long)sizeof(hbuf) ||
	    strlen(last + 1) >= sizeof(gbuf))
		return -EINVAL;
	snprintf(hbuf, sizeof(hbuf), "%.*s", (int)(last - first - 1), first + 1);
	snprintf(gbuf, sizeof(gbuf), "%s", last + 1);
	if (parse_uint(hbuf, 1, 65535, &hp) || parse_uint(gbuf, 1, 65535, &gp))
		return -EINVAL;
	snprintf(out, len, "hostfwd=tcp:%s:%u-:%u", addr, hp, gp);
	return 0;
}

static int parse_opts(int argc, char **argv, struct launch_opts *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },   { "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' }, { "disk-size", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },   { "accel", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	u64 mem;

	memset(o, 0, sizeof(*o));
	o->memory = "1G";
	o->cpus = 1;
	o->disk_size_text = "10G";
	o->disk_size = 10ull << 30;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o->name = optarg; break;
		case 'a': o->accel = optarg; break;
		case 'j': o->json = true; break;
		case 'h': cmd_launch_help(stdout); return -1;
		case 'c':
			if (parse_uint(optarg, 1, 64, &o->cpus))
				return usage_error("--cpus %s: not a number of vCPUs (1 to 64)", optarg);
			break;
		case 'm':
			if (parse_size(optarg, &mem) || mem < (128ull << 20))
				return usage_error("--memory %s: not a size of at least 128M (try 1G)",
						   optarg);
			o->memory = optarg;
			break;
		case 'd':
			if (parse_size(optarg, &o->disk_size) || o->disk_size == 0)
				return usage_error("--disk-size %s: not a size (try 10G)", optarg);
			o->disk_size_text = optarg;
			break;
		case 'p':
			if (o->nports == MAX_PORTS)
				return usage_error("--port %s: at most 16 forwards", optarg);
			if (parse_port(optarg, o->port[o->nports], sizeof(o->port[0])))
				return usage_error("--port %s: not HOST:GUEST or ADDR:HOST:GUEST "
						   "(try --port 8080:80)", optarg);
			o->nports++;
			break;
		default:
			return usage_error("unknown option or missing value '%s' (see `hover help "
					   "launch`)", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return usage_error("%s", optind >= argc ? "needs an image name (hover image ls)"
							: "takes one image name");
	o->image = argv[optind];
	if (!o->name)
		return usage_error("%s needs --name NAME", o->image);
	if (!image_name_ok(o->name))
		return usage_error("--name %s: use letters, digits, '-', '_' and '.' (at most 64)",
				   o->name);
	return 0;
}

/* A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[IMAGE_PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	if (fclose(f))
		return -EIO;
	return chmod(path, mode) ? -errno : 0;
}

/* The public keys to authorize: this VM's own, then the user's (~/.ssh/NAME.pub). */
static char *authorized_keys(const char *dir)
{
	char path[IMAGE_PATH_MAX + 32], line[8192], *out = NULL;
	const char *home = getenv("HOME");
	size_t len = 0;
	FILE *acc = open_memstream(&out, &len);
	glob_t g = { 0 };

	if (!acc)
		return NULL;
	snprintf(path, sizeof(path), "%s/id_ed25519.pub", dir);
	if (home && *home) {
		snprintf(line, sizeof(line), "%s/.ssh/*.pub", home);
		glob(line, 0, NULL, &g);
	}
	for (size_t i = 0; i <= g.gl_pathc; i++) {
		FILE *f = fopen(i == 0 ? path : g.gl_pathv[i - 1], "r");

		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = '\0';
			/* One key a line, as ssh writes them; anything else is not passed on. */
			if ((!strncmp(line, "ssh-", 4) || !strncmp(line, "ecdsa-", 6)) &&
			    !strchr(line, '"') && !strchr(line, '\\'))
				fprintf(acc, "      - \"%s\"\n", line);
		}
		if (f)
			fclose(f);
	}
	globfree(&g);
	fclose(acc);
	return out;
}

static const char *user_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw && image_name_ok(pw->pw_name) ? pw->pw_name : "debian";
}

/* A host name from the VM name: letters, digits and '-' only. */
static void host_name(const char *vm, char *out, size_t len)
{
	size_t i;

	for (i = 0; vm[i] && i + 1 < len && i < 63; i++)
		out[i] = (char)(strchr("_.", vm[i]) ? '-' : vm[i]);
	out[i] = '\0';
}

static int make_files(const struct launch_opts *o, const char *dir, const char *base, int port,
		      const char *user)
{
	char path[IMAGE_PATH_MAX + 64], seed[IMAGE_PATH_MAX + 64], size[32], text[512], host[64];
	char md[IMAGE_PATH_MAX + 64], ud[IMAGE_PATH_MAX + 64], *keys, *userdata;
	int ret;

	snprintf(path, sizeof(path), "%s/disk.qcow2", dir);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)o->disk_size);
	if (!o->json)
		printf("overlay %s on %s, %s\n", path, base, o->disk_size_text);
	if (tool_run((char *[]){ "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
				 (char *)base, path, size, NULL },
		     true, false, "qemu-utils"))
		return -EIO;
	snprintf(path, sizeof(path), "%s/id_ed25519", dir);
	snprintf(text, sizeof(text), "hover-%s", o->name);
	if (tool_run((char *[]){ "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", text, "-f",
				 path, NULL },
		     true, false, "openssh-client"))
		return -EIO;
	keys = authorized_keys(dir);
	if (!keys)
		return -ENOMEM;
	host_name(o->name, host, sizeof(host));
	snprintf(text, sizeof(text), "instance-id: hover-%s-%lx\nlocal-hostname: %s\n", o->name,
		 (unsigned long)time(NULL), host);
	ret = write_file(dir, "meta-data", text, 0644);
	if (ret || asprintf(&userdata, "#cloud-config\nhostname: %s\nusers:\n  - name: %s\n"
				       "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n    shell: /bin/bash\n"
				       "    ssh_authorized_keys:\n%s",
			    host, user, keys) < 0) {
		free(keys);
		return ret ? ret : -ENOMEM;
	}
	free(keys);
	ret = write_file(dir, "user-data", userdata, 0644);
	free(userdata);
	if (ret)
		return ret;
	if (!o->json)
		printf("NoCloud seed: hostname %s, user %s, SSH on 127.0.0.1:%d\n", host, user, port);
	snprintf(seed, sizeof(seed), "%s/seed.img", dir);
	snprintf(md, sizeof(md), "%s/meta-data", dir);
	snprintf(ud, sizeof(ud), "%s/user-data", dir);
	if (tool_run((char *[]){ "mkfs.vfat", "-C", "-n", "CIDATA", seed, "1024", NULL }, true,
		     false, "dosfstools") ||
	    tool_run((char *[]){ "mcopy", "-i", seed, md, ud, "::", NULL }, true, false, "mtools"))
		return -EIO;
	chmod(seed, 0644);
	return 0;
}

/* The definition hoverd gets: the keys are hover run's options. */
static json_t *definition(const struct launch_opts *o, const char *dir, const char *img,
			  json_t *meta, int port)
{
	char path[IMAGE_PATH_MAX + 64], net[64 * (MAX_PORTS + 1) + 64];
	json_t *def = json_object(), *disks = json_array(), *nets = json_array();
	size_t at;

	json_object_set_new(def, "name", json_string(o->name));
	snprintf(path, sizeof(path), "%s/%s", img, json_string_value(json_object_get(meta, "kernel")));
	json_object_set_new(def, "kernel", json_string(path));
	snprintf(path, sizeof(path), "%s/%s", img, json_string_value(json_object_get(meta, "initrd")));
	json_object_set_new(def, "initrd", json_string(path));
	json_object_set(def, "cmdline", json_object_get(meta, "cmdline"));
	json_object_set_new(def, "memory", json_string(o->memory));
	json_object_set_new(def, "cpus", json_integer(o->cpus));
	if (o->accel)
		json_object_set_new(def, "accel", json_string(o->accel));
	snprintf(path, sizeof(path), "%s/disk.qcow2,format=qcow2,backing=on", dir);
	json_array_append_new(disks, json_string(path));
	snprintf(path, sizeof(path), "%s/seed.img,format=raw,readonly=on", dir);
	json_array_append_new(disks, json_string(path));
	json_object_set_new(def, "disk", disks);
	at = (size_t)snprintf(net, sizeof(net), "user,hostfwd=tcp:127.0.0.1:%d-:22", port);
	for (unsigned i = 0; i < o->nports; i++)
		at += (size_t)snprintf(net + at, sizeof(net) - at, ",%s", o->port[i]);
	json_array_append_new(nets, json_string(net));
	json_object_set_new(def, "net", nets);
	return def;
}

static json_t *launch_record(const struct launch_opts *o, const char *dir, const char *img,
			     const char *user, int port)
{
	char key[IMAGE_PATH_MAX + 32];
	json_t *r = json_object(), *ports = json_array();

	snprintf(key, sizeof(key), "%s/id_ed25519", dir);
	json_object_set_new(r, "name", json_string(o->name));
	json_object_set_new(r, "image", json_string(o->image));
	json_object_set_new(r, "image_dir", json_string(img));
	json_object_set_new(r, "dir", json_string(dir));
	json_object_set_new(r, "user", json_string(user));
	json_object_set_new(r, "ssh_host", json_string("127.0.0.1"));
	json_object_set_new(r, "ssh_port", json_integer(port));
	json_object_set_new(r, "ssh_key", json_string(key));
	for (unsigned i = 0; i < o->nports; i++)
		json_array_append_new(ports, json_string(o->port[i] + strlen("hostfwd=")));
	json_object_set_new(r, "ports", ports);
	json_object_set_new(r, "disk_size", json_integer((json_int_t)o->disk_size));
	return r;
}

int cmd_launch(int argc, char **argv)
{
	char img[IMAGE_PATH_MAX], dir[IMAGE_PATH_MAX], base[IMAGE_PATH_MAX + 32], path[300];
	struct launch_opts o;
	json_t *meta, *def, *rec, *v = NULL;
	const char *user = user_name();
	char *body;
	int ret, port;
	long long base_size;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (image_find(o.image, img, sizeof(img))) {
		image_root(dir, sizeof(dir));
		fprintf(stderr, "hover: launch: unknown image %s: none is built in %s/base (build it "
			"with `hover image build %s`; `hover image ls` lists the built ones)\n",
			o.image, dir, o.image);
		return EXIT_USAGE;
	}
	meta = image_json_load(img, "image.json");
	if (!meta || !json_is_string(json_object_get(meta, "cmdline"))) {
		fprintf(stderr, "hover: launch: %s/image.json is missing or damaged (rebuild: hover "
			"image build %s --rebuild)\n", img, o.image);
		return EXIT_HOST_ERROR;
	}
	/* The base disk is its size; a smaller overlay would cut the file system off. */
	snprintf(base, sizeof(base), "%s/disk.qcow2", img);
	base_size = 0;
	{
		FILE *f = fopen(base, "rb");
		unsigned char h[32];

		if (f && fread(h, 1, sizeof(h), f) == sizeof(h))
			for (unsigned i = 24; i < 32; i++)
				base_size = base_size << 8 | h[i];
		if (f)
			fclose(f);
	}
	if (o.disk_size < (u64)base_size) {
		fprintf(stderr, "hover: launch: --disk-size %s: smaller than the image's %lld MiB "
			"disk (try 10G)\n", o.disk_size_text, base_size >> 20);
		json_decref(meta);
		return EXIT_USAGE;
	}
	/* The name must be free in hoverd (which also tells whether it is reachable). */
	snprintf(path, sizeof(path), "/vms/%s", o.name);
	ret = vm_cli_request("GET", "/vms", NULL, false, &v);
	if (ret) {
		json_decref(meta);
		return ret;
	}
	{
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e) {
			if (!strcmp(json_string_value(json_object_get(e, "name")) ?: "", o.name)) {
				fprintf(stderr, "hover: launch: a VM named %s exists already (choose "
					"another --name, or hover rm %s)\n", o.name, o.name);
				json_decref(v);
				json_decref(meta);
				return EXIT_USAGE;
			}
		}
		json_decref(v);
	}
	image_vm_dir(o.name, dir, sizeof(dir));
	image_rmtree(dir); /* what a failed launch of this name left */
	ret = image_mkdirs(dir, 0700);
	port = free_port();
	if (ret || port < 0) {
		fprintf(stderr, "hover: launch: cannot make %s: %s\n", dir,
			strerror(ret ? -ret : errno));
		json_decref(meta);
		return EXIT_HOST_ERROR;
	}
	/* The jailed VM reaches its files through bind mounts; the directory only needs x. */
	chmod(dir, 0711);
	ret = make_files(&o, dir, base, port, user);
	if (ret) {
		fprintf(stderr, "hover: launch: cannot make the VM's files in %s%s%s\n", dir,
			ret == -EIO ? "" : ": ", ret == -EIO ? "" : strerror(-ret));
		image_rmtree(dir);
		json_decref(meta);
		return EXIT_HOST_ERROR;
	}
	rec = launch_record(&o, dir, img, user, port);
	snprintf(base, sizeof(base), "%s/launch.json", dir);
	json_dump_file(rec, base, JSON_INDENT(1));
	def = definition(&o, dir, img, meta, port);
	json_decref(meta);
	body = json_dumps(def, JSON_COMPACT);
	json_decref(def);
	ret = vm_cli_request("POST", "/vms", body, false, NULL);
	free(body);
	if (ret) {
		image_rmtree(dir);
		json_decref(rec);
		return ret;
	}
	snprintf(path, sizeof(path), "/vms/%s/start", o.name);
	ret = vm_cli_request("POST", path, NULL, false, NULL);
	if (ret) {
		fprintf(stderr, "hover: launch: %s is defined but did not start (hover info %s; "
			"hover rm %s deletes it and its disk)\n", o.name, o.name, o.name);
		json_decref(rec);
		return ret;
	}
	if (o.json) {
		json_dumpf(rec, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		printf("launched %s (%s, %u vCPU%s, %s): `hover shell %s` logs in as %s\n", o.name,
		       o.image, o.cpus, o.cpus > 1 ? "s" : "", o.memory, o.name, user);
	}
	json_decref(rec);
	return 0;
}
