/* unit-sources: guests/rtos/vserial_dev.c */
/*
 * The RTOS's dev side of the vserial ring (guests/rtos/vserial_dev.c) against a tty side
 * simulated here from the protocol of hypervisor/include/tandem/abi/vserial.h, in a region of
 * exactly the channel's size (ASan catches any access outside it): the epoch handshake, streams
 * both ways across the index wrap, back-pressure with WANT_SPACE, doorbell coalescing (threshold
 * and max delay), line-settings requests, resynchronisation when Linux restarts, and a hostile
 * tty side whose indices are garbage (counted, ring emptied, nothing outside the region touched).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../guests/rtos/vserial_dev.h"

#define SIZE	 0x42000U /* 32 ports of 4 KiB rings, as configs/ttu.dts */
#define PORTS	 32U
#define TPS	 1000000U /* counter ticks per second in these tests: 1 tick = 1 us */
#define LINK_UP0 (TANDEM_CHANNEL_LINK_UP | 1U << TANDEM_CHANNEL_LINK_GENERATION_SHIFT)

static uint8_t *region;
static unsigned applied_port;
static struct tandem_vserial_line applied;

static bool apply_line(unsigned port, const struct tandem_vserial_line *l)
{
	applied_port = port;
	applied = *l;
	return l->baud <= 115200;
}

static struct tandem_channel_header *chan(void)
{
	return (struct tandem_channel_header *)(void *)region;
}

static struct tandem_vserial_header *hdr(void)
{
	return (struct tandem_vserial_header *)(void *)(region + TANDEM_CHANNEL_HEADER_SIZE);
}

static struct tandem_vserial_port *desc(const struct vs_dev *d, unsigned p)
{
	return (struct tandem_vserial_port *)(void *)(region +
						      tandem_vserial_port_offset(&d->lay, p));
}

static int setup(void **state)
{
	region = calloc(1, SIZE);
	assert_non_null(region);
	chan()->magic = TANDEM_CHANNEL_MAGIC;
	chan()->version = TANDEM_CHANNEL_VERSION;
	chan()->size = SIZE;
	chan()->payload_offset = TANDEM_CHANNEL_HEADER_SIZE;
	chan()->link[0] = chan()->link[1] = LINK_UP0;
	return 0;
}

static int teardown(void **state)
{
	free(region);
	return 0;
}

/* The tty side: attaches with a fresh epoch, then follows the dev side's epoch. */
static uint32_t tty_epoch = 40;

static void tty_attach(void)
{
	hdr()->tty.state = 0;
	tty_epoch = tandem_vserial_next_epoch(tty_epoch);
	hdr()->tty.epoch = tty_epoch;
	hdr()->tty.peer_epoch = 0;
	hdr()->tty.state = TANDEM_VSERIAL_READY;
}

/* What the tty does on a doorbell: follow a new dev epoch made for its own. */
static void tty_follow(const struct vs_dev *d)
{
	struct tandem_vserial_layout l = {0};
	struct tandem_vserial_header *h = hdr();

	if (h->dev.state != TANDEM_VSERIAL_READY || h->dev.peer_epoch != h->tty.epoch ||
	    h->dev.epoch == h->tty.peer_epoch)
		return;
	assert_true(tandem_vserial_layout_check(h, SIZE, TANDEM_CHANNEL_HEADER_SIZE, &l));
	for (unsigned p = 0; p < l.nr_ports; p++) {
		desc(d, p)->rx.cons = 0;
		desc(d, p)->tx.prod = 0;
		desc(d, p)->line_req.seq = 0;
	}
	h->tty.peer_epoch = h->dev.epoch;
}

static void bring_up(struct vs_dev *d)
{
	assert_null(vs_dev_init(d, region, SIZE, 0, PORTS, 0, 0, 1000, TPS, apply_line));
	tty_attach();
	assert_false(vs_dev_sync(d)); /* a new tty epoch: the dev side resets for it */
	assert_int_equal(hdr()->dev.peer_epoch, tty_epoch);
	tty_follow(d);
	assert_true(vs_dev_sync(d)); /* live */
	assert_true(d->live);
}

static void test_init_layout(void **state)
{
	struct vs_dev d;
	uint32_t old = 77;

	hdr()->dev.epoch = old; /* left by an earlier instance */
	assert_null(vs_dev_init(&d, region, SIZE, 0, PORTS, 0, 0, 1000, TPS, apply_line));
	assert_int_equal(hdr()->magic, TANDEM_VSERIAL_MAGIC);
	assert_int_equal(hdr()->nr_ports, PORTS);
	assert_int_equal(hdr()->ring_size, 4096);
	assert_int_equal(hdr()->dev.state, TANDEM_VSERIAL_READY);
	assert_int_not_equal(hdr()->dev.epoch, old);
	assert_int_not_equal(hdr()->dev.epoch, 0);
	assert_int_equal(desc(&d, 31)->rx.size, 4096);
	assert_int_equal(desc(&d, 31)->rx.threshold, 1024);
	assert_int_equal(desc(&d, 31)->rx.max_delay_us, 1000);
	assert_int_equal(desc(&d, 31)->tx.data_offset,
			 tandem_vserial_ring_offset(&d.lay, 31, TANDEM_VSERIAL_TX));
	assert_true(desc(&d, 3)->dev_modem & TANDEM_VSERIAL_MODEM_PRESENT);
	assert_false(d.live);
	assert_int_equal(vs_rx_space(&d, 0), 0); /* nothing flows before the handshake */
}

