// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover shell NAME [--timeout S] [--json] [-- COMMAND...]`: log in to a VM
 * that `hover launch` made. Reads the VM's launch.json (image_store.h) for the
 * SSH port hover forwarded, the user and the key, waits until the guest's SSH
 * server answers through the forward (saying what it waits for), then execs
 * ssh with them. The VM's host key is learnt on first contact and kept in its
 * own known_hosts (a relaunched VM of the same name gets a fresh one).
 * --json waits the same way, then prints how to connect instead of connecting.
 *
 * Exit status: ssh's, or 1 the VM is not running or SSH did not answer in
 * time, 2 bad usage, 4 no such VM (or not made by `hover launch`).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/cmd.h"
#include "mgmt/image_store.h"
#include "mgmt/parse.h"
#include "mgmt/tool_run.h"
#include "mgmt/vm_cli.h"

void cmd_shell_help(FILE *f)
{
	fputs("usage: hover shell NAME [--timeout SECONDS] [--json] [-- COMMAND [ARG]...]\n\n"
	      "Log in to a VM made by `hover launch` over SSH (or run COMMAND there): waits\n"
	      "until the guest's SSH server answers on the port hover forwards to it (default\n"
	      "--timeout 600), then runs ssh as the VM's user with the key hover made for it.\n"
	      "--json: wait, then print host, port, user and key instead of connecting.\n"
	      "exit status: ssh's; 1 the VM is not running or SSH did not answer in time,\n"
	      "2 bad usage, 4 no such VM\n",
	      f);
}

/* True when something on 127.0.0.1:port speaks SSH (its banner starts "SSH-").
 * With user networking the host side accepts at once and closes if the
 * guest's port is shut, so only the banner tells that sshd runs. */
static bool ssh_answers(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((u16)port) };
	struct pollfd p;
	char buf[8];
	size_t got = 0;
	int fd;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return false;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return false;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (got < 4 && poll(&p, 1, 3000) == 1) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return got >= 4 && !memcmp(buf, "SSH-", 4);
}

/* The VM's state from hoverd ("running", ...); exit status on failure. */
static int vm_state(const char *name, char *state, size_t len)
{
	char path[128];
	json_t *v;
	int ret;

	snprintf(path, sizeof(path), "/vms/%s", name);
	ret = vm_cli_request("GET", path, NULL, false, &v);
	if (ret)
		return ret;
	snprintf(state, len, "%s", json_string_value(json_object_get(v, "state")) ?: "unknown");
	json_decref(v);
	return 0;
}

static int wait_ssh(const char *name, const char *host, int port, double timeout, bool quiet)
{
	struct timespec t0, now;
	char state[32];
	double waited = 0;
	bool said = false;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0;; i++) {
		if (i % 10 == 0) { /* every few seconds: is the VM still there? */
			ret = vm_state(name, state, sizeof(state));
			if (ret)
				return ret;
			if (strcmp(state, "running") && strcmp(state, "starting")) {
				fprintf(stderr, "hover: shell: %s is %s (hover start %s; hover logs %s "
					"shows its console)\n", name, state, name, name);
				return EXIT_GUEST_FAILED;
			}
		}
		if (ssh_answers(host, port)) {
			if (said)
				fprintf(stderr, " up after %.0f s\n", waited);
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (waited > timeout) {
			fprintf(stderr, "%shover: shell: %s's SSH server did not answer on %s:%d within "
				"%.0f s (hover logs %s shows its console; --timeout S waits longer)\n",
				said ? "\n" : "", name, host, port, timeout, name);
			return EXIT_GUEST_FAILED;
		}
		if (!said && !quiet) {
			fprintf(stderr, "hover: waiting for %s's SSH server (%s:%d, forwarded to the "
				"guest's port 22) while it boots...", name, host, port);
			said = true;
		}
		usleep(500000);
	}
}

