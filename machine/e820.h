/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The E820 memory map a PC firmware reports (ACPI 6.5 section 15, "System
 * Address Map Interfaces"), as hover hands it to Linux in boot_params
 * (Documentation/x86/zero-page.rst: e820_entries at 0x1e8, e820_table at 0x2d0).
 *
 * A map is a sorted list of non-overlapping ranges. e820_add() gives the new
 * range precedence over whatever it overlaps, so a board builds its map from
 * the general (RAM) to the specific (reserved holes, ACPI tables).
 */
#ifndef HOVER_MACHINE_E820_H
#define HOVER_MACHINE_E820_H

#include "include/hover/ram.h"
#include "include/hover/types.h"

enum e820_type {
	E820_RAM = 1,
	E820_RESERVED = 2,
	E820_ACPI = 3, /* ACPI tables, reclaimable after the OS read them */
	E820_NVS = 4,  /* ACPI NVS, preserved across sleep */
	E820_UNUSABLE = 5,
};

/* The zero page holds at most 128 entries (E820_MAX_ENTRIES_ZEROPAGE). */
#define E820_MAX_ENTRIES 128

/* The legacy PC hole: EBDA, VGA window, option ROMs and the BIOS area. */
#define E820_PC_LOW_RAM_END 0x9FC00ULL
#define E820_PC_HOLE_END 0x100000ULL

struct e820_entry {
	u64 addr;
	u64 size;
	u32 type;
};

struct e820_map {
	unsigned nr;
	struct e820_entry entry[E820_MAX_ENTRIES];
};

void e820_init(struct e820_map *map);

/*
 * Mark [addr, addr+size) as `type`, replacing the type of anything it overlaps;
 * adjacent ranges of one type merge. -EINVAL for a zero size, a wrapping range
 * or a type outside 1..5; -ENOSPC if the map would exceed E820_MAX_ENTRIES.
 */
int e820_add(struct e820_map *map, u64 addr, u64 size, u32 type) HOVER_WUR;

/* Take [addr, addr+size) out of the map (a hole). Same errors as e820_add. */
int e820_remove(struct e820_map *map, u64 addr, u64 size) HOVER_WUR;

/* True if every byte of [addr, addr+size) is E820_RAM. */
bool e820_is_ram(const struct e820_map *map, u64 addr, u64 size);

/*
 * The PC map for `ram`: RAM 0..0x9FC00, reserved 0x9FC00..1 MiB, RAM from
 * 1 MiB to the top of low RAM, RAM from 4 GiB for the rest. The board then
 * adds its own reserved ranges (ACPI tables, MMIO windows) with e820_add().
 */
int e820_build_pc(struct e820_map *map, const struct guest_ram *ram) HOVER_WUR;

#endif
