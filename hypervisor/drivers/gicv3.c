/*
 * GICv3 driver: distributor, redistributors and the system-register CPU interface
 * (IHI 0069). EL2 uses split priority drop / deactivation (ICC_CTLR_EL1.EOImode = 1)
 * so hardware-linked virtual interrupts can be deactivated by the guest's EOI.
 */
#include <arch/sysregs.h>
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/irqchip.h>
#include <tandem/log.h>

#include "gicv3.h"

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
#define GICD_CTLR_GRP0	(1U << 0)

#define GICR_TYPER  0x0008
#define GICR_WAKER  0x0014
#define GICR_SGI    0x10000
#define GICR_STRIDE 0x20000
#define WAKER_PS    (1U << 1)
#define WAKER_CA    (1U << 2)

#define ICC_CTLR_EOIMODE (1U << 1) /* EOIR drops priority only, DIR deactivates */
#define ICH_VMCR_VENG1	 (1U << 1)

static paddr_t gicd_base, gicr_base;
static volatile uint8_t *gicd;
static uint64_t gicr_region_size;
static uint32_t nr_lines;
/* Per CPU, by the index cpu_init was given: its redistributor, and its affinity as the
 * ICC_SGI0R_EL1 target fields (Aff3/2/1, the target list bit of Aff0) for send_sgi. */
static volatile uint8_t *this_gicr[IRQCHIP_MAX_CPUS];
static uint64_t sgi_target[IRQCHIP_MAX_CPUS];

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

static void gicv3_init(void)
{
	gicd = arch_phys_to_virt(gicd_base);
	nr_lines = MIN(32 * ((rd32(gicd, GICD_TYPER) & 0x1f) + 1), 1020U);

	wr32(gicd, GICD_CTLR, 0);
	wait_rwp();
	for (unsigned i = 32; i < nr_lines; i += 32) {
		wr32(gicd, GICD_ICENABLER + i / 8, ~0U);
		wr32(gicd, GICD_IGROUPR + i / 8, ~0U);
	}
	for (unsigned i = 32; i < nr_lines; i += 4)
		wr32(gicd, GICD_IPRIORITYR + i, IRQCHIP_PRIO_GUEST * 0x01010101U);
	wait_rwp();
	/* SPIs start in Group 1 (a guest's); the hypervisor's own are moved to Group 0. */
	wr32(gicd, GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1 | GICD_CTLR_GRP0);
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

static int gicv3_cpu_init(unsigned cpu, uint64_t mpidr)
{
	volatile uint8_t *rd = find_redist(mpidr);

	if (!rd || cpu >= IRQCHIP_MAX_CPUS)
		return -ERR_NOENT;
	this_gicr[cpu] = rd;
	sgi_target[cpu] = ((mpidr >> 32) & 0xff) << 48 | ((mpidr >> 16) & 0xff) << 32 |
			  ((mpidr >> 8) & 0xff) << 16 | (1UL << (mpidr & 0xf));

	wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~WAKER_PS);
	while (rd32(rd, GICR_WAKER) & WAKER_CA)
		;
	volatile uint8_t *sgi = rd + GICR_SGI;

	/* SGIs and PPIs start in Group 0 (the hypervisor's); irq_cpu_init() moves a guest's. */
	wr32(sgi, GICD_IGROUPR, 0);
	wr32(sgi, GICD_ICENABLER, ~0U);
	for (unsigned i = 0; i < 32; i += 4)
		wr32(sgi, GICD_IPRIORITYR + i, IRQCHIP_PRIO_HYP * 0x01010101U);
	wr32(sgi, GICD_ISENABLER, 0xffff); /* SGIs: inter-pCPU kicks */

	/* The system-register interface, and let EL1 use it too (ICC_SRE_EL2.Enable). */
	write_sysreg(ICC_SRE_EL2, read_sysreg(ICC_SRE_EL2) | 0x1 | 0x8);
	isb();
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_BPR0_EL1, 0);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, ICC_CTLR_EOIMODE);
	write_sysreg(ICC_IGRPEN0_EL1, 1);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
	return 0;
}

static void gicv3_enable_private(irq_t intid)
{
	volatile uint8_t *rd = this_gicr[arch_cpu_index()];

	wr32(rd + GICR_SGI, GICD_ISENABLER, 1U << intid);
}

static bool gicv3_private_active(irq_t intid)
{
	volatile uint8_t *rd = this_gicr[arch_cpu_index()];

	return rd32(rd + GICR_SGI, GICD_ISACTIVER) & (1U << intid);
}

static void gicv3_set_private_active(irq_t intid, bool active)
{
	volatile uint8_t *rd = this_gicr[arch_cpu_index()];

	wr32(rd + GICR_SGI, active ? GICD_ISACTIVER : GICD_ICACTIVER, 1U << intid);
}

