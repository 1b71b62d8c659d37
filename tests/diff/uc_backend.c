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
 *
 * UC_MODE_32 starts in protected mode with flat segments and no paging;
 * 16-bit protected mode is UC_MODE_32 with diff.h's GDT mapped and its
 * 16-bit segments loaded (the descriptor's D/B bits make the code and the
 * stack 16-bit);
 * UC_MODE_16 in real mode, where writing a segment register loads base =
 * selector * 16 and uc_emu_start's address is linear (CS:IP). Outside
 * 64-bit mode Unicorn has only the 32-bit registers (EAX..EDI, EIP, EFLAGS)
 * and XMM0-7.
 */
#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "cpu/x86/insn.h"
#include "tests/diff/diff.h"

#define MXCSR_FZ 0x8000u

struct ucb {
	uc_engine *uc;
	int mode;
	const struct diff_layout *L;
	uc_context *fresh; /* the CPU state after reset: restored before each case */
	u64 end;
	int intno;
	u64 fault_addr;
	bool fault;
};

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct ucb *u = opaque;

	if (addr < u->L->code || addr >= u->end)
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

static const int gpr32_ids[8] = {
	UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
	UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI,
};

static const int seg_ids[6] = {
	UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_FS, UC_X86_REG_GS,
};

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
	const struct diff_layout *L = u->L;
	bool m64 = u->mode == DIFF_MODE64;
	unsigned nxmm = m64 ? 16 : 8;
	static u8 page[DIFF_WIN_MAX];
	u64 v, rip = L->ip0;
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
	memset(page, 0xf4, L->code_size);
	memcpy(page, c->code, c->len);
	uc_mem_write(u->uc, L->code, page, L->code_size);
	uc_mem_write(u->uc, L->data, in->data, L->data_size);
	uc_mem_write(u->uc, L->stack, in->stack, L->stack_size);
	uc_ctl_remove_cache(u->uc, L->code, L->code + L->code_size);
	if (m64) {
		for (int i = 0; i < 16; i++)
			wreg(u, gpr_ids[i], &in->gpr[i]);
		wreg(u, UC_X86_REG_RIP, &rip);
		wreg(u, UC_X86_REG_RFLAGS, &in->rflags);
		wreg(u, UC_X86_REG_FS_BASE, &in->fs_base);
		wreg(u, UC_X86_REG_GS_BASE, &in->gs_base);
	} else {
		/* 32-bit registers: Unicorn reads the low half of each u64 (little-endian) */
		for (int i = 0; i < 8; i++)
			wreg(u, gpr32_ids[i], &in->gpr[i]);
		if (u->mode == DIFF_MODE16) /* CS before EIP: in real mode uc_emu_start subtracts CS * 16 */
			for (int i = 0; i < 6; i++)
				wreg(u, seg_ids[i], &in->sel[i]);
		wreg(u, UC_X86_REG_EIP, &rip);
		wreg(u, UC_X86_REG_EFLAGS, &in->rflags);
	}
	for (int i = 0; i < (int)nxmm; i++)
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

	u->end = L->code + c->len;
	u->intno = -1;
	u->fault = false;
	/* begin is EIP in protected mode (CS base apart), CS * 16 + IP in real mode */
	err = uc_emu_start(u->uc, u->mode == DIFF_MODE16P ? L->ip0 : L->code, L->code + L->code_size, 0,
			   100000);

	out->exc = DIFF_NO_EXC;
	out->cr2 = 0;
	out->fault_addr_valid = 0;
	if (u->intno >= 0) {
		out->exc = u->intno;
	} else if (err == UC_ERR_INSN_INVALID) {
		out->exc = 6;
	} else if (err != UC_ERR_OK) {
		out->exc = 14;
		/* Outside IA-32e mode linear addresses have 32 bits (SDM Vol. 3A 3.3); QEMU's sign-extend. */
		out->cr2 = m64 ? u->fault_addr : (u32)u->fault_addr;
		out->fault_addr_valid = u->fault;
	}
	if (m64) {
		for (int i = 0; i < 16; i++)
			uc_reg_read(u->uc, gpr_ids[i], &st->gpr[i]);
		uc_reg_read(u->uc, UC_X86_REG_RIP, &st->rip);
		uc_reg_read(u->uc, UC_X86_REG_RFLAGS, &v);
		st->rflags = v;
		uc_reg_read(u->uc, UC_X86_REG_FS_BASE, &st->fs_base);
		uc_reg_read(u->uc, UC_X86_REG_GS_BASE, &st->gs_base);
	} else {
		u32 r32;
		u16 sel;

		for (int i = 0; i < 8; i++) {
			r32 = 0;
			uc_reg_read(u->uc, gpr32_ids[i], &r32);
			st->gpr[i] = r32;
		}
		for (int i = 8; i < 16; i++) /* not reachable without REX */
			st->gpr[i] = in->gpr[i];
		r32 = 0;
		uc_reg_read(u->uc, UC_X86_REG_EIP, &r32);
		st->rip = r32;
		/*
		 * Unicorn 2.0.1 with a CS base (real and 16-bit protected mode):
		 * where it stopped the run (the code hook, `until`) EIP reads back
		 * as the linear address CS.base + IP.
		 */
		if (diff_seg16(u->mode) && st->rip >= L->code)
			st->rip -= L->code;
		r32 = 0;
		uc_reg_read(u->uc, UC_X86_REG_EFLAGS, &r32);
		st->rflags = r32;
		st->fs_base = in->fs_base;
		st->gs_base = in->gs_base;
		for (int i = 0; i < 6; i++) {
			sel = 0;
			uc_reg_read(u->uc, seg_ids[i], &sel);
			st->sel[i] = u->mode == DIFF_MODE16 ? sel : in->sel[i];
		}
	}
	for (int i = 0; i < 16; i++)
		if (i < (int)nxmm)
			uc_reg_read(u->uc, UC_X86_REG_XMM0 + i, st->xmm[i]);
		else
			memcpy(st->xmm[i], in->xmm[i], 16);
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
	uc_mem_read(u->uc, L->data, st->data, L->data_size);
	uc_mem_read(u->uc, L->stack, st->stack, L->stack_size);
	return 0;
}

