// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover run`: boot one VM in this process with its serial console on
 * stdin/stdout, until the guest powers off (exit 0), fails (exit 1), or the
 * user quits with Ctrl-A x.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/console_stdio.h"
#include "host/display.h"
#include "host/vnc.h"
#include "host/net.h"
#include "host/sandbox.h"
#include "include/hover/path_confined.h"
#include "virtio/console.h"
#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "include/hover/timer.h"
#include "include/hover/log_cap.h"
#include "machine/pc.h"
#include "machine/pc_firmware.h"
#include "machine/pc_snapshot.h"
#include "mgmt/cmd.h"
#include "mgmt/panic_watch.h"
#include "mgmt/parse.h"
#include "mgmt/run_incoming.h"
#include "mgmt/run_jail.h"
#include "mgmt/run_mgmt.h"
#include "mgmt/run_res.h"
#include "virtio/balloon.h"

#define MIN_MEMORY (16 * MiB)
#define RUN_MAX_CONFINE 16
#define RUN_DEFAULT_CMDLINE "console=ttyS0 panic=-1"

struct run_opts {
	const char *kernel, *initrd, *cmdline, *accel;
	const char *firmware_arg; /* --firmware bios|uefi|FILE as given */
	const char *firmware;     /* the image it names (without --kernel) */
	const char *boot;         /* --boot disk,cdrom,net */
	u64 memory;
	unsigned cpus;
	bool no_reboot, debug, quiet;
	bool no_sandbox; /* --no-sandbox: no seccomp filters (debugging) */
	const char *confine[RUN_MAX_CONFINE + 1]; /* --confine-dir, NULL-terminated */
	unsigned nconfine;
	struct run_jail jail; /* --jail DIR --jail-uid N --jail-gid N (from hoverd) */
	struct run_mgmt mgmt; /* --config, --name, --api-sock, --console-sock */
	struct pc_disk disk[PC_MAX_DISKS]; /* --disk, in order */
	unsigned ndisks;
	const char *cdrom[PC_MAX_CDROMS]; /* --cdrom, in order ("": an empty drive) */
	unsigned ncdroms;
	/* What --disk, --net and --console-port said, for GET /vm and for snapshots. */
	char *disk_arg[PC_MAX_DISKS], *net_arg[PC_MAX_NICS];
	char *cport_arg[VIRTIO_CONSOLE_MAX_PORTS];
	const char *restore; /* --restore FILE */
	const char *incoming; /* --incoming ADDR */
	const char *snapshot_dir; /* --snapshot-dir DIR; NULL: the working directory */
	/* --- network, console ports, rng --- */
	struct net_config net[PC_MAX_NICS]; /* --net, in order */
	unsigned nnets;
	struct virtio_console_port_config cport[VIRTIO_CONSOLE_MAX_PORTS]; /* --console-port */
	unsigned ncports;
	bool no_rng;
	/* --- end network, console ports, rng --- */
	struct run_res res; /* --balloon, --mem-*, --cpu-*, --rt (mgmt/run_res.c) */
	struct display_config display; /* --display */
	const char *display_arg;
};

