/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block translator (cpu/x86/jit.c, jit_inline.c) against the
 * interpreter: random straight-line-and-forward-branch sequences of the
 * forms that have inline templates (and some that do not), run once with
 * translation and once interpreting, on two identical harness machines;
 * registers, materialised RFLAGS, RIP, the data pages and the stack must
 * match. Memory operands are [rbx/rbp + disp8], [rbx + rsi*scale + disp8],
 * RIP-relative (reads) and the stack, so TLB misses (first touch), hits and
 * page-crossing accesses all occur.
 *
 * Directed tests cover what random sequences reach rarely: a store into the
 * block being executed (self-modifying code: the block must be left), a
 * fault in the middle of a translated block (RIP and earlier results), and
 * FS/GS-based accesses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"
#include "tests/unit/cpu_harness.h"

#define DATA HARNESS_DATA
#define DATA_LEN 0x3000 /* three pages: accesses near 0x201000 and 0x202000 cross pages */

struct rng {
	u64 s;
};

static u32 rnd(struct rng *r)
{
	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (u32)(r->s >> 33);
}

/* Registers a random instruction may write: not RSP, RBX/RBP (bases), RSI (index). */
static const u8 dst_regs[] = { 0, 1, 2, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static unsigned pick_dst(struct rng *r) { return dst_regs[rnd(r) % sizeof(dst_regs)]; }
static unsigned pick_any(struct rng *r) { return rnd(r) % 16; }

struct seq {
	u8 code[4096];
	unsigned len;
	unsigned starts[256]; /* offsets of instruction starts */
	bool no_target[256];  /* inside a CALL/RET construct: a jump there would RET to garbage */
	unsigned n;
	struct { unsigned at, insn; } fix[64]; /* rel8 fields to point at a later instruction */
	unsigned nfix;
};

static void put(struct seq *s, const u8 *b, unsigned n)
{
	memcpy(s->code + s->len, b, n);
	s->len += n;
}

/* REX.W/R/B + opcode(s) + ModRM for reg, with a memory or register operand. */
static void modrm_insn(struct seq *s, struct rng *r, bool w, const u8 *op, unsigned nop,
		       unsigned reg, bool mem_ok, bool write_mem)
{
	u8 b[16];
	unsigned n = 0, form = mem_ok ? rnd(r) % 5 : 0;
	unsigned rm = pick_dst(r);
	u8 rex = (u8)(0x40 | (w << 3) | ((reg >> 3) << 2));

	if (form == 4 && write_mem)
		form = 1; /* RIP-relative stores would hit the code page */
	switch (form) {
	case 0: /* register */
		rex |= (u8)(rm >> 3);
		b[n++] = rex;
		memcpy(b + n, op, nop);
		n += nop;
		b[n++] = (u8)(0xc0 | ((reg & 7) << 3) | (rm & 7));
		break;
	case 1: /* [rbx + disp8] */
	case 2: /* [rbp + disp8] */
		b[n++] = rex;
		memcpy(b + n, op, nop);
		n += nop;
		b[n++] = (u8)(0x40 | ((reg & 7) << 3) | (form == 1 ? 3 : 5));
		b[n++] = (u8)(rnd(r) % 0x78);
		break;
	case 3: /* [rbx + rsi*scale + disp8] */
		b[n++] = rex;
		memcpy(b + n, op, nop);
		n += nop;
		b[n++] = (u8)(0x44 | ((reg & 7) << 3));
		b[n++] = (u8)(((rnd(r) % 4) << 6) | (6 << 3) | 3);
		b[n++] = (u8)(rnd(r) % 0x40);
		break;
	default: { /* [rip + disp32]: into the sequence's own code, read only */
		s32 d = -(s32)(rnd(r) % 64);

		b[n++] = rex;
		memcpy(b + n, op, nop);
		n += nop;
		b[n++] = (u8)(0x05 | ((reg & 7) << 3));
		memcpy(b + n, &d, 4);
		n += 4;
		break;
	}
	}
	put(s, b, n);
}

static void gen_insn(struct seq *s, struct rng *r)
{
	static const u8 alu_ops[] = { 0x01, 0x03, 0x09, 0x0b, 0x21, 0x23, 0x29, 0x2b, 0x31, 0x33,
				      0x39, 0x3b, 0x85, 0x11, 0x19, 0x38, 0x3a };
	bool w = rnd(r) & 1;
	unsigned k = rnd(r) % 20;
	u8 op[2];

	s->starts[s->n++] = s->len;
	switch (k) {
	case 0: case 1: case 2: { /* ALU Ev,Gv / Gv,Ev (ADC/SBB too: no template) */
		u8 o = alu_ops[rnd(r) % sizeof(alu_ops)];
		bool to_mem = !(o & 2) && o != 0x39 && o != 0x85 && o != 0x38;

		op[0] = o;
		modrm_insn(s, r, w, op, 1, (o & 2) ? pick_dst(r) : pick_any(r), true, to_mem);
		break;
	}
	case 3: { /* group 1 with imm8 or imm32 on a register, CMP on memory */
		u8 o = rnd(r) & 1 ? 0x83 : 0x81;
		unsigned g = rnd(r) % 8;
		u8 b[16];
		unsigned n = 0, rm = pick_dst(r);

		if (rnd(r) % 3 == 0) {
			b[n++] = (u8)(0x40 | (w << 3));
			b[n++] = o;
			b[n++] = (u8)(0x40 | (7 << 3) | 3); /* cmp [rbx + d8], imm */
			b[n++] = (u8)(rnd(r) % 0x78);
		} else {
			b[n++] = (u8)(0x40 | (w << 3) | (rm >> 3));
			b[n++] = o;
			b[n++] = (u8)(0xc0 | (g << 3) | (rm & 7));
		}
		if (o == 0x83) {
			b[n++] = (u8)rnd(r);
		} else {
			u32 v = rnd(r) ^ (rnd(r) << 16);

			memcpy(b + n, &v, 4);
			n += 4;
		}
		put(s, b, n);
		break;
	}
	case 4: /* MOV Gv, Ev */
		op[0] = 0x8b;
		modrm_insn(s, r, w, op, 1, pick_dst(r), true, false);
		break;
	case 5: /* MOV Ev, Gv */
		op[0] = 0x89;
		modrm_insn(s, r, w, op, 1, pick_any(r), true, true);
		break;
	case 6: /* MOVZX / MOVSXD / LEA */
		switch (rnd(r) % 4) {
		case 0: op[0] = 0x0f; op[1] = 0xb6; modrm_insn(s, r, w, op, 2, pick_dst(r), true, false); break;
		case 1: op[0] = 0x0f; op[1] = 0xb7; modrm_insn(s, r, w, op, 2, pick_dst(r), true, false); break;
		case 2: op[0] = 0x63; modrm_insn(s, r, true, op, 1, pick_dst(r), true, false); break;
		default: {
			u8 b[4] = { (u8)(0x40 | (w << 3) | ((rnd(r) & 1) << 2)), 0x8d, 0, (u8)rnd(r) };
			unsigned reg = pick_dst(r);

			b[0] = (u8)(0x40 | (w << 3) | ((reg >> 3) << 2));
			b[2] = (u8)(0x40 | ((reg & 7) << 3) | 3);
			put(s, b, 4);
		}
		}
		break;
	case 7: { /* MOV r, imm */
		unsigned reg = pick_dst(r);
		u8 b[10] = { (u8)(0x40 | (w << 3) | (reg >> 3)), (u8)(0xb8 | (reg & 7)) };
		u64 v = ((u64)rnd(r) << 32) | rnd(r);

		memcpy(b + 2, &v, 8);
		put(s, b, w ? 10 : 6);
		break;
	}
	case 8: { /* MOV [mem], imm32 / imm8 */
		u8 b[8] = { (u8)(0x40 | (w << 3)), 0xc7, 0x43, (u8)(rnd(r) % 0x78) };
		u32 v = rnd(r);

		if (rnd(r) & 1) {
			b[1] = 0xc6;
			b[4] = (u8)v;
			put(s, b, 5);
		} else {
			memcpy(b + 4, &v, 4);
			put(s, b, 8);
		}
		break;
	}
	case 9: { /* PUSH r / POP r (pops into writable registers only) */
		unsigned reg = rnd(r) & 1 ? pick_any(r) : pick_dst(r);
		u8 b[2] = { (u8)(0x40 | (reg >> 3)), (u8)(((rnd(r) & 1) && reg != 4 && reg != 3 &&
							   reg != 5 && reg != 6 ? 0x58 : 0x50) |
							  (reg & 7)) };
		put(s, b, 2);
		break;
	}
	case 10: case 11: case 12: { /* Jcc rel8 forward to a later instruction */
		u8 b[2] = { (u8)(0x70 | (rnd(r) % 16)), 0 };

		if (s->nfix < 64) {
			s->fix[s->nfix].at = s->len + 1;
			s->fix[s->nfix].insn = s->n + 1 + rnd(r) % 4;
			s->nfix++;
		}
		put(s, b, 2);
		break;
	}
	case 13: { /* CMP/TEST then Jcc: fused in translation */
		u8 b[3] = { (u8)(0x48 | (w ? 0 : 0)), (u8)(rnd(r) & 1 ? 0x39 : 0x85),
			    (u8)(0xc0 | (pick_any(r) & 7) << 3 | (pick_any(r) & 7)) };

		b[0] = (u8)(0x40 | (w << 3));
		put(s, b, 3);
		s->starts[s->n++] = s->len;
		b[0] = (u8)(0x70 | (rnd(r) % 16));
		b[1] = 0;
		if (s->nfix < 64) {
			s->fix[s->nfix].at = s->len + 1;
			s->fix[s->nfix].insn = s->n + 1 + rnd(r) % 3;
			s->nfix++;
		}
		put(s, b, 2);
		break;
	}
	case 14: { /* shifts, rotates, IMUL, INC/DEC, SETcc, CMOVcc, BSWAP, MOVZX r8 */
		/* opcode bytes, length (REX included), 1 if the last byte is a random immediate */
		static const struct { u8 b[3], len, imm; } forms[] = {
			{ { 0xc1, 0xe0, 3 }, 4, 0 }, { { 0xd1, 0xe8 }, 3, 0 }, { { 0x0f, 0xaf, 0xc1 }, 4, 0 },
			{ { 0xff, 0xc0 }, 3, 0 }, { { 0x0f, 0x94, 0xc0 }, 4, 0 }, { { 0x0f, 0x45, 0xc1 }, 4, 0 },
			{ { 0xc1, 0xe8 }, 4, 1 }, { { 0xc1, 0xf8 }, 4, 1 }, { { 0xd1, 0xe0 }, 3, 0 },
			{ { 0xd1, 0xf8 }, 3, 0 }, { { 0xc1, 0xf0 }, 4, 1 }, { { 0xd3, 0xe0 }, 3, 0 },
			{ { 0xc1, 0xc0 }, 4, 1 }, { { 0xc1, 0xc8 }, 4, 1 }, { { 0xd1, 0xc0 }, 3, 0 },
			{ { 0xd1, 0xc8 }, 3, 0 }, { { 0x0f, 0xc8 }, 3, 0 }, { { 0x0f, 0x92, 0xc1 }, 4, 0 },
			{ { 0x0f, 0x43, 0xc2 }, 4, 0 }, { { 0x0f, 0xb6, 0xc3 }, 4, 0 }, { { 0x6b, 0xc0 }, 4, 1 },
			{ { 0x0f, 0x9f, 0xc7 }, 4, 0 }, { { 0x0f, 0x4c, 0xf9 }, 4, 0 }, { { 0xf7, 0xd0 }, 3, 0 },
		};
		unsigned f = rnd(r) % (sizeof(forms) / sizeof(forms[0]));
		u8 b[4] = { (u8)(0x40 | (w << 3)), forms[f].b[0], forms[f].b[1], forms[f].b[2] };

		if (forms[f].imm)
			b[3] = (u8)rnd(r);
		if (b[1] != 0x0f) { /* the register operated on: any writable one */
			unsigned rm = pick_dst(r);

			b[0] |= (u8)(rm >> 3);
			b[2] = (u8)((b[2] & 0xf8) | (rm & 7));
		}
		put(s, b, forms[f].len);
		break;
	}
	case 18: { /* read-modify-write on memory, LOCK or not: 01/09/21/29/31, 81/83, 80 */
		static const u8 ops[] = { 0x01, 0x09, 0x21, 0x29, 0x31, 0x11, 0x19 };
		u8 b[16];
		unsigned n = 0, form = rnd(r) % 3;

		if (rnd(r) & 1)
			b[n++] = 0xf0;
		if (form == 0) {
			b[n++] = (u8)(0x40 | (w << 3) | ((rnd(r) & 1) << 2));
			b[n++] = ops[rnd(r) % sizeof(ops)];
			b[n++] = (u8)(0x43 | ((rnd(r) % 8) << 3));
			b[n++] = (u8)(rnd(r) % 0x78);
		} else {
			u32 v = rnd(r);

			if (form == 1)
				b[n++] = (u8)(0x40 | (w << 3));
			b[n++] = form == 1 ? (rnd(r) & 1 ? 0x81 : 0x83) : 0x80;
			b[n++] = (u8)(0x43 | ((rnd(r) % 8) << 3));
			b[n++] = (u8)(rnd(r) % 0x78);
			if (form == 1 && b[n - 3] == 0x81) {
				memcpy(b + n, &v, 4);
				n += 4;
			} else {
				b[n++] = (u8)v;
			}
		}
		put(s, b, n);
		break;
	}
	case 19: { /* accumulator, immediate: 05..3D, A8/A9, 3C */
		static const u8 ops[] = { 0x05, 0x0d, 0x25, 0x2d, 0x35, 0x3d, 0xa9, 0x15 };
		u8 b[8];
		unsigned n = 0;
		u32 v = rnd(r);

		if (rnd(r) % 3 == 0) {
			b[n++] = rnd(r) & 1 ? 0x3c : 0xa8;
			b[n++] = (u8)v;
		} else {
			b[n++] = (u8)(0x40 | (w << 3));
			b[n++] = ops[rnd(r) % sizeof(ops)];
			memcpy(b + n, &v, 4);
			n += 4;
		}
		put(s, b, n);
		break;
	}
	case 16: case 17: { /* byte and immediate tests: TEST Eb/Ev,imm; TEST Eb,Gb; CMP Eb,imm; CMP Eb,Gb */
		u8 b[16];
		unsigned n = 0, rm = pick_any(r) & 7, reg = pick_any(r) & 7;
		u32 v = rnd(r);
		bool mem = rnd(r) & 1, rex = rnd(r) & 1;

		switch (rnd(r) % 5) {
		case 0: /* F7 /0 */
			b[n++] = (u8)(0x40 | (w << 3));
			b[n++] = 0xf7;
			b[n++] = mem ? 0x43 : (u8)(0xc0 | rm);
			if (mem)
				b[n++] = (u8)(rnd(r) % 0x78);
			memcpy(b + n, &v, 4);
			n += 4;
			break;
		case 1: /* F6 /0 (AH..BH without REX: the handler's business) */
			if (rex)
				b[n++] = 0x40;
			b[n++] = 0xf6;
			b[n++] = mem ? 0x43 : (u8)(0xc0 | rm);
			if (mem)
				b[n++] = (u8)(rnd(r) % 0x78);
			b[n++] = (u8)v;
			break;
		case 2: /* 84 /r */
			if (rex)
				b[n++] = 0x40;
			b[n++] = 0x84;
			b[n++] = (u8)(0xc0 | (reg << 3) | rm);
			break;
		case 3: /* 80 /7 on memory */
			b[n++] = 0x80;
			b[n++] = 0x7b;
			b[n++] = (u8)(rnd(r) % 0x78);
			b[n++] = (u8)v;
			break;
		default: /* 38 /r: CMP Eb, Gb (no template) */
			b[n++] = 0x38;
			b[n++] = (u8)(0xc0 | (reg << 3) | rm);
			break;
		}
		put(s, b, n);
		break;
	}
	case 15: if (rnd(r) & 1) { /* CALL a subroutine that RETs: call L; jmp over; L: op; ret; over: */
		u8 b[16] = { 0xe8, 2, 0, 0, 0, 0xeb, 0, 0x48, 0x01, 0xc8, 0xc3 }; /* add rax, rcx */

		b[6] = 4; /* jmp over the 4-byte body */
		put(s, b, 5);
		s->no_target[s->n] = true;
		s->starts[s->n++] = s->len;
		put(s, b + 5, 2);
		s->no_target[s->n] = true;
		s->starts[s->n++] = s->len;
		put(s, b + 7, 3);
		s->no_target[s->n] = true;
		s->starts[s->n++] = s->len;
		put(s, b + 10, 1);
		break;
	}
	/* fall through */
	default: { /* CALL to the next instruction, then POP: the stack path of CALL */
		u8 b[8] = { 0xe8, 0, 0, 0, 0, 0x41, 0x58 | 1 }; /* call +0; pop r9 */

		put(s, b, 5);
		s->starts[s->n++] = s->len;
		put(s, b + 5, 2);
		break;
	}
	}
}

static void gen_seq(struct seq *s, struct rng *r, unsigned count)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < count; i++)
		gen_insn(s, r);
	s->starts[s->n] = s->len; /* the HLT */
	for (unsigned i = 0; i < s->nfix; i++) {
		unsigned to = s->fix[i].insn > s->n ? s->n : s->fix[i].insn;
		int rel;

		while (to < s->n && s->no_target[to])
			to++;
		rel = (int)s->starts[to] - (int)(s->fix[i].at + 1);

		s->code[s->fix[i].at] = (u8)(rel > 127 ? 0 : rel);
	}
	s->code[s->len++] = 0xf4;
}

