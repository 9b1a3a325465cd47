/*
 * The list-register engine: every exit folds the LRs back into interrupt state
 * (vgic_sync), every entry rebuilds them from it (vgic_flush), writing only the LRs
 * that changed; vCPU switches save/restore the rest of the CPU interface.
 *
 * Lock order: vm->vgic.lock, then vcpu->vgic.lock; vcpu_kick() with neither held.
 * The VM lock is taken only when an SPI is involved (vgic_vcpu.lr_spi, spi_live), so
 * vCPUs trading timer ticks and SGIs do not contend for it. All of this runs on the
 * vCPU's own pCPU, IRQs masked.
 */
#include <tandem/irqchip.h>
#include <tandem/arch.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>

#include "vgic-internal.h"

/*
 * Reads back the LRs the last flush wrote and folds their state into the
 * interrupts, on the vCPU's own pCPU, with its lock held and the VM lock too if
 * any of them holds an SPI (lr_spi). An LR that went invalid is an interrupt the
 * guest deactivated.
 */
static void fold_lrs(struct vcpu *vcpu, vgic_kickset_t *kicks)
{
	struct vm *vm = vcpu->vm;
	struct vgic_vcpu *vv = &vcpu->vgic;
	uint32_t live = vv->lr_live;
	uint32_t empty = live ? irqchip_empty_lrs() : 0;

	while (live) {
		unsigned i = (unsigned)__builtin_ctz(live);
		struct irqchip_lr val, written = vv->lrs[i];
		irq_t intid;
		struct vgic_irq *irq;
		bool lp, la;

		live &= live - 1;
		/* ELRSR: invalid and no EOI maintenance outstanding; only State can differ. */
		if (empty & (1u << i))
			val = irqchip_lr_without(vv->lrs[i], IRQCHIP_LR_STATE);
		else
			val = irqchip_read_lr(i);
		vv->lrs[i] = val;
		intid = irqchip_lr_vintid(val);
		irq = vgic_irq_of(vm, vcpu, intid);
		if (!irq || irq->lr != (int8_t)i) {
			log_error("vgic: VM %s vCPU %u: LR%u holds unexpected INTID %u", vm->name,
				  vcpu->id, i, intid);
			continue;
		}
		irq->lr = -1;
		lp = irqchip_lr_has(val, IRQCHIP_LR_PENDING);
		la = irqchip_lr_has(val, IRQCHIP_LR_ACTIVE);
		if (__builtin_expect(lp && !la && intid == PPI_VIRT_TIMER && irq->hw_intid, 0)) {
			/*
			 * Presented but not taken yet: if the guest stopped its timer meanwhile the
			 * line is low and the interrupt goes, from the LR too (the next flush).
			 */
			vgic_resample_timer_locked(vcpu, intid, kicks);
			if (!vgic_irq_pending(irq)) {
				/* Never taken: nobody else deactivates the physical one. */
				irqchip_deactivate(irq->hw_intid);
				irq->hw_intid = 0;
				lp = false;
			}
		}
		irq->active = la;
		/* Deactivated, or acknowledged (its pending state went, its active state came). */
		if (!la || (irqchip_lr_has(written, IRQCHIP_LR_PENDING) && !lp))
			irq->active_unacked = false;
		if (irq->edge) {
			if (lp)
				irq->pending = true;
		} else if (!lp && !la) {
			irq->pending = false; /* acknowledged and deactivated: SW latch consumed */
		}
		if ((lp || la) && intid < VGIC_NR_PRIVATE)
			vv->private_live |= 1u << intid; /* vgic_irq_mark_live(), in place */
		else if (lp || la)
			vgic_irq_mark_live(vm, vcpu, intid);
		if (!lp && !la && irq->hw_intid) {
			/* Deactivated. Without the HW bit the guest could not do it for us. */
			if (!irqchip_lr_has(val, IRQCHIP_LR_HW))
				irqchip_deactivate(irq->hw_intid);
			irq->hw_intid = 0;
		}
		/* An SPI re-routed while it sat here goes to its new target. */
		if (intid >= VGIC_NR_PRIVATE && !la && irq->target != vcpu->id)
			vgic_irq_want_kick(vm, NULL, irq, kicks);
	}
	vv->lr_live = 0;
	vv->lr_spi = 0;
}

