/* Physical interrupts taken at EL2: acknowledge, dispatch, complete. */
#ifndef TANDEM_IRQ_H
#define TANDEM_IRQ_H

/* Handles every pending physical interrupt on the calling pCPU. */
void irq_handle(void);

#endif
