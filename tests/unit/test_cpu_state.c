// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The software CPU's whole state (cpu/x86/state.c) through struct
 * vcpu_state: a CPU brought to a state with something in every part (long
 * mode, FS loaded and rebased, x87 stack and XMM registers holding values,
 * MSRs written, CR2, DR0) is copied into a fresh CPU on its own copy of the
 * RAM; getting the state back gives the same bytes, and the two CPUs then
 * run on identically — through translated code, RDTSC/RDTSCP, RDMSR, FPU
 * and SSE arithmetic, and an interrupt handed over mid-delivery.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"
#include "include/hover/vcpu_state.h"
#include "include/hover/x86_msr.h"
#include "tests/unit/cpu_harness.h"

/* A VM clock standing still, so both CPUs read the same TSC. */
static u64 fake_clock(void *opaque)
{
	(void)opaque;
	return 5000000000ULL;
}

#define CONT (HARNESS_CODE + 0x800)

static const u8 setup_code[] = {
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,   /* mov rax, 1.0 */
	0x66, 0x48, 0x0f, 0x6e, 0xc0,               /* movq xmm0, rax */
	0x66, 0x48, 0x0f, 0x6e, 0xd8,               /* movq xmm3, rax */
	0xf2, 0x0f, 0x58, 0xd8,                     /* addsd xmm3, xmm0 */
	0xd9, 0xe8, 0xd9, 0xeb, 0xde, 0xc1,         /* fld1; fldpi; faddp */
	0xd9, 0xe8,                                 /* fld1 */
	0x66, 0xb8, 0x10, 0x00, 0x8e, 0xe0,         /* mov ax, 0x10; mov fs, ax */
	0xb9, 0x82, 0x00, 0x00, 0xc0,               /* LSTAR = 0xffffffff81e01000 */
	0xb8, 0x00, 0x10, 0xe0, 0x81, 0xba, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x30,
	0xb9, 0x81, 0x00, 0x00, 0xc0,               /* STAR = 0x0010000800000000 */
	0xb8, 0, 0, 0, 0, 0xba, 0x08, 0x00, 0x10, 0x00, 0x0f, 0x30,
	0xb9, 0x02, 0x01, 0x00, 0xc0,               /* KERNEL_GS_BASE = 0xffff888012345000 */
	0xb8, 0x00, 0x50, 0x34, 0x12, 0xba, 0x80, 0x88, 0xff, 0xff, 0x0f, 0x30,
	0xb9, 0x03, 0x01, 0x00, 0xc0,               /* TSC_AUX = 7 */
	0xb8, 7, 0, 0, 0, 0xba, 0, 0, 0, 0, 0x0f, 0x30,
	0xb9, 0x00, 0x01, 0x00, 0xc0,               /* FS_BASE = 0x200100 */
	0xb8, 0x00, 0x01, 0x20, 0x00, 0xba, 0, 0, 0, 0, 0x0f, 0x30,
	0xb9, 0x75, 0x01, 0x00, 0x00,               /* SYSENTER_ESP = 0x80000 */
	0xb8, 0x00, 0x00, 0x08, 0x00, 0xba, 0, 0, 0, 0, 0x0f, 0x30,
	0x48, 0xb8, 0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0, /* mov rax, 0xdeadbeef */
	0x0f, 0x22, 0xd0,                           /* mov cr2, rax */
	0x0f, 0x23, 0xc0,                           /* mov dr0, rax */
	0x48, 0xc7, 0xc3, 0x34, 0x12, 0x00, 0x00,   /* mov rbx, 0x1234 */
	0x64, 0x48, 0x89, 0x1c, 0x25, 0, 0, 0, 0,   /* mov fs:[0], rbx */
	0xf4,                                       /* hlt */
};

static const u8 cont_code[] = {
	0xf2, 0x0f, 0x58, 0xc3,                     /* addsd xmm0, xmm3 */
	0xd8, 0xc1,                                 /* fadd st0, st1 */
	0x0f, 0x31,                                 /* rdtsc */
	0x48, 0x01, 0xc3,                           /* add rbx, rax */
	0x0f, 0x01, 0xf9,                           /* rdtscp */
	0x48, 0x01, 0xcb,                           /* add rbx, rcx */
	0xb9, 0x82, 0x00, 0x00, 0xc0, 0x0f, 0x32,   /* rdmsr LSTAR */
	0x64, 0x48, 0x8b, 0x0c, 0x25, 0, 0, 0, 0,   /* mov rcx, fs:[0] */
	0x48, 0x0f, 0xaf, 0xcb,                     /* imul rcx, rbx */
	0x64, 0x48, 0x89, 0x0c, 0x25, 8, 0, 0, 0,   /* mov fs:[8], rcx */
	0xf4,                                       /* hlt */
};

