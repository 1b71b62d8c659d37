/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The accelerator interface: one machine model, interchangeable CPU engines
 * (emu: hover's own x86-64 CPU; kvm: Linux KVM). Machine and boot code only
 * ever call through this table and never ask which engine runs.
 */
#ifndef HOVER_INCLUDE_ACCEL_H
#define HOVER_INCLUDE_ACCEL_H

#include <stddef.h>

#include "include/hover/regs.h"
#include "include/hover/types.h"

struct vm;
struct vcpu;

struct accel_ops {
	const char *name;
	/* 0 if the engine can run on this host; else -errno and a reason in why. */
	int (*probe)(char *why, size_t len);
	/* True if the engine brings its own LAPIC/IOAPIC/PIC/PIT (KVM's in-kernel irqchip). */
	bool irqchip_in_kernel;

	int (*vm_init)(struct vm *vm);
	void (*vm_destroy)(struct vm *vm);
	int (*vcpu_init)(struct vcpu *vcpu);
	void (*vcpu_destroy)(struct vcpu *vcpu);
	int (*vcpu_set_regs)(struct vcpu *vcpu, const struct vcpu_regs *regs);
	int (*vcpu_get_regs)(struct vcpu *vcpu, struct vcpu_regs *regs);
	/* Run until vm_stopped(); returns 0, or -errno on a host-side failure. */
	int (*vcpu_run)(struct vcpu *vcpu);
	/* From any thread: make vcpu_run notice an interrupt or a stop request. */
	void (*vcpu_kick)(struct vcpu *vcpu);
	/* Only with irqchip_in_kernel: drive a GSI of the in-kernel IOAPIC/PIC. */
	int (*set_irq)(struct vm *vm, unsigned gsi, int level);
};

/* NULL if no engine of that name is built in. */
const struct accel_ops *accel_find(const char *name);

/*
 * Resolve --accel: "auto" picks kvm if it probes usable, else emu. On failure
 * returns -errno with a sentence for the user in why.
 */
int accel_select(const char *name, const struct accel_ops **out, char *why, size_t len) HOVER_WUR;

#endif
