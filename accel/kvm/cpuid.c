// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CPUID a KVM guest sees: what KVM_GET_SUPPORTED_CPUID says this host
 * and kernel can virtualize, filtered to what hover's PC promises.
 *
 * hover's machine is one socket of single-threaded cores, each with a local
 * APIC whose ID is its vCPU index (as the MADT lists them), under a
 * hypervisor. It promises no nested virtualization (VMX/SVM), no
 * performance-monitoring unit, no MONITOR/MWAIT and no debug store; the KVM
 * paravirtual leaves (0x40000000: kvm-clock, no-op I/O delay, PV EOI...) are
 * kept, as Firecracker and kvmtool keep them. The TSC-deadline timer is
 * offered when the in-kernel local APIC emulates it.
 *
 * Reference: Intel SDM vol. 2A, CPUID (leaves 01H, 04H, 0AH, 0BH, 1FH);
 * AMD APM vol. 3, appendix E; Documentation/virt/kvm/x86/cpuid.rst;
 * Documentation/virt/kvm/api.rst 4.46 KVM_GET_SUPPORTED_CPUID.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm_int.h"
#include "include/hover/log.h"

#define CPUID_MAX_ENTRIES 256

/* Leaf 01H ECX */
#define CPUID_1_ECX_DTES64 (1u << 2)
#define CPUID_1_ECX_MONITOR (1u << 3)
#define CPUID_1_ECX_DS_CPL (1u << 4)
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_SMX (1u << 6)
#define CPUID_1_ECX_EST (1u << 7)
#define CPUID_1_ECX_TM2 (1u << 8)
#define CPUID_1_ECX_PDCM (1u << 15)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
/* Leaf 01H EDX */
#define CPUID_1_EDX_DS (1u << 21)
#define CPUID_1_EDX_ACPI (1u << 22)
#define CPUID_1_EDX_HTT (1u << 28)
#define CPUID_1_EDX_TM (1u << 29)
#define CPUID_1_EDX_PBE (1u << 31)
/* Leaf 06H EAX */
#define CPUID_6_EAX_ARAT (1u << 2)
/* Leaf 80000001H ECX */
#define CPUID_81_ECX_SVM (1u << 2)
#define CPUID_81_ECX_PERFCTR_CORE (1u << 23)

/* Leaf 0BH/1FH ECX[15:8] level types */
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2

int accel_kvm_cpuid_get_supported(struct kvma_vm *kv)
{
	struct kvm_cpuid2 *c;
	int ret;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kv->sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		ret = -errno;
		log_error("kvm: KVM_GET_SUPPORTED_CPUID failed: %s", strerror(-ret));
		free(c);
		return ret;
	}
	kv->supported = c;
	return 0;
}

/* Bits needed to number ncpus cores: the x2APIC ID shift of the core level. */
static u32 core_shift(unsigned ncpus)
{
	u32 s = 0;

	while ((1u << s) < ncpus)
		s++;
	return s;
}

static void filter_topology(struct kvm_cpuid_entry2 *e, unsigned index, unsigned ncpus)
{
	e->edx = index; /* x2APIC ID */
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (TOPO_LEVEL_SMT << 8) | e->index;
		break;
	case 1:
		e->eax = core_shift(ncpus);
		e->ebx = ncpus;
		e->ecx = (TOPO_LEVEL_CORE << 8) | e->index;
		break;
	default:
		e->eax = e->ebx = 0;
		e->ecx = e->index;
		break;
	}
}

static void filter_entry(const struct kvma_vm *kv, struct kvm_cpuid_entry2 *e, unsigned index,
			 unsigned ncpus)
{
	switch (e->function) {
	case 0x1:
		e->ecx &= ~(CPUID_1_ECX_DTES64 | CPUID_1_ECX_MONITOR | CPUID_1_ECX_DS_CPL |
			    CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_EST | CPUID_1_ECX_TM2 |
			    CPUID_1_ECX_PDCM);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (kv->tsc_deadline)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		e->edx &= ~(CPUID_1_EDX_DS | CPUID_1_EDX_ACPI | CPUID_1_EDX_TM | CPUID_1_EDX_PBE);
		/* EBX: [31:24] initial APIC ID, [23:16] logical processors, [15:8] CLFLUSH size */
		e->ebx = (e->ebx & 0xffff) | (index << 24) | ((ncpus & 0xff) << 16);
		if (ncpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
		break;
	case 0x4:
		/* EAX[31:26]: cores per package - 1; [25:14]: threads sharing this cache - 1 */
		e->eax &= 0x3fff;
		e->eax |= (ncpus - 1) << 26;
		break;
	case 0x6: /* thermal and power: only "the APIC timer always runs" (ARAT) holds */
		e->eax &= CPUID_6_EAX_ARAT;
		e->ebx = e->ecx = e->edx = 0;
		break;
	case 0xa: /* architectural performance monitoring: no PMU */
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0xb:
	case 0x1f:
		filter_topology(e, index, ncpus);
		break;
	case 0x80000001:
		e->ecx &= ~(CPUID_81_ECX_SVM | CPUID_81_ECX_PERFCTR_CORE);
		break;
	case 0x8000000a: /* SVM features */
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	default:
		break;
	}
}

struct kvm_cpuid2 *accel_kvm_cpuid_for_vcpu(const struct kvma_vm *kv, unsigned index,
					    unsigned ncpus)
{
	const struct kvm_cpuid2 *s = kv->supported;
	size_t sz = sizeof(*s) + s->nent * sizeof(s->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);

	if (!c)
		return NULL;
	memcpy(c, s, sz);
	for (u32 i = 0; i < c->nent; i++)
		filter_entry(kv, &c->entries[i], index, ncpus);
	return c;
}
