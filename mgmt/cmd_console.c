// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover console NAME`: attach the terminal to a VM's serial console. hoverd
 * says where the VM's console socket is; the CLI then talks to the VM process
 * directly (so the console works the same whether or not hoverd is busy).
 * Ctrl-] (0x1d, as telnet) detaches; the VM goes on running.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/console_stdio.h"
#include "mgmt/cmd.h"
#include "mgmt/vm_cli.h"

#define DETACH_KEY 0x1d /* Ctrl-] */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cmd_console(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vm_cli_opts o;
	char path[256], buf[4096];
	const char *sock, *state;
	json_t *v;
	int ret, fd;
	bool detached = false;

	ret = vm_cli_parse(argc, argv, vm_cli_spec("console"), &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	snprintf(path, sizeof(path), "/vms/%s", o.arg);
	ret = vm_cli_request("GET", path, NULL, false, &v);
	if (ret)
		return ret;
	state = json_string_value(json_object_get(v, "state"));
	sock = json_string_value(json_object_get(v, "console_socket"));
	if (!state || (strcmp(state, "running") && strcmp(state, "paused")) || !sock) {
		fprintf(stderr, "hover: vm %s is %s: start it first (hover start %s)\n", o.arg,
			state ? state : "not running", o.arg);
		json_decref(v);
		return EXIT_GUEST_FAILED;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	json_decref(v);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hover: cannot connect to %s: %s\n", sa.sun_path, strerror(errno));
		return EXIT_GUEST_FAILED;
	}
	if (o.json)
		printf("{\"name\":\"%s\",\"attached\":true}\n", o.arg);
	fprintf(stderr, "hover: attached to %s; Ctrl-] detaches\r\n", o.arg);
	term_raw_enter(STDIN_FILENO);
	for (;;) {
		struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
				       { .fd = fd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break; /* the VM stopped */
			if (write_all(STDOUT_FILENO, buf, (size_t)n))
				break;
		}
		if (p[0].revents) {
			char *k;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0) {
				/* stdin closed (a script): keep showing output until the VM stops */
				p[0].fd = -1;
				if (n == 0) {
					close(STDIN_FILENO);
					continue;
				}
				break;
			}
			k = memchr(buf, DETACH_KEY, (size_t)n);
			if (write_all(fd, buf, k ? (size_t)(k - buf) : (size_t)n))
				break;
			if (k) {
				detached = true;
				break;
			}
		}
	}
	term_restore();
	close(fd);
	fprintf(stderr, "\r\nhover: %s from %s\n", detached ? "detached" : "disconnected", o.arg);
	return 0;
}
