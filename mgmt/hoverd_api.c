// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoverd's API routes (mgmt/openapi.yaml). Bad input gets 400, an unknown VM
 * 404, a verb in the wrong state or a duplicate name 409, all with the JSON
 * error body; the daemon goes on serving everyone else. Actions on a running
 * VM are forwarded to that VM's own API, which has the same paths.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/api.h"
#include "mgmt/client.h"
#include "mgmt/hoverd.h"
#include "mgmt/vm_actions.h"

#define VM_API_TIMEOUT_MS 5000

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static bool file_ok(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "not a regular file");
		return false;
	}
	if (access(path, R_OK) < 0) {
		snprintf(why, len, "not readable");
		return false;
	}
	return true;
}

/* hoverd_def_paths_check's messages begin with the key they concern. */
static const char *path_field(const char *err)
{
	static const char *const keys[] = { "kernel", "initrd", "disk" };

	for (unsigned i = 0; i < 3; i++)
		if (!strncmp(err, keys[i], strlen(keys[i])) && err[strlen(keys[i])] == ' ')
			return keys[i];
	return NULL;
}

/* The checks hover run would make, made before anything is stored or started. Each
 * error names the definition key at fault ("field"), so a form can show it there. */
static bool check_def(struct hoverd *d, const struct vm_def *def, struct api_reply *rep)
{
	char why[128], err[2048];

	if (!def->name) {
		api_error_field(rep, 400, "name", "\"name\" is required");
		return false;
	}
	if (!def->kernel && !def->ndisk) {
		api_error_field(rep, 400, "kernel", "\"kernel\" (the guest's bzImage) or a \"disk\" "
				"for the firmware to boot is required");
		return false;
	}
	if (def->kernel && (def->firmware || def->boot)) {
		api_error_field(rep, 400, def->firmware ? "firmware" : "boot",
				"\"%s\": only without \"kernel\" (the kernel is booted directly)",
				def->firmware ? "firmware" : "boot");
		return false;
	}
	if (hoverd_def_paths_check(d, def, err, sizeof(err))) {
		api_error_field(rep, 400, path_field(err), "%s", err);
		return false;
	}
	if (def->kernel && !file_ok(def->kernel, why, sizeof(why))) {
		api_error_field(rep, 400, "kernel", "kernel %s: %s", def->kernel, why);
		return false;
	}
	if (def->initrd && !file_ok(def->initrd, why, sizeof(why))) {
		api_error_field(rep, 400, "initrd", "initrd %s: %s", def->initrd, why);
		return false;
	}
	/* "bios" and "uefi" name Debian's images; anything with a '/' is a file. */
	if (def->firmware && strchr(def->firmware, '/') && !file_ok(def->firmware, why, sizeof(why))) {
		api_error_field(rep, 400, "firmware", "firmware %s: %s", def->firmware, why);
		return false;
	}
	if (def->memory && def->memory > d->host_mem) {
		api_error_field(rep, 400, "memory", "memory %s: more than this host has (%lluM)",
				def->memory_text, (unsigned long long)(d->host_mem >> 20));
		return false;
	}
	if (def->memory && (def->memory < (16u << 20) || (def->memory & 0xfff))) {
		api_error_field(rep, 400, "memory", "memory %s: needs at least 16M, in whole 4K pages",
				def->memory_text);
		return false;
	}
	if (def->accel && strcmp(def->accel, "auto") && strcmp(def->accel, "kvm") &&
	    strcmp(def->accel, "emu")) {
		api_error_field(rep, 400, "accel", "accel \"%s\": not an engine (auto, kvm or emu)",
				def->accel);
		return false;
	}
	return true;
}

static void create(struct hoverd *d, const struct api_request *req, struct api_reply *rep)
{
	struct vm_def def;
	struct hvm *vm;
	const char *field;
	char err[512];

	if (!req->body)
		return api_error(rep, 400, "POST /vms needs a VM definition (a JSON object)");
	if (config_json_parse_field(req->body, &def, err, sizeof(err), &field))
		return api_error_field(rep, 400, field, "%s", err);
	if (!check_def(d, &def, rep)) {
		config_json_free(&def);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (hvm_find(d, def.name)) {
		pthread_mutex_unlock(&d->lock);
		api_error_field(rep, 409, "name", "a VM named %s already exists", def.name);
		config_json_free(&def);
		return;
	}
	if (hvm_new(d, &def, json_incref(req->body), &vm)) {
		pthread_mutex_unlock(&d->lock);
		json_decref(req->body);
		config_json_free(&def);
		return api_error(rep, 500, "out of memory");
	}
	if (store_save_def(d, vm)) {
		hvm_free(d, vm);
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 500, "cannot write the definition under %s", d->state_dir);
	}
	api_json(rep, 201, hvm_object(vm));
	pthread_mutex_unlock(&d->lock);
}

