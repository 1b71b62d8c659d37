/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block translator: decoded 64-bit-mode blocks to host x86-64 code (see
 * jit.h for the contract). What removes the interpreter's cost is that the
 * loop, the indirect call per instruction and its misprediction go away:
 * each instruction becomes either inline code (jit_inline.c) or a direct
 * call of its handler at a fixed address.
 *
 * Register use in translated code (System V ABI, so handlers are plain C
 * calls): rbx = cpu, r12 = the guest RIP the block was entered at (blocks
 * are keyed by physical address, so one block may run at several virtual
 * addresses: every RIP is r12 + a constant), r13 spare; all three are
 * callee-saved. The frame is three pushes, which leaves rsp 16-byte
 * aligned at every call.
 *
 * Per called instruction (offset `off`, length `len` in the block):
 *     cpu->rip = r12 + off; cpu->next_rip = r12 + off + len;
 *     handler(cpu, in);
 *     cpu->rip = cpu->next_rip;
 *     if (cpu->rip != r12 + off + len || cpu->end_block) return k + 1;
 * which is the run loop's body (run.c) for 64-bit mode, where the
 * instruction pointer mask is all ones.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/x86/jit.h"
#include "cpu/x86/jit_emit.h"
#include "cpu/x86/jit_inline.h"

#define JIT_BUFFER_SIZE (32u << 20)
/* Room a block's translation may need at most: checked before starting one. */
#define JIT_MAX_BLOCK_CODE (X86_BLOCK_MAX_INSNS * 512u)

struct x86_jit {
	u8 *rw;       /* writable view */
	u8 *rx;       /* executable view of the same pages */
	size_t size;
	size_t used;
	bool broken;  /* could not map: interpret everything */
};

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
	j->size = JIT_BUFFER_SIZE;
	fd = memfd_create("hover-jit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)j->size) < 0)
		goto broken;
	j->rw = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	j->rx = mmap(NULL, j->size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_NORESERVE, fd, 0);
	close(fd);
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
	if (cpu->jit)
		cpu->jit->used = 0;
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
	free(j);
	cpu->jit = NULL;
}

/* The exit sequence every path of a block ends in: count in edx. */
static void emit_epilogue(struct jit_asm *a)
{
	e_op_rr(a, false, 0x89, H_RDX, H_RAX); /* mov eax, edx */
	e_pop(a, H_R13);
	e_pop(a, H_R12);
	e_pop(a, H_RBX);
	e_ret(a);
}

/* Call in->op as the interpreter loop would, then its exit test (see the top of this file). */
static void emit_call(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;
	s32 fall = (s32)(t->off + in->len);

	jit_sync_rip(t);
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

void jit_exit_if(struct jit_ctx *t, int cc, u32 rip_off, u32 count)
{
	u8 *at = cc < 0 ? e_jmp32(t->a) : e_jcc32(t->a, (unsigned)cc);

	if (!at || t->nexits >= JIT_MAX_EXITS) {
		t->a->full = true;
		return;
	}
	t->exits[t->nexits++] = (struct jit_exit){ .at = at, .rip_off = rip_off, .count = count };
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

/* Out-of-line code after the epilogue: the exits' RIP updates and the slow memory accesses. */
static void emit_stubs(struct jit_ctx *t, const u8 *epilogue)
{
	struct jit_asm *a = t->a;

	for (unsigned i = 0; i < t->nexits; i++) {
		const struct jit_exit *x = &t->exits[i];

		e_patch(x->at, a->p);
		if (x->rip_off != JIT_RIP_KEEP) {
			e_lea(a, H_RAX, H_R12, (s32)x->rip_off);
			e_store64(a, H_RAX, H_RBX, JIT_OFF_RIP);
		}
		e_mov_imm64(a, H_RDX, x->count);
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
	u8 *start, *exit;

	if (!j)
		return NULL;
	if (j->size - j->used < JIT_MAX_BLOCK_CODE) {
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
	e_load64(&a, H_R12, H_RBX, JIT_OFF_RIP);       /* r12 = entry rip */

	for (t.k = 0; t.k < b->n; t.k++) {
		const struct x86_insn *in = &b->insns[t.k];

		if (!jit_inline(&t, in))
			emit_call(&t, in);
		t.off += in->len;
	}
	/* Fell off the end: cpu->rip to the byte after the block, count = n. */
	jit_sync_rip(&t);
	e_mov_imm64(&a, H_RDX, b->n);
	exit = a.p;
	emit_epilogue(&a);
	emit_stubs(&t, exit);
	if (a.full)
		return NULL; /* cannot happen within JIT_MAX_BLOCK_CODE; interpret if it does */
	j->used += (size_t)(a.p - start);
	j->used = (j->used + 15) & ~(size_t)15;
	b->jit = (x86_jit_fn *)(void *)(j->rx + (start - j->rw));
	b->jit_cpl = cpu->cpl;
	return b->jit;
}