static void uc_destroy(void *priv)
{
	struct ucb *u = priv;

	uc_context_free(u->fresh);
	uc_close(u->uc);
	free(u);
}

int uc_engine_create(struct diff_engine *e, int mode)
{
	struct ucb *u = calloc(1, sizeof(*u));
	uc_hook h1, h2, h3, h4;
	u64 cr4 = 0x600; /* OSFXSR, OSXMMEXCPT; CR0 stays as Unicorn sets it (no paging) */
	const struct diff_layout *L = diff_layout(mode);

	if (!u)
		return -1;
	u->mode = mode;
	u->L = L;
	if (uc_open(UC_ARCH_X86, mode == DIFF_MODE16 ? UC_MODE_16 : mode == DIFF_MODE64 ? UC_MODE_64 :
		    UC_MODE_32, &u->uc) != UC_ERR_OK)
		goto err_open;
	/*
	 * Core 2: has LAHF/SAHF in 64-bit mode as hover does (qemu64 lacks it)
	 * and no BMI/ABM, so F3 0F BC/BD stay BSF/BSR as on hover.
	 */
	uc_ctl_set_cpu_model(u->uc, UC_CPU_X86_CORE2DUO);
	if (uc_mem_map(u->uc, L->code, L->code_size, UC_PROT_ALL) ||
	    uc_mem_map(u->uc, L->data, L->data_size, UC_PROT_READ | UC_PROT_WRITE) ||
	    uc_mem_map(u->uc, L->stack, L->stack_size, UC_PROT_READ | UC_PROT_WRITE))
		goto err_map;
	if (mode == DIFF_MODE16P) {
		static const int ids[6] = { UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS,
					    UC_X86_REG_GS, UC_X86_REG_CS };
		uc_x86_mmr gdtr = { .base = DIFF16P_GDT, .limit = DIFF16P_GDT_LIMIT };
		u8 gdt[DIFF16P_GDT_LIMIT + 1] = { 0 };

		for (unsigned s = DIFF16P_SEL_CODE; s <= DIFF16P_SEL_STACK; s += 8)
			memcpy(gdt + s, &(u64){ diff16p_desc(s) }, 8);
		if (uc_mem_map(u->uc, DIFF16P_GDT, 0x1000, UC_PROT_READ | UC_PROT_WRITE) ||
		    uc_mem_write(u->uc, DIFF16P_GDT, gdt, sizeof(gdt)) ||
		    uc_reg_write(u->uc, UC_X86_REG_GDTR, &gdtr))
			goto err_map;
		for (int i = 0; i < 6; i++) {
			u16 sel = ids[i] == UC_X86_REG_CS ? DIFF16P_SEL_CODE :
				  ids[i] == UC_X86_REG_SS ? DIFF16P_SEL_STACK : DIFF16P_SEL_DATA;

			if (uc_reg_write(u->uc, ids[i], &sel))
				goto err_map;
		}
	}
	if (mode == DIFF_MODE16) {
		/*
		 * Unicorn 2.0.1 in real mode stores a CR0/CR4 written with
		 * uc_reg_write but does not recompute its hflags, so SSE stays
		 * #UD (no OSFXSR): let the guest write them. mov eax, 0x600;
		 * mov cr4, eax; mov eax, 0x30 (NE ET); mov cr0, eax.
		 */
		static const u8 boot[] = { 0x66, 0xb8, 0x00, 0x06, 0, 0, 0x0f, 0x22, 0xe0,
					   0x66, 0xb8, 0x30, 0, 0, 0, 0x0f, 0x22, 0xc0 };
		u16 cs = L->cs;

		uc_mem_write(u->uc, L->code, boot, sizeof(boot));
		uc_reg_write(u->uc, UC_X86_REG_CS, &cs);
		if (uc_emu_start(u->uc, L->code, L->code + sizeof(boot), 0, 10) != UC_ERR_OK)
			goto err_map;
	}
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
