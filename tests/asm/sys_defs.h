/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared scaffolding of the self-checking system payloads (sys_*.S), meant
 * to run unchanged under the emu and kvm engines (the hardware is then the
 * oracle). Macros here (include at the top); code and data in sys.h.S
 * (include at the end of the payload's text). Provides:
 *
 *   sys_init      own GDT (ring 0/3 code and data, a 64-bit TSS with IST1),
 *                 IDT of 64-bit interrupt gates for vectors 0-31 and 0x40,
 *                 own 4-level page tables: 0-1 GiB and 3-4 GiB with 2 MiB
 *                 pages (U/S=1), and the 2 MiB at TEST_REGION with 4 KiB
 *                 pages (PT at test_pt) for the paging tests.
 *   exception recording: a fault or trap stores vector, error code, CR2,
 *                 RIP, CS and the RSP it ran on in exc_*, then resumes at
 *                 exc_resume (with CS/SS of ring 0). EXPECT sets that up.
 *   puts/puthex   COM1 output; check: prints "PASS name" or "FAIL name".
 *   poweroff      ACPI S5 (PM1a_CNT 0x604), as tests/asm/hello.S.
 *
 * References: Intel SDM Vol. 3A ch. 3 (GDT), 4.5 (4-level paging), 6.14
 * (64-bit IDT, IST), 7.7 (64-bit TSS).
 */
#define COM1 0x3f8
#define PM1A_CNT 0x604
#define SLP_S5 ((5 << 10) | (1 << 13))

#define KCODE 0x08
#define KDATA 0x10
#define UDATA 0x1b
#define UCODE 0x23
#define TSSSEL 0x28

#define TEST_REGION 0x2000000 /* 32 MiB: 4 KiB pages, identity */
#define IST1_TOP (ist1_stack + 4096)

/* Run `code`, expecting exception `vec` (or -1: none); then fall through. */
#define EXPECT_BEGIN(label)                 \
	lea label(%rip), %rax;              \
	mov %rax, exc_resume(%rip);         \
	movq $-1, exc_vec(%rip)
/* check(cond-code from a compare already done, name string label) */
#define CHECK(jcc_ok, name)                 \
	lea name(%rip), %rsi;               \
	mov $0, %eax;                       \
	jcc_ok 91f;                         \
	mov $1, %eax;                       \
91:	call check


