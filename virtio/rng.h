/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-rng (virtio 1.2 section 5.4): the guest's hw_random source, fed
 * from the host's getrandom(2). Hand virtio_rng_dev() to a transport.
 */
#ifndef HOVER_VIRTIO_RNG_H
#define HOVER_VIRTIO_RNG_H

#include "include/hover/virtio.h"

struct vm;
struct virtio_rng;

int virtio_rng_create(struct virtio_rng **out, struct vm *vm) HOVER_WUR;
struct virtio_dev *virtio_rng_dev(struct virtio_rng *r);
void virtio_rng_destroy(struct virtio_rng *r);

/* Section "virtio-rng", one per device: the virtio core state. */
extern const struct dev_state_ops virtio_rng_state_ops;

#endif
