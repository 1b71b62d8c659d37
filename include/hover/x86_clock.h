/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The clocks hover's x86 machine promises the guest. The CPU reports them in
 * CPUID leaves 0x15/0x16 (so Linux needs no PIT calibration), the local APIC
 * timer counts at X86_CRYSTAL_HZ, and RDTSC counts at X86_TSC_HZ — all derived
 * from the host's monotonic clock.
 */
#ifndef HOVER_INCLUDE_X86_CLOCK_H
#define HOVER_INCLUDE_X86_CLOCK_H

#define X86_CRYSTAL_HZ 25000000ULL           /* core crystal = LAPIC timer input clock */
#define X86_TSC_RATIO_NUM 80                  /* CPUID.15H:EBX */
#define X86_TSC_RATIO_DEN 1                   /* CPUID.15H:EAX */
#define X86_TSC_HZ (X86_CRYSTAL_HZ * X86_TSC_RATIO_NUM / X86_TSC_RATIO_DEN) /* 2 GHz */
#define X86_PM_TIMER_HZ 3579545ULL            /* ACPI PM timer */

#endif
