// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the Linux loader (machine/boot_linux.c, bzimage.c, elf_load.c):
 * synthetic bzImages built here (a tiny ELF compressed with gzip, xz or zstd),
 * hostile variants of them, and Debian's real kernel when it is present
 * (HOVER_TEST_KERNEL, default build/guest/vmlinuz from scripts/make-guest.sh).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "include/hover/ram.h"
#include "include/hover/regs.h"
#include "machine/boot_linux.h"
#include "machine/bzimage.h"
#include "machine/e820.h"

#define GUEST_RAM (512 * MiB)
#define KADDR 0x1000000ULL

static u16 rd16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 rd32(const u8 *p) { return rd16(p) | (u32)rd16(p + 2) << 16; }
static u64 rd64(const u8 *p) { return rd32(p) | (u64)rd32(p + 4) << 32; }
static void wr32(u8 *p, u32 v) { memcpy(p, &v, 4); }

/* ---- building inputs ---- */

struct buf {
	u8 *p;
	size_t n;
};

static const u8 code[] = { 0xfa, 0xf4, 0xeb, 0xfd, 'h', 'o', 'v', 'e', 'r' }; /* cli; hlt; jmp */

/* An x86-64 ELF with one PT_LOAD of `code` at paddr (vaddr = vaddr_base + offset). */
static struct buf make_elf(u64 paddr, u64 vaddr, u64 entry, u64 memsz)
{
	struct buf b = { calloc(1, 0x200), 0x200 };
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_offset = 0x100;
	ph.p_vaddr = vaddr;
	ph.p_paddr = paddr;
	ph.p_filesz = sizeof(code);
	ph.p_memsz = memsz;
	ph.p_align = 0x1000;
	memcpy(b.p, &eh, sizeof(eh));
	memcpy(b.p + sizeof(eh), &ph, sizeof(ph));
	memcpy(b.p + 0x100, code, sizeof(code));
	return b;
}

static struct buf compress_gzip(struct buf in)
{
	struct buf out = { malloc(in.n + 1024), 0 };
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = in.p;
	z.avail_in = (uInt)in.n;
	z.next_out = out.p;
	z.avail_out = (uInt)(in.n + 1024);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out.n = z.total_out;
	deflateEnd(&z);
	return out;
}

/* xz and zstd payloads carry the uncompressed size after the stream, as the kernel's. */
static struct buf compress_xz(struct buf in)
{
	struct buf out = { malloc(in.n + 1024), 0 };

	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in.p, in.n, out.p,
						 &out.n, in.n + 1020),
			 LZMA_OK);
	wr32(out.p + out.n, (u32)in.n);
	out.n += 4;
	return out;
}

static struct buf compress_zstd(struct buf in)
{
	struct buf out = { malloc(in.n + 1024), 0 };

	out.n = ZSTD_compress(out.p, in.n + 1020, in.p, in.n, 19);
	assert_false(ZSTD_isError(out.n));
	wr32(out.p + out.n, (u32)in.n);
	out.n += 4;
	return out;
}

#define SETUP_SECTS 1
#define PM_START ((SETUP_SECTS + 1) * 512)
#define PAYLOAD_OFF 0x100

/* A minimal bzImage around payload (the layout scripts/mkbzimage.py writes). */
static struct buf make_bzimage(struct buf payload, u32 init_size)
{
	struct buf b;

	b.n = PM_START + PAYLOAD_OFF + payload.n;
	b.p = calloc(1, b.n);
	b.p[BZ_HDR_SETUP_SECTS] = SETUP_SECTS;
	b.p[BZ_HDR_BOOT_FLAG] = 0x55;
	b.p[BZ_HDR_BOOT_FLAG + 1] = 0xaa;
	b.p[BZ_HDR_JUMP] = 0xeb;
	b.p[BZ_HDR_JUMP + 1] = 0x6a; /* header ends at 0x26c */
	memcpy(b.p + BZ_HDR_HEADER, "HdrS", 4);
	b.p[BZ_HDR_VERSION] = 0x0f;
	b.p[BZ_HDR_VERSION + 1] = 0x02;
	b.p[BZ_HDR_LOADFLAGS] = BZ_LOADED_HIGH;
	wr32(b.p + BZ_HDR_INITRD_ADDR_MAX, 0x7fffffff);
	wr32(b.p + BZ_HDR_KERNEL_ALIGNMENT, 0x200000);
	b.p[BZ_HDR_RELOCATABLE] = 1;
	b.p[BZ_HDR_XLOADFLAGS] = BZ_XLF_KERNEL_64 | BZ_XLF_CAN_BE_LOADED_ABOVE_4G;
	wr32(b.p + BZ_HDR_CMDLINE_SIZE, 2047);
	wr32(b.p + BZ_HDR_PAYLOAD_OFFSET, PAYLOAD_OFF);
	wr32(b.p + BZ_HDR_PAYLOAD_LENGTH, (u32)payload.n);
	wr32(b.p + BZ_HDR_PREF_ADDRESS, (u32)KADDR);
	wr32(b.p + BZ_HDR_INIT_SIZE, init_size);
	memcpy(b.p + PM_START + PAYLOAD_OFF, payload.p, payload.n);
	return b;
}

