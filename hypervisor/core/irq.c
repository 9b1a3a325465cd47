/*
 * Physical interrupts at EL2: the guest's timer, vGIC maintenance, IPIs, the console
 * UART; and where the hypervisor's own device interrupts are routed.
 */
#include <tandem/arch.h>
#include <tandem/console.h>
#include <tandem/gic.h>
#include <tandem/irq.h>
#include <tandem/log.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/platform.h>
#include <tandem/smmu.h>
#include <tandem/stats.h>
#include <tandem/vcpu.h>
#include <tandem/vgic.h>

static enum irq_kind kind_of(irq_t id)
{
	if (id == PPI_VIRT_TIMER)
		return IRQ_KIND_VTIMER;
	if (id == PPI_MAINTENANCE)
		return IRQ_KIND_MAINT;
	if (id == IPI_KICK)
		return IRQ_KIND_KICK;
	if (platform.uart_irq && id == platform.uart_irq)
		return IRQ_KIND_UART;
	return IRQ_KIND_OTHER;
}

void irq_handle(void)
{
	struct pcpu *p = pcpu_this();

	for (;;) {
		irq_t id = gic_ack();
		struct vcpu *vcpu = p->current;
		enum irq_kind kind;

		if (id >= GIC_SPURIOUS)
			break;
		kind = kind_of(id);
		stats_count_irq(kind);
		gic_eoi(id); /* priority drop only (EOImode = 1) */
		if (passthrough_irq(id))
			continue; /* hardware-linked: the guest's EOI deactivates it */
		if (smmu_event_irq() && id == smmu_event_irq()) {
			smmu_handle_events();
			gic_deactivate(id);
			continue;
		}
		switch (kind) {
		case IRQ_KIND_VTIMER:
			if (vcpu) {
				/* Hardware-linked: the guest's EOI of INTID 27 deactivates the
				 * physical one. */
				vgic_inject_hw(vcpu, PPI_VIRT_TIMER, PPI_VIRT_TIMER);
				continue;
			}
			break;
		case IRQ_KIND_MAINT:
			if (vcpu)
				vgic_maintenance(vcpu);
			break;
		case IRQ_KIND_KICK:
			break; /* the return path re-reads vCPU state and pending interrupts */
		case IRQ_KIND_UART:
			console_irq();
			break;
		default:
			log_warn("CPU %u: unexpected interrupt %u", p->index, id);
			break;
		}
		gic_deactivate(id);
	}
}

/*
 * The rule until CPU pools (issue 4) take this decision over: the lowest-numbered online
 * pCPU with no vCPU placed on it; if every pCPU runs a vCPU, pCPU 0. VMs are placed in
 * description order from pCPU 0 up, so a real-time VM listed after the others never
 * shares its pCPUs with the hypervisor's interrupts (docs/design.md).
 */
unsigned irq_hyp_pcpu(void)
{
	for (unsigned i = 0; i < nr_pcpus && i < MAX_PCPUS; i++)
		if (pcpus[i].online && !pcpus[i].vcpu)
			return i;
	return 0;
}

void irq_route_hyp(void)
{
	unsigned target = irq_hyp_pcpu();

	if (smmu_event_irq()) {
		gic_set_edge(smmu_event_irq()); /* the SMMU pulses it (its DTB says edge) */
		gic_route_spi(smmu_event_irq(), pcpus[target].mpidr);
		log_info("hypervisor interrupts (SMMU events, INTID %u) -> pCPU %u",
			 (unsigned)smmu_event_irq(), target);
	}
	if (!platform.uart_irq)
		return;
	gic_route_spi(platform.uart_irq, pcpus[target].mpidr);
	log_info("hypervisor interrupts (console UART, INTID %u) -> pCPU %u",
		 (unsigned)platform.uart_irq, target);
}
