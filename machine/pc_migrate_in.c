// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration, the destination side (issue 13; channel format in
 * migration/migrate_wire.h). `hover run --incoming` accepts one connection,
 * greets, reads the machine's options (pc_migrate_in_open), builds that
 * board without a kernel (pc_config.restore), then pc_migrate_in_run takes
 * page batches into guest RAM until the final record, loads the vCPUs and
 * devices as a snapshot restore does (disks checked first), says ready and
 * waits for the commit. Nothing from the source is used before it is
 * checked: batch sizes and page addresses against the machine's RAM, every
 * record's checksum, the state streams section by section.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "include/hover/state.h"
#include "include/hover/timer.h"
#include "lib/state_buf.h"
#include "machine/pc_migrate.h"
#include "machine/pc_snapshot.h"
#include "migration/migrate_chan.h"
#include "migration/stream.h"

#define PAGE 4096ULL
/* The source may pause between records (bandwidth limit, a slow round), never this long. */
#define IO_TIMEOUT_MS 60000

struct pc_migrate_in {
	int fd;
	char **args;
	unsigned nargs;
	u32 nregions;
	u64 gpa[RAM_MAX_REGIONS], size[RAM_MAX_REGIONS];
};

static int recv_fail(int ret, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what,
		 ret == -ECONNRESET ? "the source closed the connection (it gave up or died; the "
				      "VM runs on there)"
		 : ret == -ETIMEDOUT ? "the source sent nothing for 60 s"
				     : strerror(-ret));
	return ret;
}

void pc_migrate_in_refuse(int fd, const char *why)
{
	u8 hdr[5];
	size_t n = strlen(why);

	hdr[0] = MIGRATE_TAG_NACK;
	migrate_put32(hdr + 1, (u32)n);
	if (migrate_chan_send(fd, hdr, 5, 1000) == 0 && migrate_chan_send(fd, why, n, 1000) == 0)
		return;
}

/* A length-prefixed state stream of at most MIGRATE_STATE_MAX bytes, malloc'ed. */
static int recv_blob(int fd, u8 **out, u32 *len, const char *what, char *err, size_t errlen)
{
	u8 l4[4];
	int ret = migrate_chan_recv(fd, l4, 4, IO_TIMEOUT_MS);

	*out = NULL;
	if (ret)
		return recv_fail(ret, what, err, errlen);
	*len = migrate_get32(l4);
	if (*len > MIGRATE_STATE_MAX) {
		snprintf(err, errlen, "%s: %u bytes, more than a VM's state can be (the stream is "
			 "damaged)", what, *len);
		return -EINVAL;
	}
	*out = malloc(*len ? *len : 1);
	if (!*out)
		return -ENOMEM;
	ret = migrate_chan_recv(fd, *out, *len, IO_TIMEOUT_MS);
	if (ret) {
		free(*out);
		*out = NULL;
		return recv_fail(ret, what, err, errlen);
	}
	return 0;
}

static int read_ram_layout(struct pc_migrate_in *m, const u8 *buf, u32 len, char *err,
			   size_t errlen)
{
	struct stream_reader sr;
	struct stream_section sec;
	bool seen = false;
	int ret = stream_reader_init(&sr, buf, len, err, errlen);

	while (!ret && (ret = stream_reader_next(&sr, &sec, err, errlen)) == 1) {
		struct state_reader *r = &sec.payload;

		ret = 0;
		if (strcmp(sec.name, "ram"))
			continue; /* "machine": pc_state_get_args */
		m->nregions = state_get_u32(r);
		if (m->nregions > RAM_MAX_REGIONS) {
			snprintf(err, errlen, "section 'ram': %u RAM regions (at most %d)",
				 m->nregions, RAM_MAX_REGIONS);
			return -EINVAL;
		}
		for (u32 i = 0; i < m->nregions; i++) {
			m->gpa[i] = state_get_u64(r);
			m->size[i] = state_get_u64(r);
		}
		ret = state_reader_error(r);
		if (ret)
			snprintf(err, errlen, "section 'ram': %s", state_reader_message(r));
		seen = true;
	}
	if (!ret && !seen) {
		snprintf(err, errlen, "the source's setup has no 'ram' section");
		ret = -EINVAL;
	}
	return ret;
}

