/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixed-width integer types and the few helper macros every module uses.
 * Kept deliberately small: this is not a hub header.
 */
#ifndef HOVER_INCLUDE_TYPES_H
#define HOVER_INCLUDE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define HOVER_WUR __attribute__((warn_unused_result))
#define HOVER_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

#endif
