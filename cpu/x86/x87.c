/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x87 FPU: escape opcodes D8-DF and WAIT (9B).
 *
 * How it works: registers are kept as 80-bit values in physical order with a
 * 2-bit tag each; ST(i) is fpr[(TOP + i) & 7]. Arithmetic runs on the host's
 * x87 unit (long double is the same 80-bit format on x86-64) with the guest's
 * precision and rounding control and every exception masked; the exception
 * flags the host raised are merged into the guest FSW afterwards. Stack
 * faults are detected here. An exception the guest has unmasked sets ES/B;
 * for invalid, zero-divide and denormal the destination is left unchanged
 * (SDM Vol. 1 8.7), and the next waiting x87 instruction raises #MF.
 * Stack management, loads/stores and control instructions live here;
 * arithmetic, compares and transcendentals in x87_math.c.
 *
 * References: Intel SDM Vol. 1 ch. 8 (x87 FPU), Vol. 2 F* instruction pages,
 * Vol. 1 8.1.6 (FSTENV/FSAVE image layout).
 */
#include "cpu/x86/x87.h"

/* ---- stack and status helpers ---- */

unsigned x87_top(const struct x86_cpu *cpu)
{
	return (cpu->fpu.fsw & FSW_TOP) >> FSW_TOP_SHIFT;
}

static void set_top(struct x86_cpu *cpu, unsigned top)
{
	cpu->fpu.fsw = (u16)((cpu->fpu.fsw & ~FSW_TOP) | ((top & 7) << FSW_TOP_SHIFT));
}

unsigned x87_phys(const struct x86_cpu *cpu, unsigned i)
{
	return (x87_top(cpu) + i) & 7;
}

unsigned x87_tag(const struct x86_cpu *cpu, unsigned phys)
{
	return (cpu->fpu.ftw >> (2 * phys)) & 3;
}

static void set_tag(struct x86_cpu *cpu, unsigned phys, unsigned tag)
{
	cpu->fpu.ftw = (u16)((cpu->fpu.ftw & ~(3u << (2 * phys))) | (tag << (2 * phys)));
}

bool x87_empty(const struct x86_cpu *cpu, unsigned i)
{
	return x87_tag(cpu, x87_phys(cpu, i)) == FTAG_EMPTY;
}

long double x87_get(const struct x86_cpu *cpu, unsigned i)
{
	return x87_reg_ld(&cpu->fpu.fpr[x87_phys(cpu, i)]);
}

void x87_set_raw(struct x86_cpu *cpu, unsigned i, struct x86_fpreg r)
{
	unsigned p = x87_phys(cpu, i);

	cpu->fpu.fpr[p] = r;
	set_tag(cpu, p, x87_tag_of(&r));
}

void x87_set(struct x86_cpu *cpu, unsigned i, long double v)
{
	x87_set_raw(cpu, i, x87_ld_reg(v));
}

void x87_pop(struct x86_cpu *cpu)
{
	set_tag(cpu, x87_top(cpu), FTAG_EMPTY);
	set_top(cpu, x87_top(cpu) + 1);
}

/* Push without overflow check (callers check x87_empty(cpu, 7) first). */
void x87_push_raw(struct x86_cpu *cpu, struct x86_fpreg r)
{
	set_top(cpu, x87_top(cpu) - 1);
	x87_set_raw(cpu, 0, r);
}

bool x87_blocked(const struct x86_cpu *cpu, u16 ex)
{
	return (ex & ~cpu->fpu.fcw & (FSW_IE | FSW_ZE | FSW_DE)) != 0;
}

void x87_commit(struct x86_cpu *cpu, u16 ex)
{
	struct x86_fpu *f = &cpu->fpu;

	/* C1 reports stack overflow (1) vs underflow (0); round-up is not tracked. */
	f->fsw &= (u16)~FSW_C1;
	if ((ex & FSW_SF) && (ex & FSW_C1))
		f->fsw |= FSW_C1;
	f->fsw |= ex & (FCW_MASKS | FSW_SF);
	if (f->fsw & ~f->fcw & FCW_MASKS)
		f->fsw |= FSW_ES | FSW_B;
}

