/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Insides of the AHCI controller shared by hw/ahci.c, hw/ahci_cmd.c,
 * hw/ata_disk.c and hw/atapi.c. Register and field names follow the AHCI 1.3
 * specification (sections 3.1 and 3.3) and Serial ATA 2.6 (FIS layouts,
 * section 10.3); ATA command codes ATA8-ACS, packet commands MMC-5 and SPC-3.
 */
#ifndef HOVER_HW_AHCI_INT_H
#define HOVER_HW_AHCI_INT_H

#include <sys/uio.h>

#include "hw/ahci.h"

/* HBA registers (3.1) */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_IS 0x08
#define HBA_PI 0x0C
#define HBA_VS 0x10
#define HBA_CAP2 0x24
#define HBA_PORT0 0x100
#define HBA_PORT_SIZE 0x80

#define GHC_HR (1u << 0)
#define GHC_IE (1u << 1)
#define GHC_AE (1u << 31)

/* Port registers (3.3), offsets within the port's 0x80 bytes */
#define PX_CLB 0x00
#define PX_CLBU 0x04
#define PX_FB 0x08
#define PX_FBU 0x0C
#define PX_IS 0x10
#define PX_IE 0x14
#define PX_CMD 0x18
#define PX_TFD 0x20
#define PX_SIG 0x24
#define PX_SSTS 0x28
#define PX_SCTL 0x2C
#define PX_SERR 0x30
#define PX_SACT 0x34
#define PX_CI 0x38
#define PX_SNTF 0x3C

/* PxIS / PxIE bits (3.3.5) */
#define PXIS_DHRS (1u << 0)  /* D2H Register FIS received */
#define PXIS_PSS (1u << 1)   /* PIO Setup FIS received */
#define PXIS_SDBS (1u << 3)  /* Set Device Bits FIS received */
#define PXIS_DPS (1u << 5)   /* a PRD with I set was processed */
#define PXIS_TFES (1u << 30) /* task file error */
#define PXIS_MASK 0xFDC000FFu

/* PxCMD bits (3.3.7) */
#define PXCMD_ST (1u << 0)
#define PXCMD_SUD (1u << 1)
#define PXCMD_POD (1u << 2)
#define PXCMD_CLO (1u << 3)
#define PXCMD_FRE (1u << 4)
#define PXCMD_CCS_SHIFT 8
#define PXCMD_FR (1u << 14)
#define PXCMD_CR (1u << 15)
#define PXCMD_ICC_MASK 0xF0000000u
/* What software may write: ST SUD POD CLO FRE, ATAPI DLAE ALPE ASP ICC. */
#define PXCMD_WMASK 0xFF00001Fu

/* ATA status and error (ATA8-ACS 6.1) */
#define ATA_ST_ERR 0x01
#define ATA_ST_DRQ 0x08
#define ATA_ST_DSC 0x10
#define ATA_ST_DRDY 0x40
#define ATA_ST_BSY 0x80
#define ATA_ER_ABRT 0x04
#define ATA_ER_IDNF 0x10
#define ATA_ER_UNC 0x40

/* Signatures in PxSIG after a reset (3.3.9; SATA 2.6 11.3) */
#define SIG_ATA 0x00000101u
#define SIG_ATAPI 0xEB140101u

/* FIS types (SATA 2.6 10.3) */
#define FIS_REG_H2D 0x27
#define FIS_REG_D2H 0x34
#define FIS_PIO_SETUP 0x5F
#define FIS_SDB 0xA1

/* Received FIS area (4.2.1): where each kind of FIS lands, from PxFB. */
#define RFIS_PSFIS 0x20
#define RFIS_RFIS 0x40
#define RFIS_SDBFIS 0x58

