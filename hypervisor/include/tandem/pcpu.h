/* Physical CPUs: per-CPU data reached through one accessor. */
#ifndef TANDEM_PCPU_H
#define TANDEM_PCPU_H

#include <tandem/arch.h>
#include <tandem/irqchip.h>
#include <tandem/sched.h>
#include <tandem/timer.h>
#include <tandem/stats.h>
#include <tandem/types.h>
#include <tandem/vcpu.h>

#define MAX_PCPUS	8
#define PCPU_STACK_SIZE (16 * 1024)

/* IPIs between pCPUs (physical SGI numbers). */
#define IPI_KICK 1 /* re-examine the current vCPU's state: new interrupts, start, stop */

/*
 * Where this pCPU's time went, in counter ticks. Every tick since `start` is charged to
 * exactly one of guest (a vCPU ran at EL1/EL0), idle (EL2 waiting in WFI: the idle vCPU of
 * the paper) or hyp (EL2 doing work), so guest + idle + hyp == last - start exactly.
 */
struct pcpu_time {
	uint64_t start, last; /* last: the counter at the pCPU's last edge */
	uint64_t guest, idle, hyp;
	bool idling; /* since last: waiting in WFI at EL2 (idle), not running a guest or EL2 work */
};

struct pcpu {
	unsigned index; /* first: arch_cpu_index() reads it at the per-CPU pointer */
	uint64_t mpidr;
	bool online;
	struct vcpu *current;  /* the vCPU whose registers are on the stack frame, or NULL */
	struct vcpu *parked;   /* idle with this vCPU still loaded (pcpu.c, parking), or NULL */
	volatile bool resched; /* a scheduling decision is due at the next exit to a guest */
	struct pool *leaving;  /* the pool it was moved out of, until its vCPU is released */
	uint32_t restarts;     /* VMs (bit: index) it restarts once it holds no vCPU */
	uint32_t edge_seq;     /* odd while this pCPU updates stats and time at an edge */
	struct pcpu_stats stats;
	struct pcpu_time time;
	struct sched_pcpu sched; /* its pool and the scheduler's last choice */
	uint64_t next_decision;	 /* when the scheduler said a decision can next be due */
	struct pcpu *pick_kick;	 /* the other pCPU its last pick() asked to re-pick, or NULL */
	struct timer sched_timer;
	struct timer_queue timers;
};

_Static_assert(offsetof(struct pcpu, index) == 0, "arch_cpu_index() reads the index first");
_Static_assert(MAX_PCPUS <= IRQCHIP_MAX_CPUS, "the irqchip backend keeps state per pCPU");

extern struct pcpu pcpus[MAX_PCPUS];
extern unsigned nr_pcpus;

/* The calling CPU's data: pcpu_this(), declared by tandem/arch.h (arch/inline.h). */
/* Waits until no pCPU runs vcpu or holds its registers (its state is saved in struct vcpu).
 * Only for a vCPU that can no longer be picked (stopped) and whose pCPU was kicked. */
void pcpu_wait_vcpu_off(const struct vcpu *vcpu);
struct vm;
/*
 * vm's restart, claimed by the caller (vm_claim_restart), runs on this pCPU as soon as it holds
 * no vCPU: at the end of the current trap, or in its idle loop if it has none loaded. Never
 * right here: a timer callback may run while another VM's vCPU is loaded or picked on it.
 */
void pcpu_restart_later(struct vm *vm);
/* Claims IPI_KICK, the SGI pCPUs kick each other with, at boot. */
int pcpu_claim_kick(void);
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

/*
 * Edges. Each EL2 entry and exit (and each step into and out of WFI in EL2) is an edge of
 * its pCPU: the pCPU reads the counter once and, inside one sequence count, charges the
 * time since its last edge (p->time, below) and counts the entry if it is one (p->stats,
 * stats.h). Readers on other pCPUs (pcpu_time_snapshot, the dump) thus see time and counts
 * as of the same edge, for the price of one counter read and one bracket per edge.
 * Only the pCPU itself opens its edges, with IRQs masked.
 */
static inline void pcpu_edge_begin(struct pcpu *p)
{
	__atomic_store_n(&p->edge_seq, p->edge_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE); /* seq odd before any figure changes */
}

static inline uint64_t pcpu_edge_open(struct pcpu *p)
{
	uint64_t now = arch_counter_read();

	pcpu_edge_begin(p);
	return now;
}

static inline void pcpu_edge_close(struct pcpu *p)
{
	__atomic_store_n(&p->edge_seq, p->edge_seq + 1, __ATOMIC_RELEASE);
}

/* A reader copies p's figures after pcpu_edge_read_begin() and retries while this says so. */
static inline uint32_t pcpu_edge_read_begin(const struct pcpu *p)
{
	return __atomic_load_n(&p->edge_seq, __ATOMIC_ACQUIRE);
}

static inline bool pcpu_edge_read_retry(const struct pcpu *p, uint32_t seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the copy is done before seq is read again */
	return (seq & 1) || __atomic_load_n(&p->edge_seq, __ATOMIC_RELAXED) != seq;
}

/* Time accounting, inside an open edge at counter value now: since the last edge, the
 * pCPU ran the guest vcpu, idled in WFI, or did EL2 work. */
static inline uint64_t pcpu_time_since_edge(struct pcpu *p, uint64_t now)
{
	uint64_t delta = now - p->time.last;

	p->time.last = now;
	return delta;
}

static inline void pcpu_charge_guest(struct pcpu *p, struct vcpu *vcpu, uint64_t now)
{
	uint64_t delta = pcpu_time_since_edge(p, now);

	p->time.guest += delta;
	vcpu->run_ticks += delta;
}

static inline void pcpu_charge_idle(struct pcpu *p, uint64_t now)
{
	p->time.idle += pcpu_time_since_edge(p, now);
	p->time.idling = false;
}

static inline void pcpu_charge_hyp(struct pcpu *p, uint64_t now)
{
	p->time.hyp += pcpu_time_since_edge(p, now);
}

/* An edge that only charges time: leaving EL2 work (for a guest or WFI), or leaving WFI. */
static inline void pcpu_account_hyp(struct pcpu *p)
{
	pcpu_charge_hyp(p, pcpu_edge_open(p));
	pcpu_edge_close(p);
}

/* The edge into WFI at EL2: EL2 work ends, an idle period starts (the frequency domains'
 * load counts the time since a pCPU's last edge as busy unless it is idling). */
static inline void pcpu_account_hyp_then_idle(struct pcpu *p)
{
	pcpu_charge_hyp(p, pcpu_edge_open(p));
	p->time.idling = true;
	pcpu_edge_close(p);
}

static inline void pcpu_account_idle(struct pcpu *p)
{
	pcpu_charge_idle(p, pcpu_edge_open(p));
	pcpu_edge_close(p);
}

/* A consistent copy of p's time figures (from any pCPU). */
void pcpu_time_snapshot(const struct pcpu *p, struct pcpu_time *out);
/* Load over the figures' window, as the paper defines it: (elapsed - idle) / elapsed. */
uint64_t pcpu_load_permille(const struct pcpu_time *t);

#endif
