// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kvm engine: Linux KVM runs the guest CPU (Intel VT-x / AMD-V), hover
 * supplies memory, devices and boot — the same machine model, boot code and
 * devices as the emu engine, behind the same accel_ops.
 *
 * This file: the probe (can KVM run here, and if not, why not, in words a
 * person can act on), VM creation (RAM slots, the VMX helper pages, the
 * in-kernel irqchip and PIT via irq.c, the supported CPUID via cpuid.c) and
 * the ops table. vcpu.c has the vCPUs and the run loop.
 *
 * Reference: Documentation/virt/kvm/api.rst sections 4.1-4.4 (system and VM
 * ioctls), 4.35 KVM_SET_USER_MEMORY_REGION, 4.48 KVM_SET_TSS_ADDR.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accel/kvm/kvm_int.h"
#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "include/hover/vm.h"

#define KVM_DEV "/dev/kvm"

/* What hover needs from KVM beyond API version 12, and why. */
static const struct {
	int cap;
	const char *what;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user memory slots" },
	{ KVM_CAP_IRQCHIP, "an in-kernel irqchip" },
	{ KVM_CAP_IRQ_ROUTING, "GSI routing" },
	{ KVM_CAP_PIT2, "an in-kernel PIT" },
	{ KVM_CAP_EXT_CPUID, "KVM_GET_SUPPORTED_CPUID" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_SET_TSS_ADDR" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit (Linux 4.11 or later)" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_SIGNAL_MSI" },
};

/* Does /proc/cpuinfo list this flag for the first CPU? -1 if unreadable. */
static int cpuinfo_has_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096], *save = NULL;
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		found = 0;
		for (char *tok = strtok_r(line, " \t\n:", &save); tok;
		     tok = strtok_r(NULL, " \t\n:", &save))
			if (strcmp(tok, flag) == 0)
				found = 1;
		break;
	}
	fclose(f);
	return found;
}

/* Why /dev/kvm is missing: no VT-x/AMD-V, a hypervisor hiding it, or no module. */
static void explain_missing(char *why, size_t len)
{
	int vmx = cpuinfo_has_flag("vmx"), svm = cpuinfo_has_flag("svm");
	int hv = cpuinfo_has_flag("hypervisor");

	if (vmx > 0 || svm > 0)
		snprintf(why, len, "no " KVM_DEV " (the CPU has %s but the kvm module is not loaded: "
			 "modprobe %s)", vmx > 0 ? "VT-x" : "AMD-V", vmx > 0 ? "kvm_intel" : "kvm_amd");
	else if (hv > 0)
		snprintf(why, len, "no " KVM_DEV " (this host is itself a virtual machine and its "
			 "hypervisor does not expose VT-x/AMD-V: nested virtualization is disabled)");
	else
		snprintf(why, len, "no " KVM_DEV " (this host has no hardware virtualization or the "
			 "kvm module is not loaded)");
}

static void explain_denied(char *why, size_t len)
{
	struct stat st;
	char grp[64] = "kvm";

	if (stat(KVM_DEV, &st) == 0) {
		struct group g, *res = NULL;
		char buf[1024];

		if (getgrgid_r(st.st_gid, &g, buf, sizeof(buf), &res) == 0 && res)
			snprintf(grp, sizeof(grp), "%s", res->gr_name);
	}
	snprintf(why, len, "permission denied on " KVM_DEV " (add yourself to the '%s' group: "
		 "sudo usermod -aG %s $USER, then log in again)", grp, grp);
}

static int open_kvm(char *why, size_t len)
{
	int fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd >= 0)
		return fd;
	switch (err) {
	case ENOENT:
		explain_missing(why, len);
		break;
	case EACCES:
	case EPERM:
		explain_denied(why, len);
		break;
	case ENXIO:
	case ENODEV:
		snprintf(why, len, KVM_DEV " exists but no KVM driver answers (is kvm_intel or "
			 "kvm_amd loaded, and virtualization enabled in the firmware?)");
		break;
	default:
		snprintf(why, len, "cannot open " KVM_DEV ": %s", strerror(err));
		break;
	}
	return -err;
}

