// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keyboard layouts for the VNC server (keymap.h). Keysym values are X11's
 * (keysymdef.h): Latin-1 characters are their code points, function keys
 * 0xFFxx, dead keys 0xFE5x. Key numbers are scan code set 1 make codes
 * (IBM PC keyboard positions), the same for every layout; what a layout
 * changes is which character each position and modifier produces.
 */
#include <string.h>

#include "host/keymap.h"

/* One key position of a layout: the keysym it gives plain, with shift, with AltGr. */
struct keypos {
	u8 key;
	u32 plain, shift, altgr;
};

struct keymap {
	const char *name;
	const struct keypos *pos;
	unsigned n;
};

static const struct keypos us_keys[] = {
	{ 0x02, '1', '!', 0 }, { 0x03, '2', '@', 0 }, { 0x04, '3', '#', 0 }, { 0x05, '4', '$', 0 },
	{ 0x06, '5', '%', 0 }, { 0x07, '6', '^', 0 }, { 0x08, '7', '&', 0 }, { 0x09, '8', '*', 0 },
	{ 0x0A, '9', '(', 0 }, { 0x0B, '0', ')', 0 }, { 0x0C, '-', '_', 0 }, { 0x0D, '=', '+', 0 },
	{ 0x10, 'q', 'Q', 0 }, { 0x11, 'w', 'W', 0 }, { 0x12, 'e', 'E', 0 }, { 0x13, 'r', 'R', 0 },
	{ 0x14, 't', 'T', 0 }, { 0x15, 'y', 'Y', 0 }, { 0x16, 'u', 'U', 0 }, { 0x17, 'i', 'I', 0 },
	{ 0x18, 'o', 'O', 0 }, { 0x19, 'p', 'P', 0 }, { 0x1A, '[', '{', 0 }, { 0x1B, ']', '}', 0 },
	{ 0x1E, 'a', 'A', 0 }, { 0x1F, 's', 'S', 0 }, { 0x20, 'd', 'D', 0 }, { 0x21, 'f', 'F', 0 },
	{ 0x22, 'g', 'G', 0 }, { 0x23, 'h', 'H', 0 }, { 0x24, 'j', 'J', 0 }, { 0x25, 'k', 'K', 0 },
	{ 0x26, 'l', 'L', 0 }, { 0x27, ';', ':', 0 }, { 0x28, '\'', '"', 0 }, { 0x29, '`', '~', 0 },
	{ 0x2B, '\\', '|', 0 }, { 0x2C, 'z', 'Z', 0 }, { 0x2D, 'x', 'X', 0 }, { 0x2E, 'c', 'C', 0 },
	{ 0x2F, 'v', 'V', 0 }, { 0x30, 'b', 'B', 0 }, { 0x31, 'n', 'N', 0 }, { 0x32, 'm', 'M', 0 },
	{ 0x33, ',', '<', 0 }, { 0x34, '.', '>', 0 }, { 0x35, '/', '?', 0 }, { 0x39, ' ', 0, 0 },
};

/* German (de, QWERTZ, as Linux's and X's "de" layout). */
static const struct keypos de_keys[] = {
	{ 0x02, '1', '!', 0xB9 }, { 0x03, '2', '"', 0xB2 }, { 0x04, '3', 0xA7, 0xB3 },
	{ 0x05, '4', '$', 0 }, { 0x06, '5', '%', 0 }, { 0x07, '6', '&', 0 },
	{ 0x08, '7', '/', '{' }, { 0x09, '8', '(', '[' }, { 0x0A, '9', ')', ']' },
	{ 0x0B, '0', '=', '}' }, { 0x0C, 0xDF, '?', '\\' }, { 0x0D, 0xFE51, 0xFE50, 0 },
	{ 0x10, 'q', 'Q', '@' }, { 0x11, 'w', 'W', 0 }, { 0x12, 'e', 'E', 0x20AC },
	{ 0x13, 'r', 'R', 0 }, { 0x14, 't', 'T', 0 }, { 0x15, 'z', 'Z', 0 }, { 0x16, 'u', 'U', 0 },
	{ 0x17, 'i', 'I', 0 }, { 0x18, 'o', 'O', 0 }, { 0x19, 'p', 'P', 0 },
	{ 0x1A, 0xFC, 0xDC, 0 }, { 0x1B, '+', '*', '~' }, { 0x1E, 'a', 'A', 0 },
	{ 0x1F, 's', 'S', 0 }, { 0x20, 'd', 'D', 0 }, { 0x21, 'f', 'F', 0 }, { 0x22, 'g', 'G', 0 },
	{ 0x23, 'h', 'H', 0 }, { 0x24, 'j', 'J', 0 }, { 0x25, 'k', 'K', 0 }, { 0x26, 'l', 'L', 0 },
	{ 0x27, 0xF6, 0xD6, 0 }, { 0x28, 0xE4, 0xC4, 0 }, { 0x29, 0xFE52, 0xB0, 0 },
	{ 0x2B, '#', '\'', 0 }, { 0x2C, 'y', 'Y', 0 }, { 0x2D, 'x', 'X', 0 }, { 0x2E, 'c', 'C', 0 },
	{ 0x2F, 'v', 'V', 0 }, { 0x30, 'b', 'B', 0 }, { 0x31, 'n', 'N', 0 }, { 0x32, 'm', 'M', 0xB5 },
	{ 0x33, ',', ';', 0 }, { 0x34, '.', ':', 0 }, { 0x35, '-', '_', 0 }, { 0x39, ' ', 0, 0 },
	{ 0x56, '<', '>', '|' },
};

