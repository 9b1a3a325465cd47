/*
 * Per-pCPU software timers on the EL2 physical timer. A timer is armed only on the calling
 * pCPU's queue, but may be cancelled from any pCPU (a blocked vCPU woken by an interrupt
 * another pCPU injected), hence the per-queue lock. CNTHP is programmed for the queue head;
 * a stale early expiry (a timer cancelled from another pCPU) just finds nothing due and
 * re-programs.
 */
#include <tandem/arch.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/pcpu.h>
#include <tandem/timer.h>

static void program(struct timer_queue *q)
{
	if (q->head)
		arch_hyp_timer_arm(q->head->expires);
	else
		arch_hyp_timer_disarm();
}

static void unlink_locked(struct timer_queue *q, struct timer *timer)
{
	for (struct timer **t = &q->head; *t; t = &(*t)->next) {
		if (*t == timer) {
			*t = timer->next;
			break;
		}
	}
	timer->next = NULL;
	timer->queue = NULL;
}

void timer_init(struct timer *timer, timer_fn fn)
{
	timer->fn = fn;
	timer->next = NULL;
	timer->queue = NULL;
	timer->expires = 0;
}

void timer_cancel(struct timer *timer)
{
	struct pcpu *p = __atomic_load_n(&timer->queue, __ATOMIC_ACQUIRE);
	unsigned long flags;

	if (!p)
		return;
	flags = arch_irq_save();
	spin_lock(&p->timers.lock);
	if (timer->queue == p) { /* it may have fired or moved meanwhile */
		bool head = p->timers.head == timer;

		unlink_locked(&p->timers, timer);
		/* On its own pCPU CNTHP follows the new head, so that a cancelled timer does not
		 * enter EL2 for nothing; another pCPU's finds nothing due there and re-programs. */
		if (head && p == pcpu_this())
			program(&p->timers);
	}
	spin_unlock(&p->timers.lock);
	arch_irq_restore(flags);
}

void timer_arm(struct timer *timer, uint64_t expires)
{
	struct pcpu *p = pcpu_this();
	struct timer **t;
	unsigned long flags;

	timer_cancel(timer);
	flags = arch_irq_save();
	spin_lock(&p->timers.lock);
	timer->expires = expires;
	for (t = &p->timers.head; *t && (*t)->expires <= expires; t = &(*t)->next)
		;
	timer->next = *t;
	*t = timer;
	timer->queue = p;
	if (p->timers.head == timer)
		program(&p->timers);
	spin_unlock(&p->timers.lock);
	arch_irq_restore(flags);
}

/* PPI_HYP_TIMER: runs the expired timers of the calling pCPU, re-arms CNTHP. */
static enum irq_result timer_irq(irq_t intid, void *ctx, struct vcpu *running)
{
	struct pcpu *p = pcpu_this();
	struct timer_queue *q = &p->timers;

	spin_lock(&q->lock);
	while (q->head && q->head->expires <= arch_counter_read()) {
		struct timer *t = q->head;

		unlink_locked(q, t);
		q->fired++;
		/* Unlocked: the callback may re-arm this or another timer here. */
		spin_unlock(&q->lock);
		t->fn(t);
		spin_lock(&q->lock);
	}
	program(q);
	spin_unlock(&q->lock);
	return IRQ_DONE;
}

static const struct irq_owner timer_owner = {
    .name = "EL2 timer", .kind = IRQ_KIND_HYP_TIMER, .handler = timer_irq};

int timer_claim_irq(void)
{
	return irq_claim(PPI_HYP_TIMER, &timer_owner, NULL);
}
