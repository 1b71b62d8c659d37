// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Direct boot of a Linux bzImage in 64-bit mode (Documentation/x86/boot.rst,
 * "64-bit Boot Protocol"; zero-page.rst; arch/x86/kernel/head_64.S for what
 * startup_64 expects). The memory layout is documented in boot_linux.h.
 *
 * Order of work: read and decompress the kernel and check everything that can
 * be checked before guest RAM is touched (command line length, RAM needed by
 * init_size); load the ELF segments; place and read the initrd; then write
 * the command line, boot_params, GDT and page tables, and the registers.
 */
#include "machine/boot_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "include/hover/log.h"
#include "include/hover/timer.h"
#include "machine/bzimage.h"
#include "machine/elf_load.h"

/* A bzImage is a few MiB; anything past this is not a kernel. */
#define KERNEL_FILE_MAX (256 * MiB)
#define PAGE_SIZE 4096ULL

/* Page-table and descriptor bits (Intel SDM vol. 3A, 4.5 and 3.4.5). */
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

/* Flat descriptors: limit 0xfffff with G, base 0. */
#define GDT_CODE32 0x00cf9b000000ffffULL /* P, S, type 0xb, D, G */
#define GDT_CODE64 0x00af9b000000ffffULL /* P, S, type 0xb, L, G */
#define GDT_DATA 0x00cf93000000ffffULL   /* P, S, type 0x3, B, G */
#define GDT_ENTRIES 6                    /* null, code32, code64, data, TSS (2 slots) */

#define TYPE_TSS64_BUSY 0xb

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

static void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void put32(u8 *p, u32 v) { put16(p, (u16)v); put16(p + 2, (u16)(v >> 16)); }
static void put64(u8 *p, u64 v) { put32(p, (u32)v); put32(p + 4, (u32)(v >> 32)); }

static u64 align_down(u64 x, u64 a) { return x & ~(a - 1); }
static u64 align_up(u64 x, u64 a) { return (x + a - 1) & ~(a - 1); }

/* Milliseconds on the monotonic clock: --debug tells where the boot's host-side time goes. */
static double now_ms(void) { return (double)clock_ns() / 1e6; }

/* "12 MiB" or "300 KiB", for messages. */
static const char *size_str(char *buf, size_t len, u64 n)
{
	if (n >= 10 * MiB)
		snprintf(buf, len, "%llu MiB", (unsigned long long)((n + MiB / 2) / MiB));
	else if (n >= 10 * KiB)
		snprintf(buf, len, "%llu KiB", (unsigned long long)((n + KiB / 2) / KiB));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	return buf;
}

/* Open a regular file and return its size; the option name is for messages. */
static int open_input(const char *opt, const char *path, int *fdp, u64 *sizep, char *err,
		      size_t errlen)
{
	struct stat st = { 0 };
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, errno, "%s: cannot open '%s': %s", opt, path,
			    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e = errno;
		if (e == 0 || S_ISDIR(st.st_mode))
			e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		return fail(err, errlen, e, "%s %s: not a regular file; pass a file", opt, path);
	}
	*fdp = fd;
	*sizep = (u64)st.st_size;
	return 0;
}

