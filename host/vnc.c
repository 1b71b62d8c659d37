// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VNC server (vnc.h). libvncserver does the protocol (RFC 6143:
 * handshake, VNC authentication, encodings, DesktopSize); this file owns the
 * listening socket (TCP or unix, so libvncserver never listens anywhere by
 * itself), feeds it the screen, and turns viewers' key and pointer events
 * into PS/2 input.
 *
 * The thread's loop: accept a waiting viewer, let libvncserver serve its
 * viewers for up to 20 ms, pass queued input to the i8042, and about 30
 * times a second bring the framebuffer up to date (refresh). Everything
 * libvncserver does runs here, with att_lock held so a machine is not
 * detached under it, and without vm->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <rfb/rfb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "host/keymap.h"
#include "host/vnc.h"
#include "host/vnc_lib.h"
#include "hw/i8042.h"
#include "hw/vga.h"

#define REFRESH_NS (33 * 1000000ULL)
#define BLINK_NS (266 * 1000000ULL)
#define BAND 16
#define KEYQ 512
#define CLIENT_WAIT_MS 3000 /* a viewer that takes no data this long is dropped */

struct key_ev {
	u16 key;
	bool down;
};

struct vnc_server {
	struct vnc_lib lib;
	struct display_config cfg;
	const struct keymap *km;
	int listen_fd;
	rfbScreenInfoPtr screen;
	char *passwords[2];
	u32 *fb;      /* what viewers see: libvncserver's default 32-bit format (R in byte 0) */
	u32 *scratch; /* a render in XRGB8888 */
	unsigned w, h;
	pthread_t thread;
	bool started;
	_Atomic bool quit;
	vm_thread_enter_fn *enter;
	void *enter_opaque;

	pthread_mutex_t att_lock; /* the machine below, against vnc_detach */
	struct vm *vm;
	struct vga *vga;
	struct i8042 *kbc;
	u64 *dirty;
	size_t dirty_words;
	bool full;     /* redraw everything at the next refresh */
	u32 last_gen;
	bool blink, shown_blink; /* the text cursor's phase, and the one on screen */
	u64 next_refresh, next_blink;

	/* input waiting for room in the i8042's buffers */
	struct key_ev keyq[KEYQ];
	unsigned kq_head, kq_n;
	unsigned shift_down, altgr_down; /* modifier keys the viewer holds */
	/* Per key: modifiers we pressed for it because its character needs them. */
	u8 synth_mods[0x200];
	int px, py;
	bool pointer_seen;
	int mdx, mdy;
	u8 mbuttons;
	bool mouse_pending;
};

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/* ---- input ---- */

static void key_push(struct vnc_server *v, u16 key, bool down)
{
	if (v->kq_n == KEYQ)
		return; /* a viewer typing faster than the guest reads for seconds: drop */
	v->keyq[(v->kq_head + v->kq_n++) % KEYQ] = (struct key_ev){ key, down };
}

static void on_key(rfbBool down, rfbKeySym sym, rfbClientPtr cl)
{
	struct vnc_server *v = cl->screen->screenData;
	u16 key;
	u8 mods, add = 0;

	if (!keymap_lookup(v->km, (u32)sym, &key, &mods))
		return;
	if (key == KEY_LSHIFT || key == KEY_RSHIFT) {
		if (down)
			v->shift_down++;
		else if (v->shift_down)
			v->shift_down--;
	}
	if (key == KEY_ALTGR)
		v->altgr_down = down;
	if (down) {
		if ((mods & KEYMAP_SHIFT) && !v->shift_down)
			add |= KEYMAP_SHIFT;
		if ((mods & KEYMAP_ALTGR) && !v->altgr_down)
			add |= KEYMAP_ALTGR;
		if (add & KEYMAP_SHIFT)
			key_push(v, KEY_LSHIFT, true);
		if (add & KEYMAP_ALTGR)
			key_push(v, KEY_ALTGR, true);
		v->synth_mods[key & 0x1ff] = add;
		key_push(v, key, true);
		return;
	}
	key_push(v, key, false);
	add = v->synth_mods[key & 0x1ff];
	v->synth_mods[key & 0x1ff] = 0;
	if (add & KEYMAP_ALTGR)
		key_push(v, KEY_ALTGR, false);
	if (add & KEYMAP_SHIFT)
		key_push(v, KEY_LSHIFT, false);
}

