// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The seccomp rules of each thread of a VM process (see sandbox.h for the
 * threads, README "Security" for the summary). A call no rule allows raises
 * SIGSYS and the VM process stops, naming the call.
 *
 * Every narrow thread (loop, vcpu, io) may:
 *   futex; read write readv writev pread64 pwrite64 preadv pwritev preadv2
 *   pwritev2 (disks, tap, eventfds, console files); sendto sendmsg recvfrom
 *   recvmsg shutdown (console and API sockets); close lseek fcntl fstat
 *   newfstatat; fdatasync fsync fallocate ftruncate (disk flush, discard,
 *   qcow2 growth); mmap and mprotect without PROT_EXEC, munmap mremap madvise
 *   brk (malloc); clock_gettime clock_nanosleep nanosleep gettimeofday;
 *   timerfd_settime epoll_ctl (re-arming the loop's timer, a backend's
 *   interest); getrandom (virtio-rng); getpid gettid tgkill rt_sigprocmask
 *   rt_sigreturn sched_yield restart_syscall exit exit_group.
 * The loop adds epoll_wait epoll_pwait accept4 getsockopt setsockopt
 *   getsockname getpeername (accepting console and API clients),
 *   getrusage (the API's metrics), sched_setaffinity and sched_setscheduler
 *   (live vCPU pinning and real-time changes, hover set); and openat, renameat and unlinkat whose
 *   directory argument is the snapshot directory's fd, opened before the
 *   filters (POST /vm/snapshot writes NAME.partial there, then renames it).
 * A vcpu adds, on kvm, rt_sigaction (the kick signal's handler, installed on
 *   the first run); on emu, memfd_create and executable mmap/mprotect (the
 *   translator maps its code buffer on first use, two views of one memfd).
 * With --cdrom, the loop adds openat read-only, readlink, readlinkat and getcwd
 *   (a media change through the API opens the new disc, path checked first).
 * io adds nothing.
 * vnc (the VNC server's thread, with --display vnc=) adds accept4 (viewers
 *   connect to a socket hover bound before the filters), select and
 *   pselect6 (libvncserver waits on its viewers' sockets with select),
 *   getsockopt setsockopt getsockname getpeername (a new viewer's socket
 *   options and address).
 * migrate (live migration out) adds socket for AF_UNIX, AF_INET and AF_INET6,
 *   connect, setsockopt (TCP_NODELAY, buffer sizes) and poll (transfers with
 *   a time limit); it resolves no names (numeric addresses only).
 * With kvm, loop, vcpu and io threads may issue KVM ioctls (type 0xAE: KVM_RUN,
 *   KVM_IRQ_LINE, KVM_SIGNAL_MSI, register access); ioctl is otherwise refused
 *   (but for libslirp's two below).
 * With --net user (libslirp, which runs in the loop and, for guest transmits,
 *   in the vcpu threads): socket for AF_INET and AF_INET6 only, connect bind
 *   listen accept accept4 getsockopt setsockopt getsockname getpeername, ioctl
 *   FIONREAD and FIONBIO (libslirp's UDP path sizes each datagram), and openat
 *   read-only (libslirp re-reads /etc/resolv.conf for the DNS forwarder).
 * Never, in a narrow thread: open for writing, exec, clone (no new threads or
 *   processes), ptrace, mount, setuid and friends, bpf, kill of other
 *   processes, AF_UNIX/netlink/packet sockets, ioctls other than KVM's (and
 *   libslirp's FIONREAD/FIONBIO).
 *
 * The main thread (set-up, reboot) may do all the narrow threads may (their
 * filters stack on top of the one they inherit from it) and also what building the machine takes:
 *   open/openat, memfd_create, any mmap/mprotect, any ioctl (KVM set-up,
 *   TUNSETIFF, the terminal), sockets of any family with bind/listen/connect,
 *   clone/clone3 (threads), set_robust_list rseq prctl seccomp (new threads
 *   install their filters), rt_sigaction sigaltstack, unlink rmdir umask chmod flock and
 *   the stat family, dup pipe2 epoll/timerfd/eventfd creation, uname sysinfo
 *   sched_getaffinity prlimit64 and the get*id calls. It refuses execve,
 *   ptrace, mount, setuid and friends, bpf, kill, process_vm_*, keyctl...
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "host/sandbox.h"

#define ANY(nr) { (nr), -1, 0, 0 }
#define ARG(nr, i, m, v) { (nr), (i), (m), (v) }
#define KVMIO_TYPE 0xae00u

static const struct sandbox_rule kvm_rules[] = {
	ARG(SYS_ioctl, 1, 0xff00, KVMIO_TYPE),
};

/* Hot calls first: the filter is searched in order on every call. */
static const struct sandbox_rule common_rules[] = {
	ANY(SYS_futex),
	ANY(SYS_read),
	ANY(SYS_write),
	ANY(SYS_readv),
	ANY(SYS_writev),
	ANY(SYS_pread64),
	ANY(SYS_pwrite64),
	ANY(SYS_preadv),
	ANY(SYS_pwritev),
	ANY(SYS_preadv2),
	ANY(SYS_pwritev2),
	ANY(SYS_sendto),
	ANY(SYS_recvfrom),
	ANY(SYS_sendmsg),
	ANY(SYS_recvmsg),
	ANY(SYS_timerfd_settime),
	ANY(SYS_epoll_ctl),
	ANY(SYS_clock_gettime),
	ANY(SYS_gettimeofday),
	ANY(SYS_clock_nanosleep),
	ANY(SYS_nanosleep),
	ANY(SYS_getrandom),
	ANY(SYS_sched_yield),
	ANY(SYS_close),
	ANY(SYS_shutdown),
	ANY(SYS_lseek),
	ANY(SYS_fcntl),
	ANY(SYS_fstat),
	ANY(SYS_newfstatat),
	ANY(SYS_fdatasync),
	ANY(SYS_fsync),
	ANY(SYS_fallocate),
	ANY(SYS_ftruncate),
	ARG(SYS_mmap, 2, PROT_EXEC, 0),
	ARG(SYS_mprotect, 2, PROT_EXEC, 0),
	ANY(SYS_munmap),
	ANY(SYS_mremap),
	ANY(SYS_madvise),
	ANY(SYS_brk),
	ANY(SYS_getpid),
	ANY(SYS_gettid),
	ANY(SYS_tgkill),
	ANY(SYS_rt_sigprocmask),
	ANY(SYS_rt_sigreturn),
	ANY(SYS_restart_syscall),
	ANY(SYS_exit),
	ANY(SYS_exit_group),
};

static const struct sandbox_rule loop_rules[] = {
	ANY(SYS_getrusage),
	ANY(SYS_sched_setaffinity), /* hover set NAME cpu-pin (vCPU threads) */
	ANY(SYS_sched_setscheduler), /* hover set NAME rt */
	ANY(SYS_epoll_wait),
	ANY(SYS_epoll_pwait),
	ANY(SYS_accept4),
	ANY(SYS_getsockopt),
	ANY(SYS_setsockopt),
	ANY(SYS_getsockname),
	ANY(SYS_getpeername),
};

static const struct sandbox_rule display_rules[] = {
	ANY(SYS_select),
	ANY(SYS_pselect6),
	ANY(SYS_accept4),
	ANY(SYS_accept),
	ANY(SYS_getsockopt),
	ANY(SYS_setsockopt),
	ANY(SYS_getsockname),
	ANY(SYS_getpeername),
};

/* A CD-ROM media change (POST /vm/cdrom): open the image read-only, resolve its path. */
static const struct sandbox_rule cdrom_rules[] = {
	ARG(SYS_openat, 2, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY),
	ANY(SYS_readlink),
	ANY(SYS_readlinkat),
	ANY(SYS_getcwd),
};

static const struct sandbox_rule vcpu_kvm_rules[] = {
	ANY(SYS_rt_sigaction),
};

static const struct sandbox_rule vcpu_emu_rules[] = {
	ANY(SYS_memfd_create),
	ANY(SYS_mmap),
	ANY(SYS_mprotect),
};

static const struct sandbox_rule slirp_rules[] = {
	ARG(SYS_socket, 0, 0xffffffff, AF_INET),
	ARG(SYS_socket, 0, 0xffffffff, AF_INET6),
	ANY(SYS_connect),
	ANY(SYS_bind),
	ANY(SYS_listen),
	ANY(SYS_accept),
	ANY(SYS_accept4),
	ANY(SYS_getsockopt),
	ANY(SYS_setsockopt),
	ANY(SYS_getsockname),
	ANY(SYS_getpeername),
	ANY(SYS_epoll_wait),
	ANY(SYS_epoll_pwait),
	ANY(SYS_poll),
	ANY(SYS_ppoll),
	ARG(SYS_openat, 2, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY),
	ARG(SYS_ioctl, 1, 0xffffffff, FIONREAD), /* sorecvfrom: a UDP datagram's size */
	ARG(SYS_ioctl, 1, 0xffffffff, FIONBIO),
};

static const struct sandbox_rule migrate_rules[] = {
	ARG(SYS_socket, 0, 0xffffffff, AF_UNIX),
	ARG(SYS_socket, 0, 0xffffffff, AF_INET),
	ARG(SYS_socket, 0, 0xffffffff, AF_INET6),
	ANY(SYS_connect),
	ANY(SYS_setsockopt),
	ANY(SYS_poll),
	ANY(SYS_ppoll),
};

static const struct sandbox_rule main_rules[] = {
	ANY(SYS_mmap),
	ANY(SYS_mprotect),
	ANY(SYS_ioctl),
	ANY(SYS_open),
	ANY(SYS_openat),
	ANY(SYS_memfd_create),
	ANY(SYS_socket),
	ANY(SYS_socketpair),
	ANY(SYS_connect),
	ANY(SYS_bind),
	ANY(SYS_listen),
	ANY(SYS_accept4),
	ANY(SYS_getsockopt),
	ANY(SYS_setsockopt),
	ANY(SYS_getsockname),
	ANY(SYS_getpeername),
	ANY(SYS_clone),
	ANY(SYS_clone3),
	ANY(SYS_set_robust_list),
	ANY(SYS_rseq),
	ANY(SYS_prctl),
	ANY(SYS_seccomp),
	ANY(SYS_rt_sigaction),
	ANY(SYS_sigaltstack),
	ANY(SYS_unlink),
	ANY(SYS_unlinkat),
	ANY(SYS_rmdir), /* the VM's own cgroup when it ends (--cpu-weight, --cpu-cap) */
	ANY(SYS_rename),
	ANY(SYS_renameat),
	ANY(SYS_mkdir),
	ANY(SYS_umask),
	ANY(SYS_chmod),
	ANY(SYS_fchmod),
	ANY(SYS_fchmodat),
	ANY(SYS_flock),
	ANY(SYS_stat),
	ANY(SYS_lstat),
	ANY(SYS_statx),
	ANY(SYS_statfs),
	ANY(SYS_fstatfs),
	ANY(SYS_access),
	ANY(SYS_faccessat),
	ANY(SYS_faccessat2),
	ANY(SYS_readlink),
	ANY(SYS_readlinkat),
	ANY(SYS_getdents64),
	ANY(SYS_getcwd),
	ANY(SYS_fadvise64),
	ANY(SYS_dup),
	ANY(SYS_dup2),
	ANY(SYS_dup3),
	ANY(SYS_pipe2),
	ANY(SYS_epoll_create1),
	ANY(SYS_epoll_wait),
	ANY(SYS_epoll_pwait),
	ANY(SYS_poll),
	ANY(SYS_ppoll),
	ANY(SYS_timerfd_create),
	ANY(SYS_eventfd2),
	ANY(SYS_uname),
	ANY(SYS_sysinfo),
	ANY(SYS_sched_getaffinity),
	ANY(SYS_prlimit64),
	ANY(SYS_getrlimit),
	ANY(SYS_getuid),
	ANY(SYS_geteuid),
	ANY(SYS_getgid),
	ANY(SYS_getegid),
};

static size_t add(struct sandbox_rule *out, size_t n, size_t max, const struct sandbox_rule *r,
		  size_t count)
{
	for (size_t i = 0; i < count && n < max; i++)
		out[n++] = r[i];
	return n;
}

#define ADD(table) (n = add(out, n, max, (table), sizeof(table) / sizeof((table)[0])))

size_t sandbox_rules(enum sandbox_thread kind, const struct sandbox_config *cfg,
		     struct sandbox_rule *out, size_t max)
{
	size_t n = 0;

	if (kind == SANDBOX_MAIN) {
		/* Filters stack: the threads the main thread starts inherit its filter
		 * under their own, so it must allow everything theirs do. */
		ADD(common_rules);
		ADD(main_rules);
		ADD(loop_rules);
		ADD(vcpu_kvm_rules);
		ADD(vcpu_emu_rules);
		ADD(display_rules);
		if (cfg->kvm)
			ADD(kvm_rules);
		if (cfg->slirp)
			ADD(slirp_rules);
		return n;
	}
	if (cfg->kvm)
		ADD(kvm_rules);
	ADD(common_rules);
	if (kind == SANDBOX_LOOP)
		ADD(loop_rules);
	if (kind == SANDBOX_DISPLAY)
		ADD(display_rules);
	if (kind == SANDBOX_LOOP && cfg->snapshot_dirfd > 0) {
		const struct sandbox_rule snap[] = {
			ARG(SYS_openat, 0, 0xffffffffu, (u32)cfg->snapshot_dirfd),
			ARG(SYS_renameat, 0, 0xffffffffu, (u32)cfg->snapshot_dirfd),
			ARG(SYS_unlinkat, 0, 0xffffffffu, (u32)cfg->snapshot_dirfd),
		};

		ADD(snap);
	}
	if (kind == SANDBOX_LOOP && cfg->cdrom)
		ADD(cdrom_rules);
	if (kind == SANDBOX_MIGRATE)
		ADD(migrate_rules);
	if (kind == SANDBOX_VCPU && cfg->kvm)
		ADD(vcpu_kvm_rules);
	if (kind == SANDBOX_VCPU && !cfg->kvm)
		ADD(vcpu_emu_rules);
	if (cfg->slirp && kind != SANDBOX_IO && kind != SANDBOX_MIGRATE)
		ADD(slirp_rules);
	return n;
}
