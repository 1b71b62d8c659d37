/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An AHCI 1.3 SATA host controller as Intel's ICH9 presents it (PCI
 * 8086:2922, class 01/06/01, registers in BAR5, MSI or INTx), with up to
 * AHCI_PORTS drives: ATA disks and ATAPI CD-ROMs. For guests without virtio
 * drivers and for firmware (SeaBIOS boots from it).
 *
 * Files: hw/ahci.c (HBA and port registers, interrupts, state),
 * hw/ahci_cmd.c (command list, FISes, PRDT DMA), hw/ata_disk.c (the ATA
 * command set of a disk), hw/atapi.c (the MMC command set of a CD-ROM).
 */
#ifndef HOVER_HW_AHCI_H
#define HOVER_HW_AHCI_H

#include "include/hover/pci.h"
#include "include/hover/ram.h"
#include "include/hover/state.h"
#include "include/hover/types.h"

#define AHCI_PORTS 6

struct ahci;
struct block;

enum ahci_drive_kind { AHCI_NONE = 0, AHCI_DISK, AHCI_CDROM };

/* One port's drive: a disk (img required) or a CD-ROM (img NULL: no disc). */
struct ahci_drive_config {
	enum ahci_drive_kind kind;
	struct block *img; /* the controller owns it from ahci_create() on */
};

struct ahci_config {
	const struct guest_ram *ram;
	/* Told of every DMA write into guest RAM (vm_ram_written: the dirty log for
	 * migration, the emu CPU's stale code). NULL: nobody (unit tests). */
	struct vm *vm;
	struct ahci_drive_config drive[AHCI_PORTS]; /* port n; AHCI_NONE: nothing attached */
	const char *name;                            /* for log lines */
};

/* On success the controller owns every img of cfg; on failure the caller still does. */
int ahci_create(struct ahci **out, const struct ahci_config *cfg) HOVER_WUR;
struct pci_dev *ahci_pci_dev(struct ahci *a);
void ahci_destroy(struct ahci *a);

/*
 * Media change of the CD-ROM on port `port` (the user's eject and insert,
 * vm->lock held): the old disc is closed, img (NULL: eject only) goes in, and
 * the guest sees a UNIT ATTENTION and a media event, as from a real drive.
 * -ENODEV if the port holds no CD-ROM. Takes img on success.
 */
int ahci_cdrom_change(struct ahci *a, unsigned port, struct block *img) HOVER_WUR;
/* The port of the n-th CD-ROM (0-based), or -ENODEV. */
int ahci_cdrom_port(const struct ahci *a, unsigned n);
/* What is attached to `port` (AHCI_NONE past the last port). */
enum ahci_drive_kind ahci_drive_kind(const struct ahci *a, unsigned port);

/* Section "ahci": HBA and port registers, each drive's sense and media state. */
extern const struct dev_state_ops ahci_state_ops;

#endif
