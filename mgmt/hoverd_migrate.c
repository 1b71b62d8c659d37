// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoverd's snapshot, restore and migrate routes (issue 13):
 *
 *   POST /vms/NAME/snapshot {"file": FILE, "stop": bool}: the VM's own
 *        POST /vm/snapshot into its snapshot directory, STATE_DIR/snapshots/NAME
 *        (FILE is a name there; `hover run --snapshot-dir` is set to it at
 *        start, made and, for a jailed VM, owned by the VM's uid);
 *   POST /vms/NAME/restore {"file": PATH}: start the stopped VM NAME from a
 *        snapshot (`hover run --restore PATH`): a file in its snapshot
 *        directory or under an --allow-dir;
 *   POST /vms/NAME/migrate {...} and GET /vms/NAME/migrate: forwarded to the
 *        VM's API as they are (mgmt/api_vm.c); the VM's process exits 0 when
 *        the destination has it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "include/hover/path_confined.h"
#include "mgmt/api.h"
#include "mgmt/client.h"
#include "mgmt/hoverd.h"

#define VM_API_TIMEOUT_MS 120000 /* a snapshot of a large VM writes its RAM */

void hoverd_snapshot_dir(struct hoverd *d, const char *name, char *buf, size_t len)
{
	hoverd_pathf(buf, len, "%s/snapshots/%s", d->state_dir, name);
}

int hoverd_snapshot_dir_make(struct hoverd *d, const char *name, unsigned uid)
{
	char dir[PATH_MAX];

	hoverd_pathf(dir, sizeof(dir), "%s/snapshots", d->state_dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	hoverd_snapshot_dir(d, name, dir, sizeof(dir));
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	/* A jailed VM writes as its own uid (a new one each start). */
	if (uid && chown(dir, uid, uid))
		return -errno;
	return 0;
}

/* Forward to the VM's API; the reply (or a 502) goes to rep. */
static void forward(const char *api, const char *name, const char *method, const char *path,
		    const char *body, struct api_reply *rep, json_t *extra)
{
	struct http_resp r;
	char err[512];
	json_t *j;
	int ret = http_call(api, method, path, body, &r, NULL, NULL, VM_API_TIMEOUT_MS, err,
			    sizeof(err));

	if (ret) {
		if (extra)
			json_decref(extra);
		return api_error(rep, 502, "vm %s does not answer on %s: %s", name, api, err);
	}
	j = json_loads(r.body, 0, NULL);
	if (j && extra && r.status < 300)
		json_object_update(j, extra);
	if (extra)
		json_decref(extra);
	api_json(rep, (unsigned)r.status, j ? j : json_object());
	http_resp_free(&r);
}

/* The running VM's API socket, or an error reply. */
static bool running_api(struct hoverd *d, const char *name, const char *act, char *api,
			size_t len, struct api_reply *rep)
{
	struct hvm *vm;
	enum hvm_state s;

	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		api_error(rep, 404, "no such VM: %s", name);
		return false;
	}
	s = vm->state;
	snprintf(api, len, "%s", vm->api_sock);
	pthread_mutex_unlock(&d->lock);
	if (s != HVM_RUNNING && s != HVM_PAUSED) {
		api_error(rep, 409, "vm %s is %s: %s needs a running VM (hover start %s)", name,
			  hvm_state_name(s), act, name);
		return false;
	}
	return true;
}

static void snapshot(struct hoverd *d, const char *name, const json_t *body, struct api_reply *rep)
{
	json_t *file = json_object_get(body, "file"), *stop = json_object_get(body, "stop");
	char api[HOVERD_SOCK_MAX], dir[PATH_MAX], path[PATH_MAX];
	const char *f;
	char *fwd;

	if (!json_is_string(file) || (stop && !json_is_boolean(stop)))
		return api_error(rep, 400, "snapshot needs {\"file\": NAME[, \"stop\": true]}");
	f = json_string_value(file);
	if (!*f || strchr(f, '/') || !strcmp(f, ".") || !strcmp(f, ".."))
		return api_error(rep, 400, "%s: a file name (snapshots of a hoverd VM go in its "
				 "directory, %s/snapshots/%s)", f, d->state_dir, name);
	if (!running_api(d, name, "snapshot", api, sizeof(api), rep))
		return;
	hoverd_snapshot_dir(d, name, dir, sizeof(dir));
	hoverd_pathf(path, sizeof(path), "%s/%s", dir, f);
	fwd = json_dumps(json_pack("{s:s,s:b}", "file", path, "stop", json_is_true(stop)),
			 JSON_COMPACT);
	forward(api, name, "POST", "/vm/snapshot", fwd, rep, json_pack("{s:s}", "path", path));
	free(fwd);
}

static void migrate(struct hoverd *d, const char *name, const struct api_request *req,
		    struct api_reply *rep)
{
	char api[HOVERD_SOCK_MAX];
	char *body = NULL;
	bool get = strcmp(req->method, "GET") == 0;

	if (!running_api(d, name, "migrate", api, sizeof(api), rep))
		return;
	if (!get && !json_is_object(req->body))
		return api_error(rep, 400, "migrate needs {\"to\": \"tcp:IP:PORT\" or "
				 "\"unix:PATH\", ...}");
	if (!get)
		body = json_dumps(req->body, JSON_COMPACT);
	forward(api, name, get ? "GET" : "POST", "/vm/migrate", body, rep, NULL);
	free(body);
}

static void restore(struct hoverd *d, const char *name, const json_t *body, struct api_reply *rep)
{
	json_t *file = json_object_get(body, "file");
	char dir[PATH_MAX], real[PATH_MAX], err[1024];
	const char *within[2] = { dir, NULL };
	struct hvm *vm;
	int ret;

	if (!json_is_string(file))
		return api_error(rep, 400, "restore needs {\"file\": PATH}");
	hoverd_snapshot_dir(d, name, dir, sizeof(dir));
	if (!realpath(json_string_value(file), real))
		return api_error(rep, 400, "%s: %s", json_string_value(file), strerror(errno));
	/* Only snapshots this VM may read: its own directory, or an --allow-dir. */
	if (!path_confined(real, within) && (!d->nallow ||
	    !path_confined(real, (const char *const *)d->allow_dir)))
		return api_error(rep, 400, "%s: not in %s or an --allow-dir directory (move the "
				 "snapshot there)", real, dir);
	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 404, "no such VM: %s (create it with the definition the "
				 "snapshot was taken from)", name);
	}
	if (hvm_live(vm)) {
		enum hvm_state s = vm->state;

		pthread_mutex_unlock(&d->lock);
		return api_error(rep, 409, "vm %s is %s: stop it before a restore", name,
				 hvm_state_name(s));
	}
	snprintf(vm->restore_file, sizeof(vm->restore_file), "%s", real);
	vm->state = HVM_STARTING;
	pthread_mutex_unlock(&d->lock);
	ret = hvm_start(d, name, err, sizeof(err));
	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (vm)
		vm->restore_file[0] = '\0';
	if (ret) {
		if (vm && vm->state == HVM_STARTING)
			vm->state = HVM_STOPPED;
		pthread_mutex_unlock(&d->lock);
		return api_error(rep, ret == -EINVAL ? 400 : 500, "%s", err);
	}
	api_json(rep, 200, vm ? hvm_object(vm) : json_object());
	pthread_mutex_unlock(&d->lock);
}

bool hoverd_migrate_route(struct hoverd *d, const char *name, const char *act,
			  const struct api_request *req, struct api_reply *rep)
{
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

	if (strcmp(act, "snapshot") && strcmp(act, "restore") && strcmp(act, "migrate"))
		return false;
	if (!post && !(get && !strcmp(act, "migrate"))) {
		api_error(rep, 405, "%s %s: use POST%s", req->method, req->path,
			  strcmp(act, "migrate") ? "" : " (or GET for the progress)");
		return true;
	}
	if (!strcmp(act, "snapshot"))
		snapshot(d, name, req->body, rep);
	else if (!strcmp(act, "restore"))
		restore(d, name, req->body, rep);
	else
		migrate(d, name, req, rep);
	return true;
}
