/* Per-CPU state of the AArch64 port, reached through TPIDR_EL1. */
#ifndef RTOS_PERCPU_H
#define RTOS_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "rtos.h"
#include "sysreg.h"

struct pcpu {
	uint64_t irq_stamp; /* offset 0: counter at IRQ entry, stored by exceptions.S */
	unsigned id;
	uint64_t mpidr;
	uintptr_t gicr;	    /* GICv3: this CPU's redistributor frame */
	uint8_t gicv2_mask; /* GICv2: this CPU interface's bit in ITARGETSR / SGIR */
	volatile bool online;
	struct task idle;
};

extern struct pcpu pcpus[RTOS_MAX_CPUS];

static inline struct pcpu *this_pcpu(void)
{
	return (struct pcpu *)read_sysreg(tpidr_el1);
}

#endif
