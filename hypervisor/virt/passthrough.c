/*
 * Passed-through platform devices. Their MMIO is mapped into the owning VM at its physical
 * address (whole 4 KiB pages, Device-nGnRE), so the guest drives the device with no trap.
 * Their SPIs keep their INTIDs in the guest; each is routed to the pCPU that runs the vCPU
 * the guest targets, acknowledged at EL2 (priority drop only) and injected with the list
 * register's HW bit: the guest's EOI deactivates the physical interrupt, so a level line
 * that is still asserted fires again only after the guest has handled it.
 *
 * A failover group's devices (cfg_passthrough.moves) are listed by both members but mapped in
 * the active one only; passthrough_move() hands them over on promotion, and the member without
 * them sees the "no device" transport of virt/virtio_absent.c at their addresses. Their SPIs
 * are claimed once, with the owner they are forwarded to in moving_owner[] (changed only by
 * passthrough_move(), read by the interrupt handler without a lock).
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/fdt.h>
#include <tandem/irq.h>
#include <tandem/irqchip.h>
#include <tandem/log.h>
#include <tandem/passthrough.h>
#include <tandem/pcpu.h>
#include <tandem/smmu.h>
#include <tandem/stage2.h>
#include <tandem/string.h>
#include <tandem/vdev.h>
#include <tandem/vgic.h>
#include <tandem/virtio_absent.h>
#include <tandem/vm.h>

#define VIRTIO_MMIO_STATUS 0x070 /* writing 0 resets a virtio-mmio device (virtio 1.x, 4.2.2) */

static enum irq_result passthrough_irq(irq_t intid, void *ctx, struct vcpu *running);
static enum irq_result moving_irq(irq_t intid, void *ctx, struct vcpu *running);

/* Each passed-through SPI is claimed at VM creation, before any guest runs; ctx: the VM. */
static const struct irq_owner passthrough_owner = {.name = "passed-through device",
						   .kind = IRQ_KIND_OTHER,
						   .flags = IRQ_GUEST_LINE,
						   .handler = passthrough_irq};
/* A moving device's SPI, claimed by whichever member is created first; ctx: its moving_owner
 * slot, which says the VM it is forwarded to (the active member). */
static const struct irq_owner moving_spi_owner = {.name = "failover group device",
						  .kind = IRQ_KIND_OTHER,
						  .flags = IRQ_GUEST_LINE,
						  .handler = moving_irq};

static struct vm *moving_owner[VGIC_MAX_INTID];
/* away[vm][d]: vm's device d moves and is not mapped in vm now (another member has it). */
static bool away[CFG_MAX_VMS][CFG_MAX_PT];
/* The machine's console UART (passthrough_set_console_uart), for the VM that takes it. */
static paddr_t console_base;
static irq_t console_irq;

/* The VM an owned SPI goes to: the claiming VM, or a moving device's current owner. */
static struct vm *spi_vm(irq_t intid)
{
	struct vm *vm = irq_claimed_by(intid, &passthrough_owner);

	if (!vm && irq_claimed_by(intid, &moving_spi_owner))
		vm = __atomic_load_n(&moving_owner[intid], __ATOMIC_ACQUIRE);
	return vm;
}

bool passthrough_owns(const struct vm *vm, unsigned d)
{
	return !__atomic_load_n(&away[vm->index][d], __ATOMIC_ACQUIRE);
}

/*
 * The physical enable and priority of an owned SPI whose target vCPU is t. Trapped, EL2 takes
 * it and the vGIC applies the guest's enable and priority: it stays enabled at the guests'
 * priority. Direct (t runs in an irq = "direct" pool: docs/design.md), the guest takes it at
 * EL1 from the physical CPU interface, so the physical line is configured as the guest
 * configured its virtual one: enabled only while the guest enables it, at its priority mapped
 * below every Group 0 one (irqchip_guest_prio).
 */
static void configure(struct vm *vm, irq_t intid, const struct vcpu *t)
{
	bool enabled = true;
	uint8_t prio = 0;

	if (t->vgic.direct_capable && vgic_spi_guest_config(vm, intid, &enabled, &prio))
		irqchip_config_spi(intid, enabled, irqchip_guest_prio(prio));
	else
		irqchip_config_spi(intid, true, IRQCHIP_PRIO_GUEST);
}

/* The vCPU an owned SPI goes to: its guest's target, vCPU 0 when the guest names none. */
static struct vcpu *spi_target(struct vm *vm, irq_t intid)
{
	struct vcpu *t = vgic_spi_target(vm, intid);

	return t ? t : &vm->vcpus[0];
}

/* Routes one owned SPI to the pCPU of its target vCPU and configures it for that vCPU. */
static void route(struct vm *vm, irq_t intid)
{
	struct vcpu *t = spi_target(vm, intid);

	if (t->pcpu) {
		irqchip_route_spi(intid, t->pcpu->mpidr);
		configure(vm, intid, t);
	}
}

