/* The arch operations around running a vCPU on the calling pCPU. */
#ifndef TANDEM_ARCH_VCPU_H
#define TANDEM_ARCH_VCPU_H

#include <tandem/vcpu.h>

struct arch_fpregs; /* arch/vcpu_ctx.h, where the arch has FP/SIMD state to switch */

/* Puts the vCPU's EL1 context, timer and stage-2 settings into the CPU. */
void arch_vcpu_load(struct vcpu *vcpu);
/* Saves the vCPU's EL1 context from the CPU and quiesces its timer. */
void arch_vcpu_put(struct vcpu *vcpu);
/*
 * The loaded vCPU stays in the CPU while its pCPU idles (pcpu.c, parking): its virtual timer is
 * saved and stopped, and from then on reads as the saved copy (arch_vcpu_timer_armed) until
 * arch_vcpu_unpark() puts it back, after which the vCPU is loaded as before (to run again, or
 * for arch_vcpu_put()). Nothing else of it leaves the CPU.
 */
void arch_vcpu_park(struct vcpu *vcpu);
void arch_vcpu_unpark(struct vcpu *vcpu);
/* True if the vCPU's virtual timer is enabled and unmasked, with *cval its deadline (live
 * registers while loaded, the saved copy otherwise). */
bool arch_vcpu_timer_armed(const struct vcpu *vcpu, uint64_t *cval);
/*
 * The loaded vCPU's virtual timer written back unchanged (CVAL): no effect on hardware, whose
 * timer condition is live; a model that evaluates it only at register writes and at its own
 * deadline callback (QEMU's) then shows ISTATUS and raises the line now.
 */
void arch_vcpu_timer_resample(const struct vcpu *vcpu);
/* Whether the guest's WFI and WFE trap to EL2 (HCR_EL2.TWI/TWE); applies from the next load. */
void arch_vcpu_set_idle_traps(struct vcpu *vcpu, bool wfi, bool wfe);
/* Whether its physical IRQs (Group 1) go to its EL1 (HCR_EL2.IMO clear) or to EL2; applies at
 * once if it is loaded, else from its next load. */
void arch_vcpu_set_irq_direct(struct vcpu *vcpu, bool direct);
void arch_fp_save(struct arch_fpregs *fp);
void arch_fp_restore(const struct arch_fpregs *fp);
/* Restores frame (the top-of-stack frame of this pCPU) and erets into the guest. */
void __attribute__((noreturn)) arch_enter_guest(struct guest_regs *frame);
/* Drops the current stack and runs fn on a fresh stack of this pCPU. */
void __attribute__((noreturn)) arch_reset_stack_and_call(void (*fn)(void));
/* Registers of a vCPU: the stack frame while it runs here, else its saved copy. */
struct guest_regs *vcpu_frame(struct vcpu *vcpu);

#endif
