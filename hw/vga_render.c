// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the adapter shows, as XRGB8888 pixels (FreeVGA: CRTC timing and
 * addressing, Attribute Controller palette, "Text Mode" character cells).
 *
 * Geometry comes from the CRT controller as a monitor would take it: the
 * horizontal display end (CR01) in character clocks of 8 or 9 dots (SR01
 * bit 0), the vertical display end (CR12 and its overflow bits in CR07),
 * the maximum scan line (CR09) for cell height or line doubling, the start
 * address (CR0C/CR0D), the offset (CR13) between lines, and byte, word or
 * doubleword addressing (CR17 bit 6, CR14 bit 6). Text glyphs come from
 * plane 2, where the BIOS (or vga_reset, for a directly booted kernel) or
 * the guest put the font, chosen per cell by the character map select
 * (SR03). Colours go through the attribute palette and the DAC.
 *
 * Every register is the guest's: sizes are clamped to VGA_MAX_*, plane
 * addresses wrap at 64 KiB, and a VBE mode that would read past VRAM shows
 * nothing.
 */
#include <string.h>

#include "hw/vga.h"

static unsigned vde(const struct vga_state *s)
{
	return (s->cr[0x12] | ((s->cr[7] & 0x02) << 7) | ((s->cr[7] & 0x40) << 3)) + 1;
}

/* CRTC memory address -> plane offset, by byte/word/doubleword addressing. */
static unsigned addr_shift(const struct vga_state *s)
{
	if (s->cr[0x14] & 0x40)
		return 2;
	return (s->cr[0x17] & 0x40) ? 0 : 1;
}

void vga_get_mode(const struct vga *v, struct vga_mode *m)
{
	const struct vga_state *s = &v->s;
	const u16 *r = s->vbe;

	memset(m, 0, sizeof(*m));
	if (r[VBE_ENABLE] & VBE_ENABLED) {
		unsigned bpp = r[VBE_BPP], bytes = (bpp + 7) / 8;
		u64 stride = (u64)r[VBE_VIRT_WIDTH] * bytes;
		u64 off = (u64)r[VBE_Y_OFFSET] * stride + (u64)r[VBE_X_OFFSET] * bytes;

		m->width = r[VBE_XRES];
		m->height = r[VBE_YRES];
		if (bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32) {
			m->kind = VGA_KIND_VBE;
			m->bpp = bpp;
			m->stride = stride;
			m->fb_offset = off;
		}
		if (!m->width || !m->height || m->width > VGA_MAX_WIDTH || m->height > VGA_MAX_HEIGHT ||
		    off + stride * (m->height - 1) + (u64)m->width * bytes > v->cfg.vram_size) {
			m->kind = VGA_KIND_OFF;
			m->width = m->width && m->width <= VGA_MAX_WIDTH ? m->width : 640;
			m->height = m->height && m->height <= VGA_MAX_HEIGHT ? m->height : 480;
		}
		return;
	}
	if (s->gr[6] & 1) { /* graphics */
		unsigned scan = (s->cr[9] & 0x1f) + 1;

		if (s->cr[9] & 0x80)
			scan *= 2;
		m->kind = (s->gr[5] & 0x40) ? VGA_KIND_CHAIN4 : VGA_KIND_PLANAR;
		m->width = (s->cr[1] + 1u) * (m->kind == VGA_KIND_CHAIN4 ? 4 : 8);
		m->height = vde(s) / scan;
	} else {
		m->kind = VGA_KIND_TEXT;
		m->cell_w = (s->sr[1] & 1) ? 8 : 9;
		m->cell_h = (s->cr[9] & 0x1f) + 1;
		m->cols = s->cr[1] + 1u;
		m->rows = vde(s) / m->cell_h;
		m->width = m->cols * m->cell_w;
		m->height = m->rows * m->cell_h;
	}
	if (m->width > VGA_MAX_WIDTH || m->height > VGA_MAX_HEIGHT || !m->width || !m->height) {
		m->kind = VGA_KIND_OFF;
		m->width = 640;
		m->height = 480;
	}
	/* The screen is blanked: SR01 bit 5, or the attribute controller's palette source off. */
	if ((s->sr[1] & 0x20) || !(s->ar_index & 0x20))
		m->kind = VGA_KIND_OFF;
}

static inline u8 plane(const struct vga *v, u32 off, unsigned p)
{
	return v->vram[((off & 0xffff) << 2) | p];
}

/* Attribute palette entry -> DAC index (AR10 bit 7 and AR14 colour select). */
static u8 attr_to_dac(const struct vga_state *s, u8 a)
{
	u8 e = s->ar[a & 15];
	u8 hi = (u8)((s->ar[0x14] & 0x0c) << 4);

	if (s->ar[0x10] & 0x80)
		return hi | (u8)((s->ar[0x14] & 3) << 4) | (e & 15);
	return hi | (e & 0x3f);
}

static void palette16(const struct vga *v, u32 pal[16])
{
	for (unsigned i = 0; i < 16; i++)
		pal[i] = vga_dac_rgb(v, attr_to_dac(&v->s, (u8)i));
}

/* Plane 2 offset of a character's glyph, by SR03's map A (attr bit 3 set) or B. */
static u32 glyph_base(const struct vga_state *s, u8 attr)
{
	u8 sr3 = s->sr[3];
	unsigned sel = (attr & 8) ? (((sr3 >> 2) & 3) | ((sr3 >> 3) & 4))
				  : ((sr3 & 3) | ((sr3 >> 2) & 4));

	return (sel & 3) * 0x4000u + (sel >> 2) * 0x2000u;
}

