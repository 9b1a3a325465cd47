/* Stands in for core/irq.c's claims, routing and dispatch: records each call (arg 0: the INTID). */
#include <tandem/irq.h>

#include "fake.h"

void irq_route_hyp(void)
{
	fake_record("irq_route_hyp", NULL, 0, 0, 0);
}

void irq_handle_acked(irq_t intid)
{
	fake_record("irq_handle_acked", NULL, intid, 0, 0);
}

void irq_handle_acked_group0(irq_t intid)
{
	fake_record("irq_handle_acked_group0", NULL, intid, 0, 0);
}

/* Claims always succeed here (obj: the owner; arg 0: the INTID). */
int irq_claim(irq_t intid, const struct irq_owner *owner, void *ctx)
{
	fake_record("irq_claim", owner, intid, 0, 0);
	return 0;
}