static void init_machine(struct cpu_harness *h, const struct seq *s, u64 seed, bool jit)
{
	struct rng r = { seed };
	u8 *data = harness_ptr(h, DATA);

	x86_cpu_set_jit(h->cpu, jit);
	for (unsigned i = 0; i < DATA_LEN; i++)
		data[i] = (u8)rnd(&r);
	harness_load(h, s->code, s->len);
	for (int i = 0; i < 16; i++)
		h->cpu->gpr[i] = ((u64)rnd(&r) << 32) | rnd(&r);
	h->cpu->gpr[GPR_RBX] = DATA + 0xf80;            /* [rbx + d8] crosses into page 2 */
	h->cpu->gpr[GPR_RBP] = DATA + 0x1f90;           /* and into page 3 */
	h->cpu->gpr[GPR_RSI] = rnd(&r) % 16;
	h->cpu->gpr[GPR_RSP] = HARNESS_STACK;
	h->cpu->rflags = 0x2 | (rnd(&r) & 0x8d5);      /* random CF PF AF ZF SF OF */
}

static void compare(struct cpu_harness *a, struct cpu_harness *b, unsigned round)
{
	for (int i = 0; i < 16; i++) {
		if (a->cpu->gpr[i] != b->cpu->gpr[i])
			fail_msg("round %u: gpr %d jit %llx interp %llx", round, i,
				 (unsigned long long)a->cpu->gpr[i], (unsigned long long)b->cpu->gpr[i]);
	}
	if (a->cpu->rip != b->cpu->rip)
		fail_msg("round %u: rip jit %llx interp %llx", round, (unsigned long long)a->cpu->rip,
			 (unsigned long long)b->cpu->rip);
	if ((x86_get_rflags(a->cpu) & 0x8d5) != (x86_get_rflags(b->cpu) & 0x8d5))
		fail_msg("round %u: rflags jit %llx interp %llx", round,
			 (unsigned long long)x86_get_rflags(a->cpu), (unsigned long long)x86_get_rflags(b->cpu));
	if (memcmp(harness_ptr(a, DATA), harness_ptr(b, DATA), DATA_LEN))
		fail_msg("round %u: data pages differ", round);
	if (memcmp(harness_ptr(a, HARNESS_STACK - 0x400), harness_ptr(b, HARNESS_STACK - 0x400), 0x400))
		fail_msg("round %u: stack differs", round);
	assert_int_equal(harness_exception(a), harness_exception(b));
}

