/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio device layer (virtio 1.2, chapters 2 and 3): what a virtio device
 * (blk, net, console, rng...) sees, independent of the transport that carries
 * it (virtio-pci in virtio/pci.c, virtio-mmio later).
 *
 * Who does what
 *   device     embeds a struct virtio_dev, fills id/features/config/queues and
 *              an ops table (below), and processes buffers from its queues;
 *   core       (virtio/core.c) owns feature negotiation state, the split
 *              virtqueues (2.7) and every check on guest-supplied addresses;
 *   transport  (virtio/pci.c) maps the common/notify/ISR/device config
 *              structures, calls the ops on guest accesses, and delivers the
 *              interrupts the core asks for (MSI-X or INTx).
 *
 * A device's life:
 *
 *	struct my_dev { struct virtio_dev vdev; ... };
 *	virtio_dev_init(&d->vdev, vm, &my_ops, VIRTIO_ID_RNG, "virtio-rng", 1);
 *	d->vdev.host_features |= MY_FEATURE_BITS;   // VERSION_1, EVENT_IDX,
 *	                                            // INDIRECT_DESC preset
 *	d->vdev.config_len = sizeof(d->cfg);        // served by ops->config_read
 *	virtio_pci_create(&pdev, pci_bus, &d->vdev);   // include/hover/pci.h
 *
 * Then, on the guest's kick (ops->queue_notify) or when a host backend has
 * data (an event-loop callback holding vm->lock):
 *
 *	struct virtq_elem *e = ...;  // may be large: heap or static per device
 *	while ((r = virtq_pop(vq, e)) > 0) {
 *		n = virtq_iov_to_buf(e, 0, &hdr, sizeof(hdr));   // driver->device
 *		...
 *		virtq_iov_from_buf(e, 0, reply, len);          // device->driver
 *		virtq_push(vq, e, len);        // len: bytes written into in-iovs
 *	}
 *	virtq_notify(vq);       // interrupt unless suppressed (EVENT_IDX/flags)
 *
 * virtq_pop() < 0 means the driver handed over a malformed chain (a loop, an
 * address outside RAM, too many descriptors, absurd lengths...): the core has
 * already logged a rate-limited line and put the device in NEEDS_RESET; the
 * device should just stop processing that queue (further pops return 0
 * until the driver resets the device).
 *
 * Locking: everything here runs with vm->lock held (the device lock): the
 * transport calls the ops from MMIO handlers; backend callbacks from the event
 * loop must take vm->lock before touching a queue. A device with an I/O thread
 * of its own (virtio-blk) pops and pushes with vm->lock held and does the host
 * I/O without it; its ops->stop joins that thread.
 *
 * Guest memory: the iovecs in a virtq_elem point straight into guest RAM
 * (validated with ram_ptr()). virtq_push() reports the bytes the device wrote
 * to the accelerator (vm_ram_written) so the software CPU drops stale decoded
 * code; a device that writes guest RAM by any other way must call
 * vm_ram_written() itself.
 */
#ifndef HOVER_INCLUDE_VIRTIO_H
#define HOVER_INCLUDE_VIRTIO_H

#include <sys/uio.h>

#include "include/hover/state.h"
#include "include/hover/types.h"

struct vm;
struct virtio_dev;

/* Device IDs (5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_VSOCK 19

/* Device status field (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Reserved (device-independent) feature bits (6) */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38

#define VIRTIO_BIT(n) (1ULL << (n))

/* Limits. A chain longer than VIRTQ_MAX_IOV segments is refused. */
#define VIRTQ_MAX_SIZE 1024 /* largest queue size a device may offer (power of 2) */
#define VIRTQ_MAX_IOV 1024
#define VIRTIO_MAX_QUEUES 64

/*
 * Split virtqueue (2.7). struct virtq_state is what the guest programmed and
 * how far the device got — plain data, saved and restored as is; the
 * transport writes size/desc/avail/used and `enabled` as the driver programs
 * them (queue_size, queue_desc, ..., queue_enable), the core keeps the rest.
 * struct virtq adds what the host derives from it: the host pointers to the
 * rings, rebuilt (and validated with ram_ptr) by virtq_enable() and on load.
 * Devices only read s.size, s.enabled and index, and pass the struct to
 * virtq_*().
 */
