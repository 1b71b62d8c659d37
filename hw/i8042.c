// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Intel 8042 keyboard controller (IBM PC/AT technical reference: status
 * register, command byte, controller commands 0x20-0xFF, output port), an AT
 * keyboard (IBM PS/2 keyboard commands 0xED-0xFF) and a PS/2 mouse (0xE6-0xFF),
 * and system control port A (0x92).
 *
 * How it works: bytes bound for the CPU wait in three queues — controller
 * replies, keyboard, mouse — and move one at a time into the single output
 * buffer, replies first, keyboard and mouse only while their interface is
 * enabled in the command byte. IRQ1/IRQ12 follow "output buffer full with a
 * byte from that side, and its interrupt enabled"; the line is dropped
 * before the next byte is loaded so edge-triggered inputs see each byte.
 * Linux's probe (drivers/input/serio/i8042.c): flush, self-test 0xAA, CTR
 * read/write, AUX loop 0xD3 (the reply must carry the AUXDATA status bit),
 * AUX enable/disable through the CTR, then atkbd's reset and identify.
 */
#include <errno.h>
#include <stdlib.h>

#include "hw/i8042.h"
#include "include/hover/log.h"

#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMDDAT 0x08
#define STR_KEYLOCK 0x10 /* 1 = keyboard not inhibited */
#define STR_AUXDATA 0x20

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

#define OUT_RESET 0x01 /* active low */
#define OUT_A20 0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20

#define KBD_ACK 0xFA
#define KBD_RESEND 0xFE
#define KBD_BAT_OK 0xAA

static void q_push(struct i8042_queue *q, u8 v, bool aux)
{
	unsigned i;

	if (q->count >= I8042_QUEUE_SIZE)
		return; /* the device's own buffer overflowed: the byte is lost */
	i = (q->head + q->count) % I8042_QUEUE_SIZE;
	q->data[i] = v;
	q->aux[i] = aux;
	q->count++;
}

static u8 q_pop(struct i8042_queue *q, bool *aux)
{
	u8 v = q->data[q->head];

	*aux = q->aux[q->head];
	q->head = (q->head + 1) % I8042_QUEUE_SIZE;
	q->count--;
	return v;
}

static void q_clear(struct i8042_queue *q)
{
	q->head = q->count = 0;
}

static void update_irq(struct i8042 *k)
{
	struct i8042_state *s = &k->s;
	bool l1 = s->ob_full && !s->ob_aux && (s->ctr & CTR_KBDINT);
	bool l12 = s->ob_full && s->ob_aux && (s->ctr & CTR_AUXINT);

	if (l1 != s->irq1_level) {
		s->irq1_level = l1;
		irq_set_level(&k->cfg.irq1, l1);
	}
	if (l12 != s->irq12_level) {
		s->irq12_level = l12;
		irq_set_level(&k->cfg.irq12, l12);
	}
}

/* Load the next waiting byte into an empty output buffer. */
static void fill_ob(struct i8042 *k)
{
	struct i8042_state *s = &k->s;
	bool aux = false;

	if (s->ob_full)
		return;
	if (s->ctrl_q.count)
		s->ob = q_pop(&s->ctrl_q, &aux);
	else if (s->kbd_q.count && !(s->ctr & CTR_KBDDIS))
		s->ob = q_pop(&s->kbd_q, &aux);
	else if (s->aux_q.count && !(s->ctr & CTR_AUXDIS))
		s->ob = q_pop(&s->aux_q, &aux);
	else
		return;
	s->ob_full = true;
	s->ob_aux = aux;
}

static void refresh(struct i8042 *k)
{
	fill_ob(k);
	update_irq(k);
}

static void reply(struct i8042 *k, u8 v)
{
	q_push(&k->s.ctrl_q, v, false);
}

static void do_reset(struct i8042 *k)
{
	if (k->cfg.reset)
		k->cfg.reset(k->cfg.opaque);
}

