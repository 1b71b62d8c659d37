// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * User-mode networking with libslirp (libslirp.h, Debian libslirp-dev): a
 * NAT between the guest's Ethernet and the host's sockets, as QEMU's
 * "-netdev user" lays it out:
 *
 *   10.0.2.0/24   the guest network
 *   10.0.2.2      the host (connections to it go to the host's 127.0.0.1)
 *   10.0.2.3      DNS, forwarded to the host's resolver
 *   10.0.2.15     the first DHCP lease, and hostfwd's default guest address
 *
 * How slirp lives in hover's event loop. libslirp wants a poll()-style loop:
 * before sleeping, slirp_pollfds_fill() lists the sockets to watch (the set
 * changes as connections come and go) and a timeout for its TCP timers;
 * after waking, slirp_pollfds_poll() gets each socket's revents. Here the
 * sockets live in a private epoll set whose own fd is one entry in the VM's
 * event loop. After every call into slirp, refresh() runs the fill and
 * brings the private set up to date (epoll_ctl only for what changed), and
 * arms one VM timer for slirp's timeout (moved only when it must come
 * sooner: every timerfd re-arm is a syscall, and this runs once per frame).
 *
 * libslirp is called through slirp_lib.h's table, loaded when the first
 * backend is created: a VM without --net user never maps it (nor glib).
 */
#include <errno.h>
#include <libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "host/net.h"
#include "host/slirp_lib.h"
#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/timer.h"

#define SLIRP_NET "10.0.2.0"
#define SLIRP_MASK "255.255.255.0"
#define SLIRP_HOST "10.0.2.2"
#define SLIRP_DNS "10.0.2.3"
#define SLIRP_DHCP_START "10.0.2.15"
/*
 * The guest network's MTU, passed to the guest by virtio-net
 * (VIRTIO_NET_F_MTU). Every packet costs the guest CPU a trip through its
 * stack (emulated, with --accel emu), so bigger carries more per trip: at
 * 1500 guest->host TCP ran at 37 MB/s, at 9000 87, at 65520 133. But
 * libslirp's TCP has no window scaling, so the guest's receive window
 * toward slirp tops out at 64 KiB; with 65520 (or 16384) a window holds one
 * (or four) segments, the guest's rounding advertises zero windows, and
 * about 1 host->guest transfer in 20 (2.5 % at 16384) sat 10-20 s in
 * slirp's persist timer. 9000, the usual jumbo frame, keeps seven segments
 * per window: 0 stalls in 420 transfers, host->guest unchanged (~150 MB/s).
 */
#define SLIRP_MTU 9000

/* What we know of one fd in the private epoll set (indexed by fd number). */
struct slirp_fd {
	int events;  /* SLIRP_POLL_* registered in epoll; 0: not registered */
	int idx;     /* its index in this round's pfd[], or -1 */
	u32 round;   /* last fill round that asked for it */
};

struct slirp_pfd {
	int fd;
	int events;
	int revents;
};

struct net_slirp {
	struct net_backend be;
	struct slirp_lib lib; /* libslirp, loaded for this backend */
	Slirp *slirp;
	struct evloop *el;
	struct timer_list *timers;
	int epfd;
	bool in_loop; /* epfd registered in the VM's loop */

	struct timer tick; /* slirp's timeout, or "refresh now" after input */

	struct slirp_fd *fds;
	int nfds; /* size of fds[] */
	struct slirp_pfd *pfd;
	int npfd, cap_pfd;
	u32 round;

	u8 *txbuf; /* a guest frame gathered from its iovec for slirp_input */
};

struct slirp_timer {
	struct timer t;
	struct net_slirp *s;
	SlirpTimerCb cb; /* timer_new; NULL for timer_new_opaque timers */
	void *cb_opaque;
	SlirpTimerId id;
};

