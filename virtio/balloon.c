// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-balloon (virtio 1.2 section 5.5).
 *
 * Queues, as the guest's driver numbers them (present queues only, in this
 * order, as Linux and QEMU do): inflateq, deflateq, statsq (with
 * VIRTIO_BALLOON_F_STATS_VQ), reporting_vq (VIRTIO_BALLOON_F_PAGE_REPORTING).
 * Free page hinting (F_FREE_PAGE_HINT) is not offered, so no hint queue.
 *
 * - The host sets num_pages in the config space (the balloon's target size in
 *   4 KiB pages); the driver inflates (hands page frame numbers over on
 *   inflateq, 5.5.6.1) or deflates, then writes `actual`. An inflated page is
 *   given back to the host at once (ram_discard: MADV_REMOVE); every guest
 *   PFN is checked against guest RAM first, others are skipped with a
 *   rate-limited log line. A deflated page needs nothing: it is faulted in
 *   again, zeroed, when the guest touches it (no F_MUST_TELL_HOST).
 * - Statistics (5.5.6.3): the driver posts one buffer of (le16 tag, le64
 *   value) pairs; the device keeps it and returns it when it wants fresh
 *   figures, and the driver refills and posts it again. hover asks when
 *   someone reads the figures (virtio_balloon_info), never on a timer: an
 *   idle VM stays asleep.
 * - Free page reporting (5.5.6.7): the driver posts device-writable buffers
 *   each describing a free range (normally 2 MiB-aligned blocks); the device
 *   releases them at once and returns the buffers. A guest that later reuses
 *   them reads zeros (page poisoning is not offered).
 * - F_DEFLATE_ON_OOM: the guest deflates by itself under memory pressure.
 */
#include "virtio/balloon.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/log.h"
#include "include/hover/ram.h"
#include "include/hover/timer.h"
#include "include/hover/vm.h"

#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define VIRTIO_BALLOON_F_PAGE_REPORTING 5

#define BALLOON_PFN_SHIFT 12 /* PFNs on inflateq/deflateq are 4 KiB frames, whatever the guest's page size */
#define BALLOON_PAGE (1ULL << BALLOON_PFN_SHIFT)
#define BALLOON_NQUEUES 4
#define BALLOON_STAT_SIZE 10 /* le16 tag + le64 value, packed */
#define BALLOON_PFN_BATCH 256

enum balloon_role { ROLE_INFLATE, ROLE_DEFLATE, ROLE_STATS, ROLE_REPORTING, ROLE_NONE };

const char *const balloon_stat_names[BALLOON_NSTATS] = {
	"swap_in", "swap_out", "major_faults", "minor_faults", "free", "total",
	"available", "caches", "hugetlb_allocations", "hugetlb_failures",
};

/* What the guest can see or relies on: saved and loaded. */
struct balloon_state {
	u32 num_pages; /* config: the target the host set */
	u32 actual;    /* config: what the driver says it holds */
	bool stats_held; /* the device holds the driver's stats buffer */
	u16 stats_head;
	bool stats_valid;
	u32 stats_present;
	u64 stat[BALLOON_NSTATS];
};

struct virtio_balloon {
	struct virtio_dev vdev;
	struct balloon_state s;
	/* Host-side bookkeeping. */
	u64 inflated_pages;
	u64 reported_bytes;
	u64 stats_time_ns;
	struct virtq_elem elem;
};

static struct virtio_balloon *balloon_of(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_balloon, vdev);
}

/* Which queue q is, given the features the driver took (absent queues take no index). */
static enum balloon_role role_of(struct virtio_dev *vdev, unsigned q)
{
	unsigned next = 2;

	if (q < 2)
		return q == 0 ? ROLE_INFLATE : ROLE_DEFLATE;
	if (virtio_has_feature(vdev, VIRTIO_BALLOON_F_STATS_VQ) && q == next++)
		return ROLE_STATS;
	if (virtio_has_feature(vdev, VIRTIO_BALLOON_F_PAGE_REPORTING) && q == next)
		return ROLE_REPORTING;
	return ROLE_NONE;
}

static void release(struct virtio_balloon *b, u64 gpa, u64 len)
{
	if (ram_discard(&b->vdev.vm->ram, gpa, len))
		/* the bytes changed under the CPU: a code cache must not keep them */
		vm_ram_written(b->vdev.vm, gpa, len);
}

