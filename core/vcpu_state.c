// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The byte form of struct vcpu_state (include/hover/vcpu_state.h): written
 * and read field by field, little-endian, so it is the same on every host and
 * for every compiler's struct layout. Self-contained (buffer in, buffer out):
 * the migration stream wraps it in a section of its own.
 *
 * Layout, version 1:
 *   u32 version, u32 body length (bytes after these 8)
 *   u32 flags
 *   u64 gpr[16], rip, rflags
 *   8 segments (ES CS SS DS FS GS, LDTR, TR): u64 base, u32 limit, u16 sel, u16 attr
 *   GDTR, IDTR: u64 base, u16 limit
 *   u64 cr0 cr2 cr3 cr4 cr8 efer xcr0 dr0 dr1 dr2 dr3 dr6 dr7 apic_base tsc
 *   u8 xsave[4096]
 *   u32 nmsrs, then nmsrs x (u32 index, u64 value)
 *   events: u8 exception_injected exception_vector exception_has_error, u32 exception_error,
 *           u8 interrupt_injected interrupt_vector interrupt_soft nmi_injected nmi_pending
 *              nmi_masked shadow sipi_vector
 *   u32 mp_state
 *   with flags & VCPU_STATE_LAPIC: u8 lapic[1024]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "include/hover/vcpu_state.h"

#define HDR_SIZE 8

/* A cursor over the buffer; a short buffer turns every later step into a no-op and sets bad. */
struct cur {
	u8 *w;
	const u8 *r;
	size_t pos, len;
	bool bad;
};

static bool room(struct cur *c, size_t n)
{
	if (c->bad || c->len - c->pos < n) {
		c->bad = true;
		return false;
	}
	return true;
}

static void put(struct cur *c, u64 v, unsigned n)
{
	if (!room(c, n))
		return;
	for (unsigned i = 0; i < n; i++)
		c->w[c->pos + i] = (u8)(v >> (8 * i));
	c->pos += n;
}

static u64 get(struct cur *c, unsigned n)
{
	u64 v = 0;

	if (!room(c, n))
		return 0;
	for (unsigned i = 0; i < n; i++)
		v |= (u64)c->r[c->pos + i] << (8 * i);
	c->pos += n;
	return v;
}

static void put_bytes(struct cur *c, const u8 *p, size_t n)
{
	if (!room(c, n))
		return;
	memcpy(c->w + c->pos, p, n);
	c->pos += n;
}

static void get_bytes(struct cur *c, u8 *p, size_t n)
{
	if (!room(c, n))
		return;
	memcpy(p, c->r + c->pos, n);
	c->pos += n;
}

/*
 * One walk serves both directions, so encoder and decoder cannot drift
 * apart: in decode mode each field is read into the struct, in encode mode
 * written from it.
 */
static void walk_u64(struct cur *c, bool enc, u64 *v) { if (enc) put(c, *v, 8); else *v = get(c, 8); }
static void walk_u32(struct cur *c, bool enc, u32 *v) { if (enc) put(c, *v, 4); else *v = (u32)get(c, 4); }
static void walk_u16(struct cur *c, bool enc, u16 *v) { if (enc) put(c, *v, 2); else *v = (u16)get(c, 2); }
static void walk_u8(struct cur *c, bool enc, u8 *v) { if (enc) put(c, *v, 1); else *v = (u8)get(c, 1); }
static void walk_bytes(struct cur *c, bool enc, u8 *p, size_t n)
{
	if (enc)
		put_bytes(c, p, n);
	else
		get_bytes(c, p, n);
}

static void walk_seg(struct cur *c, bool enc, struct seg_reg *s)
{
	walk_u64(c, enc, &s->base);
	walk_u32(c, enc, &s->limit);
	walk_u16(c, enc, &s->sel);
	walk_u16(c, enc, &s->attr);
}

static void walk_dtable(struct cur *c, bool enc, struct dtable_reg *d)
{
	walk_u64(c, enc, &d->base);
	walk_u16(c, enc, &d->limit);
}

static void walk_events(struct cur *c, bool enc, struct vcpu_events *e)
{
	walk_u8(c, enc, &e->exception_injected);
	walk_u8(c, enc, &e->exception_vector);
	walk_u8(c, enc, &e->exception_has_error);
	walk_u32(c, enc, &e->exception_error);
	walk_u8(c, enc, &e->interrupt_injected);
	walk_u8(c, enc, &e->interrupt_vector);
	walk_u8(c, enc, &e->interrupt_soft);
	walk_u8(c, enc, &e->nmi_injected);
	walk_u8(c, enc, &e->nmi_pending);
	walk_u8(c, enc, &e->nmi_masked);
	walk_u8(c, enc, &e->shadow);
	walk_u8(c, enc, &e->sipi_vector);
}

