/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 8042 keyboard controller at 0x60 (data) / 0x64 (status, command),
 * with an AT keyboard on IRQ1 and a PS/2 mouse on IRQ12 that never move,
 * plus port 0x92 (system control port A: fast A20 and fast reset). Its job
 * in hover is to let Linux's i8042/atkbd probe succeed and to carry the
 * guest's reset requests (command 0xFE, output port bit 0, port 0x92 bit 0).
 */
#ifndef HOVER_HW_I8042_H
#define HOVER_HW_I8042_H

#include "include/hover/addrspace.h"
#include "include/hover/irq.h"
#include "include/hover/state.h"
#include "include/hover/types.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_PORT92 0x92
#define I8042_QUEUE_SIZE 16

struct i8042_queue {
	u8 data[I8042_QUEUE_SIZE];
	u8 aux[I8042_QUEUE_SIZE]; /* controller queue only: byte comes from the aux side */
	u8 head, count;
};

/* Plain data, so it can be saved and restored. */
struct i8042_state {
	u8 ctr;            /* command byte, RAM[0] */
	u8 ram[32];        /* controller RAM 0x00-0x1F (RAM[0] unused: ctr) */
	u8 outport;        /* output port: bit 0 reset (active low), bit 1 A20 */
	u8 port92;         /* bit 1 A20 */
	u8 pending_cmd;    /* controller command waiting for its data byte, or 0 */
	bool last_was_cmd; /* status bit 3 (A2) */
	u8 ob;             /* output buffer */
	bool ob_full, ob_aux;
	bool irq1_level, irq12_level;
	struct i8042_queue ctrl_q, kbd_q, aux_q;
	/* keyboard */
	u8 kbd_pending, kbd_set, kbd_leds, kbd_last;
	bool kbd_scanning;
	/* mouse */
	u8 aux_pending, aux_rate, aux_res;
	bool aux_enabled, aux_remote, aux_scale21;
};

struct i8042_config {
	struct irq_line irq1;  /* keyboard */
	struct irq_line irq12; /* mouse */
	/* The guest pulled the CPU reset line. Called with the device lock held. */
	void (*reset)(void *opaque);
	/* The A20 gate (output port bit 1 OR port 0x92 bit 1) changed, or was
	 * loaded from a snapshot: the board applies it to the CPUs. May be NULL. */
	void (*a20)(void *opaque, bool enabled);
	void *opaque;
};

struct i8042 {
	struct i8042_state s;
	struct i8042_config cfg;
	struct addrspace *pio; /* where attached, for destroy */
};

int i8042_create(struct i8042 **out, const struct i8042_config *cfg) HOVER_WUR;
/* Unregisters the ports if attached: destroy devices before the address space. */
void i8042_destroy(struct i8042 *k);
void i8042_reset(struct i8042 *k);
/* Registers 0x60, 0x64 and 0x92. */
int i8042_attach(struct i8042 *k, struct addrspace *pio) HOVER_WUR;

/*
 * Input from the host (a VNC viewer), with the device lock held.
 *
 * i8042_key: a key went down or up. `key` is the key's scan code set 1
 * ("XT") make code, | I8042_KEY_E0 for the keys with the 0xE0 prefix. The
 * keyboard sends it in the set it is in: set 2 translated to set 1 by the
 * controller when the command byte asks (what Linux's atkbd uses), or set 2
 * as is. Returns false, sending nothing, when the keyboard's buffer lacks
 * room for the whole sequence (the caller retries later) or the keyboard is
 * not scanning.
 */
#define I8042_KEY_E0 0x100
bool i8042_key(struct i8042 *k, u16 key, bool down);
/*
 * The mouse moved by dx, dy (right and down positive, as on a screen) with
 * these buttons held (bit 0 left, 1 right, 2 middle). Sent as standard
 * 3-byte PS/2 packets while the guest has enabled streaming; false when the
 * buffer lacks room (retry) — true also when the mouse is off (dropped).
 */
bool i8042_mouse(struct i8042 *k, int dx, int dy, u8 buttons);

/* A20 gate as last set through the output port or port 0x92 (cfg.a20 is told). */
bool i8042_a20_enabled(const struct i8042 *k);

extern const struct io_ops i8042_data_io_ops; /* 0x60 */
extern const struct io_ops i8042_cmd_io_ops;  /* 0x64 */
extern const struct io_ops i8042_port92_io_ops;

/* Section "i8042": controller RAM, output buffer and queues, keyboard and mouse state. */
extern const struct dev_state_ops i8042_state_ops;

#endif
