/*
 * CPU pools: a set of pCPUs, the vCPUs placed on them, and the one scheduler that decides
 * between them. Every online pCPU belongs to exactly one pool; every vCPU to exactly one.
 */
#ifndef TANDEM_POOL_H
#define TANDEM_POOL_H

#include <tandem/config.h>
#include <tandem/pcpu.h>
#include <tandem/sched.h>
#include <tandem/spinlock.h>
#include <tandem/types.h>

#define MAX_POOLS	CFG_MAX_POOLS
#define POOL_MAX_VCPUS	(CFG_MAX_VMS * CFG_MAX_VCPUS)
#define POOL_SLICE_US	1000 /* slack time slice between competing vCPUs of a dynamic pool */

struct pool {
	const char *name;
	unsigned index;
	const struct sched_ops *ops;
	bool trap_wfi; /* bind pools: wfi = "trap" (idle time visible) or "native" */
	uint64_t slice; /* ticks: slack time slice (dynamic) */
	spinlock_t lock;

	/* Membership, kept by pool.c; schedulers read it. */
	unsigned nr_pcpus;
	struct pcpu *pcpus[MAX_PCPUS]; /* in pCPU index order */
	unsigned nr_vcpus;
	struct vcpu *vcpus[POOL_MAX_VCPUS];
};

extern struct pool pools[MAX_POOLS];
extern unsigned nr_pools;

#endif
