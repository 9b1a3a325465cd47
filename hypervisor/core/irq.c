/* Physical interrupts at EL2: the guest's timer, vGIC maintenance, IPIs, the console UART. */
#include <tandem/arch.h>
#include <tandem/console.h>
#include <tandem/gic.h>
#include <tandem/irq.h>
#include <tandem/log.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/platform.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>

void irq_handle(void)
{
	struct pcpu *p = pcpu_this();

	for (;;) {
		irq_t id = gic_ack();
		struct vcpu *vcpu = p->current;

		if (id >= GIC_SPURIOUS)
			break;
		p->stats.irqs++;
		gic_eoi(id); /* priority drop only (EOImode = 1) */
		if (id == PPI_VIRT_TIMER && vcpu) {
			/* Hardware-linked: the guest's EOI of INTID 27 deactivates the physical
			 * one. */
			vgic_inject_hw(vcpu, PPI_VIRT_TIMER, PPI_VIRT_TIMER);
			continue;
		}
		if (passthrough_irq(id))
			continue; /* hardware-linked: the guest's EOI deactivates it */
		if (id == PPI_MAINTENANCE) {
			if (vcpu)
				vgic_maintenance(vcpu);
		} else if (id == IPI_KICK) {
			p->stats.ipis++; /* the return path re-reads vCPU state and pending
					    interrupts */
		} else if (id == platform.uart_irq) {
			console_irq();
		} else if (id != PPI_VIRT_TIMER) {
			log_warn("CPU %u: unexpected interrupt %u", p->index, id);
		}
		gic_deactivate(id);
	}
}
