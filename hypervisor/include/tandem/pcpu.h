/* Physical CPUs: per-CPU data reached through one accessor. */
#ifndef TANDEM_PCPU_H
#define TANDEM_PCPU_H

#include <tandem/sched.h>
#include <tandem/types.h>

#define MAX_PCPUS	8
#define PCPU_STACK_SIZE (16 * 1024)

/* IPIs between pCPUs (physical SGI numbers). */
#define IPI_KICK 1 /* re-examine the current vCPU's state: new interrupts, start, stop */

struct vcpu;

struct pcpu_stats {
	uint64_t el2_entries; /* every exception taken to EL2 on this pCPU */
	uint64_t irqs;
	uint64_t ipis;
};

struct pcpu {
	unsigned index;
	uint64_t mpidr;
	bool online;
	struct vcpu *vcpu;    /* the vCPU placed on this pCPU (one per pCPU for now) */
	struct vcpu *current; /* the vCPU whose registers are on the stack frame, or NULL */
	struct pcpu_stats stats;
	struct sched_pcpu sched; /* its pool and the scheduler's last choice */
};

extern struct pcpu pcpus[MAX_PCPUS];
extern unsigned nr_pcpus;

/* The calling CPU's data. */
struct pcpu *pcpu_this(void);
/* Runs the calling CPU's scheduling loop: enters its vCPU when there is one. Never returns. */
void __attribute__((noreturn)) pcpu_run(void);

#endif