static void gicv3_route_spi(irq_t intid, uint64_t mpidr)
{
	*(volatile uint64_t *)(gicd + GICD_IROUTER + 8 * intid) = mpidr & 0xff00ffffffUL;
	wr32(gicd, GICD_ISENABLER + (intid / 32) * 4, 1U << (intid % 32));
}

static void gicv3_disable_spi(irq_t intid)
{
	wr32(gicd, GICD_ICENABLER + (intid / 32) * 4, 1U << (intid % 32));
	wait_rwp();
}

static void gicv3_set_spi_edge(irq_t intid)
{
	unsigned reg = GICD_ICFGR + (intid / 16) * 4, shift = 2 * (intid % 16) + 1;

	wr32(gicd, reg, rd32(gicd, reg) | 1U << shift);
}

static void gicv3_deactivate_spi(irq_t intid)
{
	wr32(gicd, GICD_ICACTIVER + (intid / 32) * 4, 1U << (intid % 32));
}

/* ICC_IAR1_EL1, then ICC_EOIR1_EL1: with EOImode 1 that only drops the priority. */
static irq_t gicv3_ack(void)
{
	irq_t id = (irq_t)read_sysreg(ICC_IAR1_EL1) & 0xffffff;

	__asm__ volatile("dsb sy" ::: "memory");
	if (id < IRQCHIP_SPURIOUS) {
		write_sysreg(ICC_EOIR1_EL1, id);
		isb();
	}
	return id;
}

/* ICC_IAR0_EL1, then ICC_EOIR0_EL1: Group 0, taken as FIQ. */
static irq_t gicv3_ack_group0(void)
{
	irq_t id = (irq_t)read_sysreg(ICC_IAR0_EL1) & 0xffffff;

	__asm__ volatile("dsb sy" ::: "memory");
	if (id < IRQCHIP_SPURIOUS) {
		write_sysreg(ICC_EOIR0_EL1, id);
		isb();
	}
	return id;
}

/* The frame holding intid's per-interrupt registers: this CPU's SGI_base, or the GICD. */
static volatile uint8_t *frame_of(irq_t intid)
{
	return intid < 32 ? this_gicr[arch_cpu_index()] + GICR_SGI : gicd;
}

static void gicv3_set_group(irq_t intid, bool group1, uint8_t priority)
{
	volatile uint8_t *f = frame_of(intid);
	unsigned reg = GICD_IGROUPR + (intid / 32) * 4;
	uint32_t bit = 1U << (intid % 32);

	f[GICD_IPRIORITYR + intid] = priority;
	wr32(f, reg, group1 ? rd32(f, reg) | bit : rd32(f, reg) & ~bit);
}

static void gicv3_config_private(irq_t intid, bool enabled, uint8_t priority)
{
	volatile uint8_t *f = frame_of(intid);

	f[GICD_IPRIORITYR + intid] = priority;
	wr32(f, enabled ? GICD_ISENABLER : GICD_ICENABLER, 1U << intid);
}

static void gicv3_config_spi(irq_t intid, bool enabled, uint8_t priority)
{
	gicd[GICD_IPRIORITYR + intid] = priority;
	wr32(gicd, (enabled ? GICD_ISENABLER : GICD_ICENABLER) + (intid / 32) * 4,
	     1U << (intid % 32));
	if (!enabled)
		wait_rwp(); /* disabled once RWP reads 0 (IHI 0069 12.9.4): no delivery after */
}

/*
 * Direct delivery. With HCR_EL2.IMO clear and FMO set, the guest's ICC_IAR1/EOIR1/HPPIR1/
 * BPR1/AP1Rn/IGRPEN1 are the physical ones, while ICC_PMR/CTLR/RPR/DIR (common to both groups)
 * and every Group 0 register go to the virtual interface (ICV_*), and ICC_SGI*R trap (IHI 0069
 * 12.1, QEMU arm_gicv3_cpuif.c icv_access/gicv3_sgi_access). So the guest's EOImode is the
 * virtual one and its DIR never reaches the physical interrupt: EOImode 0 here makes its EOIR1
 * drop the priority and deactivate.
 */
static void gicv3_direct_on(void)
{
	/*
	 * No virtual interrupt is active while the guest is direct (the LRs are empty): what the
	 * guest writes to ICV_AP<n>R<m> meanwhile (Group 0 ones are virtual under FMO), or left
	 * there when an excursion ended between its own write and its restore, must not raise the
	 * virtual running priority of the next excursion, or its LRs would never be taken.
	 */
	gicv3_vif_clear_aprs();
	write_sysreg(ICC_IGRPEN1_EL1, (read_sysreg(ICH_VMCR_EL2) & ICH_VMCR_VENG1) ? 1 : 0);
	write_sysreg(ICC_CTLR_EL1, 0);
	isb();
}