void cmd_run_help(FILE *f)
{
	fprintf(f,
		"usage: hover run --kernel BZIMAGE [OPTIONS]\n"
		"       hover run --disk IMAGE [--firmware bios|FILE] [--boot ORDER] [OPTIONS]\n"
		"\n"
		"Boot a Linux guest directly, or without --kernel boot the firmware (SeaBIOS),\n"
		"which boots the disks like a PC; the serial console is on stdin/stdout.\n"
		"Ctrl-A x quits; Ctrl-A Ctrl-A sends Ctrl-A to the guest.\n"
		"\n"
		"  --kernel FILE      the guest kernel (a Linux bzImage, e.g. Debian's vmlinuz)\n"
		"  --initrd FILE      an initramfs to load with it\n"
		"  --firmware bios|FILE  without --kernel: the firmware to boot; bios (the\n"
		"                     default) is SeaBIOS from Debian's seabios package\n"
		"                     (" PC_FIRMWARE_BIOS "); FILE another image\n"
		"  --boot ORDER       without --kernel: the firmware's boot order, a list of\n"
		"                     disk, cdrom, net (e.g. --boot cdrom,disk)\n"
		"  --cmdline TEXT     the kernel command line (default \"" RUN_DEFAULT_CMDLINE "\":\n"
		"                     the serial console, and a reboot on panic)\n"
		"  --memory SIZE      guest RAM: 512M, 2G... (default 512M)\n"
		"  --cpus N           number of vCPUs (default 1)\n"
		"  --accel ENGINE     auto (default), kvm or emu (hover's software CPU)\n"
		"  --no-reboot        exit with status 0 when the guest reboots\n"
		"  --debug            log unimplemented instructions and unclaimed I/O\n"
		"  --quiet            print only errors\n"
		"  --confine-dir DIR  every file the VM opens (kernel, initrd, disks and their\n"
		"                     backing files) must lie in DIR once links are resolved\n"
		"                     (repeatable; hoverd passes its --allow-dir directories)\n"
		"  --jail DIR --jail-uid N --jail-gid N\n"
		"                     (hoverd, as root, passes these) run in a root of its own\n"
		"                     mounted on DIR holding only the VM's files, as uid/gid N\n"
		"  --no-sandbox       no seccomp filters (for debugging: by default each thread\n"
		"                     may make only the system calls it needs, see README\n"
		"                     \"Security\"; a refused call stops the VM, naming it)\n"
		"  --disk F[,format=raw|qcow2][,readonly=on][,backing=on][,bus=virtio|sata]\n"
		"                     a virtio-blk disk from image F (repeatable). Without\n"
		"                     format=, a writable image is raw (never probed: the guest\n"
		"                     writes it) and a read-only one is probed; a qcow2 image's\n"
		"                     backing file is followed only with backing=on; bus=sata\n"
		"                     puts it on the AHCI (SATA) controller instead\n"
		"  --cdrom FILE       an ATAPI CD-ROM on the AHCI controller holding the ISO\n"
		"                     image FILE, read-only ('' for an empty drive; repeatable,\n"
		"                     SATA disks and CD-ROMs share 6 ports); POST /vm/cdrom\n"
		"                     changes the disc\n"
		"  --net user[,hostfwd=tcp:ADDR:HPORT-:GPORT]...[,restrict=on][,mac=M]\n"
		"                     a virtio-net card on user-mode NAT (libslirp): DHCP gives\n"
		"                     the guest 10.0.2.15, the host's 127.0.0.1 is 10.0.2.2, DNS\n"
		"                     is 10.0.2.3; hostfwd forwards a host port (ADDR defaults\n"
		"                     to 127.0.0.1; tcp: or udp:) to a guest port (repeatable)\n"
		"  --net tap,ifname=NAME[,mac=M]\n"
		"                     a virtio-net card on an existing or new TAP interface\n"
		"  --console-port name=NAME,socket=PATH|file=PATH\n"
		"                     a virtio-console port the guest sees as /dev/vportNpM named\n"
		"                     NAME, connected to a unix socket hover listens on, or\n"
		"                     appended to a file (repeatable, up to 8)\n"
		"  --restore FILE     continue the VM saved in FILE (hover snapshot, or POST\n"
		"                     /vm/snapshot): its machine options come from the file\n"
		"  --incoming tcp:ADDR:PORT|unix:PATH\n"
		"                     wait there for a VM migrating live (POST /vm/migrate,\n"
		"                     hover migrate) and run it: its options come from the source\n"
		"  --snapshot-dir DIR where POST /vm/snapshot may write (default: the working\n"
		"                     directory); the VM can create files nowhere else\n"
		"  --no-rng           no virtio-rng (by default the guest gets one, fed by the\n"
		"                     host's getrandom)\n"
		"  --balloon[=SIZE]   a virtio-balloon with free page reporting: pages the guest\n"
		"                     frees go back to the host; SIZE: the RAM the guest is\n"
		"                     asked to keep at start (change it live: POST /vm/set\n"
		"                     {\"memory\": \"1G\"} or hover set NAME memory 1G)\n"
		"  --mem-merge        mark guest RAM mergeable for KSM (the host must run KSM:\n"
		"                     /sys/kernel/mm/ksm/run = 1)\n"
		"  --mem-hugepages[=auto|hugetlb|thp]\n"
		"                     back guest RAM with huge pages: reserved hugetlb pages\n"
		"                     where there are enough (auto), else transparent ones\n"
		"  --cpu-weight N     CPU share against other VMs, 1-10000 (default 100), through\n"
		"                     a cgroup of the VM's own (cgroup v2 cpu.weight, or v1)\n"
		"  --cpu-cap P%%       at most P%% of one host CPU (cpu.max)\n"
		"  --cpu-pin LIST     run the vCPUs on these host CPUs (0-1,3); hover's other\n"
		"                     threads on the remaining ones\n"
		"  --rt[=PRIO]        vCPU threads SCHED_FIFO at PRIO (1-49, default 1); needs\n"
		"                     CAP_SYS_NICE\n"
		"  --display none|vga|vnc=HOST:PORT|vnc=unix:PATH[,password-file=F][,keymap=us|de]\n"
		"                     [,vram=16M]  a VGA adapter (standard VGA + Bochs VBE): vga\n"
		"                     for screenshots only (GET /vm/screen.png), vnc= also serves\n"
		"                     it to VNC viewers (HOST:PORT is a TCP port; HOST defaults\n"
		"                     to 127.0.0.1). Default none: no adapter at all\n"
		"  --config FILE      a VM definition in JSON (keys: the long options; options\n"
		"                     given here override it)\n"
		"  --name NAME        the VM's name (in the API)\n"
		"  --api-sock PATH    serve the JSON API on this unix socket (GET /openapi.yaml)\n"
		"  --console-sock PATH  also serve the console on this unix socket\n"
		"\n"
		"exit status: 0 the guest powered off (or quit), 1 it failed (triple fault,\n"
		"kernel panic), 2 bad usage or input, 3 host error\n");
}

static int usage_error(const char *fmt, const char *arg, const char *hint)
{
	fprintf(stderr, "hover: ");
	fprintf(stderr, fmt, arg);
	if (hint)
		fprintf(stderr, " (%s)", hint);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

/* --disk F[,format=raw|qcow2][,readonly=on|off][,backing=on|off]: 0, or EXIT_USAGE after saying why. */
static int parse_disk(const char *arg, struct pc_disk *d)
{
	const char *comma = strchr(arg, ',');
	char *opts, *tok, *save = NULL;

	*d = (struct pc_disk){ .path = comma ? strndup(arg, comma - arg) : arg };
	if (!d->path || !*d->path)
		return usage_error("--disk %s: needs an image file", arg, "--disk disk.qcow2");
	if (!comma)
		return 0;
	opts = strdup(comma + 1);
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "format=raw") || !strcmp(tok, "format=qcow2"))
			d->format = strdup(tok + 7);
		else if (!strcmp(tok, "readonly=on"))
			d->readonly = true;
		else if (!strcmp(tok, "readonly=off"))
			d->readonly = false;
		else if (!strcmp(tok, "backing=on"))
			d->backing = true;
		else if (!strcmp(tok, "backing=off"))
			d->backing = false;
		else if (!strcmp(tok, "bus=sata"))
			d->sata = true;
		else if (!strcmp(tok, "bus=virtio"))
			d->sata = false;
		else if (!strncmp(tok, "bus=", 4))
			return usage_error("--disk %s: unknown bus", arg, "bus=virtio or bus=sata");
		else if (!strncmp(tok, "format=", 7))
			return usage_error("--disk %s: unknown format", arg, "format=raw or format=qcow2");
		else
			return usage_error("--disk %s: unknown option", arg,
					   "format=raw|qcow2, readonly=on|off, backing=on|off, "
					   "bus=virtio|sata");
	}
	free(opts);
	return 0;
}

static int confine_error(const char *opt, const char *path, const struct run_opts *o)
{
	fprintf(stderr, "hover: %s %s: outside the directories this VM may use (", opt, path);
	for (unsigned i = 0; i < o->nconfine; i++)
		fprintf(stderr, "%s--confine-dir %s", i ? ", " : "", o->confine[i]);
	fprintf(stderr, "); move the file there\n");
	return EXIT_USAGE;
}

