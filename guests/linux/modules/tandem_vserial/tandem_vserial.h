/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tandem_vserial: the tty side of the vserial ring (tandem/abi/vserial.h) over
 * a Tandem channel (tandem/abi/channel.h). chan.c binds the channel and keeps
 * the two sides in sync, ring.c moves bytes and words through the shared
 * region, tty.c is the tty driver.
 */
#ifndef TANDEM_VSERIAL_INTERNAL_H
#define TANDEM_VSERIAL_INTERNAL_H

#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/tty.h>
#include <linux/tty_port.h>
#include <linux/workqueue.h>

#include <tandem/abi/channel.h>
#include <tandem/abi/hypercall.h>
#include <tandem/abi/vserial.h>

#define TVS_MAX_CHANNELS 4
#define TVS_LINES (TVS_MAX_CHANNELS * TANDEM_VSERIAL_MAX_PORTS)

struct tvs_chan;

struct tvs_port {
	struct tty_port port;
	struct tvs_chan *chan;
	unsigned int index;	/* in its channel */
	unsigned int line;	/* /dev/ttyTV<line> */
	struct device *tty_dev; /* registered, or NULL */
	/*
	 * Private copies of the words this side writes: never read back from
	 * the region, where the peer could have changed them.
	 */
	u32 rx_cons;
	u32 tx_prod;
	u32 ctrl; /* TANDEM_VSERIAL_CTRL_* */
	u32 line_seq;
	struct tandem_vserial_line req; /* the settings last asked for */
	/* The dev side's coalescing words for TX, snapshotted at attach. */
	u32 tx_threshold;
	u32 tx_max_delay_us;
	bool want_space; /* TANDEM_VSERIAL_WANT_SPACE set in tx.prod_flags */
	/*
	 * The TX ring was empty at our last look (under c->lock) and nothing
	 * was written since: write_room and chars_in_buffer, which n_tty's
	 * poll asks on every port at every poll, answer without the lock.
	 */
	bool tx_empty;
	bool throttled; /* the line discipline wants no more input */
};

struct tvs_chan {
	struct device *dev;
	u8 *base; /* the region, mapped write-back */
	u32 size;
	u32 payload_offset;
	u32 id;			 /* tandem,channel-id */
	unsigned int side;	 /* tandem,side: ours; the RTOS is 1 - side */
	unsigned int slot;	 /* lines slot * MAX_PORTS .. + MAX_PORTS - 1 */
	int irq;		 /* the doorbell we receive */
	struct work_struct work; /* tvs_chan_work(): doorbells, unthrottle */
	struct hrtimer tx_timer; /* max-delay of unsignalled TX bytes */
	struct hrtimer rx_timer; /* the next RX poll while polling */
	struct mutex sync_lock;	 /* attach, detach, device registration */
	spinlock_t lock;	 /* live, layout, every port's TX and words */
	bool live;		 /* attached and in sync: the rings run */
	bool requested; /* our epoch was bumped since the last detach */
	bool removing;
	bool polling;	    /* TANDEM_VSERIAL_SIDE_POLLING set in tty.flags */
	u32 epoch;	    /* our tandem_vserial_side.epoch */
	u32 dev_epoch;	    /* the dev side's epoch we attached to */
	u32 dev_link;	    /* the RTOS's link word when we attached */
	u32 rejected_epoch; /* a dev epoch whose layout we refused */
	u32 corrupt;	    /* rings found corrupt and reset */
	u32 resyncs;	    /* attaches */
	u64 rx_passes;	    /* passes over the RX rings (doorbell or poll) */
	u64 rx_polls;	    /* of which started by the poll timer */
	struct tandem_vserial_layout layout; /* valid while live */
	struct tvs_port ports[TANDEM_VSERIAL_MAX_PORTS];
};

static inline struct tandem_channel_header *tvs_chdr(struct tvs_chan *c)
{
	return (struct tandem_channel_header *)c->base;
}

static inline struct tandem_vserial_header *tvs_hdr(struct tvs_chan *c)
{
	return (struct tandem_vserial_header *)(c->base + c->payload_offset);
}

/* A port's descriptor in the region: only while c->live (layout valid). */
static inline struct tandem_vserial_port *tvs_desc(struct tvs_port *p)
{
	struct tvs_chan *c = p->chan;

	return (struct tandem_vserial_port *)(c->base +
					      tandem_vserial_port_offset(
						  &c->layout, p->index));
}

/* chan.c */
void tvs_notify(struct tvs_chan *c);
bool tvs_dev_unchanged(struct tvs_chan *c);
void tvs_kick(struct tvs_chan *c);
extern struct platform_driver tvs_platform_driver;

/* ring.c (callers hold c->lock unless said otherwise) */
void tvs_port_reset_words(struct tvs_port *p);
u32 tvs_port_rx(struct tvs_port *p, bool *notify); /* under sync_lock */
bool tvs_port_rx_waiting(struct tvs_port *p);
void tvs_port_tx_space(struct tvs_port *p);
int tvs_port_write(struct tvs_port *p, const u8 *buf, int count, bool *notify);
unsigned int tvs_port_tx_room(struct tvs_port *p, u32 *fill);
void tvs_port_want_space(struct tvs_port *p, bool drain);
void tvs_port_set_ctrl(struct tvs_port *p, u32 ctrl);
void tvs_port_set_line(struct tvs_port *p, const struct tandem_vserial_line *l);
u32 tvs_port_modem(struct tvs_port *p);

/* tty.c */
void tvs_tty_init_ports(struct tvs_chan *c);
void tvs_tty_register(struct tvs_chan *c, unsigned int nr_ports);
void tvs_tty_release_ports(struct tvs_chan *c);

#endif
