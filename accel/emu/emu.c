// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The emu engine: hover's software x86-64 CPU (cpu/x86) behind accel_ops.
 *
 * This adapter is the only place where the CPU meets the machine: its bus
 * callbacks take the VM's device lock and dispatch to the shared address
 * spaces, the vCPU's local APIC page, and the interrupt controller. HLT
 * sleeps on a condition variable until vcpu_kick() — an idle guest costs no
 * host CPU.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel/emu/emu.h"
#include "cpu/x86/cpu.h"
#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "include/hover/vm.h"

struct emu_vcpu {
	struct vcpu *vcpu;
	struct x86_cpu *cpu;
	pthread_mutex_t halt_lock;
	pthread_cond_t halt_cond;
	bool wake;
	/*
	 * Whether the vCPU thread is inside x86_cpu_run, under run_lock: a
	 * dirty-log sync waits for a running CPU to drop its write entries, and
	 * drops them itself for one that is not (parked, or not started).
	 */
	pthread_mutex_t run_lock;
	bool running;
};

static inline struct emu_vcpu *ev_of(struct vcpu *v) { return v->accel_data; }

static int emu_probe(char *why, size_t len)
{
	(void)why;
	(void)len;
	return 0; /* runs anywhere */
}

static int emu_vm_init(struct vm *vm)
{
	(void)vm;
	return 0;
}

static void emu_vm_destroy(struct vm *vm)
{
	(void)vm;
}

/* ---- bus callbacks (vCPU thread) ---- */

static u8 *bus_ram_page(void *opaque, u64 gpa)
{
	struct emu_vcpu *ev = opaque;

	return ram_ptr(&ev->vcpu->vm->ram, gpa & ~0xfffULL, 4096);
}

static bool is_apic_page(struct emu_vcpu *ev, u64 gpa)
{
	const struct vcpu_intc *ic = &ev->vcpu->intc;

	if (!ic->mmio_ops || !ic->get_base)
		return false;
	u64 base = ic->get_base(ic->opaque);

	return (base & (1ULL << 11)) && (gpa & ~0xfffULL) == (base & ~0xfffULL & ((1ULL << 52) - 1));
}

static int bus_mmio_read(void *opaque, u64 gpa, unsigned size, u64 *val)
{
	struct emu_vcpu *ev = opaque;
	struct vm *vm = ev->vcpu->vm;
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	if (is_apic_page(ev, gpa)) {
		const struct vcpu_intc *ic = &ev->vcpu->intc;

		*val = ic->mmio_ops->read(ic->opaque, gpa & 0xfff, size);
	} else {
		ret = as_read(vm->mmio, gpa, size, val);
		if (ret && vm->debug)
			log_ratelimited(LOG_DEBUG, "unclaimed MMIO read at %#llx (%u bytes)",
					(unsigned long long)gpa, size);
	}
	pthread_mutex_unlock(&vm->lock);
	return ret ? -1 : 0;
}

static int bus_mmio_write(void *opaque, u64 gpa, unsigned size, u64 val)
{
	struct emu_vcpu *ev = opaque;
	struct vm *vm = ev->vcpu->vm;
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	if (is_apic_page(ev, gpa)) {
		const struct vcpu_intc *ic = &ev->vcpu->intc;

		ic->mmio_ops->write(ic->opaque, gpa & 0xfff, size, val);
	} else {
		ret = as_write(vm->mmio, gpa, size, val);
		if (ret && vm->debug)
			log_ratelimited(LOG_DEBUG, "unclaimed MMIO write at %#llx (%u bytes) = %#llx",
					(unsigned long long)gpa, size, (unsigned long long)val);
	}
	pthread_mutex_unlock(&vm->lock);
	return ret ? -1 : 0;
}

static int bus_pio_in(void *opaque, u16 port, unsigned size, u32 *val)
{
	struct emu_vcpu *ev = opaque;
	struct vm *vm = ev->vcpu->vm;
	u64 v;
	int ret;

	pthread_mutex_lock(&vm->lock);
	ret = as_read(vm->pio, port, size, &v);
	pthread_mutex_unlock(&vm->lock);
	if (ret && vm->debug)
		log_ratelimited(LOG_DEBUG, "unclaimed port read %#x (%u bytes)", port, size);
	*val = (u32)v;
	return ret ? -1 : 0;
}