/*
 * --kernel and --initrd: inside the --confine-dir directories, and regular
 * files (a FIFO or a device would block or never end). 0, or EXIT_USAGE after
 * saying why.
 */
static int check_file(const char *opt, const char *path, const struct run_opts *o)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0; /* the loader says what is wrong, as for any file it cannot read */
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "hover: %s %s: not a regular file (give the file itself, not a "
			"pipe, device or directory)\n", opt, path);
		return EXIT_USAGE;
	}
	if (!path_confined(path, o->confine))
		return confine_error(opt, path, o);
	return 0;
}

/*
 * Without --kernel the firmware boots: --firmware bios (the default) or a
 * file, checked now so that a missing or corrupt image is a usage error
 * naming what to install. 0, or EXIT_USAGE after saying why.
 */
static int check_firmware(struct run_opts *o)
{
	const char *arg = o->firmware_arg ? o->firmware_arg : "bios";
	const char *pkg = NULL;
	char err[512];
	u8 *image;
	u64 size;

	if (o->kernel) {
		if (o->firmware_arg || o->boot)
			return usage_error("%s: only without --kernel (the kernel is booted directly)",
					   o->firmware_arg ? "--firmware" : "--boot", NULL);
		return 0;
	}
	if (o->boot && pc_boot_order_check(o->boot, err, sizeof(err))) {
		fprintf(stderr, "hover: %s\n", err);
		return EXIT_USAGE;
	}
	if (!strcmp(arg, "bios")) {
		o->firmware = PC_FIRMWARE_BIOS;
		pkg = PC_FIRMWARE_BIOS_PACKAGE;
	} else if (!strcmp(arg, "uefi")) {
		fprintf(stderr, "hover: --firmware uefi: OVMF does not boot on hover yet (it "
			"stops in its DXE phase, and there is no flash device for its "
			"variables); use --firmware bios\n");
		return EXIT_USAGE;
	} else {
		o->firmware = arg;
	}
	if (pkg && access(o->firmware, R_OK)) {
		fprintf(stderr, "hover: --firmware %s: %s: %s (install Debian's package %s: "
			"apt-get install %s)\n", arg, o->firmware, strerror(errno), pkg, pkg);
		return EXIT_USAGE;
	}
	if (!pkg && access(o->firmware, R_OK)) {
		fprintf(stderr, "hover: --firmware %s: %s (give a firmware image, or --firmware "
			"bios for SeaBIOS from Debian's package " PC_FIRMWARE_BIOS_PACKAGE ")\n",
			arg, strerror(errno));
		return EXIT_USAGE;
	}
	/* --confine-dir is about the user's files; Debian's image is the system's. */
	if (!pkg && check_file("--firmware", o->firmware, o))
		return EXIT_USAGE;
	if (pc_firmware_read(o->firmware, &image, &size, err, sizeof(err))) {
		fprintf(stderr, "hover: %s\n", err);
		return EXIT_USAGE;
	}
	free(image);
	if (!o->ndisks && !o->restore && !o->incoming)
		return usage_error("%s", "nothing to boot: give --kernel BZIMAGE, or --disk IMAGE for "
				   "the firmware to boot", "see `hover help run`");
	return 0;
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	enum { O_KERNEL = 256, O_INITRD, O_CMDLINE, O_MEMORY, O_CPUS, O_ACCEL, O_NOREBOOT,
	       O_DEBUG, O_QUIET, O_HELP, O_CONFIG, O_NAME, O_API_SOCK, O_CONSOLE_SOCK,
	       O_DISK, O_NET, O_CONSOLE_PORT, O_NO_RNG, O_RESTORE, O_SNAPSHOT_DIR, O_NO_SANDBOX,
	       O_CONFINE_DIR, O_JAIL, O_JAIL_UID, O_JAIL_GID, O_FIRMWARE, O_BOOT, O_RES, O_DISPLAY,
	       O_CDROM, O_INCOMING };
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "firmware", required_argument, NULL, O_FIRMWARE },
		{ "boot", required_argument, NULL, O_BOOT },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "accel", required_argument, NULL, O_ACCEL },
		{ "no-reboot", no_argument, NULL, O_NOREBOOT },
		{ "debug", no_argument, NULL, O_DEBUG },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, O_HELP },
		{ "disk", required_argument, NULL, O_DISK },
		{ "cdrom", required_argument, NULL, O_CDROM },
		{ "net", required_argument, NULL, O_NET },
		{ "console-port", required_argument, NULL, O_CONSOLE_PORT },
		{ "no-rng", no_argument, NULL, O_NO_RNG },
		{ "display", required_argument, NULL, O_DISPLAY },
		{ "restore", required_argument, NULL, O_RESTORE },
		{ "incoming", required_argument, NULL, O_INCOMING },
		{ "snapshot-dir", required_argument, NULL, O_SNAPSHOT_DIR },
		{ "no-sandbox", no_argument, NULL, O_NO_SANDBOX },
		{ "confine-dir", required_argument, NULL, O_CONFINE_DIR },
		{ "jail", required_argument, NULL, O_JAIL },
		{ "jail-uid", required_argument, NULL, O_JAIL_UID },
		{ "jail-gid", required_argument, NULL, O_JAIL_GID },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "name", required_argument, NULL, O_NAME },
		{ "api-sock", required_argument, NULL, O_API_SOCK },
		{ "console-sock", required_argument, NULL, O_CONSOLE_SOCK },
		{ "balloon", optional_argument, NULL, O_RES },
		{ "mem-merge", no_argument, NULL, O_RES },
		{ "mem-hugepages", optional_argument, NULL, O_RES },
		{ "cpu-weight", required_argument, NULL, O_RES },
		{ "cpu-cap", required_argument, NULL, O_RES },
		{ "cpu-pin", required_argument, NULL, O_RES },
		{ "rt", optional_argument, NULL, O_RES },
		{ NULL, 0, NULL, 0 },
	};
	int c, li;

	*o = (struct run_opts){ .memory = 512 * MiB, .cpus = 1, .accel = "auto" };
	run_res_init(&o->res); /* before --config: a definition may set resources */
	/* --- mgmt: --config supplies defaults that the other options override --- */
	{
		char err[512];
		const struct vm_def *d = &o->mgmt.def;

		if (run_mgmt_load_config(&o->mgmt, argc, argv, err, sizeof(err)))
			return usage_error("--config %s", err, NULL);
		if (d->kernel)
			o->kernel = d->kernel;
		if (d->initrd)
			o->initrd = d->initrd;
		if (d->firmware)
			o->firmware_arg = d->firmware;
		if (d->boot)
			o->boot = d->boot;
		if (d->cmdline)
			o->cmdline = d->cmdline;
		if (d->accel)
			o->accel = d->accel;
		if (d->memory)
			o->memory = d->memory;
		if (d->cpus)
			o->cpus = d->cpus;
		for (size_t i = 0; i < d->nres; i++)
			if (run_res_option(&o->res, d->res_name[i], d->res_val[i]))
				return EXIT_USAGE;
		if (d->display) {
			o->display_arg = d->display;
			if (display_parse(d->display, &o->display, err, sizeof(err)))
				return usage_error("--config: \"display\": %s", err, NULL);
		}
		/* The file's disks and NICs come first; --disk/--net on the command line add more. */
		for (size_t i = 0; i < d->ndisk; i++) {
			if (o->ndisks == PC_MAX_DISKS)
				return usage_error("--config: \"disk\": %s", "too many disks", "at most 16");
			o->disk_arg[o->ndisks] = d->disk[i];
			if (parse_disk(d->disk[i], &o->disk[o->ndisks++]))
				return EXIT_USAGE;
		}
		for (size_t i = 0; i < d->ncdrom; i++) {
			if (o->ncdroms == PC_MAX_CDROMS)
				return usage_error("--config: \"cdrom\": %s", "too many CD-ROMs",
						   "at most 6");
			o->cdrom[o->ncdroms++] = d->cdrom[i];
		}
		for (size_t i = 0; i < d->nnet; i++) {
			if (o->nnets == PC_MAX_NICS)
				return usage_error("--config: \"net\": %s", "too many network cards",
						   "at most 8");
			o->net_arg[o->nnets] = d->net[i];
			if (net_parse(d->net[i], &o->net[o->nnets++], err, sizeof(err))) {
				fprintf(stderr, "hover: --config: \"net\" %s: %s\n", d->net[i], err);
				return EXIT_USAGE;
			}
		}
	}
	/* --- end mgmt --- */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		switch (c) {
		case O_KERNEL: o->kernel = optarg; break;
		case O_INITRD: o->initrd = optarg; break;
		case O_FIRMWARE: o->firmware_arg = optarg; break;
		case O_BOOT: o->boot = optarg; break;
		case O_CMDLINE: o->cmdline = optarg; break;
		case O_MEMORY:
			if (parse_size(optarg, &o->memory))
				return usage_error("--memory %s: not a size", optarg, "try 512M or 2G");
			break;
		case O_CPUS:
			if (parse_uint(optarg, 1, VM_MAX_CPUS, &o->cpus))
				return usage_error("--cpus %s: not a number of vCPUs", optarg,
						   "1 to 64");
			break;
		case O_ACCEL: o->accel = optarg; break;
		case O_NOREBOOT: o->no_reboot = true; break;
		case O_DEBUG: o->debug = true; break;
		case O_QUIET: o->quiet = true; break;
		case O_HELP: cmd_run_help(stdout); return -1;
		case O_DISK:
			if (o->ndisks == PC_MAX_DISKS)
				return usage_error("--disk %s: too many disks", optarg, "at most 16");
			o->disk_arg[o->ndisks] = optarg;
			if (parse_disk(optarg, &o->disk[o->ndisks++]))
				return EXIT_USAGE;
			break;
		case O_CDROM:
			if (o->ncdroms == PC_MAX_CDROMS)
				return usage_error("--cdrom %s: too many CD-ROMs", optarg,
						   "at most 6, sharing the SATA ports with bus=sata disks");
			o->cdrom[o->ncdroms++] = optarg;
			break;
		/* --- network, console ports, rng --- */
		case O_NET: {
			char err[256];

			if (o->nnets == PC_MAX_NICS)
				return usage_error("--net %s: too many network cards", optarg,
						   "at most 8");
			o->net_arg[o->nnets] = optarg;
			if (net_parse(optarg, &o->net[o->nnets++], err, sizeof(err))) {
				fprintf(stderr, "hover: --net %s: %s\n", optarg, err);
				return EXIT_USAGE;
			}
			break;
		}
		case O_RESTORE: o->restore = optarg; break;
		case O_INCOMING: o->incoming = optarg; break; /* run_incoming_begin acted on it */
		case O_SNAPSHOT_DIR: o->snapshot_dir = optarg; break;
		case O_CONSOLE_PORT: {
			char err[256];

			if (o->ncports == VIRTIO_CONSOLE_MAX_PORTS)
				return usage_error("--console-port %s: too many ports", optarg,
						   "at most 8");
			o->cport_arg[o->ncports] = optarg;
			if (virtio_console_parse_port(optarg, &o->cport[o->ncports++], err,
						      sizeof(err))) {
				fprintf(stderr, "hover: --console-port %s: %s\n", optarg, err);
				return EXIT_USAGE;
			}
			break;
		}
		case O_NO_RNG: o->no_rng = true; break;
		case O_DISPLAY: {
			char err[384];

			o->display_arg = optarg;
			if (display_parse(optarg, &o->display, err, sizeof(err))) {
				fprintf(stderr, "hover: --display %s: %s\n", optarg, err);
				return EXIT_USAGE;
			}
			break;
		}
		case O_NO_SANDBOX: o->no_sandbox = true; break;
		case O_CONFINE_DIR:
			if (o->nconfine == RUN_MAX_CONFINE)
				return usage_error("--confine-dir %s: too many directories", optarg,
						   "at most 16");
			o->confine[o->nconfine++] = optarg;
			break;
		case O_JAIL: o->jail.root = optarg; break;
		case O_JAIL_UID:
		case O_JAIL_GID:
			if (parse_uint(optarg, 1, 0x7fffffff, c == O_JAIL_UID ? &o->jail.uid : &o->jail.gid))
				return usage_error("%s: not a uid or gid above 0", optarg, NULL);
			break;
		/* --- end network, console ports, rng --- */
		case O_RES:
			if (run_res_option(&o->res, longopts[li].name, optarg))
				return EXIT_USAGE;
			break;
		case O_CONFIG: break; /* loaded above */
		case O_NAME: o->mgmt.name = optarg; break;
		case O_API_SOCK: o->mgmt.api_sock = optarg; break;
		case O_CONSOLE_SOCK: o->mgmt.console_sock = optarg; break;
		case ':':
			return usage_error("%s: needs a value", argv[optind - 1], "see `hover help run`");
		default:
			return usage_error("unknown option '%s'", argv[optind - 1],
					   "see `hover help run`");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind], "see `hover help run`");
	if (o->jail.root && (!o->jail.uid || !o->jail.gid))
		return usage_error("%s", "--jail needs --jail-uid and --jail-gid", NULL);
	if (o->restore && o->incoming)
		return usage_error("%s", "--restore and --incoming: choose one", NULL);
	if (check_firmware(o))
		return EXIT_USAGE;
	if ((o->kernel && check_file("--kernel", o->kernel, o)) ||
	    (o->initrd && check_file("--initrd", o->initrd, o)))
		return EXIT_USAGE;
	for (unsigned i = 0; i < o->ndisks; i++)
		if (!path_confined(o->disk[i].path, o->confine))
			return confine_error("--disk", o->disk[i].path, o);
	{
		unsigned sata = o->ncdroms;

		for (unsigned i = 0; i < o->ncdroms; i++)
			if (o->cdrom[i][0] && check_file("--cdrom", o->cdrom[i], o))
				return EXIT_USAGE;
		for (unsigned i = 0; i < o->ndisks; i++)
			sata += o->disk[i].sata;
		if (sata > PC_MAX_CDROMS)
			return usage_error("%s: more SATA drives than ports", "--disk bus=sata and --cdrom",
					   "the AHCI controller has 6");
	}
	/*
	 * No --cmdline at all: a kernel without console= prints nothing and one
	 * without panic= spins after a panic, so a VM would look "running" and
	 * show empty logs. Give the serial console and a reboot on panic (which
	 * hover reports as a panic) unless the user said something, even "".
	 */
	if (!o->cmdline)
		o->cmdline = RUN_DEFAULT_CMDLINE;
	if (o->memory < MIN_MEMORY || (o->memory & 0xfff))
		return usage_error("--memory: %s", "needs at least 16M, in whole 4K pages",
				   "try 512M");
	if (run_res_check(&o->res, o->memory, o->cpus))
		return EXIT_USAGE;
	{
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

		if (pages > 0 && psz > 0 && o->memory > (u64)pages * (u64)psz) {
			char host[32];

			snprintf(host, sizeof(host), "%lluM",
				 (unsigned long long)((u64)pages * (u64)psz / MiB));
			return usage_error("--memory: more than this host has (%s)", host,
					   "choose a smaller size");
		}
	}
	return 0;
}

