/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU lifecycle and the run loop (Intel SDM Vol. 3A 9.1.1 power-up state;
 * 6.8.3 interrupt shadow of STI/MOV SS; 6.9 event priority; 17.3.1.4
 * single-step trap).
 *
 * x86_cpu_run() executes cached blocks (block.c). For each instruction:
 * next_rip = rip + len, call the handler, rip = next_rip. The block is left
 * after an instruction that changed next_rip (a taken branch) or set
 * end_block (mode/IF/CR changes, code invalidation, flushes). Between blocks
 * the loop polls the kick flag (stop requests, external interrupts,
 * invalidations from other threads) and delivers interrupts when RFLAGS.IF
 * is set and no interrupt shadow is active. HLT sleeps in bus.halt_wait.
 *
 * Faults: x86_raise*() longjmp to cpu->fault_jmp, set in x86_cpu_run(); all
 * loop state lives in run_blocks()'s frame (discarded by the longjmp) or in
 * the cpu, so nothing depends on locals surviving the jump. cpu->rip is only
 * advanced after a handler returns, so a fault reports the instruction's RIP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/block.h"
#include "cpu/x86/jit.h"
#include "cpu/x86/tlb.h"

int x86_cpu_create(struct x86_cpu **out, const struct x86_bus *bus, u32 apic_id)
{
	struct x86_cpu *cpu = calloc(1, sizeof(*cpu));
	int r = -ENOMEM;

	if (!cpu)
		return r;
	cpu->bus = *bus;
	cpu->apic_id = apic_id;
	if (x86_tlb_create(cpu) < 0)
		goto err_tlb;
	r = x86_blocks_create(cpu);
	if (r < 0)
		goto err_blocks;
	x86_optable_get();
	cpu->a20_mask = ~0ULL;
	x86_cpu_reset(cpu);
	*out = cpu;
	return 0;
err_blocks:
	x86_tlb_destroy(cpu);
err_tlb:
	free(cpu);
	return r;
}

void x86_cpu_destroy(struct x86_cpu *cpu)
{
	if (!cpu)
		return;
	x86_jit_destroy(cpu);
	x86_blocks_destroy(cpu);
	x86_tlb_destroy(cpu);
	free(cpu);
}

static void seg_set(struct seg_reg *s, u16 sel, u64 base, u32 limit, u16 attr)
{
	*s = (struct seg_reg){ .base = base, .limit = limit, .sel = sel, .attr = attr };
}

void x86_cpu_reset(struct x86_cpu *cpu)
{
	memset(cpu->gpr, 0, sizeof(cpu->gpr));
	cpu->gpr[GPR_RDX] = 0x600; /* processor signature: family 6 */
	cpu->rip = 0xfff0;
	cpu->rflags = 2;
	cpu->lf = (struct x86_lazy_flags){ .op = X86_LF_NONE };
	for (int i = 0; i < SEG_COUNT; i++)
		seg_set(&cpu->seg[i], 0, 0, 0xffff, 0x93); /* present, read/write, accessed */
	seg_set(&cpu->seg[SEG_CS], 0xf000, 0xffff0000, 0xffff, 0x9b);
	seg_set(&cpu->ldtr, 0, 0, 0xffff, 0x82);
	seg_set(&cpu->tr, 0, 0, 0xffff, 0x8b);
	cpu->gdtr = (struct dtable_reg){ .base = 0, .limit = 0xffff };
	cpu->idtr = (struct dtable_reg){ .base = 0, .limit = 0xffff };
	cpu->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
	cpu->cr2 = cpu->cr3 = cpu->cr4 = cpu->cr8 = 0;
	cpu->efer = 0;
	memset(cpu->dr, 0, sizeof(cpu->dr));
	cpu->dr[6] = 0xffff0ff0;
	cpu->dr[7] = 0x400;
	cpu->xcr0 = 1;
	memset(&cpu->msr, 0, sizeof(cpu->msr));
	cpu->msr.pat = 0x0007040600070406ULL;
	cpu->msr.misc_enable = 1; /* fast strings */
	memset(&cpu->fpu, 0, sizeof(cpu->fpu));
	cpu->fpu.fcw = 0x37f;
	cpu->fpu.ftw = 0xffff;
	cpu->fpu.mxcsr = 0x1f80;
	cpu->cpl = 0;
	cpu->mode = X86_MODE_REAL;
	cpu->halted = false;
	cpu->intr_shadow = false;
	cpu->movss_shadow = false;
	cpu->intr_poll = false;
	cpu->inject_kind = X86_INJECT_NONE;
	cpu->end_block = false;
	cpu->fault_depth = 0;
	x86_tlb_flush_all(cpu);
	x86_blocks_flush(cpu);
	cpu->end_block = false;
}

