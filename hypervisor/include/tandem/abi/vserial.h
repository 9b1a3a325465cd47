/*
 * The vserial ring ABI: many logical serial ports carried by one Tandem channel region, shared by
 * the RTOS (the "dev" side: it owns the UARTs) and Linux's tandem_vserial tty driver (the "tty"
 * side). Only fixed-width types, struct layouts and pure inline helpers over values already read
 * from the region: usable from the freestanding RTOS, a Linux module and host unit tests.
 * docs/design.md ("Channels: the vserial ring") tells the same story in prose.
 *
 * Region layout (offsets from the start of the channel region, all 64-byte aligned):
 *
 *   0                 struct tandem_channel_header (Tandem's, 64 bytes, read-only to guests)
 *   header_offset     struct tandem_vserial_header (192 bytes): the channel's payload_offset
 *   ports_offset      struct tandem_vserial_port[nr_ports] (128 bytes each)
 *   data_offset       ring data: port p's RX ring at data_offset + (2p) * ring_size,
 *                     its TX ring at data_offset + (2p + 1) * ring_size
 *
 * The dev side chooses nr_ports and ring_size (a power of two); everything else follows from
 * them through tandem_vserial_layout_compute(), which both sides run. The tty side recomputes the
 * layout from the dev side's nr_ports and ring_size and accepts it only if every offset the dev
 * side wrote equals its own result (tandem_vserial_layout_check()).
 *
 * Who writes what (every word has exactly one writer):
 *   dev: the vserial header's layout words, header.dev, each port's rx.prod, tx.cons, the rings'
 *        layout words (size, data_offset, threshold, max_delay_us), rx.prod_flags, line_ack,
 *        dev_modem, dev_overruns.
 *   tty: header.tty (with tty.flags), each port's rx.cons, tx.prod, tx.prod_flags, line_req,
 *        tty_ctrl.
 * A side never reads back a word it writes: it keeps the authoritative copy in private memory
 * (the peer may scribble over the shared one). Each peer word is read once per use (READ_ONCE, a
 * volatile load) into a local, validated with the helpers below, and only the local is used.
 *
 * Rings. prod and cons are free-running u32 byte counts (they wrap at 2^32); the byte at index i
 * lives at data_offset + (i & (size - 1)). fill = prod - cons (modulo 2^32) must be <= size:
 *   producer: write the bytes, then (release: smp_store_release / dmb ish) prod += n;
 *   consumer: load prod (acquire: smp_load_acquire / dmb ish after the load), validate
 *             prod - cons <= size, read the bytes, then (release) cons += n.
 * The producer loads cons with acquire before reusing the space it frees. Data addresses come
 * from the private layout snapshot and a masked index only: a peer's word can never move an
 * access outside its ring.
 *
 * Corruption. A peer index that fails validation (fill > size) while the two sides are in sync
 * (below) is corruption, unless a re-read of the peer's state and epoch after a read barrier shows
 * the peer started resynchronising (then it is the resync's business, not corruption). On
 * corruption the detecting side counts it (its side's `corrupt`), reports it (rate-limited) and
 * resets the ring by adopting the peer's index: a consumer sets cons = prod, a producer sets
 * prod = cons; what was in flight on that ring is lost, nothing outside it is touched.
 *
 * Doorbell coalescing (per ring, set by the dev side): the producer notifies the consumer
 * (TANDEM_HC_CHANNEL_NOTIFY) when the ring's fill crosses `threshold` upwards
 * (tandem_vserial_crossed_threshold()), or when produced bytes have waited `max_delay_us` without
 * a notification (a timer armed at the first unsignalled byte). A producer that finds the ring too
 * full, or waits for it to drain (a tty being closed), sets TANDEM_VSERIAL_WANT_SPACE in its
 * prod_flags, then a full barrier, then re-reads cons (no lost wake-up); a consumer that frees
 * space while the flag is set notifies the producer, which clears the flag when it resumes. Before
 * every notify call: a full barrier (Linux mb(), RTOS dsb ish) so the peer sees the data and
 * indices when its doorbell interrupt arrives.
 *
 * Doorbell suppression (RX, like virtio's event suppression): while the tty side's side.flags
 * has TANDEM_VSERIAL_SIDE_POLLING, it promises to look at every RX ring again by itself (it
 * polls on a timer while data flows), so the dev side drops the max-delay doorbell: bytes it
 * published before it read the flag set count as signalled. A threshold crossing still rings (a
 * filling ring is worth an early visit), as do WANT_SPACE and resynchronisation. No lost
 * wake-up, by a store-buffering pair with full barriers on both sides:
 *   dev:  publish rx.prod; full barrier; load tty.flags; POLLING set -> no max-delay doorbell.
 *   tty:  leaving polling: store flags without POLLING; full barrier; load every RX prod; any
 *         ring with bytes -> set POLLING again and keep polling (or process them).
 * Either the dev side sees the flag clear (and its max-delay timer runs as above) or the tty
 * side sees the bytes. A tty side that sets POLLING and never polls only starves its own ttys.
 * A tty side that never sets it (flags 0, e.g. one older than the flag) gets every doorbell.
 *
 * Resynchronisation (epochs). A side's `epoch` changes (never to 0) every time it resets the words
 * it writes. The dev side leads, the tty side follows; the rings are live only while
 * tandem_vserial_in_sync() holds and both channel link words are up.
 *   dev, at boot, when the tty side's epoch differs from dev.peer_epoch, after the tty side's
 *   link generation changed, or to recover: state = 0; barrier; bump epoch; write the layout and
 *   all its per-port words (rx.prod = tx.cons = 0, line_ack.seq = 0, ...); peer_epoch = the tty
 *   side's current epoch; barrier; state = TANDEM_VSERIAL_READY; notify.
 *   tty, when it attaches (module load) or wants a fresh start: state = 0; bump epoch; state =
 *   TANDEM_VSERIAL_READY with peer_epoch = 0; notify (the dev side answers with a new epoch).
 *   tty, when dev is READY with dev.peer_epoch == tty.epoch and dev.epoch != tty.peer_epoch:
 *   validate the header (layout check; refuse and count corruption if it fails), reset its own
 *   words (rx.cons = tx.prod = 0, line_req.seq = 0, tty_ctrl), barrier, peer_epoch = dev.epoch,
 *   notify. The tty side hangs up its ttys whenever the dev side's link word goes down, its link
 *   generation changes, or dev's state/epoch leave the in-sync condition.
 *   dev, when it sees tty.peer_epoch == dev.epoch: live; it starts producing RX and consuming TX.
 * A side re-reads both link words in the channel header and the peer's side words after every
 * doorbell. Because a resetting side clears `state` (with a barrier) before touching its other
 * words, the peer observing a reset index will observe state != READY on a re-read.
 *
 * Line settings: the tty side writes line_req's baud/data_bits/parity/stop_bits, then (release)
 * seq = seq + 1, and notifies. The dev side loads seq (acquire), the fields, then re-reads seq
 * after a read barrier and retries if it moved; it applies valid settings
 * (tandem_vserial_line_valid()) and writes line_ack's fields (the settings now in force and
 * status), then (release) line_ack.seq = the request's seq, and notifies.
 */
