/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unicorn's x86-64 engine (Debian libunicorn-dev, Unicorn 2.0.1 = QEMU 5.0
 * TCG) as the reference of the differential harness. One engine is reused
 * for every case: memory windows are rewritten, registers set, and the
 * translation cache for the code page dropped before each run.
 *
 * Unicorn runs without paging: an access outside the mapped windows ends
 * the run with UC_ERR_*_UNMAPPED / UC_ERR_*_PROT, which the driver treats as
 * #PF (or #GP for a non-canonical address, see deviations.md). An executed
 * exception or INT n reaches the interrupt hook with its vector; an invalid
 * opcode ends the run with UC_ERR_INSN_INVALID (#UD). A code hook stops the
 * run when execution leaves the case's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "cpu/x86/insn.h"
#include "tests/diff/diff.h"

#define MXCSR_FZ 0x8000u

struct ucb {
	uc_engine *uc;
	uc_context *fresh; /* the CPU state after reset: restored before each case */
	u64 end;
	int intno;
	u64 fault_addr;
	bool fault;
};

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct ucb *u = opaque;

	if (addr < DIFF_CODE || addr >= u->end)
		uc_emu_stop(uc);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct ucb *u = opaque;

	if (u->intno < 0)
		u->intno = (int)intno;
	uc_emu_stop(uc);
}

static bool hook_invalid(uc_engine *uc, void *opaque)
{
	struct ucb *u = opaque;

	if (u->intno < 0)
		u->intno = 6;
	return false;
}

static bool hook_mem(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		     void *opaque)
{
	struct ucb *u = opaque;

	if (!u->fault) {
		u->fault = true;
		u->fault_addr = addr;
	}
	return false;
}

static void wreg(struct ucb *u, int reg, const void *v)
{
	uc_reg_write(u->uc, reg, v);
}

