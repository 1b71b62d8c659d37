// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fw_cfg, QEMU's firmware configuration device (docs/specs/fw_cfg.txt), as
 * SeaBIOS (src/fw/paravirt.c) and OVMF (OvmfPkg/Library/QemuFwCfgLib) use it.
 *
 * Items are byte arrays under a 16-bit key; named files get keys from 0x20
 * up and an entry in the directory item (0x19: be32 count, then per file
 * be32 size, be16 key, be16 reserved, char name[56]). Writing the selector
 * rewinds to offset 0 of an item; each data-port read returns the next byte,
 * 0 past the end. The DMA interface reads a descriptor { be32 control, be32
 * length, be64 address } from guest RAM at the address written to 0x514/0x518
 * (big-endian, the low half triggers), performs select/skip/read and writes
 * the control word back (0 = done, bit 0 = error). Writes to items are
 * refused (error bit): every item here is read-only.
 *
 * Every guest-supplied address and length goes through ram_ptr(); a
 * descriptor or buffer outside RAM ends the transfer with the error bit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/fw_cfg.h"

#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SKIP 0x04
#define DMA_CTL_SELECT 0x08
#define DMA_CTL_WRITE 0x10

#define FW_CFG_ID_TRADITIONAL 0x1
#define FW_CFG_ID_DMA 0x2

#define MAX_ITEMS 64

struct fw_cfg_item {
	u16 key;
	u8 *data;
	u32 len;
};

/* What the guest can change, and nothing else. */
struct fw_cfg_state {
	u16 key;
	u32 offset;
	u32 dma_high; /* the high half of the DMA address, written first */
};

struct fw_cfg {
	struct fw_cfg_config cfg;
	struct fw_cfg_item item[MAX_ITEMS];
	unsigned nitems;
	unsigned nfiles;
	struct fw_cfg_state s;
	struct addrspace *pio;
};

static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static void put_be32(u8 *p, u32 v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static void put_be16(u8 *p, u16 v) { p[0] = v >> 8; p[1] = (u8)v; }
static u32 bswap32(u32 v) { return __builtin_bswap32(v); }

static struct fw_cfg_item *find(struct fw_cfg *f, u16 key)
{
	for (unsigned i = 0; i < f->nitems; i++)
		if (f->item[i].key == key)
			return &f->item[i];
	return NULL;
}

int fw_cfg_add(struct fw_cfg *f, u16 key, const void *data, u32 len)
{
	struct fw_cfg_item *it = find(f, key);
	u8 *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	if (!it) {
		if (f->nitems == MAX_ITEMS) {
			free(copy);
			return -ENOSPC;
		}
		it = &f->item[f->nitems++];
		it->key = key;
	} else {
		free(it->data);
	}
	it->data = copy;
	it->len = len;
	return 0;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, u32 len)
{
	struct fw_cfg_item *dir = find(f, FW_CFG_FILE_DIR);
	u32 n = f->nfiles;
	size_t dlen = 4 + (size_t)(n + 1) * 64;
	u8 *d;
	int ret;

	if (strlen(name) >= FW_CFG_FILE_NAME_LEN)
		return -ENAMETOOLONG;
	if (n == FW_CFG_MAX_FILES)
		return -ENOSPC;
	for (u32 i = 0; dir && i < n; i++)
		if (!strcmp((const char *)dir->data + 4 + i * 64 + 8, name))
			return -EEXIST;
	d = calloc(1, dlen);
	if (!d)
		return -ENOMEM;
	if (dir)
		memcpy(d, dir->data, dir->len);
	put_be32(d, n + 1);
	put_be32(d + 4 + n * 64, len);
	put_be16(d + 4 + n * 64 + 4, (u16)(FW_CFG_FILE_FIRST + n));
	strcpy((char *)d + 4 + n * 64 + 8, name);
	ret = fw_cfg_add(f, (u16)(FW_CFG_FILE_FIRST + n), data, len);
	if (ret == 0)
		ret = fw_cfg_add(f, FW_CFG_FILE_DIR, d, (u32)dlen);
	free(d);
	if (ret == 0)
		f->nfiles++;
	return ret;
}

/* ---- the port interface ---- */

static u8 next_byte(struct fw_cfg *f)
{
	struct fw_cfg_item *it = find(f, f->s.key);

	if (!it || f->s.offset >= it->len)
		return 0;
	return it->data[f->s.offset++];
}

static void select_key(struct fw_cfg *f, u16 key)
{
	f->s.key = key;
	f->s.offset = 0;
}

static u64 sel_read(void *opaque, u64 off, unsigned size)
{
	struct fw_cfg *f = opaque;
	u64 v = 0;

	if (off == 0) /* the selector port reads back nothing useful; QEMU returns 0 */
		return 0;
	/* The data port: a wider read returns successive bytes, lowest first. */
	for (unsigned i = 0; i < size; i++)
		v |= (u64)next_byte(f) << (8 * i);
	return v;
}

static void sel_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct fw_cfg *f = opaque;

	(void)size;
	if (off == 0)
		select_key(f, (u16)val);
	/* Data port writes: ignored, as on QEMU since 2.4. */
}