/* Keys that are the same everywhere: keysym -> key (modifiers pass through as pressed). */
static const struct { u32 sym; u16 key; } common_keys[] = {
	{ 0xFF08, 0x0E }, { 0xFF09, 0x0F }, { 0xFF0D, 0x1C }, { 0xFF1B, 0x01 },
	{ 0xFFE1, 0x2A }, { 0xFFE2, 0x36 }, { 0xFFE3, 0x1D }, { 0xFFE4, KEYMAP_E0 | 0x1D },
	{ 0xFFE9, 0x38 }, { 0xFFEA, KEYMAP_E0 | 0x38 }, { 0xFE03, KEYMAP_E0 | 0x38 },
	{ 0xFFE7, 0x38 }, { 0xFFE8, KEYMAP_E0 | 0x38 }, /* Meta: Alt */
	{ 0xFFEB, KEYMAP_E0 | 0x5B }, { 0xFFEC, KEYMAP_E0 | 0x5C }, { 0xFF67, KEYMAP_E0 | 0x5D },
	{ 0xFFE5, 0x3A }, { 0xFF7F, 0x45 }, { 0xFF14, 0x46 },
	{ 0xFF50, KEYMAP_E0 | 0x47 }, { 0xFF51, KEYMAP_E0 | 0x4B }, { 0xFF52, KEYMAP_E0 | 0x48 },
	{ 0xFF53, KEYMAP_E0 | 0x4D }, { 0xFF54, KEYMAP_E0 | 0x50 }, { 0xFF55, KEYMAP_E0 | 0x49 },
	{ 0xFF56, KEYMAP_E0 | 0x51 }, { 0xFF57, KEYMAP_E0 | 0x4F }, { 0xFF63, KEYMAP_E0 | 0x52 },
	{ 0xFFFF, KEYMAP_E0 | 0x53 },
	{ 0xFFBE, 0x3B }, { 0xFFBF, 0x3C }, { 0xFFC0, 0x3D }, { 0xFFC1, 0x3E }, { 0xFFC2, 0x3F },
	{ 0xFFC3, 0x40 }, { 0xFFC4, 0x41 }, { 0xFFC5, 0x42 }, { 0xFFC6, 0x43 }, { 0xFFC7, 0x44 },
	{ 0xFFC8, 0x57 }, { 0xFFC9, 0x58 },
	{ 0xFF8D, KEYMAP_E0 | 0x1C }, { 0xFFAF, KEYMAP_E0 | 0x35 }, { 0xFFAA, 0x37 },
	{ 0xFFAD, 0x4A }, { 0xFFAB, 0x4E }, { 0xFFB0, 0x52 }, { 0xFFB1, 0x4F }, { 0xFFB2, 0x50 },
	{ 0xFFB3, 0x51 }, { 0xFFB4, 0x4B }, { 0xFFB5, 0x4C }, { 0xFFB6, 0x4D }, { 0xFFB7, 0x47 },
	{ 0xFFB8, 0x48 }, { 0xFFB9, 0x49 }, { 0xFFAE, 0x53 }, { 0xFFAC, 0x53 },
};

static const struct keymap keymaps[] = {
	{ "us", us_keys, sizeof(us_keys) / sizeof(us_keys[0]) },
	{ "de", de_keys, sizeof(de_keys) / sizeof(de_keys[0]) },
};

const struct keymap *keymap_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(keymaps) / sizeof(keymaps[0]); i++)
		if (!strcmp(keymaps[i].name, name))
			return &keymaps[i];
	return NULL;
}

bool keymap_lookup(const struct keymap *km, u32 keysym, u16 *key, u8 *mods)
{
	*mods = 0;
	for (unsigned i = 0; i < sizeof(common_keys) / sizeof(common_keys[0]); i++) {
		if (common_keys[i].sym == keysym) {
			*key = common_keys[i].key;
			return true;
		}
	}
	for (unsigned i = 0; i < km->n; i++) {
		const struct keypos *p = &km->pos[i];

		if (p->plain == keysym || p->shift == keysym || p->altgr == keysym) {
			*key = p->key;
			*mods = p->plain == keysym ? 0 : p->shift == keysym ? KEYMAP_SHIFT : KEYMAP_ALTGR;
			return true;
		}
	}
	return false;
}
