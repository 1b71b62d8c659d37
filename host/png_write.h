/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PNG encoding of a screen (libpng), for screenshots. */
#ifndef HOVER_HOST_PNG_WRITE_H
#define HOVER_HOST_PNG_WRITE_H

#include <stddef.h>

#include "include/hover/types.h"

/* The encoded image: len bytes at p (a mapping of cap bytes; free with png_out_free). */
struct png_out {
	u8 *p;
	size_t len, cap;
	bool oom;
};

/* w x h XRGB8888 pixels (stride w) to a PNG. 0 or -errno. */
int png_encode_xrgb(const u32 *px, unsigned w, unsigned h, struct png_out *out) HOVER_WUR;
void png_out_free(struct png_out *out);
/* Memory of its own mapping, outside the malloc heap (see png_write.c), and its release. */
void *png_map_alloc(size_t n);
void png_map_free(void *p);

#endif
