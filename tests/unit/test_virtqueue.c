// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio/core.c split virtqueues: well-formed chains (direct and indirect),
 * interrupt suppression (flags and EVENT_IDX), and every way a hostile
 * driver can malform a chain — each must be refused, break the queue and
 * set NEEDS_RESET, without touching memory outside guest RAM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "include/hover/log.h"
#include "include/hover/virtio.h"
#include "include/hover/vm.h"

#define RAM (16 * MiB)
#define QSZ 16
#define DESC 0x1000ULL
#define AVAIL 0x2000ULL
#define USED 0x3000ULL
#define BUF 0x10000ULL
#define IND 0x8000ULL

static struct vm *vm;
static struct virtio_dev dev;
static struct virtq *vq;
static struct virtq_elem *elem;
static unsigned queue_irqs, config_irqs;

static void t_notify_queue(struct virtio_dev *d, unsigned q) { (void)d; (void)q; queue_irqs++; }
static void t_notify_config(struct virtio_dev *d) { (void)d; config_irqs++; }
static const struct virtio_transport_ops tops = { t_notify_queue, t_notify_config };
static const struct virtio_dev_ops dops = { 0 };

static u8 *g(u64 gpa) { return ram_ptr(&vm->ram, gpa, 1); }

static void desc(u64 table, unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	u8 *d = g(table + 16 * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static u16 avail_idx;

static void publish(u16 head)
{
	u16 *ring = (u16 *)g(AVAIL + 4);

	ring[avail_idx % QSZ] = head;
	avail_idx++;
	memcpy(g(AVAIL + 2), &avail_idx, 2);
}

static void start(u64 features)
{
	memset(g(0), 0, 0x20000);
	avail_idx = 0;
	queue_irqs = config_irqs = 0;
	assert_int_equal(virtio_dev_init(&dev, vm, &dops, VIRTIO_ID_RNG, "test", 1), 0);
	dev.transport = &tops;
	dev.driver_features = features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	dev.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		     VIRTIO_STATUS_DRIVER_OK;
	vq = &dev.vq[0];
	vq->s.size = QSZ;
	vq->s.desc_gpa = DESC;
	vq->s.avail_gpa = AVAIL;
	vq->s.used_gpa = USED;
	assert_int_equal(virtq_enable(vq), 0);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR); /* the hostile cases log warnings by design */
	vm = calloc(1, sizeof(*vm));
	elem = malloc(sizeof(*elem));
	return vm && elem && !ram_create(&vm->ram, RAM) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ram_destroy(&vm->ram);
	free(vm);
	free(elem);
	return 0;
}

static void expect_broken(void)
{
	assert_int_equal(virtq_pop(vq, elem), -EINVAL);
	assert_true(vq->s.broken);
	assert_true(dev.status & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(config_irqs, 1);
	/* A broken queue yields nothing more, even with good buffers. */
	desc(DESC, 5, BUF, 8, 0, 0);
	publish(5);
	assert_int_equal(virtq_pop(vq, elem), 0);
	/* Only a reset brings it back. */
	virtio_set_status(&dev, 0);
	assert_false(vq->s.broken);
	assert_int_equal(dev.status, 0);
}

static void test_good_chain(void **state)
{
	u16 used_idx;
	u32 id, len;

	(void)state;
	start(0);
	assert_int_equal(virtq_pop(vq, elem), 0); /* empty */
	desc(DESC, 0, BUF, 16, 1 /* NEXT */, 1);
	desc(DESC, 1, BUF + 100, 512, 2 /* WRITE */ | 1, 2);
	desc(DESC, 2, BUF + 1000, 1, 2, 0);
	publish(0);
	assert_true(virtq_has_avail(vq));
	assert_int_equal(virtq_pop(vq, elem), 1);
	assert_int_equal(elem->head, 0);
	assert_int_equal(elem->out_num, 1);
	assert_int_equal(elem->in_num, 2);
	assert_int_equal(elem->out_len, 16);
	assert_int_equal(elem->in_len, 513);
	assert_ptr_equal(elem->iov[1].iov_base, g(BUF + 100));
	assert_int_equal(virtq_iov_from_buf(elem, 510, "abcd", 4), 3);
	assert_memory_equal(g(BUF + 100 + 510), "ab", 2);
	assert_memory_equal(g(BUF + 1000), "c", 1);
	virtq_push(vq, elem, 513);
	memcpy(&used_idx, g(USED + 2), 2);
	memcpy(&id, g(USED + 4), 4);
	memcpy(&len, g(USED + 8), 4);
	assert_int_equal(used_idx, 1);
	assert_int_equal(id, 0);
	assert_int_equal(len, 513);
	virtq_notify(vq);
	assert_int_equal(queue_irqs, 1);
	/* VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the next one. */
	*(u16 *)g(AVAIL) = 1;
	virtq_push_head(vq, 0, 0);
	virtq_notify(vq);
	assert_int_equal(queue_irqs, 1);
}

static void test_indirect(void **state)
{
	(void)state;
	start(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	desc(IND, 0, BUF, 16, 1, 1);
	desc(IND, 1, BUF + 64, 100, 2, 0);
	desc(DESC, 3, IND, 32, 4 /* INDIRECT */, 0);
	publish(3);
	assert_int_equal(virtq_pop(vq, elem), 1);
	assert_int_equal(elem->head, 3);
	assert_int_equal(elem->out_num + elem->in_num, 2);
	assert_int_equal(elem->in_len, 100);
}

static void test_event_idx(void **state)
{
	u16 avail_event, used_event;

	(void)state;
	start(VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	for (int i = 0; i < 3; i++) {
		desc(DESC, i, BUF, 8, 0, 0);
		publish(i);
	}
	assert_int_equal(virtq_pop(vq, elem), 1);
	memcpy(&avail_event, g(USED + 4 + 8 * QSZ), 2);
	assert_int_equal(avail_event, 1); /* kick me for anything past what I took */
	/* The driver wants an interrupt only once used idx passes 2 (used_event = 2). */
	used_event = 2;
	memcpy(g(AVAIL + 4 + 2 * QSZ), &used_event, 2);
	virtq_push(vq, elem, 0);
	virtq_notify(vq); /* the first is always sent */
	assert_int_equal(queue_irqs, 1);
	assert_int_equal(virtq_pop(vq, elem), 1);
	virtq_push(vq, elem, 0); /* used idx 2: event 2 not crossed yet */
	virtq_notify(vq);
	assert_int_equal(queue_irqs, 1);
	assert_int_equal(virtq_pop(vq, elem), 1);
	virtq_push(vq, elem, 0); /* used idx 3: crosses 2 */
	virtq_notify(vq);
	assert_int_equal(queue_irqs, 2);
}

static void test_loop(void **state)
{
	(void)state;
	start(0);
	desc(DESC, 0, BUF, 8, 1, 1);
	desc(DESC, 1, BUF, 8, 1, 0);
	publish(0);
	expect_broken();
}

static void test_outside_ram(void **state)
{
	(void)state;
	start(0);
	desc(DESC, 0, 0xF0000000ULL, 8, 0, 0); /* the PCI hole / MMIO */
	publish(0);
	expect_broken();
	start(0);
	desc(DESC, 0, RAM - 8, 16, 0, 0); /* straddles the end of RAM */
	publish(0);
	expect_broken();
	start(0);
	desc(DESC, 0, BUF, 0xFFFFFFFFu, 0, 0); /* absurd length */
	publish(0);
	expect_broken();
	start(0);
	desc(DESC, 0, 0xFFFFFFFFFFFFF000ULL, 0x2000, 0, 0); /* wraps around */
	publish(0);
	expect_broken();
}

static void test_exceeds_queue(void **state)
{
	u16 idx = QSZ + 1;

	(void)state;
	start(0);
	memcpy(g(AVAIL + 2), &idx, 2); /* more available than the ring holds */
	expect_broken();
	start(0);
	desc(DESC, 0, BUF, 8, 0, 0);
	publish(QSZ); /* head index out of range */
	expect_broken();
	start(0);
	desc(DESC, 0, BUF, 8, 1, 200); /* next out of range */
	publish(0);
	expect_broken();
	start(0);
	/* A chain longer than the queue, without a loop through the head. */
	for (int i = 0; i < QSZ; i++)
		desc(DESC, i, BUF, 8, 1, (i + 1) % QSZ == 0 ? 1 : (i + 1) % QSZ);
	publish(0);
	expect_broken();
}

static void test_bad_indirect(void **state)
{
	(void)state;
	start(0); /* not negotiated */
	desc(IND, 0, BUF, 8, 0, 0);
	desc(DESC, 0, IND, 16, 4, 0);
	publish(0);
	expect_broken();
	start(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	desc(DESC, 0, IND, 24, 4, 0); /* not a multiple of 16 */
	publish(0);
	expect_broken();
	start(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	desc(IND, 0, IND, 16, 4, 0); /* nested */
	desc(DESC, 0, IND, 16, 4, 0);
	publish(0);
	expect_broken();
	start(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	desc(IND, 0, BUF, 8, 1, 1); /* loops inside the table */
	desc(IND, 1, BUF, 8, 1, 0);
	desc(DESC, 0, IND, 32, 4, 0);
	publish(0);
	expect_broken();
	start(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	desc(DESC, 0, 0xF0000000ULL, 32, 4, 0); /* table outside RAM */
	publish(0);
	expect_broken();
	start(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	desc(DESC, 0, IND, 0x100000, 4, 0); /* 65536 entries: more than we take */
	publish(0);
	expect_broken();
}

static void test_order_and_rings(void **state)
{
	(void)state;
	start(0);
	desc(DESC, 0, BUF, 8, 2 | 1, 1); /* writable, then readable */
	desc(DESC, 1, BUF, 8, 0, 0);
	publish(0);
	expect_broken();
	/* Rings outside RAM are refused at enable time. */
	start(0);
	vq->s.enabled = false;
	vq->s.used_gpa = RAM - 8;
	assert_int_equal(virtq_enable(vq), -EFAULT);
	assert_false(vq->s.enabled);
	assert_int_equal(virtq_pop(vq, elem), 0);
	vq->s.used_gpa = USED + 1; /* misaligned */
	assert_int_equal(virtq_enable(vq), -EINVAL);
	vq->s.used_gpa = USED;
	vq->s.size = QSZ * 2; /* above the offered maximum... */
	vq->max_size = QSZ;
	assert_int_equal(virtq_enable(vq), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_chain),
		cmocka_unit_test(test_indirect),
		cmocka_unit_test(test_event_idx),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_outside_ram),
		cmocka_unit_test(test_exceeds_queue),
		cmocka_unit_test(test_bad_indirect),
		cmocka_unit_test(test_order_and_rings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
