// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Snapshots of a running PC (issue 13), in the file format of
 * migration/snapshot_file.h.
 *
 * Saving, from the event loop with vm->lock held: pause the vCPUs and wait
 * until every one is parked (vm->lock is dropped while waiting, since a vCPU
 * finishing an MMIO access needs it), then write
 *   - the meta stream: "machine" (the options the machine was built from, so
 *     a restore builds the same board), "clock" (the VM clock), one "vcpu"
 *     per vCPU (the engine-neutral state, include/hover/vcpu_state.h), one
 *     "disk" per disk (size, modification time, device and inode: a restore
 *     refuses a disk that changed since);
 *   - the device stream (pc_save_devices: devices quiesce, in-flight I/O
 *     drained, first);
 *   - guest RAM, sparse (core/ram_image.c);
 * and fsync. The VM resumes unless it was paused before or the caller stops it.
 *
 * Restoring: the caller reads the file (pc_snapshot_open), builds a machine
 * from the saved options with pc_config.restore set (everything but the
 * kernel), and pc_snapshot_restore() puts the state in before anything
 * runs: disks checked, the VM clock set first (so device timers and the TSC
 * continue from the snapshot, not from the host's time), RAM mapped from the
 * file (private, faulted in lazily: a restore costs the same whatever the
 * RAM size), devices loaded, then each vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/block.h"
#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "include/hover/ram.h"
#include "include/hover/state.h"
#include "include/hover/vcpu_state.h"
#include "machine/pc_int.h"
#include "include/hover/timer.h"
#include "machine/pc_snapshot.h"
#include "migration/snapshot_file.h"
#include "migration/stream.h"

#define SEC_MACHINE "machine"
#define SEC_CLOCK "clock"
#define SEC_VCPU "vcpu"
#define SEC_DISK "disk"
#define PARK_TIMEOUT_NS (5ULL * 1000000000ULL)

struct pc_snapshot {
	int fd;
	char *path;
	struct snapshot_header h;
	u8 *meta, *dev; /* the two streams, read whole */
	char **args;
	unsigned nargs;
};

/* ---- small encoders ---- */

static void put_str(struct state_writer *w, const char *s)
{
	u32 n = (u32)strlen(s);

	state_put_u32(w, n);
	state_put_bytes(w, s, n);
}

/* A string of at most max bytes, NUL-terminated and malloc'ed; NULL on a bad stream. */
static char *get_str(struct state_reader *r, u32 max)
{
	u32 n = state_get_u32(r);
	char *s;

	if (state_reader_error(r) || n > max || n > state_reader_left(r)) {
		state_reader_fail(r, "a string of %u bytes", n);
		return NULL;
	}
	s = malloc(n + 1);
	if (!s)
		return NULL;
	state_get_bytes(r, s, n);
	s[n] = 0;
	if (strlen(s) != n) {
		free(s);
		state_reader_fail(r, "a string with a NUL in it");
		return NULL;
	}
	return s;
}

struct disk_id {
	u64 size, mtime_ns, dev, ino;
};

static int disk_identity(const char *path, struct disk_id *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = (struct disk_id){ .size = (u64)st.st_size, .dev = st.st_dev, .ino = st.st_ino,
				.mtime_ns = (u64)st.st_mtim.tv_sec * 1000000000ULL +
					    (u64)st.st_mtim.tv_nsec };
	return 0;
}

/* ---- saving ---- */

/* With vm->lock held: let the vCPUs reach their park (they may need the lock on the way). */
int pc_wait_parked(struct pc *pc)
{
	struct vm *vm = pc->vm;
	u64 until = clock_ns() + PARK_TIMEOUT_NS;
	int ret = 0;

	pthread_mutex_unlock(&vm->lock);
	while (vm_parked_vcpus(vm) < vm->ncpus) {
		if (vm_stopped(vm) != VM_RUNNING || clock_ns() > until) {
			ret = vm_stopped(vm) != VM_RUNNING ? -ESHUTDOWN : -ETIMEDOUT;
			break;
		}
		usleep(100);
	}
	pthread_mutex_lock(&vm->lock);
	return ret;
}

/*
 * The vCPUs' states, encoded, while they are parked. vm->lock is dropped
 * meanwhile: an engine may take it to read a register that lives in a
 * device (the emu engine's APIC base is the local APIC's).
 */
static int get_vcpus(struct pc *pc, u8 **buf, long *len, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	size_t max = vcpu_state_encoded_max();
	struct vcpu_state *vs = calloc(1, sizeof(*vs));
	int ret = vs ? 0 : -ENOMEM;

	if (!vm->accel->vcpu_get_state)
		ret = -EOPNOTSUPP;
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus && !ret; i++) {
		buf[i] = malloc(max);
		if (!buf[i]) {
			ret = -ENOMEM;
			break;
		}
		ret = vm->accel->vcpu_get_state(vm->vcpu[i], vs);
		if (ret) {
			snprintf(err, errlen, "cannot read the state of vcpu%u: %s", i,
				 strerror(-ret));
			break;
		}
		len[i] = vcpu_state_encode(vs, buf[i], max);
		if (len[i] < 0)
			ret = (int)len[i];
	}
	pthread_mutex_lock(&vm->lock);
	free(vs);
	return ret;
}

