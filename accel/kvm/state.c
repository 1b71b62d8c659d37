// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kvm engine's whole vCPU to and from struct vcpu_state: the registers
 * (through vcpu.c's kvm_regs/kvm_sregs conversion), the XSAVE area and XCR0,
 * the MSRs this VM's KVM can save (KVM_GET_MSR_INDEX_LIST, intersected with
 * the ones hover wants), debug registers, pending events, MP state, the
 * in-kernel local APIC's register page and the TSC.
 *
 * Setting, the order matters (the same constraints QEMU's kvm_arch_put_
 * registers documents):
 *   1. CPUID (configure, once): KVM checks CR4/EFER/XCR0 against it.
 *   2. SREGS, then REGS: EFER and CR0/CR4 first, so MSRs that depend on
 *      long mode see the final mode. KVM_SET_SREGS (not SREGS2) reloads a
 *      PAE guest's PDPTEs from guest memory, so RAM must be restored
 *      before the vCPUs are; its interrupt_bitmap stays as KVM had it, and
 *      VCPU_EVENTS (7.) decides what is injected.
 *   3. XCRS, then XSAVE: XSTATE_BV is checked against the enabled features.
 *   4. MSRs, with IA32_APIC_BASE: the APIC's mode must be set before its
 *      registers are (x2APIC changes what the register page means).
 *   5. MP_STATE, then LAPIC: LAPIC state can make a halted vCPU runnable.
 *   6. TSC, then IA32_TSC_DEADLINE: the deadline counts in TSC units and
 *      KVM arms its timer against the TSC as it is when the deadline is set.
 *   7. VCPU_EVENTS after LAPIC and MP_STATE: an injected interrupt or SIPI
 *      must not be undone by them. Then DEBUGREGS.
 *
 * Reference: Documentation/virt/kvm/api.rst, the sections on
 * KVM_GET_MSR_INDEX_LIST, KVM_{GET,SET}_MSRS, KVM_{GET,SET}_{XSAVE,XCRS,FPU},
 * KVM_{GET,SET}_VCPU_EVENTS, KVM_{GET,SET}_DEBUGREGS, KVM_{GET,SET}_MP_STATE,
 * KVM_{GET,SET}_LAPIC and KVM_SET_CLOCK; Linux
 * Documentation/virt/kvm/x86/msr.rst (kvmclock MSRs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm_int.h"
#include "include/hover/log.h"
#include "include/hover/vcpu_state.h"
#include "include/hover/x86_msr.h"

#define X86_MSR_TSC_ADJUST 0x3b
#define X86_MSR_SPEC_CTRL 0x48
#define X86_MSR_MTRR_PHYS_BASE0 0x200 /* 0x200-0x20f: eight base/mask pairs */
#define X86_MSR_MTRR_FIX64K 0x250
#define X86_MSR_MTRR_FIX16K_80000 0x258
#define X86_MSR_MTRR_FIX16K_A0000 0x259
#define X86_MSR_MTRR_FIX4K_C0000 0x268 /* 0x268-0x26f */
#define X86_MSR_TSC_DEADLINE 0x6e0

/* The MSRs worth carrying, if this KVM lists them (it may not have all). */
static bool wanted(u32 index)
{
	switch (index) {
	case X86_MSR_SYSENTER_CS: case X86_MSR_SYSENTER_ESP: case X86_MSR_SYSENTER_EIP:
	case X86_MSR_MISC_ENABLE: case X86_MSR_PAT: case X86_MSR_MTRR_DEF_TYPE:
	case X86_MSR_MTRR_FIX64K: case X86_MSR_MTRR_FIX16K_80000: case X86_MSR_MTRR_FIX16K_A0000:
	case X86_MSR_STAR: case X86_MSR_LSTAR: case X86_MSR_CSTAR: case X86_MSR_SFMASK:
	case X86_MSR_KERNEL_GS_BASE: case X86_MSR_TSC_AUX: case X86_MSR_TSC_ADJUST:
	case X86_MSR_SPEC_CTRL: case X86_MSR_TSC_DEADLINE:
	case X86_MSR_KVM_WALL_CLOCK: case X86_MSR_KVM_SYSTEM_TIME:
	case X86_MSR_KVM_WALL_CLOCK_NEW: case X86_MSR_KVM_SYSTEM_TIME_NEW:
	case X86_MSR_KVM_ASYNC_PF_EN: case X86_MSR_KVM_STEAL_TIME: case X86_MSR_KVM_PV_EOI_EN:
	case X86_MSR_KVM_POLL_CONTROL: case X86_MSR_KVM_ASYNC_PF_INT:
		return true;
	default:
		return (index >= X86_MSR_MTRR_PHYS_BASE0 && index < X86_MSR_MTRR_PHYS_BASE0 + 16) ||
		       (index >= X86_MSR_MTRR_FIX4K_C0000 && index < X86_MSR_MTRR_FIX4K_C0000 + 8);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

int accel_kvm_state_init(struct kvma_vm *kv)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	int ret = 0;

	kv->has_xsave = ioctl(kv->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
	kv->has_xcrs = ioctl(kv->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	/* The first call fails with E2BIG and tells the count. */
	if (ioctl(kv->sys_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return -errno;
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(u32));
	if (!list)
		return -ENOMEM;
	list->nmsrs = probe.nmsrs;
	if (ioctl(kv->sys_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		ret = -errno;
		goto out;
	}
	kv->n_state_msrs = 0;
	for (u32 i = 0; i < list->nmsrs && kv->n_state_msrs < ARRAY_SIZE(kv->state_msrs); i++)
		if (wanted(list->indices[i]))
			kv->state_msrs[kv->n_state_msrs++] = list->indices[i];
	qsort(kv->state_msrs, kv->n_state_msrs, sizeof(u32), cmp_u32);
out:
	free(list);
	return ret;
}

/* KVM_GET/SET_MSRS on n entries; -EIO if KVM did fewer than asked (it stops at a refusal). */
static int msrs_io(struct kvma_vcpu *kc, unsigned long req, struct kvm_msr_entry *e, unsigned n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(*e));
	int done;

	if (!m)
		return -ENOMEM;
	m->nmsrs = n;
	memcpy(m->entries, e, n * sizeof(*e));
	done = ioctl(kc->fd, req, m);
	if (done >= 0)
		memcpy(e, m->entries, n * sizeof(*e));
	free(m);
	if (done < 0)
		return -errno;
	if ((unsigned)done < n) {
		log_error("kvm: vcpu%u: KVM %s MSR %#x", kc->vcpu->index,
			  req == KVM_SET_MSRS ? "refused to set" : "cannot read", e[done].index);
		return -EIO;
	}
	return 0;
}

/* ---- get ---- */

/*
 * KVM_GET_MSRS on e[0..*n), the first two (APIC base, TSC) required. An MSR
 * KVM lists but will not read for this vCPU (its CPUID lacks the feature) is
 * dropped from e and the rest read on: it is not state this guest can have.
 */
static int get_msrs(struct kvma_vcpu *kc, struct kvm_msr_entry *e, unsigned *n)
{
	unsigned done = 0;

	while (done < *n) {
		struct kvm_msrs *m = calloc(1, sizeof(*m) + (*n - done) * sizeof(*e));
		int got;

		if (!m)
			return -ENOMEM;
		m->nmsrs = *n - done;
		memcpy(m->entries, e + done, m->nmsrs * sizeof(*e));
		got = ioctl(kc->fd, KVM_GET_MSRS, m);
		if (got > 0)
			memcpy(e + done, m->entries, (size_t)got * sizeof(*e));
		free(m);
		if (got < 0)
			return -errno;
		done += (unsigned)got;
		if (done == *n)
			break;
		if (done < 2) {
			log_error("kvm: vcpu%u: KVM cannot read MSR %#x", kc->vcpu->index, e[done].index);
			return -EIO;
		}
		log_debug("kvm: vcpu%u: MSR %#x listed but not readable: not saved",
			  kc->vcpu->index, e[done].index);
		memmove(e + done, e + done + 1, (*n - done - 1) * sizeof(*e));
		(*n)--;
	}
	return 0;
}

static void fpu_to_xsave(const struct kvm_fpu *f, u8 *a)
{
	memset(a, 0, 512);
	memcpy(a + 0, &f->fcw, 2);
	memcpy(a + 2, &f->fsw, 2);
	a[4] = f->ftwx;
	memcpy(a + 6, &f->last_opcode, 2);
	memcpy(a + 8, &f->last_ip, 8);
	memcpy(a + 16, &f->last_dp, 8);
	memcpy(a + 24, &f->mxcsr, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(a + 32 + 16 * i, f->fpr[i], 10);
	memcpy(a + 160, f->xmm, sizeof(f->xmm));
	a[VCPU_XSAVE_XSTATE_BV_OFF] = VCPU_XSTATE_X87 | VCPU_XSTATE_SSE;
}

static void xsave_to_fpu(const u8 *a, struct kvm_fpu *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(&f->fcw, a + 0, 2);
	memcpy(&f->fsw, a + 2, 2);
	f->ftwx = a[4];
	memcpy(&f->last_opcode, a + 6, 2);
	memcpy(&f->last_ip, a + 8, 8);
	memcpy(&f->last_dp, a + 16, 8);
	memcpy(&f->mxcsr, a + 24, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(f->fpr[i], a + 32 + 16 * i, 10);
	memcpy(f->xmm, a + 160, sizeof(f->xmm));
}

static int get_fpu_state(struct kvma_vcpu *kc, const struct kvma_vm *kv, struct vcpu_state *s)
{
	s->xcr0 = VCPU_XSTATE_X87;
	if (kv->has_xsave) {
		struct kvm_xsave *x = calloc(1, sizeof(*x));

		if (!x)
			return -ENOMEM;
		if (ioctl(kc->fd, KVM_GET_XSAVE, x) < 0) {
			free(x);
			return -errno;
		}
		memcpy(s->xsave, x->region, VCPU_STATE_XSAVE_SIZE);
		free(x);
	} else {
		struct kvm_fpu f;

		if (ioctl(kc->fd, KVM_GET_FPU, &f) < 0)
			return -errno;
		fpu_to_xsave(&f, s->xsave);
	}
	if (kv->has_xcrs) {
		struct kvm_xcrs xc;

		if (ioctl(kc->fd, KVM_GET_XCRS, &xc) < 0)
			return -errno;
		for (u32 i = 0; i < xc.nr_xcrs && i < KVM_MAX_XCRS; i++)
			if (xc.xcrs[i].xcr == 0)
				s->xcr0 = xc.xcrs[i].value;
	}
	return 0;
}

static void events_from_kvm(const struct kvm_vcpu_events *k, struct vcpu_events *e)
{
	memset(e, 0, sizeof(*e));
	/* "pending" (not yet started) exists with KVM_CAP_EXCEPTION_PAYLOAD; either way RIP is the faulting one. */
	e->exception_injected = k->exception.injected || k->exception.pending;
	e->exception_vector = k->exception.nr;
	e->exception_has_error = k->exception.has_error_code;
	e->exception_error = k->exception.error_code;
	e->interrupt_injected = k->interrupt.injected;
	e->interrupt_vector = k->interrupt.nr;
	e->interrupt_soft = k->interrupt.soft;
	e->nmi_injected = k->nmi.injected;
	e->nmi_pending = k->nmi.pending;
	e->nmi_masked = k->nmi.masked;
	e->shadow = k->interrupt.shadow & (VCPU_SHADOW_MOV_SS | VCPU_SHADOW_STI);
	e->sipi_vector = (u8)k->sipi_vector;
}

int accel_kvm_vcpu_get_state(struct vcpu *vcpu, struct vcpu_state *s)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);
	struct kvma_vm *kv = kvma_vm_of(vcpu->vm);
	struct kvm_msr_entry e[ARRAY_SIZE(kv->state_msrs) + 2];
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	struct kvm_mp_state mp;
	struct kvm_lapic_state *lapic;
	struct vcpu_regs r;
	unsigned n = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = accel_kvm_vcpu_get_regs(vcpu, &r);
	if (ret)
		return ret;
	vcpu_state_from_regs(s, &r);
	ret = get_fpu_state(kc, kv, s);
	if (ret)
		return ret;

	memset(e, 0, sizeof(e));
	e[n++].index = X86_MSR_APIC_BASE;
	e[n++].index = X86_MSR_TSC;
	for (unsigned i = 0; i < kv->n_state_msrs; i++)
		e[n++].index = kv->state_msrs[i];
	ret = get_msrs(kc, e, &n);
	if (ret)
		return ret;
	s->apic_base = e[0].data;
	/* KVM's TSC runs on while the vCPU is parked; the guest's stood still. */
	s->tsc = kc->parked ? kc->parked_tsc : e[1].data;
	for (unsigned i = 2; i < n; i++)
		s->msrs[s->nmsrs++] = (struct vcpu_msr){ .index = e[i].index, .value = e[i].data };

	if (ioctl(kc->fd, KVM_GET_DEBUGREGS, &dr) < 0 || ioctl(kc->fd, KVM_GET_VCPU_EVENTS, &ev) < 0 ||
	    ioctl(kc->fd, KVM_GET_MP_STATE, &mp) < 0)
		return -errno;
	memcpy(s->dr, dr.db, sizeof(s->dr));
	s->dr6 = dr.dr6;
	s->dr7 = dr.dr7;
	events_from_kvm(&ev, &s->events);
	s->mp_state = mp.mp_state;

	lapic = calloc(1, sizeof(*lapic));
	if (!lapic)
		return -ENOMEM;
	if (ioctl(kc->fd, KVM_GET_LAPIC, lapic) < 0) {
		ret = -errno;
		free(lapic);
		return ret;
	}
	memcpy(s->lapic, lapic->regs, VCPU_STATE_LAPIC_SIZE);
	s->flags |= VCPU_STATE_LAPIC;
	free(lapic);
	return 0;
}

/* ---- set ---- */

static int set_fpu_state(struct kvma_vcpu *kc, const struct kvma_vm *kv, const struct vcpu_state *s)
{
	struct kvm_fpu f;

	if (kv->has_xcrs) {
		struct kvm_xcrs xc;

		memset(&xc, 0, sizeof(xc));
		xc.nr_xcrs = 1;
		xc.xcrs[0].xcr = 0;
		xc.xcrs[0].value = s->xcr0;
		if (ioctl(kc->fd, KVM_SET_XCRS, &xc) < 0)
			return -errno;
	} else if (s->xcr0 & ~VCPU_XSTATE_X87 & ~VCPU_XSTATE_SSE) {
		return -EINVAL; /* AVX state, and no XSAVE here */
	}
	if (kv->has_xsave) {
		struct kvm_xsave *x = calloc(1, sizeof(*x));
		int ret = 0;

		if (!x)
			return -ENOMEM;
		memcpy(x->region, s->xsave, VCPU_STATE_XSAVE_SIZE);
		if (ioctl(kc->fd, KVM_SET_XSAVE, x) < 0)
			ret = -errno;
		free(x);
		return ret;
	}
	xsave_to_fpu(s->xsave, &f);
	return ioctl(kc->fd, KVM_SET_FPU, &f) < 0 ? -errno : 0;
}

static void events_to_kvm(const struct vcpu_events *e, struct kvm_vcpu_events *k)
{
	memset(k, 0, sizeof(*k));
	k->exception.injected = e->exception_injected;
	k->exception.nr = e->exception_vector;
	k->exception.has_error_code = e->exception_has_error;
	k->exception.error_code = e->exception_error;
	k->interrupt.injected = e->interrupt_injected;
	k->interrupt.nr = e->interrupt_vector;
	k->interrupt.soft = e->interrupt_soft;
	k->interrupt.shadow = e->shadow;
	k->nmi.injected = e->nmi_injected;
	k->nmi.pending = e->nmi_pending;
	k->nmi.masked = e->nmi_masked;
	k->sipi_vector = e->sipi_vector;
	k->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
		   KVM_VCPUEVENT_VALID_SHADOW;
}

/* One MSR by itself (APIC base, TSC, TSC deadline: each has its place in the order). */
static int set_msr(struct kvma_vcpu *kc, u32 index, u64 value)
{
	struct kvm_msr_entry e = { .index = index, .data = value };

	return msrs_io(kc, KVM_SET_MSRS, &e, 1);
}

int accel_kvm_vcpu_set_state(struct vcpu *vcpu, const struct vcpu_state *s)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);
	struct kvma_vm *kv = kvma_vm_of(vcpu->vm);
	struct kvm_msr_entry e[VCPU_STATE_MAX_MSRS];
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	struct kvm_mp_state mp = { .mp_state = s->mp_state };
	struct vcpu_regs r;
	u64 deadline = 0, async_pf = 0;
	bool has_deadline = false, has_async_pf = false;
	unsigned n = 0;
	int ret;

	if (s->nmsrs > VCPU_STATE_MAX_MSRS || s->mp_state > VCPU_MP_SIPI_RECEIVED)
		return -EINVAL;
	/* configure() (CPUID first), SREGS, REGS. */
	vcpu_state_to_regs(s, &r);
	ret = accel_kvm_vcpu_set_regs(vcpu, &r);
	if (ret)
		return ret;
	ret = set_fpu_state(kc, kv, s);
	if (ret)
		return ret;

	ret = set_msr(kc, X86_MSR_APIC_BASE, s->apic_base);
	if (ret)
		return ret;
	/*
	 * Only what this KVM can take: a state from the emu engine has no
	 * kvmclock MSRs, and no harm. Ascending order, but async-PF enabling
	 * last: KVM refuses interrupt-based delivery before its vector
	 * (ASYNC_PF_INT, a higher index) is set.
	 */
	for (unsigned i = 0; i < s->nmsrs; i++) {
		u32 idx = s->msrs[i].index;

		if (idx == X86_MSR_TSC_DEADLINE) {
			deadline = s->msrs[i].value;
			has_deadline = true;
			continue;
		}
		if (idx == X86_MSR_KVM_ASYNC_PF_EN) {
			async_pf = s->msrs[i].value;
			has_async_pf = true;
			continue;
		}
		for (unsigned j = 0; j < kv->n_state_msrs; j++)
			if (kv->state_msrs[j] == idx)
				e[n++] = (struct kvm_msr_entry){ .index = idx, .data = s->msrs[i].value };
	}
	if (n) {
		ret = msrs_io(kc, KVM_SET_MSRS, e, n);
		if (ret)
			return ret;
	}
	for (unsigned j = 0; has_async_pf && j < kv->n_state_msrs; j++) {
		if (kv->state_msrs[j] != X86_MSR_KVM_ASYNC_PF_EN)
			continue;
		ret = set_msr(kc, X86_MSR_KVM_ASYNC_PF_EN, async_pf);
		if (ret)
			return ret;
	}

	if (ioctl(kc->fd, KVM_SET_MP_STATE, &mp) < 0)
		return -errno;
	if (s->flags & VCPU_STATE_LAPIC) {
		struct kvm_lapic_state *lapic = calloc(1, sizeof(*lapic));

		if (!lapic)
			return -ENOMEM;
		memcpy(lapic->regs, s->lapic, VCPU_STATE_LAPIC_SIZE);
		ret = ioctl(kc->fd, KVM_SET_LAPIC, lapic) < 0 ? -errno : 0;
		free(lapic);
		if (ret)
			return ret;
	}
	ret = set_msr(kc, X86_MSR_TSC, s->tsc);
	kc->parked_tsc = s->tsc; /* what the vCPU resumes with, if it is parked */
	if (ret == 0 && has_deadline)
		ret = set_msr(kc, X86_MSR_TSC_DEADLINE, deadline);
	if (ret)
		return ret;

	events_to_kvm(&s->events, &ev);
	if (ioctl(kc->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	memset(&dr, 0, sizeof(dr));
	memcpy(dr.db, s->dr, sizeof(dr.db));
	dr.dr6 = s->dr6;
	dr.dr7 = s->dr7;
	if (ioctl(kc->fd, KVM_SET_DEBUGREGS, &dr) < 0)
		return -errno;
	return 0;
}

/* ---- the guest's clocks across a pause ---- */

static int get_tsc(struct kvma_vcpu *kc, u64 *tsc)
{
	struct kvm_msr_entry e = { .index = X86_MSR_TSC };
	int ret = msrs_io(kc, KVM_GET_MSRS, &e, 1);

	*tsc = e.data;
	return ret;
}

/*
 * On the vCPU's own thread (no other thread may issue vCPU ioctls while it
 * could be in KVM_RUN). A TSC-deadline timer armed before the pause then
 * fires early by the pause's length, which a guest takes as a spurious
 * tick and re-arms.
 */
void accel_kvm_vcpu_park(struct vcpu *vcpu)
{
	struct kvma_vcpu *kc = kvma_vcpu_of(vcpu);
	bool have = get_tsc(kc, &kc->parked_tsc) == 0;

	kc->parked = have;
	vcpu_park(vcpu);
	kc->parked = false;
	if (have && vm_stopped(vcpu->vm) == VM_RUNNING && set_msr(kc, X86_MSR_TSC, kc->parked_tsc))
		log_warn("kvm: vcpu%u: cannot restore the TSC after a pause", vcpu->index);
}

int accel_kvm_clock_sync(struct vm *vm)
{
	struct kvma_vm *kv = kvma_vm_of(vm);
	struct kvm_clock_data clk;

	memset(&clk, 0, sizeof(clk));
	clk.clock = vm_clock_ns(vm);
	return ioctl(kv->vm_fd, KVM_SET_CLOCK, &clk) < 0 ? -errno : 0;
}
