/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block translator: decoded 64-bit-mode blocks to host x86-64 code (see
 * jit.h for the contract). What removes the interpreter's cost is that the
 * loop, the indirect call per instruction and its misprediction go away:
 * each instruction becomes either inline code (jit_inline.c, jit_alu.c,
 * jit_mem.c) or a direct call of its handler at a fixed address, and
 * blocks jump into each other (chaining, jit.h).
 *
 * Register use in translated code (System V ABI, so handlers are plain C
 * calls): rbx = cpu, r12 = the guest RIP the block was entered at (blocks
 * are keyed by physical address, so one block may run at several virtual
 * addresses: every RIP is r12 + a constant), r13 a memory operand's
 * address across a read-modify-write; all three are callee-saved. The frame is three pushes, which leaves rsp 16-byte
 * aligned at every call.
 *
 * Per called instruction (offset `off`, length `len` in the block):
 *     cpu->rip = r12 + off; cpu->next_rip = r12 + off + len;
 *     handler(cpu, in);
 *     cpu->rip = cpu->next_rip;
 *     if (cpu->rip != r12 + off + len || cpu->end_block) leave, k + 1 retired;
 * which is the run loop's body (run.c) for 64-bit mode, where the
 * instruction pointer mask is all ones. Register-only forms that cannot
 * branch (pure_reg_form) skip next_rip and the test. Every exit adds the
 * instructions retired to cpu->icount itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/x86/jit.h"
#include "cpu/x86/jit_emit.h"
#include "cpu/x86/jit_inline.h"

/*
 * Virtual size of the code buffer; pages are only committed as code is
 * written (a Debian boot to the shell plus a disk benchmark: ~40 MiB). When
 * it fills, every translation is dropped (x86_blocks_flush) and the working
 * set is translated again, so it must comfortably hold a booted system's.
 */
#define JIT_BUFFER_SIZE (256u << 20)
/* Room a block's translation may need at most: checked before starting one. */
#define JIT_MAX_BLOCK_CODE (X86_BLOCK_MAX_INSNS * 1024u)

struct x86_jit {
	u8 *rw;       /* writable view */
	u8 *rx;       /* executable view of the same pages */
	size_t size;
	size_t used;  /* code grows up from the start */
	size_t top;   /* chain slots grow down from the end */
	bool broken;  /* could not map: interpret everything */
	u32 skip;     /* JIT_SKIP_* classes left to handler calls (HOVER_EMU_JIT_SKIP) */
	struct jit_profile *prof; /* HOVER_EMU_PROFILE=helpers, else NULL */
};

/* push rbx; push r12; push r13; mov rbx, rdi: chained jumps enter after these. */
#define JIT_PROLOGUE_SKIP 8

static struct x86_jit *jit_get(struct x86_cpu *cpu)
{
	struct x86_jit *j = cpu->jit;
	int fd;

