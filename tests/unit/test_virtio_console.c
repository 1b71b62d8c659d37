// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-console's state (virtio 1.2 section 5.3.6.2, multiport control
 * messages): the control messages the device queued for a driver that has
 * posted no control receive buffers yet, and the ports the guest declared
 * ready, survive save/load; the loaded device then delivers the queued
 * messages in their order. A file port keeps the host side trivial.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "include/hover/evloop.h"
#include "tests/unit/state_test_util.h"
#include "tests/unit/virtio_test_util.h"
#include "virtio/console.h"

#define CTRL_RXQ 2
#define CTRL_TXQ 3
#define NQ 6 /* port 0 rx/tx, control rx/tx, port 1 rx/tx */
#define F_MULTIPORT 1

static struct vt t;
static struct evloop *el;
static struct virtio_console_port_config ports[1] = {
	{ .name = "agent", .kind = VIRTIO_CONSOLE_FILE },
};
static char path[] = "/tmp/hover-vcon-XXXXXX";

static struct virtio_console *make(void)
{
	struct virtio_console *c;
	char err[256];

	if (virtio_console_create(&c, t.vm, el, ports, 1, err, sizeof(err)))
		fail_msg("%s", err);
	return c;
}

/* The driver sends one control message (id, event, value) on the control transmit queue. */
static void ctrl_out(u16 head, u32 id, u16 event, u16 value)
{
	u8 *m = vt_g(&t, VT_BUF + 16 * head);

	memcpy(m, &id, 4);
	memcpy(m + 4, &event, 2);
	memcpy(m + 6, &value, 2);
	vt_desc(&t, CTRL_TXQ, head, VT_BUF + 16 * head, 8, 0, 0);
	vt_publish(&t, CTRL_TXQ, head);
	vt_kick(&t, CTRL_TXQ);
}

/* The next control message the device delivered: its event, port and value. */
static void expect_ctrl(u32 id, u16 event, u16 value, u32 len)
{
	u32 head = 0, used_len = 0, got_id;
	u16 got_event, got_value;
	u8 *m;

	assert_true(vt_used(&t, CTRL_RXQ, &head, &used_len));
	m = vt_g(&t, VT_BUF + 0x10000 + 0x100 * head);
	memcpy(&got_id, m, 4);
	memcpy(&got_event, m + 4, 2);
	memcpy(&got_value, m + 6, 2);
	assert_int_equal(got_id, id);
	assert_int_equal(got_event, event);
	assert_int_equal(got_value, value);
	assert_int_equal(used_len, len);
}

/*
 * DEVICE_READY and PORT_READY for port 1 with no control buffers posted:
 * four messages wait (DEVICE_ADD 0 and 1, PORT_NAME 1, PORT_OPEN 1). A
 * device loaded from the state saves the same bytes and, once the driver
 * posts buffers, delivers those four in order.
 */
static void test_save_load(void **state)
{
	struct virtio_console *a = make(), *b;
	struct saved_state s;
	u8 *payload;
	size_t plen;
	char err[256];

	vt_start(&t, virtio_console_dev(a), VIRTIO_BIT(F_MULTIPORT), NQ);
	ctrl_out(0, 0, 0 /* DEVICE_READY */, 1);
	ctrl_out(1, 1, 3 /* PORT_READY */, 1);
	pthread_mutex_lock(&t.vm->lock);
	s = state_save_one(&virtio_console_state_ops, a);
	pthread_mutex_unlock(&t.vm->lock);
	virtio_console_destroy(a);

	b = make();
	virtio_console_dev(b)->transport = &vt_tops;
	t.dev = virtio_console_dev(b);
	pthread_mutex_lock(&t.vm->lock);
	state_load_and_compare(&virtio_console_state_ops, b, &s);
	pthread_mutex_unlock(&t.vm->lock);
	for (u16 i = 0; i < 4; i++) {
		vt_desc(&t, CTRL_RXQ, i, VT_BUF + 0x10000 + 0x100 * i, 0x100, VT_WRITE, 0);
		vt_publish(&t, CTRL_RXQ, i);
	}
	vt_kick(&t, CTRL_RXQ);
	expect_ctrl(0, 1 /* DEVICE_ADD */, 0, 8);
	expect_ctrl(1, 1 /* DEVICE_ADD */, 0, 8);
	expect_ctrl(1, 7 /* PORT_NAME */, 1, 8 + 5);
	expect_ctrl(1, 6 /* PORT_OPEN */, 1, 8);
	virtio_console_destroy(b);

	/* A queue of control messages longer than the device keeps is refused. */
	payload = state_payload(&s, "virtio-console", &plen);
	payload[1 + 8 + 8 + 1 + 1 + NQ * 35 + 1 + 2] = 65;
	state_reseal(&s, "virtio-console");
	b = make();
	assert_int_equal(state_load_one(&virtio_console_state_ops, b, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "65 control messages queued"));
	virtio_console_destroy(b);
	free(s.data);
}

static int setup(void **state)
{
	int fd = mkstemp(path);

	if (fd < 0 || vt_create_vm(&t) || timer_list_create(&t.vm->timers) ||
	    evloop_create(&el, t.vm))
		return -1;
	close(fd);
	snprintf(ports[0].path, sizeof(ports[0].path), "%s", path);
	return 0;
}

static int teardown(void **state)
{
	evloop_destroy(el);
	timer_list_destroy(t.vm->timers);
	vt_destroy_vm(&t);
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
