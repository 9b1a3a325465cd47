/*
 * The interface the core needs from the architecture. arch/aarch64 implements
 * it for real; arch/fake implements it on the host for unit tests. The core
 * never touches system registers directly.
 */
#ifndef TANDEM_ARCH_H
#define TANDEM_ARCH_H

#include <tandem/types.h>

#include <arch/inline.h> /* pcpu_this(), arch_cpu_index(), arch_counter_read(),
			   arch_irq_pending(), arch_trap_guest_irqs_unmasked(): inline */

struct vcpu;
struct vm;

/* EL2 maps all RAM one to one, so these are identities on hardware. */
void *arch_phys_to_virt(paddr_t pa);
paddr_t arch_virt_to_phys(const void *va);

/* A 32-bit store to a device register at host-physical pa (EL2 maps the devices below RAM),
 * completed before the call returns (DSB). */
void arch_mmio_write32(paddr_t pa, uint32_t value);

/* Zeroes [va, va+size) fast (DC ZVA where the CPU allows it). */
void arch_zero_range(void *va, size_t size);

/* Cache maintenance: clean data to the point of coherency; invalidate all I-caches (IS). */
void arch_dcache_clean_range(const void *va, size_t size);
/* Clean and invalidate data to the point of coherency: memory a guest accesses uncached (it
 * maps it Device), read fresh before and written back after EL2 touches it cacheably. */
void arch_dcache_clean_inval_range(const void *va, size_t size);
void arch_icache_invalidate_all(void);
/* Invalidate every stage-1 and stage-2 TLB entry tagged with vmid, on all CPUs. */
void arch_tlb_flush_vmid(vmid_t vmid);

/* The generic counter's frequency in Hz (the count itself: arch_counter_read(), arch/inline.h). */
uint64_t arch_counter_freq(void);

/* The EL2 physical timer (CNTHP): PPI_HYP_TIMER fires on this CPU once the counter reaches
 * cval. The core multiplexes its software timers (tandem/timer.h) on it. */
void arch_hyp_timer_arm(uint64_t cval);
void arch_hyp_timer_disarm(void);

/* A spin-wait hint (YIELD). */
void arch_relax(void);

/* Interrupt mask state of the current CPU at EL2. */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);
/* With IRQs masked: waits for an interrupt, then takes pending ones (IRQs masked again after). */
void arch_wait_for_interrupt(void);
/* With IRQs masked and no lock held: takes the pending interrupts now, without waiting (long
 * EL2 work lets the pCPU's timers fire on time between its steps). */
void arch_irq_window(void);
/* Stops this CPU for good (fatal hypervisor error). */
void __attribute__((noreturn)) arch_halt(void);

/* Per-CPU virtualization set-up at boot: stage-2 control (VTCR_EL2), counter offset. */
void arch_cpu_init_virt(void);

/* Index of the calling physical CPU (0 .. nr_pcpus-1): arch_cpu_index(), arch/inline.h. */

/* vCPU context: set up a vCPU's EL1 state for a cold boot at entry with x0 = arg. */
void arch_vcpu_reset(struct vcpu *vcpu, ipa_t entry, uint64_t arg);
/* Inject a synchronous external abort for a data (is_data) or instruction fetch at addr. */
void arch_vcpu_inject_abort(struct vcpu *vcpu, bool is_data, uint64_t addr);
/* Inject an UNDEFINED instruction exception. */
void arch_vcpu_inject_undef(struct vcpu *vcpu);

#endif
