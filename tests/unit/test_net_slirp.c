// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The user-mode (libslirp) backend in a real event loop, driven with frames
 * a guest would send: ARP for the host, DHCP, UDP through the NAT to a
 * socket on the host's loopback and back, a hostfwd connection arriving as
 * a TCP SYN, and --net parsing with its error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/net_test_util.h"

static const u8 guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct fixture {
	struct nt_env env;
	struct net_backend *be;
	u8 host_mac[6]; /* slirp's, learnt from its ARP reply */
};

static int make_backend(struct fixture *fx, const char *spec)
{
	struct net_config cfg;
	char err[256];
	struct net_frontend fe;

	if (nt_env_create(&fx->env))
		return -1;
	if (net_parse(spec, &cfg, err, sizeof(err))) {
		fprintf(stderr, "parse: %s\n", err);
		return -1;
	}
	if (net_backend_create(&fx->be, &cfg, fx->env.el, fx->env.vm->timers, err, sizeof(err))) {
		fprintf(stderr, "create: %s\n", err);
		return -1;
	}
	fe = nt_frontend(&fx->env);
	net_backend_set_frontend(fx->be, &fe);
	nt_env_start(&fx->env);
	return 0;
}

static void free_backend(struct fixture *fx)
{
	nt_env_stop(&fx->env);
	net_backend_destroy(fx->be);
	nt_env_destroy(&fx->env);
}

/* The guest asks for 10.0.2.2; slirp answers (and learns the guest's address). */
static void arp_host(struct fixture *fx)
{
	u8 f[64];
	size_t n = nt_arp_request(f, guest_mac, "10.0.2.15", "10.0.2.2");
	int i;

	assert_int_equal(nt_send(&fx->env, fx->be, f, n), 0);
	i = nt_wait(&fx->env, nt_is_arp_reply_from, "10.0.2.2", 0, 2000);
	assert_true(i >= 0);
	memcpy(fx->host_mac, fx->env.frames[i].buf + 22, 6);
}

static void test_arp(void **state)
{
	struct fixture fx;

	assert_int_equal(make_backend(&fx, "user"), 0);
	arp_host(&fx);
	/* slirp's gateway MAC: 52:55 then the IPv4 address (QEMU's convention). */
	assert_int_equal(fx.host_mac[0], 0x52);
	assert_int_equal(fx.host_mac[1], 0x55);
	free_backend(&fx);
}

static bool is_dhcp_offer(const u8 *f, size_t len, const void *arg)
{
	static const struct nt_udp_match m = { .sport = 67, .dport = 68 };
	const u8 *bp = f + 14 + 20 + 8;
	bool offer = false, dns = false;

	if (!nt_is_udp(f, len, &m) || len < 14 + 20 + 8 + 240)
		return false;
	if (memcmp(bp + 16, "\x0a\x00\x02\x0f", 4)) /* yiaddr 10.0.2.15 */
		return false;
	for (size_t o = 240; 14 + 20 + 8 + o + 2 <= len;) {
		u8 code = bp[o], olen;

		if (code == 255)
			break;
		if (code == 0) {
			o++;
			continue;
		}
		olen = bp[o + 1];
		if (code == 53 && olen == 1 && bp[o + 2] == 2)
			offer = true;
		if (code == 6 && olen >= 4 && !memcmp(bp + o + 2, "\x0a\x00\x02\x03", 4))
			dns = true;
		o += 2u + olen;
	}
	return offer && dns;
}

static void test_dhcp(void **state)
{
	struct fixture fx;
	u8 bootp[548] = { 0 };
	u8 f[1024];
	size_t n;

	assert_int_equal(make_backend(&fx, "user"), 0);
	bootp[0] = 1; /* BOOTREQUEST */
	bootp[1] = 1;
	bootp[2] = 6;
	memcpy(bootp + 4, "\xde\xad\xbe\xef", 4);
	bootp[10] = 0x80; /* broadcast */
	memcpy(bootp + 28, guest_mac, 6);
	memcpy(bootp + 236, "\x63\x82\x53\x63", 4);
	bootp[240] = 53; /* DHCP DISCOVER */
	bootp[241] = 1;
	bootp[242] = 1;
	bootp[243] = 255;
	n = nt_udp(f, bcast, guest_mac, "0.0.0.0", 68, "255.255.255.255", 67, bootp,
		   sizeof(bootp));
	assert_int_equal(nt_send(&fx.env, fx.be, f, n), 0);
	assert_true(nt_wait(&fx.env, is_dhcp_offer, NULL, 0, 2000) >= 0);
	free_backend(&fx);
}