/* Both machines must halt; on a failure the code is printed for a rerun under a disassembler. */
static void run_pair(struct cpu_harness *a, struct cpu_harness *b, const struct seq *s,
		     unsigned round)
{
	enum x86_exit ea = harness_run(a), eb = harness_run(b);

	if (ea != X86_EXIT_HALT || eb != X86_EXIT_HALT) {
		print_message("round %u: exit jit %d interp %d; code:", round, ea, eb);
		for (unsigned i = 0; i < s->len; i++)
			print_message(" %02x", s->code[i]);
		print_message("\n");
		fail();
	}
	compare(a, b, round);
}

static void test_jit_random_sequences(void **state)
{
	struct cpu_harness *a = harness_create(), *b = harness_create();
	static struct seq s;
	struct rng r = { 12345 };

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (unsigned round = 0; round < 3000; round++) {
		u64 seed = rnd(&r);

		gen_seq(&s, &r, 4 + rnd(&r) % 40);
		init_machine(a, &s, seed, true);
		init_machine(b, &s, seed, false);
		run_pair(a, b, &s, round);
		/* Run the same code again: now from translated blocks and warm TLB entries. */
		init_machine(a, &s, seed, true);
		init_machine(b, &s, seed, false);
		run_pair(a, b, &s, round);
	}
	harness_destroy(a);
	harness_destroy(b);
}

