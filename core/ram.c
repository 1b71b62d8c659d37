// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest RAM: memfd-backed regions laid out as on a PC — low RAM up to the
 * 3 GiB PCI hole, the rest above 4 GiB. memfd (rather than anonymous memory)
 * lets snapshots and migration share or map the same pages later.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/ram_int.h"
#include "include/hover/ram.h"

static int add_region(struct guest_ram *ram, u64 gpa, u64 size, unsigned memfd_flags,
		      u64 page_size, bool private)
{
	struct ram_region *r = &ram->region[ram->nregions];
	void *p;
	int fd;

	fd = memfd_create("hover-ram", MFD_CLOEXEC | memfd_flags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 (private ? MAP_PRIVATE : MAP_SHARED) | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		int e = -errno;

		close(fd);
		return e;
	}
	r->gpa = gpa;
	r->size = size;
	r->hva = p;
	r->fd = fd;
	r->page_size = page_size;
	ram->nregions++;
	ram->total += size;
	return 0;
}

int ram_create_layout(struct guest_ram *ram, u64 size, unsigned memfd_flags, u64 page_size,
		      bool private)
{
	u64 low = size < RAM_LOW_MAX ? size : RAM_LOW_MAX;
	int ret;

	memset(ram, 0, sizeof(*ram));
	if (size == 0 || (size & (page_size - 1)))
		return -EINVAL;
	ret = add_region(ram, 0, low, memfd_flags, page_size, private);
	if (ret == 0 && size > low)
		ret = add_region(ram, RAM_HIGH_BASE, size - low, memfd_flags, page_size, private);
	if (ret)
		ram_destroy(ram);
	return ret;
}

int ram_add_region(struct guest_ram *ram, u64 gpa, u64 size)
{
	if (size == 0 || ((gpa | size) & 0xfff) || gpa + size < gpa)
		return -EINVAL;
	if (ram->nregions == RAM_MAX_REGIONS)
		return -ENOSPC;
	for (unsigned i = 0; i < ram->nregions; i++) {
		const struct ram_region *r = &ram->region[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EINVAL;
	}
	return add_region(ram, gpa, size, 0, 4096, false);
}

int ram_create(struct guest_ram *ram, u64 size)
{
	return ram_create_layout(ram, size, 0, 4096, false);
}

void ram_destroy(struct guest_ram *ram)
{
	for (unsigned i = 0; i < ram->nregions; i++) {
		munmap(ram->region[i].hva, ram->region[i].size);
		close(ram->region[i].fd);
	}
	memset(ram, 0, sizeof(*ram));
}

int ram_add_device(struct guest_ram *ram, u64 gpa, u64 size, unsigned *index)
{
	int ret;

	if (ram->nregions == RAM_MAX_REGIONS)
		return -ENOSPC;
	if (size == 0 || (size & 0xfff) || (gpa & 0xfff))
		return -EINVAL;
	for (unsigned i = 0; i < ram->nregions; i++)
		if (gpa < ram->region[i].gpa + ram->region[i].size && ram->region[i].gpa < gpa + size)
			return -EBUSY;
	ret = add_region(ram, gpa, size, 0, 4096, false);
	if (ret)
		return ret;
	ram->region[ram->nregions - 1].device = true;
	*index = ram->nregions - 1;
	return 0;
}

void ram_set_hole(struct guest_ram *ram, u64 gpa, u64 len)
{
	ram->hole_gpa = gpa;
	ram->hole_len = len;
}

void *ram_ptr(const struct guest_ram *ram, u64 gpa, u64 len)
{
	if (ram->hole_len && gpa < ram->hole_gpa + ram->hole_len && gpa + len > ram->hole_gpa)
		return NULL;
	for (unsigned i = 0; i < ram->nregions; i++) {
		const struct ram_region *r = &ram->region[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int ram_read(const struct guest_ram *ram, u64 gpa, void *buf, u64 len)
{
	void *p = ram_ptr(ram, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int ram_write(const struct guest_ram *ram, u64 gpa, const void *buf, u64 len)
{
	void *p = ram_ptr(ram, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

/* MADV_POPULATE_WRITE: several times faster than page faults, more so in a nested guest. */
void ram_populate(const struct guest_ram *ram, u64 gpa, u64 len)
{
#ifdef MADV_POPULATE_WRITE
	u8 *p = ram_ptr(ram, gpa, len);
	uintptr_t start, end;

	if (!p || len == 0)
		return;
	start = (uintptr_t)p & ~(uintptr_t)4095;
	end = (uintptr_t)p + len;
	madvise((void *)start, end - start, MADV_POPULATE_WRITE);
#else
	(void)ram;
	(void)gpa;
	(void)len;
#endif
}

/*
 * MADV_REMOVE frees the memfd's pages (MADV_DONTNEED would only unmap a
 * shared mapping); a region mapped private from a snapshot file refuses it,
 * and there MADV_DONTNEED drops our copy, which is what we want too.
 */
u64 ram_discard(const struct guest_ram *ram, u64 gpa, u64 len)
{
	for (unsigned i = 0; i < ram->nregions; i++) {
		const struct ram_region *r = &ram->region[i];
		u64 start, end;

		if (gpa >= r->gpa + r->size || gpa + len <= r->gpa || gpa + len < gpa)
			continue;
		start = gpa > r->gpa ? gpa - r->gpa : 0;
		end = gpa + len - r->gpa < r->size ? gpa + len - r->gpa : r->size;
		start = (start + r->page_size - 1) & ~(r->page_size - 1);
		end &= ~(r->page_size - 1);
		if (start >= end)
			return 0;
		if (madvise(r->hva + start, end - start, MADV_REMOVE) &&
		    madvise(r->hva + start, end - start, MADV_DONTNEED))
			return 0;
		return end - start;
	}
	return 0;
}
