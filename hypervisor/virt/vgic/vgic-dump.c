/*
 * The interrupt-state dump (console Ctrl-A g): for each VM, its distributor, each vCPU's
 * list registers and the interrupts that are pending, active or held in an LR, and the
 * emulated UART's interrupt lines.
 *
 * Each VM's picture is formatted under its vGIC locks, so it is consistent, and printed after
 * they are dropped: a VM's vCPUs take those locks on their trap paths, and a real UART at
 * 115200 baud would hold them for milliseconds. A vCPU running meanwhile may have changed its
 * list registers since (the shadow shows what the last flush wrote).
 *
 * It is the first thing to look at when a guest stops making progress with the hypervisor
 * still up: an interrupt stuck active or pending with nowhere to go shows here.
 */
#include <stdarg.h>
#include <tandem/console.h>
#include <tandem/log.h>
#include <tandem/pcpu.h>
#include <tandem/string.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>

#include "vgic-internal.h"

/* The dump text: about 150 bytes per vCPU line, 30 per interrupt or list register. */
static char text[4096];
static size_t text_len;
static spinlock_t dump_lock = SPINLOCK_INIT;

static void __attribute__((format(printf, 1, 2))) add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (text_len + 1 >= sizeof(text))
		return; /* full: the rest is cut (the last line ends without '\n') */
	va_start(ap, fmt);
	n = vsnprintf_td(text + text_len, sizeof(text) - text_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		text_len = MIN(text_len + (size_t)n, sizeof(text) - 1);
}

static bool worth_showing(const struct vgic_irq *irq)
{
	return irq->pending || irq->active || irq->level || irq->lr >= 0 || irq->hw_intid;
}

/* " intid:flags": E(nabled) or -, P(ending latch), L(evel high), A(ctive), H(w-linked),
 * e(dge-triggered), then the list register it sits in. */
static void add_irq(irq_t intid, const struct vgic_irq *irq)
{
	add(" %u:%s%s%s%s%s%s", intid, irq->enabled ? "E" : "-", irq->pending ? "P" : "",
	    irq->level ? "L" : "", irq->active ? "A" : "", irq->hw_intid ? "H" : "",
	    irq->edge ? "e" : "");
	if (irq->lr >= 0)
		add("@lr%d", irq->lr);
}

static void add_vcpu(struct vcpu *v)
{
	struct vgic_vcpu *vv = &v->vgic;
	struct pcpu *on = v->loaded_on;
	bool any = false;

	spin_lock(&vv->lock);
	add("tandem: vgic vm %s vcpu %u: %s%s, on pCPU %d, lr_live 0x%x lr_used 0x%x hcr 0x%x "
	    "kick_pending %d, vmcr 0x%x; private",
	    v->vm->name, v->id, vcpu_state_name(v->state), v->held ? " (held)" : "",
	    on ? (int)on->index : -1, vv->lr_live, vv->lr_used, vv->hcr, vv->kick_pending,
	    vv->vif.vmcr);
	for (irq_t i = 0; i < VGIC_NR_PRIVATE; i++) {
		if (worth_showing(&vv->private_irqs[i])) {
			add_irq(i, &vv->private_irqs[i]);
			any = true;
		}
	}
	add("%s\n", any ? "" : " none");
	for (unsigned i = 0; i < vv->nr_lrs; i++) {
		struct irqchip_lr lr = vv->lrs[i];

		if (vv->lr_used & (1u << i))
			add("tandem: vgic vm %s vcpu %u: lr%u intid %u prio 0x%x%s%s%s%s hw %u\n",
			    v->vm->name, v->id, i, irqchip_lr_vintid(lr), irqchip_lr_priority(lr),
			    irqchip_lr_has(lr, IRQCHIP_LR_PENDING) ? " pending" : "",
			    irqchip_lr_has(lr, IRQCHIP_LR_ACTIVE) ? " active" : "",
			    irqchip_lr_has(lr, IRQCHIP_LR_GROUP1) ? " g1" : " g0",
			    irqchip_lr_has(lr, IRQCHIP_LR_EOI_MAINT) ? " eoi-maint" : "",
			    irqchip_lr_pintid(lr));
	}
	spin_unlock(&vv->lock);
}

static void add_vm(struct vm *vm)
{
	struct vgic_vm *d = &vm->vgic;
	bool any = false;

	spin_lock(&d->lock);
	add("tandem: vgic vm %s: ctlr 0x%x; spis (flags>target/owner)", vm->name, d->ctlr);
	for (unsigned i = 0; i < d->nr_spis; i++) {
		const struct vgic_irq *irq = &d->spis[i];

		if (!worth_showing(irq))
			continue;
		add_irq((irq_t)(VGIC_NR_PRIVATE + i), irq);
		add(">%u/%u", irq->target, irq->owner);
		any = true;
	}
	add("%s; uart imsc 0x%x ris 0x%x rx %u\n", any ? "" : " none", vm->uart.imsc, vm->uart.ris,
	    vm->uart.rx_count);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		add_vcpu(&vm->vcpus[i]);
	spin_unlock(&d->lock);
}

void vgic_dump(void)
{
	spin_lock(&dump_lock);
	text_len = 0;
	for (unsigned i = 0; i < nr_vms; i++) {
		/* As few console writes as fit: each ends with the focused VM's prompt redrawn. */
		if (text_len > sizeof(text) / 2) {
			console_write(text, text_len);
			text_len = 0;
		}
		add_vm(&vms[i]);
	}
	console_write(text, text_len);
	spin_unlock(&dump_lock);
}
