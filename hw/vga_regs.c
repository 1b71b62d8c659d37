// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VGA registers (FreeVGA's register reference: "General", "Sequencer",
 * "Graphics", "CRT Controller", "Attribute Controller", "DAC") at ports
 * 0x3B0-0x3DF, the Bochs VBE registers (vbe_display_api.txt) at 0x1CE/0x1CF,
 * and the same registers through BAR2 as QEMU's stdvga lays them out for
 * Linux's bochs DRM driver: ports 0x3C0-0x3DF at 0x400, VBE at 0x500.
 *
 * Every value here comes from the guest; indexes are masked to the arrays
 * and a VBE mode that does not fit VRAM is never enabled.
 */
#include <string.h>

#include "hw/vga.h"

#define VBE_MAX_XRES VGA_MAX_WIDTH
#define VBE_MAX_YRES VGA_MAX_HEIGHT
#define VBE_MAX_BPP 32

static void changed(struct vga *v)
{
	atomic_fetch_add_explicit(&v->legacy_gen, 1, memory_order_relaxed);
}

/* 0x3Bx ports answer in monochrome emulation, 0x3Dx in colour (misc bit 0). */
static bool crtc_port_live(const struct vga *v, u16 port)
{
	bool color = v->s.misc & 1;

	return (port >= 0x3D0) == color;
}

u32 vga_dac_rgb(const struct vga *v, u8 index)
{
	const u8 *c = &v->s.dac[(index & v->s.pel_mask) * 3];
	u32 r = c[0], g = c[1], b = c[2];

	if (!(v->s.vbe[VBE_ENABLE] & VBE_8BIT_DAC)) {
		r = ((r & 63) << 2) | ((r & 63) >> 4);
		g = ((g & 63) << 2) | ((g & 63) >> 4);
		b = ((b & 63) << 2) | ((b & 63) >> 4);
	}
	return r << 16 | g << 8 | b;
}

u8 vga_port_read(struct vga *v, u16 port)
{
	struct vga_state *s = &v->s;
	u8 val = 0xff;

	if ((port >= 0x3B0 && port < 0x3C0) || port >= 0x3D0) {
		if (!crtc_port_live(v, port))
			return 0xff;
	}
	switch (port) {
	case 0x3C0:
		val = s->ar_index;
		break;
	case 0x3C1:
		val = s->ar[s->ar_index & 0x1f];
		break;
	case 0x3C2:
		val = 0; /* input status 0: no switch sense, no pending retrace interrupt */
		break;
	case 0x3C4:
		val = s->sr_index;
		break;
	case 0x3C5:
		val = s->sr[s->sr_index & 7];
		break;
	case 0x3C6:
		val = s->pel_mask;
		break;
	case 0x3C7:
		val = s->dac_reading ? 3 : 0;
		break;
	case 0x3C8:
		val = s->dac_write;
		break;
	case 0x3C9:
		val = s->dac[s->dac_read * 3 + s->dac_sub];
		if (++s->dac_sub == 3) {
			s->dac_sub = 0;
			s->dac_read++;
		}
		break;
	case 0x3CA:
		val = s->fcr;
		break;
	case 0x3CC:
		val = s->misc;
		break;
	case 0x3CE:
		val = s->gr_index;
		break;
	case 0x3CF:
		val = s->gr[s->gr_index & 15];
		break;
	case 0x3B4:
	case 0x3D4:
		val = s->cr_index;
		break;
	case 0x3B5:
	case 0x3D5:
		val = s->cr[s->cr_index & 31];
		break;
	case 0x3BA:
	case 0x3DA:
		/*
		 * Input status 1. Reading it resets the attribute flip-flop.
		 * Display enable and vertical retrace toggle on every read, so
		 * that code waiting for either edge (vgacon, BIOSes) moves on.
		 */
		s->ar_flip = false;
		v->retrace ^= 0x09;
		val = v->retrace;
		break;
	}
	return val;
}

