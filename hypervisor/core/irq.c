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
#include <tandem/pool.h>
#include <tandem/smmu.h>
#include <tandem/spinlock.h>
#include <tandem/timer.h>
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
	if (id == PPI_HYP_TIMER)
		return IRQ_KIND_HYP_TIMER;
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
		case IRQ_KIND_HYP_TIMER:
			timer_irq(); /* scheduler decisions, stand-ins for blocked vCPUs' timers */
			break;
		default:
			log_warn("CPU %u: unexpected interrupt %u", p->index, id);
			break;
		}
		gic_deactivate(id);
	}
}

/*
 * Where the hypervisor's own interrupts go (docs/design.md): the lowest-numbered pCPU of a
 * pool with no vCPUs (a spare pool), else the lowest-numbered pCPU of a pool whose scheduler
 * lets it host them (not bind: SCHED_HOSTS_HYP_IRQS), else pCPU 0. A bind pool's pCPUs belong
 * to their real-time vCPUs: the only EL2 entries there are those vCPUs' own. Re-evaluated whenever
 * a pool changes.
 */
unsigned irq_hyp_pcpu(void)
{
	unsigned fallback = MAX_PCPUS;

	for (unsigned i = 0; i < nr_pcpus && i < MAX_PCPUS; i++) {
		const struct pool *pool = pcpus[i].sched.pool;

		if (!pcpus[i].online || !pool)
			continue;
		if (pool->nr_vcpus == 0)
			return i;
		if (pool_hosts_hyp_irqs(pool) && fallback == MAX_PCPUS)
			fallback = i;
	}
	return fallback == MAX_PCPUS ? 0 : fallback;
}

/* The pCPU the hypervisor's interrupts go to now (MAX_PCPUS: not routed yet); route_lock. */
static unsigned routed_to = MAX_PCPUS;
static spinlock_t route_lock = SPINLOCK_INIT;

void irq_route_hyp(void)
{
	unsigned target;

	/*
	 * Called by whichever pCPU changed a pool, by several at once when moves complete on
	 * several pCPUs: each looks at the pools and routes under one lock, so the last to
	 * route looks last, and a stale look never has the last word.
	 */
	spin_lock(&route_lock);
	target = irq_hyp_pcpu();
	if (target != routed_to) {
		routed_to = target;
		if (smmu_event_irq()) {
			gic_set_edge(smmu_event_irq()); /* the SMMU pulses it (its DTB says edge) */
			gic_route_spi(smmu_event_irq(), pcpus[target].mpidr);
			log_info("hypervisor interrupts (SMMU events, INTID %u) -> pCPU %u",
				 (unsigned)smmu_event_irq(), target);
		}
		if (platform.uart_irq) {
			gic_route_spi(platform.uart_irq, pcpus[target].mpidr);
			log_info("hypervisor interrupts (console UART, INTID %u) -> pCPU %u",
				 (unsigned)platform.uart_irq, target);
		}
	}
	spin_unlock(&route_lock);
}