/* A UDP socket on the host's 127.0.0.1 on a free port. */
static int host_udp(u16 *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 3 };

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_udp_nat_to_host_loopback(void **state)
{
	struct fixture fx;
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	char buf[64];
	u8 f[256];
	u16 port;
	int fd = host_udp(&port);
	size_t n;
	ssize_t got;
	struct nt_udp_match m;

	assert_int_equal(make_backend(&fx, "user"), 0);
	arp_host(&fx);
	/* guest 10.0.2.15:5555 -> 10.0.2.2:port, which slirp sends to 127.0.0.1:port */
	n = nt_udp(f, fx.host_mac, guest_mac, "10.0.2.15", 5555, "10.0.2.2", port, "ping", 4);
	assert_int_equal(nt_send(&fx.env, fx.be, f, n), 0);
	got = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	assert_int_equal(got, 4);
	assert_memory_equal(buf, "ping", 4);
	/* ...and the answer comes back to the guest through the NAT. */
	assert_int_equal(sendto(fd, "pong", 4, 0, (struct sockaddr *)&from, flen), 4);
	m = (struct nt_udp_match){ .sport = port, .dport = 5555, .payload = "pong" };
	assert_true(nt_wait(&fx.env, nt_is_udp, &m, 0, 3000) >= 0);
	close(fd);
	free_backend(&fx);
}

static bool is_tcp_syn_to(const u8 *f, size_t len, const void *arg)
{
	const u8 *ip = f + 14, *tcp;

	if (len < 14 + 20 + 20 || nt_get16(f + 12) != NT_ETH_IP || ip[9] != 6)
		return false;
	tcp = ip + (ip[0] & 15) * 4;
	return nt_get16(tcp + 2) == *(const u16 *)arg && (tcp[13] & 0x02) && !(tcp[13] & 0x10);
}

static u16 free_tcp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_hostfwd_tcp(void **state)
{
	struct fixture fx;
	struct sockaddr_in a = { .sin_family = AF_INET };
	char spec[128];
	u16 hport = free_tcp_port(), gport = 8080;
	int fd;

	snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%u-:%u", hport, gport);
	assert_int_equal(make_backend(&fx, spec), 0);
	arp_host(&fx);
	/* Someone on the host connects to the forwarded port: the guest sees a SYN. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	a.sin_port = htons(hport);
	connect(fd, (struct sockaddr *)&a, sizeof(a));
	assert_true(nt_wait(&fx.env, is_tcp_syn_to, &gport, 0, 3000) >= 0);
	close(fd);
	free_backend(&fx);
}

static void test_hostfwd_port_in_use(void **state)
{
	struct nt_env env;
	struct net_backend *be;
	struct net_config cfg;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char spec[128], err[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%u-:22", ntohs(a.sin_port));
	assert_int_equal(nt_env_create(&env), 0);
	assert_int_equal(net_parse(spec, &cfg, err, sizeof(err)), 0);
	assert_true(net_backend_create(&be, &cfg, env.el, env.vm->timers, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot listen"));
	close(fd);
	nt_env_destroy(&env);
}

/* Garbage and truncated frames from a hostile guest: slirp must shrug them off. */
static void test_garbage_frames(void **state)
{
	struct fixture fx;
	u8 f[2048];
	struct iovec big[2];
	u8 *huge = calloc(1, NET_FRAME_MAX);

	assert_int_equal(make_backend(&fx, "user"), 0);
	srand(1);
	for (int i = 0; i < 2000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(f));

		for (size_t j = 0; j < n; j++)
			f[j] = (u8)rand();
		if (i & 1) /* an IPv4 ethertype so slirp parses deeper */
			nt_put16(f + 12, NT_ETH_IP), f[14] = 0x45;
		nt_send(&fx.env, fx.be, f, n);
	}
	/* More than a frame can be: refused, not overflowed. */
	big[0] = (struct iovec){ .iov_base = huge, .iov_len = NET_FRAME_MAX };
	big[1] = (struct iovec){ .iov_base = huge, .iov_len = 1 };
	pthread_mutex_lock(&fx.env.vm->lock);
	assert_int_equal(net_backend_send(fx.be, big, 2), -EMSGSIZE);
	pthread_mutex_unlock(&fx.env.vm->lock);
	/* Still working. */
	arp_host(&fx);
	free(huge);
	free_backend(&fx);
}

