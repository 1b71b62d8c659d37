// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-pci, modern (virtio 1.2 section 4.1): vendor 0x1AF4, device
 * 0x1040 + device ID, revision 1. BAR0 holds the four structures the vendor
 * capabilities point at (4.1.4): common configuration, ISR status, device
 * configuration and notifications (one 4-byte doorbell per queue,
 * notify_off_multiplier 4); BAR1 holds the MSI-X table and PBA with one
 * vector for configuration changes and one per queue. Without MSI-X the
 * device interrupts on INTA# and the driver reads the ISR to learn why
 * (4.1.4.5), which also deasserts the line.
 *
 * All device semantics (status, features, rings) live in virtio/core.c; this
 * file only translates register accesses.
 */
#include "virtio/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/log.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040

/* Capability cfg_type (4.1.4) */
#define CAP_COMMON_CFG 1
#define CAP_NOTIFY_CFG 2
#define CAP_ISR_CFG 3
#define CAP_DEVICE_CFG 4

/* struct virtio_pci_common_cfg offsets (4.1.4.3) */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0C
#define CC_MSIX_CONFIG 0x10
#define CC_NUM_QUEUES 0x12
#define CC_STATUS 0x14
#define CC_CFG_GENERATION 0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1A
#define CC_Q_ENABLE 0x1C
#define CC_Q_NOFF 0x1E
#define CC_Q_DESC 0x20
#define CC_Q_AVAIL 0x28
#define CC_Q_USED 0x30
#define CC_LEN 0x38

/* The transport's registers, as the guest programmed them (plain data, saved as is). */
struct virtio_pci_state {
	u32 dfselect, gfselect;
	u16 queue_sel;
	u16 msix_config;
	u16 queue_msix[VIRTIO_MAX_QUEUES];
	u8 isr;
};

struct virtio_pci {
	struct pci_dev pci; /* config space, BARs, MSI-X: saved with pci_dev_save */
	struct virtio_dev *vdev;
	struct virtio_pci_state s;
};

