// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * AHCI 1.3 host bus adapter: the generic host control registers (section
 * 3.1), the port registers (3.3), interrupts (section 5.4: PxIS & PxIE set
 * the port's bit in IS, which with GHC.IE drives INTx or sends an MSI), the
 * resets (HBA reset through GHC.HR, 10.4.3; port COMRESET through
 * PxSCTL.DET, 10.4.2) and the device state. The PCI function copies what
 * Intel's ICH9 shows (8086:2922, class 01/06/01, ABAR in BAR5, MSI).
 *
 * Commands run when the guest writes PxCI (hw/ahci_cmd.c), to completion,
 * on the vCPU that wrote it with vm->lock held, as virtio-blk's reads and
 * writes do: nothing is ever in flight between two register accesses, so a
 * snapshot needs no draining and the state below is all there is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/block.h"
#include "hw/ahci_int.h"
#include "include/hover/log.h"

#define ABAR_BAR 5
#define ABAR_SIZE 4096

/*
 * CAP (3.1.1): 64-bit addressing, NCQ, SNotification no, SATA Gen 1 speed,
 * AHCI only, 32 command slots, AHCI_PORTS ports.
 */
#define CAP_S64A (1u << 31)
#define CAP_SNCQ (1u << 30)
#define CAP_SAM (1u << 18)
#define CAP_ISS_GEN1 (1u << 20)
#define CAP_VALUE (CAP_S64A | CAP_SNCQ | CAP_SAM | CAP_ISS_GEN1 | (31u << 8) | (AHCI_PORTS - 1))
#define VS_1_3 0x00010300u

/* PxSSTS (3.3.10): device present and Phy communication, Gen 1, active. */
#define SSTS_PRESENT 0x113u
#define SCTL_DET_MASK 0xFu
#define SCTL_DET_COMRESET 1u

/* ---- interrupts ---- */

/*
 * Recompute IS from the ports and drive the line. An MSI is an edge: it is
 * sent when `event` brought new enabled status while the controller may
 * interrupt, so every completion the driver has not yet seen gets one.
 */
static void update_irq(struct ahci *a, bool event)
{
	bool level;

	for (unsigned p = 0; p < AHCI_PORTS; p++)
		if (a->s.port[p].is & a->s.port[p].ie)
			a->s.is |= 1u << p;
	level = (a->s.ghc & GHC_IE) && a->s.is;
	if (pci_msi_enabled(&a->pci, a->msi_cap)) {
		if (a->pci.intx_level)
			pci_set_irq(&a->pci, 0);
		if (level && event)
			pci_msi_notify(&a->pci, a->msi_cap);
		return;
	}
	if (level != a->pci.intx_level)
		pci_set_irq(&a->pci, level);
}

void ahci_raise(struct ahci *a, unsigned p, u32 bits)
{
	struct ahci_port_state *ps = &a->s.port[p];
	bool fresh = (bits & ps->ie & ~ps->is) != 0;

	ps->is |= bits;
	update_irq(a, fresh);
}

/* ---- resets ---- */

/* The device side of a port after power-on or COMRESET: signature, ready status. */
static void device_reset(struct ahci *a, unsigned p)
{
	struct ahci_port_state *ps = &a->s.port[p];

	switch (a->drive[p].kind) {
	case AHCI_DISK:
		ps->sig = SIG_ATA;
		ps->status = ATA_ST_DRDY | ATA_ST_DSC;
		ps->ssts = SSTS_PRESENT;
		break;
	case AHCI_CDROM:
		ps->sig = SIG_ATAPI;
		ps->status = 0;
		ps->ssts = SSTS_PRESENT;
		break;
	default:
		ps->sig = 0xFFFFFFFFu;
		ps->status = 0x7F; /* no device: what a floating bus reads */
		ps->ssts = 0;
		break;
	}
	ps->error = a->drive[p].kind != AHCI_NONE ? 0x01 : 0; /* diagnostic: no error */
	ps->sact = ps->ci = 0;
	ps->stopped = false;
	ps->sense_key = ps->asc = ps->ascq = 0;
}

static void port_reset(struct ahci *a, unsigned p)
{
	struct ahci_port_state *ps = &a->s.port[p];
	bool ua = ps->unit_attention, tray = ps->tray_open;
	u8 ev = ps->media_event;

	memset(ps, 0, sizeof(*ps));
	/* No staggered spin-up or cold presence detection: spun up, powered on. */
	ps->cmd = PXCMD_SUD | PXCMD_POD;
	/* A reset does not take the disc out nor forget that it changed. */
	ps->unit_attention = ua;
	ps->tray_open = tray;
	ps->media_event = ev;
	device_reset(a, p);
}

static void hba_reset(struct ahci *a)
{
	a->s.ghc = GHC_AE;
	a->s.is = 0;
	for (unsigned p = 0; p < AHCI_PORTS; p++)
		port_reset(a, p);
	update_irq(a, false);
}

/* ---- port registers ---- */

static u32 port_read(struct ahci *a, unsigned p, u32 off)
{
	const struct ahci_port_state *ps = &a->s.port[p];

	switch (off) {
	case PX_CLB: return ps->clb;
	case PX_CLBU: return ps->clbu;
	case PX_FB: return ps->fb;
	case PX_FBU: return ps->fbu;
	case PX_IS: return ps->is;
	case PX_IE: return ps->ie;
	case PX_CMD: return ps->cmd;
	case PX_TFD: return ps->status | (u32)ps->error << 8;
	case PX_SIG: return ps->sig;
	case PX_SSTS: return ps->ssts;
	case PX_SCTL: return ps->sctl;
	case PX_SERR: return ps->serr;
	case PX_SACT: return ps->sact;
	case PX_CI: return ps->ci;
	case PX_SNTF: return ps->sntf;
	default: return 0;
	}
}

static void cmd_write(struct ahci *a, unsigned p, u32 val)
{
	struct ahci_port_state *ps = &a->s.port[p];
	u32 old = ps->cmd;

	ps->cmd = (ps->cmd & ~PXCMD_WMASK) | (val & PXCMD_WMASK);
	/* The link is always active: an interface power request (ICC) is done at once. */
	ps->cmd = (ps->cmd & ~PXCMD_ICC_MASK) | PXCMD_SUD | PXCMD_POD;
	/* FIS receive and the list engine follow their enables at once (FR, CR). */
	ps->cmd = ps->cmd & PXCMD_FRE ? ps->cmd | PXCMD_FR : ps->cmd & ~PXCMD_FR;
	if (ps->cmd & PXCMD_ST) {
		ps->cmd |= PXCMD_CR;
	} else {
		/* Clearing ST drops what was issued (3.3.7: PxCI and PxSACT are cleared). */
		ps->cmd &= ~(PXCMD_CR | (0x1Fu << PXCMD_CCS_SHIFT));
		ps->ci = ps->sact = 0;
		ps->stopped = false;
	}
	if (ps->cmd & PXCMD_CLO) {
		/* Command list override: clear BSY and DRQ so a soft reset can be issued. */
		ps->status &= ~(ATA_ST_BSY | ATA_ST_DRQ);
		ps->cmd &= ~PXCMD_CLO;
	}
	if ((ps->cmd & PXCMD_FRE) && !(old & PXCMD_FRE))
		ahci_port_send_signature(a, p);
	if ((ps->cmd & PXCMD_ST) && !(old & PXCMD_ST))
		ahci_port_run(a, p);
}

static void port_write(struct ahci *a, unsigned p, u32 off, u32 val)
{
	struct ahci_port_state *ps = &a->s.port[p];

	switch (off) {
	case PX_CLB: ps->clb = val & ~0x3FFu; break; /* 1 KiB aligned */
	case PX_CLBU: ps->clbu = val; break;
	case PX_FB: ps->fb = val & ~0xFFu; break; /* 256-byte aligned */
	case PX_FBU: ps->fbu = val; break;
	case PX_IS:
		ps->is &= ~val;
		update_irq(a, false);
		break;
	case PX_IE: {
		bool was = (ps->is & ps->ie) != 0;

		/* Status already pending interrupts as soon as it is enabled. */
		ps->ie = val & PXIS_MASK;
		update_irq(a, !was && (ps->is & ps->ie));
		break;
	}
	case PX_CMD: cmd_write(a, p, val); break;
	case PX_SCTL:
		/* DET 1 -> 0 is a COMRESET: the device comes back with its signature. */
		if ((ps->sctl & SCTL_DET_MASK) == SCTL_DET_COMRESET &&
		    (val & SCTL_DET_MASK) != SCTL_DET_COMRESET) {
			device_reset(a, p);
			ahci_port_send_signature(a, p);
		} else if ((val & SCTL_DET_MASK) == SCTL_DET_COMRESET) {
			ps->ssts = 0;
		}
		ps->sctl = val;
		break;
	case PX_SERR: ps->serr &= ~val; break;
	case PX_SACT:
		if (ps->cmd & PXCMD_ST)
			ps->sact |= val;
		break;
	case PX_CI:
		if (ps->cmd & PXCMD_ST) {
			ps->ci |= val;
			ahci_port_run(a, p);
		}
		break;
	case PX_SNTF: ps->sntf &= ~val; break;
	default: break; /* read-only or reserved */
	}
}

/* ---- the ABAR ---- */

static u64 abar_read(void *opaque, u64 off, unsigned size)
{
	struct ahci *a = opaque;

	(void)size;
	if (off >= HBA_PORT0 && off < HBA_PORT0 + AHCI_PORTS * HBA_PORT_SIZE)
		return port_read(a, (off - HBA_PORT0) / HBA_PORT_SIZE, (off - HBA_PORT0) % HBA_PORT_SIZE);
	switch (off) {
	case HBA_CAP: return CAP_VALUE;
	case HBA_GHC: return a->s.ghc;
	case HBA_IS: return a->s.is;
	case HBA_PI: return (1u << AHCI_PORTS) - 1;
	case HBA_VS: return VS_1_3;
	default: return 0;
	}
}

static void abar_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct ahci *a = opaque;

	(void)size;
	if (off >= HBA_PORT0 && off < HBA_PORT0 + AHCI_PORTS * HBA_PORT_SIZE) {
		port_write(a, (off - HBA_PORT0) / HBA_PORT_SIZE, (off - HBA_PORT0) % HBA_PORT_SIZE,
			   (u32)val);
		return;
	}
	switch (off) {
	case HBA_GHC:
		if (val & GHC_HR) {
			hba_reset(a);
			return;
		}
		a->s.ghc = GHC_AE | (val & GHC_IE); /* AHCI only: AE stays set */
		update_irq(a, true);
		break;
	case HBA_IS:
		a->s.is &= ~(u32)val;
		update_irq(a, true); /* a port still pending sets its bit again */
		break;
	default: break;
	}
}

