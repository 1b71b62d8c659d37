/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flat-RAM test machine for the software CPU; see cpu_harness.h for the
 * memory map and how to use it. Builds 4-level identity page tables
 * (Intel SDM Vol. 3A 4.5), a GDT (3.4.5) and an IDT of 64-bit interrupt
 * gates (6.14.1) whose handlers record the vector and halt; for the other
 * modes an IDT of 32-bit gates (6.11) and a real-mode IVT (20.1.4) reaching
 * handlers that record the vector the same way.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/x86/exec.h"
#include "tests/unit/cpu_harness.h"

static u8 *bus_ram_page(void *opaque, u64 gpa)
{
	struct cpu_harness *h = opaque;

	return gpa < HARNESS_RAM_SIZE ? h->ram + (gpa & ~0xfffULL) : NULL;
}

static int bus_mmio_read(void *opaque, u64 gpa, unsigned size, u64 *val)
{
	struct cpu_harness *h = opaque;

	if (h->n_mmio < ARRAY_SIZE(h->mmio))
		h->mmio[h->n_mmio++] = (struct harness_mmio){ gpa, 0, size, false };
	*val = size == 8 ? h->mmio_read_value : h->mmio_read_value & ((1ULL << (8 * size)) - 1);
	return 0;
}

static int bus_mmio_write(void *opaque, u64 gpa, unsigned size, u64 val)
{
	struct cpu_harness *h = opaque;

	if (h->n_mmio < ARRAY_SIZE(h->mmio))
		h->mmio[h->n_mmio++] = (struct harness_mmio){ gpa, val, size, true };
	return 0;
}

static int bus_pio_in(void *opaque, u16 port, unsigned size, u32 *val)
{
	struct cpu_harness *h = opaque;

	if (h->n_pio < ARRAY_SIZE(h->pio))
		h->pio[h->n_pio++] = (struct harness_pio){ port, 0, size, false };
	*val = h->pio_in_value;
	return 0;
}

static int bus_pio_out(void *opaque, u16 port, unsigned size, u32 val)
{
	struct cpu_harness *h = opaque;

	if (h->n_pio < ARRAY_SIZE(h->pio))
		h->pio[h->n_pio++] = (struct harness_pio){ port, val, size, true };
	return 0;
}

static int bus_intr_ack(void *opaque)
{
	struct cpu_harness *h = opaque;

	return __atomic_exchange_n(&h->pending_irq, -1, __ATOMIC_ACQ_REL);
}

static u64 bus_apic_base_get(void *opaque)
{
	return 0xfee00900ULL;
}

static void bus_apic_base_set(void *opaque, u64 val)
{
}

static void bus_halt_wait(void *opaque)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static void bus_log_unimplemented(void *opaque, u64 rip, const u8 *bytes, unsigned len)
{
	struct cpu_harness *h = opaque;

	h->n_unimpl++;
}

static void put64(struct cpu_harness *h, u64 gpa, u64 v)
{
	memcpy(h->ram + gpa, &v, 8);
}

u64 harness_read64(struct cpu_harness *h, u64 gpa)
{
	u64 v;

	memcpy(&v, h->ram + gpa, 8);
	return v;
}

void *harness_ptr(struct cpu_harness *h, u64 gpa)
{
	return h->ram + gpa;
}

