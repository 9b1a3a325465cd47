/*
 * GICv3 driver: distributor, redistributors and the system-register CPU interface
 * (IHI 0069). EL2 uses split priority drop / deactivation (ICC_CTLR_EL1.EOImode = 1)
 * so hardware-linked virtual interrupts can be deactivated by the guest's EOI.
 */
#include <arch/sysregs.h>
#include <tandem/arch.h>
#include <tandem/gic.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISACTIVER	0x0300
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IROUTER	0x6000
#define GICD_CTLR_RWP	(1U << 31)
#define GICD_CTLR_ARE	(1U << 4)
#define GICD_CTLR_GRP1	(1U << 1)

#define GICR_TYPER  0x0008
#define GICR_WAKER  0x0014
#define GICR_SGI    0x10000
#define GICR_STRIDE 0x20000
#define WAKER_PS    (1U << 1)
#define WAKER_CA    (1U << 2)

#define DEFAULT_PRIO 0xa0

static volatile uint8_t *gicd;
static paddr_t gicr_base;
static uint64_t gicr_region_size;
static uint32_t nr_lines;
static volatile uint8_t *this_gicr[MAX_PCPUS];

static inline uint32_t rd32(volatile uint8_t *b, unsigned off)
{
	return *(volatile uint32_t *)(b + off);
}

static inline void wr32(volatile uint8_t *b, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(b + off) = v;
}

static void wait_rwp(void)
{
	while (rd32(gicd, GICD_CTLR) & GICD_CTLR_RWP)
		;
}

void gic_init(paddr_t dist, paddr_t redist, uint64_t redist_size)
{
	gicd = arch_phys_to_virt(dist);
	gicr_base = redist;
	gicr_region_size = redist_size;
	nr_lines = MIN(32 * ((rd32(gicd, GICD_TYPER) & 0x1f) + 1), 1020U);

	wr32(gicd, GICD_CTLR, 0);
	wait_rwp();
	for (unsigned i = 32; i < nr_lines; i += 32) {
		wr32(gicd, GICD_ICENABLER + i / 8, ~0U);
		wr32(gicd, GICD_IGROUPR + i / 8, ~0U);
	}
	for (unsigned i = 32; i < nr_lines; i += 4)
		wr32(gicd, GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101U);
	wait_rwp();
	wr32(gicd, GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
	wait_rwp();
}

/* The redistributor frame whose GICR_TYPER affinity matches this CPU's MPIDR. */
static volatile uint8_t *find_redist(uint64_t mpidr)
{
	uint32_t aff = (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 24);

	for (uint64_t off = 0; off + GICR_STRIDE <= gicr_region_size; off += GICR_STRIDE) {
		volatile uint8_t *f = arch_phys_to_virt(gicr_base + off);
		uint64_t typer = *(volatile uint64_t *)(f + GICR_TYPER);

		if ((uint32_t)(typer >> 32) == aff)
			return f;
		if (typer & (1U << 4)) /* Last */
			break;
	}
	return NULL;
}

void gic_cpu_init(void)
{
	struct pcpu *p = pcpu_this();
	volatile uint8_t *rd = find_redist(p->mpidr);

	if (!rd)
		panic("gicv3: no redistributor for MPIDR 0x%llx", (unsigned long long)p->mpidr);
	this_gicr[p->index] = rd;

	wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~WAKER_PS);
	while (rd32(rd, GICR_WAKER) & WAKER_CA)
		;
	volatile uint8_t *sgi = rd + GICR_SGI;

	wr32(sgi, GICD_IGROUPR, ~0U);
	wr32(sgi, GICD_ICENABLER, ~0U);
	for (unsigned i = 0; i < 32; i += 4)
		wr32(sgi, GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101U);
	wr32(sgi, GICD_ISENABLER, 0xffff); /* SGIs: inter-pCPU kicks */

	/* The system-register interface, and let EL1 use it too (ICC_SRE_EL2.Enable). */
	write_sysreg(ICC_SRE_EL2, read_sysreg(ICC_SRE_EL2) | 0x1 | 0x8);
	isb();
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, 1U << 1); /* EOImode: EOIR drops priority, DIR deactivates */
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
}

void gic_enable_ppi(irq_t intid)
{
	volatile uint8_t *rd = this_gicr[pcpu_this()->index];

	wr32(rd + GICR_SGI, GICD_ISENABLER, 1U << intid);
}

bool arch_gic_ppi_active(irq_t intid)
{
	volatile uint8_t *rd = this_gicr[pcpu_this()->index];

	return rd32(rd + GICR_SGI, GICD_ISACTIVER) & (1U << intid);
}

void arch_gic_ppi_set_active(irq_t intid, bool active)
{
	volatile uint8_t *rd = this_gicr[pcpu_this()->index];

	wr32(rd + GICR_SGI, active ? GICD_ISACTIVER : GICD_ICACTIVER, 1U << intid);
}

void gic_route_spi(irq_t intid, uint64_t mpidr)
{
	*(volatile uint64_t *)(gicd + GICD_IROUTER + 8 * intid) = mpidr & 0xff00ffffffUL;
	wr32(gicd, GICD_ISENABLER + (intid / 32) * 4, 1U << (intid % 32));
}

void gic_disable_spi(irq_t intid)
{
	wr32(gicd, GICD_ICENABLER + (intid / 32) * 4, 1U << (intid % 32));
	wait_rwp();
}

void gic_set_edge(irq_t intid)
{
	unsigned reg = GICD_ICFGR + (intid / 16) * 4, shift = 2 * (intid % 16) + 1;

	wr32(gicd, reg, rd32(gicd, reg) | 1U << shift);
}

void gic_clear_active_spi(irq_t intid)
{
	wr32(gicd, GICD_ICACTIVER + (intid / 32) * 4, 1U << (intid % 32));
}

irq_t gic_ack(void)
{
	irq_t id = (irq_t)read_sysreg(ICC_IAR1_EL1) & 0xffffff;

	__asm__ volatile("dsb sy" ::: "memory");
	return id;
}

void gic_eoi(irq_t intid)
{
	write_sysreg(ICC_EOIR1_EL1, intid);
	isb();
}

void gic_deactivate(irq_t intid)
{
	write_sysreg(ICC_DIR_EL1, intid);
	isb();
}

void arch_gic_deactivate(irq_t intid)
{
	gic_deactivate(intid);
}

void arch_gic_send_sgi(unsigned pcpu_index, irq_t sgi)
{
	uint64_t mpidr = pcpus[pcpu_index].mpidr;
	uint64_t v = ((mpidr >> 32) & 0xff) << 48 | ((mpidr >> 16) & 0xff) << 32 |
		     (uint64_t)sgi << 24 | ((mpidr >> 8) & 0xff) << 16 | (1UL << (mpidr & 0xf));

	dsb(ishst);
	write_sysreg(ICC_SGI1R_EL1, v);
	isb();
}
