/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal glue between the generic PCI device code (hw/pci.c) and the host
 * bridge (hw/pci_host.c). Devices use include/hover/pci.h only.
 */
#ifndef HOVER_HW_PCI_HOST_H
#define HOVER_HW_PCI_HOST_H

#include "include/hover/pci.h"

/* Type 0 header config access with the header's write rules (BARs, command, MSI-X). */
u32 pci_dev_cfg_read(struct pci_dev *d, u32 off, unsigned size);
void pci_dev_cfg_write(struct pci_dev *d, u32 off, unsigned size, u32 val);

/* Re-register d's BARs after a command or BAR change. */
void pci_host_update_bars(struct pci_dev *d);
/* INTx level change of d (wired-OR per IOAPIC input). */
void pci_host_intx(struct pci_dev *d, int level);
/* Send an MSI through the board. */
void pci_host_msi(struct pci_dev *d, u64 addr, u32 data);

#endif