/*
 * Push a value with the overflow check: pushing onto a non-empty ST(7) is a
 * stack fault, whose masked response pushes the indefinite instead.
 */
void x87_push(struct x86_cpu *cpu, long double v, u16 ex)
{
	struct x86_fpreg r = x87_ld_reg(v);

	if (!x87_empty(cpu, 7)) {
		ex |= FSW_IE | FSW_SF | FSW_C1;
		r = X87_INDEFINITE;
	}
	if (!x87_blocked(cpu, ex))
		x87_push_raw(cpu, r);
	x87_commit(cpu, ex);
}

static void update_es(struct x86_fpu *f)
{
	if (f->fsw & ~f->fcw & FCW_MASKS)
		f->fsw |= FSW_ES | FSW_B;
	else
		f->fsw &= (u16)~(FSW_ES | FSW_B);
}

static void fninit(struct x86_fpu *f)
{
	f->fcw = FCW_RESET;
	f->fsw = 0;
	f->ftw = 0xffff;
	f->fop = 0;
	f->fip = 0;
	f->fdp = 0;
}

void x86_fpu_reset(struct x86_fpu *f)
{
	memset(f, 0, sizeof(*f));
	f->fcw = 0x0040;
	f->ftw = 0x5555;
	f->mxcsr = MXCSR_RESET;
}

/* ---- loads and stores ---- */

/* Host conversions of memory formats under the guest control word. */
static long double from_f32(struct x86_cpu *cpu, u32 v, u16 *ex)
{
	u16 h = host_x87_enter(cpu->fpu.fcw);
	float f = u2f(v);
	X87_PIN(f);
	long double r = f;
	X87_PIN(r);
	*ex |= host_x87_leave(h);
	return r;
}

static long double from_f64(struct x86_cpu *cpu, u64 v, u16 *ex)
{
	u16 h = host_x87_enter(cpu->fpu.fcw);
	double d = u2d(v);
	X87_PIN(d);
	long double r = d;
	X87_PIN(r);
	*ex |= host_x87_leave(h);
	return r;
}

/*
 * Exact, signal-free widening of a binary32/64 to 80 bits: SNaNs stay
 * signalling (so the host operation applies the x87 NaN rules and raises
 * invalid itself) and denormals come out normalised.
 */
static struct x86_fpreg widen(u64 v, unsigned mbits, unsigned ebits, bool *denormal)
{
	const int bias = (1 << (ebits - 1)) - 1;
	u16 sign = (v >> (mbits + ebits)) & 1 ? 0x8000 : 0;
	int exp = (int)((v >> mbits) & ((1u << ebits) - 1));
	u64 frac = v & ((1ULL << mbits) - 1);
	struct x86_fpreg r = { 0, sign };

	*denormal = false;
	if (exp == (1 << ebits) - 1) {
		r.exp |= 0x7fff;
		r.mant = (1ULL << 63) | (frac << (63 - mbits));
	} else if (exp == 0) {
		if (frac) {
			int p = 63 - __builtin_clzll(frac);
			*denormal = true;
			r.mant = frac << (63 - p);
			r.exp |= (u16)(p + (1 - bias) - (int)mbits + 16383);
		}
	} else {
		r.mant = (1ULL << 63) | (frac << (63 - mbits));
		r.exp |= (u16)(exp - bias + 16383);
	}
	return r;
}

/*
 * Read the memory operand of an arithmetic/compare form: m32fp, m64fp,
 * m16int, m32int. A denormal m32fp/m64fp reports DE in *ex; callers drop
 * it when a NaN operand takes precedence.
 */
struct x86_fpreg x87_read_src(struct x86_cpu *cpu, const struct x86_insn *in, u16 *ex)
{
	u64 ea = x86_ea(cpu, in);
	bool den = false;
	struct x86_fpreg r;

	switch (in->opcode) {
	case 0xd8: r = widen(x86_read32(cpu, in->seg, ea), 23, 8, &den); break;
	case 0xdc: r = widen(x86_read64(cpu, in->seg, ea), 52, 11, &den); break;
	case 0xda: r = x87_ld_reg((long double)(s32)x86_read32(cpu, in->seg, ea)); break;
	default: r = x87_ld_reg((long double)(s16)x86_read16(cpu, in->seg, ea)); break;
	}
	if (den)
		*ex |= FSW_DE;
	return r;
}

