// SPDX-License-Identifier: GPL-2.0
/*
 * Bytes and words through the shared region, for one port (tandem/abi/vserial.h
 * has the protocol). Every index read from the RTOS is validated before use;
 * data is addressed through our own layout snapshot and a masked index only, so
 * nothing the peer writes can move an access outside its ring.
 */
#include <linux/tty_flip.h>

#include "tandem_vserial.h"

static u32 tvs_ring_mask(struct tvs_chan *c)
{
	return c->layout.ring_size - 1;
}

static u8 *tvs_ring_data(struct tvs_port *p, u32 dir)
{
	struct tvs_chan *c = p->chan;

	return c->base + tandem_vserial_ring_offset(&c->layout, p->index, dir);
}

/*
 * A peer index failed validation. If the RTOS is still in the state we
 * attached to, it is corruption: count it, say so (rate-limited), and let the
 * caller reset the ring by adopting the peer's index. Otherwise the RTOS is
 * resynchronising and the channel work detaches.
 */
static bool tvs_corrupt(struct tvs_port *p, const char *ring, u32 peer, u32 own)
{
	struct tvs_chan *c = p->chan;

	if (!tvs_dev_unchanged(c)) {
		tvs_kick(c);
		return false;
	}
	c->corrupt++;
	WRITE_ONCE(tvs_hdr(c)->tty.corrupt, c->corrupt);
	dev_warn_ratelimited(
	    c->dev,
	    "channel %u port %u: %s index %#x from the RTOS is %u bytes from "
	    "ours (%#x, ring of %u): corrupt, ring reset (%u so far)\n",
	    c->id, p->index, ring, peer, peer - own, own, c->layout.ring_size,
	    c->corrupt);
	return true;
}

/* At attach: our words to their initial values, the requests re-sent. */
void tvs_port_reset_words(struct tvs_port *p)
{
	struct tandem_vserial_port *d = tvs_desc(p);

	p->rx_cons = 0;
	p->tx_prod = 0;
	WRITE_ONCE(p->want_space, false);
	WRITE_ONCE(p->tx_empty, true);
	p->line_seq = 0;
	WRITE_ONCE(d->rx.cons, 0);
	WRITE_ONCE(d->tx.prod, 0);
	WRITE_ONCE(d->tx.prod_flags, 0);
	WRITE_ONCE(d->line_req.seq, 0);
	WRITE_ONCE(d->tty_ctrl, p->ctrl);
	if (p->ctrl & TANDEM_VSERIAL_CTRL_OPEN)
		tvs_port_set_line(p, &p->req);
}

/*
 * Bytes of the RX ring straight into the line discipline (what the flip
 * buffer's work would do with them, without copying them into a flip buffer
 * first and queueing a work item per port per pass): n_tty copies them into
 * its own buffer and wakes the reader. No flags: every byte is TTY_NORMAL (a
 * NULL flag array, as the flip buffer passes for a buffer without flags), so
 * a contiguous span goes in one call, two when it wraps. Returns how many it
 * took (fewer when its buffer fills: it throttles us, and its reader's
 * unthrottle kicks the next pass). Without a line discipline at hand (being
 * changed, hung up) nothing is taken: the bytes wait in the ring, in order,
 * for a later pass.
 */
static u32 tvs_port_to_ldisc(struct tvs_port *p, const u8 *data, u32 mask,
			     u32 fill)
{
	struct tty_struct *tty = tty_port_tty_get(&p->port);
	struct tty_ldisc *ld = tty ? tty_ldisc_ref(tty) : NULL;
	u32 taken = 0, n;
	int done;

	while (ld && taken < fill) {
		n = tandem_vserial_ring_contig(p->rx_cons + taken, mask + 1,
					       fill - taken);
		done = tty_ldisc_receive_buf(
		    ld, data + ((p->rx_cons + taken) & mask), NULL, n);
		if (done <= 0)
			break;
		taken += done;
		if ((u32)done < n)
			break; /* its buffer is full: the rest waits */
	}
	if (ld)
		tty_ldisc_deref(ld);
	tty_kref_put(tty);
	return taken;
}

/*
 * The RX ring into the tty: what the line discipline accepts is consumed; a
 * port nobody has open drops what arrives, as a UART's FIFO would. A port
 * with nothing waiting costs one index load. Called from the channel's work
 * with sync_lock held (attach and detach, the only writers of the layout and
 * of rx_cons besides us, take it too) and c->lock not held: the line
 * discipline may sleep. Returns the bytes consumed.
 */
u32 tvs_port_rx(struct tvs_port *p, bool *notify)
{
	struct tvs_chan *c = p->chan;
	struct tandem_vserial_port *d = tvs_desc(p);
	u32 size = c->layout.ring_size, prod, fill, start = p->rx_cons;
	u8 *data = tvs_ring_data(p, TANDEM_VSERIAL_RX);
	unsigned long flags;

	prod = smp_load_acquire(&d->rx.prod);
	if (!tandem_vserial_ring_fill(prod, p->rx_cons, size, &fill)) {
		bool reset;

		spin_lock_irqsave(&c->lock, flags);
		reset = tvs_corrupt(p, "RX prod", prod, p->rx_cons);
		spin_unlock_irqrestore(&c->lock, flags);
		if (!reset)
			return 0;
		p->rx_cons = prod;
		start = prod; /* nothing was consumed, the ring was reset */
	} else if (fill == 0 || READ_ONCE(p->throttled)) {
		return 0;
	} else if (!tty_port_initialized(&p->port)) {
		p->rx_cons = prod;
	} else {
		p->rx_cons +=
		    tvs_port_to_ldisc(p, data, tvs_ring_mask(c), fill);
	}
	/* Our reads of the bytes complete before the RTOS may reuse them. */
	smp_store_release(&d->rx.cons, p->rx_cons);
	if (READ_ONCE(d->rx.prod_flags) & TANDEM_VSERIAL_WANT_SPACE)
		*notify = true;
	return p->rx_cons - start;
}

