/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The page walk: linear -> guest-physical, with permission checks, A/D bit
 * updates and page-fault error codes.
 *
 * How it works: one loop serves all three paging modes. It starts at the
 * table CR3 names (for PAE, at the PDPTE that bits 31:30 select) and descends
 * one level per iteration -- 9 address bits per level with 8-byte entries,
 * 10 bits with 4-byte entries -- until it meets a PTE or an entry with PS
 * set (2 MiB / 4 MiB page). Rights combine across levels: writable only if
 * every level allows R/W, user only if every level allows U/S, no-execute if
 * any level has XD (when EFER.NXE). Entries are read through the bus's RAM
 * page lookup; a table outside RAM reads as not present. A and D bits are
 * set with atomic ORs, only when the whole access is allowed.
 *
 * hover advertises neither 1 GiB pages, PSE-36, PKU, SMEP/SMAP nor LA57,
 * so PS in a PML4E/PDPTE is a reserved-bit violation, and physical address
 * bits above X86_MAXPHYADDR are reserved.
 *
 * With the A20 gate closed (x86_cpu_set_a20) bit 20 of every physical
 * address formed here -- the result and the tables' own -- is cleared.
 *
 * References: Intel SDM Vol. 3A ch. 4 (4.3 32-bit paging, 4.4 PAE paging,
 * 4.5 4-level paging, 4.6 access rights, 4.7 page-fault exceptions, 4.8
 * accessed and dirty flags).
 */
#include "cpu/x86/mmu.h"

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_XD (1ULL << 63)

#define PHYS_MASK (((1ULL << X86_MAXPHYADDR) - 1) & ~0xfffULL)
/* Bits 51:MAXPHYADDR of 8-byte entries; XD is added when EFER.NXE = 0. */
#define PHYS_RSVD (((1ULL << 52) - 1) & ~((1ULL << X86_MAXPHYADDR) - 1))
/* PAE PDPTE: bits 1, 2, 5-8 and 63 are reserved (Vol. 3A 4.4.1). */
#define PDPTE_RSVD (0x1e6ULL | PTE_XD)

struct walk {
	u64 gpa;
	u32 err;      /* #PF error code on failure */
	bool large;   /* translation through a 2 MiB / 4 MiB page */
};

static void *entry_ptr(struct x86_cpu *cpu, u64 gpa)
{
	u8 *page;

	gpa &= cpu->a20_mask; /* paging-structure reads go through the A20 gate too */
	page = cpu->bus.ram_page(cpu->bus.opaque, gpa & ~0xfffULL);

	return page ? page + (gpa & 0xfff) : NULL;
}

static u64 entry_load(const void *p, unsigned esz)
{
	if (esz == 8)
		return __atomic_load_n((const u64 *)p, __ATOMIC_RELAXED);
	return __atomic_load_n((const u32 *)p, __ATOMIC_RELAXED);
}

