// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net (virtio 1.2 section 5.1): one receive and one transmit queue,
 * no control queue. Every buffer starts with the 12-byte struct
 * virtio_net_hdr (5.1.6; with VIRTIO_F_VERSION_1 it always has num_buffers).
 *
 * Features offered:
 *   MAC, STATUS (link always up)
 *   CSUM        the driver may leave a TCP/UDP checksum for us to finish
 *               (NEEDS_CSUM with csum_start/csum_offset, 5.1.6.2): we do it
 *               before the frame reaches the backend, which wants real ones
 *   GUEST_CSUM  frames from a backend that makes them itself (slirp) are
 *               marked DATA_VALID, so the driver skips verifying them
 *   MTU         the backend's MTU when above 1500 (slirp): with it Linux
 *               posts "big" receive chains that hold a whole frame each
 * No mergeable buffers and no GSO: every frame is one chain either way,
 * completed with a single used-ring entry.
 *
 * Receive: the backend calls rx_receive() with a frame; it goes into the
 * next posted chain, or -EAGAIN makes the backend hold it until the driver
 * posts buffers (rx queue kick -> net_backend_rx_ready). Interrupts are sent
 * once per burst (rx_flush).
 *
 * Hostile input: a transmit chain without a whole header, with writable
 * descriptors, larger than a frame can be, asking for GSO we did not offer,
 * or with a checksum position outside the frame is refused (returned with
 * length 0, nothing sent, rate-limited log line). A receive chain without
 * room for the header is returned unused the same way; one too small for a
 * frame drops that frame, as a NIC drops what does not fit.
 */
#include "virtio/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/net.h"
#include "include/hover/log.h"

/* Feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16

#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr (5.1.6) */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define NET_HDR_LEN 12

/* struct virtio_net_config offsets (5.1.4) */
#define CFG_MAC 0
#define CFG_STATUS 6
#define CFG_MAX_VQ_PAIRS 8
#define CFG_MTU 10
#define CFG_LEN 12

#define NET_RXQ 0
#define NET_TXQ 1
#define NET_QUEUE_SIZE 256
#define NET_DEFAULT_MTU 1500
/* Ethernet header and a VLAN tag on top of the MTU. */
#define NET_L2_OVERHEAD 18

struct virtio_net {
	struct virtio_dev vdev;
	struct net_backend *be;
	char name[32];
	u8 config[CFG_LEN];
	u32 max_frame;  /* largest frame either way */
	bool rx_pushed; /* used rx buffers not yet signalled */
	struct virtq_elem rx_elem, tx_elem;
	u8 *txbuf;
	/* frame bytes delivered to the guest and sent for it (the API's metrics; not guest state) */
	_Atomic u64 rx_bytes, tx_bytes;
};

static void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static u16 get16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }

static struct virtio_net *net_of(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_net, vdev);
}

static void net_config_read(struct virtio_dev *vdev, u32 off, void *buf, u32 len)
{
	memcpy(buf, net_of(vdev)->config + off, len);
}