static void test_init_errors(void **state)
{
	struct vs_dev d;

	assert_non_null(vs_dev_init(&d, region, SIZE, 0, 33, 0, 0, 1000, TPS, apply_line));
	assert_non_null(vs_dev_init(&d, region, SIZE, 0, PORTS, 65536, 0, 1000, TPS, apply_line));
	assert_non_null(vs_dev_init(&d, region, SIZE - 4096, 0, PORTS, 0, 0, 1000, TPS, NULL));
	chan()->magic = 0;
	assert_non_null(vs_dev_init(&d, region, SIZE, 0, PORTS, 0, 0, 1000, TPS, apply_line));
}

/* n bytes from port p's RX ring, as the tty consumer does. */
static unsigned tty_read(const struct vs_dev *d, unsigned p, uint8_t *out, unsigned max)
{
	struct tandem_vserial_port *pd = desc(d, p);
	uint32_t fill = 0, size = d->lay.ring_size, n;
	const uint8_t *r = region + tandem_vserial_ring_offset(&d->lay, p, TANDEM_VSERIAL_RX);

	assert_true(tandem_vserial_ring_fill(pd->rx.prod, pd->rx.cons, size, &fill));
	n = fill < max ? fill : max;
	for (uint32_t k = 0; k < n; k++)
		out[k] = r[(pd->rx.cons + k) & (size - 1)];
	pd->rx.cons += n;
	return n;
}

static void test_rx_stream_and_backpressure(void **state)
{
	struct vs_dev d;
	static uint8_t sent[100000], got[100000];
	unsigned in = 0, out = 0;
	uint64_t now = 1;

	for (unsigned k = 0; k < sizeof(sent); k++)
		sent[k] = (uint8_t)(k * 7 + k / 251);
	bring_up(&d);
	desc(&d, 5)->rx.cons = 0xfffff000U; /* the tty side starts near the wrap... */
	d.port[5].rx_prod = 0xfffff000U;    /* ...as if after 4 GiB */
	while (out < sizeof(sent)) {
		unsigned space = vs_rx_space(&d, 5);
		unsigned n = space < 700 ? space : 700;

		if (in + n > sizeof(sent))
			n = sizeof(sent) - in;
		if (!space) {
			/* Full: the dev side asked to be rung when space is freed. */
			assert_true(desc(&d, 5)->rx.prod_flags & TANDEM_VSERIAL_WANT_SPACE);
		}
		vs_rx_put(&d, 5, sent + in, n, now++);
		in += n;
		if (in % 3 == 0 || !space || in == sizeof(sent))
			out += tty_read(&d, 5, got + out, 1500);
	}
	assert_memory_equal(sent, got, sizeof(sent));
	assert_int_equal(d.corrupt, 0);
	assert_true(vs_rx_space(&d, 5) > 0);
	assert_false(desc(&d, 5)->rx.prod_flags & TANDEM_VSERIAL_WANT_SPACE);
}

/*
 * RX written in place: spans of the ring filled byte by byte (as the TTU reads the UART into
 * them) and committed, across the index wrap and the ring's end, with the tty side reading at
 * its own pace; the bytes arrive in order, the spans never leave the ring, a full ring gives an
 * empty span with WANT_SPACE set.
 */
static void test_rx_span_stream(void **state)
{
	struct vs_dev d;
	static uint8_t sent[60000], got[60000];
	unsigned in = 0, out = 0, room, step = 0;
	const uint8_t *lo, *hi;

	for (unsigned k = 0; k < sizeof(sent); k++)
		sent[k] = (uint8_t)(k * 13 + k / 257);
	bring_up(&d);
	lo = region + tandem_vserial_ring_offset(&d.lay, 6, TANDEM_VSERIAL_RX);
	hi = lo + d.lay.ring_size;
	desc(&d, 6)->rx.cons = 0xfffff800U;
	d.port[6].rx_prod = 0xfffff800U;
	while (out < sizeof(sent)) {
		uint8_t *dst = vs_rx_span(&d, 6, &room);
		unsigned n = room < 19 + step % 40 ? room : 19 + step % 40; /* a service's bytes */

		step++;
		if (in + n > sizeof(sent))
			n = sizeof(sent) - in;
		if (!room)
			assert_true(desc(&d, 6)->rx.prod_flags & TANDEM_VSERIAL_WANT_SPACE);
		else
			assert_true(dst >= lo && dst + room <= hi);
		for (unsigned k = 0; k < n; k++)
			dst[k] = sent[in + k];
		if (n)
			vs_rx_commit(&d, 6, n, step);
		in += n;
		assert_int_equal(desc(&d, 6)->rx.prod, d.port[6].rx_prod);
		if (step % 5 == 0 || !room || in == sizeof(sent))
			out += tty_read(&d, 6, got + out, step % 3 ? 900 : 5000);
	}
	assert_memory_equal(sent, got, sizeof(sent));
	assert_int_equal(d.corrupt, 0);
}

