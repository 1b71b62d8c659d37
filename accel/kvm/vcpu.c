// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kvm vCPUs: creation, the one-time setup before the first KVM_RUN (CPUID,
 * MSRs, local APIC LVTs, FPU), engine-neutral registers to and from
 * kvm_regs/kvm_sregs, and the run loop.
 *
 * The run loop. Each vCPU thread sits in KVM_RUN; the kernel runs the guest
 * and handles HLT, the local APIC, IOAPIC, PIC and PIT itself. What comes
 * back to hover is port I/O and MMIO for hover's devices (dispatched into
 * the VM's address spaces under vm->lock, as the emu engine does), and the
 * ends of a run: a triple fault (SHUTDOWN), a system event, or a failure
 * (INTERNAL_ERROR, FAIL_ENTRY), each reported with its decoded reason and
 * the registers.
 *
 * Kicks. vcpu_kick() sends KICK_SIG to the vCPU thread. Its handler sets
 * kvm_run.immediate_exit, so the kick is never lost: inside KVM_RUN the
 * signal makes it return EINTR; outside, the next KVM_RUN returns EINTR at
 * once. The loop clears immediate_exit before it looks at the stop flag
 * again, so a kick racing with that check still ends the next KVM_RUN.
 *
 * Reference: Documentation/virt/kvm/api.rst 4.10 KVM_RUN, 5 "The kvm_run
 * structure", 4.11-4.14 KVM_{GET,SET}_{REGS,SREGS}, 4.18-4.19 MSRs,
 * 4.57-4.58 KVM_{GET,SET}_LAPIC, 4.120 KVM_SET_CPUID2.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/kvm_int.h"
#include "include/hover/log.h"
#include "include/hover/timer.h"
#include "include/hover/vm.h"

#define KICK_SIG (SIGRTMIN + 1)

/* MSRs set before the first run (Intel SDM vol. 4, table 2-2). */
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_MISC_ENABLE_FAST_STRING 1ULL
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_DEF_TYPE_E (1ULL << 11)
#define MTRR_TYPE_WB 6ULL
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

/* Local APIC registers and LVT delivery modes (Intel SDM vol. 3A, 11.4-11.5). */
#define APIC_SVR 0xf0
#define APIC_SVR_ENABLE 0x100
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_MASKED (1u << 16)
#define APIC_DM_NMI 0x400
#define APIC_DM_EXTINT 0x700

#define RFLAGS_IF (1ULL << 9)
#define RFLAGS_FIXED (1ULL << 1)

/* The vCPU's kvm_run, for the kick handler (only ever this thread's own). */
static __thread struct kvm_run *volatile kick_run;

static void kick_handler(int sig)
{
	struct kvm_run *run = kick_run;

	(void)sig;
	if (run)
		run->immediate_exit = 1;
}

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;
static int kick_install_err;

/* The handler is process-wide by nature (signal dispositions are). */
static void kick_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIG, &sa, NULL) < 0)
		kick_install_err = -errno;
}

int accel_kvm_vcpu_init(struct vcpu *vcpu)
{
	struct kvma_vm *kv = kvma_vm_of(vcpu->vm);
	struct kvma_vcpu *kc = calloc(1, sizeof(*kc));
	int ret;

	if (!kc)
		return -ENOMEM;
	kc->vcpu = vcpu;
	kc->fd = ioctl(kv->vm_fd, KVM_CREATE_VCPU, (unsigned long)vcpu->index);
	if (kc->fd < 0) {
		ret = -errno;
		log_error("kvm: cannot create vcpu%u: %s", vcpu->index, strerror(-ret));
		goto err_free;
	}
	kc->run = mmap(NULL, (size_t)kv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kc->fd, 0);
	if (kc->run == MAP_FAILED) {
		ret = -errno;
		goto err_fd;
	}
	pthread_mutex_init(&kc->kick_lock, NULL);
	vcpu->accel_data = kc;
	return 0;

err_fd:
	close(kc->fd);
err_free:
	free(kc);
	return ret;
}

void accel_kvm_vcpu_destroy(struct vcpu *vcpu)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);

	if (!kc)
		return;
	accel_kvm_exit_stats_destroy(kc->stats);
	munmap(kc->run, (size_t)kvma_vm_of(vcpu->vm)->run_size);
	close(kc->fd);
	pthread_mutex_destroy(&kc->kick_lock);
	free(kc);
	vcpu->accel_data = NULL;
}

