// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoverd's VMs: each one a `hover run` process in its own session (so a
 * signal to hoverd's process group does not reach it), its stdout and stderr
 * appended to the VM's log file, its API and console on unix sockets. hoverd
 * watches the process through a pidfd and reads the console socket into the
 * ring. Nothing is ever restarted behind the user's back: an exit is recorded
 * (last_exit) and the VM stays stopped until someone starts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/client.h"
#include "mgmt/hoverd.h"

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *hvm_state_name(enum hvm_state s)
{
	switch (s) {
	case HVM_STOPPED: return "stopped";
	case HVM_STARTING: return "starting";
	case HVM_RUNNING: return "running";
	case HVM_PAUSED: return "paused";
	case HVM_CRASHED: return "crashed";
	}
	return "unknown";
}

bool hvm_live(const struct hvm *vm)
{
	return vm->state == HVM_RUNNING || vm->state == HVM_PAUSED || vm->state == HVM_STARTING;
}

struct hvm *hvm_find(struct hoverd *d, const char *name)
{
	for (struct hvm *vm = d->vms; vm; vm = vm->next)
		if (strcmp(vm->name, name) == 0)
			return vm;
	return NULL;
}

struct hvm *hvm_find_id(struct hoverd *d, u64 id)
{
	for (struct hvm *vm = d->vms; vm; vm = vm->next)
		if (vm->id == id)
			return vm;
	return NULL;
}

int hvm_new(struct hoverd *d, struct vm_def *def, json_t *def_json, struct hvm **out)
{
	struct hvm *vm = calloc(1, sizeof(*vm));
	int ret;

	if (!vm)
		return -ENOMEM;
	ret = ring_create(&vm->ring, HOVERD_RING_SIZE);
	if (ret) {
		free(vm);
		return ret;
	}
	vm->id = ++d->next_id;
	snprintf(vm->name, sizeof(vm->name), "%s", def->name);
	vm->def = *def;
	vm->def_json = def_json;
	vm->pidfd = -1;
	vm->console_fd = -1;
	hoverd_pathf(vm->api_sock, sizeof(vm->api_sock), "%s/vms/%s.api", d->run_dir, vm->name);
	hoverd_pathf(vm->console_sock, sizeof(vm->console_sock), "%s/vms/%s.console", d->run_dir,
		 vm->name);
	hoverd_pathf(vm->log_path, sizeof(vm->log_path), "%s/logs/%s.log", d->state_dir, vm->name);
	vm->next = d->vms;
	d->vms = vm;
	*out = vm;
	return 0;
}

void hvm_free(struct hoverd *d, struct hvm *vm)
{
	for (struct hvm **pp = &d->vms; *pp; pp = &(*pp)->next) {
		if (*pp == vm) {
			*pp = vm->next;
			break;
		}
	}
	ring_set_closed(vm->ring, true);
	ring_put(vm->ring);
	config_json_free(&vm->def);
	json_decref(vm->def_json);
	if (vm->last_exit)
		json_decref(vm->last_exit);
	free(vm);
}

/* The real uid of a process (a re-adopted VM keeps its jail uid taken). 0 if unknown. */
static unsigned proc_uid(pid_t pid)
{
	char path[64], line[256];
	unsigned uid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	fclose(f);
	return uid;
}

static unsigned long long proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long st = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu", &st) != 1)
		return 0;
	return st;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* With the lock: watch the process and its console. */
static int watch(struct hoverd *d, struct hvm *vm)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = vm->id << 2 | HOVERD_EV_PID };

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, vm->pidfd, &ev) < 0)
		return -errno;
	vm->console_fd = connect_unix(vm->console_sock);
	if (vm->console_fd >= 0) {
		ev.data.u64 = vm->id << 2 | HOVERD_EV_CONSOLE;
		epoll_ctl(d->epfd, EPOLL_CTL_ADD, vm->console_fd, &ev);
	}
	ring_set_closed(vm->ring, false);
	return 0;
}

static void unwatch(struct hoverd *d, struct hvm *vm)
{
	if (vm->console_fd >= 0) {
		hvm_console_input(d, vm); /* what it wrote last */
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, vm->console_fd, NULL);
		close(vm->console_fd);
		vm->console_fd = -1;
	}
	if (vm->pidfd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, vm->pidfd, NULL);
		close(vm->pidfd);
		vm->pidfd = -1;
	}
	ring_set_closed(vm->ring, true);
}