static struct buf default_kernel(void)
{
	struct buf elf = make_elf(KADDR, 0xffffffff81000000ULL, KADDR, 0x3000);
	struct buf z = compress_gzip(elf);
	struct buf bz = make_bzimage(z, 0x400000);

	free(elf.p);
	free(z.p);
	return bz;
}

/* Temporary files, removed at teardown. */
static char tmpdir[64];
static unsigned ntmp;

static char *write_tmp(const void *data, size_t n)
{
	static char paths[8][128];
	char *path = paths[ntmp % 8];
	int fd;

	snprintf(path, sizeof(paths[0]), "%s/f%u", tmpdir, ntmp);
	ntmp++;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static char *write_tmp_buf(struct buf b)
{
	char *p = write_tmp(b.p, b.n);

	free(b.p);
	return p;
}

static int setup(void **state)
{
	struct guest_ram *ram = calloc(1, sizeof(*ram));

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hover-test-boot.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	ntmp = 0;
	assert_int_equal(ram_create(ram, GUEST_RAM), 0);
	*state = ram;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	ram_destroy(*state);
	free(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static u8 *gp(struct guest_ram *ram, u64 gpa, u64 len)
{
	u8 *p = ram_ptr(ram, gpa, len);

	assert_non_null(p);
	return p;
}

/* ---- checks shared by the good cases ---- */

static void check_entry_state(struct guest_ram *ram, const struct vcpu_regs *r, u64 entry)
{
	const u8 *gdt = gp(ram, BOOT_GDT_ADDR, 0x30);
	const u8 *pml4 = gp(ram, BOOT_PML4_ADDR, 8), *pdpt = gp(ram, BOOT_PDPT_ADDR, 32);
	const u8 *pd = gp(ram, BOOT_PD_ADDR, 0x4000);

	assert_int_equal(r->rip, entry);
	assert_int_equal(r->gpr[GPR_RSI], BOOT_PARAMS_ADDR);
	assert_int_equal(r->rflags, 0x2);
	assert_int_equal(r->cr3, BOOT_PML4_ADDR);
	assert_int_equal(r->cr0 & 0x80000001u, 0x80000001u); /* PG, PE */
	assert_true(r->cr4 & (1u << 5));                       /* PAE */
	assert_int_equal(r->efer & 0x500, 0x500);              /* LME, LMA */
	assert_int_equal(r->seg[SEG_CS].sel, 0x10);
	assert_true(r->seg[SEG_CS].attr & SEG_ATTR_L);
	assert_false(r->seg[SEG_CS].attr & SEG_ATTR_DB);
	assert_int_equal(SEG_ATTR_TYPE(r->seg[SEG_CS].attr), 0xb);
	assert_int_equal(r->seg[SEG_DS].sel, 0x18);
	assert_int_equal(r->seg[SEG_SS].sel, 0x18);
	assert_int_equal(r->seg[SEG_ES].sel, 0x18);
	assert_int_equal(SEG_ATTR_TYPE(r->seg[SEG_SS].attr), 0x3);
	assert_int_equal(r->gdtr.base, BOOT_GDT_ADDR);
	assert_true(r->gdtr.limit >= 0x1f);
	assert_int_equal(SEG_ATTR_TYPE(r->tr.attr), 0xb);
	assert_true(r->tr.attr & SEG_ATTR_P);

	/* __BOOT_CS: present, code exec/read, L; __BOOT_DS: present, data r/w. */
	assert_int_equal(rd64(gdt + 0x10), 0x00af9b000000ffffULL);
	assert_int_equal(rd64(gdt + 0x18), 0x00cf93000000ffffULL);
	/* Identity map: PML4[0] -> PDPT; PDPT[0] -> PD; PD[8] maps 16 MiB with a 2 MiB page. */
	assert_int_equal(rd64(pml4) & ~0xfffULL, BOOT_PDPT_ADDR);
	assert_int_equal(rd64(pdpt) & ~0xfffULL, BOOT_PD_ADDR);
	assert_int_equal(rd64(pdpt + 24) & ~0xfffULL, BOOT_PD_ADDR + 0x3000);
	assert_int_equal(rd64(pd + 8 * 8) & ~0xfffULL, 16 * MiB);
	assert_int_equal(rd64(pd + 8 * 8) & 0x83, 0x83); /* P, RW, PS */
	assert_int_equal(rd64(pd + 8 * 2047) & ~0xfffULL, 4 * GiB - 2 * MiB);
}

static void check_boot_params(struct guest_ram *ram, const char *cmdline)
{
	const u8 *bp = gp(ram, BOOT_PARAMS_ADDR, BOOT_PARAMS_SIZE);
	struct e820_map pc;
	unsigned i;

	assert_memory_equal(bp + BZ_HDR_HEADER, "HdrS", 4);
	assert_int_equal(bp[BZ_HDR_TYPE_OF_LOADER], 0xff);
	assert_true(bp[BZ_HDR_LOADFLAGS] & BZ_LOADED_HIGH);
	assert_true(bp[BZ_HDR_LOADFLAGS] & BZ_CAN_USE_HEAP);
	assert_false(bp[BZ_HDR_LOADFLAGS] & BZ_KASLR_FLAG);
	assert_int_equal(bp[BP_SENTINEL], 0);
	assert_int_equal(rd32(bp + BZ_HDR_CMD_LINE_PTR), BOOT_CMDLINE_ADDR);
	assert_int_equal(rd32(bp + BP_EXT_CMD_LINE_PTR), 0);
	assert_string_equal((const char *)gp(ram, BOOT_CMDLINE_ADDR, 1), cmdline);

	/* No e820 given: the PC map of the guest RAM. */
	assert_int_equal(e820_build_pc(&pc, ram), 0);
	assert_int_equal(bp[BP_E820_ENTRIES], pc.nr);
	for (i = 0; i < pc.nr; i++) {
		const u8 *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		assert_int_equal(rd64(e), pc.entry[i].addr);
		assert_int_equal(rd64(e + 8), pc.entry[i].size);
		assert_int_equal(rd32(e + 16), pc.entry[i].type);
	}
}

/* ---- good synthetic kernels ---- */

static void boot_synthetic(void **state, struct buf (*compress)(struct buf))
{
	struct guest_ram *ram = *state;
	struct buf elf = make_elf(KADDR, 0xffffffff81000000ULL, KADDR, 0x3000);
	struct buf z = compress(elf);
	struct boot_linux_config cfg = { 0 };
	struct vcpu_regs regs;
	char err[512] = "";
	const u8 *k;

	free(elf.p);
	cfg.kernel = write_tmp_buf(make_bzimage(z, 0x400000));
	free(z.p);
	cfg.cmdline = "console=ttyS0 hover.test=poweroff";
	cfg.acpi_rsdp = 0xe0000;
	memset(gp(ram, KADDR + 0x1000, 16), 0xcc, 16); /* the bss must be zeroed */
	assert_int_equal(boot_linux_load(ram, &cfg, &regs, err, sizeof(err)), 0);
	k = gp(ram, KADDR, 0x3000);
	assert_memory_equal(k, code, sizeof(code));
	assert_int_equal(k[0x1000], 0);
	check_entry_state(ram, &regs, KADDR);
	check_boot_params(ram, cfg.cmdline);
	assert_int_equal(rd64(gp(ram, BOOT_PARAMS_ADDR + BP_ACPI_RSDP_ADDR, 8)), 0xe0000);
	assert_int_equal(rd32(gp(ram, BOOT_PARAMS_ADDR + BZ_HDR_RAMDISK_SIZE, 4)), 0);
}

static void test_synthetic_gzip(void **state) { boot_synthetic(state, compress_gzip); }
static void test_synthetic_xz(void **state) { boot_synthetic(state, compress_xz); }
static void test_synthetic_zstd(void **state) { boot_synthetic(state, compress_zstd); }

static void test_virtual_entry_translated(void **state)
{
	struct guest_ram *ram = *state;
	struct buf elf = make_elf(KADDR, 0xffffffff81000000ULL, 0xffffffff81000004ULL, 0x1000);
	struct buf z = compress_gzip(elf);
	struct boot_linux_config cfg = { 0 };
	struct vcpu_regs regs;
	char err[512];

	cfg.kernel = write_tmp_buf(make_bzimage(z, 0));
	free(elf.p);
	free(z.p);
	assert_int_equal(boot_linux_load(ram, &cfg, &regs, err, sizeof(err)), 0);
	assert_int_equal(regs.rip, KADDR + 4);
}

static void test_initrd_placement(void **state)
{
	struct guest_ram *ram = *state;
	struct boot_linux_config cfg = { 0 };
	struct vcpu_regs regs;
	size_t n = 3 * MiB + 123;
	u8 *data = malloc(n);
	char err[512];
	const u8 *bp;
	u64 addr, size;
	size_t i;

	for (i = 0; i < n; i++)
		data[i] = (u8)(i * 7 + (i >> 12));
	cfg.kernel = write_tmp_buf(default_kernel());
	cfg.initrd = write_tmp(data, n);
	assert_int_equal(boot_linux_load(ram, &cfg, &regs, err, sizeof(err)), 0);
	bp = gp(ram, BOOT_PARAMS_ADDR, BOOT_PARAMS_SIZE);
	addr = rd32(bp + BZ_HDR_RAMDISK_IMAGE) | (u64)rd32(bp + BP_EXT_RAMDISK_IMAGE) << 32;
	size = rd32(bp + BZ_HDR_RAMDISK_SIZE) | (u64)rd32(bp + BP_EXT_RAMDISK_SIZE) << 32;
	assert_int_equal(size, n);
	assert_int_equal(addr & 0xfff, 0);
	assert_true(addr + size <= GUEST_RAM);
	assert_true(addr + size > GUEST_RAM - 4096); /* as high as possible */
	assert_true(addr >= KADDR + 0x400000);        /* clear of init_size */
	assert_memory_equal(gp(ram, addr, n), data, n);
	free(data);
}

static void test_initrd_below_kernel_with_board_map(void **state)
{
	struct guest_ram *ram = *state;
	struct boot_linux_config cfg = { 0 };
	struct e820_map map;
	struct vcpu_regs regs;
	u8 data[8192] = { 1, 2, 3 };
	char err[512];
	u64 addr;

	/* The board's map only offers RAM up to 20 MiB; the kernel uses 16-20 MiB. */
	e820_init(&map);
	assert_int_equal(e820_add(&map, 0, 0x9fc00, E820_RAM), 0);
	assert_int_equal(e820_add(&map, 0x100000, 19 * MiB, E820_RAM), 0);
	cfg.e820 = &map;
	cfg.kernel = write_tmp_buf(default_kernel());
	cfg.initrd = write_tmp(data, sizeof(data));
	assert_int_equal(boot_linux_load(ram, &cfg, &regs, err, sizeof(err)), 0);
	addr = rd32(gp(ram, BOOT_PARAMS_ADDR + BZ_HDR_RAMDISK_IMAGE, 4));
	assert_int_equal(addr, KADDR - sizeof(data));
	assert_int_equal(gp(ram, BOOT_PARAMS_ADDR, 4096)[BP_E820_ENTRIES], 2);
}

/* ---- hostile and wrong inputs: an error naming the input ---- */

static void expect_fail(struct guest_ram *ram, const struct boot_linux_config *cfg,
			const char *needle1, const char *needle2)
{
	struct vcpu_regs regs;
	char err[512] = "";
	int r;

	r = boot_linux_load(ram, cfg, &regs, err, sizeof(err));
	print_message("    -> %s\n", err);
	assert_true(r < 0);
	assert_non_null(strstr(err, needle1));
	if (needle2)
		assert_non_null(strstr(err, needle2));
}

static void fail_with_kernel(void **state, struct buf bz, const char *needle)
{
	struct boot_linux_config cfg = { 0 };
	char path[128];

	snprintf(path, sizeof(path), "%s", write_tmp_buf(bz));
	cfg.kernel = path;
	expect_fail(*state, &cfg, path, needle);
}

static void test_missing_kernel(void **state)
{
	struct boot_linux_config cfg = { .kernel = "/nonexistent/vmlinuz" };

	expect_fail(*state, &cfg, "/nonexistent/vmlinuz", "No such file");
}

static void test_empty_file(void **state)
{
	fail_with_kernel(state, (struct buf){ calloc(1, 1), 0 }, "too short");
}

static void test_truncated_header(void **state)
{
	struct buf bz = default_kernel();

	bz.n = 0x204;
	fail_with_kernel(state, bz, "too short");
}

static void test_wrong_magic(void **state)
{
	struct buf bz = default_kernel();

	bz.p[BZ_HDR_HEADER] = 'X';
	fail_with_kernel(state, bz, "HdrS");
}

static void test_old_protocol(void **state)
{
	struct buf bz = default_kernel();

	bz.p[BZ_HDR_VERSION] = 0x04;
	fail_with_kernel(state, bz, "2.04");
}

static void test_payload_past_eof(void **state)
{
	struct buf bz = default_kernel();

	wr32(bz.p + BZ_HDR_PAYLOAD_OFFSET, 0xfffffff0);
	fail_with_kernel(state, bz, "payload");
}

static void test_payload_length_past_eof(void **state)
{
	struct buf bz = default_kernel();

	bz.n -= 10; /* truncated file: the payload runs past its end */
	fail_with_kernel(state, bz, "payload");
}

static void test_header_end_past_limit(void **state)
{
	struct buf bz = default_kernel();

	bz.p[BZ_HDR_JUMP + 1] = 0xff;
	fail_with_kernel(state, bz, "setup header");
}

static void test_corrupt_xz(void **state)
{
	struct buf elf = make_elf(KADDR, KADDR, KADDR, 0x1000);
	struct buf z = compress_xz(elf);

	z.p[z.n / 2] ^= 0x55;
	z.p[z.n / 2 + 1] ^= 0xaa;
	fail_with_kernel(state, make_bzimage(z, 0), "corrupt xz");
	free(elf.p);
	free(z.p);
}

static void test_truncated_gzip(void **state)
{
	struct buf elf = make_elf(KADDR, KADDR, KADDR, 0x1000);
	struct buf z = compress_gzip(elf);

	z.n -= 20;
	fail_with_kernel(state, make_bzimage(z, 0), "corrupt gzip");
	free(elf.p);
	free(z.p);
}

static void test_unsupported_lz4(void **state)
{
	u8 lz4[64] = { 0x02, 0x21, 0x4c, 0x18 };

	fail_with_kernel(state, make_bzimage((struct buf){ lz4, sizeof(lz4) }, 0),
			 "lz4-compressed; hover supports xz, gzip and zstd");
}

static void test_payload_not_elf(void **state)
{
	u8 junk[4096];
	struct buf z;

	memset(junk, 0x42, sizeof(junk));
	z = compress_gzip((struct buf){ junk, sizeof(junk) });
	fail_with_kernel(state, make_bzimage(z, 0), "not an ELF");
	free(z.p);
}

static void test_segment_outside_ram(void **state)
{
	struct buf elf = make_elf(GUEST_RAM - 0x1000, GUEST_RAM - 0x1000, GUEST_RAM - 0x1000,
				  0x2000);
	struct buf z = compress_gzip(elf);

	fail_with_kernel(state, make_bzimage(z, 0), "not in guest RAM");
	free(elf.p);
	free(z.p);
}

static void test_segment_over_boot_structures(void **state)
{
	struct buf elf = make_elf(0x7000, 0x7000, 0x7000, 0x1000);
	struct buf z = compress_gzip(elf);

	fail_with_kernel(state, make_bzimage(z, 0), "ELF segment 0");
	free(elf.p);
	free(z.p);
}

static void test_segment_offset_past_eof(void **state)
{
	struct buf elf = make_elf(KADDR, KADDR, KADDR, 0x1000);
	struct buf z;

	((Elf64_Phdr *)(elf.p + sizeof(Elf64_Ehdr)))->p_offset = 0xffffffffffff0000ULL;
	z = compress_gzip(elf);
	fail_with_kernel(state, make_bzimage(z, 0), "outside the");
	free(elf.p);
	free(z.p);
}

static void test_entry_outside_segments(void **state)
{
	struct buf elf = make_elf(KADDR, KADDR, 0x1234, 0x1000);
	struct buf z = compress_gzip(elf);

	fail_with_kernel(state, make_bzimage(z, 0), "entry point");
	free(elf.p);
	free(z.p);
}

static void test_init_size_exceeds_ram(void **state)
{
	struct buf elf = make_elf(KADDR, KADDR, KADDR, 0x1000);
	struct buf z = compress_gzip(elf);

	fail_with_kernel(state, make_bzimage(z, 0xf0000000u), "larger --memory");
	free(elf.p);
	free(z.p);
}

static void test_cmdline_too_long(void **state)
{
	struct boot_linux_config cfg = { 0 };
	char *cmd = malloc(3001);

	memset(cmd, 'a', 3000);
	cmd[3000] = 0;
	cfg.kernel = write_tmp_buf(default_kernel());
	cfg.cmdline = cmd;
	expect_fail(*state, &cfg, "--cmdline", "2047");
	free(cmd);
}

static void test_initrd_too_large(void **state)
{
	struct boot_linux_config cfg = { 0 };
	char path[160];
	int fd;

	cfg.kernel = write_tmp_buf(default_kernel());
	snprintf(path, sizeof(path), "%s/big.img", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 900 * MiB), 0); /* sparse */
	close(fd);
	cfg.initrd = path;
	expect_fail(*state, &cfg, path, "does not fit");
}

static void test_missing_initrd(void **state)
{
	struct boot_linux_config cfg = { 0 };

	cfg.kernel = write_tmp_buf(default_kernel());
	cfg.initrd = "/nonexistent/initrd.gz";
	expect_fail(*state, &cfg, "--initrd", "/nonexistent/initrd.gz");
}

static void test_kernel_is_directory(void **state)
{
	struct boot_linux_config cfg = { .kernel = "/tmp" };

	expect_fail(*state, &cfg, "--kernel /tmp", "not a regular file");
}

/* ---- Debian's kernel ---- */

static const char *real_kernel(void)
{
	static char path[4096];
	const char *env = getenv("HOVER_TEST_KERNEL");
	const char *root = getenv("HOVER_SOURCE_ROOT");

	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "%s/build/guest/vmlinuz", root ? root : ".");
	return access(path, R_OK) == 0 ? path : NULL;
}

static u8 *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	u8 *p;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	p = malloc((size_t)len + 1);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void test_debian_kernel(void **state)
{
	struct guest_ram *ram = *state;
	const char *kpath = real_kernel();
	struct boot_linux_config cfg = { 0 };
	struct vcpu_regs regs;
	struct bzimage bz;
	char err[512] = "", initrd_path[4200];
	u8 *file, *elf, *initrd = NULL;
	size_t file_n, elf_n, initrd_n = 0;
	const u8 *bp;
	Elf64_Ehdr eh;
	unsigned i, nload = 0;

	if (!kpath) {
		print_message("    no Debian kernel (run scripts/make-guest.sh); skipped\n");
		skip();
	}
	snprintf(initrd_path, sizeof(initrd_path), "%.4000s", kpath);
	strcpy(strrchr(initrd_path, '/') ? strrchr(initrd_path, '/') + 1 : initrd_path,
	       "initrd.gz");
	cfg.kernel = kpath;
	cfg.cmdline = "console=ttyS0 earlyprintk=serial panic=-1";
	if (access(initrd_path, R_OK) == 0) {
		cfg.initrd = initrd_path;
		initrd = slurp(initrd_path, &initrd_n);
	}
	assert_int_equal(boot_linux_load(ram, &cfg, &regs, err, sizeof(err)), 0);

	/* Decompress independently and compare every PT_LOAD with guest memory. */
	file = slurp(kpath, &file_n);
	assert_int_equal(bzimage_parse(&bz, file, file_n, "k", err, sizeof(err)), 0);
	assert_int_equal(bz.comp, BZ_COMP_XZ);
	assert_int_equal(bzimage_decompress(&bz, "k", &elf, &elf_n, err, sizeof(err)), 0);
	memcpy(&eh, elf, sizeof(eh));
	assert_int_equal(eh.e_machine, EM_X86_64);
	assert_int_equal(eh.e_entry, KADDR); /* ENTRY(phys_startup_64) */
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, elf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (nload++ == 0)
			assert_int_equal(ph.p_paddr, KADDR);
		assert_memory_equal(gp(ram, ph.p_paddr, ph.p_filesz), elf + ph.p_offset,
				    ph.p_filesz);
	}
	assert_true(nload >= 3);
	check_entry_state(ram, &regs, KADDR);
	check_boot_params(ram, cfg.cmdline);

	bp = gp(ram, BOOT_PARAMS_ADDR, BOOT_PARAMS_SIZE);
	/* The header is the image's own, e.g. version and init_size. */
	assert_int_equal(rd16(bp + BZ_HDR_VERSION), bz.version);
	assert_int_equal(rd32(bp + BZ_HDR_INIT_SIZE), bz.init_size);
	assert_int_equal(bp[0x201], file[0x201]);
	if (initrd) {
		u64 addr = rd32(bp + BZ_HDR_RAMDISK_IMAGE);

		assert_int_equal(rd32(bp + BZ_HDR_RAMDISK_SIZE), initrd_n);
		assert_int_equal(addr & 0xfff, 0);
		assert_true(addr >= KADDR + bz.init_size);
		assert_true(addr + initrd_n <= GUEST_RAM);
		assert_memory_equal(gp(ram, addr, initrd_n), initrd, initrd_n);
	}
	free(elf);
	free(file);
	free(initrd);
}

