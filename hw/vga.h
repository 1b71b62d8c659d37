/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The standard VGA with the Bochs VBE extensions, as a PCI display adapter
 * (1234:1111, class 0300) that SeaBIOS's vgabios-stdvga, Linux's vgacon and
 * its bochs DRM driver, and OVMF's QemuVideoDxe drive.
 *
 *   BAR0  the linear framebuffer: all of VRAM (16 MiB by default), mapped
 *         like RAM (a device region of guest_ram) so that guest writes go
 *         straight to memory and dirty logging tells which pages changed
 *   BAR2  4 KiB MMIO: VGA ports 0x3C0-0x3DF at 0x400, the VBE registers
 *         at 0x500 (16-bit, index * 2), QEMU's extension block at 0x600
 *   legacy ports 0x3B0-0x3DF, VBE index/data at 0x1CE/0x1CF, and the
 *         0xA0000-0xBFFFF window (planar, odd/even, chain-4, VBE banks)
 *
 * Files: vga.c (device, PCI, state), vga_regs.c (registers and ports),
 * vga_mem.c (the legacy window's planar memory), vga_render.c (the current
 * mode into XRGB8888 pixels, text with the font in plane 2).
 *
 * VRAM holds the four 64 KiB planes interleaved in its first 256 KiB (plane
 * p's byte i at vram[i * 4 + p]), so chain-4 mode 13h is linear in VRAM, as
 * on QEMU's stdvga. VRAM is guest-visible memory: it is saved with RAM (its
 * region of guest_ram), the registers in section "vga".
 */
#ifndef HOVER_HW_VGA_H
#define HOVER_HW_VGA_H

#include <stdatomic.h>

#include "include/hover/pci.h"
#include "include/hover/state.h"
#include "include/hover/types.h"

#define VGA_VRAM_DEFAULT (16u << 20)
#define VGA_VRAM_MIN (4u << 20)
#define VGA_VRAM_MAX (256u << 20)
#define VGA_WINDOW_BASE 0xA0000u
#define VGA_WINDOW_SIZE 0x20000u
#define VGA_MAX_WIDTH 2560
#define VGA_MAX_HEIGHT 1600

/* Bochs VBE (vbe_display_api): register indexes and ENABLE bits. */
enum {
	VBE_ID, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH,
	VBE_VIRT_HEIGHT, VBE_X_OFFSET, VBE_Y_OFFSET, VBE_VIDEO_MEMORY_64K, VBE_NREGS
};
#define VBE_ID5 0xB0C5
#define VBE_ENABLED 0x01
#define VBE_GETCAPS 0x02
#define VBE_8BIT_DAC 0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM 0x80

/* What the guest programmed; VRAM is not here (it is a RAM region). */
struct vga_state {
	u8 misc;       /* miscellaneous output (0x3C2 / 0x3CC) */
	u8 fcr;        /* feature control */
	u8 sr_index, sr[8];   /* sequencer */
	u8 gr_index, gr[16];  /* graphics controller */
	u8 cr_index, cr[32];  /* CRT controller */
	u8 ar_index;          /* attribute controller: index (bit 5: palette enabled) */
	bool ar_flip;         /* false: next 0x3C0 write is an index */
	u8 ar[32];
	u8 dac_read, dac_write, dac_sub; /* DAC indexes and which of R, G, B is next */
	bool dac_reading;                /* 0x3C7 state */
	u8 dac_rgb[3];                   /* colour being written */
	u8 pel_mask;
	u8 dac[256 * 3]; /* 6-bit (8-bit with VBE_8BIT_DAC) R, G, B */
	u32 latch;       /* the four planes' latches, plane p in byte p */
	u16 vbe_index;
	u16 vbe[VBE_NREGS];
};

struct vga_config {
	u32 vram_size; /* power of two, VGA_VRAM_MIN..VGA_VRAM_MAX */
	/* The option ROM (vgabios-stdvga.bin), or NULL/0 for none. Copied. */
	const u8 *rom;
	size_t rom_len;
};

/* How the screen is laid out now (vga_get_mode). */
enum vga_mode_kind {
	VGA_KIND_OFF,    /* blanked, or nothing sensible programmed */
	VGA_KIND_TEXT,   /* alphanumeric: cells from planes 0/1, glyphs from plane 2 */
	VGA_KIND_PLANAR, /* 16 colours from four planes (mode 12h) */
	VGA_KIND_CHAIN4, /* 256 colours, one byte a pixel (mode 13h) */
	VGA_KIND_VBE,    /* VBE: packed pixels in VRAM (the linear framebuffer) */
};

struct vga_mode {
	enum vga_mode_kind kind;
	unsigned width, height;
	unsigned bpp;    /* VBE: 8, 15, 16, 24 or 32 */
	u64 fb_offset;   /* VBE: byte of VRAM at the top-left pixel */
	u64 stride;      /* VBE: bytes a line */
	unsigned cols, rows, cell_w, cell_h; /* text */
};

struct vga {
	struct pci_dev pci;
	struct vga_state s;
	struct vga_config cfg;
	struct vm *vm;
	u8 *vram;           /* the RAM region's host mapping */
	unsigned vram_region; /* its guest_ram index (dirty logging) */
	u8 *rom;
	/* Bumped on every change the legacy modes show (window writes, registers):
	 * a viewer re-renders those small modes only when it moved. Not state. */
	_Atomic u32 legacy_gen;
	bool ports_attached;
	u8 retrace; /* input status 1's toggling bits; not state */
};

/*
 * Create the adapter, plug it into the PCI bus, map VRAM at BAR0 as a
 * device RAM region of vm, claim the legacy ports and window. -errno.
 */
int vga_create(struct vga **out, struct vm *vm, struct pci_host *bus,
	       const struct vga_config *cfg) HOVER_WUR;
void vga_destroy(struct vga *v);
/* Registers as a BIOS leaves them after setting mode 3 (80x25 text), font in plane 2. */
void vga_reset(struct vga *v);

/* ---- for viewers (vm->lock held) ---- */
void vga_get_mode(const struct vga *v, struct vga_mode *m);
/*
 * Render the whole screen of mode m into buf (XRGB8888, m->width x
 * m->height, stride m->width * 4). The text cursor is drawn when blink_on.
 */
void vga_render(const struct vga *v, const struct vga_mode *m, u32 *buf, bool blink_on);
/* VBE modes: lines [y0, y1) only. */
void vga_render_lines(const struct vga *v, const struct vga_mode *m, u32 *buf, unsigned y0,
		      unsigned y1);

/* ---- inside hw/vga*.c ---- */
extern const struct io_ops vga_port_ops;   /* 0x3B0-0x3DF, offset from 0x3B0 */
extern const struct io_ops vga_vbe_port_ops; /* 0x1CE-0x1CF */
extern const struct io_ops vga_mmio_ops;   /* BAR2 */
extern const struct io_ops vga_window_ops; /* 0xA0000-0xBFFFF */
u8 vga_port_read(struct vga *v, u16 port);
void vga_port_write(struct vga *v, u16 port, u8 val);
u16 vga_vbe_read(struct vga *v, unsigned index);
void vga_vbe_write(struct vga *v, unsigned index, u16 val);
void vga_load_font(struct vga *v);
/* One colour of the DAC as XRGB8888. */
u32 vga_dac_rgb(const struct vga *v, u8 index);

/* Section "vga": the registers above; VRAM travels with RAM. */
extern const struct dev_state_ops vga_state_ops;

#endif
