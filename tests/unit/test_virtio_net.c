// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net against a recording backend: frames go out with their checksum
 * finished when the driver asked (NEEDS_CSUM), frames come in behind a
 * 12-byte header, frames wait while no receive buffer is posted; and a
 * hostile driver's transmit/receive chains (short headers, writable transmit
 * parts, oversized frames, GSO not offered, checksum offsets outside the
 * frame, loops) are refused without stopping the device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "host/net.h"
#include "tests/unit/virtio_test_util.h"
#include "virtio/net.h"
#include "tests/unit/state_test_util.h"

#define RXQ 0
#define TXQ 1
#define HDR 12
#define F_CSUM 0
#define F_GUEST_CSUM 1
#define F_MAC 5
#define F_STATUS 16

static struct vt t;
static struct virtio_net *nic;

/* ---- a backend that records what the guest sends ---- */

static u8 sent[8][2048];
static size_t sent_len[8];
static unsigned nsent;

static int fake_send(struct net_backend *be, const struct iovec *iov, unsigned iovcnt)
{
	size_t off = 0;

	for (unsigned i = 0; i < iovcnt; i++) {
		if (nsent < 8 && off + iov[i].iov_len <= sizeof(sent[0]))
			memcpy(sent[nsent] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	sent_len[nsent < 8 ? nsent : 7] = off;
	nsent++;
	return 0;
}

static void fake_destroy(struct net_backend *be) { }

static const struct net_backend_ops fake_ops = { .send = fake_send, .destroy = fake_destroy };
static struct net_backend fake = { .ops = &fake_ops, .kind = "fake", .csum_valid = true };

static int setup(void **state)
{
	static const u8 mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

	if (vt_create_vm(&t) || virtio_net_create(&nic, t.vm, &fake, mac, 0))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	virtio_net_destroy(nic);
	vt_destroy_vm(&t);
	return 0;
}

static int start(void **state)
{
	nsent = 0;
	vt_start(&t, virtio_net_dev(nic),
		 VIRTIO_BIT(F_CSUM) | VIRTIO_BIT(F_GUEST_CSUM) | VIRTIO_BIT(F_MAC) |
			 VIRTIO_BIT(F_STATUS),
		 2);
	return 0;
}

static int stop(void **state)
{
	virtio_set_status(t.dev, 0);
	return 0;
}

/* ---- helpers ---- */

static void make_frame(u8 *f, size_t len)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (u8)(i * 7 + 1);
}

/* A transmit chain: header (flags, gso, csum_start, csum_offset) then frame, in two descriptors. */
static void tx_chain(u16 head, const u8 *frame, size_t len, u8 flags, u8 gso, u16 cstart,
		     u16 coff)
{
	u64 hdr_gpa = VT_BUF + head * 0x2000ULL, data_gpa = hdr_gpa + 64;
	u8 *h = vt_g(&t, hdr_gpa);

	memset(h, 0, HDR);
	h[0] = flags;
	h[1] = gso;
	memcpy(h + 6, &cstart, 2);
	memcpy(h + 8, &coff, 2);
	memcpy(vt_g(&t, data_gpa), frame, len);
	vt_desc(&t, TXQ, head, hdr_gpa, HDR, VT_NEXT, (u16)(head + 1));
	vt_desc(&t, TXQ, (u16)(head + 1), data_gpa, (u32)len, 0, 0);
	vt_publish(&t, TXQ, head);
}

static void expect_used(unsigned q, u32 want_id, u32 want_len)
{
	u32 id = 0, len = 0;

	assert_true(vt_used(&t, q, &id, &len));
	assert_int_equal(id, want_id);
	assert_int_equal(len, want_len);
}

/* Post one writable receive buffer of `len` bytes as chain `head`. */
static u64 rx_post(u16 head, u32 len)
{
	u64 gpa = VT_BUF + 0x100000ULL + head * 0x1000ULL;

	vt_desc(&t, RXQ, head, gpa, len, VT_WRITE, 0);
	vt_publish(&t, RXQ, head);
	return gpa;
}

static int deliver(const u8 *frame, size_t len)
{
	int r;

	pthread_mutex_lock(&t.vm->lock);
	r = net_backend_deliver(&fake, frame, len);
	net_backend_rx_flush(&fake);
	pthread_mutex_unlock(&t.vm->lock);
	return r;
}

/* ---- tests ---- */

static void test_config(void **state)
{
	u8 cfg[12];

	virtio_config_read(t.dev, 0, cfg, 4);
	virtio_config_read(t.dev, 4, cfg + 4, 4);
	virtio_config_read(t.dev, 8, cfg + 8, 4);
	assert_memory_equal(cfg, "\x52\x54\x00\x12\x34\x56", 6);
	assert_int_equal(cfg[6], 1); /* VIRTIO_NET_S_LINK_UP */
	assert_int_equal(cfg[10] | cfg[11] << 8, 1500);
}

static void test_tx(void **state)
{
	u8 f[100];

	make_frame(f, sizeof(f));
	tx_chain(0, f, sizeof(f), 0, 0, 0, 0);
	vt_kick(&t, TXQ);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent_len[0], sizeof(f));
	assert_memory_equal(sent[0], f, sizeof(f));
	expect_used(TXQ, 0, 0);
	assert_true(t.queue_irqs[TXQ] >= 1);
}

