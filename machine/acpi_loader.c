// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACPI tables for firmware: acpi_tables_build() writes them, as for a direct
 * boot, into a scratch area that stands for guest memory at SCRATCH_BASE;
 * then every pointer field the ACPI spec defines between them (RSDP ->
 * RSDT/XSDT, 5.2.5.3; RSDT/XSDT entries, 5.2.7/5.2.8; FADT -> FACS/DSDT and
 * X_FIRMWARE_CTRL/X_DSDT, 5.2.9) is rewritten as an offset into the tables
 * file, and a loader command asks the firmware to add the file's final
 * address. Checksums are recomputed by the firmware after the pointers
 * (ADD_CHECKSUM subtracts the range's sum, so the old value does not matter).
 *
 * Loader entry (128 bytes, little-endian): u32 command, then
 *   1 ALLOCATE:     char file[56], u32 align, u8 zone (1 high memory, 2 F-segment)
 *   2 ADD_POINTER:  char dest[56], char src[56], u32 offset, u8 size
 *   3 ADD_CHECKSUM: char file[56], u32 offset, u32 start, u32 length
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine/acpi_loader.h"

#define SCRATCH_BASE 0x100000ULL /* any 16-byte aligned address: only differences matter */
#define RSDP_LEN 36
#define HDR_LEN 36
#define FILE_RSDP "etc/acpi/rsdp"
#define FILE_TABLES "etc/acpi/tables"

enum { CMD_ALLOCATE = 1, CMD_ADD_POINTER = 2, CMD_ADD_CHECKSUM = 3 };
enum { ZONE_HIGH = 1, ZONE_FSEG = 2 };

#define MAX_POINTERS 64
#define MAX_TABLES 16

struct pointer {
	bool in_rsdp; /* the field lives in the RSDP file, else in the tables file */
	u32 offset;
	u8 size;
};

struct build {
	u8 *buf;   /* scratch: the RSDP at 0, the tables after it */
	u32 size;
	u32 end;   /* one past the last table byte */
	struct pointer ptr[MAX_POINTERS];
	unsigned nptr;
	u32 table[MAX_TABLES]; /* offsets of checksummed tables */
	unsigned ntable;
	bool bad;
};

static u32 get32(const u8 *p) { return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u64 get64(const u8 *p) { return get32(p) | (u64)get32(p + 4) << 32; }
static void put(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* The table at guest address gpa: its offset in the scratch area, or -1. */
static s64 table_at(struct build *b, u64 gpa, u32 *len)
{
	u64 off = gpa - SCRATCH_BASE;

	if (gpa < SCRATCH_BASE || off + HDR_LEN > b->size)
		return -1;
	*len = get32(b->buf + off + 4);
	if (*len < 8 || off + *len > b->size)
		return -1;
	if (off + *len > b->end)
		b->end = (u32)(off + *len);
	return (s64)off;
}

/* Field [off, off+size) holds an address: make it an offset, remember to fix it. */
static s64 relocate(struct build *b, bool in_rsdp, u32 off, u8 size)
{
	u64 gpa = size == 8 ? get64(b->buf + off) : get32(b->buf + off);

	if (!gpa)
		return -1;
	if (b->nptr == MAX_POINTERS || gpa < SCRATCH_BASE) {
		b->bad = true;
		return -1;
	}
	put(b->buf + off, gpa - SCRATCH_BASE, size);
	b->ptr[b->nptr++] = (struct pointer){ .in_rsdp = in_rsdp, .offset = off, .size = size };
	return (s64)(gpa - SCRATCH_BASE);
}

/* Note a table to checksum; false if it was noted already (RSDT and XSDT share entries). */
static bool add_table(struct build *b, u32 off)
{
	for (unsigned i = 0; i < b->ntable; i++)
		if (b->table[i] == off)
			return false;
	if (b->ntable == MAX_TABLES)
		b->bad = true;
	else
		b->table[b->ntable++] = off;
	return true;
}

/* A table that points at others: FADT (FACS, DSDT), RSDT/XSDT (every entry). */
static void walk(struct build *b, s64 off, unsigned entry_size)
{
	u32 len;

	if (off < 0 || table_at(b, SCRATCH_BASE + (u64)off, &len) < 0) {
		b->bad = true;
		return;
	}
	add_table(b, (u32)off);
	for (u32 e = HDR_LEN; entry_size && e + entry_size <= len; e += entry_size) {
		s64 t = relocate(b, false, (u32)off + e, (u8)entry_size);
		u32 tlen;

		if (t < 0 || table_at(b, SCRATCH_BASE + (u64)t, &tlen) < 0) {
			b->bad = true;
			continue;
		}
		if (add_table(b, (u32)t) && !memcmp(b->buf + t, "FACP", 4)) {
			/* FIRMWARE_CTRL, DSDT, then (revision >= 2) X_FIRMWARE_CTRL, X_DSDT */
			static const struct { u32 off; u8 size; } f[] = {
				{ 36, 4 }, { 40, 4 }, { 132, 8 }, { 140, 8 },
			};
			for (unsigned i = 0; i < 4; i++) {
				s64 p;
				u32 plen;

				if (f[i].off + f[i].size > tlen)
					continue;
				p = relocate(b, false, (u32)t + f[i].off, f[i].size);
				if (p >= 0 && table_at(b, SCRATCH_BASE + (u64)p, &plen) >= 0 &&
				    memcmp(b->buf + p, "FACS", 4)) /* the FACS has no checksum */
					add_table(b, (u32)p);
			}
		}
	}
}

static u8 *entry(u8 *l, unsigned i, u32 cmd)
{
	u8 *e = l + (size_t)i * ACPI_LOADER_ENTRY_SIZE;

	put(e, cmd, 4);
	return e + 4;
}

int acpi_loader_build(const struct acpi_config *cfg, struct acpi_loader_files *out)
{
	struct build b = { .size = ACPI_TABLES_DEFAULT_SIZE };
	struct guest_ram scratch = { .nregions = 1 };
	unsigned n = 0, max;
	u64 rsdp;
	u8 *l;
	int ret;

	memset(out, 0, sizeof(*out));
	b.buf = calloc(1, b.size);
	if (!b.buf)
		return -ENOMEM;
	scratch.region[0] = (struct ram_region){ .gpa = SCRATCH_BASE, .size = b.size,
						 .hva = b.buf, .fd = -1 };
	scratch.total = b.size;
	ret = acpi_tables_build(&scratch, SCRATCH_BASE, b.size, cfg, &rsdp);
	if (ret)
		goto err;
	if (rsdp != SCRATCH_BASE) { /* acpi_tables_build puts the RSDP first */
		ret = -EINVAL;
		goto err;
	}
	b.end = RSDP_LEN;
	walk(&b, relocate(&b, true, 16, 4), 4); /* RSDT */
	walk(&b, relocate(&b, true, 24, 8), 8); /* XSDT */
	if (b.bad) {
		ret = -EINVAL;
		goto err;
	}

	max = 2 + b.nptr + b.ntable + 2;
	l = calloc(max, ACPI_LOADER_ENTRY_SIZE);
	out->rsdp = malloc(RSDP_LEN);
	out->tables = malloc(b.end);
	if (!l || !out->rsdp || !out->tables) {
		free(l);
		ret = -ENOMEM;
		goto err;
	}
	memcpy(out->rsdp, b.buf, RSDP_LEN);
	out->rsdp_len = RSDP_LEN;
	memset(b.buf, 0, RSDP_LEN); /* the tables file does not repeat the RSDP */
	memcpy(out->tables, b.buf, b.end);
	out->tables_len = b.end;

	/* The RSDP in the F segment, where an OS's legacy scan finds it. */
	u8 *e = entry(l, n++, CMD_ALLOCATE);
	strcpy((char *)e, FILE_RSDP);
	put(e + 56, 16, 4);
	e[60] = ZONE_FSEG;
	e = entry(l, n++, CMD_ALLOCATE);
	strcpy((char *)e, FILE_TABLES);
	put(e + 56, 64, 4); /* the FACS must be 64-byte aligned */
	e[60] = ZONE_HIGH;
	for (unsigned i = 0; i < b.nptr; i++) {
		e = entry(l, n++, CMD_ADD_POINTER);
		strcpy((char *)e, b.ptr[i].in_rsdp ? FILE_RSDP : FILE_TABLES);
		strcpy((char *)e + 56, FILE_TABLES);
		put(e + 112, b.ptr[i].offset, 4);
		e[116] = b.ptr[i].size;
	}
	for (unsigned i = 0; i < b.ntable; i++) {
		u32 len = get32(out->tables + b.table[i] + 4);

		e = entry(l, n++, CMD_ADD_CHECKSUM);
		strcpy((char *)e, FILE_TABLES);
		put(e + 56, b.table[i] + 9, 4);
		put(e + 60, b.table[i], 4);
		put(e + 64, len, 4);
	}
	/* RSDP: the ACPI 1.0 checksum over 20 bytes, then the extended one over 36. */
	e = entry(l, n++, CMD_ADD_CHECKSUM);
	strcpy((char *)e, FILE_RSDP);
	put(e + 56, 8, 4);
	put(e + 64, 20, 4);
	e = entry(l, n++, CMD_ADD_CHECKSUM);
	strcpy((char *)e, FILE_RSDP);
	put(e + 56, 32, 4);
	put(e + 64, RSDP_LEN, 4);
	out->loader = l;
	out->loader_len = n * ACPI_LOADER_ENTRY_SIZE;
	free(b.buf);
	return 0;

err:
	free(b.buf);
	acpi_loader_free(out);
	return ret;
}

void acpi_loader_free(struct acpi_loader_files *f)
{
	free(f->rsdp);
	free(f->tables);
	free(f->loader);
	memset(f, 0, sizeof(*f));
}
