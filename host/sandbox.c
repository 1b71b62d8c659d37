// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Install the per-thread seccomp filters of a VM process and handle a refused
 * call (Linux Documentation/userspace-api/seccomp_filter.rst; prctl(2)
 * PR_SET_NO_NEW_PRIVS; seccomp(2) SECCOMP_RET_TRAP and siginfo's si_syscall).
 *
 * A refused call raises SIGSYS in the thread that made it. The handler writes
 * one line naming the thread and the call to stderr (the VM's log under
 * hoverd) with write(2) only, from names computed beforehand, and ends the
 * process with _exit(3): a refused call means the VM process is not doing what
 * it was built to do, so it stops rather than carrying on.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/sandbox.h"
#include "host/sandbox_names.h"

#define SANDBOX_EXIT 3 /* hover run's "host error" status */
#define MAX_RULES 200

/* This thread's name for the SIGSYS line; thread-local because the handler can
 * reach nothing else. */
static __thread char thread_name[16] = "main";

static size_t put(char *buf, size_t at, const char *s)
{
	while (*s && at < 255)
		buf[at++] = *s++;
	return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char line[256], num[12];
	int nr = si->si_syscall;
	const char *name = nr >= 0 && nr < SANDBOX_NR_NAMES && sandbox_syscall_names[nr]
				   ? sandbox_syscall_names[nr]
				   : "unknown";
	unsigned v = nr < 0 ? 0 : (unsigned)nr;
	size_t at = 0, d = sizeof(num) - 1;

	(void)sig;
	(void)uctx;
	num[d] = '\0';
	do {
		num[--d] = (char)('0' + v % 10);
		v /= 10;
	} while (v && d);
	at = put(line, at, "hover: seccomp: thread ");
	at = put(line, at, thread_name);
	at = put(line, at, " made syscall ");
	at = put(line, at, name);
	at = put(line, at, " (");
	at = put(line, at, num + d);
	at = put(line, at, "), not allowed; the VM is stopped\n");
	if (write(STDERR_FILENO, line, at) < 0) {
		/* nowhere else to say it */
	}
	/*
	 * The exit_group system call itself, not _exit(): a sanitizer runtime
	 * intercepts _exit and runs its own checks, whose calls the filter
	 * would refuse inside this handler (SIGSYS is blocked here: a kill).
	 */
	syscall(SYS_exit_group, SANDBOX_EXIT);
	_exit(SANDBOX_EXIT); /* not reached */
}

int sandbox_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

const char *sandbox_thread_name(enum sandbox_thread kind)
{
	static const char *const names[] = {
		[SANDBOX_MAIN] = "main", [SANDBOX_LOOP] = "loop",
		[SANDBOX_VCPU] = "vcpu", [SANDBOX_IO] = "io-disk",
		[SANDBOX_DISPLAY] = "vnc",
		[SANDBOX_MIGRATE] = "migrate",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

/* HOVER_SANDBOX_SELFTEST=NAME: the thread NAME makes one call no thread may
 * make, right after its filter is on. Set by whoever starts the process (a
 * test), never reachable from the guest. */
static void selftest(void)
{
	const char *who = getenv("HOVER_SANDBOX_SELFTEST");

	if (who && !strcmp(who, thread_name))
		syscall(SYS_getppid);
}

int sandbox_enter(enum sandbox_thread kind, unsigned index, const struct sandbox_config *cfg)
{
	struct sandbox_rule rules[MAX_RULES];
	struct sock_filter prog[SANDBOX_BPF_MAX];
	struct sock_fprog fprog;
	size_t n;
	int len;

	if (kind == SANDBOX_MAIN)
		snprintf(thread_name, sizeof(thread_name), "main");
	else if (kind == SANDBOX_LOOP)
		snprintf(thread_name, sizeof(thread_name), "loop");
	else
		snprintf(thread_name, sizeof(thread_name), "%s%u", sandbox_thread_name(kind), index);
	if (kind != SANDBOX_MAIN)
		pthread_setname_np(pthread_self(), thread_name);
	n = sandbox_rules(kind, cfg, rules, MAX_RULES);
	len = sandbox_bpf_build(rules, n, prog, SANDBOX_BPF_MAX);
	if (len < 0)
		return len;
	fprog = (struct sock_fprog){ .len = (unsigned short)len, .filter = prog };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return -errno;
	selftest();
	return 0;
}
