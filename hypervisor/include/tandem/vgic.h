/*
 * Virtual GICv3: emulated distributor and redistributors, and the list-register
 * engine that carries pending virtual interrupts into the hardware vCPU interface.
 *
 * Lock order: vgic_vm.lock before vgic_vcpu.lock; never two vgic_vcpu locks at once.
 * vgic_vm.lock guards the SPIs, GICD_CTLR and every vCPU's spi_live; vgic_vcpu.lock
 * guards that vCPU's private interrupts, its redistributor and its list-register
 * shadow. A vCPU with no SPI to consider enters and leaves the guest without the VM
 * lock. vcpu_kick() is only ever called with no vGIC lock held.
 */
#ifndef TANDEM_VGIC_H
#define TANDEM_VGIC_H

#include <tandem/irqchip.h>
#include <tandem/spinlock.h>
#include <tandem/types.h>

struct vcpu;
struct vdev_ops;
struct vm;

#define VGIC_NR_PRIVATE 32 /* SGIs 0-15, PPIs 16-31: one copy per vCPU */
#define VGIC_NR_SPIS	96 /* SPIs 32..127 per VM */
#define VGIC_MAX_INTID	(VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_MAX_LRS	16
#define VGIC_PRIO_MASK	0xf8 /* 5 priority bits: the minimum ICH_VTR_EL2.PRIbits */

/* Guest-physical layout of the virtual GIC (same places as QEMU virt's GIC). */
#define VGIC_GICD_BASE	     0x08000000UL
#define VGIC_GICD_SIZE	     0x10000UL
#define VGIC_GICR_BASE	     0x080a0000UL
#define VGIC_GICR_STRIDE     0x20000UL /* RD_base + SGI_base frames */
#define VGIC_MAINTENANCE_PPI PPI_MAINTENANCE

/* vgic_irq.target of an SPI whose GICD_IROUTER names no vCPU of the VM: not forwarded. */
#define VGIC_TARGET_NONE 0xffff

/* vgic_vcpu.direct_cfg: valid, enabled, and the physical priority in the low byte. */
#define VGIC_DIRECT_CFG_VALID 0x8000
#define VGIC_DIRECT_CFG_ON    0x4000

struct vgic_irq {
	uint8_t priority;
	bool enabled;
	bool pending; /* edge latch, or SW-pending for level interrupts */
	bool active;
	/*
	 * Made active by a register write (GICD/GICR_ISACTIVER), not by the guest acknowledging
	 * it: no active priority is set for it, so it needs no list register for an EOI, and
	 * pending interrupts go before it when list registers are short (as on hardware, an
	 * interrupt set active that way blocks no other). Cleared once it is deactivated or
	 * acknowledged.
	 */
	bool active_unacked;
	bool level; /* current line level for level-sensitive interrupts */
	bool edge;  /* configured edge-triggered (GICD_ICFGR) */
	bool group1;
	irq_t hw_intid;	  /* physical INTID when hardware-linked, 0 otherwise */
	bool hw_active;	  /* PPIs: the physical one was active when the vCPU left its pCPU */
	uint16_t target;  /* SPIs: index of the target vCPU (from GICD_IROUTER) */
	uint16_t owner;	  /* SPIs: vCPU whose list registers hold it, or on which it is active */
	int8_t lr;	  /* list register holding it on the owning vCPU, or -1 */
	uint64_t irouter; /* SPIs: GICD_IROUTER as written (Aff3.Aff2.Aff1.Aff0, IRM) */
};

struct vgic_vcpu {
	spinlock_t lock;
	struct vgic_irq private_irqs[VGIC_NR_PRIVATE];
	uint32_t private_live; /* private INTIDs that are pending or active (candidates for LRs) */
	/* SPIs that may want this vCPU's LRs (VM lock; the vCPU itself peeks without it). */
	uint64_t spi_live[(VGIC_NR_SPIS + 63) / 64];
	bool rd_sleeping; /* GICR_WAKER.ProcessorSleep */
	bool loaded;	  /* its VMCR/APRs are in the CPU interface (restore done, no save yet) */
	struct irqchip_vif_state vif;	     /* VMCR, APRs while the vCPU is not running */
	struct irqchip_lr lrs[VGIC_MAX_LRS]; /* shadow of the list registers: what the hardware
						holds */
	uint32_t lr_live; /* LRs written by vgic_flush and not yet read back by vgic_sync */
	uint32_t lr_spi;  /* those of lr_live that hold an SPI */
	uint32_t lr_used; /* LRs whose shadow may be non-zero (vgic_flush wrote them since they
			     were last emptied): a superset of lr_live */
	uint32_t nr_lrs;
	uint32_t hcr; /* IRQCHIP_VIF_* as last written by vgic_flush */
	/* An injection from another pCPU set this; the target re-flushes on entry. */
	volatile bool kick_pending;
	/* Direct delivery (vgic-direct.c): its pool has irq = "direct" (set when it is loaded);
	 * HCR_EL2.IMO is clear for it now; the physical PPI 27 settings last applied. */
	bool direct_capable;
	bool direct_on;
	uint16_t direct_cfg;
	uint16_t hw_saved; /* PPIs (bit n: INTID 16 + n) whose hw_active the last save set */
};

