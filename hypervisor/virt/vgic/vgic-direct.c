/*
 * Direct delivery on bind pCPUs (pool irq = "direct", docs/design.md "Direct delivery"): the
 * vCPU takes its own physical interrupts (Group 1: its virtual timer, its passed-through SPIs)
 * at EL1 with HCR_EL2.IMO clear, while the hypervisor keeps the pCPU through Group 0 (FIQ,
 * HCR_EL2.FMO stays set). What only the vGIC can deliver (emulated devices' interrupts, SGIs,
 * the emulated EL1 physical timer) goes through the list registers in an *excursion*: IMO set
 * again until the guest has ended all of them (each such LR asks for a maintenance interrupt
 * at its EOI: vgic-lr.c make_lr), then direct again.
 *
 * Everything here runs on the vCPU's own pCPU at EL2, IRQs masked: at each exit edge
 * (vgic_direct_exit), at each entry edge (vgic_direct_enter: EL2 takes the interface back while
 * it runs) and when the vCPU leaves the pCPU (vgic_direct_put: everything handed back).
 */
#include <tandem/arch.h>
#include <tandem/arch_vcpu.h>
#include <tandem/irqchip.h>
#include <tandem/timer.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "vgic-internal.h"

/* How long an excursion waits for the guest to end the physical interrupt it is handling. */
#define DIRECT_RETRY_US 50

enum vgic_direct_step vgic_direct_decide(bool on, bool lrs_live, bool in_service)
{
	if (!lrs_live)
		return on ? DIRECT_STAY : DIRECT_GO_ON;
	if (!on)
		return DIRECT_STAY_TRAPPED; /* the excursion goes on until the LRs are empty */
	/*
	 * The guest has acknowledged a physical interrupt and not ended it: with IMO set its EOI
	 * would go to the virtual interface and never reach it. Stay direct; look again soon.
	 */
	return in_service ? DIRECT_RETRY : DIRECT_GO_OFF;
}

/* The physical PPI 27 as the guest configured its virtual one (GICR_IS/ICENABLER0, priority). */
static void sync_timer_config(struct vcpu *vcpu)
{
	const struct vgic_irq *irq = &vcpu->vgic.private_irqs[PPI_VIRT_TIMER];
	uint16_t cfg = (uint16_t)(VGIC_DIRECT_CFG_VALID | (irq->enabled ? VGIC_DIRECT_CFG_ON : 0) |
				  irqchip_guest_prio(irq->priority));

	if (vcpu->vgic.direct_cfg == cfg)
		return;
	irqchip_config_private(PPI_VIRT_TIMER, irq->enabled, irqchip_guest_prio(irq->priority));
	vcpu->vgic.direct_cfg = cfg;
}

void vgic_direct_enter(struct vcpu *vcpu)
{
	/* EL2's own settings while it runs (EOImode 1, Group 1 enabled); HCR_EL2 stays. */
	irqchip_direct_off();
}

/*
 * EL2 waits in place for the loaded vCPU (a PSCI CPU_SUSPEND in a bind pool: vcpu_wfi). With
 * IMO clear a physical IRQ is routed to EL1, and an interrupt routed to a lower EL is never
 * taken at EL2 (Arm ARM D1.3.6): the vCPU's own timer would wake the WFI and not be taken,
 * round and round, and the wait would never end. IRQs go to EL2 for the wait (its handler then
 * makes the interrupt pending in the vGIC, which ends it); the exit edge decides afresh after.
 */
void vgic_direct_wait(struct vcpu *vcpu, bool waiting)
{
	if (vcpu->vgic.direct_on)
		arch_vcpu_set_irq_direct(vcpu, !waiting);
}

static void retry_fired(struct timer *timer)
{
	/* Its interrupt was the point: the exit edge after it looks again. */
}

void vgic_direct_init(struct vcpu *vcpu)
{
	timer_init(&vcpu->direct_retry, retry_fired);
}

void vgic_direct_exit(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	bool on = vv->direct_on;

	sync_timer_config(vcpu);
	switch (vgic_direct_decide(on, vv->lr_live != 0, on && irqchip_direct_in_service())) {
	case DIRECT_RETRY:
		timer_arm(&vcpu->direct_retry,
			  arch_counter_read() + DIRECT_RETRY_US * arch_counter_freq() / 1000000);
		__attribute__((fallthrough)); /* direct until then */
	case DIRECT_STAY:
	case DIRECT_GO_ON:
		irqchip_direct_on();
		arch_vcpu_set_irq_direct(vcpu, true);
		vv->direct_on = true;
		break;
	case DIRECT_GO_OFF:
		vcpu->stats.excursions++;
		__attribute__((fallthrough));
	case DIRECT_STAY_TRAPPED:
		arch_vcpu_set_irq_direct(vcpu, false);
		vv->direct_on = false;
		break;
	}
}

void vgic_direct_put(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;

	timer_cancel(&vcpu->direct_retry);
	if (vv->direct_on && irqchip_direct_in_service()) {
		/*
		 * Leaving inside the handler of a direct interrupt (a stop, a restart, a move): end
		 * it here, or its active priority and state would stay on this pCPU for good. The
		 * guest's own EOI later finds nothing to end; a line still high fires again.
		 */
		irqchip_direct_end_service();
		irqchip_set_private_active(PPI_VIRT_TIMER, false);
	}
	/* The trapped configuration: PPI 27 enabled at the guests' priority, IMO set. */
	irqchip_config_private(PPI_VIRT_TIMER, true, IRQCHIP_PRIO_GUEST);
	vv->direct_cfg = 0;
	arch_vcpu_set_irq_direct(vcpu, false);
	vv->direct_on = false;
}