/*
 * Replies pass the controller's set 2 -> set 1 translation when XLATE is on.
 * Only bytes the keyboard emits as command replies occur here: the ID's
 * second byte and scan set numbers change, 0xFA/0xAA/0xAB/0xEE/0xFE do not.
 */
static u8 xlate(const struct i8042 *k, u8 v)
{
	if (!(k->s.ctr & CTR_XLATE))
		return v;
	switch (v) {
	case 0x01: return 0x43;
	case 0x02: return 0x41;
	case 0x03: return 0x3F;
	case 0x83: return 0x41;
	default: return v;
	}
}

static void kbd_put(struct i8042 *k, u8 v)
{
	k->s.kbd_last = v;
	q_push(&k->s.kbd_q, xlate(k, v), false);
}

static void kbd_defaults(struct i8042_state *s)
{
	s->kbd_set = 2;
	s->kbd_leds = 0;
	s->kbd_pending = 0;
}

static void kbd_write(struct i8042 *k, u8 val)
{
	struct i8042_state *s = &k->s;
	u8 cmd = s->kbd_pending;

	s->kbd_pending = 0;
	if (cmd && val < 0xED) { /* a parameter byte */
		switch (cmd) {
		case 0xED:
			s->kbd_leds = val & 7;
			kbd_put(k, KBD_ACK);
			break;
		case 0xF0:
			if (val == 0) {
				kbd_put(k, KBD_ACK);
				kbd_put(k, s->kbd_set);
			} else if (val <= 3) {
				s->kbd_set = val;
				kbd_put(k, KBD_ACK);
			} else {
				kbd_put(k, KBD_RESEND);
			}
			break;
		default: /* 0xF3 typematic rate */
			kbd_put(k, KBD_ACK);
			break;
		}
		return;
	}
	switch (val) {
	case 0xFF: /* reset and self-test */
		q_clear(&s->kbd_q);
		kbd_defaults(s);
		s->kbd_scanning = true;
		kbd_put(k, KBD_ACK);
		kbd_put(k, KBD_BAT_OK);
		break;
	case 0xFE: /* resend */
		q_push(&s->kbd_q, xlate(k, s->kbd_last), false);
		break;
	case 0xF6: /* set defaults */
		kbd_defaults(s);
		kbd_put(k, KBD_ACK);
		break;
	case 0xF5: /* default and disable */
		kbd_defaults(s);
		s->kbd_scanning = false;
		kbd_put(k, KBD_ACK);
		break;
	case 0xF4:
		s->kbd_scanning = true;
		kbd_put(k, KBD_ACK);
		break;
	case 0xF3:
	case 0xF0:
	case 0xED:
		s->kbd_pending = val;
		kbd_put(k, KBD_ACK);
		break;
	case 0xF2: /* identify: MF2 keyboard */
		kbd_put(k, KBD_ACK);
		kbd_put(k, 0xAB);
		kbd_put(k, 0x83);
		break;
	case 0xEE: /* echo */
		kbd_put(k, 0xEE);
		break;
	case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
		kbd_put(k, KBD_ACK); /* set-3 key type commands: accepted, ignored */
		break;
	default:
		kbd_put(k, KBD_RESEND);
		break;
	}
}

static void aux_put(struct i8042 *k, u8 v)
{
	q_push(&k->s.aux_q, v, true);
}

static void aux_defaults(struct i8042_state *s)
{
	s->aux_rate = 100;
	s->aux_res = 2;
	s->aux_scale21 = false;
	s->aux_enabled = false;
	s->aux_remote = false;
	s->aux_pending = 0;
}

