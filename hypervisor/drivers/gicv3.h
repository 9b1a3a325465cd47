/*
 * Inside the GICv3 backend: the virtual CPU interface (gicv3-vif.c) that gicv3.c's ops table
 * names, and the ICH_LR<n>_EL2 encoding of the neutral list register (pure: host-tested).
 */
#ifndef DRIVERS_GICV3_H
#define DRIVERS_GICV3_H

#include <tandem/irqchip.h>

/* ICH_LR<n>_EL2 (IHI 0069 12.4.6). */
#define ICH_LR_HW	   (1ULL << 61)
#define ICH_LR_EOI	   (1ULL << 41)	     /* HW == 0: maintenance interrupt on deactivation */
#define ICH_LR_PINTID_BITS (0x1fffULL << 32) /* pINTID [44:32], when HW == 1 */
/* vINTID [31:0], Priority [55:48], State/HW/Group [63:60]: where the neutral word has them. */
#define ICH_LR_SAME_BITS (0xf0ffULL << 48 | 0xffffffffULL)
/* What the neutral word has in [59:56] (its other flags): not in ICH_LR. */
#define NEUTRAL_LR_LOW_FLAGS (0xfULL << 56)
#define NEUTRAL_LR_HW	     ((uint64_t)IRQCHIP_LR_HW << IRQCHIP_LR_FLAGS_SHIFT)
#define NEUTRAL_LR_EOI	     ((uint64_t)IRQCHIP_LR_EOI_MAINT << IRQCHIP_LR_FLAGS_SHIFT)

_Static_assert(ICH_LR_HW == NEUTRAL_LR_HW, "neutral LR flags 4-7 are ICH_LR_EL2 bits 60-63");

/*
 * Four instructions, no branch, no constant to load: the neutral word's pINTID (below 1024,
 * 0 unless HW) lands in pINTID [41:32] as it is, and EOI_MAINT (only without HW) moves from
 * bit 56 to bit 41 (irqchip_lr_make's contract).
 */
static inline uint64_t gicv3_lr_encode(struct irqchip_lr lr)
{
	_Static_assert(NEUTRAL_LR_EOI >> 15 == ICH_LR_EOI, "EOI_MAINT moves from bit 56 to 41");
	return (lr.word & ~NEUTRAL_LR_LOW_FLAGS) | ((lr.word >> 15) & ICH_LR_EOI);
}

static inline struct irqchip_lr gicv3_lr_decode(uint64_t v)
{
	struct irqchip_lr lr = {v & ICH_LR_SAME_BITS};

	if (v & ICH_LR_HW)
		lr.word |= v & ICH_LR_PINTID_BITS;
	else if (v & ICH_LR_EOI)
		lr.word |= NEUTRAL_LR_EOI;
	return lr;
}

/* gicv3-vif.c: the ICH_*_EL2 registers behind the irqchip ops of the same names. */
unsigned gicv3_nr_lrs(void);
struct irqchip_lr gicv3_read_lr(unsigned idx);
uint32_t gicv3_empty_lrs(void);
void gicv3_write_lrs(const struct irqchip_lr *lrs, uint32_t mask, uint32_t control);
bool gicv3_refill_lr0(struct irqchip_lr lr);
void gicv3_vif_save(struct irqchip_vif_state *state);
void gicv3_vif_restore(const struct irqchip_vif_state *state);
/* No virtual active priority (direct delivery: no virtual interrupt is active then). */
void gicv3_vif_clear_aprs(void);

#endif
