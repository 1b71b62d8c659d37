// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stdio console backend. Reading stops while the guest's UART FIFO is full
 * (the bytes wait in `pending`) and resumes when the UART drains, so pasted
 * text is never dropped and a guest that never reads cannot make us spin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "host/console_stdio.h"
#include "include/hover/log_cap.h"
#include "include/hover/evloop.h"

#define CTRL_A 0x01

struct console_stdio {
	struct console_stdio_config cfg;
	struct evloop *el;
	struct console_stdio_session own_session;
	struct console_stdio_session *session;
	bool reading;  /* in_fd is being polled */
	bool eof;
	u8 pending[256];
	size_t npending, pending_off;
};

static void set_reading(struct console_stdio *c, bool on)
{
	if (c->cfg.in_fd < 0 || c->eof || c->reading == on)
		return;
	if (on) {
		if (evloop_mod_fd(c->el, c->cfg.in_fd, EPOLLIN) == 0)
			c->reading = true;
	} else {
		if (evloop_mod_fd(c->el, c->cfg.in_fd, 0) == 0)
			c->reading = false;
	}
}

/* Push held-back input into the guest; true if all of it went in. */
static bool flush_pending(struct console_stdio *c)
{
	while (c->pending_off < c->npending) {
		size_t n = c->cfg.deliver(c->cfg.opaque, c->pending + c->pending_off,
					  c->npending - c->pending_off);
		if (n == 0)
			return false;
		c->pending_off += n;
	}
	c->npending = c->pending_off = 0;
	return true;
}

static void on_input(void *opaque, int fd, u32 events)
{
	struct console_stdio *c = opaque;
	u8 buf[256];
	ssize_t n;

	(void)events;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF (a closed pipe): keep the guest running without input. */
		evloop_del_fd(c->el, fd);
		c->eof = true;
		c->reading = false;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		u8 b = buf[i];

		if (c->session->escape) {
			c->session->escape = false;
			if (b == 'x' || b == 'X') {
				c->cfg.quit(c->cfg.opaque);
				return;
			}
			if (b != CTRL_A)
				continue; /* unknown escape: swallow it */
		} else if (b == CTRL_A) {
			c->session->escape = true;
			continue;
		}
		c->pending[c->npending++] = b;
	}
	if (!flush_pending(c))
		set_reading(c, false);
}

int console_stdio_create(struct console_stdio **out, struct evloop *el,
			 const struct console_stdio_config *cfg)
{
	struct console_stdio *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->el = el;
	c->session = cfg->session ? cfg->session : &c->own_session;
	if (cfg->in_fd >= 0) {
		ret = evloop_add_fd(el, cfg->in_fd, EPOLLIN, on_input, c);
		if (ret == -EPERM) {
			/* A regular file or /dev/null cannot be polled: no input then. */
			c->eof = true;
		} else if (ret) {
			free(c);
			return ret;
		} else {
			c->reading = true;
		}
	}
	*out = c;
	return 0;
}

void console_stdio_destroy(struct console_stdio *c)
{
	if (!c)
		return;
	if (c->cfg.in_fd >= 0 && !c->eof)
		evloop_del_fd(c->el, c->cfg.in_fd);
	free(c);
}

void console_stdio_write(struct console_stdio *c, const u8 *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(c->cfg.out_fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* stdout gone: the guest keeps running */
		}
		buf += n;
		len -= (size_t)n;
		if (c->cfg.session && c->cfg.session->out_cap)
			log_cap_wrote(c->cfg.session->out_cap, (size_t)n);
	}
}

void console_stdio_resume(struct console_stdio *c)
{
	if (flush_pending(c))
		set_reading(c, true);
}

/* ---- terminal mode: process-wide, because the terminal is ---- */

static struct termios saved_termios;
static int saved_fd = -1;

void term_restore(void)
{
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSAFLUSH, &saved_termios);
		saved_fd = -1;
	}
}

void term_raw_enter(int fd)
{
	struct termios t;

	if (!isatty(fd) || tcgetattr(fd, &saved_termios) < 0)
		return;
	saved_fd = fd;
	t = saved_termios;
	/* Raw input, but keep output post-processing off too: the guest sends \r\n itself. */
	cfmakeraw(&t);
	tcsetattr(fd, TCSAFLUSH, &t);
}
