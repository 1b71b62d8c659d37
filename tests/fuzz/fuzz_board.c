// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the emu engine's I/O dispatch (core/addrspace.c) and
 * everything a guest reaches through it on the PC board: the legacy devices
 * (hw/: 16550 UART, 8259 PICs, 8254 PIT, RTC/CMOS, i8042, ACPI PM, IOAPIC,
 * local APIC), the PCI host bridge (0xCF8/0xCFC and ECAM, hw/pci_host.c,
 * hw/pci.c) and virtio-pci (virtio/pci.c: common config, notify, ISR,
 * device config, the MSI-X table) with virtio-blk, -net, -console and -rng
 * behind it. The devices are wired as machine/pc.c wires them (ISA IRQs to
 * both PIC and IOAPIC, the IOAPIC to the LAPIC, MSIs to the LAPIC), on a
 * fake clock the input advances, so a run is reproducible.
 *
 * The input is a list of 12-byte ops [code, a, b, c, off (u32), val (u32)];
 * see run_op. Accesses have every size (1 << (c & 3)), any alignment, and go
 * anywhere in the port space or to any MMIO region the board maps; op 7
 * runs a driver's virtio-pci initialisation with queues in guest RAM, so
 * the fuzzer starts from a live device.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/block.h"
#include "host/net.h"
#include "hw/acpi_pm.h"
#include "hw/i8042.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "hw/pic8259.h"
#include "hw/pit8254.h"
#include "hw/rtc_cmos.h"
#include "hw/uart16550.h"
#include "include/hover/addrspace.h"
#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/pci.h"
#include "include/hover/ram.h"
#include "include/hover/timer.h"
#include "include/hover/vm.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/pci.h"
#include "virtio/rng.h"

#define RAM_SIZE      (4 * MiB)
#define BUF	      0x100000ULL
#define QBASE(dev, q) (0x10000ULL + (u64)(dev)*0x40000ULL + (u64)(q)*0x4000ULL)
#define IOAPIC_BASE   0xFEC00000ULL
#define LAPIC_BASE    0xFEE00000ULL
#define ECAM_BASE     0xB0000000ULL
#define PCI_MMIO_BASE 0xC0000000ULL
#define PCI_MMIO_SIZE 0x10000000ULL
#define PCI_IO_BASE   0x1000
#define PCI_IO_SIZE   0x1000
#define ISA_IRQS      16
#define NVIRTIO	      4
#define OP_LEN	      12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct board {
	struct vm *vm;
	struct evloop *el;
	int disk_fd;
	char disk_path[64];
	struct net_backend lo; /* a backend that drops what the guest sends */
	u64 now;	       /* the fake clock, ns */
	/* per input */
	struct irq_line isa[ISA_IRQS], pci_intx[4];
	struct pic8259 *pic;
	struct ioapic *ioapic;
	struct lapic *lapic;
	struct pit8254 *pit;
	struct rtc_cmos *rtc;
	struct i8042 *kbc;
	struct uart16550 *uart;
	struct acpi_pm *pm;
	struct pci_host *pci;
	struct virtio_blk *blk;
	struct virtio_net *net;
	struct virtio_console *con;
	struct virtio_rng *rng;
	struct virtio_pci *vpci[NVIRTIO];
};

/*
 * The LAPIC's and the ACPI timer's clock callbacks take no argument, so the
 * clock they read is file-wide; one board exists at a time in this process.
 */
static struct board *cur;

static u64 now_void(void)
{
	return cur->now;
}
static u64 now_opaque(void *opaque)
{
	return ((struct board *)opaque)->now;
}
static s64 realtime(void *opaque)
{
	return 1700000000LL * 1000000000LL + (s64)now_opaque(opaque);
}

/* ---- wiring, as machine/pc.c does it ---- */

static void isa_irq_set(void *opaque, unsigned irq, int level)
{
	struct board *b = opaque;

	pic8259_set_irq(b->pic, irq, level);
	ioapic_set_irq(b->ioapic, irq == 0 ? 2 : irq, level); /* IRQ0 -> GSI2 (MADT override) */
}

static void pic_intr(void *opaque, unsigned pin, int level)
{
	struct board *b = opaque;

	lapic_set_lint(b->lapic, 0, level);
}

static void ioapic_deliver(void *opaque, u8 dest, bool logical, u8 mode, u8 vector, bool level)
{
	struct board *b = opaque;

	if (lapic_match_dest(b->lapic, dest, logical))
		lapic_deliver(b->lapic, mode, vector, level);
}