static void list(struct hoverd *d, struct api_reply *rep)
{
	json_t *a = json_array();

	pthread_mutex_lock(&d->lock);
	for (struct hvm *vm = d->vms; vm; vm = vm->next)
		json_array_append_new(a, hvm_object(vm));
	pthread_mutex_unlock(&d->lock);
	api_json(rep, 200, a);
}

/* From hoverd's own records: a VM busy booting must not slow down everyone's `ls` and
 * `info`. Live counters come from GET /vms/NAME/metrics (the VM's own API). */
static void info(struct hoverd *d, const char *name, struct api_reply *rep)
{
	struct hvm *vm;

	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 404, "no such VM: %s", name);
	}
	api_json(rep, 200, hvm_object(vm));
	pthread_mutex_unlock(&d->lock);
}

static void remove_vm(struct hoverd *d, const char *name, struct api_reply *rep)
{
	struct hvm *vm;

	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 404, "no such VM: %s", name);
	}
	if (hvm_live(vm)) {
		enum hvm_state s = vm->state;

		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 409, "vm %s is %s: stop or kill it before rm", name,
				 hvm_state_name(s));
	}
	store_remove(d, vm);
	hvm_free(d, vm);
	pthread_mutex_unlock(&d->lock);
	api_json(rep, 200, json_pack("{s:s,s:b}", "name", name, "removed", 1));
}

static void start(struct hoverd *d, const char *name, struct api_reply *rep)
{
	char err[1024];
	struct hvm *vm;
	int ret;

	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 404, "no such VM: %s", name);
	}
	if (hvm_live(vm)) {
		enum hvm_state s = vm->state;

		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 409, "vm %s is already %s", name, hvm_state_name(s));
	}
	if (!check_def(d, &vm->def, rep)) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	vm->state = HVM_STARTING;
	pthread_mutex_unlock(&d->lock);

	ret = hvm_start(d, name, err, sizeof(err));
	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (ret) {
		if (vm && vm->state == HVM_STARTING) {
			/* why it did not start, for info and ls (hvm_start records a process's exit) */
			vm->state = HVM_STOPPED;
			if (vm->last_exit)
				json_decref(vm->last_exit);
			vm->last_exit = json_pack("{s:s}", "message", err);
		}
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, ret == -EINVAL ? 400 : 500, "%s", err);
	}
	api_json(rep, 200, vm ? hvm_object(vm) : json_object());
	pthread_mutex_unlock(&d->lock);
}

/*
 * After a SIGKILL: answer once the main loop has seen the process end (its
 * pidfd), so that `hover kill web; hover rm web` works at once. A process
 * never ends after SIGKILL only if stuck in the kernel (D state): then 504.
 */
static void kill_wait(struct hoverd *d, const char *name, struct api_reply *rep)
{
	for (int i = 0; i < 1000; i++) {
		struct hvm *vm;

		pthread_mutex_lock(&d->lock);
		vm = hvm_find(d, name);
		if (!vm || !hvm_live(vm)) {
			api_json(rep, 200, vm ? hvm_object(vm) : json_pack("{s:s}", "name", name));
			pthread_mutex_unlock(&d->lock);
			return;
		}
		pthread_mutex_unlock(&d->lock);
		usleep(10000);
	}
	api_error(rep, 504, "vm %s: SIGKILL sent, but its process has not ended after 10 s", name);
}

/* The state bit of vm_actions.h's table that a VM is in (0: starting, which allows nothing). */
static unsigned state_bit(enum hvm_state s)
{
	switch (s) {
	case HVM_RUNNING: return VM_ACT_RUNNING;
	case HVM_PAUSED: return VM_ACT_PAUSED;
	case HVM_STOPPED:
	case HVM_CRASHED: return VM_ACT_DOWN;
	case HVM_STARTING: return 0;
	}
	return 0;
}

