// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoverd [--socket PATH] [--state-dir DIR]: the VM daemon (see hoverd.h).
 *
 * The main thread supervises: one epoll set holds each VM's pidfd (the
 * process ended) and console connection (output for the ring), a signalfd
 * (SIGTERM/SIGINT: leave, VMs keep running) and an eventfd (a stop deadline
 * was set). Killed any way and started again, hoverd re-adopts the VMs whose
 * processes still run (store_load_all): VMs outlive the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/api.h"
#include "mgmt/client.h"
#include "mgmt/hoverd.h"
#include "mgmt/webui.h"

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

void hoverd_wake(struct hoverd *d)
{
	u64 one = 1;

	if (write(d->wakefd, &one, sizeof(one)) < 0) {
		/* saturated: a wake-up is pending anyway */
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hoverd [--socket PATH] [--state-dir DIR] [--http ADDR:PORT]\n"
		   "\n"
		   "The hover VM daemon: keeps VM definitions, runs each VM as its own\n"
		   "`hover run` process, keeps their consoles, serves the JSON API.\n"
		   "\n"
		   "  --socket PATH     API socket (root: /run/hover/hoverd.sock,\n"
		   "                    else $XDG_RUNTIME_DIR/hover/hoverd.sock)\n"
		   "  --state-dir DIR   definitions and logs (root: /var/lib/hover,\n"
		   "                    else ~/.local/share/hover)\n"
		   "  --hover PATH      the hover binary that runs VMs (default: beside hoverd)\n"
		   "  --allow-dir DIR   clients' kernels, initrds and disk images must lie in DIR\n"
		   "                    (repeatable; symbolic links are resolved first; default:\n"
		   "                    STATE_DIR/images)\n"
		   "  --jail-uids A-B   as root, each VM runs as its own uid from this range\n"
		   "                    (default 900000-965535), jailed: see README \"Security\"\n"
		   "  --no-jail         as root, run VMs as root without namespaces (debugging)\n"
		   "  --http ADDR:PORT  serve the web UI and the API under /api/ over HTTP\n"
		   "                    (off by default; e.g. 127.0.0.1:8006; a bare PORT is\n"
		   "                    loopback); needs the token printed at start-up\n"
		   "  --www DIR         the web UI's files (default: www beside hoverd, or\n"
		   "                    ../share/hover/www)\n");
}

/* At a stop deadline: power off through the VM's API; if it does not answer, SIGKILL. */
static void run_deadlines(struct hoverd *d, int *timeout_ms)
{
	struct due { char api[HOVERD_SOCK_MAX]; pid_t pid; char name[72]; } due[16];
	unsigned ndue = 0;
	u64 now = now_ns(), next = UINT64_MAX;

	pthread_mutex_lock(&d->lock);
	for (struct hvm *vm = d->vms; vm; vm = vm->next) {
		if (!vm->stop_deadline_ns || !hvm_live(vm))
			continue;
		if (vm->stop_deadline_ns <= now && ndue < 16) {
			snprintf(due[ndue].api, sizeof(due[ndue].api), "%s", vm->api_sock);
			snprintf(due[ndue].name, sizeof(due[ndue].name), "%s", vm->name);
			due[ndue++].pid = vm->pid;
			vm->stop_deadline_ns = 0;
		} else if (vm->stop_deadline_ns < next) {
			next = vm->stop_deadline_ns;
		}
	}
	pthread_mutex_unlock(&d->lock);
	for (unsigned i = 0; i < ndue; i++) {
		json_t *body = NULL;
		int st = 0;

		fprintf(stderr, "hoverd: %s: still running at the stop timeout; powering off\n",
			due[i].name);
		if (hvm_call(due[i].api, "POST", "/vm/off", &st, &body, 2000) || st >= 300)
			kill(due[i].pid, SIGKILL);
		if (body)
			json_decref(body);
	}
	*timeout_ms = next == UINT64_MAX ? -1 : (int)((next - now) / 1000000ULL) + 1;
}