/* ---- one-time setup, once the VM's vCPU count is final ---- */

static int set_cpuid(struct kvma_vcpu *kc)
{
	struct vm *vm = kc->vcpu->vm;
	struct kvm_cpuid2 *c = accel_kvm_cpuid_for_vcpu(kvma_vm_of(vm), kc->vcpu->index, vm->ncpus);
	int ret = 0;

	if (!c)
		return -ENOMEM;
	if (ioctl(kc->fd, KVM_SET_CPUID2, c) < 0) {
		ret = -errno;
		log_error("kvm: vcpu%u: KVM_SET_CPUID2 failed: %s", kc->vcpu->index, strerror(-ret));
	}
	free(c);
	return ret;
}

static int set_msrs(struct kvma_vcpu *kc)
{
	static const struct { u32 index; u64 data; } init[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_LSTAR, 0 }, { MSR_CSTAR, 0 },
		{ MSR_SYSCALL_MASK, 0 }, { MSR_KERNEL_GS_BASE, 0 },
		{ MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE_FAST_STRING },
		/* MTRRs on, all RAM write-back: what firmware leaves behind on a PC. */
		{ MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | MTRR_TYPE_WB },
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(init)];
	} m;
	int n;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = ARRAY_SIZE(init);
	for (size_t i = 0; i < ARRAY_SIZE(init); i++) {
		m.e[i].index = init[i].index;
		m.e[i].data = init[i].data;
	}
	n = ioctl(kc->fd, KVM_SET_MSRS, &m);
	if (n < 0)
		return -errno;
	/* KVM stops at the first MSR it refuses; the guest copes without the rest. */
	if (n < (int)ARRAY_SIZE(init))
		log_warn("kvm: vcpu%u: KVM refused MSR %#x", kc->vcpu->index, init[n].index);
	return 0;
}

