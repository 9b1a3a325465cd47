/* Stands in for virt/passthrough.c: records each call (obj: the vCPU). */
#include <tandem/passthrough.h>

#include "fake.h"

void passthrough_follow_vcpu(struct vcpu *vcpu)
{
	fake_record("passthrough_follow_vcpu", vcpu, 0, 0, 0);
}