	if (j)
		return j->broken ? NULL : j;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	cpu->jit = j;
#if !defined(__x86_64__)
	j->broken = true; /* the translator writes x86-64 code: interpret on other hosts */
	return NULL;
#endif
	{
		const char *sk = getenv("HOVER_EMU_JIT_SKIP");

		j->skip = sk ? (u32)strtoul(sk, NULL, 0) : 0;
	}
	j->prof = jit_profile_create();
	j->size = JIT_BUFFER_SIZE;
	j->top = j->size;
	fd = memfd_create("hover-jit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)j->size) < 0)
		goto broken;
	j->rw = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	j->rx = mmap(NULL, j->size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_NORESERVE, fd, 0);
	close(fd);
	fd = -1;
	if (j->rw == MAP_FAILED || j->rx == MAP_FAILED)
		goto broken;
	return j;
broken:
	if (fd >= 0)
		close(fd);
	if (j->rw && j->rw != MAP_FAILED)
		munmap(j->rw, j->size);
	if (j->rx && j->rx != MAP_FAILED)
		munmap(j->rx, j->size);
	j->rw = j->rx = NULL;
	j->broken = true;
	return NULL;
}

void x86_jit_reset(struct x86_cpu *cpu)
{
	if (cpu->jit) {
		cpu->jit->used = 0;
		cpu->jit->top = cpu->jit->size;
	}
	cpu->jit_slot = NULL; /* it pointed into storage about to be reused */
}

/*
 * A chainable exit finds its successor in a struct x86_block_link: a slot
 * of its own in the buffer (read by translated code through the executable
 * view, written here through the writable one), or for a RET the block
 * cache's jump-cache entry for the target RIP.
 */
void x86_jit_link(struct x86_cpu *cpu, struct x86_block *b)
{
	struct x86_jit *j = cpu->jit;
	struct x86_block_link *sl;

	if (!j || !cpu->jit_slot)
		return;
	if ((u8 *)cpu->jit_slot >= j->rx && (u8 *)cpu->jit_slot < j->rx + j->size)
		sl = (struct x86_block_link *)(void *)(j->rw + ((u8 *)cpu->jit_slot - j->rx));
	else
		sl = cpu->jit_slot; /* a jump-cache entry */
	cpu->jit_slot = NULL;
	if (b == &cpu->blocks->scratch || !b->jit)
		return;
	*sl = (struct x86_block_link){ .b = b, .rip = cpu->rip, .gen = cpu->tlb->gen,
				 .ctx = (u32)(cpu->mode | (cpu->cpl << 4)) };
}

void x86_jit_destroy(struct x86_cpu *cpu)
{
	struct x86_jit *j = cpu->jit;

	if (!j)
		return;
	if (j->rw)
		munmap(j->rw, j->size);
	if (j->rx)
		munmap(j->rx, j->size);
	jit_profile_report(j->prof);
	free(j->prof);
	free(j);
	cpu->jit = NULL;
}

/* The exit sequence every path of a block ends in. */
static void emit_epilogue(struct jit_asm *a)
{
	e_pop(a, H_R13);
	e_pop(a, H_R12);
	e_pop(a, H_RBX);
	e_ret(a);
}

/*
 * Register-only forms whose handlers neither branch, read next_rip nor end
 * the block (moves, ALU, shifts, bit ops, CMOVcc, SETcc, MUL/IMUL): called
 * with cpu->rip set (they may still fault: #UD for an unimplemented form)
 * but without next_rip or the exit test. LOCK on a register form is #UD,
 * left to the full call.
 */
static bool pure_reg_form(const struct x86_insn *in)
{
	unsigned op = in->opcode, g = in->reg & 7;
	bool reg = in->has_modrm && in->mod == 3;

	if (in->prefix & X86_PFX_LOCK)
		return false;
	if (in->map == X86_MAP_1B) {
		if (op < 0x40 && (op & 7) <= 3)
			return reg;
		if (op < 0x40)
			return (op & 7) == 4 || (op & 7) == 5;
		switch (op) {
		case 0x80: case 0x81: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
		case 0x88: case 0x89: case 0x8a: case 0x8b: case 0xc0: case 0xc1:
		case 0xd0: case 0xd1: case 0xd2: case 0xd3:
			return reg;
		case 0x91 ... 0x99: case 0xa8: case 0xa9: case 0xb0 ... 0xbf:
			return true;
		case 0xf6: case 0xf7:
			return reg && g <= 5; /* not DIV/IDIV (#DE) */
		case 0xfe: case 0xff:
			return reg && g <= 1;
		default:
			return false;
		}
	}
	if (in->map == X86_MAP_0F) {
		switch (op) {
		case 0x40 ... 0x4f: case 0x90 ... 0x9f: case 0xa3: case 0xa4: case 0xa5: case 0xab:
		case 0xac: case 0xad: case 0xaf: case 0xb0: case 0xb1: case 0xb3: case 0xb6:
		case 0xb7: case 0xb8: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
		case 0xc0: case 0xc1:
			return reg;
		case 0xba:
			return reg && g >= 4;
		case 0xc8 ... 0xcf:
			return true;
		default:
			return false;
		}
	}
	return false;
}

/*
 * Flag liveness within a block. A template may skip the flags it would
 * write (the lazy record, CF/OF of a rotate) when no one can see them: a
 * later instruction of the block overwrites all six before anything reads
 * them, faults (the handler sees RFLAGS), leaves the block or calls a
 * handler. So only these forms, inlined as register-only templates with no
 * exit and no fault, are looked through:
 *   FLAGS_WRITE: ADD/OR/AND/SUB/XOR/CMP/TEST on registers or rAX/AL with an
 *     immediate, SHL/SHR/SAR by a non-zero immediate (all six flags);
 *   FLAGS_PASS: MOV r,r / r,imm, MOVSXD and MOVZX r,r16, LEA (no access),
 *     ROL/ROR by an immediate (CF/OF only: the rest passes through).
 * Everything else counts as a reader. Interrupts are only taken between
 * blocks, and single-stepped code is interpreted.
 */
enum { FLAGS_READ, FLAGS_WRITE, FLAGS_PASS };

static int flags_effect(const struct jit_ctx *t, const struct x86_insn *in)
{
	const struct x86_optable *ot = x86_optable_get();
	unsigned o = in->opcode, g = in->reg & 7;
	bool reg = in->has_modrm && in->mod == 3, fast = in->op == x86_fast_select(in);

	if (in->map == X86_MAP_0F) {
		if (fast && reg && o == 0xb7 && !(t->skip & JIT_SKIP_MOVZX))
			return FLAGS_PASS;
		if (t->skip & JIT_SKIP_REGOPS)
			return FLAGS_READ;
		if (fast && reg && o == 0xb6)
			return FLAGS_PASS;
		if (fast && reg && o == 0xaf) /* inline or a call: sets all six, cannot fault */
			return FLAGS_WRITE;
		if (o >= 0xc8 && o <= 0xcf && (in->opsize == 4 || in->opsize == 8) &&
		    !(in->prefix & X86_PFX_LOCK) && in->op == ot->fn[X86_MAP_0F][o][X86_MP_NONE])
			return FLAGS_PASS;
		return FLAGS_READ;
	}
	if (in->map != X86_MAP_1B || (in->prefix & X86_PFX_LOCK))
		return FLAGS_READ;
	if (in->op == ot->fn[X86_MAP_1B][o][X86_MP_NONE] && (o == 0xc1 || o == 0xd1) && reg && g <= 1 &&
	    (in->opsize == 4 || in->opsize == 8) && !(t->skip & JIT_SKIP_SHIFT))
		return FLAGS_PASS;
	if (in->op == ot->fn[X86_MAP_1B][o][X86_MP_NONE] && !(t->skip & JIT_SKIP_ACC) &&
	    (in->opsize == 4 || in->opsize == 8 || o == 0x3c || o == 0xa8) &&
	    (o == 0x05 || o == 0x0d || o == 0x25 || o == 0x2d || o == 0x35 || o == 0x3d ||
	     o == 0x3c || o == 0xa8 || o == 0xa9))
		return FLAGS_WRITE;
	if (!fast)
		return FLAGS_READ;
	switch (o) {
	case 0x01: case 0x03: case 0x09: case 0x0b: case 0x21: case 0x23: case 0x29: case 0x2b:
	case 0x31: case 0x33: case 0x39: case 0x3b: case 0x85:
		return reg && !(t->skip & JIT_SKIP_ALU) ? FLAGS_WRITE : FLAGS_READ;
	case 0x81: case 0x83:
		return reg && g != 2 && g != 3 && !(t->skip & JIT_SKIP_ALU) ? FLAGS_WRITE : FLAGS_READ;
	case 0xc1: case 0xd1:
		if (!reg || (t->skip & JIT_SKIP_SHIFT) || (g != 4 && g != 5 && g != 6 && g != 7))
			return FLAGS_READ;
		return o == 0xd1 || (in->imm & (in->opsize * 8u - 1)) ? FLAGS_WRITE : FLAGS_PASS;
	case 0x89: case 0x8b: case 0x63:
		return reg && !(t->skip & JIT_SKIP_MOV) ? FLAGS_PASS : FLAGS_READ;
	case 0xb8 ... 0xbf:
		return !(t->skip & JIT_SKIP_MOV) ? FLAGS_PASS : FLAGS_READ;
	case 0x69: case 0x6b: /* IMUL r, r, imm: inline or a call, sets all six, cannot fault */
		return reg && !(t->skip & JIT_SKIP_REGOPS) ? FLAGS_WRITE : FLAGS_READ;
	case 0x8d:
		return in->seg != SEG_FS && in->seg != SEG_GS && !(t->skip & JIT_SKIP_MOV) ? FLAGS_PASS
											     : FLAGS_READ;
	default:
		return FLAGS_READ;
	}
}

/* dead[k]: no one sees the flags instruction k writes (see flags_effect). */
static void flags_liveness(const struct jit_ctx *t, const struct x86_block *b, bool *dead)
{
	bool live = true; /* the next block, or an exit, may read them */

	for (unsigned k = b->n; k-- > 0;) {
		int e = flags_effect(t, &b->insns[k]);

		dead[k] = !live && !(t->skip & JIT_SKIP_DEADFLAGS);
		if (e == FLAGS_WRITE)
			live = false;
		else if (e == FLAGS_READ)
			live = true;
	}
}

/* Call in->op as the interpreter loop would, then its exit test (see the top of this file). */
static void emit_call(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;
	s32 fall = (s32)(t->off + in->len);

	jit_sync_rip(t);
	t->flags_live = false;
	if (t->prof) { /* inc qword [counter] */
		e_mov_imm64(a, H_RAX, (u64)(uintptr_t)jit_profile_counter(t->prof, in));
		e_op_mem(a, true, 0xff, 0, H_RAX, 0);
	}
	if (!(t->skip & JIT_SKIP_PURE) && pure_reg_form(in)) {
		e_op_rr(a, true, 0x89, H_RBX, H_RDI);
		e_mov_imm64(a, H_RSI, (u64)(uintptr_t)in);
		e_mov_imm64(a, H_RAX, (u64)(uintptr_t)in->op);
		e_call_reg(a, H_RAX);
		return;
	}
	e_lea(a, H_RAX, H_R12, fall);
	e_store64(a, H_RAX, H_RBX, JIT_OFF_NEXT_RIP);
	e_op_rr(a, true, 0x89, H_RBX, H_RDI);
	e_mov_imm64(a, H_RSI, (u64)(uintptr_t)in);
	e_mov_imm64(a, H_RAX, (u64)(uintptr_t)in->op);
	e_call_reg(a, H_RAX);
	e_load64(a, H_RAX, H_RBX, JIT_OFF_NEXT_RIP);
	e_store64(a, H_RAX, H_RBX, JIT_OFF_RIP);
	e_lea(a, H_RCX, H_R12, fall);
	e_op_rr(a, true, 0x39, H_RCX, H_RAX); /* cmp rax, rcx */
	jit_exit_if(t, HC_NE, JIT_RIP_KEEP, t->k + 1);
	e_cmp_mem8_imm(a, H_RBX, JIT_OFF_END_BLOCK, 0);
	jit_exit_if(t, HC_NE, JIT_RIP_KEEP, t->k + 1);
	t->rip_off = (u32)fall; /* cpu->rip is current again */
	t->flags_live = false;
}

void jit_exit_if(struct jit_ctx *t, int cc, s64 rip_off, u32 count)
{
	u8 *at = cc < 0 ? e_jmp32(t->a) : e_jcc32(t->a, (unsigned)cc);

	if (!at || t->nexits >= JIT_MAX_EXITS) {
		t->a->full = true;
		return;
	}
	t->exits[t->nexits++] = (struct jit_exit){ .at = at, .rip_off = rip_off, .count = count,
						   .chain = rip_off != JIT_RIP_KEEP };
}

void jit_exit_indirect(struct jit_ctx *t, u32 count)
{
	unsigned n = t->nexits;

	jit_exit_if(t, -1, JIT_RIP_KEEP, count);
	if (t->nexits > n)
		t->exits[n].indirect = true;
}

void jit_exit_if_ended(struct jit_ctx *t, int cc, s64 rip_off, u32 count)
{
	unsigned n = t->nexits;

	jit_exit_if(t, cc, rip_off, count);
	if (t->nexits > n)
		t->exits[n].chain = false;
}

void jit_add_slow(struct jit_ctx *t, u8 *at, u8 *resume, u8 seg, u8 size, bool write)
{
	if (!at || t->nslow >= JIT_MAX_SLOW) {
		t->a->full = true;
		return;
	}
	t->slow[t->nslow++] = (struct jit_slow){ .at = at, .resume = resume, .rip_off = t->off,
						 .seg = seg, .size = size, .write = write };
}

void jit_sync_rip(struct jit_ctx *t)
{
	if (t->rip_off == t->off)
		return;
	e_lea(t->a, H_RAX, H_R12, (s32)t->off);
	e_store64(t->a, H_RAX, H_RBX, JIT_OFF_RIP);
	t->rip_off = t->off;
}

/* Skip to `out` (patched by the caller) when the byte at [rbx + off] is nonzero. */
static u8 *emit_if_byte_set(struct jit_asm *a, s32 off)
{
	e_cmp_mem8_imm(a, H_RBX, off, 0);
	return e_jcc32(a, HC_NE);
}

/*
 * A chainable exit: cpu->rip is set; jump into the slot's block if it is
 * still the right one and nothing needs the run loop, else leave with
 * cpu->jit_slot naming the slot so the loop fills it.
 */
static void emit_chain(struct jit_ctx *t, const u8 *epilogue, const struct x86_block_link *slot_rx)
{
	struct jit_asm *a = t->a;
	struct x86_cpu *cpu = t->cpu;
	u8 *out[12];
	unsigned n = 0;

	if (slot_rx) /* else the caller computed it into rsi; kept for the way out too */
		e_mov_imm64(a, H_RSI, (u64)(uintptr_t)slot_rx);
	out[n++] = emit_if_byte_set(a, JIT_OFF(kick));
	out[n++] = emit_if_byte_set(a, JIT_OFF(intr_poll));
	out[n++] = emit_if_byte_set(a, JIT_OFF(intr_shadow));
	out[n++] = emit_if_byte_set(a, JIT_OFF(halted));
	e_op_mem(a, false, 0xf6, 0, H_RBX, JIT_OFF(rflags) + 1); /* test byte [rflags+1], TF >> 8 */
	e_u8(a, X86_TF >> 8);
	out[n++] = e_jcc32(a, HC_NE);
	e_load64(a, H_RCX, H_RSI, (s32)offsetof(struct x86_block_link, b));
	e_op_rr(a, true, 0x85, H_RCX, H_RCX);                 /* test rcx, rcx */
	out[n++] = e_jcc32(a, HC_E);
	e_op_mem(a, true, 0x3b, H_RAX, H_RSI, (s32)offsetof(struct x86_block_link, rip)); /* cmp rax, rip */
	out[n++] = e_jcc32(a, HC_NE);
	e_mov_imm64(a, H_RDX, (u64)(uintptr_t)&cpu->tlb->gen);
	e_op_mem(a, false, 0x8b, H_RDX, H_RDX, 0);            /* mov edx, [rdx] */
	e_op_mem(a, false, 0x3b, H_RDX, H_RSI, (s32)offsetof(struct x86_block_link, gen));
	out[n++] = e_jcc32(a, HC_NE);
	e_cmp_mem8_imm(a, H_RCX, (s32)offsetof(struct x86_block, valid), 0);
	out[n++] = e_jcc32(a, HC_E);
	e_op0f_mem(a, false, 0xb6, H_RDX, H_RBX, JIT_OFF(cpl)); /* movzx edx, cpl */
	e_op_mem(a, false, 0x3a, H_RDX, H_RCX, (s32)offsetof(struct x86_block, jit_cpl)); /* cmp dl */
	out[n++] = e_jcc32(a, HC_NE);
	e_load64(a, H_RAX, H_RCX, (s32)offsetof(struct x86_block, jit));
	e_op_rr(a, true, 0x85, H_RAX, H_RAX);                   /* not translated (jump cache) */
	out[n++] = e_jcc32(a, HC_E);
	/* The run loop's bookkeeping: this is now the block being executed. */
	e_mov_imm64(a, H_RDX, (u64)(uintptr_t)&cpu->blocks->cur);
	e_store64(a, H_RCX, H_RDX, 0);
	e_op_mem(a, true, 0x8d, H_RAX, H_RAX, JIT_PROLOGUE_SKIP); /* lea rax, [rax + skip] */
	e_u8(a, 0xff);                                          /* jmp rax */
	e_u8(a, 0xe0);
	for (unsigned i = 0; i < n; i++)
		e_patch(out[i], a->p);
	e_store64(a, H_RSI, H_RBX, JIT_OFF(jit_slot));
	e_patch(e_jmp32(a), epilogue);
}

/* Out-of-line code after the epilogue: the exits and the slow memory accesses. */
static void emit_stubs(struct jit_ctx *t, const u8 *epilogue, struct x86_block_link **slots)
{
	struct jit_asm *a = t->a;

	for (unsigned i = 0; i < t->nexits; i++) {
		const struct jit_exit *x = &t->exits[i];

		e_patch(x->at, a->p);
		e_op_mem(a, true, 0x83, 0, H_RBX, JIT_OFF(icount)); /* add qword [icount], count */
		e_u8(a, (u8)x->count);
		if (x->rip_off != JIT_RIP_KEEP) {
			e_lea(a, H_RAX, H_R12, (s32)x->rip_off);
			e_store64(a, H_RAX, H_RBX, JIT_OFF_RIP);
		}
		if (x->indirect && !(t->skip & JIT_SKIP_CHAIN)) {
			/* rsi = &jc[x86_jc_index(rip)], 24-byte entries */
			e_load64(a, H_RAX, H_RBX, JIT_OFF_RIP);
			e_op_rr(a, true, 0x89, H_RAX, H_RSI);        /* mov rsi, rax */
			e_rex(a, true, 0, 0, H_RSI, false);            /* shr rsi, 12 */
			e_u8(a, 0xc1);
			e_u8(a, 0xee);
			e_u8(a, 12);
			e_op_rr(a, true, 0x31, H_RAX, H_RSI);        /* xor rsi, rax */
			e_u8(a, 0x81);                                 /* and esi, JC mask */
			e_u8(a, 0xe6);
			e_u32(a, (1u << X86_JC_BITS) - 1);
			e_u8(a, 0x6b);                                 /* imul esi, esi, 24 */
			e_u8(a, 0xf6);
			e_u8(a, (u8)sizeof(struct x86_block_link));
			e_mov_imm64(a, H_RCX, (u64)(uintptr_t)t->cpu->blocks->jc);
			e_op_rr(a, true, 0x01, H_RCX, H_RSI);        /* add rsi, rcx */
			emit_chain(t, epilogue, NULL);
			continue;
		}
		if (x->chain && *slots && !(t->skip & JIT_SKIP_CHAIN)) {
			emit_chain(t, epilogue, (*slots)++);
			continue;
		}
		e_patch(e_jmp32(a), epilogue);
	}
	for (unsigned i = 0; i < t->nslow; i++) {
		const struct jit_slow *sl = &t->slow[i];

		e_patch(sl->at, a->p);
		e_lea(a, H_RAX, H_R12, (s32)sl->rip_off);
		e_store64(a, H_RAX, H_RBX, JIT_OFF_RIP);
		e_op_rr(a, true, 0x89, H_RSI, H_RDX); /* off */
		e_op_rr(a, true, 0x89, H_RBX, H_RDI); /* cpu */
		e_mov_imm64(a, H_RSI, sl->seg);
		e_mov_imm64(a, H_RCX, sl->size);
		/* a write's value is already in r8, the fifth argument */
		e_mov_imm64(a, H_RAX, sl->write ? (u64)(uintptr_t)x86_write_slow
						: (u64)(uintptr_t)x86_read_slow);
		e_call_reg(a, H_RAX);
		e_patch(e_jmp32(a), sl->resume);
	}
}

x86_jit_fn *x86_jit_translate(struct x86_cpu *cpu, struct x86_block *b)
{
	struct x86_jit *j = jit_get(cpu);
	struct jit_asm a;
	struct jit_ctx t = { .a = &a, .cpu = cpu, .b = b, .user = cpu->cpl == 3 };
	struct x86_block_link *slot_rx, *slots_rw;
	size_t nslots;
	u8 *start, *exit;
	bool dead[X86_BLOCK_MAX_INSNS];

	if (!j)
		return NULL;
	t.skip = j->skip;
	t.prof = j->prof;
	if (((j->skip & JIT_SKIP_KERNEL) && !t.user) || ((j->skip & JIT_SKIP_USER) && t.user)) {
		b->no_jit = true;
		return NULL;
	}
	if (j->top - j->used < JIT_MAX_BLOCK_CODE + JIT_MAX_EXITS * sizeof(struct x86_block_link)) {
		/* Out of room: everything goes, this block is interpreted once and translated again. */
		x86_blocks_flush(cpu);
		return NULL;
	}
	start = j->rw + j->used;
	a = (struct jit_asm){ .p = start, .end = start + JIT_MAX_BLOCK_CODE };

	e_push(&a, H_RBX);
	e_push(&a, H_R12);
	e_push(&a, H_R13);
	e_op_rr(&a, true, 0x89, H_RDI, H_RBX);        /* mov rbx, rdi */
	if (a.p - start != JIT_PROLOGUE_SKIP) {
		b->no_jit = true;
		return NULL;
	}
	e_load64(&a, H_R12, H_RBX, JIT_OFF_RIP);       /* r12 = entry rip (also after a chained jump) */

	flags_liveness(&t, b, dead);
	for (t.k = 0; t.k < b->n; t.k++) {
		const struct x86_insn *in = &b->insns[t.k];

		t.flags_dead = dead[t.k];
		if (!jit_inline(&t, in))
			emit_call(&t, in);
		t.off += in->len;
	}
	/* Fell off the end: on to the byte after the block, chained like a jump. */
	jit_exit_if(&t, -1, t.off, b->n);
	exit = a.p;
	emit_epilogue(&a);
	/* One slot per chainable exit, below the previous ones. */
	nslots = 0;
	for (unsigned i = 0; i < t.nexits; i++)
		nslots += t.exits[i].chain;
	slots_rw = (struct x86_block_link *)(void *)(j->rw + j->top) - nslots;
	slot_rx = (struct x86_block_link *)(void *)(j->rx + ((u8 *)slots_rw - j->rw));
	{
		struct x86_block_link *next = nslots ? slot_rx : NULL;

		emit_stubs(&t, exit, &next);
	}
	if (a.full) {
		/* Not expected within JIT_MAX_BLOCK_CODE and JIT_MAX_EXITS: interpret this block for good. */
		b->no_jit = true;
		return NULL;
	}
	memset(slots_rw, 0, nslots * sizeof(*slots_rw));
	j->top = (size_t)((u8 *)slots_rw - j->rw);
	j->used += (size_t)(a.p - start);
	j->used = (j->used + 15) & ~(size_t)15;
	b->jit = (x86_jit_fn *)(void *)(j->rx + (start - j->rw));
	b->jit_cpl = cpu->cpl;
	return b->jit;
}