static void lapic_notify(void *opaque)
{
	(void)opaque;
}

static void lapic_eoi(void *opaque, u8 vector)
{
	struct board *b = opaque;

	ioapic_eoi(b->ioapic, vector);
}

static void lapic_ipi(void *opaque, const struct lapic_ipi *ipi)
{
	struct board *b = opaque;

	if (lapic_ipi_match(b->lapic, ipi))
		lapic_deliver(b->lapic, ipi->delivery_mode, ipi->vector, ipi->level_trig);
}

static int lapic_pic_ack(void *opaque)
{
	struct board *b = opaque;

	return pic8259_ack(b->pic);
}

static void pci_gsi(void *opaque, unsigned gsi, int level)
{
	struct board *b = opaque;

	ioapic_set_irq(b->ioapic, gsi, level);
}

static void pci_msi(void *opaque, u64 addr, u32 data)
{
	ioapic_deliver(opaque, (addr >> 12) & 0xff, addr & 4, (data >> 8) & 7, data & 0xff,
		       data & (1u << 15));
}

static void uart_tx(void *opaque, const u8 *buf, size_t len)
{
	(void)opaque, (void)buf, (void)len;
}
static void uart_rx_ready(void *opaque)
{
	(void)opaque;
}
static void power(void *opaque)
{
	(void)opaque;
}

static int lo_send(struct net_backend *be, const struct iovec *iov, unsigned iovcnt)
{
	(void)be, (void)iov, (void)iovcnt;
	return 0;
}

static void lo_destroy(struct net_backend *be)
{
	(void)be;
}

static const struct net_backend_ops lo_ops = { .send = lo_send, .destroy = lo_destroy };

static struct board *fuzz_env(void)
{
	static struct board *b;
	static u8 zero[64 * KiB];

	if (b)
		return b;
	log_set_level(LOG_ERROR); /* hostile guests are logged by design */
	b = calloc(1, sizeof(*b));
	if (!b || !(b->vm = calloc(1, sizeof(*b->vm))))
		abort();
	pthread_mutex_init(&b->vm->lock, NULL);
	if (ram_create(&b->vm->ram, RAM_SIZE) || timer_list_create(&b->vm->timers) ||
	    evloop_create(&b->el, b->vm))
		abort();
	b->vm->loop = b->el;
	b->disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (b->disk_fd < 0 || write(b->disk_fd, zero, sizeof(zero)) != sizeof(zero))
		abort();
	snprintf(b->disk_path, sizeof(b->disk_path), "/proc/self/fd/%d", b->disk_fd);
	b->lo.ops = &lo_ops;
	b->lo.kind = "drop";
	return b;
}

static int build_legacy(struct board *b)
{
	struct vm *vm = b->vm;

	for (unsigned i = 0; i < ISA_IRQS; i++)
		irq_line_init(&b->isa[i], isa_irq_set, b, i);
	if (pic8259_create(&b->pic,
			   &(struct pic8259_config){ .intr = { .set = pic_intr, .opaque = b } }) ||
	    pic8259_attach(b->pic, vm->pio) ||
	    ioapic_create(
		&b->ioapic,
		&(struct ioapic_config){ .id = 1, .opaque = b, .deliver = ioapic_deliver }) ||
	    as_register(vm->mmio, IOAPIC_BASE, 0x1000, &ioapic_mmio_ops, b->ioapic) ||
	    lapic_create(&b->lapic, &(struct lapic_config){ .apic_id = 0,
							    .bsp = true,
							    .timers = vm->timers,
							    .opaque = b,
							    .notify = lapic_notify,
							    .eoi_broadcast = lapic_eoi,
							    .send_ipi = lapic_ipi,
							    .pic_ack = lapic_pic_ack,
							    .now = now_void }) ||
	    /* per-vCPU in the engines; one vCPU here, so its page sits in the bus */
	    as_register(vm->mmio, LAPIC_BASE, 0x1000, &lapic_mmio_ops, b->lapic))
		return -1;
	lapic_setup_virtual_wire(b->lapic);
	if (pit8254_create(&b->pit, &(struct pit8254_config){ .irq0 = b->isa[0],
							      .timers = vm->timers,
							      .now_ns = now_opaque,
							      .clock_opaque = b }) ||
	    pit8254_attach(b->pit, vm->pio) ||
	    rtc_cmos_create(&b->rtc, &(struct rtc_cmos_config){ .irq = b->isa[8],
								.timers = vm->timers,
								.ram_below_4g = RAM_SIZE,
								.now_ns = now_opaque,
								.realtime_ns = realtime,
								.clock_opaque = b }) ||
	    rtc_cmos_attach(b->rtc, vm->pio) ||
	    i8042_create(&b->kbc, &(struct i8042_config){ .irq1 = b->isa[1],
							  .irq12 = b->isa[12],
							  .reset = power,
							  .opaque = b }) ||
	    i8042_attach(b->kbc, vm->pio) ||
	    uart16550_create(&b->uart, &(struct uart16550_config){ .irq = b->isa[4],
								   .timers = vm->timers,
								   .tx = uart_tx,
								   .rx_ready = uart_rx_ready,
								   .opaque = b,
								   .now_ns = now_opaque,
								   .clock_opaque = b }) ||
	    uart16550_attach(b->uart, vm->pio, 0x3f8) ||
	    acpi_pm_create(&b->pm,
			   &(struct acpi_pm_config){ .sci = b->isa[9],
						     .timers = vm->timers,
						     .opaque = b,
						     .poweroff = power,
						     .reset = power,
						     .now = now_void },
			   vm->pio))
		return -1;
	return 0;
}