/* What each machine thread does first (vm_thread_enter_fn). */
struct thread_setup {
	struct run_res *res;
	struct sandbox_config *sandbox; /* NULL: --no-sandbox */
};

/* Pinning and scheduling (run_res.c), then the thread's own seccomp filter. */
static int thread_enter(void *opaque, enum vm_thread kind, unsigned index)
{
	static const enum sandbox_thread kinds[] = {
		[VM_THREAD_LOOP] = SANDBOX_LOOP, [VM_THREAD_VCPU] = SANDBOX_VCPU,
		[VM_THREAD_IO] = SANDBOX_IO, [VM_THREAD_DISPLAY] = SANDBOX_DISPLAY,
		[VM_THREAD_MIGRATE] = SANDBOX_MIGRATE,
	};
	struct thread_setup *ts = opaque;
	int ret = run_res_thread(ts->res, kind, index);

	if (ret)
		log_error("cannot %s this thread: %s", kind == VM_THREAD_VCPU && ts->res->rt_prio ?
			  "pin or make real-time" : "pin", strerror(-ret));
	if (ret == 0 && ts->sandbox)
		ret = sandbox_enter(kinds[kind], index, ts->sandbox);
	return ret;
}

/*
 * Confine the main thread (it keeps what building the machine again on a
 * reboot takes) and have every thread the machine starts confine itself.
 * Optional libraries are loaded by then: libmicrohttpd by run_mgmt_open,
 * libslirp by pc_create in this thread, before the loop's filter goes on.
 */