static void fld_m(struct x86_cpu *cpu, const struct x86_insn *in, unsigned kind)
{
	u64 ea = x86_ea(cpu, in);
	u16 ex = 0;
	long double v;

	switch (kind) {
	case 32: v = from_f32(cpu, x86_read32(cpu, in->seg, ea), &ex); break;
	case 64: v = from_f64(cpu, x86_read64(cpu, in->seg, ea), &ex); break;
	default: {
		u8 b[10];
		x86_read_bytes(cpu, in->seg, ea, b, 10);
		v = x87_bytes_ld(b);
		break;
	}
	}
	x87_push(cpu, v, ex);
}

static void fild_m(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	u64 v = x86_read(cpu, in->seg, x86_ea(cpu, in), size);

	x87_push(cpu, (long double)(s64)x86_sext(v, size), 0);
}

/* FST/FSTP m32fp, m64fp, m80fp. */
static void fst_m(struct x86_cpu *cpu, const struct x86_insn *in, unsigned kind, bool pop)
{
	u64 ea = x86_ea(cpu, in);
	u16 ex = 0;
	long double v = X87_INDEFINITE_LD;
	u8 b[10];

	if (x87_empty(cpu, 0))
		ex = FSW_IE | FSW_SF;
	else
		v = x87_get(cpu, 0);
	if (kind == 80) {
		if (!x87_blocked(cpu, ex)) {
			if (ex)
				x87_reg_bytes(&X87_INDEFINITE, b);
			else
				x87_reg_bytes(&cpu->fpu.fpr[x87_phys(cpu, 0)], b);
			x86_write_bytes(cpu, in->seg, ea, b, 10);
		}
	} else {
		u16 h = host_x87_enter(cpu->fpu.fcw);
		X87_PIN(v);
		u64 bits;
		if (kind == 32) {
			float f = (float)v;
			X87_PIN(f);
			bits = f2u(f);
		} else {
			double d = (double)v;
			X87_PIN(d);
			bits = d2u(d);
		}
		ex |= host_x87_leave(h);
		if (!x87_blocked(cpu, ex))
			x86_write(cpu, in->seg, ea, kind / 8, bits);
	}
	if (pop && !x87_blocked(cpu, ex))
		x87_pop(cpu);
	x87_commit(cpu, ex);
}

/* FIST/FISTP (current rounding) and FISTTP (truncation) to m16/m32/m64int. */
static void fist_m(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, bool trunc,
		   bool pop)
{
	u64 ea = x86_ea(cpu, in);
	u64 indef = 1ULL << (size * 8 - 1), out = indef;
	u16 ex = 0;

	if (x87_empty(cpu, 0)) {
		ex = FSW_IE | FSW_SF;
	} else {
		long double x = x87_get(cpu, 0), r;
		u16 h = host_x87_enter(trunc ? (u16)(cpu->fpu.fcw | (3u << FCW_RC_SHIFT)) : cpu->fpu.fcw);
		X87_PIN(x);
		r = __builtin_rintl(x);
		X87_PIN(r);
		host_x87_leave(h);
		long double lim = (long double)indef;
		if (r != r || r >= lim || r < -lim) {
			ex = FSW_IE;
		} else {
			out = x86_trunc((u64)(s64)r, size);
			if (r != x)
				ex = FSW_PE;
		}
	}
	if (!x87_blocked(cpu, ex)) {
		x86_write(cpu, in->seg, ea, size, out);
		if (pop)
			x87_pop(cpu);
	}
	x87_commit(cpu, ex);
}

/* FBLD: 18 packed BCD digits and a sign byte (SDM Vol. 1 4.7). */
static void fbld(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 b[10];
	s64 v = 0;

	x86_read_bytes(cpu, in->seg, x86_ea(cpu, in), b, 10);
	for (int i = 8; i >= 0; i--)
		v = v * 100 + (b[i] >> 4) * 10 + (b[i] & 15);
	long double r = (long double)v;
	x87_push(cpu, (b[9] & 0x80) ? -r : r, 0);
}

