/* A virtual CPU: guest registers, EL1 context, vGIC state, and where it runs. */
#ifndef TANDEM_VCPU_H
#define TANDEM_VCPU_H

#include <arch/vcpu_ctx.h>
#include <tandem/sched.h>
#include <tandem/spinlock.h>
#include <tandem/stats.h>
#include <tandem/timer.h>
#include <tandem/types.h>
#include <tandem/vgic.h>
#include <tandem/vtimer.h>

struct vm;
struct pcpu;
struct mmio_access;

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

struct vcpu {
	struct vm *vm;
	unsigned id;	   /* index in the VM, also Aff0 of its virtual MPIDR */
	struct pcpu *pcpu; /* the pCPU it is placed on */
	volatile enum vcpu_state state;
	struct guest_regs regs; /* valid while the vCPU is not on its pCPU's stack frame */
	struct arch_vcpu_ctx ctx;
	struct vgic_vcpu vgic;
	struct vcpu_stats stats;
	struct sched_vcpu sched;	 /* owned by its pool's scheduler */
	uint64_t run_ticks;		 /* counter ticks it ran in the guest (EL1/EL0) */
	struct pcpu *volatile loaded_on; /* pCPU holding its registers, until fully saved */
	struct pcpu *last_pcpu;		 /* where it ran last (migration statistics) */
	volatile bool held;		 /* being moved between pools: not schedulable meanwhile */
	struct timer wake_timer;	 /* stands in for its virtual timer while blocked */
	struct vtimer_phys ptimer;	 /* its EL1 physical timer, emulated (vtimer.c) */
	struct timer direct_retry;	 /* direct delivery: an excursion waits (vgic-direct.c) */
};

/* Its state in the console dumps. */
static inline const char *vcpu_state_name(enum vcpu_state state)
{
	switch (state) {
	case VCPU_OFF:
		return "off";
	case VCPU_RUNNABLE:
		return "runnable";
	case VCPU_BLOCKED:
		return "blocked";
	case VCPU_STOPPED:
		return "stopped";
	}
	return "?";
}

/* Whether a scheduler may run it now. */
static inline bool vcpu_schedulable(const struct vcpu *vcpu)
{
	return vcpu->state == VCPU_RUNNABLE && !vcpu->held;
}

/* Virtual MPIDR_EL1 value of a vCPU. */
uint64_t vcpu_mpidr(const struct vcpu *vcpu);
/* Marks a vCPU runnable at entry with x0 = arg (boot CPU or PSCI CPU_ON) and kicks its pCPU. */
void vcpu_start(struct vcpu *vcpu, ipa_t entry, uint64_t arg);
/* One-time set-up of its scheduling timer and emulated physical timer (VM creation). */
void vcpu_init_sched(struct vcpu *vcpu);
/* Wakes a vCPU blocked in WFI, or makes a running vCPU notice new interrupts. */
void vcpu_kick(struct vcpu *vcpu);
/* Guest WFI: blocks the vCPU until it has an interrupt to take or its timer is due. */
void vcpu_wfi(struct vcpu *vcpu);
/* Guest WFE: lets another runnable vCPU of the pool go first. */
void vcpu_wfe(struct vcpu *vcpu);
/* Wakes a blocked vCPU if it has an interrupt to take or its timer is due. */
void vcpu_kick_if_pending(struct vcpu *vcpu);
/* Bookkeeping at every trap from the guest, and the checks before returning to it. */
void vcpu_trap_enter(struct vcpu *vcpu);
void vcpu_trap_exit(struct vcpu *vcpu);
/* A synchronous trap's handler (arch's decoder): runs between the two edges. */
typedef void (*vcpu_trap_handler)(struct vcpu *vcpu, struct guest_regs *r, uint64_t esr);
/* A synchronous trap from the running guest vcpu: entry edge, handler, exit edge, in one call. */
void vcpu_trap_sync(struct vcpu *vcpu, vcpu_trap_handler handler, struct guest_regs *r,
		    uint64_t esr);

/*
 * The fast paths (arch/aarch64/exceptions.S). They run with only the guest's caller-saved
 * registers in the frame and return what the vector does next: VCPU_FAST_DONE, back to the
 * guest; anything else, the whole frame is saved and the matching slow function finishes the
 * trap with that code.
 */
