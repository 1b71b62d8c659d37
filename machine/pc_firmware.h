/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Firmware boot of the PC board (no --kernel): the firmware image, the fw_cfg
 * items it reads, and vCPU 0 at the reset vector. Used by machine/pc.c only.
 */
#ifndef HOVER_MACHINE_PC_FIRMWARE_H
#define HOVER_MACHINE_PC_FIRMWARE_H

#include <stddef.h>

#include "include/hover/types.h"

struct pc;

/* Where the firmware images of Debian's packages live (hover run --firmware bios|uefi). */
#define PC_FIRMWARE_BIOS "/usr/share/seabios/bios-256k.bin"
#define PC_FIRMWARE_BIOS_PACKAGE "seabios"
#define PC_FIRMWARE_UEFI "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define PC_FIRMWARE_UEFI_PACKAGE "ovmf"

/* Largest image mapped below 4 GiB (the region must stay clear of the LAPIC at 0xFEE00000). */
#define PC_FIRMWARE_MAX (16ULL << 20)

/*
 * Read and check a firmware image (size a multiple of 4 KiB in
 * [64 KiB, 16 MiB], a jump at the reset vector 16 bytes below its end).
 * On failure -errno and a sentence naming path in err.
 */
int pc_firmware_read(const char *path, u8 **image, u64 *size, char *err, size_t errlen) HOVER_WUR;

/* Parse --boot ("disk,cdrom,net", each at most once). -EINVAL and a sentence in err. */
int pc_boot_order_check(const char *order, char *err, size_t errlen) HOVER_WUR;

/* Boot devices the firmware may be told about ("bootorder"), as OpenFirmware paths. */
enum pc_boot_kind { PC_BOOT_DISK, PC_BOOT_CDROM, PC_BOOT_NET, PC_BOOT_KINDS };
/*
 * A device of kind `kind` the firmware can boot, e.g. "/pci@i0cf8/sata@3/drive@0/disk@0"
 * for a CD-ROM on port 0 of an AHCI controller in slot 3 (SeaBIOS's boot.c builds
 * the same path and matches). Virtio disks and NICs are found on the bus by
 * themselves; a controller whose drives sit behind it calls this from its build step.
 */
int pc_boot_device(struct pc *pc, enum pc_boot_kind kind, const char *path) HOVER_WUR;

/* Build steps (pc_steps[]): fw_cfg and its items; then the image and the reset vector. */
int pc_build_fw_cfg(struct pc *pc, char *err, size_t errlen);
int pc_firmware_start(struct pc *pc, char *err, size_t errlen);

#endif