/* Run code with translation and interpreting; both must agree (compare() semantics). */
static void run_both(const u8 *code, unsigned len, void (*prep)(struct cpu_harness *h))
{
	struct cpu_harness *a = harness_create(), *b = harness_create();
	struct cpu_harness *hs[2] = { a, b };
	struct seq s = { .len = len };

	memcpy(s.code, code, len);
	for (int i = 0; i < 2; i++) {
		init_machine(hs[i], &s, 99, i == 0);
		if (prep)
			prep(hs[i]);
		assert_int_equal(harness_run(hs[i]), X86_EXIT_HALT);
	}
	compare(a, b, 0);
	harness_destroy(a);
	harness_destroy(b);
}

static void prep_segbases(struct cpu_harness *h)
{
	h->cpu->seg[SEG_GS].base = DATA + 0x100;
	h->cpu->seg[SEG_FS].base = DATA + 0x800;
}

/* FS/GS-relative loads and stores add the segment base (per-CPU data, TLS). */
static void test_jit_fs_gs(void **state)
{
	/* mov rax, gs:[0x28]; mov rcx, fs:[rbx-0xf80+8]; mov gs:[0x40], rcx; add rdx, fs:[0x10]; hlt */
	static const u8 code[] = { 0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0,
				   0x64, 0x48, 0x8b, 0x8b, 0x88, 0xf0, 0xff, 0xff,
				   0x65, 0x48, 0x89, 0x0c, 0x25, 0x40, 0, 0, 0,
				   0x64, 0x48, 0x03, 0x14, 0x25, 0x10, 0, 0, 0, 0xf4 };

	(void)state;
	run_both(code, sizeof(code), prep_segbases);
}

