// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the instruction decoder (cpu/x86/decode.c), built by
 * `make fuzz` with clang -fsanitize=fuzzer,address,undefined. For every
 * input and each execution mode: x86_decode() must not crash or read past
 * `avail`; a success has 1 <= len <= 15 and a handler; -EAGAIN only when
 * fewer than 15 bytes were given. In 64-bit mode the length of every
 * encoding Capstone accepts must equal Capstone's, except where the SDM and
 * Capstone disagree (tests/diff/deviations.md).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define x86_insn capstone_x86_insn
#include <capstone/capstone.h>
#undef x86_insn

#include "cpu/x86/insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static csh cs;

static bool capstone_deviation(const struct x86_insn *in)
{
	/* 66/67 E8/E9/0F 8x (Capstone: rel16), UD1/UD0 (no ModRM), VEX C4/C5 */
	if (in->map == X86_MAP_0F && (in->opcode == 0xb9 || in->opcode == 0xff ||
				      (in->opcode >= 0x80 && in->opcode <= 0x8f)))
		return true;
	if (in->map == X86_MAP_1B && (in->opcode == 0xe8 || in->opcode == 0xe9 ||
				      in->opcode == 0xc4 || in->opcode == 0xc5))
		return true;
	/* 8F with ModRM.reg != 0: AMD's XOP to Capstone, group 1A's reserved /1-/7 (#UD) to the SDM */
	if (in->map == X86_MAP_1B && in->opcode == 0x8f && in->has_modrm && (in->reg & 7))
		return true;
	/* LOCK'd invalid forms, i64 opcodes and empty slots raise #UD whatever their length */
	return in->op == x86_op_ud || (in->prefix & X86_PFX_LOCK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum x86_mode modes[] = { X86_MODE_LONG64, X86_MODE_COMPAT32, X86_MODE_PROT16 };
	uint8_t *buf;
	unsigned n = size > 15 ? 15 : (unsigned)size;

	if (!cs) {
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
			abort();
	}
	/* an exact-size heap copy, so ASan sees any read past `avail` */
	buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, n);
	for (unsigned m = 0; m < 3; m++) {
		struct x86_insn in;
		int r = x86_decode(buf, n, modes[m], &in);

		if (r == 0) {
			if (in.len < 1 || in.len > 15 || in.len > n || !in.op)
				abort();
			if (modes[m] == X86_MODE_LONG64) {
				cs_insn *ci;
				size_t cnt = cs_disasm(cs, buf, in.len, 0, 1, &ci);

				if (cnt) {
					if (ci[0].size != in.len && !capstone_deviation(&in))
						abort();
					cs_free(ci, cnt);
				}
			}
		} else if (r == -EAGAIN) {
			if (n >= 15)
				abort();
		} else if (r != -EINVAL) {
			abort();
		}
	}
	free(buf);
	return 0;
}
