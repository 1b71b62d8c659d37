// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk (virtio 1.2 section 5.2): one request queue; each request is
 * a chain of a 16-byte header (type, reserved, sector) the device reads,
 * the data (read for OUT, written for IN), and one status byte the device
 * writes last (5.2.6). Requests run against the host block backend
 * (host/block.h): IN, OUT, FLUSH (an fdatasync of the image: 5.2.6.2 "the
 * device MUST ... commit to non-volatile storage"), GET_ID and DISCARD.
 *
 * Reads and writes run on the vCPU that kicks (blk_queue_notify: for a guest
 * that waits for each request, a hand-over to another thread costs more
 * than the page-cache copy it would save). FLUSH and DISCARD, which may
 * take long, go to the device's own I/O thread, so the vCPU goes back to
 * the guest at once; so does every request while that thread is at work,
 * to keep their order. The kick sets `kick` and wakes the thread, which,
 * under vm->lock, pops up to BLK_BATCH chains; without the lock it runs them (preadv and
 * pwritev straight into and out of guest RAM through the chain's iovecs);
 * under the lock again it pushes them all and interrupts once for the batch
 * (EVENT_IDX decides whether the driver wants it). Ring indices stay in the
 * virtqueue (struct virtq), so the device state is what it was without the
 * thread once the device is drained (virtio_blk_drain).
 *
 * A reset (status 0) bumps `epoch` and waits for the batch in flight, whose
 * completions are then dropped: the reset driver never sees a used entry or
 * a write into its buffers after the reset returns. The thread is joined by
 * the transport's stop (virtio_pci_destroy) or virtio_blk_destroy.
 *
 * A request the device cannot make sense of — no room for the status byte,
 * a short header — is refused: it is returned with nothing written and a
 * rate-limited log line. A request beyond the disk's end, a misaligned
 * length or a write to a read-only disk completes with VIRTIO_BLK_S_IOERR.
 */
#include "virtio/blk.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/block.h"
#include "include/hover/log.h"
#include "include/hover/vm.h"

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
#define BLK_QUEUE_SIZE 512
#define BLK_SEG_MAX (BLK_QUEUE_SIZE - 2)
#define BLK_MAX_DISCARD_SEG 32
/* Chains taken per pass of the I/O thread: one interrupt covers them all. */
#define BLK_BATCH 16

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
	unsigned index;
	char serial[VIRTIO_BLK_ID_BYTES];
	u8 config[CFG_LEN];
	struct iovec data[VIRTQ_MAX_IOV]; /* the I/O thread's scratch */

	/* The I/O thread; the fields below are under vm->lock. */
	pthread_t thread;
	bool thread_running;
	pthread_cond_t work; /* kick or stop set */
	pthread_cond_t idle; /* a pass finished */
	bool kick;           /* the driver kicked since the thread last looked */
	bool busy;           /* the thread is in a pass (popping, running or pushing) */
	bool stop;
	u64 epoch; /* bumped by reset: a batch popped before it is not pushed */
	struct virtq_elem *batch;
	u32 batch_len[BLK_BATCH];
	/* data bytes the guest read and wrote (the API's metrics; not guest state) */
	_Atomic u64 read_bytes, written_bytes;
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
		if (!ret)
			b->read_bytes += dlen;
		break;
	case VIRTIO_BLK_T_OUT:
		if (!in_range(b, sector, e->out_len - 16) || b->disk->readonly) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		ret = block_pwritev(b->disk, b->data, out_data(b, e), sector * SECTOR);
		if (!ret)
			b->written_bytes += e->out_len - 16;
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

/* Run n popped chains without vm->lock, then push them and interrupt once. */
static void run_batch(struct virtio_blk *b, struct virtq *vq, unsigned n)
{
	pthread_mutex_t *lock = &b->vdev.vm->lock;
	u64 epoch = b->epoch;

	pthread_mutex_unlock(lock);
	for (unsigned i = 0; i < n; i++)
		b->batch_len[i] = handle(b, &b->batch[i]);
	pthread_mutex_lock(lock);
	if (epoch != b->epoch)
		return; /* reset meanwhile: the rings are no longer these */
	for (unsigned i = 0; i < n; i++)
		virtq_push(vq, &b->batch[i], b->batch_len[i]);
	virtq_notify(vq);
}

/* One pass over the queue (vm->lock held): until it is empty and notifications are back on. */
static void run_queue(struct virtio_blk *b)
{
	struct virtq *vq = &b->vdev.vq[0];
	bool more;

	do {
		unsigned n;

		virtq_disable_notify(vq);
		do {
			for (n = 0; n < BLK_BATCH && virtq_pop(vq, &b->batch[n]) > 0; n++)
				;
			if (n)
				run_batch(b, vq, n);
		} while (n == BLK_BATCH);
		more = virtq_enable_notify(vq);
	} while (more);
}

static void *io_thread(void *opaque)
{
	struct virtio_blk *b = opaque;
	pthread_mutex_t *lock = &b->vdev.vm->lock;

	vm_thread_enter(b->vdev.vm, VM_THREAD_IO, b->index); /* on failure the VM stops */
	pthread_mutex_lock(lock);
	for (;;) {
		while (!b->kick && !b->stop)
			pthread_cond_wait(&b->work, lock);
		if (b->stop)
			break;
		b->kick = false;
		b->busy = true;
		run_queue(b);
		b->busy = false;
		pthread_cond_broadcast(&b->idle);
	}
	pthread_mutex_unlock(lock);
	return NULL;
}

/* FLUSH (an fdatasync) and DISCARD may take long: they are for the I/O thread. */
static bool slow(const struct virtq_elem *e)
{
	u8 hdr[4];

	if (virtq_iov_to_buf(e, 0, hdr, sizeof(hdr)) < sizeof(hdr))
		return false; /* refused at once by handle() */
	return get32(hdr) == VIRTIO_BLK_T_FLUSH || get32(hdr) == VIRTIO_BLK_T_DISCARD;
}

static void wake_thread(struct virtio_blk *b)
{
	b->kick = true;
	pthread_cond_signal(&b->work);
}

/*
 * The driver kicked (vCPU thread, vm->lock held). Reads and writes go to the
 * host page cache in well under a millisecond, less than handing them to
 * another thread and waking the guest from idle afterwards costs a guest
 * that waits for each request: they run here. A FLUSH or DISCARD, or
 * anything while the thread is at work (so requests keep their order), goes
 * to the I/O thread.
 */
static void blk_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_blk *b = blk_of(vdev);
	struct virtq *vq = &vdev->vq[q];
	struct virtq_elem *e = &b->batch[0];
	bool more, pushed = false;

	if (b->kick || b->busy || !b->thread_running) {
		wake_thread(b);
		return;
	}
	do {
		virtq_disable_notify(vq);
		while (virtq_pop(vq, e) > 0) {
			if (slow(e)) {
				virtq_unpop(vq);
				if (pushed)
					virtq_notify(vq);
				wake_thread(b); /* it turns notifications back on when done */
				return;
			}
			virtq_push(vq, e, handle(b, e));
			pushed = true;
		}
		more = virtq_enable_notify(vq);
	} while (more);
	if (pushed)
		virtq_notify(vq);
}

/* Wait (vm->lock held) until the thread is neither busy nor has a kick to look at. */
static void wait_idle(struct virtio_blk *b)
{
	while (b->thread_running && (b->kick || b->busy))
		pthread_cond_wait(&b->idle, &b->vdev.vm->lock);
}

void virtio_blk_drain(struct virtio_blk *b)
{
	if (virtq_has_avail(&b->vdev.vq[0]) && (b->vdev.status & VIRTIO_STATUS_DRIVER_OK)) {
		b->kick = true;
		pthread_cond_signal(&b->work);
	}
	wait_idle(b);
}

/* The core has reset the queue; let the batch in flight finish, unpushed. */
static void blk_reset(struct virtio_dev *vdev)
{
	struct virtio_blk *b = blk_of(vdev);

	b->epoch++;
	b->kick = false;
	wait_idle(b);
}

/* No more requests or interrupts: join the thread (without vm->lock). Idempotent. */
static void blk_stop(struct virtio_dev *vdev)
{
	struct virtio_blk *b = blk_of(vdev);
	pthread_mutex_t *lock = &vdev->vm->lock;

	pthread_mutex_lock(lock);
	if (!b->thread_running) {
		pthread_mutex_unlock(lock);
		return;
	}
	b->stop = true;
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(lock);
	pthread_join(b->thread, NULL);
	pthread_mutex_lock(lock);
	b->thread_running = false;
	b->busy = false;
	pthread_cond_broadcast(&b->idle);
	pthread_mutex_unlock(lock);
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.stop = blk_stop,
};

int virtio_blk_create(struct virtio_blk **out, struct vm *vm, struct block *disk, unsigned index)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	snprintf(b->name, sizeof(b->name), "virtio-blk%u", index);
	b->index = index;
	ret = virtio_dev_init(&b->vdev, vm, &blk_ops, VIRTIO_ID_BLOCK, b->name, 1);
	if (ret)
		goto err_free;
	b->batch = calloc(BLK_BATCH, sizeof(*b->batch));
	if (!b->batch) {
		ret = -ENOMEM;
		goto err_free;
	}
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->idle, NULL);
	ret = -pthread_create(&b->thread, NULL, io_thread, b);
	if (ret)
		goto err_cond;
	b->thread_running = true;
	b->disk = disk;
	snprintf(b->serial, sizeof(b->serial), "hover-disk%u", index);
	b->vdev.vq[0].max_size = b->vdev.vq[0].s.size = BLK_QUEUE_SIZE;
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

