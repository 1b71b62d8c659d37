/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-opcode decoding attributes for the one-byte and 0F opcode maps,
 * transcribed from Intel SDM Vol. 2 Appendix A (tables, with
 * the superscript notes: 1A groups, d64, f64, i64). The 0F 38 map always
 * has a ModRM byte and no immediate; the 0F 3A map always has ModRM + Ib.
 * Private to decode.c (and its unit test).
 */
#ifndef HOVER_CPU_X86_DECODE_TABLES_H
#define HOVER_CPU_X86_DECODE_TABLES_H

#include "include/hover/types.h"

/* Immediate kinds (low four bits). */
enum {
	X86_I_NONE, X86_I_B, X86_I_W, X86_I_Z, X86_I_V, X86_I_AP, X86_I_MOFFS, X86_I_ENTER,
	X86_I_GRP3B, X86_I_GRP3Z,
};
#define X86_A_IMM_MASK 0x0fu
#define X86_A_M (1u << 4)     /* has a ModRM byte */
#define X86_A_D64 (1u << 5)   /* 64-bit mode: default operand size 64 (66 gives 16) */
#define X86_A_F64 (1u << 6)   /* 64-bit mode: operand size forced to 64 */
#define X86_A_I64 (1u << 7)   /* invalid in 64-bit mode */
#define X86_A_REG (1u << 8)   /* MOV CR/DR: ModRM.mod ignored, always the register form */
#define X86_A_GRP5 (1u << 9)  /* FF: /2 /4 /6 are d64 */
#define X86_A_VEX (1u << 10)  /* C4/C5/62: LES/LDS/BOUND in legacy modes with mod != 3, else VEX/EVEX */

#define M_ X86_A_M
#define IB X86_I_B
#define IW X86_I_W
#define IZ X86_I_Z
#define D6 X86_A_D64
#define F6 X86_A_F64
#define I6 X86_A_I64
#define MB (X86_A_M | X86_I_B)
#define MZ (X86_A_M | X86_I_Z)

static const u16 x86_attr_1b[256] = {
	/* 00 */ M_, M_, M_, M_, IB, IZ, I6, I6, M_, M_, M_, M_, IB, IZ, I6, 0,
	/* 10 */ M_, M_, M_, M_, IB, IZ, I6, I6, M_, M_, M_, M_, IB, IZ, I6, I6,
	/* 20 */ M_, M_, M_, M_, IB, IZ, 0, I6, M_, M_, M_, M_, IB, IZ, 0, I6,
	/* 30 */ M_, M_, M_, M_, IB, IZ, 0, I6, M_, M_, M_, M_, IB, IZ, 0, I6,
	/* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 50 */ D6, D6, D6, D6, D6, D6, D6, D6, D6, D6, D6, D6, D6, D6, D6, D6,
	/* 60 */ I6, I6, M_ | I6 | X86_A_VEX, M_, 0, 0, 0, 0, IZ | D6, MZ, IB | D6, MB, 0, 0, 0, 0,
	/* 70 */ IB | F6, IB | F6, IB | F6, IB | F6, IB | F6, IB | F6, IB | F6, IB | F6,
		 IB | F6, IB | F6, IB | F6, IB | F6, IB | F6, IB | F6, IB | F6, IB | F6,
	/* 80 */ MB, MZ, MB | I6, MB, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_ | D6,
	/* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, X86_I_AP | I6, 0, D6, D6, 0, 0,
	/* A0 */ X86_I_MOFFS, X86_I_MOFFS, X86_I_MOFFS, X86_I_MOFFS, 0, 0, 0, 0, IB, IZ, 0, 0, 0, 0, 0, 0,
	/* B0 */ IB, IB, IB, IB, IB, IB, IB, IB,
		 X86_I_V, X86_I_V, X86_I_V, X86_I_V, X86_I_V, X86_I_V, X86_I_V, X86_I_V,
	/* C0 */ MB, MB, IW | D6, D6, M_ | I6 | X86_A_VEX, M_ | I6 | X86_A_VEX, MB, MZ,
		 X86_I_ENTER | D6, D6, IW, 0, 0, IB, I6, 0,
	/* D0 */ M_, M_, M_, M_, IB | I6, IB | I6, I6, 0, M_, M_, M_, M_, M_, M_, M_, M_,
	/* E0 */ IB | D6, IB | D6, IB | D6, IB | D6, IB, IB, IB, IB,
		 IZ | F6, IZ | F6, X86_I_AP | I6, IB | F6, 0, 0, 0, 0,
	/* F0 */ 0, 0, 0, 0, 0, 0, M_ | X86_I_GRP3B, M_ | X86_I_GRP3Z, 0, 0, 0, 0, 0, 0, M_,
		 M_ | X86_A_GRP5,
};

#define R_ (X86_A_M | X86_A_REG | X86_A_F64)

static const u16 x86_attr_0f[256] = {
	/* 00 */ M_, M_, M_, M_, 0, 0, 0, 0, 0, 0, 0, 0, 0, M_, 0, MB,
	/* 10 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 20 */ R_, R_, R_, R_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 30 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 40 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 50 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 60 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* 70 */ MB, MB, MB, MB, M_, M_, M_, 0, M_, M_, 0, 0, M_, M_, M_, M_,
	/* 80 */ IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6,
		 IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6, IZ | F6,
	/* 90 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* A0 */ D6, D6, 0, M_, MB, M_, 0, 0, D6, D6, 0, M_, MB, M_, M_, M_,
	/* B0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, MB, M_, M_, M_, M_, M_,
	/* C0 */ M_, M_, MB, M_, MB, MB, MB, M_, 0, 0, 0, 0, 0, 0, 0, 0,
	/* D0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* E0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
	/* F0 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
};

#undef M_
#undef IB
#undef IW
#undef IZ
#undef D6
#undef F6
#undef I6
#undef MB
#undef MZ
#undef R_

#endif