/*
 * direct: the vCPU's pool delivers directly (vgic-direct.c), so these LRs are an excursion
 * that must end as soon as the guest is done: every LR asks for maintenance at its EOI, and a
 * hardware-linked one is deactivated by fold_lrs at that maintenance instead (no HW bit).
 */
static inline __attribute__((always_inline)) struct irqchip_lr
make_lr(const struct vgic_vm *d, const struct vgic_irq *irq, irq_t intid, bool eoi_maintenance,
	bool direct)
{
	unsigned flags = 0;
	bool hw = irq->hw_intid && !direct;

	if (irq->group1)
		flags |= IRQCHIP_LR_GROUP1;
	if (irq->active)
		flags |= IRQCHIP_LR_ACTIVE;
	if (vgic_lr_pending(d, irq))
		flags |= IRQCHIP_LR_PENDING;
	if (hw)
		flags |= IRQCHIP_LR_HW;
	else if (!irq->edge || eoi_maintenance || direct)
		flags |= IRQCHIP_LR_EOI_MAINT; /* level: resample the line when the guest is done */
	return irqchip_lr_make(intid, hw ? irq->hw_intid : 0, irq->priority, flags);
}

/*
 * Sort key: acknowledged active ones first (their EOI must find their LR), then the others
 * (pending ones, and those only set active by a register write, which are never
 * acknowledged and must not crowd out pending ones), by priority, then INTID.
 */
static uint32_t lr_key(const struct vgic_vm *d, const struct vgic_irq *irq, irq_t intid)
{
	uint32_t rank = irq->active && !irq->active_unacked ? 0 : vgic_deliverable(d, irq) ? 1 : 2;

	return rank << 20 | (uint32_t)irq->priority << 12 | intid;
}

static bool wants_lr(const struct vgic_vm *d, const struct vgic_irq *irq)
{
	return irq->active || vgic_deliverable(d, irq);
}

/* Collects vcpu's private LR candidates as sort keys; prunes interrupts gone idle. */
static unsigned collect_private(struct vcpu *vcpu, uint32_t *keys, unsigned n)
{
	struct vgic_vm *d = &vcpu->vm->vgic;
	struct vgic_vcpu *vv = &vcpu->vgic;
	uint32_t live = vv->private_live;

	while (live) {
		unsigned i = (unsigned)__builtin_ctz(live);
		struct vgic_irq *irq = &vv->private_irqs[i];

		live &= live - 1;
		if (!irq->active && !vgic_irq_pending(irq)) {
			vv->private_live &= ~(1u << i);
			/* Cleared by another vCPU's GICR write (release_hw): we are its pCPU. */
			if (irq->hw_intid && irq->lr < 0) {
				irqchip_deactivate(irq->hw_intid);
				irq->hw_intid = 0;
			}
		} else if (wants_lr(d, irq))
			keys[n++] = lr_key(d, irq, i);
	}
	return n;
}

/* The same for the SPIs marked for vcpu (VM lock held); hands misplaced ones on. */
static unsigned collect_spis(struct vcpu *vcpu, uint32_t *keys, unsigned n)
{
	struct vm *vm = vcpu->vm;
	struct vgic_vcpu *vv = &vcpu->vgic;

	for (unsigned w = 0; w < ARRAY_SIZE(vv->spi_live); w++) {
		uint64_t bits = vv->spi_live[w];

		while (bits) {
			unsigned b = (unsigned)__builtin_ctzll(bits);
			irq_t intid = VGIC_NR_PRIVATE + w * 64 + b;
			struct vgic_irq *irq = &vm->vgic.spis[w * 64 + b];

			bits &= bits - 1;
			if (vgic_spi_dest(irq) != vcpu->id) {
				/* Re-routed, or held in another vCPU's LRs: that vCPU's now. */
				vv->spi_live[w] &= ~(1ULL << b);
				if (irq->active || vgic_irq_pending(irq) || irq->lr >= 0)
					vgic_irq_mark_live(vm, NULL, intid);
			} else if (!irq->active && !vgic_irq_pending(irq)) {
				vv->spi_live[w] &= ~(1ULL << b);
			} else if (wants_lr(&vm->vgic, irq)) {
				keys[n++] = lr_key(&vm->vgic, irq, intid);
			}
		}
	}
	return n;
}

/* Peeked without the VM lock by the vCPU itself: an SPI may concern it. */
static bool spis_marked(const struct vgic_vcpu *vv)
{
	uint64_t any = 0;

	for (unsigned w = 0; w < ARRAY_SIZE(vv->spi_live); w++)
		any |= vv->spi_live[w];
	return any != 0;
}

