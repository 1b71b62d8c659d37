/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI devices on hover's one host bridge (PCI Local Bus 3.0 chapter 6 for the
 * type 0 configuration header, PCI Express Base 4.0 section 7.2.2 for ECAM,
 * 7.7.2 / PCI 3.0 6.8.2 for MSI-X).
 *
 * A device embeds a struct pci_dev, fills its header with pci_dev_init(),
 * declares BARs with pci_bar_init(), adds capabilities with pci_cap_add()
 * and optionally MSI-X with pci_msix_init(), then plugs into the bus with
 * pci_host_add(). hover assigns BAR addresses itself (no firmware), as a BIOS
 * would; the guest may move them, and the bus re-registers the regions in
 * the VM's address spaces when the command register or a BAR changes.
 *
 * Interrupts: pci_set_irq() drives the device's INTx pin (level, wired-OR
 * with other devices on the same IOAPIC input), pci_msix_notify() sends an
 * MSI-X message through the board's msi callback (the local APIC under emu,
 * KVM_SIGNAL_MSI with an in-kernel irqchip).
 *
 * Locking: everything runs with vm->lock held.
 */
#ifndef HOVER_INCLUDE_PCI_H
#define HOVER_INCLUDE_PCI_H

#include "include/hover/addrspace.h"
#include "include/hover/irq.h"
#include "include/hover/state.h"
#include "include/hover/types.h"

/* Type 0 configuration header offsets */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0A
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_INTERRUPT 0x8
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_VECTOR_CTRL_MASK 0x1
#define PCI_MSIX_MAX 64

#define PCI_CFG_SPACE_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_MAX_SLOTS 32

enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,    /* I/O space */
	PCI_BAR_MEM32, /* 32-bit memory, non-prefetchable */
	PCI_BAR_MEM64, /* 64-bit memory (takes two BAR slots) */
};

struct pci_host;
struct pci_dev;

struct pci_bar {
	enum pci_bar_type type;
	u64 size; /* power of two, >= 16 (memory: >= 4096 here, page-aligned) */
	const struct io_ops *ops;
	void *opaque;
	u64 addr;    /* address the region is registered at, if mapped */
	bool mapped;
};

struct pci_msix {
	unsigned nvec; /* 0: no MSI-X */
	u8 cap;        /* capability offset in config space */
	u8 bar;
	u32 table_off, pba_off;
	u32 table[PCI_MSIX_MAX][4]; /* addr lo, addr hi, data, vector control */
	u64 pba;                    /* pending bits */
};

struct pci_dev {
	struct pci_host *host;
	const char *name;
	u8 devfn; /* slot << 3 | function; set by pci_host_add */
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u8 wmask[PCI_CFG_SPACE_SIZE]; /* guest-writable bits */
	u8 next_cap;                  /* where the next capability goes */
	struct pci_bar bar[PCI_NUM_BARS];
	struct pci_msix msix;
	bool intx_level;
	unsigned gsi; /* IOAPIC input of INTA (set by pci_host_add) */
	/*
	 * Optional: a config write landed (after the generic handling);
	 * lets a device watch its own capabilities.
	 */
	void (*cfg_written)(struct pci_dev *d, u32 off, unsigned size, u32 val);
};

/* ---- device side ---- */

/* Zero the header and set IDs, class (base<<16 | sub<<8 | prog-if), revision. */
void pci_dev_init(struct pci_dev *d, const char *name, u16 vendor, u16 device, u32 class_code,
		  u8 revision, u16 subsys_vendor, u16 subsys_id);
/* Declare BAR idx (a MEM64 BAR also uses idx+1). -EINVAL on a bad size or index. */
int pci_bar_init(struct pci_dev *d, unsigned idx, enum pci_bar_type type, u64 size,
		 const struct io_ops *ops, void *opaque) HOVER_WUR;
/*
 * Append a capability of len bytes (id, next filled in); returns its offset,
 * or 0 if config space is full. The caller writes the body at cfg[off+2..].
 */