void vga_port_write(struct vga *v, u16 port, u8 val)
{
	struct vga_state *s = &v->s;

	if ((port >= 0x3B0 && port < 0x3C0) || port >= 0x3D0) {
		if (!crtc_port_live(v, port))
			return;
	}
	changed(v);
	switch (port) {
	case 0x3C0:
		if (!s->ar_flip) {
			s->ar_index = val & 0x3f;
		} else {
			unsigned i = s->ar_index & 0x1f;

			if (i < 0x15)
				s->ar[i] = val;
		}
		s->ar_flip = !s->ar_flip;
		break;
	case 0x3C2:
		s->misc = val;
		break;
	case 0x3C4:
		s->sr_index = val & 7;
		break;
	case 0x3C5:
		s->sr[s->sr_index & 7] = val;
		break;
	case 0x3C6:
		s->pel_mask = val;
		break;
	case 0x3C7:
		s->dac_read = val;
		s->dac_sub = 0;
		s->dac_reading = true;
		break;
	case 0x3C8:
		s->dac_write = val;
		s->dac_sub = 0;
		s->dac_reading = false;
		break;
	case 0x3C9:
		s->dac_rgb[s->dac_sub] = val;
		if (++s->dac_sub == 3) {
			memcpy(&s->dac[s->dac_write * 3], s->dac_rgb, 3);
			s->dac_sub = 0;
			s->dac_write++;
		}
		break;
	case 0x3CE:
		s->gr_index = val & 15;
		break;
	case 0x3CF:
		s->gr[s->gr_index & 15] = val;
		break;
	case 0x3B4:
	case 0x3D4:
		s->cr_index = val & 31;
		break;
	case 0x3B5:
	case 0x3D5: {
		unsigned i = s->cr_index & 31;

		/* CR11 bit 7 write-protects CR0-CR7 (but CR7's line-compare bit). */
		if ((s->cr[0x11] & 0x80) && i <= 7) {
			if (i == 7)
				s->cr[7] = (s->cr[7] & ~0x10) | (val & 0x10);
			break;
		}
		s->cr[i] = val;
		break;
	}
	case 0x3BA:
	case 0x3DA:
		s->fcr = val;
		break;
	}
}

/* ---- Bochs VBE ---- */

static unsigned bytes_pp(unsigned bpp)
{
	return (bpp + 7) / 8;
}

u16 vga_vbe_read(struct vga *v, unsigned index)
{
	const struct vga_state *s = &v->s;

	if (index >= VBE_NREGS)
		return 0;
	if (s->vbe[VBE_ENABLE] & VBE_GETCAPS) {
		switch (index) {
		case VBE_XRES: return VBE_MAX_XRES;
		case VBE_YRES: return VBE_MAX_YRES;
		case VBE_BPP: return VBE_MAX_BPP;
		}
	}
	if (index == VBE_VIDEO_MEMORY_64K)
		return (u16)(v->cfg.vram_size >> 16);
	return s->vbe[index];
}

/* The virtual height follows from VRAM and the virtual width. */
static void vbe_fit_virtual(struct vga *v)
{
	u16 *r = v->s.vbe;
	u64 line = (u64)r[VBE_VIRT_WIDTH] * bytes_pp(r[VBE_BPP]);
	u64 h = line ? v->cfg.vram_size / line : 0;

	r[VBE_VIRT_HEIGHT] = (u16)(h > 0xffff ? 0xffff : h);
}

static void vbe_enable(struct vga *v, u16 val)
{
	struct vga_state *s = &v->s;
	u16 *r = s->vbe;
	unsigned bpp = r[VBE_BPP] ? r[VBE_BPP] : 8;
	u64 need = (u64)r[VBE_XRES] * r[VBE_YRES] * bytes_pp(bpp);

	if (!(val & VBE_ENABLED)) {
		r[VBE_ENABLE] = val & (VBE_GETCAPS | VBE_8BIT_DAC);
		return;
	}
	if (r[VBE_ENABLE] & VBE_ENABLED) { /* already on: only the flags change */
		r[VBE_ENABLE] = val;
		return;
	}
	if (!r[VBE_XRES] || !r[VBE_YRES] || need > v->cfg.vram_size ||
	    (bpp != 4 && bpp != 8 && bpp != 15 && bpp != 16 && bpp != 24 && bpp != 32)) {
		r[VBE_ENABLE] = val & ~VBE_ENABLED; /* a mode that cannot be shown stays off */
		return;
	}
	r[VBE_BPP] = (u16)bpp;
	r[VBE_VIRT_WIDTH] = r[VBE_XRES];
	r[VBE_X_OFFSET] = r[VBE_Y_OFFSET] = 0;
	vbe_fit_virtual(v);
	if (!(val & VBE_NOCLEARMEM))
		memset(v->vram, 0, need);
	/* A graphics mode, window at 0xA0000 (64 KiB), chain-4: what the BIOS sets with it. */
	s->gr[6] = (s->gr[6] & ~0x0c) | 0x05;
	s->gr[5] = (s->gr[5] & ~0x70) | 0x40;
	s->sr[4] |= 0x08;
	s->sr[2] = 0x0f;
	s->cr[0x17] |= 3;
	r[VBE_ENABLE] = val;
}

