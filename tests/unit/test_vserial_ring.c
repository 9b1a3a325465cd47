/* unit-sources: */
/*
 * The vserial ring ABI's helpers (hypervisor/include/tandem/abi/vserial.h, header-only: the RTOS
 * and the Linux module compile the same inline functions): the layout for N ports, the tty side's
 * acceptance of a dev-written header, index validation across the 2^32 wrap, coalescing and line
 * settings, and a producer/consumer pair over a region exactly region_size bytes long (ASan
 * catches any access outside it) whose peer scribbles over the indices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tandem/abi/vserial.h>

#define KIB	   1024U
#define CHAN_HDR   64U /* the channel header: the vserial header sits at its payload_offset */
#define TTU_REGION (256U * KIB)
#define TTU_PORTS  32U
#define PAGE	   4096U
#define NR_REGIONS 64U /* region sizes tried: 1 .. NR_REGIONS pages, then a few large ones */
#define STREAM_LEN (40U * KIB)

static void test_struct_layout(void **state)
{
	/* The ABI's offsets, as the RTOS and Linux see them: fixed for version 1. */
	assert_int_equal(offsetof(struct tandem_vserial_header, nr_ports), 8);
	assert_int_equal(offsetof(struct tandem_vserial_header, data_offset), 24);
	assert_int_equal(offsetof(struct tandem_vserial_header, dev), 64);
	assert_int_equal(offsetof(struct tandem_vserial_header, tty), 128);
	assert_int_equal(offsetof(struct tandem_vserial_side, corrupt), 12);
	/* side.flags took the first reserved word: a tty side older than it wrote 0 there. */
	assert_int_equal(offsetof(struct tandem_vserial_side, flags), 20);
	assert_int_equal(offsetof(struct tandem_vserial_side, reserved), 24);
	assert_int_equal(offsetof(struct tandem_vserial_port, tx), 32);
	assert_int_equal(offsetof(struct tandem_vserial_port, line_req), 64);
	assert_int_equal(offsetof(struct tandem_vserial_port, line_ack), 80);
	assert_int_equal(offsetof(struct tandem_vserial_port, tty_ctrl), 96);
	assert_int_equal(offsetof(struct tandem_vserial_port, dev_overruns), 104);
	assert_int_equal(offsetof(struct tandem_vserial_line, data_bits), 8);
	assert_int_equal(offsetof(struct tandem_vserial_line, status), 11);
}

static void test_layout_ttu(void **state)
{
	struct tandem_vserial_layout l;

	/* The TTU's 32 ports in 256 KiB: 256 + 32 * 128 bytes of descriptors, then 64 rings. */
	assert_true(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, TTU_PORTS, 0, &l));
	assert_int_equal(l.header_offset, 64);
	assert_int_equal(l.ports_offset, 256);
	assert_int_equal(l.data_offset, 256 + 32 * 128);
	assert_int_equal(l.ring_size, 2048);
	assert_int_equal(tandem_vserial_port_offset(&l, 31), 256 + 31 * 128);
	assert_int_equal(tandem_vserial_ring_offset(&l, 0, TANDEM_VSERIAL_RX), l.data_offset);
	assert_int_equal(tandem_vserial_ring_offset(&l, 0, TANDEM_VSERIAL_TX),
			 l.data_offset + 2048);
	assert_int_equal(tandem_vserial_ring_offset(&l, 31, TANDEM_VSERIAL_TX),
			 l.data_offset + 63 * 2048);
	/* A smaller ring on request; one that does not fit is refused. */
	assert_true(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, TTU_PORTS, 512, &l));
	assert_int_equal(l.ring_size, 512);
	assert_false(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, TTU_PORTS, 4096, &l));
	/* One port in a big region: capped at RING_MAX. */
	assert_true(tandem_vserial_layout_compute(1U << 20, CHAN_HDR, 1, 0, &l));
	assert_int_equal(l.ring_size, TANDEM_VSERIAL_RING_MAX);
}