static u16 fold(u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (u16)s;
}

/* The driver leaves a UDP checksum to the device: the result must verify. */
static void test_tx_checksum_offload(void **state)
{
	u8 f[14 + 20 + 8 + 33] = { 0 };
	u8 *ip = f + 14, *udp = ip + 20;
	u32 sum = 0;
	u16 pseudo;

	f[12] = 0x08;
	ip[0] = 0x45;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	udp[0] = 0x12, udp[1] = 0x34, udp[2] = 0x00, udp[3] = 0x50;
	udp[5] = 8 + 33;
	for (int i = 0; i < 33; i++)
		udp[8 + i] = (u8)(i * 13);
	/* Pseudo-header sum (not inverted) in the checksum field, as Linux leaves it. */
	for (int i = 12; i < 20; i += 2)
		sum += (u32)(ip[i] << 8 | ip[i + 1]);
	sum += 17 + 8 + 33;
	pseudo = fold(sum);
	udp[6] = (u8)(pseudo >> 8);
	udp[7] = (u8)pseudo;
	tx_chain(0, f, sizeof(f), 1 /* NEEDS_CSUM */, 0, 14 + 20, 6);
	vt_kick(&t, TXQ);
	assert_int_equal(nsent, 1);
	/* Verify: pseudo-header + UDP segment sums to 0xffff. */
	{
		const u8 *s = sent[0] + 14 + 20;
		u32 v = 0;

		for (int i = 12; i < 20; i += 2)
			v += (u32)(ip[i] << 8 | ip[i + 1]);
		v += 17 + 8 + 33;
		for (int i = 0; i < 8 + 33; i += 2)
			v += (u32)(s[i] << 8 | (i + 1 < 8 + 33 ? s[i + 1] : 0));
		assert_int_equal(fold(v), 0xffff);
	}
	expect_used(TXQ, 0, 0);
}

