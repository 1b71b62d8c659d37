// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hw/ahci*.c, hw/ata_disk.c, hw/atapi.c driven through the ABAR as a driver
 * would: a disk on port 0 (raw image with a known pattern), a CD-ROM on port
 * 1. Command decoding (READ DMA EXT, NCQ WRITE, IDENTIFY), the FISes and
 * status bits that report them, the ATAPI sense and media-change rules, and
 * PRDTs and command lists pointing outside guest RAM.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/block.h"
#include "hw/ahci_int.h"
#include "tests/unit/state_test_util.h"

#define RAM_SIZE (16 * MiB)
#define CLB 0x10000ULL
#define FB 0x11000ULL
#define CT 0x12000ULL
#define BUF 0x20000ULL
#define DISK (1 * MiB)
#define ISO (64 * 2048)

static struct guest_ram ram;
static struct ahci *a;
static char disk_path[] = "/tmp/hover-ahci-XXXXXX", iso_path[] = "/tmp/hover-ahci-iso-XXXXXX";

static u8 *g(u64 gpa) { return ram_ptr(&ram, gpa, 1); }
static u32 rd(u32 off) { return (u32)a->pci.bar[5].ops->read(a, off, 4); }
static void wr(u32 off, u32 v) { a->pci.bar[5].ops->write(a, off, 4, v); }
static u32 prd(unsigned p, u32 r) { return rd(HBA_PORT0 + p * HBA_PORT_SIZE + r); }
static void pwr(unsigned p, u32 r, u32 v) { wr(HBA_PORT0 + p * HBA_PORT_SIZE + r, v); }

static struct block *open_img(const char *path, u64 size, unsigned step)
{
	int fd = open(path, O_RDWR);
	u8 *buf = malloc(size);
	struct block *b;
	char err[256];
	struct block_open_opts o = { .fmt = BLOCK_FMT_RAW };

	for (u64 i = 0; i < size; i++)
		buf[i] = (u8)(i / step + i);
	assert_int_equal(pwrite(fd, buf, size, 0), (ssize_t)size);
	close(fd);
	free(buf);
	o.readonly = step == 2048;
	assert_int_equal(block_open(&b, path, &o, err, sizeof(err)), 0);
	return b;
}

