// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration, the source side (issue 13; channel format in
 * migration/migrate_wire.h). Pre-copy, as QEMU and Xen do it:
 *
 *   1. greet, send the machine's options and RAM layout, turn on dirty
 *      logging (core/dirty_log.c: the emu TLB's write path and device DMA
 *      mark pages; kvm asks the kernel);
 *   2. copy every non-zero page while the guest runs;
 *   3. rounds: take the pages dirtied meanwhile and copy them again, until
 *      what is left would take less than the downtime limit at the rate the
 *      last round achieved (or after max_rounds, when the guest dirties
 *      faster than the link: then the last copy is simply longer, and the
 *      progress says it did not converge);
 *   4. pause, take vm->lock, copy the last dirty pages, then the vCPUs and
 *      devices exactly as a snapshot holds them (pc_state_save);
 *   5. wait for the destination's "ready", send "commit", stop ("migrated").
 *
 * Any failure before the commit — the destination refuses, dies, goes quiet,
 * the VM stops — undoes the pause (if this side paused it) and leaves the VM
 * running where it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "include/hover/timer.h"
#include "machine/pc_migrate.h"
#include "machine/pc_snapshot.h"
#include "migration/migrate_chan.h"
#include "migration/stream.h"

#define PAGE 4096ULL
#define IO_TIMEOUT_MS 30000
#define READY_TIMEOUT_MS 60000

struct out {
	struct pc *pc;
	struct vm *vm;
	const struct pc_migrate_params *p;
	struct pc_migrate_progress prog;
	pc_migrate_report_fn *report;
	void *opaque;
	const _Atomic bool *cancel;
	/* The batch being filled: entries, and the data of its non-zero pages. */
	u32 count, ndata;
	u8 *hdr;  /* tag, count, entries */
	u8 *data;
	/* Pages dirty and not yet sent, per RAM region. */
	u64 *pending[RAM_MAX_REGIONS];
	u64 *scratch;
	/* Bandwidth limit: bytes sent since limit_t0. */
	u64 limit_t0, limit_bytes;
	char *err;
	size_t errlen;
};

static void report(struct out *o)
{
	if (o->report)
		o->report(o->opaque, &o->prog);
}

static bool page_is_zero(const u8 *p)
{
	const u64 *w = (const u64 *)p;

	for (unsigned i = 0; i < PAGE / 8; i += 4)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
			return false;
	return true;
}

/*
 * The destination may have said why it gives up ('N' and a sentence) before
 * closing: prefer its reason to our errno.
 */
static int peer_failed(struct out *o, int ret, const char *doing)
{
	u8 tag, len4[4];
	char msg[512];

	if (ret != -ETIMEDOUT && migrate_chan_recv(o->p->fd, &tag, 1, 500) == 0 &&
	    tag == MIGRATE_TAG_NACK && migrate_chan_recv(o->p->fd, len4, 4, 500) == 0) {
		u32 n = migrate_get32(len4);

		if (n >= sizeof(msg))
			n = sizeof(msg) - 1;
		if (migrate_chan_recv(o->p->fd, msg, n, 500) == 0) {
			msg[n] = '\0';
			snprintf(o->err, o->errlen, "the destination refused the VM: %s", msg);
			return -ECONNABORTED;
		}
	}
	snprintf(o->err, o->errlen, "%s: %s%s", doing,
		 ret == -ECONNRESET || ret == -EPIPE ? "the destination closed the connection"
						     : strerror(-ret),
		 ret == -ETIMEDOUT ? " (the destination stopped answering)" : "");
	return ret;
}

static int send_all(struct out *o, const void *buf, size_t len)
{
	int ret = migrate_chan_send(o->p->fd, buf, len, IO_TIMEOUT_MS);

	if (ret)
		return peer_failed(o, ret, "sending to the destination");
	o->prog.bytes_sent += len;
	o->limit_bytes += len;
	return 0;
}

/* --bandwidth: sleep until the bytes sent so far fit the budget. */
static void throttle(struct out *o)
{
	u64 due, now;

	if (!o->p->bandwidth)
		return;
	due = o->limit_t0 + (u64)((double)o->limit_bytes * 1e9 / (double)o->p->bandwidth);
	now = clock_ns();
	if (due > now) {
		struct timespec ts = { (time_t)((due - now) / 1000000000ULL),
				       (long)((due - now) % 1000000000ULL) };

		nanosleep(&ts, NULL);
	}
}

