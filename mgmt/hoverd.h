/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hoverd: keeps VM definitions (hoverd_store.c), runs each VM as its own
 * `hover run` process and watches it (hoverd_vm.c), keeps its console output
 * (hoverd_ring.c), and serves the JSON API (hoverd_api.c); hoverd_main.c has
 * the options and the supervision loop.
 *
 * Threads: libmicrohttpd runs a thread per API connection; the main thread
 * waits in epoll for VM exits (pidfds), console output and stop deadlines.
 * d->lock guards the VM table and every struct hvm; nobody holds it across a
 * call to a VM's API or a wait.
 *
 * On disk (state dir): vms/NAME.json the definition, logs/NAME.log the
 * console log (the VM process writes it, so nothing is lost while hoverd is
 * down), run/NAME.json what a restarted hoverd needs to re-adopt a running VM.
 * Sockets (runtime dir, beside hoverd's): vms/NAME.api and vms/NAME.console.
 */
#ifndef HOVER_MGMT_HOVERD_H
#define HOVER_MGMT_HOVERD_H

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sys/types.h>

#include "include/hover/types.h"
#include "mgmt/config_json.h"

#define HOVERD_RING_SIZE (256u * 1024)
#define HOVERD_SOCK_MAX 108

/* ---- console ring (hoverd_ring.c): the last HOVERD_RING_SIZE bytes, with followers ---- */
struct ring;
int ring_create(struct ring **out, size_t cap) HOVER_WUR;
void ring_get(struct ring *r);
void ring_put(struct ring *r);
void ring_write(struct ring *r, const char *buf, size_t len);
/* Absolute offsets: bytes ever written; the oldest one still held. */
u64 ring_end(struct ring *r);
/* Offset where the last `lines` lines of the ring begin (the oldest held byte at most). */
u64 ring_tail_lines(struct ring *r, unsigned lines);
/* Copy from *pos (moved up to the oldest held byte), at most max; wait up to timeout_ms
 * for new bytes if there are none. Returns the count (0: none yet, or closed). */
size_t ring_read(struct ring *r, u64 *pos, char *buf, size_t max, int timeout_ms);
/* The VM stopped: wake followers; ring_closed() tells them so. A start reopens. */
void ring_set_closed(struct ring *r, bool closed);
bool ring_closed(struct ring *r);

enum hvm_state { HVM_STOPPED, HVM_STARTING, HVM_RUNNING, HVM_PAUSED, HVM_CRASHED };

struct hvm {
	struct hvm *next;
	u64 id; /* epoll cookie: lookups by id survive a removal in the same batch */
	char name[72];
	struct vm_def def;
	json_t *def_json;
	enum hvm_state state;
	pid_t pid;
	int pidfd;      /* -1 when not running */
	bool child;     /* started by this hoverd (so waitpid tells the exit status) */
	unsigned long long starttime; /* /proc/PID/stat field 22: tells a reused pid apart */
	int console_fd; /* our connection to the VM's console socket */
	char api_sock[HOVERD_SOCK_MAX], console_sock[HOVERD_SOCK_MAX];
	char log_path[PATH_MAX];
	double started_at; /* wall clock */
	u64 stop_deadline_ns; /* `stop --timeout`: power off at this time; 0: none */
	bool kill_requested;  /* `kill`: a SIGKILL exit is then a stop, not a crash */
	json_t *last_exit;    /* {"code": N, "signal": N, "message": "..."} or NULL */
	off_t log_start;      /* the log's size when this run started: its own lines follow */
	struct ring *ring;
	unsigned jail_uid; /* the uid its process runs as (0: not jailed) */
	char restore_file[PATH_MAX]; /* the next start restores this snapshot (hoverd_migrate.c) */
};

#define HOVERD_MAX_ALLOW 16
/* Fallback directories live in /tmp/hover-UID (hoverd_store.c checks it is ours, 0700). */
#define HOVERD_TMP_PREFIX "/tmp/hover-"

struct hoverd {
	pthread_mutex_t lock;
	/* --allow-dir, resolved; NULL-terminated (hoverd_paths.c) */
	char *allow_dir[HOVERD_MAX_ALLOW + 1];
	unsigned nallow;
	struct hvm *vms;
	u64 next_id;
	char state_dir[PATH_MAX], run_dir[PATH_MAX], sock_path[PATH_MAX], hover_bin[PATH_MAX];
	int epfd, wakefd;
	u64 host_mem;
	/* Jails (hoverd_jail.c): on when hoverd runs as root, unless --no-jail. */
	bool jail;
	bool cgroups;  /* cgroup v2 usable */
	unsigned jail_uid_first, jail_uid_last;
};

/* epoll cookies: id << 2 | kind */
enum { HOVERD_EV_PID = 1, HOVERD_EV_CONSOLE = 2, HOVERD_EV_OWN = 3 };

/* ---- store (hoverd_store.c) ---- */
/* snprintf for paths: a too-long path is cut short (and then fails to open), never overflows. */
void hoverd_pathf(char *buf, size_t len, const char *fmt, ...) HOVER_PRINTF(3, 4);
int store_init(struct hoverd *d, char *err, size_t errlen) HOVER_WUR;
int store_write_json(const char *path, json_t *obj) HOVER_WUR; /* temp, fsync, rename */
void store_def_path(struct hoverd *d, const char *name, char *buf, size_t len);
void store_run_path(struct hoverd *d, const char *name, char *buf, size_t len);
int store_save_def(struct hoverd *d, struct hvm *vm) HOVER_WUR;
int store_save_run(struct hoverd *d, struct hvm *vm) HOVER_WUR;
void store_remove(struct hoverd *d, struct hvm *vm);
/* Load every definition and re-adopt the VMs still running. */
int store_load_all(struct hoverd *d) HOVER_WUR;

/* ---- VMs (hoverd_vm.c); called with d->lock held unless noted ---- */
struct hvm *hvm_find(struct hoverd *d, const char *name);
struct hvm *hvm_find_id(struct hoverd *d, u64 id);
int hvm_new(struct hoverd *d, struct vm_def *def, json_t *def_json, struct hvm **out) HOVER_WUR;
void hvm_free(struct hoverd *d, struct hvm *vm);
const char *hvm_state_name(enum hvm_state s);
bool hvm_live(const struct hvm *vm); /* a process exists */
/* Without the lock: spawn `hover run` for vm (state must be HVM_STARTING). */
int hvm_start(struct hoverd *d, const char *name, char *err, size_t errlen);
/* Try to take over a VM process from a previous hoverd (store_load_all). */
void hvm_adopt(struct hoverd *d, struct hvm *vm, json_t *run);
/* The process exited (its pidfd fired). */
void hvm_exited(struct hoverd *d, struct hvm *vm);
void hvm_console_input(struct hoverd *d, struct hvm *vm);
/* Without the lock: a request to the VM's own API. */
int hvm_call(const char *api_sock, const char *method, const char *path, int *status,
	     json_t **body, int timeout_ms);
/* The same with a request body (JSON text; NULL: none). */
int hvm_call_body(const char *api_sock, const char *method, const char *path, const char *req,
		  int *status, json_t **body, int timeout_ms);
json_t *hvm_object(struct hvm *vm);
/* Without the lock (hoverd_metrics.c): every VM's object, live ones with "metrics". */
json_t *hoverd_vms_metrics(struct hoverd *d);

/* ---- path rules (hoverd_paths.c) ---- */
/* Add a directory clients' files may come from (resolved now). 0 or -errno, err says why. */
int hoverd_allow_dir_add(struct hoverd *d, const char *dir, char *err, size_t errlen) HOVER_WUR;
/* One file a client named ("kernel", "initrd", "disk"): 0 if it resolves inside an
 * allowed directory; else -errno and err names the file and the rule that refused it. */
int hoverd_path_check(const struct hoverd *d, const char *what, const char *path, char *err,
		      size_t errlen) HOVER_WUR;
/* Every file of a definition. */
int hoverd_def_paths_check(const struct hoverd *d, const struct vm_def *def, char *err,
			   size_t errlen) HOVER_WUR;

/* ---- jails (hoverd_jail.c) ---- */
#define HOVERD_JAIL_UID_FIRST 900000u
#define HOVERD_JAIL_UID_LAST 965535u
/* memory.max = guest RAM + this: the VMM (a few MiB), the emu translator's code
 * buffer (up to 256 MiB, touched as used), page cache of disk I/O (reclaimable). */
#define HOVERD_JAIL_MEM_OVERHEAD (320ull << 20)
/* A uid no live VM has (d->lock held); 0 if the range is used up. */
unsigned hoverd_jail_pick_uid(struct hoverd *d);
/* The jail's mount point, and the writable disks handed to uid. 0 or -errno, err says why. */
int hoverd_jail_prepare(struct hoverd *d, const struct vm_def *def, const char *root,
			unsigned uid, char *err, size_t errlen) HOVER_WUR;
/* clone3(2) into new mount, PID, IPC (and with newnet, network) namespaces,
 * into cgroup_fd if >= 0; *pidfd gets the child's pidfd. As fork(2) returns. */
pid_t hoverd_jail_clone(bool newnet, int cgroup_fd, int *pidfd);
/* Can hoverd make cgroups (v2, writable)? If not, why. */
bool hoverd_cgroup_usable(char *why, size_t len);
/* Make /sys/fs/cgroup/hover/NAME with the VM's limits; its fd (for clone3), or -errno. */
int hoverd_cgroup_open(const char *name, u64 memory, char *err, size_t errlen);

/* ---- API (hoverd_api.c) ---- */
struct api_request;
struct api_reply;
void hoverd_api_handle(void *opaque, const struct api_request *req, struct api_reply *rep);

void hoverd_wake(struct hoverd *d);

/* ---- snapshot, restore, migrate (hoverd_migrate.c) ---- */
/* true if act was one of them (the reply is in rep). */
bool hoverd_migrate_route(struct hoverd *d, const char *name, const char *act,
			  const struct api_request *req, struct api_reply *rep);
/* STATE_DIR/snapshots/NAME: where the VM's snapshots go; made (and given to uid) at start. */
void hoverd_snapshot_dir(struct hoverd *d, const char *name, char *buf, size_t len);
int hoverd_snapshot_dir_make(struct hoverd *d, const char *name, unsigned uid) HOVER_WUR;

#endif
