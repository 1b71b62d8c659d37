// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compile a syscall allow-list to classic BPF for seccomp (Linux
 * Documentation/userspace-api/seccomp_filter.rst; the program reads struct
 * seccomp_data: nr, arch, instruction_pointer, args[6]).
 *
 * The program is a straight line so that no jump needs more than the 8-bit
 * offsets classic BPF allows:
 *
 *	ld arch; jeq AUDIT_ARCH_X86_64 ? next : trap
 *	ld nr;   jge X32_SYSCALL_BIT ? trap : next
 *	per rule without an argument check:  jeq nr ? allow : skip 1
 *	per rule with one:                   jeq nr ? next : skip 5
 *	                                     ld args[i] (low word); and mask
 *	                                     jeq value ? allow : skip 1
 *	                                     allow; ld nr (for the next rule)
 *	trap: ret TRAP; allow: ret ALLOW
 * "allow" is a `ret ALLOW` placed right after each rule, so every jump is short.
 * The rules' order is the search order: hot calls (ioctl for KVM_RUN, futex,
 * reads and writes) first.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>

#include "host/sandbox_bpf.h"

#define X32_SYSCALL_BIT 0x40000000u
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(u64))

int sandbox_bpf_build(const struct sandbox_rule *rules, size_t n, struct sock_filter *prog,
		      size_t max)
{
	size_t pc = 0;

#define EMIT(insn)                       \
	do {                             \
		if (pc == max)           \
			return -E2BIG;   \
		prog[pc++] = (insn);     \
	} while (0)

	EMIT((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	EMIT((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	EMIT((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	EMIT((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	EMIT((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1));
	EMIT((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	for (size_t i = 0; i < n; i++) {
		const struct sandbox_rule *r = &rules[i];

		if (r->arg < 0) {
			EMIT((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)r->nr, 0, 1));
			EMIT((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
			continue;
		}
		if (r->arg > 5)
			return -EINVAL;
		EMIT((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)r->nr, 0, 5));
		EMIT((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(r->arg)));
		EMIT((struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, r->mask));
		EMIT((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->value, 0, 1));
		EMIT((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
		EMIT((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	}
	EMIT((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
#undef EMIT
	return (int)pc;
}
