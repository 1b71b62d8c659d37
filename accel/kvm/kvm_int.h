/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kvm engine's private state, shared by its files only (kvm.c: probe and
 * VM; irq.c: in-kernel irqchip, PIT and GSI routing; cpuid.c: the CPUID the
 * guest sees; vcpu.c: vCPU setup and the run loop; exit_stats.c: exits
 * counted for --debug; state.c: the whole vCPU as struct vcpu_state and the
 * guest clocks across a pause; dirty.c: dirty page logging). Nothing outside accel/kvm includes this: the engine
 * exports only accel_kvm_ops.
 *
 * Reference: Documentation/virt/kvm/api.rst (KVM API version 12).
 */
#ifndef HOVER_ACCEL_KVM_KVM_INT_H
#define HOVER_ACCEL_KVM_KVM_INT_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>

#include "include/hover/regs.h"
#include "include/hover/types.h"
#include "include/hover/vm.h"

/* Where KVM may put the pages VMX needs for real-mode emulation (unused on
 * AMD): just below the 4 GiB BIOS area, above the IOAPIC and local APIC. */
#define KVMA_IDENTITY_MAP_ADDR 0xfffbc000ULL
#define KVMA_TSS_ADDR 0xfffbd000ULL

struct kvma_vm {
	int sys_fd;                    /* /dev/kvm */
	int vm_fd;
	int run_size;                  /* KVM_GET_VCPU_MMAP_SIZE */
	struct kvm_cpuid2 *supported;  /* KVM_GET_SUPPORTED_CPUID, filtered per vCPU */
	bool tsc_deadline;             /* KVM_CAP_TSC_DEADLINE_TIMER */
	/* state.c: what KVM can save of a vCPU */
	bool has_xsave, has_xcrs;      /* KVM_CAP_XSAVE, KVM_CAP_XCRS (else KVM_GET_FPU, XCR0 = x87) */
	u32 state_msrs[64];            /* MSRs carried in vcpu_state, ascending (KVM_GET_MSR_INDEX_LIST) */
	unsigned n_state_msrs;
};

struct kvma_vcpu {
	struct vcpu *vcpu;
	int fd;
	struct kvm_run *run;
	bool configured;               /* CPUID, MSRs, LAPIC LVTs set (before the first run) */
	struct kvma_exit_stats *stats; /* with --debug: exits counted (exit_stats.c) */

	/* Kicks: the vCPU thread, while it is inside vcpu_run. */
	pthread_mutex_t kick_lock;
	pthread_t thread;
	bool in_run;

	/* state.c: the TSC stands still while the vCPU is parked (a paused VM). */
	bool parked;
	u64 parked_tsc;
};

static inline struct kvma_vm *kvma_vm_of(struct vm *vm) { return vm->accel_data; }
static inline struct kvma_vcpu *kvma_vcpu_of(struct vcpu *v) { return v->accel_data; }

/* irq.c */
int accel_kvm_irq_init(struct kvma_vm *kv) HOVER_WUR;
int accel_kvm_set_irq(struct vm *vm, unsigned gsi, int level);
int accel_kvm_signal_msi(struct vm *vm, u64 addr, u32 data);

/* cpuid.c: the supported table filtered to hover's PC for vCPU index of ncpus. */
int accel_kvm_cpuid_get_supported(struct kvma_vm *kv) HOVER_WUR;
struct kvm_cpuid2 *accel_kvm_cpuid_for_vcpu(const struct kvma_vm *kv, unsigned index,
					    unsigned ncpus);

/* exit_stats.c */
struct kvma_exit_stats;
int accel_kvm_exit_stats_create(struct kvma_exit_stats **out) HOVER_WUR;
void accel_kvm_exit_stats_destroy(struct kvma_exit_stats *s);
void accel_kvm_exit_stats_count(struct kvma_exit_stats *s, const struct kvm_run *run);
void accel_kvm_exit_stats_report(const struct kvma_exit_stats *s, unsigned index,
				 const char *(*name)(u32 reason));

/* dirty.c: slot i = RAM region i (flags: KVM_MEM_*) */
int accel_kvm_map_slot(struct kvma_vm *kv, const struct guest_ram *ram, unsigned i, u32 flags);
int accel_kvm_dirty_log_start(struct vm *vm);
int accel_kvm_dirty_log_sync(struct vm *vm, unsigned region, u64 *bitmap);
void accel_kvm_dirty_log_stop(struct vm *vm);

/* state.c */
struct vcpu_state;
int accel_kvm_state_init(struct kvma_vm *kv) HOVER_WUR;
int accel_kvm_vcpu_get_state(struct vcpu *vcpu, struct vcpu_state *s);
int accel_kvm_vcpu_set_state(struct vcpu *vcpu, const struct vcpu_state *s);
/* vcpu_park() for a kvm vCPU thread: the guest TSC does not advance while parked. */
void accel_kvm_vcpu_park(struct vcpu *vcpu);
/* accel_ops.vm_clock_sync: kvmclock := the VM clock. */
int accel_kvm_clock_sync(struct vm *vm);

/* vcpu.c */
int accel_kvm_vcpu_init(struct vcpu *vcpu);
void accel_kvm_vcpu_destroy(struct vcpu *vcpu);
int accel_kvm_vcpu_set_regs(struct vcpu *vcpu, const struct vcpu_regs *regs);
int accel_kvm_vcpu_get_regs(struct vcpu *vcpu, struct vcpu_regs *regs);
int accel_kvm_vcpu_run(struct vcpu *vcpu);
void accel_kvm_vcpu_kick(struct vcpu *vcpu);

#endif
