/* The physical interrupt controller as the core uses it. */
#ifndef TANDEM_GIC_H
#define TANDEM_GIC_H

#include <tandem/types.h>

#define GIC_SPURIOUS	1020
#define PPI_HYP_TIMER	26 /* CNTHP: EL2 physical timer */
#define PPI_VIRT_TIMER	27 /* CNTV: the running guest's virtual timer */
#define PPI_MAINTENANCE 25

/* Distributor set-up (boot CPU). */
void gic_init(paddr_t gicd, paddr_t gicr, uint64_t gicr_size);
/* Redistributor and CPU interface of the calling CPU. */
void gic_cpu_init(void);
/* Acknowledge (returns INTID), priority drop, deactivate. */
irq_t gic_ack(void);
void gic_eoi(irq_t intid);
void gic_deactivate(irq_t intid);
/* Enables an SPI and routes it to the CPU with this MPIDR. */
void gic_route_spi(irq_t intid, uint64_t mpidr);
void gic_enable_ppi(irq_t intid);
/* Configures an SPI edge-triggered (a device that pulses its line, like the SMMU's queues). */
void gic_set_edge(irq_t intid);
/* Deactivates an SPI at the distributor (from any CPU). */
void gic_clear_active_spi(irq_t intid);
/* Disables an SPI at the distributor. */
void gic_disable_spi(irq_t intid);

#endif
