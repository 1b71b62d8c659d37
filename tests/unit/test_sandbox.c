// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for host/sandbox*.c: the BPF program allows and traps what it should
 * (run in a child process, which the filter cannot leave), argument checks,
 * the per-thread rule sets, and the SIGSYS line naming the call.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/sandbox.h"
#include "host/sandbox_names.h"

static const struct sandbox_rule base[] = {
	{ SYS_exit_group, -1, 0, 0 },
	{ SYS_write, -1, 0, 0 },
	{ SYS_getpid, -1, 0, 0 },
	{ SYS_mmap, 2, PROT_EXEC, 0 },
	{ SYS_munmap, -1, 0, 0 },
	{ SYS_ioctl, 1, 0xff00, 0xae00 },
};

/* Fork; the child installs the filter and runs fn; return the wait status. */
static int in_child(void (*fn)(void))
{
	struct sock_filter prog[SANDBOX_BPF_MAX];
	int len = sandbox_bpf_build(base, sizeof(base) / sizeof(base[0]), prog, SANDBOX_BPF_MAX);
	int status;
	pid_t pid;

	assert_true(len > 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_fprog f = { .len = (unsigned short)len, .filter = prog };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f))
			_exit(99);
		fn();
		syscall(SYS_exit_group, 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void allowed_calls(void)
{
	void *p;

	syscall(SYS_getpid);
	p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	if (p == MAP_FAILED)
		syscall(SYS_exit_group, 98);
	syscall(SYS_munmap, p, 4096);
	/* a KVM-type ioctl on a bad fd: allowed through, fails with EBADF */
	syscall(SYS_ioctl, -1, 0xae80, 0);
}

static void refused_call(void)
{
	syscall(SYS_getppid);
}

static void exec_mapping(void)
{
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void other_ioctl(void)
{
	syscall(SYS_ioctl, 0, TIOCGWINSZ, 0);
}

static void test_allowed_calls_pass(void **state)
{
	int st = in_child(allowed_calls);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_refused_call_traps(void **state)
{
	(void)state;
	assert_true(WIFSIGNALED(in_child(refused_call)));
	assert_int_equal(WTERMSIG(in_child(refused_call)), SIGSYS);
}

static void test_argument_checks(void **state)
{
	(void)state;
	assert_int_equal(WTERMSIG(in_child(exec_mapping)), SIGSYS);
	assert_int_equal(WTERMSIG(in_child(other_ioctl)), SIGSYS);
}

static bool allows(enum sandbox_thread kind, const struct sandbox_config *cfg, int nr)
{
	struct sandbox_rule r[256];
	size_t n = sandbox_rules(kind, cfg, r, 256);

	for (size_t i = 0; i < n; i++)
		if (r[i].nr == nr)
			return true;
	return false;
}

static void test_rules_per_thread(void **state)
{
	const struct sandbox_config emu = { 0 }, kvm_slirp = { .kvm = true, .slirp = true };
	const int never[] = { SYS_execve, SYS_execveat, SYS_ptrace, SYS_mount, SYS_setuid,
			      SYS_bpf, SYS_kill, SYS_process_vm_writev, SYS_getppid };
	const int narrow_never[] = { SYS_clone, SYS_clone3, SYS_open, SYS_seccomp, SYS_prctl,
				     SYS_unlink, SYS_memfd_create };

	(void)state;
	for (enum sandbox_thread k = SANDBOX_MAIN; k <= SANDBOX_IO; k++) {
		for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
			assert_false(allows(k, &emu, never[i]));
			assert_false(allows(k, &kvm_slirp, never[i]));
		}
	}
	for (enum sandbox_thread k = SANDBOX_LOOP; k <= SANDBOX_IO; k++)
		for (size_t i = 0; i < sizeof(narrow_never) / sizeof(narrow_never[0]); i++)
			if (narrow_never[i] != SYS_memfd_create || k != SANDBOX_VCPU)
				assert_false(allows(k, &kvm_slirp, narrow_never[i]));
	assert_true(allows(SANDBOX_MAIN, &emu, SYS_clone3));
	assert_false(allows(SANDBOX_VCPU, &emu, SYS_ioctl));
	assert_true(allows(SANDBOX_VCPU, &kvm_slirp, SYS_ioctl));
	assert_false(allows(SANDBOX_IO, &kvm_slirp, SYS_socket));
	assert_true(allows(SANDBOX_LOOP, &kvm_slirp, SYS_socket));
	assert_false(allows(SANDBOX_LOOP, &emu, SYS_socket));
	assert_false(allows(SANDBOX_LOOP, &emu, SYS_openat));
	/* A snapshot directory: openat/renameat/unlinkat on its fd, and only there. */
	{
		const struct sandbox_config snap = { .snapshot_dirfd = 7 };
		struct sandbox_rule r[256];
		size_t n = sandbox_rules(SANDBOX_LOOP, &snap, r, 256), found = 0;

		for (size_t i = 0; i < n; i++) {
			if (r[i].nr != SYS_openat && r[i].nr != SYS_renameat && r[i].nr != SYS_unlinkat)
				continue;
			assert_int_equal(r[i].arg, 0);
			assert_int_equal(r[i].mask, 0xffffffffu);
			assert_int_equal(r[i].value, 7);
			found++;
		}
		assert_int_equal(found, 3);
		assert_false(allows(SANDBOX_VCPU, &snap, SYS_openat));
		assert_false(allows(SANDBOX_IO, &snap, SYS_renameat));
	}
}

/* Filters stack: a narrow thread inherits the main thread's filter, so the main
 * rules must allow every call a narrow thread's rules allow. */
static void test_main_covers_every_thread(void **state)
{
	const struct sandbox_config cfgs[] = { { 0 }, { .kvm = true }, { .slirp = true },
					       { .kvm = true, .slirp = true } };
	struct sandbox_rule r[256];

	(void)state;
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++)
		for (enum sandbox_thread k = SANDBOX_LOOP; k <= SANDBOX_IO; k++) {
			size_t n = sandbox_rules(k, &cfgs[c], r, 256);

			for (size_t i = 0; i < n; i++)
				if (!allows(SANDBOX_MAIN, &cfgs[c], r[i].nr))
					fail_msg("%s: syscall %d not in the main rules",
						 sandbox_thread_name(k), r[i].nr);
		}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sandbox_syscall_names[SYS_getppid], "getppid");
	assert_string_equal(sandbox_syscall_names[SYS_read], "read");
	assert_string_equal(sandbox_syscall_names[SYS_io_uring_setup], "io_uring_setup");
}

/* sandbox_enter with the self-test: the child's stderr carries the named line, status 3. */
static void test_sigsys_line(void **state)
{
	const struct sandbox_config cfg = { 0 };
	int pipefd[2], status;
	char buf[256] = { 0 };
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 2);
		setenv("HOVER_SANDBOX_SELFTEST", "io-disk4", 1);
		if (sandbox_init() || sandbox_enter(SANDBOX_IO, 4, &cfg))
			_exit(99);
		_exit(0); /* not reached: the self-test's call stops the process */
	}
	close(pipefd[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	assert_true(n > 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_string_equal(buf, "hover: seccomp: thread io-disk4 made syscall getppid (110), not "
				 "allowed; the VM is stopped\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_calls_pass),
		cmocka_unit_test(test_refused_call_traps),
		cmocka_unit_test(test_argument_checks),
		cmocka_unit_test(test_rules_per_thread),
		cmocka_unit_test(test_main_covers_every_thread),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sigsys_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
