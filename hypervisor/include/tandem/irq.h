/*
 * Physical interrupts taken at EL2: each is claimed by its owner (the vGIC, the EL2 timer,
 * the console, the SMMU driver, passed-through devices, the pCPU kick), which irq_handle()
 * dispatches to; and where the hypervisor's own device interrupts are routed.
 */
#ifndef TANDEM_IRQ_H
#define TANDEM_IRQ_H

#include <tandem/stats.h>
#include <tandem/types.h>

struct vcpu;

/* What a handler did with the interrupt, which irq_handle() has acknowledged (priority
 * dropped, still active). */
enum irq_result {
	IRQ_DONE,      /* handled: irq_handle() deactivates it */
	IRQ_FORWARDED, /* hardware-linked to a guest's virtual interrupt: its EOI deactivates it */
};

/* running: the vCPU whose registers this pCPU holds (NULL in the idle loop). */
typedef enum irq_result (*irq_handler_fn)(irq_t intid, void *ctx, struct vcpu *running);

/* irq_owner.flags */
#define IRQ_HYP_DEVICE (1u << 0) /* an SPI of the hypervisor's own: irq_route_hyp() routes it */
#define IRQ_EDGE       (1u << 1) /* configured edge-triggered when routed */
/* Forwarded to a guest (its virtual timer, a passed-through SPI): Group 1, which a direct
 * guest takes itself (irqchip.h); every other interrupt is the hypervisor's, Group 0. */
#define IRQ_GUEST_LINE (1u << 2)

/* Who handles an interrupt; lives as long as the claim (static const in practice). */
struct irq_owner {
	const char *name; /* "console UART": logs say whose it is */
	enum irq_kind kind;
	unsigned flags;
	/* NULL: its arrival is all there is to it (a kick): irq_handle() deactivates it. */
	irq_handler_fn handler;
};

/*
 * Makes intid owner's: irq_handle() calls owner->handler(intid, ctx, running) for it. At
 * init, before the interrupt is enabled or routed; SGIs/PPIs are claimed for every pCPU
 * (enabled on each by irq_cpu_init()). Returns 0, or -ERR_BUSY (already someone's), -ERR_INVAL
 * (not an SGI/PPI/SPI), -ERR_NOMEM (no SPI slot left), each logged.
 */
int irq_claim(irq_t intid, const struct irq_owner *owner, void *ctx);
/* The ctx of intid's claim if owner made it, else NULL. */
void *irq_claimed_by(irq_t intid, const struct irq_owner *owner);
/* Enables every claimed SGI/PPI on the calling pCPU (its boot). */
void irq_cpu_init(void);

/* Handles every pending Group 1 (IRQ) / Group 0 (FIQ) physical interrupt on the calling pCPU. */
void irq_handle(void);
/* Handles intid, already acknowledged (irqchip_ack()), then every other pending one. */
void irq_handle_acked(irq_t intid);
/* The same for Group 0: intid from irqchip_ack_group0(), then every other pending one. */
void irq_handle_acked_group0(irq_t intid);
void irq_handle_group0(void);
/* The pCPU that takes the hypervisor's own device interrupts, given the current vCPU placement. */
unsigned irq_hyp_pcpu(void);
/* Routes the interrupts claimed with IRQ_HYP_DEVICE to irq_hyp_pcpu(), saying so when it
 * changes. */
void irq_route_hyp(void);

#endif
