/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HOVER_EMU_PROFILE=helpers: which decoded forms translated code still runs
 * through handler calls, weighted by how often they run. Each call site the
 * translator emits (jit.c's emit_call) first adds one to the counter of its
 * form: (opcode map, opcode, mandatory prefix, ModRM /digit, register or
 * memory operand, operand size). When the vCPU goes away the forms are
 * printed to stderr, most executed first: the list of templates worth
 * writing next (issue 14). Off by default: without the variable no counter
 * exists and no code is emitted for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/jit_inline.h"

#define PROF_SIZES 4 /* operand size 1/2, 4, 8, and "no ModRM" folded in below */
#define PROF_N (X86_MAP_COUNT * 256 * X86_MP_COUNT * 8 * 2 * PROF_SIZES)

struct jit_profile {
	u64 n[PROF_N];
};

struct jit_profile *jit_profile_create(void)
{
	const char *p = getenv("HOVER_EMU_PROFILE");

	if (!p || strcmp(p, "helpers"))
		return NULL;
	return calloc(1, sizeof(struct jit_profile));
}

static unsigned size_class(unsigned opsize)
{
	return opsize >= 8 ? 3 : opsize == 4 ? 2 : opsize == 2 ? 1 : 0;
}

u64 *jit_profile_counter(struct jit_profile *p, const struct x86_insn *in)
{
	unsigned digit = in->has_modrm ? in->reg & 7 : 0;
	unsigned mem = in->has_modrm && in->mod != 3;
	unsigned i = ((((in->map * 256u + in->opcode) * X86_MP_COUNT + in->mp) * 8 + digit) * 2 + mem) *
		     PROF_SIZES + size_class(in->opsize);

	return &p->n[i];
}

static int by_count(const void *a, const void *b)
{
	u64 x = **(u64 *const *)a, y = **(u64 *const *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

void jit_profile_report(struct jit_profile *p)
{
	static const char *const maps[] = { "", "0f ", "0f38 ", "0f3a " };
	static const char *const mps[] = { "", "66 ", "f3 ", "f2 " };
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	u64 **order, total = 0;
	unsigned used = 0;

	if (!p)
		return;
	order = malloc(PROF_N * sizeof(*order));
	if (!order)
		return;
	for (unsigned i = 0; i < PROF_N; i++) {
		if (p->n[i]) {
			order[used++] = &p->n[i];
			total += p->n[i];
		}
	}
	qsort(order, used, sizeof(*order), by_count);
	fprintf(stderr, "hover: HOVER_EMU_PROFILE=helpers: %llu handler calls from translated code, "
		"%u forms; the top ones (opsize 1 means byte or none):\n", (unsigned long long)total, used);
	for (unsigned k = 0; k < used && k < 60; k++) {
		unsigned i = (unsigned)(order[k] - p->n);
		unsigned sz = i % PROF_SIZES, mem = i / PROF_SIZES % 2, digit = i / PROF_SIZES / 2 % 8;
		unsigned mp = i / PROF_SIZES / 16 % X86_MP_COUNT, op = i / PROF_SIZES / 16 / X86_MP_COUNT % 256;
		unsigned map = i / PROF_SIZES / 16 / X86_MP_COUNT / 256;

		fprintf(stderr, "  %6.2f%% %12llu  %s%s%02x /%u %s opsize %u\n",
			100.0 * (double)*order[k] / (double)total, (unsigned long long)*order[k], mps[mp],
			maps[map], op, digit, mem ? "mem" : "reg", sizes[sz]);
	}
	free(order);
}
