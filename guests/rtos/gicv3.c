/*
 * GICv3 driver (Arm IHI 0069): distributor and redistributors through MMIO, the CPU interface
 * through system registers (ICC_SRE_EL1.SRE = 1). Works with the distributor in either security
 * view: CTLR bit 1 is EnableGrp1 (DS = 1, QEMU without EL3, hypervisors) or EnableGrp1NS, bit 4
 * is ARE or ARE_NS.
 */
#include "gic.h"
#include "mmio.h"
#include "percpu.h"
#include "platform.h"
#include "rtos.h"

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IROUTER	0x6000
#define CTLR_RWP	(1U << 31)
#define CTLR_GRP1	(1U << 1)
#define CTLR_ARE	(1U << 4)

#define GICR_CTLR	 0x0000
#define GICR_CTLR_RWP	 (1U << 3)
#define GICR_TYPER	 0x0008
#define GICR_WAKER	 0x0014
#define GICR_SGI	 0x10000 /* the SGI_base frame */
#define TYPER_VLPIS	 (1U << 1)
#define TYPER_LAST	 (1U << 4)
#define WAKER_PSLEEP	 (1U << 1)
#define WAKER_CHILDSLEEP (1U << 2)

static uintptr_t gicd;
static const struct platform *plat;

static void wait_rwp(uintptr_t ctlr)
{
	for (unsigned i = 0; i < 1000000 && (mmio_read32(ctlr) & CTLR_RWP); i++)
		cpu_relax();
}

static void set_prio(uintptr_t ipriorityr, unsigned first, unsigned count)
{
	for (unsigned i = first; i < first + count; i += 4)
		mmio_write32(ipriorityr + i, GIC_PRIO * 0x01010101U);
}

static int v3_init(const struct platform *p)
{
	unsigned lines;

	plat = p;
	gicd = p->gicd;
	mmio_write32(gicd + GICD_CTLR, 0);
	wait_rwp(gicd + GICD_CTLR);
	lines = 32 * ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1);
	if (lines > 1020)
		lines = 1020;
	for (unsigned i = 32; i < lines; i += 32) {
		mmio_write32(gicd + GICD_ICENABLER + i / 8, ~0U);
		mmio_write32(gicd + GICD_IGROUPR + i / 8, ~0U);
	}
	for (unsigned i = 32; i < lines; i += 16)
		mmio_write32(gicd + GICD_ICFGR + i / 4, 0); /* level-sensitive */
	set_prio(gicd + GICD_IPRIORITYR, 32, lines - 32);
	wait_rwp(gicd + GICD_CTLR);
	/* ARE first, then the group: changing ARE with a group enabled is UNPREDICTABLE. */
	mmio_write32(gicd + GICD_CTLR, CTLR_ARE);
	wait_rwp(gicd + GICD_CTLR);
	mmio_write32(gicd + GICD_CTLR, CTLR_ARE | CTLR_GRP1);
	wait_rwp(gicd + GICD_CTLR);
	return 0;
}

/* GICR_TYPER.Affinity_Value [63:32] holds Aff3.Aff2.Aff1.Aff0. */
static uint32_t mpidr_to_typer_aff(uint64_t mpidr)
{
	return (uint32_t)((mpidr >> 32 & 0xff) << 24 | (mpidr & 0xffffff));
}

static uintptr_t find_redist(uint64_t mpidr)
{
	uint32_t want = mpidr_to_typer_aff(mpidr);

	for (unsigned r = 0; r < plat->nr_gicr; r++) {
		uintptr_t frame = plat->gicr[r], end = plat->gicr[r] + plat->gicr_size[r];

		while (frame + 0x20000 <= end) {
			uint32_t lo = mmio_read32(frame + GICR_TYPER);
			uint32_t aff = mmio_read32(frame + GICR_TYPER + 4);

			if (aff == want)
				return frame;
			if (lo & TYPER_LAST)
				break;
			frame += (lo & TYPER_VLPIS) ? 0x40000 : 0x20000;
		}
	}
	return 0;
}

