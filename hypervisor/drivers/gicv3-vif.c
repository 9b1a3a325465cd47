/* The GICv3 virtual CPU interface (ICH_*_EL2): list registers, control, VMCR and APRs. */
#include <arch/sysregs.h>

#include "gicv3.h"

#define LR_CASE(n)                                                                                 \
	case n:                                                                                    \
		return read_sysreg(S3_4_C12_C12_##n)
#define LR_CASE_HI(n, m)                                                                           \
	case n:                                                                                    \
		return read_sysreg(S3_4_C12_C13_##m)
#define LR_WCASE(n)                                                                                \
	case n:                                                                                    \
		write_sysreg(S3_4_C12_C12_##n, val);                                               \
		break
#define LR_WCASE_HI(n, m)                                                                          \
	case n:                                                                                    \
		write_sysreg(S3_4_C12_C13_##m, val);                                               \
		break

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

static void write_lr(unsigned idx, uint64_t val)
{
	switch (idx) {
		LR_WCASE(0);
		LR_WCASE(1);
		LR_WCASE(2);
		LR_WCASE(3);
		LR_WCASE(4);
		LR_WCASE(5);
		LR_WCASE(6);
		LR_WCASE(7);
		LR_WCASE_HI(8, 0);
		LR_WCASE_HI(9, 1);
		LR_WCASE_HI(10, 2);
		LR_WCASE_HI(11, 3);
		LR_WCASE_HI(12, 4);
		LR_WCASE_HI(13, 5);
		LR_WCASE_HI(14, 6);
		LR_WCASE_HI(15, 7);
	}
}

struct irqchip_lr gicv3_read_lr(unsigned idx)
{
	return gicv3_lr_decode(read_lr(idx));
}

uint32_t gicv3_empty_lrs(void)
{
	return (uint32_t)read_sysreg(ICH_ELRSR_EL2);
}

/* The IRQCHIP_VIF_* flags are ICH_HCR_EL2's own bits. */
void gicv3_write_lrs(const struct irqchip_lr *lrs, uint32_t mask, uint32_t control)
{
	while (mask) {
		unsigned i = (unsigned)__builtin_ctz(mask);

		mask &= mask - 1;
		write_lr(i, gicv3_lr_encode(lrs[i]));
	}
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