/* The body (everything after the 8-byte header). In decode mode s is filled. */
static void walk_body(struct cur *c, bool enc, struct vcpu_state *s)
{
	u64 *ctl[] = { &s->cr0, &s->cr2, &s->cr3, &s->cr4, &s->cr8, &s->efer, &s->xcr0,
		       &s->dr[0], &s->dr[1], &s->dr[2], &s->dr[3], &s->dr6, &s->dr7,
		       &s->apic_base, &s->tsc };

	walk_u32(c, enc, &s->flags);
	for (unsigned i = 0; i < 16; i++)
		walk_u64(c, enc, &s->gpr[i]);
	walk_u64(c, enc, &s->rip);
	walk_u64(c, enc, &s->rflags);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		walk_seg(c, enc, &s->seg[i]);
	walk_seg(c, enc, &s->ldtr);
	walk_seg(c, enc, &s->tr);
	walk_dtable(c, enc, &s->gdtr);
	walk_dtable(c, enc, &s->idtr);
	for (unsigned i = 0; i < ARRAY_SIZE(ctl); i++)
		walk_u64(c, enc, ctl[i]);
	walk_bytes(c, enc, s->xsave, sizeof(s->xsave));
	walk_u32(c, enc, &s->nmsrs);
	if (s->nmsrs > VCPU_STATE_MAX_MSRS) {
		c->bad = true;
		return;
	}
	for (unsigned i = 0; i < s->nmsrs; i++) {
		walk_u32(c, enc, &s->msrs[i].index);
		walk_u64(c, enc, &s->msrs[i].value);
	}
	walk_events(c, enc, &s->events);
	walk_u32(c, enc, &s->mp_state);
	if (s->flags & VCPU_STATE_LAPIC)
		walk_bytes(c, enc, s->lapic, sizeof(s->lapic));
}

size_t vcpu_state_encoded_max(void)
{
	/* header, flags, GPRs+RIP+RFLAGS, 8 segments, 2 tables, 15 u64s, xsave, MSRs, events, mp, lapic */
	return HDR_SIZE + 4 + 18 * 8 + 8 * 16 + 2 * 10 + 15 * 8 + VCPU_STATE_XSAVE_SIZE + 4 +
	       VCPU_STATE_MAX_MSRS * 12 + 15 + 4 + VCPU_STATE_LAPIC_SIZE;
}

long vcpu_state_encode(const struct vcpu_state *s, u8 *buf, size_t len)
{
	struct cur c = { .w = buf, .len = len };

	if (s->nmsrs > VCPU_STATE_MAX_MSRS)
		return -EINVAL;
	put(&c, VCPU_STATE_VERSION, 4);
	put(&c, 0, 4); /* body length, filled in below */
	/* The walk only reads through s when encoding. */
	walk_body(&c, true, (struct vcpu_state *)s);
	if (c.bad)
		return -ENOSPC;
	for (unsigned i = 0; i < 4; i++)
		buf[4 + i] = (u8)((c.pos - HDR_SIZE) >> (8 * i));
	return (long)c.pos;
}

long vcpu_state_decode(struct vcpu_state *s, const u8 *buf, size_t len)
{
	struct cur c = { .r = buf, .len = len };
	u32 version, body;

	memset(s, 0, sizeof(*s));
	version = (u32)get(&c, 4);
	body = (u32)get(&c, 4);
	if (c.bad || version != VCPU_STATE_VERSION || body > len - HDR_SIZE)
		return -EINVAL;
	c.len = HDR_SIZE + body; /* never read past this state's own bytes */
	walk_body(&c, false, s);
	if (c.bad || c.pos != c.len) {
		memset(s, 0, sizeof(*s));
		return -EINVAL;
	}
	return (long)c.pos;
}

bool vcpu_state_msr_get(const struct vcpu_state *s, u32 index, u64 *value)
{
	for (unsigned i = 0; i < s->nmsrs && i < VCPU_STATE_MAX_MSRS; i++) {
		if (s->msrs[i].index == index) {
			*value = s->msrs[i].value;
			return true;
		}
	}
	return false;
}

