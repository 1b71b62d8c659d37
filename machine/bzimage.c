// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bzImage header parsing and payload decompression (Linux boot protocol,
 * Documentation/x86/boot.rst, fields payload_offset/payload_length of 2.08+).
 *
 * The payload is what arch/x86/boot/compressed/Makefile produces: the
 * vmlinux ELF (plus relocation records) compressed with one of the kernel's
 * compressors, and for xz, zstd, lzma, lzo and lz4 followed by the
 * uncompressed size as a little-endian u32 (gzip's trailer already holds it).
 * That size is only a hint for the first allocation; the output grows as the
 * stream demands, up to BZ_MAX_KERNEL_SIZE.
 *
 * The decompressors write through a sink (bzimage.h): a window of memory at a
 * time, wherever the sink wants the next bytes. bzimage_decompress's sink is
 * one growing buffer; the boot path's sends the ELF straight to guest RAM.
 */
#include "machine/bzimage.h"

#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>
#include <zstd.h>

static int fail(char *err, size_t errlen, int errnum, const char *fmt, ...) HOVER_PRINTF(4, 5);
static int fail(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

static u16 get16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 get32(const u8 *p) { return (u32)get16(p) | (u32)get16(p + 2) << 16; }
static u64 get64(const u8 *p) { return (u64)get32(p) | (u64)get32(p + 4) << 32; }

const char *bzimage_comp_name(enum bzimage_comp comp)
{
	static const char *const names[] = {
		[BZ_COMP_UNKNOWN] = "unknown", [BZ_COMP_GZIP] = "gzip", [BZ_COMP_XZ] = "xz",
		[BZ_COMP_ZSTD] = "zstd",       [BZ_COMP_BZIP2] = "bzip2", [BZ_COMP_LZMA] = "lzma",
		[BZ_COMP_LZO] = "lzo",         [BZ_COMP_LZ4] = "lz4",
	};

	return (unsigned)comp < ARRAY_SIZE(names) ? names[comp] : "unknown";
}

enum bzimage_comp bzimage_detect(const u8 *p, size_t len)
{
	static const struct {
		enum bzimage_comp comp;
		u8 len;
		u8 magic[6];
	} magics[] = {
		{ BZ_COMP_GZIP, 2, { 0x1f, 0x8b } },
		{ BZ_COMP_XZ, 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
		{ BZ_COMP_ZSTD, 4, { 0x28, 0xb5, 0x2f, 0xfd } },
		{ BZ_COMP_BZIP2, 3, { 'B', 'Z', 'h' } },
		{ BZ_COMP_LZO, 4, { 0x89, 'L', 'Z', 'O' } },
		{ BZ_COMP_LZ4, 4, { 0x02, 0x21, 0x4c, 0x18 } }, /* lz4 legacy frame */
		/* lzma "alone": properties lc=3,lp=0,pb=2, then a power-of-two dictionary >= 64 KiB */
		{ BZ_COMP_LZMA, 3, { 0x5d, 0x00, 0x00 } },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(magics); i++)
		if (len >= magics[i].len && !memcmp(p, magics[i].magic, magics[i].len))
			return magics[i].comp;
	return BZ_COMP_UNKNOWN;
}

int bzimage_parse(struct bzimage *bz, const u8 *data, size_t size, const char *label, char *err,
		  size_t errlen)
{
	size_t hdr_end, pm_start;
	u32 off, len;

	memset(bz, 0, sizeof(*bz));
	if (size < BZ_HDR_HEADER + 4)
		return fail(err, errlen, ENOEXEC,
			    "%s: %zu bytes is too short for a Linux bzImage; pass the kernel's "
			    "bzImage (vmlinuz)",
			    label, size);
	if (get32(data + BZ_HDR_HEADER) != BZ_HDR_MAGIC)
		return fail(err, errlen, ENOEXEC,
			    "%s: not a Linux bzImage (no 'HdrS' signature at 0x202); pass the "
			    "kernel's bzImage (vmlinuz)",
			    label);
	bz->version = get16(data + BZ_HDR_VERSION);
	if (bz->version < BZ_MIN_VERSION)
		return fail(err, errlen, ENOEXEC,
			    "%s: boot protocol %u.%02u is older than 2.12 (Linux 3.8); hover needs "
			    "a newer kernel",
			    label, bz->version >> 8, bz->version & 0xff);

	/* The header ends at 0x202 + the jump's displacement byte (boot.rst, 64-bit protocol). */
	hdr_end = 0x202 + (size_t)data[BZ_HDR_JUMP + 1];
	if (hdr_end > BZ_HDR_END_MAX || hdr_end < BZ_HDR_INIT_SIZE + 4 || hdr_end > size)
		return fail(err, errlen, ENOEXEC,
			    "%s: corrupt bzImage: setup header ends at 0x%zx (file is %zu bytes); "
			    "pass an intact kernel image",
			    label, hdr_end, size);
	bz->data = data;
	bz->size = size;
	bz->hdr = data + BZ_HDR_START;
	bz->hdr_len = hdr_end - BZ_HDR_START;
	bz->setup_sects = data[BZ_HDR_SETUP_SECTS] ? data[BZ_HDR_SETUP_SECTS] : 4;
	bz->loadflags = data[BZ_HDR_LOADFLAGS];
	bz->xloadflags = get16(data + BZ_HDR_XLOADFLAGS);
	bz->initrd_addr_max = get32(data + BZ_HDR_INITRD_ADDR_MAX);
	bz->kernel_alignment = get32(data + BZ_HDR_KERNEL_ALIGNMENT);
	bz->cmdline_size = get32(data + BZ_HDR_CMDLINE_SIZE);
	bz->init_size = get32(data + BZ_HDR_INIT_SIZE);
	bz->pref_address = get64(data + BZ_HDR_PREF_ADDRESS);

	if (!(bz->xloadflags & BZ_XLF_KERNEL_64))
		return fail(err, errlen, ENOEXEC,
			    "%s: not a 64-bit kernel (XLF_KERNEL_64 clear in xloadflags); hover "
			    "boots x86-64 kernels only",
			    label);

	pm_start = (size_t)(bz->setup_sects + 1) * 512;
	off = get32(data + BZ_HDR_PAYLOAD_OFFSET);
	len = get32(data + BZ_HDR_PAYLOAD_LENGTH);
	if (pm_start > size || off > size - pm_start || len > size - pm_start - off || len < 16)
		return fail(err, errlen, ENOEXEC,
			    "%s: truncated or corrupt bzImage: payload at offset 0x%llx, length 0x%x, "
			    "but the file is %zu bytes; pass an intact kernel image",
			    label, (unsigned long long)pm_start + off, len, size);
	bz->payload = data + pm_start + off;
	bz->payload_len = len;
	bz->comp = bzimage_detect(bz->payload, bz->payload_len);
	return 0;
}

/*
 * The decompressors write into the windows a sink hands out. The stream's
 * position is counted here, and a stream that runs past BZ_MAX_KERNEL_SIZE
 * (a zip bomb) stops before it asks for more.
 */
struct out {
	bzimage_sink_fn *sink;
	void *opaque;
	bool sink_failed;
};

static int next_window(struct out *o, u64 pos, u8 **dst, size_t *len)
{
	int r;

	if (pos >= BZ_MAX_KERNEL_SIZE)
		return -EFBIG;
	r = o->sink(o->opaque, pos, dst, len);
	if (r == 0 && *len == 0)
		r = -EINVAL;
	if (r == 0 && *len > BZ_MAX_KERNEL_SIZE - pos)
		*len = (size_t)(BZ_MAX_KERNEL_SIZE - pos);
	o->sink_failed = r != 0;
	return r;
}

/*
 * liblzma's allocations. The dictionary (32 MiB for a kernel, see the
 * kernel's scripts/xz_wrap.sh) is written through once: large blocks come
 * from mmap with MAP_POPULATE, faulted in by one system call rather than a
 * page fault per 4 KiB page. A header before each block says which it was.
 */
#define XZ_BIG_ALLOC (1 * MiB)
#define XZ_ALLOC_HDR 16 /* keeps malloc's alignment */

static void *xz_alloc(void *opaque, size_t nmemb, size_t size)
{
	size_t n, total;
	u8 *p;

	(void)opaque;
	if (size && nmemb > (SIZE_MAX - XZ_ALLOC_HDR) / size)
		return NULL;
	n = nmemb * size;
	total = n + XZ_ALLOC_HDR;
	if (n >= XZ_BIG_ALLOC) {
		p = mmap(NULL, total, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
	} else {
		p = malloc(total);
		if (!p)
			return NULL;
		total = 0;
	}
	memcpy(p, &total, sizeof(total));
	return p + XZ_ALLOC_HDR;
}

static void xz_free(void *opaque, void *ptr)
{
	size_t total;
	u8 *p;

	(void)opaque;
	/* liblzma frees NULL too; stepping back from NULL is already undefined */
	if (!ptr)
		return;
	p = (u8 *)ptr - XZ_ALLOC_HDR;
	memcpy(&total, p, sizeof(total));
	if (total)
		munmap(p, total);
	else
		free(p);
}

static const lzma_allocator xz_allocator = { xz_alloc, xz_free, NULL };

static int dec_xz(const u8 *in, size_t len, struct out *o, u64 *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret;
	int r = 0;

	s.allocator = &xz_allocator;
	/* 256 MiB of decoder memory is far above any kernel's dictionary. */
	if (lzma_stream_decoder(&s, 256 * MiB, 0) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	for (;;) {
		if (s.avail_out == 0) {
			r = next_window(o, s.total_out, &s.next_out, &s.avail_out);
			if (r)
				break;
		}
		ret = lzma_code(&s, LZMA_FINISH);
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_OK)
			continue;
		r = ret == LZMA_MEM_ERROR ? -ENOMEM : -EILSEQ;
		break;
	}
	*out_len = s.total_out;
	lzma_end(&s);
	return r;
}

static int dec_gzip(const u8 *in, size_t len, struct out *o, u64 *out_len)
{
	z_stream z;
	u8 *win;
	size_t wlen;
	int ret, r = 0;

	memset(&z, 0, sizeof(z));
	if (len > UINT32_MAX || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	for (;;) {
		if (z.avail_out == 0) {
			r = next_window(o, z.total_out, &win, &wlen);
			if (r)
				break;
			z.next_out = win;
			z.avail_out = wlen > UINT32_MAX ? UINT32_MAX : (uInt)wlen;
		}
		ret = inflate(&z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_OK && (z.avail_out == 0 || z.avail_in > 0))
			continue;
		/* Z_BUF_ERROR with input left over cannot happen; without, the stream is cut short. */
		r = ret == Z_MEM_ERROR ? -ENOMEM : -EILSEQ;
		break;
	}
	*out_len = z.total_out;
	inflateEnd(&z);
	return r;
}

static int dec_zstd(const u8 *in, size_t len, struct out *o, u64 *out_len)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, len, 0 };
	ZSTD_outBuffer ob = { NULL, 0, 0 };
	u64 base = 0; /* stream offset of ob.dst */
	size_t ret;
	u8 *win;
	int r = 0;

	if (!dctx)
		return -ENOMEM;
	for (;;) {
		if (ob.pos == ob.size) {
			base += ob.pos;
			r = next_window(o, base, &win, &ob.size);
			if (r)
				break;
			ob.dst = win;
			ob.pos = 0;
		}
		ret = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(ret)) {
			r = -EILSEQ;
			break;
		}
		if (ret == 0)
			break; /* frame complete; trailing size bytes are ignored */
		if (ib.pos == ib.size && ob.pos < ob.size) {
			r = -EILSEQ; /* input exhausted mid-frame */
			break;
		}
	}
	*out_len = base + ob.pos;
	ZSTD_freeDCtx(dctx);
	return r;
}

int bzimage_decompress_to(const struct bzimage *bz, const char *label, bzimage_sink_fn *sink,
			  void *opaque, u64 *out_len, char *err, size_t errlen)
{
	struct out o = { sink, opaque, false };
	u64 n = 0;
	int r;

	*out_len = 0;
	switch (bz->comp) {
	case BZ_COMP_GZIP:
	case BZ_COMP_XZ:
	case BZ_COMP_ZSTD:
		break;
	case BZ_COMP_UNKNOWN:
		return fail(err, errlen, ENOEXEC,
			    "%s: kernel payload has an unknown compression format (first bytes "
			    "%02x %02x %02x %02x); pass an intact kernel image",
			    label, bz->payload[0], bz->payload[1], bz->payload[2], bz->payload[3]);
	default:
		return fail(err, errlen, ENOTSUP,
			    "%s: kernel payload is %s-compressed; hover supports xz, gzip and zstd "
			    "(rebuild the kernel with CONFIG_KERNEL_XZ, _GZIP or _ZSTD)",
			    label, bzimage_comp_name(bz->comp));
	}

	if (bz->comp == BZ_COMP_XZ)
		r = dec_xz(bz->payload, bz->payload_len, &o, &n);
	else if (bz->comp == BZ_COMP_GZIP)
		r = dec_gzip(bz->payload, bz->payload_len, &o, &n);
	else
		r = dec_zstd(bz->payload, bz->payload_len, &o, &n);

	if (r && o.sink_failed)
		return r;
	if (r == -EFBIG)
		return fail(err, errlen, EFBIG,
			    "%s: kernel payload decompresses to more than %llu MiB; pass a real "
			    "kernel image",
			    label, BZ_MAX_KERNEL_SIZE / MiB);
	if (r == -ENOMEM)
		return fail(err, errlen, ENOMEM,
			    "%s: out of host memory while decompressing the kernel", label);
	if (r)
		return fail(err, errlen, EILSEQ,
			    "%s: corrupt %s stream in the kernel payload (after %llu bytes of "
			    "output); pass an intact kernel image",
			    label, bzimage_comp_name(bz->comp), (unsigned long long)n);
	*out_len = n;
	return 0;
}

/* The sink of bzimage_decompress: one buffer, grown on demand. */
struct outbuf {
	u8 *buf;
	size_t cap;
	bool oom;
};

static int outbuf_sink(void *opaque, u64 pos, u8 **dst, size_t *len)
{
	struct outbuf *o = opaque;

	if (pos == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16 * MiB;
		u8 *p;

		if (cap > BZ_MAX_KERNEL_SIZE)
			cap = BZ_MAX_KERNEL_SIZE;
		p = realloc(o->buf, cap);
		if (!p) {
			o->oom = true;
			return -ENOMEM;
		}
		o->buf = p;
		o->cap = cap;
	}
	*dst = o->buf + pos;
	*len = o->cap - (size_t)pos;
	return 0;
}

int bzimage_decompress(const struct bzimage *bz, const char *label, u8 **out, size_t *out_len,
		       char *err, size_t errlen)
{
	struct outbuf o = { NULL, 0, false };
	u64 n = 0;
	u32 hint;
	int r;

	*out = NULL;
	*out_len = 0;
	/* The size the kernel's Makefile appended: a first guess, trusted only if plausible. */
	if (bz->payload_len >= 4) {
		hint = get32(bz->payload + bz->payload_len - 4);
		if (hint >= 64 && hint <= BZ_MAX_KERNEL_SIZE) {
			o.buf = malloc(hint);
			if (o.buf)
				o.cap = hint;
		}
	}
	r = bzimage_decompress_to(bz, label, outbuf_sink, &o, &n, err, errlen);
	if (o.oom)
		r = fail(err, errlen, ENOMEM,
			 "%s: out of host memory while decompressing the kernel", label);
	if (r) {
		free(o.buf);
		return r;
	}
	*out = o.buf;
	*out_len = (size_t)n;
	return 0;
}