/*
 * Every span looks at the tty side's index: a threshold crossing is counted from the fill it
 * saw, and a corrupt index (or a reset of the ring by the tty side) is followed at once:
 * counted, the ring emptied, the span inside the ring.
 */
static void test_rx_span_threshold_and_hostile(void **state)
{
	struct vs_dev d;
	unsigned room;
	uint8_t *dst;

	bring_up(&d);
	assert_int_equal(d.threshold, 1024);
	(void)vs_take_doorbell(&d, 0); /* the handshake's */
	dst = vs_rx_span(&d, 2, &room);
	assert_int_equal(room, 4095);
	memset(dst, 'a', 1000);
	vs_rx_commit(&d, 2, 1000, 10);
	assert_false(d.notify);
	/* The tty side consumed meanwhile: 1000 + 100 bytes are no crossing (fill 100). */
	desc(&d, 2)->rx.cons += 1000;
	dst = vs_rx_span(&d, 2, &room);
	assert_int_equal(room, 3096); /* to the ring's end */
	memset(dst, 'b', 100);
	vs_rx_commit(&d, 2, 100, 11);
	assert_false(d.notify);
	dst = vs_rx_span(&d, 2, &room);
	memset(dst, 'c', 924);
	vs_rx_commit(&d, 2, 924, 12);
	assert_true(d.notify); /* fill 1024: a crossing */
	(void)vs_take_doorbell(&d, 13);
	/* The tty side reset the ring to an index of its choosing (as after a corrupt prod of
	 * ours): the next span follows it, counted as corruption, nothing outside the ring. */
	desc(&d, 2)->rx.cons = d.port[2].rx_prod + 12345;
	dst = vs_rx_span(&d, 2, &room);
	assert_int_equal(d.corrupt, 1);
	assert_int_equal(d.port[2].rx_prod, desc(&d, 2)->rx.cons);
	assert_int_equal(desc(&d, 2)->rx.prod, desc(&d, 2)->rx.cons);
	assert_true(room > 0);
	assert_true(dst >= region + tandem_vserial_ring_offset(&d.lay, 2, TANDEM_VSERIAL_RX) &&
		    dst + room <= region +
				      tandem_vserial_ring_offset(&d.lay, 2, TANDEM_VSERIAL_RX) +
				      d.lay.ring_size);
	/* A fill of exactly the ring's size cannot come from us (we leave a byte free): corrupt
	 * too, where the ABI's helper alone would take it for a full ring. */
	desc(&d, 3)->rx.cons = d.port[3].rx_prod - d.lay.ring_size;
	(void)vs_rx_span(&d, 3, &room);
	assert_int_equal(d.corrupt, 2);
}

/* TX read in place: spans up to the ring's end, consumed as the UART takes them. */
static void test_tx_span(void **state)
{
	struct vs_dev d;
	struct tandem_vserial_port *pd;
	uint8_t *r, want = 0;
	unsigned len, total = 0;

	bring_up(&d);
	pd = desc(&d, 4);
	r = region + tandem_vserial_ring_offset(&d.lay, 4, TANDEM_VSERIAL_TX);
	pd->tx.prod = pd->tx.cons = d.port[4].tx_cons = 4000; /* 96 bytes before the ring's end */
	for (unsigned k = 0; k < 300; k++)
		r[(4000 + k) & 4095] = (uint8_t)k;
	pd->tx.prod += 300;
	for (;;) {
		const uint8_t *src = vs_tx_span(&d, 4, &len);
		unsigned n = len < 16 ? len : 16;

		if (!len)
			break;
		assert_true(src >= r && src + len <= r + 4096);
		assert_true(total != 0 || len == 96); /* the first span stops at the ring's end */
		for (unsigned k = 0; k < n; k++)
			assert_int_equal(src[k], want++);
		vs_tx_consume(&d, 4, n);
		total += n;
		assert_int_equal(pd->tx.cons, 4000 + total);
	}
	assert_int_equal(total, 300);
	/* A hostile producer index: no span, counted, the ring emptied. */
	pd->tx.prod = pd->tx.cons + 5000;
	(void)vs_tx_span(&d, 4, &len);
	assert_int_equal(len, 0);
	assert_int_equal(d.corrupt, 1);
	assert_int_equal(pd->tx.cons, pd->tx.prod);
}

