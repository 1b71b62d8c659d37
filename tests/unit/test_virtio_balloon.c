// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-balloon: inflated pages and reported free ranges go back to the host
 * (they read zero afterwards) while PFNs outside guest RAM are skipped; the
 * statistics buffer is held and handed back when the host asks for figures;
 * the target and `actual` travel through the config space.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/unit/virtio_test_util.h"
#include "virtio/balloon.h"

#define F_STATS 1
#define F_DEFLATE_ON_OOM 2
#define F_REPORTING 5
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2
#define Q_REPORT 3 /* no free page hint queue: reporting takes the next index */

static struct vt t;
static struct virtio_balloon *b;

static int setup(void **state)
{
	if (vt_create_vm(&t) || virtio_balloon_create(&b, t.vm))
		return -1;
	vt_start(&t, virtio_balloon_dev(b),
		 VIRTIO_BIT(F_STATS) | VIRTIO_BIT(F_DEFLATE_ON_OOM) | VIRTIO_BIT(F_REPORTING), 4);
	return 0;
}

static int teardown(void **state)
{
	virtio_balloon_destroy(b);
	vt_destroy_vm(&t);
	return 0;
}

static bool all(const u8 *p, size_t n, u8 v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* One device-readable buffer of PFNs on queue q, kicked and returned used. */
static void send_pfns(unsigned q, u16 head, const u32 *pfn, unsigned n)
{
	u32 id = 0, len = 0;

	memcpy(vt_g(&t, VT_BUF), pfn, n * sizeof(u32));
	vt_desc(&t, q, head, VT_BUF, n * sizeof(u32), 0, 0);
	vt_publish(&t, q, head);
	vt_kick(&t, q);
	assert_true(vt_used(&t, q, &id, &len));
	assert_int_equal(id, head);
}

static void test_inflate_and_deflate(void **state)
{
	/* Three pages, one PFN past the end of RAM, one in the 4 GiB range: the latter skipped. */
	u32 pfn[] = { 0x400, 0x401, 0x402, VT_RAM >> 12, 0xfffff };
	struct balloon_info bi;

	memset(vt_g(&t, 0x400000), 0xab, 3 * 4096 + 4096);
	send_pfns(Q_INFLATE, 0, pfn, 5);
	assert_true(all(vt_g(&t, 0x400000), 3 * 4096, 0));
	assert_true(all(vt_g(&t, 0x403000), 4096, 0xab)); /* not named: kept */
	virtio_balloon_info(b, &bi);
	assert_int_equal(bi.inflated_bytes, 3 * 4096);
	send_pfns(Q_DEFLATE, 1, pfn, 1);
	virtio_balloon_info(b, &bi);
	assert_int_equal(bi.inflated_bytes, 2 * 4096);
}

static void test_free_page_reporting(void **state)
{
	struct balloon_info bi;
	u32 id = 0, len = 0;

	memset(vt_g(&t, 0x800000), 0x5a, 2 * MiB);
	vt_desc(&t, Q_REPORT, 0, 0x800000, 2 * MiB, VT_WRITE, 0);
	vt_publish(&t, Q_REPORT, 0);
	vt_kick(&t, Q_REPORT);
	assert_true(vt_used(&t, Q_REPORT, &id, &len));
	assert_int_equal(len, 0);
	assert_true(all(vt_g(&t, 0x800000), 2 * MiB, 0));
	virtio_balloon_info(b, &bi);
	assert_int_equal(bi.reported_bytes, 2 * MiB);
	/* A range running off the end of RAM is a malformed chain: refused, nothing released. */
	vt_desc(&t, Q_REPORT, 1, VT_RAM - 4096, 8192, VT_WRITE, 0);
	vt_publish(&t, Q_REPORT, 1);
	vt_kick(&t, Q_REPORT);
	virtio_balloon_info(b, &bi);
	assert_int_equal(bi.reported_bytes, 2 * MiB);
}

static void put_stat(u8 *p, u16 tag, u64 val)
{
	p[0] = (u8)tag;
	p[1] = (u8)(tag >> 8);
	for (int i = 0; i < 8; i++)
		p[2 + i] = (u8)(val >> (8 * i));
}

static void test_stats(void **state)
{
	struct balloon_info bi;
	u8 *rec = vt_g(&t, VT_BUF);
	u32 id = 0, len = 0;

	put_stat(rec, BALLOON_STAT_MEMFREE, 1000);
	put_stat(rec + 10, BALLOON_STAT_MEMTOT, 2000);
	put_stat(rec + 20, 999, 7); /* an unknown tag is ignored */
	vt_desc(&t, Q_STATS, 0, VT_BUF, 30, 0, 0);
	vt_publish(&t, Q_STATS, 0);
	vt_kick(&t, Q_STATS);
	assert_false(vt_used(&t, Q_STATS, &id, &len)); /* held until the host wants figures */
	virtio_balloon_info(b, &bi);
	assert_true(bi.stats_valid);
	assert_int_equal(bi.stat[BALLOON_STAT_MEMFREE], 1000);
	assert_int_equal(bi.stat[BALLOON_STAT_MEMTOT], 2000);
	assert_int_equal(bi.stats_present,
			 (1u << BALLOON_STAT_MEMFREE) | (1u << BALLOON_STAT_MEMTOT));
	assert_true(vt_used(&t, Q_STATS, &id, &len)); /* handed back for a refill */
	assert_int_equal(id, 0);
}

static void test_target_and_actual(void **state)
{
	struct virtio_dev *d = virtio_balloon_dev(b);
	struct balloon_info bi;
	u32 v = 0, actual = 512;
	unsigned irqs = t.config_irqs;

	assert_int_equal(virtio_balloon_set_target(b, VT_RAM - 4 * MiB, 0), 0);
	assert_true(t.config_irqs > irqs);
	virtio_config_read(d, 0, &v, 4);
	assert_int_equal(v, 1024); /* num_pages: 4 MiB of 4 KiB pages */
	assert_int_equal(virtio_balloon_set_target(b, VT_RAM + 4096, 0), -ERANGE);
	assert_int_equal(virtio_balloon_set_target(b, 1 * MiB, 2 * MiB), -ERANGE);
	virtio_config_write(d, 4, &actual, 4);
	virtio_config_write(d, 0, &actual, 4); /* num_pages is the host's: ignored */
	virtio_balloon_info(b, &bi);
	assert_int_equal(bi.target_bytes, VT_RAM - 4 * MiB);
	assert_int_equal(bi.actual_bytes, VT_RAM - 2 * MiB);
	virtio_config_read(d, 0, &v, 4);
	assert_int_equal(v, 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inflate_and_deflate),
		cmocka_unit_test(test_free_page_reporting),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_target_and_actual),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
