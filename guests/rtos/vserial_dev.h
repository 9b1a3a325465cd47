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
	/* Where this port's words and RX bytes are (from the private layout, at init). */
	struct tandem_vserial_port *desc;
	uint8_t *rx_data;
	uint32_t rx_prod, tx_cons;	 /* authoritative copies of the dev side's indices */
	uint32_t rx_fill;		 /* fill seen by the last look at rx.cons, plus commits */
	uint32_t rx_flags;		 /* rx.prod_flags as last written */
	uint32_t line_seen;		 /* the last line_req.seq handled */
	uint32_t overruns;		 /* dev_overruns as last written */
	struct tandem_vserial_line line; /* in force */
	uint64_t rx_bytes, tx_bytes;
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
	vs_apply_line_fn apply_line;
	struct vs_port port[VS_MAX_PORTS];
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
/*
 * Where port's next RX bytes go, written in place (no copy): *room contiguous bytes of its RX
 * ring at the result (up to the ring's wrap; 0 when not live or full, as vs_rx_space()). One
 * load of the tty side's index, validated (the room is never remembered from an earlier look:
 * a tty side that reset the ring to a corrupt index of ours must be followed at once, or the
 * bytes after the reset would land where it no longer reads). The caller writes at most *room
 * bytes there and publishes them with vs_rx_commit().
 *
 * Inline, as vs_rx_commit(): the TTU's port service calls both once per service, and the
 * common case (live, the index valid, room, nobody waiting) is a few instructions; anything
 * else (a corrupt index, a full ring, WANT_SPACE to clear) takes vs_rx_space()'s whole path.
 */
static inline uint8_t *vs_rx_span(struct vs_dev *d, unsigned i, unsigned *room)
{
	struct vs_port *vp;
	uint32_t size = d->lay.ring_size, fill, space, at;

	if (!d->live || i >= d->lay.nr_ports) {
		*room = 0;
		return d->region;
	}
	vp = &d->port[i];
	/* One load of the tty side's index, checked: a fill of size - 1 or more (we never fill
	 * the last byte) is full or corrupt, for vs_rx_space() to tell apart. */
	fill = vp->rx_prod - __atomic_load_n(&vp->desc->rx.cons, __ATOMIC_ACQUIRE);
	if (fill >= size - 1 || vp->rx_flags) {
		space = vs_rx_space(d, i);
		if (!space) {
			*room = 0;
			return d->region;
		}
	} else {
		vp->rx_fill = fill;
		space = size - 1 - fill;
	}
	at = vp->rx_prod & (size - 1);
	*room = space < size - at ? space : size - at;
	return vp->rx_data + at;
}

/* Publishes n bytes written at the last span (one release store of rx.prod); now = counter
 * (0 if d->unsignalled is already set: then it is not used). */
static inline void vs_rx_commit(struct vs_dev *d, unsigned i, unsigned n, uint64_t now)
{
	struct vs_port *vp = &d->port[i];
	uint32_t before = vp->rx_fill;

	vp->rx_prod += n;
	/* the bytes before the index */
	__atomic_store_n(&vp->desc->rx.prod, vp->rx_prod, __ATOMIC_RELEASE);
	vp->rx_fill += n;
	vp->rx_bytes += n;
	if (tandem_vserial_crossed_threshold(before, vp->rx_fill, d->threshold))
		d->notify = true;
	else if (!d->unsignalled)
		d->unsignalled = now ? now : 1;
}
/* Appends n bytes (n <= the last vs_rx_space()) to port's RX ring; now = counter. */
void vs_rx_put(struct vs_dev *d, unsigned port, const uint8_t *b, unsigned n, uint64_t now);
/* Whether port's TX ring has bytes for the UART (or a corrupt index: vs_tx_span() tells). One
 * relaxed load, inline: the TTU asks it of every port on every pass. */
static inline bool vs_tx_pending(struct vs_dev *d, unsigned i)
{
	return d->live && i < d->lay.nr_ports &&
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
/* Writes a port's UART overrun count to its dev_overruns word. */
void vs_set_overruns(struct vs_dev *d, unsigned port, uint32_t overruns);
/* The shell's hostile mode: garbage (from seed) over n ports' dev-written indices and ring
 * lengths in the region; the private state is left alone, as a buggy dev side would. */
void vs_scribble(struct vs_dev *d, unsigned n, uint64_t seed);

#endif
