/*
 * The arch services every trap calls, inline on AArch64 (arch/fake declares them as functions):
 * the calling CPU's data (TPIDR_EL2), the counter and the pending-IRQ status. One instruction
 * each instead of a call.
 */
#ifndef ARCH_INLINE_H
#define ARCH_INLINE_H

#include <arch/sysregs.h>

struct pcpu;

/* The calling CPU's data (tandem/pcpu.h): TPIDR_EL2 holds its address from boot on. */
static inline struct pcpu *pcpu_this(void)
{
	return (struct pcpu *)read_sysreg(tpidr_el2);
}

/* Index of the calling CPU: the first field of its data (tandem/pcpu.h asserts the layout), so
 * that drivers below the core can index their per-CPU state without knowing struct pcpu. */
static inline unsigned arch_cpu_index(void)
{
	return *(const unsigned *)read_sysreg(tpidr_el2);
}

/* The generic counter (physical count), not read ahead of earlier instructions. */
static inline uint64_t arch_counter_read(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

/* An IRQ is pending at this CPU's interface, masked or not (ISR_EL1.I; at EL2 the physical
 * one): a long EL2 path polls it to step aside for the interrupt (Arm ARM D19.2, ISR_EL1). */
static inline bool arch_irq_pending(void)
{
	return (read_sysreg(isr_el1) & (1u << 7)) != 0;
}

/* In a trap from a guest: the guest runs with IRQs unmasked (PSTATE.I clear in SPSR_EL2), so a
 * virtual IRQ made pending now is taken before its next instruction (Arm ARM D1.3.6). */
static inline bool arch_trap_guest_irqs_unmasked(void)
{
	return !(read_sysreg(spsr_el2) & PSR_I);
}

#endif
