// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The virtio device layer: status and feature negotiation (virtio 1.2
 * sections 2.1, 2.2, 3.1) and split virtqueues (2.7).
 *
 * How a split virtqueue is consumed here. The driver owns the descriptor
 * table and the available ring; we own the used ring. virtq_pop() reads
 * avail->idx (acquire, pairing with the driver's write barrier), takes the
 * head at ring[last_avail % size] and walks the chain, following at most one
 * indirect table (2.7.5.3). Every guest address is turned into a host pointer
 * with ram_ptr() — anything that is not wholly RAM (MMIO, the PCI hole, past
 * the end) is refused — and the walk is bounded (a chain can hold at most
 * `size` descriptors, an indirect one at most len/16), so a loop cannot spin.
 * A malformed chain breaks the queue: the device goes to NEEDS_RESET (2.1.2)
 * and the driver must reset it; the host just logs a rate-limited line.
 *
 * virtq_push() writes the used element and then publishes used->idx
 * (release). virtq_notify() decides whether the driver wants an interrupt:
 * with VIRTIO_F_EVENT_IDX by comparing used_event with what was pushed since
 * the last interrupt (2.7.10), otherwise by VIRTQ_AVAIL_F_NO_INTERRUPT.
 */
#include <errno.h>
#include <string.h>

#include "include/hover/log.h"
#include "include/hover/ram.h"
#include "include/hover/virtio.h"
#include "include/hover/vm.h"

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* A chain may carry at most this many bytes in total: used.len is 32-bit. */
#define VIRTQ_MAX_CHAIN_BYTES 0xFFFFFFFFULL

struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct vring_avail {
	u16 flags;
	u16 idx;
	u16 ring[]; /* size entries, then used_event */
};

struct vring_used_elem {
	u32 id;
	u32 len;
};

struct vring_used {
	u16 flags;
	u16 idx;
	struct vring_used_elem ring[]; /* size entries, then avail_event */
};

/* ---- device status and features ---- */

int virtio_dev_init(struct virtio_dev *vdev, struct vm *vm, const struct virtio_dev_ops *ops,
		    u16 device_id, const char *name, unsigned nqueues)
{
	if (!nqueues || nqueues > VIRTIO_MAX_QUEUES)
		return -EINVAL;
	memset(vdev, 0, sizeof(*vdev));
	vdev->vm = vm;
	vdev->ops = ops;
	vdev->device_id = device_id;
	vdev->name = name;
	vdev->nqueues = nqueues;
	vdev->host_features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
			      VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	for (unsigned i = 0; i < nqueues; i++) {
		vdev->vq[i].vdev = vdev;
		vdev->vq[i].index = i;
		vdev->vq[i].max_size = VIRTQ_DEFAULT_SIZE;
		vdev->vq[i].s.size = VIRTQ_DEFAULT_SIZE;
	}
	return 0;
}

static void virtq_reset(struct virtq *vq)
{
	vq->s.size = vq->max_size;
	vq->s.enabled = false;
	vq->s.broken = false;
	vq->s.desc_gpa = vq->s.avail_gpa = vq->s.used_gpa = 0;
	vq->s.last_avail = vq->s.used_idx = vq->s.signalled_used = 0;
	vq->s.signalled_valid = false;
	vq->no_notify = false;
	vq->desc = vq->avail = vq->used = NULL;
}

void virtio_reset(struct virtio_dev *vdev)
{
	vdev->status = 0;
	vdev->driver_features = 0;
	for (unsigned i = 0; i < vdev->nqueues; i++)
		virtq_reset(&vdev->vq[i]);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

void virtio_set_status(struct virtio_dev *vdev, u8 status)
{
	u8 old = vdev->status;

	if (status == 0) {
		virtio_reset(vdev);
		return;
	}
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		u64 f = vdev->driver_features;
		bool ok = !(f & ~vdev->host_features) && (f & VIRTIO_BIT(VIRTIO_F_VERSION_1));

		if (ok && vdev->ops->features_ok && vdev->ops->features_ok(vdev, f))
			ok = false;
		if (!ok) {
			log_ratelimited(LOG_WARN, "%s: driver features %#llx refused", vdev->name,
					(unsigned long long)f);
			status &= ~VIRTIO_STATUS_FEATURES_OK;
		}
	}
	/* NEEDS_RESET is the device's to set; the driver clears it only by a reset. */
	vdev->status = status | (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    vdev->ops->driver_ok)
		vdev->ops->driver_ok(vdev);
}

void virtio_needs_reset(struct virtio_dev *vdev)
{
	if (vdev->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	if ((vdev->status & VIRTIO_STATUS_DRIVER_OK) && vdev->transport)
		vdev->transport->notify_config(vdev);
}

void virtio_config_changed(struct virtio_dev *vdev)
{
	vdev->config_generation++;
	if ((vdev->status & VIRTIO_STATUS_DRIVER_OK) && vdev->transport)
		vdev->transport->notify_config(vdev);
}

void virtio_config_read(struct virtio_dev *vdev, u32 offset, void *buf, u32 len)
{
	memset(buf, 0, len);
	if (offset > vdev->config_len || len > vdev->config_len - offset || !vdev->ops->config_read)
		return;
	vdev->ops->config_read(vdev, offset, buf, len);
}

void virtio_config_write(struct virtio_dev *vdev, u32 offset, const void *buf, u32 len)
{
	if (offset > vdev->config_len || len > vdev->config_len - offset || !vdev->ops->config_write)
		return;
	vdev->ops->config_write(vdev, offset, buf, len);
}

void virtio_queue_kick(struct virtio_dev *vdev, unsigned q)
{
	if (q >= vdev->nqueues || !vdev->vq[q].s.enabled || vdev->vq[q].s.broken)
		return;
	if (!(vdev->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (vdev->ops->queue_notify)
		vdev->ops->queue_notify(vdev, q);
}

/* ---- virtqueues ---- */

static bool event_idx(const struct virtq *vq)
{
	return virtio_has_feature(vq->vdev, VIRTIO_F_EVENT_IDX);
}

static struct vring_avail *avail(const struct virtq *vq) { return vq->avail; }
static struct vring_used *used(const struct virtq *vq) { return vq->used; }

/* The device wrote its used ring: live migration's dirty log must see it (a no-op when off). */
static void used_written(const struct virtq *vq)
{
	vm_dirty_mark(vq->vdev->vm, vq->s.used_gpa, 6 + 8ULL * vq->s.size);
}

static u16 load16(const u16 *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store16(u16 *p, u16 v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/*
 * The host pointers of the rings, from the guest addresses in vq->s: at
 * queue_enable and when a saved queue is loaded. Same checks either way —
 * a stream is as untrusted as the guest.
 */
static int map_rings(struct virtq *vq)
{
	struct guest_ram *ram = &vq->vdev->vm->ram;
	u64 n = vq->s.size;

	vq->desc = vq->avail = vq->used = NULL;
	if (!n || n > vq->max_size || (vq->s.desc_gpa & 15) || (vq->s.avail_gpa & 1) ||
	    (vq->s.used_gpa & 3))
		return -EINVAL;
	vq->desc = ram_ptr(ram, vq->s.desc_gpa, 16 * n);
	vq->avail = ram_ptr(ram, vq->s.avail_gpa, 6 + 2 * n);
	vq->used = ram_ptr(ram, vq->s.used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		return -EFAULT;
	}
	return 0;
}

int virtq_enable(struct virtq *vq)
{
	int ret;

	vq->s.enabled = false;
	ret = map_rings(vq);
	if (ret == -EFAULT)
		log_ratelimited(LOG_WARN, "%s: queue %u rings are not in guest RAM", vq->vdev->name,
				vq->index);
	if (ret)
		return ret;
	vq->s.last_avail = vq->s.used_idx = vq->s.signalled_used = 0;
	vq->s.signalled_valid = false;
	vq->s.broken = false;
	vq->s.enabled = true;
	return 0;
}

static int broken(struct virtq *vq, const char *why, u64 a, u64 b)
{
	log_ratelimited(LOG_WARN, "%s: queue %u: malformed descriptor chain (%s: %#llx %#llx); "
			"device needs reset", vq->vdev->name, vq->index, why,
			(unsigned long long)a, (unsigned long long)b);
	vq->s.broken = true;
	virtio_needs_reset(vq->vdev);
	return -EINVAL;
}

bool virtq_has_avail(struct virtq *vq)
{
	if (!vq->s.enabled || vq->s.broken)
		return false;
	return load16(&avail(vq)->idx) != vq->s.last_avail;
}

/* Add one descriptor's buffer to elem; 0 or -EINVAL (via broken()). */
static int add_seg(struct virtq *vq, struct virtq_elem *e, const struct vring_desc *d)
{
	u64 addr = d->addr, len = d->len;
	bool w = d->flags & VIRTQ_DESC_F_WRITE;
	unsigned n = e->out_num + e->in_num;
	void *p;

	if (!w && e->in_num)
		return broken(vq, "readable descriptor after a writable one", addr, len);
	if (n >= VIRTQ_MAX_IOV)
		return broken(vq, "too many segments", n, len);
	if (!len)
		return 0;
	p = ram_ptr(&vq->vdev->vm->ram, addr, len);
	if (!p)
		return broken(vq, "buffer outside guest RAM", addr, len);
	if (w) {
		if (len > VIRTQ_MAX_CHAIN_BYTES - e->in_len)
			return broken(vq, "absurd length", addr, len);
		e->in_len += len;
		e->in_num++;
	} else {
		if (len > VIRTQ_MAX_CHAIN_BYTES - e->out_len)
			return broken(vq, "absurd length", addr, len);
		e->out_len += len;
		e->out_num++;
	}
	e->iov[n].iov_base = p;
	e->iov[n].iov_len = len;
	e->gpa[n] = addr;
	return 0;
}

/* Walk an indirect table (2.7.5.3.2): one level, bounded by its own length. */
static int walk_indirect(struct virtq *vq, struct virtq_elem *e, const struct vring_desc *id)
{
	const struct vring_desc *tbl;
	u64 count = id->len / sizeof(*tbl);
	u16 i = 0;
	int ret;

	if (!virtio_has_feature(vq->vdev, VIRTIO_F_INDIRECT_DESC))
		return broken(vq, "indirect descriptor not negotiated", id->addr, id->len);
	if (id->flags & VIRTQ_DESC_F_NEXT)
		return broken(vq, "indirect descriptor with NEXT", id->addr, id->len);
	if (!count || (id->len % sizeof(*tbl)) || count > VIRTQ_MAX_IOV)
		return broken(vq, "bad indirect table length", id->addr, id->len);
	tbl = ram_ptr(&vq->vdev->vm->ram, id->addr, id->len);
	if (!tbl)
		return broken(vq, "indirect table outside guest RAM", id->addr, id->len);
	for (u64 seen = 0;; seen++) {
		struct vring_desc d;

		if (seen >= count)
			return broken(vq, "indirect chain loops", id->addr, seen);
		memcpy(&d, &tbl[i], sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return broken(vq, "nested indirect table", d.addr, d.len);
		ret = add_seg(vq, e, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= count)
			return broken(vq, "indirect next out of range", d.next, count);
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e)
{
	const struct vring_desc *tbl = vq->desc;
	u16 avail_idx, head, i;
	int ret;

	if (!vq->s.enabled || vq->s.broken)
		return 0;
	avail_idx = load16(&avail(vq)->idx);
	if (avail_idx == vq->s.last_avail)
		return 0;
	if ((u16)(avail_idx - vq->s.last_avail) > vq->s.size)
		return broken(vq, "avail index ran ahead by more than the queue size",
			      avail_idx, vq->s.last_avail);
	head = load16(&avail(vq)->ring[vq->s.last_avail % vq->s.size]);
	if (head >= vq->s.size)
		return broken(vq, "head index out of range", head, vq->s.size);
	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	i = head;
	for (unsigned seen = 0;; seen++) {
		struct vring_desc d;

		if (seen >= vq->s.size)
			return broken(vq, "chain loops or exceeds the queue size", head, seen);
		memcpy(&d, &tbl[i], sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (seen)
				return broken(vq, "indirect descriptor inside a chain", head, seen);
			ret = walk_indirect(vq, e, &d);
			if (ret)
				return ret;
			break;
		}
		ret = add_seg(vq, e, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= vq->s.size)
			return broken(vq, "next index out of range", d.next, vq->s.size);
		i = d.next;
	}
	vq->s.last_avail++;
	/* Ask to be kicked for anything past what we have taken (2.7.10). */
	if (event_idx(vq) && !vq->no_notify) {
		store16((u16 *)&used(vq)->ring[vq->s.size], vq->s.last_avail);
		used_written(vq);
	}
	return 1;
}

void virtq_unpop(struct virtq *vq)
{
	vq->s.last_avail--;
}

void virtq_push_head(struct virtq *vq, u16 head, u32 len)
{
	struct vring_used_elem *ue;

	if (!vq->s.enabled)
		return;
	ue = &used(vq)->ring[vq->s.used_idx % vq->s.size];
	ue->id = head;
	ue->len = len;
	vq->s.used_idx++;
	store16(&used(vq)->idx, vq->s.used_idx);
	used_written(vq);
}

void virtq_push(struct virtq *vq, const struct virtq_elem *e, u32 len)
{
	struct vm *vm = vq->vdev->vm;
	u64 left = len;

	for (unsigned i = e->out_num; left && i < e->out_num + e->in_num; i++) {
		u64 n = e->iov[i].iov_len < left ? e->iov[i].iov_len : left;

		vm_ram_written(vm, e->gpa[i], n);
		left -= n;
	}
	virtq_push_head(vq, e->head, len);
}

void virtq_notify(struct virtq *vq)
{
	struct virtio_dev *vdev = vq->vdev;
	bool send;

	if (!vq->s.enabled || !vdev->transport)
		return;
	/* The used->idx store must be visible before we read the driver's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (event_idx(vq)) {
		u16 ev = load16(&avail(vq)->ring[vq->s.size]);
		u16 old = vq->s.signalled_used, cur = vq->s.used_idx;

		send = !vq->s.signalled_valid || (u16)(cur - ev - 1) < (u16)(cur - old);
		vq->s.signalled_used = cur;
		vq->s.signalled_valid = true;
	} else {
		send = !(load16(&avail(vq)->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	if (send)
		vdev->transport->notify_queue(vdev, vq->index);
}

void virtq_disable_notify(struct virtq *vq)
{
	vq->no_notify = true;
	if (!vq->s.enabled || event_idx(vq))
		return; /* with EVENT_IDX: not moving avail_event is enough */
	store16(&used(vq)->flags, VIRTQ_USED_F_NO_NOTIFY);
	used_written(vq);
}

bool virtq_enable_notify(struct virtq *vq)
{
	vq->no_notify = false;
	if (!vq->s.enabled || vq->s.broken)
		return false;
	if (event_idx(vq))
		store16((u16 *)&used(vq)->ring[vq->s.size], vq->s.last_avail);
	else
		store16(&used(vq)->flags, 0);
	used_written(vq);
	/* Our write must be visible before we look at avail->idx again (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(&avail(vq)->idx) != vq->s.last_avail;
}

/* ---- copying to and from a chain ---- */

size_t virtq_iov_to_buf(const struct virtq_elem *e, size_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < e->out_num && done < len; i++) {
		size_t l = e->iov[i].iov_len, n;

		if (off >= l) {
			off -= l;
			continue;
		}
		n = l - off < len - done ? l - off : len - done;
		memcpy((u8 *)buf + done, (u8 *)e->iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_iov_from_buf(const struct virtq_elem *e, size_t off, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = e->out_num; i < e->out_num + e->in_num && done < len; i++) {
		size_t l = e->iov[i].iov_len, n;

		if (off >= l) {
			off -= l;
			continue;
		}
		n = l - off < len - done ? l - off : len - done;
		memcpy((u8 *)e->iov[i].iov_base + off, (const u8 *)buf + done, n);
		done += n;
		off = 0;
	}
	return done;
}

/* ---- state (include/hover/state.h) ---- */

/*
 * The common part of every virtio device's section: status, features, the
 * config generation, and each queue's struct virtq_state. The host
 * pointers are not saved: a loaded queue maps its rings again from the
 * saved guest addresses, checked as at queue_enable.
 */
void virtio_dev_save(const struct virtio_dev *vdev, struct state_writer *w)
{
	state_put_u8(w, vdev->status);
	state_put_u64(w, vdev->host_features);
	state_put_u64(w, vdev->driver_features);
	state_put_u8(w, vdev->config_generation);
	state_put_u8(w, (u8)vdev->nqueues);
	for (unsigned i = 0; i < vdev->nqueues; i++) {
		const struct virtq_state *q = &vdev->vq[i].s;

		state_put_u16(w, q->size);
		state_put_bool(w, q->enabled);
		state_put_bool(w, q->broken);
		state_put_u64(w, q->desc_gpa);
		state_put_u64(w, q->avail_gpa);
		state_put_u64(w, q->used_gpa);
		state_put_u16(w, q->last_avail);
		state_put_u16(w, q->used_idx);
		state_put_u16(w, q->signalled_used);
		state_put_bool(w, q->signalled_valid);
	}
}

void virtio_dev_load(struct virtio_dev *vdev, struct state_reader *r)
{
	u64 host_features;
	unsigned nqueues;

	vdev->status = state_get_u8(r);
	host_features = state_get_u64(r);
	vdev->driver_features = state_get_u64(r);
	vdev->config_generation = state_get_u8(r);
	nqueues = state_get_u8(r);
	if (state_reader_error(r))
		return;
	/* The driver may go on using what it negotiated: this device must offer all of it. */
	if (vdev->driver_features & ~vdev->host_features) {
		state_reader_fail(r, "%s: the driver uses features %#llx this device does not offer "
				  "(saved with %#llx, offered %#llx)", vdev->name,
				  (unsigned long long)(vdev->driver_features & ~vdev->host_features),
				  (unsigned long long)host_features,
				  (unsigned long long)vdev->host_features);
		return;
	}
	if (nqueues != vdev->nqueues) {
		state_reader_fail(r, "%s: %u queues saved, this device has %u", vdev->name, nqueues,
				  vdev->nqueues);
		return;
	}
	for (unsigned i = 0; i < nqueues; i++) {
		struct virtq *vq = &vdev->vq[i];
		struct virtq_state *q = &vq->s;

		q->size = state_get_u16(r);
		q->enabled = state_get_bool(r);
		q->broken = state_get_bool(r);
		q->desc_gpa = state_get_u64(r);
		q->avail_gpa = state_get_u64(r);
		q->used_gpa = state_get_u64(r);
		q->last_avail = state_get_u16(r);
		q->used_idx = state_get_u16(r);
		q->signalled_used = state_get_u16(r);
		q->signalled_valid = state_get_bool(r);
		vq->no_notify = false;
		vq->desc = vq->avail = vq->used = NULL;
		if (state_reader_error(r))
			return;
		if (q->size > vq->max_size) {
			state_reader_fail(r, "%s: queue %u has %u entries, more than the %u offered",
					  vdev->name, i, q->size, vq->max_size);
			return;
		}
		if (q->enabled && map_rings(vq)) {
			state_reader_fail(r, "%s: queue %u rings (descriptors %#llx, available %#llx, "
					  "used %#llx, %u entries) are misaligned or not in guest "
					  "RAM", vdev->name, i, (unsigned long long)q->desc_gpa,
					  (unsigned long long)q->avail_gpa,
					  (unsigned long long)q->used_gpa, q->size);
			return;
		}
	}
}
