/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What instruction handlers use: registers, operands, guest memory through
 * segmentation and paging, flags, and exceptions. Operands and the memory
 * fast path are inline here; the rest is in mem.c (virtual memory access
 * over the TLB), flags.c (lazy flags, condition codes), exception.c
 * (raise/deliver), mmu.c (page walk).
 *
 * Memory accesses and x86_raise*() do not return on a fault: they longjmp to
 * the run loop (cpu->fault_jmp), which delivers the exception with cpu->rip
 * still at the faulting instruction.
 */
#ifndef HOVER_CPU_X86_EXEC_H
#define HOVER_CPU_X86_EXEC_H

#include "cpu/x86/cpu.h"
#include "cpu/x86/insn.h"
#include "cpu/x86/tlb.h"

/* ---- exceptions (exception.c) ---- */

/* A fault: delivered with the faulting instruction's RIP; error_code X86_NO_ERR if none. */
_Noreturn void x86_raise(struct x86_cpu *cpu, int vector, u32 error_code);
/* A trap or software interrupt (INT n, INT3, INTO): return address is cpu->next_rip. */
_Noreturn void x86_raise_trap(struct x86_cpu *cpu, int vector, bool software);
#define x86_ud(cpu) x86_raise((cpu), X86_EXC_UD, X86_NO_ERR)
#define x86_gp0(cpu) x86_raise((cpu), X86_EXC_GP, 0)

/*
 * Deliver an event through the IDT (SDM Vol. 3A 6.12, 6.14): used by the run
 * loop for faults, traps and external interrupts. return_rip is what gets
 * pushed. Nested faults escalate to #DF, then to shutdown.
 */
void x86_deliver(struct x86_cpu *cpu, int vector, u32 error_code, u64 return_rip, bool software,
		 bool external);

/* ---- mode and privilege (segment.c / system.c) ---- */

/* Recompute cpu->mode and cpu->cpl from CR0, EFER, CS and RFLAGS. */
void x86_update_mode(struct x86_cpu *cpu);
static inline bool x86_long64(const struct x86_cpu *cpu) { return cpu->mode == X86_MODE_LONG64; }

/* Far transfers, shared by the 0xFF group (alu.c) and the dedicated opcodes. */
void x86_far_jmp(struct x86_cpu *cpu, u16 sel, u64 off);
void x86_far_call(struct x86_cpu *cpu, u16 sel, u64 off, unsigned opsize);
/* Load a data segment register (DS/ES/FS/GS/SS) with checks; #GP/#NP/#SS on failure. */
void x86_load_seg(struct x86_cpu *cpu, int seg, u16 sel);
/* Write RFLAGS honouring CPL/IOPL rules for IF, IOPL, VM, RF (POPF, IRET). */
void x86_write_rflags(struct x86_cpu *cpu, u64 val, unsigned opsize);

/* ---- registers (inline) ---- */

static inline u64 x86_trunc(u64 v, unsigned size)
{
	return size == 8 ? v : v & ((1ULL << (size * 8)) - 1);
}

static inline u64 x86_sext(u64 v, unsigned size)
{
	switch (size) {
	case 1: return (u64)(s64)(s8)v;
	case 2: return (u64)(s64)(s16)v;
	case 4: return (u64)(s64)(s32)v;
	default: return v;
	}
}

/* 8-bit register: without REX, 4..7 are AH, CH, DH, BH; with REX, SPL..DIL. */
static inline u8 x86_get_reg8(const struct x86_cpu *cpu, bool rex, unsigned r)
{
	if (!rex && r >= 4 && r < 8)
		return (u8)(cpu->gpr[r - 4] >> 8);
	return (u8)cpu->gpr[r];
}

static inline void x86_set_reg8(struct x86_cpu *cpu, bool rex, unsigned r, u8 v)
{
	if (!rex && r >= 4 && r < 8)
		cpu->gpr[r - 4] = (cpu->gpr[r - 4] & ~0xff00ULL) | ((u64)v << 8);
	else
		cpu->gpr[r] = (cpu->gpr[r] & ~0xffULL) | v;
}

