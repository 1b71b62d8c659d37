/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bzImage small enough to build in a test (Linux boot protocol 2.15,
 * Documentation/x86/boot.rst): a gzip'ed x86-64 ELF whose one segment is
 * `cli; hlt`, for tests that need pc_create() to get past the kernel load
 * and never run the guest. Include after <cmocka.h>.
 */
#ifndef HOVER_TESTS_UNIT_TINY_KERNEL_H
#define HOVER_TESTS_UNIT_TINY_KERNEL_H

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "machine/bzimage.h"

#define TINY_KERNEL_ADDR 0x1000000ULL

static inline void tiny_put32(u8 *p, u32 v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* Writes the bzImage to a new file under /tmp; returns its malloc'd path. */
static inline char *tiny_kernel_write(void)
{
	static const u8 code[] = { 0xfa, 0xf4, 0xeb, 0xfd }; /* cli; hlt; jmp $-3 */
	u8 elf[0x200] = { 0 }, gz[0x400];
	Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_entry = TINY_KERNEL_ADDR, .e_phoff = sizeof(Elf64_Ehdr),
			  .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
			  .e_phnum = 1 };
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x100,
			  .p_vaddr = 0xffffffff81000000ULL, .p_paddr = TINY_KERNEL_ADDR,
			  .p_filesz = sizeof(code), .p_memsz = 0x1000, .p_align = 0x1000 };
	const size_t setup_end = 2 * 512, payload_off = 0x100;
	z_stream z = { 0 };
	char *path = strdup("/tmp/hover-tiny-kernel-XXXXXX");
	u8 *bz;
	size_t n;
	int fd;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(elf, &eh, sizeof(eh));
	memcpy(elf + sizeof(eh), &ph, sizeof(ph));
	memcpy(elf + 0x100, code, sizeof(code));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = elf;
	z.avail_in = sizeof(elf);
	z.next_out = gz;
	z.avail_out = sizeof(gz);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);

	n = setup_end + payload_off + z.total_out;
	bz = calloc(1, n);
	bz[BZ_HDR_SETUP_SECTS] = 1;
	bz[BZ_HDR_BOOT_FLAG] = 0x55;
	bz[BZ_HDR_BOOT_FLAG + 1] = 0xaa;
	bz[BZ_HDR_JUMP] = 0xeb;
	bz[BZ_HDR_JUMP + 1] = 0x6a;
	memcpy(bz + BZ_HDR_HEADER, "HdrS", 4);
	bz[BZ_HDR_VERSION] = 0x0f;
	bz[BZ_HDR_VERSION + 1] = 0x02;
	bz[BZ_HDR_LOADFLAGS] = BZ_LOADED_HIGH;
	tiny_put32(bz + BZ_HDR_INITRD_ADDR_MAX, 0x7fffffff);
	tiny_put32(bz + BZ_HDR_KERNEL_ALIGNMENT, 0x200000);
	bz[BZ_HDR_RELOCATABLE] = 1;
	bz[BZ_HDR_XLOADFLAGS] = BZ_XLF_KERNEL_64 | BZ_XLF_CAN_BE_LOADED_ABOVE_4G;
	tiny_put32(bz + BZ_HDR_CMDLINE_SIZE, 2047);
	tiny_put32(bz + BZ_HDR_PAYLOAD_OFFSET, (u32)payload_off);
	tiny_put32(bz + BZ_HDR_PAYLOAD_LENGTH, (u32)z.total_out);
	tiny_put32(bz + BZ_HDR_PREF_ADDRESS, (u32)TINY_KERNEL_ADDR);
	tiny_put32(bz + BZ_HDR_INIT_SIZE, 0x400000);
	memcpy(bz + setup_end + payload_off, gz, z.total_out);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bz, n), (ssize_t)n);
	close(fd);
	free(bz);
	return path;
}

#endif
