/*
 * The dev side of the vserial ring (hypervisor/include/tandem/abi/vserial.h, whose opening
 * comment is the protocol): the RTOS owns the UARTs and Linux's tty driver is the peer. Pure C
 * over a region pointer and private state, no hardware: vserial.c glues it to the channel (MMU,
 * doorbell interrupt, notify hypercall) and to the TTU, tests/unit/test_rtos_vserial.c runs it
 * against a simulated tty side in host memory.
 *
 * Nothing read from the region is trusted: every peer word is loaded once into a local and
 * validated; every address is the private layout's ring offset plus a masked index. The dev
 * side's own shared words are written, never read back (the peer may scribble over them).
 */
#ifndef RTOS_VSERIAL_DEV_H
#define RTOS_VSERIAL_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "../../hypervisor/include/tandem/abi/channel.h"
#include "../../hypervisor/include/tandem/abi/vserial.h"

#define VS_MAX_PORTS 32

/* Applies line settings to a port (the UART); false if the hardware cannot do them. */
typedef bool (*vs_apply_line_fn)(unsigned port, const struct tandem_vserial_line *l);

struct vs_port {
	/* The RX fast path's words (vs_rx_span, vs_rx_commit). */
	struct tandem_vserial_port *desc; /* where this port's words are (the private layout) */
	uint8_t *rx_data;		  /* and its RX bytes */
	uint32_t rx_prod;		  /* authoritative copy of the dev side's RX index */
	uint32_t rx_fill;		  /* fill seen by the last look at rx.cons, plus commits */
	/* ring_size - 1 while the fast path may run (the rings live, no WANT_SPACE to clear),
	 * else 0, which sends every span to vs_rx_space(): kept by set_live(), vs_rx_space(). */
	uint32_t rx_fast;
	uint32_t rx_base;		 /* rx_prod when rx_bytes was last brought up to date */
	uint32_t tx_cons;		 /* authoritative copy of the dev side's TX index */
	uint32_t rx_flags;		 /* rx.prod_flags as last written */
	uint32_t line_seen;		 /* the last line_req.seq handled */
	uint32_t overruns;		 /* dev_overruns as last written */
	struct tandem_vserial_line line; /* in force */
	uint64_t rx_bytes;		 /* up to rx_base (vs_rx_bytes() adds the rest) */
	uint64_t tx_bytes;
};

/* A corruption found: which ring and what the peer's word said (for the report). */
struct vs_corruption {
	unsigned port, dir;
	uint32_t prod, cons;
};

struct vs_dev {
	uint8_t *region;
	uint32_t size;
	unsigned side; /* ours in the channel header's link[]; the tty side is 1 - side */
	struct tandem_vserial_layout lay;
	uint32_t threshold;	/* RX rings: doorbell when the fill crosses this */
	uint32_t max_delay_us;	/* ... or when bytes waited this long */
	uint64_t max_delay;	/* the same in counter ticks */
	uint32_t epoch;		/* ours, as last written */
	uint32_t peer_epoch;	/* the tty epoch our words were reset for */
	uint32_t tty_link_seen; /* the tty side's link word at our last reset */
	bool live;		/* in sync and both links up: the rings run */
	bool notify;		/* a doorbell is due */
	/* Counter value of the first RX byte produced (any port) since the last doorbell or
	 * suppression, 0 if none: the oldest, as stamps only grow under the caller's lock. */
	uint64_t unsignalled;
	uint64_t due; /* unsignalled + max_delay, or UINT64_MAX if 0: vs_set_unsignalled() */
	vs_apply_line_fn apply_line;
	struct vs_port port[VS_MAX_PORTS];
	struct tandem_vserial_port unused; /* the descriptor of ports beyond the layout's */
	/* Counters (since boot). */
	uint32_t corrupt, resyncs;
	uint64_t doorbells, line_reqs, line_rejected;
	uint64_t suppressed; /* max-delay doorbells dropped: the tty side was polling */
	struct vs_corruption last_corruption;
};

/*
 * Computes the layout for nr_ports rings of ring_size bytes (0: the largest that fits), checks
 * Tandem's channel header, and resets the dev words (a first epoch after whatever the region
 * still holds from an earlier instance). Returns NULL or what is wrong.
 */
const char *vs_dev_init(struct vs_dev *d, void *region, uint32_t size, unsigned side,
			unsigned nr_ports, uint32_t ring_size, uint32_t threshold,
			uint32_t max_delay_us, uint64_t ticks_per_sec, vs_apply_line_fn apply_line);
