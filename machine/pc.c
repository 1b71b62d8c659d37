// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PC board. pc_create() builds the machine in a visible order:
 *
 *   1. the VM (RAM, address spaces, timers, the engine's vCPUs)
 *   2. interrupt controllers: 8259 pair, IOAPIC, one local APIC per vCPU,
 *      and the ISA IRQ fan-out (each ISA line drives both the PIC and the
 *      IOAPIC; ISA IRQ0 lands on GSI2, as the MADT's override says)
 *   3. legacy devices: PIT, CMOS RTC, i8042, COM1, port 0x80
 *   4. ACPI: PM fixed hardware (power-off, reset, PM timer, SCI on IRQ9) and
 *      the tables in the BIOS area
 *   5. the Linux kernel, loaded per the boot protocol; vCPU 0 starts at its
 *      64-bit entry
 *
 * With an engine that brings its own irqchip (KVM) step 2 is the engine's;
 * the board only asks the accel_ops capability, never the engine's name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#include "machine/acpi_tables.h"
#include "machine/boot_linux.h"
#include "machine/e820.h"
#include "machine/pc.h"

#define PC_ISA_IRQS 16
#define PC_COM1_IRQ 4
#define PC_SCI_IRQ 9
#define PC_RTC_IRQ 8
#define PC_KBD_IRQ 1
#define PC_MOUSE_IRQ 12
#define PC_ACPI_BASE 0xE0000ULL /* ACPI tables: the BIOS area, where a legacy RSDP scan looks */
#define PC_ACPI_SIZE 0x20000ULL

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

	ret = pit8254_create(&pc->pit, &(struct pit8254_config){
		.irq0 = pc->isa_irq[0], .timers = vm->timers,
	});
	if (ret)
		return ret;
	ret = pit8254_attach(pc->pit, vm->pio);
	if (ret)
		return ret;
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
	ret = evloop_create(&pc->loop, pc->vm);
	if (ret)
		goto err_host;
	pc->vm->loop = pc->loop;

	if (!cfg->accel->irqchip_in_kernel) {
		ret = build_irqchips(pc);
		if (ret)
			goto err_host;
	}
	ret = build_legacy(pc);
	if (ret)
		goto err_host;
	ret = build_acpi(pc, &rsdp);
	if (ret)
		goto err_host;
	ret = console_stdio_create(&pc->console, pc->loop, &(struct console_stdio_config){
		.in_fd = cfg->console_in_fd, .out_fd = cfg->console_out_fd,
		.deliver = console_deliver, .quit = console_quit, .opaque = pc,
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
	int ret = v->vm->accel->vcpu_run(v);

	if (ret)
		vm_request_stop(v->vm, VM_ERROR, "vcpu%u: %s", v->index, strerror(-ret));
	return NULL;
}

enum vm_stop pc_run(struct pc *pc)
{
	struct vm *vm = pc->vm;
	unsigned started = 0;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (pthread_create(&vm->vcpu[i]->thread, NULL, vcpu_thread, vm->vcpu[i])) {
			vm_request_stop(vm, VM_ERROR, "cannot start a thread for vcpu%u", i);
			break;
		}
		started++;
	}
	if (started == vm->ncpus)
		evloop_run(pc->loop);
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