static bool ready(struct virtio_net *n)
{
	return (n->vdev.status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(n->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
}

/* ---- receive ---- */

static void rx_flush(void *opaque)
{
	struct virtio_net *n = opaque;

	if (n->rx_pushed) {
		n->rx_pushed = false;
		virtq_notify(&n->vdev.vq[NET_RXQ]);
	}
}

static int rx_receive(void *opaque, const u8 *frame, size_t len)
{
	struct virtio_net *n = opaque;
	struct virtq *vq = &n->vdev.vq[NET_RXQ];
	struct virtq_elem *e = &n->rx_elem;
	u8 hdr[NET_HDR_LEN] = { 0 };
	int r;

	if (!ready(n) || !vq->s.enabled)
		return 0; /* no driver: the frame falls on the floor */
	if (len > n->max_frame) {
		log_ratelimited(LOG_WARN, "%s: dropped a %zu-byte frame from the %s backend "
				"(above the %u-byte limit)", n->name, len, n->be->kind,
				n->max_frame);
		return 0;
	}
	for (bool rechecked = false;;) {
		r = virtq_pop(vq, e);
		if (r < 0 || vq->s.broken)
			return 0; /* malformed chain: the queue stays off until reset */
		if (r == 0) {
			/* Ask for a kick when buffers come, then look once more. */
			if (rechecked || !virtq_enable_notify(vq))
				return -EAGAIN;
			rechecked = true;
			continue;
		}
		if (e->in_len >= NET_HDR_LEN && e->out_num == 0)
			break;
		log_ratelimited(LOG_WARN, "%s: receive buffer with %llu writable bytes and %u "
				"readable descriptors (needs %d writable, no readable); refused",
				n->name, (unsigned long long)e->in_len, e->out_num, NET_HDR_LEN);
		virtq_push(vq, e, 0);
		n->rx_pushed = true;
	}
	if (e->in_len < NET_HDR_LEN + len) {
		/* The driver sized its buffers for a smaller MTU: drop, keep the buffer. */
		log_ratelimited(LOG_WARN, "%s: a %zu-byte frame does not fit a %llu-byte receive "
				"buffer; dropped", n->name, len,
				(unsigned long long)e->in_len - NET_HDR_LEN);
		virtq_unpop(vq);
		return 0;
	}
	if (n->be->csum_valid && virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_CSUM))
		hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	hdr[1] = VIRTIO_NET_HDR_GSO_NONE;
	put16(hdr + 10, 1); /* num_buffers */
	virtq_iov_from_buf(e, 0, hdr, sizeof(hdr));
	virtq_iov_from_buf(e, NET_HDR_LEN, frame, len);
	virtq_push(vq, e, (u32)(NET_HDR_LEN + len));
	n->rx_bytes += len;
	n->rx_pushed = true;
	return 0;
}

/* ---- transmit ---- */

/* One's-complement sum of buf (RFC 1071), in the byte order of the data. */
static u16 csum_fold(const u8 *buf, size_t len)
{
	u64 sum = 0;
	size_t i = 0;

	for (; i + 4 <= len; i += 4) {
		u32 w;

		memcpy(&w, buf + i, 4);
		sum += w;
	}
	for (; i + 2 <= len; i += 2) {
		u16 w;

		memcpy(&w, buf + i, 2);
		sum += w;
	}
	if (i < len) {
		u16 w = 0;

		memcpy(&w, buf + i, 1);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)sum;
}

/* Send one transmit chain; false if it was refused. */
static bool tx_one(struct virtio_net *n, const struct virtq_elem *e)
{
	u8 hdr[NET_HDR_LEN];
	struct iovec iov;
	size_t len;

	if (e->out_len < NET_HDR_LEN || e->in_num || e->out_len - NET_HDR_LEN > n->max_frame) {
		log_ratelimited(LOG_WARN, "%s: transmit chain of %llu readable bytes and %u writable "
				"descriptors (needs a %d-byte header, at most %u bytes of frame, "
				"nothing writable); refused", n->name,
				(unsigned long long)e->out_len, e->in_num, NET_HDR_LEN,
				n->max_frame);
		return false;
	}
	virtq_iov_to_buf(e, 0, hdr, sizeof(hdr));
	if (hdr[1] != VIRTIO_NET_HDR_GSO_NONE) {
		log_ratelimited(LOG_WARN, "%s: transmit with gso_type %u, which was not offered; "
				"refused", n->name, hdr[1]);
		return false;
	}
	len = virtq_iov_to_buf(e, NET_HDR_LEN, n->txbuf, e->out_len - NET_HDR_LEN);
	if ((hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) && virtio_has_feature(&n->vdev, VIRTIO_NET_F_CSUM)) {
		size_t start = get16(hdr + 6), off = get16(hdr + 8);
		u16 sum;

		if (start >= len || off > len - start || len - start - off < 2) {
			log_ratelimited(LOG_WARN, "%s: checksum at %zu+%zu outside the %zu-byte frame; "
					"refused", n->name, start, off, len);
			return false;
		}
		/* The field holds the pseudo-header sum: fold it in with the rest (5.1.6.2). */
		sum = (u16)~csum_fold(n->txbuf + start, len - start);
		memcpy(n->txbuf + start + off, &sum, 2);
	}
	iov = (struct iovec){ .iov_base = n->txbuf, .iov_len = len };
	net_backend_send(n->be, &iov, 1);
	n->tx_bytes += len;
	return true;
}

static void tx_run(struct virtio_net *n)
{
	struct virtq *vq = &n->vdev.vq[NET_TXQ];
	bool more;

	do {
		virtq_disable_notify(vq);
		while (virtq_pop(vq, &n->tx_elem) > 0) {
			tx_one(n, &n->tx_elem);
			virtq_push(vq, &n->tx_elem, 0);
		}
		more = virtq_enable_notify(vq);
	} while (more);
	virtq_notify(vq);
	/* Answers the backend made on the spot (ARP, DHCP...) went to the rx queue. */
	rx_flush(n);
}

static void net_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_net *n = net_of(vdev);

	if (!ready(n))
		return;
	if (q == NET_TXQ)
		tx_run(n);
	else if (q == NET_RXQ)
		net_backend_rx_ready(n->be); /* new buffers: held frames go in */
}

