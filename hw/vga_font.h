/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IBM VGA 8x16 font (code page 437), 16 bytes a glyph, taken at build
 * time from SeaBIOS's vgabios-stdvga.bin (scripts/extract-vga-font.py): what
 * a BIOS loads into plane 2 when it sets a text mode.
 */
#ifndef HOVER_HW_VGA_FONT_H
#define HOVER_HW_VGA_FONT_H

#include "include/hover/types.h"

extern const u8 vga_font8x16[256 * 16];

#endif
