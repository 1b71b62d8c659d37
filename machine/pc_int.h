/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The board's insides, shared by machine/pc.c (the build table, the device
 * list, lifecycle, save/load) and machine/pc_irq.c (the interrupt fabric).
 * Nothing outside machine/ includes it.
 */
#ifndef HOVER_MACHINE_PC_INT_H
#define HOVER_MACHINE_PC_INT_H

#include "include/hover/irq.h"
#include "include/hover/log.h"
#include "include/hover/state.h"
#include "include/hover/vm.h"
#include "machine/acpi_tables.h"
#include "machine/pc.h"
#include "migration/devstate.h"

#define PC_ISA_IRQS 16
/* PCI ECAM for bus 0 (pc.c builds it; the firmware's e820 reserves it). */
#define PC_PCI_ECAM_BASE 0xE0000000ULL
#define PC_PCI_ECAM_SIZE 0x100000ULL
#define PC_MAX_BOOT_DEVS 32

/*
 * How interrupts reach the CPUs: hover's PIC/IOAPIC/local APICs (and PIT),
 * or the engine's in-kernel irqchip. Chosen once, in pc_create(), from the
 * engine's capability; nothing else in the board asks which engine runs.
 */
struct pc_irq_fabric {
	bool hover_irqchip; /* hover's PIC, IOAPIC, LAPICs and PIT are on the board */
	irq_set_fn *isa_set; /* ISA IRQ n (opaque: struct pc) */
	irq_set_fn *gsi_set; /* a PCI INTx GSI */
	void (*msi)(void *opaque, u64 addr, u32 data);
};
extern const struct pc_irq_fabric pc_fabric_hover;
extern const struct pc_irq_fabric pc_fabric_engine;

/*
 * One device on the board, in build order: how to save/load it (NULL: it
 * has no guest state, e.g. the host console) and how to destroy it.
 */
struct pc_dev {
	struct devstate_entry st;
	void (*destroy)(void *dev);
};

/*
 * PIC, IOAPIC, PIT, RTC, i8042, COM1, PCI host, ACPI PM, fw_cfg and the host console;
 * a local APIC per vCPU; a transport and a device per virtio function
 * (disks, NICs, console, rng, balloon).
 */
#define PC_MAX_DEVS (12 + VM_MAX_CPUS + 2 * (PC_MAX_DISKS + PC_MAX_NICS + 3))

struct pc_cpu {
	struct pc *pc;
	struct vcpu *vcpu;
};

struct pc {
	struct pc_config cfg;
	struct vm *vm;
	struct evloop *loop;
	const struct pc_irq_fabric *fabric;
	u64 rsdp;

	/* The device list: built in order, destroyed in reverse, saved and loaded in order. */
	struct pc_dev dev[PC_MAX_DEVS];
	unsigned ndev;

	/* What the wiring callbacks need to reach (owned by the list). */
	struct pic8259 *pic;
	struct ioapic *ioapic;
	struct lapic *lapic[VM_MAX_CPUS];
	struct pc_cpu cpu[VM_MAX_CPUS];
	struct irq_line isa_irq[PC_ISA_IRQS];
	struct uart16550 *com1;
	struct acpi_pm *pm;
	struct pci_host *pci;
	struct irq_line pci_intx[4];
	struct console_stdio *console;

	/* Firmware boot (machine/pc_firmware.c): the image, fw_cfg, the tables it hands over. */
	u8 *fw_image;
	u64 fw_size;
	struct fw_cfg *fw_cfg;
	struct acpi_config acpi;
	struct {
		unsigned kind; /* enum pc_boot_kind */
		char *path;
	} boot[PC_MAX_BOOT_DEVS];
	unsigned nboot;
	char debugcon[160]; /* port 0x402: the firmware's log line being written */
	unsigned debugcon_len;
	struct log_ratelimit debugcon_rl;

	struct virtio_balloon *balloon; /* --balloon; NULL: none */
	char ram_why[512];              /* how guest RAM is backed (--mem-hugepages, --mem-merge) */

	struct vga *vga;     /* NULL: no display */
	struct i8042 *kbc;

	struct ahci *ahci; /* NULL: no SATA drives */

	struct block *disk_img[PC_MAX_DISKS]; /* owned by their virtio-blk (migration's lock hand-over) */
};

/*
 * Append a created device to the list: from now on pc_destroy() destroys it.
 * The instance is its rank among devices of the same section. On -ENOSPC
 * (a list too short: a bug) the device is destroyed here.
 */
int pc_add(struct pc *pc, const struct dev_state_ops *state, void *dev,
	   void (*destroy)(void *dev)) HOVER_WUR;

/* machine/pc_irq.c: the build steps of hover's interrupt controllers. */
u8 pc_ioapic_id(unsigned ncpus);
int pc_build_pic(struct pc *pc, char *err, size_t errlen);
int pc_build_ioapic(struct pc *pc, char *err, size_t errlen);
int pc_build_lapics(struct pc *pc, char *err, size_t errlen);
int pc_build_isa_lines(struct pc *pc, char *err, size_t errlen);
/* machine/pc_ahci.c: the SATA controller for --disk bus=sata and --cdrom. */
int pc_build_ahci(struct pc *pc, char *err, size_t errlen);

#endif