static void test_layout_refusals(void **state)
{
	struct tandem_vserial_layout l;

	memset(&l, 0x5a, sizeof(l));
	assert_false(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, 0, 0, &l));
	assert_false(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR,
						   TANDEM_VSERIAL_MAX_PORTS + 1, 0, &l));
	assert_false(tandem_vserial_layout_compute(TTU_REGION, 65, TTU_PORTS, 0, &l));
	assert_false(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, TTU_PORTS, 1000, &l));
	assert_false(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, TTU_PORTS, 32, &l));
	assert_false(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, 1, 1U << 17, &l));
	/* 32 ports need 4352 bytes of headers plus 64 rings of at least 64 bytes. */
	assert_false(tandem_vserial_layout_compute(PAGE, CHAN_HDR, TTU_PORTS, 0, &l));
	assert_false(tandem_vserial_layout_compute(4352 + 64 * 64 - 1, CHAN_HDR, TTU_PORTS, 0, &l));
	assert_true(tandem_vserial_layout_compute(4352 + 64 * 64, CHAN_HDR, TTU_PORTS, 0, &l));
	assert_int_equal(l.ring_size, 64);
	/* A header offset near 4 GiB must not wrap the arithmetic into a "fitting" layout. */
	assert_false(tandem_vserial_layout_compute(0xffffffffU, 0xffffffc0U, 1, 0, &l));
	assert_false(tandem_vserial_layout_compute(0, CHAN_HDR, 1, 0, &l));
}

/* Every computed layout, over many region sizes and port counts, stays inside its region. */
static void test_layout_properties(void **state)
{
	static const uint32_t large[] = {1U << 20, 3U << 20, 0xfffff000U};
	unsigned fits = 0;

	for (uint32_t i = 0; i < NR_REGIONS + 3; i++) {
		uint32_t region = i < NR_REGIONS ? (i + 1) * PAGE : large[i - NR_REGIONS];

		for (uint32_t n = 1; n <= TANDEM_VSERIAL_MAX_PORTS; n++) {
			struct tandem_vserial_layout l;
			uint64_t end;

			if (!tandem_vserial_layout_compute(region, CHAN_HDR, n, 0, &l))
				continue;
			fits++;
			end = (uint64_t)l.data_offset + 2ULL * n * l.ring_size;
			assert_true(tandem_vserial_is_pow2(l.ring_size));
			assert_in_range(l.ring_size, TANDEM_VSERIAL_RING_MIN,
					TANDEM_VSERIAL_RING_MAX);
			assert_int_equal(l.data_offset % TANDEM_VSERIAL_ALIGN, 0);
			assert_true(l.ports_offset >=
				    CHAN_HDR + sizeof(struct tandem_vserial_header));
			assert_true(l.data_offset >= tandem_vserial_port_offset(&l, n - 1) +
							 sizeof(struct tandem_vserial_port));
			assert_true(end <= region);
			/* The largest ring that fits: twice as much would not (or the cap). */
			assert_true(l.ring_size == TANDEM_VSERIAL_RING_MAX ||
				    (uint64_t)l.data_offset + 4ULL * n * l.ring_size > region);
			assert_int_equal(tandem_vserial_ring_offset(&l, n - 1, TANDEM_VSERIAL_TX) +
					     l.ring_size,
					 end);
		}
	}
	assert_true(fits > 1000); /* the loop did test something */
}

/* A vserial header as the dev side writes it for layout l. */
static void dev_header(struct tandem_vserial_header *h, const struct tandem_vserial_layout *l)
{
	memset(h, 0, sizeof(*h));
	h->magic = TANDEM_VSERIAL_MAGIC;
	h->version = TANDEM_VSERIAL_VERSION;
	h->nr_ports = l->nr_ports;
	h->ring_size = l->ring_size;
	h->region_size = l->region_size;
	h->ports_offset = l->ports_offset;
	h->data_offset = l->data_offset;
}

static void test_layout_check(void **state)
{
	struct tandem_vserial_layout dev, tty;
	struct tandem_vserial_header h, bad;

	assert_true(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, TTU_PORTS, 1024, &dev));
	dev_header(&h, &dev);
	assert_true(tandem_vserial_layout_check(&h, TTU_REGION, CHAN_HDR, &tty));
	assert_memory_equal(&dev, &tty, sizeof(dev));

	/* Each layout word the dev side could get wrong (or a hostile one scribble) is refused. */
	for (unsigned field = 0; field < 7; field++) {
		for (uint32_t delta = 1; delta != 0; delta <<= 4) {
			uint32_t *w;

			bad = h;
			w = &bad.magic + field;
			*w += delta;
			memset(&tty, 0, sizeof(tty));
			assert_false(tandem_vserial_layout_check(&bad, TTU_REGION, CHAN_HDR, &tty));
			assert_int_equal(tty.ring_size, 0); /* nothing filled in */
		}
	}
	bad = h;
	bad.nr_ports = TANDEM_VSERIAL_MAX_PORTS + 1;
	assert_false(tandem_vserial_layout_check(&bad, TTU_REGION, CHAN_HDR, &tty));
	bad = h;
	bad.ring_size = 0; /* "pick the largest" is the dev side's choice, not a header value */
	assert_false(tandem_vserial_layout_check(&bad, TTU_REGION, CHAN_HDR, &tty));
	/* The same header does not pass for a smaller region (the channel's own size field). */
	assert_false(tandem_vserial_layout_check(&h, TTU_REGION / 2, CHAN_HDR, &tty));
}

