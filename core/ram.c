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

#include "include/hover/ram.h"

static int add_region(struct guest_ram *ram, u64 gpa, u64 size)
{
	struct ram_region *r = &ram->region[ram->nregions];
	void *p;
	int fd;

	fd = memfd_create("hover-ram", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		int e = -errno;

		close(fd);
		return e;
	}
	r->gpa = gpa;
	r->size = size;
	r->hva = p;
	r->fd = fd;
	ram->nregions++;
	ram->total += size;
	return 0;
}

int ram_create(struct guest_ram *ram, u64 size)
{
	u64 low = size < RAM_LOW_MAX ? size : RAM_LOW_MAX;
	int ret;

	memset(ram, 0, sizeof(*ram));
	if (size == 0 || (size & 0xfff))
		return -EINVAL;
	ret = add_region(ram, 0, low);
	if (ret == 0 && size > low)
		ret = add_region(ram, RAM_HIGH_BASE, size - low);
	if (ret)
		ram_destroy(ram);
	return ret;
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
	ret = add_region(ram, gpa, size);
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
