/*
 * Software timers of the hypervisor, one queue per pCPU, multiplexed on the EL2 physical
 * timer (CNTHP, PPI 26). They carry the scheduler's decision points and stand in for a
 * descheduled vCPU's virtual timer. Callbacks run in IRQ context on the queue's pCPU.
 */
#ifndef TANDEM_TIMER_H
#define TANDEM_TIMER_H

#include <tandem/spinlock.h>
#include <tandem/types.h>

struct pcpu;
struct timer;

typedef void (*timer_fn)(struct timer *timer);

struct timer {
	uint64_t expires; /* counter value */
	timer_fn fn;
	struct timer *next;
	struct pcpu *queue; /* the pCPU whose queue holds it, or NULL when not armed */
};

struct timer_queue {
	spinlock_t lock;
	struct timer *head; /* sorted by expires */
	uint64_t fired;	    /* callbacks run (statistics) */
};

void timer_init(struct timer *timer, timer_fn fn);
/* (Re)arms timer on the calling pCPU's queue at absolute counter value expires. */
void timer_arm(struct timer *timer, uint64_t expires);
/* Disarms timer wherever it is queued; safe from any pCPU, and if not armed. */
void timer_cancel(struct timer *timer);
/* Claims PPI_HYP_TIMER (the EL2 timer the software timers share), at boot. */
int timer_claim_irq(void);

#endif
