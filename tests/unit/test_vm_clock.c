// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VM clock (core/vm_clock.c): it stands still while the VM is paused,
 * goes on from where it stood, can be set for a restore; device timers count
 * on it; and a paused emu guest's TSC and local APIC timer do not advance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "hw/lapic.h"
#include "include/hover/accel.h"
#include "include/hover/timer.h"
#include "include/hover/vcpu_state.h"
#include "include/hover/vm.h"
#include "include/hover/vm_clock.h"
#include "include/hover/x86_clock.h"

#define MS 1000000ULL

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void test_stands_still_while_paused(void **state)
{
	struct vm_clock c;
	u64 a, b, t0, t1;

	(void)state;
	vm_clock_init(&c);
	t0 = clock_ns();
	a = vm_clock_now(&c);
	assert_true(a >= t0 && a <= clock_ns()); /* starts on the host's monotonic clock */
	vm_clock_pause(&c);
	assert_true(vm_clock_paused(&c));
	a = vm_clock_now(&c);
	sleep_ms(30);
	assert_int_equal(vm_clock_now(&c), a);
	vm_clock_pause(&c); /* idempotent */
	assert_int_equal(vm_clock_now(&c), a);
	t0 = clock_ns();
	vm_clock_resume(&c);
	sleep_ms(5);
	b = vm_clock_now(&c);
	t1 = clock_ns();
	/* It went on from a: the 30 ms pause is not in it. */
	assert_true(b >= a);
	assert_true(b - a <= t1 - t0);
	vm_clock_destroy(&c);
}

static void test_set_for_restore(void **state)
{
	struct vm_clock c;
	u64 v;

	(void)state;
	vm_clock_init(&c);
	vm_clock_pause(&c);
	vm_clock_set(&c, 123 * MS);
	assert_int_equal(vm_clock_now(&c), 123 * MS);
	assert_int_equal(vm_clock_to_host(&c, 200 * MS), UINT64_MAX);
	vm_clock_resume(&c);
	v = vm_clock_now(&c);
	assert_true(v >= 123 * MS && v < 1123 * MS);
	/* A host timer for VM time T fires when the VM clock reads T. */
	v = vm_clock_to_host(&c, 200 * MS);
	assert_true(v > clock_ns());
	assert_true(v - clock_ns() <= 77 * MS);
	/* Set while running, even far ahead of the host's clock (an older host's snapshot). */
	vm_clock_set(&c, clock_ns() + 3600000 * MS);
	assert_true(vm_clock_now(&c) >= clock_ns() + 3599999 * MS);
	vm_clock_destroy(&c);
}

static int fired;
static void on_fire(void *opaque)
{
	(void)opaque;
	fired++;
}

static void test_device_timers_count_on_it(void **state)
{
	struct vm_clock c;
	struct timer_list *tl;
	struct timer t;
	u64 host_before, host_after;

	(void)state;
	vm_clock_init(&c);
	assert_int_equal(timer_list_create(&tl), 0);
	timer_list_set_clock(tl, &c);
	timer_init(&t, tl, on_fire, NULL);
	timer_mod(&t, timer_now(&t) + 50 * MS);
	host_before = timer_list_next_host_deadline(tl);
	vm_clock_pause(&c);
	/* Paused: nothing to arm, and no amount of host time makes it due. */
	assert_int_equal(timer_list_next_host_deadline(tl), UINT64_MAX);
	sleep_ms(60);
	fired = 0;
	timer_list_run(tl, timer_list_now(tl));
	assert_int_equal(fired, 0);
	vm_clock_resume(&c);
	/* Due later on the host by (about) the pause. */
	host_after = timer_list_next_host_deadline(tl);
	assert_true(host_after >= host_before + 60 * MS);
	timer_list_run(tl, timer_list_now(tl));
	assert_int_equal(fired, 0);
	timer_list_destroy(tl);
	vm_clock_destroy(&c);
}

#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390

static u64 guest_tsc(struct vm *vm)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	u64 tsc;

	assert_int_equal(vm->accel->vcpu_get_state(vm->vcpu[0], s), 0);
	tsc = s->tsc;
	free(s);
	return tsc;
}

static u32 lapic_count(struct lapic *l)
{
	return (u32)lapic_mmio_ops.read(l, APIC_TMCCT, 4);
}

