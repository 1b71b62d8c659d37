// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ATA command set of an AHCI port's drive (ATA8-ACS): IDENTIFY DEVICE
 * (7.16) and IDENTIFY PACKET DEVICE (7.17), reads and writes with LBA28 and
 * LBA48 addressing in their DMA, PIO and NCQ (READ/WRITE FPDMA QUEUED, 7.21
 * and 7.59: sector count in FEATURES, tag in COUNT bits 7:3) forms, FLUSH
 * CACHE (EXT), SET FEATURES and the housekeeping commands firmware and
 * Linux issue. Under AHCI every data transfer goes through the PRDT,
 * whatever the protocol, so PIO and DMA differ only in which FIS reports
 * the end. Anything else is aborted (ERR, ABRT), as the standard says.
 * On a CD-ROM only IDENTIFY PACKET DEVICE and the harmless commands apply;
 * its IDENTIFY DEVICE is aborted so a driver learns it is ATAPI (7.16.2).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/block.h"
#include "hw/ahci_int.h"
#include "include/hover/log.h"

#define SECTOR 512

enum {
	ATA_NOP = 0x00,
	ATA_RECALIBRATE = 0x10,
	ATA_READ_SECTORS = 0x20,
	ATA_READ_SECTORS_EXT = 0x24,
	ATA_READ_DMA_EXT = 0x25,
	ATA_WRITE_SECTORS = 0x30,
	ATA_WRITE_SECTORS_EXT = 0x34,
	ATA_WRITE_DMA_EXT = 0x35,
	ATA_READ_VERIFY = 0x40,
	ATA_READ_VERIFY_EXT = 0x42,
	ATA_READ_FPDMA = 0x60,
	ATA_WRITE_FPDMA = 0x61,
	ATA_SEEK = 0x70,
	ATA_INIT_DEV_PARAMS = 0x91,
	ATA_IDENTIFY_PACKET = 0xA1,
	ATA_READ_MULTIPLE = 0xC4,
	ATA_WRITE_MULTIPLE = 0xC5,
	ATA_SET_MULTIPLE = 0xC6,
	ATA_READ_DMA = 0xC8,
	ATA_WRITE_DMA = 0xCA,
	ATA_STANDBY_IMMEDIATE = 0xE0,
	ATA_IDLE_IMMEDIATE = 0xE1,
	ATA_STANDBY = 0xE2,
	ATA_IDLE = 0xE3,
	ATA_CHECK_POWER = 0xE5,
	ATA_FLUSH = 0xE7,
	ATA_FLUSH_EXT = 0xEA,
	ATA_IDENTIFY = 0xEC,
	ATA_SET_FEATURES = 0xEF,
};

/* An ATA string: two characters per word, the first in the high byte, space padded. */
static void id_string(u8 *id, unsigned word, unsigned words, const char *s)
{
	size_t n = strlen(s);

	for (unsigned i = 0; i < words * 2; i++)
		id[word * 2 + (i ^ 1)] = i < n ? (u8)s[i] : ' ';
}

static void id_word(u8 *id, unsigned word, u16 v)
{
	ahci_put16(id + word * 2, v);
}

