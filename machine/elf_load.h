/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load an x86-64 ELF executable (a vmlinux, or a test payload) into guest RAM
 * at the physical addresses of its PT_LOAD segments (p_paddr), as the
 * kernel's own decompressor does (arch/x86/boot/compressed/misc.c, but
 * without relocation: the kernel runs where it was linked to be loaded).
 * ELF layout: System V gABI and the x86-64 psABI.
 */
#ifndef HOVER_MACHINE_ELF_LOAD_H
#define HOVER_MACHINE_ELF_LOAD_H

#include <stddef.h>

#include "include/hover/ram.h"
#include "include/hover/types.h"

struct elf_load_info {
	u64 entry; /* physical address of e_entry */
	u64 start; /* lowest p_paddr of a loaded segment */
	u64 end;   /* highest p_paddr + p_memsz */
};

/*
 * Validate and load elf[0..len). Every segment must lie in RAM at or above
 * min_paddr (below it sit the boot structures). label names the input in
 * errors. 0 or -errno with one sentence in err.
 */
int elf_load(struct guest_ram *ram, const u8 *elf, size_t len, u64 min_paddr, const char *label,
	     struct elf_load_info *info, char *err, size_t errlen) HOVER_WUR;

#endif
