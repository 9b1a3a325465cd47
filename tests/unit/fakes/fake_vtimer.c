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

/* The emulated physical timer's registers: obj the vCPU; arg 0 the register (1: its value).
 * A read returns 0x1000 + the register. */
uint64_t vtimer_phys_read(struct vcpu *vcpu, enum vtimer_reg reg)
{
	fake_record("vtimer_phys_read", vcpu, reg, 0, 0);
	return 0x1000 + reg;
}

void vtimer_phys_write(struct vcpu *vcpu, enum vtimer_reg reg, uint64_t val)
{
	fake_record("vtimer_phys_write", vcpu, reg, val, 0);
}