void passthrough_spi_changed(struct vm *vm, irq_t intid)
{
	if (vm && intid < VGIC_MAX_INTID && spi_vm(intid) == vm)
		route(vm, intid);
}

void passthrough_follow_vcpu(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	const struct cfg_vm *cfg = vm->cfg;

	/* The console UART given to this VM (the root's "console") is not in its pt list. */
	if (cfg->console_uart && console_irq) {
		struct vcpu *t = vgic_spi_target(vm, console_irq);

		if (vcpu->pcpu && (t == vcpu || (!t && vcpu->id == 0)))
			irqchip_route_spi(console_irq, vcpu->pcpu->mpidr);
	}
	for (unsigned d = 0; d < cfg->nr_pt; d++) {
		if (!passthrough_owns(vm, d))
			continue;
		for (unsigned i = 0; i < cfg->pt[d].nr_irqs; i++) {
			irq_t intid = cfg->pt[d].irqs[i];
			struct vcpu *t = vgic_spi_target(vm, intid);

			if (vcpu->pcpu && (t == vcpu || (!t && vcpu->id == 0))) {
				irqchip_route_spi(intid, vcpu->pcpu->mpidr);
				configure(vm, intid, vcpu);
			}
		}
	}
}

/* Maps (or unmaps) every MMIO range of device pt in vm, whole pages at IPA == PA. */
static int map_device(struct vm *vm, const struct cfg_passthrough *pt, bool map)
{
	for (unsigned r = 0; r < pt->nr_reg; r++) {
		paddr_t start = ALIGN_DOWN(pt->reg_base[r], PAGE_SIZE);
		paddr_t end = ALIGN_UP(pt->reg_base[r] + pt->reg_size[r], PAGE_SIZE);
		int err = map ? s2_map(&vm->s2, start, start, end - start, S2_DEVICE_RW)
			      : s2_unmap(&vm->s2, start, end - start);

		if (err) {
			log_error("vm %s: passthrough %s: cannot %s 0x%llx+0x%llx (%s)", vm->name,
				  pt->path, map ? "map" : "unmap", (unsigned long long)start,
				  (unsigned long long)(end - start), err_name(err));
			return err;
		}
	}
	return 0;
}

/* A failover group's device: claimed once for both members, mapped in the active one only. */
static int init_moving(struct vm *vm, unsigned d)
{
	const struct cfg_passthrough *pt = &vm->cfg->pt[d];
	bool active = vm->cfg->failover.starts_active;
	int err;

	/*
	 * Both members get their stage-2 tables for it now (mapped, then unmapped in the
	 * standby): a promotion then only writes entries and allocates nothing, so any number
	 * of failovers leaks no page frame.
	 */
	err = map_device(vm, pt, true);
	if (!err && !active) {
		err = map_device(vm, pt, false);
		away[vm->index][d] = true;
	}
	if (!err)
		err = virtio_absent_register(vm, pt);
	for (unsigned i = 0; !err && i < pt->nr_irqs; i++) {
		irq_t intid = pt->irqs[i];

		if (intid >= VGIC_MAX_INTID)
			return -ERR_INVAL;
		if (!irq_claimed_by(intid, &moving_spi_owner))
			err = irq_claim(intid, &moving_spi_owner, &moving_owner[intid]);
		if (!err && active)
			__atomic_store_n(&moving_owner[intid], vm, __ATOMIC_RELEASE);
	}
	if (err)
		log_error("vm %s: passthrough %s: cannot set up the failover device (%s)", vm->name,
			  pt->path, err_name(err));
	return err;
}

void passthrough_set_console_uart(paddr_t base, irq_t intid)
{
	console_base = base;
	console_irq = intid;
}

/*
 * The machine's console UART, given to the VM the root's "console" names (Tandem gave it up:
 * console_handover): its page at IPA == PA and its SPI, as a passed-through device's. Its DTB
 * node is the emulated UART's, which has the same address and INTID (checked at boot).
 */
static int console_uart_init(struct vm *vm)
{
	int err = s2_map(&vm->s2, console_base, console_base, PAGE_SIZE, S2_DEVICE_RW);

	if (!err && console_irq)
		err = irq_claim(console_irq, &passthrough_owner, vm);
	if (err)
		log_error("vm %s: cannot pass the console UART at 0x%llx through (%s)", vm->name,
			  (unsigned long long)console_base, err_name(err));
	else
		log_info("vm %s: passthrough: the console UART at 0x%llx, INTID %u", vm->name,
			 (unsigned long long)console_base, console_irq);
	return err;
}

