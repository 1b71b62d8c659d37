// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-rng: requests are filled with entropy (capped per request), and a
 * hostile driver — chains with nothing writable, chains that loop or point
 * outside RAM — gets refused or NEEDS_RESET while the device stays usable
 * after a reset.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/unit/virtio_test_util.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "tests/unit/state_test_util.h"

static struct vt t;
static struct virtio_rng *rng;

static int setup(void **state)
{
	if (vt_create_vm(&t) || virtio_rng_create(&rng, t.vm))
		return -1;
	vt_start(&t, virtio_rng_dev(rng), 0, 1);
	return 0;
}

static int teardown(void **state)
{
	virtio_rng_destroy(rng);
	vt_destroy_vm(&t);
	return 0;
}

static bool all_zero(const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_fill(void **state)
{
	u32 id = 0, len = 0;

	memset(vt_g(&t, VT_BUF), 0, 64);
	vt_desc(&t, 0, 0, VT_BUF, 64, VT_WRITE, 0);
	vt_publish(&t, 0, 0);
	vt_kick(&t, 0);
	assert_true(vt_used(&t, 0, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 64);
	assert_false(all_zero(vt_g(&t, VT_BUF), 64));
	assert_true(t.queue_irqs[0] >= 1);
}

static void test_huge_request_is_capped(void **state)
{
	u32 id = 0, len = 0;

	/* 8 MiB asked for: the device answers with what it chose to give. */
	vt_desc(&t, 0, 1, VT_BUF, 8 * MiB, VT_WRITE, 0);
	vt_publish(&t, 0, 1);
	vt_kick(&t, 0);
	assert_true(vt_used(&t, 0, &id, &len));
	assert_int_equal(id, 1);
	assert_true(len > 0 && len <= 4096);
}

static void test_readonly_chain_refused(void **state)
{
	u32 id = 0, len = 0;

	vt_desc(&t, 0, 2, VT_BUF, 64, 0, 0); /* device-readable only */
	vt_publish(&t, 0, 2);
	vt_kick(&t, 0);
	assert_true(vt_used(&t, 0, &id, &len));
	assert_int_equal(id, 2);
	assert_int_equal(len, 0);
	assert_false(t.dev->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void expect_needs_reset_then_recover(void)
{
	u32 id = 0, len = 0;

	assert_true(t.dev->status & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(t.config_irqs >= 1);
	/* The driver resets and starts again: the device works. */
	virtio_set_status(t.dev, 0);
	t.config_irqs = 0;
	vt_start(&t, t.dev, 0, 1);
	vt_desc(&t, 0, 0, VT_BUF, 16, VT_WRITE, 0);
	vt_publish(&t, 0, 0);
	vt_kick(&t, 0);
	assert_true(vt_used(&t, 0, &id, &len));
	assert_int_equal(len, 16);
}

static void test_loop_chain(void **state)
{
	vt_desc(&t, 0, 3, VT_BUF, 16, VT_WRITE | VT_NEXT, 4);
	vt_desc(&t, 0, 4, VT_BUF, 16, VT_WRITE | VT_NEXT, 3);
	vt_publish(&t, 0, 3);
	vt_kick(&t, 0);
	expect_needs_reset_then_recover();
}

static void test_outside_ram(void **state)
{
	vt_desc(&t, 0, 5, VT_RAM - 8, 64, VT_WRITE, 0); /* runs off the end of RAM */
	vt_publish(&t, 0, 5);
	vt_kick(&t, 0);
	expect_needs_reset_then_recover();
	vt_desc(&t, 0, 6, 0xFEE00000ULL, 16, VT_WRITE, 0); /* the local APIC: MMIO, not RAM */
	vt_publish(&t, 0, 6);
	vt_kick(&t, 0);
	expect_needs_reset_then_recover();
}

static void test_bad_head_index(void **state)
{
	vt_publish(&t, 0, VT_QSZ + 3); /* a head beyond the queue size */
	vt_kick(&t, 0);
	expect_needs_reset_then_recover();
}

/*
 * Three buffers consumed and two more made available but not yet popped:
 * a fresh device loaded from the saved state (on the same guest RAM, as a
 * restore would have it) saves the same bytes and, kicked, fills buffers 3
 * and 4 — the next ones — at used positions 3 and 4, with an interrupt.
 * Rings outside RAM in the stream are refused.
 */
static void test_save_load(void **state)
{
	struct virtio_rng *fresh;
	struct saved_state s;
	u32 id = 0, len = 0;
	u8 *payload;
	size_t plen;
	char err[256];

	/* After the hostile cases: a driver that starts over. */
	virtio_reset(virtio_rng_dev(rng));
	vt_start(&t, virtio_rng_dev(rng), 0, 1);
	for (u16 i = 0; i < 5; i++)
		vt_desc(&t, 0, i, VT_BUF + 64 * i, 64, VT_WRITE, 0);
	for (u16 i = 0; i < 3; i++)
		vt_publish(&t, 0, i);
	vt_kick(&t, 0);
	for (u16 i = 0; i < 3; i++)
		assert_true(vt_used(&t, 0, &id, &len));
	vt_publish(&t, 0, 3);
	vt_publish(&t, 0, 4);
	pthread_mutex_lock(&t.vm->lock);
	s = state_save_one(&virtio_rng_state_ops, rng);
	pthread_mutex_unlock(&t.vm->lock);

	assert_int_equal(virtio_rng_create(&fresh, t.vm), 0);
	virtio_rng_dev(fresh)->transport = virtio_rng_dev(rng)->transport;
	state_load_and_compare(&virtio_rng_state_ops, fresh, &s);
	assert_int_equal(virtio_rng_dev(fresh)->status & VIRTIO_STATUS_DRIVER_OK,
			 VIRTIO_STATUS_DRIVER_OK);
	t.dev = virtio_rng_dev(fresh);
	t.queue_irqs[0] = 0;
	memset(vt_g(&t, VT_BUF + 64 * 3), 0, 128);
	vt_kick(&t, 0);
	assert_true(vt_used(&t, 0, &id, &len));
	assert_int_equal(id, 3);
	assert_true(vt_used(&t, 0, &id, &len));
	assert_int_equal(id, 4);
	assert_false(vt_used(&t, 0, &id, &len));
	assert_false(all_zero(vt_g(&t, VT_BUF + 64 * 4), 64));
	assert_int_equal(t.queue_irqs[0], 1);
	virtio_rng_destroy(fresh);
	t.dev = virtio_rng_dev(rng);

	/* desc_gpa past the end of RAM */
	payload = state_payload(&s, "virtio-rng", &plen);
	payload[1 + 8 + 8 + 1 + 1 + 2 + 1 + 1 + 3] = 0x40; /* bits 24-31 of desc_gpa */
	state_reseal(&s, "virtio-rng");
	assert_int_equal(virtio_rng_create(&fresh, t.vm), 0);
	assert_int_equal(state_load_one(&virtio_rng_state_ops, fresh, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "queue 0 rings (descriptors 0x40010000"));
	assert_non_null(strstr(err, "not in guest RAM"));
	virtio_rng_destroy(fresh);
	free(s.data);
}

static void msi_sink(void *opaque, u64 addr, u32 data)
{
	(*(unsigned *)opaque)++;
}

static void intx_sink(void *opaque, unsigned pin, int level)
{
	*(int *)opaque = level;
}

/* The rng behind virtio-pci on a host bridge of its own: BAR0 at 0xC0000000. */
struct pci_rig {
	struct addrspace *pio, *mmio;
	struct pci_host *host;
	struct virtio_rng *rng;
	struct virtio_pci *vp;
	unsigned msis;
	int intx;
};

static void rig_create(struct pci_rig *r)
{
	struct pci_host_config cfg = { .mmio_base = 0xC0000000ULL, .mmio_size = 0x20000000ULL,
				       .io_base = 0x1000, .io_size = 0x1000, .msi = msi_sink,
				       .opaque = &r->msis };

	memset(r, 0, sizeof(*r));
	assert_int_equal(as_create(&r->pio, "pio"), 0);
	assert_int_equal(as_create(&r->mmio, "mmio"), 0);
	cfg.pio = r->pio;
	cfg.mmio = r->mmio;
	for (unsigned i = 0; i < 4; i++)
		irq_line_init(&cfg.intx[i], intx_sink, &r->intx, PCI_HOST_GSI_BASE + i);
	assert_int_equal(pci_host_create(&r->host, &cfg), 0);
	assert_int_equal(virtio_rng_create(&r->rng, t.vm), 0);
	assert_int_equal(virtio_pci_create(&r->vp, r->host, virtio_rng_dev(r->rng)), 0);
}

static void rig_destroy(struct pci_rig *r)
{
	pci_host_destroy(r->host);
	virtio_pci_destroy(r->vp);
	virtio_rng_destroy(r->rng);
	as_destroy(r->mmio);
	as_destroy(r->pio);
}

static u64 rd(struct pci_rig *r, u64 off, unsigned size)
{
	u64 v = 0;

	assert_int_equal(as_read(r->mmio, 0xC0000000ULL + off, size, &v), 0);
	return v;
}

static void wr(struct pci_rig *r, u64 off, unsigned size, u64 v)
{
	assert_int_equal(as_write(r->mmio, 0xC0000000ULL + off, size, v), 0);
}

static struct saved_state rig_save(struct pci_rig *r)
{
	const struct devstate_entry e[] = { { &pci_host_state_ops, r->host, 0 },
					    { &virtio_pci_state_ops, r->vp, 0 },
					    { &virtio_rng_state_ops, r->rng, 0 } };
	struct stream_writer *sw;
	struct saved_state s;
	const u8 *data;
	char err[256];

	assert_int_equal(stream_writer_create(&sw), 0);
	assert_int_equal(devstate_save(sw, e, 3, err, sizeof(err)), 0);
	assert_int_equal(stream_writer_finish(sw, &data, &s.len), 0);
	s.data = malloc(s.len);
	memcpy(s.data, data, s.len);
	stream_writer_destroy(sw);
	return s;
}

/*
 * The transport's state: a driver that negotiated VERSION_1, gave queue 0
 * MSI-X vector 1 and config changes vector 0 (MSI-X still off), selected
 * device feature word 1, and has a config interrupt pending in the ISR. A
 * fresh transport loaded from it saves the same bytes, reads the same
 * registers back, and reading its ISR acknowledges the config interrupt and
 * lowers INTx.
 */
static void test_pci_transport_save_load(void **state)
{
	struct pci_rig a, b;
	struct saved_state s, again;
	const struct devstate_entry eb[3] = { { &pci_host_state_ops, NULL, 0 },
					      { &virtio_pci_state_ops, NULL, 0 },
					      { &virtio_rng_state_ops, NULL, 0 } };
	struct devstate_entry e[3];
	char err[256];

	rig_create(&a);
	wr(&a, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(&a, 0x08, 4, 1);
	wr(&a, 0x0C, 4, 1); /* VERSION_1 */
	wr(&a, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	wr(&a, 0x10, 2, 0);
	wr(&a, 0x16, 2, 0);
	wr(&a, 0x1A, 2, 1);
	wr(&a, 0x00, 4, 1);
	virtio_config_changed(virtio_rng_dev(a.rng));
	assert_int_equal(a.intx, 1);
	s = rig_save(&a);

	rig_create(&b);
	b.intx = 1;
	memcpy(e, eb, sizeof(e));
	e[0].dev = b.host;
	e[1].dev = b.vp;
	e[2].dev = b.rng;
	if (devstate_load(s.data, s.len, e, 3, err, sizeof(err)))
		fail_msg("%s", err);
	again = rig_save(&b);
	assert_int_equal(again.len, s.len);
	assert_memory_equal(again.data, s.data, s.len);
	free(again.data);
	assert_int_equal(rd(&b, 0x14, 1), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(rd(&b, 0x00, 4), 1);
	assert_int_equal(rd(&b, 0x04, 4), 1); /* device features word 1: VERSION_1 */
	assert_int_equal(rd(&b, 0x10, 2), 0);
	assert_int_equal(rd(&b, 0x1A, 2), 1);
	assert_int_equal(rd(&b, 0x15, 1), 1); /* config generation */
	assert_int_equal(rd(&b, VIRTIO_PCI_ISR_OFF, 1), 2);
	assert_int_equal(b.intx, 0);
	assert_int_equal(rd(&b, VIRTIO_PCI_ISR_OFF, 1), 0);
	rig_destroy(&b);
	rig_destroy(&a);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_huge_request_is_capped),
		cmocka_unit_test(test_readonly_chain_refused),
		cmocka_unit_test(test_loop_chain),
		cmocka_unit_test(test_outside_ram),
		cmocka_unit_test(test_bad_head_index),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_pci_transport_save_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