static int bus_pio_out(void *opaque, u16 port, unsigned size, u32 val)
{
	struct emu_vcpu *ev = opaque;
	struct vm *vm = ev->vcpu->vm;
	int ret;

	pthread_mutex_lock(&vm->lock);
	ret = as_write(vm->pio, port, size, val);
	pthread_mutex_unlock(&vm->lock);
	if (ret && vm->debug)
		log_ratelimited(LOG_DEBUG, "unclaimed port write %#x (%u bytes) = %#x", port, size, val);
	return ret ? -1 : 0;
}

static int bus_intr_ack(void *opaque)
{
	struct emu_vcpu *ev = opaque;
	struct vm *vm = ev->vcpu->vm;
	int v = -1;

	if (!ev->vcpu->intc.ack)
		return -1;
	pthread_mutex_lock(&vm->lock);
	v = ev->vcpu->intc.ack(ev->vcpu->intc.opaque);
	pthread_mutex_unlock(&vm->lock);
	return v;
}

static u64 bus_apic_base_get(void *opaque)
{
	struct emu_vcpu *ev = opaque;
	struct vm *vm = ev->vcpu->vm;
	u64 v = 0;

	if (!ev->vcpu->intc.get_base)
		return 0;
	pthread_mutex_lock(&vm->lock);
	v = ev->vcpu->intc.get_base(ev->vcpu->intc.opaque);
	pthread_mutex_unlock(&vm->lock);
	return v;
}

static void bus_apic_base_set(void *opaque, u64 val)
{
	struct emu_vcpu *ev = opaque;
	struct vm *vm = ev->vcpu->vm;

	if (!ev->vcpu->intc.set_base)
		return;
	pthread_mutex_lock(&vm->lock);
	ev->vcpu->intc.set_base(ev->vcpu->intc.opaque, val);
	pthread_mutex_unlock(&vm->lock);
}

static void bus_halt_wait(void *opaque)
{
	struct emu_vcpu *ev = opaque;

	pthread_mutex_lock(&ev->halt_lock);
	while (!ev->wake && vm_stopped(ev->vcpu->vm) == VM_RUNNING)
		pthread_cond_wait(&ev->halt_cond, &ev->halt_lock);
	ev->wake = false;
	pthread_mutex_unlock(&ev->halt_lock);
}

static void bus_log_unimplemented(void *opaque, u64 rip, const u8 *bytes, unsigned len)
{
	struct emu_vcpu *ev = opaque;
	char hex[64] = "";

	if (!ev->vcpu->vm->debug)
		return;
	for (unsigned i = 0; i < len && i < 15; i++)
		snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ", bytes[i]);
	log_warn("vcpu%u: unimplemented instruction at rip=%#llx: %s(raised #UD)",
		 ev->vcpu->index, (unsigned long long)rip, hex);
}

/* The TSC counts on the VM clock, so it stands still while the VM is paused. */
static u64 bus_clock_ns(void *opaque)
{
	struct emu_vcpu *ev = opaque;

	return vm_clock_ns(ev->vcpu->vm);
}

/* Dirty logging: the CPU is about to write this page. */
static void bus_page_dirty(void *opaque, u64 gpa)
{
	struct emu_vcpu *ev = opaque;

	vm_dirty_mark(ev->vcpu->vm, gpa, 4096);
}

/* ---- accel_ops ---- */

