// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PCI host bridge: bus 0 with the bridge itself at 00:00.0, reached
 * through configuration mechanism #1 (ports 0xCF8/0xCFC, PCI Local Bus 3.0
 * section 3.2.2.3.2) and through ECAM (PCI Express Base 4.0 section 7.2.2,
 * described to the guest by the ACPI MCFG table). It plays firmware too:
 * pci_host_add() assigns BARs from the windows the DSDT's _CRS declares and
 * turns decoding on, as a BIOS would before the OS starts.
 *
 * INTx: slot S pin P (0 = INTA) drives IOAPIC input
 * PCI_HOST_GSI_BASE + ((S + P) mod 4), the usual swizzle; the DSDT's _PRT
 * says the same (pci_host_slot_gsi()). The lines are level-triggered and
 * shared, so each input is the OR of every device asserting it.
 */
#include "hw/pci_host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/log.h"

#define CF8_ENABLE 0x80000000u
#define ECAM_BUS0_SIZE (1ULL << 20)

/* The bridge's guest-visible state besides its own function's config space. */
struct pci_host_state {
	u32 cf8;           /* the mechanism #1 address latch */
	u32 intx_slots[4]; /* per shared input: bitmap of slots asserting it */
};

struct pci_host {
	struct pci_host_config cfg;
	struct pci_dev bridge;
	struct pci_dev *slot[PCI_MAX_SLOTS];
	struct pci_host_state s;
	u64 mmio_next; /* where pci_host_add assigns the next BARs */
	u32 io_next;
};

unsigned pci_host_slot_gsi(unsigned slot, unsigned pin)
{
	return PCI_HOST_GSI_BASE + ((slot + pin) & 3);
}

static struct pci_dev *lookup(struct pci_host *h, u8 bus, u8 devfn)
{
	/* Single-function devices: function 0 only. */
	if (bus != 0 || (devfn & 7))
		return NULL;
	return h->slot[devfn >> 3];
}

u32 pci_host_cfg_read(struct pci_host *h, u8 bus, u8 devfn, u32 off, unsigned size)
{
	struct pci_dev *d = lookup(h, bus, devfn);

	if (!d)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	return pci_dev_cfg_read(d, off, size);
}

void pci_host_cfg_write(struct pci_host *h, u8 bus, u8 devfn, u32 off, unsigned size, u32 val)
{
	struct pci_dev *d = lookup(h, bus, devfn);

	if (d)
		pci_dev_cfg_write(d, off, size, val);
}

/* ---- mechanism #1: 0xCF8 address, 0xCFC data ---- */

static u64 cf8_read(void *opaque, u64 off, unsigned size)
{
	struct pci_host *h = opaque;

	if (off == 1 && size == 1) /* the reset control register (cf8_write) */
		return 0;
	if (off != 0 || size != 4)
		return (1ULL << (8 * size)) - 1;
	return h->s.cf8;
}

static void cf8_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct pci_host *h = opaque;

	/* Only a dword write to 0xCF8 is a config address (3.2.2.3.2). */
	if (off == 0 && size == 4)
		h->s.cf8 = (u32)val & 0x80fffffcu;
	/*
	 * A byte to 0xCF9 is the PIIX/ICH reset control register: RST_CPU (bit
	 * 2) resets the machine, as firmware's last reboot resort (SeaBIOS's
	 * qemu_reboot) expects. Reads return 0: the register keeps nothing.
	 */
	if (off == 1 && size == 1 && (val & 0x04) && h->cfg.reset)
		h->cfg.reset(h->cfg.opaque);
}

static u64 cfc_read(void *opaque, u64 off, unsigned size)
{
	struct pci_host *h = opaque;
	u32 a = h->s.cf8;

	if (!(a & CF8_ENABLE))
		return (1ULL << (8 * size)) - 1;
	return pci_host_cfg_read(h, (a >> 16) & 0xff, (a >> 8) & 0xff, (a & 0xfc) + off, size);
}

static void cfc_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct pci_host *h = opaque;
	u32 a = h->s.cf8;

	if (a & CF8_ENABLE)
		pci_host_cfg_write(h, (a >> 16) & 0xff, (a >> 8) & 0xff, (a & 0xfc) + off, size, val);
}

static const struct io_ops cf8_ops = { .read = cf8_read, .write = cf8_write,
				       .min_access = 1, .max_access = 4 };
static const struct io_ops cfc_ops = { .read = cfc_read, .write = cfc_write,
				       .min_access = 1, .max_access = 4 };

/* ---- ECAM: bus << 20 | device << 15 | function << 12 | register ---- */

static u64 ecam_read(void *opaque, u64 off, unsigned size)
{
	struct pci_host *h = opaque;

	if (size == 8) /* a config register is at most a dword: split it here */
		return ecam_read(opaque, off, 4) | (u64)ecam_read(opaque, off + 4, 4) << 32;
	return pci_host_cfg_read(h, off >> 20, (off >> 12) & 0xff, off & 0xfff, size);
}

