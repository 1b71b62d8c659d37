// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VM's share of the host (run_res.h).
 *
 * CPU weight and cap go through a cgroup holding the whole VM process:
 * cgroup v2 (Documentation/admin-guide/cgroup-v2.rst) cpu.weight (1-10000,
 * default 100) and cpu.max ("QUOTA PERIOD"); where the host mounts only the
 * v1 cpu controller, the same through cpu.shares (weight * 1024 / 100) and
 * cpu.cfs_quota_us/cpu.cfs_period_us. Under hoverd's v2 cgroup
 * (/hover/NAME) that one is used; otherwise hover makes hover/NAME-PID under
 * the controller's root and moves itself in. The files stay open, so the
 * sandboxed event loop can change them live with a write().
 *
 * Pinning: vCPU threads get the --cpu-pin set; the VMM's other threads (the
 * event loop, disk I/O) the host's other CPUs where there are any, so that
 * device work does not steal a pinned vCPU's core. --rt: vCPU threads run
 * SCHED_FIFO at a bounded priority, which needs CAP_SYS_NICE (or an
 * RLIMIT_RTPRIO that high).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mgmt/parse.h"
#include "mgmt/run_res.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CG_V1_CPU CG_ROOT "/cpu"
#define CG_PERIOD_US 100000
/* cgroup v1 with CONFIG_RT_GROUP_SCHED: a new cgroup's cpu.rt_runtime_us is 0. */
#define RT_V1_WHY "the VM's cgroup (cgroup v1 cpu controller, for --cpu-weight/--cpu-cap) " \
	"gives real-time threads no runtime (cpu.rt_runtime_us is 0 there); use cgroup v2, or " \
	"leave out --cpu-weight/--cpu-cap to run real-time vCPUs"

void run_res_init(struct run_res *r)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	memset(r, 0, sizeof(*r));
	r->cg_weight_fd = r->cg_max_fd = -1;
	r->host_ncpu = n > 0 ? n : 1;
	if (sched_getaffinity(0, sizeof(r->allowed), &r->allowed))
		CPU_ZERO(&r->allowed);
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "hover: --%s %s: %s\n", opt, val ? val : "", why);
	return -EINVAL;
}

/* "0-1,3": CPUs the host has and this process may use. */
static int parse_cpulist(const struct run_res *r, const char *s, cpu_set_t *set, char *why,
			 size_t len)
{
	const cpu_set_t *allowed = &r->allowed;
	long ncpu = r->host_ncpu;
	char *copy = strdup(s), *tok, *save = NULL;
	int ret = 0;

	CPU_ZERO(set);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long lo = strtoul(tok, &end, 10), hi = lo;

		if (end == tok || (*end && *end != '-'))
			ret = -EINVAL;
		else if (*end == '-' && (hi = strtoul(end + 1, &end, 10), *end || hi < lo))
			ret = -EINVAL;
		if (ret) {
			snprintf(why, len, "not a CPU list (try 0, 0-1 or 0,2)");
			break;
		}
		for (unsigned long c = lo; c <= hi; c++) {
			if ((long)c >= ncpu || c >= CPU_SETSIZE) {
				snprintf(why, len, "CPU %lu: this host has CPUs 0-%ld", c, ncpu - 1);
				ret = -EINVAL;
				break;
			}
			if (CPU_COUNT(allowed) && !CPU_ISSET(c, allowed)) {
				snprintf(why, len, "CPU %lu is not one this process may run on "
					 "(its affinity or cpuset leaves it out)", c);
				ret = -EINVAL;
				break;
			}
			CPU_SET(c, set);
		}
	}
	if (!ret && CPU_COUNT(set) == 0) {
		snprintf(why, len, "an empty CPU list (try 0 or 0-1)");
		ret = -EINVAL;
	}
	free(copy);
	return ret;
}

/* "25%" or "25": percent of one host CPU, 1 to 100 per host CPU. */
static int parse_cap(const struct run_res *r, const char *s, unsigned *out, char *why,
		     size_t len)
{
	char num[16];
	size_t n = strlen(s);
	unsigned max = (unsigned)r->host_ncpu * 100;

	if (n && s[n - 1] == '%')
		n--;
	if (n == 0 || n >= sizeof(num)) {
		snprintf(why, len, "not a percentage (try 50%%)");
		return -EINVAL;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_uint(num, 0, 1000000, out)) {
		snprintf(why, len, "not a percentage (try 50%%)");
		return -EINVAL;
	}
	if (*out == 0 || *out > max) {
		snprintf(why, len, "a cap must be 1%% to %u%% (100%% is one host CPU; this host "
			 "has %ld)", max, r->host_ncpu);
		return -EINVAL;
	}
	return 0;
}

