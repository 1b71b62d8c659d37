/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decoded-block cache and self-modifying-code tracking.
 *
 * A block is a straight run of decoded instructions starting at one
 * guest-physical address, decoded in one execution mode. It ends after an
 * unconditional control transfer, before an instruction that crosses the
 * page, at the end of the page, or after X86_BLOCK_MAX_INSNS instructions.
 * Conditional branches do not end a block: the run loop leaves it when a
 * branch is taken. Blocks are keyed by (physical address, mode), so CR3
 * loads, TLB flushes and aliases need no block flush; only the bytes
 * matter.
 *
 * Storage is preallocated: a pool of blocks and one of instructions, handed
 * out in order and reclaimed all at once when full (x86_blocks_flush). An
 * invalidated block is unhooked from lookup but its storage stays valid
 * until the next flush, so the run loop may finish the current instruction
 * of a block that was just invalidated under it.
 *
 * Self-modifying code (Intel SDM Vol. 3A 11.6): a bitmap marks physical pages
 * that hold cached code. The TLB never keeps a write entry for such a page,
 * so the first write to it takes the slow path, which drops the page's blocks
 * (x86_code_invalidate) before writing; the write then caches normally until
 * code is decoded from the page again. Tracking is physical, so a write
 * through any virtual alias (Linux's text_poke) is seen. Writes by others
 * (device DMA) come in through x86_cpu_phys_written().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/x86/block.h"
#include "cpu/x86/jit.h"
#include "cpu/x86/sysdesc.h"
#include "cpu/x86/tlb.h"

#define MAX_BLOCKS (32 * 1024)
#define MAX_INSNS (256 * 1024)



static inline unsigned hash_key(u64 key, unsigned bits)
{
	return (unsigned)((key * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

int x86_blocks_create(struct x86_cpu *cpu)
{
	struct x86_block_cache *c = calloc(1, sizeof(*c));
	struct x86_code_map *m = calloc(1, sizeof(*m));

	if (!c || !m)
		goto err;
	c->blocks = calloc(MAX_BLOCKS, sizeof(*c->blocks));
	c->insns = calloc(MAX_INSNS, sizeof(*c->insns));
	c->pages = calloc(MAX_BLOCKS, sizeof(*c->pages));
	if (!c->blocks || !c->insns || !c->pages)
		goto err;
	/* Reserved, not committed: only bitmap pages for physical memory that holds code get touched. */
	m->bits = mmap(NULL, X86_CODE_MAP_LIMIT >> 15, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->bits == MAP_FAILED)
		goto err;
	pthread_mutex_init(&c->lock, NULL);
	c->scratch.insns = &c->scratch_insn;
	c->scratch.n = 1;
	c->scratch.valid = true;
	cpu->blocks = c;
	cpu->code = m;
	return 0;
err:
	if (c) {
		free(c->blocks);
		free(c->insns);
		free(c->pages);
	}
	free(c);
	free(m);
	return -ENOMEM;
}

void x86_blocks_destroy(struct x86_cpu *cpu)
{
	struct x86_block_cache *c = cpu->blocks;

	if (c) {
		pthread_mutex_destroy(&c->lock);
		free(c->blocks);
		free(c->insns);
		free(c->pages);
		free(c);
	}
	if (cpu->code) {
		munmap(cpu->code->bits, X86_CODE_MAP_LIMIT >> 15);
		free(cpu->code);
	}
	cpu->blocks = NULL;
	cpu->code = NULL;
}

static void code_bit_clear(struct x86_cpu *cpu, u64 gpa)
{
	u64 pfn = gpa >> 12;

	__atomic_fetch_and(&cpu->code->bits[pfn >> 6], ~(1ULL << (pfn & 63)), __ATOMIC_RELAXED);
}

void x86_blocks_flush(struct x86_cpu *cpu)
{
	struct x86_block_cache *c = cpu->blocks;

	for (unsigned i = 0; i < c->npages; i++)
		code_bit_clear(cpu, c->pages[i].gpa);
	memset(c->hash, 0, sizeof(c->hash));
	memset(c->page_hash, 0, sizeof(c->page_hash));
	c->nblocks = c->ninsns = c->npages = 0;
	c->cur = NULL;
	x86_jit_reset(cpu);
	cpu->tlb->gen++;
	/* The executing block's storage may be handed out again: leave it after this instruction. */
	cpu->end_block = true;
}

static struct code_page **page_slot(struct x86_block_cache *c, u64 gpa)
{
	struct code_page **pp = &c->page_hash[hash_key(gpa, X86_CODE_PAGE_HASH_BITS)];

	while (*pp && (*pp)->gpa != gpa)
		pp = &(*pp)->next;
	return pp;
}

void x86_code_invalidate(struct x86_cpu *cpu, u64 gpa)
{
	struct x86_block_cache *c = cpu->blocks;
	struct code_page **pp, *p;

	gpa &= X86_PAGE_MASK;
	code_bit_clear(cpu, gpa);
	pp = page_slot(c, gpa);
	p = *pp;
	if (!p)
		return;
	*pp = p->next;
	for (struct x86_block *b = p->head; b; b = b->pnext) {
		struct x86_block **hp = &c->hash[hash_key(b->key, X86_BLOCK_HASH_BITS)];

		while (*hp && *hp != b)
			hp = &(*hp)->hnext;
		if (*hp)
			*hp = b->hnext;
		b->valid = false;
		if (b == c->cur)
			cpu->end_block = true;
	}
	p->head = NULL;
}

void x86_code_apply_pending(struct x86_cpu *cpu)
{
	struct x86_block_cache *c = cpu->blocks;
	u64 pages[X86_CODE_MAX_PENDING];
	unsigned n;
	bool overflow;

	if (!atomic_exchange(&c->has_pending, false))
		return;
	pthread_mutex_lock(&c->lock);
	n = c->npending;
	overflow = c->overflow;
	memcpy(pages, c->pending, n * sizeof(pages[0]));
	c->npending = 0;
	c->overflow = false;
	pthread_mutex_unlock(&c->lock);
	if (overflow) {
		x86_blocks_flush(cpu);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		x86_code_invalidate(cpu, pages[i]);
}

void x86_cpu_phys_written(struct x86_cpu *cpu, u64 gpa, u64 len)
{
	struct x86_block_cache *c = cpu->blocks;
	bool any = false;

	if (!len)
		return;
	/* Pairs with the fence in mark_code(): either we see the bit or the decoder sees the bytes. */
	atomic_thread_fence(memory_order_seq_cst);
	for (u64 p = gpa & X86_PAGE_MASK; p <= ((gpa + len - 1) & X86_PAGE_MASK); p += 4096) {
		if (!x86_code_test(cpu, p))
			continue;
		pthread_mutex_lock(&c->lock);
		if (c->npending < X86_CODE_MAX_PENDING)
			c->pending[c->npending++] = p;
		else
			c->overflow = true;
		pthread_mutex_unlock(&c->lock);
		any = true;
	}
	if (any) {
		atomic_store(&c->has_pending, true);
		x86_cpu_kick(cpu);
	}
}

static void mark_code(struct x86_cpu *cpu, u64 gpa)
{
	u64 pfn = gpa >> 12;
	u64 bit = 1ULL << (pfn & 63);

	if (x86_code_test(cpu, gpa))
		return;
	__atomic_fetch_or(&cpu->code->bits[pfn >> 6], bit, __ATOMIC_SEQ_CST);
	atomic_thread_fence(memory_order_seq_cst);
	x86_tlb_drop_writes(cpu, gpa);
}

/* Instructions after which decoding stops: unconditional transfers, HLT, #UD. */
static bool ends_block(const struct x86_insn *in)
{
	if (in->op == x86_op_ud)
		return true;
	if (in->map == X86_MAP_1B) {
		switch (in->opcode) {
		case 0x9a: case 0xc2: case 0xc3: case 0xca: case 0xcb: case 0xcc: case 0xcd:
		case 0xce: case 0xcf: case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xf4:
			return true;
		case 0xff:
			return (in->reg & 7) >= 2 && (in->reg & 7) <= 5;
		default:
			return false;
		}
	}
	if (in->map == X86_MAP_0F) {
		switch (in->opcode) {
		case 0x05: case 0x07: case 0x0b: case 0x34: case 0x35:
			return true;
		default:
			return false;
		}
	}
	return false;
}

/* Fetch one instruction byte by byte across pages or from MMIO, and decode it uncached. */
static struct x86_block *scratch_decode(struct x86_cpu *cpu, u64 lin, u8 *host, u64 gpa)
{
	struct x86_block_cache *c = cpu->blocks;
	unsigned off = (unsigned)(lin & 0xfff), n1 = 4096 - off, n = 0;
	bool user = cpu->cpl == 3;
	u8 buf[16];
	int r;

	if (n1 > 15)
		n1 = 15;
	for (; n < n1; n++) {
		u64 v = 0;

		if (host) {
			buf[n] = host[off + n];
			continue;
		}
		if (cpu->bus.mmio_read(cpu->bus.opaque, gpa + off + n, 1, &v) < 0)
			v = 0xff;
		buf[n] = (u8)v;
	}
	r = x86_decode(buf, n, cpu->mode, &c->scratch_insn);
	if (r == -EAGAIN) {
		u64 lin2 = x86_fetch_linear(cpu, cpu->rip + n1), gpa2;
		u8 *h2 = x86_tlb_hit(cpu->tlb, lin2, 1, X86_ACC_EXEC, user);

		if (h2)
			h2 -= lin2 & 0xfff;
		else
			h2 = x86_tlb_fill(cpu, lin2, X86_ACC_EXEC, user, &gpa2);
		for (; n < 15; n++) {
			u64 v = 0;

			if (h2) {
				buf[n] = h2[n - n1];
				continue;
			}
			if (cpu->bus.mmio_read(cpu->bus.opaque, gpa2 + n - n1, 1, &v) < 0)
				v = 0xff;
			buf[n] = (u8)v;
		}
		r = x86_decode(buf, n, cpu->mode, &c->scratch_insn);
	}
	if (r < 0)
		x86_raise(cpu, X86_EXC_GP, 0);
	return &c->scratch;
}

static inline u64 ip_limit(const struct x86_cpu *cpu)
{
	return cpu->mode == X86_MODE_LONG64 ? ~0ULL : cpu->seg[SEG_CS].limit;
}

static struct x86_block *build(struct x86_cpu *cpu, u64 key, u64 lin, u8 *host, u64 gpa)
{
	struct x86_block_cache *c = cpu->blocks;
	struct code_page **pp, *p;
	struct x86_block *b;
	unsigned off = (unsigned)(lin & 0xfff);
	u64 ip = cpu->rip, lim = ip_limit(cpu);

	if (c->nblocks >= MAX_BLOCKS || c->ninsns + X86_BLOCK_MAX_INSNS > MAX_INSNS)
		x86_blocks_flush(cpu);
	mark_code(cpu, gpa);
	pp = page_slot(c, gpa);
	p = *pp;
	if (!p) {
		p = &c->pages[c->npages++];
		*p = (struct code_page){ .gpa = gpa };
		*pp = p;
	}
	b = &c->blocks[c->nblocks];
	*b = (struct x86_block){ .key = key, .insns = &c->insns[c->ninsns], .valid = true };
	while (b->n < X86_BLOCK_MAX_INSNS) {
		struct x86_insn *in = &b->insns[b->n];
		int r = x86_decode(host + off, 4096 - off, cpu->mode, in);

		if (r == -EAGAIN && b->n == 0)
			return scratch_decode(cpu, lin, host, gpa);
		if (r < 0 || ip + in->len - 1 > lim) {
			if (b->n == 0)
				x86_raise(cpu, X86_EXC_GP, 0);
			break;
		}
		b->n++;
		off += in->len;
		ip += in->len;
		if (off >= 4096 || ends_block(in))
			break;
	}
	c->nblocks++;
	c->ninsns += b->n;
	b->pnext = p->head;
	p->head = b;
	b->hnext = c->hash[hash_key(key, X86_BLOCK_HASH_BITS)];
	c->hash[hash_key(key, X86_BLOCK_HASH_BITS)] = b;
	return b;
}

static struct x86_block *lookup(struct x86_cpu *cpu);

struct x86_block *x86_block_get(struct x86_cpu *cpu)
{
	struct x86_block_cache *c = cpu->blocks;
	struct x86_block *prev = c->cur, *b;
	u8 ctx = (u8)(cpu->mode | (cpu->cpl << 4));
	u32 gen = cpu->tlb->gen;
	u64 rip = cpu->rip;
	unsigned k;

	/* Follow a link from the previous block (64-bit mode only: no CS base to track). */
	if (likely(prev && cpu->mode == X86_MODE_LONG64)) {
		for (k = 0; k < 2; k++) {
			b = prev->link[k];
			if (b && prev->link_rip[k] == rip && prev->link_gen[k] == gen &&
			    prev->link_ctx[k] == ctx && b->valid) {
				c->cur = b;
				return b;
			}
		}
	}
	if (cpu->mode == X86_MODE_LONG64) {
		struct x86_block_link *j = &c->jc[x86_jc_index(rip)];

		if (j->rip == rip && j->gen == gen && j->ctx == ctx && j->b && j->b->valid) {
			b = j->b;
			goto found;
		}
	}
	b = lookup(cpu);
	if (b != &c->scratch && cpu->mode == X86_MODE_LONG64 && cpu->tlb->gen == gen)
		c->jc[x86_jc_index(rip)] = (struct x86_block_link){ .b = b, .rip = rip, .gen = gen,
								     .ctx = ctx };
found:
	/* The lookup may have flushed everything (pool full): prev is gone then. */
	if (prev && c->cur == prev && b != &c->scratch && cpu->mode == X86_MODE_LONG64 &&
	    cpu->tlb->gen == gen) {
		k = prev->link_next;
		prev->link_next ^= 1;
		prev->link[k] = b;
		prev->link_rip[k] = rip;
		prev->link_gen[k] = gen;
		prev->link_ctx[k] = ctx;
	}
	c->cur = b;
	return b;
}

static struct x86_block *lookup(struct x86_cpu *cpu)
{
	struct x86_block_cache *c = cpu->blocks;
	bool user = cpu->cpl == 3;
	u64 rip = cpu->rip, lin, gpa, key;
	u8 *host;

	if (cpu->mode == X86_MODE_LONG64) {
		if (unlikely(!x86_canonical(rip)))
			x86_raise(cpu, X86_EXC_GP, 0);
	} else if (unlikely(rip > cpu->seg[SEG_CS].limit)) {
		x86_raise(cpu, X86_EXC_GP, 0);
	}
	lin = x86_fetch_linear(cpu, rip);
	host = x86_tlb_hit(cpu->tlb, lin, 1, X86_ACC_EXEC, user);
	if (likely(host)) {
		host -= lin & 0xfff;
		gpa = cpu->tlb->gpa[user][X86_ACC_EXEC][x86_tlb_index(lin)];
	} else {
		host = x86_tlb_fill(cpu, lin, X86_ACC_EXEC, user, &gpa);
	}
	if (unlikely(!host || gpa >= X86_CODE_MAP_LIMIT))
		return scratch_decode(cpu, lin, host, gpa);
	key = (gpa | (lin & 0xfff)) | ((u64)cpu->mode << 56);
	for (struct x86_block *b = c->hash[hash_key(key, X86_BLOCK_HASH_BITS)]; b; b = b->hnext)
		if (b->key == key)
			return b;
	return build(cpu, key, lin, host, gpa);
}

void x86_blocks_set_current(struct x86_cpu *cpu, struct x86_block *b)
{
	cpu->blocks->cur = b;
}