static struct cpu_harness *machine(void)
{
	struct cpu_harness *h = harness_create();

	assert_non_null(h);
	h->cpu->bus.clock_ns = fake_clock;
	harness_load_at(h, CONT, cont_code, sizeof(cont_code));
	harness_load(h, setup_code, sizeof(setup_code));
	return h;
}

/* The byte form of a CPU's state (what a snapshot would hold). */
static long encoded(struct x86_cpu *cpu, u8 *buf, size_t len)
{
	struct vcpu_state *s = malloc(sizeof(*s));
	long n;

	x86_cpu_get_state(cpu, s);
	n = vcpu_state_encode(s, buf, len);
	free(s);
	assert_true(n > 0);
	return n;
}

static void assert_same_state(struct cpu_harness *a, struct cpu_harness *b)
{
	size_t max = vcpu_state_encoded_max();
	u8 *ba = malloc(max), *bb = malloc(max);
	long na = encoded(a->cpu, ba, max), nb = encoded(b->cpu, bb, max);

	assert_int_equal(na, nb);
	assert_memory_equal(ba, bb, (size_t)na);
	assert_memory_equal(harness_ptr(a, HARNESS_DATA), harness_ptr(b, HARNESS_DATA), 0x1000);
	free(ba);
	free(bb);
}

static void test_round_trip_and_continue(void **state)
{
	struct cpu_harness *a = machine(), *b = machine();
	struct vcpu_state *s = malloc(sizeof(*s));
	u64 v;

	(void)state;
	assert_int_equal(harness_run(a), X86_EXIT_HALT);
	assert_int_equal(harness_exception(a), -1);
	x86_cpu_get_state(a->cpu, s);

	/* Something in every part. */
	assert_int_equal(s->mp_state, VCPU_MP_HALTED);
	assert_true(s->efer & (1u << 10)); /* LMA */
	assert_int_equal(s->seg[SEG_FS].sel, 0x10);
	assert_int_equal(s->seg[SEG_FS].base, 0x200100);
	assert_int_equal(s->cr2, 0xdeadbeef);
	assert_int_equal(s->dr[0], 0xdeadbeef);
	assert_true(vcpu_state_msr_get(s, X86_MSR_LSTAR, &v));
	assert_int_equal(v, 0xffffffff81e01000ULL);
	assert_true(vcpu_state_msr_get(s, X86_MSR_KERNEL_GS_BASE, &v));
	assert_int_equal(v, 0xffff888012345000ULL);
	assert_true(vcpu_state_msr_get(s, X86_MSR_TSC_AUX, &v));
	assert_int_equal(v, 7);
	assert_int_equal(s->apic_base, 0xfee00900ULL);
	assert_int_equal(s->tsc, 10000000000ULL); /* 5 s of the VM clock at 2 GHz */
	assert_int_equal(s->xsave[4], 0xc0);      /* abridged FTW: ST0, ST1 in use (R6, R7) */
	assert_int_equal(s->xsave[512], 3);       /* XSTATE_BV: x87 | SSE */
	assert_int_equal(s->xsave[160 + 3 * 16 + 7], 0x40); /* XMM3 = 2.0 */

	/* Into a fresh CPU on a copy of the RAM: the same state back, byte for byte. */
	memcpy(harness_ptr(b, 0), harness_ptr(a, 0), HARNESS_RAM_SIZE);
	assert_int_equal(x86_cpu_set_state(b->cpu, s), 0);
	assert_same_state(a, b);

	/* Both continue elsewhere and stay identical. */
	s->rip = CONT;
	s->mp_state = VCPU_MP_RUNNABLE;
	assert_int_equal(x86_cpu_set_state(a->cpu, s), 0);
	assert_int_equal(x86_cpu_set_state(b->cpu, s), 0);
	assert_int_equal(harness_run(a), X86_EXIT_HALT);
	assert_int_equal(harness_run(b), X86_EXIT_HALT);
	assert_int_equal(harness_exception(a), -1);
	assert_int_equal(harness_exception(b), -1);
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0x81e01000);
	assert_true(harness_read64(a, 0x200108) != 0);
	assert_same_state(a, b);

	free(s);
	harness_destroy(a);
	harness_destroy(b);
}