/* Registers are dwords (3: "accesses ... shall be DWORD"); narrower accesses are widened. */
static const struct io_ops abar_ops = {
	.read = abar_read, .write = abar_write, .min_access = 4, .max_access = 4,
};

/* ---- lifecycle ---- */

static u64 drive_sectors(const struct ahci_drive *d)
{
	if (!d->img)
		return 0;
	return d->img->size / (d->kind == AHCI_CDROM ? 2048 : 512);
}

int ahci_create(struct ahci **out, const struct ahci_config *cfg)
{
	struct ahci *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	a->buf = malloc(AHCI_BUF_SIZE);
	if (!a->buf) {
		free(a);
		return -ENOMEM;
	}
	a->ram = cfg->ram;
	a->vm = cfg->vm;
	snprintf(a->name, sizeof(a->name), "%s", cfg->name ? cfg->name : "ahci");
	pci_dev_init(&a->pci, "ahci", 0x8086, 0x2922, 0x010601, 0x02, 0x8086, 0x2922);
	a->pci.cfg[PCI_INTERRUPT_PIN] = 1;
	ret = pci_bar_init(&a->pci, ABAR_BAR, PCI_BAR_MEM32, ABAR_SIZE, &abar_ops, a);
	if (ret)
		goto err;
	a->msi_cap = pci_msi_init(&a->pci);
	for (unsigned p = 0; p < AHCI_PORTS; p++) {
		a->drive[p].kind = cfg->drive[p].kind;
		a->drive[p].img = cfg->drive[p].img;
		a->drive[p].sectors = drive_sectors(&a->drive[p]);
	}
	hba_reset(a);
	*out = a;
	return 0;
err:
	free(a->buf);
	free(a);
	return ret;
}