static void aux_write(struct i8042 *k, u8 val)
{
	struct i8042_state *s = &k->s;
	u8 cmd = s->aux_pending;

	s->aux_pending = 0;
	if (cmd) { /* 0xF3 sample rate or 0xE8 resolution */
		if (cmd == 0xF3)
			s->aux_rate = val;
		else
			s->aux_res = val & 3;
		aux_put(k, KBD_ACK);
		return;
	}
	switch (val) {
	case 0xFF: /* reset: ACK, BAT passed, device ID 0 */
		q_clear(&s->aux_q);
		aux_defaults(s);
		aux_put(k, KBD_ACK);
		aux_put(k, KBD_BAT_OK);
		aux_put(k, 0x00);
		break;
	case 0xF6:
		aux_defaults(s);
		aux_put(k, KBD_ACK);
		break;
	case 0xF5:
		s->aux_enabled = false;
		aux_put(k, KBD_ACK);
		break;
	case 0xF4:
		s->aux_enabled = true;
		aux_put(k, KBD_ACK);
		break;
	case 0xF3:
	case 0xE8:
		s->aux_pending = val;
		aux_put(k, KBD_ACK);
		break;
	case 0xF2: /* get device ID: standard PS/2 mouse */
		aux_put(k, KBD_ACK);
		aux_put(k, 0x00);
		break;
	case 0xF0:
		s->aux_remote = true;
		aux_put(k, KBD_ACK);
		break;
	case 0xEA:
		s->aux_remote = false;
		aux_put(k, KBD_ACK);
		break;
	case 0xE9: /* status request */
		aux_put(k, KBD_ACK);
		aux_put(k, (u8)((s->aux_remote ? 0x40 : 0) | (s->aux_enabled ? 0x20 : 0) |
				(s->aux_scale21 ? 0x10 : 0)));
		aux_put(k, s->aux_res);
		aux_put(k, s->aux_rate);
		break;
	case 0xEB: /* read data: no motion, no buttons */
		aux_put(k, KBD_ACK);
		aux_put(k, 0x08);
		aux_put(k, 0x00);
		aux_put(k, 0x00);
		break;
	case 0xE7:
	case 0xE6:
		s->aux_scale21 = val == 0xE7;
		aux_put(k, KBD_ACK);
		break;
	case 0xEC: /* reset wrap mode; wrap mode itself is not emulated */
	case 0xEE:
		aux_put(k, KBD_ACK);
		break;
	default:
		aux_put(k, KBD_RESEND);
		break;
	}
}

/* Tell the board when the gate moved (both inputs are ORed, as on a PC). */
static void a20_update(struct i8042 *k, bool before)
{
	bool now = i8042_a20_enabled(k);

	if (now != before && k->cfg.a20)
		k->cfg.a20(k->cfg.opaque, now);
}

static u8 outport_value(const struct i8042 *k)
{
	const struct i8042_state *s = &k->s;
	u8 v = s->outport & (OUT_RESET | OUT_A20);

	if (s->ob_full)
		v |= s->ob_aux ? OUT_AUX_OBF : OUT_KBD_OBF;
	return v;
}

static void write_outport(struct i8042 *k, u8 val)
{
	bool before = i8042_a20_enabled(k);

	k->s.outport = (val & OUT_A20) | OUT_RESET;
	a20_update(k, before);
	if (!(val & OUT_RESET))
		do_reset(k);
}