static void test_debian_kernel_too_little_ram(void **state)
{
	const char *kpath = real_kernel();
	struct boot_linux_config cfg = { 0 };
	struct guest_ram small;

	if (!kpath)
		skip();
	/* Debian's init_size is ~64 MiB from 16 MiB: 64 MiB of RAM cannot hold it. */
	assert_int_equal(ram_create(&small, 64 * MiB), 0);
	cfg.kernel = kpath;
	expect_fail(&small, &cfg, kpath, "larger --memory");
	ram_destroy(&small);
}

/* The payloads tests/asm/meson.build wraps with scripts/mkbzimage.py, when built. */
static void test_asm_payloads(void **state)
{
	static const char *const names[] = { "hello", "triple_fault" };
	const char *root = getenv("HOVER_BUILD_ROOT");
	struct guest_ram *ram = *state;
	unsigned i, found = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct boot_linux_config cfg = { 0 };
		struct vcpu_regs regs;
		char path[4200], err[512] = "";

		snprintf(path, sizeof(path), "%s/tests/asm/%s.bzImage", root ? root : ".", names[i]);
		if (access(path, R_OK))
			continue;
		found++;
		cfg.kernel = path;
		cfg.cmdline = "hover.test=asm";
		assert_int_equal(boot_linux_load(ram, &cfg, &regs, err, sizeof(err)), 0);
		check_entry_state(ram, &regs, KADDR);
		check_boot_params(ram, cfg.cmdline);
		assert_int_equal(gp(ram, KADDR, 1)[0], 0xfa); /* both start with cli */
	}
	if (!found) {
		print_message("    tests/asm payloads not built; skipped\n");
		skip();
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_synthetic_gzip),
		T(test_synthetic_xz),
		T(test_synthetic_zstd),
		T(test_virtual_entry_translated),
		T(test_initrd_placement),
		T(test_initrd_below_kernel_with_board_map),
		T(test_missing_kernel),
		T(test_empty_file),
		T(test_truncated_header),
		T(test_wrong_magic),
		T(test_old_protocol),
		T(test_payload_past_eof),
		T(test_payload_length_past_eof),
		T(test_header_end_past_limit),
		T(test_corrupt_xz),
		T(test_truncated_gzip),
		T(test_unsupported_lz4),
		T(test_payload_not_elf),
		T(test_segment_outside_ram),
		T(test_segment_over_boot_structures),
		T(test_segment_offset_past_eof),
		T(test_entry_outside_segments),
		T(test_init_size_exceeds_ram),
		T(test_cmdline_too_long),
		T(test_initrd_too_large),
		T(test_missing_initrd),
		T(test_kernel_is_directory),
		T(test_debian_kernel),
		T(test_debian_kernel_too_little_ram),
		T(test_asm_payloads),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
