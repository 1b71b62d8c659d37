// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * 16550A UART, after the National Semiconductor PC16550D datasheet (register
 * map, FIFO control, interrupt identification priorities, loopback wiring).
 *
 * What Linux's 8250 driver depends on (drivers/tty/serial/8250/8250_port.c):
 *  - autoconfig: IER bits 7:4 read as zero; in loopback with MCR = LOOP|OUT2|RTS
 *    MSR[7:4] reads 0x90; FCR.ENABLE_FIFO makes IIR[7:6] = 11 (16550A); IIR
 *    bit 5 stays 0 (not a 16750); offset 2 reads IIR whatever LCR says (no EFR).
 *  - startup's THRE test: setting IER.ETBEI while THR is empty makes a THRE
 *    interrupt pending again, and reading IIR while it is the one reported
 *    clears it.
 *  - the interrupt reaches the ISA bus only when MCR.OUT2 is set (PC wiring);
 *    in loopback the outputs are disconnected, so it is gated off there too.
 *
 * Transmission is instantaneous (THR and TSR are empty again at once), so
 * LSR.THRE/TEMT always read 1 and a THRE interrupt is re-armed by each THR
 * write while ETBEI is set. The character timeout uses a timer of four
 * character times at the programmed baud rate and frame format.
 */
#include <errno.h>
#include <stdlib.h>

#include "hw/uart16550.h"
#include "include/hover/log.h"

enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0C
#define IIR_FIFO_BITS 0xC0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_KEEP 0xC9 /* enable, DMA mode, trigger level */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1E /* OE PE FE BI */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define UART_CLOCK_HZ 1843200u /* /16 = 115200 baud at divisor 1 */

static u64 now(const struct uart16550 *u)
{
	return u->cfg.now_ns ? u->cfg.now_ns(u->cfg.clock_opaque) : clock_ns();
}

static bool fifo_on(const struct uart16550_state *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned rx_capacity(const struct uart16550_state *s)
{
	return fifo_on(s) ? UART16550_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart16550_state *s)
{
	static const u8 levels[4] = {1, 4, 8, 14};
	return fifo_on(s) ? levels[s->fcr >> 6] : 1;
}

/* Interrupt identification, highest priority first (datasheet table 4). */
static u8 iir_id(const struct uart16550_state *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if (s->ier & IER_ERBFI) {
		if (s->rx_count && s->rx_count >= rx_trigger(s))
			return IIR_RDI;
		if (s->timeout_ipending && s->rx_count)
			return IIR_CTI;
	}
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_EDSSI) && (s->msr & 0x0F))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct uart16550 *u)
{
	struct uart16550_state *s = &u->s;
	bool level = iir_id(s) != IIR_NO_INT && (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_set_level(&u->cfg.irq, level);
	}
}

/* Nanoseconds per character frame: start + data + parity + stop bits. */
static u64 char_ns(const struct uart16550_state *s)
{
	unsigned div = s->dll | (unsigned)s->dlm << 8;
	unsigned bits = 1 + 5 + (s->lcr & 3) + ((s->lcr & 0x08) ? 1 : 0) + ((s->lcr & 0x04) ? 2 : 1);

	if (!div)
		div = 1;
	return (u64)bits * div * 16 * 1000000000ull / UART_CLOCK_HZ;
}

/* RX FIFO content changed or was read: restart the character timeout. */
static void rx_timeout_restart(struct uart16550 *u)
{
	struct uart16550_state *s = &u->s;

	s->timeout_ipending = false;
	if (!u->cfg.timers)
		return;
	if (fifo_on(s) && s->rx_count)
		timer_mod(&u->timeout_timer, now(u) + 4 * char_ns(s));
	else
		timer_del(&u->timeout_timer);
}

static void timeout_cb(void *opaque)
{
	struct uart16550 *u = opaque;

	if (u->s.rx_count && fifo_on(&u->s)) {
		u->s.timeout_ipending = true;
		update_irq(u);
	}
}

static void rx_clear(struct uart16550 *u)
{
	u->s.rx_count = 0;
	u->s.rx_head = 0;
	rx_timeout_restart(u);
}

/* Store one received character; overrun if there is no room. */
static void rx_push(struct uart16550 *u, u8 c)
{
	struct uart16550_state *s = &u->s;
	unsigned cap = rx_capacity(s);

	if (s->rx_count >= cap) {
		s->lsr |= LSR_OE;
		if (!fifo_on(s)) /* the holding register is overwritten */
			s->rx_fifo[s->rx_head] = c;
		return;
	}
	s->rx_fifo[(s->rx_head + s->rx_count) % UART16550_FIFO_SIZE] = c;
	s->rx_count++;
}

static void notify_rx_ready(struct uart16550 *u)
{
	if (u->s.rx_blocked && uart16550_can_receive(u)) {
		u->s.rx_blocked = false;
		if (u->cfg.rx_ready)
			u->cfg.rx_ready(u->cfg.opaque);
	}
}

