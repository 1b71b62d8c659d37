// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PC board. pc_create() runs pc_steps[] (below, in this order):
 *
 *   1. the VM (RAM, address spaces, timers, the engine's vCPUs), the event loop
 *   2. interrupt controllers: 8259 pair, IOAPIC, one local APIC per vCPU, and
 *      the ISA IRQ lines into the fabric (machine/pc_irq.c)
 *   3. legacy devices: PIT, CMOS RTC, i8042, COM1, port 0x80
 *   4. PCI: the host bridge (ports 0xCF8/0xCFC, ECAM at PC_PCI_ECAM_BASE),
 *      INTx on GSIs 16-19, MSI to the local APICs; then one virtio-blk per
 *      --disk, in command-line order (slots 1, 2, ...), the AHCI controller
 *      for bus=sata disks and --cdrom (machine/pc_ahci.c), one virtio-net per
 *      --net, the virtio-console, the virtio-rng
 *   5. ACPI: PM fixed hardware (power-off, reset, PM timer, SCI on IRQ9) and
 *      the tables in the BIOS area
 *   6. the serial console on stdio, then the Linux kernel, loaded per the boot
 *      protocol; vCPU 0 starts at its 64-bit entry
 *
 * Every device goes on one list (pc_add) as it is made: pc_destroy() walks
 * it backwards, pc_save_devices()/pc_load_devices() forwards, one section
 * per device (its dev_state_ops, include/hover/state.h).
 *
 * With an engine that brings its own irqchip (KVM) the interrupt
 * controllers and the PIT are the engine's: the fabric chosen once in
 * pc_create() from the accel_ops capability leaves those steps out and
 * routes the lines to the engine; the board never asks the engine's name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/block.h"
#include "host/console_stdio.h"
#include "hw/acpi_pm.h"
#include "hw/i8042.h"
#include "hw/pit8254.h"
#include "hw/rtc_cmos.h"
#include "hw/uart16550.h"
#include "hw/vga.h"
#include "include/hover/accel.h"
#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/pci.h"
#include "machine/acpi_tables.h"
#include "machine/boot_linux.h"
#include "machine/e820.h"
#include "machine/pc.h"
#include "machine/pc_firmware.h"
#include "machine/pc_int.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/pci.h"
/* --- network, console ports, rng --- */
#include "host/net.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"
/* --- end network, console ports, rng --- */

#define PC_COM1_IRQ 4
#define PC_SCI_IRQ 9
#define PC_RTC_IRQ 8
#define PC_KBD_IRQ 1
#define PC_MOUSE_IRQ 12
#define PC_ACPI_BASE 0xE0000ULL /* ACPI tables: the BIOS area, where a legacy RSDP scan looks */
#define PC_ACPI_SIZE 0x20000ULL
/* PCI: BARs in [3 GiB, 3.5 GiB) right above low RAM, ECAM for bus 0 above that. */
#define PC_PCI_MMIO_BASE 0xC0000000ULL
#define PC_PCI_MMIO_SIZE 0x20000000ULL
/*
 * With firmware, the firmware assigns BARs: SeaBIOS from 0xFEC00000 down, so
 * the window it uses (and _CRS describes) is the space above the ECAM.
 */
#define PC_FW_PCI_MMIO_BASE 0xE0100000ULL
#define PC_FW_PCI_MMIO_SIZE (0xFEC00000ULL - PC_FW_PCI_MMIO_BASE)
#define PC_PCI_IO_BASE 0x1000
#define PC_PCI_IO_SIZE 0x1000

/* ---- the device list ---- */

int pc_add(struct pc *pc, const struct dev_state_ops *state, void *dev,
	   void (*destroy)(void *dev))
{
	u32 instance = 0;

	if (pc->ndev == PC_MAX_DEVS) {
		destroy(dev);
		return -ENOSPC;
	}
	for (unsigned i = 0; state && i < pc->ndev; i++)
		if (pc->dev[i].st.ops == state)
			instance++;
	pc->dev[pc->ndev++] = (struct pc_dev){
		.st = { .ops = state, .dev = dev, .instance = instance }, .destroy = destroy,
	};
	return 0;
}

/* The list's entries that have guest state, in order, for migration/devstate.c. */
static struct devstate_entry *state_entries(struct pc *pc, size_t *n)
{
	struct devstate_entry *e = calloc(pc->ndev ? pc->ndev : 1, sizeof(*e));

	*n = 0;
	for (unsigned i = 0; e && i < pc->ndev; i++)
		if (pc->dev[i].st.ops)
			e[(*n)++] = pc->dev[i].st;
	return e;
}

int pc_save_devices(struct pc *pc, struct stream_writer *sw, char *err, size_t errlen)
{
	size_t n;
	struct devstate_entry *e = state_entries(pc, &n);
	int ret;

	if (!e)
		return -ENOMEM;
	ret = devstate_save(sw, e, n, err, errlen);
	free(e);
	return ret;
}

int pc_load_devices(struct pc *pc, const void *data, size_t len, char *err, size_t errlen)
{
	size_t n;
	struct devstate_entry *e = state_entries(pc, &n);
	int ret;

	if (!e)
		return -ENOMEM;
	ret = devstate_load(data, len, e, n, err, errlen);
	free(e);
	return ret;
}

/* ---- port 0x80: POST codes, written by firmware and by Linux's io_delay ---- */

static u64 port80_read(void *opaque, u64 off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0xff;
}

static void port80_write(void *opaque, u64 off, unsigned size, u64 val)
{
	(void)opaque;
	(void)off;
	(void)size;
	(void)val;
}

static const struct io_ops port80_ops = { .read = port80_read, .write = port80_write,
					  .min_access = 1, .max_access = 1 };

/* ---- power and reset ---- */

static void on_poweroff(void *opaque)
{
	struct pc *pc = opaque;

	vm_request_stop(pc->vm, VM_POWEROFF, "ACPI S5");
}

static void on_reset(void *opaque)
{
	struct pc *pc = opaque;

	vm_request_stop(pc->vm, VM_RESET, "reset");
}

/* The A20 gate moved (i8042 or port 0x92): every vCPU, where the engine models it. */
static void on_a20(void *opaque, bool enabled)
{
	struct pc *pc = opaque;

	for (unsigned i = 0; pc->vm->accel->vcpu_set_a20 && i < pc->vm->ncpus; i++)
		pc->vm->accel->vcpu_set_a20(pc->vm->vcpu[i], enabled);
}

/* ---- console: COM1 <-> stdio ---- */

static void com1_tx(void *opaque, const u8 *buf, size_t len)
{
	struct pc *pc = opaque;

	if (pc->console)
		console_stdio_write(pc->console, buf, len);
	if (pc->cfg.console_tap)
		pc->cfg.console_tap(pc->cfg.tap_opaque, buf, len);
}

static void com1_rx_ready(void *opaque)
{
	struct pc *pc = opaque;

	if (pc->console)
		console_stdio_resume(pc->console);
}

static size_t console_deliver(void *opaque, const u8 *buf, size_t len)
{
	struct pc *pc = opaque;

	return uart16550_receive(pc->com1, buf, len);
}

static void console_quit(void *opaque)
{
	struct pc *pc = opaque;

	vm_request_stop(pc->vm, VM_QUIT, "quit from the console");
}

/* Destroy callbacks for the list (each device's own type). */
static void destroy_pit(void *dev) { pit8254_destroy(dev); }
static void destroy_rtc(void *dev) { rtc_cmos_destroy(dev); }
static void destroy_kbc(void *dev) { i8042_destroy(dev); }
static void destroy_uart(void *dev) { uart16550_destroy(dev); }
static void destroy_pm(void *dev) { acpi_pm_destroy(dev); }
static void destroy_pci_host(void *dev) { pci_host_destroy(dev); }
static void destroy_virtio_pci(void *dev) { virtio_pci_destroy(dev); }
static void destroy_blk(void *dev) { virtio_blk_destroy(dev); }
static void destroy_net(void *dev) { virtio_net_destroy(dev); }
static void destroy_vcon(void *dev) { virtio_console_destroy(dev); }
static void destroy_rng(void *dev) { virtio_rng_destroy(dev); }
static void destroy_balloon(void *dev) { virtio_balloon_destroy(dev); }
static void destroy_console(void *dev) { console_stdio_destroy(dev); }

/* ---- legacy devices ---- */

static int build_pit(struct pc *pc, char *err, size_t errlen)
{
	struct pit8254 *pit;
	int ret = pit8254_create(&pit, &(struct pit8254_config){
		.irq0 = pc->isa_irq[0], .timers = pc->vm->timers,
	});

	if (ret == 0)
		ret = pc_add(pc, &pit8254_state_ops, pit, destroy_pit);
	return ret ? ret : pit8254_attach(pit, pc->vm->pio);
}

static int build_rtc(struct pc *pc, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	struct rtc_cmos *rtc;
	int ret = rtc_cmos_create(&rtc, &(struct rtc_cmos_config){
		.irq = pc->isa_irq[PC_RTC_IRQ], .timers = vm->timers,
		.ram_below_4g = vm->ram.region[0].size,
		.ram_above_4g = pc->cfg.ram_size - vm->ram.region[0].size, /* not the firmware's */
	});

	if (ret == 0)
		ret = pc_add(pc, &rtc_cmos_state_ops, rtc, destroy_rtc);
	return ret ? ret : rtc_cmos_attach(rtc, vm->pio);
}

static int build_kbc(struct pc *pc, char *err, size_t errlen)
{
	struct i8042 *kbc;
	int ret = i8042_create(&kbc, &(struct i8042_config){
		.irq1 = pc->isa_irq[PC_KBD_IRQ], .irq12 = pc->isa_irq[PC_MOUSE_IRQ],
		.reset = on_reset, .a20 = on_a20, .opaque = pc,
	});

	if (ret == 0)
		ret = pc_add(pc, &i8042_state_ops, kbc, destroy_kbc);
	if (ret == 0)
		pc->kbc = kbc;
	return ret ? ret : i8042_attach(kbc, pc->vm->pio);
}

static int build_com1(struct pc *pc, char *err, size_t errlen)
{
	int ret = uart16550_create(&pc->com1, &(struct uart16550_config){
		.irq = pc->isa_irq[PC_COM1_IRQ], .timers = pc->vm->timers,
		.tx = com1_tx, .rx_ready = com1_rx_ready, .opaque = pc,
	});

	if (ret == 0)
		ret = pc_add(pc, &uart16550_state_ops, pc->com1, destroy_uart);
	return ret ? ret : uart16550_attach(pc->com1, pc->vm->pio, UART16550_COM1_BASE);
}

/* Port 0x80 has no state and lives as long as the address space. */
static int build_port80(struct pc *pc, char *err, size_t errlen)
{
	return as_register(pc->vm->pio, 0x80, 1, &port80_ops, pc);
}

/* ---- PCI: the host bridge, then one virtio device per --disk, --net, ... ---- */

static int build_pci(struct pc *pc, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	int ret;

	bool fw = !pc->cfg.kernel;

	for (unsigned i = 0; i < 4; i++)
		irq_line_init(&pc->pci_intx[i], pc->fabric->gsi_set, pc, PCI_HOST_GSI_BASE + i);
	ret = pci_host_create(&pc->pci, &(struct pci_host_config){
		.pio = vm->pio, .mmio = vm->mmio, .ecam_base = PC_PCI_ECAM_BASE,
		.mmio_base = fw ? PC_FW_PCI_MMIO_BASE : PC_PCI_MMIO_BASE,
		.mmio_size = fw ? PC_FW_PCI_MMIO_SIZE : PC_PCI_MMIO_SIZE,
		.io_base = PC_PCI_IO_BASE, .io_size = PC_PCI_IO_SIZE,
		.intx = { pc->pci_intx[0], pc->pci_intx[1], pc->pci_intx[2], pc->pci_intx[3] },
		.msi = pc->fabric->msi, .reset = on_reset, .opaque = pc,
	});
	return ret ? ret : pc_add(pc, &pci_host_state_ops, pc->pci, destroy_pci_host);
}

/* A virtio device already on the list gets its PCI transport (the next slot). */
static int add_virtio_pci(struct pc *pc, struct virtio_dev *vdev)
{
	struct virtio_pci *vp;
	int ret = virtio_pci_create(&vp, pc->pci, vdev);

	return ret ? ret : pc_add(pc, &virtio_pci_state_ops, vp, destroy_virtio_pci);
}

static int disk_format(const struct pc_disk *d, enum block_format *fmt, char *err,
		       size_t errlen)
{
	*fmt = BLOCK_FMT_PROBE;
	if (d->format && block_format_parse(d->format, fmt)) {
		snprintf(err, errlen, "--disk %s: unknown format '%s' (raw or qcow2)", d->path,
			 d->format);
		return -EINVAL;
	}
	return 0;
}

int pc_disks_resolve(struct pc_disk *disks, unsigned n, char *err, size_t errlen)
{
	for (unsigned i = 0; i < n; i++) {
		struct pc_disk *d = &disks[i];
		enum block_format fmt;
		int ret = disk_format(d, &fmt, err, errlen);

		if (ret || d->format)
			continue;
		ret = block_choose_format(d->path, fmt, d->readonly, &fmt, &d->guard_sector0, err,
					  errlen);
		if (ret)
			return ret;
		d->format = block_format_name(fmt);
	}
	return 0;
}

static int build_disks(struct pc *pc, char *err, size_t errlen)
{
	for (unsigned i = 0; i < pc->cfg.ndisks && i < PC_MAX_DISKS; i++) {
		const struct pc_disk *d = &pc->cfg.disks[i];
		struct block_open_opts o = { .readonly = d->readonly, .backing = d->backing,
					     .defer_lock = pc->cfg.incoming };
		struct virtio_blk *blk;
		struct block *img;
		int ret;

		if (d->sata) /* machine/pc_ahci.c */
			continue;
		ret = disk_format(d, &o.fmt, err, errlen);
		if (ret)
			return ret;
		/* hover run --confine-dir: the image and its backing chain must lie there */
		if (pc->cfg.confine_dirs && pc->cfg.confine_dirs[0])
			o.confine = pc->cfg.confine_dirs;
		ret = block_open(&img, d->path, &o, err, errlen);
		if (ret)
			return ret;
		img->guard_sector0 |= d->guard_sector0;
		ret = virtio_blk_create(&blk, pc->vm, img, i);
		if (ret)
			block_close(img);
		else
			ret = pc_add(pc, &virtio_blk_state_ops, blk, destroy_blk);
		if (ret == 0)
			pc->disk_img[i] = img;
		if (ret == 0)
			ret = add_virtio_pci(pc, virtio_blk_dev(blk));
		if (ret) {
			snprintf(err, errlen, "--disk %s: cannot attach the disk: %s", d->path,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* --- network, console ports, rng (net/console/rng engineer) --- */

/* One virtio-net per --net (MAC 52:54:00:12:34:56 + index unless mac= says otherwise). */
static int build_nics(struct pc *pc, char *err, size_t errlen)
{
	for (unsigned i = 0; i < pc->cfg.nnets && i < PC_MAX_NICS; i++) {
		const struct net_config *nc = &pc->cfg.nets[i];
		u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, (u8)(0x56 + i) };
		struct net_backend *be;
		struct virtio_net *nic;
		char why[384];
		int ret;

		if (nc->mac_set)
			memcpy(mac, nc->mac, 6);
		ret = net_backend_create(&be, nc, pc->loop, pc->vm->timers, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "--net: %s", why);
			return ret;
		}
		ret = virtio_net_create(&nic, pc->vm, be, mac, i);
		if (ret)
			net_backend_destroy(be);
		else
			ret = pc_add(pc, &virtio_net_state_ops, nic, destroy_net);
		if (ret == 0)
			ret = add_virtio_pci(pc, virtio_net_dev(nic));
		if (ret) {
			snprintf(err, errlen, "--net: cannot attach network card %u: %s", i,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The virtio-console, if ports were asked for. */
static int build_vcon(struct pc *pc, char *err, size_t errlen)
{
	struct virtio_console *vcon;
	int ret;

	if (!pc->cfg.nconsole_ports)
		return 0;
	ret = virtio_console_create(&vcon, pc->vm, pc->loop, pc->cfg.console_ports,
				    pc->cfg.nconsole_ports, err, errlen);
	if (ret)
		return ret;
	ret = pc_add(pc, &virtio_console_state_ops, vcon, destroy_vcon);
	if (ret == 0)
		ret = add_virtio_pci(pc, virtio_console_dev(vcon));
	if (ret)
		snprintf(err, errlen, "--console-port: cannot attach the console device: %s",
			 strerror(-ret));
	return ret;
}

/* The virtio-rng, unless --no-rng. */
static int build_rng(struct pc *pc, char *err, size_t errlen)
{
	struct virtio_rng *rng;
	int ret;

	if (pc->cfg.no_rng)
		return 0;
	ret = virtio_rng_create(&rng, pc->vm);
	if (ret == 0)
		ret = pc_add(pc, &virtio_rng_state_ops, rng, destroy_rng);
	if (ret == 0)
		ret = add_virtio_pci(pc, virtio_rng_dev(rng));
	if (ret)
		snprintf(err, errlen, "cannot attach the virtio-rng device: %s", strerror(-ret));
	return ret;
}
/* --- end network, console ports, rng --- */

/* The virtio-balloon, with --balloon (virtio/balloon.c). */
static int build_balloon(struct pc *pc, char *err, size_t errlen)
{
	int ret;

	if (!pc->cfg.balloon)
		return 0;
	ret = virtio_balloon_create(&pc->balloon, pc->vm);
	if (ret == 0)
		ret = pc_add(pc, &virtio_balloon_state_ops, pc->balloon, destroy_balloon);
	if (ret == 0)
		ret = add_virtio_pci(pc, virtio_balloon_dev(pc->balloon));
	if (ret)
		snprintf(err, errlen, "--balloon: cannot attach the virtio-balloon device: %s",
			 strerror(-ret));
	return ret;
}

static void destroy_vga(void *dev) { vga_destroy(dev); }

/* --display: the VGA adapter (last on the bus, so other devices keep their slots). */
static int build_display(struct pc *pc, char *err, size_t errlen)
{
	int ret;

	if (!pc->cfg.vga_vram)
		return 0;
	ret = vga_create(&pc->vga, pc->vm, pc->pci, &(struct vga_config){
		.vram_size = pc->cfg.vga_vram,
	});
	if (ret == 0)
		ret = pc_add(pc, &vga_state_ops, pc->vga, destroy_vga);
	if (ret) {
		pc->vga = NULL;
		snprintf(err, errlen, "--display: cannot attach the display adapter: %s", strerror(-ret));
	}
	return ret;
}

/*
 * ACPI: PM fixed hardware (power-off, reset, PM timer, SCI on IRQ9); the
 * tables in the BIOS area for a direct boot, or, with firmware (which owns
 * that area), handed over through fw_cfg (pc_build_fw_cfg).
 */
static int build_acpi(struct pc *pc, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	struct acpi_config acfg;
	bool fw = !pc->cfg.kernel;
	int ret;

	ret = acpi_pm_create(&pc->pm, &(struct acpi_pm_config){
		.sci = pc->isa_irq[PC_SCI_IRQ], .timers = vm->timers, .opaque = pc,
		.poweroff = on_poweroff, .reset = on_reset,
	}, vm->pio);
	if (ret == 0)
		ret = pc_add(pc, &acpi_pm_state_ops, pc->pm, destroy_pm);
	if (ret)
		return ret;
	acpi_config_init(&acfg, vm->ncpus);
	acfg.ioapic_id = pc_ioapic_id(vm->ncpus);
	acfg.sci_irq = PC_SCI_IRQ;
	acfg.com1 = true;
	acfg.pci = true;
	acfg.pci_ecam_base = PC_PCI_ECAM_BASE;
	acfg.pci_mmio_base = fw ? PC_FW_PCI_MMIO_BASE : PC_PCI_MMIO_BASE;
	acfg.pci_mmio_size = fw ? PC_FW_PCI_MMIO_SIZE : PC_PCI_MMIO_SIZE;
	acfg.pci_gsi_base = PCI_HOST_GSI_BASE;
	pc->acpi = acfg;
	if (fw)
		return 0;
	return acpi_tables_build(&vm->ram, PC_ACPI_BASE, PC_ACPI_SIZE, &acfg, &pc->rsdp);
}

/* The serial console: stdin/stdout <-> COM1. Host side only: no guest state. */
static int build_console(struct pc *pc, char *err, size_t errlen)
{
	int ret = console_stdio_create(&pc->console, pc->loop, &(struct console_stdio_config){
		.in_fd = pc->cfg.console_in_fd, .out_fd = pc->cfg.console_out_fd,
		.deliver = console_deliver, .quit = console_quit, .opaque = pc,
		.session = pc->cfg.console_session,
	});

	return ret ? ret : pc_add(pc, NULL, pc->console, destroy_console);
}

static int load_kernel(struct pc *pc, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	struct e820_map map;
	struct vcpu_regs regs;
	int ret;

	if (pc->cfg.restore) /* the guest's memory and registers come from the snapshot */
		return 0;
	ret = e820_build_pc(&map, &vm->ram);
	if (ret == 0)
		ret = e820_add(&map, PC_ACPI_BASE, PC_ACPI_SIZE, E820_ACPI);
	if (ret == 0) /* Linux uses ECAM only where the firmware reserved it */
		ret = e820_add(&map, PC_PCI_ECAM_BASE, PC_PCI_ECAM_SIZE, E820_RESERVED);
	if (ret) {
		snprintf(err, errlen, "cannot build the guest memory map (%s)", strerror(-ret));
		return ret;
	}
	ret = boot_linux_load(&vm->ram, &(struct boot_linux_config){
		.kernel = pc->cfg.kernel, .initrd = pc->cfg.initrd, .cmdline = pc->cfg.cmdline,
		.acpi_rsdp = pc->rsdp, .e820 = &map, .vga_text = pc->vga != NULL,
	}, &regs, err, errlen);
	if (ret)
		return ret;
	return vm->accel->vcpu_set_regs(vm->vcpu[0], &regs);
}

/* The fast path (a kernel, loaded here) or the firmware (from the reset vector). */
static int boot(struct pc *pc, char *err, size_t errlen)
{
	if (pc->cfg.kernel)
		return load_kernel(pc, err, errlen);
	return pc_firmware_start(pc, err, errlen);
}

/*
 * The machine, in build order. Devices go on the list (pc->dev) as they are
 * made; that order is also the save/load order, and destroy runs it
 * backwards. Steps marked hover_irqchip exist only where the fabric says
 * hover, not the engine, emulates the interrupt controllers and the PIT.
 */
static const struct pc_step {
	const char *what;
	int (*build)(struct pc *pc, char *err, size_t errlen);
	bool hover_irqchip;
} pc_steps[] = {
	{ "the 8259 PICs", pc_build_pic, true },
	{ "the IOAPIC", pc_build_ioapic, true },
	{ "the local APICs", pc_build_lapics, true },
	{ "the ISA interrupt lines", pc_build_isa_lines, false },
	{ "the PIT", build_pit, true },
	{ "the RTC", build_rtc, false },
	{ "the i8042", build_kbc, false },
	{ "COM1", build_com1, false },
	{ "port 0x80", build_port80, false },
	{ "the PCI host bridge", build_pci, false },
	{ "the disks", build_disks, false },
	{ "the SATA controller", pc_build_ahci, false },
	{ "the network cards", build_nics, false },
	{ "the console ports", build_vcon, false },
	{ "the rng", build_rng, false },
	{ "the balloon", build_balloon, false },
	{ "the display", build_display, false },
	{ "ACPI", build_acpi, false },
	{ "fw_cfg", pc_build_fw_cfg, false },
	{ "the console", build_console, false },
	{ "the boot", boot, false },
};

int pc_create(struct pc **out, const struct pc_config *cfg, char *err, size_t errlen)
{
	struct pc *pc = calloc(1, sizeof(*pc));
	int ret;

	if (!pc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pc->cfg = *cfg;
	/* The one place the engine's capability is asked. */
	pc->fabric = cfg->accel->irqchip_in_kernel ? &pc_fabric_engine : &pc_fabric_hover;
	if (!cfg->kernel) {
		ret = pc_firmware_read(cfg->firmware ? cfg->firmware : PC_FIRMWARE_BIOS,
				       &pc->fw_image, &pc->fw_size, err, errlen);
		if (ret)
			goto err;
	}
	ret = vm_create_backed(&pc->vm, cfg->ram_size, pc->fw_size, cfg->ncpus, cfg->accel,
			       &cfg->ram_backing, pc->ram_why, sizeof(pc->ram_why));
	if (ret) {
		if (pc->ram_why[0])
			snprintf(err, errlen, "%s", pc->ram_why);
		else
			snprintf(err, errlen, "cannot create the VM with %llu MiB of RAM: %s",
				 (unsigned long long)(cfg->ram_size / MiB), strerror(-ret));
		goto err;
	}
	pc->vm->debug = cfg->debug;
	pc->vm->thread_enter = cfg->thread_enter;
	pc->vm->thread_opaque = cfg->thread_opaque;
	ret = evloop_create(&pc->loop, pc->vm);
	if (ret) {
		snprintf(err, errlen, "cannot build the machine: %s", strerror(-ret));
		goto err;
	}
	pc->vm->loop = pc->loop;
	for (size_t i = 0; i < ARRAY_SIZE(pc_steps); i++) {
		const struct pc_step *st = &pc_steps[i];

		if (st->hover_irqchip && !pc->fabric->hover_irqchip)
			continue;
		err[0] = '\0';
		ret = st->build(pc, err, errlen);
		if (ret) {
			if (!err[0])
				snprintf(err, errlen, "cannot build the machine (%s): %s", st->what,
					 strerror(-ret));
			goto err;
		}
	}
	/* --debug: exercise the engine's vCPU state and dirty log on the live guest (vm_selfcheck.c). */
	if (cfg->debug && getenv("HOVER_STATE_SELFCHECK")) {
		ret = vm_selfcheck_arm(pc->vm, strtoull(getenv("HOVER_STATE_SELFCHECK"), NULL, 0) * 1000000);
		if (ret) {
			snprintf(err, errlen, "cannot arm the state self-check: %s", strerror(-ret));
			goto err;
		}
	}
	*out = pc;
	return 0;

err:
	pc_destroy(pc);
	return ret;
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *v = opaque;
	int ret;

	if (vm_thread_enter(v->vm, VM_THREAD_VCPU, v->index))
		return NULL;
	ret = v->vm->accel->vcpu_run(v);
	if (ret)
		vm_request_stop(v->vm, VM_ERROR, "vcpu%u: %s", v->index, strerror(-ret));
	return NULL;
}

/*
 * The event loop has a thread of its own, so that the thread that built the
 * machine (and rebuilds it when the guest reboots) does no guest-facing work
 * and can keep wider sandbox rules than the threads that do.
 */
static void *loop_thread(void *opaque)
{
	struct pc *pc = opaque;
	int ret;

	if (vm_thread_enter(pc->vm, VM_THREAD_LOOP, 0))
		return NULL;
	ret = evloop_run(pc->loop);
	if (ret)
		vm_request_stop(pc->vm, VM_ERROR, "event loop: %s", strerror(-ret));
	return NULL;
}

enum vm_stop pc_run(struct pc *pc)
{
	struct vm *vm = pc->vm;
	unsigned started = 0;
	pthread_t loop;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (pthread_create(&vm->vcpu[i]->thread, NULL, vcpu_thread, vm->vcpu[i])) {
			vm_request_stop(vm, VM_ERROR, "cannot start a thread for vcpu%u", i);
			break;
		}
		started++;
	}
	if (started == vm->ncpus) {
		if (pthread_create(&loop, NULL, loop_thread, pc))
			vm_request_stop(vm, VM_ERROR, "cannot start the event loop's thread");
		else
			pthread_join(loop, NULL);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(vm->vcpu[i]->thread, NULL);
	return vm_stopped(vm);
}

int pc_disks_lock(struct pc *pc, char *err, size_t errlen)
{
	for (unsigned i = 0; i < pc->cfg.ndisks && i < PC_MAX_DISKS; i++) {
		int ret = pc->disk_img[i] ? block_lock(pc->disk_img[i]) : 0;

		if (ret) {
			snprintf(err, errlen, "%s: cannot lock the image: %s", pc->cfg.disks[i].path,
				 ret == -EAGAIN ? "another process holds it" : strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void pc_disks_unlock(struct pc *pc)
{
	for (unsigned i = 0; i < pc->cfg.ndisks && i < PC_MAX_DISKS; i++)
		if (pc->disk_img[i])
			block_unlock(pc->disk_img[i]);
}

struct vm *pc_vm(struct pc *pc)
{
	return pc->vm;
}

struct virtio_balloon *pc_balloon(struct pc *pc)
{
	return pc->balloon;
}

const char *pc_ram_backing(struct pc *pc)
{
	return pc->ram_why;
}

void pc_destroy(struct pc *pc)
{
	if (!pc)
		return;
	/* Reverse build order: a transport leaves the bus before the bridge goes. */
	while (pc->ndev) {
		struct pc_dev *d = &pc->dev[--pc->ndev];

		d->destroy(d->st.dev);
	}
	if (pc->vm)
		pc->vm->loop = NULL;
	evloop_destroy(pc->loop);
	vm_destroy(pc->vm);
	for (unsigned i = 0; i < pc->nboot; i++)
		free(pc->boot[i].path);
	free(pc->fw_image);
	free(pc);
}

/* ---- control: called from the event loop with vm->lock held ---- */

int pc_add_fd(struct pc *pc, int fd, u32 events, evloop_fd_fn *fn, void *opaque)
{
	return evloop_add_fd(pc->loop, fd, events, fn, opaque);
}

void pc_del_fd(struct pc *pc, int fd)
{
	evloop_del_fd(pc->loop, fd);
}

void pc_pause(struct pc *pc)
{
	vm_pause(pc->vm);
	evloop_set_timers_frozen(pc->loop, true);
}

void pc_resume(struct pc *pc)
{
	evloop_set_timers_frozen(pc->loop, false);
	vm_resume(pc->vm);
}

bool pc_paused(struct pc *pc)
{
	return vm_pause_requested(pc->vm);
}

bool pc_power_button(struct pc *pc)
{
	return acpi_pm_power_button(pc->pm);
}

void pc_request_reset(struct pc *pc, const char *why)
{
	vm_request_stop(pc->vm, VM_RESET, "%s", why);
}

void pc_request_off(struct pc *pc, const char *why)
{
	vm_request_stop(pc->vm, VM_POWEROFF, "%s", why);
}

struct vga *pc_vga(struct pc *pc)
{
	return pc->vga;
}

struct i8042 *pc_i8042(struct pc *pc)
{
	return pc->kbc;
}

size_t pc_console_input(struct pc *pc, const u8 *buf, size_t len)
{
	return uart16550_receive(pc->com1, buf, len);
}

void pc_io_counters(struct pc *pc, struct pc_io_counters *c)
{
	*c = (struct pc_io_counters){ 0 };
	/* the device list knows every disk and NIC: no second registry */
	for (unsigned i = 0; i < pc->ndev; i++) {
		u64 a, b;

		if (pc->dev[i].st.ops == &virtio_blk_state_ops) {
			virtio_blk_counters(pc->dev[i].st.dev, &a, &b);
			c->disk_read += a;
			c->disk_written += b;
		} else if (pc->dev[i].st.ops == &virtio_net_state_ops) {
			virtio_net_counters(pc->dev[i].st.dev, &a, &b);
			c->net_rx += a;
			c->net_tx += b;
		}
	}
}