static void put16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static void put32(u8 *p, u32 v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(u8 *p, u64 v) { put32(p, v); put32(p + 4, v >> 32); }

/* ---- interrupts (the transport side of include/hover/virtio.h) ---- */

static void raise(struct virtio_pci *vp, u16 vector, u8 isr_bit)
{
	if (pci_msix_enabled(&vp->pci)) {
		if (vector != VIRTIO_PCI_NO_VECTOR)
			pci_msix_notify(&vp->pci, vector);
		return;
	}
	vp->s.isr |= isr_bit;
	pci_set_irq(&vp->pci, 1);
}

static void notify_queue(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_pci *vp = vdev->transport_data;

	raise(vp, vp->s.queue_msix[q], 1);
}

static void notify_config(struct virtio_dev *vdev)
{
	struct virtio_pci *vp = vdev->transport_data;

	raise(vp, vp->s.msix_config, 2);
}

static const struct virtio_transport_ops transport_ops = {
	.notify_queue = notify_queue,
	.notify_config = notify_config,
};

static void transport_reset(struct virtio_pci *vp)
{
	vp->s.dfselect = vp->s.gfselect = 0;
	vp->s.queue_sel = 0;
	vp->s.msix_config = VIRTIO_PCI_NO_VECTOR;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vp->s.queue_msix[i] = VIRTIO_PCI_NO_VECTOR;
	vp->s.isr = 0;
	pci_set_irq(&vp->pci, 0);
}

/* ---- common configuration ---- */

static struct virtq *selected(struct virtio_pci *vp)
{
	return vp->s.queue_sel < vp->vdev->nqueues ? &vp->vdev->vq[vp->s.queue_sel] : NULL;
}

static u64 common_read(struct virtio_pci *vp, u64 off, unsigned size)
{
	struct virtio_dev *vdev = vp->vdev;
	struct virtq *vq = selected(vp);
	u8 img[CC_LEN] = { 0 };
	u64 v = 0;

	if (off >= CC_LEN || size > CC_LEN - off)
		return 0;
	put32(img + CC_DFSELECT, vp->s.dfselect);
	if (vp->s.dfselect < 2)
		put32(img + CC_DF, vdev->host_features >> (32 * vp->s.dfselect));
	put32(img + CC_GFSELECT, vp->s.gfselect);
	if (vp->s.gfselect < 2)
		put32(img + CC_GF, vdev->driver_features >> (32 * vp->s.gfselect));
	put16(img + CC_MSIX_CONFIG, vp->s.msix_config);
	put16(img + CC_NUM_QUEUES, vdev->nqueues);
	img[CC_STATUS] = vdev->status;
	img[CC_CFG_GENERATION] = vdev->config_generation;
	put16(img + CC_Q_SELECT, vp->s.queue_sel);
	if (vq) {
		put16(img + CC_Q_SIZE, vq->s.size);
		put16(img + CC_Q_MSIX, vp->s.queue_msix[vp->s.queue_sel]);
		put16(img + CC_Q_ENABLE, vq->s.enabled);
		put16(img + CC_Q_NOFF, vp->s.queue_sel);
		put64(img + CC_Q_DESC, vq->s.desc_gpa);
		put64(img + CC_Q_AVAIL, vq->s.avail_gpa);
		put64(img + CC_Q_USED, vq->s.used_gpa);
	}
	for (unsigned i = 0; i < size; i++)
		v |= (u64)img[off + i] << (8 * i);
	return v;
}

/* Merge a 4- or 8-byte write into a 64-bit queue address register. */
static void addr_write(u64 *reg, u64 off_in_field, unsigned size, u64 val)
{
	if (size == 8 && off_in_field == 0)
		*reg = val;
	else if (size == 4 && off_in_field == 0)
		*reg = (*reg & ~0xffffffffULL) | (u32)val;
	else if (size == 4 && off_in_field == 4)
		*reg = (*reg & 0xffffffffULL) | val << 32;
}

static u16 checked_vector(struct virtio_pci *vp, u64 val)
{
	/* A vector the table does not have reads back as NO_VECTOR (4.1.5.1.2). */
	return val < vp->pci.msix.nvec ? (u16)val : VIRTIO_PCI_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, u64 off, unsigned size, u64 val)
{
	struct virtio_dev *vdev = vp->vdev;
	struct virtq *vq = selected(vp);

	switch (off) {
	case CC_DFSELECT:
		vp->s.dfselect = val;
		return;
	case CC_GFSELECT:
		vp->s.gfselect = val;
		return;
	case CC_GF:
		if (vdev->status & VIRTIO_STATUS_FEATURES_OK)
			return; /* features are fixed once accepted */
		if (vp->s.gfselect == 0)
			vdev->driver_features = (vdev->driver_features & ~0xffffffffULL) | (u32)val;
		else if (vp->s.gfselect == 1)
			vdev->driver_features = (vdev->driver_features & 0xffffffffULL) | val << 32;
		return;
	case CC_MSIX_CONFIG:
		vp->s.msix_config = checked_vector(vp, val);
		return;
	case CC_STATUS:
		virtio_set_status(vdev, val);
		if (vdev->status == 0)
			transport_reset(vp);
		return;
	case CC_Q_SELECT:
		vp->s.queue_sel = val;
		return;
	}
	if (!vq)
		return;
	if (off == CC_Q_MSIX) {
		vp->s.queue_msix[vp->s.queue_sel] = checked_vector(vp, val);
		return;
	}
	if (vq->s.enabled)
		return; /* size, addresses and enable are fixed while the queue runs */
	if (off == CC_Q_SIZE) {
		vq->s.size = val;
	} else if (off == CC_Q_ENABLE) {
		if (val == 1 && virtq_enable(vq))
			log_ratelimited(LOG_WARN, "%s: queue %u: bad size %u or ring addresses; "
					"not enabled", vdev->name, vq->index, vq->s.size);
	} else if (off >= CC_Q_DESC && off < CC_Q_DESC + 8) {
		addr_write(&vq->s.desc_gpa, off - CC_Q_DESC, size, val);
	} else if (off >= CC_Q_AVAIL && off < CC_Q_AVAIL + 8) {
		addr_write(&vq->s.avail_gpa, off - CC_Q_AVAIL, size, val);
	} else if (off >= CC_Q_USED && off < CC_Q_USED + 8) {
		addr_write(&vq->s.used_gpa, off - CC_Q_USED, size, val);
	}
}

/* ---- BAR0 ---- */

static u64 bar0_read(void *opaque, u64 off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	u8 buf[8];
	u64 v = 0;

	if (off < VIRTIO_PCI_ISR_OFF)
		return common_read(vp, off - VIRTIO_PCI_COMMON_OFF, size);
	if (off < VIRTIO_PCI_DEVICE_OFF) {
		if (off != VIRTIO_PCI_ISR_OFF)
			return 0;
		/* Reading the ISR acknowledges it and deasserts INTx (4.1.4.5.1). */
		v = vp->s.isr;
		vp->s.isr = 0;
		pci_set_irq(&vp->pci, 0);
		return v;
	}
	if (off < VIRTIO_PCI_NOTIFY_OFF) {
		virtio_config_read(vp->vdev, off - VIRTIO_PCI_DEVICE_OFF, buf, size);
		for (unsigned i = 0; i < size; i++)
			v |= (u64)buf[i] << (8 * i);
		return v;
	}
	return 0;
}

static void bar0_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct virtio_pci *vp = opaque;
	u8 buf[8];

	if (off < VIRTIO_PCI_ISR_OFF) {
		common_write(vp, off - VIRTIO_PCI_COMMON_OFF, size, val);
	} else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF) {
		for (unsigned i = 0; i < size; i++)
			buf[i] = val >> (8 * i);
		virtio_config_write(vp->vdev, off - VIRTIO_PCI_DEVICE_OFF, buf, size);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF) {
		/* The doorbell's address names the queue (queue_notify_off = index). */
		virtio_queue_kick(vp->vdev, (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT);
	}
}

