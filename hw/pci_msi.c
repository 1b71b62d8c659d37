// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plain MSI capability (PCI Local Bus 3.0 section 6.8.1), 64-bit
 * message address, one vector, no per-vector masking: what Intel's ICH9
 * AHCI function offers. Its registers live in config space, so they are
 * saved with it (pci_dev_save); only the writable bits are set up here.
 */
#include "hw/pci_host.h"

#define MSI_CTRL 2
#define MSI_ADDR_LO 4
#define MSI_ADDR_HI 8
#define MSI_DATA 12
#define MSI_CAP_LEN 14
#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_64BIT 0x0080

u8 pci_msi_init(struct pci_dev *d)
{
	u8 cap = pci_cap_add(d, PCI_CAP_ID_MSI, MSI_CAP_LEN);

	if (!cap)
		return 0;
	d->cfg[cap + MSI_CTRL] = MSI_CTRL_64BIT; /* Multiple Message Capable 0: one vector */
	d->wmask[cap + MSI_CTRL] = MSI_CTRL_ENABLE;
	d->wmask[cap + MSI_ADDR_LO] = 0xFC; /* dword aligned */
	for (unsigned i = 1; i < 4; i++)
		d->wmask[cap + MSI_ADDR_LO + i] = 0xFF;
	for (unsigned i = 0; i < 4; i++)
		d->wmask[cap + MSI_ADDR_HI + i] = 0xFF;
	d->wmask[cap + MSI_DATA] = d->wmask[cap + MSI_DATA + 1] = 0xFF;
	return cap;
}

bool pci_msi_enabled(const struct pci_dev *d, u8 cap)
{
	return cap && (d->cfg[cap + MSI_CTRL] & MSI_CTRL_ENABLE);
}

void pci_msi_notify(struct pci_dev *d, u8 cap)
{
	u64 addr;
	u32 data;

	if (!pci_msi_enabled(d, cap))
		return;
	addr = pci_dev_cfg_read(d, cap + MSI_ADDR_LO, 4) |
	       (u64)pci_dev_cfg_read(d, cap + MSI_ADDR_HI, 4) << 32;
	data = pci_dev_cfg_read(d, cap + MSI_DATA, 2);
	pci_host_msi(d, addr, data);
}
