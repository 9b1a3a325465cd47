/*
 * vGIC core: per-VM and per-vCPU interrupt state, injection (software, hardware-
 * linked, level lines, SGIs from ICC_SGI1R) and kicking the vCPUs concerned. The
 * list-register engine is in vgic-lr.c, the register emulation in vgic-mmio/dist/redist.c.
 *
 * Lock order: vm->vgic.lock, then vcpu->vgic.lock (one vCPU at a time); vcpu_kick()
 * only with neither held. Candidates for the LRs are kept in two small bitmaps
 * per vCPU (vgic_vcpu.private_live, vgic_vcpu.spi_live) so the entry path never scans
 * all INTIDs, and takes the VM lock only when an SPI may concern the vCPU.
 */
#include <tandem/irqchip.h>
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/string.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>
#include <tandem/vtimer.h>

#include "vgic-internal.h"

#define VGIC_LOG_LIMIT 16

static unsigned bad_intid_logs;

bool vgic_log_ok(unsigned *counter)
{
	unsigned n = *counter;

	if (n > VGIC_LOG_LIMIT)
		return false;
	*counter = n + 1;
	if (n == VGIC_LOG_LIMIT) {
		log_warn("vgic: further messages of this kind suppressed");
		return false;
	}
	return true;
}

void vgic_irq_mark_live(struct vm *vm, struct vcpu *rd, irq_t intid)
{
	if (intid < VGIC_NR_PRIVATE) {
		if (rd)
			rd->vgic.private_live |= 1u << intid;
	} else {
		unsigned n = intid - VGIC_NR_PRIVATE;
		struct vgic_irq *irq = vgic_get_spi(vm, intid);
		uint16_t dest = irq ? vgic_spi_dest(irq) : VGIC_TARGET_NONE;

		/* Not routed anywhere: an IROUTER write marks it again (vgic-dist.c). */
		if (dest < vm->nr_vcpus)
			vm->vcpus[dest].vgic.spi_live[n / 64] |= 1ULL << (n % 64);
	}
}

void vgic_irq_want_kick(struct vm *vm, struct vcpu *rd, struct vgic_irq *irq, vgic_kickset_t *kicks)
{
	unsigned dest;

	if (!vgic_deliverable(&vm->vgic, irq))
		return;
	dest = rd ? rd->id : vgic_spi_dest(irq);
	if (dest < vm->nr_vcpus)
		*kicks |= 1u << dest;
}

uint16_t vgic_route_target(const struct vm *vm, uint64_t irouter)
{
	uint64_t aff0 = irouter & 0xff;

	/* IRM = 1 (1 of N): vCPU 0 is one of "any". */
	if (irouter & (1ULL << 31))
		return 0;
	if ((irouter & 0xff00ffff00ULL) || aff0 >= vm->nr_vcpus)
		return VGIC_TARGET_NONE;
	return (uint16_t)aff0;
}

void vgic_kick_set(struct vm *vm, vgic_kickset_t kicks)
{
	struct vcpu *cur;

	if (!kicks)
		return;
	cur = vcpu_current();
	while (kicks) {
		unsigned i = (unsigned)__builtin_ctz(kicks);
		struct vcpu *t;

		kicks &= kicks - 1;
		if (i >= vm->nr_vcpus)
			continue;
		t = &vm->vcpus[i];
		if (t == cur)
			continue; /* its own entry path flushes before it runs again */
		t->vgic.kick_pending = true;
		vcpu_kick(t);
	}
}

void vgic_vm_reset(struct vm *vm)
{
	struct vgic_vm *d = &vm->vgic;

	spin_lock(&d->lock);
	d->ctlr = 0;
	d->nr_spis = VGIC_NR_SPIS;
	d->typer = vgic_dist_typer(vm);
	memset(d->spis, 0, sizeof(d->spis));
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		memset(vm->vcpus[i].vgic.spi_live, 0, sizeof(vm->vcpus[i].vgic.spi_live));
	for (unsigned i = 0; i < VGIC_NR_SPIS; i++) {
		struct vgic_irq *irq = &d->spis[i];

		irq->group1 = true; /* DS = 1 guests that never write IGROUPR get IRQs */
		irq->lr = -1;
		irq->target = vgic_route_target(vm, 0);
	}
	spin_unlock(&d->lock);
}