int pc_migrate_in_open(struct pc_migrate_in **out, int fd, char *err, size_t errlen)
{
	struct pc_migrate_in *m = calloc(1, sizeof(*m));
	u8 h[MIGRATE_HELLO_LEN], tag;
	u8 *setup = NULL;
	u32 len = 0;
	int ret;

	if (!m)
		return -ENOMEM;
	m->fd = fd;
	ret = migrate_chan_recv(fd, h, sizeof(h), IO_TIMEOUT_MS);
	if (ret) {
		recv_fail(ret, "waiting for the source's greeting", err, errlen);
		goto fail;
	}
	/* Our greeting goes back whatever theirs said: the source names a mismatch too. */
	ret = migrate_hello_decode(h, "the source", err, errlen);
	migrate_hello_encode(h, MIGRATE_WIRE_VERSION);
	if (migrate_chan_send(fd, h, sizeof(h), IO_TIMEOUT_MS) && !ret) {
		snprintf(err, errlen, "the source closed the connection before the greeting");
		ret = -ECONNRESET;
	}
	if (ret)
		goto fail;
	ret = migrate_chan_recv(fd, &tag, 1, IO_TIMEOUT_MS);
	if (ret) {
		recv_fail(ret, "waiting for the machine's options", err, errlen);
		goto fail;
	}
	if (tag != MIGRATE_TAG_SETUP) {
		snprintf(err, errlen, "the source sent record 0x%02x first, not the machine's "
			 "options", tag);
		ret = -EPROTO;
		goto fail;
	}
	ret = recv_blob(fd, &setup, &len, "the machine's options", err, errlen);
	if (!ret)
		ret = pc_state_get_args(setup, len, &m->args, &m->nargs, err, errlen);
	if (!ret)
		ret = read_ram_layout(m, setup, len, err, errlen);
	free(setup);
	if (ret)
		goto fail;
	*out = m;
	return 0;
fail:
	pc_migrate_in_close(m);
	return ret;
}

unsigned pc_migrate_in_args(const struct pc_migrate_in *m, const char *const **args)
{
	*args = (const char *const *)m->args;
	return m->nargs;
}

void pc_migrate_in_close(struct pc_migrate_in *m)
{
	if (!m)
		return;
	pc_state_free_args(m->args, m->nargs);
	free(m);
}

static int recv_batch(struct pc_migrate_in *m, struct vm *vm, u64 *entries, u8 *data,
		      struct pc_migrate_in_stats *st, char *err, size_t errlen)
{
	u8 hdr[5] = { MIGRATE_TAG_PAGES }, crc4[4];
	uLong crc;
	u32 count;
	long ndata;
	u8 *raw = (u8 *)entries; /* the entries as they came, for the checksum; decoded in place */
	int ret = migrate_chan_recv(m->fd, hdr + 1, 4, IO_TIMEOUT_MS);

	if (ret)
		return recv_fail(ret, "receiving pages", err, errlen);
	count = migrate_get32(hdr + 1);
	if (count == 0 || count > MIGRATE_BATCH_MAX) {
		snprintf(err, errlen, "a page batch of %u pages (1 to %u allowed; the stream is "
			 "damaged)", count, MIGRATE_BATCH_MAX);
		return -EINVAL;
	}
	ret = migrate_chan_recv(m->fd, raw, 8 * (size_t)count, IO_TIMEOUT_MS);
	if (ret)
		return recv_fail(ret, "receiving pages", err, errlen);
	crc = crc32(crc32(0L, hdr, 5), raw, 8 * count);
	for (u32 i = 0; i < count; i++)
		entries[i] = migrate_get64(raw + 8 * i);
	ndata = migrate_batch_check(entries, count, err, errlen);
	if (ndata < 0)
		return -EINVAL;
	ret = migrate_chan_recv(m->fd, data, (size_t)ndata * PAGE, IO_TIMEOUT_MS);
	if (!ret)
		ret = migrate_chan_recv(m->fd, crc4, 4, IO_TIMEOUT_MS);
	if (ret)
		return recv_fail(ret, "receiving pages", err, errlen);
	crc = crc32(crc, data, (uInt)(ndata * PAGE));
	if ((u32)crc != migrate_get32(crc4)) {
		snprintf(err, errlen, "a page batch fails its checksum (the connection damaged it)");
		return -EINVAL;
	}
	for (u32 i = 0, d = 0; i < count; i++) {
		u64 gpa = entries[i] & ~(PAGE - 1);
		u8 *dst = ram_ptr(&vm->ram, gpa, PAGE);

		if (!dst) {
			snprintf(err, errlen, "the source sent page %#llx, outside this machine's RAM",
				 (unsigned long long)gpa);
			return -EINVAL;
		}
		if (entries[i] & MIGRATE_ZERO) {
			memset(dst, 0, PAGE);
		} else {
			memcpy(dst, data + PAGE * d++, PAGE);
			st->pages++;
		}
	}
	st->bytes += 9 + 8ULL * count + (u64)ndata * PAGE;
	return 0;
}