int cmd_shell(int argc, char **argv)
{
	const char *name = NULL, *user, *host, *key;
	char dir[IMAGE_PATH_MAX], known[IMAGE_PATH_MAX + 32], opt_known[IMAGE_PATH_MAX + 64];
	char portbuf[16], target[128];
	double timeout = 600;
	bool json = false;
	int i, ret, port;
	json_t *rec;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cmd_shell_help(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--connect") && i + 1 < argc) {
			cmd_set_connect(argv[++i]);
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;

			timeout = strtod(argv[++i], &end);
			if (*end || timeout < 0) {
				fprintf(stderr, "hover: shell: --timeout %s: not a number of seconds\n",
					argv[i]);
				return EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || name) {
			fprintf(stderr, "hover: shell: unexpected '%s' (see `hover help shell`; a "
				"command goes after --)\n", argv[i]);
			return EXIT_USAGE;
		} else {
			name = argv[i];
		}
	}
	if (!name) {
		fprintf(stderr, "hover: shell needs a VM name (see `hover help shell`)\n");
		return EXIT_USAGE;
	}
	if (!image_name_ok(name)) {
		fprintf(stderr, "hover: shell: %s: not a VM name\n", name);
		return EXIT_USAGE;
	}
	image_vm_dir(name, dir, sizeof(dir));
	rec = image_json_load(dir, "launch.json");
	if (!rec) {
		char state[32];

		ret = vm_state(name, state, sizeof(state));
		if (ret)
			return ret;
		fprintf(stderr, "hover: shell: %s was not made by `hover launch` (no %s/launch.json): "
			"use hover console %s\n", name, dir, name);
		return EXIT_NO_SUCH_VM;
	}
	user = json_string_value(json_object_get(rec, "user"));
	host = json_string_value(json_object_get(rec, "ssh_host"));
	key = json_string_value(json_object_get(rec, "ssh_key"));
	port = (int)json_integer_value(json_object_get(rec, "ssh_port"));
	if (!user || !host || !key || port <= 0 || port > 65535) {
		fprintf(stderr, "hover: shell: %s/launch.json is damaged\n", dir);
		json_decref(rec);
		return EXIT_HOST_ERROR;
	}
	ret = wait_ssh(name, host, port, timeout, json);
	if (ret) {
		json_decref(rec);
		return ret;
	}
	snprintf(known, sizeof(known), "%s/known_hosts", dir);
	if (json) {
		json_t *out = json_pack("{s:s, s:s, s:i, s:s, s:s, s:b}", "name", name, "host", host,
					"port", port, "user", user, "key", key, "ready", 1);

		json_object_set_new(out, "known_hosts", json_string(known));
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(out);
		json_decref(rec);
		return 0;
	}
	snprintf(opt_known, sizeof(opt_known), "UserKnownHostsFile=%s", known);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	snprintf(target, sizeof(target), "%s@%s", user, host);
	{
		char **args = calloc((size_t)argc + 16, sizeof(*args));
		int n = 0;

		if (!args)
			return EXIT_HOST_ERROR;

		args[n++] = "ssh";
		args[n++] = "-i";
		args[n++] = (char *)key;
		args[n++] = "-p";
		args[n++] = portbuf;
		args[n++] = "-o";
		args[n++] = opt_known;
		args[n++] = "-o";
		args[n++] = "StrictHostKeyChecking=accept-new";
		args[n++] = "-o";
		args[n++] = "LogLevel=ERROR";
		args[n++] = target;
		if (i < argc)
			args[n++] = "--";
		for (; i < argc; i++)
			args[n++] = argv[i];
		args[n] = NULL;
		fflush(stdout);
		execvp("ssh", args);
		fprintf(stderr, "hover: shell: cannot run ssh: %s (sudo apt-get install -y "
			"openssh-client)\n", strerror(errno));
	}
	json_decref(rec);
	return EXIT_HOST_ERROR;
}
