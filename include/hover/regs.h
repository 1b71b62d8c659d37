/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine-neutral x86-64 vCPU register state. Boot code fills it once; every
 * accelerator translates it to and from its own representation (struct
 * x86_cpu for emu, kvm_regs/kvm_sregs for kvm). Also the unit of vCPU state
 * in snapshots and for the triple-fault report.
 */
#ifndef HOVER_INCLUDE_REGS_H
#define HOVER_INCLUDE_REGS_H

#include "include/hover/types.h"

/* GPR_ rather than REG_: glibc's <sys/ucontext.h> (pulled in by <signal.h>) owns REG_RAX. */
enum {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
};

/* Segment register order is the SDM's Sreg encoding (ModRM.reg of MOV Sreg). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/*
 * A loaded segment register (visible selector plus hidden descriptor cache).
 * attr packs descriptor bits as VMX "access rights" do: bits 0-3 type,
 * 4 S, 5-6 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G. limit is already expanded
 * by G (byte granular).
 */
struct seg_reg {
	u64 base;
	u32 limit;
	u16 sel;
	u16 attr;
};

#define SEG_ATTR_TYPE(a) ((a) & 0xf)
#define SEG_ATTR_S (1u << 4)
#define SEG_ATTR_DPL(a) (((a) >> 5) & 3)
#define SEG_ATTR_P (1u << 7)
#define SEG_ATTR_AVL (1u << 12)
#define SEG_ATTR_L (1u << 13)
#define SEG_ATTR_DB (1u << 14)
#define SEG_ATTR_G (1u << 15)

struct dtable_reg {
	u64 base;
	u16 limit;
};

struct vcpu_regs {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	struct seg_reg seg[SEG_COUNT];
	struct seg_reg ldtr, tr;
	struct dtable_reg gdtr, idtr;
	u64 cr0, cr2, cr3, cr4, cr8;
	u64 efer;
};

#endif