static u32 lapic_reg(const struct kvm_lapic_state *s, unsigned off)
{
	u32 v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void lapic_set_reg(struct kvm_lapic_state *s, unsigned off, u32 v)
{
	memcpy(s->regs + off, &v, 4);
}

/*
 * LINT0 takes the 8259's INTR as ExtINT and LINT1 takes NMI, as a PC's
 * firmware leaves them (the MP spec's virtual-wire mode); on the boot CPU the
 * APIC is enabled with LINT0 open, as the emu engine's lapic does, so the PIC
 * reaches the CPU until the guest switches to the IOAPIC.
 */
static int set_lapic(struct kvma_vcpu *kc)
{
	struct kvm_lapic_state s;
	bool bsp = kc->vcpu->index == 0;

	if (ioctl(kc->fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	if (bsp) {
		lapic_set_reg(&s, APIC_SVR, lapic_reg(&s, APIC_SVR) | APIC_SVR_ENABLE | 0xff);
		lapic_set_reg(&s, APIC_LVT_LINT0, APIC_DM_EXTINT);
	} else {
		lapic_set_reg(&s, APIC_LVT_LINT0, APIC_DM_EXTINT | APIC_LVT_MASKED);
	}
	lapic_set_reg(&s, APIC_LVT_LINT1, APIC_DM_NMI);
	if (ioctl(kc->fd, KVM_SET_LAPIC, &s) < 0)
		return -errno;
	return 0;
}

static int set_fpu(struct kvma_vcpu *kc)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;     /* FNINIT state */
	fpu.mxcsr = 0x1f80;  /* all SIMD exceptions masked */
	return ioctl(kc->fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

/* CPUID first: KVM checks EFER and CR4 against it. */
static int configure(struct kvma_vcpu *kc)
{
	int ret;

	if (kc->configured)
		return 0;
	ret = set_cpuid(kc);
	if (ret == 0)
		ret = set_msrs(kc);
	if (ret == 0)
		ret = set_lapic(kc);
	if (ret == 0)
		ret = set_fpu(kc);
	if (ret == 0)
		kc->configured = true;
	return ret;
}

/* ---- registers ---- */

static void seg_to_kvm(const struct seg_reg *s, struct kvm_segment *k)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->sel;
	k->type = SEG_ATTR_TYPE(s->attr);
	k->s = !!(s->attr & SEG_ATTR_S);
	k->dpl = SEG_ATTR_DPL(s->attr);
	k->present = !!(s->attr & SEG_ATTR_P);
	k->avl = !!(s->attr & SEG_ATTR_AVL);
	k->l = !!(s->attr & SEG_ATTR_L);
	k->db = !!(s->attr & SEG_ATTR_DB);
	k->g = !!(s->attr & SEG_ATTR_G);
	k->unusable = !k->present;
}

static void seg_from_kvm(const struct kvm_segment *k, struct seg_reg *s)
{
	s->base = k->base;
	s->limit = k->limit;
	s->sel = k->selector;
	s->attr = (u16)((k->type & 0xf) | (k->s ? SEG_ATTR_S : 0) | ((k->dpl & 3) << 5) |
			(k->present && !k->unusable ? SEG_ATTR_P : 0) | (k->avl ? SEG_ATTR_AVL : 0) |
			(k->l ? SEG_ATTR_L : 0) | (k->db ? SEG_ATTR_DB : 0) |
			(k->g ? SEG_ATTR_G : 0));
}

static struct kvm_segment *sregs_seg(struct kvm_sregs *s, unsigned i)
{
	switch (i) {
	case SEG_ES: return &s->es;
	case SEG_CS: return &s->cs;
	case SEG_SS: return &s->ss;
	case SEG_DS: return &s->ds;
	case SEG_FS: return &s->fs;
	default: return &s->gs;
	}
}

int accel_kvm_vcpu_set_regs(struct vcpu *vcpu, const struct vcpu_regs *r)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);
	struct kvm_regs kr;
	struct kvm_sregs ks;
	int ret = configure(kc);

	if (ret)
		return ret;
	if (ioctl(kc->fd, KVM_GET_SREGS, &ks) < 0)
		return -errno;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		seg_to_kvm(&r->seg[i], sregs_seg(&ks, i));
	seg_to_kvm(&r->ldtr, &ks.ldt);
	seg_to_kvm(&r->tr, &ks.tr);
	ks.gdt = (struct kvm_dtable){ .base = r->gdtr.base, .limit = r->gdtr.limit };
	ks.idt = (struct kvm_dtable){ .base = r->idtr.base, .limit = r->idtr.limit };
	ks.cr0 = r->cr0;
	ks.cr2 = r->cr2;
	ks.cr3 = r->cr3;
	ks.cr4 = r->cr4;
	ks.cr8 = r->cr8;
	ks.efer = r->efer;
	if (ioctl(kc->fd, KVM_SET_SREGS, &ks) < 0) {
		ret = -errno;
		log_error("kvm: vcpu%u: KVM_SET_SREGS refused the boot state: %s", vcpu->index,
			  strerror(-ret));
		return ret;
	}
	kr = (struct kvm_regs){
		.rax = r->gpr[GPR_RAX], .rbx = r->gpr[GPR_RBX], .rcx = r->gpr[GPR_RCX],
		.rdx = r->gpr[GPR_RDX], .rsi = r->gpr[GPR_RSI], .rdi = r->gpr[GPR_RDI],
		.rsp = r->gpr[GPR_RSP], .rbp = r->gpr[GPR_RBP],
		.r8 = r->gpr[GPR_R8], .r9 = r->gpr[GPR_R9], .r10 = r->gpr[GPR_R10],
		.r11 = r->gpr[GPR_R11], .r12 = r->gpr[GPR_R12], .r13 = r->gpr[GPR_R13],
		.r14 = r->gpr[GPR_R14], .r15 = r->gpr[GPR_R15],
		.rip = r->rip, .rflags = r->rflags | RFLAGS_FIXED,
	};
	if (ioctl(kc->fd, KVM_SET_REGS, &kr) < 0)
		return -errno;
	return 0;
}

int accel_kvm_vcpu_get_regs(struct vcpu *vcpu, struct vcpu_regs *r)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);
	struct kvm_regs kr;
	struct kvm_sregs ks;

	if (ioctl(kc->fd, KVM_GET_REGS, &kr) < 0 || ioctl(kc->fd, KVM_GET_SREGS, &ks) < 0)
		return -errno;
	memset(r, 0, sizeof(*r));
	r->gpr[GPR_RAX] = kr.rax; r->gpr[GPR_RBX] = kr.rbx;
	r->gpr[GPR_RCX] = kr.rcx; r->gpr[GPR_RDX] = kr.rdx;
	r->gpr[GPR_RSI] = kr.rsi; r->gpr[GPR_RDI] = kr.rdi;
	r->gpr[GPR_RSP] = kr.rsp; r->gpr[GPR_RBP] = kr.rbp;
	r->gpr[GPR_R8] = kr.r8; r->gpr[GPR_R9] = kr.r9;
	r->gpr[GPR_R10] = kr.r10; r->gpr[GPR_R11] = kr.r11;
	r->gpr[GPR_R12] = kr.r12; r->gpr[GPR_R13] = kr.r13;
	r->gpr[GPR_R14] = kr.r14; r->gpr[GPR_R15] = kr.r15;
	r->rip = kr.rip;
	r->rflags = kr.rflags;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		seg_from_kvm(sregs_seg(&ks, i), &r->seg[i]);
	seg_from_kvm(&ks.ldt, &r->ldtr);
	seg_from_kvm(&ks.tr, &r->tr);
	r->gdtr = (struct dtable_reg){ .base = ks.gdt.base, .limit = ks.gdt.limit };
	r->idtr = (struct dtable_reg){ .base = ks.idt.base, .limit = ks.idt.limit };
	r->cr0 = ks.cr0;
	r->cr2 = ks.cr2;
	r->cr3 = ks.cr3;
	r->cr4 = ks.cr4;
	r->cr8 = ks.cr8;
	r->efer = ks.efer;
	return 0;
}