static void test_ring_desc_check(void **state)
{
	struct tandem_vserial_layout l;
	struct tandem_vserial_ring r = {0}, bad;

	assert_true(tandem_vserial_layout_compute(TTU_REGION, CHAN_HDR, TTU_PORTS, 0, &l));
	r.size = l.ring_size;
	r.data_offset = tandem_vserial_ring_offset(&l, 7, TANDEM_VSERIAL_TX);
	r.threshold = 256;
	r.max_delay_us = 2000;
	assert_true(tandem_vserial_ring_desc_check(&l, 7, TANDEM_VSERIAL_TX, &r));
	assert_false(tandem_vserial_ring_desc_check(&l, 7, TANDEM_VSERIAL_RX, &r));
	assert_false(tandem_vserial_ring_desc_check(&l, 6, TANDEM_VSERIAL_TX, &r));
	assert_false(tandem_vserial_ring_desc_check(&l, TTU_PORTS, TANDEM_VSERIAL_TX, &r));
	bad = r;
	bad.size = l.ring_size * 2;
	assert_false(tandem_vserial_ring_desc_check(&l, 7, TANDEM_VSERIAL_TX, &bad));
	bad = r;
	bad.threshold = l.ring_size + 1;
	assert_false(tandem_vserial_ring_desc_check(&l, 7, TANDEM_VSERIAL_TX, &bad));
	bad = r;
	bad.max_delay_us = TANDEM_VSERIAL_MAX_DELAY_US + 1;
	assert_false(tandem_vserial_ring_desc_check(&l, 7, TANDEM_VSERIAL_TX, &bad));
}

static void test_ring_fill(void **state)
{
	uint32_t fill = 12345;

	assert_true(tandem_vserial_ring_fill(100, 100, 2048, &fill));
	assert_int_equal(fill, 0);
	assert_true(tandem_vserial_ring_fill(2148, 100, 2048, &fill));
	assert_int_equal(fill, 2048);
	fill = 12345;
	assert_false(tandem_vserial_ring_fill(2149, 100, 2048, &fill));
	assert_int_equal(fill, 12345); /* untouched on failure */
	/* Across the 2^32 wrap of the free-running indices. */
	assert_true(tandem_vserial_ring_fill(5, 0xfffffffeU, 2048, &fill));
	assert_int_equal(fill, 7);
	/* A producer index behind the consumer's is corrupt, however close. */
	assert_false(tandem_vserial_ring_fill(99, 100, 2048, &fill));
	assert_false(tandem_vserial_ring_fill(0xfffffffeU, 5, 2048, &fill));
}

static void test_contig_threshold_epoch(void **state)
{
	assert_int_equal(tandem_vserial_ring_contig(0, 64, 100), 64);
	assert_int_equal(tandem_vserial_ring_contig(60, 64, 100), 4);
	assert_int_equal(tandem_vserial_ring_contig(64 * 1000 + 10, 64, 3), 3);
	assert_int_equal(tandem_vserial_ring_contig(0xffffffffU, 64, 10), 1);

	assert_true(tandem_vserial_crossed_threshold(0, 1, 0));
	assert_true(tandem_vserial_crossed_threshold(0, 1, 1));
	assert_false(tandem_vserial_crossed_threshold(1, 2, 0));
	assert_false(tandem_vserial_crossed_threshold(10, 255, 256));
	assert_true(tandem_vserial_crossed_threshold(10, 256, 256));
	assert_true(tandem_vserial_crossed_threshold(255, 2048, 256));
	assert_false(tandem_vserial_crossed_threshold(256, 300, 256));

	assert_int_equal(tandem_vserial_next_epoch(0), 1);
	assert_int_equal(tandem_vserial_next_epoch(41), 42);
	assert_int_equal(tandem_vserial_next_epoch(0xffffffffU), 1);
}

