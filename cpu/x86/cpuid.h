/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to cpuid.c and system.c: the identity and security enumeration
 * hover's CPU reports, shared between CPUID and the MSRs that go with it.
 */
#ifndef HOVER_CPU_X86_CPUID_H
#define HOVER_CPU_X86_CPUID_H

#include "cpu/x86/exec.h"

/*
 * IA32_ARCH_CAPABILITIES (MSR 10AH, enumerated by CPUID.7.0:EDX[29]): a
 * software CPU has none of the speculative-execution bugs these bits deny,
 * so Linux turns on neither page-table isolation nor the buffer-clearing
 * mitigations. Bits per Linux arch/x86/include/asm/msr-index.h / SDM Vol. 4.
 */
#define X86_ARCH_CAP_RDCL_NO (1ULL << 0)
#define X86_ARCH_CAP_SSB_NO (1ULL << 4)
#define X86_ARCH_CAP_MDS_NO (1ULL << 5)
#define X86_ARCH_CAP_PSCHANGE_MC_NO (1ULL << 6)
#define X86_ARCH_CAP_TAA_NO (1ULL << 8)
#define X86_ARCH_CAP_SBDR_SSDP_NO (1ULL << 13)
#define X86_ARCH_CAP_FBSDP_NO (1ULL << 14)
#define X86_ARCH_CAP_PSDP_NO (1ULL << 15)
#define X86_ARCH_CAP_BHI_NO (1ULL << 20)
#define X86_ARCH_CAP_PBRSB_NO (1ULL << 24)
#define X86_ARCH_CAP_GDS_NO (1ULL << 26)
#define X86_ARCH_CAP_RFDS_NO (1ULL << 27)
#define X86_ARCH_CAP_ITS_NO (1ULL << 62)
#define X86_ARCH_CAPABILITIES                                                               \
	(X86_ARCH_CAP_RDCL_NO | X86_ARCH_CAP_SSB_NO | X86_ARCH_CAP_MDS_NO |                  \
	 X86_ARCH_CAP_PSCHANGE_MC_NO | X86_ARCH_CAP_TAA_NO | X86_ARCH_CAP_SBDR_SSDP_NO |      \
	 X86_ARCH_CAP_FBSDP_NO | X86_ARCH_CAP_PSDP_NO | X86_ARCH_CAP_BHI_NO |                 \
	 X86_ARCH_CAP_PBRSB_NO | X86_ARCH_CAP_GDS_NO | X86_ARCH_CAP_RFDS_NO | X86_ARCH_CAP_ITS_NO)

/* IA32_MISC_ENABLE power-on value: fast-string operations enabled (bit 0). */
#define X86_MISC_ENABLE_INIT (1ULL << 0)

#endif
