/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk (virtio 1.2 section 5.2) over a host block backend. The device
 * owns the backend from create to destroy. Hand virtio_blk_dev() to a
 * transport (virtio/pci.h).
 */
#ifndef HOVER_VIRTIO_BLK_H
#define HOVER_VIRTIO_BLK_H

#include "include/hover/virtio.h"

struct block;
struct vm;
struct virtio_blk;

/* index names the device in logs and its serial ("hover-disk<index>"). */
int virtio_blk_create(struct virtio_blk **out, struct vm *vm, struct block *disk,
		      unsigned index) HOVER_WUR;
struct virtio_dev *virtio_blk_dev(struct virtio_blk *b);
/* Data bytes the guest has read and written since create (for metrics). */
void virtio_blk_counters(struct virtio_blk *b, u64 *read_bytes, u64 *written_bytes);
/*
 * Complete every request the driver has made available (vm->lock held):
 * returns once they are all in the used ring, for a snapshot or a test.
 * Requests run on the device's I/O thread (see virtio/blk.c).
 */
void virtio_blk_drain(struct virtio_blk *b);
/* Joins the I/O thread and closes the backend too. */
void virtio_blk_destroy(struct virtio_blk *b);

/* Section "virtio-blk", one per device: the virtio core state (quiesce drains the I/O thread first). */
extern const struct dev_state_ops virtio_blk_state_ops;

#endif