static void gicv3_direct_off(void)
{
	uint64_t vmcr = read_sysreg(ICH_VMCR_EL2) & ~(uint64_t)ICH_VMCR_VENG1;

	if (read_sysreg(ICC_IGRPEN1_EL1) & 1)
		vmcr |= ICH_VMCR_VENG1;
	write_sysreg(ICH_VMCR_EL2, vmcr);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	write_sysreg(ICC_CTLR_EL1, ICC_CTLR_EOIMODE);
	isb();
}

/* How many ICC_AP1R<n>_EL1 exist: by ICC_CTLR_EL1.PRIbits, 1, 2 or 4. */
static unsigned nr_icc_aprs(void)
{
	unsigned pribits = (unsigned)((read_sysreg(ICC_CTLR_EL1) >> 8) & 7) + 1;

	return pribits <= 5 ? 1 : pribits == 6 ? 2 : 4;
}

static bool gicv3_direct_in_service(void)
{
	unsigned n = nr_icc_aprs();
	uint64_t any = read_sysreg(ICC_AP1R0_EL1);

	if (n > 1)
		any |= read_sysreg(ICC_AP1R1_EL1);
	if (n > 2)
		any |= read_sysreg(ICC_AP1R2_EL1) | read_sysreg(ICC_AP1R3_EL1);
	return any != 0;
}

static void gicv3_direct_end_service(void)
{
	unsigned n = nr_icc_aprs();

	write_sysreg(ICC_AP1R0_EL1, 0);
	if (n > 1)
		write_sysreg(ICC_AP1R1_EL1, 0);
	if (n > 2) {
		write_sysreg(ICC_AP1R2_EL1, 0);
		write_sysreg(ICC_AP1R3_EL1, 0);
	}
	isb();
}

static void gicv3_deactivate(irq_t intid)
{
	write_sysreg(ICC_DIR_EL1, intid);
	isb();
}

static void gicv3_send_sgi(unsigned pcpu_index, irq_t sgi)
{
	uint64_t v = sgi_target[pcpu_index] | (uint64_t)sgi << 24;

	dsb(ishst);
	/* The hypervisor's SGIs are Group 0 on every pCPU: ICC_SGI1R_EL1 would not forward them
	 * (IHI 0069 "Forwarding an SGI to a target PE"; QEMU drops a group mismatch). */
	write_sysreg(ICC_SGI0R_EL1, v);
	isb();
}

static const struct irqchip_ops gicv3_ops = {
    .name = "GICv3",
    .init = gicv3_init,
    .cpu_init = gicv3_cpu_init,
    .ack = gicv3_ack,
    .ack_group0 = gicv3_ack_group0,
    .set_group = gicv3_set_group,
    .config_private = gicv3_config_private,
    .config_spi = gicv3_config_spi,
    .direct_on = gicv3_direct_on,
    .direct_off = gicv3_direct_off,
    .direct_in_service = gicv3_direct_in_service,
    .direct_end_service = gicv3_direct_end_service,
    .deactivate = gicv3_deactivate,
    .send_sgi = gicv3_send_sgi,
    .enable_private = gicv3_enable_private,
    .private_active = gicv3_private_active,
    .set_private_active = gicv3_set_private_active,
    .route_spi = gicv3_route_spi,
    .disable_spi = gicv3_disable_spi,
    .set_spi_edge = gicv3_set_spi_edge,
    .deactivate_spi = gicv3_deactivate_spi,
    .nr_lrs = gicv3_nr_lrs,
    .read_lr = gicv3_read_lr,
    .empty_lrs = gicv3_empty_lrs,
    .write_lrs = gicv3_write_lrs,
    .refill_lr0 = gicv3_refill_lr0,
    .vif_save = gicv3_vif_save,
    .vif_restore = gicv3_vif_restore,
};

/* reg: the distributor, then the redistributor region (one per node: what QEMU virt has). */
static int gicv3_probe(const struct fdt *fdt, int node, struct irqchip_region *regions)
{
	uint64_t gicd_size;

	if (fdt_read_reg(fdt, node, 0, &gicd_base, &gicd_size) ||
	    fdt_read_reg(fdt, node, 1, &gicr_base, &gicr_region_size))
		return -ERR_INVAL;
	regions[0] = (struct irqchip_region){gicd_base, gicd_size, "the GIC distributor"};
	regions[1] = (struct irqchip_region){gicr_base, gicr_region_size, "the GIC redistributors"};
	return 2;
}

static const char *const gicv3_compatible[] = {"arm,gic-v3", NULL};

const struct irqchip_driver gicv3_driver = {gicv3_compatible, gicv3_probe, &gicv3_ops};
