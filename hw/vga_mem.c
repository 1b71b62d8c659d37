// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The legacy window 0xA0000-0xBFFFF (FreeVGA "VGA Memory Organization",
 * "Graphics Controller Registers": read modes 0/1, write modes 0-3, data
 * rotate, set/reset, logical operation, bit mask, the latches).
 *
 * Which part of the window answers is Graphics Miscellaneous bits 3-2. Then
 * one of four addressings applies:
 *   VBE on: 64 KiB banks of linear VRAM (VBE_BANK);
 *   chain-4 (SR04 bit 3): A0-A1 pick the plane, the byte sits at A & ~3;
 *   odd/even (SR04 bit 2 clear): A0 picks plane 0 or 1, the byte sits at A & ~1;
 *   planar: all planes at A, through the latch/ALU pipeline on writes.
 * Plane p's byte i is vram[i * 4 + p]; plane offsets wrap at 64 KiB.
 */
#include "hw/vga.h"

#define PLANE_SIZE 0x10000u

static inline u8 *plane_byte(struct vga *v, u32 off, unsigned p)
{
	return &v->vram[((off & (PLANE_SIZE - 1)) << 2) | p];
}

/* Window offset -> offset in the mapped range, or -1 outside it. */
static long window_offset(const struct vga *v, u64 addr)
{
	switch ((v->s.gr[6] >> 2) & 3) {
	case 0: return (long)addr;                        /* A0000-BFFFF */
	case 1: return addr < 0x10000 ? (long)addr : -1;  /* A0000-AFFFF */
	case 2: return addr >= 0x10000 && addr < 0x18000 ? (long)(addr - 0x10000) : -1;
	default: return addr >= 0x18000 ? (long)(addr - 0x18000) : -1;
	}
}

static u32 bank_base(const struct vga *v)
{
	return ((u32)v->s.vbe[VBE_BANK] << 16) & (v->cfg.vram_size - 1);
}

static void load_latch(struct vga *v, u32 off)
{
	u32 l = 0;

	for (unsigned p = 0; p < 4; p++)
		l |= (u32)*plane_byte(v, off, p) << (8 * p);
	v->s.latch = l;
}

static u8 window_read(struct vga *v, u64 addr)
{
	const struct vga_state *s = &v->s;
	long a = window_offset(v, addr);

	if (a < 0)
		return 0xff;
	if (s->vbe[VBE_ENABLE] & VBE_ENABLED)
		return a < 0x10000 ? v->vram[bank_base(v) + (u32)a] : 0xff;
	if (s->sr[4] & 0x08) {
		load_latch(v, (u32)a & ~3u);
		return *plane_byte(v, (u32)a & ~3u, a & 3);
	}
	if (!(s->sr[4] & 0x04)) {
		unsigned p = (s->gr[4] & 2) | (a & 1);

		load_latch(v, (u32)a & ~1u);
		return *plane_byte(v, (u32)a & ~1u, p);
	}
	load_latch(v, (u32)a);
	if (!(s->gr[5] & 0x08))
		return *plane_byte(v, (u32)a, s->gr[4] & 3);
	/* Read mode 1: bits where every compared plane matches the colour compare value. */
	{
		u8 match = 0xff;

		for (unsigned p = 0; p < 4; p++) {
			u8 b = (u8)(s->latch >> (8 * p));
			u8 want = (s->gr[2] >> p) & 1 ? 0xff : 0x00;

			if ((s->gr[7] >> p) & 1)
				match &= (u8)~(b ^ want);
		}
		return match;
	}
}

static u8 alu(u8 data, u8 latch, unsigned op)
{
	switch (op) {
	case 1: return data & latch;
	case 2: return data | latch;
	case 3: return data ^ latch;
	default: return data;
	}
}

/* Planar write: the data each plane would receive, through write mode gr5[1:0]. */
static void planar_write(struct vga *v, u32 off, u8 val)
{
	const struct vga_state *s = &v->s;
	unsigned mode = s->gr[5] & 3, rot = s->gr[3] & 7, op = (s->gr[3] >> 3) & 3;
	u8 rotated = (u8)((val >> rot) | (val << ((8 - rot) & 7)));
	u8 mask = s->gr[8];

	if (mode == 3) {
		mask &= rotated;
	}
	for (unsigned p = 0; p < 4; p++) {
		u8 latch = (u8)(s->latch >> (8 * p)), d;

		if (!((s->sr[2] >> p) & 1))
			continue;
		switch (mode) {
		case 1:
			*plane_byte(v, off, p) = latch;
			continue;
		case 2:
			d = (val >> p) & 1 ? 0xff : 0x00;
			break;
		case 3:
			d = (s->gr[0] >> p) & 1 ? 0xff : 0x00;
			break;
		default:
			d = (s->gr[1] >> p) & 1 ? ((s->gr[0] >> p) & 1 ? 0xff : 0x00) : rotated;
			break;
		}
		d = alu(d, latch, op);
		*plane_byte(v, off, p) = (u8)((d & mask) | (latch & ~mask));
	}
}

static void window_write(struct vga *v, u64 addr, u8 val)
{
	const struct vga_state *s = &v->s;
	long a = window_offset(v, addr);

	if (a < 0)
		return;
	atomic_fetch_add_explicit(&v->legacy_gen, 1, memory_order_relaxed);
	if (s->vbe[VBE_ENABLE] & VBE_ENABLED) {
		if (a < 0x10000)
			v->vram[bank_base(v) + (u32)a] = val;
		return;
	}
	if (s->sr[4] & 0x08) {
		if ((s->sr[2] >> (a & 3)) & 1)
			*plane_byte(v, (u32)a & ~3u, a & 3) = val;
		return;
	}
	if (!(s->sr[4] & 0x04)) {
		/* Odd/even: A0 picks plane 0 or 1 (2 or 3 through the map mask's high pair). */
		if ((s->sr[2] >> (a & 1)) & 1)
			*plane_byte(v, (u32)a & ~1u, a & 1) = val;
		else if ((s->sr[2] >> (2 | (a & 1))) & 1)
			*plane_byte(v, (u32)a & ~1u, 2 | (a & 1)) = val;
		return;
	}
	planar_write(v, (u32)a, val);
}

static u64 win_read(void *opaque, u64 off, unsigned size)
{
	return window_read(opaque, off);
}

static void win_write(void *opaque, u64 off, unsigned size, u64 val)
{
	window_write(opaque, off, (u8)val);
}

/* Byte at a time: every byte may land in another plane. */
const struct io_ops vga_window_ops = {
	.read = win_read, .write = win_write, .min_access = 1, .max_access = 1,
};