/* The full flush, out of line so that the fast path in vgic_flush() stays a leaf. */
static void __attribute__((noinline)) rebuild_lrs(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vgic_vm *d = &vm->vgic;
	struct vgic_vcpu *vv = &vcpu->vgic;
	uint32_t keys[VGIC_MAX_INTID];
	vgic_kickset_t kicks = 0;
	bool any_pending = false;
	bool spis;
	unsigned n, k;
	uint32_t hcr, lr_spi = 0, dirty = 0;

	if (!vv->loaded)
		vgic_vcpu_restore(vcpu);
	/*
	 * The VM lock only if an SPI may be involved. An SPI marked for us after this
	 * peek comes with a kick: the guest exits again at once and we look again.
	 */
	spis = vv->lr_spi || spis_marked(vv);
	if (spis)
		spin_lock(&d->lock);
	spin_lock(&vv->lock);
	fold_lrs(vcpu, &kicks);
	vv->kick_pending = false;

	n = collect_private(vcpu, keys, 0);
	if (spis)
		n = collect_spis(vcpu, keys, n);
	k = MIN(n, vv->nr_lrs);
	for (unsigned s = 0; s < k; s++) { /* partial selection sort: k <= 16 */
		unsigned best = s;

		for (unsigned j = s + 1; j < n; j++)
			if (keys[j] < keys[best])
				best = j;
		uint32_t t = keys[s];
		keys[s] = keys[best];
		keys[best] = t;
	}

	for (unsigned i = 0; i < vv->nr_lrs; i++) {
		struct irqchip_lr val = {0};

		if (i < k) {
			irq_t intid = keys[i] & 0xfff;
			struct vgic_irq *irq = vgic_irq_of(vm, vcpu, intid);

			val = make_lr(d, irq, intid, n > k, vv->direct_capable);
			irq->lr = (int8_t)i;
			irq->owner = (uint16_t)vcpu->id;
			if (intid >= VGIC_NR_PRIVATE)
				lr_spi |= 1u << i;
			if (irqchip_lr_has(val, IRQCHIP_LR_PENDING)) {
				any_pending = true;
				if (irq->edge)
					irq->pending = false; /* the LR carries it now */
			}
		}
		if (!irqchip_lr_equal(val, vv->lrs[i])) {
			vv->lrs[i] = val;
			dirty |= 1u << i;
		}
	}
	vv->lr_live = (uint32_t)((1ULL << k) - 1);
	vv->lr_used = vv->lr_live; /* the loop above emptied every LR from k on */
	vv->lr_spi = lr_spi;

	/*
	 * More candidates than LRs: exit when room appears. Underflow (at most one
	 * valid LR left) needs two LRs to be meaningful; no-pending needs a pending LR
	 * or it would fire at once. Each non-HW LR also traps on EOI (make_lr).
	 */
	hcr = IRQCHIP_VIF_ENABLE;
	if (n > k) {
		if (vv->nr_lrs >= 2)
			hcr |= IRQCHIP_VIF_UNDERFLOW;
		if (any_pending)
			hcr |= IRQCHIP_VIF_NO_PENDING;
	}
	irqchip_write_lrs(vv->lrs, dirty, hcr);
	vv->hcr = hcr;
	spin_unlock(&vv->lock);
	if (spis)
		spin_unlock(&d->lock);
	vgic_kick_set(vm, kicks);
}

/*
 * Whether vgic_flush() would change nothing: no LR in use or left to empty, no candidate
 * for one, the interface loaded and its control as the flush would write it. The common
 * trap (a hypercall, an MMIO access) of a vCPU with no interrupt in flight ends here.
 * private_live is peeked without the lock, like the SPI marks: an interrupt marked after
 * the peek by another pCPU comes with a kick (vgic_kick_set), so the guest exits again at
 * once, as it would after a full flush that ran just before the marking.
 */
static bool flush_changes_nothing(const struct vgic_vcpu *vv)
{
	return vv->loaded && !vv->lr_used && vv->hcr == IRQCHIP_VIF_ENABLE &&
	       !__atomic_load_n(&vv->private_live, __ATOMIC_RELAXED) && !spis_marked(vv);
}