static void test_paused_emu_guest_time_stands_still(void **state)
{
	const struct accel_ops *emu = accel_find("emu");
	struct lapic_config cfg = { .apic_id = 0, .bsp = true };
	struct vm *vm;
	struct lapic *l;
	u64 tsc_a, tsc_b, tsc_c, t0, t1;
	u32 cnt_a, cnt_b, cnt_c;

	(void)state;
	assert_non_null(emu);
	assert_int_equal(vm_create(&vm, 16 * MiB, 1, emu), 0);
	cfg.timers = vm->timers;
	assert_int_equal(lapic_create(&l, &cfg), 0);
	/* One-shot LAPIC timer counting down from the top (divide by 2: minutes of counting). */
	lapic_mmio_ops.write(l, APIC_TMICT, 4, 0xffffffffu);
	sleep_ms(2);
	assert_true(lapic_count(l) < 0xffffffffu);

	vm_pause(vm);
	tsc_a = guest_tsc(vm);
	cnt_a = lapic_count(l);
	sleep_ms(100);
	tsc_b = guest_tsc(vm);
	cnt_b = lapic_count(l);
	assert_int_equal(tsc_b, tsc_a);
	assert_int_equal(cnt_b, cnt_a);

	t0 = clock_ns();
	vm_resume(vm);
	sleep_ms(10);
	tsc_c = guest_tsc(vm);
	cnt_c = lapic_count(l);
	t1 = clock_ns();
	/* Both go on from where they stood, by no more than the time since the resume. */
	assert_true(tsc_c > tsc_b);
	assert_true(tsc_c - tsc_b <= (t1 - t0) * (X86_TSC_HZ / 1000000000ULL) + 1000);
	assert_true(cnt_c < cnt_b);
	assert_true((u64)(cnt_b - cnt_c) <= (t1 - t0) * X86_CRYSTAL_HZ / 2 / 1000000000ULL + 2);

	lapic_destroy(l);
	vm_destroy(vm);
}

/*
 * A restore into a VM whose clock reads something else entirely (another
 * host, hours later): clock set first, vCPU state after, and the guest's TSC
 * goes on from the snapshot's value, not from the new host's time.
 */
static void test_restore_continues_from_the_snapshot(void **state)
{
	const struct accel_ops *emu = accel_find("emu");
	struct vcpu_state *s = malloc(sizeof(*s)), *t = malloc(sizeof(*t));
	struct vm *vm;
	u64 snap_clock, t0, t1;

	(void)state;
	assert_int_equal(vm_create(&vm, 16 * MiB, 1, emu), 0);
	vm_pause(vm);
	snap_clock = vm_clock_ns(vm);
	assert_int_equal(vm->accel->vcpu_get_state(vm->vcpu[0], s), 0);

	/* "Elsewhere, later": a clock three hours off, then the snapshot restored. */
	vm_clock_set(&vm->clock, snap_clock + 3ULL * 3600 * 1000000000ULL);
	assert_int_equal(vm->accel->vcpu_get_state(vm->vcpu[0], t), 0);
	assert_true(t->tsc > s->tsc); /* the TSC follows the clock it counts on */
	vm_clock_set(&vm->clock, snap_clock);
	assert_int_equal(vm->accel->vcpu_set_state(vm->vcpu[0], s), 0);
	assert_int_equal(vm->accel->vcpu_get_state(vm->vcpu[0], t), 0);
	assert_int_equal(t->tsc, s->tsc);
	assert_int_equal(vm_clock_ns(vm), snap_clock);

	t0 = clock_ns();
	vm_resume(vm);
	sleep_ms(10);
	assert_int_equal(vm->accel->vcpu_get_state(vm->vcpu[0], t), 0);
	t1 = clock_ns();
	assert_true(t->tsc > s->tsc);
	assert_true(t->tsc - s->tsc <= (t1 - t0) * (X86_TSC_HZ / 1000000000ULL) + 1000);
	free(s);
	free(t);
	vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stands_still_while_paused),
		cmocka_unit_test(test_set_for_restore),
		cmocka_unit_test(test_device_timers_count_on_it),
		cmocka_unit_test(test_paused_emu_guest_time_stands_still),
		cmocka_unit_test(test_restore_continues_from_the_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
