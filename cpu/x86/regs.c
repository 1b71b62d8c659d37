/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ModRM operands: effective addresses and r/m register-or-memory access
 * (Intel SDM Vol. 2 2.1.5, tables 2-1 to 2-3; Vol. 1 3.7.5 addressing).
 *
 * decode.c already resolved the addressing form into base/index/scale/disp
 * (16-bit forms too: BX+SI etc. become base+index), so one formula serves
 * every address size; the sum is truncated to the address size, which also
 * gives the 16/32-bit wrap-around.
 */
#include "cpu/x86/exec.h"

u64 x86_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 ea = (u64)(s64)in->disp;

	if (in->base < 16)
		ea += cpu->gpr[in->base];
	else if (in->base == X86_REG_RIP)
		ea += cpu->next_rip;
	if (in->index < 16)
		ea += cpu->gpr[in->index] << in->scale;
	if (in->addrsize == 8)
		return ea;
	return in->addrsize == 4 ? (u32)ea : (u16)ea;
}

u64 x86_rm_read(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	if (in->mod == 3)
		return x86_get_reg(cpu, in, in->rm, size);
	return x86_read(cpu, in->seg, x86_ea(cpu, in), size);
}

void x86_rm_write(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 v)
{
	if (in->mod == 3)
		x86_set_reg(cpu, in, in->rm, size, v);
	else
		x86_write(cpu, in->seg, x86_ea(cpu, in), size, v);
}
