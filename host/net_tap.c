// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TAP backend (Documentation/networking/tuntap.rst): the guest's frames are
 * read and written on /dev/net/tun attached to interface `ifname` with
 * IFF_TAP | IFF_NO_PI, one Ethernet frame per read()/write(). The interface
 * exists while hover holds it, or longer if it was made persistent (`ip
 * tuntap add NAME mode tap user USER`, which also lets that user open it
 * without CAP_NET_ADMIN); bridging it is the host's business.
 *
 * Flow control: while frames wait for the guest to post receive buffers we
 * stop reading the tap, and the kernel queues (then drops) on its side.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "host/net.h"
#include "include/hover/evloop.h"
#include "include/hover/log.h"

#define TAP_DEV "/dev/net/tun"
#define TAP_READ_BURST 64 /* frames per wake-up, so one busy tap cannot starve the loop */

struct net_tap {
	struct net_backend be;
	struct evloop *el;
	int fd;
	bool in_loop;
	bool reading;
	char ifname[NET_IFNAME_MAX];
	u8 *rxbuf;
};

static void set_reading(struct net_tap *t, bool on)
{
	if (!t->in_loop || t->reading == on)
		return;
	if (evloop_mod_fd(t->el, t->fd, on ? EPOLLIN : 0) == 0)
		t->reading = on;
}

static void on_readable(void *opaque, int fd, u32 events)
{
	struct net_tap *t = opaque;

	for (int i = 0; i < TAP_READ_BURST; i++) {
		ssize_t n = read(fd, t->rxbuf, NET_FRAME_MAX);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_ratelimited(LOG_WARN, "net tap %s: read: %s", t->ifname,
						strerror(errno));
			break;
		}
		if (n == 0)
			break;
		net_backend_deliver(&t->be, t->rxbuf, (size_t)n);
		if (net_backend_rx_blocked(&t->be)) {
			set_reading(t, false);
			break;
		}
	}
	net_backend_rx_flush(&t->be);
}

static int tap_send(struct net_backend *be, const struct iovec *iov, unsigned iovcnt)
{
	struct net_tap *t = (struct net_tap *)be;
	ssize_t n;

	do {
		n = writev(t->fd, iov, (int)iovcnt);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* EAGAIN: the interface's queue is full (or it is down); a NIC drops too. */
		be->tx_dropped++;
		if (errno != EAGAIN && errno != EIO)
			log_ratelimited(LOG_WARN, "net tap %s: write: %s", t->ifname,
					strerror(errno));
		return -errno;
	}
	return 0;
}

static void tap_rx_resume(struct net_backend *be)
{
	set_reading((struct net_tap *)be, true);
}

static void tap_destroy(struct net_backend *be)
{
	struct net_tap *t = (struct net_tap *)be;

	if (t->in_loop)
		evloop_del_fd(t->el, t->fd);
	if (t->fd >= 0)
		close(t->fd);
	free(t->rxbuf);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.send = tap_send,
	.rx_resume = tap_rx_resume,
	.destroy = tap_destroy,
};

int net_tap_create(struct net_backend **out, const struct net_config *cfg, struct evloop *el,
		   char *err, size_t errlen)
{
	struct net_tap *t = calloc(1, sizeof(*t));
	struct ifreq ifr = { 0 };
	int ret;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->be.ops = &tap_ops;
	t->be.kind = "tap";
	t->el = el;
	t->fd = -1;
	snprintf(t->ifname, sizeof(t->ifname), "%s", cfg->ifname);
	t->rxbuf = malloc(NET_FRAME_MAX);
	if (!t->rxbuf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	t->fd = open(TAP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap,ifname=%s: cannot open %s: %s%s", cfg->ifname, TAP_DEV,
			 strerror(errno),
			 errno == ENOENT ? " (load the tun module: modprobe tun)" : "");
		goto err;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->ifname);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap,ifname=%s: cannot attach to the interface: %s (%s)",
			 cfg->ifname, strerror(errno),
			 errno == EPERM ? "needs CAP_NET_ADMIN, or a tap made for this user with "
					  "`ip tuntap add NAME mode tap user USER`"
			 : errno == EBUSY ? "another process holds it"
			 : errno == EINVAL ? "is it a tun or non-tap interface?"
					   : "check the name");
		goto err;
	}
	ret = evloop_add_fd(el, t->fd, EPOLLIN, on_readable, t);
	if (ret) {
		snprintf(err, errlen, "tap,ifname=%s: cannot watch it: %s", cfg->ifname,
			 strerror(-ret));
		goto err;
	}
	t->in_loop = true;
	t->reading = true;
	*out = &t->be;
	return 0;
err:
	tap_destroy(&t->be);
	return ret;
}