static int build_pci(struct board *b)
{
	static const u8 mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static const struct virtio_console_port_config port = {
		.name = "org.hover.fuzz",
		.kind = VIRTIO_CONSOLE_FILE,
		.path = "/dev/null",
	};
	struct virtio_dev *vdev[NVIRTIO];
	struct block *disk;
	char err[256];

	for (unsigned i = 0; i < 4; i++)
		irq_line_init(&b->pci_intx[i], pci_gsi, b, PCI_HOST_GSI_BASE + i);
	if (pci_host_create(&b->pci,
			    &(struct pci_host_config){ .pio = b->vm->pio,
						       .mmio = b->vm->mmio,
						       .ecam_base = ECAM_BASE,
						       .mmio_base = PCI_MMIO_BASE,
						       .mmio_size = PCI_MMIO_SIZE,
						       .io_base = PCI_IO_BASE,
						       .io_size = PCI_IO_SIZE,
						       .intx = { b->pci_intx[0], b->pci_intx[1],
								 b->pci_intx[2], b->pci_intx[3] },
						       .msi = pci_msi,
						       .opaque = b }))
		return -1;
	if (block_open(&disk, b->disk_path, &(struct block_open_opts){ .fmt = BLOCK_FMT_RAW }, err,
		       sizeof(err)))
		return -1;
	if (virtio_blk_create(&b->blk, b->vm, disk, 0)) {
		block_close(disk);
		return -1;
	}
	b->lo.rxq_head = b->lo.rxq_len = 0;
	if (virtio_net_create(&b->net, b->vm, &b->lo, mac, 0) ||
	    virtio_console_create(&b->con, b->vm, b->el, &port, 1, err, sizeof(err)) ||
	    virtio_rng_create(&b->rng, b->vm))
		return -1;
	vdev[0] = virtio_blk_dev(b->blk);
	vdev[1] = virtio_net_dev(b->net);
	vdev[2] = virtio_console_dev(b->con);
	vdev[3] = virtio_rng_dev(b->rng);
	for (unsigned i = 0; i < NVIRTIO; i++)
		if (virtio_pci_create(&b->vpci[i], b->pci, vdev[i]))
			return -1;
	return 0;
}

/*
 * In machine/pc.c's order: the PCI host first (it walks its functions), then
 * the transports and devices, then the rest in reverse order of creation.
 */
static void destroy_board(struct board *b)
{
	pci_host_destroy(b->pci);
	for (unsigned i = NVIRTIO; i-- > 0;)
		if (b->vpci[i])
			virtio_pci_destroy(b->vpci[i]);
	if (b->rng)
		virtio_rng_destroy(b->rng);
	if (b->con)
		virtio_console_destroy(b->con);
	if (b->net)
		virtio_net_destroy(b->net);
	if (b->blk)
		virtio_blk_destroy(b->blk);
	if (b->pm)
		acpi_pm_destroy(b->pm);
	if (b->uart)
		uart16550_destroy(b->uart);
	if (b->kbc)
		i8042_destroy(b->kbc);
	if (b->rtc)
		rtc_cmos_destroy(b->rtc);
	if (b->pit)
		pit8254_destroy(b->pit);
	if (b->lapic)
		lapic_destroy(b->lapic);
	if (b->ioapic)
		ioapic_destroy(b->ioapic);
	if (b->pic)
		pic8259_destroy(b->pic);
	as_destroy(b->vm->mmio);
	as_destroy(b->vm->pio);
	b->vm->mmio = b->vm->pio = NULL;
	memset(&b->isa, 0,
	       offsetof(struct board, vpci) + sizeof(b->vpci) - offsetof(struct board, isa));
}

