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

#include <elf.h>
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

#define ELF_MAX_PHDRS 64
#define ELF_STREAM_HEAD (64 * KiB) /* the headers must lie in the file's first 64 KiB */

/*
 * Load an ELF file as it is decompressed, each byte straight to its place in
 * guest RAM (a bzimage_sink_fn, see bzimage.h): elf_stream_init, then
 * bzimage_decompress_to(..., elf_stream_sink, s, &len, ...), then
 * elf_stream_finish(s, len, info), which zeroes each segment's tail and
 * gives the same info as elf_load. The headers are checked as elf_load
 * checks them before any byte goes to guest RAM. -EAGAIN from the sink or
 * from finish means "not this way": a file laid out otherwise (see
 * elf_load.c) or a bad one; elf_load on the whole file then loads it or says
 * what is wrong with it.
 */
struct elf_stream {
	struct guest_ram *ram;
	u64 min_paddr;
	bool parsed;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	unsigned order[ELF_MAX_PHDRS]; /* segments with file bytes, by p_offset */
	unsigned nseg;
	struct elf_load_info info;
	u8 head[ELF_STREAM_HEAD]; /* the first bytes, then scratch for bytes between segments */
};

void elf_stream_init(struct elf_stream *s, struct guest_ram *ram, u64 min_paddr);
int elf_stream_sink(void *opaque, u64 pos, u8 **dst, size_t *len);
int elf_stream_finish(struct elf_stream *s, u64 len, struct elf_load_info *info) HOVER_WUR;

#endif
