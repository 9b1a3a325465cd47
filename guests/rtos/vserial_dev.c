/*
 * The vserial ring, dev side (vserial_dev.h). Shared words are accessed with single atomic
 * loads and stores (relaxed, or acquire/release where the protocol orders data against an
 * index): on AArch64 ldr/ldar and str/stlr, and a full barrier is dmb ish.
 */
#include "vserial_dev.h"

#include "kstring.h"

#define LD(p)	       __atomic_load_n((p), __ATOMIC_RELAXED)
#define LD_ACQ(p)      __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v)       __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ST_REL(p, v)   __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define FULL_BARRIER() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#define RX TANDEM_VSERIAL_RX
#define TX TANDEM_VSERIAL_TX

static struct tandem_channel_header *chan(const struct vs_dev *d)
{
	return (struct tandem_channel_header *)(void *)d->region;
}

static struct tandem_vserial_header *hdr(const struct vs_dev *d)
{
	return (struct tandem_vserial_header *)(void *)(d->region + d->lay.header_offset);
}

static struct tandem_vserial_port *desc(const struct vs_dev *d, unsigned port)
{
	return (struct tandem_vserial_port *)(void *)(d->region +
						      tandem_vserial_port_offset(&d->lay, port));
}

static uint8_t *ring(const struct vs_dev *d, unsigned port, unsigned dir)
{
	return d->region + tandem_vserial_ring_offset(&d->lay, port, dir);
}

static void tty_words(const struct vs_dev *d, struct tandem_vserial_side *s, uint32_t *link)
{
	const struct tandem_vserial_header *h = hdr(d);

	*link = LD_ACQ(&chan(d)->link[1 - d->side]);
	s->state = LD(&h->tty.state);
	s->epoch = LD(&h->tty.epoch);
	s->peer_epoch = LD(&h->tty.peer_epoch);
	FULL_BARRIER(); /* the peer's other words are read after these */
}

/* Whether the rings may run, from a snapshot of the tty side's words (tty_words()). */
static bool in_sync_with(const struct vs_dev *d, const struct tandem_vserial_side *tty,
			 uint32_t link)
{
	struct tandem_vserial_side me = {
	    .state = TANDEM_VSERIAL_READY, .epoch = d->epoch, .peer_epoch = d->peer_epoch};

	return (link & TANDEM_CHANNEL_LINK_UP) && tandem_vserial_in_sync(&me, tty);
}

static bool tty_in_sync(const struct vs_dev *d)
{
	struct tandem_vserial_side tty;
	uint32_t link;

	tty_words(d, &tty, &link);
	return in_sync_with(d, &tty, link);
}

/* The rings run or stop: every port's RX fast path follows (rx_fast, vserial_dev.h). */
static void set_live(struct vs_dev *d, bool live)
{
	d->live = live;
	for (unsigned i = 0; i < d->lay.nr_ports; i++)
		d->port[i].rx_fast = live && !d->port[i].rx_flags ? d->lay.ring_size - 1 : 0;
}

/* rx_prod set other than by a commit (a reset, adopting the consumer's index): the bytes
 * produced so far are counted first. */
static void rx_prod_set(struct vs_port *vp, uint32_t prod)
{
	vp->rx_bytes += vp->rx_prod - vp->rx_base;
	vp->rx_prod = vp->rx_base = prod;
}

uint64_t vs_rx_bytes(const struct vs_dev *d, unsigned i)
{
	const struct vs_port *vp = &d->port[i];

	return i < d->lay.nr_ports ? vp->rx_bytes + (uint32_t)(vp->rx_prod - vp->rx_base) : 0;
}

/*
 * A peer index failed validation. If the tty side is still in sync after a barrier it is
 * corruption: counted, published, remembered for the report; returns true and the caller empties
 * the ring. Otherwise the peer is resynchronising: the rings stop until vs_dev_sync() agrees.
 */