/* Read exactly len bytes; a file that shrinks under us is an error. */
static int read_all(int fd, u8 *dst, u64 len, const char *opt, const char *path, char *err,
		    size_t errlen)
{
	u64 done = 0;
	ssize_t n;

	while (done < len) {
		size_t chunk = len - done > 64 * MiB ? 64 * MiB : (size_t)(len - done);

		n = read(fd, dst + done, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(err, errlen, errno, "%s %s: read failed: %s", opt, path,
				    strerror(errno));
		if (n == 0)
			return fail(err, errlen, EIO,
				    "%s %s: file shrank while being read; try again", opt, path);
		done += (u64)n;
	}
	return 0;
}

static int read_kernel(const char *path, u8 **buf, size_t *len, char *err, size_t errlen)
{
	char sz[32];
	u64 size;
	int fd, r;

	r = open_input("--kernel", path, &fd, &size, err, errlen);
	if (r)
		return r;
	if (size > KERNEL_FILE_MAX) {
		close(fd);
		return fail(err, errlen, EFBIG,
			    "--kernel %s: %s is too large for a bzImage; pass the kernel's bzImage "
			    "(vmlinuz)",
			    path, size_str(sz, sizeof(sz), size));
	}
	/* Faulted in by one system call (MAP_POPULATE), not page by page as read() fills it. */
	*buf = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (*buf == MAP_FAILED) {
		*buf = NULL;
		close(fd);
		return fail(err, errlen, ENOMEM, "--kernel %s: out of host memory", path);
	}
	r = read_all(fd, *buf, size, "--kernel", path, err, errlen);
	close(fd);
	if (r) {
		munmap(*buf, size ? size : 1);
		*buf = NULL;
		return r;
	}
	*len = (size_t)size;
	return 0;
}

/*
 * The highest page-aligned spot for `size` bytes in e820 RAM below `limit`,
 * outside [kstart, kend) and above the boot structures. 0 if none.
 */
static u64 place_initrd(const struct e820_map *map, u64 size, u64 limit, u64 kstart, u64 kend)
{
	u64 best = 0;
	unsigned i;

	for (i = 0; i < map->nr; i++) {
		const struct e820_entry *e = &map->entry[i];
		u64 lo = e->addr < BOOT_KERNEL_MIN ? BOOT_KERNEL_MIN : e->addr;
		u64 hi = e->addr + e->size > limit ? limit : e->addr + e->size;
		u64 at;

		if (e->type != E820_RAM || hi <= lo || hi - lo < size)
			continue;
		at = align_down(hi - size, PAGE_SIZE);
		if (at < kend && at + size > kstart) {
			/* Overlaps the kernel: try just below it. */
			if (kstart < lo + size)
				continue;
			at = align_down(kstart - size, PAGE_SIZE);
		}
		if (at >= lo && at > best)
			best = at;
	}
	return best;
}

static int load_initrd(struct guest_ram *ram, const struct boot_linux_config *cfg,
		       const struct e820_map *map, const struct bzimage *bz, u64 kstart, u64 kend,
		       u64 *addrp, u64 *sizep, char *err, size_t errlen)
{
	u64 size, limit, addr;
	char s1[32], s2[32];
	int fd, r;

	r = open_input("--initrd", cfg->initrd, &fd, &size, err, errlen);
	if (r)
		return r;
	*addrp = *sizep = 0;
	if (size == 0) {
		close(fd);
		return 0;
	}
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	limit = (u64)bz->initrd_addr_max + 1;
	if (limit > 4 * GiB)
		limit = 4 * GiB;
	addr = place_initrd(map, size, limit, kstart, kend);
	if (!addr) {
		close(fd);
		return fail(err, errlen, ENOSPC,
			    "--initrd %s: %s does not fit in guest RAM (%s) below the kernel's "
			    "initrd_addr_max (0x%x) beside the kernel (0x%llx-0x%llx); use a larger "
			    "--memory",
			    cfg->initrd, size_str(s1, sizeof(s1), size),
			    size_str(s2, sizeof(s2), ram->total), bz->initrd_addr_max,
			    (unsigned long long)kstart, (unsigned long long)kend);
	}
	if (!ram_ptr(ram, addr, size)) {
		close(fd);
		return fail(err, errlen, EFAULT,
			    "--initrd %s: the e820 map offers 0x%llx-0x%llx but guest RAM does not "
			    "back it; this is a bug in the board's memory map",
			    cfg->initrd, (unsigned long long)addr, (unsigned long long)(addr + size));
	}
	ram_populate(ram, addr, size);
	r = read_all(fd, ram_ptr(ram, addr, size), size, "--initrd", cfg->initrd, err, errlen);
	close(fd);
	if (r)
		return r;
	*addrp = addr;
	*sizep = size;
	return 0;
}

static void write_gdt(u8 *gdt)
{
	u64 tss = BOOT_TSS_ADDR, lim = BOOT_TSS_SIZE - 1;

	memset(gdt, 0, GDT_ENTRIES * 8);
	put64(gdt + 0x08, GDT_CODE32);
	put64(gdt + BOOT_CS, GDT_CODE64);
	put64(gdt + BOOT_DS, GDT_DATA);
	/* 64-bit TSS descriptor: limit, base, type 0xb (busy), P (SDM vol. 3A, 8.2.3). */
	put64(gdt + BOOT_TSS_SEL, (lim & 0xffff) | (tss & 0xffffff) << 16 |
					  (u64)(0x80 | TYPE_TSS64_BUSY) << 40 |
					  (lim >> 16 & 0xf) << 48 | (tss >> 24 & 0xff) << 56);
	put64(gdt + BOOT_TSS_SEL + 8, tss >> 32);
}

/* Identity map 0-4 GiB: PML4[0] -> PDPT[0..3] -> 4 PDs of 2 MiB pages. */
static void write_page_tables(u8 *pml4, u8 *pdpt, u8 *pd)
{
	unsigned i;

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	put64(pml4, BOOT_PDPT_ADDR | PTE_P | PTE_RW | PTE_A);
	for (i = 0; i < 4; i++)
		put64(pdpt + 8 * i, (BOOT_PD_ADDR + i * PAGE_SIZE) | PTE_P | PTE_RW | PTE_A);
	for (i = 0; i < 4 * 512; i++)
		put64(pd + 8 * i, (u64)i * 2 * MiB | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS);
}

static void write_boot_params(u8 *bp, const struct bzimage *bz, const struct e820_map *map,
			      const struct boot_linux_config *cfg, u64 initrd, u64 initrd_size)
{
	unsigned i;
	u8 lf;

	memset(bp, 0, BOOT_PARAMS_SIZE);
	/* Only the setup header comes from the image; the rest starts zeroed (boot.rst). */
	memcpy(bp + BZ_HDR_START, bz->hdr, bz->hdr_len);

	if (cfg->vga_text) { /* mode 3, cursor at 0,0, a colour VGA with 256 KiB, 16-line font */
		bp[BP_SI_ORIG_VIDEO_MODE] = 3;
		bp[BP_SI_ORIG_VIDEO_COLS] = 80;
		bp[BP_SI_ORIG_VIDEO_LINES] = 25;
		put16(bp + BP_SI_ORIG_VIDEO_EGA_BX, 0x0003);
		bp[BP_SI_ORIG_VIDEO_ISVGA] = 1;
		put16(bp + BP_SI_ORIG_VIDEO_POINTS, 16);
	}
	bp[BZ_HDR_TYPE_OF_LOADER] = 0xff; /* undefined boot loader */
	lf = bp[BZ_HDR_LOADFLAGS];
	lf &= (u8)~BZ_KASLR_FLAG; /* nobody randomized anything */
	bp[BZ_HDR_LOADFLAGS] = lf | BZ_LOADED_HIGH | BZ_CAN_USE_HEAP;
	put16(bp + BZ_HDR_HEAP_END_PTR, 0xe000 - 0x200);
	put32(bp + BZ_HDR_CMD_LINE_PTR, (u32)BOOT_CMDLINE_ADDR);
	put32(bp + BP_EXT_CMD_LINE_PTR, (u32)(BOOT_CMDLINE_ADDR >> 32));
	put32(bp + BZ_HDR_RAMDISK_IMAGE, (u32)initrd);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (u32)(initrd >> 32));
	put32(bp + BZ_HDR_RAMDISK_SIZE, (u32)initrd_size);
	put32(bp + BP_EXT_RAMDISK_SIZE, (u32)(initrd_size >> 32));
	put64(bp + BZ_HDR_SETUP_DATA, 0);
	put64(bp + BP_ACPI_RSDP_ADDR, cfg->acpi_rsdp);

	bp[BP_E820_ENTRIES] = (u8)map->nr;
	for (i = 0; i < map->nr; i++) {
		u8 *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		put64(e, map->entry[i].addr);
		put64(e + 8, map->entry[i].size);
		put32(e + 16, map->entry[i].type);
	}
}

