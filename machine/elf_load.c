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
 *
 * elf_stream loads the file while it is being decompressed: the headers come
 * first and are checked as elf_load checks them, then each byte goes straight
 * to its segment's place in guest RAM, or, between segments, to a scratch
 * window that is overwritten again. Anything it cannot do that way (headers
 * past the first ELF_STREAM_HEAD bytes, segments whose file ranges overlap,
 * a file that ends early, a bad header) it leaves to elf_load on the whole
 * file, which also says what was wrong.
 */
#include "machine/elf_load.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


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

static int check_ident(const Elf64_Ehdr *eh, const char *label, char *err, size_t errlen)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return fail(err, errlen, ENOEXEC,
			    "%s: kernel payload is not an ELF file (no \\177ELF magic); pass an "
			    "intact kernel image",
			    label);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return fail(err, errlen, ENOEXEC,
			    "%s: kernel payload is not an x86-64 ELF executable (class %u, machine "
			    "%u, type %u); hover boots x86-64 kernels only",
			    label, eh->e_ident[EI_CLASS], eh->e_machine, eh->e_type);
	return 0;
}

/* Check the segments and compute info; file_len bounds their file ranges. */
static int check_segments(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, u64 file_len,
			  struct guest_ram *ram, u64 min_paddr, const char *label,
			  struct elf_load_info *info, char *err, size_t errlen)
{
	u64 start = UINT64_MAX, end = 0, entry = 0;
	bool have_entry = false;
	unsigned i, nload = 0;

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz || p->p_offset > file_len ||
		    p->p_filesz > file_len - p->p_offset)
			return fail(err, errlen, ENOEXEC,
				    "%s: ELF segment %u (offset 0x%llx, %llu bytes) lies outside the "
				    "%llu-byte file; pass an intact kernel image",
				    label, i, (unsigned long long)p->p_offset,
				    (unsigned long long)p->p_filesz, (unsigned long long)file_len);
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
		if (!have_entry && in_range(eh->e_entry, p->p_paddr, p->p_memsz)) {
			entry = eh->e_entry;
			have_entry = true;
		}
		nload++;
	}
	if (!nload)
		return fail(err, errlen, ENOEXEC,
			    "%s: the kernel ELF has no loadable segments; pass an intact kernel image",
			    label);
	for (i = 0; i < eh->e_phnum && !have_entry; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type == PT_LOAD && in_range(eh->e_entry, p->p_vaddr, p->p_memsz)) {
			entry = eh->e_entry - p->p_vaddr + p->p_paddr;
			have_entry = true;
		}
	}
	if (!have_entry)
		return fail(err, errlen, ENOEXEC,
			    "%s: the kernel's ELF entry point 0x%llx is in none of its segments; "
			    "pass an intact kernel image",
			    label, (unsigned long long)eh->e_entry);
	info->entry = entry;
	info->start = start;
	info->end = end;
	return 0;
}

/* Do e_phnum program headers of the expected size fit in the first len bytes? */
static bool phdrs_fit(const Elf64_Ehdr *eh, u64 len)
{
	return eh->e_phentsize == sizeof(Elf64_Phdr) && eh->e_phnum != 0 &&
	       eh->e_phnum <= ELF_MAX_PHDRS && eh->e_phoff <= len &&
	       (u64)eh->e_phnum * sizeof(Elf64_Phdr) <= len - eh->e_phoff;
}

int elf_load(struct guest_ram *ram, const u8 *elf, size_t len, u64 min_paddr, const char *label,
	     struct elf_load_info *info, char *err, size_t errlen)
{
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	Elf64_Ehdr eh;
	unsigned i;
	int r;

	if (len < sizeof(eh))
		return fail(err, errlen, ENOEXEC,
			    "%s: kernel payload is %zu bytes, too short for an ELF header; pass an "
			    "intact kernel image",
			    label, len);
	memcpy(&eh, elf, sizeof(eh));
	r = check_ident(&eh, label, err, errlen);
	if (r)
		return r;
	if (!phdrs_fit(&eh, len))
		return fail(err, errlen, ENOEXEC,
			    "%s: corrupt ELF program headers (%u entries of %u bytes at offset "
			    "0x%llx in %zu bytes); pass an intact kernel image",
			    label, eh.e_phnum, eh.e_phentsize, (unsigned long long)eh.e_phoff, len);
	memcpy(ph, elf + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
	r = check_segments(&eh, ph, len, ram, min_paddr, label, info, err, errlen);
	if (r)
		return r;

	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		u8 *dst;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		ram_populate(ram, p->p_paddr, p->p_memsz);
		dst = ram_ptr(ram, p->p_paddr, p->p_memsz);
		memcpy(dst, elf + p->p_offset, p->p_filesz);
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
	}
	return 0;
}