#ifndef TANDEM_ABI_VSERIAL_H
#define TANDEM_ABI_VSERIAL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
#endif

#define TANDEM_VSERIAL_MAGIC   0x52535654U /* 'TVSR' little-endian */
#define TANDEM_VSERIAL_VERSION 1U

#define TANDEM_VSERIAL_ALIGN	    64U /* every structure and ring starts on a 64-byte boundary */
#define TANDEM_VSERIAL_MAX_PORTS    64U
#define TANDEM_VSERIAL_RING_MIN	    64U	   /* bytes; ring sizes are powers of two */
#define TANDEM_VSERIAL_RING_MAX	    65536U /* bytes */
#define TANDEM_VSERIAL_MAX_DELAY_US 1000000U

/* tandem_vserial_side.state: anything else means "not using the rings". */
#define TANDEM_VSERIAL_READY 0x59444552U /* 'REDY' */

/* Ring directions: the index of a port's ring in the data area (2 * port + dir). */
#define TANDEM_VSERIAL_RX 0U /* RTOS -> Linux: dev produces, tty consumes */
#define TANDEM_VSERIAL_TX 1U /* Linux -> RTOS: tty produces, dev consumes */

/* tandem_vserial_side.flags (only the tty side's are defined; the dev side writes 0) */
#define TANDEM_VSERIAL_SIDE_POLLING                                                                \
	(1U << 0) /* tty: polling every RX ring; no max-delay doorbells needed */

