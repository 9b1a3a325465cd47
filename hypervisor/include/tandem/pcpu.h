/* Physical CPUs: per-CPU data reached through one accessor. */
#ifndef TANDEM_PCPU_H
#define TANDEM_PCPU_H

#include <tandem/stats.h>
#include <tandem/types.h>

#define MAX_PCPUS	8
#define PCPU_STACK_SIZE (16 * 1024)

/* IPIs between pCPUs (physical SGI numbers). */
#define IPI_KICK 1 /* re-examine the current vCPU's state: new interrupts, start, stop */

struct vcpu;

struct pcpu_stats {
	uint32_t seq;		/* odd while this pCPU updates its entry counts (stats.c) */
	uint64_t el2_entries;	/* every exception taken to EL2 on this pCPU */
	uint64_t guest_entries; /* of those, from a guest running here */
	uint64_t wait_entries;	/* interrupts taken in EL2 while a vCPU waited here (WFI) */
	uint64_t idle_entries;	/* interrupts taken with no vCPU on this pCPU */
	uint64_t irqs;
	uint64_t ipis;
	uint64_t irq_kind[IRQ_KIND_MAX];
};

struct pcpu {
	unsigned index;
	uint64_t mpidr;
	bool online;
	struct vcpu *vcpu;    /* the vCPU placed on this pCPU (one per pCPU for now) */
	struct vcpu *current; /* the vCPU whose registers are on the stack frame, or NULL */
	struct pcpu_stats stats;
};

extern struct pcpu pcpus[MAX_PCPUS];
extern unsigned nr_pcpus;

/* The calling CPU's data. */
struct pcpu *pcpu_this(void);
/* Waits until no pCPU runs vcpu (its state is saved in struct vcpu); vcpu must be stopped. */
void pcpu_wait_vcpu_off(const struct vcpu *vcpu);
/* Runs the calling CPU's scheduling loop: enters its vCPU when there is one. Never returns. */
void __attribute__((noreturn)) pcpu_run(void);

#endif