static const struct io_ops bar0_ops = { .read = bar0_read, .write = bar0_write,
					.min_access = 1, .max_access = 8 };

/* ---- set-up ---- */

static int add_vendor_cap(struct pci_dev *d, u8 type, u32 off, u32 len, u32 extra)
{
	u8 clen = type == CAP_NOTIFY_CFG ? 20 : 16;
	u8 c = pci_cap_add(d, 0x09, clen);

	if (!c)
		return -ENOSPC;
	d->cfg[c + 2] = clen;
	d->cfg[c + 3] = type;
	d->cfg[c + 4] = 0; /* BAR0 */
	put32(d->cfg + c + 8, off);
	put32(d->cfg + c + 12, len);
	if (type == CAP_NOTIFY_CFG)
		put32(d->cfg + c + 16, extra);
	return 0;
}

static u32 class_of(u16 id)
{
	switch (id) {
	case VIRTIO_ID_NET:
		return 0x020000; /* network controller, Ethernet */
	case VIRTIO_ID_BLOCK:
		return 0x018000; /* mass storage, other */
	case VIRTIO_ID_CONSOLE:
		return 0x078000; /* communication, other */
	default:
		return 0xff0000; /* unclassified */
	}
}

int virtio_pci_create(struct virtio_pci **out, struct pci_host *host, struct virtio_dev *vdev)
{
	struct virtio_pci *vp;
	struct pci_dev *d;
	int ret;

	if (!(vdev->host_features & VIRTIO_BIT(VIRTIO_F_VERSION_1)) ||
	    vdev->config_len > VIRTIO_PCI_NOTIFY_OFF - VIRTIO_PCI_DEVICE_OFF)
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->vdev = vdev;
	d = &vp->pci;
	pci_dev_init(d, vdev->name, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + vdev->device_id,
		     class_of(vdev->device_id), 1, VIRTIO_PCI_VENDOR, 0x40);
	d->cfg[PCI_INTERRUPT_PIN] = 1; /* INTA# */
	ret = pci_bar_init(d, 0, PCI_BAR_MEM32, VIRTIO_PCI_BAR0_SIZE, &bar0_ops, vp);
	if (!ret)
		ret = pci_bar_init(d, VIRTIO_PCI_MSIX_BAR, PCI_BAR_MEM32, 4096, &pci_msix_bar_ops, d);
	if (!ret)
		ret = pci_msix_init(d, vdev->nqueues + 1, VIRTIO_PCI_MSIX_BAR, 0, 0x800);
	if (!ret)
		ret = add_vendor_cap(d, CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, CC_LEN, 0);
	if (!ret)
		ret = add_vendor_cap(d, CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 4, 0);
	if (!ret && vdev->config_len)
		ret = add_vendor_cap(d, CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF, vdev->config_len, 0);
	if (!ret)
		ret = add_vendor_cap(d, CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
				     VIRTIO_PCI_NOTIFY_MULT * vdev->nqueues, VIRTIO_PCI_NOTIFY_MULT);
	if (ret)
		goto err;
	vdev->transport = &transport_ops;
	vdev->transport_data = vp;
	transport_reset(vp);
	ret = pci_host_add(host, d);
	if (ret)
		goto err_add;
	*out = vp;
	return 0;

err_add:
	vdev->transport = NULL;
	vdev->transport_data = NULL;
err:
	free(vp);
	return ret;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	if (vp->vdev->ops->stop)
		vp->vdev->ops->stop(vp->vdev);
	pci_host_remove(&vp->pci);
	vp->vdev->transport = NULL;
	vp->vdev->transport_data = NULL;
	free(vp);
}

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return &vp->pci;
}

