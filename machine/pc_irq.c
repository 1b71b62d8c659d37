// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PC's interrupt fabric. With hover's own controllers: a pair of 8259s
 * (Intel 8259A datasheet) on the boot CPU's LINT0 (virtual wire), an IOAPIC
 * (82093AA) and a local APIC per vCPU (Intel SDM vol. 3A chapter 10); each
 * ISA line drives both the PIC and the IOAPIC, ISA IRQ0 landing on GSI2 as
 * the MADT's interrupt source override says (ACPI 6.x 5.2.12.5); PCI INTx
 * goes to IOAPIC GSIs 16-19 and MSIs (SDM 10.11) to the local APICs. With
 * an engine's in-kernel irqchip, the same ISA and GSI numbers go to the
 * engine's set_irq() and MSIs to its signal_msi().
 *
 * pc_create() picks one of the two fabrics below once, from the engine's
 * irqchip_in_kernel capability.
 */
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "hw/pic8259.h"
#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "machine/pc_int.h"

/* The IOAPIC takes the first ID after the CPUs'; the register field is 4 bits wide. */
u8 pc_ioapic_id(unsigned ncpus)
{
	return (u8)(ncpus < 15 ? ncpus : 15);
}

/* ---- hover's controllers ---- */

/* An ISA line goes to the 8259 and to the IOAPIC (IRQ0 → GSI2, per the MADT override). */
static void isa_irq_set(void *opaque, unsigned irq, int level)
{
	struct pc *pc = opaque;

	pic8259_set_irq(pc->pic, irq, level);
	ioapic_set_irq(pc->ioapic, irq == 0 ? 2 : irq, level);
}

static void ioapic_gsi_set(void *opaque, unsigned gsi, int level)
{
	struct pc *pc = opaque;

	ioapic_set_irq(pc->ioapic, gsi, level);
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

/*
 * An MSI (Intel SDM vol. 3 10.11): address 0xFEE[dest]xxx with bit 2 the
 * destination mode; data holds the vector, delivery mode and trigger mode.
 */
static void lapic_msi(void *opaque, u64 addr, u32 data)
{
	ioapic_deliver(opaque, (addr >> 12) & 0xff, addr & 4, (data >> 8) & 7, data & 0xff,
		       data & (1u << 15));
}

const struct pc_irq_fabric pc_fabric_hover = {
	.hover_irqchip = true, .isa_set = isa_irq_set, .gsi_set = ioapic_gsi_set,
	.msi = lapic_msi,
};

/* ---- the engine's in-kernel irqchip: the same ACPI numbering (IRQ0 → GSI2) ---- */

static void engine_isa_set(void *opaque, unsigned irq, int level)
{
	struct pc *pc = opaque;

	pc->vm->accel->set_irq(pc->vm, irq == 0 ? 2 : irq, level);
}

static void engine_gsi_set(void *opaque, unsigned gsi, int level)
{
	struct pc *pc = opaque;

	pc->vm->accel->set_irq(pc->vm, gsi, level);
}

static void engine_msi(void *opaque, u64 addr, u32 data)
{
	struct pc *pc = opaque;

	if (pc->vm->accel->signal_msi)
		pc->vm->accel->signal_msi(pc->vm, addr, data);
	else
		log_ratelimited(LOG_WARN, "the engine cannot deliver MSIs; interrupt lost");
}

const struct pc_irq_fabric pc_fabric_engine = {
	.hover_irqchip = false, .isa_set = engine_isa_set, .gsi_set = engine_gsi_set,
	.msi = engine_msi,
};

/* ---- building hover's controllers ---- */

/* The 8259's INTR pin is wired to LINT0 of the boot CPU's local APIC (virtual wire). */
static void pic_intr_set(void *opaque, unsigned pin, int level)
{
	struct pc *pc = opaque;

	(void)pin;
	lapic_set_lint(pc->lapic[0], 0, level);
}

static void destroy_pic(void *dev) { pic8259_destroy(dev); }
static void destroy_ioapic(void *dev) { ioapic_destroy(dev); }
static void destroy_lapic(void *dev) { lapic_destroy(dev); }

int pc_build_pic(struct pc *pc, char *err, size_t errlen)
{
	int ret = pic8259_create(&pc->pic, &(struct pic8259_config){
		.intr = { .set = pic_intr_set, .opaque = pc },
	});

	if (ret == 0)
		ret = pc_add(pc, &pic8259_state_ops, pc->pic, destroy_pic);
	return ret ? ret : pic8259_attach(pc->pic, pc->vm->pio);
}

int pc_build_ioapic(struct pc *pc, char *err, size_t errlen)
{
	int ret = ioapic_create(&pc->ioapic, &(struct ioapic_config){
		.id = pc_ioapic_id(pc->vm->ncpus), .opaque = pc, .deliver = ioapic_deliver,
	});

	if (ret == 0)
		ret = pc_add(pc, &ioapic_state_ops, pc->ioapic, destroy_ioapic);
	return ret ? ret : as_register(pc->vm->mmio, IOAPIC_DEFAULT_BASE, 0x1000, &ioapic_mmio_ops,
				       pc->ioapic);
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

int pc_build_lapics(struct pc *pc, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	int ret;

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
		if (ret == 0)
			ret = pc_add(pc, &lapic_state_ops, pc->lapic[i], destroy_lapic);
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
	return 0;
}

/* Every engine: the 16 ISA lines the legacy devices drive, into the fabric. */
int pc_build_isa_lines(struct pc *pc, char *err, size_t errlen)
{
	for (unsigned i = 0; i < PC_ISA_IRQS; i++)
		irq_line_init(&pc->isa_irq[i], pc->fabric->isa_set, pc, i);
	return 0;
}