struct virtq_state {
	u16 size;     /* chosen by the driver, <= max_size */
	bool enabled; /* queue_enable written 1 (and the rings are in RAM) */
	bool broken;  /* a malformed chain was seen: pops return 0 until reset */
	u64 desc_gpa, avail_gpa, used_gpa;
	u16 last_avail;     /* next avail->ring[] entry to consume */
	u16 used_idx;       /* our copy of used->idx */
	u16 signalled_used; /* used_idx at the last interrupt (EVENT_IDX) */
	bool signalled_valid;
};

struct virtq {
	struct virtio_dev *vdev;
	unsigned index;
	u16 max_size; /* offered (queue_size on reset); set by the device, power of 2 */
	struct virtq_state s;

	/* Host side, core-private. */
	bool no_notify; /* virtq_disable_notify() in effect */
	void *desc, *avail, *used; /* host pointers into guest RAM, from s.*_gpa */
};

/*
 * One popped descriptor chain: `out` device-readable segments first, then
 * `in` device-writable ones (2.7.4: readable descriptors precede writable
 * ones). iov[i] points into guest RAM; gpa[i] is its guest address.
 */
struct virtq_elem {
	u16 head;
	unsigned out_num, in_num;
	u64 out_len, in_len; /* total bytes of each part */
	struct iovec iov[VIRTQ_MAX_IOV];
	u64 gpa[VIRTQ_MAX_IOV];
};

/*
 * What a device implements. Every callback is optional unless noted; all run
 * with vm->lock held.
 */
struct virtio_dev_ops {
	/*
	 * Device-specific configuration space (the device config structure of
	 * chapter 5), little-endian as the guest sees it. offset+len never
	 * exceeds vdev->config_len; len is 1, 2, 4 (or 8). Unhandled: reads 0.
	 */
	void (*config_read)(struct virtio_dev *vdev, u32 offset, void *buf, u32 len);
	void (*config_write)(struct virtio_dev *vdev, u32 offset, const void *buf, u32 len);
	/* The driver kicked queue q (already checked: q < nqueues, queue enabled). */
	void (*queue_notify)(struct virtio_dev *vdev, unsigned q);
	/*
	 * The driver set FEATURES_OK with vdev->driver_features: return 0 to
	 * accept or -EINVAL to refuse (FEATURES_OK then reads back clear).
	 */
	int (*features_ok)(struct virtio_dev *vdev, u64 features);
	/* DRIVER_OK was set: queues are live, the device may start producing. */
	void (*driver_ok)(struct virtio_dev *vdev);
	/*
	 * The driver reset the device (status 0) or the machine resets. The core
	 * has already reset status, features and every queue; the device drops
	 * its own in-flight state. Called before the transport clears its state.
	 */
	void (*reset)(struct virtio_dev *vdev);
	/*
	 * The transport is going away (virtio_pci_destroy): a device with a
	 * thread of its own finishes what is in flight and stops, so nothing
	 * calls the transport after this. Called WITHOUT vm->lock.
	 */
	void (*stop)(struct virtio_dev *vdev);
};

/*
 * The transport's side: how the core raises interrupts. Set by the
 * transport when it takes the device (virtio_pci_create...).
 */
struct virtio_transport_ops {
	/* Used-buffer notification for queue q (MSI-X vector of q, or ISR bit 0 + INTx). */
	void (*notify_queue)(struct virtio_dev *vdev, unsigned q);
	/* Configuration change notification (config vector, or ISR bit 1 + INTx). */
	void (*notify_config)(struct virtio_dev *vdev);
};

struct virtio_dev {
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	const char *name; /* for log lines, e.g. "virtio-blk0" */
	u16 device_id;
	u64 host_features;   /* offered; VERSION_1 required */
	u64 driver_features; /* written by the driver (the transport stores here) */
	u8 status;
	u8 config_generation;
	u32 config_len;
	unsigned nqueues;
	struct virtq vq[VIRTIO_MAX_QUEUES];

	const struct virtio_transport_ops *transport;
	void *transport_data;
};

/*
 * Initialise a device: ops, id, name, nqueues queues each offering
 * VIRTQ_DEFAULT_SIZE entries (change vq[i].max_size before the transport is
 * created), host_features = VERSION_1 | EVENT_IDX | INDIRECT_DESC. Returns
 * -EINVAL if nqueues is 0 or above VIRTIO_MAX_QUEUES.
 */
