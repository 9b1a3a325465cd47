/*
 * GICv2 driver (Arm IHI 0048): distributor and memory-mapped CPU interface. A CPU's bit for
 * ITARGETSR and SGIR is not its MPIDR: it reads its own from the banked ITARGETSR0 (as Linux
 * does). Groups are left as reset (with a hypervisor or without EL3 everything arrives as IRQ).
 */
#include "gic.h"
#include "mmio.h"
#include "percpu.h"
#include "platform.h"

#define GICD_CTLR	0x000
#define GICD_TYPER	0x004
#define GICD_ISENABLER	0x100
#define GICD_ICENABLER	0x180
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR	0x800
#define GICD_ICFGR	0xc00
#define GICD_SGIR	0xf00

#define GICC_CTLR 0x00
#define GICC_PMR  0x04
#define GICC_BPR  0x08
#define GICC_IAR  0x0c
#define GICC_EOIR 0x10

static uintptr_t gicd, gicc;

static int v2_init(const struct platform *p)
{
	unsigned lines;

	gicd = p->gicd;
	gicc = p->gicc;
	mmio_write32(gicd + GICD_CTLR, 0);
	lines = 32 * ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1);
	if (lines > 1020)
		lines = 1020;
	for (unsigned i = 32; i < lines; i += 32)
		mmio_write32(gicd + GICD_ICENABLER + i / 8, ~0U);
	for (unsigned i = 32; i < lines; i += 16)
		mmio_write32(gicd + GICD_ICFGR + i / 4, 0);
	for (unsigned i = 32; i < lines; i += 4)
		mmio_write32(gicd + GICD_IPRIORITYR + i, GIC_PRIO * 0x01010101U);
	mmio_write32(gicd + GICD_CTLR, 1);
	return 0;
}

static int v2_init_cpu(struct pcpu *c)
{
	uint8_t mask = (uint8_t)mmio_read32(gicd + GICD_ITARGETSR);

	c->gicv2_mask = mask ? mask : 1; /* RAZ on a uniprocessor GIC */
	mmio_write32(gicd + GICD_ICENABLER, ~0U);
	for (unsigned i = 0; i < 32; i += 4)
		mmio_write32(gicd + GICD_IPRIORITYR + i, GIC_PRIO * 0x01010101U);
	mmio_write32(gicc + GICC_PMR, 0xf0);
	mmio_write32(gicc + GICC_BPR, 0);
	mmio_write32(gicc + GICC_CTLR, 1);
	return 0;
}

static uint32_t v2_ack(unsigned *intid)
{
	uint32_t iar = mmio_read32(gicc + GICC_IAR);

	*intid = iar & 0x3ff;
	return iar;
}

static void v2_eoi(uint32_t iar)
{
	mmio_write32(gicc + GICC_EOIR, iar); /* with the source CPU bits of an SGI */
}

static void v2_enable(unsigned intid, unsigned cpu)
{
	if (intid >= 32) {
		uintptr_t r = gicd + GICD_ITARGETSR + (intid & ~3U);
		unsigned shift = 8 * (intid & 3);
		uint32_t v = mmio_read32(r);

		v = (v & ~(0xffU << shift)) | (uint32_t)pcpus[cpu].gicv2_mask << shift;
		mmio_write32(r, v);
	}
	mmio_write32(gicd + GICD_ISENABLER + 4 * (intid / 32), 1U << (intid % 32));
}

static void v2_disable(unsigned intid)
{
	mmio_write32(gicd + GICD_ICENABLER + 4 * (intid / 32), 1U << (intid % 32));
}

/* GICD_ICFGR: two bits per INTID, the upper one set = edge-triggered (IHI 0069 12.9.9). */
static void v2_set_edge(unsigned intid)
{
	uintptr_t r = gicd + GICD_ICFGR + 4 * (intid / 16);

	if (intid >= 32)
		mmio_write32(r, mmio_read32(r) | 2U << (2 * (intid % 16)));
}

static void v2_send_sgi(unsigned sgi, unsigned cpu)
{
	dsb(ishst);
	mmio_write32(gicd + GICD_SGIR, (uint32_t)pcpus[cpu].gicv2_mask << 16 | (sgi & 0xf));
}

const struct gic_ops gicv2_ops = {
    .name = "GICv2",
    .version = 2,
    .init = v2_init,
    .init_cpu = v2_init_cpu,
    .ack = v2_ack,
    .eoi = v2_eoi,
    .enable = v2_enable,
    .disable = v2_disable,
    .set_edge = v2_set_edge,
    .send_sgi = v2_send_sgi,
};