static int sandbox_start(const struct run_opts *o, struct sandbox_config *sc)
{
	int ret;

	*sc = (struct sandbox_config){ .kvm = !strcmp(o->accel, "kvm"),
				       .snapshot_dirfd = o->mgmt.snapshot_dirfd };
	for (unsigned i = 0; i < o->nnets; i++)
		sc->slirp |= o->net[i].type == NET_USER;
	/*
	 * One malloc arena: glibc shrinks a thread arena's heap only after reading
	 * /proc/sys/vm/overcommit_memory, an open the narrow threads may not make
	 * (the loop freeing a burst of API connections stopped the VM).
	 */
	mallopt(M_ARENA_MAX, 1);
	sc->cdrom = o->ncdroms > 0;
	ret = sandbox_init();
	if (ret == 0)
		ret = sandbox_enter(SANDBOX_MAIN, 0, sc);
	if (ret)
		fprintf(stderr, "hover: cannot set up the sandbox (seccomp): %s (--no-sandbox runs "
			"without it)\n", strerror(-ret));
	return ret;
}

/*
 * stdout appended to a file (hoverd's logs/NAME.log): cap it as the guest
 * writes (include/hover/log_cap.h). Opened before the jail hides the file's
 * directory. A terminal or a pipe is left alone.
 */
static void cap_stdout(struct log_cap *cap, struct console_stdio_session *session)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/fd/1", path, sizeof(path) - 1);
	int ret;

	if (n <= 0 || path[0] != '/')
		return;
	path[n] = '\0';
	ret = log_cap_init(cap, STDOUT_FILENO, path, LOG_CAP_DEFAULT);
	if (ret)
		log_warn("%s: the console log will not be capped: cannot open %s.1: %s", path, path,
			 strerror(-ret));
	else
		session->out_cap = cap;
}

struct run_state {
	struct panic_watch panic;
	struct run_mgmt *mgmt;
	unsigned ram_said; /* the RAM backing was logged (once, not on every reboot) */
};