/*
 * rebuild_lrs() for the state most exits leave: no SPI concerns the vCPU (none in its LRs,
 * none marked: the VM lock is not needed, as for vgic_flush()'s peek), its interface is loaded
 * and it does not deliver directly, and after the fold at most one private interrupt wants a
 * list register (an SGI just sent, an interrupt the guest is handling). That one goes to LR0
 * as rebuild_lrs() would put it (no maintenance: nothing waits for room), the other LRs last
 * written are emptied. Returns false, having changed nothing but what the fold and the pruning
 * of idle interrupts do (both of which rebuild_lrs() repeats as no-ops), if a second candidate
 * turns up: rebuild_lrs() then sorts them.
 */
/*
 * flush_one()'s fold and pick for the state an exchange of SGIs leaves, with the vCPU's lock
 * held: LR0 the only list register in use, holding the only live private interrupt, an edge
 * one without a hardware link (an SGI), which the guest has finished with (ELRSR: invalid, no
 * maintenance outstanding) and which is pending again (sent again since). The fold would find
 * it neither pending nor active in the LR and clear its LR and active state; the pick would
 * put it back into LR0, pending. Only LR0 changes in hardware: written as make_lr() builds it
 * for that state. False, having changed nothing, in any other state.
 */
static bool refill_edge_lr0(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	irq_t intid = irqchip_lr_vintid(vv->lrs[0]);
	struct vgic_irq *irq, folded;
	struct irqchip_lr lr;

	if (vv->lr_live != 1 || vv->lr_used != 1 || vv->hcr != IRQCHIP_VIF_ENABLE ||
	    intid >= VGIC_NR_PRIVATE || vv->private_live != 1u << intid)
		return false;
	irq = &vv->private_irqs[intid];
	if (irq->lr != 0 || !irq->edge || irq->hw_intid || !irq->pending)
		return false;
	folded = *irq;
	folded.active = false;
	if (!vgic_deliverable(&vcpu->vm->vgic, &folded))
		return false;
	lr = make_lr(&vcpu->vm->vgic, &folded, intid, false, false);
	if (!irqchip_refill_lr0(lr))
		return false; /* the guest still holds it (active, or not taken yet) */
	irq->active = false;
	irq->active_unacked = false;
	irq->pending = false; /* the LR carries it now */
	irq->owner = (uint16_t)vcpu->id;
	vv->lrs[0] = lr;
	vv->kick_pending = false;
	return true;
}

static bool flush_one(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	struct vgic_vm *d = &vcpu->vm->vgic;
	vgic_kickset_t kicks = 0;
	struct irqchip_lr lr = {0};
	uint32_t live, dirty, one = 0;
	int cand = -1;

	if (!vv->loaded || vv->lr_spi || vv->direct_capable || spis_marked(vv))
		return false;
	spin_lock(&vv->lock);
	if (refill_edge_lr0(vcpu)) {
		spin_unlock(&vv->lock);
		return true;
	}
	if (vv->lr_live)
		fold_lrs(vcpu, &kicks);
	for (live = vv->private_live; live; live &= live - 1) {
		unsigned i = (unsigned)__builtin_ctz(live);
		struct vgic_irq *irq = &vv->private_irqs[i];

		if (!irq->active && !vgic_irq_pending(irq)) {
			vv->private_live &= ~(1u << i);
			/* Cleared by another vCPU's GICR write (release_hw): we are its pCPU. */
			if (irq->hw_intid && irq->lr < 0) {
				irqchip_deactivate(irq->hw_intid);
				irq->hw_intid = 0;
			}
		} else if (wants_lr(d, irq)) {
			if (cand >= 0) {
				spin_unlock(&vv->lock);
				vgic_kick_set(vcpu->vm, kicks);
				return false;
			}
			cand = (int)i;
		}
	}
	vv->kick_pending = false;
	if (cand >= 0) {
		struct vgic_irq *irq = &vv->private_irqs[cand];

		lr = make_lr(d, irq, (irq_t)cand, false, false);
		irq->lr = 0;
		irq->owner = (uint16_t)vcpu->id;
		if (irq->edge && irqchip_lr_has(lr, IRQCHIP_LR_PENDING))
			irq->pending = false; /* the LR carries it now */
		one = 1;
	}
	/* LR0 if it changes, and every other LR written since it was last emptied. */
	dirty = vv->lr_used & ~1u;
	for (live = dirty; live; live &= live - 1)
		vv->lrs[__builtin_ctz(live)] = (struct irqchip_lr){0};
	if (!irqchip_lr_equal(lr, vv->lrs[0])) {
		vv->lrs[0] = lr;
		dirty |= 1;
	}
	vv->lr_live = one;
	vv->lr_used = one;
	irqchip_write_lrs(vv->lrs, dirty, IRQCHIP_VIF_ENABLE);
	vv->hcr = IRQCHIP_VIF_ENABLE;
	spin_unlock(&vv->lock);
	if (kicks)
		vgic_kick_set(vcpu->vm, kicks);
	return true;
}