/* size 1 uses the REX-aware byte registers; 4 zero-extends into the 64-bit register. */
static inline u64 x86_get_reg(const struct x86_cpu *cpu, const struct x86_insn *in, unsigned r,
			      unsigned size)
{
	if (size == 1)
		return x86_get_reg8(cpu, in->rex != 0, r);
	return x86_trunc(cpu->gpr[r], size);
}

static inline void x86_set_reg(struct x86_cpu *cpu, const struct x86_insn *in, unsigned r,
			       unsigned size, u64 v)
{
	switch (size) {
	case 1: x86_set_reg8(cpu, in->rex != 0, r, (u8)v); break;
	case 2: cpu->gpr[r] = (cpu->gpr[r] & ~0xffffULL) | (v & 0xffff); break;
	case 4: cpu->gpr[r] = (u32)v; break;
	default: cpu->gpr[r] = v; break;
	}
}

/* ---- guest virtual memory (mem.c; fast paths inline here) ---- */

/*
 * Accesses at a segment:offset at the current CPL. Segment base/limit checks
 * apply as the mode requires (in 64-bit mode only FS/GS bases are added);
 * then paging with the TLB; then RAM or MMIO. Page-crossing and MMIO accesses
 * take the slow path. Faults (#GP, #SS, #PF) do not return.
 *
 * The inline fast path serves 64-bit mode TLB hits: it adds the FS/GS base,
 * compares one tag and loads or stores through the host pointer. The TLB
 * never caches a non-canonical page, so a hit needs no canonical check.
 * Everything else goes to x86_read_slow()/x86_write_slow() in mem.c.
 */
u64 x86_read_slow(struct x86_cpu *cpu, int seg, u64 off, unsigned size);
void x86_write_slow(struct x86_cpu *cpu, int seg, u64 off, unsigned size, u64 v);

static inline __attribute__((always_inline)) u8 *x86_mem_fast(struct x86_cpu *cpu, int seg,
							      u64 off, unsigned size, int acc)
{
	u64 lin = off;

	if (unlikely(cpu->mode != X86_MODE_LONG64))
		return NULL;
	if (seg >= SEG_FS)
		lin += cpu->seg[seg].base;
	return x86_tlb_hit(cpu->tlb, lin, size, acc, cpu->cpl == 3);
}