static int check_layout(const struct pc_migrate_in *m, struct vm *vm, char *err, size_t errlen)
{
	bool same = m->nregions == vm->ram.nregions;

	for (u32 i = 0; same && i < m->nregions; i++)
		same = m->gpa[i] == vm->ram.region[i].gpa && m->size[i] == vm->ram.region[i].size;
	if (!same) {
		snprintf(err, errlen, "the source's RAM layout (%u regions) differs from the machine "
			 "built here from its options (%u regions; a different hover?)", m->nregions,
			 vm->ram.nregions);
		return -EINVAL;
	}
	return 0;
}

static int final(struct pc *pc, struct pc_migrate_in *m, struct pc_migrate_in_stats *st,
		 char *err, size_t errlen)
{
	u64 t0 = clock_ns();
	u8 *meta = NULL, *dev = NULL, tag;
	u32 ml = 0, dl = 0;
	int ret = recv_blob(m->fd, &meta, &ml, "receiving the VM's state", err, errlen);

	if (!ret)
		ret = recv_blob(m->fd, &dev, &dl, "receiving the devices' state", err, errlen);
	if (!ret)
		ret = pc_state_load(pc, meta, ml, dev, dl, err, errlen);
	free(meta);
	free(dev);
	if (ret)
		return ret;
	tag = MIGRATE_TAG_READY;
	ret = migrate_chan_send(m->fd, &tag, 1, IO_TIMEOUT_MS);
	if (!ret)
		ret = migrate_chan_recv(m->fd, &tag, 1, IO_TIMEOUT_MS);
	if (ret)
		return recv_fail(ret, "waiting for the source's commit", err, errlen);
	if (tag != MIGRATE_TAG_COMMIT) {
		snprintf(err, errlen, "the source answered 0x%02x, not commit", tag);
		return -EPROTO;
	}
	st->final_ns = clock_ns() - t0;
	return 0;
}

int pc_migrate_in_run(struct pc *pc, struct pc_migrate_in *m, struct pc_migrate_in_stats *st,
		      char *err, size_t errlen)
{
	struct vm *vm = pc_vm(pc);
	u64 *entries = malloc(8 * MIGRATE_BATCH_MAX);
	u8 *data = malloc(PAGE * MIGRATE_BATCH_MAX);
	int ret = entries && data ? check_layout(m, vm, err, errlen) : -ENOMEM;

	err[0] = 0;
	memset(st, 0, sizeof(*st));
	while (!ret) {
		u8 tag;

		ret = migrate_chan_recv(m->fd, &tag, 1, IO_TIMEOUT_MS);
		if (ret) {
			recv_fail(ret, "receiving the VM", err, errlen);
			break;
		}
		if (tag == MIGRATE_TAG_PAGES) {
			ret = recv_batch(m, vm, entries, data, st, err, errlen);
		} else if (tag == MIGRATE_TAG_FINAL) {
			ret = final(pc, m, st, err, errlen);
			break;
		} else {
			snprintf(err, errlen, "the source sent an unknown record 0x%02x (a damaged "
				 "stream, or a newer hover)", tag);
			ret = -EPROTO;
		}
	}
	free(entries);
	free(data);
	if (ret && !err[0])
		snprintf(err, errlen, "%s", strerror(-ret));
	return ret;
}
