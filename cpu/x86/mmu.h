/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the paging code and CPUID: the physical address width hover's
 * CPU reports (CPUID 0x80000008) and enforces in page-table entries, CR3 and
 * MSRs, and a non-faulting page-walk query for tests and reports.
 */
#ifndef HOVER_CPU_X86_MMU_H
#define HOVER_CPU_X86_MMU_H

#include "cpu/x86/exec.h"

#define X86_MAXPHYADDR 40
#define X86_MAXLINADDR 48

/* The #PF error code an access would get, or X86_NO_ERR if it would succeed. No A/D updates. */
u32 x86_translate_error(struct x86_cpu *cpu, u64 linear, enum x86_access acc, bool user);

#endif