/* RFB buttons: bit 0 left, 1 middle, 2 right. PS/2: bit 0 left, 1 right, 2 middle. */
static void on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc_server *v = cl->screen->screenData;
	u8 b = (u8)((mask & 1) | ((mask & 4) ? 2 : 0) | ((mask & 2) ? 4 : 0));

	if (v->pointer_seen) {
		v->mdx += x - v->px;
		v->mdy += y - v->py;
	}
	v->px = x;
	v->py = y;
	v->pointer_seen = true;
	if (b != v->mbuttons || v->mdx || v->mdy)
		v->mouse_pending = true;
	v->mbuttons = b;
}

/* With att_lock held: pass what the i8042 has room for. */
static void flush_input(struct vnc_server *v)
{
	if (!v->kbc || (!v->kq_n && !v->mouse_pending))
		return;
	pthread_mutex_lock(&v->vm->lock);
	while (v->kq_n) {
		const struct key_ev *e = &v->keyq[v->kq_head];

		if (!i8042_key(v->kbc, e->key, e->down))
			break;
		v->kq_head = (v->kq_head + 1) % KEYQ;
		v->kq_n--;
	}
	if (v->mouse_pending) {
		int dx = v->mdx < -255 ? -255 : v->mdx > 255 ? 255 : v->mdx;
		int dy = v->mdy < -255 ? -255 : v->mdy > 255 ? 255 : v->mdy;

		if (i8042_mouse(v->kbc, dx, dy, v->mbuttons)) {
			v->mdx -= dx;
			v->mdy -= dy;
			v->mouse_pending = v->mdx || v->mdy;
		}
	}
	pthread_mutex_unlock(&v->vm->lock);
}

/* ---- the screen ---- */

/* XRGB8888 -> libvncserver's default true-colour layout (red in the low byte). */
static void to_viewer(u32 *dst, const u32 *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		u32 c = src[i];

		dst[i] = ((c >> 16) & 0xff) | (c & 0xff00) | ((c & 0xff) << 16);
	}
}

static int resize(struct vnc_server *v, unsigned w, unsigned h)
{
	u32 *fb = calloc((size_t)w * h, 4), *scratch = calloc((size_t)w * h, 4), *old = v->fb;

	if (!fb || !scratch) {
		free(fb);
		free(scratch);
		return -ENOMEM;
	}
	free(v->scratch);
	v->fb = fb;
	v->scratch = scratch;
	v->w = w;
	v->h = h;
	/* Tells every viewer that asked for DesktopSize; the old buffer is ours to free. */
	v->lib.NewFramebuffer(v->screen, (char *)fb, (int)w, (int)h, 8, 3, 4);
	free(old);
	v->full = true;
	return 0;
}

/*
 * Lines [y0, y1) of scratch (already in the viewer's format) against what
 * viewers have: copy and mark the columns that differ (a blinking cursor is
 * one cell, not a band of lines). Everything, after a resize or a new viewer.
 */
static void mark_changed(struct vnc_server *v, unsigned width, unsigned y0, unsigned y1)
{
	unsigned x0 = width, x1 = 0;

	for (unsigned y = y0; y < y1; y++) {
		const u32 *a = v->fb + (size_t)y * width, *b = v->scratch + (size_t)y * width;
		unsigned l = 0, r = width;

		if (!v->full) {
			while (l < r && a[l] == b[l])
				l++;
			while (r > l && a[r - 1] == b[r - 1])
				r--;
		}
		if (l < r) {
			x0 = l < x0 ? l : x0;
			x1 = r > x1 ? r : x1;
		}
	}
	if (x0 >= x1)
		return;
	for (unsigned y = y0; y < y1; y++)
		memcpy(v->fb + (size_t)y * width + x0, v->scratch + (size_t)y * width + x0,
		       (size_t)(x1 - x0) * 4);
	v->lib.MarkRectAsModified(v->screen, (int)x0, (int)y0, (int)x1, (int)y1);
}

