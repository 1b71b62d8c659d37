/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the differential generator covers: the slots of hover's dispatch
 * table ([map][opcode][mandatory prefix], Intel SDM Vol. 2 Appendix A), the
 * table of slots it leaves out with the test that covers each instead, per
 * mode, and each mode's memory windows and decoder mode (diff.h; SDM Vol. 3A
 * 20.1 for real mode's segments).
 */
#include "cpu/x86/decode_tables.h"
#include "cpu/x86/insn.h"
#include "tests/diff/diff.h"

enum { M64 = 1, M32 = 2, M16 = 4 }; /* the modes an elsewhere entry applies to */

/*
 * Dispatch-table entries the generator does not produce, and the test that
 * exercises each instead: a test function of a unit test or a check of a
 * self-checking payload, named by a string diffcpu looks for in that file
 * (so a renamed or deleted test shows up as uncovered). Every mandatory-
 * prefix slot of the opcodes lo..hi is covered by the entry.
 */
static const struct diff_elsewhere elsewhere[] = {
#define UNIT(f) "tests/unit/" f
#define ASM(f) "tests/asm/" f
	/* Only in 64-bit mode (M64): real mode and 32-bit mode generate these. */
	{ X86_MAP_1B, 0x40, 0x4f, "INC/DEC r32", "REX prefixes in 64-bit mode",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_compat_mode", M64 },
	/* Segment loads and far transfers: trivial in real mode, a GDT otherwise. */
	{ X86_MAP_1B, 0x06, 0x07, "PUSH/POP ES", "selectors differ (no GDT in Unicorn)",
	  UNIT("test_cpu_modes.c"), "test_modes_prot32_segments", M32 },
	{ X86_MAP_1B, 0x0e, 0x0e, "PUSH CS", "selectors differ (no GDT in Unicorn)",
	  UNIT("test_cpu_modes.c"), "test_modes_prot32_segments", M32 },
	{ X86_MAP_1B, 0x16, 0x17, "PUSH/POP SS", "selectors differ (no GDT in Unicorn)",
	  UNIT("test_cpu_modes.c"), "test_modes_prot32_segments", M32 },
	{ X86_MAP_1B, 0x1e, 0x1f, "PUSH/POP DS", "selectors differ (no GDT in Unicorn)",
	  UNIT("test_cpu_modes.c"), "test_modes_prot32_segments", M32 },
	{ X86_MAP_1B, 0xc4, 0xc5, "LES/LDS", "needs a GDT",
	  UNIT("test_cpu_modes.c"), "test_modes_prot32_segments", M32 },
	{ X86_MAP_1B, 0x6c, 0x6f, "INS/OUTS", "port I/O: Unicorn has no ports",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_port_io", M64 | M32 | M16 },
	{ X86_MAP_1B, 0x8c, 0x8c, "MOV Ev,Sreg", "selectors differ (no GDT in Unicorn)",
	  ASM("sys_interrupts.S"), "t_movss", M64 | M32 },
	{ X86_MAP_1B, 0x8e, 0x8e, "MOV Sreg,Ew", "needs a GDT",
	  UNIT("test_cpu_run.c"), "test_run_movss_single_step", M64 | M32 },
	{ X86_MAP_1B, 0x9a, 0x9a, "CALL ptr16:32", "#UD in 64-bit mode; compatibility mode",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_compat_mode", M64 | M32 },
	{ X86_MAP_1B, 0xca, 0xca, "RETF imm16", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_far_ret_imm", M64 | M32 },
	{ X86_MAP_1B, 0xcb, 0xcb, "RETF", "needs a GDT", ASM("sys_privilege.S"), "t_lret", M64 | M32 },
	{ X86_MAP_1B, 0xcf, 0xcf, "IRET", "needs a GDT",
	  UNIT("test_cpu_system.c"), "test_iretq_same_privilege", M64 | M32 },
	{ X86_MAP_1B, 0xe4, 0xe7, "IN/OUT imm8", "port I/O: Unicorn has no ports",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_port_io", M64 | M32 | M16 },
	{ X86_MAP_1B, 0xea, 0xea, "JMP ptr16:32", "#UD in 64-bit mode; compatibility mode",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_compat_mode", M64 | M32 },
	{ X86_MAP_1B, 0xec, 0xef, "IN/OUT DX", "port I/O: Unicorn has no ports",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_port_io", M64 | M32 | M16 },
	{ X86_MAP_1B, 0xf4, 0xf4, "HLT", "ends every case", UNIT("test_cpu_run.c"), "test_run_basic", M64 | M32 | M16 },
	{ X86_MAP_1B, 0xfb, 0xfb, "STI", "interrupt shadow; no interrupts in the harness",
	  UNIT("test_cpu_run.c"), "test_run_interrupt", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x00, 0x00, "group 6 (SLDT STR LLDT LTR VERR VERW)", "descriptor tables",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_tables", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x01, 0x01, "group 7 (SGDT SIDT LGDT LIDT SMSW LMSW INVLPG SWAPGS RDTSCP)",
	  "descriptor tables, CR0", UNIT("test_cpu_sysinsn.c"), "test_sysinsn_tables", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x02, 0x03, "LAR/LSL", "descriptor tables",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_tables", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x05, 0x05, "SYSCALL", "MSRs and a GDT",
	  UNIT("test_cpu_system.c"), "test_syscall_sysret", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x06, 0x06, "CLTS", "CR0", UNIT("test_cpu_sysinsn.c"), "test_sysinsn_msw", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x07, 0x07, "SYSRET", "MSRs and a GDT",
	  UNIT("test_cpu_system.c"), "test_syscall_sysret", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x08, 0x09, "INVD/WBINVD", "caches",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_counters_caches", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x20, 0x20, "MOV r,CR", "control registers",
	  UNIT("test_cpu_system.c"), "test_cr4_reserved", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x21, 0x21, "MOV r,DR", "debug registers",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_debug_regs", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x22, 0x22, "MOV CR,r", "control registers",
	  UNIT("test_cpu_system.c"), "test_cr4_reserved", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x23, 0x23, "MOV DR,r", "debug registers",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_debug_regs", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x30, 0x30, "WRMSR", "MSRs", UNIT("test_cpu_system.c"), "test_msrs", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x31, 0x31, "RDTSC", "not deterministic", ASM("sys_cpuid.S"), "t_tsc", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x32, 0x32, "RDMSR", "MSRs", UNIT("test_cpu_system.c"), "test_msrs", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x33, 0x33, "RDPMC", "performance counters",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_counters_caches", M64 | M32 | M16 },
	{ X86_MAP_0F, 0x34, 0x35, "SYSENTER/SYSEXIT", "MSRs and a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_sysenter_sysexit", M64 | M32 | M16 },
	{ X86_MAP_0F, 0xa0, 0xa1, "PUSH/POP FS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads", M64 | M32 },
	{ X86_MAP_0F, 0xa2, 0xa2, "CPUID", "hover's and Unicorn's CPU models differ",
	  UNIT("test_cpu_system.c"), "test_cpuid", M64 | M32 | M16 },
	{ X86_MAP_0F, 0xa8, 0xa9, "PUSH/POP GS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads", M64 | M32 },
	{ X86_MAP_0F, 0xb2, 0xb2, "LSS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads", M64 | M32 },
	{ X86_MAP_0F, 0xb4, 0xb5, "LFS/LGS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads", M64 | M32 },
#undef UNIT
#undef ASM
};

const struct diff_elsewhere *gen_elsewhere(int map, int op, int mode)
{
	/* 16-bit protected mode leaves out what 32-bit mode does: descriptors */
	unsigned m = mode == DIFF_MODE16 ? M16 : mode == DIFF_MODE64 ? M64 : M32;

	for (unsigned i = 0; i < ARRAY_SIZE(elsewhere); i++)
		if (elsewhere[i].map == map && op >= elsewhere[i].lo && op <= elsewhere[i].hi &&
		    (elsewhere[i].modes & m))
			return &elsewhere[i];
	return NULL;
}

/*
 * The windows of each mode. Real and 16-bit protected mode: one 64 KiB segment per window, below
 * 1 MiB and clear of the harness's system pages (hover_backend.c).
 */
static const struct diff_layout layouts[4] = {
	{ DIFF_CODE, DIFF_DATA, DIFF_STACK, DIFF_CODE_SIZE, DIFF_DATA_SIZE, DIFF_STACK_SIZE,
	  DIFF_CODE, 0, 0, 0 },
	{ DIFF_CODE, DIFF_DATA, DIFF_STACK, DIFF_CODE_SIZE, DIFF_DATA_SIZE, DIFF_STACK_SIZE,
	  DIFF_CODE, 0, 0, 0 },
	{ 0x40000, 0x50000, 0x60000, 0x10000, 0x10000, 0x10000, 0, 0x4000, 0x5000, 0x6000 },
	{ 0x40000, 0x50000, 0x60000, 0x10000, 0x10000, 0x10000, 0, DIFF16P_SEL_CODE,
	  DIFF16P_SEL_DATA, DIFF16P_SEL_STACK },
};

const struct diff_layout *diff_layout(int mode)
{
	return &layouts[mode == DIFF_MODE16P ? 3 : mode == DIFF_MODE16 ? 2 : mode == DIFF_MODE32 ? 1 : 0];
}

const char *diff_mode_name(int mode)
{
	return mode == DIFF_MODE16 ? "real mode" : mode == DIFF_MODE16P ? "16-bit protected mode" :
	       mode == DIFF_MODE32 ? "32-bit protected mode" : "64-bit mode";
}

int gen_x86_mode(int mode)
{
	return mode == DIFF_MODE16 ? X86_MODE_REAL : mode == DIFF_MODE16P ? X86_MODE_PROT16 :
	       mode == DIFF_MODE32 ? X86_MODE_PROT32 : X86_MODE_LONG64;
}

unsigned gen_slots(struct diff_slot *slots, unsigned cap)
{
	const struct x86_optable *t = x86_optable_get();
	unsigned n = 0;

	for (int map = 0; map < X86_MAP_COUNT; map++)
		for (int op = 0; op < 256; op++)
			for (int mp = 0; mp < X86_MP_COUNT; mp++) {
				if (!t->fn[map][op][mp] || t->fn[map][op][mp] == x86_op_ud)
					continue;
				if (n < cap)
					slots[n] = (struct diff_slot){ (u8)map, (u8)op, (u8)mp };
				n++;
			}
	return n;
}