static void console_tap(void *opaque, const u8 *buf, size_t len)
{
	struct run_state *rs = opaque;

	panic_watch_feed(&rs->panic, buf, len);
	run_mgmt_output(rs->mgmt, buf, len);
}

/* One line: the registers a person needs to see where a guest died. */
static void format_regs(const struct vm *vm, char *buf, size_t len)
{
	const struct vcpu_regs *r = &vm->stop_regs;

	if (!vm->stop_regs_valid) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len,
		 "; rip=%016llx rsp=%016llx rflags=%08llx rax=%016llx rbx=%016llx rcx=%016llx "
		 "rdx=%016llx rsi=%016llx rdi=%016llx rbp=%016llx cs=%04x ss=%04x cr0=%08llx "
		 "cr2=%016llx cr3=%016llx cr4=%08llx efer=%llx",
		 (unsigned long long)r->rip, (unsigned long long)r->gpr[GPR_RSP],
		 (unsigned long long)r->rflags, (unsigned long long)r->gpr[GPR_RAX],
		 (unsigned long long)r->gpr[GPR_RBX], (unsigned long long)r->gpr[GPR_RCX],
		 (unsigned long long)r->gpr[GPR_RDX], (unsigned long long)r->gpr[GPR_RSI],
		 (unsigned long long)r->gpr[GPR_RDI], (unsigned long long)r->gpr[GPR_RBP],
		 r->seg[SEG_CS].sel, r->seg[SEG_SS].sel, (unsigned long long)r->cr0,
		 (unsigned long long)r->cr2, (unsigned long long)r->cr3,
		 (unsigned long long)r->cr4, (unsigned long long)r->efer);
}

/*
 * The options that shape the machine, as `hover run` options, for a
 * snapshot: a restore parses them again and builds the same board. Paths
 * are made absolute (a restore may run elsewhere). The strings are the
 * returned array's; free with free_machine_args().
 */
#define MACHINE_ARGS_MAX (16 + 2 * (PC_MAX_DISKS + PC_MAX_NICS + VIRTIO_CONSOLE_MAX_PORTS + \
				    PC_MAX_CDROMS))

static char *abs_arg(const char *arg)
{
	const char *comma = strchr(arg, ',');
	char *path = comma ? strndup(arg, comma - arg) : strdup(arg), real[4096], *out = NULL;

	if (path && realpath(path, real) && asprintf(&out, "%s%s", real, comma ? comma : "") < 0)
		out = NULL;
	free(path);
	return out ? out : strdup(arg);
}

static unsigned machine_args(const struct run_opts *o, char **a)
{
	unsigned n = 0;

#define ARG(opt, val) (a[n++] = strdup(opt), a[n++] = (val))
	if (o->kernel)
		ARG("--kernel", abs_arg(o->kernel));
	if (o->initrd)
		ARG("--initrd", abs_arg(o->initrd));
	if (o->firmware_arg)
		ARG("--firmware", strchr(o->firmware_arg, '/') ? abs_arg(o->firmware_arg)
							       : strdup(o->firmware_arg));
	if (o->boot)
		ARG("--boot", strdup(o->boot));
	ARG("--cmdline", strdup(o->cmdline ? o->cmdline : ""));
	a[n++] = strdup("--memory");
	if (asprintf(&a[n++], "%lluK", (unsigned long long)(o->memory / 1024)) < 0)
		a[n - 1] = NULL;
	a[n++] = strdup("--cpus");
	if (asprintf(&a[n++], "%u", o->cpus) < 0)
		a[n - 1] = NULL;
	for (unsigned i = 0; i < o->ndisks; i++)
		ARG("--disk", abs_arg(o->disk_arg[i]));
	for (unsigned i = 0; i < o->ncdroms; i++)
		ARG("--cdrom", o->cdrom[i][0] ? abs_arg(o->cdrom[i]) : strdup(""));
	for (unsigned i = 0; i < o->nnets; i++)
		ARG("--net", strdup(o->net_arg[i]));
	for (unsigned i = 0; i < o->ncports; i++)
		ARG("--console-port", strdup(o->cport_arg[i]));
	if (o->no_rng)
		a[n++] = strdup("--no-rng");
	if (o->res.balloon)
		a[n++] = strdup("--balloon");
	if (o->display_arg)
		ARG("--display", strdup(o->display_arg));
#undef ARG
	return n;
}

/*
 * The discs in the CD-ROMs: --cdrom as given, or what POST /vm/cdrom put in
 * since (api_vm.c keeps the machine options' --cdrom entries current), so a
 * guest reboot keeps the disc in the drive, as a PC's reset does.
 */
static void cdroms_from_args(struct run_opts *o, char *const *a, unsigned n)
{
	unsigned d = 0;

	for (unsigned i = 0; i + 1 < n && d < o->ncdroms; i++)
		if (a[i] && a[i + 1] && !strcmp(a[i], "--cdrom"))
			o->cdrom[d++] = a[++i];
}

static void free_machine_args(char **a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(a[i]);
}

/*
 * --restore FILE: the snapshot's machine options go first, the command
 * line's after them (engine, name, sockets... and anything that would make
 * another machine, which the restore then refuses by name).
 */