static void ecam_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct pci_host *h = opaque;

	/*
	 * Split 8-byte writes here, not in the dispatcher: a BAR write can
	 * re-register MMIO regions, which the dispatcher must not see mid-access.
	 */
	if (size == 8) {
		ecam_write(opaque, off, 4, (u32)val);
		ecam_write(opaque, off + 4, 4, val >> 32);
		return;
	}
	pci_host_cfg_write(h, off >> 20, (off >> 12) & 0xff, off & 0xfff, size, val);
}

static const struct io_ops ecam_ops = { .read = ecam_read, .write = ecam_write,
					.min_access = 1, .max_access = 8 };

/* ---- BAR mapping ---- */

static u64 bar_addr(const struct pci_dev *d, unsigned i)
{
	const u8 *r = d->cfg + PCI_BAR0 + 4 * i;
	u64 a = r[0] | (u32)r[1] << 8 | (u32)r[2] << 16 | (u32)r[3] << 24;

	if (d->bar[i].type == PCI_BAR_MEM64)
		a |= (u64)(r[4] | (u32)r[5] << 8 | (u32)r[6] << 16 | (u32)r[7] << 24) << 32;
	return a & (d->bar[i].type == PCI_BAR_IO ? ~3ULL : ~15ULL);
}

void pci_host_update_bars(struct pci_dev *d)
{
	struct pci_host *h = d->host;
	u16 cmd = d->cfg[PCI_COMMAND] | d->cfg[PCI_COMMAND + 1] << 8;

	if (!h)
		return;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		bool io = b->type == PCI_BAR_IO;
		struct addrspace *as = io ? h->cfg.pio : h->cfg.mmio;
		u64 a = bar_addr(d, i), limit = io ? 0x10000 : 1ULL << 40;
		bool want;

		if (b->type == PCI_BAR_NONE)
			continue;
		/* Decoding on, an address assigned, and not the all-ones pattern of sizing. */
		want = (cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) && a && a < limit &&
		       b->size <= limit - a;
		if (b->mapped && (!want || a != b->addr)) {
			as_unregister(as, b->addr);
			b->mapped = false;
		}
		if (want && !b->mapped) {
			if (as_register(as, a, b->size, b->ops, b->opaque)) {
				log_ratelimited(LOG_WARN, "pci %s: BAR%u at %#llx overlaps another "
						"region; left unmapped", d->name, i,
						(unsigned long long)a);
				continue;
			}
			b->addr = a;
			b->mapped = true;
		}
	}
}

/* ---- interrupts ---- */

void pci_host_intx(struct pci_dev *d, int level)
{
	struct pci_host *h = d->host;
	unsigned slot, idx;
	bool disabled = (d->cfg[PCI_COMMAND + 1] << 8) & PCI_COMMAND_INTX_DISABLE;
	u32 before;

	if (!h || !d->cfg[PCI_INTERRUPT_PIN])
		return;
	slot = d->devfn >> 3;
	idx = pci_host_slot_gsi(slot, d->cfg[PCI_INTERRUPT_PIN] - 1) - PCI_HOST_GSI_BASE;
	before = h->s.intx_slots[idx];
	if (level && !disabled)
		h->s.intx_slots[idx] |= 1u << slot;
	else
		h->s.intx_slots[idx] &= ~(1u << slot);
	if (!before != !h->s.intx_slots[idx])
		irq_set_level(&h->cfg.intx[idx], h->s.intx_slots[idx] != 0);
}

void pci_host_msi(struct pci_dev *d, u64 addr, u32 data)
{
	struct pci_host *h = d->host;
	u16 cmd = d->cfg[PCI_COMMAND] | d->cfg[PCI_COMMAND + 1] << 8;

	/* An MSI is a memory write by the device: it needs bus mastering. */
	if (!h || !(cmd & PCI_COMMAND_MASTER) || !h->cfg.msi)
		return;
	if ((addr & 0xFFF00000ULL) != 0xFEE00000ULL) {
		log_ratelimited(LOG_WARN, "pci %s: MSI to %#llx is not the local APIC range; dropped",
				d->name, (unsigned long long)addr);
		return;
	}
	h->cfg.msi(h->cfg.opaque, addr, data);
}

/* ---- the bridge ---- */

static u64 align_up(u64 v, u64 a)
{
	return (v + a - 1) & ~(a - 1);
}