static void flat_seg(struct seg_reg *s, u16 sel, u16 attr)
{
	s->base = 0;
	s->limit = 0xffffffff;
	s->sel = sel;
	s->attr = attr;
}

static void write_regs(struct vcpu_regs *regs, u64 entry)
{
	const u16 code = 0xb | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_L | SEG_ATTR_G;
	const u16 data = 0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G;
	unsigned i;

	memset(regs, 0, sizeof(*regs));
	regs->gpr[GPR_RSI] = BOOT_PARAMS_ADDR;
	regs->gpr[GPR_RSP] = BOOT_STACK_TOP;
	regs->rip = entry;
	regs->rflags = 0x2;
	for (i = 0; i < SEG_COUNT; i++)
		flat_seg(&regs->seg[i], BOOT_DS, data);
	flat_seg(&regs->seg[SEG_CS], BOOT_CS, code);
	regs->tr = (struct seg_reg){ BOOT_TSS_ADDR, BOOT_TSS_SIZE - 1, BOOT_TSS_SEL,
				     TYPE_TSS64_BUSY | SEG_ATTR_P };
	regs->ldtr = (struct seg_reg){ 0, 0, 0, 0x2 | SEG_ATTR_P }; /* an empty LDT */
	regs->gdtr = (struct dtable_reg){ BOOT_GDT_ADDR, GDT_ENTRIES * 8 - 1 };
	regs->idtr = (struct dtable_reg){ 0, 0 };
	regs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	regs->cr3 = BOOT_PML4_ADDR;
	regs->cr4 = CR4_PAE;
	regs->efer = EFER_LME | EFER_LMA;
}