/* Guest-visible per-port state (the registers and each drive's sense/media). */
struct ahci_port_state {
	u32 clb, clbu, fb, fbu, is, ie, cmd, sctl, serr, sact, ci, sntf;
	u32 sig, ssts;
	u8 status, error; /* PxTFD.STS, PxTFD.ERR */
	bool stopped;     /* a task file error stopped the list until ST is cleared */
	/* ATAPI (hw/atapi.c) */
	u8 sense_key, asc, ascq;
	bool unit_attention; /* the disc changed: the next command reports it once */
	u8 media_event;      /* for GET EVENT STATUS NOTIFICATION (MMC-5 6.6.2.3) */
	bool locked;         /* PREVENT ALLOW MEDIUM REMOVAL */
	bool tray_open;
};

struct ahci_state {
	u32 ghc, is;
	struct ahci_port_state port[AHCI_PORTS];
};

/* Host side of a drive: not saved. */
struct ahci_drive {
	enum ahci_drive_kind kind;
	struct block *img;
	u64 sectors; /* of 512 bytes (disk) or 2048 bytes (CD-ROM) */
};

struct ahci {
	struct pci_dev pci;
	const struct guest_ram *ram;
	struct vm *vm; /* NULL: DMA writes reported to nobody */
	char name[32];
	u8 msi_cap;
	struct ahci_state s;
	struct ahci_drive drive[AHCI_PORTS];
	u8 *buf; /* AHCI_BUF_SIZE bytes: replies built before they go to guest memory */
};
#define AHCI_BUF_SIZE 65536

/*
 * One command being run (hw/ahci_cmd.c builds it from the command header and
 * table; the drive's code fills in the result). Not saved: commands finish
 * while the guest's write to PxCI is being handled.
 */
struct ahci_cmd {
	struct ahci *a;
	unsigned port, slot;
	u8 fis[20];  /* the Command FIS (H2D register FIS) */
	u8 acmd[16]; /* the ATAPI command */
	u64 ctba;    /* command table */
	u32 prdtl;   /* PRD entries */
	bool write;  /* the header's W bit */
	u32 xfer;    /* bytes moved (PRDBC) */
	/* result */
	u8 status, error;
	bool pio;    /* a PIO data-in command: a PIO Setup FIS reports the end */
	bool ncq;    /* FPDMA QUEUED: completes through a Set Device Bits FIS */
	u8 count;    /* the D2H FIS's sector count (CHECK POWER MODE) */
};

/* hw/ahci_cmd.c */
/* Run the commands issued in PxCI of port p (ST set, not stopped), then update interrupts. */
void ahci_port_run(struct ahci *a, unsigned p);
/* The signature D2H FIS a device sends after a reset, if FIS receive is on. */
void ahci_port_send_signature(struct ahci *a, unsigned p);
/*
 * Move len bytes between the drive's image at byte offset off and the
 * guest's PRDT (write: guest to image). 0, -EFAULT (the PRDT is shorter
 * or leaves guest RAM) or the backend's -errno.
 */
int ahci_dma_image(struct ahci_cmd *c, struct block *img, u64 off, u64 len, bool write);
/* Copy len bytes of buf to the PRDT (as much as it holds); c->xfer says how much. */
int ahci_dma_out(struct ahci_cmd *c, const void *buf, u32 len);

/* hw/ahci.c */
void ahci_raise(struct ahci *a, unsigned p, u32 bits);

/* hw/ata_disk.c: an ATA command (not PACKET) for the drive on c->port. */
void ata_disk_command(struct ahci_cmd *c);
/* IDENTIFY (PACKET) DEVICE data for the drive on port p, 512 bytes. */
void ata_identify(const struct ahci *a, unsigned p, u8 *out);

/* hw/atapi.c: the PACKET command (c->acmd) for the CD-ROM on c->port. */
void atapi_command(struct ahci_cmd *c);

static inline u16 ahci_get16(const u8 *p) { return p[0] | (u16)p[1] << 8; }
static inline u32 ahci_get32(const u8 *p) { return ahci_get16(p) | (u32)ahci_get16(p + 2) << 16; }
static inline void ahci_put16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static inline void ahci_put32(u8 *p, u32 v) { ahci_put16(p, v); ahci_put16(p + 2, v >> 16); }

#endif
