/*
 * The vGIC's part of the interrupt-state dump (console Ctrl-A g, virt/vdev_dump.c): for a
 * VM, its distributor, each vCPU's list registers and the interrupts that are pending,
 * active or held in an LR.
 *
 * A VM's picture is formatted under its vGIC locks, so it is consistent. A vCPU running
 * meanwhile may have changed its list registers since (the shadow shows what the last flush
 * wrote).
 *
 * It is the first thing to look at when a guest stops making progress with the hypervisor
 * still up: an interrupt stuck active or pending with nowhere to go shows here.
 */
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/vcpu.h>
#include <tandem/vdev.h>
#include <tandem/vm.h>

#include "vgic-internal.h"

static bool worth_showing(const struct vgic_irq *irq)
{
	return irq->pending || irq->active || irq->level || irq->lr >= 0 || irq->hw_intid;
}

/* " intid:flags": E(nabled) or -, P(ending latch), L(evel high), A(ctive), H(w-linked),
 * e(dge-triggered), then the list register it sits in. */
static void add_irq(struct vdev_dump_buf *out, irq_t intid, const struct vgic_irq *irq)
{
	vdev_dump_add(out, " %u:%s%s%s%s%s%s", intid, irq->enabled ? "E" : "-",
		      irq->pending ? "P" : "", irq->level ? "L" : "", irq->active ? "A" : "",
		      irq->hw_intid ? "H" : "", irq->edge ? "e" : "");
	if (irq->lr >= 0)
		vdev_dump_add(out, "@lr%d", irq->lr);
}

static void add_vcpu(struct vdev_dump_buf *out, struct vcpu *v)
{
	struct vgic_vcpu *vv = &v->vgic;
	struct pcpu *on = v->loaded_on;
	bool any = false;

	spin_lock(&vv->lock);
	vdev_dump_add(
	    out,
	    "tandem: vgic vm %s vcpu %u: %s%s, on pCPU %d, lr_live 0x%x lr_used 0x%x hcr 0x%x "
	    "kick_pending %d, vmcr 0x%x; private",
	    v->vm->name, v->id, vcpu_state_name(v->state), v->held ? " (held)" : "",
	    on ? (int)on->index : -1, vv->lr_live, vv->lr_used, vv->hcr, vv->kick_pending,
	    vv->vif.vmcr);
	for (irq_t i = 0; i < VGIC_NR_PRIVATE; i++) {
		if (worth_showing(&vv->private_irqs[i])) {
			add_irq(out, i, &vv->private_irqs[i]);
			any = true;
		}
	}
	vdev_dump_add(out, "%s\n", any ? "" : " none");
	for (unsigned i = 0; i < vv->nr_lrs; i++) {
		struct irqchip_lr lr = vv->lrs[i];

		if (vv->lr_used & (1u << i))
			vdev_dump_add(
			    out,
			    "tandem: vgic vm %s vcpu %u: lr%u intid %u prio 0x%x%s%s%s%s hw %u\n",
			    v->vm->name, v->id, i, irqchip_lr_vintid(lr), irqchip_lr_priority(lr),
			    irqchip_lr_has(lr, IRQCHIP_LR_PENDING) ? " pending" : "",
			    irqchip_lr_has(lr, IRQCHIP_LR_ACTIVE) ? " active" : "",
			    irqchip_lr_has(lr, IRQCHIP_LR_GROUP1) ? " g1" : " g0",
			    irqchip_lr_has(lr, IRQCHIP_LR_EOI_MAINT) ? " eoi-maint" : "",
			    irqchip_lr_pintid(lr));
	}
	spin_unlock(&vv->lock);
}

void vgic_dump_vm(struct vm *vm, struct vdev_dump_buf *out)
{
	struct vgic_vm *d = &vm->vgic;
	bool any = false;

	spin_lock(&d->lock);
	vdev_dump_add(out, "tandem: vgic vm %s: ctlr 0x%x; spis (flags>target/owner)", vm->name,
		      d->ctlr);
	for (unsigned i = 0; i < d->nr_spis; i++) {
		const struct vgic_irq *irq = &d->spis[i];

		if (!worth_showing(irq))
			continue;
		add_irq(out, (irq_t)(VGIC_NR_PRIVATE + i), irq);
		vdev_dump_add(out, ">%u/%u", irq->target, irq->owner);
		any = true;
	}
	vdev_dump_add(out, "%s\n", any ? "" : " none");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		add_vcpu(out, &vm->vcpus[i]);
	spin_unlock(&d->lock);
}