/* Drive MSR[7:4] from the modem inputs and latch the delta bits. */
static void update_msr(struct uart16550_state *s)
{
	u8 lines, old = s->msr & 0xF0;

	if (s->mcr & MCR_LOOP) {
		lines = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
			((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
	} else {
		lines = MSR_CTS | MSR_DSR | MSR_DCD; /* a terminal is always attached */
	}
	if ((lines ^ old) & MSR_CTS)
		s->msr |= MSR_DCTS;
	if ((lines ^ old) & MSR_DSR)
		s->msr |= MSR_DDSR;
	if ((old & MSR_RI) && !(lines & MSR_RI))
		s->msr |= MSR_TERI;
	if ((lines ^ old) & MSR_DCD)
		s->msr |= MSR_DDCD;
	s->msr = (s->msr & 0x0F) | lines;
}

static void write_thr(struct uart16550 *u, u8 val)
{
	struct uart16550_state *s = &u->s;

	/*
	 * The word length (LCR[1:0]) is not applied: bare-metal payloads write
	 * to COM1 without programming LCR, and the host terminal wants bytes.
	 */
	if (s->mcr & MCR_LOOP) {
		rx_push(u, val);
		rx_timeout_restart(u);
	} else if (u->cfg.tx) {
		u->cfg.tx(u->cfg.opaque, &val, 1);
	}
	/* The byte left THR at once: THR is empty again. */
	s->thr_ipending = (s->ier & IER_ETBEI) != 0;
}

static u8 read_rbr(struct uart16550 *u)
{
	struct uart16550_state *s = &u->s;
	u8 c = 0;

	if (!s->rx_count)
		return s->rx_fifo[s->rx_head]; /* stale data, as the hardware returns */
	c = s->rx_fifo[s->rx_head];
	s->rx_head = (s->rx_head + 1) % UART16550_FIFO_SIZE;
	s->rx_count--;
	rx_timeout_restart(u);
	return c;
}

static u64 uart_read(void *opaque, u64 offset, unsigned size)
{
	struct uart16550 *u = opaque;
	struct uart16550_state *s = &u->s;
	u8 val = 0xFF;

	switch (offset) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			val = s->dll;
		} else {
			val = read_rbr(u);
			update_irq(u);
			notify_rx_ready(u);
		}
		break;
	case REG_IER:
		val = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case REG_IIR_FCR:
		val = iir_id(s);
		if (val == IIR_THRI) {
			s->thr_ipending = false;
			update_irq(u);
		}
		if (fifo_on(s))
			val |= IIR_FIFO_BITS;
		break;
	case REG_LCR:
		val = s->lcr;
		break;
	case REG_MCR:
		val = s->mcr;
		break;
	case REG_LSR:
		val = (s->lsr & LSR_ERRORS) | LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
		if (s->lsr & LSR_ERRORS) {
			s->lsr &= (u8)~LSR_ERRORS;
			update_irq(u);
		}
		break;
	case REG_MSR:
		val = s->msr;
		if (s->msr & 0x0F) {
			s->msr &= 0xF0;
			update_irq(u);
		}
		break;
	case REG_SCR:
		val = s->scr;
		break;
	}
	return val;
}

static void write_fcr(struct uart16550 *u, u8 val)
{
	struct uart16550_state *s = &u->s;

	if ((val ^ s->fcr) & FCR_ENABLE) {
		/* Changing the FIFO mode resets both FIFOs. */
		s->fcr = val & FCR_ENABLE;
		rx_clear(u);
	}
	if (!(val & FCR_ENABLE)) {
		s->fcr = 0;
		return;
	}
	if (val & FCR_CLEAR_RX)
		rx_clear(u);
	s->fcr = val & FCR_KEEP;
	rx_timeout_restart(u);
}

static void uart_write(void *opaque, u64 offset, unsigned size, u64 v)
{
	struct uart16550 *u = opaque;
	struct uart16550_state *s = &u->s;
	u8 val = (u8)v;

	switch (offset) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB)
			s->dll = val;
		else
			write_thr(u, val);
		break;
	case REG_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = val;
		} else {
			u8 old = s->ier;

			s->ier = val & 0x0F;
			/* THR is always empty: enabling ETBEI raises a THRE interrupt. */
			if ((s->ier & IER_ETBEI) && !(old & IER_ETBEI))
				s->thr_ipending = true;
		}
		break;
	case REG_IIR_FCR:
		write_fcr(u, val);
		break;
	case REG_LCR:
		s->lcr = val;
		break;
	case REG_MCR:
		s->mcr = val & 0x1F;
		update_msr(s);
		if (s->mcr & MCR_LOOP)
			s->rx_blocked = true; /* input is disconnected until loopback ends */
		break;
	case REG_LSR:
	case REG_MSR:
		break; /* factory test only */
	case REG_SCR:
		s->scr = val;
		break;
	}
	update_irq(u);
	notify_rx_ready(u);
}

const struct io_ops uart16550_io_ops = {
	.read = uart_read,
	.write = uart_write,
	.min_access = 1,
	.max_access = 1,
};

bool uart16550_can_receive(const struct uart16550 *u)
{
	return !(u->s.mcr & MCR_LOOP) && u->s.rx_count < rx_capacity(&u->s);
}

