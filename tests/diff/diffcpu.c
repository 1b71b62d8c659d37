/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diffcpu: differential test of hover's software CPU against Unicorn, with
 * instruction lengths checked against Capstone.
 *
 *   diffcpu [--mode 16|16p|32|64] [--seed N] [--count N] [--only [MP:]OPCODE] [--case N]
 *           [--jobs N] [-v]
 *
 * --mode picks 64-bit mode (the default), 32-bit protected mode (flat
 * segments, PAE paging on hover), 16-bit protected mode (16p: 16-bit code
 * and stack segments from a GDT both engines share) or real mode (16), run
 * by Unicorn as UC_MODE_64, UC_MODE_32 or UC_MODE_16; diff.h describes each
 * mode's memory windows.
 *
 * Case n of seed s targets slot n mod (number of slots) of hover's dispatch
 * table (gen.c), so every --count above the slot count exercises every
 * generated slot. Each case runs on both engines from the same state; the
 * results must agree in every GPR, RIP, RFLAGS (less the flags Intel SDM
 * Vol. 2 leaves undefined for the instruction), XMM registers, MXCSR, the x87
 * control/status/tag words and non-empty registers, both memory windows, and
 * the exception vector (and CR2 for #PF). Known Unicorn errors are handled
 * by the rules of deviations.md, each marked "deviation:" below.
 *
 * A divergence prints the seed, the case number, the bytes, Capstone's
 * disassembly and the first differing field, and how to rerun that case
 * alone; so does a case that aborts an engine (the job then goes on with
 * its next case). Slots the generator leaves out (system instructions,
 * port I/O, far transfers...) are listed with the unit test or payload
 * check that exercises each (gen.c's elsewhere table); one whose test is
 * gone is UNCOVERED. The last line accounts for every slot of the table:
 * "coverage N/N generated slots ... + N/N slots tested elsewhere = N/N".
 * The exit status is 0 only with no divergence, no abort and no uncovered
 * slot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define x86_insn capstone_x86_insn
#include <capstone/capstone.h>
#undef x86_insn

#include "cpu/x86/insn.h"
#include "tests/diff/diff.h"

#define MAX_SLOTS 4096
#define MAX_JOBS 64
#define FL_ARITH 0x8d5ULL

struct shared {
	u64 cases, divergences, decoder, skipped, aborted;
	u64 current[MAX_JOBS]; /* case each job is running: named if the job dies */
	u8 covered[MAX_SLOTS];
};

struct opts {
	int mode; /* DIFF_MODE16/32/64 */
	u64 seed, count, one_case, from;
	bool have_case, verbose;
	int only_map, only_op, only_mp; /* -1: any */
	unsigned jobs;
};

static struct diff_slot slots[MAX_SLOTS];
static unsigned target_mem_size; /* Capstone's memory operand size of the current target */
static bool target_cs_valid;
static unsigned nslots;
static unsigned run_idx[MAX_SLOTS]; /* slots the generator produces */
static unsigned nrun;

static csh cs;

/* ---- what the SDM leaves undefined ---- */

static unsigned target_count(const struct diff_case *c, const struct x86_insn *in)
{
	const u8 *b = c->code + c->insn[c->ninsn - 1].off;
	unsigned len = c->insn[c->ninsn - 1].len;
	unsigned mask = in->opsize == 8 ? 63 : 31;
	int op = c->opcode;

	if (c->map == X86_MAP_1B && (op == 0xd0 || op == 0xd1))
		return 1;
	if (c->map == X86_MAP_1B && (op == 0xd2 || op == 0xd3))
		return (unsigned)c->init.gpr[GPR_RCX] & mask;
	if (c->map == X86_MAP_0F && (op == 0xa5 || op == 0xad))
		return (unsigned)c->init.gpr[GPR_RCX] & mask;
	return b[len - 1] & mask;
}

static unsigned target_size(const struct diff_case *c, const struct x86_insn *in)
{
	if (c->map == X86_MAP_1B && !(c->opcode & 1) && c->opcode >= 0xc0 && c->opcode <= 0xd3)
		return 1;
	return in->opsize;
}

static u64 undef_flags(unsigned id, const struct diff_case *c, const struct x86_insn *in)
{
	unsigned n, w;
	static const unsigned grp2[8] = { X86_INS_ROL, X86_INS_ROR, X86_INS_RCL, X86_INS_RCR,
					  X86_INS_SHL, X86_INS_SHR, X86_INS_SAL, X86_INS_SAR };

	/* Group 2 by its opcode: Capstone names some prefixed forms differently. */
	if (c->map == X86_MAP_1B && ((c->opcode >= 0xd0 && c->opcode <= 0xd3) ||
				     c->opcode == 0xc0 || c->opcode == 0xc1))
		id = grp2[in->reg & 7];

	switch (id) {
	case X86_INS_MUL: case X86_INS_IMUL:
		return X86_SF | X86_ZF | X86_AF | X86_PF;
	case X86_INS_DIV: case X86_INS_IDIV:
		return FL_ARITH;
	case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_TEST:
		return X86_AF;
	case X86_INS_BT: case X86_INS_BTS: case X86_INS_BTR: case X86_INS_BTC:
		return X86_OF | X86_SF | X86_AF | X86_PF;
	case X86_INS_BSF: case X86_INS_BSR:
		return X86_CF | X86_OF | X86_SF | X86_AF | X86_PF;
	case X86_INS_LZCNT: case X86_INS_TZCNT:
		return X86_OF | X86_SF | X86_AF | X86_PF;
	case X86_INS_SHL: case X86_INS_SAL: case X86_INS_SHR: case X86_INS_SAR:
		n = target_count(c, in);
		w = 8 * target_size(c, in);
		if (!n)
			return 0;
		return X86_AF | (n > 1 ? X86_OF : 0) |
		       (n >= w && id != X86_INS_SAR ? X86_CF | X86_OF : 0);
	case X86_INS_ROL: case X86_INS_ROR: case X86_INS_RCL: case X86_INS_RCR:
		n = target_count(c, in);
		return n > 1 ? X86_OF : 0;
	case X86_INS_FCOMI: case X86_INS_FCOMIP: case X86_INS_FUCOMI: case X86_INS_FUCOMIP:
		/* deviation: they clear OF, SF and AF; QEMU 5.0 leaves them. */
		return X86_OF | X86_SF | X86_AF;
	case X86_INS_SHLD: case X86_INS_SHRD:
		n = target_count(c, in);
		if (!n)
			return 0;
		return X86_AF | (n > 1 ? X86_OF : 0) | (n > 8 * in->opsize ? FL_ARITH : 0);
	}
	return 0;
}

static bool f32nan(u32 v) { return (v & 0x7fffffffu) > 0x7f800000u; }
static bool f64nan(u64 v) { return (v & ~(1ULL << 63)) > 0x7ff0000000000000ULL; }

static bool is_x87(const struct diff_case *c)
{
	return c->map == X86_MAP_1B && c->opcode >= 0xd8 && c->opcode <= 0xdf;
}

/*
 * deviation: Unicorn (QEMU 5.0) computes these through the host's double
 * precision libm, so their results and PE/UE flags are not the hardware's;
 * hover's values are checked against the host FPU in test_cpu_x87.c.
 */
static bool x87_inexact_in_unicorn(unsigned id)
{
	switch (id) {
	case X86_INS_FSIN: case X86_INS_FCOS: case X86_INS_FSINCOS: case X86_INS_FPTAN:
	case X86_INS_FPATAN: case X86_INS_F2XM1: case X86_INS_FYL2X: case X86_INS_FYL2XP1:
	case X86_INS_FPREM: case X86_INS_FPREM1: case X86_INS_FXTRACT: case X86_INS_FSCALE:
		return true;
	}
	return false;
}

/*
 * Instructions that evaluate the arithmetic flags before their memory
 * access: SETcc m8, CMOVcc, ADC/SBB with a memory operand, PUSHF.
 */
static bool reads_flags(const struct diff_case *c, const struct x86_insn *in)
{
	int op = c->opcode;

	if (c->map == X86_MAP_0F)
		return (op >= 0x40 && op <= 0x4f) || (op >= 0x90 && op <= 0x9f);
	if (c->map != X86_MAP_1B)
		return false;
	return (op >= 0x10 && op <= 0x13) || (op >= 0x18 && op <= 0x1b) || op == 0x9c ||
	       (op >= 0x80 && op <= 0x83 && ((in->reg & 7) == 2 || (in->reg & 7) == 3));
}

/* FSW bits compared after an x87 instruction: C0-C3 are undefined for most. */
static u16 fsw_mask(unsigned id, const struct diff_case *c)
{
	u16 m = 0xffff;

	if (!is_x87(c))
		return m;
	switch (id) {
	case X86_INS_FCOM: case X86_INS_FCOMP: case X86_INS_FCOMPP: case X86_INS_FUCOM:
	case X86_INS_FUCOMP: case X86_INS_FUCOMPP: case X86_INS_FICOM: case X86_INS_FICOMP:
	case X86_INS_FTST: case X86_INS_FXAM: case X86_INS_FLDENV: case X86_INS_FRSTOR:
	case X86_INS_FNINIT:
		return m;
	}
	return m & (u16)~0x4700; /* C0 C1 C2 C3 */
}

/* ---- comparison ---- */

/* Every differing lane is a NaN on both sides. */
static bool xmm_nan_only(const u8 (*a)[16], const u8 (*b)[16], bool dbl)
{
	for (int r = 0; r < 16; r++)
		for (int k = 0; k < 16; k += dbl ? 8 : 4) {
			u64 x = 0, y = 0;

			memcpy(&x, a[r] + k, dbl ? 8 : 4);
			memcpy(&y, b[r] + k, dbl ? 8 : 4);
			if (x == y)
				continue;
			if (dbl ? !(f64nan(x) && f64nan(y)) : !(f32nan((u32)x) && f32nan((u32)y)))
				return false;
		}
	return true;
}

static char why[512];

/* The --mode argument that selects `mode`. */
static const char *mode_arg(int mode)
{
	return mode == DIFF_MODE16P ? "16p" : mode == DIFF_MODE16 ? "16" : mode == DIFF_MODE32 ? "32" : "64";
}

static bool differs(const struct diff_case *c, const struct x86_insn *in, unsigned id,
		    const struct diff_result *h, const struct diff_result *u)
{
	const struct diff_state *a = &h->st, *b = &u->st;
	static const char *const gname[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	u64 fmask = 0x3f7fd5ULL & ~X86_RF & ~(c->ninsn ? undef_flags(id, c, in) : 0);
	u16 swm = fsw_mask(id, c);
	/*
	 * deviation: QEMU 5.0's x87 neither detects stack underflow/overflow
	 * (IE+SF, the masked response's QNaN indefinite) nor reports the
	 * soft-float exceptions PE/UE/OE/DE in FSW. Those bits are not compared;
	 * after a stack fault in hover the register values are not either.
	 */
	bool x87_stack_fault = is_x87(c) && (a->fsw & 0x40) && !(c->init.fsw & 0x40);
	bool x87_values = !(is_x87(c) && (x87_inexact_in_unicorn(id) || x87_stack_fault));
	/*
	 * deviation: FLDPI, FLDL2E, FLDL2T, FLDLG2, FLDLN2 round their constant
	 * by FCW.RC (since the 487); QEMU 5.0 always rounds to nearest.
	 */
	if (c->map == X86_MAP_1B && c->opcode == 0xd9 && in->mod == 3 && (in->reg & 7) == 5 &&
	    (in->rm & 7) >= 1 && (in->rm & 7) <= 6 && (c->init.fcw & 0xc00))
		x87_values = false;
	/* x87 state QEMU 5.0 gets wrong around faults and transcendental functions (see above). */
	bool x87_loose = is_x87(c) && (x87_inexact_in_unicorn(id) || x87_stack_fault ||
					((a->fsw & 0x80) && !(c->init.fsw & 0x80)));
	/* BSF/BSR with a zero source: the destination is undefined (SDM Vol. 2). */
	bool skip_gpr_dst = (id == X86_INS_BSF || id == X86_INS_BSR) && (a->rflags & X86_ZF);
	/*
	 * deviation: when a 16-byte load faults on its second half, QEMU 5.0 has
	 * already written the first half of the XMM register.
	 */
	bool skip_xmm = h->exc == 14 && u->exc == 14;

	u64 ign_lo = 0, ign_hi = 0; /* linear bytes not compared */
	u64 rsv = ~0ULL;            /* ... and the 32-bit environment's reserved words */
	u64 rsv_fx = ~0ULL;         /* ... and FXSAVE's reserved ST-slot bytes */

	/*
	 * deviation: QEMU 5.0 does not keep the x87 last-instruction and
	 * last-operand pointers (FIP/FDP/FOP), so those fields of FNSTENV,
	 * FNSAVE and FXSAVE images are not compared.
	 */
	if (id == X86_INS_FNSTENV || id == X86_INS_FNSAVE) {
		ign_lo = c->ea + (in->opsize == 2 ? 6 : 12);
		ign_hi = c->ea + (in->opsize == 2 ? 14 : 28);
		/* deviation: hardware fills bits 16-31 of FCW/FSW/FTW with ones; QEMU with zeros. */
		if (in->opsize != 2)
			rsv = c->ea;
	} else if (id == X86_INS_FXSAVE || id == X86_INS_FXSAVE64) {
		/* and the reserved bytes 10-15 of each ST slot, which QEMU leaves alone */
		ign_lo = c->ea + 6;
		ign_hi = c->ea + 24;
		rsv_fx = c->ea;

	} else if (is_x87(c) && c->has_mem && (a->fsw & 1) && !(c->init.fsw & 1) &&
		   (id == X86_INS_FIST || id == X86_INS_FISTP || id == X86_INS_FISTTP ||
		    id == X86_INS_FBSTP || id == X86_INS_FST || id == X86_INS_FSTP)) {
		/*
		 * deviation: an invalid or out-of-range integer store writes the
		 * integer (or BCD) indefinite, QEMU 5.0 saturates; an SNaN stored
		 * to m32/m64 is quieted, QEMU 5.0 stores it signalling.
		 */
		ign_lo = c->ea;
		ign_hi = c->ea + 10;
	} else if (id == X86_INS_FBSTP) {
		/* deviation: QEMU 5.0 loses the sign of -0 in FBSTP. */
		ign_lo = c->ea + 9;
		ign_hi = c->ea + 10;
	} else if (x87_stack_fault && c->has_mem) {
		ign_lo = c->ea;
		ign_hi = c->ea + 16;
	}
	if (is_x87(c))
		swm &= (u16)~0x82ff; /* and C1: QEMU 5.0 only writes it in FXAM */
	if (x87_stack_fault)
		swm &= (u16)~0x4700;

	if (h->exc != u->exc) {
		snprintf(why, sizeof(why), "exception: hover %d, unicorn %d (cr2 %#llx / %#llx)", h->exc,
			 u->exc, (unsigned long long)h->cr2, (unsigned long long)u->cr2);
		return true;
	}
	/*
	 * deviation: after an invalid opcode Unicorn's RIP may already be past
	 * the instruction, and QEMU may have entered MMX mode (0F 71-73 groups)
	 * before finding the encoding invalid; with #UD on both sides only the
	 * GPRs, RFLAGS, XMM and memory are compared.
	 */
	bool both_ud = h->exc == 6 && u->exc == 6;
	/* deviation: QEMU switches to MMX mode before the memory access that faults. */
	bool both_fault = h->exc >= 0 && h->exc == u->exc;

	/*
	 * deviation: a fault inside QEMU's x87 environment helpers (FNSTENV,
	 * FNSAVE, FLDENV, FRSTOR, FXSAVE, FXRSTOR, FBLD/FBSTP) reports the RIP of
	 * the next instruction; so does one in MASKMOVQ/MASKMOVDQU (seen outside
	 * 64-bit mode, where a 16-bit DI cannot reach the data window).
	 */
	bool helper_fault = h->exc == u->exc && h->exc >= 0 &&
			    ((is_x87(c) && in->mod != 3) ||
			     id == X86_INS_FNSTENV || id == X86_INS_FNSAVE || id == X86_INS_FLDENV ||
			     id == X86_INS_FRSTOR || id == X86_INS_FXSAVE || id == X86_INS_FXSAVE64 ||
			     id == X86_INS_FXRSTOR || id == X86_INS_FXRSTOR64 || id == X86_INS_FBSTP ||
			     id == X86_INS_FBLD || id == X86_INS_MASKMOVQ || id == X86_INS_MASKMOVDQU);

	if (a->rip != b->rip && !both_ud && !helper_fault) {
		snprintf(why, sizeof(why), "rip: hover %#llx, unicorn %#llx", (unsigned long long)a->rip,
			 (unsigned long long)b->rip);
		return true;
	}
	/*
	 * deviation: QEMU's CMPS reads ES:(E)DI before DS:(E)SI; hover reads
	 * the first operand first, as the SDM's CMPS operation names them. When
	 * both are unmapped the two report different CR2s (the SDM does not
	 * order the two accesses). Only seen with 67 outside 64-bit mode.
	 */
	bool cmps_order = c->map == X86_MAP_1B && (c->opcode == 0xa6 || c->opcode == 0xa7);

	if (h->exc == 14 && u->fault_addr_valid && h->cr2 != u->cr2 && !helper_fault && !cmps_order) {
		snprintf(why, sizeof(why), "cr2: hover %#llx, unicorn %#llx", (unsigned long long)h->cr2,
			 (unsigned long long)u->cr2);
		return true;
	}
	for (int i = 0; i < 6 && c->mode == DIFF_MODE16; i++) /* selectors: real mode loads them */
		if (a->sel[i] != b->sel[i]) {
			snprintf(why, sizeof(why), "%s: hover %#x, unicorn %#x (initial %#x)",
				 (const char *[]){ "es", "cs", "ss", "ds", "fs", "gs" }[i], a->sel[i],
				 b->sel[i], c->init.sel[i]);
			return true;
		}
	for (int i = 0; i < 16; i++)
		if (a->gpr[i] != b->gpr[i] && !(skip_gpr_dst && i == in->reg)) {
			snprintf(why, sizeof(why), "%s: hover %#llx, unicorn %#llx (initial %#llx)",
				 gname[i], (unsigned long long)a->gpr[i], (unsigned long long)b->gpr[i],
				 (unsigned long long)c->init.gpr[i]);
			return true;
		}
	if (x87_loose)
		fmask &= ~FL_ARITH; /* FCOMI with an empty register: unordered on hardware */
	/*
	 * deviation: when an instruction that reads the flags faults after an
	 * earlier instruction of the same block left them lazy, QEMU 5.0 rolls
	 * back to that instruction's CC_OP but keeps the CC_SRC the flag
	 * evaluation overwrote, and reports arithmetic flags computed from the
	 * mix. Seed 7 case 251948: SBB; SBB; SETG m8 faulting, AF reported 0;
	 * without the fault Unicorn agrees with hover and the host CPU. The
	 * flags before the fault are compared in every case that does not fault.
	 */
	if (c->ninsn > 1 && h->exc >= 0 && h->exc == u->exc && reads_flags(c, in))
		fmask &= ~FL_ARITH;
	if ((a->rflags ^ b->rflags) & fmask) {
		snprintf(why, sizeof(why),
			 "rflags: hover %#llx, unicorn %#llx (compared bits %#llx, initial %#llx)",
			 (unsigned long long)a->rflags, (unsigned long long)b->rflags,
			 (unsigned long long)fmask, (unsigned long long)c->init.rflags);
		return true;
	}
	/*
	 * RCPPS/RCPSS/RSQRTPS/RSQRTSS results are implementation-specific
	 * approximations (SDM Vol. 2: relative error <= 1.5 * 2^-12).
	 */
	/*
	 * deviation: QEMU 5.0 applies MXCSR.FZ to the x87 status, not to SSE, so
	 * SSE results are never flushed to zero there.
	 */
	if (c->init.mxcsr & 0x8000)
		skip_xmm = true;
	/* deviation: nor does it apply DAZ to MINSS/MAXSS and friends (done by comparisons). */
	if ((c->init.mxcsr & 0x40) &&
	    (id == X86_INS_MINSS || id == X86_INS_MINSD || id == X86_INS_MINPS ||
	     id == X86_INS_MINPD || id == X86_INS_MAXSS || id == X86_INS_MAXSD ||
	     id == X86_INS_MAXPS || id == X86_INS_MAXPD))
		skip_xmm = true;
	/*
	 * deviation: QEMU 5.0 chooses between two NaN operands of SSE
	 * arithmetic by the x87 rule (larger significand); SSE returns the
	 * first source operand (SDM Vol. 1 table 4-7).
	 */
	if (c->map == X86_MAP_0F && c->opcode >= 0x58 && c->opcode <= 0x5f &&
	    xmm_nan_only(a->xmm, b->xmm, c->mp == X86_MP_66 || c->mp == X86_MP_F2))
		skip_xmm = true;
	for (int i = 0; i < 16 && !skip_xmm && id != X86_INS_RCPPS && id != X86_INS_RCPSS &&
			id != X86_INS_RSQRTPS && id != X86_INS_RSQRTSS; i++)
		if (memcmp(a->xmm[i], b->xmm[i], 16)) {
			u64 x[2], y[2];

			memcpy(x, a->xmm[i], 16);
			memcpy(y, b->xmm[i], 16);
			snprintf(why, sizeof(why), "xmm%d: hover %016llx:%016llx, unicorn %016llx:%016llx", i,
				 (unsigned long long)x[1], (unsigned long long)x[0],
				 (unsigned long long)y[1], (unsigned long long)y[0]);
			return true;
		}
	/* deviation: QEMU 5.0 never sets the MXCSR exception flags (bits 0-5). */
	if ((a->mxcsr ^ b->mxcsr) & ~0x3fu) {
		snprintf(why, sizeof(why), "mxcsr: hover %#x, unicorn %#x (initial %#x)", a->mxcsr,
			 b->mxcsr, c->init.mxcsr);
		return true;
	}
	/*
	 * deviation: FCW bits 6, 7, 13-15 are reserved: hardware reads bit 6 as
	 * 1 and the others as 0 whatever FLDCW loaded; QEMU keeps what was written.
	 */
	/* deviation: FNSTENV masks all x87 exceptions afterwards (SDM Vol. 2); QEMU does not. */
	if (((a->fcw ^ b->fcw) & ~0xe0c0 & (id == X86_INS_FNSTENV ? ~0x3f : 0xffff)) && !helper_fault) {
		snprintf(why, sizeof(why), "fcw: hover %#x, unicorn %#x", a->fcw, b->fcw);
		return true;
	}
	if (((a->fsw ^ b->fsw) & swm) && !both_fault && !x87_loose) {
		snprintf(why, sizeof(why), "fsw: hover %#x, unicorn %#x (compared %#x, initial %#x)", a->fsw,
			 b->fsw, swm, c->init.fsw);
		return true;
	}
	/* deviation: QEMU 5.0's FST/FSTP ST(i) leave the tag of ST(i) as it was. */
	if (a->ftag != b->ftag && !x87_loose && !both_fault &&
	    !((id == X86_INS_FSTP || id == X86_INS_FST || id == X86_INS_FSTPNCE) && in->mod == 3)) {
		snprintf(why, sizeof(why), "x87 empty tags: hover %#x, unicorn %#x (initial %#x)", a->ftag,
			 b->ftag, c->init.ftag);
		return true;
	}
	/*
	 * deviation: FLD m32fp/m64fp of an SNaN raises IE and loads it quieted
	 * (SDM Vol. 2 FLD, Vol. 1 4.8.3.4); QEMU 5.0 loads it still signalling.
	 * The loaded register is compared with its quiet bit set.
	 */
	bool fld_snan = c->map == X86_MAP_1B && (c->opcode == 0xd9 || c->opcode == 0xdd) &&
			in->mod != 3 && !(in->reg & 7) && (a->fsw & 1) && !(c->init.fsw & 1) &&
			!x87_stack_fault;
	for (int i = 0; i < 8 && x87_values && !x87_loose; i++) {
		u64 bm = b->fpr[i].mant;

		if (a->ftag >> i & 1)
			continue;
		if (fld_snan && i == ((a->fsw >> 11) & 7))
			bm |= 1ULL << 62;
		/*
		 * deviation: an MMX write sets bits 64-79 of the register to ones
		 * (SDM Vol. 1 9.5.1); QEMU 5.0 leaves them. Only x87 instructions
		 * have their exponents compared.
		 */
		if (a->fpr[i].mant != bm || (is_x87(c) && a->fpr[i].exp != b->fpr[i].exp)) {
			snprintf(why, sizeof(why), "R%d: hover %04x:%016llx, unicorn %04x:%016llx (TOP %d)", i,
				 a->fpr[i].exp, (unsigned long long)a->fpr[i].mant, b->fpr[i].exp,
				 (unsigned long long)b->fpr[i].mant, (a->fsw >> 11) & 7);
			return true;
		}
	}
	/*
	 * deviation: QEMU 5.0 commits the part of a page-split store that lies
	 * in the first page before faulting on the second; hardware writes
	 * nothing. The generator's page-split accesses all end the data window:
	 * its last 16 bytes, or from the operand on for longer stores (FNSTENV's
	 * 28 bytes).
	 */
	const struct diff_layout *L = diff_layout(c->mode);
	u64 D = L->data;
	unsigned cmp_end = L->data_size;

	if (h->exc == 14 && u->exc == 14) {
		cmp_end -= 16;
		if (c->has_mem && c->ea >= D && c->ea - D < cmp_end)
			cmp_end = (unsigned)(c->ea - D);
	}
	for (unsigned i = 0; i < cmp_end; i++)
		if (a->data[i] != b->data[i] && !(D + i >= ign_lo && D + i < ign_hi) &&
		    !(D + i - rsv < 12 && ((D + i - rsv) & 2)) &&
		    !(D + i - rsv_fx >= 32 && D + i - rsv_fx < 160 && ((D + i - rsv_fx) & 15) >= 10) &&
		    !(id == X86_INS_FNSAVE && D + i - c->ea < (in->rex & 8 ? 256u : 108u))) {
			snprintf(why, sizeof(why), "memory %#llx: hover %02x, unicorn %02x (initial %02x)",
				 (unsigned long long)(D + i), a->data[i], b->data[i], c->init.data[i]);
			return true;
		}
	/*
	 * deviation: ENTER with a 32-bit operand size on a 16-bit stack pushes
	 * FrameTemp = SP zero-extended (SDM Vol. 2 ENTER); QEMU pushes ESP's
	 * upper half with it.
	 */
	if (diff_seg16(c->mode) && c->map == X86_MAP_1B && c->opcode == 0xc8 && in->opsize == 4 &&
	    (in->imm2 & 31)) {
		ign_lo = L->stack + (u16)(c->init.gpr[GPR_RSP] - 4 * ((in->imm2 & 31) + 1) + 2);
		ign_hi = ign_lo + 2;
	}
	for (unsigned i = 0; i < L->stack_size; i++)
		if (a->stack[i] != b->stack[i] &&
		    !(L->stack + i >= ign_lo && L->stack + i < ign_hi) &&
		    !(L->stack + i - rsv < 12 && ((L->stack + i - rsv) & 2)) &&
		    !(L->stack + i - rsv_fx >= 32 && L->stack + i - rsv_fx < 160 &&
		      ((L->stack + i - rsv_fx) & 15) >= 10) &&
		    !(id == X86_INS_FNSAVE && L->stack + i - c->ea < 108u)) {
			snprintf(why, sizeof(why), "memory %#llx: hover %02x, unicorn %02x (initial %02x)",
				 (unsigned long long)(L->stack + i), a->stack[i], b->stack[i],
				 c->init.stack[i]);
			return true;
		}
	return false;
}

static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

/*
 * deviation: QEMU checks no segment limit in real mode. An access that
 * reaches past offset 0xFFFF of its segment (a word at 0xFFFF, a push with
 * SP = 1) raises #GP, or #SS for the stack, on hardware and on hover
 * (Intel SDM Vol. 3A 20.1.1, "Real-Mode Exceptions" of each instruction in
 * Vol. 2); QEMU carries on into the next 64 KiB, which is another window or
 * unmapped. Only cases whose operand or stack top lies within 16 bytes of a
 * segment end count.
 */
static bool real_mode_limit(const struct diff_case *c, const struct x86_insn *in,
			    const struct diff_result *h, const struct diff_result *u)
{
	u16 sp = (u16)c->init.gpr[GPR_RSP];

	if ((h->exc != 12 && h->exc != 13) || u->exc == h->exc)
		return false;
	/*
	 * Every real-mode segment of a case is a whole mapped window, and the
	 * windows are contiguous, so Unicorn meets unmapped memory only at an
	 * offset past 0xFFFF (a 32-bit address, a transfer to an EIP past the
	 * limit).
	 */
	if (u->exc == 14)
		return true;
	if ((c->ea_off & 0xffff) > 0xfff0) /* a ModRM or moffs operand */
		return true;
	if (in->has_modrm && in->mod != 3) { /* the offset the registers really give */
		u64 ea = (u64)(s64)in->disp;

		if (in->base < 16)
			ea += c->init.gpr[in->base];
		if (in->index < 16)
			ea += c->init.gpr[in->index] << in->scale;
		if ((in->addrsize == 2 ? (u16)ea : (u32)ea) > 0xfff0)
			return true;
	}
	/* x87/SSE state images (FNSAVE 94/108 bytes ... FXSAVE 512) near the segment end */
	if (c->has_mem && (c->ea_off & 0xffff) > 0x10000 - 512 &&
	    ((c->map == X86_MAP_1B && (c->opcode == 0xd9 || c->opcode == 0xdd) && (in->reg & 7) >= 4) ||
	     (c->map == X86_MAP_0F && c->opcode == 0xae && (in->reg & 7) <= 1)))
		return true;
	/* BT/BTS/BTR/BTC with a register bit offset: the operand moves by up to 2^28 bytes */
	if (c->map == X86_MAP_0F && (c->opcode == 0xa3 || c->opcode == 0xab || c->opcode == 0xb3 ||
				     c->opcode == 0xbb) && in->mod != 3)
		return true;
	if (sp < 0x10 || sp > 0xfff0)
		return true;
	if (in->addrsize == 2 && ((u16)c->init.gpr[GPR_RSI] > 0xffe0 ||
				  (u16)c->init.gpr[GPR_RDI] > 0xffe0 ||
				  (u16)c->init.gpr[GPR_RBP] > 0xffe0))
		return true;
	return false;
}

/*
 * Known Unicorn deviations (deviations.md). Returns true when the pair of
 * results is explained by one; the case then counts as skipped.
 */
static bool unicorn_deviation(const struct diff_case *c, const struct x86_insn *in,
			      const struct diff_result *h, const struct diff_result *u)
{
	/* deviation: no canonical-address check (QEMU runs Unicorn without paging). */
	if (c->mode == DIFF_MODE64 && (h->exc == 13 || h->exc == 12) && u->exc == 14 &&
	    u->fault_addr_valid && !canonical(u->cr2))
		return true;
	if (diff_seg16(c->mode) && real_mode_limit(c, in, h, u))
		return true;
	/*
	 * deviation: QEMU follows AMD for an operand-size prefix on near
	 * branches in 64-bit mode (16-bit IP); Intel ignores it (SDM Vol. 2
	 * JMP/Jcc/CALL/RET "64-bit mode" notes), as hover does.
	 */
	if (c->mode == DIFF_MODE64 && (in->prefix & X86_PFX_OPSIZE) && c->map <= X86_MAP_0F &&
	    ((c->map == X86_MAP_1B && ((c->opcode >= 0x70 && c->opcode <= 0x7f) ||
				       (c->opcode >= 0xe0 && c->opcode <= 0xe3) || c->opcode == 0xe8 ||
				       c->opcode == 0xe9 || c->opcode == 0xeb || c->opcode == 0xc2 ||
				       c->opcode == 0xc3 ||
				       (c->opcode == 0xff && ((in->reg & 7) == 2 || (in->reg & 7) == 4)))) ||
	     (c->map == X86_MAP_0F && c->opcode >= 0x80 && c->opcode <= 0x8f)))
		return true;
	/* deviation: QEMU executes LOCK on instructions that cannot be locked; hardware #UDs. */
	if (h->exc == 6 && u->exc != 6 && (in->prefix & X86_PFX_LOCK) &&
	    !(gen_lockable(c->map, c->opcode, in->reg & 7) && in->has_modrm && in->mod != 3))
		return true;
	/*
	 * deviation: 8F /1-7, C6/C7 /1-7, FE /2-7 and FF /7 are #UD (SDM Vol. 2
	 * A.4 groups 1A, 4, 5, 11); QEMU executes them.
	 */
	if (h->exc == 6 && u->exc != 6 && c->map == X86_MAP_1B &&
	    (((c->opcode == 0x8f || c->opcode == 0xc6 || c->opcode == 0xc7) && (in->reg & 7)) ||
	     (c->opcode == 0xfe && (in->reg & 7) >= 2) || (c->opcode == 0xff && (in->reg & 7) == 7)))
		return true;
	/*
	 * deviation: no #GP for a misaligned 16-byte SSE operand (QEMU 5.0 never
	 * checks; SDM Vol. 1 4.1.1), so it may #PF on the next page instead.
	 * (Capstone's 16-bit mode takes 66/F2/F3 0F xx for the MMX form: they
	 * are the mandatory prefixes of XMM forms in every mode.)
	 */
	if (h->exc == 13 && (u->exc == DIFF_NO_EXC || u->exc == 14) && c->map != X86_MAP_1B &&
	    c->has_mem && (c->ea & 15) &&
	    (target_mem_size == 16 || (diff_seg16(c->mode) && c->mp != X86_MP_NONE)))
		return true;
	/*
	 * deviation: with REX.W, QEMU 5.0's FNSTENV/FLDENV/FNSAVE/FRSTOR use a
	 * 56-byte environment (14 << 2); REX.W does not change the format.
	 */
	if (c->map == X86_MAP_1B && (in->rex & 8) && in->mod != 3 &&
	    ((c->opcode == 0xd9 && ((in->reg & 7) == 4 || (in->reg & 7) == 6)) ||
	     (c->opcode == 0xdd && ((in->reg & 7) == 4 || (in->reg & 7) == 6))))
		return true;
	/* deviation: after a fault in RCL/RCR, QEMU 5.0 reports stale arithmetic flags. */
	if (c->map == X86_MAP_1B && ((c->opcode >= 0xd0 && c->opcode <= 0xd3) || c->opcode == 0xc0 ||
				     c->opcode == 0xc1) &&
	    ((in->reg & 7) == 2 || (in->reg & 7) == 3) && h->exc >= 0 && h->exc == u->exc &&
	    !((h->st.rflags ^ u->st.rflags) & ~FL_ARITH))
		return true;
	/*
	 * An x87 store whose exception is unmasked stores nothing; hover then
	 * skips the memory access (and its #PF), QEMU 5.0 (which detects no x87
	 * exception) stores and faults. The SDM does not order the two.
	 */
	if (is_x87(c) && in->mod != 3 && h->exc == DIFF_NO_EXC && u->exc == 14 &&
	    (h->st.fsw & 0x80) && !(c->init.fsw & 0x80))
		return true;
	/* deviation: QEMU 5.0 computes LOCK NEG's flags from the old value. */
	if (c->map == X86_MAP_1B && (c->opcode & ~1) == 0xf6 && (in->reg & 7) == 3 &&
	    (in->prefix & X86_PFX_LOCK))
		return true;
	/*
	 * deviation: F6/F7 /1 is TEST on every processor (an alias of /0, blank
	 * in SDM table A-6); QEMU 5.0 raises #UD.
	 */
	if (c->map == X86_MAP_1B && (c->opcode == 0xf6 || c->opcode == 0xf7) &&
	    (in->reg & 7) == 1 && u->exc == 6)
		return true;
	/*
	 * deviation: QEMU 5.0 raises #UD for some valid C6/C7 /0 (MOV Ev, Iz)
	 * encodings with REX or an F2/F3 (XACQUIRE/XRELEASE) prefix, which
	 * hardware executes.
	 */
	if (c->map == X86_MAP_1B && (c->opcode == 0xc6 || c->opcode == 0xc7) && !(in->reg & 7) &&
	    h->exc != 6 && u->exc == 6 && (in->rex || c->mp >= X86_MP_F3))
		return true;
	/* deviation: QEMU 5.0's LAHF/SAHF with a REX prefix use SPL, not AH. */
	if (c->map == X86_MAP_1B && (c->opcode == 0x9e || c->opcode == 0x9f) && in->rex)
		return true;
	/*
	 * deviation: 0F 0D and 0F 18 with a register operand are hint NOPs
	 * (SDM Vol. 2 table A-3 lists 0F 0D as NOP Ev; 0F 18-1F is the
	 * reserved-NOP space); QEMU raises #UD.
	 */
	if (h->exc == DIFF_NO_EXC && u->exc == 6 && c->map == X86_MAP_0F &&
	    (c->opcode == 0x0d || c->opcode == 0x18) && in->mod == 3)
		return true;
	/*
	 * deviation: CMPXCHG with a 32-bit register destination leaves the
	 * destination untouched (not zero-extended) when the comparison fails;
	 * QEMU 5.0 always writes it (fixed in QEMU 7.2).
	 */
	if (c->map == X86_MAP_0F && c->opcode == 0xb1 && in->opsize == 4)
		return true;
	/*
	 * deviation: QEMU 5.0 forgets the immediate byte of SHLD/SHRD Ib when
	 * computing a RIP-relative address (it accesses one byte too low).
	 */
	if (c->map == X86_MAP_0F && (c->opcode == 0xa4 || c->opcode == 0xac) &&
	    in->base == X86_REG_RIP)
		return true;
	/* deviation: QEMU 5.0's FXRSTOR and LDMXCSR do not #GP on reserved MXCSR bits. */
	if (c->map == X86_MAP_0F && c->opcode == 0xae && ((in->reg & 7) == 1 || (in->reg & 7) == 2) &&
	    h->exc == 13 &&
	    u->exc == DIFF_NO_EXC)
		return true;
	/*
	 * deviation: QEMU 5.0 reads 16 bytes for the m64 operand of CVT(T)PS2PI,
	 * CVTPS2PD and CVTDQ2PD, 4 for MOVSXD r16, m16, and only the first 12
	 * bytes of an FLDENV image; it writes 11 for FBSTP. So it faults, or
	 * does not, on a page boundary where hardware does the opposite.
	 */
	if (((c->map == X86_MAP_0F && (((c->opcode == 0x2c || c->opcode == 0x2d || c->opcode == 0x5a) &&
					c->mp == X86_MP_NONE) ||
				       (c->opcode == 0xe6 && c->mp == X86_MP_F3))) ||
	     (c->map == X86_MAP_1B && c->opcode == 0x63) ||
	     (c->map == X86_MAP_1B && c->opcode == 0xd9 && (in->reg & 7) == 4 && in->mod != 3) ||
	     (c->map == X86_MAP_1B && c->opcode == 0xdf && (in->reg & 7) == 6 && in->mod != 3)) &&
	    (u->exc == 14) != (h->exc == 14))
		return true;
	/* C4/C5 are VEX prefixes in 64-bit mode: hover has no VEX and raises #UD. */
	if (c->map == X86_MAP_1B && (c->opcode == 0xc4 || c->opcode == 0xc5) && h->exc == 6)
		return true;
	/*
	 * deviation: F3 0F BC/BD are TZCNT/LZCNT only with BMI1/LZCNT in CPUID;
	 * hover advertises neither and runs BSF/BSR as such hardware does.
	 * Unicorn runs TZCNT/LZCNT whatever its CPU model.
	 */
	if (c->map == X86_MAP_0F && (c->opcode == 0xbc || c->opcode == 0xbd) && c->mp == X86_MP_F3)
		return true;
	/* BSWAP r16 is undefined (SDM Vol. 2 BSWAP). */
	if (c->map == X86_MAP_0F && c->opcode >= 0xc8 && c->opcode <= 0xcf && in->opsize == 2)
		return true;
	/*
	 * deviation: legacy-SSE CMPPS/PD/SS/SD use imm8[2:0] and ignore bits
	 * 7:3; QEMU 5.0 raises #UD for imm8 >= 8.
	 */
	if (c->map == X86_MAP_0F && c->opcode == 0xc2 && u->exc == 6 &&
	    (c->code[c->len - 1] & 0xf8))
		return true;
	/*
	 * deviation: CVTPI2PS/CVTPI2PD with a memory source do not switch the
	 * x87 unit to MMX mode (SDM Vol. 2 CVTPI2PD); QEMU does.
	 */
	if (c->map == X86_MAP_0F && c->opcode == 0x2a && c->mp <= X86_MP_66 && in->mod != 3)
		return true;
	/*
	 * deviation: QEMU's CLFLUSH does not access memory, so never faults;
	 * hardware checks the address like a read (SDM Vol. 2 CLFLUSH, #PF and
	 * #GP/#SS). Seen outside 64-bit mode, where a 16-bit address cannot
	 * reach the data window.
	 */
	if (c->map == X86_MAP_0F && c->opcode == 0xae && (in->reg & 7) == 7 && in->mod != 3 &&
	    h->exc >= 0 && u->exc == DIFF_NO_EXC)
		return true;
	/* deviation: SIMD exceptions. QEMU 5.0 sets no MXCSR flag, so never raises #XM. */
	if (h->exc == 19 && u->exc == DIFF_NO_EXC)
		return true;
	/* deviation: F1 is INT1 (ICEBP), a #DB trap; QEMU 5.0 in Unicorn reports #UD. */
	if (h->exc == 1 && u->exc == 6 && c->map == X86_MAP_1B && c->opcode == 0xf1)
		return true;
	/*
	 * deviation: QEMU executes encodings the SDM makes #UD: register forms of
	 * MOVLPS/MOVHPS/MOVLPD/MOVHPD stores and the 66 forms of 0F 12/16,
	 * memory forms of MOVMSKPS/PD and other mod-restricted forms. Counted
	 * when Capstone agrees the bytes are invalid, or for those named here.
	 */
	if (h->exc == 6 && (u->exc != 6 || !target_cs_valid) &&
	    (!target_cs_valid ||
	     (c->map == X86_MAP_0F && in->mod == 3 &&
	      ((c->opcode == 0x13 || c->opcode == 0x17) ||
	       ((c->opcode == 0x12 || c->opcode == 0x16) && c->mp == X86_MP_66)))))
		return true;
	return false;
}

/* ---- reporting ---- */

static unsigned mem_size; /* Capstone's size of the last disassembled memory operand */

static void disasm(const u8 *b, unsigned len, char *out, size_t n, unsigned *cs_len, unsigned *id)
{
	cs_insn *ci;
	size_t cnt = cs_disasm(cs, b, len, 0x1000, 1, &ci);

	mem_size = 0;
	if (cnt) {
		for (unsigned k = 0; ci[0].detail && k < ci[0].detail->x86.op_count; k++)
			if (ci[0].detail->x86.operands[k].type == X86_OP_MEM)
				mem_size = ci[0].detail->x86.operands[k].size;
		snprintf(out, n, "%.31s %.120s", ci[0].mnemonic, ci[0].op_str);
		*cs_len = ci[0].size;
		*id = ci[0].id;
		cs_free(ci, cnt);
	} else {
		snprintf(out, n, "(invalid for capstone)");
		*cs_len = 0;
		*id = 0;
	}
}

static void print_case(const struct opts *o, u64 n, const struct diff_case *c, const char *what)
{
	printf("DIVERGENCE seed %llu case %llu slot %s%02x:%02x: %s\n", (unsigned long long)o->seed,
	       (unsigned long long)n, c->mp == X86_MP_66 ? "66:" : c->mp == X86_MP_F3 ? "f3:" :
	       c->mp == X86_MP_F2 ? "f2:" : "", c->map, c->opcode, what);
	for (unsigned k = 0; k < c->ninsn; k++) {
		char text[200];
		unsigned l, id;

		disasm(c->code + c->insn[k].off, c->insn[k].len, text, sizeof(text), &l, &id);
		printf("  ");
		for (unsigned i = 0; i < c->insn[k].len; i++)
			printf("%02x ", c->code[c->insn[k].off + i]);
		printf("%*s %s\n", 3 * (15 - c->insn[k].len), "", text);
	}
	printf("  rerun: build/tests/diff/diffcpu --mode %s --seed %llu --case %llu -v\n", mode_arg(o->mode),
	       (unsigned long long)o->seed, (unsigned long long)n);
}

static void dump_state(const char *name, const struct diff_result *r, bool x87)
{
	printf("  %s: exc %d rip %#llx rflags %#llx mxcsr %#x fcw %#x fsw %#x empty %#x\n", name,
	       r->exc, (unsigned long long)r->st.rip, (unsigned long long)r->st.rflags, r->st.mxcsr,
	       r->st.fcw, r->st.fsw, r->st.ftag);
	for (int i = 0; i < 16; i += 4)
		printf("    r%-2d %016llx %016llx %016llx %016llx\n", i, (unsigned long long)r->st.gpr[i],
		       (unsigned long long)r->st.gpr[i + 1], (unsigned long long)r->st.gpr[i + 2],
		       (unsigned long long)r->st.gpr[i + 3]);
	for (int i = 0; x87 && i < 8; i += 4)
		printf("    R%d %04x:%016llx %04x:%016llx %04x:%016llx %04x:%016llx\n", i,
		       r->st.fpr[i].exp, (unsigned long long)r->st.fpr[i].mant, r->st.fpr[i + 1].exp,
		       (unsigned long long)r->st.fpr[i + 1].mant, r->st.fpr[i + 2].exp,
		       (unsigned long long)r->st.fpr[i + 2].mant, r->st.fpr[i + 3].exp,
		       (unsigned long long)r->st.fpr[i + 3].mant);
}

/* ---- the run ---- */

static int run_cases(const struct opts *o, struct shared *sh, unsigned job, u64 first);

/* Fork a job that runs cases first, first + jobs, ... (each job its own engines). */
static pid_t start_job(const struct opts *o, struct shared *sh, unsigned job, u64 first)
{
	pid_t p;

	fflush(stdout);
	p = fork();
	if (p == 0)
		_exit(run_cases(o, sh, job, first) ? 3 : 0);
	return p;
}

static int run_cases(const struct opts *o, struct shared *sh, unsigned job, u64 first)
{
	struct diff_engine hv, uc;
	static struct diff_case c;
	static struct diff_result rh, ru;
	u64 step = o->have_case ? 1 : o->jobs;
	u64 end = o->have_case ? o->one_case + 1 : o->count;
	int printed = 0;

	if (hover_engine_create(&hv, o->mode) || uc_engine_create(&uc, o->mode)) {
		fprintf(stderr, "diffcpu: cannot create the engines\n");
		return -1;
	}
	for (u64 n = first; n < end; n += step) {
		unsigned si = run_idx[n % nrun], cs_len, id;
		struct x86_insn in;
		const struct diff_insn_pos *t;
		char text[200];
		bool bad;

		gen_case(&c, o->seed, n, &slots[si], o->mode);
		t = &c.insn[c.ninsn - 1];
		x86_decode(c.code + t->off, t->len, (enum x86_mode)gen_x86_mode(o->mode), &in);
		disasm(c.code + t->off, t->len, text, sizeof(text), &cs_len, &id);
		target_mem_size = mem_size;
		target_cs_valid = cs_len != 0;
		__atomic_fetch_add(&sh->cases, 1, __ATOMIC_RELAXED);
		sh->current[job] = n;
		memset(&rh, 0, sizeof(rh));
		memset(&ru, 0, sizeof(ru));
		if (o->have_case && o->verbose)
			print_case(o, n, &c, "about to run");
		if (hv.run(hv.priv, &c, &rh) < 0) {
			rh.exc = -2; /* did not finish */
		}
		uc.run(uc.priv, &c, &ru);
		if (rh.exc != 6)
			sh->covered[si] = 2; /* executed */
		else if (!sh->covered[si])
			sh->covered[si] = 1; /* only ever #UD (i64 opcodes in 64-bit mode, o64 ones elsewhere) */

		/* Decoder: Capstone's length for what Capstone accepts; #UD for what it refuses. */
		/*
		 * Capstone deviation: it decodes 66 E8/E9/0F 8x in 64-bit mode with
		 * a rel16 as AMD does; Intel keeps rel32 (SDM Vol. 2 Jcc, CALL).
		 * And it decodes UD1 (0F B9) and UD0 (0F FF) without the ModRM
		 * byte the SDM gives them. C4/C5 (VEX) and 8F /1-7 (AMD's XOP)
		 * it decodes as vector instructions hover does not have; hover
		 * raises #UD there, as an Intel CPU without AVX does.
		 */
		if (cs_len && cs_len != in.len && !(in.prefix & X86_PFX_LOCK) &&
		    !(c.map == X86_MAP_0F && (c.opcode == 0xb9 || c.opcode == 0xff)) &&
		    !(c.map == X86_MAP_1B && (c.opcode == 0xc4 || c.opcode == 0xc5)) &&
		    !(c.map == X86_MAP_1B && c.opcode == 0x8f && (in.reg & 7) && rh.exc == 6) &&
		    !(o->mode == DIFF_MODE64 && in.len == cs_len + 2 &&
		      ((c.map == X86_MAP_1B && (c.opcode == 0xe8 || c.opcode == 0xe9)) ||
		       (c.map == X86_MAP_0F && c.opcode >= 0x80 && c.opcode <= 0x8f)))) {
			__atomic_fetch_add(&sh->decoder, 1, __ATOMIC_RELAXED);
			if (printed++ < 400)
				print_case(o, n, &c, "decoder: length differs from Capstone's"),
					printf("  hover %u, capstone %u\n", in.len, cs_len);
		}

		bad = differs(&c, &in, id, &rh, &ru);
		if (bad && unicorn_deviation(&c, &in, &rh, &ru)) {
			__atomic_fetch_add(&sh->skipped, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (bad) {
			__atomic_fetch_add(&sh->divergences, 1, __ATOMIC_RELAXED);
			if (printed++ < 400 || o->verbose) {
				print_case(o, n, &c, why);
				if (o->verbose) {
					dump_state("initial", &(struct diff_result){ .st = c.init, .exc = -1 },
						   is_x87(&c));
					dump_state("hover", &rh, is_x87(&c));
					dump_state("unicorn", &ru, is_x87(&c));
				}
			}
		} else if (o->verbose) {
			print_case(o, n, &c, "agree");
		}
	}
	hv.destroy(hv.priv);
	uc.destroy(uc.priv);
	return 0;
}

static int parse_only(const char *s, struct opts *o)
{
	unsigned v[4], k = 0;
	const char *p = s;

	o->only_mp = -1;
	if (!strncmp(p, "66:", 3) || !strncmp(p, "f3:", 3) || !strncmp(p, "f2:", 3)) {
		o->only_mp = p[0] == '6' ? X86_MP_66 : p[1] == '3' ? X86_MP_F3 : X86_MP_F2;
		p += 3;
	}
	while (*p && k < 4 && sscanf(p, "%2x", &v[k]) == 1) {
		k++;
		p += 2;
	}
	if (*p || !k)
		return -1;
	if (v[0] != 0x0f) {
		o->only_map = X86_MAP_1B;
		o->only_op = (int)v[0];
	} else if (k >= 3 && (v[1] == 0x38 || v[1] == 0x3a)) {
		o->only_map = v[1] == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
		o->only_op = (int)v[2];
	} else if (k >= 2) {
		o->only_map = X86_MAP_0F;
		o->only_op = (int)v[1];
	} else {
		return -1;
	}
	return 0;
}

/*
 * Whether the test an elsewhere entry names still exists: its file, under
 * the source root, holds the test's name.
 */
static bool elsewhere_found(const struct diff_elsewhere *e)
{
	const char *root = getenv("HOVER_SOURCE_ROOT");
	static char buf[1 << 20];
	char path[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root && *root ? root : DIFF_SOURCE_ROOT, e->file);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, e->test) != NULL;
}

/*
 * The table slots the generator leaves out, by entry of gen.c's elsewhere
 * table, with the test that covers each; returns how many slots are
 * covered (their test found). A slot whose test is gone is UNCOVERED.
 */
static unsigned report_elsewhere(bool print, int mode)
{
	const struct diff_elsewhere *last = NULL;
	unsigned ok = 0, n = 0;
	bool found = false;

	for (unsigned i = 0; i <= nslots; i++) {
		const struct diff_elsewhere *e =
			i < nslots ? gen_elsewhere(slots[i].map, slots[i].opcode, mode) : NULL;

		if (e == last) {
			n += e != NULL;
			continue;
		}
		if (last && (print || !found)) {
			char ops[16];

			snprintf(ops, sizeof(ops), last->lo == last->hi ? "%s%02x" : "%s%02x-%02x",
				 last->map == X86_MAP_1B ? "" : "0f ", last->lo, last->hi);
			printf("%s %-8s %s (%u slots; %s): %s, %s\n",
			       found ? "elsewhere" : "UNCOVERED", ops, last->what, n, last->why,
			       last->file, found ? last->test : "test not found");
		}
		ok += found ? n : 0;
		last = e;
		n = e != NULL;
		found = e && elsewhere_found(e);
	}
	return ok;
}

static void usage(void)
{
	fprintf(stderr, "usage: diffcpu [--mode 16|16p|32|64] [--seed N] [--count N] "
			"[--only [66:|f3:|f2:]OPCODE-HEX] [--from N] [--case N] [--jobs N] [-v]\n"
			"  e.g. --only 0f58, --only 66:0fd4, --only d9\n"
			"  --mode: 64-bit (default), 32-bit protected, 16-bit protected (16p) or real mode (16)\n");
}

int main(int argc, char **argv)
{
	struct opts o = { .mode = DIFF_MODE64, .seed = 1, .count = 100000, .only_map = -1, .only_op = -1, .only_mp = -1,
			  .jobs = 1 };
	struct shared *sh;
	unsigned ncov = 0, nelse = 0, nelse_ok, nud = 0;
	struct timespec t0, t1;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-v")) {
			o.verbose = true;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		i++;
		if (!strcmp(a, "--mode")) {
			o.mode = !strcmp(v, "16p") ? DIFF_MODE16P : atoi(v);
			if (o.mode != DIFF_MODE16 && o.mode != DIFF_MODE16P && o.mode != DIFF_MODE32 &&
			    o.mode != DIFF_MODE64) {
				fprintf(stderr, "diffcpu: --mode %s: not a mode (try 16, 16p, 32 or 64)\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--seed")) {
			o.seed = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--count")) {
			o.count = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--from")) {
			o.from = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--case")) {
			o.one_case = strtoull(v, NULL, 0);
			o.have_case = true;
		} else if (!strcmp(a, "--jobs")) {
			o.jobs = (unsigned)strtoul(v, NULL, 0);
			if (!o.jobs)
				o.jobs = 1;
			if (o.jobs > MAX_JOBS)
				o.jobs = MAX_JOBS;
		} else if (!strcmp(a, "--only")) {
			if (parse_only(v, &o)) {
				fprintf(stderr, "diffcpu: --only %s: not an opcode (try 0f58 or 66:0fd4)\n", v);
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cs_open(CS_ARCH_X86, diff_seg16(o.mode) ? CS_MODE_16 : o.mode == DIFF_MODE32 ? CS_MODE_32 :
		    CS_MODE_64, &cs) != CS_ERR_OK) {
		fprintf(stderr, "diffcpu: cannot open Capstone\n");
		return 3;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	nslots = gen_slots(slots, MAX_SLOTS);
	if (nslots > MAX_SLOTS)
		nslots = MAX_SLOTS;
	for (unsigned i = 0; i < nslots; i++) {
		const struct diff_slot *s = &slots[i];

		if (gen_elsewhere(s->map, s->opcode, o.mode)) {
			nelse++;
			continue;
		}
		if (o.only_map >= 0 && (s->map != o.only_map || s->opcode != o.only_op ||
					(o.only_mp >= 0 && s->mp != o.only_mp)))
			continue;
		run_idx[nrun++] = i;
	}
	if (!nrun) {
		fprintf(stderr, "diffcpu: no slot of hover's dispatch table matches --only\n");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 3;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (o.have_case) {
		if (run_cases(&o, sh, 0, o.one_case))
			return 3;
	} else {
		pid_t pid[MAX_JOBS];
		unsigned running = 0;

		for (unsigned j = 0; j < o.jobs; j++) {
			pid[j] = start_job(&o, sh, j, o.from + j);
			running += pid[j] > 0;
			rc = pid[j] > 0 ? rc : 3;
		}
		while (running) {
			unsigned j;
			int st;
			pid_t p = wait(&st);

			if (p < 0)
				break;
			for (j = 0; j < o.jobs && pid[j] != p; j++)
				;
			if (j == o.jobs)
				continue;
			running--;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				continue;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
				rc = 3;
				continue;
			}
			/*
			 * An engine aborted the job (Unicorn's TCG does on some
			 * encodings): name the case, count it, and go on with the
			 * job's next case so that one abort does not hide the rest.
			 */
			sh->aborted++;
			printf("ABORTED seed %llu case %llu (%s %d)\n"
			       "  rerun: build/tests/diff/diffcpu --mode %s --seed %llu --case %llu -v\n",
			       (unsigned long long)o.seed, (unsigned long long)sh->current[j],
			       WIFSIGNALED(st) ? "signal" : "exit status",
			       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), mode_arg(o.mode),
			       (unsigned long long)o.seed, (unsigned long long)sh->current[j]);
			if (sh->current[j] + o.jobs < o.count) {
				pid[j] = start_job(&o, sh, j, sh->current[j] + o.jobs);
				running += pid[j] > 0;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (unsigned k = 0; k < nrun; k++)
		if (sh->covered[run_idx[k]] == 1)
			nud++;
	for (unsigned k = 0; k < nrun; k++)
		if (sh->covered[run_idx[k]])
			ncov++;
		else if (!o.have_case && o.count >= 4 * nrun)
			printf("UNCOVERED slot %s%02x:%02x (never generated)\n",
			       slots[run_idx[k]].mp == X86_MP_66 ? "66:" : slots[run_idx[k]].mp == X86_MP_F3 ? "f3:" :
			       slots[run_idx[k]].mp == X86_MP_F2 ? "f2:" : "", slots[run_idx[k]].map,
			       slots[run_idx[k]].opcode);
	nelse_ok = report_elsewhere(!o.have_case, o.mode);
	printf("diffcpu: %s, seed %llu, %llu cases in %.1fs, %llu divergences, "
	       "%llu decoder mismatches, %llu engine aborts, %llu explained by known Unicorn deviations\n",
	       diff_mode_name(o.mode), (unsigned long long)o.seed, (unsigned long long)sh->cases,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)sh->divergences, (unsigned long long)sh->decoder,
	       (unsigned long long)sh->aborted, (unsigned long long)sh->skipped);
	printf("diffcpu: %s coverage %u/%u generated slots (%u of them only #UD there) + "
	       "%u/%u slots tested elsewhere = %u/%u of hover's dispatch table\n",
	       diff_mode_name(o.mode), ncov, nrun, nud, nelse_ok, nelse, ncov + nelse_ok, nrun + nelse);
	if (sh->divergences || sh->decoder || sh->aborted || nelse_ok != nelse)
		rc = 1;
	if (!o.have_case && o.count >= 4 * nrun && ncov != nrun)
		rc = 1;
	cs_close(&cs);
	return rc;
}
