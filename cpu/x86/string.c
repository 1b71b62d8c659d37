/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS (A4-AF) with REP,
 * REPE and REPNE.
 *
 * rSI/rDI/rCX are as wide as the address size; the source segment is
 * DS or the override, the destination always ES. A REP loop updates its
 * registers after every element, so a fault in the middle restarts where it
 * stopped. One call executes a bounded amount of work; if rCX is not yet
 * zero it leaves next_rip at the instruction itself, so the run loop can
 * take interrupts and then executes it again.
 *
 * Fast path: forward REP MOVS and REP STOS on RAM move whole chunks (up to
 * the next page boundary of either side) with x86_read_bytes() and
 * x86_write_bytes(). A chunk never spans a page, so it faults exactly where
 * the first element of it would; overlapping MOVS operands are chunked no
 * larger than their distance, so a forward copy onto itself (the classic
 * pattern-fill trick) keeps its element-by-element meaning. MMIO, DF=1,
 * segment limits other than 4 GiB, and page-straddling elements take the
 * element path.
 *
 * References: Intel SDM Vol. 2A (CMPS, LODS), 2B (MOVS, REP/REPE/REPNE,
 * SCAS, STOS); Vol. 1 7.3.9 (string operations).
 */
#include <string.h>

#include "cpu/x86/int_ops.h"

#define STR_BUDGET 4096      /* work units per call: one per element */
#define STR_CHUNK_COST 16    /* units charged for one bulk chunk (<= 4 KiB) */
#define STR_PAGE 4096u

struct str_op {
	unsigned size;   /* element size */
	unsigned as;     /* address size */
	s64 step;        /* +size or -size */
	int seg;         /* source segment */
	bool rep;
	bool repne;      /* CMPS/SCAS: stop on equal rather than on not-equal */
};

static void str_setup(struct x86_cpu *cpu, const struct x86_insn *in, struct str_op *s)
{
	int_no_lock(cpu, in);
	s->size = (in->opcode & 1) ? in->opsize : 1;
	s->as = in->addrsize;
	s->step = (cpu->rflags & X86_DF) ? -(s64)s->size : (s64)s->size;
	s->seg = in->seg;
	s->rep = (in->prefix & (X86_PFX_REP | X86_PFX_REPNE)) != 0;
	s->repne = (in->prefix & X86_PFX_REPNE) &&
		   (!(in->prefix & X86_PFX_REP) || in->mp == X86_MP_F2);
}

static inline u64 areg(const struct x86_cpu *cpu, unsigned r, unsigned as)
{
	return x86_trunc(cpu->gpr[r], as);
}

static inline void advance(struct x86_cpu *cpu, unsigned r, const struct str_op *s, s64 delta)
{
	int_set_wide(cpu, r, s->as, cpu->gpr[r] + (u64)delta);
}

/* rCX - 1, stored; returns the new count. */
static inline u64 count_down(struct x86_cpu *cpu, const struct str_op *s, u64 n)
{
	u64 c = areg(cpu, GPR_RCX, s->as) - n;

	int_set_wide(cpu, GPR_RCX, s->as, c);
	return x86_trunc(c, s->as);
}

/* ---- bulk path ---- */

/*
 * Bytes from seg:off to the end of its page if that page is RAM accessible
 * for `acc`, else 0. Only for flat segments (64-bit mode or a 4 GiB limit),
 * where segment checks cannot fail part-way through a page.
 */
static u64 ram_run(struct x86_cpu *cpu, int seg, u64 off, const struct str_op *s,
		   enum x86_access acc, u64 *linear)
{
	const struct seg_reg *sr = &cpu->seg[seg];
	u64 lin, gpa, n;

	if (x86_long64(cpu)) {
		lin = off + ((seg == SEG_FS || seg == SEG_GS) ? sr->base : 0);
	} else {
		if (sr->limit != 0xffffffffu)
			return 0;
		lin = (u32)(sr->base + off);
	}
	if (!x86_translate_probe(cpu, lin, acc, cpu->cpl == 3, &gpa) ||
	    !cpu->bus.ram_page || !cpu->bus.ram_page(cpu->bus.opaque, gpa))
		return 0;
	n = STR_PAGE - (lin & (STR_PAGE - 1));
	/* The offset register wraps at the address size. */
	if (s->as < 8 && n > x86_trunc(-off, s->as) && x86_trunc(-off, s->as) != 0)
		n = x86_trunc(-off, s->as);
	*linear = lin;
	return n;
}