/*
 * After a doorbell and at every poll: re-reads both link words and the tty side's words,
 * resynchronises when the tty side restarted or re-attached, decides whether the rings run,
 * and handles line-settings requests. Returns true if the rings just came up (serve all ports).
 */
bool vs_dev_sync(struct vs_dev *d);
/* The same, with the line-settings requests read only if lines (the TTU's poll reads them one
 * pass in several: Linux rings the doorbell after writing one, and that pass reads them). */
bool vs_dev_sync_lines(struct vs_dev *d, bool lines);
/* Room in port's RX ring (0 when not live or full: then WANT_SPACE is set). */
unsigned vs_rx_space(struct vs_dev *d, unsigned port);
/* vs_rx_span()'s room when the fast path does not apply: every case through vs_rx_space()
 * (returned, not written through a pointer: the span's room stays in a register). */
unsigned vs_rx_room_slow(struct vs_dev *d, unsigned port);
/*
 * Where port's next RX bytes go, written in place (no copy): *room contiguous bytes of its RX
 * ring at the result (up to the ring's wrap; 0 when not live or full, as vs_rx_space()). One
 * load of the tty side's index, validated (the room is never remembered from an earlier look:
 * a tty side that reset the ring to a corrupt index of ours must be followed at once, or the
 * bytes after the reset would land where it no longer reads). The caller writes at most *room
 * bytes there and publishes them with vs_rx_commit(). port < VS_MAX_PORTS (the caller's own
 * numbering: a port beyond the layout's has no fast path and gets no room).
 *
 * Inline, as vs_rx_commit(): the TTU's port service calls both once per service. The common
 * case (live, the index valid, room, nobody waiting) is one mask test and the index's check
 * (rx_fast holds the ring's mask, or 0 to send every look to the slow path); anything else (not
 * live, a corrupt index, a full ring, WANT_SPACE to clear) takes vs_rx_space()'s whole path.
 */
static inline uint8_t *vs_rx_span(struct vs_dev *d, unsigned i, unsigned *room)
{
	struct vs_port *vp = &d->port[i];
	uint32_t mask = vp->rx_fast, prod = vp->rx_prod, fill, space, to_end;

	/* One load of the tty side's index, checked: a fill of size - 1 or more (we never fill
	 * the last byte) is full or corrupt, for vs_rx_space() to tell apart; with a mask of 0
	 * every fill goes there (a port beyond the layout loads a private descriptor's). */
	fill = prod - __atomic_load_n(&vp->desc->rx.cons, __ATOMIC_ACQUIRE);
	if (__builtin_expect(fill >= mask, 0)) {
		*room = vs_rx_room_slow(d, i);
		return *room ? vp->rx_data + (vp->rx_prod & (d->lay.ring_size - 1)) : d->region;
	}
	vp->rx_fill = fill;
	space = mask - fill;
	to_end = mask + 1 - (prod & mask);
	*room = space < to_end ? space : to_end;
	return vp->rx_data + (prod & mask);
}

/* The first unsignalled byte's stamp (0: none) and the max-delay doorbell's due time with it. */
static inline void vs_set_unsignalled(struct vs_dev *d, uint64_t stamp)
{
	d->unsignalled = stamp;
	d->due = stamp ? stamp + d->max_delay : UINT64_MAX;
}

/*
 * vs_rx_span() for a writer that takes at most max bytes (the TTU: one FIFO's worth per
 * service): *room = min(max, what vs_rx_span() gives). The fast path is one test: the fill and
 * the ring position both at most mask - max (an OR of the two is at least each: a few positions
 * near the ring's end take the slow path without need), in 64 bits so that no corrupt fill can
 * wrap past it, and a mask of 0 (not live, WANT_SPACE) never passes; room is then max itself.
 */
static inline uint8_t *vs_rx_span_max(struct vs_dev *d, unsigned i, unsigned max, unsigned *room)
{
	struct vs_port *vp = &d->port[i];
	uint32_t mask = vp->rx_fast, prod = vp->rx_prod, fill;

	fill = prod - __atomic_load_n(&vp->desc->rx.cons, __ATOMIC_ACQUIRE);
	if (__builtin_expect((uint64_t)(fill | (prod & mask)) + max > mask, 0)) {
		unsigned r = vs_rx_room_slow(d, i);

		*room = r < max ? r : max;
		return r ? vp->rx_data + (vp->rx_prod & (d->lay.ring_size - 1)) : d->region;
	}
	vp->rx_fill = fill;
	*room = max;
	return vp->rx_data + (prod & mask);
}

