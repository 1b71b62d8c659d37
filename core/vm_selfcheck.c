// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A debugging self-check of the engine's state interface on a live guest
 * (--debug with HOVER_STATE_SELFCHECK=MS): every MS of VM time, a few times,
 * the VM is paused, and once every vCPU is parked, each vCPU's state is taken
 * (vcpu_get_state), put through its byte form (encode, decode), set back
 * (vcpu_set_state) and taken again; the two byte forms must be equal. Dirty
 * logging is started in the first round and must have caught the guest's
 * writes in each later one. Then the VM resumes,
 * and the guest must go on as if nothing happened: a wrong field shows as a
 * guest that crashes or hangs, a lossy one as a difference reported here.
 *
 * It runs on the thread of the last vCPU to park (core/vm.c vcpu_park), so
 * every vCPU is out of the guest and nobody holds vm->lock for it.
 *
 * Left out of the comparison, as engine properties rather than losses:
 * - the LAPIC's current-count register (offset 0x390 of the register page):
 *   an in-kernel LAPIC computes it from the time of the read;
 * - the upper halves of IA32_SYSENTER_ESP/EIP: KVM on AMD keeps only the
 *   low 32 bits for a guest whose CPUID vendor is not Intel (SYSENTER does
 *   not exist in AMD's long mode), while what the guest wrote may read back
 *   whole until the first set (seen under QEMU's emulated SVM).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/accel.h"
#include "include/hover/log.h"
#include "include/hover/vcpu_state.h"
#include "include/hover/vm.h"

#define SELFCHECK_ROUNDS 5
#define LAPIC_TMCCT 0x390
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

struct vm_selfcheck {
	struct timer timer;
	u64 every_ns;
	unsigned rounds;
	unsigned failures;
};

/* What may differ between a get and a get after set without anything being lost (see the top). */
static void normalise(struct vcpu_state *s)
{
	if (s->flags & VCPU_STATE_LAPIC)
		memset(s->lapic + LAPIC_TMCCT, 0, 4);
	for (unsigned i = 0; i < s->nmsrs && i < VCPU_STATE_MAX_MSRS; i++)
		if (s->msrs[i].index == MSR_SYSENTER_ESP || s->msrs[i].index == MSR_SYSENTER_EIP)
			s->msrs[i].value &= 0xffffffffu;
}

/* Offset of the first byte where a and b differ, or -1. */
static long first_difference(const u8 *a, const u8 *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/* get, encode, decode, set, get, encode: -errno, with the reason logged, unless both forms agree. */
static int check_vcpu(struct vm *vm, struct vcpu *v, struct vcpu_state *s, u8 *b1, u8 *b2,
		      size_t max)
{
	const struct accel_ops *ops = vm->accel;
	const char *step = "get";
	long n1, n2, diff;
	int ret;

	ret = ops->vcpu_get_state(v, s);
	if (ret)
		goto fail;
	normalise(s);
	step = "encode/decode";
	n1 = vcpu_state_encode(s, b1, max);
	ret = n1 < 0 ? (int)n1 : 0;
	if (!ret && vcpu_state_decode(s, b1, (size_t)n1) != n1)
		ret = -EINVAL;
	if (ret)
		goto fail;
	step = "set";
	ret = ops->vcpu_set_state(v, s);
	if (ret)
		goto fail;
	step = "get after set";
	ret = ops->vcpu_get_state(v, s);
	if (ret)
		goto fail;
	normalise(s);
	n2 = vcpu_state_encode(s, b2, max);
	diff = n1 == n2 ? first_difference(b1, b2, (size_t)n1) : 0;
	if (diff >= 0) {
		char field[32];

		log_error("state self-check: vcpu%u: state differs after set at byte %ld of %ld, %s "
			  "(%#x != %#x)", v->index, diff, n1,
			  vcpu_state_field_at(s, (size_t)diff, field, sizeof(field)), b1[diff],
			  n2 > diff ? b2[diff] : 0);
		return -EIO;
	}
	log_info("state self-check: vcpu%u: %ld bytes, rip %#llx, identical after get/set/get",
		 v->index, n1, (unsigned long long)s->rip);
	return 0;
fail:
	log_error("state self-check: vcpu%u: %s: %s", v->index, step, strerror(-ret));
	return ret;
}

/* Pages marked in every RAM region, taking the marks (a sync); -errno on failure. */
static long dirty_pages(struct vm *vm)
{
	long n = 0;

	for (unsigned r = 0; r < vm->ram.nregions; r++) {
		size_t words = vm_dirty_bitmap_words(vm, r);
		u64 *bm = calloc(words, sizeof(u64));
		int ret = bm ? vm_dirty_log_sync(vm, r, bm) : -ENOMEM;

		for (size_t i = 0; bm && !ret && i < words; i++)
			n += __builtin_popcountll(bm[i]);
		free(bm);
		if (ret)
			return ret;
	}
	return n;
}

/*
 * The dirty log across rounds: started in the first, left on while the
 * guest runs, synced in each later one — a booting guest writes memory, so
 * pages must show — and stopped in the last. What a second sync right after
 * finds was written while the VM stood still (device DMA only), for the log.
 */
static int check_dirty_log(struct vm *vm, struct vm_selfcheck *c)
{
	long ran, paused;
	int ret;

	if (c->rounds == 1) {
		ret = vm_dirty_log_start(vm);
		if (ret == -ENOTSUP) {
			log_info("state self-check: %s has no dirty log", vm->accel->name);
			return 0;
		}
		return ret;
	}
	if (!atomic_load(&vm->dirty.on))
		return 0;
	ran = dirty_pages(vm);
	paused = ran < 0 ? ran : dirty_pages(vm);
	if (c->rounds == SELFCHECK_ROUNDS)
		vm_dirty_log_stop(vm);
	if (ran < 0 || paused < 0)
		return (int)(ran < 0 ? ran : paused);
	log_info("state self-check: dirty log: %ld pages written since the last round, %ld while paused",
		 ran, paused);
	return ran > 0 ? 0 : -ENODATA;
}

static void run_check(struct vm *vm)
{
	struct vm_selfcheck *c = vm->selfcheck;
	size_t max = vcpu_state_encoded_max();
	struct vcpu_state *s = malloc(sizeof(*s));
	u8 *b1 = malloc(max), *b2 = malloc(max);
	int ret = 0;

	if (!s || !b1 || !b2 || !vm->accel->vcpu_get_state || !vm->accel->vcpu_set_state)
		ret = -ENOMEM;
	for (unsigned i = 0; i < vm->ncpus && !ret; i++)
		ret = check_vcpu(vm, vm->vcpu[i], s, b1, b2, max);
	if (!ret) {
		ret = check_dirty_log(vm, c);
		if (ret)
			log_error("state self-check: dirty log: %s", strerror(-ret));
	}
	if (ret)
		c->failures++;
	log_info("state self-check %u of %u: %s", c->rounds, SELFCHECK_ROUNDS, ret ? "FAILED" : "ok");
	free(s);
	free(b1);
	free(b2);
	vm_resume(vm);
}

/* Timer (event loop, vm->lock held): pause; the last vCPU to park runs the check. */
static void on_timer(void *opaque)
{
	struct vm *vm = opaque;
	struct vm_selfcheck *c = vm->selfcheck;

	if (vm_pause_requested(vm)) { /* someone else paused it: try later */
		timer_mod(&c->timer, timer_now(&c->timer) + c->every_ns);
		return;
	}
	c->rounds++;
	vm->on_all_parked = run_check;
	vm_pause(vm);
	if (c->rounds < SELFCHECK_ROUNDS)
		timer_mod(&c->timer, timer_now(&c->timer) + c->every_ns);
}

int vm_selfcheck_arm(struct vm *vm, u64 every_ns)
{
	struct vm_selfcheck *c;

	if (vm->selfcheck || !every_ns)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->every_ns = every_ns;
	vm->selfcheck = c;
	timer_init(&c->timer, vm->timers, on_timer, vm);
	timer_mod(&c->timer, timer_now(&c->timer) + every_ns);
	log_info("state self-check: every %llu ms of VM time, %u times",
		 (unsigned long long)(every_ns / 1000000), SELFCHECK_ROUNDS);
	return 0;
}

void vm_selfcheck_destroy(struct vm *vm)
{
	if (!vm->selfcheck)
		return;
	timer_del(&vm->selfcheck->timer);
	free(vm->selfcheck);
	vm->selfcheck = NULL;
}