static int setup(void **state)
{
	struct ahci_config cfg = { .ram = &ram, .name = "test-ahci" };

	(void)state;
	assert_int_equal(ram_create(&ram, RAM_SIZE), 0);
	close(mkstemp(disk_path));
	close(mkstemp(iso_path));
	cfg.drive[0] = (struct ahci_drive_config){ AHCI_DISK, open_img(disk_path, DISK, 512) };
	cfg.drive[1] = (struct ahci_drive_config){ AHCI_CDROM, open_img(iso_path, ISO, 2048) };
	assert_int_equal(ahci_create(&a, &cfg), 0);
	a->pci.cfg[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	/* What a driver does: AHCI enable, interrupts on, lists, FIS receive, start. */
	wr(HBA_GHC, GHC_AE | GHC_IE);
	for (unsigned p = 0; p < 2; p++) {
		pwr(p, PX_CLB, (u32)(CLB + p * 0x400));
		pwr(p, PX_FB, (u32)(FB + p * 0x100));
		pwr(p, PX_IE, 0xFFFFFFFF);
		pwr(p, PX_CMD, PXCMD_FRE | PXCMD_ST);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ahci_destroy(a);
	ram_destroy(&ram);
	unlink(disk_path);
	unlink(iso_path);
	return 0;
}

/* Slot 0 of port p: a command FIS (cmd, lba, count, features) and one PRD of len bytes at BUF. */
static void command(unsigned p, u8 cmd, u64 lba, u16 count, u16 feat, u32 len, bool write)
{
	u8 *h = g(CLB + p * 0x400), *t = g(CT);

	memset(h, 0, 32);
	memset(t, 0, 0x100);
	ahci_put32(h, 5 | (write ? 1u << 6 : 0) | 1u << 16);
	ahci_put32(h + 8, (u32)CT);
	t[0] = FIS_REG_H2D;
	t[1] = 0x80;
	t[2] = cmd;
	t[3] = (u8)feat;
	t[4] = (u8)lba; t[5] = (u8)(lba >> 8); t[6] = (u8)(lba >> 16);
	t[7] = 0x40;
	t[8] = (u8)(lba >> 24); t[9] = (u8)(lba >> 32); t[10] = (u8)(lba >> 40);
	t[11] = (u8)(feat >> 8);
	ahci_put16(t + 12, count);
	ahci_put32(t + 0x80, (u32)BUF);
	ahci_put32(t + 0x8C, len - 1);
}

static void issue(unsigned p)
{
	pwr(p, PX_IS, 0xFFFFFFFF);
	pwr(p, PX_CI, 1);
	assert_int_equal(prd(p, PX_CI), 0);
}

static void test_read_dma_ext(void **state)
{
	u8 *buf = g(BUF);

	(void)state;
	memset(buf, 0xEE, 4096);
	command(0, 0x25, 3, 4, 0, 2048, false);
	issue(0);
	for (unsigned i = 0; i < 2048; i++)
		assert_int_equal(buf[i], (u8)((3 * 512 + i) / 512 + 3 * 512 + i));
	assert_int_equal(buf[2048], 0xEE);                /* no more than asked */
	assert_int_equal(ahci_get32(g(CLB) + 4), 2048);   /* PRDBC */
	assert_true(prd(0, PX_IS) & PXIS_DHRS);
	assert_int_equal(prd(0, PX_TFD), ATA_ST_DRDY | ATA_ST_DSC);
	assert_int_equal(g(FB + RFIS_RFIS)[0], FIS_REG_D2H);
	assert_true(rd(HBA_IS) & 1);
	assert_true(a->pci.intx_level); /* INTx: MSI is off */
	pwr(0, PX_IS, 0xFFFFFFFF);
	wr(HBA_IS, 1);
	assert_false(a->pci.intx_level);
}

static void test_ncq_write_and_flush(void **state)
{
	u8 *buf = g(BUF), back[1024];
	int fd = open(disk_path, O_RDONLY);

	(void)state;
	memset(buf, 0x5A, 1024);
	command(0, 0x61, 10, 0 << 3, 2, 1024, true); /* WRITE FPDMA QUEUED, 2 sectors, tag 0 */
	pwr(0, PX_SACT, 1);
	issue(0);
	assert_int_equal(prd(0, PX_SACT), 0);
	assert_true(prd(0, PX_IS) & PXIS_SDBS);
	assert_int_equal(g(FB + RFIS_SDBFIS)[0], FIS_SDB);
	assert_int_equal(ahci_get32(g(FB + RFIS_SDBFIS) + 4), 1);
	assert_int_equal(pread(fd, back, sizeof(back), 10 * 512), (ssize_t)sizeof(back));
	close(fd);
	assert_memory_equal(back, buf, sizeof(back));
	command(0, 0xEA, 0, 0, 0, 512, false); /* FLUSH CACHE EXT */
	issue(0);
	assert_int_equal(prd(0, PX_TFD) & ATA_ST_ERR, 0);
}

static void test_identify(void **state)
{
	u8 *id = g(BUF), sum = 0;

	(void)state;
	command(0, 0xEC, 0, 0, 0, 512, false);
	issue(0);
	assert_true(prd(0, PX_IS) & PXIS_PSS);
	assert_int_equal(g(FB + RFIS_PSFIS)[0], FIS_PIO_SETUP);
	assert_int_equal(ahci_get16(id + 100 * 2), DISK / 512); /* LBA48 sectors */
	assert_true(ahci_get16(id + 76 * 2) & 0x100);           /* NCQ */
	assert_memory_equal(id + 54, "OHEV RAHDRIDKS", 14);     /* "HOVER HARDDISK", swapped */
	for (unsigned i = 0; i < 512; i++)
		sum += id[i];
	assert_int_equal(sum, 0);
	/* The CD-ROM aborts IDENTIFY DEVICE and answers IDENTIFY PACKET DEVICE. */
	assert_int_equal(prd(1, PX_SIG), SIG_ATAPI);
	command(1, 0xEC, 0, 0, 0, 512, false);
	issue(1);
	assert_true(prd(1, PX_IS) & PXIS_TFES);
	pwr(1, PX_CMD, PXCMD_FRE); /* the error stopped the port: restart it */
	pwr(1, PX_CMD, PXCMD_FRE | PXCMD_ST);
	command(1, 0xA1, 0, 0, 0, 512, false);
	issue(1);
	assert_int_equal(ahci_get16(id), 0x8580);
}

/* A PACKET command with cdb on port 1; returns the ATA status. */
static u32 packet(const u8 *cdb, u32 len)
{
	command(1, 0xA0, 0, 0, 1, len, false);
	memcpy(g(CT + 0x40), cdb, 12);
	ahci_put32(g(CLB + 0x400), 5 | 1u << 5 | 1u << 16);
	issue(1);
	if (prd(1, PX_TFD) & ATA_ST_ERR) {
		pwr(1, PX_CMD, PXCMD_FRE);
		pwr(1, PX_CMD, PXCMD_FRE | PXCMD_ST);
		return ATA_ST_ERR;
	}
	return 0;
}

static void test_atapi_media_change(void **state)
{
	const u8 tur[12] = { 0x00 }, sense[12] = { 0x03, 0, 0, 0, 18 };
	const u8 cap[12] = { 0x25 }, read10[12] = { 0x28, 0, 0, 0, 0, 2, 0, 0, 1 };
	const u8 toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 32 };
	u8 *b = g(BUF);
	struct block *img;
	struct block_open_opts o = { .fmt = BLOCK_FMT_RAW, .readonly = true };
	char err[128];

	(void)state;
	assert_int_equal(packet(tur, 512), 0);
	assert_int_equal(packet(cap, 8), 0);
	assert_int_equal(b[3] | b[2] << 8, ISO / 2048 - 1);
	assert_int_equal(packet(read10, 2048), 0);
	assert_int_equal(b[0], (u8)(2 + 2 * 2048));
	assert_int_equal(packet(toc, 32), 0);
	assert_int_equal(b[4 + 8 + 2], 0xAA);                    /* lead-out */
	assert_int_equal(b[4 + 8 + 7], (u8)(ISO / 2048));         /* at the disc's end */
	/* Eject: no medium. Insert: UNIT ATTENTION once, then ready. */
	assert_int_equal(ahci_cdrom_change(a, 1, NULL), 0);
	assert_int_equal(packet(tur, 512), ATA_ST_ERR);          /* the change itself */
	assert_int_equal(packet(tur, 512), ATA_ST_ERR);
	assert_int_equal(packet(sense, 18), 0);
	assert_int_equal(b[2], 0x2);  /* NOT READY */
	assert_int_equal(b[12], 0x3A); /* MEDIUM NOT PRESENT */
	assert_int_equal(block_open(&img, iso_path, &o, err, sizeof(err)), 0);
	assert_int_equal(ahci_cdrom_change(a, 1, img), 0);
	assert_int_equal(packet(tur, 512), ATA_ST_ERR);
	assert_int_equal(packet(sense, 18), 0);
	assert_int_equal(b[2], 0x6);  /* UNIT ATTENTION */
	assert_int_equal(b[12], 0x28);
	assert_int_equal(packet(tur, 512), 0);
	assert_int_equal(ahci_cdrom_change(a, 0, NULL), -ENODEV); /* port 0 is a disk */
	/* Past the disc's end: ILLEGAL REQUEST, LBA out of range. */
	{
		const u8 past[12] = { 0x28, 0, 0, 0, 0, ISO / 2048, 0, 0, 1 };

		assert_int_equal(packet(past, 2048), ATA_ST_ERR);
		assert_int_equal(packet(sense, 18), 0);
		assert_int_equal(b[2], 0x5);
		assert_int_equal(b[12], 0x21);
	}
}

static void test_hostile_lists(void **state)
{
	(void)state;
	/* A PRD outside guest RAM: task file error, the slot retired, nothing written. */
	command(0, 0x25, 0, 8, 0, 4096, false);
	ahci_put32(g(CT + 0x80), 0xFFFFF000);
	issue(0);
	assert_true(prd(0, PX_IS) & PXIS_TFES);
	assert_true(prd(0, PX_TFD) & ATA_ST_ERR);
	/* Further commands wait until software restarts the port. */
	command(0, 0x25, 0, 1, 0, 512, false);
	pwr(0, PX_CI, 1);
	assert_int_equal(prd(0, PX_CI), 1);
	pwr(0, PX_CMD, PXCMD_FRE);
	assert_int_equal(prd(0, PX_CI), 0);
	pwr(0, PX_CMD, PXCMD_FRE | PXCMD_ST);
	/* A PRDT shorter than the transfer; a huge PRDTL of empty entries. */
	command(0, 0x25, 0, 8, 0, 512, false);
	issue(0);
	assert_true(prd(0, PX_IS) & PXIS_TFES);
	pwr(0, PX_CMD, PXCMD_FRE);
	pwr(0, PX_CMD, PXCMD_FRE | PXCMD_ST);
	command(0, 0x25, 0, 0x800, 0, 1, false);
	ahci_put32(g(CLB), 5 | 0xFFFFu << 16);
	issue(0);
	assert_true(prd(0, PX_IS) & PXIS_TFES);
	pwr(0, PX_CMD, PXCMD_FRE);
	/* The command list outside RAM: host bus fatal error. */
	pwr(0, PX_CLB, 0xFFFFFC00);
	pwr(0, PX_CMD, PXCMD_FRE | PXCMD_ST);
	issue(0);
	assert_true(prd(0, PX_IS) & (1u << 29));
	pwr(0, PX_CMD, PXCMD_FRE);
	pwr(0, PX_CLB, (u32)CLB);
	pwr(0, PX_CMD, PXCMD_FRE | PXCMD_ST);
	/* Still serving: a good read. */
	command(0, 0x25, 0, 1, 0, 512, false);
	issue(0);
	assert_int_equal(prd(0, PX_TFD) & ATA_ST_ERR, 0);
	/* An HBA reset brings the ports back to their signatures. */
	wr(HBA_GHC, GHC_HR);
	assert_int_equal(rd(HBA_GHC) & GHC_HR, 0);
	assert_int_equal(prd(0, PX_SIG), SIG_ATA);
	assert_int_equal(prd(0, PX_SSTS) & 0xF, 3);
	assert_int_equal(prd(2, PX_SSTS), 0); /* nothing on port 2 */
}

/* Save, load into a fresh controller with the same drives, save again: the same bytes. */
static void test_state_round_trip(void **state)
{
	struct ahci_config cfg = { .ram = &ram, .name = "copy" };
	struct ahci *b;
	struct saved_state st;
	char err[256] = "";

	(void)state;
	assert_int_equal(ahci_cdrom_change(a, 1, NULL), 0); /* a pending media event */
	st = state_save_one(&ahci_state_ops, a);
	cfg.drive[0].kind = AHCI_DISK;
	cfg.drive[1].kind = AHCI_CDROM;
	assert_int_equal(ahci_create(&b, &cfg), 0);
	state_load_and_compare(&ahci_state_ops, b, &st);
	assert_int_equal(b->s.port[0].clb, a->s.port[0].clb);
	assert_true(b->s.port[1].unit_attention);
	ahci_destroy(b);
	/* Another set of drives refuses the section, naming the port. */
	cfg.drive[1].kind = AHCI_NONE;
	assert_int_equal(ahci_create(&b, &cfg), 0);
	assert_int_not_equal(state_load_one(&ahci_state_ops, b, &st, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "port 1"));
	ahci_destroy(b);
	free(st.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_dma_ext),
		cmocka_unit_test(test_ncq_write_and_flush),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_atapi_media_change),
		cmocka_unit_test(test_hostile_lists),
		cmocka_unit_test(test_state_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
