/*
 * Interrupt dispatch: acknowledge, call the registered handler, EOI, until nothing is pending;
 * then let the scheduler switch if a handler woke a more urgent task. Handlers run with
 * interrupts masked and never nest.
 */
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "percpu.h"
#include "port.h"
#include "sched.h"

#define NR_HANDLED 256 /* INTIDs the RTOS may register (SGIs, PPIs, the first SPIs) */

static struct {
	irq_handler_t fn;
	void *arg;
} handlers[NR_HANDLED];

const struct gic_ops *gic; /* chosen by rtos_main() from the DTB */

static unsigned unexpected;

void irq_register(unsigned intid, irq_handler_t fn, void *arg)
{
	if (intid < NR_HANDLED) {
		handlers[intid].arg = arg;
		handlers[intid].fn = fn;
	}
}

void irq_handle(struct exc_frame *f)
{
	/* The first interrupt's entry time is the vector's; any taken in the same pass arrived
	 * later, and get the time they were acknowledged. */
	uint64_t stamp = this_pcpu()->irq_stamp;
	bool first = true;

	(void)f;
	sched_irq_enter();
	for (;;) {
		unsigned intid;
		uint32_t iar = gic->ack(&intid);

		if (intid >= GIC_SPURIOUS)
			break;
		if (!first)
			stamp = port_now();
		first = false;
		if (intid < NR_HANDLED && handlers[intid].fn)
			handlers[intid].fn(intid, stamp, handlers[intid].arg);
		else if (unexpected++ < 4)
			kprintf("RTOS: unexpected interrupt %u on cpu%u\n", intid, this_pcpu()->id);
		gic->eoi(iar);
	}
	sched_irq_exit();
}