/* tandem_vserial_ring.prod_flags */
#define TANDEM_VSERIAL_WANT_SPACE (1U << 0) /* producer waits for space or a drain: notify */

/* tandem_vserial_line.parity */
#define TANDEM_VSERIAL_PARITY_NONE  0U
#define TANDEM_VSERIAL_PARITY_ODD   1U
#define TANDEM_VSERIAL_PARITY_EVEN  2U
#define TANDEM_VSERIAL_PARITY_MARK  3U
#define TANDEM_VSERIAL_PARITY_SPACE 4U

/* tandem_vserial_line.status (line_ack only) */
#define TANDEM_VSERIAL_LINE_OK 0U /* applied: the ack's fields are in force */
#define TANDEM_VSERIAL_LINE_REJECTED                                                               \
	1U /* invalid or unsupported: the ack's fields still in force */

#define TANDEM_VSERIAL_BAUD_MIN 50U
#define TANDEM_VSERIAL_BAUD_MAX 4000000U

/* tandem_vserial_port.tty_ctrl (tty side) */
#define TANDEM_VSERIAL_CTRL_OPEN  (1U << 0) /* an application has the tty open */
#define TANDEM_VSERIAL_CTRL_DTR	  (1U << 1)
#define TANDEM_VSERIAL_CTRL_RTS	  (1U << 2)
#define TANDEM_VSERIAL_CTRL_BREAK (1U << 3)

/* tandem_vserial_port.dev_modem (dev side) */
#define TANDEM_VSERIAL_MODEM_PRESENT (1U << 0) /* the port exists and works */
#define TANDEM_VSERIAL_MODEM_DCD     (1U << 1)
#define TANDEM_VSERIAL_MODEM_DSR     (1U << 2)
#define TANDEM_VSERIAL_MODEM_CTS     (1U << 3)
#define TANDEM_VSERIAL_MODEM_RI	     (1U << 4)

/* Resynchronisation words of one side, written only by that side (64 bytes). */
struct tandem_vserial_side {
	uint32_t state;	     /* TANDEM_VSERIAL_READY once its words are valid for `epoch` */
	uint32_t epoch;	     /* changed (never to 0) every time this side resets its words */
	uint32_t peer_epoch; /* the peer's epoch this side's words were reset for (0: none) */
	uint32_t corrupt;    /* rings this side found corrupt and reset (since its boot) */
	uint32_t resyncs;    /* times this side reset its words (since its boot) */
	uint32_t flags;	     /* TANDEM_VSERIAL_SIDE_* (was reserved: 0 means none) */
	uint32_t reserved[10];
};

/* At the channel's payload_offset (192 bytes). Layout words written by the dev side. */
struct tandem_vserial_header {
	uint32_t magic;	       /* TANDEM_VSERIAL_MAGIC */
	uint32_t version;      /* TANDEM_VSERIAL_VERSION */
	uint32_t nr_ports;     /* 1 .. TANDEM_VSERIAL_MAX_PORTS */
	uint32_t ring_size;    /* bytes per ring, a power of two, RING_MIN .. RING_MAX */
	uint32_t region_size;  /* the channel region's size the layout was computed for */
	uint32_t ports_offset; /* of port[0], from the region start */
	uint32_t data_offset;  /* of port 0's RX ring, from the region start */
	uint32_t reserved[9];
	struct tandem_vserial_side dev; /* the RTOS: owns the UARTs */
	struct tandem_vserial_side tty; /* Linux: the tty driver */
};

/* One direction of one port (32 bytes). */
struct tandem_vserial_ring {
	uint32_t prod;	       /* producer: bytes ever produced, free-running */
	uint32_t cons;	       /* consumer: bytes ever consumed, free-running */
	uint32_t size;	       /* dev: == header.ring_size */
	uint32_t data_offset;  /* dev: of this ring's bytes, from the region start */
	uint32_t threshold;    /* dev: notify when fill crosses this (0 or 1: any data) */
	uint32_t max_delay_us; /* dev: notify at the latest this long after unsignalled data */
	uint32_t prod_flags;   /* producer: TANDEM_VSERIAL_WANT_SPACE */
	uint32_t reserved;
};

