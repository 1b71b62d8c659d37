// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the kernel loader (machine/bzimage.c, elf_load.c,
 * boot_linux.c): the input is the --kernel file. Each input goes through
 * every way hover reads a kernel:
 *   - bzimage_parse() and the streaming load (bzimage_decompress_to() into
 *     elf_stream_sink(), then elf_stream_finish()) on an exact-size heap copy,
 *     so ASan sees any read past the file;
 *   - elf_load() and the ELF stream fed in pieces of input-chosen sizes, for a
 *     bare vmlinux ELF (or a payload the fuzzer stumbles into);
 *   - boot_linux_load() on the bytes as a file (a memfd), with a small initrd
 *     and a command line, as `hover run --kernel` does.
 * Guest RAM is 32 MiB, made once; a loader must keep to it and say so
 * otherwise, never write outside it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "include/hover/log.h"
#include "machine/boot_linux.h"
#include "machine/bzimage.h"
#include "machine/elf_load.h"

#define FUZZ_RAM (32 * MiB)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct boot_fuzz {
	struct guest_ram ram;
	int initrd_fd;
	char initrd_path[64];
	struct elf_stream es;
};

/* libFuzzer calls the target many times in one process: the RAM is made once. */
static struct boot_fuzz *fuzz_env(void)
{
	static struct boot_fuzz *env;
	static const char initrd[] = "070701 not really a cpio archive";

	if (env)
		return env;
	env = calloc(1, sizeof(*env));
	if (!env || ram_create(&env->ram, FUZZ_RAM))
		abort();
	log_set_level(LOG_ERROR); /* bad kernels are reported by design */
	env->initrd_fd = memfd_create("fuzz-initrd", MFD_CLOEXEC);
	if (env->initrd_fd < 0 || write(env->initrd_fd, initrd, sizeof(initrd)) != sizeof(initrd))
		abort();
	snprintf(env->initrd_path, sizeof(env->initrd_path), "/proc/self/fd/%d", env->initrd_fd);
	return env;
}

/* A u16 from the input's tail, for piece sizes that don't disturb its head. */
static size_t piece(const uint8_t *data, size_t size, unsigned i)
{
	size_t at = i * 2 + 2;

	if (size < at)
		return 4096;
	return 1 + (data[size - at] | (size_t)data[size - at + 1] << 8);
}

/* Feed elf[0..len) to an elf_stream the way a decompressor would, in pieces. */
static void stream_elf(struct boot_fuzz *env, const uint8_t *elf, size_t len)
{
	struct elf_load_info info;
	u64 pos = 0;
	unsigned i = 0;

	elf_stream_init(&env->es, &env->ram, BOOT_KERNEL_MIN);
	while (pos < len) {
		size_t want = piece(elf, len, i++), room;
		u8 *dst;

		if (elf_stream_sink(&env->es, pos, &dst, &room))
			return;
		if (room == 0)
			abort(); /* the sink promised *len > 0 */
		if (want > room)
			want = room;
		if (want > len - pos)
			want = len - pos;
		memcpy(dst, elf + pos, want);
		pos += want;
	}
	if (elf_stream_finish(&env->es, len, &info) == 0 &&
	    (info.start < BOOT_KERNEL_MIN || info.end > FUZZ_RAM || info.start > info.end))
		abort();
}

static void bzimage_paths(struct boot_fuzz *env, const uint8_t *data, size_t size)
{
	struct elf_load_info info;
	struct bzimage bz;
	char err[512];
	u64 n;

	if (bzimage_parse(&bz, data, size, "fuzz", err, sizeof(err)))
		return;
	if (bz.payload < data || bz.payload + bz.payload_len > data + size)
		abort();
	elf_stream_init(&env->es, &env->ram, BOOT_KERNEL_MIN);
	if (bzimage_decompress_to(&bz, "fuzz", elf_stream_sink, &env->es, &n, err, sizeof(err)) ==
		0 &&
	    elf_stream_finish(&env->es, n, &info) == 0 &&
	    (info.start < BOOT_KERNEL_MIN || info.end > FUZZ_RAM))
		abort();
}

static void boot_file(struct boot_fuzz *env, const uint8_t *data, size_t size)
{
	struct boot_linux_config cfg = {
		.initrd = env->initrd_path,
		.cmdline = "console=ttyS0 quiet",
	};
	struct vcpu_regs regs;
	char path[64], err[512];
	int fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		cfg.kernel = path;
		(void)!boot_linux_load(&env->ram, &cfg, &regs, err, sizeof(err));
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_fuzz *env = fuzz_env();
	struct elf_load_info info;
	uint8_t *copy = malloc(size ? size : 1);
	char err[512];

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	bzimage_paths(env, copy, size);
	if (elf_load(&env->ram, copy, size, BOOT_KERNEL_MIN, "fuzz", &info, err, sizeof(err)) ==
		0 &&
	    (info.start < BOOT_KERNEL_MIN || info.end > FUZZ_RAM))
		abort();
	stream_elf(env, copy, size);
	boot_file(env, copy, size);
	free(copy);
	return 0;
}
