/*
 * Synchronous exceptions and SErrors at EL1. A fault in a task stops that task and the rest of
 * the system carries on (the RTOS's version of "a guest's fault is the guest's problem"); a fault
 * in an interrupt handler, the idle task or with the kernel lock held stops the CPU. A fault the
 * running code announced in its CPU's fault_fixup (the fuzzer) is not one: it resumes there.
 */
#include "arch.h"
#include "conform.h"
#include "console.h"
#include "percpu.h"
#include "sched.h"

static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case 0x00:
		return "unknown instruction";
	case 0x07:
		return "FP/SIMD access";
	case 0x0e:
		return "illegal execution state";
	case 0x15:
		return "SVC";
	case 0x18:
		return "system register trap";
	case 0x20:
	case 0x21:
		return "instruction abort";
	case 0x22:
		return "PC alignment";
	case 0x24:
	case 0x25:
		return "data abort";
	case 0x26:
		return "SP alignment";
	case 0x2f:
		return "SError";
	case 0x30:
	case 0x31:
		return "breakpoint";
	case 0x32:
	case 0x33:
		return "software step";
	case 0x34:
	case 0x35:
		return "watchpoint";
	case 0x3c:
		return "BRK";
	default:
		return "exception";
	}
}

static void report(const char *kind, const struct exc_frame *f)
{
	uint64_t esr = read_sysreg(esr_el1), far = read_sysreg(far_el1);
	struct task *t = sched_current();

	kprintf("FAULT: task=%s cpu=%u %s ESR=0x%08lx (%s) FAR=0x%lx ELR=0x%lx\n",
		t ? t->name : "boot", this_pcpu()->id, kind, (unsigned long)esr,
		ec_name(ESR_EC(esr)), (unsigned long)far, (unsigned long)f->elr);
	kprintf("FAULT:   lr=0x%lx sp=0x%lx x0=0x%lx x1=0x%lx\n", (unsigned long)f->x[30],
		(unsigned long)((uintptr_t)f + sizeof(*f)), (unsigned long)f->x[0],
		(unsigned long)f->x[1]);
}

static void stop_task_or_cpu(void)
{
	struct task *t = sched_current();

	if (sched_can_block() && !sched_lock_held_here()) {
		kprintf("RTOS: task %s stopped\n", t->name);
		task_exit();
	}
	port_fatal("fault outside a task", t);
}

/* An expected fault (the CPU's fault_fixup names its PC): note it and resume past it. */
static bool fixed_up(struct exc_frame *f)
{
	struct fault_fixup *fx = &this_pcpu()->fixup;

	if (!fx->pc || f->elr != fx->pc)
		return false;
	fx->esr = read_sysreg(esr_el1);
	fx->far = read_sysreg(far_el1);
	fx->taken++;
	f->elr = fx->resume;
	fx->pc = 0;
	return true;
}

void sync_handle(struct exc_frame *f)
{
	if (fixed_up(f) || conform_debug_exception(f))
		return;
	report("sync", f);
	stop_task_or_cpu();
}

void serror_handle(struct exc_frame *f)
{
	report("SError", f);
	stop_task_or_cpu();
}

void bad_exception_handle(struct exc_frame *f)
{
	report("unexpected vector", f);
	port_fatal("unexpected exception vector", sched_current());
}
