/* Per-CPU state of the AArch64 port, reached through TPIDR_EL1. */
#ifndef RTOS_PERCPU_H
#define RTOS_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "rtos.h"
#include "sysreg.h"

/*
 * A one-entry exception table per CPU: while pc is set, a synchronous exception whose ELR is pc
 * resumes at resume instead of stopping the task (fault.c). The fuzzer (fuzz_ops.c) arms it
 * around each instruction that may fault; pc and resume are stored together by one STP.
 */
struct fault_fixup {
	uintptr_t pc;	   /* offset 0: the instruction expected to fault, 0 = none */
	uintptr_t resume;  /* offset 8: where to go on instead */
	uint64_t esr, far; /* of the last fault taken through the fixup */
	unsigned long taken;
};

struct pcpu {
	uint64_t irq_stamp; /* offset 0: counter at IRQ entry, stored by exceptions.S */
	unsigned id;
	uint64_t mpidr;
	uintptr_t gicr;	    /* GICv3: this CPU's redistributor frame */
	uint8_t gicv2_mask; /* GICv2: this CPU interface's bit in ITARGETSR / SGIR */
	volatile bool online;
	struct task idle;
	struct fault_fixup fixup;
	uint64_t idle_ticks; /* counter ticks spent in WFI while cpu_idle_accounting is on */
};

extern struct pcpu pcpus[RTOS_MAX_CPUS];

static inline struct pcpu *this_pcpu(void)
{
	return (struct pcpu *)read_sysreg(tpidr_el1);
}

#endif