/* Whole elements a forward chunk may cover: 0 when the element path must be used. */
static u64 chunk_len(const struct str_op *s, u64 count, u64 n)
{
	u64 max = (STR_PAGE / s->size) * s->size;

	if (n > max)
		n = max;
	if (count < n / s->size)
		n = count * s->size;
	return n - n % s->size;
}

static u64 movs_chunk(struct x86_cpu *cpu, const struct str_op *s, u64 si, u64 di, u64 count)
{
	u8 buf[STR_PAGE];
	u64 ls, ld, ns, nd, n;

	ns = ram_run(cpu, s->seg, si, s, X86_ACC_READ, &ls);
	if (!ns)
		return 0;
	nd = ram_run(cpu, SEG_ES, di, s, X86_ACC_WRITE, &ld);
	if (!nd)
		return 0;
	n = ns < nd ? ns : nd;
	/* Destination just above the source: copy no more than their distance. */
	if (ld > ls && ld - ls < n)
		n = ld - ls;
	n = chunk_len(s, count, n);
	if (!n)
		return 0;
	x86_read_bytes(cpu, s->seg, si, buf, (unsigned)n);
	x86_write_bytes(cpu, SEG_ES, di, buf, (unsigned)n);
	return n;
}

static u64 stos_chunk(struct x86_cpu *cpu, const struct str_op *s, u64 di, u64 count)
{
	u8 buf[STR_PAGE];
	u64 ld, n, i, len, v = cpu->gpr[GPR_RAX];

	n = chunk_len(s, count, ram_run(cpu, SEG_ES, di, s, X86_ACC_WRITE, &ld));
	if (!n)
		return 0;
	if (s->size == 1) {
		memset(buf, (u8)v, n);
	} else {
		/* Replicate the element, doubling the filled prefix (little-endian host). */
		memcpy(buf, &v, s->size);
		for (i = s->size; i < n; i += len) {
			len = i < n - i ? i : n - i;
			memcpy(buf + i, buf, len);
		}
	}
	x86_write_bytes(cpu, SEG_ES, di, buf, (unsigned)n);
	return n;
}

/* ---- the instructions ---- */

static void op_movs(struct x86_cpu *cpu, const struct x86_insn *in)
{
	struct str_op s;
	int budget = STR_BUDGET;
	u64 count;

	str_setup(cpu, in, &s);
	if (!s.rep) {
		u64 v = x86_read(cpu, s.seg, areg(cpu, GPR_RSI, s.as), s.size);

		x86_write(cpu, SEG_ES, areg(cpu, GPR_RDI, s.as), s.size, v);
		advance(cpu, GPR_RSI, &s, s.step);
		advance(cpu, GPR_RDI, &s, s.step);
		return;
	}
	count = areg(cpu, GPR_RCX, s.as);
	while (count) {
		u64 si = areg(cpu, GPR_RSI, s.as), di = areg(cpu, GPR_RDI, s.as), n = 0;

		if (budget <= 0) {
			cpu->next_rip = cpu->rip;
			return;
		}
		if (s.step > 0 && count > 1)
			n = movs_chunk(cpu, &s, si, di, count);
		if (n) {
			advance(cpu, GPR_RSI, &s, (s64)n);
			advance(cpu, GPR_RDI, &s, (s64)n);
			count = count_down(cpu, &s, n / s.size);
			budget -= STR_CHUNK_COST;
		} else {
			u64 v = x86_read(cpu, s.seg, si, s.size);

			x86_write(cpu, SEG_ES, di, s.size, v);
			advance(cpu, GPR_RSI, &s, s.step);
			advance(cpu, GPR_RDI, &s, s.step);
			count = count_down(cpu, &s, 1);
			budget--;
		}
	}
}