#define VIRTQ_DEFAULT_SIZE 256
int virtio_dev_init(struct virtio_dev *vdev, struct vm *vm, const struct virtio_dev_ops *ops,
		    u16 device_id, const char *name, unsigned nqueues) HOVER_WUR;

static inline bool virtio_has_feature(const struct virtio_dev *vdev, unsigned bit)
{
	return (vdev->driver_features & VIRTIO_BIT(bit)) != 0;
}

/*
 * Transport -> core entry points (the transport calls these on guest
 * register writes; devices do not).
 */
/* Status register write: handles 0 (reset), FEATURES_OK (asks ops->features_ok), DRIVER_OK. */
void virtio_set_status(struct virtio_dev *vdev, u8 status);
/* Reset the device: status, features, every queue; calls ops->reset. */
void virtio_reset(struct virtio_dev *vdev);
/* queue_enable written 1: validate and map the rings; -EFAULT if outside RAM (queue stays off). */
int virtq_enable(struct virtq *vq) HOVER_WUR;
/* The driver kicked queue q (after bounds/enabled checks, calls ops->queue_notify). */
void virtio_queue_kick(struct virtio_dev *vdev, unsigned q);
/* Read/write the device config space with bounds checks (out of range: reads 0, writes dropped). */
void virtio_config_read(struct virtio_dev *vdev, u32 offset, void *buf, u32 len);
void virtio_config_write(struct virtio_dev *vdev, u32 offset, const void *buf, u32 len);

/*
 * Device entry points.
 */

/*
 * Pop the next available chain into *elem. Returns 1 if one was popped, 0 if
 * the queue is empty (or not enabled/broken), -EINVAL if the chain is
 * malformed (device now NEEDS_RESET, see the file comment).
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *elem);
/* True if the driver has made buffers available that we have not popped. */
bool virtq_has_avail(struct virtq *vq);
/*
 * Return a chain to the driver as used, with `len` bytes written into its
 * in-iovs (reported to vm_ram_written). Does not interrupt: call
 * virtq_notify() once after a batch.
 */
void virtq_push(struct virtq *vq, const struct virtq_elem *elem, u32 len);
/* Same, from a head index alone (when the device no longer has the elem). */
void virtq_push_head(struct virtq *vq, u16 head, u32 len);
/* Undo the last virtq_pop() (e.g. an rx buffer too small to wait for more data). */
void virtq_unpop(struct virtq *vq);
/*
 * Interrupt the driver if it wants one for what was pushed since the last
 * notification: used_event (EVENT_IDX) or VIRTQ_AVAIL_F_NO_INTERRUPT.
 */
void virtq_notify(struct virtq *vq);
/*
 * Driver->device notification suppression (2.7.7/2.7.10): disable while
 * draining a queue, re-enable after. virtq_enable_notify() returns true if
 * buffers arrived meanwhile (pop again before sleeping).
 */
void virtq_disable_notify(struct virtq *vq);
bool virtq_enable_notify(struct virtq *vq);

/* Copy from the out (device-readable) part at byte offset off; returns bytes copied. */
size_t virtq_iov_to_buf(const struct virtq_elem *elem, size_t off, void *buf, size_t len);
/* Copy into the in (device-writable) part at byte offset off; returns bytes copied. */
size_t virtq_iov_from_buf(const struct virtq_elem *elem, size_t off, const void *buf, size_t len);

/* Config space changed: bump config_generation and send a config interrupt. */
void virtio_config_changed(struct virtio_dev *vdev);
/* Something went wrong that the driver must reset to fix: set NEEDS_RESET, config interrupt. */
void virtio_needs_reset(struct virtio_dev *vdev);

/*
 * State (include/hover/state.h): a device's save() starts with
 * virtio_dev_save() (status, features, config generation, every queue's
 * struct virtq_state), then adds its own fields; its load() mirrors it. The
 * load maps each enabled queue's rings from the saved guest addresses with
 * the checks of queue_enable, and refuses features this device does not
 * offer or another number of queues. Called on a device the driver has not
 * touched (fresh from create), with vm->lock held.
 */
void virtio_dev_save(const struct virtio_dev *vdev, struct state_writer *w);
void virtio_dev_load(struct virtio_dev *vdev, struct state_reader *r);

#endif