static void render_text(const struct vga *v, const struct vga_mode *m, u32 *buf, bool blink_on)
{
	const struct vga_state *s = &v->s;
	unsigned shift = addr_shift(s);
	u32 start = (u32)s->cr[0x0c] << 8 | s->cr[0x0d];
	u32 cursor = (u32)s->cr[0x0e] << 8 | s->cr[0x0f];
	u32 line_words = (u32)s->cr[0x13] * 2;
	unsigned cur_start = s->cr[0x0a] & 0x1f, cur_end = s->cr[0x0b] & 0x1f;
	bool cur_on = blink_on && !(s->cr[0x0a] & 0x20);
	bool blink_attr = s->ar[0x10] & 0x08, line_gfx = s->ar[0x10] & 0x04;
	u32 pal[16];

	palette16(v, pal);
	for (unsigned row = 0; row < m->rows; row++) {
		for (unsigned col = 0; col < m->cols; col++) {
			u32 ma = start + row * line_words + col;
			u32 off = ma << shift;
			u8 ch = plane(v, off, 0), attr = plane(v, off, 1);
			u32 fg = pal[attr & 15], bg = pal[(attr >> 4) & (blink_attr ? 7 : 15)];
			u32 gbase = glyph_base(s, attr) + ch * 32u;
			bool is_cursor = cur_on && (ma & 0xffff) == (cursor & 0xffff);

			if (blink_attr && (attr & 0x80) && !blink_on)
				fg = bg;
			for (unsigned y = 0; y < m->cell_h; y++) {
				u8 bits = plane(v, gbase + y, 2);
				u32 *px = buf + (row * m->cell_h + y) * m->width + col * m->cell_w;

				if (is_cursor && y >= cur_start && y <= cur_end)
					bits = 0xff;
				for (unsigned x = 0; x < 8; x++)
					px[x] = (bits & (0x80 >> x)) ? fg : bg;
				if (m->cell_w == 9) /* the 9th dot repeats the 8th for line-drawing characters */
					px[8] = (line_gfx && ch >= 0xC0 && ch <= 0xDF && (bits & 1)) ||
							(is_cursor && y >= cur_start && y <= cur_end) ? fg : bg;
			}
		}
	}
}

static void render_graphics(const struct vga *v, const struct vga_mode *m, u32 *buf)
{
	const struct vga_state *s = &v->s;
	unsigned shift = addr_shift(s);
	u32 start = (u32)s->cr[0x0c] << 8 | s->cr[0x0d];
	u32 line = (u32)s->cr[0x13] * 2;
	u32 pal[16];

	palette16(v, pal);
	for (unsigned y = 0; y < m->height; y++) {
		u32 base = (start + y * line) << shift;
		u32 *px = buf + y * m->width;

		if (m->kind == VGA_KIND_CHAIN4) {
			for (unsigned x = 0; x < m->width; x++) {
				u32 a = base + x;

				px[x] = vga_dac_rgb(v, plane(v, a & ~3u, a & 3));
			}
			continue;
		}
		for (unsigned x = 0; x < m->width; x++) {
			u32 a = base + x / 8;
			unsigned bit = 7 - (x & 7);
			u8 c = 0;

			for (unsigned p = 0; p < 4; p++)
				c |= (u8)(((plane(v, a, p) >> bit) & 1) << p);
			px[x] = pal[c & s->ar[0x12] & 15];
		}
	}
}

void vga_render_lines(const struct vga *v, const struct vga_mode *m, u32 *buf, unsigned y0,
		      unsigned y1)
{
	if (m->kind != VGA_KIND_VBE) {
		return;
	}
	for (unsigned y = y0; y < y1 && y < m->height; y++) {
		const u8 *src = v->vram + m->fb_offset + y * m->stride;
		u32 *px = buf + (u64)y * m->width;

		switch (m->bpp) {
		case 32:
			for (unsigned x = 0; x < m->width; x++)
				px[x] = (u32)src[4 * x] | (u32)src[4 * x + 1] << 8 | (u32)src[4 * x + 2] << 16;
			break;
		case 24:
			for (unsigned x = 0; x < m->width; x++)
				px[x] = (u32)src[3 * x] | (u32)src[3 * x + 1] << 8 | (u32)src[3 * x + 2] << 16;
			break;
		case 16:
			for (unsigned x = 0; x < m->width; x++) {
				u16 c = (u16)(src[2 * x] | src[2 * x + 1] << 8);
				u32 r = (c >> 11) & 31, g = (c >> 5) & 63, b = c & 31;

				px[x] = (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
			}
			break;
		case 15:
			for (unsigned x = 0; x < m->width; x++) {
				u16 c = (u16)(src[2 * x] | src[2 * x + 1] << 8);
				u32 r = (c >> 10) & 31, g = (c >> 5) & 31, b = c & 31;

				px[x] = (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
			}
			break;
		default: /* 8: through the DAC */
			for (unsigned x = 0; x < m->width; x++)
				px[x] = vga_dac_rgb(v, src[x]);
			break;
		}
	}
}

void vga_render(const struct vga *v, const struct vga_mode *m, u32 *buf, bool blink_on)
{
	switch (m->kind) {
	case VGA_KIND_TEXT:
		render_text(v, m, buf, blink_on);
		break;
	case VGA_KIND_PLANAR:
	case VGA_KIND_CHAIN4:
		render_graphics(v, m, buf);
		break;
	case VGA_KIND_VBE:
		vga_render_lines(v, m, buf, 0, m->height);
		break;
	default:
		memset(buf, 0, (size_t)m->width * m->height * 4);
		break;
	}
}