static void controller_cmd(struct i8042 *k, u8 cmd)
{
	struct i8042_state *s = &k->s;

	s->pending_cmd = 0;
	if (cmd == 0x20) {
		reply(k, s->ctr);
		return;
	}
	if (cmd > 0x20 && cmd < 0x40) {
		reply(k, s->ram[cmd & 0x1F]);
		return;
	}
	if ((cmd >= 0x60 && cmd < 0x80) || (cmd >= 0xD1 && cmd <= 0xD4)) {
		s->pending_cmd = cmd; /* takes a data byte */
		return;
	}
	if (cmd >= 0xF0) { /* pulse output port bits whose mask bit is 0 */
		if (!(cmd & OUT_RESET))
			do_reset(k);
		return;
	}
	switch (cmd) {
	case 0xA4: /* password installed? */
		reply(k, 0xF1);
		break;
	case 0xA7:
		s->ctr |= CTR_AUXDIS;
		break;
	case 0xA8:
		s->ctr &= (u8)~CTR_AUXDIS;
		break;
	case 0xA9: /* aux interface test: no error */
	case 0xAB: /* keyboard interface test: no error */
		reply(k, 0x00);
		break;
	case 0xAA: /* self-test */
		s->ctr |= CTR_SYS;
		reply(k, 0x55);
		break;
	case 0xAD:
		s->ctr |= CTR_KBDDIS;
		break;
	case 0xAE:
		s->ctr &= (u8)~CTR_KBDDIS;
		break;
	case 0xC0: /* input port */
		reply(k, 0x00);
		break;
	case 0xD0:
		reply(k, outport_value(k));
		break;
	case 0xDD: {
		bool before = i8042_a20_enabled(k);

		s->outport &= (u8)~OUT_A20;
		a20_update(k, before);
		break;
	}
	case 0xDF: {
		bool before = i8042_a20_enabled(k);

		s->outport |= OUT_A20;
		a20_update(k, before);
		break;
	}
	case 0xE0: /* test inputs */
		reply(k, 0x00);
		break;
	default:
		log_ratelimited(LOG_DEBUG, "i8042: unsupported controller command 0x%02x", cmd);
		break;
	}
}

static void data_write(struct i8042 *k, u8 val)
{
	struct i8042_state *s = &k->s;
	u8 cmd = s->pending_cmd;

	s->pending_cmd = 0;
	switch (cmd) {
	case 0:
		kbd_write(k, val);
		break;
	case 0xD1:
		write_outport(k, val);
		break;
	case 0xD2: /* as if the keyboard had sent it */
		q_push(&s->ctrl_q, val, false);
		break;
	case 0xD3: /* as if the mouse had sent it */
		q_push(&s->ctrl_q, val, true);
		break;
	case 0xD4:
		aux_write(k, val);
		break;
	default: /* 0x60-0x7F: controller RAM, byte 0 is the command byte */
		if (cmd == 0x60)
			s->ctr = val & 0x7F;
		else
			s->ram[cmd & 0x1F] = val;
		break;
	}
}

static u64 data_read(void *opaque, u64 offset, unsigned size)
{
	struct i8042 *k = opaque;
	struct i8042_state *s = &k->s;
	u8 v = s->ob;

	if (!s->ob_full)
		return v; /* stale, as on hardware */
	s->ob_full = false;
	update_irq(k); /* drop the line first: the next byte makes a new edge */
	refresh(k);
	return v;
}

static void data_port_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct i8042 *k = opaque;

	k->s.last_was_cmd = false;
	data_write(k, (u8)val);
	refresh(k);
}

static u64 status_read(void *opaque, u64 offset, unsigned size)
{
	struct i8042 *k = opaque;
	const struct i8042_state *s = &k->s;
	u8 v = STR_KEYLOCK;

	if (s->ob_full)
		v |= STR_OBF | (s->ob_aux ? STR_AUXDATA : 0);
	if (s->ctr & CTR_SYS)
		v |= STR_SYS;
	if (s->last_was_cmd)
		v |= STR_CMDDAT;
	return v;
}

static void cmd_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct i8042 *k = opaque;

	k->s.last_was_cmd = true;
	controller_cmd(k, (u8)val);
	refresh(k);
}

static u64 port92_read(void *opaque, u64 offset, unsigned size)
{
	struct i8042 *k = opaque;

	return k->s.port92;
}

static void port92_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct i8042 *k = opaque;

	bool before = i8042_a20_enabled(k);

	k->s.port92 = (u8)val & 0x02;
	a20_update(k, before);
	if (val & 0x01) /* fast reset */
		do_reset(k);
}