static void fbstp(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 ea = x86_ea(cpu, in);
	u8 b[10] = { 0 };
	u16 ex = 0;

	if (x87_empty(cpu, 0)) {
		ex = FSW_IE | FSW_SF;
	} else {
		long double x = x87_get(cpu, 0), r;
		u16 h = host_x87_enter(cpu->fpu.fcw);
		X87_PIN(x);
		r = __builtin_rintl(x);
		X87_PIN(r);
		host_x87_leave(h);
		long double a = r < 0 ? -r : r;
		if (r != r || a >= 1e18L) {
			ex = FSW_IE;
		} else {
			u64 v = (u64)a;
			for (int i = 0; i < 9; i++, v /= 100)
				b[i] = (u8)(((v % 100) / 10) << 4 | (v % 10));
			b[9] = r < 0 || (r == 0 && __builtin_signbit(r)) ? 0x80 : 0;
			if (r != x)
				ex = FSW_PE;
		}
	}
	if (ex & FSW_IE) { /* packed BCD indefinite */
		memset(b, 0, sizeof(b));
		b[7] = 0xc0;
		b[8] = b[9] = 0xff;
	}
	if (!x87_blocked(cpu, ex)) {
		x86_write_bytes(cpu, in->seg, ea, b, 10);
		x87_pop(cpu);
	}
	x87_commit(cpu, ex);
}

/* ---- environment: FNSTENV/FLDENV/FNSAVE/FRSTOR (SDM Vol. 1 8.1.10, Figures 8-9..8-12) ---- */

static unsigned env_size(const struct x86_insn *in)
{
	return in->opsize == 2 ? 14 : 28;
}

static void env_store(struct x86_cpu *cpu, const struct x86_insn *in, u8 *b)
{
	const struct x86_fpu *f = &cpu->fpu;

	if (in->opsize == 2) {
		u16 w[7] = { f->fcw, f->fsw, f->ftw, (u16)f->fip, 0, (u16)f->fdp, 0 };
		memcpy(b, w, 14);
	} else {
		u32 d[7] = { 0xffff0000u | f->fcw, 0xffff0000u | f->fsw, 0xffff0000u | f->ftw,
			     (u32)f->fip, (u32)(f->fop & 0x7ff) << 16, (u32)f->fdp, 0xffff0000u };
		memcpy(b, d, 28);
	}
}

static void env_load(struct x86_cpu *cpu, const struct x86_insn *in, const u8 *b)
{
	struct x86_fpu *f = &cpu->fpu;
	u16 ftw;

	if (in->opsize == 2) {
		u16 w[7];
		memcpy(w, b, 14);
		f->fcw = w[0];
		f->fsw = w[1];
		ftw = w[2];
		f->fip = w[3];
		f->fdp = w[5];
	} else {
		u32 d[7];
		memcpy(d, b, 28);
		f->fcw = (u16)d[0];
		f->fsw = (u16)d[1];
		ftw = (u16)d[2];
		f->fip = d[3];
		f->fop = (u16)((d[4] >> 16) & 0x7ff);
		f->fdp = d[5];
	}
	/* B is not state of its own: it mirrors ES (SDM Vol. 1 8.1.3.1) */
	f->fsw = (u16)((f->fsw & ~FSW_B) | ((f->fsw & FSW_ES) ? FSW_B : 0));
	/* Only "empty" is taken from the image; other tags follow the contents. */
	f->ftw = 0;
	for (unsigned p = 0; p < 8; p++) {
		unsigned t = ((ftw >> (2 * p)) & 3) == FTAG_EMPTY ? FTAG_EMPTY : x87_tag_of(&f->fpr[p]);
		f->ftw |= (u16)(t << (2 * p));
	}
	update_es(f);
}

static void fnstenv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 b[28];

	env_store(cpu, in, b);
	x86_write_bytes(cpu, in->seg, x86_ea(cpu, in), b, env_size(in));
	cpu->fpu.fcw |= FCW_MASKS;
}

static void fldenv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 b[28];

	x86_read_bytes(cpu, in->seg, x86_ea(cpu, in), b, env_size(in));
	env_load(cpu, in, b);
}