/* A store into the rest of the running block: the rewritten bytes are what runs. */
static void test_jit_self_modifying_block(void **state)
{
	/* lea rdi, [rip + 6]; mov dword [rdi], 0x90909090; inc eax; inc eax (become NOPs); hlt */
	static const u8 code[] = { 0x48, 0x8d, 0x3d, 0x06, 0, 0, 0, 0xc7, 0x07, 0x90, 0x90, 0x90, 0x90,
				   0xff, 0xc0, 0xff, 0xc0, 0xf4 };
	struct cpu_harness *h = harness_create();

	(void)state;
	run_both(code, sizeof(code), NULL);
	assert_non_null(h);
	x86_cpu_set_jit(h->cpu, true);
	harness_load(h, code, sizeof(code));
	h->cpu->gpr[GPR_RAX] = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 0); /* the INCs were overwritten before they ran */
	harness_destroy(h);
}

/*
 * A branch to the byte just before its block's first byte (offset -1 from
 * the block's RIP): python3's _PyWideStringList code has `ret` there. The
 * exit once took -1 for "leave cpu->rip as it is" and re-ran the block
 * forever. Once with the flags live from CMP (host Jcc), once after a MOV
 * (the flags come from the lazy record), once as a JMP.
 */
static void test_jit_branch_before_block(void **state)
{
	/* xor eax, eax; jmp +1; hlt; L: inc eax; cmp eax, 5; jae L-1; jmp L */
	static const u8 live[] = { 0x31, 0xc0, 0xeb, 0x01, 0xf4, 0xff, 0xc0, 0x83, 0xf8, 0x05,
				   0x73, 0xf8, 0xeb, 0xf7 };
	/* the same with mov ecx, eax between CMP and JAE */
	static const u8 lazy[] = { 0x31, 0xc0, 0xeb, 0x01, 0xf4, 0xff, 0xc0, 0x83, 0xf8, 0x05,
				   0x89, 0xc1, 0x73, 0xf6, 0xeb, 0xf5 };
	/* xor eax, eax; jmp +1; hlt; L: inc eax; jmp L-1 */
	static const u8 jmp[] = { 0x31, 0xc0, 0xeb, 0x01, 0xf4, 0xff, 0xc0, 0xeb, 0xfb };

	(void)state;
	run_both(live, sizeof(live), NULL);
	run_both(lazy, sizeof(lazy), NULL);
	run_both(jmp, sizeof(jmp), NULL);
}

