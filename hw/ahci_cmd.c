// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * AHCI command processing (AHCI 1.3 section 5): for each slot set in PxCI,
 * lowest first, the HBA reads the 32-byte command header at PxCLB + slot*32
 * (4.2.2: PRDTL, ATAPI and Write bits, the command table's address CTBA),
 * then from the command table the Command FIS (a Serial ATA H2D Register FIS,
 * SATA 2.6 10.3.4), the ATAPI command at offset 0x40 and the PRDT at 0x80
 * (4.2.3: 16-byte entries, data base address and byte count - 1). The drive
 * (hw/ata_disk.c, hw/atapi.c) runs the command; the data moves through the
 * PRDT here; the result goes back as FISes in the received-FIS area at PxFB
 * (4.2.1): a D2H Register FIS, a PIO Setup FIS for PIO data-in, a Set Device
 * Bits FIS for NCQ (FPDMA QUEUED) completions, each raising its PxIS bit.
 *
 * Every address here is the guest's: command headers, tables and PRD entries
 * are read with ram_read, data buffers reached with ram_ptr, so a header or
 * PRD pointing outside guest RAM fails the command (Host Bus Fatal Error for
 * the list itself, a task file error for data), never hover. The loops are
 * bounded by PRDTL (16 bits) and 32 slots.
 */
#include <errno.h>
#include <string.h>

#include "host/block.h"
#include "hw/ahci_int.h"
#include "include/hover/log.h"
#include "include/hover/vm.h"

#define CMDHDR_SIZE 32
#define CMDHDR_ATAPI (1u << 5)
#define CMDHDR_WRITE (1u << 6)
#define CT_ACMD 0x40
#define CT_PRDT 0x80
#define PRD_SIZE 16
#define PRD_DBC_MASK 0x3FFFFFu
#define PXIS_HBFS (1u << 29)
/* iovecs per preadv/pwritev: Linux's AHCI driver uses up to 168 PRD entries. */
#define PRD_BATCH 64

#define ATA_CMD_PACKET 0xA0
#define FIS_C_BIT 0x80
#define FIS_I_BIT 0x40
#define FIS_CTRL_SRST 0x04

static u64 lohi(u32 lo, u32 hi)
{
	return lo | (u64)hi << 32;
}

static int prd_entry(struct ahci_cmd *c, u32 i, u64 *addr, u64 *len)
{
	u8 e[PRD_SIZE];

	if (ram_read(c->a->ram, c->ctba + CT_PRDT + (u64)i * PRD_SIZE, e, sizeof(e)))
		return -EFAULT;
	*addr = lohi(ahci_get32(e) & ~1u, ahci_get32(e + 4));
	*len = (ahci_get32(e + 12) & PRD_DBC_MASK) + 1;
	return 0;
}

/* The HBA wrote [gpa, gpa+len) of guest RAM: as any DMA, it is reported (vm_ram_written). */
static void dma_written(const struct ahci *a, u64 gpa, u64 len)
{
	if (a->vm)
		vm_ram_written(a->vm, gpa, len);
}

int ahci_dma_image(struct ahci_cmd *c, struct block *img, u64 off, u64 len, bool write)
{
	struct iovec iov[PRD_BATCH];
	u64 gpa[PRD_BATCH], chunk = 0;
	int n = 0, ret;

	for (u32 i = 0; i < c->prdtl && len; i++) {
		u64 addr, l;
		void *p;

		if (prd_entry(c, i, &addr, &l))
			return -EFAULT;
		l = l < len ? l : len;
		p = ram_ptr(c->a->ram, addr, l);
		if (!p)
			return -EFAULT;
		gpa[n] = addr;
		iov[n].iov_base = p;
		iov[n++].iov_len = l;
		chunk += l;
		len -= l;
		if (n == PRD_BATCH || !len) {
			ret = write ? block_pwritev(img, iov, n, off) : block_preadv(img, iov, n, off);
			if (ret)
				return ret;
			for (int k = 0; !write && k < n; k++) /* marked once the data is there */
				dma_written(c->a, gpa[k], iov[k].iov_len);
			c->xfer += chunk;
			off += chunk;
			chunk = 0;
			n = 0;
		}
	}
	return len ? -EFAULT : 0; /* a PRDT shorter than the transfer */
}

int ahci_dma_out(struct ahci_cmd *c, const void *buf, u32 len)
{
	const u8 *src = buf;

	for (u32 i = 0; i < c->prdtl && len; i++) {
		u64 addr, l;
		void *p;

		if (prd_entry(c, i, &addr, &l))
			return -EFAULT;
		l = l < len ? l : len;
		p = ram_ptr(c->a->ram, addr, l);
		if (!p)
			return -EFAULT;
		memcpy(p, src, l);
		dma_written(c->a, addr, l);
		src += l;
		len -= (u32)l;
		c->xfer += (u32)l;
	}
	return 0;
}

/* ---- FISes to the received-FIS area ---- */

static void put_fis(struct ahci *a, unsigned p, u32 off, const u8 *fis, u32 len)
{
	const struct ahci_port_state *ps = &a->s.port[p];

	if (!(ps->cmd & PXCMD_FRE))
		return;
	if (ram_write(a->ram, lohi(ps->fb, ps->fbu) + off, fis, len) == 0)
		dma_written(a, lohi(ps->fb, ps->fbu) + off, len);
	else
		log_ratelimited(LOG_WARN, "%s: port %u: received-FIS area at %#llx is not guest RAM",
				a->name, p, (unsigned long long)lohi(ps->fb, ps->fbu));
}

static void d2h_fis(struct ahci *a, unsigned p, const u8 *cfis, u8 status, u8 error, u8 count,
		    bool irq)
{
	u8 fis[20] = { FIS_REG_D2H, irq ? FIS_I_BIT : 0, status, error };

	if (cfis) {
		memcpy(fis + 4, cfis + 4, 7); /* LBA and device as the command left them */
		fis[12] = count;
	}
	put_fis(a, p, RFIS_RFIS, fis, sizeof(fis));
}

void ahci_port_send_signature(struct ahci *a, unsigned p)
{
	const struct ahci_port_state *ps = &a->s.port[p];
	u8 sigfis[20] = { 0 };

	if (a->drive[p].kind == AHCI_NONE)
		return;
	/* The signature is sector count, LBA low, mid, high (SATA 2.6 11.3). */
	sigfis[12] = ps->sig & 0xFF;
	sigfis[4] = (ps->sig >> 8) & 0xFF;
	sigfis[5] = (ps->sig >> 16) & 0xFF;
	sigfis[6] = (ps->sig >> 24) & 0xFF;
	d2h_fis(a, p, sigfis, ps->status, ps->error, sigfis[12], false);
}

static void pio_setup_fis(struct ahci_cmd *c)
{
	u8 fis[20] = { FIS_PIO_SETUP, 0x20 | FIS_I_BIT, ATA_ST_DRDY | ATA_ST_DRQ | ATA_ST_DSC,
		       c->error };

	memcpy(fis + 4, c->fis + 4, 7);
	fis[12] = c->fis[12];
	fis[13] = c->fis[13];
	fis[15] = c->status; /* E_Status: what the status becomes at the end */
	ahci_put16(fis + 16, (u16)c->xfer);
	put_fis(c->a, c->port, RFIS_PSFIS, fis, sizeof(fis));
}

static void sdb_fis(struct ahci *a, unsigned p, u32 done)
{
	const struct ahci_port_state *ps = &a->s.port[p];
	u8 fis[8] = { FIS_SDB, FIS_I_BIT, ps->status & 0x77, ps->error };

	ahci_put32(fis + 4, done);
	put_fis(a, p, RFIS_SDBFIS, fis, sizeof(fis));
}

/* ---- one slot ---- */

/* The list itself is not in guest RAM: a host bus fatal error stops the port (6.1.2). */
static void fatal(struct ahci *a, unsigned p, unsigned slot, const char *what, u64 addr)
{
	struct ahci_port_state *ps = &a->s.port[p];

	log_ratelimited(LOG_WARN, "%s: port %u slot %u: %s at %#llx is not guest RAM", a->name,
			p, slot, what, (unsigned long long)addr);
	ps->stopped = true;
	ps->cmd = (ps->cmd & ~(0x1Fu << PXCMD_CCS_SHIFT)) | slot << PXCMD_CCS_SHIFT;
	ps->status |= ATA_ST_ERR;
	ahci_raise(a, p, PXIS_HBFS);
}

/* A Control FIS (C bit clear): SRST set then cleared is a software reset (SATA 2.6 11.4). */
static void control_fis(struct ahci *a, unsigned p, const u8 *fis)
{
	struct ahci_port_state *ps = &a->s.port[p];

	if (fis[15] & FIS_CTRL_SRST) {
		ps->status = ATA_ST_BSY;
		return;
	}
	ps->status = a->drive[p].kind == AHCI_DISK ? ATA_ST_DRDY | ATA_ST_DSC : 0;
	ps->error = 0x01;
	ahci_port_send_signature(a, p);
}

/* Run slot `slot`; returns the NCQ tag bit it completed, if any. */
static u32 run_slot(struct ahci *a, unsigned p, unsigned slot)
{
	struct ahci_port_state *ps = &a->s.port[p];
	u64 hdr_addr = lohi(ps->clb, ps->clbu) + (u64)slot * CMDHDR_SIZE;
	struct ahci_cmd c = { .a = a, .port = p, .slot = slot };
	u8 hdr[CMDHDR_SIZE], cfis[64];
	u32 dw0;

	if (ram_read(a->ram, hdr_addr, hdr, sizeof(hdr))) {
		fatal(a, p, slot, "the command header", hdr_addr);
		return 0;
	}
	dw0 = ahci_get32(hdr);
	c.prdtl = dw0 >> 16;
	c.write = dw0 & CMDHDR_WRITE;
	c.ctba = lohi(ahci_get32(hdr + 8) & ~0x7Fu, ahci_get32(hdr + 12));
	if (ram_read(a->ram, c.ctba, cfis, sizeof(cfis)) ||
	    ram_read(a->ram, c.ctba + CT_ACMD, c.acmd, sizeof(c.acmd))) {
		fatal(a, p, slot, "the command table", c.ctba);
		return 0;
	}
	memcpy(c.fis, cfis, sizeof(c.fis));
	if (cfis[0] == FIS_REG_H2D && !(cfis[1] & FIS_C_BIT)) {
		control_fis(a, p, cfis);
		return 0;
	}
	c.status = ATA_ST_DRDY | ATA_ST_DSC;
	if (cfis[0] != FIS_REG_H2D) {
		c.status |= ATA_ST_ERR;
		c.error = ATA_ER_ABRT;
	} else if (cfis[2] == ATA_CMD_PACKET && a->drive[p].kind == AHCI_CDROM) {
		atapi_command(&c);
	} else {
		ata_disk_command(&c);
	}
	ahci_put32(hdr + 4, c.xfer); /* PRDBC */
	if (ram_write(a->ram, hdr_addr + 4, hdr + 4, 4) == 0)
		dma_written(a, hdr_addr + 4, 4);
	else
		log_ratelimited(LOG_WARN, "%s: port %u: command header left guest RAM", a->name, p);
	ps->status = c.status;
	ps->error = c.error;
	if (c.status & ATA_ST_ERR) {
		/* A task file error stops the list until software clears ST (6.1.1). */
		ps->stopped = true;
		ps->cmd = (ps->cmd & ~(0x1Fu << PXCMD_CCS_SHIFT)) | slot << PXCMD_CCS_SHIFT;
		d2h_fis(a, p, c.fis, c.status, c.error, c.count, true);
		ahci_raise(a, p, PXIS_DHRS | PXIS_TFES);
		return 0;
	}
	if (c.ncq)
		return 1u << slot;
	if (c.pio) {
		pio_setup_fis(&c);
		ahci_raise(a, p, PXIS_PSS);
	}
	d2h_fis(a, p, c.fis, c.status, c.error, c.count, true);
	ahci_raise(a, p, PXIS_DHRS);
	return 0;
}

void ahci_port_run(struct ahci *a, unsigned p)
{
	struct ahci_port_state *ps = &a->s.port[p];
	u32 ncq_done = 0;

	/* Without bus mastering the HBA cannot fetch its list: the commands wait. */
	if (!(ps->cmd & PXCMD_ST) || ps->stopped || a->drive[p].kind == AHCI_NONE ||
	    !(ahci_get16(a->pci.cfg + PCI_COMMAND) & PCI_COMMAND_MASTER))
		return;
	while (ps->ci && !ps->stopped) {
		unsigned slot = (unsigned)__builtin_ctz(ps->ci);
		u32 done = run_slot(a, p, slot);

		ps->ci &= ~(1u << slot);
		if (ps->stopped)
			break;
		ps->sact &= ~done;
		ncq_done |= done;
	}
	if (ncq_done) {
		sdb_fis(a, p, ncq_done);
		ahci_raise(a, p, PXIS_SDBS);
	}
}
