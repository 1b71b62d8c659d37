/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hover's software x86-64 CPU: public interface and architectural state.
 *
 * The CPU knows nothing of KVM, devices or struct vm. Everything outside the
 * core reaches it through struct x86_bus: guest-physical RAM lookup, MMIO and
 * port I/O dispatch, and the interrupt controller. The accel/emu adapter fills
 * the bus from the machine; unit tests fill it with a flat RAM array.
 *
 * State is plain data (no pointers except the bus and caches) so that
 * snapshots and migration can save and restore it.
 *
 * References: Intel SDM Vol. 1 ch. 3 (basic execution environment), Vol. 3A
 * ch. 2-6 (system registers, protection, paging, interrupts).
 */
#ifndef HOVER_CPU_X86_CPU_H
#define HOVER_CPU_X86_CPU_H

#include <setjmp.h>
#include <stdatomic.h>

#include "include/hover/regs.h"
#include "include/hover/types.h"

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define X86_CF (1ULL << 0)
#define X86_PF (1ULL << 2)
#define X86_AF (1ULL << 4)
#define X86_ZF (1ULL << 6)
#define X86_SF (1ULL << 7)
#define X86_TF (1ULL << 8)
#define X86_IF (1ULL << 9)
#define X86_DF (1ULL << 10)
#define X86_OF (1ULL << 11)
#define X86_IOPL (3ULL << 12)
#define X86_NT (1ULL << 14)
#define X86_RF (1ULL << 16)
#define X86_VM (1ULL << 17)
#define X86_AC (1ULL << 18)
#define X86_VIF (1ULL << 19)
#define X86_VIP (1ULL << 20)
#define X86_ID (1ULL << 21)
#define X86_FLAGS_ARITH (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

/* Control register bits. */
#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_MP (1ULL << 1)
#define X86_CR0_EM (1ULL << 2)
#define X86_CR0_TS (1ULL << 3)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_NE (1ULL << 5)
#define X86_CR0_WP (1ULL << 16)
#define X86_CR0_AM (1ULL << 18)
#define X86_CR0_NW (1ULL << 29)
#define X86_CR0_CD (1ULL << 30)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_VME (1ULL << 0)
#define X86_CR4_PVI (1ULL << 1)
#define X86_CR4_TSD (1ULL << 2)
#define X86_CR4_DE (1ULL << 3)
#define X86_CR4_PSE (1ULL << 4)
#define X86_CR4_PAE (1ULL << 5)
#define X86_CR4_MCE (1ULL << 6)
#define X86_CR4_PGE (1ULL << 7)
#define X86_CR4_PCE (1ULL << 8)
#define X86_CR4_OSFXSR (1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_CR4_UMIP (1ULL << 11)
#define X86_EFER_SCE (1ULL << 0)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)
#define X86_EFER_NXE (1ULL << 11)

/* Exception vectors (SDM Vol. 3A 6.3.1). */
enum {
	X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_NMI = 2, X86_EXC_BP = 3, X86_EXC_OF = 4,
	X86_EXC_BR = 5, X86_EXC_UD = 6, X86_EXC_NM = 7, X86_EXC_DF = 8, X86_EXC_TS = 10,
	X86_EXC_NP = 11, X86_EXC_SS = 12, X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MF = 16,
	X86_EXC_AC = 17, X86_EXC_MC = 18, X86_EXC_XM = 19,
};
#define X86_NO_ERR 0xffffffffu

/* Page-fault error code bits (SDM Vol. 3A 4.7). */
#define X86_PF_P (1u << 0)
#define X86_PF_W (1u << 1)
#define X86_PF_U (1u << 2)
#define X86_PF_RSVD (1u << 3)
#define X86_PF_I (1u << 4)

/* Execution mode, derived from CR0.PE, EFER.LMA, CS.L/D and RFLAGS.VM. */
enum x86_mode { X86_MODE_REAL, X86_MODE_PROT16, X86_MODE_PROT32, X86_MODE_COMPAT16,
		X86_MODE_COMPAT32, X86_MODE_LONG64, X86_MODE_V86 };

/*
 * Lazy arithmetic flags. Hot instructions (ADD/SUB/CMP/logic/INC/DEC/NEG)
 * record their operands and result; CF..OF are computed only when read.
 * With op == X86_LF_NONE the arithmetic bits in cpu->rflags are current.
 */
