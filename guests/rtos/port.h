/*
 * What the kernel core (sched.c, sync.c, queue.c) needs from the CPU: implemented for AArch64 EL1
 * by cpu.c and exceptions.S, and for host unit tests by port_fake.c. Nothing here is inline, so
 * the core compiles unchanged on the host.
 */
#ifndef RTOS_PORT_H
#define RTOS_PORT_H

#include <stdint.h>

struct task;

/* Callee-saved state of a switched-out task: x19-x30 and sp on AArch64 (exceptions.S). */
struct port_ctx {
	uint64_t reg[14];
};

#define PORT_TIMER_OFF UINT64_MAX

/* Index (0..nr_cpus-1) of the calling CPU. */
unsigned port_cpu_id(void);
/* Masks interrupts on this CPU; returns the previous mask for port_irq_restore(). */
unsigned long port_irq_save(void);
void port_irq_restore(unsigned long flags);
/* The selected counter (virtual or physical), in ticks of port_counter_freq() Hz. */
uint64_t port_now(void);
uint64_t port_counter_freq(void);
/* Arms this CPU's one-shot timer at absolute `deadline`, or disables it (PORT_TIMER_OFF). */
void port_timer_set(uint64_t deadline);
/* Interrupts `cpu` so that it runs sched_resched_ipi() (an SGI on AArch64). */
void port_send_resched(unsigned cpu);
/* Builds t's first context so that switching to it enters sched_task_start(). */
void port_task_init(struct task *t);
/* Saves the running context into *prev and resumes *next; returns when prev is resumed. */
void port_switch(struct port_ctx *prev, struct port_ctx *next);
/* Pause in a spin loop. */
void port_cpu_relax(void);
/* Waits for an interrupt with interrupts enabled (the idle task's body). */
void port_idle_wait(void);
/* A broken kernel invariant (stack overflow, corrupted list): report and stop this CPU. */
void port_fatal(const char *what, const struct task *t);

#endif
