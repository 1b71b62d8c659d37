// SPDX-License-Identifier: GPL-2.0-or-later
/* Run a host tool and wait for it (see tool_run.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mgmt/tool_run.h"

static bool find(const char *argv0, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	if (strchr(argv0, '/')) {
		snprintf(out, len, "%s", argv0);
		return access(out, X_OK) == 0;
	}
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, argv0);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

bool tool_exists(const char *argv0)
{
	char p[4096];

	return find(argv0, p, sizeof(p));
}

int tool_run(char *const argv[], bool quiet, bool to_stderr, const char *pkg)
{
	char path[4096], errbuf[4096];
	int pipefd[2] = { -1, -1 }, status;
	size_t got = 0;
	pid_t pid;

	if (!find(argv[0], path, sizeof(path))) {
		fprintf(stderr, "hover: %s is not installed%s%s%s\n", argv[0],
			pkg ? " (sudo apt-get install -y " : "", pkg ? pkg : "", pkg ? ")" : "");
		return 127;
	}
	if (quiet && pipe2(pipefd, O_CLOEXEC))
		return 127;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0)
			dup2(null, 0);
		if (quiet) {
			dup2(null, 1);
			dup2(pipefd[1], 2);
		} else if (to_stderr) {
			dup2(2, 1);
		}
		execv(path, argv);
		_exit(127);
	}
	if (quiet) {
		char chunk[512];
		ssize_t n;

		close(pipefd[1]);
		/* Keep the first 4 KiB of what it says; read the rest so it never blocks. */
		while ((n = read(pipefd[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR)) {
			size_t take = n > 0 ? (size_t)n : 0;

			if (take > sizeof(errbuf) - 1 - got)
				take = sizeof(errbuf) - 1 - got;
			memcpy(errbuf + got, chunk, take);
			got += take;
		}
		close(pipefd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (status && quiet && got) {
		errbuf[got] = '\0';
		fprintf(stderr, "%s", errbuf);
	}
	return status;
}