int pc_state_put_args(struct stream_writer *sw, const char *const *args, unsigned nargs)
{
	struct state_writer *w = stream_begin_section(sw, SEC_MACHINE, 0, 1);

	state_put_u32(w, nargs);
	for (unsigned i = 0; i < nargs; i++)
		put_str(w, args[i]);
	return stream_end_section(sw);
}

static int save_meta(struct pc *pc, struct stream_writer *sw, const char *const *args,
		     unsigned nargs, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	u8 *vbuf[VM_MAX_CPUS] = { 0 };
	long vlen[VM_MAX_CPUS] = { 0 };
	struct state_writer *w;
	int ret = get_vcpus(pc, vbuf, vlen, err, errlen);

	if (!ret)
		ret = pc_state_put_args(sw, args, nargs);
	w = stream_begin_section(sw, SEC_CLOCK, 0, 1);
	state_put_u64(w, vm_clock_ns(vm));
	if (!ret)
		ret = stream_end_section(sw);
	for (unsigned i = 0; i < vm->ncpus && !ret; i++) {
		w = stream_begin_section(sw, SEC_VCPU, i, 1);
		state_put_u32(w, (u32)vlen[i]);
		state_put_bytes(w, vbuf[i], (size_t)vlen[i]);
		ret = stream_end_section(sw);
	}
	for (unsigned i = 0; i < pc->cfg.ndisks && !ret; i++) {
		struct disk_id id;

		ret = disk_identity(pc->cfg.disks[i].path, &id);
		if (ret) {
			snprintf(err, errlen, "disk %s: %s", pc->cfg.disks[i].path, strerror(-ret));
			break;
		}
		w = stream_begin_section(sw, SEC_DISK, i, 1);
		put_str(w, pc->cfg.disks[i].path);
		state_put_u64(w, id.size);
		state_put_u64(w, id.mtime_ns);
		state_put_u64(w, id.dev);
		state_put_u64(w, id.ino);
		ret = stream_end_section(sw);
	}
	if (ret && !err[0])
		snprintf(err, errlen, "cannot save the VM's state: %s", strerror(-ret));
	for (unsigned i = 0; i < vm->ncpus; i++)
		free(vbuf[i]);
	return ret;
}

int pc_state_save(struct pc *pc, struct stream_writer *meta, struct stream_writer *dev,
		  const char *const *args, unsigned nargs, char *err, size_t errlen)
{
	int ret = save_meta(pc, meta, args, nargs, err, errlen);

	if (!ret)
		ret = pc_save_devices(pc, dev, err, errlen);
	return ret;
}

static int write_file(struct pc *pc, int dirfd, const char *path, const u8 *meta,
		      size_t meta_len, const u8 *dev, size_t dev_len, struct pc_snapshot_stats *st,
		      char *err, size_t errlen)
{
	struct snapshot_header h;
	u8 hdr[SNAPSHOT_HEADER_LEN];
	char tmp[4096];
	int fd, ret;

	/* Guest memory is private: the file is the owner's alone, and appears whole or not at all. */
	snprintf(tmp, sizeof(tmp), "%s.partial", path);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot create the snapshot: %s", tmp, strerror(errno));
		return ret;
	}
	snapshot_layout(&h, meta_len, dev_len, pc->vm->ram.total);
	snapshot_header_encode(&h, hdr);
	ret = ram_image_save(&pc->vm->ram, fd, h.ram_off, &st->ram_bytes);
	if (!ret)
		ret = block_pwrite_full(fd, meta, meta_len, h.meta_off);
	if (!ret)
		ret = block_pwrite_full(fd, dev, dev_len, h.dev_off);
	if (!ret)
		ret = block_pwrite_full(fd, hdr, sizeof(hdr), 0);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, path))
		ret = -errno;
	if (ret) {
		unlinkat(dirfd, tmp, 0);
		snprintf(err, errlen, "%s: cannot write the snapshot: %s", path, strerror(-ret));
	}
	st->file_bytes = h.ram_off + h.ram_len;
	return ret;
}