/* Line settings: a request (tty side) or the settings in force (dev side). 16 bytes. */
struct tandem_vserial_line {
	uint32_t seq;	   /* request: bumped per request; ack: the request's seq applied */
	uint32_t baud;	   /* TANDEM_VSERIAL_BAUD_MIN .. TANDEM_VSERIAL_BAUD_MAX */
	uint8_t data_bits; /* 5 .. 8 */
	uint8_t parity;	   /* TANDEM_VSERIAL_PARITY_* */
	uint8_t stop_bits; /* 1 or 2 (2 with 5 data bits is 1.5, as on a 16550) */
	uint8_t status;	   /* ack only: TANDEM_VSERIAL_LINE_* */
	uint32_t reserved;
};

/* One logical port's descriptor (128 bytes). */
struct tandem_vserial_port {
	struct tandem_vserial_ring rx;	     /* RTOS -> Linux */
	struct tandem_vserial_ring tx;	     /* Linux -> RTOS */
	struct tandem_vserial_line line_req; /* tty */
	struct tandem_vserial_line line_ack; /* dev */
	uint32_t tty_ctrl;		     /* tty: TANDEM_VSERIAL_CTRL_* */
	uint32_t dev_modem;		     /* dev: TANDEM_VSERIAL_MODEM_* */
	uint32_t dev_overruns;		     /* dev: RX bytes dropped (ring full, UART overrun) */
	uint32_t reserved[5];
};

#ifndef __cplusplus
_Static_assert(sizeof(struct tandem_vserial_side) == 64, "vserial side is 64 bytes");
_Static_assert(sizeof(struct tandem_vserial_header) == 192, "vserial header is 192 bytes");
_Static_assert(sizeof(struct tandem_vserial_ring) == 32, "vserial ring is 32 bytes");
_Static_assert(sizeof(struct tandem_vserial_line) == 16, "vserial line is 16 bytes");
_Static_assert(sizeof(struct tandem_vserial_port) == 128, "vserial port is 128 bytes");
#endif

/* Where everything is, for a region of region_size bytes (private to each side, never shared). */
struct tandem_vserial_layout {
	uint32_t region_size;
	uint32_t header_offset;
	uint32_t ports_offset;
	uint32_t data_offset;
	uint32_t nr_ports;
	uint32_t ring_size;
};