static bool corruption(struct vs_dev *d, unsigned port, unsigned dir, uint32_t prod, uint32_t cons)
{
	if (!tty_in_sync(d)) {
		set_live(d, false);
		return false;
	}
	d->corrupt++;
	ST(&hdr(d)->dev.corrupt, d->corrupt);
	d->last_corruption = (struct vs_corruption){port, dir, prod, cons};
	return true;
}

static void write_ring_desc(const struct vs_dev *d, struct tandem_vserial_ring *r, unsigned port,
			    unsigned dir, uint32_t threshold)
{
	ST(&r->size, d->lay.ring_size);
	ST(&r->data_offset, tandem_vserial_ring_offset(&d->lay, port, dir));
	ST(&r->threshold, threshold);
	ST(&r->max_delay_us, d->max_delay_us);
}

static void write_line_ack(struct tandem_vserial_line *ack, const struct tandem_vserial_line *l,
			   uint8_t status)
{
	ST(&ack->baud, l->baud);
	ST(&ack->data_bits, l->data_bits);
	ST(&ack->parity, l->parity);
	ST(&ack->stop_bits, l->stop_bits);
	ST(&ack->status, status);
}

/* The dev side's reset: state cleared first, every dev word rewritten, a new epoch, READY. */
static void reset(struct vs_dev *d)
{
	struct tandem_vserial_header *h = hdr(d);

	ST(&h->dev.state, 0U);
	FULL_BARRIER();
	d->epoch = tandem_vserial_next_epoch(d->epoch);
	d->resyncs++;
	d->peer_epoch = LD(&h->tty.epoch);
	ST(&h->magic, TANDEM_VSERIAL_MAGIC);
	ST(&h->version, TANDEM_VSERIAL_VERSION);
	ST(&h->nr_ports, d->lay.nr_ports);
	ST(&h->ring_size, d->lay.ring_size);
	ST(&h->region_size, d->lay.region_size);
	ST(&h->ports_offset, d->lay.ports_offset);
	ST(&h->data_offset, d->lay.data_offset);
	for (unsigned i = 0; i < d->lay.nr_ports; i++) {
		struct tandem_vserial_port *p = desc(d, i);
		struct vs_port *vp = &d->port[i];

		rx_prod_set(vp, 0);
		vp->tx_cons = vp->rx_fill = vp->rx_flags = vp->line_seen = 0;
		vp->overruns = 0;
		ST(&p->rx.prod, 0U);
		ST(&p->rx.prod_flags, 0U);
		write_ring_desc(d, &p->rx, i, RX, d->threshold);
		ST(&p->tx.cons, 0U);
		write_ring_desc(d, &p->tx, i, TX, 1); /* Linux's writes: a doorbell at once */
		write_line_ack(&p->line_ack, &vp->line, TANDEM_VSERIAL_LINE_OK);
		ST(&p->line_ack.seq, 0U);
		ST(&p->dev_modem, TANDEM_VSERIAL_MODEM_PRESENT | TANDEM_VSERIAL_MODEM_DCD |
				      TANDEM_VSERIAL_MODEM_DSR | TANDEM_VSERIAL_MODEM_CTS);
		ST(&p->dev_overruns, 0U);
	}
	ST(&h->dev.epoch, d->epoch);
	ST(&h->dev.peer_epoch, d->peer_epoch);
	ST(&h->dev.corrupt, d->corrupt);
	ST(&h->dev.resyncs, d->resyncs);
	FULL_BARRIER();
	ST(&h->dev.state, TANDEM_VSERIAL_READY);
	set_live(d, false);
	d->notify = true;
	vs_set_unsignalled(d, 0);
}

