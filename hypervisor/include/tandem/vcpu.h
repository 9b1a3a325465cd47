/* A virtual CPU: guest registers, EL1 context, vGIC state, and where it runs. */
#ifndef TANDEM_VCPU_H
#define TANDEM_VCPU_H

#include <arch/vcpu_ctx.h>
#include <tandem/spinlock.h>
#include <tandem/types.h>
#include <tandem/vgic.h>

struct vm;
struct pcpu;

/* General-purpose registers as saved by the exception entry (order fixed by exceptions.S). */
struct guest_regs {
	uint64_t x[31];
	uint64_t pc;	 /* ELR_EL2 */
	uint64_t pstate; /* SPSR_EL2 */
	uint64_t pad;
};

enum vcpu_state {
	VCPU_OFF,      /* not started (PSCI CPU_ON not yet called) or CPU_OFF */
	VCPU_RUNNABLE, /* ready to run */
	VCPU_BLOCKED,  /* in WFI, waiting for an interrupt or its timer */
	VCPU_STOPPED,  /* its VM has stopped */
};

struct vcpu_stats {
	uint64_t traps;	       /* EL2 entries from this vCPU */
	uint64_t wait_entries; /* EL2 entries (interrupts) while it waited in EL2 (WFI) */
	uint64_t wfi;	       /* WFI traps */
	uint64_t hvc;	       /* HVC/SMC calls */
	uint64_t mmio;	       /* emulated MMIO accesses */
	uint64_t irqs;	       /* physical IRQs taken while it was on its pCPU */
	uint64_t injected;     /* virtual interrupts injected */
};

struct vcpu {
	struct vm *vm;
	unsigned id;	   /* index in the VM, also Aff0 of its virtual MPIDR */
	struct pcpu *pcpu; /* the pCPU it is placed on */
	volatile enum vcpu_state state;
	struct guest_regs regs; /* valid while the vCPU is not on its pCPU's stack frame */
	struct arch_vcpu_ctx ctx;
	struct vgic_vcpu vgic;
	struct vcpu_stats stats;
};

/* Virtual MPIDR_EL1 value of a vCPU. */
uint64_t vcpu_mpidr(const struct vcpu *vcpu);
/* Marks a vCPU runnable at entry with x0 = arg (boot CPU or PSCI CPU_ON) and kicks its pCPU. */
void vcpu_start(struct vcpu *vcpu, ipa_t entry, uint64_t arg);
/* Wakes a vCPU blocked in WFI, or makes a running vCPU notice new interrupts. */
void vcpu_kick(struct vcpu *vcpu);
/* Guest WFI: waits (in EL2) until the vCPU has an interrupt to take. */
void vcpu_wfi(struct vcpu *vcpu);
/* Bookkeeping at every trap from the guest, and the checks before returning to it. */
void vcpu_trap_enter(struct vcpu *vcpu);
void vcpu_trap_exit(struct vcpu *vcpu);
/* The vCPU running on the calling pCPU, or NULL in the hypervisor's idle loop. */
struct vcpu *vcpu_current(void);

#endif