/* The last line of the log file that says "hover:" (why a start failed). */
static void log_reason(const char *log_path, off_t from, char *buf, size_t len)
{
	char tail[4096];
	int fd = open(log_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *p, *line = NULL;

	buf[0] = '\0';
	if (fd < 0)
		return;
	n = pread(fd, tail, sizeof(tail) - 1, from);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	for (p = strtok(tail, "\r\n"); p; p = strtok(NULL, "\r\n"))
		if (strstr(p, "hover:") || strstr(p, "error"))
			line = p;
	if (line)
		snprintf(buf, len, "%s", line);
}

int hvm_start(struct hoverd *d, const char *name, char *err, size_t errlen)
{
	char def_path[PATH_MAX], log_path[PATH_MAX], api[HOVERD_SOCK_MAX], con[HOVERD_SOCK_MAX];
	char bin[PATH_MAX], vmname[72], root[PATH_MAX], uidtext[16], snapdir[PATH_MAX];
	char restore[PATH_MAX];
	unsigned juid;
	struct hvm *vm;
	struct stat st;
	off_t log_start = 0;
	pid_t pid;
	int pidfd = -1, logfd, nullfd, cgfd = -1;
	bool jail, newnet = false;

	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		snprintf(err, errlen, "no such VM: %s", name);
		return -ENOENT;
	}
	store_def_path(d, name, def_path, sizeof(def_path));
	snprintf(log_path, sizeof(log_path), "%s", vm->log_path);
	snprintf(api, sizeof(api), "%s", vm->api_sock);
	snprintf(con, sizeof(con), "%s", vm->console_sock);
	snprintf(bin, sizeof(bin), "%s", d->hover_bin);
	snprintf(vmname, sizeof(vmname), "%s", vm->name);
	snprintf(restore, sizeof(restore), "%s", vm->restore_file);
	hoverd_snapshot_dir(d, vm->name, snapdir, sizeof(snapdir));
	jail = d->jail;
	vm->jail_uid = 0;
	if (jail) {
		u64 memory = vm->def.memory ? vm->def.memory : 512ull << 20;
		unsigned uid = hoverd_jail_pick_uid(d);

		hoverd_pathf(root, sizeof(root), "%s/vms/%s.root", d->run_dir, vm->name);
		err[0] = '\0';
		if (!uid)
			snprintf(err, errlen, "no free uid left in --jail-uids %u-%u (one per running VM)",
				 d->jail_uid_first, d->jail_uid_last);
		if (!uid || hoverd_jail_prepare(d, &vm->def, root, uid, err, errlen)) {
			pthread_mutex_unlock(&d->lock);
			return -EINVAL;
		}
		vm->jail_uid = uid;
		snprintf(uidtext, sizeof(uidtext), "%u", uid);
		newnet = vm->def.nnet == 0; /* user (NAT) and tap networks need the host's */
		if (d->cgroups) {
			char why[512];

			cgfd = hoverd_cgroup_open(vm->name, memory, why, sizeof(why));
			if (cgfd < 0)
				fprintf(stderr, "hoverd: %s: no cgroup limits: %s\n", vm->name, why);
		}
	}
	juid = vm->jail_uid;
	pthread_mutex_unlock(&d->lock);
	if (hoverd_snapshot_dir_make(d, vmname, juid))
		fprintf(stderr, "hoverd: %s: cannot make %s: %s\n", vmname, snapdir, strerror(errno));

	logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", log_path, strerror(errno));
		if (logfd >= 0)
			close(logfd);
		if (nullfd >= 0)
			close(nullfd);
		return -EIO;
	}
	if (fstat(logfd, &st) == 0)
		log_start = st.st_size;
	unlink(con);
	{
		char *argv[22 + 2 * HOVERD_MAX_ALLOW] = { bin, "run", "--config", def_path, "--name",
							  vmname, "--api-sock", api, "--console-sock",
							  con, "--snapshot-dir", snapdir };
		unsigned argc = 12;

		/* A restore's machine options come from the snapshot, not the definition. */
		if (restore[0]) {
			argv[2] = "--restore";
			argv[3] = restore;
		}

		/* The VM process checks the files it opens (backing files too) against
		 * the same directories (d->allow_dir is fixed after start-up). */
		for (unsigned i = 0; i < d->nallow; i++) {
			argv[argc++] = "--confine-dir";
			argv[argc++] = d->allow_dir[i];
		}
		if (jail) {
			const char *const more[] = { "--jail", root, "--jail-uid", uidtext,
						     "--jail-gid", uidtext };

			for (unsigned i = 0; i < 6; i++)
				argv[argc++] = (char *)more[i];
		}
		argv[argc] = NULL;

		pid = jail ? hoverd_jail_clone(newnet, cgfd, &pidfd) : fork();
		if (pid == 0) {
			/* Only async-signal-safe calls until exec: other threads hold locks. */
			setsid();
			dup2(nullfd, 0);
			dup2(logfd, 1);
			dup2(logfd, 2);
			close_range(3, ~0U, 0);
			execv(bin, argv);
			_exit(127);
		}
	}
	close(logfd);
	close(nullfd);
	if (cgfd >= 0)
		close(cgfd);
	if (pid < 0) {
		snprintf(err, errlen, "cannot start a process%s: %s",
			 jail ? " in new namespaces" : "", strerror(errno));
		return -errno;
	}
	if (pidfd < 0)
		pidfd = pidfd_open(pid, 0);
	/* Wait until the VM serves its console (it does before it boots), or it exits. */
	for (int i = 0; i < 500; i++) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int fd;

		if (pidfd >= 0 && poll(&p, 1, 0) == 1)
			break;
		fd = connect_unix(con);
		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(10000);
	}
	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	{
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			char why[512];

			log_reason(log_path, log_start, why, sizeof(why));
			snprintf(err, errlen, "vm %s did not start (exit status %d)%s%s", name,
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				 why[0] ? ": " : "", why);
			if (vm) {
				/* info and ls show why, not only start's caller */
				vm->state = HVM_CRASHED;
				if (vm->last_exit)
					json_decref(vm->last_exit);
				vm->last_exit = json_pack("{s:i,s:s}", "code",
							  WIFEXITED(status) ? WEXITSTATUS(status)
									    : 128 + WTERMSIG(status),
							  "message", err);
			}
			pthread_mutex_unlock(&d->lock);
			if (pidfd >= 0)
				close(pidfd);
			unlink(api);
			unlink(con);
			return -EINVAL;
		}
	}
	if (!vm || pidfd < 0) {
		pthread_mutex_unlock(&d->lock);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(err, errlen, "vm %s: %s", name, vm ? "pidfd_open failed" : "removed meanwhile");
		if (pidfd >= 0)
			close(pidfd);
		return -EIO;
	}
	vm->pid = pid;
	vm->pidfd = pidfd;
	vm->log_start = log_start;
	vm->child = true;
	vm->starttime = proc_starttime(pid);
	vm->started_at = wall_now();
	vm->stop_deadline_ns = 0;
	vm->kill_requested = false;
	vm->state = HVM_RUNNING;
	if (vm->last_exit)
		json_decref(vm->last_exit);
	vm->last_exit = NULL;
	if (watch(d, vm) || store_save_run(d, vm))
		fprintf(stderr, "hoverd: %s: cannot record or watch the VM process %d\n", name, pid);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Fill the ring from the end of the log file (what the VM wrote while hoverd was away). */
