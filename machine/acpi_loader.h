/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hover's ACPI tables (machine/acpi_tables.c) handed to firmware through
 * fw_cfg, in the form SeaBIOS and OVMF load: the files "etc/acpi/rsdp" and
 * "etc/acpi/tables" plus the linker script "etc/table-loader", which tells
 * the firmware where to put each file and which pointers and checksums to
 * fix up once it knows the addresses (QEMU's hw/acpi/bios-linker-loader.c
 * defines the commands; SeaBIOS's src/fw/romfile_loader.c runs them).
 */
#ifndef HOVER_MACHINE_ACPI_LOADER_H
#define HOVER_MACHINE_ACPI_LOADER_H

#include "include/hover/types.h"
#include "machine/acpi_tables.h"

#define ACPI_LOADER_ENTRY_SIZE 128

struct acpi_loader_files {
	u8 *rsdp;   /* 36 bytes */
	u32 rsdp_len;
	u8 *tables; /* every other table; pointers are offsets into this file */
	u32 tables_len;
	u8 *loader; /* the command list, ACPI_LOADER_ENTRY_SIZE bytes each */
	u32 loader_len;
};

/* Build the tables for cfg and the loader commands. -errno (acpi_tables_build's). */
int acpi_loader_build(const struct acpi_config *cfg, struct acpi_loader_files *out) HOVER_WUR;
void acpi_loader_free(struct acpi_loader_files *f);

#endif
