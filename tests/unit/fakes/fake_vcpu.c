/* Stands in for core/vcpu.c: records each call (obj: the vCPU). */
#include <arch/fake.h>
#include <tandem/vcpu.h>

#include "fake.h"

/* Starts nothing; the vCPU is RUNNABLE afterwards, as vcpu_start() leaves it. */
void vcpu_start(struct vcpu *vcpu, ipa_t entry, uint64_t arg)
{
	vcpu->state = VCPU_RUNNABLE;
	fake_record("vcpu_start", vcpu, entry, arg, 0);
}

void vcpu_init_sched(struct vcpu *vcpu)
{
	fake_record("vcpu_init_sched", vcpu, 0, 0, 0);
}

/* arg 0: the spinlocks held at the call (a kick is an SGI: never under a vGIC lock). */
void vcpu_kick(struct vcpu *vcpu)
{
	fake_record("vcpu_kick", vcpu, fake_arch.locks_held, 0, 0);
}

void vcpu_kick_if_pending(struct vcpu *vcpu)
{
	fake_record("vcpu_kick_if_pending", vcpu, 0, 0, 0);
}

void vcpu_wfi(struct vcpu *vcpu)
{
	fake_record("vcpu_wfi", vcpu, 0, 0, 0);
}

void vcpu_wfe(struct vcpu *vcpu)
{
	fake_record("vcpu_wfe", vcpu, 0, 0, 0);
}

/* Aff0 = the vCPU's index, as the real one numbers them; not recorded (a pure query). */
uint64_t vcpu_mpidr(const struct vcpu *vcpu)
{
	return vcpu->id;
}

/* Weak: a test that compiles the real core/pcpu.c (which defines it) gets that one. */
__attribute__((weak)) struct vcpu *vcpu_current(void)
{
	return fake_knobs.current_vcpu;
}
