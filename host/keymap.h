/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * X keysyms (what a VNC viewer sends, RFC 6143 7.5.4: the symbol the user's
 * own layout produced) to PC keys (scan code set 1, | KEYMAP_E0 for
 * E0-prefixed keys) for the layout the guest uses. A character key names the
 * modifiers it needs in that layout (shift, AltGr), so that a viewer that
 * sends '>' without shift still types '>' in the guest: the VNC server
 * presses and releases the missing modifier around it.
 */
#ifndef HOVER_HOST_KEYMAP_H
#define HOVER_HOST_KEYMAP_H

#include "include/hover/types.h"

#define KEYMAP_E0 0x100
#define KEYMAP_SHIFT 1
#define KEYMAP_ALTGR 2

/* Modifier keys, to press them around a key. */
#define KEY_LSHIFT 0x2A
#define KEY_RSHIFT 0x36
#define KEY_ALTGR (KEYMAP_E0 | 0x38)

struct keymap;

/* "us", "de"; NULL if unknown. */
const struct keymap *keymap_find(const char *name);
/* The key for keysym and the modifiers the character needs; false: no such key. */
bool keymap_lookup(const struct keymap *km, u32 keysym, u16 *key, u8 *mods);

#endif