/*
 * Publishes n bytes written at the last span (one release store of rx.prod); a crossing of the
 * threshold, counted from the fill the span saw (d->threshold is at least 1: vs_dev_init()),
 * makes a doorbell due. The max-delay stamp is the caller's: vs_rx_stamp() after one or more
 * of these (the TTU: once per pass that received bytes).
 */
static inline void vs_rx_publish(struct vs_dev *d, unsigned i, unsigned n)
{
	struct vs_port *vp = &d->port[i];
	uint32_t before = vp->rx_fill, t = d->threshold, prod = vp->rx_prod + n;

	vp->rx_prod = prod;
	/* the bytes before the index */
	__atomic_store_n(&vp->desc->rx.prod, prod, __ATOMIC_RELEASE);
	vp->rx_fill = before + n;
	if (before < t && before + n >= t)
		d->notify = true;
}

/* Bytes were published (counter now, or an earlier one: the doorbell is then due earlier, never
 * later): the first unsignalled ones since the last doorbell start the max-delay clock. */
static inline void vs_rx_stamp(struct vs_dev *d, uint64_t now)
{
	if (!d->unsignalled)
		vs_set_unsignalled(d, now ? now : 1);
}

/* vs_rx_publish() and vs_rx_stamp() in one (now = counter). */
static inline void vs_rx_commit(struct vs_dev *d, unsigned i, unsigned n, uint64_t now)
{
	vs_rx_publish(d, i, n);
	vs_rx_stamp(d, now);
}
/* RX bytes port produced since boot (what the rings carried, counting those a reset lost). */
uint64_t vs_rx_bytes(const struct vs_dev *d, unsigned port);
/* Appends n bytes (n <= the last vs_rx_space()) to port's RX ring; now = counter. */
void vs_rx_put(struct vs_dev *d, unsigned port, const uint8_t *b, unsigned n, uint64_t now);
/* Whether port's TX ring has bytes for the UART (or a corrupt index: vs_tx_span() tells). One
 * relaxed load, inline: the TTU asks it of every port on every pass. */
static inline bool vs_tx_pending(struct vs_dev *d, unsigned i)
{
	/* A port beyond the layout reads its private descriptor's index, never written: 0, as
	 * its tx_cons. */
	return d->live &&
	       __atomic_load_n(&d->port[i].desc->tx.prod, __ATOMIC_RELAXED) != d->port[i].tx_cons;
}
/*
 * Port's TX bytes in place: *len contiguous bytes at the result (up to the ring's wrap; 0: none,
 * not live, or a corrupt index, which is counted and the ring emptied). One load of the tty
 * side's index, validated. vs_tx_consume() hands back n of them once they are in the UART.
 */
const uint8_t *vs_tx_span(struct vs_dev *d, unsigned port, unsigned *len);
void vs_tx_consume(struct vs_dev *d, unsigned port, unsigned n);
/* Takes up to max bytes from port's TX ring (copies through vs_tx_span()). */
unsigned vs_tx_get(struct vs_dev *d, unsigned port, uint8_t *b, unsigned max);
/* Whether to ring the peer's doorbell now (threshold crossed, space freed for a waiting
 * producer, a reply, or unsignalled bytes older than max_delay unless the tty side says it is
 * polling: TANDEM_VSERIAL_SIDE_POLLING); clears the reason. */
bool vs_take_doorbell(struct vs_dev *d, uint64_t now);
/* False when vs_take_doorbell(d, now) would surely say no and change nothing (no reason, no
 * byte waiting max_delay): the one compare an interrupt's pass makes inline before calling the
 * backend. */
static inline bool vs_doorbell_maybe(const struct vs_dev *d, uint64_t now)
{
	return d->notify || now >= d->due;
}
/* Writes a port's UART overrun count to its dev_overruns word. */
void vs_set_overruns(struct vs_dev *d, unsigned port, uint32_t overruns);
/* The shell's hostile mode: garbage (from seed) over n ports' dev-written indices and ring
 * lengths in the region; the private state is left alone, as a buggy dev side would. */
void vs_scribble(struct vs_dev *d, unsigned n, uint64_t seed);

#endif
