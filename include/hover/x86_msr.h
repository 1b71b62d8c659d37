/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Architectural MSR numbers (Intel SDM Vol. 4, Table 2-2; AMD APM Vol. 2
 * A.2) that struct vcpu_state carries between engines, and the KVM
 * paravirtual clock MSRs (Linux Documentation/virt/kvm/x86/msr.rst) that
 * only the kvm engine exposes.
 */
#ifndef HOVER_INCLUDE_X86_MSR_H
#define HOVER_INCLUDE_X86_MSR_H

#define X86_MSR_TSC 0x10
#define X86_MSR_APIC_BASE 0x1b
#define X86_MSR_SYSENTER_CS 0x174
#define X86_MSR_SYSENTER_ESP 0x175
#define X86_MSR_SYSENTER_EIP 0x176
#define X86_MSR_MISC_ENABLE 0x1a0
#define X86_MSR_PAT 0x277
#define X86_MSR_MTRR_DEF_TYPE 0x2ff
#define X86_MSR_EFER 0xc0000080
#define X86_MSR_STAR 0xc0000081
#define X86_MSR_LSTAR 0xc0000082
#define X86_MSR_CSTAR 0xc0000083
#define X86_MSR_SFMASK 0xc0000084
#define X86_MSR_FS_BASE 0xc0000100
#define X86_MSR_GS_BASE 0xc0000101
#define X86_MSR_KERNEL_GS_BASE 0xc0000102
#define X86_MSR_TSC_AUX 0xc0000103

#define X86_MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define X86_MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define X86_MSR_KVM_ASYNC_PF_EN 0x4b564d02
#define X86_MSR_KVM_STEAL_TIME 0x4b564d03
#define X86_MSR_KVM_PV_EOI_EN 0x4b564d04
#define X86_MSR_KVM_POLL_CONTROL 0x4b564d05
#define X86_MSR_KVM_ASYNC_PF_INT 0x4b564d06
#define X86_MSR_KVM_ASYNC_PF_ACK 0x4b564d07
#define X86_MSR_KVM_WALL_CLOCK 0x11
#define X86_MSR_KVM_SYSTEM_TIME 0x12

#endif