static u32 to_epoll(int ev)
{
	u32 e = 0;

	if (ev & SLIRP_POLL_IN)
		e |= EPOLLIN;
	if (ev & SLIRP_POLL_OUT)
		e |= EPOLLOUT;
	if (ev & SLIRP_POLL_PRI)
		e |= EPOLLPRI;
	return e;
}

static int from_epoll(u32 e)
{
	int ev = 0;

	if (e & EPOLLIN)
		ev |= SLIRP_POLL_IN;
	if (e & EPOLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (e & EPOLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (e & EPOLLERR)
		ev |= SLIRP_POLL_ERR;
	if (e & EPOLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

static int grow_fds(struct net_slirp *s, int fd)
{
	int n = s->nfds ? s->nfds : 64;
	struct slirp_fd *f;

	while (n <= fd)
		n *= 2;
	f = realloc(s->fds, (size_t)n * sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (int i = s->nfds; i < n; i++)
		f[i] = (struct slirp_fd){ .events = 0, .idx = -1, .round = 0 };
	s->fds = f;
	s->nfds = n;
	return 0;
}

/* Make the private epoll set watch fd for events (0: not at all). */
static void set_watch(struct net_slirp *s, int fd, int events)
{
	struct slirp_fd *f = &s->fds[fd];
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };

	if (f->events == events)
		return;
	if (events == 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
	} else if (f->events == 0) {
		/* EEXIST: a number reused before we saw the old fd go. */
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST)
			epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
	} else {
		/* ENOENT: the old fd was closed (and left the set) and the number reused. */
		if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
			epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
	f->events = events;
}

/* Drop what we knew of fd: it is about to close, or its number now names a new socket. */
static void forget_fd(struct net_slirp *s, int fd)
{
	if (fd < 0 || fd >= s->nfds)
		return;
	if (s->fds[fd].events)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
	s->fds[fd] = (struct slirp_fd){ .events = 0, .idx = -1, .round = 0 };
}

static int add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_pfd *p;

	if (fd < 0 || (fd >= s->nfds && grow_fds(s, fd)))
		return -1;
	if (s->npfd == s->cap_pfd) {
		int cap = s->cap_pfd ? s->cap_pfd * 2 : 32;

		p = realloc(s->pfd, (size_t)cap * sizeof(*p));
		if (!p)
			return -1;
		s->pfd = p;
		s->cap_pfd = cap;
	}
	p = &s->pfd[s->npfd];
	*p = (struct slirp_pfd){ .fd = fd, .events = events };
	/* The same fd twice in one round (slirp does not, but be safe): merge. */
	if (s->fds[fd].round == s->round && s->fds[fd].idx >= 0) {
		struct slirp_pfd *old = &s->pfd[s->fds[fd].idx];

		old->events |= events;
		set_watch(s, fd, old->events);
		return s->fds[fd].idx;
	}
	/*
	 * Absent from the last fill: possibly a new socket under a reused number
	 * (libslirp does not announce every new socket; its accept path passes
	 * register_poll_fd the wrong fd). epoll dropped the old one when it
	 * closed, so register it afresh rather than trust what we remember.
	 */
	if (s->fds[fd].round != s->round - 1)
		forget_fd(s, fd);
	s->fds[fd].round = s->round;
	s->fds[fd].idx = s->npfd;
	set_watch(s, fd, events);
	return s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;

	if (idx < 0 || idx >= s->npfd)
		return 0;
	return s->pfd[idx].revents;
}

/* Ask slirp what to watch now; update the epoll set and the timeout. */
static void refresh(struct net_slirp *s)
{
	u32 timeout = UINT32_MAX;

	s->round++;
	s->npfd = 0;
	s->lib.pollfds_fill(s->slirp, &timeout, add_poll, s);
	for (int fd = 0; fd < s->nfds; fd++) {
		struct slirp_fd *f = &s->fds[fd];

		if (f->round != s->round) {
			f->idx = -1;
			set_watch(s, fd, 0);
		}
	}
	/*
	 * Waking early costs one poll; re-arming costs a timerfd syscall and
	 * happens after every frame: move the tick only when it must come sooner.
	 */
	if (timeout != UINT32_MAX) {
		u64 due = timer_now(&s->tick) + (u64)timeout * 1000000ULL;

		if (!s->tick.armed || s->tick.deadline_ns > due)
			timer_mod(&s->tick, due);
	}
}

/* Let slirp handle whatever is ready (nothing, on a timeout), then refresh. */
static void poll_slirp(struct net_slirp *s)
{
	struct epoll_event evs[64];
	int n;

	for (int i = 0; i < s->npfd; i++)
		s->pfd[i].revents = 0;
	n = epoll_wait(s->epfd, evs, 64, 0);
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		if (fd >= 0 && fd < s->nfds && s->fds[fd].idx >= 0 && s->fds[fd].round == s->round)
			s->pfd[s->fds[fd].idx].revents |= from_epoll(evs[i].events);
	}
	s->lib.pollfds_poll(s->slirp, n < 0, get_revents, s);
	net_backend_rx_flush(&s->be);
	refresh(s);
}

static void on_epoll(void *opaque, int fd, u32 events)
{
	poll_slirp(opaque);
}

static void on_tick(void *opaque)
{
	poll_slirp(opaque);
}

/* ---- slirp callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;

	/* Dropping when the queue is full is fine: slirp's TCP retransmits. */
	net_backend_deliver(&s->be, buf, len);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	log_ratelimited(LOG_WARN, "net user: guest error: %s", msg);
}

/* slirp's timer deadlines come back through cb_timer_mod: they must be on the timer list's clock. */
static int64_t cb_clock_get_ns(void *opaque)
{
	struct net_slirp *s = opaque;

	return (int64_t)timer_list_now(s->timers);
}

static void slirp_timer_fire(void *opaque)
{
	struct slirp_timer *st = opaque;
	struct net_slirp *s = st->s;

	if (st->cb)
		st->cb(st->cb_opaque);
	else
		s->lib.handle_timer(s->slirp, st->id, st->cb_opaque);
	net_backend_rx_flush(&s->be);
	refresh(s);
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->s = s;
	st->cb = cb;
	st->cb_opaque = cb_opaque;
	timer_init(&st->t, s->timers, slirp_timer_fire, st);
	return st;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->s = s;
	st->id = id;
	st->cb_opaque = cb_opaque;
	timer_init(&st->t, s->timers, slirp_timer_fire, st);
	return st;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_timer *st = timer;

	if (!st)
		return;
	timer_del(&st->t);
	free(st);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *st = timer;

	if (st)
		timer_mod(&st->t, expire_ms < 0 ? 0 : (u64)expire_ms * 1000000ULL);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	/*
	 * A new socket. Its number may be that of one closed without our
	 * hearing of it (which epoll dropped by itself): start from nothing,
	 * so the next fill adds it for real. Watched once the fill asks for it.
	 */
	forget_fd(opaque, fd);
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	forget_fd(opaque, fd);
}

static void cb_notify(void *opaque)
{
	struct net_slirp *s = opaque;

	timer_mod(&s->tick, 0);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* ---- backend ops ---- */

static int slirp_send(struct net_backend *be, const struct iovec *iov, unsigned iovcnt)
{
	struct net_slirp *s = (struct net_slirp *)be;
	size_t len = 0;

	for (unsigned i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > NET_FRAME_MAX - len) {
			be->tx_dropped++;
			return -EMSGSIZE;
		}
		memcpy(s->txbuf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	s->lib.input(s->slirp, s->txbuf, (int)len);
	/* slirp may have opened sockets or queued data on them: watch what it wants now. */
	refresh(s);
	return 0;
}

static void slirp_rx_resume(struct net_backend *be)
{
	/* Nothing held back on our side: slirp's TCP paces itself by the guest's window. */
}

static void slirp_destroy(struct net_backend *be)
{
	struct net_slirp *s = (struct net_slirp *)be;

	timer_del(&s->tick);
	if (s->in_loop)
		evloop_del_fd(s->el, s->epfd);
	if (s->slirp)
		s->lib.cleanup(s->slirp);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->fds);
	free(s->pfd);
	free(s->txbuf);
	slirp_lib_close(&s->lib);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.send = slirp_send,
	.rx_resume = slirp_rx_resume,
	.destroy = slirp_destroy,
};

int net_slirp_create(struct net_backend **out, const struct net_config *cfg,
		     struct evloop *el, struct timer_list *timers, char *err, size_t errlen)
{
	struct net_slirp *s = calloc(1, sizeof(*s));
	SlirpConfig sc = { .version = 4 };
	int ret;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->be.ops = &slirp_ops;
	s->be.kind = "user";
	s->be.mtu = SLIRP_MTU;
	s->be.csum_valid = true;
	s->el = el;
	s->timers = timers;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->txbuf = malloc(NET_FRAME_MAX);
	timer_init(&s->tick, timers, on_tick, s);
	if (s->epfd < 0 || !s->txbuf) {
		ret = s->epfd < 0 ? -errno : -ENOMEM;
		snprintf(err, errlen, "user networking: %s", strerror(-ret));
		goto err;
	}
	ret = slirp_lib_open(&s->lib, err, errlen);
	if (ret)
		goto err;

	sc.restricted = cfg->restrict_guest;
	sc.in_enabled = true;
	inet_pton(AF_INET, SLIRP_NET, &sc.vnetwork);
	inet_pton(AF_INET, SLIRP_MASK, &sc.vnetmask);
	inet_pton(AF_INET, SLIRP_HOST, &sc.vhost);
	inet_pton(AF_INET, SLIRP_DHCP_START, &sc.vdhcp_start);
	inet_pton(AF_INET, SLIRP_DNS, &sc.vnameserver);
	sc.in6_enabled = false;
	sc.vhostname = "hover";
	sc.if_mtu = SLIRP_MTU;
	sc.if_mru = SLIRP_MTU;
	sc.disable_host_loopback = false; /* 10.0.2.2 reaches the host's 127.0.0.1 */
	s->slirp = s->lib.new(&sc, &slirp_callbacks, s);
	if (!s->slirp) {
		ret = -ENOMEM;
		snprintf(err, errlen, "user networking: libslirp refused to start");
		goto err;
	}
	for (unsigned i = 0; i < cfg->nfwd; i++) {
		const struct net_hostfwd *f = &cfg->fwd[i];
		char ha[INET_ADDRSTRLEN], ga[INET_ADDRSTRLEN];

		if (s->lib.add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
				       f->guest_port) < 0) {
			ret = -EADDRINUSE;
			inet_ntop(AF_INET, &f->host_addr, ha, sizeof(ha));
			inet_ntop(AF_INET, &f->guest_addr, ga, sizeof(ga));
			snprintf(err, errlen,
				 "hostfwd=%s:%s:%u-%s:%u: cannot listen on %s port %u of the host "
				 "(in use, or not an address of this host?)",
				 f->udp ? "udp" : "tcp", ha, f->host_port, ga, f->guest_port,
				 f->udp ? "UDP" : "TCP", f->host_port);
			goto err;
		}
	}
	ret = evloop_add_fd(el, s->epfd, EPOLLIN, on_epoll, s);
	if (ret) {
		snprintf(err, errlen, "user networking: cannot watch its sockets: %s",
			 strerror(-ret));
		goto err;
	}
	s->in_loop = true;
	/* A first poll sets slirp's clock, which stamps the expiry of UDP sockets. */
	poll_slirp(s);
	*out = &s->be;
	return 0;
err:
	slirp_destroy(&s->be);
	return ret;
}
