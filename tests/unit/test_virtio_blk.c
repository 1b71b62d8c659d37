// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio/blk.c over a raw image: reads, writes, flush, GET_ID, and the
 * requests a device must not carry out (past the end, a read-only disk,
 * an unknown type, no room for the status byte); the I/O thread: a kick
 * returns before the request runs, a batch gets one interrupt, a reset
 * waits for what is in flight and nothing is pushed after it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/block.h"
#include "include/hover/log.h"
#include "include/hover/vm.h"
#include "virtio/blk.h"
#include "tests/unit/state_test_util.h"

#define RAM (16 * MiB)
#define QSZ 16
#define DESC 0x1000ULL
#define AVAIL 0x2000ULL
#define USED 0x3000ULL
#define HDR 0x4000ULL
#define DATA 0x10000ULL
#define STATUS 0x5000ULL
#define DISK (1 * MiB)

static struct vm *vm;
static char path[] = "/tmp/hover-vblk-XXXXXX";
static u8 *image;
static unsigned irqs;

static void nq(struct virtio_dev *d, unsigned q) { (void)d; (void)q; irqs++; } /* vm->lock held */
static void nc(struct virtio_dev *d) { (void)d; }
static const struct virtio_transport_ops tops = { nq, nc };

static u8 *g(u64 gpa) { return ram_ptr(&vm->ram, gpa, 1); }

