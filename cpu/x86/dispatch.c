/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The opcode dispatch table: [map][opcode][mandatory prefix] -> handler
 * (Intel SDM Vol. 2 Appendix A for the maps, 2.1.2 for mandatory prefixes).
 *
 * Filled once per process by the instruction-family files through their
 * x86_register_*() functions and read-only afterwards, so every CPU of every
 * VM shares it. Empty slots stay NULL; decode.c turns them into x86_op_ud.
 */
#include <pthread.h>

#include "cpu/x86/exec.h"
#include "cpu/x86/tlb.h"

static struct x86_optable optable;
static pthread_once_t optable_once = PTHREAD_ONCE_INIT;

void x86_optable_set(struct x86_optable *t, int map, int opcode, x86_op_fn *fn)
{
	for (int mp = 0; mp < X86_MP_COUNT; mp++)
		t->fn[map][opcode & 0xff][mp] = fn;
}

void x86_optable_set_mp(struct x86_optable *t, int map, int opcode, int mp, x86_op_fn *fn)
{
	t->fn[map][opcode & 0xff][mp] = fn;
}

static void optable_init(void)
{
	x86_register_alu(&optable);
	x86_register_shift(&optable);
	x86_register_muldiv(&optable);
	x86_register_bitops(&optable);
	x86_register_datamov(&optable);
	x86_register_string(&optable);
	x86_register_stack(&optable);
	x86_register_branch(&optable);
	x86_register_system(&optable);
	x86_register_segment(&optable);
	x86_register_x87(&optable);
	x86_register_sse(&optable);
}

const struct x86_optable *x86_optable_get(void)
{
	pthread_once(&optable_once, optable_init);
	return &optable;
}

/* Log each distinct unimplemented opcode once per CPU, then raise #UD. */
void x86_op_ud(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (cpu->bus.log_unimplemented) {
		u64 *bits = in->map == X86_MAP_1B ? cpu->unimpl_seen
						  : &cpu->unimpl_seen_ext[(in->map - 1) * 4];
		u64 bit = 1ULL << (in->opcode & 63);

		if (!(bits[in->opcode >> 6] & bit)) {
			u8 buf[15];
			unsigned n;

			bits[in->opcode >> 6] |= bit;
			n = x86_peek_code(cpu, cpu->rip, buf, in->len ? in->len : 1);
			cpu->bus.log_unimplemented(cpu->bus.opaque, cpu->rip, buf, n);
		}
	}
	x86_raise(cpu, X86_EXC_UD, X86_NO_ERR);
}
