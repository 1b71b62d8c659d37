// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-rng (virtio 1.2 section 5.4): one queue (requestq); the driver
 * posts device-writable buffers and the device fills them with entropy
 * (5.4.6: "the device MUST place one or more random bytes into the
 * buffer"). No feature bits, no configuration space.
 *
 * The bytes come from getrandom(2), the host kernel's CSPRNG. A request
 * gets at most RNG_MAX_PER_REQ bytes (the used length says how many): a
 * guest asking for gigabytes gets a sensible amount and no host stall.
 * A chain with no writable part is refused (returned with length 0 and a
 * rate-limited log line).
 */
#include "virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "include/hover/log.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_PER_REQ 4096

struct virtio_rng {
	struct virtio_dev vdev;
	struct virtq_elem elem;
	u8 buf[RNG_MAX_PER_REQ];
};

static struct virtio_rng *rng_of(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_rng, vdev);
}

/* Fill one request; returns the bytes written. */
static u32 fill(struct virtio_rng *r, const struct virtq_elem *e)
{
	size_t want = e->in_len < RNG_MAX_PER_REQ ? (size_t)e->in_len : RNG_MAX_PER_REQ;
	ssize_t got;

	if (e->in_len == 0) {
		log_ratelimited(LOG_WARN, "%s: request with no writable buffer (%u readable "
				"descriptors); refused", r->vdev.name, e->out_num);
		return 0;
	}
	do {
		got = getrandom(r->buf, want, 0);
	} while (got < 0 && errno == EINTR);
	if (got <= 0) {
		log_ratelimited(LOG_WARN, "%s: getrandom: %s", r->vdev.name,
				got < 0 ? strerror(errno) : "no bytes");
		return 0;
	}
	return (u32)virtq_iov_from_buf(e, 0, r->buf, (size_t)got);
}

static void rng_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_rng *r = rng_of(vdev);
	struct virtq *vq = &vdev->vq[q];
	bool more;

	do {
		virtq_disable_notify(vq);
		while (virtq_pop(vq, &r->elem) > 0)
			virtq_push(vq, &r->elem, fill(r, &r->elem));
		more = virtq_enable_notify(vq);
	} while (more);
	virtq_notify(vq);
}

static const struct virtio_dev_ops rng_ops = {
	.queue_notify = rng_queue_notify,
};

int virtio_rng_create(struct virtio_rng **out, struct vm *vm)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	ret = virtio_dev_init(&r->vdev, vm, &rng_ops, VIRTIO_ID_RNG, "virtio-rng", 1);
	if (ret) {
		free(r);
		return ret;
	}
	r->vdev.vq[0].max_size = r->vdev.vq[0].s.size = RNG_QUEUE_SIZE;
	r->vdev.config_len = 0;
	*out = r;
	return 0;
}

struct virtio_dev *virtio_rng_dev(struct virtio_rng *r)
{
	return &r->vdev;
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	free(r);
}

/* ---- state (include/hover/state.h) ---- */

/* Requests are filled as they are popped: the virtio core's state is all there is. */
static int rng_save(void *dev, struct state_writer *w)
{
	virtio_dev_save(&((struct virtio_rng *)dev)->vdev, w);
	return 0;
}

static int rng_load(void *dev, struct state_reader *r)
{
	virtio_dev_load(&((struct virtio_rng *)dev)->vdev, r);
	return state_reader_error(r);
}

const struct dev_state_ops virtio_rng_state_ops = {
	.section = "virtio-rng", .version = 1, .save = rng_save, .load = rng_load,
};