static void desc(unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	u8 *d = g(DESC + 16 * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

struct fixture {
	struct virtio_blk *blk;
	struct virtio_dev *vdev;
	u16 avail;
};

/* A virtio-blk on backend b, its driver ready and its queue in guest RAM at DESC/AVAIL/USED. */
static struct fixture *make_on(struct block *b)
{
	static struct fixture f;

	memset(g(0), 0, 0x6000);
	assert_int_equal(virtio_blk_create(&f.blk, vm, b, 0), 0);
	f.vdev = virtio_blk_dev(f.blk);
	f.vdev->transport = &tops;
	f.vdev->driver_features = f.vdev->host_features;
	f.vdev->status = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
	f.vdev->vq[0].s.size = QSZ;
	f.vdev->vq[0].s.desc_gpa = DESC;
	f.vdev->vq[0].s.avail_gpa = AVAIL;
	f.vdev->vq[0].s.used_gpa = USED;
	assert_int_equal(virtq_enable(&f.vdev->vq[0]), 0);
	f.avail = 0;
	return &f;
}

static struct fixture *make(bool ro)
{
	struct block *b;
	char err[256];

	assert_int_equal(block_open(&b, path, &(struct block_open_opts){
		.fmt = BLOCK_FMT_RAW, .readonly = ro }, err, sizeof(err)), 0);
	return make_on(b);
}

static u16 used_idx(void)
{
	u16 v;

	memcpy(&v, g(USED + 2), 2);
	return v;
}

/* Kick as the transport does (vm->lock held) and wait for the I/O thread to finish. */
static void kick_and_wait(struct fixture *f)
{
	pthread_mutex_lock(&vm->lock);
	virtio_queue_kick(f->vdev, 0);
	virtio_blk_drain(f->blk);
	pthread_mutex_unlock(&vm->lock);
}

/* Submit a request: header, data (len bytes, device-writable if `in`), status. */
static u32 submit(struct fixture *f, u32 type, u64 sector, u32 len, bool in)
{
	u16 *ring = (u16 *)g(AVAIL + 4);
	u32 used_len;
	unsigned n = 0;

	memcpy(g(HDR), &type, 4);
	memset(g(HDR + 4), 0, 4);
	memcpy(g(HDR + 8), &sector, 8);
	*g(STATUS) = 0xEE;
	desc(n, HDR, 16, 1, n + 1), n++;
	if (len)
		desc(n, DATA, len, 1 | (in ? 2 : 0), n + 1), n++;
	desc(n, STATUS, 1, 2, 0);
	ring[f->avail % QSZ] = 0;
	f->avail++;
	memcpy(g(AVAIL + 2), &f->avail, 2);
	kick_and_wait(f);
	memcpy(&used_len, g(USED + 4 + 8 * ((f->avail - 1) % QSZ) + 4), 4);
	return used_len;
}

static void test_read_write_flush(void **state)
{
	struct fixture *f = make(false);
	u8 buf[4096];
	int fd;

	(void)state;
	assert_int_equal(submit(f, 0 /* IN */, 8, 4096, true), 4097);
	assert_int_equal(*g(STATUS), 0);
	assert_memory_equal(g(DATA), image + 8 * 512, 4096);
	assert_true(irqs > 0);
	memset(g(DATA), 0x5A, 4096);
	assert_int_equal(submit(f, 1 /* OUT */, 16, 4096, false), 1);
	assert_int_equal(*g(STATUS), 0);
	assert_int_equal(submit(f, 4 /* FLUSH */, 0, 0, false), 1);
	assert_int_equal(*g(STATUS), 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, buf, 4096, 16 * 512), 4096);
	close(fd);
	memset(image + 16 * 512, 0x5A, 4096);
	assert_memory_equal(buf, image + 16 * 512, 4096);
	assert_int_equal(submit(f, 8 /* GET_ID */, 0, 20, true), 21);
	assert_string_equal((char *)g(DATA), "hover-disk0");
	virtio_blk_destroy(f->blk);
}

static void test_refused_requests(void **state)
{
	struct fixture *f = make(false);

	(void)state;
	/* Past the end of the disk, and straddling it. */
	submit(f, 0, DISK / 512, 512, true);
	assert_int_equal(*g(STATUS), 1 /* IOERR */);
	submit(f, 1, DISK / 512 - 1, 1024, false);
	assert_int_equal(*g(STATUS), 1);
	submit(f, 0, ~0ULL, 512, true); /* sector * 512 would overflow */
	assert_int_equal(*g(STATUS), 1);
	/* Not a whole number of sectors. */
	submit(f, 0, 0, 100, true);
	assert_int_equal(*g(STATUS), 1);
	/* Unknown type. */
	submit(f, 99, 0, 0, false);
	assert_int_equal(*g(STATUS), 2 /* UNSUPP */);
	virtio_blk_destroy(f->blk);
	/* A read-only disk refuses writes and discards. */
	f = make(true);
	assert_true(f->vdev->host_features & VIRTIO_BIT(5 /* RO */));
	submit(f, 1, 0, 512, false);
	assert_int_equal(*g(STATUS), 1);
	virtio_blk_destroy(f->blk);
}

static void test_malformed(void **state)
{
	struct fixture *f = make(false);
	u16 *ring = (u16 *)g(AVAIL + 4);
	u32 used_len;

	(void)state;
	/* A header only: nowhere to put the status. Refused, nothing written. */
	desc(0, HDR, 16, 0, 0);
	ring[0] = 0;
	f->avail = 1;
	memcpy(g(AVAIL + 2), &f->avail, 2);
	kick_and_wait(f);
	memcpy(&used_len, g(USED + 8), 4);
	assert_int_equal(used_len, 0);
	/* A loop puts the device in NEEDS_RESET; the host goes on. */
	desc(1, HDR, 16, 1, 2);
	desc(2, STATUS, 1, 3, 1);
	ring[1] = 1;
	f->avail = 2;
	memcpy(g(AVAIL + 2), &f->avail, 2);
	kick_and_wait(f);
	assert_true(f->vdev->status & VIRTIO_STATUS_NEEDS_RESET);
	virtio_blk_destroy(f->blk);
}

/* Post requests i = 0..n-1 (chains 3i..3i+2, 4 KiB at DATA + 4 KiB * i) without kicking. */
static void post(struct fixture *f, unsigned n, const u32 *types)
{
	u16 *ring = (u16 *)g(AVAIL + 4);

	for (unsigned i = 0; i < n; i++) {
		u64 hdr = HDR + 16 * i, st = STATUS + i;
		u32 type = types ? types[i] : 0 /* IN */;
		u64 sector = 8 * i;

		memcpy(g(hdr), &type, 4);
		memset(g(hdr + 4), 0, 4);
		memcpy(g(hdr + 8), &sector, 8);
		*g(st) = 0xEE;
		desc(3 * i, hdr, 16, 1, 3 * i + 1);
		desc(3 * i + 1, DATA + 4096 * i, 4096, 3, 3 * i + 2);
		desc(3 * i + 2, st, 1, 2, 0);
		ring[f->avail % QSZ] = 3 * i;
		f->avail++;
	}
	memcpy(g(AVAIL + 2), &f->avail, 2);
}

static void post_reads(struct fixture *f, unsigned n)
{
	post(f, n, NULL);
}

/*
 * Reads complete on the kicking vCPU, before the kick returns. A FLUSH goes
 * to the I/O thread, and so does what comes after it: the kick returns with
 * none of that done (the thread needs vm->lock, which the kicking vCPU
 * holds); then the whole batch completes with one interrupt.
 */
static void test_io_thread_batch(void **state)
{
	static const u32 types[5] = { 4 /* FLUSH */, 0, 0, 0, 0 };
	struct fixture *f = make(false);
	unsigned before;

	(void)state;
	memset(g(DATA), 0, 5 * 4096);
	post_reads(f, 2);
	pthread_mutex_lock(&vm->lock);
	virtio_queue_kick(f->vdev, 0);
	assert_int_equal(used_idx(), 2);
	pthread_mutex_unlock(&vm->lock);
	assert_memory_equal(g(DATA + 4096), image + 4096, 4096);

	memset(g(DATA), 0, 5 * 4096);
	post(f, 5, types);
	memcpy(g(AVAIL + 4 + 2 * QSZ), &(u16){ 2 }, 2); /* used_event: past what was used */
	pthread_mutex_lock(&vm->lock);
	before = irqs;
	virtio_queue_kick(f->vdev, 0);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(*g(STATUS), 0xEE);
	virtio_blk_drain(f->blk);
	pthread_mutex_unlock(&vm->lock);
	assert_int_equal(used_idx(), 7);
	assert_int_equal(irqs - before, 1);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(*g(STATUS + i), 0);
	for (unsigned i = 1; i < 5; i++)
		assert_memory_equal(g(DATA + 4096 * i), image + 4096 * i, 4096);
	virtio_blk_destroy(f->blk);
}

/*
 * A reset with requests in flight waits for them and pushes none of them:
 * once it returns, the used ring stays as it was. The device then works again.
 */
static void test_reset_quiesces(void **state)
{
	static const u32 flush_first[5] = { 4, 0, 0, 0, 0 };
	struct fixture *f = make(false);
	u16 after;

	(void)state;
	for (int round = 0; round < 8; round++) {
		memset(g(USED), 0, 8 * QSZ + 6);
		f->avail = 0;
		post(f, 5, flush_first);
		pthread_mutex_lock(&vm->lock);
		virtio_queue_kick(f->vdev, 0);
		pthread_mutex_unlock(&vm->lock);
		if (round & 1)
			usleep(50); /* sometimes let the thread get going */
		pthread_mutex_lock(&vm->lock);
		virtio_set_status(f->vdev, 0);
		after = used_idx();
		pthread_mutex_unlock(&vm->lock);
		memset(g(DATA), 0x77, 5 * 4096);
		usleep(2000);
		assert_int_equal(used_idx(), after);
		for (unsigned i = 0; i < 5 * 4096; i++) /* no late DMA into the buffers either */
			assert_int_equal(*g(DATA + i), 0x77);
		assert_true(after <= 5);
		/* The driver sets it up again and it serves requests. */
		f->vdev->driver_features = f->vdev->host_features;
		f->vdev->status = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
		f->vdev->vq[0].s.size = QSZ;
		f->vdev->vq[0].s.desc_gpa = DESC;
		f->vdev->vq[0].s.avail_gpa = AVAIL;
		f->vdev->vq[0].s.used_gpa = USED;
		memset(g(USED), 0, 8 * QSZ + 6);
		assert_int_equal(virtq_enable(&f->vdev->vq[0]), 0);
		f->avail = 0;
		memcpy(g(AVAIL + 2), &f->avail, 2);
		assert_int_equal(submit(f, 0, 8, 4096, true), 4097);
		assert_int_equal(*g(STATUS), 0);
	}
	/* Destroy with a kick pending: the thread is joined, nothing is left running. */
	post(f, 3, flush_first);
	pthread_mutex_lock(&vm->lock);
	virtio_queue_kick(f->vdev, 0);
	pthread_mutex_unlock(&vm->lock);
	virtio_blk_destroy(f->blk);
}

/* A backend whose flushes wait for the test to open the gate. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
	unsigned entered;
	bool reset_done;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, false };

static int gate_preadv(struct block *b, const struct iovec *iov, int n, u64 off)
{
	(void)b;
	(void)off;
	for (int i = 0; i < n; i++)
		memset(iov[i].iov_base, 0x33, iov[i].iov_len);
	return 0;
}

static int gate_flush(struct block *b)
{
	(void)b;
	pthread_mutex_lock(&gate.lock);
	gate.entered++;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.open)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	return 0;
}

static const struct block_ops gate_ops = { .name = "gate", .preadv = gate_preadv,
					   .pwritev = gate_preadv, .flush = gate_flush };

static void *resetter(void *arg)
{
	struct fixture *f = arg;

	pthread_mutex_lock(&vm->lock);
	virtio_set_status(f->vdev, 0);
	pthread_mutex_unlock(&vm->lock);
	pthread_mutex_lock(&gate.lock);
	gate.reset_done = true;
	pthread_mutex_unlock(&gate.lock);
	return NULL;
}

/*
 * A reset while the I/O thread is inside a host flush (with a read queued
 * behind it): the reset waits for the flush, and nothing is pushed to the
 * (reset) used ring or written into the buffers afterwards.
 */
static void test_reset_waits_for_io(void **state)
{
	struct block *bk = calloc(1, sizeof(*bk));
	struct fixture *f;
	pthread_t t;
	bool done;

	(void)state;
	bk->ops = &gate_ops;
	bk->path = strdup("gate");
	bk->fd = open("/dev/null", O_RDONLY);
	bk->size = DISK;
	f = make_on(bk);
	post(f, 2, (const u32[]){ 4 /* FLUSH */, 0 });
	pthread_mutex_lock(&vm->lock);
	virtio_queue_kick(f->vdev, 0);
	pthread_mutex_unlock(&vm->lock);
	pthread_mutex_lock(&gate.lock);
	while (!gate.entered)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	assert_int_equal(pthread_create(&t, NULL, resetter, f), 0);
	usleep(20000);
	pthread_mutex_lock(&gate.lock);
	done = gate.reset_done;
	gate.open = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	assert_false(done);
	pthread_join(t, NULL);
	assert_int_equal(*g(STATUS), 0); /* the flush finished before the reset returned */
	memset(g(DATA + 4096), 0, 4096);
	usleep(2000);
	assert_int_equal(*g(DATA + 4096), 0); /* the read behind it never ran */
	assert_int_equal(used_idx(), 0);
	assert_int_equal(f->vdev->status, 0);
	virtio_blk_destroy(f->blk);
}

/*
 * A FLUSH and four reads handed to the I/O thread, which cannot have run
 * them yet (the kicking vCPU holds vm->lock): saving quiesces first, so the
 * saved queue has all five used. A fresh disk loaded from it saves the same
 * bytes and, kicked, serves the next request at used position 7.
 */
static void test_save_quiesces(void **state)
{
	static const u32 types[5] = { 4 /* FLUSH */, 0, 0, 0, 0 };
	struct fixture *f = make(false);
	struct virtio_blk *old = f->blk;
	struct saved_state s;
	struct block *b;
	char err[256];

	(void)state;
	post_reads(f, 2);
	kick_and_wait(f);
	post(f, 5, types);
	pthread_mutex_lock(&vm->lock);
	virtio_queue_kick(f->vdev, 0);
	assert_int_equal(used_idx(), 2);
	s = state_save_one(&virtio_blk_state_ops, f->blk);
	assert_int_equal(used_idx(), 7);
	pthread_mutex_unlock(&vm->lock);
	virtio_blk_destroy(old);

	assert_int_equal(block_open(&b, path, &(struct block_open_opts){ .fmt = BLOCK_FMT_RAW },
				    err, sizeof(err)), 0);
	assert_int_equal(virtio_blk_create(&f->blk, vm, b, 0), 0);
	f->vdev = virtio_blk_dev(f->blk);
	f->vdev->transport = &tops;
	pthread_mutex_lock(&vm->lock);
	state_load_and_compare(&virtio_blk_state_ops, f->blk, &s);
	pthread_mutex_unlock(&vm->lock);
	memset(g(DATA), 0, 4096);
	assert_int_equal(submit(f, 0 /* IN */, 16, 4096, true), 4097);
	assert_int_equal(used_idx(), 8);
	assert_memory_equal(g(DATA), image + 16 * 512, 4096);
	virtio_blk_destroy(f->blk);
	free(s.data);
}

static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	log_set_level(LOG_ERROR);
	image = malloc(DISK);
	for (unsigned i = 0; i < DISK; i++)
		image[i] = (u8)(i * 7 + (i >> 9));
	if (fd < 0 || write(fd, image, DISK) != DISK)
		return -1;
	close(fd);
	vm = calloc(1, sizeof(*vm));
	if (!vm || pthread_mutex_init(&vm->lock, NULL))
		return -1;
	return !ram_create(&vm->ram, RAM) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	ram_destroy(&vm->ram);
	free(vm);
	free(image);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_write_flush),
		cmocka_unit_test(test_refused_requests),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_io_thread_batch),
		cmocka_unit_test(test_reset_quiesces),
		cmocka_unit_test(test_reset_waits_for_io),
		cmocka_unit_test(test_save_quiesces),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
