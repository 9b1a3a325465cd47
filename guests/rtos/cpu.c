/* The AArch64 implementation of port.h (with exceptions.S and timer.c) and per-CPU setup. */
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "percpu.h"
#include "sched.h"

struct pcpu pcpus[RTOS_MAX_CPUS];

_Static_assert(__builtin_offsetof(struct pcpu, irq_stamp) == 0, "exceptions.S stores at [tpidr]");
_Static_assert(__builtin_offsetof(struct task, ctx) == 0, "port_switch() takes &task->ctx");
_Static_assert(sizeof(struct exc_frame) == 272, "FRAME_SIZE in exceptions.S");
_Static_assert(__builtin_offsetof(struct mmu_regs, sctlr) == 24, "mmu_on() in boot.S");

void cpu_init_local(unsigned cpu, uint64_t mpidr)
{
	struct pcpu *c = &pcpus[cpu];

	c->id = cpu;
	c->mpidr = mpidr & MPIDR_AFF_MASK;
	write_sysreg((uintptr_t)c, tpidr_el1);
	write_sysreg((uintptr_t)vectors, vbar_el1);
	isb();
}

unsigned port_cpu_id(void)
{
	return this_pcpu()->id;
}

unsigned long port_irq_save(void)
{
	unsigned long flags = read_sysreg(daif);

	__asm__ volatile("msr daifset, #3" ::: "memory"); /* IRQ and FIQ */
	return flags;
}

void port_irq_restore(unsigned long flags)
{
	__asm__ volatile("msr daif, %0" ::"r"(flags) : "memory");
}

void port_send_resched(unsigned cpu)
{
	gic->send_sgi(SGI_RESCHED, cpu);
}

void port_task_init(struct task *t)
{
	uint64_t top = (uint64_t)(uintptr_t)t->stack_lo + t->stack_size;

	for (unsigned i = 0; i < 14; i++)
		t->ctx.reg[i] = 0;
	t->ctx.reg[11] = (uint64_t)(uintptr_t)task_trampoline; /* x30 */
	t->ctx.reg[12] = top & ~15ULL;			       /* sp */
}

void port_cpu_relax(void)
{
	cpu_relax();
}

void port_idle_wait(void)
{
	wfi();
}

void port_fatal(const char *what, const struct task *t)
{
	port_irq_save();
	kprintf("RTOS: FATAL on cpu%u: %s (task %s)\n", this_pcpu()->id, what, t ? t->name : "-");
	halt();
}

void cpu_idle_loop(void)
{
	port_irq_restore(0);
	for (;;)
		port_idle_wait();
}
