/*
 * Benchmark modes for the side-by-side comparison (tools/bench): each selected by the command
 * line (bench=hvc,mmio,sgi,compute,boot) and each printing one parseable BENCH line, so the same
 * image measures bare metal, Tandem and Xen. bench_config.c, bench_stats.c and bench_compute.c
 * are pure C (host unit tests: tests/unit/test_rtos_bench.c); bench.c drives the hardware.
 */
#ifndef RTOS_BENCH_H
#define RTOS_BENCH_H

#include <stdint.h>

struct platform;

#define BENCH_HVC     (1U << 0) /* null hypercall round trip: SMCCC_VERSION through HVC #0 */
#define BENCH_MMIO    (1U << 1) /* emulated MMIO round trip: a GIC distributor register read */
#define BENCH_SGI     (1U << 2) /* SGI cpu0 -> cpu1: delivery and round trip */
#define BENCH_COMPUTE (1U << 3) /* the CoreMark-style kernel, with EL2 entries read from Tandem */
#define BENCH_BOOT    (1U << 4) /* the physical counter at the image's first instruction */

#define BENCH_N_MAX 4096

struct bench_config {
	unsigned modes; /* BENCH_* */
	unsigned n;	/* bench_n=N: samples per measurement (default 1000, at most BENCH_N_MAX) */
	unsigned iters; /* bench_iters=N: compute kernel iterations (default 20) */
	unsigned sgi_cpu; /* bench_sgi_cpu=N: target of the SGI measurement (default 1) */
};

/* Parses the bench words of a command line; other words are ignored. */
void bench_parse(const char *args, struct bench_config *c);

struct bench_stats {
	uint32_t min, med, max;
	uint64_t avg;
};

/* Sorts v[0..n) in place and summarises it; med is the lower median; all 0 when n == 0. */
void bench_summarise(uint32_t *v, unsigned n, struct bench_stats *s);

/*
 * Latency histograms on a log-linear scale: values below BENCH_HIST_EXACT get a bucket each;
 * above, each power of two is split into BENCH_HIST_SUB equal buckets (12.5 % wide), so one line
 * covers 7 to 10^6 ticks with a resolution that stays proportional to the value.
 */
#define BENCH_HIST_SUB	 8
#define BENCH_HIST_EXACT (2 * BENCH_HIST_SUB)

struct bench_hist_bucket {
	uint32_t lo;	/* smallest value in the bucket */
	uint32_t width; /* the bucket holds lo .. lo + width - 1 */
	uint32_t count;
};

/* The bucket a value falls in (count left 0). */
struct bench_hist_bucket bench_hist_bucket_of(uint32_t v);

/* Counts sorted[0..n) (ascending) into the non-empty buckets, in order; returns how many buckets
 * there are, of which at most `max` are written to out (the rest are dropped, not merged). */
unsigned bench_histogram(const uint32_t *sorted, unsigned n, struct bench_hist_bucket *out,
			 unsigned max);

/* The compute kernel: list sort and search, a matrix multiply and a number-parsing state machine,
 * each folded into a CRC-16; returns the CRC of `iters` iterations (same on every platform). */
uint16_t bench_compute(unsigned iters);
/* CRC-16/ARC (reflected poly 0xA001, init 0) of `len` bytes, continued from `crc`. */
uint16_t bench_crc16(uint16_t crc, const void *data, unsigned len);

/* The counter value boot.S read at the image's first instruction (CNTPCT_EL0). */
extern uint64_t rtos_boot_cntpct;

/* This vCPU's EL2 entries so far, including this call's (Tandem's debug call; under Tandem
 * only: elsewhere HVC may be UNDEFINED). */
int64_t bench_el2_entries(void);

/* Starts the task that runs the selected modes and prints BENCH lines, then "BENCH done". */
void bench_start(const struct platform *p, const struct bench_config *c, unsigned nr_cpus);

#endif
