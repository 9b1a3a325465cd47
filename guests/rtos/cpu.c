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

static bool idle_accounting;

void cpu_idle_accounting(void)
{
	__atomic_store_n(&idle_accounting, true, __ATOMIC_RELAXED);
}

uint64_t cpu_idle_ticks(void)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < RTOS_MAX_CPUS; i++)
		sum += __atomic_load_n(&pcpus[i].idle_ticks, __ATOMIC_RELAXED);
	return sum;
}

/*
 * With accounting on, the wait is timed with interrupts masked: WFI still wakes on a pending
 * interrupt (Arm ARM D1.6.2), and the interrupt is taken after the second counter read, so
 * its handler's time counts as busy (the TTU benchmark's "RTOS busy per KiB").
 */
void port_idle_wait(void)
{
	struct pcpu *c;
	uint64_t t0;

	if (!__atomic_load_n(&idle_accounting, __ATOMIC_RELAXED)) {
		wfi();
		return;
	}
	c = this_pcpu();
	__asm__ volatile("msr daifset, #3" ::: "memory");
	t0 = port_now();
	wfi();
	__atomic_store_n(&c->idle_ticks, c->idle_ticks + (port_now() - t0), __ATOMIC_RELAXED);
	__asm__ volatile("msr daifclr, #3" ::: "memory");
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
