// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-VM API (api_vm.h). Every handler runs in the VM's event loop with
 * vm->lock held, so it sees devices in a consistent state; pause only asks
 * the vCPUs to park (they may be waiting for this very lock) and returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "host/png_write.h"
#include "hw/vga.h"
#include "machine/pc.h"
#include "machine/pc_migrate.h"
#include "machine/pc_snapshot.h"
#include "mgmt/api.h"
#include "mgmt/api_vm.h"
#include "mgmt/cmd.h"
#include "mgmt/parse.h"
#include "mgmt/run_res.h"
#include "virtio/balloon.h"
#include "mgmt/run_migrate.h"

struct api_vm {
	struct api_vm_info info;
	struct api_server *srv;
	struct pc *pc;
	u64 start_ns;
	u64 console_bytes;
	unsigned resets;
	int statm_fd; /* /proc/self/statm, opened at set-up: the sandboxed loop opens nothing */
	int ksm_fd;   /* /proc/self/ksm_merging_pages (Linux 6.1+), or -1 */
	int ksm_run_fd; /* /sys/kernel/mm/ksm/run, or -1 */
	struct run_res *res; /* NULL: not set (tests) */
};

/* A small decimal number from a proc/sysfs file kept open; -1 if unreadable. */
static long long read_num(int fd)
{
	char buf[32];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static double seconds_since(u64 ns)
{
	return (double)(clock_ns() - ns) / 1e9;
}

static double thread_cpu_s(pthread_t t)
{
	clockid_t cid;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static u64 rss_bytes(int statm_fd)
{
	unsigned long size, rss;
	char buf[128];
	ssize_t n = statm_fd >= 0 ? pread(statm_fd, buf, sizeof(buf) - 1, 0) : -1;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu", &size, &rss) != 2)
		return 0;
	return (u64)rss * (u64)sysconf(_SC_PAGESIZE);
}

static const char *state_of(struct api_vm *a)
{
	return pc_paused(a->pc) ? "paused" : "running";
}

/* The balloon's and the guest's own figures (null without --balloon). */
static json_t *balloon_object(struct api_vm *a)
{
	struct virtio_balloon *b = pc_balloon(a->pc);
	struct balloon_info bi;
	json_t *o, *g;

	if (!b)
		return json_null();
	virtio_balloon_info(b, &bi);
	o = json_pack("{s:I,s:I,s:I,s:I,s:b}", "target_bytes", (json_int_t)bi.target_bytes,
		      "actual_bytes", (json_int_t)bi.actual_bytes,
		      "inflated_bytes", (json_int_t)bi.inflated_bytes,
		      "reported_free_bytes", (json_int_t)bi.reported_bytes,
		      "driver_ready", bi.driver_ok);
	if (o && bi.stats_valid) {
		g = json_object();
		for (unsigned i = 0; i < BALLOON_NSTATS; i++)
			if (bi.stats_present & (1u << i))
				json_object_set_new(g, balloon_stat_names[i],
						    json_integer((json_int_t)bi.stat[i]));
		json_object_set_new(g, "age_s", json_real(bi.stats_age_s));
		json_object_set_new(o, "guest", g);
	}
	return o;
}

/* RAM: size, host RSS, backing, KSM, balloon. */
static json_t *memory_object(struct api_vm *a)
{
	struct vm *vm = pc_vm(a->pc);
	long long merged = read_num(a->ksm_fd), run = read_num(a->ksm_run_fd);
	json_t *o = json_pack("{s:I,s:I,s:s,s:b,s:b,s:b}", "guest_bytes", (json_int_t)a->info.memory,
			      "rss_bytes", (json_int_t)rss_bytes(a->statm_fd),
			      "backing", pc_ram_backing(a->pc), "hugetlb", vm->ram.hugetlb,
			      "thp", vm->ram.thp, "mergeable", vm->ram.mergeable);

	if (o && vm->ram.mergeable) {
		json_object_set_new(o, "ksm_merged_bytes",
				    merged >= 0 ? json_integer(merged * sysconf(_SC_PAGESIZE))
						: json_null());
		json_object_set_new(o, "host_ksm_running", json_boolean(run == 1));
	}
	if (o)
		json_object_set_new(o, "balloon", balloon_object(a));
	return o;
}

/* A setting's value as text: "1G", 50, "25%"... */
static const char *value_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* memory: the balloon's target, what the guest keeps. */
static int set_memory(struct api_vm *a, const char *val, char *err, size_t errlen)
{
	struct virtio_balloon *b = pc_balloon(a->pc);
	u64 bytes;

	if (!b) {
		snprintf(err, errlen, "memory: this VM has no balloon (start it with --balloon, or "
			 "\"balloon\": true in its definition)");
		return 409;
	}
	if (parse_size(val, &bytes)) {
		snprintf(err, errlen, "memory %s: not a size (try 512M or 1G)", val);
		return 400;
	}
	if (virtio_balloon_set_target(b, bytes, 64 * MiB)) {
		snprintf(err, errlen, "memory %s: the target must lie between 64M and the VM's "
			 "RAM (%lluM)", val, (unsigned long long)(a->info.memory >> 20));
		return 400;
	}
	if (a->res)
		a->res->balloon_target = bytes == a->info.memory ? 0 : bytes;
	return 0;
}

/*
 * POST /vm/set {"memory": "1G", "cpu-weight": 50, "cpu-cap": "25%", "cpu-pin": "0",
 * "rt": 0}: live changes, in order; the first one that fails stops the rest.
 */
static void vm_set(struct api_vm *a, const json_t *body, struct api_reply *rep)
{
	const char *key;
	json_t *v;
	char err[512], num[32];

	if (!json_is_object(body) || json_object_size(body) == 0)
		return api_error(rep, 400, "set needs {\"memory\": \"1G\"} or one of cpu-weight, "
				 "cpu-cap, cpu-pin, rt");
	json_object_foreach((json_t *)body, key, v) {
		const char *val = value_text(v, num, sizeof(num));
		int st;

		if (!val)
			return api_error(rep, 400, "%s: give a string or a whole number", key);
		if (!strcmp(key, "memory"))
			st = set_memory(a, val, err, sizeof(err));
		else if (!a->res)
			st = 409, snprintf(err, sizeof(err), "%s: not changeable here", key);
		else
			st = run_res_set(a->res, key, val, err, sizeof(err));
		if (st)
			return api_error(rep, st, "%s", err);
	}
	api_json(rep, 200, json_pack("{s:o,s:o}", "memory", memory_object(a), "resources",
				     a->res ? run_res_json(a->res) : json_null()));
}

static json_t *vm_object(struct api_vm *a)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:f,s:i,s:I,s:s,s:O,s:s,s:i}",
			      "name", a->info.name, "state", state_of(a),
			      "pid", (json_int_t)getpid(), "uptime_s", seconds_since(a->start_ns),
			      "vcpus", (int)a->info.cpus, "memory_bytes", (json_int_t)a->info.memory,
			      "accel", a->info.accel, "config", a->info.config,
			      "api_socket", a->info.api_socket, "resets", (int)a->resets);

	if (o && a->info.console_socket)
		json_object_set_new(o, "console_socket", json_string(a->info.console_socket));
	if (o && pc_balloon(a->pc))
		json_object_set_new(o, "balloon", balloon_object(a));
	if (o && a->res)
		json_object_set_new(o, "resources", run_res_json(a->res));
	return o;
}