err_cond:
	pthread_cond_destroy(&b->idle);
	pthread_cond_destroy(&b->work);
err_free:
	free(b->batch);
	free(b);
	return ret;
}

void virtio_blk_counters(struct virtio_blk *b, u64 *read_bytes, u64 *written_bytes)
{
	*read_bytes = b->read_bytes;
	*written_bytes = b->written_bytes;
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *b)
{
	return &b->vdev;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	blk_stop(&b->vdev);
	pthread_cond_destroy(&b->idle);
	pthread_cond_destroy(&b->work);
	block_close(b->disk);
	free(b->batch);
	free(b);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * Everything the guest sees of a disk beyond its contents is in the virtio
 * core (status, features, the queue's indices): the I/O thread's batch is
 * host state, emptied by quiescing before the save.
 */
static int blk_save(void *dev, struct state_writer *w)
{
	virtio_dev_save(&((struct virtio_blk *)dev)->vdev, w);
	return 0;
}

static int blk_load(void *dev, struct state_reader *r)
{
	virtio_dev_load(&((struct virtio_blk *)dev)->vdev, r);
	return state_reader_error(r);
}

/* vm->lock held, VM paused: requests popped or waiting are run and pushed. */
static void blk_quiesce(void *dev)
{
	virtio_blk_drain(dev);
}

const struct dev_state_ops virtio_blk_state_ops = {
	.section = "virtio-blk", .version = 1, .save = blk_save, .load = blk_load,
	.quiesce = blk_quiesce,
};