enum x86_lazy_op {
	X86_LF_NONE, X86_LF_ADD, X86_LF_ADC, X86_LF_SUB, X86_LF_SBB, X86_LF_LOGIC,
	X86_LF_INC, X86_LF_DEC, X86_LF_NEG,
};
struct x86_lazy_flags {
	u64 res;
	u64 src1;  /* first operand (destination before the operation) */
	u64 src2;  /* second operand */
	u8 op;     /* enum x86_lazy_op */
	u8 size;   /* operand size in bytes: 1, 2, 4, 8 */
	u8 cf_in;  /* ADC/SBB carry-in; INC/DEC: the CF they preserve */
};

/* One x87 register: the 80-bit extended format (mantissa with explicit integer bit). */
struct x86_fpreg {
	u64 mant;
	u16 exp; /* bit 15 sign, bits 0-14 biased exponent */
};

union x86_xmm {
	u8 b[16];
	u16 w[8];
	u32 l[4];
	u64 q[2];
	float fs[4];
	double fd[2];
};

/*
 * x87/MMX/SSE state, laid out for FXSAVE (SDM Vol. 1 10.5.1). fpr[] is
 * indexed by physical register number R0..R7; ST(i) is fpr[(top + i) & 7].
 * MMX register MMi aliases fpr[i].mant.
 */
struct x86_fpu {
	struct x86_fpreg fpr[8];
	u16 fcw, fsw; /* fsw bits 11-13 hold TOP */
	u16 ftw;      /* full 2-bit tag word, 0b11 = empty */
	u16 fop;
	u64 fip, fdp;
	u32 mxcsr;
	union x86_xmm xmm[16];
};

/* MSRs the CPU keeps (SDM Vol. 4). Others are handled in system.c or #GP. */
struct x86_msrs {
	u64 star, lstar, cstar, sfmask;
	u64 kernel_gs_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 tsc_aux;
	u64 pat;
	u64 misc_enable;
	u64 tsc_offset; /* guest TSC = host-derived TSC + tsc_offset */
	u64 spec_ctrl;
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];
	u64 mtrr_var[16];
	u64 mce_ctl;
};

/*
 * The bus: how the CPU reaches memory, devices and its interrupt controller.
 * All callbacks are called from the vCPU thread. They return 0, or -1 for an
 * access nobody claims (reads then yield all ones).
 */
struct x86_bus {
	void *opaque;
	/*
	 * Host pointer to the start of the 4 KiB guest-physical page containing
	 * gpa if it is ordinary RAM, else NULL (MMIO, unbacked). The pointer must
	 * stay valid for the life of the CPU: the TLB caches it.
	 */
	u8 *(*ram_page)(void *opaque, u64 gpa);
	int (*mmio_read)(void *opaque, u64 gpa, unsigned size, u64 *val);
	int (*mmio_write)(void *opaque, u64 gpa, unsigned size, u64 val);
	int (*pio_in)(void *opaque, u16 port, unsigned size, u32 *val);
	int (*pio_out)(void *opaque, u16 port, unsigned size, u32 val);
	/* Acknowledge the highest-priority deliverable external interrupt: vector, or -1. */
	int (*intr_ack)(void *opaque);
	/* IA32_APIC_BASE. */
	u64 (*apic_base_get)(void *opaque);
	void (*apic_base_set)(void *opaque, u64 val);
	/* HLT with IF=1 and nothing pending: sleep until kicked. May return spuriously. */
	void (*halt_wait)(void *opaque);
	/* An unimplemented opcode met for the first time (for --debug). May be NULL. */
	void (*log_unimplemented)(void *opaque, u64 rip, const u8 *bytes, unsigned len);
	/*
	 * The guest's time base in ns, which the TSC follows: the VM clock, that
	 * stands still while the VM is paused. NULL: the host's monotonic clock.
	 */
	u64 (*clock_ns)(void *opaque);
	/*
	 * With dirty logging on (x86_cpu_set_dirty_log): this CPU is about to
	 * write guest-physical page gpa (4 KiB aligned), as a store or as an
	 * accessed/dirty-bit update of a page-table entry.
	 */
	void (*page_dirty)(void *opaque, u64 gpa);
};

