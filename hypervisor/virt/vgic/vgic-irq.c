/*
 * The vGIC's physical interrupts: the running guest's virtual timer, forwarded to it
 * hardware-linked, and the GIC maintenance interrupt that asks for its list registers to
 * be refilled.
 */
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>

static enum irq_result vtimer_irq(irq_t intid, void *ctx, struct vcpu *running)
{
	if (!running)
		return IRQ_DONE; /* nobody's timer: the vCPU that armed it has left */
	/* Hardware-linked: the guest's EOI of INTID 27 deactivates the physical one. */
	vgic_inject_hw(running, intid, intid);
	return IRQ_FORWARDED;
}

static enum irq_result maintenance_irq(irq_t intid, void *ctx, struct vcpu *running)
{
	if (running)
		vgic_maintenance(running);
	return IRQ_DONE;
}

static const struct irq_owner vtimer_owner = {.name = "guest virtual timer",
					      .kind = IRQ_KIND_VTIMER,
					      .flags = IRQ_GUEST_LINE,
					      .handler = vtimer_irq};
static const struct irq_owner maintenance_owner = {
    .name = "vGIC maintenance", .kind = IRQ_KIND_MAINT, .handler = maintenance_irq};

int vgic_init(void)
{
	int err = irq_claim(PPI_VIRT_TIMER, &vtimer_owner, NULL);

	if (!err)
		err = irq_claim(PPI_MAINTENANCE, &maintenance_owner, NULL);
	/* The GICv3 CPU interface's SGI registers: a GICv2 guest writes GICD_SGIR instead. */
	return err ? err : vcpu_sgi_claim(vgic_sgi_write);
}