/* ---- exits ---- */

static const char *exit_name(u32 reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR", [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT", [KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
		[KVM_EXIT_HYPERV] = "HYPERV", [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR", [KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
		[KVM_EXIT_NOTIFY] = "NOTIFY",
	};

	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] : "?";
}

/* Record the registers (for the one-line report) and stop the VM. */
static void stop_with_regs(struct kvma_vcpu *kc, enum vm_stop why, const char *detail)
{
	struct vm *vm = kc->vcpu->vm;

	if (vm_stopped(vm) == VM_RUNNING &&
	    accel_kvm_vcpu_get_regs(kc->vcpu, &vm->stop_regs) == 0)
		vm->stop_regs_valid = true;
	vm_request_stop(vm, why, "vcpu%u%s%s", kc->vcpu->index, detail[0] ? ": " : "", detail);
}

static void exit_io(struct kvma_vcpu *kc)
{
	struct kvm_run *run = kc->run;
	struct vm *vm = kc->vcpu->vm;
	u8 *data = (u8 *)run + run->io.data_offset;
	unsigned size = run->io.size;
	u16 port = run->io.port;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	int unclaimed = 0;

	pthread_mutex_lock(&vm->lock);
	for (u32 i = 0; i < run->io.count; i++, data += size) {
		u64 v = 0;

		if (out) {
			memcpy(&v, data, size);
			unclaimed |= as_write(vm->pio, port, size, v);
		} else {
			unclaimed |= as_read(vm->pio, port, size, &v);
			memcpy(data, &v, size);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	if (unclaimed && vm->debug)
		log_ratelimited(LOG_DEBUG, "unclaimed port %s %#x (%u bytes)", out ? "write" : "read",
				port, size);
}

static void exit_mmio(struct kvma_vcpu *kc)
{
	struct kvm_run *run = kc->run;
	struct vm *vm = kc->vcpu->vm;
	unsigned len = run->mmio.len;
	u64 v = 0;
	int ret;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	pthread_mutex_lock(&vm->lock);
	if (run->mmio.is_write) {
		memcpy(&v, run->mmio.data, len);
		ret = as_write(vm->mmio, run->mmio.phys_addr, len, v);
	} else {
		ret = as_read(vm->mmio, run->mmio.phys_addr, len, &v);
		memcpy(run->mmio.data, &v, len);
	}
	pthread_mutex_unlock(&vm->lock);
	if (ret && vm->debug)
		log_ratelimited(LOG_DEBUG, "unclaimed MMIO %s at %#llx (%u bytes)",
				run->mmio.is_write ? "write" : "read",
				(unsigned long long)run->mmio.phys_addr, len);
}

static void exit_system_event(struct kvma_vcpu *kc)
{
	struct kvm_run *run = kc->run;

	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(kc->vcpu->vm, VM_POWEROFF, "vcpu%u: system event: shutdown",
				kc->vcpu->index);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(kc->vcpu->vm, VM_RESET, "vcpu%u: system event: reset",
				kc->vcpu->index);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		stop_with_regs(kc, VM_ERROR, "the guest reported a crash (KVM system event)");
		break;
	default: {
		char d[96];

		snprintf(d, sizeof(d), "unexpected KVM system event %u", run->system_event.type);
		stop_with_regs(kc, VM_ERROR, d);
		break;
	}
	}
}

static void exit_internal_error(struct kvma_vcpu *kc)
{
	struct kvm_run *run = kc->run;
	char d[384];
	int n;

	switch (run->internal.suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		n = snprintf(d, sizeof(d), "KVM internal error: KVM could not emulate an instruction");
		if (run->emulation_failure.ndata >= 3 &&
		    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
			unsigned len = run->emulation_failure.insn_size;

			n += snprintf(d + n, sizeof(d) - (size_t)n, " (bytes:");
			for (unsigned i = 0; i < len && i < 16 && (size_t)n < sizeof(d); i++)
				n += snprintf(d + n, sizeof(d) - (size_t)n, " %02x",
					      run->emulation_failure.insn_bytes[i]);
			if ((size_t)n < sizeof(d))
				snprintf(d + n, sizeof(d) - (size_t)n, ")");
		}
		break;
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		snprintf(d, sizeof(d), "KVM internal error: an exception while delivering an "
			 "exception that KVM cannot turn into a double fault");
		break;
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		snprintf(d, sizeof(d), "KVM internal error: an exit while delivering an event "
			 "(an interrupt or exception through a bad IDT/GDT/TSS or unmapped stack; "
			 "vectoring info %#llx)", (unsigned long long)run->internal.data[0]);
		break;
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		snprintf(d, sizeof(d), "KVM internal error: the hardware gave an exit reason KVM "
			 "does not handle (%#llx)", (unsigned long long)run->internal.data[0]);
		break;
	default:
		snprintf(d, sizeof(d), "KVM internal error %u", run->internal.suberror);
		break;
	}
	stop_with_regs(kc, VM_ERROR, d);
}

/* VM entry failed: the hardware refused the guest state KVM gave it. */
static void exit_fail_entry(struct kvma_vcpu *kc)
{
	u64 hw = kc->run->fail_entry.hardware_entry_failure_reason;
	const char *what;
	char d[256];

	if (hw == ~0ULL)
		what = "AMD-V: VMRUN rejected the guest state (VMEXIT_INVALID)";
	else if ((hw & 0xffff) == 33)
		what = "VT-x: invalid guest state (SDM vol. 3C, 26.3.1)";
	else if ((hw & 0xffff) == 34)
		what = "VT-x: MSR loading failed on VM entry";
	else if ((hw & 0xffff) == 41)
		what = "VT-x: machine-check event during VM entry";
	else
		what = "unrecognised reason";
	snprintf(d, sizeof(d), "VM entry failed on host CPU %u: %s (hardware reason %#llx)",
		 kc->run->fail_entry.cpu, what, (unsigned long long)hw);
	stop_with_regs(kc, VM_ERROR, d);
}

/*
 * A triple fault. VT-x leaves the guest's registers as they were; AMD-V's
 * shutdown intercept leaves the VMCB undefined, so KVM reinitialises the vCPU
 * before it reports the exit, and the registers are those of a reset
 * (CS.base 0xffff0000, RIP 0xfff0). Say so rather than report those.
 */
static void exit_shutdown(struct kvma_vcpu *kc)
{
	struct vm *vm = kc->vcpu->vm;
	struct vcpu_regs r;

	if (accel_kvm_vcpu_get_regs(kc->vcpu, &r) == 0 &&
	    !(r.seg[SEG_CS].base == 0xffff0000ULL && r.rip == 0xfff0)) {
		stop_with_regs(kc, VM_TRIPLE_FAULT, "");
		return;
	}
	vm_request_stop(vm, VM_TRIPLE_FAULT, "vcpu%u; registers unavailable: the CPU's "
			"virtualization (AMD-V) resets the vCPU on shutdown", kc->vcpu->index);
}

static void handle_exit(struct kvma_vcpu *kc)
{
	struct kvm_run *run = kc->run;
	char d[128];

	if (kc->stats)
		accel_kvm_exit_stats_count(kc->stats, run);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit_io(kc);
		break;
	case KVM_EXIT_MMIO:
		exit_mmio(kc);
		break;
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel local APIC; report as the emu engine does. */
		if (!(run->if_flag))
			stop_with_regs(kc, VM_ERROR,
				       "halted with interrupts disabled; nothing can wake it");
		break;
	case KVM_EXIT_SHUTDOWN:
		exit_shutdown(kc);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		exit_system_event(kc);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit_internal_error(kc);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit_fail_entry(kc);
		break;
	case KVM_EXIT_UNKNOWN:
		snprintf(d, sizeof(d), "KVM exit UNKNOWN (hardware exit reason %#llx)",
			 (unsigned long long)run->hw.hardware_exit_reason);
		stop_with_regs(kc, VM_ERROR, d);
		break;
	default:
		snprintf(d, sizeof(d), "unexpected KVM exit %u (%s)", run->exit_reason,
			 exit_name(run->exit_reason));
		stop_with_regs(kc, VM_ERROR, d);
		break;
	}
}