int pc_snapshot_save(struct pc *pc, int dirfd, const char *path, const char *const *args,
		     unsigned nargs, bool stop, struct pc_snapshot_stats *st, char *err,
		     size_t errlen)
{
	struct stream_writer *meta = NULL, *dev = NULL;
	struct pc_snapshot_stats dummy;
	bool was_paused = pc_paused(pc);
	const u8 *m, *d;
	size_t ml, dl;
	u64 t0 = clock_ns();
	int ret;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	err[0] = 0;
	if (!was_paused)
		pc_pause(pc);
	ret = pc_wait_parked(pc);
	if (ret) {
		snprintf(err, errlen, "the vCPUs did not stop for the snapshot: %s", strerror(-ret));
		goto out;
	}
	st->pause_ns = clock_ns() - t0;
	ret = stream_writer_create(&meta);
	if (!ret)
		ret = stream_writer_create(&dev);
	if (!ret)
		ret = pc_state_save(pc, meta, dev, args, nargs, err, errlen);
	if (!ret)
		ret = stream_writer_finish(meta, &m, &ml);
	if (!ret)
		ret = stream_writer_finish(dev, &d, &dl);
	if (!ret)
		ret = write_file(pc, dirfd, path, m, ml, d, dl, st, err, errlen);
	if (ret && !err[0])
		snprintf(err, errlen, "cannot take the snapshot: %s", strerror(-ret));
out:
	stream_writer_destroy(meta);
	stream_writer_destroy(dev);
	st->total_ns = clock_ns() - t0;
	if (!ret && stop)
		vm_request_stop(pc->vm, VM_POWEROFF, "stopped after a snapshot to %s", path);
	else if (!was_paused)
		pc_resume(pc);
	return ret;
}

/* ---- restoring ---- */

void pc_snapshot_close(struct pc_snapshot *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	pc_state_free_args(s->args, s->nargs);
	free(s->meta);
	free(s->dev);
	free(s->path);
	free(s);
}

/* The "machine" section: the options, kept for the caller to rebuild the board. */
static int read_args(char ***args, unsigned *nargs, struct state_reader *r)
{
	u32 n = state_get_u32(r);

	if (state_reader_error(r) || n > 4096)
		return state_reader_fail(r, "%u machine options", n);
	*args = calloc(n ? n : 1, sizeof(char *));
	if (!*args)
		return -ENOMEM;
	for (u32 i = 0; i < n; i++) {
		(*args)[i] = get_str(r, 65536);
		if (!(*args)[i])
			return state_reader_error(r) ? state_reader_error(r) : -ENOMEM;
		(*nargs)++;
	}
	return state_reader_error(r);
}

int pc_state_get_args(const void *data, size_t len, char ***args, unsigned *nargs, char *err,
		      size_t errlen)
{
	struct stream_reader sr;
	struct stream_section sec;
	int ret = stream_reader_init(&sr, data, len, err, errlen);

	*args = NULL;
	*nargs = 0;
	while (!ret && (ret = stream_reader_next(&sr, &sec, err, errlen)) == 1) {
		ret = 0;
		if (!strcmp(sec.name, SEC_MACHINE) && !*args) {
			ret = read_args(args, nargs, &sec.payload);
			if (ret)
				snprintf(err, errlen, "section 'machine': %s",
					 state_reader_message(&sec.payload));
		}
	}
	if (!ret && !*args) {
		snprintf(err, errlen, "the state has no 'machine' section");
		ret = -EINVAL;
	}
	return ret;
}

void pc_state_free_args(char **args, unsigned nargs)
{
	for (unsigned i = 0; i < nargs; i++)
		free(args[i]);
	free(args);
}

