// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hw/pci_host.c + hw/pci.c: configuration mechanism #1 and ECAM, the host
 * bridge Linux's sanity check looks for, BAR sizing and remapping, INTx
 * routing and sharing, and MSI-X masking with pending bits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "include/hover/addrspace.h"
#include "include/hover/pci.h"
#include "tests/unit/state_test_util.h"

#define ECAM 0xE0000000ULL

static struct addrspace *pio, *mmio;
static struct pci_host *host;
static int gsi_level[4];
static unsigned msis;
static u64 msi_addr;
static u32 msi_data;
static unsigned bar_reads;

static void intx_set(void *opaque, unsigned pin, int level)
{
	(void)opaque;
	gsi_level[pin - PCI_HOST_GSI_BASE] = level;
}

static void msi(void *opaque, u64 addr, u32 data)
{
	(void)opaque;
	msis++;
	msi_addr = addr;
	msi_data = data;
}

static u64 bar_read(void *opaque, u64 off, unsigned size)
{
	(void)opaque;
	(void)size;
	bar_reads++;
	return 0x1234 + off;
}

static void bar_write(void *opaque, u64 off, unsigned size, u64 val)
{
	(void)opaque, (void)off, (void)size, (void)val;
}

static const struct io_ops bar_ops = { .read = bar_read, .write = bar_write };

static u32 cf8(u8 slot, u32 reg, unsigned size)
{
	u64 v;

	as_write(pio, 0xCF8, 4, 0x80000000u | slot << 11 | (reg & 0xfc));
	as_read(pio, 0xCFC + (reg & 3), size, &v);
	return v;
}

static void cf8_write(u8 slot, u32 reg, unsigned size, u32 val)
{
	as_write(pio, 0xCF8, 4, 0x80000000u | slot << 11 | (reg & 0xfc));
	as_write(pio, 0xCFC + (reg & 3), size, val);
}

static u32 ecam(u8 slot, u32 reg, unsigned size)
{
	u64 v;

	as_read(mmio, ECAM + ((u64)slot << 15) + reg, size, &v);
	return v;
}

static int setup(void **state)
{
	struct pci_host_config cfg = { 0 };

	(void)state;
	if (as_create(&pio, "pio") || as_create(&mmio, "mmio"))
		return -1;
	cfg.pio = pio;
	cfg.mmio = mmio;
	cfg.ecam_base = ECAM;
	cfg.mmio_base = 0xC0000000ULL;
	cfg.mmio_size = 0x20000000ULL;
	cfg.io_base = 0x1000;
	cfg.io_size = 0x1000;
	for (unsigned i = 0; i < 4; i++)
		irq_line_init(&cfg.intx[i], intx_set, NULL, PCI_HOST_GSI_BASE + i);
	cfg.msi = msi;
	return pci_host_create(&host, &cfg);
}

static int teardown(void **state)
{
	(void)state;
	pci_host_destroy(host);
	as_destroy(mmio);
	as_destroy(pio);
	return 0;
}

