/* The tasks the RTOS image runs on top of its kernel: benchmark, self-tests, shell. */
#ifndef RTOS_APP_H
#define RTOS_APP_H

#include "config.h"
#include "platform.h"

/* Starts the periodic latency benchmark and its reporter (LAT lines). */
void latency_start(const struct rtos_config *cfg, unsigned nr_cpus);
/* Pings every other CPU with an SGI and with a cross-CPU task wake-up; prints "SGI ok ...". */
void selftest_sgi(unsigned nr_cpus);
/* Starts a task that writes where nothing is (test_fault=1); the fault handler reports it. */
void selftest_fault_start(const struct rtos_config *cfg, const struct platform *p);
/*
 * virtio_rng=N: finds a virtio-rng device among the DTB's virtio,mmio nodes and asks it N times
 * for random bytes, timing kick -> completion interrupt; prints "VIRTIO-RNG ...".
 */
void virtio_rng_start(const struct rtos_config *cfg, const struct platform *p);
/* The console's "vserial ..." commands (vserial.c); false if line is not one. */
bool vserial_command(char *line);
/* A tiny command shell on the console (help, tasks, reset, off). */
void shell_start(void);
/* Console commands for Tandem's hypercalls and counters (tandemctl.c); true if handled. */
bool tandemctl_command(char *line);
/* hc storm: every CPU moves VM (or pCPU) index between two pools for ms ms; one HC line. */
void hcstorm(bool vm, uint64_t index, uint64_t pool_a, uint64_t pool_b, uint64_t ms);
/* `chan` (chan.c): remembers the platform; the command sets the channels up on first use. */
void chan_setup(const struct platform *p);
/* `chan ...`: lists, writes, reads and rings the DTB's Tandem channels; true if handled. */
bool chan_command(char *line);

#endif
