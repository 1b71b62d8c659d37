// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The in-kernel interrupt controllers and timer: KVM_CREATE_IRQCHIP gives
 * every vCPU a local APIC plus one IOAPIC and an 8259 pair; KVM_CREATE_PIT2
 * gives the 8254 at ports 0x40-0x43 and, with KVM_PIT_SPEAKER_DUMMY, port
 * 0x61 (channel 2 gate and output, which Linux polls to calibrate the TSC).
 * The board therefore builds none of hw/{lapic,ioapic,pic8259,pit8254}.
 *
 * GSI routing follows hover's MADT (machine/acpi_tables.c): ISA IRQ n is GSI
 * n, except that IRQ0 is wired to IOAPIC pin 2 (the Interrupt Source
 * Override, ACPI 6.4 section 5.2.12.5). KVM's in-kernel PIT always raises its
 * routing entry 0, so entry 0 carries the override — IOAPIC pin 2 and PIC
 * pin 0 — and entry 2 (the cascade) is left unrouted. set_irq() therefore
 * maps ACPI GSI 2 to routing entry 0.
 *
 * Device interrupts arrive as KVM_IRQ_LINE levels: a level-triggered source
 * (the SCI, PCI INTx) stays asserted until lowered; an edge source pulses.
 * Message-signalled interrupts (PCI MSI/MSI-X) go to the in-kernel local
 * APICs with KVM_SIGNAL_MSI.
 *
 * Reference: Documentation/virt/kvm/api.rst 4.24 KVM_CREATE_IRQCHIP,
 * 4.25 KVM_IRQ_LINE, 4.52 KVM_SET_GSI_ROUTING, 4.71 KVM_CREATE_PIT2,
 * 4.70 KVM_SIGNAL_MSI.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm_int.h"
#include "include/hover/log.h"

#define IOAPIC_PINS 24
#define ISA_IRQS 16

static void route_chip(struct kvm_irq_routing_entry *e, u32 gsi, u32 chip, u32 pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static int set_routing(struct kvma_vm *kv)
{
	struct kvm_irq_routing *r;
	unsigned n = 0;
	int ret = 0;

	r = calloc(1, sizeof(*r) + 2 * IOAPIC_PINS * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	for (u32 gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue; /* the slave PIC's cascade; IRQ0 owns IOAPIC pin 2 */
		if (gsi < ISA_IRQS)
			route_chip(&r->entries[n++], gsi,
				   gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				   gsi & 7);
		route_chip(&r->entries[n++], gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
	}
	r->nr = n;
	if (ioctl(kv->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		ret = -errno;
	free(r);
	return ret;
}

int accel_kvm_irq_init(struct kvma_vm *kv)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret;

	if (ioctl(kv->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		ret = -errno;
		log_error("kvm: KVM_CREATE_IRQCHIP failed: %s", strerror(-ret));
		return ret;
	}
	ret = set_routing(kv);
	if (ret) {
		log_error("kvm: KVM_SET_GSI_ROUTING failed: %s", strerror(-ret));
		return ret;
	}
	if (ioctl(kv->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		ret = -errno;
		log_error("kvm: KVM_CREATE_PIT2 failed: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

int accel_kvm_set_irq(struct vm *vm, unsigned gsi, int level)
{
	struct kvma_vm *kv = kvma_vm_of(vm);
	struct kvm_irq_level l = { .irq = gsi == 2 ? 0 : gsi, .level = level ? 1 : 0 };

	if (gsi >= IOAPIC_PINS)
		return -EINVAL;
	if (ioctl(kv->vm_fd, KVM_IRQ_LINE, &l) < 0)
		return -errno;
	return 0;
}

int accel_kvm_signal_msi(struct vm *vm, u64 addr, u32 data)
{
	struct kvma_vm *kv = kvma_vm_of(vm);
	struct kvm_msi msi = {
		.address_lo = (u32)addr, .address_hi = (u32)(addr >> 32), .data = data,
	};

	/* 0: the guest had the interrupt masked or no APIC matched; not our error. */
	if (ioctl(kv->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		return -errno;
	return 0;
}
