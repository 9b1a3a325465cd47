/* Physical interrupts taken at EL2: acknowledge, dispatch, complete; and their routing. */
#ifndef TANDEM_IRQ_H
#define TANDEM_IRQ_H

/* Handles every pending physical interrupt on the calling pCPU. */
void irq_handle(void);
/* The pCPU that takes the hypervisor's own device interrupts, given the current vCPU placement. */
unsigned irq_hyp_pcpu(void);
/* Routes the hypervisor's device interrupts (console UART) to irq_hyp_pcpu(), saying so when it
 * changes. */
void irq_route_hyp(void);

#endif