int passthrough_vm_init(struct vm *vm)
{
	const struct cfg_vm *cfg = vm->cfg;
	bool has_spis = cfg->console_uart && console_irq;

	if (cfg->console_uart) {
		int err = console_uart_init(vm);

		if (err)
			return err;
	}

	for (unsigned d = 0; d < cfg->nr_pt; d++) {
		const struct cfg_passthrough *pt = &cfg->pt[d];
		int err;

		away[vm->index][d] = false;
		has_spis = has_spis || pt->nr_irqs; /* a moving device's too: it may come here */
		if (pt->moves) {
			if ((err = init_moving(vm, d)))
				return err;
			log_info("vm %s: passthrough %s (%u MMIO range%s, %u SPI%s%s), moves on "
				 "failover: %s",
				 vm->name, pt->path, pt->nr_reg, pt->nr_reg == 1 ? "" : "s",
				 pt->nr_irqs, pt->nr_irqs == 1 ? "" : "s", pt->dma ? ", DMA" : "",
				 away[vm->index][d] ? "not mapped (standby)" : "mapped (active)");
			continue;
		}
		if ((err = map_device(vm, pt, true)))
			return err;
		for (unsigned i = 0; i < pt->nr_irqs; i++) {
			err = irq_claim(pt->irqs[i], &passthrough_owner, vm);

			if (err) {
				log_error("vm %s: passthrough %s: cannot take INTID %u (%s)",
					  vm->name, pt->path, pt->irqs[i], err_name(err));
				return err;
			}
		}
		/* A host bridge's requester IDs are its StreamIDs (iommu-map 0 -> 0): bus 0. */
		if (pt->behind_smmu) {
			err = smmu_attach_vm(vm, 0, 256);

			if (err)
				return err;
		}
		log_info("vm %s: passthrough %s (%u MMIO range%s, %u SPI%s%s)", vm->name, pt->path,
			 pt->nr_reg, pt->nr_reg == 1 ? "" : "s", pt->nr_irqs,
			 pt->nr_irqs == 1 ? "" : "s", pt->dma ? ", DMA" : "");
	}
	/* Only a VM with a physical SPI has a line to follow: the others' GICD enable and
	 * priority writes skip the hook (it looks the SPI's owner up, twice). */
	vm->vgic.on_spi_change = has_spis ? passthrough_spi_changed : NULL;
	return 0;
}

/* The index of the device at path in vm's list, or -1. */
static int find_device(const struct vm *vm, const char *path)
{
	for (unsigned d = 0; d < vm->cfg->nr_pt; d++) {
		if (strcmp(vm->cfg->pt[d].path, path) == 0)
			return (int)d;
	}
	return -1;
}

/* Stops a virtio-mmio device where it is: with Status = 0 it does no more DMA nor interrupts. */
static void quiesce(const struct cfg_passthrough *pt)
{
	if (pt->host && fdt_is_compatible(pt->host, pt->host_node, "virtio,mmio"))
		arch_mmio_write32(pt->reg_base[0] + VIRTIO_MMIO_STATUS, 0);
}

unsigned passthrough_move(struct vm *from, struct vm *to)
{
	unsigned moved = 0;

	for (unsigned d = 0; d < from->cfg->nr_pt; d++) {
		const struct cfg_passthrough *pt = &from->cfg->pt[d];
		int dt = find_device(to, pt->path);

		if (!pt->moves || dt < 0 || !passthrough_owns(from, d))
			continue;
		/* 1. Out of the failed VM: its stage 2, then its TLB entries (every pCPU). */
		__atomic_store_n(&away[from->index][d], true, __ATOMIC_RELEASE);
		map_device(from, pt, false);
		arch_tlb_flush_vmid(from->vmid);
		/* 2. Quiet: no DMA into the failed VM's RAM (about to be wiped) after this. */
		quiesce(pt);
		/* 3. Its SPIs go to the new owner; one the old guest left active is deactivated. */
		for (unsigned i = 0; i < pt->nr_irqs; i++) {
			irq_t intid = pt->irqs[i];

			__atomic_store_n(&moving_owner[intid], to, __ATOMIC_RELEASE);
			irqchip_deactivate_spi(intid);
			route(to, intid);
		}
		/* 4. Into the new owner: the entries exist (init_moving), nothing is allocated. */
		map_device(to, &to->cfg->pt[dt], true);
		__atomic_store_n(&away[to->index][dt], false, __ATOMIC_RELEASE);
		moved++;
	}
	return moved;
}

void passthrough_vm_reset(struct vm *vm)
{
	const struct cfg_vm *cfg = vm->cfg;

	for (unsigned d = 0; d < cfg->nr_pt; d++) {
		if (!passthrough_owns(vm, d))
			continue; /* another member has it now */
		for (unsigned i = 0; i < cfg->pt[d].nr_irqs; i++)
			irqchip_deactivate_spi(cfg->pt[d].irqs[i]);
	}
	if (cfg->console_uart && console_irq)
		irqchip_deactivate_spi(console_irq);
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

/* A moving device's SPI: forwarded to the member that owns the device now. */
static enum irq_result moving_irq(irq_t intid, void *ctx, struct vcpu *running)
{
	struct vm *vm = __atomic_load_n((struct vm **)ctx, __ATOMIC_ACQUIRE);

	return vm ? passthrough_irq(intid, vm, running) : (irqchip_disable_spi(intid), IRQ_DONE);
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
