// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dirty page logging. The software CPU (cpu/x86/tlb.c, mmu.c) reports each
 * page it writes before it caches a write entry for it, interpreted or
 * translated, and again after its write entries were dropped — and reports
 * nothing while logging is off. The VM-level log (core/dirty_log.c, the emu
 * engine's sync) sets exactly the bits of the pages device DMA wrote, in
 * the right RAM region, and a sync clears them.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "include/hover/accel.h"
#include "include/hover/vm.h"
#include "tests/unit/cpu_harness.h"

/* Pages the CPU reported, in order (bus.page_dirty). */
static u64 marks[64];
static unsigned nmarks;

static void record(void *opaque, u64 gpa)
{
	(void)opaque;
	if (nmarks < ARRAY_SIZE(marks))
		marks[nmarks++] = gpa;
}

static bool marked(u64 gpa)
{
	for (unsigned i = 0; i < nmarks; i++)
		if (marks[i] == gpa)
			return true;
	return false;
}

/* Stores to three data pages (one of them twice, one of them by a page-crossing qword). */
static const u8 store_code[] = {
	0x48, 0xc7, 0xc3, 0x00, 0x00, 0x20, 0x00,       /* mov rbx, 0x200000 */
	0x48, 0xc7, 0xc0, 0x55, 0x00, 0x00, 0x00,       /* mov rax, 0x55 */
	0xb9, 0x10, 0x00, 0x00, 0x00,                   /* mov ecx, 16 (loop: hot, translated) */
	0x48, 0x89, 0x03,                               /* 1: mov [rbx], rax */
	0x48, 0x89, 0x83, 0x08, 0x30, 0x00, 0x00,       /* mov [rbx + 0x3008], rax */
	0x48, 0x89, 0x83, 0xfc, 0x5f, 0x00, 0x00,       /* mov [rbx + 0x5ffc], rax (0x205ffc: into 0x206000) */
	0xff, 0xc9,                                     /* dec ecx */
	0x75, 0xeb,                                     /* jnz 1b */
	0xf4,                                           /* hlt */
};

static void run_stores(bool jit)
{
	struct cpu_harness *h = harness_create();

	assert_non_null(h);
	h->cpu->bus.page_dirty = record;
	x86_cpu_set_jit(h->cpu, jit);
	harness_load(h, store_code, sizeof(store_code));

	/* Off: nothing is reported (and the run sets the page tables' A/D bits once). */
	nmarks = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RCX], 0);
	assert_int_equal(nmarks, 0);
	/* The translated variant did translate (its stores take jit_mem.c's inline TLB path). */
	assert_true(jit == (h->cpu->jit != NULL));

	/* On: exactly the written pages, each once although written 16 times. */
	x86_cpu_set_dirty_log(h->cpu, true);
	x86_cpu_poll_requests(h->cpu);
	harness_load(h, store_code, sizeof(store_code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(nmarks, 4);
	assert_true(marked(0x200000));
	assert_true(marked(0x203000));
	assert_true(marked(0x205000));
	assert_true(marked(0x206000));

	/* The write entries stay: writing the same pages again costs no report... */
	nmarks = 0;
	harness_load(h, store_code, sizeof(store_code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(nmarks, 0);

	/* ...until a sync has them dropped: then every page is reported again. */
	u32 req = x86_cpu_request_drop_writes(h->cpu);
	assert_false(x86_cpu_drop_writes_done(h->cpu, req));
	x86_cpu_poll_requests(h->cpu);
	assert_true(x86_cpu_drop_writes_done(h->cpu, req));
	harness_load(h, store_code, sizeof(store_code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(nmarks, 4);

	/* A page-table update is a write too: a fresh mapping's D bit being set. */
	nmarks = 0;
	harness_map(h, 0x40000000ULL, 0x300000, HARNESS_PTE_RW);
	{
		static const u8 code[] = {
			0x48, 0xc7, 0xc3, 0x00, 0x00, 0x00, 0x40, /* mov rbx, 0x40000000 */
			0x48, 0x89, 0x03,                         /* mov [rbx], rax */
			0xf4,
		};
		harness_load(h, code, sizeof(code));
	}
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_true(marked(0x300000));
	assert_true(nmarks >= 2); /* and the page-table pages whose A/D bits were set */
	for (unsigned i = 0; i < nmarks; i++)
		assert_true(marks[i] == 0x300000 || marks[i] < HARNESS_STACK);

	/* Off again: nothing. */
	x86_cpu_set_dirty_log(h->cpu, false);
	x86_cpu_poll_requests(h->cpu);
	nmarks = 0;
	harness_load(h, store_code, sizeof(store_code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(nmarks, 0);
	harness_destroy(h);
}

static void test_cpu_interpreted(void **state)
{
	(void)state;
	run_stores(false);
}

static void test_cpu_translated(void **state)
{
	(void)state;
	run_stores(true);
}

static bool bit(const u64 *bm, u64 page)
{
	return (bm[page / 64] >> (page % 64)) & 1;
}

static unsigned popcount(const u64 *bm, size_t words)
{
	unsigned n = 0;

	for (size_t i = 0; i < words; i++)
		n += (unsigned)__builtin_popcountll(bm[i]);
	return n;
}

static void test_vm_dma_marks_and_sync_clears(void **state)
{
	struct vm *vm;
	u64 *bm0, *bm1;
	size_t w0, w1;

	(void)state;
	/* 4 GiB + 64 MiB: two RAM regions, the second from 4 GiB up (never touched: no host memory). */
	assert_int_equal(vm_create(&vm, 4 * GiB + 64 * MiB, 1, accel_find("emu")), 0);
	assert_int_equal(vm->ram.nregions, 2);
	w0 = vm_dirty_bitmap_words(vm, 0);
	w1 = vm_dirty_bitmap_words(vm, 1);
	assert_int_equal(w0, (RAM_LOW_MAX >> 12) / 64);
	bm0 = calloc(w0, sizeof(u64));
	bm1 = calloc(w1, sizeof(u64));

	/* Off: a sync is refused and DMA leaves no trace. */
	vm_ram_written(vm, 0x1000, 8);
	assert_int_equal(vm_dirty_log_sync(vm, 0, bm0), -EINVAL);

	assert_int_equal(vm_dirty_log_start(vm), 0);
	vm_ram_written(vm, 0x1000, 8);                 /* page 1 */
	vm_ram_written(vm, 0x5ff0, 0x20);              /* pages 5 and 6 */
	vm_ram_written(vm, 0x10000, 0x3000);           /* pages 16-18 */
	vm_ram_written(vm, RAM_HIGH_BASE + 0x7000, 1); /* region 1, page 7 */
	vm_ram_written(vm, RAM_LOW_MAX, 4096);         /* the PCI hole: no RAM, no bit */
	assert_int_equal(vm_dirty_log_sync(vm, 0, bm0), 0);
	assert_int_equal(popcount(bm0, w0), 6);
	assert_true(bit(bm0, 1) && bit(bm0, 5) && bit(bm0, 6));
	assert_true(bit(bm0, 16) && bit(bm0, 17) && bit(bm0, 18));
	assert_int_equal(vm_dirty_log_sync(vm, 1, bm1), 0);
	assert_int_equal(popcount(bm1, w1), 1);
	assert_true(bit(bm1, 7));

	/* A sync took them: the next one is empty until something is written again. */
	assert_int_equal(vm_dirty_log_sync(vm, 0, bm0), 0);
	assert_int_equal(popcount(bm0, w0), 0);
	vm_ram_written(vm, 0x2000, 1);
	assert_int_equal(vm_dirty_log_sync(vm, 0, bm0), 0);
	assert_int_equal(popcount(bm0, w0), 1);
	assert_true(bit(bm0, 2));
	assert_int_equal(vm_dirty_log_sync(vm, 2, bm0), -EINVAL); /* no such region */

	/* Stopped: nothing is tracked any more. */
	vm_dirty_log_stop(vm);
	vm_ram_written(vm, 0x3000, 1);
	assert_int_equal(vm_dirty_log_start(vm), 0);
	assert_int_equal(vm_dirty_log_sync(vm, 0, bm0), 0);
	assert_int_equal(popcount(bm0, w0), 0);
	vm_dirty_log_stop(vm);

	free(bm0);
	free(bm1);
	vm_destroy(vm);
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *v = opaque;

	v->vm->accel->vcpu_run(v);
	return NULL;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The emu engine with its vCPU running: a 32-bit loop storing to two pages
 * for ever. Each sync must see both again, which it can only if it made the
 * running CPU drop the write entries the previous one let it cache.
 */
static void test_emu_sync_with_a_running_vcpu(void **state)
{
	static const u8 loop[] = {
		0xb8, 0, 0, 0, 0,             /* mov eax, 0 */
		0xa3, 0x00, 0x00, 0x01, 0x00, /* 1: mov [0x10000], eax */
		0x40,                         /* inc eax */
		0xa3, 0x00, 0x00, 0x02, 0x00, /* mov [0x20000], eax */
		0xeb, 0xf3,                   /* jmp 1b */
	};
	struct seg_reg flat_code = { 0, 0xffffffff, 0x08, 0xc09b };
	struct seg_reg flat_data = { 0, 0xffffffff, 0x10, 0xc093 };
	struct vcpu_regs r;
	struct vm *vm;
	pthread_t t;
	u64 *bm;
	size_t w;

	(void)state;
	assert_int_equal(vm_create(&vm, 16 * MiB, 1, accel_find("emu")), 0);
	assert_int_equal(ram_write(&vm->ram, 0x1000, loop, sizeof(loop)), 0);
	assert_int_equal(vm->accel->vcpu_get_regs(vm->vcpu[0], &r), 0);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		r.seg[i] = flat_data;
	r.seg[SEG_CS] = flat_code;
	r.cr0 = 0x11; /* PE, ET: flat protected mode, no paging */
	r.rip = 0x1000;
	r.rflags = 2;
	assert_int_equal(vm->accel->vcpu_set_regs(vm->vcpu[0], &r), 0);
	w = vm_dirty_bitmap_words(vm, 0);
	bm = calloc(w, sizeof(u64));

	assert_int_equal(pthread_create(&t, NULL, vcpu_thread, vm->vcpu[0]), 0);
	sleep_ms(20); /* long enough to have cached write entries for both pages */
	assert_int_equal(vm_dirty_log_start(vm), 0);
	for (unsigned round = 0; round < 5; round++) {
		sleep_ms(5);
		assert_int_equal(vm_dirty_log_sync(vm, 0, bm), 0);
		assert_int_equal(popcount(bm, w), 2);
		assert_true(bit(bm, 0x10) && bit(bm, 0x20));
	}
	vm_dirty_log_stop(vm);
	vm_request_stop(vm, VM_QUIT, "test over");
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(*(volatile u32 *)ram_ptr(&vm->ram, 0x20000, 4) > 1000);
	free(bm);
	vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_interpreted),
		cmocka_unit_test(test_cpu_translated),
		cmocka_unit_test(test_vm_dma_marks_and_sync_clears),
		cmocka_unit_test(test_emu_sync_with_a_running_vcpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
