/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux bzImage format (Documentation/x86/boot.rst): a real-mode setup
 * part whose "setup header" sits at 0x1f1, followed by the protected-mode
 * part, which for protocol 2.08+ embeds the compressed vmlinux ELF at
 * payload_offset. hover reads the header, finds the payload and decompresses
 * it natively (xz, gzip, zstd) instead of running the kernel's decompressor.
 */
#ifndef HOVER_MACHINE_BZIMAGE_H
#define HOVER_MACHINE_BZIMAGE_H

#include <stddef.h>

#include "include/hover/types.h"

/*
 * Setup header fields, as offsets into the bzImage file and equally into
 * struct boot_params (the header is copied to the same place).
 */
#define BZ_HDR_START 0x1f1
#define BZ_HDR_SETUP_SECTS 0x1f1     /* u8 */
#define BZ_HDR_SYSSIZE 0x1f4         /* u32, in 16-byte units */
#define BZ_HDR_VID_MODE 0x1fa        /* u16 */
#define BZ_HDR_BOOT_FLAG 0x1fe       /* u16, 0xAA55 */
#define BZ_HDR_JUMP 0x200            /* u16; byte 0x201 gives the header end */
#define BZ_HDR_HEADER 0x202          /* u32, "HdrS" */
#define BZ_HDR_VERSION 0x206         /* u16 */
#define BZ_HDR_TYPE_OF_LOADER 0x210  /* u8 */
#define BZ_HDR_LOADFLAGS 0x211       /* u8 */
#define BZ_HDR_CODE32_START 0x214    /* u32 */
#define BZ_HDR_RAMDISK_IMAGE 0x218   /* u32 */
#define BZ_HDR_RAMDISK_SIZE 0x21c    /* u32 */
#define BZ_HDR_HEAP_END_PTR 0x224    /* u16 */
#define BZ_HDR_EXT_LOADER_VER 0x226  /* u8 */
#define BZ_HDR_EXT_LOADER_TYPE 0x227 /* u8 */
#define BZ_HDR_CMD_LINE_PTR 0x228    /* u32 */
#define BZ_HDR_INITRD_ADDR_MAX 0x22c /* u32, highest byte the initrd may occupy */
#define BZ_HDR_KERNEL_ALIGNMENT 0x230 /* u32 */
#define BZ_HDR_RELOCATABLE 0x234     /* u8 */
#define BZ_HDR_MIN_ALIGNMENT 0x235   /* u8 */
#define BZ_HDR_XLOADFLAGS 0x236      /* u16 */
#define BZ_HDR_CMDLINE_SIZE 0x238    /* u32, max command line length without the NUL */
#define BZ_HDR_HARDWARE_SUBARCH 0x23c /* u32 */
#define BZ_HDR_PAYLOAD_OFFSET 0x248  /* u32, from the start of the protected-mode part */
#define BZ_HDR_PAYLOAD_LENGTH 0x24c  /* u32 */
#define BZ_HDR_SETUP_DATA 0x250      /* u64 */
#define BZ_HDR_PREF_ADDRESS 0x258    /* u64 */
#define BZ_HDR_INIT_SIZE 0x260       /* u32 */
#define BZ_HDR_END_MAX 0x290         /* the header may not grow past edd_mbr_sig_buffer */

#define BZ_HDR_MAGIC 0x53726448 /* "HdrS" little-endian */
#define BZ_MIN_VERSION 0x020c   /* 2.12: payload_offset, init_size, xloadflags */

/* loadflags */
#define BZ_LOADED_HIGH (1u << 0)
#define BZ_KASLR_FLAG (1u << 1)
#define BZ_CAN_USE_HEAP (1u << 7)
/* xloadflags */
#define BZ_XLF_KERNEL_64 (1u << 0)
#define BZ_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

enum bzimage_comp {
	BZ_COMP_UNKNOWN,
	BZ_COMP_GZIP,
	BZ_COMP_XZ,
	BZ_COMP_ZSTD,
	/* Recognised so the error can name them; not supported. */
	BZ_COMP_BZIP2,
	BZ_COMP_LZMA,
	BZ_COMP_LZO,
	BZ_COMP_LZ4,
};

/* A parsed bzImage. Pointers point into the caller's buffer. */
struct bzimage {
	const u8 *data;
	size_t size;
	u16 version;
	unsigned setup_sects;
	const u8 *hdr;  /* data + BZ_HDR_START */
	size_t hdr_len; /* bytes from 0x1f1 to the header's end (0x202 + data[0x201]) */
	u8 loadflags;
	u16 xloadflags;
	u32 initrd_addr_max;
	u32 kernel_alignment;
	u32 cmdline_size;
	u32 init_size;
	u64 pref_address;
	const u8 *payload;
	size_t payload_len;
	enum bzimage_comp comp;
};

/* Largest decompressed kernel accepted: a zip bomb is an error, not an OOM. */
#define BZ_MAX_KERNEL_SIZE (1024 * MiB)

/*
 * Parse and validate the header of the bzImage in data[0..size). label names
 * the input in error messages ("--kernel /boot/vmlinuz"). 0 or -errno with one
 * sentence in err.
 */
int bzimage_parse(struct bzimage *bz, const u8 *data, size_t size, const char *label, char *err,
		  size_t errlen) HOVER_WUR;

/* "xz", "gzip", ... */
const char *bzimage_comp_name(enum bzimage_comp comp);

/* Identify a compressed stream by its magic bytes. */
enum bzimage_comp bzimage_detect(const u8 *p, size_t len);

/*
 * Decompress the payload into a new malloc()ed buffer (*out, *out_len; the
 * caller frees it). The result is the vmlinux ELF, possibly followed by
 * relocation data. 0 or -errno with one sentence in err.
 */
int bzimage_decompress(const struct bzimage *bz, const char *label, u8 **out, size_t *out_len,
		       char *err, size_t errlen) HOVER_WUR;

/*
 * Where the decompressed bytes go, a window at a time: given the offset in
 * the decompressed stream of the next byte, a sink returns in *dst, *len
 * (*len > 0) the place for the bytes from that offset on, or -errno to stop.
 * A sink lets the kernel go straight to its place in guest RAM, without a
 * whole copy in between (elf_load.h, elf_stream).
 */
typedef int bzimage_sink_fn(void *opaque, u64 pos, u8 **dst, size_t *len);

/*
 * Decompress the payload through sink; *out_len is the stream's length. A
 * sink's error is returned as it is, with err left to the sink's owner;
 * other errors (a corrupt stream, no memory, more than BZ_MAX_KERNEL_SIZE)
 * come with one sentence in err.
 */
int bzimage_decompress_to(const struct bzimage *bz, const char *label, bzimage_sink_fn *sink,
			  void *opaque, u64 *out_len, char *err, size_t errlen) HOVER_WUR;

#endif
