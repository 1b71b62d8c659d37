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
struct vcpu_state;

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
	/*
	 * Optional: the A20 gate (i8042 output port, port 0x92) opened or
	 * closed. Called from the vCPU that wrote the port, or before any vCPU
	 * runs (a state load); only firmware and DOS-era code move it, while the
	 * other vCPUs still wait for their SIPI. NULL: the engine keeps A20 open
	 * (KVM has no A20 input).
	 */
	void (*vcpu_set_a20)(struct vcpu *vcpu, bool enabled);
	/*
	 * The whole vCPU in the engine-neutral form (include/hover/vcpu_state.h),
	 * for snapshots and migration. Only with the vCPU stopped: parked by a
	 * pause, or before its first run. set_state returns -EINVAL for a state
	 * this engine cannot hold (say, AVX enabled in XCR0 under emu), having
	 * changed as little as it could. Whether the local APIC is in the state
	 * (VCPU_STATE_LAPIC) is the engine's to say: an emu LAPIC is a device and
	 * saves itself with the devices.
	 */
	int (*vcpu_get_state)(struct vcpu *vcpu, struct vcpu_state *state);
	int (*vcpu_set_state)(struct vcpu *vcpu, const struct vcpu_state *state);
	/* Run until vm_stopped(); returns 0, or -errno on a host-side failure. When kicked
	 * with vm_pause_requested(), stop at an instruction boundary and call vcpu_park(). */
	int (*vcpu_run)(struct vcpu *vcpu);
	/* From any thread: make vcpu_run notice an interrupt or a stop request. */
	void (*vcpu_kick)(struct vcpu *vcpu);
	/* Only with irqchip_in_kernel: drive a GSI of the in-kernel IOAPIC/PIC. */
	int (*set_irq)(struct vm *vm, unsigned gsi, int level);
	/*
	 * Guest RAM [gpa, gpa+len) was written by something other than a vCPU
	 * (device DMA). Optional: an engine that caches decoded guest code
	 * drops what those bytes invalidate. Devices call vm_ram_written().
	 */
	void (*ram_written)(struct vm *vm, u64 gpa, u64 len);
	/*
	 * Only with irqchip_in_kernel: deliver a message-signalled interrupt
	 * (address 0xFEExxxxx, data as the device wrote them), e.g. with
	 * KVM_SIGNAL_MSI. Without an in-kernel irqchip the board delivers MSIs
	 * to its own local APICs.
	 */
	int (*signal_msi)(struct vm *vm, u64 addr, u32 data);
	/*
	 * Optional: the VM clock (vm->clock) was restarted or set; make the
	 * engine's own guest clock (kvmclock) read vm_clock_ns(vm) again, so it
	 * too skips the time the VM spent paused or in a snapshot. vm_resume()
	 * calls it before the vCPUs run again.
	 */
	int (*vm_clock_sync)(struct vm *vm);
	/*
	 * Dirty page logging (driven by vm_dirty_log_*, core/dirty_log.c, which
	 * also keeps the bitmap DMA marks). start: report every page vCPUs write
	 * from now on. sync: OR into bitmap the pages of RAM region `region`
	 * written since the last sync, clearing them, and make sure the next
	 * write to each page is seen again before returning (the vCPUs may be
	 * running). stop: no more reporting. Hot paths cost nothing while off.
	 */
	int (*dirty_log_start)(struct vm *vm);
	int (*dirty_log_sync)(struct vm *vm, unsigned region, u64 *bitmap);
	void (*dirty_log_stop)(struct vm *vm);
	/*
	 * Optional: RAM region `region` (a device's memory, ram_add_device) was
	 * added after vm_init; map it as guest memory. vm_ram_region_added()
	 * calls it. An engine that looks RAM up on demand (emu) needs nothing.
	 */
	int (*ram_region_added)(struct vm *vm, unsigned region);
};

/* NULL if no engine of that name is built in. */
const struct accel_ops *accel_find(const char *name);

/*
 * Resolve --accel: "auto" picks kvm if it probes usable, else emu. On failure
 * returns -errno with a sentence for the user in why.
 */
int accel_select(const char *name, const struct accel_ops **out, char *why, size_t len) HOVER_WUR;

#endif
