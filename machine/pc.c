// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PC board. pc_create() builds the machine in a visible order:
 *
 *   1. the VM (RAM, address spaces, timers, the engine's vCPUs)
 *   2. interrupt controllers: 8259 pair, IOAPIC, one local APIC per vCPU,
 *      and the ISA IRQ fan-out (each ISA line drives both the PIC and the
 *      IOAPIC; ISA IRQ0 lands on GSI2, as the MADT's override says)
 *   3. legacy devices: PIT, CMOS RTC, i8042, COM1, port 0x80
 *   3b. PCI: the host bridge (ports 0xCF8/0xCFC, ECAM at PC_PCI_ECAM_BASE),
 *      INTx on IOAPIC GSIs 16-19, MSI to the local APICs; then one
 *      virtio-blk per --disk, in command-line order (slots 1, 2, ...)
 *   4. ACPI: PM fixed hardware (power-off, reset, PM timer, SCI on IRQ9) and
 *      the tables in the BIOS area
 *   5. the Linux kernel, loaded per the boot protocol; vCPU 0 starts at its
 *      64-bit entry
 *
 * With an engine that brings its own irqchip (KVM) step 2 and the PIT are
 * the engine's and the ISA lines drive its set_irq(); the board only asks the
 * accel_ops capability, never the engine's name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/block.h"
#include "host/console_stdio.h"
#include "hw/acpi_pm.h"
#include "hw/i8042.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "hw/pic8259.h"
#include "hw/pit8254.h"
#include "hw/rtc_cmos.h"
#include "hw/uart16550.h"
#include "include/hover/accel.h"
#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/pci.h"
#include "machine/acpi_tables.h"
#include "machine/boot_linux.h"
#include "machine/e820.h"
#include "machine/pc.h"
#include "virtio/blk.h"
#include "virtio/pci.h"
/* --- network, console ports, rng --- */
#include "host/net.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"
/* --- end network, console ports, rng --- */

#define PC_ISA_IRQS 16
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
#define PC_PCI_ECAM_BASE 0xE0000000ULL
#define PC_PCI_ECAM_SIZE 0x100000ULL
#define PC_PCI_IO_BASE 0x1000
#define PC_PCI_IO_SIZE 0x1000

struct pc {
	struct pc_config cfg;
	struct vm *vm;
	struct evloop *loop;

	struct pic8259 *pic;
	struct ioapic *ioapic;
	struct lapic *lapic[VM_MAX_CPUS];
	struct pc_cpu {
		struct pc *pc;
		struct vcpu *vcpu;
	} cpu[VM_MAX_CPUS];
	struct irq_line isa_irq[PC_ISA_IRQS];

	struct pit8254 *pit;
	struct rtc_cmos *rtc;
	struct i8042 *kbc;
	struct uart16550 *com1;
	struct acpi_pm *pm;
	struct console_stdio *console;

	/* --- PCI and disks (virtio-blk engineer) --- */
	struct pci_host *pci;
	struct irq_line pci_intx[4];
	struct virtio_blk *blk[PC_MAX_DISKS];
	struct virtio_pci *blk_pci[PC_MAX_DISKS];
	/* --- end PCI and disks --- */
	/* --- network, console ports, rng (net/console/rng engineer) --- */
	struct virtio_net *nic[PC_MAX_NICS];
	struct virtio_pci *nic_pci[PC_MAX_NICS];
	struct virtio_console *vcon;
	struct virtio_pci *vcon_pci;
	struct virtio_rng *rng;
	struct virtio_pci *rng_pci;
	/* --- end network, console ports, rng --- */
};

/* ---- interrupt wiring ---- */

/* The IOAPIC takes the first ID after the CPUs'; the register field is 4 bits wide. */
static u8 pc_ioapic_id(unsigned ncpus)
{
	return (u8)(ncpus < 15 ? ncpus : 15);
}

/* An ISA line goes to the 8259 and to the IOAPIC (IRQ0 → GSI2, per the MADT override). */
static void isa_irq_set(void *opaque, unsigned irq, int level)
{
	struct pc *pc = opaque;

	pic8259_set_irq(pc->pic, irq, level);
	ioapic_set_irq(pc->ioapic, irq == 0 ? 2 : irq, level);
}

/* The 8259's INTR pin is wired to LINT0 of the boot CPU's local APIC (virtual wire). */
static void pic_intr_set(void *opaque, unsigned pin, int level)
{
	struct pc *pc = opaque;

	(void)pin;
	lapic_set_lint(pc->lapic[0], 0, level);
}

static void ioapic_deliver(void *opaque, u8 dest, bool logical, u8 mode, u8 vector, bool level)
{
	struct pc *pc = opaque;

	for (unsigned i = 0; i < pc->vm->ncpus; i++) {
		if (!lapic_match_dest(pc->lapic[i], dest, logical))
			continue;
		lapic_deliver(pc->lapic[i], mode, vector, level);
		/* Lowest priority: the first match is as good as any with one vCPU. */
		if (mode == LAPIC_DM_LOWEST)
			break;
	}
}

/* Local APIC callbacks: opaque is the vCPU's struct pc_cpu. */
static void lapic_notify(void *opaque)
{
	struct pc_cpu *c = opaque;

	vcpu_kick(c->vcpu);
}

static void lapic_eoi(void *opaque, u8 vector)
{
	struct pc_cpu *c = opaque;

	ioapic_eoi(c->pc->ioapic, vector);
}

static int lapic_pic_ack(void *opaque)
{
	struct pc_cpu *c = opaque;

	return pic8259_ack(c->pc->pic);
}

static void lapic_send_ipi(void *opaque, const struct lapic_ipi *ipi)
{
	struct pc_cpu *c = opaque;
	struct pc *pc = c->pc;

	for (unsigned i = 0; i < pc->vm->ncpus; i++)
		if (lapic_ipi_match(pc->lapic[i], ipi))
			lapic_deliver(pc->lapic[i], ipi->delivery_mode, ipi->vector, ipi->level_trig);
}

/*
 * With the engine's in-kernel irqchip, an ISA line drives the engine's GSI:
 * the same ACPI numbering the MADT gives the guest (IRQ0 → GSI2).
 */
static void isa_irq_set_engine(void *opaque, unsigned irq, int level)
{
	struct pc *pc = opaque;

	pc->vm->accel->set_irq(pc->vm, irq == 0 ? 2 : irq, level);
}

static void wire_engine_irqchip(struct pc *pc)
{
	for (unsigned i = 0; i < PC_ISA_IRQS; i++)
		irq_line_init(&pc->isa_irq[i], isa_irq_set_engine, pc, i);
}

static int build_irqchips(struct pc *pc)
{
	struct vm *vm = pc->vm;
	int ret;

	ret = pic8259_create(&pc->pic, &(struct pic8259_config){
		.intr = { .set = pic_intr_set, .opaque = pc },
	});
	if (ret)
		return ret;
	ret = pic8259_attach(pc->pic, vm->pio);
	if (ret)
		return ret;
	ret = ioapic_create(&pc->ioapic, &(struct ioapic_config){
		.id = pc_ioapic_id(vm->ncpus), .opaque = pc, .deliver = ioapic_deliver,
	});
	if (ret)
		return ret;
	ret = as_register(vm->mmio, IOAPIC_DEFAULT_BASE, 0x1000, &ioapic_mmio_ops, pc->ioapic);
	if (ret)
		return ret;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpu[i];

		pc->cpu[i] = (struct pc_cpu){ .pc = pc, .vcpu = v };
		ret = lapic_create(&pc->lapic[i], &(struct lapic_config){
			.apic_id = i,
			.bsp = i == 0,
			.timers = vm->timers,
			.opaque = &pc->cpu[i],
			.notify = lapic_notify,
			.eoi_broadcast = lapic_eoi,
			.send_ipi = lapic_send_ipi,
			.pic_ack = lapic_pic_ack,
		});
		if (ret)
			return ret;
		v->intc = (struct vcpu_intc){
			.ack = lapic_ack,
			.mmio_ops = &lapic_mmio_ops,
			.opaque = pc->lapic[i],
			.get_base = lapic_get_base,
			.set_base = lapic_set_base,
		};
	}
	/* Until the guest programs the APIC, the PIC reaches the CPU through LINT0. */
	lapic_setup_virtual_wire(pc->lapic[0]);
	for (unsigned i = 0; i < PC_ISA_IRQS; i++)
		irq_line_init(&pc->isa_irq[i], isa_irq_set, pc, i);
	return 0;
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

static int build_legacy(struct pc *pc)
{
	struct vm *vm = pc->vm;
	int ret;

	/* An engine with an in-kernel irqchip has its own PIT (ports 0x40-0x43, 0x61). */
	if (!vm->accel->irqchip_in_kernel) {
		ret = pit8254_create(&pc->pit, &(struct pit8254_config){
			.irq0 = pc->isa_irq[0], .timers = vm->timers,
		});
		if (ret)
			return ret;
		ret = pit8254_attach(pc->pit, vm->pio);
		if (ret)
			return ret;
	}
	ret = rtc_cmos_create(&pc->rtc, &(struct rtc_cmos_config){
		.irq = pc->isa_irq[PC_RTC_IRQ], .timers = vm->timers,
		.ram_below_4g = vm->ram.region[0].size,
		.ram_above_4g = vm->ram.total - vm->ram.region[0].size,
	});
	if (ret)
		return ret;
	ret = rtc_cmos_attach(pc->rtc, vm->pio);
	if (ret)
		return ret;
	ret = i8042_create(&pc->kbc, &(struct i8042_config){
		.irq1 = pc->isa_irq[PC_KBD_IRQ], .irq12 = pc->isa_irq[PC_MOUSE_IRQ],
		.reset = on_reset, .opaque = pc,
	});
	if (ret)
		return ret;
	ret = i8042_attach(pc->kbc, vm->pio);
	if (ret)
		return ret;
	ret = uart16550_create(&pc->com1, &(struct uart16550_config){
		.irq = pc->isa_irq[PC_COM1_IRQ], .timers = vm->timers,
		.tx = com1_tx, .rx_ready = com1_rx_ready, .opaque = pc,
	});
	if (ret)
		return ret;
	ret = uart16550_attach(pc->com1, vm->pio, UART16550_COM1_BASE);
	if (ret)
		return ret;
	return as_register(vm->pio, 0x80, 1, &port80_ops, pc);
}

/* ---- PCI: host bridge, INTx and MSI wiring, virtio-blk disks ---- */

/* A PCI INTx input: IOAPIC pin, or the engine's GSI with an in-kernel irqchip. */
static void pci_gsi_set(void *opaque, unsigned gsi, int level)
{
	struct pc *pc = opaque;

	if (pc->vm->accel->irqchip_in_kernel)
		pc->vm->accel->set_irq(pc->vm, gsi, level);
	else
		ioapic_set_irq(pc->ioapic, gsi, level);
}

/*
 * An MSI (Intel SDM vol. 3 10.11): address 0xFEE[dest]xxx with bit 2 the
 * destination mode; data holds the vector, delivery mode and trigger mode.
 */
static void pc_msi(void *opaque, u64 addr, u32 data)
{
	struct pc *pc = opaque;

	if (pc->vm->accel->irqchip_in_kernel) {
		if (pc->vm->accel->signal_msi)
			pc->vm->accel->signal_msi(pc->vm, addr, data);
		else
			log_ratelimited(LOG_WARN, "the engine cannot deliver MSIs; interrupt lost");
		return;
	}
	ioapic_deliver(pc, (addr >> 12) & 0xff, addr & 4, (data >> 8) & 7, data & 0xff,
		       data & (1u << 15));
}

static int build_pci(struct pc *pc)
{
	struct vm *vm = pc->vm;

	for (unsigned i = 0; i < 4; i++)
		irq_line_init(&pc->pci_intx[i], pci_gsi_set, pc, PCI_HOST_GSI_BASE + i);
	return pci_host_create(&pc->pci, &(struct pci_host_config){
		.pio = vm->pio, .mmio = vm->mmio, .ecam_base = PC_PCI_ECAM_BASE,
		.mmio_base = PC_PCI_MMIO_BASE, .mmio_size = PC_PCI_MMIO_SIZE,
		.io_base = PC_PCI_IO_BASE, .io_size = PC_PCI_IO_SIZE,
		.intx = { pc->pci_intx[0], pc->pci_intx[1], pc->pci_intx[2], pc->pci_intx[3] },
		.msi = pc_msi, .opaque = pc,
	});
}

static int build_disks(struct pc *pc, char *err, size_t errlen)
{
	for (unsigned i = 0; i < pc->cfg.ndisks && i < PC_MAX_DISKS; i++) {
		const struct pc_disk *d = &pc->cfg.disks[i];
		enum block_format fmt = BLOCK_FMT_PROBE;
		struct block *img;
		int ret;

		if (d->format && block_format_parse(d->format, &fmt)) {
			snprintf(err, errlen, "--disk %s: unknown format '%s' (raw or qcow2)", d->path,
				 d->format);
			return -EINVAL;
		}
		ret = block_open(&img, d->path, fmt, d->readonly, err, errlen);
		if (ret)
			return ret;
		ret = virtio_blk_create(&pc->blk[i], pc->vm, img, i);
		if (ret) {
			block_close(img);
		} else {
			ret = virtio_pci_create(&pc->blk_pci[i], pc->pci, virtio_blk_dev(pc->blk[i]));
		}
		if (ret) {
			snprintf(err, errlen, "--disk %s: cannot attach the disk: %s", d->path,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* --- network, console ports, rng (net/console/rng engineer) --- */

/*
 * After the disks: one virtio-net per --net (MAC 52:54:00:12:34:56 + index
 * unless mac= says otherwise), the virtio-console if ports were asked for,
 * and the virtio-rng unless --no-rng.
 */
static int build_virtio_misc(struct pc *pc, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	int ret;

	for (unsigned i = 0; i < pc->cfg.nnets && i < PC_MAX_NICS; i++) {
		const struct net_config *nc = &pc->cfg.nets[i];
		u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, (u8)(0x56 + i) };
		struct net_backend *be;
		char why[384];

		if (nc->mac_set)
			memcpy(mac, nc->mac, 6);
		ret = net_backend_create(&be, nc, pc->loop, vm->timers, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "--net: %s", why);
			return ret;
		}
		ret = virtio_net_create(&pc->nic[i], vm, be, mac, i);
		if (ret)
			net_backend_destroy(be);
		else
			ret = virtio_pci_create(&pc->nic_pci[i], pc->pci, virtio_net_dev(pc->nic[i]));
		if (ret) {
			snprintf(err, errlen, "--net: cannot attach network card %u: %s", i,
				 strerror(-ret));
			return ret;
		}
	}
	if (pc->cfg.nconsole_ports) {
		ret = virtio_console_create(&pc->vcon, vm, pc->loop, pc->cfg.console_ports,
					    pc->cfg.nconsole_ports, err, errlen);
		if (ret)
			return ret;
		ret = virtio_pci_create(&pc->vcon_pci, pc->pci, virtio_console_dev(pc->vcon));
		if (ret) {
			snprintf(err, errlen, "--console-port: cannot attach the console device: %s",
				 strerror(-ret));
			return ret;
		}
	}
	if (!pc->cfg.no_rng) {
		ret = virtio_rng_create(&pc->rng, vm);
		if (ret == 0)
			ret = virtio_pci_create(&pc->rng_pci, pc->pci, virtio_rng_dev(pc->rng));
		if (ret) {
			snprintf(err, errlen, "cannot attach the virtio-rng device: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}
/* --- end network, console ports, rng --- */

static int build_acpi(struct pc *pc, u64 *rsdp)
{
	struct vm *vm = pc->vm;
	struct acpi_config acfg;
	int ret;

	ret = acpi_pm_create(&pc->pm, &(struct acpi_pm_config){
		.sci = pc->isa_irq[PC_SCI_IRQ], .timers = vm->timers, .opaque = pc,
		.poweroff = on_poweroff, .reset = on_reset,
	}, vm->pio);
	if (ret)
		return ret;
	acpi_config_init(&acfg, vm->ncpus);
	acfg.ioapic_id = pc_ioapic_id(vm->ncpus);
	acfg.sci_irq = PC_SCI_IRQ;
	acfg.com1 = true;
	acfg.pci = true;
	acfg.pci_ecam_base = PC_PCI_ECAM_BASE;
	acfg.pci_mmio_base = PC_PCI_MMIO_BASE;
	acfg.pci_mmio_size = PC_PCI_MMIO_SIZE;
	acfg.pci_gsi_base = PCI_HOST_GSI_BASE;
	return acpi_tables_build(&vm->ram, PC_ACPI_BASE, PC_ACPI_SIZE, &acfg, rsdp);
}

static int load_kernel(struct pc *pc, u64 rsdp, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	struct e820_map map;
	struct vcpu_regs regs;
	int ret;

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
		.acpi_rsdp = rsdp, .e820 = &map,
	}, &regs, err, errlen);
	if (ret)
		return ret;
	return vm->accel->vcpu_set_regs(vm->vcpu[0], &regs);
}

int pc_create(struct pc **out, const struct pc_config *cfg, char *err, size_t errlen)
{
	struct pc *pc = calloc(1, sizeof(*pc));
	u64 rsdp = 0;
	int ret;

	if (!pc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pc->cfg = *cfg;
	ret = vm_create(&pc->vm, cfg->ram_size, cfg->ncpus, cfg->accel);
	if (ret) {
		snprintf(err, errlen, "cannot create the VM with %llu MiB of RAM: %s",
			 (unsigned long long)(cfg->ram_size / MiB), strerror(-ret));
		goto err;
	}
	pc->vm->debug = cfg->debug;
	pc->vm->thread_enter = cfg->thread_enter;
	pc->vm->thread_opaque = cfg->thread_opaque;
	ret = evloop_create(&pc->loop, pc->vm);
	if (ret)
		goto err_host;
	pc->vm->loop = pc->loop;

	if (!cfg->accel->irqchip_in_kernel) {
		ret = build_irqchips(pc);
		if (ret)
			goto err_host;
	} else {
		wire_engine_irqchip(pc);
	}
	ret = build_legacy(pc);
	if (ret)
		goto err_host;
	ret = build_pci(pc);
	if (ret)
		goto err_host;
	ret = build_disks(pc, err, errlen);
	if (ret)
		goto err;
	ret = build_virtio_misc(pc, err, errlen);
	if (ret)
		goto err;
	ret = build_acpi(pc, &rsdp);
	if (ret)
		goto err_host;
	ret = console_stdio_create(&pc->console, pc->loop, &(struct console_stdio_config){
		.in_fd = cfg->console_in_fd, .out_fd = cfg->console_out_fd,
		.deliver = console_deliver, .quit = console_quit, .opaque = pc,
		.session = cfg->console_session,
	});
	if (ret)
		goto err_host;
	ret = load_kernel(pc, rsdp, err, errlen);
	if (ret)
		goto err;
	*out = pc;
	return 0;

err_host:
	snprintf(err, errlen, "cannot build the machine: %s", strerror(-ret));
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

struct vm *pc_vm(struct pc *pc)
{
	return pc->vm;
}

void pc_destroy(struct pc *pc)
{
	if (!pc)
		return;
	/* The bridge first: it unmaps the BARs of the devices still alive. */
	pci_host_destroy(pc->pci);
	for (unsigned i = 0; i < PC_MAX_DISKS; i++) {
		virtio_pci_destroy(pc->blk_pci[i]);
		virtio_blk_destroy(pc->blk[i]);
	}
	/* --- network, console ports, rng --- */
	for (unsigned i = 0; i < PC_MAX_NICS; i++) {
		virtio_pci_destroy(pc->nic_pci[i]);
		virtio_net_destroy(pc->nic[i]);
	}
	virtio_pci_destroy(pc->vcon_pci);
	virtio_console_destroy(pc->vcon);
	virtio_pci_destroy(pc->rng_pci);
	virtio_rng_destroy(pc->rng);
	/* --- end network, console ports, rng --- */
	console_stdio_destroy(pc->console);
	uart16550_destroy(pc->com1);
	i8042_destroy(pc->kbc);
	rtc_cmos_destroy(pc->rtc);
	pit8254_destroy(pc->pit);
	acpi_pm_destroy(pc->pm);
	for (unsigned i = 0; i < VM_MAX_CPUS; i++)
		lapic_destroy(pc->lapic[i]);
	ioapic_destroy(pc->ioapic);
	pic8259_destroy(pc->pic);
	if (pc->vm)
		pc->vm->loop = NULL;
	evloop_destroy(pc->loop);
	vm_destroy(pc->vm);
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

size_t pc_console_input(struct pc *pc, const u8 *buf, size_t len)
{
	return uart16550_receive(pc->com1, buf, len);
}