/*
 * Whether the RX ring holds bytes a pass would take now (not throttled: the
 * unthrottle kicks the work itself). A corrupt index counts: the pass reports
 * it.
 */
bool tvs_port_rx_waiting(struct tvs_port *p)
{
	struct tandem_vserial_port *d = tvs_desc(p);
	u32 fill;

	if (READ_ONCE(p->throttled))
		return false;
	return !tandem_vserial_ring_fill(READ_ONCE(d->rx.prod), p->rx_cons,
					 p->chan->layout.ring_size, &fill) ||
	       fill != 0;
}

/* Bytes in the TX ring (*fill) and room left; 0 room on a corrupt ring. */
unsigned int tvs_port_tx_room(struct tvs_port *p, u32 *fill)
{
	struct tvs_chan *c = p->chan;
	struct tandem_vserial_port *d = tvs_desc(p);
	u32 size = c->layout.ring_size;
	u32 cons = smp_load_acquire(&d->tx.cons);

	if (!tandem_vserial_ring_fill(p->tx_prod, cons, size, fill)) {
		if (tvs_corrupt(p, "TX cons", cons, p->tx_prod)) {
			/* Reset: drop what was in flight, start at theirs. */
			p->tx_prod = cons;
			smp_store_release(&d->tx.prod, p->tx_prod);
		}
		/* The next look takes the lock again. */
		WRITE_ONCE(p->tx_empty, false);
		*fill = 0;
		return 0;
	}
	WRITE_ONCE(p->tx_empty, *fill == 0);
	return size - *fill;
}

/* The RTOS rang and we were waiting for TX space: wake the writers. */
void tvs_port_tx_space(struct tvs_port *p)
{
	u32 fill;

	if (!p->want_space || tvs_port_tx_room(p, &fill) == 0)
		return;
	WRITE_ONCE(p->want_space, false);
	WRITE_ONCE(tvs_desc(p)->tx.prod_flags, 0);
	tty_port_tty_wakeup(&p->port);
}

/*
 * No room (drain false), or waiting for the ring to drain (a close, tcdrain):
 * ask the RTOS to ring when it has consumed, then look again (it may have
 * consumed between our read and the flag: no lost wake-up). Only a condition
 * already met kicks the work, so a waiter never spins against it.
 */
void tvs_port_want_space(struct tvs_port *p, bool drain)
{
	unsigned int room;
	u32 fill;

	if (!p->want_space) {
		WRITE_ONCE(p->want_space, true);
		WRITE_ONCE(tvs_desc(p)->tx.prod_flags,
			   TANDEM_VSERIAL_WANT_SPACE);
		smp_mb(); /* the flag before the re-read of cons */
	}
	room = tvs_port_tx_room(p, &fill);
	if (drain ? fill == 0 : room > 0)
		tvs_kick(p->chan); /* the work wakes the waiter */
}

/*
 * Copies up to count bytes into the TX ring; *notify says whether the fill
 * crossed the RTOS's threshold (ring the doorbell now). Otherwise the caller
 * arms the max-delay timer.
 */
int tvs_port_write(struct tvs_port *p, const u8 *buf, int count, bool *notify)
{
	struct tvs_chan *c = p->chan;
	struct tandem_vserial_port *d = tvs_desc(p);
	u32 size = c->layout.ring_size, fill, room, n, k, done = 0;
	u8 *data = tvs_ring_data(p, TANDEM_VSERIAL_TX);

	room = tvs_port_tx_room(p, &fill);
	n = min_t(u32, room, count);
	while (done < n) {
		k = tandem_vserial_ring_contig(p->tx_prod + done, size,
					       n - done);
		memcpy(data + ((p->tx_prod + done) & tvs_ring_mask(c)),
		       buf + done, k);
		done += k;
	}
	if (n) {
		WRITE_ONCE(p->tx_empty, false);
		p->tx_prod += n;
		/* The bytes before the index that publishes them. */
		smp_store_release(&d->tx.prod, p->tx_prod);
		*notify = tandem_vserial_crossed_threshold(fill, fill + n,
							   p->tx_threshold);
	}
	if (n < (u32)count)
		tvs_port_want_space(p, false);
	return n;
}

/* Our control bits (OPEN, DTR, RTS, BREAK) to the RTOS. */
void tvs_port_set_ctrl(struct tvs_port *p, u32 ctrl)
{
	p->ctrl = ctrl;
	if (p->chan->live)
		WRITE_ONCE(tvs_desc(p)->tty_ctrl, ctrl);
}

/* A line-settings request: the fields, then (release) the new sequence. */
void tvs_port_set_line(struct tvs_port *p, const struct tandem_vserial_line *l)
{
	struct tandem_vserial_line *r;

	p->req = *l;
	if (!p->chan->live)
		return;
	r = &tvs_desc(p)->line_req;
	WRITE_ONCE(r->baud, l->baud);
	WRITE_ONCE(r->data_bits, l->data_bits);
	WRITE_ONCE(r->parity, l->parity);
	WRITE_ONCE(r->stop_bits, l->stop_bits);
	p->line_seq++;
	smp_store_release(&r->seq, p->line_seq);
}

/* The modem lines the RTOS reports, one read. */
u32 tvs_port_modem(struct tvs_port *p)
{
	return p->chan->live ? READ_ONCE(tvs_desc(p)->dev_modem) : 0;
}
