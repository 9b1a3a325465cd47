/* The GICv3 virtual CPU interface (ICH_*_EL2): list registers, control, VMCR and APRs. */
#include <arch/sysregs.h>

#include "gicv3.h"

#define LR_CASE(n)                                                                                 \
	case n:                                                                                    \
		return read_sysreg(S3_4_C12_C12_##n)
#define LR_CASE_HI(n, m)                                                                           \
	case n:                                                                                    \
		return read_sysreg(S3_4_C12_C13_##m)

unsigned gicv3_nr_lrs(void)
{
	return (unsigned)(read_sysreg(ICH_VTR_EL2) & 0x1f) + 1;
}

static uint64_t read_lr(unsigned idx)
{
	switch (idx) {
		LR_CASE(0);
		LR_CASE(1);
		LR_CASE(2);
		LR_CASE(3);
		LR_CASE(4);
		LR_CASE(5);
		LR_CASE(6);
		LR_CASE(7);
		LR_CASE_HI(8, 0);
		LR_CASE_HI(9, 1);
		LR_CASE_HI(10, 2);
		LR_CASE_HI(11, 3);
		LR_CASE_HI(12, 4);
		LR_CASE_HI(13, 5);
		LR_CASE_HI(14, 6);
		LR_CASE_HI(15, 7);
	}
	return 0;
}

struct irqchip_lr gicv3_read_lr(unsigned idx)
{
	return gicv3_lr_decode(read_lr(idx));
}

uint32_t gicv3_empty_lrs(void)
{
	return (uint32_t)read_sysreg(ICH_ELRSR_EL2);
}

bool gicv3_refill_lr0(struct irqchip_lr lr)
{
	if (!(read_sysreg(ICH_ELRSR_EL2) & 1))
		return false;
	write_sysreg(S3_4_C12_C12_0, gicv3_lr_encode(lr));
	return true;
}

/*
 * Writes LR n for each bit n of mask, lowest first, leaving as soon as none is left: the
 * vGIC fills LRs from 0, so the usual flush (LR0 alone) costs a test, the encoding and one
 * MSR. The IRQCHIP_VIF_* flags are ICH_HCR_EL2's own bits.
 */
#define LR_WRITE_IF(n, reg)                                                                        \
	do {                                                                                       \
		if (mask & (1u << (n))) {                                                          \
			write_sysreg(reg, gicv3_lr_encode(lrs[n]));                                \
			mask &= ~(1u << (n));                                                      \
			if (!mask)                                                                 \
				goto done;                                                         \
		}                                                                                  \
	} while (0)

void gicv3_write_lrs(const struct irqchip_lr *lrs, uint32_t mask, uint32_t control)
{
	if (!mask)
		goto done;
	LR_WRITE_IF(0, S3_4_C12_C12_0);
	LR_WRITE_IF(1, S3_4_C12_C12_1);
	LR_WRITE_IF(2, S3_4_C12_C12_2);
	LR_WRITE_IF(3, S3_4_C12_C12_3);
	LR_WRITE_IF(4, S3_4_C12_C12_4);
	LR_WRITE_IF(5, S3_4_C12_C12_5);
	LR_WRITE_IF(6, S3_4_C12_C12_6);
	LR_WRITE_IF(7, S3_4_C12_C12_7);
	LR_WRITE_IF(8, S3_4_C12_C13_0);
	LR_WRITE_IF(9, S3_4_C12_C13_1);
	LR_WRITE_IF(10, S3_4_C12_C13_2);
	LR_WRITE_IF(11, S3_4_C12_C13_3);
	LR_WRITE_IF(12, S3_4_C12_C13_4);
	LR_WRITE_IF(13, S3_4_C12_C13_5);
	LR_WRITE_IF(14, S3_4_C12_C13_6);
	LR_WRITE_IF(15, S3_4_C12_C13_7);
done:
	write_sysreg(ICH_HCR_EL2, control);
	isb();
}

/* How many ICH_AP<n>R<idx>_EL2 exist: 1, 2 or 4 for 5, 6 or 7 preemption bits. */
static unsigned nr_aprs(void)
{
	unsigned prebits = (unsigned)((read_sysreg(ICH_VTR_EL2) >> 26) & 7) + 1;

	return prebits <= 5 ? 1 : 1U << (prebits - 5);
}

#define APR_READ(grp, n)                                                                           \
	case n:                                                                                    \
		return (uint32_t)read_sysreg(S3_4_C12_C##grp##_##n)
#define APR_WRITE(grp, n)                                                                          \
	case n:                                                                                    \
		write_sysreg(S3_4_C12_C##grp##_##n, val);                                          \
		break

static uint32_t read_apr(unsigned group, unsigned idx)
{
	if (group) {
		switch (idx) {
			APR_READ(9, 0);
			APR_READ(9, 1);
			APR_READ(9, 2);
			APR_READ(9, 3);
		}
	} else {
		switch (idx) {
			APR_READ(8, 0);
			APR_READ(8, 1);
			APR_READ(8, 2);
			APR_READ(8, 3);
		}
	}
	return 0;
}

static void write_apr(unsigned group, unsigned idx, uint32_t val)
{
	if (group) {
		switch (idx) {
			APR_WRITE(9, 0);
			APR_WRITE(9, 1);
			APR_WRITE(9, 2);
			APR_WRITE(9, 3);
		}
	} else {
		switch (idx) {
			APR_WRITE(8, 0);
			APR_WRITE(8, 1);
			APR_WRITE(8, 2);
			APR_WRITE(8, 3);
		}
	}
}

void gicv3_vif_clear_aprs(void)
{
	unsigned n = nr_aprs();

	for (unsigned i = 0; i < n && i < 4; i++) {
		write_apr(0, i, 0);
		write_apr(1, i, 0);
	}
}

/* ICH_AP<n>R<idx>_EL2 the CPU does not implement (ICH_VTR_EL2.PREbits) stay 0 in state. */
void gicv3_vif_save(struct irqchip_vif_state *state)
{
	unsigned n = nr_aprs();

	state->vmcr = (uint32_t)read_sysreg(ICH_VMCR_EL2);
	for (unsigned i = 0; i < 4; i++) {
		state->apr[0][i] = i < n ? read_apr(0, i) : 0;
		state->apr[1][i] = i < n ? read_apr(1, i) : 0;
	}
}

void gicv3_vif_restore(const struct irqchip_vif_state *state)
{
	unsigned n = nr_aprs();

	write_sysreg(ICH_VMCR_EL2, state->vmcr);
	for (unsigned i = 0; i < n && i < 4; i++) {
		write_apr(0, i, state->apr[0][i]);
		write_apr(1, i, state->apr[1][i]);
	}
}
