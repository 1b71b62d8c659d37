// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk (virtio 1.2 section 5.2): one request queue; each request is
 * a chain of a 16-byte header (type, reserved, sector) the device reads,
 * the data (read for OUT, written for IN), and one status byte the device
 * writes last (5.2.6). Requests run synchronously against the host block
 * backend (host/block.h) when the driver kicks: IN, OUT, FLUSH (an
 * fdatasync of the image: 5.2.6.2 "the device MUST ... commit to
 * non-volatile storage"), GET_ID and DISCARD.
 *
 * A request the device cannot make sense of — no room for the status byte,
 * a short header — is refused: it is returned with nothing written and a
 * rate-limited log line. A request beyond the disk's end, a misaligned
 * length or a write to a read-only disk completes with VIRTIO_BLK_S_IOERR.
 */
#include "virtio/blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/block.h"
#include "include/hover/log.h"

/* Feature bits (5.2.3) */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13

/* Request types and status (5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

#define SECTOR 512ULL
#define BLK_QUEUE_SIZE 256
#define BLK_SEG_MAX (BLK_QUEUE_SIZE - 2)
#define BLK_MAX_DISCARD_SEG 32

/* struct virtio_blk_config offsets (5.2.4) */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_ALIGN 44
#define CFG_LEN 60

struct virtio_blk {
	struct virtio_dev vdev;
	struct block *disk;
	char name[32];
	char serial[VIRTIO_BLK_ID_BYTES];
	u8 config[CFG_LEN];
	struct virtq_elem elem;
	struct iovec data[VIRTQ_MAX_IOV];
};

static void put32(u8 *p, u32 v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
static void put64(u8 *p, u64 v) { put32(p, v); put32(p + 4, v >> 32); }
static u32 get32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static u64 get64(const u8 *p) { return get32(p) | (u64)get32(p + 4) << 32; }

static struct virtio_blk *blk_of(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_blk, vdev);
}

static void blk_config_read(struct virtio_dev *vdev, u32 off, void *buf, u32 len)
{
	memcpy(buf, blk_of(vdev)->config + off, len);
}

/* The first len bytes of the device-writable part (the data before the status byte). */
static int in_data(struct virtio_blk *b, const struct virtq_elem *e, u64 len)
{
	int n = 0;

	for (unsigned i = e->out_num; i < e->out_num + e->in_num && len; i++) {
		u64 l = e->iov[i].iov_len < len ? e->iov[i].iov_len : len;

		b->data[n].iov_base = e->iov[i].iov_base;
		b->data[n++].iov_len = l;
		len -= l;
	}
	return n;
}

/* The device-readable part after the 16-byte header. */
static int out_data(struct virtio_blk *b, const struct virtq_elem *e)
{
	u64 skip = 16;
	int n = 0;

	for (unsigned i = 0; i < e->out_num; i++) {
		u64 l = e->iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		b->data[n].iov_base = (u8 *)e->iov[i].iov_base + skip;
		b->data[n++].iov_len = l - skip;
		skip = 0;
	}
	return n;
}

static bool in_range(struct virtio_blk *b, u64 sector, u64 len)
{
	u64 cap = b->disk->size / SECTOR;

	return (len % SECTOR) == 0 && sector <= cap && len / SECTOR <= cap - sector;
}

static u8 do_discard(struct virtio_blk *b, const struct virtq_elem *e)
{
	u64 len = e->out_len - 16;
	u8 seg[16];

	if (len % 16 || len / 16 > BLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_UNSUPP;
	for (u64 off = 16; off < e->out_len; off += 16) {
		u64 sector;
		u32 n;
		int ret;

		virtq_iov_to_buf(e, off, seg, sizeof(seg));
		sector = get64(seg);
		n = get32(seg + 8);
		if (!in_range(b, sector, (u64)n * SECTOR))
			return VIRTIO_BLK_S_IOERR;
		ret = block_discard(b->disk, sector * SECTOR, (u64)n * SECTOR);
		if (ret && ret != -EOPNOTSUPP)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* Run one request; returns bytes written into the in part (data + status). */
static u32 handle(struct virtio_blk *b, const struct virtq_elem *e)
{
	u8 hdr[16], status = VIRTIO_BLK_S_OK;
	u64 sector, dlen = 0;
	u32 type;
	int ret = 0;

	if (e->out_len < sizeof(hdr) || e->in_len < 1) {
		log_ratelimited(LOG_WARN, "%s: request without header or status byte (out %llu, in "
				"%llu bytes); refused", b->name, (unsigned long long)e->out_len,
				(unsigned long long)e->in_len);
		return 0;
	}
	virtq_iov_to_buf(e, 0, hdr, sizeof(hdr));
	type = get32(hdr);
	sector = get64(hdr + 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		dlen = e->in_len - 1;
		if (!in_range(b, sector, dlen)) {
			status = VIRTIO_BLK_S_IOERR;
			dlen = 0;
			break;
		}
		ret = block_preadv(b->disk, b->data, in_data(b, e, dlen), sector * SECTOR);
		break;
	case VIRTIO_BLK_T_OUT:
		if (!in_range(b, sector, e->out_len - 16) || b->disk->readonly) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		ret = block_pwritev(b->disk, b->data, out_data(b, e), sector * SECTOR);
		break;
	case VIRTIO_BLK_T_FLUSH:
		ret = block_flush(b->disk);
		break;
	case VIRTIO_BLK_T_GET_ID:
		dlen = e->in_len - 1 < VIRTIO_BLK_ID_BYTES ? e->in_len - 1 : VIRTIO_BLK_ID_BYTES;
		virtq_iov_from_buf(e, 0, b->serial, dlen);
		break;
	case VIRTIO_BLK_T_DISCARD:
		status = b->disk->readonly ? VIRTIO_BLK_S_IOERR : do_discard(b, e);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (ret) {
		log_ratelimited(LOG_WARN, "%s: %s of sector %llu failed: %s", b->name,
				type == VIRTIO_BLK_T_IN ? "read" : type == VIRTIO_BLK_T_OUT ? "write"
											     : "flush",
				(unsigned long long)sector, strerror(-ret));
		status = VIRTIO_BLK_S_IOERR;
		dlen = 0;
	}
	virtq_iov_from_buf(e, e->in_len - 1, &status, 1);
	return dlen + 1;
}

static void blk_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_blk *b = blk_of(vdev);
	struct virtq *vq = &vdev->vq[q];
	bool more;

	do {
		virtq_disable_notify(vq);
		while (virtq_pop(vq, &b->elem) > 0)
			virtq_push(vq, &b->elem, handle(b, &b->elem));
		more = virtq_enable_notify(vq);
	} while (more);
	virtq_notify(vq);
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
};

int virtio_blk_create(struct virtio_blk **out, struct vm *vm, struct block *disk, unsigned index)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	snprintf(b->name, sizeof(b->name), "virtio-blk%u", index);
	ret = virtio_dev_init(&b->vdev, vm, &blk_ops, VIRTIO_ID_BLOCK, b->name, 1);
	if (ret) {
		free(b);
		return ret;
	}
	b->disk = disk;
	snprintf(b->serial, sizeof(b->serial), "hover-disk%u", index);
	b->vdev.vq[0].max_size = b->vdev.vq[0].size = BLK_QUEUE_SIZE;
	b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
				 VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if (disk->readonly)
		b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else if (disk->ops->discard)
		b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD);
	put64(b->config + CFG_CAPACITY, disk->size / SECTOR);
	put32(b->config + CFG_SEG_MAX, BLK_SEG_MAX);
	put32(b->config + CFG_BLK_SIZE, SECTOR);
	put32(b->config + CFG_MAX_DISCARD_SECTORS, 0x3fffff);
	put32(b->config + CFG_MAX_DISCARD_SEG, BLK_MAX_DISCARD_SEG);
	put32(b->config + CFG_DISCARD_ALIGN, 1);
	b->vdev.config_len = CFG_LEN;
	*out = b;
	return 0;
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *b)
{
	return &b->vdev;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	block_close(b->disk);
	free(b);
}
