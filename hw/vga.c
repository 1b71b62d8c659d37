// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VGA adapter as a device: PCI function 1234:1111 (class 0300, as QEMU's
 * stdvga, so Linux's bochs DRM driver and OVMF's QemuVideoDxe bind to it),
 * its VRAM as a device RAM region behind BAR0, the legacy ports and window,
 * the power-on register state, and save/load (section "vga").
 *
 * Reset: a directly booted kernel finds no BIOS that set a mode, so the
 * registers start as after INT 10h mode 3 (80x25 colour text, 9x16 cells,
 * the register values FreeVGA lists for that mode) with the 8x16 font in
 * plane 2, where text rendering takes glyphs from.
 *
 * BAR0: VRAM is mapped like RAM at the address hover assigned to BAR0, so
 * the engines write it without a trap and dirty logging (core/dirty_log.c)
 * reports the pages written. The BAR's MMIO ops serve the same memory should
 * the guest move the BAR (slower: each access traps).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/vga.h"
#include "hw/vga_font.h"
#include "include/hover/vm.h"

#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111
#define VGA_PCI_CLASS 0x030000
#define VGA_PCI_REVISION 2 /* with QEMU's extension block at BAR2 0x600 */
#define VGA_MMIO_SIZE 0x1000
#define VBE_PORT 0x1CE

/* FreeVGA, mode 3 (80x25 text, 720x400). */
static const u8 mode3_sr[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const u8 mode3_gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF };
static const u8 mode3_cr[25] = {
	0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
	0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
};
static const u8 mode3_ar[21] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
	0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00,
};

/* The 64 EGA colours: bits 2,1,0 = R,G,B at 2/3, bits 5,4,3 = R,G,B at 1/3 (6-bit DAC). */
static void ega_palette(u8 *dac)
{
	for (unsigned i = 0; i < 64; i++) {
		dac[i * 3 + 0] = (u8)(((i >> 2) & 1) * 42 + ((i >> 5) & 1) * 21);
		dac[i * 3 + 1] = (u8)(((i >> 1) & 1) * 42 + ((i >> 4) & 1) * 21);
		dac[i * 3 + 2] = (u8)(((i >> 0) & 1) * 42 + ((i >> 3) & 1) * 21);
	}
}

/* The font into plane 2, 32 bytes per glyph as the BIOS loads it (map 0). */
void vga_load_font(struct vga *v)
{
	for (unsigned c = 0; c < 256; c++)
		for (unsigned y = 0; y < 32; y++)
			v->vram[((c * 32 + y) << 2) | 2] = y < 16 ? vga_font8x16[c * 16 + y] : 0;
}

void vga_reset(struct vga *v)
{
	struct vga_state *s = &v->s;

	memset(s, 0, sizeof(*s));
	s->misc = 0x67;
	memcpy(s->sr, mode3_sr, sizeof(mode3_sr));
	memcpy(s->gr, mode3_gr, sizeof(mode3_gr));
	memcpy(s->cr, mode3_cr, sizeof(mode3_cr));
	memcpy(s->ar, mode3_ar, sizeof(mode3_ar));
	s->ar_index = 0x20; /* palette address source on: the screen shows */
	s->pel_mask = 0xff;
	ega_palette(s->dac);
	s->vbe[VBE_ID] = VBE_ID5;
	s->vbe[VBE_BPP] = 8;
	memset(v->vram, 0, 0x40000);
	/* A blank screen of grey-on-black spaces, as after the BIOS's mode set. */
	for (unsigned i = 0; i < 0x4000; i += 2) {
		v->vram[(i << 2) | 0] = ' ';
		v->vram[(i << 2) | 1] = 0x07;
	}
	vga_load_font(v);
	atomic_fetch_add(&v->legacy_gen, 1);
}

/* ---- BAR0 through MMIO: only when the guest moved it off the RAM mapping ---- */

static u64 lfb_read(void *opaque, u64 off, unsigned size)
{
	struct vga *v = opaque;
	u64 val = 0;

	if (off + size > v->cfg.vram_size)
		return ~0ULL;
	memcpy(&val, v->vram + off, size);
	return val;
}

static void lfb_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct vga *v = opaque;
	const struct ram_region *r = &v->vm->ram.region[v->vram_region];

	if (off + size > v->cfg.vram_size)
		return;
	memcpy(v->vram + off, &val, size);
	vm_dirty_mark(v->vm, r->gpa + off, size);
}

static const struct io_ops lfb_ops = {
	.read = lfb_read, .write = lfb_write, .min_access = 1, .max_access = 8,
};

