/* Stands in for virt/vtimer.c: records each call (obj: the vCPU); the timers' lines are what
 * the test put in fake_knobs.vtimer_line. */
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

/* A query, not recorded: FAKE_LINE_LOW/HIGH as the test set it, else it cannot be sampled. */
bool vtimer_line(const struct vcpu *vcpu, irq_t intid, bool *level)
{
	if (intid >= FAKE_NR_PRIVATE || !fake_knobs.vtimer_line[intid])
		return false;
	*level = fake_knobs.vtimer_line[intid] == FAKE_LINE_HIGH;
	return true;
}
