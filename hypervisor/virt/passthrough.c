/*
 * Passed-through platform devices. Their MMIO is mapped into the owning VM at its physical
 * address (whole 4 KiB pages, Device-nGnRE), so the guest drives the device with no trap.
 * Their SPIs keep their INTIDs in the guest; each is routed to the pCPU that runs the vCPU
 * the guest targets, acknowledged at EL2 (priority drop only) and injected with the list
 * register's HW bit: the guest's EOI deactivates the physical interrupt, so a level line
 * that is still asserted fires again only after the guest has handled it.
 */
#include <tandem/errno.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/log.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/smmu.h>
#include <tandem/stage2.h>
#include <tandem/vdev.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>

static enum irq_result passthrough_irq(irq_t intid, void *ctx, struct vcpu *running);

/* Each passed-through SPI is claimed at VM creation, before any guest runs; ctx: the VM. */
static const struct irq_owner passthrough_owner = {
    .name = "passed-through device", .kind = IRQ_KIND_OTHER, .handler = passthrough_irq};

/* Routes one owned SPI to the pCPU of its target vCPU (vCPU 0 when the guest names none). */
static void route(struct vm *vm, irq_t intid)
{
	struct vcpu *t = vgic_spi_target(vm, intid);

	if (!t)
		t = &vm->vcpus[0];
	if (t->pcpu)
		irqchip_route_spi(intid, t->pcpu->mpidr);
}

void passthrough_spi_retarget(struct vm *vm, irq_t intid)
{
	if (irq_claimed_by(intid, &passthrough_owner) == vm)
		route(vm, intid);
}

void passthrough_follow_vcpu(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	const struct cfg_vm *cfg = vm->cfg;

	for (unsigned d = 0; d < cfg->nr_pt; d++) {
		for (unsigned i = 0; i < cfg->pt[d].nr_irqs; i++) {
			irq_t intid = cfg->pt[d].irqs[i];
			struct vcpu *t = vgic_spi_target(vm, intid);

			if (vcpu->pcpu && (t == vcpu || (!t && vcpu->id == 0)))
				irqchip_route_spi(intid, vcpu->pcpu->mpidr);
		}
	}
}

int passthrough_vm_init(struct vm *vm)
{
	const struct cfg_vm *cfg = vm->cfg;

	for (unsigned d = 0; d < cfg->nr_pt; d++) {
		const struct cfg_passthrough *pt = &cfg->pt[d];

		for (unsigned r = 0; r < pt->nr_reg; r++) {
			paddr_t start = ALIGN_DOWN(pt->reg_base[r], PAGE_SIZE);
			paddr_t end = ALIGN_UP(pt->reg_base[r] + pt->reg_size[r], PAGE_SIZE);
			int err = s2_map(&vm->s2, start, start, end - start, S2_DEVICE_RW);

			if (err) {
				log_error("vm %s: passthrough %s: cannot map 0x%llx+0x%llx (%s)",
					  vm->name, pt->path, (unsigned long long)start,
					  (unsigned long long)(end - start), err_name(err));
				return err;
			}
		}
		for (unsigned i = 0; i < pt->nr_irqs; i++) {
			int err = irq_claim(pt->irqs[i], &passthrough_owner, vm);

			if (err) {
				log_error("vm %s: passthrough %s: cannot take INTID %u (%s)",
					  vm->name, pt->path, pt->irqs[i], err_name(err));
				return err;
			}
		}
		/* A host bridge's requester IDs are its StreamIDs (iommu-map 0 -> 0): bus 0. */
		if (pt->behind_smmu) {
			int err = smmu_attach_vm(vm, 0, 256);

			if (err)
				return err;
		}
		log_info("vm %s: passthrough %s (%u MMIO range%s, %u SPI%s%s)", vm->name, pt->path,
			 pt->nr_reg, pt->nr_reg == 1 ? "" : "s", pt->nr_irqs,
			 pt->nr_irqs == 1 ? "" : "s", pt->dma ? ", DMA" : "");
	}
	vm->vgic.on_retarget = passthrough_spi_retarget;
	return 0;
}

void passthrough_vm_reset(struct vm *vm)
{
	const struct cfg_vm *cfg = vm->cfg;

	for (unsigned d = 0; d < cfg->nr_pt; d++) {
		for (unsigned i = 0; i < cfg->pt[d].nr_irqs; i++)
			irqchip_deactivate_spi(cfg->pt[d].irqs[i]);
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		passthrough_follow_vcpu(&vm->vcpus[i]); /* routes and enables again */
}

/* Acknowledged at EL2 (priority drop only): forwarded hardware-linked to the owning VM. */
static enum irq_result passthrough_irq(irq_t intid, void *ctx, struct vcpu *running)
{
	struct vm *vm = ctx;

	if (vm->state != VM_RUNNING) {
		/* Nobody will handle it: silence the line rather than take it forever. */
		irqchip_disable_spi(intid);
		return IRQ_DONE;
	}
	vgic_inject_hw(&vm->vcpus[0], intid, intid); /* an SPI: delivered to its target */
	return IRQ_FORWARDED;
}

/* Creation: map and own the devices, then route each SPI to where its vCPU is first placed. */
static int passthrough_create(struct vm *vm)
{
	int err = passthrough_vm_init(vm);

	for (unsigned i = 0; !err && i < vm->nr_vcpus; i++)
		passthrough_follow_vcpu(&vm->vcpus[i]);
	return err;
}

/*
 * No destroy hook: a stopped VM's SPIs are silenced when they next fire (passthrough_irq),
 * and a VM that failed to create stops the boot.
 */
const struct vdev_ops passthrough_vdev = {
    .name = "passthrough",
    .create = passthrough_create,
    .reset = passthrough_vm_reset,
};
