/* Host fake of the GICv3 virtual CPU interface behind the arch_gic_* functions (see fake_gic.h). */
#include <arch/fake_gic.h>
#include <string.h>
#include <tandem/arch.h>

#define LR_PENDING   (1ULL << 62)
#define LR_ACTIVE    (1ULL << 63)
#define LR_STATE     (3ULL << 62)
#define LR_HW	     (1ULL << 61)
#define LR_EOI	     (1ULL << 41)
#define LR_PRIO(v)   ((unsigned)((v) >> 48) & 0xff)
#define LR_PINTID(v) ((irq_t)((v) >> 32) & 0x3ff)
#define HCR_EN	     (1u << 0)
#define HCR_UIE	     (1u << 1)
#define HCR_LRENPIE  (1u << 2)
#define HCR_NPIE     (1u << 3)
#define HCR_EOICOUNT (0x1fu << 27)

struct fake_gic fake_gic = {.nr_lrs = 4};

bool arch_gic_ppi_active(irq_t intid)
{
	return intid < 32 && (fake_gic.ppi_active & (1U << intid));
}

void arch_gic_ppi_set_active(irq_t intid, bool active)
{
	if (intid >= 32)
		return;
	if (active)
		fake_gic.ppi_active |= 1U << intid;
	else
		fake_gic.ppi_active &= ~(1U << intid);
}

void fake_gic_reset(unsigned nr_lrs)
{
	memset(&fake_gic, 0, sizeof(fake_gic));
	fake_gic.nr_lrs = nr_lrs < 1 ? 1 : nr_lrs > FAKE_GIC_MAX_LRS ? FAKE_GIC_MAX_LRS : nr_lrs;
}

unsigned arch_gic_nr_lrs(void)
{
	return fake_gic.nr_lrs;
}

uint64_t arch_gic_read_lr(unsigned idx)
{
	return idx < fake_gic.nr_lrs ? fake_gic.lr[idx] : 0;
}

void arch_gic_write_lr(unsigned idx, uint64_t val)
{
	if (idx < fake_gic.nr_lrs)
		fake_gic.lr[idx] = val;
	fake_gic.lr_writes++;
}

uint32_t arch_gic_read_hcr(void)
{
	return fake_gic.hcr;
}

void arch_gic_write_hcr(uint32_t val)
{
	fake_gic.hcr = val;
	fake_gic.hcr_writes++;
}

/* EISR: invalid, software, EOI maintenance requested (IHI 0069 ICH_EISR_EL2). */
uint32_t arch_gic_read_eisr(void)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		uint64_t lr = fake_gic.lr[i];

		if (!(lr & LR_STATE) && !(lr & LR_HW) && (lr & LR_EOI))
			v |= 1u << i;
	}
	return v;
}

/* ELRSR: invalid, and not holding an outstanding EOI maintenance (HW, or EOI clear). */
uint32_t arch_gic_read_elrsr(void)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		uint64_t lr = fake_gic.lr[i];

		if (!(lr & LR_STATE) && ((lr & LR_HW) || !(lr & LR_EOI)))
			v |= 1u << i;
	}
	return v;
}

/* MISR bits 0-3 (EOI, U, LRENP, NP); the VGrp* conditions are not modelled. */
uint32_t arch_gic_read_misr(void)
{
	uint32_t hcr = fake_gic.hcr, v = 0;
	unsigned valid = 0, pending = 0;

	if (!(hcr & HCR_EN))
		return 0;
	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		if (fake_gic.lr[i] & LR_STATE)
			valid++;
		if (fake_gic.lr[i] & LR_PENDING)
			pending++;
	}
	if (arch_gic_read_eisr())
		v |= 1u << 0;
	if ((hcr & HCR_UIE) && valid <= 1)
		v |= 1u << 1;
	if ((hcr & HCR_LRENPIE) && (hcr & HCR_EOICOUNT))
		v |= 1u << 2;
	if ((hcr & HCR_NPIE) && !pending)
		v |= 1u << 3;
	return v;
}

uint32_t arch_gic_read_vmcr(void)
{
	return fake_gic.vmcr;
}

void arch_gic_write_vmcr(uint32_t val)
{
	fake_gic.vmcr = val;
}

uint32_t arch_gic_read_apr(unsigned group, unsigned idx)
{
	return group < 2 && idx < 4 ? fake_gic.apr[group][idx] : 0;
}

void arch_gic_write_apr(unsigned group, unsigned idx, uint32_t val)
{
	if (group < 2 && idx < 4)
		fake_gic.apr[group][idx] = val;
}

void arch_gic_send_sgi(unsigned pcpu_index, irq_t sgi)
{
	if (fake_gic.nr_sgis < FAKE_GIC_LOG) {
		fake_gic.sgis[fake_gic.nr_sgis].pcpu = pcpu_index;
		fake_gic.sgis[fake_gic.nr_sgis].sgi = sgi;
	}
	fake_gic.nr_sgis++;
}

void arch_gic_deactivate(irq_t intid)
{
	if (intid < 32)
		fake_gic.ppi_active &= ~(1U << intid);
	if (fake_gic.nr_deactivated < FAKE_GIC_LOG)
		fake_gic.deactivated[fake_gic.nr_deactivated] = intid;
	fake_gic.nr_deactivated++;
}

int fake_gic_find_lr(uint32_t vintid)
{
	for (unsigned i = 0; i < fake_gic.nr_lrs; i++)
		if ((fake_gic.lr[i] & LR_STATE) && (uint32_t)fake_gic.lr[i] == vintid)
			return (int)i;
	return -1;
}

uint32_t fake_gic_guest_ack(void)
{
	int best = -1;

	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		uint64_t lr = fake_gic.lr[i];

		if ((lr & LR_PENDING) && (best < 0 || LR_PRIO(lr) < LR_PRIO(fake_gic.lr[best])))
			best = (int)i;
	}
	if (best < 0)
		return 1023;
	fake_gic.lr[best] = (fake_gic.lr[best] & ~LR_PENDING) | LR_ACTIVE;
	return (uint32_t)fake_gic.lr[best];
}

void fake_gic_guest_eoi(uint32_t vintid)
{
	for (unsigned i = 0; i < fake_gic.nr_lrs; i++) {
		uint64_t lr = fake_gic.lr[i];

		if ((lr & LR_ACTIVE) && (uint32_t)lr == vintid) {
			fake_gic.lr[i] = lr & ~LR_ACTIVE;
			if (lr & LR_HW)
				arch_gic_deactivate(LR_PINTID(lr));
			return;
		}
	}
	if ((fake_gic.hcr & HCR_EOICOUNT) != HCR_EOICOUNT)
		fake_gic.hcr += 1u << 27;
}