/* Where MMIO op target a points: 0 IOAPIC, 1 LAPIC, 2 ECAM, then each virtio-pci BAR. */
static u64 mmio_addr(struct board *b, u8 a, u32 off)
{
	switch (a % (3 + 2 * NVIRTIO)) {
	case 0: return IOAPIC_BASE + (off & 0xfff);
	case 1: return LAPIC_BASE + (off & 0xfff);
	case 2: return ECAM_BASE + (off & 0xfffff);
	default: {
		unsigned k = (a % (3 + 2 * NVIRTIO)) - 3;
		struct pci_dev *d = virtio_pci_dev(b->vpci[k / 2]);
		const struct pci_bar *bar = &d->bar[k % 2 ? VIRTIO_PCI_MSIX_BAR : 0];

		/* an unmapped BAR's old address is still worth a try: it must read as nothing */
		return bar->addr + (off & ((bar->size ? bar->size : 4096) - 1));
	}
	}
}

static void mmio_write(struct board *b, unsigned k, u64 off, unsigned size, u64 val)
{
	as_write(b->vm->mmio, virtio_pci_dev(b->vpci[k])->bar[0].addr + off, size, val);
}

/*
 * A driver's initialisation of virtio-pci device k (virtio 1.2 4.1.4.3 and
 * 3.1.1): reset, ACKNOWLEDGE|DRIVER, features, FEATURES_OK, each queue at
 * QBASE with 2^qshift entries and MSI-X vector q + 1 (config: 0), DRIVER_OK.
 */
static void virtio_setup(struct board *b, unsigned k, u64 features, unsigned qshift, bool msix)
{
	struct pci_dev *d = virtio_pci_dev(b->vpci[k]);
	u64 v;

	if (msix) {
		/* Linux enables MSI-X first, then programs the table (vector q at 0x30 + q) */
		pci_host_cfg_write(b->pci, 0, d->devfn, d->msix.cap + 2, 2, PCI_MSIX_FLAGS_ENABLE);
		for (unsigned i = 0; i < d->msix.nvec && i < 16; i++) {
			u64 e = d->bar[VIRTIO_PCI_MSIX_BAR].addr + d->msix.table_off + 16ULL * i;

			as_write(b->vm->mmio, e, 4, LAPIC_BASE);
			as_write(b->vm->mmio, e + 4, 4, 0);
			as_write(b->vm->mmio, e + 8, 4, 0x30 + i);
			as_write(b->vm->mmio, e + 12, 4, 0);
		}
	}
	mmio_write(b, k, 0x14, 1, 0);
	mmio_write(b, k, 0x14, 1, 3);
	mmio_write(b, k, 0x08, 4, 0);
	mmio_write(b, k, 0x0c, 4, (u32)features);
	mmio_write(b, k, 0x08, 4, 1);
	mmio_write(b, k, 0x0c, 4, (u32)(features >> 32) | 1); /* VERSION_1 */
	mmio_write(b, k, 0x14, 1, 0xb);
	mmio_write(b, k, 0x10, 2, 0);
	as_read(b->vm->mmio, d->bar[0].addr + 0x12, 2, &v);
	for (unsigned q = 0; q < v && q < 16; q++) {
		mmio_write(b, k, 0x16, 2, q);
		mmio_write(b, k, 0x18, 2, 1u << qshift);
		mmio_write(b, k, 0x1a, 2, q + 1);
		mmio_write(b, k, 0x20, 8, QBASE(k, q));
		mmio_write(b, k, 0x28, 8, QBASE(k, q) + 0x1000);
		mmio_write(b, k, 0x30, 8, QBASE(k, q) + 0x2000);
		mmio_write(b, k, 0x1c, 2, 1);
	}
	mmio_write(b, k, 0x14, 1, 0xf);
}

