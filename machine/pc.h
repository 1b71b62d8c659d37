/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC board: RAM, legacy devices, interrupt controllers, ACPI, the serial
 * console, and the Linux boot — built in a visible order in pc.c.
 */
#ifndef HOVER_MACHINE_PC_H
#define HOVER_MACHINE_PC_H

#include <stddef.h>

#include "include/hover/evloop.h"
#include "include/hover/ram.h"
#include "include/hover/types.h"
#include "include/hover/vm.h"

struct accel_ops;
struct console_stdio_session;
struct net_config;
struct virtio_console_port_config;
struct pc;
struct virtio_balloon;
struct stream_writer;

/*
 * One --disk: an image file, its format, read-only or not, whether qcow2
 * backing files may be followed. A format left NULL is chosen by the rules of
 * host/block.h (a writable image is raw, never probed); pc_disks_resolve()
 * chooses once, so a reboot reopens every disk in the same format.
 */
#define PC_MAX_DISKS 16
#define PC_MAX_NICS 8
#define PC_MAX_CDROMS 6 /* the SATA controller's ports */
struct pc_disk {
	const char *path;
	const char *format; /* "raw", "qcow2"; NULL: not given */
	bool readonly;
	bool backing;       /* backing=on */
	bool guard_sector0; /* set by pc_disks_resolve(): raw, format not given */
	bool sata;          /* bus=sata: a disk on the AHCI controller, not virtio-blk */
};

/* Choose the format of every disk whose format was not given, once per VM. */
int pc_disks_resolve(struct pc_disk *disks, unsigned n, char *err, size_t errlen) HOVER_WUR;

struct pc_config {
	u64 ram_size;
	unsigned ncpus;
	const struct accel_ops *accel;
	const char *kernel;  /* NULL: boot the firmware */
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: empty */
	/* Without a kernel: the firmware image (a path, e.g. machine/pc_firmware.h's
	 * PC_FIRMWARE_BIOS) and the --boot order ("disk,cdrom,net"; NULL: the firmware's). */
	const char *firmware;
	const char *boot_order;
	/* RAM and vCPUs come from a snapshot (pc_snapshot_restore): the kernel is not loaded. */
	bool restore;
	/* Live migration in: writable disks open without their locks (pc_disks_lock takes them). */
	bool incoming;
	bool debug;
	int console_in_fd;   /* -1: no console input */
	int console_out_fd;
	struct console_stdio_session *console_session; /* outlives reboots; may be NULL */
	/* --- disks: virtio-blk over PCI, in this order (virtio-blk engineer) --- */
	const struct pc_disk *disks;
	unsigned ndisks;
	/* --- end disks --- */
	/* --cdrom: ATAPI CD-ROMs on the AHCI controller, in order; "" is an empty drive. */
	const char *const *cdroms;
	unsigned ncdroms;
	/* --- network, console ports, rng: virtio over PCI (net/console/rng engineer) --- */
	const struct net_config *nets; /* host/net.h; one virtio-net each, in this order */
	unsigned nnets;
	const struct virtio_console_port_config *console_ports; /* virtio/console.h */
	unsigned nconsole_ports; /* 0: no virtio-console device */
	bool no_rng;             /* true: no virtio-rng device */
	/* --- end network, console ports, rng --- */
	bool balloon;                   /* --balloon: a virtio-balloon device */
	struct ram_backing ram_backing; /* --mem-hugepages, --mem-merge */
	/* Sees every byte the guest writes to its console (panic detection). May be NULL. */
	void (*console_tap)(void *opaque, const u8 *buf, size_t len);
	void *tap_opaque;
	/* Run first in each thread the machine starts (vm.h: vm_thread_enter). May be NULL. */
	vm_thread_enter_fn *thread_enter;
	void *thread_opaque;
	/* hover run --confine-dir: NULL-terminated; every file opened for the guest (disk
	 * images, their backing files) must lie in one (path_confined). NULL or empty: any. */
	const char *const *confine_dirs;
	/* --display: a VGA adapter with this much VRAM (bytes); 0: no display (hw/vga.h). */
	u32 vga_vram;
};

/* Build the machine and load the kernel. On failure: -errno and one sentence in err. */
int pc_create(struct pc **out, const struct pc_config *cfg, char *err, size_t errlen) HOVER_WUR;
/* Run the vCPUs and the event loop, each in a thread of its own, until the VM
 * stops; returns why. The calling thread only waits. */
enum vm_stop pc_run(struct pc *pc);
struct vm *pc_vm(struct pc *pc);
/* The virtio-balloon (NULL without --balloon); call its functions with vm->lock held. */
struct virtio_balloon *pc_balloon(struct pc *pc);
/* One sentence on how guest RAM is backed ("" for plain 4 KiB shared pages). */
const char *pc_ram_backing(struct pc *pc);
void pc_destroy(struct pc *pc);
/* Writable disks' image locks, handed over in a live migration: take them all, or release them. */
int pc_disks_lock(struct pc *pc, char *err, size_t errlen) HOVER_WUR;
void pc_disks_unlock(struct pc *pc);

/* ---- control (mgmt: the per-VM API, the console socket) ----
 * All of these are called from the VM's event loop, i.e. with vm->lock held. */
/* Watch a host fd in this machine's event loop (an API or console socket). */
int pc_add_fd(struct pc *pc, int fd, u32 events, evloop_fd_fn *fn, void *opaque) HOVER_WUR;
void pc_del_fd(struct pc *pc, int fd);
/* Stop the vCPUs at an instruction boundary and freeze device timers; resume both. */
void pc_pause(struct pc *pc);
void pc_resume(struct pc *pc);
bool pc_paused(struct pc *pc);
/* Press the ACPI power button; false if the guest has not enabled it (yet). */
bool pc_power_button(struct pc *pc);
/* Hard reset (as the reset line) or power off (as pulling the plug). */
void pc_request_reset(struct pc *pc, const char *why);
void pc_request_off(struct pc *pc, const char *why);
/* The display adapter (hw/vga.h), or NULL without --display. */
struct vga *pc_vga(struct pc *pc);
/* The i8042, for keyboard and mouse input (hw/i8042.h). */
struct i8042 *pc_i8042(struct pc *pc);
/*
 * Change the disc in CD-ROM `drive` (0-based, --cdrom order): path NULL or ""
 * ejects, otherwise the image is opened read-only (confined like disks) and
 * goes in. -errno and one sentence in err.
 */
int pc_cdrom_change(struct pc *pc, unsigned drive, const char *path, char *err,
		    size_t errlen) HOVER_WUR;
/* Console input from another source than stdin; returns bytes the UART took. */
size_t pc_console_input(struct pc *pc, const u8 *buf, size_t len);
/* Bytes through all virtio disks and NICs since the board was built (the API's metrics). */
struct pc_io_counters { u64 disk_read, disk_written, net_rx, net_tx; };
void pc_io_counters(struct pc *pc, struct pc_io_counters *c);

/*
 * Device state (migration/): every device of the board, in build order, one
 * section each (migration/stream_write.c). Save with the VM paused and
 * vm->lock held: devices with I/O in flight are quiesced first. Load into a machine just built
 * with the same configuration, before it runs; on failure (err says which
 * section and why) the machine is half loaded and must be destroyed. Guest
 * RAM and vCPU registers are not part of this.
 */
int pc_save_devices(struct pc *pc, struct stream_writer *sw, char *err, size_t errlen) HOVER_WUR;
int pc_load_devices(struct pc *pc, const void *data, size_t len, char *err,
		    size_t errlen) HOVER_WUR;

#endif