struct vgic_vm {
	spinlock_t lock;
	uint32_t ctlr; /* GICD_CTLR: EnableGrp0/EnableGrp1 as written */
	uint32_t nr_spis;
	uint32_t typer; /* GICD_TYPER: fixed by nr_spis and the VM's vCPUs */
	struct vgic_irq spis[VGIC_NR_SPIS];
	/*
	 * Called (VM lock held) when the guest changes an SPI's target (GICD_IROUTER), enable
	 * (GICD_IS/ICENABLER) or priority (GICD_IPRIORITYR); NULL if nobody cares.
	 */
	void (*on_spi_change)(struct vm *vm, irq_t intid);
};

/* Claims the physical interrupts the vGIC handles (the guest timer PPI, maintenance), at boot. */
int vgic_init(void);
/*
 * Sets up the VM's distributor state and registers the GICD region and one GICR
 * frame pair per vCPU (vm->nr_vcpus must be set). Returns 0 or mmio_register()'s error.
 */
int vgic_vm_init(struct vm *vm);
/*
 * Puts the distributor back to its reset state (VM restart), keeping the MMIO
 * regions. Every vCPU must be off its pCPU (saved); then vgic_vcpu_init() each one.
 */
void vgic_vm_reset(struct vm *vm);
/* Resets a vCPU's redistributor and private interrupts (SGIs enabled edge, PPIs level). */
void vgic_vcpu_init(struct vcpu *vcpu);

struct mmio_access;

/* What vgic_mmio_fast() made of an access. */
enum vgic_mmio_fast {
	VGIC_MMIO_NOT_MINE, /* outside the VM's GICD and GICR frames: acc untouched */
	VGIC_MMIO_DONE,	    /* done, no interrupt state read or changed: no sync, no flush */
	VGIC_MMIO_STATE,    /* the vGIC's, not done: sync, vgic_mmio_state(), flush */
};

/*
 * A decoded stage-2 access (acc: addr, size, write, value) of the running vcpu, tried before the
 * VM's MMIO table: its GICD and GICR frames found by address, the lockless reads and the
 * ignored writes done at once, as their handlers in the table would (same value, same RAZ/WI).
 */
enum vgic_mmio_fast vgic_mmio_fast(struct vcpu *vcpu, struct mmio_access *acc);
/* An access vgic_mmio_fast() answered VGIC_MMIO_STATE for, the vCPU's vGIC synced: performs
 * it as the table's handler does (never refused: RAZ/WI with a log line at worst). */
void vgic_mmio_state(struct vcpu *vcpu, struct mmio_access *acc);

/* Makes an interrupt pending for a vCPU (SGI/PPI) or for the VM (SPI, vcpu may be NULL). */
void vgic_inject(struct vm *vm, struct vcpu *vcpu, irq_t intid);
/*
 * Hardware-linked injection: the guest's EOI of vintid deactivates physical pintid.
 * Ignored while vintid is already pending or active (the physical one is still active).
 */
void vgic_inject_hw(struct vcpu *vcpu, irq_t vintid, irq_t pintid);
/* The vCPU the guest routes SPI intid to (GICD_IROUTER), or NULL if none of its vCPUs. */
struct vcpu *vgic_spi_target(struct vm *vm, irq_t intid);
/* Whether the guest enabled SPI intid in its distributor, and the priority it gave it; false
 * (and nothing written) if the VM has no such SPI. */
bool vgic_spi_guest_config(struct vm *vm, irq_t intid, bool *enabled, uint8_t *priority);
/*
 * Samples the line of a timer PPI of vcpu (vtimer_line()) and makes the interrupt's pending
 * state follow it. The physical timer's line is exact; the virtual timer's is only ever
 * lowered here (its rise comes as the physical PPI 27, hardware-linked).
 */
void vgic_resample_timer(struct vcpu *vcpu, irq_t intid);
/* Drives a level-sensitive SPI line (emulated devices). */
void vgic_set_level(struct vm *vm, irq_t intid, bool level);

/*
 * Guest write to ICC_SGI1R_EL1 (group0_only false) or ICC_SGI0R_EL1/ICC_ASGI1R_EL1 (true),
 * trapped: delivers the SGI to the targeted vCPUs (group0_only: those that have it in Group 0).
 * Returns whether the sender was among them (its own interrupt state changed: flush before it
 * resumes); the others are kicked.
 */