static void build_tables(struct cpu_harness *h)
{
	/* PML4[0] -> PDPT, PDPT[0] -> PD, PD[0..7] -> PTs mapping 0..16 MiB. */
	put64(h, 0x1000, 0x2000 | HARNESS_PTE_RW);
	put64(h, 0x2000, 0x3000 | HARNESS_PTE_RW);
	for (u64 i = 0; i < 8; i++) {
		u64 pt = 0x4000 + i * 0x1000;

		put64(h, 0x3000 + i * 8, pt | HARNESS_PTE_RW);
		for (u64 j = 0; j < 512; j++)
			put64(h, pt + j * 8, ((i * 512 + j) << 12) | HARNESS_PTE_RW);
	}
	/* Page 0 stays unmapped so NULL dereferences fault. */
	put64(h, 0x4000, 0);

	put64(h, HARNESS_GDT + 0x08, 0x00af9b000000ffffULL);
	put64(h, HARNESS_GDT + 0x10, 0x00cf93000000ffffULL);
	put64(h, HARNESS_GDT + 0x18, 0x00cf9b000000ffffULL);
	put64(h, HARNESS_GDT + 0x20, 0x00cff3000000ffffULL);
	put64(h, HARNESS_GDT + 0x28, 0x00affb000000ffffULL);
	/* 64-bit TSS at 0x14000 (busy), RSP0 = HARNESS_STACK. */
	put64(h, HARNESS_GDT + 0x30, 0x0000890000000067ULL | (0x14000ULL << 16) | (2ULL << 40));
	put64(h, HARNESS_GDT + 0x38, 0);
	put64(h, 0x14000 + 4, HARNESS_STACK);

	for (u64 v = 0; v < 256; v++) {
		u64 stub = HARNESS_STUBS + v * 16;
		/* mov dword [HARNESS_EXC_REC], v; hlt */
		u8 code[12] = { 0xc7, 0x04, 0x25, 0, 0, 0, 0, (u8)v, 0, 0, 0, 0xf4 };
		u32 rec = (u32)HARNESS_EXC_REC;

		memcpy(code + 3, &rec, 4);
		memcpy(h->ram + stub, code, sizeof(code));
		put64(h, HARNESS_IDT + v * 16,
		      (stub & 0xffff) | ((u64)HARNESS_SEL_CODE64 << 16) | (0x8eULL << 40) |
			      (((stub >> 16) & 0xffff) << 48));
		put64(h, HARNESS_IDT + v * 16 + 8, stub >> 32);
	}
	for (u32 v = 0; v < 256; v++) {
		u64 stub = HARNESS_REAL_STUBS + v * 16;
		/* mov dword cs:[0], v; hlt (CS = 0x1300: CS:0 is HARNESS_EXC_REC) */
		u8 code[11] = { 0x66, 0x2e, 0xc7, 0x06, 0, 0, (u8)v, 0, 0, 0, 0xf4 };

		memcpy(h->ram + stub, code, sizeof(code));
		u32 ivt = (u32)(stub - HARNESS_EXC_REC) | (u32)(HARNESS_EXC_REC >> 4) << 16;

		memcpy(h->ram + v * 4, &ivt, 4); /* the IVT entry: offset, segment */
		put64(h, HARNESS_IDT32 + v * 8,
		      (HARNESS_STUBS + v * 16) % 0x10000 | ((u64)HARNESS_SEL_CODE32 << 16) | (0x8eULL << 40) |
			      (((HARNESS_STUBS + v * 16) >> 16) << 48));
	}
	memset(h->ram + HARNESS_EXC_REC, 0xff, 4);
}

static void set_long_mode(struct cpu_harness *h)
{
	struct vcpu_regs r;
	struct seg_reg data = { .base = 0, .limit = 0xffffffff, .sel = HARNESS_SEL_DATA,
				.attr = 0xc093 };

	memset(&r, 0, sizeof(r));
	r.rip = HARNESS_CODE;
	r.rflags = 2;
	r.gpr[GPR_RSP] = HARNESS_STACK;
	for (int i = 0; i < SEG_COUNT; i++)
		r.seg[i] = data;
	r.seg[SEG_CS] = (struct seg_reg){ .base = 0, .limit = 0xffffffff, .sel = HARNESS_SEL_CODE64,
					  .attr = 0xa09b };
	r.tr = (struct seg_reg){ .base = 0x14000, .limit = 0x67, .sel = 0x30, .attr = 0x8b };
	r.gdtr = (struct dtable_reg){ .base = HARNESS_GDT, .limit = 0x3f };
	r.idtr = (struct dtable_reg){ .base = HARNESS_IDT, .limit = 0xfff };
	r.cr0 = 0x80010033; /* PG WP NE ET MP PE */
	r.cr3 = HARNESS_PT;
	r.cr4 = 0x620;      /* OSXMMEXCPT OSFXSR PAE */
	r.efer = 0xd01;     /* NXE LMA LME SCE */
	x86_cpu_set_regs(h->cpu, &r);
}