static void default_paths(struct hoverd *d)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0) {
		snprintf(d->sock_path, sizeof(d->sock_path), "/run/hover/hoverd.sock");
		snprintf(d->state_dir, sizeof(d->state_dir), "/var/lib/hover");
		return;
	}
	if (xdg && *xdg)
		snprintf(d->sock_path, sizeof(d->sock_path), "%s/hover/hoverd.sock", xdg);
	else
		snprintf(d->sock_path, sizeof(d->sock_path), HOVERD_TMP_PREFIX "%u/hoverd.sock",
			 (unsigned)geteuid());
	if (home && *home)
		snprintf(d->state_dir, sizeof(d->state_dir), "%s/.local/share/hover", home);
	else
		snprintf(d->state_dir, sizeof(d->state_dir), HOVERD_TMP_PREFIX "%u/state",
			 (unsigned)geteuid());
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "hover", required_argument, NULL, 'b' },
		{ "allow-dir", required_argument, NULL, 'a' },
		{ "no-jail", no_argument, NULL, 'J' },
		{ "jail-uids", required_argument, NULL, 'u' },
		{ "http", required_argument, NULL, 'H' },
		{ "www", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hoverd d = { .epfd = -1, .wakefd = -1, .jail_uid_first = HOVERD_JAIL_UID_FIRST,
			    .jail_uid_last = HOVERD_JAIL_UID_LAST };
	struct api_server *srv;
	struct webui *webui = NULL;
	const char *http_addr = NULL;
	char www[PATH_MAX] = "";
	struct epoll_event ev;
	char err[1024], tmp[PATH_MAX];
	sigset_t sigs;
	int c, sfd, lfd, timeout_ms = -1;
	bool no_jail = false;

	pthread_mutex_init(&d.lock, NULL);
	default_paths(&d);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': snprintf(d.sock_path, sizeof(d.sock_path), "%s", optarg); break;
		case 'd': snprintf(d.state_dir, sizeof(d.state_dir), "%s", optarg); break;
		case 'b': snprintf(d.hover_bin, sizeof(d.hover_bin), "%s", optarg); break;
		case 'J': no_jail = true; break;
		case 'H': http_addr = optarg; break;
		case 'W': snprintf(www, sizeof(www), "%s", optarg); break;
		case 'u':
			if (sscanf(optarg, "%u-%u", &d.jail_uid_first, &d.jail_uid_last) != 2 ||
			    !d.jail_uid_first || d.jail_uid_last < d.jail_uid_first) {
				fprintf(stderr, "hoverd: --jail-uids %s: not a range of uids above 0 "
					"(e.g. 900000-965535)\n", optarg);
				return 2;
			}
			break;
		case 'a':
			if (hoverd_allow_dir_add(&d, optarg, err, sizeof(err))) {
				fprintf(stderr, "hoverd: %s\n", err);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hoverd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!d.hover_bin[0]) {
		ssize_t n = readlink("/proc/self/exe", tmp, sizeof(tmp) - 1);

		tmp[n > 0 ? n : 0] = '\0';
		snprintf(d.hover_bin, sizeof(d.hover_bin), "%s/hover", dirname(tmp));
	}
	if (!www[0]) {
		/* build/hoverd beside build/www; PREFIX/bin/hoverd beside PREFIX/share/hover/www */
		ssize_t n = readlink("/proc/self/exe", tmp, sizeof(tmp) - 1);

		tmp[n > 0 ? n : 0] = '\0';
		snprintf(www, sizeof(www), "%s/www", dirname(tmp));
		if (access(www, R_OK | X_OK) < 0) {
			char *slash = strrchr(www, '/');

			*slash = '\0';
			snprintf(tmp, sizeof(tmp), "%s/../share/hover/www", www);
			snprintf(www, sizeof(www), "%s", tmp);
		}
	}
	if (access(d.hover_bin, X_OK) < 0) {
		fprintf(stderr, "hoverd: %s: %s (give --hover PATH)\n", d.hover_bin, strerror(errno));
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s", d.sock_path);
	snprintf(d.run_dir, sizeof(d.run_dir), "%s", dirname(tmp));
	{
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

		d.host_mem = pages > 0 && psz > 0 ? (u64)pages * (u64)psz : UINT64_MAX;
	}
	if (store_init(&d, err, sizeof(err))) {
		fprintf(stderr, "hoverd: %s\n", err);
		return 1;
	}
	d.jail = geteuid() == 0 && !no_jail;
	if (d.jail) {
		char why[512];

		d.cgroups = hoverd_cgroup_usable(why, sizeof(why));
		if (!d.cgroups)
			fprintf(stderr, "hoverd: VMs get no cgroup limits (memory.max, cpu.weight): "
				"%s\n", why);
	}
	if (!d.nallow) {
		hoverd_pathf(tmp, sizeof(tmp), "%s/images", d.state_dir);
		if (hoverd_allow_dir_add(&d, tmp, err, sizeof(err))) {
			fprintf(stderr, "hoverd: %s\n", err);
			return 1;
		}
	}
	/* A VM socket path must fit in sun_path (108 bytes). */
	if (strlen(d.run_dir) + sizeof("/vms/") + 64 + sizeof(".console") > HOVERD_SOCK_MAX) {
		fprintf(stderr, "hoverd: %s: too long a directory for the VMs' sockets "
			"(choose a shorter --socket path)\n", d.run_dir);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread starts: they inherit it */
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || d.epfd < 0 || d.wakefd < 0) {
		fprintf(stderr, "hoverd: %s\n", strerror(errno));
		return 1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = (u64)sfd << 2 | HOVERD_EV_OWN };
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u64 = (u64)d.wakefd << 2 | HOVERD_EV_OWN;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.wakefd, &ev);

	pthread_mutex_lock(&d.lock);
	if (store_load_all(&d))
		fprintf(stderr, "hoverd: cannot read %s/vms\n", d.state_dir);
	pthread_mutex_unlock(&d.lock);

	if (api_listen_unix(d.sock_path, &lfd, err, sizeof(err))) {
		fprintf(stderr, "hoverd: %s\n", err);
		return 1;
	}
	if (api_server_create(&srv, lfd, API_THREADED, hoverd_api_handle, &d, err, sizeof(err))) {
		fprintf(stderr, "hoverd: %s: %s\n", d.sock_path, err);
		unlink(d.sock_path); /* bound above: leave nothing behind */
		return 1;
	}
	fprintf(stderr, "hoverd: serving %s (state in %s)\n", d.sock_path, d.state_dir);
	if (http_addr) {
		char url[256];

		if (webui_create(&webui, &d, http_addr, www, url, sizeof(url), err, sizeof(err))) {
			fprintf(stderr, "hoverd: %s\n", err);
			api_server_destroy(srv);
			unlink(d.sock_path);
			return 2;
		}
		fprintf(stderr, "hoverd: web UI at %s\n", url);
	}

	for (;;) {
		struct epoll_event evs[32];
		int n = epoll_wait(d.epfd, evs, 32, timeout_ms);
		bool quit = false;

		if (n < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&d.lock);
		for (int i = 0; i < n; i++) {
			u64 cookie = evs[i].data.u64;
			struct hvm *vm;

			if ((cookie & 3) == HOVERD_EV_OWN) {
				int fd = (int)(cookie >> 2);
				char drain[256];

				if (fd == sfd)
					quit = true;
				if (read(fd, drain, sizeof(drain)) < 0) {
					/* nothing to drain */
				}
				continue;
			}
			vm = hvm_find_id(&d, cookie >> 2);
			if (!vm)
				continue;
			if ((cookie & 3) == HOVERD_EV_PID && vm->pidfd >= 0)
				hvm_exited(&d, vm);
			else if ((cookie & 3) == HOVERD_EV_CONSOLE)
				hvm_console_input(&d, vm);
		}
		pthread_mutex_unlock(&d.lock);
		if (quit)
			break;
		run_deadlines(&d, &timeout_ms);
	}
	/* VMs keep running; a new hoverd will adopt them. */
	fprintf(stderr, "hoverd: exiting; running VMs keep running\n");
	webui_destroy(webui);
	api_server_destroy(srv);
	unlink(d.sock_path);
	return 0;
}