static json_t *metrics_object(struct api_vm *a)
{
	struct vm *vm = pc_vm(a->pc);
	json_t *cpus = json_array();
	struct pc_io_counters io;
	struct rusage ru;
	json_t *m;

	for (unsigned i = 0; i < vm->ncpus; i++)
		json_array_append_new(cpus, json_pack("{s:i,s:f}", "index", (int)i, "cpu_time_s",
						      thread_cpu_s(vm->vcpu[i]->thread)));
	getrusage(RUSAGE_SELF, &ru);
	pc_io_counters(a->pc, &io);
	m = json_pack("{s:s,s:s,s:s,s:f,s:o,s:i,s:o,s:o,s:{s:f,s:f},s:{s:I},s:{s:I}}",
			 "name", a->info.name, "state", state_of(a), "accel", a->info.accel,
			 "uptime_s", seconds_since(a->start_ns), "vcpu", cpus,
			 "vcpus_parked", (int)vm_parked_vcpus(vm),
			 "memory", memory_object(a),
			 "resources", a->res ? run_res_json(a->res) : json_null(),
			 "process", "user_cpu_s",
			 (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
			 "system_cpu_s",
			 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
			 "console", "bytes_out", (json_int_t)a->console_bytes,
			 "api", "requests", (json_int_t)api_server_requests(a->srv));
	if (m) {
		json_object_set_new(m, "disk", json_pack("{s:I,s:I}", "read_bytes",
							 (json_int_t)io.disk_read, "written_bytes",
							 (json_int_t)io.disk_written));
		json_object_set_new(m, "net", json_pack("{s:I,s:I}", "rx_bytes", (json_int_t)io.net_rx,
							"tx_bytes", (json_int_t)io.net_tx));
	}
	return m;
}

/*
 * The file name of a snapshot PATH inside the VM's snapshot directory (hover
 * run --snapshot-dir, default its working directory): a bare name, or a path
 * whose directory is that one as hover resolved it at start. NULL otherwise.
 */
static const char *snapshot_name(const struct api_vm *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	/* Compared as text: resolving links would need calls the loop's filter refuses. */
	if (!slash)
		return strcmp(path, ".") && strcmp(path, "..") ? path : NULL;
	if (!slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, "..") ||
	    n != strlen(a->info.snapshot_dir) || strncmp(path, a->info.snapshot_dir, n))
		return NULL;
	return slash + 1;
}