static void test_bridge_and_absent(void **state)
{
	(void)state;
	/* Linux's pci_sanity_check: a host bridge (class 0x0600) at 00:00.0. */
	assert_int_equal(cf8(0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(ecam(0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(cf8(0, PCI_VENDOR_ID, 2), ecam(0, PCI_VENDOR_ID, 2));
	/* Empty slots read all ones. */
	assert_int_equal(cf8(7, 0, 4), 0xffffffffu);
	assert_int_equal(ecam(7, 0, 4), 0xffffffffu);
	/* Extended config space of a present function: no capabilities. */
	assert_int_equal(ecam(0, 0x100, 4), 0);
}

static struct pci_dev dev;

static void test_device_bars_intx_msix(void **state)
{
	u64 v;

	(void)state;
	pci_dev_init(&dev, "t", 0x1af4, 0x1042, 0x018000, 1, 0x1af4, 0x40);
	dev.cfg[PCI_INTERRUPT_PIN] = 1;
	assert_int_equal(pci_bar_init(&dev, 0, PCI_BAR_MEM32, 0x4000, &bar_ops, NULL), 0);
	assert_int_equal(pci_bar_init(&dev, 1, PCI_BAR_MEM32, 0x1000, &pci_msix_bar_ops, &dev), 0);
	assert_int_equal(pci_msix_init(&dev, 3, 1, 0, 0x800), 0);
	assert_int_equal(pci_host_add(host, &dev), 0);
	assert_int_equal(dev.devfn, 1 << 3);

	/* Assigned, decoding, and reachable. */
	assert_int_equal(cf8(1, PCI_BAR0, 4), 0xC0000000u);
	assert_int_equal(as_read(mmio, 0xC0000010, 4, &v), 0);
	assert_int_equal(v, 0x1234 + 0x10);
	/* Sizing: all ones reads back the size mask; then move the BAR. */
	cf8_write(1, PCI_COMMAND, 2, 0);
	assert_int_not_equal(as_read(mmio, 0xC0000010, 4, &v), 0);
	cf8_write(1, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cf8(1, PCI_BAR0, 4), 0xffffc000u);
	cf8_write(1, PCI_BAR0, 4, 0xD0000000u);
	cf8_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(as_read(mmio, 0xD0000000, 4, &v), 0);
	assert_int_not_equal(as_read(mmio, 0xC0000000, 4, &v), 0);

	/* INTx: slot 1 INTA -> GSI 17; shared lines are wired-OR; Interrupt Disable masks. */
	assert_int_equal(pci_host_slot_gsi(1, 0), 17);
	assert_int_equal(cf8(1, PCI_INTERRUPT_LINE, 1), 17);
	pci_set_irq(&dev, 1);
	assert_int_equal(gsi_level[1], 1);
	assert_true(cf8(1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cf8_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(gsi_level[1], 0);
	cf8_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(gsi_level[1], 1);
	pci_set_irq(&dev, 0);
	assert_int_equal(gsi_level[1], 0);

	/* MSI-X: off by default; masked vectors collect pending bits. */
	assert_false(pci_msix_enabled(&dev));
	cf8_write(1, dev.msix.cap + 2, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_true(pci_msix_enabled(&dev));
	as_read(mmio, 0xC0004000 + 16 * 2 + 12, 4, &v);
	assert_int_equal(v, 1); /* vector 2 masked at reset */
	as_write(mmio, 0xC0004000 + 16 * 2, 4, 0xFEE01000);
	as_write(mmio, 0xC0004000 + 16 * 2 + 4, 4, 0);
	as_write(mmio, 0xC0004000 + 16 * 2 + 8, 4, 0x4041);
	pci_msix_notify(&dev, 2);
	assert_int_equal(msis, 0);
	as_read(mmio, 0xC0004800, 8, &v);
	assert_int_equal(v, 1 << 2);
	as_write(mmio, 0xC0004000 + 16 * 2 + 12, 4, 0); /* unmask: the pending one goes */
	assert_int_equal(msis, 1);
	assert_int_equal(msi_addr, 0xFEE01000);
	assert_int_equal(msi_data, 0x4041);
	as_read(mmio, 0xC0004800, 8, &v);
	assert_int_equal(v, 0);
	pci_msix_notify(&dev, 2);
	assert_int_equal(msis, 2);
	pci_msix_notify(&dev, 9); /* no such vector */
	assert_int_equal(msis, 2);
	/* Function mask holds everything back. */
	cf8_write(1, dev.msix.cap + 2, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_notify(&dev, 2);
	assert_int_equal(msis, 2);
	cf8_write(1, dev.msix.cap + 2, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(msis, 3);
	/* Without bus mastering a device cannot write the MSI. */
	cf8_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pci_msix_notify(&dev, 2);
	assert_int_equal(msis, 3);
	/* A read-only field stays put. */
	cf8_write(1, PCI_VENDOR_ID, 2, 0xdead);
	assert_int_equal(cf8(1, PCI_VENDOR_ID, 2), 0x1af4);
}

/* A bus of its own: host bridge on fresh address spaces, one function in slot 1. */
struct bus {
	struct addrspace *pio, *mmio;
	struct pci_host *host;
	struct pci_dev dev;
};

static void bus_create(struct bus *b, u16 device_id)
{
	struct pci_host_config cfg = { .ecam_base = ECAM, .mmio_base = 0xC0000000ULL,
				       .mmio_size = 0x20000000ULL, .io_base = 0x1000,
				       .io_size = 0x1000, .msi = msi };

	assert_int_equal(as_create(&b->pio, "pio"), 0);
	assert_int_equal(as_create(&b->mmio, "mmio"), 0);
	cfg.pio = b->pio;
	cfg.mmio = b->mmio;
	for (unsigned i = 0; i < 4; i++)
		irq_line_init(&cfg.intx[i], intx_set, NULL, PCI_HOST_GSI_BASE + i);
	assert_int_equal(pci_host_create(&b->host, &cfg), 0);
	pci_dev_init(&b->dev, "t", 0x1af4, device_id, 0x018000, 1, 0x1af4, 0x40);
	b->dev.cfg[PCI_INTERRUPT_PIN] = 1;
	assert_int_equal(pci_bar_init(&b->dev, 0, PCI_BAR_MEM32, 0x4000, &bar_ops, NULL), 0);
	assert_int_equal(pci_bar_init(&b->dev, 1, PCI_BAR_MEM32, 0x1000, &pci_msix_bar_ops,
				      &b->dev), 0);
	assert_int_equal(pci_msix_init(&b->dev, 3, 1, 0, 0x800), 0);
	assert_int_equal(pci_host_add(b->host, &b->dev), 0);
}

static void bus_destroy(struct bus *b)
{
	pci_host_destroy(b->host);
	as_destroy(b->mmio);
	as_destroy(b->pio);
}

static int fn_save(void *dev, struct state_writer *w)
{
	pci_dev_save(dev, w);
	return 0;
}

static int fn_load(void *dev, struct state_reader *r)
{
	pci_dev_load(dev, r);
	return state_reader_error(r);
}

static const struct dev_state_ops fn_ops = {
	.section = "test-fn", .version = 1, .save = fn_save, .load = fn_load,
};

static struct saved_state bus_save(struct bus *b)
{
	const struct devstate_entry e[] = { { &pci_host_state_ops, b->host, 0 },
					    { &fn_ops, &b->dev, 0 } };
	struct stream_writer *sw;
	struct saved_state s;
	const u8 *data;
	char err[256];

	assert_int_equal(stream_writer_create(&sw), 0);
	assert_int_equal(devstate_save(sw, e, 2, err, sizeof(err)), 0);
	assert_int_equal(stream_writer_finish(sw, &data, &s.len), 0);
	s.data = malloc(s.len);
	memcpy(s.data, data, s.len);
	stream_writer_destroy(sw);
	return s;
}

static int bus_load(struct bus *b, const struct saved_state *s, char *err, size_t errlen)
{
	const struct devstate_entry e[] = { { &pci_host_state_ops, b->host, 0 },
					    { &fn_ops, &b->dev, 0 } };

	return devstate_load(s->data, s->len, e, 2, err, errlen);
}

/*
 * BAR0 moved by the guest, MSI-X on with vector 1 programmed and vector 2
 * masked with its pending bit set, INTA asserted, 0xCF8 latched: a fresh
 * bus loaded from it saves the same bytes, decodes BAR0 at its new address
 * only, sends vector 1 to the programmed address, delivers vector 2 when
 * unmasked, and lowers the shared INTx line when the function deasserts.
 * A function with another device ID refuses the state.
 */
static void test_save_load(void **state)
{
	struct bus a, b, c;
	struct saved_state s, again;
	char err[256];
	u64 v;

	(void)state;
	bus_create(&a, 0x1042);
	as_write(a.pio, 0xCF8, 4, 0x80000000u | 1 << 11 | PCI_COMMAND);
	as_write(a.pio, 0xCFC, 2, 0);
	as_write(a.pio, 0xCF8, 4, 0x80000000u | 1 << 11 | PCI_BAR0);
	as_write(a.pio, 0xCFC, 4, 0xD0000000u);
	as_write(a.pio, 0xCF8, 4, 0x80000000u | 1 << 11 | PCI_COMMAND);
	as_write(a.pio, 0xCFC, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	as_write(a.pio, 0xCF8, 4, 0x80000000u | 1 << 11 | (a.dev.msix.cap & 0xfc));
	as_write(a.pio, 0xCFC + 2, 2, PCI_MSIX_FLAGS_ENABLE);
	as_write(a.mmio, 0xC0004000 + 16 * 1, 4, 0xFEE02000);
	as_write(a.mmio, 0xC0004000 + 16 * 1 + 8, 4, 0x51);
	as_write(a.mmio, 0xC0004000 + 16 * 1 + 12, 4, 0);
	as_write(a.mmio, 0xC0004000 + 16 * 2, 4, 0xFEE03000);
	as_write(a.mmio, 0xC0004000 + 16 * 2 + 8, 4, 0x52);
	pci_msix_notify(&a.dev, 2); /* masked: pending */
	pci_set_irq(&a.dev, 1);
	assert_int_equal(gsi_level[1], 1);
	as_write(a.pio, 0xCF8, 4, 0x80000808u);
	s = bus_save(&a);

	bus_create(&b, 0x1042);
	gsi_level[1] = 1; /* what the interrupt controller remembers */
	assert_int_equal(bus_load(&b, &s, err, sizeof(err)), 0);
	again = bus_save(&b);
	assert_int_equal(again.len, s.len);
	assert_memory_equal(again.data, s.data, s.len);
	free(again.data);
	as_read(b.pio, 0xCF8, 4, &v);
	assert_int_equal(v, 0x80000808u);
	assert_int_equal(as_read(b.mmio, 0xD0000010, 4, &v), 0);
	assert_int_equal(v, 0x1234 + 0x10);
	assert_int_not_equal(as_read(b.mmio, 0xC0000010, 4, &v), 0);
	assert_true(pci_host_cfg_read(b.host, 0, 1 << 3, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	msis = 0;
	pci_msix_notify(&b.dev, 1);
	assert_int_equal(msis, 1);
	assert_int_equal(msi_addr, 0xFEE02000);
	assert_int_equal(msi_data, 0x51);
	as_write(b.mmio, 0xC0004000 + 16 * 2 + 12, 4, 0);
	assert_int_equal(msis, 2);
	assert_int_equal(msi_data, 0x52);
	pci_set_irq(&b.dev, 0);
	assert_int_equal(gsi_level[1], 0);

	bus_create(&c, 0x1041);
	assert_int_equal(bus_load(&c, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "PCI function 01.0 1af4:1042 with 3 MSI-X vectors saved, "
				    "this one is 01.0 1af4:1041"));
	bus_destroy(&c);
	bus_destroy(&b);
	bus_destroy(&a);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bridge_and_absent),
		cmocka_unit_test(test_device_bars_intx_msix),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