int vcpu_state_msr_set(struct vcpu_state *s, u32 index, u64 value)
{
	unsigned i = 0;

	while (i < s->nmsrs && s->msrs[i].index < index)
		i++;
	if (i < s->nmsrs && s->msrs[i].index == index) {
		s->msrs[i].value = value;
		return 0;
	}
	if (s->nmsrs >= VCPU_STATE_MAX_MSRS)
		return -ENOSPC;
	memmove(&s->msrs[i + 1], &s->msrs[i], (s->nmsrs - i) * sizeof(s->msrs[0]));
	s->msrs[i] = (struct vcpu_msr){ .index = index, .value = value };
	s->nmsrs++;
	return 0;
}

void vcpu_state_to_regs(const struct vcpu_state *s, struct vcpu_regs *r)
{
	memcpy(r->gpr, s->gpr, sizeof(r->gpr));
	r->rip = s->rip;
	r->rflags = s->rflags;
	memcpy(r->seg, s->seg, sizeof(r->seg));
	r->ldtr = s->ldtr;
	r->tr = s->tr;
	r->gdtr = s->gdtr;
	r->idtr = s->idtr;
	r->cr0 = s->cr0;
	r->cr2 = s->cr2;
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->cr8 = s->cr8;
	r->efer = s->efer;
}

void vcpu_state_from_regs(struct vcpu_state *s, const struct vcpu_regs *r)
{
	memcpy(s->gpr, r->gpr, sizeof(s->gpr));
	s->rip = r->rip;
	s->rflags = r->rflags;
	memcpy(s->seg, r->seg, sizeof(s->seg));
	s->ldtr = r->ldtr;
	s->tr = r->tr;
	s->gdtr = r->gdtr;
	s->idtr = r->idtr;
	s->cr0 = r->cr0;
	s->cr2 = r->cr2;
	s->cr3 = r->cr3;
	s->cr4 = r->cr4;
	s->cr8 = r->cr8;
	s->efer = r->efer;
}

/* Offsets of the version 1 byte form (the layout above). */
#define OFF_GPR 12
#define OFF_SEG (OFF_GPR + 18 * 8)
#define OFF_DT (OFF_SEG + 8 * 16)
#define OFF_CTL (OFF_DT + 2 * 10)
#define OFF_XSAVE (OFF_CTL + 15 * 8)
#define OFF_NMSRS (OFF_XSAVE + VCPU_STATE_XSAVE_SIZE)
#define OFF_MSRS (OFF_NMSRS + 4)
#define EVENTS_SIZE 15 /* walk_events: eleven u8 and a u32 */

const char *vcpu_state_field_at(const struct vcpu_state *s, size_t off, char *buf, size_t len)
{
	static const char *const ctl[] = { "cr0", "cr2", "cr3", "cr4", "cr8", "efer", "xcr0",
					   "dr0", "dr1", "dr2", "dr3", "dr6", "dr7", "apic_base",
					   "tsc" };
	size_t msrs_end = OFF_MSRS + (size_t)s->nmsrs * 12;

	if (off < OFF_GPR)
		snprintf(buf, len, "header/flags");
	else if (off < OFF_SEG)
		snprintf(buf, len, "%s", off < OFF_GPR + 128 ? "gpr" : "rip/rflags");
	else if (off < OFF_DT)
		snprintf(buf, len, "segment %zu", (off - OFF_SEG) / 16);
	else if (off < OFF_CTL)
		snprintf(buf, len, "%s", off < OFF_DT + 10 ? "gdtr" : "idtr");
	else if (off < OFF_XSAVE)
		snprintf(buf, len, "%s", ctl[(off - OFF_CTL) / 8]);
	else if (off < OFF_NMSRS)
		snprintf(buf, len, "xsave byte %zu", off - OFF_XSAVE);
	else if (off < OFF_MSRS)
		snprintf(buf, len, "nmsrs");
	else if (off < msrs_end)
		snprintf(buf, len, "MSR %#x", s->msrs[(off - OFF_MSRS) / 12].index);
	else if (off < msrs_end + EVENTS_SIZE)
		snprintf(buf, len, "events");
	else if (off < msrs_end + EVENTS_SIZE + 4)
		snprintf(buf, len, "mp_state");
	else
		snprintf(buf, len, "lapic byte %zu", off - msrs_end - EVENTS_SIZE - 4);
	return buf;
}