static void preload_ring(struct hvm *vm)
{
	char *buf = malloc(HOVERD_RING_SIZE);
	int fd = open(vm->log_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (buf && fd >= 0 && fstat(fd, &st) == 0) {
		off_t from = st.st_size > (off_t)HOVERD_RING_SIZE ? st.st_size - HOVERD_RING_SIZE : 0;

		n = pread(fd, buf, HOVERD_RING_SIZE, from);
		if (n > 0)
			ring_write(vm->ring, buf, (size_t)n);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
}

void hvm_adopt(struct hoverd *d, struct hvm *vm, json_t *run)
{
	json_int_t pid = json_integer_value(json_object_get(run, "pid"));
	json_int_t st = json_integer_value(json_object_get(run, "starttime"));
	char p[PATH_MAX];
	json_t *info = NULL;
	int status = 0;

	preload_ring(vm);
	if (pid <= 0 || proc_starttime((pid_t)pid) != (unsigned long long)st ||
	    (vm->pidfd = pidfd_open((pid_t)pid, 0)) < 0) {
		/* It ended while nobody watched: its exit status is lost. */
		vm->state = HVM_STOPPED;
		vm->last_exit = json_pack("{s:s}", "message",
					  "exited while hoverd was not running (status unknown)");
		store_run_path(d, vm->name, p, sizeof(p));
		unlink(p);
		return;
	}
	vm->pid = (pid_t)pid;
	vm->starttime = (unsigned long long)st;
	vm->jail_uid = proc_uid(vm->pid);
	vm->child = false;
	vm->started_at = json_real_value(json_object_get(run, "started_at"));
	vm->state = HVM_RUNNING;
	if (hvm_call(vm->api_sock, "GET", "/vm", &status, &info, 2000) == 0 && status == 200 &&
	    strcmp(json_string_value(json_object_get(info, "state")) ?: "", "paused") == 0)
		vm->state = HVM_PAUSED;
	if (info)
		json_decref(info);
	if (watch(d, vm))
		fprintf(stderr, "hoverd: %s: cannot watch process %d\n", vm->name, vm->pid);
	fprintf(stderr, "hoverd: re-adopted %s (pid %d, %s)\n", vm->name, vm->pid,
		hvm_state_name(vm->state));
}

void hvm_exited(struct hoverd *d, struct hvm *vm)
{
	char p[PATH_MAX];
	int status;

	unwatch(d, vm);
	if (vm->last_exit)
		json_decref(vm->last_exit);
	vm->last_exit = NULL;
	if (vm->child && waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
		if (WIFEXITED(status)) {
			int c = WEXITSTATUS(status);
			char why[512], msg[600];

			/* the run's own last "hover:" line says why (a bad kernel, a disk...) */
			why[0] = '\0';
			if (c)
				log_reason(vm->log_path, vm->log_start, why, sizeof(why));
			snprintf(msg, sizeof(msg), "%s%s%s",
				 c == 0 ? "the guest powered off" :
				 c == 1 ? "the guest failed" : "hover run failed",
				 why[0] ? ": " : c ? " (see the log)" : "", why);
			vm->state = c == 0 ? HVM_STOPPED : HVM_CRASHED;
			vm->last_exit = json_pack("{s:i,s:s}", "code", c, "message", msg);
		} else {
			bool killed = vm->kill_requested && WTERMSIG(status) == SIGKILL;

			vm->state = killed ? HVM_STOPPED : HVM_CRASHED;
			vm->last_exit = json_pack("{s:i,s:s}", "signal", WTERMSIG(status), "message",
						  killed ? "killed (hover kill)"
							 : strsignal(WTERMSIG(status)));
		}
	} else {
		vm->state = HVM_STOPPED;
		vm->last_exit = json_pack("{s:s}", "message",
					  "exited (status unknown: adopted from an earlier hoverd)");
	}
	vm->pid = 0;
	vm->stop_deadline_ns = 0;
	vm->kill_requested = false;
	store_run_path(d, vm->name, p, sizeof(p));
	unlink(p);
	/* A process that was killed leaves its sockets behind: nothing serves them now. */
	unlink(vm->api_sock);
	unlink(vm->console_sock);
}

void hvm_console_input(struct hoverd *d, struct hvm *vm)
{
	char buf[16384];

	(void)d;
	for (int i = 0; i < 16 && vm->console_fd >= 0; i++) {
		ssize_t n = read(vm->console_fd, buf, sizeof(buf));

		if (n > 0) {
			ring_write(vm->ring, buf, (size_t)n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, vm->console_fd, NULL);
			close(vm->console_fd);
			vm->console_fd = -1;
		}
		break;
	}
}

int hvm_call(const char *api_sock, const char *method, const char *path, int *status,
	     json_t **body, int timeout_ms)
{
	return hvm_call_body(api_sock, method, path, NULL, status, body, timeout_ms);
}

int hvm_call_body(const char *api_sock, const char *method, const char *path, const char *req,
		  int *status, json_t **body, int timeout_ms)
{
	struct http_resp r;
	char err[256];
	int ret = http_call(api_sock, method, path, req, &r, NULL, NULL, timeout_ms, err,
			    sizeof(err));

	*body = NULL;
	if (ret)
		return ret;
	*status = r.status;
	*body = json_loads(r.body, 0, NULL);
	http_resp_free(&r);
	return 0;
}

json_t *hvm_object(struct hvm *vm)
{
	u64 mem = vm->def.memory ? vm->def.memory : 512ull << 20;
	json_t *o = json_pack("{s:s,s:s,s:O,s:i,s:I,s:s,s:s,s:s,s:s}",
			      "name", vm->name, "state", hvm_state_name(vm->state),
			      "config", vm->def_json, "vcpus", vm->def.cpus ? (int)vm->def.cpus : 1,
			      "memory_bytes", (json_int_t)mem,
			      "accel", vm->def.accel ? vm->def.accel : "auto",
			      "api_socket", vm->api_sock, "console_socket", vm->console_sock,
			      "log_file", vm->log_path);

	if (hvm_live(vm)) {
		json_object_set_new(o, "pid", json_integer(vm->pid));
		json_object_set_new(o, "uptime_s", json_real(wall_now() - vm->started_at));
		json_object_set_new(o, "adopted", json_boolean(!vm->child));
	}
	json_object_set(o, "last_exit", vm->last_exit ? vm->last_exit : json_null());
	return o;
}
