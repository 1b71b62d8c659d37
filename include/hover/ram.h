/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM: a few regions, each one memfd mapping, shared by the engines,
 * device DMA, snapshots and migration. On a PC the RAM below 4 GiB stops at
 * the PCI hole (RAM_LOW_MAX); the rest is placed from 4 GiB up.
 */
#ifndef HOVER_INCLUDE_RAM_H
#define HOVER_INCLUDE_RAM_H

#include <stddef.h>

#include "include/hover/types.h"

#define RAM_MAX_REGIONS 4
#define RAM_LOW_MAX 0xC0000000ULL /* 3 GiB: PCI/MMIO hole above */
#define RAM_HIGH_BASE 0x100000000ULL

struct ram_region {
	u64 gpa;
	u64 size;
	u8 *hva;
	int fd; /* memfd backing the mapping */
	u64 page_size; /* host page backing it: 4 KiB, or 2 MiB with hugetlb */
	bool device; /* a device's memory mapped like RAM (VRAM): not in the e820 map */
	/* A snapshot's file is mapped over it (ram_image_map): the memfd's holes say nothing. */
	bool file_mapped;
};

/*
 * How guest RAM is backed (hover run --mem-hugepages, --mem-merge); see
 * core/ram_backing.c. RAM_PAGES_AUTO takes hugetlb pages where the host has
 * enough reserved, else asks for transparent huge pages.
 */
enum ram_pages { RAM_PAGES_SMALL, RAM_PAGES_AUTO, RAM_PAGES_HUGETLB, RAM_PAGES_THP };
struct ram_backing {
	enum ram_pages pages;
	bool merge; /* MADV_MERGEABLE: KSM may share identical pages */
};

struct guest_ram {
	struct ram_region region[RAM_MAX_REGIONS];
	unsigned nregions;
	u64 total;
	bool hugetlb;   /* memfd MFD_HUGETLB */
	bool thp;       /* MADV_HUGEPAGE asked for */
	bool mergeable; /* MADV_MERGEABLE set */
	/* Inside a RAM region but claimed by a device (the VGA window): not RAM. */
	u64 hole_gpa, hole_len;
};

/* Allocates `size` bytes of guest RAM laid out as on a PC. */
int ram_create(struct guest_ram *ram, u64 size) HOVER_WUR;
void ram_destroy(struct guest_ram *ram);
/*
 * One more region at [gpa, gpa+size) (page-aligned, overlapping no other):
 * a firmware image's home below 4 GiB. Engines map it like RAM, so code runs
 * from it at full speed; the guest can write it (its own copy, nobody
 * else's), and it is part of RAM for snapshots. -EINVAL, -ENOSPC, -errno.
 */
int ram_add_region(struct guest_ram *ram, u64 gpa, u64 size) HOVER_WUR;
/*
 * The same with a backing (NULL: ram_create's). why (may be NULL) gets one
 * sentence saying which pages back the RAM and why, or, on failure, what the
 * host lacks and what to do: -EINVAL when hugetlb was asked for and too few
 * huge pages are free.
 */
int ram_create_backed(struct guest_ram *ram, u64 size, const struct ram_backing *b, char *why,
		      size_t whylen) HOVER_WUR;

/*
 * Give the host pages of [gpa, gpa+len) back (balloon inflate, free page
 * reporting): rounded inward to whole host pages, outside RAM ignored; the
 * guest reads zeros there afterwards. Returns the bytes released.
 */
u64 ram_discard(const struct guest_ram *ram, u64 gpa, u64 len);

/*
 * A device's memory that the guest addresses like RAM (a display's VRAM
 * behind its BAR): a region of its own, mapped directly by the engines,
 * covered by dirty logging and saved with RAM in snapshots, but not RAM in
 * the guest's memory map. *index: the region's number.
 */
int ram_add_device(struct guest_ram *ram, u64 gpa, u64 size, unsigned *index) HOVER_WUR;
/*
 * [gpa, gpa+len) of a RAM region belongs to a device (the VGA window at
 * 0xA0000): ram_ptr() refuses it, so the engines send accesses there to
 * MMIO dispatch. One hole per VM.
 */
void ram_set_hole(struct guest_ram *ram, u64 gpa, u64 len);

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
