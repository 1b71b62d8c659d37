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

#include "machine/pc.h"
#include "machine/pc_migrate.h"
#include "machine/pc_snapshot.h"
#include "mgmt/api.h"
#include "mgmt/api_vm.h"
#include "mgmt/cmd.h"
#include "mgmt/parse.h"
#include "mgmt/run_migrate.h"

struct api_vm {
	struct api_vm_info info;
	struct api_server *srv;
	struct pc *pc;
	u64 start_ns;
	u64 console_bytes;
	unsigned resets;
	int statm_fd; /* /proc/self/statm, opened at set-up: the sandboxed loop opens nothing */
};

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
	return o;
}

static json_t *metrics_object(struct api_vm *a)
{
	struct vm *vm = pc_vm(a->pc);
	json_t *cpus = json_array();
	struct rusage ru;

	for (unsigned i = 0; i < vm->ncpus; i++)
		json_array_append_new(cpus, json_pack("{s:i,s:f}", "index", (int)i, "cpu_time_s",
						      thread_cpu_s(vm->vcpu[i]->thread)));
	getrusage(RUSAGE_SELF, &ru);
	return json_pack("{s:s,s:s,s:f,s:o,s:i,s:{s:I,s:I},s:{s:f,s:f},s:{s:I},s:{s:I}}",
			 "name", a->info.name, "state", state_of(a),
			 "uptime_s", seconds_since(a->start_ns), "vcpu", cpus,
			 "vcpus_parked", (int)vm_parked_vcpus(vm),
			 "memory", "guest_bytes", (json_int_t)a->info.memory,
			 "rss_bytes", (json_int_t)rss_bytes(a->statm_fd),
			 "process", "user_cpu_s",
			 (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
			 "system_cpu_s",
			 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
			 "console", "bytes_out", (json_int_t)a->console_bytes,
			 "api", "requests", (json_int_t)api_server_requests(a->srv));
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
				 "snapshot, migrate)", action);
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
	free(a);
}

void api_vm_console_bytes(struct api_vm *a, size_t len)
{
	a->console_bytes += len;
}