void vgic_flush(struct vcpu *vcpu)
{
	if (flush_changes_nothing(&vcpu->vgic)) {
		vcpu->vgic.kick_pending = false;
		return;
	}
	if (!flush_one(vcpu))
		rebuild_lrs(vcpu);
}

/* The tick's list register: pending, hardware-linked to pintid (make_lr() for that state). */
static inline struct irqchip_lr tick_lr(const struct vgic_irq *irq, irq_t pintid)
{
	return irqchip_lr_make(PPI_VIRT_TIMER, pintid, irq->priority,
			       IRQCHIP_LR_PENDING | IRQCHIP_LR_HW |
				   (irq->group1 ? IRQCHIP_LR_GROUP1 : 0));
}

/*
 * The timer tick's whole round trip through the vGIC (vgic.h), for the one state it has on a
 * vCPU with nothing else in flight: LR0 empty or holding the last tick, deactivated since
 * (ELRSR), no other LR written, no other private interrupt live, no SPI marked (a mark made
 * after the peek comes with a kick, as for vgic_flush()), the interface loaded with no
 * maintenance asked. The result is what fold_lrs(), vgic_inject_hw() and rebuild_lrs()
 * compute from that state: the tick in LR0, pending and hardware-linked.
 *
 * Tick after tick that state is the same: the shadow already says "the tick, pending, in
 * LR0" (written by the last fast tick, never synced since), so the software state would be
 * rewritten with what it holds and only the hardware's LR0 changes. That case takes no lock:
 * it writes nothing another pCPU writes (they change private_live, the IRQ's configuration and
 * the SPI marks under the lock, then kick this pCPU, whose next exit sees the change; a change
 * just after the peeks is as if it came just after the tick). Anything else goes through the
 * locked path, which establishes that state.
 */
/* The locked path (out of line: the steady state stays a leaf without a stack frame). */
static bool __attribute__((noinline))
timer_fast_locked(struct vcpu *vcpu, irq_t pintid, struct irqchip_lr lr, uint32_t grp)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	struct vgic_irq *irq = &vv->private_irqs[PPI_VIRT_TIMER];
	bool ok;

	spin_lock(&vv->lock);
	ok = !(vv->private_live & ~(1u << PPI_VIRT_TIMER)) && irq->enabled && !irq->edge &&
	     (vcpu->vm->vgic.ctlr & grp);
	if (ok && vv->lr_live)
		/* The last tick in LR0 (taken and deactivated by the guest: the refill's check). */
		ok = vv->lr_live == 1 && irq->lr == 0 && irq->hw_intid;
	else if (ok)
		ok = irq->lr < 0 && !vgic_irq_pending(irq) && !irq->active;
	/* rebuild_lrs() with one candidate: LR0, no maintenance (hcr unchanged: no write). */
	if (!ok || !irqchip_refill_lr0(lr)) {
		spin_unlock(&vv->lock);
		return false;
	}
	/* fold_lrs() of a deactivated hardware-linked level interrupt */
	irq->active = false;
	irq->active_unacked = false;
	/* vgic_inject_hw(): pending, linked to the physical interrupt, live */
	irq->hw_intid = pintid;
	irq->pending = true;
	vv->private_live = 1u << PPI_VIRT_TIMER;
	irq->lr = 0;
	irq->owner = (uint16_t)vcpu->id;
	vv->lrs[0] = lr;
	vv->lr_live = 1;
	vv->lr_used = 1;
	vv->kick_pending = false;
	spin_unlock(&vv->lock);
	return true;
}