const char *vs_dev_init(struct vs_dev *d, void *region, uint32_t size, unsigned side,
			unsigned nr_ports, uint32_t ring_size, uint32_t threshold,
			uint32_t max_delay_us, uint64_t ticks_per_sec, vs_apply_line_fn apply_line)
{
	const struct tandem_channel_header *ch = region;
	uint32_t payload;

	memset(d, 0, sizeof(*d));
	if (!region || size < TANDEM_CHANNEL_HEADER_SIZE || side > 1)
		return "bad channel";
	if (nr_ports == 0 || nr_ports > VS_MAX_PORTS)
		return "bad number of ports";
	if (LD(&ch->magic) != TANDEM_CHANNEL_MAGIC || LD(&ch->version) != TANDEM_CHANNEL_VERSION)
		return "no Tandem channel header (magic/version)";
	payload = LD(&ch->payload_offset);
	if (LD(&ch->size) != size || payload != TANDEM_CHANNEL_HEADER_SIZE)
		return "the channel header's size or payload_offset disagree with the DTB";
	d->region = region;
	d->size = size;
	d->side = side;
	if (!tandem_vserial_layout_compute(size, payload, nr_ports, ring_size, &d->lay))
		return "the ports' rings do not fit the channel";
	d->threshold = threshold ? threshold : d->lay.ring_size / 4;
	if (d->threshold >= d->lay.ring_size)
		d->threshold = d->lay.ring_size - 1;
	d->max_delay_us =
	    max_delay_us > TANDEM_VSERIAL_MAX_DELAY_US ? TANDEM_VSERIAL_MAX_DELAY_US : max_delay_us;
	d->max_delay = (uint64_t)d->max_delay_us * ticks_per_sec / 1000000;
	d->apply_line = apply_line;
	/* Ports beyond the layout: a private descriptor, so that the inline span's index load
	 * needs no test before it (their rx_fast stays 0: no room, ever). */
	for (unsigned i = nr_ports; i < VS_MAX_PORTS; i++)
		d->port[i].desc = &d->unused;
	for (unsigned i = 0; i < nr_ports; i++) {
		d->port[i].desc = desc(d, i);
		d->port[i].rx_data = ring(d, i, RX);
		d->port[i].line = (struct tandem_vserial_line){.baud = 115200,
							       .data_bits = 8,
							       .parity = TANDEM_VSERIAL_PARITY_NONE,
							       .stop_bits = 1};
	}
	/* An earlier instance of us (before a restart) may have left its epoch in the region:
	 * start after it, so the tty side cannot mistake our words for that instance's. This is
	 * the only read of a dev word, and any value it finds is harmless. */
	d->epoch = LD(&hdr(d)->dev.epoch);
	d->tty_link_seen = LD(&ch->link[1 - side]);
	reset(d);
	return NULL;
}

static void line_requests(struct vs_dev *d)
{
	for (unsigned i = 0; i < d->lay.nr_ports; i++) {
		struct tandem_vserial_port *p = desc(d, i);
		struct vs_port *vp = &d->port[i];
		struct tandem_vserial_line req;
		uint32_t seq = LD_ACQ(&p->line_req.seq);
		uint8_t status = TANDEM_VSERIAL_LINE_REJECTED;

		rx_prod_set(vp, vp->rx_prod); /* rx_bytes up to date long before rx_prod wraps */
		if (seq == vp->line_seen)
			continue;
		req.baud = LD(&p->line_req.baud);
		req.data_bits = LD(&p->line_req.data_bits);
		req.parity = LD(&p->line_req.parity);
		req.stop_bits = LD(&p->line_req.stop_bits);
		FULL_BARRIER();
		if (LD(&p->line_req.seq) != seq)
			continue; /* being rewritten: the next pass reads it whole */
		vp->line_seen = seq;
		d->line_reqs++;
		if (tandem_vserial_line_valid(&req) && d->apply_line && d->apply_line(i, &req)) {
			vp->line = req;
			status = TANDEM_VSERIAL_LINE_OK;
		} else {
			d->line_rejected++;
		}
		write_line_ack(&p->line_ack, &vp->line, status);
		ST_REL(&p->line_ack.seq, seq);
		d->notify = true;
	}
}

bool vs_dev_sync(struct vs_dev *d)
{
	return vs_dev_sync_lines(d, true);
}