static int restore_argv(int argc, char **argv, struct pc_snapshot **snap, int *argc2,
			char ***argv2)
{
	const char *file = NULL, *const *sargs;
	char msg[1024];
	unsigned n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--restore") && i + 1 < argc)
			file = argv[i + 1];
		else if (!strncmp(argv[i], "--restore=", 10))
			file = argv[i] + 10;
	}
	*snap = NULL;
	*argc2 = argc;
	*argv2 = argv;
	if (!file)
		return 0;
	if (pc_snapshot_open(snap, file, msg, sizeof(msg))) {
		fprintf(stderr, "hover: --restore %s\n", msg);
		return EXIT_USAGE;
	}
	n = pc_snapshot_args(*snap, &sargs);
	*argv2 = calloc(argc + n + 1, sizeof(char *));
	if (!*argv2)
		return EXIT_HOST_ERROR;
	(*argv2)[0] = argv[0];
	for (unsigned i = 0; i < n; i++)
		(*argv2)[1 + i] = (char *)sargs[i];
	for (int i = 1; i < argc; i++)
		(*argv2)[n + i] = argv[i];
	*argc2 = argc + (int)n;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct run_state rs = { 0 };
	struct console_stdio_session console_session = { 0 };
	const struct accel_ops *accel;
	struct sandbox_config sandbox;
	struct thread_setup tsetup;
	struct log_cap out_cap;
	char msg[1024];
	char regs[512];
	char *margs[MACHINE_ARGS_MAX];
	unsigned nmargs;
	struct pc_snapshot *snap;
	struct vnc_server *vnc = NULL;
	struct run_incoming incoming;
	char **argv2;
	int argc2, ret;
	u64 t_start;

	t_start = clock_ns();
	ret = restore_argv(argc, argv, &snap, &argc2, &argv2);
	if (ret)
		return ret;
	if (!snap) {
		ret = run_incoming_begin(&incoming, argc, argv, &argc2, &argv2);
		if (ret)
			return ret;
	} else {
		incoming.fd = -1;
	}
	ret = parse_opts(argc2, argv2, &o);
	if (ret) {
		run_incoming_refuse(&incoming, "the destination refused the options (see its log)");
		pc_snapshot_close(snap);
		return ret < 0 ? 0 : ret;
	}
	nmargs = machine_args(&o, margs);
	o.mgmt.machine_args = (const char *const *)margs;
	o.mgmt.nmachine_args = nmargs;
	log_set_level(o.quiet ? LOG_ERROR : o.debug ? LOG_DEBUG : LOG_INFO);

	ret = accel_select(o.accel, &accel, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "hover: %s\n", msg);
		return EXIT_USAGE;
	}
	log_info("%s", msg);
	if (o.cpus > 1 && !accel->irqchip_in_kernel) {
		fprintf(stderr, "hover: --cpus %u: the %s engine runs one vCPU for now (use --cpus 1)\n",
			o.cpus, accel->name);
		return EXIT_USAGE;
	}

	/* Snapshots go to one directory, opened now: the loop's filter allows only it. */
	{
		char real[PATH_MAX];
		const char *dir = o.snapshot_dir ? o.snapshot_dir : ".";

		o.mgmt.snapshot_dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (o.mgmt.snapshot_dirfd < 0 || !realpath(dir, real)) {
			if (o.snapshot_dir) {
				fprintf(stderr, "hover: --snapshot-dir %s: %s (a directory hover can "
					"write to)\n", dir, strerror(errno));
				return EXIT_USAGE;
			}
			if (o.mgmt.snapshot_dirfd >= 0)
				close(o.mgmt.snapshot_dirfd);
			o.mgmt.snapshot_dirfd = -1;
		} else {
			o.mgmt.snapshot_dir = strdup(real);
		}
	}

	/* --- mgmt: the API and console sockets live across guest reboots --- */
	{
		char mem[32];
		struct vm_def eff = {
			.kernel = (char *)o.kernel, .initrd = (char *)o.initrd,
			.firmware = (char *)o.firmware_arg, .boot = (char *)o.boot,
			.cmdline = (char *)o.cmdline, .accel = (char *)accel->name,
			.memory = o.memory, .memory_text = mem, .cpus = o.cpus,
			.display = (char *)o.display_arg,
		};

		snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(o.memory / MiB));
		for (unsigned i = 0; i < o.ndisks; i++)
			eff.disk[eff.ndisk++] = o.disk_arg[i];
		for (unsigned i = 0; i < o.nnets; i++)
			eff.net[eff.nnet++] = o.net_arg[i];
		for (unsigned i = 0; i < o.ncdroms; i++)
			eff.cdrom[eff.ncdrom++] = (char *)o.cdrom[i];
		ret = run_mgmt_open(&o.mgmt, &eff, msg, sizeof(msg));
		if (ret) {
			fprintf(stderr, "hover: %s\n", msg);
			run_mgmt_close(&o.mgmt);
			return EXIT_USAGE;
		}
	}
	/* --- end mgmt --- */

	/* Each disk's format is chosen once: a guest reboot must not re-probe. */
	if (pc_disks_resolve(o.disk, o.ndisks, msg, sizeof(msg))) {
		fprintf(stderr, "hover: --disk %s\n", msg);
		run_mgmt_close(&o.mgmt);
		return EXIT_USAGE;
	}
	o.accel = accel->name;
	o.res.jailed = o.jail.root != NULL;
	ret = run_res_apply(&o.res, o.mgmt.name, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "hover: %s\n", msg);
		run_mgmt_close(&o.mgmt);
		return EXIT_USAGE;
	}
	if (o.mgmt.api)
		run_mgmt_set_res(&o.mgmt, &o.res);
	/* The VNC socket and password: bound and read before the jail and the filters. */
	if (o.display.vnc && vnc_create(&vnc, &o.display, msg, sizeof(msg))) {
		fprintf(stderr, "hover: --display %s: %s\n", o.display_arg, msg);
		run_mgmt_close(&o.mgmt);
		return EXIT_USAGE;
	}
	cap_stdout(&out_cap, &console_session);
	if (o.jail.root) {
		bool slirp = false;

		for (unsigned i = 0; i < o.nnets; i++)
			slirp |= o.net[i].type == NET_USER;
		ret = run_jail_enter(&o.jail, o.memory, &o.kernel, &o.initrd, &o.firmware, o.disk,
				     o.ndisks, slirp, o.confine, msg, sizeof(msg));
		if (ret) {
			fprintf(stderr, "hover: %s\n", msg);
			run_mgmt_close(&o.mgmt);
			return EXIT_HOST_ERROR;
		}
		o.confine[0] = NULL; /* the jail holds only allowed files, under other names */
		log_info("jailed in %s as uid %u", o.jail.root, o.jail.uid);
	}
	/* Each machine thread (vCPUs, loop, migration, VNC) is pinned, then confined. */
	o.mgmt.thread_enter = thread_enter;
	o.mgmt.thread_opaque = &tsetup;
	if (!o.no_sandbox && sandbox_start(&o, &sandbox)) {
		run_mgmt_close(&o.mgmt);
		run_res_close(&o.res);
		return EXIT_HOST_ERROR;
	}
	tsetup = (struct thread_setup){ .res = &o.res, .sandbox = o.no_sandbox ? NULL : &sandbox };
	if (vnc && vnc_start(vnc, thread_enter, &tsetup)) {
		fprintf(stderr, "hover: --display: cannot start the VNC server's thread\n");
		run_mgmt_close(&o.mgmt);
		return EXIT_HOST_ERROR;
	}

	/* Raw mode sends Ctrl-C to the guest instead of killing hover. */
	term_raw_enter(STDIN_FILENO);
	atexit(term_restore);

	for (;;) {
		cdroms_from_args(&o, margs, nmargs);
		struct pc_config cfg = {
			.ram_size = o.memory,
			.ncpus = o.cpus,
			.accel = accel,
			.kernel = o.kernel,
			.initrd = o.initrd,
			.cmdline = o.cmdline,
			.firmware = o.firmware,
			.boot_order = o.boot,
			.debug = o.debug,
			.console_in_fd = STDIN_FILENO,
			.console_out_fd = STDOUT_FILENO,
			.console_session = &console_session,
			.disks = o.disk,
			.ndisks = o.ndisks,
			.cdroms = o.cdrom,
			.ncdroms = o.ncdroms,
			.nets = o.net,
			.nnets = o.nnets,
			.console_ports = o.cport,
			.nconsole_ports = o.ncports,
			.no_rng = o.no_rng,
			.console_tap = console_tap,
			.tap_opaque = &rs,
			.restore = snap != NULL || incoming.fd >= 0,
			.incoming = incoming.fd >= 0,
			.thread_enter = thread_enter,
			.thread_opaque = &tsetup,
			.balloon = o.res.balloon,
			.ram_backing = o.res.ram,
			.confine_dirs = o.confine,
			.vga_vram = o.display.on ? o.display.vram : 0,
		};
		struct pc *pc;
		enum vm_stop why;
		struct vm *vm;

		memset(&rs.panic, 0, sizeof(rs.panic));
		rs.mgmt = &o.mgmt;
		u64 t_build = clock_ns(), t_state = 0;

		ret = pc_create(&pc, &cfg, msg, sizeof(msg));
		if (ret == 0 && pc_ram_backing(pc)[0] && !rs.ram_said++)
			log_info("%s", pc_ram_backing(pc));
		if (ret == 0 && o.res.balloon_target &&
		    virtio_balloon_set_target(pc_balloon(pc), o.res.balloon_target, 0))
			log_warn("--balloon=%lluM: not applied", (unsigned long long)(o.res.balloon_target >> 20));
		if (ret == 0 && snap) {
			/* Once: a reboot of the restored guest boots its kernel afresh. */
			t_state = clock_ns();
			ret = pc_snapshot_restore(pc, snap, msg, sizeof(msg));
			pc_snapshot_close(snap);
			snap = NULL;
			if (ret) {
				pc_destroy(pc);
				ret = ret == -ENOMEM ? -ENOMEM : -EINVAL;
			} else {
				u64 now = clock_ns();

				log_info("restored from the snapshot in %.1f ms (machine %.1f ms, state "
					 "%.1f ms); the guest continues", (now - t_start) / 1e6,
					 (t_state - t_build) / 1e6, (now - t_state) / 1e6);
			}
		}
		if (incoming.fd >= 0) {
			/* Once, like a restore; the source resumes if anything here fails. */
			if (ret)
				run_incoming_refuse(&incoming, msg);
			else if ((ret = run_incoming_receive(&incoming, pc, msg, sizeof(msg))))
				pc_destroy(pc);
			run_incoming_end(&incoming);
			if (ret) {
				run_mgmt_close(&o.mgmt);
				term_restore();
				fprintf(stderr, "hover: --incoming: %s\n", msg);
				return ret < 0 ? EXIT_USAGE : ret;
			}
		}
		if (ret == 0 && vnc && vnc_attach(vnc, pc_vm(pc), pc_vga(pc), pc_i8042(pc))) {
			pc_destroy(pc);
			snprintf(msg, sizeof(msg), "--display: cannot show the screen over VNC (dirty "
				 "logging is not available)");
			ret = -ENOMEM;
		}
		if (ret == 0 && run_mgmt_attach(&o.mgmt, pc)) {
			pc_destroy(pc);
			snprintf(msg, sizeof(msg), "cannot serve the API or console socket");
			ret = -ENOMEM;
		}
		if (ret) {
			run_mgmt_close(&o.mgmt);
			run_res_close(&o.res);
			term_restore();
			fprintf(stderr, "hover: %s\n", msg);
			return ret == -ENOMEM ? EXIT_HOST_ERROR : EXIT_USAGE;
		}
		why = pc_run(pc);
		if (vnc)
			vnc_detach(vnc);
		run_mgmt_detach(&o.mgmt);
		vm = pc_vm(pc);
		if (why == VM_RESET && rs.panic.seen)
			why = VM_PANIC;
		switch (why) {
		case VM_POWEROFF:
			log_info("guest powered off");
			ret = EXIT_OK;
			break;
		case VM_QUIT:
			log_info("quit (Ctrl-A x)");
			ret = EXIT_OK;
			break;
		case VM_MIGRATED:
			log_info("%s; the VM runs at the destination now", vm->stop_detail);
			ret = EXIT_OK;
			break;
		case VM_RESET:
			if (o.no_reboot) {
				log_info("guest rebooted; exiting (--no-reboot)");
				ret = EXIT_OK;
				break;
			}
			log_info("guest rebooting");
			pc_destroy(pc);
			continue;
		case VM_PANIC:
			log_error("guest kernel panic: %s", rs.panic.cause);
			ret = EXIT_GUEST_FAILED;
			break;
		case VM_TRIPLE_FAULT:
			format_regs(vm, regs, sizeof(regs));
			log_error("guest triple fault (%s): the CPU shut down%s", vm->stop_detail, regs);
			ret = EXIT_GUEST_FAILED;
			break;
		default:
			format_regs(vm, regs, sizeof(regs));
			log_error("guest stopped: %s%s", vm->stop_detail, regs);
			ret = EXIT_GUEST_FAILED;
			break;
		}
		pc_destroy(pc);
		vnc_destroy(vnc);
		run_mgmt_close(&o.mgmt);
		run_res_close(&o.res);
		term_restore();
		free_machine_args(margs, nmargs);
		if (argv2 != argv)
			free(argv2);
		return ret;
	}
}