/*
 * One op [code, a, b, c, off, val]; size = 1 << (c & 3).
 *   0/1 port read/write at off & 0xffff
 *   2/3 MMIO read/write at mmio_addr(a, off)
 *   4   guest RAM: val at off % 2 MiB, then a bytes of the input
 *   5   the clock advances off ns; due timers fire
 *   6   0xCF8 = off, then 0xCFC + (b & 3) read (a & 1) or written with val
 *   7   virtio_setup(a % 4, off | val << 32, b % 8, MSI-X if b & 8)
 *   8   the UART receives a bytes of the input; the LAPIC acks an interrupt
 *   9   virtio-pci device a % 4 is notified of queue b (its notify register)
 *  10   unaligned or odd-sized accesses: MMIO read of 8 bytes across regions
 *  11   PCI config through pci_host_cfg_read/write at bus b, devfn c, reg off
 *       (size 1 << (c % 3))
 * Returns how many bytes of the input after the op it used.
 */
static size_t run_op(struct board *b, const u8 *op, const u8 *rest, size_t rest_len)
{
	unsigned size = 1u << (op[3] & 3);
	u32 off = op[4] | op[5] << 8 | op[6] << 16 | (u32)op[7] << 24;
	u32 val = op[8] | op[9] << 8 | op[10] << 16 | (u32)op[11] << 24;
	u64 v;

	switch (op[0] % 12) {
	case 0: as_read(b->vm->pio, off & 0xffff, size, &v); break;
	case 1: as_write(b->vm->pio, off & 0xffff, size, val | (u64)val << 32); break;
	case 2: as_read(b->vm->mmio, mmio_addr(b, op[1], off), size, &v); break;
	case 3: as_write(b->vm->mmio, mmio_addr(b, op[1], off), size, val | (u64)val << 32); break;
	case 4: {
		size_t n = op[1] < rest_len ? op[1] : rest_len;
		u64 at = off & (2 * MiB - 1); /* the queues and the buffers */

		ram_write(&b->vm->ram, at, &val, 4);
		ram_write(&b->vm->ram, at + 4, rest, n);
		return n;
	}
	case 5:
		b->now += off;
		timer_list_run(b->vm->timers, b->now);
		break;
	case 6:
		as_write(b->vm->pio, 0xcf8, 4, off);
		if (op[1] & 1)
			as_read(b->vm->pio, 0xcfc + (op[2] & 3), size, &v);
		else
			as_write(b->vm->pio, 0xcfc + (op[2] & 3), size, val);
		break;
	case 7: virtio_setup(b, op[1] % NVIRTIO, off | (u64)val << 32, op[2] % 8, op[2] & 8); break;
	case 8: {
		size_t n = op[1] < rest_len ? op[1] : rest_len;

		uart16550_receive(b->uart, rest, n);
		lapic_ack(b->lapic);
		return n;
	}
	case 9: {
		struct pci_dev *d = virtio_pci_dev(b->vpci[op[1] % NVIRTIO]);

		as_write(b->vm->mmio,
			 d->bar[0].addr + VIRTIO_PCI_NOTIFY_OFF +
			     (u64)op[2] * VIRTIO_PCI_NOTIFY_MULT,
			 2, op[2]);
		break;
	}
	case 10: as_read(b->vm->mmio, mmio_addr(b, op[1], off) - (op[2] & 7), 8, &v); break;
	default:
		/* the config-space API takes 1, 2 or 4 bytes; ECAM splits 8-byte accesses */
		size = 1u << (op[3] % 3);
		if (op[1] & 1)
			pci_host_cfg_read(b->pci, op[2], op[3], off & 0xfff, size);
		else
			pci_host_cfg_write(b->pci, op[2], op[3], off & 0xfff, size, val);
		break;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct board *b = fuzz_env();
	size_t i;

	cur = b;
	b->now = 1000000000ULL;
	memset(ram_ptr(&b->vm->ram, 0, RAM_SIZE), 0, 2 * MiB);
	if (as_create(&b->vm->pio, "pio") || as_create(&b->vm->mmio, "mmio"))
		abort();
	pthread_mutex_lock(&b->vm->lock);
	if (build_legacy(b) || build_pci(b))
		abort();
	for (i = 0; i + OP_LEN <= size; i += OP_LEN) {
		i += run_op(b, data + i, data + i + OP_LEN, size - i - OP_LEN);
		/* virtio-blk works in a thread of its own: let it finish, as a vCPU exit would */
		virtio_blk_drain(b->blk);
	}
	pthread_mutex_unlock(&b->vm->lock);
	destroy_board(b);
	return 0;
}
