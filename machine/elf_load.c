// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ELF64 loader for guest kernels (System V gABI "Program Loading"; x86-64
 * psABI). Two passes: validate every program header first, then copy, so a
 * bad file leaves guest RAM untouched. Nothing read from the file is trusted:
 * offsets and sizes are checked against the file and against guest RAM with
 * overflow-safe arithmetic.
 *
 * The entry point: Linux links vmlinux with ENTRY(phys_startup_64), so e_entry
 * is already physical. A file whose e_entry is virtual (inside some segment's
 * p_vaddr range) is translated through that segment's p_paddr.
 */
#include "machine/elf_load.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_PHDRS 64

static int fail(char *err, size_t errlen, int errnum, const char *fmt, ...) HOVER_PRINTF(4, 5);
static int fail(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

static bool in_range(u64 x, u64 base, u64 len)
{
	return x >= base && x - base < len;
}

int elf_load(struct guest_ram *ram, const u8 *elf, size_t len, u64 min_paddr, const char *label,
	     struct elf_load_info *info, char *err, size_t errlen)
{
	Elf64_Phdr ph[MAX_PHDRS];
	Elf64_Ehdr eh;
	u64 start = UINT64_MAX, end = 0, entry = 0;
	bool have_entry = false;
	unsigned i, nload = 0;

	if (len < sizeof(eh))
		return fail(err, errlen, ENOEXEC,
			    "%s: kernel payload is %zu bytes, too short for an ELF header; pass an "
			    "intact kernel image",
			    label, len);
	memcpy(&eh, elf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return fail(err, errlen, ENOEXEC,
			    "%s: kernel payload is not an ELF file (no \\177ELF magic); pass an "
			    "intact kernel image",
			    label);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return fail(err, errlen, ENOEXEC,
			    "%s: kernel payload is not an x86-64 ELF executable (class %u, machine "
			    "%u, type %u); hover boots x86-64 kernels only",
			    label, eh.e_ident[EI_CLASS], eh.e_machine, eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS ||
	    eh.e_phoff > len || (u64)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return fail(err, errlen, ENOEXEC,
			    "%s: corrupt ELF program headers (%u entries of %u bytes at offset "
			    "0x%llx in %zu bytes); pass an intact kernel image",
			    label, eh.e_phnum, eh.e_phentsize, (unsigned long long)eh.e_phoff, len);
	memcpy(ph, elf + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));

	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz || p->p_offset > len || p->p_filesz > len - p->p_offset)
			return fail(err, errlen, ENOEXEC,
				    "%s: ELF segment %u (offset 0x%llx, %llu bytes) lies outside the "
				    "%zu-byte file; pass an intact kernel image",
				    label, i, (unsigned long long)p->p_offset,
				    (unsigned long long)p->p_filesz, len);
		if (p->p_paddr < min_paddr || p->p_paddr + p->p_memsz < p->p_paddr ||
		    !ram_ptr(ram, p->p_paddr, p->p_memsz))
			return fail(err, errlen, ERANGE,
				    "%s: ELF segment %u at 0x%llx-0x%llx is not in guest RAM above "
				    "0x%llx (the guest has %llu MiB); use a larger --memory or a "
				    "kernel linked for a PC",
				    label, i, (unsigned long long)p->p_paddr,
				    (unsigned long long)(p->p_paddr + p->p_memsz),
				    (unsigned long long)min_paddr,
				    (unsigned long long)(ram->total / MiB));
		if (p->p_paddr < start)
			start = p->p_paddr;
		if (p->p_paddr + p->p_memsz > end)
			end = p->p_paddr + p->p_memsz;
		if (!have_entry && in_range(eh.e_entry, p->p_paddr, p->p_memsz)) {
			entry = eh.e_entry;
			have_entry = true;
		}
		nload++;
	}
	if (!nload)
		return fail(err, errlen, ENOEXEC,
			    "%s: the kernel ELF has no loadable segments; pass an intact kernel image",
			    label);
	for (i = 0; i < eh.e_phnum && !have_entry; i++) {
		if (ph[i].p_type == PT_LOAD && in_range(eh.e_entry, ph[i].p_vaddr, ph[i].p_memsz)) {
			entry = eh.e_entry - ph[i].p_vaddr + ph[i].p_paddr;
			have_entry = true;
		}
	}
	if (!have_entry)
		return fail(err, errlen, ENOEXEC,
			    "%s: the kernel's ELF entry point 0x%llx is in none of its segments; "
			    "pass an intact kernel image",
			    label, (unsigned long long)eh.e_entry);

	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		u8 *dst;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		dst = ram_ptr(ram, p->p_paddr, p->p_memsz);
		memcpy(dst, elf + p->p_offset, p->p_filesz);
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
	}
	info->entry = entry;
	info->start = start;
	info->end = end;
	return 0;
}