/* Frames the frontend cannot take wait in the queue and arrive in order later. */
static void test_rx_queue(void **state)
{
	struct fixture fx;
	u8 f[64];
	size_t n;
	unsigned before;

	assert_int_equal(make_backend(&fx, "user"), 0);
	pthread_mutex_lock(&fx.env.vm->lock);
	fx.env.refuse = 1;
	pthread_mutex_unlock(&fx.env.vm->lock);
	n = nt_arp_request(f, guest_mac, "10.0.2.15", "10.0.2.2");
	assert_int_equal(nt_send(&fx.env, fx.be, f, n), 0);
	pthread_mutex_lock(&fx.env.vm->lock);
	assert_true(fx.env.refused >= 1);
	assert_true(net_backend_rx_blocked(fx.be));
	before = fx.env.nframes;
	fx.env.refuse = 0;
	net_backend_rx_ready(fx.be);
	assert_false(net_backend_rx_blocked(fx.be));
	assert_int_equal(fx.env.nframes, before + 1);
	pthread_mutex_unlock(&fx.env.vm->lock);
	assert_true(nt_wait(&fx.env, nt_is_arp_reply_from, "10.0.2.2", 0, 100) >= 0);
	free_backend(&fx);
}

static void test_parse(void **state)
{
	struct net_config c;
	char err[256];

	assert_int_equal(net_parse("user", &c, err, sizeof(err)), 0);
	assert_int_equal(c.type, NET_USER);
	assert_int_equal(c.nfwd, 0);

	assert_int_equal(net_parse("user,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-10.0.2.15:53,"
				   "restrict=off,mac=52:54:00:aa:bb:cc",
				   &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.nfwd, 2);
	assert_false(c.fwd[0].udp);
	assert_int_equal(c.fwd[0].host_port, 2222);
	assert_int_equal(c.fwd[0].guest_port, 22);
	assert_int_equal(ntohl(c.fwd[0].host_addr.s_addr), 0x7f000001);
	assert_int_equal(ntohl(c.fwd[0].guest_addr.s_addr), 0x0a00020f);
	assert_true(c.fwd[1].udp);
	assert_int_equal(ntohl(c.fwd[1].host_addr.s_addr), 0x7f000001); /* empty: loopback */
	assert_true(c.mac_set);
	assert_int_equal(c.mac[5], 0xcc);
	assert_false(c.restrict_guest);

	/* No protocol: tcp. */
	assert_int_equal(net_parse("user,hostfwd=:8080-:80", &c, err, sizeof(err)), 0);
	assert_int_equal(c.fwd[0].host_port, 8080);
	assert_false(c.fwd[0].udp);

	assert_int_equal(net_parse("tap,ifname=tap0", &c, err, sizeof(err)), 0);
	assert_int_equal(c.type, NET_TAP);
	assert_string_equal(c.ifname, "tap0");
}

static void expect_error(const char *spec, const char *needle)
{
	struct net_config c;
	char err[256] = "";

	assert_int_equal(net_parse(spec, &c, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle)) {
		fprintf(stderr, "spec '%s': error '%s' lacks '%s'\n", spec, err, needle);
		fail();
	}
}

static void test_parse_errors(void **state)
{
	expect_error("bridge", "unknown network type 'bridge'");
	expect_error("", "empty");
	expect_error("user,hostfwd=tcp:127.0.0.1:2222", "hostfwd=tcp:127.0.0.1:2222");
	expect_error("user,hostfwd=sctp:127.0.0.1:2222-:22", "tcp or udp");
	expect_error("user,hostfwd=tcp:1.2.3:2222-:22", "'1.2.3' is not an IPv4 address");
	expect_error("user,hostfwd=tcp:127.0.0.1:99999-:22", "host port '99999'");
	expect_error("user,hostfwd=tcp:127.0.0.1:22x-:22", "host port '22x'");
	expect_error("user,hostfwd=tcp:127.0.0.1:2222-:0", "guest port '0'");
	expect_error("user,hostfwd=tcp:127.0.0.1:2222-22", "guest side");
	expect_error("user,hostfwd=tcp:127.0.0.1:2222-:22:1", "guest port");
	expect_error("user,foo=bar", "unknown option 'foo'");
	expect_error("user,restrict=maybe", "restrict=maybe");
	expect_error("user,mac=01:00:00:00:00:01", "mac=01:00:00:00:00:01");
	expect_error("user,mac=zz", "mac=zz");
	expect_error("user,ifname=tap0", "unknown option 'ifname'");
	expect_error("tap", "ifname=");
	expect_error("tap,ifname=averyveryverylongname", "ifname=averyveryverylongname");
	expect_error("tap,ifname=tap0,hostfwd=tcp::1-:2", "unknown option 'hostfwd'");
	expect_error("user,hostfwd", "key=value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_dhcp),
		cmocka_unit_test(test_udp_nat_to_host_loopback),
		cmocka_unit_test(test_hostfwd_tcp),
		cmocka_unit_test(test_hostfwd_port_in_use),
		cmocka_unit_test(test_garbage_frames),
		cmocka_unit_test(test_rx_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