struct pci_dev *ahci_pci_dev(struct ahci *a)
{
	return &a->pci;
}

void ahci_destroy(struct ahci *a)
{
	if (!a)
		return;
	pci_host_remove(&a->pci); /* off the bus (BARs, INTx) before the memory goes */
	for (unsigned p = 0; p < AHCI_PORTS; p++)
		block_close(a->drive[p].img);
	free(a->buf);
	free(a);
}

enum ahci_drive_kind ahci_drive_kind(const struct ahci *a, unsigned port)
{
	return port < AHCI_PORTS ? a->drive[port].kind : AHCI_NONE;
}

int ahci_cdrom_port(const struct ahci *a, unsigned n)
{
	for (unsigned p = 0; p < AHCI_PORTS; p++)
		if (a->drive[p].kind == AHCI_CDROM && n-- == 0)
			return (int)p;
	return -ENODEV;
}

/* MMC-5 table 87 (media event codes) */
#define MEDIA_EV_NEW 2
#define MEDIA_EV_REMOVAL 3

int ahci_cdrom_change(struct ahci *a, unsigned port, struct block *img)
{
	struct ahci_drive *d;
	struct ahci_port_state *ps;

	if (port >= AHCI_PORTS || a->drive[port].kind != AHCI_CDROM)
		return -ENODEV;
	d = &a->drive[port];
	ps = &a->s.port[port];
	block_close(d->img);
	d->img = img;
	d->sectors = drive_sectors(d);
	ps->locked = false;
	ps->tray_open = img == NULL;
	/* As a drive does: the next command reports the change once (SPC-3 5.9.7). */
	ps->unit_attention = true;
	ps->media_event = img ? MEDIA_EV_NEW : MEDIA_EV_REMOVAL;
	return 0;
}