static void test_tx_stream(void **state)
{
	struct vs_dev d;
	uint8_t buf[16], want = 0;
	struct tandem_vserial_port *pd;
	uint8_t *r;
	unsigned total = 0;

	bring_up(&d);
	pd = desc(&d, 9);
	r = region + tandem_vserial_ring_offset(&d.lay, 9, TANDEM_VSERIAL_TX);
	for (unsigned round = 0; round < 50; round++) {
		for (unsigned k = 0; k < 3000; k++) /* the tty produces 3000 bytes */
			r[(pd->tx.prod + k) & 4095] = (uint8_t)(round * 3000 + k);
		pd->tx.prod += 3000;
		while (vs_tx_pending(&d, 9)) {
			unsigned n = vs_tx_get(&d, 9, buf, sizeof(buf));

			for (unsigned k = 0; k < n; k++)
				assert_int_equal(buf[k], want++);
			total += n;
		}
		assert_int_equal(pd->tx.cons, pd->tx.prod);
	}
	assert_int_equal(total, 150000);
	/* A producer waiting for space gets a doorbell once some is freed. */
	(void)vs_take_doorbell(&d, 0); /* whatever was due so far */
	pd->tx.prod_flags = TANDEM_VSERIAL_WANT_SPACE;
	pd->tx.prod += 10;
	assert_int_equal(vs_tx_get(&d, 9, buf, sizeof(buf)), 10);
	assert_true(vs_take_doorbell(&d, 0));
}

static void test_doorbell_coalescing(void **state)
{
	struct vs_dev d;
	uint8_t b[2048] = {0};

	bring_up(&d);
	assert_true(vs_take_doorbell(&d, 0)); /* the handshake's */
	assert_false(vs_take_doorbell(&d, 0));
	/* A short message: no doorbell until it waited max_delay (1000 ticks here). */
	assert_true(vs_rx_space(&d, 0) > 10);
	vs_rx_put(&d, 0, b, 10, 5000);
	assert_false(vs_take_doorbell(&d, 5500));
	assert_true(vs_take_doorbell(&d, 6000));
	assert_false(vs_take_doorbell(&d, 9000));
	/* A byte stamped after the time asked about has not waited (no unsigned wrap). */
	assert_true(vs_rx_space(&d, 0) > 10);
	vs_rx_put(&d, 0, b, 10, 20000);
	assert_false(vs_take_doorbell(&d, 19990));
	assert_true(vs_take_doorbell(&d, 21000));
	/* Crossing the threshold (1024) rings at once. */
	assert_true(vs_rx_space(&d, 1) > 2000);
	vs_rx_put(&d, 1, b, 1000, 7000);
	assert_false(vs_take_doorbell(&d, 7001));
	vs_rx_space(&d, 1);
	vs_rx_put(&d, 1, b, 100, 7002);
	assert_true(vs_take_doorbell(&d, 7003));
}

/* The tty side's flag word (tandem/abi/vserial.h: doorbell suppression). */
static void tty_polling(bool on)
{
	hdr()->tty.flags = on ? TANDEM_VSERIAL_SIDE_POLLING : 0;
}

static void test_doorbell_suppression(void **state)
{
	struct vs_dev d;
	uint8_t b[2048] = {0};

	bring_up(&d);
	assert_true(vs_take_doorbell(&d, 0)); /* the handshake's */
	/* The tty side polls: the max-delay doorbell is dropped, the bytes count as signalled. */
	tty_polling(true);
	vs_rx_space(&d, 0);
	vs_rx_put(&d, 0, b, 10, 5000);
	assert_false(vs_take_doorbell(&d, 5500));
	assert_int_equal(d.suppressed, 0); /* not due yet: the flag was not even needed */
	assert_false(vs_take_doorbell(&d, 6000));
	assert_int_equal(d.suppressed, 1);
	assert_false(vs_take_doorbell(&d, 9000)); /* and not rung later either */
	assert_int_equal(d.suppressed, 1);
	assert_int_equal(d.doorbells, 1);
	/* A threshold crossing (1024) still rings while the tty side polls. */
	vs_rx_space(&d, 1);
	vs_rx_put(&d, 1, b, 1100, 9100);
	assert_true(vs_take_doorbell(&d, 9101));
	/* A line-settings ack still rings. */
	desc(&d, 2)->line_req.baud = 9600;
	desc(&d, 2)->line_req.data_bits = 8;
	desc(&d, 2)->line_req.stop_bits = 1;
	desc(&d, 2)->line_req.seq = 1;
	assert_false(vs_dev_sync(&d));
	assert_true(vs_take_doorbell(&d, 9200));
	/* Polling over: the max delay rings again. */
	tty_polling(false);
	vs_rx_space(&d, 0);
	vs_rx_put(&d, 0, b, 10, 10000);
	assert_false(vs_take_doorbell(&d, 10500));
	assert_true(vs_take_doorbell(&d, 11000));
	assert_int_equal(d.suppressed, 1);
}

/*
 * No lost wake-up when the tty side leaves polling, whichever way the two sides interleave
 * (sequentially consistent here: both sides put a full barrier between their store and load).
 * tty: clear the flag, then look at the RX prod; dev: publish prod, then (when due) look at the
 * flag. In every order either the tty side's re-check sees the bytes or the dev side rings.
 */