/*
 * The kernel's ELF into guest RAM. Streamed: each decompressed byte goes
 * straight to its place, without a copy of the whole vmlinux (64 MiB for a
 * distribution kernel) to fault in, fill and copy again. A file that cannot
 * be streamed (elf_load.h) is decompressed whole and loaded by elf_load,
 * which also tells what is wrong with a bad one.
 */
static int load_vmlinux(struct guest_ram *ram, const struct bzimage *bz, const char *label,
			struct elf_load_info *elf, char *err, size_t errlen)
{
	struct elf_stream *es = malloc(sizeof(*es));
	u8 *vmlinux = NULL;
	size_t len = 0;
	u64 n = 0;
	int r;

	if (!es)
		return fail(err, errlen, ENOMEM, "%s: out of host memory", label);
	elf_stream_init(es, ram, BOOT_KERNEL_MIN);
	r = bzimage_decompress_to(bz, label, elf_stream_sink, es, &n, err, errlen);
	if (r == 0)
		r = elf_stream_finish(es, n, elf);
	free(es);
	if (r != -EAGAIN)
		return r;
	r = bzimage_decompress(bz, label, &vmlinux, &len, err, errlen);
	if (r == 0)
		r = elf_load(ram, vmlinux, len, BOOT_KERNEL_MIN, label, elf, err, errlen);
	free(vmlinux);
	return r;
}

/* Host pointers to the low boot structures, each checked to be guest RAM. */
struct lowmem {
	u8 *gdt, *tss, *bp, *stack, *pml4, *pdpt, *pd, *cmdline;
};

static int map_lowmem(struct guest_ram *ram, struct lowmem *lm, char *err, size_t errlen)
{
	lm->gdt = ram_ptr(ram, BOOT_GDT_ADDR, GDT_ENTRIES * 8);
	lm->tss = ram_ptr(ram, BOOT_TSS_ADDR, BOOT_TSS_SIZE);
	lm->bp = ram_ptr(ram, BOOT_PARAMS_ADDR, BOOT_PARAMS_SIZE);
	lm->stack = ram_ptr(ram, BOOT_STACK_TOP & ~(PAGE_SIZE - 1), PAGE_SIZE);
	lm->pml4 = ram_ptr(ram, BOOT_PML4_ADDR, PAGE_SIZE);
	lm->pdpt = ram_ptr(ram, BOOT_PDPT_ADDR, PAGE_SIZE);
	lm->pd = ram_ptr(ram, BOOT_PD_ADDR, 4 * PAGE_SIZE);
	lm->cmdline = ram_ptr(ram, BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX);
	if (!lm->gdt || !lm->tss || !lm->bp || !lm->stack || !lm->pml4 || !lm->pdpt || !lm->pd ||
	    !lm->cmdline)
		return fail(err, errlen, EFAULT,
			    "guest RAM does not cover the boot structures at 0x500-0x30000; this "
			    "is a bug in the board's RAM layout");
	return 0;
}