/* An action of vm_actions.h's table (start has its own route), or GET metrics. */
static void action(struct hoverd *d, const char *name, const char *act,
		   const struct api_request *req, struct api_reply *rep)
{
	const struct vm_action *a = vm_action_find(act);
	char api[HOVERD_SOCK_MAX], path[64], names[256];
	enum hvm_state s;
	struct hvm *vm;
	json_t *body = NULL;
	double timeout = 30;
	bool get = strcmp(act, "metrics") == 0;
	bool set = a && !strcmp(a->name, "set");
	char *fwd = NULL;
	int st, ret;
	pid_t pid;

	vm_action_names(names, sizeof(names));
	if (!a && !get)
		return api_error(rep, 404, "no action \"%s\" (%s; GET metrics, logs)", act, names);
	if (strcmp(req->method, get ? "GET" : "POST"))
		return api_error(rep, 405, "%s %s: use %s", req->method, req->path,
				 get ? "GET" : "POST");
	if (a && !strcmp(a->name, "start"))
		return start(d, name, rep);
	if (a && !strcmp(a->name, "stop") && req->body) {
		json_t *t = json_object_get(req->body, "timeout");

		if (!json_is_object(req->body) || json_object_size(req->body) != (t ? 1 : 0) ||
		    (t && (!json_is_number(t) || json_number_value(t) < 0)))
			return api_error(rep, 400, "stop takes {\"timeout\": SECONDS} (a number >= 0)");
		if (t)
			timeout = json_number_value(t);
	}
	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 404, "no such VM: %s", name);
	}
	s = vm->state;
	pid = vm->pid;
	snprintf(api, sizeof(api), "%s", vm->api_sock);
	if (s != HVM_RUNNING && s != HVM_PAUSED) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 409, "vm %s is %s: %s needs a running VM (hover start %s)",
				 name, hvm_state_name(s), act, name);
	}
	if (a && !(a->from & state_bit(s))) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 409, "vm %s is %s: %s", name, hvm_state_name(s),
				 a->refusal ? a->refusal : "not now");
	}
	if (a && !strcmp(a->name, "kill")) {
		vm->kill_requested = true;
		kill(pid, SIGKILL);
		pthread_mutex_unlock(&d->lock);
		return kill_wait(d, name, rep);
	}
	pthread_mutex_unlock(&d->lock);

	if (set && !json_is_object(req->body))
		return api_error(rep, 400, "set takes {\"memory\": \"1G\"} or cpu-weight, cpu-cap, "
				 "cpu-pin, rt");
	snprintf(path, sizeof(path), "/vm/%s", get ? "metrics" : a->forward);
	if (set) /* the settings go on to the VM as they came */
		fwd = json_dumps(req->body, JSON_COMPACT);
	ret = hvm_call_body(api, get ? "GET" : "POST", path, fwd, &st, &body, VM_API_TIMEOUT_MS);
	free(fwd);
	if (ret)
		return api_error(rep, 502, "vm %s does not answer on %s: %s", name, api,
				 strerror(-ret));
	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (vm && st < 300) {
		if (strcmp(act, "pause") == 0)
			vm->state = HVM_PAUSED;
		else if (strcmp(act, "resume") == 0)
			vm->state = HVM_RUNNING;
		else if (strcmp(act, "stop") == 0) {
			vm->stop_deadline_ns = now_ns() + (u64)(timeout * 1e9);
			json_object_set_new(body, "action", json_string("stop"));
			json_object_set_new(body, "timeout_s", json_real(timeout));
		}
		if (strcmp(act, "pause") == 0 || strcmp(act, "resume") == 0) {
			json_decref(body);
			body = hvm_object(vm);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (strcmp(act, "stop") == 0)
		hoverd_wake(d);
	api_json(rep, (unsigned)st, body ? body : json_object());
}

/* ---- screen.png: the VM's own GET /vm/screen.png, passed on as it came ---- */

struct png_reply {
	struct http_resp r;
	size_t pos;
};

static ssize_t png_read(void *opaque, char *buf, size_t max)
{
	struct png_reply *p = opaque;
	size_t n = p->r.len - p->pos < max ? p->r.len - p->pos : max;

	if (!n)
		return -1;
	memcpy(buf, p->r.body + p->pos, n);
	p->pos += n;
	return (ssize_t)n;
}

static void png_free(void *opaque)
{
	struct png_reply *p = opaque;

	http_resp_free(&p->r);
	free(p);
}

static void screen(struct hoverd *d, const char *name, struct api_reply *rep)
{
	char api[HOVERD_SOCK_MAX], err[256];
	struct png_reply *p;
	enum hvm_state s;
	struct hvm *vm;
	json_t *body;
	int ret;

	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 404, "no such VM: %s", name);
	}
	s = vm->state;
	snprintf(api, sizeof(api), "%s", vm->api_sock);
	pthread_mutex_unlock(&d->lock);
	if (s != HVM_RUNNING && s != HVM_PAUSED)
		return api_error(rep, 409, "vm %s is %s: a screenshot needs a running VM", name,
				 hvm_state_name(s));
	p = calloc(1, sizeof(*p));
	if (!p)
		return api_error(rep, 500, "out of memory");
	ret = http_call(api, "GET", "/vm/screen.png", NULL, &p->r, NULL, NULL, VM_API_TIMEOUT_MS,
			err, sizeof(err));
	if (ret) {
		free(p);
		return api_error(rep, 502, "vm %s does not answer on %s: %s", name, api, err);
	}
	if (p->r.status != 200) { /* the VM's error (no display...): pass it on */
		body = p->r.body ? json_loads(p->r.body, 0, NULL) : NULL;
		ret = p->r.status;
		png_free(p);
		if (body)
			return api_json(rep, (unsigned)ret, body);
		return api_error(rep, 502, "vm %s: screen.png failed (%d)", name, ret);
	}
	rep->status = 200;
	rep->stream = png_read;
	rep->stream_opaque = p;
	rep->stream_free = png_free;
	rep->content_type = "image/png";
}