/* One DMA transfer of length len at guest address addr: read, skip or (refused) write. */
static bool dma_transfer(struct fw_cfg *f, u32 control, u32 len, u64 addr)
{
	struct fw_cfg_item *it = find(f, f->s.key);
	u32 avail = it && f->s.offset < it->len ? it->len - f->s.offset : 0;
	u32 n = len < avail ? len : avail;

	if (control & DMA_CTL_READ) {
		u8 *p = len ? ram_ptr(f->cfg.ram, addr, len) : NULL;

		if (len && !p)
			return false;
		if (n)
			memcpy(p, it->data + f->s.offset, n);
		if (len > n) /* past the item's end the device reads zeros */
			memset(p + n, 0, len - n);
		if (len && f->cfg.dma_written)
			f->cfg.dma_written(f->cfg.opaque, addr, len);
	} else if (control & DMA_CTL_WRITE) {
		return len == 0;
	}
	f->s.offset += n;
	return true;
}

static void dma_run(struct fw_cfg *f, u64 desc)
{
	u8 *d = ram_ptr(f->cfg.ram, desc, 16);
	u32 control, len;
	u64 addr;
	bool ok = true;

	if (!d) /* nowhere to report the error: like a bus abort, nothing happens */
		return;
	control = be32(d);
	len = be32(d + 4);
	addr = (u64)be32(d + 8) << 32 | be32(d + 12);
	if (control & DMA_CTL_SELECT)
		select_key(f, (u16)(control >> 16));
	if (control & (DMA_CTL_READ | DMA_CTL_SKIP | DMA_CTL_WRITE))
		ok = dma_transfer(f, control, len, addr);
	put_be32(d, ok ? 0 : DMA_CTL_ERROR);
	if (f->cfg.dma_written)
		f->cfg.dma_written(f->cfg.opaque, desc, 4);
}

static u64 dma_read(void *opaque, u64 off, unsigned size)
{
	static const u8 sig[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };
	u64 v = 0;

	(void)opaque;
	for (unsigned i = 0; i < size && off + i < 8; i++)
		v |= (u64)sig[off + i] << (8 * i);
	return v;
}

static void dma_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct fw_cfg *f = opaque;

	/* The address is big-endian on the wire: the guest wrote cpu_to_be32(). */
	if (size != 4)
		return;
	if (off == 0) {
		f->s.dma_high = bswap32((u32)val);
	} else if (off == 4) {
		u64 desc = (u64)f->s.dma_high << 32 | bswap32((u32)val);

		f->s.dma_high = 0;
		dma_run(f, desc);
	}
}

static const struct io_ops sel_ops = { .read = sel_read, .write = sel_write,
				       .min_access = 1, .max_access = 4 };
static const struct io_ops dma_ops = { .read = dma_read, .write = dma_write,
				       .min_access = 1, .max_access = 4 };

int fw_cfg_create(struct fw_cfg **out, const struct fw_cfg_config *cfg)
{
	struct fw_cfg *f = calloc(1, sizeof(*f));
	u32 id = FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA;
	u8 idb[4] = { (u8)id, 0, 0, 0 };
	int ret;

	if (!f)
		return -ENOMEM;
	f->cfg = *cfg;
	ret = fw_cfg_add(f, FW_CFG_SIGNATURE, "QEMU", 4);
	if (ret == 0)
		ret = fw_cfg_add(f, FW_CFG_ID, idb, 4);
	if (ret == 0) {
		u8 empty[4] = { 0 };

		ret = fw_cfg_add(f, FW_CFG_FILE_DIR, empty, 4);
	}
	if (ret) {
		fw_cfg_destroy(f);
		return ret;
	}
	*out = f;
	return 0;
}

int fw_cfg_attach(struct fw_cfg *f, struct addrspace *pio)
{
	int ret = as_register(pio, FW_CFG_PORT_SEL, 2, &sel_ops, f);

	if (ret)
		return ret;
	ret = as_register(pio, FW_CFG_PORT_DMA, 8, &dma_ops, f);
	if (ret) {
		as_unregister(pio, FW_CFG_PORT_SEL);
		return ret;
	}
	f->pio = pio;
	return 0;
}

void fw_cfg_destroy(struct fw_cfg *f)
{
	if (!f)
		return;
	if (f->pio) {
		as_unregister(f->pio, FW_CFG_PORT_SEL);
		as_unregister(f->pio, FW_CFG_PORT_DMA);
	}
	for (unsigned i = 0; i < f->nitems; i++)
		free(f->item[i].data);
	free(f);
}

static int fw_cfg_save(void *dev, struct state_writer *w)
{
	struct fw_cfg *f = dev;

	state_put_u16(w, f->s.key);
	state_put_u32(w, f->s.offset);
	state_put_u32(w, f->s.dma_high);
	return state_writer_error(w);
}

static int fw_cfg_load(void *dev, struct state_reader *r)
{
	struct fw_cfg *f = dev;

	f->s.key = state_get_u16(r);
	f->s.offset = state_get_u32(r); /* past an item's end reads 0: any value is safe */
	f->s.dma_high = state_get_u32(r);
	return state_reader_error(r);
}

const struct dev_state_ops fw_cfg_state_ops = {
	.section = "fw_cfg", .version = 1, .save = fw_cfg_save, .load = fw_cfg_load,
};
