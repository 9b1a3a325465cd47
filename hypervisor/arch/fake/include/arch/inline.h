/* The host tests' side of arch/aarch64's inline services: plain functions (arch_fake.c, fakes). */
#ifndef ARCH_INLINE_H
#define ARCH_INLINE_H

#include <tandem/types.h>

struct pcpu;

/* The calling CPU's data (tandem/pcpu.h). */
struct pcpu *pcpu_this(void);
/* Index of the calling CPU: fake_arch.cpu_index. */
unsigned arch_cpu_index(void);
/* The generic counter: fake_arch.counter, advanced by counter_step per read. */
uint64_t arch_counter_read(void);
/* An IRQ pending at the CPU interface: fake_arch.irq_pending (each read counted). */
bool arch_irq_pending(void);
/* In a trap from a guest, its IRQs unmasked: !fake_arch.guest_irqs_masked. */
bool arch_trap_guest_irqs_unmasked(void);

#endif
