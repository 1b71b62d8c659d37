// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the virtqueues (virtio/core.c) and the devices behind
 * them (virtio/blk.c over a raw image in a memfd, net.c over a loopback
 * backend, console.c with a port writing to /dev/null, rng.c), driven as a
 * hostile driver would: descriptor tables, avail rings, request headers and
 * control messages all come from the input. The transport is left out
 * (fuzz_board drives virtio-pci); this target stands in for it as the
 * device unit tests do (tests/unit/virtio_test_util.h).
 *
 * Input: byte 0 picks the device (low 2 bits) and the queue size (bits 2-4:
 * 1 << n entries, n <= 6); bytes 1-8 are the driver's feature bits (masked
 * by what the device offers, VERSION_1 forced). Then 8-byte ops
 * [code, a, b, c, d0, d1, d2, d3] (see run_op); a trailing partial op is
 * data for the last DATA op. Queues sit at fixed guest addresses (QBASE),
 * buffers at BUF and up; addresses in descriptors are either offsets into
 * the buffer area or, with a flag, taken as they are (outside RAM too).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/block.h"
#include "host/net.h"
#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/ram.h"
#include "include/hover/timer.h"
#include "include/hover/virtio.h"
#include "include/hover/vm.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"

#define RAM_SIZE  (4 * MiB)
#define QBASE(q)  (0x10000ULL + (u64)(q)*0x4000ULL) /* desc, avail +0x1000, used +0x2000 */
#define BUF	  0x100000ULL
#define BUF_SIZE  0x10000ULL
#define DISK_SIZE (64 * KiB)
#define MAX_LOOP  8 /* frames the loopback backend holds for the guest */

enum { DEV_BLK, DEV_NET, DEV_CONSOLE, DEV_RNG };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct loopback {
	struct net_backend be; /* first: the backend ops get this pointer */
	u8 frame[MAX_LOOP][2048];
	size_t len[MAX_LOOP];
	unsigned n;
};

struct virtio_fuzz {
	struct vm *vm;
	struct evloop *el;
	int disk_fd;
	char disk_path[64];
	struct loopback *lo;
	/* per input */
	struct virtio_dev *dev;
	unsigned kind, qsize, nq;
	u16 avail_idx[VIRTIO_MAX_QUEUES];
	struct virtio_blk *blk;
	struct virtio_net *net;
	struct virtio_console *con;
	struct virtio_rng *rng;
};

/* ---- the loopback network backend: what the guest sends comes back to it ---- */

static int lo_send(struct net_backend *be, const struct iovec *iov, unsigned iovcnt)
{
	struct loopback *lo = (struct loopback *)be;
	size_t off = 0;

	if (lo->n == MAX_LOOP)
		return -ENOBUFS;
	for (unsigned i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len;

		if (n > sizeof(lo->frame[0]) - off)
			n = sizeof(lo->frame[0]) - off;
		memcpy(lo->frame[lo->n] + off, iov[i].iov_base, n);
		off += n;
	}
	lo->len[lo->n++] = off;
	return 0;
}

static void lo_destroy(struct net_backend *be)
{
	(void)be; /* owned by the fuzz environment, reused for every input */
}

static const struct net_backend_ops lo_ops = { .send = lo_send, .destroy = lo_destroy };

/* Hand the frames the guest sent back to it (vm->lock held, as the event loop does). */
static void lo_deliver(struct virtio_fuzz *f)
{
	for (unsigned i = 0; i < f->lo->n; i++)
		net_backend_deliver(&f->lo->be, f->lo->frame[i], f->lo->len[i]);
	f->lo->n = 0;
	net_backend_rx_flush(&f->lo->be);
}

/* ---- transport stand-in ---- */

static void notify_queue(struct virtio_dev *d, unsigned q)
{
	(void)d, (void)q;
}
static void notify_config(struct virtio_dev *d)
{
	(void)d;
}
static const struct virtio_transport_ops tops = { notify_queue, notify_config };

static struct virtio_fuzz *fuzz_env(void)
{
	static struct virtio_fuzz *f;
	static u8 zero[DISK_SIZE];

	if (f)
		return f;
	log_set_level(LOG_ERROR); /* hostile drivers are logged by design */
	f = calloc(1, sizeof(*f));
	if (!f || !(f->vm = calloc(1, sizeof(*f->vm))) || !(f->lo = calloc(1, sizeof(*f->lo))))
		abort();
	pthread_mutex_init(&f->vm->lock, NULL);
	if (ram_create(&f->vm->ram, RAM_SIZE) || timer_list_create(&f->vm->timers) ||
	    evloop_create(&f->el, f->vm))
		abort();
	f->vm->loop = f->el;
	f->disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (f->disk_fd < 0 || write(f->disk_fd, zero, sizeof(zero)) != sizeof(zero))
		abort();
	snprintf(f->disk_path, sizeof(f->disk_path), "/proc/self/fd/%d", f->disk_fd);
	f->lo->be.ops = &lo_ops;
	f->lo->be.kind = "loopback";
	f->lo->be.csum_valid = true;
	return f;
}