static void test_interrupt_handed_over(void **state)
{
	struct cpu_harness *a = machine(), *b = machine();
	struct vcpu_state *s = malloc(sizeof(*s)), *t = malloc(sizeof(*t));

	(void)state;
	assert_int_equal(harness_run(a), X86_EXIT_HALT);
	memcpy(harness_ptr(b, 0), harness_ptr(a, 0), HARNESS_RAM_SIZE);
	x86_cpu_get_state(a->cpu, s);
	/* Another engine stopped while delivering vector 0x41 (IF is clear: it is delivered anyway). */
	s->rip = CONT;
	s->mp_state = VCPU_MP_RUNNABLE;
	s->events.interrupt_injected = 1;
	s->events.interrupt_vector = 0x41;
	assert_int_equal(x86_cpu_set_state(a->cpu, s), 0);
	assert_int_equal(x86_cpu_set_state(b->cpu, s), 0);
	x86_cpu_get_state(b->cpu, t);
	assert_int_equal(t->events.interrupt_injected, 1);
	assert_int_equal(t->events.interrupt_vector, 0x41);
	assert_same_state(a, b);
	assert_int_equal(harness_run(a), X86_EXIT_HALT);
	assert_int_equal(harness_run(b), X86_EXIT_HALT);
	assert_int_equal(harness_exception(a), 0x41);
	assert_int_equal(harness_exception(b), 0x41);
	assert_int_equal(a->exc_rip, CONT);
	assert_same_state(a, b);
	x86_cpu_get_state(a->cpu, t);
	assert_int_equal(t->events.interrupt_injected, 0);

	/* A page fault caught mid-delivery, with its error code. */
	s->events = (struct vcpu_events){ .exception_injected = 1, .exception_vector = 14,
					  .exception_has_error = 1, .exception_error = 6 };
	assert_int_equal(x86_cpu_set_state(a->cpu, s), 0);
	assert_int_equal(harness_run(a), X86_EXIT_HALT);
	assert_int_equal(harness_exception(a), 14);
	assert_int_equal(a->exc_err, 6);

	/* The STI shadow survives the trip. */
	s->events = (struct vcpu_events){ .shadow = VCPU_SHADOW_STI };
	assert_int_equal(x86_cpu_set_state(b->cpu, s), 0);
	x86_cpu_get_state(b->cpu, t);
	assert_int_equal(t->events.shadow, VCPU_SHADOW_STI);
	free(s);
	free(t);
	harness_destroy(a);
	harness_destroy(b);
}

static void test_refusals_change_nothing(void **state)
{
	struct cpu_harness *a = machine(), *b = machine();
	struct vcpu_state *s = malloc(sizeof(*s));

	(void)state;
	assert_int_equal(harness_run(a), X86_EXIT_HALT);
	x86_cpu_get_state(a->cpu, s);
	s->rip = 0x4242;

	s->xcr0 = VCPU_XSTATE_X87 | VCPU_XSTATE_SSE | VCPU_XSTATE_AVX; /* no AVX here */
	assert_int_equal(x86_cpu_set_state(b->cpu, s), -EINVAL);
	s->xcr0 = VCPU_XSTATE_X87;
	s->events.interrupt_injected = s->events.interrupt_soft = 1; /* INT n: length unknown */
	assert_int_equal(x86_cpu_set_state(b->cpu, s), -EINVAL);
	s->events = (struct vcpu_events){ 0 };
	s->xsave[24] = 0; s->xsave[25] = 0; s->xsave[26] = 1; /* MXCSR bit 16: reserved */
	assert_int_equal(x86_cpu_set_state(b->cpu, s), -EINVAL);
	s->xsave[26] = 0;
	s->apic_base |= 1u << 10; /* x2APIC mode */
	assert_int_equal(x86_cpu_set_state(b->cpu, s), -EINVAL);
	s->apic_base &= ~(1u << 10);
	s->mp_state = VCPU_MP_INIT_RECEIVED;
	assert_int_equal(x86_cpu_set_state(b->cpu, s), -EINVAL);
	s->mp_state = VCPU_MP_RUNNABLE;
	assert_int_equal(vcpu_state_msr_set(s, X86_MSR_PAT, 0x02), 0); /* type 2 is reserved */
	assert_int_equal(x86_cpu_set_state(b->cpu, s), -EINVAL);
	assert_int_equal(b->cpu->rip, HARNESS_CODE);
	assert_int_equal(b->cpu->msr.pat, 0x0007040600070406ULL);
	assert_int_equal(b->cpu->msr.star, 0);

	/* MSRs this CPU does not have (kvmclock, from the kvm engine) are passed over. */
	assert_int_equal(vcpu_state_msr_set(s, X86_MSR_PAT, 0x0007040600070406ULL), 0);
	assert_int_equal(vcpu_state_msr_set(s, X86_MSR_KVM_SYSTEM_TIME_NEW, 0x1001), 0);
	assert_int_equal(x86_cpu_set_state(b->cpu, s), 0);
	assert_int_equal(b->cpu->rip, 0x4242);
	free(s);
	harness_destroy(a);
	harness_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_continue),
		cmocka_unit_test(test_interrupt_handed_over),
		cmocka_unit_test(test_refusals_change_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