static const int gpr_ids[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

static int uc_run(void *priv, const struct diff_case *c, struct diff_result *out)
{
	struct ucb *u = priv;
	const struct diff_state *in = &c->init;
	struct diff_state *st = &out->st;
	static u8 page[DIFF_CODE_SIZE];
	u64 v, rip = DIFF_CODE;
	uc_err err;
	u16 tag = 0;
	/*
	 * deviation: QEMU 5.0 applies MXCSR.FZ to the x87 unit (and not to
	 * SSE): it flushes tiny x87 results to zero. x87 instructions neither
	 * read nor write MXCSR, so an x87 case runs here with FZ clear and
	 * reports MXCSR with FZ as it was.
	 */
	bool x87 = c->map == X86_MAP_1B && c->opcode >= 0xd8 && c->opcode <= 0xdf;

	/*
	 * Start from the saved reset state: QEMU remembers the last exception
	 * (env->old_exception) and would turn the next contributory fault into
	 * #DF, since Unicorn never delivers the first one.
	 */
	uc_context_restore(u->uc, u->fresh);
	memset(page, 0xf4, sizeof(page));
	memcpy(page, c->code, c->len);
	uc_mem_write(u->uc, DIFF_CODE, page, sizeof(page));
	uc_mem_write(u->uc, DIFF_DATA, in->data, DIFF_DATA_SIZE);
	uc_mem_write(u->uc, DIFF_STACK, in->stack, DIFF_STACK_SIZE);
	uc_ctl_remove_cache(u->uc, DIFF_CODE, DIFF_CODE + DIFF_CODE_SIZE);
	for (int i = 0; i < 16; i++)
		wreg(u, gpr_ids[i], &in->gpr[i]);
	wreg(u, UC_X86_REG_RIP, &rip);
	wreg(u, UC_X86_REG_RFLAGS, &in->rflags);
	wreg(u, UC_X86_REG_FS_BASE, &in->fs_base);
	wreg(u, UC_X86_REG_GS_BASE, &in->gs_base);
	for (int i = 0; i < 16; i++)
		wreg(u, UC_X86_REG_XMM0 + i, in->xmm[i]);
	wreg(u, UC_X86_REG_MXCSR, &(u32){ in->mxcsr & ~(x87 ? MXCSR_FZ : 0) });
	wreg(u, UC_X86_REG_FPCW, &in->fcw);
	wreg(u, UC_X86_REG_FPSW, &in->fsw);
	for (int i = 0; i < 8; i++) {
		u8 f80[16] = { 0 };

		memcpy(f80, &in->fpr[i].mant, 8);
		memcpy(f80 + 8, &in->fpr[i].exp, 2);
		wreg(u, UC_X86_REG_FP0 + i, f80);
		tag |= (u16)((in->ftag >> i & 1 ? 3 : 0) << (2 * i));
	}
	wreg(u, UC_X86_REG_FPTAG, &tag);

	u->end = DIFF_CODE + c->len;
	u->intno = -1;
	u->fault = false;
	err = uc_emu_start(u->uc, DIFF_CODE, DIFF_CODE + DIFF_CODE_SIZE, 0, 100000);

	out->exc = DIFF_NO_EXC;
	out->cr2 = 0;
	out->fault_addr_valid = 0;
	if (u->intno >= 0) {
		out->exc = u->intno;
	} else if (err == UC_ERR_INSN_INVALID) {
		out->exc = 6;
	} else if (err != UC_ERR_OK) {
		out->exc = 14;
		out->cr2 = u->fault_addr;
		out->fault_addr_valid = u->fault;
	}
	for (int i = 0; i < 16; i++)
		uc_reg_read(u->uc, gpr_ids[i], &st->gpr[i]);
	uc_reg_read(u->uc, UC_X86_REG_RIP, &st->rip);
	uc_reg_read(u->uc, UC_X86_REG_RFLAGS, &v);
	st->rflags = v;
	uc_reg_read(u->uc, UC_X86_REG_FS_BASE, &st->fs_base);
	uc_reg_read(u->uc, UC_X86_REG_GS_BASE, &st->gs_base);
	for (int i = 0; i < 16; i++)
		uc_reg_read(u->uc, UC_X86_REG_XMM0 + i, st->xmm[i]);
	st->mxcsr = 0;
	uc_reg_read(u->uc, UC_X86_REG_MXCSR, &st->mxcsr);
	if (x87)
		st->mxcsr |= in->mxcsr & MXCSR_FZ;
	uc_reg_read(u->uc, UC_X86_REG_FPCW, &st->fcw);
	uc_reg_read(u->uc, UC_X86_REG_FPSW, &st->fsw);
	tag = 0;
	uc_reg_read(u->uc, UC_X86_REG_FPTAG, &tag);
	st->ftag = 0;
	for (int i = 0; i < 8; i++) {
		u8 f80[16] = { 0 };

		uc_reg_read(u->uc, UC_X86_REG_FP0 + i, f80);
		memcpy(&st->fpr[i].mant, f80, 8);
		memcpy(&st->fpr[i].exp, f80 + 8, 2);
		if (((tag >> (2 * i)) & 3) == 3)
			st->ftag |= (u8)(1u << i);
	}
	uc_mem_read(u->uc, DIFF_DATA, st->data, DIFF_DATA_SIZE);
	uc_mem_read(u->uc, DIFF_STACK, st->stack, DIFF_STACK_SIZE);
	return 0;
}

static void uc_destroy(void *priv)
{
	struct ucb *u = priv;

	uc_context_free(u->fresh);
	uc_close(u->uc);
	free(u);
}

int uc_engine_create(struct diff_engine *e)
{
	struct ucb *u = calloc(1, sizeof(*u));
	uc_hook h1, h2, h3, h4;
	u64 cr4 = 0x600; /* OSFXSR, OSXMMEXCPT; CR0 stays as Unicorn sets it (no paging) */

	if (!u)
		return -1;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &u->uc) != UC_ERR_OK)
		goto err_open;
	/*
	 * Core 2: has LAHF/SAHF in 64-bit mode as hover does (qemu64 lacks it)
	 * and no BMI/ABM, so F3 0F BC/BD stay BSF/BSR as on hover.
	 */
	uc_ctl_set_cpu_model(u->uc, UC_CPU_X86_CORE2DUO);
	if (uc_mem_map(u->uc, DIFF_CODE, DIFF_CODE_SIZE, UC_PROT_ALL) ||
	    uc_mem_map(u->uc, DIFF_DATA, DIFF_DATA_SIZE, UC_PROT_READ | UC_PROT_WRITE) ||
	    uc_mem_map(u->uc, DIFF_STACK, DIFF_STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE))
		goto err_map;
	uc_hook_add(u->uc, &h1, UC_HOOK_CODE, hook_code, u, 1, 0);
	uc_hook_add(u->uc, &h2, UC_HOOK_INTR, hook_intr, u, 1, 0);
	uc_hook_add(u->uc, &h3, UC_HOOK_MEM_INVALID, hook_mem, u, 1, 0);
	uc_hook_add(u->uc, &h4, UC_HOOK_INSN_INVALID, hook_invalid, u, 1, 0);
	uc_reg_write(u->uc, UC_X86_REG_CR4, &cr4);
	if (uc_context_alloc(u->uc, &u->fresh) || uc_context_save(u->uc, u->fresh))
		goto err_map;
	*e = (struct diff_engine){ "unicorn", u, uc_run, uc_destroy };
	return 0;
err_map:
	uc_close(u->uc);
err_open:
	free(u);
	return -1;
}
