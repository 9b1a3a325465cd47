/* Physical CPUs: per-CPU data reached through one accessor. */
#ifndef TANDEM_PCPU_H
#define TANDEM_PCPU_H

#include <tandem/sched.h>
#include <tandem/timer.h>
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
	uint64_t sched_timer_irqs; /* scheduler decision points that came due (EL2 timer) */
	uint64_t picks;		   /* scheduling decisions taken */
	uint64_t switches;	   /* vCPU context switches (idle <-> vCPU counts too) */
	uint64_t migrations;	   /* vCPUs entered here that last ran on another pCPU */
	uint64_t wfi_traps;	   /* guest WFIs that trapped here */
	uint64_t resched_requests; /* pcpu_resched() calls aimed at it */
	uint64_t liveness_timers;  /* slice timers the core armed where the scheduler set none */
	uint64_t irq_kind[IRQ_KIND_MAX];
};

/*
 * Where this pCPU's time went, in counter ticks. Every tick since `start` is charged to
 * exactly one of guest (a vCPU ran at EL1/EL0), idle (EL2 waiting in WFI: the idle vCPU of
 * the paper) or hyp (EL2 doing work), so guest + idle + hyp == last - start exactly.
 */
struct pcpu_time {
	volatile uint32_t seq; /* odd while being updated: readers retry */
	uint64_t start, last;
	uint64_t guest, idle, hyp;
};

struct pcpu {
	unsigned index;
	uint64_t mpidr;
	bool online;
	struct vcpu *current;  /* the vCPU whose registers are on the stack frame, or NULL */
	volatile bool resched; /* a scheduling decision is due at the next exit to a guest */
	struct pool *leaving;  /* the pool it was moved out of, until its vCPU is released */
	struct pcpu_stats stats;
	struct pcpu_time time;
	struct sched_pcpu sched; /* its pool and the scheduler's last choice */
	uint64_t next_decision;	 /* when the scheduler said a decision can next be due */
	struct pcpu *pick_kick;	 /* the other pCPU its last pick() asked to re-pick, or NULL */
	struct timer sched_timer;
	struct timer_queue timers;
};

extern struct pcpu pcpus[MAX_PCPUS];
extern unsigned nr_pcpus;

/* The calling CPU's data. */
struct pcpu *pcpu_this(void);
/* Waits until no pCPU holds vcpu's registers (its state is saved in struct vcpu). */
void pcpu_wait_vcpu_off(const struct vcpu *vcpu);
/* Runs the calling CPU's scheduling loop: enters the vCPU its pool picks, else idles. */
void __attribute__((noreturn)) pcpu_run(void);
/* Scheduling state of a pCPU coming online. */
void pcpu_init_sched(struct pcpu *p);
/* Saves the calling pCPU's vCPU and unloads it (its registers land in vcpu->regs). */
void pcpu_leave_vcpu(void);
/* Asks p to take a new scheduling decision soon (an IPI unless p is the caller). */
void pcpu_resched(struct pcpu *p);
/* At a trap's end: switches to another vCPU (or idle) if a decision is due. */
void pcpu_maybe_switch(void);
/* Time accounting at the EL1 -> EL2 and EL2 -> EL1 edges, and around the idle WFI. */
void pcpu_account_guest(struct pcpu *p);
void pcpu_account_hyp(struct pcpu *p);
void pcpu_account_idle(struct pcpu *p);
/* A consistent copy of p's time figures (from any pCPU). */
void pcpu_time_snapshot(const struct pcpu *p, struct pcpu_time *out);
/* Load over the figures' window, as the paper defines it: (elapsed - idle) / elapsed. */
uint64_t pcpu_load_permille(const struct pcpu_time *t);

#endif