/* ---- loading as the file streams in ---- */

void elf_stream_init(struct elf_stream *s, struct guest_ram *ram, u64 min_paddr)
{
	memset(s, 0, sizeof(*s));
	s->ram = ram;
	s->min_paddr = min_paddr;
}

/*
 * The first `have` bytes are in s->head: check the headers, order the
 * segments by file offset, and copy the parts of them that are already in
 * s->head. -EAGAIN if this file is not for streaming (elf_load decides).
 */
static int stream_parse(struct elf_stream *s, u64 have)
{
	unsigned i, j, n = 0;

	if (have < sizeof(s->eh))
		return -EAGAIN;
	memcpy(&s->eh, s->head, sizeof(s->eh));
	if (check_ident(&s->eh, "", NULL, 0) || !phdrs_fit(&s->eh, have))
		return -EAGAIN;
	memcpy(s->ph, s->head + s->eh.e_phoff, s->eh.e_phnum * sizeof(Elf64_Phdr));
	if (check_segments(&s->eh, s->ph, UINT64_MAX, s->ram, s->min_paddr, "", &s->info, NULL,
			   0))
		return -EAGAIN;

	/* Insertion sort of the segments with file bytes, by p_offset. */
	for (i = 0; i < s->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &s->ph[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0 || p->p_filesz == 0)
			continue;
		for (j = n; j > 0 && s->ph[s->order[j - 1]].p_offset > p->p_offset; j--)
			s->order[j] = s->order[j - 1];
		s->order[j] = i;
		n++;
	}
	s->nseg = n;
	for (i = 0; i + 1 < n; i++) {
		const Elf64_Phdr *a = &s->ph[s->order[i]], *b = &s->ph[s->order[i + 1]];

		if (a->p_offset + a->p_filesz > b->p_offset)
			return -EAGAIN;
	}
	for (i = 0; i < n; i++) {
		const Elf64_Phdr *p = &s->ph[s->order[i]];
		u64 end = p->p_offset + p->p_filesz < have ? p->p_offset + p->p_filesz : have;

		ram_populate(s->ram, p->p_paddr, p->p_memsz);

		if (p->p_offset < end)
			memcpy(ram_ptr(s->ram, p->p_paddr, p->p_memsz), s->head + p->p_offset,
			       end - p->p_offset);
	}
	s->parsed = true;
	return 0;
}

int elf_stream_sink(void *opaque, u64 pos, u8 **dst, size_t *len)
{
	struct elf_stream *s = opaque;
	u64 gap = sizeof(s->head);
	int r;

	if (!s->parsed) {
		if (pos < sizeof(s->head)) {
			*dst = s->head + pos;
			*len = sizeof(s->head) - (size_t)pos;
			return 0;
		}
		r = stream_parse(s, pos);
		if (r)
			return r;
	}
	/* The first segment that ends past pos: pos is in it, or in the gap before it. */
	for (unsigned i = 0; i < s->nseg; i++) {
		const Elf64_Phdr *p = &s->ph[s->order[i]];

		if (pos >= p->p_offset + p->p_filesz)
			continue;
		if (pos >= p->p_offset) {
			*dst = ram_ptr(s->ram, p->p_paddr, p->p_memsz) + (pos - p->p_offset);
			*len = (size_t)(p->p_offset + p->p_filesz - pos);
			return 0;
		}
		if (p->p_offset - pos < gap)
			gap = p->p_offset - pos;
		break;
	}
	/* Bytes no segment holds (headers, symbols, relocations): scratch, overwritten. */
	*dst = s->head;
	*len = (size_t)gap;
	return 0;
}

int elf_stream_finish(struct elf_stream *s, u64 len, struct elf_load_info *info)
{
	int r;

	if (!s->parsed) {
		r = stream_parse(s, len < sizeof(s->head) ? len : sizeof(s->head));
		if (r)
			return r;
	}
	for (unsigned i = 0; i < s->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &s->ph[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_offset + p->p_filesz > len)
			return -EAGAIN; /* the file ended early: elf_load says so */
		memset(ram_ptr(s->ram, p->p_paddr, p->p_memsz) + p->p_filesz, 0,
		       p->p_memsz - p->p_filesz);
	}
	*info = s->info;
	return 0;
}