bool vgic_sgi_write(struct vcpu *vcpu, uint64_t val, bool group0_only);

/*
 * Before entering the guest on this pCPU, IRQs masked: load the active and the
 * highest-priority deliverable pending interrupts into list registers, and ask for a
 * maintenance interrupt (underflow, no-pending, EOI of an LR) when some did not fit.
 * Restores the vCPU interface first if vgic_vcpu_restore() was not called. Idempotent.
 */
void vgic_flush(struct vcpu *vcpu);
/* After leaving the guest: read list registers back into interrupt state. Idempotent. */
void vgic_sync(struct vcpu *vcpu);
/*
 * The running vCPU's virtual timer fired here as physical pintid (acknowledged, not yet
 * synced): does what vgic_sync(), vgic_inject_hw(vcpu, PPI_VIRT_TIMER, pintid) and
 * vgic_flush() would do together, in the state a timer tick nearly always finds (no other
 * interrupt in flight, the last tick's LR deactivated by the guest). True: injected (the
 * caller counts it in vcpu->stats.injected). False, having changed nothing the generic path
 * does not redo, in any other state: the caller then takes the generic path.
 */
bool vgic_timer_fast(struct vcpu *vcpu, irq_t pintid);
/*
 * The loaded vcpu's virtual timer condition is met (ENABLE, !IMASK, CVAL <= count) on its own
 * pCPU, its physical PPI not yet taken: makes PPI 27 pending, hardware-linked, as that PPI's
 * arrival would (the physical one set active). True if the guest can take it now.
 */
bool vgic_timer_due(struct vcpu *vcpu);
/* True if the vCPU has an enabled, pending interrupt it could take (for WFI). */
bool vgic_vcpu_pending(struct vcpu *vcpu);
/* Handles the GIC maintenance interrupt for the vCPU running here (sync, then flush). */
void vgic_maintenance(struct vcpu *vcpu);

/*
 * Save/restore of the virtual CPU interface around a vCPU switch on a pCPU: save
 * reads VMCR/APRs, folds the list registers back into interrupt state (so another
 * pCPU or vCPU can take them over) and empties them; restore writes VMCR/APRs back
 * and empties the list registers; the next vgic_flush() refills them.
 */
void vgic_vcpu_save(struct vcpu *vcpu);
void vgic_vcpu_restore(struct vcpu *vcpu);
/*
 * Whether the vCPU loaded here may stay loaded while its pCPU idles (pcpu.c, parking): its
 * interface is loaded, trapped delivery, and nothing in it can raise a maintenance interrupt
 * without the guest running (no underflow or no-pending request; an LR's EOI request needs the
 * guest's EOI, but one the guest already made may still be asserting: none may be written).
 */
bool vgic_vcpu_parkable(const struct vcpu *vcpu);

/*
 * Direct delivery (pool irq = "direct", vgic-direct.c), on the vCPU's own pCPU: init (once, at
 * VM creation); enter (entry edge, if direct_on: EL2 takes the CPU interface back); exit (exit
 * edge and vCPU load, after vgic_flush, if direct_capable: direct when no list register is
 * needed, else an excursion through them); wait (true before EL2 waits in place for the loaded
 * vCPU's interrupts, false after: its physical IRQs come to EL2 meanwhile); put (before the
 * vCPU's state is saved: hands everything back to trapped delivery).
 */
void vgic_direct_init(struct vcpu *vcpu);
void vgic_direct_enter(struct vcpu *vcpu);
void vgic_direct_exit(struct vcpu *vcpu);
void vgic_direct_wait(struct vcpu *vcpu, bool waiting);
void vgic_direct_put(struct vcpu *vcpu);

/* What vgic_direct_exit() does (pure, host-tested): on = IMO clear now, lrs_live = the flush
 * left list registers to deliver, in_service = the guest is inside a physical interrupt. */
enum vgic_direct_step {
	DIRECT_STAY,	     /* direct, nothing to deliver */
	DIRECT_GO_ON,	     /* back to direct: the excursion is over */
	DIRECT_GO_OFF,	     /* an excursion starts (IMO set) */
	DIRECT_STAY_TRAPPED, /* the excursion goes on */
	DIRECT_RETRY,	     /* an excursion must wait for the guest's EOI: stay direct, retry */
};
enum vgic_direct_step vgic_direct_decide(bool on, bool lrs_live, bool in_service);

/* The vGIC as a per-VM device (virt/vdev_table.c): create, reset and Ctrl-A g dump. */
extern const struct vdev_ops vgic_vdev;

#endif