static void entry_or(void *p, unsigned esz, u64 bits)
{
	if (esz == 8)
		__atomic_fetch_or((u64 *)p, bits, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or((u32 *)p, (u32)bits, __ATOMIC_RELAXED);
}

static bool walk(struct x86_cpu *cpu, u64 la, enum x86_access acc, bool user, bool set_ad,
		 struct walk *w)
{
	bool nxe = (cpu->efer & X86_EFER_NXE) != 0;
	bool lma = (cpu->efer & X86_EFER_LMA) != 0, pae = (cpu->cr4 & X86_CR4_PAE) != 0;
	void *ptr[4];
	u64 ptr_gpa[4];
	unsigned n = 0, esz, shift;
	u64 e = 0, table, rsvd_mask;
	bool rw = true, us = true, xd = false, leaf;
	u32 err = 0;

	if (acc == X86_ACC_WRITE)
		err |= X86_PF_W;
	if (user)
		err |= X86_PF_U;
	if (acc == X86_ACC_EXEC && nxe && pae)
		err |= X86_PF_I;
	rsvd_mask = PHYS_RSVD | (nxe ? 0 : PTE_XD);

	if (lma) {
		esz = 8;
		shift = 39;
		table = cpu->cr3 & PHYS_MASK;
	} else if (pae) {
		void *p = entry_ptr(cpu, (cpu->cr3 & 0xffffffe0u) + ((la >> 30) & 3) * 8);

		if (!p)
			goto fault;
		e = entry_load(p, 8);
		if (!(e & PTE_P))
			goto fault;
		if (e & (PDPTE_RSVD | PHYS_RSVD)) {
			err |= X86_PF_RSVD | X86_PF_P;
			goto fault;
		}
		esz = 8;
		shift = 21;
		table = e & PHYS_MASK;
	} else {
		esz = 4;
		shift = 22;
		table = cpu->cr3 & 0xfffff000u;
	}

	for (;;) {
		u64 idx = (la >> shift) & (esz == 8 ? 511 : 1023);
		void *p = entry_ptr(cpu, table + idx * esz);
		u64 rsvd = 0;

		if (!p)
			goto fault;
		e = entry_load(p, esz);
		if (!(e & PTE_P))
			goto fault;
		ptr_gpa[n] = table + idx * esz;
		ptr[n++] = p;
		if (esz == 8)
			rsvd = e & rsvd_mask;
		leaf = shift == 12;
		if (e & PTE_PS) {
			if (shift >= 30) {
				rsvd |= PTE_PS; /* no 1 GiB pages; PS is reserved in a PML4E */
			} else if (shift == 21) {
				rsvd |= e & 0x1fe000; /* bits 20:13 of a 2 MiB PDE */
				leaf = true;
			} else if (shift == 22 && (cpu->cr4 & X86_CR4_PSE)) {
				rsvd |= e & 0x3fe000; /* no PSE-36: bits 21:13 must be 0 */
				leaf = true;
			}
		}
		if (rsvd) {
			err |= X86_PF_RSVD | X86_PF_P;
			goto fault;
		}
		rw = rw && (e & PTE_RW);
		us = us && (e & PTE_US);
		if (esz == 8 && nxe && (e & PTE_XD))
			xd = true;
		if (leaf)
			break;
		table = e & (esz == 8 ? PHYS_MASK : 0xfffff000u);
		shift -= esz == 8 ? 9 : 10;
	}

	if ((user && !us) ||
	    (acc == X86_ACC_WRITE && !rw && (user || (cpu->cr0 & X86_CR0_WP))) ||
	    (acc == X86_ACC_EXEC && xd)) {
		err |= X86_PF_P;
		goto fault;
	}

	if (set_ad) {
		for (unsigned i = 0; i < n; i++) {
			u64 bits = PTE_A;

			if (i == n - 1 && acc == X86_ACC_WRITE)
				bits |= PTE_D;
			if ((entry_load(ptr[i], esz) & bits) != bits) {
				/* Setting A/D writes guest RAM: a page-table page is dirtied like any other. */
				if (unlikely(atomic_load_explicit(&cpu->dirty_log, memory_order_relaxed)))
					cpu->bus.page_dirty(cpu->bus.opaque, ptr_gpa[i] & ~0xfffULL);
				entry_or(ptr[i], esz, bits);
			}
		}
	}

	{
		u64 off_mask = (1ULL << shift) - 1;
		u64 frame = esz == 8 ? (e & PHYS_MASK) : (e & 0xfffff000u);

		w->gpa = (frame & ~off_mask) | (la & off_mask);
	}
	w->large = shift > 12;
	w->err = 0;
	return true;

fault:
	w->err = err;
	return false;
}

u64 x86_translate(struct x86_cpu *cpu, u64 linear, enum x86_access acc, bool user)
{
	struct walk w;

	if (!(cpu->cr0 & X86_CR0_PG))
		return linear & cpu->a20_mask;
	if (!walk(cpu, linear, acc, user, true, &w)) {
		cpu->cr2 = linear;
		x86_raise(cpu, X86_EXC_PF, w.err);
	}
	if (w.large)
		x86_tlb_note_large(cpu);
	return w.gpa & cpu->a20_mask;
}

bool x86_translate_probe(struct x86_cpu *cpu, u64 linear, enum x86_access acc, bool user, u64 *gpa)
{
	struct walk w;

	if (!(cpu->cr0 & X86_CR0_PG)) {
		*gpa = linear & cpu->a20_mask;
		return true;
	}
	if (!walk(cpu, linear, acc, user, false, &w))
		return false;
	*gpa = w.gpa & cpu->a20_mask;
	return true;
}

u32 x86_translate_error(struct x86_cpu *cpu, u64 linear, enum x86_access acc, bool user)
{
	struct walk w;

	if (!(cpu->cr0 & X86_CR0_PG) || walk(cpu, linear, acc, user, false, &w))
		return X86_NO_ERR;
	return w.err;
}
