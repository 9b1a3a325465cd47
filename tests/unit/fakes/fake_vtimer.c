/* Stands in for virt/vtimer.c: records each call (obj: the vCPU). */
#include <tandem/vtimer.h>

#include "fake.h"

void vtimer_vcpu_init(struct vcpu *vcpu)
{
	fake_record("vtimer_vcpu_init", vcpu, 0, 0, 0);
}

void vtimer_vcpu_reset(struct vcpu *vcpu)
{
	fake_record("vtimer_vcpu_reset", vcpu, 0, 0, 0);
}
