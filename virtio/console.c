// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-console with VIRTIO_CONSOLE_F_MULTIPORT (virtio 1.2 section 5.3).
 *
 * Queues (5.3.2): port 0 receiveq/transmitq are 0/1, the control
 * receiveq/transmitq 2/3, and port N >= 1 uses 2N+2 / 2N+3.
 *
 * The handshake (5.3.6.2), as Linux's drivers/char/virtio_console.c does it:
 * the driver sends DEVICE_READY; we answer DEVICE_ADD for every port; the
 * driver sends PORT_READY per port; we answer CONSOLE_PORT for port 0, and
 * PORT_NAME plus PORT_OPEN (is a host side connected?) for named ports.
 * The driver reports the guest opening/closing a port with PORT_OPEN.
 * Control messages for the driver wait in a short queue until it posts
 * control receive buffers.
 *
 * Data: guest output is copied out of the transmit chain; what a socket
 * client cannot take yet waits in `pending`, and until it drains we leave
 * further transmit buffers in the ring (the guest's writes then block).
 * Input from a client is read straight into the port's posted receive
 * buffers; with none posted we stop reading the socket until the driver
 * posts some.
 *
 * Hostile input: control messages shorter than their 8-byte header, for
 * ports that do not exist, or transmit chains with writable parts or above
 * CON_MAX_CHAIN bytes are refused (returned with length 0, rate-limited log).
 */
#include "virtio/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/log_cap.h"

#define VIRTIO_CONSOLE_F_MULTIPORT 1

/* Control events (5.3.6.2) */
#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7

#define CTRL_HDR 8 /* struct virtio_console_control: le32 id, le16 event, le16 value */
#define CTRL_RXQ 2
#define CTRL_TXQ 3
#define CTRL_PENDING_MAX 64
#define CON_QUEUE_SIZE 128
#define CON_MAX_CHAIN (1u << 20)

/* struct virtio_console_config (5.3.4) */
#define CFG_MAX_NR_PORTS 4
#define CFG_LEN 12

struct ctrl_msg {
	u8 buf[CTRL_HDR + VIRTIO_CONSOLE_NAME_MAX];
	size_t len;
};

struct vcon_port {
	struct virtio_console *c;
	unsigned id;
	struct virtio_console_port_config cfg; /* port 0: kind 0, nothing on the host */
	int listen_fd, conn_fd, file_fd;
	struct log_cap file_cap; /* file= ports: 16 MiB, then FILE.1 */
	u32 conn_events; /* what conn_fd is polled for */
	bool guest_ready;
	u8 *pending;
	size_t npending, pending_off;
};

struct virtio_console {
	struct virtio_dev vdev;
	struct evloop *el;
	unsigned nports; /* including port 0 */
	struct vcon_port port[VIRTIO_CONSOLE_MAX_PORTS + 1];
	u8 config[CFG_LEN];
	struct ctrl_msg ctrl[CTRL_PENDING_MAX];
	unsigned ctrl_head, ctrl_len;
	/* One per path that may nest: a control message handled may send one. */
	struct virtq_elem ctrl_in, ctrl_out, elem;
};

static void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void put32(u8 *p, u32 v) { put16(p, (u16)v); put16(p + 2, (u16)(v >> 16)); }
static u16 get16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 get32(const u8 *p) { return get16(p) | (u32)get16(p + 2) << 16; }

static unsigned rxq_of(unsigned id) { return id == 0 ? 0 : 2 * id + 2; }
static unsigned txq_of(unsigned id) { return rxq_of(id) + 1; }

static struct virtio_console *con_of(struct virtio_dev *vdev)
{
	return container_of(vdev, struct virtio_console, vdev);
}

static bool driver_live(struct virtio_console *c)
{
	return (c->vdev.status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(c->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
}

static void con_config_read(struct virtio_dev *vdev, u32 off, void *buf, u32 len)
{
	memcpy(buf, con_of(vdev)->config + off, len);
}

/* ---- control queue ---- */

static void ctrl_flush(struct virtio_console *c)
{
	struct virtq *vq = &c->vdev.vq[CTRL_RXQ];
	bool pushed = false;

	while (c->ctrl_len && driver_live(c)) {
		struct ctrl_msg *m = &c->ctrl[c->ctrl_head];

		if (virtq_pop(vq, &c->ctrl_in) <= 0)
			break;
		if (c->ctrl_in.in_len < m->len) {
			log_ratelimited(LOG_WARN, "%s: control buffer of %llu bytes, message needs "
					"%zu; refused", c->vdev.name,
					(unsigned long long)c->ctrl_in.in_len, m->len);
			virtq_push(vq, &c->ctrl_in, 0);
			pushed = true;
			continue;
		}
		virtq_iov_from_buf(&c->ctrl_in, 0, m->buf, m->len);
		virtq_push(vq, &c->ctrl_in, (u32)m->len);
		pushed = true;
		c->ctrl_head = (c->ctrl_head + 1) % CTRL_PENDING_MAX;
		c->ctrl_len--;
	}
	if (pushed)
		virtq_notify(vq);
}

static void ctrl_send(struct virtio_console *c, unsigned id, u16 event, u16 value,
		      const char *name)
{
	struct ctrl_msg *m;
	size_t nlen = name ? strlen(name) : 0;

	if (c->ctrl_len == CTRL_PENDING_MAX) {
		log_ratelimited(LOG_WARN, "%s: the driver takes no control messages; one dropped",
				c->vdev.name);
		return;
	}
	m = &c->ctrl[(c->ctrl_head + c->ctrl_len++) % CTRL_PENDING_MAX];
	put32(m->buf, id);
	put16(m->buf + 4, event);
	put16(m->buf + 6, value);
	if (nlen) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(m->buf + CTRL_HDR, name, nlen);
	m->len = CTRL_HDR + nlen;
	ctrl_flush(c);
}

static bool host_connected(const struct vcon_port *p)
{
	return p->conn_fd >= 0 || p->file_fd >= 0;
}

static void port_ready(struct virtio_console *c, struct vcon_port *p)
{
	p->guest_ready = true;
	if (p->id == 0) {
		ctrl_send(c, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
		return;
	}
	ctrl_send(c, p->id, VIRTIO_CONSOLE_PORT_NAME, 1, p->cfg.name);
	ctrl_send(c, p->id, VIRTIO_CONSOLE_PORT_OPEN, host_connected(p), NULL);
}

static void ctrl_handle(struct virtio_console *c, const struct virtq_elem *e)
{
	u8 hdr[CTRL_HDR];
	u32 id;
	u16 event, value;

	if (e->out_len < CTRL_HDR) {
		log_ratelimited(LOG_WARN, "%s: control message of %llu bytes (header is %d); refused",
				c->vdev.name, (unsigned long long)e->out_len, CTRL_HDR);
		return;
	}
	virtq_iov_to_buf(e, 0, hdr, sizeof(hdr));
	id = get32(hdr);
	event = get16(hdr + 4);
	value = get16(hdr + 6);
	if (event == VIRTIO_CONSOLE_DEVICE_READY) {
		if (value != 1)
			return;
		for (unsigned i = 0; i < c->nports; i++)
			ctrl_send(c, i, VIRTIO_CONSOLE_DEVICE_ADD, 0, NULL);
		return;
	}
	if (id >= c->nports) {
		log_ratelimited(LOG_WARN, "%s: control event %u for port %u, which does not exist; "
				"ignored", c->vdev.name, event, id);
		return;
	}
	if (event == VIRTIO_CONSOLE_PORT_READY && value == 1)
		port_ready(c, &c->port[id]);
	/* PORT_OPEN from the guest (it opened or closed the port): nothing to do. */
}

/* ---- ports: host side ---- */

static void set_conn_events(struct vcon_port *p, u32 events)
{
	if (p->conn_fd < 0 || p->conn_events == events)
		return;
	if (evloop_mod_fd(p->c->el, p->conn_fd, events) == 0)
		p->conn_events = events;
}

static void disconnect(struct vcon_port *p)
{
	struct virtio_console *c = p->c;

	evloop_del_fd(c->el, p->conn_fd);
	close(p->conn_fd);
	p->conn_fd = -1;
	free(p->pending);
	p->pending = NULL;
	p->npending = p->pending_off = 0;
	if (p->guest_ready && driver_live(c))
		ctrl_send(c, p->id, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL);
}

static void port_tx(struct virtio_console *c, struct vcon_port *p);

/* Client input into the port's receive buffers. */
static void port_rx(struct virtio_console *c, struct vcon_port *p)
{
	struct virtq *vq = &c->vdev.vq[rxq_of(p->id)];
	bool pushed = false;

	while (p->conn_fd >= 0 && driver_live(c)) {
		ssize_t n;

		if (virtq_pop(vq, &c->elem) <= 0) {
			/* No buffer: stop reading until the driver posts some (a kick). */
			set_conn_events(p, p->conn_events & ~(u32)EPOLLIN);
			break;
		}
		if (c->elem.in_num == 0) {
			virtq_push(vq, &c->elem, 0);
			pushed = true;
			continue;
		}
		n = readv(p->conn_fd, c->elem.iov + c->elem.out_num, (int)c->elem.in_num);
		if (n <= 0) {
			virtq_unpop(vq);
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				disconnect(p);
			break;
		}
		virtq_push(vq, &c->elem, (u32)n);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

static bool flush_pending(struct vcon_port *p)
{
	while (p->pending_off < p->npending) {
		ssize_t n = write(p->conn_fd, p->pending + p->pending_off,
				  p->npending - p->pending_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				disconnect(p);
			return false;
		}
		p->pending_off += (size_t)n;
	}
	free(p->pending);
	p->pending = NULL;
	p->npending = p->pending_off = 0;
	return true;
}

static void on_conn(void *opaque, int fd, u32 events)
{
	struct vcon_port *p = opaque;
	struct virtio_console *c = p->c;

	if ((events & EPOLLOUT) && p->pending) {
		if (flush_pending(p)) {
			set_conn_events(p, EPOLLIN);
			port_tx(c, p);
		}
		if (p->conn_fd < 0)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (driver_live(c))
			port_rx(c, p);
		else if (events & (EPOLLHUP | EPOLLERR))
			disconnect(p);
		else
			set_conn_events(p, p->conn_events & ~(u32)EPOLLIN);
	}
}

static void on_accept(void *opaque, int fd, u32 events)
{
	struct vcon_port *p = opaque;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	if (p->conn_fd >= 0 || evloop_add_fd(p->c->el, cfd, EPOLLIN, on_conn, p)) {
		close(cfd); /* one client at a time */
		return;
	}
	p->conn_fd = cfd;
	p->conn_events = EPOLLIN;
	if (p->guest_ready && driver_live(p->c))
		ctrl_send(p->c, p->id, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
}

/* Guest output on port p. */
static void port_tx(struct virtio_console *c, struct vcon_port *p)
{
	struct virtq *vq = &c->vdev.vq[txq_of(p->id)];
	bool pushed = false;

	while (!p->pending && driver_live(c) && virtq_pop(vq, &c->elem) > 0) {
		const struct virtq_elem *e = &c->elem;
		size_t len = (size_t)e->out_len;
		u8 *buf;

		pushed = true;
		if (e->in_num || e->out_len > CON_MAX_CHAIN) {
			log_ratelimited(LOG_WARN, "%s: port %u: transmit chain of %llu bytes with %u "
					"writable descriptors; refused", c->vdev.name, p->id,
					(unsigned long long)e->out_len, e->in_num);
			virtq_push(vq, e, 0);
			continue;
		}
		buf = malloc(len ? len : 1);
		if (!buf) {
			virtq_push(vq, e, 0);
			continue;
		}
		virtq_iov_to_buf(e, 0, buf, len);
		virtq_push(vq, e, 0);
		if (p->file_fd >= 0) {
			if (write(p->file_fd, buf, len) < 0)
				log_ratelimited(LOG_WARN, "%s: port %s: writing %s: %s", c->vdev.name,
						p->cfg.name, p->cfg.path, strerror(errno));
			else
				log_cap_wrote(&p->file_cap, len);
			free(buf);
		} else if (p->conn_fd >= 0) {
			p->pending = buf;
			p->npending = len;
			if (!flush_pending(p) && p->conn_fd >= 0)
				set_conn_events(p, p->conn_events | EPOLLOUT);
		} else {
			free(buf); /* nobody on the host side: port 0, or no client */
		}
	}
	if (pushed)
		virtq_notify(vq);
}

/* ---- device ops ---- */

static void con_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_console *c = con_of(vdev);
	struct virtq *vq = &vdev->vq[q];
	unsigned id;

	if (!driver_live(c))
		return;
	if (q == CTRL_TXQ) {
		bool pushed = false;

		while (virtq_pop(vq, &c->ctrl_out) > 0) {
			ctrl_handle(c, &c->ctrl_out);
			virtq_push(vq, &c->ctrl_out, 0);
			pushed = true;
		}
		if (pushed)
			virtq_notify(vq);
		return;
	}
	if (q == CTRL_RXQ) {
		ctrl_flush(c);
		return;
	}
	id = q < 2 ? 0 : (q - 2) / 2;
	if (id >= c->nports)
		return;
	if (q == txq_of(id)) {
		port_tx(c, &c->port[id]);
	} else if (c->port[id].conn_fd >= 0) {
		/* Receive buffers posted: read the client again. */
		set_conn_events(&c->port[id], c->port[id].conn_events | EPOLLIN);
		port_rx(c, &c->port[id]);
	}
}

static void con_reset(struct virtio_dev *vdev)
{
	struct virtio_console *c = con_of(vdev);

	c->ctrl_head = c->ctrl_len = 0;
	for (unsigned i = 0; i < c->nports; i++)
		c->port[i].guest_ready = false;
}

static const struct virtio_dev_ops con_ops = {
	.config_read = con_config_read,
	.queue_notify = con_queue_notify,
	.reset = con_reset,
};

/* ---- set-up ---- */

int virtio_console_parse_port(const char *spec, struct virtio_console_port_config *cfg,
			      char *err, size_t errlen)
{
	const char *hint = "try name=NAME,socket=PATH or name=NAME,file=PATH";
	char *copy = strdup(spec), *save = NULL, *tok;
	int ret = -EINVAL;

	memset(cfg, 0, sizeof(*cfg));
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val;

		if (!eq) {
			snprintf(err, errlen, "'%s': expected key=value (%s)", tok, hint);
			goto out;
		}
		*eq = '\0';
		val = eq + 1;
		if (!strcmp(tok, "name")) {
			if (!val[0] || strlen(val) >= VIRTIO_CONSOLE_NAME_MAX) {
				snprintf(err, errlen, "name=%s: 1 to %d characters", val,
					 VIRTIO_CONSOLE_NAME_MAX - 1);
				goto out;
			}
			strcpy(cfg->name, val);
		} else if (!strcmp(tok, "socket") || !strcmp(tok, "file")) {
			if (cfg->kind) {
				snprintf(err, errlen, "give one of socket= and file=, once");
				goto out;
			}
			if (!val[0] || strlen(val) >= VIRTIO_CONSOLE_PATH_MAX) {
				snprintf(err, errlen, "%s=%s: a path of 1 to %d characters", tok, val,
					 VIRTIO_CONSOLE_PATH_MAX - 1);
				goto out;
			}
			cfg->kind = !strcmp(tok, "socket") ? VIRTIO_CONSOLE_SOCKET : VIRTIO_CONSOLE_FILE;
			strcpy(cfg->path, val);
		} else {
			snprintf(err, errlen, "unknown option '%s' (%s)", tok, hint);
			goto out;
		}
	}
	if (!cfg->name[0] || !cfg->kind) {
		snprintf(err, errlen, "needs a name and a socket or file (%s)", hint);
		goto out;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

static int open_socket(struct vcon_port *p, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask;
	int fd, ret;

	/* A socket left by an earlier run is replaced; anything else is not ours to remove. */
	if (lstat(p->cfg.path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "--console-port name=%s: %s exists and is not a socket",
				 p->cfg.name, p->cfg.path);
			return -EEXIST;
		}
		unlink(p->cfg.path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	memcpy(a.sun_path, p->cfg.path, strlen(p->cfg.path) + 1);
	/* Born 0600: only this user may connect. The main thread builds the machine;
	 * no other thread creates files meanwhile. */
	old_mask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old_mask);
	if (ret < 0 || listen(fd, 1) < 0) {
		close(fd);
		goto err;
	}
	p->listen_fd = fd;
	return 0;
err:
	snprintf(err, errlen, "--console-port name=%s: cannot listen on %s: %s", p->cfg.name,
		 p->cfg.path, strerror(errno));
	return -errno;
}

int virtio_console_create(struct virtio_console **out, struct vm *vm, struct evloop *el,
			  const struct virtio_console_port_config *ports, unsigned nports,
			  char *err, size_t errlen)
{
	struct virtio_console *c;
	int ret;

	if (nports > VIRTIO_CONSOLE_MAX_PORTS) {
		snprintf(err, errlen, "--console-port: at most %d ports", VIRTIO_CONSOLE_MAX_PORTS);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->el = el;
	c->nports = nports + 1;
	for (unsigned i = 0; i < c->nports; i++) {
		struct vcon_port *p = &c->port[i];

		*p = (struct vcon_port){ .c = c, .id = i, .listen_fd = -1, .conn_fd = -1,
					 .file_fd = -1 };
	}
	ret = virtio_dev_init(&c->vdev, vm, &con_ops, VIRTIO_ID_CONSOLE, "virtio-console",
			      4 + 2 * nports);
	if (ret) {
		snprintf(err, errlen, "--console-port: %s", strerror(-ret));
		free(c);
		return ret;
	}
	for (unsigned q = 0; q < c->vdev.nqueues; q++)
		c->vdev.vq[q].max_size = c->vdev.vq[q].s.size = CON_QUEUE_SIZE;
	for (unsigned i = 1; i < c->nports; i++) {
		struct vcon_port *p = &c->port[i];

		p->cfg = ports[i - 1];
		for (unsigned j = 1; j < i; j++) {
			if (!strcmp(c->port[j].cfg.name, p->cfg.name)) {
				snprintf(err, errlen, "--console-port name=%s: given twice", p->cfg.name);
				ret = -EINVAL;
				goto err;
			}
		}
		if (p->cfg.kind == VIRTIO_CONSOLE_FILE) {
			p->file_fd = open(p->cfg.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (p->file_fd < 0) {
				ret = -errno;
				snprintf(err, errlen, "--console-port name=%s: cannot open %s: %s",
					 p->cfg.name, p->cfg.path, strerror(errno));
				goto err;
			}
			ret = log_cap_init(&p->file_cap, p->file_fd, p->cfg.path, LOG_CAP_DEFAULT);
			if (ret) {
				snprintf(err, errlen, "--console-port name=%s: cannot open %s.1: %s",
					 p->cfg.name, p->cfg.path, strerror(-ret));
				goto err;
			}
			continue;
		}
		ret = open_socket(p, err, errlen);
		if (ret)
			goto err;
		ret = evloop_add_fd(el, p->listen_fd, EPOLLIN, on_accept, p);
		if (ret) {
			close(p->listen_fd);
			p->listen_fd = -1;
			snprintf(err, errlen, "--console-port name=%s: %s", p->cfg.name,
				 strerror(-ret));
			goto err;
		}
	}
	c->vdev.host_features |= VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT);
	put32(c->config + CFG_MAX_NR_PORTS, c->nports);
	c->vdev.config_len = CFG_LEN;
	*out = c;
	return 0;
err:
	virtio_console_destroy(c);
	return ret;
}

struct virtio_dev *virtio_console_dev(struct virtio_console *c)
{
	return &c->vdev;
}

void virtio_console_destroy(struct virtio_console *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nports; i++) {
		struct vcon_port *p = &c->port[i];

		if (p->conn_fd >= 0) {
			evloop_del_fd(c->el, p->conn_fd);
			close(p->conn_fd);
		}
		if (p->listen_fd >= 0) {
			evloop_del_fd(c->el, p->listen_fd);
			close(p->listen_fd);
			unlink(p->cfg.path);
		}
		if (p->file_fd >= 0) {
			log_cap_fini(&p->file_cap);
			close(p->file_fd);
		}
		free(p->pending);
	}
	free(c);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * Beyond the virtio core: which ports the guest has declared ready, and the
 * control messages queued for a driver that has not posted buffers for them
 * yet. Host connections are the loading side's own; bytes the guest sent
 * that a client has not read yet are the host's, not the guest's.
 */
static int con_save(void *dev, struct state_writer *w)
{
	struct virtio_console *c = dev;

	virtio_dev_save(&c->vdev, w);
	state_put_u8(w, (u8)c->nports);
	for (unsigned i = 0; i < c->nports; i++)
		state_put_bool(w, c->port[i].guest_ready);
	state_put_u8(w, (u8)c->ctrl_len);
	for (unsigned i = 0; i < c->ctrl_len; i++) {
		const struct ctrl_msg *m = &c->ctrl[(c->ctrl_head + i) % CTRL_PENDING_MAX];

		state_put_u8(w, (u8)m->len);
		state_put_bytes(w, m->buf, m->len);
	}
	return 0;
}

static int con_load(void *dev, struct state_reader *r)
{
	struct virtio_console *c = dev;
	unsigned nports, nmsg;

	virtio_dev_load(&c->vdev, r);
	nports = state_get_u8(r);
	if (state_reader_error(r))
		return state_reader_error(r);
	if (nports != c->nports)
		return state_reader_fail(r, "%u ports saved, this device has %u", nports, c->nports);
	for (unsigned i = 0; i < nports; i++)
		c->port[i].guest_ready = state_get_bool(r);
	nmsg = state_get_u8(r);
	if (nmsg > CTRL_PENDING_MAX)
		return state_reader_fail(r, "%u control messages queued (at most %u)", nmsg,
					 CTRL_PENDING_MAX);
	c->ctrl_head = 0;
	c->ctrl_len = nmsg;
	for (unsigned i = 0; i < nmsg; i++) {
		struct ctrl_msg *m = &c->ctrl[i];

		m->len = state_get_u8(r);
		if (m->len < CTRL_HDR || m->len > sizeof(m->buf))
			return state_reader_fail(r, "a %zu-byte control message (%d to %zu)",
						 m->len, CTRL_HDR, sizeof(m->buf));
		state_get_bytes(r, m->buf, m->len);
	}
	return state_reader_error(r);
}

const struct dev_state_ops virtio_console_state_ops = {
	.section = "virtio-console", .version = 1, .save = con_save, .load = con_load,
};