static int v3_init_cpu(struct pcpu *c)
{
	uintptr_t rd = find_redist(c->mpidr), sgi;
	uint32_t waker;

	if (!rd)
		return -1;
	c->gicr = rd;
	sgi = rd + GICR_SGI;
	waker = mmio_read32(rd + GICR_WAKER);
	mmio_write32(rd + GICR_WAKER, waker & ~WAKER_PSLEEP);
	for (unsigned i = 0; i < 1000000 && (mmio_read32(rd + GICR_WAKER) & WAKER_CHILDSLEEP); i++)
		cpu_relax();
	mmio_write32(sgi + GICD_ICENABLER, ~0U);
	wait_rwp(rd + GICR_CTLR);
	mmio_write32(sgi + GICD_IGROUPR, ~0U);
	mmio_write32(sgi + GICD_ICFGR + 4, 0); /* PPIs level-sensitive (SGIs are fixed) */
	set_prio(sgi + GICD_IPRIORITYR, 0, 32);

	write_sysreg_s(read_sysreg_s(ICC_SRE_EL1) | 1, ICC_SRE_EL1);
	isb();
	if (!(read_sysreg_s(ICC_SRE_EL1) & 1))
		return -2; /* system-register interface refused (e.g. ICC_SRE_EL2.Enable clear) */
	write_sysreg_s(0xf0, ICC_PMR_EL1);
	write_sysreg_s(0, ICC_BPR1_EL1);
	write_sysreg_s(0, ICC_CTLR_EL1); /* EOImode 0: EOIR drops priority and deactivates */
	write_sysreg_s(1, ICC_IGRPEN1_EL1);
	isb();
	return 0;
}

static uint32_t v3_ack(unsigned *intid)
{
	uint32_t iar = (uint32_t)read_sysreg_s(ICC_IAR1_EL1);

	*intid = iar & 0xffffff;
	return iar;
}

static void v3_eoi(uint32_t iar)
{
	write_sysreg_s(iar, ICC_EOIR1_EL1);
	isb();
}

static void v3_enable(unsigned intid, unsigned cpu)
{
	uint32_t bit = 1U << (intid % 32);

	if (intid < 32) {
		mmio_write32(this_pcpu()->gicr + GICR_SGI + GICD_ISENABLER, bit);
		return;
	}
	mmio_write64(gicd + GICD_IROUTER + 8 * intid, pcpus[cpu].mpidr & MPIDR_AFF_MASK);
	mmio_write32(gicd + GICD_ISENABLER + 4 * (intid / 32), bit);
}

static void v3_disable(unsigned intid)
{
	uint32_t bit = 1U << (intid % 32);

	if (intid < 32) {
		uintptr_t rd = this_pcpu()->gicr;

		mmio_write32(rd + GICR_SGI + GICD_ICENABLER, bit);
		for (unsigned i = 0; i < 1000000 && (mmio_read32(rd + GICR_CTLR) & GICR_CTLR_RWP);
		     i++)
			cpu_relax();
		return;
	}
	mmio_write32(gicd + GICD_ICENABLER + 4 * (intid / 32), bit);
	wait_rwp(gicd + GICD_CTLR);
}

/* GICD_ICFGR: two bits per INTID, the upper one set = edge-triggered (IHI 0069 12.9.9). */
static void v3_set_edge(unsigned intid)
{
	uintptr_t r = gicd + GICD_ICFGR + 4 * (intid / 16);

	if (intid >= 32)
		mmio_write32(r, mmio_read32(r) | 2U << (2 * (intid % 16)));
}

static void v3_send_sgi(unsigned sgi, unsigned cpu)
{
	uint64_t m = pcpus[cpu].mpidr, aff0 = m & 0xff;
	uint64_t v = (m >> 32 & 0xff) << 48 | (m >> 16 & 0xff) << 32 | (uint64_t)(sgi & 0xf) << 24 |
		     (m >> 8 & 0xff) << 16 | (aff0 >> 4) << 44 | 1ULL << (aff0 & 0xf);

	dsb(ishst);
	write_sysreg_s(v, ICC_SGI1R_EL1);
	isb();
}

const struct gic_ops gicv3_ops = {
    .name = "GICv3",
    .version = 3,
    .init = v3_init,
    .init_cpu = v3_init_cpu,
    .ack = v3_ack,
    .eoi = v3_eoi,
    .enable = v3_enable,
    .disable = v3_disable,
    .set_edge = v3_set_edge,
    .send_sgi = v3_send_sgi,
};