/* VBE: the lines of pages the guest wrote since the last look (the dirty log). */
static void refresh_vbe(struct vnc_server *v, const struct vga_mode *m)
{
	u64 first_page = m->fb_offset >> 12;
	u64 last_byte = m->fb_offset + m->stride * (m->height - 1) + (u64)m->width * ((m->bpp + 7) / 8);
	u64 last_page = (last_byte - 1) >> 12;
	unsigned y = 0;

	memset(v->dirty, 0, v->dirty_words * 8);
	/* Without vm->lock: a sync may wait for a vCPU at an instruction boundary. */
	if (vm_dirty_log_sync(v->vm, v->vga->vram_region, v->dirty))
		v->full = true;
	while (y < m->height) {
		unsigned y0, y1;

		if (!v->full) {
			/* The next line holding a dirty page. */
			for (; y < m->height; y++) {
				u64 a = m->fb_offset + y * m->stride, p0 = a >> 12;
				u64 p1 = (a + (u64)m->width * ((m->bpp + 7) / 8) - 1) >> 12;
				bool hit = false;

				for (u64 p = p0; p <= p1 && !hit; p++)
					hit = p >= first_page && p <= last_page &&
					      (v->dirty[p / 64] >> (p % 64)) & 1;
				if (hit)
					break;
			}
			if (y >= m->height)
				break;
			y0 = y;
			for (y1 = y0 + 1; y1 < m->height; y1++) {
				u64 a = m->fb_offset + y1 * m->stride, p0 = a >> 12;
				u64 p1 = (a + (u64)m->width * ((m->bpp + 7) / 8) - 1) >> 12;
				bool hit = false;

				for (u64 p = p0; p <= p1 && !hit; p++)
					hit = (v->dirty[p / 64] >> (p % 64)) & 1;
				if (!hit)
					break;
			}
		} else {
			y0 = 0;
			y1 = m->height;
		}
		/*
		 * Without vm->lock: the lines are guest RAM (VRAM) and m is a copy of
		 * the mode; a pixel the guest changes meanwhile is marked dirty again
		 * and sent next time. vCPUs doing I/O never wait for this.
		 */
		vga_render_lines(v->vga, m, v->scratch, y0, y1);
		to_viewer(v->scratch + (size_t)y0 * m->width, v->scratch + (size_t)y0 * m->width,
			  (size_t)(y1 - y0) * m->width);
		for (unsigned b = y0; b < y1; b += BAND)
			mark_changed(v, m->width, b, b + BAND < y1 ? b + BAND : y1);
		y = y1;
	}
	v->full = false;
}

/* Text and the other legacy modes: re-render on change, mark the rectangles that differ. */
static void refresh_legacy(struct vnc_server *v, const struct vga_mode *m, u32 gen, bool blink)
{
	if (!v->full && gen == v->last_gen && blink == v->shown_blink)
		return;
	pthread_mutex_lock(&v->vm->lock);
	vga_render(v->vga, m, v->scratch, blink);
	pthread_mutex_unlock(&v->vm->lock);
	to_viewer(v->scratch, v->scratch, (size_t)m->width * m->height);
	for (unsigned y0 = 0; y0 < m->height; y0 += BAND)
		mark_changed(v, m->width, y0, y0 + BAND < m->height ? y0 + BAND : m->height);
	v->last_gen = gen;
	v->shown_blink = blink;
	v->full = false;
}

static void refresh(struct vnc_server *v, u64 now)
{
	struct vga_mode m;
	u32 gen;

	if (!v->vga)
		return;
	if (!v->screen->clientHead) { /* nobody watches: no work, and the next viewer gets all */
		v->full = true;
		return;
	}
	if (now >= v->next_blink) {
		v->next_blink = now + BLINK_NS;
		v->blink = !v->blink;
	}
	pthread_mutex_lock(&v->vm->lock);
	vga_get_mode(v->vga, &m);
	gen = atomic_load(&v->vga->legacy_gen);
	pthread_mutex_unlock(&v->vm->lock);
	if ((m.width != v->w || m.height != v->h) && resize(v, m.width, m.height))
		return;
	if (m.kind == VGA_KIND_VBE)
		refresh_vbe(v, &m);
	else
		refresh_legacy(v, &m, gen, v->blink);
}