int vgic_vm_init(struct vm *vm)
{
	struct vgic_vm *d = &vm->vgic;
	int ret;

	if (vm->nr_vcpus == 0 || vm->nr_vcpus > 8 * sizeof(vgic_kickset_t)) {
		log_error("vgic: VM %s: %u vCPUs not supported", vm->name, vm->nr_vcpus);
		return -ERR_INVAL;
	}
	d->lock = (spinlock_t)SPINLOCK_INIT;
	vgic_dist_init();
	vgic_redist_init();
	vgic_vm_reset(vm);
	ret = mmio_register(vm, VGIC_GICD_BASE, VGIC_GICD_SIZE, vgic_dist_mmio, vm);
	if (ret < 0) {
		log_error("vgic: VM %s: cannot register GICD: %d", vm->name, ret);
		return ret;
	}
	ret = mmio_register(vm, VGIC_GICR_BASE, (uint64_t)vm->nr_vcpus * VGIC_GICR_STRIDE,
			    vgic_redist_mmio, vm);
	if (ret < 0) {
		log_error("vgic: VM %s: cannot register GICR: %d", vm->name, ret);
		return ret;
	}
	/* The data-abort fast path finds these frames by address (vgic_mmio_fast). */
	mmio_fast_window_add(VGIC_GICD_BASE, VGIC_GICD_SIZE);
	mmio_fast_window_add(VGIC_GICR_BASE, (uint64_t)vm->nr_vcpus * VGIC_GICR_STRIDE);
	return 0;
}

void vgic_vcpu_init(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	unsigned nr_lrs = irqchip_nr_lrs();

	/*
	 * Also runs at PSCI CPU_ON while other vCPUs may inject into this one: reset
	 * everything but the lock, under the lock (memory starts zeroed = unlocked).
	 */
	uint64_t spi_live[ARRAY_SIZE(vv->spi_live)];

	_Static_assert(offsetof(struct vgic_vcpu, lock) == 0, "lock first");
	spin_lock(&vcpu->vm->vgic.lock);
	spin_lock(&vv->lock);
	/* SPIs routed here stay pending across the reset: they belong to the VM. */
	memcpy(spi_live, vv->spi_live, sizeof(spi_live));
	memset((char *)vv + sizeof(vv->lock), 0, sizeof(*vv) - sizeof(vv->lock));
	memcpy(vv->spi_live, spi_live, sizeof(spi_live));
	for (unsigned i = 0; i < VGIC_NR_PRIVATE; i++) {
		struct vgic_irq *irq = &vv->private_irqs[i];

		irq->group1 = true;
		irq->lr = -1;
		irq->owner = (uint16_t)vcpu->id;
		/* SGIs are always edge; like KVM, they come out of reset enabled. */
		irq->edge = i < 16;
		irq->enabled = i < 16;
	}
	vv->rd_sleeping = true;
	vv->nr_lrs = MIN(nr_lrs, VGIC_MAX_LRS);
	spin_unlock(&vv->lock);
	spin_unlock(&vcpu->vm->vgic.lock);
}

static void bad_intid(struct vm *vm, const char *what, irq_t intid)
{
	if (vgic_log_ok(&bad_intid_logs))
		log_warn("vgic: VM %s: %s of INTID %u ignored", vm ? vm->name : "?", what, intid);
}

/* Marks irq pending (edge event) and returns the vCPUs to kick; locks held by caller. */
static void make_pending(struct vm *vm, struct vcpu *rd, irq_t intid, struct vgic_irq *irq,
			 vgic_kickset_t *kicks)
{
	irq->pending = true;
	vgic_irq_mark_live(vm, rd, intid);
	vgic_irq_want_kick(vm, rd, irq, kicks);
}

