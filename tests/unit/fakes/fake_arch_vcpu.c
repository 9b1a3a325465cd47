/*
 * Stands in for the arch's vCPU context switch (tandem/arch_vcpu.h): records each call (obj:
 * the vCPU, or NULL). Entering a guest and resetting the stack never return: they longjmp to
 * fake_knobs.enter_jmp (a test that reaches them must set it).
 */
#include <stdlib.h>

#include <tandem/arch_vcpu.h>

#include "fake.h"

void arch_vcpu_load(struct vcpu *vcpu)
{
	fake_record("arch_vcpu_load", vcpu, 0, 0, 0);
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	fake_record("arch_vcpu_put", vcpu, 0, 0, 0);
}

void arch_vcpu_park(struct vcpu *vcpu)
{
	fake_record("arch_vcpu_park", vcpu, 0, 0, 0);
}

void arch_vcpu_unpark(struct vcpu *vcpu)
{
	fake_record("arch_vcpu_unpark", vcpu, 0, 0, 0);
}

void arch_enter_guest(struct guest_regs *frame)
{
	fake_record("arch_enter_guest", frame, 0, 0, 0);
	if (!fake_knobs.enter_jmp)
		abort();
	longjmp(*fake_knobs.enter_jmp, 1);
}

void arch_reset_stack_and_call(void (*fn)(void))
{
	fake_record("arch_reset_stack_and_call", NULL, 0, 0, 0);
	if (fake_knobs.reset_stack_calls)
		fn(); /* the idle loop: it leaves only through arch_enter_guest() */
	if (!fake_knobs.enter_jmp)
		abort();
	longjmp(*fake_knobs.enter_jmp, 2);
}

void arch_vcpu_set_idle_traps(struct vcpu *vcpu, bool wfi, bool wfe)
{
	fake_record("arch_vcpu_set_idle_traps", vcpu, wfi, wfe, 0);
}

void arch_vcpu_timer_resample(const struct vcpu *vcpu)
{
	fake_record("arch_vcpu_timer_resample", vcpu, 0, 0, 0);
}

/* arg 0: direct (HCR_EL2.IMO clear for the vCPU). */
void arch_vcpu_set_irq_direct(struct vcpu *vcpu, bool direct)
{
	fake_record("arch_vcpu_set_irq_direct", vcpu, direct, 0, 0);
}

/* The guest's virtual timer as fake_knobs.vtimer_armed/vtimer_cval say; a query, not recorded. */
bool arch_vcpu_timer_armed(const struct vcpu *vcpu, uint64_t *cval)
{
	*cval = fake_knobs.vtimer_cval;
	return fake_knobs.vtimer_armed;
}