bool vgic_timer_fast(struct vcpu *vcpu, irq_t pintid)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	struct vgic_irq *irq = &vv->private_irqs[PPI_VIRT_TIMER];
	uint32_t grp = irq->group1 ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0;
	struct irqchip_lr lr;

	/* A direct vCPU's excursion wants every LR to end in a maintenance interrupt (make_lr). */
	if (!vv->loaded || vv->hcr != IRQCHIP_VIF_ENABLE || vv->lr_spi || (vv->lr_used & ~1u) ||
	    vv->direct_capable || spis_marked(vv))
		return false;
	lr = tick_lr(irq, pintid);
	if (vv->lr_live != 1 || !irqchip_lr_equal(vv->lrs[0], lr) || irq->lr != 0 ||
	    __atomic_load_n(&vv->private_live, __ATOMIC_RELAXED) != 1u << PPI_VIRT_TIMER ||
	    !irq->enabled || irq->edge || !(vcpu->vm->vgic.ctlr & grp))
		return timer_fast_locked(vcpu, pintid, lr, grp);
	/* The shadow holds this tick already: only the hardware's LR0, if the guest is done with
	 * the last one (else the generic path, which syncs, finds out what the guest did). */
	vv->kick_pending = false;
	return irqchip_refill_lr0(lr);
}

/* The sync proper, out of line: vgic_sync() needs it only when the last flush filled LRs. */
static void __attribute__((noinline)) read_back_lrs(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	vgic_kickset_t kicks = 0;
	bool spis = vv->lr_spi;

	if (spis)
		spin_lock(&vcpu->vm->vgic.lock);
	spin_lock(&vv->lock);
	fold_lrs(vcpu, &kicks);
	spin_unlock(&vv->lock);
	if (spis)
		spin_unlock(&vcpu->vm->vgic.lock);
	vgic_kick_set(vcpu->vm, kicks);
}

void vgic_sync(struct vcpu *vcpu)
{
	/* lr_live only changes on the vCPU's own pCPU: no lock needed to peek. */
	if (vcpu->vgic.lr_live)
		read_back_lrs(vcpu);
}

bool vgic_vcpu_pending(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vgic_vm *d = &vm->vgic;
	struct vgic_vcpu *vv = &vcpu->vgic;
	bool spis = spis_marked(vv);
	bool ret = false;

	if (spis)
		spin_lock(&d->lock);
	spin_lock(&vv->lock);
	for (uint32_t live = vv->lr_live; live && !ret; live &= live - 1)
		ret = irqchip_lr_has(vv->lrs[__builtin_ctz(live)], IRQCHIP_LR_PENDING);
	for (uint32_t live = vv->private_live; live && !ret; live &= live - 1)
		ret = vgic_lr_pending(d, &vv->private_irqs[__builtin_ctz(live)]);
	for (unsigned w = 0; spis && w < ARRAY_SIZE(vv->spi_live) && !ret; w++) {
		for (uint64_t bits = vv->spi_live[w]; bits && !ret; bits &= bits - 1) {
			struct vgic_irq *irq = &d->spis[w * 64 + __builtin_ctzll(bits)];

			ret = irq->lr < 0 && vgic_spi_dest(irq) == vcpu->id &&
			      vgic_lr_pending(d, irq);
		}
	}
	spin_unlock(&vv->lock);
	if (spis)
		spin_unlock(&d->lock);
	return ret;
}

void vgic_maintenance(struct vcpu *vcpu)
{
	if (!vcpu) {
		/* No vCPU here: nothing should be loaded; silence the interface. */
		irqchip_write_lrs(NULL, 0, 0);
		return;
	}
	vgic_sync(vcpu);
	vgic_flush(vcpu);
}

/*
 * Per pCPU: every list register holds 0 and the interface is off, as vgic_vcpu_save() leaves
 * them (it empties every LR its shadow says is written); the next restore there need not write
 * them again. False after reset, where they are UNKNOWN, and from a restore on.
 */
static bool lrs_clear[MAX_PCPUS];