static inline bool tandem_vserial_is_pow2(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static inline uint64_t tandem_vserial_align_up(uint64_t x)
{
	return (x + TANDEM_VSERIAL_ALIGN - 1) & ~(uint64_t)(TANDEM_VSERIAL_ALIGN - 1);
}

/*
 * The layout of nr_ports ports in a region of region_size bytes whose vserial header sits at
 * header_offset (the channel's payload_offset, a multiple of 64). ring_size 0 picks the largest
 * power of two that fits (at most TANDEM_VSERIAL_RING_MAX). False if it does not fit or an
 * argument is out of range.
 */
static inline bool tandem_vserial_layout_compute(uint32_t region_size, uint32_t header_offset,
						 uint32_t nr_ports, uint32_t ring_size,
						 struct tandem_vserial_layout *out)
{
	uint64_t ports_offset = (uint64_t)header_offset + sizeof(struct tandem_vserial_header);
	uint64_t data_offset, room, nr_rings = 2ULL * nr_ports;

	if (nr_ports == 0 || nr_ports > TANDEM_VSERIAL_MAX_PORTS ||
	    header_offset % TANDEM_VSERIAL_ALIGN != 0)
		return false;
	data_offset = tandem_vserial_align_up(
	    ports_offset + (uint64_t)nr_ports * sizeof(struct tandem_vserial_port));
	if (data_offset >= region_size)
		return false;
	room = (region_size - data_offset) / nr_rings;
	if (ring_size == 0) {
		ring_size = TANDEM_VSERIAL_RING_MAX;
		while (ring_size > room && ring_size > TANDEM_VSERIAL_RING_MIN)
			ring_size >>= 1;
	}
	if (!tandem_vserial_is_pow2(ring_size) || ring_size < TANDEM_VSERIAL_RING_MIN ||
	    ring_size > TANDEM_VSERIAL_RING_MAX || ring_size > room)
		return false;
	out->region_size = region_size;
	out->header_offset = header_offset;
	out->ports_offset = (uint32_t)ports_offset;
	out->data_offset = (uint32_t)data_offset;
	out->nr_ports = nr_ports;
	out->ring_size = ring_size;
	return true;
}

/*
 * The tty side's acceptance test of a snapshot of the dev side's vserial header: magic, version,
 * and every layout word equal to what tandem_vserial_layout_compute() gives for the region.
 * Fills *out on success.
 */
static inline bool tandem_vserial_layout_check(const struct tandem_vserial_header *snap,
					       uint32_t region_size, uint32_t header_offset,
					       struct tandem_vserial_layout *out)
{
	struct tandem_vserial_layout l;

	if (snap->magic != TANDEM_VSERIAL_MAGIC || snap->version != TANDEM_VSERIAL_VERSION ||
	    snap->region_size != region_size || snap->ring_size == 0)
		return false;
	if (!tandem_vserial_layout_compute(region_size, header_offset, snap->nr_ports,
					   snap->ring_size, &l))
		return false;
	if (snap->ports_offset != l.ports_offset || snap->data_offset != l.data_offset)
		return false;
	*out = l;
	return true;
}

/* Offset from the region start of port's ring dir (TANDEM_VSERIAL_RX/TX); port < nr_ports. */
static inline uint32_t tandem_vserial_ring_offset(const struct tandem_vserial_layout *l,
						  uint32_t port, uint32_t dir)
{
	return l->data_offset + (2U * port + dir) * l->ring_size;
}

/* Offset from the region start of port's descriptor; port < nr_ports. */
static inline uint32_t tandem_vserial_port_offset(const struct tandem_vserial_layout *l,
						  uint32_t port)
{
	return l->ports_offset + port * (uint32_t)sizeof(struct tandem_vserial_port);
}

/*
 * The tty side's check of a snapshot of one ring's layout words against the layout: size and
 * data_offset as computed, threshold <= size, max_delay_us <= TANDEM_VSERIAL_MAX_DELAY_US.
 */
static inline bool tandem_vserial_ring_desc_check(const struct tandem_vserial_layout *l,
						  uint32_t port, uint32_t dir,
						  const struct tandem_vserial_ring *snap)
{
	return port < l->nr_ports && dir <= TANDEM_VSERIAL_TX && snap->size == l->ring_size &&
	       snap->data_offset == tandem_vserial_ring_offset(l, port, dir) &&
	       snap->threshold <= l->ring_size && snap->max_delay_us <= TANDEM_VSERIAL_MAX_DELAY_US;
}

/*
 * Bytes in a ring from its two indices (one of them read from the peer): true and *fill set if
 * prod - cons <= size; false means the peer's index is corrupt.
 */
static inline bool tandem_vserial_ring_fill(uint32_t prod, uint32_t cons, uint32_t size,
					    uint32_t *fill)
{
	uint32_t n = prod - cons; /* modulo 2^32: the indices are free-running */

	if (n > size)
		return false;
	*fill = n;
	return true;
}

/* How many of len bytes starting at index can be accessed without wrapping the ring. */
static inline uint32_t tandem_vserial_ring_contig(uint32_t index, uint32_t size, uint32_t len)
{
	uint32_t to_end = size - (index & (size - 1));

	return len < to_end ? len : to_end;
}

/* Whether a producer that took the fill from fill_before to fill_after must notify now. */
static inline bool tandem_vserial_crossed_threshold(uint32_t fill_before, uint32_t fill_after,
						    uint32_t threshold)
{
	uint32_t t = threshold ? threshold : 1;

	return fill_before < t && fill_after >= t;
}

/* Whether line settings (a request's or an ack's fields) are in range. */
static inline bool tandem_vserial_line_valid(const struct tandem_vserial_line *line)
{
	return line->baud >= TANDEM_VSERIAL_BAUD_MIN && line->baud <= TANDEM_VSERIAL_BAUD_MAX &&
	       line->data_bits >= 5 && line->data_bits <= 8 &&
	       line->parity <= TANDEM_VSERIAL_PARITY_SPACE &&
	       (line->stop_bits == 1 || line->stop_bits == 2);
}

/* The epoch after e (never 0: 0 means "none"). */
static inline uint32_t tandem_vserial_next_epoch(uint32_t e)
{
	return e + 1 != 0 ? e + 1 : 1;
}

/* Whether snapshots of the two sides' words say the rings are live. */
static inline bool tandem_vserial_in_sync(const struct tandem_vserial_side *dev,
					  const struct tandem_vserial_side *tty)
{
	return dev->state == TANDEM_VSERIAL_READY && tty->state == TANDEM_VSERIAL_READY &&
	       dev->epoch != 0 && tty->epoch != 0 && dev->peer_epoch == tty->epoch &&
	       tty->peer_epoch == dev->epoch;
}

#endif