static int emu_vcpu_init(struct vcpu *vcpu)
{
	struct emu_vcpu *ev = calloc(1, sizeof(*ev));
	struct x86_bus bus = {
		.ram_page = bus_ram_page,
		.mmio_read = bus_mmio_read,
		.mmio_write = bus_mmio_write,
		.pio_in = bus_pio_in,
		.pio_out = bus_pio_out,
		.intr_ack = bus_intr_ack,
		.apic_base_get = bus_apic_base_get,
		.apic_base_set = bus_apic_base_set,
		.halt_wait = bus_halt_wait,
		.log_unimplemented = bus_log_unimplemented,
		.clock_ns = bus_clock_ns,
		.page_dirty = bus_page_dirty,
	};
	int ret;

	if (!ev)
		return -ENOMEM;
	ev->vcpu = vcpu;
	bus.opaque = ev;
	pthread_mutex_init(&ev->halt_lock, NULL);
	pthread_cond_init(&ev->halt_cond, NULL);
	pthread_mutex_init(&ev->run_lock, NULL);
	ret = x86_cpu_create(&ev->cpu, &bus, vcpu->index);
	if (ret) {
		pthread_mutex_destroy(&ev->run_lock);
		pthread_cond_destroy(&ev->halt_cond);
		pthread_mutex_destroy(&ev->halt_lock);
		free(ev);
		return ret;
	}
	/* Interpret instead of translating: for chasing a suspected translator bug (see README). */
	{
		const char *jit = getenv("HOVER_EMU_JIT");

		if (jit && (!strcmp(jit, "off") || !strcmp(jit, "0")))
			x86_cpu_set_jit(ev->cpu, false);
		else if (jit && strcmp(jit, "on") && strcmp(jit, "1") && vcpu->index == 0)
			log_warn("HOVER_EMU_JIT=%s: expected on or off; translating", jit);
	}
	vcpu->accel_data = ev;
	return 0;
}

static void emu_vcpu_destroy(struct vcpu *vcpu)
{
	struct emu_vcpu *ev = ev_of(vcpu);

	if (!ev)
		return;
	x86_cpu_destroy(ev->cpu);
	pthread_mutex_destroy(&ev->run_lock);
	pthread_cond_destroy(&ev->halt_cond);
	pthread_mutex_destroy(&ev->halt_lock);
	free(ev);
	vcpu->accel_data = NULL;
}

static int emu_vcpu_set_regs(struct vcpu *vcpu, const struct vcpu_regs *regs)
{
	x86_cpu_set_regs(ev_of(vcpu)->cpu, regs);
	return 0;
}

static void emu_vcpu_set_a20(struct vcpu *vcpu, bool enabled)
{
	x86_cpu_set_a20(ev_of(vcpu)->cpu, enabled);
}

static int emu_vcpu_get_regs(struct vcpu *vcpu, struct vcpu_regs *regs)
{
	x86_cpu_get_regs(ev_of(vcpu)->cpu, regs);
	return 0;
}

static int emu_vcpu_get_state(struct vcpu *vcpu, struct vcpu_state *state)
{
	x86_cpu_get_state(ev_of(vcpu)->cpu, state);
	return 0;
}

static int emu_vcpu_set_state(struct vcpu *vcpu, const struct vcpu_state *state)
{
	return x86_cpu_set_state(ev_of(vcpu)->cpu, state);
}

static int emu_vcpu_run(struct vcpu *vcpu)
{
	struct emu_vcpu *ev = ev_of(vcpu);
	struct vm *vm = vcpu->vm;

	while (vm_stopped(vm) == VM_RUNNING) {
		enum x86_exit why;

		pthread_mutex_lock(&ev->run_lock);
		ev->running = true;
		pthread_mutex_unlock(&ev->run_lock);
		why = x86_cpu_run(ev->cpu);
		/* Leaving: answer what was asked meanwhile, so nobody waits on a parked CPU. */
		pthread_mutex_lock(&ev->run_lock);
		x86_cpu_poll_requests(ev->cpu);
		ev->running = false;
		pthread_mutex_unlock(&ev->run_lock);

		switch (why) {
		case X86_EXIT_STOP:
			if (vm_pause_requested(vm))
				vcpu_park(vcpu);
			break;
		case X86_EXIT_SHUTDOWN:
			x86_cpu_get_regs(ev->cpu, &vm->stop_regs);
			vm->stop_regs_valid = true;
			vm_request_stop(vm, VM_TRIPLE_FAULT, "vcpu%u", vcpu->index);
			break;
		case X86_EXIT_HALT:
			x86_cpu_get_regs(ev->cpu, &vm->stop_regs);
			vm->stop_regs_valid = true;
			vm_request_stop(vm, VM_ERROR,
					"vcpu%u: halted with interrupts disabled; nothing can wake it",
					vcpu->index);
			break;
		}
	}
	return 0;
}