const struct io_ops i8042_data_io_ops = {
	.read = data_read, .write = data_port_write, .min_access = 1, .max_access = 1,
};
const struct io_ops i8042_cmd_io_ops = {
	.read = status_read, .write = cmd_write, .min_access = 1, .max_access = 1,
};
const struct io_ops i8042_port92_io_ops = {
	.read = port92_read, .write = port92_write, .min_access = 1, .max_access = 1,
};

/* ---- input from the host ---- */

/*
 * Scan code set 1 make code -> set 2 (IBM PS/2 Technical Reference, keyboard
 * scan code tables). The E0-prefixed keys use their base code's entry.
 */
static const u8 set1_to_set2[0x5E] = {
	[0x01] = 0x76, [0x02] = 0x16, [0x03] = 0x1E, [0x04] = 0x26, [0x05] = 0x25, [0x06] = 0x2E,
	[0x07] = 0x36, [0x08] = 0x3D, [0x09] = 0x3E, [0x0A] = 0x46, [0x0B] = 0x45, [0x0C] = 0x4E,
	[0x0D] = 0x55, [0x0E] = 0x66, [0x0F] = 0x0D, [0x10] = 0x15, [0x11] = 0x1D, [0x12] = 0x24,
	[0x13] = 0x2D, [0x14] = 0x2C, [0x15] = 0x35, [0x16] = 0x3C, [0x17] = 0x43, [0x18] = 0x44,
	[0x19] = 0x4D, [0x1A] = 0x54, [0x1B] = 0x5B, [0x1C] = 0x5A, [0x1D] = 0x14, [0x1E] = 0x1C,
	[0x1F] = 0x1B, [0x20] = 0x23, [0x21] = 0x2B, [0x22] = 0x34, [0x23] = 0x33, [0x24] = 0x3B,
	[0x25] = 0x42, [0x26] = 0x4B, [0x27] = 0x4C, [0x28] = 0x52, [0x29] = 0x0E, [0x2A] = 0x12,
	[0x2B] = 0x5D, [0x2C] = 0x1A, [0x2D] = 0x22, [0x2E] = 0x21, [0x2F] = 0x2A, [0x30] = 0x32,
	[0x31] = 0x31, [0x32] = 0x3A, [0x33] = 0x41, [0x34] = 0x49, [0x35] = 0x4A, [0x36] = 0x59,
	[0x37] = 0x7C, [0x38] = 0x11, [0x39] = 0x29, [0x3A] = 0x58, [0x3B] = 0x05, [0x3C] = 0x06,
	[0x3D] = 0x04, [0x3E] = 0x0C, [0x3F] = 0x03, [0x40] = 0x0B, [0x41] = 0x83, [0x42] = 0x0A,
	[0x43] = 0x01, [0x44] = 0x09, [0x45] = 0x77, [0x46] = 0x7E, [0x47] = 0x6C, [0x48] = 0x75,
	[0x49] = 0x7D, [0x4A] = 0x7B, [0x4B] = 0x6B, [0x4C] = 0x73, [0x4D] = 0x74, [0x4E] = 0x79,
	[0x4F] = 0x69, [0x50] = 0x72, [0x51] = 0x7A, [0x52] = 0x70, [0x53] = 0x71, [0x56] = 0x61,
	[0x57] = 0x78, [0x58] = 0x07, [0x5B] = 0x1F, [0x5C] = 0x27, [0x5D] = 0x2F,
};

