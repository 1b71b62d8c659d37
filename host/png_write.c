// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Screenshots as PNG (libpng, "libpng-manual.txt": writing with a custom
 * write function and custom memory functions): XRGB8888 pixels to an 8-bit
 * RGB image in memory.
 *
 * Every buffer here is its own mapping (mmap/mremap/munmap), never the
 * malloc heap: this runs in the sandboxed event-loop thread, where glibc,
 * trimming a thread arena after a large free, would open
 * /proc/sys/vm/overcommit_memory — a call that thread's filter refuses.
 */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host/png_write.h"

void *png_map_alloc(size_t n)
{
	size_t *p = mmap(NULL, n + 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p[0] = n + 16;
	return (u8 *)p + 16;
}

void png_map_free(void *ptr)
{
	if (ptr)
		munmap((u8 *)ptr - 16, *(size_t *)((u8 *)ptr - 16));
}

static png_voidp lib_malloc(png_structp png, png_alloc_size_t n)
{
	(void)png;
	return png_map_alloc(n);
}

static void lib_free(png_structp png, png_voidp p)
{
	(void)png;
	png_map_free(p);
}

static void mem_write(png_structp png, png_bytep data, png_size_t n)
{
	struct png_out *m = png_get_io_ptr(png);

	if (m->oom)
		return;
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		void *p;

		while (cap < m->len + n)
			cap *= 2;
		p = m->p ? mremap(m->p, m->cap, cap, MREMAP_MAYMOVE)
			 : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			m->oom = true;
			return;
		}
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, data, n);
	m->len += n;
}

void png_out_free(struct png_out *m)
{
	if (m->p)
		munmap(m->p, m->cap);
	memset(m, 0, sizeof(*m));
}

static void mem_flush(png_structp png)
{
	(void)png;
}

int png_encode_xrgb(const u32 *px, unsigned w, unsigned h, struct png_out *out)
{
	struct png_out *m = out;
	png_structp png;
	png_infop info;
	u8 *row = png_map_alloc((size_t)w * 3);
	volatile int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!row)
		return -ENOMEM;
	png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL, NULL, lib_malloc,
					lib_free);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info)
		goto out;
	if (setjmp(png_jmpbuf(png))) {
		ret = -EIO;
		goto out;
	}
	png_set_write_fn(png, m, mem_write, mem_flush);
	/* Screens are flat colour: a fast level compresses them nearly as well. */
	png_set_compression_level(png, 3);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (unsigned y = 0; y < h; y++) {
		const u32 *src = px + (size_t)y * w;

		for (unsigned x = 0; x < w; x++) {
			row[3 * x] = (u8)(src[x] >> 16);
			row[3 * x + 1] = (u8)(src[x] >> 8);
			row[3 * x + 2] = (u8)src[x];
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	ret = m->oom ? -ENOMEM : 0;
out:
	png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
	png_map_free(row);
	if (ret)
		png_out_free(out);
	return ret;
}