static void net_driver_ok(struct virtio_dev *vdev)
{
	struct virtio_net *n = net_of(vdev);

	net_backend_rx_ready(n->be);
}

static void net_reset(struct virtio_dev *vdev)
{
	net_of(vdev)->rx_pushed = false;
}

static const struct virtio_dev_ops net_ops = {
	.config_read = net_config_read,
	.queue_notify = net_queue_notify,
	.driver_ok = net_driver_ok,
	.reset = net_reset,
};

int virtio_net_create(struct virtio_net **out, struct vm *vm, struct net_backend *be,
		      const u8 mac[6], unsigned index)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	u16 mtu = be->mtu ? be->mtu : NET_DEFAULT_MTU;
	int ret;

	if (!n)
		return -ENOMEM;
	n->txbuf = malloc(NET_FRAME_MAX);
	if (!n->txbuf) {
		free(n);
		return -ENOMEM;
	}
	snprintf(n->name, sizeof(n->name), "virtio-net%u", index);
	ret = virtio_dev_init(&n->vdev, vm, &net_ops, VIRTIO_ID_NET, n->name, 2);
	if (ret) {
		free(n->txbuf);
		free(n);
		return ret;
	}
	n->be = be;
	n->max_frame = mtu + NET_L2_OVERHEAD;
	if (n->max_frame > NET_FRAME_MAX)
		n->max_frame = NET_FRAME_MAX;
	for (unsigned q = 0; q < 2; q++)
		n->vdev.vq[q].max_size = n->vdev.vq[q].s.size = NET_QUEUE_SIZE;
	n->vdev.host_features |= VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
				 VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
				 VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	if (mtu > NET_DEFAULT_MTU)
		n->vdev.host_features |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
	memcpy(n->config + CFG_MAC, mac, 6);
	put16(n->config + CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put16(n->config + CFG_MAX_VQ_PAIRS, 1);
	put16(n->config + CFG_MTU, mtu);
	n->vdev.config_len = CFG_LEN;
	net_backend_set_frontend(be, &(struct net_frontend){
		.receive = rx_receive, .flush = rx_flush, .opaque = n,
	});
	*out = n;
	return 0;
}

void virtio_net_counters(struct virtio_net *n, u64 *rx_bytes, u64 *tx_bytes)
{
	*rx_bytes = n->rx_bytes;
	*tx_bytes = n->tx_bytes;
}

struct virtio_dev *virtio_net_dev(struct virtio_net *n)
{
	return &n->vdev;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	net_backend_destroy(n->be);
	free(n->txbuf);
	free(n);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * The MAC and link status are configuration, the frames in the backend are
 * the network's: the virtio core's state is what the guest has. Quiescing
 * signals used receive buffers still unsignalled, so none waits for an
 * interrupt the loading side would not know it owes.
 */
static int net_save(void *dev, struct state_writer *w)
{
	virtio_dev_save(&((struct virtio_net *)dev)->vdev, w);
	return 0;
}

static int net_load(void *dev, struct state_reader *r)
{
	struct virtio_net *n = dev;

	virtio_dev_load(&n->vdev, r);
	if (state_reader_error(r))
		return state_reader_error(r);
	/* As at DRIVER_OK: the new backend may deliver what it holds. */
	if (ready(n))
		net_backend_rx_ready(n->be);
	return 0;
}

static void net_quiesce(void *dev)
{
	rx_flush(dev);
}

const struct dev_state_ops virtio_net_state_ops = {
	.section = "virtio-net", .version = 1, .save = net_save, .load = net_load,
	.quiesce = net_quiesce,
};