static void fnsave(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 b[28 + 80];
	unsigned n = env_size(in);

	env_store(cpu, in, b);
	for (unsigned i = 0; i < 8; i++)
		x87_reg_bytes(&cpu->fpu.fpr[x87_phys(cpu, i)], b + n + 10 * i);
	x86_write_bytes(cpu, in->seg, x86_ea(cpu, in), b, n + 80);
	fninit(&cpu->fpu);
}

static void frstor(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 b[28 + 80];
	unsigned n = env_size(in);

	x86_read_bytes(cpu, in->seg, x86_ea(cpu, in), b, n + 80);
	/* Registers first: the tags computed by env_load look at their contents. */
	u16 fsw;
	memcpy(&fsw, b + (in->opsize == 2 ? 2 : 4), 2);
	unsigned top = (fsw & FSW_TOP) >> FSW_TOP_SHIFT;
	for (unsigned i = 0; i < 8; i++) {
		struct x86_fpreg *r = &cpu->fpu.fpr[(top + i) & 7];
		memcpy(&r->mant, b + n + 10 * i, 8);
		memcpy(&r->exp, b + n + 10 * i + 8, 2);
	}
	env_load(cpu, in, b);
}

/* ---- register-stack instructions ---- */

static void fld_st(struct x86_cpu *cpu, unsigned i)
{
	if (x87_empty(cpu, i)) {
		x87_push(cpu, X87_INDEFINITE_LD, FSW_IE | FSW_SF);
		return;
	}
	struct x86_fpreg r = cpu->fpu.fpr[x87_phys(cpu, i)];
	if (!x87_empty(cpu, 7)) {
		x87_push(cpu, 0, 0); /* overflow path */
		return;
	}
	x87_push_raw(cpu, r);
	x87_commit(cpu, 0);
}

static void fst_st(struct x86_cpu *cpu, unsigned i, bool pop)
{
	u16 ex = 0;
	struct x86_fpreg r = X87_INDEFINITE;

	if (x87_empty(cpu, 0))
		ex = FSW_IE | FSW_SF;
	else
		r = cpu->fpu.fpr[x87_phys(cpu, 0)];
	if (!x87_blocked(cpu, ex)) {
		x87_set_raw(cpu, i, r);
		if (pop)
			x87_pop(cpu);
	}
	x87_commit(cpu, ex);
}

static void fxch(struct x86_cpu *cpu, unsigned i)
{
	u16 ex = 0;
	struct x86_fpreg a = cpu->fpu.fpr[x87_phys(cpu, 0)], b = cpu->fpu.fpr[x87_phys(cpu, i)];

	if (x87_empty(cpu, 0) || x87_empty(cpu, i)) {
		ex = FSW_IE | FSW_SF;
		if (x87_blocked(cpu, ex)) {
			x87_commit(cpu, ex);
			return;
		}
		if (x87_empty(cpu, 0))
			a = X87_INDEFINITE;
		if (x87_empty(cpu, i))
			b = X87_INDEFINITE;
	}
	x87_set_raw(cpu, 0, b);
	x87_set_raw(cpu, i, a);
	x87_commit(cpu, ex);
}

/* FCMOVcc: DA C0/C8/D0/D8 = B/E/BE/U, DB = the negations. */
static void fcmov(struct x86_cpu *cpu, const struct x86_insn *in)
{
	static const u8 cc[4] = { 2, 4, 6, 10 }; /* B, E, BE, P in Jcc order */
	bool cond = x86_cond(cpu, cc[in->reg & 3] | (in->opcode == 0xdb));
	unsigned i = in->rm & 7;

	if (x87_empty(cpu, 0) || x87_empty(cpu, i)) {
		u16 ex = FSW_IE | FSW_SF;
		if (!x87_blocked(cpu, ex) && cond)
			x87_set_raw(cpu, 0, X87_INDEFINITE);
		x87_commit(cpu, ex);
		return;
	}
	if (cond)
		x87_set_raw(cpu, 0, cpu->fpu.fpr[x87_phys(cpu, i)]);
	x87_commit(cpu, 0);
}

