/*
 * Counters of EL2 entries and physical interrupts, per pCPU and per vCPU, and the
 * console's statistics dump (Ctrl-A d). They show where the hypervisor runs: on a
 * pCPU given to a real-time VM, every EL2 entry must be that VM's own.
 */
#ifndef TANDEM_STATS_H
#define TANDEM_STATS_H

#include <tandem/types.h>

/* Physical interrupts by what they are for (pcpu_stats.irq_kind[]). */
enum irq_kind {
	IRQ_KIND_VTIMER,    /* a guest's virtual timer (PPI 27) */
	IRQ_KIND_MAINT,	    /* GIC maintenance (PPI 25): only where a vCPU needing it is loaded */
	IRQ_KIND_KICK,	    /* IPI_KICK from another pCPU */
	IRQ_KIND_UART,	    /* the console UART (a hypervisor SPI) */
	IRQ_KIND_HYP_TIMER, /* the EL2 timer: scheduler decisions, blocked vCPUs' timers */
	IRQ_KIND_OTHER,
	IRQ_KIND_MAX,
};

/* Per-vCPU counters (struct vcpu.stats). */
struct vcpu_stats {
	uint64_t traps;	       /* EL2 entries from this vCPU */
	uint64_t wait_entries; /* EL2 entries (interrupts) while it waited in EL2 (WFI) */
	uint64_t wfi;	       /* WFI traps */
	uint64_t hvc;	       /* HVC/SMC calls */
	uint64_t mmio;	       /* emulated MMIO accesses */
	uint64_t irqs;	       /* physical IRQs taken while it was on its pCPU */
	uint64_t injected;     /* virtual interrupts injected */
	uint64_t excursions;   /* direct delivery: times its list registers were needed */
};

/*
 * Per-pCPU counters (struct pcpu.stats). The entry counts change only at an EL2 entry,
 * inside the pCPU's edge sequence count (pcpu.h), together with the vCPU's; every EL2
 * entry is exactly one of guest / wait / idle, so their sum is the pCPU's EL2 entries.
 */
struct pcpu_stats {
	uint64_t guest_entries; /* from a guest running here */
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

/* Every exception taken to EL2 on the pCPU. */
static inline uint64_t stats_el2_entries(const struct pcpu_stats *s)
{
	return s->guest_entries + s->wait_entries + s->idle_entries;
}

/*
 * The entry counts, updated by the pCPU itself inside its open edge (pcpu_edge_open):
 * a trap from the vCPU running there (v), or an interrupt taken while EL2 itself ran,
 * with a vCPU waiting there in WFI (v) or none loaded (v NULL).
 */
static inline void stats_count_trap(struct pcpu_stats *p, struct vcpu_stats *v)
{
	p->guest_entries++;
	v->traps++;
}

static inline void stats_count_hyp_irq(struct pcpu_stats *p, struct vcpu_stats *v)
{
	if (v) {
		p->wait_entries++;
		v->wait_entries++;
	} else {
		p->idle_entries++;
	}
}

/* Counts one physical interrupt of this kind on a pCPU (p) and the vCPU it runs (v, or NULL). */
static inline void stats_count_irq(struct pcpu_stats *p, struct vcpu_stats *v, enum irq_kind kind)
{
	p->irqs++;
	p->irq_kind[kind < IRQ_KIND_MAX ? kind : IRQ_KIND_OTHER]++;
	if (kind == IRQ_KIND_KICK)
		p->ipis++;
	if (v)
		v->irqs++;
}
/* Prints every VM, vCPU and pCPU counter and the free page frames (console Ctrl-A d). */
void stats_dump(void);

#endif
