/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16550A UART (National Semiconductor PC16550D datasheet), as a PC COM port:
 * eight byte-wide registers at base (COM1: 0x3F8, IRQ4).
 *
 * Transmit is immediate: every byte the guest writes to THR goes straight to
 * the tx callback, so THR/TSR are always empty again by the time the guest
 * looks. Receive is flow-controlled: the backend offers bytes with
 * uart16550_receive(), which takes only what fits in the RX FIFO; when the
 * guest has made room again, rx_ready() is called so the backend resumes.
 */
#ifndef HOVER_HW_UART16550_H
#define HOVER_HW_UART16550_H

#include "include/hover/addrspace.h"
#include "include/hover/irq.h"
#include "include/hover/state.h"
#include "include/hover/timer.h"
#include "include/hover/types.h"

#define UART16550_FIFO_SIZE 16
#define UART16550_NR_PORTS 8 /* register window length */
#define UART16550_COM1_BASE 0x3F8
#define UART16550_COM1_IRQ 4

/* Guest-visible state; plain data so it can be saved and restored. */
struct uart16550_state {
	u8 ier, fcr, lcr, mcr, lsr, msr, scr;
	u8 dll, dlm;
	u8 rx_fifo[UART16550_FIFO_SIZE];
	u8 rx_head, rx_count;
	bool thr_ipending;     /* THRE interrupt pending (cleared by IIR read / THR write) */
	bool timeout_ipending; /* character timeout interrupt pending */
	bool irq_level;        /* last level driven on the irq line */
	bool rx_blocked;       /* a receive() was short: call rx_ready when room appears */
};

struct uart16550_config {
	struct irq_line irq;
	struct timer_list *timers; /* for the character-timeout timer */
	/* Bytes the guest transmitted. Must not block. */
	void (*tx)(void *opaque, const u8 *buf, size_t len);
	/*
	 * Optional: input can be taken again after receive() filled the FIFO or
	 * refused bytes (or loopback ended). May call uart16550_receive().
	 */
	void (*rx_ready)(void *opaque);
	void *opaque;
	/* Optional clock (tests); NULL means clock_ns(). */
	u64 (*now_ns)(void *clock_opaque);
	void *clock_opaque;
};

struct uart16550 {
	struct uart16550_state s;
	struct uart16550_config cfg;
	struct timer timeout_timer;
	struct addrspace *pio; /* where attached, for destroy */
	u16 base;
};

int uart16550_create(struct uart16550 **out, const struct uart16550_config *cfg) HOVER_WUR;
/* Unregisters the port range if attached: destroy devices before the address space. */
void uart16550_destroy(struct uart16550 *u);
void uart16550_reset(struct uart16550 *u);
/* Register the 8-port window at base (e.g. UART16550_COM1_BASE). */
int uart16550_attach(struct uart16550 *u, struct addrspace *pio, u16 base) HOVER_WUR;

/* Backend input: returns how many bytes of buf were taken (0 when full or in loopback). */
size_t uart16550_receive(struct uart16550 *u, const u8 *buf, size_t len);
bool uart16550_can_receive(const struct uart16550 *u);

extern const struct io_ops uart16550_io_ops;
/* Section "uart16550": registers, RX FIFO, the character-timeout deadline. */
extern const struct dev_state_ops uart16550_state_ops;

#endif
