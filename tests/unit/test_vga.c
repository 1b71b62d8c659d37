// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VGA adapter (hw/vga*.c) on a real address space: the power-on text
 * mode and its rendering with the font in plane 2, the planar write and
 * read modes through the 0xA0000 window, Bochs VBE modes (and the ones that
 * must be refused: too big for VRAM, offsets past its end), the linear
 * framebuffer as RAM, and save/load.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/vga.h"
#include "hw/vga_font.h"
#include "include/hover/accel.h"
#include "include/hover/vm.h"
#include "tests/unit/state_test_util.h"

struct fixture {
	struct vm *vm;
	struct pci_host *bus;
	struct vga *vga;
};

static void no_msi(void *opaque, u64 addr, u32 data)
{
	(void)opaque;
	(void)addr;
	(void)data;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(vm_create(&f->vm, 64ULL << 20, 1, accel_find("emu")), 0);
	assert_int_equal(pci_host_create(&f->bus, &(struct pci_host_config){
		.pio = f->vm->pio, .mmio = f->vm->mmio, .mmio_base = 0xC0000000ULL,
		.mmio_size = 0x20000000ULL, .io_base = 0x1000, .io_size = 0x1000, .msi = no_msi,
	}), 0);
	assert_int_equal(vga_create(&f->vga, f->vm, f->bus, &(struct vga_config){
		.vram_size = VGA_VRAM_MIN,
	}), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vga_destroy(f->vga);
	pci_host_destroy(f->bus);
	vm_destroy(f->vm);
	free(f);
	return 0;
}

static void outb(struct fixture *f, u16 port, u8 v)
{
	as_write(f->vm->pio, port, 1, v);
}

static void vbe(struct fixture *f, unsigned index, u16 v)
{
	as_write(f->vm->pio, 0x1CE, 2, index);
	as_write(f->vm->pio, 0x1CF, 2, v);
}

static u16 vbe_get(struct fixture *f, unsigned index)
{
	u64 v;

	as_write(f->vm->pio, 0x1CE, 2, index);
	as_read(f->vm->pio, 0x1CF, 2, &v);
	return (u16)v;
}

/* Power-on: 80x25 text; 'A' white on blue in cell 0 renders the font's glyph. */
static void test_text_mode(void **state)
{
	struct fixture *f = *state;
	struct vga_mode m;
	u32 *px;
	u64 v;

	vga_get_mode(f->vga, &m);
	assert_int_equal(m.kind, VGA_KIND_TEXT);
	assert_int_equal(m.cols, 80);
	assert_int_equal(m.rows, 25);
	assert_int_equal(m.width, 720);
	assert_int_equal(m.height, 400);
	/* The window is not RAM: the device sees the write. */
	assert_null(ram_ptr(&f->vm->ram, 0xB8000, 2));
	as_write(f->vm->mmio, 0xB8000, 2, 0x1F41);
	as_read(f->vm->mmio, 0xB8000, 2, &v);
	assert_int_equal(v, 0x1F41);
	px = calloc(m.width * m.height, 4);
	vga_render(f->vga, &m, px, false);
	for (unsigned y = 0; y < 16; y++) {
		for (unsigned x = 0; x < 8; x++) {
			bool ink = vga_font8x16['A' * 16 + y] & (0x80 >> x);

			/* EGA white (63,63,63 -> 0xFF) on blue (0,0,42 -> 0xAA). */
			assert_int_equal(px[y * 720 + x], ink ? 0xFFFFFF : 0x0000AA);
		}
	}
	free(px);
}

/*
 * Mode-12h-style planar access: write mode 2 fills planes from colour bits
 * under the bit mask, the rest from the latches; read modes 0 and 1. (Odd
 * offsets: the power-on text fill left planes 0 and 1 zero there.)
 */
static void test_planar_modes(void **state)
{
	struct fixture *f = *state;
	u64 v;

	outb(f, 0x3C4, 4); outb(f, 0x3C5, 0x06);  /* sequential, not odd/even, not chain-4 */
	outb(f, 0x3C4, 2); outb(f, 0x3C5, 0x0F);  /* all planes */
	outb(f, 0x3CE, 6); outb(f, 0x3CF, 0x05);  /* graphics, A0000-AFFFF */
	outb(f, 0x3CE, 5); outb(f, 0x3CF, 0x02);  /* write mode 2 */
	outb(f, 0x3CE, 8); outb(f, 0x3CF, 0xF0);  /* bit mask: high nibble */
	as_read(f->vm->mmio, 0xA0011, 1, &v);     /* load the latches (zero) */
	as_write(f->vm->mmio, 0xA0011, 1, 0x05);  /* colour 5: planes 0 and 2 */
	outb(f, 0x3CE, 5); outb(f, 0x3CF, 0x00);  /* read mode 0 */
	for (unsigned p = 0; p < 4; p++) {
		outb(f, 0x3CE, 4); outb(f, 0x3CF, (u8)p);
		as_read(f->vm->mmio, 0xA0011, 1, &v);
		assert_int_equal(v, (p == 0 || p == 2) ? 0xF0 : 0x00);
	}
	/* Read mode 1: compare with colour 5 over all planes -> the high nibble matches. */
	outb(f, 0x3CE, 5); outb(f, 0x3CF, 0x08);
	outb(f, 0x3CE, 2); outb(f, 0x3CF, 0x05);
	outb(f, 0x3CE, 7); outb(f, 0x3CF, 0x0F);
	as_read(f->vm->mmio, 0xA0011, 1, &v);
	assert_int_equal(v, 0xF0);
	/* Write mode 1 copies the latches: another byte gets the same planes. */
	outb(f, 0x3CE, 5); outb(f, 0x3CF, 0x01);
	as_write(f->vm->mmio, 0xA0021, 1, 0);
	outb(f, 0x3CE, 5); outb(f, 0x3CF, 0x00);
	outb(f, 0x3CE, 4); outb(f, 0x3CF, 2);
	as_read(f->vm->mmio, 0xA0021, 1, &v);
	assert_int_equal(v, 0xF0);
}

/* A VBE mode, then pixels written to the linear framebuffer (RAM) come out rendered. */
static void test_vbe_lfb(void **state)
{
	struct fixture *f = *state;
	struct vga_mode m;
	u8 *lfb;
	u32 *px = calloc(640 * 480, 4);

	assert_int_equal(vbe_get(f, VBE_ID) & 0xFFF0, 0xB0C0);
	assert_int_equal(vbe_get(f, VBE_VIDEO_MEMORY_64K), VGA_VRAM_MIN >> 16);
	vbe(f, VBE_XRES, 640);
	vbe(f, VBE_YRES, 480);
	vbe(f, VBE_BPP, 32);
	vbe(f, VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
	vga_get_mode(f->vga, &m);
	assert_int_equal(m.kind, VGA_KIND_VBE);
	assert_int_equal(m.width, 640);
	assert_int_equal(m.height, 480);
	assert_int_equal(m.stride, 640 * 4);
	/* BAR0 is RAM to the engines: the same bytes as the device's VRAM. */
	lfb = ram_ptr(&f->vm->ram, f->vga->pci.bar[0].addr, VGA_VRAM_MIN);
	assert_ptr_equal(lfb, f->vga->vram);
	memcpy(lfb + 10 * 640 * 4 + 4 * 3, "\x11\x22\x33\x00", 4); /* B, G, R, X */
	vga_render_lines(f->vga, &m, px, 10, 11);
	assert_int_equal(px[10 * 640 + 3], 0x332211);
	free(px);
	/* Panning by Y offset moves the start. */
	vbe(f, VBE_Y_OFFSET, 10);
	vga_get_mode(f->vga, &m);
	assert_int_equal(m.fb_offset, 10 * 640 * 4);
}

/* What a guest may not have: a mode larger than VRAM, a start offset past its end. */
static void test_vbe_refuses(void **state)
{
	struct fixture *f = *state;
	struct vga_mode m;

	vbe(f, VBE_XRES, 2560);
	vbe(f, VBE_YRES, 1600);
	vbe(f, VBE_BPP, 32); /* 16 MB > 4 MB of VRAM */
	vbe(f, VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
	assert_int_equal(vbe_get(f, VBE_ENABLE) & VBE_ENABLED, 0);
	vga_get_mode(f->vga, &m);
	assert_int_not_equal(m.kind, VGA_KIND_VBE);

	vbe(f, VBE_XRES, 1024);
	vbe(f, VBE_YRES, 768);
	vbe(f, VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
	vga_get_mode(f->vga, &m);
	assert_int_equal(m.kind, VGA_KIND_VBE);
	vbe(f, VBE_Y_OFFSET, 1000); /* would show memory past VRAM */
	vga_get_mode(f->vga, &m);
	assert_int_equal(m.kind, VGA_KIND_OFF);
	/* Indexes past the register file and past the DAC wrap or are dropped. */
	vbe(f, 0x7777, 1);
	assert_int_equal(vbe_get(f, 0x7777), 0);
	for (unsigned i = 0; i < 1000; i++)
		outb(f, 0x3C9, 0xAA);
	outb(f, 0x3D4, 0xFF); outb(f, 0x3D5, 1);
}

static void test_save_load(void **state)
{
	struct fixture *f = *state;
	struct saved_state s;

	outb(f, 0x3D4, 0x0E); outb(f, 0x3D5, 0x12); /* cursor high */
	vbe(f, VBE_XRES, 800);
	s = state_save_one(&vga_state_ops, f->vga);
	vga_reset(f->vga);
	state_load_and_compare(&vga_state_ops, f->vga, &s);
	assert_int_equal(f->vga->s.cr[0x0E], 0x12);
	assert_int_equal(f->vga->s.vbe[VBE_XRES], 800);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planar_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vbe_lfb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vbe_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