static void test_line_valid(void **state)
{
	struct tandem_vserial_line ok = {.baud = 115200, .data_bits = 8, .stop_bits = 1}, l;

	assert_true(tandem_vserial_line_valid(&ok));
	l = ok;
	l.parity = TANDEM_VSERIAL_PARITY_SPACE;
	l.data_bits = 5;
	l.stop_bits = 2;
	l.baud = TANDEM_VSERIAL_BAUD_MIN;
	assert_true(tandem_vserial_line_valid(&l));
	l = ok;
	l.parity = TANDEM_VSERIAL_PARITY_SPACE + 1;
	assert_false(tandem_vserial_line_valid(&l));
	l = ok;
	l.data_bits = 9;
	assert_false(tandem_vserial_line_valid(&l));
	l = ok;
	l.data_bits = 4;
	assert_false(tandem_vserial_line_valid(&l));
	l = ok;
	l.stop_bits = 0;
	assert_false(tandem_vserial_line_valid(&l));
	l = ok;
	l.baud = TANDEM_VSERIAL_BAUD_MAX + 1;
	assert_false(tandem_vserial_line_valid(&l));
	l = ok;
	l.baud = 0;
	assert_false(tandem_vserial_line_valid(&l));
}

static void test_in_sync(void **state)
{
	struct tandem_vserial_side dev = {
	    .state = TANDEM_VSERIAL_READY, .epoch = 7, .peer_epoch = 3};
	struct tandem_vserial_side tty = {
	    .state = TANDEM_VSERIAL_READY, .epoch = 3, .peer_epoch = 7};
	struct tandem_vserial_side d, t;

	assert_true(tandem_vserial_in_sync(&dev, &tty));
	d = dev;
	d.state = 0; /* the dev side is resetting */
	assert_false(tandem_vserial_in_sync(&d, &tty));
	d = dev;
	d.epoch = 8; /* the dev side restarted: the tty side has not re-attached yet */
	assert_false(tandem_vserial_in_sync(&d, &tty));
	t = tty;
	t.epoch = 4; /* the tty side asked for a fresh start */
	assert_false(tandem_vserial_in_sync(&dev, &t));
	t = tty;
	t.state = TANDEM_VSERIAL_READY - 1;
	assert_false(tandem_vserial_in_sync(&dev, &t));
	/* A zeroed region is never in sync. */
	memset(&d, 0, sizeof(d));
	memset(&t, 0, sizeof(t));
	d.state = t.state = TANDEM_VSERIAL_READY;
	assert_false(tandem_vserial_in_sync(&d, &t));
}

/*
 * One ring over a heap region exactly region_size bytes long: the consumer follows the protocol
 * (validate the peer's index, copy through masked offsets from its own layout snapshot, reset on
 * corruption), so ASan reports any byte it touches outside the region.
 */
struct sim {
	uint8_t *region;
	struct tandem_vserial_layout layout;
	struct tandem_vserial_ring *ring; /* in the region */
	uint32_t ring_off;		  /* consumer's snapshot */
	uint32_t prod, cons;		  /* each side's private copy of the index it writes */
	unsigned corrupt;
};

static uint32_t sim_produce(struct sim *s, const uint8_t *src, uint32_t len)
{
	uint32_t fill = 0, done = 0, size = s->layout.ring_size;
	uint32_t cons = s->ring->cons;

	assert_true(tandem_vserial_ring_fill(s->prod, cons, size, &fill));
	len = len < size - fill ? len : size - fill;
	while (done < len) {
		uint32_t n = tandem_vserial_ring_contig(s->prod + done, size, len - done);

		memcpy(s->region + s->ring_off + ((s->prod + done) & (size - 1)), src + done, n);
		done += n;
	}
	s->prod += done;
	s->ring->prod = s->prod;
	return done;
}

static uint32_t sim_consume(struct sim *s, uint8_t *dst, uint32_t max)
{
	uint32_t fill = 0, done = 0, size = s->layout.ring_size;
	uint32_t prod = s->ring->prod; /* the peer's word: read once */

	if (!tandem_vserial_ring_fill(prod, s->cons, size, &fill)) {
		s->corrupt++;
		s->cons = prod; /* reset: adopt the peer's index, the ring is empty */
		s->ring->cons = s->cons;
		return 0;
	}
	fill = fill < max ? fill : max;
	while (done < fill) {
		uint32_t n = tandem_vserial_ring_contig(s->cons + done, size, fill - done);

		memcpy(dst + done, s->region + s->ring_off + ((s->cons + done) & (size - 1)), n);
		done += n;
	}
	s->cons += done;
	s->ring->cons = s->cons;
	return done;
}

