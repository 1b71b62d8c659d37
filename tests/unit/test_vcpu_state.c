// SPDX-License-Identifier: GPL-2.0-or-later
/* The byte form of struct vcpu_state: round trip, and refusal of bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "include/hover/vcpu_state.h"

/* Every field non-zero and different, so a field written or read in the wrong place shows. */
static void fill(struct vcpu_state *s, bool lapic)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 16; i++)
		s->gpr[i] = 0x1111111111111111ULL * (i + 1);
	s->rip = 0xffffffff81000123ULL;
	s->rflags = 0x246;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		s->seg[i] = (struct seg_reg){ .base = 0x1000 * i, .limit = 0xfffff - i,
					      .sel = (u16)(8 * i), .attr = (u16)(0xa09b + i) };
	s->ldtr = (struct seg_reg){ 0x5000, 0x67, 0x30, 0x82 };
	s->tr = (struct seg_reg){ 0x6000, 0x67, 0x40, 0x8b };
	s->gdtr = (struct dtable_reg){ 0x7000, 0x7f };
	s->idtr = (struct dtable_reg){ 0x8000, 0xfff };
	s->cr0 = 0x80050033;
	s->cr2 = 0xdeadbeef;
	s->cr3 = 0x9000;
	s->cr4 = 0x6b0;
	s->cr8 = 3;
	s->efer = 0xd01;
	s->xcr0 = 3;
	for (unsigned i = 0; i < 4; i++)
		s->dr[i] = 0x100 + i;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x401;
	s->apic_base = 0xfee00900;
	s->tsc = 123456789012ULL;
	for (unsigned i = 0; i < VCPU_STATE_XSAVE_SIZE; i++)
		s->xsave[i] = (u8)(i * 7 + 1);
	assert_int_equal(vcpu_state_msr_set(s, 0xc0000082, 0xffffffff81e00000ULL), 0);
	assert_int_equal(vcpu_state_msr_set(s, 0x174, 0x10), 0);
	assert_int_equal(vcpu_state_msr_set(s, 0x277, 0x0007040600070406ULL), 0);
	s->events = (struct vcpu_events){ .exception_injected = 1, .exception_vector = 14,
					  .exception_has_error = 1, .exception_error = 6,
					  .interrupt_injected = 1, .interrupt_vector = 0x30,
					  .nmi_masked = 1, .shadow = VCPU_SHADOW_STI,
					  .sipi_vector = 9 };
	s->mp_state = VCPU_MP_HALTED;
	if (lapic) {
		s->flags |= VCPU_STATE_LAPIC;
		for (unsigned i = 0; i < VCPU_STATE_LAPIC_SIZE; i++)
			s->lapic[i] = (u8)(i ^ 0x5a);
	}
}

static void round_trip(bool lapic)
{
	struct vcpu_state *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	size_t max = vcpu_state_encoded_max();
	u8 *buf = malloc(max), *buf2 = malloc(max);
	long n, m;

	fill(a, lapic);
	n = vcpu_state_encode(a, buf, max);
	assert_true(n > 0 && (size_t)n <= max);
	assert_int_equal(vcpu_state_decode(b, buf, (size_t)n), n);
	/* Compared field by field through a second encoding: padding bytes are not state. */
	m = vcpu_state_encode(b, buf2, max);
	assert_int_equal(m, n);
	assert_memory_equal(buf, buf2, (size_t)n);
	assert_memory_equal(a->gpr, b->gpr, sizeof(a->gpr));
	assert_int_equal(b->seg[SEG_CS].attr, a->seg[SEG_CS].attr);
	assert_int_equal(b->tr.base, 0x6000);
	assert_int_equal(b->idtr.limit, 0xfff);
	assert_int_equal(b->tsc, a->tsc);
	assert_memory_equal(a->xsave, b->xsave, sizeof(a->xsave));
	assert_int_equal(b->nmsrs, 3);
	assert_int_equal(b->msrs[0].index, 0x174); /* kept sorted */
	assert_int_equal(b->msrs[2].value, 0xffffffff81e00000ULL);
	assert_int_equal(b->events.exception_error, 6);
	assert_int_equal(b->events.sipi_vector, 9);
	assert_int_equal(b->mp_state, VCPU_MP_HALTED);
	assert_int_equal(b->flags, a->flags);
	if (lapic)
		assert_memory_equal(a->lapic, b->lapic, sizeof(a->lapic));
	/* Version 1 is little-endian with the version first. */
	assert_int_equal(buf[0], VCPU_STATE_VERSION);
	assert_int_equal(buf[1] | buf[2] | buf[3], 0);
	free(a);
	free(b);
	free(buf);
	free(buf2);
}

static void test_round_trip(void **state)
{
	(void)state;
	round_trip(false);
	round_trip(true);
}