/* ---- dispatch ---- */

/* FNINIT FNCLEX FNSTCW FNSTSW FNSTENV FNSAVE (and FENI/FDISI/FSETPM): no #MF check. */
static bool is_nowait(const struct x86_insn *in)
{
	unsigned r = in->reg & 7, i = in->rm & 7;

	if (in->mod != 3)
		return (in->opcode == 0xd9 || in->opcode == 0xdd) && r >= 6;
	return (in->opcode == 0xdb && r == 4 && i <= 4) || (in->opcode == 0xdf && r == 4 && i == 0);
}

/* Control instructions leave FIP, FDP and FOP alone (SDM Vol. 1 8.1.8). */
static bool is_control(const struct x86_insn *in)
{
	unsigned r = in->reg & 7;

	if (in->mod != 3)
		return (in->opcode == 0xd9 && r >= 4) || (in->opcode == 0xdd && (r == 4 || r >= 6));
	return is_nowait(in);
}

static void x87_enter(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_fpu(cpu);
	if (is_nowait(in))
		return;
	if (cpu->fpu.fsw & FSW_ES)
		x86_raise(cpu, X86_EXC_MF, X86_NO_ERR);
	if (is_control(in))
		return;
	cpu->fpu.fop = (u16)(((in->opcode & 7) << 8) | (in->mod << 6) | ((in->reg & 7) << 3) |
			     (in->mod == 3 ? (in->rm & 7) : 0));
	cpu->fpu.fip = cpu->rip;
	if (in->mod != 3)
		cpu->fpu.fdp = x86_ea(cpu, in);
}

static void op_x87_d9(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7, i = in->rm & 7;

	x87_enter(cpu, in);
	if (in->mod != 3) {
		switch (r) {
		case 0: fld_m(cpu, in, 32); return;
		case 2: fst_m(cpu, in, 32, false); return;
		case 3: fst_m(cpu, in, 32, true); return;
		case 4: fldenv(cpu, in); return;
		case 5: {
			u16 cw = x86_read16(cpu, in->seg, x86_ea(cpu, in));
			cpu->fpu.fcw = (u16)((cw & 0x1f3f) | 0x40);
			update_es(&cpu->fpu);
			return;
		}
		case 6: fnstenv(cpu, in); return;
		case 7: x86_write16(cpu, in->seg, x86_ea(cpu, in), cpu->fpu.fcw); return;
		default: x86_ud(cpu);
		}
	}
	switch (r) {
	case 0: fld_st(cpu, i); return;
	case 1: fxch(cpu, i); return;
	case 2:
		if (i != 0)
			x86_ud(cpu);
		return; /* FNOP */
	case 3: fst_st(cpu, i, true); return; /* FSTP1, an alias */
	default: x87_math_d9(cpu, in); return;
	}
}

static void op_x87_db(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7;

	x87_enter(cpu, in);
	if (in->mod != 3) {
		switch (r) {
		case 0: fild_m(cpu, in, 4); return;
		case 1: fist_m(cpu, in, 4, true, true); return;
		case 2: fist_m(cpu, in, 4, false, false); return;
		case 3: fist_m(cpu, in, 4, false, true); return;
		case 5: fld_m(cpu, in, 80); return;
		case 7: fst_m(cpu, in, 80, true); return;
		default: x86_ud(cpu);
		}
	}
	switch (r) {
	case 0: case 1: case 2: case 3: fcmov(cpu, in); return;
	case 4:
		switch (in->rm & 7) {
		case 0: case 1: case 4: return; /* FENI, FDISI, FSETPM: no-ops since the 287 */
		case 2: cpu->fpu.fsw &= (u16)~(FSW_B | FSW_ES | FSW_SF | FCW_MASKS); return;
		case 3: fninit(&cpu->fpu); return;
		default: x86_ud(cpu);
		}
	case 5: case 6: x87_math_compare(cpu, in); return; /* FUCOMI, FCOMI */
	default: x86_ud(cpu);
	}
}

