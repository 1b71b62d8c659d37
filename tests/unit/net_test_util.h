/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the network backend tests: a bare VM (lock, timers, event loop
 * running in a thread, no CPUs), a frontend that records received frames,
 * and builders for the Ethernet/ARP/IPv4/UDP frames a guest would send.
 */
#ifndef HOVER_TESTS_UNIT_NET_TEST_UTIL_H
#define HOVER_TESTS_UNIT_NET_TEST_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/net.h"
#include "include/hover/evloop.h"
#include "include/hover/timer.h"
#include "include/hover/vm.h"

#define NT_MAX_FRAMES 256

struct nt_frame {
	u8 *buf;
	size_t len;
};

struct nt_env {
	struct vm *vm;
	struct evloop *el;
	pthread_t thread;
	pthread_cond_t cond;
	struct nt_frame frames[NT_MAX_FRAMES];
	unsigned nframes;
	int refuse; /* frontend answers -EAGAIN while set */
	unsigned refused;
};

static inline int nt_receive(void *opaque, const u8 *frame, size_t len)
{
	struct nt_env *e = opaque;

	if (e->refuse) {
		e->refused++;
		return -EAGAIN;
	}
	if (e->nframes < NT_MAX_FRAMES) {
		e->frames[e->nframes].buf = malloc(len);
		memcpy(e->frames[e->nframes].buf, frame, len);
		e->frames[e->nframes].len = len;
		e->nframes++;
	}
	pthread_cond_broadcast(&e->cond);
	return 0;
}

static inline void *nt_loop_thread(void *opaque)
{
	struct nt_env *e = opaque;

	evloop_run(e->el);
	return NULL;
}

static inline int nt_env_create(struct nt_env *e)
{
	memset(e, 0, sizeof(*e));
	e->vm = calloc(1, sizeof(*e->vm));
	if (!e->vm)
		return -ENOMEM;
	pthread_mutex_init(&e->vm->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	if (timer_list_create(&e->vm->timers))
		return -ENOMEM;
	if (evloop_create(&e->el, e->vm))
		return -ENOMEM;
	e->vm->loop = e->el;
	return 0;
}

static inline void nt_env_start(struct nt_env *e)
{
	pthread_create(&e->thread, NULL, nt_loop_thread, e);
}

static inline void nt_env_stop(struct nt_env *e)
{
	vm_request_stop(e->vm, VM_QUIT, "test done");
	pthread_join(e->thread, NULL);
}

static inline void nt_env_destroy(struct nt_env *e)
{
	for (unsigned i = 0; i < e->nframes; i++)
		free(e->frames[i].buf);
	evloop_destroy(e->el);
	timer_list_destroy(e->vm->timers);
	pthread_mutex_destroy(&e->vm->lock);
	free(e->vm);
}

static inline struct net_frontend nt_frontend(struct nt_env *e)
{
	return (struct net_frontend){ .receive = nt_receive, .opaque = e };
}

/* Send a frame as the guest would (vCPU context: under the VM lock). */
static inline int nt_send(struct nt_env *e, struct net_backend *be, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	int ret;

	pthread_mutex_lock(&e->vm->lock);
	ret = net_backend_send(be, &iov, 1);
	pthread_mutex_unlock(&e->vm->lock);
	return ret;
}

typedef bool nt_match_fn(const u8 *f, size_t len, const void *arg);

/* Wait up to ms for a received frame that matches; returns its index or -1. Call unlocked. */
static inline int nt_wait(struct nt_env *e, nt_match_fn *match, const void *arg, unsigned from,
			  int ms)
{
	struct timespec ts;
	int found = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&e->vm->lock);
	for (;;) {
		for (unsigned i = from; i < e->nframes && found < 0; i++)
			if (match(e->frames[i].buf, e->frames[i].len, arg))
				found = (int)i;
		if (found >= 0 || pthread_cond_timedwait(&e->cond, &e->vm->lock, &ts) == ETIMEDOUT)
			break;
	}
	if (found < 0)
		for (unsigned i = from; i < e->nframes && found < 0; i++)
			if (match(e->frames[i].buf, e->frames[i].len, arg))
				found = (int)i;
	pthread_mutex_unlock(&e->vm->lock);
	return found;
}

/* ---- frames ---- */

#define NT_ETH_ARP 0x0806
#define NT_ETH_IP 0x0800

static inline u16 nt_get16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static inline void nt_put16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }

static inline u16 nt_csum(const u8 *p, size_t len)
{
	u32 sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += nt_get16(p + i);
	if (len & 1)
		sum += (u32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

static inline size_t nt_eth(u8 *f, const u8 dst[6], const u8 src[6], u16 type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	nt_put16(f + 12, type);
	return 14;
}

/* ARP request "who has tip? tell sip" from mac. */
static inline size_t nt_arp_request(u8 *f, const u8 mac[6], const char *sip, const char *tip)
{
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	u8 *a = f + nt_eth(f, bcast, mac, NT_ETH_ARP);

	nt_put16(a, 1);          /* Ethernet */
	nt_put16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	nt_put16(a + 6, 1); /* request */
	memcpy(a + 8, mac, 6);
	inet_pton(AF_INET, sip, a + 14);
	memset(a + 18, 0, 6);
	inet_pton(AF_INET, tip, a + 24);
	memset(a + 28, 0, 14); /* pad to the 60-byte minimum */
	return 60;
}

/* IPv4/UDP frame (UDP checksum 0: none). Returns the frame length. */
static inline size_t nt_udp(u8 *f, const u8 dst_mac[6], const u8 src_mac[6], const char *sip,
			    u16 sport, const char *dip, u16 dport, const void *payload, size_t plen)
{
	u8 *ip = f + nt_eth(f, dst_mac, src_mac, NT_ETH_IP);
	u8 *udp = ip + 20;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	nt_put16(ip + 2, (u16)(20 + 8 + plen));
	nt_put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, sip, ip + 12);
	inet_pton(AF_INET, dip, ip + 16);
	nt_put16(ip + 10, nt_csum(ip, 20));
	nt_put16(udp, sport);
	nt_put16(udp + 2, dport);
	nt_put16(udp + 4, (u16)(8 + plen));
	nt_put16(udp + 6, 0);
	memcpy(udp + 8, payload, plen);
	return 14 + 20 + 8 + plen;
}

/* Matchers over received frames. */
static inline bool nt_is_arp_reply_from(const u8 *f, size_t len, const void *arg)
{
	struct in_addr a;

	if (len < 42 || nt_get16(f + 12) != NT_ETH_ARP || nt_get16(f + 20) != 2)
		return false;
	inet_pton(AF_INET, arg, &a);
	return memcmp(f + 28, &a, 4) == 0;
}

struct nt_udp_match {
	u16 sport, dport;
	const char *payload; /* NULL: any */
};

static inline bool nt_is_udp(const u8 *f, size_t len, const void *arg)
{
	const struct nt_udp_match *m = arg;
	const u8 *ip = f + 14, *udp;
	size_t ihl;

	if (len < 14 + 20 + 8 || nt_get16(f + 12) != NT_ETH_IP || ip[9] != 17)
		return false;
	ihl = (size_t)(ip[0] & 15) * 4;
	udp = ip + ihl;
	if ((m->sport && nt_get16(udp) != m->sport) || (m->dport && nt_get16(udp + 2) != m->dport))
		return false;
	if (!m->payload)
		return true;
	return len >= 14 + ihl + 8 + strlen(m->payload) &&
	       memcmp(udp + 8, m->payload, strlen(m->payload)) == 0;
}

#endif