void harness_real_mode(struct cpu_harness *h, u16 cs, u16 ip)
{
	struct vcpu_regs r;

	x86_cpu_get_regs(h->cpu, &r);
	for (int i = 0; i < SEG_COUNT; i++)
		r.seg[i] = (struct seg_reg){ .base = 0, .limit = 0xffff, .sel = 0, .attr = 0x93 };
	r.seg[SEG_CS] = (struct seg_reg){ .base = (u64)cs << 4, .limit = 0xffff, .sel = cs,
					  .attr = 0x9b };
	r.idtr = (struct dtable_reg){ .base = 0, .limit = 0x3ff };
	r.rip = ip;
	r.rflags = 2;
	r.gpr[GPR_RSP] = 0x8000;
	r.cr0 = 0x30; /* ET NE */
	r.cr3 = 0;
	r.cr4 = 0x600;
	r.efer = 0;
	x86_cpu_set_regs(h->cpu, &r);
}

void harness_prot32(struct cpu_harness *h)
{
	struct vcpu_regs r;
	struct seg_reg data = { .base = 0, .limit = 0xffffffff, .sel = HARNESS_SEL_DATA,
				.attr = 0xc093 };

	x86_cpu_get_regs(h->cpu, &r);
	for (int i = 0; i < SEG_COUNT; i++)
		r.seg[i] = data;
	r.seg[SEG_CS] = (struct seg_reg){ .base = 0, .limit = 0xffffffff, .sel = HARNESS_SEL_CODE32,
					  .attr = 0xc09b };
	r.idtr = (struct dtable_reg){ .base = HARNESS_IDT32, .limit = 0x7ff };
	r.rip = HARNESS_CODE;
	r.rflags = 2;
	r.gpr[GPR_RSP] = HARNESS_STACK;
	r.cr0 = 0x00010033; /* WP NE ET MP PE */
	r.cr3 = 0;
	r.cr4 = 0x600;
	r.efer = 0;
	x86_cpu_set_regs(h->cpu, &r);
}

struct cpu_harness *harness_create(void)
{
	struct cpu_harness *h = calloc(1, sizeof(*h));
	struct x86_bus bus = {
		.ram_page = bus_ram_page,
		.mmio_read = bus_mmio_read,
		.mmio_write = bus_mmio_write,
		.pio_in = bus_pio_in,
		.pio_out = bus_pio_out,
		.intr_ack = bus_intr_ack,
		.apic_base_get = bus_apic_base_get,
		.apic_base_set = bus_apic_base_set,
		.halt_wait = bus_halt_wait,
		.log_unimplemented = bus_log_unimplemented,
	};

	if (!h)
		return NULL;
	h->ram = aligned_alloc(4096, HARNESS_RAM_SIZE);
	if (!h->ram)
		goto err_ram;
	memset(h->ram, 0, HARNESS_RAM_SIZE);
	h->pending_irq = -1;
	h->pt_next = 0x20000;
	bus.opaque = h;
	if (x86_cpu_create(&h->cpu, &bus, 0) < 0)
		goto err_cpu;
	build_tables(h);
	set_long_mode(h);
	return h;
err_cpu:
	free(h->ram);
err_ram:
	free(h);
	return NULL;
}

void harness_destroy(struct cpu_harness *h)
{
	if (!h)
		return;
	x86_cpu_destroy(h->cpu);
	free(h->ram);
	free(h);
}

