/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPUID: the feature policy. hover advertises exactly what its software
 * CPU implements and nothing more; a guest that tests a bit must find the
 * instruction, MSR or control bit behind it.
 *
 * Identity: GenuineIntel family 6 model 0x3B, a model number no Intel part
 * uses, so Linux 6.1 matches none of its per-model quirk, errata and
 * vulnerability tables and takes its generic paths (constant TSC for family
 * 6 model >= 0x0E, fast strings via IA32_MISC_ENABLE). Leaf 0x15 gives the
 * TSC/crystal ratio and the crystal frequency, so native_calibrate_tsc()
 * knows the TSC frequency (TSC_KNOWN_FREQ) and lapic_timer_period without
 * calibration. ARCH_CAPABILITIES denies the speculation bugs (see cpuid.h).
 *
 * References: Intel SDM Vol. 2A CPUID; Linux arch/x86/kernel/cpu/{common.c,
 * intel.c}, arch/x86/kernel/tsc.c (native_calibrate_tsc).
 */
#include <string.h>

#include "cpu/x86/cpuid.h"
#include "cpu/x86/mmu.h"
#include "include/hover/x86_clock.h"

#define MAX_BASIC 0x16u
#define MAX_EXT 0x80000008u

#define X86_FAMILY 6u
#define X86_MODEL 0x3bu
#define X86_STEPPING 1u

/* CPUID.1:EDX */
#define F1D_FPU (1u << 0)
#define F1D_PSE (1u << 3)
#define F1D_TSC (1u << 4)
#define F1D_MSR (1u << 5)
#define F1D_PAE (1u << 6)
#define F1D_CX8 (1u << 8)
#define F1D_APIC (1u << 9)
#define F1D_SEP (1u << 11)
#define F1D_PGE (1u << 13)
#define F1D_CMOV (1u << 15)
#define F1D_PAT (1u << 16)
#define F1D_CLFSH (1u << 19)
#define F1D_MMX (1u << 23)
#define F1D_FXSR (1u << 24)
#define F1D_SSE (1u << 25)
#define F1D_SSE2 (1u << 26)
/* CPUID.1:ECX */
#define F1C_HYPERVISOR (1u << 31)
/* CPUID.7.0:EDX */
#define F7D_ARCH_CAPABILITIES (1u << 29)
/* CPUID.80000001H */
#define E1C_LAHF_LM (1u << 0)
#define E1D_SYSCALL (1u << 11)
#define E1D_NX (1u << 20)
#define E1D_RDTSCP (1u << 27)
#define E1D_LM (1u << 29)
/* CPUID.80000007H:EDX */
#define E7D_INVARIANT_TSC (1u << 8)

static const u32 leaf1_edx = F1D_FPU | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE | F1D_CX8 |
			     F1D_APIC | F1D_SEP | F1D_PGE | F1D_CMOV | F1D_PAT | F1D_CLFSH |
			     F1D_MMX | F1D_FXSR | F1D_SSE | F1D_SSE2;

/*
 * CPUID.1:ECX. Add SSE3 (0), SSSE3 (9), CX16 (13), SSE4.1 (19), SSE4.2 (20),
 * POPCNT (23) here as the instruction families gain them -- and only then.
 */
static const u32 leaf1_ecx = F1C_HYPERVISOR;

static const char brand[48] = "hover virtual CPU";

static void put_str(u32 *out, const char *s)
{
	memcpy(out, s, 4);
}

void x86_cpuid(struct x86_cpu *cpu, u32 leaf, u32 subleaf, u32 out[4])
{
	u64 tsc_hz = cpu->tsc_hz ? cpu->tsc_hz : X86_TSC_HZ;

	out[0] = out[1] = out[2] = out[3] = 0;
	switch (leaf) {
	case 0:
		out[0] = MAX_BASIC;
		put_str(&out[1], "Genu");
		put_str(&out[3], "ineI");
		put_str(&out[2], "ntel");
		break;
	case 1:
		out[0] = X86_STEPPING | (X86_MODEL & 0xf) << 4 | X86_FAMILY << 8 |
			 (X86_MODEL >> 4) << 16;
		/* CLFLUSH line size 8 quadwords (64 bytes), one logical processor, APIC ID. */
		out[1] = 8u << 8 | 1u << 16 | (cpu->apic_id & 0xff) << 24;
		out[2] = leaf1_ecx;
		out[3] = leaf1_edx;
		break;
	case 7:
		if (subleaf == 0)
			out[3] = F7D_ARCH_CAPABILITIES;
		break;
	case 0x15:
		out[0] = X86_TSC_RATIO_DEN;
		out[1] = X86_TSC_RATIO_NUM;
		out[2] = (u32)X86_CRYSTAL_HZ;
		break;
	case 0x16:
		out[0] = (u32)(tsc_hz / 1000000); /* base MHz */
		out[1] = out[0];                  /* max MHz */
		out[2] = 100;                     /* bus (reference) MHz */
		break;
	case 0x80000000:
		out[0] = MAX_EXT;
		break;
	case 0x80000001:
		out[2] = E1C_LAHF_LM;
		out[3] = E1D_SYSCALL | E1D_NX | E1D_RDTSCP | E1D_LM;
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
		memcpy(out, brand + (leaf - 0x80000002) * 16, 16);
		break;
	case 0x80000007:
		out[3] = E7D_INVARIANT_TSC;
		break;
	case 0x80000008:
		out[0] = X86_MAXPHYADDR | X86_MAXLINADDR << 8;
		break;
	default:
		break;
	}
}