/* ---- logs: the ring, then (with follow=1) what comes, until the VM stops ---- */

struct log_stream {
	struct ring *ring;
	u64 pos;
	bool follow;
	int fd;
};

static ssize_t log_read(void *opaque, char *buf, size_t max)
{
	struct log_stream *ls = opaque;

	for (;;) {
		size_t n = ring_read(ls->ring, &ls->pos, buf, max, ls->follow ? 500 : 0);
		struct pollfd p = { .fd = ls->fd, .events = POLLRDHUP };

		if (n)
			return (ssize_t)n;
		if (!ls->follow || ring_closed(ls->ring))
			return -1;
		if (ls->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return -1;
	}
}

static void log_free(void *opaque)
{
	struct log_stream *ls = opaque;

	ring_put(ls->ring);
	free(ls);
}

static void logs(struct hoverd *d, const char *name, const struct api_request *req,
		 struct api_reply *rep)
{
	const char *follow = api_query(req, "follow"), *tail = api_query(req, "tail");
	struct log_stream *ls = calloc(1, sizeof(*ls));
	struct hvm *vm;

	if (!ls)
		return api_error(rep, 500, "out of memory");
	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		free(ls);
		return api_error(rep, 404, "no such VM: %s", name);
	}
	ls->ring = vm->ring;
	ring_get(ls->ring);
	pthread_mutex_unlock(&d->lock);
	ls->follow = follow && strcmp(follow, "0") && strcmp(follow, "false");
	ls->fd = req->fd;
	if (tail) {
		unsigned long long t = strtoull(tail, NULL, 10);

		ls->pos = ring_tail_lines(ls->ring, t > UINT32_MAX ? UINT32_MAX : (unsigned)t);
	}
	rep->status = 200;
	rep->stream = log_read;
	rep->stream_opaque = ls;
	rep->stream_free = log_free;
	rep->content_type = "text/plain; charset=utf-8";
}

void hoverd_api_handle(void *opaque, const struct api_request *req, struct api_reply *rep)
{
	struct hoverd *d = opaque;
	bool get = strcmp(req->method, "GET") == 0;
	char buf[512];
	char *seg[4];
	int n = api_split_path(req->path, buf, sizeof(buf), seg, 4);

	if (n == 1 && strcmp(seg[0], "openapi.yaml") == 0 && get)
		return api_openapi(rep);
	if (n == 1 && strcmp(seg[0], "actions") == 0 && get)
		return api_json(rep, 200, vm_actions_json());
	if (n == 1 && strcmp(seg[0], "version") == 0 && get)
		return api_json(rep, 200, json_pack("{s:s,s:s}", "version", "0.1.0", "server",
						    "hoverd"));
	if (n < 1 || strcmp(seg[0], "vms") != 0)
		return api_error(rep, 404, "no such path: %s (see GET /openapi.yaml)", req->path);
	if (n == 1) {
		const char *m = api_query(req, "metrics");

		if (get && m && strcmp(m, "0"))
			return api_json(rep, 200, hoverd_vms_metrics(d));
		if (get)
			return list(d, rep);
		if (strcmp(req->method, "POST") == 0)
			return create(d, req, rep);
		return api_error(rep, 405, "%s /vms: use GET or POST", req->method);
	}
	if (n == 2) {
		if (get)
			return info(d, seg[1], rep);
		if (strcmp(req->method, "DELETE") == 0)
			return remove_vm(d, seg[1], rep);
		return api_error(rep, 405, "%s %s: use GET or DELETE", req->method, req->path);
	}
	if (n == 3 && strcmp(seg[2], "logs") == 0 && get)
		return logs(d, seg[1], req, rep);
	if (n == 3 && strcmp(seg[2], "screen.png") == 0 && get)
		return screen(d, seg[1], rep);
	if (n == 3 && strcmp(seg[2], "start") == 0) {
		if (strcmp(req->method, "POST"))
			return api_error(rep, 405, "%s %s: use POST", req->method, req->path);
		return start(d, seg[1], rep);
	}
	if (n == 3 && hoverd_migrate_route(d, seg[1], seg[2], req, rep))
		return;
	if (n == 3)
		return action(d, seg[1], seg[2], req, rep);
	api_error(rep, 404, "no such path: %s (see GET /openapi.yaml)", req->path);
}
