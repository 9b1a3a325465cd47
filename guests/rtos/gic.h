/* The interrupt controller, GICv3 or GICv2, picked at boot from the DTB through this ops table. */
#ifndef RTOS_GIC_H
#define RTOS_GIC_H

#include <stdint.h>

struct platform;
struct pcpu;

#define GIC_SPURIOUS 1020 /* INTIDs 1020-1023 mean "nothing to acknowledge" */
#define GIC_PRIO     0xa0 /* one priority for all: handlers never nest */

struct gic_ops {
	const char *name;
	unsigned version;
	/* The distributor: every SPI disabled, level, group 1, one priority. Boot CPU, once. */
	int (*init)(const struct platform *p);
	/* The calling CPU's interface (and redistributor on v3); fills its pcpu fields. */
	int (*init_cpu)(struct pcpu *c);
	/* Acknowledges the most urgent pending interrupt: returns the raw IAR for eoi(). */
	uint32_t (*ack)(unsigned *intid);
	void (*eoi)(uint32_t iar);
	/* Enables an SGI/PPI on the calling CPU, or an SPI routed to CPU `cpu`. */
	void (*enable)(unsigned intid, unsigned cpu);
	/* Disables an SGI/PPI on the calling CPU, or an SPI; returns once the GIC says it took. */
	void (*disable)(unsigned intid);
	/* Makes SPI `intid` edge-triggered (init made every SPI level); call before enable. */
	void (*set_edge)(unsigned intid);
	/* Sends SGI `sgi` to CPU `cpu` (memory written before is visible to its handler). */
	void (*send_sgi)(unsigned sgi, unsigned cpu);
};

extern const struct gic_ops gicv3_ops;
extern const struct gic_ops gicv2_ops;
extern const struct gic_ops *gic;

#endif