/*
 * POST /vm/snapshot {"file": PATH, "stop": false}: the whole VM to PATH
 * (machine/pc_snapshot.c), which must lie in the VM's snapshot directory;
 * the file is made 0600, whole or not at all.
 */
static void vm_snapshot(struct api_vm *a, const json_t *body, struct api_reply *rep)
{
	json_t *file = json_object_get(body, "file"), *stop = json_object_get(body, "stop");
	struct pc_snapshot_stats st;
	const char *name;
	char err[1024];

	if (!json_is_string(file) || !json_string_length(file) || (stop && !json_is_boolean(stop)))
		return api_error(rep, 400, "snapshot needs {\"file\": PATH[, \"stop\": true|false]}");
	if (a->info.snapshot_dirfd < 0)
		return api_error(rep, 409, "this VM has no snapshot directory (hover run "
				 "--snapshot-dir DIR)");
	name = snapshot_name(a, json_string_value(file));
	if (!name)
		return api_error(rep, 400, "%s: snapshots of this VM go in %s (a file name, or a "
				 "path in that directory; hover run --snapshot-dir chooses it)",
				 json_string_value(file), a->info.snapshot_dir);
	if (pc_snapshot_save(a->pc, a->info.snapshot_dirfd, name, a->info.machine_args,
			     a->info.nmachine_args, json_is_true(stop), &st, err, sizeof(err)))
		return api_error(rep, 500, "%s", err);
	api_json(rep, 200, json_pack("{s:s,s:s,s:b,s:f,s:f,s:I,s:I}", "action", "snapshot",
				     "file", json_string_value(file), "stopped", json_is_true(stop),
				     "pause_ms", st.pause_ns / 1e6, "total_ms", st.total_ns / 1e6,
				     "ram_bytes", (json_int_t)st.ram_bytes,
				     "file_bytes", (json_int_t)st.file_bytes));
}

/* A PNG streamed out of its mapping (host/png_write.h: no malloc heap in the loop). */
struct screen_stream {
	struct png_out png;
	size_t pos;
};