void vgic_vcpu_save(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	vgic_kickset_t kicks = 0;
	uint32_t dirty = 0, ppis;

	spin_lock(&vcpu->vm->vgic.lock);
	spin_lock(&vv->lock);
	fold_lrs(vcpu, &kicks);
	/*
	 * A hardware-linked PPI (the guest's timer) stays active in this pCPU's GIC until
	 * the guest deactivates it through an LR. The next vCPU here needs that PPI, and
	 * this one may come back on another pCPU: carry the active state with the vCPU
	 * (vgic_vcpu_restore sets it again wherever it runs next, so the guest's EOI still
	 * deactivates the physical interrupt). Not active: the link has nothing to do.
	 */
	/*
	 * After the fold, a PPI is hardware-linked only while it is live (every link comes with a
	 * mark: vgic_inject_hw(), the timer paths; a mark goes only with the link, in the flush's
	 * pruning) or, if an earlier save had no restore yet, in hw_saved: look at those only.
	 */
	ppis = (vv->private_live | (uint32_t)vv->hw_saved << 16) & ~0xffffu;
	vv->hw_saved = 0;
	for (; ppis; ppis &= ppis - 1) {
		unsigned i = (unsigned)__builtin_ctz(ppis);
		struct vgic_irq *irq = &vv->private_irqs[i];

		if (irq->hw_intid) {
			irq->hw_active = irqchip_private_active(irq->hw_intid) &&
					 (irq->active || vgic_irq_pending(irq));
			irqchip_deactivate(irq->hw_intid);
			if (!irq->hw_active)
				irq->hw_intid = 0;
		}
		if (irq->hw_active)
			vv->hw_saved |= (uint16_t)(1u << (i - 16));
	}
	irqchip_vif_save(&vv->vif);
	for (unsigned i = 0; i < vv->nr_lrs; i++) {
		if (!irqchip_lr_empty(vv->lrs[i])) {
			vv->lrs[i] = (struct irqchip_lr){0};
			dirty |= 1u << i;
		}
	}
	vv->lr_used = 0;
	irqchip_write_lrs(vv->lrs, dirty, 0);
	vv->hcr = 0;
	vv->loaded = false;
	lrs_clear[arch_cpu_index()] = true;
	spin_unlock(&vv->lock);
	spin_unlock(&vcpu->vm->vgic.lock);
	/* The interrupts it held are free again: their (other) targets may take them. */
	vgic_kick_set(vcpu->vm, kicks);
}

bool vgic_vcpu_parkable(const struct vcpu *vcpu)
{
	const struct vgic_vcpu *vv = &vcpu->vgic;

	if (!vv->loaded || vv->direct_capable || vv->hcr != IRQCHIP_VIF_ENABLE)
		return false;
	for (uint32_t used = vv->lr_used; used; used &= used - 1)
		if (irqchip_lr_has(vv->lrs[__builtin_ctz(used)], IRQCHIP_LR_EOI_MAINT))
			return false;
	return true;
}

void vgic_vcpu_restore(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	bool *clear = &lrs_clear[arch_cpu_index()];
	vgic_kickset_t kicks = 0;

	if (vv->lr_live) {
		log_error("vgic: VM %s vCPU %u: restored without a save", vcpu->vm->name, vcpu->id);
		vgic_vcpu_save(vcpu);
	}
	spin_lock(&vv->lock);
	irqchip_vif_restore(&vv->vif);
	/*
	 * Whatever this pCPU's LRs held belongs to nobody now (or is UNKNOWN after reset); the
	 * interface stays off (as the last save left it, vv->hcr == 0) until vgic_flush(). The
	 * shadows are emptied here; the LRs too unless the last save on this pCPU left them so.
	 */
	for (unsigned i = 0; i < vv->nr_lrs; i++)
		vv->lrs[i] = (struct irqchip_lr){0};
	if (!*clear)
		irqchip_write_lrs(vv->lrs, (uint32_t)((1ULL << vv->nr_lrs) - 1), 0);
	*clear = false;
	vv->lr_used = 0;
	/* Back from a deschedule: the virtual timer's line may have gone meanwhile (see fold). */
	if (vv->private_irqs[PPI_VIRT_TIMER].pending)
		vgic_resample_timer_locked(vcpu, PPI_VIRT_TIMER, &kicks);
	/* Only save sets hw_active: the PPIs it marked are the only ones to look at. */
	for (uint32_t m = (uint32_t)vv->hw_saved << 16; m; m &= m - 1) {
		struct vgic_irq *irq = &vv->private_irqs[__builtin_ctz(m)];

		/* Not pending nor active any more (cleared meanwhile by another vCPU): let go. */
		if (irq->hw_intid && irq->hw_active && (irq->active || vgic_irq_pending(irq)))
			irqchip_set_private_active(irq->hw_intid, true);
		else if (irq->hw_intid && irq->hw_active)
			irq->hw_intid = 0;
		irq->hw_active = false;
	}
	vv->hw_saved = 0;
	vv->loaded = true;
	spin_unlock(&vv->lock);
	vgic_kick_set(vcpu->vm, kicks);
}