#define UNMAPPED (DATA + 0x10000)

static void prep_unmapped(struct cpu_harness *h)
{
	harness_unmap(h, UNMAPPED);
	h->cpu->gpr[GPR_RBP] = UNMAPPED;
}

/* A #PF in the middle of a translated block: reported at that instruction, earlier work kept. */
static void test_jit_fault_mid_block(void **state)
{
	/* mov eax, 1; mov rdx, [rbp + 0x40]; mov eax, 2; hlt */
	static const u8 code[] = { 0xb8, 1, 0, 0, 0, 0x48, 0x8b, 0x55, 0x40, 0xb8, 2, 0, 0, 0, 0xf4 };
	struct cpu_harness *h = harness_create();

	(void)state;
	run_both(code, sizeof(code), prep_unmapped);
	assert_non_null(h);
	harness_load(h, code, sizeof(code));
	prep_unmapped(h);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_PF);
	assert_int_equal(h->exc_rip, HARNESS_CODE + 5);
	assert_int_equal(h->cpu->gpr[GPR_RAX] & 0xffffffff, 1);
	harness_destroy(h);
}

/*
 * Flags a later instruction of the block overwrites are not computed, but a
 * fault before that instruction shows them: ADD's flags reach the #PF here,
 * a rotate's CF/OF too; the SUB and XOR after never run.
 */