static ssize_t screen_read(void *opaque, char *buf, size_t max)
{
	struct screen_stream *s = opaque;
	size_t n = s->png.len - s->pos < max ? s->png.len - s->pos : max;

	if (!n)
		return -1;
	memcpy(buf, s->png.p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static void screen_free(void *opaque)
{
	struct screen_stream *s = opaque;

	png_out_free(&s->png);
	png_map_free(s);
}

/* GET /vm/screen.png: what the display shows now, as a PNG (text cursor drawn). */
static void vm_screen(struct api_vm *a, struct api_reply *rep)
{
	struct vga *vga = pc_vga(a->pc);
	struct screen_stream *st;
	struct vga_mode m;
	u32 *px;
	int ret;

	if (!vga)
		return api_error(rep, 404, "vm %s has no display (hover run --display vga or "
				 "--display vnc=HOST:PORT)", a->info.name);
	vga_get_mode(vga, &m);
	px = png_map_alloc((size_t)m.width * m.height * 4);
	st = png_map_alloc(sizeof(*st));
	if (!px || !st) {
		png_map_free(px);
		png_map_free(st);
		return api_error(rep, 500, "out of memory");
	}
	vga_render(vga, &m, px, true);
	ret = png_encode_xrgb(px, m.width, m.height, &st->png);
	png_map_free(px);
	if (ret) {
		png_map_free(st);
		return api_error(rep, 500, "cannot encode the screen as PNG: %s", strerror(-ret));
	}
	st->pos = 0;
	rep->status = 200;
	rep->stream = screen_read;
	rep->stream_opaque = st;
	rep->stream_free = screen_free;
	rep->content_type = "image/png";
}

/*
 * POST /vm/cdrom {"drive": N, "file": PATH}: put the ISO image PATH in CD-ROM
 * N (0 by default); "file": null or "" ejects. POST /vm/eject {"drive": N}
 * is the same as "file": null. The image is opened read-only, confined like
 * --cdrom; the guest sees a media change (machine/pc_ahci.c).
 */
/*
 * A snapshot records the machine's options so a restore builds the same
 * board: after a media change its --cdrom for `drive` names the new disc
 * ("" when ejected), as an absolute path. The array is the one hover run
 * made and frees (cmd_run.c machine_args); only this entry is replaced.
 */
static void snapshot_args_cdrom(struct api_vm *a, unsigned drive, const char *path)
{
	char **args = (char **)a->info.machine_args, real[4096], *val;
	unsigned seen = 0;

	if (path && path[0] && !realpath(path, real))
		return;
	val = strdup(path && path[0] ? real : "");
	for (unsigned i = 0; val && i + 1 < a->info.nmachine_args; i++) {
		if (strcmp(args[i], "--cdrom") || seen++ != drive)
			continue;
		free(args[i + 1]);
		args[i + 1] = val;
		return;
	}
	free(val);
}

static void vm_cdrom(struct api_vm *a, const json_t *body, bool eject, struct api_reply *rep)
{
	json_t *drive = json_object_get(body, "drive"), *file = json_object_get(body, "file");
	const char *path = NULL;
	char err[512];
	int ret;

	if ((drive && (!json_is_integer(drive) || json_integer_value(drive) < 0 ||
		       json_integer_value(drive) > 255)) ||
	    (!eject && file && !json_is_null(file) && !json_is_string(file)))
		return api_error(rep, 400, "%s needs {\"drive\": N%s}", eject ? "eject" : "cdrom",
				 eject ? "" : ", \"file\": PATH or null");
	if (!eject && json_is_string(file))
		path = json_string_value(file);
	ret = pc_cdrom_change(a->pc, drive ? (unsigned)json_integer_value(drive) : 0, path, err,
			      sizeof(err));
	if (ret)
		return api_error(rep, ret == -ENODEV ? 404 : 400, "%s", err);
	snapshot_args_cdrom(a, drive ? (unsigned)json_integer_value(drive) : 0, path);
	api_json(rep, 200, json_pack("{s:s,s:i,s:s?}", "action", eject ? "eject" : "cdrom",
				     "drive", drive ? (int)json_integer_value(drive) : 0, "file",
				     path && path[0] ? path : NULL));
}

/*
 * POST /vm/migrate {"to": "tcp:ADDR:PORT"|"unix:PATH", "max_downtime_ms": 50,
 * "bandwidth": "100M", "max_rounds": 30}: start a live migration to a `hover
 * run --incoming` there (mgmt/run_migrate.c) and answer at once (202); GET
 * /vm/migrate follows it. On success this VM stops and `hover run` exits 0.
 */
static void vm_migrate(struct api_vm *a, const json_t *body, struct api_reply *rep)
{
	json_t *to = json_object_get(body, "to"), *dt = json_object_get(body, "max_downtime_ms");
	json_t *bw = json_object_get(body, "bandwidth"), *mr = json_object_get(body, "max_rounds");
	struct run_migrate_req req = { .max_downtime_ns = 50 * 1000000ULL,
				       .max_rounds = PC_MIGRATE_MAX_ROUNDS,
				       .args = a->info.machine_args,
				       .nargs = a->info.nmachine_args };
	char err[512];
	int ret;

	if (!a->info.migrate)
		return api_error(rep, 409, "this VM cannot migrate");
	if (!json_is_string(to))
		return api_error(rep, 400, "migrate needs {\"to\": \"tcp:ADDR:PORT\" or "
				 "\"unix:PATH\"[, \"max_downtime_ms\": 50][, \"bandwidth\": "
				 "\"100M\"][, \"max_rounds\": 30]}");
	req.to = json_string_value(to);
	if (dt) {
		if (!json_is_number(dt) || json_number_value(dt) < 1 || json_number_value(dt) > 600000)
			return api_error(rep, 400, "max_downtime_ms: a number of milliseconds, 1 to "
					 "600000 (default 50)");
		req.max_downtime_ns = (u64)(json_number_value(dt) * 1e6);
	}
	if (bw) {
		if (json_is_integer(bw) && json_integer_value(bw) > 0)
			req.bandwidth = (u64)json_integer_value(bw);
		else if (!json_is_string(bw) || parse_size(json_string_value(bw), &req.bandwidth) ||
			 !req.bandwidth)
			return api_error(rep, 400, "bandwidth: bytes per second, a number or a size "
					 "such as \"100M\" (default: no limit)");
	}
	if (mr) {
		if (!json_is_integer(mr) || json_integer_value(mr) < 0 || json_integer_value(mr) > 1000)
			return api_error(rep, 400, "max_rounds: 0 to 1000 (default %d)",
					 PC_MIGRATE_MAX_ROUNDS);
		req.max_rounds = (unsigned)json_integer_value(mr);
	}
	ret = run_migrate_request(a->info.migrate, a->pc, &req, err, sizeof(err));
	if (ret)
		return api_error(rep, ret == -EBUSY ? 409 : ret == -EINVAL ? 400 : 500, "%s", err);
	api_json(rep, 202, run_migrate_status(a->info.migrate));
}

static void vm_action(struct api_vm *a, const char *action, const json_t *body,
		      struct api_reply *rep)
{
	if (strcmp(action, "snapshot") == 0) {
		return vm_snapshot(a, body, rep);
	} else if (strcmp(action, "set") == 0) {
		return vm_set(a, body, rep);
	} else if (strcmp(action, "cdrom") == 0 || strcmp(action, "eject") == 0) {
		return vm_cdrom(a, body, strcmp(action, "eject") == 0, rep);
	} else if (strcmp(action, "migrate") == 0) {
		return vm_migrate(a, body, rep);
	} else if (strcmp(action, "pause") == 0) {
		if (pc_paused(a->pc))
			return api_error(rep, 409, "vm %s is already paused", a->info.name);
		pc_pause(a->pc);
	} else if (strcmp(action, "resume") == 0) {
		if (!pc_paused(a->pc))
			return api_error(rep, 409, "vm %s is not paused (it is running)",
					 a->info.name);
		pc_resume(a->pc);
	} else if (strcmp(action, "shutdown") == 0) {
		bool seen;

		if (pc_paused(a->pc))
			return api_error(rep, 409, "vm %s is paused: resume it before a shutdown "
					 "(or use off)", a->info.name);
		seen = pc_power_button(a->pc);
		return api_json(rep, 202, json_pack("{s:s,s:b}", "action", "shutdown",
						    "power_button_enabled", seen));
	} else if (strcmp(action, "reset") == 0) {
		pc_request_reset(a->pc, "reset through the API");
		return api_json(rep, 202, json_pack("{s:s}", "action", "reset"));
	} else if (strcmp(action, "off") == 0) {
		pc_request_off(a->pc, "powered off through the API");
		return api_json(rep, 202, json_pack("{s:s}", "action", "off"));
	} else {
		return api_error(rep, 404, "no action \"%s\" (pause, resume, shutdown, reset, off, "
				 "snapshot, set, cdrom, eject, migrate)", action);
	}
	api_json(rep, 200, vm_object(a));
}

static void handle(void *opaque, const struct api_request *req, struct api_reply *rep)
{
	struct api_vm *a = opaque;
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	char buf[512];
	char *seg[4];
	int n = api_split_path(req->path, buf, sizeof(buf), seg, 4), i;

	if (n == 1 && strcmp(seg[0], "openapi.yaml") == 0 && get)
		return api_openapi(rep);
	if (n == 1 && strcmp(seg[0], "version") == 0 && get)
		return api_json(rep, 200, json_pack("{s:s}", "version", HOVER_VERSION));
	if (n == 1 && strcmp(seg[0], "vms") == 0) {
		if (!get)
			return api_error(rep, 405, "%s /vms: this is one VM's API; only GET",
					 req->method);
		return api_json(rep, 200, json_pack("[o]", vm_object(a)));
	}
	/* /vm[/X] or /vms/NAME[/X] */
	if (n >= 1 && strcmp(seg[0], "vm") == 0) {
		i = 1;
	} else if (n >= 2 && strcmp(seg[0], "vms") == 0) {
		if (strcmp(seg[1], a->info.name) != 0)
			return api_error(rep, 404, "no such VM: %s (this API serves %s)", seg[1],
					 a->info.name);
		i = 2;
	} else {
		return api_error(rep, 404, "no such path: %s (see GET /openapi.yaml)", req->path);
	}
	if (n == i) {
		if (!get)
			return api_error(rep, 405, "%s %s: only GET", req->method, req->path);
		return api_json(rep, 200, vm_object(a));
	}
	if (n != i + 1)
		return api_error(rep, 404, "no such path: %s", req->path);
	if (strcmp(seg[i], "metrics") == 0) {
		if (!get)
			return api_error(rep, 405, "%s %s: only GET", req->method, req->path);
		return api_json(rep, 200, metrics_object(a));
	}
	if (strcmp(seg[i], "memory") == 0) {
		json_t *t = json_is_object(req->body) ? json_object_get(req->body, "target") : NULL;
		char err[512], num[32];
		const char *val = t ? value_text(t, num, sizeof(num)) : NULL;
		int st;

		if (get)
			return api_json(rep, 200, memory_object(a));
		if (strcmp(req->method, "PUT") && !post)
			return api_error(rep, 405, "%s %s: GET, or PUT {\"target\": \"1G\"}",
					 req->method, req->path);
		if (!val)
			return api_error(rep, 400, "%s %s needs {\"target\": SIZE} (e.g. \"1G\")",
					 req->method, req->path);
		st = set_memory(a, val, err, sizeof(err));
		return st ? api_error(rep, st, "%s", err) : api_json(rep, 200, memory_object(a));
	}
	if (strcmp(seg[i], "screen.png") == 0) {
		if (!get)
			return api_error(rep, 405, "%s %s: only GET", req->method, req->path);
		return vm_screen(a, rep);
	}
	if (strcmp(seg[i], "migrate") == 0 && get) {
		if (!a->info.migrate)
			return api_error(rep, 404, "this VM cannot migrate");
		return api_json(rep, 200, run_migrate_status(a->info.migrate));
	}
	if (!post)
		return api_error(rep, 405, "%s %s: actions take POST", req->method, req->path);
	vm_action(a, seg[i], req->body, rep);
}

static void on_api_fd(void *opaque, int fd, u32 events)
{
	struct api_vm *a = opaque;

	(void)fd;
	(void)events;
	api_server_dispatch(a->srv);
}

int api_vm_create(struct api_vm **out, const struct api_vm_info *info, char *err, size_t errlen)
{
	struct api_vm *a = calloc(1, sizeof(*a));
	char msg[512];
	int fd, ret;

	if (!a)
		return -ENOMEM;
	a->info = *info;
	a->start_ns = clock_ns();
	a->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	a->ksm_fd = open("/proc/self/ksm_merging_pages", O_RDONLY | O_CLOEXEC);
	a->ksm_run_fd = open("/sys/kernel/mm/ksm/run", O_RDONLY | O_CLOEXEC);
	ret = api_listen_unix(info->api_socket, &fd, err, errlen);
	if (ret)
		goto err;
	ret = api_server_create(&a->srv, fd, API_EVLOOP, handle, a, msg, sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "--api-sock %s: %s", info->api_socket, msg);
		unlink(info->api_socket); /* ours since api_listen_unix(): leave nothing behind */
		goto err;
	}
	*out = a;
	return 0;
err:
	if (a->statm_fd >= 0)
		close(a->statm_fd);
	if (a->ksm_fd >= 0)
		close(a->ksm_fd);
	if (a->ksm_run_fd >= 0)
		close(a->ksm_run_fd);
	free(a);
	return ret;
}

int api_vm_attach(struct api_vm *a, struct pc *pc)
{
	int ret;

	if (a->pc)
		a->resets++;
	a->pc = pc;
	ret = pc_add_fd(pc, api_server_poll_fd(a->srv), EPOLLIN, on_api_fd, a);
	return ret;
}

void api_vm_detach(struct api_vm *a)
{
	pc_del_fd(a->pc, api_server_poll_fd(a->srv));
}

void api_vm_destroy(struct api_vm *a)
{
	if (!a)
		return;
	api_server_destroy(a->srv);
	unlink(a->info.api_socket);
	if (a->statm_fd >= 0)
		close(a->statm_fd);
	if (a->ksm_fd >= 0)
		close(a->ksm_fd);
	if (a->ksm_run_fd >= 0)
		close(a->ksm_run_fd);
	free(a);
}

void api_vm_set_res(struct api_vm *a, struct run_res *res)
{
	a->res = res;
}

void api_vm_console_bytes(struct api_vm *a, size_t len)
{
	a->console_bytes += len;
}