enum { X86_INJECT_NONE, X86_INJECT_EXCEPTION, X86_INJECT_INTR, X86_INJECT_NMI };

/* Why x86_cpu_run() returned. */
enum x86_exit {
	X86_EXIT_STOP,     /* x86_cpu_request_stop() was called */
	X86_EXIT_SHUTDOWN, /* triple fault (or a fault with no way to deliver it) */
	X86_EXIT_HALT,     /* HLT with interrupts disabled: nothing can ever wake it */
};

struct x86_tlb;
struct x86_block_cache;
struct x86_code_map;
struct x86_jit;

struct x86_cpu {
	/* --- architectural state (saved in snapshots) --- */
	u64 gpr[16];
	u64 rip;
	u64 rflags; /* arithmetic bits valid only when lf.op == X86_LF_NONE */
	struct x86_lazy_flags lf;
	struct seg_reg seg[SEG_COUNT];
	struct seg_reg ldtr, tr;
	struct dtable_reg gdtr, idtr;
	u64 cr0, cr2, cr3, cr4, cr8;
	u64 efer;
	u64 dr[8];
	u64 xcr0;
	struct x86_msrs msr;
	struct x86_fpu fpu;
	u8 cpl;
	u8 mode;              /* enum x86_mode, recomputed by x86_update_mode() */
	bool halted;
	bool intr_shadow;     /* STI / MOV SS: no interrupt before the next instruction ends */
	bool movss_shadow;    /* the shadow is MOV/POP SS's: it also holds back #DB (SDM Vol. 3A 6.8.3) */
	u32 apic_id;
	/*
	 * An event another engine stopped in the middle of delivering (handed
	 * over by x86_cpu_set_state): delivered before the next instruction,
	 * whatever RFLAGS.IF says, as the hardware would finish it.
	 */
	u8 inject_kind;       /* X86_INJECT_* */
	u8 inject_vector;
	u32 inject_error;     /* X86_NO_ERR: none */

	/* --- execution bookkeeping (not architectural) --- */
	u64 next_rip;         /* during an instruction: where execution continues */
	bool end_block;       /* handler changed mode/IF/CR*: leave the block after this insn */
	u64 icount;           /* instructions retired, for statistics */
	_Atomic bool kick;    /* another thread wants attention: interrupt or stop */
	_Atomic bool stop_req;
	int fault_depth;      /* nested faults while delivering: 2 -> #DF, 3 -> shutdown */
	jmp_buf fault_jmp;    /* x86_raise*() returns here, to the run loop */
	u64 tsc_hz;           /* TSC frequency advertised in CPUID 0x15/0x16 */
	/* The event x86_raise*() recorded, delivered by x86_exception_dispatch() (exception.c). */
	u64 exc_rip;          /* RIP to push: the faulting insn, or next_rip for traps */
	u32 exc_error;        /* error code or X86_NO_ERR */
	u8 exc_vector;
	bool exc_software;    /* INT n / INT3 / INTO: gate DPL is checked, no error code */
	bool triple_fault;    /* x86_interrupt() could not deliver: the next dispatch reports shutdown */

	struct x86_bus bus;
	struct x86_tlb *tlb;
	struct x86_block_cache *blocks;
	u64 unimpl_seen[4];   /* one-byte-opcode bitmap for log-once of unimplemented ops */
	u64 unimpl_seen_ext[12]; /* same for the 0F, 0F38 and 0F3A maps (4 words each) */
	bool intr_poll;       /* a kick arrived: ask the interrupt controller at the next boundary */
	struct x86_code_map *code; /* physical pages holding translated code (block.c) */
	struct x86_jit *jit;  /* host code for 64-bit blocks (jit.c), made on first use */
	bool jit_off;         /* interpret only (x86_cpu_set_jit) */
	void *jit_slot;       /* the chain slot of the exit translated code last left by (jit.c) */
	/*
	 * Dirty logging. A write TLB entry is only made after bus.page_dirty, so
	 * while it is on, dropping the write entries makes the next write to
	 * every page visible again. Other threads ask for the drop through
	 * wdrop_req (and a kick); the CPU answers in wdrop_ack at its next
	 * instruction boundary (x86_cpu_poll_requests).
	 */
	_Atomic bool dirty_log;
	_Atomic u32 wdrop_req;
	_Atomic u32 wdrop_ack;
	/* Physical-address mask of the A20 gate: ~0, or bit 20 clear (x86_cpu_set_a20). */
	u64 a20_mask;
};

