/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net (virtio 1.2 section 5.1) over a host network backend
 * (host/net.h). The device owns the backend from create to destroy. Hand
 * virtio_net_dev() to a transport (virtio/pci.h).
 */
#ifndef HOVER_VIRTIO_NET_H
#define HOVER_VIRTIO_NET_H

#include "include/hover/virtio.h"

struct net_backend;
struct vm;
struct virtio_net;

/* index names the device in logs ("virtio-net<index>"). */
int virtio_net_create(struct virtio_net **out, struct vm *vm, struct net_backend *be,
		      const u8 mac[6], unsigned index) HOVER_WUR;
struct virtio_dev *virtio_net_dev(struct virtio_net *n);
/* Frame bytes received by and sent for the guest since create (for metrics). */
void virtio_net_counters(struct virtio_net *n, u64 *rx_bytes, u64 *tx_bytes);
/* Closes the backend too. */
void virtio_net_destroy(struct virtio_net *n);

/* Section "virtio-net", one per device: the virtio core state (quiesce signals unsignalled receive buffers). */
extern const struct dev_state_ops virtio_net_state_ops;

#endif
