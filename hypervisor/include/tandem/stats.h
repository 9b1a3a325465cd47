/*
 * Counters of EL2 entries and physical interrupts, per pCPU and per vCPU, and the
 * console's statistics dump (Ctrl-A d). They show where the hypervisor runs: on a
 * pCPU given to a real-time VM, every EL2 entry must be that VM's own.
 */
#ifndef TANDEM_STATS_H
#define TANDEM_STATS_H

#include <tandem/types.h>

struct pcpu;
struct vcpu;

/* Physical interrupts by what they are for (pcpu_stats.irq_kind[]). */
enum irq_kind {
	IRQ_KIND_VTIMER, /* a guest's virtual timer (PPI 27) */
	IRQ_KIND_MAINT,	 /* GIC maintenance (PPI 25): only where a vCPU needing it is loaded */
	IRQ_KIND_KICK,	 /* IPI_KICK from another pCPU */
	IRQ_KIND_UART,	 /* the console UART (a hypervisor SPI) */
	IRQ_KIND_OTHER,
	IRQ_KIND_MAX,
};

/*
 * Counts one exception taken to EL2 on the calling pCPU: from_guest is the vCPU that
 * trapped, or NULL for an interrupt taken while EL2 itself ran (a vCPU waiting in WFI
 * on this pCPU, or the idle loop). Call with IRQs masked.
 */
void stats_count_entry(struct vcpu *from_guest);
/* Counts one physical interrupt of this kind on the calling pCPU (and its current vCPU). */
void stats_count_irq(enum irq_kind kind);
/* Prints every VM, vCPU and pCPU counter and the free page frames (console Ctrl-A d). */
void stats_dump(void);

#endif