void ata_identify(const struct ahci *a, unsigned p, u8 *id)
{
	const struct ahci_drive *d = &a->drive[p];
	char serial[21];

	memset(id, 0, 512);
	snprintf(serial, sizeof(serial), "HOVER-SATA%u", p);
	id_string(id, 10, 10, serial);
	id_string(id, 23, 4, "1.0");
	if (d->kind == AHCI_CDROM) {
		/* ATAPI, CD-ROM (5), removable, 12-byte packets */
		id_word(id, 0, 0x8580);
		id_string(id, 27, 20, "HOVER DVD-ROM");
		id_word(id, 49, 0x0300);    /* LBA and DMA */
		id_word(id, 53, 0x0006);    /* words 64-70 and 88 valid */
		id_word(id, 63, 0x0007);    /* multiword DMA 0-2 */
		id_word(id, 64, 0x0003);    /* PIO 3-4 */
		id_word(id, 65, 120);
		id_word(id, 66, 120);
		id_word(id, 67, 120);
		id_word(id, 68, 120);
		id_word(id, 76, 0x0002);    /* SATA Gen 1 */
		id_word(id, 80, 0x01F0);    /* ATA/ATAPI-4 to ATA8-ACS */
		id_word(id, 82, 0x4010);    /* NOP, PACKET */
		id_word(id, 85, 0x4010);
		id_word(id, 88, 0x203F);    /* UDMA 0-5, mode 5 selected */
	} else {
		u64 lba28 = d->sectors < 0x0FFFFFFF ? d->sectors : 0x0FFFFFFF;

		id_word(id, 0, 0x0040);     /* fixed ATA device */
		id_word(id, 1, 16383);      /* legacy CHS geometry */
		id_word(id, 3, 16);
		id_word(id, 6, 63);
		id_string(id, 27, 20, "HOVER HARDDISK");
		id_word(id, 47, 0x8010);    /* READ/WRITE MULTIPLE: 16 sectors */
		id_word(id, 49, 0x0300);    /* LBA and DMA */
		id_word(id, 50, 0x4000);
		id_word(id, 53, 0x0006);
		id_word(id, 59, 0x0110);    /* multiple sector setting 16, valid */
		id_word(id, 60, (u16)lba28);
		id_word(id, 61, (u16)(lba28 >> 16));
		id_word(id, 63, 0x0007);
		id_word(id, 64, 0x0003);
		id_word(id, 65, 120);
		id_word(id, 66, 120);
		id_word(id, 67, 120);
		id_word(id, 68, 120);
		id_word(id, 75, 31);        /* queue depth 32 */
		id_word(id, 76, 0x0102);    /* NCQ, SATA Gen 1 */
		id_word(id, 80, 0x01F0);
		id_word(id, 82, 0x4020);    /* NOP, write cache */
		id_word(id, 83, 0x7400);    /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit */
		id_word(id, 84, 0x4000);
		id_word(id, 85, 0x4020);    /* write cache enabled */
		id_word(id, 86, 0x3400);
		id_word(id, 87, 0x4000);
		id_word(id, 88, 0x203F);
		for (unsigned i = 0; i < 4; i++)
			id_word(id, 100 + i, (u16)(d->sectors >> (16 * i)));
		id_word(id, 106, 0x4000);   /* 512-byte logical and physical sectors */
		id_word(id, 217, 1);        /* not rotating: an SSD to the guest */
	}
	/* Integrity word (7.16.7.89): signature A5h, then a checksum making all bytes sum to 0. */
	{
		u8 sum = 0xA5;

		for (unsigned i = 0; i < 510; i++)
			sum += id[i];
		id[510] = 0xA5;
		id[511] = (u8)-sum;
	}
}

static void abort_cmd(struct ahci_cmd *c)
{
	c->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR;
	c->error = ATA_ER_ABRT;
}

static u64 lba48(const u8 *fis)
{
	return fis[4] | (u64)fis[5] << 8 | (u64)fis[6] << 16 | (u64)fis[8] << 24 |
	       (u64)fis[9] << 32 | (u64)fis[10] << 40;
}

static u64 lba28(const u8 *fis)
{
	return fis[4] | (u64)fis[5] << 8 | (u64)fis[6] << 16 | (u64)(fis[7] & 0x0F) << 24;
}

/* A read or write of n sectors at lba through the PRDT. */
static void rw(struct ahci_cmd *c, u64 lba, u64 n, bool write)
{
	struct ahci_drive *d = &c->a->drive[c->port];
	int ret;

	if (d->kind != AHCI_DISK)
		return abort_cmd(c);
	if (lba > d->sectors || n > d->sectors - lba) {
		c->status |= ATA_ST_ERR;
		c->error = ATA_ER_IDNF | ATA_ER_ABRT;
		return;
	}
	if (write && d->img->readonly) {
		log_ratelimited(LOG_WARN, "%s: port %u: write to a read-only disk refused",
				c->a->name, c->port);
		return abort_cmd(c);
	}
	ret = ahci_dma_image(c, d->img, lba * SECTOR, n * SECTOR, write);
	if (ret) {
		log_ratelimited(LOG_WARN, "%s: port %u: %s of %llu sectors at %llu failed: %s",
				c->a->name, c->port, write ? "write" : "read",
				(unsigned long long)n, (unsigned long long)lba,
				ret == -EFAULT ? "the PRDT is short or leaves guest RAM" :
				strerror(-ret));
		c->status |= ATA_ST_ERR;
		c->error = ATA_ER_ABRT | (write ? 0 : ATA_ER_UNC);
	}
}