int pc_snapshot_open(struct pc_snapshot **out, const char *path, char *err, size_t errlen)
{
	struct pc_snapshot *s = calloc(1, sizeof(*s));
	u8 hdr[SNAPSHOT_HEADER_LEN];
	struct stat st;
	int ret;

	if (!s)
		return -ENOMEM;
	s->path = strdup(path);
	s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (s->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(s->fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		ret = -EINVAL;
		goto fail;
	}
	/* block_pread_full reads zeroes past the end: a short file is told apart first. */
	ret = (u64)st.st_size < sizeof(hdr) ? -EIO : block_pread_full(s->fd, hdr, sizeof(hdr), 0);
	if (ret) {
		snprintf(err, errlen, "%s: not a hover snapshot (too short)", path);
		ret = -EINVAL;
		goto fail;
	}
	ret = snapshot_header_decode(hdr, sizeof(hdr), (u64)st.st_size, &s->h, err, errlen);
	if (ret)
		goto fail_named;
	if (s->h.meta_len > 64 * MiB || s->h.dev_len > 64 * MiB) {
		snprintf(err, errlen, "the snapshot's state parts are implausibly large");
		ret = -EINVAL;
		goto fail_named;
	}
	s->meta = malloc(s->h.meta_len ? s->h.meta_len : 1);
	s->dev = malloc(s->h.dev_len ? s->h.dev_len : 1);
	if (!s->meta || !s->dev) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = block_pread_full(s->fd, s->meta, s->h.meta_len, s->h.meta_off);
	if (!ret)
		ret = block_pread_full(s->fd, s->dev, s->h.dev_len, s->h.dev_off);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	/* The machine's options now: the caller builds the board from them. */
	ret = pc_state_get_args(s->meta, s->h.meta_len, &s->args, &s->nargs, err, errlen);
	if (ret)
		goto fail_named;
	*out = s;
	return 0;

fail_named: {
	char why[512];

	snprintf(why, sizeof(why), "%s", err);
	snprintf(err, errlen, "%s: %s", path, why);
}
fail:
	pc_snapshot_close(s);
	return ret;
}

unsigned pc_snapshot_args(const struct pc_snapshot *s, const char *const **args)
{
	*args = (const char *const *)s->args;
	return s->nargs;
}

static int check_disk(struct pc *pc, u32 i, struct state_reader *r, char *err, size_t errlen)
{
	char *path = get_str(r, 4096);
	struct disk_id then, now;
	int ret;

	then.size = state_get_u64(r);
	then.mtime_ns = state_get_u64(r);
	then.dev = state_get_u64(r);
	then.ino = state_get_u64(r);
	ret = state_reader_error(r);
	if (ret || !path) {
		free(path);
		snprintf(err, errlen, "section 'disk' %u: %s", i, state_reader_message(r));
		return ret ? ret : -ENOMEM;
	}
	if (i >= pc->cfg.ndisks) {
		snprintf(err, errlen, "the snapshot has a disk %s the machine does not", path);
		ret = -EINVAL;
	} else if ((ret = disk_identity(pc->cfg.disks[i].path, &now))) {
		snprintf(err, errlen, "disk %s: %s", pc->cfg.disks[i].path, strerror(-ret));
	} else if (now.size != then.size || now.mtime_ns != then.mtime_ns || now.ino != then.ino ||
		   now.dev != then.dev) {
		/* The guest's page cache and filesystem state expect the disk as it was. */
		snprintf(err, errlen, "disk %s changed since the snapshot (it was written or "
			 "replaced); restoring would corrupt the guest's view of it (restore the "
			 "disk as it was, or take snapshots with --stop)", pc->cfg.disks[i].path);
		ret = -ESTALE;
	}
	free(path);
	return ret;
}

static int load_vcpu(struct pc *pc, u32 i, struct state_reader *r, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	u32 n = state_get_u32(r);
	struct vcpu_state *vs;
	u8 *buf;
	int ret;

	if (state_reader_error(r) || n > state_reader_left(r) || i >= vm->ncpus) {
		snprintf(err, errlen, "section 'vcpu' %u: does not fit this machine (%u vCPUs)", i,
			 vm->ncpus);
		return -EINVAL;
	}
	vs = calloc(1, sizeof(*vs));
	buf = malloc(n ? n : 1);
	if (!vs || !buf) {
		free(vs);
		free(buf);
		return -ENOMEM;
	}
	state_get_bytes(r, buf, n);
	ret = vcpu_state_decode(vs, buf, n) < 0 ? -EINVAL : 0;
	if (ret)
		snprintf(err, errlen, "section 'vcpu' %u: not a vCPU state this hover reads", i);
	else if (!vm->accel->vcpu_set_state)
		ret = -EOPNOTSUPP;
	else if ((ret = vm->accel->vcpu_set_state(vm->vcpu[i], vs)))
		snprintf(err, errlen, "vcpu%u: the %s engine refuses the saved state: %s", i,
			 vm->accel->name, strerror(-ret));
	free(vs);
	free(buf);
	return ret;
}

/* Which sections the meta stream must have, counted while walking it. */
struct meta_seen {
	unsigned vcpus, disks;
	bool clock;
};

static int walk_meta(struct pc *pc, const void *meta, size_t meta_len, bool vcpus,
		     struct meta_seen *seen, char *err, size_t errlen)
{
	struct stream_reader sr;
	struct stream_section sec;
	int ret = stream_reader_init(&sr, meta, meta_len, err, errlen);

	while (!ret && (ret = stream_reader_next(&sr, &sec, err, errlen)) == 1) {
		ret = 0;
		if (sec.version > 1) {
			snprintf(err, errlen, "section '%s' has version %u; restore it with a newer "
				 "hover", sec.name, sec.version);
			ret = -EINVAL;
		} else if (!strcmp(sec.name, SEC_CLOCK) && !vcpus) {
			u64 ns = state_get_u64(&sec.payload);

			ret = state_reader_error(&sec.payload);
			if (!ret)
				vm_clock_set(&pc->vm->clock, ns);
			seen->clock = true;
		} else if (!strcmp(sec.name, SEC_DISK) && !vcpus) {
			ret = check_disk(pc, sec.instance, &sec.payload, err, errlen);
			seen->disks++;
		} else if (!strcmp(sec.name, SEC_VCPU)) {
			if (vcpus)
				ret = load_vcpu(pc, sec.instance, &sec.payload, err, errlen);
			seen->vcpus++;
		} else if (strcmp(sec.name, SEC_MACHINE) && strcmp(sec.name, SEC_CLOCK) &&
			   strcmp(sec.name, SEC_DISK)) {
			snprintf(err, errlen, "unknown section '%s' (a newer hover's snapshot?)",
				 sec.name);
			ret = -EINVAL;
		}
	}
	return ret;
}

int pc_state_load(struct pc *pc, const void *meta, size_t meta_len, const void *dev,
		  size_t dev_len, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	struct meta_seen seen = { 0 };
	int ret;

	/* Disks and the clock first: no device is touched if a disk changed. */
	ret = walk_meta(pc, meta, meta_len, false, &seen, err, errlen);
	if (!ret && (!seen.clock || seen.vcpus != vm->ncpus || seen.disks != pc->cfg.ndisks)) {
		snprintf(err, errlen, "the state has %u vCPUs and %u disks, the machine %u and %u%s",
			 seen.vcpus, seen.disks, vm->ncpus, pc->cfg.ndisks,
			 seen.clock ? "" : " (and no clock)");
		ret = -EINVAL;
	}
	if (!ret)
		ret = pc_load_devices(pc, dev, dev_len, err, errlen);
	if (!ret)
		ret = walk_meta(pc, meta, meta_len, true, &seen, err, errlen);
	if (ret && !err[0])
		snprintf(err, errlen, "%s", strerror(-ret));
	return ret;
}

int pc_snapshot_restore(struct pc *pc, struct pc_snapshot *s, char *err, size_t errlen)
{
	struct vm *vm = pc->vm;
	int ret = 0;

	err[0] = 0;
	if (!pc->cfg.restore) {
		snprintf(err, errlen, "internal: the machine was not built for a restore");
		return -EINVAL;
	}
	if (s->h.ram_len != vm->ram.total) {
		snprintf(err, errlen, "the snapshot holds %llu MiB of RAM, the machine %llu MiB",
			 (unsigned long long)(s->h.ram_len / MiB),
			 (unsigned long long)(vm->ram.total / MiB));
		return -EINVAL;
	}
	ret = ram_image_map(&vm->ram, s->fd, s->h.ram_off);
	if (ret)
		snprintf(err, errlen, "cannot map the snapshot's RAM: %s", strerror(-ret));
	if (!ret)
		ret = pc_state_load(pc, s->meta, s->h.meta_len, s->dev, s->h.dev_len, err, errlen);
	if (ret) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", s->path, why);
	}
	return ret;
}
