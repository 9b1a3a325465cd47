/* unit-sources: guests/rtos/bench_config.c guests/rtos/bench_stats.c guests/rtos/bench_compute.c */
/* The RTOS's benchmark logic that needs no hardware: the bench words of the command line, the
 * sample summaries, and the compute kernel's CRC and determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../guests/rtos/bench.h"

static void test_parse_defaults(void **state)
{
	struct bench_config c;

	bench_parse("lat_hz=1000 console=ttyAMA0", &c);
	assert_int_equal(c.modes, 0);
	assert_int_equal(c.n, 1000);
	assert_int_equal(c.iters, 20);
	assert_int_equal(c.sgi_cpu, 1);
	bench_parse(NULL, &c);
	assert_int_equal(c.modes, 0);
	bench_parse("", &c);
	assert_int_equal(c.n, 1000);
}

static void test_parse_modes(void **state)
{
	struct bench_config c;

	bench_parse("lat=off bench=hvc,mmio bench_n=200", &c);
	assert_int_equal(c.modes, BENCH_HVC | BENCH_MMIO);
	assert_int_equal(c.n, 200);
	bench_parse("bench=sgi,compute,boot bench_iters=7 bench_sgi_cpu=3", &c);
	assert_int_equal(c.modes, BENCH_SGI | BENCH_COMPUTE | BENCH_BOOT);
	assert_int_equal(c.iters, 7);
	assert_int_equal(c.sgi_cpu, 3);
	/* Unknown names count for nothing; prefixes of names are not names. */
	bench_parse("bench=hv,nosuch,,mmio,", &c);
	assert_int_equal(c.modes, BENCH_MMIO);
	/* "benchmark=..." and "bench_nn=..." are other words. */
	bench_parse("benchmark=hvc bench_nn=5", &c);
	assert_int_equal(c.modes, 0);
	assert_int_equal(c.n, 1000);
}

static void test_parse_limits(void **state)
{
	struct bench_config c;

	bench_parse("bench=hvc bench_n=0 bench_iters=0", &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.iters, 1);
	bench_parse("bench_n=999999", &c);
	assert_int_equal(c.n, BENCH_N_MAX);
	bench_parse("bench_n=12x", &c); /* digits up to the first non-digit */
	assert_int_equal(c.n, 12);
}

static void test_summarise(void **state)
{
	uint32_t v[] = {9, 1, 7, 3, 5, 3};
	uint32_t one[] = {42};
	uint32_t big[3000];
	struct bench_stats s;

	bench_summarise(v, 6, &s);
	assert_int_equal(s.min, 1);
	assert_int_equal(s.med, 3); /* lower median of 1 3 3 5 7 9 */
	assert_int_equal(s.max, 9);
	assert_int_equal(s.avg, 28 / 6);
	for (unsigned i = 1; i < 6; i++)
		assert_true(v[i - 1] <= v[i]);
	bench_summarise(one, 1, &s);
	assert_int_equal(s.min, 42);
	assert_int_equal(s.med, 42);
	assert_int_equal(s.max, 42);
	for (unsigned i = 0; i < 3000; i++)
		big[i] = (i * 2654435761U) % 10007;
	bench_summarise(big, 3000, &s);
	for (unsigned i = 1; i < 3000; i++)
		assert_true(big[i - 1] <= big[i]);
	assert_int_equal(s.min, big[0]);
	assert_int_equal(s.med, big[1499]);
}

/* Buckets: exact below 16, then 8 per power of two, aligned, never straddling an octave. */
static void test_hist_buckets(void **state)
{
	struct bench_hist_bucket b;

	b = bench_hist_bucket_of(7);
	assert_int_equal(b.lo, 7);
	assert_int_equal(b.width, 1);
	b = bench_hist_bucket_of(15);
	assert_int_equal(b.lo, 15);
	assert_int_equal(b.width, 1);
	b = bench_hist_bucket_of(17);
	assert_int_equal(b.lo, 16);
	assert_int_equal(b.width, 2);
	b = bench_hist_bucket_of(810); /* octave 512..1023: width 64 */
	assert_int_equal(b.lo, 768);
	assert_int_equal(b.width, 64);
	b = bench_hist_bucket_of(1023);
	assert_int_equal(b.lo, 960);
	b = bench_hist_bucket_of(1024);
	assert_int_equal(b.lo, 1024);
	assert_int_equal(b.width, 128);
	b = bench_hist_bucket_of(UINT32_MAX);
	assert_int_equal(b.lo, 0xf0000000u);
	assert_int_equal(b.width, 0x10000000u);
	/* every value lies in its bucket, and the bucket's width is at most 1/8 of its start */
	for (uint32_t v = 0; v < 200000; v += 7) {
		b = bench_hist_bucket_of(v);
		assert_true(v >= b.lo && v - b.lo < b.width);
		assert_true(b.width == 1 || b.width * 8 <= b.lo);
		assert_int_equal(b.width & (b.width - 1), 0); /* a power of two ... */
		assert_int_equal(b.lo & (b.width - 1), 0);    /* ... that lo is aligned to */
	}
}

static void test_histogram(void **state)
{
	uint32_t v[] = {7, 7, 7, 704, 705, 767, 768, 810, 1397, 66424};
	struct bench_hist_bucket h[8];
	unsigned nr, total = 0;

	nr = bench_histogram(v, 10, h, 8);
	assert_int_equal(nr, 5);
	assert_int_equal(h[0].lo, 7);
	assert_int_equal(h[0].count, 3);
	assert_int_equal(h[1].lo, 704);
	assert_int_equal(h[1].count, 3); /* 704, 705, 767 */
	assert_int_equal(h[2].lo, 768);
	assert_int_equal(h[2].count, 2);
	assert_int_equal(h[3].lo, 1280);
	assert_int_equal(h[3].width, 128);
	assert_int_equal(h[4].lo, 65536);
	assert_int_equal(h[4].width, 8192);
	for (unsigned i = 0; i < nr; i++)
		total += h[i].count;
	assert_int_equal(total, 10);
	/* too small an output: the count of buckets is still right, only `max` are written */
	h[2].count = 12345;
	assert_int_equal(bench_histogram(v, 10, h, 2), 5);
	assert_int_equal(h[2].count, 12345);
	assert_int_equal(bench_histogram(v, 0, h, 8), 0);
}

static void test_crc16(void **state)
{
	/* CRC-16/ARC check value (the catalogue's "123456789"). */
	assert_int_equal(bench_crc16(0, "123456789", 9), 0xBB3D);
	assert_int_equal(bench_crc16(0, "", 0), 0);
	/* Continuing a CRC equals computing it over the concatenation. */
	assert_int_equal(bench_crc16(bench_crc16(0, "1234", 4), "56789", 5), 0xBB3D);
}

static void test_compute_deterministic(void **state)
{
	uint16_t a = bench_compute(3), b = bench_compute(3);

	assert_int_equal(a, b);
	assert_int_not_equal(bench_compute(1), bench_compute(2));
	/* The value the target prints for bench_iters=20 (bare, Tandem and Xen alike). */
	assert_int_equal(bench_compute(20), 0x915d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_defaults), cmocka_unit_test(test_parse_modes),
	    cmocka_unit_test(test_parse_limits),   cmocka_unit_test(test_summarise),
	    cmocka_unit_test(test_hist_buckets),   cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_crc16),	   cmocka_unit_test(test_compute_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