static void test_suppression_no_lost_wakeup(void **state)
{
	uint8_t b[16] = {0};

	teardown(NULL); /* each order gets a fresh region */
	for (unsigned order = 0; order < 3; order++) {
		struct vs_dev d;
		bool rang = false, seen = false;
		uint32_t prod;

		setup(NULL);
		bring_up(&d);
		assert_true(vs_take_doorbell(&d, 0));
		tty_polling(true);
		prod = desc(&d, 3)->rx.prod;
		/* order 0: the tty leaves polling first; 1: the dev side publishes first and
		 * decides after the tty left; 2: the dev side publishes and decides first. */
		if (order == 0)
			tty_polling(false);
		vs_rx_space(&d, 3);
		vs_rx_put(&d, 3, b, sizeof(b), 100);
		if (order == 2)
			rang = vs_take_doorbell(&d, 2000);
		if (order != 0)
			tty_polling(false);
		seen = desc(&d, 3)->rx.prod != prod; /* the tty side's re-check */
		if (order != 2)
			rang = vs_take_doorbell(&d, 2000);
		assert_true(rang || seen);
		/* Where the dev side saw the flag clear it rang: the bytes were not left behind. */
		assert_int_equal(rang, order != 2);
		teardown(NULL);
	}
	setup(NULL); /* for the teardown of this test */
}

static void test_line_request(void **state)
{
	struct vs_dev d;
	struct tandem_vserial_port *pd;

	bring_up(&d);
	pd = desc(&d, 7);
	pd->line_req = (struct tandem_vserial_line){.seq = 1,
						    .baud = 9600,
						    .data_bits = 7,
						    .parity = TANDEM_VSERIAL_PARITY_EVEN,
						    .stop_bits = 2};
	vs_dev_sync(&d);
	assert_int_equal(applied_port, 7);
	assert_int_equal(applied.baud, 9600);
	assert_int_equal(applied.data_bits, 7);
	assert_int_equal(pd->line_ack.seq, 1);
	assert_int_equal(pd->line_ack.status, TANDEM_VSERIAL_LINE_OK);
	assert_int_equal(pd->line_ack.baud, 9600);
	assert_int_equal(pd->line_ack.parity, TANDEM_VSERIAL_PARITY_EVEN);
	/* Too fast for a 16550, or out of range: refused, the settings in force reported. */
	pd->line_req.baud = 4000000;
	pd->line_req.seq = 2;
	vs_dev_sync(&d);
	assert_int_equal(pd->line_ack.seq, 2);
	assert_int_equal(pd->line_ack.status, TANDEM_VSERIAL_LINE_REJECTED);
	assert_int_equal(pd->line_ack.baud, 9600);
	pd->line_req.baud = 9600;
	pd->line_req.data_bits = 9;
	pd->line_req.seq = 3;
	vs_dev_sync(&d);
	assert_int_equal(pd->line_ack.status, TANDEM_VSERIAL_LINE_REJECTED);
	assert_int_equal(d.line_rejected, 2);
}

static void test_resync_on_linux_restart(void **state)
{
	struct vs_dev d;
	uint32_t epoch;

	bring_up(&d);
	epoch = d.epoch;
	chan()->link[1] = TANDEM_CHANNEL_LINK_UP | 2U << TANDEM_CHANNEL_LINK_GENERATION_SHIFT;
	/* Linux's old words still say "in sync": the new generation overrides them. */
	assert_false(vs_dev_sync(&d));
	assert_false(d.live);
	assert_int_not_equal(d.epoch, epoch);
	assert_false(vs_dev_sync(&d));
	assert_int_equal(vs_rx_space(&d, 0), 0);
	tty_attach(); /* the new driver instance */
	vs_dev_sync(&d);
	tty_follow(&d);
	assert_true(vs_dev_sync(&d));
	/* Link down (Linux stopped): nothing flows. */
	chan()->link[1] &= ~TANDEM_CHANNEL_LINK_UP;
	vs_dev_sync(&d);
	assert_false(d.live);
	assert_int_equal(vs_rx_space(&d, 0), 0);
}

static void test_hostile_tty(void **state)
{
	struct vs_dev d;
	uint8_t buf[64] = {0};
	uint64_t x = 88172645463325252ULL;

	bring_up(&d);
	/* A consumer index far ahead of the producer: counted, the ring emptied. */
	desc(&d, 2)->rx.cons = 0x80000000U;
	assert_int_equal(vs_rx_space(&d, 2), 4095);
	assert_int_equal(d.corrupt, 1);
	assert_int_equal(hdr()->dev.corrupt, 1);
	assert_int_equal(desc(&d, 2)->rx.prod, 0x80000000U);
	assert_int_equal(d.last_corruption.port, 2);
	/* A producer index too far ahead. */
	desc(&d, 4)->tx.prod = 5000;
	assert_int_equal(vs_tx_get(&d, 4, buf, sizeof(buf)), 0);
	assert_int_equal(d.corrupt, 2);
	assert_int_equal(desc(&d, 4)->tx.cons, 5000);
	assert_false(vs_tx_pending(&d, 4));
	/* Garbage everywhere the tty writes, many times over: nothing outside the region is
	 * touched (ASan), the dev side stays usable. */
	for (unsigned round = 0; round < 2000; round++) {
		unsigned p = (unsigned)(x % PORTS);

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		desc(&d, p)->rx.cons = (uint32_t)x;
		desc(&d, p)->tx.prod = (uint32_t)(x >> 32);
		desc(&d, p)->tx.prod_flags = (uint32_t)(x >> 7);
		if (vs_rx_space(&d, p))
			vs_rx_put(&d, p, buf, 1, round);
		while (vs_tx_get(&d, p, buf, sizeof(buf)))
			;
	}
	assert_true(d.live);
	assert_true(d.corrupt > 100);
}