size_t uart16550_receive(struct uart16550 *u, const u8 *buf, size_t len)
{
	size_t n = 0;

	while (n < len && uart16550_can_receive(u))
		rx_push(u, buf[n++]);
	/* Full now or refused bytes: tell the backend when room appears. */
	if (!uart16550_can_receive(u))
		u->s.rx_blocked = true;
	if (n) {
		rx_timeout_restart(u);
		update_irq(u);
	}
	return n;
}

void uart16550_reset(struct uart16550 *u)
{
	struct uart16550_state *s = &u->s;

	if (u->cfg.timers)
		timer_del(&u->timeout_timer);
	s->ier = 0;
	s->fcr = 0;
	s->lcr = 0;
	s->mcr = 0;
	s->lsr = 0;
	s->scr = 0;
	s->dll = 1;
	s->dlm = 0;
	s->rx_head = s->rx_count = 0;
	s->thr_ipending = false;
	s->timeout_ipending = false;
	s->msr = 0;
	update_msr(s);
	s->msr &= 0xF0; /* no deltas at power-on */
	update_irq(u);
	notify_rx_ready(u);
}

int uart16550_create(struct uart16550 **out, const struct uart16550_config *cfg)
{
	struct uart16550 *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->cfg = *cfg;
	if (cfg->timers)
		timer_init(&u->timeout_timer, cfg->timers, timeout_cb, u);
	uart16550_reset(u);
	*out = u;
	return 0;
}

int uart16550_attach(struct uart16550 *u, struct addrspace *pio, u16 base)
{
	int ret = as_register(pio, base, UART16550_NR_PORTS, &uart16550_io_ops, u);

	if (ret)
		return ret;
	u->pio = pio;
	u->base = base;
	return 0;
}

void uart16550_destroy(struct uart16550 *u)
{
	if (!u)
		return;
	if (u->pio)
		as_unregister(u->pio, u->base);
	if (u->cfg.timers)
		timer_del(&u->timeout_timer);
	free(u);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * The line levels the UART drives are part of the interrupt controllers'
 * state, so a load restores irq_level without driving the line again.
 * rx_blocked is flow control towards the host backend, not guest state: a
 * loaded UART asks the new backend for input as soon as it has room.
 */
static int uart_save(void *dev, struct state_writer *w)
{
	struct uart16550 *u = dev;
	const struct uart16550_state *s = &u->s;
	bool armed = u->cfg.timers && u->timeout_timer.armed;

	state_put_u8(w, s->ier);
	state_put_u8(w, s->fcr);
	state_put_u8(w, s->lcr);
	state_put_u8(w, s->mcr);
	state_put_u8(w, s->lsr);
	state_put_u8(w, s->msr);
	state_put_u8(w, s->scr);
	state_put_u8(w, s->dll);
	state_put_u8(w, s->dlm);
	state_put_bytes(w, s->rx_fifo, sizeof(s->rx_fifo));
	state_put_u8(w, s->rx_head);
	state_put_u8(w, s->rx_count);
	state_put_bool(w, s->thr_ipending);
	state_put_bool(w, s->timeout_ipending);
	state_put_bool(w, s->irq_level);
	state_put_bool(w, armed);
	state_put_time(w, armed ? u->timeout_timer.deadline_ns : 0, armed ? now(u) : 0);
	return 0;
}

static int uart_load(void *dev, struct state_reader *r)
{
	struct uart16550 *u = dev;
	struct uart16550_state *s = &u->s;
	bool armed;
	u64 t = now(u), deadline;

	s->ier = state_get_u8(r);
	s->fcr = state_get_u8(r);
	s->lcr = state_get_u8(r);
	s->mcr = state_get_u8(r);
	s->lsr = state_get_u8(r);
	s->msr = state_get_u8(r);
	s->scr = state_get_u8(r);
	s->dll = state_get_u8(r);
	s->dlm = state_get_u8(r);
	state_get_bytes(r, s->rx_fifo, sizeof(s->rx_fifo));
	s->rx_head = state_get_u8(r);
	s->rx_count = state_get_u8(r);
	s->thr_ipending = state_get_bool(r);
	s->timeout_ipending = state_get_bool(r);
	s->irq_level = state_get_bool(r);
	armed = state_get_bool(r);
	deadline = state_get_time(r, t);
	if (state_reader_error(r))
		return state_reader_error(r);
	if (s->rx_head >= UART16550_FIFO_SIZE || s->rx_count > UART16550_FIFO_SIZE)
		return state_reader_fail(r, "RX FIFO head %u count %u (at most %u)", s->rx_head,
					 s->rx_count, UART16550_FIFO_SIZE);
	if (u->cfg.timers) {
		if (armed)
			timer_mod(&u->timeout_timer, deadline);
		else
			timer_del(&u->timeout_timer);
	}
	s->rx_blocked = true;
	notify_rx_ready(u);
	return 0;
}

const struct dev_state_ops uart16550_state_ops = {
	.section = "uart16550", .version = 1, .save = uart_save, .load = uart_load,
};
