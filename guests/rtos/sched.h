/*
 * The scheduler as the CPU layer sees it: bring-up, interrupt entry and exit, the timer and
 * reschedule interrupts, and the fate of a task that faults.
 */
#ifndef RTOS_SCHED_H
#define RTOS_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "rtos.h"

/* Before any task is created: `nr_cpus` CPUs, round-robin slice `slice` ticks (0: none). */
void sched_init(unsigned nr_cpus, uint64_t slice);
unsigned sched_nr_cpus(void);
/* Makes the calling context this CPU's idle task and runs the most urgent ready task. Returns
 * in the idle task, which then loops on port_idle_wait(). */
void sched_start_cpu(struct task *idle);
/* Brackets an interrupt handler: reschedules at the outermost exit if a wake asked for it. */
void sched_irq_enter(void);
void sched_irq_exit(void);
/* This CPU's timer fired; `irq_stamp` is the counter at the interrupt's first instruction. */
void sched_timer_irq(uint64_t irq_stamp);
/* Another CPU asked this one to reschedule (the switch itself happens in sched_irq_exit()). */
void sched_resched_ipi(void);
/* First code of every task, entered with the kernel lock held (from port_task_init()). */
void sched_task_start(void);
/* The task running on this CPU, or NULL before the scheduler runs here. */
struct task *sched_current(void);
/* True when the caller is a task that may block: scheduler running, not in an interrupt,
 * not the idle task. */
bool sched_can_block(void);
/* True if this CPU holds the kernel lock (a fault there is a kernel bug, not a task's). */
bool sched_lock_held_here(void);

#endif