void harness_load_at(struct cpu_harness *h, u64 gpa, const void *bytes, size_t len)
{
	memcpy(h->ram + gpa, bytes, len);
	x86_cpu_phys_written(h->cpu, gpa, len);
}

void harness_load(struct cpu_harness *h, const void *code, size_t len)
{
	harness_load_at(h, HARNESS_CODE, code, len);
	h->cpu->rip = HARNESS_CODE;
}

struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	struct x86_cpu *cpu;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += HARNESS_TIMEOUT_MS / 1000;
	ts.tv_nsec += (HARNESS_TIMEOUT_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts))
			break;
	if (!w->done)
		x86_cpu_request_stop(w->cpu);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int harness_exception(struct cpu_harness *h)
{
	u32 rec;

	memcpy(&rec, h->ram + HARNESS_EXC_REC, 4);
	return rec == 0xffffffffu ? -1 : (int)rec;
}

enum x86_exit harness_run(struct cpu_harness *h)
{
	struct watchdog w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, h->cpu };
	pthread_t t;
	int vec;

	memset(h->ram + HARNESS_EXC_REC, 0xff, 4);
	h->cpu->halted = false; /* the previous run ended in HLT: continue at RIP */
	pthread_create(&t, NULL, watchdog_main, &w);
	h->exit = x86_cpu_run(h->cpu);
	pthread_mutex_lock(&w.lock);
	w.done = true;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(t, NULL);
	atomic_store(&h->cpu->stop_req, false);

	vec = harness_exception(h);
	if (vec >= 0) {
		u64 sp = h->cpu->gpr[GPR_RSP];
		bool has_err = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;

		if (h->cpu->mode == X86_MODE_REAL) { /* IP CS FLAGS, no error code */
			sp = h->cpu->seg[SEG_SS].base + (u16)sp;
			h->exc_err = 0;
			h->exc_rip = sp + 2 <= HARNESS_RAM_SIZE ? (u16)harness_read64(h, sp) : 0;
		} else if (h->cpu->mode != X86_MODE_LONG64) { /* [error] EIP CS EFLAGS */
			sp = (u32)sp;
			if (sp + 8 <= HARNESS_RAM_SIZE) {
				h->exc_err = has_err ? (u32)harness_read64(h, sp) : 0;
				h->exc_rip = (u32)harness_read64(h, sp + (has_err ? 4 : 0));
			}
		} else if (sp + 16 <= HARNESS_RAM_SIZE) {
			h->exc_err = has_err ? harness_read64(h, sp) : 0;
			h->exc_rip = harness_read64(h, sp + (has_err ? 8 : 0));
		}
	}
	return h->exit;
}

static u64 *pt_entry(struct cpu_harness *h, u64 table, unsigned idx, bool create)
{
	u64 *e = (u64 *)(h->ram + table + idx * 8);

	if (!(*e & HARNESS_PTE_P) && create) {
		u64 page = h->pt_next;

		h->pt_next += 0x1000;
		memset(h->ram + page, 0, 0x1000);
		*e = page | HARNESS_PTE_RW;
	}
	return e;
}

void harness_map(struct cpu_harness *h, u64 linear, u64 gpa, u64 flags)
{
	u64 table = HARNESS_PT;

	for (int level = 3; level > 0; level--) {
		u64 *e = pt_entry(h, table, (linear >> (12 + 9 * level)) & 511, true);

		table = *e & 0x000ffffffffff000ULL;
	}
	*(u64 *)(h->ram + table + ((linear >> 12) & 511) * 8) = (gpa & ~0xfffULL) | flags;
	x86_tlb_flush_page(h->cpu, linear);
}

void harness_unmap(struct cpu_harness *h, u64 linear)
{
	harness_map(h, linear, 0, 0);
}

void harness_raise_irq(struct cpu_harness *h, int vector)
{
	__atomic_store_n(&h->pending_irq, vector, __ATOMIC_RELEASE);
	x86_cpu_kick(h->cpu);
}
