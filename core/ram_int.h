/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between core/ram.c and core/ram_backing.c: the layout with a given memfd kind. */
#ifndef HOVER_CORE_RAM_INT_H
#define HOVER_CORE_RAM_INT_H

#include "include/hover/ram.h"

/*
 * memfd_flags: 0 or MFD_HUGETLB; size must be a multiple of page_size.
 * private: map the memfd MAP_PRIVATE, so that the guest's pages are
 * anonymous memory (KSM merges only those; THP for anonymous memory follows
 * transparent_hugepage/enabled, not shmem_enabled).
 */
int ram_create_layout(struct guest_ram *ram, u64 size, unsigned memfd_flags, u64 page_size,
		      bool private) HOVER_WUR;

#endif
