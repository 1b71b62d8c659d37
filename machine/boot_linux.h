/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Direct Linux boot (Documentation/x86/boot.rst, "64-bit Boot Protocol";
 * Documentation/x86/zero-page.rst): hover extracts vmlinux from the bzImage
 * itself, loads its ELF segments, writes boot_params, a GDT and identity page
 * tables, and returns the register state of a vCPU about to execute the
 * kernel's startup_64 in long mode. No BIOS, no real-mode setup code, no
 * in-guest decompressor; the same for every engine.
 *
 * Guest physical memory layout written by boot_linux_load():
 *
 *   0x000500  GDT: 0x08 32-bit code, 0x10 64-bit code (__BOOT_CS),
 *             0x18 data (__BOOT_DS), 0x20 64-bit TSS (16 bytes)
 *   0x000600  TSS (0x68 bytes, zero; only so TR holds something valid)
 *   0x007000  boot_params, the "zero page" (4 KiB); RSI points here
 *   0x008000  boot stack page (RSP = 0x8ff0; startup_64 sets its own)
 *   0x009000  PML4          \
 *   0x00a000  PDPT           > identity map of 0-4 GiB with 2 MiB pages
 *   0x00b000  4 PDs (16 KiB)/  (up to 0x00efff)
 *   0x020000  kernel command line (NUL-terminated, up to 64 KiB and the
 *             kernel's cmdline_size)
 *   0x09fc00- the legacy hole (e820 reserved): left to the board (ACPI
 *   0x100000  RSDP and tables, no BIOS)
 *   p_paddr   the vmlinux PT_LOAD segments (Debian: 0x1000000), and the
 *             kernel's working memory up to start + init_size
 *   top       the initrd: page-aligned, as high as possible in e820 RAM
 *             below min(4 GiB, initrd_addr_max + 1), clear of the kernel
 *
 * Entry state: 64-bit mode, CS=0x10 (L, execute/read), DS=ES=SS=FS=GS=0x18,
 * CR0=PE|MP|ET|NE|WP|PG, CR4=PAE, EFER=LME|LMA, CR3=PML4, RFLAGS=0x2
 * (interrupts off), RIP=the physical ELF entry (startup_64), RSI=boot_params.
 * NX is left off as the kernel's own decompressor leaves it; startup_64
 * enables it (and SCE) itself.
 */
#ifndef HOVER_MACHINE_BOOT_LINUX_H
#define HOVER_MACHINE_BOOT_LINUX_H

#include <stddef.h>

#include "include/hover/ram.h"
#include "include/hover/regs.h"
#include "include/hover/types.h"
#include "machine/e820.h"

#define BOOT_GDT_ADDR 0x500ULL
#define BOOT_TSS_ADDR 0x600ULL
#define BOOT_TSS_SIZE 0x68u
#define BOOT_PARAMS_ADDR 0x7000ULL
#define BOOT_PARAMS_SIZE 0x1000u
#define BOOT_STACK_TOP 0x8ff0ULL
#define BOOT_PML4_ADDR 0x9000ULL
#define BOOT_PDPT_ADDR 0xa000ULL
#define BOOT_PD_ADDR 0xb000ULL /* 4 pages */
#define BOOT_IDMAP_SIZE (4 * GiB)
#define BOOT_CMDLINE_ADDR 0x20000ULL
#define BOOT_CMDLINE_MAX 0x10000u  /* bytes including the NUL */
#define BOOT_KERNEL_MIN 0x100000ULL /* segments below 1 MiB would hit the above */

#define BOOT_CS 0x10   /* __BOOT_CS */
#define BOOT_DS 0x18   /* __BOOT_DS */
#define BOOT_TSS_SEL 0x20

/* boot_params fields outside the setup header (zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070   /* u64 */
#define BP_EXT_RAMDISK_IMAGE 0x0c0 /* u32, high half of ramdisk_image */
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
/* screen_info (include/uapi/linux/screen_info.h) at the start of the zero page. */
#define BP_SI_ORIG_VIDEO_MODE 0x06  /* u8 */
#define BP_SI_ORIG_VIDEO_COLS 0x07  /* u8 */
#define BP_SI_ORIG_VIDEO_EGA_BX 0x0a /* u16: BL = EGA memory, BH = 0 for colour */
#define BP_SI_ORIG_VIDEO_LINES 0x0e /* u8 */
#define BP_SI_ORIG_VIDEO_ISVGA 0x0f /* u8: 1 = VGA */
#define BP_SI_ORIG_VIDEO_POINTS 0x10 /* u16: font height */
#define BP_E820_ENTRIES 0x1e8 /* u8 */
#define BP_SENTINEL 0x1ef
#define BP_E820_TABLE 0x2d0 /* 128 x {u64 addr, u64 size, u32 type}, packed */
#define BP_E820_ENTRY_SIZE 20

struct boot_linux_config {
	const char *kernel;  /* path of the bzImage */
	const char *initrd;  /* path, or NULL */
	const char *cmdline; /* NULL means empty */
	u64 acpi_rsdp;       /* RSDP's guest address, or 0 to let Linux scan for it */
	/* The memory map the board built; NULL means e820_build_pc(ram). */
	const struct e820_map *e820;
	/*
	 * A VGA adapter in 80x25 text mode is present: describe it in
	 * screen_info, as a BIOS boot would, so vgacon (console=tty0) uses it.
	 */
	bool vga_text;
};

/*
 * Load kernel and initrd into `ram`, write the boot structures, and fill
 * *regs with the boot vCPU's state. On failure returns -errno with one
 * sentence in err naming the input and what to do; guest RAM may then hold a
 * partial load.
 */
int boot_linux_load(struct guest_ram *ram, const struct boot_linux_config *cfg,
		    struct vcpu_regs *regs, char *err, size_t errlen) HOVER_WUR;

#endif
