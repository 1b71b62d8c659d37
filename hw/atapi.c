// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ATAPI CD-ROM of an AHCI port: the SCSI packet commands a guest sends
 * in an ATA PACKET command (the 12-byte CDB at offset 0x40 of the command
 * table). Primary commands from SPC-3 (TEST UNIT READY, REQUEST SENSE,
 * INQUIRY), multimedia ones from MMC-5 (READ CAPACITY, READ(10/12), READ TOC
 * formats 0 and 1 — Linux's sr and SeaBIOS's El Torito code read those —,
 * MODE SENSE(10) pages 01h and 2Ah, GET CONFIGURATION with the profile list
 * and core features, GET EVENT STATUS NOTIFICATION for the media class,
 * START STOP UNIT for the tray, PREVENT ALLOW MEDIUM REMOVAL, READ DISC
 * INFORMATION, MECHANISM STATUS).
 *
 * Errors are CHECK CONDITION: the ATA status gets ERR, the error register
 * the sense key in bits 7:4, and the sense data (key, ASC, ASCQ) waits for
 * REQUEST SENSE. After a media change the first command other than INQUIRY,
 * REQUEST SENSE, GET CONFIGURATION or GET EVENT STATUS NOTIFICATION reports
 * UNIT ATTENTION, "medium may have changed" (SPC-3 5.9.7), which is how a
 * driver learns it must read the new disc's size.
 */
#include <string.h>

#include "host/block.h"
#include "hw/ahci_int.h"
#include "include/hover/log.h"

#define CD_SECTOR 2048ULL

enum {
	CMD_TEST_UNIT_READY = 0x00,
	CMD_REQUEST_SENSE = 0x03,
	CMD_INQUIRY = 0x12,
	CMD_START_STOP_UNIT = 0x1B,
	CMD_PREVENT_ALLOW = 0x1E,
	CMD_READ_CAPACITY = 0x25,
	CMD_READ_10 = 0x28,
	CMD_SEEK_10 = 0x2B,
	CMD_SYNC_CACHE = 0x35,
	CMD_READ_TOC = 0x43,
	CMD_GET_CONFIGURATION = 0x46,
	CMD_GET_EVENT_STATUS = 0x4A,
	CMD_READ_DISC_INFO = 0x51,
	CMD_MODE_SENSE_10 = 0x5A,
	CMD_READ_12 = 0xA8,
	CMD_SET_CD_SPEED = 0xBB,
	CMD_MECHANISM_STATUS = 0xBD,
};

/* Sense keys and additional sense codes (SPC-3 4.5.6, annex D) */
#define SK_NOT_READY 0x2
#define SK_MEDIUM_ERROR 0x3
#define SK_ILLEGAL_REQUEST 0x5
#define SK_UNIT_ATTENTION 0x6
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_CHANGED 0x28
#define ASC_READ_ERROR 0x11
#define ASC_NO_MEDIUM 0x3A
#define ASC_REMOVAL_PREVENTED 0x53

/* MMC-5 profiles (5.3.1) */
#define PROFILE_CDROM 0x0008
#define PROFILE_DVDROM 0x0010
/* A disc larger than a CD holds is shown as a DVD. */
#define CD_MAX_SECTORS (800ULL * MiB / CD_SECTOR)

static u16 be16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static void put_be16(u8 *p, u16 v) { p[0] = v >> 8; p[1] = (u8)v; }
static void put_be32(u8 *p, u32 v) { put_be16(p, v >> 16); put_be16(p + 2, (u16)v); }

static void check_condition(struct ahci_cmd *c, u8 key, u8 asc, u8 ascq)
{
	struct ahci_port_state *ps = &c->a->s.port[c->port];

	ps->sense_key = key;
	ps->asc = asc;
	ps->ascq = ascq;
	c->status = ATA_ST_DRDY | ATA_ST_ERR;
	c->error = (u8)(key << 4) | (key == SK_ILLEGAL_REQUEST ? ATA_ER_ABRT : 0);
}