static int create_dev(struct virtio_fuzz *f)
{
	static const u8 mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static const struct virtio_console_port_config port = {
		.name = "org.hover.fuzz",
		.kind = VIRTIO_CONSOLE_FILE,
		.path = "/dev/null",
	};
	struct block *disk;
	char err[256];

	switch (f->kind) {
	case DEV_BLK:
		if (block_open(&disk, f->disk_path, &(struct block_open_opts){ .fmt = BLOCK_FMT_RAW },
			       err, sizeof(err)))
			return -1;
		if (virtio_blk_create(&f->blk, f->vm, disk, 0)) {
			block_close(disk);
			return -1;
		}
		f->dev = virtio_blk_dev(f->blk);
		return 0;
	case DEV_NET:
		memset(&f->lo->be.rxq, 0, sizeof(f->lo->be.rxq));
		f->lo->be.rxq_head = f->lo->be.rxq_len = 0;
		f->lo->n = 0;
		if (virtio_net_create(&f->net, f->vm, &f->lo->be, mac, 0))
			return -1;
		f->dev = virtio_net_dev(f->net);
		return 0;
	case DEV_CONSOLE:
		if (virtio_console_create(&f->con, f->vm, f->el, &port, 1, err, sizeof(err)))
			return -1;
		f->dev = virtio_console_dev(f->con);
		return 0;
	default:
		if (virtio_rng_create(&f->rng, f->vm))
			return -1;
		f->dev = virtio_rng_dev(f->rng);
		return 0;
	}
}

static void destroy_dev(struct virtio_fuzz *f)
{
	switch (f->kind) {
	case DEV_BLK: virtio_blk_destroy(f->blk); break;
	case DEV_NET:
		virtio_net_destroy(f->net); /* frees the frames still queued for the guest */
		break;
	case DEV_CONSOLE: virtio_console_destroy(f->con); break;
	default: virtio_rng_destroy(f->rng); break;
	}
}

/* Negotiate features and enable the queues, as a driver does through a transport. */
static void start(struct virtio_fuzz *f, u64 features)
{
	struct virtio_dev *d = f->dev;
	u8 st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	d->transport = &tops;
	d->driver_features = (features | VIRTIO_BIT(VIRTIO_F_VERSION_1)) & d->host_features;
	virtio_set_status(d, st);
	virtio_set_status(d, st |= VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < f->nq; q++) {
		struct virtq *vq = &d->vq[q];

		vq->s.size = f->qsize <= vq->max_size ? f->qsize : vq->max_size;
		vq->s.desc_gpa = QBASE(q);
		vq->s.avail_gpa = QBASE(q) + 0x1000;
		vq->s.used_gpa = QBASE(q) + 0x2000;
		vq->s.enabled = virtq_enable(vq) == 0;
		f->avail_idx[q] = 0;
	}
	virtio_set_status(d, st | VIRTIO_STATUS_DRIVER_OK);
}

static u8 *g(struct virtio_fuzz *f, u64 gpa, u64 len)
{
	return ram_ptr(&f->vm->ram, gpa, len);
}

static u32 le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* Kick queue q as the transport would; wait for virtio-blk's I/O thread. */
static void kick(struct virtio_fuzz *f, unsigned q)
{
	pthread_mutex_lock(&f->vm->lock);
	virtio_queue_kick(f->dev, q);
	if (f->kind == DEV_BLK)
		virtio_blk_drain(f->blk);
	if (f->kind == DEV_NET)
		lo_deliver(f);
	pthread_mutex_unlock(&f->vm->lock);
}

/*
 * One op. q = a % nq everywhere.
 *   0 DESC     descriptor b of queue a: addr BUF + (d & 0xffff) (c bit 7: d
 *              as it is), len (d >> 16) + ((c & 0x70) << 12), flags c & 7
 *              (NEXT, WRITE, INDIRECT), next b + 1
 *   1 PUBLISH  avail->ring[idx % size] = b (c: also set avail->flags = c & 1)
 *   2 KICK     kick queue a
 *   3 DATA     write d and the following input bytes (a of them) at BUF + (b | c << 8)
 *   4 RX       net: the backend delivers a (b * 8)-byte frame of bytes c;
 *              console, rng: kick a anyway
 *   5 CONFIG   config space: read (a & 1) or write d, at offset b, size 1 << (c & 3)
 *   6 RESET    status 0, then start again with features d
 *   7 RING     raw avail idx = b | c << 8 (a jump, as a buggy driver makes),
 *              or (a & 0x80) used_event/avail_event words = d
 */
