/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest virtual memory access: segmentation, then paging through the TLB,
 * then RAM or MMIO (Intel SDM Vol. 3A 3.4-3.5 and 5.3 segment checks, 3.3.7.1
 * canonical addresses, 4.10 TLBs; Vol. 1 4.1.1 alignment).
 *
 * Fast path (inline in exec.h): 64-bit mode, FS/GS base added, one TLB
 * compare, memcpy. x86_read_slow()/x86_write_slow() here add the segment
 * checks of the other modes; TLB misses, accesses that cross a page, MMIO
 * and writes to pages holding translated code go through access_slow(), which first translates every page the access touches (so a
 * #PF on the second page leaves the first unwritten) and then copies.
 */
#include <string.h>

#include "cpu/x86/block.h"
#include "cpu/x86/sysdesc.h"
#include "cpu/x86/tlb.h"

#define MAX_PAGES 8 /* largest access: XSAVE-sized, well under 8 pages */


_Noreturn static void seg_fault(struct x86_cpu *cpu, int seg)
{
	x86_raise(cpu, seg == SEG_SS ? X86_EXC_SS : X86_EXC_GP, 0);
}

/* Legacy and compatibility modes: descriptor type, presence and limit checks. */
static u64 seg_linear_legacy(struct x86_cpu *cpu, int seg, u64 off, u64 len, enum x86_access acc)
{
	const struct seg_reg *s = &cpu->seg[seg];
	unsigned type = SEG_ATTR_TYPE(s->attr);
	u64 last = off + len - 1;

	if (cpu->mode != X86_MODE_REAL && cpu->mode != X86_MODE_V86) {
		if (!(s->attr & SEG_ATTR_P))
			seg_fault(cpu, seg);
		if (type & 8) { /* code: never writable, readable if R */
			if (acc == X86_ACC_WRITE || !(type & 2))
				seg_fault(cpu, seg);
		} else if (acc == X86_ACC_WRITE && !(type & 2)) {
			seg_fault(cpu, seg);
		}
	}
	if (!(type & 8) && (type & 4)) { /* expand-down data: valid offsets are (limit, top] */
		u64 top = (s->attr & SEG_ATTR_DB) ? 0xffffffffULL : 0xffffULL;

		if (off <= s->limit || last > top)
			seg_fault(cpu, seg);
	} else if (last > s->limit || last < off) {
		seg_fault(cpu, seg);
	}
	return (u32)(s->base + off);
}

/* Segment offset to linear address, raising #GP(0)/#SS(0) on a violation. */
static inline u64 seg_linear(struct x86_cpu *cpu, int seg, u64 off, u64 len, enum x86_access acc)
{
	if (likely(cpu->mode == X86_MODE_LONG64)) {
		u64 lin = off;

		if (seg >= SEG_FS)
			lin += cpu->seg[seg].base;
		if (unlikely(!x86_canonical(lin) || !x86_canonical(lin + len - 1)))
			seg_fault(cpu, seg);
		return lin;
	}
	return seg_linear_legacy(cpu, seg, off, len, acc);
}

static inline u64 lin_wrap(const struct x86_cpu *cpu, u64 lin)
{
	return (cpu->efer & X86_EFER_LMA) ? lin : (u32)lin;
}

static u64 mmio_read(struct x86_cpu *cpu, u64 gpa, unsigned size)
{
	u64 v = 0;

	if (cpu->bus.mmio_read(cpu->bus.opaque, gpa, size, &v) < 0)
		v = ~0ULL;
	return v;
}

/*
 * Any access [lin, lin+len), through the TLB, MMIO-aware, all pages checked
 * before any byte moves. user selects the privilege of the page checks.
 */
static void access_slow(struct x86_cpu *cpu, u64 lin, void *buf, unsigned len,
			enum x86_access acc, bool user)
{
	struct {
		u8 *host;
		u64 gpa;
		u64 lin;
		unsigned off, n;
	} pg[MAX_PAGES];
	unsigned np = 0, done = 0;
	u8 *b = buf;

	while (done < len && np < MAX_PAGES) {
		u64 l = lin_wrap(cpu, lin + done);
		unsigned off = (unsigned)(l & 0xfff);
		unsigned n = 4096 - off < len - done ? 4096 - off : len - done;
		u8 *host = x86_tlb_hit(cpu->tlb, l, 1, acc, user);

		if (host) {
			pg[np].host = host - off;
			pg[np].gpa = cpu->tlb->gpa[user][acc][x86_tlb_index(l)];
		} else {
			pg[np].host = x86_tlb_fill(cpu, l, acc, user, &pg[np].gpa);
		}
		pg[np].lin = l;
		pg[np].off = off;
		pg[np].n = n;
		np++;
		done += n;
	}
	done = 0;
	for (unsigned i = 0; i < np; i++) {
		if (pg[i].host) {
			if (acc == X86_ACC_WRITE)
				memcpy(pg[i].host + pg[i].off, b + done, pg[i].n);
			else
				memcpy(b + done, pg[i].host + pg[i].off, pg[i].n);
			done += pg[i].n;
			continue;
		}
		/* MMIO: naturally sized pieces of at most 8 bytes. */
		for (unsigned k = 0; k < pg[i].n;) {
			u64 gpa = pg[i].gpa + pg[i].off + k;
			unsigned left = pg[i].n - k, sz = 8;
			u64 v = 0;

			while (sz > left || (gpa & (sz - 1)))
				sz >>= 1;
			if (acc == X86_ACC_WRITE) {
				memcpy(&v, b + done, sz);
				cpu->bus.mmio_write(cpu->bus.opaque, gpa, sz, v);
			} else {
				v = mmio_read(cpu, gpa, sz);
				memcpy(b + done, &v, sz);
			}
			k += sz;
			done += sz;
		}
	}
}

/* One access of 1/2/4/8 bytes that missed the TLB. Unaligned MMIO keeps its size. */
static u64 read_slow(struct x86_cpu *cpu, u64 lin, unsigned size, bool user)
{
	u64 v = 0;

	if ((lin & 0xfff) + size <= 4096) {
		u64 gpa;
		u8 *host = x86_tlb_fill(cpu, lin, X86_ACC_READ, user, &gpa);

		if (!host)
			return mmio_read(cpu, gpa | (lin & 0xfff), size);
		memcpy(&v, host + (lin & 0xfff), size);
		return v;
	}
	access_slow(cpu, lin, &v, size, X86_ACC_READ, user);
	return v;
}

static void write_slow(struct x86_cpu *cpu, u64 lin, unsigned size, u64 v, bool user)
{
	if ((lin & 0xfff) + size <= 4096) {
		u64 gpa;
		u8 *host = x86_tlb_fill(cpu, lin, X86_ACC_WRITE, user, &gpa);

		if (!host)
			cpu->bus.mmio_write(cpu->bus.opaque, gpa | (lin & 0xfff), size, v);
		else
			memcpy(host + (lin & 0xfff), &v, size);
		return;
	}
	access_slow(cpu, lin, &v, size, X86_ACC_WRITE, user);
}

/*
 * Everything the inline fast path in exec.h does not serve: other modes
 * (segment checks), TLB misses, non-canonical addresses, page crossings, MMIO.
 */
u64 x86_read_slow(struct x86_cpu *cpu, int seg, u64 off, unsigned size)
{
	u64 lin = seg_linear(cpu, seg, off, size, X86_ACC_READ);
	bool user = cpu->cpl == 3;
	u8 *p = x86_tlb_hit(cpu->tlb, lin, size, X86_ACC_READ, user);
	u64 v = 0;

	if (p) {
		memcpy(&v, p, size);
		return v;
	}
	return read_slow(cpu, lin, size, user);
}

void x86_write_slow(struct x86_cpu *cpu, int seg, u64 off, unsigned size, u64 v)
{
	u64 lin = seg_linear(cpu, seg, off, size, X86_ACC_WRITE);
	bool user = cpu->cpl == 3;
	u8 *p = x86_tlb_hit(cpu->tlb, lin, size, X86_ACC_WRITE, user);

	if (p) {
		memcpy(p, &v, size);
		return;
	}
	write_slow(cpu, lin, size, v, user);
}

void x86_read_bytes(struct x86_cpu *cpu, int seg, u64 off, void *buf, unsigned len)
{
	u64 lin;

	if (!len)
		return;
	lin = seg_linear(cpu, seg, off, len, X86_ACC_READ);
	access_slow(cpu, lin, buf, len, X86_ACC_READ, cpu->cpl == 3);
}

void x86_write_bytes(struct x86_cpu *cpu, int seg, u64 off, const void *buf, unsigned len)
{
	u64 lin;

	if (!len)
		return;
	lin = seg_linear(cpu, seg, off, len, X86_ACC_WRITE);
	access_slow(cpu, lin, (void *)buf, len, X86_ACC_WRITE, cpu->cpl == 3);
}

void x86_check_write(struct x86_cpu *cpu, int seg, u64 off, unsigned len)
{
	bool user = cpu->cpl == 3;
	u64 lin, end, gpa;

	if (!len)
		return;
	lin = seg_linear(cpu, seg, off, len, X86_ACC_WRITE);
	end = lin + len - 1;
	for (u64 p = lin & X86_PAGE_MASK;; p += 4096) {
		u64 l = lin_wrap(cpu, p < lin ? lin : p);

		if (!x86_tlb_hit(cpu->tlb, l, 1, X86_ACC_WRITE, user))
			x86_tlb_fill(cpu, l, X86_ACC_WRITE, user, &gpa);
		if (p >= (end & X86_PAGE_MASK))
			break;
	}
}

u64 x86_read_sys(struct x86_cpu *cpu, u64 linear, unsigned size)
{
	u64 lin = lin_wrap(cpu, linear);
	u8 *p = x86_tlb_hit(cpu->tlb, lin, size, X86_ACC_READ, false);
	u64 v = 0;

	if (likely(p)) {
		memcpy(&v, p, size);
		return v;
	}
	return read_slow(cpu, lin, size, false);
}

void x86_write_sys(struct x86_cpu *cpu, u64 linear, unsigned size, u64 v)
{
	u64 lin = lin_wrap(cpu, linear);
	u8 *p = x86_tlb_hit(cpu->tlb, lin, size, X86_ACC_WRITE, false);

	if (likely(p)) {
		memcpy(p, &v, size);
		return;
	}
	write_slow(cpu, lin, size, v, false);
}

/* Stack address size: 8 in 64-bit mode, else SS.B selects 4 or 2 (SDM Vol. 1 6.2.3). */
static inline unsigned stack_asize(const struct x86_cpu *cpu)
{
	if (cpu->mode == X86_MODE_LONG64)
		return 8;
	return (cpu->seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

static inline void set_sp(struct x86_cpu *cpu, unsigned asize, u64 sp)
{
	if (asize == 8)
		cpu->gpr[GPR_RSP] = sp;
	else if (asize == 4)
		cpu->gpr[GPR_RSP] = (u32)sp;
	else
		cpu->gpr[GPR_RSP] = (cpu->gpr[GPR_RSP] & ~0xffffULL) | (u16)sp;
}

void x86_push(struct x86_cpu *cpu, unsigned size, u64 v)
{
	unsigned asize = stack_asize(cpu);
	u64 sp = x86_trunc(cpu->gpr[GPR_RSP] - size, asize);

	x86_write(cpu, SEG_SS, sp, size, v);
	set_sp(cpu, asize, sp);
}

u64 x86_pop(struct x86_cpu *cpu, unsigned size)
{
	unsigned asize = stack_asize(cpu);
	u64 sp = x86_trunc(cpu->gpr[GPR_RSP], asize);
	u64 v = x86_read(cpu, SEG_SS, sp, size);

	set_sp(cpu, asize, sp + size);
	return v;
}