static void op_x87_dd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7, i = in->rm & 7;

	x87_enter(cpu, in);
	if (in->mod != 3) {
		switch (r) {
		case 0: fld_m(cpu, in, 64); return;
		case 1: fist_m(cpu, in, 8, true, true); return;
		case 2: fst_m(cpu, in, 64, false); return;
		case 3: fst_m(cpu, in, 64, true); return;
		case 4: frstor(cpu, in); return;
		case 6: fnsave(cpu, in); return;
		case 7: x86_write16(cpu, in->seg, x86_ea(cpu, in), cpu->fpu.fsw); return;
		default: x86_ud(cpu);
		}
	}
	switch (r) {
	case 0: set_tag(cpu, x87_phys(cpu, i), FTAG_EMPTY); return; /* FFREE */
	case 1: fxch(cpu, i); return;                               /* FXCH4 alias */
	case 2: fst_st(cpu, i, false); return;
	case 3: fst_st(cpu, i, true); return;
	case 4: case 5: x87_math_compare(cpu, in); return;          /* FUCOM, FUCOMP */
	default: x86_ud(cpu);
	}
}

static void op_x87_df(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7, i = in->rm & 7;

	x87_enter(cpu, in);
	if (in->mod != 3) {
		switch (r) {
		case 0: fild_m(cpu, in, 2); return;
		case 1: fist_m(cpu, in, 2, true, true); return;
		case 2: fist_m(cpu, in, 2, false, false); return;
		case 3: fist_m(cpu, in, 2, false, true); return;
		case 4: fbld(cpu, in); return;
		case 5: fild_m(cpu, in, 8); return;
		case 6: fbstp(cpu, in); return;
		default: fist_m(cpu, in, 8, false, true); return;
		}
	}
	switch (r) {
	case 0: /* FFREEP */
		set_tag(cpu, x87_phys(cpu, i), FTAG_EMPTY);
		x87_pop(cpu);
		return;
	case 1: fxch(cpu, i); return;
	case 2: case 3: fst_st(cpu, i, true); return;
	case 4:
		if (i != 0)
			x86_ud(cpu);
		cpu->gpr[GPR_RAX] = (cpu->gpr[GPR_RAX] & ~0xffffULL) | cpu->fpu.fsw; /* FNSTSW AX */
		return;
	case 5: case 6: x87_math_compare(cpu, in); return; /* FUCOMIP, FCOMIP */
	default: x86_ud(cpu);
	}
}

/* D8 DC DE: arithmetic and compares, register and memory forms. */
static void op_x87_arith(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x87_enter(cpu, in);
	x87_math_arith(cpu, in);
}

/* DA: m32int arithmetic; FCMOVB/E/BE/U and FUCOMPP in register form. */
static void op_x87_da(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x87_enter(cpu, in);
	if (in->mod != 3)
		x87_math_arith(cpu, in);
	else if ((in->reg & 7) < 4)
		fcmov(cpu, in);
	else if ((in->reg & 7) == 5 && (in->rm & 7) == 1)
		x87_math_compare(cpu, in);
	else
		x86_ud(cpu);
}

/* 9B: WAIT/FWAIT: #NM when CR0.MP and TS; then report pending x87 exceptions. */
static void op_fwait(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if ((cpu->cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS))
		x86_raise(cpu, X86_EXC_NM, X86_NO_ERR);
	if (cpu->fpu.fsw & FSW_ES)
		x86_raise(cpu, X86_EXC_MF, X86_NO_ERR);
}

void x86_register_x87(struct x86_optable *t)
{
	x86_optable_set(t, X86_MAP_1B, 0x9b, op_fwait);
	x86_optable_set(t, X86_MAP_1B, 0xd8, op_x87_arith);
	x86_optable_set(t, X86_MAP_1B, 0xd9, op_x87_d9);
	x86_optable_set(t, X86_MAP_1B, 0xda, op_x87_da);
	x86_optable_set(t, X86_MAP_1B, 0xdb, op_x87_db);
	x86_optable_set(t, X86_MAP_1B, 0xdc, op_x87_arith);
	x86_optable_set(t, X86_MAP_1B, 0xdd, op_x87_dd);
	x86_optable_set(t, X86_MAP_1B, 0xde, op_x87_arith);
	x86_optable_set(t, X86_MAP_1B, 0xdf, op_x87_df);
}