/* Counts an injection on the vCPU an SPI is headed for (vm lock held). */
static void count_spi(struct vm *vm, struct vgic_irq *irq)
{
	uint16_t dest = vgic_spi_dest(irq);
	struct vcpu *t;

	if (dest >= vm->nr_vcpus)
		return;
	t = &vm->vcpus[dest];
	spin_lock(&t->vgic.lock);
	t->stats.injected++;
	spin_unlock(&t->vgic.lock);
}

void vgic_inject(struct vm *vm, struct vcpu *vcpu, irq_t intid)
{
	vgic_kickset_t kicks = 0;
	struct vgic_irq *irq;

	if (intid < VGIC_NR_PRIVATE) {
		if (!vcpu) {
			bad_intid(vm, "injection without a vCPU", intid);
			return;
		}
		vm = vcpu->vm;
		spin_lock(&vcpu->vgic.lock);
		make_pending(vm, vcpu, intid, &vcpu->vgic.private_irqs[intid], &kicks);
		vcpu->stats.injected++;
		spin_unlock(&vcpu->vgic.lock);
	} else {
		if (!vm && vcpu)
			vm = vcpu->vm;
		irq = vm ? vgic_get_spi(vm, intid) : NULL;
		if (!irq) {
			bad_intid(vm, "injection", intid);
			return;
		}
		spin_lock(&vm->vgic.lock);
		make_pending(vm, NULL, intid, irq, &kicks);
		count_spi(vm, irq);
		spin_unlock(&vm->vgic.lock);
	}
	vgic_kick_set(vm, kicks);
}

void vgic_inject_hw(struct vcpu *vcpu, irq_t vintid, irq_t pintid)
{
	struct vm *vm = vcpu->vm;
	bool private = vintid < VGIC_NR_PRIVATE;
	spinlock_t *lock = private ? &vcpu->vgic.lock : &vm->vgic.lock;
	struct vgic_irq *irq = vgic_irq_of(vm, vcpu, vintid);
	vgic_kickset_t kicks = 0;

	if (!irq || pintid >= 1020) {
		bad_intid(vm, "hardware injection", vintid);
		return;
	}
	spin_lock(lock);
	if (irq->pending || irq->active || irq->lr >= 0) {
		/*
		 * Still in flight: the physical interrupt stays active until the guest
		 * deactivates this one. Link it if a software injection got there first,
		 * so that deactivation still reaches the physical interrupt.
		 */
		if (!irq->hw_intid && irq->lr < 0)
			irq->hw_intid = pintid;
	} else {
		irq->hw_intid = pintid;
		make_pending(vm, private ? vcpu : NULL, vintid, irq, &kicks);
		if (private)
			vcpu->stats.injected++;
		else
			count_spi(vm, irq);
	}
	spin_unlock(lock);
	vgic_kick_set(vm, kicks);
}

bool vgic_timer_due(struct vcpu *vcpu)
{
	struct vgic_vcpu *vv = &vcpu->vgic;
	struct vgic_irq *irq = &vv->private_irqs[PPI_VIRT_TIMER];
	bool ret;

	spin_lock(&vv->lock);
	/*
	 * Idle (not pending, active, in an LR or linked) and deliverable once pending: the state
	 * the physical PPI's acknowledgement and vgic_inject_hw() would leave. Setting the PPI
	 * active stands for the acknowledgement: the guest's deactivation through the HW bit finds
	 * it active, and the line, when it rises late, waits behind it instead of arriving twice.
	 */
	if (!irq->pending && !irq->active && irq->lr < 0 && !irq->hw_intid && irq->enabled) {
		irqchip_set_private_active(PPI_VIRT_TIMER, true);
		irq->hw_intid = PPI_VIRT_TIMER;
		irq->pending = true;
		vgic_irq_mark_live(vcpu->vm, vcpu, PPI_VIRT_TIMER);
		vcpu->stats.injected++;
	}
	ret = vgic_lr_pending(&vcpu->vm->vgic, irq);
	spin_unlock(&vv->lock);
	return ret;
}

