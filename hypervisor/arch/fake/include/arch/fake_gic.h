/*
 * The fake GIC virtual CPU interface (fake_gic.c), for host unit tests: list
 * registers, ICH_HCR/VMCR/APRs as plain state, MISR/EISR/ELRSR computed from them
 * as the hardware would, and records of physical SGIs and deactivations. The
 * fake_gic_guest_* helpers play the guest's side of the virtual CPU interface.
 */
#ifndef ARCH_FAKE_GIC_H
#define ARCH_FAKE_GIC_H

#include <tandem/types.h>

#define FAKE_GIC_MAX_LRS 16
#define FAKE_GIC_LOG	 64

struct fake_gic {
	unsigned nr_lrs; /* what arch_gic_nr_lrs() reports (default 4, as QEMU) */
	uint64_t lr[FAKE_GIC_MAX_LRS];
	uint32_t hcr, vmcr;
	uint32_t ppi_active; /* physical active state of SGIs/PPIs 0-31 on this CPU */
	uint32_t apr[2][4];  /* [group][idx] */
	unsigned lr_writes, hcr_writes;

	unsigned nr_sgis; /* arch_gic_send_sgi() calls; the first FAKE_GIC_LOG are kept */
	struct {
		unsigned pcpu;
		irq_t sgi;
	} sgis[FAKE_GIC_LOG];
	unsigned nr_deactivated; /* arch_gic_deactivate() calls; the first FAKE_GIC_LOG kept */
	irq_t deactivated[FAKE_GIC_LOG];
};

extern struct fake_gic fake_gic;

/* Empties every register and record; nr_lrs list registers (1..16). */
void fake_gic_reset(unsigned nr_lrs);
/* Index of the valid LR holding vintid, or -1. */
int fake_gic_find_lr(uint32_t vintid);
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