void x86_cpu_get_regs(struct x86_cpu *cpu, struct vcpu_regs *r)
{
	memcpy(r->gpr, cpu->gpr, sizeof(r->gpr));
	r->rip = cpu->rip;
	r->rflags = x86_get_rflags(cpu);
	memcpy(r->seg, cpu->seg, sizeof(r->seg));
	r->ldtr = cpu->ldtr;
	r->tr = cpu->tr;
	r->gdtr = cpu->gdtr;
	r->idtr = cpu->idtr;
	r->cr0 = cpu->cr0;
	r->cr2 = cpu->cr2;
	r->cr3 = cpu->cr3;
	r->cr4 = cpu->cr4;
	r->cr8 = cpu->cr8;
	r->efer = cpu->efer;
}

void x86_cpu_set_regs(struct x86_cpu *cpu, const struct vcpu_regs *r)
{
	memcpy(cpu->gpr, r->gpr, sizeof(cpu->gpr));
	cpu->rip = r->rip;
	cpu->lf.op = X86_LF_NONE;
	cpu->rflags = r->rflags | 2;
	memcpy(cpu->seg, r->seg, sizeof(cpu->seg));
	cpu->ldtr = r->ldtr;
	cpu->tr = r->tr;
	cpu->gdtr = r->gdtr;
	cpu->idtr = r->idtr;
	cpu->cr0 = r->cr0;
	cpu->cr2 = r->cr2;
	cpu->cr3 = r->cr3;
	cpu->cr4 = r->cr4;
	cpu->cr8 = r->cr8;
	cpu->efer = r->efer;
	x86_tlb_flush_all(cpu);
	x86_blocks_flush(cpu);
	cpu->end_block = false;
	x86_update_mode(cpu);
}

void x86_cpu_kick(struct x86_cpu *cpu)
{
	atomic_store(&cpu->kick, true);
}

void x86_cpu_set_a20(struct x86_cpu *cpu, bool enabled)
{
	u64 mask = enabled ? ~0ULL : ~(1ULL << 20);

	if (cpu->a20_mask == mask)
		return;
	cpu->a20_mask = mask;
	/*
	 * Cached translations name the old physical pages. Decoded blocks are
	 * keyed by physical address and stay valid; the block running now ends
	 * after the instruction that moved the gate.
	 */
	x86_tlb_flush_all(cpu);
	cpu->end_block = true;
}

void x86_cpu_set_jit(struct x86_cpu *cpu, bool on)
{
	cpu->jit_off = !on;
}

u32 x86_cpu_request_drop_writes(struct x86_cpu *cpu)
{
	u32 req = atomic_fetch_add(&cpu->wdrop_req, 1) + 1;

	atomic_store(&cpu->kick, true);
	return req;
}

u32 x86_cpu_set_dirty_log(struct x86_cpu *cpu, bool on)
{
	atomic_store(&cpu->dirty_log, on);
	return x86_cpu_request_drop_writes(cpu);
}

bool x86_cpu_drop_writes_done(struct x86_cpu *cpu, u32 req)
{
	return (s32)(atomic_load(&cpu->wdrop_ack) - req) >= 0;
}

void x86_cpu_poll_requests(struct x86_cpu *cpu)
{
	u32 req = atomic_load(&cpu->wdrop_req);

	if (req != atomic_load_explicit(&cpu->wdrop_ack, memory_order_relaxed)) {
		x86_tlb_drop_all_writes(cpu);
		atomic_store(&cpu->wdrop_ack, req);
	}
}

void x86_cpu_request_stop(struct x86_cpu *cpu)
{
	atomic_store(&cpu->stop_req, true);
	atomic_store(&cpu->kick, true);
}