static void test_tx_hostile(void **state)
{
	u8 f[64];

	make_frame(f, sizeof(f));
	/* 1. a header shorter than 12 bytes */
	vt_desc(&t, TXQ, 0, VT_BUF, 8, 0, 0);
	vt_publish(&t, TXQ, 0);
	/* 2. a writable descriptor in a transmit chain */
	vt_desc(&t, TXQ, 1, VT_BUF, HDR + 20, VT_NEXT, 2);
	vt_desc(&t, TXQ, 2, VT_BUF + 0x1000, 64, VT_WRITE, 0);
	vt_publish(&t, TXQ, 1);
	/* 3. a frame far larger than the MTU allows */
	vt_desc(&t, TXQ, 3, VT_BUF, HDR + 60000, 0, 0);
	vt_publish(&t, TXQ, 3);
	/* 4. GSO, which was not offered */
	tx_chain(4, f, sizeof(f), 0, 1 /* TCPV4 */, 0, 0);
	/* 5. a checksum position outside the frame */
	tx_chain(6, f, sizeof(f), 1, 0, 60, 10);
	/* 6. and a good one after all that */
	tx_chain(8, f, sizeof(f), 0, 0, 0, 0);
	vt_kick(&t, TXQ);
	/* Every chain came back; only the good frame went out. */
	expect_used(TXQ, 0, 0);
	expect_used(TXQ, 1, 0);
	expect_used(TXQ, 3, 0);
	expect_used(TXQ, 4, 0);
	expect_used(TXQ, 6, 0);
	expect_used(TXQ, 8, 0);
	assert_int_equal(nsent, 1);
	assert_memory_equal(sent[0], f, sizeof(f));
	assert_false(t.dev->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_tx_loop_chain(void **state)
{
	u8 f[64];
	u32 id = 0, len = 0;

	vt_desc(&t, TXQ, 0, VT_BUF, HDR, VT_NEXT, 1);
	vt_desc(&t, TXQ, 1, VT_BUF, 64, VT_NEXT, 0);
	vt_publish(&t, TXQ, 0);
	vt_kick(&t, TXQ);
	assert_true(t.dev->status & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(nsent, 0);
	assert_false(vt_used(&t, TXQ, &id, &len));
	/* While it needs a reset, frames for the guest are dropped, not queued forever. */
	make_frame(f, sizeof(f));
	assert_int_equal(deliver(f, sizeof(f)), 0);
	assert_false(net_backend_rx_blocked(&fake));
}

static void test_rx(void **state)
{
	u8 f[300];
	u64 gpa;
	u8 *h;

	make_frame(f, sizeof(f));
	gpa = rx_post(0, 2048);
	vt_kick(&t, RXQ);
	assert_int_equal(deliver(f, sizeof(f)), 0);
	expect_used(RXQ, 0, HDR + sizeof(f));
	h = vt_g(&t, gpa);
	assert_int_equal(h[0], 2);      /* DATA_VALID: the backend made the checksums */
	assert_int_equal(h[1], 0);      /* GSO_NONE */
	assert_int_equal(h[10], 1);     /* num_buffers */
	assert_memory_equal(h + HDR, f, sizeof(f));
	assert_true(t.queue_irqs[RXQ] >= 1);
}

static void test_rx_waits_for_buffers(void **state)
{
	u8 f[100];
	u64 gpa;

	make_frame(f, sizeof(f));
	assert_int_equal(deliver(f, sizeof(f)), 0); /* no buffer: held */
	assert_true(net_backend_rx_blocked(&fake));
	gpa = rx_post(0, 2048);
	vt_kick(&t, RXQ); /* buffers posted: the held frame goes in */
	assert_false(net_backend_rx_blocked(&fake));
	expect_used(RXQ, 0, HDR + sizeof(f));
	assert_memory_equal(vt_g(&t, gpa) + HDR, f, sizeof(f));
}

static void test_rx_hostile(void **state)
{
	u8 f[1000];
	u64 gpa;

	make_frame(f, sizeof(f));
	/* A buffer too small for the header: given back unused. */
	rx_post(0, 4);
	/* A receive chain with a device-readable part: refused likewise. */
	vt_desc(&t, RXQ, 1, VT_BUF, 64, VT_NEXT, 2);
	vt_desc(&t, RXQ, 2, VT_BUF + 0x1000, 2048, VT_WRITE, 0);
	vt_publish(&t, RXQ, 1);
	/* Then a good buffer, which the frame lands in. */
	gpa = rx_post(3, 2048);
	assert_int_equal(deliver(f, sizeof(f)), 0);
	expect_used(RXQ, 0, 0);
	expect_used(RXQ, 1, 0);
	expect_used(RXQ, 3, HDR + sizeof(f));
	assert_memory_equal(vt_g(&t, gpa) + HDR, f, sizeof(f));

	/* A frame bigger than the posted buffer is dropped; the buffer serves the next one. */
	gpa = rx_post(4, HDR + 100);
	assert_int_equal(deliver(f, sizeof(f)), 0);
	assert_false(net_backend_rx_blocked(&fake));
	assert_int_equal(deliver(f, 100), 0);
	expect_used(RXQ, 4, HDR + 100);
	/* A frame above the MTU never reaches the guest. */
	{
		static u8 big[4000];

		rx_post(5, 8192);
		assert_int_equal(deliver(big, sizeof(big)), 0);
		assert_int_equal(deliver(f, 64), 0);
		expect_used(RXQ, 5, HDR + 64);
	}
	assert_false(t.dev->status & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * Two receive buffers posted, a frame delivered into the first and not yet
 * signalled (no flush after the burst): saving quiesces, which sends the
 * interrupt the driver is owed. A card loaded from the state (another
 * backend, the same guest RAM) saves the same bytes and puts the next frame
 * in the second buffer, at used position 1.
 */
static void test_save_load(void **state)
{
	static struct net_backend fake2 = { .ops = &fake_ops, .kind = "fake", .csum_valid = true };
	static const u8 mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x57 };
	struct virtio_net *fresh;
	struct saved_state s;
	unsigned irqs;
	u8 f[200];
	u64 gpa;

	make_frame(f, sizeof(f));
	rx_post(0, 2048);
	gpa = rx_post(1, 2048);
	vt_kick(&t, RXQ);
	pthread_mutex_lock(&t.vm->lock);
	irqs = t.queue_irqs[RXQ];
	assert_int_equal(net_backend_deliver(&fake, f, sizeof(f)), 0);
	assert_int_equal(t.queue_irqs[RXQ], irqs);
	s = state_save_one(&virtio_net_state_ops, nic);
	assert_int_equal(t.queue_irqs[RXQ], irqs + 1);
	pthread_mutex_unlock(&t.vm->lock);
	expect_used(RXQ, 0, HDR + sizeof(f));

	assert_int_equal(virtio_net_create(&fresh, t.vm, &fake2, mac, 1), 0);
	virtio_net_dev(fresh)->transport = virtio_net_dev(nic)->transport;
	pthread_mutex_lock(&t.vm->lock);
	state_load_and_compare(&virtio_net_state_ops, fresh, &s);
	f[0] ^= 0xFF;
	assert_int_equal(net_backend_deliver(&fake2, f, sizeof(f)), 0);
	net_backend_rx_flush(&fake2);
	pthread_mutex_unlock(&t.vm->lock);
	expect_used(RXQ, 1, HDR + sizeof(f));
	assert_memory_equal(vt_g(&t, gpa) + HDR, f, sizeof(f));
	virtio_net_destroy(fresh);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, start, stop),
		cmocka_unit_test_setup_teardown(test_tx, start, stop),
		cmocka_unit_test_setup_teardown(test_tx_checksum_offload, start, stop),
		cmocka_unit_test_setup_teardown(test_tx_hostile, start, stop),
		cmocka_unit_test_setup_teardown(test_tx_loop_chain, start, stop),
		cmocka_unit_test_setup_teardown(test_rx, start, stop),
		cmocka_unit_test_setup_teardown(test_rx_waits_for_buffers, start, stop),
		cmocka_unit_test_setup_teardown(test_rx_hostile, start, stop),
		cmocka_unit_test_setup_teardown(test_save_load, start, stop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