static int flush(struct out *o)
{
	u8 crc4[4];
	uLong crc;
	size_t hl = 5 + 8 * (size_t)o->count;
	int ret;

	if (!o->count)
		return 0;
	if ((o->cancel && atomic_load(o->cancel)) || vm_stopped(o->vm) != VM_RUNNING) {
		snprintf(o->err, o->errlen, "the VM stopped during the migration");
		return -ECANCELED;
	}
	/* The destination gives up by talking: look before sending more. */
	if (migrate_chan_readable(o->p->fd))
		return peer_failed(o, -ECONNRESET, "sending to the destination");
	o->hdr[0] = MIGRATE_TAG_PAGES;
	migrate_put32(o->hdr + 1, o->count);
	crc = crc32(0L, o->hdr, (uInt)hl);
	crc = crc32(crc, o->data, (uInt)(o->ndata * PAGE));
	migrate_put32(crc4, (u32)crc);
	ret = send_all(o, o->hdr, hl);
	if (!ret)
		ret = send_all(o, o->data, o->ndata * PAGE);
	if (!ret)
		ret = send_all(o, crc4, 4);
	o->prog.pages_sent += o->ndata;
	o->count = o->ndata = 0;
	report(o);
	if (!ret)
		throttle(o);
	return ret;
}

/* Queue one page; zero pages go as a flag (skip_zero: not at all, the destination's are zero). */
static int add_page(struct out *o, u64 gpa, const u8 *hva, bool skip_zero)
{
	bool zero = page_is_zero(hva);

	if (zero && skip_zero)
		return 0;
	if (zero) {
		migrate_put64(o->hdr + 5 + 8 * (size_t)o->count++, gpa | MIGRATE_ZERO);
	} else {
		migrate_put64(o->hdr + 5 + 8 * (size_t)o->count++, gpa);
		/* A copy: the guest may write the page while it waits in the batch. */
		memcpy(o->data + PAGE * o->ndata++, hva, PAGE);
	}
	return o->count == MIGRATE_BATCH_MAX ? flush(o) : 0;
}

static int send_setup(struct out *o)
{
	struct stream_writer *sw;
	struct state_writer *w;
	const struct guest_ram *ram = &o->vm->ram;
	const u8 *data;
	size_t len;
	u8 hdr[5];
	int ret = stream_writer_create(&sw);

	if (ret)
		return ret;
	ret = pc_state_put_args(sw, o->p->args, o->p->nargs);
	w = stream_begin_section(sw, "ram", 0, 1);
	state_put_u32(w, ram->nregions);
	for (unsigned i = 0; i < ram->nregions; i++) {
		state_put_u64(w, ram->region[i].gpa);
		state_put_u64(w, ram->region[i].size);
	}
	if (!ret)
		ret = stream_end_section(sw);
	if (!ret)
		ret = stream_writer_finish(sw, &data, &len);
	if (!ret) {
		hdr[0] = MIGRATE_TAG_SETUP;
		migrate_put32(hdr + 1, (u32)len);
		ret = send_all(o, hdr, 5);
		if (!ret)
			ret = send_all(o, data, len);
	} else {
		snprintf(o->err, o->errlen, "cannot encode the machine's options: %s",
			 strerror(-ret));
	}
	stream_writer_destroy(sw);
	return ret;
}

static int hello(struct out *o)
{
	u8 h[MIGRATE_HELLO_LEN];
	int ret;

	migrate_hello_encode(h, MIGRATE_WIRE_VERSION);
	ret = send_all(o, h, sizeof(h));
	if (ret)
		return ret;
	ret = migrate_chan_recv(o->p->fd, h, sizeof(h), IO_TIMEOUT_MS);
	if (ret)
		return peer_failed(o, ret, "waiting for the destination's greeting");
	return migrate_hello_decode(h, "the destination", o->err, o->errlen);
}

/*
 * The first full copy. Pages the guest never touched are holes in the RAM's
 * memfd: SEEK_DATA skips them without reading (a read would allocate them,
 * and scanning a big idle guest would cost the host its whole RAM size).
 */
static int send_all_ram(struct out *o)
{
	const struct guest_ram *ram = &o->vm->ram;
	int ret = 0;

	for (unsigned r = 0; r < ram->nregions && !ret; r++) {
		const struct ram_region *rg = &ram->region[r];
		bool seek = !rg->file_mapped;

		for (u64 off = 0; off < rg->size && !ret;) {
			if (seek && off % (64 * PAGE) == 0) {
				off_t data = lseek(rg->fd, (off_t)off, SEEK_DATA);

				if ((data < 0 && errno == ENXIO) || (data >= 0 && (u64)data >= rg->size))
					break; /* only holes from here */
				seek = data >= 0; /* a kernel without SEEK_DATA here: read everything */
				if ((u64)data > off) {
					off = (u64)data & ~(PAGE - 1);
					continue;
				}
			}
			ret = add_page(o, rg->gpa + off, rg->hva + off, true);
			off += PAGE;
		}
	}
	return ret ? ret : flush(o);
}