/* Send len bytes of a->buf, no more than the CDB's allocation length. */
static void reply(struct ahci_cmd *c, u32 len, u32 alloc)
{
	if (ahci_dma_out(c, c->a->buf, len < alloc ? len : alloc))
		check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
}

static bool has_medium(const struct ahci *a, unsigned p)
{
	return a->drive[p].img && !a->s.port[p].tray_open;
}

static u32 profile(const struct ahci *a, unsigned p)
{
	if (!has_medium(a, p))
		return 0;
	return a->drive[p].sectors > CD_MAX_SECTORS ? PROFILE_DVDROM : PROFILE_CDROM;
}

static void lba_to_msf(u8 *p, u64 lba)
{
	lba += 150; /* the 2-second pre-gap */
	p[0] = 0;
	p[1] = (u8)(lba / 75 / 60);
	p[2] = (u8)(lba / 75 % 60);
	p[3] = (u8)(lba % 75);
}

static void toc_address(u8 *p, u64 lba, bool msf)
{
	if (msf)
		lba_to_msf(p, lba);
	else
		put_be32(p, (u32)lba);
}

static void read_data(struct ahci_cmd *c, u64 lba, u64 n)
{
	struct ahci_drive *d = &c->a->drive[c->port];
	int ret;

	if (lba > d->sectors || n > d->sectors - lba)
		return check_condition(c, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	ret = ahci_dma_image(c, d->img, lba * CD_SECTOR, n * CD_SECTOR, false);
	if (ret == -EFAULT)
		check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	else if (ret)
		check_condition(c, SK_MEDIUM_ERROR, ASC_READ_ERROR, 0);
}

static void inquiry(struct ahci_cmd *c)
{
	u8 *b = c->a->buf;

	if (c->acmd[1] & 1) /* vital product data pages: none */
		return check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(b, 0, 36);
	b[0] = 0x05; /* CD/DVD device */
	b[1] = 0x80; /* removable */
	b[2] = 0x05; /* SPC-3 */
	b[3] = 0x32; /* ATAPI, response format 2 */
	b[4] = 31;
	memcpy(b + 8, "HOVER   ", 8);
	memcpy(b + 16, "DVD-ROM         ", 16);
	memcpy(b + 32, "1.0 ", 4);
	reply(c, 36, be16(c->acmd + 3));
}

static void request_sense(struct ahci_cmd *c)
{
	struct ahci_port_state *ps = &c->a->s.port[c->port];
	u8 *b = c->a->buf;

	memset(b, 0, 18);
	b[0] = 0x70; /* current error, fixed format */
	b[2] = ps->sense_key;
	b[7] = 10;
	b[12] = ps->asc;
	b[13] = ps->ascq;
	ps->sense_key = ps->asc = ps->ascq = 0;
	reply(c, 18, c->acmd[4]);
}

static void read_toc(struct ahci_cmd *c)
{
	const u8 *cdb = c->acmd;
	bool msf = cdb[1] & 2;
	unsigned format = cdb[2] & 0x0F, track = cdb[6];
	u64 end = c->a->drive[c->port].sectors;
	u8 *b = c->a->buf;
	u32 len;

	if (!format)
		format = cdb[9] >> 6; /* the older place of the format field (SFF-8020) */
	memset(b, 0, 32);
	if (format == 0) {
		if (track > 1 && track != 0xAA)
			return check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		len = 4;
		if (track <= 1) { /* the one data track */
			b[len + 1] = 0x14; /* ADR 1, control: data track */
			b[len + 2] = 1;
			toc_address(b + len + 4, 0, msf);
			len += 8;
		}
		b[len + 1] = 0x14; /* the lead-out */
		b[len + 2] = 0xAA;
		toc_address(b + len + 4, end, msf);
		len += 8;
		b[2] = b[3] = 1; /* first and last track */
	} else if (format == 1) { /* session information: one session */
		b[2] = b[3] = 1;
		b[5] = 0x14;
		b[6] = 1;
		toc_address(b + 8, 0, msf);
		len = 12;
	} else {
		return check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	}
	put_be16(b, (u16)(len - 2));
	reply(c, len, be16(cdb + 7));
}

/* MODE SENSE(10): pages 01h (read error recovery) and 2Ah (capabilities), or all. */
static void mode_sense(struct ahci_cmd *c)
{
	struct ahci_port_state *ps = &c->a->s.port[c->port];
	unsigned page = c->acmd[2] & 0x3F, pc = c->acmd[2] >> 6;
	bool changeable = pc == 1;
	u8 *b = c->a->buf;
	u32 len = 8;

	if (pc == 3) /* saved values */
		return check_condition(c, SK_ILLEGAL_REQUEST, 0x39, 0);
	if (page != 0x01 && page != 0x2A && page != 0x3F)
		return check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(b, 0, 64);
	if (page == 0x01 || page == 0x3F) {
		b[len] = 0x01;
		b[len + 1] = 10;
		if (!changeable)
			b[len + 3] = 5; /* read retry count */
		len += 12;
	}
	if (page == 0x2A || page == 0x3F) {
		u8 *p = b + len;

		p[0] = 0x2A;
		p[1] = 20;
		if (!changeable) {
			p[2] = 0x3B;    /* reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R, DVD-RAM */
			p[4] = 0x71;    /* audio play, mode 2 forms 1 and 2, multi-session */
			p[5] = 0x03;    /* CD-DA commands, accurate stream */
			/* tray loading mechanism, eject, lock, the lock's state */
			p[6] = 0x29 | (ps->locked ? 0x02 : 0);
			put_be16(p + 8, 16 * 176);   /* maximum read speed, kB/s */
			put_be16(p + 10, 256);       /* volume levels */
			put_be16(p + 12, 2048);      /* buffer, KiB */
			put_be16(p + 14, 16 * 176);  /* current read speed */
		}
		len += 22;
	}
	b[2] = has_medium(c->a, c->port) ? 0 : 0x70; /* medium type: door closed, no disc */
	put_be16(b, (u16)(len - 2));
	reply(c, len, be16(c->acmd + 7));
}

/* GET CONFIGURATION: the Profile List (0000h) and Core (0001h) features. */
static void get_configuration(struct ahci_cmd *c)
{
	unsigned rt = c->acmd[1] & 3, start = be16(c->acmd + 2);
	u32 cur = profile(c->a, c->port), len = 8;
	u8 *b = c->a->buf;

	memset(b, 0, 64);
	put_be16(b + 6, (u16)cur);
	if (rt == 2 ? start == 0 : start == 0) {
		b[len + 2] = 0x03; /* persistent, current */
		b[len + 3] = 8;
		put_be16(b + len + 4, PROFILE_DVDROM);
		b[len + 6] = cur == PROFILE_DVDROM;
		put_be16(b + len + 8, PROFILE_CDROM);
		b[len + 10] = cur == PROFILE_CDROM;
		len += 12;
	}
	if (rt == 2 ? start == 1 : start <= 1) {
		put_be16(b + len, 0x0001);
		b[len + 2] = 0x0B; /* version 2, persistent, current */
		b[len + 3] = 8;
		put_be32(b + len + 4, 2); /* physical interface: ATAPI */
		len += 12;
	}
	put_be32(b, len - 4);
	reply(c, len, be16(c->acmd + 7));
}

/* GET EVENT STATUS NOTIFICATION, polled, media class only (MMC-5 6.6). */
static void get_event_status(struct ahci_cmd *c)
{
	struct ahci_port_state *ps = &c->a->s.port[c->port];
	u8 *b = c->a->buf;
	u32 len = 4;

	if (!(c->acmd[1] & 1)) /* asynchronous notification is not supported */
		return check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(b, 0, 8);
	b[3] = 0x10; /* supported: media */
	if (c->acmd[4] & 0x10) {
		b[2] = 0x04;
		b[4] = ps->media_event;
		b[5] = (ps->tray_open ? 0x01 : 0) | (has_medium(c->a, c->port) ? 0x02 : 0);
		ps->media_event = 0;
		len = 8;
	} else {
		b[2] = 0x80; /* no event available */
	}
	put_be16(b, (u16)(len - 2));
	reply(c, len, be16(c->acmd + 7));
}

static void read_disc_info(struct ahci_cmd *c)
{
	u8 *b = c->a->buf;

	memset(b, 0, 34);
	put_be16(b, 32);
	b[2] = 0x0E; /* complete disc, complete last session */
	b[3] = b[4] = b[5] = b[6] = 1;
	reply(c, 34, be16(c->acmd + 7));
}

static void mechanism_status(struct ahci_cmd *c)
{
	u8 *b = c->a->buf;

	memset(b, 0, 8);
	b[1] = c->a->s.port[c->port].tray_open ? 0x10 : 0;
	reply(c, 8, be16(c->acmd + 8));
}

static void start_stop(struct ahci_cmd *c)
{
	struct ahci_port_state *ps = &c->a->s.port[c->port];
	bool loej = c->acmd[4] & 2, start = c->acmd[4] & 1;

	if (!loej)
		return;
	if (start) {
		ps->tray_open = false;
		return;
	}
	if (ps->locked)
		return check_condition(c, SK_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 2);
	ps->tray_open = true; /* the disc stays in the tray: loading it again brings it back */
}

/* Commands that report a pending UNIT ATTENTION rather than run (SPC-3 5.9.7). */
static bool reports_unit_attention(u8 op)
{
	return op != CMD_INQUIRY && op != CMD_REQUEST_SENSE && op != CMD_GET_CONFIGURATION &&
	       op != CMD_GET_EVENT_STATUS;
}

static bool needs_medium(u8 op)
{
	return op == CMD_TEST_UNIT_READY || op == CMD_READ_CAPACITY || op == CMD_READ_10 ||
	       op == CMD_READ_12 || op == CMD_READ_TOC || op == CMD_SEEK_10 ||
	       op == CMD_READ_DISC_INFO;
}

void atapi_command(struct ahci_cmd *c)
{
	struct ahci *a = c->a;
	struct ahci_port_state *ps = &a->s.port[c->port];
	const u8 *cdb = c->acmd;
	u8 op = cdb[0];

	c->status = ATA_ST_DRDY | ATA_ST_DSC;
	if (ps->unit_attention && reports_unit_attention(op)) {
		ps->unit_attention = false;
		return check_condition(c, SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
	}
	if (needs_medium(op) && !has_medium(a, c->port))
		return check_condition(c, SK_NOT_READY, ASC_NO_MEDIUM, ps->tray_open ? 2 : 1);
	if (op != CMD_REQUEST_SENSE)
		ps->sense_key = ps->asc = ps->ascq = 0;
	switch (op) {
	case CMD_TEST_UNIT_READY:
	case CMD_SEEK_10:
	case CMD_SYNC_CACHE:
	case CMD_SET_CD_SPEED:
		return;
	case CMD_REQUEST_SENSE: return request_sense(c);
	case CMD_INQUIRY: return inquiry(c);
	case CMD_START_STOP_UNIT: return start_stop(c);
	case CMD_PREVENT_ALLOW:
		ps->locked = cdb[4] & 1;
		return;
	case CMD_READ_CAPACITY:
		put_be32(a->buf, (u32)(a->drive[c->port].sectors - 1));
		put_be32(a->buf + 4, CD_SECTOR);
		return reply(c, 8, 8);
	case CMD_READ_10: return read_data(c, be32(cdb + 2), be16(cdb + 7));
	case CMD_READ_12: return read_data(c, be32(cdb + 2), be32(cdb + 6));
	case CMD_READ_TOC: return read_toc(c);
	case CMD_MODE_SENSE_10: return mode_sense(c);
	case CMD_GET_CONFIGURATION: return get_configuration(c);
	case CMD_GET_EVENT_STATUS: return get_event_status(c);
	case CMD_READ_DISC_INFO: return read_disc_info(c);
	case CMD_MECHANISM_STATUS: return mechanism_status(c);
	default:
		log_debug("%s: port %u: packet command %#x refused", a->name, c->port, op);
		return check_condition(c, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
	}
}