static void op_stos(struct x86_cpu *cpu, const struct x86_insn *in)
{
	struct str_op s;
	int budget = STR_BUDGET;
	u64 count, v;

	str_setup(cpu, in, &s);
	v = x86_trunc(cpu->gpr[GPR_RAX], s.size);
	if (!s.rep) {
		x86_write(cpu, SEG_ES, areg(cpu, GPR_RDI, s.as), s.size, v);
		advance(cpu, GPR_RDI, &s, s.step);
		return;
	}
	count = areg(cpu, GPR_RCX, s.as);
	while (count) {
		u64 di = areg(cpu, GPR_RDI, s.as), n = 0;

		if (budget <= 0) {
			cpu->next_rip = cpu->rip;
			return;
		}
		if (s.step > 0 && count > 1)
			n = stos_chunk(cpu, &s, di, count);
		if (n) {
			advance(cpu, GPR_RDI, &s, (s64)n);
			count = count_down(cpu, &s, n / s.size);
			budget -= STR_CHUNK_COST;
		} else {
			x86_write(cpu, SEG_ES, di, s.size, v);
			advance(cpu, GPR_RDI, &s, s.step);
			count = count_down(cpu, &s, 1);
			budget--;
		}
	}
}

static void op_lods(struct x86_cpu *cpu, const struct x86_insn *in)
{
	struct str_op s;
	int budget = STR_BUDGET;
	u64 count;

	str_setup(cpu, in, &s);
	count = s.rep ? areg(cpu, GPR_RCX, s.as) : 1;
	while (count) {
		u64 v;

		if (budget-- <= 0) {
			cpu->next_rip = cpu->rip;
			return;
		}
		v = x86_read(cpu, s.seg, areg(cpu, GPR_RSI, s.as), s.size);
		if (s.size == 1)
			x86_set_reg8(cpu, false, GPR_RAX, (u8)v);
		else
			x86_set_reg(cpu, in, GPR_RAX, s.size, v);
		advance(cpu, GPR_RSI, &s, s.step);
		count = s.rep ? count_down(cpu, &s, 1) : 0;
	}
}

/* CMPS (both operands in memory) and SCAS (accumulator against ES:rDI). */
static void compare_loop(struct x86_cpu *cpu, const struct x86_insn *in, bool cmps)
{
	struct str_op s;
	int budget = STR_BUDGET;
	u64 count;

	str_setup(cpu, in, &s);
	count = s.rep ? areg(cpu, GPR_RCX, s.as) : 1;
	while (count) {
		u64 a, b;

		if (budget-- <= 0) {
			cpu->next_rip = cpu->rip;
			return;
		}
		if (cmps)
			a = x86_read(cpu, s.seg, areg(cpu, GPR_RSI, s.as), s.size);
		else
			a = x86_trunc(cpu->gpr[GPR_RAX], s.size);
		b = x86_read(cpu, SEG_ES, areg(cpu, GPR_RDI, s.as), s.size);
		if (cmps)
			advance(cpu, GPR_RSI, &s, s.step);
		advance(cpu, GPR_RDI, &s, s.step);
		x86_lazy(cpu, X86_LF_SUB, s.size, x86_trunc(a - b, s.size), a, b);
		if (!s.rep)
			return;
		count = count_down(cpu, &s, 1);
		if ((a == b) == s.repne)
			return;
	}
}

static void op_cmps(struct x86_cpu *cpu, const struct x86_insn *in)
{
	compare_loop(cpu, in, true);
}

static void op_scas(struct x86_cpu *cpu, const struct x86_insn *in)
{
	compare_loop(cpu, in, false);
}

void x86_register_string(struct x86_optable *t)
{
	x86_optable_set(t, X86_MAP_1B, 0xa4, op_movs);
	x86_optable_set(t, X86_MAP_1B, 0xa5, op_movs);
	x86_optable_set(t, X86_MAP_1B, 0xa6, op_cmps);
	x86_optable_set(t, X86_MAP_1B, 0xa7, op_cmps);
	x86_optable_set(t, X86_MAP_1B, 0xaa, op_stos);
	x86_optable_set(t, X86_MAP_1B, 0xab, op_stos);
	x86_optable_set(t, X86_MAP_1B, 0xac, op_lods);
	x86_optable_set(t, X86_MAP_1B, 0xad, op_lods);
	x86_optable_set(t, X86_MAP_1B, 0xae, op_scas);
	x86_optable_set(t, X86_MAP_1B, 0xaf, op_scas);
}