static void test_dev_scribble(void **state)
{
	struct vs_dev d;
	uint32_t cons, fill;
	unsigned bad = 0;

	bring_up(&d);
	vs_scribble(&d, 40, 12345);
	/* What a tty side finds afterwards: RX indices that fail validation. */
	for (unsigned p = 0; p < PORTS; p++)
		bad += !tandem_vserial_ring_fill(desc(&d, p)->rx.prod, desc(&d, p)->rx.cons, 4096,
						 &fill);
	assert_true(bad > 0);
	/* The tty side adopts the garbage (cons = prod); the dev side then finds its own prod
	 * out of step, counts it and resynchronises the ring: data flows again. */
	for (unsigned p = 0; p < PORTS; p++)
		desc(&d, p)->rx.cons = desc(&d, p)->rx.prod;
	for (unsigned p = 0; p < PORTS; p++) {
		uint8_t b = 0x5a, got = 0;

		assert_true(vs_rx_space(&d, p) > 0);
		vs_rx_put(&d, p, &b, 1, 1);
		cons = desc(&d, p)->rx.cons;
		assert_int_equal(desc(&d, p)->rx.prod, cons + 1);
		assert_int_equal(tty_read(&d, p, &got, 1), 1);
		assert_int_equal(got, 0x5a);
	}
}

/*
 * The inline span's fast path runs only while the rings live and no WANT_SPACE waits to be
 * cleared (rx_fast): whatever stops the rings (the link down, a corruption found while the tty
 * side resynchronises, a reset) stops the fast path too, even with a valid index in the ring;
 * a full ring sets WANT_SPACE, and the first span after the tty side freed space clears it.
 */
static void test_rx_span_gated(void **state)
{
	struct vs_dev d;
	unsigned room = 1;
	uint32_t prod;
	uint8_t *dst;

	assert_null(vs_dev_init(&d, region, SIZE, 0, PORTS, 0, 0, 1000, TPS, apply_line));
	(void)vs_rx_span(&d, 0, &room);
	assert_int_equal(room, 0); /* nothing flows before the handshake */
	(void)vs_rx_span(&d, PORTS + 3 < VS_MAX_PORTS ? PORTS + 3 : 0, &room);
	assert_int_equal(room, 0);
	bring_up(&d);
	(void)vs_rx_span(&d, 0, &room);
	assert_int_equal(room, 4095);
	/* Link down (Linux stopped): no room, though rx.cons is as valid as before. */
	chan()->link[1] &= ~TANDEM_CHANNEL_LINK_UP;
	vs_dev_sync(&d);
	assert_false(d.live);
	(void)vs_rx_span(&d, 0, &room);
	assert_int_equal(room, 0);
	chan()->link[1] |= TANDEM_CHANNEL_LINK_UP;
	assert_true(vs_dev_sync(&d));
	(void)vs_rx_span(&d, 0, &room);
	assert_int_equal(room, 4095);
	/* The tty side starts resynchronising (state cleared) and its index is garbage: not
	 * corruption, the rings stop; a valid index afterwards still gets no room. */
	hdr()->tty.state = 0;
	desc(&d, 1)->rx.cons = 0x12345678U;
	(void)vs_rx_span(&d, 1, &room);
	assert_int_equal(room, 0);
	assert_int_equal(d.corrupt, 0);
	assert_false(d.live);
	desc(&d, 1)->rx.cons = d.port[1].rx_prod;
	prod = desc(&d, 2)->rx.prod;
	(void)vs_rx_span(&d, 2, &room);
	assert_int_equal(room, 0);
	assert_int_equal(desc(&d, 2)->rx.prod, prod);
	hdr()->tty.state = TANDEM_VSERIAL_READY;
	assert_true(vs_dev_sync(&d));
	/* Fill port 3 to the brim: WANT_SPACE set, no room; the tty side reads 100 bytes: the
	 * next span has room and clears the flag. */
	for (;;) {
		dst = vs_rx_span(&d, 3, &room);
		if (!room)
			break;
		memset(dst, 'x', room);
		vs_rx_commit(&d, 3, room, 5);
	}
	assert_true(desc(&d, 3)->rx.prod_flags & TANDEM_VSERIAL_WANT_SPACE);
	(void)vs_rx_span(&d, 3, &room);
	assert_int_equal(room, 0);
	desc(&d, 3)->rx.cons += 100;
	dst = vs_rx_span(&d, 3, &room);
	assert_int_equal(room, 1); /* 100 free, 1 of them before the ring's end */
	assert_false(desc(&d, 3)->rx.prod_flags & TANDEM_VSERIAL_WANT_SPACE);
	assert_true(dst >= region + tandem_vserial_ring_offset(&d.lay, 3, TANDEM_VSERIAL_RX) &&
		    dst + room <= region +
				      tandem_vserial_ring_offset(&d.lay, 3, TANDEM_VSERIAL_RX) +
				      d.lay.ring_size);
	assert_int_equal(d.corrupt, 0);
}

