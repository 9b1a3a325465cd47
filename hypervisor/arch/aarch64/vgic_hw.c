/* The GICv3 virtual CPU interface registers (ICH_*_EL2) behind the arch_gic_* interface. */
#include <arch/sysregs.h>
#include <tandem/arch.h>

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

unsigned arch_gic_nr_lrs(void)
{
	return (unsigned)(read_sysreg(ICH_VTR_EL2) & 0x1f) + 1;
}

uint64_t arch_gic_read_lr(unsigned idx)
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

void arch_gic_write_lr(unsigned idx, uint64_t val)
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

uint32_t arch_gic_read_hcr(void)
{
	return (uint32_t)read_sysreg(ICH_HCR_EL2);
}

void arch_gic_write_hcr(uint32_t val)
{
	write_sysreg(ICH_HCR_EL2, val);
	isb();
}

uint32_t arch_gic_read_misr(void)
{
	return (uint32_t)read_sysreg(ICH_MISR_EL2);
}

uint32_t arch_gic_read_eisr(void)
{
	return (uint32_t)read_sysreg(ICH_EISR_EL2);
}

uint32_t arch_gic_read_elrsr(void)
{
	return (uint32_t)read_sysreg(ICH_ELRSR_EL2);
}

uint32_t arch_gic_read_vmcr(void)
{
	return (uint32_t)read_sysreg(ICH_VMCR_EL2);
}

void arch_gic_write_vmcr(uint32_t val)
{
	write_sysreg(ICH_VMCR_EL2, val);
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

uint32_t arch_gic_read_apr(unsigned group, unsigned idx)
{
	if (idx >= nr_aprs())
		return 0;
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

void arch_gic_write_apr(unsigned group, unsigned idx, uint32_t val)
{
	if (idx >= nr_aprs())
		return;
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