bool vs_dev_sync_lines(struct vs_dev *d, bool lines)
{
	struct tandem_vserial_side tty;
	uint32_t link;
	bool was_live = d->live;

	tty_words(d, &tty, &link);
	if (TANDEM_CHANNEL_LINK_GENERATION(link) !=
	    TANDEM_CHANNEL_LINK_GENERATION(d->tty_link_seen)) {
		/* Linux restarted: whatever its words say is from before. */
		d->tty_link_seen = link;
		reset(d);
		return false;
	}
	d->tty_link_seen = link;
	if (tty.state == TANDEM_VSERIAL_READY && tty.epoch != 0 && tty.epoch != d->peer_epoch) {
		reset(d); /* a new driver instance, or one asking for a fresh start */
		return false;
	}
	/* The snapshot just read (the link word, the tty side's state and epochs, then a full
	 * barrier) decides: the same look tty_in_sync() would take again. */
	if (in_sync_with(d, &tty, link) != d->live)
		set_live(d, !d->live);
	if (d->live && lines)
		line_requests(d);
	return d->live && !was_live;
}

unsigned vs_rx_space(struct vs_dev *d, unsigned i)
{
	struct tandem_vserial_port *p;
	struct vs_port *vp = &d->port[i];
	uint32_t size = d->lay.ring_size, cons, fill, space;

	if (!d->live || i >= d->lay.nr_ports)
		return 0;
	p = desc(d, i);
	cons = LD_ACQ(&p->rx.cons);
	/* We never fill the last byte (space = size - 1 - fill): a fill of size is corrupt too. */
	if (!tandem_vserial_ring_fill(vp->rx_prod, cons, size - 1, &fill)) {
		if (!corruption(d, i, RX, vp->rx_prod, cons))
			return 0;
		rx_prod_set(vp, cons); /* empty the ring: adopt the consumer's index */
		ST_REL(&p->rx.prod, cons);
		fill = 0;
	}
	space = size - 1 - fill;
	if (!space) {
		/* Full: ask to be rung when Linux frees space, then look once more (it may have
		 * freed some between our read and the flag). */
		if (!(vp->rx_flags & TANDEM_VSERIAL_WANT_SPACE)) {
			vp->rx_flags |= TANDEM_VSERIAL_WANT_SPACE;
			ST(&p->rx.prod_flags, vp->rx_flags);
		}
		FULL_BARRIER();
		cons = LD_ACQ(&p->rx.cons);
		if (tandem_vserial_ring_fill(vp->rx_prod, cons, size - 1, &fill))
			space = size - 1 - fill;
	}
	if (space && (vp->rx_flags & TANDEM_VSERIAL_WANT_SPACE)) {
		vp->rx_flags &= ~TANDEM_VSERIAL_WANT_SPACE;
		ST(&p->rx.prod_flags, vp->rx_flags);
	}
	vp->rx_fill = size - 1 - space;
	vp->rx_fast = d->live && !vp->rx_flags ? size - 1 : 0;
	return space;
}

unsigned vs_rx_room_slow(struct vs_dev *d, unsigned i)
{
	uint32_t space = vs_rx_space(d, i), size = d->lay.ring_size;
	uint32_t to_end = size - (d->port[i].rx_prod & (size - 1));

	return space < to_end ? space : to_end;
}

void vs_rx_put(struct vs_dev *d, unsigned i, const uint8_t *b, unsigned n, uint64_t now)
{
	struct vs_port *vp = &d->port[i];
	uint32_t size = d->lay.ring_size, first = tandem_vserial_ring_contig(vp->rx_prod, size, n);
	uint8_t *r = ring(d, i, RX);

	memcpy(r + (vp->rx_prod & (size - 1)), b, first);
	memcpy(r, b + first, n - first);
	vs_rx_commit(d, i, n, now);
}

const uint8_t *vs_tx_span(struct vs_dev *d, unsigned i, unsigned *len)
{
	struct tandem_vserial_port *p;
	struct vs_port *vp;
	uint32_t size = d->lay.ring_size, prod, fill;

	*len = 0;
	if (!d->live || i >= d->lay.nr_ports)
		return d->region;
	p = desc(d, i);
	vp = &d->port[i];
	prod = LD_ACQ(&p->tx.prod); /* the bytes are read after the index */
	if (!tandem_vserial_ring_fill(prod, vp->tx_cons, size, &fill)) {
		if (corruption(d, i, TX, prod, vp->tx_cons)) {
			vp->tx_cons = prod; /* empty the ring: adopt the producer's index */
			ST_REL(&p->tx.cons, prod);
		}
		return d->region;
	}
	*len = tandem_vserial_ring_contig(vp->tx_cons, size, fill);
	return ring(d, i, TX) + (vp->tx_cons & (size - 1));
}

