/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI tables for the PC board (ACPI 6.3): RSDP (revision 2), RSDT, XSDT,
 * FADT (revision 6, full fixed-feature hardware, no SMI), FACS, MADT
 * (revision 5), MCFG (PCI Firmware 3.2 section 4.1.2) and a DSDT of
 * hand-assembled AML (\_S5, COM1, the PCI host bridge with _CRS and _PRT). The guest finds
 * them through boot_params.acpi_rsdp_addr, or by scanning 0xE0000-0xFFFFF.
 */
#ifndef HOVER_MACHINE_ACPI_TABLES_H
#define HOVER_MACHINE_ACPI_TABLES_H

#include <stddef.h>

#include "include/hover/ram.h"
#include "include/hover/types.h"

#define ACPI_TABLES_DEFAULT_BASE 0xE0000ULL
#define ACPI_TABLES_DEFAULT_SIZE 0x20000ULL /* 0xE0000-0xFFFFF */
#define ACPI_MAX_CPUS 255

struct acpi_config {
	unsigned ncpus;
	const u8 *apic_ids; /* ncpus entries; NULL means 0, 1, .. ncpus-1 */
	u64 lapic_addr;
	u64 ioapic_addr;
	u8 ioapic_id;
	u32 ioapic_gsi_base;
	/* Fixed hardware (hw/acpi_pm.h): I/O ports and the SCI. */
	u16 pm1a_evt, pm1a_cnt, pm_tmr, gpe0;
	u8 gpe0_len;
	u16 reset_port;
	u8 reset_value;
	u8 sci_irq;
	u8 slp_typ_s5; /* \_S5 SLP_TYPa/b, must match what acpi_pm powers off on */
	bool com1;     /* describe the 16550 at 0x3F8/IRQ4 in the DSDT */
	/*
	 * PCI host bridge (hw/pci_host.c): \_SB.PCI0 in the DSDT (_CRS windows,
	 * _PRT: slot S pin P -> GSI pci_gsi_base + (S + P) % 4) and, with an
	 * ECAM base, an MCFG table for bus 0.
	 */
	bool pci;
	u64 pci_ecam_base;                /* 0: no MCFG */
	u32 pci_mmio_base, pci_mmio_size; /* 32-bit memory window for BARs */
	u32 pci_gsi_base;
};

/* Fill cfg with hover's PC layout (hw/lapic.h, hw/ioapic.h, hw/acpi_pm.h defaults). */
void acpi_config_init(struct acpi_config *cfg, unsigned ncpus);

/*
 * Write every table into guest RAM at [base, base+size), RSDP first (so base
 * should be 16-byte aligned, e.g. 0xE0000 for the legacy scan). Returns 0 and
 * the RSDP's address, -EINVAL for a bad configuration, -ENOSPC if the tables
 * do not fit, -EFAULT if the range is not RAM.
 */
int acpi_tables_build(struct guest_ram *ram, u64 base, u64 size, const struct acpi_config *cfg,
		      u64 *rsdp_gpa) HOVER_WUR;

/*
 * Self-consistency check of tables in guest RAM: RSDP checksums, every
 * XSDT/RSDT entry's signature, length and checksum, FADT -> DSDT/FACS, one
 * MADT. Returns 0, or -EINVAL with one sentence in err.
 */
int acpi_tables_check(const struct guest_ram *ram, u64 rsdp_gpa, char *err, size_t errlen);

/* Address of the table with this signature (via the XSDT; "DSDT"/"FACS" via the FADT), or 0. */
u64 acpi_tables_find(const struct guest_ram *ram, u64 rsdp_gpa, const char *sig);

#endif