/* ---- the thread ---- */

static void accept_viewers(struct vnc_server *v)
{
	for (;;) {
		int fd = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (!v->lib.NewClient(v->screen, fd))
			close(fd);
	}
}

static void *vnc_thread(void *opaque)
{
	struct vnc_server *v = opaque;

	if (v->enter && v->enter(v->enter_opaque, VM_THREAD_DISPLAY, 0))
		return NULL;
	while (!atomic_load(&v->quit)) {
		u64 now;

		pthread_mutex_lock(&v->att_lock);
		accept_viewers(v);
		v->lib.ProcessEvents(v->screen, 0);
		flush_input(v);
		now = now_ns();
		if (now >= v->next_refresh) {
			v->next_refresh = now + REFRESH_NS;
			refresh(v, now);
		}
		pthread_mutex_unlock(&v->att_lock);
		/* Wait for viewers' input or the next refresh without holding att_lock. */
		{
			fd_set fds;
			int maxfd = v->listen_fd;
			struct timeval tv = { 0, 15000 };
			rfbClientIteratorPtr it = v->lib.GetClientIterator(v->screen);
			rfbClientPtr cl;

			FD_ZERO(&fds);
			FD_SET(v->listen_fd, &fds);
			while ((cl = v->lib.ClientIteratorNext(it))) {
				if (cl->sock >= 0 && cl->sock < FD_SETSIZE) {
					FD_SET(cl->sock, &fds);
					if (cl->sock > maxfd)
						maxfd = cl->sock;
				}
			}
			v->lib.ReleaseClientIterator(it);
			select(maxfd + 1, &fds, NULL, NULL, &tv);
		}
	}
	return NULL;
}

/* ---- set-up ---- */

static int listen_tcp(const struct display_config *c, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res, *ai;
	char port[8];
	int fd = -1, one = 1, gai;

	snprintf(port, sizeof(port), "%u", c->port);
	gai = getaddrinfo(c->host, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "vnc=%s:%u: %s (an address such as 127.0.0.1)", c->host,
			 c->port, gai_strerror(gai));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 8) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "vnc=%s:%u: cannot listen: %s (is the port in use?)", c->host,
			 c->port, strerror(errno));
		return -EADDRINUSE;
	}
	return fd;
}

static int listen_unix(const struct display_config *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(c->path); /* a stale socket from an earlier run */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		int e = errno;

		umask(old);
		close(fd);
		snprintf(err, errlen, "vnc=unix:%s: cannot listen: %s", c->path, strerror(e));
		return -e;
	}
	umask(old);
	return fd;
}

static int read_password(struct vnc_server *v, char *err, size_t errlen)
{
	FILE *f = fopen(v->cfg.password_file, "re");
	char line[256];

	if (!f || !fgets(line, sizeof(line), f)) {
		snprintf(err, errlen, "password-file=%s: %s (a file whose first line is the "
			 "password)", v->cfg.password_file, f ? "empty" : strerror(errno));
		if (f)
			fclose(f);
		return -EINVAL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0]) {
		snprintf(err, errlen, "password-file=%s: the first line is empty", v->cfg.password_file);
		return -EINVAL;
	}
	/* VNC authentication uses the first 8 bytes (RFC 6143 7.2.2). */
	v->passwords[0] = strdup(line);
	v->passwords[1] = NULL;
	explicit_bzero(line, sizeof(line));
	return v->passwords[0] ? 0 : -ENOMEM;
}

static void rfb_log_quiet(const char *fmt, ...)
{
	(void)fmt;
}

int vnc_start(struct vnc_server *v, vm_thread_enter_fn *enter, void *opaque)
{
	v->enter = enter;
	v->enter_opaque = opaque;
	if (pthread_create(&v->thread, NULL, vnc_thread, v))
		return -EAGAIN;
	v->started = true;
	return 0;
}