void vgic_resample_timer_locked(struct vcpu *rd, irq_t intid, vgic_kickset_t *kicks)
{
	struct vgic_irq *irq = &rd->vgic.private_irqs[intid];
	bool level;

	if (!vtimer_line(rd, intid, &level))
		return;
	if (intid == PPI_VIRT_TIMER) {
		/*
		 * The hardware-linked injection latched what the physical PPI 27 saw (the fast
		 * path keeps it a latch); the line, low now, takes it back unless the guest has
		 * taken it. Its rise is the physical interrupt's to bring (vgic_inject_hw).
		 */
		if (!level && irq->hw_intid && irq->pending && !irq->active)
			irq->pending = false;
		return;
	}
	if (level == irq->level)
		return;
	irq->level = level;
	if (level) {
		vgic_irq_mark_live(rd->vm, rd, intid);
		vgic_irq_want_kick(rd->vm, rd, irq, kicks);
		rd->stats.injected++;
	}
}

void vgic_resample_timer(struct vcpu *vcpu, irq_t intid)
{
	vgic_kickset_t kicks = 0;

	spin_lock(&vcpu->vgic.lock);
	vgic_resample_timer_locked(vcpu, intid, &kicks);
	spin_unlock(&vcpu->vgic.lock);
	vgic_kick_set(vcpu->vm, kicks);
}

struct vcpu *vgic_spi_target(struct vm *vm, irq_t intid)
{
	struct vgic_irq *irq = vgic_get_spi(vm, intid);

	if (!irq || irq->target >= vm->nr_vcpus)
		return NULL;
	return &vm->vcpus[irq->target];
}

bool vgic_spi_guest_config(struct vm *vm, irq_t intid, bool *enabled, uint8_t *priority)
{
	const struct vgic_irq *irq = vgic_get_spi(vm, intid);

	if (!irq)
		return false;
	*enabled = irq->enabled;
	*priority = irq->priority;
	return true;
}

void vgic_set_level(struct vm *vm, irq_t intid, bool level)
{
	struct vgic_irq *irq = vgic_get_spi(vm, intid);
	vgic_kickset_t kicks = 0;

	if (!irq) {
		bad_intid(vm, "line level change", intid);
		return;
	}
	spin_lock(&vm->vgic.lock);
	if (irq->level != level) {
		irq->level = level;
		if (level) {
			if (irq->edge)
				irq->pending = true; /* rising edge on an edge-configured line */
			vgic_irq_mark_live(vm, NULL, intid);
			vgic_irq_want_kick(vm, NULL, irq, &kicks);
			count_spi(vm, irq);
		}
	}
	spin_unlock(&vm->vgic.lock);
	vgic_kick_set(vm, kicks);
}

/*
 * One SGI per targeted vCPU: with group0_only (ICC_SGI0R, ICC_ASGI1R) it is forwarded only if
 * the target has that SGI in Group 0; ICC_SGI1R forwards either group, since the guest sees
 * GICD_CTLR.DS = 1 (IHI 0069 "Forwarding an SGI to a target PE"). What make_pending() does,
 * for a private interrupt in place, and one batch of kicks once every target's lock is dropped.
 * The sender's own state changes only if it is a target: that is the return value (the others'
 * changes are theirs to fold and flush, after their kick).
 */
bool vgic_sgi_write(struct vcpu *vcpu, uint64_t val, bool group0_only)
{
	struct vm *vm = vcpu->vm;
	irq_t intid = (val >> 24) & 0xf;
	vgic_kickset_t targets = vgic_sgi_targets(val, vcpu->id, vm->nr_vcpus), kicks = 0;
	bool self = false;

	while (targets) {
		unsigned i = (unsigned)__builtin_ctz(targets);
		struct vcpu *t = &vm->vcpus[i];
		struct vgic_irq *irq = &t->vgic.private_irqs[intid];

		targets &= targets - 1;
		spin_lock(&t->vgic.lock);
		if (!group0_only || !irq->group1) {
			irq->pending = true;
			t->vgic.private_live |= 1u << intid;
			t->stats.injected++;
			self |= t == vcpu;
			if (vgic_deliverable(&vm->vgic, irq))
				kicks |= (vgic_kickset_t)1 << i;
		}
		spin_unlock(&t->vgic.lock);
	}
	if (kicks)
		vgic_kick_set(vm, kicks); /* skips the sender: its exit flushes */
	return self;
}
