/*
 * Host implementation of port.h for unit tests. A "switch" only records who runs: the test then
 * plays the new current task by calling the API with fake_cpu set, so blocking calls return at
 * once with RTOS_EPENDING and the real result shows later in task.wait_result.
 */
#include "port_fake.h"
#include "sched.h"

unsigned fake_cpu;
uint64_t fake_now;
uint64_t fake_timer[RTOS_MAX_CPUS];
unsigned fake_resched[RTOS_MAX_CPUS];
const char *fake_fatal_what;
unsigned fake_irq_masked;

void fake_port_reset(uint64_t now)
{
	fake_cpu = 0;
	fake_now = now;
	for (unsigned i = 0; i < RTOS_MAX_CPUS; i++) {
		fake_timer[i] = PORT_TIMER_OFF;
		fake_resched[i] = 0;
	}
	fake_fatal_what = NULL;
	fake_irq_masked = 0;
}

unsigned port_cpu_id(void)
{
	return fake_cpu;
}

unsigned long port_irq_save(void)
{
	return fake_irq_masked++;
}

void port_irq_restore(unsigned long flags)
{
	/* sched_task_start() passes 0 from a fresh context; the fake never runs it. */
	fake_irq_masked = (unsigned)flags;
}

uint64_t port_now(void)
{
	return fake_now;
}

uint64_t port_counter_freq(void)
{
	return 62500000; /* QEMU virt's counter: 16 ns a tick */
}

void port_timer_set(uint64_t deadline)
{
	fake_timer[fake_cpu] = deadline;
}

void port_send_resched(unsigned cpu)
{
	fake_resched[cpu]++;
}

void port_task_init(struct task *t)
{
	(void)t;
}

void port_switch(struct port_ctx *prev, struct port_ctx *next)
{
	(void)prev;
	(void)next;
}

void port_cpu_relax(void)
{
}

void port_idle_wait(void)
{
}

void port_fatal(const char *what, const struct task *t)
{
	(void)t;
	fake_fatal_what = what;
}

void fake_timer_irq(unsigned cpu)
{
	unsigned saved = fake_cpu;

	fake_cpu = cpu;
	sched_irq_enter();
	sched_timer_irq(fake_now);
	sched_irq_exit();
	fake_cpu = saved;
}

void fake_deliver_ipis(void)
{
	unsigned saved = fake_cpu;

	for (unsigned cpu = 0; cpu < RTOS_MAX_CPUS; cpu++) {
		if (!fake_resched[cpu])
			continue;
		fake_resched[cpu] = 0;
		fake_cpu = cpu;
		sched_irq_enter();
		sched_resched_ipi();
		sched_irq_exit();
	}
	fake_cpu = saved;
}

int fake_run_next_timer(void)
{
	int best = -1;

	for (unsigned cpu = 0; cpu < RTOS_MAX_CPUS; cpu++)
		if (fake_timer[cpu] != PORT_TIMER_OFF &&
		    (best < 0 || fake_timer[cpu] < fake_timer[best]))
			best = (int)cpu;
	if (best < 0)
		return -1;
	if (fake_timer[best] > fake_now)
		fake_now = fake_timer[best];
	fake_timer_irq((unsigned)best);
	return best;
}
