// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Generic PCI function: the type 0 configuration header (PCI Local Bus 3.0
 * section 6.1-6.2), BAR sizing and assignment rules (6.2.5.1), the
 * capability list (6.7), INTx (6.2.4, with the Interrupt Disable bit and the
 * Interrupt Status bit of PCI 2.3) and MSI-X (6.8.2: capability, table and
 * pending bit array).
 *
 * Writes go through a per-byte writable mask so read-only fields stay put;
 * BARs are handled apart because their low bits encode the type and their
 * size is implied by which address bits stick.
 */
#include <errno.h>
#include <string.h>

#include "hw/pci_host.h"
#include "include/hover/log.h"

static void put16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static void put32(u8 *p, u32 v) { put16(p, v); put16(p + 2, v >> 16); }
static u16 get16(const u8 *p) { return p[0] | (u16)p[1] << 8; }
static u32 get32(const u8 *p) { return get16(p) | (u32)get16(p + 2) << 16; }

void pci_dev_init(struct pci_dev *d, const char *name, u16 vendor, u16 device, u32 class_code,
		  u8 revision, u16 subsys_vendor, u16 subsys_id)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	put16(d->cfg + PCI_VENDOR_ID, vendor);
	put16(d->cfg + PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = class_code;
	put16(d->cfg + PCI_CLASS_DEVICE, class_code >> 8);
	put16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put16(d->cfg + PCI_SUBSYSTEM_ID, subsys_id);
	/* Command: I/O, memory, bus master, interrupt disable are the guest's. */
	put16(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					      PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->next_cap = 0x40;
}

int pci_bar_init(struct pci_dev *d, unsigned idx, enum pci_bar_type type, u64 size,
		 const struct io_ops *ops, void *opaque)
{
	u32 low;

	if (idx >= PCI_NUM_BARS || (type == PCI_BAR_MEM64 && idx + 1 >= PCI_NUM_BARS) ||
	    !size || (size & (size - 1)) || !ops)
		return -EINVAL;
	if ((type == PCI_BAR_IO && (size < 4 || size > 256)) ||
	    (type != PCI_BAR_IO && (size < 4096 || size > 1 * GiB)))
		return -EINVAL;
	d->bar[idx] = (struct pci_bar){ .type = type, .size = size, .ops = ops, .opaque = opaque };
	low = type == PCI_BAR_IO ? 0x1 : type == PCI_BAR_MEM64 ? 0x4 : 0x0;
	put32(d->cfg + PCI_BAR0 + 4 * idx, low);
	return 0;
}

u8 pci_cap_add(struct pci_dev *d, u8 id, u8 len)
{
	u8 off = d->next_cap, *link;

	if (len < 2 || (unsigned)off + len > PCI_CFG_SPACE_SIZE)
		return 0;
	/* Chain it at the end of the list. */
	link = d->cfg + PCI_CAPABILITY_LIST;
	while (*link)
		link = d->cfg + *link + 1;
	*link = off;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	put16(d->cfg + PCI_STATUS, get16(d->cfg + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->next_cap = (off + len + 3) & ~3;
	return off;
}

/* ---- config space access ---- */

static bool bar_reg(const struct pci_dev *d, u32 off, unsigned *idx, bool *hi)
{
	unsigned i;

	if (off < PCI_BAR0 || off >= PCI_BAR0 + 4 * PCI_NUM_BARS)
		return false;
	i = (off - PCI_BAR0) / 4;
	if (i > 0 && d->bar[i - 1].type == PCI_BAR_MEM64) {
		*idx = i - 1;
		*hi = true;
	} else {
		*idx = i;
		*hi = false;
	}
	return true;
}

static void bar_write(struct pci_dev *d, unsigned idx, bool hi, u32 val)
{
	const struct pci_bar *b = &d->bar[idx];
	u8 *reg = d->cfg + PCI_BAR0 + 4 * idx + (hi ? 4 : 0);

	if (b->type == PCI_BAR_NONE)
		return;
	if (hi) {
		/* Sizes are below 4 GiB: every upper bit sticks. */
		put32(reg, val);
	} else {
		u32 low = get32(reg) & (b->type == PCI_BAR_IO ? 0x3 : 0xf);

		put32(reg, (val & ~(u32)(b->size - 1)) | low);
	}
	pci_host_update_bars(d);
}

u32 pci_dev_cfg_read(struct pci_dev *d, u32 off, unsigned size)
{
	u32 v = 0;

	if (off >= PCI_CFG_SPACE_SIZE)
		return 0; /* no extended capabilities */
	for (unsigned i = 0; i < size && off + i < PCI_CFG_SPACE_SIZE; i++)
		v |= (u32)d->cfg[off + i] << (8 * i);
	return v;
}

void pci_dev_cfg_write(struct pci_dev *d, u32 off, unsigned size, u32 val)
{
	u16 old_cmd = get16(d->cfg + PCI_COMMAND);
	u16 old_msix = d->msix.nvec ? get16(d->cfg + d->msix.cap + 2) : 0;
	unsigned idx;
	bool hi;

	if (off >= PCI_CFG_SPACE_SIZE || off + size > PCI_CFG_SPACE_SIZE)
		return;
	if (bar_reg(d, off & ~3u, &idx, &hi)) {
		/* BARs are written as dwords (Linux always does); merge narrower writes. */
		u32 reg = off & ~3u, cur = get32(d->cfg + reg), shift = (off & 3) * 8;
		u32 mask = size == 4 ? 0xffffffffu : ((1u << (size * 8)) - 1) << shift;

		bar_write(d, idx, hi, (cur & ~mask) | ((val << shift) & mask));
		return;
	}
	for (unsigned i = 0; i < size; i++) {
		u8 m = d->wmask[off + i], b = val >> (8 * i);

		d->cfg[off + i] = (d->cfg[off + i] & ~m) | (b & m);
	}
	if ((get16(d->cfg + PCI_COMMAND) ^ old_cmd) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
		pci_host_update_bars(d);
	if ((get16(d->cfg + PCI_COMMAND) ^ old_cmd) & PCI_COMMAND_INTX_DISABLE)
		pci_host_intx(d, d->intx_level);
	if (d->msix.nvec) {
		u16 now = get16(d->cfg + d->msix.cap + 2);

		/* Unmasking the function (or enabling) sends what is pending. */
		if ((old_msix ^ now) & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL))
			for (unsigned v = 0; v < d->msix.nvec; v++)
				if (d->msix.pba & (1ULL << v))
					pci_msix_notify(d, v);
	}
	if (d->cfg_written)
		d->cfg_written(d, off, size, val);
}

/* ---- INTx ---- */

void pci_set_irq(struct pci_dev *d, int level)
{
	u16 st = get16(d->cfg + PCI_STATUS);

	d->intx_level = level != 0;
	put16(d->cfg + PCI_STATUS, level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT);
	pci_host_intx(d, d->intx_level);
}

/* ---- MSI-X ---- */

int pci_msix_init(struct pci_dev *d, unsigned nvec, u8 bar, u32 table_off, u32 pba_off)
{
	u8 cap;

	if (!nvec || nvec > PCI_MSIX_MAX || bar >= PCI_NUM_BARS || (table_off & 7) ||
	    (pba_off & 7) || d->bar[bar].type == PCI_BAR_NONE ||
	    table_off + nvec * PCI_MSIX_ENTRY_SIZE > d->bar[bar].size || pba_off + 8 > d->bar[bar].size)
		return -EINVAL;
	cap = pci_cap_add(d, PCI_CAP_ID_MSIX, 12);
	if (!cap)
		return -ENOSPC;
	d->msix.nvec = nvec;
	d->msix.cap = cap;
	d->msix.bar = bar;
	d->msix.table_off = table_off;
	d->msix.pba_off = pba_off;
	put16(d->cfg + cap + 2, nvec - 1);
	put32(d->cfg + cap + 4, table_off | bar);
	put32(d->cfg + cap + 8, pba_off | bar);
	d->wmask[cap + 3] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	for (unsigned v = 0; v < nvec; v++)
		d->msix.table[v][3] = PCI_MSIX_VECTOR_CTRL_MASK;
	return 0;
}

bool pci_msix_enabled(const struct pci_dev *d)
{
	return d->msix.nvec && (get16(d->cfg + d->msix.cap + 2) & PCI_MSIX_FLAGS_ENABLE);
}

static bool msix_masked(const struct pci_dev *d, unsigned v)
{
	return (get16(d->cfg + d->msix.cap + 2) & PCI_MSIX_FLAGS_MASKALL) ||
	       (d->msix.table[v][3] & PCI_MSIX_VECTOR_CTRL_MASK);
}

void pci_msix_notify(struct pci_dev *d, unsigned v)
{
	if (v >= d->msix.nvec || !pci_msix_enabled(d))
		return;
	if (msix_masked(d, v)) {
		d->msix.pba |= 1ULL << v;
		return;
	}
	d->msix.pba &= ~(1ULL << v);
	pci_host_msi(d, d->msix.table[v][0] | (u64)d->msix.table[v][1] << 32, d->msix.table[v][2]);
}

u64 pci_msix_mmio_read(struct pci_dev *d, u64 off, unsigned size)
{
	u64 v = 0;

	if (off >= d->msix.table_off && off < d->msix.table_off + d->msix.nvec * 16) {
		u64 o = off - d->msix.table_off;

		v = d->msix.table[o / 16][(o % 16) / 4];
		if (size == 8 && (o % 16) / 4 < 3)
			v |= (u64)d->msix.table[o / 16][(o % 16) / 4 + 1] << 32;
	} else if (off >= d->msix.pba_off && off < d->msix.pba_off + 8) {
		v = d->msix.pba >> ((off - d->msix.pba_off) * 8);
	}
	return size == 8 ? v : v & 0xffffffffu;
}

void pci_msix_mmio_write(struct pci_dev *d, u64 off, unsigned size, u64 val)
{
	u64 o;
	unsigned v, w;

	if (off < d->msix.table_off || off >= d->msix.table_off + d->msix.nvec * 16)
		return; /* the PBA is read-only */
	o = off - d->msix.table_off;
	v = o / 16;
	w = (o % 16) / 4;
	for (unsigned i = 0; i < size / 4 && w + i < 4; i++) {
		bool was_masked = msix_masked(d, v);

		d->msix.table[v][w + i] = (u32)(val >> (32 * i));
		if (w + i == 3 && was_masked && !msix_masked(d, v) && (d->msix.pba & (1ULL << v)))
			pci_msix_notify(d, v);
	}
}

static u64 msix_bar_read(void *opaque, u64 off, unsigned size)
{
	return pci_msix_mmio_read(opaque, off, size);
}

static void msix_bar_write(void *opaque, u64 off, unsigned size, u64 val)
{
	pci_msix_mmio_write(opaque, off, size, val);
}

/* Table accesses are dwords or qwords (6.8.2.9); the dispatcher widens narrower ones. */
const struct io_ops pci_msix_bar_ops = {
	.read = msix_bar_read, .write = msix_bar_write, .min_access = 4, .max_access = 8,
};

/* ---- state (include/hover/state.h) ---- */

void pci_dev_save(const struct pci_dev *d, struct state_writer *w)
{
	state_put_u8(w, d->devfn);
	state_put_bytes(w, d->cfg, sizeof(d->cfg));
	state_put_u8(w, (u8)d->msix.nvec);
	for (unsigned v = 0; v < d->msix.nvec; v++)
		for (unsigned i = 0; i < 4; i++)
			state_put_u32(w, d->msix.table[v][i]);
	state_put_u64(w, d->msix.pba);
	state_put_bool(w, d->intx_level);
}

/* Bytes that say which function this is: a section for another one must not load. */
static bool same_function(const u8 *a, const u8 *b)
{
	static const u8 id[] = { PCI_VENDOR_ID, PCI_VENDOR_ID + 1, PCI_DEVICE_ID, PCI_DEVICE_ID + 1,
				 PCI_REVISION_ID, PCI_CLASS_PROG, PCI_CLASS_DEVICE,
				 PCI_CLASS_DEVICE + 1, PCI_SUBSYSTEM_ID, PCI_SUBSYSTEM_ID + 1 };

	for (unsigned i = 0; i < sizeof(id); i++)
		if (a[id[i]] != b[id[i]])
			return false;
	return true;
}

/*
 * Only what the guest could have written is taken from the saved config
 * space (the writable mask, the BAR addresses); read-only bytes stay the
 * device's own, so a stream cannot turn a function into another. The BARs
 * are then mapped where the guest had put them.
 */
void pci_dev_load(struct pci_dev *d, struct state_reader *r)
{
	u8 cfg[PCI_CFG_SPACE_SIZE], devfn = state_get_u8(r), nvec;
	u32 table[PCI_MSIX_MAX][4];
	u64 pba;
	bool intx;

	state_get_bytes(r, cfg, sizeof(cfg));
	nvec = state_get_u8(r);
	if (nvec > PCI_MSIX_MAX) {
		state_reader_fail(r, "%u MSI-X vectors (at most %u)", nvec, PCI_MSIX_MAX);
		return;
	}
	for (unsigned v = 0; v < nvec; v++)
		for (unsigned i = 0; i < 4; i++)
			table[v][i] = state_get_u32(r);
	pba = state_get_u64(r);
	intx = state_get_bool(r);
	if (state_reader_error(r))
		return;
	if (devfn != d->devfn || !same_function(cfg, d->cfg) || nvec != d->msix.nvec) {
		state_reader_fail(r, "PCI function %02x.%u %04x:%04x with %u MSI-X vectors saved, "
				  "this one is %02x.%u %04x:%04x with %u", devfn >> 3, devfn & 7,
				  get16(cfg + PCI_VENDOR_ID), get16(cfg + PCI_DEVICE_ID), nvec,
				  d->devfn >> 3, d->devfn & 7, get16(d->cfg + PCI_VENDOR_ID),
				  get16(d->cfg + PCI_DEVICE_ID), d->msix.nvec);
		return;
	}
	for (unsigned i = 0; i < PCI_CFG_SPACE_SIZE; i++)
		d->cfg[i] = (d->cfg[i] & ~d->wmask[i]) | (cfg[i] & d->wmask[i]);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];
		u8 *reg = d->cfg + PCI_BAR0 + 4 * i;
		u32 low = get32(reg) & (b->type == PCI_BAR_IO ? 0x3 : 0xf);

		if (b->type == PCI_BAR_NONE)
			continue;
		put32(reg, (get32(cfg + PCI_BAR0 + 4 * i) & ~(u32)(b->size - 1)) | low);
		if (b->type == PCI_BAR_MEM64)
			put32(reg + 4, get32(cfg + PCI_BAR0 + 4 * i + 4));
	}
	memcpy(d->msix.table, table, sizeof(table[0]) * nvec);
	d->msix.pba = nvec == 64 ? pba : pba & ((1ULL << nvec) - 1);
	/* The line's level lives in the host's state; only the device's view is set here. */
	d->intx_level = intx;
	put16(d->cfg + PCI_STATUS, intx ? get16(d->cfg + PCI_STATUS) | PCI_STATUS_INTERRUPT
					: get16(d->cfg + PCI_STATUS) & ~PCI_STATUS_INTERRUPT);
	pci_host_update_bars(d);
}