/* Lifecycle. x86_cpu_create() allocates the TLB and block cache; state is power-on reset. */
int x86_cpu_create(struct x86_cpu **out, const struct x86_bus *bus, u32 apic_id) HOVER_WUR;
void x86_cpu_destroy(struct x86_cpu *cpu);
void x86_cpu_reset(struct x86_cpu *cpu); /* SDM Vol. 3A 9.1.1 power-up state */

/* Run until a stop request, a shutdown, or a hopeless HLT. */
enum x86_exit x86_cpu_run(struct x86_cpu *cpu);
/* Thread-safe: make x86_cpu_run notice a pending interrupt (kick) or return (stop). */
void x86_cpu_kick(struct x86_cpu *cpu);
void x86_cpu_request_stop(struct x86_cpu *cpu);
/* Translate 64-bit code to host code (the default) or interpret every instruction. */
void x86_cpu_set_jit(struct x86_cpu *cpu, bool on);

/* Neutral register exchange (accel/emu). set_regs flushes TLB and block cache. */
void x86_cpu_get_regs(struct x86_cpu *cpu, struct vcpu_regs *r);
void x86_cpu_set_regs(struct x86_cpu *cpu, const struct vcpu_regs *r);

/*
 * The whole vCPU in the engine-neutral form (include/hover/vcpu_state.h),
 * with the CPU stopped (outside x86_cpu_run). The local APIC is not the
 * CPU's: apic_base comes from and goes to the bus, the rest is the device's.
 * set_state checks everything before it changes anything: -EINVAL (and the
 * CPU untouched) for what this CPU cannot hold (XCR0 beyond x87/SSE, MXCSR
 * reserved bits, x2APIC mode, a soft interrupt caught mid-delivery). MSRs it does not
 * implement are ignored. It flushes the TLB and block cache.
 */
struct vcpu_state;
void x86_cpu_get_state(struct x86_cpu *cpu, struct vcpu_state *s);
int x86_cpu_set_state(struct x86_cpu *cpu, const struct vcpu_state *s) HOVER_WUR;
/* The guest's TSC now, and set it (IA32_TIME_STAMP_COUNTER semantics). */
u64 x86_cpu_tsc(struct x86_cpu *cpu);
void x86_cpu_set_tsc(struct x86_cpu *cpu, u64 v);

/*
 * Dirty page logging. Any thread: set_dirty_log turns reporting through
 * bus.page_dirty on or off, and request_drop_writes asks the CPU to forget
 * its write TLB entries (both return a request number; the CPU has acted on
 * it once drop_writes_done says so: at its next instruction boundary while
 * it runs, or when whoever stopped it calls poll_requests). Turning logging
 * on is such a request, so writes through entries made before it are not
 * missed. poll_requests: the CPU's own thread, or with the CPU stopped.
 */
u32 x86_cpu_set_dirty_log(struct x86_cpu *cpu, bool on);
u32 x86_cpu_request_drop_writes(struct x86_cpu *cpu);
bool x86_cpu_drop_writes_done(struct x86_cpu *cpu, u32 req);
void x86_cpu_poll_requests(struct x86_cpu *cpu);

/*
 * Guest-physical [gpa, gpa+len) was written by someone other than this CPU
 * (device DMA, another vCPU's loader). Thread-safe; cached code decoded from
 * those bytes is dropped before this CPU executes them again.
 */
void x86_cpu_phys_written(struct x86_cpu *cpu, u64 gpa, u64 len);

/*
 * The A20 gate (the A20M# input, SDM Vol. 3A 8.7.13.4 and 22.29.2): with
 * `enabled` false, bit 20 of every physical address the CPU forms is 0, so
 * real-mode addresses past 1 MiB wrap as on an 8086. The board calls it when
 * its gate device changes (i8042 output port bit 1, port 0x92 bit 1), from
 * the vCPU thread (the port write that changed it) or with the CPU stopped.
 * The state belongs to that device: the CPU starts and resets with A20 on.
 */
void x86_cpu_set_a20(struct x86_cpu *cpu, bool enabled);

/* Full RFLAGS with lazy flags materialised. */
u64 x86_get_rflags(struct x86_cpu *cpu);

#endif
