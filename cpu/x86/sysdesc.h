/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the system files (segment.c, exception.c, system.c): segment
 * descriptors, flat segment images and raw RFLAGS writes.
 *
 * References: Intel SDM Vol. 3A 3.4.5 (segment descriptors), 3.5 (system
 * descriptor types), 5.8.3 (call gates), 7.2.3 (64-bit TSS).
 */
#ifndef HOVER_CPU_X86_SYSDESC_H
#define HOVER_CPU_X86_SYSDESC_H

#include "cpu/x86/exec.h"

/* Descriptor type field (attr bits 0-3) with S = 1. */
#define X86_DESC_CODE 0x8u     /* executable */
#define X86_DESC_CONFORM 0x4u  /* code: conforming */
#define X86_DESC_READ 0x2u     /* code: readable */
#define X86_DESC_WRITE 0x2u    /* data: writable */
#define X86_DESC_EXPDOWN 0x4u  /* data: expand-down */
#define X86_DESC_ACCESSED 0x1u

/* System descriptor types (S = 0). */
#define X86_SYS_LDT 0x2u
#define X86_SYS_TSS16_AVAIL 0x1u
#define X86_SYS_TSS16_BUSY 0x3u
#define X86_SYS_TSS_AVAIL 0x9u
#define X86_SYS_TSS_BUSY 0xbu
#define X86_SYS_CALLGATE 0xcu
#define X86_SYS_INTGATE 0xeu
#define X86_SYS_TRAPGATE 0xfu

/* Canonical for a 48-bit linear address space. */
static inline bool x86_canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

/*
 * Read the 8-byte descriptor that `sel` names in the GDT or LDT. A selector
 * beyond the table limit (or into an unusable LDT) raises #GP(err). *addr
 * gets the descriptor's linear address.
 */
u64 x86_desc_fetch(struct x86_cpu *cpu, u16 sel, u32 err, u64 *addr);
/* Same, but returns false instead of faulting on a bad selector (LAR, LSL, VERR). */
bool x86_desc_try(struct x86_cpu *cpu, u16 sel, u64 *raw, u64 *addr);
/* Decode an 8-byte code/data/system descriptor into a hidden segment image. */
void x86_desc_to_seg(u64 raw, u16 sel, struct seg_reg *s);
/* Set the descriptor's accessed bit in memory if it is clear (code/data only). */
void x86_desc_set_accessed(struct x86_cpu *cpu, u64 addr, u64 raw);

/* SWAPGS (0F 01 F8; decoded by system.c's group 7): #UD outside 64-bit mode, #GP above CPL 0. */
void x86_swapgs(struct x86_cpu *cpu);
/* VERR/VERW (0F 00 /4 /5): is sel readable / writable at the current CPL? */
bool x86_verify_seg(struct x86_cpu *cpu, u16 sel, bool write);

/* Flat segment images used by SYSCALL/SYSENTER/interrupt delivery. */
void x86_seg_flat(struct seg_reg *s, u16 sel, bool code, unsigned dpl, bool l, bool db);

/* Replace RFLAGS wholesale (lazy flags discarded); bit 1 is forced on. */
static inline void x86_rflags_set_raw(struct x86_cpu *cpu, u64 v)
{
	cpu->lf.op = X86_LF_NONE;
	cpu->rflags = (v & 0x3f7fd7ULL) | 2;
}

/* 64-bit TSS stack pointers (Vol. 3A 7.7): RSPn at 4 + 8n, ISTn at 0x24 + 8(n-1). */
#define X86_TSS64_RSP(n) (4u + 8u * (n))
#define X86_TSS64_IST(n) (0x24u + 8u * ((n) - 1))
#define X86_TSS64_IOMAP 0x66u

#endif
