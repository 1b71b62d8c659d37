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
 *
 * 32-bit mode: the same page tables under a PAE PDPT (SDM Vol. 3A 4.4), the
 * harness's flat segments and IDT of 32-bit gates. Real mode: no paging (the
 * windows are whole segments, diff.h), the harness's IVT (SDM Vol. 3A
 * 20.1.4). Neither has an IST, so the frame lands on the
 * case's stack: it is read there, then the bytes it covered are put back as
 * the case left them (Unicorn delivers nothing).
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/exec.h"
#include "tests/diff/diff.h"
#include "tests/unit/cpu_harness.h"

#define IST_TOP 0x90000ULL
#define PAE_PDPT 0x6f000ULL /* free page of the harness */
#define STUB_HLT 11          /* offset of the HLT in each harness IDT stub */

struct hover_diff {
	struct cpu_harness *h;
	int mode;
	struct seg_reg seg[SEG_COUNT]; /* 16-bit protected mode: the segments each case starts with */
};

static u64 *pte(struct cpu_harness *h, u64 lin)
{
	u64 page = lin >> 12;

	return (u64 *)((u8 *)harness_ptr(h, 0x4000 + (page >> 9) * 0x1000) + (page & 511) * 8);
}

static void setup_maps(struct cpu_harness *h, int mode)
{
	for (u64 a = 0; a < HARNESS_RAM_SIZE; a += 0x1000) {
		/* The IST stack only in 64-bit mode: elsewhere it would be a page Unicorn lacks. */
		bool sys = (a >= HARNESS_GDT && a < HARNESS_IDT32 + 0x1000) ||
			   (a == IST_TOP - 0x1000 && mode == DIFF_MODE64);
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

/* The harness's flat 32-bit mode, with its page tables under a PAE PDPT. */
static void setup_prot32(struct cpu_harness *h)
{
	struct vcpu_regs r;

	harness_prot32(h);
	memset(harness_ptr(h, PAE_PDPT), 0, 0x1000);
	memcpy(harness_ptr(h, PAE_PDPT), &(u64){ 0x3000 | HARNESS_PTE_P }, 8); /* the harness's PD */
	x86_cpu_get_regs(h->cpu, &r);
	r.cr0 |= 0x80000000; /* PG */
	r.cr3 = PAE_PDPT;
	r.cr4 |= 0x20;       /* PAE */
	r.efer = 0x800;      /* NXE; LME clear: legacy PAE paging */
	x86_cpu_set_regs(h->cpu, &r);
}

/*
 * 16-bit protected mode: the harness's 32-bit mode without paging, plus three
 * 16-bit segments (diff.h) loaded as a far transfer would load them. The
 * IDT's 32-bit gates push a 32-bit frame on the 16-bit stack.
 */
static void setup_prot16(struct hover_diff *d)
{
	struct cpu_harness *h = d->h;
	struct x86_cpu *cpu = h->cpu;
	static const unsigned sel[SEG_COUNT] = { DIFF16P_SEL_DATA, DIFF16P_SEL_CODE, DIFF16P_SEL_STACK,
						 DIFF16P_SEL_DATA, DIFF16P_SEL_DATA, DIFF16P_SEL_DATA };

	harness_prot32(h);
	/*
	 * The stubs' store to the exception record goes through DS, a 64 KiB
	 * segment here: the gates enter at each stub's HLT instead, and the
	 * vector is told by where the CPU halted (stub_vector).
	 */
	for (u64 v = 0; v < 256; v++) {
		u64 hlt = HARNESS_STUBS + v * 16 + STUB_HLT;

		memcpy(harness_ptr(h, HARNESS_IDT32 + v * 8), &(u64){ (hlt & 0xffff) |
			(u64)HARNESS_SEL_CODE32 << 16 | 0x8eULL << 40 | (hlt >> 16) << 48 }, 8);
	}
	for (unsigned s = DIFF16P_SEL_CODE; s <= DIFF16P_SEL_STACK; s += 8)
		memcpy(harness_ptr(h, DIFF16P_GDT + s), &(u64){ diff16p_desc(s) }, 8);
	cpu->gdtr.limit = DIFF16P_GDT_LIMIT;
	for (int i = 0; i < SEG_COUNT; i++) {
		u64 desc = diff16p_desc(sel[i]);

		d->seg[i] = (struct seg_reg){ .base = (desc >> 16) & 0xffffff, .limit = 0xffff,
					      .sel = (u16)sel[i], .attr = (u16)((desc >> 40) & 0xff) | 1 };
	}
	memcpy(cpu->seg, d->seg, sizeof(d->seg));
	x86_update_mode(cpu);
}

/* 16-bit protected mode: the vector whose stub's HLT the CPU stopped after, or -1. */
static int stub_vector(const struct x86_cpu *cpu)
{
	u64 off = cpu->rip - 1 - STUB_HLT - HARNESS_STUBS;

	if (cpu->seg[SEG_CS].sel != HARNESS_SEL_CODE32 || cpu->rip < HARNESS_STUBS + STUB_HLT + 1 ||
	    off >= 256 * 16 || off % 16)
		return -1;
	return (int)(off / 16);
}

/* Read the frame an exception pushed on the case's stack and restore what it covered. */
static void pop_frame(struct x86_cpu *cpu, struct cpu_harness *h, const struct diff_case *c,
		      bool has_err, struct diff_state *st)
{
	const struct diff_layout *L = diff_layout(c->mode);
	bool real = c->mode == DIFF_MODE16, wrap = diff_seg16(c->mode); /* wrap: a 16-bit SP */
	unsigned w = real ? 2 : 4, n = (has_err ? 4 : 3) * w;
	u64 sp = cpu->gpr[GPR_RSP], ssb = cpu->seg[SEG_SS].base, f[4];

	for (unsigned k = 0; k < n / w; k++) {
		u64 a = wrap ? ssb + (u16)(sp + k * w) : (u32)(sp + k * w);

		f[k] = 0;
		memcpy(&f[k], harness_ptr(h, a), w);
	}
	for (unsigned k = 0; k < n; k++) {
		u64 a = wrap ? ssb + (u16)(sp + k) : (u32)(sp + k);

		if (a >= L->stack && a < L->stack + L->stack_size)
			*(u8 *)harness_ptr(h, a) = c->init.stack[a - L->stack];
		else if (a >= L->data && a < L->data + L->data_size)
			*(u8 *)harness_ptr(h, a) = c->init.data[a - L->data];
	}
	st->rip = f[has_err];
	st->rflags = real ? (x86_get_rflags(cpu) & ~0xffffULL) | f[has_err + 2] : f[has_err + 2];
	st->gpr[GPR_RSP] = wrap ? (sp & ~0xffffULL) | (u16)(sp + n) : (u32)(sp + n);
	if (real) /* the stub ran in the harness's stub segment: the frame has the case's CS */
		cpu->seg[SEG_CS].sel = (u16)f[has_err + 1];
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
	struct hover_diff *d = priv;
	struct cpu_harness *h = d->h;
	struct x86_cpu *cpu = h->cpu;
	const struct diff_state *in = &c->init;
	const struct diff_layout *L = diff_layout(d->mode);
	struct diff_state *st = &out->st;
	static u8 page[DIFF_WIN_MAX];
	int vec;

	memset(page, 0xf4, L->code_size);
	memcpy(page, c->code, c->len);
	harness_load_at(h, L->code, page, L->code_size);
	memcpy(harness_ptr(h, L->data), in->data, L->data_size);
	memcpy(harness_ptr(h, L->stack), in->stack, L->stack_size);
	memcpy(cpu->gpr, in->gpr, sizeof(cpu->gpr));
	cpu->rip = L->ip0;
	if (d->mode == DIFF_MODE16P) { /* the last case may have ended in a 32-bit stub */
		memcpy(cpu->seg, d->seg, sizeof(d->seg));
		x86_update_mode(cpu);
	}
	if (d->mode == DIFF_MODE16) {
		for (int i = 0; i < SEG_COUNT; i++) {
			cpu->seg[i].sel = in->sel[i];
			cpu->seg[i].base = (u64)in->sel[i] << 4;
		}
	}
	cpu->lf.op = X86_LF_NONE;
	cpu->rflags = in->rflags;
	if (d->mode == DIFF_MODE64) {
		cpu->seg[SEG_FS].base = in->fs_base;
		cpu->seg[SEG_GS].base = in->gs_base;
	}
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
	/* past the HLT padding that ended the run (IP wraps at 0xFFFF in 16-bit code) */
	st->rip = (cpu->rip - 1) & (diff_seg16(d->mode) ? 0xffff : d->mode == DIFF_MODE32 ? 0xffffffff : ~0ULL);
	vec = d->mode == DIFF_MODE16P ? stub_vector(cpu) : harness_exception(h);
	out->exc = vec;
	out->cr2 = cpu->cr2;
	if (vec >= 0) {
		bool soft = c->map == X86_MAP_1B && (c->opcode == 0xcd || c->opcode == 0xcc ||
						     c->opcode == 0xf1);
		/* Real mode pushes no error code (SDM Vol. 3A 20.1.4). */
		bool has_err = !soft && d->mode != DIFF_MODE16 &&
			       (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17);
		u64 f = IST_TOP - (has_err ? 48 : 40) + (has_err ? 8 : 0);

		if (d->mode == DIFF_MODE64) {
			memcpy(&st->rip, harness_ptr(h, f), 8);
			memcpy(&st->rflags, harness_ptr(h, f + 16), 8);
			memcpy(&st->gpr[GPR_RSP], harness_ptr(h, f + 24), 8);
		} else {
			pop_frame(cpu, h, c, has_err, st);
		}
	}
	for (int i = 0; i < SEG_COUNT; i++)
		st->sel[i] = cpu->seg[i].sel;
	st->fs_base = d->mode == DIFF_MODE64 ? cpu->seg[SEG_FS].base : in->fs_base;
	st->gs_base = d->mode == DIFF_MODE64 ? cpu->seg[SEG_GS].base : in->gs_base;
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
	memcpy(st->data, harness_ptr(h, L->data), L->data_size);
	memcpy(st->stack, harness_ptr(h, L->stack), L->stack_size);
	return 0;
}

static void hover_destroy(void *priv)
{
	struct hover_diff *d = priv;

	harness_destroy(d->h);
	free(d);
}

int hover_engine_create(struct diff_engine *e, int mode)
{
	struct hover_diff *d = calloc(1, sizeof(*d));
	struct cpu_harness *h = harness_create();

	if (!h || !d) {
		harness_destroy(h);
		free(d);
		return -1;
	}
	d->h = h;
	d->mode = mode;
	setup_maps(h, mode);
	if (mode == DIFF_MODE32)
		setup_prot32(h);
	else if (mode == DIFF_MODE16)
		harness_real_mode(h, diff_layout(mode)->cs, 0);
	else if (mode == DIFF_MODE16P)
		setup_prot16(d);
	/* HOVER_EMU_JIT=off: check the interpreter instead of the translator (meson test diffcpu-interp). */
	if (getenv("HOVER_EMU_JIT") && !strcmp(getenv("HOVER_EMU_JIT"), "off"))
		x86_cpu_set_jit(h->cpu, false);
	*e = (struct diff_engine){ "hover", d, hover_run, hover_destroy };
	return 0;
}
