/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A driver's side of split virtqueues for device tests: guest RAM, queues
 * laid out at fixed guest addresses, descriptors and avail entries written
 * as a (possibly hostile) driver would, used entries read back. No
 * transport: the test stands in for it and counts interrupts.
 */
#ifndef HOVER_TESTS_UNIT_VIRTIO_TEST_UTIL_H
#define HOVER_TESTS_UNIT_VIRTIO_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "include/hover/log.h"
#include "include/hover/ram.h"
#include "include/hover/virtio.h"
#include "include/hover/vm.h"

#define VT_RAM (16 * MiB)
#define VT_QSZ 64
#define VT_QBASE(q) (0x10000ULL + (u64)(q) * 0x4000ULL) /* desc, avail +0x1000, used +0x2000 */
#define VT_BUF 0x100000ULL                              /* data buffers from here up */

struct vt {
	struct vm *vm;
	struct virtio_dev *dev;
	u16 avail_idx[VIRTIO_MAX_QUEUES];
	u16 used_seen[VIRTIO_MAX_QUEUES];
	unsigned queue_irqs[VIRTIO_MAX_QUEUES], config_irqs;
};

static struct vt *vt_cur;

static inline void vt_notify_queue(struct virtio_dev *d, unsigned q) { vt_cur->queue_irqs[q]++; }
static inline void vt_notify_config(struct virtio_dev *d) { vt_cur->config_irqs++; }
static const struct virtio_transport_ops vt_tops = { vt_notify_queue, vt_notify_config };

static inline u8 *vt_g(struct vt *t, u64 gpa) { return ram_ptr(&t->vm->ram, gpa, 1); }

static inline int vt_create_vm(struct vt *t)
{
	memset(t, 0, sizeof(*t));
	vt_cur = t;
	log_set_level(LOG_ERROR); /* hostile cases log warnings by design */
	t->vm = calloc(1, sizeof(*t->vm));
	if (!t->vm)
		return -1;
	pthread_mutex_init(&t->vm->lock, NULL);
	return ram_create(&t->vm->ram, VT_RAM);
}

static inline void vt_destroy_vm(struct vt *t)
{
	ram_destroy(&t->vm->ram);
	free(t->vm);
}

/* Negotiate `features`, enable queues 0..nq-1 and set DRIVER_OK, as a driver does. */
static inline void vt_start(struct vt *t, struct virtio_dev *dev, u64 features, unsigned nq)
{
	t->dev = dev;
	dev->transport = &vt_tops;
	dev->driver_features = (features | VIRTIO_BIT(VIRTIO_F_VERSION_1)) & dev->host_features;
	virtio_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < nq; q++) {
		struct virtq *vq = &dev->vq[q];

		memset(vt_g(t, VT_QBASE(q)), 0, 0x4000);
		vq->s.size = VT_QSZ;
		vq->s.desc_gpa = VT_QBASE(q);
		vq->s.avail_gpa = VT_QBASE(q) + 0x1000;
		vq->s.used_gpa = VT_QBASE(q) + 0x2000;
		if (virtq_enable(vq) == 0)
			vq->s.enabled = true;
		t->avail_idx[q] = t->used_seen[q] = 0;
	}
	virtio_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

#define VT_NEXT 1
#define VT_WRITE 2

static inline void vt_desc(struct vt *t, unsigned q, unsigned i, u64 addr, u32 len, u16 flags,
			   u16 next)
{
	u8 *d = vt_g(t, VT_QBASE(q) + 16 * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static inline void vt_publish(struct vt *t, unsigned q, u16 head)
{
	u8 *avail = vt_g(t, VT_QBASE(q) + 0x1000);
	u16 idx = t->avail_idx[q];

	memcpy(avail + 4 + 2 * (idx % VT_QSZ), &head, 2);
	idx++;
	memcpy(avail + 2, &idx, 2);
	t->avail_idx[q] = idx;
}

/* The driver kicks queue q (as the transport would, with the VM lock held). */
static inline void vt_kick(struct vt *t, unsigned q)
{
	pthread_mutex_lock(&t->vm->lock);
	virtio_queue_kick(t->dev, q);
	pthread_mutex_unlock(&t->vm->lock);
}

/* Next used entry of queue q: true and its id/len, or false if none. */
static inline bool vt_used(struct vt *t, unsigned q, u32 *id, u32 *len)
{
	u8 *used = vt_g(t, VT_QBASE(q) + 0x2000);
	u16 idx;

	memcpy(&idx, used + 2, 2);
	if (idx == t->used_seen[q])
		return false;
	memcpy(id, used + 4 + 8 * (t->used_seen[q] % VT_QSZ), 4);
	memcpy(len, used + 8 + 8 * (t->used_seen[q] % VT_QSZ), 4);
	t->used_seen[q]++;
	return true;
}

#endif