static void test_jit_dead_flags_fault(void **state)
{
	/* add eax, ecx; mov rdx, [rbp + 0x40]; sub eax, eax; hlt */
	static const u8 alu[] = { 0x01, 0xc8, 0x48, 0x8b, 0x55, 0x40, 0x29, 0xc0, 0xf4 };
	/* xor eax, ecx; ror eax, 7; mov rdx, [rbp + 0x40]; xor eax, eax; hlt */
	static const u8 rot[] = { 0x31, 0xc8, 0xc1, 0xc8, 0x07, 0x48, 0x8b, 0x55, 0x40, 0x31, 0xc0, 0xf4 };

	(void)state;
	run_both(alu, sizeof(alu), prep_unmapped);
	run_both(rot, sizeof(rot), prep_unmapped);
}

/* MOV r, imm32 (C7 /0, sign-extended with REX.W) between a CMP and the SETcc reading it. */
static void test_jit_mov_imm_not(void **state)
{
	/* cmp eax, edx; mov rcx, -2; mov r9d, 0x80000001; not r9d; setl al; not rdx; hlt */
	static const u8 code[] = { 0x39, 0xd0, 0x48, 0xc7, 0xc1, 0xfe, 0xff, 0xff, 0xff,
				   0x41, 0xc7, 0xc1, 0x01, 0x00, 0x00, 0x80, 0x41, 0xf7, 0xd1,
				   0x0f, 0x9c, 0xc0, 0x48, 0xf7, 0xd2, 0xf4 };

	(void)state;
	run_both(code, sizeof(code), NULL);
}

/* MOVZX, CMP and SETcc on AH..BH (no REX): byte 1 of rAX..rBX. */
static void test_jit_high_byte_regs(void **state)
{
	/* movzx eax, ch; cmp edx, edi; setb dh; setg bl; movzx r9d, sil; cmp ch, ah; seta cl; hlt */
	static const u8 code[] = { 0x0f, 0xb6, 0xc5, 0x39, 0xfa, 0x0f, 0x92, 0xc6, 0x0f, 0x9f, 0xc3,
				   0x44, 0x0f, 0xb6, 0xce, 0x38, 0xe5, 0x0f, 0x97, 0xc1, 0xf4 };

	(void)state;
	run_both(code, sizeof(code), NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jit_random_sequences),
		cmocka_unit_test(test_jit_fs_gs),
		cmocka_unit_test(test_jit_self_modifying_block),
		cmocka_unit_test(test_jit_fault_mid_block),
		cmocka_unit_test(test_jit_branch_before_block),
		cmocka_unit_test(test_jit_dead_flags_fault),
		cmocka_unit_test(test_jit_high_byte_regs),
		cmocka_unit_test(test_jit_mov_imm_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