bool i8042_key(struct i8042 *k, u16 key, bool down)
{
	struct i8042_state *s = &k->s;
	u8 code = key & 0x7f, seq[4];
	unsigned n = 0;

	if (!s->kbd_scanning || !code)
		return true; /* a keyboard that does not scan drops keys, as hardware does */
	if (key & I8042_KEY_E0)
		seq[n++] = 0xE0;
	if (s->kbd_set == 1 || (s->ctr & CTR_XLATE)) {
		/* Set 1, or set 2 through the controller's translation: the same bytes. */
		seq[n++] = down ? code : (u8)(code | 0x80);
	} else {
		if (code >= sizeof(set1_to_set2) || !set1_to_set2[code])
			return true;
		if (!down)
			seq[n++] = 0xF0;
		seq[n++] = set1_to_set2[code];
	}
	if ((unsigned)(I8042_QUEUE_SIZE - s->kbd_q.count) < n)
		return false;
	for (unsigned i = 0; i < n; i++)
		q_push(&s->kbd_q, seq[i], false);
	refresh(k);
	return true;
}

bool i8042_mouse(struct i8042 *k, int dx, int dy, u8 buttons)
{
	struct i8042_state *s = &k->s;

	unsigned ax = (unsigned)(dx < 0 ? -dx : dx), ay = (unsigned)(dy < 0 ? -dy : dy);
	unsigned packets = ((ax > ay ? ax : ay) + 254) / 255;

	if (!s->aux_enabled || s->aux_remote)
		return true;
	if ((unsigned)(I8042_QUEUE_SIZE - s->aux_q.count) < 3 * (packets ? packets : 1))
		return false; /* all or nothing: a retry must not repeat a part */
	do {
		/* PS/2 counts up for upward motion; each packet carries 9-bit deltas. */
		int x = dx < -255 ? -255 : dx > 255 ? 255 : dx;
		int y = -dy < -255 ? -255 : -dy > 255 ? 255 : -dy;
		u8 b0 = (u8)(0x08 | (buttons & 7) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0));

		q_push(&s->aux_q, b0, true);
		q_push(&s->aux_q, (u8)x, true);
		q_push(&s->aux_q, (u8)y, true);
		dx -= x;
		dy += y;
	} while (dx || dy);
	refresh(k);
	return true;
}

bool i8042_a20_enabled(const struct i8042 *k)
{
	return (k->s.outport & OUT_A20) || (k->s.port92 & 0x02);
}

void i8042_reset(struct i8042 *k)
{
	struct i8042_state *s = &k->s;

	*s = (struct i8042_state){0};
	/* What a BIOS leaves behind: keyboard interrupt, POST passed, translation on. */
	s->ctr = CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE;
	s->outport = OUT_RESET | OUT_A20;
	s->port92 = 0x02;
	kbd_defaults(s);
	s->kbd_scanning = true;
	aux_defaults(s);
	/* Force the lines to a known low state. */
	s->irq1_level = s->irq12_level = true;
	s->ob_full = false;
	update_irq(k);
}

int i8042_create(struct i8042 **out, const struct i8042_config *cfg)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->cfg = *cfg;
	i8042_reset(k);
	*out = k;
	return 0;
}

int i8042_attach(struct i8042 *k, struct addrspace *pio)
{
	int ret;

	ret = as_register(pio, I8042_DATA_PORT, 1, &i8042_data_io_ops, k);
	if (ret)
		return ret;
	ret = as_register(pio, I8042_CMD_PORT, 1, &i8042_cmd_io_ops, k);
	if (ret)
		goto err_cmd;
	ret = as_register(pio, I8042_PORT92, 1, &i8042_port92_io_ops, k);
	if (ret)
		goto err_port92;
	k->pio = pio;
	return 0;

err_port92:
	as_unregister(pio, I8042_CMD_PORT);
err_cmd:
	as_unregister(pio, I8042_DATA_PORT);
	return ret;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	if (k->pio) {
		as_unregister(k->pio, I8042_PORT92);
		as_unregister(k->pio, I8042_CMD_PORT);
		as_unregister(k->pio, I8042_DATA_PORT);
	}
	free(k);
}

/* ---- state (include/hover/state.h) ---- */

static void queue_save(struct state_writer *w, const struct i8042_queue *q)
{
	state_put_bytes(w, q->data, sizeof(q->data));
	state_put_bytes(w, q->aux, sizeof(q->aux));
	state_put_u8(w, q->head);
	state_put_u8(w, q->count);
}