static size_t run_op(struct virtio_fuzz *f, const u8 *op, const u8 *rest, size_t rest_len)
{
	unsigned q = op[1] % f->nq, qsz = f->dev->vq[q].s.size ? f->dev->vq[q].s.size : 1;
	u32 d = le32(op + 4);
	u8 *p;

	switch (op[0] & 7) {
	case 0: {
		u64 addr = (op[3] & 0x80) ? (u64)d : BUF + (d & 0xffff);
		u32 len = (d >> 16) + ((u32)(op[3] & 0x70) << 12);
		u16 flags = op[3] & 7, next = (u16)(op[2] + 1);

		p = g(f, QBASE(q) + 16ULL * (op[2] % qsz), 16);
		memcpy(p, &addr, 8);
		memcpy(p + 8, &len, 4);
		memcpy(p + 12, &flags, 2);
		memcpy(p + 14, &next, 2);
		break;
	}
	case 1: {
		u16 head = op[2], idx = f->avail_idx[q];

		p = g(f, QBASE(q) + 0x1000, 6 + 2 * qsz);
		memcpy(p + 4 + 2 * (idx % qsz), &head, 2);
		idx++;
		memcpy(p + 2, &idx, 2);
		if (op[3])
			p[0] = op[3] & 1;
		f->avail_idx[q] = idx;
		break;
	}
	case 2: kick(f, q); break;
	case 3: {
		size_t n = op[1] < rest_len ? op[1] : rest_len;
		u64 at = BUF + (op[2] | (u64)op[3] << 8);

		memcpy(g(f, at, 4), op + 4, 4);
		memcpy(g(f, at + 4, n ? n : 1), rest, n);
		return n;
	}
	case 4:
		if (f->kind == DEV_NET) {
			u8 frame[2048];
			size_t len = (size_t)op[2] * 8;

			memset(frame, op[3], len);
			pthread_mutex_lock(&f->vm->lock);
			net_backend_deliver(&f->lo->be, frame, len);
			net_backend_rx_flush(&f->lo->be);
			pthread_mutex_unlock(&f->vm->lock);
		} else {
			kick(f, q);
		}
		break;
	case 5: {
		u32 len = 1u << (op[3] & 3);
		u8 buf[8];

		pthread_mutex_lock(&f->vm->lock);
		if (op[1] & 1) {
			virtio_config_read(f->dev, op[2], buf, len);
		} else {
			memcpy(buf, op + 4, 4);
			memcpy(buf + 4, op + 4, 4);
			virtio_config_write(f->dev, op[2], buf, len);
		}
		pthread_mutex_unlock(&f->vm->lock);
		break;
	}
	case 6:
		pthread_mutex_lock(&f->vm->lock);
		virtio_set_status(f->dev, 0);
		pthread_mutex_unlock(&f->vm->lock);
		memset(g(f, QBASE(0), 0x4000ULL * f->nq), 0, 0x4000ULL * f->nq);
		pthread_mutex_lock(&f->vm->lock);
		start(f, d | (u64)d << 32);
		pthread_mutex_unlock(&f->vm->lock);
		break;
	default:
		if (op[1] & 0x80) {
			/* used_event after avail->ring, avail_event after used->ring (2.7.10) */
			p = g(f, QBASE(q) + 0x1000 + 4 + 2 * qsz, 2);
			memcpy(p, op + 4, 2);
			p = g(f, QBASE(q) + 0x2000 + 4 + 8 * qsz, 2);
			memcpy(p, op + 6, 2);
		} else {
			u16 idx = (u16)(op[2] | op[3] << 8);

			memcpy(g(f, QBASE(q) + 0x1000 + 2, 2), &idx, 2);
			f->avail_idx[q] = idx;
		}
		break;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_fuzz *f = fuzz_env();
	u64 features = 0;
	size_t i;

	if (size < 9)
		return 0;
	f->kind = data[0] & 3;
	f->qsize = 1u << (((data[0] >> 2) & 7) % 7);
	for (i = 0; i < 8; i++)
		features |= (u64)data[1 + i] << (8 * i);
	/* what an input left in RAM must not steer the next one */
	memset(g(f, 0, BUF + 2 * BUF_SIZE), 0, BUF + 2 * BUF_SIZE);
	if (create_dev(f))
		return 0;
	f->nq = f->dev->nqueues;
	pthread_mutex_lock(&f->vm->lock);
	start(f, features);
	pthread_mutex_unlock(&f->vm->lock);
	for (i = 9; i + 8 <= size; i += 8)
		i += run_op(f, data + i, data + i + 8, size - i - 8);
	pthread_mutex_lock(&f->vm->lock);
	virtio_set_status(f->dev, 0);
	pthread_mutex_unlock(&f->vm->lock);
	destroy_dev(f);
	return 0;
}