/* One inflate or deflate buffer: le32 PFNs; contiguous frames are released as one range. */
static void pfns(struct virtio_balloon *b, const struct virtq_elem *e, bool inflate)
{
	const struct guest_ram *ram = &b->vdev.vm->ram;
	u32 pfn[BALLOON_PFN_BATCH];
	u64 run_gpa = 0, run_len = 0;
	size_t off = 0, n;

	while ((n = virtq_iov_to_buf(e, off, pfn, sizeof(pfn)) / sizeof(u32)) > 0) {
		off += n * sizeof(u32);
		for (size_t i = 0; i < n; i++) {
			u64 gpa = (u64)le32toh(pfn[i]) << BALLOON_PFN_SHIFT;

			if (!ram_ptr(ram, gpa, BALLOON_PAGE)) {
				log_ratelimited(LOG_WARN, "%s: PFN %#x is not guest RAM; skipped",
						b->vdev.name, le32toh(pfn[i]));
				continue;
			}
			if (!inflate) {
				b->inflated_pages -= b->inflated_pages ? 1 : 0;
				continue;
			}
			b->inflated_pages++;
			if (run_len && gpa == run_gpa + run_len) {
				run_len += BALLOON_PAGE;
				continue;
			}
			if (run_len)
				release(b, run_gpa, run_len);
			run_gpa = gpa;
			run_len = BALLOON_PAGE;
		}
	}
	if (run_len)
		release(b, run_gpa, run_len);
}

/* Free page reporting: every segment is a free range; release it. */
static void report(struct virtio_balloon *b, const struct virtq_elem *e)
{
	for (unsigned i = 0; i < e->out_num + e->in_num; i++) {
		u64 len = e->iov[i].iov_len;

		b->reported_bytes += ram_discard(&b->vdev.vm->ram, e->gpa[i], len);
		vm_ram_written(b->vdev.vm, e->gpa[i], len);
	}
}

/* The driver posted its stats buffer: read the figures, keep the buffer. */
static void stats(struct virtio_balloon *b, const struct virtq_elem *e)
{
	u8 rec[BALLOON_STAT_SIZE];

	if (b->s.stats_held) { /* a second buffer: only one may be outstanding */
		log_ratelimited(LOG_WARN, "%s: a second statistics buffer; the first returned",
				b->vdev.name);
		virtq_push_head(&b->vdev.vq[2], b->s.stats_head, 0);
	}
	b->s.stats_present = 0;
	for (size_t off = 0; virtq_iov_to_buf(e, off, rec, sizeof(rec)) == sizeof(rec);
	     off += sizeof(rec)) {
		u16 tag = (u16)(rec[0] | rec[1] << 8);
		u64 val = 0;

		for (int i = 9; i >= 2; i--)
			val = val << 8 | rec[i];
		if (tag < BALLOON_NSTATS) {
			b->s.stat[tag] = val;
			b->s.stats_present |= 1u << tag;
		}
		if (off > 64 * sizeof(rec))
			break; /* more than any driver sends: the rest is noise */
	}
	b->s.stats_valid = true;
	b->s.stats_held = true;
	b->s.stats_head = e->head;
	b->stats_time_ns = clock_ns();
}

static void balloon_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_balloon *b = balloon_of(vdev);
	struct virtq *vq = &vdev->vq[q];
	enum balloon_role role = role_of(vdev, q);
	bool more, pushed = false;

	do {
		virtq_disable_notify(vq);
		while (virtq_pop(vq, &b->elem) > 0) {
			switch (role) {
			case ROLE_INFLATE:
			case ROLE_DEFLATE:
				pfns(b, &b->elem, role == ROLE_INFLATE);
				break;
			case ROLE_REPORTING:
				report(b, &b->elem);
				break;
			case ROLE_STATS:
				stats(b, &b->elem);
				continue; /* held until we want new figures */
			case ROLE_NONE:
				log_ratelimited(LOG_WARN, "%s: buffer on queue %u, which the "
						"features in use do not have", vdev->name, q);
				break;
			}
			virtq_push(vq, &b->elem, 0);
			pushed = true;
		}
		more = virtq_enable_notify(vq);
	} while (more);
	if (pushed)
		virtq_notify(vq);
}

static void balloon_config_read(struct virtio_dev *vdev, u32 offset, void *buf, u32 len)
{
	struct virtio_balloon *b = balloon_of(vdev);
	u32 cfg[4] = { htole32(b->s.num_pages), htole32(b->s.actual), 0, 0 };

	memcpy(buf, (u8 *)cfg + offset, len);
}

/* Only `actual` (offset 4) is the driver's to write. */
static void balloon_config_write(struct virtio_dev *vdev, u32 offset, const void *buf, u32 len)
{
	struct virtio_balloon *b = balloon_of(vdev);
	u32 v = le32toh(b->s.actual);

	if (offset < 4 || offset + len > 8)
		return;
	memcpy((u8 *)&v + (offset - 4), buf, len);
	b->s.actual = le32toh(v);
}

static void balloon_reset(struct virtio_dev *vdev)
{
	struct virtio_balloon *b = balloon_of(vdev);

	/* The queues are gone; the balloon's pages are the guest's again. */
	b->s.stats_held = false;
	b->s.actual = 0;
	b->inflated_pages = 0;
}

/* Linux posts its first statistics buffer before DRIVER_OK, and that kick was dropped. */
static void balloon_driver_ok(struct virtio_dev *vdev)
{
	for (unsigned q = 0; q < vdev->nqueues; q++)
		if (vdev->vq[q].s.enabled && virtq_has_avail(&vdev->vq[q]))
			balloon_queue_notify(vdev, q);
}