#define X86_DEFINE_MEM(bits)                                                                   \
	static inline __attribute__((always_inline)) u##bits x86_read##bits(                   \
		struct x86_cpu *cpu, int seg, u64 off)                                         \
	{                                                                                      \
		u8 *p = x86_mem_fast(cpu, seg, off, bits / 8, X86_ACC_READ);                   \
		u##bits v;                                                                     \
		if (likely(p != NULL)) {                                                       \
			__builtin_memcpy(&v, p, sizeof(v));                                    \
			return v;                                                              \
		}                                                                              \
		return (u##bits)x86_read_slow(cpu, seg, off, bits / 8);                        \
	}                                                                                      \
	static inline __attribute__((always_inline)) void x86_write##bits(                     \
		struct x86_cpu *cpu, int seg, u64 off, u##bits v)                              \
	{                                                                                      \
		u8 *p = x86_mem_fast(cpu, seg, off, bits / 8, X86_ACC_WRITE);                  \
		if (likely(p != NULL)) {                                                       \
			__builtin_memcpy(p, &v, sizeof(v));                                    \
			return;                                                                \
		}                                                                              \
		x86_write_slow(cpu, seg, off, bits / 8, v);                                    \
	}
X86_DEFINE_MEM(8)
X86_DEFINE_MEM(16)
X86_DEFINE_MEM(32)
X86_DEFINE_MEM(64)
#undef X86_DEFINE_MEM

/* size 1, 2, 4 or 8 */
static inline __attribute__((always_inline)) u64 x86_read(struct x86_cpu *cpu, int seg, u64 off,
							  unsigned size)
{
	switch (size) {
	case 1: return x86_read8(cpu, seg, off);
	case 2: return x86_read16(cpu, seg, off);
	case 4: return x86_read32(cpu, seg, off);
	default: return x86_read64(cpu, seg, off);
	}
}

static inline __attribute__((always_inline)) void x86_write(struct x86_cpu *cpu, int seg, u64 off,
							    unsigned size, u64 v)
{
	switch (size) {
	case 1: x86_write8(cpu, seg, off, (u8)v); break;
	case 2: x86_write16(cpu, seg, off, (u16)v); break;
	case 4: x86_write32(cpu, seg, off, (u32)v); break;
	default: x86_write64(cpu, seg, off, v); break;
	}
}

/*
 * ModRM operands (Intel SDM Vol. 2 2.1.5; Vol. 1 3.7.5). decode.c already
 * resolved the addressing form into base/index/scale/disp (16-bit forms
 * too: BX+SI etc. become base+index), so one formula serves every address
 * size; truncating the sum to the address size gives the 16/32-bit wrap.
 */
static inline __attribute__((always_inline)) u64 x86_ea(const struct x86_cpu *cpu,
							const struct x86_insn *in)
{
	u64 ea = (u64)(s64)in->disp;

	if (in->base < 16)
		ea += cpu->gpr[in->base];
	else if (in->base == X86_REG_RIP)
		ea += cpu->next_rip;
	if (in->index < 16)
		ea += cpu->gpr[in->index] << in->scale;
	if (likely(in->addrsize == 8))
		return ea;
	return in->addrsize == 4 ? (u32)ea : (u16)ea;
}

/*
 * Offset of the selector of an m16:16/32/64 far pointer at `ea`. Outside
 * 64-bit mode the pointer is one operand, checked against the segment limit
 * as a whole, so the selector's offset does not wrap at the address size (a
 * pointer at DS:FFFE in real mode raises #GP, SDM Vol. 3A 20.1.1); in 64-bit
 * mode a 32-bit address wraps.
 */
static inline u64 x86_far_sel_off(const struct x86_cpu *cpu, const struct x86_insn *in, u64 ea)
{
	if (cpu->mode == X86_MODE_LONG64)
		return x86_trunc(ea + in->opsize, in->addrsize);
	return ea + in->opsize;
}

/* The ModRM r/m operand, register or memory, of `size` bytes. */
static inline __attribute__((always_inline)) u64 x86_rm_read(struct x86_cpu *cpu,
							     const struct x86_insn *in,
							     unsigned size)
{
	if (in->mod == 3)
		return x86_get_reg(cpu, in, in->rm, size);
	return x86_read(cpu, in->seg, x86_ea(cpu, in), size);
}

static inline __attribute__((always_inline)) void x86_rm_write(struct x86_cpu *cpu,
							       const struct x86_insn *in,
							       unsigned size, u64 v)
{
	if (in->mod == 3)
		x86_set_reg(cpu, in, in->rm, size, v);
	else
		x86_write(cpu, in->seg, x86_ea(cpu, in), size, v);
}

/* Any length (x87 80-bit, XMM 128-bit, FXSAVE 512 bytes). All-or-nothing: checks every page first. */
void x86_read_bytes(struct x86_cpu *cpu, int seg, u64 off, void *buf, unsigned len);
void x86_write_bytes(struct x86_cpu *cpu, int seg, u64 off, const void *buf, unsigned len);
/* Check that [off, off+len) is writable without writing it (for RMW and string ops). */
void x86_check_write(struct x86_cpu *cpu, int seg, u64 off, unsigned len);

/*
 * Linear-address accesses with supervisor privilege regardless of CPL
 * (descriptor tables, TSS, IDT: "implicit supervisor accesses").
 */
u64 x86_read_sys(struct x86_cpu *cpu, u64 linear, unsigned size);
void x86_write_sys(struct x86_cpu *cpu, u64 linear, unsigned size, u64 v);

/* Stack helpers: operate on SS:RSP with the stack address size; size 2, 4 or 8. */
void x86_push(struct x86_cpu *cpu, unsigned size, u64 v);
u64 x86_pop(struct x86_cpu *cpu, unsigned size);

/* ---- paging and TLB (mmu.c, tlb.c) ---- */

/*
 * Translate a linear address for an access at privilege `user`; on failure
 * sets CR2 and raises #PF (does not return). Sets A/D bits.
 */
u64 x86_translate(struct x86_cpu *cpu, u64 linear, enum x86_access acc, bool user);
/* Same, but returns false instead of faulting (for debuggers, reports). */
bool x86_translate_probe(struct x86_cpu *cpu, u64 linear, enum x86_access acc, bool user, u64 *gpa);
void x86_tlb_flush_all(struct x86_cpu *cpu);
void x86_tlb_flush_page(struct x86_cpu *cpu, u64 linear);

/* Discard every cached decoded block (mode change that affects decoding, reset). */
void x86_blocks_flush(struct x86_cpu *cpu);
/*
 * The page walk (mmu.c) calls this whenever a translation goes through a
 * 2 MiB or 1 GiB page, so that x86_tlb_flush_page() knows it must flush
 * everything (the TLB caches 4 KiB pieces of large pages).
 */
void x86_tlb_note_large(struct x86_cpu *cpu);

/* ---- MSRs (system.c), also for state.c ---- */

/* RDMSR/WRMSR semantics; false for an MSR hover does not implement or a value it refuses (#GP). */
bool x86_msr_read(struct x86_cpu *cpu, u32 idx, u64 *v);
bool x86_msr_write(struct x86_cpu *cpu, u32 idx, u64 v);

/* ---- run loop <-> exception.c ---- */

/*
 * Deliver the event recorded by x86_raise*() (called by the run loop after
 * the longjmp). Handles nesting, #DF and triple fault; false means shutdown.
 */
bool x86_exception_dispatch(struct x86_cpu *cpu);
/* Deliver external interrupt `vector` through the IDT; clears cpu->halted. */
void x86_interrupt(struct x86_cpu *cpu, int vector);
/* Deliver cpu->inject_* (an event handed over mid-delivery) and clear it; faults as x86_interrupt. */
void x86_inject_pending(struct x86_cpu *cpu);

/* ---- flags (flags.c) ---- */

static inline void x86_lazy(struct x86_cpu *cpu, enum x86_lazy_op op, unsigned size, u64 res,
			    u64 src1, u64 src2)
{
	cpu->lf.op = (u8)op;
	cpu->lf.size = (u8)size;
	cpu->lf.res = res;
	cpu->lf.src1 = src1;
	cpu->lf.src2 = src2;
}

/* x86_lazy() plus the carry-in for ADC/SBB and the preserved CF for INC/DEC (see flags.c). */
static inline void x86_lazy_cf(struct x86_cpu *cpu, enum x86_lazy_op op, unsigned size, u64 res,
			       u64 src1, u64 src2, bool cf_in)
{
	x86_lazy(cpu, op, size, res, src1, src2);
	cpu->lf.cf_in = cf_in;
}

/* Materialise lazy flags into cpu->rflags (after this, lf.op == X86_LF_NONE). */
void x86_flags_sync(struct x86_cpu *cpu);
/* Set the six arithmetic flags eagerly from `flags` (other bits ignored). */
static inline void x86_set_arith_flags(struct x86_cpu *cpu, u64 flags)
{
	cpu->lf.op = X86_LF_NONE;
	cpu->rflags = (cpu->rflags & ~X86_FLAGS_ARITH) | (flags & X86_FLAGS_ARITH);
}
bool x86_get_cf(struct x86_cpu *cpu);
/* Condition code 0..15 in Jcc/SETcc/CMOVcc order (O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G). */
bool x86_cond(struct x86_cpu *cpu, unsigned cc);
/* Parity flag of the low byte, as PF defines it. */
static inline bool x86_parity(u64 v) { return !__builtin_parity((unsigned)(v & 0xff)); }
/* SF/ZF/PF of a result of `size` bytes, as an RFLAGS bit mask. */
u64 x86_szp(u64 res, unsigned size);

/* ---- feature policy (system.c) ---- */

/* CPUID leaf/subleaf as hover's CPU reports it; CPUID advertises exactly what is implemented. */
void x86_cpuid(struct x86_cpu *cpu, u32 leaf, u32 subleaf, u32 out[4]);

/* FPU/SSE availability checks used by x87.c and sse_*.c (#NM, #UD per CR0.EM/TS, CR4.OSFXSR). */
void x86_check_fpu(struct x86_cpu *cpu);
void x86_check_sse(struct x86_cpu *cpu);

#endif
