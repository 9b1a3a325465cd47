/*
 * Virtual GICv3: emulated distributor and redistributors, and the list-register
 * engine that carries pending virtual interrupts into the hardware vCPU interface.
 *
 * Lock order: vgic_vm.lock before vgic_vcpu.lock; never two vgic_vcpu locks at once.
 */
#ifndef TANDEM_VGIC_H
#define TANDEM_VGIC_H

#include <tandem/spinlock.h>
#include <tandem/types.h>

struct vcpu;
struct vm;

#define VGIC_NR_PRIVATE 32  /* SGIs 0-15, PPIs 16-31: one copy per vCPU */
#define VGIC_NR_SPIS    96  /* SPIs 32..127 per VM */
#define VGIC_MAX_INTID  (VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_MAX_LRS    16

/* Guest-physical layout of the virtual GIC (same places as QEMU virt's GIC). */
#define VGIC_GICD_BASE       0x08000000UL
#define VGIC_GICD_SIZE       0x10000UL
#define VGIC_GICR_BASE       0x080a0000UL
#define VGIC_GICR_STRIDE     0x20000UL /* RD_base + SGI_base frames */
#define VGIC_MAINTENANCE_PPI 25

struct vgic_irq {
	uint8_t priority;
	bool enabled;
	bool pending; /* edge latch, or SW-pending for level interrupts */
	bool active;
	bool level;   /* current line level for level-sensitive interrupts */
	bool edge;    /* configured edge-triggered (GICD_ICFGR) */
	bool group1;
	irq_t hw_intid;  /* physical INTID when hardware-linked, 0 otherwise */
	uint16_t target; /* SPIs: index of the target vCPU (from GICD_IROUTER) */
	int8_t lr;       /* list register holding it on the owning vCPU, or -1 */
};

struct vgic_vcpu {
	spinlock_t lock;
	struct vgic_irq private_irqs[VGIC_NR_PRIVATE];
	bool rd_sleeping; /* GICR_WAKER.ProcessorSleep */
	uint32_t vmcr;    /* ICH_VMCR_EL2 while the vCPU is not running */
	uint32_t ap0r[4], ap1r[4];
	uint64_t lrs[VGIC_MAX_LRS]; /* shadow of the list registers */
	uint32_t nr_lrs;
	/* An injection from another pCPU set this; the target re-flushes on entry. */
	volatile bool kick_pending;
};

struct vgic_vm {
	spinlock_t lock;
	uint32_t ctlr; /* GICD_CTLR */
	uint32_t nr_spis;
	struct vgic_irq spis[VGIC_NR_SPIS];
};

/* Sets up the VM's distributor state and registers GICD/GICR MMIO regions. */
int vgic_vm_init(struct vm *vm);
/* Resets a vCPU's redistributor and private interrupts. */
void vgic_vcpu_init(struct vcpu *vcpu);

/* Makes an interrupt pending for a vCPU (SGI/PPI) or for the VM (SPI, vcpu may be NULL). */
void vgic_inject(struct vm *vm, struct vcpu *vcpu, irq_t intid);
/* Hardware-linked injection: the guest's EOI of vintid deactivates physical pintid. */
void vgic_inject_hw(struct vcpu *vcpu, irq_t vintid, irq_t pintid);
/* Drives a level-sensitive SPI line (emulated devices). */
void vgic_set_level(struct vm *vm, irq_t intid, bool level);

/* Guest write to ICC_SGI1R_EL1 (trapped): deliver SGIs to the targeted vCPUs. */
void vgic_sgi1r_write(struct vcpu *vcpu, uint64_t val);

/* Before entering the guest on this pCPU: load pending interrupts into list registers. */
void vgic_flush(struct vcpu *vcpu);
/* After leaving the guest: read list registers back into interrupt state. */
void vgic_sync(struct vcpu *vcpu);
/* True if the vCPU has an enabled, pending interrupt it could take (for WFI). */
bool vgic_vcpu_pending(struct vcpu *vcpu);
/* Handles the GIC maintenance interrupt for the vCPU running here. */
void vgic_maintenance(struct vcpu *vcpu);

/* Save/restore of the virtual CPU interface around a vCPU switch on a pCPU. */
void vgic_vcpu_save(struct vcpu *vcpu);
void vgic_vcpu_restore(struct vcpu *vcpu);

#endif