static const struct virtio_dev_ops balloon_ops = {
	.driver_ok = balloon_driver_ok,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.queue_notify = balloon_queue_notify,
	.reset = balloon_reset,
};

int virtio_balloon_create(struct virtio_balloon **out, struct vm *vm)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	ret = virtio_dev_init(&b->vdev, vm, &balloon_ops, VIRTIO_ID_BALLOON, "virtio-balloon",
			      BALLOON_NQUEUES);
	if (ret) {
		free(b);
		return ret;
	}
	b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ) |
				 VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) |
				 VIRTIO_BIT(VIRTIO_BALLOON_F_PAGE_REPORTING);
	b->vdev.config_len = 16; /* num_pages, actual, free_page_hint_cmd_id, poison_val */
	*out = b;
	return 0;
}

struct virtio_dev *virtio_balloon_dev(struct virtio_balloon *b)
{
	return &b->vdev;
}

void virtio_balloon_destroy(struct virtio_balloon *b)
{
	free(b);
}

int virtio_balloon_set_target(struct virtio_balloon *b, u64 bytes, u64 min_bytes)
{
	u64 total = b->vdev.vm->ram.total;

	bytes &= ~(BALLOON_PAGE - 1);
	if (bytes > total || bytes < min_bytes)
		return -ERANGE;
	b->s.num_pages = (u32)((total - bytes) >> BALLOON_PFN_SHIFT);
	virtio_config_changed(&b->vdev);
	return 0;
}

void virtio_balloon_info(struct virtio_balloon *b, struct balloon_info *info)
{
	u64 total = b->vdev.vm->ram.total;
	u64 actual = (u64)b->s.actual << BALLOON_PFN_SHIFT;

	*info = (struct balloon_info){
		.ram_bytes = total,
		.target_bytes = total - ((u64)b->s.num_pages << BALLOON_PFN_SHIFT),
		.actual_bytes = actual < total ? total - actual : 0,
		.inflated_bytes = b->inflated_pages << BALLOON_PFN_SHIFT,
		.reported_bytes = b->reported_bytes,
		.driver_ok = (b->vdev.status & VIRTIO_STATUS_DRIVER_OK) != 0,
		.stats_valid = b->s.stats_valid,
		.stats_present = b->s.stats_present,
	};
	memcpy(info->stat, b->s.stat, sizeof(info->stat));
	if (b->s.stats_valid && b->stats_time_ns)
		info->stats_age_s = (double)(clock_ns() - b->stats_time_ns) / 1e9;
	/* Hand the buffer back: the driver refills it, and the next reader sees fresh figures. */
	if (b->s.stats_held && info->driver_ok) {
		struct virtq *vq = &b->vdev.vq[2];

		b->s.stats_held = false;
		virtq_push_head(vq, b->s.stats_head, 0);
		virtq_notify(vq);
	}
}

/* ---- state (include/hover/state.h) ---- */

static int balloon_save(void *dev, struct state_writer *w)
{
	struct virtio_balloon *b = dev;

	virtio_dev_save(&b->vdev, w);
	state_put_u32(w, b->s.num_pages);
	state_put_u32(w, b->s.actual);
	state_put_bool(w, b->s.stats_held);
	state_put_u16(w, b->s.stats_head);
	state_put_bool(w, b->s.stats_valid);
	state_put_u32(w, b->s.stats_present);
	for (unsigned i = 0; i < BALLOON_NSTATS; i++)
		state_put_u64(w, b->s.stat[i]);
	state_put_u64(w, b->inflated_pages);
	return 0;
}

static int balloon_load(void *dev, struct state_reader *r)
{
	struct virtio_balloon *b = dev;

	virtio_dev_load(&b->vdev, r);
	b->s.num_pages = state_get_u32(r);
	b->s.actual = state_get_u32(r);
	b->s.stats_held = state_get_bool(r);
	b->s.stats_head = state_get_u16(r);
	b->s.stats_valid = state_get_bool(r);
	b->s.stats_present = state_get_u32(r);
	for (unsigned i = 0; i < BALLOON_NSTATS; i++)
		b->s.stat[i] = state_get_u64(r);
	b->inflated_pages = state_get_u64(r);
	if (state_reader_error(r))
		return state_reader_error(r);
	if ((u64)b->s.num_pages << BALLOON_PFN_SHIFT > b->vdev.vm->ram.total)
		return state_reader_fail(r, "virtio-balloon: a target of %u pages is more than the "
					 "VM's RAM", b->s.num_pages);
	if (b->s.stats_held && b->vdev.vq[2].s.size && b->s.stats_head >= b->vdev.vq[2].s.size)
		return state_reader_fail(r, "virtio-balloon: held statistics buffer %u is outside "
					 "its queue", b->s.stats_head);
	return 0;
}

const struct dev_state_ops virtio_balloon_state_ops = {
	.section = "virtio-balloon", .version = 1, .save = balloon_save, .load = balloon_load,
};