static int create_vm(int sys_fd)
{
	int fd;

	do
		fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

static int check_kvm(int sys_fd, char *why, size_t len)
{
	int ver = ioctl(sys_fd, KVM_GET_API_VERSION, 0);

	if (ver != KVM_API_VERSION) {
		snprintf(why, len, KVM_DEV " speaks KVM API version %d; hover needs %d", ver,
			 KVM_API_VERSION);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(sys_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			snprintf(why, len, "this kernel's KVM lacks %s (capability %d)",
				 required_caps[i].what, required_caps[i].cap);
			return -ENOTSUP;
		}
	}
	return 0;
}

static void explain_create_vm(int err, char *why, size_t len)
{
	if (err == EBUSY)
		snprintf(why, len, "KVM_CREATE_VM: VT-x/AMD-V is in use by another hypervisor "
			 "(VirtualBox or VMware?)");
	else if (err == ENOMEM || err == EMFILE)
		snprintf(why, len, "KVM_CREATE_VM: %s (the host is out of resources)", strerror(err));
	else
		snprintf(why, len, "KVM_CREATE_VM failed: %s (is virtualization enabled in the "
			 "firmware, or nested virtualization in the outer hypervisor?)", strerror(err));
}

static int kvm_probe(char *why, size_t len)
{
	int sys_fd, vm_fd, ret;

	sys_fd = open_kvm(why, len);
	if (sys_fd < 0)
		return sys_fd;
	ret = check_kvm(sys_fd, why, len);
	if (ret == 0) {
		vm_fd = create_vm(sys_fd);
		if (vm_fd < 0) {
			explain_create_vm(-vm_fd, why, len);
			ret = vm_fd;
		} else {
			close(vm_fd);
		}
	}
	close(sys_fd);
	return ret;
}

/* One memory slot per RAM region, in the order the regions are laid out (dirty.c relies on it). */
static int map_ram(struct kvma_vm *kv, const struct guest_ram *ram)
{
	for (unsigned i = 0; i < ram->nregions; i++) {
		int ret = accel_kvm_map_slot(kv, ram, i, 0);

		if (ret) {
			log_error("kvm: cannot map guest RAM [%#llx, +%#llx): %s",
				  (unsigned long long)ram->region[i].gpa,
				  (unsigned long long)ram->region[i].size, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* A device's memory (VRAM) added after vm_init: one more slot, logged if logging is on. */
static int kvm_ram_region_added(struct vm *vm, unsigned region)
{
	return accel_kvm_map_slot(kvma_vm_of(vm), &vm->ram, region,
				  atomic_load(&vm->dirty.on) ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

static int kvm_vm_init(struct vm *vm)
{
	struct kvma_vm *kv = calloc(1, sizeof(*kv));
	char why[256];
	u64 idmap = KVMA_IDENTITY_MAP_ADDR;
	struct timespec t0, t1;
	int ret;

	if (!kv)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kv->vm_fd = -1;
	kv->sys_fd = open_kvm(why, sizeof(why));
	if (kv->sys_fd < 0) {
		ret = kv->sys_fd;
		log_error("kvm: %s", why);
		goto err_free;
	}
	kv->vm_fd = create_vm(kv->sys_fd);
	if (kv->vm_fd < 0) {
		ret = kv->vm_fd;
		explain_create_vm(-ret, why, sizeof(why));
		log_error("kvm: %s", why);
		goto err_sys;
	}
	kv->run_size = ioctl(kv->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kv->run_size < (int)sizeof(struct kvm_run)) {
		ret = -EINVAL;
		goto err_vm;
	}
	/* VMX needs these three pages for real-mode guests; they must not be RAM or MMIO. */
	if (ioctl(kv->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVMA_TSS_ADDR) < 0 ||
	    (ioctl(kv->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	     ioctl(kv->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)) {
		ret = -errno;
		log_error("kvm: cannot place the VMX TSS/identity map pages: %s", strerror(-ret));
		goto err_vm;
	}
	ret = map_ram(kv, &vm->ram);
	if (ret)
		goto err_vm;
	ret = accel_kvm_irq_init(kv);
	if (ret)
		goto err_vm;
	ret = accel_kvm_cpuid_get_supported(kv);
	if (ret)
		goto err_vm;
	ret = accel_kvm_state_init(kv);
	if (ret)
		goto err_cpuid;
	vm->accel_data = kv;
	/* kvmclock reads the VM clock from the start (and again after each pause). */
	ret = accel_kvm_clock_sync(vm);
	if (ret < 0)
		log_warn("kvm: cannot set kvmclock to the VM clock (KVM_SET_CLOCK): %s", strerror(-ret));
	kv->tsc_deadline = ioctl(kv->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("kvm: VM created in %.1f ms (monotonic clock at %.1f ms)",
		  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		  (double)t1.tv_sec * 1e3 + (double)t1.tv_nsec / 1e6);
	return 0;

err_cpuid:
	free(kv->supported);
err_vm:
	close(kv->vm_fd);
err_sys:
	close(kv->sys_fd);
err_free:
	free(kv);
	return ret;
}

static void kvm_vm_destroy(struct vm *vm)
{
	struct kvma_vm *kv = kvma_vm_of(vm);

	if (!kv)
		return;
	free(kv->supported);
	close(kv->vm_fd);
	close(kv->sys_fd);
	free(kv);
	vm->accel_data = NULL;
}

const struct accel_ops accel_kvm_ops = {
	.name = "kvm",
	.probe = kvm_probe,
	.irqchip_in_kernel = true,
	.vm_init = kvm_vm_init,
	.vm_destroy = kvm_vm_destroy,
	.vcpu_init = accel_kvm_vcpu_init,
	.vcpu_destroy = accel_kvm_vcpu_destroy,
	.vcpu_set_regs = accel_kvm_vcpu_set_regs,
	.vcpu_get_regs = accel_kvm_vcpu_get_regs,
	.vcpu_get_state = accel_kvm_vcpu_get_state,
	.vcpu_set_state = accel_kvm_vcpu_set_state,
	.vcpu_run = accel_kvm_vcpu_run,
	.vcpu_kick = accel_kvm_vcpu_kick,
	.set_irq = accel_kvm_set_irq,
	.signal_msi = accel_kvm_signal_msi,
	.vm_clock_sync = accel_kvm_clock_sync,
	.dirty_log_start = accel_kvm_dirty_log_start,
	.dirty_log_sync = accel_kvm_dirty_log_sync,
	.dirty_log_stop = accel_kvm_dirty_log_stop,
	.ram_region_added = kvm_ram_region_added,
};
