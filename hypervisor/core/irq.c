/*
 * Physical interrupts at EL2: who owns each (irq_claim), dispatch to the owner on the IRQ
 * path, and where the hypervisor's own device interrupts are routed.
 */
#include <tandem/errno.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/pool.h>
#include <tandem/spinlock.h>
#include <tandem/stats.h>

#define IRQ_MAX_SPI_CLAIMS 64

/* One claim. Unclaimed: owner NULL. */
struct irq_slot {
	irq_handler_fn handler;
	void *ctx;
	const struct irq_owner *owner;
};

/*
 * The IRQ path reads these without a lock: a claim is made before its interrupt is enabled
 * or routed, and publishes the owner (SGI/PPI) or the slot index (SPI) last. SGIs/PPIs are
 * indexed by INTID; an SPI's slot is spi_slots[spi_slot_of[intid - 32]], where slot 0 stays
 * unclaimed. claim_lock orders claims.
 */
static struct irq_slot private_slots[IRQCHIP_NR_PRIVATE];
static struct irq_slot spi_slots[1 + IRQ_MAX_SPI_CLAIMS];
static uint8_t spi_slot_of[IRQCHIP_NR_INTIDS - IRQCHIP_NR_PRIVATE];
static irq_t spi_intid[1 + IRQ_MAX_SPI_CLAIMS]; /* the SPI each slot holds */
static unsigned nr_spi_claims;
static spinlock_t claim_lock = SPINLOCK_INIT;

static inline const struct irq_slot *slot_of(irq_t intid)
{
	if (intid < IRQCHIP_NR_PRIVATE)
		return &private_slots[intid];
	return &spi_slots[spi_slot_of[intid - IRQCHIP_NR_PRIVATE]];
}

int irq_claim(irq_t intid, const struct irq_owner *owner, void *ctx)
{
	struct irq_slot *slot;
	int err = 0;

	if (intid >= IRQCHIP_NR_INTIDS) {
		log_error("irq: %s: INTID %u is not an SGI, PPI or SPI", owner->name, intid);
		return -ERR_INVAL;
	}
	spin_lock(&claim_lock);
	slot = (struct irq_slot *)slot_of(intid);
	if (slot->owner) {
		log_error("irq: INTID %u is already claimed by %s: %s cannot have it", intid,
			  slot->owner->name, owner->name);
		err = -ERR_BUSY;
	} else if (intid < IRQCHIP_NR_PRIVATE) {
		slot->ctx = ctx;
		slot->handler = owner->handler;
		__atomic_store_n(&slot->owner, owner, __ATOMIC_RELEASE);
	} else if (nr_spi_claims == IRQ_MAX_SPI_CLAIMS) {
		log_error("irq: %s: no room to claim INTID %u (%u SPIs claimed already)",
			  owner->name, intid, IRQ_MAX_SPI_CLAIMS);
		err = -ERR_NOMEM;
	} else {
		slot = &spi_slots[++nr_spi_claims];
		*slot = (struct irq_slot){owner->handler, ctx, owner};
		spi_intid[nr_spi_claims] = intid;
		__atomic_store_n(&spi_slot_of[intid - IRQCHIP_NR_PRIVATE], (uint8_t)nr_spi_claims,
				 __ATOMIC_RELEASE);
	}
	spin_unlock(&claim_lock);
	return err;
}

void *irq_claimed_by(irq_t intid, const struct irq_owner *owner)
{
	const struct irq_slot *slot;

	if (intid >= IRQCHIP_NR_INTIDS)
		return NULL;
	slot = slot_of(intid);
	return slot->owner == owner ? slot->ctx : NULL;
}

void irq_cpu_init(void)
{
	for (irq_t i = 0; i < IRQCHIP_NR_PRIVATE; i++) {
		const struct irq_owner *owner = private_slots[i].owner;
		bool guest;

		if (!owner)
			continue;
		/* A guest's line is Group 1 (IRQ), the hypervisor's own Group 0 (FIQ): irqchip.h.
		 */
		guest = owner->flags & IRQ_GUEST_LINE;
		irqchip_set_group(i, guest, guest ? IRQCHIP_PRIO_GUEST : IRQCHIP_PRIO_HYP);
		irqchip_enable_private(i);
	}
}

/* Nobody claimed it: say so, and deactivate it so that it does not block its priority. */
static void __attribute__((noinline)) unexpected(struct pcpu *p, struct vcpu *running, irq_t intid)
{
	stats_count_irq(&p->stats, running ? &running->stats : NULL, IRQ_KIND_OTHER);
	log_warn("CPU %u: unexpected interrupt %u", p->index, intid);
	irqchip_deactivate(intid);
}

/* id is acknowledged (and priority-dropped): active until deactivated; then the next one of the
 * same group, until none is pending. */
static inline __attribute__((always_inline)) void handle_from(irq_t id, bool group0)
{
	struct pcpu *p = pcpu_this();

	for (;; id = group0 ? irqchip_ack_group0() : irqchip_ack()) {
		struct vcpu *running = p->current;
		const struct irq_slot *slot;

		if (id >= IRQCHIP_SPURIOUS)
			break;
		slot = slot_of(id);
		if (__builtin_expect(!slot->owner, 0)) {
			unexpected(p, running, id);
			continue;
		}
		stats_count_irq(&p->stats, running ? &running->stats : NULL, slot->owner->kind);
		if (!slot->handler || slot->handler(id, slot->ctx, running) == IRQ_DONE)
			irqchip_deactivate(id);
	}
}

void irq_handle_acked(irq_t id)
{
	handle_from(id, false);
}

void irq_handle(void)
{
	handle_from(irqchip_ack(), false);
}

void irq_handle_acked_group0(irq_t id)
{
	handle_from(id, true);
}

void irq_handle_group0(void)
{
	handle_from(irqchip_ack_group0(), true);
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
		/* In claim order (boot: the SMMU's, then the console's). */
		for (unsigned k = 1; k <= nr_spi_claims; k++) {
			const struct irq_slot *slot = &spi_slots[k];
			irq_t intid = spi_intid[k];

			if (!(slot->owner->flags & IRQ_HYP_DEVICE))
				continue;
			if (slot->owner->flags & IRQ_EDGE)
				irqchip_set_spi_edge(intid);
			irqchip_set_group(intid, false, IRQCHIP_PRIO_HYP); /* Group 0: FIQ */
			irqchip_route_spi(intid, pcpus[target].mpidr);
			log_info("hypervisor interrupts (%s, INTID %u) -> pCPU %u",
				 slot->owner->name, intid, target);
		}
	}
	spin_unlock(&route_lock);
}