static void emu_vcpu_kick(struct vcpu *vcpu)
{
	struct emu_vcpu *ev = ev_of(vcpu);

	if (!ev)
		return;
	if (vm_stopped(vcpu->vm) != VM_RUNNING || vm_pause_requested(vcpu->vm))
		x86_cpu_request_stop(ev->cpu);
	else
		x86_cpu_kick(ev->cpu);
	pthread_mutex_lock(&ev->halt_lock);
	ev->wake = true;
	pthread_cond_signal(&ev->halt_cond);
	pthread_mutex_unlock(&ev->halt_lock);
}

/* ---- dirty logging ---- */

static void wake_halted(struct emu_vcpu *ev)
{
	pthread_mutex_lock(&ev->halt_lock);
	ev->wake = true;
	pthread_cond_signal(&ev->halt_cond);
	pthread_mutex_unlock(&ev->halt_lock);
}

/*
 * Have every vCPU drop its write TLB entries (after turning reporting on or
 * off, if on_off >= 0) and return once all have: a running CPU does it at
 * its next instruction boundary, one that is not running is done here.
 */
static void drop_writes_everywhere(struct vm *vm, int on_off)
{
	u32 req[VM_MAX_CPUS];

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct emu_vcpu *ev = ev_of(vm->vcpu[i]);

		req[i] = on_off >= 0 ? x86_cpu_set_dirty_log(ev->cpu, on_off)
				     : x86_cpu_request_drop_writes(ev->cpu);
		wake_halted(ev);
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct emu_vcpu *ev = ev_of(vm->vcpu[i]);

		for (;;) {
			struct timespec ts = { 0, 20000 };
			bool running;

			pthread_mutex_lock(&ev->run_lock);
			running = ev->running;
			if (!running)
				x86_cpu_poll_requests(ev->cpu);
			pthread_mutex_unlock(&ev->run_lock);
			if (!running || x86_cpu_drop_writes_done(ev->cpu, req[i]))
				break;
			nanosleep(&ts, NULL);
		}
	}
}

static int emu_dirty_log_start(struct vm *vm)
{
	drop_writes_everywhere(vm, 1);
	return 0;
}

/* The CPU's marks are in the core bitmap already (bus_page_dirty): only re-arm them. */
static int emu_dirty_log_sync(struct vm *vm, unsigned region, u64 *bitmap)
{
	(void)region;
	(void)bitmap;
	drop_writes_everywhere(vm, -1);
	return 0;
}

static void emu_dirty_log_stop(struct vm *vm)
{
	/* Entries made without marks are harmless once nobody looks: no need to drop them. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		x86_cpu_set_dirty_log(ev_of(vm->vcpu[i])->cpu, false);
}

/* Device DMA: every vCPU drops code it decoded from the written bytes. */
static void emu_ram_written(struct vm *vm, u64 gpa, u64 len)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct emu_vcpu *ev = ev_of(vm->vcpu[i]);

		if (ev)
			x86_cpu_phys_written(ev->cpu, gpa, len);
	}
}

u64 accel_emu_icount(struct vcpu *vcpu)
{
	struct emu_vcpu *ev = ev_of(vcpu);

	return ev ? ev->cpu->icount : 0;
}

const struct accel_ops accel_emu_ops = {
	.name = "emu",
	.probe = emu_probe,
	.irqchip_in_kernel = false,
	.vm_init = emu_vm_init,
	.vm_destroy = emu_vm_destroy,
	.vcpu_init = emu_vcpu_init,
	.vcpu_destroy = emu_vcpu_destroy,
	.vcpu_set_regs = emu_vcpu_set_regs,
	.vcpu_get_regs = emu_vcpu_get_regs,
	.vcpu_get_state = emu_vcpu_get_state,
	.vcpu_set_state = emu_vcpu_set_state,
	.vcpu_set_a20 = emu_vcpu_set_a20,
	.vcpu_run = emu_vcpu_run,
	.vcpu_kick = emu_vcpu_kick,
	.ram_written = emu_ram_written,
	.dirty_log_start = emu_dirty_log_start,
	.dirty_log_sync = emu_dirty_log_sync,
	.dirty_log_stop = emu_dirty_log_stop,
};