int vga_create(struct vga **out, struct vm *vm, struct pci_host *bus, const struct vga_config *cfg)
{
	struct vga *v;
	int ret;

	if (cfg->vram_size < VGA_VRAM_MIN || cfg->vram_size > VGA_VRAM_MAX ||
	    (cfg->vram_size & (cfg->vram_size - 1)))
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->cfg = *cfg;
	v->cfg.rom = NULL;
	pci_dev_init(&v->pci, "vga", VGA_PCI_VENDOR, VGA_PCI_DEVICE, VGA_PCI_CLASS, VGA_PCI_REVISION,
		     0x1af4, 0x1100);
	ret = pci_bar_init(&v->pci, 0, PCI_BAR_MEM32, cfg->vram_size, &lfb_ops, v);
	if (ret == 0)
		ret = pci_bar_init(&v->pci, 2, PCI_BAR_MEM32, VGA_MMIO_SIZE, &vga_mmio_ops, v);
	if (ret)
		goto err_free;
	ret = pci_host_add(bus, &v->pci);
	if (ret)
		goto err_free;
	if (!v->pci.bar[0].mapped) {
		ret = -ENOSPC;
		goto err_unplug;
	}
	ret = vm_ram_add_device(vm, v->pci.bar[0].addr, cfg->vram_size, &v->vram_region);
	if (ret)
		goto err_unplug;
	v->vram = vm->ram.region[v->vram_region].hva;
	ret = as_register(vm->pio, 0x3B0, 0x30, &vga_port_ops, v);
	if (ret)
		goto err_unplug;
	/* 16-bit index at 0x1CE, 16-bit data at 0x1CF (and 0x1D0, as Bochs aliases it). */
	ret = as_register(vm->pio, VBE_PORT, 3, &vga_vbe_port_ops, v);
	if (ret)
		goto err_ports;
	ret = as_register(vm->mmio, VGA_WINDOW_BASE, VGA_WINDOW_SIZE, &vga_window_ops, v);
	if (ret)
		goto err_vbe;
	ram_set_hole(&vm->ram, VGA_WINDOW_BASE, VGA_WINDOW_SIZE);
	v->ports_attached = true;
	vga_reset(v);
	*out = v;
	return 0;

err_vbe:
	as_unregister(vm->pio, VBE_PORT);
err_ports:
	as_unregister(vm->pio, 0x3B0);
err_unplug:
	pci_host_remove(&v->pci);
err_free:
	free(v);
	return ret;
}

/* The VRAM region stays with guest RAM (freed by vm_destroy). */
void vga_destroy(struct vga *v)
{
	if (!v)
		return;
	if (v->ports_attached) {
		ram_set_hole(&v->vm->ram, 0, 0);
		as_unregister(v->vm->mmio, VGA_WINDOW_BASE);
		as_unregister(v->vm->pio, VBE_PORT);
		as_unregister(v->vm->pio, 0x3B0);
	}
	pci_host_remove(&v->pci);
	free(v->rom);
	free(v);
}

/* ---- state ---- */

static int vga_save(void *dev, struct state_writer *w)
{
	const struct vga *v = dev;
	const struct vga_state *s = &v->s;

	pci_dev_save(&v->pci, w);
	state_put_u32(w, v->cfg.vram_size);
	state_put_u8(w, s->misc);
	state_put_u8(w, s->fcr);
	state_put_u8(w, s->sr_index);
	state_put_bytes(w, s->sr, sizeof(s->sr));
	state_put_u8(w, s->gr_index);
	state_put_bytes(w, s->gr, sizeof(s->gr));
	state_put_u8(w, s->cr_index);
	state_put_bytes(w, s->cr, sizeof(s->cr));
	state_put_u8(w, s->ar_index);
	state_put_bool(w, s->ar_flip);
	state_put_bytes(w, s->ar, sizeof(s->ar));
	state_put_u8(w, s->dac_read);
	state_put_u8(w, s->dac_write);
	state_put_u8(w, s->dac_sub);
	state_put_bool(w, s->dac_reading);
	state_put_bytes(w, s->dac_rgb, sizeof(s->dac_rgb));
	state_put_u8(w, s->pel_mask);
	state_put_bytes(w, s->dac, sizeof(s->dac));
	state_put_u32(w, s->latch);
	state_put_u16(w, s->vbe_index);
	for (unsigned i = 0; i < VBE_NREGS; i++)
		state_put_u16(w, s->vbe[i]);
	return state_writer_error(w);
}

static int vga_load(void *dev, struct state_reader *r)
{
	struct vga *v = dev;
	struct vga_state *s = &v->s;
	u32 vram;

	pci_dev_load(&v->pci, r);
	vram = state_get_u32(r);
	if (vram != v->cfg.vram_size)
		return state_reader_fail(r, "VRAM of %u MiB, this machine has %u MiB", vram >> 20,
					 v->cfg.vram_size >> 20);
	s->misc = state_get_u8(r);
	s->fcr = state_get_u8(r);
	s->sr_index = state_get_u8(r) & 7;
	state_get_bytes(r, s->sr, sizeof(s->sr));
	s->gr_index = state_get_u8(r) & 15;
	state_get_bytes(r, s->gr, sizeof(s->gr));
	s->cr_index = state_get_u8(r) & 31;
	state_get_bytes(r, s->cr, sizeof(s->cr));
	s->ar_index = state_get_u8(r) & 0x3f;
	s->ar_flip = state_get_bool(r);
	state_get_bytes(r, s->ar, sizeof(s->ar));
	s->dac_read = state_get_u8(r);
	s->dac_write = state_get_u8(r);
	s->dac_sub = state_get_u8(r);
	s->dac_reading = state_get_bool(r);
	state_get_bytes(r, s->dac_rgb, sizeof(s->dac_rgb));
	s->pel_mask = state_get_u8(r);
	state_get_bytes(r, s->dac, sizeof(s->dac));
	s->latch = state_get_u32(r);
	s->vbe_index = state_get_u16(r);
	for (unsigned i = 0; i < VBE_NREGS; i++)
		s->vbe[i] = state_get_u16(r);
	if (s->dac_sub > 2)
		return state_reader_fail(r, "DAC component %u (0 to 2)", s->dac_sub);
	atomic_fetch_add(&v->legacy_gen, 1);
	return state_reader_error(r);
}

const struct dev_state_ops vga_state_ops = {
	.section = "vga", .version = 1, .save = vga_save, .load = vga_load,
};
