/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-pci transport (virtio 1.2 section 4.1, modern devices only):
 * takes a struct virtio_dev (include/hover/virtio.h) and makes it a PCI
 * function on a host bridge (include/hover/pci.h). The board calls
 *
 *	virtio_pci_create(&vp, pci_host, &dev->vdev);
 *
 * after the device filled its features, config_len and queue sizes.
 */
#ifndef HOVER_VIRTIO_PCI_H
#define HOVER_VIRTIO_PCI_H

#include "include/hover/pci.h"
#include "include/hover/virtio.h"

struct virtio_pci;

int virtio_pci_create(struct virtio_pci **out, struct pci_host *host,
		      struct virtio_dev *vdev) HOVER_WUR;
/* Stops the device's I/O and unplugs the function; call before the device is freed. */
void virtio_pci_destroy(struct virtio_pci *vp);
/*
 * Section "virtio-pci", one per transport (the board numbers them): the PCI
 * function, selectors, MSI-X vectors and ISR.
 */
extern const struct dev_state_ops virtio_pci_state_ops;
/* The PCI function (for tests). */
struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);

/* Layout of BAR0 (exposed for tests). */
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_BAR0_SIZE 0x4000
#define VIRTIO_PCI_MSIX_BAR 1
#define VIRTIO_PCI_NO_VECTOR 0xffff

#endif