/*
 * Let KVM finish an I/O instruction whose data hover supplied, so that the
 * registers are architecturally complete before a pause or the end of the
 * run (api.rst, "immediate_exit"): KVM_RUN completes it, then returns EINTR.
 */
static void complete_pending_io(struct kvma_vcpu *kc)
{
	if (kc->run->exit_reason == KVM_EXIT_IO || kc->run->exit_reason == KVM_EXIT_MMIO) {
		kc->run->immediate_exit = 1;
		ioctl(kc->fd, KVM_RUN, 0);
		kc->run->exit_reason = KVM_EXIT_INTR;
	}
	kc->run->immediate_exit = 0;
}

int accel_kvm_vcpu_run(struct vcpu *vcpu)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);
	struct vm *vm = vcpu->vm;
	sigset_t unblock;
	int ret;

	ret = configure(kc);
	if (ret)
		return ret;
	if (vm->debug && !kc->stats) {
		log_debug("kvm: vcpu%u: first KVM_RUN at monotonic %.1f ms", vcpu->index,
			  (double)clock_ns() / 1e6);
		if (accel_kvm_exit_stats_create(&kc->stats))
			log_warn("kvm: vcpu%u: no memory to count exits", vcpu->index);
	}
	pthread_once(&kick_once, kick_install);
	if (kick_install_err)
		return kick_install_err;
	sigemptyset(&unblock);
	sigaddset(&unblock, KICK_SIG);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

	kick_run = kc->run;
	pthread_mutex_lock(&kc->kick_lock);
	kc->thread = pthread_self();
	kc->in_run = true;
	pthread_mutex_unlock(&kc->kick_lock);

	while (vm_stopped(vm) == VM_RUNNING) {
		if (vm_pause_requested(vm)) {
			complete_pending_io(kc);
			accel_kvm_vcpu_park(vcpu);
			continue;
		}
		if (ioctl(kc->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				kc->run->immediate_exit = 0;
				continue;
			}
			ret = -errno;
			log_error("kvm: vcpu%u: KVM_RUN failed: %s", vcpu->index, strerror(-ret));
			break;
		}
		handle_exit(kc);
	}
	complete_pending_io(kc);
	if (kc->stats)
		accel_kvm_exit_stats_report(kc->stats, vcpu->index, exit_name);

	pthread_mutex_lock(&kc->kick_lock);
	kc->in_run = false;
	pthread_mutex_unlock(&kc->kick_lock);
	kick_run = NULL;
	return ret;
}

void accel_kvm_vcpu_kick(struct vcpu *vcpu)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);

	if (!kc)
		return;
	pthread_mutex_lock(&kc->kick_lock);
	if (kc->in_run)
		pthread_kill(kc->thread, KICK_SIG);
	pthread_mutex_unlock(&kc->kick_lock);
}
