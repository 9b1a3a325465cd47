/* The host stand-in for the CPU (port.h): unit tests play the CPUs, the clock and interrupts. */
#ifndef RTOS_PORT_FAKE_H
#define RTOS_PORT_FAKE_H

#include <stdint.h>

#include "rtos.h"

extern unsigned fake_cpu;		     /* what port_cpu_id() returns */
extern uint64_t fake_now;		     /* what port_now() returns */
extern uint64_t fake_timer[RTOS_MAX_CPUS];   /* each CPU's armed deadline (PORT_TIMER_OFF) */
extern unsigned fake_resched[RTOS_MAX_CPUS]; /* reschedule interrupts sent and not delivered */
extern const char *fake_fatal_what;	     /* last port_fatal(), or NULL */
extern unsigned fake_irq_masked;	     /* port_irq_save() depth, must end at 0 */

/* Back to power-on: every CPU idle-less, clock at `now`, nothing armed or pending. */
void fake_port_reset(uint64_t now);
/* Plays CPU `cpu` taking its timer interrupt at fake_now (irq enter, timer, irq exit). */
void fake_timer_irq(unsigned cpu);
/* Delivers pending reschedule interrupts to every CPU. */
void fake_deliver_ipis(void);
/* Advances the clock to the earliest armed timer and fires it; returns that CPU, or -1. */
int fake_run_next_timer(void);

#endif