/* A port beyond the layout's (fewer ports than VS_MAX_PORTS) never gets room from the inline
 * span, and the span reads nothing outside the region (its descriptor is a private one). */
static void test_rx_span_beyond_layout(void **state)
{
	struct vs_dev d;
	unsigned room = 1;

	assert_null(vs_dev_init(&d, region, SIZE, 0, 4, 0, 0, 1000, TPS, apply_line));
	tty_attach();
	assert_false(vs_dev_sync(&d));
	tty_follow(&d);
	assert_true(vs_dev_sync(&d));
	(void)vs_rx_span(&d, 3, &room);
	assert_true(room > 0);
	for (unsigned p = 4; p < VS_MAX_PORTS; p++) {
		d.unused.rx.cons = p * 1000; /* whatever it holds */
		(void)vs_rx_span(&d, p, &room);
		assert_int_equal(room, 0);
	}
	assert_int_equal(d.corrupt, 0);
}

/* The TTU's split commit: published bytes start the max-delay clock only once stamped (once
 * per pass), the stamp of the first unsignalled bytes is kept, a crossing rings at once. */
static void test_rx_publish_and_stamp(void **state)
{
	struct vs_dev d;
	unsigned room;
	uint8_t *dst;

	bring_up(&d);
	assert_true(vs_take_doorbell(&d, 0)); /* the handshake's */
	dst = vs_rx_span(&d, 4, &room);
	memset(dst, 'p', 16);
	vs_rx_publish(&d, 4, 16);
	assert_false(vs_take_doorbell(&d, 100000)); /* not stamped: no max-delay clock */
	vs_rx_stamp(&d, 2000);
	vs_rx_stamp(&d, 2500); /* later bytes: the first stamp stands */
	assert_false(vs_doorbell_maybe(&d, 2999));
	assert_false(vs_take_doorbell(&d, 2999));
	assert_true(vs_doorbell_maybe(&d, 3000));
	assert_true(vs_take_doorbell(&d, 3000));
	assert_false(vs_doorbell_maybe(&d, 1000000));
	/* A crossing (1024) makes the doorbell due without any stamp. */
	dst = vs_rx_span(&d, 5, &room);
	memset(dst, 'q', 1100);
	vs_rx_publish(&d, 5, 1100);
	assert_true(vs_doorbell_maybe(&d, 0));
	assert_true(vs_take_doorbell(&d, 0));
	assert_int_equal(desc(&d, 5)->rx.prod, 1100);
}

/*
 * vs_rx_span_max(), the TTU's span: at most max bytes, the ring's end and a full ring respected,
 * a stream through the index wrap intact; a not-live ring and every corrupt index (also one
 * whose fill would wrap a 32-bit sum past the test) go the slow way.
 */
