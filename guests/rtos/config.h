/* Run-time options, from the kernel command line (/chosen bootargs). Unknown words are ignored,
 * so a command line shared with Linux-style options (console=...) is harmless. */
#ifndef RTOS_CONFIG_H
#define RTOS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct rtos_config {
	unsigned lat_hz;	   /* lat_hz=N: benchmark rate (default 1000) */
	unsigned lat_n;		   /* lat_n=N: samples per LAT line (default 1000) */
	unsigned lat_cpu;	   /* lat_cpu=N: the CPU it runs on (default 0) */
	bool lat_off;		   /* lat=off: no benchmark */
	bool lat_hist;		   /* lat_hist=on: a LATHIST line per kind before each LAT line */
	bool lat_el2;		   /* lat_el2=on: EL2 entries per batch (Tandem), every 2nd line */
	bool conform;		   /* conform=1: run the conformance checks at boot */
	bool clock_phys;	   /* clock=phys|virt: which generic timer (default virt) */
	unsigned maxcpus;	   /* maxcpus=N: use at most N CPUs */
	unsigned rr_ms;		   /* rr_ms=N: round-robin slice (default 10, 0 = none) */
	unsigned test_reset_after; /* test_reset_after=N: PSCI SYSTEM_RESET after N LAT lines */
	bool test_fault;	   /* test_fault=1: a task writes where nothing is mapped */
	uint64_t test_fault_addr;  /* test_fault_addr=0x...: where (default: just past RAM) */
	unsigned virtio_rng;	   /* virtio_rng=N: N requests to a virtio-rng device (0 = off) */
	uint64_t fuzz;		   /* fuzz=N: N trap-fuzzer operations per round (0 = off) */
	uint64_t fuzz_seed;	   /* fuzz_seed=S: the fuzzer's seed (default 1) */
	unsigned fuzz_rounds;	   /* fuzz_rounds=R: rounds, seeds S, S+1, ... (default 1) */
	unsigned fuzz_cpus;	   /* fuzz_cpus=N: fuzz on the first N CPUs (default all) */
	bool fuzz_reset;	   /* fuzz_reset=1: SYSTEM_RESET halfway through the last round */
	unsigned ttu_mode;	   /* ttu=off|echo|sink|channel: enum ttu_mode (ttu.h) */
	unsigned ttu_poll_us;	   /* ttu_poll_us=N: the serial ports' poll period (default 1000) */
	unsigned vserial_ring; /* vserial_ring=N: bytes per ring (default: the largest fitting) */
	unsigned
	    vserial_threshold;	   /* vserial_threshold=N: RX doorbell threshold (default ring/4) */
	unsigned vserial_delay_us; /* vserial_delay_us=N: RX doorbell max delay (default 1000) */
};

void config_parse(const char *args, struct rtos_config *c);

#endif