void ata_disk_command(struct ahci_cmd *c)
{
	const u8 *f = c->fis;
	struct ahci_drive *d = &c->a->drive[c->port];
	u16 count16 = ahci_get16(f + 12), feat16 = f[3] | (u16)f[11] << 8;
	u32 n;

	switch (f[2]) {
	case ATA_IDENTIFY:
	case ATA_IDENTIFY_PACKET:
		if ((f[2] == ATA_IDENTIFY) != (d->kind == AHCI_DISK)) {
			/* The wrong IDENTIFY is aborted: PxSIG tells the driver which kind this is. */
			return abort_cmd(c);
		}
		ata_identify(c->a, c->port, c->a->buf);
		c->pio = true;
		if (ahci_dma_out(c, c->a->buf, 512))
			abort_cmd(c);
		return;
	case ATA_READ_DMA_EXT:
	case ATA_READ_SECTORS_EXT:
	case ATA_WRITE_DMA_EXT:
	case ATA_WRITE_SECTORS_EXT:
		n = count16 ? count16 : 65536;
		c->pio = f[2] == ATA_READ_SECTORS_EXT;
		return rw(c, lba48(f), n, f[2] == ATA_WRITE_DMA_EXT || f[2] == ATA_WRITE_SECTORS_EXT);
	case ATA_READ_DMA:
	case ATA_READ_SECTORS:
	case ATA_READ_MULTIPLE:
	case ATA_WRITE_DMA:
	case ATA_WRITE_SECTORS:
	case ATA_WRITE_MULTIPLE:
		n = f[12] ? f[12] : 256;
		c->pio = f[2] == ATA_READ_SECTORS || f[2] == ATA_READ_MULTIPLE;
		return rw(c, lba28(f), n, f[2] == ATA_WRITE_DMA || f[2] == ATA_WRITE_SECTORS ||
				     f[2] == ATA_WRITE_MULTIPLE);
	case ATA_READ_FPDMA:
	case ATA_WRITE_FPDMA:
		n = feat16 ? feat16 : 65536;
		c->ncq = true;
		rw(c, lba48(f), n, f[2] == ATA_WRITE_FPDMA);
		return;
	case ATA_FLUSH:
	case ATA_FLUSH_EXT:
		if (d->kind != AHCI_DISK)
			return abort_cmd(c);
		if (block_flush(d->img)) {
			c->status |= ATA_ST_ERR;
			c->error = ATA_ER_ABRT;
		}
		return;
	case ATA_CHECK_POWER:
		c->count = 0xFF; /* active or idle */
		return;
	case ATA_READ_VERIFY:
	case ATA_READ_VERIFY_EXT:
	case ATA_SET_FEATURES:  /* transfer mode, write cache, look-ahead: nothing to change */
	case ATA_SET_MULTIPLE:
	case ATA_INIT_DEV_PARAMS:
	case ATA_RECALIBRATE:
	case ATA_SEEK:
	case ATA_STANDBY_IMMEDIATE:
	case ATA_IDLE_IMMEDIATE:
	case ATA_STANDBY:
	case ATA_IDLE:
		if (d->kind != AHCI_DISK && f[2] != ATA_SET_FEATURES && f[2] != ATA_IDLE_IMMEDIATE &&
		    f[2] != ATA_STANDBY_IMMEDIATE)
			return abort_cmd(c);
		return;
	default:
		log_debug("%s: port %u: ATA command %#x aborted", c->a->name, c->port, f[2]);
		return abort_cmd(c);
	}
}