int pci_host_add(struct pci_host *h, struct pci_dev *d)
{
	unsigned slot;
	u16 cmd = 0;

	for (slot = 0; slot < PCI_MAX_SLOTS && h->slot[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS)
		return -ENOSPC;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		u8 *reg = d->cfg + PCI_BAR0 + 4 * i;
		u64 a;

		if (b->type == PCI_BAR_NONE)
			continue;
		if (b->type == PCI_BAR_IO) {
			a = align_up(h->io_next, b->size);
			if (a + b->size > (u64)h->cfg.io_base + h->cfg.io_size)
				return -ENOSPC;
			h->io_next = a + b->size;
			cmd |= PCI_COMMAND_IO;
		} else {
			a = align_up(h->mmio_next, b->size);
			if (a + b->size > h->cfg.mmio_base + h->cfg.mmio_size)
				return -ENOSPC;
			h->mmio_next = a + b->size;
			cmd |= PCI_COMMAND_MEMORY;
		}
		for (unsigned k = 0; k < 4; k++)
			reg[k] = (reg[k] & (k ? 0 : (b->type == PCI_BAR_IO ? 3 : 15))) | (u8)(a >> (8 * k));
		if (b->type == PCI_BAR_MEM64)
			memset(reg + 4, 0, 4);
	}
	d->host = h;
	d->devfn = slot << 3;
	h->slot[slot] = d;
	if (d->cfg[PCI_INTERRUPT_PIN]) {
		d->gsi = pci_host_slot_gsi(slot, d->cfg[PCI_INTERRUPT_PIN] - 1);
		d->cfg[PCI_INTERRUPT_LINE] = d->gsi;
	}
	/* As firmware would: decoding on, so the guest finds the BARs live. */
	d->cfg[PCI_COMMAND] |= cmd;
	pci_host_update_bars(d);
	return 0;
}

int pci_host_create(struct pci_host **out, const struct pci_host_config *cfg)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	h->mmio_next = cfg->mmio_base;
	h->io_next = cfg->io_base;
	/*
	 * An i440FX host bridge (8086:1237, class 0x0600) with QEMU's subsystem
	 * IDs (1af4:1100): SeaBIOS and OVMF recognise the PC board by exactly
	 * this, and Linux treats it as any host bridge. PAM0-PAM6 (0x59-0x5F,
	 * 82441FX datasheet 4.3.18) hold what firmware writes; the BIOS area
	 * is RAM whatever they say (machine/pc_firmware.c).
	 */
	pci_dev_init(&h->bridge, "host-bridge", 0x8086, 0x1237, 0x060000, 2, 0x1af4, 0x1100);
	for (unsigned i = 0x59; i <= 0x5F; i++)
		h->bridge.wmask[i] = i == 0x59 ? 0x30 : 0x33;
	ret = pci_host_add(h, &h->bridge);
	if (ret)
		goto err;
	ret = as_register(cfg->pio, 0xCF8, 4, &cf8_ops, h);
	if (ret)
		goto err;
	ret = as_register(cfg->pio, 0xCFC, 4, &cfc_ops, h);
	if (ret)
		goto err_cfc;
	if (cfg->ecam_base) {
		ret = as_register(cfg->mmio, cfg->ecam_base, ECAM_BUS0_SIZE, &ecam_ops, h);
		if (ret)
			goto err_ecam;
	}
	*out = h;
	return 0;

err_ecam:
	as_unregister(cfg->pio, 0xCFC);
err_cfc:
	as_unregister(cfg->pio, 0xCF8);
err:
	free(h);
	return ret;
}

void pci_host_remove(struct pci_dev *d)
{
	struct pci_host *h = d->host;

	if (!h)
		return;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].mapped)
			as_unregister(d->bar[i].type == PCI_BAR_IO ? h->cfg.pio : h->cfg.mmio,
				      d->bar[i].addr);
	pci_host_intx(d, 0);
	h->slot[d->devfn >> 3] = NULL;
	d->host = NULL;
}

void pci_host_destroy(struct pci_host *h)
{
	if (!h)
		return;
	for (unsigned s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_dev *d = h->slot[s];

		if (!d)
			continue;
		for (unsigned i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].mapped)
				as_unregister(d->bar[i].type == PCI_BAR_IO ? h->cfg.pio : h->cfg.mmio,
					      d->bar[i].addr);
		d->host = NULL;
	}
	if (h->cfg.ecam_base)
		as_unregister(h->cfg.mmio, h->cfg.ecam_base);
	as_unregister(h->cfg.pio, 0xCFC);
	as_unregister(h->cfg.pio, 0xCF8);
	free(h);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * The bridge's own state: the 0xCF8 address latch, its config space, and
 * which slots assert each shared INTx input (the wired-OR the IOAPIC sees).
 * The functions behind it are saved by their owners (pci_dev_save).
 */
static int host_save(void *dev, struct state_writer *w)
{
	struct pci_host *h = dev;

	state_put_u32(w, h->s.cf8);
	pci_dev_save(&h->bridge, w);
	for (unsigned i = 0; i < 4; i++)
		state_put_u32(w, h->s.intx_slots[i]);
	return 0;
}

static int host_load(void *dev, struct state_reader *r)
{
	struct pci_host *h = dev;

	h->s.cf8 = state_get_u32(r) & 0x80fffffcu;
	pci_dev_load(&h->bridge, r);
	for (unsigned i = 0; i < 4; i++)
		h->s.intx_slots[i] = state_get_u32(r);
	return state_reader_error(r);
}

const struct dev_state_ops pci_host_state_ops = {
	.section = "pci-host", .version = 1, .save = host_save, .load = host_load,
};
