/*
 * Devices of the host given to one VM: MMIO mapped at its physical address, SPIs routed to
 * the pCPU running the target vCPU and injected hardware-linked (the guest's EOI
 * deactivates the physical interrupt).
 */
#ifndef TANDEM_PASSTHROUGH_H
#define TANDEM_PASSTHROUGH_H

#include <tandem/types.h>

struct vdev_ops;
struct vm;
struct vcpu;

/* Passed-through devices as a per-VM device (virt/vdev_table.c): create and reset below. */
extern const struct vdev_ops passthrough_vdev;

/* The machine's console UART (its page, its SPI) for the VM the root's "console" names: set at
 * boot before the VMs are created (the console has given it up). */
void passthrough_set_console_uart(paddr_t base, irq_t intid);
/*
 * Maps the VM's passed-through MMIO ranges (whole 4 KiB pages, device attributes, IPA == PA)
 * and claims their SPIs (irq_claim: injected hardware-linked when they fire); the console UART
 * too for the VM that takes it. Call after stage 2 exists and the vCPUs are placed.
 */
int passthrough_vm_init(struct vm *vm);
/*
 * VM restart, after vgic_vm_reset(): physical SPIs the old guest left active (it never EOId
 * them) are deactivated, then routed and enabled again. The devices themselves are not reset:
 * the guest's drivers reset them when they probe (virtio does).
 */
void passthrough_vm_reset(struct vm *vm);
/*
 * Routes the physical SPIs of the VM's devices whose virtual target is vcpu to the pCPU
 * vcpu->pcpu and configures them for its delivery mode: trapped, enabled at the guests'
 * priority; direct (vcpu->vgic.direct_capable), the enable and (mapped) priority the guest
 * gave the virtual SPI. Call wherever a vCPU is placed on or moved to a pCPU, or changes
 * delivery mode (the pCPU's load does both); the GIC retargets at once, an interrupt already
 * active finishes where it is.
 */
void passthrough_follow_vcpu(struct vcpu *vcpu);
/* The guest changed the target, enable or priority of SPI intid (GICD_IROUTER, IS/ICENABLER,
 * IPRIORITYR): the physical one follows (vgic on_spi_change). */
void passthrough_spi_changed(struct vm *vm, irq_t intid);

/* Whether vm has its device d (index in cfg->pt) now: always, unless it moves on failover
 * and another member of the group has it. */
bool passthrough_owns(const struct vm *vm, unsigned d);
/*
 * Failover promotion: every device of from that moves (cfg_passthrough.moves) and that from
 * has goes to `to`: unmapped from `from` (stage 2 and its TLB entries), quiesced (a
 * virtio-mmio device reset: Status = 0), its SPIs forwarded to `to` and routed to the pCPU
 * of their target vCPU there (one left active deactivated), then mapped into `to`. Allocates
 * nothing. Returns how many devices moved.
 */
unsigned passthrough_move(struct vm *from, struct vm *to);

#endif