static inline u64 ip_mask(const struct x86_cpu *cpu)
{
	if (cpu->mode == X86_MODE_LONG64)
		return ~0ULL;
	return (cpu->seg[SEG_CS].attr & SEG_ATTR_DB) ? 0xffffffffULL : 0xffffULL;
}

/*
 * Execute from cpu->rip until an exit condition; a fault longjmps out of here.
 * Kept out of line so that the setjmp() in x86_cpu_run() does not force this
 * loop's locals (cpu, the instruction pointer) into memory.
 */
static __attribute__((noinline)) enum x86_exit run_blocks(struct x86_cpu *cpu)
{
	for (;;) {
		const struct x86_insn *in, *end;
		struct x86_block *b;
		bool shadow, step;
		u64 mask;

		if (atomic_load_explicit(&cpu->kick, memory_order_relaxed) &&
		    atomic_exchange(&cpu->kick, false)) {
			x86_cpu_poll_requests(cpu);
			if (atomic_exchange(&cpu->stop_req, false))
				return X86_EXIT_STOP;
			x86_code_apply_pending(cpu);
			cpu->intr_poll = true;
			cpu->jit_slot = NULL; /* what runs next may not be where the last exit went */
		}
		if (unlikely(cpu->intr_poll)) {
			if (unlikely(cpu->inject_kind != X86_INJECT_NONE)) {
				x86_inject_pending(cpu);
				cpu->jit_slot = NULL;
			} else if ((cpu->rflags & X86_IF) && !cpu->intr_shadow) {
				int v = cpu->bus.intr_ack ? cpu->bus.intr_ack(cpu->bus.opaque) : -1;

				if (v < 0)
					cpu->intr_poll = false;
				else
					x86_interrupt(cpu, v);
				cpu->jit_slot = NULL;
			}
		}
		if (unlikely(cpu->halted)) {
			if (!(cpu->rflags & X86_IF))
				return X86_EXIT_HALT;
			if (!cpu->intr_poll && !atomic_load(&cpu->kick) && cpu->bus.halt_wait)
				cpu->bus.halt_wait(cpu->bus.opaque);
			continue;
		}

		b = x86_block_next(cpu);
		cpu->end_block = false;
		in = b->insns;
		end = in + b->n;
		shadow = cpu->intr_shadow;
		step = (cpu->rflags & X86_TF) != 0;
		if (unlikely(shadow || step)) {
			end = in + 1;
		} else if (cpu->mode == X86_MODE_LONG64 && !cpu->jit_off && !b->no_jit &&
			   b != &cpu->blocks->scratch) {
			x86_jit_fn *fn = b->jit ? b->jit : x86_jit_translate(cpu, b);

			if (likely(fn != NULL && b->jit_cpl == cpu->cpl)) {
				if (cpu->jit_slot)
					x86_jit_link(cpu, b);
				fn(cpu);
				continue;
			}
		}
		cpu->jit_slot = NULL;
		mask = ip_mask(cpu);
		do {
			u64 fall = (cpu->rip + in->len) & mask;

			cpu->next_rip = fall;
			in->op(cpu, in);
			cpu->rip = cpu->next_rip;
			in++;
			if (unlikely((cpu->rip != fall) | cpu->end_block))
				break;
		} while (in < end);
		cpu->icount += (u64)(in - b->insns);
		if (unlikely(shadow)) {
			cpu->intr_shadow = false;
			cpu->movss_shadow = false;
		} else if (unlikely(step && cpu->movss_shadow)) {
			/* MOV/POP SS just ran: its single-step trap waits for the next instruction. */
			continue;
		}
		if (unlikely(step)) {
			cpu->dr[6] |= 1ULL << 14; /* DR6.BS */
			x86_raise_trap(cpu, X86_EXC_DB, false);
		}
	}
}

enum x86_exit x86_cpu_run(struct x86_cpu *cpu)
{
	if (setjmp(cpu->fault_jmp)) {
		cpu->end_block = false;
		x86_blocks_set_current(cpu, NULL);
		cpu->jit_slot = NULL;
		if (!x86_exception_dispatch(cpu))
			return X86_EXIT_SHUTDOWN;
	}
	return run_blocks(cpu);
}
