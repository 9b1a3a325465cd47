/*
 * The interrupt-state dump (console Ctrl-A g): for each VM, its distributor, each vCPU's
 * list registers and the interrupts that are pending, active or held in an LR, and the
 * emulated UART's interrupt lines. Taken under the vGIC locks, so each VM's picture is
 * consistent; a vCPU running meanwhile may have changed its list registers since (the
 * shadow shows what the last flush wrote).
 *
 * It is the first thing to look at when a guest stops making progress with the
 * hypervisor still up: an interrupt stuck active or pending with nowhere to go shows here.
 */
#include <tandem/pcpu.h>
#include <tandem/vcpu.h>
#include <tandem/log.h>
#include <tandem/string.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>

#include "vgic-internal.h"

static bool worth_showing(const struct vgic_irq *irq)
{
	return irq->pending || irq->active || irq->level || irq->lr >= 0 || irq->hw_intid;
}

/* "intid:flags" with flags from E(nabled) P(ending latch) L(evel high) A(ctive) H(w-linked)
 * and the list register it sits in. */
static void irq_line(char *buf, size_t len, irq_t intid, const struct vgic_irq *irq)
{
	snprintf_td(buf, len, " %u:%s%s%s%s%s%s", intid, irq->enabled ? "E" : "-",
		    irq->pending ? "P" : "", irq->level ? "L" : "", irq->active ? "A" : "",
		    irq->hw_intid ? "H" : "", irq->edge ? "e" : "");
	if (irq->lr >= 0) {
		size_t n = strlen(buf);

		snprintf_td(buf + n, len - n, "@lr%d", irq->lr);
	}
}

static void dump_vcpu(struct vcpu *v)
{
	struct vgic_vcpu *vv = &v->vgic;
	struct pcpu *on = v->loaded_on;
	char irqs[200], one[32];
	size_t n = 0;

	irqs[0] = '\0';
	spin_lock(&vv->lock);
	for (irq_t i = 0; i < VGIC_NR_PRIVATE; i++) {
		const struct vgic_irq *irq = &vv->private_irqs[i];

		if (!worth_showing(irq))
			continue;
		irq_line(one, sizeof(one), i, irq);
		if (n + strlen(one) + 1 < sizeof(irqs)) {
			memcpy(irqs + n, one, strlen(one) + 1);
			n += strlen(one);
		}
	}
	printk("tandem: vgic vm %s vcpu %u: %s%s, on pCPU %d, lr_live 0x%x lr_used 0x%x hcr 0x%x "
	       "kick_pending %d, vmcr 0x%x; private%s\n",
	       v->vm->name, v->id, vcpu_state_name(v->state), v->held ? " (held)" : "",
	       on ? (int)on->index : -1, vv->lr_live, vv->lr_used, vv->hcr, vv->kick_pending,
	       vv->vmcr, n ? irqs : " none");
	for (unsigned i = 0; i < vv->nr_lrs; i++)
		if (vv->lr_used & (1u << i))
			printk("tandem: vgic vm %s vcpu %u: lr%u 0x%llx\n", v->vm->name, v->id, i,
			       (unsigned long long)vv->lrs[i]);
	spin_unlock(&vv->lock);
}

static void dump_vm(struct vm *vm)
{
	struct vgic_vm *d = &vm->vgic;
	char spis[200], one[48];
	size_t n = 0;

	spis[0] = '\0';
	spin_lock(&d->lock);
	for (unsigned i = 0; i < d->nr_spis; i++) {
		const struct vgic_irq *irq = &d->spis[i];
		size_t len;

		if (!worth_showing(irq))
			continue;
		irq_line(one, sizeof(one), (irq_t)(VGIC_NR_PRIVATE + i), irq);
		len = strlen(one);
		snprintf_td(one + len, sizeof(one) - len, ">%u/%u", irq->target, irq->owner);
		len = strlen(one);
		if (n + len + 1 < sizeof(spis)) {
			memcpy(spis + n, one, len + 1);
			n += len;
		}
	}
	printk(
	    "tandem: vgic vm %s: ctlr 0x%x; spis (flags>target/owner)%s; uart imsc 0x%x ris 0x%x "
	    "rx %u\n",
	    vm->name, d->ctlr, n ? spis : " none", vm->uart.imsc, vm->uart.ris, vm->uart.rx_count);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		dump_vcpu(&vm->vcpus[i]);
	spin_unlock(&d->lock);
}

void vgic_dump(void)
{
	for (unsigned i = 0; i < nr_vms; i++)
		dump_vm(&vms[i]);
}