#define VCPU_FAST_DONE 0UL
#define VCPU_FAST_FULL 1UL /* nothing done, nothing counted: the whole trap, generic path */
#define VCPU_FAST_EXIT 2UL /* handled, the entry edge taken: the exit edge (a decision) is due */
#define VCPU_FAST_IRQ  3UL /* entry edge taken, INTID (code - VCPU_FAST_IRQ) acknowledged */
/* Or'ed into vcpu_trap_mmio_fast()'s code for an access not performed: an IRQ went first, the
 * guest re-executes the instruction after it (the arch leaves ELR on it). */
#define VCPU_FAST_AGAIN (1UL << 62)

/* HVC #0 from the running guest vcpu whose answer needs nothing but x0 (smccc_fast_answer):
 * answered with both edges; VCPU_FAST_FULL for any other call. */
unsigned long vcpu_trap_hvc_fast(struct vcpu *vcpu, struct guest_regs *r);
/*
 * A decoded load or store (acc: addr, size, write, value) of the running guest vcpu at stage 2:
 * done if it is its emulated GIC's (vgic_mmio_fast) or its device's short path takes it
 * (mmio_fast_fn; acc->value: what a load reads), with both edges when nothing else is due
 * (VCPU_FAST_DONE), else the entry edge (VCPU_FAST_EXIT, VCPU_FAST_IRQ + INTID: the arch
 * completes the instruction either way); VCPU_FAST_FULL, untouched, for anything else. With
 * VCPU_FAST_AGAIN or'ed in: not performed, an IRQ pending at a device's door went first (as
 * vcpu_trap_dabt_irq_first()).
 */
unsigned long vcpu_trap_mmio_fast(struct vcpu *vcpu, struct mmio_access *acc);
/*
 * A data abort of the running guest vcpu, entered with a physical IRQ pending: the IRQ goes
 * first when the guest takes IRQs (PSTATE.I clear in SPSR_EL2), the access not performed (the
 * arch leaves ELR on it: the guest re-executes it after the interrupt), handled as
 * vcpu_trap_irq_fast() does (VCPU_FAST_DONE, VCPU_FAST_EXIT, VCPU_FAST_IRQ + INTID); else
 * VCPU_FAST_FULL, nothing done, nothing counted: the access goes on.
 */
unsigned long vcpu_trap_dabt_irq_first(struct vcpu *vcpu);
/* The exit of a trap vcpu_trap_hvc_fast or vcpu_trap_mmio_fast handled (code VCPU_FAST_EXIT;
 * VCPU_FAST_IRQ + INTID: vcpu_trap_irq_slow, an IRQ they took at their end). */
void vcpu_trap_fast_exit(struct vcpu *vcpu);
/* A physical IRQ taken from the running guest vcpu: acknowledged; the virtual timer's tick
 * injected (vgic_timer_fast) with both edges when nothing else is in flight. */
unsigned long vcpu_trap_irq_fast(struct vcpu *vcpu);
/* The rest of that IRQ's trap (code: what vcpu_trap_irq_fast returned, not DONE). */
void vcpu_trap_irq_slow(struct vcpu *vcpu, unsigned long code);
/* A physical FIQ (Group 0) taken from the running guest vcpu: acknowledged; a lone kick
 * (IPI_KICK) handled with both edges, its flush included, when no decision is due. */
unsigned long vcpu_trap_fiq_fast(struct vcpu *vcpu);
/* The rest of that FIQ's trap (code: what vcpu_trap_fiq_fast returned, not DONE). */
void vcpu_trap_fiq_slow(struct vcpu *vcpu, unsigned long code);
/* The guest vcpu's write val to ICC_SGI1R_EL1 (group0_only: ICC_SGI0R/ASGI1R), past the
 * instruction already: the whole trap (edges, the vGIC's vcpu_sgi_write, exit). */
void vcpu_trap_sgi(struct vcpu *vcpu, uint64_t val, bool group0_only);

/*
 * The guest's writes to its GIC CPU interface's SGI registers (ICC_SGI1R_EL1; group0_only for
 * ICC_ASGI1R_EL1 and ICC_SGI0R_EL1), trapped by the arch: they go to the emulated interrupt
 * controller that claimed them at boot (the GICv3 vGIC, vgic_init). NULL until then: UNDEF.
 */
/* Returns whether the sender itself was a target (its own state changed: flush it). */
typedef bool (*vcpu_sgi_handler)(struct vcpu *vcpu, uint64_t val, bool group0_only);
extern vcpu_sgi_handler vcpu_sgi_write;
/* Claims the SGI registers for handler, at boot; -ERR_BUSY if another one has them. */
int vcpu_sgi_claim(vcpu_sgi_handler handler);

/* The vCPU running on the calling pCPU, or NULL in the hypervisor's idle loop. */
struct vcpu *vcpu_current(void);

#endif