/* Take the dirty marks into pending; returns the number of pending pages. */
static long collect_dirty(struct out *o)
{
	struct vm *vm = o->vm;
	long n = 0;

	for (unsigned r = 0; r < vm->ram.nregions; r++) {
		size_t words = vm_dirty_bitmap_words(vm, r);
		int ret = vm_dirty_log_sync(vm, r, o->scratch);

		if (ret) {
			snprintf(o->err, o->errlen, "cannot read the dirty log: %s", strerror(-ret));
			return ret;
		}
		for (size_t i = 0; i < words; i++) {
			o->pending[r][i] |= o->scratch[i];
			n += __builtin_popcountll(o->pending[r][i]);
		}
	}
	return n;
}

static int send_pending(struct out *o)
{
	const struct guest_ram *ram = &o->vm->ram;
	int ret = 0;

	for (unsigned r = 0; r < ram->nregions && !ret; r++) {
		size_t words = vm_dirty_bitmap_words(o->vm, r);

		for (size_t i = 0; i < words && !ret; i++) {
			u64 bits = o->pending[r][i];

			o->pending[r][i] = 0;
			while (bits && !ret) {
				u64 off = (i * 64 + (u64)__builtin_ctzll(bits)) * PAGE;

				bits &= bits - 1;
				ret = add_page(o, ram->region[r].gpa + off, ram->region[r].hva + off,
					       false);
			}
		}
	}
	return ret ? ret : flush(o);
}

/* The last part, with the VM paused under vm->lock. */
static int stop_and_copy(struct out *o)
{
	struct stream_writer *meta = NULL, *dev = NULL;
	const u8 *m, *d;
	size_t ml, dl;
	u8 hdr[5], tag;
	int ret;

	if (collect_dirty(o) < 0)
		return -EIO;
	ret = send_pending(o);
	if (ret)
		return ret;
	ret = stream_writer_create(&meta);
	if (!ret)
		ret = stream_writer_create(&dev);
	if (!ret)
		ret = pc_state_save(o->pc, meta, dev, o->p->args, o->p->nargs, o->err, o->errlen);
	if (!ret)
		ret = stream_writer_finish(meta, &m, &ml);
	if (!ret)
		ret = stream_writer_finish(dev, &d, &dl);
	if (ret) {
		if (!o->err[0])
			snprintf(o->err, o->errlen, "cannot save the VM's state: %s", strerror(-ret));
		goto out;
	}
	hdr[0] = MIGRATE_TAG_FINAL;
	migrate_put32(hdr + 1, (u32)ml);
	ret = send_all(o, hdr, 5);
	if (!ret)
		ret = send_all(o, m, ml);
	migrate_put32(hdr, (u32)dl);
	if (!ret)
		ret = send_all(o, hdr, 4);
	if (!ret)
		ret = send_all(o, d, dl);
	if (ret)
		goto out;
	o->prog.phase = "handshake";
	ret = migrate_chan_recv(o->p->fd, &tag, 1, READY_TIMEOUT_MS);
	if (ret) {
		ret = peer_failed(o, ret, "waiting for the destination to load the VM");
		goto out;
	}
	if (tag != MIGRATE_TAG_READY) {
		if (tag == MIGRATE_TAG_NACK) {
			u8 len4[4];
			char msg[512];
			u32 n = 0;

			if (migrate_chan_recv(o->p->fd, len4, 4, 500) == 0) {
				n = migrate_get32(len4);
				n = n < sizeof(msg) ? n : sizeof(msg) - 1;
				if (migrate_chan_recv(o->p->fd, msg, n, 500))
					n = 0;
			}
			msg[n] = '\0';
			snprintf(o->err, o->errlen, "the destination refused the VM: %s", msg);
		} else {
			snprintf(o->err, o->errlen, "the destination answered 0x%02x, not ready "
				 "(a damaged connection?)", tag);
		}
		ret = -ECONNABORTED;
		goto out;
	}
	/* The disks' write locks go with the VM: let go before the destination is told to run. */
	pc_disks_unlock(o->pc);
	tag = MIGRATE_TAG_COMMIT;
	ret = send_all(o, &tag, 1);
	if (ret && pc_disks_lock(o->pc, o->err + strlen(o->err), o->errlen - strlen(o->err)))
		log_error("the disks' locks could not be taken back after a failed commit");
out:
	stream_writer_destroy(meta);
	stream_writer_destroy(dev);
	return ret;
}

static int alloc(struct out *o)
{
	struct vm *vm = o->vm;
	size_t max_words = 0;

	o->hdr = malloc(5 + 8 * MIGRATE_BATCH_MAX);
	o->data = malloc(PAGE * MIGRATE_BATCH_MAX);
	for (unsigned r = 0; r < vm->ram.nregions; r++) {
		size_t w = vm_dirty_bitmap_words(vm, r);

		o->pending[r] = calloc(w ? w : 1, sizeof(u64));
		if (!o->pending[r])
			return -ENOMEM;
		max_words = w > max_words ? w : max_words;
	}
	o->scratch = calloc(max_words ? max_words : 1, sizeof(u64));
	return o->hdr && o->data && o->scratch ? 0 : -ENOMEM;
}

