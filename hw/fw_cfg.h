/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fw_cfg: the firmware configuration interface of QEMU's PC machines, which
 * SeaBIOS and OVMF read to learn the board (QEMU's docs/specs/fw_cfg.txt):
 * a selector port (0x510, 16-bit), a data port (0x511, byte reads through
 * the selected item) and the DMA interface (0x514 high, 0x518 low address of
 * a big-endian FWCfgDmaAccess descriptor in guest RAM).
 *
 * The board fills the items once (fw_cfg_add, fw_cfg_add_file) before the
 * guest runs; the guest only reads them. What the guest can change — the
 * selected item, the read offset, the half-written DMA address — is the
 * state that is saved.
 */
#ifndef HOVER_HW_FW_CFG_H
#define HOVER_HW_FW_CFG_H

#include "include/hover/addrspace.h"
#include "include/hover/ram.h"
#include "include/hover/state.h"
#include "include/hover/types.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DMA 0x514

/* Selector keys (fw_cfg.txt "Selector Reg. Range Usage"). */
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_UUID 0x0002
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NOGRAPHIC 0x0004
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_BOOT_MENU 0x000e
#define FW_CFG_MAX_CPUS 0x000f
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_FIRST 0x0020
#define FW_CFG_MAX_FILES 32
#define FW_CFG_FILE_NAME_LEN 56

struct fw_cfg;

struct fw_cfg_config {
	struct guest_ram *ram; /* where DMA descriptors and buffers live */
	/* DMA wrote guest RAM [gpa, gpa+len) (the board tells the engine). */
	void (*dma_written)(void *opaque, u64 gpa, u64 len);
	void *opaque;
};

int fw_cfg_create(struct fw_cfg **out, const struct fw_cfg_config *cfg) HOVER_WUR;
void fw_cfg_destroy(struct fw_cfg *f);
/* A numbered item (a copy of data is kept); replaces an item of the same key. */
int fw_cfg_add(struct fw_cfg *f, u16 key, const void *data, u32 len) HOVER_WUR;
/* A named file, listed in FW_CFG_FILE_DIR; -EEXIST for a name already there. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, u32 len) HOVER_WUR;
/* Ports 0x510-0x511 and 0x514-0x51B. */
int fw_cfg_attach(struct fw_cfg *f, struct addrspace *pio) HOVER_WUR;

/* Section "fw_cfg": the selected key, the offset in it, the DMA address's high half. */
extern const struct dev_state_ops fw_cfg_state_ops;

#endif