void vs_tx_consume(struct vs_dev *d, unsigned i, unsigned n)
{
	struct tandem_vserial_port *p = desc(d, i);
	struct vs_port *vp = &d->port[i];

	vp->tx_cons += n;
	ST_REL(&p->tx.cons, vp->tx_cons); /* our reads done before the space is reused */
	vp->tx_bytes += n;
	FULL_BARRIER(); /* cons published before the flag is read (no lost wake-up) */
	if (n && (LD(&p->tx.prod_flags) & TANDEM_VSERIAL_WANT_SPACE))
		d->notify = true;
}

unsigned vs_tx_get(struct vs_dev *d, unsigned i, uint8_t *b, unsigned max)
{
	unsigned got = 0, len, n;

	/* At most two spans (the ring's wrap). */
	for (int k = 0; k < 2 && got < max; k++) {
		const uint8_t *src = vs_tx_span(d, i, &len);

		n = len < max - got ? len : max - got;
		if (!n)
			break;
		memcpy(b + got, src, n);
		vs_tx_consume(d, i, n);
		got += n;
	}
	return got;
}

/*
 * Whether the tty side polls its RX rings (event suppression, vserial.h): read after a full
 * barrier, so every RX prod published before is seen by the tty side's re-check if it is just
 * leaving polling.
 */
static bool tty_polling(const struct vs_dev *d)
{
	FULL_BARRIER();
	return (LD(&hdr(d)->tty.flags) & TANDEM_VSERIAL_SIDE_POLLING) != 0;
}

bool vs_take_doorbell(struct vs_dev *d, uint64_t now)
{
	/* A byte stamped after `now` (a caller's older time) has not waited at all. One stamp for
	 * every port (the first since the last doorbell): an O(1) look on every pass. */
	bool due = !d->notify && d->unsignalled && now >= d->unsignalled &&
		   now - d->unsignalled >= d->max_delay;

	if (due && d->live && tty_polling(d)) {
		/* The tty side will see these bytes without a doorbell. */
		vs_set_unsignalled(d, 0);
		d->suppressed++;
		return false;
	}
	if (!d->notify && !due)
		return false;
	d->notify = false;
	vs_set_unsignalled(d, 0);
	d->doorbells++;
	FULL_BARRIER(); /* everything written is visible before the peer's interrupt */
	return true;
}

void vs_set_overruns(struct vs_dev *d, unsigned i, uint32_t overruns)
{
	/* Written when it changed (or after a reset): the peer's view is ours, never read back. */
	if (i < d->lay.nr_ports && d->port[i].overruns != overruns) {
		d->port[i].overruns = overruns;
		ST(&desc(d, i)->dev_overruns, overruns);
	}
}

void vs_scribble(struct vs_dev *d, unsigned n, uint64_t seed)
{
	uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;

	for (unsigned k = 0; k < n; k++) {
		struct tandem_vserial_port *p;
		uint32_t r[4];

		for (unsigned j = 0; j < 4; j++) { /* xorshift64 */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			r[j] = (uint32_t)(x >> 16);
		}
		p = desc(d, r[0] % d->lay.nr_ports);
		/* An index far outside the ring, and lengths/offsets pointing anywhere. */
		ST(&p->rx.prod, d->port[r[0] % d->lay.nr_ports].rx_prod + d->lay.ring_size +
				    (r[1] & 0x7fffffffU));
		ST(&p->tx.cons, r[2]);
		ST(&p->rx.size, r[3]);
		ST(&p->rx.data_offset, r[1] ^ r[3]);
		ST(&p->tx.size, r[2] | 1U);
	}
	d->notify = true;
}
