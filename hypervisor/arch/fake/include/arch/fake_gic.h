/*
 * The fake interrupt controller (fake_gic.c), for host unit tests: an irqchip backend
 * (tandem/irqchip.h) installed from the start. The virtual CPU interface keeps neutral list
 * registers, control flags, VMCR and APRs as plain state and computes the maintenance
 * status from them as a GIC would; the physical side records what was done (SGIs,
 * deactivations, priority drops, routes) and acknowledges interrupts a test raised. The
 * fake_gic_guest_* helpers play the guest's side of the virtual CPU interface.
 */
#ifndef ARCH_FAKE_GIC_H
#define ARCH_FAKE_GIC_H

#include <tandem/irqchip.h>
#include <tandem/types.h>

#define FAKE_GIC_MAX_LRS 16
#define FAKE_GIC_LOG	 64

struct fake_gic {
	unsigned nr_lrs; /* what irqchip_nr_lrs() reports (default 4, as QEMU) */
	struct irqchip_lr lr[FAKE_GIC_MAX_LRS];
	/* IRQCHIP_VIF_* as last written, and EOIcount in bits [31:27] as ICH_HCR_EL2 has it. */
	uint32_t hcr;
	uint32_t vmcr;
	uint32_t ppi_active; /* physical active state of SGIs/PPIs 0-31 on this CPU */
	uint32_t ppi_enabled;
	uint32_t apr[2][4]; /* [group][idx] */
	unsigned lr_writes, hcr_writes;

	unsigned nr_sgis; /* irqchip_send_sgi() calls; the first FAKE_GIC_LOG are kept */
	struct {
		unsigned pcpu;
		irq_t sgi;
	} sgis[FAKE_GIC_LOG];
	unsigned nr_deactivated; /* irqchip_deactivate() calls; the first FAKE_GIC_LOG kept */
	irq_t deactivated[FAKE_GIC_LOG];
	unsigned nr_eois; /* priority drops (by irqchip_ack()); the first FAKE_GIC_LOG kept */
	irq_t eois[FAKE_GIC_LOG];

	/* Raised by fake_gic_raise(), acknowledged in order by irqchip_ack(). */
	irq_t raised[FAKE_GIC_LOG];
	unsigned nr_raised, nr_acked;

	/* SPIs: where routed (MPIDR + 1, 0: never routed), enabled, edge, deactivations. */
	uint64_t spi_route[IRQCHIP_NR_INTIDS];
	bool spi_enabled[IRQCHIP_NR_INTIDS];
	bool spi_edge[IRQCHIP_NR_INTIDS];
	unsigned nr_spi_deactivated;

	/* Groups and priorities as set; the direct-delivery state of the CPU interface. */
	bool group1[IRQCHIP_NR_INTIDS];
	uint8_t priority[IRQCHIP_NR_INTIDS];
	bool direct;	 /* direct_on() more recent than direct_off() */
	bool in_service; /* what direct_in_service() answers (a test sets it) */
};

extern struct fake_gic fake_gic;

/* Empties every register and record; nr_lrs list registers (1..16). */
void fake_gic_reset(unsigned nr_lrs);
/* Makes intid the next interrupt irqchip_ack() returns (after those raised before it). */
void fake_gic_raise(irq_t intid);
/* Index of the valid LR holding vintid, or -1. */
int fake_gic_find_lr(uint32_t vintid);
/* ICH_EISR_EL2 / ICH_MISR_EL2 (bits 0-3: EOI, U, LRENP, NP) as the GIC would compute them. */
uint32_t fake_gic_eisr(void);
uint32_t fake_gic_misr(void);
/*
 * Guest reads ICC_IAR1: the highest-priority pending LR (lowest value, then lowest
 * index) becomes active (pending cleared); returns its vINTID, or 1023.
 * No priority masking or preemption is modelled.
 */
uint32_t fake_gic_guest_ack(void);
/*
 * Guest writes ICC_EOIR1 with EOImode 0: the active LR holding vintid loses its
 * active state; with HW set the physical INTID is deactivated (recorded). With no
 * such LR, ICH_HCR_EL2.EOIcount is incremented, as the hardware does.
 */
void fake_gic_guest_eoi(uint32_t vintid);

#endif
