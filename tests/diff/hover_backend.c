/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hover's CPU as a differential-harness engine, on the unit tests' flat-RAM
 * machine (tests/unit/cpu_harness.h). The harness identity-maps 16 MiB with
 * 4 KiB pages; here every page is made not-present except the harness's own
 * system pages (GDT, IDT, handler stubs, TSS, a dedicated IST stack) and the
 * three windows of diff.h, with the data and stack windows no-execute. So a
 * stray access faults exactly where it faults in Unicorn.
 *
 * Every IDT gate switches to IST1 (Intel SDM Vol. 3A 6.14.5), so the
 * exception frame never lands in a compared window; the frame gives the
 * faulting RIP, RFLAGS and RSP.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/exec.h"
#include "tests/diff/diff.h"
#include "tests/unit/cpu_harness.h"

#define IST_TOP 0x90000ULL

static u64 *pte(struct cpu_harness *h, u64 lin)
{
	u64 page = lin >> 12;

	return (u64 *)((u8 *)harness_ptr(h, 0x4000 + (page >> 9) * 0x1000) + (page & 511) * 8);
}

static void setup_maps(struct cpu_harness *h)
{
	for (u64 a = 0; a < HARNESS_RAM_SIZE; a += 0x1000) {
		bool sys = (a >= HARNESS_GDT && a < 0x15000) || a == IST_TOP - 0x1000;
		u64 flags = HARNESS_PTE_P | HARNESS_PTE_W;

		if (a == DIFF_CODE)
			flags |= 0;
		else if ((a >= DIFF_DATA && a < DIFF_DATA + DIFF_DATA_SIZE) ||
			 (a >= DIFF_STACK && a < DIFF_STACK + DIFF_STACK_SIZE))
			flags |= HARNESS_PTE_NX;
		else if (!sys)
			flags = 0;
		*pte(h, a) = flags ? a | flags : 0;
	}
	for (int v = 0; v < 256; v++)
		((u8 *)harness_ptr(h, HARNESS_IDT + v * 16))[4] = 1; /* IST1 */
	memcpy((u8 *)harness_ptr(h, 0x14000 + 0x24), &(u64){ IST_TOP }, 8);
	x86_tlb_flush_all(h->cpu);
}

static u16 tag_of(const struct diff_fpreg *r)
{
	unsigned e = r->exp & 0x7fff;

	if (e == 0x7fff || (e != 0 && !(r->mant >> 63)))
		return 2;
	if (e == 0)
		return r->mant ? 2 : 1;
	return 0;
}

static int hover_run(void *priv, const struct diff_case *c, struct diff_result *out)
{
	struct cpu_harness *h = priv;
	struct x86_cpu *cpu = h->cpu;
	const struct diff_state *in = &c->init;
	struct diff_state *st = &out->st;
	static u8 page[DIFF_CODE_SIZE];
	int vec;

	memset(page, 0xf4, sizeof(page));
	memcpy(page, c->code, c->len);
	harness_load_at(h, DIFF_CODE, page, sizeof(page));
	memcpy(harness_ptr(h, DIFF_DATA), in->data, DIFF_DATA_SIZE);
	memcpy(harness_ptr(h, DIFF_STACK), in->stack, DIFF_STACK_SIZE);
	memcpy(cpu->gpr, in->gpr, sizeof(cpu->gpr));
	cpu->rip = DIFF_CODE;
	cpu->lf.op = X86_LF_NONE;
	cpu->rflags = in->rflags;
	cpu->seg[SEG_FS].base = in->fs_base;
	cpu->seg[SEG_GS].base = in->gs_base;
	cpu->cr2 = 0;
	cpu->intr_shadow = false;
	memcpy(cpu->fpu.xmm, in->xmm, sizeof(in->xmm));
	cpu->fpu.mxcsr = in->mxcsr;
	cpu->fpu.fcw = in->fcw;
	cpu->fpu.fsw = in->fsw;
	cpu->fpu.ftw = 0;
	for (int i = 0; i < 8; i++) {
		cpu->fpu.fpr[i].mant = in->fpr[i].mant;
		cpu->fpu.fpr[i].exp = in->fpr[i].exp;
		cpu->fpu.ftw |= (u16)((in->ftag >> i & 1 ? 3 : tag_of(&in->fpr[i])) << (2 * i));
	}
	cpu->fpu.fip = cpu->fpu.fdp = 0;
	cpu->fpu.fop = 0;

	if (harness_run(h) != X86_EXIT_HALT)
		return -1; /* timeout or shutdown: reported as a divergence by the driver */

	memcpy(st->gpr, cpu->gpr, sizeof(st->gpr));
	st->rflags = x86_get_rflags(cpu);
	st->rip = cpu->rip - 1; /* past the HLT padding that ended the run */
	vec = harness_exception(h);
	out->exc = vec;
	out->cr2 = cpu->cr2;
	if (vec >= 0) {
		bool soft = c->map == X86_MAP_1B && (c->opcode == 0xcd || c->opcode == 0xcc ||
						     c->opcode == 0xf1);
		bool has_err = !soft && (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17);
		u64 f = IST_TOP - (has_err ? 48 : 40) + (has_err ? 8 : 0);

		memcpy(&st->rip, harness_ptr(h, f), 8);
		memcpy(&st->rflags, harness_ptr(h, f + 16), 8);
		memcpy(&st->gpr[GPR_RSP], harness_ptr(h, f + 24), 8);
	}
	st->fs_base = cpu->seg[SEG_FS].base;
	st->gs_base = cpu->seg[SEG_GS].base;
	memcpy(st->xmm, cpu->fpu.xmm, sizeof(st->xmm));
	st->mxcsr = cpu->fpu.mxcsr;
	st->fcw = cpu->fpu.fcw;
	st->fsw = cpu->fpu.fsw;
	st->ftag = 0;
	for (int i = 0; i < 8; i++) {
		st->fpr[i].mant = cpu->fpu.fpr[i].mant;
		st->fpr[i].exp = cpu->fpu.fpr[i].exp;
		if (((cpu->fpu.ftw >> (2 * i)) & 3) == 3)
			st->ftag |= (u8)(1u << i);
	}
	memcpy(st->data, harness_ptr(h, DIFF_DATA), DIFF_DATA_SIZE);
	memcpy(st->stack, harness_ptr(h, DIFF_STACK), DIFF_STACK_SIZE);
	return 0;
}

static void hover_destroy(void *priv)
{
	harness_destroy(priv);
}

int hover_engine_create(struct diff_engine *e)
{
	struct cpu_harness *h = harness_create();

	if (!h)
		return -1;
	setup_maps(h);
	/* HOVER_EMU_JIT=off: check the interpreter instead of the translator (meson test diffcpu-interp). */
	if (getenv("HOVER_EMU_JIT") && !strcmp(getenv("HOVER_EMU_JIT"), "off"))
		x86_cpu_set_jit(h->cpu, false);
	*e = (struct diff_engine){ "hover", h, hover_run, hover_destroy };
	return 0;
}
