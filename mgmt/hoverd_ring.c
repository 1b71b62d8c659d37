// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A VM's console ring (hoverd.h): the last `cap` bytes of console output at
 * absolute offsets, so a follower (logs --follow) that falls behind by more
 * than the ring skips to the oldest byte still held rather than reading junk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgmt/hoverd.h"

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf;
	size_t cap;
	u64 total;
	bool closed;
	unsigned refs;
};

int ring_create(struct ring **out, size_t cap)
{
	struct ring *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;

	if (!r || !(r->buf = malloc(cap))) {
		free(r);
		return -ENOMEM;
	}
	r->cap = cap;
	r->refs = 1;
	r->closed = true;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = r;
	return 0;
}

void ring_get(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->refs++;
	pthread_mutex_unlock(&r->lock);
}

void ring_put(struct ring *r)
{
	bool last;

	pthread_mutex_lock(&r->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->buf);
	free(r);
}

void ring_write(struct ring *r, const char *buf, size_t len)
{
	pthread_mutex_lock(&r->lock);
	if (len > r->cap) {
		r->total += len - r->cap;
		buf += len - r->cap;
		len = r->cap;
	}
	for (size_t done = 0; done < len;) {
		size_t at = (size_t)(r->total % r->cap), n = r->cap - at;

		if (n > len - done)
			n = len - done;
		memcpy(r->buf + at, buf + done, n);
		done += n;
		r->total += n;
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

u64 ring_end(struct ring *r)
{
	u64 t;

	pthread_mutex_lock(&r->lock);
	t = r->total;
	pthread_mutex_unlock(&r->lock);
	return t;
}

u64 ring_tail_lines(struct ring *r, unsigned lines)
{
	u64 pos, oldest;
	unsigned seen = 0;

	pthread_mutex_lock(&r->lock);
	pos = r->total;
	oldest = r->total > r->cap ? r->total - r->cap : 0;
	/* A final line still being written counts as one of the lines asked for. */
	if (pos > oldest && r->buf[(pos - 1) % r->cap] == '\n')
		pos--;
	while (pos > oldest) {
		if (r->buf[(pos - 1) % r->cap] == '\n' && ++seen == lines)
			break;
		pos--;
	}
	pthread_mutex_unlock(&r->lock);
	return lines ? pos : r->total;
}

size_t ring_read(struct ring *r, u64 *pos, char *buf, size_t max, int timeout_ms)
{
	size_t n = 0;
	u64 oldest;

	pthread_mutex_lock(&r->lock);
	if (*pos >= r->total && timeout_ms > 0 && !r->closed) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (*pos >= r->total && !r->closed)
			if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) == ETIMEDOUT)
				break;
	}
	oldest = r->total > r->cap ? r->total - r->cap : 0;
	if (*pos < oldest)
		*pos = oldest;
	while (n < max && *pos < r->total) {
		size_t at = (size_t)(*pos % r->cap), k = r->cap - at;

		if (k > max - n)
			k = max - n;
		if (k > r->total - *pos)
			k = (size_t)(r->total - *pos);
		memcpy(buf + n, r->buf + at, k);
		n += k;
		*pos += k;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

void ring_set_closed(struct ring *r, bool closed)
{
	pthread_mutex_lock(&r->lock);
	r->closed = closed;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

bool ring_closed(struct ring *r)
{
	bool c;

	pthread_mutex_lock(&r->lock);
	c = r->closed;
	pthread_mutex_unlock(&r->lock);
	return c;
}