static int parse_weight(const char *s, unsigned *out, char *why, size_t len)
{
	if (parse_uint(s, 1, 10000, out)) {
		snprintf(why, len, "a weight is 1 to 10000 (100 is the default share)");
		return -EINVAL;
	}
	return 0;
}

static int parse_rt(const char *s, unsigned *out, char *why, size_t len)
{
	if (!s) {
		*out = 1;
		return 0;
	}
	if (parse_uint(s, 0, RUN_RES_RT_MAX, out)) {
		snprintf(why, len, "a real-time priority is 1 to %d (0: normal scheduling); "
			 "higher ones belong to the host kernel's threads", RUN_RES_RT_MAX);
		return -EINVAL;
	}
	return 0;
}

int run_res_option(struct run_res *r, const char *name, const char *val)
{
	char why[160];

	if (!strcmp(name, "balloon")) {
		r->balloon = true;
		if (val && parse_size(val, &r->balloon_target))
			return bad(name, val, "not a size (--balloon=1G starts the guest asked to "
				   "keep 1G; plain --balloon keeps all its RAM)");
	} else if (!strcmp(name, "mem-merge")) {
		r->ram.merge = true;
	} else if (!strcmp(name, "mem-hugepages")) {
		if (!val || !strcmp(val, "auto"))
			r->ram.pages = RAM_PAGES_AUTO;
		else if (!strcmp(val, "hugetlb"))
			r->ram.pages = RAM_PAGES_HUGETLB;
		else if (!strcmp(val, "thp"))
			r->ram.pages = RAM_PAGES_THP;
		else
			return bad(name, val, "auto, hugetlb or thp");
	} else if (!strcmp(name, "cpu-weight")) {
		if (parse_weight(val, &r->cpu_weight, why, sizeof(why)))
			return bad(name, val, why);
	} else if (!strcmp(name, "cpu-cap")) {
		if (parse_cap(r, val, &r->cpu_cap, why, sizeof(why)))
			return bad(name, val, why);
	} else if (!strcmp(name, "cpu-pin")) {
		if (parse_cpulist(r, val, &r->pin, why, sizeof(why)))
			return bad(name, val, why);
		r->pinned = true;
		snprintf(r->pin_text, sizeof(r->pin_text), "%s", val);
	} else if (!strcmp(name, "rt")) {
		if (parse_rt(val, &r->rt_prio, why, sizeof(why)))
			return bad(name, val, why);
	} else {
		return bad(name, val, "not a resource option");
	}
	return 0;
}

int run_res_check(struct run_res *r, u64 memory, unsigned cpus)
{
	if (r->balloon_target > memory) {
		fprintf(stderr, "hover: --balloon=%lluM is more than --memory %lluM (the balloon "
			"target is what the guest keeps of its RAM: give a smaller one)\n",
			(unsigned long long)(r->balloon_target >> 20),
			(unsigned long long)(memory >> 20));
		return -EINVAL;
	}
	if (r->balloon_target && r->balloon_target < 64 * MiB) {
		fprintf(stderr, "hover: --balloon=%lluM: a guest left with less than 64M fails "
			"to run (give 64M or more)\n", (unsigned long long)(r->balloon_target >> 20));
		return -EINVAL;
	}
	(void)cpus;
	return 0;
}

/* ---- cgroups ---- */

static int write_str(int fd, const char *s)
{
	ssize_t n = pwrite(fd, s, strlen(s), 0);

	return n == (ssize_t)strlen(s) ? 0 : (n < 0 ? -errno : -EIO);
}

static int write_path(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = write_str(fd, s);
	close(fd);
	return ret;
}