static void sim_init(struct sim *s, uint32_t region_size, uint32_t nr_ports, uint32_t port,
		     uint32_t start_index)
{
	memset(s, 0, sizeof(*s));
	s->region = malloc(region_size);
	assert_non_null(s->region);
	memset(s->region, 0, region_size);
	assert_true(tandem_vserial_layout_compute(region_size, CHAN_HDR, nr_ports, 0, &s->layout));
	/* The last port's TX ring: the one that ends at the region's end when the layout is tight.
	 */
	s->ring = (struct tandem_vserial_ring *)(s->region +
						 tandem_vserial_port_offset(&s->layout, port) +
						 offsetof(struct tandem_vserial_port, tx));
	s->ring_off = tandem_vserial_ring_offset(&s->layout, port, TANDEM_VSERIAL_TX);
	s->prod = s->cons = start_index;
	s->ring->prod = s->ring->cons = start_index;
}

static void test_stream_through_wrap(void **state)
{
	static uint8_t sent[STREAM_LEN], got[STREAM_LEN];
	uint32_t region = 4352 + 64 * 128; /* 32 ports, 128-byte rings, nothing spare */
	uint32_t in = 0, out = 0, rounds = 0;
	struct sim s;

	for (uint32_t i = 0; i < STREAM_LEN; i++)
		sent[i] = (uint8_t)(i * 131 + (i >> 8));
	/* Start just below 2^32 so the stream crosses the indices' wrap. */
	sim_init(&s, region, TTU_PORTS, TTU_PORTS - 1, 0xffffff00U);
	assert_int_equal(s.layout.ring_size, 128);
	assert_int_equal(s.ring_off + s.layout.ring_size, region);
	while (out < STREAM_LEN && rounds++ < STREAM_LEN) {
		/* Odd chunk sizes so copies split at the ring's end in every way. */
		in += sim_produce(&s, sent + in, (STREAM_LEN - in) < 77 ? STREAM_LEN - in : 77);
		out += sim_consume(&s, got + out, 53);
	}
	assert_int_equal(out, STREAM_LEN);
	assert_memory_equal(sent, got, STREAM_LEN);
	assert_int_equal(s.corrupt, 0);
	assert_int_equal(s.prod, 0xffffff00U + STREAM_LEN);
	free(s.region);
}

static void test_hostile_producer(void **state)
{
	static const uint32_t scribbles[] = {0x80000000U, 0xffffffffU, 129, 0x7fffffffU, 12345678};
	uint32_t region = 4352 + 64 * 128;
	uint8_t buf[256];
	struct sim s;

	sim_init(&s, region, TTU_PORTS, TTU_PORTS - 1, 0);
	for (unsigned i = 0; i < sizeof(scribbles) / sizeof(scribbles[0]); i++) {
		uint32_t before = s.corrupt;

		s.ring->prod = s.cons + scribbles[i]; /* the peer scribbles over its index */
		assert_int_equal(sim_consume(&s, buf, sizeof(buf)), 0);
		assert_int_equal(s.corrupt, before + 1);
		/* Reset: the consumer adopted the peer's index, so the ring reads as empty. */
		assert_int_equal(s.ring->cons, s.ring->prod);
		assert_int_equal(sim_consume(&s, buf, sizeof(buf)), 0);
		assert_int_equal(s.corrupt, before + 1);
	}
	/* A producer that starts again from the consumer's index works as before. */
	s.prod = s.cons;
	assert_int_equal(sim_produce(&s, (const uint8_t *)"hello", 5), 5);
	assert_int_equal(sim_consume(&s, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	free(s.region);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_struct_layout),
	    cmocka_unit_test(test_layout_ttu),
	    cmocka_unit_test(test_layout_refusals),
	    cmocka_unit_test(test_layout_properties),
	    cmocka_unit_test(test_layout_check),
	    cmocka_unit_test(test_ring_desc_check),
	    cmocka_unit_test(test_ring_fill),
	    cmocka_unit_test(test_contig_threshold_epoch),
	    cmocka_unit_test(test_line_valid),
	    cmocka_unit_test(test_in_sync),
	    cmocka_unit_test(test_stream_through_wrap),
	    cmocka_unit_test(test_hostile_producer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