/* ---- state (include/hover/state.h) ---- */

/*
 * The transport's own section: the PCI function (config space, BARs, MSI-X
 * table and PBA, INTx), the feature and queue selectors, the config and
 * per-queue MSI-X vectors, and the ISR. The device behind it saves status,
 * features and queues in its own section (virtio_dev_save).
 */
static int vp_save(void *dev, struct state_writer *w)
{
	struct virtio_pci *vp = dev;

	pci_dev_save(&vp->pci, w);
	state_put_u32(w, vp->s.dfselect);
	state_put_u32(w, vp->s.gfselect);
	state_put_u16(w, vp->s.queue_sel);
	state_put_u16(w, vp->s.msix_config);
	state_put_u8(w, (u8)vp->vdev->nqueues);
	for (unsigned i = 0; i < vp->vdev->nqueues; i++)
		state_put_u16(w, vp->s.queue_msix[i]);
	state_put_u8(w, vp->s.isr);
	return 0;
}

static int vp_load(void *dev, struct state_reader *r)
{
	struct virtio_pci *vp = dev;
	unsigned nqueues;

	pci_dev_load(&vp->pci, r);
	vp->s.dfselect = state_get_u32(r);
	vp->s.gfselect = state_get_u32(r);
	vp->s.queue_sel = state_get_u16(r);
	vp->s.msix_config = checked_vector(vp, state_get_u16(r));
	nqueues = state_get_u8(r);
	if (state_reader_error(r))
		return state_reader_error(r);
	if (nqueues != vp->vdev->nqueues)
		return state_reader_fail(r, "%u queue vectors saved, %s has %u queues", nqueues,
					 vp->vdev->name, vp->vdev->nqueues);
	for (unsigned i = 0; i < nqueues; i++)
		vp->s.queue_msix[i] = checked_vector(vp, state_get_u16(r));
	vp->s.isr = state_get_u8(r);
	return state_reader_error(r);
}

const struct dev_state_ops virtio_pci_state_ops = {
	.section = "virtio-pci", .version = 1, .save = vp_save, .load = vp_load,
};
