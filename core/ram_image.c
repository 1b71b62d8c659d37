// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest RAM as a file image, for snapshots (issue 13): the regions one after
 * another, byte for byte, at a page-aligned offset of the snapshot file.
 * Pages that hold only zeroes are not written, so the file is as sparse as
 * the guest's memory is unused (a booted, idle 512 MiB guest writes a few
 * tens of MiB). A restore does not read the image: it maps it over the
 * regions, private and copy-on-write, so the guest faults in what it touches
 * and a restore costs the same whatever the RAM size (Firecracker restores
 * its memory file the same way).
 *
 * The mapping replaces the memfd mapping at the same host address, so the
 * engines' view of RAM (the emu TLB's pointers, KVM's memory slots, which
 * take user addresses) stays valid; the memfd itself is kept only to be
 * closed by ram_destroy(). A failed map may leave a region unmapped (mmap
 * with MAP_FIXED replaces first): restore into a VM that has not run and
 * destroy it on failure. The file must not shrink while it is mapped (the
 * caller holds it open and locked).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "include/hover/ram.h"

#define PAGE 4096ULL
#define CHUNK (2 * 1024 * 1024ULL) /* pages written per pwrite at most */

static bool page_is_zero(const u8 *p)
{
	const u64 *w = (const u64 *)p;

	for (unsigned i = 0; i < PAGE / 8; i += 4)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
			return false;
	return true;
}

static int write_full(int fd, const u8 *buf, u64 len, u64 off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

int ram_image_save(const struct guest_ram *ram, int fd, u64 off, u64 *written)
{
	u64 pos = off;
	int ret;

	*written = 0;
	if (off % PAGE)
		return -EINVAL;
	for (unsigned i = 0; i < ram->nregions; i++) {
		const struct ram_region *r = &ram->region[i];

		for (u64 p = 0; p < r->size;) {
			u64 run = 0;

			/* One write per run of non-zero pages (up to CHUNK). */
			while (p + run < r->size && run < CHUNK && !page_is_zero(r->hva + p + run))
				run += PAGE;
			if (run) {
				ret = write_full(fd, r->hva + p, run, pos + p);
				if (ret)
					return ret;
				*written += run;
				p += run;
			} else {
				p += PAGE;
			}
		}
		pos += r->size;
	}
	/* The file ends after the last region even if its last pages were holes. */
	if (ftruncate(fd, (off_t)pos) < 0)
		return -errno;
	return 0;
}

int ram_image_map(struct guest_ram *ram, int fd, u64 off)
{
	struct stat st;
	u64 pos = off;

	if (off % PAGE)
		return -EINVAL;
	/*
	 * A page of the mapping past the end of the file would raise SIGBUS
	 * when the guest touched it: a short file is refused here instead.
	 */
	if (fstat(fd, &st))
		return -errno;
	if ((u64)st.st_size < off || (u64)st.st_size - off < ram->total)
		return -ENODATA;
	for (unsigned i = 0; i < ram->nregions; i++) {
		struct ram_region *r = &ram->region[i];
		void *p = mmap(r->hva, r->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, (off_t)pos);

		if (p == MAP_FAILED)
			return -errno;
		r->file_mapped = true;
		pos += r->size;
	}
	return 0;
}