/* Our cgroup path under the v2 hierarchy ("0::/x") or under v1's cpu controller. */
static int own_cgroup(int version, char *out, size_t len)
{
	char line[1024];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		if (version == 2 ? !strcmp(line, "0") && c1[1] == '\0'
				 : strstr(c1 + 1, "cpu") && (!strcmp(c1 + 1, "cpu") ||
					!strncmp(c1 + 1, "cpu,", 4) || strstr(c1 + 1, ",cpu,") ||
					(strlen(c1 + 1) > 4 &&
					 !strcmp(c1 + 1 + strlen(c1 + 1) - 4, ",cpu")))) {
			snprintf(out, len, "%s", c2 + 1);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

static bool is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int cg_values(const struct run_res *r, char *w, size_t wl, char *m, size_t ml)
{
	unsigned weight = r->cpu_weight ? r->cpu_weight : 100;

	if (r->cg_version == 2) {
		snprintf(w, wl, "%u", weight);
		if (r->cpu_cap)
			snprintf(m, ml, "%u %u", r->cpu_cap * (CG_PERIOD_US / 100), CG_PERIOD_US);
		else
			snprintf(m, ml, "max %u", CG_PERIOD_US);
	} else {
		snprintf(w, wl, "%u", weight * 1024 / 100 < 2 ? 2 : weight * 1024 / 100);
		snprintf(m, ml, "%d", r->cpu_cap ? (int)(r->cpu_cap * (CG_PERIOD_US / 100)) : -1);
	}
	return 0;
}

static int cg_write_all(struct run_res *r)
{
	char w[32], m[48];
	int ret;

	cg_values(r, w, sizeof(w), m, sizeof(m));
	ret = write_str(r->cg_weight_fd, w);
	return ret ? ret : write_str(r->cg_max_fd, m);
}

/*
 * hover/NAME-PID cgroups whose process is gone (killed: it could not leave
 * and remove its own): an empty cgroup is removed, a busy one refuses.
 */
static void cg_sweep(const char *hover_dir)
{
	DIR *d = opendir(hover_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *dash = strrchr(e->d_name, '-');
		long pid = dash ? strtol(dash + 1, NULL, 10) : 0;

		/* pid 1: made inside hoverd's PID namespace; rmdir refuses it while in use */
		if (e->d_type != DT_DIR || pid <= 0 ||
		    (pid != 1 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)))
			continue;
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static int cg_setup(struct run_res *r, const char *name, char *err, size_t errlen)
{
	char own[200], p[400], pid[32];
	const char *base;
	int ret;

	if (is_cgroup2(CG_ROOT) && own_cgroup(2, own, sizeof(own)) == 0) {
		r->cg_version = 2;
		base = CG_ROOT;
	} else if (access(CG_V1_CPU "/cpu.shares", F_OK) == 0 && own_cgroup(1, own, sizeof(own)) == 0) {
		r->cg_version = 1;
		base = CG_V1_CPU;
	} else {
		snprintf(err, errlen, "this host has no cgroup cpu controller at %s (cgroup v2) or %s "
			 "(v1)", CG_ROOT, CG_V1_CPU);
		return -ENOTSUP;
	}
	if (r->cg_version == 2 && !strncmp(own, "/hover/", 7)) {
		snprintf(r->cg_dir, sizeof(r->cg_dir), "%s%s", base, own); /* hoverd's */
	} else {
		if (r->cg_version == 2) {
			write_path(CG_ROOT "/cgroup.subtree_control", "+cpu");
			mkdir(CG_ROOT "/hover", 0755);
			write_path(CG_ROOT "/hover/cgroup.subtree_control", "+cpu");
		} else {
			mkdir(CG_V1_CPU "/hover", 0755);
		}
		snprintf(p, sizeof(p), "%s/hover", base);
		cg_sweep(p);
		snprintf(r->cg_dir, sizeof(r->cg_dir), "%s/hover/%s-%d", base, name, (int)getpid());
		if (mkdir(r->cg_dir, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot make cgroup %s: %s (cgroups are not delegated "
				 "to this user: run as root, or under a systemd unit with "
				 "Delegate=yes)", r->cg_dir, strerror(errno));
			return -errno;
		}
		snprintf(p, sizeof(p), "%s/cgroup.procs", r->cg_dir);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		ret = write_path(p, pid);
		if (ret) {
			rmdir(r->cg_dir);
			snprintf(err, errlen, "cannot move hover into cgroup %s: %s", r->cg_dir,
				 strerror(-ret));
			return ret;
		}
		snprintf(r->cg_parent_procs, sizeof(r->cg_parent_procs), "%s%s%scgroup.procs",
			 base, own, own[strlen(own) - 1] == '/' ? "" : "/");
	}
	snprintf(p, sizeof(p), "%s/%s", r->cg_dir, r->cg_version == 2 ? "cpu.weight" : "cpu.shares");
	r->cg_weight_fd = open(p, O_WRONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/%s", r->cg_dir,
		 r->cg_version == 2 ? "cpu.max" : "cpu.cfs_quota_us");
	r->cg_max_fd = open(p, O_WRONLY | O_CLOEXEC);
	if (r->cg_weight_fd < 0 || r->cg_max_fd < 0) {
		snprintf(err, errlen, "cannot open the cpu files of cgroup %s: %s (is the cpu "
			 "controller enabled for it?)", r->cg_dir, strerror(errno));
		return -EACCES;
	}
	if (r->cg_version == 1) {
		snprintf(p, sizeof(p), "%s/cpu.cfs_period_us", r->cg_dir);
		write_path(p, "100000");
	}
	ret = cg_write_all(r);
	if (ret)
		snprintf(err, errlen, "cannot set cpu weight/cap in cgroup %s: %s", r->cg_dir,
			 strerror(-ret));
	return ret;
}

/* CAP_SYS_NICE in the effective set, or an RLIMIT_RTPRIO of at least prio. */
static bool may_rt(unsigned prio)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	struct rlimit rl;

	if (syscall(SYS_capget, &h, d) == 0 && (d[0].effective & (1u << CAP_SYS_NICE)))
		return true;
	return getrlimit(RLIMIT_RTPRIO, &rl) == 0 && rl.rlim_cur >= prio;
}

int run_res_apply(struct run_res *r, const char *name, char *err, size_t errlen)
{
	if (r->rt_prio && r->jailed) {
		snprintf(err, errlen, "--rt=%u: a jailed VM (hoverd, as root) runs as a uid of its own "
			 "without CAP_SYS_NICE, so its vCPUs cannot be real-time; run it with hover "
			 "run as root instead", r->rt_prio);
		return -EPERM;
	}
	if (r->rt_prio && !may_rt(r->rt_prio)) {
		snprintf(err, errlen, "--rt=%u: real-time vCPUs need CAP_SYS_NICE (run as root, or "
			 "setcap cap_sys_nice+ep on hover) or an RLIMIT_RTPRIO of %u (ulimit -r)",
			 r->rt_prio, r->rt_prio);
		return -EPERM;
	}
	if (!r->cpu_weight && !r->cpu_cap)
		return 0;
	if (cg_setup(r, name ? name : "vm", r->cg_why, sizeof(r->cg_why))) {
		snprintf(err, errlen, "--cpu-weight/--cpu-cap: %s", r->cg_why);
		r->cg_version = 0;
		return -EACCES;
	}
	if (r->rt_prio && r->cg_version == 1) {
		char p[400], v[32] = "";
		int fd;

		snprintf(p, sizeof(p), "%s/cpu.rt_runtime_us", r->cg_dir);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && pread(fd, v, sizeof(v) - 1, 0) > 0 && atoll(v) == 0) {
			close(fd);
			snprintf(err, errlen, "--rt: %s", RT_V1_WHY);
			return -EPERM;
		}
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* ---- threads ---- */

static int pin_thread(pid_t tid, const struct run_res *r, bool vcpu)
{
	cpu_set_t set;

	if (!r->pinned)
		return 0;
	if (vcpu) {
		set = r->pin;
	} else {
		long n = r->host_ncpu;

		CPU_ZERO(&set);
		for (long c = 0; c < n && c < CPU_SETSIZE; c++)
			if (!CPU_ISSET(c, &r->pin))
				CPU_SET(c, &set);
		if (CPU_COUNT(&set) == 0) /* every CPU is a vCPU's: share them */
			for (long c = 0; c < n && c < CPU_SETSIZE; c++)
				CPU_SET(c, &set);
	}
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

static int rt_thread(pid_t tid, unsigned prio)
{
	struct sched_param sp = { .sched_priority = (int)prio };

	return sched_setscheduler(tid, prio ? SCHED_FIFO : SCHED_OTHER, &sp) ? -errno : 0;
}

int run_res_thread(struct run_res *r, enum vm_thread kind, unsigned index)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	bool vcpu = kind == VM_THREAD_VCPU;
	int ret;

	if (vcpu && index < VM_MAX_CPUS) {
		r->vcpu_tid[index] = tid;
		if (index + 1 > r->nvcpus)
			r->nvcpus = index + 1;
	}
	ret = pin_thread(tid, r, vcpu);
	if (ret == 0 && vcpu && r->rt_prio)
		ret = rt_thread(tid, r->rt_prio);
	return ret;
}

/* ---- live changes ---- */

int run_res_set(struct run_res *r, const char *key, const char *val, char *err, size_t errlen)
{
	struct run_res next = *r;
	char why[160];
	int ret = 0;

	if (!strcmp(key, "cpu-weight") || !strcmp(key, "cpu-cap")) {
		int bad_val;

		if (!strcmp(key, "cpu-weight"))
			bad_val = parse_weight(val, &next.cpu_weight, why, sizeof(why));
		else if (!strcmp(val, "none") || !strcmp(val, "off"))
			bad_val = (int)(next.cpu_cap = 0);
		else
			bad_val = parse_cap(r, val, &next.cpu_cap, why, sizeof(why));
		if (bad_val) {
			snprintf(err, errlen, "%s %s: %s", key, val, why);
			return 400;
		}
		if (!r->cg_version) {
			snprintf(err, errlen, "%s: this VM has no cgroup of its own (start it with "
				 "--cpu-weight or --cpu-cap to change them live%s%s)", key,
				 r->cg_why[0] ? "; " : "", r->cg_why);
			return 409;
		}
		ret = cg_write_all(&next);
	} else if (!strcmp(key, "cpu-pin")) {
		if (!strcmp(val, "none") || !strcmp(val, "off")) {
			next.pinned = false;
			CPU_ZERO(&next.pin);
			for (long c = 0; c < r->host_ncpu && c < CPU_SETSIZE; c++)
				CPU_SET(c, &next.pin);
			next.pinned = true; /* apply "all CPUs" to every thread, then forget */
			next.pin_text[0] = '\0';
		} else if (parse_cpulist(r, val, &next.pin, why, sizeof(why))) {
			snprintf(err, errlen, "cpu-pin %s: %s", val, why);
			return 400;
		} else {
			next.pinned = true;
			snprintf(next.pin_text, sizeof(next.pin_text), "%s", val);
		}
		for (unsigned i = 0; i < r->nvcpus && !ret; i++)
			ret = pin_thread(r->vcpu_tid[i], &next, true);
		if (ret == 0 && !next.pin_text[0])
			next.pinned = false;
	} else if (!strcmp(key, "rt")) {
		if (parse_rt(val, &next.rt_prio, why, sizeof(why))) {
			snprintf(err, errlen, "rt %s: %s", val, why);
			return 400;
		}
		for (unsigned i = 0; i < r->nvcpus && !ret; i++)
			ret = rt_thread(r->vcpu_tid[i], next.rt_prio);
		if (ret == -EPERM && r->cg_version == 1) {
			snprintf(err, errlen, "rt %s: %s", val, RT_V1_WHY);
			return 409;
		}
		if (ret == -EPERM) {
			snprintf(err, errlen, "rt %s: real-time vCPUs need CAP_SYS_NICE, which this VM's "
				 "process does not have", val);
			return 409;
		}
	} else {
		snprintf(err, errlen, "no setting \"%s\" (memory, cpu-weight, cpu-cap, cpu-pin, rt)",
			 key);
		return 400;
	}
	if (ret) {
		snprintf(err, errlen, "%s %s: %s", key, val, strerror(-ret));
		return 500;
	}
	next.cg_weight_fd = r->cg_weight_fd;
	next.cg_max_fd = r->cg_max_fd;
	*r = next;
	return 0;
}

json_t *run_res_json(const struct run_res *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "cpu_weight", json_integer(r->cpu_weight ? r->cpu_weight : 100));
	json_object_set_new(o, "cpu_cap_percent", r->cpu_cap ? json_integer(r->cpu_cap) : json_null());
	json_object_set_new(o, "cpu_pin", r->pinned ? json_string(r->pin_text) : json_null());
	json_object_set_new(o, "rt_priority", json_integer(r->rt_prio));
	json_object_set_new(o, "cgroup", r->cg_version ? json_string(r->cg_dir) : json_null());
	if (r->cg_version)
		json_object_set_new(o, "cgroup_version", json_integer(r->cg_version));
	return o;
}

void run_res_close(struct run_res *r)
{
	char pid[32];

	if (r->cg_weight_fd >= 0)
		close(r->cg_weight_fd);
	if (r->cg_max_fd >= 0)
		close(r->cg_max_fd);
	r->cg_weight_fd = r->cg_max_fd = -1;
	if (r->cg_parent_procs[0]) {
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (write_path(r->cg_parent_procs, pid) == 0)
			rmdir(r->cg_dir);
	}
	r->cg_parent_procs[0] = '\0';
}