void vga_vbe_write(struct vga *v, unsigned index, u16 val)
{
	u16 *r = v->s.vbe;

	if (index >= VBE_NREGS)
		return;
	changed(v);
	switch (index) {
	case VBE_ID:
		if (val >= 0xB0C0 && val <= VBE_ID5)
			r[VBE_ID] = val;
		break;
	case VBE_XRES:
		if (val <= VBE_MAX_XRES && !(val & 7))
			r[VBE_XRES] = val;
		break;
	case VBE_YRES:
		if (val <= VBE_MAX_YRES)
			r[VBE_YRES] = val;
		break;
	case VBE_BPP:
		r[VBE_BPP] = val ? val : 8;
		break;
	case VBE_ENABLE:
		vbe_enable(v, val);
		break;
	case VBE_BANK:
		r[VBE_BANK] = (u16)(val & ((v->cfg.vram_size >> 16) - 1));
		break;
	case VBE_VIRT_WIDTH:
		if (val >= r[VBE_XRES] && (u64)val * bytes_pp(r[VBE_BPP]) * r[VBE_YRES] <= v->cfg.vram_size) {
			r[VBE_VIRT_WIDTH] = val;
			vbe_fit_virtual(v);
		}
		break;
	case VBE_X_OFFSET:
	case VBE_Y_OFFSET:
		r[index] = val; /* checked against VRAM when the screen is drawn */
		break;
	default: /* VIRT_HEIGHT, VIDEO_MEMORY_64K: read-only */
		break;
	}
}

/* ---- port and MMIO dispatch ---- */

static u64 port_read(void *opaque, u64 off, unsigned size)
{
	return vga_port_read(opaque, (u16)(0x3B0 + off));
}

static void port_write(void *opaque, u64 off, unsigned size, u64 val)
{
	vga_port_write(opaque, (u16)(0x3B0 + off), (u8)val);
}

const struct io_ops vga_port_ops = {
	.read = port_read, .write = port_write, .min_access = 1, .max_access = 1,
};

static u64 vbe_port_read(void *opaque, u64 off, unsigned size)
{
	struct vga *v = opaque;

	return off == 0 ? v->s.vbe_index : vga_vbe_read(v, v->s.vbe_index);
}

static void vbe_port_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct vga *v = opaque;

	if (off == 0)
		v->s.vbe_index = (u16)val;
	else
		vga_vbe_write(v, v->s.vbe_index, (u16)val);
}

/* 0x1CE index, 0x1CF data (0x1D0 too): 16-bit accesses, as Bochs and SeaBIOS make them. */
const struct io_ops vga_vbe_port_ops = {
	.read = vbe_port_read, .write = vbe_port_write, .min_access = 2, .max_access = 2,
};

#define MMIO_VGA 0x400
#define MMIO_VBE 0x500
#define MMIO_QEXT 0x600
#define QEXT_SIZE 8
#define QEXT_LITTLE_ENDIAN 0x1e1e1e1e

static u64 mmio_read(void *opaque, u64 off, unsigned size)
{
	struct vga *v = opaque;

	if (off >= MMIO_VGA && off < MMIO_VGA + 0x20) {
		u64 val = 0;

		for (unsigned i = 0; i < size && off + i < MMIO_VGA + 0x20; i++)
			val |= (u64)vga_port_read(v, (u16)(0x3C0 + off + i - MMIO_VGA)) << (8 * i);
		return val;
	}
	if (off >= MMIO_VBE && off < MMIO_VBE + 2 * VBE_NREGS)
		return vga_vbe_read(v, (unsigned)(off - MMIO_VBE) / 2);
	if (off == MMIO_QEXT)
		return QEXT_SIZE;
	if (off == MMIO_QEXT + 4 || off == MMIO_QEXT + 6) /* split into 16-bit halves */
		return QEXT_LITTLE_ENDIAN & 0xffff;
	return 0; /* 0x000-0x3FF: no EDID (the guest falls back to its default modes) */
}

static void mmio_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct vga *v = opaque;

	if (off >= MMIO_VGA && off < MMIO_VGA + 0x20) {
		for (unsigned i = 0; i < size && off + i < MMIO_VGA + 0x20; i++)
			vga_port_write(v, (u16)(0x3C0 + off + i - MMIO_VGA), (u8)(val >> (8 * i)));
		return;
	}
	if (off >= MMIO_VBE && off < MMIO_VBE + 2 * VBE_NREGS)
		vga_vbe_write(v, (unsigned)(off - MMIO_VBE) / 2, (u16)val);
}

const struct io_ops vga_mmio_ops = {
	.read = mmio_read, .write = mmio_write, .min_access = 1, .max_access = 2,
};