static void queue_load(struct state_reader *r, struct i8042_queue *q)
{
	state_get_bytes(r, q->data, sizeof(q->data));
	state_get_bytes(r, q->aux, sizeof(q->aux));
	q->head = state_get_u8(r);
	q->count = state_get_u8(r);
	if (q->head >= I8042_QUEUE_SIZE || q->count > I8042_QUEUE_SIZE)
		state_reader_fail(r, "queue head %u count %u (at most %u)", q->head, q->count,
				  I8042_QUEUE_SIZE);
}

/* IRQ levels are restored, not driven: they are the interrupt controllers' state. */
static int kbc_save(void *dev, struct state_writer *w)
{
	const struct i8042_state *s = &((struct i8042 *)dev)->s;

	state_put_u8(w, s->ctr);
	state_put_bytes(w, s->ram, sizeof(s->ram));
	state_put_u8(w, s->outport);
	state_put_u8(w, s->port92);
	state_put_u8(w, s->pending_cmd);
	state_put_bool(w, s->last_was_cmd);
	state_put_u8(w, s->ob);
	state_put_bool(w, s->ob_full);
	state_put_bool(w, s->ob_aux);
	state_put_bool(w, s->irq1_level);
	state_put_bool(w, s->irq12_level);
	queue_save(w, &s->ctrl_q);
	queue_save(w, &s->kbd_q);
	queue_save(w, &s->aux_q);
	state_put_u8(w, s->kbd_pending);
	state_put_u8(w, s->kbd_set);
	state_put_u8(w, s->kbd_leds);
	state_put_u8(w, s->kbd_last);
	state_put_bool(w, s->kbd_scanning);
	state_put_u8(w, s->aux_pending);
	state_put_u8(w, s->aux_rate);
	state_put_u8(w, s->aux_res);
	state_put_bool(w, s->aux_enabled);
	state_put_bool(w, s->aux_remote);
	state_put_bool(w, s->aux_scale21);
	return 0;
}

static int kbc_load(void *dev, struct state_reader *r)
{
	struct i8042_state *s = &((struct i8042 *)dev)->s;

	s->ctr = state_get_u8(r);
	state_get_bytes(r, s->ram, sizeof(s->ram));
	s->outport = state_get_u8(r);
	s->port92 = state_get_u8(r);
	s->pending_cmd = state_get_u8(r);
	s->last_was_cmd = state_get_bool(r);
	s->ob = state_get_u8(r);
	s->ob_full = state_get_bool(r);
	s->ob_aux = state_get_bool(r);
	s->irq1_level = state_get_bool(r);
	s->irq12_level = state_get_bool(r);
	queue_load(r, &s->ctrl_q);
	queue_load(r, &s->kbd_q);
	queue_load(r, &s->aux_q);
	s->kbd_pending = state_get_u8(r);
	s->kbd_set = state_get_u8(r);
	s->kbd_leds = state_get_u8(r);
	s->kbd_last = state_get_u8(r);
	s->kbd_scanning = state_get_bool(r);
	s->aux_pending = state_get_u8(r);
	s->aux_rate = state_get_u8(r);
	s->aux_res = state_get_u8(r);
	s->aux_enabled = state_get_bool(r);
	s->aux_remote = state_get_bool(r);
	s->aux_scale21 = state_get_bool(r);
	/* The CPUs' gate is not in their saved state: re-apply it. */
	if (state_reader_error(r) == 0 && ((struct i8042 *)dev)->cfg.a20)
		((struct i8042 *)dev)->cfg.a20(((struct i8042 *)dev)->cfg.opaque,
					       i8042_a20_enabled(dev));
	return state_reader_error(r);
}

const struct dev_state_ops i8042_state_ops = {
	.section = "i8042", .version = 1, .save = kbc_save, .load = kbc_load,
};
