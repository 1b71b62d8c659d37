/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny machine for CPU unit tests: 16 MiB of flat RAM and one x86_cpu
 * started directly in 64-bit mode (CPL 0, paging on, IF = 0).
 *
 *   struct cpu_harness *h = harness_create();
 *   harness_load(h, "\x48\x01\xd8\xf4", 4);      // add rax, rbx; hlt
 *   h->cpu->gpr[GPR_RAX] = 1; h->cpu->gpr[GPR_RBX] = 2;
 *   assert_int_equal(harness_run(h), X86_EXIT_HALT);   // HLT with IF=0 ends the run
 *   assert_int_equal(h->cpu->gpr[GPR_RAX], 3);
 *   assert_int_equal(harness_exception(h), -1);         // no exception was taken
 *   harness_destroy(h);
 *
 * Memory map (guest-physical = linear: the first 16 MiB are identity-mapped
 * with 4 KiB pages, read/write/exec, supervisor and user):
 *   0x001000-0x00ffff  page tables (PML4 at 0x1000)       HARNESS_PT
 *   0x010000           GDT: 0x08 64-bit code, 0x10 data, 0x18 32-bit code, 0x23/0x2b user data/code64
 *   0x011000           IDT: 256 interrupt gates to stubs at 0x012000 + 16 * vector
 *   0x013000           exception record (written by the stubs)
 *   0x020000-0x06ffff  free pages for harness_map()'s new page tables
 *   0x080000           initial RSP (stack grows down)                    HARNESS_STACK
 *   0x100000           code loaded by harness_load(); initial RIP         HARNESS_CODE
 *   0x200000           free data area for tests                           HARNESS_DATA
 *   >= 16 MiB          not RAM: accesses become MMIO (map it with harness_map first)
 *
 * Every IDT stub stores its vector in the exception record and executes HLT
 * (IF is clear in the handler), so an exception or interrupt ends the run with
 * X86_EXIT_HALT and harness_exception() tells which. h->exc_rip / exc_err hold
 * the interrupted RIP and error code from the stack frame.
 *
 * harness_real_mode() and harness_prot32() restart the CPU in real-address
 * mode (an IVT at 0 whose vectors reach stubs at 0x15000 that record the
 * vector the same way) or in flat 32-bit protected mode without paging (an
 * IDT of 32-bit gates at HARNESS_IDT32 to the same stubs as the 64-bit IDT).
 *
 * harness_run() stops the CPU after HARNESS_TIMEOUT_MS (X86_EXIT_STOP), so a
 * runaway test fails instead of hanging. Byte writes by the test into guest RAM
 * after the first run must go through harness_load_at()/harness_write() (they
 * tell the CPU to drop cached code, as DMA would).
 */
#ifndef HOVER_TESTS_UNIT_CPU_HARNESS_H
#define HOVER_TESTS_UNIT_CPU_HARNESS_H

#include <stddef.h>

#include "cpu/x86/cpu.h"

#define HARNESS_RAM_SIZE (16 * MiB)
#define HARNESS_PT 0x1000ULL
#define HARNESS_GDT 0x10000ULL
#define HARNESS_IDT 0x11000ULL
#define HARNESS_STUBS 0x12000ULL
#define HARNESS_EXC_REC 0x13000ULL
#define HARNESS_REAL_STUBS 0x15000ULL /* real mode: 0x1300:0x2000 + 16 * vector */
#define HARNESS_IDT32 0x16000ULL
#define HARNESS_STACK 0x80000ULL
#define HARNESS_CODE 0x100000ULL
#define HARNESS_DATA 0x200000ULL
#define HARNESS_TIMEOUT_MS 5000

/* Selectors in the harness GDT. */
#define HARNESS_SEL_CODE64 0x08
#define HARNESS_SEL_DATA 0x10
#define HARNESS_SEL_CODE32 0x18
#define HARNESS_SEL_UDATA 0x23
#define HARNESS_SEL_UCODE64 0x2b

/* Page-table entry flags for harness_map(). */
#define HARNESS_PTE_P 0x1ULL
#define HARNESS_PTE_W 0x2ULL
#define HARNESS_PTE_U 0x4ULL
#define HARNESS_PTE_NX (1ULL << 63)
#define HARNESS_PTE_RW (HARNESS_PTE_P | HARNESS_PTE_W | HARNESS_PTE_U)

struct harness_mmio {
	u64 gpa;
	u64 val;
	unsigned size;
	bool write;
};

struct harness_pio {
	u16 port;
	u32 val;
	unsigned size;
	bool out;
};

struct cpu_harness {
	struct x86_cpu *cpu;
	u8 *ram;
	enum x86_exit exit;
	u64 exc_rip, exc_err; /* from the exception frame when harness_exception() >= 0 */

	/* MMIO and port I/O seen by the bus (first 64 of each). */
	struct harness_mmio mmio[64];
	unsigned n_mmio;
	struct harness_pio pio[64];
	unsigned n_pio;
	u64 mmio_read_value; /* what MMIO reads return */
	u32 pio_in_value;    /* what IN returns */

	int pending_irq;     /* vector intr_ack hands out once, or -1 */
	unsigned n_unimpl;   /* log_unimplemented calls */
	u64 pt_next;         /* next free page for harness_map() */
};

struct cpu_harness *harness_create(void);
void harness_destroy(struct cpu_harness *h);

/* Copy code to HARNESS_CODE and point RIP at it. */
void harness_load(struct cpu_harness *h, const void *code, size_t len);
/* Copy bytes to guest-physical gpa (and drop code cached from there). */
void harness_load_at(struct cpu_harness *h, u64 gpa, const void *bytes, size_t len);
#define harness_write harness_load_at
/* Host pointer to guest-physical gpa (inside RAM). */
void *harness_ptr(struct cpu_harness *h, u64 gpa);
u64 harness_read64(struct cpu_harness *h, u64 gpa);

/* Run from RIP (leaving any HLT state) until exit; records exc_* fields. Returns the exit reason. */
enum x86_exit harness_run(struct cpu_harness *h);
/* Vector taken by the last run (through the IDT stubs), or -1. */
int harness_exception(struct cpu_harness *h);

/*
 * Real-address mode at cs:ip (Intel SDM Vol. 3A 9.1, 20.1): CR0 = ET NE,
 * paging and long mode off, DS = ES = FS = GS = SS = 0, SP = 0x8000, the
 * harness's IVT. A20 as the CPU has it.
 */
void harness_real_mode(struct cpu_harness *h, u16 cs, u16 ip);
/* Flat 32-bit protected mode, paging off, CPL 0: EIP = HARNESS_CODE, ESP = HARNESS_STACK. */
void harness_prot32(struct cpu_harness *h);

/* Map / unmap one 4 KiB page (flushes that TLB entry). */
void harness_map(struct cpu_harness *h, u64 linear, u64 gpa, u64 flags);
void harness_unmap(struct cpu_harness *h, u64 linear);

/* Make intr_ack return `vector` once and kick the CPU (call from any thread). */
void harness_raise_irq(struct cpu_harness *h, int vector);

#endif