/* ---- state (include/hover/state.h) ---- */

static void save_port(const struct ahci_port_state *ps, struct state_writer *w)
{
	const u32 regs[] = { ps->clb, ps->clbu, ps->fb, ps->fbu, ps->is, ps->ie, ps->cmd,
			     ps->sctl, ps->serr, ps->sact, ps->ci, ps->sntf, ps->sig, ps->ssts };

	for (unsigned i = 0; i < ARRAY_SIZE(regs); i++)
		state_put_u32(w, regs[i]);
	state_put_u8(w, ps->status);
	state_put_u8(w, ps->error);
	state_put_bool(w, ps->stopped);
	state_put_u8(w, ps->sense_key);
	state_put_u8(w, ps->asc);
	state_put_u8(w, ps->ascq);
	state_put_bool(w, ps->unit_attention);
	state_put_u8(w, ps->media_event);
	state_put_bool(w, ps->locked);
	state_put_bool(w, ps->tray_open);
}

static void load_port(struct ahci_port_state *ps, struct state_reader *r)
{
	u32 *regs[] = { &ps->clb, &ps->clbu, &ps->fb, &ps->fbu, &ps->is, &ps->ie, &ps->cmd,
			&ps->sctl, &ps->serr, &ps->sact, &ps->ci, &ps->sntf, &ps->sig, &ps->ssts };

	for (unsigned i = 0; i < ARRAY_SIZE(regs); i++)
		*regs[i] = state_get_u32(r);
	ps->status = state_get_u8(r);
	ps->error = state_get_u8(r);
	ps->stopped = state_get_bool(r);
	ps->sense_key = state_get_u8(r);
	ps->asc = state_get_u8(r);
	ps->ascq = state_get_u8(r);
	ps->unit_attention = state_get_bool(r);
	ps->media_event = state_get_u8(r);
	ps->locked = state_get_bool(r);
	ps->tray_open = state_get_bool(r);
	/* Only bits the guest could have set. */
	ps->is &= PXIS_MASK;
	ps->ie &= PXIS_MASK;
	ps->clb &= ~0x3FFu;
	ps->fb &= ~0xFFu;
}

static int ahci_save(void *dev, struct state_writer *w)
{
	struct ahci *a = dev;

	pci_dev_save(&a->pci, w);
	state_put_u32(w, a->s.ghc);
	state_put_u32(w, a->s.is);
	state_put_u8(w, AHCI_PORTS);
	for (unsigned p = 0; p < AHCI_PORTS; p++) {
		state_put_u8(w, (u8)a->drive[p].kind);
		save_port(&a->s.port[p], w);
	}
	return state_writer_error(w);
}

static int ahci_load(void *dev, struct state_reader *r)
{
	struct ahci *a = dev;
	unsigned n;

	pci_dev_load(&a->pci, r);
	a->s.ghc = (state_get_u32(r) & GHC_IE) | GHC_AE;
	a->s.is = state_get_u32(r) & ((1u << AHCI_PORTS) - 1);
	n = state_get_u8(r);
	if (n != AHCI_PORTS)
		return state_reader_fail(r, "AHCI with %u ports saved, this one has %u", n,
					 AHCI_PORTS);
	for (unsigned p = 0; p < AHCI_PORTS; p++) {
		unsigned kind = state_get_u8(r);

		if (!state_reader_error(r) && kind != a->drive[p].kind)
			return state_reader_fail(r, "AHCI port %u held a %s when saved, now a %s "
						 "(give the same --disk bus=sata and --cdrom "
						 "options)", p, kind == AHCI_DISK ? "disk" :
						 kind == AHCI_CDROM ? "CD-ROM" : "nothing",
						 a->drive[p].kind == AHCI_DISK ? "disk" :
						 a->drive[p].kind == AHCI_CDROM ? "CD-ROM" : "nothing");
		load_port(&a->s.port[p], r);
	}
	return state_reader_error(r);
}

const struct dev_state_ops ahci_state_ops = {
	.section = "ahci", .version = 1, .save = ahci_save, .load = ahci_load,
};