int boot_linux_load(struct guest_ram *ram, const struct boot_linux_config *cfg,
		    struct vcpu_regs *regs, char *err, size_t errlen)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	struct e820_map pc_map;
	const struct e820_map *map = cfg->e820;
	struct elf_load_info elf;
	struct bzimage bz;
	struct lowmem lm;
	char label[4200], s1[32], s2[32];
	u8 *file = NULL;
	size_t file_len = 0, cmdline_len = strlen(cmdline);
	u64 kend, initrd = 0, initrd_size = 0;
	u32 cmdline_max;
	double t0 = now_ms(), t1;
	int r;

	if (!cfg->kernel || !*cfg->kernel)
		return fail(err, errlen, EINVAL, "no kernel given; pass --kernel PATH");
	snprintf(label, sizeof(label), "--kernel %s", cfg->kernel);
	if (!map) {
		r = e820_build_pc(&pc_map, ram);
		if (r)
			return fail(err, errlen, -r, "cannot build the e820 map: %s", strerror(-r));
		map = &pc_map;
	}
	if (map->nr > E820_MAX_ENTRIES)
		return fail(err, errlen, EINVAL, "the e820 map has %u entries; the zero page holds %u",
			    map->nr, E820_MAX_ENTRIES);
	r = map_lowmem(ram, &lm, err, errlen);
	if (r)
		return r;

	r = read_kernel(cfg->kernel, &file, &file_len, err, errlen);
	if (r)
		return r;
	r = bzimage_parse(&bz, file, file_len, label, err, errlen);
	if (r)
		goto err_file;

	cmdline_max = bz.cmdline_size ? bz.cmdline_size : 255;
	if (cmdline_max > BOOT_CMDLINE_MAX - 1)
		cmdline_max = BOOT_CMDLINE_MAX - 1;
	if (cmdline_len > cmdline_max) {
		r = fail(err, errlen, E2BIG,
			 "--cmdline: %zu characters is longer than this kernel's limit of %u; "
			 "shorten it",
			 cmdline_len, cmdline_max);
		goto err_file;
	}

	t1 = now_ms();
	r = load_vmlinux(ram, &bz, label, &elf, err, errlen);
	if (r)
		goto err_file;
	log_debug("boot: %s payload of %zu KiB decompressed and loaded in %.1f ms",
		  bzimage_comp_name(bz.comp), bz.payload_len / 1024, now_ms() - t1);

	/* The kernel works in memory up to init_size past its start (boot.rst, init_size). */
	kend = align_up(elf.end, PAGE_SIZE);
	if (elf.start + bz.init_size > kend)
		kend = align_up(elf.start + bz.init_size, PAGE_SIZE);
	if (!e820_is_ram(map, elf.start, kend - elf.start)) {
		r = fail(err, errlen, ENOMEM,
			 "%s: the kernel needs RAM at 0x%llx-0x%llx (init_size %s) but the guest "
			 "has %s; use a larger --memory",
			 label, (unsigned long long)elf.start, (unsigned long long)kend,
			 size_str(s1, sizeof(s1), bz.init_size), size_str(s2, sizeof(s2), ram->total));
		goto err_file;
	}

	if (cfg->initrd) {
		r = load_initrd(ram, cfg, map, &bz, elf.start, kend, &initrd, &initrd_size, err,
				errlen);
		if (r)
			goto err_file;
	}

	memset(lm.cmdline, 0, BOOT_CMDLINE_MAX);
	memcpy(lm.cmdline, cmdline, cmdline_len);
	write_boot_params(lm.bp, &bz, map, cfg, initrd, initrd_size);
	write_gdt(lm.gdt);
	memset(lm.tss, 0, BOOT_TSS_SIZE);
	memset(lm.stack, 0, PAGE_SIZE);
	write_page_tables(lm.pml4, lm.pdpt, lm.pd);
	write_regs(regs, elf.entry);
	log_debug("boot: kernel, initrd and boot structures in guest RAM after %.1f ms "
		  "(monotonic clock at %.1f ms)", now_ms() - t0, now_ms());
	r = 0;

err_file:
	if (file)
		munmap(file, file_len ? file_len : 1);
	return r;
}