static void release(struct out *o)
{
	free(o->hdr);
	free(o->data);
	free(o->scratch);
	for (unsigned r = 0; r < RAM_MAX_REGIONS; r++)
		free(o->pending[r]);
}

/* Rounds of dirty pages while the guest runs, until the rest is small enough (or enough rounds). */
static int precopy(struct out *o)
{
	for (;;) {
		u64 t0 = clock_ns(), b0 = o->prog.bytes_sent, dt;
		long dirty = collect_dirty(o);
		int ret;

		if (dirty < 0)
			return -EIO;
		o->prog.remaining_bytes = (u64)dirty * PAGE;
		o->prog.expected_downtime_ns = o->prog.rate ? (u64)((double)o->prog.remaining_bytes *
							1e9 / (double)o->prog.rate) : 0;
		report(o);
		/*
		 * At least one round after the full copy: what the guest wrote during
		 * that long copy is better sent while it runs than while it waits.
		 */
		if ((o->prog.rounds || o->p->max_rounds == 0) && o->prog.rate &&
		    o->prog.expected_downtime_ns <= o->p->max_downtime_ns) {
			o->prog.converged = true;
			return 0;
		}
		if (o->prog.rounds >= o->p->max_rounds)
			return 0;
		o->prog.rounds++;
		ret = send_pending(o);
		if (ret)
			return ret;
		dt = clock_ns() - t0;
		/* A round that sent little says little about the link: keep the better estimate. */
		if (dt && (o->prog.bytes_sent - b0 > 4 * MiB || !o->prog.rate))
			o->prog.rate = (u64)((double)(o->prog.bytes_sent - b0) * 1e9 / (double)dt);
		if (!o->prog.rate)
			o->prog.rate = 1;
	}
}

int pc_migrate_out(struct pc *pc, const struct pc_migrate_params *p, pc_migrate_report_fn *rep,
		   void *opaque, const _Atomic bool *cancel, char *err, size_t errlen)
{
	struct out o = { .pc = pc, .vm = pc_vm(pc), .p = p, .report = rep, .opaque = opaque,
			 .cancel = cancel, .err = err, .errlen = errlen };
	struct vm *vm = o.vm;
	u64 t_start = clock_ns(), t_pause = 0, b0;
	bool was_paused = false, locked = false;
	int ret;

	err[0] = 0;
	o.prog.phase = "precopy";
	o.limit_t0 = t_start;
	ret = alloc(&o);
	if (!ret)
		ret = hello(&o);
	if (!ret)
		ret = send_setup(&o);
	if (!ret) {
		ret = vm_dirty_log_start(vm);
		if (ret)
			snprintf(err, errlen, "the %s engine cannot log dirty pages: %s",
				 vm->accel->name, strerror(-ret));
	}
	/* The first full copy also measures the link for the first estimate. */
	b0 = o.prog.bytes_sent;
	if (!ret)
		ret = send_all_ram(&o);
	if (!ret) {
		u64 dt = clock_ns() - t_start;

		o.prog.rate = dt ? (u64)((double)(o.prog.bytes_sent - b0) * 1e9 / (double)dt) : 1;
		ret = precopy(&o);
	}
	if (!ret) {
		o.prog.phase = "stop-and-copy";
		report(&o);
		pthread_mutex_lock(&vm->lock);
		locked = true;
		was_paused = pc_paused(pc);
		t_pause = clock_ns();
		if (!was_paused)
			pc_pause(pc);
		ret = pc_wait_parked(pc);
		if (ret)
			snprintf(err, errlen, "the vCPUs did not stop for the migration: %s",
				 strerror(-ret));
	}
	if (!ret)
		ret = stop_and_copy(&o);
	vm_dirty_log_stop(vm);
	o.prog.total_ns = clock_ns() - t_start;
	if (!ret) {
		o.prog.downtime_ns = clock_ns() - t_pause;
		o.prog.phase = "completed";
		o.prog.remaining_bytes = 0;
		vm_request_stop(vm, VM_MIGRATED, "migrated (%llu MiB sent in %.0f ms, paused %.1f ms)",
				(unsigned long long)(o.prog.bytes_sent / MiB), o.prog.total_ns / 1e6,
				o.prog.downtime_ns / 1e6);
	} else if (locked && !was_paused) {
		pc_resume(pc);
	}
	if (locked)
		pthread_mutex_unlock(&vm->lock);
	if (ret && !err[0])
		snprintf(err, errlen, "%s", strerror(-ret));
	report(&o);
	release(&o);
	return ret;
}
