/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Network backends: where a virtual NIC's Ethernet frames go on the host.
 *
 *   user  libslirp user-mode NAT (host/net_slirp.c): no privileges, DHCP and
 *         DNS for the guest, outbound TCP/UDP through the host's sockets,
 *         hostfwd=... for inbound TCP/UDP.
 *   tap   a TAP interface (host/net_tap.c, Documentation/networking/tuntap.rst)
 *         for bridged set-ups.
 *
 * A frontend (virtio-net) hands frames to the backend with net_backend_send()
 * and receives frames through its struct net_frontend callback. When the
 * frontend has no receive buffers it returns -EAGAIN: the backend keeps the
 * frame (a short queue here, in net.c) and waits for net_backend_rx_ready(),
 * which the frontend calls when the guest posts buffers again. Frames are
 * plain Ethernet frames without any virtio header.
 *
 * Everything runs with vm->lock held: sends from the vCPU that kicked the
 * device, receives from event-loop handlers and timers.
 */
#ifndef HOVER_HOST_NET_H
#define HOVER_HOST_NET_H

#include <netinet/in.h>
#include <sys/uio.h>

#include "include/hover/types.h"

struct evloop;
struct timer_list;

#define NET_MAX_HOSTFWD 16
#define NET_IFNAME_MAX 16 /* IFNAMSIZ, terminating NUL included */
#define NET_FRAME_MAX 65536 /* the largest frame any backend hands over */

enum net_type { NET_USER = 1, NET_TAP };

struct net_hostfwd {
	bool udp;
	struct in_addr host_addr; /* default 127.0.0.1 */
	u16 host_port;
	struct in_addr guest_addr; /* default 10.0.2.15, the first DHCP lease */
	u16 guest_port;
};

struct net_config {
	enum net_type type;
	u8 mac[6];
	bool mac_set; /* mac= given; otherwise the machine picks one */
	/* user */
	bool restrict_guest; /* restrict=on: the guest reaches nothing outside */
	unsigned nfwd;
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];
	/* tap */
	char ifname[NET_IFNAME_MAX];
};

/* The device side: called by the backend with vm->lock held. */
struct net_frontend {
	/*
	 * One frame for the guest. 0: taken (or deliberately dropped, e.g. the
	 * driver is not ready); -EAGAIN: no receive buffer now, offer it again
	 * after net_backend_rx_ready().
	 */
	int (*receive)(void *opaque, const u8 *frame, size_t len);
	/* Optional: the end of a burst of receive() calls (interrupt the guest now). */
	void (*flush)(void *opaque);
	void *opaque;
};

struct net_backend;

struct net_backend_ops {
	/* One frame from the guest. 0, or -errno if it was dropped. */
	int (*send)(struct net_backend *be, const struct iovec *iov, unsigned iovcnt);
	/* The queue of held-back frames drained: the backend may produce again. */
	void (*rx_resume)(struct net_backend *be);
	void (*destroy)(struct net_backend *be);
};

struct net_rxq_entry {
	u8 *buf;
	size_t len;
};

#define NET_RXQ_MAX 256

/* Common part of every backend (embedded first in each backend's struct). */
struct net_backend {
	const struct net_backend_ops *ops;
	struct net_frontend fe;
	const char *kind; /* "user", "tap" */
	u16 mtu;          /* the largest IP packet the backend carries; 0: 1500 */
	bool csum_valid;  /* frames it delivers carry correct checksums (made locally) */
	/* Frames the frontend could not take yet, oldest first. */
	struct net_rxq_entry rxq[NET_RXQ_MAX];
	unsigned rxq_head, rxq_len;
	u64 rx_dropped, tx_dropped;
};

/*
 * Parse a --net value: "user[,hostfwd=tcp:ADDR:HPORT-:GPORT]...[,restrict=on|off][,mac=M]"
 * or "tap,ifname=NAME[,mac=M]". On error: -EINVAL and one sentence in err
 * naming the bad part.
 */
int net_parse(const char *spec, struct net_config *cfg, char *err, size_t errlen) HOVER_WUR;

/* One hostfwd rule, "tcp:127.0.0.1:2222-:22" (what follows "hostfwd="). */
int net_parse_hostfwd(const char *s, struct net_hostfwd *fwd, char *err, size_t errlen) HOVER_WUR;

/*
 * Open the backend cfg describes, with its fds and timers on the VM's event
 * loop. The frontend may be set later (before the guest can run) with
 * net_backend_set_frontend(). On failure: -errno and one sentence in err.
 */
int net_backend_create(struct net_backend **out, const struct net_config *cfg,
		       struct evloop *el, struct timer_list *timers, char *err,
		       size_t errlen) HOVER_WUR;
void net_backend_destroy(struct net_backend *be);
void net_backend_set_frontend(struct net_backend *be, const struct net_frontend *fe);

static inline int net_backend_send(struct net_backend *be, const struct iovec *iov,
				   unsigned iovcnt)
{
	return be->ops->send(be, iov, iovcnt);
}

/* The frontend has receive buffers again. */
void net_backend_rx_ready(struct net_backend *be);

/*
 * For backends: hand a frame to the frontend or queue it. 0, or -ENOBUFS if
 * dropped. After a burst, call net_backend_rx_flush() so the frontend
 * interrupts the guest once for all of it.
 */
int net_backend_deliver(struct net_backend *be, const u8 *frame, size_t len);
static inline void net_backend_rx_flush(struct net_backend *be)
{
	if (be->fe.flush)
		be->fe.flush(be->fe.opaque);
}

/* For backends: true while frames wait for the frontend (stop producing). */
static inline bool net_backend_rx_blocked(const struct net_backend *be)
{
	return be->rxq_len > 0;
}

/* Backend constructors (net.c dispatches on cfg->type). */
int net_slirp_create(struct net_backend **out, const struct net_config *cfg,
		     struct evloop *el, struct timer_list *timers, char *err,
		     size_t errlen) HOVER_WUR;
int net_tap_create(struct net_backend **out, const struct net_config *cfg,
		   struct evloop *el, char *err, size_t errlen) HOVER_WUR;

#endif