static void test_rx_span_max(void **state)
{
	struct vs_dev d;
	static uint8_t sent[30000], got[30000];
	unsigned in = 0, out = 0, room, step = 0;
	const uint8_t *lo, *hi;
	uint8_t *dst;

	assert_null(vs_dev_init(&d, region, SIZE, 0, PORTS, 0, 0, 1000, TPS, apply_line));
	(void)vs_rx_span_max(&d, 0, 16, &room);
	assert_int_equal(room, 0); /* not live */
	bring_up(&d);
	lo = region + tandem_vserial_ring_offset(&d.lay, 6, TANDEM_VSERIAL_RX);
	hi = lo + d.lay.ring_size;
	dst = vs_rx_span_max(&d, 6, 16, &room);
	assert_int_equal(room, 16);
	assert_ptr_equal(dst, lo);
	for (unsigned k = 0; k < sizeof(sent); k++)
		sent[k] = (uint8_t)(k * 31 + k / 509);
	desc(&d, 6)->rx.cons = 0xfffff9f3U; /* near the index wrap, an odd ring position */
	d.port[6].rx_prod = 0xfffff9f3U;
	while (out < sizeof(sent)) {
		unsigned n;

		dst = vs_rx_span_max(&d, 6, 16, &room);
		n = room < 1 + step % 16 ? room : 1 + step % 16;
		step++;
		assert_true(room <= 16);
		if (in + n > sizeof(sent))
			n = sizeof(sent) - in;
		if (room)
			assert_true(dst >= lo && dst + room <= hi);
		memcpy(dst, sent + in, n);
		if (n)
			vs_rx_publish(&d, 6, n);
		in += n;
		if (step % 300 == 0 || !room || in == sizeof(sent))
			out += tty_read(&d, 6, got + out, 5000);
	}
	assert_memory_equal(sent, got, sizeof(sent));
	/* 10 bytes before the ring's end: 10 of room. */
	desc(&d, 7)->rx.cons = d.port[7].rx_prod = d.lay.ring_size - 10;
	(void)vs_rx_span_max(&d, 7, 16, &room);
	assert_int_equal(room, 10);
	/* Corrupt consumer indices: a fill of 0xfffffff0 (+ 16 wraps 32 bits to 0), and beyond. */
	assert_int_equal(d.corrupt, 0);
	desc(&d, 8)->rx.cons = d.port[8].rx_prod + 16;
	dst = vs_rx_span_max(&d, 8, 16, &room);
	assert_int_equal(d.corrupt, 1);
	assert_true(room > 0 && room <= 16);
	assert_true(dst >= region + tandem_vserial_ring_offset(&d.lay, 8, TANDEM_VSERIAL_RX) &&
		    dst + room <= region +
				      tandem_vserial_ring_offset(&d.lay, 8, TANDEM_VSERIAL_RX) +
				      d.lay.ring_size);
	desc(&d, 9)->rx.cons = d.port[9].rx_prod + 0x12345;
	(void)vs_rx_span_max(&d, 9, 16, &room);
	assert_int_equal(d.corrupt, 2);
	/* Full: no room, WANT_SPACE asked. */
	desc(&d, 10)->rx.cons = d.port[10].rx_prod - (d.lay.ring_size - 1);
	(void)vs_rx_span_max(&d, 10, 16, &room);
	assert_int_equal(room, 0);
	assert_true(desc(&d, 10)->rx.prod_flags & TANDEM_VSERIAL_WANT_SPACE);
	assert_int_equal(d.corrupt, 2);
}

/* vs_rx_bytes(): every byte produced, also across a corrupt ring's reset and Linux's restart. */
static void test_rx_bytes(void **state)
{
	struct vs_dev d;
	unsigned room;
	uint8_t *dst;

	bring_up(&d);
	for (unsigned k = 0; k < 10; k++) {
		dst = vs_rx_span(&d, 7, &room);
		assert_true(room >= 300);
		memset(dst, k, 300);
		vs_rx_commit(&d, 7, 300, 1);
		desc(&d, 7)->rx.cons = d.port[7].rx_prod;
	}
	assert_int_equal(vs_rx_bytes(&d, 7), 3000);
	desc(&d, 7)->rx.cons = d.port[7].rx_prod + 99999; /* corrupt: the ring emptied */
	dst = vs_rx_span(&d, 7, &room);
	assert_int_equal(d.corrupt, 1);
	assert_true(room >= 10);
	memset(dst, 'z', 10);
	vs_rx_commit(&d, 7, 10, 1);
	assert_int_equal(vs_rx_bytes(&d, 7), 3010);
	vs_dev_sync(&d); /* the line requests' look brings the count up to date */
	chan()->link[1] = TANDEM_CHANNEL_LINK_UP | 2U << TANDEM_CHANNEL_LINK_GENERATION_SHIFT;
	assert_false(vs_dev_sync(&d)); /* Linux restarted: every dev word reset */
	assert_int_equal(d.port[7].rx_prod, 0);
	assert_int_equal(vs_rx_bytes(&d, 7), 3010);
	assert_int_equal(vs_rx_bytes(&d, 8), 0);
}

/* vs_doorbell_maybe() says no only where vs_take_doorbell() would say no and change nothing. */
static void test_doorbell_maybe(void **state)
{
	struct vs_dev d, copy;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	unsigned maybes = 0, rung = 0;

	bring_up(&d);
	for (unsigned round = 0; round < 20000; round++) {
		uint64_t now;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d.notify = (x & 7) == 0;
		vs_set_unsignalled(&d, (x >> 3) & 1 ? 0 : (x >> 8) % 5000);
		now = (x >> 24) % 6000;
		tty_polling((x >> 4) & 1);
		copy = d;
		if (!vs_doorbell_maybe(&d, now)) {
			assert_false(vs_take_doorbell(&copy, now));
			assert_memory_equal(&copy, &d, sizeof(d));
		} else {
			maybes++;
			rung += vs_take_doorbell(&copy, now);
		}
	}
	assert_true(maybes > 1000 && rung > 500 && rung < maybes); /* both ways, suppression */
	tty_polling(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_stream_and_backpressure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_span_stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_span_threshold_and_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_span, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_doorbell_coalescing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_doorbell_suppression, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_suppression_no_lost_wakeup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_line_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resync_on_linux_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_tty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dev_scribble, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_span_gated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_span_beyond_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_publish_and_stamp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_span_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_doorbell_maybe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
