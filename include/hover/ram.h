/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM: a few regions, each one memfd mapping, shared by the engines,
 * device DMA, snapshots and migration. On a PC the RAM below 4 GiB stops at
 * the PCI hole (RAM_LOW_MAX); the rest is placed from 4 GiB up.
 */
#ifndef HOVER_INCLUDE_RAM_H
#define HOVER_INCLUDE_RAM_H

#include "include/hover/types.h"

#define RAM_MAX_REGIONS 4
#define RAM_LOW_MAX 0xC0000000ULL /* 3 GiB: PCI/MMIO hole above */
#define RAM_HIGH_BASE 0x100000000ULL

struct ram_region {
	u64 gpa;
	u64 size;
	u8 *hva;
	int fd; /* memfd backing the mapping */
	/* A snapshot's file is mapped over it (ram_image_map): the memfd's holes say nothing. */
	bool file_mapped;
};

struct guest_ram {
	struct ram_region region[RAM_MAX_REGIONS];
	unsigned nregions;
	u64 total;
};

/* Allocates `size` bytes of guest RAM laid out as on a PC. */
int ram_create(struct guest_ram *ram, u64 size) HOVER_WUR;
void ram_destroy(struct guest_ram *ram);

/*
 * Host pointer for [gpa, gpa+len), or NULL if any byte of it is not RAM.
 * This is the one check every DMA and loader goes through: a guest-supplied
 * address is never dereferenced without it.
 */
void *ram_ptr(const struct guest_ram *ram, u64 gpa, u64 len);

/* Copy helpers; return -EFAULT if the range is not entirely RAM. */
int ram_read(const struct guest_ram *ram, u64 gpa, void *buf, u64 len);
int ram_write(const struct guest_ram *ram, u64 gpa, const void *buf, u64 len);

/*
 * About to fill [gpa, gpa+len) (a loader): fault its pages in with one system
 * call rather than one page fault per 4 KiB page as the bytes arrive. Only a
 * hint; outside RAM, or on kernels before 5.14, nothing happens.
 */
void ram_populate(const struct guest_ram *ram, u64 gpa, u64 len);

/*
 * RAM as a file image (core/ram_image.c): the regions back to back from the
 * page-aligned offset off, zero pages left as holes. Save writes it (and sets
 * the file's size to the image's end; *written: bytes of non-zero pages);
 * map puts it back lazily, private and copy-on-write (-ENODATA: the file is
 * shorter than the image).
 */
int ram_image_save(const struct guest_ram *ram, int fd, u64 off, u64 *written) HOVER_WUR;
int ram_image_map(struct guest_ram *ram, int fd, u64 off) HOVER_WUR;

#endif