static void test_bad_buffers_are_refused(void **state)
{
	struct vcpu_state *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	size_t max = vcpu_state_encoded_max();
	u8 *buf = malloc(max);
	long n;

	(void)state;
	fill(a, true);
	n = vcpu_state_encode(a, buf, max);
	assert_true(n > 0);
	/* Too small to encode into. */
	assert_int_equal(vcpu_state_encode(a, buf, (size_t)n - 1), -ENOSPC);
	n = vcpu_state_encode(a, buf, max);
	/* Truncated anywhere: header, body, the last byte. */
	assert_int_equal(vcpu_state_decode(b, buf, 0), -EINVAL);
	assert_int_equal(vcpu_state_decode(b, buf, 7), -EINVAL);
	assert_int_equal(vcpu_state_decode(b, buf, 100), -EINVAL);
	assert_int_equal(vcpu_state_decode(b, buf, (size_t)n - 1), -EINVAL);
	/* Another version. */
	buf[0] = VCPU_STATE_VERSION + 1;
	assert_int_equal(vcpu_state_decode(b, buf, (size_t)n), -EINVAL);
	buf[0] = VCPU_STATE_VERSION;
	/* A body length that disagrees with the fields (the LAPIC flag dropped). */
	buf[8] &= (u8)~VCPU_STATE_LAPIC;
	assert_int_equal(vcpu_state_decode(b, buf, (size_t)n), -EINVAL);
	buf[8] |= VCPU_STATE_LAPIC;
	assert_int_equal(vcpu_state_decode(b, buf, (size_t)n), n);
	/* More MSRs than a vCPU holds. */
	a->nmsrs = VCPU_STATE_MAX_MSRS + 1;
	assert_int_equal(vcpu_state_encode(a, buf, max), -EINVAL);
	/* Trailing bytes after the state are the caller's (the next section). */
	a->nmsrs = 3;
	n = vcpu_state_encode(a, buf, max - 16);
	assert_int_equal(vcpu_state_decode(b, buf, max), n);
	free(a);
	free(b);
	free(buf);
}

static void test_msr_table(void **state)
{
	struct vcpu_state *s = calloc(1, sizeof(*s));
	u64 v;

	(void)state;
	assert_false(vcpu_state_msr_get(s, 0x10, &v));
	for (u32 i = 0; i < VCPU_STATE_MAX_MSRS; i++)
		assert_int_equal(vcpu_state_msr_set(s, 1000 - i, i), 0);
	assert_int_equal(vcpu_state_msr_set(s, 5, 1), -ENOSPC);
	assert_int_equal(vcpu_state_msr_set(s, 1000, 77), 0); /* replace is always possible */
	assert_true(vcpu_state_msr_get(s, 1000, &v));
	assert_int_equal(v, 77);
	for (u32 i = 1; i < s->nmsrs; i++)
		assert_true(s->msrs[i - 1].index < s->msrs[i].index);
	/* A full table and a LAPIC page: the largest state there is, exactly. */
	{
		size_t max = vcpu_state_encoded_max();
		u8 *buf = malloc(max);

		s->flags |= VCPU_STATE_LAPIC;
		assert_int_equal(vcpu_state_encode(s, buf, max), (long)max);
		free(buf);
	}
	free(s);
}

/* The offset of the first byte two states' byte forms differ in, named. */
static const char *changed_field(struct vcpu_state *a, struct vcpu_state *b, char *name)
{
	size_t max = vcpu_state_encoded_max();
	u8 *x = malloc(max), *y = malloc(max);
	long n = vcpu_state_encode(a, x, max), i = 0;

	assert_int_equal(vcpu_state_encode(b, y, max), n);
	while (i < n && x[i] == y[i])
		i++;
	assert_true(i < n);
	vcpu_state_field_at(a, (size_t)i, name, 32);
	free(x);
	free(y);
	return name;
}

static void test_field_names_for_reports(void **state)
{
	struct vcpu_state *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char name[32];

	(void)state;
	fill(a, true);
	*b = *a;
	b->tsc++;
	assert_string_equal(changed_field(a, b, name), "tsc");
	*b = *a;
	b->msrs[1].value ^= 1ULL << 40;
	assert_string_equal(changed_field(a, b, name), "MSR 0x277");
	*b = *a;
	b->xsave[24] ^= 1;
	assert_string_equal(changed_field(a, b, name), "xsave byte 24");
	*b = *a;
	b->seg[SEG_SS].limit++;
	assert_string_equal(changed_field(a, b, name), "segment 2");
	*b = *a;
	b->events.shadow = 0;
	assert_string_equal(changed_field(a, b, name), "events");
	*b = *a;
	b->lapic[0x390] ^= 1;
	assert_string_equal(changed_field(a, b, name), "lapic byte 912");
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_buffers_are_refused),
		cmocka_unit_test(test_msr_table),
		cmocka_unit_test(test_field_names_for_reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