u8 pci_cap_add(struct pci_dev *d, u8 id, u8 len);
/*
 * MSI-X with nvec vectors, table at table_off and PBA at pba_off of BAR
 * bar, which the caller must have declared with pci_msix_bar_ops and the
 * struct pci_dev as opaque (or its own ops forwarding to pci_msix_mmio_*).
 */
int pci_msix_init(struct pci_dev *d, unsigned nvec, u8 bar, u32 table_off, u32 pba_off) HOVER_WUR;
extern const struct io_ops pci_msix_bar_ops;
u64 pci_msix_mmio_read(struct pci_dev *d, u64 off, unsigned size);
void pci_msix_mmio_write(struct pci_dev *d, u64 off, unsigned size, u64 val);

/* INTx: assert (1) or deassert (0) the device's INTA#. */
void pci_set_irq(struct pci_dev *d, int level);
/* True when MSI-X is enabled in the capability's Message Control. */
bool pci_msix_enabled(const struct pci_dev *d);
/* Send vector v (or set its pending bit while masked). v >= nvec is ignored. */
void pci_msix_notify(struct pci_dev *d, unsigned v);

/*
 * A function's guest-visible state — config space (BAR addresses, command,
 * capabilities' writable bits), MSI-X table and PBA, INTx level — saved into
 * its owner's section. Load refuses a function of other IDs or another slot
 * (state_reader_fail) and maps the BARs where the guest had put them.
 */
void pci_dev_save(const struct pci_dev *d, struct state_writer *w);
void pci_dev_load(struct pci_dev *d, struct state_reader *r);

/*
 * Plain MSI (hw/pci_msi.c): one vector, 64-bit address. pci_msi_init adds
 * the capability and returns its offset (0: config space full); the device
 * keeps the offset for the calls below.
 */
u8 pci_msi_init(struct pci_dev *d);
bool pci_msi_enabled(const struct pci_dev *d, u8 cap);
void pci_msi_notify(struct pci_dev *d, u8 cap);

/* ---- the host bridge (hw/pci_host.c) ---- */

struct pci_host_config {
	struct addrspace *pio, *mmio;
	u64 ecam_base;         /* ECAM for bus 0 (1 MiB); 0 = no ECAM */
	u64 mmio_base, mmio_size; /* window BARs are assigned from */
	u16 io_base, io_size;
	/* IOAPIC inputs for INTA..INTD of slot 0 (the swizzle rotates them per slot). */
	struct irq_line intx[4];
	/* Deliver an MSI: addr/data as the device wrote them (0xFEExxxxx). */
	void (*msi)(void *opaque, u64 addr, u32 data);
	/* The reset control register (0xCF9) asked for a reset. May be NULL. */
	void (*reset)(void *opaque);
	void *opaque;
};

/* The bridge itself sits at 00:00.0 (class 0x0600, as Linux's type 1 sanity check wants). */
int pci_host_create(struct pci_host **out, const struct pci_host_config *cfg) HOVER_WUR;
void pci_host_destroy(struct pci_host *h);
/* Plug d into the next free slot, assign its BARs; -ENOSPC if full. */
int pci_host_add(struct pci_host *h, struct pci_dev *d) HOVER_WUR;
/* Unplug d (its BARs unmapped, its INTx released) so it can be freed before the bus. */
void pci_host_remove(struct pci_dev *d);

/* Config access as the 0xCF8/ECAM paths do it (exposed for tests). */
u32 pci_host_cfg_read(struct pci_host *h, u8 bus, u8 devfn, u32 off, unsigned size);
void pci_host_cfg_write(struct pci_host *h, u8 bus, u8 devfn, u32 off, unsigned size, u32 val);
/* GSI that INTx pin (0 = INTA) of slot routes to (the _PRT must say the same). */
unsigned pci_host_slot_gsi(unsigned slot, unsigned pin);
#define PCI_HOST_GSI_BASE 16
/* Section "pci-host": 0xCF8, the bridge's config space, the shared INTx inputs. */
extern const struct dev_state_ops pci_host_state_ops;

#endif
