// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TAP backend, in a network namespace of this test's own (unshare), so
 * nothing on the host's network is touched: the "guest" ARPs for the
 * address the test gives the tap interface and the kernel answers; a UDP
 * datagram reaches a socket in the namespace and the reply comes back; the
 * receive queue stops and resumes reading; and opening something that is
 * not a tap fails with a message naming it. Skipped without CAP_NET_ADMIN.
 */
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/net_test_util.h"

#define TAP_NAME "hvtap0"
#define TAP_HOST_IP "192.168.77.1"
#define TAP_GUEST_IP "192.168.77.2"

static const u8 guest_mac[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x02 };

static bool have_netns;

/* Give the interface an address and bring it up, as `ip addr add; ip link set up` would. */
static int config_if(const char *name, const char *ip)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		goto out;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		goto out;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto out;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		goto out;
	ret = 0;
out:
	close(fd);
	return ret;
}

static int setup(void **state)
{
	/* Our own network namespace: only this test process sees the tap. */
	have_netns = unshare(CLONE_NEWNET) == 0 && access("/dev/net/tun", R_OK | W_OK) == 0;
	return 0;
}

struct fixture {
	struct nt_env env;
	struct net_backend *be;
	u8 kernel_mac[6];
};

static void open_tap(struct fixture *fx)
{
	struct net_config cfg;
	struct net_frontend fe;
	char err[256];

	assert_int_equal(nt_env_create(&fx->env), 0);
	assert_int_equal(net_parse("tap,ifname=" TAP_NAME, &cfg, err, sizeof(err)), 0);
	if (net_backend_create(&fx->be, &cfg, fx->env.el, fx->env.vm->timers, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		fail();
	}
	fe = nt_frontend(&fx->env);
	net_backend_set_frontend(fx->be, &fe);
	assert_int_equal(config_if(TAP_NAME, TAP_HOST_IP), 0);
	nt_env_start(&fx->env);
}

static void close_tap(struct fixture *fx)
{
	nt_env_stop(&fx->env);
	net_backend_destroy(fx->be);
	nt_env_destroy(&fx->env);
}

static void arp_kernel(struct fixture *fx)
{
	u8 f[64];
	size_t n = nt_arp_request(f, guest_mac, TAP_GUEST_IP, TAP_HOST_IP);
	int i = -1;

	/* The interface may still be coming up (IPv6 DAD...): ask a few times. */
	for (int tries = 0; tries < 5 && i < 0; tries++) {
		assert_int_equal(nt_send(&fx->env, fx->be, f, n), 0);
		i = nt_wait(&fx->env, nt_is_arp_reply_from, TAP_HOST_IP, 0, 1000);
	}
	assert_true(i >= 0);
	memcpy(fx->kernel_mac, fx->env.frames[i].buf + 22, 6);
}

static void test_arp(void **state)
{
	struct fixture fx;

	if (!have_netns)
		skip();
	open_tap(&fx);
	arp_kernel(&fx);
	close_tap(&fx);
}

static void test_udp_roundtrip(void **state)
{
	struct fixture fx;
	struct sockaddr_in a = { .sin_family = AF_INET }, from;
	socklen_t alen = sizeof(a), flen = sizeof(from);
	struct timeval tv = { .tv_sec = 3 };
	struct nt_udp_match m;
	char buf[64];
	u8 f[256];
	size_t n;
	int fd;

	if (!have_netns)
		skip();
	open_tap(&fx);
	arp_kernel(&fx);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, TAP_HOST_IP, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	n = nt_udp(f, fx.kernel_mac, guest_mac, TAP_GUEST_IP, 4444, TAP_HOST_IP,
		   ntohs(a.sin_port), "hello", 5);
	assert_int_equal(nt_send(&fx.env, fx.be, f, n), 0);
	assert_int_equal(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ntohs(from.sin_port), 4444);

	assert_int_equal(sendto(fd, "world", 5, 0, (struct sockaddr *)&from, flen), 5);
	m = (struct nt_udp_match){ .sport = ntohs(a.sin_port), .dport = 4444, .payload = "world" };
	assert_true(nt_wait(&fx.env, nt_is_udp, &m, 0, 3000) >= 0);
	close(fd);
	close_tap(&fx);
}

/* While the frontend refuses, the backend holds a frame and stops reading the tap. */
static void test_flow_control(void **state)
{
	struct fixture fx;
	u8 f[64];
	size_t n;
	unsigned refused;

	if (!have_netns)
		skip();
	open_tap(&fx);
	arp_kernel(&fx);
	pthread_mutex_lock(&fx.env.vm->lock);
	fx.env.refuse = 1;
	fx.env.refused = 0;
	pthread_mutex_unlock(&fx.env.vm->lock);
	/* A few ARP requests: the replies must wait, not be lost. */
	n = nt_arp_request(f, guest_mac, TAP_GUEST_IP, TAP_HOST_IP);
	for (int i = 0; i < 3; i++)
		assert_int_equal(nt_send(&fx.env, fx.be, f, n), 0);
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&fx.env.vm->lock);
		refused = fx.env.refused;
		pthread_mutex_unlock(&fx.env.vm->lock);
		if (refused)
			break;
		usleep(10000);
	}
	assert_true(refused >= 1);
	usleep(100000);
	pthread_mutex_lock(&fx.env.vm->lock);
	/* Exactly one offer: after the refusal the tap was not read again. */
	assert_int_equal(fx.env.refused, 1);
	assert_true(net_backend_rx_blocked(fx.be));
	n = fx.env.nframes;
	fx.env.refuse = 0;
	net_backend_rx_ready(fx.be);
	assert_int_equal(fx.env.nframes, n + 1);
	pthread_mutex_unlock(&fx.env.vm->lock);
	/* Reading resumed: the other replies follow. */
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&fx.env.vm->lock);
		refused = fx.env.nframes;
		pthread_mutex_unlock(&fx.env.vm->lock);
		if (refused >= n + 3)
			break;
		usleep(10000);
	}
	assert_true(refused >= n + 3);
	close_tap(&fx);
}

static void expect_open_error(const char *spec, const char *needle)
{
	struct nt_env env;
	struct net_backend *be;
	struct net_config cfg;
	char err[256] = "";

	assert_int_equal(nt_env_create(&env), 0);
	assert_int_equal(net_parse(spec, &cfg, err, sizeof(err)), 0);
	assert_true(net_backend_create(&be, &cfg, env.el, env.vm->timers, err, sizeof(err)) < 0);
	if (!strstr(err, needle)) {
		fprintf(stderr, "'%s': error '%s' lacks '%s'\n", spec, err, needle);
		fail();
	}
	nt_env_destroy(&env);
}

static void test_open_errors(void **state)
{
	struct nt_env env;
	struct net_backend *be;
	struct net_config cfg;
	char err[256];

	if (!have_netns)
		skip();
	/* `lo` exists and is not a tap. */
	expect_open_error("tap,ifname=lo", "tap,ifname=lo: cannot attach");
	/* The same tap twice: the second open is refused while the first holds it. */
	assert_int_equal(nt_env_create(&env), 0);
	assert_int_equal(net_parse("tap,ifname=" TAP_NAME, &cfg, err, sizeof(err)), 0);
	assert_int_equal(net_backend_create(&be, &cfg, env.el, env.vm->timers, err, sizeof(err)), 0);
	expect_open_error("tap,ifname=" TAP_NAME, "tap,ifname=" TAP_NAME);
	net_backend_destroy(be);
	nt_env_destroy(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_udp_roundtrip),
		cmocka_unit_test(test_flow_control),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