int vnc_create(struct vnc_server **out, const struct display_config *cfg, char *err,
	       size_t errlen)
{
	struct vnc_server *v = calloc(1, sizeof(*v));
	int argc = 0, ret;

	if (!v)
		return -ENOMEM;
	v->cfg = *cfg;
	v->km = keymap_find(cfg->keymap);
	v->listen_fd = -1;
	pthread_mutex_init(&v->att_lock, NULL);
	if (!v->km) {
		snprintf(err, errlen, "keymap=%s: unknown layout (us or de)", cfg->keymap);
		ret = -EINVAL;
		goto err;
	}
	if (cfg->password_file[0]) {
		ret = read_password(v, err, errlen);
		if (ret)
			goto err;
	}
	ret = cfg->vnc_unix ? listen_unix(cfg, err, errlen) : listen_tcp(cfg, err, errlen);
	if (ret < 0)
		goto err;
	v->listen_fd = ret;
	ret = vnc_lib_open(&v->lib, err, errlen);
	if (ret)
		goto err;
	*v->lib.Log = rfb_log_quiet;
	*v->lib.Err = rfb_log_quiet;
	v->w = 720;
	v->h = 400;
	v->fb = calloc((size_t)v->w * v->h, 4);
	v->scratch = calloc((size_t)v->w * v->h, 4);
	v->screen = v->fb && v->scratch ? v->lib.GetScreen(&argc, NULL, (int)v->w, (int)v->h, 8, 3, 4)
					: NULL;
	if (!v->screen) {
		ret = -ENOMEM;
		snprintf(err, errlen, "cannot set up the VNC server: out of memory");
		goto err;
	}
	v->screen->screenData = v;
	v->screen->frameBuffer = (char *)v->fb;
	v->screen->desktopName = "hover";
	v->screen->port = 0; /* hover listens itself (TCP or unix) and hands viewers over */
	v->screen->ipv6port = 0;
	v->screen->autoPort = FALSE;
	v->screen->alwaysShared = TRUE; /* several viewers at once */
	v->screen->kbdAddEvent = on_key;
	v->screen->ptrAddEvent = on_pointer;
	v->screen->maxClientWait = CLIENT_WAIT_MS;
	v->screen->handleEventsEagerly = TRUE;
	if (v->passwords[0]) {
		v->screen->authPasswdData = v->passwords;
		v->screen->passwordCheck = v->lib.CheckPasswordByList;
	}
	v->lib.InitServer(v->screen);
	*out = v;
	return 0;
err:
	vnc_destroy(v);
	return ret;
}

void vnc_destroy(struct vnc_server *v)
{
	if (!v)
		return;
	atomic_store(&v->quit, true);
	if (v->started)
		pthread_join(v->thread, NULL);
	if (v->screen) {
		v->lib.ShutdownServer(v->screen, TRUE);
		v->lib.ScreenCleanup(v->screen);
	}
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	if (v->cfg.vnc_unix && v->listen_fd >= 0)
		unlink(v->cfg.path);
	if (v->passwords[0]) {
		explicit_bzero(v->passwords[0], strlen(v->passwords[0]));
		free(v->passwords[0]);
	}
	free(v->dirty);
	free(v->fb);
	free(v->scratch);
	vnc_lib_close(&v->lib);
	pthread_mutex_destroy(&v->att_lock);
	free(v);
}

int vnc_attach(struct vnc_server *v, struct vm *vm, struct vga *vga, struct i8042 *kbc)
{
	size_t words = vm_dirty_bitmap_words(vm, vga->vram_region);
	u64 *bits = calloc(words ? words : 1, sizeof(u64));
	int ret;

	if (!bits)
		return -ENOMEM;
	ret = vm_dirty_log_start(vm);
	if (ret) {
		free(bits);
		return ret;
	}
	pthread_mutex_lock(&v->att_lock);
	free(v->dirty);
	v->dirty = bits;
	v->dirty_words = words;
	v->vm = vm;
	v->vga = vga;
	v->kbc = kbc;
	v->full = true;
	v->kq_n = 0;
	pthread_mutex_unlock(&v->att_lock);
	return 0;
}

void vnc_detach(struct vnc_server *v)
{
	pthread_mutex_lock(&v->att_lock);
	v->vm = NULL;
	v->vga = NULL;
	v->kbc = NULL;
	pthread_mutex_unlock(&v->att_lock);
}
