/* Secondary CPUs: started through PSCI CPU_ON, each then runs its own scheduler and idle task. */
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "percpu.h"
#include "platform.h"
#include "sched.h"

static unsigned timer_irq;

unsigned smp_boot(const struct platform *p, unsigned want)
{
	unsigned online = 1;

	timer_irq = timer_intid(p);
	for (unsigned cpu = 1; cpu < want; cpu++) {
		uint64_t deadline;
		int r;

		pcpus[cpu].mpidr = p->mpidr[cpu];
		dsb(ish);
		r = psci_cpu_on(p->mpidr[cpu], (uintptr_t)secondary_entry, cpu);
		if (r) {
			kprintf("RTOS: cpu%u (MPIDR 0x%lx): PSCI CPU_ON failed (%d)\n", cpu,
				(unsigned long)p->mpidr[cpu], r);
			continue;
		}
		deadline = rtos_now() + rtos_us_to_ticks(2000000); /* a loaded host is slow */
		while (!pcpus[cpu].online && rtos_now() < deadline)
			task_sleep(rtos_us_to_ticks(100));
		if (pcpus[cpu].online)
			online++;
		else
			kprintf("RTOS: cpu%u (MPIDR 0x%lx) did not come up\n", cpu,
				(unsigned long)p->mpidr[cpu]);
	}
	return online;
}

void secondary_main(unsigned cpu)
{
	struct pcpu *c = &pcpus[cpu];
	int r;

	cpu_init_local(cpu, c->mpidr);
	r = gic->init_cpu(c);
	if (r) {
		kprintf("RTOS: cpu%u: %s CPU interface init failed (%d)\n", cpu, gic->name, r);
		halt();
	}
	timer_init_cpu(timer_irq);
	gic->enable(SGI_RESCHED, cpu);
	gic->enable(SGI_PING, cpu);
	c->online = true;
	c->idle.name = "idle";
	sched_start_cpu(&c->idle);
	cpu_idle_loop();
}
